//! Sample readers (lines, JSON arrays, get-records, gzip) through the distribution engine,
//! with a payload template and with keys.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shardlint::distribution::{Options, distribute, keys::KeySource};
use shardlint::keyspace::ShardMap;

fuzz_target!(|data: &[u8]| {
    let path = shardlint_fuzz::scratch().join("samples");
    std::fs::write(&path, data).expect("write samples");
    let map = ShardMap::even(4);
    let opts = Options {
        parallelization_factor: 3,
        chunk_bytes: 1024,
        ..Options::default()
    };
    let inputs = [path];
    for src in [
        KeySource::template("${vin}"),
        KeySource::template("${topic(2)}-${clientid()}"),
        KeySource::key_path("$.device.id"),
    ]
    .into_iter()
    .flatten()
    {
        if let Ok(report) = distribute(&inputs, &src, &map, &opts) {
            let _ = shardlint::distribution::render::text(&report);
            let _ = report.to_json();
        }
    }
});
