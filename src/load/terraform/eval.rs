//! Expression evaluation for one module instance (a directory read alone, or one call of it):
//! `var.*` (caller arguments, tfvars, defaults), `local.*`, `module.*` outputs, resource
//! attributes, `each`/`count`/`dynamic` iterators and `for` expressions, as Terraform would at plan
//! time. Each local, variable and output is evaluated once (memoized); locals are evaluated in
//! dependency order without recursion, so long chains cannot overflow the stack; every instance
//! has a work budget, and a value over it is unknown and reported once with its location.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Element, Template};
use hcl_edit::visit::{Visit, visit_traversal};

use crate::diagnostic::InputError;
use crate::model::{IacEffect, IacInterpolation, IacTool, Related};
use crate::source::{Escapes, FileId, SourceDb, Span};

use super::Project;
use super::functions::{self, TF_FUNCTIONS, TF_VOLATILE};
use super::module::{CallDecl, Def, ModuleDecl};
pub(super) use super::value::{Budget, Field, V};

/// Related locations kept per value: the nearest definitions explain it; a chain of thousands
/// of locals must not copy thousands of entries into every value.
const MAX_VIA: usize = 8;
/// Nested evaluations (expression nesting, resource names referring to resource names).
const MAX_DEPTH: usize = 64;
/// Module calls nested in module calls.
pub(super) const MAX_MODULE_NESTING: usize = 12;
/// Instances of one resource or module call made by `count`/`for_each`.
pub(super) const MAX_INSTANCES: usize = 1000;

/// The result of evaluating one expression, with where it came from.
#[derive(Clone, Debug)]
pub(super) struct Resolved {
    pub value: V,
    /// Definitions the value passed through (variable defaults, tfvars, locals).
    pub via: Vec<Related>,
    /// `${...}` parts Terraform evaluates itself inside a string that ends up in the value.
    pub iac: Vec<IacInterpolation>,
    /// When the value is exactly one string literal: where and how it is written.
    pub literal: Option<(Span, Escapes)>,
    /// A resource the expression refers to (`aws_kinesis_stream.x`), for linking.
    pub reference: Option<String>,
    /// Where the value is written when that is not where it is used (an object field, a module
    /// call's argument): findings go there, with the use as a related location.
    pub site: Option<Span>,
    /// The module call that passed the value (`module.consumer`).
    pub call: Option<String>,
}

impl Resolved {
    pub fn of(value: V) -> Self {
        Resolved {
            value,
            via: Vec::new(),
            iac: Vec::new(),
            literal: None,
            reference: None,
            site: None,
            call: None,
        }
    }
    fn absorb(&mut self, other: &Resolved) {
        for r in &other.via {
            if self.via.len() < MAX_VIA && !self.via.contains(r) {
                self.via.push(r.clone());
            }
        }
        for i in &other.iac {
            if self.iac.len() < MAX_VIA {
                self.iac.push(i.clone());
            }
        }
    }
}

/// Names bound inside a resource, block or `for` expression: `each`, `count`, a `dynamic`
/// block's iterator, a `for` variable.
pub(super) struct Env<'e> {
    pub name: String,
    pub value: V,
    pub site: Option<Span>,
    pub parent: Option<&'e Env<'e>>,
}

impl<'e> Env<'e> {
    pub fn lookup(env: Option<&'e Env<'e>>, name: &str) -> Option<&'e Env<'e>> {
        let mut cur = env;
        while let Some(e) = cur {
            if e.name == name {
                return Some(e);
            }
            cur = e.parent;
        }
        None
    }
}

/// A name bound for one instance: (`each` or `count`, its value, where the value is written).
pub(super) type Binding = (String, V, Option<Span>);

/// One evaluated instance of a module call (a `for_each` call has one per key).
pub(super) struct Child<'a> {
    pub key: Option<String>,
    pub inst: Instance<'a>,
}

/// One module directory evaluated once: alone (a root), or for one call with its arguments.
pub(super) struct Instance<'a> {
    pub db: &'a SourceDb,
    pub decl: &'a ModuleDecl,
    pub project: &'a Project,
    /// Address prefix of everything declared here: `""` or `module.consumer.`.
    pub prefix: String,
    /// `Origin.module` of what this instance declares: the root module's directory.
    pub root: String,
    /// The root directory (where `.terraform/modules/modules.json` lives).
    pub root_dir: std::path::PathBuf,
    /// Key in `modules.json`: `""` for the root, `consumer`, `consumer.inner`.
    pub modkey: String,
    /// `module.consumer` when this is a call.
    pub call: Option<String>,
    /// The caller's arguments, evaluated in the caller; `None` for a module read alone.
    pub inputs: Option<HashMap<String, Resolved>>,
    pub nesting: usize,
    budget: Budget,
    locals: RefCell<HashMap<String, Resolved>>,
    vars: RefCell<HashMap<String, Resolved>>,
    outputs: RefCell<HashMap<String, Resolved>>,
    children: RefCell<HashMap<String, Rc<Vec<Child<'a>>>>>,
    depth: Cell<usize>,
    depth_reported: Cell<bool>,
    pub diags: RefCell<Vec<InputError>>,
}

