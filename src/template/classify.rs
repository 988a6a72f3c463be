//! Static classification of a template: does every record get the same key (constant), one
//! that follows the record (per-record), a random one, a clock value, or can we not tell? Reads
//! only the template and the rule's topic filter; constant keys are folded by the evaluator.
//!
//! Precedence when parts mix: Random > Unknown (a part that could be anything, e.g.
//! `aws_lambda()`) > PerRecord > Unknown (a `topic(n)` whose filter is not known: it is at worst
//! per-record) > TimeBased > Constant. A random part spreads keys whatever else is in the
//! template; a part that might be random means we cannot promise per-key ordering.
//!
//! `topic(n)` past the filter's last level on a filter without `#` is Undefined for every
//! record; we report Unknown with that reason rather than Constant `""`, because the outcome
//! (an empty key that Kinesis rejects) is a failure, not a key.

use super::functions::{self, Effect};
use super::parser::render;
use super::{ClassifyCtx, EvalInput, Evaluated, Expr, KeyClass, Part, Template};

#[derive(Default)]
struct Acc {
    random: Vec<String>,
    /// An external call or other part whose variation we cannot know.
    opaque: Option<String>,
    per_record: Vec<String>,
    /// A `topic()` part that needs the unknown filter.
    topic_unknown: Option<String>,
    /// A `topic(n)` that is Undefined on every record.
    always_undefined: Option<String>,
    time: bool,
    /// `accountid()`, `sql_version()` or a function shardlint does not evaluate: constant for
    /// constant arguments, but its value is not known statically.
    rule_constant: bool,
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

pub fn classify(t: &Template, ctx: &ClassifyCtx) -> KeyClass {
    let mut acc = Acc::default();
    for part in &t.parts {
        if let Part::Expr { expr, .. } = part {
            walk(expr, ctx, &mut acc);
        }
    }
    if !acc.random.is_empty() {
        return KeyClass::Random {
            sources: acc.random,
        };
    }
    if let Some(reason) = acc.opaque {
        return KeyClass::Unknown { reason };
    }
    if !acc.per_record.is_empty() {
        return KeyClass::PerRecord {
            sources: acc.per_record,
        };
    }
    if let Some(reason) = acc.topic_unknown {
        return KeyClass::Unknown { reason };
    }
    if acc.time {
        return KeyClass::TimeBased;
    }
    if acc.rule_constant {
        return KeyClass::Constant { value: None };
    }
    if let Some(reason) = acc.always_undefined {
        // Undefined parts become "" (eval.rs); only if nothing else is left is it a failure.
        if let Some(value) = fold(t, ctx) {
            return KeyClass::Constant { value: Some(value) };
        }
        return KeyClass::Unknown { reason };
    }
    match fold(t, ctx) {
        Some(value) => KeyClass::Constant { value: Some(value) },
        None => KeyClass::Unknown {
            reason: match evaluate_constant(t, ctx) {
                Evaluated::Undefined { reason } => {
                    format!("the key is the same for every record but always Undefined ({reason})")
                }
                Evaluated::Unknown { reason } => reason,
                Evaluated::Key(_) => "the key could not be computed".into(),
            },
        },
    }
}

/// Evaluates a template that has no per-record part. Topic parts read literal levels of the
/// filter, which are the same in every matching topic, so the filter stands in for the topic.
fn evaluate_constant(t: &Template, ctx: &ClassifyCtx) -> Evaluated {
    let payload = serde_json::Value::Object(Default::default());
    let mut no_random = || 0u128;
    let mut input = EvalInput {
        payload: &payload,
        topic: ctx.topic_filter,
        clientid: None,
        principal: None,
        timestamp_ms: None,
        random: &mut no_random,
    };
    super::eval::evaluate(t, &mut input)
}

fn fold(t: &Template, ctx: &ClassifyCtx) -> Option<String> {
    match evaluate_constant(t, ctx) {
        Evaluated::Key(k) => Some(k),
        Evaluated::Undefined { .. } | Evaluated::Unknown { .. } => None,
    }
}

fn walk(e: &Expr, ctx: &ClassifyCtx, acc: &mut Acc) {
    match e {
        Expr::Field { path, .. } => push_unique(&mut acc.per_record, path.join(".")),
        Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } => {}
        Expr::Add { lhs, rhs, .. } => {
            walk(lhs, ctx, acc);
            walk(rhs, ctx, acc);
        }
        // Operators are evaluated: they vary with what their operands vary with.
        Expr::Op { args, .. } => args.iter().for_each(|a| walk(a, ctx, acc)),
        Expr::Var { name, value, .. } => {
            match value {
                Some(v) => walk(v, ctx, acc),
                None => {
                    acc.opaque.get_or_insert_with(|| {
                    format!("`@{name}` is not defined by the rule's `SET` clause as shardlint read it")
                });
                }
            }
        }
        Expr::Call { name, args, .. } => {
            // A `get()` chain on a field is one source: `get(get(list, 0), 'vin')`.
            if name == "get" && is_field_chain(e) {
                push_unique(&mut acc.per_record, render(e));
                return;
            }
            let effect = functions::lookup(name).map_or(Effect::External, |s| s.effect);
            match effect {
                Effect::Pure if !super::eval::EVALUATED.contains(&name.as_str()) => {
                    // Constant for constant arguments, but shardlint cannot compute it.
                    acc.rule_constant = true;
                }
                Effect::Pure => {}
                Effect::PerRecord => push_unique(&mut acc.per_record, render(e)),
                Effect::Random => push_unique(&mut acc.random, render(e)),
                Effect::Time => acc.time = true,
                Effect::RuleConstant => acc.rule_constant = true,
                Effect::External => {
                    acc.opaque.get_or_insert_with(|| {
                        format!(
                            "`{name}()` calls another AWS service, so its result cannot be known statically"
                        )
                    });
                }
                Effect::Topic => {
                    topic(e, args, ctx, acc);
                    return;
                }
            }
            for a in args {
                walk(a, ctx, acc);
            }
        }
    }
}

