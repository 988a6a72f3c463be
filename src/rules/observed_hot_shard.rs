//! SL502 observed-hot-shard: shard-level CloudWatch metrics (enhanced monitoring) show one shard
//! carrying most of a stream's incoming records (at least `hot-shard-share`, default 50%, of a
//! stream with more than one open shard, and beyond what an even spread gives by chance: the
//! test `distribute` and SL401 apply, in `distribution::hot`). Says whether the configuration predicted it (a
//! constant key hashing to that shard) or not.

use super::{Ctx, RuleMeta, predicted_constant};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::numbers::{pct, plural, thousands};
use crate::observed::Series;

pub static META: RuleMeta = RuleMeta {
    code: "SL502",
    name: "observed-hot-shard",
    summary: "CloudWatch shows one shard carrying most of the stream's load",
    severity: Severity::Warning,
    group: super::Group::Observed,
    doc: include_str!("../../rules/SL502.md"),
};

/// Below this many records in the window, shares say little.
const MIN_RECORDS: f64 = 1_000.0;

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let observed = crate::observed::observe(ctx.model);
    for (si, so) in observed.streams.iter().enumerate() {
        let n = so.shard_records.len();
        if n < 2 || ctx.auto_distribution(Some(si)) {
            continue;
        }
        let total: f64 = so.shard_records.values().map(Series::total).sum();
        if total < MIN_RECORDS {
            continue;
        }
        let Some((shard, hot)) = so
            .shard_records
            .iter()
            .max_by(|a, b| a.1.total().total_cmp(&b.1.total()))
        else {
            continue;
        };
        let share = hot.total() / total;
        if !crate::distribution::hot::is_hot_share(
            share,
            n,
            total,
            ctx.config.hot_shard_share,
            false,
        ) {
            continue;
        }
        let stream = &ctx.model.streams[si];
        let name = stream.display_name();
        let mut message = format!(
            "`{shard}` carried `{}` of `{name}`'s `{}` incoming records over the window ({}, fair share `{}`)",
            pct(share),
            thousands(total as u64),
            plural(n as u64, "shard", "shards"),
            pct(1.0 / n as f64),
        );
        let mut related = vec![RelatedSpan {
            span: stream.origin.span,
            path: stream.origin.address.clone(),
            message: format!("the stream `{name}`"),
        }];
        let help = if let Some(p) = predicted_constant(ctx, si) {
            if &p.shard_id == shard {
                message.push_str(&format!(
                    "; predicted: the constant partition key `{}` hashes to `{}`; the metrics confirm it",
                    p.value, p.shard_id
                ));
            } else {
                message.push_str(&format!(
                    "; the constant partition key `{}` hashes to `{}`, not this shard: another producer writes the hot key",
                    p.value, p.shard_id
                ));
            }
            related.push(RelatedSpan {
                span: p.key_span,
                path: p.key_path.clone(),
                message: format!("constant key `{}` → `{}`", p.value, p.shard_id),
            });
            "fix the partition key (SL101): key by a per-device field with many values, or by `${newuuid()}` when per-device order does not matter"
                .to_string()
        } else {
            message.push_str("; the configuration did not predict it: a few keys dominate the traffic, or the shard owns a large part of the hash key space");
            "sample the stream's keys (`shardlint export --sample-records N`, then `shardlint distribute`) to find the hot keys; spread them, or split the shard if its hash key range is large".to_string()
        };
        let mut f = ctx.finding(
            &META,
            hot.0.span,
            hot.0.path.clone(),
            message,
            format!("{} of the records", pct(share)),
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

    fn shard(id: u32) -> String {
        format!(
            "kinesis-shard ap-northeast-1 location-stream shardId-{id:012} IncomingRecords Sum 60"
        )
    }

    #[test]
    fn a_shard_with_most_records_fires_at_its_series() {
        let (hot, cold) = (shard(3), shard(0));
        let out = file("main.tf", &iot_rule(SQL, r#"partition_key = "vin""#))
            .file(
                "metrics.get-metric-data.json",
                &metric_data(&[
                    (&hot, &[1_000.0, 1_000.0, 1_000.0]),
                    (&cold, &[100.0, 100.0, 100.0]),
                ]),
            )
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL502");
        assert_eq!(out.text(f), format!("\"{hot}\""));
        says(
            &f.message,
            &[
                "`shardId-000000000003` carried `90.9%` of `location-stream`'s `3,300` incoming records",
                "(2 shards, fair share `50.0%`)",
                "the constant partition key `vin` hashes to `shardId-000000000003`; the metrics confirm it",
            ],
        );
    }

    #[test]
    fn half_of_two_shards_is_the_fair_share_not_hot() {
        // 51% on one shard of two is over `hot-shard-share` (50%) but within an even spread.
        let (a, b) = (shard(0), shard(1));
        file("main.tf", &iot_rule(SQL, r#"partition_key = "$${vin}""#))
            .file(
                "metrics.get-metric-data.json",
                &metric_data(&[(&a, &[510.0, 510.0]), (&b, &[490.0, 490.0])]),
            )
            .run(super::check)
            .quiet();
    }

    #[test]
    fn even_shards_are_quiet() {
        let names: Vec<String> = (0..4).map(shard).collect();
        let series: Vec<(&str, &[f64])> = names
            .iter()
            .map(|n| (n.as_str(), &[1_000.0, 900.0][..]))
            .collect();
        file("main.tf", &iot_rule(SQL, r#"partition_key = "$${vin}""#))
            .file("metrics.get-metric-data.json", &metric_data(&series))
            .run(super::check)
            .quiet();
    }
}
