//! Keeps the rule registry, the docs under `rules/` and the fixtures consistent, and enforces
//! the message style on every finding the fixtures produce.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use shardlint::config::Config;
use shardlint::load::LoadOptions;
use shardlint::rules::RULES;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_rule_has_a_doc_and_every_doc_a_rule() {
    let docs: BTreeSet<String> = std::fs::read_dir(manifest().join("rules"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".md")
                .map(String::from)
        })
        .collect();
    let codes: BTreeSet<String> = RULES.iter().map(|r| r.meta.code.to_string()).collect();
    assert_eq!(docs, codes, "rules/*.md and the registry differ");
    for r in RULES {
        let on_disk =
            std::fs::read_to_string(manifest().join(format!("rules/{}.md", r.meta.code))).unwrap();
        assert_eq!(
            on_disk, r.meta.doc,
            "{} doc is not the compiled-in one",
            r.meta.code
        );
    }
}

/// Markers `expect: SLxxx` across all fixtures.
fn marked_codes() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&manifest().join("fixtures"), &mut files);
    let mut codes = BTreeSet::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines() {
            if let Some(pos) = line.find("expect: SL") {
                for c in line[pos + 8..]
                    .split([',', ' '])
                    .filter(|c| c.starts_with("SL"))
                {
                    codes.insert(c.trim().to_string());
                }
            }
        }
        // JSON fixtures cannot carry comments; their golden JSON lists the codes.
        if f.file_name().is_some_and(|n| n == "expected.json") {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for finding in v["findings"].as_array().unwrap() {
                codes.insert(finding["code"].as_str().unwrap().to_string());
            }
            for e in v["errors"].as_array().unwrap() {
                codes.insert(e["code"].as_str().unwrap().to_string());
            }
        }
    }
    codes
}

#[test]
fn every_rule_fires_in_some_fixture() {
    let marked = marked_codes();
    for r in RULES {
        assert!(
            marked.contains(r.meta.code),
            "{} {} has no fixture where it fires",
            r.meta.code,
            r.meta.name
        );
    }
}

#[test]
fn messages_follow_the_style() {
    std::env::set_current_dir(manifest()).unwrap();
    let report = shardlint::check(
        &[PathBuf::from("fixtures")],
        &Config::default(),
        &LoadOptions::default(),
    );
    assert!(report.findings.len() > 20);
    for f in &report.findings {
        let what = format!("{} `{}`", f.code(), f.message);
        assert!(
            !f.message.ends_with('.'),
            "message ends with a period: {what}"
        );
        assert!(
            f.message.contains('`'),
            "message names no concrete value in backticks: {what}"
        );
        assert!(!f.help.ends_with('.'), "help ends with a period: {what}");
        let first = f.help.split_whitespace().next().unwrap_or("");
        assert!(
            first.chars().next().is_some_and(|c| c.is_lowercase()),
            "help is not an imperative sentence: {what}: {}",
            f.help
        );
        assert!(!f.label.is_empty(), "no label: {what}");
    }
}
