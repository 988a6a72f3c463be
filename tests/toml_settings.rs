//! `distribute` and `simulate` honour `shardlint.toml`: for each setting they read (thresholds,
//! group model, stream rate, record distribution), one run where the file's value changes the
//! output and one without it where the default holds.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn run_json(args: &[&str], cwd: &Path) -> Value {
    let out = Command::cargo_bin("shardlint")
        .unwrap()
        .current_dir(cwd)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_text(args: &[&str], cwd: &Path) -> String {
    let out = Command::cargo_bin("shardlint")
        .unwrap()
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// 550 records of one key and 450 distinct keys: the hot key's shard carries about two thirds
/// of 1,000 records on 4 shards, and the key about 80% of its shard.
fn skewed_keys(dir: &Path) -> PathBuf {
    let mut s = "hot\n".repeat(550);
    for i in 0..450 {
        s.push_str(&format!("vehicle-{i}\n"));
    }
    let p = dir.join("keys.txt");
    std::fs::write(&p, s).unwrap();
    p
}

fn toml(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("shardlint.toml");
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn distribute_hot_shard_share() {
    let dir = tempfile::tempdir().unwrap();
    let keys = skewed_keys(dir.path());
    let k = keys.to_str().unwrap();
    let default = run_json(&["distribute", "--keys", k, "--shards", "4"], dir.path());
    assert_eq!(default["hot"]["hot_shard_share"], 0.5);
    let share = default["hot"]["shard"]["share"].as_f64().unwrap();
    assert!((0.6..0.8).contains(&share), "{share}");

    toml(dir.path(), "[thresholds]\nhot-shard-share = 0.9\n");
    let raised = run_json(&["distribute", "--keys", k, "--shards", "4"], dir.path());
    assert_eq!(raised["hot"]["hot_shard_share"], 0.9);
    assert!(raised["hot"]["shard"].is_null(), "{}", raised["hot"]);
}

#[test]
fn distribute_hot_key_share() {
    let dir = tempfile::tempdir().unwrap();
    let keys = skewed_keys(dir.path());
    let k = keys.to_str().unwrap();
    let default = run_json(&["distribute", "--keys", k, "--shards", "4"], dir.path());
    let hot: Vec<&str> = default["hot"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap())
        .collect();
    assert_eq!(hot, ["hot"]);

    let cfg = toml(dir.path(), "[thresholds]\nhot-key-share = 0.95\n");
    // `--config` names the file explicitly; the run's directory is elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let raised = run_json(
        &[
            "distribute",
            "--keys",
            k,
            "--shards",
            "4",
            "--config",
            cfg.to_str().unwrap(),
        ],
        elsewhere.path(),
    );
    assert_eq!(raised["hot"]["keys"], Value::Array(vec![]));
}

#[test]
fn distribute_group_model() {
    let dir = tempfile::tempdir().unwrap();
    let keys = skewed_keys(dir.path());
    let k = keys.to_str().unwrap();
    let args = [
        "distribute",
        "--keys",
        k,
        "--shards",
        "2",
        "--parallelization-factor",
        "3",
    ];
    let default = run_json(&args, dir.path());
    assert_eq!(default["input"]["group_model"], "first-seen-round-robin");
    toml(
        dir.path(),
        "[parallelization]\ngroup-model = \"hash-mod\"\n",
    );
    let hashed = run_json(&args, dir.path());
    assert_eq!(hashed["input"]["group_model"], "hash-mod");
    assert_ne!(default["groups"], hashed["groups"]);
    // The flag wins over the file.
    let mut flagged = args.to_vec();
    flagged.extend(["--group-model", "first-seen-round-robin"]);
    assert_eq!(run_json(&flagged, dir.path())["groups"], default["groups"]);
}

#[test]
fn distribute_stream_rate_of_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let keys = skewed_keys(dir.path());
    let k = keys.to_str().unwrap();
    let with = fixture("config-stream-rate");
    let args = ["distribute", "--rule", "location_to_kinesis", "--keys", k];
    let v = run_json(&args, &with);
    assert_eq!(v["input"]["time"]["source"], "rate");
    assert_eq!(v["input"]["time"]["records_per_s"], 8000.0);
    assert!(
        v["rate_from"]
            .as_str()
            .unwrap()
            .contains("[streams.\"location-stream\"]")
    );
    let text = run_text(&args, &with);
    assert!(
        text.contains("rate 8,000 records/s (records-per-second of [streams.\"location-stream\"] in shardlint.toml)"),
        "{text}"
    );

    // The same configuration without the file: no rate.
    let without = tempfile::tempdir().unwrap();
    std::fs::copy(with.join("main.tf"), without.path().join("main.tf")).unwrap();
    let v = run_json(&args, without.path());
    assert_eq!(v["input"]["time"]["source"], "none");
    assert!(v.get("rate_from").is_none());
}

