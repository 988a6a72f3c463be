//! Evaluates a parsed template on one record with AWS IoT SQL semantics: Undefined for missing
//! fields and bad arguments, the overloaded `+`, the standard conversions to String, and the
//! functions that matter for keys. Runs once per sample record, so values borrow from the
//! payload and the template wherever they can; nothing is re-parsed.
//!
//! Documented choices (the AWS guide is silent on them):
//! - `string + Undefined` is Undefined. The `+` table only says a String side "converts the other
//!   operand to a string", and converting Undefined to String gives Undefined (data-types
//!   conversion table); AWS does not spell the combination out (NOT FOUND), so we propagate.
//! - Each `${...}` part that is Undefined becomes the empty string, as AWS documents for an
//!   Undefined "serialized by itself"; `dev-${missing}` therefore gives the key `dev-`. A key that
//!   ends up empty is reported as Undefined, since Kinesis rejects a 0-length partition key.
//! - JSON `null` converts to Undefined (data-types table: Null → String is Undefined).
//! - `timestamp()` without `timestamp_ms` is Undefined (a sample without a time); `principal()`
//!   the sample lacks, `sourceip()`, `accountid()` and `sql_version()` are *unknown*: IoT knows
//!   them, the sample does not tell us.
//! - `traceid()` is a random UUID like `newuuid()` (a per-message id; samples are not MQTT
//!   messages we could read it from).
//! - Functions that call other services (`aws_lambda()`, `get_dynamodb()`, ...), those we do
//!   not implement (`sha256()`, `encode()`, regexps, `parse_time()`, trig, ...) and an unbound
//!   `@variable` are *unknown* ([`Evaluated::Unknown`]): IoT computes a key we cannot. Unknown
//!   wins over everything but an Undefined argument, for which IoT documents Undefined.
//! - Operators follow iot-sql-operators.md: `-`, `*`, `/` on Int give Int (`/` truncates, as
//!   `timestamp() / 1000` is used for seconds), with a Decimal side Decimal; numeric strings
//!   convert; division by zero is Undefined. Comparisons need two numbers, two strings or two
//!   Booleans; `AND`/`OR`/`NOT` need Booleans; anything else is Undefined. A `CASE` without a
//!   matching arm or `ELSE` is Undefined.
//! - String indices (`substring`, `get(string, i)`, `lpad`) count Unicode scalar values; IoT
//!   (Java) counts UTF-16 units, which differs only outside the Basic Multilingual Plane.

use std::borrow::Cow;

use md5::{Digest, Md5};
use serde_json::Value as Json;

use super::parser::render;
use super::{EvalInput, Evaluated, Expr, Op, Part, Template};

/// An IoT SQL value during evaluation.
#[derive(Clone, Debug)]
enum V<'a> {
    Undef(String),
    /// IoT computes a value here that shardlint cannot (see the module notes).
    Unknown(String),
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An array or object from the payload (never a scalar).
    Json(&'a Json),
    /// An array or object built during evaluation (`concat` of arrays).
    Owned(Json),
}

fn undef<'a>(reason: impl Into<String>) -> V<'a> {
    V::Undef(reason.into())
}

/// The per-record context, with one lifetime for everything borrowed.
struct Ctx<'a, 'r> {
    payload: &'a Json,
    topic: Option<&'a str>,
    clientid: Option<&'a str>,
    principal: Option<&'a str>,
    timestamp_ms: Option<i64>,
    random: &'r mut dyn FnMut() -> u128,
    /// SQL V2: whole-valued payload numbers are Int.
    whole_int: bool,
}

