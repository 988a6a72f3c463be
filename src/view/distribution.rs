//! The view model of `shardlint distribute`: the engine's report, and which shard and keys are
//! hot under the resolved `hot-shard-share` and `hot-key-share` (the decisions SL401 and SL402
//! make under `check --samples`). Its text and JSON renderings
//! ([`render::distribution`](crate::render::distribution)) read only this.

use serde::Serialize;

use super::Thresholds;
use crate::distribution::DistributionReport;
use crate::distribution::hot::{self, HotKeyOfShard, HotShard};

#[derive(Debug, Serialize)]
pub struct DistributionView<'a> {
    #[serde(flatten)]
    pub report: &'a DistributionReport,
    pub hot: Hot,
    /// Assumptions the report rests on, said once (JSON `notes`, text `note:` lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where a given rate came from (`--rate`, or the stream's entry in shardlint.toml).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_from: Option<String>,
    /// The shards the text table lists (indices into `report.shards`, in shard order); JSON
    /// keeps every shard.
    #[serde(skip)]
    pub listed_shards: Vec<usize>,
    /// The shards the text table leaves out, summarised.
    #[serde(skip)]
    pub other_shards: Option<OtherShards>,
}

/// Above this many open shards the text lists only the busiest [`TEXT_SHARDS_TOP`]: a resharded
/// stream of 100,000 shards is not read line by line.
pub const TEXT_SHARDS_MAX: usize = 64;
pub const TEXT_SHARDS_TOP: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct OtherShards {
    pub count: usize,
    pub records_min: u64,
    pub records_max: u64,
}

/// The decisions, with the thresholds that made them (JSON `hot`).
#[derive(Debug, Serialize)]
pub struct Hot {
    pub hot_shard_share: f64,
    pub hot_key_share: f64,
    /// The shard at or above `hot_shard_share` of the keyed records beyond sampling noise.
    pub shard: Option<HotShard>,
    /// Listed keys carrying more than `hot_key_share` of their shard's records, heaviest first.
    pub keys: Vec<HotKeyOfShard>,
}

impl<'a> DistributionView<'a> {
    pub fn new(report: &'a DistributionReport, t: Thresholds) -> DistributionView<'a> {
        DistributionView {
            report,
            hot: Hot {
                hot_shard_share: t.hot_shard_share,
                hot_key_share: t.hot_key_share,
                shard: hot::hot_shard(report, t.hot_shard_share),
                keys: hot::hot_keys(report, t.hot_key_share),
            },
            notes: Vec::new(),
            rate_from: None,
            listed_shards: Vec::new(),
            other_shards: None,
        }
        .with_listing()
    }

    /// The assumptions to state and where the rate came from, resolved with the settings.
    pub fn with_context(mut self, notes: Vec<String>, rate_from: Option<String>) -> Self {
        self.notes = notes;
        self.rate_from = rate_from;
        self
    }

    /// Every shard, or the busiest [`TEXT_SHARDS_TOP`] (ties by shard order) and the others
    /// summarised.
    fn with_listing(mut self) -> Self {
        let shards = &self.report.shards;
        if shards.len() <= TEXT_SHARDS_MAX {
            self.listed_shards = (0..shards.len()).collect();
            return self;
        }
        // Busiest first, ties by shard order: a total order, so selecting the first
        // TEXT_SHARDS_TOP (linear) picks the shards a full sort would, without sorting them all.
        let mut by_load: Vec<usize> = (0..shards.len()).collect();
        by_load.select_nth_unstable_by(TEXT_SHARDS_TOP - 1, |&a, &b| {
            shards[b].records.cmp(&shards[a].records).then(a.cmp(&b))
        });
        let (top, rest) = by_load.split_at(TEXT_SHARDS_TOP);
        let mut listed = top.to_vec();
        listed.sort_unstable();
        self.listed_shards = listed;
        self.other_shards = Some(OtherShards {
            count: rest.len(),
            records_min: rest.iter().map(|&i| shards[i].records).min().unwrap_or(0),
            records_max: rest.iter().map(|&i| shards[i].records).max().unwrap_or(0),
        });
        self
    }

    /// Whether the listed key `key` on `shard_id` is hot.
    pub fn key_is_hot(&self, key: &str, shard_id: &str) -> bool {
        self.hot
            .keys
            .iter()
            .any(|k| k.key == key && k.shard_id == shard_id)
    }
}
