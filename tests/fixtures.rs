//! Walks every case under `fixtures/`: runs `check` on it, verifies the `expect: CODE` markers
//! against the findings (every marker fires, nothing fires unmarked in a marked file), and compares
//! the human (no colour, width 80) and JSON output with `expected.txt` / `expected.json`.
//! `UPDATE_EXPECT=1 cargo test --test fixtures` rewrites the golden files: read the diff.
//! A case with a `samples.jsonl` is checked with `--samples` (small, hand-made samples only), and
//! a `record-time` file adds `--record-time`, a `rule` file `--rule`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use shardlint::load::LoadOptions;
use shardlint::render;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// (file, line, code) for every `expect: CODE[, CODE]` marker in the case's text files.
fn markers(case: &Path, rel: &str) -> (BTreeSet<(String, usize, String)>, BTreeSet<String>) {
    let mut set = BTreeSet::new();
    let mut marked_files = BTreeSet::new();
    for entry in walk(case) {
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        let name = format!(
            "{rel}/{}",
            entry
                .strip_prefix(case)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        );
        for (i, line) in text.lines().enumerate() {
            if let Some(pos) = line.find("expect: SL") {
                marked_files.insert(name.clone());
                for code in line[pos + 8..]
                    .split([',', ' ', '"'])
                    .filter(|c| c.starts_with("SL"))
                {
                    set.insert((name.clone(), i + 1, code.trim().to_string()));
                }
            }
        }
    }
    (set, marked_files)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if !p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("expected")
        {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_fixture_matches_its_markers_and_golden_files() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(manifest).unwrap();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let rel = format!("fixtures/{}", case.file_name().unwrap().to_string_lossy());
        // A case may carry its own `shardlint.toml` (found by walking up, as the CLI does).
        let paths = [PathBuf::from(&rel)];
        let config = shardlint::config_file::resolve(None, &paths)
            .unwrap_or_else(|e| panic!("{rel}: config: {e}"));
        let samples = case.join("samples.jsonl");
        let sample_opts = shardlint::samples::SampleOptions {
            files: if samples.is_file() {
                vec![PathBuf::from(format!("{rel}/samples.jsonl"))]
            } else {
                Vec::new()
            },
            // A `rule` file routes the samples to that IoT rule or EventBridge target (`--rule`).
            rule: std::fs::read_to_string(case.join("rule"))
                .ok()
                .map(|r| r.trim().to_string()),
            record_time: std::fs::read_to_string(case.join("record-time"))
                .ok()
                .map(|t| shardlint::simulate::model::parse_record_time(t.trim()).unwrap()),
            ..Default::default()
        };
        let report =
            shardlint::check_with_samples(&paths, &config, &LoadOptions::default(), &sample_opts);
        let (expected, marked_files) = markers(&case, &rel);
        let got: BTreeSet<(String, usize, String)> = report
            .findings
            .iter()
            .map(|f| {
                (
                    report.db.get(f.span.file).display_name(),
                    report.db.start(f.span).line,
                    f.code().to_string(),
                )
            })
            .filter(|(file, _, _)| marked_files.contains(file))
            .collect();
        for missing in expected.difference(&got) {
            failures.push(format!(
                "{rel}: expected {} at {}:{} did not fire",
                missing.2, missing.0, missing.1
            ));
        }
        for extra in got.difference(&expected) {
            failures.push(format!(
                "{rel}: unexpected {} at {}:{}",
                extra.2, extra.0, extra.1
            ));
        }
        let text = render::human::render(&report, render::human::HumanOptions::default());
        let json = render::json::render(&report);
        for (name, actual) in [("expected.txt", &text), ("expected.json", &json)] {
            let path = case.join(name);
            if update {
                std::fs::write(&path, actual).unwrap();
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(want) if &want == actual => {}
                Ok(want) => failures.push(format!(
                    "{rel}/{name} differs (UPDATE_EXPECT=1 rewrites it; read the diff):\n--- expected\n{want}\n--- actual\n{actual}"
                )),
                Err(_) => failures.push(format!("{rel}/{name} is missing (UPDATE_EXPECT=1 writes it)")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
