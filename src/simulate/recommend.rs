//! What-if answers on top of the engine: `recommend` sweeps ParallelizationFactor and batch size
//! by simulation (`simulate --recommend`), and `assess` decides analytically whether a mapping
//! keeps up with a stated rate, for `check` to turn into a finding with the settings in its help.

use serde::Serialize;

use crate::keyspace::ShardMap;
use crate::ordering::Router;

use super::engine::simulate;
use super::model::{Arrival, RecordTime, SimConfig, event_bytes};

/// Batch sizes tried besides the configured one.
pub const BATCH_SIZES: [u32; 5] = [10, 100, 500, 1_000, 10_000];

/// One simulated setting.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trial {
    pub parallelization_factor: u32,
    pub batch_size: u32,
    pub max_iterator_age_seconds: f64,
    /// The criterion: IteratorAge worded as "age of the last record when processing finished".
    pub max_iterator_age_at_finish_seconds: f64,
    pub drain_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub max_lag_seconds: f64,
    /// Every setting simulated, in the order tried.
    pub trials: Vec<Trial>,
    /// The smallest ParallelizationFactor, then the smallest batch size, whose maximum
    /// IteratorAge at finish stays at or under the lag; `None` when even factor 10 does not.
    pub chosen: Option<Trial>,
}

fn candidate_sizes(current: u32) -> Vec<u32> {
    let mut v: Vec<u32> = BATCH_SIZES.to_vec();
    v.push(current);
    v.sort_unstable();
    v.dedup();
    v
}

/// Tries factor 1..10 (ascending) × batch sizes (ascending) and stops at the first setting whose
/// maximum IteratorAge *at finish* is at most `max_lag_ms`. Smaller factors come first: they cost
/// fewer concurrent executions. The at-send wording is not used here: one huge batch makes it
/// small while its records wait inside the invocation.
pub fn recommend(
    arrivals: &[Arrival],
    shards: &ShardMap,
    cfg: &SimConfig,
    max_lag_ms: u64,
) -> Result<Recommendation, String> {
    let mut trials = Vec::new();
    for factor in 1..=10 {
        for &bs in &candidate_sizes(cfg.batch_size) {
            let c = SimConfig {
                parallelization_factor: factor,
                batch_size: bs,
                ..cfg.clone()
            };
            let r = simulate(arrivals, shards, &c)?;
            let t = Trial {
                parallelization_factor: factor,
                batch_size: bs,
                max_iterator_age_seconds: r.max_iterator_age_seconds,
                max_iterator_age_at_finish_seconds: r.max_iterator_age_at_finish_seconds,
                drain_seconds: r.drain_seconds,
            };
            trials.push(t.clone());
            if r.max_iterator_age_at_finish_seconds * 1000.0 <= max_lag_ms as f64 {
                return Ok(Recommendation {
                    max_lag_seconds: max_lag_ms as f64 / 1000.0,
                    trials,
                    chosen: Some(t),
                });
            }
        }
    }
    Ok(Recommendation {
        max_lag_seconds: max_lag_ms as f64 / 1000.0,
        trials,
        chosen: None,
    })
}

/// A steady workload stated by the user (or measured from samples) for [`assess`].
#[derive(Clone, Debug)]
pub struct Workload {
    /// Per-record processing time; only its mean matters in steady state.
    pub record_time: RecordTime,
    /// Records per second put on the whole stream.
    pub records_per_second: f64,
    pub record_bytes: u32,
    pub shards: ShardMap,
    /// Keys with their share of the records, in first-seen order (the ordering model uses it).
    /// Empty: many keys spread evenly over shards and groups (named assumption).
    pub keys: Vec<(String, f64)>,
}

/// The load on one ordering group against what it can process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupLoad {
    pub shard: String,
    pub group: u32,
    pub keys: Vec<String>,
    pub records_per_second: f64,
    pub capacity_per_second: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// Some group receives records at or above the rate it can process: its iterator age grows
    /// without bound.
    pub falls_behind: bool,
    /// Load / capacity of the busiest group with the configured settings.
    pub utilization: f64,
    pub busiest: Option<GroupLoad>,
    /// The smallest (ParallelizationFactor, BatchSize) keeping every group at or under
    /// [`HEADROOM`] utilization; `None` when no setting can (see `hot_key`).
    pub recommended: Option<(u32, u32)>,
    /// A key whose own rate exceeds one group's capacity at the largest batch: no mapping setting
    /// helps (a key is never split across groups); the function or the key must change.
    pub hot_key: Option<String>,
}

/// Recommended settings leave 10% headroom: at utilization near 1 the backlog (and the age)
/// still swings widely with bursts.
pub const HEADROOM: f64 = 0.9;

/// Records per second one group processes when it always has a full batch waiting: batches of
/// `min(BatchSize, 6 MB / event size)` records, each costing the overhead plus the records.
pub fn group_capacity(cfg: &SimConfig, batch_size: u32, record_time_ms: f64, bytes: u32) -> f64 {
    let per_payload = (cfg.payload_limit_bytes / event_bytes(bytes)).max(1);
    let b = (batch_size as u64).min(per_payload) as f64;
    let batch_ms = cfg.invocation_overhead_ms as f64 + b * record_time_ms;
    if batch_ms <= 0.0 {
        f64::INFINITY
    } else {
        b * 1000.0 / batch_ms
    }
}

