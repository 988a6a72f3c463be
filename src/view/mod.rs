//! View models: what the reports show, computed before rendering. Each holds the figures and
//! the decisions (which shard or key is hot under the configured shares, which figure is near or
//! over a limit) so that the renderers under [`render`](crate::render) only format; no renderer
//! sees the configuration.

pub mod audit;
pub mod distribution;
pub mod simulate;

/// The shares above which a shard or a key counts as hot (`hot-shard-share`, `hot-key-share`
/// of `shardlint.toml`), as `check`'s SL401 and SL402 apply them.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Thresholds {
    pub hot_shard_share: f64,
    pub hot_key_share: f64,
}

impl Thresholds {
    pub fn of(config: &crate::config::Config) -> Thresholds {
        Thresholds {
            hot_shard_share: config.hot_shard_share,
            hot_key_share: config.hot_key_share,
        }
    }
}

impl Default for Thresholds {
    /// The defaults of an empty `shardlint.toml`.
    fn default() -> Thresholds {
        Thresholds::of(&crate::config::Config::default())
    }
}

/// The assumption `distribute` and `simulate` state for a stream with
/// `RecordDistributionStrategy = AUTO`, where AWS does not document the placement.
pub fn auto_distribution_note(stream: &str) -> String {
    format!(
        "stream `{stream}` uses RecordDistributionStrategy AUTO: Kinesis ignores partition keys there and AWS documents no placement, so the shards below are what these keys would get under USER_PARTITION_KEY, not what the stream does ({})",
        crate::model::limits::RECORD_DISTRIBUTION_DOC
    )
}