pub fn evaluate(t: &Template, input: &mut EvalInput) -> Evaluated {
    let mut ctx = Ctx {
        payload: input.payload,
        topic: input.topic,
        clientid: input.clientid,
        principal: input.principal,
        timestamp_ms: input.timestamp_ms,
        random: &mut *input.random,
        whole_int: t.sql_version.whole_numbers_are_int(),
    };
    // The common case `${vin}`: one lookup, one String.
    if let [Part::Expr { expr, .. }] = t.parts.as_slice() {
        let v = eval(expr, &mut ctx);
        if let V::Unknown(reason) = v {
            return Evaluated::Unknown { reason };
        }
        return match to_text(v) {
            Ok(s) if s.is_empty() => Evaluated::Undefined {
                reason: format!("empty key: `{}` is an empty string", render(expr)),
            },
            Ok(s) => Evaluated::Key(s.into_owned()),
            Err(mut reason) => {
                reason.insert_str(0, "empty key: ");
                Evaluated::Undefined { reason }
            }
        };
    }
    let mut key = String::new();
    let mut last_undefined = None;
    for part in &t.parts {
        match part {
            Part::Lit { text, .. } => key.push_str(text),
            Part::Expr { expr, .. } => match eval(expr, &mut ctx) {
                V::Unknown(reason) => return Evaluated::Unknown { reason },
                v => match to_text(v) {
                    Ok(s) => key.push_str(&s),
                    Err(reason) => last_undefined = Some(reason),
                },
            },
        }
    }
    if key.is_empty() {
        let reason = match last_undefined {
            Some(r) => format!("empty key: {r}"),
            None => "empty key: the template text is empty".into(),
        };
        return Evaluated::Undefined { reason };
    }
    Evaluated::Key(key)
}

/// Standard conversion to String (data-types table), or the Undefined reason.
fn to_text(v: V<'_>) -> Result<Cow<'_, str>, String> {
    match v {
        V::Undef(r) | V::Unknown(r) => Err(r),
        V::Null => Err("the value is JSON `null`".into()),
        V::Bool(b) => Ok(Cow::Borrowed(if b { "true" } else { "false" })),
        V::Int(i) => Ok(Cow::Owned(i.to_string())),
        V::Float(f) => format_f64(f)
            .map(Cow::Owned)
            .ok_or_else(|| "the number is not finite".to_string()),
        V::Str(s) => Ok(s),
        V::Json(j) => Ok(Cow::Owned(j.to_string())),
        V::Owned(j) => Ok(Cow::Owned(j.to_string())),
    }
}

/// Beyond this magnitude an f64 no longer holds every whole number: the payload's digits are
/// lost in parsing (IoT keeps 34).
const EXACT_F64: f64 = 9_007_199_254_740_992.0; // 2^53

/// A number read from the payload, as the rule's SQL version types it: under V2 a whole-valued
/// number (`10.0`, `1.5e3`) is the Int `10`, `1500`; under V1 it stays Decimal (`10.0`). A
/// whole number too large for an f64 to hold exactly (an integer of more than 15 digits, which
/// IoT keeps to 34) is unknown rather than printed with made-up digits.
fn payload_number(v: V<'_>, whole_int: bool) -> V<'_> {
    match v {
        V::Float(f) if f.fract() == 0.0 && f.abs() >= EXACT_F64 => V::Unknown(format!(
            "the payload number `{}` has more digits than shardlint reads exactly (64-bit floats; IoT keeps 34)",
            format_f64(f).unwrap_or_else(|| f.to_string())
        )),
        V::Float(f) if whole_int && f.fract() == 0.0 => V::Int(f as i64),
        v => v,
    }
}

/// Shortest round-trip form, as JSON writes it (`35.658278`, `3.0`, `1e21`).
fn format_f64(f: f64) -> Option<String> {
    serde_json::Number::from_f64(f).map(|n| n.to_string())
}

/// A number literal as written in a template: whole numbers without `.0`.
pub fn format_f64_literal(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        format_f64(f).unwrap_or_else(|| f.to_string())
    }
}

fn from_json(j: &Json) -> V<'_> {
    match j {
        Json::Null => V::Null,
        Json::Bool(b) => V::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => V::Int(i),
            None => V::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => V::Str(Cow::Borrowed(s)),
        Json::Array(_) | Json::Object(_) => V::Json(j),
    }
}

fn eval<'a>(e: &'a Expr, ctx: &mut Ctx<'a, '_>) -> V<'a> {
    match e {
        Expr::Field { path, .. } => payload_number(field(ctx.payload, path), ctx.whole_int),
        Expr::Str { value, .. } => V::Str(Cow::Borrowed(value)),
        // Whole-number literals are Int, as IoT types `2` (SQL V2 also reads `10.0` as Int).
        Expr::Num { value, .. } => {
            if value.fract() == 0.0 && value.abs() < 9.0e15 {
                V::Int(*value as i64)
            } else {
                V::Float(*value)
            }
        }
        Expr::Bool { value, .. } => V::Bool(*value),
        Expr::Add { lhs, rhs, .. } => {
            let l = eval(lhs, ctx);
            let r = eval(rhs, ctx);
            add(l, r)
        }
        Expr::Call { name, args, .. } => call(name, args, ctx),
        Expr::Var { name, value, .. } => match value {
            Some(v) => eval(v, ctx),
            None => V::Unknown(format!(
                "`@{name}` is not defined by the rule's `SET` clause as shardlint read it"
            )),
        },
        Expr::Op { op, args, .. } => operator(*op, args, ctx),
    }
}

