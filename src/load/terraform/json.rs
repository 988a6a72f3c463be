//! Terraform JSON syntax (`*.tf.json`, `*.tfvars.json`): the JSON is rendered as the equivalent
//! HCL (strings stay templates, as Terraform reads them) and parsed by hcl-edit, with a
//! [`SpanMap`] that takes every byte range of the rendering back to the JSON file, so findings
//! land on the JSON lines. Used by [`super::module`] only.

use hcl_edit::structure::Body;

use crate::diagnostic::InputError;
use crate::load::json_span::{self, Kind, Node};
use crate::source::{FileId, SourceDb};

/// Pieces of the rendering that are copies of the file: (rendered start, file start, length).
#[derive(Clone, Debug, Default)]
pub(super) struct SpanMap {
    segments: Vec<(usize, usize, usize)>,
}

impl SpanMap {
    fn map(&self, off: usize, is_end: bool) -> usize {
        // The last segment starting at or before `off` (for an end, strictly before).
        let i = self
            .segments
            .partition_point(|&(s, _, _)| if is_end { s < off } else { s <= off });
        let Some(&(s, f, len)) = i.checked_sub(1).and_then(|i| self.segments.get(i)) else {
            return self.segments.first().map(|x| x.1).unwrap_or(0);
        };
        f + (off - s).min(len)
    }
    pub fn map_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map(start, false);
        let e = self.map(end, true).max(s);
        (s, e)
    }
}

/// Block types whose bodies hold nested blocks rather than object attributes, for the resource
/// types shardlint reads (Terraform decides this from the provider schema).
const NESTED_BLOCKS: &[&str] = &[
    "kinesis",
    "error_action",
    "destination_config",
    "on_failure",
    "stream_mode_details",
    "dynamic",
    "content",
    "filter_criteria",
    "filter",
    "lifecycle",
    "timeouts",
    "self_managed_event_source",
    "scaling_config",
];

struct Out {
    text: String,
    map: SpanMap,
}

impl Out {
    fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }
    /// Copies `s`, which is written at `file_start` in the JSON file.
    fn copy(&mut self, s: &str, file_start: usize) {
        self.map
            .segments
            .push((self.text.len(), file_start, s.len()));
        self.text.push_str(s);
    }
}

/// Renders a `.tf.json` (or `.tfvars.json` when `vars`) file as HCL and parses it.
pub(super) fn parse(
    db: &SourceDb,
    file: FileId,
    vars: bool,
) -> Result<Option<(Body, SpanMap, String)>, InputError> {
    let src = db.get(file);
    let root = match json_span::parse_json(db, file) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(None),
        Err(e) => {
            return Err(json_span::input_error(
                db,
                file,
                Some(e.span),
                format!("cannot parse Terraform JSON: {}", e.message),
                Some("fix the syntax; `terraform validate` shows the same error"),
            ));
        }
    };
    let mut out = Out {
        text: String::new(),
        map: SpanMap::default(),
    };
    let text = &src.text;
    if !root.is_map() {
        return Err(json_span::input_error(
            db,
            file,
            Some(root.span),
            "a Terraform JSON file must hold an object".into(),
            None,
        ));
    }
    if vars {
        attributes(&mut out, text, &root);
    } else {
        for (key, v) in root.entries() {
            match key.name.as_str() {
                "resource" | "data" => {
                    for (ty, named) in v.entries() {
                        for (name, body) in named.entries() {
                            for body in bodies(body) {
                                block(&mut out, text, &key.name, &[&ty.name, &name.name], body);
                            }
                        }
                    }
                }
                "variable" | "output" | "module" | "provider" => {
                    for (name, body) in v.entries() {
                        for body in bodies(body) {
                            block(&mut out, text, &key.name, &[&name.name], body);
                        }
                    }
                }
                "locals" | "terraform" => {
                    for body in bodies(v) {
                        block(&mut out, text, &key.name, &[], body);
                    }
                }
                _ => {}
            }
        }
    }
    match hcl_edit::parser::parse_body(&out.text) {
        Ok(body) => Ok(Some((body, out.map, out.text))),
        Err(e) => {
            let off = out.map.map(e.location().offset(), false);
            Err(json_span::input_error(
                db,
                file,
                Some(crate::source::Span::new(file, off, off)),
                format!("cannot read this Terraform JSON: {}", e.message()),
                None,
            ))
        }
    }
}

/// A block body may be written as an object or as an array of objects.
fn bodies(n: &Node) -> Vec<&Node> {
    match &n.kind {
        Kind::Seq(items) => items.iter().filter(|i| i.is_map()).collect(),
        Kind::Map(_) => vec![n],
        _ => Vec::new(),
    }
}

fn block(out: &mut Out, text: &str, ident: &str, labels: &[&str], body: &Node) {
    // The block starts where its body does in the file, so its header maps there.
    out.copy("", body.span.start);
    out.raw(ident);
    for l in labels {
        out.raw(&format!(" {}", quote(l)));
    }
    out.raw(" {\n");
    attributes(out, text, body);
    out.raw("}\n");
}

fn attributes(out: &mut Out, text: &str, body: &Node) {
    for (key, v) in body.entries() {
        let k = key.name.as_str();
        if k == "//" {
            continue;
        }
        if k == "dynamic" {
            for (label, b) in v.entries() {
                for b in bodies(b) {
                    block(out, text, "dynamic", &[&label.name], b);
                }
            }
            continue;
        }
        let is_block = NESTED_BLOCKS.contains(&k)
            && matches!(&v.kind, Kind::Map(_) | Kind::Seq(_))
            && !bodies(v).is_empty();
        if is_block {
            for b in bodies(v) {
                block(out, text, k, &[], b);
            }
            continue;
        }
        if !is_ident(k) {
            continue;
        }
        out.raw(k);
        out.raw(" = ");
        value(out, text, v);
        out.raw("\n");
    }
}

fn value(out: &mut Out, text: &str, v: &Node) {
    let raw = &text[v.span.start..v.span.end];
    match &v.kind {
        Kind::Null | Kind::Bool(_) | Kind::Num(_) => out.copy(raw, v.span.start),
        Kind::Str(s) => {
            let rendered = quote(s);
            if rendered == raw {
                out.copy(raw, v.span.start);
            } else {
                // Escapes differ between JSON and HCL: map the string as a whole.
                out.copy("\"", v.span.start);
                out.raw(&rendered[1..rendered.len() - 1]);
                out.copy("\"", v.span.end - 1);
            }
        }
        Kind::Seq(items) => {
            out.copy("[", v.span.start);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.raw(", ");
                }
                value(out, text, item);
            }
            out.copy("]", v.span.end - 1);
        }
        Kind::Map(entries) => {
            out.copy("{", v.span.start);
            out.raw("\n");
            for (k, item) in entries {
                out.copy(&quote(&k.name), k.span.start);
                out.raw(" = ");
                value(out, text, item);
                out.raw("\n");
            }
            out.copy("}", v.span.end - 1);
        }
        Kind::Tagged(_, inner) => value(out, text, inner),
    }
}

fn is_ident(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// An HCL quoted string with the same value; `${` stays a template, as in Terraform JSON.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ranges_back() {
        let m = SpanMap {
            segments: vec![(0, 10, 5), (8, 30, 4)],
        };
        assert_eq!(m.map_range(1, 4), (11, 14));
        assert_eq!(m.map_range(8, 12), (30, 34));
        // An end inside a gap stops at the end of the copy before it.
        assert_eq!(m.map_range(0, 7), (10, 15));
    }
}
