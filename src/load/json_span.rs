//! A JSON-shaped tree with byte spans on every node, shared by the CloudFormation, AWS CLI export
//! and Terraform plan loaders: strict JSON is read here with jsonc-parser, and CloudFormation YAML
//! is lowered into the same [`Node`] so one walker serves both template syntaxes.

use jsonc_parser::ast;

use crate::diagnostic::InputError;
use crate::source::{Escapes, FileId, SourceDb, Span};

/// Deeper documents are refused: real templates, exports and plans nest a few dozen levels, and
/// the walkers (and saphyr) recurse.
pub const MAX_DEPTH: usize = 200;

#[derive(Clone, Debug)]
pub struct Node {
    /// The whole node as written; for a YAML tagged node it includes the tag.
    pub span: Span,
    /// How a string at `span` is written (quotes, escapes).
    pub escapes: Escapes,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Null,
    Bool(bool),
    /// A number as written (JSON keeps the text; YAML numbers are rendered back to text).
    Num(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
    /// A YAML local tag such as `!Sub`: the suffix without the `!`.
    Tagged(String, Box<Node>),
}

#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The key's span of a map entry (where a resource is declared).
    pub fn key_span(&self, key: &str) -> Option<Span> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _)| k.name == key).map(|(k, _)| k.span),
            _ => None,
        }
    }
    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.kind {
            Kind::Map(m) => m,
            _ => &[],
        }
    }
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(v) => v,
            _ => &[],
        }
    }
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    /// A scalar as text (`8`, `true`, `vin`); `None` for null, collections and tags.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) | Kind::Num(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    /// Walks `a.b.c` through maps.
    pub fn at(&self, dotted: &str) -> Option<&Node> {
        dotted.split('.').try_fold(self, |n, k| n.get(k))
    }
}

/// Strict JSON (no comments, trailing commas, single quotes...) as jsonc-parser documents it.
fn strict() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// A syntax error with its position.
#[derive(Debug)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// Parses strict JSON. `Ok(None)` for an empty (whitespace-only) file.
pub fn parse_json(db: &SourceDb, file: FileId) -> Result<Option<Node>, SyntaxError> {
    let text = &db.get(file).text;
    let res = jsonc_parser::parse_to_ast(text, &Default::default(), &strict()).map_err(|e| {
        let r = e.range();
        SyntaxError {
            span: Span::new(file, r.start, r.end),
            message: e.kind().to_string(),
        }
    })?;
    match res.value {
        None => Ok(None),
        Some(v) => lower_json(&v, file, 0).map(Some),
    }
}

/// Parses JSON that is not a whole file (a definition inside a string), leniently: spans are
/// offsets into `text` under `file`, for the caller to map back.
pub fn parse_json_text(text: &str, file: FileId) -> Result<Option<Node>, SyntaxError> {
    let res = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default()).map_err(
        |e| {
            let r = e.range();
            SyntaxError {
                span: Span::new(file, r.start, r.end),
                message: e.kind().to_string(),
            }
        },
    )?;
    match res.value {
        None => Ok(None),
        Some(v) => lower_json(&v, file, 0).map(Some),
    }
}

