//! An IoT substitution template translated into one SQL expression per engine: the key text of
//! a record, NULL where IoT gives Undefined, and the conditions under which the engine's text
//! may differ from shardlint's own rendering (`template::evaluate`, the reference).
//!
//! Only what SQL can compute the same way is accepted: payload field paths and `get` chains
//! with literal steps, string and whole-number literals, `+` with a side that is a string,
//! `concat`, `lower`/`upper`, and `topic()`/`topic(n)`/`clientid()` from columns the user maps.
//! Everything else is refused with the reason and the byte range of the part in the template.

use std::ops::Range;

use super::Dialect;
use crate::template::{Expr, Part, Template};

/// Where the record's parts are in the archive table.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    /// The record's data as JSON text.
    pub payload: String,
    pub topic: Option<String>,
    pub clientid: Option<String>,
}

/// A template part SQL cannot compute as shardlint does.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// Bytes of the template text.
    pub range: Range<usize>,
    pub reason: String,
}

pub use crate::distribution::aggregates::Inexact;

/// The translated template.
#[derive(Clone, Debug, Default)]
pub struct KeySql {
    /// The key text; NULL or `''` is Undefined.
    pub key: String,
    /// SQL conditions (booleans), each with why it makes a record's key inexact.
    pub inexact: Vec<(Inexact, String)>,
    /// Whether the template reads the payload at all.
    pub reads_payload: bool,
}

/// What a translated expression is, statically.
#[derive(Clone, Debug)]
enum Ty {
    /// Always a string (a literal, `topic()`, `lower()`...).
    Str,
    /// A whole-number literal.
    Int(i64),
    /// A payload value: its type is the record's.
    Payload,
}

struct Tr<'a> {
    d: Dialect,
    cols: &'a Columns,
    inexact: Vec<(Inexact, String)>,
    member_names: Vec<String>,
    reads_payload: bool,
}

/// Translates `t` for dialect `d`; `Err` names the first part SQL cannot compute.
pub fn translate(t: &Template, d: Dialect, cols: &Columns) -> Result<KeySql, Refusal> {
    let mut tr = Tr {
        d,
        cols,
        inexact: Vec::new(),
        member_names: Vec::new(),
        reads_payload: false,
    };
    let mut pieces = Vec::new();
    let single = t.parts.len() == 1;
    for part in &t.parts {
        match part {
            Part::Lit { text, .. } => pieces.push(d.string_literal(text)),
            Part::Expr { expr, .. } => {
                let (sql, _) = tr.expr(expr)?;
                // Each Undefined `${...}` part becomes the empty string (eval.rs); alone it is
                // the key, and an empty key is Undefined either way.
                pieces.push(if single {
                    sql
                } else {
                    format!("COALESCE({sql}, '')")
                });
            }
        }
    }
    let key = match pieces.len() {
        0 => "''".to_string(),
        1 => pieces.pop().unwrap_or_default(),
        _ => format!("({})", pieces.join(" || ")),
    };
    let mut names = std::mem::take(&mut tr.member_names);
    names.sort();
    names.dedup();
    for n in names {
        let needle = d.string_literal(&format!("\"{}\"", json_escape(&n)));
        let p = d.payload_text(&cols.payload);
        tr.inexact.push((
            Inexact::DuplicateMembers,
            format!(
                "(length({p}) - length(replace({p}, {needle}, ''))) > {}",
                n.chars().count() + 2
            ),
        ));
    }
    Ok(KeySql {
        key,
        inexact: tr.inexact,
        reads_payload: tr.reads_payload,
    })
}

