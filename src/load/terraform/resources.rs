//! Resources: turns the resource types shardlint reads (`aws_kinesis_stream`,
//! `aws_iot_topic_rule`, `aws_lambda_event_source_mapping`, `aws_lambda_function`, and the
//! producers `aws_cloudwatch_event_target` and `aws_pipes_pipe`) of one module instance into
//! model entries, one per `count`/`for_each` instance, expanding `dynamic` blocks
//! whose `for_each` is known. Values come from [`super::eval`] with their spans.

use hcl_edit::structure::{Block, Body};

use crate::model::{
    EventSourceMapping, Function, KeyExpr, KinesisAction, Model, Origin, Producer, ProducerKind,
    Related, SourceKind, Stream, StreamMode, TopicRule, Val, ValState, producer,
};
use crate::source::{Escapes, FileId};

use super::eval::{Env, Instance, Resolved, V};
use super::module::labels;

/// Adds what the instance's own resources declare to `model`.
pub(super) fn emit(inst: &Instance, model: &mut Model) {
    for res in &inst.decl.resources {
        if !matches!(
            res.ty.as_str(),
            "aws_kinesis_stream"
                | "aws_iot_topic_rule"
                | "aws_lambda_event_source_mapping"
                | "aws_lambda_function"
                | "aws_cloudwatch_event_target"
                | "aws_pipes_pipe"
                | "aws_api_gateway_integration"
                | "aws_apigatewayv2_integration"
                | "aws_api_gateway_rest_api"
                | "aws_sfn_state_machine"
        ) {
            continue;
        }
        for (suffix, binding) in inst.expand(res.file, &res.block.body) {
            let env = binding.map(|(name, value, site)| Env {
                name,
                value,
                site,
                parent: None,
            });
            let address = format!("{}{}.{}{suffix}", inst.prefix, res.ty, res.name);
            let origin = Origin {
                kind: if inst.decl.maps.contains_key(&res.file) {
                    SourceKind::TerraformJson
                } else {
                    SourceKind::Terraform
                },
                address: address.clone(),
                span: inst.decl.header_span(inst.db, res.file, &res.block),
                module: inst.root.clone(),
            };
            let r = ResourceCtx {
                inst,
                file: res.file,
                address: &address,
            };
            let env = env.as_ref();
            let body = &res.block.body;
            match res.ty.as_str() {
                "aws_kinesis_stream" => model.streams.push(r.stream(origin, body, env)),
                "aws_iot_topic_rule" => model.rules.push(r.topic_rule(origin, body, env)),
                "aws_lambda_event_source_mapping" => {
                    model.mappings.push(r.mapping(origin, body, env))
                }
                "aws_cloudwatch_event_target" => {
                    model.producers.extend(r.event_target(origin, body, env))
                }
                "aws_pipes_pipe" => model.producers.extend(r.pipe(origin, body, env)),
                "aws_api_gateway_integration" => {
                    model.producers.extend(r.api_integration(origin, body, env))
                }
                "aws_apigatewayv2_integration" => model
                    .producers
                    .extend(r.http_integration(origin, body, env)),
                "aws_api_gateway_rest_api" | "aws_sfn_state_machine" => {
                    let found = if res.ty == "aws_sfn_state_machine" {
                        r.state_machine(origin, body, env)
                    } else {
                        r.rest_api_body(origin, body, env)
                    };
                    // A document read from another of the run's files (`file()`): that file
                    // is part of this resource, not read again on its own.
                    for p in &found {
                        if p.origin.span.file != res.file {
                            model
                                .included
                                .push(inst.db.get(p.origin.span.file).path.clone());
                        }
                    }
                    model.producers.extend(found)
                }
                _ => model.functions.push(r.function(origin, body, env)),
            }
        }
    }
}

pub(super) struct ResourceCtx<'a, 'i> {
    pub inst: &'a Instance<'i>,
    pub file: FileId,
    pub address: &'a str,
}

/// Blocks named `name` in `body`, static and `dynamic "name"` ones: each with the environment its
/// content sees. `unknown`: a `dynamic` block whose `for_each` is not known statically.
struct Blocks<'b, 'e> {
    items: Vec<(&'b Block, Option<Env<'e>>)>,
    unknown: Option<String>,
}

