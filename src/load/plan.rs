//! Terraform plan JSON (`terraform show -json plan.out`; also `terraform show -json` of a state)
//! into the model: `planned_values` resources of the four types we read, in the root module and
//! nested `child_modules`. A link attribute unknown at plan time (`event_source_arn =
//! aws_kinesis_stream.x.arn` for a stream being created) is resolved through
//! `configuration…expressions.<attr>.references` to the referenced resource's name.
//!
//! Conventions: `Origin.address` is the resource address (`module.m.aws_kinesis_stream.x`), the
//! same as the HCL loader's; `Origin.module` the plan file; value paths `<address>.<attr>` with
//! blocks indexed (`aws_iot_topic_rule.r.kinesis[0].partition_key`). ARNs synthesised from a name
//! use the CloudFormation loader's placeholders (`arn:<partition>:kinesis:<region>:<account>:stream/NAME`).

use crate::diagnostic::InputError;
use crate::load::cloudformation::{function_arn, stream_arn};
use crate::load::json_span::{self, Kind, Node, index, join};
use crate::model::{
    EventSourceMapping, Function, KinesisAction, Model, Origin, Related, SourceKind, Stream,
    StreamMode, TopicRule, Val, ValState,
};
use crate::source::{FileId, SourceDb, Span};

/// Keys only a plan or state document contains; a broken file is reported only when it has one.
const MARKERS: &[&str] = &["\"planned_values\"", "\"terraform_version\""];

pub static FORMAT: json_span::Format = json_span::Format {
    markers: MARKERS,
    what: "Terraform plan JSON",
    help: "write the plan with `terraform show -json plan.out > plan.json`",
};

/// `Ok(None)`: the JSON is not a plan (skipped).
pub fn load(db: &SourceDb, file: FileId) -> Result<Option<Model>, InputError> {
    match json_span::parse_for(db, file, &[&FORMAT])? {
        Some(root) => from_root(db, file, &root),
        None => Ok(None),
    }
}

/// Reads an already parsed JSON document; `Ok(None)` when it is not a plan.
pub fn from_root(
    db: &SourceDb,
    file: FileId,
    root: &json_span::Node,
) -> Result<Option<Model>, InputError> {
    let values = match root.get("planned_values") {
        Some(pv) => pv,
        None if root.get("terraform_version").is_some() => match root.get("values") {
            Some(v) => v,
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    let Some(root_module) = values.get("root_module") else {
        return Ok(None);
    };
    let mut resources = Vec::new();
    collect(root_module, "", &mut resources, 0);
    let plan = Plan {
        root,
        module: db.get(file).display_name(),
        resources,
    };
    Ok(Some(plan.model()))
}

struct Res<'a> {
    address: String,
    /// `""` for the root module, else `module.a.module.b` (instance keys kept).
    module: String,
    ty: &'a str,
    name: &'a str,
    node: &'a Node,
    values: &'a Node,
}

fn collect<'a>(m: &'a Node, module: &str, out: &mut Vec<Res<'a>>, depth: usize) {
    for r in m.get("resources").map(Node::items).unwrap_or(&[]) {
        if r.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let (Some(address), Some(ty), Some(name), Some(values)) = (
            r.get("address").and_then(Node::as_str),
            r.get("type").and_then(Node::as_str),
            r.get("name").and_then(Node::as_str),
            r.get("values"),
        ) else {
            continue;
        };
        out.push(Res {
            address: address.to_string(),
            module: module.to_string(),
            ty,
            name,
            node: r,
            values,
        });
    }
    if depth > 64 {
        return;
    }
    for c in m.get("child_modules").map(Node::items).unwrap_or(&[]) {
        let addr = c.get("address").and_then(Node::as_str).unwrap_or(module);
        collect(c, addr, out, depth + 1);
    }
}

/// A step into a values tree: a map key or a list index.
#[derive(Clone, Copy)]
enum Seg<'s> {
    Key(&'s str),
    Idx(usize),
}

