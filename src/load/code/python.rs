//! Python boto3: `client.put_record(StreamName=..., PartitionKey=...)` and
//! `client.put_records(StreamName=..., Records=[{"PartitionKey": ...}])`, whatever the client is
//! named (Firehose's `put_record` has no `PartitionKey`, so it is never taken for Kinesis).
//! Module-level and local names bound once to a string literal are constants.

use tree_sitter::Node;

use super::{Bindings, Found, Lower};

pub(super) fn visit<'t>(lw: &Lower, n: Node<'t>, b: &mut Bindings, out: &mut Vec<Found<'t>>) {
    match n.kind() {
        "assignment" => {
            let (Some(l), Some(r)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) else {
                return;
            };
            if l.kind() != "identifier" {
                return;
            }
            let lit = (r.kind() == "string")
                .then(|| lw.string_value(r))
                .flatten()
                .map(|v| (v, lw.span(r)));
            b.bind(lw.text(l), lit);
        }
        "call" => {
            let Some(f) = n.child_by_field_name("function") else {
                return;
            };
            if f.kind() != "attribute" {
                return;
            }
            let Some(method) = f.child_by_field_name("attribute").map(|a| lw.text(a)) else {
                return;
            };
            if method != "put_record" && method != "put_records" {
                return;
            }
            let Some(args) = n.child_by_field_name("arguments") else {
                return;
            };
            let mut stream = None;
            let mut key = None;
            let mut records = None;
            let mut c = args.walk();
            for a in args.named_children(&mut c) {
                if a.kind() != "keyword_argument" {
                    continue;
                }
                let name = a.child_by_field_name("name").map(|x| lw.text(x));
                let value = a.child_by_field_name("value");
                match name {
                    Some("StreamName") | Some("StreamARN") => stream = value,
                    Some("PartitionKey") => key = value,
                    Some("Records") => records = value,
                    _ => {}
                }
            }
            if method == "put_record" {
                if key.is_some() {
                    out.push(Found {
                        call: method.to_string(),
                        call_node: n,
                        key,
                        stream,
                    });
                }
                return;
            }
            // Every `"PartitionKey": ...` entry inside `Records` (a list, a comprehension); for
            // `Records=entries`, the entries built in the enclosing function (appended in a
            // loop, most often).
            let Some(mut records) = records else { return };
            if records.kind() == "identifier" {
                let mut scope = n;
                while let Some(p) = scope.parent() {
                    scope = p;
                    if p.kind() == "function_definition" {
                        break;
                    }
                }
                records = scope;
            }
            let mut stack = vec![records];
            while let Some(x) = stack.pop() {
                if x.kind() == "pair"
                    && let Some(k) = x.child_by_field_name("key")
                    && lw.string_value(k).as_deref() == Some("PartitionKey")
                {
                    out.push(Found {
                        call: method.to_string(),
                        call_node: n,
                        key: x.child_by_field_name("value"),
                        stream,
                    });
                }
                let mut c = x.walk();
                stack.extend(x.named_children(&mut c));
            }
        }
        _ => {}
    }
}
