//! Key extraction, the second stage of the distribution engine: turns one raw item (a key-list
//! line, a JSON payload, an MQTT envelope or a get-records record) into the partition key
//! Kinesis would see, with its data size, time and explicit hash key; or says why there is
//! none (Undefined) or why the item is bad. The template and JSONPath are compiled once.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::envelope::{self, LineShapes};
use super::path_key::{self, PathKey};
use crate::random::SplitMix;
use crate::records::{self, Decoded, InputFormat, Record};
use crate::template::{self, EvalInput, Evaluated, Expr, Part, Template};

/// Where each record's partition key comes from.
pub enum KeySource {
    /// The key itself: a key-list line or a get-records `PartitionKey`.
    Given,
    /// An IoT substitution template evaluated on each payload.
    Template {
        text: String,
        template: Template,
        /// Top-level payload fields the template reads; `None` = all. Only these are parsed.
        fields: Option<Vec<String>>,
        /// The template compiled to payload paths, when it is only paths, literals, `+`,
        /// `topic()` and `clientid()`: keys without building a `serde_json::Value`.
        fast: Option<PathKey>,
    },
    /// A JSONPath into each payload (SDK producers keyed by a payload field).
    KeyPath {
        text: String,
        path: jsonpath_rust::parser::model::JpQuery,
    },
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl KeySource {
    /// Parses an IoT template once.
    pub fn template(text: &str) -> Result<KeySource, String> {
        Self::template_with_vars(text, &[])
    }

    /// A rule's template, with `@variables` bound to the rule's `SET` clause.
    pub fn template_with_vars(
        text: &str,
        vars: &[(String, template::Expr)],
    ) -> Result<KeySource, String> {
        let mut template = template::parse(text).map_err(|e| {
            // A hostile template can be megabytes long: quote only its start.
            let shown: String = text.chars().take(80).collect();
            let more = if shown.len() < text.len() { "…" } else { "" };
            format!(
                "invalid partition key template `{shown}{more}` at bytes {}..{}: {}",
                e.range.start, e.range.end, e.message
            )
        })?;
        template::bind_vars(&mut template, vars);
        let fields = template_fields(&template);
        let fast = PathKey::compile(&template);
        Ok(KeySource::Template {
            text: text.to_string(),
            template,
            fields,
            fast,
        })
    }

    /// The rule's SQL version, which decides how payload numbers become key text (a template
    /// given alone is read as `2016-03-23`).
    pub fn with_sql_version(mut self, version: template::SqlVersion) -> KeySource {
        if let KeySource::Template { template, fast, .. } = &mut self {
            template.sql_version = version;
            *fast = PathKey::compile(template);
        }
        self
    }

    /// Compiles a JSONPath once.
    pub fn key_path(text: &str) -> Result<KeySource, String> {
        let path = jsonpath_rust::parser::parse_json_path(text)
            .map_err(|e| format!("invalid JSONPath `{text}`: {e}"))?;
        Ok(KeySource::KeyPath {
            text: text.to_string(),
            path,
        })
    }

    /// `given`, `template ${vin}`, `key-path $.device.id`.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Given => "given".into(),
            KeySource::Template { text, .. } => format!("template {text}"),
            KeySource::KeyPath { text, .. } => format!("key-path {text}"),
        }
    }

    /// Whether records of `format` carry or yield a key with this source.
    pub fn fits(&self, format: InputFormat) -> bool {
        !matches!(
            (self, format),
            (
                KeySource::Given,
                InputFormat::Payloads | InputFormat::Envelopes
            )
        )
    }
}

/// The top-level payload fields a template reads, or `None` when it may read any.
fn template_fields(t: &Template) -> Option<Vec<String>> {
    fn walk(e: &Expr, out: &mut Vec<String>) -> bool {
        match e {
            Expr::Field { path, .. } => match path.first() {
                Some(f) if f != "*" => {
                    if !out.contains(f) {
                        out.push(f.clone());
                    }
                    true
                }
                _ => false,
            },
            Expr::Add { lhs, rhs, .. } => walk(lhs, out) && walk(rhs, out),
            Expr::Call { args, .. } | Expr::Op { args, .. } => args.iter().all(|a| walk(a, out)),
            Expr::Var { value, .. } => value.as_deref().is_none_or(|v| walk(v, out)),
            Expr::Str { .. } | Expr::Num { .. } | Expr::Bool { .. } => true,
        }
    }
    let mut out = Vec::new();
    for p in &t.parts {
        if let Part::Expr { expr, .. } = p
            && !walk(expr, &mut out)
        {
            return None;
        }
    }
    Some(out)
}

/// What one item yields.
#[derive(Debug, PartialEq)]
pub enum Extracted<'a> {
    /// A blank line in a JSON input, or an envelope on a topic the rule does not read: not a
    /// record of this analysis.
    Skip,
    Key {
        key: Cow<'a, str>,
        /// Data blob bytes (the key is added by the engine).
        data_bytes: u64,
        ts_ms: Option<i64>,
        /// `ExplicitHashKey`: overrides the MD5 for shard placement.
        explicit: Option<u128>,
        /// The key path matched several values (the first is used).
        multi: bool,
    },
    /// No key could be formed (IoT Undefined, empty key, path without match): Kinesis would
    /// not accept the record.
    Undefined { reason: String, ts_ms: Option<i64> },
    /// IoT would form a key that shardlint cannot compute (a function it does not evaluate, a
    /// value the sample lacks): counted as unknown, not as a failure.
    Unknown { reason: String, ts_ms: Option<i64> },
    /// The item itself is malformed.
    Bad { reason: String },
}

/// Per-record context the engine passes in.
pub struct Ctx<'c> {
    /// Global index of the record, which seeds its randomness.
    pub seq: u64,
    pub seed: u64,
    /// Only envelopes whose topic matches this MQTT filter belong to the rule being analysed
    /// (`check --samples` routes samples to rules by their `FROM` filter).
    pub topic_filter: Option<&'c str>,
    /// The rule analysed: a Basic Ingest envelope (`$aws/rules/<rule>/...`) belongs to it only.
    pub rule_name: Option<&'c str>,
}

/// The key of one raw item: decoded by the records layer, then formed by `src`.
pub fn extract<'a>(
    src: &KeySource,
    format: InputFormat,
    raw: &'a [u8],
    ctx: &Ctx,
) -> Extracted<'a> {
    extract_with(src, format, raw, ctx, &mut LineShapes::default())
}

