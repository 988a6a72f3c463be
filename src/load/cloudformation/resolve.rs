//! Static resolution of CloudFormation intrinsics (`!Ref`, `!Sub`, `!GetAtt`, `!Join`, `!Select`,
//! `!If`, `!FindInMap`, short and `Fn::` forms) against the template alone. What needs the deployed
//! stack (pseudo parameters, `!ImportValue`, parameters without a default, conditions) stays
//! unknown with a reason; it is never guessed.

use crate::load::json_span::{Kind, Node};
use crate::model::{IacEffect, IacInterpolation, IacTool, Related, ValState};
use crate::source::{Escapes, FileId, SourceDb, Span};

/// The tag of a node whose value is unknown, with the reason as its string (set by loaders that
/// pre-process a tree, such as Serverless variable resolution).
pub const UNKNOWN_TAG: &str = "shardlint.unknown";

/// References deeper than this are a cycle (`Name: !Ref Other` ↔ `Name: !Ref This`).
const MAX_HOPS: usize = 32;

/// What a value is used for, which decides how much partial knowledge is useful.
#[derive(Copy, Clone, Debug)]
pub struct Ctx {
    /// ARNs: pseudo parameters become `<region>`-style placeholders; the linker needs only the
    /// resource name inside the ARN.
    pub arn: bool,
    /// Partition keys: `!Sub` variables are recorded as IaC interpolations.
    pub key: bool,
}

impl Ctx {
    pub const NAME: Ctx = Ctx {
        arn: false,
        key: false,
    };
    pub const ARN: Ctx = Ctx {
        arn: true,
        key: false,
    };
    pub const KEY: Ctx = Ctx {
        arn: false,
        key: true,
    };
}

pub struct Resolved {
    pub state: ValState<String>,
    pub via: Vec<Related>,
    pub interps: Vec<IacInterpolation>,
}

impl Resolved {
    fn known(s: String) -> Self {
        Resolved {
            state: ValState::Known(s),
            via: Vec::new(),
            interps: Vec::new(),
        }
    }
    fn unknown(reason: impl Into<String>) -> Self {
        Resolved {
            state: ValState::Unknown(reason.into()),
            via: Vec::new(),
            interps: Vec::new(),
        }
    }
    fn with_via(mut self, span: Span, path: String, message: String) -> Self {
        self.via.push(Related {
            span,
            path,
            message,
        });
        self
    }
    fn map_known(mut self, f: impl FnOnce(String) -> String) -> Self {
        if let ValState::Known(s) = self.state {
            self.state = ValState::Known(f(s));
        }
        self
    }
}

pub fn stream_arn(name: &str) -> String {
    format!("arn:<partition>:kinesis:<region>:<account>:stream/{name}")
}

pub fn function_arn(name: &str) -> String {
    format!("arn:<partition>:lambda:<region>:<account>:function:{name}")
}

/// Placeholders for pseudo parameters inside ARNs; none contains `:`.
fn pseudo_placeholder(name: &str) -> Option<&'static str> {
    Some(match name {
        "AWS::Region" => "<region>",
        "AWS::AccountId" => "<account>",
        "AWS::Partition" => "<partition>",
        "AWS::URLSuffix" => "<url-suffix>",
        "AWS::StackName" => "<stack>",
        "AWS::StackId" => "<stack-id>",
        _ => return None,
    })
}

/// An intrinsic call: the function name without `Fn::` (`Ref`, `Sub`, ...) and its argument.
pub fn intrinsic(n: &Node) -> Option<(&str, &Node)> {
    match &n.kind {
        Kind::Tagged(name, _) if name == UNKNOWN_TAG => None,
        Kind::Tagged(name, inner) => Some((name.strip_prefix("Fn::").unwrap_or(name), inner)),
        Kind::Map(m) if m.len() == 1 => {
            let (k, v) = &m[0];
            if k.name == "Ref" {
                Some(("Ref", v))
            } else {
                k.name.strip_prefix("Fn::").map(|f| (f, v))
            }
        }
        _ => None,
    }
}

/// The span and escapes that describe a value as written: the scalar itself, or for `!Sub` the
/// template string inside it (so offsets in the string map back); otherwise the whole expression.
pub fn value_span(n: &Node) -> (Span, Escapes) {
    match intrinsic(n) {
        None => (n.span, n.escapes),
        Some(("Sub", arg)) => {
            let t = match &arg.kind {
                Kind::Seq(v) if !v.is_empty() => &v[0],
                _ => arg,
            };
            if t.as_str().is_some() {
                (t.span, t.escapes)
            } else {
                (n.span, Escapes::Verbatim)
            }
        }
        Some(_) => (n.span, Escapes::Verbatim),
    }
}