fn group_loads(cfg: &SimConfig, w: &Workload, factor: u32) -> Vec<(usize, u32, Vec<String>, f64)> {
    let shards = w.shards.len().max(1);
    if w.keys.is_empty() {
        let per = w.records_per_second / (shards as f64 * factor as f64);
        return (0..shards)
            .flat_map(|s| (0..factor).map(move |g| (s, g, Vec::new(), per)))
            .collect();
    }
    let total: f64 = w.keys.iter().map(|(_, s)| s.max(0.0)).sum();
    let mut router = Router::new(&w.shards, cfg.group_model, factor);
    let mut loads: Vec<(usize, u32, Vec<String>, f64)> = Vec::new();
    for (key, share) in &w.keys {
        let route = router.route(key, None);
        let (s, g) = (route.shard, route.group);
        let rate = if total > 0.0 {
            w.records_per_second * share.max(0.0) / total
        } else {
            0.0
        };
        match loads.iter_mut().find(|l| l.0 == s && l.1 == g) {
            Some(l) => {
                l.2.push(key.clone());
                l.3 += rate;
            }
            None => loads.push((s, g, vec![key.clone()], rate)),
        }
    }
    loads
}

fn max_utilization(
    cfg: &SimConfig,
    w: &Workload,
    factor: u32,
    bs: u32,
) -> (f64, Option<GroupLoad>) {
    let cap = group_capacity(cfg, bs, w.record_time.mean_ms(), w.record_bytes);
    let mut best: (f64, Option<GroupLoad>) = (0.0, None);
    for (s, g, keys, rate) in group_loads(cfg, w, factor) {
        let u = rate / cap;
        if best.1.is_none() || u > best.0 {
            best = (
                u,
                Some(GroupLoad {
                    shard: w.shards.shards()[s].shard_id.to_string(),
                    group: g,
                    keys,
                    records_per_second: rate,
                    capacity_per_second: cap,
                }),
            );
        }
    }
    best
}

/// Steady-state check: does the configured mapping keep up with the workload, and which smallest
/// settings would (factor 1..10 first, then batch size)? Analytic, so `check` can call it per
/// mapping at no cost; retries and faults are not part of it.
pub fn assess(cfg: &SimConfig, w: &Workload) -> Assessment {
    let (utilization, busiest) = max_utilization(
        cfg,
        w,
        cfg.parallelization_factor.clamp(1, 10),
        cfg.batch_size,
    );
    let mut recommended = None;
    'outer: for f in 1..=10 {
        for &bs in &candidate_sizes(cfg.batch_size) {
            if max_utilization(cfg, w, f, bs).0 <= HEADROOM {
                recommended = Some((f, bs));
                break 'outer;
            }
        }
    }
    let top_cap = group_capacity(cfg, 10_000, w.record_time.mean_ms(), w.record_bytes);
    let total: f64 = w.keys.iter().map(|(_, s)| s.max(0.0)).sum();
    let hot_key = w
        .keys
        .iter()
        .filter(|(_, s)| {
            total > 0.0 && w.records_per_second * s.max(0.0) / total > top_cap * HEADROOM
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k.clone());
    Assessment {
        falls_behind: utilization >= 1.0,
        utilization,
        busiest,
        recommended,
        hot_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_workload() -> Workload {
        Workload {
            record_time: RecordTime::Fixed { ms: 3000 },
            records_per_second: 5.0,
            record_bytes: 10,
            shards: ShardMap::even(1),
            keys: (1..=5).map(|k| (k.to_string(), 1.0)).collect(),
        }
    }

    #[test]
    fn seed_one_falls_behind_at_any_factor() {
        // 5 keys at 1 record/s each, 3 s per record: a key alone needs 3 consumers.
        let cfg = SimConfig::default();
        let a = assess(&cfg, &seed_workload());
        assert!(a.falls_behind);
        assert!((a.utilization - 15.0).abs() < 1e-9);
        assert_eq!(a.recommended, None);
        assert!(a.hot_key.is_some());
    }

    #[test]
    fn fast_function_needs_a_higher_factor() {
        // 5 keys at 1 record/s, 300 ms per record: 1.5 records/s of work per group at factor 1
        // (utilization 1.5); factor 3 gives {1,4} 0.6.
        let w = Workload {
            record_time: RecordTime::Fixed { ms: 300 },
            ..seed_workload()
        };
        let a = assess(&SimConfig::default(), &w);
        assert!(a.falls_behind);
        assert_eq!(a.recommended, Some((2, 10)));
        assert_eq!(a.hot_key, None);
        let ok = assess(
            &SimConfig {
                parallelization_factor: 3,
                ..SimConfig::default()
            },
            &w,
        );
        assert!(!ok.falls_behind);
        assert_eq!(ok.busiest.unwrap().keys, vec!["1", "4"]);
    }

    #[test]
    fn overhead_makes_batch_size_matter() {
        let cfg = SimConfig {
            invocation_overhead_ms: 100,
            ..SimConfig::default()
        };
        let w = Workload {
            record_time: RecordTime::Fixed { ms: 1 },
            records_per_second: 5_000.0,
            record_bytes: 100,
            shards: ShardMap::even(1),
            keys: Vec::new(),
        };
        // Batch 10: 10 records per 110 ms = 91/s per group; batch 1000: ~909/s.
        assert!(group_capacity(&cfg, 10, 1.0, 100) < 100.0);
        let a = assess(&cfg, &w);
        assert!(a.falls_behind);
        assert_eq!(a.recommended, Some((6, 10_000)));
    }
}
