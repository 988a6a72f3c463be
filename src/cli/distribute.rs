//! `shardlint distribute`: clap's flags, resolved once (with `shardlint.toml`: the group model
//! and the stream's write rate when the flags do not give them) into [`DistributeSettings`];
//! then one engine run and the report written as text or JSON. Exit codes: 0 when the report is
//! written (bad lines and limit breaches are in the report, not the exit code); 2 for a usage
//! error or an input that could not be read at all, or none of whose lines could (the report is
//! still written then).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::distribution::engine::{DEFAULT_EXACT_KEYS, DEFAULT_SEED};
use crate::distribution::{KeySource, Options, distribute_with_progress};
use crate::keyspace::ShardMap;
use crate::model::limits;
use crate::ordering::GroupModel;
use crate::records::InputFormat;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// `--input-format`: what the records of an input are (see [`InputFormat`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InputFormatArg {
    /// Detect from the first non-empty line
    #[default]
    Auto,
    /// One UTF-8 partition key per line
    Keys,
    /// JSON payloads, one per line or a JSON array
    Payloads,
    /// MQTT envelopes `{"topic","clientid","timestamp","payload"}`
    Envelopes,
    /// `aws kinesis get-records` output
    GetRecords,
    /// EventBridge events (the whole event is the payload)
    Events,
}

impl From<InputFormatArg> for InputFormat {
    fn from(a: InputFormatArg) -> InputFormat {
        match a {
            InputFormatArg::Auto => InputFormat::Auto,
            InputFormatArg::Keys => InputFormat::Keys,
            InputFormatArg::Payloads => InputFormat::Payloads,
            InputFormatArg::Envelopes => InputFormat::Envelopes,
            InputFormatArg::GetRecords => InputFormat::GetRecords,
            InputFormatArg::Events => InputFormat::Events,
        }
    }
}

/// Flags of `shardlint distribute`.
#[derive(clap::Args, Clone, Debug)]
pub struct DistributeArgs {
    /// Key list: one UTF-8 partition key per line (`.gz` ok, `-` = stdin)
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["samples", "partition_key", "key_path"])]
    pub keys: Vec<PathBuf>,
    /// Sample records: JSON payloads, MQTT envelopes, EventBridge events or `aws kinesis get-records` output
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub samples: Vec<PathBuf>,
    /// A `shardlint sql` result (JSON lines, JSON array or CSV) instead of records: the same
    /// report from an archive aggregated by DuckDB, Athena or Spark
    #[arg(long, value_name = "RESULT", conflicts_with_all = ["keys", "samples"])]
    pub aggregates: Option<PathBuf>,
    /// Shard map from `aws kinesis list-shards` or `describe-stream` JSON (closed shards skipped)
    #[arg(long, value_name = "EXPORT.json", conflicts_with = "shards")]
    pub shard_map: Option<PathBuf>,
    /// A fresh stream of N shards (even split, as CreateStream makes it; at most 100,000)
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// IoT substitution template for the key, e.g. `${topic(3)}` or `${newuuid()}`
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "key_path")]
    pub partition_key: Option<String>,
    /// JSONPath to the key in each payload, e.g. `$.device.id`
    #[arg(long, value_name = "JSONPATH")]
    pub key_path: Option<String>,
    /// Take the key template (and the stream's shard map, unless given) from this IoT rule
    #[arg(long, value_name = "NAME", conflicts_with_all = ["partition_key", "key_path"])]
    pub rule: Option<String>,
    /// Configuration (files or directories) to find `--rule` in; default `.`
    #[arg(long, value_name = "PATH", requires = "rule")]
    pub config_path: Option<PathBuf>,
    /// `shardlint.toml` to use (default: found by walking up from `--config-path`, else `.`)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lambda ParallelizationFactor (1..10) for the ordering groups
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub parallelization_factor: u32,
    /// How keys are assigned to concurrent batches: `first-seen-round-robin`, `hash-mod` or
    /// `java-hash-mod` [default: `group-model` of shardlint.toml, else first-seen-round-robin]
    #[arg(long, value_name = "MODEL", value_parser = parse_group_model)]
    pub group_model: Option<GroupModel>,
    /// Also show the ordering groups under every group model, not only `--group-model`
    #[arg(long)]
    pub group_models: bool,
    /// Records per second of the whole stream, e.g. `5000/s` [default: the `--rule` stream's
    /// `records-per-second` in shardlint.toml, else from sample timestamps]
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Hot keys to list
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Input format; `auto` detects it from the first non-empty line
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,
    /// Seed for `newuuid()`, so the report is reproducible
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Distinct keys counted exactly before hot-key counts become a Space-Saving sketch
    #[arg(long, value_name = "N", default_value_t = DEFAULT_EXACT_KEYS)]
    pub exact_keys: usize,
    /// No progress bar (it is only shown when stderr is a terminal)
    #[arg(long)]
    pub no_progress: bool,
    /// Write the report here instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn parse_group_model(s: &str) -> Result<GroupModel, String> {
    GroupModel::parse(s)
        .ok_or_else(|| format!("unknown group model `{s}`: use {}", GroupModel::NAMES))
}

