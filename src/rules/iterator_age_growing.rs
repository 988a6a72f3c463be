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

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, metric_data, says};

    const TF: &str = r#"resource "aws_kinesis_stream" "s" {
  name        = "location-stream"
  shard_count = 8
}

resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn       = aws_kinesis_stream.s.arn
  function_name          = "location-writer"
  starting_position      = "LATEST"
  maximum_retry_attempts = 3
}
"#;
    const AGE: &str = "lambda ap-northeast-1 location-writer IteratorAge Maximum 60";

    #[test]
    fn a_growing_age_fires_at_the_series() {
        let out = file("main.tf", TF)
            .file(
                "metrics.get-metric-data.json",
                &metric_data(&[(AGE, &[2_000.0, 60_000.0, 300_000.0, 900_000.0, 1_800_000.0])]),
            )
            .run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL503");
        assert_eq!(out.text(f), format!("\"{AGE}\""));
        says(
            &f.message,
            &[
                "IteratorAge of `location-writer` reading `location-stream` grew from `2.0 s` to `30 min`",
                "falls further behind",
            ],
        );
    }

    #[test]
    fn a_drained_or_small_age_is_quiet() {
        for ages in [
            &[2_000.0, 600_000.0, 900_000.0, 100_000.0, 1_000.0][..],
            &[2_000.0, 4_000.0, 8_000.0, 16_000.0, 30_000.0][..],
        ] {
            file("main.tf", TF)
                .file("metrics.get-metric-data.json", &metric_data(&[(AGE, ages)]))
                .run(super::check)
                .quiet();
        }
    }
}
