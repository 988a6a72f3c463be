//! JSON output, version 1: `{"version": 1, "findings": [...], "errors": [...], "summary": {...}}`.
//! Positions are 1-based; files are as given on the command line or found under it. A stable
//! contract for CI scripts: fields are only ever added.

use serde::Serialize;

use super::positions;
use crate::Report;
use crate::source::{SourceDb, Span};

#[derive(Serialize)]
struct Location {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn location(db: &SourceDb, span: Span) -> Location {
    let (line, column, end_line, end_column) = positions(db, span);
    Location {
        file: db.get(span.file).display_name(),
        line,
        column,
        end_line,
        end_column,
    }
}

#[derive(Serialize)]
struct JsonRelated {
    #[serde(flatten)]
    loc: Location,
    path: String,
    message: String,
}

#[derive(Serialize)]
struct JsonFinding {
    code: &'static str,
    rule: &'static str,
    severity: &'static str,
    message: String,
    help: String,
    #[serde(flatten)]
    loc: Location,
    path: String,
    related: Vec<JsonRelated>,
    /// Ways to resolve the finding, best first; absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<JsonFix>,
}

#[derive(Serialize)]
struct JsonFix {
    title: String,
    applicability: crate::diagnostic::Applicability,
    edits: Vec<JsonEdit>,
}

/// Replace the bytes `byte_start..byte_end` (an insertion when equal) with `text`.
#[derive(Serialize)]
struct JsonEdit {
    #[serde(flatten)]
    loc: Location,
    byte_start: usize,
    byte_end: usize,
    text: String,
}

#[derive(Serialize)]
struct JsonError {
    code: &'static str,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
    help: Option<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    findings: Vec<JsonFinding>,
    errors: Vec<JsonError>,
    /// Baseline entries that matched no finding (`--baseline`); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stale_baseline: Vec<JsonStale>,
    summary: &'a crate::diagnostic::Summary,
}

#[derive(Serialize)]
struct JsonStale {
    baseline: String,
    #[serde(flatten)]
    entry: crate::baseline::Entry,
}

pub fn render(report: &Report) -> String {
    let db = &report.db;
    let doc = JsonReport {
        version: 1,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                code: f.code(),
                rule: f.rule(),
                severity: f.severity.as_str(),
                message: f.message.clone(),
                help: f.help.clone(),
                loc: location(db, f.span),
                path: f.path.clone(),
                related: f
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        loc: location(db, r.span),
                        path: r.path.clone(),
                        message: r.message.clone(),
                    })
                    .collect(),
                fixes: f
                    .fixes
                    .iter()
                    .map(|x| JsonFix {
                        title: x.title.clone(),
                        applicability: x.applicability,
                        edits: x
                            .edits
                            .iter()
                            .map(|e| JsonEdit {
                                loc: location(db, e.span),
                                byte_start: e.span.start,
                                byte_end: e.span.end,
                                text: e.text.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| {
                let pos = e.span.map(|s| db.start(s));
                JsonError {
                    code: e.code(),
                    file: e.file.clone(),
                    line: pos.map(|p| p.line),
                    column: pos.map(|p| p.column),
                    message: e.message.clone(),
                    help: e.help.clone(),
                }
            })
            .collect(),
        stale_baseline: report
            .stale_baseline
            .iter()
            .map(|(b, e)| JsonStale {
                baseline: crate::source::display_path(b),
                entry: e.clone(),
            })
            .collect(),
        summary: &report.summary,
    };
    let mut s = super::json_ascii_controls(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}

/// `--statistics --format json`: `[{"code", "name", "count"}]`, most frequent first.
pub fn statistics(report: &Report) -> String {
    let rows: Vec<serde_json::Value> = super::human::rule_counts(report)
        .into_iter()
        .map(|(code, name, count)| serde_json::json!({"code": code, "name": name, "count": count}))
        .collect();
    let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
    s.push('\n');
    s
}
