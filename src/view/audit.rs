//! The audit report's view model: everything the HTML report shows beyond the findings,
//! computed before rendering from the model, the analysis, the observed metrics, the samples and
//! the resolved thresholds. Which shard and key are hot, which bar is near or over a limit, the
//! predicted load per shard, the ranking and which streams get a card are decided here;
//! [`render::html`](crate::render::html) only draws what this carries.

use crate::Report;
use crate::distribution::hot;
use crate::keyspace::{MAX_HASH, hash_key};
use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
use crate::model::{ExportInfo, StreamMode};
use crate::source::Span;
use crate::template::KeyClass;

use super::Thresholds;

/// Above this many streams, streams with nothing to say get one line instead of a card.
pub const FULL_CARDS_UP_TO: usize = 50;

/// Everything the report shows beyond the findings.
#[derive(Clone, Debug, Default)]
pub struct AuditView {
    pub streams: Vec<StreamView>,
    /// The manifests of the exports read (`shardlint export`): account, regions, window.
    pub exports: Vec<ExportInfo>,
    /// Indexes into `streams`, worst first (see [`rank`]).
    pub ranking: Vec<usize>,
    /// Indexes into `report.findings` that belong to no stream.
    pub other_findings: Vec<usize>,
    /// Indexes into `streams`, in ranking order: the streams that get a full card (all of them
    /// up to [`FULL_CARDS_UP_TO`], else those with something to say) ...
    pub cards: Vec<usize>,
    /// ... and the others, one line each.
    pub quiet: Vec<usize>,
    /// Streams whose observed metrics show rejected writes; `None` when no stream has metrics.
    pub throttled_streams: Option<usize>,
    /// The shares applied to decide what is hot.
    pub thresholds: Thresholds,
}

/// One stream's card.
#[derive(Clone, Debug, Default)]
pub struct StreamView {
    pub name: String,
    /// The HTML id of its card (unique: `stream-NAME`, `-2` on a repeat).
    pub anchor: String,
    /// From its ARN, when known.
    pub region: Option<String>,
    /// `aws_kinesis_stream.location`, `Resources.X`, `stream/x`.
    pub address: String,
    /// `main.tf:6`.
    pub location: String,
    /// `provisioned, 8 shards`.
    pub mode: String,
    /// The overview's shard column: `8`, `on-demand`, `shard count unknown`.
    pub shards: String,
    /// Open shards in hash order (from the export or the even split of a fresh stream).
    pub keyspace: Vec<KeyRange>,
    /// Statically known keys placed on the strip (constant keys).
    pub key_markers: Vec<KeyMarker>,
    /// What static analysis predicts about the spread over `keyspace`.
    pub prediction: Option<Prediction>,
    /// The expected write rate from `shardlint.toml`.
    pub expected_records_per_s: Option<f64>,
    pub expected_bytes_per_s: Option<f64>,
    /// Measured from samples, when given.
    pub distribution: Option<StreamDistribution>,
    /// CloudWatch metrics from an export, when it has any for this stream.
    pub observed: Option<ObservedView>,
    /// Indexes into `report.findings`, in report order.
    pub findings: Vec<usize>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// `IoT rule location_to_kinesis (key vin)`.
    pub producers: Vec<String>,
    pub consumers: Vec<ConsumerView>,
    /// The busiest shard's peak against the per-shard write limit, and where that figure
    /// comes from.
    pub peak_utilisation: Option<Utilisation>,
    /// The per-shard charts of the card, in the order drawn: observed peaks; else (or also)
    /// the sampled rates, bytes and busiest seconds; else the static prediction.
    pub charts: Vec<ShardChart>,
    /// Whether the card states the static prediction (no sampled distribution, no observed
    /// per-shard chart).
    pub shows_prediction: bool,
}

/// A figure against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    #[default]
    Ok,
    /// Within 5% of a per-shard limit (a shard accepted at its limit is throttling the rest),
    /// a share at or above `hot-shard-share`, or a utilisation of 80% or more.
    Near,
    /// Over the limit.
    Over,
}

/// The busiest shard's peak as a fraction of the per-shard write limit (1.0 = at the limit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Utilisation {
    pub value: f64,
    pub basis: Basis,
    pub level: Level,
    /// The figure is a lower bound (the stream's mean over its shards).
    pub at_least: bool,
}

/// What a per-shard chart shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ChartKind {
    /// Each shard's busiest CloudWatch period of `IncomingRecords`, as records/s.
    ObservedPeaks { period_s: i64 },
    /// Sampled mean records/s.
    SampledRate,
    /// Sampled record counts (no rate known).
    SampledRecords,
    /// Sampled mean bytes/s.
    SampledBytes,
    /// Records in each shard's busiest second of sample timestamps.
    SampledPeaks,
    /// The predicted spread at the configured records/s.
    PredictedRate { records_per_s: f64 },
    /// The predicted share of records (no rate configured).
    PredictedShare,
    /// The predicted spread at the configured bytes/s.
    PredictedBytes { bytes_per_s: f64 },
}

