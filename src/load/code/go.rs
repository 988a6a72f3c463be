//! Go AWS SDK v2: `&kinesis.PutRecordInput{StreamName: aws.String(...), PartitionKey:
//! aws.String(...)}` and `types.PutRecordsRequestEntry{PartitionKey: ...}` (v1's
//! `kinesis.PutRecordsRequestEntry` alike). `const` names and variables bound once to a string
//! literal are constants.

use tree_sitter::Node;

use super::{Bindings, Found, Lower};

pub(super) fn visit<'t>(lw: &Lower, n: Node<'t>, b: &mut Bindings, out: &mut Vec<Found<'t>>) {
    match n.kind() {
        "const_spec" | "var_spec" => {
            let Some(name) = n.child_by_field_name("name") else {
                return;
            };
            let lit = n
                .child_by_field_name("value")
                .and_then(|v| v.named_child(0))
                .filter(|v| {
                    matches!(
                        v.kind(),
                        "interpreted_string_literal" | "raw_string_literal"
                    )
                })
                .and_then(|v| lw.string_value(v).map(|s| (s, lw.span(v))));
            b.bind(lw.text(name), lit);
        }
        "short_var_declaration" | "assignment_statement" => {
            let (Some(l), Some(r)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) else {
                return;
            };
            let (Some(l0), Some(r0)) = (l.named_child(0), r.named_child(0)) else {
                return;
            };
            if l0.kind() != "identifier" {
                return;
            }
            let lit = (n.kind() == "short_var_declaration"
                && l.named_child_count() == 1
                && matches!(
                    r0.kind(),
                    "interpreted_string_literal" | "raw_string_literal"
                ))
            .then(|| lw.string_value(r0).map(|s| (s, lw.span(r0))))
            .flatten();
            b.bind(lw.text(l0), lit);
        }
        "composite_literal" => {
            let Some(ty) = n.child_by_field_name("type").map(|t| lw.text(t)) else {
                return;
            };
            let ty_name = ty.rsplit('.').next().unwrap_or(ty);
            if !matches!(ty_name, "PutRecordInput" | "PutRecordsRequestEntry") {
                return;
            }
            let Some(body) = n.child_by_field_name("body") else {
                return;
            };
            let mut stream = None;
            let mut key = None;
            let mut c = body.walk();
            for e in body.named_children(&mut c) {
                if e.kind() != "keyed_element" {
                    continue;
                }
                let (Some(k), Some(v)) = (e.named_child(0), e.named_child(1)) else {
                    continue;
                };
                let v = if v.kind() == "literal_element" {
                    v.named_child(0).unwrap_or(v)
                } else {
                    v
                };
                match lw.text(k) {
                    "StreamName" | "StreamARN" => stream = Some(v),
                    "PartitionKey" => key = Some(v),
                    _ => {}
                }
            }
            if key.is_some() {
                out.push(Found {
                    call: ty_name.to_string(),
                    call_node: n,
                    key,
                    stream,
                });
            }
        }
        _ => {}
    }
}
