//! End-to-end runs of `shardlint simulate` through the binary.

use assert_cmd::Command;
use predicates::prelude::*;

fn cmd() -> Command {
    {
        let mut c = Command::cargo_bin("shardlint").unwrap();
        c.arg("simulate");
        c
    }
}

const SEED1: [&str; 6] = [
    "--keys",
    "5",
    "--records-per-key",
    "30",
    "--record-time",
    "3s",
];

#[test]
fn json_report_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    let out = cmd()
        .args(SEED1)
        .args([
            "--parallelization-factor",
            "3",
            "--format",
            "json",
            "--timeline",
        ])
        .arg(&csv)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["version"], 1);
    for k in [
        "drain_seconds",
        "max_iterator_age_seconds",
        "invocations",
        "groups",
        "destination_records",
        "dropped_records",
        "blocked_seconds",
    ] {
        assert!(v.get(k).is_some(), "{k}");
    }
    assert_eq!(v["invocations"].as_array().unwrap().len(), 10);
    let t = std::fs::read_to_string(&csv).unwrap();
    assert!(t.starts_with("start_s,end_s,shard,group,records,"));
    assert_eq!(t.lines().count(), 11);
}

#[test]
fn text_report_and_max_lag_exit_code() {
    cmd()
        .args(SEED1)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "150 records on 1 shard drained in 451.0s",
        ));
    cmd()
        .args(SEED1)
        .args(["--max-lag", "60s"])
        .assert()
        .code(1);
    cmd()
        .args(SEED1)
        .args(["--max-lag", "100s", "--recommend"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "recommended: ParallelizationFactor 5 with BatchSize 10",
        ));
}

#[test]
fn bad_flags_exit_2_with_backticked_values() {
    cmd()
        .args(SEED1)
        .args(["--batch-size", "20000"])
        .assert()
        .code(2)
        .stderr("error: `--batch-size 20000` is outside BatchSize's range `1..10000`\n");
    cmd()
        .args(["--keys", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no arrivals"));
}

#[test]
fn shard_map_export_routes_keys_to_open_shards_only() {
    let out = cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--shard-map",
            "fixtures/export-resharded/location-stream.describe-stream.json",
            "--keys",
            "50",
            "--records-per-key",
            "4",
            "--record-time",
            "10ms",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["records"], 200);
    let shards: std::collections::BTreeSet<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["shard"].as_str().unwrap())
        .collect();
    // 3 of the 7 shards in the export are closed: keys go to the 4 open ones only.
    assert!(shards.len() <= 4 && shards.len() >= 3, "{shards:?}");
    for closed in [
        "shardId-000000000000",
        "shardId-000000000002",
        "shardId-000000000003",
    ] {
        assert!(!shards.contains(closed), "{closed} is closed");
    }
}

#[test]
fn mapping_settings_come_from_the_configuration() {
    // The fixture's mapping: bisect on, 3 retries, an SQS destination, 8-shard stream.
    let out = cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--mapping",
            "aws_lambda_event_source_mapping.writer",
            "--config-path",
            "fixtures/samples-seed-hot-shard",
        ])
        .args(SEED1)
        .args(["--poison", "1:5", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["destination_records"], 1,
        "bisect isolates the poison record for the destination"
    );
    assert_eq!(v["shards"], 8);
    // The seed's own mapping has BatchSize 100000: said, not simulated.
    cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "--mapping",
            "location_writer",
            "--config-path",
            "fixtures/tf-seed-hot-shard",
        ])
        .args(SEED1)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`100000`, outside BatchSize's range",
        ));
    // Mapping flags conflict with --mapping.
    cmd()
        .args(["--mapping", "x", "--batch-size", "10"])
        .args(SEED1)
        .assert()
        .code(2);
}
