//! The view model of `shardlint simulate`: the settings the run used (resolved once from flags,
//! the `--mapping`'s configuration and `shardlint.toml`, with where each came from), the
//! assumptions stated once, the engine's report and the optional recommendation. Its text and
//! JSON renderings ([`render::simulate`](crate::render::simulate)) read only this.

use serde::Serialize;

use crate::simulate::model::SimConfig;
use crate::simulate::recommend::Recommendation;
use crate::simulate::report::SimReport;

#[derive(Debug, Serialize)]
pub struct SimulationView<'a> {
    pub settings: Settings,
    /// Assumptions the result rests on (JSON `notes`, text `note:` lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(flatten)]
    pub report: &'a SimReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<&'a Recommendation>,
}

/// The resolved mapping, function and producer settings (JSON `settings`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub batch_size: u32,
    pub batching_window_ms: u64,
    pub parallelization_factor: u32,
    pub group_model: &'static str,
    pub max_retry_attempts: i64,
    /// `None` is -1: bounded by the stream's retention.
    pub max_record_age_ms: Option<u64>,
    pub retention_ms: u64,
    pub bisect_batch_on_function_error: bool,
    pub on_failure_destination: Option<String>,
    pub report_batch_item_failures: bool,
    pub record_time: String,
    pub invocation_overhead_ms: u64,
    pub timeout_ms: u64,
    /// The producer: generated keys and rate, or the sample files.
    pub arrivals: Arrivals,
    /// What did not come from a flag or a default, e.g. ``mapping settings from
    /// `aws_lambda_event_source_mapping.orders` ``.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Arrivals {
    /// `--keys K --records-per-key R`: one record per key every `interval_us`.
    Generated {
        keys: usize,
        records_per_key: u32,
        interval_us: u64,
        record_bytes: u32,
        /// Where the interval came from when no `--interval` was given.
        #[serde(skip_serializing_if = "Option::is_none")]
        interval_from: Option<String>,
    },
    /// `--samples FILE`: records in stream order.
    Samples { files: Vec<String>, records: usize },
}

impl Settings {
    pub fn new(c: &SimConfig, arrivals: Arrivals, sources: Vec<String>) -> Settings {
        Settings {
            batch_size: c.batch_size,
            batching_window_ms: c.batching_window_ms,
            parallelization_factor: c.parallelization_factor,
            group_model: c.group_model.name(),
            max_retry_attempts: c.max_retry_attempts,
            max_record_age_ms: c.max_record_age_ms,
            retention_ms: c.retention_ms,
            bisect_batch_on_function_error: c.bisect_on_error,
            on_failure_destination: c.on_failure_destination.clone(),
            report_batch_item_failures: c.report_batch_item_failures,
            record_time: c.record_time.describe(),
            invocation_overhead_ms: c.invocation_overhead_ms,
            timeout_ms: c.timeout_ms,
            arrivals,
            sources,
        }
    }
}
