//! Every real configuration file under `../shared/corpus/` (Terraform, CloudFormation/SAM, CLI
//! exports from public repositories) goes through the whole `check` pipeline: no panic, no hang,
//! no file rejected, and the known mistakes in it are found.

use std::path::{Path, PathBuf};

use shardlint::config::Config;
use shardlint::load::LoadOptions;

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    root.is_dir().then_some(root)
}

#[test]
fn whole_corpus_is_read_and_known_mistakes_found() {
    let Some(root) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not present");
        return;
    };
    let report = shardlint::check(&[root], &Config::default(), &LoadOptions::default());
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.file, e.message))
        .collect();
    assert!(
        errors.is_empty(),
        "corpus files rejected:\n{}",
        errors.join("\n")
    );
    assert!(
        report.summary.files >= 60,
        "only {} files read",
        report.summary.files
    );

    let found = |code: &str, file_part: &str| {
        report.findings.iter().any(|f| {
            f.code == code
                && report
                    .db
                    .get(f.span.file)
                    .display_name()
                    .contains(file_part)
        })
    };
    // The mistakes SOURCES.md names, each found where it is.
    assert!(found("SL101", "ns-terraform/iot.tf"), "constant UUID key");
    assert!(
        found("SL103", "Junior-DE-Project/modules__iot-core__main.tf"),
        "no partition_key"
    );
    assert!(
        found("SL201", "drone-telemetry-pipeline"),
        "ON_DEMAND with shard_count"
    );
    assert!(
        found(
            "SL101",
            "developerguide__kinesis-rule-action__example1.json"
        ),
        "topic() without wildcard"
    );
    assert!(
        found("SL302", "aws-iot-test/terraform__lambda.tf"),
        "default retries"
    );
    // Correct keys stay quiet.
    assert!(
        !found("SL101", "5map/"),
        "topic(3) under '5map/rssi/+' is per-device"
    );
    assert!(
        !found("SL101", "drone-telemetry-pipeline"),
        "drone_id is a payload field"
    );
}
