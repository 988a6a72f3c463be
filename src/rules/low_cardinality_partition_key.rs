//! SL107 low-cardinality-partition-key: a producer's key takes only a few distinct values (an
//! EventBridge event's `source`, `str(random.randint(0, 3))`), so at most that many shards of the
//! stream ever receive records while the rest idle.

use super::{Ctx, RuleMeta, plural, producer_stream};
use crate::diagnostic::{Finding, Severity};
use crate::model::KeyExpr;

pub static META: RuleMeta = RuleMeta {
    code: "SL107",
    name: "low-cardinality-partition-key",
    summary: "Partition key takes fewer distinct values than the stream has shards",
    severity: Severity::Warning,
    group: super::Group::PartitionKey,
    doc: include_str!("../../rules/SL107.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for p in &ctx.model.producers {
        let KeyExpr::LowCardinality { count, what } = &p.class else {
            continue;
        };
        let Some(span) = p.key.span else {
            continue;
        };
        if ctx.auto_distribution(p.stream) {
            continue;
        }
        let shards = p
            .stream
            .and_then(|i| ctx.model.streams.get(i))
            .and_then(|s| s.open_shard_count());
        // Enough values for every shard: not this rule's business (hashing may still collide).
        if let (Some(c), Some(n)) = (count, shards)
            && *c as i64 >= n
        {
            continue;
        }
        if shards == Some(1) {
            continue;
        }
        let stream = producer_stream(ctx.model, p);
        let written = p.key.get().cloned().unwrap_or_default();
        let message = match (count, shards) {
            (Some(c), Some(n)) => format!(
                "partition key `{written}` takes at most {}: at most {c} of {n} shards of `{}` can receive records",
                plural(*c, "value", "values"),
                p.stream
                    .and_then(|i| ctx.model.streams.get(i))
                    .map(|s| s.display_name())
                    .unwrap_or_default()
            ),
            (Some(c), None) => format!(
                "partition key `{written}` takes at most {}: at most {c} shards of {stream} can receive records",
                plural(*c, "value", "values")
            ),
            (None, _) => format!(
                "partition key `{written}` is {what}, which takes few distinct values: only that many shards of {stream} can receive records"
            ),
        };
        let label = match count {
            Some(c) => format!("at most {}", plural(*c, "distinct key", "distinct keys")),
            None => "few distinct keys".to_string(),
        };
        out.push(ctx.finding(
            &META,
            span,
            p.key.path.clone(),
            message,
            label,
            format!(
                "key by something with many values, such as a device or order id, e.g. `{}`",
                p.per_record_example
            ),
        ));
    }
}
