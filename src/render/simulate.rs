//! The renderings of a simulation report (`shardlint simulate`): text for people, versioned
//! JSON (`--format json`) and the invocation timeline CSV (`--timeline`). Pure: the engine
//! filled the [`SimReport`]; this module only formats it.

use std::fmt::Write as _;

use crate::numbers::seconds;
use crate::simulate::recommend::Recommendation;
use crate::simulate::report::SimReport;

/// The `recommended: ...` paragraph of `--recommend`.
pub fn recommendation(r: &Recommendation) -> String {
    match &r.chosen {
        Some(t) => format!(
            "recommended: ParallelizationFactor {} with BatchSize {} keeps IteratorAge (at finish) at {} (under {}; drains in {})\n",
            t.parallelization_factor,
            t.batch_size,
            seconds(t.max_iterator_age_at_finish_seconds),
            seconds(r.max_lag_seconds),
            seconds(t.drain_seconds)
        ),
        None => format!(
            "no ParallelizationFactor 1..10 with BatchSize {:?} keeps IteratorAge under {}: a single key or the function itself is too slow\n",
            r.trials
                .iter()
                .map(|t| t.batch_size)
                .take(6)
                .collect::<Vec<_>>(),
            seconds(r.max_lag_seconds)
        ),
    }
}

/// Text: above this many invocations, the list is left to `--timeline` / JSON.
pub const TEXT_INVOCATIONS_MAX: usize = 40;

pub fn json(r: &SimReport) -> String {
    let mut s = crate::render::json_ascii_controls(
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
    );
    s.push('\n');
    s
}

pub fn text(r: &SimReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} records on {} shard{} drained in {}",
        r.records,
        r.shards,
        if r.shards == 1 { "" } else { "s" },
        seconds(r.drain_seconds)
    );
    let _ = writeln!(
        o,
        "max IteratorAge {} (last record of an event, when sent; {} when processing finished)",
        seconds(r.max_iterator_age_seconds),
        seconds(r.max_iterator_age_at_finish_seconds)
    );
    let _ = writeln!(
        o,
        "invocations {} · to destination {} · dropped {} (expired unread {}) · blocked {}",
        r.invocations.len(),
        r.destination_records,
        r.dropped_records,
        r.expired_records,
        seconds(r.blocked_seconds)
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
    for g in &r.groups {
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
            seconds(g.max_iterator_age_seconds),
            seconds(g.final_iterator_age_seconds),
            seconds(g.finished_s),
            seconds(g.blocked_seconds),
        ]);
    }
    table(&mut o, &rows);
    if r.invocations.len() <= TEXT_INVOCATIONS_MAX {
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
        for i in &r.invocations {
            rows.push([
                seconds(i.start_s),
                seconds(i.end_s),
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
            r.invocations.len()
        );
    }
    // Names come from inputs: no control character but our own line ends.
    crate::render::visible_except(&o, &['\n']).into_owned()
}

pub fn timeline_csv(r: &SimReport) -> String {
    let mut o = String::from(
        "start_s,end_s,shard,group,records,count,attempt,outcome,action,iterator_age_s\n",
    );
    for i in &r.invocations {
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
