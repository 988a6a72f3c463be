//! The distribution engine end to end through its library API and the `distribute` command:
//! exact per-shard counts against an independent Python hashlib computation, the seed 1 ordering
//! groups, seed 2's constant key, bad lines with line numbers, get-records input, the sketch
//! past the exact cap, and the JSON contract. Inputs are generated here, never committed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod distribution_samples;
use distribution_samples::seed2_envelopes;
use shardlint::distribution::{DistributionReport, InputFormat, KeySource, Options, distribute};
use shardlint::keyspace::{MAX_HASH, ShardMap};
use shardlint::ordering::{GroupAssigner, GroupModel};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run_keys(path: &Path, map: &ShardMap, opts: &Options) -> DistributionReport {
    distribute(&[path.to_path_buf()], &KeySource::Given, map, opts).unwrap()
}

/// 200,000 keys with non-ASCII, emoji, spaces, tabs and 256-character keys, some repeated.
fn awkward_keys() -> String {
    let mut s = String::with_capacity(12 << 20);
    for i in 0..200_000u32 {
        let k = match i % 10 {
            0 => format!("TEST-{}", 100_000 + i),
            1 => format!("車両-{i}-é"),
            2 => format!("🚗🚕 {i} 🛻"),
            3 => format!(" leading and trailing spaces {i} "),
            4 => format!("{i:0>256}"),
            5 => {
                // 256 characters, 4 bytes each: 1,024 bytes.
                let mut k = "🦀".repeat(250);
                write!(k, "{:06}", i % 1_000_000).unwrap();
                k
            }
            6 => format!("tab\there{i}"),
            7 => uuid_like(i),
            8 => format!("hot-{}", i % 7),
            _ => format!("Ωμέγα/{i}/ß"),
        };
        s.push_str(&k);
        s.push('\n');
    }
    s
}