#[test]
fn distribute_states_the_auto_assumption() {
    let dir = fixture("config-record-distribution");
    let keys = tempfile::tempdir().unwrap();
    let k = skewed_keys(keys.path());
    let k = k.to_str().unwrap();
    let auto = run_json(
        &[
            "distribute",
            "--rule",
            "to_auto",
            "--keys",
            k,
            "--shards",
            "4",
        ],
        &dir,
    );
    let notes = auto["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .starts_with("stream `auto-stream` uses RecordDistributionStrategy AUTO")
    );
    let keyed = run_json(&["distribute", "--rule", "to_keyed", "--keys", k], &dir);
    assert!(keyed.get("notes").is_none(), "{}", keyed["notes"]);
}

const SIM: [&str; 7] = [
    "simulate",
    "--keys",
    "6",
    "--records-per-key",
    "20",
    "--record-time",
    "20ms",
];

#[test]
fn simulate_group_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = SIM.to_vec();
    args.extend(["--shards", "1", "--parallelization-factor", "4"]);
    let default = run_json(&args, dir.path());
    assert_eq!(default["settings"]["group_model"], "first-seen-round-robin");
    toml(
        dir.path(),
        "[parallelization]\ngroup-model = \"hash-mod\"\n",
    );
    let hashed = run_json(&args, dir.path());
    assert_eq!(hashed["settings"]["group_model"], "hash-mod");
    let keys_of = |v: &Value| -> Vec<Value> {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["keys"].clone())
            .collect()
    };
    assert_ne!(keys_of(&default), keys_of(&hashed));
}

#[test]
fn simulate_stream_rate_of_the_mapping() {
    let with = fixture("config-stream-rate");
    let mut args = SIM.to_vec();
    args.extend(["--mapping", "aws_lambda_event_source_mapping.writer"]);
    let v = run_json(&args, &with);
    let arrivals = &v["settings"]["arrivals"];
    // 6 keys at 8,000 records/s: a round every 750 µs.
    assert_eq!(arrivals["interval_us"], 750);
    assert!(
        arrivals["interval_from"]
            .as_str()
            .unwrap()
            .contains("[streams.\"location-stream\"]")
    );
    let text = run_text(&args, &with);
    assert!(
        text.contains("arrivals: 6 keys × 20 records every 0.75ms (8,000 records/s"),
        "{text}"
    );

    // An explicit `--interval` wins; without the file the default is 1 s.
    let mut flagged = args.clone();
    flagged.extend(["--interval", "2s"]);
    let v = run_json(&flagged, &with);
    assert_eq!(v["settings"]["arrivals"]["interval_us"], 2_000_000);
    assert!(v["settings"]["arrivals"].get("interval_from").is_none());
    let without = tempfile::tempdir().unwrap();
    std::fs::copy(with.join("main.tf"), without.path().join("main.tf")).unwrap();
    let v = run_json(&args, without.path());
    assert_eq!(v["settings"]["arrivals"]["interval_us"], 1_000_000);
}

#[test]
fn simulate_states_the_auto_assumption_and_an_unknown_shard_count() {
    let dir = fixture("config-record-distribution");
    let mut args = SIM.to_vec();
    args.extend(["--mapping", "aws_lambda_event_source_mapping.auto_window"]);
    let v = run_json(&args, &dir);
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("stream `auto-stream` uses RecordDistributionStrategy AUTO"));
    assert!(notes[1].starts_with("the shard count of the mapping's stream is not known"));

    let mut keyed = SIM.to_vec();
    keyed.extend(["--mapping", "aws_lambda_event_source_mapping.keyed_window"]);
    let v = run_json(&keyed, &dir);
    assert!(v.get("notes").is_none(), "{}", v["notes"]);
}
