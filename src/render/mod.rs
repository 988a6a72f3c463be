//! Renderers: pure functions from a [`Report`](crate::Report) to bytes. They decide nothing:
//! what to report and how severe it is was settled by the rules and the config.

pub mod checkstyle;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

/// 1-based start and end positions of a span, as every output format wants them.
pub fn positions(
    db: &crate::source::SourceDb,
    span: crate::source::Span,
) -> (usize, usize, usize, usize) {
    let s = db.start(span);
    let e = db.end(span);
    (s.line, s.column, e.line, e.column)
}

/// The repository root: the closest directory holding `.git` at or above the current directory,
/// else the current directory. CI formats name files relative to it, whatever the working
/// directory shardlint was run from.
pub fn repo_root() -> std::path::PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let cwd = crate::baseline::absolute(&cwd);
    cwd.ancestors()
        .find(|a| a.join(".git").exists())
        .map(std::path::Path::to_path_buf)
        .unwrap_or(cwd)
}

/// A file's path relative to `root` (forward slashes); the absolute path when it lies outside.
pub fn rel_path(root: &std::path::Path, file: &std::path::Path) -> String {
    let abs = crate::baseline::absolute(file);
    match abs.strip_prefix(root) {
        Ok(rel) => crate::source::display_path(rel),
        Err(_) => crate::source::display_path(&abs),
    }
}

/// Escapes text for an XML attribute or element (JUnit, checkstyle). Characters XML 1.0 cannot
/// hold at all (most C0 controls) become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A finding's fingerprint for CI systems: the baseline's (rule, file relative to the repository
/// root, logical path, offending text), so it survives lines moving and does not depend on the
/// working directory.
pub fn fingerprint(
    db: &crate::source::SourceDb,
    root: &std::path::Path,
    f: &crate::diagnostic::Finding,
) -> String {
    let file = rel_path(root, &db.get(f.span.file).path);
    crate::baseline::fingerprint(f.code, &file, &f.path, db.text(f.span).trim())
}