fn nav<'a>(n: &'a Node, segs: &[Seg]) -> Option<&'a Node> {
    segs.iter().try_fold(n, |n, s| match s {
        Seg::Key(k) => n.get(k),
        Seg::Idx(i) => n.items().get(*i),
    })
}

fn seg_path(base: &str, segs: &[Seg]) -> String {
    segs.iter().fold(base.to_string(), |p, s| match s {
        Seg::Key(k) => join(&p, k),
        Seg::Idx(i) => index(&p, *i),
    })
}

struct Plan<'a> {
    root: &'a Node,
    module: String,
    resources: Vec<Res<'a>>,
}

impl<'a> Plan<'a> {
    fn model(&self) -> Model {
        let mut m = Model::default();
        for r in &self.resources {
            match r.ty {
                "aws_kinesis_stream" => m.streams.push(self.stream(r)),
                "aws_iot_topic_rule" => m.rules.push(self.rule(r)),
                "aws_lambda_event_source_mapping" => m.mappings.push(self.mapping(r)),
                "aws_lambda_function" => m.functions.push(self.function(r)),
                _ => {}
            }
        }
        m
    }

    fn origin(&self, r: &Res) -> Origin {
        Origin {
            kind: SourceKind::TerraformPlan,
            address: r.address.clone(),
            span: self.decl(r),
            module: self.module.clone(),
        }
    }

    /// One line that names the resource: its `"address"` value.
    fn decl(&self, r: &Res) -> Span {
        r.node.get("address").map_or(r.node.span, |a| a.span)
    }

    /// `after_unknown` of this resource's change at `segs`: the value is computed at apply.
    fn unknown_after_apply(&self, r: &Res, segs: &[Seg]) -> bool {
        let Some(change) = self
            .root
            .get("resource_changes")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .find(|c| c.get("address").and_then(Node::as_str) == Some(&r.address))
        else {
            return false;
        };
        matches!(
            change
                .at("change.after_unknown")
                .and_then(|u| nav(u, segs))
                .map(|n| &n.kind),
            Some(Kind::Bool(true))
        )
    }

    /// A planned value as text; null means not set (the provider default applies) unless the
    /// change marks it unknown until apply.
    fn val(&self, r: &Res, segs: &[Seg]) -> Val<String> {
        let path = seg_path(&r.address, segs);
        match nav(r.values, segs) {
            Some(n) if !n.is_null() => match n.scalar_text() {
                Some(s) => {
                    let mut v = Val::known(s, Some(n.span), path);
                    v.escapes = n.escapes;
                    v
                }
                None => Val::unknown("expected a single value", Some(n.span), path),
            },
            // Unknown until apply: when the configuration sets it, it is really unknown; when
            // it does not, the provider fills in the AWS default, which is what `Absent` means.
            found if self.unknown_after_apply(r, segs) && self.configured(r, segs) => {
                let span = found.map_or(self.decl(r), |n| n.span);
                Val::unknown("known only after apply", Some(span), path)
            }
            _ => Val::absent(path),
        }
    }

    /// Whether the configuration writes an expression for `segs`.
    fn configured(&self, r: &Res, segs: &[Seg]) -> bool {
        self.config_resource(r)
            .and_then(|c| c.get("expressions"))
            .and_then(|e| nav(e, segs))
            .is_some()
    }

    /// A link value: when unknown at plan time, follow the configuration's references.
    fn link(&self, r: &Res, segs: &[Seg]) -> Val<String> {
        let v = self.val(r, segs);
        if !v.is_unknown() {
            return v;
        }
        let refs: Vec<&str> = self
            .config_resource(r)
            .and_then(|c| c.get("expressions"))
            // Expressions mirror the values tree (blocks are lists of expression maps).
            .and_then(|e| nav(e, segs))
            .and_then(|x| x.get("references"))
            .map(|l| l.items().iter().filter_map(Node::as_str).collect())
            .unwrap_or_default();
        for reference in refs {
            if let Some(resolved) = self.resolve_reference(r, reference, v.span, &v.path) {
                return resolved;
            }
        }
        v
    }

