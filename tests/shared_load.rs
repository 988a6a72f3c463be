//! Two IoT rules writing to one single-shard stream: a shard's write limit is per second whoever
//! writes, so their records add up only in the seconds they share. Producers that each send 600
//! records in half a second, five seconds apart, never put more than 600 in a second on the
//! shard (the sum of their peaks, 1,200, would claim a breach); the same bursts in the same
//! second put 1,200 there, a breach neither producer shows alone (SL401, once, at the first
//! rule's key). The samples are generated here.

use std::fmt::Write as _;
use std::path::PathBuf;

use shardlint::load::LoadOptions;

/// 2020-09-13T12:26:40Z.
const T0: u64 = 1_600_000_000_000;

const TF: &str = r#"resource "aws_kinesis_stream" "s" {
  name        = "telemetry"
  shard_count = 1
}

resource "aws_iot_topic_rule" "a" {
  name        = "fleet_a"
  enabled     = true
  sql         = "SELECT * FROM 'a/+/telemetry'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "$${vin}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }
}

resource "aws_iot_topic_rule" "b" {
  name        = "fleet_b"
  enabled     = true
  sql         = "SELECT * FROM 'b/+/telemetry'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "$${vin}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }
}
"#;

/// 600 envelopes on `fleet/<v>/telemetry` evenly over `[start, start + 500 ms)`.
fn burst(out: &mut Vec<(u64, String)>, fleet: &str, start: u64) {
    for i in 0..600u64 {
        let t = start + i * 500 / 600;
        let v = i % 40;
        out.push((
            t,
            format!(
                r#"{{"topic":"{fleet}/v{v}/telemetry","timestamp":{},"payload":{{"vin":"{fleet}{v:03}"}}}}"#,
                T0 + t
            ),
        ));
    }
}

struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str, b_start: u64) -> Case {
        let dir = std::env::temp_dir().join(format!(
            "shardlint-shared-load-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), TF).unwrap();
        let mut recs = Vec::new();
        burst(&mut recs, "a", 1_000);
        burst(&mut recs, "b", b_start);
        recs.sort();
        let mut text = String::new();
        for (_, line) in recs {
            let _ = writeln!(text, "{line}");
        }
        std::fs::write(dir.join("samples.jsonl"), text).unwrap();
        Case { dir }
    }

    fn check(&self) -> shardlint::Report {
        let paths = [self.dir.join("main.tf")];
        let config = shardlint::config_file::resolve(None, &paths).unwrap();
        let opts = shardlint::samples::SampleOptions {
            files: vec![self.dir.join("samples.jsonl")],
            ..Default::default()
        };
        shardlint::check_with_samples(&paths, &config, &LoadOptions::default(), &opts)
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// (each rule's own peak, the stream's peak over both) on the one shard.
fn peaks(r: &shardlint::Report) -> (Vec<u64>, u64) {
    assert_eq!(r.samples.len(), 2, "both rules get their records");
    let own = r
        .samples
        .iter()
        .map(|s| s.report.shards[0].per_second.as_ref().unwrap().peak_records)
        .collect();
    let load = r.samples[0].stream_load.as_ref().expect("a shared stream");
    assert!(std::sync::Arc::ptr_eq(
        load,
        r.samples[1].stream_load.as_ref().unwrap()
    ));
    assert!(load.exact);
    (own, load.shards[0].as_ref().unwrap().peak_records)
}

#[test]
fn producers_peaking_in_different_seconds_do_not_add_up() {
    let case = Case::new("apart", 6_000);
    let r = case.check();
    let (own, stream) = peaks(&r);
    assert_eq!(own, vec![600, 600]);
    assert_eq!(stream, 600, "not the 1,200 of the summed peaks");
    let sl401: Vec<_> = r.findings.iter().filter(|f| f.code == "SL401").collect();
    assert!(sl401.is_empty(), "{sl401:#?}");
}

#[test]
fn producers_peaking_in_the_same_second_breach_together() {
    let case = Case::new("together", 1_000);
    let r = case.check();
    let (own, stream) = peaks(&r);
    assert_eq!(own, vec![600, 600]);
    assert_eq!(stream, 1_200);
    let sl401: Vec<_> = r.findings.iter().filter(|f| f.code == "SL401").collect();
    assert_eq!(sl401.len(), 1, "said once for the stream: {sl401:#?}");
    let m = &sl401[0].message;
    assert!(
        m.contains("`shardId-000000000000` of `telemetry` takes `1,200` records in the second from `2020-09-13T12:26:40.500Z` from `2` producers together, above the 1,000 records/s write limit (no producer breaches it alone)"),
        "{m}"
    );
    assert_eq!(sl401[0].related.len(), 1);
}