/// `5000`, `5000/s`, `2.5/s`.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let n = s.trim().strip_suffix("/s").unwrap_or(s.trim());
    match n.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "invalid rate `{s}`: write records per second, e.g. `5000/s`"
        )),
    }
}

/// Everything one `distribute` run needs, resolved from the flags, the configuration and
/// `shardlint.toml`.
pub struct DistributeSettings {
    pub inputs: Vec<PathBuf>,
    /// A `shardlint sql` result read instead of `inputs`.
    pub aggregates: Option<PathBuf>,
    pub src: KeySource,
    pub map: ShardMap,
    pub opts: Options,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    pub progress: bool,
    /// `hot-shard-share` and `hot-key-share` of shardlint.toml.
    pub thresholds: crate::view::Thresholds,
    /// Assumptions the report states (an AUTO stream).
    pub notes: Vec<String>,
    /// Where `opts.rate` came from, when given.
    pub rate_from: Option<String>,
}

/// Raw flags + `shardlint.toml` (+ the configuration, for `--rule`) → settings; `Err` is a
/// usage or input error.
pub fn resolve(args: &DistributeArgs) -> Result<DistributeSettings, String> {
    let inputs: Vec<PathBuf> = if !args.keys.is_empty() {
        args.keys.clone()
    } else if !args.samples.is_empty() {
        args.samples.clone()
    } else if args.aggregates.is_some() {
        Vec::new()
    } else {
        return Err(
            "no input: give `--keys FILE`, `--samples FILE...` or `--aggregates RESULT`".into(),
        );
    };
    let config_path = args
        .config_path
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let toml =
        crate::config_file::resolve(args.config.as_deref(), std::slice::from_ref(&config_path))
            .map_err(|e| e.to_string())?;
    // `--rule NAME`: the key template (and, unless given, the shard map) come from the rule.
    let rule = match &args.rule {
        Some(name) => {
            let project =
                crate::project::open(std::slice::from_ref(&config_path), &Default::default());
            Some(crate::project::rule_key(&project, name)?)
        }
        None if args.config_path.is_some() => {
            return Err("`--config-path` needs `--rule NAME`".into());
        }
        None => None,
    };
    let (map, label) = match (
        &args.shard_map,
        args.shards,
        rule.as_ref().and_then(|r| r.stream.as_ref()),
    ) {
        (Some(p), _, _) => (
            crate::load::aws_cli::read_shard_map(p)?,
            p.display().to_string(),
        ),
        (None, Some(0), _) => return Err("`--shards` must be at least `1`".into()),
        (None, Some(n), _) if n > limits::MAX_SHARDS => {
            return Err(format!(
                "`--shards {n}` is more than shardlint models ({}): Kinesis's default shard quota is at most 20,000 per account ({})",
                crate::numbers::thousands(limits::MAX_SHARDS as u64),
                limits::SHARD_QUOTA_DOC
            ));
        }
        (None, Some(n), _) => (ShardMap::even(n), format!("even {n}")),
        (None, None, Some((stream, m))) => (m.clone(), format!("stream `{stream}`")),
        (None, None, None) => {
            return Err("no shard map: give `--shard-map EXPORT.json` or `--shards N`".into());
        }
    };
    let src = if let Some(r) = &rule {
        KeySource::template_with_vars(&r.template, &r.vars)?.with_sql_version(r.sql_version)
    } else if let Some(t) = &args.partition_key {
        KeySource::template(t)?
    } else if let Some(p) = &args.key_path {
        KeySource::key_path(p)?
    } else {
        KeySource::Given
    };
    let format = if !args.keys.is_empty() {
        InputFormat::Keys
    } else {
        args.input_format.into()
    };
    // The rule's stream rate from shardlint.toml, when the flag does not give one.
    let target = rule.as_ref().and_then(|r| r.target.as_ref());
    let stream_rate = target
        .and_then(|t| toml.stream_rate(&t.name))
        .and_then(|s| s.records_per_second);
    let rate_from = match (args.rate, stream_rate, target) {
        (Some(_), _, _) => Some("--rate".to_string()),
        (None, Some(_), Some(t)) => Some(format!(
            "records-per-second of [streams.\"{}\"] in shardlint.toml",
            t.name
        )),
        _ => None,
    };
    let mut notes = Vec::new();
    if let Some(t) = target.filter(|t| t.auto(&toml)) {
        notes.push(crate::view::auto_distribution_note(&t.name));
    }
    let opts = Options {
        format,
        seed: args.seed,
        parallelization_factor: args.parallelization_factor,
        group_model: args.group_model.unwrap_or(toml.group_model),
        all_group_models: args.group_models,
        rate: args.rate.or(stream_rate),
        top: args.top,
        exact_keys: args.exact_keys.max(16),
        shard_map_label: label,
        topic_filter: rule.as_ref().and_then(|r| r.topic_filter.clone()),
        rule_name: args.rule.clone(),
        // The rule's own template: records read back from its stream already carry its answer.
        observed_keys: rule.is_some(),
        ..Options::default()
    };
    Ok(DistributeSettings {
        inputs,
        aggregates: args.aggregates.clone(),
        src,
        map,
        opts,
        format: args.format,
        output: args.output.clone(),
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        thresholds: crate::view::Thresholds::of(&toml),
        notes,
        rate_from,
    })
}

