//! A self-contained HTML audit report: inline CSS and inline SVG, no script, no external fetch.
//! It leads with the worst: a header saying what the export is of (account, regions, export time,
//! metrics window, what could not be read), a ranked overview of every stream (errors, observed
//! throttling, peak shard utilisation, max IteratorAge, producers, consumers; worst first, linked),
//! then one card per stream with something to say: time series of the observed write rate against
//! the stream's capacity and of IteratorAge, per-shard charts (observed per-minute peaks, sampled
//! per-second peaks, or the static prediction; sorted top shards plus a heat strip of all of them
//! when there are too many for bars), the keyspace, hot keys and ordering groups, the consumer
//! settings, then the stream's findings. Quiet streams of a large account are one line each in a
//! `<details>`, so 5,000 streams stay a few MB.
//!
//! The renderer takes an [`HtmlInput`], the report's view model: [`HtmlInput::from_report`] fills
//! it from the model, the analysis, the observed metrics and the samples; nothing below it
//! computes a number the view model did not carry.

use std::fmt::Write as _;

use crate::Report;
use crate::config::Config;
use crate::keyspace::{MAX_HASH, hash_key};
use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
use crate::model::{ExportInfo, StreamMode};
use crate::source::Span;
use crate::template::KeyClass;

/// Above this many streams, streams with nothing to say get one line instead of a card.
pub const FULL_CARDS_UP_TO: usize = 50;
/// Above this many shards a per-shard chart shows the busiest shards sorted, one bar for the
/// others, and a heat strip of every shard in hash order (200 bars of 1 px say nothing).
pub const MAX_BARS: usize = 40;
const TOP_BARS: usize = 19;
/// Overview rows shown open; the rest of the ranking is one click away.
pub const OVERVIEW_ROWS: usize = 100;

/// Everything the report shows beyond the findings.
#[derive(Clone, Debug, Default)]
pub struct HtmlInput {
    pub streams: Vec<StreamView>,
    /// The manifests of the exports read (`shardlint export`): account, regions, window.
    pub exports: Vec<ExportInfo>,
    /// Indexes into `streams`, worst first (see [`rank`]).
    pub ranking: Vec<usize>,
    /// Indexes into `report.findings` that belong to no stream.
    pub other_findings: Vec<usize>,
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
    /// The busiest shard's peak against the per-shard write limit (1.0 = at the limit), and
    /// where that figure comes from.
    pub peak_utilisation: Option<(f64, Basis)>,
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

impl Basis {
    fn label(self) -> &'static str {
        match self {
            Basis::Observed => "observed",
            Basis::AtLeast => "observed mean",
            Basis::Placed => "observed × predicted",
            Basis::Samples => "samples",
            Basis::Predicted => "predicted",
        }
    }
}

/// What the export's CloudWatch metrics say about one stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedView {
    pub period_s: i64,
    /// (Unix seconds, accepted records/s averaged over the period).
    pub write_rate: Vec<(i64, f64)>,
    /// Open shards × 1,000 records/s (provisioned streams).
    pub capacity_per_s: Option<f64>,
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
                .is_some_and(|(u, b)| u > 1.0 && b != Basis::AtLeast)
    }
}

