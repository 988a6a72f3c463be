//! The renderings of a simulation (`shardlint simulate`): text for people, versioned JSON
//! (`--format json`) and the invocation timeline CSV (`--timeline`). Pure: the engine filled the
//! [`SimReport`] and the command resolved the [`SimulationView`]; this module only formats them.

use std::fmt::Write as _;

use crate::numbers::{plural, seconds, thousands};
use crate::simulate::model::format_duration;
use crate::simulate::recommend::Recommendation;
use crate::simulate::report::SimReport;
use crate::view::simulate::{Arrivals, SimulationView};

/// The `recommended: ...` paragraph of `--recommend`.
fn recommendation(r: &Recommendation) -> String {
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

pub fn json(v: &SimulationView) -> String {
    let mut s = crate::render::json_ascii_controls(
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
    );
    s.push('\n');
    s
}

/// The settings line, the arrivals, where settings came from, the notes, the report and the
/// recommendation.
pub fn text(v: &SimulationView) -> String {
    let mut o = String::new();
    let c = &v.settings;
    let _ = writeln!(
        o,
        "settings: BatchSize {}, window {}, ParallelizationFactor {} ({}), MaximumRetryAttempts {}, MaximumRecordAge {}, bisect {}, destination {}, ReportBatchItemFailures {}, record time {}, overhead {}, timeout {}",
        c.batch_size,
        format_duration(c.batching_window_ms),
        c.parallelization_factor,
        c.group_model,
        c.max_retry_attempts,
        match c.max_record_age_ms {
            Some(a) => format_duration(a),
            None => format!("-1 (retention {})", format_duration(c.retention_ms)),
        },
        on_off(c.bisect_batch_on_function_error),
        c.on_failure_destination.as_deref().unwrap_or("none"),
        on_off(c.report_batch_item_failures),
        c.record_time,
        format_duration(c.invocation_overhead_ms),
        format_duration(c.timeout_ms),
    );
    match &c.arrivals {
        Arrivals::Generated {
            keys,
            records_per_key,
            interval_us,
            record_bytes,
            interval_from,
        } => {
            let _ = writeln!(
                o,
                "arrivals: {} × {} every {}{}, {} each",
                plural(*keys as u64, "key", "keys"),
                plural(*records_per_key as u64, "record", "records"),
                interval(*interval_us),
                interval_from
                    .as_deref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default(),
                plural(*record_bytes as u64, "byte", "bytes"),
            );
        }
        Arrivals::Samples { files, records } => {
            let _ = writeln!(
                o,
                "arrivals: {} from {}",
                plural(*records as u64, "record", "records"),
                files.join(", ")
            );
        }
    }
    for s in &c.sources {
        let _ = writeln!(o, "from: {s}");
    }
    for n in &v.notes {
        let _ = writeln!(o, "note: {n}");
    }
    report_text(&mut o, v.report);
    if let Some(r) = v.recommendation {
        o.push('\n');
        o.push_str(&recommendation(r));
    }
    // Names come from inputs: no control character but our own line ends.
    crate::render::visible_except(&o, &['\n']).into_owned()
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// `1s`, `250ms`, or `0.625ms` for a rate-derived interval.
fn interval(us: u64) -> String {
    if us.is_multiple_of(1000) {
        format_duration(us / 1000)
    } else {
        format!("{}ms", us as f64 / 1000.0)
    }
}

fn report_text(o: &mut String, r: &SimReport) {
    let _ = writeln!(
        o,
        "{} on {} drained in {}",
        plural(r.records, "record", "records"),
        plural(r.shards as u64, "shard", "shards"),
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
        thousands(r.invocations.len() as u64),
        thousands(r.destination_records),
        thousands(r.dropped_records),
        thousands(r.expired_records),
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
            thousands(g.records),
            thousands(g.invocations),
            seconds(g.max_iterator_age_seconds),
            seconds(g.final_iterator_age_seconds),
            seconds(g.finished_s),
            seconds(g.blocked_seconds),
        ]);
    }
    table(o, &rows);
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
        table(o, &rows);
    } else {
        let _ = writeln!(
            o,
            "\n{} invocations: see `--timeline FILE.csv` or `--format json`",
            thousands(r.invocations.len() as u64)
        );
    }
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
