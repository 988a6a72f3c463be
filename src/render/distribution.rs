//! Text and JSON of a distribution report, the last stage of `shardlint distribute`: pure,
//! view model → string; the text fits 80 columns, no colour. Which shard and keys are hot was
//! decided in the view model ([`DistributionView`]).

use std::fmt::Write;

use crate::numbers::thousands;
use crate::view::distribution::DistributionView;

/// The report as JSON (version 1, with the `hot` decisions), control characters escaped.
pub fn json(v: &DistributionView) -> String {
    let s = serde_json::to_string_pretty(v).unwrap_or_default();
    crate::render::json_ascii_controls(s) + "\n"
}

fn pct(x: f64) -> String {
    crate::numbers::percent(x, 2)
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v >= 100.0 => thousands(v.round() as u64),
        Some(v) => format!("{v:.2}"),
        None => "-".into(),
    }
}

/// Cuts a key for display, control characters visible (a key may hold a newline or an
/// escape sequence); the JSON keeps it whole.
fn short(key: &str, max: usize) -> String {
    let key = crate::render::visible(key);
    if key.chars().count() <= max {
        key.into_owned()
    } else {
        let mut s: String = key.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn write_groups(o: &mut String, groups: &[crate::distribution::report::ShardGroups], factor: u32) {
    for g in groups {
        let _ = writeln!(
            o,
            "  {}: {} records, effective parallelism {:.2} of {}{}",
            g.shard_id,
            g.records,
            g.effective_parallelism,
            factor,
            if g.exact { "" } else { " (estimated)" }
        );
        for gr in &g.groups {
            let keys: Vec<String> = gr
                .top_keys
                .iter()
                .map(|k| format!("{} ({})", short(&k.key, 24), k.count))
                .collect();
            let more = gr.keys.saturating_sub(gr.top_keys.len() as u64);
            let _ = writeln!(
                o,
                "    group {}: {}, {}: {}{}",
                gr.group,
                crate::numbers::plural(gr.records, "record", "records"),
                crate::numbers::plural(gr.keys, "key", "keys"),
                keys.join(", "),
                if more > 0 {
                    format!(", … {more} more")
                } else {
                    String::new()
                }
            );
        }
        for c in &g.collisions {
            let _ = writeln!(
                o,
                "    collision in group {}: top keys {} wait on each other",
                c.group,
                c.keys
                    .iter()
                    .map(|k| format!("`{}`", short(k, 24)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

pub fn text(v: &DistributionView) -> String {
    let r = v.report;
    let mut o = String::new();
    let i = &r.input;
    let files: Vec<String> = i
        .files
        .iter()
        .map(|f| format!("{} ({})", f.path, f.format))
        .collect();
    let _ = writeln!(
        o,
        "{} ({} keyed) from {} onto {} ({})",
        crate::numbers::plural(i.records, "record", "records"),
        thousands(i.keyed_records),
        files.join(", "),
        crate::numbers::plural(i.open_shards as u64, "open shard", "open shards"),
        i.shard_map
    );
    let time = match (i.time.source, i.time.records_per_s) {
        ("rate", Some(rate)) => format!(
            "rate {} records/s ({})",
            crate::numbers::thousands_f(rate),
            v.rate_from.as_deref().unwrap_or("--rate")
        ),
        ("timestamps", Some(v)) => format!(
            "rate {v:.1} records/s over a {:.0} s sample",
            i.time.span_s.unwrap_or(0.0)
        ),
        ("timestamps", None) => "every timestamp at one instant".into(),
        _ => "rate unknown".into(),
    };
    let _ = writeln!(o, "key: {} · {}", i.key_source, time);
    for n in &v.notes {
        let _ = writeln!(o, "note: {n}");
    }
    o.push('\n');

    if let Some(w) = &i.time.windows {
        // Means beside the busiest one-second window and the p99 of windows.
        let _ = writeln!(
            o,
            "{:<22} {:>10} {:>8} {:>8} {:>8} {:>7} {:>11}",
            "shard", "records", "share", "rec/s", "peak/s", "p99/s", "peak B/s"
        );
        for s in v.listed_shards.iter().map(|&i| &r.shards[i]) {
            let p = s.per_second.as_ref();
            let _ = writeln!(
                o,
                "{:<22} {:>10} {:>8} {:>8} {:>8} {:>7} {:>11}",
                s.shard_id,
                thousands(s.records),
                pct(s.share),
                num(s.records_per_s),
                p.map_or("-".into(), |p| thousands(p.peak_records)),
                p.map_or("-".into(), |p| thousands(p.p99_records)),
                p.map_or("-".into(), |p| thousands(p.peak_bytes)),
            );
        }
        let busiest = r
            .shards
            .iter()
            .filter_map(|s| s.per_second.as_ref().map(|p| (s, p)))
            .max_by(|a, b| {
                a.1.peak_records
                    .cmp(&b.1.peak_records)
                    .then(b.0.shard_id.cmp(&a.0.shard_id))
            });
        let _ = writeln!(
            o,
            "per second: {} one-second windows, one starting every {} ms",
            thousands(w.count),
            w.step_ms
        );
        if let Some((s, p)) = busiest {
            let _ = writeln!(
                o,
                "  busiest: `{}` with {} in the second from {}",
                s.shard_id,
                crate::numbers::plural(p.peak_records, "record", "records"),
                p.peak_records_at
            );
        }
        if w.late_records > 0 {
            let _ = writeln!(
                o,
                "  {} arrived after their window closed (input out of time order): peaks are lower bounds",
                crate::numbers::plural(w.late_records, "record", "records")
            );
        }
    } else {
        let _ = writeln!(
            o,
            "{:<22} {:>12} {:>8} {:>10} {:>12}",
            "shard", "records", "share", "rec/s", "bytes/s"
        );
        for s in v.listed_shards.iter().map(|&i| &r.shards[i]) {
            let _ = writeln!(
                o,
                "{:<22} {:>12} {:>8} {:>10} {:>12}",
                s.shard_id,
                thousands(s.records),
                pct(s.share),
                num(s.records_per_s),
                num(s.bytes_per_s)
            );
        }
    }
    if let Some(x) = &v.other_shards {
        let _ = writeln!(
            o,
            "… and {} more {} with {} to {} records each (the busiest {} are listed; `--format json` has every shard)",
            thousands(x.count as u64),
            if x.count == 1 { "shard" } else { "shards" },
            thousands(x.records_min),
            thousands(x.records_max),
            v.listed_shards.len()
        );
    }
    let k = &r.skew;
    if let Some(h) = &k.hottest_shard {
        let _ = writeln!(
            o,
            "skew: hottest `{h}` {} · max/mean {:.2} · CV {:.2} · effective shards {:.2} of {}",
            pct(k.hottest_share),
            k.max_over_mean,
            k.coefficient_of_variation,
            k.effective_shards,
            i.open_shards
        );
    }
    if r.shards.len() > 1 && i.keyed_records > 0 {
        let _ = match &v.hot.shard {
            Some(h) => writeln!(
                o,
                "hot shard: `{}` takes {} of keyed records (fair share {}; hot-shard-share {})",
                h.shard_id,
                pct(h.share),
                pct(h.fair_share),
                crate::numbers::pct_short(v.hot.hot_shard_share)
            ),
            None => writeln!(
                o,
                "hot shard: none (no shard at or above hot-shard-share {} beyond sampling noise)",
                crate::numbers::pct_short(v.hot.hot_shard_share)
            ),
        };
    }
    o.push('\n');

    let d = &r.distinct_keys;
    let _ = writeln!(
        o,
        "distinct keys: {} ({})",
        thousands(d.count),
        if d.exact {
            "exact"
        } else {
            "HyperLogLog estimate"
        }
    );
    if !r.hot_keys.is_empty() {
        let kc = &r.key_counts;
        if kc.method == "exact" {
            let _ = writeln!(
                o,
                "top {} (exact counts):",
                crate::numbers::plural(r.hot_keys.len() as u64, "key", "keys")
            );
        } else {
            let _ = writeln!(
                o,
                "top {} (Space-Saving: counts overestimate by at most {}, bound {}):",
                crate::numbers::plural(r.hot_keys.len() as u64, "key", "keys"),
                kc.max_error,
                kc.error_bound
            );
        }
        for h in &r.hot_keys {
            let _ = writeln!(
                o,
                "  {:<38} {:>10} {:>8}  {}{}",
                short(&h.key, 38),
                h.count,
                pct(h.share),
                h.shard_id,
                if v.key_is_hot(&h.key, &h.shard_id) {
                    "  hot"
                } else {
                    ""
                }
            );
        }
        if d.count >= 2 {
            let share = crate::numbers::pct_short(v.hot.hot_key_share);
            let _ = match v.hot.keys.as_slice() {
                [] => writeln!(
                    o,
                    "hot keys: none above hot-key-share {share} of its shard's records"
                ),
                keys => writeln!(
                    o,
                    "hot keys: {} above hot-key-share {share} of their shard's records (marked `hot`); the hottest, `{}`, carries {} of `{}`",
                    crate::numbers::plural(keys.len() as u64, "key", "keys"),
                    short(&keys[0].key, 24),
                    pct(keys[0].share_of_shard),
                    keys[0].shard_id
                ),
            };
        }
    }
    let u = &r.undefined_keys;
    if u.count > 0 {
        let _ = writeln!(
            o,
            "undefined keys: {} ({} of records)",
            u.count,
            pct(u.share)
        );
        if let Some(e) = &u.example {
            let _ = writeln!(o, "  e.g. {}: {}", e.at, e.reason);
            let _ = writeln!(o, "    {}", short(&e.record, 72));
        }
    }
    let u = &r.unknown_keys;
    if u.count > 0 {
        let _ = writeln!(
            o,
            "unknown keys: {} ({} of records): IoT forms a key shardlint cannot compute",
            u.count,
            pct(u.share)
        );
        if let Some(e) = &u.example {
            let _ = writeln!(o, "  e.g. {}: {}", e.at, e.reason);
            let _ = writeln!(o, "    {}", short(&e.record, 72));
        }
    }
    let m = &r.multiple_matches;
    if m.count > 0 {
        let _ = writeln!(o, "key path matched several values: {} records", m.count);
        if let Some(e) = &m.example {
            let _ = writeln!(o, "  e.g. {}", e.at);
        }
    }
    let b = &r.bad_lines;
    if b.count > 0 {
        let _ = writeln!(o, "bad lines: {} (skipped)", b.count);
        for e in &b.examples {
            let _ = writeln!(o, "  {}: {}", e.at, e.reason);
        }
    }
    if let Some(a) = &r.aggregates {
        let _ = writeln!(
            o,
            "from a `shardlint sql` result ({}): {}",
            a.dialect, a.path
        );
        if a.inexact.is_empty() {
            let _ = writeln!(
                o,
                "  exact: no keyed record has a key the engine may render otherwise"
            );
        }
        for x in &a.inexact {
            let _ = writeln!(
                o,
                "  inexact: {} may have another key in the engine: {}",
                crate::numbers::plural(x.records, "keyed record", "keyed records"),
                x.description
            );
        }
        for w in &a.windows_over {
            let _ = writeln!(
                o,
                "  {}: {} over {} records/s, {} over {} MiB/s",
                w.shard_id,
                crate::numbers::plural(
                    w.records_windows,
                    "one-second window",
                    "one-second windows"
                ),
                thousands(crate::model::limits::SHARD_WRITE_RECORDS_PER_S as u64),
                thousands(w.bytes_windows),
                crate::model::limits::SHARD_WRITE_BYTES_PER_S / 1_048_576.0
            );
        }
        for n in &a.not_given {
            let _ = writeln!(o, "  not given: {n}");
        }
    }
    o.push('\n');

    if i.parallelization_factor > 1 {
        let _ = writeln!(
            o,
            "ordering groups (ParallelizationFactor {}, model {}):",
            i.parallelization_factor, i.group_model
        );
        write_groups(&mut o, &r.groups, i.parallelization_factor);
        if !r.group_models.is_empty() {
            // AWS does not document the assignment: show where the models disagree.
            let _ = writeln!(o, "group models (busiest shard):");
            for m in &r.group_models {
                let _ = writeln!(
                    o,
                    "  {:<24} effective parallelism {:.2} of {}, largest group {}{}",
                    m.model,
                    m.effective_parallelism,
                    i.parallelization_factor,
                    pct(m.largest_group_share),
                    match m.collisions.len() {
                        0 => String::new(),
                        n => format!(
                            ", {}",
                            crate::numbers::plural(n as u64, "collision", "collisions")
                        ),
                    }
                );
            }
            for m in r.group_models.iter().filter(|m| m.model != i.group_model) {
                if let Some(groups) = &m.groups {
                    let _ = writeln!(o, "ordering groups under {}:", m.model);
                    write_groups(&mut o, groups, i.parallelization_factor);
                }
            }
        }
        o.push('\n');
    }

    if i.time.records_per_s.is_none() && i.time.windows.is_none() {
        let _ = writeln!(
            o,
            "limits: not checked (give `--rate N/s` or samples with timestamps)"
        );
    } else if r.limits.is_empty() {
        let _ = writeln!(
            o,
            "limits: no shard or key above 1,000 records/s or 1 MiB/s{}",
            if i.time.windows.is_some() {
                " in any second"
            } else {
                " (means)"
            }
        );
    } else {
        let _ = writeln!(o, "limits breached:");
        for l in &r.limits {
            let (unit, limit) = if l.metric == "records_per_s" {
                ("records", "1,000 records/s")
            } else {
                ("bytes", "1 MiB/s")
            };
            let _ = match (&l.at, l.basis) {
                (Some(at), "peak") => writeln!(
                    o,
                    "  {} `{}`: {} {unit} in the second from {at}{}, above {limit}",
                    l.scope,
                    short(&l.id, 40),
                    thousands(l.value as u64),
                    l.mean
                        .map(|m| format!(" (mean {}/s)", num(Some(m))))
                        .unwrap_or_default()
                ),
                _ => writeln!(
                    o,
                    "  {} `{}`: {} {unit}/s {}, above {limit}",
                    l.scope,
                    short(&l.id, 40),
                    thousands(l.value.round() as u64),
                    if l.basis == "peak" { "at peak" } else { "mean" }
                ),
            };
        }
    }
    for e in &r.input_errors {
        let _ = writeln!(o, "input error: {}", crate::render::visible(e));
    }
    // Shard IDs, file names and reasons come from inputs too: no control character but our
    // own line ends reaches the terminal.
    crate::render::visible_except(&o, &['\n']).into_owned()
}
