//! One-pass MQTT envelope keys, the fast path of `keys::extract` for envelope lines
//! (`{"topic","clientid","principal","timestamp","payload":{...}}`) under a template that
//! `path_key` compiles: one pass of the strict `json_scan` cursor reads the envelope's fields,
//! walks the payload along the template's paths (checking and skipping everything else) and
//! borrows strings from the line, so the usual record allocates nothing and the payload is not
//! scanned twice. Lines mostly repeat a few shapes (the same members in the same order, other
//! values): the cursor records each line it reads as a shape ([`LineShapes`]), and a later line
//! of that shape is read by comparing the bytes around its values and lexing only the values.
//! EventBridge events (the event is the payload; its `time` is the record's time) likewise, in
//! one serde_json pass.
//!
//! Like `path_key`, it answers only on the happy path. For anything else (invalid JSON, a
//! duplicate or mistyped envelope field, a timestamp that is not an integer or plain text, a key
//! the path walk cannot form) it says "ask the full path" (`records::decode`, then
//! `keys::from_record`), which gives the result and reason it always gave.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::path_key::{Got, PathKey};
use crate::json_scan::{Cursor, Num, Peek, Scalar, Str, number_at, string_at};
use crate::records::decode::CowStr;
use crate::records::timestamp;

/// Which envelope fields the caller reads as text. A line read by its shape gives the others as
/// `None` when they need no decoding to be checked (their text would cost a UTF-8 check or an
/// unescape per line for nothing); the cursor's pass always gives them.
#[derive(Clone, Copy)]
pub(super) struct Want {
    pub topic: bool,
    pub clientid: bool,
}

#[cfg(test)]
impl Want {
    pub const ALL: Want = Want {
        topic: true,
        clientid: true,
    };
}

/// What one pass over an envelope line read, besides the payload leaves.
pub(super) struct Fields<'de> {
    pub topic: Option<Cow<'de, str>>,
    pub clientid: Option<Cow<'de, str>>,
    pub ts_ms: Option<i64>,
    /// Size of the payload as written in the line (the record's data size).
    pub data_bytes: u64,
}

impl Fields<'_> {
    /// No field read yet, and a payload of `data_bytes`.
    fn with_size(data_bytes: u64) -> Self {
        Fields {
            topic: None,
            clientid: None,
            ts_ms: None,
            data_bytes,
        }
    }
}

/// Reads one envelope line in one pass and hands its fields and the payload leaves `pk` walked
/// to `then` (which forms the key: `keys::extract`); `None` for "ask the full path".
///
/// A line of the shape of an earlier line (`shapes`) is read by that shape; any other is read
/// with the strict cursor of `json_scan`, not serde (it answers only lines serde_json accepts
/// too, with the values the derived `Envelope` and `PathKey`'s walk read), and its shape is
/// kept.
pub(super) fn scan<'de, T>(
    pk: &PathKey,
    raw: &'de [u8],
    shapes: &mut LineShapes,
    want: Want,
    then: impl FnOnce(Fields<'de>, &mut [Got<'de>]) -> Option<T>,
) -> Option<T> {
    pk.with_leaves(|got| {
        if shapes.pause > 0 {
            shapes.pause -= 1;
            shapes.rec.clear();
            let fields = full(pk, raw, got, &mut shapes.rec)?;
            return then(fields, got);
        }
        shapes.seen += 1;
        for i in 0..shapes.shapes.len() {
            if let Some(fields) = shapes.shapes[i].read(raw, got, want) {
                shapes.hits += 1;
                shapes.shapes[..=i].rotate_right(1);
                shapes.tally();
                return then(fields, got);
            }
            got.fill(Got::Missing);
        }
        shapes.tally();
        shapes.rec.clear();
        let fields = full(pk, raw, got, &mut shapes.rec)?;
        shapes.learn(raw, got);
        then(fields, got)
    })
}

/// The cursor's pass over a whole line, recording its strings and numbers in `rec`.
fn full<'de>(
    pk: &PathKey,
    raw: &'de [u8],
    got: &mut [Got<'de>],
    rec: &mut Record,
) -> Option<Fields<'de>> {
    // One UTF-8 check for the line; the cursor then checks no string again.
    let line = std::str::from_utf8(raw).ok()?;
    let mut c = Cursor::new(line);
    let mut fields = Fields {
        topic: None,
        clientid: None,
        ts_ms: None,
        data_bytes: 0,
    };
    let mut seen = 0u8;
    c.open(b'{')?;
    let mut first = true;
    while c.next(b'}', first)? {
        first = false;
        let k = c.key()?;
        let k = c.text(k)?;
        // Members as the derived `Envelope` matches them: unknown ones skipped, a repeated
        // one an error there (`duplicate field`).
        let bit = match &*k {
            "topic" => 1,
            "clientid" => 2,
            "principal" => 4,
            "timestamp" => 8,
            "payload" => 16,
            _ => 0,
        };
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        match bit {
            1 => fields.topic = opt_str(&mut c, rec, Role::Topic)?,
            2 => fields.clientid = opt_str(&mut c, rec, Role::ClientId)?,
            // Only the general evaluation reads the principal; checked as the full path
            // types it.
            4 => drop(opt_str(&mut c, rec, Role::None)?),
            8 => fields.ts_ms = timestamp(&mut c, rec)?,
            16 => {
                // The payload's size as written (the record's data size), as its raw value.
                c.peek_byte()?;
                let start = c.i;
                rec.in_payload = true;
                walk_payload(&mut c, pk, got, rec)?;
                rec.in_payload = false;
                rec.payload = c.i - start;
                fields.data_bytes = rec.payload as u64;
            }
            _ => c.skip_with(&mut |s| rec.push(s, Role::None))?,
        }
    }
    // No payload: the full path words it; trailing bytes: serde_json rejects them.
    (seen & 16 != 0 && c.at_end()).then_some(())?;
    Some(fields)
}

