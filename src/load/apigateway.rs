//! API Gateway integrations that write to Kinesis: REST API request templates (Velocity) that
//! build a `PutRecord`/`PutRecords` request, and HTTP API `Kinesis-PutRecord` integrations with
//! their `PartitionKey` request parameter. The format loaders (Terraform, CloudFormation, OpenAPI
//! documents) find the integrations; this module reads the template or parameter text and
//! classifies each partition key the same way whichever format it came from.

use std::collections::HashMap;
use std::ops::Range;

use super::embedded::Text;
use super::json_span::{Node, join};
use crate::model::{KeyExpr, Origin, Producer, ProducerKind, Val};
use crate::source::{SourceDb, Span};

/// The Kinesis action a REST integration URI calls
/// (`arn:aws:apigateway:us-east-1:kinesis:action/PutRecords`), if it writes records.
pub fn kinesis_action(uri: &str) -> Option<&'static str> {
    let i = uri.find(":kinesis:action/")?;
    let action = &uri[i + ":kinesis:action/".len()..];
    let action = action
        .split(['?', '/', '&', '"', '\''])
        .next()
        .unwrap_or_default();
    match action {
        "PutRecord" => Some("PutRecord"),
        "PutRecords" => Some("PutRecords"),
        _ => None,
    }
}

/// Whether an HTTP API integration subtype writes records (`Kinesis-PutRecord`).
pub fn is_put_record_subtype(subtype: &str) -> bool {
    subtype.trim().eq_ignore_ascii_case("Kinesis-PutRecord")
}

/// One `"PartitionKey": ...` value found in a request template: its byte range in the template
/// text and its class.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateKey {
    pub range: Range<usize>,
    pub class: KeyExpr,
}

/// What a request template writes: its partition keys, and the stream it names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateScan {
    pub keys: Vec<TemplateKey>,
    /// The `StreamName` value as written and its range; `None` when the template names none.
    pub stream: Option<(Range<usize>, String)>,
}

/// Reads a Velocity request template: every `"PartitionKey"` and the `"StreamName"`, with
/// `#set` and `#foreach` variables followed so `$elem.id` in a loop over the body is per-record.
pub fn scan_template(t: &str) -> TemplateScan {
    let vars = directive_vars(t);
    let mut out = TemplateScan::default();
    for (name, range) in json_values(t) {
        match name {
            "PartitionKey" => {
                let class = classify_template_value(&t[range.clone()], &vars);
                out.keys.push(TemplateKey { range, class });
            }
            "StreamName" if out.stream.is_none() => {
                out.stream = Some((range.clone(), t[range].to_string()));
            }
            _ => {}
        }
    }
    out
}

/// `"Name": value` pairs in JSON-like text that may be interleaved with Velocity directives:
/// the name and the value's range (inside the quotes for a quoted value, else up to `,`, `}` or
/// the line's end).
fn json_values(t: &str) -> Vec<(&'static str, Range<usize>)> {
    let mut out = Vec::new();
    for name in ["PartitionKey", "StreamName"] {
        for quote in ['"', '\''] {
            let needle = format!("{quote}{name}{quote}");
            let mut from = 0;
            while let Some(i) = t[from..].find(&needle) {
                let after = from + i + needle.len();
                from = after;
                let rest = &t[after..];
                let trimmed = rest.trim_start();
                let Some(v) = trimmed.strip_prefix(':') else {
                    continue;
                };
                let v_start = after + (rest.len() - trimmed.len()) + 1;
                let lead = v.len() - v.trim_start().len();
                let v_start = v_start + lead;
                let v = v.trim_start();
                let range = match v.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let body = &v[1..];
                        let mut end = body.len();
                        let mut esc = false;
                        for (j, c) in body.char_indices() {
                            if esc {
                                esc = false;
                            } else if c == '\\' {
                                esc = true;
                            } else if c == q {
                                end = j;
                                break;
                            }
                        }
                        v_start + 1..v_start + 1 + end
                    }
                    Some(_) => {
                        let end = unquoted_end(v);
                        v_start..v_start + v[..end].trim_end().len()
                    }
                    None => continue,
                };
                out.push((name, range));
            }
        }
    }
    out.sort_by_key(|(_, r)| r.start);
    out
}

