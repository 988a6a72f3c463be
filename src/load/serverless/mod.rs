//! Serverless Framework (v3 and v4) `serverless.yml`/`.yaml`/`.json` into the model: each
//! function's `stream` events (Kinesis and DynamoDB) become event source mappings with the
//! framework's defaults, functions take `provider` defaults, and `resources.Resources` is read as
//! CloudFormation with spans in this file. Variables are resolved first ([`variables`]). Sits
//! beside the CloudFormation loader, which it reuses for intrinsics and resources.

mod variables;

use std::path::Path;

use crate::load::cloudformation::{self, function_arn};
use crate::load::json_span::{self, Key, Kind, Node, index};
use crate::model::{
    Dialect, EventSourceMapping, Function, IacEffect, Model, Origin, Related, SourceKind, Val,
    ValState,
};
use crate::source::{FileId, SourceDb, Span};

use variables::Resolver;

/// Text only a Serverless file contains; a broken file is reported only when it has one.
pub static FORMAT: json_span::Format = json_span::Format {
    markers: &["frameworkVersion:", "\nprovider:\n  name: aws"],
    what: "Serverless Framework file",
    help: "fix the syntax; `serverless print` reports the same error",
};

/// The framework's defaults for what a function or stream event does not set
/// (lib/plugins/aws/package/compile/events/stream.js and the provider schema).
const DEFAULT_TIMEOUT: i64 = 6;
const DEFAULT_MEMORY: i64 = 1024;
const DEFAULT_BATCH_SIZE: i64 = 10;
const DEFAULT_STARTING_POSITION: &str = "TRIM_HORIZON";

/// How a Serverless file spells stream event settings and fixes.
pub static DIALECT: Dialect = Dialect {
    param: param_name,
    key_param: "PartitionKey",
    key_example: |t| format!("PartitionKey: '{}'", variables::escape(t)),
    add_destination: "add `destinations: {onFailure: <SQS queue, SNS topic or S3 bucket ARN>}` to the stream event",
    bound_retries: |_| {
        "set `maximumRetryAttempts` (e.g. `3`) or `maximumRecordAgeInSeconds` on the stream event, with `bisectBatchOnFunctionError: true` and `destinations: {onFailure: <SQS queue, SNS topic or S3 bucket ARN>}` to keep the failed batch (S3 keeps the records themselves)".into()
    },
    deployed_state: false,
    interpolation,
    key_literal: |t, _| Some(format!("'{}'", variables::escape(t).replace('\'', "''"))),
    setting_line: crate::model::yaml_setting,
    line_comment: crate::model::hash_comment,
};

fn param_name(api: &str) -> String {
    match api {
        "MaximumBatchingWindowInSeconds" => "batchWindow".into(),
        "DestinationConfig" => "destinations".into(),
        "FunctionResponseTypes" => "functionResponseType".into(),
        // Streams are declared under `resources.Resources`, in CloudFormation's names.
        "RetentionPeriodHours" => api.into(),
        other => {
            let mut c = other.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => String::new(),
            }
        }
    }
}

fn interpolation(_: IacEffect, expr: &str, escaped: &str) -> (String, &'static str, String) {
    (
        format!(
            "the Serverless Framework reads `${{{expr}}}` as one of its variables and fails the deploy (\"Unrecognized configuration variable sources\"); IoT never sees the template"
        ),
        "a Serverless variable",
        format!(
            "escape it so the framework leaves it to IoT: `{escaped}` (in a plain or single-quoted scalar)"
        ),
    )
}

/// Whether a parsed YAML/JSON document is a Serverless service file.
fn is_serverless(root: &Node) -> bool {
    root.get("service").is_some()
        && root.get("provider").is_some_and(Node::is_map)
        && (root.get("functions").is_some() || root.get("resources").is_some())
}

