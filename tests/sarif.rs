//! The SARIF of every fixture validates against the official SARIF 2.1.0 JSON schema (vendored
//! from Microsoft's `@microsoft/sarif-multitool` package as `vendor/sarif-schema-2.1.0.json`), and
//! carries what code scanning needs: rules from the registry, levels, relative URIs, regions,
//! logical locations, related locations and input errors as notifications.
//! `scripts/validate-sarif.sh` runs Microsoft's validator on the same output.

use std::path::{Path, PathBuf};

use serde_json::Value;
use shardlint::load::LoadOptions;
use shardlint::render;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

fn sarif_of(rel: &str) -> Value {
    let paths = [PathBuf::from(rel)];
    let config = shardlint::config_file::resolve(None, &paths).expect("fixture config loads");
    let report = shardlint::check(&paths, &config, &LoadOptions::default());
    serde_json::from_str(&render::sarif::render(&report)).unwrap()
}

#[test]
fn every_fixture_validates_against_the_sarif_schema() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(manifest).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest.join("vendor/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let rel = format!("fixtures/{}", case.file_name().unwrap().to_string_lossy());
        let doc = sarif_of(&rel);
        for e in validator.iter_errors(&doc) {
            failures.push(format!("{rel}: {} at {}", e, e.instance_path()));
        }
        checked += 1;
    }
    assert!(checked > 10, "only {checked} fixtures");
    // The validator really checks: a wrong level is rejected.
    let mut bad = sarif_of("fixtures/tf-seed-hot-shard");
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(
        !validator.is_valid(&bad),
        "the schema must reject level `fatal`"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn seed_result_has_locations_rules_and_levels() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let doc = sarif_of("fixtures/tf-seed-hot-shard");
    let run = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), shardlint::rules::RULES.len());
    let sl101 = rules.iter().find(|r| r["id"] == "SL101").unwrap();
    assert_eq!(sl101["name"], "constant-partition-key");
    assert_eq!(sl101["defaultConfiguration"]["level"], "error");
    assert!(
        sl101["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("rules/SL101.md")
    );
    assert!(
        !sl101["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("##")
    );
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "SL101");
    assert_eq!(r["level"], "error");
    assert_eq!(
        run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "SL101"
    );
    let loc = &r["locations"][0];
    let phys = &loc["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "fixtures/tf-seed-hot-shard/main.tf"
    );
    assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(phys["region"]["startLine"], 19);
    assert_eq!(phys["region"]["startColumn"], 21);
    assert_eq!(phys["region"]["endColumn"], 26);
    assert_eq!(phys["region"]["snippet"]["text"], "\"vin\"");
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "aws_iot_topic_rule.location_to_kinesis.kinesis[0].partition_key"
    );
    assert_eq!(run["results"][1]["level"], "warning");
    assert!(
        r["partialFingerprints"]["shardlintFinding/v2"]
            .as_str()
            .is_some_and(|f| f.len() == 32)
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn related_locations_and_input_errors() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let doc = sarif_of("fixtures/tf-variable-constant");
    let related = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| r["relatedLocations"].as_array())
        .expect("a result with related locations");
    assert_eq!(related[0]["id"], 1);
    assert!(related[0]["message"]["text"].as_str().is_some());

    let doc = sarif_of("fixtures/bad-input-syntax");
    let run = &doc["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let n = &run["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert_eq!(n["descriptor"]["id"], "SL001");
    assert!(
        n["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some()
    );
    assert!(run["results"].as_array().unwrap().is_empty());
}
