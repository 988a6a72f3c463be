//! Documents written inside a string of another file (a Velocity request template in a
//! Terraform heredoc, a state machine definition in a CloudFormation `DefinitionString`, a
//! `Fn::Join` of template lines): the decoded text with the pieces it was built from, so a byte
//! range found in the text maps back to the exact place in the file.

use std::ops::Range;

use super::cloudformation::resolve::intrinsic;
use super::json_span::{Kind, Node};
use crate::source::{Escapes, SourceDb, Span};

/// One piece of the text: where it is written and whether it is the text itself (a string
/// literal) or a value computed at deploy time (`{"Ref": "Stream"}`, shown as `${Stream}`).
#[derive(Clone, Debug)]
pub struct Seg {
    pub range: Range<usize>,
    pub span: Span,
    pub escapes: Escapes,
    pub literal: bool,
}

/// Decoded text and the pieces it was built from.
#[derive(Clone, Debug)]
pub struct Text {
    pub text: String,
    pub segs: Vec<Seg>,
}

impl Text {
    /// A string written in one place (`span` covers it as written, quotes or heredoc markers
    /// included).
    pub fn single(text: String, span: Span, escapes: Escapes) -> Text {
        let len = text.len();
        Text {
            text,
            segs: vec![Seg {
                range: 0..len,
                span,
                escapes,
                literal: true,
            }],
        }
    }

    /// A CloudFormation string value as written: a scalar, `Fn::Sub` (its template, with
    /// `${Var}` left in place) or `Fn::Join` of such pieces; a `Ref`/`GetAtt` piece becomes
    /// `${Name}`. `None` for anything else.
    pub fn from_node(n: &Node) -> Option<Text> {
        let mut t = Text {
            text: String::new(),
            segs: Vec::new(),
        };
        t.push_node(n, 0).then_some(t)
    }

    fn push_literal(&mut self, s: &str, n: &Node) {
        let start = self.text.len();
        self.text.push_str(s);
        self.segs.push(Seg {
            range: start..self.text.len(),
            span: n.span,
            escapes: n.escapes,
            literal: true,
        });
    }

    fn push_node(&mut self, n: &Node, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        match &n.kind {
            Kind::Str(s) => {
                self.push_literal(s, n);
                return true;
            }
            Kind::Num(s) => {
                self.push_literal(s, n);
                return true;
            }
            _ => {}
        }
        let Some((f, arg)) = intrinsic(n) else {
            return false;
        };
        match f {
            "Sub" => {
                let t = match &arg.kind {
                    Kind::Seq(v) if !v.is_empty() => &v[0],
                    _ => arg,
                };
                match t.as_str() {
                    Some(s) => {
                        self.push_literal(s, t);
                        true
                    }
                    None => false,
                }
            }
            "Join" => {
                let items = arg.items();
                let (Some(sep), Some(parts)) = (items.first(), items.get(1)) else {
                    return false;
                };
                let sep = sep.as_str().unwrap_or_default().to_string();
                for (i, p) in parts.items().iter().enumerate() {
                    if i > 0 && !sep.is_empty() {
                        let start = self.text.len();
                        self.text.push_str(&sep);
                        self.segs.push(Seg {
                            range: start..self.text.len(),
                            span: p.span,
                            escapes: Escapes::Verbatim,
                            literal: false,
                        });
                    }
                    if !self.push_node(p, depth + 1) {
                        self.push_computed(p);
                    }
                }
                true
            }
            _ => {
                self.push_computed(n);
                true
            }
        }
    }

    /// A piece computed at deploy time: `${Name}` for `Ref`/`GetAtt`, `${?}` otherwise.
    fn push_computed(&mut self, n: &Node) {
        let name = match intrinsic(n) {
            Some(("Ref", a)) => a.as_str().map(str::to_string),
            Some(("GetAtt", a)) => match &a.kind {
                Kind::Str(s) => Some(s.clone()),
                Kind::Seq(v) => {
                    let parts: Vec<&str> = v.iter().filter_map(Node::as_str).collect();
                    Some(parts.join("."))
                }
                _ => None,
            },
            _ => None,
        };
        let start = self.text.len();
        self.text
            .push_str(&format!("${{{}}}", name.as_deref().unwrap_or("?")));
        self.segs.push(Seg {
            range: start..self.text.len(),
            span: n.span,
            escapes: Escapes::Verbatim,
            literal: false,
        });
    }

    /// The place in the file of a byte range of the text.
    pub fn locate(&self, db: &SourceDb, r: Range<usize>) -> Span {
        let Some(seg) = self
            .segs
            .iter()
            .find(|s| s.range.start <= r.start && r.start < s.range.end.max(s.range.start + 1))
            .or(self.segs.last())
        else {
            // Not reachable: a Text always has a piece.
            return Span::new(crate::source::FileId(0), 0, 0);
        };
        if !seg.literal {
            return seg.span;
        }
        let local = r.start - seg.range.start.min(r.start)
            ..r.end.min(seg.range.end) - seg.range.start.min(r.end);
        let raw = db.text(seg.span);
        let quoted = raw.starts_with(['"', '\'']);
        if seg.escapes != Escapes::Verbatim && quoted {
            return db.sub_span(seg.span, seg.escapes, local);
        }
        let decoded = &self.text[seg.range.clone()];
        if raw == decoded {
            return Span::new(
                seg.span.file,
                seg.span.start + local.start,
                seg.span.start + local.end,
            );
        }
        // A heredoc or block scalar (indentation stripped), or a quoted string with escapes of
        // an unknown kind: the same occurrence of the same text in the raw source.
        let needle = &decoded[local.clone()];
        if needle.is_empty() {
            return seg.span;
        }
        let nth = decoded[..local.start].matches(needle).count();
        match raw.match_indices(needle).nth(nth) {
            Some((at, _)) => Span::new(
                seg.span.file,
                seg.span.start + at,
                seg.span.start + at + needle.len(),
            ),
            None => seg.span,
        }
    }
}

/// Parses JSON text found inside a string (lenient: comments and trailing commas are accepted,
/// as a definition pasted into a heredoc may have them). Spans in the result are byte offsets
/// into `text`, to be mapped with [`Text::locate`]; `None` when it is no JSON.
pub fn parse_json(text: &str, file: crate::source::FileId) -> Option<Node> {
    super::json_span::parse_json_text(text, file).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_text_maps_by_occurrence() {
        let mut db = SourceDb::default();
        let src = "x = <<EOF\n  {\"PartitionKey\": \"k\", \"Data\": \"k\"}\nEOF\n";
        let id = db.add("a.tf".into(), src.into());
        let span = Span::new(id, 4, src.len() - 1);
        let t = Text::single(
            "{\"PartitionKey\": \"k\", \"Data\": \"k\"}\n".into(),
            span,
            Escapes::Verbatim,
        );
        let s = t.locate(&db, 18..19);
        assert_eq!(s.start, src.find("\"k\"").unwrap() + 1);
        assert_eq!(db.text(s), "k");
    }

    #[test]
    fn quoted_json_string_maps_through_escapes() {
        let mut db = SourceDb::default();
        let src = r#""{\"PartitionKey\": \"abc\"}""#;
        let id = db.add("a.json".into(), src.into());
        let t = Text::single(
            "{\"PartitionKey\": \"abc\"}".into(),
            Span::new(id, 0, src.len()),
            Escapes::DoubleQuoted,
        );
        let s = t.locate(&db, 18..21);
        assert_eq!(db.text(s), "abc");
    }
}