/// Reads a parsed document; `None` when it is not a Serverless file.
pub fn from_root(db: &SourceDb, file: FileId, root: &Node) -> Option<Model> {
    if !is_serverless(root) {
        return None;
    }
    let src = db.get(file);
    let dir = src.path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut r = Resolver {
        db,
        root,
        included: Vec::new(),
        inclusions: 0,
        dir,
        file,
        stage: None,
        interps: Vec::new(),
    };
    // The stage first: `${sls:stage}` and default names use it.
    let provider = r.tree(root.get("provider").expect("checked"));
    r.stage = provider.get("stage").and_then(Node::scalar_text);
    r.interps.clear();
    let resolved = r.tree(root);
    let module = src.display_name();

    // `resources.Resources` is CloudFormation.
    let template = Node {
        span: root.span,
        escapes: Default::default(),
        kind: Kind::Map(
            resolved
                .get("resources")
                .map(|res| {
                    res.entries()
                        .iter()
                        .filter(|(k, _)| matches!(k.name.as_str(), "Resources" | "Conditions"))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
        ),
    };
    let mut m = cloudformation::from_template(db, file, &template);
    // Keys in this file are written the Serverless way (`\${newuuid()}`), whatever the resource.
    for rule in &mut m.rules {
        rule.origin.kind = SourceKind::Serverless;
    }
    // Keys the framework itself rejects (`${newuuid()}`): the interpolation explains it.
    for rule in &mut m.rules {
        for a in &mut rule.actions {
            let Some(span) = a.partition_key.span else {
                continue;
            };
            for (s, i) in &r.interps {
                if s.start >= span.start && s.end <= span.end {
                    a.iac_interpolations.push(i.clone());
                }
            }
        }
    }

    let service = match resolved.get("service") {
        Some(s) if s.is_map() => s.get("name").and_then(Node::scalar_text),
        Some(s) => s.scalar_text(),
        None => None,
    }
    .unwrap_or_default();
    let stage = r.stage();
    for (key, f) in resolved.get("functions").map(Node::entries).unwrap_or(&[]) {
        let address = format!("functions.{}", key.name);
        let origin = Origin {
            kind: SourceKind::Serverless,
            address: address.clone(),
            span: key.span,
            module: module.clone(),
        };
        let name = match f.get("name") {
            Some(n) => match n.scalar_text() {
                Some(t) if !matches!(n.kind, Kind::Tagged(..)) => {
                    Val::known(t, Some(n.span), format!("{address}.name"))
                }
                _ => Val::unknown(
                    "the function name is not known statically",
                    Some(n.span),
                    format!("{address}.name"),
                ),
            },
            None => {
                // The framework names functions `<service>-<stage>-<key>`.
                let mut v = Val::known(
                    format!("{service}-{stage}-{}", key.name),
                    Some(key.span),
                    format!("{address}.name"),
                );
                v.via.push(Related {
                    span: key.span,
                    path: address.clone(),
                    message:
                        "the Serverless Framework names the function `<service>-<stage>-<key>`"
                            .into(),
                });
                v
            }
        };
        let setting = |k: &str, default: i64| -> Val<i64> {
            let path = format!("{address}.{k}");
            match f
                .get(k)
                .or_else(|| resolved.get("provider").and_then(|p| p.get(k)))
            {
                Some(n) => int_of(n, path),
                None => Val::known(default, None, path),
            }
        };
        let function = Function {
            origin: origin.clone(),
            arn: name.get().map(|n| function_arn(n)),
            timeout: setting("timeout", DEFAULT_TIMEOUT),
            memory_size: setting("memorySize", DEFAULT_MEMORY),
            name: name.clone(),
        };
        for (i, ev) in f
            .get("events")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(stream) = ev.get("stream") else {
                continue;
            };
            let span = ev.key_span("stream").unwrap_or(stream.span);
            let path = format!("{}.stream", index(&format!("{address}.events"), i));
            let origin = Origin {
                address: path.clone(),
                span,
                ..origin.clone()
            };
            let mut fval = name.clone();
            fval.span = Some(span);
            fval.path = format!("{path}.function");
            m.mappings.push(stream_event(
                db, file, &template, stream, &path, origin, fval,
            ));
        }
        m.functions.push(function);
    }
    m.included = std::mem::take(&mut r.included);
    Some(m)
}

fn int_of(n: &Node, path: String) -> Val<i64> {
    match n.scalar_text().map(|t| t.trim().parse::<i64>()) {
        Some(Ok(v)) if !matches!(n.kind, Kind::Tagged(..)) => Val::known(v, Some(n.span), path),
        _ => {
            let why = match &n.kind {
                Kind::Tagged(_, inner) => inner.scalar_text().unwrap_or_default(),
                _ => "not an integer".into(),
            };
            Val::unknown(why, Some(n.span), path)
        }
    }
}

/// One `stream` event: a bare ARN, or an object with `arn`, `type`, `batchSize`, ...
fn stream_event(
    db: &SourceDb,
    file: FileId,
    template: &Node,
    stream: &Node,
    path: &str,
    origin: Origin,
    function: Val<String>,
) -> EventSourceMapping {
    let object = stream.is_map() && cloudformation_intrinsic(stream).is_none();
    let get = |k: &str| if object { stream.get(k) } else { None };
    let key = |name: &str, at: Span| Key {
        name: name.into(),
        span: at,
    };
    let mut props: Vec<(Key, Node)> = Vec::new();
    let mut put = |api: &str, k: &str| {
        if let Some((kk, v)) = stream.entries().iter().find(|(kk, _)| kk.name == k)
            && object
        {
            props.push((key(api, kk.span), v.clone()));
        }
    };
    put("BatchSize", "batchSize");
    put("MaximumBatchingWindowInSeconds", "batchWindow");
    put("StartingPosition", "startingPosition");
    put("MaximumRetryAttempts", "maximumRetryAttempts");
    put("MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds");
    put("BisectBatchOnFunctionError", "bisectBatchOnFunctionError");
    put("ParallelizationFactor", "parallelizationFactor");
    put("TumblingWindowInSeconds", "tumblingWindowInSeconds");
    put("Enabled", "enabled");
    if let Some(t) = get("functionResponseType") {
        let list = match &t.kind {
            Kind::Seq(_) => t.clone(),
            _ => Node {
                span: t.span,
                escapes: t.escapes,
                kind: Kind::Seq(vec![t.clone()]),
            },
        };
        props.push((key("FunctionResponseTypes", t.span), list));
    }
    // `consumer: <ARN>` reads through that enhanced fan-out consumer.
    let consumer = get("consumer");
    let arn = match consumer {
        Some(c) if c.as_str().is_some_and(|s| s.starts_with("arn:")) => Some(c),
        _ if object => get("arn"),
        _ => Some(stream),
    };
    if let Some(a) = arn {
        props.push((key("EventSourceArn", a.span), a.clone()));
    }
    if let Some(dest) = get("destinations").and_then(|d| d.get("onFailure")) {
        let target = if dest.is_map() && cloudformation_intrinsic(dest).is_none() {
            dest.get("arn").cloned()
        } else {
            Some(dest.clone())
        };
        if let Some(target) = target {
            let at = target.span;
            let wrap = |name: &str, inner: Node| Node {
                span: at,
                escapes: Default::default(),
                kind: Kind::Map(vec![(key(name, at), inner)]),
            };
            props.push((
                key("DestinationConfig", at),
                wrap("OnFailure", wrap("Destination", target)),
            ));
        }
    }
    let props = Node {
        span: stream.span,
        escapes: Default::default(),
        kind: Kind::Map(props),
    };
    let mut m =
        cloudformation::mapping_from_properties(db, file, template, &props, path, origin, function);
    // The framework writes these defaults into the template it deploys.
    if m.batch_size.is_absent() {
        m.batch_size = Val::known(DEFAULT_BATCH_SIZE, None, format!("{path}.batchSize"));
    }
    if m.starting_position.is_absent() {
        m.starting_position = Val::known(
            DEFAULT_STARTING_POSITION.to_string(),
            None,
            format!("{path}.startingPosition"),
        );
    }
    // `type:` says what the stream is when the ARN does not (the framework requires it then).
    m.source_type_hint = match get("type").and_then(Node::as_str) {
        Some("kinesis") => Some(crate::model::EventSourceType::Kinesis),
        Some("dynamodb") => Some(crate::model::EventSourceType::DynamoDbStreams),
        _ => m.source_type_hint,
    };
    // `consumer: true`: the framework creates a consumer of the stream and reads through it.
    if consumer.is_some_and(|c| matches!(c.kind, Kind::Bool(true)))
        && let ValState::Known(a) = &m.source_arn.state
    {
        let fname = m.function.get().cloned().unwrap_or_default();
        m.source_arn.state = ValState::Known(format!("{a}/consumer/{fname}:0"));
    }
    m
}

fn cloudformation_intrinsic(n: &Node) -> Option<&str> {
    match &n.kind {
        Kind::Tagged(t, _) => Some(t),
        Kind::Map(e)
            if e.len() == 1 && (e[0].0.name == "Ref" || e[0].0.name.starts_with("Fn::")) =>
        {
            Some(&e[0].0.name)
        }
        _ => None,
    }
}