    /// `aws_kinesis_stream.x.arn` → that stream's name-based ARN (and `.name` → its name).
    fn resolve_reference(
        &self,
        from: &Res,
        reference: &str,
        span: Option<Span>,
        path: &str,
    ) -> Option<Val<String>> {
        let mut parts = reference.splitn(3, '.');
        let (ty, name, attr) = (parts.next()?, parts.next()?, parts.next()?);
        let target = self
            .resources
            .iter()
            .find(|t| t.module == from.module && t.ty == ty && t.name == name)?;
        let (name_attr, make): (&str, fn(&str) -> String) = match (ty, attr) {
            ("aws_kinesis_stream", "arn") => ("name", stream_arn),
            ("aws_kinesis_stream", "name") => ("name", |n: &str| n.to_string()),
            ("aws_lambda_function", "arn" | "qualified_arn") => ("function_name", function_arn),
            ("aws_lambda_function", "function_name") => ("function_name", |n: &str| n.to_string()),
            _ => return None,
        };
        let n = target.values.get(name_attr).filter(|n| !n.is_null())?;
        let value = n.as_str()?;
        let mut v = Val::known(make(value), span, path);
        v.via.push(Related {
            span: n.span,
            path: format!("{}.{name_attr}", target.address),
            message: format!(
                "`{reference}` is known only after apply; linked by the name `{value}`"
            ),
        });
        Some(v)
    }