impl ChartKind {
    /// The per-shard write limit the values are measured against, if any.
    pub fn limit(self) -> Option<f64> {
        match self {
            ChartKind::ObservedPeaks { .. }
            | ChartKind::SampledRate
            | ChartKind::SampledPeaks
            | ChartKind::PredictedRate { .. } => Some(SHARD_WRITE_RECORDS_PER_S),
            ChartKind::SampledBytes | ChartKind::PredictedBytes { .. } => {
                Some(SHARD_WRITE_BYTES_PER_S)
            }
            ChartKind::SampledRecords | ChartKind::PredictedShare => None,
        }
    }
}

/// One per-shard chart: a bar per open shard in hash order, each with its level.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardChart {
    pub kind: ChartKind,
    pub bars: Vec<Bar>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub shard_id: String,
    pub value: f64,
    pub level: Level,
}

/// Where a figure comes from, most direct first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    Observed,
    /// The stream's observed peak rate placed by the static prediction (a constant key: all on
    /// one shard).
    Placed,
    /// The stream's observed rate over its open shards: the busiest shard carries at least this.
    AtLeast,
    Samples,
    Predicted,
}

/// What the export's CloudWatch metrics say about one stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedView {
    pub period_s: i64,
    /// (Unix seconds, accepted records/s averaged over the period).
    pub write_rate: Vec<(i64, f64)>,
    /// Open shards × 1,000 records/s (provisioned streams), and the open shards.
    pub capacity_per_s: Option<f64>,
    pub open_shards: Option<usize>,
    /// The highest point of `write_rate`.
    pub peak_write_rate: Option<f64>,
    /// (Unix seconds, records rejected in the period) for periods above zero.
    pub throttled: Vec<(i64, f64)>,
    pub throttled_records: f64,
    /// Per shard in hash order (enhanced monitoring): the busiest period's records/s.
    pub shard_peaks: Vec<(String, f64)>,
    /// (label, points in ms): the stream's `GetRecords.IteratorAgeMilliseconds` and each
    /// consuming function's `IteratorAge`.
    pub ages: Vec<(String, Vec<(i64, f64)>)>,
    pub max_age_ms: Option<f64>,
    /// The metrics window (Unix seconds).
    pub window: (i64, i64),
}

/// One event source mapping reading the stream, as configured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConsumerView {
    pub function: String,
    pub address: String,
    /// (setting, value) in the order Lambda's console lists them; unknown values say so.
    pub settings: Vec<(&'static str, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyRange {
    pub shard_id: String,
    pub start: u128,
    pub end: u128,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyMarker {
    pub label: String,
    pub hash: u128,
    pub shard_id: String,
}

/// A static prediction: a sentence, and the share of records per `keyspace` shard when it can be
/// derived (constant key: 100% on one shard; random key: each shard's hash-range share).
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub text: String,
    pub shares: Option<Vec<f64>>,
}

