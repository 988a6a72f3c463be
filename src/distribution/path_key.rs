//! The fast path of template keys: a template made only of payload paths (`a.b`,
//! `get(x, 'key')`, `get(x, 2)`), string and whole-number literals, `+` of those, `topic(n)` and
//! `clientid()` is compiled once into a trie of paths, and each payload is walked in one serde
//! pass that builds no `serde_json::Value`: members off the paths are validated or skipped
//! exactly as the general path (`parse_pruned` + `template::evaluate`) would parse them, and
//! only the key is allocated (or borrowed from the input when it is one unescaped string).
//!
//! The fast path only ever answers with a key on the plain happy path: a defined, non-empty
//! key from strings and integers (and JSON booleans and decimals, converted as IoT does). For
//! anything else (invalid JSON, a missing field, an index out of range, `null`, an object where
//! a scalar was expected, integer overflow in `+`, an empty key) it says "ask the general
//! path", which then produces the same result it always did, reasons included.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::records::decode::CowStr;
use crate::template::{Expr, Part, Template};

/// A compiled template; see the module docs.
#[derive(Debug)]
pub struct PathKey {
    parts: Vec<Piece>,
    /// Node 0 is the payload; every path of the template is a path from it.
    nodes: Vec<Node>,
    leaves: usize,
    /// SQL V2: whole-valued payload numbers are Int (`template::SqlVersion`).
    whole_int: bool,
    /// The template reads `topic()` / `clientid()`.
    reads_topic: bool,
    reads_clientid: bool,
}

#[derive(Debug)]
enum Piece {
    Lit(String),
    Expr(Term),
}

#[derive(Debug)]
enum Term {
    /// The value at the end of a path, by leaf number.
    Leaf(usize),
    Str(String),
    Int(i64),
    /// `topic()` (`None`) or `topic(n)`.
    Topic(Option<usize>),
    ClientId,
    Add(Box<Term>, Box<Term>),
}

#[derive(Debug, Default)]
struct Node {
    /// Object members that lead on, by key.
    keys: Vec<(String, usize)>,
    /// Array elements that lead on, by index.
    index: Vec<(usize, usize)>,
    /// This node's value is a leaf of the template.
    leaf: Option<usize>,
    /// Every leaf at or under this node: reset when a duplicate key is met again, since the
    /// last of duplicate members wins (as in `serde_json::Map`).
    under: Vec<usize>,
}

#[derive(Copy, Clone)]
enum Step<'t> {
    Key(&'t str),
    Index(usize),
}

/// What a path reached in one payload.
#[derive(Clone, Debug)]
pub(super) enum Got<'de> {
    Missing,
    /// `null`, an object or an array: never a key on the fast path.
    Other,
    Str(Cow<'de, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// A value while `+` and the parts are put together.
enum Val<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// The record context the fast path may read besides the payload.
pub struct Meta<'m> {
    pub topic: Option<&'m str>,
    pub clientid: Option<&'m str>,
}

/// A whole number usable as an index or `topic()` level (what IoT's conversion to Int gives).
fn whole(value: f64) -> Option<usize> {
    (value.fract() == 0.0 && (0.0..9.0e15).contains(&value)).then_some(value as usize)
}

impl PathKey {
    /// Compiles `t`, or `None` when it uses anything the fast path does not handle.
    pub fn compile(t: &Template) -> Option<PathKey> {
        let mut pk = PathKey {
            parts: Vec::new(),
            nodes: vec![Node::default()],
            leaves: 0,
            whole_int: t.sql_version.whole_numbers_are_int(),
            reads_topic: false,
            reads_clientid: false,
        };
        for p in &t.parts {
            let piece = match p {
                Part::Lit { text, .. } => Piece::Lit(text.clone()),
                Part::Expr { expr, .. } => Piece::Expr(pk.term(expr)?),
            };
            pk.parts.push(piece);
        }
        // Leaves under each node, for the duplicate-key reset.
        for n in (0..pk.nodes.len()).rev() {
            let mut under: Vec<usize> = pk.nodes[n].leaf.into_iter().collect();
            let kids: Vec<usize> = pk.nodes[n]
                .keys
                .iter()
                .map(|k| k.1)
                .chain(pk.nodes[n].index.iter().map(|i| i.1))
                .collect();
            for k in kids {
                under.extend(pk.nodes[k].under.iter().copied());
            }
            pk.nodes[n].under = under;
        }
        Some(pk)
    }