impl<'a, 'i> ResourceCtx<'a, 'i> {
    fn blocks<'b, 'e>(
        &self,
        body: &'b Body,
        name: &'b str,
        env: Option<&'e Env<'e>>,
    ) -> Blocks<'b, 'e> {
        let mut out = Blocks {
            items: Vec::new(),
            unknown: None,
        };
        for b in body.get_blocks(name) {
            out.items.push((b, None));
        }
        for d in body.get_blocks("dynamic") {
            if labels(d).first().map(String::as_str) != Some(name) {
                continue;
            }
            let Some(content) = d.body.get_blocks("content").next() else {
                continue;
            };
            let iterator = match d.body.get_attribute("iterator") {
                Some(a) => self.inst.text(self.file, &a.value),
                None => name.to_string(),
            };
            let coll = d
                .body
                .get_attribute("for_each")
                .map(|a| self.inst.eval(self.file, &a.value, env))
                .unwrap_or_else(|| Resolved::of(V::Unknown("no `for_each`".into())));
            match coll.value.iter_items() {
                Some(items) => {
                    for (k, v, site) in items.into_iter().take(super::eval::MAX_INSTANCES) {
                        let value =
                            V::Obj(vec![("key".into(), k, None), ("value".into(), v, site)]);
                        out.items.push((
                            content,
                            Some(Env {
                                name: iterator.clone(),
                                value,
                                site,
                                parent: env,
                            }),
                        ));
                    }
                }
                None => {
                    let why = match &coll.value {
                        V::Unknown(w) | V::Error(w) => w.clone(),
                        _ => "`for_each` is not a collection".into(),
                    };
                    let why = format!(
                        "the `dynamic \"{name}\"` block's `for_each` is not known statically: {why}"
                    );
                    out.unknown.get_or_insert(why.clone());
                    out.items.push((
                        content,
                        Some(Env {
                            name: iterator.clone(),
                            value: V::Unknown(why),
                            site: None,
                            parent: env,
                        }),
                    ));
                }
            }
        }
        out
    }

    pub(super) fn val_str(
        &self,
        body: &Body,
        key: &str,
        path: &str,
        env: Option<&Env>,
    ) -> (Val<String>, Resolved) {
        self.val(body, key, path, env, |v| v.as_text())
    }
    fn val_int(&self, body: &Body, key: &str, path: &str, env: Option<&Env>) -> Val<i64> {
        self.val(body, key, path, env, |v| match v {
            V::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        })
        .0
    }
    fn val_bool(&self, body: &Body, key: &str, path: &str, env: Option<&Env>) -> Val<bool> {
        self.val(body, key, path, env, |v| match v {
            V::Bool(b) => Some(*b),
            V::Str(s) if s == "true" || s == "false" => Some(s == "true"),
            _ => None,
        })
        .0
    }

    /// Reads attribute `key` of `body` as a `Val`, converting a known value with `conv`.
    fn val<T>(
        &self,
        body: &Body,
        key: &str,
        path: &str,
        env: Option<&Env>,
        conv: impl Fn(&V) -> Option<T>,
    ) -> (Val<T>, Resolved) {
        let Some(attr) = body.get_attribute(key) else {
            return (Val::absent(path), Resolved::of(V::Null));
        };
        let span = self.inst.span(self.file, &attr.value);
        let res = self.inst.eval(self.file, &attr.value, env);
        (to_val(&res, span, path, key, conv), res)
    }

    fn stream(&self, origin: Origin, body: &Body, env: Option<&Env>) -> Stream {
        let a = self.address;
        let (name, _) = self.val_str(body, "name", &format!("{a}.name"), env);
        let shard_count = self.val_int(body, "shard_count", &format!("{a}.shard_count"), env);
        let mode_path = format!("{a}.stream_mode_details.stream_mode");
        let blocks = self.blocks(body, "stream_mode_details", env);
        let mode = match (blocks.items.first(), blocks.unknown) {
            (_, Some(why)) => Val::unknown(why, None, mode_path),
            (Some((b, benv)), None) => {
                self.val(
                    &b.body,
                    "stream_mode",
                    &mode_path,
                    benv.as_ref().or(env),
                    |v| StreamMode::parse(&v.as_text()?).ok(),
                )
                .0
            }
            (None, None) => Val::absent(mode_path),
        };
        Stream {
            origin,
            name,
            arn: None,
            mode,
            shard_count,
            shards: None,
            shards_span: None,
            retention_hours: self.val_int(
                body,
                "retention_period",
                &format!("{a}.retention_period"),
                env,
            ),
            // The provider has no attribute for it (see `model::limits`): the default applies
            // unless `shardlint.toml` says otherwise.
            record_distribution: Val::absent(format!("{a}.record_distribution_strategy")),
        }
    }

