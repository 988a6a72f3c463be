//! Serverless Framework variables (`${self:...}`, `${opt:stage, 'dev'}`, `${sls:stage}`,
//! `${env:NAME, 'default'}`, `${file(./x.yml):key}`), resolved statically before the file is read,
//! following the framework's own parser (`lib/configuration/variables/parse.js`):
//!
//! - a `${...}` is a variable only when it starts with a source (`name:` or `name(...)`); anything
//!   else (`${vin}`, `${AWS::Region}`, `${Database}`) is "foreign" and left as written, so an IoT
//!   substitution template in a key reaches IoT unchanged;
//! - `\${...}` is an escape: written without the backslash, never resolved;
//! - a source the framework does not know (`${newuuid()}`, `${topic(3)}`) fails the deploy with
//!   "Unrecognized configuration variable sources" — recorded as an IaC interpolation (SL106);
//! - `opt:`, `env:` and the remote sources (`ssm:`, `cf:`, `s3:`, `aws:`, `param:`) are not known
//!   statically: the next fallback source is used, else the value is unknown, never guessed.

use std::path::{Path, PathBuf};

use crate::load::cloudformation::UNKNOWN_TAG;
use crate::load::json_span::{Kind, Node};
use crate::model::{IacEffect, IacInterpolation, IacTool};
use crate::source::{Escapes, FileId, Span};

/// Variables resolving to variables: deeper is a cycle.
const MAX_DEPTH: usize = 16;
/// A `file(...)` larger than this is not read.
const MAX_FILE: u64 = 1 << 20;
/// Longest string a resolution may produce.
const MAX_STRING: usize = 1 << 20;

/// Sources the framework resolves itself (a plugin may add more; those stay unknown).
const KNOWN_SOURCES: &[&str] = &[
    "self",
    "opt",
    "sls",
    "env",
    "file",
    "cf",
    "s3",
    "ssm",
    "aws",
    "param",
    "strToBool",
    "git",
    "sls",
    "output",
];

pub(super) struct Resolver<'a> {
    pub db: &'a crate::source::SourceDb,
    pub root: &'a Node,
    /// Files included with `${file(...)}`.
    pub included: Vec<PathBuf>,
    /// Whole-node inclusions made so far (a file that includes itself stops here).
    pub inclusions: usize,
    pub dir: PathBuf,
    pub file: FileId,
    pub stage: Option<String>,
    /// Interpolations that break a partition key, by the span of the string they are in.
    pub interps: Vec<(Span, IacInterpolation)>,
}

enum Out {
    Text(String),
    Unknown(String),
}