/// `extract`, for one of a run of lines that likely share a few JSON shapes: `shapes` holds
/// those of the envelope lines before it (`envelope::LineShapes`).
pub(super) fn extract_with<'a>(
    src: &KeySource,
    format: InputFormat,
    raw: &'a [u8],
    ctx: &Ctx,
    shapes: &mut LineShapes,
) -> Extracted<'a> {
    // Envelopes under a path template: one pass over the line (`envelope`), which answers the
    // usual record and leaves anything else to the full decode below.
    if format == InputFormat::Envelopes
        && let KeySource::Template { fast: Some(pk), .. } = src
        && let Some(got) = one_pass_envelope(pk, raw, ctx, shapes)
    {
        return got;
    }
    if format == InputFormat::Events
        && let KeySource::Template { fast: Some(pk), .. } = src
        && let Some(got) = one_pass_event(pk, raw)
    {
        return got;
    }
    match records::decode(format, raw) {
        Decoded::Skip => Extracted::Skip,
        Decoded::Bad(reason) => bad(reason),
        Decoded::Record(rec) => from_record(src, format, rec, ctx),
    }
}

/// The key of one envelope line read in one pass, or `None` for "ask the full path": what
/// `from_record` and `from_payload` do with the decoded record, on the fields `envelope::scan`
/// read.
fn one_pass_envelope<'a>(
    pk: &PathKey,
    raw: &'a [u8],
    ctx: &Ctx,
    shapes: &mut LineShapes,
) -> Option<Extracted<'a>> {
    // The topic routes the record only under a topic filter or a rule name; else only a
    // template that reads it needs its text (`route` passes any topic on).
    let (topic, clientid) = pk.reads_meta();
    let want = envelope::Want {
        topic: topic || ctx.topic_filter.is_some() || ctx.rule_name.is_some(),
        clientid,
    };
    envelope::scan(pk, raw, shapes, want, |env, got| {
        let Routed::Topic(topic) = route(env.topic.as_deref(), ctx) else {
            return Some(Extracted::Skip);
        };
        let meta = path_key::Meta {
            topic,
            clientid: env.clientid.as_deref(),
        };
        let key = pk.assemble(got, &meta)?;
        Some(checked_key(key, env.data_bytes, env.ts_ms, None))
    })
}

/// The key of one EventBridge event read in one pass (the event is its own payload, and has
/// no topic), or `None` for "ask the full path".
fn one_pass_event<'a>(pk: &PathKey, raw: &'a [u8]) -> Option<Extracted<'a>> {
    envelope::scan_event(pk, raw, |ts_ms, got| {
        let meta = path_key::Meta {
            topic: None,
            clientid: None,
        };
        let key = pk.assemble(got, &meta)?;
        Some(checked_key(key, raw.len() as u64, ts_ms, None))
    })
}

/// The key of one decoded record: its given key (key lists, `PartitionKey` without a
/// template), or `src` evaluated on its payload; a record on a topic the rule does not read is
/// skipped.
pub fn from_record<'a>(
    src: &KeySource,
    format: InputFormat,
    rec: Record<'a>,
    ctx: &Ctx,
) -> Extracted<'a> {
    let (ts_ms, explicit) = (rec.ts_ms, rec.explicit_hash_key);
    let Routed::Topic(topic) = route(rec.topic.as_deref(), ctx) else {
        return Extracted::Skip;
    };
    let use_given = matches!(src, KeySource::Given) || rec.payload.is_none();
    if use_given {
        return match rec.key {
            Some(_) if format == InputFormat::GetRecords && !matches!(src, KeySource::Given) => {
                bad(format!(
                    "no `Data` to evaluate `{}` on (exported without `--keep-payloads`?); without a template the record's own `PartitionKey` is analysed",
                    src.describe()
                ))
            }
            Some(k) => checked_key(k, rec.data_bytes, ts_ms, explicit),
            None if format == InputFormat::GetRecords => bad("no `PartitionKey`".into()),
            None => bad("payload records need `--partition-key` or `--key-path`".into()),
        };
    }
    let meta = Meta {
        topic,
        clientid: rec.clientid.as_deref(),
        principal: rec.principal.as_deref(),
        ts_ms,
    };
    let data_bytes = rec.data_bytes;
    let got = match rec.payload {
        Some(Cow::Borrowed(p)) => from_payload(src, p, data_bytes, &meta, ctx),
        Some(Cow::Owned(p)) => owned(from_payload(src, &p, data_bytes, &meta, ctx)),
        None => unreachable!("checked above"),
    };
    match got {
        Extracted::Key {
            key,
            data_bytes,
            ts_ms,
            multi,
            ..
        } => Extracted::Key {
            key,
            data_bytes,
            ts_ms,
            explicit,
            multi,
        },
        Extracted::Bad { reason } if format == InputFormat::GetRecords => Extracted::Bad {
            reason: format!("`Data`: {reason}"),
        },
        other => other,
    }
}

/// Whether a record on `topic` belongs to the rule analysed, and the topic its template sees.
enum Routed<'t> {
    Skip,
    Topic(Option<&'t str>),
}

// Inlined: returned from a call, the routed topic was read back wider than written (a
// store-forwarding stall per envelope).
#[inline]
fn route<'t>(topic: Option<&'t str>, ctx: &Ctx) -> Routed<'t> {
    let Some(t) = topic else {
        return Routed::Topic(None);
    };
    // Basic Ingest goes to the named rule, whatever its `FROM`, and the rule's `topic(n)` does
    // not see the `$aws/rules/<rule>` prefix.
    match template::basic_ingest(t) {
        Some((rule, _)) if ctx.rule_name.is_some_and(|r| r != rule) => Routed::Skip,
        Some((_, rest)) => Routed::Topic(Some(rest)),
        None if ctx
            .topic_filter
            .is_some_and(|filter| !template::topic_matches(filter, t)) =>
        {
            Routed::Skip
        }
        None => Routed::Topic(Some(t)),
    }
}

/// An extraction that outlives the buffer it was made from.
fn owned(e: Extracted<'_>) -> Extracted<'static> {
    match e {
        Extracted::Skip => Extracted::Skip,
        Extracted::Key {
            key,
            data_bytes,
            ts_ms,
            explicit,
            multi,
        } => Extracted::Key {
            key: Cow::Owned(key.into_owned()),
            data_bytes,
            ts_ms,
            explicit,
            multi,
        },
        Extracted::Undefined { reason, ts_ms } => Extracted::Undefined { reason, ts_ms },
        Extracted::Unknown { reason, ts_ms } => Extracted::Unknown { reason, ts_ms },
        Extracted::Bad { reason } => Extracted::Bad { reason },
    }
}

fn bad<'a>(reason: String) -> Extracted<'a> {
    Extracted::Bad { reason }
}

use crate::records::decode::json_error;

/// A formed key (given in a key list or `PartitionKey`, or made by a template): empty or too
/// long is a bad record.
#[inline]
fn checked_key(
    key: Cow<'_, str>,
    data_bytes: u64,
    ts_ms: Option<i64>,
    explicit: Option<u128>,
) -> Extracted<'_> {
    if let Some(reason) = key_problem(&key) {
        return Extracted::Bad { reason };
    }
    Extracted::Key {
        key,
        data_bytes,
        ts_ms,
        explicit,
        multi: false,
    }
}