/// The end of an unquoted value: the first `,`, `}` or newline outside parentheses.
fn unquoted_end(v: &str) -> usize {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in v.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',' | '}' | '\n') if depth <= 0 => return i,
            _ => {}
        }
    }
    v.len()
}

/// Variables bound by `#set($x = ...)` and `#foreach($x in ...)`: what each varies with.
fn directive_vars(t: &str) -> HashMap<String, KeyExpr> {
    let mut vars: HashMap<String, KeyExpr> = HashMap::new();
    let mut from = 0;
    while let Some(i) = t[from..].find('#') {
        let at = from + i;
        from = at + 1;
        let rest = &t[at + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let (is_set, after) = if let Some(r) = rest.strip_prefix("set") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("foreach") {
            (false, r)
        } else {
            continue;
        };
        let after = after.trim_start_matches('}').trim_start();
        let Some(inner) = after.strip_prefix('(') else {
            continue;
        };
        let close = unquoted_end_paren(inner);
        let inner = &inner[..close];
        let (name, value) = if is_set {
            match inner.split_once('=') {
                Some((n, v)) => (n.trim(), v.trim()),
                None => continue,
            }
        } else {
            match inner.split_once(" in ") {
                Some((n, v)) => (n.trim(), v.trim()),
                None => continue,
            }
        };
        let Some(name) = name.strip_prefix('$') else {
            continue;
        };
        let name = name.trim_matches(['{', '}', '!']).to_string();
        let class = if is_set {
            let unquoted = value.trim_matches(['"', '\'']);
            if value.len() >= 2 && value.starts_with(['"', '\'']) && !unquoted.contains('$') {
                KeyExpr::Constant {
                    value: unquoted.to_string(),
                }
            } else {
                classify_template_value(value, &vars)
            }
        } else {
            // A loop over the request's items: each item is a record.
            match classify_template_value(value, &vars) {
                KeyExpr::PerRecord { what } => KeyExpr::PerRecord {
                    what: format!("an item of {what}"),
                },
                other => other,
            }
        };
        // Bound twice (a `#set` in each branch of an `#if`): not one class.
        match vars.get(&name) {
            Some(prev) if *prev != class => {
                vars.insert(
                    name.clone(),
                    KeyExpr::Unknown {
                        reason: format!("`${name}` is set more than once"),
                    },
                );
            }
            _ => {
                vars.insert(name, class);
            }
        }
    }
    vars
}

/// The index of the `)` that closes a directive's parenthesis (the opening one already read).
fn unquoted_end_paren(v: &str) -> usize {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in v.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return i,
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    v.len()
}

/// A Velocity reference: `$input.path('$.id')`, `${context.requestId}`, `$!elem.key`: the root
/// name and the dotted members before any call's arguments.
fn references(v: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        // Inside a quoted JSONPath argument (`'$.id'`) a `$` is not a reference.
        let mut j = i + 1;
        if j < b.len() && b[j] == b'!' {
            j += 1;
        }
        let braced = j < b.len() && b[j] == b'{';
        if braced {
            j += 1;
        }
        let start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
            j += 1;
        }
        if j == start {
            i += 1;
            continue;
        }
        let root = v[start..j].to_string();
        let mut members = Vec::new();
        while j < b.len() && b[j] == b'.' {
            let s = j + 1;
            let mut k = s;
            while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_' || b[k] == b'-') {
                k += 1;
            }
            if k == s {
                break;
            }
            members.push(v[s..k].to_string());
            j = k;
            // A call's arguments are scanned on (`$util.escapeJavaScript($input.path(...))`):
            // a JSONPath `'$.id'` inside them is no reference (`$` then `.`).
            if j < b.len() && b[j] == b'(' {
                break;
            }
        }
        out.push((root, members));
        i = j.max(i + 1);
    }
    out
}