fn uuid_like(i: u32) -> String {
    let h = shardlint::keyspace::hash_key(&i.to_string());
    let x = format!("{h:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// A resharded stream: shard 0 split (closed), its upper child merged... and the rest even.
fn resharded_export() -> serde_json::Value {
    let q = 1u128 << 126; // four quarters
    let s = |id: &str, a: u128, b: u128, closed: bool| {
        let mut seq = serde_json::json!({"StartingSequenceNumber": "4960"});
        if closed {
            seq["EndingSequenceNumber"] = "4961".into();
        }
        serde_json::json!({"ShardId": id,
            "HashKeyRange": {"StartingHashKey": a.to_string(), "EndingHashKey": b.to_string()},
            "SequenceNumberRange": seq})
    };
    serde_json::json!({"Shards": [
        // Listed out of hash order on purpose.
        s("shardId-000000000003", 3 * q, MAX_HASH, false),
        s("shardId-000000000000", 0, q - 1, true),
        s("shardId-000000000004", 0, q / 3, false),
        s("shardId-000000000005", q / 3 + 1, q - 1, false),
        s("shardId-000000000001", q, 2 * q - 1, true),
        s("shardId-000000000002", 2 * q, 3 * q - 1, true),
        s("shardId-000000000006", q, 3 * q - 1, false),
    ]})
}

const PY_COUNT: &str = r#"
import hashlib, json, sys
keys_path, map_path = sys.argv[1], sys.argv[2]
if map_path.startswith("even:"):
    n = int(map_path[5:]); w = 2**128 // n
    shards = [("shardId-%012d" % i, i * w, (i + 1) * w - 1 if i + 1 < n else 2**128 - 1) for i in range(n)]
else:
    doc = json.load(open(map_path))
    shards = [(s["ShardId"], int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in doc["Shards"] if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
counts = {s[0]: 0 for s in shards}
for line in open(keys_path, "rb").read().split(b"\n"):
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line:
        continue
    h = int.from_bytes(hashlib.md5(line).digest(), "big")
    for sid, a, b in shards:
        if a <= h <= b:
            counts[sid] += 1
            break
print(json.dumps(counts, sort_keys=True))
"#;

fn python_counts(keys: &Path, map: &str) -> serde_json::Value {
    let out = match Command::new("python3")
        .arg("-c")
        .arg(PY_COUNT)
        .arg(keys)
        .arg(map)
        .output()
    {
        Ok(o) => o,
        // The exactness claim rests on this independent computation: without python3 the test
        // fails rather than passing unchecked.
        Err(e) => panic!("python3 is needed for the independent hashlib computation: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn as_counts(r: &DistributionReport) -> serde_json::Value {
    let m: serde_json::Map<String, serde_json::Value> = r
        .shards
        .iter()
        .map(|s| (s.shard_id.to_string(), s.records.into()))
        .collect();
    serde_json::Value::Object(m)
}

#[test]
fn per_shard_counts_equal_python_hashlib() {
    let dir = tempfile::tempdir().unwrap();
    let keys = write(dir.path(), "keys.txt", &awkward_keys());
    // Small chunks: many chunks and rayon tasks, so merging is exercised too. An exact cap
    // above the 180,007 distinct keys, so the distinct count is exact too.
    let opts = Options {
        chunk_bytes: 256 << 10,
        exact_keys: 262_144,
        ..Options::default()
    };

    let even = run_keys(&keys, &ShardMap::even(8), &opts);
    assert_eq!(even.input.keyed_records, 200_000);
    assert_eq!(even.bad_lines.count, 0, "{:?}", even.bad_lines.examples);

    let export = write(
        dir.path(),
        "list-shards.json",
        &resharded_export().to_string(),
    );
    let map = shardlint::load::aws_cli::read_shard_map(&export).unwrap();
    assert_eq!(map.len(), 4);
    let resharded = run_keys(&keys, &map, &opts);
    assert_eq!(resharded.input.keyed_records, 200_000);

    let py_even = python_counts(&keys, "even:8");
    assert_eq!(as_counts(&even), py_even);
    let py_re = python_counts(&keys, export.to_str().unwrap());
    assert_eq!(as_counts(&resharded), py_re);
    // Distinct keys: 7 hot ones repeat, every other key is unique.
    assert_eq!(even.distinct_keys.count, 180_000 + 7);
    assert!(even.distinct_keys.exact);
}

#[test]
fn seed1_ordering_groups_and_effective_parallelism() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::new();
    for _ in 0..30 {
        for k in 1..=5 {
            writeln!(s, "{k}").unwrap();
        }
    }
    let keys = write(dir.path(), "seed1.txt", &s);
    let opts = Options {
        parallelization_factor: 3,
        ..Options::default()
    };
    let r = run_keys(&keys, &ShardMap::even(1), &opts);
    assert_eq!(r.groups.len(), 1);
    let g = &r.groups[0];
    assert_eq!(g.records, 150);
    let sets: Vec<Vec<String>> = g
        .groups
        .iter()
        .map(|gr| {
            let mut k: Vec<String> = gr.top_keys.iter().map(|k| k.key.clone()).collect();
            k.sort();
            k
        })
        .collect();
    // Seed 1 observed {1,4}, {3}, {2,5}.
    assert_eq!(sets, vec![vec!["1", "4"], vec!["2", "5"], vec!["3"]]);
    assert_eq!(
        g.groups.iter().map(|x| x.records).collect::<Vec<_>>(),
        vec![60, 60, 30]
    );
    assert!((g.effective_parallelism - 2.5).abs() < 1e-12);
    assert!((g.largest_group_share - 0.4).abs() < 1e-12);
    // Top keys 1..5 all sit in groups of two: two collisions.
    assert_eq!(g.collisions.len(), 2);

    // hash-mod: same shard, groups from MD5 mod 3.
    let hm = run_keys(
        &keys,
        &ShardMap::even(1),
        &Options {
            parallelization_factor: 3,
            group_model: GroupModel::HashMod,
            ..Options::default()
        },
    );
    let total: u64 = hm.groups[0].groups.iter().map(|x| x.records).sum();
    assert_eq!(total, 150);
    for gr in &hm.groups[0].groups {
        for k in &gr.top_keys {
            assert_eq!(shardlint::ordering::hash_group(&k.key, 3), gr.group);
        }
    }

    // java-hash-mod: "1".."5" hash to 49..53, so seed 1 cannot tell it from round robin.
    let jm = run_keys(
        &keys,
        &ShardMap::even(1),
        &Options {
            parallelization_factor: 3,
            group_model: GroupModel::JavaHashMod,
            ..Options::default()
        },
    );
    let by_group: Vec<Vec<&str>> = jm.groups[0]
        .groups
        .iter()
        .map(|gr| {
            let mut k: Vec<&str> = gr.top_keys.iter().map(|k| k.key.as_str()).collect();
            k.sort();
            k
        })
        .collect();
    assert_eq!(by_group, vec![vec!["3"], vec!["1", "4"], vec!["2", "5"]]);
    // Every report compares the three models on the busiest shard.
    let names: Vec<&str> = r.group_models.iter().map(|m| m.model).collect();
    assert_eq!(
        names,
        ["first-seen-round-robin", "hash-mod", "java-hash-mod"]
    );
    for m in &r.group_models {
        assert_eq!(m.collisions.len(), 2, "{}", m.model);
        assert!((m.effective_parallelism - 2.5).abs() < 1e-12, "{}", m.model);
        assert!(m.groups.is_none());
    }
}

#[test]
fn three_keys_at_factor_three_split_the_models() {
    // Round robin and Java's hashCode give a, b, c a group each; MD5 mod 3 puts all three in one
    // (a hash assignment collides for 3 keys in 3 groups with probability 1 - 3!/3^3 = 78%).
    let dir = tempfile::tempdir().unwrap();
    let keys = write(dir.path(), "abc.txt", &"a\nb\nc\n".repeat(10));
    let out = Command::new(env!("CARGO_BIN_EXE_shardlint"))
        .args([
            "distribute",
            "--shards",
            "1",
            "--parallelization-factor",
            "3",
        ])
        .args(["--group-models", "--format", "json", "--keys"])
        .arg(&keys)
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = j["group_models"].as_array().unwrap();
    let eff: Vec<f64> = models
        .iter()
        .map(|m| m["effective_parallelism"].as_f64().unwrap())
        .collect();
    assert_eq!(eff, [3.0, 1.0, 3.0]);
    assert_eq!(
        models[1]["collisions"][0]["keys"],
        serde_json::json!(["a", "b", "c"])
    );
    // `--group-models` keeps every model's groups.
    assert_eq!(
        models[1]["groups"][0]["groups"][0]["records"]
            .as_u64()
            .unwrap()
            + models[1]["groups"][0]["groups"][1]["records"]
                .as_u64()
                .unwrap()
            + models[1]["groups"][0]["groups"][2]["records"]
                .as_u64()
                .unwrap(),
        30
    );
    let text = Command::new(env!("CARGO_BIN_EXE_shardlint"))
        .args([
            "distribute",
            "--shards",
            "1",
            "--parallelization-factor",
            "3",
        ])
        .args(["--group-models", "--keys"])
        .arg(&keys)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("hash-mod                 effective parallelism 1.00 of 3, largest group 100.00%, 1 collision"), "{text}");
    assert!(text.contains("ordering groups under hash-mod:"), "{text}");
    assert!(
        text.contains("ordering groups under java-hash-mod:"),
        "{text}"
    );
}

#[test]
fn first_seen_groups_are_right_across_parallel_chunks() {
    // Keys whose first occurrences are spread over many chunks; the answer must equal a plain
    // sequential GroupAssigner pass per shard.
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::new();
    let mut order = Vec::new();
    for i in 0..60_000u32 {
        let k = format!("dev-{}", (i * 7919) % 5_000 + (i / 20_000) * 5_000);
        writeln!(s, "{k}").unwrap();
        order.push(k);
    }
    let keys = write(dir.path(), "k.txt", &s);
    let map = ShardMap::even(4);
    let r = run_keys(
        &keys,
        &map,
        &Options {
            parallelization_factor: 4,
            chunk_bytes: 1024,
            top: 3,
            ..Options::default()
        },
    );
    let mut expected = vec![vec![0u64; 4]; 4];
    let mut asg: Vec<GroupAssigner> = (0..4)
        .map(|_| GroupAssigner::new(GroupModel::FirstSeenRoundRobin, 4))
        .collect();
    for k in &order {
        let s = map.shard_index(shardlint::keyspace::hash_key(k));
        let g = asg[s].group_of(k);
        expected[s][g as usize] += 1;
    }
    for g in &r.groups {
        let s = map
            .shards()
            .iter()
            .position(|x| x.shard_id == g.shard_id)
            .unwrap();
        let got: Vec<u64> = g.groups.iter().map(|x| x.records).collect();
        assert_eq!(got, expected[s], "{}", g.shard_id);
        assert!(g.exact);
    }
}

#[test]
fn seed2_constant_key_is_one_hot_shard() {
    // Seed 2's rule had the literal key `vin`: every record on one shard of 8.
    let dir = tempfile::tempdir().unwrap();
    let keys = write(dir.path(), "vin.txt", &"vin\n".repeat(100_000));
    let r = run_keys(&keys, &ShardMap::even(8), &Options::default());
    // Independently: md5("vin") // (2^128 / 8) == 3 (Python hashlib).
    assert_eq!(
        r.skew.hottest_shard.as_deref(),
        Some("shardId-000000000003")
    );
    assert_eq!(r.shard("shardId-000000000003").unwrap().share, 1.0);
    assert!((r.skew.effective_shards - 1.0).abs() < 1e-12);
    assert!((r.skew.max_over_mean - 8.0).abs() < 1e-12);
    assert_eq!(r.hot_keys[0].key, "vin");
    assert_eq!(r.hot_keys[0].count, 100_000);
}

#[test]
fn seed2_per_vehicle_key_path_spreads_evenly() {
    let dir = tempfile::tempdir().unwrap();
    let samples = write(dir.path(), "env.jsonl", &seed2_envelopes(100_000, 1));
    let src = KeySource::key_path("$.list[0].vin").unwrap();
    let r = distribute(&[samples], &src, &ShardMap::even(8), &Options::default()).unwrap();
    assert_eq!(r.input.files[0].format, "envelopes");
    assert_eq!(r.input.keyed_records, 100_000);
    // 100,000 distinct keys are past the default exact cap: a HyperLogLog estimate (0.8%
    // standard error), said to be one.
    assert!(!r.distinct_keys.exact);
    assert_eq!(r.distinct_keys.method, "hyperloglog");
    assert!(
        r.distinct_keys.count.abs_diff(100_000) < 3_000,
        "{}",
        r.distinct_keys.count
    );
    for s in &r.shards {
        assert!((s.share - 0.125).abs() < 0.01, "{} {}", s.shard_id, s.share);
    }
    assert!(r.skew.effective_shards > 7.9);
    // Timestamps span just under a minute: rates are known.
    assert_eq!(r.input.time.source, "timestamps");
    assert!(r.shards[0].records_per_s.is_some());
}

#[test]
fn bad_lines_are_counted_with_line_numbers_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(257);
    let keys = write(dir.path(), "k.txt", &format!("a\nb\n\n{long}\nc\n"));
    let r = run_keys(&keys, &ShardMap::even(2), &Options::default());
    assert_eq!(r.input.keyed_records, 3);
    assert_eq!(r.bad_lines.count, 2);
    let ex: Vec<(u64, &str)> = r
        .bad_lines
        .examples
        .iter()
        .map(|e| (e.at.number, e.reason.as_str()))
        .collect();
    assert_eq!(ex[0], (3, "empty key"));
    assert_eq!(ex[1].0, 4);
    assert!(ex[1].1.contains("longer than 256"), "{}", ex[1].1);

    let payloads = write(
        dir.path(),
        "p.jsonl",
        "{\"device\":{\"id\":\"d1\"}}\n{\"device\":\n\n{\"device\":{}}\n{\"device\":{\"id\":\"d2\"}}\n",
    );
    let src = KeySource::key_path("$.device.id").unwrap();
    let r = distribute(&[payloads], &src, &ShardMap::even(2), &Options::default()).unwrap();
    assert_eq!(r.input.keyed_records, 2);
    assert_eq!(r.bad_lines.count, 1);
    assert_eq!(r.bad_lines.examples[0].at.number, 2);
    assert!(r.bad_lines.examples[0].reason.starts_with("invalid JSON"));
    assert_eq!(r.undefined_keys.count, 1);
    assert_eq!(r.undefined_keys.example.as_ref().unwrap().at.number, 4);
    assert!((r.undefined_keys.share - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn bad_lines_deep_in_a_large_file_keep_their_line_numbers() {
    // A few megabytes: several ranges read in parallel, rounds, and slices that start past a
    // chunk's first item, each numbered from where its chunk starts.
    let dir = tempfile::tempdir().unwrap();
    let (mut keys, mut lines) = (String::new(), String::new());
    let mut bad = Vec::new();
    for no in 1..=300_000u64 {
        if [70_001, 150_002, 290_003].contains(&no) {
            keys.push('\n');
            lines.push_str("{\"device\":\n");
            bad.push(no);
        } else {
            writeln!(keys, "k-{no}").unwrap();
            writeln!(lines, "{{\"device\":{{\"id\":\"d{no}\"}}}}").unwrap();
        }
    }
    let numbers = |r: &DistributionReport| -> Vec<u64> {
        r.bad_lines.examples.iter().map(|e| e.at.number).collect()
    };
    let k = write(dir.path(), "k.txt", &keys);
    let r = run_keys(&k, &ShardMap::even(4), &Options::default());
    assert_eq!(r.input.keyed_records, 300_000 - 3);
    assert_eq!(numbers(&r), bad);
    let p = write(dir.path(), "p.jsonl", &lines);
    let src = KeySource::key_path("$.device.id").unwrap();
    let r = distribute(&[p], &src, &ShardMap::even(4), &Options::default()).unwrap();
    assert_eq!(r.input.keyed_records, 300_000 - 3);
    assert_eq!(numbers(&r), bad);
}

#[test]
fn progress_counts_every_item_read_bad_ones_too() {
    // A spinner that counted only keyed records stood at 0 while a rule's topic filter skipped
    // a million lines; it follows the items read, in order, once per chunk.
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(257);
    let mut text = String::new();
    for i in 0..10_000 {
        writeln!(text, "k-{i}").unwrap();
        if i % 2_000 == 0 {
            writeln!(text, "{long}").unwrap();
        }
    }
    let keys = write(dir.path(), "k.txt", &text);
    let seen = std::sync::Mutex::new(Vec::new());
    // Ranges of twice this, so the 71 KB file is read in about nine rounds.
    let opts = Options {
        chunk_bytes: 2048,
        ..Options::default()
    };
    let r = shardlint::distribution::distribute_with_progress(
        &[keys],
        &KeySource::Given,
        &ShardMap::even(4),
        &opts,
        &|n| seen.lock().unwrap().push(n),
    )
    .unwrap();
    assert_eq!((r.input.keyed_records, r.bad_lines.count), (10_000, 5));
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() > 5, "{} calls", seen.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&10_005));
}

#[test]
fn an_input_with_no_readable_item_is_an_input_error_and_one_good_item_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"\xff\xfe\nx\xffy\n\n").unwrap();
    let r = run_keys(&bad, &ShardMap::even(2), &Options::default());
    assert_eq!(r.bad_lines.count, 3);
    assert_eq!(r.input.keyed_records, 0);
    let reasons: Vec<&str> = r
        .bad_lines
        .examples
        .iter()
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(
        reasons[..2],
        [
            "invalid UTF-8 at column 1 (byte 0xFF)",
            "invalid UTF-8 at column 2 (byte 0xFF)"
        ]
    );
    assert_eq!(
        r.input_errors,
        [format!(
            "no record of `{}` could be read: all 3 of its lines are bad (see `bad lines`)",
            bad.display()
        )]
    );
    // Non-ASCII before the break: the column counts characters, not bytes.
    let accented = dir.path().join("accented.txt");
    std::fs::write(
        &accented,
        "é\u{1F697}"
            .bytes()
            .chain([0xC3, b'\n'])
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let r = run_keys(&accented, &ShardMap::even(2), &Options::default());
    assert_eq!(
        r.bad_lines.examples[0].reason,
        "invalid UTF-8 at column 3 (byte 0xC3)"
    );
    assert_eq!(r.input_errors.len(), 1, "{:?}", r.input_errors);
    assert!(
        r.input_errors[0].contains("its one line is bad"),
        "{:?}",
        r.input_errors
    );

    // Near miss: one readable line among the bad ones is a report, not an input error; so is
    // a payload line whose key is undefined (the record was read).
    let mixed = dir.path().join("mixed.txt");
    std::fs::write(&mixed, b"\xff\nok\n\xfe\n").unwrap();
    let r = run_keys(&mixed, &ShardMap::even(2), &Options::default());
    assert_eq!((r.input.keyed_records, r.bad_lines.count), (1, 2));
    assert!(r.input_errors.is_empty(), "{:?}", r.input_errors);
    let payloads = write(dir.path(), "p.jsonl", "{\"a\":1}\nnot json\n");
    let src = KeySource::key_path("$.device.id").unwrap();
    let r = distribute(&[payloads], &src, &ShardMap::even(2), &Options::default()).unwrap();
    assert_eq!((r.undefined_keys.count, r.bad_lines.count), (1, 1));
    assert!(r.input_errors.is_empty(), "{:?}", r.input_errors);

    // Through the binary: exit 2 and the error on stderr, with the report still written.
    shardlint_distribute()
        .args(["--keys", bad.to_str().unwrap(), "--shards", "2"])
        .assert()
        .code(2)
        .stdout(predicates::str::contains("bad lines: 3 (skipped)"))
        .stderr(predicates::str::contains(
            "could be read: all 3 of its lines are bad",
        ));
    shardlint_distribute()
        .args(["--keys", mixed.to_str().unwrap(), "--shards", "2"])
        .assert()
        .code(0);
}

#[test]
fn get_records_output_with_explicit_hash_key_and_bad_base64() {
    let dir = tempfile::tempdir().unwrap();
    let doc = serde_json::json!({
        "Records": [
            {"SequenceNumber": "1", "ApproximateArrivalTimestamp": "2024-01-01T00:00:00.000000+00:00",
             "Data": "eyJhIjoxfQ==", "PartitionKey": "k1"},
            {"SequenceNumber": "2", "ApproximateArrivalTimestamp": "2024-01-01T00:00:10.000000+00:00",
             "Data": "eyJhIjoxfQ==", "PartitionKey": "k1", "ExplicitHashKey": MAX_HASH.to_string()},
            {"SequenceNumber": "3", "Data": "not base64!", "PartitionKey": "k2"}
        ],
        "NextShardIterator": "AAA", "MillisBehindLatest": 0
    });
    let p = write(
        dir.path(),
        "gr.json",
        &serde_json::to_string_pretty(&doc).unwrap(),
    );
    let r = run_keys(&p, &ShardMap::even(2), &Options::default());
    assert_eq!(r.input.files[0].format, "get-records");
    assert_eq!(r.input.keyed_records, 2);
    assert_eq!(r.bad_lines.count, 1);
    assert_eq!(r.bad_lines.examples[0].at.unit, "element");
    assert_eq!(r.bad_lines.examples[0].at.number, 3);
    // The explicit hash key puts the second record on the last shard whatever md5("k1") is.
    let k1 = ShardMap::even(2).shard_index(shardlint::keyspace::hash_key("k1"));
    if k1 == 0 {
        assert_eq!(r.shards[0].records, 1);
        assert_eq!(r.shards[1].records, 1);
    } else {
        assert_eq!(r.shards[1].records, 2);
    }
    // 7 data bytes + 2 key bytes per record.
    assert_eq!(r.shards.iter().map(|s| s.bytes).sum::<u64>(), 18);
    assert_eq!(r.input.time.span_s, Some(10.0));
}

#[test]
fn sketch_past_the_cap_keeps_hot_keys_and_estimates_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::new();
    for i in 0..100_000u32 {
        writeln!(s, "unique-{i}").unwrap();
        if i % 4 == 0 {
            writeln!(s, "hot-{}", i % 3).unwrap();
        }
    }
    let keys = write(dir.path(), "k.txt", &s);
    let r = run_keys(
        &keys,
        &ShardMap::even(8),
        &Options {
            exact_keys: 4_096,
            top: 3,
            ..Options::default()
        },
    );
    assert_eq!(r.key_counts.method, "space-saving");
    assert!(r.key_counts.max_error <= r.key_counts.error_bound);
    let mut hot: Vec<&str> = r.hot_keys.iter().map(|h| h.key.as_str()).collect();
    hot.sort();
    assert_eq!(hot, vec!["hot-0", "hot-1", "hot-2"]);
    for h in &r.hot_keys {
        let truth = [8334u64, 8333, 8333][h.key[4..].parse::<usize>().unwrap()];
        assert!(h.count >= truth && h.count - h.error <= truth, "{h:?}");
    }
    assert!(!r.distinct_keys.exact);
    let d = r.distinct_keys.count as f64;
    assert!((d - 100_003.0).abs() / 100_003.0 < 0.03, "{d}");
    // Counts per shard stay exact.
    assert_eq!(r.shards.iter().map(|s| s.records).sum::<u64>(), 125_000);
}

#[test]
fn gzip_and_stdin_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.txt.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..1000 {
        writeln!(gz, "k{i}").unwrap();
    }
    std::fs::write(&p, gz.finish().unwrap()).unwrap();
    let r = run_keys(&p, &ShardMap::even(4), &Options::default());
    assert_eq!(r.input.keyed_records, 1000);
    assert_eq!(r.input.files[0].format, "keys");

    let out = shardlint_distribute()
        .args(["--keys", "-", "--shards", "4", "--format", "json"])
        .write_stdin("a\nb\nc\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["input"]["keyed_records"], 3);
}

#[test]
fn json_contract_and_determinism() {
    let dir = tempfile::tempdir().unwrap();
    let samples = write(dir.path(), "env.jsonl", &seed2_envelopes(2_000, 2));
    let args = [
        "--samples",
        samples.to_str().unwrap(),
        "--shards",
        "8",
        "--key-path",
        "$.list[*].vin",
        "--parallelization-factor",
        "2",
        "--rate",
        "100000/s",
        "--top",
        "3",
        "--format",
        "json",
    ];
    let run = || {
        shardlint_distribute()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let a = run();
    assert_eq!(a, run(), "same input, same report");
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    for k in [
        "version",
        "input",
        "shards",
        "skew",
        "hot_keys",
        "distinct_keys",
        "undefined_keys",
        "bad_lines",
        "groups",
        "limits",
    ] {
        assert!(keys.contains(&k), "missing `{k}` in {keys:?}");
    }
    assert_eq!(v["version"], 1);
    let s0 = &v["shards"][0];
    assert_eq!(s0["starting_hash_key"], "0");
    assert!(s0["ending_hash_key"].is_string());
    assert!(s0["records_per_s"].is_number());
    assert_eq!(v["hot_keys"].as_array().unwrap().len(), 3);
    assert_eq!(v["distinct_keys"]["count"], 2000);
    // 100,000 records/s over 8 shards: every shard above 1,000 records/s.
    assert!(
        v["limits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["scope"] == "shard" && l["metric"] == "records_per_s")
    );
    assert_eq!(v["undefined_keys"]["count"], 0);
    // Every message has one vehicle: `$.list[*].vin` matches once.
    assert_eq!(v["multiple_matches"]["count"], 0);
}

#[test]
fn cli_usage_and_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let keys = write(dir.path(), "k.txt", "a\n");
    let keys = keys.to_str().unwrap();
    // Exit 2, with `needle` on stderr.
    let fails = |args: &[&str], needle: &str| {
        shardlint_distribute()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(needle));
    };
    // Exit 0: the report.
    let report = |args: &[&str]| {
        let out = shardlint_distribute().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    fails(
        &["--keys", "/nonexistent/keys.txt", "--shards", "2"],
        "cannot read `/nonexistent/keys.txt`",
    );
    fails(&["--keys", keys], "no shard map");
    // The directory holds no configuration at all, which is said before any rule lookup.
    fails(
        &["--samples", keys, "--shards", "2", "--rule", "r"]
            .into_iter()
            .chain(["--config-path", dir.path().to_str().unwrap()])
            .collect::<Vec<_>>(),
        "no Terraform, CloudFormation/SAM, plan or export file found",
    );
    let payloads = write(dir.path(), "p.jsonl", "{\"a\":1}\n");
    fails(
        &["--samples", payloads.to_str().unwrap(), "--shards", "2"],
        "--partition-key TEMPLATE",
    );
    let text = report(&["--keys", keys, "--shards", "2"]);
    assert!(text.contains("effective shards 1.00 of 2"), "{text}");
    // A key list's line is its own key: a key source given with one would be ignored.
    fails(
        &["--keys", keys, "--shards", "2", "--partition-key", "${vin}"],
        "cannot be used with '--partition-key",
    );
    // Records whose first line is not JSON are read as a key list: said, not keyed by lines.
    let odd = write(dir.path(), "odd.jsonl", "header\n{\"a\":\"x\"}\n");
    let odd = odd.to_str().unwrap();
    fails(
        &["--samples", odd, "--shards", "2", "--key-path", "$.a"],
        "is read as a key list (one key per line), where `--key-path $.a` has no record to read",
    );
    // Near miss: the same lines read as payloads, as `--input-format` says: one record, and the
    // first line a bad one.
    let text = report(&[
        "--samples",
        odd,
        "--shards",
        "2",
        "--key-path",
        "$.a",
        "--input-format",
        "payloads",
    ]);
    assert!(text.starts_with("1 record (1 keyed)"), "{text}");
    assert!(text.contains("bad lines: 1 (skipped)"), "{text}");
    let _ = InputFormat::Auto;
}

/// `shardlint distribute` through the real binary.
fn shardlint_distribute() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("shardlint").unwrap();
    c.arg("distribute");
    c
}

#[test]
fn the_rules_sql_version_decides_the_key_text_of_whole_numbers() {
    // Two rules keyed by the same payload number; SQL V2 reads `10.0` as the Int `10`, V1 keeps
    // the Decimal `10.0` (IoT developer guide, "Data types"). `distribute --rule` uses each
    // rule's version.
    let dir = tempfile::tempdir().unwrap();
    let rule = |name: &str, version: &str| {
        format!(
            "resource \"aws_iot_topic_rule\" \"{name}\" {{\n  name = \"{name}\"\n  enabled = true\n  sql = \"SELECT * FROM 'meters/+'\"\n  sql_version = \"{version}\"\n  kinesis {{\n    stream_name = aws_kinesis_stream.s.name\n    partition_key = \"$${{reading}}\"\n    role_arn = \"arn:aws:iam::123456789012:role/iot\"\n  }}\n}}\n"
        )
    };
    write(
        dir.path(),
        "main.tf",
        &format!(
            "resource \"aws_kinesis_stream\" \"s\" {{\n  name = \"s\"\n  shard_count = 2\n}}\n{}{}",
            rule("v1", "2015-10-08"),
            rule("v2", "2016-03-23")
        ),
    );
    let samples = write(
        dir.path(),
        "samples.jsonl",
        "{\"reading\": 10.0}\n{\"reading\": 10.0}\n{\"reading\": 2.5}\n",
    );
    let keys = |name: &str| -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_shardlint"))
            .args([
                "distribute",
                "--rule",
                name,
                "--format",
                "json",
                "--config-path",
            ])
            .arg(dir.path())
            .arg("--samples")
            .arg(&samples)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        j["hot_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys("v1"), ["10.0", "2.5"]);
    assert_eq!(keys("v2"), ["10", "2.5"]);
}
