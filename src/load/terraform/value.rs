//! Values of Terraform expressions as shardlint computes them ([`V`]) and the work budget of one
//! module instance ([`Budget`]): shared by the evaluator ([`super::eval`]) and the built-in
//! functions ([`super::functions`]), below both.

use std::cell::{Cell, RefCell};

use crate::source::Span;

/// An object field: name, value, and where the value is written (for locating findings at it).
pub(super) type Field = (String, V, Option<Span>);

/// A value as Terraform would compute it at plan time, as far as shardlint can tell.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum V {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    List(Vec<V>),
    Obj(Vec<Field>),
    /// Known only at apply time, or depends on something shardlint cannot see.
    Unknown(String),
    /// Terraform would fail to evaluate this (a missing attribute); `try` skips it.
    Error(String),
}

impl V {
    pub fn as_text(&self) -> Option<String> {
        match self {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(fmt_num(*n)),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, V::Unknown(_) | V::Error(_))
    }
    /// Itself when unknown or an error, else an error saying `msg`.
    pub fn unknown_or(&self, msg: &str) -> V {
        match self {
            V::Unknown(_) | V::Error(_) => self.clone(),
            _ => V::Error(msg.into()),
        }
    }
    pub fn attr(&self, name: &str) -> V {
        self.attr_site(name).0
    }
    pub fn attr_site(&self, name: &str) -> (V, Option<Span>) {
        match self {
            V::Obj(fields) => fields
                .iter()
                .find(|(k, _, _)| k == name)
                .map(|(_, v, s)| (v.clone(), *s))
                .unwrap_or_else(|| (V::Error(format!("object has no attribute `{name}`")), None)),
            V::Unknown(_) | V::Error(_) => (self.clone(), None),
            V::Null => (V::Error(format!("cannot read `{name}` of null")), None),
            _ => (
                V::Error(format!("cannot read attribute `{name}` of a non-object")),
                None,
            ),
        }
    }
    /// Elements to iterate with `for_each`/`for`: (key, value, where the value is written).
    pub fn iter_items(&self) -> Option<Vec<(V, V, Option<Span>)>> {
        match self {
            V::List(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (V::Num(i as f64), v.clone(), None))
                    .collect(),
            ),
            V::Obj(fields) => Some(
                fields
                    .iter()
                    .map(|(k, v, s)| (V::Str(k.clone()), v.clone(), *s))
                    .collect(),
            ),
            _ => None,
        }
    }
}

pub(super) fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Longest string an expression may produce (names, keys and SQL are far shorter).
pub(super) const MAX_STRING: usize = 1 << 20;
/// Bytes of strings one module instance may produce in all.
const MAX_BYTES: usize = 64 << 20;
/// Expression evaluations per module instance.
const MAX_STEPS: u64 = 2_000_000;
/// Work done by one module instance; over budget, values become unknown.
#[derive(Default)]
pub(super) struct Budget {
    steps: Cell<u64>,
    bytes: Cell<usize>,
    exceeded: RefCell<Option<String>>,
}

impl Budget {
    /// Accounts for a string of `n` bytes about to be produced.
    pub fn check_size(&self, n: usize) -> Result<(), V> {
        if n > MAX_STRING {
            return Err(self.trip(format!(
                "the value would be a string of over {} bytes (limit {})",
                crate::numbers::thousands(n as u64),
                crate::numbers::thousands(MAX_STRING as u64)
            )));
        }
        let total = self.bytes.get().saturating_add(n);
        self.bytes.set(total);
        if total > MAX_BYTES {
            return Err(self.trip(format!(
                "the module produces over {} bytes of strings (limit {})",
                crate::numbers::thousands(total as u64),
                crate::numbers::thousands(MAX_BYTES as u64)
            )));
        }
        Ok(())
    }
    pub(super) fn step(&self) -> Result<(), V> {
        let s = self.steps.get() + 1;
        self.steps.set(s);
        if s > MAX_STEPS {
            return Err(self.trip(format!(
                "evaluating the module takes over {} steps",
                crate::numbers::thousands(MAX_STEPS)
            )));
        }
        Ok(())
    }
    pub(super) fn trip(&self, why: String) -> V {
        let mut e = self.exceeded.borrow_mut();
        let why = e.get_or_insert(why).clone();
        V::Unknown(format!("over shardlint's evaluation budget: {why}"))
    }
    pub(super) fn tripped(&self) -> Option<String> {
        self.exceeded.borrow().clone()
    }
}