/// What the distribution engine measured for one stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamDistribution {
    /// Where the samples came from (`samples.jsonl, 3,000,000 records`).
    pub source: String,
    pub total_records: u64,
    pub shards: Vec<ShardLoad>,
    /// Heaviest keys first.
    pub hot_keys: Vec<HotKey>,
    pub groups: Vec<OrderingGroup>,
    /// The shard a sampled producer concentrates on, at or above `hot-shard-share` and beyond
    /// sampling noise (SL401's decision, [`hot::hot_shard`]).
    pub hot_shard: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardLoad {
    pub shard_id: String,
    pub start: u128,
    pub end: u128,
    pub records: u64,
    pub records_per_s: Option<f64>,
    pub bytes_per_s: Option<f64>,
    /// Records in the busiest one-second window (sample timestamps), and when it started.
    pub peak_per_s: Option<(u64, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HotKey {
    pub key: String,
    pub records: u64,
    /// Share of the stream's records (0..1).
    pub share: f64,
    pub shard_id: String,
    /// It carries more than `hot-key-share` of its shard's records (SL402's decision,
    /// [`hot::hot_keys`]).
    pub hot: bool,
}

/// One of a shard's concurrent batches under ParallelizationFactor.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderingGroup {
    pub shard_id: String,
    pub group: u32,
    pub keys: Vec<String>,
    pub records: u64,
}

impl StreamView {
    /// Whether the stream gets a card in a large report: findings, throttling, samples.
    pub fn has_something_to_say(&self) -> bool {
        !self.findings.is_empty()
            || self
                .observed
                .as_ref()
                .is_some_and(|o| o.throttled_records > 0.0)
            || self.distribution.is_some()
            || self
                .peak_utilisation
                .is_some_and(|u| u.level == Level::Over && !u.at_least)
    }
}

/// Worst first: errors, then observed throttling (records rejected), peak shard utilisation,
/// max IteratorAge, warnings, infos; ties by name. Returns indexes into `streams`.
pub fn rank(streams: &[StreamView]) -> Vec<usize> {
    let key = |v: &StreamView| {
        (
            v.errors,
            v.observed.as_ref().map_or(0.0, |o| o.throttled_records),
            v.peak_utilisation.map_or(0.0, |p| p.value),
            v.observed
                .as_ref()
                .and_then(|o| o.max_age_ms)
                .unwrap_or(0.0),
            v.warnings,
            v.infos,
        )
    };
    let mut order: Vec<usize> = (0..streams.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(&streams[a]), key(&streams[b]));
        kb.0.cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(kb.2.total_cmp(&ka.2))
            .then(kb.3.total_cmp(&ka.3))
            .then(kb.4.cmp(&ka.4))
            .then(kb.5.cmp(&ka.5))
            .then(streams[a].name.cmp(&streams[b].name))
            .then(a.cmp(&b))
    });
    order
}

