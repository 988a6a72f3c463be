//! Benchmark (prints figures, asserts nothing): `shardlint check` on 200 generated Terraform
//! modules, and on 200 root modules that each call one shared local module (evaluated once per
//! call), end to end through the release binary, as a pre-commit hook or CI step runs it; and
//! on a source tree of 10,000 application files (Python, TypeScript, JavaScript, Java, Go) of
//! which 20 call Kinesis `PutRecord`, the monorepo case where only those 20 are parsed.
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

/// An ordinary source file of about 2 KB that never mentions the stream service.
fn plain_source(ext: &str, i: usize) -> String {
    let mut out = String::new();
    for j in 0..40 {
        out.push_str(&match ext {
            "py" => {
                format!("def handler_{i}_{j}(event):\n    return {{'id': event['id'], 'n': {j}}}\n")
            }
            "go" => format!("func Handler{i}x{j}(id string) string {{ return id + \"{j}\" }}\n"),
            "java" => {
                format!("  static String handler{i}x{j}(String id) {{ return id + \"{j}\"; }}\n")
            }
            _ => {
                format!("export function handler{i}x{j}(e) {{ return {{ id: e.id, n: {j} }}; }}\n")
            }
        });
    }
    match ext {
        "go" => format!("package svc\n\n{out}"),
        "java" => format!("class Svc{i} {{\n{out}}}\n"),
        _ => out,
    }
}

/// A producer file: a `PutRecord` call with a constant key (SL101) in the file's language.
fn producer_source(ext: &str, i: usize) -> String {
    match ext {
        "py" => format!(
            "import boto3\nkinesis = boto3.client('kinesis')\n\ndef send(data):\n    kinesis.put_record(StreamName='events', Data=data, PartitionKey='k{i}')\n"
        ),
        "go" => format!(
            "package svc\n\nimport (\n\t\"github.com/aws/aws-sdk-go-v2/aws\"\n\t\"github.com/aws/aws-sdk-go-v2/service/kinesis\"\n)\n\nfunc In{i}(d []byte) *kinesis.PutRecordInput {{\n\treturn &kinesis.PutRecordInput{{StreamName: aws.String(\"events\"), Data: d, PartitionKey: aws.String(\"k{i}\")}}\n}}\n"
        ),
        "java" => format!(
            "import software.amazon.awssdk.services.kinesis.model.PutRecordRequest;\nclass P{i} {{\n  PutRecordRequest r() {{ return PutRecordRequest.builder().streamName(\"events\").partitionKey(\"k{i}\").build(); }}\n}}\n"
        ),
        _ => format!(
            "import {{ KinesisClient, PutRecordCommand }} from '@aws-sdk/client-kinesis';\nconst c = new KinesisClient({{}});\nexport const send = (d) => c.send(new PutRecordCommand({{ StreamName: 'events', Data: d, PartitionKey: 'k{i}' }}));\n"
        ),
    }
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

    // A monorepo: 10,000 source files in 100 packages, 20 of them Kinesis producers.
    let code = tempfile::tempdir().unwrap();
    let exts = ["py", "ts", "js", "java", "go"];
    let mut bytes = 0usize;
    for i in 0..10_000 {
        let ext = exts[i % exts.len()];
        let dir = code.path().join(format!("pkg-{:03}", i / 100));
        std::fs::create_dir_all(&dir).unwrap();
        let text = if i % 500 == 7 {
            producer_source(ext, i)
        } else {
            plain_source(ext, i)
        };
        bytes += text.len();
        std::fs::write(dir.join(format!("f{i}.{ext}")), text).unwrap();
    }
    std::fs::write(
        code.path().join("streams.tf"),
        "resource \"aws_kinesis_stream\" \"events\" {\n  name        = \"events\"\n  shard_count = 4\n}\n",
    )
    .unwrap();
    let (med, min, max) = measure(code.path());
    println!(
        "check: 10,000 source files ({:.0} MB; 20 call PutRecord) and one .tf: median {med:.1} ms, min {min:.1} ms, max {max:.1} ms (wall, release binary, 15 runs; target < 1 s)",
        bytes as f64 / 1e6
    );
}
