//! The discrete-event engine: routes arrivals to shards (keyspace) and ordering groups
//! (ordering), then plays each group's batches — one in flight per group — through the function,
//! faults, retries, bisect, destinations and record expiry, and fills a [`SimReport`].
//!
//! Groups share nothing in the model (no account concurrency limit, no shard read throttling), so
//! each group is an independent queue simulated on its own: no global event heap is needed and the
//! result does not depend on iteration order. Time is integer milliseconds from the first arrival.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::keyspace::ShardMap;
use crate::ordering::Router;

use super::model::{Arrival, RecordTime, SimConfig, Z99, event_bytes};
use super::report::{Action, GroupReport, Invocation, MAX_KEYS_LISTED, Outcome, SimReport};

/// One record as the engine sees it (times relative to the first arrival).
#[derive(Clone, Copy, Debug)]
struct Rec {
    arrival: u64,
    /// The first poll that sees the record (see [`visible_at`]).
    visible: u64,
    event_bytes: u32,
    key: u32,
    seq: u32,
    poison: bool,
}

struct Group {
    shard: usize,
    group: u32,
    keys: Vec<u32>,
    recs: Vec<Rec>,
}

/// A batch still to be attempted: records `lo..hi` of its group.
#[derive(Clone, Copy, Debug)]
struct Batch {
    lo: usize,
    hi: usize,
    retries: u32,
    not_before: u64,
}

use crate::random::SplitMix as Rng;

/// Poll-phase assumption: Lambda polls each shard every `poll` ms; the poller had just polled
/// when the first record arrived, so polls fall at `poll, 2*poll, ...` after it, and a poll sees
/// every record that arrived at or before it. `poll = 0` means records are seen on arrival.
fn visible_at(arrival: u64, poll: u64) -> u64 {
    if poll == 0 {
        arrival
    } else {
        arrival.div_ceil(poll).max(1) * poll
    }
}

fn check(cfg: &SimConfig) -> Result<(), String> {
    if !(1..=10_000).contains(&cfg.batch_size) {
        return Err(format!(
            "batch size `{}` is outside `1..10000`",
            cfg.batch_size
        ));
    }
    if !(1..=10).contains(&cfg.parallelization_factor) {
        return Err(format!(
            "ParallelizationFactor `{}` is outside `1..10`",
            cfg.parallelization_factor
        ));
    }
    if !(0.0..=1.0).contains(&cfg.fail_rate) {
        return Err(format!("fail rate `{}` is outside `0..1`", cfg.fail_rate));
    }
    if cfg.timeout_ms == 0 {
        return Err("function timeout `0s` is too short".into());
    }
    if cfg.max_retry_attempts < -1 {
        return Err(format!(
            "maximum retry attempts `{}` is below `-1`",
            cfg.max_retry_attempts
        ));
    }
    if !(cfg.backoff.multiplier >= 1.0 && cfg.backoff.multiplier.is_finite()) {
        return Err(format!(
            "backoff multiplier `{}` must be at least `1`",
            cfg.backoff.multiplier
        ));
    }
    if let RecordTime::LogNormal { p50_ms, p99_ms } = cfg.record_time
        && !(p50_ms > 0.0 && p99_ms >= p50_ms)
    {
        return Err("record time needs 0 < p50 <= p99".into());
    }
    Ok(())
}