/// The JSON escapes serde_json writes in a member name (for the duplicate-member test).
fn json_escape(s: &str) -> String {
    serde_json::to_string(s)
        .map(|q| q[1..q.len() - 1].to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// One step of a payload path.
enum Step {
    Key(String),
    Index(usize),
}

impl Tr<'_> {
    fn expr(&mut self, e: &Expr) -> Result<(String, Ty), Refusal> {
        let refuse = |range: &Range<usize>, reason: String| Refusal {
            range: range.clone(),
            reason,
        };
        if let Some((steps, range)) = path(e)? {
            return Ok((self.payload_value(&steps, &range), Ty::Payload));
        }
        match e {
            Expr::Str { value, .. } => Ok((self.d.string_literal(value), Ty::Str)),
            Expr::Num { value, range } => {
                if value.fract() == 0.0 && value.abs() < 9.0e15 {
                    let i = *value as i64;
                    Ok((self.d.string_literal(&i.to_string()), Ty::Int(i)))
                } else {
                    Err(refuse(
                        range,
                        "a decimal literal: engines and IoT print decimals differently; write it as a string".into(),
                    ))
                }
            }
            Expr::Bool { value, .. } => Ok((
                self.d.string_literal(if *value { "true" } else { "false" }),
                Ty::Str,
            )),
            Expr::Add { lhs, rhs, range } => {
                let (l, lt) = self.expr(lhs)?;
                let (r, rt) = self.expr(rhs)?;
                match (lt, rt) {
                    (Ty::Int(a), Ty::Int(b)) => match a.checked_add(b) {
                        Some(s) => Ok((self.d.string_literal(&s.to_string()), Ty::Int(s))),
                        None => Err(refuse(range, "`+` overflows a 64-bit integer".into())),
                    },
                    // A String side converts the other to a string: concatenation, and an
                    // Undefined side makes the sum Undefined (NULL propagates through `||`).
                    (Ty::Str, _) | (_, Ty::Str) => Ok((format!("({l} || {r})"), Ty::Str)),
                    _ => Err(refuse(
                        range,
                        "`+` of payload values adds numbers or joins strings depending on each record's types, which one SQL expression does not decide as IoT does; use `concat()` (or add a string literal) to join text".into(),
                    )),
                }
            }
            Expr::Call { name, args, range } => self.call(name, args, range),
            Expr::Var {
                name, value, range, ..
            } => match value {
                Some(v) => self.expr(v),
                None => Err(refuse(
                    range,
                    format!("`@{name}` is not defined by the rule's `SET` clause"),
                )),
            },
            Expr::Op { op, range, .. } => Err(refuse(
                range,
                format!(
                    "the operator `{}` is not translated to SQL (only `+` joining text is)",
                    op.symbol()
                ),
            )),
            Expr::Field { .. } => unreachable!("paths are handled above"),
        }
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Expr],
        range: &Range<usize>,
    ) -> Result<(String, Ty), Refusal> {
        let refuse = |reason: String| Refusal {
            range: range.clone(),
            reason,
        };
        match name {
            "topic" => {
                let Some(col) = &self.cols.topic else {
                    return Err(refuse(
                        "`topic()` needs the column that holds each record's MQTT topic: give `--topic-column COL`".into(),
                    ));
                };
                let col = self.d.ident(col);
                match args {
                    [] => Ok((col, Ty::Str)),
                    [Expr::Num { value, .. }] if value.fract() == 0.0 && *value >= 1.0 => {
                        let n = *value as i64;
                        // Undefined past the last level, like IoT (`split` gives no element).
                        Ok((self.d.topic_level(&col, n), Ty::Str))
                    }
                    _ => Err(refuse(
                        "`topic(n)` is translated only with a whole-number literal `n` from 1"
                            .into(),
                    )),
                }
            }
            "clientid" if args.is_empty() => match &self.cols.clientid {
                // IoT gives `n/a` for a message that did not come over MQTT.
                Some(col) => Ok((format!("COALESCE({}, 'n/a')", self.d.ident(col)), Ty::Str)),
                None => Err(refuse(
                    "`clientid()` needs the column that holds each record's MQTT client id: give `--clientid-column COL`".into(),
                )),
            },
            "lower" | "upper" if args.len() == 1 => {
                let (a, _) = self.expr(&args[0])?;
                self.inexact
                    .push((Inexact::CaseMapping, self.d.non_ascii(&a)));
                Ok((format!("{name}({a})"), Ty::Str))
            }
            "concat" if !args.is_empty() => {
                let mut parts = Vec::new();
                for a in args {
                    parts.push(self.expr(a)?.0);
                }
                // concat of arrays builds an array; a payload value that is an array is counted
                // as a structured value, whose text differs anyway.
                Ok((format!("({})", parts.join(" || ")), Ty::Str))
            }
            _ => Err(refuse(format!(
                "`{name}()` is not translated to SQL: shardlint translates field paths, `get` with literal steps, string and whole-number literals, `+` with a string, `concat`, `lower`, `upper`, `topic(n)` and `clientid()`"
            ))),
        }
    }

    /// The text of a payload value; NULL for missing, JSON null, invalid JSON.
    fn payload_value(&mut self, steps: &[Step], _range: &Range<usize>) -> String {
        self.reads_payload = true;
        for s in steps {
            if let Step::Key(k) = s {
                self.member_names.push(k.clone());
            }
        }
        let jp = self.d.json_path(steps);
        let v = self.d.json_text(&self.cols.payload, &jp);
        // Numbers other than plain integers, `-0`, and structured values may print differently.
        self.inexact
            .push((Inexact::Number, self.d.inexact_number(&v)));
        self.inexact.push((
            Inexact::Structured,
            format!("substr({v}, 1, 1) IN ('{{', '[')"),
        ));
        v
    }
}

/// A payload path and the template bytes it is written at.
type PathAt = (Vec<Step>, Range<usize>);