pub use crate::keyspace::key_problem;

#[derive(Default)]
struct Meta<'a> {
    topic: Option<&'a str>,
    clientid: Option<&'a str>,
    principal: Option<&'a str>,
    ts_ms: Option<i64>,
}

fn from_payload<'a>(
    src: &KeySource,
    payload: &'a [u8],
    data_bytes: u64,
    meta: &Meta,
    ctx: &Ctx,
) -> Extracted<'a> {
    let ts_ms = meta.ts_ms;
    match src {
        KeySource::Given => bad("payload records need `--partition-key` or `--key-path`".into()),
        KeySource::Template {
            template,
            fields,
            fast,
            ..
        } => {
            let fast_meta = path_key::Meta {
                topic: meta.topic,
                clientid: meta.clientid,
            };
            if let Some(key) = fast.as_ref().and_then(|f| f.key(payload, &fast_meta)) {
                return checked_key(key, data_bytes, ts_ms, None);
            }
            let value = match parse_pruned(payload, fields.as_deref()) {
                Ok(v) => v,
                Err(e) => return bad(json_error(&e)),
            };
            let mut rng = SplitMix::new(ctx.seed, ctx.seq);
            let mut random = move || rng.next_u128();
            let mut input = EvalInput {
                payload: &value,
                topic: meta.topic,
                clientid: meta.clientid,
                principal: meta.principal,
                timestamp_ms: meta.ts_ms,
                random: &mut random,
            };
            match template::evaluate(template, &mut input) {
                Evaluated::Key(k) if k.is_empty() => Extracted::Undefined {
                    reason: "the template evaluates to an empty key".into(),
                    ts_ms,
                },
                Evaluated::Key(k) => checked_key(Cow::Owned(k), data_bytes, ts_ms, None),
                Evaluated::Undefined { reason } => Extracted::Undefined { reason, ts_ms },
                Evaluated::Unknown { reason } => Extracted::Unknown { reason, ts_ms },
            }
        }
        KeySource::KeyPath { text, path } => {
            let value: Value = match serde_json::from_slice(payload) {
                Ok(v) => v,
                Err(e) => return bad(json_error(&e)),
            };
            let hits = match jsonpath_rust::query::js_path_process(path, &value) {
                Ok(h) => h,
                Err(e) => {
                    return Extracted::Undefined {
                        reason: format!("`{text}` failed: {e}"),
                        ts_ms,
                    };
                }
            };
            let multi = hits.len() > 1;
            let Some(first) = hits.into_iter().next() else {
                return Extracted::Undefined {
                    reason: format!("`{text}` matches nothing"),
                    ts_ms,
                };
            };
            let key = match first.val() {
                Value::String(s) => s.clone(),
                v @ (Value::Number(_) | Value::Bool(_)) => v.to_string(),
                Value::Null => {
                    return Extracted::Undefined {
                        reason: format!("`{text}` is null"),
                        ts_ms,
                    };
                }
                _ => {
                    return Extracted::Undefined {
                        reason: format!("`{text}` matches an object or array, not a key"),
                        ts_ms,
                    };
                }
            };
            if key.is_empty() {
                return Extracted::Undefined {
                    reason: format!("`{text}` is an empty string"),
                    ts_ms,
                };
            }
            match key_problem(&key) {
                Some(reason) => bad(reason),
                None => Extracted::Key {
                    key: Cow::Owned(key),
                    data_bytes,
                    ts_ms,
                    explicit: None,
                    multi,
                },
            }
        }
    }
}

/// Parses a payload keeping only the top-level members a template reads, so a record's cost
/// does not grow with fields nobody uses.
fn parse_pruned(payload: &[u8], fields: Option<&[String]>) -> Result<Value, serde_json::Error> {
    match fields {
        None => serde_json::from_slice(payload),
        Some(f) => {
            let mut de = serde_json::Deserializer::from_slice(payload);
            let v = Pruned(f).deserialize(&mut de)?;
            de.end()?;
            Ok(v)
        }
    }
}

struct Pruned<'f>(&'f [String]);

