//! `shardlint server`: a Language Server over stdio (lsp-server + lsp-types). On open, change and
//! save it checks the document's directory (the module's other files from disk, the open buffer
//! in place of its file, the `shardlint.toml` governing it) and publishes the document's findings
//! and input errors; offers each finding's fixes and "suppress with reason" as quick fixes; shows
//! the rule's doc on hover. Changes that arrive together are checked once (the queue is drained
//! before checking). Sits beside the CLI: it runs the same `check_settings` and renders nothing.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, Hover, HoverContents, HoverParams,
    HoverProviderCapability, Location, MarkupContent, MarkupKind, NumberOrString, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri, WorkspaceEdit,
};

use crate::diagnostic::{Applicability, Finding, Fix, Severity};
use crate::source::{SourceDb, Span};

/// One published diagnostic with what code actions and hover need.
struct Published {
    diagnostic: Diagnostic,
    actions: Vec<CodeAction>,
    doc: Option<&'static str>,
}

#[derive(Default)]
struct State {
    /// Open documents: their text as the editor has it.
    docs: HashMap<String, String>,
    published: HashMap<String, Vec<Published>>,
}

/// Runs the server until the client says `exit`; the exit code of the process.
pub fn run() -> i32 {
    let (connection, io) = Connection::stdio();
    let caps = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..Default::default()
    };
    let caps = match serde_json::to_value(caps) {
        Ok(c) => c,
        Err(_) => return 2,
    };
    if let Err(e) = connection.initialize(caps) {
        eprintln!("shardlint server: {e}");
        return 2;
    }
    let code = match serve(&connection) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("shardlint server: {e}");
            1
        }
    };
    drop(connection);
    let _ = io.join();
    code
}

fn serve(conn: &Connection) -> Result<(), Box<dyn std::error::Error>> {
    let mut state = State::default();
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    loop {
        // Check only once the queue is empty: a burst of keystrokes is checked once.
        if !dirty.is_empty() && conn.receiver.is_empty() {
            for uri in std::mem::take(&mut dirty) {
                publish(conn, &mut state, &uri)?;
            }
            continue;
        }
        let Ok(msg) = conn.receiver.recv() else {
            return Ok(());
        };
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req)? {
                    return Ok(());
                }
                // Answer about the text the client sees: check pending changes first.
                for uri in std::mem::take(&mut dirty) {
                    publish(conn, &mut state, &uri)?;
                }
                let resp = handle_request(&state, req);
                conn.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                if let Some(uri) = handle_notification(&mut state, n) {
                    dirty.insert(uri);
                }
            }
            Message::Response(_) => {}
        }
    }
}

/// Updates the open documents; the URI to re-check, if any.
fn handle_notification(state: &mut State, n: Notification) -> Option<String> {
    match n.method.as_str() {
        "textDocument/didOpen" => {
            let p: DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let uri = p.text_document.uri.as_str().to_string();
            state.docs.insert(uri.clone(), p.text_document.text);
            Some(uri)
        }
        "textDocument/didChange" => {
            let p: DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let uri = p.text_document.uri.as_str().to_string();
            // Full sync: the last change holds the whole text.
            if let Some(c) = p.content_changes.into_iter().last() {
                state.docs.insert(uri.clone(), c.text);
            }
            Some(uri)
        }
        "textDocument/didSave" => {
            let p: DidSaveTextDocumentParams = serde_json::from_value(n.params).ok()?;
            Some(p.text_document.uri.as_str().to_string())
        }
        "textDocument/didClose" => {
            let p: DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let uri = p.text_document.uri.as_str().to_string();
            state.docs.remove(&uri);
            state.published.remove(&uri);
            None
        }
        _ => None,
    }
}

