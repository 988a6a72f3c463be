//! Finds where a field with a given name sits in a sample payload and writes IoT templates that
//! reach it, for the help of "field is not in the payload" findings. Uses only documented forms:
//! dotted paths of plain names from the payload root, and `get(collection, key)` for array items
//! and keys that are not plain names (AWS: "keys containing hyphens or digits need `get()`").

use std::collections::VecDeque;

use serde_json::Value as Json;

/// Deepest nesting searched.
const MAX_DEPTH: usize = 6;
/// Array items looked into per array: the field usually repeats in every item.
const MAX_ITEMS: usize = 4;
const MAX_RESULTS: usize = 8;

/// Words that would not parse as a field name.
const RESERVED: &[&str] = &[
    "true", "false", "null", "and", "or", "not", "select", "from", "where", "as", "case", "when",
    "then", "else", "end", "in", "is",
];

fn plain_name(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&key.to_ascii_lowercase().as_str())
}

fn quote(key: &str) -> String {
    let mut s = String::with_capacity(key.len() + 2);
    s.push('\'');
    for c in key.chars() {
        if c == '\'' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// How to reach a value: a dotted path (`a.b`) can be extended with `.key`; anything else only
/// through `get()`.
struct Reach {
    expr: String,
    dotted: bool,
}

fn key_of(parent: &Reach, key: &str) -> Reach {
    if parent.dotted && plain_name(key) {
        Reach {
            expr: format!("{}.{key}", parent.expr),
            dotted: true,
        }
    } else {
        Reach {
            expr: format!("get({}, {})", parent.expr, quote(key)),
            dotted: false,
        }
    }
}

pub fn suggest_paths(payload: &Json, field: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Json::Object(root) = payload else {
        return found;
    };
    let mut queue: VecDeque<(&Json, Reach, usize)> = VecDeque::new();
    for (k, v) in root {
        // The payload root has no name to pass to `get()`, so top-level keys must be plain.
        if !plain_name(k) {
            continue;
        }
        let r = Reach {
            expr: k.clone(),
            dotted: true,
        };
        if k == field {
            found.push(format!("${{{}}}", r.expr));
        }
        queue.push_back((v, r, 1));
    }
    while let Some((v, reach, depth)) = queue.pop_front() {
        if depth >= MAX_DEPTH {
            continue;
        }
        match v {
            Json::Object(map) => {
                for (k, child) in map {
                    let r = key_of(&reach, k);
                    if k == field {
                        found.push(format!("${{{}}}", r.expr));
                    }
                    queue.push_back((child, r, depth + 1));
                }
            }
            Json::Array(items) => {
                for (i, child) in items.iter().enumerate().take(MAX_ITEMS) {
                    let r = Reach {
                        expr: format!("get({}, {i})", reach.expr),
                        dotted: false,
                    };
                    queue.push_back((child, r, depth + 1));
                }
            }
            _ => {}
        }
    }
    // Breadth-first order is already shallowest first; break ties by length.
    found.sort_by_key(|s| s.len());
    found.dedup();
    found.truncate(MAX_RESULTS);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_in_array() {
        let p = json!({"list":[{"vin":"TEST-100001","lat":1.0}]});
        assert_eq!(suggest_paths(&p, "vin"), ["${get(get(list, 0), 'vin')}"]);
    }

    #[test]
    fn top_level_and_dotted_shortest_first() {
        let p = json!({"meta": {"vin": "A"}, "vin": "B"});
        assert_eq!(suggest_paths(&p, "vin"), ["${vin}", "${meta.vin}"]);
    }

    #[test]
    fn non_plain_keys_use_get() {
        let p = json!({"car-info": {"vin": "A"}, "data": {"item-2": {"vin": "B"}}});
        // `car-info` cannot be named from the root in a documented form.
        assert_eq!(
            suggest_paths(&p, "vin"),
            ["${get(get(data, 'item-2'), 'vin')}"]
        );
        let p = json!({"d": {"serial-no": "X"}});
        assert_eq!(suggest_paths(&p, "serial-no"), ["${get(d, 'serial-no')}"]);
    }

    #[test]
    fn every_suggestion_parses_and_reaches_the_value() {
        let p = json!({"a": {"b": [{"c": {"vin": "X"}}, {"vin": "Y"}]}});
        let found = suggest_paths(&p, "vin");
        assert_eq!(
            found,
            [
                "${get(get(a.b, 1), 'vin')}",
                "${get(get(get(a.b, 0), 'c'), 'vin')}"
            ]
        );
        for t in &found {
            let tpl = crate::template::parse(t).unwrap();
            let mut r = || 0u128;
            let mut input = crate::template::EvalInput {
                payload: &p,
                topic: None,
                clientid: None,
                principal: None,
                timestamp_ms: None,
                random: &mut r,
            };
            assert!(matches!(
                crate::template::evaluate(&tpl, &mut input),
                crate::template::Evaluated::Key(_)
            ));
        }
    }

    #[test]
    fn depth_limit_and_missing() {
        let p = json!({"a":{"b":{"c":{"d":{"e":{"f":{"vin":"deep"}}}}}}});
        assert!(suggest_paths(&p, "vin").is_empty());
        assert!(suggest_paths(&json!({"x": 1}), "vin").is_empty());
        assert!(suggest_paths(&json!([{"vin": 1}]), "vin").is_empty());
    }
}