    /// The configuration block of a resource (module calls followed by name, instance keys dropped).
    fn config_resource(&self, r: &Res) -> Option<&'a Node> {
        let mut m = self.root.at("configuration.root_module")?;
        for part in r.module.split('.').collect::<Vec<_>>().chunks(2) {
            if let [kw, name] = part
                && *kw == "module"
            {
                let name = name.split('[').next().unwrap_or(name);
                m = m.get("module_calls")?.get(name)?.get("module")?;
            }
        }
        let addr = format!("{}.{}", r.ty, r.name);
        m.get("resources")?
            .items()
            .iter()
            .find(|c| c.get("address").and_then(Node::as_str) == Some(&addr))
    }

    fn stream(&self, r: &Res) -> Stream {
        let mode_segs = [
            Seg::Key("stream_mode_details"),
            Seg::Idx(0),
            Seg::Key("stream_mode"),
        ];
        let mode = parse(self.val(r, &mode_segs), StreamMode::parse);
        let name = self.val(r, &[Seg::Key("name")]);
        let arn = match self.val(r, &[Seg::Key("arn")]).state {
            ValState::Known(a) => Some(a),
            _ => name.get().map(|n| stream_arn(n)),
        };
        Stream {
            origin: self.origin(r),
            name,
            arn,
            mode,
            shard_count: int(self.val(r, &[Seg::Key("shard_count")])),
            shards: None,
            shards_span: None,
            retention_hours: int(self.val(r, &[Seg::Key("retention_period")])),
            record_distribution: Val::absent(join(&r.address, "record_distribution_strategy")),
        }
    }

    fn rule(&self, r: &Res) -> TopicRule {
        let mut actions = Vec::new();
        let kinesis = |segs: Vec<Seg>, in_error_action: bool| -> Vec<KinesisAction> {
            let list = nav(r.values, &segs).map(Node::items).unwrap_or(&[]);
            (0..list.len())
                .map(|i| {
                    let mut s = segs.clone();
                    s.push(Seg::Idx(i));
                    let path = seg_path(&r.address, &s);
                    let with = |k| {
                        let mut x = s.clone();
                        x.push(Seg::Key(k));
                        x
                    };
                    KinesisAction {
                        path,
                        span: list[i].span,
                        in_error_action,
                        stream_name: self.link(r, &with("stream_name")),
                        partition_key: self.val(r, &with("partition_key")),
                        iac_interpolations: Vec::new(),
                        stream: None,
                        stream_ref: None,
                        key_literal: None,
                    }
                })
                .collect()
        };
        actions.extend(kinesis(vec![Seg::Key("kinesis")], false));
        let errors = nav(r.values, &[Seg::Key("error_action")])
            .map(Node::items)
            .unwrap_or(&[]);
        for i in 0..errors.len() {
            actions.extend(kinesis(
                vec![Seg::Key("error_action"), Seg::Idx(i), Seg::Key("kinesis")],
                true,
            ));
        }
        TopicRule {
            origin: self.origin(r),
            name: self.val(r, &[Seg::Key("name")]),
            sql: self.val(r, &[Seg::Key("sql")]),
            sql_version: self.val(r, &[Seg::Key("sql_version")]),
            enabled: boolean(self.val(r, &[Seg::Key("enabled")])),
            actions,
        }
    }

    fn mapping(&self, r: &Res) -> EventSourceMapping {
        let k = |key| self.val(r, &[Seg::Key(key)]);
        let on_failure = [
            Seg::Key("destination_config"),
            Seg::Idx(0),
            Seg::Key("on_failure"),
            Seg::Idx(0),
            Seg::Key("destination_arn"),
        ];
        let types_path = join(&r.address, "function_response_types");
        let response_types = match r.values.get("function_response_types") {
            Some(n) if matches!(n.kind, Kind::Seq(_)) => Val::known(
                n.items()
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Some(n.span),
                types_path,
            ),
            _ => Val::absent(types_path),
        };
        EventSourceMapping {
            source_ref: None,
            source_type_hint: crate::load::event_source::KIND_SETTINGS_TF
                .iter()
                .find(|k| {
                    r.values.get(k).is_some_and(|n| match &n.kind {
                        Kind::Seq(v) => !v.is_empty(),
                        Kind::Str(_) => true,
                        _ => false,
                    })
                })
                .and_then(|k| crate::load::event_source::of_setting(k)),
            function_ref: None,
            origin: self.origin(r),
            source_arn: self.link(r, &[Seg::Key("event_source_arn")]),
            function: {
                // The provider plans `function_arn` too; `function_name` is what was written.
                let v = self.link(r, &[Seg::Key("function_name")]);
                if v.is_unknown() {
                    self.link(r, &[Seg::Key("function_arn")])
                } else {
                    v
                }
            },
            batch_size: int(k("batch_size")),
            batching_window: int(k("maximum_batching_window_in_seconds")),
            parallelization_factor: int(k("parallelization_factor")),
            starting_position: k("starting_position"),
            max_retry_attempts: int(k("maximum_retry_attempts")),
            max_record_age: int(k("maximum_record_age_in_seconds")),
            bisect_on_error: boolean(k("bisect_batch_on_function_error")),
            on_failure_destination: self.link(r, &on_failure),
            function_response_types: response_types,
            tumbling_window: int(k("tumbling_window_in_seconds")),
            enabled: boolean(k("enabled")),
            stream: None,
            function_idx: None,
        }
    }

    fn function(&self, r: &Res) -> Function {
        let name = self.val(r, &[Seg::Key("function_name")]);
        let arn = match self.val(r, &[Seg::Key("arn")]).state {
            ValState::Known(a) => Some(a),
            _ => name.get().map(|n| function_arn(n)),
        };
        Function {
            origin: self.origin(r),
            name,
            arn,
            timeout: int(self.val(r, &[Seg::Key("timeout")])),
            memory_size: int(self.val(r, &[Seg::Key("memory_size")])),
        }
    }
}

fn parse<T>(v: Val<String>, f: impl FnOnce(&str) -> Result<T, String>) -> Val<T> {
    let state = match &v.state {
        ValState::Known(s) => match f(s) {
            Ok(x) => ValState::Known(x),
            Err(r) => ValState::Unknown(r),
        },
        ValState::Absent => ValState::Absent,
        ValState::Unknown(r) => ValState::Unknown(r.clone()),
    };
    Val {
        state,
        span: v.span,
        escapes: v.escapes,
        path: v.path,
        via: v.via,
    }
}

fn int(v: Val<String>) -> Val<i64> {
    parse(v, |s| {
        s.parse::<i64>()
            .map_err(|_| format!("`{s}` is not an integer"))
    })
}

fn boolean(v: Val<String>) -> Val<bool> {
    parse(v, |s| match s {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("`{other}` is not a boolean")),
    })
}