/// Who reads a string or number of an envelope line.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    /// Checked only.
    None,
    Topic,
    ClientId,
    Timestamp,
    /// The value of template leaf `l`.
    Leaf(usize),
}

/// A string or number of a line read whole: its token `start..end` (quotes included).
#[derive(Clone, Copy, Debug)]
struct Slot {
    start: usize,
    end: usize,
    string: bool,
    role: Role,
    in_payload: bool,
}

/// What the cursor's pass records for a shape: the line's strings and numbers in order, and
/// the payload's size.
#[derive(Clone, Default, Debug)]
struct Record {
    slots: Vec<Slot>,
    payload: usize,
    in_payload: bool,
}

impl Record {
    fn clear(&mut self) {
        self.slots.clear();
        self.payload = 0;
        self.in_payload = false;
    }

    fn push(&mut self, s: Scalar, role: Role) {
        let (start, end, string) = match s {
            Scalar::Str(s) => (s.start - 1, s.end + 1, true),
            Scalar::Num(n) => (n.start, n.end, false),
        };
        self.slots.push(Slot {
            start,
            end,
            string,
            role,
            in_payload: self.in_payload,
        });
    }
}

/// One step of reading a line by its shape.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// Bytes equal to the shape line's `start..end`: whitespace, punctuation, member names,
    /// `true`, `false` and `null`.
    Lit(u32, u32),
    /// A string token, read by its role; whether it is in the payload.
    Str(Role, bool),
    /// A number token, likewise.
    Num(Role, bool),
}

/// What a leaf that is no string or number of the line holds.
#[derive(Clone, Copy, Debug)]
enum Fixed {
    Missing,
    Other,
    Bool(bool),
}

/// The shape of an envelope line the cursor read whole: its bytes around its strings and
/// numbers (member names, punctuation, whitespace, literals) and who reads each of those.
///
/// A line whose bytes outside its strings and numbers are the shape's, and whose strings and
/// numbers are each one valid token, is the same JSON document with other scalar values: valid
/// as the shape's line was, with the same members in the same places, so the cursor's pass
/// would read the same fields and leaves from the same tokens. Reading it by the shape compares
/// those bytes a word at a time and lexes only the values (on seed-shaped envelopes, a third of
/// the cursor's time), and checks UTF-8 only in strings with bytes above ASCII (the shape's own
/// bytes were checked with its line).
#[derive(Clone, Default, Debug)]
struct Shape {
    line: Vec<u8>,
    ops: Vec<Op>,
    /// Leaves whose value is not a token of the line.
    fixed: Vec<(usize, Fixed)>,
    /// The payload's size less its strings and numbers.
    payload_rest: u64,
    /// The same-layout check of a line as long as the shape's (`read_same`), a bit per byte of
    /// each 32-byte block (the last block is the line's last 32 bytes): bytes that must equal the
    /// shape line's (all but the contents of its strings and numbers), and bytes of string
    /// contents, which must be plain ASCII text (no quote, backslash or control byte). Empty:
    /// no such check (a line under 32 bytes).
    same_lit: Vec<u32>,
    same_str: Vec<u32>,
    /// The tokens `read_same` reads (numbers, and strings with a role), in line order:
    /// `start..end` (quotes included), whether a string, and the role.
    same_toks: Vec<(u32, u32, bool, Role)>,
    /// The payload's size as written: a line of the same layout has the same.
    payload_len: u64,
}

/// Shapes are taken from lines of up to this many bytes (a longer line is read by the cursor
/// and not copied).
const SHAPE_MAX_LINE: usize = 64 * 1024;
/// Shapes kept: the lines of a file often come in a few shapes (producers that differ, an
/// optional member), and a line of another shape fails a shape within its first members.
const SHAPES: usize = 4;
/// Lines per look at how many of them the shapes read.
const SHAPE_WINDOW: u32 = 64;
/// Lines read by the cursor alone after a window where the shapes read fewer than half: on
/// lines of ever new shapes, trying and taking shapes is work for nothing.
const SHAPE_PAUSE: u32 = 4096;

/// The shapes of the lines read lately (most recently used first), for the lines after them.
#[derive(Clone, Default, Debug)]
pub(super) struct LineShapes {
    shapes: Vec<Shape>,
    /// The cursor's record of the last line it read.
    rec: Record,
    /// Lines tried on the shapes in this window, and read by one.
    seen: u32,
    hits: u32,
    /// Lines left to read with the cursor alone.
    pause: u32,
}

impl LineShapes {
    fn tally(&mut self) {
        if self.seen >= SHAPE_WINDOW {
            if self.hits * 2 < self.seen {
                self.pause = SHAPE_PAUSE;
            }
            self.seen = 0;
            self.hits = 0;
        }
    }

