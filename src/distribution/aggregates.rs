//! The distribution report from a `shardlint sql` result instead of sample records: the rows
//! (read by `records::aggregates`, schema in `docs/sql.md`) become the same
//! [`DistributionReport`] the engine builds, so `check --aggregates` gives the same findings and
//! `distribute --aggregates` the same text, JSON and HTML. What the rows cannot give (line
//! numbers and examples of bad or Undefined records, the group models not computed, records
//! whose key an engine may render otherwise) is said in [`AggregatesInfo`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::engine::Options;
use super::keys::KeySource;
use super::report::{
    AggregatesInfo, BadLines, DistinctKeys, DistributionReport, Group, HotKey, InexactCount,
    InputFile, InputSummary, KeyCount, KeyCountAccuracy, KeyWindowLoad, MultipleMatches,
    REPORT_VERSION, ShardGroups, ShardLoad, TimeBasis, UndefinedKeys, WindowBasis, WindowLoad,
    WindowsOver,
};
use crate::keyspace::ShardMap;
use crate::ordering::GroupModel;
use crate::records::aggregates::{self, Row};

/// The output schema this reader understands (`meta` row `schema=`).
pub const SCHEMA_VERSION: u32 = 1;

/// Why a record's key text may differ between an engine and shardlint; the query counts each
/// (`inexact` rows) so the report can say how exact it is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Inexact {
    /// A member name on a key path occurs more than once in the payload text: engines keep the
    /// first of duplicate members, shardlint (serde_json) and IoT the last.
    DuplicateMembers,
    /// A number that is not a plain integer of at most 18 digits (`1.50`, `1e400`, `-0`).
    Number,
    /// An object or array value, printed by each engine its own way.
    Structured,
    /// `lower`/`upper` of non-ASCII text (Unicode case mapping differs per engine).
    CaseMapping,
}

impl Inexact {
    pub const ALL: [Inexact; 4] = [
        Inexact::DuplicateMembers,
        Inexact::Number,
        Inexact::Structured,
        Inexact::CaseMapping,
    ];
    /// The `item` of the query's `inexact` rows.
    pub fn code(self) -> &'static str {
        match self {
            Inexact::DuplicateMembers => "duplicate-members",
            Inexact::Number => "number",
            Inexact::Structured => "structured-value",
            Inexact::CaseMapping => "case-mapping",
        }
    }
    pub fn from_code(s: &str) -> Option<Inexact> {
        Inexact::ALL.into_iter().find(|i| i.code() == s)
    }
    pub fn describe(self) -> &'static str {
        match self {
            Inexact::DuplicateMembers => {
                "a member name on the key's path occurs twice in the payload (engines keep the first duplicate member, shardlint and IoT the last)"
            }
            Inexact::Number => {
                "the key holds a number the engine may print otherwise (a decimal, an exponent, `-0`, more than 18 digits)"
            }
            Inexact::Structured => {
                "the key holds an object or array, printed by each engine its own way"
            }
            Inexact::CaseMapping => "`lower`/`upper` of non-ASCII text",
        }
    }
}

/// The `meta` rows.
#[derive(Debug, Default)]
struct Meta {
    values: HashMap<String, (String, usize)>,
}

impl Meta {
    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(v, _)| v.as_str())
    }
}

