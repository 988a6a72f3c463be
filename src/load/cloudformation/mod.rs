//! CloudFormation and SAM templates (YAML with short-form tags, and JSON) into the model: Kinesis
//! streams, IoT topic rules, EventBridge rule targets and pipes on streams, event source mappings
//! and functions, with intrinsics resolved as far
//! as the template alone allows (see [`resolve`]). Sits between discovery and linking.
//!
//! Conventions the linker relies on:
//! - `Origin.address` is `Resources.<LogicalId>` (SAM events: `Resources.<Fn>.Properties.Events.<E>`),
//!   `Origin.module` the template path; value paths are `Resources.<Id>.Properties.…`.
//! - A resource without a physical name (`Name`, `FunctionName`, `RuleName`) gets an unknown name
//!   ("CloudFormation generates the name"); a `!Ref`/`!GetAtt` to it resolves to its **logical id**
//!   used as the name, with a `via` entry saying so. The linker should fall back to matching such a
//!   value against `Origin.address == "Resources.<value>"` in the same module.
//! - `!GetAtt S.Arn` of a stream is `arn:<partition>:kinesis:<region>:<account>:stream/<name>`
//!   (function: `arn:<partition>:lambda:<region>:<account>:function:<name>`): placeholders without
//!   `:` so `classify_source_arn` still finds the stream name. Stream and function `arn` fields use
//!   the same form, so ARN equality links too.

mod producers;
pub(crate) mod resolve;
mod yaml;

use crate::diagnostic::InputError;
use crate::load::event_source;
use crate::load::json_span::{self, Kind, Node, index, join};
use crate::model::{
    EventSourceMapping, EventSourceType, Function, IacInterpolation, KinesisAction, Model, Origin,
    RecordDistribution, Related, SourceKind, Stream, StreamMode, TopicRule, Val, ValState,
};
use crate::source::{FileId, SourceDb, Span};

use resolve::{Ctx, Resolved, Tpl};
pub use resolve::{UNKNOWN_TAG, function_arn, stream_arn};

/// Text that only a template contains; a file that fails to parse is reported only when it has one.
const MARKERS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "AWS::Serverless",
    "Type: AWS::",
    "\"Type\": \"AWS::",
];

/// How CloudFormation spells parameters (the API names), keys and fixes.
pub static DIALECT: crate::model::Dialect = crate::model::Dialect {
    param: |api| api.to_string(),
    key_param: "PartitionKey",
    key_example: |t| format!("PartitionKey: \"{t}\""),
    add_destination: "add `DestinationConfig: {OnFailure: {Destination: <SQS queue, SNS topic or S3 bucket ARN>}}`",
    bound_retries: |_| {
        "set `MaximumRetryAttempts` (e.g. `3`) or `MaximumRecordAgeInSeconds`, with `BisectBatchOnFunctionError: true` and `DestinationConfig: {OnFailure: {Destination: <SQS queue, SNS topic or S3 bucket ARN>}}` to keep the failed batch (S3 keeps the records themselves)".into()
    },
    deployed_state: false,
    interpolation: sub_interpolation,
    // Outside `!Sub`, CloudFormation passes `${...}` through to IoT unchanged.
    key_literal: |t, _| Some(crate::model::double_quoted(t)),
    setting_line: crate::model::yaml_setting,
    line_comment: crate::model::hash_comment,
};

fn sub_interpolation(
    effect: crate::model::IacEffect,
    expr: &str,
    escaped: &str,
) -> (String, &'static str, String) {
    let help = format!(
        "escape it as `{escaped}` inside `!Sub`, or drop `!Sub` and write the template as a plain string"
    );
    match effect {
        crate::model::IacEffect::Substituted => (
            format!(
                "`!Sub` replaces `${{{expr}}}` at deploy time, so the key is the same for every record"
            ),
            "substituted by CloudFormation",
            help,
        ),
        _ => (
            format!(
                "`!Sub` tries to substitute `${{{expr}}}`: there is no parameter or resource of that name, so the deploy fails"
            ),
            "substituted by CloudFormation",
            help,
        ),
    }
}