    fn term(&mut self, e: &Expr) -> Option<Term> {
        Some(match e {
            Expr::Str { value, .. } => Term::Str(value.clone()),
            Expr::Num { value, .. } => Term::Int(whole(*value)? as i64),
            Expr::Add { lhs, rhs, .. } => {
                Term::Add(Box::new(self.term(lhs)?), Box::new(self.term(rhs)?))
            }
            Expr::Call { name, args, .. } if name == "topic" => match args.as_slice() {
                [] => {
                    self.reads_topic = true;
                    Term::Topic(None)
                }
                [Expr::Num { value, .. }] if whole(*value)? >= 1 => {
                    self.reads_topic = true;
                    Term::Topic(Some(whole(*value)?))
                }
                _ => return None,
            },
            Expr::Call { name, args, .. } if name == "clientid" && args.is_empty() => {
                self.reads_clientid = true;
                Term::ClientId
            }
            Expr::Op { .. } | Expr::Var { .. } => return None,
            Expr::Field { .. } | Expr::Call { .. } => {
                let mut steps = Vec::new();
                path(e, &mut steps)?;
                Term::Leaf(self.leaf(&steps))
            }
            Expr::Bool { .. } => return None,
        })
    }

    /// The leaf at the end of `steps`, adding nodes as needed.
    fn leaf(&mut self, steps: &[Step]) -> usize {
        let mut n = 0;
        for s in steps {
            let found = match s {
                Step::Key(k) => self.nodes[n].keys.iter().find(|c| c.0 == *k).map(|c| c.1),
                Step::Index(i) => self.nodes[n].index.iter().find(|c| c.0 == *i).map(|c| c.1),
            };
            n = match found {
                Some(c) => c,
                None => {
                    let c = self.nodes.len();
                    self.nodes.push(Node::default());
                    match s {
                        Step::Key(k) => self.nodes[n].keys.push((k.to_string(), c)),
                        Step::Index(i) => self.nodes[n].index.push((*i, c)),
                    }
                    c
                }
            };
        }
        *self.nodes[n].leaf.get_or_insert_with(|| {
            self.leaves += 1;
            self.leaves - 1
        })
    }

