//! Renderers: pure functions from a [`Report`](crate::Report) to bytes. They decide nothing:
//! what to report and how severe it is was settled by the rules and the config.

pub mod checkstyle;
pub mod distribution;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod simulate;

/// 1-based start and end positions of a span, as every output format wants them.
pub fn positions(
    db: &crate::source::SourceDb,
    span: crate::source::Span,
) -> (usize, usize, usize, usize) {
    let s = db.start(span);
    let e = db.end(span);
    (s.line, s.column, e.line, e.column)
}

/// Where a span is, as the CI formats name it: the file relative to `root`, 1-based line and
/// column.
pub fn place(
    db: &crate::source::SourceDb,
    root: &std::path::Path,
    span: crate::source::Span,
) -> (String, usize, usize) {
    let p = db.start(span);
    (rel_path(root, &db.get(span.file).path), p.line, p.column)
}

/// Where an input error is: its span's place, or the start of the file it names (I/O errors).
pub fn error_place(
    db: &crate::source::SourceDb,
    root: &std::path::Path,
    e: &crate::diagnostic::InputError,
) -> (String, usize, usize) {
    match e.span {
        Some(s) => place(db, root, s),
        None => (rel_path(root, std::path::Path::new(&e.file)), 1, 1),
    }
}

/// A control character (C0, DEL, C1) or a Unicode line/paragraph separator, as one visible
/// character of the same width: `\x1b` becomes `␛`, `\n` `␊`, C1 controls `�`. A terminal
/// never sees an escape sequence or a line break that came from an input.
pub fn visible_char(c: char) -> Option<char> {
    match c as u32 {
        0x00..=0x1f => char::from_u32(0x2400 + c as u32),
        0x7f => Some('\u{2421}'),
        0x80..=0x9f | 0x2028 | 0x2029 => Some('\u{fffd}'),
        _ => None,
    }
}

/// `s` with every control character made visible ([`visible_char`]), newlines included: for
/// a message, a name or a value on one line.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    visible_except(s, &[])
}

/// `s` with every control character made visible except those in `keep`.
pub fn visible_except<'a>(s: &'a str, keep: &[char]) -> std::borrow::Cow<'a, str> {
    let needs = |c: char| visible_char(c).is_some() && !keep.contains(&c);
    if !s.chars().any(needs) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if needs(c) {
                    visible_char(c).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Serialized JSON with DEL, C1 controls and the Unicode line separators written as `\u`
/// escapes (serde_json escapes only C0): the same JSON value, but no byte of it that a
/// terminal or a log viewer acts on.
pub fn json_ascii_controls(json: String) -> String {
    if !json
        .chars()
        .any(|c| matches!(c as u32, 0x7f..=0x9f | 0x2028 | 0x2029))
    {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c as u32 {
            // Outside strings JSON has only ASCII punctuation, so these are inside strings.
            n @ (0x7f..=0x9f | 0x2028 | 0x2029) => out.push_str(&format!("\\u{n:04x}")),
            _ => out.push(c),
        }
    }
    out
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
            // C0, DEL and C1 controls are not allowed in XML 1.0 (or are terminal escapes).
            c if (c as u32) < 0x20
                || matches!(c as u32, 0x7f..=0x9f | 0x2028 | 0x2029)
                || c == '\u{FFFE}'
                || c == '\u{FFFF}' =>
            {
                out.push('\u{FFFD}')
            }
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
    crate::baseline::fingerprint(f.code(), &file, &f.path, db.text(f.span).trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_and_keep_their_width() {
        assert_eq!(visible("a\x1b]0;x\x07b\nc"), "a␛]0;x␇b␊c");
        assert_eq!(visible("\u{9b}2J\u{2028}"), "\u{fffd}2J\u{fffd}");
        assert_eq!(visible_except("a\tb\n", &['\t', '\n']), "a\tb\n");
        assert!(matches!(visible("plain é"), std::borrow::Cow::Borrowed(_)));
        let j = json_ascii_controls(serde_json::json!({"k": "\u{9b}\u{7f}\u{1b}"}).to_string());
        assert_eq!(j, r#"{"k":"\u009b\u007f\u001b"}"#);
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["k"], "\u{9b}\u{7f}\u{1b}");
    }
}