impl<'a> Resolver<'a> {
    /// A copy of `n` with every string's variables resolved; an unresolvable string becomes an
    /// unknown node with the reason.
    pub fn tree(&mut self, n: &Node) -> Node {
        let kind = match &n.kind {
            Kind::Str(s) if s.contains("${") => {
                // A string that is one `${self:...}` of a map or list takes that whole node.
                if self.inclusions < 64
                    && let Some(node) = self.whole_node(s, n.span)
                {
                    self.inclusions += 1;
                    return self.tree(&node);
                }
                match self.string(s, n.span, n.escapes, 0) {
                    Out::Text(t) => Kind::Str(t),
                    Out::Unknown(reason) => Kind::Tagged(
                        UNKNOWN_TAG.into(),
                        Box::new(Node {
                            span: n.span,
                            escapes: n.escapes,
                            kind: Kind::Str(reason),
                        }),
                    ),
                }
            }
            Kind::Seq(items) => Kind::Seq(items.iter().map(|i| self.tree(i)).collect()),
            Kind::Map(entries) => Kind::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.tree(v)))
                    .collect(),
            ),
            Kind::Tagged(t, inner) => Kind::Tagged(t.clone(), Box::new(self.tree(inner))),
            other => other.clone(),
        };
        Node {
            span: n.span,
            escapes: n.escapes,
            kind,
        }
    }

    /// A string that is exactly one `${self:...}` or `${file(...)}` naming a map or list: that
    /// node (a file's node takes the span of the string that includes it).
    fn whole_node(&mut self, s: &str, span: Span) -> Option<Node> {
        let inner = s.strip_prefix("${")?.strip_suffix('}')?;
        if inner.contains(['$', ',', '{']) {
            return None;
        }
        let target = if let Some(addr) = inner.strip_prefix("self:") {
            self.lookup_self(addr, 0)?
        } else {
            self.file_node_spanned(inner, span)?
        };
        matches!(target.kind, Kind::Map(_) | Kind::Seq(_)).then_some(target)
    }

    /// `self:a.b.c`, following `${file(...)}` and `${self:...}` met on the way.
    fn lookup_self(&self, address: &str, depth: usize) -> Option<Node> {
        let mut cur = self.root.clone();
        for part in address.split('.').filter(|p| !p.is_empty()) {
            cur = self.follow(cur, depth)?;
            cur = match &cur.kind {
                Kind::Map(_) => cur.get(part)?.clone(),
                Kind::Seq(items) => items.get(part.parse::<usize>().ok()?)?.clone(),
                _ => return None,
            };
        }
        self.follow(cur, depth)
    }

    /// A node that is one `${file(...)}`/`${self:...}` string: what it names.
    fn follow(&self, n: Node, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let Kind::Str(s) = &n.kind else {
            return Some(n);
        };
        let Some(inner) = s.strip_prefix("${").and_then(|x| x.strip_suffix('}')) else {
            return Some(n);
        };
        if inner.contains(['$', ',', '{']) {
            return Some(n);
        }
        if let Some(addr) = inner.strip_prefix("self:") {
            return self.lookup_self(addr, depth + 1);
        }
        if inner.starts_with("file(") {
            let mut f = self.file_node(inner)?;
            respan(&mut f, n.span);
            return Some(f);
        }
        Some(n)
    }

    /// Like [`Self::file_node`], with the spans of the included file when it is one of the run's
    /// files (so findings land in it), else the span of the string that includes it.
    fn file_node_spanned(&mut self, inner: &str, span: Span) -> Option<Node> {
        let rest = inner.strip_prefix("file(")?;
        let close = rest.find(')')?;
        let rel = rest[..close].trim().trim_matches(['\'', '"']);
        let path = crate::load::normalize_path(&self.dir.join(rel));
        let address = rest[close + 1..].strip_prefix(':').unwrap_or("");
        if let Some((id, f)) = self
            .db
            .files()
            .find(|(_, f)| crate::load::normalize_path(&f.path) == path)
        {
            let node = crate::load::cloudformation::parse_yaml_text(&f.text, id)?;
            self.included.push(f.path.clone());
            return if address.is_empty() {
                Some(node)
            } else {
                lookup(&node, address).cloned()
            };
        }
        let mut n = self.file_node(inner)?;
        respan(&mut n, span);
        Some(n)
    }

    /// `file(./x.yml)` or `file(./x.yml):a.b`: the node it names.
    fn file_node(&self, inner: &str) -> Option<Node> {
        let rest = inner.strip_prefix("file(")?;
        let close = rest.find(')')?;
        let rel = rest[..close].trim().trim_matches(['\'', '"']);
        let address = rest[close + 1..].strip_prefix(':').unwrap_or("");
        let node = read_file(&self.dir.join(rel), self.file)?;
        if address.is_empty() {
            Some(node)
        } else {
            lookup(&node, address).cloned()
        }
    }

    /// Resolves the variables in `s`. `span`/`escapes` locate `s` for interpolations.
    fn string(&mut self, s: &str, span: Span, escapes: Escapes, depth: usize) -> Out {
        if depth > MAX_DEPTH {
            return Out::Unknown(
                "Serverless variables refer to each other too deeply (a cycle?)".into(),
            );
        }
        let mut out = String::new();
        let mut i = 0;
        let bytes = s.as_bytes();
        while i < s.len() {
            if bytes[i] == b'\\' && s[i + 1..].starts_with("${") {
                // `\${...}`: the framework writes it without the backslash, unresolved.
                out.push('$');
                i += 2;
                continue;
            }
            if !s[i..].starts_with("${") {
                let c = s[i..].chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8().max(1);
                continue;
            }
            let Some(end) = closing(s, i + 2) else {
                out.push_str(&s[i..]);
                break;
            };
            let content = &s[i + 2..end];
            let whole = &s[i..=end];
            match source_of(content) {
                None => out.push_str(whole),
                Some(_) => match self.sources(content, span, escapes, i, whole, depth) {
                    Out::Text(t) => out.push_str(&t),
                    u => return u,
                },
            }
            if out.len() > MAX_STRING {
                return Out::Unknown("a Serverless variable produces an over-long string".into());
            }
            i = end + 1;
        }
        Out::Text(out)
    }

    /// `${src1, src2, 'literal'}`: the first source that resolves.
    fn sources(
        &mut self,
        content: &str,
        span: Span,
        escapes: Escapes,
        at: usize,
        whole: &str,
        depth: usize,
    ) -> Out {
        let mut first_unknown: Option<String> = None;
        for src in split_top(content) {
            let src = src.trim();
            if let Some(lit) = literal(src) {
                return Out::Text(lit);
            }
            let Some(name) = source_of(src) else {
                continue;
            };
            let rest = &src[name.len()..];
            let (params, address) = match rest.strip_prefix('(') {
                Some(r) => match r.find(')') {
                    Some(close) => (
                        Some(r[..close].to_string()),
                        r[close + 1..].strip_prefix(':').unwrap_or("").to_string(),
                    ),
                    None => (None, String::new()),
                },
                None => (None, rest.strip_prefix(':').unwrap_or("").to_string()),
            };
            // Variables inside the address resolve first.
            let address = match self.string(&address, span, escapes, depth + 1) {
                Out::Text(t) => t,
                u => return u,
            };
            let r = match name {
                "self" => match self.lookup_self(&address, depth) {
                    Some(n) => match n.scalar_text() {
                        Some(t) => self.string(&t, span, escapes, depth + 1),
                        None if matches!(n.kind, Kind::Null) => {
                            Out::Unknown(format!("`self:{address}` is null"))
                        }
                        None => Out::Unknown(format!("`self:{address}` is not a single value")),
                    },
                    None => Out::Unknown(format!("`self:{address}` is not set in this file")),
                },
                "sls" if address == "stage" => Out::Text(self.stage()),
                "file" => self.file_value(params.as_deref().unwrap_or(""), &address, depth),
                "opt" => Out::Unknown(format!("`opt:{address}` is given on the command line")),
                "env" => Out::Unknown(format!("`env:{address}` comes from the environment")),
                n if KNOWN_SOURCES.contains(&n) => {
                    Out::Unknown(format!("`{n}:` is resolved at deploy time"))
                }
                n => {
                    // The framework rejects a source it does not know: the deploy fails.
                    let (s, e) = locate(span, escapes, at, whole.len());
                    let iot = format!("\\{whole}");
                    self.interps.push((
                        span,
                        IacInterpolation {
                            tool: IacTool::Serverless,
                            expr: content.to_string(),
                            span: Span::new(span.file, s, e),
                            escaped_form: iot,
                            effect: IacEffect::Rejected,
                        },
                    ));
                    return Out::Unknown(format!(
                        "the Serverless Framework rejects `${{{content}}}`: `{n}` is not a variable source it knows"
                    ));
                }
            };
            match r {
                Out::Text(t) => return Out::Text(t),
                Out::Unknown(why) => {
                    first_unknown.get_or_insert(why);
                }
            }
        }
        Out::Unknown(first_unknown.unwrap_or_else(|| format!("`${{{content}}}` is not resolved")))
    }

    pub fn stage(&self) -> String {
        self.stage.clone().unwrap_or_else(|| "dev".into())
    }

    fn file_value(&mut self, param: &str, address: &str, depth: usize) -> Out {
        let rel = param.trim().trim_matches(['\'', '"']);
        let path = self.dir.join(rel);
        let Some(node) = read_file(&path, self.file) else {
            return Out::Unknown(format!("`file({rel})` is not readable here"));
        };
        let target = if address.is_empty() {
            Some(&node)
        } else {
            lookup(&node, address)
        };
        match target.and_then(Node::scalar_text) {
            Some(t) => {
                let span = self.root.span;
                self.string(&t, span, Escapes::Verbatim, depth + 1)
            }
            None => Out::Unknown(format!("`file({rel}):{address}` is not a single value")),
        }
    }
}

