//! The simulator's inputs: arrivals, the mapping and function settings ([`SimConfig`]) and the
//! named modelling assumptions with their defaults; plus the parsers for durations and record-time
//! distributions that the command line and the lead's `check` share. Nothing here runs the model.

use crate::model::limits;
use crate::model::{EventSourceMapping, ValState};
use crate::ordering::GroupModel;

/// One record put on the stream. The order of a `Vec<Arrival>` is not trusted: the engine sorts
/// by (`arrival_ms`, `sequence`), which is the shard-level order Kinesis gives records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub key: String,
    /// Per-key record number, 1-based (seed 1 labels records `key-seq`, e.g. `1-5`).
    pub seq: u32,
    /// Stream-level order among records with the same `arrival_ms` (a Kinesis sequence number, or
    /// the index in the producer's output).
    pub sequence: u64,
    /// ApproximateArrivalTimestamp, in milliseconds on any fixed origin.
    pub arrival_ms: u64,
    /// Size of the record's data blob, before base64.
    pub bytes: u32,
    /// `ExplicitHashKey`, when the producer set one: it, not the key's MD5, picks the shard.
    pub explicit_hash_key: Option<u128>,
}

/// Per-record processing time of the function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RecordTime {
    Fixed {
        ms: u64,
    },
    /// Log-normal fitted to two quantiles: median `p50`, and `p99` (sigma = ln(p99/p50) / 2.326).
    LogNormal {
        p50_ms: f64,
        p99_ms: f64,
    },
}

/// z-score of the 99th percentile of a standard normal.
pub const Z99: f64 = 2.326_347_874;

impl RecordTime {
    pub fn mean_ms(&self) -> f64 {
        match *self {
            RecordTime::Fixed { ms } => ms as f64,
            RecordTime::LogNormal { p50_ms, p99_ms } => {
                let sigma = (p99_ms / p50_ms).ln() / Z99;
                p50_ms * (sigma * sigma / 2.0).exp()
            }
        }
    }
    pub fn describe(&self) -> String {
        match *self {
            RecordTime::Fixed { ms } => format_duration(ms),
            RecordTime::LogNormal { p50_ms, p99_ms } => format!(
                "log-normal p50={} p99={}",
                format_duration(p50_ms.round() as u64),
                format_duration(p99_ms.round() as u64)
            ),
        }
    }
}

/// Retry backoff between failed attempts of a stream batch. AWS does not document one (aws-facts
/// §3.3, NOT FOUND); seed 1 saw gaps growing 0, 1, 1, 2, 3, 7 s. Named assumption: the n-th retry
/// waits `initial * multiplier^(n-1)`, capped at `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub initial_ms: u64,
    pub multiplier: f64,
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_ms: 1_000,
            multiplier: 2.0,
            max_ms: 60_000,
        }
    }
}

impl Backoff {
    /// Wait before retry number `n` (1-based).
    pub fn delay_ms(&self, n: u32) -> u64 {
        let mut d = self.initial_ms as f64;
        for _ in 1..n {
            d *= self.multiplier;
            if d >= self.max_ms as f64 {
                break;
            }
        }
        (d as u64).min(self.max_ms)
    }
}

/// Kinesis default retention (24 h): what `MaximumRecordAgeInSeconds = -1` means in the model.
pub const DEFAULT_RETENTION_MS: u64 = limits::RETENTION_HOURS.default as u64 * 3_600_000;
/// Lambda polls a shard about once per second (aws-facts §3.3).
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 1_000;
/// Named assumption: each record costs its base64 data plus this much JSON envelope in the event
/// (eventID, sequence number, ARN, ...), counted against the 6 MB payload.
pub const RECORD_ENVELOPE_BYTES: u64 = 400;
/// A guard against runaway runs (e.g. zero backoff with a year of retention).
pub const DEFAULT_MAX_INVOCATIONS: u64 = 20_000_000;

/// Bytes one record takes in the invocation payload.
pub fn event_bytes(data_bytes: u32) -> u64 {
    (data_bytes as u64).div_ceil(3) * 4 + RECORD_ENVELOPE_BYTES
}

/// A record that always fails its batch (`--poison KEY:SEQ`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poison {
    pub key: String,
    pub seq: u32,
}

/// Everything the engine needs besides the arrivals and the shard map.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub batch_size: u32,
    pub batching_window_ms: u64,
    pub parallelization_factor: u32,
    pub group_model: GroupModel,
    /// -1 = unbounded (retry until the record age limit).
    pub max_retry_attempts: i64,
    /// `None` = -1: bounded only by the stream's retention.
    pub max_record_age_ms: Option<u64>,
    pub retention_ms: u64,
    pub bisect_on_error: bool,
    pub on_failure_destination: Option<String>,
    pub report_batch_item_failures: bool,
    pub poll_interval_ms: u64,
    pub payload_limit_bytes: u64,
    pub record_time: RecordTime,
    pub invocation_overhead_ms: u64,
    pub timeout_ms: u64,
    pub poison: Vec<Poison>,
    /// Probability that an attempt fails as a whole (function error), from the seeded PRNG.
    pub fail_rate: f64,
    pub backoff: Backoff,
    pub seed: u64,
    pub max_invocations: u64,
}

