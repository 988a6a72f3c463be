//! Every command agrees on the same input: each divergence issue 9 found between `check
//! --samples`, `distribute` and `simulate` (placement with `ExplicitHashKey`, timestamps, shard-map
//! validation, key → shard → ordering-group routing, passes over a sample file) is fed here to
//! all of them, and their answers are compared. `check` runs through the library (its report
//! keeps the per-action distributions); `distribute` and `simulate` run as the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine as _;
use serde_json::{Value, json};
use shardlint::keyspace::{ShardMap, place};
use shardlint::load::LoadOptions;
use shardlint::samples::SampleOptions;

fn bin() -> Command {
    Command::cargo_bin("shardlint").unwrap()
}

/// A Terraform stream of `shards` shards, one IoT rule per template reading `topic`, and a
/// mapping with `factor`.
fn config(dir: &Path, shards: u32, topic: &str, templates: &[&str], factor: u32) {
    let mut tf = format!(
        "resource \"aws_kinesis_stream\" \"s\" {{\n  name        = \"s\"\n  shard_count = {shards}\n}}\n\n"
    );
    for (i, t) in templates.iter().enumerate() {
        tf.push_str(&format!(
            r#"resource "aws_iot_topic_rule" "r{i}" {{
  name        = "r{i}"
  enabled     = true
  sql         = "SELECT * FROM '{topic}'"
  sql_version = "2016-03-23"
  kinesis {{
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "{t}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }}
}}

"#,
            t = t.replace("${", "$${")
        ));
    }
    tf.push_str(&format!(
        r#"resource "aws_lambda_event_source_mapping" "m" {{
  event_source_arn       = aws_kinesis_stream.s.arn
  function_name          = "consumer"
  starting_position      = "TRIM_HORIZON"
  parallelization_factor = {factor}
}}
"#
    ));
    std::fs::write(dir.join("main.tf"), tf).unwrap();
}

/// `aws kinesis get-records` output; each record's `Data` is `{"k": key}`, so the template
/// `${k}` forms the same key `PartitionKey` gives.
fn get_records(path: &Path, records: &[(&str, Value, Option<&str>)]) {
    let recs: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(i, (key, ts, explicit))| {
            let data =
                base64::engine::general_purpose::STANDARD.encode(json!({"k": key}).to_string());
            let mut r = json!({
                "SequenceNumber": (i + 1).to_string(),
                "ApproximateArrivalTimestamp": ts,
                "Data": data,
                "PartitionKey": key,
            });
            if let Some(e) = explicit {
                r["ExplicitHashKey"] = json!(e);
            }
            r
        })
        .collect();
    std::fs::write(path, json!({"Records": recs}).to_string()).unwrap();
}

