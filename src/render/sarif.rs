//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers. One run: the driver's
//! rules come from the registry (short description = summary, full description = the doc's
//! "What it does", help = the whole doc in markdown), results carry level, message, a physical
//! location relative to `%SRCROOT%` (columns count Unicode code points, as the run's `columnKind`
//! says), the logical path and related locations. Input errors are tool execution
//! notifications, not results. Checked against the vendored schema in `tests/sarif.rs` and with
//! Microsoft's validator by `scripts/validate-sarif.sh`.

use serde_json::{Value, json};

use super::positions;
use crate::Report;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{RULES, RuleMeta};
use crate::source::{SourceDb, Span};

/// The base that relative artifact URIs are resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

/// Options the CLI resolves.
#[derive(Clone, Debug, Default)]
pub struct SarifOptions {
    /// Absolute `file://` URI (ending in `/`) of the directory relative paths start from; omitted
    /// when `None` so that output does not depend on the machine.
    pub srcroot_uri: Option<String>,
    /// The repository root: artifact URIs and fingerprints are relative to it, so the output is
    /// the same from any working directory. `None`: paths as given.
    pub root: Option<std::path::PathBuf>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The paragraph under `## What it does` in a rule doc.
pub fn what_it_does(doc: &str) -> String {
    let Some(start) = doc.find("## What it does") else {
        return String::new();
    };
    let body = &doc[start + "## What it does".len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].trim().replace('\n', " ")
}

/// Percent-encodes a relative path for a URI reference (RFC 3986 path characters kept).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn artifact(file: &str) -> Value {
    if let Some(abs) = file.strip_prefix('/') {
        json!({ "uri": format!("file:///{}", uri_path(abs)) })
    } else if file.len() > 2 && file.as_bytes()[1] == b':' {
        // A Windows drive path.
        json!({ "uri": format!("file:///{}", uri_path(file)) })
    } else {
        json!({ "uri": uri_path(file), "uriBaseId": SRCROOT })
    }
}

fn file_name(db: &SourceDb, span: Span, root: Option<&std::path::Path>) -> String {
    match root {
        Some(r) => super::rel_path(r, &db.get(span.file).path),
        None => db.get(span.file).display_name(),
    }
}

/// Escapes `[` and `]` in SARIF message text, where an unescaped pair would be read as a link.
fn escape_text(s: &str) -> String {
    s.replace('[', "\\[").replace(']', "\\]")
}

/// A SARIF `fix`: one artifact change per file, its replacements in line/column and bytes.
fn fix(db: &SourceDb, x: &crate::diagnostic::Fix, root: Option<&std::path::Path>) -> Value {
    let mut files: Vec<crate::source::FileId> = x.edits.iter().map(|e| e.span.file).collect();
    files.dedup();
    let changes: Vec<Value> = files
        .into_iter()
        .map(|file| {
            let replacements: Vec<Value> = x
                .edits
                .iter()
                .filter(|e| e.span.file == file)
                .map(|e| {
                    let (line, column, end_line, end_column) = positions(db, e.span);
                    json!({
                        "deletedRegion": {
                            "startLine": line,
                            "startColumn": column,
                            "endLine": end_line,
                            "endColumn": end_column,
                            "byteOffset": e.span.start,
                            "byteLength": e.span.len(),
                        },
                        "insertedContent": { "text": e.text },
                    })
                })
                .collect();
            json!({
                "artifactLocation": artifact(&file_name(db, Span::new(file, 0, 0), root)),
                "replacements": replacements,
            })
        })
        .collect();
    json!({
        "description": { "text": escape_text(&x.title) },
        "artifactChanges": changes,
    })
}

fn physical(db: &SourceDb, span: Span, root: Option<&std::path::Path>) -> Value {
    let (line, column, end_line, end_column) = positions(db, span);
    let file = db.get(span.file);
    let mut region = json!({
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column,
    });
    // Snippets are optional in SARIF; one over the bound is left out, so that a minified
    // 50 MB line does not become 150 MB of SARIF (viewers then read the file itself).
    if !span.is_empty() && span.len() <= MAX_SNIPPET {
        region["snippet"] = json!({ "text": db.text(span) });
    }
    let mut location = json!({
        "artifactLocation": artifact(&file_name(db, span, root)),
        "region": region,
    });
    // The whole lines the region is on, so viewers can show it without the file.
    let context: Vec<&str> = (line..=end_line).map(|l| file.line_text(l)).collect();
    let context_len: usize = context.iter().map(|l| l.len() + 1).sum();
    if context_len <= MAX_CONTEXT {
        location["contextRegion"] = json!({
            "startLine": line,
            "endLine": end_line,
            "snippet": { "text": context.join("\n") },
        });
    }
    location
}

/// Most bytes of a region's snippet.
pub const MAX_SNIPPET: usize = 4 << 10;
/// Most bytes of the lines around a region given as context.
pub const MAX_CONTEXT: usize = 16 << 10;

fn rule_descriptor(meta: &RuleMeta) -> Value {
    let full = what_it_does(meta.doc);
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": if full.is_empty() { meta.summary.to_string() } else { full } },
        "helpUri": versioned_doc_url(meta),
        "help": { "text": meta.doc, "markdown": meta.doc },
        "defaultConfiguration": { "level": level(meta.severity) },
        "properties": { "tags": [meta.group.name()] },
    })
}

