//! Arrivals for the simulator: a generated producer (`--keys K --records-per-key R --interval`,
//! seed 1's put_records.rb) or records read from `aws kinesis get-records` JSON. Both give a plain
//! `Vec<Arrival>`, so the sample readers of `distribute` can feed the engine the same way.

use std::collections::HashMap;

use base64::Engine as _;

use super::model::Arrival;

/// `R` rounds; in each, one record per key, keys in the given order, all at the round's instant
/// (`(round - 1) * interval`). The shard order inside a round is the key order, as a producer
/// sending them in one PutRecords call would get.
pub fn generate(
    keys: &[String],
    records_per_key: u32,
    interval_ms: u64,
    bytes: u32,
) -> Vec<Arrival> {
    let mut out = Vec::with_capacity(keys.len() * records_per_key as usize);
    for round in 1..=records_per_key {
        for key in keys {
            out.push(Arrival {
                key: key.clone(),
                seq: round,
                sequence: out.len() as u64,
                arrival_ms: (round as u64 - 1) * interval_ms,
                bytes,
            });
        }
    }
    out
}

/// `--keys 5` means keys `1`..`5` (seed 1); anything else is a comma-separated list of keys.
pub fn parse_keys(s: &str) -> Result<Vec<String>, String> {
    if let Ok(n) = s.trim().parse::<u64>() {
        if n == 0 || n > 10_000_000 {
            return Err(format!("`--keys {s}`: give 1..10000000 keys"));
        }
        return Ok((1..=n).map(|i| i.to_string()).collect());
    }
    let keys: Vec<String> = s
        .split(',')
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() {
        return Err(format!("`--keys {s}` names no key"));
    }
    Ok(keys)
}

/// Reads one or more concatenated `aws kinesis get-records` outputs
/// (`{"Records": [{"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"}]}`).
/// Arrival times are relative to the earliest record; per-key numbers count in stream order.
pub fn from_get_records(text: &str) -> Result<Vec<Arrival>, String> {
    struct Raw {
        key: String,
        seqnum: String,
        at_ms: i64,
        bytes: u32,
    }
    let mut raws = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    for (doc_index, doc) in stream.enumerate() {
        let doc = doc.map_err(|e| format!("not JSON: {e}"))?;
        let records = doc
            .get("Records")
            .and_then(|r| r.as_array())
            .ok_or_else(|| {
                format!(
                    "document {} has no `Records` array: expected `aws kinesis get-records` output",
                    doc_index + 1
                )
            })?;
        for (i, r) in records.iter().enumerate() {
            let at = |what: &str| format!("`Records[{i}]` of document {}: {what}", doc_index + 1);
            let key = r
                .get("PartitionKey")
                .and_then(|k| k.as_str())
                .ok_or_else(|| at("no `PartitionKey`"))?;
            let ts = r
                .get("ApproximateArrivalTimestamp")
                .ok_or_else(|| at("no `ApproximateArrivalTimestamp`"))?;
            let at_ms = match ts {
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .map(|s| (s * 1000.0).round() as i64)
                    .ok_or_else(|| at("bad `ApproximateArrivalTimestamp`"))?,
                serde_json::Value::String(s) => {
                    crate::timestamp::parse_rfc3339_ms(s).ok_or_else(|| {
                        at(&format!(
                            "`ApproximateArrivalTimestamp` `{s}` is not a timestamp"
                        ))
                    })?
                }
                _ => return Err(at("bad `ApproximateArrivalTimestamp`")),
            };
            let bytes = match r.get("Data").and_then(|d| d.as_str()) {
                Some(d) => base64::engine::general_purpose::STANDARD
                    .decode(d)
                    .map(|v| v.len() as u32)
                    // Not base64 (hand-written samples): count the text as the data.
                    .unwrap_or(d.len() as u32),
                None => 0,
            };
            let seqnum = r
                .get("SequenceNumber")
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string();
            raws.push(Raw {
                key: key.to_string(),
                seqnum,
                at_ms,
                bytes,
            });
        }
    }
    if raws.is_empty() {
        return Err("no records in the sample file".into());
    }
    // Kinesis sequence numbers are decimal strings of growing length: compare by length first.
    raws.sort_by(|a, b| {
        a.at_ms
            .cmp(&b.at_ms)
            .then(a.seqnum.len().cmp(&b.seqnum.len()))
            .then(a.seqnum.cmp(&b.seqnum))
    });
    let origin = raws[0].at_ms;
    let mut per_key: HashMap<String, u32> = HashMap::new();
    Ok(raws
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let n = per_key.entry(r.key.clone()).or_insert(0);
            *n += 1;
            Arrival {
                seq: *n,
                key: r.key,
                sequence: i as u64,
                arrival_ms: (r.at_ms - origin) as u64,
                bytes: r.bytes,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_one_producer() {
        let keys = parse_keys("5").unwrap();
        let a = generate(&keys, 30, 1000, 10);
        assert_eq!(a.len(), 150);
        assert_eq!((a[0].key.as_str(), a[0].seq, a[0].arrival_ms), ("1", 1, 0));
        assert_eq!(
            (a[7].key.as_str(), a[7].seq, a[7].arrival_ms),
            ("3", 2, 1000)
        );
        assert_eq!(parse_keys("a, b").unwrap(), vec!["a", "b"]);
        assert!(parse_keys("0").is_err());
    }

    #[test]
    fn get_records_json() {
        let text = r#"{"Records":[
          {"SequenceNumber":"2","ApproximateArrivalTimestamp":1578981671.5,"Data":"aGVsbG8=","PartitionKey":"a"},
          {"SequenceNumber":"1","ApproximateArrivalTimestamp":1578981670.0,"Data":"aGk=","PartitionKey":"a"},
          {"SequenceNumber":"3","ApproximateArrivalTimestamp":"2020-01-14T06:01:12Z","Data":"","PartitionKey":"b"}
        ]}"#;
        let a = from_get_records(text).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!((a[0].seq, a[0].arrival_ms, a[0].bytes), (1, 0, 2));
        assert_eq!((a[1].seq, a[1].arrival_ms, a[1].bytes), (2, 1500, 5));
        assert_eq!((a[2].key.as_str(), a[2].arrival_ms), ("b", 2000));
        assert!(from_get_records("{}").unwrap_err().contains("`Records`"));
        assert!(from_get_records("nope").is_err());
    }
}
