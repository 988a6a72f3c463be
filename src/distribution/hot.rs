//! Which shard and which keys of a measured distribution are hot under `hot-shard-share` and
//! `hot-key-share`: the one decision that SL401, SL402, `distribute`'s report and the HTML audit
//! report share, so that a shard `check` calls hot is the shard every output marks.
//!
//! The shard test: if keys spread evenly, a shard's count among N keyed records is
//! Binomial(N, 1/n); a share above `1/n + 4·sqrt((1/n)(1 - 1/n)/N)` happens by chance with
//! probability under 3.2e-5 per shard (normal approximation), so a flagged shard is hot, not
//! unlucky. Two shards fed `${newuuid()}` over 10,000 records stay below 52.0%. A sample whose
//! records all carry one key needs no test: every record of that key lands on one shard.

use serde::Serialize;

use super::report::DistributionReport;

/// Standard deviations above the fair share that count as more than sampling noise.
const NOISE_SIGMAS: f64 = 4.0;

/// The shard that takes at least `hot-shard-share` of the keyed records of a multi-shard
/// stream, by more than sampling noise explains.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HotShard {
    pub shard_id: String,
    /// Its share of the keyed records (0..1).
    pub share: f64,
    /// 1 / open shards.
    pub fair_share: f64,
}

/// A key carrying more than `hot-key-share` of its shard's records.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HotKeyOfShard {
    pub key: String,
    pub shard_id: String,
    /// Its share of its shard's records (0..1).
    pub share_of_shard: f64,
    pub shard_records: u64,
    /// Its count is a Space-Saving estimate (an overestimate by at most the report's bound).
    pub estimated: bool,
}

/// The hot shard of `r` under `hot_shard_share`, if one is.
pub fn hot_shard(r: &DistributionReport, hot_shard_share: f64) -> Option<HotShard> {
    let n = r.shards.len();
    let keyed = r.input.keyed_records;
    if n < 2 || keyed == 0 {
        return None;
    }
    let hot = r.shards.iter().max_by_key(|sh| sh.records)?;
    // One key for every record is not a sample of many: hashing is deterministic, so the
    // concentration is certain however few records there are.
    let one_key = r.distinct_keys.exact && r.distinct_keys.count == 1;
    is_hot_share(hot.share, n, keyed as f64, hot_shard_share, one_key).then(|| HotShard {
        shard_id: hot.shard_id.to_string(),
        share: hot.share,
        fair_share: 1.0 / n as f64,
    })
}

/// Whether the busiest of `n` shards, with `share` of `records`, is hot: at least
/// `hot_shard_share`, and beyond what an even spread gives by chance (unless `certain`). Also
/// SL502's test on CloudWatch counts, where one shard of two always has at least half.
pub fn is_hot_share(
    share: f64,
    n: usize,
    records: f64,
    hot_shard_share: f64,
    certain: bool,
) -> bool {
    if n < 2 || records <= 0.0 {
        return false;
    }
    let fair = 1.0 / n as f64;
    let noise = NOISE_SIGMAS * (fair * (1.0 - fair) / records).sqrt();
    share >= hot_shard_share && (certain || share > fair + noise)
}

/// The listed keys of `r` that carry more than `hot_key_share` of their shard's records, in the
/// report's order (heaviest first). None when the sample has fewer than two distinct keys: then
/// the whole stream is the problem, not one key (SL401 and SL101 say so).
pub fn hot_keys(r: &DistributionReport, hot_key_share: f64) -> Vec<HotKeyOfShard> {
    if r.distinct_keys.count < 2 {
        return Vec::new();
    }
    r.hot_keys
        .iter()
        .filter_map(|k| {
            let shard = r.shards.get(k.shard)?;
            if shard.records < 2 {
                return None;
            }
            let share = k.count as f64 / shard.records as f64;
            (share > hot_key_share).then(|| HotKeyOfShard {
                key: k.key.clone(),
                shard_id: k.shard_id.clone(),
                share_of_shard: share,
                shard_records: shard.records,
                estimated: k.error > 0,
            })
        })
        .collect()
}
