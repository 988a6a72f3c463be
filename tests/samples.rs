//! `check --samples` end to end, on the seeds: samples are generated here (never committed),
//! the binary runs as a user runs it, and the findings carry the seeds' numbers.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shardlint() -> Command {
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

/// Seed 2's load test: `vehicles` vehicles `TEST-100001`.., one message each, in MQTT envelopes
/// on `vehicles/<vin>/location`, payload shaped as the seed shows it.
fn seed2_samples(dir: &Path, vehicles: u32) -> PathBuf {
    let path = dir.join("samples.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..vehicles {
        let vin = format!("TEST-{}", 100_001 + i);
        let lat = 35.0 + (i % 1000) as f64 / 1000.0;
        let lon = 139.0 + (i % 997) as f64 / 997.0;
        writeln!(
            w,
            r#"{{"topic":"vehicles/{vin}/location","clientid":"{vin}","timestamp":{ts},"payload":{{"list":[{{"vin":"{vin}","timestamp":"2022-11-01T10:10:00+09:00","lat":{lat:.6},"lon":{lon:.6}}}]}}}}"#,
            ts = 1_667_264_400_000u64 + (i as u64 % 60_000)
        )
        .unwrap();
    }
    path
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn seed2_hot_shard_uuid_spread_and_undefined_vin() {
    let dir = tempfile::tempdir().unwrap();
    let samples = seed2_samples(dir.path(), 100_000);
    let out = shardlint()
        .args([
            "check",
            "fixtures/samples-seed-hot-shard",
            "--format",
            "json",
            "--samples",
        ])
        .arg(&samples)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    assert_eq!(
        v["errors"].as_array().unwrap().len(),
        0,
        "{:#}",
        v["errors"]
    );
    let findings = v["findings"].as_array().unwrap();
    let of = |code: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["code"] == code).collect()
    };

    // `vin` (a literal): every record on one shard of 8.
    let hot = of("SL401");
    assert_eq!(hot.len(), 1, "{hot:#?}");
    let msg = hot[0]["message"].as_str().unwrap();
    assert!(
        hot[0]["path"]
            .as_str()
            .unwrap()
            .starts_with("aws_iot_topic_rule.by_literal")
    );
    assert!(
        msg.starts_with("`100.0%` of `100,000` sampled records go to `shardId-000000000003`"),
        "{msg}"
    );
    assert!(msg.contains("effective shards `1.0`"), "{msg}");

    // `${vin}`: Undefined on every sample; the help reaches the field.
    let undef = of("SL404");
    assert_eq!(undef.len(), 1);
    assert!(
        undef[0]["path"]
            .as_str()
            .unwrap()
            .starts_with("aws_iot_topic_rule.by_field")
    );
    assert!(
        undef[0]["message"]
            .as_str()
            .unwrap()
            .contains("`100.0%` of `100,000`")
    );
    assert!(
        undef[0]["help"]
            .as_str()
            .unwrap()
            .contains("get(get(list, 0), 'vin')"),
        "{}",
        undef[0]["help"]
    );

    // `${newuuid()}`: no hot shard; about 12.5% per shard.
    assert!(
        of("SL401")
            .iter()
            .all(|f| !f["path"].as_str().unwrap().contains("by_uuid"))
    );
    let out = shardlint()
        .args([
            "distribute",
            "--shards",
            "8",
            "--partition-key",
            "${newuuid()}",
            "--format",
            "json",
            "--samples",
        ])
        .arg(&samples)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let d = json(&out);
    for shard in d["shards"].as_array().unwrap() {
        let share = shard["share"].as_f64().unwrap();
        assert!((share - 0.125).abs() < 0.01, "{share}");
    }
    assert!(d["skew"]["effective_shards"].as_f64().unwrap() > 7.9);
}

#[test]
fn seed2_constant_key_distribution_names_one_shard() {
    let dir = tempfile::tempdir().unwrap();
    let samples = seed2_samples(dir.path(), 2_000);
    let out = shardlint()
        .args([
            "distribute",
            "--shards",
            "8",
            "--partition-key",
            "vin",
            "--format",
            "json",
            "--samples",
        ])
        .arg(&samples)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let d = json(&out);
    assert_eq!(d["skew"]["hottest_shard"], "shardId-000000000003");
    assert_eq!(d["skew"]["effective_shards"].as_f64(), Some(1.0));
}

