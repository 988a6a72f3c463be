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
//!                       └─ view ..... what the HTML / distribute reports show, hot and over-limit decisions made
//!                       └─ render/{human, json, sarif, github, html}   pure: findings + views → bytes; decides nothing
//!                           └─ exit code: 0 clean · 1 findings at/above --fail-on · 2 some input unreadable / usage error
//! ```

pub mod analysis;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod diagnostic;
pub mod distribution;
pub mod export;
pub mod fix;
pub(crate) mod json_scan;
pub mod keyspace;
pub mod link;
pub mod load;
pub mod md5_lanes;
pub mod model;
pub mod numbers;
pub mod observed;
pub mod ordering;
pub mod progress;
pub mod project;
pub mod random;
pub mod records;
pub mod render;
pub mod rules;
pub mod samples;
pub mod server;
pub mod simulate;
pub mod source;
pub mod sql;
pub mod suppress;
pub mod template;
pub mod version;
pub mod view;

use std::path::PathBuf;

use diagnostic::{Finding, InputError, Summary};
use source::SourceDb;

/// Everything one `check` run found, ready for a renderer.
#[derive(Debug)]
pub struct Report {
    pub db: SourceDb,
    pub model: model::Model,
    /// What to report: not suppressed, not in the baseline.
    pub findings: Vec<Finding>,
    /// Silenced by a `shardlint:ignore` comment or CloudFormation Metadata (SARIF keeps them
    /// with an in-source suppression).
    pub suppressed: Vec<Finding>,
    /// Accepted by the baseline (SARIF keeps them with an external suppression).
    pub baselined: Vec<Finding>,
    /// Baseline entries that match no finding any more, with the baseline they are in.
    pub stale_baseline: Vec<(PathBuf, baseline::Entry)>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
    /// Findings at or above the `fail-on` of the config governing their file.
    pub failing: usize,
    /// Files read but not checked: JSON/YAML that is none of ours, and config files.
    pub skipped: std::collections::HashSet<source::FileId>,
    /// Key classes and shard maps, for reports that show them (HTML).
    pub analysis: analysis::Analysis,
    /// Sample-driven distributions (`--samples`), for reports that show them (HTML).
    pub samples: Vec<samples::ActionSamples>,
    /// Said once on stderr, never in the report (remote modules not read).
    pub notes: Vec<String>,
}

