//! SL503 iterator-age-growing: a consumer's IteratorAge (Lambda `IteratorAge` of a mapping's
//! function, or the stream's `GetRecords.IteratorAgeMilliseconds`) keeps growing over the
//! exported window: at least a minute at its peak, the last quarter's mean more than twice the
//! first quarter's, and still at half its peak at the end. The consumer falls further behind.

use super::{Ctx, RuleMeta};
use crate::diagnostic::{Finding, RelatedSpan, Severity};
use crate::observed::{describe_age, function_label, growing};

pub static META: RuleMeta = RuleMeta {
    code: "SL503",
    name: "iterator-age-growing",
    summary: "CloudWatch shows a consumer's IteratorAge growing over the window",
    severity: Severity::Warning,
    group: super::Group::Observed,
    doc: include_str!("../../rules/SL503.md"),
};

/// An age below this is not worth a finding, however it trends.
pub const MIN_AGE_MS: f64 = 60_000.0;

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let observed = crate::observed::observe(ctx.model);
    let mut reported_streams = Vec::new();
    for m in &ctx.model.mappings {
        let Some(function) = m.function.get() else {
            continue;
        };
        let label = function_label(function);
        let Some(s) = observed.functions.get(label) else {
            continue;
        };
        if !growing(s, MIN_AGE_MS) {
            continue;
        }
        let stream = m
            .stream
            .map(|i| ctx.model.streams[i].display_name())
            .unwrap_or_else(|| "its stream".into());
        let mut f = ctx.finding(
            &META,
            s.0.span,
            s.0.path.clone(),
            format!(
                "IteratorAge of `{label}` reading `{stream}` {}: the consumer falls further behind",
                describe_age(s)
            ),
            "growing",
            "make each batch cheaper or run more of them: raise `ParallelizationFactor` (up to 10 batches per shard) or add shards if keys are spread; check the function's errors and duration, since retries of a failing batch also hold the shard back".into(),
        );
        f.related.push(RelatedSpan {
            span: m.origin.span,
            path: m.origin.address.clone(),
            message: "the event source mapping".into(),
        });
        if let Some(i) = m.stream {
            reported_streams.push(i);
        }
        out.push(f);
    }
    // The stream-side age, for consumers the export has no function metrics for.
    for (si, so) in observed.streams.iter().enumerate() {
        let Some(s) = so.iterator_age else { continue };
        if reported_streams.contains(&si) || !growing(&s, MIN_AGE_MS) {
            continue;
        }
        let stream = &ctx.model.streams[si];
        let mut f = ctx.finding(
            &META,
            s.0.span,
            s.0.path.clone(),
            format!(
                "`GetRecords.IteratorAgeMilliseconds` of `{}` {}: its slowest consumer falls further behind",
                stream.display_name(),
                describe_age(&s)
            ),
            "growing",
            "find the consumer that lags (Lambda `IteratorAge` per function, KCL `MillisBehindLatest`) and make its batches cheaper or more parallel".into(),
        );
        f.related.push(RelatedSpan {
            span: stream.origin.span,
            path: stream.origin.address.clone(),
            message: "the stream".into(),
        });
        out.push(f);
    }
}
