//! `shardlint simulate`: clap's flags, resolved once (with the `--mapping`'s settings from the
//! configuration and `shardlint.toml`'s group model) into one checked [`SimConfig`], arrivals
//! and shard map; then the engine, the optional sweep, and the renderers
//! ([`render::simulate`](crate::render::simulate)). Every bad flag is an `Err` with the
//! offending value in backticks (exit code 2); nothing here panics on input.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::keyspace::ShardMap;
use crate::model::limits;
use crate::ordering::GroupModel;

use crate::render::simulate as show;
use crate::simulate::arrivals;
use crate::simulate::engine::simulate;
use crate::simulate::model::{
    Arrival, Backoff, SimConfig, parse_duration, parse_poison, parse_record_time,
};
use crate::simulate::recommend::recommend;
use crate::view::simulate::{Arrivals, Settings, SimulationView};

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
    /// Generated producer: time between rounds (one record per key per round) [default: the
    /// interval giving the `--mapping`'s stream its `records-per-second` in shardlint.toml,
    /// else 1s]
    #[arg(long, conflicts_with = "samples")]
    pub interval: Option<String>,
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
    /// [default: `group-model` of shardlint.toml, else first-seen-round-robin]
    #[arg(long)]
    pub group_model: Option<String>,
    /// `shardlint.toml` to use (default: found by walking up from `--config-path`, else `.`)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

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
    let toml = toml(args)?;
    let mut cfg = config(args, &toml)?;
    let mut from_config = None;
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    let mut stream_rate = None;
    if let Some(name) = &args.mapping {
        let path = args
            .config_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        let project = crate::project::open(std::slice::from_ref(&path), &Default::default());
        let found = crate::project::find_mapping(&project, name)?;
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
        sources.push(format!(
            "mapping settings of `{}`",
            found.mapping.origin.address
        ));
        if found.function_timeout_s.is_some() {
            cfg.timeout_ms = m.timeout_ms;
            sources.push("timeout of the mapping's function".into());
        }
        if args.retention.is_none()
            && let Some(h) = found.retention_hours
        {
            cfg.retention_ms = h as u64 * 3_600_000;
            sources.push("retention of the mapping's source".into());
        }
        if let Some(src) = &found.source {
            if src.auto(&toml) {
                notes.push(crate::view::auto_distribution_note(&src.name));
            }
            stream_rate = toml
                .stream_rate(&src.name)
                .and_then(|r| r.records_per_second)
                .map(|rps| (rps, src.name.clone()));
        }
        from_config = found.stream.map(|(_, map)| map);
    }
    let shards = match from_config {
        Some(map) if args.shards.is_none() && args.shard_map.is_none() => {
            sources.push("shard map of the mapping's stream".into());
            map
        }
        _ => {
            if args.mapping.is_some() && args.shards.is_none() && args.shard_map.is_none() {
                notes.push(
                    "the shard count of the mapping's stream is not known statically: simulating 1 shard; give `--shards N` or `--shard-map FILE`".into(),
                );
            }
            shard_map(args)?
        }
    };
    let (arrivals, described) = load_arrivals(args, stream_rate)?;
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
    let view = SimulationView {
        settings: Settings::new(&cfg, described, sources),
        notes,
        report: &report,
        recommendation: rec.as_ref(),
    };
    let body = match args.format {
        SimFormat::Json => show::json(&view),
        SimFormat::Text => show::text(&view),
    };
    if let Some(path) = &args.timeline {
        std::fs::write(path, show::timeline_csv(&report))
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

/// `shardlint.toml`: `--config`, else found by walking up from `--config-path` (or `.`).
fn toml(a: &SimulateArgs) -> Result<crate::config::Config, String> {
    let at = a.config_path.clone().unwrap_or_else(|| PathBuf::from("."));
    crate::config_file::resolve(a.config.as_deref(), std::slice::from_ref(&at))
        .map_err(|e| e.to_string())
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

/// Resolves and checks every mapping, function and model flag, with `toml`'s group model when
/// `--group-model` is not given.
pub fn config(a: &SimulateArgs, toml: &crate::config::Config) -> Result<SimConfig, String> {
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
    let group_model = match &a.group_model {
        Some(m) => GroupModel::parse(m).ok_or_else(|| {
            format!(
                "`--group-model {m}` is not a model: use {}",
                GroupModel::NAMES
            )
        })?,
        None => toml.group_model,
    };
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

/// The arrivals and how to describe them. The generated producer's interval is `--interval`,
/// else the one that gives the mapping's stream its `records-per-second` from shardlint.toml
/// (`stream_rate`: records/s and stream name), else 1 s.
fn load_arrivals(
    a: &SimulateArgs,
    stream_rate: Option<(f64, String)>,
) -> Result<(Vec<Arrival>, Arrivals), String> {
    if let Some(path) = &a.samples {
        let arr = arrivals::from_samples(std::slice::from_ref(path))?;
        let n = arr.len();
        return Ok((
            arr,
            Arrivals::Samples {
                files: vec![path.display().to_string()],
                records: n,
            },
        ));
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
    let (interval_us, interval_from) = match (&a.interval, stream_rate) {
        (Some(i), _) => (
            flag_duration("interval", i, None)?.saturating_mul(1000),
            None,
        ),
        (None, Some((rps, stream))) => (
            // One round sends one record per key: K keys at `rps` records/s.
            ((keys.len() as f64 * 1e6 / rps).round() as u64).max(1),
            Some(format!(
                "{} records/s: records-per-second of [streams.\"{stream}\"] in shardlint.toml",
                crate::numbers::thousands_f(rps)
            )),
        ),
        (None, None) => (1_000_000, None),
    };
    Ok((
        arrivals::generate_us(&keys, r, interval_us, a.record_bytes),
        Arrivals::Generated {
            keys: keys.len(),
            records_per_key: r,
            interval_us,
            record_bytes: a.record_bytes,
            interval_from,
        },
    ))
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
        let c = config(&a, &Default::default()).unwrap();
        assert_eq!(c.max_retry_attempts, 2);
        assert_eq!(c.max_record_age_ms, Some(60_000));
        assert!(c.bisect_on_error);
        assert!((c.fail_rate - 0.01).abs() < 1e-12);
        assert_eq!(c.poison.len(), 1);
        assert_eq!(load_arrivals(&a, None).unwrap().0.len(), 150);
    }

    #[test]
    fn bad_flags_are_clear() {
        let e = config(&parse(&["--batch-size", "100000"]), &Default::default()).unwrap_err();
        assert_eq!(
            e,
            "`--batch-size 100000` is outside BatchSize's range `1..10000`"
        );
        let e = config(&parse(&["--max-record-age", "30"]), &Default::default()).unwrap_err();
        assert!(e.contains("`-1 or 60..604800`"), "{e}");
        let e = config(&parse(&["--record-time", "3"]), &Default::default()).unwrap_err();
        assert!(e.starts_with("`--record-time`: `3` has no unit"), "{e}");
        assert!(config(&parse(&["--group-model", "x"]), &Default::default()).is_err());
        assert!(config(&parse(&["--fail-rate", "2"]), &Default::default()).is_err());
        assert!(config(&parse(&["--destination", "sqs"]), &Default::default()).is_err());
        let e = load_arrivals(&parse(&[]), None).unwrap_err();
        assert!(e.starts_with("no arrivals"));
        assert!(!e.ends_with('.'));
    }
}