/// Worst first: errors, then observed throttling (records rejected), peak shard utilisation,
/// max IteratorAge, warnings, infos; ties by name. Returns indexes into `streams`.
pub fn rank(streams: &[StreamView]) -> Vec<usize> {
    let key = |v: &StreamView| {
        (
            v.errors,
            v.observed.as_ref().map_or(0.0, |o| o.throttled_records),
            v.peak_utilisation.map_or(0.0, |p| p.0),
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

impl HtmlInput {
    /// The view model of `report`, with the expected rates of `config`.
    pub fn from_report(report: &Report, config: &Config) -> HtmlInput {
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
                            shard_id: o.shard_id.clone(),
                            start: o.start,
                            end: o.end,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mode = match (s.effective_mode(), s.open_shard_count()) {
                (Some(StreamMode::OnDemand), _) => "on-demand".to_string(),
                (_, Some(n)) => format!(
                    "provisioned, {n} open shard{}",
                    if n == 1 { "" } else { "s" }
                ),
                _ => "provisioned, shard count unknown".to_string(),
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
                        shard_id: map.shard_for_key(v).shard_id.clone(),
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
            let mut v = StreamView {
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
                keyspace,
                key_markers,
                prediction,
                expected_records_per_s: rate.and_then(|r| r.records_per_second),
                expected_bytes_per_s: rate.and_then(|r| r.bytes_per_second),
                distribution: measured(report, si),
                observed: observed_view(model, &observed, si),
                producers,
                consumers,
                ..StreamView::default()
            };
            v.peak_utilisation = peak_utilisation(&v);
            streams.push(v);
        }
        let other_findings = attribute(report, &observed, &mut streams);
        let ranking = rank(&streams);
        HtmlInput {
            streams,
            exports: model.exports.clone(),
            ranking,
            other_findings,
        }
    }
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
    let capacity_per_s = match stream.effective_mode() {
        Some(StreamMode::Provisioned) => stream
            .open_shard_count()
            .filter(|&n| n > 0)
            .map(|n| n as f64 * SHARD_WRITE_RECORDS_PER_S),
        _ => None,
    };
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
fn peak_utilisation(v: &StreamView) -> Option<(f64, Basis)> {
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
fn measured(report: &Report, si: usize) -> Option<StreamDistribution> {
    let parts: Vec<_> = report.samples.iter().filter(|s| s.stream == si).collect();
    let first = parts.first()?;
    let mut shards: Vec<ShardLoad> = first
        .report
        .shards
        .iter()
        .map(|sh| ShardLoad {
            shard_id: sh.shard_id.clone(),
            start: sh.starting_hash_key.parse().unwrap_or(0),
            end: sh.ending_hash_key.parse().unwrap_or(0),
            records: 0,
            records_per_s: None,
            bytes_per_s: None,
            peak_per_s: None,
        })
        .collect();
    let mut hot_keys = Vec::new();
    let mut groups = Vec::new();
    let mut total = 0;
    for p in &parts {
        total += p.report.input.keyed_records;
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

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(super::visible_char(c).unwrap_or(c)),
        }
    }
    out
}

/// `text with `code`` → escaped HTML with `<code>` spans.
fn rich(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

fn thousands(n: f64) -> String {
    crate::numbers::thousands_f(n)
}

/// The last digits of a shard id (`shardId-000000000003` → `3`) for axis labels.
fn short_id(id: &str) -> String {
    let digits: String = id
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let digits: String = digits.chars().rev().collect();
    match digits.trim_start_matches('0') {
        "" if !digits.is_empty() => "0".into(),
        "" => id.to_string(),
        d => d.to_string(),
    }
}

/// One bar chart: a bar per shard, an optional limit line.
struct Chart<'a> {
    class: &'a str,
    title: String,
    /// (shard id, value), in hash order.
    bars: Vec<(String, f64)>,
    /// Formats a value for labels.
    fmt: &'a dyn Fn(f64) -> String,
    /// The unit ticks are round in (1 for records, 1 MiB for bytes): 0.25 MiB, not 0.24.
    unit: f64,
    /// (value, label) of a limit line.
    limit: Option<(f64, String)>,
    /// A fixed top of the y axis (100% for shares).
    y_max: Option<f64>,
    /// Bars at or above this value are drawn as hot (shares only).
    hot: Option<f64>,
}

const CHART_W: f64 = 1000.0;
const CHART_H: f64 = 260.0;

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 0.25;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&m| f <= m + 1e-9)
        .unwrap_or(10.0);
    m * mag
}

/// The top of a y axis with four round steps (in `unit`s) and some headroom over `max`.
fn axis_top(max: f64, unit: f64) -> f64 {
    let unit = if unit > 0.0 { unit } else { 1.0 };
    let top = nice_step(max / unit * 1.1 / 4.0) * 4.0 * unit;
    if top > 0.0 { top } else { unit }
}

/// The y of a limit label: above its line, or below it when above would reach the title row.
fn label_y(line_y: f64, top: f64) -> f64 {
    if line_y - 6.0 < top + 12.0 {
        line_y + 15.0
    } else {
        line_y - 6.0
    }
}

fn chart(c: &Chart) -> String {
    let (left, right, top, bottom) = (72.0, 16.0, 34.0, 40.0);
    let plot_w = CHART_W - left - right;
    let plot_h = CHART_H - top - bottom;
    // Too many shards for bars: the busiest sorted, one bar for the rest, and a heat strip.
    let many = c.bars.len() > MAX_BARS;
    let bars: Vec<(String, f64)> = if many {
        let mut sorted = c.bars.clone();
        sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let rest = sorted.split_off(TOP_BARS);
        let rest_max = rest.iter().map(|b| b.1).fold(0.0f64, f64::max);
        sorted.push((format!("{} others", rest.len()), rest_max));
        sorted
    } else {
        c.bars.clone()
    };
    let data_max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
    let mut y_max = c.y_max.unwrap_or(data_max);
    if let Some((l, _)) = &c.limit {
        y_max = y_max.max(*l);
    }
    if c.y_max.is_none() {
        y_max = axis_top(y_max, c.unit);
    }
    if y_max <= 0.0 {
        y_max = 1.0;
    }
    let y = |v: f64| top + plot_h - (v / y_max).min(1.0) * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart {}" viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{}">"#,
        c.class,
        esc(&c.title)
    );
    let title = if many {
        format!(
            "{} — busiest {TOP_BARS} of {} shards, sorted",
            c.title,
            c.bars.len()
        )
    } else {
        c.title.clone()
    };
    let _ = write!(
        s,
        r#"<text class="chart-title" x="{left}" y="20">{}</text>"#,
        esc(&title)
    );
    // Grid: 4 steps.
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left - 8.0,
            yy + 4.0,
            esc(&(c.fmt)(v))
        );
    }
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.72).max(1.0);
    let label_every = (bars.len() / 32).max(1);
    for (i, (id, v)) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let yy = y(*v);
        let h = top + plot_h - yy;
        let over = c.limit.as_ref().is_some_and(|(l, _)| v > l);
        // Within 5% of the limit: a shard accepted at its limit is throttling the rest.
        let hot = (c.hot.is_some_and(|t| *v >= t) && bars.len() > 1)
            || c.limit.as_ref().is_some_and(|(l, _)| *v >= 0.95 * l);
        let others = many && i == bars.len() - 1;
        let cls = if over {
            "bar over"
        } else if hot {
            "bar hot"
        } else if others {
            "bar others"
        } else {
            "bar"
        };
        let tip = if others {
            format!("{id}: at most {}", (c.fmt)(*v))
        } else {
            format!("{id}: {}", (c.fmt)(*v))
        };
        let _ = write!(
            s,
            r#"<rect class="{cls}" data-shard="{}" x="{x:.1}" y="{yy:.1}" width="{bar_w:.1}" height="{:.1}"><title>{}</title></rect>"#,
            esc(id),
            h.max(0.0),
            esc(&tip)
        );
        if bars.len() <= 32 && *v > 0.0 {
            let _ = write!(
                s,
                r#"<text class="value" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                yy - 6.0,
                esc(&(c.fmt)(*v))
            );
        }
        if i % label_every == 0 {
            let label = if others { id.clone() } else { short_id(id) };
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                top + plot_h + 16.0,
                esc(&label)
            );
        }
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="middle">shard</text>"#,
        left + plot_w,
        top + plot_h,
        top + plot_h,
        left + plot_w / 2.0,
        top + plot_h + 34.0
    );
    if let Some((l, label)) = &c.limit {
        let yy = y(*l);
        let _ = write!(
            s,
            r#"<line class="limit" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="limit-label" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left + plot_w - 4.0,
            label_y(yy, top),
            esc(label)
        );
    }
    s.push_str("</svg>");
    if many {
        s.push_str(&heat_strip(c));
    }
    s
}

