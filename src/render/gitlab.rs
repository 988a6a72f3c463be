//! GitLab Code Quality report (`--format gitlab`): the JSON array GitLab reads from
//! `artifacts:reports:codequality` — `description`, `check_name`, `fingerprint`, `severity`
//! (`info`…`blocker`), `location.path` relative to the repository root and `location.lines.begin`
//! (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format). Input errors
//! are reported too (GitLab has no other channel), as `blocker`s.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use super::{error_place, fingerprint, place, positions, rel_path};
use crate::Report;
use crate::diagnostic::Severity;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn render(report: &Report, root: &Path) -> String {
    let db = &report.db;
    let mut seen: HashMap<String, usize> = HashMap::new();
    // GitLab needs each fingerprint once per report: equal findings get a running number.
    let mut unique = |fp: String| {
        let n = seen.entry(fp.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { fp } else { format!("{fp}-{n}") }
    };
    let mut issues: Vec<Value> = Vec::new();
    for f in &report.findings {
        let (line, _, end_line, _) = positions(db, f.span);
        let mut description = format!("{} {}: {}", f.code(), f.rule(), f.message);
        for r in &f.related {
            let (rfile, rline, _) = place(db, root, r.span);
            description.push_str(&format!(" (related: {} at {rfile}:{rline})", r.message));
        }
        issues.push(json!({
            "type": "issue",
            "description": description,
            "content": { "body": format!("help: {}", f.help) },
            "check_name": f.code(),
            "categories": ["Bug Risk"],
            "fingerprint": unique(fingerprint(db, root, f)),
            "severity": severity(f.severity),
            "location": {
                "path": rel_path(root, &db.get(f.span.file).path),
                "lines": { "begin": line, "end": end_line },
            },
        }));
    }
    for e in &report.errors {
        let (path, line, _) = error_place(db, root, e);
        let fp = crate::baseline::fingerprint(e.code(), &path, "", &e.message);
        issues.push(json!({
            "type": "issue",
            "description": format!("{}: {}", e.code(), e.message),
            "check_name": e.code(),
            "categories": ["Bug Risk"],
            "fingerprint": unique(fp),
            "severity": "blocker",
            "location": { "path": path, "lines": { "begin": line } },
        }));
    }
    let mut s = super::json_ascii_controls(
        serde_json::to_string_pretty(&Value::Array(issues)).unwrap_or_default(),
    );
    s.push('\n');
    s
}
