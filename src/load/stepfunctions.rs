//! Step Functions state machines that write to Kinesis: `Task` states whose resource is the SDK
//! integration `arn:aws:states:::aws-sdk:kinesis:putRecord` (or `putRecords`), found in a
//! definition (Amazon States Language) wherever it is written: a `*.asl.json`/`.asl.yaml` file,
//! a CloudFormation `Definition`/`DefinitionString`, a SAM `DefinitionUri`, a Terraform
//! `definition`. The format loaders hand the definition over as a [`Node`]; this module finds
//! the tasks and classifies `PartitionKey` (a literal), `PartitionKey.$` (a JSONPath or
//! intrinsic function) and JSONata (`{% ... %}`) keys alike.

use crate::model::{KeyExpr, Origin, Producer, ProducerKind, Val};
use crate::source::Span;

use super::json_span::{Kind, Node, index, join};

/// Whether a document is a state machine definition (`StartAt` and a `States` map).
pub fn is_definition(root: &Node) -> bool {
    root.get("StartAt").is_some() && root.get("States").is_some_and(Node::is_map)
}

/// One partition key a task writes.
#[derive(Debug)]
pub struct KeyWrite<'n> {
    /// The task's state name and its path in the definition (`States.Put`).
    pub state: String,
    pub state_path: String,
    pub state_node: &'n Node,
    pub state_key: crate::source::Span,
    /// `putRecord` or `putRecords`.
    pub action: &'static str,
    /// The key's value node and its path; `None` for `Records.$` (records built elsewhere).
    pub key: Option<&'n Node>,
    pub key_path: String,
    pub class: KeyExpr,
    /// `StreamName`/`StreamARN` as written (`.$` when chosen at run time).
    pub stream: Option<(&'n Node, String)>,
    /// The task uses JSONata (`Arguments`, or `QueryLanguage: JSONata`).
    pub jsonata: bool,
}

/// Every partition key written by a Kinesis SDK task, in `Parallel` branches and `Map`
/// iterators too.
pub fn key_writes(root: &Node) -> Vec<KeyWrite<'_>> {
    let jsonata = root.get("QueryLanguage").and_then(Node::as_str) == Some("JSONata");
    let mut out = Vec::new();
    states(root, "", jsonata, 0, &mut out);
    out
}