/// Loads a YAML or JSON CloudFormation/SAM template. `Ok(None)`: not a template (skipped).
pub static FORMAT: json_span::Format = json_span::Format {
    markers: MARKERS,
    what: "template",
    help: "fix the syntax error; CloudFormation would reject this template too",
};

pub fn load(db: &SourceDb, file: FileId) -> Result<Option<Model>, InputError> {
    let text = &db.get(file).text;
    if text.trim_start().starts_with('{') {
        return match json_span::parse_for(db, file, &[&FORMAT])? {
            Some(root) => Ok(from_root(db, file, &root)),
            None => Ok(None),
        };
    }
    match parse_yaml(db, file, &[&FORMAT])? {
        Some(root) => Ok(from_root(db, file, &root)),
        None => Ok(None),
    }
}

/// Parses a YAML file once for every YAML loader (with CloudFormation's short-form tags, which
/// Serverless also accepts). A syntax error is reported for the first format whose markers the
/// text mentions; otherwise the file is not ours and is skipped.
pub fn parse_yaml(
    db: &SourceDb,
    file: FileId,
    formats: &[&json_span::Format],
) -> Result<Option<Node>, InputError> {
    let text = &db.get(file).text;
    match yaml::parse(text, file) {
        Ok(root) => Ok(root),
        Err(e) => match formats
            .iter()
            .find(|f| json_span::mentions_any(text, f.markers))
        {
            Some(f) => Err(json_span::input_error(
                db,
                file,
                Some(e.span),
                format!("cannot parse {}: {}", f.what, e.message),
                Some(f.help),
            )),
            None => Ok(None),
        },
    }
}

/// Parses YAML text that is not a file of the run (a Serverless `file(...)` variable); `None`
/// when it does not parse.
pub fn parse_yaml_text(text: &str, file: FileId) -> Option<Node> {
    yaml::parse(text, file).ok().flatten()
}

/// Reads `root` as a template whatever it holds (the `resources` section of a Serverless file).
pub fn from_template(db: &SourceDb, file: FileId, root: &Node) -> Model {
    extract(&Tpl::new(db, file, root))
}

/// An event source mapping from CloudFormation-named properties (`BatchSize`, ...), resolved
/// against the template `root` (for `Fn::GetAtt` of its streams): for formats that compile to
/// CloudFormation (Serverless).
pub fn mapping_from_properties(
    db: &SourceDb,
    file: FileId,
    root: &Node,
    props: &Node,
    path: &str,
    origin: Origin,
    function: Val<String>,
) -> EventSourceMapping {
    let t = Tpl::new(db, file, root);
    mapping(&t, props, path, origin, function, "EventSourceArn")
}

/// A string value resolved against the template `root`: (value, `!Sub` interpolations).
pub fn string_value(
    db: &SourceDb,
    file: FileId,
    root: &Node,
    parent: &Node,
    key: &str,
    path: &str,
) -> Val<String> {
    Tpl::new(db, file, root)
        .str_val(parent, key, path, Ctx::NAME)
        .0
}

/// Reads an already parsed document; `None` when it is not a template.
pub fn from_root(db: &SourceDb, file: FileId, root: &Node) -> Option<Model> {
    if !is_template(root) {
        return None;
    }
    let tpl = Tpl::new(db, file, root);
    Some(extract(&tpl))
}

/// A template has `AWSTemplateFormatVersion`, or `Resources` whose entries have `Type: AWS::…`.
fn is_template(root: &Node) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    root.get("Resources").is_some_and(|r| {
        r.entries().iter().any(|(_, res)| {
            res.get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.starts_with("AWS::"))
        })
    })
}