/// The `meta` rows of a result (`rule`, `template`, `dialect`...), to route it before reading
/// it whole.
pub fn result_meta(path: &Path) -> Result<HashMap<String, String>, String> {
    let (rows, _) = aggregates::read(path)?;
    Ok(rows
        .iter()
        .filter(|r| r.kind == "meta")
        .filter_map(|r| r.item.as_deref()?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// Reads `path` and builds the report for `src` on `map` with `opts` (the same key source, map
/// and options `distribute` would use). Unreadable rows and rows that do not fit the map are
/// located in `input_errors` (exit 2); a result made for another key, map or group model is an
/// `Err`.
pub fn report(
    path: &Path,
    src: &KeySource,
    map: &ShardMap,
    opts: &Options,
) -> Result<DistributionReport, String> {
    let shown = path.display().to_string();
    let (rows, row_errors) = aggregates::read(path)?;
    let mut errors: Vec<String> = row_errors
        .iter()
        .map(|e| format!("{shown}:{}:{}: {}", e.line, e.column, e.message))
        .collect();
    let at = |r: &Row| format!("{shown}:{}:1", r.line);

    let mut meta = Meta::default();
    for r in rows.iter().filter(|r| r.kind == "meta") {
        if let Some((k, v)) = r.item.as_deref().and_then(|i| i.split_once('=')) {
            meta.values.insert(k.to_string(), (v.to_string(), r.line));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(format!(
            "`{shown}` has no rows: the query returns rows for every table with records; was the archive table empty?"
        ));
    }
    match meta.get("schema") {
        Some(v) if v == SCHEMA_VERSION.to_string() => {}
        Some(v) => {
            return Err(format!(
                "`{shown}` is a result of output schema `{v}`; this shardlint reads schema `{SCHEMA_VERSION}`: write the query again with `shardlint sql`"
            ));
        }
        None => {
            return Err(format!(
                "`{shown}` has no `meta` row `schema=…`: is it the result of a `shardlint sql` query?"
            ));
        }
    }
    // The result must be of this key, map and group model, or its figures mean something else.
    if let (KeySource::Template { text, .. }, Some(t)) = (src, meta.get("template"))
        && t != text
    {
        return Err(format!(
            "`{shown}` was computed for the key template `{t}`, not `{text}`: write the query again for this rule"
        ));
    }
    let check = |name: &str, want: String| -> Result<(), String> {
        match meta.get(name) {
            Some(v) if v != want => Err(format!(
                "`{shown}` was computed with {name} `{v}`, this analysis uses `{want}`: write the query again with `shardlint sql` and the same settings"
            )),
            _ => Ok(()),
        }
    };
    let f = opts.parallelization_factor.max(1);
    check("open_shards", map.len().to_string())?;
    check("parallelization_factor", f.to_string())?;
    if f > 1 {
        check("group_model", opts.group_model.name().to_string())?;
    }

    let index: HashMap<&str, usize> = map
        .shards()
        .iter()
        .enumerate()
        .map(|(i, s)| (s.shard_id.as_str(), i))
        .collect();
    let n = map.len();
    let mut shard_records = vec![0u64; n];
    let mut shard_bytes = vec![0u64; n];
    let mut peak_r: Vec<Option<(u64, i64)>> = vec![None; n];
    let mut peak_b: Vec<Option<(u64, i64)>> = vec![None; n];
    let mut p99_r = vec![0u64; n];
    let mut p99_b = vec![0u64; n];
    let mut over: Vec<(u64, u64)> = vec![(0, 0); n];
    let (mut keyed, mut undefined, mut bad_json, mut bad_len) = (0u64, 0u64, 0u64, 0u64);
    let mut timestamped = 0u64;
    let (mut t_first, mut t_last) = (None, None);
    let mut windows: Option<(u64, i64)> = None;
    let mut distinct: Option<u64> = None;
    let mut inexact: BTreeMap<Inexact, u64> = BTreeMap::new();
    // (key, shard, group, records, bytes)
    let mut keys: Vec<(String, usize, Option<u32>, u64, u64)> = Vec::new();
    let mut key_peak: HashMap<String, (u64, i64)> = HashMap::new();
    let mut key_peak_bytes: HashMap<String, u64> = HashMap::new();
    let mut groups: BTreeMap<(usize, u32), (u64, u64)> = BTreeMap::new();
    let mut group_keys: BTreeMap<(usize, u32), Vec<(String, u64)>> = BTreeMap::new();

    for r in &rows {
        let need = |v: Option<u64>, name: &str| -> Result<u64, String> {
            v.ok_or_else(|| format!("{}: a `{}` row needs `{name}`", at(r), r.kind))
        };
        let shard = || -> Result<usize, String> {
            let id = r
                .shard_id
                .as_deref()
                .ok_or_else(|| format!("{}: a `{}` row needs `shard_id`", at(r), r.kind))?;
            index.get(id).copied().ok_or_else(|| {
                format!(
                    "{}: shard `{id}` is not an open shard of the map ({})",
                    at(r),
                    opts.shard_map_label
                )
            })
        };
        let item = || -> Result<String, String> {
            r.item
                .clone()
                .ok_or_else(|| format!("{}: a `{}` row needs `item`", at(r), r.kind))
        };
        let time = || -> Result<i64, String> {
            r.at_ms
                .ok_or_else(|| format!("{}: a `{}` row needs `at_ms`", at(r), r.kind))
        };
        let group = || -> Result<u32, String> {
            match r.grp {
                Some(g) if g < f => Ok(g),
                Some(g) => Err(format!(
                    "{}: group `{g}` is not below the ParallelizationFactor `{f}`",
                    at(r)
                )),
                None => Err(format!("{}: a `{}` row needs `grp`", at(r), r.kind)),
            }
        };
        let step = (|| -> Result<(), String> {
            match r.kind.as_str() {
                "meta" => {}
                "status" => {
                    let c = need(r.records, "records")?;
                    match item()?.as_str() {
                        "keyed" => keyed += c,
                        "undefined" => undefined += c,
                        "bad:json" => bad_json += c,
                        "bad:key-length" => bad_len += c,
                        other => return Err(format!("{}: unknown status `{other}`", at(r))),
                    }
                }
                "inexact" => {
                    let it = item()?;
                    let x = Inexact::from_code(&it)
                        .ok_or_else(|| format!("{}: unknown inexactness reason `{it}`", at(r)))?;
                    *inexact.entry(x).or_default() += need(r.records, "records")?;
                }
                "timestamped" => timestamped += need(r.records, "records")?,
                "time_span" => t_first = Some(time()?),
                "time_span_end" => t_last = Some(time()?),
                "windows" => windows = Some((need(r.records, "records")?, time()?)),
                "distinct_keys" => distinct = Some(need(r.keys, "keys")?),
                "shard" => {
                    let s = shard()?;
                    shard_records[s] += need(r.records, "records")?;
                    shard_bytes[s] += need(r.bytes, "bytes")?;
                }
                "shard_peak_records" => {
                    peak_r[shard()?] = Some((need(r.records, "records")?, time()?))
                }
                "shard_peak_bytes" => peak_b[shard()?] = Some((need(r.bytes, "bytes")?, time()?)),
                "shard_p99_records" => p99_r[shard()?] = need(r.records, "records")?,
                "shard_p99_bytes" => p99_b[shard()?] = need(r.bytes, "bytes")?,
                "shard_windows_over" => {
                    over[shard()?] = (need(r.records, "records")?, need(r.bytes, "bytes")?)
                }
                "key" => keys.push((
                    item()?,
                    shard()?,
                    r.grp,
                    need(r.records, "records")?,
                    need(r.bytes, "bytes")?,
                )),
                "key_peak_records" => {
                    key_peak.insert(item()?, (need(r.records, "records")?, time()?));
                }
                "key_peak_bytes" => {
                    key_peak_bytes.insert(item()?, need(r.bytes, "bytes")?);
                }
                "group" => {
                    groups.insert(
                        (shard()?, group()?),
                        (need(r.records, "records")?, need(r.keys, "keys")?),
                    );
                }
                "group_key" => group_keys
                    .entry((shard()?, group()?))
                    .or_default()
                    .push((item()?, need(r.records, "records")?)),
                other => return Err(format!("{}: unknown row kind `{other}`", at(r))),
            }
            Ok(())
        })();
        if let Err(e) = step {
            errors.push(e);
        }
    }

    let records = keyed + undefined;
    let frac = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let span_s = match (t_first, t_last) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1000.0),
        _ => None,
    };
    let use_peaks = opts.rate.is_none() && timestamped > 0;
    let (time_source, total_rps) = match (opts.rate, span_s) {
        (Some(r), _) => ("rate", Some(r)),
        (None, Some(s)) => ("timestamps", Some(keyed as f64 / s)),
        (None, None) if timestamped > 0 => ("timestamps", None),
        _ => ("none", None),
    };
    let per_record_rate = total_rps.map(|r| r / keyed.max(1) as f64);
    let ts = crate::records::timestamp::format_rfc3339_ms;
    let shards: Vec<ShardLoad> = map
        .shards()
        .iter()
        .enumerate()
        .map(|(i, s)| ShardLoad {
            shard_id: s.shard_id.clone(),
            starting_hash_key: s.start,
            ending_hash_key: s.end,
            records: shard_records[i],
            bytes: shard_bytes[i],
            share: frac(shard_records[i], keyed),
            records_per_s: per_record_rate.map(|r| r * shard_records[i] as f64),
            bytes_per_s: per_record_rate.map(|r| r * shard_bytes[i] as f64),
            per_second: match (peak_r[i], peak_b[i]) {
                (Some((pr, pr_at)), Some((pb, pb_at))) => Some(Box::new(WindowLoad {
                    peak_records: pr,
                    peak_records_at: ts(pr_at),
                    p99_records: super::peaks::quantise(p99_r[i]),
                    peak_bytes: pb,
                    peak_bytes_at: ts(pb_at),
                    p99_bytes: super::peaks::quantise(p99_b[i]),
                })),
                _ => None,
            },
        })
        .collect();
    let skew = super::report::skew(&shards, keyed);

    // Hot keys, largest first, ties by key (as the engine ranks them).
    keys.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(&b.0)));
    keys.truncate(opts.top);
    let hot_keys: Vec<HotKey> = keys
        .iter()
        .map(|(k, s, _, c, _)| HotKey {
            key: k.clone(),
            count: *c,
            error: 0,
            share: frac(*c, keyed),
            shard_id: map.shards()[*s].shard_id.to_string(),
            shard: *s,
            per_second: key_peak.get(k).map(|&(pr, pr_at)| KeyWindowLoad {
                peak_records: pr,
                peak_records_at: Some(ts(pr_at)),
                peak_bytes: key_peak_bytes.get(k).copied(),
                at_most: false,
            }),
        })
        .collect();
    let hot_bytes: Vec<u64> = keys.iter().map(|k| k.4).collect();

    // Ordering groups of every shard with records, under the query's one model.
    let mut shard_groups = Vec::new();
    for (s, shard) in map.shards().iter().enumerate() {
        let total = shard_records[s];
        if total == 0 {
            continue;
        }
        let mut gs = Vec::with_capacity(f as usize);
        for g in 0..f {
            let (records, nkeys) = groups.get(&(s, g)).copied().unwrap_or((0, 0));
            let mut top = group_keys.get(&(s, g)).cloned().unwrap_or_default();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(5);
            gs.push(Group {
                group: g,
                records,
                keys: nkeys,
                top_keys: top
                    .into_iter()
                    .map(|(key, count)| KeyCount { key, count })
                    .collect(),
            });
        }
        let largest = gs.iter().map(|g| g.records).max().unwrap_or(0).max(1);
        let mut collisions = Vec::new();
        if f > 1 {
            for g in 0..f {
                let ks: Vec<String> = keys
                    .iter()
                    .filter(|k| k.1 == s && k.2 == Some(g))
                    .map(|k| k.0.clone())
                    .collect();
                if ks.len() >= 2 {
                    collisions.push(super::report::Collision { group: g, keys: ks });
                }
            }
        }
        shard_groups.push(ShardGroups {
            shard_id: shard.shard_id.to_string(),
            records: total,
            exact: true,
            groups: gs,
            largest_group_share: largest as f64 / total as f64,
            effective_parallelism: total as f64 / largest as f64,
            collisions,
        });
    }
    let group_models = if f > 1 {
        vec![super::report::model_summary(
            opts.group_model,
            shard_groups.clone(),
            opts.all_group_models,
        )]
    } else {
        Vec::new()
    };
    let limits = super::report::limit_breaches(
        &shards,
        &hot_keys,
        &hot_bytes,
        use_peaks,
        per_record_rate,
        span_s,
    );

    let mut not_given = vec![
        "line numbers and examples of Undefined and bad records (an engine has none to give)"
            .to_string(),
    ];
    if f > 1 {
        let others: Vec<&str> = GroupModel::ALL
            .iter()
            .filter(|m| **m != opts.group_model)
            .map(|m| m.name())
            .collect();
        not_given.push(format!(
            "ordering groups under {} (the query computes `{}` only)",
            others.join(" and "),
            opts.group_model.name()
        ));
        if opts.group_model == GroupModel::FirstSeenRoundRobin {
            not_given.push(
                "arrival order within a millisecond: first-seen groups rank keys arriving in the same millisecond by key".into(),
            );
        }
    }
    let info = AggregatesInfo {
        path: shown.clone(),
        dialect: meta.get("dialect").unwrap_or("unknown").to_string(),
        inexact: inexact
            .into_iter()
            .filter(|(_, c)| *c > 0)
            .map(|(x, c)| InexactCount {
                reason: x.code(),
                records: c,
                description: x.describe(),
            })
            .collect(),
        windows_over: over
            .iter()
            .enumerate()
            .filter(|(_, o)| o.0 > 0 || o.1 > 0)
            .map(|(i, o)| WindowsOver {
                shard_id: map.shards()[i].shard_id.to_string(),
                records_windows: o.0,
                bytes_windows: o.1,
            })
            .collect(),
        not_given,
    };

    Ok(DistributionReport {
        version: REPORT_VERSION,
        input: InputSummary {
            files: vec![InputFile {
                path: shown,
                format: "sql-aggregates",
            }],
            key_source: src.describe(),
            shard_map: opts.shard_map_label.clone(),
            open_shards: n,
            parallelization_factor: f,
            group_model: opts.group_model.name(),
            seed: opts.seed,
            records,
            keyed_records: keyed,
            time: TimeBasis {
                source: time_source,
                span_s,
                records_per_s: total_rps,
                windows: windows
                    .filter(|_| timestamped > 0)
                    .map(|(count, _)| WindowBasis {
                        width_ms: super::peaks::WINDOW_MS,
                        step_ms: super::peaks::BUCKET_MS,
                        count,
                        timestamped_records: timestamped,
                        late_records: 0,
                        exact: true,
                    }),
            },
            md5: "engine",
        },
        shards,
        skew,
        hot_keys,
        key_counts: KeyCountAccuracy {
            method: "exact",
            exact_cap: opts.exact_keys,
            max_error: 0,
            error_bound: 0,
        },
        distinct_keys: DistinctKeys {
            count: distinct.unwrap_or(0),
            exact: true,
            method: "exact",
        },
        undefined_keys: UndefinedKeys {
            count: undefined,
            share: frac(undefined, records),
            example: None,
        },
        unknown_keys: UndefinedKeys {
            count: 0,
            share: 0.0,
            example: None,
        },
        multiple_matches: MultipleMatches {
            count: 0,
            example: None,
        },
        bad_lines: BadLines {
            count: bad_json + bad_len,
            examples: Vec::new(),
        },
        groups: shard_groups,
        group_models,
        limits,
        input_errors: errors,
        aggregates: Some(info),
    })
}
