//! Sample-driven analysis for `check --samples`: routes sampled records to each IoT rule's
//! Kinesis actions (by the rule's `FROM` topic filter when envelopes carry topics, or by
//! `--rule NAME`), runs the distribution engine with every action's key template on its linked
//! stream's shard map in one pass over the samples, and keeps the reports for the SL4xx rules. Static facts and sample facts
//! stay separate analyses feeding the same rules.

use std::path::PathBuf;

use crate::analysis::Analysis;
use crate::config::Config;
use crate::diagnostic::InputError;
use crate::distribution::{self, DistributionReport, Job, KeySource, Options};
use crate::model::Model;
use crate::simulate::RecordTime;

/// What `check` was told about samples.
#[derive(Clone, Debug, Default)]
pub struct SampleOptions {
    pub files: Vec<PathBuf>,
    /// A `shardlint sql` result used instead of sample files (`check --aggregates`).
    pub aggregates: Option<PathBuf>,
    /// Route every sample to this rule (by its name or address) instead of by topic.
    pub rule: Option<String>,
    /// Records per second on the stream, when the samples carry no timestamps.
    pub rate: Option<f64>,
    /// The consumer's per-record processing time: enables the falls-behind check.
    pub record_time: Option<RecordTime>,
    pub seed: Option<u64>,
    pub progress: bool,
}

/// One Kinesis action's distribution over its stream.
#[derive(Debug)]
pub struct ActionSamples {
    pub rule: usize,
    pub action: usize,
    /// Set when the samples went to a producer other than an IoT rule (an EventBridge target
    /// keyed by a JSONPath into each event); `rule` and `action` are then 0.
    pub producer: Option<usize>,
    pub stream: usize,
    /// The event source mapping consuming that stream whose ParallelizationFactor was used.
    pub mapping: Option<usize>,
    pub factor: u32,
    pub report: DistributionReport,
    /// When other actions or producers write to the same stream: the stream's per-second load
    /// from all of them together (records in the same second add up; separate peaks do not).
    pub stream_load: Option<std::sync::Arc<distribution::SharedLoad>>,
}

