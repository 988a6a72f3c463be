//! The binary as a new user runs it: exit codes, output formats, `explain` and `rules`.

use assert_cmd::Command;
use predicates::prelude::*;

fn shardlint() -> Command {
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

#[test]
fn seed_fixture_fails_with_the_three_findings_on_their_lines() {
    let out = shardlint()
        .args(["check", "fixtures/tf-seed-hot-shard", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["version"], 1);
    let got: Vec<(String, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("SL101".into(), 19, "error".into()),
            ("SL302".into(), 34, "warning".into()),
            ("SL301".into(), 38, "error".into()),
        ]
    );
    let f = &v["findings"][0];
    for key in [
        "code",
        "rule",
        "severity",
        "message",
        "help",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "path",
        "related",
    ] {
        assert!(!f[key].is_null(), "finding lacks `{key}`");
    }
    assert_eq!(f["file"], "fixtures/tf-seed-hot-shard/main.tf");
    assert_eq!(
        f["path"],
        "aws_iot_topic_rule.location_to_kinesis.kinesis[0].partition_key"
    );
    assert_eq!(
        (f["column"].as_u64(), f["end_column"].as_u64()),
        (Some(21), Some(26))
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("`location-stream` (8 shards)")
    );
}

#[test]
fn escaped_key_has_no_partition_key_finding() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tf-seed-hot-shard/main.tf"),
    )
    .unwrap()
    .replace("partition_key = \"vin\"", "partition_key = \"$${vin}\"");
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    let out = shardlint()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["SL302", "SL301"]);
}

#[test]
fn human_output_has_no_colour_when_piped() {
    shardlint()
        .args(["check", "fixtures/tf-seed-hot-shard"])
        .env_remove("NO_COLOR")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("SL101 constant-partition-key"))
        .stdout(predicate::str::contains(
            "help: to key by the payload field `vin`",
        ))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn unreadable_input_exits_2_and_other_files_are_still_checked() {
    let out = shardlint()
        .args([
            "check",
            "fixtures/bad-input-syntax",
            "fixtures/tf-seed-hot-shard",
            "--format",
            "json",
        ])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["errors"][0]["file"], "fixtures/bad-input-syntax/main.tf");
    assert_eq!(
        (
            v["errors"][0]["line"].as_u64(),
            v["errors"][0]["column"].as_u64()
        ),
        (Some(2), Some(10))
    );
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
}

#[test]
fn clean_input_exits_0_and_fail_on_is_honoured() {
    shardlint()
        .args(["check", "fixtures/tf-seed-fixed"])
        .assert()
        .code(0);
    // Only an info finding: passes by default, fails with --fail-on info.
    shardlint()
        .args(["check", "fixtures/tf-unresolved-stream"])
        .assert()
        .code(0);
    shardlint()
        .args([
            "check",
            "fixtures/tf-unresolved-stream",
            "--fail-on",
            "info",
        ])
        .assert()
        .code(1);
    shardlint()
        .args([
            "check",
            "fixtures/tf-seed-hot-shard",
            "--fail-on",
            "error",
            "--ignore",
            "SL1,SL301",
        ])
        .assert()
        .code(0);
}

#[test]
fn explain_works_for_every_listed_rule() {
    let out = shardlint()
        .args(["rules", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert!(rules.len() >= 15);
    for r in rules {
        let code = r["code"].as_str().unwrap();
        shardlint()
            .args(["explain", code])
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!(
                "# {code} {}",
                r["name"].as_str().unwrap()
            )));
        shardlint()
            .args(["explain", r["name"].as_str().unwrap()])
            .assert()
            .success();
    }
    shardlint().args(["explain", "SL999"]).assert().code(2);
}

#[test]
fn usage_errors_exit_2() {
    shardlint()
        .args(["check", "--format", "yaml"])
        .assert()
        .code(2);
    shardlint()
        .args(["check", "does/not/exist"])
        .assert()
        .code(2);
}

#[test]
fn every_format_points_at_the_exact_value() {
    // (fixture, code, file, line, column, end column): the same seed mistakes, on their lines.
    let cases = [
        (
            "cfn-yaml-seed-hot-shard",
            "SL101",
            "template.yaml",
            26,
            29,
            32,
        ),
        (
            "cfn-yaml-seed-hot-shard",
            "SL301",
            "template.yaml",
            68,
            18,
            24,
        ),
        (
            "cfn-json-seed-hot-shard",
            "SL101",
            "template.json",
            25,
            33,
            38,
        ),
        (
            "cfn-json-seed-hot-shard",
            "SL301",
            "template.json",
            72,
            22,
            28,
        ),
        (
            "sam-parallelization-12",
            "SL301",
            "template.yaml",
            35,
            36,
            38,
        ),
        ("cfn-yaml-sub-escape", "SL106", "template.yaml", 55, 35, 41),
        (
            "export-account",
            "SL302",
            "lambda/list-event-source-mappings.json",
            20,
            37,
            39,
        ),
        ("plan-seed-hot-shard", "SL101", "plan.json", 36, 34, 39),
        ("plan-seed-hot-shard", "SL301", "plan.json", 89, 27, 33),
        ("tf-seed-hot-shard", "SL301", "main.tf", 38, 40, 46),
    ];
    for (fixture, code, file, line, col, end_col) in cases {
        let out = shardlint()
            .args(["check", &format!("fixtures/{fixture}"), "--format", "json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{fixture}: no {code}"));
        assert_eq!(
            f["file"],
            format!("fixtures/{fixture}/{file}"),
            "{fixture} {code}"
        );
        assert_eq!(
            (
                f["line"].as_u64(),
                f["column"].as_u64(),
                f["end_column"].as_u64()
            ),
            (Some(line), Some(col), Some(end_col)),
            "{fixture} {code}"
        );
    }
}

#[test]
fn distribute_text_lists_the_busiest_shards_of_a_large_map_and_json_every_shard() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    let mut s = "hot\n".repeat(500);
    for i in 0..2_000 {
        s.push_str(&format!("k{i}\n"));
    }
    std::fs::write(&keys, s).unwrap();
    let run = |shards: &str, json: bool| {
        let mut c = shardlint();
        c.args(["distribute", "--keys"])
            .arg(&keys)
            .args(["--shards", shards]);
        if json {
            c.args(["--format", "json"]);
        }
        String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
    };
    let text = run("200", false);
    let rows = text.lines().filter(|l| l.starts_with("shardId-")).count();
    assert_eq!(rows, 20, "{text}");
    assert!(text.contains("… and 180 more shards with "), "{text}");
    let json: serde_json::Value = serde_json::from_str(&run("200", true)).unwrap();
    assert_eq!(json["shards"].as_array().unwrap().len(), 200);
    // The near miss: 64 shards are all listed, with no summary line.
    let text = run("64", false);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("shardId-")).count(),
        64
    );
    assert!(!text.contains("more shards with"));
}