    /// Keeps the shape of `raw`, which the cursor read whole into `self.rec` and `got`, first,
    /// in place of the least recently used one when all are taken.
    fn learn(&mut self, raw: &[u8], got: &[Got<'_>]) {
        let mut shape = if self.shapes.len() >= SHAPES {
            self.shapes.pop().unwrap_or_default()
        } else {
            Shape::default()
        };
        if shape.build(raw, got, &mut self.rec) {
            self.shapes.insert(0, shape);
        }
    }
}

impl Shape {
    /// Takes the shape of `raw`, which the cursor read whole into `rec` and `got`; false when
    /// the line gives none.
    fn build(&mut self, raw: &[u8], got: &[Got<'_>], rec: &mut Record) -> bool {
        self.ops.clear();
        self.fixed.clear();
        if raw.len() > SHAPE_MAX_LINE {
            return false;
        }
        let slots = &mut rec.slots;
        // A leaf holds the last token walked for it (a later duplicate member replaces an
        // earlier one), unless something else came later.
        for (l, g) in got.iter().enumerate() {
            let last = slots.iter().rposition(|s| s.role == Role::Leaf(l));
            let fixed = match g {
                Got::Str(_) | Got::Int(_) | Got::Float(_) if last.is_some() => None,
                Got::Str(_) | Got::Int(_) | Got::Float(_) => return false,
                Got::Missing => Some(Fixed::Missing),
                Got::Other => Some(Fixed::Other),
                Got::Bool(b) => Some(Fixed::Bool(*b)),
            };
            for (i, s) in slots.iter_mut().enumerate() {
                if s.role == Role::Leaf(l) && (fixed.is_some() || Some(i) != last) {
                    s.role = Role::None;
                }
            }
            if let Some(f) = fixed {
                self.fixed.push((l, f));
            }
        }
        let mut at = 0;
        let mut scalars = 0;
        for s in slots.iter() {
            if s.start > at {
                self.ops.push(Op::Lit(at as u32, s.start as u32));
            }
            self.ops.push(if s.string {
                Op::Str(s.role, s.in_payload)
            } else {
                Op::Num(s.role, s.in_payload)
            });
            if s.in_payload {
                scalars += s.end - s.start;
            }
            at = s.end;
        }
        if at < raw.len() {
            self.ops.push(Op::Lit(at as u32, raw.len() as u32));
        }
        self.payload_rest = (rec.payload - scalars) as u64;
        self.payload_len = rec.payload as u64;
        self.line.clear();
        self.line.extend_from_slice(raw);
        self.build_same(slots);
        true
    }

    /// The masks and tokens of `read_same`, from the line's tokens.
    fn build_same(&mut self, slots: &[Slot]) {
        self.same_lit.clear();
        self.same_str.clear();
        self.same_toks.clear();
        let n = self.line.len();
        if n < 32 {
            return;
        }
        let (mut lit, mut strs) = (vec![true; n], vec![false; n]);
        for s in slots {
            if s.string {
                lit[s.start + 1..s.end - 1].fill(false);
                strs[s.start + 1..s.end - 1].fill(true);
            } else {
                lit[s.start..s.end].fill(false);
            }
            if !s.string || s.role != Role::None {
                self.same_toks
                    .push((s.start as u32, s.end as u32, s.string, s.role));
            }
        }
        let bits = |b: &[bool], at: usize| {
            b[at..at + 32]
                .iter()
                .enumerate()
                .fold(0u32, |m, (i, &x)| m | u32::from(x) << i)
        };
        for at in (0..n / 32).map(|i| 32 * i).chain([n - 32]) {
            self.same_lit.push(bits(&lit, at));
            self.same_str.push(bits(&strs, at));
        }
    }

    /// Whether `raw` (as long as the shape's line) passes the byte checks of `read_same`; false
    /// without AVX2, where a step per token reads every line.
    #[inline]
    fn same_bytes(&self, raw: &[u8]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if !self.same_lit.is_empty() && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { same_bytes_avx2(raw, &self.line, &self.same_lit, &self.same_str) };
        }
        let _ = raw;
        false
    }

    /// Reads `raw` when it has the shape line's layout: its length, the shape's bytes outside
    /// strings and numbers at the same places, plain ASCII strings, and each number one token
    /// as long as the shape's. Then its tokens lie where the shape's do, and the op-by-op read
    /// would find each of them there: the answer is that read's, got by a few vector compares
    /// per 32 bytes and a look at the tokens that are read, instead of a step per token and
    /// member name (machine-written lines mostly keep their layout; 3 M seed-shaped envelopes:
    /// CPU -14%). `None`: not this layout, for the op-by-op read to decide.
    #[inline]
    fn read_same<'de>(
        &self,
        raw: &'de [u8],
        got: &mut [Got<'de>],
        want: Want,
    ) -> Option<Option<Fields<'de>>> {
        if raw.len() != self.line.len() || self.same_lit.is_empty() || !self.same_bytes(raw) {
            return None;
        }
        let mut fields = Fields::with_size(self.payload_len);
        // In line order, as the op-by-op read meets them: the first value it would refuse
        // decides the answer the same way here.
        for &(a, b, string, role) in &self.same_toks {
            let (a, b) = (a as usize, b as usize);
            if string {
                // The contents, without escapes (checked above).
                let text = || std::str::from_utf8(&raw[a + 1..b - 1]).ok();
                match role {
                    Role::Topic if want.topic => fields.topic = Some(Cow::Borrowed(text()?)),
                    Role::ClientId if want.clientid => {
                        fields.clientid = Some(Cow::Borrowed(text()?));
                    }
                    Role::None | Role::Topic | Role::ClientId => {}
                    Role::Timestamp => match timestamp::parse_text(text()?) {
                        Ok(t) => fields.ts_ms = Some(t),
                        Err(_) => return Some(None),
                    },
                    Role::Leaf(l) => got[l] = Got::Str(Cow::Borrowed(text()?)),
                }
            } else {
                let Some(num) = number_at(raw, a) else {
                    return Some(None);
                };
                if num.end != b {
                    return None;
                }
                match role {
                    Role::None => {}
                    Role::Timestamp => match int_timestamp(raw, num) {
                        Some(t) => fields.ts_ms = Some(t),
                        None => return Some(None),
                    },
                    Role::Leaf(l) => match number(&raw[num.start..num.end]) {
                        Some(g) => got[l] = g,
                        None => return Some(None),
                    },
                    Role::Topic | Role::ClientId => return Some(None),
                }
            }
        }
        for &(l, f) in &self.fixed {
            got[l] = match f {
                Fixed::Missing => Got::Missing,
                Fixed::Other => Got::Other,
                Fixed::Bool(b) => Got::Bool(b),
            };
        }
        Some(Some(fields))
    }