fn extract(t: &Tpl) -> Model {
    let mut m = Model::default();
    for (key, res) in t.resources().entries() {
        let Some(ty) = res.get("Type").and_then(Node::as_str) else {
            continue;
        };
        let base = format!("Resources.{}", key.name);
        let origin = Origin {
            kind: SourceKind::CloudFormation,
            address: base.clone(),
            span: key.span,
            module: t.module.clone(),
        };
        let empty = Node {
            span: key.span,
            escapes: Default::default(),
            kind: Kind::Map(Vec::new()),
        };
        let props = res.get("Properties").unwrap_or(&empty);
        let pp = join(&base, "Properties");
        match ty {
            "AWS::Kinesis::Stream" => m
                .streams
                .push(stream(t, &key.name, key.span, props, &pp, origin)),
            "AWS::IoT::TopicRule" => m.rules.push(topic_rule(t, key.span, props, &pp, origin)),
            "AWS::Events::Rule" => m.producers.extend(event_targets(t, props, &pp, &origin)),
            "AWS::Pipes::Pipe" => m.producers.extend(pipe(t, props, &pp, origin)),
            "AWS::ApiGateway::Method" => m
                .producers
                .extend(producers::api_method(t, props, &pp, &origin)),
            "AWS::ApiGatewayV2::Integration" => m
                .producers
                .extend(producers::http_integration(t, props, &pp, origin)),
            "AWS::ApiGateway::RestApi" | "AWS::ApiGatewayV2::Api" => m
                .producers
                .extend(producers::openapi_body(t, props, "Body", &pp, &origin)),
            "AWS::Serverless::Api" | "AWS::Serverless::HttpApi" => m.producers.extend(
                producers::openapi_body(t, props, "DefinitionBody", &pp, &origin),
            ),
            "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => {
                let (found, included) = producers::state_machine(t, props, &pp, origin);
                m.producers.extend(found);
                m.included.extend(included);
            }
            "AWS::Lambda::EventSourceMapping" => {
                let function = t.str_val(props, "FunctionName", &pp, Ctx::ARN).0;
                m.mappings
                    .push(mapping(t, props, &pp, origin, function, "EventSourceArn"));
            }
            "AWS::Lambda::Function" => m
                .functions
                .push(function(t, &key.name, key.span, props, &pp, origin, false)),
            "AWS::Serverless::Function" => {
                let f = function(t, &key.name, key.span, props, &pp, origin.clone(), true);
                let events = join(&pp, "Events");
                for (ek, ev) in props.get("Events").map(Node::entries).unwrap_or(&[]) {
                    let kind = ev.get("Type").and_then(Node::as_str);
                    let Some(source_type) = kind.and_then(event_source::of_event_type) else {
                        continue;
                    };
                    // The property that names the source, per SAM event type.
                    let source_key = match source_type {
                        EventSourceType::Sqs | EventSourceType::SqsFifo => "Queue",
                        EventSourceType::Mq => "Broker",
                        EventSourceType::DocumentDb => "Cluster",
                        _ => "Stream",
                    };
                    let ep = join(&events, &ek.name);
                    let evprops = ev.get("Properties").unwrap_or(&empty);
                    let o = Origin {
                        address: ep.clone(),
                        span: ek.span,
                        ..origin.clone()
                    };
                    // The function is implicit: the enclosing one, by name or logical id.
                    let mut fv = f.name.clone();
                    if !matches!(fv.state, ValState::Known(_)) {
                        fv = t.logical_name(&key.name, key.span, "FunctionName");
                    }
                    fv.span = Some(ek.span);
                    fv.path = join(&ep, "Function");
                    let mut esm = mapping(t, evprops, &join(&ep, "Properties"), o, fv, source_key);
                    esm.source_type_hint = Some(source_type);
                    m.mappings.push(esm);
                }
                m.functions.push(f);
            }
            _ => {}
        }
    }
    m
}