/// Arithmetic on two numbers (numeric strings convert); `None` = not numbers.
fn arith<'a>(op: Op, l: &V<'a>, r: &V<'a>) -> V<'a> {
    let sym = op.symbol();
    if let (V::Int(a), V::Int(b)) = (l, r) {
        let v = match op {
            Op::Sub => a.checked_sub(*b),
            Op::Mul => a.checked_mul(*b),
            _ if *b == 0 => return undef(format!("`{sym}` by zero is Undefined")),
            _ => a.checked_div(*b),
        };
        return match v {
            Some(v) => V::Int(v),
            None => arith(op, &V::Float(*a as f64), &V::Float(*b as f64)),
        };
    }
    let (Some(a), Some(b)) = (to_f64(l), to_f64(r)) else {
        return undef(format!(
            "`{sym}` of {} and {} is Undefined",
            type_name(l),
            type_name(r)
        ));
    };
    match op {
        Op::Sub => V::Float(a - b),
        Op::Mul => V::Float(a * b),
        _ if b == 0.0 => undef(format!("`{sym}` by zero is Undefined")),
        _ => V::Float(a / b),
    }
}

fn compare(op: Op, l: &V, r: &V) -> V<'static> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (l, r) {
        (V::Str(a), V::Str(b)) => Some(a.as_ref().cmp(b.as_ref())),
        (V::Bool(a), V::Bool(b)) if matches!(op, Op::Eq | Op::Ne) => Some(a.cmp(b)),
        (V::Int(a), V::Int(b)) => Some(a.cmp(b)),
        (a, b) if !matches!(a, V::Str(_)) && !matches!(b, V::Str(_)) => {
            match (to_f64(a), to_f64(b)) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(o) = ord else {
        return undef(format!(
            "`{}` of {} and {} is Undefined",
            op.symbol(),
            type_name(l),
            type_name(r)
        ));
    };
    V::Bool(match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    })
}

fn operator<'a>(op: Op, args: &'a [Expr], ctx: &mut Ctx<'a, '_>) -> V<'a> {
    if let Op::Case { operand, default } = op {
        return case(operand, default, args, ctx);
    }
    let mut vals: Vec<V<'a>> = args.iter().map(|a| eval(a, ctx)).collect();
    if let Some(pos) = vals.iter().position(|v| matches!(v, V::Undef(_))) {
        return vals.swap_remove(pos);
    }
    if let Some(pos) = vals.iter().position(|v| matches!(v, V::Unknown(_))) {
        return vals.swap_remove(pos);
    }
    match (op, vals.as_slice()) {
        (Op::Sub | Op::Mul | Op::Div, [l, r]) => arith(op, l, r),
        (Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge, [l, r]) => compare(op, l, r),
        (Op::And, [V::Bool(a), V::Bool(b)]) => V::Bool(*a && *b),
        (Op::Or, [V::Bool(a), V::Bool(b)]) => V::Bool(*a || *b),
        (Op::Not, [V::Bool(a)]) => V::Bool(!*a),
        (Op::Neg, [V::Int(i)]) => i.checked_neg().map_or(V::Float(-(*i as f64)), V::Int),
        (Op::Neg, [v]) => match to_f64(v) {
            Some(f) => V::Float(-f),
            None => undef(format!("`-` of {} is Undefined", type_name(v))),
        },
        (op, vals) => undef(format!(
            "`{}` of {} is Undefined",
            op.symbol(),
            vals.iter().map(type_name).collect::<Vec<_>>().join(" and ")
        )),
    }
}

