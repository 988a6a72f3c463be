//! Command-line interface: raw arguments are parsed here and resolved into one
//! [`Config`](crate::config::Config); the subcommands call the library and return an exit code.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};

pub mod distribute;
pub mod export;
pub mod simulate;
pub mod sql;

use crate::diagnostic::Severity;
use crate::render;
use crate::rules::RULES;

pub use crate::version::{FEATURES, long_version_line, version_line};

static VERSION: LazyLock<String> = LazyLock::new(version_line);
static LONG_VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{}\nfeatures: {}\nmd5: {}\nrules: {}\n",
        version_line(),
        if FEATURES.is_empty() {
            "none".to_string()
        } else {
            FEATURES.join(", ")
        },
        crate::md5_lanes::backend().name(),
        RULES.len()
    )
});

#[derive(Parser, Debug)]
#[command(
    name = "shardlint",
    version = VERSION.as_str(),
    long_version = LONG_VERSION.as_str(),
    about = "Static analyzer for AWS Kinesis partition keys, hot shards and Lambda event source mappings",
    long_about = "Reads Terraform (.tf, .tfvars, plan JSON), CloudFormation/SAM (YAML, JSON) and AWS CLI exports, and reports partition keys that send every record to one shard, shard maps that skew load, and event source mapping settings that block or drop records.\n\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 some input could not be read or the arguments are wrong."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Print findings only, no summary; `-qq` prints nothing (the exit code speaks)
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Also print, on stderr, which config governs which files and how long the run took
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Colour in text output [default: auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it]
    #[arg(long, value_enum, global = true, value_name = "WHEN")]
    pub color: Option<ColorWhen>,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    /// Whether to colour output going to a terminal (`to_terminal`) or not.
    pub fn color(&self, to_terminal: bool) -> bool {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        match self.color {
            Some(ColorWhen::Always) => true,
            Some(ColorWhen::Never) => false,
            _ if set("NO_COLOR") => false,
            _ if set("FORCE_COLOR") => true,
            _ => to_terminal,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check configuration files and directories (default: `.`)
    Check(Box<CheckArgs>),
    /// Map sampled keys or records onto shards: per-shard load, skew, hot keys, ordering groups
    Distribute(Box<distribute::DistributeArgs>),
    /// Simulate one event source mapping draining a stream: drain time, IteratorAge, retries
    Simulate(Box<simulate::SimulateArgs>),
    /// Export an AWS account read-only (configuration, CloudWatch metrics, sampled records) with the AWS CLI
    Export(Box<export::ExportArgs>),
    /// Write one SQL query (DuckDB, Trino/Athena, Spark) that computes the distribution report's
    /// figures over an archive table; read its result with `check`/`distribute --aggregates`
    Sql(Box<sql::SqlArgs>),
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
    /// Print a shell completion script (`shardlint completions bash > ~/.local/share/bash-completion/completions/shardlint`)
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory
    Man {
        /// Write shardlint.1, shardlint-check.1, ... into this directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the JSON Schema of `shardlint.toml`, for editor completion and validation
    ConfigSchema,
    /// Run the language server over stdio (diagnostics, quick fixes, rule docs on hover)
    Server,
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
    /// JUnit XML test report (Jenkins, GitLab, Azure Pipelines, CircleCI)
    Junit,
    /// GitLab Code Quality JSON (`artifacts:reports:codequality`)
    Gitlab,
    /// Checkstyle XML (Jenkins warnings-ng, reviewdog, Bitbucket)
    Checkstyle,
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
#[command(group(clap::ArgGroup::new("sample_input").args(["samples", "aggregates"])))]
pub struct CheckArgs {
    /// Files or directories to check; `-` reads one file from stdin (see --stdin-filename)
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The name of the file read from stdin (`check -`): picks its format and its shardlint.toml
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Report only findings not in this baseline file; overrides `baseline` of shardlint.toml
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in this baseline file, then exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Exit 0 even when there are findings (2 still means some input could not be read)
    #[arg(long)]
    pub exit_zero: bool,
    /// Print how many findings each rule produced instead of the findings (text or json)
    #[arg(long)]
    pub statistics: bool,
    /// Print the resolved settings governing FILE and exit
    #[arg(long, value_name = "FILE")]
    pub show_settings: Option<PathBuf>,
    /// List the files that would be checked, each with the config governing it, and exit
    #[arg(long)]
    pub show_files: bool,
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
    /// Use this config file for every path, instead of the closest `shardlint.toml` above each file
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
    /// A `shardlint sql` result (JSON lines, JSON array or CSV) for one IoT rule's stream: the
    /// sample-driven findings (SL4xx) from an archive aggregated by DuckDB, Athena or Spark
    #[arg(long, value_name = "RESULT", conflicts_with = "samples")]
    pub aggregates: Option<PathBuf>,
    /// Apply every sample to this IoT rule (name or address) instead of routing by topic
    #[arg(long, value_name = "NAME", requires = "sample_input")]
    pub rule: Option<String>,
    /// Records per second on the stream, when the samples carry no timestamps (e.g. `5000/s`)
    #[arg(long, value_name = "N/s", value_parser = distribute::parse_rate, requires = "sample_input")]
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
    /// Apply the safe fixes in place, then report what remains
    #[arg(long)]
    pub fix: bool,
    /// Also apply the unsafe fixes (a likely intent: review the result); implies --fix
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them (with --fix or --unsafe-fixes;
    /// alone, the safe ones)
    #[arg(long)]
    pub diff: bool,
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
    let global = cli.global.clone();
    match cli.command {
        Command::Check(args) => check(*args, &global),
        Command::Server => crate::server::run(),
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
                Shell::Powershell => clap_complete::Shell::PowerShell,
                Shell::Elvish => clap_complete::Shell::Elvish,
            };
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "shardlint", &mut buf);
            match write_output(None, &String::from_utf8_lossy(&buf)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("error: {e}");
                    2
                }
            }
        }
        Command::Man { dir } => {
            let cmd = Cli::command();
            let r = match dir {
                Some(d) => {
                    std::fs::create_dir_all(&d).and_then(|_| clap_mangen::generate_to(cmd, &d))
                }
                None => {
                    let mut buf = Vec::new();
                    clap_mangen::Man::new(cmd)
                        .render(&mut buf)
                        .and_then(|_| write_output(None, &String::from_utf8_lossy(&buf)))
                }
            };
            match r {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("error: {e}");
                    2
                }
            }
        }
        Command::ConfigSchema => {
            print!("{}", crate::config_file::json_schema());
            0
        }
        Command::Distribute(args) => match distribute::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {}", render::visible(&e));
                2
            }
        },
        Command::Sql(args) => match sql::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {}", render::visible_except(&e, &['\n']));
                2
            }
        },
        Command::Export(args) => match crate::export::run(&args.resolve()) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {}", render::visible(&e));
                2
            }
        },
        Command::Simulate(args) => match simulate::run(&args) {
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

/// Most bytes read from stdin (`check -`), as for any file.
const MAX_STDIN_BYTES: u64 = 64 << 20;

fn check(mut args: CheckArgs, global: &GlobalArgs) -> i32 {
    let started = std::time::Instant::now();
    let overrides = crate::config_file::Overrides {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        fail_on: args.fail_on.map(Into::into),
        baseline: args.baseline.clone(),
    };
    let mut settings = match crate::config_file::Settings::new(args.config.as_deref(), overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", error_line(args.format, &e.to_string()));
            return 2;
        }
    };
    if let Some(file) = &args.show_settings {
        return match settings.for_path(file) {
            Ok(c) => {
                print!("{}", crate::config_file::describe(file, c));
                0
            }
            Err(e) => {
                eprintln!("{}", error_line(args.format, &e.to_string()));
                2
            }
        };
    }
    // `check -`: the text goes to a scratch file named like --stdin-filename, so the loader picks
    // its format from the name; findings and the config lookup use the given name.
    let mut scratch: Option<(tempfile::TempDir, PathBuf, PathBuf)> = None;
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() != 1 {
            eprintln!("error: `-` (stdin) cannot be combined with other paths");
            return 2;
        }
        let Some(shown) = args.stdin_filename.clone() else {
            eprintln!(
                "error: `check -` needs `--stdin-filename PATH` to know the file's format (e.g. `main.tf`, `template.yaml`)"
            );
            return 2;
        };
        let mut text = Vec::new();
        if let Err(e) = std::io::stdin()
            .take(MAX_STDIN_BYTES + 1)
            .read_to_end(&mut text)
        {
            eprintln!("error: cannot read stdin: {e}");
            return 2;
        }
        if text.len() as u64 > MAX_STDIN_BYTES {
            eprintln!(
                "error: stdin is above the {} MiB limit",
                MAX_STDIN_BYTES >> 20
            );
            return 2;
        }
        let made = tempfile::tempdir().and_then(|dir| {
            let name = shown
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| "stdin".into());
            let path = dir.path().join(name);
            std::fs::write(&path, &text)?;
            Ok((dir, path))
        });
        match made {
            Ok((dir, path)) => {
                args.paths = vec![path.clone()];
                scratch = Some((dir, path, shown));
            }
            Err(e) => {
                eprintln!("error: cannot hold stdin in a scratch file: {e}");
                return 2;
            }
        }
    }
    let opts = crate::load::LoadOptions {
        no_ignore: args.no_ignore,
        skip_unknown: args.skip_unknown,
        ..Default::default()
    };
    if args.show_files {
        return show_files(&args.paths, &opts, &mut settings);
    }
    let sample_opts = crate::samples::SampleOptions {
        files: args.samples.clone(),
        aggregates: args.aggregates.clone(),
        rule: args.rule.clone(),
        rate: args.rate,
        record_time: args.record_time,
        seed: args.seed,
        progress: !args.no_progress && global.quiet == 0 && std::io::stderr().is_terminal(),
    };
    let alias = scratch.as_ref().map(|(_, p, s)| (p.as_path(), s.as_path()));
    let fixing = args.fix || args.unsafe_fixes || args.diff;
    if fixing && scratch.is_some() && !args.diff {
        eprintln!("error: `--fix` rewrites files; with `check -` use `--diff`");
        return 2;
    }
    let mut report =
        match crate::check_settings(&args.paths, &mut settings, &opts, &sample_opts, alias) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}", error_line(args.format, &e.to_string()));
                return 2;
            }
        };
    if fixing {
        // Apply, re-check, and apply what overlapping fixes left for the next round.
        let mut fixed = 0;
        for _ in 0..crate::fix::MAX_ROUNDS {
            let chosen = crate::fix::choose(&report.findings, args.unsafe_fixes);
            if chosen.files.is_empty() {
                break;
            }
            fixed += chosen.fixes;
            for (file, edits) in &chosen.files {
                let src = report.db.get(*file);
                let new = crate::fix::apply(&src.text, edits);
                if args.diff {
                    print!(
                        "{}",
                        crate::fix::unified_diff(&src.display_name(), &src.text, &new)
                    );
                } else if let Err(e) = crate::fix::write_atomic(&src.path, &new) {
                    eprintln!("error: cannot write {}: {e}", src.display_name());
                    return 2;
                }
            }
            if args.diff {
                // Nothing written: one round shows what would change.
                return i32::from(fixed > 0);
            }
            report =
                match crate::check_settings(&args.paths, &mut settings, &opts, &sample_opts, alias)
                {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("{}", error_line(args.format, &e.to_string()));
                        return 2;
                    }
                };
        }
        if args.diff {
            return 0;
        }
        if global.quiet == 0 {
            let left = report
                .findings
                .iter()
                .filter(|f| !f.fixes.is_empty())
                .count();
            eprintln!(
                "Fixed {}{}",
                render::human::plural(fixed, "finding", "findings"),
                if left > 0 && !args.unsafe_fixes {
                    format!(
                        "; {} more with --unsafe-fixes",
                        render::human::plural(left, "finding has a fix", "findings have fixes")
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    if global.verbose > 0 {
        verbose_notes(&report, &mut settings);
        eprintln!("shardlint: checked in {:.2?}", started.elapsed());
    }
    if let Some(path) = &args.write_baseline {
        let all: Vec<_> = report
            .findings
            .iter()
            .chain(&report.baselined)
            .cloned()
            .collect();
        let text = crate::baseline::render(&report.db, path, &all);
        if let Err(e) = write_output(Some(path), &text) {
            eprintln!("{}", error_line(args.format, &e.to_string()));
            return 2;
        }
        if global.quiet == 0 {
            eprintln!(
                "Wrote {} to {}",
                render::human::plural(all.len(), "baseline entry", "baseline entries"),
                path.display()
            );
        }
        return if report.errors.is_empty() { 0 } else { 2 };
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let root = render::repo_root();
    let text = if args.statistics {
        match args.format {
            Format::Text => render::human::statistics(&report),
            Format::Json => render::json::statistics(&report),
            other => {
                eprintln!(
                    "error: --statistics prints text or json, not {}",
                    other
                        .to_possible_value()
                        .map_or(String::new(), |v| v.get_name().to_string())
                );
                return 2;
            }
        }
    } else {
        match args.format {
            Format::Json => render::json::render(&report),
            Format::Sarif => render::sarif::render_with(
                &report,
                &render::sarif::SarifOptions {
                    srcroot_uri: render::sarif::dir_uri(&root),
                    root: Some(root.clone()),
                },
            ),
            Format::Github => render::github::render(&report),
            Format::Junit => render::junit::render(&report, &root),
            Format::Gitlab => render::gitlab::render(&report, &root),
            Format::Checkstyle => render::checkstyle::render(&report, &root),
            Format::Html => {
                // The HTML report shows the figures of the config governing the first path.
                let first = args.paths.first().cloned().unwrap_or_else(|| ".".into());
                let config = settings.for_path(&first).cloned().unwrap_or_default();
                render::html::render(
                    &report,
                    &render::html::HtmlInput::from_report(&report, &config),
                    &config,
                )
            }
            Format::Text => render::human::render(
                &report,
                render::human::HumanOptions {
                    color: global.color(to_terminal),
                    width: terminal_width(to_terminal),
                    summary: global.quiet == 0,
                },
            ),
        }
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
    if global.quiet < 2
        && let Err(e) = write_output(args.output.as_deref(), &text)
    {
        eprintln!("{}", error_line(args.format, &e.to_string()));
        return 2;
    }
    if global.quiet == 0 {
        for note in &report.notes {
            match args.format {
                Format::Github => eprintln!("note: {}", render::github::escape_data(note)),
                _ => eprintln!("note: {}", render::visible(note)),
            }
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
    }
    let mut code = report.exit_code();
    // Pre-commit hands over every changed .json/.yaml: when none is ours there is nothing to
    // check, and that is fine there.
    if code == 2 && report.summary.files == 0 && report.errors.is_empty() && args.skip_unknown {
        code = 0;
    }
    if code == 1 && args.exit_zero {
        code = 0;
    }
    code
}

/// `-v`: which config governs how many files.
fn verbose_notes(report: &crate::Report, settings: &mut crate::config_file::Settings) {
    let mut counts: std::collections::BTreeMap<usize, usize> = Default::default();
    for (id, f) in report.db.files() {
        if report.skipped.contains(&id) {
            continue;
        }
        if let Ok(i) = settings.index_for(&f.path) {
            *counts.entry(i).or_default() += 1;
        }
    }
    for (i, n) in counts {
        let name = settings.configs[i]
            .source
            .as_ref()
            .map_or("the defaults".into(), |s| {
                crate::source::display_path(&s.path)
            });
        eprintln!(
            "shardlint: {name} governs {}",
            render::human::plural(n, "file", "files")
        );
    }
}

/// `--show-files`: what would be checked, and under which config.
fn show_files(
    paths: &[PathBuf],
    opts: &crate::load::LoadOptions,
    settings: &mut crate::config_file::Settings,
) -> i32 {
    let loaded = crate::load::load_paths(paths, opts);
    let mut lines = Vec::new();
    for (id, f) in loaded.db.files() {
        if loaded.skipped.contains(&id) {
            continue;
        }
        let config = match settings.for_path(&f.path) {
            Ok(c) => c.source.as_ref().map_or("(defaults)".to_string(), |s| {
                crate::source::display_path(&s.path)
            }),
            Err(e) => {
                eprintln!("error: {}", render::visible(&e.to_string()));
                return 2;
            }
        };
        lines.push(format!("{}  {config}", f.display_name()));
    }
    lines.sort();
    lines.dedup();
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    if let Err(e) = write_output(None, &out) {
        eprintln!("error: {e}");
        return 2;
    }
    for e in &loaded.errors {
        eprintln!(
            "error: {}: {}",
            render::visible(&e.file),
            render::visible(&e.message)
        );
    }
    if !loaded.errors.is_empty() || lines.is_empty() {
        2
    } else {
        0
    }
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

/// `COLUMNS` if set, else the terminal's width, else 80; never below 40.
fn terminal_width(to_terminal: bool) -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok());
    let width = match columns {
        Some(c) => c,
        None if to_terminal => terminal_size::terminal_size()
            .map(|(w, _)| w.0 as usize)
            .unwrap_or(80),
        None => 80,
    };
    width.max(40)
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