fn stream(t: &Tpl, id: &str, key_span: Span, props: &Node, pp: &str, origin: Origin) -> Stream {
    let name = if props.get("Name").is_some() {
        t.str_val(props, "Name", pp, Ctx::NAME).0
    } else {
        Val::unknown(
            "CloudFormation generates the name",
            Some(key_span),
            join(pp, "Name"),
        )
    };
    let mode = match props.get("StreamModeDetails") {
        Some(d) if d.is_map() => {
            t.str_val(d, "StreamMode", &join(pp, "StreamModeDetails"), Ctx::NAME)
                .0
        }
        Some(_) => t.str_val(props, "StreamModeDetails", pp, Ctx::NAME).0,
        None => Val::absent(join(pp, "StreamModeDetails.StreamMode")),
    };
    let mode = parse_val(mode, StreamMode::parse);
    let mut shard_count = t.int_val(props, "ShardCount", pp);
    if shard_count.is_absent() && !matches!(mode.state, ValState::Known(StreamMode::OnDemand)) {
        shard_count = Val::unknown(
            "ShardCount is omitted; CloudFormation documents no default",
            Some(key_span),
            join(pp, "ShardCount"),
        );
    }
    let arn_name = name.get().cloned().unwrap_or_else(|| id.to_string());
    let record_distribution = parse_val(
        t.str_val(props, "RecordDistributionStrategy", pp, Ctx::NAME)
            .0,
        |s| {
            RecordDistribution::parse(s).ok_or_else(|| {
                format!("`{s}` is not a record distribution strategy (USER_PARTITION_KEY or AUTO)")
            })
        },
    );
    Stream {
        origin,
        name,
        arn: Some(resolve::stream_arn(&arn_name)),
        mode,
        shard_count,
        shards: None,
        shards_span: None,
        retention_hours: t.int_val(props, "RetentionPeriodHours", pp),
        record_distribution,
    }
}

fn topic_rule(t: &Tpl, key_span: Span, props: &Node, pp: &str, origin: Origin) -> TopicRule {
    let name = if props.get("RuleName").is_some() {
        t.str_val(props, "RuleName", pp, Ctx::NAME).0
    } else {
        Val::unknown(
            "CloudFormation generates the name",
            Some(key_span),
            join(pp, "RuleName"),
        )
    };
    let payload_path = join(pp, "TopicRulePayload");
    let empty = Node {
        span: key_span,
        escapes: Default::default(),
        kind: Kind::Map(Vec::new()),
    };
    let payload = props.get("TopicRulePayload").unwrap_or(&empty);
    let sql = t.str_val(payload, "Sql", &payload_path, Ctx::NAME).0;
    let sql_version = t
        .str_val(payload, "AwsIotSqlVersion", &payload_path, Ctx::NAME)
        .0;
    let enabled = t
        .bool_val(payload, "RuleDisabled", &payload_path)
        .map(|d| !d);
    let mut actions = Vec::new();
    let actions_path = join(&payload_path, "Actions");
    for (i, a) in payload
        .get("Actions")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        if let Some(k) = a.get("Kinesis") {
            actions.push(kinesis_action(
                t,
                k,
                &join(&index(&actions_path, i), "Kinesis"),
                false,
            ));
        }
    }
    if let Some(k) = payload.get("ErrorAction").and_then(|e| e.get("Kinesis")) {
        actions.push(kinesis_action(
            t,
            k,
            &join(&payload_path, "ErrorAction.Kinesis"),
            true,
        ));
    }
    TopicRule {
        origin,
        name,
        sql,
        sql_version,
        enabled,
        actions,
    }
}

fn kinesis_action(t: &Tpl, k: &Node, path: &str, in_error_action: bool) -> KinesisAction {
    let (stream_name, _) = t.str_val(k, "StreamName", path, Ctx::NAME);
    let (partition_key, iac_interpolations) = t.str_val(k, "PartitionKey", path, Ctx::KEY);
    KinesisAction {
        path: path.to_string(),
        span: k.span,
        in_error_action,
        stream_name,
        partition_key,
        iac_interpolations,
        stream: None,
        stream_ref: None,
        key_literal: None,
    }
}

/// `PartitionKeyPath: $.detail.deviceId` in YAML, `"PartitionKeyPath": "..."` in JSON, as the
/// file at `at` writes it.
fn cfn_setting(t: &Tpl, at: Span, name: &str, value: &str) -> String {
    let file = t.db.get(at.file);
    let line = file.line_text(file.line_col(at.start).line);
    if line.trim_start().starts_with('"') || line.trim_start().starts_with('{') {
        format!("\"{name}\": \"{value}\"")
    } else {
        format!("{name}: {value}")
    }
}