/// A field path or `get` chain with literal steps: the steps, or `None` for another expression.
fn path(e: &Expr) -> Result<Option<PathAt>, Refusal> {
    match e {
        Expr::Field { path, range } => Ok(Some((
            path.iter().map(|k| Step::Key(k.clone())).collect(),
            range.clone(),
        ))),
        Expr::Call { name, args, range } if name == "get" && args.len() == 2 => {
            let Some((mut steps, _)) = path(&args[0])? else {
                return Err(Refusal {
                    range: range.clone(),
                    reason: "`get()` is translated only on a payload field or another `get()`"
                        .into(),
                });
            };
            match &args[1] {
                Expr::Str { value, .. } => steps.push(Step::Key(value.clone())),
                Expr::Num { value, .. } if value.fract() == 0.0 && *value >= 0.0 => {
                    steps.push(Step::Index(*value as usize))
                }
                other => {
                    return Err(Refusal {
                        range: crate::template::expr_range(other),
                        reason: "`get()` is translated only with a string or non-negative whole-number literal step".into(),
                    });
                }
            }
            Ok(Some((steps, range.clone())))
        }
        _ => Ok(None),
    }
}

impl Dialect {
    /// `'text'` with quotes doubled (and, for Spark, backslashes escaped).
    pub fn string_literal(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self == Dialect::Spark => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// A quoted column or table name (`a.b` is kept as a qualified name).
    pub fn ident(self, name: &str) -> String {
        name.split('.')
            .map(|p| match self {
                Dialect::Spark => format!("`{}`", p.replace('`', "``")),
                _ => format!("\"{}\"", p.replace('"', "\"\"")),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The payload column as text.
    pub fn payload_text(self, col: &str) -> String {
        self.ident(col)
    }

    /// A JSONPath in the syntax the engine's JSON functions read.
    fn json_path(self, steps: &[Step]) -> String {
        let mut p = String::from("$");
        for s in steps {
            match s {
                Step::Index(i) => p.push_str(&format!("[{i}]")),
                Step::Key(k)
                    if !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !k.starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    p.push('.');
                    p.push_str(k);
                }
                Step::Key(k) => match self {
                    Dialect::Duckdb => p.push_str(&format!(".\"{}\"", k.replace('"', "\\\""))),
                    Dialect::Trino => p.push_str(&format!("[\"{}\"]", k.replace('"', "\\\""))),
                    Dialect::Spark => p.push_str(&format!("['{}']", k.replace('\'', "\\'"))),
                },
            }
        }
        p
    }

    /// The text of the JSON value at `path` (string contents unquoted; objects and arrays as
    /// JSON text); NULL when missing, JSON null or the payload is not JSON.
    fn json_text(self, col: &str, path: &str) -> String {
        let c = self.ident(col);
        let p = self.string_literal(path);
        match self {
            // DuckDB's JSON functions raise an error on invalid JSON: test it first.
            Dialect::Duckdb => {
                format!("CASE WHEN json_valid({c}) THEN json_extract_string({c}, {p}) END")
            }
            // json_extract_scalar gives NULL for objects and arrays; json_format gives their
            // text (and `null` for JSON null, which is Undefined).
            Dialect::Trino => format!(
                "COALESCE(json_extract_scalar({c}, {p}), NULLIF(json_format(json_extract({c}, {p})), 'null'))"
            ),
            Dialect::Spark => format!("get_json_object({c}, {p})"),
        }
    }

    fn inexact_number(self, v: &str) -> String {
        let num = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$";
        let int = r"^-?[0-9]{1,18}$";
        let (m_num, m_int) = (self.regex_match(v, num), self.regex_match(v, int));
        format!("(({m_num} AND NOT {m_int}) OR {v} = '-0')")
    }

    fn non_ascii(self, v: &str) -> String {
        self.regex_match(v, "[^\\x01-\\x7f]")
    }

    fn regex_match(self, v: &str, re: &str) -> String {
        match self {
            Dialect::Duckdb => format!("regexp_matches({v}, {})", self.string_literal(re)),
            Dialect::Trino => format!("regexp_like({v}, {})", self.string_literal(re)),
            Dialect::Spark => format!("({v} RLIKE {})", self.string_literal(re)),
        }
    }

    /// Level `n` (from 1) of a topic, NULL past the last level.
    fn topic_level(self, col: &str, n: i64) -> String {
        match self {
            // split_part gives '' past the end: count the levels instead.
            Dialect::Duckdb | Dialect::Trino => format!(
                "CASE WHEN length({col}) - length(replace({col}, '/', '')) >= {} THEN split_part({col}, '/', {n}) END",
                n - 1
            ),
            Dialect::Spark => format!(
                "CASE WHEN size(split({col}, '/')) >= {n} THEN split({col}, '/')[{}] END",
                n - 1
            ),
        }
    }
}
