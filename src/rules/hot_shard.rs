//! SL401 hot-shard: with sampled records, one shard of the stream takes far more than its fair
//! share (at least `hot-shard-share`, default 50%, of a multi-shard stream), or a shard's
//! records/s or bytes/s breach the 1,000 records/s / 1 MiB/s write limit when rates are known.

use super::{Ctx, RuleMeta, key_span, pct, thousands};
use crate::diagnostic::{Finding, RelatedSpan, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL401",
    name: "hot-shard",
    summary: "Sampled records concentrate on one shard or breach a shard's write limit",
    severity: Severity::Error,
    group: super::Group::Samples,
    doc: include_str!("../../rules/SL401.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for s in ctx.samples {
        let r = &s.report;
        let stream = &ctx.model.streams[s.stream];
        let n = r.shards.len();
        let keyed = r.input.keyed_records;
        if keyed == 0 {
            continue;
        }
        let Some(hot) = r.shards.iter().max_by_key(|sh| sh.records) else {
            continue;
        };
        let breaches: Vec<_> = r.limits.iter().filter(|l| l.scope == "shard").collect();
        let concentrated = n > 1 && hot.share >= ctx.config.hot_shard_share;
        if !concentrated && breaches.is_empty() {
            continue;
        }
        let (span, path) = key_span(ctx.model, s.rule, s.action);
        let mut message = format!(
            "`{}` of `{}` sampled records go to `{}` of `{}` ({n} shards, fair share `{}`); effective shards `{:.1}`",
            pct(hot.share),
            thousands(keyed),
            hot.shard_id,
            stream.display_name(),
            pct(1.0 / n as f64),
            r.skew.effective_shards
        );
        for b in &breaches {
            let unit = if b.metric == "records_per_s" {
                "records/s"
            } else {
                "bytes/s"
            };
            message.push_str(&format!(
                "; `{}` at `{:.0}` {unit}, above the `{:.0}` limit",
                b.id, b.value, b.limit
            ));
        }
        let mut f = ctx.finding(
            &META,
            span,
            path,
            message,
            format!("{} of the records land on one shard", pct(hot.share)),
            "spread the key: key by a per-device field with many values, or by `${newuuid()}` when per-device order does not matter; add shards only if the keys are already spread".into(),
        );
        f.related.push(RelatedSpan {
            span: stream.origin.span,
            path: stream.origin.address.clone(),
            message: format!(
                "the stream: {}",
                super::plural(n as u64, "open shard", "open shards")
            ),
        });
        out.push(f);
    }
}
