//! JUnit XML (`--format junit`), the test-report format Jenkins, GitLab (`artifacts:reports:junit`),
//! Azure Pipelines and CircleCI display: one `<testsuite>` per checked file, one failing
//! `<testcase>` per finding (`classname` the file, `name` the rule and line) and one passing
//! test case for a clean file, so the report lists what was checked. Input errors are test
//! cases with an `<error>`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{error_place, place, rel_path, xml_escape};
use crate::Report;

struct Case {
    name: String,
    /// (element, message, type, body); `None` for a passing case.
    outcome: Option<(&'static str, String, String, String)>,
}

pub fn render(report: &Report, root: &Path) -> String {
    let db = &report.db;
    let mut suites: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    let reported: std::collections::HashSet<_> =
        report.findings.iter().map(|f| f.span.file).collect();
    // Every file read and recognised is a suite, so a clean file shows as passing.
    for (id, file) in db.files() {
        if report.skipped.contains(&id) {
            continue;
        }
        let name = rel_path(root, &file.path);
        let entry = suites.entry(name).or_default();
        if !reported.contains(&id)
            && !report
                .errors
                .iter()
                .any(|e| e.span.is_some_and(|s| s.file == id))
        {
            entry.push(Case {
                name: "shardlint".into(),
                outcome: None,
            });
        }
    }
    for f in &report.findings {
        let (file, line, column) = place(db, root, f.span);
        let mut body = format!("{file}:{line}:{column}: {}\nhelp: {}", f.message, f.help);
        for r in &f.related {
            let (rfile, rline, rcolumn) = place(db, root, r.span);
            body.push_str(&format!(
                "\nrelated: {} ({rfile}:{rline}:{rcolumn})",
                r.message
            ));
        }
        suites.entry(file).or_default().push(Case {
            name: format!("{} {} (line {line})", f.code(), f.rule()),
            outcome: Some((
                "failure",
                f.message.clone(),
                f.severity.as_str().to_string(),
                body,
            )),
        });
    }
    for e in &report.errors {
        let (file, line, _) = error_place(db, root, e);
        let body = match &e.help {
            Some(h) => format!("{}\nhelp: {h}", e.message),
            None => e.message.clone(),
        };
        suites.entry(file).or_default().push(Case {
            name: format!("{} (line {line})", e.code()),
            outcome: Some(("error", e.message.clone(), e.code().to_string(), body)),
        });
    }
    let count = |cases: &[Case], kind: &str| {
        cases
            .iter()
            .filter(|c| c.outcome.as_ref().is_some_and(|o| o.0 == kind))
            .count()
    };
    let all: Vec<&Case> = suites.values().flatten().collect();
    let total_failures = all
        .iter()
        .filter(|c| c.outcome.as_ref().is_some_and(|o| o.0 == "failure"))
        .count();
    let total_errors = all
        .iter()
        .filter(|c| c.outcome.as_ref().is_some_and(|o| o.0 == "error"))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"shardlint\" tests=\"{}\" failures=\"{total_failures}\" errors=\"{total_errors}\">\n",
        all.len()
    ));
    for (i, (file, cases)) in suites.iter().enumerate() {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" id=\"{i}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">\n",
            xml_escape(file),
            cases.len(),
            count(cases, "failure"),
            count(cases, "error"),
        ));
        for c in cases {
            let attrs = format!(
                "name=\"{}\" classname=\"{}\"",
                xml_escape(&c.name),
                xml_escape(file)
            );
            match &c.outcome {
                None => out.push_str(&format!("    <testcase {attrs}/>\n")),
                Some((elem, message, kind, body)) => out.push_str(&format!(
                    "    <testcase {attrs}>\n      <{elem} message=\"{}\" type=\"{}\">{}</{elem}>\n    </testcase>\n",
                    xml_escape(message),
                    xml_escape(kind),
                    xml_escape(body)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