/// `get(...)` whose innermost collection is a payload field and whose keys are literals.
fn is_field_chain(e: &Expr) -> bool {
    match e {
        Expr::Field { .. } => true,
        Expr::Call { name, args, .. } if name == "get" && args.len() == 2 => {
            matches!(args[1], Expr::Str { .. } | Expr::Num { .. }) && is_field_chain(&args[0])
        }
        _ => false,
    }
}

fn topic(e: &Expr, args: &[Expr], ctx: &ClassifyCtx, acc: &mut Acc) {
    let text = render(e);
    let Some(filter) = ctx.topic_filter else {
        acc.topic_unknown.get_or_insert_with(|| {
            format!("the rule's topic filter is unknown, so `{text}` cannot be classified")
        });
        return;
    };
    let levels: Vec<&str> = filter.split('/').collect();
    let Some(arg) = args.first() else {
        if levels.iter().any(|l| *l == "+" || *l == "#") {
            push_unique(&mut acc.per_record, text);
        }
        return;
    };
    let n = match arg {
        Expr::Num { value, .. } if *value >= 1.0 => value.floor() as usize,
        Expr::Num { .. } => {
            acc.always_undefined.get_or_insert_with(|| {
                format!("`{text}` is always Undefined: topic levels are numbered from 1")
            });
            return;
        }
        other => {
            // A computed level: whatever it varies with, plus the wildcard levels it may hit.
            walk(other, ctx, acc);
            if levels.iter().any(|l| *l == "+" || *l == "#") {
                push_unique(&mut acc.per_record, text);
            }
            return;
        }
    };
    match levels.get(n - 1) {
        Some(&"+") | Some(&"#") => push_unique(&mut acc.per_record, text),
        Some(_) => {}
        None if levels.last() == Some(&"#") => push_unique(&mut acc.per_record, text),
        None => {
            acc.always_undefined.get_or_insert_with(|| {
                format!(
                    "`{text}` is always Undefined: the topic filter `{filter}` has only {} levels",
                    levels.len()
                )
            });
        }
    }
}
