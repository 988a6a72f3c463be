//! `check --fix`, `--unsafe-fixes` and `--diff` end to end on copies of the seed fixtures in each
//! format: which bytes change (only those the edits cover), and what the re-check reports.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn shardlint() -> Command {
    Command::cargo_bin("shardlint").unwrap()
}

/// A copy of `fixtures/NAME/FILE` alone in a temporary directory.
fn copy(name: &str, file: &str) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
            .join(file),
    )
    .unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, &text).unwrap();
    (dir, path, text)
}

/// The JSON findings' codes of a check of `dir`.
fn codes(dir: &Path) -> Vec<String> {
    let out = shardlint()
        .args(["check", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// `before` with each `(old, new)` replaced once, in order: the whole expected file.
fn expect(before: &str, changes: &[(&str, &str)]) -> String {
    let mut s = before.to_string();
    for (old, new) in changes {
        assert!(s.contains(old), "{old:?} not in the fixture");
        s = s.replacen(old, new, 1);
    }
    s
}

#[test]
fn fix_applies_only_the_safe_escape_and_keeps_every_other_byte() {
    let (dir, path, before) = copy("tf-iac-interpolation", "main.tf");
    shardlint()
        .args(["check", "--fix"])
        .arg(dir.path())
        .assert()
        .code(1);
    let after = std::fs::read_to_string(&path).unwrap();
    // `${topic(3)}` escapes to itself: safe. `${uuid()}` becomes `newuuid()`: unsafe, kept.
    assert_eq!(
        after,
        expect(&before, &[("\"${topic(3)}\"", "\"$${topic(3)}\"")])
    );
    assert!(after.contains("\"${uuid()}\""));
}

#[test]
fn unsafe_fixes_repair_the_terraform_seed_and_the_recheck_reports_what_remains() {
    let (dir, path, before) = copy("tf-seed-hot-shard", "main.tf");
    let out = shardlint()
        .args(["check", "--unsafe-fixes", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        expect(
            &before,
            &[
                ("partition_key = \"vin\"", "partition_key = \"$${vin}\""),
                ("= 100000 #", "= 10000 #"),
                (
                    "  parallelization_factor             = 1\n",
                    "  parallelization_factor             = 1\n  maximum_retry_attempts             = 3\n  maximum_record_age_in_seconds      = 3600\n  bisect_batch_on_function_error     = true\n"
                ),
            ]
        )
    );
    // What remains: the destination the tool cannot know.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let left: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["SL303"]);
    assert_eq!(codes(dir.path()), ["SL303"]);
}

#[test]
fn unsafe_fixes_use_cloudformation_spelling() {
    let (dir, path, before) = copy("cfn-yaml-seed-hot-shard", "template.yaml");
    shardlint()
        .args(["check", "--unsafe-fixes"])
        .arg(dir.path())
        .assert()
        .code(1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        expect(
            &before,
            &[
                ("PartitionKey: vin", "PartitionKey: \"${vin}\""),
                ("BatchSize: 100000", "BatchSize: 10000"),
                (
                    "      StartingPosition: LATEST\n",
                    "      StartingPosition: LATEST\n      MaximumRetryAttempts: 3\n      MaximumRecordAgeInSeconds: 3600\n      BisectBatchOnFunctionError: true\n"
                ),
            ]
        )
    );
    assert_eq!(codes(dir.path()), ["SL303"]);
}

#[test]
fn unsafe_fixes_use_serverless_spelling() {
    let (dir, path, before) = copy("sls-stream-events", "serverless.yml");
    shardlint()
        .args(["check", "--unsafe-fixes"])
        .arg(dir.path())
        .assert()
        .code(1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        expect(
            &before,
            &[
                (
                    "          startingPosition: LATEST\n  bulk:",
                    "          startingPosition: LATEST\n          maximumRetryAttempts: 3\n          maximumRecordAgeInSeconds: 3600\n          bisectBatchOnFunctionError: true\n  bulk:"
                ),
                ("batchSize: 100000", "batchSize: 10000"),
                ("parallelizationFactor: 12", "parallelizationFactor: 10"),
                ("PartitionKey: vin", "PartitionKey: '${vin}'"),
            ]
        )
    );
    assert_eq!(codes(dir.path()), ["SL303"]);
}

#[test]
fn diff_prints_the_change_and_writes_nothing() {
    let (dir, path, before) = copy("tf-seed-hot-shard", "main.tf");
    let out = shardlint()
        .current_dir(dir.path())
        .args(["check", "--unsafe-fixes", "--diff", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a diff to show exits 1");
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.starts_with("--- a/main.tf\n+++ b/main.tf\n"), "{diff}");
    assert!(diff.contains("-    partition_key = \"vin\" # expect: SL101\n+    partition_key = \"$${vin}\" # expect: SL101\n"), "{diff}");
    assert!(
        diff.contains("+  bisect_batch_on_function_error     = true\n"),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    // Without unsafe fixes there is nothing safe to do on the seed.
    shardlint()
        .current_dir(dir.path())
        .args(["check", "--diff", "."])
        .assert()
        .code(0)
        .stdout("");
}