/// Classifies a template value (`$input.path('$.id')`, `orders`, `$context.requestId`).
pub fn classify_template_value(v: &str, vars: &HashMap<String, KeyExpr>) -> KeyExpr {
    let refs = references(v);
    if refs.is_empty() {
        if v.contains("#") {
            return KeyExpr::Unknown {
                reason: format!("`{v}` uses Velocity directives"),
            };
        }
        return KeyExpr::Constant {
            value: v.to_string(),
        };
    }
    combine(
        refs.iter()
            .map(|(root, members)| classify_reference(root, members, vars))
            .collect(),
    )
}

/// Classifies an HTTP API parameter mapping value (`$request.body.id`, `$context.requestId`,
/// a literal).
pub fn classify_parameter(v: &str) -> KeyExpr {
    classify_template_value(v, &HashMap::new())
}

fn classify_reference(root: &str, members: &[String], vars: &HashMap<String, KeyExpr>) -> KeyExpr {
    let first = members.first().map(String::as_str).unwrap_or_default();
    let written = if members.is_empty() {
        format!("${root}")
    } else {
        format!("${root}.{}", members.join("."))
    };
    match root {
        // The request body, headers, query string and path: per request.
        "input" | "request" | "method" => KeyExpr::PerRecord {
            what: format!("`{written}`"),
        },
        // A helper (`$util.escapeJavaScript(...)`): its argument decides, already scanned.
        "util" => KeyExpr::Constant {
            value: String::new(),
        },
        "context" => match first {
            "requestId" | "extendedRequestId" | "awsEndpointRequestId" => KeyExpr::Random {
                what: format!("`{written}`, a new id per request"),
            },
            "requestTime" | "requestTimeEpoch" => KeyExpr::TimeBased {
                what: format!("`{written}`"),
            },
            "identity" if members.get(1).map(String::as_str) == Some("sourceIp") => {
                KeyExpr::PerRecord {
                    what: format!("`{written}`, one key per calling client"),
                }
            }
            "identity" | "authorizer" | "path" => KeyExpr::PerRecord {
                what: format!("`{written}`"),
            },
            "httpMethod" | "resourcePath" | "resourceId" | "routeKey" => KeyExpr::LowCardinality {
                count: Some(1),
                what: format!("`{written}`, the same for every request of this method"),
            },
            "stage" | "apiId" | "accountId" | "domainName" | "domainPrefix" | "protocol" => {
                KeyExpr::LowCardinality {
                    count: None,
                    what: format!("`{written}`"),
                }
            }
            _ => KeyExpr::Unknown {
                reason: format!("`{written}` is not classified"),
            },
        },
        "stageVariables" => KeyExpr::LowCardinality {
            count: None,
            what: format!("the stage variable `{written}`, one value per stage"),
        },
        name => match vars.get(name) {
            // `$elem.id` of a loop variable over the body: per record; `$k` set to a literal.
            Some(KeyExpr::PerRecord { what }) => KeyExpr::PerRecord {
                what: format!("`{written}` ({what})"),
            },
            Some(k) => k.clone(),
            None => KeyExpr::Unknown {
                reason: format!("`${name}` is not set in the template"),
            },
        },
    }
}