fn case<'a>(operand: bool, default: bool, args: &'a [Expr], ctx: &mut Ctx<'a, '_>) -> V<'a> {
    let (subject, rest) = match (operand, args.split_first()) {
        (true, Some((o, rest))) => (Some(eval(o, ctx)), rest),
        _ => (None, args),
    };
    if let Some(V::Unknown(r)) = &subject {
        return V::Unknown(r.clone());
    }
    let (arms, tail) = if default && !rest.is_empty() {
        rest.split_at(rest.len() - 1)
    } else {
        (rest, &[][..])
    };
    for pair in arms.chunks(2) {
        let [when, then] = pair else { break };
        let w = eval(when, ctx);
        let hit = match (&subject, w) {
            (_, V::Unknown(r)) => return V::Unknown(r),
            (Some(s), w) => matches!(compare(Op::Eq, s, &w), V::Bool(true)),
            (None, w) => matches!(w, V::Bool(true)),
        };
        if hit {
            return eval(then, ctx);
        }
    }
    match tail.first() {
        Some(e) => eval(e, ctx),
        None => undef("no `CASE` arm matches and there is no `ELSE`"),
    }
}

fn field<'a>(payload: &'a Json, path: &[String]) -> V<'a> {
    let mut cur = payload;
    for (i, key) in path.iter().enumerate() {
        match cur {
            Json::Object(map) => match map.get(key) {
                Some(v) => cur = v,
                None => {
                    return undef(format!(
                        "field `{}` is not in the payload",
                        path[..=i].join(".")
                    ));
                }
            },
            _ if i == 0 => return undef("the payload is not a JSON object"),
            _ => {
                return undef(format!(
                    "`{}` is not an object, so `{}` is Undefined",
                    path[..i].join("."),
                    path.join(".")
                ));
            }
        }
    }
    from_json(cur)
}

/// The overloaded `+` (iot-sql-operators.md).
fn add<'a>(l: V<'a>, r: V<'a>) -> V<'a> {
    match (l, r) {
        (V::Undef(r), _) | (_, V::Undef(r)) => V::Undef(r),
        (V::Unknown(r), _) | (_, V::Unknown(r)) => V::Unknown(r),
        (V::Str(a), b) => match to_text(b) {
            Ok(b) => V::Str(Cow::Owned(a.into_owned() + &b)),
            Err(r) => V::Undef(r),
        },
        (a, V::Str(b)) => match to_text(a) {
            Ok(a) => V::Str(Cow::Owned(a.into_owned() + &b)),
            Err(r) => V::Undef(r),
        },
        (V::Int(a), V::Int(b)) => match a.checked_add(b) {
            Some(s) => V::Int(s),
            None => V::Float(a as f64 + b as f64),
        },
        (V::Int(a), V::Float(b)) => V::Float(a as f64 + b),
        (V::Float(a), V::Int(b)) => V::Float(a + b as f64),
        (V::Float(a), V::Float(b)) => V::Float(a + b),
        (a, b) => undef(format!(
            "`+` of {} and {} is Undefined",
            type_name(&a),
            type_name(&b)
        )),
    }
}

fn type_name(v: &V) -> &'static str {
    match v {
        V::Undef(_) => "Undefined",
        V::Unknown(_) => "an unknown value",
        V::Null => "Null",
        V::Bool(_) => "a Boolean",
        V::Int(_) => "an Int",
        V::Float(_) => "a Decimal",
        V::Str(_) => "a String",
        V::Json(j) => {
            if j.is_array() {
                "an Array"
            } else {
                "an Object"
            }
        }
        V::Owned(j) => {
            if j.is_array() {
                "an Array"
            } else {
                "an Object"
            }
        }
    }
}

/// Conversion to Decimal (strings matching `^-?\d+(\.\d+)?((?i)E-?\d+)?$`).
fn to_f64(v: &V) -> Option<f64> {
    match v {
        V::Int(i) => Some(*i as f64),
        V::Float(f) => Some(*f),
        V::Str(s) if is_decimal_text(s) => s.parse().ok(),
        _ => None,
    }
}

fn is_decimal_text(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |mut i: usize| {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i, i > start)
    };
    let (j, ok) = digits(i);
    if !ok {
        return false;
    }
    i = j;
    if i < b.len() && b[i] == b'.' {
        let (j, ok) = digits(i + 1);
        if !ok {
            return false;
        }
        i = j;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && b[i] == b'-' {
            i += 1;
        }
        let (j, ok) = digits(i);
        if !ok {
            return false;
        }
        i = j;
    }
    i == b.len()
}

