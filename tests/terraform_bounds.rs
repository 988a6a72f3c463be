//! Terraform inputs built to exhaust the evaluator (issue 12, defects 1 and 2), run through
//! `check` beside a copy of the seed: each finishes with a located diagnostic (or the right
//! values), and the seed's three findings survive. Inputs are generated here, not committed.

use std::path::Path;

use assert_cmd::Command;

const SEED: &str = include_str!("../fixtures/tf-seed-hot-shard/main.tf");

fn check(dir: &Path) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("shardlint")
        .unwrap()
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A directory with the seed in `seed/` and `files` beside it.
fn case(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("seed")).unwrap();
    std::fs::write(dir.path().join("seed/main.tf"), SEED).unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn chain(prefix: &str, n: usize) -> String {
    let mut s = format!("locals {{\n  {prefix}0 = \"$${{vin}}\"\n");
    for i in 1..n {
        s.push_str(&format!("  {prefix}{i} = local.{prefix}{}\n", i - 1));
    }
    s.push_str("}\n");
    s
}

fn keyed_rule(expr: &str) -> String {
    format!(
        "resource \"aws_iot_topic_rule\" \"r\" {{\n  kinesis {{\n    stream_name   = \"other\"\n    partition_key = {expr}\n  }}\n}}\n"
    )
}

fn seed_survives(report: &serde_json::Value) {
    let c = codes(report);
    for code in ["SL101", "SL301", "SL302"] {
        assert!(c.iter().any(|x| x == code), "{code} lost: {c:?}");
    }
}

#[test]
fn four_thousand_chained_locals_evaluate() {
    let dir = case(&[(
        "chain/main.tf",
        chain("a", 4000) + &keyed_rule("local.a3999"),
    )]);
    let (code, report) = check(dir.path());
    assert_eq!(code, 1);
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    seed_survives(&report);
}

#[test]
fn chains_in_three_module_directories_evaluate() {
    let files: Vec<(String, String)> = (0..3)
        .map(|d| {
            (
                format!("m{d}/main.tf"),
                chain("a", 1000) + &keyed_rule("local.a999"),
            )
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
    let (code, report) = check(case(&files).path());
    assert_eq!(code, 1);
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    assert_eq!(report["summary"]["topic_rules"], 4);
    seed_survives(&report);
}

#[test]
fn a_cycle_of_five_thousand_locals_is_located() {
    let n = 5000;
    let mut text = String::from("locals {\n");
    for i in 0..n {
        text.push_str(&format!("  c{i} = local.c{}\n", (i + 1) % n));
    }
    text.push_str("}\n");
    text.push_str(&keyed_rule("local.c0"));
    let (code, report) = check(case(&[("cycle/main.tf", text)]).path());
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("refers to itself")
    );
    assert!(errors[0]["line"].as_u64().unwrap() >= 2);
    seed_survives(&report);
}

#[test]
fn doubling_locals_are_over_budget_and_located() {
    let mut text = String::from("locals {\n  d0 = \"ab\"\n");
    for i in 1..40 {
        text.push_str(&format!(
            "  d{i} = \"${{local.d{0}}}${{local.d{0}}}\"\n",
            i - 1
        ));
    }
    text.push_str("}\n");
    text.push_str(&keyed_rule("local.d39"));
    let (code, report) = check(case(&[("double/main.tf", text)]).path());
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("evaluation budget") && msg.contains("local.d"),
        "{msg}"
    );
    assert!(
        errors[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("double/main.tf")
    );
    seed_survives(&report);
}

#[test]
fn replace_amplification_is_over_budget_and_located() {
    let mut text = String::from("locals {\n  r0 = \"vvvvvvvvvv\"\n");
    for i in 1..6 {
        text.push_str(&format!(
            "  r{i} = replace(local.r{0}, \"v\", local.r{0})\n",
            i - 1
        ));
    }
    text.push_str("}\n");
    text.push_str(&keyed_rule("local.r5"));
    let (code, report) = check(case(&[("replace/main.tf", text)]).path());
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("evaluation budget")
    );
    seed_survives(&report);
}

#[test]
fn an_empty_outputs_file_is_valid() {
    let dir = case(&[
        ("seed/outputs.tf", String::new()),
        ("seed/variables.tf", " \n\t\n".into()),
    ]);
    let (code, report) = check(dir.path());
    assert_eq!(code, 1);
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    assert_eq!(codes(&report).len(), 3);
}