impl<'de> DeserializeSeed<'de> for Pruned<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            if self.0.iter().any(|f| *f == k) {
                out.insert(k.into_owned(), map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(e) = seq.next_element::<Value>()? {
            v.push(e);
        }
        Ok(Value::Array(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx<'static> {
        Ctx {
            seq: 0,
            seed: 1,
            topic_filter: None,
            rule_name: None,
        }
    }

    #[test]
    fn key_lines() {
        let src = KeySource::Given;
        assert!(matches!(
            extract(&src, InputFormat::Keys, "é 🚗".as_bytes(), &ctx()),
            Extracted::Key { key, .. } if key == "é 🚗"
        ));
        assert_eq!(
            extract(&src, InputFormat::Keys, b"", &ctx()),
            Extracted::Bad {
                reason: "empty key".into()
            }
        );
        let long = "🚗".repeat(256);
        assert!(matches!(
            extract(&src, InputFormat::Keys, long.as_bytes(), &ctx()),
            Extracted::Key { .. }
        ));
        let too_long = "a".repeat(257);
        assert!(matches!(
            extract(&src, InputFormat::Keys, too_long.as_bytes(), &ctx()),
            Extracted::Bad { reason } if reason.contains("`257`")
        ));
        assert!(matches!(
            extract(&src, InputFormat::Keys, b"\xff", &ctx()),
            Extracted::Bad { .. }
        ));
    }

    #[test]
    fn get_records_fields() {
        let src = KeySource::Given;
        let r = br#"{"PartitionKey":"k1","Data":"eyJhIjoxfQ==","ApproximateArrivalTimestamp":1700000000.5,"ExplicitHashKey":"42"}"#;
        assert_eq!(
            extract(&src, InputFormat::GetRecords, r, &ctx()),
            Extracted::Key {
                key: Cow::Owned("k1".into()),
                data_bytes: 7,
                ts_ms: Some(1_700_000_000_500),
                explicit: Some(42),
                multi: false
            }
        );
        let bad64 = br#"{"PartitionKey":"k1","Data":"!!!"}"#;
        assert!(matches!(
            extract(&src, InputFormat::GetRecords, bad64, &ctx()),
            Extracted::Bad { reason } if reason.contains("base64")
        ));
        let badjson = br#"{"PartitionKey":"k1","#;
        assert!(matches!(
            extract(&src, InputFormat::GetRecords, badjson, &ctx()),
            Extracted::Bad { reason } if reason.starts_with("invalid JSON")
        ));
    }

    #[test]
    fn key_path_matches() {
        let src = KeySource::key_path("$.device.id").unwrap();
        let hit = extract(
            &src,
            InputFormat::Payloads,
            br#"{"device":{"id":"d-1"}}"#,
            &ctx(),
        );
        assert!(
            matches!(hit, Extracted::Key { key, multi: false, data_bytes: 23, .. } if key == "d-1")
        );
        let num = extract(
            &src,
            InputFormat::Payloads,
            br#"{"device":{"id":7}}"#,
            &ctx(),
        );
        assert!(matches!(num, Extracted::Key { key, .. } if key == "7"));
        let miss = extract(&src, InputFormat::Payloads, br#"{"device":{}}"#, &ctx());
        assert!(
            matches!(miss, Extracted::Undefined { reason, .. } if reason.contains("matches nothing"))
        );
        let many = KeySource::key_path("$.list[*].vin").unwrap();
        let m = extract(
            &many,
            InputFormat::Envelopes,
            br#"{"topic":"t","timestamp":1667264400000,"payload":{"list":[{"vin":"A"},{"vin":"B"}]}}"#,
            &ctx(),
        );
        assert!(
            matches!(m, Extracted::Key { key, multi: true, ts_ms: Some(1_667_264_400_000), .. } if key == "A")
        );
        assert_eq!(
            extract(&src, InputFormat::Payloads, b"  ", &ctx()),
            Extracted::Skip
        );
        assert!(KeySource::key_path("$.list[*").is_err());
    }

    #[test]
    fn pruned_payload_keeps_only_read_fields() {
        let v = parse_pruned(
            br#"{"list":[{"vin":"A"}],"big":{"x":[1,2,3]},"vin":"B"}"#,
            Some(&["vin".to_string()]),
        )
        .unwrap();
        assert_eq!(v, serde_json::json!({"vin":"B"}));
        assert!(parse_pruned(b"{\"a\":", Some(&[])).is_err());
    }

    /// The same template without its compiled fast path.
    fn general(text: &str) -> KeySource {
        general_as(text, template::SqlVersion::default())
    }

    fn general_as(text: &str, version: template::SqlVersion) -> KeySource {
        let KeySource::Template {
            text,
            template,
            fields,
            ..
        } = KeySource::template(text).unwrap().with_sql_version(version)
        else {
            unreachable!()
        };
        KeySource::Template {
            text,
            template,
            fields,
            fast: None,
        }
    }

    #[test]
    fn path_fast_path_gives_the_general_result() {
        let templates = [
            "${get(get(list, 0), 'vin')}",
            "${vin}",
            "${a.b.c}",
            "${get(list, 1)}",
            "${get(get(list, 0), 'k.x')}",
            "${topic(2)}-${get(get(list, 0), 'vin')}",
            "${topic()}",
            "${topic(7)}",
            "${clientid()}/${a.b.c}",
            "dev-${vin}",
            "${vin}${vin}",
            "${a}-${a.b}",
            "${a + b}",
            "${a + '-' + b}",
            "${'x' + n}",
            "${n + 1}",
            "${n + vin}",
            "${get(get(a, 'b'), 'c')}:${get(list, 0)}",
        ];
        let long = "🚗".repeat(256);
        let too_long = "k".repeat(257);
        let mut payloads: Vec<String> = [
            r#"{"list":[{"vin":"TEST-1","lat":1.5,"lon":139.0}]}"#,
            r#"{"list":[{"vin":"TE\"ST\u00e9\n"}],"vin":"a\/b"}"#,
            r#"{"vin":"車両-é🚗","list":[{"vin":"ü"},{"vin":"x"}]}"#,
            r#"{"vin":123}"#,
            r#"{"vin":-7,"n":41}"#,
            r#"{"vin":1.5}"#,
            r#"{"vin":3.0,"n":2.5}"#,
            r#"{"vin":10.0,"n":1.5e3,"a":-0.0,"b":2e0}"#,
            r#"{"vin":12345678901234567890123,"n":9007199254740993}"#,
            r#"{"vin":1e21,"list":[1e16,2.0]}"#,
            r#"{"vin":18446744073709551615}"#,
            r#"{"vin":1e400}"#,
            r#"{"vin":true,"a":false,"b":"y"}"#,
            r#"{"vin":null}"#,
            r#"{"vin":""}"#,
            r#"{"vin":{"x":1}}"#,
            r#"{"vin":[1]}"#,
            r#"{}"#,
            r#"{"other":1}"#,
            r#"{"list":[]}"#,
            r#"{"list":[1]}"#,
            r#"{"list":[{"vin":"a"},"second"]}"#,
            r#"{"list":{"0":{"vin":"a"}}}"#,
            r#"{"list":"abc"}"#,
            r#"{"list":[{"k.x":"dotted","k":{"x":"nested"}}]}"#,
            r#"{"a":{"b":{"c":"deep"}},"list":["e0"]}"#,
            r#"{"a":{"b":"notobj"}}"#,
            r#"{"a":"x","b":"y","n":9223372036854775807}"#,
            r#"{"a":1,"b":2}"#,
            r#"{"a":"","b":""}"#,
            r#"{"vin":"first","vin":"second"}"#,
            r#"{"list":[{"vin":"a"}],"list":[]}"#,
            r#"{"list":[{"vin":"a","vin":"b"}]}"#,
            r#"{"a":{"b":{"c":"x"}},"a":{"b":{}}}"#,
            r#"{"a":{"b":{"c":"x"},"b":{"c":"y"}}}"#,
            " \t{ \"list\" : [ { \"vin\" : \"W\" } ] ,\n \"vin\":\"V\" }  \r\n",
            r#"{"list":[{"vin":"a","x":"\ud800"}]}"#,
            r#"{"list":[{"vin":"a","x":1e999}]}"#,
            r#"{"list":[{"vin":"a"}],"skip":1e999}"#,
            r#"{"vin":"a"} trailing"#,
            r#"{"vin":"a",}"#,
            r#"{"vin":"a""#,
            r#"[{"vin":"a"}]"#,
            r#""vin""#,
            "7",
            "null",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        payloads.push(format!(r#"{{"vin":"{long}"}}"#));
        payloads.push(format!(r#"{{"vin":"{too_long}"}}"#));
        let mut raw: Vec<Vec<u8>> = payloads.into_iter().map(String::into_bytes).collect();
        // Invalid UTF-8 in a member the template reads and in one it skips.
        raw.push(b"{\"list\":[{\"vin\":\"a\",\"x\":\"\xff\"}]}".to_vec());
        raw.push(b"{\"list\":[{\"vin\":\"a\"}],\"skip\":\"\xff\"}".to_vec());
        let topics = [Some("vehicles/TEST-1/location"), None];
        let mut answered = 0;
        let versions = [
            template::SqlVersion::V1,
            template::SqlVersion::V2,
            template::SqlVersion::Beta,
        ];
        for (t, version) in templates
            .iter()
            .flat_map(|t| versions.iter().map(move |v| (*t, *v)))
        {
            let fast = KeySource::template(t).unwrap().with_sql_version(version);
            let KeySource::Template { fast: Some(pk), .. } = &fast else {
                panic!("`{t}` should compile to the fast path");
            };
            let slow = general_as(t, version);
            for p in &raw {
                for topic in topics {
                    let meta = Meta {
                        topic,
                        clientid: topic.map(|_| "client-1"),
                        ..Meta::default()
                    };
                    let fm = path_key::Meta {
                        topic: meta.topic,
                        clientid: meta.clientid,
                    };
                    answered += usize::from(pk.key(p, &fm).is_some());
                    let a = from_payload(&fast, p, 9, &meta, &ctx());
                    let b = from_payload(&slow, p, 9, &meta, &ctx());
                    assert_eq!(
                        a,
                        b,
                        "`{t}` ({version:?}) on {}",
                        String::from_utf8_lossy(p)
                    );
                }
            }
        }
        assert!(answered > 100, "{answered}");
        // Through whole envelopes too.
        let env = br#"{"topic":"vehicles/TEST-9/location","clientid":"c","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-9"}]}}"#;
        for t in templates {
            assert_eq!(
                extract(
                    &KeySource::template(t).unwrap(),
                    InputFormat::Envelopes,
                    env,
                    &ctx()
                ),
                extract(&general(t), InputFormat::Envelopes, env, &ctx()),
                "{t}"
            );
        }
        for t in [
            "${newuuid()}",
            "${upper(vin)}",
            "${get(list, -1)}",
            "${get(list, 0.5)}",
            "${true}",
            "${get(topic(), 0)}",
        ] {
            assert!(
                matches!(
                    KeySource::template(t),
                    Ok(KeySource::Template { fast: None, .. })
                ),
                "{t}"
            );
        }
    }

    /// Envelope lines that exercise the one-pass reader's edges: member order, whitespace,
    /// escapes, duplicates, types, timestamps, routing, bad JSON.
    fn envelope_lines() -> Vec<Vec<u8>> {
        let long = "🚗".repeat(256);
        let too_long = "k".repeat(257);
        let mut lines: Vec<String> = [
            r#"{"topic":"vehicles/TEST-1/location","clientid":"TEST-1","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-1","timestamp":"2022-11-01T10:00:00+09:00","lat":35.000000,"lon":139.000000}]}}"#,
            r#"{"payload":{"list":[{"vin":"A"}]},"topic":"vehicles/A/location","timestamp":1667264400}"#,
            " { \"topic\" : \"vehicles/B/location\" ,\t\"payload\"\n:\r{ \"list\" : [ { \"vin\" : \"B\" } ] }  ,\n \"clientid\" : \"c\" } \r\n",
            " {\"topic\":\"vehicles/B/location\",\"payload\" :  {\"vin\":\"B\",\"a\":{\"b\":{\"c\":1}}}   \n} \t",
            r#"{"payload":{"vin":"x"}}"#,
            r#"{"payload":{"vin":"x"},"payload":{"vin":"y"}}"#,
            r#"{"topic":"a/b","topic":"c/d","payload":{"vin":"x"}}"#,
            r#"{"timestamp":1,"timestamp":2,"payload":{"vin":"x"}}"#,
            r#"{"clientid":"a","clientid":"b","payload":{"vin":"x"}}"#,
            r#"{"principal":"a","principal":"b","payload":{"vin":"x"}}"#,
            r#"{"extra":1,"extra":2,"payload":{"vin":"x"}}"#,
            r#"{"meta":{"payload":{"vin":"inner"}},"payload":{"vin":"outer"},"more":[1,{"payload":2}]}"#,
            r#"{"pay\u006coad":{"vin":"escaped key"}}"#,
            r#"{"payload":{"vin":"x"},"t\u006fpic":"vehicles/E/location"}"#,
            r#"{"t\u006fpic":"vehicles/E/location","payload":{"v\u0069n":"E\u00e9\"\n","list":[{"vin":"\ud83d\ude97"}]}}"#,
            r#"{"topic":"vehicles/車両-é/location","clientid":"é","payload":{"vin":"車両-é🚗","list":[{"vin":"ü"}]}}"#,
            r#"{"topic":null,"clientid":null,"principal":null,"timestamp":null,"payload":{"vin":"n"}}"#,
            r#"{"topic":5,"payload":{"vin":"x"}}"#,
            r#"{"clientid":["c"],"payload":{"vin":"x"}}"#,
            r#"{"principal":7,"payload":{"vin":"x"}}"#,
            r#"{"principal":"p","payload":{"vin":"x"}}"#,
            r#"{"payload":null}"#,
            r#"{"topic":"vehicles/1/location"}"#,
            r#"{"payload":[{"vin":"x"}]}"#,
            r#"{"payload":"vin"}"#,
            r#"{"payload":{}}"#,
            r#"{"payload":{"vin":null}}"#,
            r#"{"payload":{"vin":""}}"#,
            r#"{"payload":{"vin":12,"list":[{"vin":-3}]}}"#,
            r#"{"payload":{"vin":1.5,"list":[{"vin":2e3}]}}"#,
            r#"{"payload":{"vin":true,"list":[{"vin":false}]}}"#,
            r#"{"payload":{"vin":{"x":1},"list":[[{"vin":"nested"}],{"vin":"second"}]}}"#,
            r#"{"payload":{"list":[{"vin":["x"]}],"vin":[1]}}"#,
            r#"{"payload":{"0":{"vin":"zero"},"list":{"0":{"vin":"obj"}},"1":2}}"#,
            r#"{"payload":{"list":[{"vin":"a","lat":1e999}]}}"#,
            r#"{"payload":{"list":[{"vin":"a"}],"skip":1e999}}"#,
            r#"{"payload":{"list":[{"vin":"a","x":"\ud800"}]}}"#,
            r#"{"payload":{"list":[{"vin":"a","vin":"b"}],"list":[{"vin":"c"}]}}"#,
            r#"{"payload":{"a":{"b":{"c":"x"}},"a":{"b":{}}}}"#,
            r#"{"payload":{"a":"1","b":"2","c":"3","d":"4","e":"5","vin":"v"}}"#,
            r#"{"timestamp":1667264400000,"payload":{"vin":"ms"}}"#,
            r#"{"timestamp":1667264400,"payload":{"vin":"s"}}"#,
            r#"{"timestamp":-5,"payload":{"vin":"neg"}}"#,
            r#"{"timestamp":-0,"payload":{"vin":"negzero"}}"#,
            r#"{"timestamp":0,"payload":{"vin":"zero"}}"#,
            r#"{"timestamp":99999999999,"payload":{"vin":"edge"}}"#,
            r#"{"timestamp":100000000000,"payload":{"vin":"edge"}}"#,
            r#"{"timestamp":319999999999999,"payload":{"vin":"far"}}"#,
            r#"{"timestamp":320000000000000,"payload":{"vin":"too far"}}"#,
            r#"{"timestamp":9007199254740993,"payload":{"vin":"big"}}"#,
            r#"{"timestamp":18446744073709551615,"payload":{"vin":"max"}}"#,
            r#"{"timestamp":100000000000000000000,"payload":{"vin":"overflow"}}"#,
            r#"{"timestamp":1667264400.5,"payload":{"vin":"dec"}}"#,
            r#"{"timestamp":1.6672644e12,"payload":{"vin":"exp"}}"#,
            r#"{"timestamp":"2022-11-01T10:00:00+09:00","payload":{"vin":"rfc"}}"#,
            r#"{"timestamp":"2022-11-01 10:00:00.25Z","payload":{"vin":"rfc"}}"#,
            r#"{"timestamp":"1667264400000","payload":{"vin":"text"}}"#,
            r#"{"timestamp":" 1667264400 ","payload":{"vin":"text"}}"#,
            r#"{"timestamp":"2022-13-45T99:99:99Z","payload":{"vin":"bad"}}"#,
            r#"{"timestamp":"soon","payload":{"vin":"bad"}}"#,
            r#"{"timestamp":"2022-11-01T10:00:00\u002b09:00","payload":{"vin":"esc"}}"#,
            r#"{"timestamp":true,"payload":{"vin":"bool"}}"#,
            r#"{"timestamp":{"s":1},"payload":{"vin":"obj"}}"#,
            r#"{"topic":"$aws/rules/r1/vehicles/9/location","payload":{"vin":"basic"}}"#,
            r#"{"topic":"$aws/rules/r2/vehicles/9/location","payload":{"vin":"basic"}}"#,
            r#"{"topic":"$aws/rules/r1","payload":{"vin":"basic"}}"#,
            r#"{"topic":"other/9","payload":{"vin":"o"}}"#,
            r#"{"topic":"other/9","payload":{"list":[{"vin":"a","lat":1e999}]}}"#,
            r#"{"topic":"other/9","payload":{"vin":"o","vin":"p"},"topic":"x"}"#,
            r#"{"topic":"vehicles/T/location","payload":{"vin":"a"}} trailing"#,
            r#"{"topic":"vehicles/T/location","payload":{"vin":"a"},}"#,
            r#"{"topic":"vehicles/T/location","payload":{"vin":"a"}"#,
            r#"{"topic":"vehicles/T/location","payload":{"vin":"a"}}}"#,
            r#"{"topic":"vehicles/T/location","payload":{"vin":"a"},"x":}"#,
            r#"["vehicles/T/location","c","p",1667264400000,{"vin":"seq"}]"#,
            r#"{"topic":"a","timestamp":"soon","payload":{}}"#,
            // Edges the strict cursor must leave to the full path (issue 17): out-of-range
            // numbers, lone or broken surrogates, bad escapes, control characters, bad number
            // grammar, deep nesting, on and off the template's paths and in the envelope.
            r#"{"payload":{"list":[{"vin":"a"}]},"x":1e400}"#,
            r#"{"payload":{"list":[{"vin":"a"}]},"x":-1e400}"#,
            r#"{"payload":{"list":[{"vin":"a","lat":1e308}]}}"#,
            r#"{"payload":{"list":[{"vin":"a","lat":1e-400}]}}"#,
            r#"{"payload":{"vin":1e300,"list":[{"vin":123456789012345678901234}]}}"#,
            r#"{"payload":{"vin":-0,"list":[{"vin":-0.0}]}}"#,
            r#"{"payload":{"vin":9223372036854775808,"list":[{"vin":-9223372036854775809}]}}"#,
            r#"{"payload":{"vin":"\ud800"}}"#,
            r#"{"payload":{"vin":"\udc00x"}}"#,
            r#"{"payload":{"vin":"\ud800\u0041"}}"#,
            r#"{"payload":{"list":[{"vin":"a"}],"skip":"\ud800"}}"#,
            r#"{"topic":"v/\ud800/l","payload":{"vin":"a"}}"#,
            r#"{"clientid":"\udfff","payload":{"vin":"a"}}"#,
            r#"{"payload":{"vin":"\x"}}"#,
            r#"{"payload":{"vin":"a"},"skip":"\u12G4"}"#,
            r#"{"payload":{"vin":"\u0041\/\b\f\n\r\t"}}"#,
            "{\"payload\":{\"vin\":\"a\u{1}b\"}}",
            "{\"payload\":{\"list\":[{\"vin\":\"a\"}],\"skip\":\"tab\there\"}}",
            "{\"topic\":\"v/\u{1f}/l\",\"payload\":{\"vin\":\"a\"}}",
            r#"{"payload":{"vin":01}}"#,
            r#"{"payload":{"vin":"a","x":1.}}"#,
            r#"{"payload":{"vin":"a","x":.5}}"#,
            r#"{"payload":{"vin":"a","x":+1}}"#,
            r#"{"payload":{"vin":"a","x":1e}}"#,
            r#"{"payload":{"vin":"a","x":[1,]}}"#,
            r#"{"payload":{"vin":"a","x":tru}}"#,
            r#"{"payload":{"vin":"a","x":nul}}"#,
            r#"{"timestamp":01667264400000,"payload":{"vin":"a"}}"#,
            r#"{"timestamp":1667264400000,"payload":{"vin":"a"},"timestamp":1}"#,
            r#"{"payload":{"vin":"a"},"payload":{"vin":"a"}}"#,
            r#"{"payload":{"vin":"a"}}{}"#,
            r#"{"payload":{"vin":"a"}} ,"#,
            "\u{feff}{\"payload\":{\"vin\":\"a\"}}",
            r#"{"payload":{"vin":"a","deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"#,
            r#""envelope""#,
            "null",
            "",
            "   ",
            "\x0c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        lines.push(format!(r#"{{"payload":{{"vin":"{long}"}}}}"#));
        lines.push(format!(r#"{{"payload":{{"vin":"{too_long}"}}}}"#));
        let mut raw: Vec<Vec<u8>> = lines.into_iter().map(String::into_bytes).collect();
        // Invalid UTF-8 in the topic, in a payload member on the path and in one off it.
        raw.push(b"{\"topic\":\"v/\xff\",\"payload\":{\"vin\":\"a\"}}".to_vec());
        raw.push(b"{\"payload\":{\"list\":[{\"vin\":\"a\",\"x\":\"\xff\"}]}}".to_vec());
        raw.push(b"{\"skip\":\"\xff\",\"payload\":{\"vin\":\"a\"}}".to_vec());
        raw
    }

    const ENVELOPE_TEMPLATES: [&str; 8] = [
        "${get(get(list, 0), 'vin')}",
        "${vin}",
        "${topic(2)}-${get(get(list, 0), 'vin')}",
        "${clientid()}/${a.b.c}",
        "${topic()}",
        "dev-${vin}",
        "${a}${b}${c}${d}${e}${vin}",
        "${get(get(list, 1), 'vin')}${vin + 1}",
    ];

    fn envelope_ctxs() -> [Ctx<'static>; 5] {
        let c = |topic_filter, rule_name| Ctx {
            seq: 3,
            seed: 1,
            topic_filter,
            rule_name,
        };
        [
            c(None, None),
            c(Some("vehicles/+/location"), None),
            c(Some("other/#"), None),
            c(None, Some("r1")),
            c(Some("vehicles/#"), Some("r2")),
        ]
    }

    #[test]
    fn envelope_one_pass_gives_the_full_result() {
        let lines = envelope_lines();
        let mut answered = 0;
        let mut skipped = 0;
        let mut borrowed = 0;
        for t in ENVELOPE_TEMPLATES {
            let fast = KeySource::template(t).unwrap();
            let KeySource::Template { fast: Some(pk), .. } = &fast else {
                panic!("`{t}` should compile to the fast path");
            };
            let slow = general(t);
            for ctx in envelope_ctxs() {
                let mut shapes = LineShapes::default();
                for raw in &lines {
                    let one = one_pass_envelope(pk, raw, &ctx, &mut LineShapes::default());
                    answered += usize::from(one.is_some());
                    skipped += usize::from(matches!(one, Some(Extracted::Skip)));
                    borrowed += usize::from(matches!(
                        one,
                        Some(Extracted::Key {
                            key: Cow::Borrowed(_),
                            ..
                        })
                    ));
                    let a = extract(&fast, InputFormat::Envelopes, raw, &ctx);
                    let b = extract(&slow, InputFormat::Envelopes, raw, &ctx);
                    let shown = String::from_utf8_lossy(raw);
                    assert_eq!(a, b, "`{t}` ({:?}) on {shown}", ctx.topic_filter);
                    // Read after every other line, by the shapes those left.
                    let shaped =
                        extract_with(&fast, InputFormat::Envelopes, raw, &ctx, &mut shapes);
                    assert_eq!(shaped, b, "`{t}` by shape on {shown}");
                    if let Some(one) = one {
                        assert_eq!(one, b, "`{t}` one pass on {shown}");
                    }
                }
            }
        }
        // The one pass answers most lines itself (the comparison above is not only the full
        // path against itself), including routing and borrowed keys.
        eprintln!("answered {answered} skipped {skipped} borrowed {borrowed}");
        assert!(answered > 400, "{answered}");
        assert!(skipped > 50, "{skipped}");
        assert!(borrowed > 100, "{borrowed}");
    }

    #[test]
    fn envelope_one_pass_agrees_on_mutated_lines() {
        // Single-byte edits of valid envelopes, biased to JSON's structural bytes: every
        // answer of the one pass must be the full path's.
        let seeds = [
            &br#"{"topic":"vehicles/TEST-1/location","clientid":"TEST-1","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-1","lat":35.0}]}}"#[..],
            br#"{ "payload" : { "vin" : "V", "a" : { "b" : { "c" : "C" } } } , "topic" : "vehicles/V/location" }"#,
        ];
        let alphabet = b"{}[]\":, \\u0e1-.x\n";
        let mut rng = SplitMix::new(7, 0);
        let mut answered = 0;
        let sources: Vec<(KeySource, KeySource)> = ENVELOPE_TEMPLATES
            .iter()
            .map(|t| (KeySource::template(t).unwrap(), general(t)))
            .collect();
        let ctx = &envelope_ctxs()[1];
        for round in 0..4000 {
            let mut line = seeds[round % seeds.len()].to_vec();
            for _ in 0..1 + rng.next_u64() % 2 {
                let at = (rng.next_u64() % (line.len() as u64 + 1)) as usize;
                let b = alphabet[(rng.next_u64() % alphabet.len() as u64) as usize];
                match rng.next_u64() % 3 {
                    0 if at < line.len() => {
                        line.remove(at);
                    }
                    1 if at < line.len() => line[at] = b,
                    _ => line.insert(at, b),
                }
            }
            let (fast, slow) = &sources[round % sources.len()];
            let KeySource::Template { fast: Some(pk), .. } = fast else {
                unreachable!()
            };
            answered += usize::from(
                one_pass_envelope(pk, &line, ctx, &mut LineShapes::default()).is_some(),
            );
            assert_eq!(
                extract(fast, InputFormat::Envelopes, &line, ctx),
                extract(slow, InputFormat::Envelopes, &line, ctx),
                "{}",
                String::from_utf8_lossy(&line)
            );
        }
        assert!(answered > 500, "{answered}");
    }

    /// One random edit of an envelope line: a flipped bit, a byte replaced, inserted or
    /// removed, or a JSON edge spliced in.
    fn mutate(line: &mut Vec<u8>, rng: &mut SplitMix) {
        const BYTES: &[u8] =
            b"{}[]\":,. \\/u0123456789abcdefABCDEFeE+-ntrlsx\t\n\r\x00\x01\x1f\x7f\x80\xc3\xa9\xff";
        const SPLICES: [&str; 12] = [
            "1e400",
            r#""\ud800""#,
            r#"\udc00"#,
            r#"\x"#,
            "\u{1}",
            r#","topic":"x""#,
            r#","payload":{}"#,
            " x",
            "-0",
            "[[[[",
            r#"\u0041"#,
            "🚗",
        ];
        let mut pick = |n: usize| (rng.next_u64() % n as u64) as usize;
        let at = pick(line.len() + 1);
        match pick(5) {
            0 if at < line.len() => line[at] ^= 1 << pick(8),
            1 if at < line.len() => line[at] = BYTES[pick(BYTES.len())],
            2 if at < line.len() => drop(line.remove(at)),
            3 => line.insert(at, BYTES[pick(BYTES.len())]),
            _ => {
                let s = SPLICES[pick(SPLICES.len())].as_bytes();
                line.splice(at..at, s.iter().copied());
            }
        }
    }

    #[test]
    fn envelope_one_pass_agrees_with_the_full_path_on_random_edits() {
        // Seed-shaped envelopes with random edits (deterministic seed): the one pass never
        // answers a line the full path (`records::decode`, then `from_record`) rejects, and when
        // it answers, the key, time, size, topic and client are the full path's.
        let seeds: [&[u8]; 3] = [
            br#"{"topic":"vehicles/TEST-100001/location","clientid":"TEST-100001","timestamp":1667264400000,"payload":{"list":[{"vin":"TEST-100001","timestamp":"2022-11-01T10:00:00+09:00","lat":35.000000,"lon":139.000000}]}}"#,
            br#"{"topic":"vehicles/A\/1/location","clientid":"c\u00e9","timestamp":"2022-11-01T10:00:00Z","principal":null,"payload":{"vin":"V\n","a":{"b":{"c":-1.5e2}},"list":[{"vin":12},{"vin":"x"}],"e":[true,false,null]}}"#,
            br#" { "payload" : { "list" : [ { "vin" : "S" } ] } , "topic" : "vehicles/S/location" } "#,
        ];
        let sources: Vec<(KeySource, KeySource)> = ENVELOPE_TEMPLATES
            .iter()
            .map(|t| (KeySource::template(t).unwrap(), general(t)))
            .collect();
        let ctxs = envelope_ctxs();
        let mut rng = SplitMix::new(17, 5);
        let (mut answered, mut keyed, mut left, mut by_shape) = (0, 0, 0, 0);
        for round in 0..8000 {
            let mut line = seeds[round % seeds.len()].to_vec();
            for _ in 0..1 + rng.next_u64() % 2 {
                mutate(&mut line, &mut rng);
            }
            let (fast, slow) = &sources[round % sources.len()];
            let KeySource::Template { fast: Some(pk), .. } = fast else {
                unreachable!()
            };
            let ctx = &ctxs[round % ctxs.len()];
            let shown = String::from_utf8_lossy(&line);
            let full = extract(slow, InputFormat::Envelopes, &line, ctx);
            // By the shape of the unedited line: the same answer, and read by the shape when
            // the edit kept it.
            let mut shapes = LineShapes::default();
            let seed = seeds[round % seeds.len()];
            // (Its key may be one only the full path forms: the shape is taken all the same.)
            one_pass_envelope(pk, seed, ctx, &mut shapes);
            by_shape += usize::from(shapes.reads(pk, &line));
            let shaped = extract_with(fast, InputFormat::Envelopes, &line, ctx, &mut shapes);
            assert_eq!(shaped, full, "by shape: {shown}");
            if let Some(one) = one_pass_envelope(pk, &line, ctx, &mut LineShapes::default()) {
                assert!(!matches!(full, Extracted::Bad { .. }), "answered {shown}");
                assert_eq!(one, full, "{shown}");
                answered += 1;
                keyed += usize::from(matches!(one, Extracted::Key { .. }));
            } else {
                left += 1;
            }
            assert_eq!(
                extract(fast, InputFormat::Envelopes, &line, ctx),
                full,
                "{shown}"
            );
            // The envelope fields themselves, whatever the template reads.
            let fields = envelope::scan(
                pk,
                &line,
                &mut LineShapes::default(),
                envelope::Want::ALL,
                |f, _| Some((f.topic, f.clientid, f.ts_ms, f.data_bytes)),
            );
            if let Some((topic, clientid, ts_ms, data_bytes)) = fields {
                let Decoded::Record(rec) = records::decode(InputFormat::Envelopes, &line) else {
                    panic!("scanned a line decode rejects: {shown}");
                };
                assert_eq!(
                    (topic, clientid, ts_ms, data_bytes),
                    (rec.topic, rec.clientid, rec.ts_ms, rec.data_bytes),
                    "{shown}"
                );
            }
        }
        // Both sides are exercised: lines answered by the one pass and lines left to the full
        // path.
        eprintln!("answered {answered} keyed {keyed} left {left} by shape {by_shape}");
        assert!(
            answered > 1000 && keyed > 450 && left > 3000 && by_shape > 1000,
            "{answered} {keyed} {left} {by_shape}"
        );
    }

    #[test]
    fn event_one_pass_gives_the_full_result() {
        let events = [
            r#"{"version":"0","id":"1","detail-type":"Order","source":"shop","time":"2019-12-17T20:10:52Z","detail":{"id":"o-1","vin":"V1"},"vin":"top"}"#,
            r#"{"vin":"A","time":1576613452000,"list":[{"vin":"L"}]}"#,
            r#"{"time":1576613452,"vin":"s"}"#,
            r#"{"time":null,"vin":"n"}"#,
            r#"{"vin":"no time"}"#,
            r#"{"time":"soon","vin":"bad"}"#,
            r#"{"time":"2019-12-17T20:10:52Z","time":"2019-12-17T20:10:53Z","vin":"dup"}"#,
            r#"{"ti\u006de":1576613452000,"vin":"esc"}"#,
            r#"{"time":1.5e12,"vin":"dec"}"#,
            r#"{"time":"2019-12-17T20:10:52\u005a","vin":"escaped time"}"#,
            r#"{"vin":"a","vin":"b","time":0}"#,
            r#"{"vin":"a","list":[{"vin":"x","n":1e999}]}"#,
            r#"{"vin":"a","skip":1e999}"#,
            r#"{"vin":"","time":1}"#,
            r#"{"vin":null}"#,
            r#"{"vin":"a"} x"#,
            r#"["2019-12-17T20:10:52Z"]"#,
            r#"{"time":{"a":1},"vin":"obj"}"#,
            "  ",
            "",
        ];
        let templates = [
            "${vin}",
            "${get(get(list, 0), 'vin')}",
            "${time}",
            "${detail.id}-${vin}",
            "${clientid()}",
        ];
        let mut answered = 0;
        for t in templates {
            let fast = KeySource::template(t).unwrap();
            let KeySource::Template { fast: Some(pk), .. } = &fast else {
                panic!("`{t}` should compile to the fast path");
            };
            let slow = general(t);
            for e in events {
                let one = one_pass_event(pk, e.as_bytes());
                answered += usize::from(one.is_some());
                let b = extract(&slow, InputFormat::Events, e.as_bytes(), &ctx());
                assert_eq!(
                    extract(&fast, InputFormat::Events, e.as_bytes(), &ctx()),
                    b,
                    "`{t}` on {e}"
                );
                if let Some(one) = one {
                    assert_eq!(one, b, "`{t}` one pass on {e}");
                }
            }
        }
        assert!(answered >= 15, "{answered}");
    }
}
