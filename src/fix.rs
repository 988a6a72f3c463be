//! Fixes: builds the edits rules attach to findings (in the syntax of the finding's format,
//! through its [`Dialect`]), picks the non-overlapping ones a run may apply, applies them to the
//! text, writes files atomically and prints unified diffs. Sits between the rules (which call the
//! builders) and the CLI/server (which apply or offer the result); knows no format itself.

use std::collections::BTreeMap;
use std::path::Path;

/// The directive, after a comment marker.
pub const DIRECTIVE: &str = "shardlint:ignore";

use crate::diagnostic::{Applicability, Edit, Finding, Fix};
use crate::model::{Dialect, EventSourceMapping, SourceKind, Val};
use crate::source::{FileId, SourceDb, Span};

/// How many times `check --fix` re-checks and applies again (fixes that overlapped wait a round).
pub const MAX_ROUNDS: usize = 5;

/// A fix that replaces the bytes of `span`.
pub fn replace(
    title: impl Into<String>,
    applicability: Applicability,
    span: Span,
    text: String,
) -> Fix {
    Fix {
        title: title.into(),
        applicability,
        edits: vec![Edit { span, text }],
    }
}

/// A fix that sets a written integer to `new`, when the span holds exactly the number (a value
/// from elsewhere, e.g. a variable, is left to the author).
pub fn set_number<T: PartialEq + ToString>(
    db: &SourceDb,
    kind: SourceKind,
    val: &Val<T>,
    old: i64,
    new: i64,
    name: &str,
) -> Option<Fix> {
    let span = val.span.filter(|_| kind.is_authored())?;
    (db.text(span).trim() == old.to_string()).then(|| {
        replace(
            format!("Set `{name}` to `{new}`"),
            Applicability::Unsafe,
            span,
            new.to_string(),
        )
    })
}

/// The settings of a mapping that are written in place, with their API names: candidate
/// siblings to insert new settings next to.
fn written_settings(m: &EventSourceMapping) -> Vec<(&'static str, Option<Span>, bool)> {
    let i = |v: &Val<i64>| (v.span, v.via.is_empty());
    let s = |v: &Val<String>| (v.span, v.via.is_empty());
    [
        ("EventSourceArn", s(&m.source_arn)),
        ("FunctionName", s(&m.function)),
        ("BatchSize", i(&m.batch_size)),
        ("MaximumBatchingWindowInSeconds", i(&m.batching_window)),
        ("ParallelizationFactor", i(&m.parallelization_factor)),
        ("StartingPosition", s(&m.starting_position)),
        ("MaximumRetryAttempts", i(&m.max_retry_attempts)),
        ("MaximumRecordAgeInSeconds", i(&m.max_record_age)),
        ("BisectBatchOnFunctionError", (m.bisect_on_error.span, true)),
        ("TumblingWindowInSeconds", i(&m.tumbling_window)),
    ]
    .into_iter()
    .map(|(api, (span, here))| (api, span, here))
    .collect()
}

/// Edits inserting `settings` (API name, value) after the last setting written directly in the
/// mapping, at its indentation; `None` when no such sibling line is found or the format cannot
/// take new lines (JSON, exports).
pub fn insert_settings(
    db: &SourceDb,
    dialect: &Dialect,
    m: &EventSourceMapping,
    settings: &[(&str, &str)],
) -> Option<Vec<Edit>> {
    let mut anchor: Option<(Span, usize)> = None;
    for (api, span, here) in written_settings(m) {
        let Some(span) = span.filter(|_| here) else {
            continue;
        };
        let file = db.get(span.file);
        let line_no = file.line_col(span.start).line;
        let line = file.line_text(line_no);
        let name = (dialect.param)(api);
        let Some(rest) = line.trim_start().strip_prefix(name.as_str()) else {
            continue;
        };
        if !rest.trim_start().starts_with(['=', ':']) {
            continue;
        }
        if anchor.is_none_or(|(a, _)| a.file == span.file && span.end > a.end) {
            anchor = Some((span, line_no));
        }
    }
    let (span, line_no) = anchor?;
    let file = db.get(span.file);
    let line = file.line_text(line_no);
    // After the line where the anchor's value ends (a YAML value may span lines).
    let end_line = file.line_col(span.end).line;
    let at = file.offset_of(end_line + 1, 0);
    let mut text = String::new();
    if at == file.text.len() && !file.text.ends_with('\n') {
        text.push('\n');
    }
    for (api, value) in settings {
        text.push_str(&(dialect.setting_line)(&(dialect.param)(api), value, line)?);
        text.push('\n');
    }
    Some(vec![Edit {
        span: Span::new(span.file, at, at),
        text,
    }])
}