    /// Reads `raw` by the shape; `None` when it does not have it (or a value is one the
    /// cursor's pass would refuse too).
    #[inline]
    fn read<'de>(&self, raw: &'de [u8], got: &mut [Got<'de>], want: Want) -> Option<Fields<'de>> {
        if let Some(answer) = self.read_same(raw, got, want) {
            return answer;
        }
        let mut fields = Fields::with_size(self.payload_rest);
        let mut pos = 0;
        for op in &self.ops {
            match *op {
                Op::Lit(a, b) => {
                    let lit = &self.line[a as usize..b as usize];
                    let end = pos + lit.len();
                    if !same(raw.get(pos..end)?, lit) {
                        return None;
                    }
                    pos = end;
                }
                Op::Str(role, in_payload) => {
                    let (s, high) = string_at(raw, pos)?;
                    let next = s.end + 1;
                    if in_payload {
                        fields.data_bytes += (next - pos) as u64;
                    }
                    pos = next;
                    match role {
                        Role::Topic if want.topic => fields.topic = Some(text_at(raw, s)?),
                        Role::ClientId if want.clientid => {
                            fields.clientid = Some(text_at(raw, s)?);
                        }
                        // Checked only: escapes were, by the lexer; UTF-8 when not ASCII.
                        Role::None | Role::Topic | Role::ClientId => {
                            if high {
                                std::str::from_utf8(&raw[s.start..s.end]).ok()?;
                            }
                        }
                        Role::Timestamp => {
                            if s.escaped {
                                return None;
                            }
                            let text = std::str::from_utf8(&raw[s.start..s.end]).ok()?;
                            fields.ts_ms = Some(timestamp::parse_text(text).ok()?);
                        }
                        Role::Leaf(l) => got[l] = Got::Str(text_at(raw, s)?),
                    }
                }
                Op::Num(role, in_payload) => {
                    let n = number_at(raw, pos)?;
                    if in_payload {
                        fields.data_bytes += (n.end - pos) as u64;
                    }
                    pos = n.end;
                    match role {
                        Role::None => {}
                        Role::Timestamp => fields.ts_ms = Some(int_timestamp(raw, n)?),
                        Role::Leaf(l) => got[l] = number(&raw[n.start..n.end])?,
                        Role::Topic | Role::ClientId => return None,
                    }
                }
            }
        }
        (pos == raw.len()).then_some(())?;
        for &(l, f) in &self.fixed {
            got[l] = match f {
                Fixed::Missing => Got::Missing,
                Fixed::Other => Got::Other,
                Fixed::Bool(b) => Got::Bool(b),
            };
        }
        Some(fields)
    }
}

#[cfg(test)]
impl LineShapes {
    /// `raw` by the first shape that reads it, without reordering them.
    fn read<'de>(&self, raw: &'de [u8], got: &mut [Got<'de>]) -> Option<Fields<'de>> {
        self.shapes.iter().find_map(|s| s.read(raw, got, Want::ALL))
    }

    /// Whether `raw` is read by one of the shapes.
    pub(super) fn reads(&self, pk: &PathKey, raw: &[u8]) -> bool {
        pk.with_leaves(|got| self.read(raw, got).is_some())
    }
}

/// `Shape::same_bytes` 32 bytes a step: the bytes outside string and number contents equal to
/// the shape line's (`lit` bits), and string contents free of quotes, backslashes, control
/// bytes and bytes above ASCII (`strs` bits); the last step is the line's last 32 bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn same_bytes_avx2(raw: &[u8], line: &[u8], lit: &[u32], strs: &[u32]) -> bool {
    use std::arch::x86_64::*;
    let n = raw.len();
    if n < 32 || line.len() != n || lit.is_empty() {
        return false;
    }
    let (quote, backslash, space) = (
        _mm256_set1_epi8(b'"' as i8),
        _mm256_set1_epi8(b'\\' as i8),
        _mm256_set1_epi8(0x20),
    );
    let last = lit.len() - 1;
    let mut bad = 0u32;
    for (i, (&l, &s)) in lit.iter().zip(strs).enumerate() {
        let at = if i == last { n - 32 } else { 32 * i };
        // SAFETY: `at + 32 <= n` (whole blocks, the last the final 32 bytes), and both slices
        // are `n` bytes long.
        let (w, t) = unsafe {
            (
                _mm256_loadu_si256(raw.as_ptr().add(at).cast()),
                _mm256_loadu_si256(line.as_ptr().add(at).cast()),
            )
        };
        let same = _mm256_movemask_epi8(_mm256_cmpeq_epi8(w, t)) as u32;
        // Compared signed, a byte below 0x20 and one above ASCII are both below 0x20.
        let special = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(w, quote), _mm256_cmpeq_epi8(w, backslash)),
            _mm256_cmpgt_epi8(space, w),
        );
        bad |= (!same & l) | (_mm256_movemask_epi8(special) as u32 & s);
    }
    bad == 0
}

