//! IoT substitution templates (`${...}` in a Kinesis action's partition key): parsing with
//! byte ranges, static classification (constant / per-record / random / time-based / unknown)
//! and evaluation on a sample payload with IoT's Undefined semantics. Pure: no I/O, no model.
//!
//! The types and functions in this file are the module's fixed interface; the work lives in
//! `parser` (text → [`Template`]), `functions` (the IoT SQL function table), `classify`,
//! `eval` (IoT semantics, per record, allocation-light), `sql` (FROM filter, `AS` aliases,
//! topic matching) and `suggest` (templates that reach a field in a sample payload).

use std::ops::Range;

mod classify;
mod eval;
pub mod functions;
mod parser;
mod sql;
mod suggest;

#[cfg(test)]
mod tests;

pub use parser::{expr_range, render};

/// A parsed template: literal text and `${expr}` parts, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
    /// The rule's SQL version: it decides how payload numbers become key text.
    pub sql_version: SqlVersion,
}

/// An IoT rule's `awsIotSqlVersion`. It changes the key text: with SQL V2 (2016-03-23) a
/// whole-valued payload number such as `10.0` is processed as the Int `10`, with V1
/// (2015-10-08) it stays the Decimal `10.0` (IoT developer guide, "Data types").
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SqlVersion {
    /// `2015-10-08`: CloudFormation's default when `AwsIotSqlVersion` is omitted.
    V1,
    /// `2016-03-23`: the console's default, and shardlint's for a template given alone.
    #[default]
    V2,
    /// `beta`: the newest beta; treated as V2 (AWS documents no number rule for it).
    Beta,
}

