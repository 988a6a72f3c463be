//! Source files and spans: every loaded file gets a `FileId`; every value keeps a byte `Span`
//! into it. Line/column conversion and the mapping from a decoded string back into its raw
//! source text live here, so loaders and renderers agree on positions.

use std::path::{Path, PathBuf};

/// Index of a file in the [`SourceDb`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// 1-based line and column (columns count Unicode code points, as editors show them).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// How a string value was written, so an offset inside the decoded string can be mapped back to
/// the exact byte in the file (a template error points at its column inside the quotes).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Escapes {
    /// The span covers exactly the decoded text (YAML plain scalars, block scalars, CLI values).
    #[default]
    Verbatim,
    /// A double-quoted HCL string: `\"`, `\\`, `\n`, `\uXXXX`, `$${` and `%%{`.
    HclQuoted,
    /// A JSON or YAML double-quoted string: backslash escapes.
    DoubleQuoted,
    /// A YAML single-quoted string: `''` is one quote.
    SingleQuoted,
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as given on the command line or found under it.
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// The display name used in every output: forward slashes, no leading `./`.
    pub fn display_name(&self) -> String {
        display_path(&self.path)
    }

    pub fn line_col(&self, byte: usize) -> LineCol {
        let byte = byte.min(self.text.len());
        let line_idx = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx];
        let col = self
            .text
            .get(start..byte)
            .map(|s| s.chars().count())
            .unwrap_or(byte - start);
        LineCol {
            line: line_idx + 1,
            column: col + 1,
        }
    }

    /// Byte offset of a 1-based line and a 0-based char column, clamped to the line.
    pub fn offset_of(&self, line: usize, char_col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let line_text = &self.text[start..end];
        start
            + line_text
                .char_indices()
                .nth(char_col)
                .map(|(i, _)| i)
                .unwrap_or(line_text.trim_end_matches('\n').len())
    }

    /// The text of a 1-based line without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Normalises a path for output: forward slashes and no leading `./`.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// All files read in one run.
#[derive(Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        self.files.push(SourceFile::new(path, text));
        FileId((self.files.len() - 1) as u32)
    }
    /// Renames a file (text read from stdin is shown under `--stdin-filename`).
    pub fn set_path(&mut self, id: FileId, path: PathBuf) {
        self.files[id.0 as usize].path = path;
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .text
            .get(span.start..span.end)
            .unwrap_or("")
    }
    pub fn start(&self, span: Span) -> LineCol {
        self.get(span.file).line_col(span.start)
    }
    pub fn end(&self, span: Span) -> LineCol {
        self.get(span.file).line_col(span.end)
    }

    /// Maps a byte range of the decoded string back to the raw source. `span` covers the whole
    /// string as written (including its quotes for quoted kinds).
    pub fn sub_span(&self, span: Span, escapes: Escapes, decoded: std::ops::Range<usize>) -> Span {
        let raw = self.text(span);
        let map = decoded_to_raw(raw, escapes);
        let at = |d: usize| -> usize {
            map.iter()
                .find(|(dec, _)| *dec >= d)
                .map(|(_, r)| *r)
                .unwrap_or(raw.len())
        };
        let s = at(decoded.start);
        let e = at(decoded.end).max(s);
        Span::new(span.file, span.start + s, span.start + e)
    }
}

/// Pairs (decoded byte offset, raw byte offset) at every decoded char boundary, plus the end.
fn decoded_to_raw(raw: &str, escapes: Escapes) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(raw.len() + 1);
    let bytes = raw.as_bytes();
    let (mut i, end) = match escapes {
        Escapes::Verbatim => (0, raw.len()),
        _ => {
            let quoted = matches!(bytes.first(), Some(b'"') | Some(b'\''));
            if quoted {
                let close = if raw.len() >= 2 && bytes[raw.len() - 1] == bytes[0] {
                    raw.len() - 1
                } else {
                    raw.len()
                };
                (1, close)
            } else {
                (0, raw.len())
            }
        }
    };
    let mut dec = 0usize;
    while i < end {
        out.push((dec, i));
        let rest = &raw[i..end];
        let ch = rest.chars().next().unwrap_or(' ');
        let (raw_len, dec_len) = match escapes {
            Escapes::HclQuoted if rest.starts_with("$${") || rest.starts_with("%%{") => (3, 2),
            Escapes::HclQuoted | Escapes::DoubleQuoted if ch == '\\' => {
                let next = rest[1..].chars().next().unwrap_or(' ');
                match next {
                    'u' => (6.min(rest.len()), 1),
                    'U' => (10.min(rest.len()), 1),
                    'x' => (4.min(rest.len()), 1),
                    c => (1 + c.len_utf8(), 1),
                }
            }
            Escapes::SingleQuoted if rest.starts_with("''") => (2, 1),
            _ => (ch.len_utf8(), ch.len_utf8()),
        };
        i += raw_len.max(1);
        dec += dec_len;
    }
    out.push((dec, i.min(end)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let f = SourceFile::new("a".into(), "ab\nü日x\n".into());
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'x' is after ü (2 bytes) and 日 (3 bytes)
        assert_eq!(f.line_col(8), LineCol { line: 2, column: 3 });
        assert_eq!(f.offset_of(2, 2), 8);
    }

    #[test]
    fn hcl_escape_maps_back() {
        let mut db = SourceDb::default();
        let text = r#"k = "$${vin" "#;
        let id = db.add("a.tf".into(), text.into());
        let span = Span::new(id, 4, 13); // "$${vin"
        // decoded is `${vin`; the `${` at decoded 0..2 is raw `$${`
        let s = db.sub_span(span, Escapes::HclQuoted, 0..2);
        assert_eq!(db.text(s), "$${");
        let s = db.sub_span(span, Escapes::HclQuoted, 2..5);
        assert_eq!(db.text(s), "vin");
    }

    #[test]
    fn double_quoted_escape_maps_back() {
        let mut db = SourceDb::default();
        let id = db.add("a.json".into(), r#""a\"${b""#.into());
        let span = Span::new(id, 0, 8);
        let s = db.sub_span(span, Escapes::DoubleQuoted, 2..4);
        assert_eq!(db.text(s), "${");
    }
}