/// A target ARN that names a Kinesis stream.
fn is_stream_arn(v: &Val<String>) -> bool {
    v.get().is_some_and(|a| {
        matches!(
            crate::model::classify_source_arn(a),
            crate::model::SourceTarget::KinesisStream { .. }
        )
    })
}

/// Each target of an EventBridge rule that writes to a Kinesis stream
/// (`Targets[].KinesisParameters.PartitionKeyPath`; the event id when absent).
fn event_targets(t: &Tpl, props: &Node, pp: &str, origin: &Origin) -> Vec<crate::model::Producer> {
    use crate::model::{KeyExpr, Producer, ProducerKind, producer};
    let mut out = Vec::new();
    let targets = join(pp, "Targets");
    for (i, target) in props
        .get("Targets")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let tp = index(&targets, i);
        let (arn, _) = t.str_val(target, "Arn", &tp, Ctx::ARN);
        let params = target.get("KinesisParameters");
        if params.is_none() && !is_stream_arn(&arn) {
            continue;
        }
        let kp = join(&tp, "KinesisParameters");
        let key = match params {
            Some(p) => t.str_val(p, "PartitionKeyPath", &kp, Ctx::NAME).0,
            None => Val::absent(join(&kp, "PartitionKeyPath")),
        };
        let class = match &key.state {
            ValState::Known(p) => producer::classify_event_path(p),
            ValState::Absent => KeyExpr::Random {
                what: "the event id".into(),
            },
            ValState::Unknown(r) => KeyExpr::Unknown { reason: r.clone() },
        };
        out.push(Producer {
            origin: Origin {
                address: tp.clone(),
                span: target.span,
                ..origin.clone()
            },
            kind: ProducerKind::EventBridgeTarget,
            label: ProducerKind::EventBridgeTarget.label().into(),
            sample_path: Some(key.get().cloned().unwrap_or_else(|| "$.id".into())),
            per_record_example: cfn_setting(
                t,
                key.span.unwrap_or(target.span),
                "PartitionKeyPath",
                "$.detail.deviceId",
            ),
            stream_name: arn,
            stream_ref: None,
            stream: None,
            key,
            class,
        });
    }
    out
}

/// A pipe whose target is a Kinesis stream (`TargetParameters.KinesisStreamParameters.PartitionKey`).
fn pipe(t: &Tpl, props: &Node, pp: &str, origin: Origin) -> Option<crate::model::Producer> {
    use crate::model::{KeyExpr, Producer, ProducerKind, producer};
    let (target, _) = t.str_val(props, "Target", pp, Ctx::ARN);
    let params = props.at("TargetParameters.KinesisStreamParameters");
    if params.is_none() && !is_stream_arn(&target) {
        return None;
    }
    let kp = join(pp, "TargetParameters.KinesisStreamParameters");
    let key = match params {
        Some(p) => t.str_val(p, "PartitionKey", &kp, Ctx::NAME).0,
        None => Val::absent(join(&kp, "PartitionKey")),
    };
    let class = match &key.state {
        ValState::Known(k) => producer::classify_pipe_key(k),
        ValState::Absent => KeyExpr::Unknown {
            reason: "the pipe sets no partition key".into(),
        },
        ValState::Unknown(r) => KeyExpr::Unknown { reason: r.clone() },
    };
    let at = key.span.unwrap_or(origin.span);
    Some(Producer {
        kind: ProducerKind::Pipe,
        label: ProducerKind::Pipe.label().into(),
        sample_path: key.get().filter(|k| k.starts_with("$.")).cloned(),
        per_record_example: cfn_setting(t, at, "PartitionKey", "$.body.deviceId"),
        stream_name: target,
        stream_ref: None,
        stream: None,
        key,
        class,
        origin,
    })
}