/// Every shard in hash order as one cell, darker with load, red over the limit: where in the
/// keyspace the load sits, at any shard count.
fn heat_strip(c: &Chart) -> String {
    let busiest = c
        .bars
        .iter()
        .map(|b| b.1)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let (left, right, top, h) = (72.0, 16.0, 22.0, 26.0);
    let w = CHART_W - left - right;
    let total_h = top + h + 20.0;
    let n = c.bars.len().max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="heat {}" viewBox="0 0 {CHART_W} {total_h}" role="img" aria-label="{} (every shard in hash order)"><text class="tick" x="{left}" y="14">Every shard in hash order (darker = busier, red = over the limit)</text>"#,
        c.class,
        esc(&c.title)
    );
    for (i, (id, v)) in c.bars.iter().enumerate() {
        let x = left + w * i as f64 / n;
        let over = c.limit.as_ref().is_some_and(|(l, _)| v > l);
        let fill = if over {
            "#e8590c".to_string()
        } else {
            // Light to dark blue by value over the busiest shard's.
            let t = (v / busiest).clamp(0.0, 1.0);
            let l = 94.0 - t * 62.0;
            format!("hsl(217,80%,{l:.0}%)")
        };
        let _ = write!(
            s,
            r#"<rect x="{x:.2}" y="{top}" width="{:.2}" height="{h}" fill="{fill}"><title>{}: {}</title></rect>"#,
            (w / n).max(0.5),
            esc(id),
            esc(&(c.fmt)(*v))
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{left}" y="{:.1}">{}</text><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text></svg>"#,
        top + h + 14.0,
        esc(&c.bars.first().map(|b| short_id(&b.0)).unwrap_or_default()),
        left + w,
        top + h + 14.0,
        esc(&c.bars.last().map(|b| short_id(&b.0)).unwrap_or_default())
    );
    s
}

/// A line chart over time: one or more series, an optional horizontal limit (capacity) and
/// marked periods (throttling) along the bottom.
struct TimeChart<'a> {
    class: &'a str,
    title: String,
    series: Vec<Line<'a>>,
    fmt: &'a dyn Fn(f64) -> String,
    unit: f64,
    limit: Option<(f64, String)>,
    /// (Unix seconds, value): periods drawn as red ticks under the plot, with a legend.
    marks: Option<(&'a [(i64, f64)], String)>,
    window: (i64, i64),
}

/// One series of a [`TimeChart`]: legend, CSS class, points (Unix seconds, value).
struct Line<'a>(String, &'a str, &'a [(i64, f64)]);

/// Hour-and-minute ticks on a round interval for the window's length.
fn time_ticks(from: i64, to: i64) -> Vec<i64> {
    let span = (to - from).max(60);
    let step = [
        60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    ]
    .into_iter()
    .find(|&st| span / st <= 8)
    .unwrap_or(604800);
    let first = (from + step - 1).div_euclid(step) * step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= to)
        .collect()
}

fn timechart(c: &TimeChart) -> String {
    let (left, right, top, bottom) = (72.0, 16.0, 46.0, 36.0);
    let plot_w = CHART_W - left - right;
    let plot_h = 200.0 - top - bottom;
    let (from, to) = (c.window.0, c.window.1.max(c.window.0 + 1));
    let mut max = c
        .series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    if let Some((l, _)) = &c.limit {
        max = max.max(*l);
    }
    let y_max = axis_top(max, c.unit);
    let x = |t: i64| left + (t - from) as f64 / (to - from) as f64 * plot_w;
    let y = |v: f64| top + plot_h - (v / y_max).clamp(0.0, 1.0) * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="timechart {}" viewBox="0 0 {CHART_W} 200" role="img" aria-label="{}"><text class="chart-title" x="{left}" y="18">{}</text>"#,
        c.class,
        esc(&c.title),
        esc(&c.title)
    );
    // Legend: its own row under the title, so neither covers the other.
    let mut lx = left;
    for Line(label, class, _) in &c.series {
        let _ = write!(
            s,
            r#"<line class="ts {class}" x1="{lx}" x2="{}" y1="32" y2="32"/><text class="tick" x="{}" y="36">{}</text>"#,
            lx + 18.0,
            lx + 22.0,
            esc(label)
        );
        lx += 34.0 + label.chars().count() as f64 * 6.2;
    }
    if let Some((_, label)) = &c.marks {
        let _ = write!(
            s,
            r#"<rect class="mark" x="{lx}" y="27" width="8" height="10"/><text class="tick" x="{}" y="36">{}</text>"#,
            lx + 12.0,
            esc(label)
        );
    }
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left - 8.0,
            yy + 4.0,
            esc(&(c.fmt)(v))
        );
    }
    for t in time_ticks(from, to) {
        let xx = x(t);
        let iso = crate::observed::iso(t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{xx:.1}" x2="{xx:.1}" y1="{top}" y2="{:.1}"/><text class="tick" x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            top + plot_h,
            top + plot_h + 16.0,
            &iso[11..16]
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{}" y="{:.1}" text-anchor="end">UTC, {} to {}</text>"#,
        left + plot_w,
        top + plot_h + 32.0,
        esc(&crate::observed::minute(from)),
        esc(&crate::observed::minute(to))
    );
    if let Some((marks, _)) = &c.marks {
        let w = (plot_w / ((to - from) as f64 / 60.0).max(1.0)).max(2.0);
        for (t, v) in marks.iter() {
            let _ = write!(
                s,
                r#"<rect class="mark" x="{:.1}" y="{:.1}" width="{w:.1}" height="6"><title>{}: {} rejected</title></rect>"#,
                x(*t),
                top + plot_h - 6.0,
                esc(&crate::observed::minute(*t)),
                esc(&thousands(*v))
            );
        }
    }
    for Line(label, class, points) in &c.series {
        let mut d = String::new();
        for (i, (t, v)) in points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { " L" },
                x(*t),
                y(*v)
            );
        }
        let _ = write!(
            s,
            r#"<path class="ts {class}" d="{d}"><title>{}</title></path>"#,
            esc(label)
        );
    }
    if let Some((l, label)) = &c.limit {
        let yy = y(*l);
        let _ = write!(
            s,
            r#"<line class="limit" x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="limit-label" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left + plot_w,
            left + plot_w - 4.0,
            label_y(yy, top),
            esc(label)
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/></svg>"#,
        left + plot_w,
        top + plot_h,
        top + plot_h
    );
    s
}

