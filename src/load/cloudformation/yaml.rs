//! CloudFormation YAML → the spanned [`Node`] tree, through saphyr (the one YAML parser that keeps
//! short-form tags such as `!Sub` at every depth, with positions). saphyr counts characters; spans
//! here are bytes.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::load::json_span::{Key, Kind, MAX_DEPTH, Node, SyntaxError};
use crate::source::{Escapes, FileId, Span};

/// Parses the first document. `Ok(None)` for a file with no document.
pub fn parse(text: &str, file: FileId) -> Result<Option<Node>, SyntaxError> {
    let chars = CharBytes::new(text);
    // saphyr recurses on block nesting and overflows the stack around a few hundred levels.
    if let Some(at) = too_deep(text) {
        return Err(SyntaxError {
            span: Span::new(file, at, at),
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    // `!Join [ -, [a, b]]` is common in real templates and accepted by CloudFormation (PyYAML
    // style), but YAML 1.2 forbids a plain `-` before `,`. Quote such dashes and retry, keeping
    // the original char index of each quoted dash to map positions back.
    let mut quoted: Vec<usize> = Vec::new();
    let mut patched: Option<String> = None;
    let docs = loop {
        let src = patched.as_deref().unwrap_or(text);
        if let Some((m, message)) = alias_bomb(src) {
            let at = chars.byte(unpatch(&quoted, m));
            return Err(SyntaxError {
                span: Span::new(file, at, at),
                message,
            });
        }
        match MarkedYaml::load_from_str(src) {
            Ok(docs) => break docs,
            Err(e) => {
                let m = e.marker().index();
                let lone_dash = e.info().starts_with("plain scalar cannot start with '-'")
                    && quoted.len() < 1000
                    && src.chars().nth(m) == Some('-');
                if !lone_dash {
                    let mut at = chars.byte(unpatch(&quoted, m));
                    // saphyr marks the char after an offending tab: point at the tab(s).
                    if e.info().contains("tab") {
                        while at > 0 && text.as_bytes().get(at - 1) == Some(&b'\t') {
                            at -= 1;
                        }
                    }
                    return Err(SyntaxError {
                        span: Span::new(file, at, at),
                        message: e.info().to_string(),
                    });
                }
                let orig = unpatch(&quoted, m);
                quoted.push(orig);
                quoted.sort_unstable();
                let mut out = String::with_capacity(text.len() + 2 * quoted.len());
                for (i, c) in text.chars().enumerate() {
                    if quoted.binary_search(&i).is_ok() {
                        out.push_str("\"-\"");
                    } else {
                        out.push(c);
                    }
                }
                patched = Some(out);
            }
        }
    };
    let Some(doc) = docs.first() else {
        return Ok(None);
    };
    let l = Lower {
        text,
        file,
        chars,
        quoted,
    };
    Ok(Some(l.node(doc, 0)))
}

/// Most bytes of scalar text that aliases may add to a document (CloudFormation's own template
/// limit is 1 MB; real templates use aliases sparingly, if at all).
pub const MAX_ALIAS_BYTES: u64 = 16 << 20;
/// Most nodes that aliases may add (saphyr's own default budget).
pub const MAX_ALIAS_NODES: u64 = 100_000;

/// Walks the YAML events once, sizing every anchored node, and returns the char index of the
/// first alias that takes the expanded document past [`MAX_ALIAS_BYTES`] or
/// [`MAX_ALIAS_NODES`], with a message. saphyr clones an anchor's subtree per alias and only
/// counts nodes, so a few aliases of a large string reach gigabytes. Syntax errors are left to
/// the real parse.
fn alias_bomb(src: &str) -> Option<(usize, String)> {
    use saphyr_parser::{Event, Parser};
    #[derive(Default, Clone, Copy)]
    struct Cost {
        bytes: u64,
        nodes: u64,
    }
    impl Cost {
        fn add(&mut self, o: Cost) {
            self.bytes = self.bytes.saturating_add(o.bytes);
            self.nodes = self.nodes.saturating_add(o.nodes);
        }
    }
    let mut anchors: std::collections::HashMap<usize, Cost> = std::collections::HashMap::new();
    // (anchor id, cost so far) of each open collection.
    let mut open: Vec<(usize, Cost)> = Vec::new();
    let mut expanded = Cost::default();
    for ev in Parser::new_from_str(src) {
        let Ok((ev, span)) = ev else {
            return None;
        };
        let done = match ev {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, Cost { bytes: 0, nodes: 1 }));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            Event::Scalar(v, _, anchor, _) => Some((
                anchor,
                Cost {
                    bytes: v.len() as u64,
                    nodes: 1,
                },
            )),
            Event::Alias(id) => {
                let c = anchors
                    .get(&id)
                    .copied()
                    .unwrap_or(Cost { bytes: 0, nodes: 1 });
                expanded.add(c);
                if expanded.bytes > MAX_ALIAS_BYTES || expanded.nodes > MAX_ALIAS_NODES {
                    return Some((
                        span.start.index(),
                        format!(
                            "YAML aliases expand this document past {} MiB of text or {} nodes (a billion-laughs pattern); shardlint does not expand it",
                            MAX_ALIAS_BYTES >> 20,
                            crate::numbers::thousands(MAX_ALIAS_NODES)
                        ),
                    ));
                }
                Some((0, c))
            }
            _ => None,
        };
        if let Some((anchor, cost)) = done {
            if anchor > 0 {
                anchors.insert(anchor, cost);
            }
            if let Some((_, parent)) = open.last_mut() {
                parent.add(cost);
            }
        }
    }
    None
}

/// Maps a char index in the patched text back to the original (each quoted dash added two quotes).
fn unpatch(quoted: &[usize], m: usize) -> usize {
    let mut shift = 0;
    for (k, &p) in quoted.iter().enumerate() {
        let open = p + 2 * k; // the opening quote in patched coordinates
        if open < m {
            shift += 1;
        }
        if open + 2 < m {
            shift += 1;
        }
    }
    m - shift
}

/// An upper bound on block nesting from indentation alone (flow nesting is capped by saphyr).
fn too_deep(text: &str) -> Option<usize> {
    let mut stack: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_start_matches([' ', '-']);
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        while stack.last().is_some_and(|&top| top >= indent) {
            stack.pop();
        }
        stack.push(indent);
        // `- - - x` opens one level per dash on one line.
        let dashes = line[..indent].matches('-').count();
        if stack.len() + dashes > MAX_DEPTH {
            return Some(start);
        }
    }
    None
}

