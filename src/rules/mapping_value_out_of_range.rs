//! SL301 mapping-value-out-of-range: an event source mapping parameter outside the range Lambda
//! accepts for its kind of source (BatchSize 1..10000 for streams, at most 10 for SQS FIFO,
//! window 0..300, ...). The deploy fails, or a console value like the seed's BatchSize 100000
//! never took effect. A value invalid for every source (`BatchSize = 0`) is reported whatever the
//! source; the stream-only settings only on stream sources.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, Severity};
use crate::model::limits::{self, EsmParam};
use crate::model::{EventSourceMapping, Val};

pub static META: RuleMeta = RuleMeta {
    code: "SL301",
    name: "mapping-value-out-of-range",
    summary: "Event source mapping setting outside the range AWS accepts for its kind of source",
    severity: Severity::Error,
    group: super::Group::Consumer,
    doc: include_str!("../../rules/SL301.md"),
};

/// The settings to check and their ranges for this mapping's source kind.
fn params(m: &EventSourceMapping) -> Vec<(&Val<i64>, EsmParam)> {
    let mut out = vec![
        (&m.batch_size, limits::batch_size_for(m.source_type())),
        (&m.batching_window, limits::BATCHING_WINDOW),
    ];
    if m.is_stream_source() {
        out.extend([
            (&m.parallelization_factor, limits::PARALLELIZATION_FACTOR),
            (&m.max_retry_attempts, limits::MAX_RETRY_ATTEMPTS),
            (&m.max_record_age, limits::MAX_RECORD_AGE),
            (&m.tumbling_window, limits::TUMBLING_WINDOW),
        ]);
    }
    out
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.model.mappings {
        let sources = match m.source_type() {
            Some(t) => format!("this source ({})", t.label()),
            None if m.is_stream_source() => "stream sources".to_string(),
            None => "every kind of event source".to_string(),
        };
        for (val, p) in params(m) {
            let (Some(&v), Some(span)) = (val.get(), val.span) else {
                continue;
            };
            if p.range.contains(v) {
                continue;
            }
            let name = param_name(m.origin.kind, p.api);
            let fix = if v > p.range.max {
                format!("set `{name}` to at most {}", p.range.max)
            } else {
                format!("set `{name}` within {}", p.range.describe())
            };
            let extra = if p.api == "BatchSize" {
                " (a batch is also capped by the 6 MB invocation payload)"
            } else if p.api == "MaximumRecordAgeInSeconds" {
                " (-1 means no limit)"
            } else {
                ""
            };
            let mut f = ctx.finding(
                &META,
                span,
                val.path.clone(),
                format!(
                    "`{name}` is `{v}`; Lambda accepts {} for {sources}",
                    p.range.describe()
                ),
                format!("outside {}", p.range.describe()),
                format!("{fix}{extra}"),
            );
            // Where the value is used, when it is written elsewhere (a module call's argument).
            f.related = super::related(&val.via);
            // The nearest value the range accepts: a likely intent, to review.
            let nearest = v.clamp(p.range.min, p.range.max);
            f.fixes.extend(crate::fix::set_number(
                ctx.db,
                m.origin.kind,
                val,
                v,
                nearest,
                &name,
            ));
            out.push(f);
        }
    }
}