fn keyspace_strip(ranges: &[KeyRange], markers: &[KeyMarker]) -> String {
    let (left, right) = (12.0, 12.0);
    let w = CHART_W - left - right;
    let (top, h) = if markers.is_empty() {
        (8.0, 34.0)
    } else {
        (30.0, 34.0)
    };
    let total_h = top + h + 24.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="keyspace" viewBox="0 0 {CHART_W} {total_h}" role="img" aria-label="hash key ranges of the open shards">"#
    );
    let frac = |v: u128| (v as f64) / (MAX_HASH as f64);
    for (i, r) in ranges.iter().enumerate() {
        let x0 = left + frac(r.start) * w;
        let x1 = left + frac(r.end) * w;
        let share = ((r.end - r.start) as f64 + 1.0) / (MAX_HASH as f64 + 1.0);
        let _ = write!(
            s,
            r#"<rect class="range r{}" x="{x0:.1}" y="{top}" width="{:.1}" height="{h}"><title>{}: {:.1}% of the hash space</title></rect>"#,
            i % 2,
            (x1 - x0).max(0.5),
            esc(&r.shard_id),
            share * 100.0
        );
        if x1 - x0 > 22.0 {
            let _ = write!(
                s,
                r#"<text class="range-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                (x0 + x1) / 2.0,
                top + h / 2.0 + 4.0,
                esc(&short_id(&r.shard_id))
            );
        }
    }
    for m in markers {
        let x = left + frac(m.hash) * w;
        let _ = write!(
            s,
            r#"<path class="marker" d="M{:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z"/><line class="marker-line" x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}"/><text class="marker-label" x="{x:.1}" y="14" text-anchor="{}">key {} → {}</text>"#,
            x - 6.0,
            top - 10.0,
            x + 6.0,
            top - 10.0,
            x,
            top - 1.0,
            top,
            top + h,
            if x > CHART_W * 0.7 {
                "end"
            } else if x < CHART_W * 0.3 {
                "start"
            } else {
                "middle"
            },
            esc(&format!("\"{}\"", m.label)),
            esc(&m.shard_id)
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{left}" y="{:.1}">0</text><text class="tick" x="{}" y="{:.1}" text-anchor="end">2¹²⁸ − 1</text><text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">MD5(partition key)</text>"#,
        top + h + 16.0,
        left + w,
        top + h + 16.0,
        left + w / 2.0,
        top + h + 16.0
    );
    s.push_str("</svg>");
    s
}

fn pct(v: f64) -> String {
    crate::numbers::pct_short(v)
}

fn per_s(v: f64) -> String {
    format!("{}/s", thousands(v))
}

/// `0.25 MiB/s`, `1 MiB/s`, `0.125 MiB/s`: as many decimals as the value needs, up to three.
fn mib_per_s(v: f64) -> String {
    let m = v / SHARD_WRITE_BYTES_PER_S;
    let t = format!("{m:.3}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    format!("{t} MiB/s")
}

fn ms(v: f64) -> String {
    crate::observed::duration_ms(v)
}

/// Axis ticks of an age: `20 min`, `1 h 20 min`, `2 h`, else as [`ms`].
fn age_tick(v: f64) -> String {
    let m = (v / 60_000.0).round() as u64;
    if v >= 60_000.0 && (v - m as f64 * 60_000.0).abs() < 1.0 {
        return match (m / 60, m % 60) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        };
    }
    ms(v)
}