#[derive(Default)]
struct LocalRefs(Vec<String>);

impl Visit for LocalRefs {
    fn visit_traversal(&mut self, t: &hcl_edit::expr::Traversal) {
        if let Expression::Variable(v) = &t.expr
            && v.as_str() == "local"
            && let Some(TraversalOperator::GetAttr(id)) = t.operators.first().map(|o| o.value())
        {
            self.0.push(id.as_str().to_string());
        }
        visit_traversal(self, t);
    }
}

impl<'a> Instance<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: &'a SourceDb,
        project: &'a Project,
        decl: &'a ModuleDecl,
        prefix: String,
        root: String,
        root_dir: std::path::PathBuf,
        modkey: String,
        call: Option<String>,
        inputs: Option<HashMap<String, Resolved>>,
        nesting: usize,
    ) -> Self {
        let inst = Instance {
            db,
            decl,
            project,
            prefix,
            root,
            root_dir,
            modkey,
            call,
            inputs,
            nesting,
            budget: Budget::default(),
            locals: Default::default(),
            vars: Default::default(),
            outputs: Default::default(),
            children: Default::default(),
            depth: Cell::new(0),
            depth_reported: Cell::new(false),
            diags: Default::default(),
        };
        inst.evaluate_locals();
        inst
    }

    pub fn span(&self, file: FileId, expr: &Expression) -> Option<Span> {
        expr.span().map(|r| self.decl.span(file, r))
    }

    pub fn text(&self, file: FileId, expr: &Expression) -> String {
        self.decl.text(self.db, file, expr)
    }

    fn error(&self, span: Span, message: String, help: Option<&str>) {
        let mut d = self.diags.borrow_mut();
        if d.iter()
            .any(|e| e.span == Some(span) && e.message == message)
        {
            return;
        }
        d.push(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: self.db.get(span.file).display_name(),
            span: Some(span),
            message,
            help: help.map(str::to_string),
        });
    }

    /// Every local, in dependency order, with an explicit stack: a chain of thousands of locals
    /// costs no native stack, and a cycle is reported once at the local that closes it.
    fn evaluate_locals(&self) {
        let decl = self.decl;
        let mut deps: HashMap<&str, Vec<String>> = HashMap::new();
        let mut deps_of = |name: &str| -> Vec<String> {
            deps.entry(
                decl.locals
                    .get_key_value(name)
                    .map_or("", |(k, _)| k.as_str()),
            )
            .or_insert_with(|| {
                let mut v = LocalRefs::default();
                if let Some(d) = decl.locals.get(name) {
                    v.visit_expr(&d.expr);
                }
                v.0
            })
            .clone()
        };
        let mut cyclic: HashSet<String> = HashSet::new();
        for start in &decl.local_order {
            if self.locals.borrow().contains_key(start) {
                continue;
            }
            let mut stack: Vec<(String, Vec<String>, usize)> =
                vec![(start.clone(), deps_of(start), 0)];
            let mut on_stack: HashSet<String> = HashSet::from([start.clone()]);
            while let Some(top) = stack.last_mut() {
                if top.2 < top.1.len() {
                    let d = top.1[top.2].clone();
                    top.2 += 1;
                    if !decl.locals.contains_key(&d) || self.locals.borrow().contains_key(&d) {
                        continue;
                    }
                    if on_stack.contains(&d) {
                        let from = stack.iter().position(|(n, _, _)| *n == d).unwrap_or(0);
                        let names: Vec<&str> =
                            stack[from..].iter().map(|(n, _, _)| n.as_str()).collect();
                        let chain = names
                            .iter()
                            .chain(std::iter::once(&d.as_str()))
                            .map(|n| format!("local.{n}"))
                            .take(6)
                            .collect::<Vec<_>>()
                            .join(" → ");
                        let more = if names.len() + 1 > 6 {
                            format!(
                                " … (a cycle of {} locals)",
                                crate::numbers::thousands(names.len() as u64)
                            )
                        } else {
                            String::new()
                        };
                        let def = &decl.locals[&d];
                        if let Some(span) = self.span(def.file, &def.expr) {
                            self.error(
                                span,
                                format!("local `{d}` refers to itself: {chain}{more}"),
                                Some("Terraform rejects cycles between locals; break the cycle"),
                            );
                        }
                        for n in &names {
                            cyclic.insert(n.to_string());
                            self.locals.borrow_mut().insert(
                                n.to_string(),
                                Resolved::of(V::Unknown(format!("local `{n}` is part of a cycle"))),
                            );
                        }
                        continue;
                    }
                    on_stack.insert(d.clone());
                    let dd = deps_of(&d);
                    stack.push((d, dd, 0));
                } else {
                    let (name, _, _) = stack.pop().expect("non-empty");
                    on_stack.remove(&name);
                    if cyclic.contains(&name) {
                        continue;
                    }
                    let r = self.eval_def(&format!("local.{name}"), &decl.locals[&name]);
                    self.locals.borrow_mut().insert(name, r);
                }
            }
        }
    }

    /// Evaluates a variable/local/output definition, recording it as a related location and
    /// reporting a budget overrun once, at the first definition that hits it.
    pub fn eval_def(&self, key: &str, def: &Def) -> Resolved {
        let before = self.budget.tripped().is_some();
        let mut r = self.eval(def.file, &def.expr, None);
        if !before
            && let Some(why) = self.budget.tripped()
            && let Some(span) = self.span(def.file, &def.expr)
        {
            self.error(
                span,
                format!(
                    "`{key}` is over shardlint's evaluation budget: {why}; it is treated as unknown"
                ),
                Some("shardlint bounds the work per module; simplify the expression"),
            );
        }
        if let Some(span) = self.span(def.file, &def.expr) {
            r.via.insert(
                0,
                Related {
                    span,
                    path: key.to_string(),
                    message: format!("the value comes from {}", def.what),
                },
            );
            r.via.truncate(MAX_VIA);
        }
        r
    }

    fn local(&self, name: &str) -> Resolved {
        if let Some(r) = self.locals.borrow().get(name) {
            return r.clone();
        }
        match self.decl.locals.get(name) {
            None => Resolved::of(V::Error(format!(
                "local `{name}` is not defined in this module"
            ))),
            // Only reached while the locals are being evaluated in order (never deeply).
            Some(def) => self.eval_def(&format!("local.{name}"), def),
        }
    }

    pub fn var(&self, name: &str) -> Resolved {
        if let Some(r) = self.vars.borrow().get(name) {
            return r.clone();
        }
        let r = self.var_uncached(name);
        self.vars.borrow_mut().insert(name.to_string(), r.clone());
        r
    }

    fn var_uncached(&self, name: &str) -> Resolved {
        if let Some(inputs) = &self.inputs {
            if let Some(r) = inputs.get(name) {
                return r.clone();
            }
        } else if let Some(def) = self.decl.tfvars.get(name) {
            return self.eval_def(&format!("var.{name}"), def);
        }
        let decl = self.decl.variables.get(name);
        match decl.and_then(|d| d.default.as_ref()) {
            Some(def) => {
                let r = self.eval_def(&format!("var.{name}"), def);
                if r.value == V::Null && self.inputs.is_none() {
                    // A module read alone: its caller (or `-var`) may set what defaults to null.
                    let mut u = r;
                    u.value = V::Unknown(format!(
                        "variable `{name}` defaults to null; a caller or `-var` may set it"
                    ));
                    return u;
                }
                r
            }
            None => Resolved::of(V::Unknown(match (&self.call, decl) {
                (Some(call), Some(_)) => {
                    format!("variable `{name}` is not passed by `{call}` and has no default")
                }
                (None, Some(_)) => {
                    format!("variable `{name}` has no default and no value in a tfvars file")
                }
                (_, None) => format!("variable `{name}` is not declared in this module"),
            })),
        }
    }

    pub fn output(&self, name: &str) -> Resolved {
        if let Some(r) = self.outputs.borrow().get(name) {
            return r.clone();
        }
        let r = match self.decl.outputs.get(name) {
            Some(def) => self.eval_def(&format!("{}output.{name}", self.prefix), def),
            None => Resolved::of(V::Error(format!(
                "the module in `{}` has no output `{name}`",
                self.decl.display
            ))),
        };
        self.outputs
            .borrow_mut()
            .insert(name.to_string(), r.clone());
        r
    }

    /// The evaluated instances of module call `name`; `None` when its source is not read.
    pub fn children(&self, name: &str) -> Option<Rc<Vec<Child<'a>>>> {
        if let Some(c) = self.children.borrow().get(name) {
            return Some(c.clone());
        }
        let call = self.decl.calls.iter().find(|c| c.name == name)?;
        let target = self.project.callee(self, call)?;
        if self.nesting + 1 > MAX_MODULE_NESTING {
            self.error(
                call.header,
                format!(
                    "module calls nest more than {MAX_MODULE_NESTING} levels deep (does a module call itself?); `module.{name}` is not read"
                ),
                None,
            );
            return None;
        }
        let built = Rc::new(self.instantiate(call, target));
        self.children
            .borrow_mut()
            .insert(name.to_string(), built.clone());
        Some(built)
    }

    fn instantiate(&self, call: &CallDecl, target: &'a ModuleDecl) -> Vec<Child<'a>> {
        let body = &call.block.body;
        let keys = self.expand(call.file, body);
        let mut out = Vec::new();
        for (suffix, binding) in keys {
            let env = binding.as_ref().map(|(n, v, s)| Env {
                name: n.clone(),
                value: v.clone(),
                site: *s,
                parent: None,
            });
            let call_name = format!("module.{}{}", call.name, suffix);
            let mut inputs = HashMap::new();
            for attr in body.attributes() {
                let k = attr.key.as_str();
                if matches!(
                    k,
                    "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
                ) {
                    continue;
                }
                let mut r = self.eval(call.file, &attr.value, env.as_ref());
                if r.site.is_none() {
                    r.site = self.span(call.file, &attr.value);
                }
                r.call = Some(format!("{}{}", self.prefix, call_name));
                inputs.insert(k.to_string(), r);
            }
            let modkey = if self.modkey.is_empty() {
                call.name.clone()
            } else {
                format!("{}.{}", self.modkey, call.name)
            };
            out.push(Child {
                key: (!suffix.is_empty()).then(|| suffix.clone()),
                inst: Instance::new(
                    self.db,
                    self.project,
                    target,
                    format!("{}{}.", self.prefix, call_name),
                    self.root.clone(),
                    self.root_dir.clone(),
                    modkey,
                    Some(format!("{}{}", self.prefix, call_name)),
                    Some(inputs),
                    self.nesting + 1,
                ),
            });
        }
        out
    }

    /// The instances `count`/`for_each` make of a resource or module call: (address suffix,
    /// binding of `each`/`count`). Unknown collections give one instance with an unknown binding.
    pub fn expand(
        &self,
        file: FileId,
        body: &hcl_edit::structure::Body,
    ) -> Vec<(String, Option<Binding>)> {
        if let Some(attr) = body.get_attribute("for_each") {
            let r = self.eval(file, &attr.value, None);
            let items = match &r.value {
                V::Obj(_) => r.value.iter_items(),
                // A set of strings: key and value are the string.
                V::List(l) => l
                    .iter()
                    .map(|v| v.as_text().map(|t| (V::Str(t), v.clone(), None)))
                    .collect(),
                _ => None,
            };
            return match items {
                Some(items) => items
                    .into_iter()
                    .take(MAX_INSTANCES)
                    .map(|(k, v, s)| {
                        let key = k.as_text().unwrap_or_default();
                        let each = V::Obj(vec![
                            ("key".into(), k, None),
                            ("value".into(), v, s.or(r.site)),
                        ]);
                        (
                            format!("[{}]", quote_key(&key)),
                            Some(("each".to_string(), each, s)),
                        )
                    })
                    .collect(),
                None => {
                    let why = match &r.value {
                        V::Unknown(w) | V::Error(w) => w.clone(),
                        _ => "`for_each` is not a map or set".into(),
                    };
                    vec![(
                        String::new(),
                        Some((
                            "each".to_string(),
                            V::Unknown(format!("`for_each` is not known statically: {why}")),
                            None,
                        )),
                    )]
                }
            };
        }
        if let Some(attr) = body.get_attribute("count") {
            let r = self.eval(file, &attr.value, None);
            return match r.value {
                V::Num(n) if n >= 0.0 => (0..(n as usize).min(MAX_INSTANCES))
                    .map(|i| {
                        let count = V::Obj(vec![("index".into(), V::Num(i as f64), None)]);
                        (format!("[{i}]"), Some(("count".to_string(), count, None)))
                    })
                    .collect(),
                _ => vec![(
                    String::new(),
                    Some((
                        "count".to_string(),
                        V::Unknown("`count` is not known statically".into()),
                        None,
                    )),
                )],
            };
        }
        vec![(String::new(), None)]
    }

    /// Evaluates one expression; `env` binds `each`, `count` and iterators.
    pub fn eval(&self, file: FileId, expr: &Expression, env: Option<&Env>) -> Resolved {
        if let Err(v) = self.budget.step() {
            return Resolved::of(v);
        }
        let d = self.depth.get();
        if d >= MAX_DEPTH {
            if !self.depth_reported.replace(true)
                && let Some(span) = self.span(file, expr)
            {
                self.error(
                    span,
                    format!(
                        "expressions nest more than {MAX_DEPTH} levels deep here; the value is treated as unknown"
                    ),
                    Some("split the expression into locals"),
                );
            }
            return Resolved::of(V::Unknown("nested too deeply to evaluate".into()));
        }
        self.depth.set(d + 1);
        let r = self.eval_inner(file, expr, env);
        self.depth.set(d);
        r
    }

    fn eval_inner(&self, file: FileId, expr: &Expression, env: Option<&Env>) -> Resolved {
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
                r.literal = self.span(file, expr).map(|sp| (sp, Escapes::HclQuoted));
                if self.decl.maps.contains_key(&file) {
                    r.literal = self.span(file, expr).map(|sp| (sp, Escapes::DoubleQuoted));
                }
                r
            }
            Expression::StringTemplate(t) => self.eval_template(file, t, env),
            Expression::HeredocTemplate(h) => self.eval_template(file, &h.template, env),
            Expression::Parenthesis(p) => self.eval(file, p.inner(), env),
            Expression::Array(items) => {
                let mut out = Resolved::of(V::Null);
                let mut vals = Vec::new();
                for e in items.iter() {
                    let r = self.eval(file, e, env);
                    out.absorb(&r);
                    vals.push(r.value);
                }
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
                            match self.eval(file, e, env).value.as_text() {
                                Some(t) => t,
                                None => continue,
                            }
                        }
                    };
                    let r = self.eval(file, v.expr(), env);
                    out.absorb(&r);
                    let site = r.site.or_else(|| self.span(file, v.expr()));
                    fields.push((key, r.value, site));
                }
                out.value = V::Obj(fields);
                out
            }
            Expression::Variable(v) => match Env::lookup(env, v.as_str()) {
                Some(b) => {
                    let mut r = Resolved::of(b.value.clone());
                    r.site = b.site;
                    r
                }
                None => Resolved::of(V::Unknown(format!(
                    "`{}` is not a value shardlint can resolve",
                    v.as_str()
                ))),
            },
            Expression::Traversal(t) => self.eval_traversal(file, t, env),
            Expression::Conditional(c) => {
                let cond = self.eval(file, &c.cond_expr, env);
                let mut picked = match cond.value {
                    V::Bool(true) => self.eval(file, &c.true_expr, env),
                    V::Bool(false) => self.eval(file, &c.false_expr, env),
                    _ => {
                        let (t, f) = (
                            self.eval(file, &c.true_expr, env),
                            self.eval(file, &c.false_expr, env),
                        );
                        if t.value == f.value && !t.value.is_unknown() {
                            t
                        } else {
                            Resolved::of(V::Unknown(format!(
                                "depends on the condition `{}`",
                                self.text(file, &c.cond_expr)
                            )))
                        }
                    }
                };
                picked.absorb(&cond);
                picked
            }
            Expression::FuncCall(call) => self.eval_call(file, call, env),
            Expression::UnaryOp(op) => {
                let r = self.eval(file, &op.expr, env);
                let value = match (op.operator.value(), &r.value) {
                    (UnaryOperator::Neg, V::Num(n)) => V::Num(-n),
                    (UnaryOperator::Not, V::Bool(b)) => V::Bool(!b),
                    (_, v) => v.unknown_or("invalid operand"),
                };
                Resolved { value, ..r }
            }
            Expression::BinaryOp(op) => {
                let l = self.eval(file, &op.lhs_expr, env);
                let r = self.eval(file, &op.rhs_expr, env);
                let mut out = Resolved::of(binary(*op.operator.value(), &l.value, &r.value));
                out.absorb(&l);
                out.absorb(&r);
                out
            }
            Expression::ForExpr(f) => self.eval_for(file, f, env),
        }
    }

    fn eval_for(&self, file: FileId, f: &hcl_edit::expr::ForExpr, env: Option<&Env>) -> Resolved {
        let coll = self.eval(file, &f.intro.collection_expr, env);
        let Some(items) = coll.value.iter_items() else {
            return Resolved::of(
                coll.value
                    .unknown_or("`for` over a value that is not a collection"),
            );
        };
        let mut out = Resolved::of(V::Null);
        out.absorb(&coll);
        let mut list = Vec::new();
        let mut obj: Vec<Field> = Vec::new();
        for (k, v, site) in items.into_iter().take(MAX_INSTANCES * 10) {
            let kenv;
            let base = match &f.intro.key_var {
                Some(kv) => {
                    kenv = Env {
                        name: kv.as_str().to_string(),
                        value: k,
                        site: None,
                        parent: env,
                    };
                    Some(&kenv)
                }
                None => env,
            };
            let venv = Env {
                name: f.intro.value_var.as_str().to_string(),
                value: v,
                site,
                parent: base,
            };
            if let Some(cond) = &f.cond {
                match self.eval(file, &cond.expr, Some(&venv)).value {
                    V::Bool(true) => {}
                    V::Bool(false) => continue,
                    other => {
                        return Resolved::of(other.unknown_or("`for` condition is not a bool"));
                    }
                }
            }
            let val = self.eval(file, &f.value_expr, Some(&venv));
            out.absorb(&val);
            match &f.key_expr {
                Some(ke) => {
                    let key = self.eval(file, ke, Some(&venv));
                    let Some(key) = key.value.as_text() else {
                        return Resolved::of(key.value.unknown_or("`for` key is not a string"));
                    };
                    obj.push((key, val.value, val.site.or(site)));
                }
                None => list.push(val.value),
            }
        }
        out.value = if f.key_expr.is_some() {
            V::Obj(obj)
        } else {
            V::List(list)
        };
        out
    }

    fn eval_template(&self, file: FileId, t: &Template, env: Option<&Env>) -> Resolved {
        // `"${x}"` alone is `x` itself, whatever its type (as in Terraform).
        let elements: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(interp)] = elements.as_slice()
            && self.iac_interpolation(file, interp).is_none()
        {
            let mut r = self.eval(file, &interp.expr, env);
            r.literal = None;
            return r;
        }
        let mut out = Resolved::of(V::Null);
        let mut text = String::new();
        let mut unknown: Option<V> = None;
        for el in elements {
            match el {
                Element::Literal(s) => text.push_str(s.value()),
                Element::Interpolation(interp) => {
                    if let Some(iac) = self.iac_interpolation(file, interp) {
                        // Keep the IoT view of the text for messages; the key is flagged anyway.
                        text.push_str(&format!("${{{}}}", iac.expr));
                        if out.iac.len() < MAX_VIA {
                            out.iac.push(iac);
                        }
                        continue;
                    }
                    let r = self.eval(file, &interp.expr, env);
                    out.absorb(&r);
                    match r.value.as_text() {
                        Some(s) => {
                            if let Err(e) = self.budget.check_size(text.len() + s.len()) {
                                unknown.get_or_insert(e);
                                break;
                            }
                            text.push_str(&s);
                        }
                        None => {
                            unknown.get_or_insert(match r.value {
                                V::Unknown(_) | V::Error(_) => r.value,
                                _ => V::Unknown("a non-string value is interpolated".into()),
                            });
                        }
                    }
                }
                Element::Directive(_) => {
                    unknown
                        .get_or_insert(V::Unknown("template directives are not evaluated".into()));
                }
            }
        }
        out.value = unknown.unwrap_or(V::Str(text));
        out
    }

    /// An interpolation that Terraform itself evaluates in a way that breaks an IoT key:
    /// a volatile function (`uuid()`), or something that is not Terraform at all (`topic(3)`).
    fn iac_interpolation(
        &self,
        file: FileId,
        interp: &hcl_edit::template::Interpolation,
    ) -> Option<IacInterpolation> {
        let span = interp.span().map(|r| self.decl.span(file, r))?;
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

    fn eval_call(
        &self,
        file: FileId,
        call: &hcl_edit::expr::FuncCall,
        env: Option<&Env>,
    ) -> Resolved {
        let name = call.name.name.as_str();
        let args: Vec<Resolved> = call.args.iter().map(|a| self.eval(file, a, env)).collect();
        let mut out = Resolved::of(V::Null);
        for a in &args {
            out.absorb(a);
        }
        let values: Vec<V> = args.iter().map(|a| a.value.clone()).collect();
        out.value = functions::call(name, &values, &self.budget);
        // `lookup(m, "k", d)`, `try(x, d)`, `coalesce(x, d)`: keep where the chosen value is written.
        if matches!(name, "lookup" | "try" | "coalesce")
            && let Some(a) = args
                .iter()
                .find(|a| a.value == out.value && a.site.is_some())
        {
            out.site = a.site;
            out.call = a.call.clone();
        }
        if name == "lookup"
            && let (Some(m), Some(k)) = (args.first(), args.get(1).and_then(|a| a.value.as_text()))
            && let (v, Some(site)) = m.value.attr_site(&k)
            && v == out.value
        {
            out.site = Some(site);
            out.call = m.call.clone();
        }
        out
    }

    fn eval_traversal(
        &self,
        file: FileId,
        t: &hcl_edit::expr::Traversal,
        env: Option<&Env>,
    ) -> Resolved {
        let attr_at = |i: usize| match t.operators.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(id)) => Some(id.as_str().to_string()),
            _ => None,
        };
        let root = match &t.expr {
            Expression::Variable(v) => v.as_str().to_string(),
            other => {
                let base = self.eval(file, other, env);
                return self.apply_ops(file, base, &t.operators, env);
            }
        };
        if let Some(b) = Env::lookup(env, &root) {
            let mut base = Resolved::of(b.value.clone());
            base.site = b.site;
            base.call = self.call.clone();
            return self.apply_ops(file, base, &t.operators, env);
        }
        // `resource.aws_x.name.arn` (Terraform 1.x) is `aws_x.name.arn`.
        if root == "resource"
            && let Some(ty) = attr_at(0)
            && let Ok(ident) = hcl_edit::Ident::try_new(ty)
        {
            let inner = hcl_edit::expr::Traversal::new(
                Expression::Variable(ident.into()),
                t.operators[1..].to_vec(),
            );
            return self.eval_traversal(file, &inner, env);
        }
        match (root.as_str(), attr_at(0)) {
            ("var", Some(name)) => {
                let base = self.var(&name);
                self.apply_ops(file, base, &t.operators[1..], env)
            }
            ("local", Some(name)) => {
                let base = self.local(&name);
                self.apply_ops(file, base, &t.operators[1..], env)
            }
            ("module", Some(name)) => self.module_ref(file, &name, t, env),
            ("data", _) => Resolved::of(V::Unknown("data sources are read at apply time".into())),
            ("each" | "count" | "self", _) => Resolved::of(V::Unknown(format!(
                "`{root}` differs per resource instance"
            ))),
            ("path", Some(p)) => Resolved::of(match p.as_str() {
                "module" => V::Str(self.decl.display.clone()),
                _ => V::Unknown(format!("`path.{p}` is not resolved by shardlint")),
            }),
            (ty, Some(name)) if ty.contains('_') => {
                // `aws_x.name[0].arn`, `aws_x.name["k"].arn`: skip the instance index.
                let (index, rest) = match t.operators.get(1).map(|o| o.value()) {
                    Some(TraversalOperator::Index(e)) => {
                        (self.eval(file, e, env).value.as_text(), 2)
                    }
                    Some(TraversalOperator::LegacyIndex(n)) => (Some(n.value().to_string()), 2),
                    _ => (None, 1),
                };
                let attr = attr_at(rest);
                let mut r = self.resource_attr(ty, &name, attr.as_deref());
                r.reference = Some(match &index {
                    Some(i) if i.parse::<usize>().is_ok() => {
                        format!("{}{ty}.{name}[{i}]", self.prefix)
                    }
                    Some(i) => format!("{}{ty}.{name}[{}]", self.prefix, quote_key(i)),
                    None => format!("{}{ty}.{name}", self.prefix),
                });
                let skip = (rest + 1).min(t.operators.len());
                let reference = r.reference.clone();
                let mut r = self.apply_ops(file, r, &t.operators[skip..], env);
                r.reference = reference;
                r
            }
            _ => Resolved::of(V::Unknown(format!("`{root}` is not resolved by shardlint"))),
        }
    }

    /// `module.x.out`, `module.x["k"].out`, `module.x[0].out`.
    fn module_ref(
        &self,
        file: FileId,
        name: &str,
        t: &hcl_edit::expr::Traversal,
        env: Option<&Env>,
    ) -> Resolved {
        let text = self.text(file, &Expression::Traversal(Box::new(t.clone())));
        let Some(children) = self.children(name) else {
            return Resolved::of(V::Unknown(format!(
                "`{text}` is an output of module `{name}`, whose source shardlint does not read"
            )));
        };
        let mut i = 1;
        let child = match (t.operators.get(1).map(|o| o.value()), children.as_slice()) {
            (Some(TraversalOperator::Index(e)), list) => {
                i = 2;
                let key = self.eval(file, e, env).value.as_text();
                list.iter().find(|c| {
                    key.as_ref().is_some_and(|k| {
                        c.key.as_deref() == Some(&format!("[{}]", quote_key(k)))
                            || c.key.as_deref() == Some(&format!("[{k}]"))
                    })
                })
            }
            (_, [only]) if only.key.is_none() => Some(only),
            _ => None,
        };
        let Some(child) = child else {
            return Resolved::of(V::Unknown(format!(
                "`{text}` names an instance of `module.{name}` that is not known statically"
            )));
        };
        let Some(TraversalOperator::GetAttr(out)) = t.operators.get(i).map(|o| o.value()) else {
            return Resolved::of(V::Unknown(format!("`{text}` is a whole module")));
        };
        let mut r = child.inst.output(out.as_str());
        // Outputs of a resource address inside the module link by that address.
        r = self.apply_ops(file, r, &t.operators[i + 1..], env);
        r
    }

    fn apply_ops(
        &self,
        file: FileId,
        mut base: Resolved,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        env: Option<&Env>,
    ) -> Resolved {
        for op in ops {
            let (value, site) = match op.value() {
                TraversalOperator::GetAttr(id) => base.value.attr_site(id.as_str()),
                TraversalOperator::Index(e) => {
                    let idx = self.eval(file, e, env).value;
                    match (&base.value, idx) {
                        (V::List(items), V::Num(n)) => (
                            items
                                .get(n as usize)
                                .cloned()
                                .unwrap_or_else(|| V::Error("index out of range".into())),
                            None,
                        ),
                        (V::Obj(_), V::Str(k)) => base.value.attr_site(&k),
                        (V::Unknown(_) | V::Error(_), _) => (base.value.clone(), None),
                        (_, i) => (i.unknown_or("invalid index"), None),
                    }
                }
                TraversalOperator::LegacyIndex(n) => match &base.value {
                    V::List(items) => (
                        items
                            .get(*n.value() as usize)
                            .cloned()
                            .unwrap_or_else(|| V::Error("index out of range".into())),
                        None,
                    ),
                    v => (v.unknown_or("invalid index"), None),
                },
                _ => (
                    V::Unknown("splat expressions are not evaluated by shardlint".into()),
                    None,
                ),
            };
            base.value = value;
            if site.is_some() {
                base.site = site;
            }
            base.literal = None;
        }
        base
    }

    /// `aws_kinesis_stream.x.name`, `.arn`, `aws_lambda_function.f.arn`, ...
    fn resource_attr(&self, ty: &str, name: &str, attr: Option<&str>) -> Resolved {
        let Some(res) = self
            .decl
            .resources
            .iter()
            .find(|r| r.ty == ty && r.name == name)
        else {
            return Resolved::of(V::Unknown(format!(
                "`{ty}.{name}` is not declared in this module"
            )));
        };
        let name_attr = match ty {
            "aws_lambda_function" => "function_name",
            _ => "name",
        };
        let resolved_name = || match res.block.body.get_attribute(name_attr) {
            Some(a) => self.eval(res.file, &a.value, None),
            None => Resolved::of(V::Unknown(format!("`{ty}.{name}` has no `{name_attr}`"))),
        };
        match (ty, attr) {
            (_, Some(a)) if a == name_attr || a == "id" && ty == "aws_kinesis_stream" => {
                let mut r = resolved_name();
                r.via.clear();
                r.literal = None;
                r.site = None;
                r
            }
            ("aws_kinesis_stream", Some("arn")) => {
                let r = resolved_name();
                Resolved::of(match r.value.as_text() {
                    // Region and account are unknown statically; linking uses the name.
                    Some(n) => V::Str(format!(
                        "arn:aws:kinesis:${{region}}:${{account}}:stream/{n}"
                    )),
                    None => V::Unknown(format!("the name of `{ty}.{name}` is unknown")),
                })
            }
            ("aws_lambda_function", Some("arn" | "qualified_arn" | "invoke_arn")) => {
                let r = resolved_name();
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

/// `"k"` as Terraform writes an instance key.
pub(super) fn quote_key(k: &str) -> String {
    if k.parse::<usize>().is_ok() {
        k.to_string()
    } else {
        format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn binary(op: BinaryOperator, l: &V, r: &V) -> V {
    use BinaryOperator as B;
    if l.is_unknown() {
        return l.clone();
    }
    if r.is_unknown() {
        return r.clone();
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
            _ => V::Error("invalid arithmetic".into()),
        },
        _ => V::Error("operands of unexpected types".into()),
    }
}
