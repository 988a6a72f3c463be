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
        }
    }

    /// The assumptions to state and where the rate came from, resolved with the settings.
    pub fn with_context(mut self, notes: Vec<String>, rate_from: Option<String>) -> Self {
        self.notes = notes;
        self.rate_from = rate_from;
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
