//! Observed load: the CloudWatch series an export carries (`Model::metrics`), gathered per stream,
//! per shard and per consumer function, with the few summaries the SL5xx rules and the HTML
//! report need (totals, peaks, throttled minutes, growth). An analysis beside `analysis`: it
//! reads the model, never a file.

use std::collections::BTreeMap;

use crate::model::{MetricSeries, MetricSubject, Model};

/// One series, by reference into the model.
#[derive(Clone, Copy, Debug)]
pub struct Series<'m>(pub &'m MetricSeries);

impl<'m> Series<'m> {
    pub fn total(&self) -> f64 {
        self.0.points.iter().map(|p| p.1).sum()
    }
    /// The largest point (time, value).
    pub fn peak(&self) -> Option<(i64, f64)> {
        self.0
            .points
            .iter()
            .copied()
            .fold(None, |best: Option<(i64, f64)>, p| match best {
                Some(b) if b.1 >= p.1 => Some(b),
                _ => Some(p),
            })
    }
    /// Points whose value is above zero.
    pub fn nonzero(&self) -> impl Iterator<Item = &'m (i64, f64)> {
        self.0.points.iter().filter(|p| p.1 > 0.0)
    }
    pub fn len(&self) -> usize {
        self.0.points.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.points.is_empty()
    }
    /// Mean of the points in `[from, to)` of the series (by position).
    fn mean(&self, from: usize, to: usize) -> f64 {
        let p = &self.0.points[from..to];
        p.iter().map(|x| x.1).sum::<f64>() / p.len().max(1) as f64
    }
}

/// What the metrics say about one stream.
#[derive(Clone, Debug, Default)]
pub struct StreamObserved<'m> {
    pub incoming_records: Option<Series<'m>>,
    pub incoming_bytes: Option<Series<'m>>,
    pub write_throttled: Option<Series<'m>>,
    pub read_throttled: Option<Series<'m>>,
    pub iterator_age: Option<Series<'m>>,
    /// Shard-level (enhanced monitoring) incoming records, by shard id.
    pub shard_records: BTreeMap<String, Series<'m>>,
    pub shard_throttled: BTreeMap<String, Series<'m>>,
}

/// Every series, attached to the model's streams and functions.
#[derive(Clone, Debug, Default)]
pub struct Observed<'m> {
    /// Per model stream (same index).
    pub streams: Vec<StreamObserved<'m>>,
    /// Lambda `IteratorAge` (Maximum) by function as its mapping names it (`name[:qualifier]`).
    pub functions: BTreeMap<String, Series<'m>>,
    /// The first and last point of any series (Unix seconds).
    pub window: Option<(i64, i64)>,
}

impl Observed<'_> {
    pub fn is_empty(&self) -> bool {
        self.window.is_none()
    }
}

/// The region in a stream's ARN (`arn:aws:kinesis:REGION:...`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3)
}

pub fn observe(model: &Model) -> Observed<'_> {
    let mut o = Observed {
        streams: vec![StreamObserved::default(); model.streams.len()],
        ..Observed::default()
    };
    // Streams by (name, region); a stream without an ARN matches any region.
    let mut by_name: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, s) in model.streams.iter().enumerate() {
        if let Some(n) = s.name.get() {
            by_name.entry(n.as_str()).or_default().push(i);
        }
    }
    let stream_of = |name: &str, region: &str| {
        by_name.get(name)?.iter().copied().find(|&i| {
            model.streams[i]
                .arn
                .as_deref()
                .and_then(arn_region)
                .is_none_or(|r| r == region)
        })
    };
    for m in &model.metrics {
        if let (Some(first), Some(last)) = (m.points.first(), m.points.last()) {
            let (a, b) = o.window.unwrap_or((first.0, last.0 + m.period_s));
            o.window = Some((a.min(first.0), b.max(last.0 + m.period_s)));
        }
        let s = Series(m);
        match &m.subject {
            MetricSubject::Stream { name } => {
                let Some(i) = stream_of(name, &m.region) else {
                    continue;
                };
                let so = &mut o.streams[i];
                match m.metric.as_str() {
                    "IncomingRecords" => so.incoming_records = Some(s),
                    "IncomingBytes" => so.incoming_bytes = Some(s),
                    "WriteProvisionedThroughputExceeded" => so.write_throttled = Some(s),
                    "ReadProvisionedThroughputExceeded" => so.read_throttled = Some(s),
                    "GetRecords.IteratorAgeMilliseconds" => so.iterator_age = Some(s),
                    _ => {}
                }
            }
            MetricSubject::Shard { stream, shard } => {
                let Some(i) = stream_of(stream, &m.region) else {
                    continue;
                };
                let so = &mut o.streams[i];
                match m.metric.as_str() {
                    "IncomingRecords" => {
                        so.shard_records.insert(shard.clone(), s);
                    }
                    "WriteProvisionedThroughputExceeded" => {
                        so.shard_throttled.insert(shard.clone(), s);
                    }
                    _ => {}
                }
            }
            MetricSubject::Function { name } => {
                if m.metric == "IteratorAge" {
                    o.functions.insert(name.clone(), s);
                }
            }
        }
    }
    o
}