/// Conversion to Int: Decimals and numeric strings rounded down (as `substring` and `lpad`
/// document for their index arguments).
fn to_i64(v: &V) -> Option<i64> {
    match v {
        V::Int(i) => Some(*i),
        other => to_f64(other)
            .filter(|f| f.is_finite())
            .map(|f| f.floor() as i64),
    }
}

fn new_uuid(r: u128) -> String {
    let mut b = r.to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Functions [`evaluate`] computes; any other known function evaluates to Undefined with a
/// reason, so classification must not fold it into a constant value.
pub const EVALUATED: &[&str] = &[
    "abs",
    "cast",
    "ceil",
    "chr",
    "clientid",
    "concat",
    "endswith",
    "floor",
    "get",
    "get_or_default",
    "indexof",
    "isnull",
    "isundefined",
    "length",
    "lower",
    "lpad",
    "ltrim",
    "md5",
    "mod",
    "nanvl",
    "newuuid",
    "numbytes",
    "principal",
    "rand",
    "remainder",
    "replace",
    "round",
    "rpad",
    "rtrim",
    "sign",
    "startswith",
    "substring",
    "timestamp",
    "topic",
    "traceid",
    "trim",
    "upper",
];

fn call<'a>(name: &str, args: &'a [Expr], ctx: &mut Ctx<'a, '_>) -> V<'a> {
    // `parse` checks arities, but a `Template` can be built by hand: never index past `args`.
    match super::functions::lookup(name) {
        Some(spec)
            if args.len() >= spec.min_args && spec.max_args.is_none_or(|m| args.len() <= m) => {}
        Some(spec) => {
            return undef(format!(
                "`{name}()` {}, got {}",
                super::functions::arity_text(spec),
                args.len()
            ));
        }
        None => return undef(format!("unknown function `{name}()`")),
    }
    // Context functions first: they need no arguments evaluated.
    match name {
        "topic" => return topic(args, ctx),
        "clientid" => {
            // AWS: `n/a` when the message was not sent over MQTT.
            return V::Str(Cow::Borrowed(ctx.clientid.unwrap_or("n/a")));
        }
        "principal" => {
            return match ctx.principal {
                Some(p) => V::Str(Cow::Borrowed(p)),
                None => V::Unknown("`principal()` is not in the sample".into()),
            };
        }
        "timestamp" => {
            return match ctx.timestamp_ms {
                Some(ms) => V::Int(ms),
                None => undef("`timestamp()` is not known for this record"),
            };
        }
        "newuuid" | "traceid" => return V::Str(Cow::Owned(new_uuid((ctx.random)()))),
        "rand" => {
            // 53 random bits → a double in [0, 1).
            let bits = (ctx.random)() >> 75;
            return V::Float(bits as f64 / (1u64 << 53) as f64);
        }
        "accountid" | "sql_version" | "sourceip" => {
            return V::Unknown(format!("`{name}()` is not known to shardlint"));
        }
        _ => {}
    }
    if name == "get" && args.len() == 2 {
        // The hot path of `get(get(list, 0), 'vin')`: no argument vector.
        let coll = eval(&args[0], ctx);
        let key = eval(&args[1], ctx);
        return match (coll, key) {
            (V::Undef(r), _) | (_, V::Undef(r)) => V::Undef(r),
            (V::Unknown(r), _) | (_, V::Unknown(r)) => V::Unknown(r),
            (coll, key) => payload_number(get(coll, &key), ctx.whole_int),
        };
    }
    let mut vals: Vec<V<'a>> = args.iter().map(|a| eval(a, ctx)).collect();
    // An unknown argument makes the result unknown, except that an Undefined one makes every
    // function but these four Undefined whatever the rest is.
    let looks_at_undefined = matches!(name, "isundefined" | "isnull" | "get_or_default" | "nanvl");
    if (looks_at_undefined || !vals.iter().any(|v| matches!(v, V::Undef(_))))
        && let Some(pos) = vals.iter().position(|v| matches!(v, V::Unknown(_)))
    {
        return vals.swap_remove(pos);
    }
    // isUndefined / get_or_default / nanvl look at Undefined arguments themselves.
    match name {
        "isundefined" => return V::Bool(matches!(vals[0], V::Undef(_))),
        "isnull" => return V::Bool(matches!(vals[0], V::Null)),
        "get_or_default" => {
            let dflt = vals.pop();
            let first = vals.pop();
            return match (first, dflt) {
                (Some(V::Undef(_)) | Some(V::Null), Some(d)) => d,
                (Some(v), _) => v,
                _ => undef("`get_or_default()` needs 2 arguments"),
            };
        }
        "nanvl" => {
            let second = vals.pop();
            let first = vals.pop();
            return match (first, second) {
                (Some(V::Undef(_)) | Some(V::Null), Some(s)) => s,
                (Some(V::Float(f)), Some(s)) if f.is_nan() => s,
                (Some(v), _) => v,
                _ => undef("`nanvl()` needs 2 arguments"),
            };
        }
        _ => {}
    }
    if let Some(pos) = vals.iter().position(|v| matches!(v, V::Undef(_))) {
        // Every other function returns Undefined for an Undefined argument.
        return vals.swap_remove(pos);
    }
    let s = |i: usize, vals: &mut Vec<V<'a>>| -> Result<Cow<'a, str>, String> {
        to_text(std::mem::replace(&mut vals[i], V::Null))
    };
    let result: Result<V<'a>, String> = (|| match name {
        "get" => {
            let coll = std::mem::replace(&mut vals[0], V::Null);
            Ok(get(coll, &vals[1]))
        }
        "lower" => Ok(V::Str(Cow::Owned(s(0, &mut vals)?.to_lowercase()))),
        "upper" => Ok(V::Str(Cow::Owned(s(0, &mut vals)?.to_uppercase()))),
        "trim" => Ok(trimmed(s(0, &mut vals)?, |t| t.trim_matches(is_ws))),
        "ltrim" => Ok(trimmed(s(0, &mut vals)?, |t| t.trim_start_matches(is_ws))),
        "rtrim" => Ok(trimmed(s(0, &mut vals)?, |t| t.trim_end_matches(is_ws))),
        "replace" => {
            let to = s(2, &mut vals)?;
            let from = s(1, &mut vals)?;
            let text = s(0, &mut vals)?;
            if from.is_empty() {
                return Ok(V::Str(text));
            }
            Ok(V::Str(Cow::Owned(text.replace(&*from, &to))))
        }
        "substring" => {
            let end = match vals.get(2) {
                Some(v) => Some(to_i64(v).ok_or("`substring()` end index is not a number")?),
                None => None,
            };
            let start = to_i64(&vals[1]).ok_or("`substring()` start index is not a number")?;
            let text = s(0, &mut vals)?;
            Ok(V::Str(Cow::Owned(substring(&text, start, end))))
        }
        "lpad" | "rpad" => {
            let n = to_i64(&vals[1]).ok_or(format!("`{name}()` length is not a number"))?;
            let n = n.clamp(0, 1000) as usize;
            let text = s(0, &mut vals)?;
            let pad = " ".repeat(n);
            Ok(V::Str(Cow::Owned(if name == "lpad" {
                pad + &text
            } else {
                text.into_owned() + &pad
            })))
        }
        "concat" => concat(vals),
        "md5" => {
            let text = s(0, &mut vals)?;
            Ok(V::Str(Cow::Owned(hex(&Md5::digest(text.as_bytes())))))
        }
        "length" => Ok(V::Int(s(0, &mut vals)?.chars().count() as i64)),
        "numbytes" => Ok(V::Int(s(0, &mut vals)?.len() as i64)),
        "indexof" => {
            let needle = s(1, &mut vals)?;
            let hay = s(0, &mut vals)?;
            Ok(match hay.find(&*needle) {
                Some(b) => V::Int(hay[..b].chars().count() as i64),
                None => V::Int(-1),
            })
        }
        "startswith" | "endswith" => {
            let b = s(1, &mut vals)?;
            let a = s(0, &mut vals)?;
            Ok(V::Bool(if name == "startswith" {
                a.starts_with(&*b)
            } else {
                a.ends_with(&*b)
            }))
        }
        "cast" => cast(vals),
        "mod" | "remainder" => match (&vals[0], &vals[1]) {
            (V::Int(a), V::Int(b)) => a
                .checked_rem(*b)
                .map(V::Int)
                .ok_or_else(|| format!("`{name}()` by zero")),
            (a, b) => match (to_f64(a), to_f64(b)) {
                (Some(a), Some(b)) if b != 0.0 => Ok(V::Float(a % b)),
                _ => Err(format!("`{name}()` needs two numbers")),
            },
        },
        "abs" => num1(&vals[0], name, i64::checked_abs, f64::abs),
        "floor" | "ceil" | "round" => {
            let f = match &vals[0] {
                V::Int(i) => return Ok(V::Int(*i)),
                other => to_f64(other).ok_or(format!("`{name}()` needs a number"))?,
            };
            let r = match name {
                "floor" => f.floor(),
                "ceil" => f.ceil(),
                // Halves round up (AWS: `round(-1.5)` = -2 is "away from zero" in its examples).
                _ => f.round(),
            };
            Ok(V::Int(r as i64))
        }
        "sign" => {
            let f = to_f64(&vals[0]).ok_or("`sign()` needs a number")?;
            Ok(V::Int(if f > 0.0 {
                1
            } else if f < 0.0 {
                -1
            } else {
                0
            }))
        }
        "chr" => {
            let i = to_i64(&vals[0]).ok_or("`chr()` needs a number")?;
            match u8::try_from(i) {
                Ok(b) if b.is_ascii() => Ok(V::Str(Cow::Owned(char::from(b).to_string()))),
                _ => Err(format!("`chr({i})` is not an ASCII character")),
            }
        }
        _ => {
            let why = match super::functions::lookup(name).map(|s| s.effect) {
                Some(super::functions::Effect::External) => "calls another AWS service",
                _ => "is not evaluated",
            };
            Ok(V::Unknown(format!("`{name}()` {why} by shardlint")))
        }
    })();
    result.unwrap_or_else(V::Undef)
}

