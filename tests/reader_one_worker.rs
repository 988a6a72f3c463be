//! The records reader and the distribution engine called on the one worker of a one-thread
//! global pool (what `RAYON_NUM_THREADS=1` gives): a streamed input splits its large chunks on
//! that pool, so it must not be read on another thread while the worker waits for it, and the
//! engine's in-order applying must run its slices itself. A binary of its own: the global pool
//! is set once per process.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use shardlint::distribution::{KeySource, Options, distribute};
use shardlint::keyspace::ShardMap;
use shardlint::records::{InputFormat, ReadEvent, read_inputs};

#[test]
fn both_readers_finish_on_the_only_worker() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("the first use of the global pool in this binary");
    let dir = tempfile::tempdir().unwrap();
    // 690 KB of keys: read in chunks of 512 KiB, which the streaming reader splits on the pool.
    let plain: Vec<u8> = (0..100_000)
        .flat_map(|i| format!("k-{i}\n").into_bytes())
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let (p, g) = (dir.path().join("plain"), dir.path().join("keys.gz"));
    std::fs::write(&p, &plain).unwrap();
    std::fs::write(&g, gz.finish().unwrap()).unwrap();
    let paths = vec![g.clone(), p, g];
    let (tx, rx) = mpsc::channel();
    // On the worker; a hang there would hang the test, so the answer comes with a deadline.
    rayon::spawn(move || {
        let mut lines = vec![0u64; 3];
        read_inputs(
            &paths,
            InputFormat::Auto,
            512 << 10,
            &mut |ev: ReadEvent| {
                for c in ev.chunks() {
                    lines[c.input] += c.items.len() as u64;
                }
                true
            },
        );
        let opts = Options {
            chunk_bytes: 512 << 10,
            ..Options::default()
        };
        let r = distribute(&paths, &KeySource::Given, &ShardMap::even(4), &opts)
            .map(|r| r.input.keyed_records);
        let _ = tx.send((lines, r));
    });
    let (lines, counted) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the reader and the engine finished on the only worker");
    assert_eq!(lines, [100_000, 100_000, 100_000]);
    assert_eq!(counted, Ok(300_000));
}
