//! One raw item of a sample input (a key-list line, a JSON payload, an MQTT envelope, a
//! `get-records` record, an EventBridge event) decoded into a [`Record`]: its given partition key
//! or its payload, data size, topic and client, arrival time, `ExplicitHashKey` and sequence
//! number. The only place that knows these layouts; `distribution` forms keys from a `Record`,
//! the simulator orders them. Nothing here evaluates a key template.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::value::RawValue;

use super::InputFormat;
use super::timestamp;

/// One sampled record, as Kinesis or IoT would see it.
#[derive(Debug, Default, PartialEq)]
pub struct Record<'a> {
    /// A key written as such: a key-list line or `PartitionKey`.
    pub key: Option<Cow<'a, str>>,
    /// The JSON payload a key template or JSONPath reads (for get-records, the decoded `Data`;
    /// for EventBridge, the event itself, which is what a Kinesis target receives).
    pub payload: Option<Cow<'a, [u8]>>,
    /// Size of the data blob (the key is counted separately).
    pub data_bytes: u64,
    pub topic: Option<Cow<'a, str>>,
    pub clientid: Option<Cow<'a, str>>,
    pub principal: Option<Cow<'a, str>>,
    /// Milliseconds since the epoch.
    pub ts_ms: Option<i64>,
    /// `ExplicitHashKey`: overrides the MD5 of the key for placement (`keyspace::place`).
    pub explicit_hash_key: Option<u128>,
    /// `SequenceNumber` (get-records), the order of records with the same arrival time.
    pub sequence_number: Option<Cow<'a, str>>,
}

/// What one raw item is.
#[derive(Debug, PartialEq)]
pub enum Decoded<'a> {
    /// A blank line in a JSON input: no record.
    Skip,
    Record(Record<'a>),
    /// The item is malformed: why.
    Bad(String),
}

/// Where a key's UTF-8 breaks, as a column (characters before it, plus one) and the byte.
fn invalid_utf8(raw: &[u8], e: std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    let column = std::str::from_utf8(&raw[..at]).map_or(at, |t| t.chars().count()) + 1;
    match raw.get(at) {
        Some(b) => format!("invalid UTF-8 at column {column} (byte 0x{b:02X})"),
        None => format!("invalid UTF-8 at column {column}"),
    }
}

/// Decodes one item of an input of `format` (`Auto` is read as a key list).
pub fn decode(format: InputFormat, raw: &[u8]) -> Decoded<'_> {
    match format {
        InputFormat::Keys | InputFormat::Auto => match std::str::from_utf8(raw) {
            Ok(k) => Decoded::Record(Record {
                key: Some(Cow::Borrowed(k)),
                ..Record::default()
            }),
            Err(e) => Decoded::Bad(invalid_utf8(raw, e)),
        },
        _ if raw.iter().all(u8::is_ascii_whitespace) => Decoded::Skip,
        InputFormat::Payloads => Decoded::Record(Record {
            payload: Some(Cow::Borrowed(raw)),
            data_bytes: raw.len() as u64,
            ..Record::default()
        }),
        InputFormat::Envelopes => {
            let env: Envelope = match parse_json(raw) {
                Ok(e) => e,
                Err(e) => return Decoded::Bad(json_error(&e)),
            };
            let ts_ms = match env.timestamp.map(timestamp::parse_json).transpose() {
                Ok(t) => t.flatten(),
                Err(e) => return Decoded::Bad(format!("`timestamp`: {e}")),
            };
            let payload = env.payload.map_or(&b"null"[..], |p| p.get().as_bytes());
            Decoded::Record(Record {
                payload: Some(Cow::Borrowed(payload)),
                data_bytes: payload.len() as u64,
                topic: env.topic,
                clientid: env.clientid,
                principal: env.principal,
                ts_ms,
                ..Record::default()
            })
        }
        InputFormat::Events => {
            let ev: Event = match parse_json(raw) {
                Ok(e) => e,
                Err(e) => return Decoded::Bad(json_error(&e)),
            };
            let ts_ms = match ev.time.map(timestamp::parse_json).transpose() {
                Ok(t) => t.flatten(),
                Err(e) => return Decoded::Bad(format!("`time`: {e}")),
            };
            Decoded::Record(Record {
                payload: Some(Cow::Borrowed(raw)),
                data_bytes: raw.len() as u64,
                ts_ms,
                ..Record::default()
            })
        }
        InputFormat::GetRecords => {
            let rec: GetRecord = match parse_json(raw) {
                Ok(r) => r,
                Err(e) => return Decoded::Bad(json_error(&e)),
            };
            // `shardlint export` drops `Data` unless `--keep-payloads` and keeps its size in
            // `DataBytes`: the key and arrival time are what a record read back says.
            let data = match rec.data.as_deref() {
                None => None,
                Some(d) => match base64::engine::general_purpose::STANDARD.decode(d.as_bytes()) {
                    Ok(d) => Some(d),
                    Err(e) => return Decoded::Bad(format!("invalid base64 in `Data`: {e}")),
                },
            };
            let explicit_hash_key = match rec.explicit_hash_key.as_deref() {
                None => None,
                Some(s) => match crate::keyspace::parse_hash_key(s) {
                    Ok(v) => Some(v),
                    Err(why) => return Decoded::Bad(format!("`ExplicitHashKey` `{s}` {why}")),
                },
            };
            let ts_ms = match rec.arrival.map(timestamp::parse_json).transpose() {
                Ok(t) => t.flatten(),
                Err(e) => return Decoded::Bad(format!("`ApproximateArrivalTimestamp`: {e}")),
            };
            Decoded::Record(Record {
                key: rec.partition_key,
                data_bytes: data
                    .as_ref()
                    .map_or(rec.data_bytes.unwrap_or(0), |d| d.len() as u64),
                payload: data.map(Cow::Owned),
                ts_ms,
                explicit_hash_key,
                sequence_number: rec.sequence_number,
                ..Record::default()
            })
        }
    }
}

