//! The resolved configuration of one run: rule selection, severity overrides, `fail-on` and the
//! thresholds rules read. Raw CLI flags are turned into this in one place.

use std::collections::HashMap;

use crate::diagnostic::Severity;
use crate::ordering::GroupModel;
use crate::rules::RuleMeta;

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
    /// More standard (non-EFO) consumers than this on one stream exceed a shard's GetRecords budget.
    pub max_standard_consumers: usize,
    pub group_model: GroupModel,
    /// A shard taking at least this share of sampled records is hot (when the map has more shards).
    pub hot_shard_share: f64,
    /// One key carrying at least this share of its shard's records is hot.
    pub hot_key_share: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            select: Vec::new(),
            ignore: Vec::new(),
            severity: HashMap::new(),
            fail_on: Severity::Warning,
            keyspace_skew_ratio: 1.5,
            max_standard_consumers: crate::model::limits::SHARD_GETRECORDS_PER_S as usize,
            group_model: GroupModel::default(),
            hot_shard_share: 0.5,
            hot_key_share: 0.5,
        }
    }
}

fn matches(pattern: &str, meta: &RuleMeta) -> bool {
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
}