/// The class of a value made of several parts: a per-record or random part makes it vary like
/// that part; otherwise time, then few values, then constant.
pub(crate) fn combine(parts: Vec<KeyExpr>) -> KeyExpr {
    let rank = |k: &KeyExpr| match k {
        KeyExpr::Random { .. } => 0,
        KeyExpr::PerRecord { .. } => 1,
        KeyExpr::Unknown { .. } => 2,
        KeyExpr::TimeBased { .. } => 3,
        KeyExpr::LowCardinality { .. } => 4,
        KeyExpr::Constant { .. } => 5,
    };
    let mut best: Option<KeyExpr> = None;
    for p in parts {
        best = match best {
            None => Some(p),
            Some(b) if rank(&p) < rank(&b) => Some(p),
            Some(KeyExpr::LowCardinality {
                count: c0,
                what: w0,
            }) if matches!(p, KeyExpr::LowCardinality { .. }) => {
                let KeyExpr::LowCardinality { count, what } = p else {
                    unreachable!()
                };
                Some(KeyExpr::LowCardinality {
                    count: c0.zip(count).map(|(a, b)| a.saturating_mul(b)),
                    what: format!("{w0} and {what}"),
                })
            }
            b => b,
        };
    }
    match best {
        // Only `$util` helpers around literals: the text itself is not known statically.
        Some(KeyExpr::Constant { value }) if value.is_empty() => KeyExpr::Unknown {
            reason: "the key is computed by a `$util` helper".into(),
        },
        Some(k) => k,
        None => KeyExpr::Unknown {
            reason: "empty value".into(),
        },
    }
}

/// A per-record key for a REST request template, in Velocity.
pub const TEMPLATE_EXAMPLE: &str = "\"PartitionKey\": \"$input.path('$.deviceId')\"";

/// Resolves a stream name or ARN as written (`${Stream}` placeholders) to a value and a
/// resource reference: given the text, where it is written and its logical path.
pub type StreamOf<'a> = &'a dyn Fn(&str, Span, String) -> (Val<String>, Option<String>);

/// The producers of one REST request template (one per `PartitionKey` written).
#[allow(clippy::too_many_arguments)]
pub fn template_producers(
    db: &SourceDb,
    text: &Text,
    origin: &Origin,
    address: &str,
    path: &str,
    action: &str,
    stream: StreamOf,
    example: &str,
) -> Vec<Producer> {
    let scan = scan_template(&text.text);
    let (stream_name, stream_ref) = match &scan.stream {
        None => (Val::absent(join(path, "StreamName")), None),
        Some((r, v)) => {
            let span = text.locate(db, r.clone());
            let refs = references(v);
            if refs.iter().any(|(root, _)| {
                matches!(
                    root.as_str(),
                    "input" | "context" | "stageVariables" | "method"
                )
            }) {
                (
                    Val::unknown(
                        format!("the stream is chosen per request by `{v}`"),
                        Some(span),
                        join(path, "StreamName"),
                    ),
                    None,
                )
            } else {
                stream(v, span, join(path, "StreamName"))
            }
        }
    };
    scan.keys
        .into_iter()
        .map(|k| Producer {
            origin: Origin {
                address: address.to_string(),
                ..origin.clone()
            },
            kind: ProducerKind::ApiGateway,
            label: format!("API Gateway `{action}` integration"),
            stream_name: stream_name.clone(),
            stream_ref: stream_ref.clone(),
            stream: None,
            key: Val::known(
                text.text[k.range.clone()].to_string(),
                Some(text.locate(db, k.range)),
                join(path, "PartitionKey"),
            ),
            class: k.class,
            per_record_example: example.to_string(),
            sample_path: None,
        })
        .collect()
}

/// The producer of an HTTP API `Kinesis-PutRecord` integration, from its `PartitionKey` and
/// `StreamName` request parameters.
pub fn parameter_producer(
    origin: Origin,
    key: Val<String>,
    stream_name: Val<String>,
    stream_ref: Option<String>,
    example: &str,
) -> Producer {
    let class = match &key.state {
        crate::model::ValState::Known(k) => classify_parameter(k),
        crate::model::ValState::Absent => KeyExpr::Unknown {
            reason: "the integration sets no `PartitionKey`".into(),
        },
        crate::model::ValState::Unknown(r) => KeyExpr::Unknown { reason: r.clone() },
    };
    Producer {
        origin,
        kind: ProducerKind::ApiGateway,
        label: "API Gateway `Kinesis-PutRecord` integration".into(),
        stream_name,
        stream_ref,
        stream: None,
        key,
        class,
        per_record_example: example.to_string(),
        sample_path: None,
    }
}