fn lower_json(v: &ast::Value, file: FileId, depth: usize) -> Result<Node, SyntaxError> {
    let range = match v {
        ast::Value::StringLit(s) => s.range,
        ast::Value::NumberLit(n) => n.range,
        ast::Value::BooleanLit(b) => b.range,
        ast::Value::Object(o) => o.range,
        ast::Value::Array(a) => a.range,
        ast::Value::NullKeyword(n) => n.range,
    };
    let span = Span::new(file, range.start, range.end);
    if depth > MAX_DEPTH {
        return Err(SyntaxError {
            span,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    let mut escapes = Escapes::Verbatim;
    let kind = match v {
        ast::Value::StringLit(s) => {
            escapes = Escapes::DoubleQuoted;
            Kind::Str(s.value.to_string())
        }
        ast::Value::NumberLit(n) => Kind::Num(n.value.to_string()),
        ast::Value::BooleanLit(b) => Kind::Bool(b.value),
        ast::Value::NullKeyword(_) => Kind::Null,
        ast::Value::Array(a) => Kind::Seq(
            a.elements
                .iter()
                .map(|e| lower_json(e, file, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ast::Value::Object(o) => {
            let mut out = Vec::with_capacity(o.properties.len());
            for p in &o.properties {
                let (name, r) = match &p.name {
                    ast::ObjectPropName::String(s) => (s.value.to_string(), s.range),
                    ast::ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                };
                out.push((
                    Key {
                        name,
                        span: Span::new(file, r.start, r.end),
                    },
                    lower_json(&p.value, file, depth + 1)?,
                ));
            }
            Kind::Map(out)
        }
    };
    Ok(Node {
        span,
        escapes,
        kind,
    })
}

/// Whether the raw text names something only our formats contain. A file that fails to parse is
/// reported only when it does: random broken JSON/YAML in a repository is not our business, but a
/// broken template or export must not be skipped silently.
pub fn mentions_any(text: &str, markers: &[&str]) -> bool {
    markers.iter().any(|m| text.contains(m))
}

/// How a loader names its format when a file of its kind cannot be parsed.
pub struct Format {
    /// Texts only this format contains; a broken file is reported only when it has one.
    pub markers: &'static [&'static str],
    /// `AWS CLI export`, `Terraform plan JSON`, `template`.
    pub what: &'static str,
    pub help: &'static str,
}

/// Parses a JSON file once for every JSON loader. `Ok(None)`: not a JSON object (skipped). A
/// syntax error is an input error for the first format whose markers the text mentions, and
/// skipped when it mentions none: broken JSON that is not ours is not our business.
pub fn parse_for(
    db: &SourceDb,
    file: FileId,
    formats: &[&Format],
) -> Result<Option<Node>, InputError> {
    let text = &db.get(file).text;
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    match parse_json(db, file) {
        Ok(root) => Ok(root),
        Err(e) => match formats.iter().find(|f| mentions_any(text, f.markers)) {
            Some(f) => Err(input_error(
                db,
                file,
                Some(e.span),
                format!("cannot parse {}: {}", f.what, e.message),
                Some(f.help),
            )),
            None => Ok(None),
        },
    }
}

/// The `SL001` input error for a file of ours that cannot be read.
pub fn input_error(
    db: &SourceDb,
    file: FileId,
    span: Option<Span>,
    message: String,
    help: Option<&str>,
) -> InputError {
    InputError {
        meta: &crate::diagnostic::INPUT_PARSE_ERROR,
        file: db.get(file).display_name(),
        span,
        message,
        help: help.map(str::to_string),
    }
}

/// Appends a map key or a sequence index to a logical path.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(text: &str) -> (SourceDb, FileId) {
        let mut db = SourceDb::default();
        let id = db.add("t.json".into(), text.into());
        (db, id)
    }

    #[test]
    fn strings_keep_their_quotes_in_the_span() {
        let (db, id) = db_with("{\"a\": [1, \"x\\\"y\"]}");
        let n = parse_json(&db, id).unwrap().unwrap();
        let s = &n.get("a").unwrap().items()[1];
        assert_eq!(db.text(s.span), "\"x\\\"y\"");
        assert_eq!(s.escapes, Escapes::DoubleQuoted);
        assert_eq!(s.as_str(), Some("x\"y"));
    }

    #[test]
    fn trailing_comma_is_an_error_with_position() {
        let (db, id) = db_with("{\n  \"a\": 1,\n}");
        let e = parse_json(&db, id).unwrap_err();
        assert_eq!(db.start(e.span).line, 2);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (db, id) = db_with(&text);
        assert!(parse_json(&db, id).is_err());
        let text = format!("{}{}", "[".repeat(300), "]".repeat(300));
        let (db, id) = db_with(&text);
        assert!(parse_json(&db, id).is_err());
    }
}
