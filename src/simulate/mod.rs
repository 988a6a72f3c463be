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
//pub mod cli;
pub mod engine;
pub mod model;
//pub mod recommend;
pub mod report;

//pub use cli::{SimulateArgs, run};
pub use engine::simulate;
pub use model::{Arrival, Backoff, Poison, RecordTime, SimConfig};
//pub use recommend::{Assessment, Workload, assess, recommend};
pub use report::{GroupReport, Invocation, SimReport};

#[cfg(test)]
mod scratch {
    use super::*;
    use crate::keyspace::ShardMap;
    #[test]
    fn scratch_seed() {
        let keys = arrivals::parse_keys("5").unwrap();
        let a = arrivals::generate(&keys, 30, 1000, 10);
        for f in [1, 3] {
            let cfg = SimConfig { parallelization_factor: f, record_time: RecordTime::Fixed { ms: 3000 }, timeout_ms: 900_000, ..SimConfig::default() };
            let r = simulate(&a, &ShardMap::even(1), &cfg).unwrap();
            println!("{}", r.to_text());
        }
        let cfg = SimConfig { parallelization_factor: 3, record_time: RecordTime::Fixed { ms: 3000 }, timeout_ms: 900_000, poison: vec![Poison{key:"1".into(), seq:5}], ..SimConfig::default() };
        let r = simulate(&a, &ShardMap::even(1), &cfg).unwrap();
        println!("{}", r.to_text());
        let cfg = SimConfig { bisect_on_error: true, max_retry_attempts: 2, on_failure_destination: Some("arn:x".into()), ..cfg };
        let r = simulate(&a, &ShardMap::even(1), &cfg).unwrap();
        println!("{}", r.to_text());
    }
}
