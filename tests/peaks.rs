//! Per-second peaks from sample timestamps: a 0.5 s burst at three times the shard limit inside a
//! quiet minute is reported with its second by `check --samples` (SL401) and by `distribute`
//! (text and JSON), though its mean is about 45 records/s; the same records spread over the
//! minute, and a burst that stays under 1,000 records in every second, are quiet. The samples are
//! generated here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use shardlint::load::LoadOptions;

/// 2020-09-13T12:26:40Z: a whole second, so window starts print as `…:40.000Z`, `…:40.500Z`.
const T0: u64 = 1_600_000_000_000;

const TF: &str = r#"resource "aws_kinesis_stream" "s" {
  name        = "telemetry"
  shard_count = 1
}

resource "aws_iot_topic_rule" "r" {
  name        = "telemetry"
  enabled     = true
  sql         = "SELECT * FROM 'fleet/+/telemetry'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "$${vin}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }
}
"#;

/// `(offset ms, vehicle)` records as MQTT envelopes, in time order.
fn envelopes(mut recs: Vec<(u64, u32)>) -> String {
    recs.sort();
    let mut s = String::new();
    for (t, v) in recs {
        let _ = writeln!(
            s,
            r#"{{"topic":"fleet/v{v}/telemetry","timestamp":{},"payload":{{"vin":"V{v:03}","speed":{}}}}}"#,
            T0 + t,
            t % 90
        );
    }
    s
}

/// A quiet minute: 40 vehicles, one record each every 2 s (20 records/s, 1,200 records).
fn background() -> Vec<(u64, u32)> {
    (0..30u64)
        .flat_map(|round| (0..40u32).map(move |v| (round * 2000 + u64::from(v) * 50, v)))
        .collect()
}

/// `n` records evenly over `[start, start + 500 ms)`, from the 40 vehicles in turn.
fn burst(start: u64, n: u64) -> Vec<(u64, u32)> {
    (0..n)
        .map(|i| (start + i * 500 / n, (i % 40) as u32))
        .collect()
}

struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str, samples: &str) -> Case {
        let dir =
            std::env::temp_dir().join(format!("shardlint-peaks-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), TF).unwrap();
        std::fs::write(dir.join("samples.jsonl"), samples).unwrap();
        Case { dir }
    }

    fn check(&self) -> Vec<(String, String)> {
        let paths = [self.dir.join("main.tf")];
        let config = shardlint::config_file::resolve(None, &paths).unwrap();
        let opts = shardlint::samples::SampleOptions {
            files: vec![self.dir.join("samples.jsonl")],
            ..Default::default()
        };
        let report = shardlint::check_with_samples(&paths, &config, &LoadOptions::default(), &opts);
        report
            .findings
            .iter()
            .map(|f| (f.code().to_string(), f.message.clone()))
            .collect()
    }

    fn distribute(&self, format: &str) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_shardlint"))
            .args(["distribute", "--shards", "1", "--partition-key", "${vin}"])
            .args(["--format", format, "--samples"])
            .arg(self.dir.join("samples.jsonl"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn half_second_burst_at_three_times_the_limit_is_reported_with_its_second() {
    // 1,500 records from 30.75 s to 31.25 s: 3,000 records/s for half a second, split 750/750
    // across two clock seconds; the window from 30.5 s holds all of it (plus background).
    let mut recs = background();
    recs.extend(burst(30_750, 1_500));
    let case = Case::new("burst", &envelopes(recs));
    let findings = case.check();
    let sl401: Vec<_> = findings.iter().filter(|f| f.0 == "SL401").collect();
    assert_eq!(sl401.len(), 1, "{findings:?}");
    let m = &sl401[0].1;
    assert!(
        m.contains("in the second from `2020-09-13T12:27:10.500Z`"),
        "{m}"
    );
    assert!(
        m.contains("`shardId-000000000000` of `telemetry` takes `1,520` records"),
        "{m}"
    );
    assert!(m.contains("(mean `45`/s)"), "{m}");
    assert!(m.contains("above the 1,000 records/s write limit"), "{m}");

    let text = case.distribute("text");
    assert!(
        text.contains("busiest: `shardId-000000000000` with 1,520 records in the second from 2020-09-13T12:27:10.500Z"),
        "{text}"
    );
    assert!(
        text.contains("shard `shardId-000000000000`: 1,520 records in the second from 2020-09-13T12:27:10.500Z (mean 45.04/s), above 1,000 records/s"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&case.distribute("json")).unwrap();
    let shard = &json["shards"][0]["per_second"];
    assert_eq!(shard["peak_records"], 1520);
    assert_eq!(shard["peak_records_at"], "2020-09-13T12:27:10.500Z");
    // Most windows hold the background's 20 records; the p99 is among them or the burst's.
    assert!(shard["p99_records"].as_u64().unwrap() <= 1520);
    let limits = json["limits"].as_array().unwrap();
    assert_eq!(limits.len(), 1, "{limits:?}");
    assert_eq!(limits[0]["basis"], "peak");
    assert_eq!(limits[0]["at"], "2020-09-13T12:27:10.500Z");
    assert_eq!(limits[0]["value"], 1520.0);
    assert_eq!(json["input"]["time"]["windows"]["step_ms"], 500);
    assert_eq!(json["input"]["time"]["windows"]["late_records"], 0);
    // The mean is low: this is what was reported before peaks.
    let mean = json["shards"][0]["records_per_s"].as_f64().unwrap();
    assert!((40.0..50.0).contains(&mean), "{mean}");
    let _ = path(&case.dir);
}

#[test]
fn the_same_records_spread_over_the_minute_and_a_burst_under_the_limit_are_quiet() {
    // 2,700 records spread over 60 s: 45 records/s in every second.
    let spread: Vec<(u64, u32)> = (0..2_700u64)
        .map(|i| (i * 60_000 / 2_700, (i % 40) as u32))
        .collect();
    let case = Case::new("spread", &envelopes(spread));
    assert!(case.check().is_empty(), "{:?}", case.check());
    let json: serde_json::Value = serde_json::from_str(&case.distribute("json")).unwrap();
    assert!(json["limits"].as_array().unwrap().is_empty());
    let peak = json["shards"][0]["per_second"]["peak_records"]
        .as_u64()
        .unwrap();
    assert!((45..=46).contains(&peak), "{peak}");

    // 900 records in half a second (1,800/s for 0.5 s): no second holds 1,000.
    let mut recs = background();
    recs.extend(burst(30_750, 900));
    let case = Case::new("under", &envelopes(recs));
    assert!(case.check().is_empty(), "{:?}", case.check());
    let text = case.distribute("text");
    assert!(
        text.contains("limits: no shard or key above 1,000 records/s or 1 MiB/s in any second"),
        "{text}"
    );
}