impl Default for SimConfig {
    /// AWS defaults for a Kinesis mapping (aws-facts §3.1); a function taking 100 ms per record
    /// whose timeout is the 900 s maximum (§3.5), so that only a stated timeout cuts batches.
    fn default() -> Self {
        SimConfig {
            batch_size: limits::BATCH_SIZE.default as u32,
            batching_window_ms: limits::BATCHING_WINDOW.default as u64 * 1000,
            parallelization_factor: limits::PARALLELIZATION_FACTOR.default as u32,
            group_model: GroupModel::default(),
            max_retry_attempts: limits::MAX_RETRY_ATTEMPTS.default,
            max_record_age_ms: None,
            retention_ms: DEFAULT_RETENTION_MS,
            bisect_on_error: false,
            on_failure_destination: None,
            report_batch_item_failures: false,
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            payload_limit_bytes: limits::INVOKE_PAYLOAD_BYTES,
            record_time: RecordTime::Fixed { ms: 100 },
            invocation_overhead_ms: 0,
            timeout_ms: limits::FUNCTION_TIMEOUT_MAX as u64 * 1000,
            poison: Vec::new(),
            fail_rate: 0.0,
            backoff: Backoff::default(),
            seed: 1,
            max_invocations: DEFAULT_MAX_INVOCATIONS,
        }
    }
}

impl SimConfig {
    /// The mapping's settings, AWS defaults where absent. `function_timeout_s` is the function's
    /// `Timeout` (pass AWS's default 3 s when the function is known but `Timeout` is absent;
    /// `None` keeps 900 s, i.e. no cut). Unknown values (unresolvable expressions) and values
    /// outside AWS's ranges are errors naming the logical path: the simulator does not guess.
    /// Function-side settings (record time, overhead) keep their defaults for the caller to set.
    pub fn from_mapping(
        m: &EventSourceMapping,
        function_timeout_s: Option<i64>,
    ) -> Result<SimConfig, String> {
        fn int(v: &crate::model::Val<i64>, p: &limits::EsmParam) -> Result<i64, String> {
            let x = match &v.state {
                ValState::Known(x) => *x,
                ValState::Absent => p.default,
                ValState::Unknown(why) => {
                    return Err(format!(
                        "`{}` is not known statically ({why}): pass it as a flag",
                        v.path
                    ));
                }
            };
            if !p.range.contains(x) {
                return Err(format!(
                    "`{}` is `{x}`, outside {}'s range `{}`",
                    v.path,
                    p.api,
                    p.range.describe()
                ));
            }
            Ok(x)
        }
        let mut c = SimConfig {
            batch_size: int(&m.batch_size, &limits::BATCH_SIZE)? as u32,
            batching_window_ms: int(&m.batching_window, &limits::BATCHING_WINDOW)? as u64 * 1000,
            parallelization_factor: int(&m.parallelization_factor, &limits::PARALLELIZATION_FACTOR)?
                as u32,
            max_retry_attempts: int(&m.max_retry_attempts, &limits::MAX_RETRY_ATTEMPTS)?,
            ..SimConfig::default()
        };
        let age = int(&m.max_record_age, &limits::MAX_RECORD_AGE)?;
        c.max_record_age_ms = (age >= 0).then(|| age as u64 * 1000);
        c.bisect_on_error = match &m.bisect_on_error.state {
            ValState::Known(b) => *b,
            ValState::Absent => false,
            ValState::Unknown(why) => {
                return Err(format!(
                    "`{}` is not known statically ({why}): pass `--bisect` or leave it out",
                    m.bisect_on_error.path
                ));
            }
        };
        c.on_failure_destination = m.on_failure_destination.get().cloned();
        c.report_batch_item_failures = m
            .function_response_types
            .get()
            .is_some_and(|t| t.iter().any(|x| x == "ReportBatchItemFailures"));
        if let Some(t) = function_timeout_s {
            if !(1..=limits::FUNCTION_TIMEOUT_MAX).contains(&t) {
                return Err(format!(
                    "function timeout `{t}` is outside `1..{}` seconds",
                    limits::FUNCTION_TIMEOUT_MAX
                ));
            }
            c.timeout_ms = t as u64 * 1000;
        }
        Ok(c)
    }

    /// The age after which a failing batch is given up and an unread record is skipped:
    /// `MaximumRecordAgeInSeconds`, never beyond the stream's retention (records expire there).
    /// Decided in `model::blocking`, the same place SL302 takes its figure from.
    pub fn age_limit_ms(&self) -> u64 {
        crate::model::blocking::expiry_ms(self.max_record_age_ms, self.retention_ms)
    }
}