fn handle_request(state: &State, req: Request) -> Response {
    let result = match req.method.as_str() {
        "textDocument/codeAction" => serde_json::from_value::<CodeActionParams>(req.params)
            .ok()
            .map(|p| {
                let uri = p.text_document.uri.as_str();
                let actions: Vec<CodeActionOrCommand> = state
                    .published
                    .get(uri)
                    .into_iter()
                    .flatten()
                    .filter(|d| overlaps(d.diagnostic.range, p.range))
                    .flat_map(|d| d.actions.iter().cloned())
                    .map(CodeActionOrCommand::CodeAction)
                    .collect();
                serde_json::to_value(actions).unwrap_or_default()
            }),
        "textDocument/hover" => serde_json::from_value::<HoverParams>(req.params)
            .ok()
            .map(|p| {
                let pos = p.text_document_position_params.position;
                let uri = p.text_document_position_params.text_document.uri.as_str();
                let hover = state
                    .published
                    .get(uri)
                    .into_iter()
                    .flatten()
                    .find(|d| contains(d.diagnostic.range, pos) && d.doc.is_some())
                    .map(|d| Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value: d.doc.unwrap_or_default().to_string(),
                        }),
                        range: Some(d.diagnostic.range),
                    });
                serde_json::to_value(hover).unwrap_or_default()
            }),
        _ => {
            return Response::new_err(
                req.id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("unsupported request {}", req.method),
            );
        }
    };
    match result {
        Some(v) => Response::new_ok(req.id, v),
        None => Response::new_err(
            req.id,
            lsp_server::ErrorCode::InvalidParams as i32,
            "invalid parameters".into(),
        ),
    }
}

fn overlaps(a: Range, b: Range) -> bool {
    !(pos_lt(a.end, b.start) || pos_lt(b.end, a.start))
}

fn contains(r: Range, p: Position) -> bool {
    !pos_lt(p, r.start) && !pos_lt(r.end, p)
}

fn pos_lt(a: Position, b: Position) -> bool {
    (a.line, a.character) < (b.line, b.character)
}

/// Checks the document's directory and publishes the document's diagnostics.
fn publish(
    conn: &Connection,
    state: &mut State,
    uri: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = file_path(uri) else {
        return Ok(());
    };
    let text = state.docs.get(uri).cloned();
    // A half-typed file must never take the server down: a panic in a check is contained.
    let published = std::panic::catch_unwind(|| diagnose(&path, text)).unwrap_or_default();
    let params = PublishDiagnosticsParams {
        uri: uri.parse()?,
        diagnostics: published.iter().map(|p| p.diagnostic.clone()).collect(),
        version: None,
    };
    state.published.insert(uri.to_string(), published);
    conn.sender.send(Message::Notification(Notification::new(
        "textDocument/publishDiagnostics".into(),
        params,
    )))?;
    Ok(())
}

/// The findings and input errors located in `path`, with the open buffer's `text` in place of
/// the file on disk.
fn diagnose(path: &Path, text: Option<String>) -> Vec<Published> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut opts = crate::load::LoadOptions::default();
    if let Some(t) = text {
        opts.overlay = Arc::new(HashMap::from([(path.to_path_buf(), t)]));
    }
    let Ok(mut settings) =
        crate::config_file::Settings::new(None, crate::config_file::Overrides::default())
    else {
        return Vec::new();
    };
    let Ok(report) = crate::check_settings(
        &[dir],
        &mut settings,
        &opts,
        &crate::samples::SampleOptions::default(),
        None,
    ) else {
        return Vec::new();
    };
    let db = &report.db;
    let mut out = Vec::new();
    for f in &report.findings {
        if db.get(f.span.file).path != path {
            continue;
        }
        out.push(finding(db, f));
    }
    let shown = crate::source::display_path(path);
    for e in &report.errors {
        if e.file != shown {
            continue;
        }
        let range = e.span.map(|s| range(db, s)).unwrap_or_default();
        out.push(Published {
            diagnostic: Diagnostic {
                range,
                severity: Some(DiagnosticSeverity::ERROR),
                code: Some(NumberOrString::String(e.meta.code.into())),
                source: Some("shardlint".into()),
                message: match &e.help {
                    Some(h) => format!("{}\nhelp: {h}", e.message),
                    None => e.message.clone(),
                },
                ..Default::default()
            },
            actions: Vec::new(),
            doc: Some(e.meta.doc),
        });
    }
    out
}

// lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose cache clippy sees as mutable.
#[allow(clippy::mutable_key_type)]
fn finding(db: &SourceDb, f: &Finding) -> Published {
    let meta = Some(f.meta);
    let diagnostic = Diagnostic {
        range: range(db, f.span),
        severity: Some(match f.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(f.meta.code.into())),
        code_description: meta
            .and_then(|m| m.doc_url().parse().ok())
            .map(|href| CodeDescription { href }),
        source: Some("shardlint".into()),
        message: format!("{}\nhelp: {}", f.message, f.help),
        related_information: Some(
            f.related
                .iter()
                .filter_map(|r| {
                    Some(DiagnosticRelatedInformation {
                        location: Location {
                            uri: file_uri(&db.get(r.span.file).path)?,
                            range: range(db, r.span),
                        },
                        message: r.message.clone(),
                    })
                })
                .collect(),
        )
        .filter(|v: &Vec<_>| !v.is_empty()),
        ..Default::default()
    };
    let mut fixes: Vec<Fix> = f.fixes.clone();
    fixes.extend(suppression(db, f));
    let actions = fixes
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
            for e in &x.edits {
                changes
                    .entry(file_uri(&db.get(e.span.file).path)?)
                    .or_default()
                    .push(TextEdit {
                        range: range(db, e.span),
                        new_text: e.text.clone(),
                    });
            }
            Some(CodeAction {
                title: match x.applicability {
                    Applicability::Safe => format!("{} ({})", x.title, f.code()),
                    Applicability::Unsafe => format!("{} ({}, review)", x.title, f.code()),
                },
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    ..Default::default()
                }),
                is_preferred: Some(i == 0 && x.applicability == Applicability::Safe),
                ..Default::default()
            })
        })
        .collect();
    Published {
        diagnostic,
        actions,
        doc: meta.map(|m| m.doc),
    }
}

/// "Suppress with reason", in the comment syntax of the finding's file (its dialect is found
/// through the model origin of the finding's path; a `#` line comment is what every commented
/// format shardlint reads uses).
fn suppression(db: &SourceDb, f: &Finding) -> Option<Fix> {
    let kind = kind_of_path(&db.get(f.span.file).path);
    crate::fix::suppression(db, kind.dialect(), f)
}

/// The dialect for comments: JSON files have none; the others (HCL, YAML) use `#`.
fn kind_of_path(path: &Path) -> crate::model::SourceKind {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => crate::model::SourceKind::TerraformJson,
        Some("tf") | Some("tfvars") | Some("hcl") => crate::model::SourceKind::Terraform,
        _ => crate::model::SourceKind::CloudFormation,
    }
}

/// An LSP range (0-based lines, UTF-16 columns) for a byte span.
fn range(db: &SourceDb, span: Span) -> Range {
    Range {
        start: position(db, span.file, span.start),
        end: position(db, span.file, span.end),
    }
}

fn position(db: &SourceDb, file: crate::source::FileId, byte: usize) -> Position {
    let f = db.get(file);
    let lc = f.line_col(byte);
    let start = f.offset_of(lc.line, 0);
    let byte = byte.min(f.text.len()).max(start);
    let col = f
        .text
        .get(start..byte)
        .map_or(0, |s| s.encode_utf16().count());
    Position {
        line: (lc.line - 1) as u32,
        character: col as u32,
    }
}

/// The path of a `file://` URI, percent-decoded.
fn file_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(rest.get(i + 1..i + 3)?, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// A `file://` URI for a path (made absolute), percent-encoding what URIs do not allow.
fn file_uri(path: &Path) -> Option<Uri> {
    let abs = std::path::absolute(path).ok()?;
    let mut s = String::from("file://");
    for b in abs.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}
