//! Resources: turns the four resource types shardlint reads (`aws_kinesis_stream`,
//! `aws_iot_topic_rule`, `aws_lambda_event_source_mapping`, `aws_lambda_function`) of one module
//! instance into model entries, one per `count`/`for_each` instance, expanding `dynamic` blocks
//! whose `for_each` is known. Values come from [`super::eval`] with their spans.

use hcl_edit::structure::{Block, Body};

use crate::model::{
    EventSourceMapping, Function, KinesisAction, Model, Origin, Related, SourceKind, Stream,
    StreamMode, TopicRule, Val, ValState,
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

    fn val_str(
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
