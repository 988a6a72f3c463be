//! SL303 retries-without-destination: retries or record age are bounded, but no on-failure
//! destination is set, so batches that exhaust them are discarded with no trace.

use super::unbounded_retry_without_destination::{
    age_unbounded, blocks_on_poison, retries_unbounded,
};
use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL303",
    name: "retries-without-destination",
    summary: "Bounded retries without an on-failure destination drop failed batches silently",
    severity: Severity::Warning,
    group: super::Group::Consumer,
    doc: include_str!("../../rules/SL303.md"),
};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.model.mappings {
        if !m.is_stream_source()
            || blocks_on_poison(ctx, m).is_some()
            || !m.on_failure_destination.is_absent()
        {
            continue;
        }
        let (val, api) = if !retries_unbounded(m) && m.max_retry_attempts.get().is_some() {
            (&m.max_retry_attempts, "MaximumRetryAttempts")
        } else if !age_unbounded(m) && m.max_record_age.get().is_some() {
            (&m.max_record_age, "MaximumRecordAgeInSeconds")
        } else {
            continue;
        };
        let Some(span) = val.span else { continue };
        let name = param_name(m.origin.kind, api);
        let help = format!(
            "{} to keep a record of discarded batches",
            m.origin.kind.dialect().add_destination
        );
        let mut f = ctx.finding(
            &META,
            span,
            val.path.clone(),
            format!("batches that fail past `{name}` = `{}` are discarded with no trace: there is no on-failure destination", val.get().copied().unwrap_or_default()),
            "bounded, then dropped",
            help,
        );
        f.fixes.extend(crate::fix::bound_retries(ctx.db, m));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, says};

    fn mapping(extra: &str) -> String {
        format!(
            r#"resource "aws_kinesis_stream" "s" {{
  name        = "location-stream"
  shard_count = 8
}}

resource "aws_lambda_event_source_mapping" "m" {{
  event_source_arn               = aws_kinesis_stream.s.arn
  function_name                  = "location-writer"
  starting_position              = "LATEST"
  maximum_retry_attempts         = 3
  bisect_batch_on_function_error = true
{extra}}}
"#
        )
    }

    #[test]
    fn bounded_retries_without_destination_fire_at_the_bound() {
        let out = file("main.tf", &mapping("")).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL303");
        assert_eq!(out.text(f), "3");
        assert_eq!(out.at(f).1, 10);
        says(
            &f.message,
            &[
                "past `maximum_retry_attempts` = `3` are discarded",
                "no on-failure destination",
            ],
        );
        says(&f.help, &["destination_config"]);
    }

    #[test]
    fn an_on_failure_destination_is_quiet() {
        file(
            "main.tf",
            &mapping(
                "  destination_config {\n    on_failure {\n      destination_arn = \"arn:aws:sqs:us-east-1:123456789012:dlq\"\n    }\n  }\n",
            ),
        )
        .run(super::check)
        .quiet();
    }
}
