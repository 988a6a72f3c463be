//! SL302 unbounded-retry-without-destination: with retries and record age both unbounded (the
//! defaults), one poison record blocks its shard (or its ordering group under
//! ParallelizationFactor) until it expires from the stream, whatever bisect and on-failure
//! destinations say: bisecting does not consume retries, and a destination receives a batch only
//! once a bound is reached. How long is decided in `model::blocking`, as for `simulate`.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, Severity};
use crate::model::blocking::{self, ExpiryBy, mapping_poison_block};
use crate::model::{EventSourceMapping, SourceKind, ValState};
use crate::numbers::thousands;
use crate::numbers::whole_duration;

pub static META: RuleMeta = RuleMeta {
    code: "SL302",
    name: "unbounded-retry-without-destination",
    summary: "A poison record blocks its shard until it expires: retries and record age are both unbounded",
    severity: Severity::Warning,
    group: super::Group::Consumer,
    doc: include_str!("../../rules/SL302.md"),
};

/// Retries never stop on their own: absent, -1, or the legacy 10000 that old CLI output shows.
pub(super) fn retries_unbounded(m: &EventSourceMapping) -> bool {
    match m.max_retry_attempts.state {
        ValState::Absent => true,
        ValState::Known(v) => blocking::retries_unbounded(v),
        ValState::Unknown(_) => false,
    }
}

pub(super) fn age_unbounded(m: &EventSourceMapping) -> bool {
    match m.max_record_age.state {
        ValState::Absent => true,
        ValState::Known(v) => blocking::age_unbounded(v),
        ValState::Unknown(_) => false,
    }
}

/// The mapping blocks on a poison record until it expires: SL302's condition.
pub(super) fn blocks_on_poison(ctx: &Ctx, m: &EventSourceMapping) -> Option<blocking::PoisonBlock> {
    if !m.is_stream_source() {
        return None;
    }
    let stream = m.stream.map(|i| &ctx.model.streams[i]);
    mapping_poison_block(m, stream).filter(|b| b.unbounded)
}

/// The fix in the mapping's own syntax; an exported mapping's command names its UUID.
pub(super) fn fix_help(kind: SourceKind, address: &str) -> String {
    (kind.dialect().bound_retries)(address)
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.model.mappings {
        let Some(block) = blocks_on_poison(ctx, m) else {
            continue;
        };
        let kind = m.origin.kind;
        let how_long = whole_duration(block.seconds);
        let until = match block.by {
            ExpiryBy::Retention { hours, written } => {
                if m.source_type() == Some(crate::model::EventSourceType::DynamoDbStreams) {
                    "it expires from the stream (DynamoDB streams keep records 24 h)".to_string()
                } else if written {
                    format!(
                        "it expires from the stream (`{}` = `{hours}`)",
                        retention_name(kind)
                    )
                } else {
                    "it expires from the stream (retention 24 h by default)".to_string()
                }
            }
            ExpiryBy::RecordAge { seconds } => format!(
                "it is older than `{}` = `{}`",
                param_name(kind, "MaximumRecordAgeInSeconds"),
                thousands(seconds.max(0) as u64)
            ),
        };
        let scope = match m.parallelization_factor.get() {
            Some(&pf) if pf > 1 => "its ordering group (all keys sharing its batch)",
            _ => "its whole shard",
        };
        let span = m.max_retry_attempts.span.unwrap_or(m.origin.span);
        let retries = param_name(kind, "MaximumRetryAttempts");
        let mut despite = Vec::new();
        if m.bisect_on_error.get() == Some(&true) {
            despite.push("bisecting does not consume retries");
        }
        if !m.on_failure_destination.is_absent() {
            despite.push(
                "the on-failure destination receives the batch only after retries or age run out",
            );
        }
        let despite = if despite.is_empty() {
            String::new()
        } else {
            format!("; {}", despite.join(", and "))
        };
        let mut f = ctx.finding(
            &META,
            span,
            m.origin.address.clone(),
            format!(
                "a failing record is retried until {until}, blocking {scope} for up to {how_long} ({} s): `{retries}` is {} and `{}` is {}{despite}",
                thousands(block.seconds),
                match m.max_retry_attempts.get() {
                    Some(v) => format!("`{v}`"),
                    None => "not set (default `-1`, unbounded)".into(),
                },
                param_name(kind, "MaximumRecordAgeInSeconds"),
                match m.max_record_age.get() {
                    Some(v) => format!("`{v}`"),
                    None => "not set (default `-1`, unbounded)".into(),
                },
            ),
            format!("a poison record blocks this mapping for up to {how_long}"),
            fix_help(kind, &m.origin.address),
        );
        f.fixes.extend(crate::fix::bound_retries(ctx.db, m));
        out.push(f);
    }
}

/// The stream's retention setting as the user's format spells it.
fn retention_name(kind: SourceKind) -> String {
    param_name(kind, "RetentionPeriodHours")
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
  event_source_arn  = aws_kinesis_stream.s.arn
  function_name     = "location-writer"
  starting_position = "LATEST"
{extra}}}
"#
        )
    }

    #[test]
    fn defaults_block_a_shard_for_the_retention_and_fire_at_the_mapping() {
        let out = file("main.tf", &mapping("")).run(super::check);
        let f = out.only();
        assert_eq!(f.meta.code, "SL302");
        assert!(
            out.text(f)
                .starts_with("resource \"aws_lambda_event_source_mapping\" \"m\""),
            "{}",
            out.text(f)
        );
        says(
            &f.message,
            &[
                "retention 24 h by default",
                "its whole shard for up to 24 h (86,400 s)",
                "`maximum_retry_attempts` is not set (default `-1`, unbounded)",
            ],
        );
        says(&f.help, &["maximum_retry_attempts"]);
    }

    #[test]
    fn an_explicit_minus_one_fires_at_the_value() {
        let out = file("main.tf", &mapping("  maximum_retry_attempts = -1\n")).run(super::check);
        let f = out.only();
        assert_eq!(out.text(f), "-1");
        says(&f.message, &["`maximum_retry_attempts` is `-1`"]);
    }

    #[test]
    fn bounded_retries_are_quiet() {
        file("main.tf", &mapping("  maximum_retry_attempts = 3\n"))
            .run(super::check)
            .quiet();
        file(
            "main.tf",
            &mapping("  maximum_record_age_in_seconds = 3600\n"),
        )
        .run(super::check)
        .quiet();
    }
}