    /// The key of one payload, or `None` for "ask the general path".
    pub fn key<'de>(&self, payload: &'de [u8], meta: &Meta) -> Option<Cow<'de, str>> {
        // serde_json's `str` reader checks UTF-8 once here instead of once per string read; a
        // payload that is not UTF-8 goes to the general path, which reports it.
        let utf8 = std::str::from_utf8(payload).ok()?;
        self.with_leaves(|got| {
            let mut de = serde_json::Deserializer::from_str(utf8);
            self.payload_seed(got).deserialize(&mut de).ok()?;
            de.end().ok()?;
            self.assemble(got, meta)
        })
    }

    /// Runs `f` with one empty slot per leaf: on the stack for the usual few leaves, so a
    /// record allocates nothing.
    pub(super) fn with_leaves<'de, T>(&self, f: impl FnOnce(&mut [Got<'de>]) -> T) -> T {
        const ON_STACK: usize = 4;
        if self.leaves <= ON_STACK {
            let mut buf: [Got<'de>; ON_STACK] = std::array::from_fn(|_| Got::Missing);
            f(&mut buf[..self.leaves])
        } else {
            f(&mut vec![Got::Missing; self.leaves])
        }
    }

    /// The seed that walks a payload (the value of a JSON document or of an envelope member)
    /// and fills `got`; it fails when the general path must answer.
    pub(super) fn payload_seed<'p, 'de>(&'p self, got: &'p mut [Got<'de>]) -> Root<'p, 'p, 'de> {
        Root { pk: self, got }
    }

    /// Whether the template reads `topic()` (or `topic(n)`), and `clientid()`.
    pub(super) fn reads_meta(&self) -> (bool, bool) {
        (self.reads_topic, self.reads_clientid)
    }

    /// The template node of a top-level payload member, when the template reads it.
    pub(super) fn root_child(&self, key: &str) -> Option<usize> {
        self.nodes[0].keys.iter().find(|c| c.0 == key).map(|c| c.1)
    }

    /// The seed that walks the value of a top-level member the template reads (`root_child`).
    pub(super) fn member_seed<'p, 'de>(
        &'p self,
        node: usize,
        got: &'p mut [Got<'de>],
    ) -> Walk<'p, 'p, 'de> {
        Walk {
            pk: self,
            node,
            got,
        }
    }

    /// The child of template node `node` (0 is the payload) reached by member `key`.
    #[inline]
    pub(super) fn key_child(&self, node: usize, key: &str) -> Option<usize> {
        let n = &self.nodes[node];
        // Member names are short: compared inline, not through a `memcmp` call per member.
        let same =
            |a: &str| a.len() == key.len() && a.bytes().zip(key.bytes()).all(|(x, y)| x == y);
        n.keys.iter().find(|c| same(&c.0)).map(|c| c.1)
    }

    /// The child of template node `node` reached by element `index`.
    #[inline]
    pub(super) fn index_child(&self, node: usize, index: usize) -> Option<usize> {
        let n = &self.nodes[node];
        n.index.iter().find(|c| c.0 == index).map(|c| c.1)
    }

    /// Whether template node `node` reads any member of an object.
    pub(super) fn has_keys(&self, node: usize) -> bool {
        !self.nodes[node].keys.is_empty()
    }

    /// The leaf template node `node` is, if any.
    #[inline]
    pub(super) fn leaf_of(&self, node: usize) -> Option<usize> {
        self.nodes[node].leaf
    }

    /// Every leaf at or under template node `node`: what a later duplicate member resets.
    pub(super) fn leaves_under(&self, node: usize) -> &[usize] {
        &self.nodes[node].under
    }

    /// The key from the leaves a walk filled, or `None` for "ask the general path".
    // Inlined for its common case: returned from a call, the key was written to memory and read
    // back wider than written (a store-forwarding stall per record).
    #[inline]
    pub(super) fn assemble<'de>(&self, got: &mut [Got<'de>], meta: &Meta) -> Option<Cow<'de, str>> {
        // The common case `${path}` to an unescaped string: borrowed from the input.
        if let [Piece::Expr(Term::Leaf(i))] = self.parts.as_slice()
            && let Got::Str(s) = &mut got[*i]
            && !s.is_empty()
        {
            return Some(std::mem::take(s));
        }
        self.assemble_other(got, meta)
    }

    #[inline(never)]
    fn assemble_other<'de>(&self, got: &mut [Got<'de>], meta: &Meta) -> Option<Cow<'de, str>> {
        if let [Piece::Expr(Term::Leaf(i))] = self.parts.as_slice() {
            return match std::mem::replace(&mut got[*i], Got::Missing) {
                Got::Str(s) if !s.is_empty() => Some(s),
                Got::Str(_) => None,
                other => text(leaf_val(other, self.whole_int)?).map(|s| Cow::Owned(s.into_owned())),
            };
        }
        let mut key = String::new();
        for p in &self.parts {
            match p {
                Piece::Lit(s) => key.push_str(s),
                Piece::Expr(t) => key.push_str(&text(self.eval(t, got, meta)?)?),
            }
        }
        (!key.is_empty()).then_some(Cow::Owned(key))
    }

    fn eval<'a>(&'a self, t: &'a Term, got: &'a [Got<'a>], meta: &Meta<'a>) -> Option<Val<'a>> {
        Some(match t {
            Term::Leaf(i) => leaf_val(got[*i].clone(), self.whole_int)?,
            Term::Str(s) => Val::Str(Cow::Borrowed(s)),
            Term::Int(i) => Val::Int(*i),
            Term::Topic(None) => Val::Str(Cow::Borrowed(meta.topic?)),
            Term::Topic(Some(n)) => Val::Str(Cow::Borrowed(meta.topic?.split('/').nth(n - 1)?)),
            Term::ClientId => Val::Str(Cow::Borrowed(meta.clientid.unwrap_or("n/a"))),
            Term::Add(l, r) => match (self.eval(l, got, meta)?, self.eval(r, got, meta)?) {
                (Val::Str(a), b) => Val::Str(Cow::Owned(a.into_owned() + &text(b)?)),
                (a, Val::Str(b)) => Val::Str(Cow::Owned(text(a)?.into_owned() + &b)),
                (Val::Int(a), Val::Int(b)) => Val::Int(a.checked_add(b)?),
                // Decimal sums and Boolean operands: the general path.
                _ => return None,
            },
        })
    }
}

/// The path of a `Field` or a `get` chain, or `None` if it is anything else.
fn path<'t>(e: &'t Expr, out: &mut Vec<Step<'t>>) -> Option<()> {
    match e {
        Expr::Field { path, .. } => {
            if path.first().is_none_or(|f| f == "*") {
                return None;
            }
            out.extend(path.iter().map(|k| Step::Key(k)));
        }
        Expr::Call { name, args, .. } if name == "get" => match args.as_slice() {
            [coll, Expr::Str { value, .. }] => {
                path(coll, out)?;
                out.push(Step::Key(value));
            }
            [coll, Expr::Num { value, .. }] => {
                path(coll, out)?;
                out.push(Step::Index(whole(*value)?));
            }
            _ => return None,
        },
        _ => return None,
    }
    Some(())
}