impl SqlVersion {
    pub fn parse(s: &str) -> Option<SqlVersion> {
        match s {
            "2015-10-08" => Some(SqlVersion::V1),
            "2016-03-23" => Some(SqlVersion::V2),
            "beta" => Some(SqlVersion::Beta),
            _ => None,
        }
    }
    /// A rule's version as written, else the default of the format it is written in
    /// (`cfn_default`: CloudFormation's 2015-10-08; the API, Terraform and plans require it).
    pub fn of_rule(written: Option<&str>, cfn_default: bool) -> SqlVersion {
        match written.and_then(SqlVersion::parse) {
            Some(v) => v,
            None if cfn_default => SqlVersion::V1,
            None => SqlVersion::default(),
        }
    }
    /// Whole-valued payload numbers (`10.0`) are Int (`10`).
    pub fn whole_numbers_are_int(self) -> bool {
        self != SqlVersion::V1
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Literal text; `range` in bytes of the template text.
    Lit { text: String, range: Range<usize> },
    /// `${expr}`; `range` covers `${` to `}` inclusive.
    Expr { expr: Expr, range: Range<usize> },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a.b.c` (a reference into the original payload).
    Field {
        path: Vec<String>,
        range: Range<usize>,
    },
    Str {
        value: String,
        range: Range<usize>,
    },
    Num {
        value: f64,
        range: Range<usize>,
    },
    Bool {
        value: bool,
        range: Range<usize>,
    },
    /// `lhs + rhs`.
    Add {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        range: Range<usize>,
    },
    /// `name(args...)`, name lower-cased as IoT matches functions case-insensitively.
    Call {
        name: String,
        args: Vec<Expr>,
        range: Range<usize>,
    },
    /// Every other IoT SQL operator (`-`, `*`, `/`, comparisons, `AND`/`OR`/`NOT`, unary `-`,
    /// `CASE`); `a % b` is stored as `mod(a, b)` and `a.b` after a call or `a[i]` as `get()`.
    Op {
        op: Op,
        args: Vec<Expr>,
        range: Range<usize>,
    },
    /// `@name`: a variable from the rule's `SET` clause; `value` is its expression once bound
    /// ([`bind_vars`]), `None` while the SQL is not known.
    Var {
        name: String,
        value: Option<Box<Expr>>,
        range: Range<usize>,
    },
}

/// IoT SQL operators besides `+` (iot-sql-operators.md).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Not,
    Neg,
    /// `CASE [operand] WHEN w THEN t ... [ELSE e] END`: `args` = [operand,] w1, t1, ... [, e].
    Case {
        operand: bool,
        default: bool,
    },
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Sub | Op::Neg => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::And => "AND",
            Op::Or => "OR",
            Op::Not => "NOT",
            Op::Case { .. } => "CASE",
        }
    }
}

/// Binds `@name` references to the rule's `SET` variables (name, expression), in place. A
/// variable the clause does not define stays unbound (its key part is unknown).
pub fn bind_vars(t: &mut Template, vars: &[(String, Expr)]) {
    fn walk(e: &mut Expr, vars: &[(String, Expr)]) {
        match e {
            Expr::Var { name, value, .. } => {
                if let Some((_, v)) = vars.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    *value = Some(Box::new(v.clone()));
                }
            }
            Expr::Add { lhs, rhs, .. } => {
                walk(lhs, vars);
                walk(rhs, vars);
            }
            Expr::Call { args, .. } | Expr::Op { args, .. } => {
                args.iter_mut().for_each(|a| walk(a, vars))
            }
            Expr::Field { .. } | Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } => {}
        }
    }
    for part in &mut t.parts {
        if let Part::Expr { expr, .. } = part {
            walk(expr, vars);
        }
    }
}

/// A malformed template; `range` is in bytes of the template text.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateError {
    pub range: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Parses a template. Text without `${` is a single literal part.
pub fn parse(text: &str) -> Result<Template, TemplateError> {
    parser::parse(text)
}

/// How a key varies between records.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyClass {
    /// Every record gets the same key; `value` is it when it can be computed statically.
    Constant {
        value: Option<String>,
    },
    /// Varies with the record: `sources` names what it varies with (`vin`, `clientid()`, `topic(2)`).
    PerRecord {
        sources: Vec<String>,
    },
    /// `newuuid()` (or another random source): spreads evenly, no per-device order.
    Random {
        sources: Vec<String>,
    },
    /// `timestamp()` without a per-record part.
    TimeBased,
    Unknown {
        reason: String,
    },
}

/// What classification may know besides the template.
#[derive(Clone, Debug, Default)]
pub struct ClassifyCtx<'a> {
    /// The rule's `FROM` topic filter (`fleet/+/telemetry`), if known.
    pub topic_filter: Option<&'a str>,
}

/// How the key varies between records; see `classify.rs` for the precedence of mixed parts.
pub fn classify(t: &Template, ctx: &ClassifyCtx) -> KeyClass {
    classify::classify(t, ctx)
}

/// Every payload field reference in the template: its top-level path and range.
pub fn fields(t: &Template) -> Vec<(Vec<String>, Range<usize>)> {
    fn walk(e: &Expr, out: &mut Vec<(Vec<String>, Range<usize>)>) {
        match e {
            Expr::Field { path, range } => out.push((path.clone(), range.clone())),
            Expr::Add { lhs, rhs, .. } => {
                walk(lhs, out);
                walk(rhs, out);
            }
            Expr::Call { args, .. } | Expr::Op { args, .. } => {
                args.iter().for_each(|a| walk(a, out))
            }
            // A variable's fields are written in the SQL, not in the key: no range here.
            Expr::Var { .. } | Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } => {}
        }
    }
    let mut out = Vec::new();
    for part in &t.parts {
        if let Part::Expr { expr, .. } = part {
            walk(expr, &mut out);
        }
    }
    out
}

/// The parts of a rule's SQL that matter for keys.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlInfo {
    /// The `FROM '...'` topic filter and its byte range in the SQL text (inside the quotes).
    pub topic_filter: Option<(String, Range<usize>)>,
    /// `SELECT x AS name` aliases, with the alias's byte range.
    pub aliases: Vec<(String, Range<usize>)>,
    /// `SET @name = expr` variables, in order (ranges are relative to each expression).
    pub vars: Vec<(String, Expr)>,
}

pub fn parse_sql(sql: &str) -> SqlInfo {
    sql::parse_sql(sql)
}

/// A Basic Ingest topic `$aws/rules/<rule>/<rest>`: the rule it goes to and the topic its
/// `topic(n)` sees (IoT developer guide, "Reducing messaging costs with Basic Ingest": the
/// `$aws/rules/<rule>` prefix is not part of the topic the rule's SQL sees).
pub fn basic_ingest(topic: &str) -> Option<(&str, &str)> {
    let rest = topic.strip_prefix("$aws/rules/")?;
    let (rule, tail) = rest.split_once('/').unwrap_or((rest, ""));
    (!rule.is_empty()).then_some((rule, tail))
}

/// MQTT topic filter matching with `+` and `#`.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    sql::topic_matches(filter, topic)
}

/// What a template evaluates to on one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Evaluated {
    Key(String),
    /// IoT's Undefined (a missing field, a bad argument); `reason` names the cause.
    Undefined {
        reason: String,
    },
    /// IoT would compute a key, but shardlint cannot from this record: a function it does not
    /// evaluate (`sha256()`, `encode()`, an external call), a value the sample lacks
    /// (`principal()`), an unbound `SET` variable. Counted as unknown, never as Undefined.
    Unknown {
        reason: String,
    },
}

/// One record's context for evaluation.
pub struct EvalInput<'a> {
    pub payload: &'a serde_json::Value,
    pub topic: Option<&'a str>,
    pub clientid: Option<&'a str>,
    pub principal: Option<&'a str>,
    pub timestamp_ms: Option<i64>,
    /// Source of randomness for `newuuid()` / `rand()` (seedable by the caller).
    pub random: &'a mut dyn FnMut() -> u128,
}

/// IoT semantics (aws-facts §2.4); the documented assumptions are listed in `eval.rs`.
pub fn evaluate(t: &Template, input: &mut EvalInput) -> Evaluated {
    eval::evaluate(t, input)
}

/// Templates that reach a field named `field` somewhere in `payload` under IoT SQL (e.g.
/// `${get(get(list, 0), 'vin')}` for `{"list":[{"vin":…}]}`), shortest first.
pub fn suggest_paths(payload: &serde_json::Value, field: &str) -> Vec<String> {
    suggest::suggest_paths(payload, field)
}
