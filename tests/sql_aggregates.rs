//! `check --aggregates` and `distribute --aggregates` on a `shardlint sql` result. The result
//! under `tests/golden/sql/results/` is DuckDB's real output of
//! `shardlint sql --dialect duckdb --rule by_literal --config-path fixtures/samples-seed-hot-shard
//! --time-column ts --topic-column topic --clientid-column clientid` over the 100,000 seed-2
//! records generated below (one row per record: payload text, topic, client id, time); the CSV
//! is the same rows as Athena writes them (every field quoted, NULL empty). Each test compares
//! against shardlint's own engine on the same records, so the committed rows are checked, not
//! trusted.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const JSONL: &str = "tests/golden/sql/results/seed2-by-literal.duckdb.jsonl";
const CSV: &str = "tests/golden/sql/results/seed2-by-literal.athena.csv";

fn shardlint() -> Command {
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

/// Seed 2's load test as in tests/samples.rs: 100,000 vehicles, one message each.
fn seed2_samples(dir: &Path) -> PathBuf {
    let path = dir.join("samples.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..100_000u32 {
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

fn check(args: &[&str]) -> (i32, serde_json::Value) {
    let out = shardlint()
        .args([
            "check",
            "fixtures/samples-seed-hot-shard",
            "--format",
            "json",
        ])
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap(), json(&out.stdout))
}

/// (code, message, line, column) of every finding.
fn findings(v: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn seed2_result_gives_the_hot_shard_at_the_rules_key() {
    let (code, v) = check(&["--aggregates", JSONL]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        v["errors"].as_array().unwrap().is_empty(),
        "{:#}",
        v["errors"]
    );
    let hot: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SL401")
        .collect();
    assert_eq!(hot.len(), 1, "{hot:#?}");
    let msg = hot[0]["message"].as_str().unwrap();
    assert!(
        // The archive's records, all of them, not a sample.
        msg.starts_with("`100.0%` of `100,000` archived records go to `shardId-000000000003`"),
        "{msg}"
    );
    // At the rule's key: `partition_key = "vin"` on line 24 of the fixture.
    assert!(
        hot[0]["path"]
            .as_str()
            .unwrap()
            .starts_with("aws_iot_topic_rule.by_literal")
    );
    assert_eq!(hot[0]["file"], "fixtures/samples-seed-hot-shard/main.tf");
    assert_eq!(
        (hot[0]["line"].as_u64(), hot[0]["column"].as_u64()),
        (Some(24), Some(21))
    );

    // Athena's CSV of the same rows gives the same findings.
    let (code_csv, v_csv) = check(&["--aggregates", CSV]);
    assert_eq!(code_csv, code);
    assert_eq!(findings(&v_csv), findings(&v));
}

#[test]
fn aggregates_and_samples_give_the_same_findings_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let samples = seed2_samples(dir.path());
    let s = samples.to_str().unwrap();
    let (code_s, from_samples) = check(&["--rule", "by_literal", "--no-progress", "--samples", s]);
    let (code_a, from_rows) = check(&["--aggregates", JSONL]);
    assert_eq!(code_s, code_a);
    // The same findings; the messages call the archive's records what they are.
    let archived: Vec<_> = findings(&from_rows)
        .into_iter()
        .map(|(code, m, line, col)| {
            (
                code,
                m.replace("archived records", "sampled records"),
                line,
                col,
            )
        })
        .collect();
    assert!(
        findings(&from_rows)
            .iter()
            .any(|f| f.1.contains("archived records")),
        "{from_rows:#}"
    );
    assert_eq!(archived, findings(&from_samples));

    let distribute = |input: &[&str]| {
        let out = shardlint()
            .args([
                "distribute",
                "--rule",
                "by_literal",
                "--config-path",
                "fixtures/samples-seed-hot-shard",
                "--format",
                "json",
                "--no-progress",
            ])
            .args(input)
            .assert()
            .success();
        json(&out.get_output().stdout)
    };
    let mut a = distribute(&["--aggregates", JSONL]);
    let mut d = distribute(&["--samples", s]);
    // Every figure agrees; only where they came from differs.
    let info = a.as_object_mut().unwrap().remove("aggregates").unwrap();
    for v in [&mut a, &mut d] {
        let input = v["input"].as_object_mut().unwrap();
        input.remove("files");
        input.remove("md5");
    }
    assert_eq!(a, d);
    assert_eq!(info["dialect"], "duckdb");
    assert_eq!(info["inexact"], serde_json::json!([]));
    // 2,000 records in the busiest windows: the limit is crossed, and the windows counted.
    assert_eq!(info["windows_over"][0]["shard_id"], "shardId-000000000003");
    assert_eq!(info["windows_over"][0]["records_windows"], 80);
    assert_eq!(d["limits"][0]["value"], 2000.0);
}

#[test]
fn text_report_says_where_the_figures_come_from() {
    let out = shardlint()
        .args(["distribute", "--rule", "by_literal"])
        .args([
            "--config-path",
            "fixtures/samples-seed-hot-shard",
            "--aggregates",
            CSV,
        ])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("100,000 records (100,000 keyed)"), "{text}");
    assert!(
        text.contains("from a `shardlint sql` result (duckdb)"),
        "{text}"
    );
    assert!(
        text.contains(
            "shardId-000000000003: 80 one-second windows over 1,000 records/s, 0 over 1 MiB/s"
        ),
        "{text}"
    );
    assert!(text.contains("not given: line numbers"), "{text}");
}

#[test]
fn a_bad_row_is_located_and_the_rest_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let rows = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(JSONL)).unwrap();
    let mut lines: Vec<&str> = rows.lines().collect();
    lines.insert(
        3,
        r#"{"kind": "shard", "shard_id": "shardId-000000000099", "records": 5, "bytes": 5}"#,
    );
    lines.insert(5, r#"{"kind": "key", "records": "many"}"#);
    let bad = dir.path().join("result.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (code, v) = check(&["--aggregates", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{v:#}");
    let errors: Vec<String> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e
                .contains("result.jsonl:4:1: shard `shardId-000000000099` is not an open shard")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("result.jsonl:6:1: `records` is `many`")),
        "{errors:?}"
    );
    assert!(findings(&v).iter().any(|f| f.0 == "SL401"));
}

#[test]
fn a_result_for_another_key_is_refused() {
    // The committed result was computed for `vin`; `by_field` keys by `${vin}`.
    let out = shardlint()
        .args(["distribute", "--rule", "by_field"])
        .args([
            "--config-path",
            "fixtures/samples-seed-hot-shard",
            "--aggregates",
            JSONL,
        ])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("computed for the key template `vin`, not `${vin}`"),
        "{err}"
    );
}
