//! shardlint: a static analyzer for AWS Kinesis partition keys, hot shards and the Lambda event
//! source mappings that consume them.
//!
//! ```text
//! paths, --samples, stdin
//!   └─ discover ............... files to read (respect .gitignore; skip .terraform/, node_modules/, .git/)
//!       └─ load/{terraform, cloudformation, aws_cli, plan}   keep spans; a bad file = an input error, run goes on
//!           └─ model ............ one format-free Model: streams (shard map), producers (IoT rules → key expression),
//!                                 consumers (event source mappings, functions); each value a Val with span + logical path
//!               └─ link ......... IoT rule → stream, mapping → stream / function, across files and formats
//!               └─ analysis ..... keyspace (MD5 → open shard), key templates (constant / per-record / random / unknown),
//!                                 samples (routed by topic → distribution: keys → shards, in parallel), ordering groups
//!                                 (`distribute` and `simulate` reuse these stages as their own commands)
//!                   └─ rules .... each rule reads Model + analysis results, pushes Findings; never formats output
//!                       └─ suppress  `shardlint:ignore` comments and CloudFormation Metadata; unused ones reported
//!                       └─ render/{human, json, sarif, github, html}   pure: findings → bytes; decides nothing
//!                           └─ exit code: 0 clean · 1 findings at/above --fail-on · 2 some input unreadable / usage error
//! ```

pub mod analysis;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod diagnostic;
pub mod distribution;
pub mod keyspace;
pub mod link;
pub mod load;
pub mod model;
pub mod ordering;
pub mod render;
pub mod rules;
pub mod samples;
pub mod simulate;
pub mod source;
pub mod suppress;
pub mod template;
pub mod timestamp;

use std::path::PathBuf;

use diagnostic::{Finding, InputError, Summary};
use source::SourceDb;

/// Everything one `check` run found, ready for a renderer.
#[derive(Debug)]
pub struct Report {
    pub db: SourceDb,
    pub model: model::Model,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
    /// Key classes and shard maps, for reports that show them (HTML).
    pub analysis: analysis::Analysis,
    /// Sample-driven distributions (`--samples`), for reports that show them (HTML).
    pub samples: Vec<samples::ActionSamples>,
    /// Said once on stderr, never in the report (remote modules not read).
    pub notes: Vec<String>,
}

impl Report {
    /// 0 clean · 1 a finding at or above `fail_on` · 2 some input could not be read.
    pub fn exit_code(&self, fail_on: diagnostic::Severity) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}

/// Discovers and loads `paths`, links, analyses and runs the rules.
pub fn check(paths: &[PathBuf], config: &config::Config, opts: &load::LoadOptions) -> Report {
    check_with_samples(paths, config, opts, &samples::SampleOptions::default())
}

/// [`check`], plus the sample-driven analyses and rules when `samples` names files.
pub fn check_with_samples(
    paths: &[PathBuf],
    config: &config::Config,
    opts: &load::LoadOptions,
    sample_opts: &samples::SampleOptions,
) -> Report {
    let loaded = load::load_paths(paths, opts);
    let load::Loaded {
        mut db,
        mut model,
        mut errors,
        report_only,
        mut skipped,
        notes,
    } = loaded;
    // Files whose comments may hold suppressions: everything read, recognised and reported on.
    let checked: Vec<source::FileId> = db
        .files()
        .map(|(id, _)| id)
        .filter(|id| !skipped.contains(id))
        .filter(|id| report_only.as_ref().is_none_or(|only| only.contains(id)))
        .collect();
    // The config file joins the db so that findings can name its entries as related locations;
    // it is not a checked file.
    let config_file = config.source.as_ref().map(|src| {
        let id = db.add(src.path.clone(), src.text.clone());
        skipped.insert(id);
        id
    });
    link::link(&mut model);
    let analysis = analysis::analyse(&model);
    let (sampled, sample_errors) = samples::analyse(&model, &analysis, config, sample_opts);
    errors.extend(sample_errors);
    let ctx = rules::Ctx {
        db: &db,
        model: &model,
        analysis: &analysis,
        config,
        samples: &sampled,
        record_time: sample_opts.record_time.as_ref(),
        config_file,
    };
    let mut findings = rules::run(&ctx);
    for f in &mut findings {
        if let Some(rule) = rules::find(f.code) {
            f.severity = config.severity_of(rule.meta);
        }
    }
    let suppressed = suppress::apply(&db, &checked, config, &mut findings);
    if let Some(only) = &report_only {
        findings.retain(|f| only.contains(&f.span.file));
    }
    sort_findings(&db, &mut findings);
    errors.sort_by(|a, b| {
        (&a.file, a.span.map(|s| s.start)).cmp(&(&b.file, b.span.map(|s| s.start)))
    });
    let summary = Summary {
        files: db.files().count() - skipped.len(),
        streams: model.streams.len(),
        topic_rules: model.rules.len(),
        mappings: model.mappings.len(),
        functions: model.functions.len(),
        errors: findings
            .iter()
            .filter(|f| f.severity == diagnostic::Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == diagnostic::Severity::Warning)
            .count(),
        infos: findings
            .iter()
            .filter(|f| f.severity == diagnostic::Severity::Info)
            .count(),
        input_errors: errors.len(),
        suppressed,
    };
    Report {
        db,
        model,
        findings,
        errors,
        summary,
        analysis,
        samples: sampled,
        notes,
    }
}

/// File, position, then code: the same order on every run.
fn sort_findings(db: &SourceDb, findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let fa = db.get(a.span.file).display_name();
        let fb = db.get(b.span.file).display_name();
        (fa, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            fb,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}
