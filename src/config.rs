//! The resolved configuration of one run: rule selection, severity overrides, `fail-on`, the
//! thresholds rules read and the expected write rate of each stream. `shardlint.toml` is read by
//! [`config_file`](crate::config_file); CLI flags are laid over it in `cli` (the command-line layer). Rules
//! only ever see this resolved form.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::diagnostic::RuleMeta;
use crate::diagnostic::Severity;
use crate::ordering::GroupModel;

#[derive(Clone, Debug)]
pub struct Config {
    /// Codes, code prefixes (`SL1`) or names to run; empty = all.
    pub select: Vec<String>,
    /// Codes, prefixes or names never to run.
    pub ignore: Vec<String>,
    pub severity: HashMap<String, Severity>,
    pub fail_on: Severity,
    /// An open shard owning at least this multiple of the mean keyspace share is skewed.
    pub keyspace_skew_ratio: f64,
    /// A shard receiving at least this share of a stream's sampled records is hot (sample-driven
    /// rules; only meaningful with more than one shard).
    pub hot_shard_share: f64,
    /// A partition key carrying at least this share of a shard's sampled records is a hot key.
    pub hot_key_share: f64,
    /// More standard (non-EFO) consumers than this on one stream exceed a shard's GetRecords budget.
    pub max_standard_consumers: usize,
    pub group_model: GroupModel,
    /// Expected write rates per stream name (`[streams."name"]`), for `stream-under-provisioned`.
    pub streams: Vec<StreamRate>,
    /// The `shardlint.toml` this config came from, so findings can point into it.
    pub source: Option<ConfigSource>,
    /// Files this one inherits from through `extend`, nearest last.
    pub extends: Vec<PathBuf>,
    /// Baseline of accepted findings (`baseline = "…"`, relative to the config's directory).
    pub baseline: Option<PathBuf>,
}

/// The text of the config file, kept so that a finding can name one of its entries as a related
/// location.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub text: String,
}

/// `[streams."location-stream"] records-per-second = 8000, bytes-per-second = 4000000`.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamRate {
    pub stream: String,
    pub records_per_second: Option<f64>,
    pub bytes_per_second: Option<f64>,
    /// `record-distribution = "auto"`: the stream's `RecordDistributionStrategy` when the
    /// configuration files cannot say it (the Terraform provider has no attribute for it).
    pub record_distribution: Option<crate::model::RecordDistribution>,
    /// Byte range of the entry's table header (or key) in [`Config::source`].
    pub span: Option<std::ops::Range<usize>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            select: Vec::new(),
            ignore: Vec::new(),
            severity: HashMap::new(),
            fail_on: Severity::Warning,
            keyspace_skew_ratio: 1.5,
            hot_shard_share: 0.5,
            hot_key_share: 0.5,
            max_standard_consumers: crate::model::limits::SHARD_GETRECORDS_PER_S as usize,
            group_model: GroupModel::default(),
            streams: Vec::new(),
            source: None,
            extends: Vec::new(),
            baseline: None,
        }
    }
}

/// Whether a `select`/`ignore` pattern (code, code prefix or name) names this rule.
pub fn matches(pattern: &str, meta: &RuleMeta) -> bool {
    meta.code.starts_with(&pattern.to_ascii_uppercase()) || meta.name == pattern
}

impl Config {
    pub fn rule_enabled(&self, meta: &RuleMeta) -> bool {
        (self.select.is_empty() || self.select.iter().any(|p| matches(p, meta)))
            && !self.ignore.iter().any(|p| matches(p, meta))
    }
    pub fn severity_of(&self, meta: &RuleMeta) -> Severity {
        self.severity
            .get(meta.code)
            .or_else(|| self.severity.get(meta.name))
            .copied()
            .unwrap_or(meta.severity)
    }
    /// The configured rate of a stream, by name.
    pub fn stream_rate(&self, name: &str) -> Option<&StreamRate> {
        self.streams.iter().find(|s| s.stream == name)
    }
    /// Whether stream `name` spreads records itself (`RecordDistributionStrategy = AUTO`):
    /// `[streams."name"] record-distribution` wins over what its configuration says
    /// (`configured_auto`), since the Terraform provider has no attribute for it.
    pub fn auto_distribution(&self, name: &str, configured_auto: bool) -> bool {
        match self.stream_rate(name).and_then(|r| r.record_distribution) {
            Some(d) => d == crate::model::RecordDistribution::Auto,
            None => configured_auto,
        }
    }
}
