//! Terraform HCL loader: parses every `.tf` of one module directory with hcl-edit (byte spans
//! on every value), resolves `var.*` (defaults, `terraform.tfvars`, `*.auto.tfvars`), `local.*`
//! and references between resources the way Terraform would, and fills the model with the four
//! resource types shardlint reads. What Terraform would only know at apply time stays unknown.

use std::collections::{HashMap, HashSet};

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::{Element, Template};

use crate::diagnostic::InputError;
use crate::model::{
    EventSourceMapping, Function, IacEffect, IacInterpolation, IacTool, KinesisAction, Model,
    Origin, Related, SourceKind, Stream, StreamMode, TopicRule, Val, ValState,
};
use crate::source::{Escapes, FileId, SourceDb, Span};

/// A value as Terraform would compute it at plan time, as far as shardlint can tell.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    List(Vec<V>),
    Obj(Vec<(String, V)>),
    Unknown(String),
}

impl V {
    fn as_text(&self) -> Option<String> {
        match self {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(fmt_num(*n)),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    fn attr(&self, name: &str) -> V {
        match self {
            V::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| V::Unknown(format!("object has no attribute `{name}`"))),
            V::Unknown(r) => V::Unknown(r.clone()),
            _ => V::Unknown(format!("cannot read attribute `{name}` of a non-object")),
        }
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The result of evaluating one expression, with where it came from.
#[derive(Clone, Debug)]
struct Resolved {
    value: V,
    /// Definitions the value passed through (variable defaults, tfvars, locals).
    via: Vec<Related>,
    /// `${...}` parts Terraform evaluates itself inside a string that ends up in the value.
    iac: Vec<IacInterpolation>,
    /// When the value is exactly one string literal: where and how it is written.
    literal: Option<(Span, Escapes)>,
    /// A resource the expression refers to (`aws_kinesis_stream.x`), for linking.
    reference: Option<String>,
}

impl Resolved {
    fn of(value: V) -> Self {
        Resolved {
            value,
            via: Vec::new(),
            iac: Vec::new(),
            literal: None,
            reference: None,
        }
    }
}

struct Def<'a> {
    file: FileId,
    expr: &'a Expression,
    what: String,
}

/// Everything declared in one module directory.
struct Module<'a> {
    db: &'a SourceDb,
    dir: String,
    variables: HashMap<String, Def<'a>>,
    tfvars: HashMap<String, Def<'a>>,
    locals: HashMap<String, Def<'a>>,
    resources: HashMap<(String, String), (FileId, &'a Block)>,
    /// Guards against `local.a = local.b`, `local.b = local.a`.
    visiting: std::cell::RefCell<HashSet<String>>,
}

/// Terraform built-in functions that return a new value on every plan/apply.
const TF_VOLATILE: [&str; 4] = ["uuid", "timestamp", "plantimestamp", "bcrypt"];

/// Terraform's built-in functions (for telling an IoT function written unescaped from a real one).
const TF_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

/// Parses the files of one module directory and returns what they declare. `tf` are `.tf` files,
/// `tfvars` the `terraform.tfvars` / `*.auto.tfvars` files (later files override earlier ones).
pub fn load_module(
    db: &SourceDb,
    dir: &str,
    tf: &[FileId],
    tfvars: &[FileId],
) -> (Model, Vec<InputError>) {
    let mut errors = Vec::new();
    let mut bodies: Vec<(FileId, Body)> = Vec::new();
    let mut var_bodies: Vec<(FileId, Body)> = Vec::new();
    for (&file, is_vars) in tf
        .iter()
        .map(|f| (f, false))
        .chain(tfvars.iter().map(|f| (f, true)))
    {
        match parse(db, file) {
            Ok(body) if is_vars => var_bodies.push((file, body)),
            Ok(body) => bodies.push((file, body)),
            Err(e) => errors.push(e),
        }
    }

    let mut module = Module {
        db,
        dir: dir.to_string(),
        variables: HashMap::new(),
        tfvars: HashMap::new(),
        locals: HashMap::new(),
        resources: HashMap::new(),
        visiting: Default::default(),
    };
    for (file, body) in &bodies {
        for block in body.blocks() {
            match (block.ident.as_str(), labels(block).as_slice()) {
                ("variable", [name]) => {
                    if let Some(attr) = block.body.get_attribute("default") {
                        module.variables.insert(
                            name.clone(),
                            Def {
                                file: *file,
                                expr: &attr.value,
                                what: format!("the default of variable `{name}`"),
                            },
                        );
                    }
                }
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        module.locals.insert(
                            attr.key.as_str().to_string(),
                            Def {
                                file: *file,
                                expr: &attr.value,
                                what: format!("local `{}`", attr.key.as_str()),
                            },
                        );
                    }
                }
                ("resource", [ty, name]) => {
                    module
                        .resources
                        .insert((ty.clone(), name.clone()), (*file, block));
                }
                _ => {}
            }
        }
    }
    for (file, body) in &var_bodies {
        let fname = db.get(*file).display_name();
        for attr in body.attributes() {
            module.tfvars.insert(
                attr.key.as_str().to_string(),
                Def {
                    file: *file,
                    expr: &attr.value,
                    what: format!("`{}` in `{fname}`", attr.key.as_str()),
                },
            );
        }
    }