/// Producers of an OpenAPI document's `x-amazon-apigateway-integration`s (a spec file, a
/// CloudFormation `Body`/SAM `DefinitionBody`): REST request templates and HTTP API
/// `Kinesis-PutRecord` request parameters. `prefix` is the document's logical path.
pub fn openapi_producers(
    db: &SourceDb,
    root: &Node,
    origin: &Origin,
    prefix: &str,
    stream: StreamOf,
) -> Vec<Producer> {
    let mut out = Vec::new();
    let paths = join(prefix, "paths");
    for (p, item) in root.get("paths").map(Node::entries).unwrap_or(&[]) {
        for (method, op) in item.entries() {
            let Some(integ) = op.get("x-amazon-apigateway-integration") else {
                continue;
            };
            let ip = join(
                &join(&join(&paths, &p.name), &method.name),
                "x-amazon-apigateway-integration",
            );
            let o = Origin {
                span: method.span,
                ..origin.clone()
            };
            let subtype = integ
                .get("integrationSubtype")
                .and_then(Text::from_node)
                .map(|t| t.text);
            if subtype.as_deref().is_some_and(is_put_record_subtype) {
                let params = integ.get("requestParameters");
                let rp = join(&ip, "requestParameters");
                let val = |k: &str| match params.and_then(|n| n.get(k)).and_then(Text::from_node) {
                    Some(t) => {
                        let span = t.locate(db, 0..t.text.len());
                        (Some(t.text), Some(span))
                    }
                    None => (None, None),
                };
                let (key, key_span) = val("PartitionKey");
                let key = match key {
                    Some(k) => Val::known(k, key_span, join(&rp, "PartitionKey")),
                    None => Val::absent(join(&rp, "PartitionKey")),
                };
                let (sname, sspan) = val("StreamName");
                let (stream_name, stream_ref) = match (sname, sspan) {
                    (Some(s), Some(span)) if s.starts_with('$') && !s.starts_with("${") => (
                        Val::unknown(
                            format!("the stream is chosen per request by `{s}`"),
                            Some(span),
                            join(&rp, "StreamName"),
                        ),
                        None,
                    ),
                    (Some(s), Some(span)) => stream(&s, span, join(&rp, "StreamName")),
                    _ => (Val::absent(join(&rp, "StreamName")), None),
                };
                out.push(parameter_producer(
                    Origin {
                        address: ip.clone(),
                        ..o
                    },
                    key,
                    stream_name,
                    stream_ref,
                    "PartitionKey: $request.body.deviceId",
                ));
                continue;
            }
            let Some(action) = integ
                .get("uri")
                .and_then(Text::from_node)
                .and_then(|t| kinesis_action(&t.text))
            else {
                continue;
            };
            for (ct, tpl) in integ
                .get("requestTemplates")
                .map(Node::entries)
                .unwrap_or(&[])
            {
                let Some(text) = Text::from_node(tpl) else {
                    continue;
                };
                let tp = format!("{}[\"{}\"]", join(&ip, "requestTemplates"), ct.name);
                out.extend(template_producers(
                    db,
                    &text,
                    &o,
                    &tp,
                    &tp,
                    action,
                    stream,
                    TEMPLATE_EXAMPLE,
                ));
            }
        }
    }
    out
}

