//! Arrivals for the simulator: a generated producer (`--keys K --records-per-key R --interval`,
//! seed 1's put_records.rb) or records read in order through the records layer (`aws kinesis
//! get-records` JSON, the same reader `distribute` and `check --samples` use). Both give a plain
//! `Vec<Arrival>`.

use std::collections::HashMap;

use std::path::PathBuf;

use super::model::Arrival;
use crate::keyspace;
use crate::records::{self, InputFormat};

/// `R` rounds; in each, one record per key, keys in the given order, all at the round's instant
/// (`(round - 1) * interval`). The shard order inside a round is the key order, as a producer
/// sending them in one PutRecords call would get.
pub fn generate(
    keys: &[String],
    records_per_key: u32,
    interval_ms: u64,
    bytes: u32,
) -> Vec<Arrival> {
    generate_us(
        keys,
        records_per_key,
        interval_ms.saturating_mul(1000),
        bytes,
    )
}

/// [`generate`] with the interval in microseconds, for a rate whose interval is not whole
/// milliseconds (5 keys at 8,000 records/s: a round every 625 µs).
pub fn generate_us(
    keys: &[String],
    records_per_key: u32,
    interval_us: u64,
    bytes: u32,
) -> Vec<Arrival> {
    let mut out = Vec::with_capacity(keys.len() * records_per_key as usize);
    for round in 1..=records_per_key {
        for key in keys {
            out.push(Arrival {
                key: key.clone(),
                seq: round,
                sequence: out.len() as u64,
                arrival_ms: (round as u64 - 1).saturating_mul(interval_us) / 1000,
                bytes,
                explicit_hash_key: None,
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

/// Arrivals from sample files read through the records layer, in order: `aws kinesis
/// get-records` outputs (one or more concatenated, `.gz`, `-` = stdin), or any records that carry
/// a partition key and an arrival time. Arrival times are relative to the earliest record;
/// per-key numbers count in stream order. A record without key or time, or a bad one, is an
/// error naming it: a simulation of part of the records would answer another question.
pub fn from_samples(paths: &[PathBuf]) -> Result<Vec<Arrival>, String> {
    struct Raw {
        key: String,
        seqnum: String,
        at_ms: i64,
        bytes: u32,
        explicit: Option<u128>,
    }
    let (records, formats) =
        records::read_ordered(paths, InputFormat::Auto, MAX_ARRIVALS).map_err(|p| p.to_string())?;
    for (i, f) in formats.iter().enumerate() {
        if matches!(
            f,
            InputFormat::Payloads | InputFormat::Envelopes | InputFormat::Events
        ) {
            return Err(format!(
                "`{}` holds {} records, which carry no partition key: give `aws kinesis get-records` output",
                paths[i].display(),
                f.name()
            ));
        }
    }
    let mut raws = Vec::with_capacity(records.len());
    for r in records {
        let at = |what: &str| {
            format!(
                "`{}` {} {}: {what}",
                paths[r.input].display(),
                r.unit.name(),
                r.no
            )
        };
        let Some(key) = r.key else {
            return Err(at("no `PartitionKey`"));
        };
        if let Some(why) = keyspace::key_problem(&key) {
            return Err(at(&why));
        }
        let Some(at_ms) = r.ts_ms else {
            return Err(at(
                "no arrival time (`ApproximateArrivalTimestamp`): the simulator needs one per record",
            ));
        };
        raws.push(Raw {
            key,
            seqnum: r.sequence_number.unwrap_or_default(),
            at_ms,
            bytes: u32::try_from(r.data_bytes).unwrap_or(u32::MAX),
            explicit: r.explicit_hash_key,
        });
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
                explicit_hash_key: r.explicit,
            }
        })
        .collect())
}

/// Records the simulator keeps in memory at most (it orders them all).
pub const MAX_ARRIVALS: usize = 50_000_000;

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
          {"SequenceNumber":"3","ApproximateArrivalTimestamp":"2020-01-14T06:01:12Z","Data":"","PartitionKey":"b","ExplicitHashKey":"7"}
        ]}"#;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gr.json");
        std::fs::write(&p, text).unwrap();
        let a = from_samples(std::slice::from_ref(&p)).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!((a[0].seq, a[0].arrival_ms, a[0].bytes), (1, 0, 2));
        assert_eq!((a[1].seq, a[1].arrival_ms, a[1].bytes), (2, 1500, 5));
        assert_eq!((a[2].key.as_str(), a[2].arrival_ms), ("b", 2000));
        assert_eq!(a[2].explicit_hash_key, Some(7));
        std::fs::write(&p, r#"{"Records":[{"PartitionKey":"a","Data":""}]}"#).unwrap();
        let e = from_samples(std::slice::from_ref(&p)).unwrap_err();
        assert!(e.contains("element 1: no arrival time"), "{e}");
        std::fs::write(&p, "{\"a\":1}\n").unwrap();
        assert!(from_samples(&[p]).unwrap_err().contains("payloads records"));
    }
}