    fn topic_rule(&self, origin: Origin, body: &Body, env: Option<&Env>) -> TopicRule {
        let a = self.address;
        let mut actions = Vec::new();
        for (i, (k, kenv)) in self.blocks(body, "kinesis", env).items.iter().enumerate() {
            let path = if kenv.is_some() {
                format!("{a}.dynamic.kinesis[{i}]")
            } else {
                format!("{a}.kinesis[{i}]")
            };
            actions.push(self.kinesis_action(k, path, false, kenv.as_ref().or(env)));
        }
        for ea in body.get_blocks("error_action") {
            for (k, kenv) in self.blocks(&ea.body, "kinesis", env).items.iter() {
                actions.push(self.kinesis_action(
                    k,
                    format!("{a}.error_action.kinesis"),
                    true,
                    kenv.as_ref().or(env),
                ));
            }
        }
        TopicRule {
            name: self.val_str(body, "name", &format!("{a}.name"), env).0,
            sql: self.val_str(body, "sql", &format!("{a}.sql"), env).0,
            sql_version: self
                .val_str(body, "sql_version", &format!("{a}.sql_version"), env)
                .0,
            enabled: self.val_bool(body, "enabled", &format!("{a}.enabled"), env),
            actions,
            origin,
        }
    }

    fn kinesis_action(
        &self,
        block: &Block,
        path: String,
        in_error: bool,
        env: Option<&Env>,
    ) -> KinesisAction {
        let (stream_name, stream_res) = self.val_str(
            &block.body,
            "stream_name",
            &format!("{path}.stream_name"),
            env,
        );
        let (mut partition_key, key_res) = self.val_str(
            &block.body,
            "partition_key",
            &format!("{path}.partition_key"),
            env,
        );
        if let Some(first) = key_res.iac.first() {
            // Terraform substitutes the `${...}` itself, so IoT never sees a template; the
            // dedicated rule explains it, and the other key rules must not guess.
            partition_key.state = ValState::Unknown(format!(
                "Terraform evaluates `${{{}}}` before IoT sees the key",
                first.expr
            ));
        }
        KinesisAction {
            span: self.inst.decl.header_span(self.inst.db, self.file, block),
            in_error_action: in_error,
            stream_name,
            partition_key,
            key_literal: key_res.literal,
            iac_interpolations: key_res.iac,
            stream: None,
            stream_ref: stream_res.reference,
            path,
        }
    }

    /// An EventBridge target on a Kinesis stream: its `kinesis_target.partition_key_path`, or
    /// the event id when there is none. Targets of other services are not producers of ours.
    fn event_target(&self, origin: Origin, body: &Body, env: Option<&Env>) -> Option<Producer> {
        let a = self.address;
        let (arn, arn_res) = self.val_str(body, "arn", &format!("{a}.arn"), env);
        let kt = self.blocks(body, "kinesis_target", env);
        let to_stream = arn_res
            .reference
            .as_deref()
            .and_then(resource_type_of_ref)
            .map(|t| t == "aws_kinesis_stream")
            .or_else(|| arn.get().map(|v| is_stream_arn(v)))
            .unwrap_or(false);
        if kt.items.is_empty() && !to_stream {
            return None;
        }
        let key_path = format!("{a}.kinesis_target.partition_key_path");
        let key = match (kt.unknown, kt.items.first()) {
            (Some(why), _) => Val::unknown(why, None, key_path),
            (None, Some((b, benv))) => {
                self.val_str(
                    &b.body,
                    "partition_key_path",
                    &key_path,
                    benv.as_ref().or(env),
                )
                .0
            }
            (None, None) => Val::absent(key_path),
        };
        let class = match &key.state {
            ValState::Known(p) => producer::classify_event_path(p),
            ValState::Absent => KeyExpr::Random {
                what: "the event id".into(),
            },
            ValState::Unknown(r) => KeyExpr::Unknown { reason: r.clone() },
        };
        Some(Producer {
            origin,
            kind: ProducerKind::EventBridgeTarget,
            label: ProducerKind::EventBridgeTarget.label().into(),
            sample_path: Some(key.get().cloned().unwrap_or_else(|| "$.id".into())),
            stream_name: arn,
            stream_ref: arn_res.reference,
            stream: None,
            key,
            class,
            per_record_example: "partition_key_path = \"$.detail.deviceId\"".into(),
        })
    }