/// One event source mapping; `source_key` is `EventSourceArn` (CloudFormation) or `Stream` (SAM).
fn mapping(
    t: &Tpl,
    p: &Node,
    pp: &str,
    origin: Origin,
    function: Val<String>,
    source_key: &str,
) -> EventSourceMapping {
    let on_failure = match p.at("DestinationConfig.OnFailure") {
        Some(of) => {
            t.str_val(
                of,
                "Destination",
                &join(pp, "DestinationConfig.OnFailure"),
                Ctx::ARN,
            )
            .0
        }
        None => Val::absent(join(pp, "DestinationConfig.OnFailure.Destination")),
    };
    let source_type_hint = event_source::KIND_SETTINGS_CFN
        .iter()
        .find(|k| p.get(k).is_some())
        .and_then(|k| event_source::of_setting(k))
        .or_else(|| {
            let ty = t.referenced_type(p.get(source_key)?)?;
            event_source::of_resource_type(ty)
        });
    EventSourceMapping {
        origin,
        source_ref: None,
        source_type_hint,
        function_ref: None,
        source_arn: t.str_val(p, source_key, pp, Ctx::ARN).0,
        function,
        batch_size: t.int_val(p, "BatchSize", pp),
        batching_window: t.int_val(p, "MaximumBatchingWindowInSeconds", pp),
        parallelization_factor: t.int_val(p, "ParallelizationFactor", pp),
        starting_position: t.str_val(p, "StartingPosition", pp, Ctx::NAME).0,
        max_retry_attempts: t.int_val(p, "MaximumRetryAttempts", pp),
        max_record_age: t.int_val(p, "MaximumRecordAgeInSeconds", pp),
        bisect_on_error: t.bool_val(p, "BisectBatchOnFunctionError", pp),
        on_failure_destination: on_failure,
        function_response_types: t.list_val(p, "FunctionResponseTypes", pp),
        tumbling_window: t.int_val(p, "TumblingWindowInSeconds", pp),
        enabled: t.bool_val(p, "Enabled", pp),
        stream: None,
        function_idx: None,
    }
}

fn function(
    t: &Tpl,
    id: &str,
    key_span: Span,
    props: &Node,
    pp: &str,
    origin: Origin,
    sam: bool,
) -> Function {
    let name = if props.get("FunctionName").is_some() {
        t.str_val(props, "FunctionName", pp, Ctx::NAME).0
    } else {
        Val::unknown(
            "CloudFormation generates the name",
            Some(key_span),
            join(pp, "FunctionName"),
        )
    };
    // SAM: a property not set on the function is inherited from `Globals.Function`.
    let inherited = |key: &str| -> Val<i64> {
        let own = t.int_val(props, key, pp);
        if !sam || !own.is_absent() {
            return own;
        }
        match t.root.at("Globals.Function") {
            Some(g) => t.int_val(g, key, "Globals.Function"),
            None => own,
        }
    };
    let arn_name = name.get().cloned().unwrap_or_else(|| id.to_string());
    Function {
        origin,
        arn: Some(resolve::function_arn(&arn_name)),
        name,
        timeout: inherited("Timeout"),
        memory_size: inherited("MemorySize"),
    }
}

/// Parses a known string into a typed value; a parse failure becomes unknown with the reason.
fn parse_val<T>(v: Val<String>, f: impl FnOnce(&str) -> Result<T, String>) -> Val<T> {
    let Val {
        state,
        span,
        escapes,
        path,
        via,
    } = v;
    let state = match state {
        ValState::Known(s) => match f(&s) {
            Ok(x) => ValState::Known(x),
            Err(reason) => ValState::Unknown(reason),
        },
        ValState::Absent => ValState::Absent,
        ValState::Unknown(r) => ValState::Unknown(r),
    };
    Val {
        state,
        span,
        escapes,
        path,
        via,
    }
}

