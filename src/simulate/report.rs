//! What a simulation produces ([`SimReport`]) and its three renderings: text for people,
//! versioned JSON (`--format json`) and the invocation timeline CSV (`--timeline`). Pure: the
//! engine fills the report, this module only formats it.

use std::fmt::Write as _;

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

/// Text: above this many invocations, the list is left to `--timeline` / JSON.
pub const TEXT_INVOCATIONS_MAX: usize = 40;

pub fn fmt_s(x: f64) -> String {
    crate::numbers::seconds(x)
}

impl SimReport {
    pub fn to_json(&self) -> String {
        let mut s = crate::render::json_ascii_controls(
            serde_json::to_string_pretty(self)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
        );
        s.push('\n');
        s
    }

    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} records on {} shard{} drained in {}",
            self.records,
            self.shards,
            if self.shards == 1 { "" } else { "s" },
            fmt_s(self.drain_seconds)
        );
        let _ = writeln!(
            o,
            "max IteratorAge {} (last record of an event, when sent; {} when processing finished)",
            fmt_s(self.max_iterator_age_seconds),
            fmt_s(self.max_iterator_age_at_finish_seconds)
        );
        let _ = writeln!(
            o,
            "invocations {} · to destination {} · dropped {} (expired unread {}) · blocked {}",
            self.invocations.len(),
            self.destination_records,
            self.dropped_records,
            self.expired_records,
            fmt_s(self.blocked_seconds)
        );
        o.push('\n');
        let mut rows = vec![[
            "shard".to_string(),
            "group".into(),
            "keys".into(),
            "records".into(),
            "invocations".into(),
            "max age".into(),
            "final age".into(),
            "finished".into(),
            "blocked".into(),
        ]];
        for g in &self.groups {
            let mut keys = g.keys.join(",");
            if g.key_count > g.keys.len() {
                let _ = write!(keys, ",… ({})", g.key_count);
            }
            rows.push([
                g.shard.clone(),
                g.group.to_string(),
                keys,
                g.records.to_string(),
                g.invocations.to_string(),
                fmt_s(g.max_iterator_age_seconds),
                fmt_s(g.final_iterator_age_seconds),
                fmt_s(g.finished_s),
                fmt_s(g.blocked_seconds),
            ]);
        }
        table(&mut o, &rows);
        if self.invocations.len() <= TEXT_INVOCATIONS_MAX {
            o.push('\n');
            let mut rows = vec![[
                "start".to_string(),
                "end".into(),
                "shard".into(),
                "group".into(),
                "records".into(),
                "count".into(),
                "attempt".into(),
                "outcome".into(),
                "then".into(),
            ]];
            for i in &self.invocations {
                rows.push([
                    fmt_s(i.start_s),
                    fmt_s(i.end_s),
                    i.shard.clone(),
                    i.group.to_string(),
                    i.records.clone(),
                    i.count.to_string(),
                    i.attempt.to_string(),
                    i.outcome.as_str().into(),
                    i.action.map(|a| a.as_str()).unwrap_or("").into(),
                ]);
            }
            table(&mut o, &rows);
        } else {
            let _ = writeln!(
                o,
                "\n{} invocations: see `--timeline FILE.csv` or `--format json`",
                self.invocations.len()
            );
        }
        // Names come from inputs: no control character but our own line ends.
        crate::render::visible_except(&o, &['\n']).into_owned()
    }

    pub fn to_timeline_csv(&self) -> String {
        let mut o = String::from(
            "start_s,end_s,shard,group,records,count,attempt,outcome,action,iterator_age_s\n",
        );
        for i in &self.invocations {
            let _ = writeln!(
                o,
                "{:.3},{:.3},{},{},{},{},{},{},{},{:.3}",
                i.start_s,
                i.end_s,
                csv(&i.shard),
                i.group,
                csv(&i.records),
                i.count,
                i.attempt,
                i.outcome.as_str(),
                i.action.map(|a| a.as_str()).unwrap_or(""),
                i.iterator_age_seconds
            );
        }
        o
    }
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Left-aligned columns, two spaces apart, no trailing spaces.
fn table<const N: usize>(o: &mut String, rows: &[[String; N]]) {
    let mut w = [0usize; N];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < N {
                line.extend(std::iter::repeat_n(' ', w[i] - c.chars().count() + 2));
            }
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
}