/// Char index → byte offset (saphyr markers count chars).
struct CharBytes {
    /// `None` for ASCII text, where both are equal.
    table: Option<Vec<usize>>,
    len: usize,
}

impl CharBytes {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(b, _)| b).collect());
        CharBytes {
            table,
            len: text.len(),
        }
    }
    fn byte(&self, ch: usize) -> usize {
        match &self.table {
            None => ch.min(self.len),
            Some(t) => t.get(ch).copied().unwrap_or(self.len),
        }
    }
}

struct Lower<'a> {
    text: &'a str,
    file: FileId,
    chars: CharBytes,
    /// Original char indexes of dashes quoted before parsing.
    quoted: Vec<usize>,
}

impl Lower<'_> {
    fn span(&self, s: &saphyr::Marker, e: &saphyr::Marker) -> Span {
        let b = |m: &saphyr::Marker| self.chars.byte(unpatch(&self.quoted, m.index()));
        Span::new(self.file, b(s), b(e))
    }

    /// How a scalar starting at `span` is quoted.
    fn escapes(&self, span: Span) -> Escapes {
        match self.text.as_bytes().get(span.start) {
            Some(b'"') => Escapes::DoubleQuoted,
            Some(b'\'') => Escapes::SingleQuoted,
            _ => Escapes::Verbatim,
        }
    }

    /// saphyr ends a flow collection at its last item; extend it over the closing bracket.
    fn close_flow(&self, span: Span, last: Option<usize>, open: u8, close: u8) -> Span {
        let bytes = self.text.as_bytes();
        let Some(start) = bytes[span.start..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
        else {
            return span;
        };
        if bytes.get(span.start + start) != Some(&open) {
            return span;
        }
        let mut end = span.end.max(last.unwrap_or(0));
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
        {
            end += 1;
        }
        if bytes.get(end) == Some(&close) {
            end += 1;
        }
        Span::new(self.file, span.start, end)
    }

    fn node(&self, n: &MarkedYaml, depth: usize) -> Node {
        let span = self.span(&n.span.start, &n.span.end);
        self.node_at(n, span, depth)
    }

    fn node_at(&self, n: &MarkedYaml, span: Span, depth: usize) -> Node {
        let scalar = |kind| Node {
            span,
            escapes: self.escapes(span),
            kind,
        };
        if depth > MAX_DEPTH {
            return scalar(Kind::Null);
        }
        match &n.data {
            YamlData::Value(s) => scalar(match s {
                Scalar::Null => Kind::Null,
                Scalar::Boolean(b) => Kind::Bool(*b),
                Scalar::Integer(i) => Kind::Num(i.to_string()),
                Scalar::FloatingPoint(f) => Kind::Num(f.to_string()),
                Scalar::String(s) => Kind::Str(s.to_string()),
            }),
            YamlData::Representation(s, _, _) => scalar(Kind::Str(s.to_string())),
            YamlData::Sequence(items) => {
                let items: Vec<Node> = items.iter().map(|i| self.node(i, depth + 1)).collect();
                let last = items.last().map(|n| n.span.end);
                Node {
                    span: self.close_flow(span, last, b'[', b']'),
                    escapes: Escapes::Verbatim,
                    kind: Kind::Seq(items),
                }
            }
            YamlData::Mapping(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, v) in m.iter() {
                    let key = self.node(k, depth + 1);
                    let name = key.scalar_text().unwrap_or_default();
                    out.push((
                        Key {
                            name,
                            span: key.span,
                        },
                        self.node(v, depth + 1),
                    ));
                }
                let last = out.last().map(|(_, v)| v.span.end);
                Node {
                    span: self.close_flow(span, last, b'{', b'}'),
                    escapes: Escapes::Verbatim,
                    kind: Kind::Map(out),
                }
            }
            YamlData::Tagged(tag, inner) => {
                // saphyr gives a tagged scalar a 0..0 span and a tagged collection the tag's span:
                // the value starts after the tag and its whitespace, and ends where the node ends.
                let raw = self.text.get(span.start..span.end).unwrap_or("");
                let after_tag = raw
                    .find(|c: char| c.is_whitespace())
                    .map(|i| {
                        i + raw[i..]
                            .find(|c: char| !c.is_whitespace())
                            .unwrap_or(raw.len() - i)
                    })
                    .unwrap_or(raw.len());
                let inner_span = Span::new(self.file, span.start + after_tag, span.end);
                let name = if tag.handle == "!" {
                    tag.suffix.clone()
                } else {
                    format!("{}{}", tag.handle, tag.suffix)
                };
                let inner = self.node_at(inner, inner_span, depth + 1);
                Node {
                    span: Span::new(self.file, span.start, span.end.max(inner.span.end)),
                    escapes: Escapes::Verbatim,
                    kind: Kind::Tagged(name, Box::new(inner)),
                }
            }
            YamlData::Alias(_) | YamlData::BadValue => scalar(Kind::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceDb;

    #[test]
    fn tagged_scalar_gets_the_exact_inner_span() {
        let mut db = SourceDb::default();
        let text = "a: !Sub \"${!vin}\"\nü: !Sub '${x}'\nc: !If [C, !Ref P, b]\n";
        let id = db.add("t.yaml".into(), text.into());
        let root = parse(text, id).unwrap().unwrap();
        let Kind::Tagged(t, inner) = &root.get("a").unwrap().kind else {
            panic!()
        };
        assert_eq!(t, "Sub");
        assert_eq!(db.text(inner.span), "\"${!vin}\"");
        assert_eq!(inner.escapes, Escapes::DoubleQuoted);
        let Kind::Tagged(_, inner) = &root.get("ü").unwrap().kind else {
            panic!()
        };
        assert_eq!(db.text(inner.span), "'${x}'");
        assert_eq!(inner.escapes, Escapes::SingleQuoted);
        let Kind::Tagged(_, seq) = &root.get("c").unwrap().kind else {
            panic!()
        };
        assert_eq!(db.text(seq.span), "[C, !Ref P, b]");
        let Kind::Tagged(_, p) = &seq.items()[1].kind else {
            panic!()
        };
        assert_eq!(db.text(p.span), "P");
        let nested = parse("a: [[x], {k: [y]}]\n", id).unwrap().unwrap();
        assert_eq!(
            &text_of(&nested.get("a").unwrap().span, "a: [[x], {k: [y]}]\n"),
            "[[x], {k: [y]}]"
        );
    }

    fn text_of(s: &Span, text: &str) -> String {
        text[s.start..s.end].to_string()
    }

    #[test]
    fn lone_dash_in_flow_is_accepted_as_cloudformation_does() {
        let text = "a: !Join [ -, [K, !Ref Env]]\nb: [-, x, -]\n";
        let root = parse(text, FileId(0)).unwrap().unwrap();
        let Kind::Tagged(_, j) = &root.get("a").unwrap().kind else {
            panic!()
        };
        let dash = &j.items()[0];
        assert_eq!(dash.as_str(), Some("-"));
        assert_eq!(text_of(&dash.span, text), "-");
        let b = root.get("b").unwrap().items();
        assert_eq!(text_of(&b[1].span, text), "x");
        assert_eq!(text_of(&b[2].span, text), "-");
        assert_eq!(text_of(&root.get("b").unwrap().span, text), "[-, x, -]");
    }

    #[test]
    fn alias_amplification_is_refused_at_the_alias() {
        // 40 aliases of a 1 MiB string: 40 MiB expanded from a 1 MiB file.
        let mut text = format!("Big: &big \"{}\"\nList:\n", "x".repeat(1 << 20));
        for _ in 0..40 {
            text.push_str("  - *big\n");
        }
        let e = parse(&text, FileId(0)).unwrap_err();
        assert!(e.message.contains("YAML aliases expand"), "{}", e.message);
        // The 17th alias crosses 16 MiB.
        let line = text[..e.span.start].matches('\n').count() + 1;
        assert_eq!(line, 2 + 17);
        // Nested fan-out (nodes, not bytes).
        let mut lol = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (p, n) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f")] {
            lol.push_str(&format!(
                "{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            ));
        }
        assert!(parse(&lol, FileId(0)).is_err());
        // A few small aliases are fine.
        let ok = "A: &a {k: v}\nB: *a\nC: *a\n";
        assert!(parse(ok, FileId(0)).is_ok());
    }

    #[test]
    fn a_tab_is_reported_at_its_own_column() {
        let text = "Resources:\n\tS:\n    Type: x\n";
        let e = parse(text, FileId(0)).unwrap_err();
        assert!(e.message.contains("tab"), "{}", e.message);
        assert_eq!(e.span.start, text.find('\t').unwrap());
    }

    #[test]
    fn block_nesting_is_refused_before_saphyr_recurses() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        assert!(parse(&text, FileId(0)).is_err());
    }
}