/// Retries a poison batch gets once bounded, and the age after which it is dropped: small enough
/// that a bad record stops blocking its shard within the hour.
pub const RETRIES: i64 = 3;
pub const RECORD_AGE_SECONDS: i64 = 3600;

/// SL302/SL303: bound retries and record age and bisect failing batches, setting whichever of the
/// three is absent or unbounded (`-1`), in the mapping's own syntax. Unsafe: the author chooses
/// what a dropped batch costs.
pub fn bound_retries(db: &SourceDb, m: &EventSourceMapping) -> Option<Fix> {
    if !m.origin.kind.is_authored() {
        return None;
    }
    let dialect = m.origin.kind.dialect();
    let mut edits = Vec::new();
    let mut insert: Vec<(&str, String)> = Vec::new();
    for (val, api, value) in [
        (&m.max_retry_attempts, "MaximumRetryAttempts", RETRIES),
        (
            &m.max_record_age,
            "MaximumRecordAgeInSeconds",
            RECORD_AGE_SECONDS,
        ),
    ] {
        match val.get() {
            // Not written anywhere: a value from elsewhere (a caller's lookup) is not "not set".
            None if val.is_absent() && val.span.is_none() => insert.push((api, value.to_string())),
            Some(-1) => edits.extend(
                set_number(db, m.origin.kind, val, -1, value, &(dialect.param)(api))?.edits,
            ),
            _ => {}
        }
    }
    if m.bisect_on_error.is_absent() && m.bisect_on_error.span.is_none() {
        insert.push(("BisectBatchOnFunctionError", "true".into()));
    }
    if !insert.is_empty() {
        let pairs: Vec<(&str, &str)> = insert.iter().map(|(a, v)| (*a, v.as_str())).collect();
        edits.extend(insert_settings(db, dialect, m, &pairs)?);
    }
    if edits.is_empty() {
        return None;
    }
    Some(Fix {
        title: format!(
            "Bound retries ({} attempts, {} s record age) and bisect failing batches",
            RETRIES, RECORD_AGE_SECONDS
        ),
        applicability: Applicability::Unsafe,
        edits,
    })
}

/// "Suppress with reason": a `shardlint:ignore` comment on its own line above the finding, in
/// the file's comment syntax, with a reason to fill in. Offered by the server, never applied by
/// `--fix`.
pub fn suppression(db: &SourceDb, dialect: &Dialect, f: &Finding) -> Option<Fix> {
    let file = db.get(f.span.file);
    let line_no = file.line_col(f.span.start).line;
    let line = file.line_text(line_no);
    let comment = (dialect.line_comment)(line)?;
    let at = file.offset_of(line_no, 0);
    Some(Fix {
        title: format!("Suppress {} with a reason", f.code()),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            span: Span::new(f.span.file, at, at),
            text: format!(
                "{}{comment} {} {} -- <reason>\n",
                crate::model::indentation(line),
                DIRECTIVE,
                f.code()
            ),
        }],
    })
}

