//! The records layer: the only way sampled records enter the program. `check --samples`,
//! `distribute` and `simulate` all read through it.
//!
//! ```text
//! reader ..... files, `.gz` (by magic bytes), `-` = stdin → format detection → chunks of raw
//!              items (lines, or JSON array / `Records[]` elements), in input order; every line
//!              and element bounded (`MAX_LINE`); one pass per file whoever consumes it
//! decode ..... one item → Record { key | payload, data bytes, topic, client, time,
//!              ExplicitHashKey, sequence number }: key lists, JSON payloads, MQTT envelopes,
//!              get-records output (base64 `Data`), EventBridge events
//! timestamp .. the one strict timestamp parser (epoch seconds/ms, RFC 3339)
//! aggregates . rows of a `shardlint sql` result (JSON lines, JSON array, CSV with a header)
//! ```
//!
//! Consumers: `distribution` (chunks fanned out to rayon workers: order does not matter) and
//! `simulate` ([`read_ordered`]: every record in input order).

pub mod aggregates;
pub mod decode;
pub mod reader;
pub mod timestamp;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use decode::{Decoded, Record, decode};
pub use reader::{Chunk, InputFormat, Item, ReadEvent, Unit, read_inputs};

/// Passes over each input path since the program started (see [`passes`]).
static PASSES: Mutex<Option<HashMap<PathBuf, u64>>> = Mutex::new(None);

pub(crate) fn count_pass(path: &Path) {
    if let Ok(mut g) = PASSES.lock() {
        *g.get_or_insert_with(HashMap::new)
            .entry(path.to_path_buf())
            .or_insert(0) += 1;
    }
}

/// How many times the records layer has opened `path` for reading in this process: a test
/// observes that one `check --samples` run reads each sample file once, however many producers
/// it serves.
pub fn passes(path: &Path) -> u64 {
    PASSES
        .lock()
        .ok()
        .and_then(|g| g.as_ref().and_then(|m| m.get(path).copied()))
        .unwrap_or(0)
}

/// One record read in order, owned, with where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedRecord {
    pub input: usize,
    pub unit: Unit,
    pub no: u64,
    pub key: Option<String>,
    pub data_bytes: u64,
    pub ts_ms: Option<i64>,
    pub explicit_hash_key: Option<u128>,
    pub sequence_number: Option<String>,
}

/// Why an ordered read stopped: the first problem, with the input and item it is at.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadProblem {
    pub input: String,
    pub unit: Unit,
    pub no: u64,
    pub reason: String,
}

impl std::fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.no == 0 {
            write!(f, "`{}`: {}", self.input, self.reason)
        } else {
            write!(
                f,
                "`{}` {} {}: {}",
                self.input,
                self.unit.name(),
                self.no,
                self.reason
            )
        }
    }
}

/// Reads every record of `paths` in input order, for consumers that need order (the
/// simulator). `at_most` bounds the records kept. Any bad item or unreadable input is an error:
/// a simulation on part of the records would answer another question.
pub fn read_ordered(
    paths: &[PathBuf],
    forced: InputFormat,
    at_most: usize,
) -> Result<(Vec<OwnedRecord>, Vec<InputFormat>), ReadProblem> {
    let mut out = Vec::new();
    let mut formats = vec![InputFormat::Auto; paths.len()];
    let mut problem: Option<ReadProblem> = None;
    let name = |i: usize| paths[i].display().to_string();
    read_inputs(paths, forced, reader::CHUNK_BYTES, &mut |ev| {
        match ev {
            ReadEvent::Started { input, format } => formats[input] = format,
            ReadEvent::Chunk(_) | ReadEvent::Chunks(_) => {
                for (c, no, it) in ev.chunks().iter().flat_map(|c| {
                    c.items
                        .iter()
                        .enumerate()
                        .map(move |(i, it)| (c, c.no(i), it))
                }) {
                    let fail = |reason: String| ReadProblem {
                        input: name(c.input),
                        unit: c.unit,
                        no,
                        reason,
                    };
                    match decode(c.format, c.bytes(it)) {
                        Decoded::Skip => {}
                        Decoded::Bad(reason) => {
                            problem = Some(fail(reason));
                            return false;
                        }
                        Decoded::Record(r) => {
                            if out.len() >= at_most {
                                problem = Some(fail(format!(
                                    "more than {} records; give fewer",
                                    crate::numbers::thousands(at_most as u64)
                                )));
                                return false;
                            }
                            out.push(OwnedRecord {
                                input: c.input,
                                unit: c.unit,
                                no,
                                key: r.key.map(Cow::into_owned),
                                data_bytes: r.data_bytes,
                                ts_ms: r.ts_ms,
                                explicit_hash_key: r.explicit_hash_key,
                                sequence_number: r.sequence_number.map(Cow::into_owned),
                            });
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
                problem = Some(ReadProblem {
                    input: name(input),
                    unit,
                    no,
                    reason,
                });
                return false;
            }
            ReadEvent::Failed { input, message } => {
                problem = Some(ReadProblem {
                    input: name(input),
                    unit: Unit::Line,
                    no: 0,
                    reason: message,
                });
                return false;
            }
        }
        true
    });
    match problem {
        Some(p) => Err(p),
        None => Ok((out, formats)),
    }
}

use std::borrow::Cow;
