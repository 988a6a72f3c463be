//! SL501 observed-write-throttling: an export's CloudWatch metrics show the stream rejecting
//! writes (`WriteProvisionedThroughputExceeded` above zero): when, how often, how many, and the
//! accepted rate against the stream's capacity. When the configuration predicts the cause (a
//! constant partition key: one shard's limit is the stream's), the finding says whether the
//! metrics confirm it.

use super::{Ctx, RuleMeta, predicted_constant};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::model::limits;
use crate::numbers::{pct, plural, thousands};
use crate::observed::minute;

pub static META: RuleMeta = RuleMeta {
    code: "SL501",
    name: "observed-write-throttling",
    summary: "CloudWatch shows the stream throttling writes",
    severity: Severity::Error,
    group: super::Group::Observed,
    doc: include_str!("../../rules/SL501.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let observed = crate::observed::observe(ctx.model);
    for (si, so) in observed.streams.iter().enumerate() {
        let Some(thr) = so.write_throttled else {
            continue;
        };
        let hit: Vec<&(i64, f64)> = thr.nonzero().collect();
        let (Some(first), Some(last)) = (hit.first(), hit.last()) else {
            continue;
        };
        let Some(worst) = thr.peak() else { continue };
        let stream = &ctx.model.streams[si];
        let name = stream.display_name();
        let period = thr.0.period_s.max(1);
        let unit = if period == 60 { "minutes" } else { "periods" };
        let mut message = format!(
            "`{name}` was throttled on write in `{}` of `{}` {unit} (`{}` to `{}`): `{}` records rejected, at most `{}` in the {} from `{}`",
            hit.len(),
            thr.len(),
            minute(first.0),
            minute(last.0),
            thousands(thr.total() as u64),
            thousands(worst.1 as u64),
            if period == 60 {
                "minute".to_string()
            } else {
                format!("{period} s")
            },
            minute(worst.0),
        );
        // Accepted rate at its peak, against what the open shards allow.
        let peak_rate = so
            .incoming_records
            .and_then(|s| s.peak())
            .map(|(_, v)| v / period as f64);
        let shards = stream.open_shard_count().filter(|&n| n > 0);
        if let (Some(rate), Some(n)) = (peak_rate, shards) {
            let capacity = n as f64 * limits::SHARD_WRITE_RECORDS_PER_S;
            message.push_str(&format!(
                "; accepted at most `{}` records/s, `{}` of the `{}` records/s its {} allow",
                thousands(rate.round() as u64),
                pct(rate / capacity),
                thousands(capacity as u64),
                plural(n as u64, "open shard", "open shards"),
            ));
        }
        let prediction = predicted_constant(ctx, si);
        let mut related = vec![RelatedSpan {
            span: stream.origin.span,
            path: stream.origin.address.clone(),
            message: format!("the stream `{name}`"),
        }];
        let help;
        if let Some(p) = &prediction {
            let one_shard =
                peak_rate.is_some_and(|r| r <= limits::SHARD_WRITE_RECORDS_PER_S * 1.05);
            let shard_share = crate::observed::shard_share(so, &p.shard_id);
            let verdict = match (one_shard, shard_share) {
                (_, Some(share)) if share >= 0.99 => format!(
                    "the metrics confirm it: `{}` carried `{}` of the incoming records",
                    p.shard_id,
                    pct(share)
                ),
                (_, Some(share)) => format!(
                    "the metrics do not match: `{}` carried only `{}` of the incoming records; another producer writes to the stream",
                    p.shard_id,
                    pct(share)
                ),
                (true, None) => "the metrics agree: throttling began at one shard's limit (enable shard-level metrics to see which shard)".to_string(),
                (false, None) => "the metrics show more than one shard's worth accepted: another producer with varied keys writes too".to_string(),
            };
            message.push_str(&format!(
                "; predicted: the constant partition key `{}` sends every record to `{}`, one shard of `1,000` records/s; {verdict}",
                p.value, p.shard_id
            ));
            related.push(RelatedSpan {
                span: p.key_span,
                path: p.key_path.clone(),
                message: format!(
                    "predicted cause: constant key `{}` → `{}`",
                    p.value, p.shard_id
                ),
            });
            help = "fix the partition key (SL101): key by a per-device field with many values, or by `${newuuid()}` when per-device order does not matter; more shards do not help a constant key".to_string();
        } else if !so.shard_records.is_empty() {
            help = "compare the shards' `IncomingRecords` (SL502 names a hot one): spread the keys if one shard takes most of the load, add shards if the load is even".to_string();
        } else {
            help = "enable shard-level metrics (`aws kinesis enable-enhanced-monitoring --shard-level-metrics IncomingRecords WriteProvisionedThroughputExceeded`) to see which shard throttles; spread the keys if one does, add shards if all do".to_string();
        }
        let mut f = ctx.finding(
            &META,
            thr.0.span,
            thr.0.path.clone(),
            message,
            format!(
                "{} throttled",
                plural(hit.len() as u64, "period", "periods")
            ),
            help,
        );
        f.related = related;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, iot_rule, metric_data, says};

    const SQL: &str = "SELECT * FROM 'vehicles/location'";
    const THROTTLED: &str =
        "kinesis-stream ap-northeast-1 location-stream WriteProvisionedThroughputExceeded Sum 60";
    const INCOMING: &str = "kinesis-stream ap-northeast-1 location-stream IncomingRecords Sum 60";

    fn metrics(throttled: &[f64]) -> String {
        metric_data(&[
            (THROTTLED, throttled),
            (INCOMING, &[60_000.0, 60_000.0, 60_000.0, 60_000.0]),
        ])
    }

    #[test]
    fn throttled_minutes_fire_at_the_series_with_the_predicted_cause() {
        let out = file("main.tf", &iot_rule(SQL, r#"partition_key = "vin""#))
            .file(
                "metrics.get-metric-data.json",
                &metrics(&[0.0, 500.0, 900.0, 0.0]),
            )
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL501");
        assert_eq!(out.text(f), format!("\"{THROTTLED}\""));
        says(
            &f.message,
            &[
                "`location-stream` was throttled on write in `2` of `4` minutes",
                "`1,400` records rejected, at most `900`",
                "accepted at most `1,000` records/s, `12.5%` of the `8,000` records/s its 8 open shards allow",
                "the constant partition key `vin`",
            ],
        );
        says(&f.help, &["fix the partition key (SL101)"]);
        assert_eq!(f.label, "2 periods throttled");
    }

    #[test]
    fn no_throttled_minute_is_quiet() {
        file("main.tf", &iot_rule(SQL, r#"partition_key = "vin""#))
            .file(
                "metrics.get-metric-data.json",
                &metrics(&[0.0, 0.0, 0.0, 0.0]),
            )
            .run(super::check)
            .quiet();
    }
}