/// Simulates one mapping over `arrivals` on the open shards of `shards`.
pub fn simulate(
    arrivals: &[Arrival],
    shards: &ShardMap,
    cfg: &SimConfig,
) -> Result<SimReport, String> {
    check(cfg)?;
    if shards.is_empty() {
        return Err("the shard map has no open shard".into());
    }
    let mut order: Vec<u32> = (0..arrivals.len() as u32).collect();
    order.sort_by_key(|&i| {
        let a = &arrivals[i as usize];
        (a.arrival_ms, a.sequence)
    });
    let t0 = order
        .first()
        .map(|&i| arrivals[i as usize].arrival_ms)
        .unwrap_or(0);

    let poison: HashSet<(&str, u32)> = cfg.poison.iter().map(|p| (p.key.as_str(), p.seq)).collect();

    // Route keys: shard by MD5, group by the ordering model in shard arrival order.
    let mut router = Router::new(shards, cfg.group_model, cfg.parallelization_factor);
    // A key's records stay together unless an `ExplicitHashKey` sends some elsewhere: identity
    // is (key, explicit shard).
    let mut key_ids: HashMap<(&str, Option<usize>), u32> = HashMap::new();
    let mut key_names: Vec<&str> = Vec::new();
    let mut key_group: Vec<usize> = Vec::new(); // key id -> index into `groups`
    let mut group_index: HashMap<(usize, u32), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for &i in &order {
        let a = &arrivals[i as usize];
        let ident = (
            a.key.as_str(),
            a.explicit_hash_key.map(|h| shards.shard_index(h)),
        );
        let id = match key_ids.get(&ident) {
            Some(&id) => id,
            None => {
                let id = key_names.len() as u32;
                key_ids.insert(ident, id);
                key_names.push(a.key.as_str());
                let route = router.route(&a.key, a.explicit_hash_key);
                let (shard, g) = (route.shard, route.group);
                let gi = *group_index.entry((shard, g)).or_insert_with(|| {
                    groups.push(Group {
                        shard,
                        group: g,
                        keys: Vec::new(),
                        recs: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[gi].keys.push(id);
                key_group.push(gi);
                id
            }
        };
        let arrival = a.arrival_ms - t0;
        groups[key_group[id as usize]].recs.push(Rec {
            arrival,
            visible: visible_at(arrival, cfg.poll_interval_ms),
            event_bytes: event_bytes(a.bytes).min(u32::MAX as u64) as u32,
            key: id,
            seq: a.seq,
            poison: !poison.is_empty() && poison.contains(&(a.key.as_str(), a.seq)),
        });
    }
    groups.sort_by_key(|g| (g.shard, g.group));

    let mut report = SimReport {
        version: 1,
        records: arrivals.len() as u64,
        shards: shards.len(),
        drain_seconds: 0.0,
        max_iterator_age_seconds: 0.0,
        max_iterator_age_at_finish_seconds: 0.0,
        invocations: Vec::new(),
        groups: Vec::new(),
        destination_records: 0,
        dropped_records: 0,
        expired_records: 0,
        blocked_seconds: 0.0,
    };
    let mut budget = cfg.max_invocations;
    let mut drain_ms = 0u64;
    let mut max_age_ms = 0u64;
    let mut max_age_finish_ms = 0u64;
    let mut blocked_ms = 0u64;
    for g in &groups {
        let shard_id = &shards.shards()[g.shard].shard_id;
        let r = run_group(g, cfg, &key_names, shard_id, &mut budget)?;
        drain_ms = drain_ms.max(r.finished);
        max_age_ms = max_age_ms.max(r.max_age);
        max_age_finish_ms = max_age_finish_ms.max(r.max_age_finish);
        blocked_ms += r.blocked;
        report.destination_records += r.destination;
        report.dropped_records += r.dropped;
        report.expired_records += r.expired;
        report.groups.push(GroupReport {
            shard: shard_id.to_string(),
            group: g.group,
            keys: g
                .keys
                .iter()
                .take(MAX_KEYS_LISTED)
                .map(|&k| key_names[k as usize].to_string())
                .collect(),
            key_count: g.keys.len(),
            records: g.recs.len() as u64,
            processed_records: r.processed,
            invocations: r.invocations.len() as u64,
            max_iterator_age_seconds: secs(r.max_age),
            final_iterator_age_seconds: secs(r.final_age),
            finished_s: secs(r.finished),
            blocked_seconds: secs(r.blocked),
            destination_records: r.destination,
            dropped_records: r.dropped,
        });
        report.invocations.extend(r.invocations);
    }
    report.invocations.sort_by(|a, b| {
        a.start_s
            .total_cmp(&b.start_s)
            .then_with(|| a.shard.cmp(&b.shard))
            .then(a.group.cmp(&b.group))
    });
    report.drain_seconds = secs(drain_ms);
    report.max_iterator_age_seconds = secs(max_age_ms);
    report.max_iterator_age_at_finish_seconds = secs(max_age_finish_ms);
    report.blocked_seconds = secs(blocked_ms);
    Ok(report)
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

struct GroupRun {
    invocations: Vec<Invocation>,
    processed: u64,
    destination: u64,
    dropped: u64,
    expired: u64,
    max_age: u64,
    max_age_finish: u64,
    final_age: u64,
    finished: u64,
    blocked: u64,
}

fn run_group(
    g: &Group,
    cfg: &SimConfig,
    key_names: &[&str],
    shard_id: &str,
    budget: &mut u64,
) -> Result<GroupRun, String> {
    let recs = &g.recs;
    let n = recs.len();
    let bs = cfg.batch_size as usize;
    let age_limit = cfg.age_limit_ms();
    // Each group draws from its own stream so results do not depend on group order.
    let mut rng = Rng::from_state(
        cfg.seed ^ (g.shard as u64).wrapping_mul(0x1000_0000_01B3) ^ (g.group as u64) << 48,
    );
    let lognormal = match cfg.record_time {
        RecordTime::LogNormal { p50_ms, p99_ms } => {
            Some((p50_ms.ln(), (p99_ms / p50_ms).ln() / Z99))
        }
        RecordTime::Fixed { .. } => None,
    };
    let has_poison = recs.iter().any(|r| r.poison);
    let label = |i: usize| format!("{}-{}", key_names[recs[i].key as usize], recs[i].seq);

    let mut out = GroupRun {
        invocations: Vec::new(),
        processed: 0,
        destination: 0,
        dropped: 0,
        expired: 0,
        max_age: 0,
        max_age_finish: 0,
        final_age: 0,
        finished: 0,
        blocked: 0,
    };
    let give_up = |out: &mut GroupRun, count: u64| -> Action {
        if cfg.on_failure_destination.is_some() {
            out.destination += count;
            Action::Destination
        } else {
            out.dropped += count;
            Action::Dropped
        }
    };

    let mut cursor = 0usize;
    let mut t_free = 0u64;
    let mut queue: VecDeque<Batch> = VecDeque::new();
    let mut blocked_since: Option<u64> = None;

    loop {
        // Next batch: a retry or split half first (order is kept), else fresh records.
        let (b, start) = if let Some(b) = queue.pop_front() {
            let start = t_free.max(b.not_before);
            let expires = recs[b.lo].arrival.saturating_add(age_limit);
            if start > expires {
                // A bisected half whose oldest record aged out before it could run.
                t_free = t_free.max(expires);
                give_up(&mut out, (b.hi - b.lo) as u64);
                if queue.is_empty()
                    && let Some(s) = blocked_since.take()
                {
                    out.blocked += t_free - s;
                }
                continue;
            }
            (b, start)
        } else if cursor < n {
            let start = t_free.max(ready_at(recs, cursor, bs, cfg));
            if start - recs[cursor].arrival > age_limit {
                // Aged out unread behind a blocked batch: skipped to the destination, or lost.
                out.expired += 1;
                give_up(&mut out, 1);
                cursor += 1;
                continue;
            }
            let mut hi = cursor;
            let mut bytes = 0u64;
            while hi < n && hi - cursor < bs && recs[hi].visible <= start {
                let eb = recs[hi].event_bytes as u64;
                if hi > cursor && bytes + eb > cfg.payload_limit_bytes {
                    break;
                }
                bytes += eb;
                hi += 1;
            }
            let b = Batch {
                lo: cursor,
                hi,
                retries: 0,
                not_before: start,
            };
            cursor = hi;
            (b, start)
        } else {
            break;
        };

        if *budget == 0 {
            return Err(format!(
                "stopped after `{}` invocations: shorten `--retention`/`--max-record-age` or raise the backoff",
                cfg.max_invocations
            ));
        }
        *budget -= 1;

        // Run the function over the batch.
        let count = b.hi - b.lo;
        let work_ms = match (cfg.record_time, lognormal) {
            (RecordTime::Fixed { ms }, _) => ms.saturating_mul(count as u64),
            (_, Some((mu, sigma))) => {
                let mut us = 0.0;
                for _ in 0..count {
                    us += (mu + sigma * rng.normal()).exp() * 1000.0;
                }
                (us / 1000.0).round() as u64
            }
            _ => 0,
        };
        let duration = cfg.invocation_overhead_ms + work_ms;
        let poison_at = if has_poison {
            (b.lo..b.hi).find(|&i| recs[i].poison)
        } else {
            None
        };
        let random_failure = cfg.fail_rate > 0.0 && rng.unit() < cfg.fail_rate;
        // Seed 1's failing batch ran its whole length (36 s = 12 records × 3 s) before failing:
        // errors are reported at the end of the batch, timeouts at the timeout.
        let (end, outcome) = if duration > cfg.timeout_ms {
            (start + cfg.timeout_ms, Outcome::Timeout)
        } else if poison_at.is_some() {
            let o = if cfg.report_batch_item_failures {
                Outcome::Partial
            } else {
                Outcome::Error
            };
            (start + duration, o)
        } else if random_failure {
            (start + duration, Outcome::Error)
        } else {
            (start + duration, Outcome::Ok)
        };

        let last_arrival = recs[b.hi - 1].arrival;
        let age = start - last_arrival.min(start);
        out.max_age = out.max_age.max(age);
        out.final_age = age;
        out.max_age_finish = out.max_age_finish.max(end - last_arrival.min(end));

        let action = if outcome == Outcome::Ok {
            out.processed += count as u64;
            t_free = end;
            if queue.is_empty()
                && let Some(s) = blocked_since.take()
            {
                out.blocked += end - s;
            }
            None
        } else {
            blocked_since.get_or_insert(start);
            // ReportBatchItemFailures checkpoints before the failed record; retry from it.
            let rem_lo = match (outcome, poison_at) {
                (Outcome::Partial, Some(p)) => p,
                _ => b.lo,
            };
            out.processed += (rem_lo - b.lo) as u64;
            let rem = Batch {
                lo: rem_lo,
                hi: b.hi,
                retries: b.retries,
                not_before: end,
            };
            t_free = end;
            if cfg.bisect_on_error && rem.hi - rem.lo > 1 {
                // Splits do not count toward retries (aws-facts §3.1) and run without backoff.
                let mid = rem.lo + (rem.hi - rem.lo) / 2;
                queue.push_front(Batch { lo: mid, ..rem });
                queue.push_front(Batch { hi: mid, ..rem });
                Some(Action::Bisect)
            } else {
                // Legacy 10,000 means "unbounded" as for SL302 (`model::blocking`).
                let exhausted = !crate::model::blocking::retries_unbounded(cfg.max_retry_attempts)
                    && rem.retries as i64 >= cfg.max_retry_attempts;
                let next = end.saturating_add(cfg.backoff.delay_ms(rem.retries + 1));
                let expires = recs[rem.lo].arrival.saturating_add(age_limit);
                if exhausted || next > expires {
                    if !exhausted {
                        t_free = end.max(expires);
                    }
                    let a = give_up(&mut out, (rem.hi - rem.lo) as u64);
                    if queue.is_empty()
                        && let Some(s) = blocked_since.take()
                    {
                        out.blocked += t_free - s;
                    }
                    Some(a)
                } else {
                    queue.push_front(Batch {
                        retries: rem.retries + 1,
                        not_before: next,
                        ..rem
                    });
                    Some(Action::Retry)
                }
            }
        };
        out.invocations.push(Invocation {
            start_s: secs(start),
            end_s: secs(end),
            shard: shard_id.to_string(),
            group: g.group,
            records: if count == 1 {
                label(b.lo)
            } else {
                format!("{}..{}", label(b.lo), label(b.hi - 1))
            },
            count: count as u32,
            attempt: b.retries + 1,
            outcome,
            action,
            iterator_age_seconds: secs(age),
        });
    }
    out.finished = t_free;
    Ok(out)
}

/// When a fresh batch starting at `first` may be invoked (the group being idle): with no window,
/// as soon as its first record is seen; with a window, when the batch is full (BatchSize or
/// payload) or the window, opened when the first record is seen, expires.
fn ready_at(recs: &[Rec], first: usize, bs: usize, cfg: &SimConfig) -> u64 {
    let open = recs[first].visible;
    if cfg.batching_window_ms == 0 {
        return open;
    }
    let mut bytes = 0u64;
    let mut full_at = u64::MAX;
    for (j, r) in recs.iter().enumerate().skip(first).take(bs) {
        let eb = r.event_bytes as u64;
        if j > first && bytes + eb > cfg.payload_limit_bytes {
            full_at = r.visible;
            break;
        }
        bytes += eb;
        if j + 1 - first == bs {
            full_at = r.visible;
        }
    }
    full_at.min(open + cfg.batching_window_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_phase() {
        assert_eq!(visible_at(0, 1000), 1000);
        assert_eq!(visible_at(1000, 1000), 1000);
        assert_eq!(visible_at(1001, 1000), 2000);
        assert_eq!(visible_at(7, 0), 7);
    }

    #[test]
    fn window_waits_for_full_batch_or_expiry() {
        let recs: Vec<Rec> = (0..5)
            .map(|i| Rec {
                arrival: i * 1000,
                visible: i * 1000,
                event_bytes: 10,
                key: 0,
                seq: i as u32 + 1,
                poison: false,
            })
            .collect();
        let cfg = SimConfig {
            batching_window_ms: 10_000,
            batch_size: 3,
            ..SimConfig::default()
        };
        assert_eq!(ready_at(&recs, 0, 3, &cfg), 2000);
        let cfg = SimConfig {
            batching_window_ms: 1_500,
            ..cfg
        };
        assert_eq!(ready_at(&recs, 0, 3, &cfg), 1500);
    }
}