/// A payload value as `template::evaluate` types it; `None` (the general path answers) for a
/// whole number too large for an f64 to hold exactly.
fn leaf_val(g: Got, whole_int: bool) -> Option<Val> {
    Some(match g {
        Got::Missing | Got::Other => return None,
        Got::Str(s) => Val::Str(s),
        Got::Int(i) => Val::Int(i),
        Got::Float(f) if f.fract() == 0.0 && f.abs() >= 9_007_199_254_740_992.0 => return None,
        Got::Float(f) if whole_int && f.fract() == 0.0 => Val::Int(f as i64),
        Got::Float(f) => Val::Float(f),
        Got::Bool(b) => Val::Bool(b),
    })
}

/// IoT's conversion to String, as `template::evaluate` does it.
fn text(v: Val) -> Option<Cow<str>> {
    Some(match v {
        Val::Str(s) => s,
        Val::Int(i) => Cow::Owned(i.to_string()),
        Val::Float(f) => Cow::Owned(serde_json::Number::from_f64(f)?.to_string()),
        Val::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
    })
}

/// Stops the walk early: the general path will answer.
fn give_up<E: de::Error>() -> E {
    E::custom("not on the fast path")
}

/// The payload: only an object has fields; members the template does not read are skipped
/// with `IgnoredAny`, as `parse_pruned` skips them.
pub(super) struct Root<'p, 'g, 'de> {
    pk: &'p PathKey,
    got: &'g mut [Got<'de>],
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let root = &self.pk.nodes[0];
        while let Some(k) = map.next_key_seed(CowStr)? {
            match root.keys.iter().find(|c| c.0 == *k) {
                Some(&(_, child)) => map.next_value_seed(Walk {
                    pk: self.pk,
                    node: child,
                    got: &mut *self.got,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    // Not an object: every field is Undefined, which the general path words.
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(give_up())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(give_up())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(give_up())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(give_up())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(give_up())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(give_up())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(give_up())
    }
}

/// A value on a template path (inside a top-level member the template reads): parsed exactly
/// as `serde_json::Value` would parse it, keeping only what the leaves need.
pub(super) struct Walk<'p, 'g, 'de> {
    pk: &'p PathKey,
    node: usize,
    got: &'g mut [Got<'de>],
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // A later duplicate member replaces everything an earlier one gave.
        for &l in &self.pk.nodes[self.node].under {
            self.got[l] = Got::Missing;
        }
        d.deserialize_any(self)
    }
}

macro_rules! leaf {
    ($self:ident, $g:expr) => {{
        if let Some(l) = $self.pk.nodes[$self.node].leaf {
            $self.got[l] = $g;
        }
        Ok(())
    }};
}

impl<'de> Visitor<'de> for Walk<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let node = &self.pk.nodes[self.node];
        if let Some(l) = node.leaf {
            self.got[l] = Got::Other;
        }
        while let Some(k) = map.next_key_seed(CowStr)? {
            match node.keys.iter().find(|c| c.0 == *k) {
                Some(&(_, child)) => map.next_value_seed(Walk {
                    pk: self.pk,
                    node: child,
                    got: &mut *self.got,
                })?,
                None => map.next_value_seed(Validate)?,
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let node = &self.pk.nodes[self.node];
        if let Some(l) = node.leaf {
            self.got[l] = Got::Other;
        }
        let mut i = 0usize;
        loop {
            let more = match node.index.iter().find(|c| c.0 == i) {
                Some(&(_, child)) => seq
                    .next_element_seed(Walk {
                        pk: self.pk,
                        node: child,
                        got: &mut *self.got,
                    })?
                    .is_some(),
                None => seq.next_element_seed(Validate)?.is_some(),
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        leaf!(self, Got::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        leaf!(self, Got::Str(Cow::Owned(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        leaf!(self, Got::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        leaf!(self, Got::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        // As `serde_json::Number::as_i64`, then `as_f64`.
        leaf!(
            self,
            match i64::try_from(v) {
                Ok(i) => Got::Int(i),
                Err(_) => Got::Float(v as f64),
            }
        )
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        leaf!(self, Got::Float(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        leaf!(self, Got::Other)
    }
}

/// Any JSON value, checked as strictly as parsing it into a `serde_json::Value` (strings are
/// decoded, numbers converted), keeping nothing.
struct Validate;

impl<'de> DeserializeSeed<'de> for Validate {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Validate {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Validate)?.is_some() {
            map.next_value_seed(Validate)?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Validate)?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}