/// `check DIR --samples FILE` through the library.
fn check(dir: &Path, samples: &Path) -> shardlint::Report {
    let config = shardlint::config::Config::default();
    let opts = SampleOptions {
        files: vec![samples.to_path_buf()],
        ..SampleOptions::default()
    };
    shardlint::check_with_samples(
        &[dir.to_path_buf()],
        &config,
        &LoadOptions::default(),
        &opts,
    )
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

/// Records per shard id in a distribution report.
fn distribution_shards(report: &Value) -> BTreeMap<String, u64> {
    report["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["shard_id"].as_str().unwrap().to_string(),
                s["records"].as_u64().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Records per shard id in a simulation report.
fn simulation_shards(report: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        *out.entry(g["shard"].as_str().unwrap().to_string())
            .or_insert(0) += g["records"].as_u64().unwrap();
    }
    out
}

fn distribute_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("distribute")
        .args(args)
        .args(["--format", "json", "--no-progress"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

fn simulate_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("simulate")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn explicit_hash_key_places_the_record_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let map = ShardMap::even(2);
    // A key whose MD5 lands on shard 1, so an ignored `ExplicitHashKey "0"` would show.
    let key = (0..)
        .map(|i| format!("dev-{i}"))
        .find(|k| place(&map, k, None) == 1)
        .unwrap();
    let samples = dir.path().join("records.json");
    let ts = |s: f64| json!(1_700_000_000.0 + s);
    get_records(
        &samples,
        &[
            (&key, ts(0.0), Some("0")),
            (&key, ts(1.0), Some("0")),
            (&key, ts(2.0), Some("0")),
            (&key, ts(3.0), None),
        ],
    );
    let expected: BTreeMap<String, u64> = [
        ("shardId-000000000000".to_string(), 3),
        ("shardId-000000000001".to_string(), 1),
    ]
    .into();

    let d = distribute_json(&["--samples", s(&samples), "--shards", "2"]);
    assert_eq!(distribution_shards(&d), expected, "distribute");

    let sim = simulate_json(&["--samples", s(&samples), "--shards", "2"]);
    assert_eq!(simulation_shards(&sim), expected, "simulate");

    config(dir.path(), 2, "t/+", &["${k}"], 1);
    let report = check(dir.path(), &samples);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.samples.len(), 1);
    let c = json_of(report.samples[0].report.to_json().as_bytes());
    assert_eq!(distribution_shards(&c), expected, "check --samples");
}

#[test]
fn timestamps_are_accepted_or_rejected_alike() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), 1, "t/+", &["${k}"], 1);

    // A number in a string and a number: both accepted, 1.0 s apart, by every command.
    let good = dir.path().join("good.json");
    get_records(
        &good,
        &[
            ("a", json!("1700000000.5"), None),
            ("a", json!(1_700_000_001.5), None),
        ],
    );
    let d = distribute_json(&["--samples", s(&good), "--shards", "1"]);
    assert_eq!(d["bad_lines"]["count"], 0);
    assert_eq!(d["input"]["time"]["span_s"], json!(1.0));
    let sim = simulate_json(&["--samples", s(&good), "--shards", "1"]);
    assert_eq!(sim["records"], 2);
    let report = check(dir.path(), &good);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let c = json_of(report.samples[0].report.to_json().as_bytes());
    assert_eq!(c["input"]["time"]["span_s"], json!(1.0));

    // A date that does not exist: rejected by every command, which names the record.
    let bad = dir.path().join("bad.json");
    get_records(
        &bad,
        &[
            ("a", json!("2022-13-45T99:99:99Z"), None),
            ("a", json!(1_700_000_001.5), None),
        ],
    );
    let why = "`2022-13-45T99:99:99Z` is not a timestamp";
    let d = distribute_json(&["--samples", s(&bad), "--shards", "1"]);
    assert_eq!(d["bad_lines"]["count"], 1);
    assert!(
        d["bad_lines"]["examples"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(why),
        "{d}"
    );
    let out = bin()
        .args(["simulate", "--samples", s(&bad), "--shards", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(why) && err.contains("element 1"), "{err}");
    let report = check(dir.path(), &bad);
    assert_eq!(report.exit_code(), 2);
    assert!(
        report.errors.iter().any(|e| e.message.contains(why)),
        "{:?}",
        report.errors
    );
}

/// A `list-shards` export in `dir/s.list-shards.json`.
fn shard_export(dir: &Path, start: &str, next_token: bool) -> PathBuf {
    let mut doc = json!({"Shards": [
        {"ShardId": "shardId-000000000000",
         "HashKeyRange": {"StartingHashKey": start, "EndingHashKey": (u128::MAX / 2).to_string()},
         "SequenceNumberRange": {"StartingSequenceNumber": "1"}},
        {"ShardId": "shardId-000000000001",
         "HashKeyRange": {"StartingHashKey": (u128::MAX / 2 + 1).to_string(), "EndingHashKey": u128::MAX.to_string()},
         "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
    ]});
    if next_token {
        doc["NextToken"] = json!("AAAA");
    }
    let p = dir.join("s.list-shards.json");
    std::fs::write(&p, doc.to_string()).unwrap();
    p
}

/// The exit code and stderr of `distribute` and `simulate` given `--shard-map map`.
fn with_shard_map(map: &Path, keys: &Path) -> Vec<(Option<i32>, String)> {
    let d = bin()
        .args([
            "distribute",
            "--no-progress",
            "--keys",
            s(keys),
            "--shard-map",
            s(map),
        ])
        .output()
        .unwrap();
    let sim = bin()
        .args([
            "simulate",
            "--keys",
            "3",
            "--records-per-key",
            "1",
            "--shard-map",
            s(map),
        ])
        .output()
        .unwrap();
    [d, sim]
        .into_iter()
        .map(|o| {
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .collect()
}

#[test]
fn shard_maps_are_validated_alike_by_check_and_shard_map_flags() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, "a\nb\n").unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    let check_export = |dir: &Path| {
        shardlint::check(
            &[dir.to_path_buf()],
            &shardlint::config::Config::default(),
            &LoadOptions::default(),
        )
    };

    // `+0` is not a hash key (and the listing is partial): an input error everywhere.
    let map = shard_export(&exports, "+0", true);
    let report = check_export(&exports);
    assert_eq!(report.exit_code(), 2);
    let why = "`StartingHashKey` `+0` of shard `shardId-000000000000` is not a decimal integer";
    assert!(
        report.errors.iter().any(|e| e.message == why),
        "{:?}",
        report.errors
    );
    for (code, err) in with_shard_map(&map, &keys) {
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(why) && err.contains("s.list-shards.json:1:"),
            "{err}"
        );
    }

    // Valid keys but `NextToken` set: part of a listing is no shard map for anyone.
    let map = shard_export(&exports, "0", true);
    let report = check_export(&exports);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.analysis.shard_maps[0].map().is_none());
    for (code, err) in with_shard_map(&map, &keys) {
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("`NextToken` is set"), "{err}");
    }

    // The whole listing: the same two open shards for everyone.
    let map = shard_export(&exports, "0", false);
    let report = check_export(&exports);
    assert_eq!(
        report.analysis.shard_maps[0].map().map(ShardMap::len),
        Some(2)
    );
    let d = distribute_json(&["--keys", s(&keys), "--shard-map", s(&map)]);
    assert_eq!(d["input"]["open_shards"], 2);
    let sim = simulate_json(&[
        "--keys",
        "3",
        "--records-per-key",
        "1",
        "--shard-map",
        s(&map),
    ]);
    assert_eq!(sim["shards"], 2);
}