/// Runs the distribution for every routed action, all over one pass of the sample files (the
/// records layer reads each once, whatever the number of producers). Unreadable sample files and
/// bad lines are input errors (the run goes on; exit 2).
pub fn analyse(
    model: &Model,
    analysis: &Analysis,
    config: &Config,
    opts: &SampleOptions,
) -> (Vec<ActionSamples>, Vec<InputError>) {
    let mut out = Vec::new();
    let mut errors: Vec<InputError> = Vec::new();
    // The input named in errors: the aggregates result, or the first sample file.
    let first_input = match (&opts.aggregates, opts.files.first()) {
        (Some(p), _) | (None, Some(p)) => p.clone(),
        (None, None) => return (out, errors),
    };
    // A result names its rule (`meta` row `rule=`) and key template: route to that action.
    let (wanted_rule, wanted_template) = match &opts.aggregates {
        Some(p) => match distribution::aggregates::result_meta(p) {
            Ok(meta) => (
                opts.rule.clone().or_else(|| meta.get("rule").cloned()),
                meta.get("template").cloned(),
            ),
            Err(e) => {
                errors.push(sample_error(p, e));
                return (out, errors);
            }
        },
        None => (opts.rule.clone(), None),
    };
    if opts.aggregates.is_some() && wanted_rule.is_none() {
        errors.push(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: first_input.display().to_string(),
            span: None,
            message: "the result names no IoT rule (its query was written from `--partition-key`)"
                .into(),
            help: Some(
                "give `--rule NAME`, or write the query with `shardlint sql --rule NAME`".into(),
            ),
        });
        return (out, errors);
    }
    // (rule, action, stream, mapping, factor, key source, options) of every routed action.
    struct Routed<'m> {
        rule: usize,
        action: usize,
        producer: Option<usize>,
        stream: usize,
        mapping: Option<usize>,
        factor: u32,
        source: KeySource,
        map: &'m crate::keyspace::ShardMap,
        options: Options,
    }
    let mut routed: Vec<Routed> = Vec::new();
    for (ri, rule) in model.rules.iter().enumerate() {
        if let Some(wanted) = &wanted_rule {
            let name = rule.name.get().map(String::as_str);
            if name != Some(wanted.as_str()) && rule.origin.address != *wanted {
                continue;
            }
        }
        let filter = match &wanted_rule {
            Some(_) => None,
            None => analysis
                .sql
                .get(ri)
                .and_then(|s| s.as_ref())
                .and_then(|s| s.topic_filter.as_ref())
                .map(|(f, _)| f.clone()),
        };
        for (ai, action) in rule.actions.iter().enumerate() {
            if action.in_error_action {
                continue;
            }
            let (Some(si), Some(key)) = (action.stream, action.partition_key.get()) else {
                continue;
            };
            let Some(map) = analysis.shard_maps.get(si).and_then(|m| m.map()) else {
                continue;
            };
            let vars = analysis
                .sql
                .get(ri)
                .and_then(|s| s.as_ref())
                .map_or(&[][..], |s| s.vars.as_slice());
            let Ok(source) = KeySource::template_with_vars(key, vars) else {
                continue; // SL105 reports the template itself
            };
            if wanted_template.as_ref().is_some_and(|t| t != key) {
                continue; // another Kinesis action of the rule
            }
            let source = source.with_sql_version(crate::analysis::rule_sql_version(rule));
            let mapping = model.mappings.iter().position(|m| {
                m.stream == Some(si) && m.enabled.get() != Some(&false) && !m.is_efo()
            });
            let factor = mapping
                .and_then(|i| model.mappings[i].parallelization_factor.get().copied())
                .unwrap_or(1)
                .clamp(1, 10) as u32;
            let options = Options {
                parallelization_factor: factor,
                group_model: config.group_model,
                rate: opts.rate,
                seed: opts.seed.unwrap_or(distribution::DEFAULT_SEED),
                shard_map_label: model.streams[si].display_name(),
                observed_keys: true,
                topic_filter: filter.clone(),
                rule_name: rule.name.get().cloned(),
                ..Options::default()
            };
            routed.push(Routed {
                rule: ri,
                action: ai,
                producer: None,
                stream: si,
                mapping,
                factor,
                source,
                map,
                options,
            });
        }
    }
    // Producers keyed by a JSONPath into each event (EventBridge targets, pipes): only when
    // `--rule` names one, or when there is no IoT rule to route samples to.
    for (pi, p) in model.producers.iter().enumerate() {
        let named = wanted_rule
            .as_deref()
            .is_some_and(|r| p.origin.address == r || p.origin.address.ends_with(&format!(".{r}")));
        if !(named || (wanted_rule.is_none() && model.rules.is_empty())) {
            continue;
        }
        let (Some(si), Some(path)) = (p.stream, p.sample_path.as_deref()) else {
            continue;
        };
        let Some(map) = analysis.shard_maps.get(si).and_then(|m| m.map()) else {
            continue;
        };
        let source = match KeySource::key_path(path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(sample_error(&first_input, e));
                continue;
            }
        };
        let mapping = model
            .mappings
            .iter()
            .position(|m| m.stream == Some(si) && m.enabled.get() != Some(&false) && !m.is_efo());
        let factor = mapping
            .and_then(|i| model.mappings[i].parallelization_factor.get().copied())
            .unwrap_or(1)
            .clamp(1, 10) as u32;
        let options = Options {
            parallelization_factor: factor,
            group_model: config.group_model,
            rate: opts.rate,
            seed: opts.seed.unwrap_or(distribution::DEFAULT_SEED),
            shard_map_label: model.streams[si].display_name(),
            observed_keys: true,
            ..Options::default()
        };
        routed.push(Routed {
            rule: 0,
            action: 0,
            producer: Some(pi),
            stream: si,
            mapping,
            factor,
            source,
            map,
            options,
        });
    }
    if routed.is_empty() {
        errors.push(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: first_input.display().to_string(),
            span: None,
            message: match &wanted_rule {
                Some(r) => format!("no IoT rule `{r}` with a Kinesis action, or EventBridge target or pipe `{r}`, on a stream of known shard map to apply the samples to"),
                None => "no IoT rule with a Kinesis action on a stream of known shard map to apply the samples to".into(),
            },
            help: Some("check the configuration together with the samples, e.g. `shardlint check infra/ --samples samples.jsonl`, and make sure the stream's shard count is known".into()),
        });
        return (out, errors);
    }
    if let Some(path) = &opts.aggregates {
        for r in &routed {
            match distribution::aggregates::report(path, &r.source, r.map, &r.options) {
                Ok(report) => {
                    collect_errors(&report, &mut errors);
                    out.push(ActionSamples {
                        rule: r.rule,
                        action: r.action,
                        producer: r.producer,
                        stream: r.stream,
                        mapping: r.mapping,
                        factor: r.factor,
                        report,
                        stream_load: None,
                    });
                }
                Err(e) => errors.push(sample_error(path, e)),
            }
        }
        return (out, errors);
    }
    // Records read back from a stream carry no stream name: with samples going to several
    // streams, counting them on each would make every stream look like the one they came from.
    let mut streams: Vec<usize> = routed.iter().map(|r| r.stream).collect();
    streams.sort_unstable();
    streams.dedup();
    if wanted_rule.is_none() && streams.len() > 1 {
        let names: Vec<String> = streams
            .iter()
            .map(|&s| format!("`{}`", model.streams[s].display_name()))
            .collect();
        let why = format!(
            "the samples go to {} streams ({})",
            streams.len(),
            names.join(", ")
        );
        for r in &mut routed {
            r.options.unrouted_get_records = Some(why.clone());
        }
    }
    let jobs: Vec<Job> = routed
        .iter()
        .map(|r| Job {
            src: &r.source,
            map: r.map,
            opts: &r.options,
        })
        .collect();
    // Actions on one stream: their per-second loads are also counted together.
    let groups: Vec<Option<usize>> = routed.iter().map(|r| Some(r.stream)).collect();
    let reports = if opts.progress {
        let label = match routed.len() {
            1 => format!(
                "{} → {}",
                match routed[0].producer {
                    Some(p) => &model.producers[p].origin.address,
                    None => &model.rules[routed[0].rule].origin.address,
                },
                model.streams[routed[0].stream].display_name()
            ),
            n => format!("{} Kinesis actions", crate::numbers::thousands(n as u64)),
        };
        let bar = progress_bar(&label);
        let r = distribution::distribute_jobs_grouped(&opts.files, &jobs, &groups, &|n| {
            bar.set_position(n)
        });
        bar.finish_and_clear();
        r
    } else {
        distribution::distribute_jobs_grouped(&opts.files, &jobs, &groups, &|_| {})
    };
    let (reports, loads) = reports;
    let loads: Vec<std::sync::Arc<distribution::SharedLoad>> =
        loads.into_iter().map(std::sync::Arc::new).collect();
    for (i, (r, report)) in routed.iter().zip(reports).enumerate() {
        match report {
            Ok(report) => {
                collect_errors(&report, &mut errors);
                out.push(ActionSamples {
                    rule: r.rule,
                    action: r.action,
                    producer: r.producer,
                    stream: r.stream,
                    mapping: r.mapping,
                    factor: r.factor,
                    report,
                    stream_load: loads.iter().find(|l| l.jobs.contains(&i)).cloned(),
                });
            }
            Err(e) => errors.push(sample_error(&first_input, e)),
        }
    }
    // The same bad line is seen once per routed action: say it once.
    errors.sort_by(|a, b| (&a.file, &a.message).cmp(&(&b.file, &b.message)));
    errors.dedup_by(|a, b| a.file == b.file && a.message == b.message);
    (out, errors)
}

