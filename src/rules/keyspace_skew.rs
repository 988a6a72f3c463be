//! SL203 keyspace-skew: an open shard owning much more of the MD5 hash space than the mean (at
//! least `keyspace-skew-ratio`, default 1.5×), typical after merges. Under uniform keys that
//! shard receives that many times the mean load and throttles first.

use super::{Ctx, RuleMeta};
use crate::analysis::MapSource;
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL203",
    name: "keyspace-skew",
    summary: "An open shard owns much more of the hash space than the mean",
    severity: Severity::Warning,
    group: super::Group::Stream,
    doc: include_str!("../../rules/SL203.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let observed = crate::observed::observe(ctx.model);
    for (si, s) in ctx.model.streams.iter().enumerate() {
        let MapSource::Export(Ok(map)) = &ctx.analysis.shard_maps[si] else {
            continue;
        };
        let mean = 1.0 / map.len() as f64;
        for shard in map.shards() {
            let share = shard.keyspace_share();
            let ratio = share / mean;
            if ratio + 1e-9 < ctx.config.keyspace_skew_ratio {
                continue;
            }
            let rec = s
                .shards
                .as_ref()
                .and_then(|v| v.iter().find(|r| r.shard_id == shard.shard_id && !r.closed));
            let span = rec
                .and_then(|r| r.span)
                .or(s.shards_span)
                .unwrap_or(s.origin.span);
            // The shard's id, not its whole object: one line to look at.
            let span = super::narrow(ctx.db, span, &format!("\"{}\"", shard.shard_id));
            let mut message = format!(
                "open shard `{}` of `{}` owns {:.1}% of the hash space, {:.1}× the mean of {}; under uniform keys it takes {:.1}× the average load",
                shard.shard_id,
                s.display_name(),
                share * 100.0,
                ratio,
                crate::numbers::plural(map.len() as u64, "open shard", "open shards"),
                ratio
            );
            // Predicted against observed: the shard's share of the shard-level IncomingRecords.
            // Halfway between the mean and the predicted share is the line between the two.
            let so = observed.streams.get(si);
            if let Some(got) = so.and_then(|o| crate::observed::shard_share(o, &shard.shard_id)) {
                let verdict = if got >= (mean + share) / 2.0 {
                    "the metrics confirm it"
                } else {
                    "the skew is not observed: the keys do not spread uniformly over the hash space, so the range share does not decide this shard's load"
                };
                message.push_str(&format!(
                    "; observed: `{}` carried `{}` of the shard-level incoming records (mean `{}`): {verdict}",
                    shard.shard_id,
                    crate::numbers::pct(got),
                    crate::numbers::pct(mean)
                ));
            }
            out.push(ctx.finding(
                &META,
                span,
                format!("{}.shards.{}", s.origin.address, shard.shard_id),
                message,
                format!("{:.1}% of the keyspace", share * 100.0),
                format!(
                    "split `{}` at its midpoint (`aws kinesis split-shard`), or re-even the stream with `aws kinesis update-shard-count --scaling-type UNIFORM_SCALING`",
                    shard.shard_id
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, list_shards, says};

    const EIGHTH: &str = "42535295865117307932921825928971026431";
    const QUARTER: &str = "85070591730234615865843651857942052863";
    const HALF: &str = "170141183460469231731687303715884105727";
    const END: &str = "340282366920938463463374607431768211455";

    #[test]
    fn a_shard_with_half_the_keyspace_of_four_fires_at_its_id() {
        let map = list_shards(&[
            ("shardId-000000000000", "0", EIGHTH),
            (
                "shardId-000000000001",
                "42535295865117307932921825928971026432",
                QUARTER,
            ),
            (
                "shardId-000000000002",
                "85070591730234615865843651857942052864",
                HALF,
            ),
            (
                "shardId-000000000003",
                "170141183460469231731687303715884105728",
                END,
            ),
        ]);
        let out = file("skewed.list-shards.json", &map).run(super::check);
        // Shard 3 holds 50% (2.0× the mean of 25%), shard 2 holds 25% (1.0×): one finding.
        let f = out.only();
        assert_eq!(f.meta.code, "SL203");
        assert_eq!(out.text(f), "\"shardId-000000000003\"");
        says(
            &f.message,
            &[
                "owns 50.0% of the hash space",
                "2.0× the mean of 4 open shards",
            ],
        );
        says(&f.help, &["split `shardId-000000000003`"]);
    }

    #[test]
    fn an_even_map_is_quiet() {
        let map = list_shards(&[
            ("shardId-000000000000", "0", HALF),
            (
                "shardId-000000000001",
                "170141183460469231731687303715884105728",
                END,
            ),
        ]);
        file("even.list-shards.json", &map)
            .run(super::check)
            .quiet();
    }
}