#[test]
fn samples_route_by_topic_filter() {
    let dir = tempfile::tempdir().unwrap();
    let samples = seed2_samples(dir.path(), 500);
    // A config whose rule reads another topic gets none of these samples: nothing routed there.
    let cfg = dir.path().join("main.tf");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples-seed-hot-shard/main.tf"),
        )
        .unwrap()
        .replace("vehicles/+/location", "trucks/+/location"),
    )
    .unwrap();
    let out = shardlint()
        .args(["check", "--format", "json", "--samples"])
        .arg(&samples)
        .arg("--")
        .arg(dir.path())
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.contains(&"SL401") && !codes.contains(&"SL404"),
        "{codes:?}"
    );
    // `--rule` routes them anyway.
    let out = shardlint()
        .args([
            "check",
            "--format",
            "json",
            "--rule",
            "by_field",
            "--samples",
        ])
        .arg(&samples)
        .arg("--")
        .arg(dir.path())
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"SL404") && !codes.contains(&"SL401"),
        "{codes:?}"
    );
}

#[test]
fn bad_sample_lines_are_reported_with_line_numbers_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = seed2_samples(dir.path(), 100);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(f, "{{not json").unwrap();
    let out = shardlint()
        .args([
            "check",
            "fixtures/samples-seed-hot-shard",
            "--format",
            "json",
            "--samples",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    let e = v["errors"][0]["message"].as_str().unwrap();
    assert!(e.contains("line 101"), "{e}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "SL401")
    );
}

#[test]
fn consumer_that_cannot_keep_up_gets_a_recommendation() {
    // Seed 1's consumer: one shard, keys 1..5 at one record per key per second, 3 s per record.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
resource "aws_kinesis_stream" "s" {
  name        = "seed1"
  shard_count = 1
}
resource "aws_iot_topic_rule" "r" {
  name        = "r"
  enabled     = true
  sql         = "SELECT * FROM 'seed1/+'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "$${topic(2)}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn               = aws_kinesis_stream.s.arn
  function_name                  = "consumer"
  starting_position              = "TRIM_HORIZON"
  maximum_retry_attempts         = 3
  bisect_batch_on_function_error = true
  destination_config {
    on_failure {
      destination_arn = "arn:aws:sqs:us-east-1:123456789012:dlq"
    }
  }
}
"#,
    )
    .unwrap();
    let samples = dir.path().join("samples.jsonl");
    let mut w = std::fs::File::create(&samples).unwrap();
    for second in 0..30u64 {
        for key in 1..=5 {
            writeln!(
                w,
                r#"{{"topic":"seed1/{key}","timestamp":{},"payload":{{"n":{second}}}}}"#,
                1_600_000_000_000u64 + second * 1000
            )
            .unwrap();
        }
    }
    drop(w);
    let run = |record_time: &str| {
        let out = shardlint()
            .args([
                "check",
                "--format",
                "json",
                "--record-time",
                record_time,
                "--samples",
            ])
            .arg(&samples)
            .arg("--")
            .arg(dir.path())
            .output()
            .unwrap();
        json(&out.stdout)
    };
    let sl405 = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "SL405")
            .cloned()
            .collect()
    };
    // 300 ms a record: 5 keys × 0.3 s/s overload one group; three groups keep up.
    let f = sl405(&run("300ms"));
    assert_eq!(f.len(), 1);
    assert!(
        f[0]["help"]
            .as_str()
            .unwrap()
            .contains("`parallelization_factor` to `3`"),
        "{}",
        f[0]["help"]
    );
    // Seed 1's 3 s a record: one key alone needs 3 s per second; no setting helps.
    let f = sl405(&run("3s"));
    assert_eq!(f.len(), 1);
    assert!(
        f[0]["help"]
            .as_str()
            .unwrap()
            .contains("no mapping setting keeps up"),
        "{}",
        f[0]["help"]
    );
    // A fast consumer keeps up: quiet.
    let v = run("10ms");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "SL405")
    );
}