/// Equal byte strings, compared a word at a time (a `memcmp` call per short member name cost
/// more than the compare).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
    let h = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or_default());
    match n {
        0..4 => a == b,
        4..8 => h(a, 0) == h(b, 0) && h(a, n - 4) == h(b, n - 4),
        _ => {
            let mut i = 0;
            while i + 8 < n {
                if w(a, i) != w(b, i) {
                    return false;
                }
                i += 8;
            }
            w(a, n - 8) == w(b, n - 8)
        }
    }
}

/// The text of string token `s` of `raw` (UTF-8 checked here): borrowed without escapes, else
/// decoded as `Cursor::text` does.
// Always inlined, as `number_at`: its `Option<Cow>` came back through memory.
#[inline(always)]
fn text_at(raw: &[u8], s: Str) -> Option<Cow<'_, str>> {
    if !s.escaped {
        return std::str::from_utf8(&raw[s.start..s.end])
            .ok()
            .map(Cow::Borrowed);
    }
    serde_json::from_slice::<String>(&raw[s.start - 1..s.end + 1])
        .ok()
        .map(Cow::Owned)
}

/// A string or `null` member, as `OptCowStr` reads it; anything else to the full path.
// Always inlined, as `Cursor::string`: its result came back through memory.
#[inline(always)]
fn opt_str<'de>(
    c: &mut Cursor<'de>,
    rec: &mut Record,
    role: Role,
) -> Option<Option<Cow<'de, str>>> {
    match c.peek()? {
        Peek::Str => {
            let s = c.string()?;
            rec.push(Scalar::Str(s), role);
            Some(Some(c.text(s)?))
        }
        Peek::Null => c.literal(b"null").map(|()| None),
        _ => None,
    }
}

/// The envelope's `timestamp`, as the `Timestamp` seed reads it: integers, strings without
/// escapes, `null`; anything else to the full path.
fn timestamp(c: &mut Cursor<'_>, rec: &mut Record) -> Option<Option<i64>> {
    match c.peek()? {
        Peek::Num => {
            let n = c.number()?;
            rec.push(Scalar::Num(n), Role::Timestamp);
            int_timestamp(c.line.as_bytes(), n).map(Some)
        }
        Peek::Str => {
            let s = c.string()?;
            rec.push(Scalar::Str(s), Role::Timestamp);
            if s.escaped {
                return None;
            }
            timestamp::parse_text(&c.line[s.start..s.end])
                .ok()
                .map(Some)
        }
        Peek::Null => c.literal(b"null").map(|()| None),
        _ => None,
    }
}

/// An integer timestamp token, as the `Timestamp` seed reads it.
#[inline(always)]
fn int_timestamp(raw: &[u8], n: Num) -> Option<i64> {
    let text = &raw[n.start..n.end];
    // serde_json reads `-0` as a float, which the seed leaves to the full path.
    if !n.integer || text == b"-0" {
        return None;
    }
    epoch_ms(integer(text)?)
}

/// An integer's text (`-`? digits, as the cursor checked it) as `str::parse` reads it; `None`
/// past 18 digits, which `epoch_ms` refuses anyway (JSON has no leading zeros). Folded in a
/// register, eight digits at a step: digit by digit, a 13-digit millisecond time was a chain of
/// 13 multiply-adds per line.
fn integer(text: &[u8]) -> Option<i64> {
    let (neg, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        d => (false, d),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let (head, rest) = digits.split_at(digits.len() % 8);
    let mut v: i64 = 0;
    for &d in head {
        v = v * 10 + i64::from(d.wrapping_sub(b'0'));
    }
    for c in rest.chunks_exact(8) {
        v = v * 100_000_000 + eight(c) as i64;
    }
    Some(if neg { -v } else { v })
}

/// Eight ASCII digits, the first the most significant, as their value: pairs, then fours, then
/// the eight combined within one word (the digits were checked).
fn eight(c: &[u8]) -> u64 {
    let w =
        u64::from_le_bytes(c.try_into().unwrap_or_default()).wrapping_sub(0x3030_3030_3030_3030);
    let w = (w.wrapping_mul(10).wrapping_add(w >> 8)) & 0x00ff_00ff_00ff_00ff;
    let w = (w.wrapping_mul(100).wrapping_add(w >> 16)) & 0x0000_ffff_0000_ffff;
    w.wrapping_mul(10_000).wrapping_add(w >> 32) & 0xffff_ffff
}

/// The payload, as `PathKey::payload_seed` walks it: only an object has fields.
fn walk_payload<'de>(
    c: &mut Cursor<'de>,
    pk: &PathKey,
    got: &mut [Got<'de>],
    rec: &mut Record,
) -> Option<()> {
    let Peek::Object = c.peek()? else {
        return None;
    };
    members(c, pk, 0, got, rec)
}

/// The members of an object at template node `node`: those the template reads are walked,
/// the rest checked and skipped.
fn members<'de>(
    c: &mut Cursor<'de>,
    pk: &PathKey,
    node: usize,
    got: &mut [Got<'de>],
    rec: &mut Record,
) -> Option<()> {
    c.open(b'{')?;
    let mut first = true;
    while c.next(b'}', first)? {
        first = false;
        let k = c.key()?;
        let child = if k.escaped {
            pk.key_child(node, &c.text(k)?)
        } else {
            pk.key_child(node, &c.line[k.start..k.end])
        };
        match child {
            Some(child) => walk(c, pk, child, got, rec)?,
            None => c.skip_with(&mut |s| rec.push(s, Role::None))?,
        }
    }
    Some(())
}

/// A value on a template path, as `path_key::Walk` reads it: a later duplicate member replaces
/// everything an earlier one gave; objects, arrays and `null` are no key (`Other`).
fn walk<'de>(
    c: &mut Cursor<'de>,
    pk: &PathKey,
    node: usize,
    got: &mut [Got<'de>],
    rec: &mut Record,
) -> Option<()> {
    for &l in pk.leaves_under(node) {
        got[l] = Got::Missing;
    }
    let leaf = pk.leaf_of(node);
    let role = leaf.map_or(Role::None, Role::Leaf);
    let value = match c.peek()? {
        Peek::Object => {
            if pk.has_keys(node) {
                members(c, pk, node, got, rec)?;
            } else {
                c.skip_with(&mut |s| rec.push(s, Role::None))?;
            }
            Got::Other
        }
        Peek::Array => {
            c.open(b'[')?;
            let mut index = 0;
            while c.next(b']', index == 0)? {
                match pk.index_child(node, index) {
                    Some(child) => walk(c, pk, child, got, rec)?,
                    None => c.skip_with(&mut |s| rec.push(s, Role::None))?,
                }
                index += 1;
            }
            Got::Other
        }
        Peek::Str => {
            let s = c.string()?;
            rec.push(Scalar::Str(s), role);
            Got::Str(c.text(s)?)
        }
        Peek::Num => {
            let n = c.number()?;
            rec.push(Scalar::Num(n), role);
            number(&c.line.as_bytes()[n.start..n.end])?
        }
        Peek::True => c.literal(b"true").map(|()| Got::Bool(true))?,
        Peek::False => c.literal(b"false").map(|()| Got::Bool(false))?,
        Peek::Null => c.literal(b"null").map(|()| Got::Other)?,
    };
    if let Some(l) = leaf {
        got[l] = value;
    }
    Some(())
}

/// A number leaf as `Walk` types serde_json's reading of it: an `i64` when it is one, a `u64`
/// beyond that as its f64, anything else (decimals, `-0`, huge integers) serde_json's f64.
fn number<'de>(text: &[u8]) -> Option<Got<'de>> {
    let n: serde_json::Number = serde_json::from_slice(text).ok()?;
    Some(match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Got::Int(i),
        (None, Some(u)) => Got::Float(u as f64),
        (None, None) => Got::Float(n.as_f64()?),
    })
}

