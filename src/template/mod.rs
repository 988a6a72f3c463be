//! IoT substitution templates (`${...}` in a Kinesis action's partition key): parsing with
//! byte ranges, static classification (constant / per-record / random / time-based / unknown)
//! and evaluation on a sample payload with IoT's Undefined semantics. Pure: no I/O, no model.
//!
//! INTERFACE STUB — the signatures below are fixed (other modules code against them); the
//! bodies are being implemented in their own branch.

use std::ops::Range;

/// A parsed template: literal text and `${expr}` parts, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
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
}

/// A malformed template; `range` is in bytes of the template text.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateError {
    pub range: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Parses a template. Text without `${` is a single literal part.
pub fn parse(_text: &str) -> Result<Template, TemplateError> {
    Err(TemplateError {
        range: 0..0,
        message: "not implemented".into(),
        help: None,
    })
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

pub fn classify(_t: &Template, _ctx: &ClassifyCtx) -> KeyClass {
    KeyClass::Unknown {
        reason: "not implemented".into(),
    }
}

/// Every payload field reference in the template: its top-level path and range.
pub fn fields(_t: &Template) -> Vec<(Vec<String>, Range<usize>)> {
    Vec::new()
}

/// The parts of a rule's SQL that matter for keys.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlInfo {
    /// The `FROM '...'` topic filter and its byte range in the SQL text (inside the quotes).
    pub topic_filter: Option<(String, Range<usize>)>,
    /// `SELECT x AS name` aliases, with the alias's byte range.
    pub aliases: Vec<(String, Range<usize>)>,
}

pub fn parse_sql(_sql: &str) -> SqlInfo {
    SqlInfo {
        topic_filter: None,
        aliases: Vec::new(),
    }
}

/// MQTT topic filter matching with `+` and `#`.
pub fn topic_matches(_filter: &str, _topic: &str) -> bool {
    false
}

/// What a template evaluates to on one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Evaluated {
    Key(String),
    /// IoT's Undefined (a missing field, a bad argument); `reason` names the cause.
    Undefined {
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

pub fn evaluate(_t: &Template, _input: &mut EvalInput) -> Evaluated {
    Evaluated::Undefined {
        reason: "not implemented".into(),
    }
}

/// Templates that reach a field named `field` somewhere in `payload` under IoT SQL (e.g.
/// `${get(get(list, 0), 'vin')}` for `{"list":[{"vin":…}]}`), shortest first.
pub fn suggest_paths(_payload: &serde_json::Value, _field: &str) -> Vec<String> {
    Vec::new()
}