impl AuditView {
    /// The view model of `report`, with the expected rates of `config` and its thresholds.
    pub fn from_report(report: &Report, config: &crate::config::Config) -> AuditView {
        let thresholds = Thresholds::of(config);
        let model = &report.model;
        let analysis = &report.analysis;
        let observed = crate::observed::observe(model);
        let mut streams = Vec::new();
        let mut anchors = std::collections::HashSet::new();
        for (si, s) in model.streams.iter().enumerate() {
            let name = s.display_name();
            let keyspace: Vec<KeyRange> = analysis.shard_maps[si]
                .map()
                .map(|m| {
                    m.shards()
                        .iter()
                        .map(|o| KeyRange {
                            shard_id: o.shard_id.to_string(),
                            start: o.start,
                            end: o.end,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (mode, shards) = match (s.effective_mode(), s.open_shard_count()) {
                (Some(StreamMode::OnDemand), _) => ("on-demand".to_string(), "on-demand".into()),
                (_, Some(n)) => (
                    format!(
                        "provisioned, {}",
                        crate::numbers::plural(n as u64, "open shard", "open shards")
                    ),
                    crate::numbers::thousands(n as u64),
                ),
                _ => (
                    "provisioned, shard count unknown".to_string(),
                    "shard count unknown".into(),
                ),
            };
            let pos = report.db.start(s.origin.span);
            let location = format!(
                "{}:{}",
                report.db.get(s.origin.span.file).display_name(),
                pos.line
            );
            // Every producer's key class.
            let mut classes: Vec<(&KeyClass, &str)> = Vec::new();
            let mut producers = Vec::new();
            for (ri, rule) in model.rules.iter().enumerate() {
                for (ai, action) in rule.actions.iter().enumerate() {
                    if action.stream != Some(si) || action.in_error_action {
                        continue;
                    }
                    let key = action.partition_key.get().map_or("", |k| k.as_str());
                    producers.push(format!(
                        "IoT rule `{}` (key `{key}`)",
                        rule.name
                            .get()
                            .map_or(rule.origin.address.as_str(), |n| n.as_str())
                    ));
                    if let Some(class) = analysis
                        .keys
                        .get(ri)
                        .and_then(|k| k.get(ai))
                        .and_then(|k| k.class.as_ref())
                    {
                        classes.push((class, key));
                    }
                }
            }
            for p in model.producers.iter().filter(|p| p.stream == Some(si)) {
                producers.push(match p.key.get() {
                    Some(k) => format!("{} (key `{k}`)", p.describe()),
                    None => p.describe(),
                });
            }
            let map = analysis.shard_maps[si].map();
            let mut key_markers = Vec::new();
            for (class, _) in &classes {
                if let (KeyClass::Constant { value: Some(v) }, Some(map)) = (class, map)
                    && !key_markers.iter().any(|m: &KeyMarker| &m.label == v)
                {
                    key_markers.push(KeyMarker {
                        label: v.clone(),
                        hash: hash_key(v),
                        shard_id: map.shard_for_key(v).shard_id.to_string(),
                    });
                }
            }
            let prediction = predict(&classes, &keyspace, &key_markers);
            let rate = config.stream_rate(&name);
            let consumers = model
                .mappings
                .iter()
                .filter(|m| m.stream == Some(si))
                .map(consumer)
                .collect();
            let mut anchor = format!("stream-{}", anchor_text(&name));
            if !anchors.insert(anchor.clone()) {
                anchor = format!("{anchor}-{si}");
                anchors.insert(anchor.clone());
            }
            let v = StreamView {
                name,
                anchor,
                // IaC writes placeholders (`<region>`, `${AWS::Region}`): only a real region name.
                region: s
                    .arn
                    .as_deref()
                    .and_then(|a| a.split(':').nth(3))
                    .filter(|r| {
                        !r.is_empty()
                            && r.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    })
                    .map(str::to_string),
                address: s.origin.address.clone(),
                location,
                mode,
                shards,
                keyspace,
                key_markers,
                prediction,
                expected_records_per_s: rate.and_then(|r| r.records_per_second),
                expected_bytes_per_s: rate.and_then(|r| r.bytes_per_second),
                distribution: measured(report, si, &thresholds),
                observed: observed_view(model, &observed, si),
                producers,
                consumers,
                ..StreamView::default()
            };
            streams.push(v);
        }
        let other_findings = attribute(report, &observed, &mut streams);
        let mut view = AuditView {
            streams,
            exports: model.exports.clone(),
            other_findings,
            thresholds,
            ..AuditView::default()
        };
        view.derive();
        view
    }

    /// Computes what follows from the streams' figures: each stream's charts with their
    /// levels, its peak utilisation, the ranking, which streams get a card. Call it again after
    /// changing a stream's figures.
    pub fn derive(&mut self) {
        for v in &mut self.streams {
            v.charts = charts(v, &self.thresholds);
            v.shows_prediction = v.prediction.is_some()
                && v.distribution.is_none()
                && !v
                    .charts
                    .iter()
                    .any(|c| matches!(c.kind, ChartKind::ObservedPeaks { .. }));
            v.peak_utilisation = peak_utilisation(v);
        }
        self.ranking = rank(&self.streams);
        let all = self.streams.len() <= FULL_CARDS_UP_TO;
        let (cards, quiet): (Vec<usize>, Vec<usize>) = self
            .ranking
            .iter()
            .partition(|&&i| all || self.streams[i].has_something_to_say());
        self.cards = cards;
        self.quiet = quiet;
        self.throttled_streams = self.streams.iter().any(|v| v.observed.is_some()).then(|| {
            self.streams
                .iter()
                .filter(|v| {
                    v.observed
                        .as_ref()
                        .is_some_and(|o| o.throttled_records > 0.0)
                })
                .count()
        });
    }
}

/// A value against a per-shard limit: over it, within 5% of it (a shard accepted at its limit is
/// throttling the rest), or fine.
fn limit_level(value: f64, limit: f64) -> Level {
    if value > limit {
        Level::Over
    } else if value >= 0.95 * limit {
        Level::Near
    } else {
        Level::Ok
    }
}

/// The per-shard charts of stream `v`, in the order the card draws them.
fn charts(v: &StreamView, t: &Thresholds) -> Vec<ShardChart> {
    let chart = |kind: ChartKind, bars: Vec<(String, f64)>, hot: Option<&str>| {
        let limit = kind.limit();
        ShardChart {
            kind,
            bars: bars
                .into_iter()
                .map(|(shard_id, value)| {
                    let level = match limit {
                        Some(l) => limit_level(value, l),
                        None => Level::Ok,
                    };
                    let level = if hot == Some(shard_id.as_str()) {
                        level.max(Level::Near)
                    } else {
                        level
                    };
                    Bar {
                        shard_id,
                        value,
                        level,
                    }
                })
                .collect(),
        }
    };
    let mut out = Vec::new();
    if let Some(o) = v.observed.as_ref().filter(|o| !o.shard_peaks.is_empty()) {
        out.push(chart(
            ChartKind::ObservedPeaks {
                period_s: o.period_s,
            },
            o.shard_peaks.clone(),
            None,
        ));
    }
    if let Some(d) = &v.distribution {
        let ids = || d.shards.iter().map(|x| x.shard_id.clone());
        let hot = d.hot_shard.as_deref();
        let rates: Option<Vec<f64>> = d.shards.iter().map(|x| x.records_per_s).collect();
        out.push(match rates {
            Some(r) => chart(ChartKind::SampledRate, ids().zip(r).collect(), hot),
            None => chart(
                ChartKind::SampledRecords,
                ids()
                    .zip(d.shards.iter().map(|x| x.records as f64))
                    .collect(),
                hot,
            ),
        });
        let bytes: Option<Vec<f64>> = d.shards.iter().map(|x| x.bytes_per_s).collect();
        if let Some(b) = bytes {
            out.push(chart(ChartKind::SampledBytes, ids().zip(b).collect(), None));
        }
        let peaks: Option<Vec<f64>> = d
            .shards
            .iter()
            .map(|x| x.peak_per_s.as_ref().map(|p| p.0 as f64))
            .collect();
        if let Some(p) = peaks {
            out.push(chart(ChartKind::SampledPeaks, ids().zip(p).collect(), None));
        }
        return out;
    }
    // The static prediction, when nothing observed per shard says more.
    let Some(shares) = v
        .prediction
        .as_ref()
        .and_then(|p| p.shares.as_ref())
        .filter(|_| out.is_empty())
    else {
        return out;
    };
    let ids = || v.keyspace.iter().map(|k| k.shard_id.clone());
    match v.expected_records_per_s {
        Some(rate) => out.push(chart(
            ChartKind::PredictedRate {
                records_per_s: rate,
            },
            ids().zip(shares.iter().map(|x| x * rate)).collect(),
            None,
        )),
        None => {
            // A predicted share at or above `hot-shard-share` is a hot shard (of a stream of
            // more than one shard).
            let mut c = chart(
                ChartKind::PredictedShare,
                ids().zip(shares.iter().copied()).collect(),
                None,
            );
            if c.bars.len() > 1 {
                for b in &mut c.bars {
                    if b.value >= t.hot_shard_share {
                        b.level = Level::Near;
                    }
                }
            }
            out.push(c);
        }
    }
    if let Some(bps) = v.expected_bytes_per_s {
        out.push(chart(
            ChartKind::PredictedBytes { bytes_per_s: bps },
            ids().zip(shares.iter().map(|x| x * bps)).collect(),
            None,
        ));
    }
    out
}

/// Letters, digits, `-` and `_` of a name, for an HTML id that needs no escaping.
fn anchor_text(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn consumer(m: &crate::model::EventSourceMapping) -> ConsumerView {
    fn val<T: std::fmt::Display>(v: &crate::model::Val<T>, default: Option<&str>) -> String {
        match (v.get(), default) {
            (Some(x), _) => x.to_string(),
            (None, Some(d)) => format!("{d} (default)"),
            (None, None) => "unknown".into(),
        }
    }
    let destination = match m.on_failure_destination.get() {
        Some(d) if !d.is_empty() => d.clone(),
        Some(_) => "none".into(),
        None if m.on_failure_destination.is_unknown() => "unknown".into(),
        None => "none".into(),
    };
    ConsumerView {
        function: m
            .function
            .get()
            .map(|f| crate::observed::function_label(f).to_string())
            .unwrap_or_else(|| "unknown function".into()),
        address: m.origin.address.clone(),
        settings: vec![
            ("BatchSize", val(&m.batch_size, Some("100"))),
            (
                "ParallelizationFactor",
                val(&m.parallelization_factor, Some("1")),
            ),
            (
                "MaximumBatchingWindowInSeconds",
                val(&m.batching_window, Some("0")),
            ),
            ("StartingPosition", val(&m.starting_position, None)),
            (
                "MaximumRetryAttempts",
                val(&m.max_retry_attempts, Some("-1 (until the record expires)")),
            ),
            (
                "MaximumRecordAgeInSeconds",
                val(&m.max_record_age, Some("-1 (the stream's retention)")),
            ),
            (
                "BisectBatchOnFunctionError",
                val(&m.bisect_on_error, Some("false")),
            ),
            ("OnFailure destination", destination),
            ("Enabled", val(&m.enabled, Some("true"))),
        ],
    }
}

/// At most this many points per drawn series: a day of one-minute points is 1,440, more than a
/// 1,000-unit-wide chart can show, and 5,000 streams of them would be tens of MB.
const MAX_POINTS: usize = 240;

/// `points` in at most [`MAX_POINTS`] buckets, each the largest value in it (peaks survive), at
/// the bucket's first time.
fn downsample(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let per = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(per)
        .map(|c| (c[0].0, c.iter().map(|p| p.1).fold(f64::MIN, f64::max)))
        .collect()
}

/// The export's series for stream `si` as the charts draw them.
fn observed_view(
    model: &crate::model::Model,
    observed: &crate::observed::Observed,
    si: usize,
) -> Option<ObservedView> {
    let so = observed.streams.get(si)?;
    let window = observed.window?;
    let stream = &model.streams[si];
    let mut ages: Vec<(String, Vec<(i64, f64)>)> = Vec::new();
    if let Some(a) = so.iterator_age {
        ages.push((
            "stream GetRecords.IteratorAgeMilliseconds".into(),
            downsample(&a.0.points),
        ));
    }
    for m in model.mappings.iter().filter(|m| m.stream == Some(si)) {
        let Some(f) = m.function.get() else { continue };
        let label = crate::observed::function_label(f);
        if let Some(a) = observed.functions.get(label)
            && !ages.iter().any(|(l, _)| l.ends_with(&format!("`{label}`")))
        {
            ages.push((
                format!("Lambda IteratorAge of `{label}`"),
                downsample(&a.0.points),
            ));
        }
    }
    if so.incoming_records.is_none()
        && so.write_throttled.is_none()
        && ages.is_empty()
        && so.shard_records.is_empty()
    {
        return None;
    }
    let period = so
        .incoming_records
        .or(so.write_throttled)
        .map_or(60, |s| s.0.period_s.max(1));
    let write_rate = so
        .incoming_records
        .map(|s| {
            let per_s: Vec<(i64, f64)> =
                s.0.points
                    .iter()
                    .map(|&(t, v)| (t, v / s.0.period_s.max(1) as f64))
                    .collect();
            downsample(&per_s)
        })
        .unwrap_or_default();
    let throttled: Vec<(i64, f64)> = so
        .write_throttled
        .map(|s| s.nonzero().copied().collect())
        .unwrap_or_default();
    let open_shards = match stream.effective_mode() {
        Some(StreamMode::Provisioned) => stream
            .open_shard_count()
            .filter(|&n| n > 0)
            .map(|n| n as usize),
        _ => None,
    };
    let capacity_per_s = open_shards.map(|n| n as f64 * SHARD_WRITE_RECORDS_PER_S);
    let peak_write_rate = write_rate.iter().map(|p| p.1).reduce(f64::max);
    // Shards in hash order when the shard list is known, else by id.
    let mut shard_peaks: Vec<(String, f64)> = so
        .shard_records
        .iter()
        .map(|(id, s)| {
            (
                id.clone(),
                s.peak().map_or(0.0, |p| p.1) / s.0.period_s.max(1) as f64,
            )
        })
        .collect();
    if let Some(list) = &stream.shards {
        let pos = |id: &str| {
            list.iter()
                .find(|r| r.shard_id == id)
                .map(|r| r.starting_hash_key)
        };
        shard_peaks.sort_by_key(|(id, _)| (pos(id).is_none(), pos(id), id.clone()));
    }
    let max_age_ms = ages
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.1))
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    Some(ObservedView {
        period_s: period,
        write_rate,
        capacity_per_s,
        open_shards,
        peak_write_rate,
        throttled_records: throttled.iter().map(|p| p.1).sum(),
        throttled,
        shard_peaks,
        ages,
        max_age_ms,
        window,
    })
}

/// The busiest shard against 1,000 records/s: observed per-period peaks, else sampled per-second
/// peaks (or mean rates), else the static prediction at the configured rate.
fn peak_utilisation(v: &StreamView) -> Option<Utilisation> {
    let (value, basis) = peak_fraction(v)?;
    let at_least = basis == Basis::AtLeast;
    let level = if value > 1.0 {
        Level::Over
    } else if value >= 0.8 {
        Level::Near
    } else {
        Level::Ok
    };
    Some(Utilisation {
        value,
        basis,
        level,
        at_least,
    })
}

fn peak_fraction(v: &StreamView) -> Option<(f64, Basis)> {
    let max = |it: &mut dyn Iterator<Item = f64>| {
        it.fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
    };
    if let Some(o) = &v.observed
        && let Some(p) = max(&mut o.shard_peaks.iter().map(|x| x.1))
    {
        return Some((p / SHARD_WRITE_RECORDS_PER_S, Basis::Observed));
    }
    if let Some(d) = &v.distribution {
        let peaks = max(&mut d
            .shards
            .iter()
            .filter_map(|s| s.peak_per_s.as_ref().map(|p| p.0 as f64)));
        let rates = max(&mut d.shards.iter().filter_map(|s| s.records_per_s));
        if let Some(p) = peaks.or(rates) {
            return Some((p / SHARD_WRITE_RECORDS_PER_S, Basis::Samples));
        }
    }
    let top_share = v
        .prediction
        .as_ref()
        .and_then(|p| p.shares.as_ref())
        .and_then(|sh| max(&mut sh.iter().copied()));
    let observed_peak = v
        .observed
        .as_ref()
        .and_then(|o| max(&mut o.write_rate.iter().map(|p| p.1)));
    // The observed stream rate placed by the predicted spread (a constant key: all of it on
    // one shard).
    if let (Some(top), Some(rate)) = (top_share, observed_peak) {
        return Some((top * rate / SHARD_WRITE_RECORDS_PER_S, Basis::Placed));
    }
    if let (Some(top), Some(rate)) = (top_share, v.expected_records_per_s) {
        return Some((top * rate / SHARD_WRITE_RECORDS_PER_S, Basis::Predicted));
    }
    if let (Some(rate), Some(cap)) = (
        observed_peak,
        v.observed.as_ref().and_then(|o| o.capacity_per_s),
    ) {
        return Some((rate / cap, Basis::AtLeast));
    }
    None
}

/// Gives each finding to the first stream whose resources contain its span or one of its related
/// spans (the stream, its shard list, the IoT actions and producers writing to it, the mappings
/// reading it, its metric series); returns the findings no stream claims.
fn attribute(
    report: &Report,
    observed: &crate::observed::Observed,
    streams: &mut [StreamView],
) -> Vec<usize> {
    let model = &report.model;
    // Per file: (span, stream) pairs.
    let mut anchors: std::collections::HashMap<crate::source::FileId, Vec<(Span, usize)>> =
        Default::default();
    let mut add = |sp: Span, si: usize| anchors.entry(sp.file).or_default().push((sp, si));
    for (si, s) in model.streams.iter().enumerate() {
        add(s.origin.span, si);
        if let Some(sp) = s.shards_span {
            add(sp, si);
        }
        if let Some(so) = observed.streams.get(si) {
            for x in [
                so.incoming_records,
                so.incoming_bytes,
                so.write_throttled,
                so.read_throttled,
                so.iterator_age,
            ]
            .into_iter()
            .flatten()
            .chain(so.shard_records.values().copied())
            .chain(so.shard_throttled.values().copied())
            {
                add(x.0.span, si);
            }
        }
    }
    for rule in &model.rules {
        let targets: Vec<usize> = rule.actions.iter().filter_map(|a| a.stream).collect();
        for a in &rule.actions {
            if let Some(si) = a.stream {
                add(a.span, si);
            }
        }
        // A rule with one target stream: its SQL and settings are that stream's business too.
        if let Some(&si) = targets.first()
            && targets.iter().all(|&t| t == si)
        {
            add(rule.origin.span, si);
        }
    }
    for p in &model.producers {
        if let Some(si) = p.stream {
            add(p.origin.span, si);
        }
    }
    for m in &model.mappings {
        if let Some(si) = m.stream {
            add(m.origin.span, si);
            if let Some(s) = m
                .function
                .get()
                .and_then(|f| observed.functions.get(crate::observed::function_label(f)))
            {
                add(s.0.span, si);
            }
        }
    }
    let within = |outer: &Span, inner: &Span| outer.start <= inner.start && inner.end <= outer.end;
    let owner = |sp: &Span| {
        anchors
            .get(&sp.file)?
            .iter()
            .filter(|(a, _)| within(a, sp))
            // The innermost resource containing the span.
            .min_by_key(|(a, _)| a.end - a.start)
            .map(|x| x.1)
    };
    let mut others = Vec::new();
    for (fi, f) in report.findings.iter().enumerate() {
        let si = owner(&f.span).or_else(|| f.related.iter().find_map(|r| owner(&r.span)));
        match si {
            Some(si) => {
                let v = &mut streams[si];
                v.findings.push(fi);
                match f.severity {
                    crate::diagnostic::Severity::Error => v.errors += 1,
                    crate::diagnostic::Severity::Warning => v.warnings += 1,
                    _ => v.infos += 1,
                }
            }
            None => others.push(fi),
        }
    }
    others
}

/// The sampled load of stream `si`, summed over the Kinesis actions that write to it.
fn measured(report: &Report, si: usize, t: &Thresholds) -> Option<StreamDistribution> {
    let parts: Vec<_> = report.samples.iter().filter(|s| s.stream == si).collect();
    let first = parts.first()?;
    let mut shards: Vec<ShardLoad> = first
        .report
        .shards
        .iter()
        .map(|sh| ShardLoad {
            shard_id: sh.shard_id.to_string(),
            start: sh.starting_hash_key,
            end: sh.ending_hash_key,
            records: 0,
            records_per_s: None,
            bytes_per_s: None,
            peak_per_s: None,
        })
        .collect();
    let mut hot_keys = Vec::new();
    let mut groups = Vec::new();
    let mut total = 0;
    // Each producer's own decisions, as its SL401/SL402 findings make them.
    let mut hot_shard = None;
    let mut hot_key_names = std::collections::HashSet::new();
    for p in &parts {
        total += p.report.input.keyed_records;
        if hot_shard.is_none() {
            hot_shard = hot::hot_shard(&p.report, t.hot_shard_share).map(|h| h.shard_id);
        }
        for k in hot::hot_keys(&p.report, t.hot_key_share) {
            hot_key_names.insert((k.key, k.shard_id));
        }
        for (dst, src) in shards.iter_mut().zip(&p.report.shards) {
            dst.records += src.records;
            if let Some(r) = src.records_per_s {
                *dst.records_per_s.get_or_insert(0.0) += r;
            }
            if let Some(b) = src.bytes_per_s {
                *dst.bytes_per_s.get_or_insert(0.0) += b;
            }
            if let Some(w) = &src.per_second
                && first.stream_load.is_none()
            {
                dst.peak_per_s = Some((w.peak_records, w.peak_records_at.clone()));
            }
        }
        for k in &p.report.hot_keys {
            hot_keys.push(HotKey {
                key: k.key.clone(),
                records: k.count,
                share: 0.0,
                shard_id: k.shard_id.clone(),
                hot: false,
            });
        }
        for sg in &p.report.groups {
            for g in &sg.groups {
                groups.push(OrderingGroup {
                    shard_id: sg.shard_id.clone(),
                    group: g.group,
                    keys: g.top_keys.iter().map(|k| k.key.clone()).collect(),
                    records: g.records,
                });
            }
        }
    }
    // Several producers: their records add up only in the seconds they share, so the shard's
    // peak is the one counted over all of them together, not the sum of their own peaks.
    if let Some(load) = &first.stream_load {
        for (dst, w) in shards.iter_mut().zip(&load.shards) {
            dst.peak_per_s = w
                .as_ref()
                .map(|w| (w.peak_records, w.peak_records_at.clone()));
        }
    }
    for k in &mut hot_keys {
        k.share = k.records as f64 / total.max(1) as f64;
        k.hot = hot_key_names.contains(&(k.key.clone(), k.shard_id.clone()));
    }
    hot_keys.sort_by(|a, b| b.records.cmp(&a.records).then(a.key.cmp(&b.key)));
    hot_keys.truncate(10);
    let files: Vec<&str> = first
        .report
        .input
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    Some(StreamDistribution {
        source: format!(
            "{}, {} records from {} rule{}",
            files.join(", "),
            total,
            parts.len(),
            if parts.len() == 1 { "" } else { "s" }
        ),
        total_records: total,
        shards,
        hot_keys,
        groups,
        hot_shard,
    })
}

fn predict(
    classes: &[(&KeyClass, &str)],
    keyspace: &[KeyRange],
    markers: &[KeyMarker],
) -> Option<Prediction> {
    if classes.is_empty() {
        return Some(Prediction {
            text: "No producer of this stream in the inputs.".into(),
            shares: None,
        });
    }
    let all_const = classes
        .iter()
        .all(|(c, _)| matches!(c, KeyClass::Constant { value: Some(_) }));
    if all_const && !keyspace.is_empty() {
        if markers.len() == 1 {
            let m = &markers[0];
            let shares = keyspace
                .iter()
                .map(|k| if k.shard_id == m.shard_id { 1.0 } else { 0.0 })
                .collect();
            return Some(Prediction {
                text: format!(
                    "Static prediction: the partition key `{}` is a constant, so 100% of records go to one shard, {}, and {} of {} shards stay idle.",
                    m.label,
                    m.shard_id,
                    keyspace.len() - 1,
                    keyspace.len()
                ),
                shares: Some(shares),
            });
        }
        let mut used: Vec<&str> = markers.iter().map(|m| m.shard_id.as_str()).collect();
        used.sort();
        used.dedup();
        return Some(Prediction {
            text: format!(
                "Static prediction: {}; every record goes to {} ({}).",
                crate::numbers::plural(
                    markers.len() as u64,
                    "constant partition key",
                    "constant partition keys"
                ),
                if used.len() == 1 {
                    "one shard".to_string()
                } else {
                    format!("one of {} shards", used.len())
                },
                used.join(", ")
            ),
            shares: None,
        });
    }
    if classes
        .iter()
        .all(|(c, _)| matches!(c, KeyClass::Random { .. }))
        && !keyspace.is_empty()
    {
        let shares = keyspace
            .iter()
            .map(|k| ((k.end - k.start) as f64 + 1.0) / (MAX_HASH as f64 + 1.0))
            .collect();
        return Some(Prediction {
            text: format!(
                "Static prediction: random partition keys (`{}`) spread records in proportion to each shard's hash range.",
                classes[0].1
            ),
            shares: Some(shares),
        });
    }
    let keys: Vec<String> = classes.iter().map(|(_, k)| format!("`{k}`")).collect();
    Some(Prediction {
        text: format!(
            "The partition key ({}) varies per record: how records spread depends on the key values. Pass samples to measure it.",
            keys.join(", ")
        ),
        shares: None,
    })
}