/// Whether a document is an OpenAPI/Swagger definition with API Gateway integrations.
pub fn is_openapi(root: &Node) -> bool {
    (root.get("openapi").is_some() || root.get("swagger").is_some())
        && root.get("paths").is_some_and(Node::is_map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(t: &str) -> Vec<KeyExpr> {
        scan_template(t).keys.into_iter().map(|k| k.class).collect()
    }

    #[test]
    fn actions() {
        assert_eq!(
            kinesis_action("arn:aws:apigateway:us-east-1:kinesis:action/PutRecord"),
            Some("PutRecord")
        );
        assert_eq!(
            kinesis_action(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:kinesis:action/PutRecords"
            ),
            Some("PutRecords")
        );
        assert_eq!(
            kinesis_action("arn:aws:apigateway:us-east-1:kinesis:action/ListStreams"),
            None
        );
        assert_eq!(
            kinesis_action("arn:aws:apigateway:us-east-1:sqs:path/1/q"),
            None
        );
    }

    #[test]
    fn literal_key_is_constant_with_its_range() {
        let t = "{\n  \"StreamName\": \"orders\",\n  \"Data\": \"$util.base64Encode($input.json('$'))\",\n  \"PartitionKey\": \"orders-key\"\n}";
        let s = scan_template(t);
        assert_eq!(s.stream.as_ref().map(|x| x.1.as_str()), Some("orders"));
        assert_eq!(s.keys.len(), 1);
        assert_eq!(&t[s.keys[0].range.clone()], "orders-key");
        assert_eq!(
            s.keys[0].class,
            KeyExpr::Constant {
                value: "orders-key".into()
            }
        );
    }

    #[test]
    fn input_path_request_id_and_source_ip() {
        assert!(matches!(
            class(r#"{"PartitionKey": "$input.path('$.deviceId')"}"#)[0],
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            class(r#"{"PartitionKey": "$context.requestId"}"#)[0],
            KeyExpr::Random { .. }
        ));
        assert!(matches!(
            class(r#"{"PartitionKey": "$context.identity.sourceIp"}"#)[0],
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            class(r#"{"PartitionKey": "$context.requestTimeEpoch"}"#)[0],
            KeyExpr::TimeBased { .. }
        ));
        assert!(matches!(
            class(r#"{"PartitionKey": "$context.httpMethod"}"#)[0],
            KeyExpr::LowCardinality { count: Some(1), .. }
        ));
        assert!(matches!(
            class(r#"{"PartitionKey": "${context.requestId}"}"#)[0],
            KeyExpr::Random { .. }
        ));
        // `$input.json` returns a quoted string: written without quotes.
        let t = "{\"PartitionKey\": $input.json('$.id'), \"Data\": \"x\"}";
        let s = scan_template(t);
        assert_eq!(&t[s.keys[0].range.clone()], "$input.json('$.id')");
        assert!(matches!(s.keys[0].class, KeyExpr::PerRecord { .. }));
    }

    #[test]
    fn loop_and_set_variables() {
        let t = r#"{
  "StreamName": "$input.path('$.stream')",
  "Records": [
    #foreach($elem in $input.path('$.records'))
    { "Data": "$util.base64Encode($elem.data)", "PartitionKey": "$elem.key" }#if($foreach.hasNext),#end
    #end
  ]
}"#;
        assert!(matches!(class(t)[0], KeyExpr::PerRecord { .. }));
        let t = "#set($k = \"fixed\")\n{\"PartitionKey\": \"$k\"}";
        assert_eq!(
            class(t)[0],
            KeyExpr::Constant {
                value: "fixed".into()
            }
        );
        let t = "{\"PartitionKey\": \"$nowhere\"}";
        assert!(matches!(class(t)[0], KeyExpr::Unknown { .. }));
    }

    #[test]
    fn http_api_parameters() {
        assert!(matches!(
            classify_parameter("$request.body.deviceId"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_parameter("$context.requestId"),
            KeyExpr::Random { .. }
        ));
        assert_eq!(
            classify_parameter("orders"),
            KeyExpr::Constant {
                value: "orders".into()
            }
        );
        assert!(is_put_record_subtype("Kinesis-PutRecord"));
        assert!(!is_put_record_subtype("SQS-SendMessage"));
    }
}
