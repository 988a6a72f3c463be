//! How long one bad record can block its shard (or its ordering group): the single place that
//! decides it, used by SL302 in `check` and by the `simulate` engine so that both agree.
//!
//! Mechanism (Lambda developer guide, "kinesis-on-failure-destination" and "with-kinesis", error
//! handling): on a function error Lambda retries the whole batch, in order, until it succeeds,
//! `MaximumRetryAttempts` is used up, or the failing record is older than
//! `MaximumRecordAgeInSeconds` or expires from the stream. Bisecting splits the batch but does not
//! consume retries, and an on-failure destination receives the batch only after those bounds are
//! reached, so neither shortens the block when both bounds are unbounded.

use super::limits::{
    DYNAMODB_STREAM_RETENTION_HOURS, LEGACY_UNBOUNDED_AGE, LEGACY_UNBOUNDED_RETRIES,
    RETENTION_HOURS,
};
use super::{EventSourceMapping, EventSourceType, Stream, ValState};

/// Retries never stop on their own: -1, or the legacy 10,000 that old CLI output shows.
pub fn retries_unbounded(attempts: i64) -> bool {
    attempts == -1 || attempts >= LEGACY_UNBOUNDED_RETRIES
}

/// No age bound: -1 (the default). The legacy 604,800 is a real bound (7 days), but it is what
/// old output shows for "not set", so it counts as unbounded for the warning; the block then
/// lasts until the earlier of 7 days and the stream's retention.
pub fn age_unbounded(seconds: i64) -> bool {
    seconds == -1 || seconds >= LEGACY_UNBOUNDED_AGE
}

/// What ends the block when retries never do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryBy {
    /// The record expires from the stream after its retention; `written` = the retention is
    /// configured (else the 24 h default).
    Retention { hours: i64, written: bool },
    /// `MaximumRecordAgeInSeconds` ends it first.
    RecordAge { seconds: i64 },
}

/// The age (ms) at which a failing record is given up or an unread one skipped: the record age
/// limit when set and shorter, else the stream's retention. The simulator's age limit.
pub fn expiry_ms(max_record_age_ms: Option<u64>, retention_ms: u64) -> u64 {
    match max_record_age_ms {
        Some(a) => a.min(retention_ms),
        None => retention_ms,
    }
}

/// The answer to "how long can one bad record block".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoisonBlock {
    /// Retries and record age are both unbounded: the record blocks until it expires (SL302).
    pub unbounded: bool,
    /// How long the failing record can hold its shard, in seconds (when retries are bounded
    /// this is an upper bound; they usually end it much sooner).
    pub seconds: u64,
    pub by: ExpiryBy,
}

/// The settings, with AWS defaults for absent values: retries, age (both -1 = unbounded) and the
/// stream's retention in hours (with whether it is written).
pub fn poison_block(
    max_retry_attempts: i64,
    max_record_age_s: i64,
    retention_hours: i64,
    retention_written: bool,
) -> PoisonBlock {
    let retention_ms = retention_hours.max(0) as u64 * 3_600_000;
    let age_ms = (max_record_age_s >= 0).then(|| max_record_age_s as u64 * 1000);
    let ms = expiry_ms(age_ms, retention_ms);
    let by = match age_ms {
        Some(a) if a < retention_ms => ExpiryBy::RecordAge {
            seconds: max_record_age_s,
        },
        _ => ExpiryBy::Retention {
            hours: retention_hours,
            written: retention_written,
        },
    };
    PoisonBlock {
        unbounded: retries_unbounded(max_retry_attempts) && age_unbounded(max_record_age_s),
        seconds: ms / 1000,
        by,
    }
}

/// The retention that bounds a mapping's records: the linked stream's `retention_period` /
/// `RetentionPeriodHours`, DynamoDB's fixed 24 h, else the 24 h default. `None` when the
/// retention is written but not known statically.
pub fn source_retention(m: &EventSourceMapping, stream: Option<&Stream>) -> Option<(i64, bool)> {
    if m.source_type() == Some(EventSourceType::DynamoDbStreams) {
        return Some((DYNAMODB_STREAM_RETENTION_HOURS, false));
    }
    match stream.map(|s| &s.retention_hours.state) {
        Some(ValState::Known(h)) => Some((*h, true)),
        Some(ValState::Unknown(_)) => None,
        Some(ValState::Absent) | None => Some((RETENTION_HOURS.default, false)),
    }
}

/// The mapping's blocking figure with AWS defaults; `None` when a setting is not known statically
/// (the rule then stays quiet rather than guess).
pub fn mapping_poison_block(
    m: &EventSourceMapping,
    stream: Option<&Stream>,
) -> Option<PoisonBlock> {
    let retries: Option<i64> = m
        .max_retry_attempts
        .or_default(super::limits::MAX_RETRY_ATTEMPTS.default);
    let age: Option<i64> = m
        .max_record_age
        .or_default(super::limits::MAX_RECORD_AGE.default);
    let (retries, age) = (retries?, age?);
    let (hours, written) = source_retention(m, stream)?;
    Some(poison_block(retries, age, hours, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_block_for_the_retention() {
        let b = poison_block(-1, -1, 24, false);
        assert!(b.unbounded);
        assert_eq!(b.seconds, 86_400);
        assert_eq!(
            b.by,
            ExpiryBy::Retention {
                hours: 24,
                written: false
            }
        );
        assert_eq!(poison_block(-1, -1, 48, true).seconds, 172_800);
    }

    #[test]
    fn bounded_age_or_retries_are_not_unbounded() {
        let b = poison_block(-1, 3_600, 48, true);
        assert!(!b.unbounded);
        assert_eq!(b.seconds, 3_600);
        assert!(!poison_block(3, -1, 24, false).unbounded);
        // The legacy "unbounded" age is 7 days, shorter than a year of retention.
        let legacy = poison_block(10_000, 604_800, 8_760, true);
        assert!(legacy.unbounded);
        assert_eq!(legacy.seconds, 604_800);
    }
}
