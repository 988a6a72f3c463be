//! One distribution run: the records layer reads the inputs once, each chunk is counted by every
//! job's engine [`State`], and [`report::build`](super::report) turns each state into its report.
//! Above the engine and the report, so neither needs the other's entry point.

use std::path::PathBuf;
use std::sync::mpsc::sync_channel;

use super::engine::{Example, Location, Options, State};
use super::keys::KeySource;
use super::report::DistributionReport;
use crate::keyspace::{ShardLookup, ShardMap};
use crate::records::reader::{self, InputFormat, ReadEvent};

/// Streams `inputs` through `src` onto `map` and reports the distribution.
pub fn distribute(
    inputs: &[PathBuf],
    src: &KeySource,
    map: &ShardMap,
    opts: &Options,
) -> Result<DistributionReport, String> {
    distribute_with_progress(inputs, src, map, opts, &|_| {})
}

/// As [`distribute`], calling `progress(records so far)` after each chunk.
pub fn distribute_with_progress(
    inputs: &[PathBuf],
    src: &KeySource,
    map: &ShardMap,
    opts: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DistributionReport, String> {
    let job = Job { src, map, opts };
    distribute_jobs(inputs, std::slice::from_ref(&job), progress)
        .pop()
        .unwrap_or_else(|| Err("no distribution was run".into()))
}

/// One distribution over shared inputs: a key source on a shard map with its options (a
/// producer of `check --samples`, or the one of `distribute`).
pub struct Job<'a> {
    pub src: &'a KeySource,
    pub map: &'a ShardMap,
    pub opts: &'a Options,
}

/// Runs every job over one pass of `inputs`: the records layer reads each file once and each
/// chunk is counted by every job (one report per job, in order). The jobs' input format and
/// chunk size are the first job's.
pub fn distribute_jobs(
    inputs: &[PathBuf],
    jobs: &[Job],
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Result<DistributionReport, String>> {
    let Some(first) = jobs.first() else {
        return Vec::new();
    };
    if inputs.is_empty() {
        return jobs
            .iter()
            .map(|_| Err("no input: give `--keys FILE` or `--samples FILE`".into()))
            .collect();
    }
    struct Run<'a> {
        job: &'a Job<'a>,
        st: State,
        lookup: ShardLookup<'a>,
        /// Inputs whose records cannot yield keys are skipped after one error.
        skipped: Vec<bool>,
    }
    let mut runs: Vec<Option<Run>> = jobs
        .iter()
        .map(|job| {
            if job.map.is_empty() {
                return None;
            }
            let mut st = State::new(job.map, job.opts);
            st.files = inputs
                .iter()
                .map(|p| (p.display().to_string(), InputFormat::Auto))
                .collect();
            Some(Run {
                job,
                st,
                lookup: job.map.lookup(),
                skipped: vec![false; inputs.len()],
            })
        })
        .collect();
    let (tx, rx) = sync_channel::<ReadEvent>(2);
    let forced = first.opts.format;
    let chunk_bytes = first.opts.chunk_bytes;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            reader::read_inputs(inputs, forced, chunk_bytes, &mut |ev| tx.send(ev).is_ok());
        });
        for ev in rx {
            for run in runs.iter_mut().flatten() {
                let st = &mut run.st;
                match &ev {
                    ReadEvent::Started { input, format } => {
                        let (input, format) = (*input, *format);
                        st.files[input].1 = format;
                        if !run.job.src.fits(format) {
                            run.skipped[input] = true;
                            st.input_errors.push(format!(
                                "`{}` holds {} records: give `--partition-key TEMPLATE` or `--key-path JSONPATH` to form keys",
                                st.files[input].0,
                                format.name()
                            ));
                        }
                    }
                    ReadEvent::Chunk(c) => {
                        if !run.skipped[c.input] {
                            let o = run.job.opts;
                            st.process(
                                c,
                                run.job.src,
                                &run.lookup,
                                o.seed,
                                o.topic_filter.as_deref(),
                                o.rule_name.as_deref(),
                            );
                        }
                    }
                    ReadEvent::Broken {
                        input,
                        unit,
                        no,
                        reason,
                    } => {
                        let ex = Example {
                            at: Location {
                                input: st.files[*input].0.clone(),
                                unit: unit.name(),
                                number: *no,
                            },
                            reason: reason.clone(),
                            record: String::new(),
                        };
                        st.bad_line(ex);
                    }
                    ReadEvent::Failed { message, .. } => st.input_errors.push(message.clone()),
                }
            }
            if matches!(ev, ReadEvent::Chunk(_)) {
                let seen = runs
                    .iter()
                    .flatten()
                    .map(|r| r.st.tally.keyed + r.st.tally.undefined + r.st.tally.unknown)
                    .max()
                    .unwrap_or(0);
                progress(seen);
            }
        }
    });
    runs.into_iter()
        .zip(jobs)
        .map(|(run, job)| match run {
            Some(mut run) => {
                run.st.finish();
                Ok(super::report::build(run.st, job.src, job.map, job.opts))
            }
            None => Err("the shard map has no open shard".into()),
        })
        .collect()
}
