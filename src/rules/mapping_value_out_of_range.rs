//! SL301 mapping-value-out-of-range: an event source mapping stream parameter outside the range
//! Lambda accepts for Kinesis and DynamoDB streams (BatchSize 1..10000, window 0..300, ...). The
//! deploy fails, or a console value like the seed's BatchSize 100000 never took effect.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, Severity};
use crate::model::limits::{self, EsmParam};
use crate::model::{EventSourceMapping, Val};

pub static META: RuleMeta = RuleMeta {
    code: "SL301",
    name: "mapping-value-out-of-range",
    summary: "Event source mapping setting outside the range AWS accepts for streams",
    severity: Severity::Error,
    group: super::Group::Consumer,
    doc: include_str!("../../rules/SL301.md"),
};

fn params(m: &EventSourceMapping) -> [(&Val<i64>, EsmParam); 6] {
    [
        (&m.batch_size, limits::BATCH_SIZE),
        (&m.batching_window, limits::BATCHING_WINDOW),
        (&m.parallelization_factor, limits::PARALLELIZATION_FACTOR),
        (&m.max_retry_attempts, limits::MAX_RETRY_ATTEMPTS),
        (&m.max_record_age, limits::MAX_RECORD_AGE),
        (&m.tumbling_window, limits::TUMBLING_WINDOW),
    ]
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.model.mappings {
        if !m.is_stream_source() {
            continue;
        }
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
                    "`{name}` is `{v}`; Lambda accepts {} for stream sources",
                    p.range.describe()
                ),
                format!("outside {}", p.range.describe()),
                format!("{fix}{extra}"),
            );
            // Where the value is used, when it is written elsewhere (a module call's argument).
            f.related = super::related(&val.via);
            out.push(f);
        }
    }
}