fn num1<'a>(
    v: &V<'a>,
    name: &str,
    int: fn(i64) -> Option<i64>,
    float: fn(f64) -> f64,
) -> Result<V<'a>, String> {
    match v {
        V::Int(i) => int(*i)
            .map(V::Int)
            .ok_or_else(|| format!("`{name}()` overflows")),
        other => to_f64(other)
            .map(|f| V::Float(float(f)))
            .ok_or_else(|| format!("`{name}()` needs a number")),
    }
}

fn trimmed<'a>(text: Cow<'a, str>, f: impl Fn(&str) -> &str) -> V<'a> {
    match text {
        Cow::Borrowed(b) => V::Str(Cow::Borrowed(f(b))),
        Cow::Owned(o) => V::Str(Cow::Owned(f(&o).to_string())),
    }
}

/// `substring(s, start[, end])`: 0-based, end exclusive, indices clamped to `0..=len`.
fn substring(text: &str, start: i64, end: Option<i64>) -> String {
    let len = text.chars().count() as i64;
    let start = start.clamp(0, len);
    let end = end.map_or(len, |e| e.clamp(0, len));
    if start >= end {
        return String::new();
    }
    text.chars()
        .skip(start as usize)
        .take((end - start) as usize)
        .collect()
}

/// `get(collection, keyOrIndex)`: arrays and strings by 0-based index, objects by string key.
fn get<'a>(coll: V<'a>, key: &V<'a>) -> V<'a> {
    match coll {
        V::Json(j) => get_json(j, key, from_json),
        V::Owned(j) => get_json(&j, key, |item| owned_json(item.clone())),
        V::Str(s) => {
            let Some(i) = to_i64(key) else {
                return undef("`get()` index is not a number");
            };
            match usize::try_from(i).ok().and_then(|i| s.chars().nth(i)) {
                Some(c) => V::Str(Cow::Owned(c.to_string())),
                None => undef(format!("`get()` index {i} is outside the string `{s}`")),
            }
        }
        other => undef(format!("`get()` on {} is Undefined", type_name(&other))),
    }
}

