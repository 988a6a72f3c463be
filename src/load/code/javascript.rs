//! JavaScript and TypeScript AWS SDKs: v3 `new PutRecordCommand({ StreamName, PartitionKey })`
//! and `PutRecordsCommand({ Records: [{ PartitionKey }] })`, v2 `kinesis.putRecord({...})` /
//! `putRecords`. `const` names bound to a string literal are constants.

use tree_sitter::Node;

use super::{Bindings, Found, Lower};

pub(super) fn visit<'t>(lw: &Lower, n: Node<'t>, b: &mut Bindings, out: &mut Vec<Found<'t>>) {
    match n.kind() {
        "variable_declarator" => {
            let (Some(l), Some(r)) = (
                n.child_by_field_name("name"),
                n.child_by_field_name("value"),
            ) else {
                return;
            };
            if l.kind() != "identifier" {
                return;
            }
            // Only `const` bindings are taken as constants; `let`/`var` may be reassigned.
            let is_const = n
                .parent()
                .and_then(|p| p.child(0))
                .is_some_and(|k| lw.text(k) == "const");
            let lit = (is_const && matches!(r.kind(), "string" | "template_string"))
                .then(|| lw.string_value(r))
                .flatten()
                .map(|v| (v, lw.span(r)));
            b.bind(lw.text(l), lit);
        }
        "new_expression" | "call_expression" => {
            let call = if n.kind() == "new_expression" {
                let Some(c) = n.child_by_field_name("constructor") else {
                    return;
                };
                let name = lw.text(c).rsplit('.').next().unwrap_or("");
                if name != "PutRecordCommand" && name != "PutRecordsCommand" {
                    return;
                }
                name.to_string()
            } else {
                let Some(f) = n.child_by_field_name("function") else {
                    return;
                };
                if f.kind() != "member_expression" {
                    return;
                }
                let Some(p) = f.child_by_field_name("property").map(|p| lw.text(p)) else {
                    return;
                };
                if p != "putRecord" && p != "putRecords" {
                    return;
                }
                p.to_string()
            };
            let Some(args) = n.child_by_field_name("arguments") else {
                return;
            };
            let Some(obj) = args.named_child(0).filter(|o| o.kind() == "object") else {
                return;
            };
            let mut stream = None;
            let mut key = None;
            let mut records = None;
            let mut c = obj.walk();
            for p in obj.named_children(&mut c) {
                match p.kind() {
                    "pair" => {
                        let k = p.child_by_field_name("key").map(|k| prop_name(lw, k));
                        let v = p.child_by_field_name("value");
                        match k.as_deref() {
                            Some("StreamName") | Some("StreamARN") => stream = v,
                            Some("PartitionKey") => key = v,
                            Some("Records") => records = v,
                            _ => {}
                        }
                    }
                    "shorthand_property_identifier" => match lw.text(p) {
                        "StreamName" | "StreamARN" => stream = Some(p),
                        "PartitionKey" => key = Some(p),
                        _ => {}
                    },
                    _ => {}
                }
            }
            if !call.starts_with("PutRecords") && !call.starts_with("putRecords") {
                if key.is_some() {
                    out.push(Found {
                        call,
                        call_node: n,
                        key,
                        stream,
                    });
                }
                return;
            }
            let Some(records) = records else { return };
            let mut stack = vec![records];
            while let Some(x) = stack.pop() {
                match x.kind() {
                    "pair"
                        if x.child_by_field_name("key")
                            .is_some_and(|k| prop_name(lw, k) == "PartitionKey") =>
                    {
                        out.push(Found {
                            call: call.clone(),
                            call_node: n,
                            key: x.child_by_field_name("value"),
                            stream,
                        });
                    }
                    "shorthand_property_identifier" if lw.text(x) == "PartitionKey" => {
                        out.push(Found {
                            call: call.clone(),
                            call_node: n,
                            key: Some(x),
                            stream,
                        });
                    }
                    _ => {}
                }
                let mut c = x.walk();
                stack.extend(x.named_children(&mut c));
            }
        }
        _ => {}
    }
}

/// `PartitionKey`, `"PartitionKey"` or `'PartitionKey'` as an object key.
fn prop_name(lw: &Lower, k: Node) -> String {
    match k.kind() {
        "string" => lw.string_value(k).unwrap_or_default(),
        _ => lw.text(k).to_string(),
    }
}
