//! Shared by the fuzz targets: one scratch directory per process, a check of one file in it,
//! and the output invariants every renderer must keep (no control character from an input).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use shardlint::Report;
use shardlint::config::Config;
use shardlint::load::LoadOptions;

/// A directory private to this fuzzing process (libFuzzer runs one input at a time).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("shardlint-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    })
}

/// Writes `data` as `name` in a fresh module directory and checks that directory.
pub fn check_one(name: &str, data: &[u8]) -> Report {
    let dir = scratch().join("m");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("module dir");
    std::fs::write(dir.join(name), data).expect("write input");
    shardlint::check(
        &[dir],
        &Config::default(),
        &LoadOptions {
            no_ignore: true,
            ..LoadOptions::default()
        },
    )
}

/// Every output format of a report, each checked: no raw control character but line ends (and
/// tabs in snippets), and no line that starts a workflow command other than ours.
pub fn render_all(report: &Report) {
    use shardlint::render;
    let outputs = [
        (
            "text",
            render::human::render(report, Default::default()),
            false,
        ),
        ("json", render::json::render(report), false),
        ("sarif", render::sarif::render(report), false),
        ("github", render::github::render(report), true),
        ("junit", render::junit::render(report, scratch()), false),
        ("gitlab", render::gitlab::render(report, scratch()), false),
        (
            "checkstyle",
            render::checkstyle::render(report, scratch()),
            false,
        ),
        (
            "text, colour",
            render::human::render(
                report,
                render::human::HumanOptions {
                    color: true,
                    ..Default::default()
                },
            ),
            false,
        ),
        (
            "html",
            render::html::render(
                report,
                &render::html::HtmlInput::from_report(report, &Config::default()),
                &Config::default(),
            ),
            false,
        ),
    ];
    for (name, out, commands) in outputs {
        // Colour is miette's own escapes; only its line structure is checked.
        for c in out.chars().filter(|_| !name.ends_with("colour")) {
            let bad = matches!(c as u32, 0x00..=0x08 | 0x0b..=0x1f | 0x7f..=0x9f | 0x2028 | 0x2029)
                && c != '\r';
            assert!(!bad, "{name}: raw control {c:?} in the output");
        }
        for line in out.lines() {
            if line.trim_start().starts_with("::") {
                assert!(
                    commands
                        && ["::error file=", "::warning file=", "::notice file="]
                            .iter()
                            .any(|p| line.starts_with(p)),
                    "{name}: a line starts a workflow command: {line:?}"
                );
            }
        }
    }
}
