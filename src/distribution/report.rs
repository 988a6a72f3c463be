//! The distribution report, the engine's output: per-shard load, skew, hot keys, distinct keys,
//! undefined keys, bad lines, ordering groups and limit breaches. Plain `Serialize` data with a
//! stable, versioned JSON shape (hash keys as decimal strings, deterministic order); the text
//! form is in `render.rs`, and `check --samples` reads the same struct.

use rayon::prelude::*;
use serde::Serialize;

pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct DistributionReport {
    pub version: u32,
    pub input: InputSummary,
    pub shards: Vec<ShardLoad>,
    pub skew: Skew,
    pub hot_keys: Vec<HotKey>,
    /// How exact the hot-key counts are.
    pub key_counts: KeyCountAccuracy,
    pub distinct_keys: DistinctKeys,
    pub undefined_keys: UndefinedKeys,
    /// Records whose key IoT computes but shardlint cannot (same shape as `undefined_keys`);
    /// not placed on shards and never counted as Undefined.
    pub unknown_keys: UndefinedKeys,
    pub multiple_matches: MultipleMatches,
    pub bad_lines: BadLines,
    pub groups: Vec<ShardGroups>,
    /// With ParallelizationFactor > 1: how every group model (see `ordering.rs`) splits the
    /// busiest shard, so a finding can say whether the models agree.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_models: Vec<ModelGroups>,
    pub limits: Vec<LimitBreach>,
    /// Inputs that could not be read at all (unreadable file, payloads without a key source).
    pub input_errors: Vec<String>,
    /// Set when the report was built from a `shardlint sql` result instead of records: how
    /// exact it is and what it cannot give.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregates: Option<AggregatesInfo>,
}