/// Parses one item: text that is valid UTF-8 as a whole (nearly all) through serde_json's `str`
/// reader, which then checks no string again (the byte reader validated every borrowed key and
/// raw payload on its own); anything else through the byte reader, for its located error.
fn parse_json<'a, T: serde::Deserialize<'a>>(raw: &'a [u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(raw) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(raw),
    }
}

/// serde_json's message without its " at line L column C" (the reader numbers items itself).
pub fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg
        .rfind(" at line ")
        .map_or(&msg[..], |i| &msg[..i])
        .to_string();
    format!("invalid JSON at column {}: {msg}", e.column())
}

/// A JSON string borrowed from the input unless it has escapes: serde's own `Cow<str>` always
/// allocates (one `String` per member name or field). A seed for `next_key_seed` and friends.
pub(crate) struct CowStr;

impl<'de> serde::de::DeserializeSeed<'de> for CowStr {
    type Value = Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// `Option<Cow<str>>` borrowed from the item when the string has no escapes: serde's own
/// `Cow` impl (which `#[serde(borrow)]` on an `Option` falls back to) always allocates. Same
/// values and the same errors (`expected a string`). The envelope fields here and on the
/// one-pass path (`distribution::envelope`) are read with it.
pub(crate) struct OptCowStr;

impl<'de> serde::de::DeserializeSeed<'de> for OptCowStr {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for OptCowStr {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("option")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(CowStr, d).map(Some)
    }
}

fn opt_cow<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    serde::de::DeserializeSeed::deserialize(OptCowStr, d)
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    clientid: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    principal: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

/// An EventBridge event (`{"version","id","detail-type","source","time","detail",...}`): only
/// its time is read here; the whole event is the payload.
#[derive(serde::Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
}

