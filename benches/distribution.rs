//! Benchmark of the distribution engine that prints figures (not a timed test): 10M realistic
//! keys onto 64 shards against a plain Python hashlib script, 3M seed-shaped envelopes through a
//! template, and peak RSS (VmHWM) at 1× and 2× input. Each measurement runs in a child process
//! of this binary so peaks do not mix. Run it with `cargo bench --bench distribution`;
//! `scripts/bench.sh` compares with other tools in one run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shardlint::distribution::{KeySource, Options, distribute};
use shardlint::keyspace::ShardMap;

fn vm_hwm_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Half vehicle ids, half UUIDs (deterministic), one per line.
fn gen_keys(path: &Path, n: u64) {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        if i % 2 == 0 {
            writeln!(w, "TEST-{}", 100_001 + i / 2).unwrap();
        } else {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let y = x.rotate_left(17) ^ i;
            writeln!(
                w,
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                (x >> 32) as u32,
                (x >> 16) as u16,
                (y >> 52) as u16 & 0xfff,
                (y >> 40) as u16 & 0xfff,
                y & 0xffff_ffff_ffff
            )
            .unwrap();
        }
    }
    w.flush().unwrap();
}

/// Seed 2: 100,000 vehicles, one message a minute, in MQTT envelopes.
fn gen_envelopes(path: &Path, n: u64) {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    for i in 0..n {
        let v = i % 100_000;
        let m = i / 100_000;
        let vin = 100_001 + v;
        let ts = 1_667_264_400_000 + m * 60_000 + v % 60_000;
        writeln!(
            w,
            r#"{{"topic":"vehicles/TEST-{vin}/location","clientid":"TEST-{vin}","timestamp":{ts},"payload":{{"list":[{{"vin":"TEST-{vin}","timestamp":"2022-11-01T{:02}:{:02}:00+09:00","lat":{:.6},"lon":{:.6}}}]}}}}"#,
            10 + m / 60,
            m % 60,
            35.0 + (v % 1000) as f64 / 1000.0,
            139.0 + (v % 997) as f64 / 1000.0
        )
        .unwrap();
    }
    w.flush().unwrap();
}

const PY: &str = r#"
import bisect, hashlib, sys
n = 64; w = 2**128 // n
starts = [i * w for i in range(n)]
counts = [0] * n
md5 = hashlib.md5
with open(sys.argv[1], "rb") as f:
    for line in f:
        k = line.rstrip(b"\n")
        if k:
            counts[bisect.bisect_right(starts, int.from_bytes(md5(k).digest(), "big")) - 1] += 1
print(sum(counts), max(counts))
"#;

fn child(args: &[&str]) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe).args(args).output().unwrap();
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Child: one engine run; prints `seconds records hwm_mb source`.
fn run_one(kind: &str, path: &Path) {
    let (src, label) = match kind {
        "keys" => (KeySource::Given, "keys".to_string()),
        _ => match KeySource::template("${get(get(list, 0), 'vin')}") {
            // Until the template module lands, the same field through JSONPath.
            Ok(s) if probe_template(&s) => (s, "template ${get(get(list, 0), 'vin')}".into()),
            _ => (
                KeySource::key_path("$.list[0].vin").unwrap(),
                "key-path $.list[0].vin (template module not merged)".into(),
            ),
        },
    };
    let map = ShardMap::even(if kind == "keys" { 64 } else { 8 });
    let t = Instant::now();
    let r = distribute(&[path.to_path_buf()], &src, &map, &Options::default()).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{secs:.3} {} {:.1} {} {}|{}",
        r.input.keyed_records,
        vm_hwm_mb(),
        r.distinct_keys.count,
        r.input.md5,
        label
    );
}

/// Whether the template evaluates to a key on a seed payload (false while it is a stub).
fn probe_template(src: &KeySource) -> bool {
    let dir = std::env::temp_dir().join(format!("shardlint-probe-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join("p.jsonl");
    gen_envelopes(&p, 1);
    let ok = distribute(&[p], src, &ShardMap::even(1), &Options::default())
        .map(|r| r.input.keyed_records == 1)
        .unwrap_or(false);
    let _ = std::fs::remove_dir_all(&dir);
    ok
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 3 && args[1] == "run" {
        run_one(&args[2], Path::new(&args[3]));
        return;
    }
    let n_keys: u64 = std::env::var("BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let n_env: u64 = std::env::var("BENCH_ENVELOPES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000_000);
    let dir: PathBuf = std::env::temp_dir().join(format!("shardlint-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("threads: {}", rayon::current_num_threads());

    // 1. Key lists.
    let keys = dir.join("keys.txt");
    let t = Instant::now();
    gen_keys(&keys, n_keys);
    let size = std::fs::metadata(&keys).unwrap().len() as f64 / 1e6;
    println!(
        "generated {n_keys} keys ({size:.0} MB) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut best = f64::MAX;
    let mut line = String::new();
    for _ in 0..3 {
        let out = child(&["run", "keys", keys.to_str().unwrap()]);
        let secs: f64 = out.split(' ').next().unwrap_or("0").parse().unwrap_or(0.0);
        if secs > 0.0 && secs < best {
            best = secs;
            line = out;
        }
    }
    let f: Vec<&str> = line.split(' ').collect();
    println!(
        "keys: {} keys onto 64 shards in {best:.3} s = {:.2} M keys/s (best of 3), peak RSS {} MB, distinct ≈ {}, md5 {}",
        f.get(1).unwrap_or(&"?"),
        n_keys as f64 / best / 1e6,
        f.get(2).unwrap_or(&"?"),
        f.get(3).unwrap_or(&"?"),
        f.get(4).and_then(|s| s.split('|').next()).unwrap_or("?"),
    );
    let t = Instant::now();
    let py = Command::new("python3")
        .arg("-c")
        .arg(PY)
        .arg(&keys)
        .output();
    match py {
        Ok(o) if o.status.success() => {
            let secs = t.elapsed().as_secs_f64();
            println!(
                "python hashlib: same count in {secs:.2} s = {:.2} M keys/s; shardlint is {:.1}x faster",
                n_keys as f64 / secs / 1e6,
                secs / best
            );
        }
        _ => println!("python hashlib: skipped (python3 not available)"),
    }
    let _ = std::fs::remove_file(&keys);

    // 2. Seed-shaped envelopes through a template, and memory at 1x and 2x.
    for n in [n_env, 2 * n_env] {
        let env = dir.join(format!("env-{n}.jsonl"));
        let t = Instant::now();
        gen_envelopes(&env, n);
        let size = std::fs::metadata(&env).unwrap().len() as f64 / 1e6;
        println!(
            "generated {n} envelopes ({size:.0} MB) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let out = child(&["run", "envelopes", env.to_str().unwrap()]);
        let (nums, label) = out.split_once('|').unwrap_or((&out, "?"));
        let f: Vec<&str> = nums.split(' ').collect();
        let secs: f64 = f[0].parse().unwrap_or(0.0);
        println!(
            "envelopes: {} records via {label} onto 8 shards in {secs:.3} s = {:.2} M records/s, peak RSS {} MB",
            f.get(1).unwrap_or(&"?"),
            n as f64 / secs / 1e6,
            f.get(2).unwrap_or(&"?"),
        );
        let _ = std::fs::remove_file(&env);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