/// Parses `3s`, `250ms`, `1m`, `1.5s`, `2h`, `1d`. A bare number is an error unless
/// `bare_unit_ms` says what it means (API-valued settings such as the window are in seconds).
pub fn parse_duration(s: &str, bare_unit_ms: Option<u64>) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(format!(
            "`{s}` is not a duration: write e.g. `3s`, `250ms` or `1m`"
        ));
    }
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write e.g. `3s`, `250ms` or `1m`"))?;
    let unit_ms = match unit.trim() {
        "ms" => 1.0,
        "s" | "sec" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        "" => match bare_unit_ms {
            Some(u) => u as f64,
            None => {
                return Err(format!("`{s}` has no unit: write e.g. `{s}s` or `{s}ms`"));
            }
        },
        other => {
            return Err(format!(
                "`{other}` in `{s}` is not a time unit: use `ms`, `s`, `m`, `h` or `d`"
            ));
        }
    };
    let ms = value * unit_ms;
    if !ms.is_finite() || ms > 1e15 {
        return Err(format!("`{s}` is too long"));
    }
    Ok(ms.round() as u64)
}

/// Parses `3s` (fixed) or `p50=20ms,p99=400ms` (log-normal).
pub fn parse_record_time(s: &str) -> Result<RecordTime, String> {
    if !s.contains('=') {
        return Ok(RecordTime::Fixed {
            ms: parse_duration(s, None)?,
        });
    }
    let (mut p50, mut p99) = (None, None);
    for part in s.split(',') {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` in `{s}` is not `pNN=DURATION`"))?;
        let v = parse_duration(value, None)? as f64;
        match name.trim() {
            "p50" => p50 = Some(v),
            "p99" => p99 = Some(v),
            other => {
                return Err(format!(
                    "`{other}` in `{s}` is not a supported quantile: give `p50` and `p99`"
                ));
            }
        }
    }
    match (p50, p99) {
        (Some(a), Some(b)) if a > 0.0 && b >= a => Ok(if a == b {
            RecordTime::Fixed { ms: a as u64 }
        } else {
            RecordTime::LogNormal {
                p50_ms: a,
                p99_ms: b,
            }
        }),
        (Some(_), Some(_)) => Err(format!("`{s}`: need 0 < p50 <= p99")),
        _ => Err(format!("`{s}`: give both `p50=...` and `p99=...`")),
    }
}

/// `3000` → `3s`, `250` → `250ms`, `90000` → `90s`, `86400000` → `24h`: flag syntax, so
/// `parse_duration` reads it back.
pub fn format_duration(ms: u64) -> String {
    if ms == 0 {
        "0s".into()
    } else if ms.is_multiple_of(3_600_000) {
        // Retention reads as the `24h` it is set as, not `86400s`.
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{}s", ms as f64 / 1000.0)
    }
}

/// `KEY:SEQ`; the key may itself contain `:` (the last one separates).
pub fn parse_poison(s: &str) -> Result<Poison, String> {
    let (key, seq) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not `KEY:SEQ` (e.g. `1:5`)"))?;
    let seq: u32 = seq
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("`{seq}` in `{s}` is not a record number (1-based)"))?;
    if key.is_empty() {
        return Err(format!("`{s}` has an empty key"));
    }
    Ok(Poison {
        key: key.to_string(),
        seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3s", None), Ok(3000));
        assert_eq!(parse_duration("250ms", None), Ok(250));
        assert_eq!(parse_duration("1m", None), Ok(60_000));
        assert_eq!(parse_duration("1.5s", None), Ok(1500));
        assert_eq!(parse_duration("24h", None), Ok(86_400_000));
        // Formatting reads back.
        for ms in [0, 250, 1500, 3000, 90_000, 3_600_000, 86_400_000] {
            assert_eq!(parse_duration(&format_duration(ms), None), Ok(ms), "{ms}");
        }
        assert_eq!(format_duration(86_400_000), "24h");
        assert_eq!(format_duration(900_000), "900s");
        assert_eq!(parse_duration("5", Some(1000)), Ok(5000));
        assert!(parse_duration("5", None).unwrap_err().contains("no unit"));
        assert!(parse_duration("5x", None).unwrap_err().contains("`x`"));
        assert!(parse_duration("s", None).is_err());
    }

    #[test]
    fn record_times() {
        assert_eq!(parse_record_time("3s"), Ok(RecordTime::Fixed { ms: 3000 }));
        let r = parse_record_time("p50=20ms,p99=400ms").unwrap();
        assert!(matches!(r, RecordTime::LogNormal { .. }));
        assert!(r.mean_ms() > 20.0 && r.mean_ms() < 100.0);
        assert!(parse_record_time("p50=20ms").is_err());
        assert!(parse_record_time("p50=400ms,p99=20ms").is_err());
        assert!(parse_record_time("p90=1s,p99=2s").is_err());
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff::default();
        let d: Vec<u64> = (1..=8).map(|n| b.delay_ms(n)).collect();
        assert_eq!(d, vec![1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
        assert_eq!(b.delay_ms(1000), 60000);
    }

    #[test]
    fn poison() {
        assert_eq!(
            parse_poison("1:5"),
            Ok(Poison {
                key: "1".into(),
                seq: 5
            })
        );
        assert_eq!(parse_poison("a:b:2").unwrap().key, "a:b");
        assert!(parse_poison("1").is_err());
        assert!(parse_poison("1:0").is_err());
    }
}
