//! The `simulate` subcommand: raw flags → one checked [`SimConfig`], arrivals and shard map;
//! then the engine, the optional sweep, and the renderers. Every bad flag is an `Err` with the
//! offending value in backticks (exit code 2 in the main CLI); nothing here panics on input.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::keyspace::ShardMap;
use crate::model::limits;
use crate::ordering::GroupModel;

use super::arrivals;
use super::engine::simulate;
use super::model::{
    Arrival, Backoff, SimConfig, format_duration, parse_duration, parse_poison, parse_record_time,
};
use super::recommend::recommend;
use super::report::fmt_s;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    Text,
    Json,
}

/// Simulate one Lambda event source mapping draining one Kinesis stream.
#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Read the mapping's settings from the configuration: its address
    /// (`aws_lambda_event_source_mapping.x`, `Resources.X`, `esm/UUID`) or its function's name
    #[arg(long, value_name = "NAME", conflicts_with_all = [
        "batch_size", "window", "parallelization_factor", "max_retries", "max_record_age",
        "bisect", "destination", "report_batch_item_failures",
    ])]
    pub mapping: Option<String>,
    /// Configuration (files or directories) to find `--mapping` in; default `.`
    #[arg(long, value_name = "PATH", requires = "mapping")]
    pub config_path: Option<PathBuf>,
    /// Number of open shards, split evenly as CreateStream does
    #[arg(long, conflicts_with = "shard_map")]
    pub shards: Option<u32>,
    /// `aws kinesis list-shards` or `describe-stream` JSON giving the shard map
    #[arg(long, value_name = "FILE")]
    pub shard_map: Option<PathBuf>,

    /// Generated producer: `K` keys named `1`..`K`, or a comma-separated list of keys
    #[arg(long, value_name = "K", conflicts_with = "samples")]
    pub keys: Option<String>,
    /// Generated producer: records per key
    #[arg(long, value_name = "R")]
    pub records_per_key: Option<u32>,
    /// Generated producer: time between rounds (one record per key per round)
    #[arg(long, default_value = "1s")]
    pub interval: String,
    /// Generated producer: data bytes per record
    #[arg(long, default_value_t = 100)]
    pub record_bytes: u32,
    /// Arrivals from `aws kinesis get-records` JSON (one or more concatenated outputs)
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,

    /// BatchSize (1..10000)
    #[arg(long, default_value_t = limits::BATCH_SIZE.default as u32)]
    pub batch_size: u32,
    /// MaximumBatchingWindowInSeconds (0..300; a bare number is seconds)
    #[arg(long, default_value = "0")]
    pub window: String,
    /// ParallelizationFactor (1..10)
    #[arg(long, default_value_t = 1)]
    pub parallelization_factor: u32,
    /// MaximumRetryAttempts (-1 = until the record expires)
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub max_retries: i64,
    /// MaximumRecordAgeInSeconds (-1 = stream retention; else 60..604800, a bare number is seconds)
    #[arg(long, default_value = "-1", allow_negative_numbers = true)]
    pub max_record_age: String,
    /// Stream retention: how long a record can block its group when nothing else bounds it
    /// [default: the `--mapping`'s stream retention, else 24h]
    #[arg(long)]
    pub retention: Option<String>,
    /// BisectBatchOnFunctionError
    #[arg(long)]
    pub bisect: bool,
    /// DestinationConfig.OnFailure.Destination
    #[arg(long, value_name = "ARN")]
    pub destination: Option<String>,
    /// FunctionResponseTypes = ReportBatchItemFailures
    #[arg(long)]
    pub report_batch_item_failures: bool,

    /// Per-record time: `3s`, or a log-normal `p50=20ms,p99=400ms`
    #[arg(long, default_value = "100ms")]
    pub record_time: String,
    /// Fixed time added to every invocation
    #[arg(long, default_value = "0ms")]
    pub invocation_overhead: String,
    /// Function timeout (default the 900 s maximum, i.e. no cut)
    #[arg(long, default_value = "900s")]
    pub timeout: String,

    /// A record that always fails its batch, as `KEY:SEQ` (repeatable)
    #[arg(long, value_name = "KEY:SEQ")]
    pub poison: Vec<String>,
    /// Probability that an attempt fails as a whole (`0.01` or `1%`)
    #[arg(long, default_value = "0")]
    pub fail_rate: String,
    /// Seed of the PRNG for `--fail-rate` and record-time distributions
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Key → ordering group model: `first-seen-round-robin`, `hash-mod` or `java-hash-mod`
    #[arg(long, default_value = "first-seen-round-robin")]
    pub group_model: String,

    /// Lambda's shard poll interval (modelling assumption)
    #[arg(long, default_value = "1s")]
    pub poll_interval: String,
    /// First retry backoff; doubles per retry (modelling assumption)
    #[arg(long, default_value = "1s")]
    pub retry_backoff: String,
    /// Retry backoff cap (modelling assumption)
    #[arg(long, default_value = "60s")]
    pub retry_backoff_max: String,

    #[arg(long, value_enum, default_value_t = SimFormat::Text)]
    pub format: SimFormat,
    /// Write the invocation timeline as CSV
    #[arg(long, value_name = "FILE.csv")]
    pub timeline: Option<PathBuf>,
    /// Write the report here instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Try ParallelizationFactor 1..10 and batch sizes; print the smallest keeping IteratorAge
    /// (at finish) under `--max-lag`
    #[arg(long, requires = "max_lag")]
    pub recommend: bool,
    /// Acceptable maximum IteratorAge (at finish); exit 1 when the simulation exceeds it
    #[arg(long, value_name = "DURATION")]
    pub max_lag: Option<String>,
}