/// Reads one EventBridge event line in one pass: its `time` (as `records::decode` reads it)
/// and the template's leaves, the event itself being the payload; `None` for "ask the full path".
pub(super) fn scan_event<'de, T>(
    pk: &PathKey,
    raw: &'de [u8],
    then: impl FnOnce(Option<i64>, &mut [Got<'de>]) -> Option<T>,
) -> Option<T> {
    let line = std::str::from_utf8(raw).ok()?;
    pk.with_leaves(|got| {
        let mut time = None;
        let mut de = serde_json::Deserializer::from_str(line);
        EventScan {
            pk,
            got: &mut *got,
            time: &mut time,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        then(time, got)
    })
}

/// Stops the serde pass early: the full path will answer.
fn give_up<E: de::Error>() -> E {
    E::custom("not on the envelope fast path")
}

/// An event object: members the template reads are walked, `time` read as a timestamp (a
/// second `time` is an error of the derived `Event`, and a template that reads `time` itself
/// is left to the full path), the rest skipped as both the full decode and `path_key` skip it.
struct EventScan<'p, 'g, 'de> {
    pk: &'p PathKey,
    got: &'g mut [Got<'de>],
    time: &'g mut Option<i64>,
}

impl<'de> DeserializeSeed<'de> for EventScan<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventScan<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an event object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen_time = false;
        while let Some(k) = map.next_key_seed(CowStr)? {
            let child = self.pk.root_child(&k);
            if k == "time" {
                if seen_time || child.is_some() {
                    return Err(give_up());
                }
                seen_time = true;
                *self.time = map.next_value_seed(Timestamp)?;
            } else if let Some(child) = child {
                map.next_value_seed(self.pk.member_seed(child, &mut *self.got))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The envelope's `timestamp` as `timestamp::parse_json` reads its text: integers (IoT's
/// `timestamp()` gives milliseconds) and strings without escapes, which are their own text;
/// anything else (decimals, whose serde_json rounding may differ from the text's, or an invalid
/// time) goes to the full path.
struct Timestamp;

impl<'de> DeserializeSeed<'de> for Timestamp {
    type Value = Option<i64>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Timestamp {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a timestamp")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        epoch_ms(i64::try_from(v).map_err(|_| give_up())?)
            .map(Some)
            .ok_or_else(give_up)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        epoch_ms(v).map(Some).ok_or_else(give_up)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        timestamp::parse_text(v).map(Some).map_err(|_| give_up())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(give_up())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(give_up())
    }
}

/// `timestamp::parse_json` on an integer, in integers: below 1e11 (seconds) times 1000, exact in
/// f64 too, so the same milliseconds as parsing the text; out of range (`None`), the full path
/// words the error.
fn epoch_ms(v: i64) -> Option<i64> {
    const SECONDS_BELOW: i64 = 100_000_000_000;
    const MS_BELOW: i64 = 320_000_000_000_000;
    match v.unsigned_abs() {
        a if a < SECONDS_BELOW as u64 => Some(v * 1000),
        a if a < MS_BELOW as u64 => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix;

    use crate::distribution::keys::KeySource;

    fn vin_key() -> KeySource {
        KeySource::template("${get(get(list, 0), 'vin')}").unwrap()
    }

    /// The fields and leaves of `raw` by the cursor's pass and by `shape` (when it reads it).
    fn both(pk: &PathKey, shapes: &LineShapes, raw: &[u8]) -> (Option<String>, Option<String>) {
        let show = |f: Fields<'_>, got: &[Got<'_>]| {
            format!(
                "{:?} {:?} {:?} {} {:?}",
                f.topic, f.clientid, f.ts_ms, f.data_bytes, got
            )
        };
        let full =
            pk.with_leaves(|got| full(pk, raw, got, &mut Record::default()).map(|f| show(f, got)));
        let shaped = pk.with_leaves(|got| shapes.read(raw, got).map(|f| show(f, got)));
        (full, shaped)
    }

    /// The vin template's path and the shape of `seed`, learned by a scan of it.
    fn learned(seed: &[u8]) -> (PathKey, LineShapes) {
        let KeySource::Template { fast: Some(pk), .. } = vin_key() else {
            panic!("fast path expected");
        };
        let mut shapes = LineShapes::default();
        assert!(scan(&pk, seed, &mut shapes, Want::ALL, |_, _| Some(())).is_some());
        (pk, shapes)
    }

    /// `line` with its first `from` replaced by `to`.
    fn edited(line: &[u8], from: &str, to: &[u8]) -> Vec<u8> {
        let at = line
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .unwrap();
        let mut raw = line[..at].to_vec();
        raw.extend_from_slice(to);
        raw.extend_from_slice(&line[at + from.len()..]);
        raw
    }

    #[test]
    fn a_line_of_the_shape_is_read_by_it_and_others_are_not() {
        let seed = br#"{"topic":"vehicles/TEST-1/location","clientid":"TEST-1","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-1","timestamp":"2022-11-01T10:00:00+09:00","lat":35.0,"lon":139.0}]}}"#;
        let (pk, shapes) = learned(seed);
        assert_eq!(shapes.shapes.len(), 1);
        // Other values, escapes, non-ASCII text and numbers of other lengths: the fields and
        // leaf the cursor's pass reads.
        let same_shape: [&[u8]; 5] = [
            br#"{"topic":"vehicles/TEST-123456789/location","clientid":"c","timestamp":1,"payload":{"list":[{"vin":"V-9","timestamp":"x","lat":-1.5e3,"lon":0}]}}"#,
            br#"{"topic":"vehicles\/A\u00e9/location","clientid":"\u00e9\ud83d\ude97","timestamp":1667264400999,"payload":{"list":[{"vin":"\u0041\n","timestamp":"","lat":1,"lon":2}]}}"#,
            r#"{"topic":"vehicles/é🚗/location","clientid":"ü","timestamp":0,"payload":{"list":[{"vin":"車両-1","timestamp":"é","lat":35.0,"lon":139.0}]}}"#.as_bytes(),
            br#"{"topic":"vehicles/T/location","clientid":"T","timestamp":99999999999,"payload":{"list":[{"vin":"T","timestamp":"2022","lat":3,"lon":4}]}}"#,
            br#"{"topic":"","clientid":"","timestamp":-5,"payload":{"list":[{"vin":"","timestamp":"","lat":0.25,"lon":-0}]}}"#,
        ];
        for raw in same_shape {
            let (full, shaped) = both(&pk, &shapes, raw);
            let shown = String::from_utf8_lossy(raw);
            assert!(full.is_some(), "{shown}");
            assert_eq!(shaped, full, "{shown}");
        }
        // Another shape, or a value both passes refuse: not read by the shape.
        let ok = br#"{"topic":"vehicles/T/location","clientid":"T","timestamp":1,"payload":{"list":[{"vin":"T","timestamp":"x","lat":3,"lon":4}]}}"#;
        assert!(both(&pk, &shapes, ok).1.is_some());
        let edits: [(&str, &[u8]); 9] = [
            (r#""clientid":"T""#, br#""clientid":null"#),
            (r#""clientid""#, br#" "clientid""#),
            (r#""timestamp":1"#, br#""timestamp":"1""#),
            (r#""timestamp":1"#, br#""timestamp":1.5"#),
            ("}]}}", b"}]}} "),
            ("}]}}", b"}]}}x"),
            (r#""vin""#, br#""VIN""#),
            (r#""vin":"T""#, b"\"vin\":\"T\xff\""),
            (r#""timestamp":"x""#, b"\"timestamp\":\"\xc3\""),
        ];
        for (from, to) in edits {
            let raw = edited(ok, from, to);
            let shown = String::from_utf8_lossy(&raw);
            assert_eq!(both(&pk, &shapes, &raw).1, None, "{shown}");
        }
    }

    #[test]
    fn a_few_shapes_are_kept_and_ever_new_ones_pause_them() {
        let KeySource::Template { fast: Some(pk), .. } = vin_key() else {
            panic!("fast path expected");
        };
        let line = |extra: &str, n: usize| {
            format!(
                r#"{{"topic":"vehicles/V{n}/location",{extra}"clientid":"V{n}","timestamp":{n},"payload":{{"list":[{{"vin":"V{n}"}}]}}}}"#
            )
        };
        let key = |shapes: &mut LineShapes, raw: &str| {
            scan(&pk, raw.as_bytes(), shapes, Want::ALL, |f, got| {
                Some(format!("{:?} {:?}", f.ts_ms, got))
            })
        };
        // Two shapes in turn: both kept, every line after the first two read by one.
        let mut shapes = LineShapes::default();
        for n in 0..600 {
            let raw = line(if n % 2 == 0 { "" } else { r#""qos":1,"# }, n);
            let full = pk.with_leaves(|got| {
                full(&pk, raw.as_bytes(), got, &mut Record::default())
                    .map(|f| format!("{:?} {:?}", f.ts_ms, got))
            });
            if n >= 2 {
                assert!(shapes.reads(&pk, raw.as_bytes()), "{raw}");
            }
            assert_eq!(key(&mut shapes, &raw), full, "{raw}");
        }
        assert_eq!((shapes.shapes.len(), shapes.pause), (2, 0));
        // A new member name on every line: at most `SHAPES` kept, and after a window of
        // misses the shapes are paused; the lines are read all the same.
        let mut shapes = LineShapes::default();
        for n in 0..SHAPE_WINDOW as usize + 10 {
            let raw = line(&format!(r#""m{n}":1,"#), n);
            assert!(key(&mut shapes, &raw).is_some(), "{raw}");
            assert!(shapes.shapes.len() <= SHAPES);
        }
        assert!(shapes.pause > 0);
    }

    #[test]
    fn a_line_of_the_same_layout_is_read_by_its_bytes_and_others_step_by_step() {
        let seed = br#"{"topic":"vehicles/TEST-100001/location","clientid":"TEST-100001","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-100001","timestamp":"2022-11-01T10:00:00+09:00","lat":35.000000,"lon":139.000000}]}}"#;
        let (pk, shapes) = learned(seed);
        let by_bytes = |raw: &[u8]| {
            pk.with_leaves(|got| {
                shapes.shapes[0]
                    .read_same(raw, got, Want::ALL)
                    .is_some_and(|a| a.is_some())
            })
        };
        let vin = r#""vin":"TEST-100001""#;
        // (edit, read by its bytes), all of the seed's length: other letters and digits, a `#`
        // after a quote, other numbers as long; then an escape, a quote, a control byte or
        // non-ASCII text in a string, a leading zero, a broken number, or tokens moved (a
        // string one longer, a number one shorter) go step by step, to the same answer.
        let cases: [(&str, &[u8], bool); 12] = [
            (vin, br#""vin":"ABCD-999999""#, true),
            (vin, br##""vin":"#EST-100001""##, true),
            ("35.000000", b"-5.000000", true),
            ("35.000000", b"3.5000e01", true),
            ("1667264400000", b"1767264400999", true),
            (vin, br#""vin":"TEST-1000\n""#, false),
            (vin, br#""vin":"TEST-10000"""#, false),
            (vin, b"\"vin\":\"TEST-10000\x01\"", false),
            (vin, "\"vin\":\"TEST-1000é\"".as_bytes(), false),
            ("35.000000", b"05.000000", false),
            ("35.000000", b"35.00000e", false),
            (
                r#""vin":"TEST-100001","timestamp":"2022-11-01T10:00:00+09:00","lat":35.000000"#,
                br#""vin":"TEST-1000012","timestamp":"2022-11-01T10:00:00+09:00","lat":35.00000"#,
                false,
            ),
        ];
        let mut read = 0;
        for (from, to, bytes) in cases {
            let raw = edited(seed, from, to);
            assert_eq!(raw.len(), seed.len(), "{from}");
            let shown = String::from_utf8_lossy(&raw);
            // Without AVX2 every line goes step by step.
            let avx2 = cfg!(target_arch = "x86_64") && std::arch::is_x86_feature_detected!("avx2");
            assert_eq!(by_bytes(&raw), bytes && avx2, "{shown}");
            let (full, shaped) = both(&pk, &shapes, &raw);
            assert_eq!(shaped, full, "{shown}");
            read += usize::from(shaped.is_some());
        }
        // The valid lines: the five read by bytes, the escape, the non-ASCII text and the moved
        // tokens.
        assert_eq!(read, 8);
    }

    #[test]
    fn words_compare_as_slices_do() {
        let mut rng = SplitMix::new(5, 1);
        for n in 0..40 {
            let a: Vec<u8> = (0..n).map(|_| (rng.next_u64() % 3) as u8).collect();
            for _ in 0..200 {
                let mut b = a.clone();
                if n > 0 && rng.next_u64().is_multiple_of(2) {
                    let at = (rng.next_u64() % n as u64) as usize;
                    b[at] ^= 1 + (rng.next_u64() % 2) as u8;
                }
                assert_eq!(same(&a, &b), a == b, "{a:?} {b:?}");
            }
        }
        assert!(!same(b"ab", b"abc"));
    }

    #[test]
    fn integer_reads_as_parse_does() {
        // Random integer texts of 1 to 25 digits (no leading zeros, as the cursor allows them):
        // the same value up to 18 digits, and the same timestamp (or none) at any length.
        let mut rng = SplitMix::new(23, 0);
        for round in 0..20_000 {
            let len = 1 + (rng.next_u64() % 25) as usize;
            let mut t = String::new();
            if rng.next_u64().is_multiple_of(2) {
                t.push('-');
            }
            for i in 0..len {
                let lo = u64::from(i == 0 && len > 1);
                t.push(char::from(b'0' + (lo + rng.next_u64() % (10 - lo)) as u8));
            }
            if round == 0 {
                t = "9".repeat(18);
            }
            let parsed: Option<i64> = t.parse().ok();
            if len <= 18 {
                assert_eq!(integer(t.as_bytes()), parsed, "{t}");
            }
            assert_eq!(
                integer(t.as_bytes()).and_then(epoch_ms),
                parsed.and_then(epoch_ms),
                "{t}"
            );
        }
        assert_eq!(integer(b"1667264400000"), Some(1_667_264_400_000));
        assert_eq!(integer(b"-"), None);
    }
}