/// Runs the command; `Err` is a usage or input error to print, exit code 2.
pub fn run(args: &DistributeArgs) -> Result<i32, String> {
    let s = resolve(args)?;
    let bar = if s.progress {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(crate::progress::records_style(false));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let report = match &s.aggregates {
        Some(path) => crate::distribution::aggregates::report(path, &s.src, &s.map, &s.opts)?,
        None => {
            distribute_with_progress(&s.inputs, &s.src, &s.map, &s.opts, &|n| bar.set_position(n))?
        }
    };
    bar.finish_and_clear();

    let view = crate::view::distribution::DistributionView::new(&report, s.thresholds)
        .with_context(s.notes.clone(), s.rate_from.clone());
    let text = match s.format {
        OutputFormat::Json => crate::render::distribution::json(&view),
        OutputFormat::Text => crate::render::distribution::text(&view),
    };
    let written = match &s.output {
        Some(p) => std::fs::write(p, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", p.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot write the report: {e}")),
    };
    written?;
    if report.input_errors.is_empty() {
        Ok(0)
    } else {
        for e in &report.input_errors {
            eprintln!("error: {}", crate::render::visible(e));
        }
        Ok(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("5000/s"), Ok(5000.0));
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("-1/s").is_err());
    }

    #[test]
    fn shard_map_exports() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ls.json");
        let half = 1u128 << 127;
        let doc = serde_json::json!({"StreamDescription": {"Shards": [
            {"ShardId": "shardId-000000000000",
             "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": u128::MAX.to_string()},
             "SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "2"}},
            {"ShardId": "shardId-000000000001", "ParentShardId": "shardId-000000000000",
             "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": (half - 1).to_string()},
             "SequenceNumberRange": {"StartingSequenceNumber": "3"}},
            {"ShardId": "shardId-000000000002", "ParentShardId": "shardId-000000000000",
             "HashKeyRange": {"StartingHashKey": half.to_string(), "EndingHashKey": u128::MAX.to_string()},
             "SequenceNumberRange": {"StartingSequenceNumber": "3", "EndingSequenceNumber": null}}
        ]}});
        std::fs::write(&p, doc.to_string()).unwrap();
        let m = crate::load::aws_cli::read_shard_map(&p).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.shards()[1].shard_id, "shardId-000000000002");

        let gap = serde_json::json!({"Shards": [
            {"ShardId": "a", "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "10"}},
            {"ShardId": "b", "HashKeyRange": {"StartingHashKey": "20", "EndingHashKey": u128::MAX.to_string()}}
        ]});
        std::fs::write(&p, gap.to_string()).unwrap();
        let e = crate::load::aws_cli::read_shard_map(&p).unwrap_err();
        assert!(e.contains("`11`..`19`"), "{e}");
    }
}
