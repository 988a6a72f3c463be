//! `shardlint simulate`: a deterministic discrete-event simulation of one Lambda event source
//! mapping draining one Kinesis stream. It sits in the analysis stage: arrivals (generated or
//! sampled) go through the keyspace (shard) and ordering (group) models, then the engine plays
//! batches, retries and faults and reports drain time, IteratorAge and blocked time.
//!
//! ```text
//! arrivals (generate | get-records JSON | distribute's readers)
//!   └─ engine ...... shard map → groups (ordering::GroupAssigner) → one batch in flight per group
//!       └─ report .. SimReport → text / JSON / timeline CSV
//!   recommend ...... settings sweep (--recommend) and the analytic `assess` used by `check`
//! ```
//!
//! Every modelling assumption is named in `docs/simulate.md`.

pub mod arrivals;
pub mod engine;
pub mod model;
pub mod recommend;
pub mod report;

pub use engine::simulate;
pub use model::{Arrival, Backoff, Poison, RecordTime, SimConfig};
pub use recommend::{Assessment, Workload, assess, recommend};
pub use report::{GroupReport, Invocation, SimReport};
