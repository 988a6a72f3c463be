//! Benchmark (prints figures, asserts nothing): `shardlint check` on 200 generated Terraform
//! modules, and on 200 root modules that each call one shared local module (evaluated once per
//! call), end to end through the release binary, as a pre-commit hook or CI step runs it.
//! Run with `cargo bench --bench check`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn write_module(dir: &Path, i: usize) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("variables.tf"),
        format!("variable \"shards\" {{\n  default = {}\n}}\nvariable \"key\" {{\n  default = \"$${{clientid()}}\"\n}}\n", 1 + i % 16),
    )
    .unwrap();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            r#"locals {{
  name = "stream-{i}"
}}
resource "aws_kinesis_stream" "s" {{
  name        = local.name
  shard_count = var.shards
}}
resource "aws_iot_topic_rule" "r" {{
  name        = "rule_{i}"
  enabled     = true
  sql         = "SELECT * FROM 'fleet/+/telemetry/{i}'"
  sql_version = "2016-03-23"
  kinesis {{
    stream_name   = aws_kinesis_stream.s.name
    partition_key = {key}
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }}
}}
resource "aws_lambda_function" "f" {{
  function_name = "writer-{i}"
  timeout       = 60
}}
resource "aws_lambda_event_source_mapping" "m" {{
  event_source_arn  = aws_kinesis_stream.s.arn
  function_name     = aws_lambda_function.f.arn
  starting_position = "LATEST"
  batch_size        = {batch}
}}
"#,
            key = if i.is_multiple_of(10) {
                "\"vin\"".to_string()
            } else {
                "var.key".to_string()
            },
            batch = if i.is_multiple_of(7) { 100000 } else { 100 },
        ),
    )
    .unwrap();
}

/// The shared module every caller uses: a stream, a rule and a mapping built from its inputs.
const SHARED: &str = r#"variable "name" {}
variable "shards" { default = 1 }
variable "batch_size" { default = 100 }
variable "retries" { default = null }
locals {
  stream = "${var.name}-events"
}
resource "aws_kinesis_stream" "s" {
  name        = local.stream
  shard_count = var.shards
}
resource "aws_iot_topic_rule" "r" {
  name        = replace(var.name, "-", "_")
  enabled     = true
  sql         = "SELECT * FROM 'fleet/+/${var.name}'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "$${topic(2)}"
    role_arn      = "arn:aws:iam::123456789012:role/iot"
  }
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn       = aws_kinesis_stream.s.arn
  function_name          = "writer-${var.name}"
  starting_position      = "LATEST"
  batch_size             = var.batch_size
  maximum_retry_attempts = var.retries
}
output "stream_arn" { value = aws_kinesis_stream.s.arn }
"#;

fn write_caller(dir: &Path, i: usize) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            "module \"pipeline\" {{\n  source     = \"../shared\"\n  name       = \"svc-{i}\"\n  shards     = {}\n  batch_size = {}\n  retries    = {}\n}}\n",
            1 + i % 8,
            if i.is_multiple_of(7) { 20000 } else { 100 },
            if i.is_multiple_of(3) { "null" } else { "3" },
        ),
    )
    .unwrap();
}

/// Median, min and max wall time of 15 runs of `check` on `dir`, after one warm-up run.
fn measure(dir: &Path) -> (f64, f64, f64) {
    let bin = env!("CARGO_BIN_EXE_shardlint");
    let run = || {
        let t = Instant::now();
        let out = Command::new(bin)
            .args(["check", "--format", "json"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(out.status.code() == Some(1), "expected findings");
        t.elapsed()
    };
    run(); // warm the page cache
    let mut times: Vec<Duration> = (0..15).map(|_| run()).collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
    )
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..200 {
        write_module(&tmp.path().join(format!("module-{i:03}")), i);
    }
    let (med, min, max) = measure(tmp.path());
    println!(
        "check: 200 modules (400 .tf files): median {med:.1} ms, min {min:.1} ms, max {max:.1} ms (wall, release binary, 15 runs; target < 100 ms)"
    );

    let calls = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(calls.path().join("shared")).unwrap();
    std::fs::write(calls.path().join("shared/main.tf"), SHARED).unwrap();
    for i in 0..200 {
        write_caller(&calls.path().join(format!("svc-{i:03}")), i);
    }
    let (med, min, max) = measure(calls.path());
    println!(
        "check: 200 modules calling one shared local module (201 .tf files, 200 instances): median {med:.1} ms, min {min:.1} ms, max {max:.1} ms (wall, release binary, 15 runs; target < 100 ms)"
    );
}