#[derive(serde::Deserialize)]
struct GetRecord<'a> {
    #[serde(rename = "PartitionKey", borrow, default, deserialize_with = "opt_cow")]
    partition_key: Option<Cow<'a, str>>,
    #[serde(rename = "Data", borrow, default, deserialize_with = "opt_cow")]
    data: Option<Cow<'a, str>>,
    /// The size of `Data` where `shardlint export` dropped it (not an AWS field).
    #[serde(rename = "DataBytes", default)]
    data_bytes: Option<u64>,
    #[serde(rename = "ApproximateArrivalTimestamp", borrow, default)]
    arrival: Option<&'a RawValue>,
    #[serde(
        rename = "ExplicitHashKey",
        borrow,
        default,
        deserialize_with = "opt_cow"
    )]
    explicit_hash_key: Option<Cow<'a, str>>,
    #[serde(
        rename = "SequenceNumber",
        borrow,
        default,
        deserialize_with = "opt_cow"
    )]
    sequence_number: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(format: InputFormat, raw: &[u8]) -> Record<'_> {
        match decode(format, raw) {
            Decoded::Record(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn get_records_fields() {
        let r = record(
            InputFormat::GetRecords,
            br#"{"SequenceNumber":"49","PartitionKey":"k1","Data":"eyJhIjoxfQ==","ApproximateArrivalTimestamp":1700000000.5,"ExplicitHashKey":"42"}"#,
        );
        assert_eq!(r.key.as_deref(), Some("k1"));
        assert_eq!(r.payload.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(
            (r.data_bytes, r.ts_ms, r.explicit_hash_key),
            (7, Some(1_700_000_000_500), Some(42))
        );
        assert_eq!(r.sequence_number.as_deref(), Some("49"));
    }

    #[test]
    fn get_records_without_data_keep_key_time_and_size() {
        // As `shardlint export` writes records without `--keep-payloads`.
        let r = record(
            InputFormat::GetRecords,
            br#"{"SequenceNumber":"7","PartitionKey":"vin","ApproximateArrivalTimestamp":1700000000.25,"DataBytes":118}"#,
        );
        assert_eq!(r.key.as_deref(), Some("vin"));
        assert_eq!(r.payload, None);
        assert_eq!((r.data_bytes, r.ts_ms), (118, Some(1_700_000_000_250)));
    }

    #[test]
    fn bad_items_say_why() {
        let bad = |f, raw: &[u8]| match decode(f, raw) {
            Decoded::Bad(why) => why,
            other => panic!("{other:?}"),
        };
        let g = InputFormat::GetRecords;
        assert!(bad(g, br#"{"PartitionKey":"k","Data":"!!!"}"#).contains("base64"));
        assert!(bad(g, br#"{"PartitionKey":"k","#).starts_with("invalid JSON"));
        assert!(
            bad(
                g,
                br#"{"PartitionKey":"k","Data":"","ExplicitHashKey":"+0"}"#
            )
            .contains("`+0` is not a decimal integer")
        );
        assert!(
            bad(
                g,
                br#"{"PartitionKey":"k","Data":"","ApproximateArrivalTimestamp":"2022-13-45T99:99:99Z"}"#
            )
            .contains("is not a timestamp")
        );
        assert!(
            bad(
                InputFormat::Envelopes,
                br#"{"topic":"a","timestamp":"soon","payload":{}}"#
            )
            .contains("`timestamp`")
        );
        assert!(matches!(
            decode(InputFormat::Keys, b"\xff"),
            Decoded::Bad(_)
        ));
        assert_eq!(decode(InputFormat::Payloads, b"  "), Decoded::Skip);
    }

    #[test]
    fn envelopes_and_events() {
        let e = record(
            InputFormat::Envelopes,
            br#"{"topic":"v/1/loc","clientid":"c","timestamp":1667264400000,"payload":{"vin":"A"}}"#,
        );
        assert_eq!(
            (e.topic.as_deref(), e.clientid.as_deref(), e.ts_ms),
            (Some("v/1/loc"), Some("c"), Some(1_667_264_400_000))
        );
        assert_eq!(e.payload.as_deref(), Some(&br#"{"vin":"A"}"#[..]));
        let raw = br#"{"version":"0","id":"1","detail-type":"Order","source":"shop","time":"2019-12-17T20:10:52Z","detail":{"id":"o-1"}}"#;
        let ev = record(InputFormat::Events, raw);
        assert_eq!(ev.payload.as_deref(), Some(&raw[..]));
        assert_eq!(
            ev.ts_ms,
            timestamp::parse_rfc3339_ms("2019-12-17T20:10:52Z")
        );
    }

    #[test]
    fn mistyped_fields_say_what_they_said() {
        let bad = |f, raw: &[u8]| match decode(f, raw) {
            Decoded::Bad(why) => why,
            other => panic!("{other:?}"),
        };
        let g = InputFormat::GetRecords;
        assert_eq!(
            bad(g, br#"{"PartitionKey":5}"#),
            "invalid JSON at column 17: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            bad(g, br#"{"PartitionKey":"k","Data":[1]}"#),
            "invalid JSON at column 27: invalid type: sequence, expected a string"
        );
        assert_eq!(
            bad(g, br#"{"PartitionKey":"k","SequenceNumber":{}}"#),
            "invalid JSON at column 37: invalid type: map, expected a string"
        );
        assert_eq!(
            bad(InputFormat::Envelopes, br#"{"topic":true,"payload":{}}"#),
            "invalid JSON at column 13: invalid type: boolean `true`, expected a string"
        );
        assert_eq!(
            bad(InputFormat::Envelopes, br#"{"clientid":1.5,"payload":{}}"#),
            "invalid JSON at column 15: invalid type: floating point `1.5`, expected a string"
        );
        // Escaped and plain strings decode the same.
        let r = record(
            g,
            br#"{"PartitionKey":"k\u00e9","SequenceNumber":null,"Data":"eyJhIjoxfQ=="}"#,
        );
        assert_eq!((r.key.as_deref(), r.sequence_number), (Some("ké"), None));
        let e = record(
            InputFormat::Envelopes,
            br#"{"topic":"a\/b","clientid":"c","payload":{}}"#,
        );
        assert_eq!(
            (e.topic.as_deref(), e.clientid.as_deref()),
            (Some("a/b"), Some("c"))
        );
        assert!(matches!(e.clientid, Some(Cow::Borrowed(_))));
    }
}
