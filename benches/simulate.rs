//! Benchmark of the simulate engine (prints figures; not a timed test): one million records
//! through a 4-shard stream, factor 2, fixed and log-normal record times. Run in release:
//! `cargo bench --bench simulate`.

use std::time::Instant;

use shardlint::keyspace::ShardMap;
use shardlint::simulate::{RecordTime, SimConfig, arrivals, simulate};

fn main() {
    let keys = arrivals::parse_keys("1000").unwrap_or_default();
    let t = Instant::now();
    let arr = arrivals::generate(&keys, 1000, 1000, 200);
    let gen_s = t.elapsed().as_secs_f64();
    println!("generated {} records in {gen_s:.3}s", arr.len());
    let shards = ShardMap::even(4);
    for (name, rt) in [
        ("fixed 1ms", RecordTime::Fixed { ms: 1 }),
        (
            "log-normal p50=1ms,p99=20ms",
            RecordTime::LogNormal {
                p50_ms: 1.0,
                p99_ms: 20.0,
            },
        ),
    ] {
        let cfg = SimConfig {
            parallelization_factor: 2,
            record_time: rt,
            invocation_overhead_ms: 5,
            fail_rate: 0.001,
            ..SimConfig::default()
        };
        let t = Instant::now();
        match simulate(&arr, &shards, &cfg) {
            Ok(r) => println!(
                "{name}: simulated {} records, {} invocations in {:.3}s (drain {:.0}s, max IteratorAge {:.1}s)",
                r.records,
                r.invocations.len(),
                t.elapsed().as_secs_f64(),
                r.drain_seconds,
                r.max_iterator_age_seconds
            ),
            Err(e) => eprintln!("error: {e}"),
        }
    }
}