fn get_json<'j, 'a>(j: &'j Json, key: &V<'a>, wrap: impl FnOnce(&'j Json) -> V<'a>) -> V<'a> {
    match j {
        Json::Array(items) => {
            let Some(i) = to_i64(key) else {
                return undef("`get()` index is not a number");
            };
            match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                Some(item) => wrap(item),
                None => undef(format!(
                    "`get()` index {i} is outside an array of {} items",
                    items.len()
                )),
            }
        }
        Json::Object(map) => {
            // Object keys are never converted (AWS: "no conversion is applied").
            let V::Str(k) = key else {
                return undef("`get()` on an object needs a string key");
            };
            match map.get(k.as_ref()) {
                Some(item) => wrap(item),
                None => undef(format!("key `{k}` is not in the object")),
            }
        }
        _ => undef("`get()` needs an array, object or string"),
    }
}

fn owned_json<'a>(j: Json) -> V<'a> {
    match j {
        Json::Array(_) | Json::Object(_) => V::Owned(j),
        Json::Null => V::Null,
        Json::Bool(b) => V::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => V::Int(i),
            None => V::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => V::Str(Cow::Owned(s)),
    }
}

fn to_json(v: V) -> Option<Json> {
    Some(match v {
        V::Undef(_) | V::Unknown(_) => return None,
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(b),
        V::Int(i) => Json::from(i),
        V::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        V::Str(s) => Json::String(s.into_owned()),
        V::Json(j) => j.clone(),
        V::Owned(j) => j,
    })
}

