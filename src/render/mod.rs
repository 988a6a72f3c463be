//! Renderers: pure functions from a [`Report`](crate::Report) to bytes. They decide nothing:
//! what to report and how severe it is was settled by the rules and the config.

pub mod github;
pub mod html;
pub mod human;
pub mod json;
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