fn stream_section(report: &Report, v: &StreamView, hot_shard_share: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<section class="stream" id="{}"><h3>{} <span class="muted">{}{} · {} · {}</span> <a class="top" href="#overview">↑ overview</a></h3>"##,
        v.anchor,
        esc(&v.name),
        v.region
            .as_deref()
            .map(|r| format!("{} · ", esc(r)))
            .unwrap_or_default(),
        esc(&v.address),
        esc(&v.mode),
        esc(&v.location)
    );
    if let Some(o) = &v.observed {
        s.push_str(&observed_section(o));
    }
    // Charts.
    s.push_str(r#"<div class="subsection"><h4>Records per shard</h4>"#);
    let mut drew = false;
    if let Some(o) = v.observed.as_ref().filter(|o| !o.shard_peaks.is_empty()) {
        let _ = write!(
            s,
            r#"<p class="note">Observed: each shard's busiest {} of <code>IncomingRecords</code> (enhanced shard-level monitoring), as records/s.</p>"#,
            if o.period_s == 60 {
                "minute".to_string()
            } else {
                format!("{} s period", o.period_s)
            }
        );
        s.push_str(&chart(&Chart {
            class: "observed-shards",
            title: "Observed peak write rate per shard (records/s)".into(),
            bars: o.shard_peaks.clone(),
            fmt: &per_s,
            unit: 1.0,
            limit: Some((
                SHARD_WRITE_RECORDS_PER_S,
                "1,000 records/s per-shard write limit".into(),
            )),
            y_max: None,
            hot: None,
        }));
        drew = true;
    }
    if let Some(d) = &v.distribution {
        let _ = write!(
            s,
            r#"<p class="note">Measured from {} ({} records).</p>"#,
            esc(&d.source),
            thousands(d.total_records as f64)
        );
        let rates: Option<Vec<f64>> = d.shards.iter().map(|x| x.records_per_s).collect();
        match rates {
            Some(r) => s.push_str(&chart(&Chart {
                class: "records",
                title: "Write rate per shard (records/s)".into(),
                bars: d.shards.iter().map(|x| x.shard_id.clone()).zip(r).collect(),
                fmt: &per_s,
                unit: 1.0,
                limit: Some((
                    SHARD_WRITE_RECORDS_PER_S,
                    "1,000 records/s per-shard write limit".into(),
                )),
                y_max: None,
                hot: None,
            })),
            None => s.push_str(&chart(&Chart {
                class: "records",
                title: "Records per shard".into(),
                bars: d
                    .shards
                    .iter()
                    .map(|x| (x.shard_id.clone(), x.records as f64))
                    .collect(),
                fmt: &thousands,
                unit: 1.0,
                limit: None,
                y_max: None,
                hot: None,
            })),
        }
        let bytes: Option<Vec<f64>> = d.shards.iter().map(|x| x.bytes_per_s).collect();
        if let Some(b) = bytes {
            s.push_str(&chart(&Chart {
                class: "bytes",
                title: "Write throughput per shard (MiB/s)".into(),
                bars: d.shards.iter().map(|x| x.shard_id.clone()).zip(b).collect(),
                fmt: &mib_per_s,
                unit: SHARD_WRITE_BYTES_PER_S,
                limit: Some((
                    SHARD_WRITE_BYTES_PER_S,
                    "1 MiB/s per-shard write limit".into(),
                )),
                y_max: None,
                hot: None,
            }));
        }
        let peaks: Option<Vec<f64>> = d
            .shards
            .iter()
            .map(|x| x.peak_per_s.as_ref().map(|p| p.0 as f64))
            .collect();
        if let Some(p) = peaks {
            s.push_str(&chart(&Chart {
                class: "peaks",
                title: "Busiest second per shard (records in one second, from sample timestamps)"
                    .into(),
                bars: d.shards.iter().map(|x| x.shard_id.clone()).zip(p).collect(),
                fmt: &thousands,
                unit: 1.0,
                limit: Some((
                    SHARD_WRITE_RECORDS_PER_S,
                    "1,000 records/s per-shard write limit".into(),
                )),
                y_max: None,
                hot: None,
            }));
        }
        drew = true;
    } else if let Some(p) = v.prediction.as_ref().filter(|_| !drew) {
        // (An observed chart says more than a static prediction.)
        let _ = write!(s, r#"<p class="note">{}</p>"#, rich(&p.text));
        if let Some(shares) = &p.shares {
            let ids = v.keyspace.iter().map(|k| k.shard_id.clone());
            match v.expected_records_per_s {
                Some(rate) => s.push_str(&chart(&Chart {
                    class: "records",
                    title: format!(
                        "Predicted write rate per shard at the configured {} records/s",
                        thousands(rate)
                    ),
                    bars: ids.clone().zip(shares.iter().map(|x| x * rate)).collect(),
                    fmt: &per_s,
                    unit: 1.0,
                    limit: Some((
                        SHARD_WRITE_RECORDS_PER_S,
                        "1,000 records/s per-shard write limit".into(),
                    )),
                    y_max: None,
                    hot: None,
                })),
                None => s.push_str(&chart(&Chart {
                    class: "records",
                    title: "Predicted share of records per shard (no rate configured)".into(),
                    bars: ids.clone().zip(shares.iter().copied()).collect(),
                    fmt: &pct,
                    unit: 0.01,
                    limit: None,
                    y_max: Some(1.0),
                    hot: Some(hot_shard_share),
                })),
            }
            if let Some(bps) = v.expected_bytes_per_s {
                s.push_str(&chart(&Chart {
                    class: "bytes",
                    title: format!(
                        "Predicted throughput per shard at the configured {}",
                        mib_per_s(bps)
                    ),
                    bars: ids.zip(shares.iter().map(|x| x * bps)).collect(),
                    fmt: &mib_per_s,
                    unit: SHARD_WRITE_BYTES_PER_S,
                    limit: Some((
                        SHARD_WRITE_BYTES_PER_S,
                        "1 MiB/s per-shard write limit".into(),
                    )),
                    y_max: None,
                    hot: None,
                }));
            }
            drew = true;
        }
    }
    if !drew {
        s.push_str(r#"<p class="empty">No samples: per-shard load needs sampled records, or a constant or random key to predict from.</p>"#);
    }
    s.push_str("</div>");

    // Keyspace.
    s.push_str(r#"<div class="subsection"><h4>Keyspace of the open shards</h4>"#);
    if v.keyspace.is_empty() {
        s.push_str(r#"<p class="empty">Shard map unknown (on-demand stream, or shard count not known statically).</p>"#);
    } else {
        s.push_str(&keyspace_strip(&v.keyspace, &v.key_markers));
    }
    s.push_str("</div>");

    // Hot keys and ordering groups.
    s.push_str(r#"<div class="subsection two"><div><h4>Hot keys</h4>"#);
    match &v.distribution {
        Some(d) if !d.hot_keys.is_empty() => {
            s.push_str(r#"<table class="hot-keys"><thead><tr><th>Partition key</th><th>Records</th><th>Share</th><th>Shard</th></tr></thead><tbody>"#);
            for k in &d.hot_keys {
                let _ = write!(
                    s,
                    r#"<tr><td><code>{}</code></td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
                    esc(&k.key),
                    thousands(k.records as f64),
                    pct(k.share),
                    esc(&k.shard_id)
                );
            }
            s.push_str("</tbody></table>");
        }
        Some(_) => s.push_str(r#"<p class="empty">No key stands out in the samples.</p>"#),
        None => {
            if v.key_markers.len() == 1 {
                let _ = write!(
                    s,
                    r#"<table class="hot-keys"><thead><tr><th>Partition key</th><th>Records</th><th>Share</th><th>Shard</th></tr></thead><tbody><tr><td><code>{}</code></td><td class="num">all</td><td class="num">100%</td><td>{}</td></tr></tbody></table><p class="note">Static: the only key this stream receives.</p>"#,
                    esc(&v.key_markers[0].label),
                    esc(&v.key_markers[0].shard_id)
                );
            } else {
                s.push_str(r#"<p class="empty">No samples.</p>"#);
            }
        }
    }
    s.push_str(r#"</div><div><h4>Ordering groups</h4>"#);
    match &v.distribution {
        Some(d) if !d.groups.is_empty() => {
            s.push_str(r#"<table class="groups"><thead><tr><th>Shard</th><th>Group</th><th>Keys</th><th>Records</th></tr></thead><tbody>"#);
            for g in &d.groups {
                let mut keys: Vec<String> = g.keys.iter().take(8).map(|k| esc(k)).collect();
                if g.keys.len() > 8 {
                    keys.push(format!("… {} more", g.keys.len() - 8));
                }
                let _ = write!(
                    s,
                    r#"<tr><td>{}</td><td class="num">{}</td><td><code>{}</code></td><td class="num">{}</td></tr>"#,
                    esc(&g.shard_id),
                    g.group,
                    keys.join(", "),
                    thousands(g.records as f64)
                );
            }
            s.push_str("</tbody></table>");
        }
        _ => s.push_str(r#"<p class="empty">No samples.</p>"#),
    }
    s.push_str("</div></div>");
    s.push_str(&consumers_section(v));
    if !v.findings.is_empty() {
        let _ = write!(
            s,
            r#"<div class="subsection"><h4>Findings ({})</h4>"#,
            v.findings.len()
        );
        s.push_str(&findings_table(report, &v.findings));
        s.push_str("</div>");
    }
    s.push_str("</section>");
    s
}

/// The write rate against capacity, with throttled periods marked, and IteratorAge.
fn observed_section(o: &ObservedView) -> String {
    let mut s = String::from(r#"<div class="subsection"><h4>Observed (CloudWatch)</h4>"#);
    if !o.write_rate.is_empty() || !o.throttled.is_empty() {
        let limit = o.capacity_per_s.map(|c| {
            (
                c,
                format!(
                    "capacity {}/s ({} open shards × 1,000)",
                    thousands(c),
                    thousands(c / SHARD_WRITE_RECORDS_PER_S)
                ),
            )
        });
        let marks_label = format!(
            "throttled ({} records rejected in {} periods)",
            thousands(o.throttled_records),
            o.throttled.len()
        );
        s.push_str(&timechart(&TimeChart {
            class: "write-rate",
            title: "Write rate against the stream's capacity (records/s)".into(),
            series: vec![Line(
                "IncomingRecords per second".into(),
                "rate",
                o.write_rate.as_slice(),
            )],
            fmt: &per_s,
            unit: 1.0,
            limit,
            marks: (!o.throttled.is_empty()).then_some((o.throttled.as_slice(), marks_label)),
            window: o.window,
        }));
    }
    if !o.ages.is_empty() {
        let classes = ["age0", "age1", "age2", "age3"];
        let max = o.max_age_ms.unwrap_or(0.0);
        let unit = if max >= 120_000.0 { 60_000.0 } else { 1_000.0 };
        s.push_str(&timechart(&TimeChart {
            class: "iterator-age",
            title: "IteratorAge (how far behind the consumers read)".into(),
            series: o
                .ages
                .iter()
                .enumerate()
                .map(|(i, (l, p))| {
                    Line(l.replace('`', ""), classes[i % classes.len()], p.as_slice())
                })
                .collect(),
            fmt: &age_tick,
            unit,
            limit: None,
            marks: None,
            window: o.window,
        }));
    }
    s.push_str("</div>");
    s
}

fn consumers_section(v: &StreamView) -> String {
    let mut s = String::from(r#"<div class="subsection"><h4>Consumers</h4>"#);
    if v.consumers.is_empty() {
        s.push_str(
            r#"<p class="empty">No event source mapping reads this stream in the inputs.</p>"#,
        );
    } else {
        // One column per mapping, one row per setting: nine settings do not fit across.
        s.push_str(r#"<div class="scroll"><table class="consumers"><thead><tr><th>Setting</th>"#);
        for c in &v.consumers {
            let _ = write!(
                s,
                r#"<th><code>{}</code> <span class="muted">{}</span></th>"#,
                esc(&c.function),
                esc(&c.address)
            );
        }
        s.push_str("</tr></thead><tbody>");
        for (row, (name, _)) in v.consumers[0].settings.iter().enumerate() {
            let _ = write!(s, "<tr><td>{}</td>", esc(name));
            for c in &v.consumers {
                let _ = write!(
                    s,
                    "<td>{}</td>",
                    esc(c.settings.get(row).map_or("", |x| x.1.as_str()))
                );
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
    }
    if !v.producers.is_empty() {
        s.push_str(r#"<h4>Producers</h4><ul class="producers">"#);
        for p in &v.producers {
            let _ = write!(s, "<li>{}</li>", rich(p));
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>");
    s
}

fn findings_table(report: &Report, which: &[usize]) -> String {
    let db = &report.db;
    let mut h = String::from(
        r#"<table class="findings"><thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Finding</th></tr></thead><tbody>"#,
    );
    for &fi in which {
        let f = &report.findings[fi];
        let p = db.start(f.span);
        let url = Some(f.meta.doc_url());
        let rule = match url {
            Some(u) => format!(
                r#"<a href="{}"><b>{}</b></a><br><span class="muted">{}</span>"#,
                esc(&u),
                f.code,
                esc(f.rule)
            ),
            None => format!("<b>{}</b>", f.code),
        };
        let mut related = String::new();
        for r in &f.related {
            let rp = db.start(r.span);
            let _ = write!(
                related,
                r#"<p class="rel">↳ {} — <code>{}:{}:{}</code></p>"#,
                rich(&r.message),
                esc(&db.get(r.span.file).display_name()),
                rp.line,
                rp.column
            );
        }
        let sev = f.severity.as_str();
        let _ = write!(
            h,
            r#"<tr class="finding {sev}"><td><span class="sev {sev}">{sev}</span></td><td>{rule}</td><td><code>{}:{}:{}</code><br><span class="muted">{}</span></td><td class="msg"><p>{}</p><p class="help">Help: {}</p>{related}</td></tr>"#,
            esc(&db.get(f.span.file).display_name()),
            p.line,
            p.column,
            esc(&f.path),
            rich(&f.message),
            rich(&f.help)
        );
    }
    h.push_str("</tbody></table>");
    h
}

const CSS: &str = r#"
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#f6f8fa; --err:#cf222e; --warn:#bf8700; --info:#0969da; --bar:#4c8bf5; --hot:#e8590c; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color:var(--fg); background:#fff; }
main { max-width:1120px; margin:0 auto; padding:24px 32px 48px; }
header { border-bottom:1px solid var(--line); margin-bottom:20px; padding-bottom:12px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:19px; margin:28px 0 12px; } h3 { font-size:16px; margin:0 0 10px; } h4 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:14px 0 6px; }
.muted, .note { color:var(--muted); font-weight:normal; } .note { margin:4px 0 8px; } .empty { color:var(--muted); font-style:italic; margin:4px 0; }
code { font:12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:var(--bg); border:1px solid #eaeef2; border-radius:4px; padding:0 4px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; }
.card { border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:118px; background:#fff; }
.card .n { font-size:24px; font-weight:600; display:block; } .card .l { color:var(--muted); font-size:12px; }
.card.error .n { color:var(--err); } .card.warning .n { color:var(--warn); } .card.info .n { color:var(--info); }
.stream { content-visibility:auto; contain-intrinsic-size:auto 1400px; border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin:0 0 18px; }
.subsection.two { display:grid; grid-template-columns:1fr 1fr; gap:24px; }
svg { width:100%; height:auto; display:block; }
.chart-title { font-size:14px; font-weight:600; fill:var(--fg); }
.grid { stroke:#eaeef2; } .axis { stroke:#8c959f; } .tick { font-size:11px; fill:var(--muted); }
.bar { fill:var(--bar); } .bar.hot, .bar.over { fill:var(--hot); }
.value { font-size:11px; font-weight:600; fill:var(--fg); }
.limit { stroke:var(--err); stroke-width:2; stroke-dasharray:6 4; } .limit-label { font-size:12px; fill:var(--err); font-weight:600; }
.range.r0 { fill:#b6d4fe; } .range.r1 { fill:#8fbcf9; } .range { stroke:#fff; stroke-width:1; }
.range-label { font-size:11px; fill:#0b3d91; }
.marker { fill:var(--hot); } .marker-line { stroke:var(--hot); stroke-width:2; } .marker-label { font-size:12px; font-weight:600; fill:var(--hot); }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
th { background:var(--bg); font-weight:600; } td.num { text-align:right; font-variant-numeric:tabular-nums; }
.sev { display:inline-block; border-radius:10px; padding:0 8px; font-size:12px; font-weight:600; color:#fff; }
.sev.error { background:var(--err); } .sev.warning { background:var(--warn); } .sev.info { background:var(--info); }
.findings td.msg p { margin:0 0 4px; } .findings .help { color:var(--muted); } .findings .rel { color:var(--muted); font-size:12px; }
a { color:var(--info); text-decoration:none; }
footer { margin-top:32px; color:var(--muted); font-size:12px; }
.facts { display:flex; flex-wrap:wrap; gap:6px 28px; margin:8px 0; } .facts dt { color:var(--muted); font-size:12px; } .facts dd { margin:0; font-weight:600; }
.failures summary { color:var(--err); font-weight:600; cursor:pointer; } .ok { color:#1a7f37; margin:4px 0; }
#summary { margin-bottom:8px; }
table.overview td, table.overview th { padding:3px 8px; } table.overview td:nth-child(n+4), table.overview th:nth-child(n+4), table.overview td:first-child { text-align:right; font-variant-numeric:tabular-nums; }
table.overview tr.error td:nth-child(4) { color:var(--err); font-weight:600; } table.overview tr.warning td:nth-child(5) { color:var(--warn); font-weight:600; } table.overview i, details.quiet i { color:var(--muted); font-style:normal; }
.over { color:var(--err); font-weight:600; } .near { color:var(--warn); font-weight:600; }
a.top { font-size:12px; font-weight:normal; margin-left:8px; }
.bar.others { fill:#8c959f; }
.ts { fill:none; stroke-width:2; } .ts.rate { stroke:var(--bar); } .ts.age0 { stroke:#8250df; } .ts.age1 { stroke:#1a7f37; } .ts.age2 { stroke:#bf8700; } .ts.age3 { stroke:#0969da; }
.mark { fill:var(--err); }
details.quiet summary, details.more summary { cursor:pointer; font-weight:600; margin:8px 0; } details.quiet li { margin:2px 0; }
.scroll { overflow-x:auto; } table.consumers { font-size:12px; width:auto; } table.consumers td:first-child { color:var(--muted); } ul.producers { margin:4px 0; padding-left:20px; }
"#;

fn card(n: usize, label: &str, class: &str) -> String {
    format!(
        r#"<div class="card {class}"><span class="n">{}</span><span class="l">{label}</span></div>"#,
        thousands(n as f64)
    )
}

/// The header: what the export is of, or what was read.
fn header(report: &Report, input: &HtmlInput) -> String {
    let mut h = String::from(r#"<header><h1>shardlint audit report</h1>"#);
    if input.exports.is_empty() {
        let _ = write!(
            h,
            r#"<div class="muted">{} · shardlint {}</div>"#,
            esc(&super::human::summary_line(report)),
            env!("CARGO_PKG_VERSION")
        );
    } else {
        let join = |f: &dyn Fn(&ExportInfo) -> Vec<String>| {
            let mut v: Vec<String> = input.exports.iter().flat_map(f).collect();
            v.sort();
            v.dedup();
            if v.is_empty() {
                "unknown".to_string()
            } else {
                v.join(", ")
            }
        };
        let account = join(&|e| e.account.iter().cloned().collect());
        let regions = join(&|e| e.regions.clone());
        let at = join(&|e| e.exported_at.iter().cloned().collect());
        let window = join(&|e| match (&e.window_start, &e.window_end) {
            (Some(a), Some(b)) => vec![format!("{a} to {b}")],
            _ => Vec::new(),
        });
        let cli = join(&|e| {
            e.aws_cli_version
                .iter()
                .map(|v| v.split(' ').next().unwrap_or(v).to_string())
                .collect()
        });
        let _ = write!(
            h,
            r#"<dl class="facts"><div><dt>Account</dt><dd>{}</dd></div><div><dt>Regions</dt><dd>{}</dd></div><div><dt>Exported</dt><dd>{}</dd></div><div><dt>Metrics window</dt><dd>{}</dd></div><div><dt>AWS CLI</dt><dd>{}</dd></div></dl>"#,
            esc(&account),
            esc(&regions),
            esc(&at),
            esc(&window),
            esc(&cli)
        );
        let failures: Vec<&String> = input.exports.iter().flat_map(|e| &e.failures).collect();
        if failures.is_empty() {
            h.push_str(r#"<p class="ok">Every export call succeeded.</p>"#);
        } else {
            let _ = write!(
                h,
                r#"<details class="failures" open><summary>The export is partial: {} failed (see manifest.json)</summary><ul>"#,
                crate::numbers::plural(failures.len() as u64, "call", "calls")
            );
            for f in failures {
                let _ = write!(h, "<li><code>{}</code></li>", esc(f));
            }
            h.push_str("</ul></details>");
        }
        let _ = write!(
            h,
            r#"<div class="muted">{} · shardlint {}</div>"#,
            esc(&super::human::summary_line(report)),
            env!("CARGO_PKG_VERSION")
        );
    }
    h.push_str("</header>");
    h
}

/// Every stream, worst first, each linked to its card or line.
fn overview(input: &HtmlInput) -> String {
    let mut h = String::from(r#"<section id="overview"><h2>Streams, worst first</h2>"#);
    if input.streams.is_empty() {
        h.push_str(r#"<p class="empty">No Kinesis stream in the inputs.</p></section>"#);
        return h;
    }
    // Rows without closing tags and with alignment in CSS: 5,000 rows stay under 1 MB.
    const THEAD: &str = r#"<table class="overview"><thead><tr><th>#</th><th>Stream</th><th>Shards</th><th>Errors</th><th>Warnings</th><th>Throttled writes</th><th>Peak shard load</th><th>Max IteratorAge</th><th>Producers</th><th>Consumers</th></tr></thead><tbody>"#;
    h.push_str(THEAD);
    for (rank, &i) in input.ranking.iter().enumerate() {
        // The rest of a long ranking in a closed <details>: Chromium lays out 5,000 table
        // rows in seconds, a closed <details> not at all.
        if rank == OVERVIEW_ROWS {
            let _ = write!(
                h,
                "</tbody></table><details class=more><summary>The other {} streams, ranked</summary>{THEAD}",
                thousands((input.ranking.len() - OVERVIEW_ROWS) as f64)
            );
        }
        let v = &input.streams[i];
        let throttled = match &v.observed {
            Some(o) if o.throttled_records > 0.0 => format!(
                "{} <i>in {} periods</i>",
                thousands(o.throttled_records),
                o.throttled.len()
            ),
            Some(o) if !o.write_rate.is_empty() => "0".into(),
            _ => "—".into(),
        };
        let peak = match v.peak_utilisation {
            Some((u, b)) => format!(
                "<span class={}>{}{}</span> <i>{}</i>",
                if u > 1.0 {
                    "over"
                } else if u >= 0.8 {
                    "near"
                } else {
                    "ok"
                },
                if b == Basis::AtLeast { "≥ " } else { "" },
                pct(u),
                b.label()
            ),
            None => "—".into(),
        };
        let age = v
            .observed
            .as_ref()
            .and_then(|o| o.max_age_ms)
            .map_or("—".into(), ms);
        let shards = v
            .mode
            .strip_prefix("provisioned, ")
            .map(|m| {
                m.trim_end_matches(" open shards")
                    .trim_end_matches(" open shard")
            })
            .unwrap_or(&v.mode);
        let cls = if v.errors > 0 {
            " class=error"
        } else if v.warnings > 0 {
            " class=warning"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{cls}><td>{}<td><a href=#{}>{}</a>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}",
            rank + 1,
            v.anchor,
            esc(&v.name),
            v.region
                .as_deref()
                .map(|r| format!(" <i>{}</i>", esc(r)))
                .unwrap_or_default(),
            esc(shards),
            v.errors,
            v.warnings,
            throttled,
            peak,
            age,
            v.producers.len(),
            v.consumers.len()
        );
    }
    h.push_str("</tbody></table>");
    if input.ranking.len() > OVERVIEW_ROWS {
        h.push_str("</details>");
    }
    h.push_str("</section>");
    h
}

/// A stream with nothing to say in a large report: one line.
fn quiet_line(v: &StreamView) -> String {
    let rate = v
        .observed
        .as_ref()
        .and_then(|o| o.write_rate.iter().map(|p| p.1).reduce(f64::max))
        .map(|r| format!(" · peak {}/s", thousands(r)))
        .unwrap_or_default();
    format!(
        "<li id={}><b>{}</b> <i>{}{}{}</i>",
        v.anchor,
        esc(&v.name),
        v.region
            .as_deref()
            .map(|r| format!("{} · ", esc(r)))
            .unwrap_or_default(),
        esc(&v.mode),
        rate,
    )
}

/// Renders the report. `input` is its view model (see [`HtmlInput::from_report`]).
pub fn render(report: &Report, input: &HtmlInput, config: &Config) -> String {
    let db = &report.db;
    let s = &report.summary;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#);
    h.push_str("<title>shardlint audit report</title><style>");
    h.push_str(CSS);
    h.push_str("</style></head><body><main>");
    h.push_str(&header(report, input));

    h.push_str(r#"<section id="summary"><div class="cards">"#);
    h.push_str(&card(s.streams, "streams", ""));
    h.push_str(&card(s.errors, "errors", "error"));
    h.push_str(&card(s.warnings, "warnings", "warning"));
    h.push_str(&card(s.infos, "infos", "info"));
    let throttled = input
        .streams
        .iter()
        .filter(|v| {
            v.observed
                .as_ref()
                .is_some_and(|o| o.throttled_records > 0.0)
        })
        .count();
    if input.streams.iter().any(|v| v.observed.is_some()) {
        h.push_str(&card(throttled, "streams throttled on write", "error"));
    }
    h.push_str(&card(s.topic_rules, "IoT topic rules", ""));
    h.push_str(&card(s.mappings, "event source mappings", ""));
    if s.suppressed > 0 {
        h.push_str(&card(s.suppressed, "suppressed", ""));
    }
    if s.input_errors > 0 {
        h.push_str(&card(s.input_errors, "unreadable inputs", "error"));
    }
    h.push_str("</div></section>");

    h.push_str(&overview(input));

    h.push_str(r#"<section id="streams"><h2>Streams</h2>"#);
    let all = input.streams.len() <= FULL_CARDS_UP_TO;
    let mut quiet = Vec::new();
    for &i in &input.ranking {
        let v = &input.streams[i];
        if all || v.has_something_to_say() {
            h.push_str(&stream_section(report, v, config.hot_shard_share));
        } else {
            quiet.push(v);
        }
    }
    if !quiet.is_empty() {
        let _ = write!(
            h,
            r#"<details class="quiet"><summary>{} with nothing to report (no finding, no throttling, no samples)</summary><ul>"#,
            crate::numbers::plural(quiet.len() as u64, "stream", "streams")
        );
        for v in quiet {
            h.push_str(&quiet_line(v));
        }
        h.push_str("</ul></details>");
    }
    h.push_str("</section>");

    h.push_str(r#"<section id="findings"><h2>Other findings</h2>"#);
    if input.other_findings.is_empty() {
        h.push_str(r#"<p class="empty">None: every finding is shown with its stream above.</p>"#);
    } else {
        h.push_str(&findings_table(report, &input.other_findings));
    }
    if !report.errors.is_empty() {
        h.push_str(r#"<h3 style="margin-top:18px">Inputs that could not be read</h3><table class="input-errors"><thead><tr><th>File</th><th>Problem</th></tr></thead><tbody>"#);
        for e in &report.errors {
            let loc = match e.span {
                Some(sp) => {
                    let p = db.start(sp);
                    format!("{}:{}:{}", e.file, p.line, p.column)
                }
                None => e.file.clone(),
            };
            let _ = write!(
                h,
                r#"<tr><td><code>{}</code></td><td>{}{}</td></tr>"#,
                esc(&loc),
                rich(&e.message),
                e.help
                    .as_ref()
                    .map(|x| format!(r#"<br><span class="muted">Help: {}</span>"#, rich(x)))
                    .unwrap_or_default()
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");
    h.push_str(r#"<footer>Generated by shardlint. Per-shard limits: 1,000 records/s and 1 MiB/s of writes. Observed figures are CloudWatch's; sampled figures come from the records given; predictions without either are static and assume the configuration shown.</footer>"#);
    h.push_str("</main></body></html>\n");
    h
}
