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
    summary: &'a crate::diagnostic::Summary,
}

pub fn render(report: &Report) -> String {
    let db = &report.db;
    let doc = JsonReport {
        version: 1,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                code: f.code,
                rule: f.rule,
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
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| {
                let pos = e.span.map(|s| db.start(s));
                JsonError {
                    code: e.code,
                    file: e.file.clone(),
                    line: pos.map(|p| p.line),
                    column: pos.map(|p| p.column),
                    message: e.message.clone(),
                    help: e.help.clone(),
                }
            })
            .collect(),
        summary: &report.summary,
    };
    let mut s = super::json_ascii_controls(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}