/// key → (shard id, group) from a distribution report's group listing.
fn distribution_routes(report: &Value) -> BTreeMap<String, (String, u64)> {
    let mut out = BTreeMap::new();
    for sg in report["groups"].as_array().unwrap() {
        for g in sg["groups"].as_array().unwrap() {
            assert!(
                g["keys"].as_u64().unwrap() <= 5,
                "a group lists at most 5 keys"
            );
            for k in g["top_keys"].as_array().unwrap() {
                out.insert(
                    k["key"].as_str().unwrap().to_string(),
                    (
                        sg["shard_id"].as_str().unwrap().to_string(),
                        g["group"].as_u64().unwrap(),
                    ),
                );
            }
        }
    }
    out
}

/// key → (shard id, group) from a simulation report.
fn simulation_routes(report: &Value) -> BTreeMap<String, (String, u64)> {
    let mut out = BTreeMap::new();
    for g in report["groups"].as_array().unwrap() {
        for k in g["keys"].as_array().unwrap() {
            out.insert(
                k.as_str().unwrap().to_string(),
                (
                    g["shard"].as_str().unwrap().to_string(),
                    g["group"].as_u64().unwrap(),
                ),
            );
        }
    }
    out
}

#[test]
fn keys_reach_the_same_shard_and_ordering_group_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    // At most 5 keys per group, so that the distribution's group listing is complete.
    let n = 12;
    // Keys `1`..`12` in this order, as `simulate --keys 12` generates them.
    let keys = dir.path().join("keys.txt");
    let list: String = (1..=n).map(|i| format!("{i}\n")).collect();
    std::fs::write(&keys, list).unwrap();
    let envelopes = dir.path().join("envelopes.jsonl");
    let lines: String = (1..=n)
        .map(|i| {
            json!({"topic": format!("seed/{i}"), "timestamp": 1_600_000_000_000u64, "payload": {"n": i}})
                .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&envelopes, lines).unwrap();

    for (shards, factor) in [(1, 3), (4, 2)] {
        let (sh, f) = (shards.to_string(), factor.to_string());
        let d = distribute_json(&[
            "--keys",
            s(&keys),
            "--shards",
            &sh,
            "--parallelization-factor",
            &f,
        ]);
        let from_distribute = distribution_routes(&d);
        let sim = simulate_json(&[
            "--keys",
            &n.to_string(),
            "--records-per-key",
            "1",
            "--shards",
            &sh,
            "--parallelization-factor",
            &f,
        ]);
        let from_simulate = simulation_routes(&sim);
        let case = tempfile::tempdir().unwrap();
        config(case.path(), shards, "seed/+", &["${topic(2)}"], factor);
        let report = check(case.path(), &envelopes);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let c = json_of(report.samples[0].report.to_json().as_bytes());
        let from_check = distribution_routes(&c);

        assert_eq!(from_distribute.len(), n, "{shards} shards: {d}");
        assert_eq!(from_distribute, from_simulate, "{shards} shards × {factor}");
        assert_eq!(from_distribute, from_check, "{shards} shards × {factor}");
        if shards == 1 {
            // Seed 1: keys sent in order with factor 3 formed {1,4}, {2,5}, {3}.
            assert_eq!(from_simulate["1"].1, from_simulate["4"].1);
            assert_eq!(from_simulate["2"].1, from_simulate["5"].1);
            assert_ne!(from_simulate["3"].1, from_simulate["1"].1);
        }
    }
}

#[test]
fn check_samples_reads_each_sample_file_once_for_all_its_producers() {
    let dir = tempfile::tempdir().unwrap();
    config(
        dir.path(),
        4,
        "vehicles/+/location",
        &[
            "${vin}",
            "${topic(2)}",
            "${newuuid()}",
            "fleet-${vin}",
            "${clientid()}",
        ],
        1,
    );
    let samples = dir.path().join("samples.jsonl");
    let lines: String = (0..200)
        .map(|i| {
            json!({"topic": format!("vehicles/v{i}/location"), "clientid": format!("c{}", i % 7),
                   "timestamp": 1_600_000_000_000u64 + i, "payload": {"vin": format!("v{i}")}})
            .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&samples, lines).unwrap();
    assert_eq!(shardlint::records::passes(&samples), 0);
    let report = check(dir.path(), &samples);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.samples.len(), 5, "one distribution per producer");
    for a in &report.samples {
        let r = json_of(a.report.to_json().as_bytes());
        assert_eq!(r["input"]["records"], 200);
    }
    assert_eq!(
        shardlint::records::passes(&samples),
        1,
        "the records layer read the sample file once for 5 producers"
    );
}
