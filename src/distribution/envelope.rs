//! One-pass MQTT envelope keys, the fast path of `keys::extract` for envelope lines
//! (`{"topic","clientid","principal","timestamp","payload":{...}}`) under a template that
//! `path_key` compiles: one pass of the strict `json_scan` cursor reads the envelope's fields,
//! walks the payload along the template's paths (checking and skipping everything else) and
//! borrows strings from the line, so the usual record allocates nothing and the payload is not
//! scanned twice. EventBridge events (the event is the payload; its `time` is the record's
//! time) likewise, in one serde_json pass.
//!
//! Like `path_key`, it answers only on the happy path. For anything else (invalid JSON, a
//! duplicate or mistyped envelope field, a timestamp that is not an integer or plain text, a key
//! the path walk cannot form) it says "ask the full path" (`records::decode`, then
//! `keys::from_record`), which gives the result and reason it always gave.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::path_key::{Got, PathKey};
use crate::json_scan::{Cursor, Peek};
use crate::records::decode::CowStr;
use crate::records::timestamp;

/// What one pass over an envelope line read, besides the payload leaves.
pub(super) struct Fields<'de> {
    pub topic: Option<Cow<'de, str>>,
    pub clientid: Option<Cow<'de, str>>,
    pub ts_ms: Option<i64>,
    /// Size of the payload as written in the line (the record's data size).
    pub data_bytes: u64,
}

/// Reads one envelope line in one pass and hands its fields and the payload leaves `pk` walked
/// to `then` (which forms the key: `keys::extract`); `None` for "ask the full path".
///
/// Read with the strict cursor of `json_scan`, not serde: it answers only lines serde_json
/// accepts too, with the values the derived `Envelope` and `PathKey`'s walk read.
pub(super) fn scan<'de, T>(
    pk: &PathKey,
    raw: &'de [u8],
    then: impl FnOnce(Fields<'de>, &mut [Got<'de>]) -> Option<T>,
) -> Option<T> {
    // One UTF-8 check for the line; the cursor then checks no string again.
    let line = std::str::from_utf8(raw).ok()?;
    pk.with_leaves(|got| {
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
                1 => fields.topic = opt_str(&mut c)?,
                2 => fields.clientid = opt_str(&mut c)?,
                // Only the general evaluation reads the principal; checked as the full path
                // types it.
                4 => drop(opt_str(&mut c)?),
                8 => fields.ts_ms = timestamp(&mut c)?,
                16 => {
                    // The payload's size as written (the record's data size), as its raw value.
                    c.peek_byte()?;
                    let start = c.i;
                    walk_payload(&mut c, pk, got)?;
                    fields.data_bytes = (c.i - start) as u64;
                }
                _ => c.skip()?,
            }
        }
        // No payload: the full path words it; trailing bytes: serde_json rejects them.
        (seen & 16 != 0 && c.at_end()).then_some(())?;
        then(fields, got)
    })
}

/// A string or `null` member, as `OptCowStr` reads it; anything else to the full path.
// Always inlined, as `Cursor::string`: its result came back through memory.
#[inline(always)]
fn opt_str<'de>(c: &mut Cursor<'de>) -> Option<Option<Cow<'de, str>>> {
    match c.peek()? {
        Peek::Str => {
            let s = c.string()?;
            Some(Some(c.text(s)?))
        }
        Peek::Null => c.literal(b"null").map(|()| None),
        _ => None,
    }
}

/// The envelope's `timestamp`, as the `Timestamp` seed reads it: integers, strings without
/// escapes, `null`; anything else to the full path.
fn timestamp(c: &mut Cursor<'_>) -> Option<Option<i64>> {
    match c.peek()? {
        Peek::Num => {
            let n = c.number()?;
            let text = &c.line[n.start..n.end];
            // serde_json reads `-0` as a float, which the seed leaves to the full path.
            if !n.integer || text == "-0" {
                return None;
            }
            epoch_ms(integer(text)?).map(Some)
        }
        Peek::Str => {
            let s = c.string()?;
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

/// An integer's text (`-`? digits, as the cursor checked it) as `str::parse` reads it; `None`
/// past 18 digits, which `epoch_ms` refuses anyway (JSON has no leading zeros). Folded in a
/// register: `parse` kept its sum in memory, a store and reload per digit.
fn integer(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        d => (false, d),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = v * 10 + i64::from(d.wrapping_sub(b'0'));
    }
    Some(if neg { -v } else { v })
}

/// The payload, as `PathKey::payload_seed` walks it: only an object has fields.
fn walk_payload<'de>(c: &mut Cursor<'de>, pk: &PathKey, got: &mut [Got<'de>]) -> Option<()> {
    let Peek::Object = c.peek()? else {
        return None;
    };
    members(c, pk, 0, got)
}

/// The members of an object at template node `node`: those the template reads are walked,
/// the rest checked and skipped.
fn members<'de>(
    c: &mut Cursor<'de>,
    pk: &PathKey,
    node: usize,
    got: &mut [Got<'de>],
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
            Some(child) => walk(c, pk, child, got)?,
            None => c.skip()?,
        }
    }
    Some(())
}

/// A value on a template path, as `path_key::Walk` reads it: a later duplicate member replaces
/// everything an earlier one gave; objects, arrays and `null` are no key (`Other`).
fn walk<'de>(c: &mut Cursor<'de>, pk: &PathKey, node: usize, got: &mut [Got<'de>]) -> Option<()> {
    for &l in pk.leaves_under(node) {
        got[l] = Got::Missing;
    }
    let leaf = pk.leaf_of(node);
    let value = match c.peek()? {
        Peek::Object => {
            if pk.has_keys(node) {
                members(c, pk, node, got)?;
            } else {
                c.skip()?;
            }
            Got::Other
        }
        Peek::Array => {
            c.open(b'[')?;
            let mut index = 0;
            while c.next(b']', index == 0)? {
                match pk.index_child(node, index) {
                    Some(child) => walk(c, pk, child, got)?,
                    None => c.skip()?,
                }
                index += 1;
            }
            Got::Other
        }
        Peek::Str => {
            let s = c.string()?;
            Got::Str(c.text(s)?)
        }
        Peek::Num => {
            let n = c.number()?;
            number(&c.line[n.start..n.end])?
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
fn number<'de>(text: &str) -> Option<Got<'de>> {
    let n: serde_json::Number = serde_json::from_str(text).ok()?;
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
                assert_eq!(integer(&t), parsed, "{t}");
            }
            assert_eq!(
                integer(&t).and_then(epoch_ms),
                parsed.and_then(epoch_ms),
                "{t}"
            );
        }
        assert_eq!(integer("1667264400000"), Some(1_667_264_400_000));
        assert_eq!(integer("-"), None);
    }
}