/// Runs the command; `Ok(0)` clean, `Ok(1)` when `--max-lag` is exceeded, `Err` = usage or input
/// error (exit 2).
pub fn run(args: &SimulateArgs) -> Result<i32, String> {
    let mut cfg = config(args)?;
    let mut from_config = None;
    if let Some(name) = &args.mapping {
        let path = args
            .config_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        let found = crate::samples::find_mapping(&path, name)?;
        // The mapping's own settings; the function-side flags (record time, faults, ...) stay.
        let m = SimConfig::from_mapping(&found.mapping, found.function_timeout_s)?;
        cfg.batch_size = m.batch_size;
        cfg.batching_window_ms = m.batching_window_ms;
        cfg.parallelization_factor = m.parallelization_factor;
        cfg.max_retry_attempts = m.max_retry_attempts;
        cfg.max_record_age_ms = m.max_record_age_ms;
        cfg.bisect_on_error = m.bisect_on_error;
        cfg.on_failure_destination = m.on_failure_destination;
        cfg.report_batch_item_failures = m.report_batch_item_failures;
        if found.function_timeout_s.is_some() {
            cfg.timeout_ms = m.timeout_ms;
        }
        if args.retention.is_none()
            && let Some(h) = found.retention_hours
        {
            cfg.retention_ms = h as u64 * 3_600_000;
        }
        from_config = found.stream.map(|(_, map)| map);
    }
    let shards = match from_config {
        Some(map) if args.shards.is_none() && args.shard_map.is_none() => map,
        _ => shard_map(args)?,
    };
    let arrivals = load_arrivals(args)?;
    let max_lag_ms = args
        .max_lag
        .as_deref()
        .map(|s| parse_duration(s, None).map_err(|e| format!("`--max-lag`: {e}")))
        .transpose()?;
    let report = simulate(&arrivals, &shards, &cfg)?;
    let rec = match (args.recommend, max_lag_ms) {
        (true, Some(lag)) => Some(recommend(&arrivals, &shards, &cfg, lag)?),
        (true, None) => return Err("`--recommend` needs `--max-lag DURATION`".into()),
        _ => None,
    };

    let body = match args.format {
        SimFormat::Json => {
            let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
            if let (Some(r), Some(obj)) = (&rec, v.as_object_mut()) {
                obj.insert(
                    "recommendation".into(),
                    serde_json::to_value(r).map_err(|e| e.to_string())?,
                );
            }
            let mut s = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        SimFormat::Text => {
            let mut s = format!("settings: {}\n", describe(&cfg));
            s.push_str(&report.to_text());
            if let Some(r) = &rec {
                s.push('\n');
                match &r.chosen {
                    Some(t) => s.push_str(&format!(
                        "recommended: ParallelizationFactor {} with BatchSize {} keeps IteratorAge (at finish) at {} (under {}; drains in {})\n",
                        t.parallelization_factor,
                        t.batch_size,
                        fmt_s(t.max_iterator_age_at_finish_seconds),
                        fmt_s(r.max_lag_seconds),
                        fmt_s(t.drain_seconds)
                    )),
                    None => s.push_str(&format!(
                        "no ParallelizationFactor 1..10 with BatchSize {:?} keeps IteratorAge under {}: a single key or the function itself is too slow\n",
                        r.trials.iter().map(|t| t.batch_size).take(6).collect::<Vec<_>>(),
                        fmt_s(r.max_lag_seconds)
                    )),
                }
            }
            s
        }
    };
    if let Some(path) = &args.timeline {
        std::fs::write(path, report.to_timeline_csv())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    match &args.output {
        Some(path) => std::fs::write(path, body)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => print!("{body}"),
    }
    // Judged on the at-finish wording, as `--recommend` is (see recommend.rs).
    let over = max_lag_ms
        .is_some_and(|lag| report.max_iterator_age_at_finish_seconds * 1000.0 > lag as f64);
    Ok(if over { 1 } else { 0 })
}

fn describe(c: &SimConfig) -> String {
    format!(
        "BatchSize {}, window {}, ParallelizationFactor {} ({}), MaximumRetryAttempts {}, MaximumRecordAge {}, bisect {}, destination {}, ReportBatchItemFailures {}, record time {}, overhead {}, timeout {}",
        c.batch_size,
        format_duration(c.batching_window_ms),
        c.parallelization_factor,
        c.group_model.name(),
        c.max_retry_attempts,
        match c.max_record_age_ms {
            Some(a) => format_duration(a),
            None => format!("-1 (retention {})", format_duration(c.retention_ms)),
        },
        if c.bisect_on_error { "on" } else { "off" },
        c.on_failure_destination.as_deref().unwrap_or("none"),
        if c.report_batch_item_failures {
            "on"
        } else {
            "off"
        },
        c.record_time.describe(),
        format_duration(c.invocation_overhead_ms),
        format_duration(c.timeout_ms),
    )
}

fn flag_duration(flag: &str, v: &str, bare_unit_ms: Option<u64>) -> Result<u64, String> {
    parse_duration(v, bare_unit_ms).map_err(|e| format!("`--{flag}`: {e}"))
}

fn in_range(flag: &str, v: i64, p: &limits::EsmParam) -> Result<(), String> {
    if p.range.contains(v) {
        Ok(())
    } else {
        Err(format!(
            "`--{flag} {v}` is outside {}'s range `{}`",
            p.api,
            p.range.describe()
        ))
    }
}

/// Resolves and checks every mapping, function and model flag.
pub fn config(a: &SimulateArgs) -> Result<SimConfig, String> {
    in_range("batch-size", a.batch_size as i64, &limits::BATCH_SIZE)?;
    in_range(
        "parallelization-factor",
        a.parallelization_factor as i64,
        &limits::PARALLELIZATION_FACTOR,
    )?;
    in_range("max-retries", a.max_retries, &limits::MAX_RETRY_ATTEMPTS)?;
    let window_ms = flag_duration("window", &a.window, Some(1000))?;
    if window_ms > limits::BATCHING_WINDOW.range.max as u64 * 1000 {
        return Err(format!(
            "`--window {}` is over MaximumBatchingWindowInSeconds's maximum `300s`",
            a.window
        ));
    }
    let max_record_age_ms = if a.max_record_age.trim() == "-1" {
        None
    } else {
        let ms = flag_duration("max-record-age", &a.max_record_age, Some(1000))?;
        if ms % 1000 != 0 {
            return Err(format!(
                "`--max-record-age {}` is not whole seconds",
                a.max_record_age
            ));
        }
        in_range(
            "max-record-age",
            (ms / 1000) as i64,
            &limits::MAX_RECORD_AGE,
        )?;
        Some(ms)
    };
    let retention = a.retention.as_deref().unwrap_or("24h");
    let retention_ms = flag_duration("retention", retention, None)?;
    if !(3_600_000..=8760 * 3_600_000).contains(&retention_ms) {
        return Err(format!(
            "`--retention {retention}` is outside Kinesis retention `24h..8760h` (at least `1h` accepted here)"
        ));
    }
    let timeout_ms = flag_duration("timeout", &a.timeout, None)?;
    if timeout_ms == 0 || timeout_ms > 5400 * 1000 {
        return Err(format!("`--timeout {}` is outside `1ms..5400s`", a.timeout));
    }
    let record_time =
        parse_record_time(&a.record_time).map_err(|e| format!("`--record-time`: {e}"))?;
    let fail_rate = parse_rate(&a.fail_rate)?;
    let group_model = GroupModel::parse(&a.group_model).ok_or_else(|| {
        format!(
            "`--group-model {}` is not a model: use {}",
            a.group_model,
            GroupModel::NAMES
        )
    })?;
    let poison = a
        .poison
        .iter()
        .map(|p| parse_poison(p).map_err(|e| format!("`--poison`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(d) = &a.destination
        && !d.starts_with("arn:")
    {
        return Err(format!("`--destination {d}` is not an ARN"));
    }
    Ok(SimConfig {
        batch_size: a.batch_size,
        batching_window_ms: window_ms,
        parallelization_factor: a.parallelization_factor,
        group_model,
        max_retry_attempts: a.max_retries,
        max_record_age_ms,
        retention_ms,
        bisect_on_error: a.bisect,
        on_failure_destination: a.destination.clone(),
        report_batch_item_failures: a.report_batch_item_failures,
        poll_interval_ms: flag_duration("poll-interval", &a.poll_interval, None)?,
        record_time,
        invocation_overhead_ms: flag_duration("invocation-overhead", &a.invocation_overhead, None)?,
        timeout_ms,
        poison,
        fail_rate,
        backoff: Backoff {
            initial_ms: flag_duration("retry-backoff", &a.retry_backoff, None)?,
            multiplier: 2.0,
            max_ms: flag_duration("retry-backoff-max", &a.retry_backoff_max, None)?,
        },
        seed: a.seed,
        ..SimConfig::default()
    })
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("`--fail-rate {s}` is not a rate: write `0.01` or `1%`"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("`--fail-rate {s}` is outside `0..1`"));
    }
    Ok(v)
}

fn shard_map(a: &SimulateArgs) -> Result<ShardMap, String> {
    // One reader for `--shard-map` files, shared with `distribute` and `check`.
    if let Some(path) = &a.shard_map {
        return crate::load::aws_cli::read_shard_map(path);
    }
    match a.shards {
        Some(0) => Err("`--shards 0`: a stream has at least one shard".into()),
        Some(n) if n > 100_000 => Err(format!("`--shards {n}` is too many")),
        Some(n) => Ok(ShardMap::even(n)),
        None => Ok(ShardMap::even(1)),
    }
}

fn load_arrivals(a: &SimulateArgs) -> Result<Vec<Arrival>, String> {
    if let Some(path) = &a.samples {
        return arrivals::from_samples(std::slice::from_ref(path));
    }
    let (Some(keys), Some(r)) = (&a.keys, a.records_per_key) else {
        return Err(
            "no arrivals: give `--keys K --records-per-key R` (and `--interval`) or `--samples FILE`"
                .into(),
        );
    };
    let keys = arrivals::parse_keys(keys)?;
    if r == 0 {
        return Err("`--records-per-key 0`: give at least 1".into());
    }
    if keys.len() as u64 * r as u64 > 50_000_000 {
        return Err(format!(
            "`{}` keys × `{r}` records is over the 50,000,000-record limit of the generator",
            keys.len()
        ));
    }
    let interval = flag_duration("interval", &a.interval, None)?;
    Ok(arrivals::generate(&keys, r, interval, a.record_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimulateArgs,
    }

    fn parse(argv: &[&str]) -> SimulateArgs {
        let mut v = vec!["simulate"];
        v.extend_from_slice(argv);
        Cli::try_parse_from(v).unwrap().args
    }

    #[test]
    fn flags_resolve() {
        let a = parse(&[
            "--keys",
            "5",
            "--records-per-key",
            "30",
            "--record-time",
            "3s",
            "--max-retries",
            "2",
            "--max-record-age",
            "60",
            "--bisect",
            "--poison",
            "1:5",
            "--fail-rate",
            "1%",
        ]);
        let c = config(&a).unwrap();
        assert_eq!(c.max_retry_attempts, 2);
        assert_eq!(c.max_record_age_ms, Some(60_000));
        assert!(c.bisect_on_error);
        assert!((c.fail_rate - 0.01).abs() < 1e-12);
        assert_eq!(c.poison.len(), 1);
        assert_eq!(load_arrivals(&a).unwrap().len(), 150);
    }

    #[test]
    fn bad_flags_are_clear() {
        let e = config(&parse(&["--batch-size", "100000"])).unwrap_err();
        assert_eq!(
            e,
            "`--batch-size 100000` is outside BatchSize's range `1..10000`"
        );
        let e = config(&parse(&["--max-record-age", "30"])).unwrap_err();
        assert!(e.contains("`-1 or 60..604800`"), "{e}");
        let e = config(&parse(&["--record-time", "3"])).unwrap_err();
        assert!(e.starts_with("`--record-time`: `3` has no unit"), "{e}");
        assert!(config(&parse(&["--group-model", "x"])).is_err());
        assert!(config(&parse(&["--fail-rate", "2"])).is_err());
        assert!(config(&parse(&["--destination", "sqs"])).is_err());
        let e = load_arrivals(&parse(&[])).unwrap_err();
        assert!(e.starts_with("no arrivals"));
        assert!(!e.ends_with('.'));
    }
}