#[test]
fn distribute_takes_key_and_shard_map_from_a_rule() {
    let dir = tempfile::tempdir().unwrap();
    let samples = seed2_samples(dir.path(), 1_000);
    let out = shardlint()
        .args([
            "distribute",
            "--rule",
            "by_literal",
            "--config-path",
            "fixtures/samples-seed-hot-shard",
            "--format",
            "json",
            "--samples",
        ])
        .arg(&samples)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let d = json(&out);
    assert_eq!(
        d["input"]["open_shards"], 8,
        "the stream's 8 shards, not a flag"
    );
    assert_eq!(d["skew"]["hottest_shard"], "shardId-000000000003");
    assert_eq!(d["skew"]["effective_shards"].as_f64(), Some(1.0));
    shardlint()
        .args([
            "distribute",
            "--rule",
            "nope",
            "--config-path",
            "fixtures/samples-seed-hot-shard",
            "--samples",
        ])
        .arg(&samples)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no IoT rule `nope`"));
}

/// Two IoT rules on two streams, for samples that do not say which stream they came from.
const TWO_STREAMS: &str = r#"
resource "aws_kinesis_stream" "a" {
  name        = "stream-a"
  shard_count = 4
}
resource "aws_kinesis_stream" "b" {
  name        = "stream-b"
  shard_count = 2
}
resource "aws_iot_topic_rule" "ra" {
  name        = "rule_a"
  enabled     = true
  sql         = "SELECT * FROM 'vehicles/+/a'"
  sql_version = "2016-03-23"
  kinesis {
    role_arn      = "arn:aws:iam::123456789012:role/iot"
    stream_name   = aws_kinesis_stream.a.name
    partition_key = "$${vin}"
  }
}
resource "aws_iot_topic_rule" "rb" {
  name        = "rule_b"
  enabled     = true
  sql         = "SELECT * FROM 'vehicles/+/b'"
  sql_version = "2016-03-23"
  kinesis {
    role_arn      = "arn:aws:iam::123456789012:role/iot"
    stream_name   = aws_kinesis_stream.b.name
    partition_key = "$${vin}"
  }
}
"#;

#[test]
fn get_records_output_is_counted_on_one_stream_only_when_the_samples_say_which() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), TWO_STREAMS).unwrap();
    // 2,000 records read back from one stream, all with one key.
    let records: Vec<serde_json::Value> = (0..2000)
        .map(|i| {
            serde_json::json!({
                "SequenceNumber": i.to_string(),
                "ApproximateArrivalTimestamp": 1_667_264_400.0 + i as f64 / 1000.0,
                "Data": "eyJ2aW4iOiJWMSJ9",
                "PartitionKey": "V1",
            })
        })
        .collect();
    let gr = dir.path().join("gr.json");
    std::fs::write(
        &gr,
        serde_json::json!({"Records": records, "NextShardIterator": "x"}).to_string(),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = shardlint()
            .args(["check", dir.path().to_str().unwrap(), "--format", "json"])
            .args(["--no-progress", "--samples", gr.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap();
        (out.status.code(), json(&out.stdout))
    };
    let hot_streams = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "SL401")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    // Without `--rule`: an input error naming both streams, and no stream counts the records.
    let (code, v) = run(&[]);
    assert_eq!(code, Some(2), "{v:#}");
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("which does not name its stream, and the samples go to 2 streams (`stream-a`, `stream-b`)"),
        "{errors}"
    );
    assert!(hot_streams(&v).is_empty(), "{v:#}");
    // Near miss: `--rule rule_b` says which: counted there, on stream-b alone.
    let (code, v) = run(&["--rule", "rule_b"]);
    assert_eq!(code, Some(1), "{v:#}");
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v:#}");
    let hot = hot_streams(&v);
    assert_eq!(hot.len(), 1, "{hot:?}");
    assert!(hot[0].contains("of `stream-b`"), "{hot:?}");
}