    /// An EventBridge pipe whose target is a Kinesis stream:
    /// `target_parameters.kinesis_stream_parameters.partition_key`.
    fn pipe(&self, origin: Origin, body: &Body, env: Option<&Env>) -> Option<Producer> {
        let a = self.address;
        let (target, target_res) = self.val_str(body, "target", &format!("{a}.target"), env);
        let key_path = format!("{a}.target_parameters.kinesis_stream_parameters.partition_key");
        let mut key = None;
        let tp = self.blocks(body, "target_parameters", env);
        for (t, tenv) in &tp.items {
            let tenv = tenv.as_ref().or(env);
            let ks = self.blocks(&t.body, "kinesis_stream_parameters", tenv);
            if let Some(why) = ks.unknown {
                key = Some(Val::unknown(why, None, key_path.clone()));
            } else if let Some((k, kenv)) = ks.items.first() {
                key = Some(
                    self.val_str(&k.body, "partition_key", &key_path, kenv.as_ref().or(tenv))
                        .0,
                );
            }
        }
        let to_stream = target_res
            .reference
            .as_deref()
            .and_then(resource_type_of_ref)
            .map(|t| t == "aws_kinesis_stream")
            .or_else(|| target.get().map(|v| is_stream_arn(v)))
            .unwrap_or(false);
        if key.is_none() && !to_stream {
            return None;
        }
        let key = key.unwrap_or_else(|| Val::absent(key_path));
        let class = match &key.state {
            ValState::Known(k) => producer::classify_pipe_key(k),
            // Required by the API; SL103 is about IoT actions, so say it is unknown here.
            ValState::Absent => KeyExpr::Unknown {
                reason: "the pipe sets no partition key".into(),
            },
            ValState::Unknown(r) => KeyExpr::Unknown { reason: r.clone() },
        };
        Some(Producer {
            origin,
            kind: ProducerKind::Pipe,
            label: ProducerKind::Pipe.label().into(),
            sample_path: key.get().filter(|k| k.starts_with("$.")).cloned(),
            stream_name: target,
            stream_ref: target_res.reference,
            stream: None,
            key,
            class,
            per_record_example: "partition_key = \"$.body.deviceId\"".into(),
        })
    }

