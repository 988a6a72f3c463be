//! What a simulation produces ([`SimReport`]): plain `Serialize` data the engine fills. Its
//! renderings (text, versioned JSON, the timeline CSV) are in
//! [`render::simulate`](crate::render::simulate).

use serde::Serialize;

/// How one invocation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Ok,
    /// The function returned an error (a poison record without ReportBatchItemFailures, or a
    /// random `--fail-rate` failure): the whole batch failed.
    Error,
    /// The batch ran past the function timeout and was cut there.
    Timeout,
    /// ReportBatchItemFailures: records before the failed one were checkpointed.
    Partial,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::Partial => "partial",
        }
    }
}

/// What the mapping did with a failed batch.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Retried after the backoff.
    Retry,
    /// Split in two (BisectBatchOnFunctionError); the halves run next, in order.
    Bisect,
    /// Given up (retries or record age exhausted), sent to the on-failure destination.
    Destination,
    /// Given up with no destination: the records are lost.
    Dropped,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::Bisect => "bisect",
            Action::Destination => "destination",
            Action::Dropped => "dropped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Invocation {
    pub start_s: f64,
    pub end_s: f64,
    pub shard: String,
    /// 0-based ordering group within the shard.
    pub group: u32,
    /// `first..last` as `key-seq` (seed 1's notation), e.g. `1-2..4-7`.
    pub records: String,
    pub count: u32,
    /// 1 for a first attempt; a bisected half keeps its parent's number.
    pub attempt: u32,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// IteratorAge this invocation emits: age of its last record when the event is sent.
    pub iterator_age_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReport {
    pub shard: String,
    pub group: u32,
    /// Keys in first-seen order (at most [`MAX_KEYS_LISTED`]; `key_count` has the total).
    pub keys: Vec<String>,
    pub key_count: usize,
    pub records: u64,
    pub processed_records: u64,
    pub invocations: u64,
    pub max_iterator_age_seconds: f64,
    pub final_iterator_age_seconds: f64,
    /// When the group's last batch completed or was given up.
    pub finished_s: f64,
    pub blocked_seconds: f64,
    pub destination_records: u64,
    pub dropped_records: u64,
}

pub const MAX_KEYS_LISTED: usize = 20;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimReport {
    pub version: u32,
    pub records: u64,
    pub shards: usize,
    /// From the first record's arrival to the last batch's completion.
    pub drain_seconds: f64,
    /// Lambda `IteratorAge` as `monitoring-metrics.md` words it: age of the last record of an
    /// event when it is sent; maximum over every invocation.
    pub max_iterator_age_seconds: f64,
    /// The `with-kinesis.md` wording: age of the last record when processing finished.
    pub max_iterator_age_at_finish_seconds: f64,
    pub invocations: Vec<Invocation>,
    pub groups: Vec<GroupReport>,
    pub destination_records: u64,
    pub dropped_records: u64,
    /// Records skipped unread because they were older than the record age limit (included in
    /// `destination_records` or `dropped_records`).
    pub expired_records: u64,
    /// Sum over groups of the time from the start of a failing attempt until the group's
    /// checkpoint moved past every record of that batch (success, destination or drop).
    pub blocked_seconds: f64,
}