/// The function a mapping invokes, as the export's labels name it (`name[:qualifier]`), from its
/// ARN or name.
pub fn function_label(function: &str) -> &str {
    function.split(":function:").nth(1).unwrap_or(function)
}

/// An age series that keeps growing: its maximum is at least `min_ms`, the last quarter's mean
/// is more than twice the first quarter's, and the series ends at half its maximum or more (a
/// backlog that was drained is not growing).
pub fn growing(s: &Series, min_ms: f64) -> bool {
    let n = s.len();
    if n < 4 {
        return false;
    }
    let Some((_, max)) = s.peak() else {
        return false;
    };
    let q = n / 4;
    let (first, last) = (s.mean(0, q), s.mean(n - q, n));
    let end = s.0.points[n - 1].1;
    max >= min_ms && last > 2.0 * first && end >= max / 2.0
}

/// `grew from `2.0 s` to `29 min 2 s` over the window (peak at `2026-11-30 22:29 UTC`)`: an age
/// series in one phrase, for SL503 and the observed half of SL405.
pub fn describe_age(s: &Series) -> String {
    let first = s.0.points.first().map_or(0.0, |p| p.1);
    let (at, max) = s.peak().unwrap_or((0, 0.0));
    format!(
        "grew from `{}` to `{}` over the window (peak at `{}`)",
        crate::numbers::duration_ms(first),
        crate::numbers::duration_ms(max),
        minute(at)
    )
}

/// The share of a stream's shard-level `IncomingRecords` (enhanced monitoring) that `shard`
/// carried over the window; `None` without shard-level metrics or records.
pub fn shard_share(so: &StreamObserved, shard: &str) -> Option<f64> {
    let total: f64 = so.shard_records.values().map(Series::total).sum();
    (total > 0.0).then(|| so.shard_records.get(shard).map_or(0.0, |s| s.total()) / total)
}

/// Unix seconds to `2026-11-30T22:07:00Z`.
pub fn iso(secs: i64) -> String {
    crate::records::timestamp::format_rfc3339_ms(secs * 1000).replace(".000Z", "Z")
}

/// `2026-11-30 22:07 UTC`
pub fn minute(ts: i64) -> String {
    let s = crate::observed::iso(ts);
    format!("{} {} UTC", &s[..10], &s[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn series(values: &[f64]) -> MetricSeries {
        MetricSeries {
            region: "r".into(),
            subject: MetricSubject::Function { name: "f".into() },
            metric: "IteratorAge".into(),
            stat: "Maximum".into(),
            period_s: 60,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64 * 60, *v))
                .collect(),
            span: Span::new(FileId(0), 0, 0),
            path: String::new(),
        }
    }

    #[test]
    fn growth_needs_a_rise_a_floor_and_no_drain() {
        let rising: Vec<f64> = (0..60).map(|m| 2_000.0 + m as f64 * 30_000.0).collect();
        assert!(growing(&Series(&series(&rising)), 60_000.0));
        // Flat and high: behind, but not falling further behind.
        assert!(!growing(&Series(&series(&[900_000.0; 60])), 60_000.0));
        // Rising but small.
        let small: Vec<f64> = (0..60).map(|m| 100.0 + m as f64 * 10.0).collect();
        assert!(!growing(&Series(&series(&small)), 60_000.0));
        // A spike that was drained.
        let mut drained = rising.clone();
        for v in drained.iter_mut().skip(50) {
            *v = 500.0;
        }
        assert!(!growing(&Series(&series(&drained)), 60_000.0));
    }

    #[test]
    fn durations() {
        assert_eq!(minute(1_796_076_420), "2026-11-30 22:07 UTC");
    }
}
