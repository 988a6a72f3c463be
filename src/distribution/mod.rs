//! Sample-driven distribution: streams sampled records through key evaluation, MD5 and the shard
//! map in parallel, and reports per-shard load, skew, hot keys, ordering groups and undefined keys.
//!
//! ```text
//! records::reader (thread: files, .gz, stdin → chunks of lines / array elements, format
//!   detection; records::decode: item → Record)
//!   └─ keys (per record: key list / PartitionKey / IoT template / JSONPath → key, bytes, time;
//!       path_key: pure-path templates walk the raw payload without building a Value;
//!       envelope: with them, an MQTT envelope or EventBridge event line is read in one pass)
//!       └─ engine (rayon: batch MD5 → keyspace::placement_hash → open shard → per-shard
//!          counters; key table partitions; several jobs share one pass over the inputs)
//!           ├─ peaks (timestamped records per one-second window: peak, p99 per shard and key)
//!           └─ sketch (exact key counts up to a cap, then Space-Saving behind an admission
//!              filter; HyperLogLog)
//!               └─ report (Serialize, JSON version 1: the engine's state → the report)
//!                   ├─ run (one pass over the inputs for every job; engine state → report)
//!                   └─ hot (which shard and keys are hot under the configured shares)
//! aggregates (a `shardlint sql` result's rows → the same report, without records)
//! ```
//!
//! Text output is in `render::distribution`, flags in `cli::distribute`. Library entry point
//! for `check --samples`: [`distribute`] with a [`KeySource`], a
//! [`ShardMap`](crate::keyspace::ShardMap) and [`Options`], giving a [`DistributionReport`].

pub mod aggregates;
pub mod engine;
mod envelope;
pub mod hashing;
pub mod hot;
pub mod keys;
mod path_key;
pub mod peaks;
pub mod report;
pub mod run;
pub mod sketch;

pub use crate::records::InputFormat;
pub use engine::{DEFAULT_SEED, Options};
pub use keys::KeySource;
pub use report::DistributionReport;
pub use run::{
    Job, SharedLoad, distribute, distribute_jobs, distribute_jobs_grouped, distribute_with_progress,
};