impl Tpl<'_> {
    /// A string property: absent, a literal, or an intrinsic resolved as far as possible. The
    /// interpolations are the `!Sub` variables found (only collected for partition keys).
    fn str_val(
        &self,
        parent: &Node,
        key: &str,
        path: &str,
        ctx: Ctx,
    ) -> (Val<String>, Vec<IacInterpolation>) {
        let path = join(path, key);
        let Some(n) = parent.get(key) else {
            return (Val::absent(path), Vec::new());
        };
        if n.is_null() {
            return (Val::absent(path), Vec::new());
        }
        let Resolved {
            state,
            via,
            interps,
        } = self.resolve(n, ctx, 0);
        let (span, escapes) = resolve::value_span(n);
        (
            Val {
                state,
                span: Some(span),
                escapes,
                path,
                via,
            },
            interps,
        )
    }

    fn int_val(&self, parent: &Node, key: &str, path: &str) -> Val<i64> {
        parse_val(self.str_val(parent, key, path, Ctx::NAME).0, |s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("`{s}` is not an integer"))
        })
    }

    fn bool_val(&self, parent: &Node, key: &str, path: &str) -> Val<bool> {
        parse_val(self.str_val(parent, key, path, Ctx::NAME).0, |s| {
            match s.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(format!("`{s}` is not a boolean")),
            }
        })
    }

    fn list_val(&self, parent: &Node, key: &str, path: &str) -> Val<Vec<String>> {
        let p = join(path, key);
        let Some(n) = parent.get(key).filter(|n| !n.is_null()) else {
            return Val::absent(p);
        };
        let Kind::Seq(items) = &n.kind else {
            let r = self.resolve(n, Ctx::NAME, 0);
            return match r.state {
                ValState::Known(s) => Val::known(vec![s], Some(n.span), p),
                _ => Val::unknown(
                    "the list is built by an intrinsic function at deploy time",
                    Some(n.span),
                    p,
                ),
            };
        };
        let mut out = Vec::new();
        let mut via: Vec<Related> = Vec::new();
        for it in items {
            let r = self.resolve(it, Ctx::NAME, 0);
            via.extend(r.via);
            match r.state {
                ValState::Known(s) => out.push(s),
                ValState::Absent => {}
                ValState::Unknown(reason) => return Val::unknown(reason, Some(n.span), p),
            }
        }
        let mut v = Val::known(out, Some(n.span), p);
        v.via = via;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(name: &str, text: &str) -> (SourceDb, Result<Option<Model>, InputError>) {
        let mut db = SourceDb::default();
        let id = db.add(name.into(), text.into());
        let r = load(&db, id);
        (db, r)
    }

    #[test]
    fn not_a_template_is_skipped() {
        assert!(
            load_str("a.yaml", "name: ci\non: push\n")
                .1
                .unwrap()
                .is_none()
        );
        assert!(load_str("a.yaml", "").1.unwrap().is_none());
        assert!(load_str("a.yaml", "a: [\n").1.unwrap().is_none());
        assert!(load_str("a.json", "{\"a\": 1,}").1.unwrap().is_none());
    }

    #[test]
    fn broken_template_is_an_input_error_with_position() {
        let (db, r) = load_str(
            "t.yaml",
            "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  S:\n   Type: x\n  - bad\n",
        );
        let e = r.unwrap_err();
        assert_eq!(e.code(), "SL001");
        assert_eq!(db.start(e.span.unwrap()).line, 5);
    }

    #[test]
    fn omitted_shard_count_and_name_are_unknown() {
        let (_, r) = load_str(
            "t.yaml",
            "Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n",
        );
        let m = r.unwrap().unwrap();
        let s = &m.streams[0];
        assert!(matches!(&s.shard_count.state, ValState::Unknown(r) if r.contains("no default")));
        assert!(matches!(&s.name.state, ValState::Unknown(r) if r.contains("generates the name")));
        assert_eq!(
            s.arn.as_deref(),
            Some("arn:<partition>:kinesis:<region>:<account>:stream/S")
        );
        let (_, r) = load_str(
            "t.yaml",
            "Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      StreamModeDetails: {StreamMode: ON_DEMAND}\n",
        );
        let s = &r.unwrap().unwrap().streams[0];
        assert!(s.shard_count.is_absent());
        assert_eq!(s.mode.get(), Some(&StreamMode::OnDemand));
    }
}
