//! The `check` subcommand end to end: output formats and `-o`, config discovery and `--config`,
//! CLI flags over the file, unknown config keys, exit codes, and stderr kept apart from results.

use assert_cmd::Command;
use predicates::prelude::*;

fn shardlint() -> Command {
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn github_format_annotates_findings() {
    shardlint()
        .args(["check", "fixtures/tf-seed-hot-shard", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::error file=fixtures/tf-seed-hot-shard/main.tf,line=19,col=21,endLine=19,endColumn=26,title=SL101 constant-partition-key::partition key `vin` is a constant",
        ))
        .stdout(predicate::str::contains("::warning file=fixtures/tf-seed-hot-shard/main.tf,line=34"));
}

#[test]
fn every_format_writes_to_output_and_keeps_stdout_clean() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif", "github", "html"] {
        let out = dir.path().join(format!("report.{format}"));
        shardlint()
            .args([
                "check",
                "fixtures/tf-seed-hot-shard",
                "--format",
                format,
                "-o",
            ])
            .arg(&out)
            .assert()
            .code(1)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("report written to"));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("SL101"), "{format}: {text}");
    }
}

#[test]
fn config_is_discovered_and_flags_override_it() {
    // config-select selects only SL3: no SL101.
    shardlint()
        .args(["check", "fixtures/config-select", "--format", "json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("SL101").not())
        .stdout(predicate::str::contains("SL301"));
    // --select replaces the file's select.
    shardlint()
        .args([
            "check",
            "fixtures/config-select",
            "--format",
            "json",
            "--select",
            "SL101",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"code\": \"SL101\""))
        .stdout(predicate::str::contains("SL301").not());
    // --fail-on overrides the default (warning) and the file.
    shardlint()
        .args(["check", "fixtures/config-threshold-on", "--format", "json"])
        .assert()
        .code(1);
    shardlint()
        .args([
            "check",
            "fixtures/config-threshold-on",
            "--fail-on",
            "error",
        ])
        .assert()
        .code(0);
}

#[test]
fn explicit_config_and_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("custom.toml");
    std::fs::write(&cfg, "ignore = [\"SL1\", \"SL3\"]\n").unwrap();
    shardlint()
        .args(["check", "fixtures/tf-seed-hot-shard", "--config"])
        .arg(&cfg)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No findings"));

    std::fs::write(
        &cfg,
        "select = [\"SL1\"]\n\n[thresholds]\nhot-shards = 0.5\n",
    )
    .unwrap();
    shardlint()
        .args(["check", "fixtures/tf-seed-hot-shard", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "custom.toml:4:1: unknown field `hot-shards`",
        ));
}

#[test]
fn config_found_in_an_ancestor_of_a_single_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("infra/stream");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/tf-seed-hot-shard/main.tf"
        ),
        sub.join("main.tf"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("shardlint.toml"),
        "ignore = [\"SL101\", \"SL3\"]\n",
    )
    .unwrap();
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(dir.path())
        .args(["check", "infra/stream/main.tf"])
        .assert()
        .code(0);
}

#[test]
fn sarif_reports_input_errors_as_notifications() {
    shardlint()
        .args(["check", "fixtures/bad-input-syntax", "--format", "sarif"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("toolExecutionNotifications"))
        .stdout(predicate::str::contains("\"executionSuccessful\": false"));
}
