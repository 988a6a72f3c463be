//! Java AWS SDKs and the KPL: v2 builders `PutRecordRequest.builder().partitionKey(...)` and
//! `PutRecordsRequestEntry.builder().partitionKey(...)` (the stream from `.streamName(...)` in
//! the same chain), v1 `setPartitionKey`/`withPartitionKey`, and the KPL's
//! `addUserRecord(stream, partitionKey, data)`. Fields and locals initialised once with a
//! string literal are constants.

use tree_sitter::Node;

use super::{Bindings, Found, Lower};

pub(super) fn visit<'t>(lw: &Lower, n: Node<'t>, b: &mut Bindings, out: &mut Vec<Found<'t>>) {
    match n.kind() {
        "variable_declarator" => {
            let Some(l) = n.child_by_field_name("name") else {
                return;
            };
            let lit = n
                .child_by_field_name("value")
                .filter(|r| r.kind() == "string_literal")
                .and_then(|r| lw.string_value(r).map(|v| (v, lw.span(r))));
            b.bind(lw.text(l), lit);
        }
        "assignment_expression" => {
            // A later assignment makes a field no constant.
            if let Some(l) = n.child_by_field_name("left")
                && l.kind() == "identifier"
            {
                b.bind(lw.text(l), None);
            }
        }
        "method_invocation" => {
            let Some(name) = n.child_by_field_name("name").map(|x| lw.text(x)) else {
                return;
            };
            let Some(args) = n.child_by_field_name("arguments") else {
                return;
            };
            let mut c = args.walk();
            let list: Vec<Node> = args
                .named_children(&mut c)
                .filter(|a| a.kind() != "comment")
                .collect();
            match (name, list.len()) {
                ("partitionKey" | "setPartitionKey" | "withPartitionKey", 1) => {
                    // The builder chain this call is part of: its outermost invocation.
                    let mut top = n;
                    while let Some(p) = top.parent().filter(|p| p.kind() == "method_invocation") {
                        top = p;
                    }
                    out.push(Found {
                        call: name.to_string(),
                        call_node: n,
                        key: Some(list[0]),
                        stream: find_call_arg(lw, top, &["streamName", "streamARN"]),
                    });
                }
                ("addUserRecord", 3) => out.push(Found {
                    call: name.to_string(),
                    call_node: n,
                    key: Some(list[1]),
                    stream: Some(list[0]),
                }),
                _ => {}
            }
        }
        _ => {}
    }
}

/// The argument of the first `.name(x)` call inside `top`'s chain.
fn find_call_arg<'t>(lw: &Lower, top: Node<'t>, names: &[&str]) -> Option<Node<'t>> {
    let mut stack = vec![top];
    while let Some(x) = stack.pop() {
        if x.kind() == "method_invocation"
            && x.child_by_field_name("name")
                .is_some_and(|m| names.contains(&lw.text(m)))
        {
            return x.child_by_field_name("arguments")?.named_child(0);
        }
        // Stay on the chain: receivers, not nested argument lists.
        if let Some(o) = x.child_by_field_name("object") {
            stack.push(o);
        }
    }
    None
}