fn sample_error(file: &std::path::Path, message: String) -> InputError {
    InputError {
        meta: &crate::diagnostic::INPUT_PARSE_ERROR,
        file: file.display().to_string(),
        span: None,
        message,
        help: None,
    }
}

fn collect_errors(report: &DistributionReport, errors: &mut Vec<InputError>) {
    for e in &report.input_errors {
        errors.push(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: report
                .input
                .files
                .first()
                .map(|f| f.path.clone())
                .unwrap_or_default(),
            span: None,
            message: e.clone(),
            help: None,
        });
    }
    if report.bad_lines.count > 0 {
        let examples: Vec<String> = report
            .bad_lines
            .examples
            .iter()
            .map(|ex| {
                format!(
                    "{} {} {}: {}",
                    ex.at.input, ex.at.unit, ex.at.number, ex.reason
                )
            })
            .collect();
        errors.push(InputError {
            meta: &crate::diagnostic::INPUT_PARSE_ERROR,
            file: report
                .bad_lines
                .examples
                .first()
                .map(|ex| ex.at.input.clone())
                .unwrap_or_default(),
            span: None,
            message: format!(
                "`{}` sample {} could not be read and {} skipped ({})",
                crate::numbers::thousands(report.bad_lines.count),
                if report.bad_lines.count == 1 {
                    "record"
                } else {
                    "records"
                },
                if report.bad_lines.count == 1 {
                    "was"
                } else {
                    "were"
                },
                examples.join("; ")
            ),
            help: Some("fix or remove those lines; the other records were analysed".into()),
        });
    }
}

fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(crate::progress::records_style(true));
    bar.set_message(label.to_string());
    bar
}