/// How a report built from aggregates differs from one built from records.
#[derive(Clone, Debug, Serialize)]
pub struct AggregatesInfo {
    /// The result file.
    pub path: String,
    /// `duckdb`, `trino` or `spark`, from the result's `meta` rows.
    pub dialect: String,
    /// Keyed records whose key the engine may have rendered otherwise, by reason.
    pub inexact: Vec<InexactCount>,
    /// Per shard, one-second windows over the write limits (records, bytes).
    pub windows_over: Vec<WindowsOver>,
    /// What the rows cannot give, said once.
    pub not_given: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InexactCount {
    pub reason: &'static str,
    pub records: u64,
    pub description: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct WindowsOver {
    pub shard_id: String,
    pub records_windows: u64,
    pub bytes_windows: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputSummary {
    pub files: Vec<InputFile>,
    /// `given`, `template ${vin}`, `key-path $.device.id`.
    pub key_source: String,
    /// `even 8` or the export's path.
    pub shard_map: String,
    pub open_shards: usize,
    pub parallelization_factor: u32,
    pub group_model: &'static str,
    pub seed: u64,
    /// Records read: keyed + undefined + unknown (bad lines and blank lines are not records).
    pub records: u64,
    /// Records with a key, i.e. what Kinesis would accept.
    pub keyed_records: u64,
    pub time: TimeBasis,
    pub md5: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct InputFile {
    pub path: String,
    pub format: &'static str,
}

/// Where rates come from.
#[derive(Clone, Debug, Serialize)]
pub struct TimeBasis {
    /// `rate` (`--rate`), `timestamps` (sample time span) or `none`.
    pub source: &'static str,
    /// Span of the sample timestamps, when known.
    pub span_s: Option<f64>,
    /// Keyed records per second over the whole stream, when known.
    pub records_per_s: Option<f64>,
    /// One-second windows over the sample timestamps (absent without timestamps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<WindowBasis>,
}

/// How per-second peaks were counted.
#[derive(Clone, Debug, Serialize)]
pub struct WindowBasis {
    /// Each window is this wide (1,000 ms: Kinesis limits are per shard per second).
    pub width_ms: i64,
    /// A window starts every `step_ms`, so a burst up to this long lies in one window.
    pub step_ms: i64,
    /// Windows over the span of the timestamps.
    pub count: u64,
    /// Keyed records with a timestamp.
    pub timestamped_records: u64,
    /// Records that arrived after their window had closed (input far out of time order): not
    /// in the peaks, which are then lower bounds.
    pub late_records: u64,
    pub exact: bool,
}

/// Load in one-second windows (see `time.windows`).
#[derive(Clone, Debug, Serialize)]
pub struct WindowLoad {
    /// Most records in any window, and where that window starts (UTC).
    pub peak_records: u64,
    pub peak_records_at: String,
    /// 99th percentile of records per window over the span (empty windows count as 0).
    pub p99_records: u64,
    /// Most data + key bytes in any window, and where it starts.
    pub peak_bytes: u64,
    pub peak_bytes_at: String,
    /// 99th percentile of bytes per window (to 11 significant bits above 2,048).
    pub p99_bytes: u64,
}

/// A key's busiest one-second window.
#[derive(Clone, Debug, Serialize)]
pub struct KeyWindowLoad {
    pub peak_records: u64,
    /// `None` when the key's window was not kept (`at_most`).
    pub peak_records_at: Option<String>,
    pub peak_bytes: Option<u64>,
    /// The key's peak was dropped from the bounded per-key table: it is at most `peak_records`.
    pub at_most: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShardLoad {
    pub shard_id: ShardId,
    /// Kept as numbers (written as decimal strings, the API's form): two `String`s a shard
    /// were most of the cost of a 100,000-shard report that prints twenty.
    #[serde(serialize_with = "decimal")]
    pub starting_hash_key: u128,
    #[serde(serialize_with = "decimal")]
    pub ending_hash_key: u128,
    pub records: u64,
    /// Data plus partition key bytes.
    pub bytes: u64,
    /// Share of keyed records (0..1).
    pub share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_per_s: Option<f64>,
    /// Peaks per one-second window, from sample timestamps. Boxed: inline it made each of a
    /// 100,000-shard map's loads 192 bytes, and faulting in those 19 MB was a tenth of the
    /// fixed cost of such a map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_second: Option<Box<WindowLoad>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Skew {
    /// Hottest shard's records over the mean per open shard.
    pub max_over_mean: f64,
    /// Standard deviation of per-shard records over their mean.
    pub coefficient_of_variation: f64,
    /// `1 / Σ share²`: how many shards the load is really spread over.
    pub effective_shards: f64,
    pub hottest_shard: Option<String>,
    pub hottest_share: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct HotKey {
    pub key: String,
    /// Records with this key (an upper estimate once `key_counts.method` is `space-saving`).
    pub count: u64,
    /// The true count is at least `count - error`.
    pub error: u64,
    /// Share of keyed records.
    pub share: f64,
    /// Shard of the key's first record.
    pub shard_id: String,
    /// Its index in `shards`, so that reading the shard's load is not a search by ID among
    /// up to 100,000 shards.
    #[serde(skip)]
    pub shard: usize,
    /// The key's busiest one-second window, from sample timestamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_second: Option<KeyWindowLoad>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyCountAccuracy {
    /// `exact` or `space-saving`.
    pub method: &'static str,
    /// Distinct keys counted exactly before switching to the sketch.
    pub exact_cap: usize,
    /// Largest overestimate of any reported count (0 when exact).
    pub max_error: u64,
    /// The guarantee for it whatever the input: records per partition / (k + 1) + 1, with k half
    /// a partition's table (the summary's own share and its admission filter's; `sketch`).
    pub error_bound: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DistinctKeys {
    pub count: u64,
    pub exact: bool,
    /// `exact` or `hyperloglog` (2^14 registers, about 0.8% standard error).
    pub method: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct UndefinedKeys {
    pub count: u64,
    /// Share of all records (0..1).
    pub share: f64,
    pub example: Option<Example>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MultipleMatches {
    pub count: u64,
    pub example: Option<Example>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BadLines {
    pub count: u64,
    /// The first few, in input order.
    pub examples: Vec<Example>,
}

/// One group model's result (`group_models`).
#[derive(Clone, Debug, Serialize)]
pub struct ModelGroups {
    pub model: &'static str,
    /// The shard with the most records (first by id on a tie).
    pub busiest_shard: Option<String>,
    pub effective_parallelism: f64,
    pub largest_group_share: f64,
    /// Groups, on any shard, holding two or more of the top keys.
    pub collisions: Vec<ShardCollision>,
    /// Every shard's groups under this model (`distribute --group-models`; else omitted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<ShardGroups>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShardCollision {
    pub shard_id: String,
    pub group: u32,
    pub keys: Vec<String>,
}

impl DistributionReport {
    /// The `group_models` entry of `model`.
    pub fn model_groups(&self, model: GroupModel) -> Option<&ModelGroups> {
        self.group_models.iter().find(|m| m.model == model.name())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ShardGroups {
    pub shard_id: String,
    pub records: u64,
    /// Group records are exact; `false` when keys went past the exact cap (the first-seen model
    /// then spreads untracked records evenly).
    pub exact: bool,
    pub groups: Vec<Group>,
    pub largest_group_share: f64,
    /// Shard records / largest group's records: how many batches really run at once.
    pub effective_parallelism: f64,
    /// Groups holding two or more of the top keys.
    pub collisions: Vec<Collision>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub group: u32,
    pub records: u64,
    /// Distinct keys in the group (tracked keys only once past the exact cap).
    pub keys: u64,
    /// The group's largest keys with their counts (at most 5).
    pub top_keys: Vec<KeyCount>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyCount {
    pub key: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Collision {
    pub group: u32,
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LimitBreach {
    /// `shard` or `key`.
    pub scope: &'static str,
    /// Shard id or key.
    pub id: String,
    /// `records_per_s` or `bytes_per_s`.
    pub metric: &'static str,
    pub value: f64,
    pub limit: f64,
    /// `peak`: `value` is the count in the one-second window starting `at` (sample
    /// timestamps); `mean`: `value` is a mean rate (`--rate`, or timestamps without windows).
    pub basis: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The mean rate of the same shard or key, beside a peak.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
}

/// A hash key as the Kinesis API writes it: a decimal string (JSON numbers lose its digits).
fn decimal<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl DistributionReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
    /// Whether a shard or key exceeds a Kinesis write limit.
    pub fn breaches_limits(&self) -> bool {
        !self.limits.is_empty()
    }
    pub fn shard(&self, id: &str) -> Option<&ShardLoad> {
        self.shards.iter().find(|s| s.shard_id == id)
    }
}

pub use super::engine::{Example, Location};
use super::engine::{Options, State};
use super::keys::KeySource;
use super::sketch::KeyView;
use crate::keyspace::{ShardId, ShardMap};
use crate::model::limits::{SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S};
use crate::ordering::{GroupModel, first_seen_group, hash_group, java_hash_group};

/// Keys listed per group.
const GROUP_TOP_KEYS: usize = 5;

/// Turns the engine's counters into the report.
/// A shard's one-second windows as the report says them.
pub(crate) fn window_load(p: super::peaks::ShardPeak) -> WindowLoad {
    let at = crate::records::timestamp::format_rfc3339_ms;
    WindowLoad {
        peak_records: p.peak_records,
        peak_records_at: at(p.peak_records_at_ms),
        p99_records: p.p99_records,
        peak_bytes: p.peak_bytes,
        peak_bytes_at: at(p.peak_bytes_at_ms),
        p99_bytes: p.p99_bytes,
    }
}

pub(crate) fn build(
    mut st: State,
    src: &KeySource,
    map: &ShardMap,
    opts: &Options,
) -> DistributionReport {
    let keyed = st.tally.keyed;
    let records = keyed + st.tally.undefined + st.tally.unknown;
    let frac = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };

    // Time basis: `--rate` wins over the sample's own time span.
    let span_s = match (st.tally.ts_min, st.tally.ts_max) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1000.0),
        _ => None,
    };
    let peaks = std::mem::take(&mut st.peaks).finish();
    let (time_source, total_rps) = match (opts.rate, span_s) {
        (Some(r), _) => ("rate", Some(r)),
        (None, Some(s)) => ("timestamps", Some(keyed as f64 / s)),
        // Every record at one instant: no mean, but the window holding them is known.
        (None, None) if peaks.records > 0 => ("timestamps", None),
        _ => ("none", None),
    };
    let use_peaks = opts.rate.is_none() && peaks.records > 0;
    let at = |ms: i64| crate::records::timestamp::format_rfc3339_ms(ms);
    // Records of the sample per second of real traffic.
    let per_record_rate = total_rps.map(|r| r / keyed.max(1) as f64);

    // On the pool: alone, one thread faulted in all of a 100,000-shard map's loads.
    let shards: Vec<ShardLoad> = map
        .shards()
        .par_iter()
        .enumerate()
        .map(|(i, s)| ShardLoad {
            shard_id: s.shard_id.clone(),
            starting_hash_key: s.start,
            ending_hash_key: s.end,
            records: st.tally.shard_records[i],
            bytes: st.tally.shard_bytes[i],
            share: frac(st.tally.shard_records[i], keyed),
            records_per_s: per_record_rate.map(|r| r * st.tally.shard_records[i] as f64),
            bytes_per_s: per_record_rate.map(|r| r * st.tally.shard_bytes[i] as f64),
            per_second: peaks
                .shards
                .get(i)
                .cloned()
                .flatten()
                .map(|w| Box::new(window_load(w))),
        })
        .collect();

    let skew = skew(&shards, keyed);

    // Hot keys across partitions; `count` is Space-Saving's upper estimate.
    // Every tracked key with its partition's error, straight from the partitions: no copy of
    // up to a million entries.
    let all = || {
        st.parts
            .iter()
            .flat_map(|p| p.entries().map(move |e| (e, p.dropped())))
    };
    let top = top_n(all(), opts.top, |&(e, err)| e.count + err);
    let hot_keys: Vec<HotKey> = top
        .iter()
        .map(|(e, err)| HotKey {
            key: e.key.to_string(),
            count: e.count + err,
            error: *err,
            share: frac(e.count + err, keyed),
            shard_id: map.shards()[e.shard as usize].shard_id.to_string(),
            shard: e.shard as usize,
            per_second: peaks
                .key(crate::keyspace::hash_key(e.key) as u64)
                .map(|p| KeyWindowLoad {
                    peak_records: p.peak_records,
                    peak_records_at: p.peak_records_at_ms.map(at),
                    peak_bytes: p.peak_bytes,
                    at_most: p.at_most,
                }),
        })
        .collect();
    let exact = st.parts.iter().all(|p| p.is_exact());
    let key_counts = KeyCountAccuracy {
        method: if exact { "exact" } else { "space-saving" },
        exact_cap: opts.exact_keys,
        max_error: st.parts.iter().map(|p| p.dropped()).max().unwrap_or(0),
        error_bound: if exact {
            0
        } else {
            st.parts.iter().map(|p| p.bound()).max().unwrap_or(0)
        },
    };
    let distinct_keys = if exact {
        DistinctKeys {
            count: st.parts.iter().map(|p| p.len() as u64).sum(),
            exact: true,
            method: "exact",
        }
    } else {
        DistinctKeys {
            count: st.hll.estimate(),
            exact: false,
            method: "hyperloglog",
        }
    };

    let groups = groups(&st, map, opts.group_model, all(), &hot_keys, exact);
    let group_models = if st.factor > 1 {
        GroupModel::ALL
            .iter()
            .map(|&m| {
                let g = if m == opts.group_model {
                    groups.clone()
                } else {
                    self::groups(&st, map, m, all(), &hot_keys, exact)
                };
                model_summary(m, g, opts.all_group_models)
            })
            .collect()
    } else {
        Vec::new()
    };

    let top_bytes: Vec<u64> = top.iter().map(|(e, _)| e.bytes).collect();
    let limits = limit_breaches(
        &shards,
        &hot_keys,
        &top_bytes,
        use_peaks,
        per_record_rate,
        span_s,
    );

    DistributionReport {
        version: REPORT_VERSION,
        input: InputSummary {
            files: st
                .files
                .iter()
                .map(|(p, f)| InputFile {
                    path: p.clone(),
                    format: f.name(),
                })
                .collect(),
            key_source: src.describe(),
            shard_map: opts.shard_map_label.clone(),
            open_shards: map.len(),
            parallelization_factor: st.factor,
            group_model: opts.group_model.name(),
            seed: opts.seed,
            records,
            keyed_records: keyed,
            time: TimeBasis {
                source: time_source,
                span_s,
                records_per_s: total_rps,
                windows: (peaks.records > 0).then(|| WindowBasis {
                    width_ms: super::peaks::WINDOW_MS,
                    step_ms: super::peaks::BUCKET_MS,
                    count: peaks.windows,
                    timestamped_records: peaks.records,
                    late_records: peaks.late_records,
                    exact: peaks.exact(),
                }),
            },
            md5: super::hashing::backend(),
        },
        shards,
        skew,
        hot_keys,
        key_counts,
        distinct_keys,
        undefined_keys: UndefinedKeys {
            count: st.tally.undefined,
            share: frac(st.tally.undefined, records),
            example: st.tally.undefined_example.clone(),
        },
        unknown_keys: UndefinedKeys {
            count: st.tally.unknown,
            share: frac(st.tally.unknown, records),
            example: st.tally.unknown_example.clone(),
        },
        multiple_matches: MultipleMatches {
            count: st.tally.multi,
            example: st.tally.multi_example.clone(),
        },
        bad_lines: BadLines {
            count: st.tally.bad,
            examples: st.tally.bad_examples.clone(),
        },
        groups,
        group_models,
        limits,
        input_errors: st.input_errors.clone(),
        aggregates: None,
    }
}

/// Shards and keys over the per-shard write limits: per one-second window when the sample
/// carries timestamps (`use_peaks`), else from mean rates (`per_record_rate`: records of the
/// sample per second of real traffic). `hot_bytes[i]` is the bytes of `hot[i]`. Shared by the
/// engine's report and the one built from SQL aggregates.
pub(crate) fn limit_breaches(
    shards: &[ShardLoad],
    hot_keys: &[HotKey],
    hot_bytes: &[u64],
    use_peaks: bool,
    per_record_rate: Option<f64>,
    span_s: Option<f64>,
) -> Vec<LimitBreach> {
    let mut limits = Vec::new();
    // Limits: per one-second window when the sample carries timestamps (Kinesis throttles per
    // shard per second, so a burst breaches whatever the mean); from means with `--rate`.
    if use_peaks {
        for s in shards {
            let Some(w) = &s.per_second else { continue };
            let checks = [
                (
                    "records_per_s",
                    w.peak_records,
                    &w.peak_records_at,
                    SHARD_WRITE_RECORDS_PER_S,
                    s.records_per_s,
                ),
                (
                    "bytes_per_s",
                    w.peak_bytes,
                    &w.peak_bytes_at,
                    SHARD_WRITE_BYTES_PER_S,
                    s.bytes_per_s,
                ),
            ];
            for (metric, v, at, limit, mean) in checks {
                if v as f64 > limit {
                    limits.push(LimitBreach {
                        scope: "shard",
                        id: s.shard_id.to_string(),
                        metric,
                        value: v as f64,
                        limit,
                        basis: "peak",
                        at: Some(at.clone()),
                        mean,
                    });
                }
            }
        }
        // One key always lands on one shard, so it can never exceed one shard's limits, even
        // on an on-demand stream (aws-facts §1.9).
        for h in hot_keys {
            let Some(w) = h.per_second.as_ref().filter(|w| !w.at_most) else {
                continue;
            };
            let mean = |x: u64| span_s.map(|sp| x as f64 / sp);
            if w.peak_records as f64 > SHARD_WRITE_RECORDS_PER_S {
                limits.push(LimitBreach {
                    scope: "key",
                    id: h.key.clone(),
                    metric: "records_per_s",
                    value: w.peak_records as f64,
                    limit: SHARD_WRITE_RECORDS_PER_S,
                    basis: "peak",
                    at: w.peak_records_at.clone(),
                    mean: mean(h.count),
                });
            }
            if let Some(b) = w.peak_bytes.filter(|&b| b as f64 > SHARD_WRITE_BYTES_PER_S) {
                limits.push(LimitBreach {
                    scope: "key",
                    id: h.key.clone(),
                    metric: "bytes_per_s",
                    value: b as f64,
                    limit: SHARD_WRITE_BYTES_PER_S,
                    basis: "peak",
                    at: None,
                    mean: None,
                });
            }
        }
    } else if let Some(rate) = per_record_rate {
        for s in shards {
            let (r, b) = (s.records_per_s.unwrap_or(0.0), s.bytes_per_s.unwrap_or(0.0));
            if r > SHARD_WRITE_RECORDS_PER_S {
                limits.push(breach(
                    "shard",
                    &s.shard_id,
                    "records_per_s",
                    r,
                    SHARD_WRITE_RECORDS_PER_S,
                ));
            }
            if b > SHARD_WRITE_BYTES_PER_S {
                limits.push(breach(
                    "shard",
                    &s.shard_id,
                    "bytes_per_s",
                    b,
                    SHARD_WRITE_BYTES_PER_S,
                ));
            }
        }
        for (h, &bytes) in hot_keys.iter().zip(hot_bytes) {
            let r = rate * h.count as f64;
            let b = rate * bytes as f64;
            if r > SHARD_WRITE_RECORDS_PER_S {
                limits.push(breach(
                    "key",
                    &h.key,
                    "records_per_s",
                    r,
                    SHARD_WRITE_RECORDS_PER_S,
                ));
            }
            if b > SHARD_WRITE_BYTES_PER_S {
                limits.push(breach(
                    "key",
                    &h.key,
                    "bytes_per_s",
                    b,
                    SHARD_WRITE_BYTES_PER_S,
                ));
            }
        }
    }

    limits
}

fn breach(
    scope: &'static str,
    id: &str,
    metric: &'static str,
    value: f64,
    limit: f64,
) -> LimitBreach {
    LimitBreach {
        scope,
        id: id.to_string(),
        metric,
        value,
        limit,
        basis: "mean",
        at: None,
        mean: None,
    }
}

pub(crate) fn skew(shards: &[ShardLoad], keyed: u64) -> Skew {
    let n = shards.len().max(1) as f64;
    let mean = keyed as f64 / n;
    let hottest = shards
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.records.cmp(&b.1.records).then(b.0.cmp(&a.0)))
        .map(|(_, s)| s);
    if keyed == 0 {
        return Skew {
            max_over_mean: 0.0,
            coefficient_of_variation: 0.0,
            effective_shards: 0.0,
            hottest_shard: None,
            hottest_share: 0.0,
        };
    }
    let var = shards
        .iter()
        .map(|s| (s.records as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let sum_sq: f64 = shards.iter().map(|s| s.share * s.share).sum();
    let hot = hottest.expect("a non-empty map");
    Skew {
        max_over_mean: hot.records as f64 / mean,
        coefficient_of_variation: var.sqrt() / mean,
        effective_shards: 1.0 / sum_sq,
        hottest_shard: Some(hot.shard_id.to_string()),
        hottest_share: hot.share,
    }
}

/// Ordering groups per shard under the chosen model (see `ordering.rs`).
///
/// first-seen-round-robin: keys are ordered by the global index of their first record (what
/// arrival order would be on the shard, whatever the parallel chunking), and the k-th key of a
/// shard joins group k mod N. hash-mod: group records come from exact per-record counters.
fn groups<'a>(
    st: &State,
    map: &ShardMap,
    model: GroupModel,
    all: impl Iterator<Item = (KeyView<'a>, u64)>,
    hot: &[HotKey],
    exact: bool,
) -> Vec<ShardGroups> {
    let f = st.factor as usize;
    let n = st.n_shards;
    // (group records, distinct keys, keys by count) per shard and group, at `shard * f + group`.
    // Flat and zeroed (calloc: pages no key touches are never written), and the top keys only
    // for the cells keys land in (`top_of[cell]` is 1 + an index into `tops`): a vector per
    // shard was 300,000 allocations on 100,000 shards for a sample of a few keys.
    let mut rec = vec![0u64; n * f];
    let mut nkeys = vec![0u64; n * f];
    let mut top_of = vec![0u32; n * f];
    let mut tops: Vec<Vec<(KeyView, u64)>> = Vec::new();
    let hot_set: std::collections::HashSet<&str> = hot.iter().map(|h| h.key.as_str()).collect();
    let mut key_group: std::collections::HashMap<&str, (usize, u32)> =
        std::collections::HashMap::new();
    let mut place = |e: KeyView<'a>, g: usize| {
        let s = e.shard as usize;
        let cell = s * f + g;
        rec[cell] += e.count;
        nkeys[cell] += 1;
        if top_of[cell] == 0 {
            tops.push(Vec::new());
            top_of[cell] = tops.len() as u32;
        }
        let top = &mut tops[top_of[cell] as usize - 1];
        insert_top(top, (e, e.count), GROUP_TOP_KEYS, |&(_, c)| c);
        if hot_set.contains(e.key) {
            key_group.insert(e.key, (s, g as u32));
        }
    };
    match model {
        _ if f == 1 => all.for_each(|(e, _)| place(e, 0)),
        GroupModel::FirstSeenRoundRobin => {
            // Arrival order per shard = order of each key's first record. The k-th distinct key
            // of a shard joins group k mod N: `ordering::first_seen_group`, applied by rank here
            // to avoid copying every key (a test checks it agrees with `ordering::Router`).
            let mut order: Vec<KeyView> = all.map(|(e, _)| e).collect();
            order.sort_unstable_by_key(|e| (e.shard, e.first_seq));
            let mut rank = vec![0usize; n];
            for e in order {
                let r = &mut rank[e.shard as usize];
                place(e, first_seen_group(*r, st.factor) as usize);
                *r += 1;
            }
        }
        GroupModel::HashMod => {
            all.for_each(|(e, _)| place(e, hash_group(e.key, st.factor) as usize))
        }
        GroupModel::JavaHashMod => {
            all.for_each(|(e, _)| place(e, java_hash_group(e.key, st.factor) as usize))
        }
    }

    let mut out = Vec::new();
    for (s, shard) in map.shards().iter().enumerate() {
        let total = st.tally.shard_records[s];
        if total == 0 {
            continue;
        }
        let cells = s * f..(s + 1) * f;
        let rec = &rec[cells.clone()];
        let group_records: Vec<u64> = match model {
            GroupModel::HashMod if f > 1 => st.tally.hash_groups[cells.clone()].to_vec(),
            GroupModel::HashMod => vec![total],
            _ if exact => rec.to_vec(),
            GroupModel::FirstSeenRoundRobin | GroupModel::JavaHashMod => {
                // Past the exact cap: spread the records of untracked keys evenly.
                let tracked: u64 = rec.iter().sum();
                let rest = total.saturating_sub(tracked);
                (0..f)
                    .map(|g| rec[g] + rest / f as u64 + u64::from((g as u64) < rest % f as u64))
                    .collect()
            }
        };
        let largest = group_records.iter().copied().max().unwrap_or(0).max(1);
        let mut groups = Vec::with_capacity(f);
        for (g, &records) in group_records.iter().enumerate() {
            let top = match top_of[s * f + g] {
                0 => &[][..],
                t => &tops[t as usize - 1][..],
            };
            groups.push(Group {
                group: g as u32,
                records,
                keys: nkeys[s * f + g],
                top_keys: top
                    .iter()
                    .map(|(e, c)| KeyCount {
                        key: e.key.to_string(),
                        count: *c,
                    })
                    .collect(),
            });
        }
        let mut collisions = Vec::new();
        if f > 1 {
            for g in 0..f as u32 {
                let keys: Vec<String> = hot
                    .iter()
                    .filter(|h| key_group.get(h.key.as_str()) == Some(&(s, g)))
                    .map(|h| h.key.clone())
                    .collect();
                if keys.len() >= 2 {
                    collisions.push(Collision { group: g, keys });
                }
            }
        }
        out.push(ShardGroups {
            shard_id: shard.shard_id.to_string(),
            records: total,
            exact: exact || model == GroupModel::HashMod,
            groups,
            largest_group_share: largest as f64 / total as f64,
            effective_parallelism: total as f64 / largest as f64,
            collisions,
        });
    }
    out
}

/// One model's busiest shard and collisions; its groups kept when asked for.
pub(crate) fn model_summary(
    model: GroupModel,
    groups: Vec<ShardGroups>,
    keep: bool,
) -> ModelGroups {
    let busiest = groups
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.records.cmp(&b.1.records).then(b.0.cmp(&a.0)))
        .map(|(_, g)| g);
    let collisions = groups
        .iter()
        .flat_map(|g| {
            g.collisions.iter().map(|c| ShardCollision {
                shard_id: g.shard_id.clone(),
                group: c.group,
                keys: c.keys.clone(),
            })
        })
        .collect();
    ModelGroups {
        model: model.name(),
        busiest_shard: busiest.map(|g| g.shard_id.clone()),
        effective_parallelism: busiest.map_or(0.0, |g| g.effective_parallelism),
        largest_group_share: busiest.map_or(0.0, |g| g.largest_group_share),
        collisions,
        groups: keep.then_some(groups),
    }
}

/// The `n` entries with the largest `count(e)`, largest first, ties by key: one pass, a sorted
/// buffer of `n`.
fn top_n<'a>(
    all: impl Iterator<Item = (KeyView<'a>, u64)>,
    n: usize,
    count: impl Fn(&(KeyView<'a>, u64)) -> u64,
) -> Vec<(KeyView<'a>, u64)> {
    let mut top = Vec::with_capacity(n + 1);
    for x in all {
        insert_top(&mut top, x, n, &count);
    }
    top
}

/// Inserts `x` into `top` (sorted by `count` descending, then key) if it ranks among `n`.
fn insert_top<'a>(
    top: &mut Vec<(KeyView<'a>, u64)>,
    x: (KeyView<'a>, u64),
    n: usize,
    count: impl Fn(&(KeyView<'a>, u64)) -> u64,
) {
    // `a` ranks before `b`: larger count, then smaller key.
    fn before(ca: u64, ka: &str, cb: u64, kb: &str) -> bool {
        ca > cb || (ca == cb && ka < kb)
    }
    let cx = count(&x);
    if n == 0 || (top.len() == n && !before(cx, x.0.key, count(&top[n - 1]), top[n - 1].0.key)) {
        return;
    }
    let pos = top.partition_point(|y| before(count(y), y.0.key, cx, x.0.key));
    top.insert(pos, x);
    top.truncate(n);
}
