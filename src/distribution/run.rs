//! One distribution run: the records layer reads the inputs once, each chunk is counted by every
//! job's engine [`State`], and [`report::build`](super::report) turns each state into its report.
//! Above the engine and the report, so neither needs the other's entry point.

use std::path::PathBuf;

use super::engine::{Example, Location, Options, State};
use super::keys::KeySource;
use super::peaks::Peaks;
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

/// As [`distribute`], calling `progress(records read so far)` after each chunk.
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

/// The key source for records of `format`: records read back from a stream carry the key
/// Kinesis stored, which is the observed key whatever the producer's template (see
/// [`Options::observed_keys`]); they need no payload for it.
fn source<'a>(job: &Job<'a>, format: InputFormat) -> &'a KeySource {
    static GIVEN: KeySource = KeySource::Given;
    if job.opts.observed_keys && format == InputFormat::GetRecords {
        &GIVEN
    } else {
        job.src
    }
}

/// Why `job` cannot count input `path` of `format` (an input error; the input is skipped), or
/// `None` when it can.
fn refusal(job: &Job, format: InputFormat, path: &str) -> Option<String> {
    if let (InputFormat::GetRecords, Some(why)) = (format, &job.opts.unrouted_get_records) {
        return Some(format!(
            "`{path}` is `aws kinesis get-records` output, which does not name its stream, and {why}: give `--rule NAME` to count it on that rule's stream"
        ));
    }
    // A key-list line is its own key: an explicit `--partition-key` or `--key-path` meeting a
    // key list is more often a file of records whose first line is not JSON than a key list
    // given on purpose. Keys read back from the stream or observed for a rule are their own
    // answer.
    if format == InputFormat::Keys && !job.opts.observed_keys {
        let flag = match job.src {
            KeySource::Template { text, .. } => Some(format!("`--partition-key {text}`")),
            KeySource::KeyPath { text, .. } => Some(format!("`--key-path {text}`")),
            _ => None,
        };
        if let Some(flag) = flag {
            return Some(format!(
                "`{path}` is read as a key list (one key per line), where {flag} has no record to read: give JSON records, one per line, or say what the lines are with `--input-format`"
            ));
        }
    }
    (!source(job, format).fits(format)).then(|| {
        format!(
            "`{path}` holds {} records: give `--partition-key TEMPLATE` or `--key-path JSONPATH` to form keys",
            format.name()
        )
    })
}