    let mut model = Model::default();
    // Sorted for deterministic output.
    let mut resources: Vec<_> = module.resources.iter().collect();
    resources.sort_by_key(|((ty, name), (file, block))| {
        (
            *file,
            block.span().map(|s| s.start),
            ty.clone(),
            name.clone(),
        )
    });
    for ((ty, name), (file, block)) in resources {
        let address = format!("{ty}.{name}");
        let origin = Origin {
            kind: SourceKind::Terraform,
            address: address.clone(),
            span: header_span(db, *file, block),
            module: module.dir.clone(),
        };
        let r = ResourceCtx {
            m: &module,
            file: *file,
            address: &address,
        };
        match ty.as_str() {
            "aws_kinesis_stream" => model.streams.push(r.stream(origin, &block.body)),
            "aws_iot_topic_rule" => model.rules.push(r.topic_rule(origin, &block.body)),
            "aws_lambda_event_source_mapping" => {
                model.mappings.push(r.mapping(origin, &block.body))
            }
            "aws_lambda_function" => model.functions.push(r.function(origin, &block.body)),
            _ => {}
        }
    }
    (model, errors)
}

/// Parses one HCL file; a syntax error becomes an input error at its exact position.
pub fn parse(db: &SourceDb, file: FileId) -> Result<Body, InputError> {
    let src = db.get(file);
    hcl_edit::parser::parse_body(&src.text).map_err(|e| {
        let loc = e.location();
        let offset = loc.offset().min(src.text.len());
        InputError {
            code: "SL001",
            file: src.display_name(),
            span: Some(Span::new(file, offset, offset)),
            message: format!("invalid HCL: {}", e.message()),
            help: Some("fix the syntax; `terraform validate` shows the same error".into()),
        }
    })
}

fn labels(block: &Block) -> Vec<String> {
    block
        .labels
        .iter()
        .map(|l| l.as_str().to_string())
        .collect()
}

/// The block's first line, up to its `{`: enough for a label without painting the whole block.
fn header_span(db: &SourceDb, file: FileId, block: &Block) -> Span {
    let range = block.span().unwrap_or(0..0);
    let text = &db.get(file).text;
    let end = text[range.start..range.end.min(text.len())]
        .find('{')
        .map(|i| range.start + i + 1)
        .unwrap_or(range.end);
    Span::new(file, range.start, end)
}

struct ResourceCtx<'a> {
    m: &'a Module<'a>,
    file: FileId,
    address: &'a str,
}