/// Spans of a node read from another file: all point at the string that includes it.
fn respan(n: &mut Node, span: Span) {
    n.span = span;
    match &mut n.kind {
        Kind::Seq(items) => items.iter_mut().for_each(|i| respan(i, span)),
        Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            k.span = span;
            respan(v, span)
        }),
        Kind::Tagged(_, inner) => respan(inner, span),
        _ => {}
    }
}

/// Where `${...}` at byte `at` of a string sits in the file: exact for plain scalars, the whole
/// string otherwise.
fn locate(span: Span, escapes: Escapes, at: usize, len: usize) -> (usize, usize) {
    match escapes {
        Escapes::Verbatim if span.start + at + len <= span.end => {
            (span.start + at, span.start + at + len)
        }
        _ => (span.start, span.end),
    }
}

fn read_file(path: &Path, file: FileId) -> Option<Node> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim_start_matches('\u{feff}');
    // Spans of this node point nowhere useful; only scalar values are taken from it.
    crate::load::cloudformation::parse_yaml_text(text, file)
}

/// An IoT template as it must be written in a Serverless file: every `${...}` the framework would
/// take for one of its variables (`${newuuid()}`) escaped as `\${...}`; `${vin}` stays.
pub(super) fn escape(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        if source_of(&rest[i + 2..]).is_some() {
            out.push('\\');
        }
        out.push_str("${");
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// The index of the `}` closing a `${` whose content starts at `from`.
fn closing(s: &str, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let b = s.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The variable source a `${...}` content starts with (`self`, `file`, `newuuid`), if it is a
/// variable at all: a name followed by `:` (not `::`) or `(`.
fn source_of(content: &str) -> Option<&str> {
    let c = content.trim_start();
    let end = c
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' || ch == '_'))
        .unwrap_or(c.len());
    let name = &c[..end];
    if name.is_empty() || !name.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
        return None;
    }
    let rest = &c[end..];
    let is_var = (rest.starts_with(':') && !rest.starts_with("::")) || rest.starts_with('(');
    is_var.then_some(name)
}

/// `'dev'`, `"dev"`, numbers and booleans as fallback sources.
fn literal(src: &str) -> Option<String> {
    for q in ['\'', '"'] {
        if src.len() >= 2 && src.starts_with(q) && src.ends_with(q) {
            return Some(src[1..src.len() - 1].to_string());
        }
    }
    if src.parse::<f64>().is_ok() || src == "true" || src == "false" {
        return Some(src.to_string());
    }
    None
}

/// Splits on commas outside brackets and quotes.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in s.char_indices() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            ('{' | '(', None) => depth += 1,
            ('}' | ')', None) => depth -= 1,
            (',', None) if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// `custom.stages.dev` in a tree.
pub(super) fn lookup<'n>(root: &'n Node, dotted: &str) -> Option<&'n Node> {
    let mut cur = root;
    for part in dotted.split('.').filter(|p| !p.is_empty()) {
        cur = match &cur.kind {
            Kind::Map(_) => cur.get(part)?,
            Kind::Seq(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_variables_like_the_framework() {
        assert_eq!(source_of("self:custom.x"), Some("self"));
        assert_eq!(source_of("file(./a.yml):k"), Some("file"));
        assert_eq!(source_of("newuuid()"), Some("newuuid"));
        assert_eq!(source_of("vin"), None);
        assert_eq!(source_of("AWS::Region"), None);
        assert_eq!(source_of("state.reported.x"), None);
        assert_eq!(split_top("opt:stage, 'dev'"), vec!["opt:stage", " 'dev'"]);
    }
}
