//! One-pass MQTT envelope keys, the fast path of `keys::extract` for envelope lines
//! (`{"topic","clientid","principal","timestamp","payload":{...}}`) under a template that
//! `path_key` compiles: one serde_json pass reads the envelope's fields, walks the payload along
//! the template's paths (skipping everything else as the full path does) and borrows strings
//! from the line, so the usual record allocates nothing and the payload is not scanned twice.
//! EventBridge events (the event is the payload; its `time` is the record's time) likewise.
//!
//! Like `path_key`, it answers only on the happy path. For anything else (invalid JSON, a
//! duplicate or mistyped envelope field, a timestamp that is not an integer or plain text, a key
//! the path walk cannot form) it says "ask the full path" (`records::decode`, then
//! `keys::from_record`), which gives the result and reason it always gave.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::path_key::{Got, PathKey};
use crate::records::decode::{CowStr, OptCowStr};
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
pub(super) fn scan<'de, T>(
    pk: &PathKey,
    raw: &'de [u8],
    then: impl FnOnce(Fields<'de>, &mut [Got<'de>]) -> Option<T>,
) -> Option<T> {
    // One UTF-8 check for the line; serde_json's `str` reader then checks no string again.
    let line = std::str::from_utf8(raw).ok()?;
    pk.with_leaves(|got| {
        let mut env = Env::default();
        let mut de = serde_json::Deserializer::from_str(line);
        Scan {
            pk,
            line,
            got: &mut *got,
            env: &mut env,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        let start = env.payload_start?;
        let end = match env.payload_end {
            Some(end) => end,
            None => end_before_close(line)?,
        };
        let fields = Fields {
            topic: env.topic,
            clientid: env.clientid,
            ts_ms: env.ts_ms,
            data_bytes: end.checked_sub(start)? as u64,
        };
        then(fields, got)
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

/// The envelope fields one pass keeps.
#[derive(Default)]
struct Env<'de> {
    topic: Option<Cow<'de, str>>,
    clientid: Option<Cow<'de, str>>,
    ts_ms: Option<i64>,
    /// Byte range of the payload in the line (its size is the record's data size), the end
    /// unknown until the next member's key or the closing brace.
    payload_start: Option<usize>,
    payload_end: Option<usize>,
}

/// Stops the pass early: the full path will answer.
fn give_up<E: de::Error>() -> E {
    E::custom("not on the envelope fast path")
}

/// The envelope object. Members are matched as `records::decode`'s derived `Envelope` matches
/// them: unknown ones skipped, a repeated one an error (there: `duplicate field`).
struct Scan<'p, 'g, 'de> {
    pk: &'p PathKey,
    line: &'de str,
    got: &'g mut [Got<'de>],
    env: &'g mut Env<'de>,
}

impl<'de> DeserializeSeed<'de> for Scan<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an envelope object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = 0u8;
        // The payload was the last member read: it ends before the next key.
        let mut open = false;
        while let Some(k) = map.next_key_seed(CowStr)? {
            if open {
                let Cow::Borrowed(k) = k else {
                    return Err(give_up());
                };
                self.env.payload_end = Some(end_before_key(self.line, k).ok_or_else(give_up)?);
                open = false;
            }
            let bit = match &*k {
                "topic" => 1,
                "clientid" => 2,
                "principal" => 4,
                "timestamp" => 8,
                "payload" => 16,
                _ => 0,
            };
            if seen & bit != 0 {
                return Err(give_up());
            }
            seen |= bit;
            match bit {
                1 => self.env.topic = map.next_value_seed(OptCowStr)?,
                2 => self.env.clientid = map.next_value_seed(OptCowStr)?,
                // Only the general evaluation reads the principal; checked as the full path
                // types it.
                4 => drop(map.next_value_seed(OptCowStr)?),
                8 => self.env.ts_ms = map.next_value_seed(Timestamp)?,
                16 => {
                    let Cow::Borrowed(k) = k else {
                        return Err(give_up());
                    };
                    self.env.payload_start =
                        Some(start_after_key(self.line, k).ok_or_else(give_up)?);
                    map.next_value_seed(self.pk.payload_seed(&mut *self.got))?;
                    open = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
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
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        epoch_ms(v)
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
/// f64 too, so the same milliseconds as parsing the text; out of range, the full path words the
/// error.
fn epoch_ms<E: de::Error>(v: i64) -> Result<Option<i64>, E> {
    const SECONDS_BELOW: i64 = 100_000_000_000;
    const MS_BELOW: i64 = 320_000_000_000_000;
    match v.unsigned_abs() {
        a if a < SECONDS_BELOW as u64 => Ok(Some(v * 1000)),
        a if a < MS_BELOW as u64 => Ok(Some(v)),
        _ => Err(give_up()),
    }
}

/// The payload's byte range is found from where serde_json's borrowed keys sit in the line:
/// JSON allows only whitespace and one `:` or `,` between a key and a value, so the value starts
/// after `"payload"` and its `:`, and ends before the `,` of the next key or the envelope's
/// closing brace. Each step checks the byte it expects, and a surprise gives up.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where borrowed `s` starts in `line`.
fn offset(line: &str, s: &str) -> Option<usize> {
    let at = (s.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    (at + s.len() <= line.len()).then_some(at)
}

/// Start of the value after the (borrowed) key `key`.
fn start_after_key(line: &str, key: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut i = offset(line, key)? + key.len();
    (*b.get(i)? == b'"').then_some(())?;
    i += 1;
    while is_ws(*b.get(i)?) {
        i += 1;
    }
    (*b.get(i)? == b':').then_some(())?;
    i += 1;
    while is_ws(*b.get(i)?) {
        i += 1;
    }
    Some(i)
}

/// End of the value before the (borrowed) key `key`.
fn end_before_key(line: &str, key: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut j = offset(line, key)?.checked_sub(1)?;
    (b[j] == b'"').then_some(())?;
    j = back_ws(b, j);
    (*b.get(j.checked_sub(1)?)? == b',').then_some(())?;
    Some(back_ws(b, j - 1))
}

/// End of the last member's value, before the closing brace of a line that parsed whole.
fn end_before_close(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let close = back_ws(b, b.len()).checked_sub(1)?;
    (b[close] == b'}').then_some(())?;
    Some(back_ws(b, close))
}

fn back_ws(b: &[u8], mut j: usize) -> usize {
    while j > 0 && is_ws(b[j - 1]) {
        j -= 1;
    }
    j
}