impl<'a> ResourceCtx<'a> {
    fn val_str(&self, body: &Body, key: &str, path: &str) -> (Val<String>, Resolved) {
        self.val(body, key, path, |v| v.as_text())
    }
    fn val_int(&self, body: &Body, key: &str, path: &str) -> Val<i64> {
        self.val(body, key, path, |v| match v {
            V::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        })
        .0
    }
    fn val_bool(&self, body: &Body, key: &str, path: &str) -> Val<bool> {
        self.val(body, key, path, |v| match v {
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
        conv: impl Fn(&V) -> Option<T>,
    ) -> (Val<T>, Resolved) {
        let Some(attr) = body.get_attribute(key) else {
            return (Val::absent(path), Resolved::of(V::Null));
        };
        let span = attr
            .value
            .span()
            .map(|r| Span::new(self.file, r.start, r.end));
        let res = self.m.eval(self.file, &attr.value);
        let state = match &res.value {
            // `x = null` is the same as not writing it.
            V::Null => ValState::Absent,
            V::Unknown(reason) => ValState::Unknown(reason.clone()),
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
        if let Some((lit_span, esc)) = res.literal
            && Some(lit_span) == span
        {
            val.escapes = esc;
        }
        (val, res)
    }

    fn stream(&self, origin: Origin, body: &Body) -> Stream {
        let a = self.address;
        let (name, _) = self.val_str(body, "name", &format!("{a}.name"));
        let shard_count = self.val_int(body, "shard_count", &format!("{a}.shard_count"));
        let mode = match body.get_blocks("stream_mode_details").next() {
            Some(b) => {
                self.val(
                    &b.body,
                    "stream_mode",
                    &format!("{a}.stream_mode_details.stream_mode"),
                    |v| match v.as_text()?.as_str() {
                        "PROVISIONED" => Some(StreamMode::Provisioned),
                        "ON_DEMAND" => Some(StreamMode::OnDemand),
                        _ => None,
                    },
                )
                .0
            }
            None => Val::absent(format!("{a}.stream_mode_details.stream_mode")),
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
            ),
            // The provider has no attribute for it (see `model::limits`): the default applies
            // unless `shardlint.toml` says otherwise.
            record_distribution: Val::absent(format!("{a}.record_distribution_strategy")),
        }
    }

    fn topic_rule(&self, origin: Origin, body: &Body) -> TopicRule {
        let a = self.address;
        let mut actions = Vec::new();
        let mut push = |block: &Block, path: String, in_error: bool| {
            actions.push(self.kinesis_action(block, path, in_error));
        };
        for (i, k) in body.get_blocks("kinesis").enumerate() {
            push(k, format!("{a}.kinesis[{i}]"), false);
        }
        for d in body.get_blocks("dynamic") {
            if labels(d).first().map(String::as_str) == Some("kinesis")
                && let Some(content) = d.body.get_blocks("content").next()
            {
                push(content, format!("{a}.dynamic.kinesis.content"), false);
            }
        }
        for ea in body.get_blocks("error_action") {
            for k in ea.body.get_blocks("kinesis") {
                push(k, format!("{a}.error_action.kinesis"), true);
            }
        }
        TopicRule {
            name: self.val_str(body, "name", &format!("{a}.name")).0,
            sql: self.val_str(body, "sql", &format!("{a}.sql")).0,
            sql_version: self
                .val_str(body, "sql_version", &format!("{a}.sql_version"))
                .0,
            enabled: self.val_bool(body, "enabled", &format!("{a}.enabled")),
            actions,
            origin,
        }
    }

    fn kinesis_action(&self, block: &Block, path: String, in_error: bool) -> KinesisAction {
        let (stream_name, stream_res) =
            self.val_str(&block.body, "stream_name", &format!("{path}.stream_name"));
        let (mut partition_key, key_res) = self.val_str(
            &block.body,
            "partition_key",
            &format!("{path}.partition_key"),
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
            span: header_span(self.m.db, self.file, block),
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

    fn mapping(&self, origin: Origin, body: &Body) -> EventSourceMapping {
        let a = self.address;
        let p = |k: &str| format!("{a}.{k}");
        let (source_arn, source_res) =
            self.val_str(body, "event_source_arn", &p("event_source_arn"));
        let (function, function_res) = self.val_str(body, "function_name", &p("function_name"));
        let on_failure = body
            .get_blocks("destination_config")
            .next()
            .and_then(|d| d.body.get_blocks("on_failure").next())
            .map(|of| {
                self.val_str(
                    &of.body,
                    "destination_arn",
                    &p("destination_config.on_failure.destination_arn"),
                )
                .0
            })
            .unwrap_or_else(|| Val::absent(p("destination_config.on_failure.destination_arn")));
        let response_types = self
            .val(
                body,
                "function_response_types",
                &p("function_response_types"),
                |v| match v {
                    V::List(items) => items.iter().map(|i| i.as_text()).collect(),
                    _ => None,
                },
            )
            .0;
        EventSourceMapping {
            source_arn,
            function,
            batch_size: self.val_int(body, "batch_size", &p("batch_size")),
            batching_window: self.val_int(
                body,
                "maximum_batching_window_in_seconds",
                &p("maximum_batching_window_in_seconds"),
            ),
            parallelization_factor: self.val_int(
                body,
                "parallelization_factor",
                &p("parallelization_factor"),
            ),
            starting_position: self
                .val_str(body, "starting_position", &p("starting_position"))
                .0,
            max_retry_attempts: self.val_int(
                body,
                "maximum_retry_attempts",
                &p("maximum_retry_attempts"),
            ),
            max_record_age: self.val_int(
                body,
                "maximum_record_age_in_seconds",
                &p("maximum_record_age_in_seconds"),
            ),
            bisect_on_error: self.val_bool(
                body,
                "bisect_batch_on_function_error",
                &p("bisect_batch_on_function_error"),
            ),
            on_failure_destination: on_failure,
            function_response_types: response_types,
            tumbling_window: self.val_int(
                body,
                "tumbling_window_in_seconds",
                &p("tumbling_window_in_seconds"),
            ),
            enabled: self.val_bool(body, "enabled", &p("enabled")),
            stream: None,
            function_idx: None,
            source_type_hint: super::event_source::KIND_SETTINGS_TF
                .iter()
                .find(|k| body.get_blocks(k).next().is_some() || body.get_attribute(k).is_some())
                .and_then(|k| super::event_source::of_setting(k))
                .or_else(|| {
                    let r = source_res.reference.as_deref()?;
                    super::event_source::of_resource_type(r.split('.').next()?)
                }),
            source_ref: source_res.reference,
            function_ref: function_res.reference,
            origin,
        }
    }

    fn function(&self, origin: Origin, body: &Body) -> Function {
        let a = self.address;
        Function {
            name: self
                .val_str(body, "function_name", &format!("{a}.function_name"))
                .0,
            arn: None,
            timeout: self.val_int(body, "timeout", &format!("{a}.timeout")),
            memory_size: self.val_int(body, "memory_size", &format!("{a}.memory_size")),
            origin,
        }
    }
}

impl<'a> Module<'a> {
    fn span_of(&self, file: FileId, expr: &Expression) -> Option<Span> {
        expr.span().map(|r| Span::new(file, r.start, r.end))
    }

    fn eval(&self, file: FileId, expr: &Expression) -> Resolved {
        match expr {
            Expression::Null(_) => Resolved::of(V::Null),
            Expression::Bool(b) => Resolved::of(V::Bool(*b.value())),
            Expression::Number(n) => Resolved::of(
                n.value()
                    .as_f64()
                    .map(V::Num)
                    .unwrap_or_else(|| V::Unknown("number out of range".into())),
            ),
            Expression::String(s) => {
                let mut r = Resolved::of(V::Str(s.value().clone()));
                r.literal = self.span_of(file, expr).map(|sp| (sp, Escapes::HclQuoted));
                r
            }
            Expression::StringTemplate(t) => self.eval_template(file, t),
            Expression::HeredocTemplate(h) => self.eval_template(file, &h.template),
            Expression::Parenthesis(p) => self.eval(file, p.inner()),
            Expression::Array(items) => {
                let mut out = Resolved::of(V::Null);
                let vals = items
                    .iter()
                    .map(|e| {
                        let r = self.eval(file, e);
                        out.via.extend(r.via);
                        r.value
                    })
                    .collect();
                out.value = V::List(vals);
                out
            }
            Expression::Object(obj) => {
                let mut out = Resolved::of(V::Null);
                let mut fields = Vec::new();
                for (k, v) in obj.iter() {
                    let key = match k {
                        hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                        hcl_edit::expr::ObjectKey::Expression(e) => {
                            match self.eval(file, e).value.as_text() {
                                Some(t) => t,
                                None => continue,
                            }
                        }
                    };
                    let r = self.eval(file, v.expr());
                    out.via.extend(r.via);
                    fields.push((key, r.value));
                }
                out.value = V::Obj(fields);
                out
            }
            Expression::Variable(v) => Resolved::of(V::Unknown(format!(
                "`{}` is not a value shardlint can resolve",
                v.as_str()
            ))),
            Expression::Traversal(t) => self.eval_traversal(file, t),
            Expression::Conditional(c) => {
                let cond = self.eval(file, &c.cond_expr);
                let (t, f) = (
                    self.eval(file, &c.true_expr),
                    self.eval(file, &c.false_expr),
                );
                let mut picked = match cond.value {
                    V::Bool(true) => t,
                    V::Bool(false) => f,
                    _ if t.value == f.value => t,
                    _ => Resolved::of(V::Unknown(format!(
                        "depends on the condition `{}`",
                        self.text(file, &c.cond_expr)
                    ))),
                };
                picked.via.extend(cond.via);
                picked
            }
            Expression::FuncCall(call) => self.eval_call(file, call),
            Expression::UnaryOp(op) => {
                let r = self.eval(file, &op.expr);
                let value = match (op.operator.value(), &r.value) {
                    (UnaryOperator::Neg, V::Num(n)) => V::Num(-n),
                    (UnaryOperator::Not, V::Bool(b)) => V::Bool(!b),
                    (_, V::Unknown(reason)) => V::Unknown(reason.clone()),
                    _ => V::Unknown("invalid operand".into()),
                };
                Resolved { value, ..r }
            }
            Expression::BinaryOp(op) => {
                let l = self.eval(file, &op.lhs_expr);
                let r = self.eval(file, &op.rhs_expr);
                let value = binary(*op.operator.value(), &l.value, &r.value);
                let mut out = Resolved::of(value);
                out.via = l.via.into_iter().chain(r.via).collect();
                out
            }
            Expression::ForExpr(_) => Resolved::of(V::Unknown(
                "`for` expressions are not evaluated by shardlint".into(),
            )),
        }
    }

    fn text(&self, file: FileId, expr: &Expression) -> String {
        self.span_of(file, expr)
            .map(|s| self.db.text(s).trim().to_string())
            .unwrap_or_default()
    }

    fn eval_template(&self, file: FileId, t: &Template) -> Resolved {
        let mut out = Resolved::of(V::Null);
        let mut text = String::new();
        let mut unknown: Option<String> = None;
        for el in t.iter() {
            match el {
                Element::Literal(s) => text.push_str(s.value()),
                Element::Interpolation(interp) => {
                    if let Some(iac) = self.iac_interpolation(file, interp) {
                        // Keep the IoT view of the text for messages; the key is flagged anyway.
                        text.push_str(&format!("${{{}}}", iac.expr));
                        out.iac.push(iac);
                        continue;
                    }
                    let r = self.eval(file, &interp.expr);
                    out.via.extend(r.via);
                    out.iac.extend(r.iac);
                    // `"${aws_sqs_queue.q.arn}"` (pre-0.12 style) still refers to the resource.
                    if t.iter().count() == 1 {
                        out.reference = r.reference;
                    }
                    match r.value.as_text() {
                        Some(s) => text.push_str(&s),
                        None => {
                            unknown.get_or_insert(match r.value {
                                V::Unknown(reason) => reason,
                                _ => "a non-string value is interpolated".into(),
                            });
                        }
                    }
                }
                Element::Directive(_) => {
                    unknown.get_or_insert("template directives are not evaluated".into());
                }
            }
        }
        out.value = match unknown {
            Some(reason) => V::Unknown(reason),
            None => V::Str(text),
        };
        out
    }

    /// An interpolation that Terraform itself evaluates in a way that breaks an IoT key:
    /// a volatile function (`uuid()`), or something that is not Terraform at all (`topic(3)`).
    fn iac_interpolation(
        &self,
        file: FileId,
        interp: &hcl_edit::template::Interpolation,
    ) -> Option<IacInterpolation> {
        let span = interp.span().map(|r| Span::new(file, r.start, r.end))?;
        let inner = self.text(file, &interp.expr);
        let effect = match &interp.expr {
            Expression::FuncCall(call) if call.name.namespace.is_empty() => {
                let name = call.name.name.as_str();
                if TF_VOLATILE.contains(&name) {
                    IacEffect::FixedPerDeploy
                } else if !TF_FUNCTIONS.contains(&name) {
                    IacEffect::Rejected
                } else {
                    return None;
                }
            }
            // `${vin}`: a bare name is not a valid Terraform reference.
            Expression::Variable(v)
                if !["count", "each", "self", "path", "terraform"].contains(&v.as_str()) =>
            {
                IacEffect::Rejected
            }
            _ => return None,
        };
        // Terraform's `uuid()` has an IoT twin with another name; suggest that one.
        let iot_form = match inner.as_str() {
            "uuid()" => "newuuid()".to_string(),
            _ => inner.clone(),
        };
        Some(IacInterpolation {
            tool: IacTool::Terraform,
            escaped_form: format!("$${{{iot_form}}}"),
            expr: inner,
            span,
            effect,
        })
    }

    fn eval_call(&self, file: FileId, call: &hcl_edit::expr::FuncCall) -> Resolved {
        let name = call.name.name.as_str();
        let args: Vec<Resolved> = call.args.iter().map(|a| self.eval(file, a)).collect();
        let mut out = Resolved::of(V::Null);
        for a in &args {
            out.via.extend(a.via.iter().cloned());
            out.iac.extend(a.iac.iter().cloned());
        }
        let texts: Option<Vec<String>> = args.iter().map(|a| a.value.as_text()).collect();
        let first_unknown = args.iter().find_map(|a| match &a.value {
            V::Unknown(r) => Some(r.clone()),
            _ => None,
        });
        out.value = match (name, texts) {
            ("lower", Some(t)) if t.len() == 1 => V::Str(t[0].to_lowercase()),
            ("upper", Some(t)) if t.len() == 1 => V::Str(t[0].to_uppercase()),
            ("trimspace", Some(t)) if t.len() == 1 => V::Str(t[0].trim().to_string()),
            ("tostring", Some(t)) if t.len() == 1 => V::Str(t[0].clone()),
            ("tonumber", Some(t)) if t.len() == 1 => t[0]
                .parse()
                .map(V::Num)
                .unwrap_or_else(|_| V::Unknown(format!("`{}` is not a number", t[0]))),
            ("replace", Some(t)) if t.len() == 3 && !t[1].starts_with('/') => {
                V::Str(t[0].replace(&t[1], &t[2]))
            }
            ("format", Some(t)) if !t.is_empty() => format_verbs(&t[0], &t[1..]),
            ("join", _) if args.len() == 2 => match (&args[0].value, &args[1].value) {
                (V::Str(sep), V::List(items)) => items
                    .iter()
                    .map(|i| i.as_text())
                    .collect::<Option<Vec<_>>>()
                    .map(|v| V::Str(v.join(sep)))
                    .unwrap_or_else(|| V::Unknown("`join` over unknown items".into())),
                _ => V::Unknown("`join` over unknown items".into()),
            },
            ("coalesce", _) => args
                .iter()
                .map(|a| &a.value)
                .find(|v| !matches!(v, V::Null) && v.as_text().is_none_or(|s| !s.is_empty()))
                .cloned()
                .unwrap_or(V::Null),
            ("try", _) => args
                .iter()
                .map(|a| &a.value)
                .find(|v| !matches!(v, V::Unknown(_)))
                .cloned()
                .unwrap_or_else(|| V::Unknown("no `try` argument resolves".into())),
            ("lookup", _) if args.len() >= 2 => match args[1].value.as_text() {
                Some(k) => match args[0].value.attr(&k) {
                    V::Unknown(_) if args.len() == 3 => args[2].value.clone(),
                    v => v,
                },
                None => V::Unknown("`lookup` key is unknown".into()),
            },
            _ => V::Unknown(first_unknown.unwrap_or_else(|| {
                format!("the function `{name}()` is not evaluated by shardlint")
            })),
        };
        out
    }

    fn eval_traversal(&self, file: FileId, t: &hcl_edit::expr::Traversal) -> Resolved {
        let attrs: Vec<Option<String>> = t
            .operators
            .iter()
            .map(|op| match op.value() {
                TraversalOperator::GetAttr(id) => Some(id.as_str().to_string()),
                _ => None,
            })
            .collect();
        let root = match &t.expr {
            Expression::Variable(v) => v.as_str().to_string(),
            other => {
                let base = self.eval(file, other);
                return self.apply_ops(file, base, &t.operators);
            }
        };
        let first = attrs.first().cloned().flatten();
        match (root.as_str(), first) {
            ("var", Some(name)) => {
                let base = self.eval_var(&name);
                self.apply_ops(file, base, &t.operators[1..])
            }
            ("local", Some(name)) => {
                let base = self.eval_def(&format!("local.{name}"), self.locals.get(&name), || {
                    format!("local `{name}` is not defined in this module")
                });
                self.apply_ops(file, base, &t.operators[1..])
            }
            ("module", Some(name)) => Resolved::of(V::Unknown(format!(
                "`{}` is an output of module `{name}`",
                self.text(file, &Expression::Traversal(Box::new(t.clone())))
            ))),
            ("data", _) => Resolved::of(V::Unknown("data sources are read at apply time".into())),
            ("each" | "count" | "self", _) => Resolved::of(V::Unknown(format!(
                "`{root}` differs per resource instance"
            ))),
            (ty, Some(name)) if ty.starts_with("aws_") || ty.contains('_') => {
                let attr = attrs.get(1).cloned().flatten();
                let mut r = self.resource_attr(ty, &name, attr.as_deref());
                r.reference = Some(format!("{ty}.{name}"));
                r
            }
            _ => Resolved::of(V::Unknown(format!("`{root}` is not resolved by shardlint"))),
        }
    }

    fn apply_ops(
        &self,
        file: FileId,
        mut base: Resolved,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Resolved {
        for op in ops {
            base.value = match op.value() {
                TraversalOperator::GetAttr(id) => base.value.attr(id.as_str()),
                TraversalOperator::Index(e) => {
                    let idx = self.eval(file, e).value;
                    match (&base.value, idx) {
                        (V::List(items), V::Num(n)) => items
                            .get(n as usize)
                            .cloned()
                            .unwrap_or_else(|| V::Unknown("index out of range".into())),
                        (V::Obj(_), V::Str(k)) => base.value.attr(&k),
                        (V::Unknown(r), _) => V::Unknown(r.clone()),
                        _ => V::Unknown("unknown index".into()),
                    }
                }
                TraversalOperator::LegacyIndex(n) => match &base.value {
                    V::List(items) => items
                        .get(*n.value() as usize)
                        .cloned()
                        .unwrap_or_else(|| V::Unknown("index out of range".into())),
                    _ => V::Unknown("unknown index".into()),
                },
                _ => V::Unknown("splat expressions are not evaluated by shardlint".into()),
            };
            base.literal = None;
        }
        base
    }

    fn eval_var(&self, name: &str) -> Resolved {
        if let Some(def) = self.tfvars.get(name) {
            return self.eval_def(&format!("var.{name}"), Some(def), String::new);
        }
        self.eval_def(&format!("var.{name}"), self.variables.get(name), || {
            format!("variable `{name}` has no default and no value in a tfvars file")
        })
    }

    /// Evaluates a variable/local definition, recording it as a related location.
    fn eval_def(&self, key: &str, def: Option<&Def>, missing: impl FnOnce() -> String) -> Resolved {
        let Some(def) = def else {
            return Resolved::of(V::Unknown(missing()));
        };
        if !self.visiting.borrow_mut().insert(key.to_string()) {
            return Resolved::of(V::Unknown(format!("`{key}` refers to itself")));
        }
        let mut r = self.eval(def.file, def.expr);
        self.visiting.borrow_mut().remove(key);
        if let Some(span) = self.span_of(def.file, def.expr) {
            r.via.push(Related {
                span,
                path: key.to_string(),
                message: format!("the value comes from {}", def.what),
            });
        }
        r
    }

    /// `aws_kinesis_stream.x.name`, `.arn`, `aws_lambda_function.f.arn`, ...
    fn resource_attr(&self, ty: &str, name: &str, attr: Option<&str>) -> Resolved {
        let Some((file, block)) = self.resources.get(&(ty.to_string(), name.to_string())) else {
            return Resolved::of(V::Unknown(format!(
                "`{ty}.{name}` is not declared in this module"
            )));
        };
        let name_attr = match ty {
            "aws_lambda_function" => "function_name",
            _ => "name",
        };
        let key = format!("{ty}.{name}.{name_attr}");
        let resolved_name = |this: &Self| match block.body.get_attribute(name_attr) {
            Some(a) => this.eval_def(
                &key,
                Some(&Def {
                    file: *file,
                    expr: &a.value,
                    what: format!("`{ty}.{name}`"),
                }),
                String::new,
            ),
            None => Resolved::of(V::Unknown(format!("`{ty}.{name}` has no `{name_attr}`"))),
        };
        match (ty, attr) {
            (_, Some(a)) if a == name_attr || a == "id" && ty == "aws_kinesis_stream" => {
                let mut r = resolved_name(self);
                r.via.clear();
                r.literal = None;
                r
            }
            ("aws_kinesis_stream", Some("arn")) => {
                let r = resolved_name(self);
                Resolved::of(match r.value.as_text() {
                    // Region and account are unknown statically; linking uses the name.
                    Some(n) => V::Str(format!(
                        "arn:aws:kinesis:${{region}}:${{account}}:stream/{n}"
                    )),
                    None => V::Unknown(format!("the name of `{ty}.{name}` is unknown")),
                })
            }
            ("aws_lambda_function", Some("arn" | "qualified_arn" | "invoke_arn")) => {
                let r = resolved_name(self);
                Resolved::of(match r.value.as_text() {
                    Some(n) => V::Str(format!(
                        "arn:aws:lambda:${{region}}:${{account}}:function:{n}"
                    )),
                    None => V::Unknown(format!("the name of `{ty}.{name}` is unknown")),
                })
            }
            _ => Resolved::of(V::Unknown(format!(
                "`{ty}.{name}.{}` is known only after apply",
                attr.unwrap_or("")
            ))),
        }
    }
}

fn binary(op: BinaryOperator, l: &V, r: &V) -> V {
    use BinaryOperator as B;
    if let V::Unknown(reason) = l {
        return V::Unknown(reason.clone());
    }
    if let V::Unknown(reason) = r {
        return V::Unknown(reason.clone());
    }
    match (op, l, r) {
        (B::Eq, a, b) => V::Bool(a == b || a.as_text().is_some() && a.as_text() == b.as_text()),
        (B::NotEq, a, b) => {
            V::Bool(!(a == b || a.as_text().is_some() && a.as_text() == b.as_text()))
        }
        (B::And, V::Bool(a), V::Bool(b)) => V::Bool(*a && *b),
        (B::Or, V::Bool(a), V::Bool(b)) => V::Bool(*a || *b),
        (op, V::Num(a), V::Num(b)) => match op {
            B::Plus => V::Num(a + b),
            B::Minus => V::Num(a - b),
            B::Mul => V::Num(a * b),
            B::Div if *b != 0.0 => V::Num(a / b),
            B::Mod if *b != 0.0 => V::Num(a % b),
            B::Less => V::Bool(a < b),
            B::LessEq => V::Bool(a <= b),
            B::Greater => V::Bool(a > b),
            B::GreaterEq => V::Bool(a >= b),
            _ => V::Unknown("invalid arithmetic".into()),
        },
        _ => V::Unknown("operands of unexpected types".into()),
    }
}

/// Terraform's `format()` for the `%s`/`%d`/`%v`/`%%` verbs; anything else stays unknown.
fn format_verbs(fmt: &str, args: &[String]) -> V {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => match args.next() {
                Some(a) => out.push_str(a),
                None => return V::Unknown("`format` has too few arguments".into()),
            },
            _ => return V::Unknown("`format` verb not evaluated by shardlint".into()),
        }
    }
    V::Str(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> (SourceDb, Model, Vec<InputError>) {
        let mut db = SourceDb::default();
        let mut tf = Vec::new();
        let mut vars = Vec::new();
        for (name, text) in files {
            let id = db.add(name.into(), text.to_string());
            if name.ends_with(".tfvars") {
                vars.push(id)
            } else {
                tf.push(id)
            }
        }
        let (m, e) = load_module(&db, ".", &tf, &vars);
        (db, m, e)
    }

    #[test]
    fn escape_gives_iot_template() {
        let (db, m, _) = load(&[(
            "main.tf",
            "resource \"aws_iot_topic_rule\" \"r\" {\n  kinesis {\n    partition_key = \"$${vin}\"\n  }\n}\n",
        )]);
        let key = &m.rules[0].actions[0].partition_key;
        assert_eq!(key.get().map(String::as_str), Some("${vin}"));
        assert_eq!(key.escapes, Escapes::HclQuoted);
        assert_eq!(db.text(key.span.unwrap()), "\"$${vin}\"");
    }

    #[test]
    fn variable_default_and_tfvars_override() {
        let files = [
            (
                "main.tf",
                "variable \"key\" {\n  default = \"vin\"\n}\nresource \"aws_iot_topic_rule\" \"r\" {\n  kinesis {\n    partition_key = var.key\n  }\n}\n",
            ),
            ("terraform.tfvars", "key = \"$${clientid()}\"\n"),
        ];
        let (_, m, _) = load(&files[..1]);
        let key = &m.rules[0].actions[0].partition_key;
        assert_eq!(key.get().map(String::as_str), Some("vin"));
        assert_eq!(key.via.len(), 1);
        let (_, m, _) = load(&files);
        let key = &m.rules[0].actions[0].partition_key;
        assert_eq!(key.get().map(String::as_str), Some("${clientid()}"));
    }

    #[test]
    fn terraform_functions_in_keys_are_flagged() {
        let (_, m, _) = load(&[(
            "main.tf",
            "resource \"aws_iot_topic_rule\" \"r\" {\n  kinesis { partition_key = \"${uuid()}\" }\n  kinesis { partition_key = \"${topic(3)}\" }\n  kinesis { partition_key = \"${lower(\"A\")}\" }\n}\n",
        )]);
        let a = &m.rules[0].actions;
        assert_eq!(a[0].iac_interpolations[0].effect, IacEffect::FixedPerDeploy);
        assert_eq!(a[0].iac_interpolations[0].escaped_form, "$${newuuid()}");
        assert!(a[0].partition_key.is_unknown());
        assert_eq!(a[1].iac_interpolations[0].effect, IacEffect::Rejected);
        assert!(a[2].iac_interpolations.is_empty());
        assert_eq!(a[2].partition_key.get().map(String::as_str), Some("a"));
    }

    #[test]
    fn references_locals_and_unknowns() {
        let (_, m, _) = load(&[(
            "main.tf",
            r#"
locals { prefix = "loc" }
variable "env" {}
resource "aws_kinesis_stream" "s" {
  name        = "${local.prefix}-stream"
  shard_count = 8
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_kinesis_stream.s.arn
  function_name    = var.env
  batch_size       = var.env == "prod" ? 100 : 10
}
"#,
        )]);
        assert_eq!(
            m.streams[0].name.get().map(String::as_str),
            Some("loc-stream")
        );
        let map = &m.mappings[0];
        assert_eq!(map.source_ref.as_deref(), Some("aws_kinesis_stream.s"));
        assert!(
            map.source_arn
                .get()
                .unwrap()
                .ends_with(":stream/loc-stream")
        );
        assert!(map.function.is_unknown());
        assert!(map.batch_size.is_unknown());
    }

    #[test]
    fn syntax_error_has_position() {
        let (db, m, e) = load(&[("bad.tf", "resource \"x\" \"y\" {\n  a = \n}\n")]);
        assert!(m.streams.is_empty());
        let span = e[0].span.unwrap();
        assert_eq!(db.start(span).line, 2);
        assert_eq!(db.start(span).column, 7);
    }
}
