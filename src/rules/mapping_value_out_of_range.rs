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

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    fn mapping(batch_size: u32, factor: u32) -> String {
        format!(
            r#"resource "aws_kinesis_stream" "s" {{
  name        = "location-stream"
  shard_count = 8
}}

resource "aws_lambda_event_source_mapping" "m" {{
  event_source_arn       = aws_kinesis_stream.s.arn
  function_name          = "location-writer"
  starting_position      = "LATEST"
  batch_size             = {batch_size}
  parallelization_factor = {factor}
}}
"#
        )
    }

    #[test]
    fn a_batch_size_over_the_stream_limit_fires_at_the_value() {
        let out = file("main.tf", &mapping(100_000, 1)).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL301");
        assert_eq!(out.text(f), "100000");
        assert_eq!(out.at(f).1, 10);
        says(
            &f.message,
            &["`batch_size` is `100000`", "1..10000", "a Kinesis stream"],
        );
        says(&f.help, &["set `batch_size` to at most 10000"]);
        assert_eq!(f.label, "outside 1..10000");
    }

    #[test]
    fn a_factor_of_eleven_fires() {
        let out = file("main.tf", &mapping(100, 11)).run(super::check);
        assert_eq!(out.text(out.only()), "11");
    }

    #[test]
    fn the_limits_themselves_are_quiet() {
        file("main.tf", &mapping(10_000, 10))
            .run(super::check)
            .quiet();
    }
}