/// The rule's doc at the tag of the running version, so the help matches the binary.
pub fn versioned_doc_url(meta: &RuleMeta) -> String {
    format!(
        "{}/blob/v{}/rules/{}.md",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION"),
        meta.code
    )
}

pub fn render(report: &Report) -> String {
    render_with(report, &SarifOptions::default())
}

pub fn render_with(report: &Report, opts: &SarifOptions) -> String {
    let db = &report.db;
    let rules: Vec<Value> = RULES.iter().map(|r| rule_descriptor(r.meta)).collect();
    let root = opts.root.as_deref();
    let result = |f: &Finding, suppression: Option<Value>| {
        let mut location = json!({ "physicalLocation": physical(db, f.span, root) });
        if !f.path.is_empty() {
            location["logicalLocations"] = json!([{ "fullyQualifiedName": f.path }]);
        }
        // Code scanning links `[text](id)` in the message to the related location `id`.
        let mut text = format!(
            "{}. Help: {}",
            escape_text(&f.message),
            escape_text(&f.help)
        );
        if !f.related.is_empty() {
            let links: Vec<String> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| format!("[{}]({})", escape_text(&r.message), i + 1))
                .collect();
            text.push_str(&format!(" Related: {}.", links.join("; ")));
        }
        let fp = match root {
            Some(r) => super::fingerprint(db, r, f),
            None => crate::baseline::fingerprint(
                f.code(),
                &db.get(f.span.file).display_name(),
                &f.path,
                db.text(f.span).trim(),
            ),
        };
        let mut result = json!({
            "ruleId": f.code(),
            "level": level(f.severity),
            "message": { "text": text },
            "locations": [location],
            "partialFingerprints": { "shardlintFinding/v2": fp },
        });
        if let Some(i) = RULES.iter().position(|r| r.meta.code == f.code()) {
            result["ruleIndex"] = json!(i);
        }
        if !f.related.is_empty() {
            result["relatedLocations"] = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut loc = json!({
                        "id": i + 1,
                        "physicalLocation": physical(db, r.span, root),
                        "message": { "text": escape_text(&r.message) },
                    });
                    if !r.path.is_empty() {
                        loc["logicalLocations"] = json!([{ "fullyQualifiedName": r.path }]);
                    }
                    loc
                })
                .collect();
        }
        if !f.fixes.is_empty() {
            result["fixes"] = f.fixes.iter().map(|x| fix(db, x, root)).collect();
        }
        if let Some(s) = suppression {
            result["suppressions"] = json!([s]);
        }
        result
    };
    let mut results: Vec<Value> = report.findings.iter().map(|f| result(f, None)).collect();
    results.extend(report.suppressed.iter().map(|f| {
        result(
            f,
            Some(json!({
                "kind": "inSource",
                "status": "accepted",
                "justification": "a `shardlint:ignore` comment or CloudFormation Metadata",
            })),
        )
    }));
    results.extend(report.baselined.iter().map(|f| {
        result(
            f,
            Some(json!({
                "kind": "external",
                "status": "accepted",
                "justification": "listed in the baseline",
            })),
        )
    }));
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            // Named relative to the repository root, like the locations, so that the message
            // does not depend on the working directory either.
            let file = match root {
                Some(r) => super::rel_path(r, std::path::Path::new(&e.file)),
                None => e.file.clone(),
            };
            let location = match e.span {
                Some(span) => json!({ "physicalLocation": physical(db, span, root) }),
                None => json!({ "physicalLocation": { "artifactLocation": artifact(&file) } }),
            };
            let text = match &e.help {
                Some(h) => format!("{file}: {}. Help: {h}", e.message),
                None => format!("{file}: {}", e.message),
            };
            json!({
                "level": "error",
                "message": { "text": text },
                "locations": [location],
                "descriptor": { "id": e.code() },
            })
        })
        .collect();
    let mut invocation = json!({ "executionSuccessful": report.errors.is_empty() });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let mut srcroot = json!({
        "description": { "text": "The repository root; file paths are relative to it." },
    });
    if let Some(uri) = &opts.srcroot_uri {
        srcroot["uri"] = json!(uri);
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "shardlint",
                    "fullName": crate::version::long_version_line(),
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                },
            },
            "automationDetails": { "id": "shardlint/" },
            "invocations": [invocation],
            "originalUriBaseIds": { SRCROOT: srcroot },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = super::json_ascii_controls(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}

/// `file:///abs/dir/` for a directory, for `originalUriBaseIds`.
pub fn dir_uri(dir: &std::path::Path) -> Option<String> {
    let s = dir.to_string_lossy().replace('\\', "/");
    let s = s.trim_start_matches('/');
    let mut uri = format!("file:///{}", uri_path(s));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_paragraph_and_uris() {
        assert_eq!(
            what_it_does("# X\n\n## What it does\nA\nB.\n\n## Why is this bad?\nC"),
            "A B."
        );
        assert_eq!(uri_path("a b/ü.tf"), "a%20b/%C3%BC.tf");
        assert_eq!(artifact("/x/y.tf")["uri"], "file:///x/y.tf");
        assert_eq!(artifact("x/y.tf")["uriBaseId"], SRCROOT);
    }
}