static EMPTY: Node = Node {
    span: Span {
        file: FileId(0),
        start: 0,
        end: 0,
    },
    escapes: Escapes::Verbatim,
    kind: Kind::Map(Vec::new()),
};

pub struct Tpl<'a> {
    pub db: &'a SourceDb,
    pub root: &'a Node,
    pub module: String,
}

impl<'a> Tpl<'a> {
    pub fn new(db: &'a SourceDb, file: FileId, root: &'a Node) -> Self {
        Tpl {
            db,
            root,
            module: db.get(file).display_name(),
        }
    }

    pub fn resources(&self) -> &'a Node {
        self.root.get("Resources").unwrap_or(&EMPTY)
    }

    fn resource_type(&self, id: &str) -> Option<&'a str> {
        self.resources().get(id)?.get("Type")?.as_str()
    }

    /// The type of the resource a `!Ref X` / `!GetAtt X.Attr` points at, if it is in the template.
    pub fn referenced_type(&self, n: &Node) -> Option<&'a str> {
        let (f, arg) = intrinsic(n)?;
        let id = match (f, &arg.kind) {
            ("Ref", _) => arg.scalar_text()?,
            ("GetAtt", Kind::Seq(v)) => v.first()?.scalar_text()?,
            ("GetAtt", _) => {
                let s = arg.scalar_text()?;
                s.split_once('.').map(|(a, _)| a.to_string()).unwrap_or(s)
            }
            _ => return None,
        };
        self.resource_type(&id)
    }

    /// A resource's logical id standing in for a name CloudFormation generates.
    pub fn logical_name(&self, id: &str, key_span: Span, prop: &str) -> crate::model::Val<String> {
        let mut v = crate::model::Val::known(id.to_string(), Some(key_span), "");
        v.via.push(Related {
            span: key_span,
            path: format!("Resources.{id}"),
            message: format!(
                "`{id}` has no `{prop}`; CloudFormation generates the name, so it is linked by logical id"
            ),
        });
        v
    }

    pub fn resolve(&self, n: &Node, ctx: Ctx, hops: usize) -> Resolved {
        if hops > MAX_HOPS {
            return Resolved::unknown("references nest too deeply (a reference cycle?)");
        }
        let Some((f, arg)) = intrinsic(n) else {
            return match &n.kind {
                Kind::Null => Resolved {
                    state: ValState::Absent,
                    via: Vec::new(),
                    interps: Vec::new(),
                },
                Kind::Seq(_) => Resolved::unknown("expected a single value, found a list"),
                Kind::Map(_) => Resolved::unknown("expected a single value, found a map"),
                // A value another loader (Serverless variables) could not resolve: its reason.
                Kind::Tagged(t, inner) if t == UNKNOWN_TAG => {
                    Resolved::unknown(inner.scalar_text().unwrap_or_default())
                }
                Kind::Tagged(t, _) => {
                    Resolved::unknown(format!("`!{t}` is not a CloudFormation intrinsic function"))
                }
                _ => Resolved::known(n.scalar_text().unwrap_or_default()),
            };
        };
        match f {
            "Ref" => match arg.scalar_text() {
                Some(name) => self.reference(&name, ctx, hops),
                None => Resolved::unknown("`!Ref` needs a name"),
            },
            "GetAtt" => {
                let (id, attr) = match &arg.kind {
                    Kind::Seq(v) if v.len() == 2 => (
                        v[0].scalar_text().unwrap_or_default(),
                        self.resolve(&v[1], Ctx::NAME, hops + 1).state,
                    ),
                    _ => {
                        let s = arg.scalar_text().unwrap_or_default();
                        let (a, b) = s.split_once('.').unwrap_or((&s, ""));
                        (a.to_string(), ValState::Known(b.to_string()))
                    }
                };
                match attr {
                    ValState::Known(attr) => self.get_att(&id, &attr, ctx, hops),
                    _ => Resolved::unknown(format!(
                        "`!GetAtt` on `{id}` names its attribute at deploy time"
                    )),
                }
            }
            "Sub" => self.sub(arg, ctx, hops),
            "Join" => self.join(arg, ctx, hops),
            "Select" => self.select(arg, ctx, hops),
            "If" => self.if_(arg, ctx, hops),
            "FindInMap" => self.find_in_map(arg, ctx, hops),
            "ImportValue" => {
                Resolved::unknown("`!ImportValue` is resolved from another stack at deploy time")
            }
            other => Resolved::unknown(format!(
                "`Fn::{other}` is evaluated by CloudFormation at deploy time"
            )),
        }
    }

    /// `!Ref name` (also a `${name}` in `!Sub`). `None` inside: no such parameter or resource.
    fn reference(&self, name: &str, ctx: Ctx, hops: usize) -> Resolved {
        self.try_reference(name, ctx, hops).unwrap_or_else(|| {
            Resolved::unknown(format!(
                "`{name}` is neither a parameter nor a resource of this template"
            ))
        })
    }

    fn try_reference(&self, name: &str, ctx: Ctx, hops: usize) -> Option<Resolved> {
        if name == "AWS::NoValue" {
            return Some(Resolved {
                state: ValState::Absent,
                via: Vec::new(),
                interps: Vec::new(),
            });
        }
        if name.starts_with("AWS::") {
            return Some(match pseudo_placeholder(name) {
                Some(p) if ctx.arn => Resolved::known(p.to_string()),
                _ => Resolved::unknown(format!("`{name}` is known only at deploy time")),
            });
        }
        if let Some(param) = self.root.get("Parameters").and_then(|p| p.get(name)) {
            return Some(match param.get("Default") {
                Some(d) => self.resolve(d, ctx, hops + 1).with_via(
                    d.span,
                    format!("Parameters.{name}.Default"),
                    format!("from the default of parameter `{name}`"),
                ),
                None => Resolved::unknown(format!(
                    "parameter `{name}` has no `Default`; its value is given at deploy time"
                )),
            });
        }
        let ty = self.resource_type(name)?;
        Some(match ty {
            "AWS::Kinesis::Stream" => self.physical_name(name, "Name", ctx, hops),
            "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
                self.physical_name(name, "FunctionName", ctx, hops)
            }
            "AWS::IoT::TopicRule" => self.physical_name(name, "RuleName", ctx, hops),
            "AWS::Kinesis::StreamConsumer" => self.consumer_arn(name, ctx, hops),
            _ => Resolved::unknown(format!(
                "`!Ref {name}` (`{ty}`) is known only at deploy time"
            )),
        })
    }

    /// A resource's name property, or its logical id when CloudFormation generates the name.
    fn physical_name(&self, id: &str, prop: &str, ctx: Ctx, hops: usize) -> Resolved {
        let res = self.resources().get(id).unwrap_or(&EMPTY);
        match res.get("Properties").and_then(|p| p.get(prop)) {
            Some(n) => {
                let path = format!("Resources.{id}.Properties.{prop}");
                let r = self.resolve(n, Ctx { key: false, ..ctx }, hops + 1);
                // Point at the name when it is written elsewhere than the reference.
                let msg = format!("the `{prop}` of `{id}`");
                r.with_via(n.span, path, msg)
            }
            None => {
                let key_span = self.resources().key_span(id).unwrap_or(res.span);
                let v = self.logical_name(id, key_span, prop);
                Resolved {
                    state: v.state,
                    via: v.via,
                    interps: Vec::new(),
                }
            }
        }
    }

    fn consumer_arn(&self, id: &str, ctx: Ctx, hops: usize) -> Resolved {
        if !ctx.arn {
            return Resolved::unknown(format!("the ARN of `{id}` is known only at deploy time"));
        }
        let props = self
            .resources()
            .get(id)
            .and_then(|r| r.get("Properties"))
            .unwrap_or(&EMPTY);
        let (Some(stream), Some(name)) = (props.get("StreamARN"), props.get("ConsumerName")) else {
            return Resolved::unknown(format!("`{id}` has no `StreamARN` or `ConsumerName`"));
        };
        let s = self.resolve(stream, ctx, hops + 1);
        let n = self.resolve(name, Ctx::NAME, hops + 1);
        let via: Vec<Related> = s.via.into_iter().chain(n.via).collect();
        let state = match (s.state, n.state) {
            (ValState::Known(s), ValState::Known(n)) => {
                ValState::Known(format!("{s}/consumer/{n}:<created>"))
            }
            (ValState::Unknown(r), _) | (_, ValState::Unknown(r)) => ValState::Unknown(r),
            _ => ValState::Unknown(format!("`{id}` has no `StreamARN` or `ConsumerName`")),
        };
        Resolved {
            state,
            via,
            interps: Vec::new(),
        }
    }

    fn get_att(&self, id: &str, attr: &str, ctx: Ctx, hops: usize) -> Resolved {
        let Some(ty) = self.resource_type(id) else {
            return Resolved::unknown(format!(
                "`!GetAtt {id}.{attr}`: no resource `{id}` in this template"
            ));
        };
        if !ctx.arn {
            return Resolved::unknown(format!(
                "`!GetAtt {id}.{attr}` is known only at deploy time"
            ));
        }
        match (ty, attr) {
            ("AWS::Kinesis::Stream", "Arn") => self
                .physical_name(id, "Name", ctx, hops)
                .map_known(|n| stream_arn(&n)),
            ("AWS::Lambda::Function" | "AWS::Serverless::Function", "Arn") => self
                .physical_name(id, "FunctionName", ctx, hops)
                .map_known(|n| function_arn(&n)),
            ("AWS::Kinesis::StreamConsumer", "ConsumerARN") => self.consumer_arn(id, ctx, hops),
            _ => Resolved::unknown(format!(
                "`!GetAtt {id}.{attr}` is known only at deploy time"
            )),
        }
    }

    /// `!Sub`: `${Param}`, `${Resource}`, `${Resource.Attr}`, pseudo parameters and the variable
    /// map are substituted; `${!x}` is the literal `${x}`. Any other `${x}` makes CloudFormation
    /// reject the template; in a partition key it is recorded, and the value keeps `${x}` as
    /// written (what the author meant IoT to see).
    fn sub(&self, arg: &Node, ctx: Ctx, hops: usize) -> Resolved {
        let (tmpl, vars) = match &arg.kind {
            Kind::Seq(v) if !v.is_empty() => (&v[0], v.get(1)),
            _ => (arg, None),
        };
        let Some(text) = tmpl.as_str() else {
            return Resolved::unknown("`!Sub` needs a string");
        };
        let mut out = String::new();
        let mut via = Vec::new();
        let mut interps = Vec::new();
        let mut unknown: Option<String> = None;
        let mut i = 0;
        while let Some(rel) = text[i..].find("${") {
            let j = i + rel;
            out.push_str(&text[i..j]);
            if text[j + 2..].starts_with('!') {
                out.push_str("${");
                i = j + 3;
                continue;
            }
            let Some(close) = text[j + 2..].find('}') else {
                i = j;
                break;
            };
            let k = j + 2 + close;
            let expr = &text[j + 2..k];
            let span = self.db.sub_span(tmpl.span, tmpl.escapes, j..k + 1);
            let interp = |effect| IacInterpolation {
                tool: IacTool::CloudFormationSub,
                expr: expr.to_string(),
                span,
                escaped_form: format!("${{!{expr}}}"),
                effect,
            };
            let resolved = match vars.and_then(|m| m.get(expr)) {
                Some(v) => Some(self.resolve(v, ctx, hops + 1)),
                None => match expr.split_once('.') {
                    Some((id, attr))
                        if !expr.starts_with("AWS::") && self.resource_type(id).is_some() =>
                    {
                        Some(self.get_att(id, attr, ctx, hops + 1))
                    }
                    _ => self.try_reference(expr, ctx, hops + 1),
                },
            };
            match resolved {
                Some(r) => {
                    via.extend(r.via);
                    interps.extend(r.interps);
                    if ctx.key {
                        interps.push(interp(IacEffect::Substituted));
                    }
                    match r.state {
                        ValState::Known(v) => out.push_str(&v),
                        ValState::Unknown(reason) => {
                            unknown.get_or_insert(format!("`${{{expr}}}` in `!Sub`: {reason}"));
                        }
                        ValState::Absent => {
                            unknown.get_or_insert(format!("`${{{expr}}}` in `!Sub` has no value"));
                        }
                    }
                }
                None => {
                    let reason = format!(
                        "CloudFormation rejects `${{{expr}}}` in `!Sub`: no parameter or resource is named `{expr}`"
                    );
                    if ctx.key {
                        interps.push(interp(IacEffect::Rejected));
                        out.push_str(&text[j..k + 1]);
                    } else {
                        unknown.get_or_insert(reason);
                    }
                }
            }
            i = k + 1;
        }
        out.push_str(&text[i..]);
        Resolved {
            state: match unknown {
                Some(r) => ValState::Unknown(r),
                None => ValState::Known(out),
            },
            via,
            interps,
        }
    }

    fn join(&self, arg: &Node, ctx: Ctx, hops: usize) -> Resolved {
        let items = arg.items();
        if items.len() != 2 {
            return Resolved::unknown("`!Join` needs a delimiter and a list");
        }
        let delim = self.resolve(&items[0], Ctx::NAME, hops + 1);
        let ValState::Known(delim) = delim.state else {
            return Resolved::unknown("the `!Join` delimiter is known only at deploy time");
        };
        let Kind::Seq(parts) = &items[1].kind else {
            return Resolved::unknown("the `!Join` list is built at deploy time");
        };
        let mut out = Vec::new();
        let mut via = Vec::new();
        for p in parts {
            let r = self.resolve(p, ctx, hops + 1);
            via.extend(r.via);
            match r.state {
                ValState::Known(s) => out.push(s),
                ValState::Absent => {}
                ValState::Unknown(reason) => return Resolved::unknown(reason),
            }
        }
        Resolved {
            state: ValState::Known(out.join(&delim)),
            via,
            interps: Vec::new(),
        }
    }

    fn select(&self, arg: &Node, ctx: Ctx, hops: usize) -> Resolved {
        let items = arg.items();
        if items.len() != 2 {
            return Resolved::unknown("`!Select` needs an index and a list");
        }
        let idx = match self.resolve(&items[0], Ctx::NAME, hops + 1).state {
            ValState::Known(s) => s.trim().parse::<usize>().ok(),
            _ => None,
        };
        match (idx, &items[1].kind) {
            (Some(i), Kind::Seq(list)) => match list.get(i) {
                Some(n) => self.resolve(n, ctx, hops + 1),
                None => {
                    Resolved::unknown(format!("`!Select` index `{i}` is past the end of the list"))
                }
            },
            _ => Resolved::unknown("`!Select` picks from a list known only at deploy time"),
        }
    }

    fn if_(&self, arg: &Node, ctx: Ctx, hops: usize) -> Resolved {
        let items = arg.items();
        if items.len() != 3 {
            return Resolved::unknown("`!If` needs a condition and two values");
        }
        let cond = items[0].scalar_text().unwrap_or_default();
        let a = self.resolve(&items[1], ctx, hops + 1);
        let b = self.resolve(&items[2], ctx, hops + 1);
        if a.state == b.state && !matches!(a.state, ValState::Unknown(_)) {
            let mut r = a;
            r.via.extend(b.via);
            r.interps.extend(b.interps);
            return r;
        }
        let show = |s: &ValState<String>| match s {
            ValState::Known(v) => format!("`{v}`"),
            ValState::Absent => "nothing".to_string(),
            ValState::Unknown(_) => "an unknown value".to_string(),
        };
        let mut r = Resolved::unknown(format!(
            "`!If` on condition `{cond}` picks {} or {} at deploy time",
            show(&a.state),
            show(&b.state)
        ));
        r.interps = a.interps.into_iter().chain(b.interps).collect();
        r
    }

    fn find_in_map(&self, arg: &Node, ctx: Ctx, hops: usize) -> Resolved {
        let items = arg.items();
        if items.len() < 3 {
            return Resolved::unknown("`!FindInMap` needs a map name and two keys");
        }
        let keys: Vec<_> = items[..3]
            .iter()
            .map(|n| self.resolve(n, Ctx::NAME, hops + 1).state)
            .collect();
        let [ValState::Known(m), ValState::Known(k1), ValState::Known(k2)] = &keys[..] else {
            return Resolved::unknown("`!FindInMap` keys are known only at deploy time");
        };
        match self
            .root
            .get("Mappings")
            .and_then(|x| x.get(m))
            .and_then(|x| x.get(k1))
            .and_then(|x| x.get(k2))
        {
            Some(v) => self.resolve(v, ctx, hops + 1).with_via(
                v.span,
                format!("Mappings.{m}.{k1}.{k2}"),
                format!("from mapping `{m}`"),
            ),
            None => Resolved::unknown(format!("mapping `{m}` has no entry `{k1}`.`{k2}`")),
        }
    }
}
