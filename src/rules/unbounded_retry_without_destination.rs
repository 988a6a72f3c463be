//! SL302 unbounded-retry-without-destination: with the default retry settings (retry until the
//! record expires) and neither bisect-on-error nor an on-failure destination, one poison record
//! blocks its shard (or its ordering group under ParallelizationFactor) until it expires.

use super::{Ctx, RuleMeta, param_name};
use crate::diagnostic::{Finding, Severity};
use crate::model::limits::{LEGACY_UNBOUNDED_AGE, LEGACY_UNBOUNDED_RETRIES};
use crate::model::{EventSourceMapping, SourceKind, ValState};

pub static META: RuleMeta = RuleMeta {
    code: "SL302",
    name: "unbounded-retry-without-destination",
    summary: "A poison record blocks the shard: unbounded retries, no bisect, no on-failure destination",
    severity: Severity::Warning,
    group: super::Group::Consumer,
    doc: include_str!("../../rules/SL302.md"),
};

/// Retries never stop on their own: absent, -1, or the legacy 10000 that old CLI output shows.
pub(super) fn retries_unbounded(m: &EventSourceMapping) -> bool {
    match m.max_retry_attempts.state {
        ValState::Absent => true,
        ValState::Known(v) => v == -1 || v >= LEGACY_UNBOUNDED_RETRIES,
        ValState::Unknown(_) => false,
    }
}

pub(super) fn age_unbounded(m: &EventSourceMapping) -> bool {
    match m.max_record_age.state {
        ValState::Absent => true,
        ValState::Known(v) => v == -1 || v >= LEGACY_UNBOUNDED_AGE,
        ValState::Unknown(_) => false,
    }
}

/// The mapping blocks on a poison record: SL302's condition.
pub(super) fn blocks_on_poison(m: &EventSourceMapping) -> bool {
    m.is_stream_source()
        && retries_unbounded(m)
        && m.bisect_on_error.get() != Some(&true)
        && !m.bisect_on_error.is_unknown()
        && m.on_failure_destination.is_absent()
}

pub(super) fn fix_help(kind: SourceKind) -> String {
    kind.dialect().bound_retries.to_string()
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for m in &ctx.model.mappings {
        if !blocks_on_poison(m) {
            continue;
        }
        let until = if age_unbounded(m) {
            "until it expires (the stream's retention, 24 h by default)".to_string()
        } else {
            format!(
                "for up to `{}` s",
                m.max_record_age.get().copied().unwrap_or_default()
            )
        };
        let scope = match m.parallelization_factor.get() {
            Some(&pf) if pf > 1 => "its ordering group (all keys sharing its batch)",
            _ => "its whole shard",
        };
        let span = m.max_retry_attempts.span.unwrap_or(m.origin.span);
        let retries = param_name(m.origin.kind, "MaximumRetryAttempts");
        out.push(ctx.finding(
            &META,
            span,
            m.origin.address.clone(),
            format!(
                "a failing record is retried {until}, blocking {scope}: `{retries}` is {}, with no bisect and no on-failure destination",
                match m.max_retry_attempts.get() {
                    Some(v) => format!("`{v}`"),
                    None => "not set (default `-1`, unbounded)".into(),
                }
            ),
            "a poison record blocks this mapping",
            fix_help(m.origin.kind),
        ));
    }
}
