//! SL402 hot-key: with sampled records, one partition key carries most of its shard's records
//! (more than `hot-key-share`, default 50%). A key never splits across shards or ordering groups,
//! so neither more shards nor ParallelizationFactor help that key. The decision is
//! [`crate::distribution::hot::hot_keys`], shared with `distribute` and the HTML report.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::numbers::{pct, thousands};

pub static META: RuleMeta = RuleMeta {
    code: "SL402",
    name: "hot-key",
    summary: "One partition key carries most of a shard's sampled records",
    severity: Severity::Warning,
    group: super::Group::Samples,
    doc: include_str!("../../rules/SL402.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in ctx.samples {
        // On an AUTO stream keys do not pick shards: no key makes a shard hot.
        if ctx.auto_distribution(Some(s.stream)) {
            continue;
        }
        // The hottest key says it; the rest are in `distribute`'s report. (With one distinct
        // key the whole stream is the problem: SL401/SL101 say it, and `hot_keys` is empty.)
        let Some(k) = crate::distribution::hot::hot_keys(&s.report, ctx.config.hot_key_share)
            .into_iter()
            .next()
        else {
            continue;
        };
        let (span, path) = super::sample_key_span(ctx.model, s);
        let estimate = if k.estimated { " (estimated)" } else { "" };
        out.push(ctx.finding(
            &META,
            span,
            path,
            format!(
                "key `{}` carries `{}` of `{}`'s `{}` {} records{estimate}; one key is one shard and one ordering group",
                k.key,
                pct(k.share_of_shard),
                k.shard_id,
                thousands(k.shard_records),
                super::sampled(&s.report)
            ),
            format!("key `{}` dominates `{}`", k.key, k.shard_id),
            "key by something finer than this key (e.g. add a sub-device or channel id) if its records need not be ordered together; neither more shards nor ParallelizationFactor split one key".into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{envelopes, file, pipeline, says};

    fn devices(hot: usize, others: usize) -> String {
        let names: Vec<String> = (0..others).map(|i| format!("van-{i}")).collect();
        let mut devices: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 1)).collect();
        devices.push(("truck-7", hot));
        envelopes(&devices, 1000)
    }

    #[test]
    fn a_device_with_most_of_its_shard_fires_at_the_key() {
        let out = file("main.tf", &pipeline(4, "$${topic(2)}", ""))
            .samples(&devices(45, 15), None)
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL402");
        assert_eq!(out.text(f), "\"$${topic(2)}\"");
        says(
            &f.message,
            &[
                "key `truck-7` carries `",
                "one key is one shard and one ordering group",
            ],
        );
        says(&f.label, &["key `truck-7` dominates `shardId-"]);
    }

    #[test]
    fn devices_of_one_record_each_are_quiet() {
        file("main.tf", &pipeline(4, "$${topic(2)}", ""))
            .samples(&devices(1, 59), None)
            .run(super::check)
            .quiet();
    }
}