fn states<'n>(
    parent: &'n Node,
    path: &str,
    jsonata: bool,
    depth: usize,
    out: &mut Vec<KeyWrite<'n>>,
) {
    if depth > 32 {
        return;
    }
    let sp = join(path, "States");
    for (name, st) in parent.get("States").map(Node::entries).unwrap_or(&[]) {
        let p = join(&sp, &name.name);
        let lang = match st.get("QueryLanguage").and_then(Node::as_str) {
            Some(l) => l == "JSONata",
            None => jsonata,
        };
        match st.get("Type").and_then(Node::as_str) {
            Some("Task") => task(name.name.as_str(), name.span, st, &p, lang, out),
            Some("Parallel") => {
                for (i, b) in st
                    .get("Branches")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    states(b, &index(&join(&p, "Branches"), i), lang, depth + 1, out);
                }
            }
            Some("Map") => {
                for k in ["ItemProcessor", "Iterator"] {
                    if let Some(it) = st.get(k) {
                        states(it, &join(&p, k), lang, depth + 1, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The SDK action of a task resource (`arn:aws:states:::aws-sdk:kinesis:putRecord`, also with
/// `${AWS::Partition}` or a `.waitForTaskToken` suffix).
pub fn kinesis_action(resource: &str) -> Option<&'static str> {
    let i = resource.find(":aws-sdk:kinesis:")?;
    let action = &resource[i + ":aws-sdk:kinesis:".len()..];
    match action.split('.').next().unwrap_or_default() {
        "putRecord" => Some("putRecord"),
        "putRecords" => Some("putRecords"),
        _ => None,
    }
}

fn task<'n>(
    name: &str,
    key_span: crate::source::Span,
    st: &'n Node,
    path: &str,
    jsonata: bool,
    out: &mut Vec<KeyWrite<'n>>,
) {
    let Some(action) = st
        .get("Resource")
        .and_then(Node::as_str)
        .and_then(kinesis_action)
    else {
        return;
    };
    let (params, pkey, jsonata) = match (st.get("Arguments"), st.get("Parameters")) {
        (Some(a), _) => (a, "Arguments", true),
        (None, Some(p)) => (p, "Parameters", jsonata),
        (None, None) => return,
    };
    let pp = join(path, pkey);
    let stream = ["StreamName", "StreamName.$", "StreamARN", "StreamARN.$"]
        .iter()
        .find_map(|k| params.get(k).map(|n| (n, k.to_string())));
    let base = |key: Option<&'n Node>, key_path: String, class: KeyExpr| KeyWrite {
        state: name.to_string(),
        state_path: path.to_string(),
        state_node: st,
        state_key: key_span,
        action,
        key,
        key_path,
        class,
        stream: stream.clone(),
        jsonata,
    };
    if action == "putRecord" {
        if let Some((k, n)) = key_of(params) {
            out.push(base(Some(n), join(&pp, &k), classify(&k, n, jsonata)));
        }
        return;
    }
    match params.get("Records") {
        Some(r) if matches!(r.kind, Kind::Seq(_)) => {
            let rp = join(&pp, "Records");
            for (i, rec) in r.items().iter().enumerate() {
                if let Some((k, n)) = key_of(rec) {
                    out.push(base(
                        Some(n),
                        join(&index(&rp, i), &k),
                        classify(&k, n, jsonata),
                    ));
                }
            }
        }
        Some(r) => out.push(base(
            Some(r),
            join(&pp, "Records"),
            KeyExpr::Unknown {
                reason: "the records, keys included, are built at run time".into(),
            },
        )),
        None => {
            if let Some(r) = params.get("Records.$") {
                out.push(base(
                    Some(r),
                    join(&pp, "Records.$"),
                    KeyExpr::Unknown {
                        reason: "the records, keys included, come from the state's input".into(),
                    },
                ));
            }
        }
    }
}

fn key_of(params: &Node) -> Option<(String, &Node)> {
    ["PartitionKey", "PartitionKey.$"]
        .iter()
        .find_map(|k| params.get(k).map(|n| (k.to_string(), n)))
}

/// Classifies a key: `PartitionKey` is a literal unless it is a JSONata expression;
/// `PartitionKey.$` is a JSONPath or an intrinsic function.
pub fn classify(field: &str, n: &Node, jsonata: bool) -> KeyExpr {
    let Some(v) = n.scalar_text() else {
        return KeyExpr::Unknown {
            reason: "the key is not a string".into(),
        };
    };
    let t = v.trim();
    if let Some(expr) = t
        .strip_prefix("{%")
        .and_then(|x| x.strip_suffix("%}"))
        .filter(|_| jsonata || field == "PartitionKey")
    {
        return classify_jsonata(expr.trim());
    }
    if field.ends_with(".$") {
        return classify_path(t);
    }
    KeyExpr::Constant { value: v }
}

/// A JSONPath into the state input or context object, or an intrinsic function over them.
pub fn classify_path(t: &str) -> KeyExpr {
    if t.contains("States.UUID(") {
        return KeyExpr::Random {
            what: "`States.UUID()`".into(),
        };
    }
    if t.starts_with("States.MathRandom(") {
        return KeyExpr::LowCardinality {
            count: None,
            what: format!("`{t}`"),
        };
    }
    let paths = paths_in(t);
    if paths.is_empty() {
        return KeyExpr::Unknown {
            reason: format!("`{t}` reads no path"),
        };
    }
    let classes: Vec<KeyExpr> = paths.iter().map(|p| classify_one_path(p)).collect();
    super::apigateway::combine(classes)
}

/// The `$...` paths in an intrinsic function's arguments (outside quoted strings).
fn paths_in(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut quote = false;
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => quote = !quote,
            b'\\' => i += 1,
            b'$' if !quote => {
                let s = i;
                while i < b.len() && !matches!(b[i], b',' | b')' | b' ' | b'\'') {
                    i += 1;
                }
                out.push(t[s..i].to_string());
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn classify_one_path(p: &str) -> KeyExpr {
    let w = format!("`{p}`");
    if let Some(ctx) = p.strip_prefix("$$.") {
        let mut parts = ctx.split('.');
        return match (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        ) {
            ("Execution", "Id" | "Name") => KeyExpr::PerRecord {
                what: format!("{w} (one key per execution)"),
            },
            ("Execution", "StartTime") | ("State", "EnteredTime") => KeyExpr::TimeBased { what: w },
            ("StateMachine", _) | ("State", "Name") => KeyExpr::LowCardinality {
                count: Some(1),
                what: format!("{w} (the same in every execution)"),
            },
            ("Map", _) | ("Execution", "Input") => KeyExpr::PerRecord { what: w },
            ("Task", "Token") => KeyExpr::Random { what: w },
            _ => KeyExpr::Unknown {
                reason: format!("{w} is not classified"),
            },
        };
    }
    KeyExpr::PerRecord { what: w }
}

/// A JSONata expression (the text inside `{% %}`).
pub fn classify_jsonata(e: &str) -> KeyExpr {
    let w = format!("`{{% {e} %}}`");
    let quoted =
        (e.starts_with('\'') && e.ends_with('\'')) || (e.starts_with('"') && e.ends_with('"'));
    if quoted && e.len() >= 2 && !e[1..e.len() - 1].contains(['\'', '"', '&']) {
        return KeyExpr::Constant {
            value: e[1..e.len() - 1].to_string(),
        };
    }
    if e.contains("$uuid(") {
        return KeyExpr::Random { what: w };
    }
    if e.contains("$states.input") || e.contains("$states.context.Map") {
        return KeyExpr::PerRecord { what: w };
    }
    if e.contains("$states.context.Execution.Id") || e.contains("$states.context.Execution.Name") {
        return KeyExpr::PerRecord {
            what: format!("{w} (one key per execution)"),
        };
    }
    if e.contains("$now(") || e.contains("$millis(") {
        return KeyExpr::TimeBased { what: w };
    }
    if e.contains("$random(") {
        return KeyExpr::Random { what: w };
    }
    KeyExpr::Unknown {
        reason: format!("{w} is not classified statically"),
    }
}

/// A per-record key in a definition's own syntax.
pub fn example(jsonata: bool) -> &'static str {
    if jsonata {
        "\"PartitionKey\": \"{% $states.input.deviceId %}\""
    } else {
        "\"PartitionKey.$\": \"$.deviceId\""
    }
}

/// Where a definition is written, for the producers found in it.
pub struct Place<'a> {
    pub db: &'a crate::source::SourceDb,
    /// The string the definition was parsed from (spans in the definition are offsets into
    /// it); `None` when the definition's nodes carry the file's own spans.
    pub text: Option<&'a super::embedded::Text>,
    /// The state machine (resource or file); its address prefixes each task's.
    pub origin: Origin,
    /// The definition's logical path (`aws_sfn_state_machine.x.definition`).
    pub path: String,
    /// A per-record key in the syntax the definition is written in.
    pub example: Option<String>,
}

impl Place<'_> {
    fn at(&self, s: Span) -> Span {
        match self.text {
            Some(t) => t.locate(self.db, s.start..s.end),
            None => s,
        }
    }
}

/// The producers of a definition: one per partition key written. `stream` resolves a stream
/// name or ARN as written (`${StreamName}` substitutions) to a value and a resource reference.
pub fn producers(root: &Node, place: &Place, stream: super::apigateway::StreamOf) -> Vec<Producer> {
    let mut out = Vec::new();
    for w in key_writes(root) {
        let state_span = place.at(w.state_key);
        let address = if place.path.is_empty() {
            format!("{}:{}", place.origin.address, w.state_path)
        } else {
            join(&place.path, &w.state_path)
        };
        let key_path = join(&place.path, &w.key_path);
        let key = match w.key {
            Some(n) => {
                let written = n.scalar_text().unwrap_or_else(|| "[records]".into());
                Val::known(written, Some(place.at(n.span)), key_path)
            }
            None => Val::absent(key_path),
        };
        let (stream_name, stream_ref) = match &w.stream {
            None => (
                Val::absent(join(
                    &place.path,
                    &join(&w.state_path, "Parameters.StreamName"),
                )),
                None,
            ),
            Some((n, field)) => {
                let sp = join(
                    &place.path,
                    &join(&w.state_path, &format!("Parameters.{field}")),
                );
                let span = place.at(n.span);
                match n.as_str() {
                    Some(v) if field.ends_with(".$") => (
                        Val::unknown(
                            format!("the stream is chosen at run time by `{v}`"),
                            Some(span),
                            sp,
                        ),
                        None,
                    ),
                    Some(v) => stream(v, span, sp),
                    None => (
                        Val::unknown("the stream name is not a string", Some(span), sp),
                        None,
                    ),
                }
            }
        };
        out.push(Producer {
            origin: Origin {
                address,
                span: state_span,
                ..place.origin.clone()
            },
            kind: ProducerKind::StepFunctions,
            label: format!("Step Functions task `{}`", w.state),
            stream_name,
            stream_ref,
            stream: None,
            key,
            class: w.class,
            per_record_example: place
                .example
                .clone()
                .unwrap_or_else(|| example(w.jsonata).to_string()),
            sample_path: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Node {
        super::super::json_span::parse_json_text(t, crate::source::FileId(0))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn put_record_tasks_in_branches_and_maps() {
        let d = parse(
            r#"{"StartAt": "P", "States": {
              "P": {"Type": "Parallel", "Branches": [{"StartAt": "A", "States": {
                "A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:kinesis:putRecord",
                      "Parameters": {"StreamName": "orders", "Data.$": "$", "PartitionKey": "fixed"}, "End": true}}}],
                "Next": "M"},
              "M": {"Type": "Map", "ItemProcessor": {"StartAt": "B", "States": {
                "B": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:kinesis:putRecords",
                      "Parameters": {"StreamName": "orders", "Records": [{"Data.$": "$", "PartitionKey.$": "$.id"}]}, "End": true}}},
                "End": true},
              "Other": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}
            }}"#,
        );
        assert!(is_definition(&d));
        let w = key_writes(&d);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0].class,
            KeyExpr::Constant {
                value: "fixed".into()
            }
        );
        assert_eq!(
            w[0].key_path,
            "States.P.Branches[0].States.A.Parameters.PartitionKey"
        );
        assert!(matches!(w[1].class, KeyExpr::PerRecord { .. }));
        assert_eq!(w[1].action, "putRecords");
    }

    #[test]
    fn paths_and_intrinsics() {
        assert!(matches!(
            classify_path("$.deviceId"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_path("States.UUID()"),
            KeyExpr::Random { .. }
        ));
        assert!(matches!(
            classify_path("States.Format('order-{}', $.id)"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_path("$$.StateMachine.Name"),
            KeyExpr::LowCardinality { count: Some(1), .. }
        ));
        assert!(matches!(
            classify_path("$$.State.EnteredTime"),
            KeyExpr::TimeBased { .. }
        ));
    }

    #[test]
    fn jsonata() {
        assert!(matches!(
            classify_jsonata("$states.input.deviceId"),
            KeyExpr::PerRecord { .. }
        ));
        assert!(matches!(
            classify_jsonata("$uuid()"),
            KeyExpr::Random { .. }
        ));
        assert_eq!(
            classify_jsonata("'fixed'"),
            KeyExpr::Constant {
                value: "fixed".into()
            }
        );
    }
}
