//! Issue 12, defect 2: a partition key `${vin+vin+…}` with 40,000 terms overflowed the stack in
//! `template::classify`, and 10,000 terms overflowed a worker thread in `distribute
//! --partition-key`. Both are now a located diagnostic (inputs generated here, not committed).

use std::path::PathBuf;
use std::process::Command;

use shardlint::load::LoadOptions;

fn long_key(terms: usize) -> String {
    format!("$${{{}}}", vec!["vin"; terms].join("+"))
}

#[test]
fn a_40000_term_key_is_sl105_at_its_line_and_the_seed_beside_it_keeps_its_findings() {
    let dir = std::env::temp_dir().join(format!("shardlint-long-key-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seed =
        std::fs::read_to_string(manifest.join("fixtures/tf-seed-hot-shard/main.tf")).unwrap();
    std::fs::write(dir.join("main.tf"), &seed).unwrap();
    let hostile = format!(
        "resource \"aws_iot_topic_rule\" \"long\" {{\n  name = \"long\"\n  enabled = true\n  sql = \"SELECT * FROM 'a/+'\"\n  sql_version = \"2016-03-23\"\n  kinesis {{\n    stream_name = aws_kinesis_stream.location.name\n    partition_key = \"{}\"\n    role_arn = \"arn:aws:iam::123456789012:role/r\"\n  }}\n}}\n",
        long_key(40_000)
    );
    std::fs::write(dir.join("long.tf"), hostile).unwrap();
    let paths = [dir.clone()];
    let config = shardlint::config_file::resolve(None, &paths).unwrap();
    // On a small worker stack, as `check` runs files in parallel.
    let report = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            shardlint::check_with_samples(
                &paths,
                &config,
                &LoadOptions::default(),
                &Default::default(),
            )
        })
        .unwrap()
        .join()
        .unwrap();
    let at = |code: &str, file: &str| {
        report
            .findings
            .iter()
            .filter(|f| {
                f.code() == code && report.db.get(f.span.file).display_name().ends_with(file)
            })
            .map(|f| (report.db.start(f.span).line, f.message.clone()))
            .collect::<Vec<_>>()
    };
    let sl105 = at("SL105", "long.tf");
    assert_eq!(
        sl105.len(),
        1,
        "{:?}",
        report.findings.iter().map(|f| f.code()).collect::<Vec<_>>()
    );
    assert_eq!(sl105[0].0, 8);
    assert!(sl105[0].1.contains("more than 500 terms"), "{}", sl105[0].1);
    // The seed's three findings survive.
    for code in ["SL101", "SL301", "SL302"] {
        assert_eq!(at(code, "main.tf").len(), 1, "{code}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn distribute_with_a_10000_term_partition_key_exits_2_with_a_short_message() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_shardlint"))
        .args([
            "distribute",
            "--shards",
            "4",
            "--no-progress",
            "--partition-key",
        ])
        .arg(long_key(10_000).replace("$${", "${"))
        .arg("--samples")
        .arg(manifest.join("fixtures/samples-unknown-function/samples.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("more than 500 terms"), "{err}");
    assert!(err.len() < 1_000, "{} bytes of error", err.len());
}