/// `concat()`: 0 args Undefined, 1 arg unchanged, arrays flatten into one array, otherwise the
/// string forms joined. (AWS leaves 2+ non-string, non-array arguments unspecified; we join
/// their string forms as `concat(1) = "1"` suggests.)
fn concat(vals: Vec<V>) -> Result<V, String> {
    match vals.len() {
        0 => Err("`concat()` with no arguments is Undefined".into()),
        1 => Ok(vals.into_iter().next().unwrap_or(V::Null)),
        _ if vals
            .iter()
            .any(|v| matches!(v, V::Json(Json::Array(_)) | V::Owned(Json::Array(_)))) =>
        {
            let mut out = Vec::new();
            for v in vals {
                match to_json(v) {
                    Some(Json::Array(items)) => out.extend(items),
                    Some(j) => out.push(j),
                    None => return Err("`concat()` argument is Undefined".into()),
                }
            }
            Ok(V::Owned(Json::Array(out)))
        }
        _ => {
            let mut s = String::new();
            for v in vals {
                s.push_str(&to_text(v)?);
            }
            Ok(V::Str(Cow::Owned(s)))
        }
    }
}

/// `cast(value AS type)`, following the cast tables of the AWS guide.
fn cast(mut vals: Vec<V>) -> Result<V, String> {
    let ty = match vals.pop() {
        Some(V::Str(t)) => t.to_ascii_lowercase(),
        _ => return Err("`cast()` needs a type".into()),
    };
    let v = vals.pop().unwrap_or(V::Null);
    match ty.as_str() {
        "string" | "nvarchar" | "text" | "ntext" | "varchar" => Ok(V::Str(to_text(v)?)),
        "int" | "integer" => match v {
            V::Bool(b) => Ok(V::Int(i64::from(b))),
            other => to_i64(&other)
                .map(V::Int)
                .ok_or_else(|| format!("cannot cast {} to Int", type_name(&other))),
        },
        "double" | "decimal" => match v {
            V::Bool(b) => Ok(V::Float(if b { 1.0 } else { 0.0 })),
            other => to_f64(&other)
                .map(V::Float)
                .ok_or_else(|| format!("cannot cast {} to Decimal", type_name(&other))),
        },
        "bool" | "boolean" => match v {
            V::Bool(b) => Ok(V::Bool(b)),
            V::Int(i) => Ok(V::Bool(i != 0)),
            V::Float(f) => Ok(V::Bool(f != 0.0)),
            V::Str(s) if s.eq_ignore_ascii_case("true") => Ok(V::Bool(true)),
            V::Str(s) if s.eq_ignore_ascii_case("false") => Ok(V::Bool(false)),
            other => Err(format!("cannot cast {} to Boolean", type_name(&other))),
        },
        other => Err(format!("unknown cast type `{other}`")),
    }
}

/// `topic()` / `topic(n)` from the record's topic.
fn topic<'a>(args: &'a [Expr], ctx: &mut Ctx<'a, '_>) -> V<'a> {
    let Some(topic) = ctx.topic else {
        return undef("the record has no topic, so `topic()` is Undefined");
    };
    let Some(arg) = args.first() else {
        return V::Str(Cow::Borrowed(topic));
    };
    let n = match to_i64(&eval(arg, ctx)) {
        Some(n) if n >= 1 => n as usize,
        _ => return undef("`topic()` segment must be a number from 1"),
    };
    match topic.split('/').nth(n - 1) {
        Some(seg) => V::Str(Cow::Borrowed(seg)),
        None => undef(format!(
            "topic `{topic}` has no level {n}, so `topic({n})` is Undefined"
        )),
    }
}