/// The first fix of each finding allowed by `unsafe_ok`, per file, skipping any whose edits
/// touch an edit already chosen (the next round picks it up after a re-check).
pub fn choose(findings: &[Finding], unsafe_ok: bool) -> Chosen {
    let mut out: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    let mut fixes = 0;
    for f in findings {
        let Some(fix) = f
            .fixes
            .iter()
            .find(|x| x.applicability == Applicability::Safe || unsafe_ok)
        else {
            continue;
        };
        let clashes = fix.edits.iter().any(|e| {
            out.get(&e.span.file).is_some_and(|taken| {
                taken.iter().any(|t| {
                    (e.span.start < t.span.end && t.span.start < e.span.end)
                        || e.span.start == t.span.start
                        || (e.span.is_empty() && (t.span.start..t.span.end).contains(&e.span.start))
                        || (t.span.is_empty() && (e.span.start..e.span.end).contains(&t.span.start))
                })
            })
        });
        if clashes {
            continue;
        }
        fixes += 1;
        for e in &fix.edits {
            out.entry(e.span.file).or_default().push(e.clone());
        }
    }
    for edits in out.values_mut() {
        edits.sort_by_key(|e| (e.span.start, e.span.end));
    }
    Chosen { files: out, fixes }
}

/// The edits to make, per file, sorted, and how many findings they fix.
#[derive(Debug, Default)]
pub struct Chosen {
    pub files: BTreeMap<FileId, Vec<Edit>>,
    pub fixes: usize,
}

/// `text` with non-overlapping, sorted `edits` applied; every other byte is kept.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.span.start]);
        out.push_str(&e.text);
        at = e.span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Replaces `path` with `text` through a temporary file in the same directory, keeping the
/// file's permissions: a reader sees the old file or the new one, never a half-written one.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A unified diff of one file, a relative name `a/` and `b/` prefixed as `git diff` prints it.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let (a, b) = if name.starts_with('/') {
        (name.to_string(), name.to_string())
    } else {
        (format!("a/{name}"), format!("b/{name}"))
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_keeps_every_other_byte() {
        let f = FileId(0);
        let text = "a = \"vin\"\r\nb = 1\n";
        let edits = vec![
            Edit {
                span: Span::new(f, 4, 9),
                text: "\"$${vin}\"".into(),
            },
            Edit {
                span: Span::new(f, 17, 17),
                text: "c = 2\n".into(),
            },
        ];
        assert_eq!(apply(text, &edits), "a = \"$${vin}\"\r\nb = 1\nc = 2\n");
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let f = FileId(0);
        let finding = |start, end| Finding {
            meta: crate::rules::find("SL101").unwrap().meta,
            severity: crate::diagnostic::Severity::Error,
            message: String::new(),
            help: String::new(),
            span: Span::new(f, start, end),
            label: String::new(),
            path: String::new(),
            related: Vec::new(),
            fixes: vec![replace(
                "t",
                Applicability::Safe,
                Span::new(f, start, end),
                "x".into(),
            )],
        };
        let chosen = choose(&[finding(0, 4), finding(2, 6), finding(6, 8)], false);
        assert_eq!(chosen.fixes, 2);
        let spans: Vec<_> = chosen.files[&f]
            .iter()
            .map(|e| (e.span.start, e.span.end))
            .collect();
        assert_eq!(spans, vec![(0, 4), (6, 8)]);
    }

    #[test]
    fn unsafe_fixes_need_the_flag() {
        let f = FileId(0);
        let mut finding = Finding {
            meta: crate::rules::find("SL301").unwrap().meta,
            severity: crate::diagnostic::Severity::Error,
            message: String::new(),
            help: String::new(),
            span: Span::new(f, 0, 1),
            label: String::new(),
            path: String::new(),
            related: Vec::new(),
            fixes: Vec::new(),
        };
        finding.fixes.push(replace(
            "t",
            Applicability::Unsafe,
            finding.span,
            "1".into(),
        ));
        assert!(
            choose(std::slice::from_ref(&finding), false)
                .files
                .is_empty()
        );
        assert_eq!(choose(&[finding], true).fixes, 1);
    }
}