/// Runs every job over one pass of `inputs`: the records layer reads each file once and each
/// chunk is counted by every job (one report per job, in order). The jobs' input format and
/// chunk size are the first job's.
pub fn distribute_jobs(
    inputs: &[PathBuf],
    jobs: &[Job],
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Result<DistributionReport, String>> {
    distribute_jobs_grouped(inputs, jobs, &[], progress).0
}

/// The per-second load of one stream written by several jobs (producers): every job's
/// timestamped records in the same one-second windows. Kinesis limits a shard per second
/// whoever writes, so two producers add up only in the seconds they share: the sum of their
/// separate peaks would overstate a shard whose producers peak at different times.
#[derive(Clone, Debug)]
pub struct SharedLoad {
    /// The group, as given in `groups`.
    pub group: usize,
    /// The jobs writing to it, in order.
    pub jobs: Vec<usize>,
    /// Per open shard of the (common) shard map, `None` when no timestamped record reached it.
    pub shards: Vec<Option<super::report::WindowLoad>>,
    /// Every timestamped record is in the windows (see `WindowBasis::exact`).
    pub exact: bool,
}

/// As [`distribute_jobs`], where `groups[i]` names the stream job `i` writes to: for every
/// group of two or more jobs (on one shard map) their per-second load is also counted together
/// ([`SharedLoad`]), in the same single pass.
pub fn distribute_jobs_grouped(
    inputs: &[PathBuf],
    jobs: &[Job],
    groups: &[Option<usize>],
    progress: &(dyn Fn(u64) + Sync),
) -> (Vec<Result<DistributionReport, String>>, Vec<SharedLoad>) {
    let Some(first) = jobs.first() else {
        return (Vec::new(), Vec::new());
    };
    if inputs.is_empty() {
        let none = jobs
            .iter()
            .map(|_| Err("no input: give `--keys FILE` or `--samples FILE`".into()))
            .collect();
        return (none, Vec::new());
    }
    // Groups of two or more jobs on the same shard map: (group, jobs, combined windows).
    let mut shared: Vec<(usize, Vec<usize>, Peaks)> = Vec::new();
    for (i, g) in groups.iter().enumerate().take(jobs.len()) {
        let Some(g) = *g else { continue };
        match shared.iter_mut().find(|s| s.0 == g) {
            Some(s) => s.1.push(i),
            None => shared.push((g, vec![i], Peaks::new(jobs[i].map.len()))),
        }
    }
    shared.retain(|(_, members, _)| {
        members.len() > 1
            && members.iter().all(|&j| {
                jobs[j].map.len() == jobs[members[0]].map.len() && !jobs[j].map.is_empty()
            })
    });
    let shared_of: Vec<Option<usize>> = (0..jobs.len())
        .map(|j| shared.iter().position(|s| s.1.contains(&j)))
        .collect();
    struct Run<'a> {
        job: &'a Job<'a>,
        st: State,
        lookup: ShardLookup<'a>,
        /// Inputs whose records cannot yield keys are skipped after one error.
        skipped: Vec<bool>,
    }
    let mut runs: Vec<Option<Run>> = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            if job.map.is_empty() {
                return None;
            }
            // Each a few milliseconds of allocation on a 100,000-shard map: side by side.
            let (mut st, lookup) =
                rayon::join(|| State::new(job.map, job.opts), || job.map.lookup());
            if shared_of[i].is_some() {
                st.shared_batches = Some(Vec::new());
            }
            st.files = inputs
                .iter()
                .map(|p| (p.display().to_string(), InputFormat::Auto))
                .collect();
            Some(Run {
                job,
                st,
                lookup,
                skipped: vec![false; inputs.len()],
            })
        })
        .collect();
    let forced = first.opts.format;
    let chunk_bytes = first.opts.chunk_bytes;
    // Called one event at a time, in input order: on a pool worker for a plain file of lines,
    // on this thread for a streamed input (see `reader::read_inputs`).
    let mut read = 0u64;
    let mut count = |ev: ReadEvent| {
        for (j, run) in runs.iter_mut().enumerate() {
            let Some(run) = run else { continue };
            let st = &mut run.st;
            match &ev {
                ReadEvent::Started { input, format } => {
                    let (input, format) = (*input, *format);
                    st.files[input].1 = format;
                    if let Some(message) = refusal(run.job, format, &st.files[input].0) {
                        run.skipped[input] = true;
                        st.input_errors.push(message);
                    }
                }
                ReadEvent::Chunk(_) | ReadEvent::Chunks(_) => {
                    let chunks = ev.chunks();
                    // A round's chunks are all of one input, in one format.
                    let Some(c) = chunks.first() else { continue };
                    if !run.skipped[c.input] {
                        let o = run.job.opts;
                        let (src, lookup) = (source(run.job, c.format), &run.lookup);
                        // A streamed input's chunk comes to this thread; `process` counts it
                        // on a pool worker all the same (its slices run in a rayon scope).
                        st.process(
                            chunks,
                            src,
                            lookup,
                            o.seed,
                            o.topic_filter.as_deref(),
                            o.rule_name.as_deref(),
                        );
                        if let (Some(g), Some(batches)) = (shared_of[j], st.shared_batches.as_mut())
                        {
                            for b in batches.drain(..) {
                                shared[g].2.merge(b);
                            }
                        }
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
                    st.bad_line(*input, *unit, ex);
                }
                ReadEvent::Failed { message, .. } => st.input_errors.push(message.clone()),
            }
        }
        if matches!(ev, ReadEvent::Chunk(_) | ReadEvent::Chunks(_)) {
            // Items read, not records counted: a rule whose topic filter takes none of them
            // showed `0 records` while a million lines went by.
            read += ev
                .chunks()
                .iter()
                .map(|c| c.items.len() as u64)
                .sum::<u64>();
            progress(read);
        }
        reader::recycle(ev);
        true
    };
    reader::read_inputs(inputs, forced, chunk_bytes, &mut count);
    let reports = runs
        .into_iter()
        .zip(jobs)
        .map(|(run, job)| match run {
            Some(mut run) => {
                run.st.finish();
                run.st.unreadable_inputs();
                Ok(super::report::build(run.st, job.src, job.map, job.opts))
            }
            None => Err("the shard map has no open shard".into()),
        })
        .collect();
    let loads = shared
        .into_iter()
        .map(|(group, jobs, peaks)| {
            let summary = peaks.finish();
            SharedLoad {
                group,
                jobs,
                exact: summary.exact(),
                shards: summary
                    .shards
                    .iter()
                    .map(|p| p.clone().map(super::report::window_load))
                    .collect(),
            }
        })
        .collect();
    (reports, loads)
}
