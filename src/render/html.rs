//! A self-contained HTML audit report: inline CSS and inline SVG, no script, no external fetch.
//! Sections: summary (what was read, findings by severity), one card per stream (a per-shard bar
//! chart with the 1,000 records/s and 1 MiB/s limit lines when rates are known, a keyspace strip of
//! the open shards' hash ranges, the hot-key table and the ordering groups), then the findings.
//!
//! The renderer takes an [`HtmlInput`]: [`HtmlInput::from_report`] fills it with what static
//! analysis can say (shard maps, and a predicted spread when every producer's key is constant or
//! random); the distribution engine fills [`StreamView::distribution`] from samples.

use std::fmt::Write as _;

use crate::Report;
use crate::config::Config;
use crate::keyspace::{MAX_HASH, hash_key};
use crate::model::StreamMode;
use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
use crate::template::KeyClass;

/// Everything the report shows beyond the findings.
#[derive(Clone, Debug, Default)]
pub struct HtmlInput {
    pub streams: Vec<StreamView>,
}

/// One stream's card.
#[derive(Clone, Debug, Default)]
pub struct StreamView {
    pub name: String,
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

#[derive(Clone, Debug, PartialEq)]
pub struct ShardLoad {
    pub shard_id: String,
    pub start: u128,
    pub end: u128,
    pub records: u64,
    pub records_per_s: Option<f64>,
    pub bytes_per_s: Option<f64>,
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

impl HtmlInput {
    /// What the static analysis of `report` can show, with the expected rates of `config`.
    pub fn from_report(report: &Report, config: &Config) -> HtmlInput {
        let model = &report.model;
        let analysis = &report.analysis;
        let mut streams = Vec::new();
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
            for (ri, rule) in model.rules.iter().enumerate() {
                for (ai, action) in rule.actions.iter().enumerate() {
                    if action.stream != Some(si) || action.in_error_action {
                        continue;
                    }
                    if let Some(class) = analysis
                        .keys
                        .get(ri)
                        .and_then(|k| k.get(ai))
                        .and_then(|k| k.class.as_ref())
                    {
                        classes
                            .push((class, action.partition_key.get().map_or("", |k| k.as_str())));
                    }
                }
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
            streams.push(StreamView {
                name,
                address: s.origin.address.clone(),
                location,
                mode,
                keyspace,
                key_markers,
                prediction,
                expected_records_per_s: rate.and_then(|r| r.records_per_second),
                expected_bytes_per_s: rate.and_then(|r| r.bytes_per_second),
                distribution: measured(report, si),
            });
        }
        HtmlInput { streams }
    }
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
                crate::rules::plural(
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
    /// (shard id, value)
    bars: Vec<(String, f64)>,
    /// Formats a value for labels.
    fmt: &'a dyn Fn(f64) -> String,
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
        .find(|&m| f <= m)
        .unwrap_or(10.0);
    m * mag
}

fn chart(c: &Chart) -> String {
    let (left, right, top, bottom) = (64.0, 16.0, 34.0, 40.0);
    let plot_w = CHART_W - left - right;
    let plot_h = CHART_H - top - bottom;
    let data_max = c.bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
    let mut y_max = c.y_max.unwrap_or(data_max);
    if let Some((l, _)) = &c.limit {
        y_max = y_max.max(*l);
    }
    if c.y_max.is_none() {
        // Round the axis up to four "nice" steps (1, 2, 2.5 or 5 × 10^k) with some headroom.
        y_max = nice_step(y_max * 1.1 / 4.0) * 4.0;
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
    let _ = write!(
        s,
        r#"<text class="chart-title" x="{left}" y="20">{}</text>"#,
        esc(&c.title)
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
    let n = c.bars.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.72).max(1.0);
    let label_every = (c.bars.len() / 32).max(1);
    for (i, (id, v)) in c.bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let yy = y(*v);
        let h = top + plot_h - yy;
        let over = c.limit.as_ref().is_some_and(|(l, _)| v > l);
        let hot = c.hot.is_some_and(|t| *v >= t) && c.bars.len() > 1;
        let cls = if over {
            "bar over"
        } else if hot {
            "bar hot"
        } else {
            "bar"
        };
        let _ = write!(
            s,
            r#"<rect class="{cls}" data-shard="{}" x="{x:.1}" y="{yy:.1}" width="{bar_w:.1}" height="{:.1}"><title>{}: {}</title></rect>"#,
            esc(id),
            h.max(0.0),
            esc(id),
            esc(&(c.fmt)(*v))
        );
        if c.bars.len() <= 32 && *v > 0.0 {
            let _ = write!(
                s,
                r#"<text class="value" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                yy - 6.0,
                esc(&(c.fmt)(*v))
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                top + plot_h + 16.0,
                esc(&short_id(id))
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
            left + plot_w,
            yy - 6.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
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

fn mib_per_s(v: f64) -> String {
    format!("{:.2} MiB/s", v / SHARD_WRITE_BYTES_PER_S)
}

fn stream_section(v: &StreamView, hot_shard_share: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<section class="stream" id="stream-{}"><h3>{} <span class="muted">{} · {} · {}</span></h3>"#,
        esc(&v.name),
        esc(&v.name),
        esc(&v.address),
        esc(&v.mode),
        esc(&v.location)
    );
    // Charts.
    s.push_str(r#"<div class="subsection"><h4>Records per shard</h4>"#);
    let mut drew = false;
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
                limit: Some((
                    SHARD_WRITE_BYTES_PER_S,
                    "1 MiB/s per-shard write limit".into(),
                )),
                y_max: None,
                hot: None,
            }));
        }
        drew = true;
    } else if let Some(p) = &v.prediction {
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
    s.push_str("</div></div></section>");
    s
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
.stream { border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin:0 0 18px; }
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
"#;

fn card(n: usize, label: &str, class: &str) -> String {
    format!(
        r#"<div class="card {class}"><span class="n">{n}</span><span class="l">{label}</span></div>"#
    )
}

/// Renders the report. `input` carries the per-stream views (see [`HtmlInput::from_report`]).
pub fn render(report: &Report, input: &HtmlInput, config: &Config) -> String {
    let db = &report.db;
    let s = &report.summary;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#);
    h.push_str("<title>shardlint audit report</title><style>");
    h.push_str(CSS);
    h.push_str("</style></head><body><main>");
    let _ = write!(
        h,
        r#"<header><h1>shardlint audit report</h1><div class="muted">{} · shardlint {}</div></header>"#,
        esc(&super::human::summary_line(report)),
        env!("CARGO_PKG_VERSION")
    );

    h.push_str(r#"<section id="summary"><h2>Summary</h2><div class="cards">"#);
    h.push_str(&card(s.files, "files read", ""));
    h.push_str(&card(s.streams, "streams", ""));
    h.push_str(&card(s.topic_rules, "IoT topic rules", ""));
    h.push_str(&card(s.mappings, "event source mappings", ""));
    h.push_str(&card(s.functions, "functions", ""));
    h.push_str(&card(s.errors, "errors", "error"));
    h.push_str(&card(s.warnings, "warnings", "warning"));
    h.push_str(&card(s.infos, "infos", "info"));
    if s.suppressed > 0 {
        h.push_str(&card(s.suppressed, "suppressed", ""));
    }
    if s.input_errors > 0 {
        h.push_str(&card(s.input_errors, "unreadable inputs", "error"));
    }
    h.push_str("</div></section>");

    h.push_str(r#"<section id="streams"><h2>Streams</h2>"#);
    if input.streams.is_empty() {
        h.push_str(r#"<p class="empty">No Kinesis stream in the inputs.</p>"#);
    }
    for v in &input.streams {
        h.push_str(&stream_section(v, config.hot_shard_share));
    }
    h.push_str("</section>");

    h.push_str(r#"<section id="findings"><h2>Findings</h2>"#);
    if report.findings.is_empty() {
        h.push_str(r#"<p class="empty">No findings.</p>"#);
    } else {
        h.push_str(r#"<table class="findings"><thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Finding</th></tr></thead><tbody>"#);
        for f in &report.findings {
            let p = db.start(f.span);
            let url = crate::rules::find(f.code).map(|r| r.meta.doc_url());
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
    h.push_str(r#"<footer>Generated by shardlint. Per-shard limits: 1,000 records/s and 1 MiB/s of writes. Predictions without samples are static: they assume the configuration shown.</footer>"#);
    h.push_str("</main></body></html>\n");
    h
}