impl Report {
    /// 0 clean · 1 a finding at or above its config's `fail-on` · 2 some input could not be
    /// read, or nothing was read at all (a check of no file is not a success).
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() || self.summary.files == 0 {
            2
        } else if self.failing > 0 {
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
    let mut settings = config_file::Settings::single(config.clone());
    match check_settings(paths, &mut settings, opts, sample_opts, None) {
        Ok(r) => r,
        // One given config: nothing more to read that could fail.
        Err(e) => unreachable!("a single config resolves without reading: {e}"),
    }
}

/// The full run: each file under the config that governs it ([`config_file::Settings`]), then
/// suppressions, the baseline, and the changed-files filter.
pub fn check_settings(
    paths: &[PathBuf],
    settings: &mut config_file::Settings,
    opts: &load::LoadOptions,
    sample_opts: &samples::SampleOptions,
    stdin_alias: Option<(&std::path::Path, &std::path::Path)>,
) -> Result<Report, config_file::ConfigError> {
    let project::Project {
        loaded, analysis, ..
    } = project::open(paths, opts);
    let load::Loaded {
        mut db,
        model,
        mut errors,
        report_only,
        mut skipped,
        notes,
    } = loaded;
    // Text read from stdin was loaded from a scratch file: show it, and resolve its config,
    // under `--stdin-filename`.
    if let Some((scratch, shown)) = stdin_alias {
        let ids: Vec<source::FileId> = db
            .files()
            .filter(|(_, f)| f.path == scratch)
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            db.set_path(id, shown.to_path_buf());
        }
        let (from, to) = (source::display_path(scratch), source::display_path(shown));
        for e in &mut errors {
            if e.file == from {
                e.file = to.clone();
            }
        }
    }
    // Which config governs each file read.
    let mut governed: std::collections::HashMap<source::FileId, usize> = Default::default();
    for (id, file) in db.files() {
        governed.insert(id, settings.index_for(&file.path)?);
    }
    let root_index = settings.index_for(paths.first().map_or(std::path::Path::new("."), |p| p))?;
    let mut groups: std::collections::BTreeSet<usize> = governed.values().copied().collect();
    if groups.is_empty() {
        groups.insert(root_index);
    }
    // Files whose comments may hold suppressions: everything read, recognised and reported on.
    let checked: Vec<source::FileId> = db
        .files()
        .map(|(id, _)| id)
        .filter(|id| !skipped.contains(id))
        .filter(|id| report_only.as_ref().is_none_or(|only| only.contains(id)))
        .collect();
    // Each config file joins the db so that findings can name its entries as related
    // locations; it is not a checked file.
    let mut config_files = std::collections::HashMap::new();
    for &g in &groups {
        if let Some(src) = settings.configs[g].source.as_ref() {
            let id = db.add(src.path.clone(), src.text.clone());
            skipped.insert(id);
            config_files.insert(g, id);
        }
    }
    let root_config = &settings.configs[root_index];
    let (sampled, sample_errors) = samples::analyse(&model, &analysis, root_config, sample_opts);
    errors.extend(sample_errors);
    let first_group = *groups.iter().next().unwrap_or(&0);
    // (config index, finding), so that fail-on and the baseline follow each file's config.
    let mut findings: Vec<(usize, Finding)> = Vec::new();
    let mut suppressed: Vec<Finding> = Vec::new();
    for &g in &groups {
        let config = &settings.configs[g];
        let ctx = rules::Ctx {
            db: &db,
            model: &model,
            analysis: &analysis,
            config,
            samples: &sampled,
            record_time: sample_opts.record_time.as_ref(),
            config_file: config_files.get(&g).copied(),
        };
        let mut group = rules::run(&ctx);
        // Rules see the whole model; a finding belongs to the config of the file it is in.
        group.retain(|f| {
            governed
                .get(&f.span.file)
                .map_or(g == first_group, |&i| i == g)
        });
        // The final severity, under the config governing the finding's file.
        for f in &mut group {
            f.severity = config.severity_of(f.meta);
        }
        let files: Vec<source::FileId> = checked
            .iter()
            .copied()
            .filter(|id| governed.get(id) == Some(&g))
            .collect();
        // Fixes edit what the author wrote, never a tool's installed copy of it.
        for f in &mut group {
            f.fixes.retain(|x| {
                x.edits
                    .iter()
                    .all(|e| !load::is_installed_copy(&db.get(e.span.file).path))
            });
        }
        suppressed.extend(suppress::apply(&db, &files, config, &mut group));
        findings.extend(group.into_iter().map(|f| (g, f)));
    }
    // Given changed files (pre-commit), report what is located in them or caused by them.
    let concerns = |f: &Finding, only: &std::collections::HashSet<source::FileId>| {
        only.contains(&f.span.file) || f.related.iter().any(|r| only.contains(&r.span.file))
    };
    if let Some(only) = &report_only {
        findings.retain(|(_, f)| concerns(f, only));
        suppressed.retain(|f| concerns(f, only));
    }
    // Baselines, each applied to the findings of the configs naming it.
    let mut baselined = Vec::new();
    let mut stale_baseline = Vec::new();
    let mut baselines: Vec<PathBuf> = groups
        .iter()
        .filter_map(|&g| settings.configs[g].baseline.clone())
        .collect();
    baselines.sort();
    baselines.dedup();
    let read_files: std::collections::HashSet<PathBuf> = checked
        .iter()
        .map(|&id| baseline::absolute(&db.get(id).path))
        .collect();
    let dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| baseline::absolute(p))
        .collect();
    for path in baselines {
        let b = match baseline::load(&path) {
            Ok(b) => b,
            Err(message) => {
                return Err(config_file::ConfigError {
                    file: source::display_path(&path),
                    position: None,
                    message: message
                        .strip_prefix(&format!("{}: ", source::display_path(&path)))
                        .unwrap_or(&message)
                        .to_string(),
                });
            }
        };
        let (mut mine, rest): (Vec<_>, Vec<_>) = findings
            .drain(..)
            .partition(|(g, _)| settings.configs[*g].baseline.as_ref() == Some(&path));
        let mut plain: Vec<Finding> = mine.drain(..).map(|(_, f)| f).collect();
        let (accepted, stale) = baseline::apply(&db, &b, &mut plain);
        baselined.extend(accepted);
        // An entry is stale only if its file was read this run, or is gone from a checked
        // directory: a check of `a/` or of changed files says nothing about the rest.
        for e in stale {
            let abs = baseline::absolute(&b.dir.join(&e.file));
            let gone_here = !abs.exists() && dirs.iter().any(|d| abs.starts_with(d));
            if read_files.contains(&abs) || gone_here {
                stale_baseline.push((path.clone(), e));
            }
        }
        findings = rest;
        // Keep the config index of the new findings for fail-on.
        for f in plain {
            let g = governed.get(&f.span.file).copied().unwrap_or(first_group);
            findings.push((g, f));
        }
    }
    let failing = findings
        .iter()
        .filter(|(g, f)| f.severity >= settings.configs[*g].fail_on)
        .count();
    let mut findings: Vec<Finding> = findings.into_iter().map(|(_, f)| f).collect();
    sort_findings(&db, &mut findings);
    sort_findings(&db, &mut suppressed);
    sort_findings(&db, &mut baselined);
    errors.sort_by(|a, b| {
        (&a.file, a.span.map(|s| s.start)).cmp(&(&b.file, b.span.map(|s| s.start)))
    });
    let count = |s: diagnostic::Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        files: db.files().count() - skipped.len(),
        streams: model.streams.len(),
        topic_rules: model.rules.len(),
        mappings: model.mappings.len(),
        functions: model.functions.len(),
        errors: count(diagnostic::Severity::Error),
        warnings: count(diagnostic::Severity::Warning),
        infos: count(diagnostic::Severity::Info),
        input_errors: errors.len(),
        suppressed: suppressed.len(),
        baselined: baselined.len(),
        stale_baseline: stale_baseline.len(),
    };
    Ok(Report {
        db,
        model,
        findings,
        suppressed,
        baselined,
        stale_baseline,
        errors,
        summary,
        failing,
        skipped,
        analysis,
        samples: sampled,
        notes,
    })
}

/// File, position, then code: the same order on every run.
fn sort_findings(db: &SourceDb, findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let fa = db.get(a.span.file).display_name();
        let fb = db.get(b.span.file).display_name();
        (fa, a.span.start, a.span.end, a.code(), &a.message).cmp(&(
            fb,
            b.span.start,
            b.span.end,
            b.code(),
            &b.message,
        ))
    });
}