    fn mapping(&self, origin: Origin, body: &Body, env: Option<&Env>) -> EventSourceMapping {
        let a = self.address;
        let p = |k: &str| format!("{a}.{k}");
        let (source_arn, source_res) =
            self.val_str(body, "event_source_arn", &p("event_source_arn"), env);
        let (function, function_res) =
            self.val_str(body, "function_name", &p("function_name"), env);
        let dest_path = p("destination_config.on_failure.destination_arn");
        let dc = self.blocks(body, "destination_config", env);
        let on_failure = match (dc.unknown, dc.items.first()) {
            (Some(why), _) => Val::unknown(why, None, dest_path),
            (None, Some((d, denv))) => {
                let denv = denv.as_ref().or(env);
                let of = self.blocks(&d.body, "on_failure", denv);
                match (of.unknown, of.items.first()) {
                    (Some(why), _) => Val::unknown(why, None, dest_path),
                    (None, Some((o, oenv))) => {
                        self.val_str(
                            &o.body,
                            "destination_arn",
                            &dest_path,
                            oenv.as_ref().or(denv),
                        )
                        .0
                    }
                    (None, None) => Val::absent(dest_path),
                }
            }
            (None, None) => Val::absent(dest_path),
        };
        let response_types = self
            .val(
                body,
                "function_response_types",
                &p("function_response_types"),
                env,
                |v| match v {
                    V::List(items) => items.iter().map(|i| i.as_text()).collect(),
                    _ => None,
                },
            )
            .0;
        EventSourceMapping {
            source_arn,
            function,
            batch_size: self.val_int(body, "batch_size", &p("batch_size"), env),
            batching_window: self.val_int(
                body,
                "maximum_batching_window_in_seconds",
                &p("maximum_batching_window_in_seconds"),
                env,
            ),
            parallelization_factor: self.val_int(
                body,
                "parallelization_factor",
                &p("parallelization_factor"),
                env,
            ),
            starting_position: self
                .val_str(body, "starting_position", &p("starting_position"), env)
                .0,
            max_retry_attempts: self.val_int(
                body,
                "maximum_retry_attempts",
                &p("maximum_retry_attempts"),
                env,
            ),
            max_record_age: self.val_int(
                body,
                "maximum_record_age_in_seconds",
                &p("maximum_record_age_in_seconds"),
                env,
            ),
            bisect_on_error: self.val_bool(
                body,
                "bisect_batch_on_function_error",
                &p("bisect_batch_on_function_error"),
                env,
            ),
            on_failure_destination: on_failure,
            function_response_types: response_types,
            tumbling_window: self.val_int(
                body,
                "tumbling_window_in_seconds",
                &p("tumbling_window_in_seconds"),
                env,
            ),
            enabled: self.val_bool(body, "enabled", &p("enabled"), env),
            stream: None,
            function_idx: None,
            source_type_hint: crate::load::event_source::KIND_SETTINGS_TF
                .iter()
                .find(|k| body.get_blocks(k).next().is_some() || body.get_attribute(k).is_some())
                .and_then(|k| crate::load::event_source::of_setting(k))
                .or_else(|| {
                    let r = source_res.reference.as_deref()?;
                    crate::load::event_source::of_resource_type(resource_type_of_ref(r)?)
                }),
            source_ref: source_res.reference,
            function_ref: function_res.reference,
            origin,
        }
    }

    fn function(&self, origin: Origin, body: &Body, env: Option<&Env>) -> Function {
        let a = self.address;
        Function {
            name: self
                .val_str(body, "function_name", &format!("{a}.function_name"), env)
                .0,
            arn: None,
            timeout: self.val_int(body, "timeout", &format!("{a}.timeout"), env),
            memory_size: self.val_int(body, "memory_size", &format!("{a}.memory_size"), env),
            origin,
        }
    }
}

/// A resolved value as a model `Val`: `null` is absent, unknowns keep their reason, and a value
/// written elsewhere (a caller's argument, an object field) is located there, with its use here
/// as a related location.
pub(super) fn to_val<T>(
    res: &Resolved,
    span: Option<crate::source::Span>,
    path: &str,
    key: &str,
    conv: impl Fn(&V) -> Option<T>,
) -> Val<T> {
    let state = match &res.value {
        // `x = null` is the same as not writing it.
        V::Null => ValState::Absent,
        V::Unknown(reason) | V::Error(reason) => ValState::Unknown(reason.clone()),
        v => match conv(v) {
            Some(t) => ValState::Known(t),
            None => ValState::Unknown(format!("`{key}` has an unexpected type")),
        },
    };
    let mut val = Val {
        state,
        span,
        escapes: Escapes::Verbatim,
        path: path.to_string(),
        via: res.via.clone(),
    };
    if let (Some(site), Some(used)) = (res.site, span)
        && site != used
        && !val.is_absent()
    {
        val.via.insert(
            0,
            Related {
                span: used,
                path: path.to_string(),
                message: match &res.call {
                    Some(call) => format!("passed by `{call}` and used here"),
                    None => "used here".into(),
                },
            },
        );
        val.span = Some(site);
    }
    if let Some((lit_span, esc)) = res.literal
        && Some(lit_span) == val.span
    {
        val.escapes = esc;
    }
    val
}

/// `arn:aws:kinesis:...:stream/NAME`.
fn is_stream_arn(v: &str) -> bool {
    matches!(
        crate::model::classify_source_arn(v),
        crate::model::SourceTarget::KinesisStream { .. }
    )
}

/// `aws_sqs_queue` in `aws_sqs_queue.q`, `module.m.aws_sqs_queue.q[0]`.
fn resource_type_of_ref(r: &str) -> Option<&str> {
    let mut parts = r.split('.');
    loop {
        match parts.next()? {
            "module" => {
                parts.next()?;
            }
            ty => return Some(ty),
        }
    }
}
