//! SL205 stream-under-provisioned: a provisioned stream whose open shards cannot carry the write
//! rate the user expects for it (`[streams."name"]` in `shardlint.toml`) at 1,000 records/s and
//! 1 MiB/s per shard. Points at the shard count, with the config entry as a related location.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::model::StreamMode;
use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
use crate::source::Span;

pub static META: RuleMeta = RuleMeta {
    code: "SL205",
    name: "stream-under-provisioned",
    summary: "A provisioned stream has too few shards for its configured write rate",
    severity: Severity::Error,
    group: super::Group::Stream,
    doc: include_str!("../../rules/SL205.md"),
};

/// Shards needed for a rate: each shard takes 1,000 records/s and 1 MiB/s of writes.
pub fn shards_needed(records_per_s: Option<f64>, bytes_per_s: Option<f64>) -> u64 {
    let by_records = records_per_s.map_or(0.0, |r| (r / SHARD_WRITE_RECORDS_PER_S).ceil());
    let by_bytes = bytes_per_s.map_or(0.0, |b| (b / SHARD_WRITE_BYTES_PER_S).ceil());
    by_records.max(by_bytes) as u64
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in &ctx.model.streams {
        let name = s.display_name();
        let Some(rate) = ctx.config.stream_rate(&name) else {
            continue;
        };
        if s.effective_mode() != Some(StreamMode::Provisioned) {
            continue;
        }
        let Some(open) = s.open_shard_count() else {
            continue;
        };
        let needed = shards_needed(rate.records_per_second, rate.bytes_per_second);
        if open < 0 || (open as u64) >= needed {
            continue;
        }
        let rec_share = rate
            .records_per_second
            .map(|r| r / (open.max(1) as f64 * SHARD_WRITE_RECORDS_PER_S));
        let byte_share = rate
            .bytes_per_second
            .map(|b| b / (open.max(1) as f64 * SHARD_WRITE_BYTES_PER_S));
        let mut stated = Vec::new();
        if let Some(r) = rate.records_per_second {
            stated.push(format!("{} records/s", fmt_num(r)));
        }
        if let Some(b) = rate.bytes_per_second {
            stated.push(format!("{} bytes/s", fmt_num(b)));
        }
        let load = rec_share
            .into_iter()
            .chain(byte_share)
            .fold(0.0f64, f64::max);
        let span = s
            .shard_count
            .span
            .or(s.shards_span)
            .unwrap_or(s.origin.span);
        let param = super::param_name(s.origin.kind, "ShardCount");
        let mut f = ctx.finding(
            &META,
            span,
            s.shard_count.path.clone(),
            format!(
                "stream `{name}` has {open} open shard{} for an expected {}: it needs at least {needed} (1,000 records/s and 1 MiB/s per shard), so writes run at {:.0}% of capacity and are throttled",
                if open == 1 { "" } else { "s" },
                stated.join(" and "),
                load * 100.0
            ),
            format!("{open} shard{}, {needed} needed", if open == 1 { "" } else { "s" }),
            format!(
                "set `{param}` to at least {needed}, or switch the stream to ON_DEMAND"
            ),
        );
        if let (Some(file), Some(range)) = (ctx.config_file, rate.span.clone()) {
            f.related.push(RelatedSpan {
                span: Span::new(file, range.start, range.end),
                path: format!("streams.\"{name}\""),
                message: "the expected write rate is configured here".into(),
            });
        }
        out.push(f);
    }
}

/// `8000` → `8,000`; fractions keep one decimal.
fn fmt_num(x: f64) -> String {
    if x.fract() != 0.0 {
        return format!("{x:.1}");
    }
    crate::numbers::thousands(x as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needed_shards() {
        assert_eq!(shards_needed(Some(8000.0), None), 8);
        assert_eq!(shards_needed(Some(8001.0), None), 9);
        assert_eq!(shards_needed(None, Some(1_048_576.0 * 2.5)), 3);
        assert_eq!(shards_needed(Some(100.0), Some(4_000_000.0)), 4);
        assert_eq!(shards_needed(None, None), 0);
        assert_eq!(fmt_num(4_000_000.0), "4,000,000");
        assert_eq!(fmt_num(999.0), "999");
    }
}

#[cfg(test)]
mod check_tests {
    use super::super::testkit::{file, says};

    const TF: &str = "resource \"aws_kinesis_stream\" \"location\" {\n  name        = \"location-stream\"\n  shard_count = 4\n}\n";

    #[test]
    fn too_few_shards_for_the_configured_rate_fire_at_the_count() {
        let out = file("main.tf", TF)
            .config("[streams.\"location-stream\"]\nrecords-per-second = 8000\n")
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL205");
        assert_eq!(out.text(f), "4");
        says(
            &f.message,
            &[
                "`location-stream` has 4 open shards for an expected 8,000 records/s",
                "at least 8",
                "200% of capacity",
            ],
        );
        says(&f.help, &["set `shard_count` to at least 8"]);
        // The config entry that states the rate, as a related location.
        assert_eq!(
            out.db.text(f.related[0].span),
            "[streams.\"location-stream\"]"
        );
    }

    #[test]
    fn enough_shards_or_no_rate_is_quiet() {
        file("main.tf", TF)
            .config("[streams.\"location-stream\"]\nrecords-per-second = 4000\n")
            .run(super::check)
            .quiet();
        file("main.tf", TF).run(super::check).quiet();
    }
}
