//! Command-line interface: raw arguments are parsed here and resolved into one
//! [`Config`](crate::config::Config); the subcommands call the library and return an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::diagnostic::Severity;
use crate::render;
use crate::rules::RULES;

#[derive(Parser, Debug)]
#[command(
    name = "shardlint",
    version,
    about = "Static analyzer for AWS Kinesis partition keys, hot shards and Lambda event source mappings",
    long_about = "Reads Terraform (.tf, .tfvars, plan JSON), CloudFormation/SAM (YAML, JSON) and AWS CLI exports, and reports partition keys that send every record to one shard, shard maps that skew load, and event source mapping settings that block or drop records.\n\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 some input could not be read or the arguments are wrong."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check configuration files and directories (default: `.`)
    Check(Box<CheckArgs>),
    /// Map sampled keys or records onto shards: per-shard load, skew, hot keys, ordering groups
    Distribute(Box<crate::distribution::DistributeArgs>),
    /// Simulate one event source mapping draining a stream: drain time, IteratorAge, retries
    Simulate(Box<crate::simulate::SimulateArgs>),
    /// Print a rule's documentation
    Explain {
        /// Rule code (`SL101`) or name (`constant-partition-key`)
        rule: String,
    },
    /// List every rule
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable diagnostics (miette)
    Text,
    /// Versioned JSON (`{"version": 1, ...}`)
    Json,
    /// SARIF 2.1.0, for code-scanning uploads
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...`)
    Github,
    /// A self-contained HTML audit report (use with `-o report.html`)
    Html,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Error => Severity::Error,
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at or above this severity [default: warning; overrides `fail-on` in shardlint.toml]
    #[arg(long, value_enum)]
    pub fail_on: Option<SeverityArg>,
    /// Only run these rules (codes, code prefixes such as `SL3`, or names); comma-separated; replaces `select` of shardlint.toml
    #[arg(long, value_delimiter = ',', value_parser = rule_pattern)]
    pub select: Vec<String>,
    /// Never run these rules (codes, prefixes or names); comma-separated; replaces `ignore` of shardlint.toml
    #[arg(long, value_delimiter = ',', value_parser = rule_pattern)]
    pub ignore: Vec<String>,
    /// Read this config file instead of the `shardlint.toml` found by walking up from the first path
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also read files excluded by .gitignore/.ignore and hidden files
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip given files that are not Terraform, CloudFormation/SAM, plan or export files instead of
    /// reporting them (for pre-commit, which passes every changed `.json`/`.yaml`)
    #[arg(long)]
    pub skip_unknown: bool,
    /// Write the report to this file instead of stdout
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Sampled records (JSON payloads, MQTT envelopes, `get-records` output or key lists; `.gz`
    /// ok): adds the sample-driven findings (SL4xx)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub samples: Vec<PathBuf>,
    /// Apply every sample to this IoT rule (name or address) instead of routing by topic
    #[arg(long, value_name = "NAME", requires = "samples")]
    pub rule: Option<String>,
    /// Records per second on the stream, when the samples carry no timestamps (e.g. `5000/s`)
    #[arg(long, value_name = "N/s", value_parser = crate::distribution::parse_rate, requires = "samples")]
    pub rate: Option<f64>,
    /// The consumer's processing time per record (`3s`, `p50=20ms,p99=400ms`): checks whether the
    /// mapping keeps up (SL405)
    #[arg(long, value_name = "TIME", value_parser = crate::simulate::model::parse_record_time, requires = "samples")]
    pub record_time: Option<crate::simulate::RecordTime>,
    /// Seed for `newuuid()` in sample evaluation (the same seed gives the same figures)
    #[arg(long, requires = "samples")]
    pub seed: Option<u64>,
    /// No progress bar on stderr while reading samples
    #[arg(long)]
    pub no_progress: bool,
}

/// A `--select`/`--ignore` value must name a rule, as in `shardlint.toml`: a typo would
/// otherwise run no rule at all and pass.
fn rule_pattern(v: &str) -> Result<String, String> {
    if !v.is_empty() && RULES.iter().any(|r| crate::config::matches(v, r.meta)) {
        Ok(v.to_string())
    } else {
        Err(format!(
            "no rule matches `{}`; `shardlint rules` lists the codes and names",
            render::visible(v)
        ))
    }
}

/// Runs the CLI and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Distribute(args) => match crate::distribution::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {}", render::visible(&e));
                2
            }
        },
        Command::Simulate(args) => match crate::simulate::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {}", render::visible(&e));
                2
            }
        },
        Command::Explain { rule } => match crate::rules::find(&rule) {
            Some(r) => {
                print!("{}", r.meta.doc);
                0
            }
            None => {
                eprintln!(
                    "error: no rule `{}`; `shardlint rules` lists them",
                    render::visible(&rule)
                );
                2
            }
        },
        Command::Rules { format } => {
            print!("{}", list_rules(format));
            0
        }
    }
}

pub fn list_rules(format: ListFormat) -> String {
    match format {
        ListFormat::Text => {
            let mut s = String::new();
            for r in RULES {
                s.push_str(&format!(
                    "{}  {:<38} {:<8} {}\n",
                    r.meta.code,
                    r.meta.name,
                    r.meta.severity.as_str(),
                    r.meta.summary
                ));
            }
            s
        }
        ListFormat::Json => {
            let list: Vec<_> = RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.meta.code,
                        "name": r.meta.name,
                        "summary": r.meta.summary,
                        "severity": r.meta.severity.as_str(),
                        "group": r.meta.group.name(),
                        "url": r.meta.doc_url(),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

fn check(args: CheckArgs) -> i32 {
    let config = match resolve_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", error_line(args.format, &e.to_string()));
            return 2;
        }
    };
    let opts = crate::load::LoadOptions {
        no_ignore: args.no_ignore,
        skip_unknown: args.skip_unknown,
    };
    let sample_opts = crate::samples::SampleOptions {
        files: args.samples.clone(),
        rule: args.rule.clone(),
        rate: args.rate,
        record_time: args.record_time,
        seed: args.seed,
        progress: !args.no_progress && std::io::stderr().is_terminal(),
    };
    let report = crate::check_with_samples(&args.paths, &config, &opts, &sample_opts);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Json => render::json::render(&report),
        Format::Sarif => render::sarif::render_with(
            &report,
            &render::sarif::SarifOptions {
                srcroot_uri: render::sarif::cwd_uri(),
            },
        ),
        Format::Github => render::github::render(&report),
        Format::Html => render::html::render(
            &report,
            &render::html::HtmlInput::from_report(&report, &config),
            &config,
        ),
        Format::Text => render::human::render(
            &report,
            render::human::HumanOptions {
                color: to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                width: terminal_width(to_terminal),
            },
        ),
    };
    if let Some(out) = &args.output
        && let Some(input) = output_is_input(out, &args, &report)
    {
        eprintln!(
            "{}",
            error_line(
                args.format,
                &format!(
                    "`-o {}` is an input of this run (`{}`): refusing to overwrite it",
                    out.display(),
                    input.display()
                )
            )
        );
        return 2;
    }
    if let Err(e) = write_output(args.output.as_deref(), &text) {
        eprintln!("{}", error_line(args.format, &e.to_string()));
        return 2;
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    if let Some(out) = &args.output {
        // Progress and notes go to stderr only, never into the report.
        let note = format!(
            "{}; report written to {}",
            render::human::summary_line(&report),
            out.display()
        );
        match args.format {
            Format::Github => eprintln!("{}", render::github::escape_data(&note)),
            _ => eprintln!("{}", render::visible(&note)),
        }
    }
    report.exit_code(config.fail_on)
}

/// The input that `out` would overwrite: a path given, a sample or a file read.
fn output_is_input(
    out: &std::path::Path,
    args: &CheckArgs,
    report: &crate::Report,
) -> Option<PathBuf> {
    let target = std::fs::canonicalize(out).ok()?;
    let read = report.db.files().map(|(_, f)| f.path.clone());
    args.paths
        .iter()
        .chain(&args.samples)
        .chain(args.config.iter())
        .cloned()
        .chain(read)
        .find(|p| std::fs::canonicalize(p).is_ok_and(|c| c == target))
}

/// An error of the run on stderr: a workflow command under `--format github` (its log reads
/// stderr for commands as well), else `error: ...`; control characters are made visible.
fn error_line(format: Format, message: &str) -> String {
    match format {
        Format::Github => render::github::run_error(message),
        _ => format!("error: {}", render::visible(message)),
    }
}

/// `shardlint.toml` (found or `--config`), then the CLI flags over it.
pub fn resolve_config(args: &CheckArgs) -> Result<Config, crate::config_file::ConfigError> {
    let mut config = crate::config_file::resolve(args.config.as_deref(), &args.paths)?;
    if !args.select.is_empty() {
        config.select = args.select.clone();
    }
    if !args.ignore.is_empty() {
        config.ignore = args.ignore.clone();
    }
    if let Some(f) = args.fail_on {
        config.fail_on = f.into();
    }
    Ok(config)
}

fn terminal_width(to_terminal: bool) -> usize {
    if !to_terminal {
        return 80;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

pub fn write_output(path: Option<&std::path::Path>, text: &str) -> std::io::Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot write `{}`: {e}", p.display()))
        }),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r,
            }
        }
    }
}
