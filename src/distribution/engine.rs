//! The parallel core of the distribution engine: the records layer hands over chunks (a plain
//! file's read by rayon tasks in parallel ranges, gzip and stdin streamed); a batch of chunks is
//! split across rayon workers that extract keys, hash them in batches and count per shard; each
//! slice's per-key updates are applied to the key table in input order as soon as the slices
//! before it are, while the workers go on with the next ones.
//! Everything but the bounded key table is a fixed-size counter, so memory stays flat.

use std::borrow::Cow;

use super::envelope::LineShapes;
use super::hashing::hash_batch;
use super::keys::{Ctx, Extracted, KeySource, extract_with, key_problem};
use super::peaks::{PeakBatch, Peaks};
use super::sketch::{HyperLogLog, KeyCounter, Packed, PackedBatch};
use crate::keyspace::{ShardLookup, ShardMap, placement_hash};
use crate::ordering::GroupModel;
use crate::records::reader::{self, Chunk, InputFormat, Unit};

/// Engine settings; `Default` is what `shardlint distribute` uses without flags.
#[derive(Clone, Debug)]
pub struct Options {
    /// `Auto` detects each input's format.
    pub format: InputFormat,
    /// Seeds `newuuid()`; the same seed gives the same report.
    pub seed: u64,
    pub parallelization_factor: u32,
    pub group_model: GroupModel,
    /// Keep every model's groups in `group_models` (`distribute --group-models`).
    pub all_group_models: bool,
    /// Keyed records per second for the whole stream; overrides sample timestamps.
    pub rate: Option<f64>,
    pub top: usize,
    /// Distinct keys counted exactly before the hot-key counter becomes a sketch.
    pub exact_keys: usize,
    /// The reader's chunk size ([`reader::CHUNK_BYTES`] unless a test asks for small ones).
    pub chunk_bytes: usize,
    /// How the shard map was obtained, for the report (`even 8`, a file path).
    pub shard_map_label: String,
    /// Keep only envelopes on topics matching this MQTT filter (a rule's `FROM`).
    pub topic_filter: Option<String>,
    /// The rule being analysed: Basic Ingest envelopes (`$aws/rules/<rule>/...`) go to it only.
    pub rule_name: Option<String>,
    /// Records read back from the stream (get-records) are counted by the `PartitionKey` Kinesis
    /// stored, not by the key source: the producer's own template, whose answer they already
    /// carry (`check --samples`, `distribute --rule`). An explicit `--partition-key` on such
    /// records asks "what if the key were this" and evaluates it on `Data`.
    pub observed_keys: bool,
    /// Set when `aws kinesis get-records` output cannot be counted by this job: such output
    /// names no stream, and the samples go to several (`check --samples` without `--rule`). The
    /// text says why, after "which does not name its stream, and".
    pub unrouted_get_records: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: InputFormat::Auto,
            seed: DEFAULT_SEED,
            parallelization_factor: 1,
            group_model: GroupModel::default(),
            all_group_models: false,
            rate: None,
            top: 10,
            exact_keys: DEFAULT_EXACT_KEYS,
            chunk_bytes: reader::CHUNK_BYTES,
            shard_map_label: String::new(),
            topic_filter: None,
            rule_name: None,
            observed_keys: false,
            unrouted_get_records: None,
        }
    }
}

/// Distinct keys counted exactly: 16 partitions of 3,584 keys, which fills each partition's
/// 2^12-bucket table to hashbrown's 7/8 load. A partition (56-byte slots, 5-byte buckets, the
/// key bytes: about 350 KB with 36-byte keys, and past the cap a 128 KB admission sketch) stays
/// within a core's L2 cache; a table of 917,504 keys (the earlier default) missed the cache on
/// every record past a few hundred thousand keys and ran 1.8 times slower. Past the cap the
/// sketch keeps rare keys out of the table (`sketch` module doc), so a key costs about the same
/// whether there are a thousand or ten million distinct ones. `--exact-keys` raises the cap for
/// exact counts of more keys.
pub const DEFAULT_EXACT_KEYS: usize = 57_344;

pub const DEFAULT_SEED: u64 = 0x5348_4152_444c_494e; // "SHARDLIN"

/// Key-table partitions: a slice's updates are grouped by partition, so applying them works in
/// one partition's table (within L2 cache) at a time.
pub(crate) const PARTITIONS: usize = 16;
/// Items per rayon task, at most: a big batch for MD5 lanes and few per-task counters.
const SUB_ITEMS: usize = 4096;
/// Rayon tasks per chunk, at least (when items allow): a chunk of 5,000 envelopes used to split
/// 4,096 + 904 and leave one core idle. Four, not eight: a round's two chunks still make eight
/// even tasks for two workers, and each task's fixed costs (learning line shapes, building and
/// sealing its per-second batch) are paid half as often (envelopes: wall median -7% over 9
/// interleaved rounds).
const MIN_SUBS: usize = 4;
/// Items per rayon task, at least.
const MIN_SUB_ITEMS: usize = 256;
/// Keys in the key table from which its lanes stay on their home workers (`map_in_lanes`):
/// about a megabyte of slots, past which moving a lane between cores cost more than reading a
/// slice's updates on the core that did not make them.
const PINNED_KEYS: usize = 16_384;
/// Bad-line examples kept.
pub(crate) const MAX_EXAMPLES: usize = 10;
const EXAMPLE_BYTES: usize = 300;

/// Where a record sits in the input.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Location {
    pub input: String,
    /// `line` or `element`.
    pub unit: &'static str,
    pub number: u64,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} {}", self.input, self.unit, self.number)
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Example {
    pub at: Location,
    pub reason: String,
    /// The record as read, cut at 300 bytes.
    pub record: String,
}

/// The per-shard and per-outcome counts: kept by each parallel slice of a chunk, then added into
/// the run's total, so both use one type and one merge.
#[derive(Default)]
pub(crate) struct Tally {
    pub shard_records: Vec<u64>,
    pub shard_bytes: Vec<u64>,
    /// `hash-mod` group records, `shard * factor + group`: exact at any input size.
    pub hash_groups: Vec<u64>,
    pub keyed: u64,
    pub undefined: u64,
    pub undefined_example: Option<Example>,
    /// Keys IoT would form but shardlint cannot compute (`sha256()`, a missing `principal()`).
    pub unknown: u64,
    pub unknown_example: Option<Example>,
    pub multi: u64,
    pub multi_example: Option<Example>,
    pub bad: u64,
    pub bad_examples: Vec<Example>,
    pub ts_min: Option<i64>,
    pub ts_max: Option<i64>,
}

impl Tally {
    /// `groups`: `hash-mod` group counters per shard (0 when not counted).
    fn new(n_shards: usize, groups: usize) -> Tally {
        Tally {
            shard_records: vec![0; n_shards],
            shard_bytes: vec![0; n_shards],
            hash_groups: vec![0; n_shards * groups],
            ..Tally::default()
        }
    }

    fn bad_line(&mut self, ex: Example) {
        self.bad += 1;
        if self.bad_examples.len() < MAX_EXAMPLES {
            self.bad_examples.push(ex);
        }
    }

    /// Adds `other` (a later slice of the input: first examples stay first).
    fn merge(&mut self, other: &Tally) {
        for (a, b) in self.shard_records.iter_mut().zip(&other.shard_records) {
            *a += b;
        }
        for (a, b) in self.shard_bytes.iter_mut().zip(&other.shard_bytes) {
            *a += b;
        }
        for (a, b) in self.hash_groups.iter_mut().zip(&other.hash_groups) {
            *a += b;
        }
        self.keyed += other.keyed;
        self.undefined += other.undefined;
        if self.undefined_example.is_none() {
            self.undefined_example = other.undefined_example.clone();
        }
        self.unknown += other.unknown;
        if self.unknown_example.is_none() {
            self.unknown_example = other.unknown_example.clone();
        }
        self.multi += other.multi;
        if self.multi_example.is_none() {
            self.multi_example = other.multi_example.clone();
        }
        self.bad += other.bad;
        for ex in &other.bad_examples {
            if self.bad_examples.len() < MAX_EXAMPLES {
                self.bad_examples.push(ex.clone());
            }
        }
        self.ts_min = min_opt(self.ts_min, other.ts_min);
        self.ts_max = max_opt(self.ts_max, other.ts_max);
    }
}

pub(crate) struct State {
    pub n_shards: usize,
    pub factor: u32,
    pub tally: Tally,
    pub hll: HyperLogLog,
    pub parts: Vec<KeyCounter>,
    /// Per-second windows from sample timestamps; complete once `finish` has run.
    pub peaks: Peaks,
    /// While records are counted, the windows merge on their own thread (see [`PeakMerger`]).
    merger: Option<PeakMerger>,
    /// When set, a copy of every per-second batch, for the run to add into the load of the
    /// stream this job shares with other producers (`run::distribute_jobs_grouped`).
    pub shared_batches: Option<Vec<PeakBatch>>,
    pub files: Vec<(String, InputFormat)>,
    pub input_errors: Vec<String>,
    /// Items read and bad per input, by input index: an input none of whose items could be
    /// read is an input error, not a report of zero records.
    items: Vec<InputItems>,
    /// Global index of the next item.
    seq: u64,
    /// Per-worker-thread shard counters and HyperLogLog, merged once by `finish`: a chunk's
    /// slices never allocate or merge a counter per shard (100,000 shards made that the cost).
    workers: Vec<std::sync::Mutex<Counts>>,
}

/// How many items of one input were read, and how many of them were bad.
#[derive(Clone, Copy, Default)]
struct InputItems {
    unit: Option<Unit>,
    items: u64,
    bad: u64,
}

/// The fixed-size counters one worker thread adds into.
struct Counts {
    /// Records and bytes per shard, side by side: a record updates one cache line, not two
    /// (on 100,000 shards the counters of even a thousand keys' shards outgrow L1).
    shards: Vec<[u64; 2]>,
    /// `hash-mod` group records, `shard * factor + group`.
    hash_groups: Vec<u64>,
    hll: HyperLogLog,
}

/// `n` zeroed counters whose pages are written here. A fresh zeroed allocation is mapped on
/// its first read as the shared zero page; a worker's first add to each page then copies it and
/// flushes the TLB of every core running the process (an interrupt per page, most of the
/// workers' kernel time on 100,000 shards). Written once here, the pages are the process's own.
fn written_zeros<T: Copy + Default>(n: usize) -> Vec<T> {
    let mut v = vec![T::default(); n];
    let per_page = (4096 / size_of::<T>().max(1)).max(1);
    for x in v.iter_mut().step_by(per_page) {
        // Not a store the compiler may drop as writing what the allocation already holds.
        *x = std::hint::black_box(T::default());
    }
    v
}

/// One rayon task's results over a slice of a chunk: its records' keys, and their key-table
/// updates packed per partition (in input order), so each partition reads its records from
/// contiguous memory.
#[derive(Default)]
struct Sub<'a> {
    /// Outcomes and examples only: the per-shard counters are the worker's.
    tally: Tally,
    keys: Vec<Cow<'a, str>>,
    /// Per key (same index): its record's global index and open shard.
    seqs: Vec<u64>,
    shards: Vec<u32>,
    /// Updates grouped by partition (in input order within each): partition `p`'s are
    /// `upd[ends[p-1]..ends[p]]`. One buffer filled by a counting pass, not a vector per
    /// partition: a task allocated sixteen, reserved at twice their share.
    upd: Vec<Packed>,
    ends: [u32; PARTITIONS],
    /// Taken by the lane of totals (the other lanes only read a slice).
    peaks: std::sync::Mutex<PeakBatch>,
}

/// What one lane of [`map_in_lanes`] adds each slice into, in input order.
enum Lane<'s> {
    /// The outcome counts and examples, the items per input, and the per-second batches.
    Totals {
        tally: &'s mut Tally,
        items: &'s mut Vec<InputItems>,
        batches: &'s mut Vec<PeakBatch>,
    },
    /// Key-table partitions `first..first + parts.len()`.
    Parts {
        first: usize,
        parts: &'s mut [KeyCounter],
    },
}

impl Sub<'_> {
    fn partition(&self, p: usize) -> PackedBatch<'_, Cow<'_, str>> {
        let start = if p == 0 { 0 } else { self.ends[p - 1] as usize };
        PackedBatch {
            updates: &self.upd[start..self.ends[p] as usize],
            keys: &self.keys,
            seqs: &self.seqs,
            shards: &self.shards,
        }
    }
}

fn example(path: &str, unit: Unit, no: u64, raw: &[u8], reason: String) -> Example {
    let mut end = raw.len().min(EXAMPLE_BYTES);
    while end < raw.len() && !is_char_boundary(raw, end) {
        end -= 1;
    }
    Example {
        at: Location {
            input: path.to_string(),
            unit: unit.name(),
            number: no,
        },
        reason,
        record: String::from_utf8_lossy(&raw[..end]).into_owned(),
    }
}

/// The key-table partition of an MD5 (its high half; the table hashes by the low one).
#[inline]
fn partition_of(h: u128) -> usize {
    ((h >> 64) as usize) % PARTITIONS
}

fn is_char_boundary(b: &[u8], i: usize) -> bool {
    i == 0 || i >= b.len() || (b[i] as i8) >= -0x40
}

/// The counters of the calling rayon worker.
fn worker(workers: &[std::sync::Mutex<Counts>]) -> std::sync::MutexGuard<'_, Counts> {
    let i = rayon::current_thread_index().unwrap_or(0) % workers.len();
    // A poisoned lock means a worker panicked, which rayon re-raises anyway.
    workers[i].lock().unwrap_or_else(|e| e.into_inner())
}

fn input_items(items: &mut Vec<InputItems>, input: usize, unit: Unit) -> &mut InputItems {
    if items.len() <= input {
        items.resize(input + 1, InputItems::default());
    }
    let c = &mut items[input];
    c.unit = Some(unit);
    c
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}
fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl State {
    pub(super) fn new(map: &ShardMap, opts: &Options) -> State {
        let n = map.len();
        let factor = opts.parallelization_factor.clamp(1, 10);
        let cap = (opts.exact_keys / PARTITIONS).max(2);
        State {
            n_shards: n,
            factor,
            tally: Tally::new(n, factor as usize),
            hll: HyperLogLog::default(),
            parts: (0..PARTITIONS).map(|_| KeyCounter::new(cap)).collect(),
            peaks: Peaks::new(n),
            merger: None,
            shared_batches: None,
            files: Vec::new(),
            input_errors: Vec::new(),
            items: Vec::new(),
            seq: 0,
            workers: (0..rayon::current_num_threads().max(1))
                .map(|_| {
                    std::sync::Mutex::new(Counts {
                        shards: written_zeros(n),
                        hash_groups: if factor > 1 {
                            written_zeros(n * factor as usize)
                        } else {
                            Vec::new()
                        },
                        hll: HyperLogLog::default(),
                    })
                })
                .collect(),
        }
    }

    /// Adds every worker's counters into the totals and takes back the merged per-second
    /// windows (once, after the last chunk).
    pub(super) fn finish(&mut self) {
        if let Some(m) = self.merger.take() {
            self.peaks = m.finish();
        }
        for w in self.workers.drain(..) {
            let w = w.into_inner().unwrap_or_else(|e| e.into_inner());
            let t = &mut self.tally;
            for ((r, b), w) in t
                .shard_records
                .iter_mut()
                .zip(&mut t.shard_bytes)
                .zip(&w.shards)
            {
                *r += w[0];
                *b += w[1];
            }
            for (a, b) in self.tally.hash_groups.iter_mut().zip(&w.hash_groups) {
                *a += b;
            }
            self.hll.merge(&w.hll);
        }
    }

    /// A bad item the reader found (one it could not cut out) in input `input`.
    pub(super) fn bad_line(&mut self, input: usize, unit: Unit, ex: Example) {
        self.tally.bad_line(ex);
        let c = self.input_items(input, unit);
        c.items += 1;
        c.bad += 1;
    }

    fn input_items(&mut self, input: usize, unit: Unit) -> &mut InputItems {
        input_items(&mut self.items, input, unit)
    }

    /// An input error for each input that had items and could not read one of them: its
    /// report would otherwise be zero records and exit 0, as if the input were empty.
    pub(super) fn unreadable_inputs(&mut self) {
        for (i, c) in self.items.iter().enumerate() {
            let (Some(unit), true) = (c.unit, c.items > 0 && c.bad == c.items) else {
                continue;
            };
            let path = self.files.get(i).map_or("", |f| f.0.as_str());
            let what = if c.items == 1 {
                format!("its one {} is bad", unit.name())
            } else {
                format!(
                    "all {} of its {}s are bad",
                    crate::numbers::thousands(c.items),
                    unit.name()
                )
            };
            self.input_errors.push(format!(
                "no record of `{path}` could be read: {what} (see `bad lines`)"
            ));
        }
    }

    /// Counts consecutive chunks (in input order): extraction and hashing in parallel slices
    /// of all of them at once, each slice's key-table updates applied in order as it is done.
    pub(super) fn process(
        &mut self,
        chunks: &[Chunk],
        src: &KeySource,
        lookup: &ShardLookup,
        seed: u64,
        topic_filter: Option<&str>,
        rule_name: Option<&str>,
    ) {
        let factor = self.factor as u128;
        let hash_mod = factor > 1;
        // Slices of every chunk: (chunk, first item, end, global index of the first item).
        let mut slices: Vec<(usize, usize, usize, u64)> = Vec::new();
        for (ci, chunk) in chunks.iter().enumerate() {
            let n = chunk.items.len();
            let sub_items = n.div_ceil(MIN_SUBS).clamp(MIN_SUB_ITEMS, SUB_ITEMS);
            let mut lo = 0;
            while lo < n {
                let hi = (lo + sub_items).min(n);
                slices.push((ci, lo, hi, self.seq + lo as u64));
                lo = hi;
            }
            self.seq += n as u64;
        }
        let (files, workers) = (&self.files, &self.workers);
        let make = |&(ci, lo, hi, base): &(usize, usize, usize, u64)| {
            let chunk = &chunks[ci];
            let items = &chunk.items[lo..hi];
            let path = files[chunk.input].0.as_str();
            let mut s = Sub {
                keys: Vec::with_capacity(items.len()),
                ..Sub::default()
            };
            // Per record, by index into `s.keys`: data + key bytes and global index.
            let mut bytes: Vec<u64> = Vec::with_capacity(items.len());
            let mut seqs: Vec<u64> = Vec::with_capacity(items.len());
            // `ExplicitHashKey`s (get-records only), by index into `s.keys`.
            let mut explicit_at: Vec<(u32, u128)> = Vec::new();
            // Timestamps (Unix ms) by index into `s.keys`, for records that have one.
            let mut times: Vec<(u32, i64)> = Vec::new();
            // Key lists: one UTF-8 check over the slice's lines instead of one per line.
            let text = match (chunk.format, items.first(), items.last()) {
                (InputFormat::Keys, Some(a), Some(b)) => {
                    let (from, to) = (a.start as usize, (b.start + b.len) as usize);
                    chunk.text(from, to).map(|t| (from, t))
                }
                _ => None,
            };
            // Lines of a file mostly repeat a few JSON shapes: the envelope one pass reads
            // each by those of the lines before it in this slice.
            let mut shapes = LineShapes::default();
            if let Some((off, t)) = text {
                // A key list's line is its key: no record to decode, no template.
                for (j, it) in items.iter().enumerate() {
                    let at = it.start as usize - off;
                    // Lines start and end at ASCII bytes (`\n`, `\r`) of valid UTF-8 text.
                    let k = &t[at..at + it.len as usize];
                    match key_problem(k) {
                        None => {
                            bytes.push(k.len() as u64);
                            seqs.push(base + j as u64);
                            s.keys.push(Cow::Borrowed(k));
                        }
                        Some(reason) => s.tally.bad_line(example(
                            path,
                            chunk.unit,
                            chunk.no(lo + j),
                            k.as_bytes(),
                            reason,
                        )),
                    }
                }
            }
            for (j, it) in items.iter().enumerate() {
                if text.is_some() {
                    break;
                }
                let seq = base + j as u64;
                let raw = chunk.bytes(it);
                let got = extract_with(
                    src,
                    chunk.format,
                    raw,
                    &Ctx {
                        seq,
                        seed,
                        topic_filter,
                        rule_name,
                    },
                    &mut shapes,
                );
                match got {
                    Extracted::Skip => {}
                    Extracted::Key {
                        key,
                        data_bytes,
                        ts_ms,
                        explicit,
                        multi,
                    } => {
                        if multi {
                            s.tally.multi += 1;
                            if s.tally.multi_example.is_none() {
                                s.tally.multi_example = Some(example(
                                    path,
                                    chunk.unit,
                                    chunk.no(lo + j),
                                    raw,
                                    "the key path matches several values; the first is used".into(),
                                ));
                            }
                        }
                        s.tally.ts_min = min_opt(s.tally.ts_min, ts_ms);
                        s.tally.ts_max = max_opt(s.tally.ts_max, ts_ms);
                        if let Some(x) = explicit {
                            explicit_at.push((s.keys.len() as u32, x));
                        }
                        if let Some(t) = ts_ms {
                            times.push((s.keys.len() as u32, t));
                        }
                        bytes.push(data_bytes + key.len() as u64);
                        seqs.push(seq);
                        s.keys.push(key);
                    }
                    Extracted::Undefined { reason, ts_ms } => {
                        s.tally.undefined += 1;
                        s.tally.ts_min = min_opt(s.tally.ts_min, ts_ms);
                        s.tally.ts_max = max_opt(s.tally.ts_max, ts_ms);
                        if s.tally.undefined_example.is_none() {
                            s.tally.undefined_example =
                                Some(example(path, chunk.unit, chunk.no(lo + j), raw, reason));
                        }
                    }
                    Extracted::Unknown { reason, ts_ms } => {
                        s.tally.unknown += 1;
                        s.tally.ts_min = min_opt(s.tally.ts_min, ts_ms);
                        s.tally.ts_max = max_opt(s.tally.ts_max, ts_ms);
                        if s.tally.unknown_example.is_none() {
                            s.tally.unknown_example =
                                Some(example(path, chunk.unit, chunk.no(lo + j), raw, reason));
                        }
                    }
                    Extracted::Bad { reason } => {
                        s.tally
                            .bad_line(example(path, chunk.unit, chunk.no(lo + j), raw, reason));
                    }
                }
            }
            let n = s.keys.len();
            let mut hashes = vec![0u128; n];
            hash_batch(&s.keys, &mut hashes);
            s.tally.keyed = n as u64;
            // The shard of each record in a loop of its own, then the worker's counters: on a
            // large map a lookup reads the prefix table and the shard starts, and a short loop
            // lets the core overlap many records' reads (on 100,000 shards the one loop that
            // did both took a tenth more CPU over the whole run).
            let mut explicit = explicit_at.iter().peekable();
            let shards: Vec<u32> = hashes
                .iter()
                .enumerate()
                .map(|(i, &h)| {
                    let given = match explicit.peek() {
                        Some(&&(at, x)) if at as usize == i => {
                            explicit.next();
                            Some(x)
                        }
                        _ => None,
                    };
                    lookup.index(placement_hash(given, || h)) as u32
                })
                .collect();
            {
                let mut w = worker(workers);
                let w = &mut *w;
                let groups = self.factor as usize;
                for ((&shard, &h), &b) in shards.iter().zip(&hashes).zip(&bytes) {
                    let shard = shard as usize;
                    let c = &mut w.shards[shard];
                    c[0] += 1;
                    c[1] += b;
                    if hash_mod {
                        // = ordering::hash_group(key, factor), without hashing again.
                        w.hash_groups[shard * groups + (h % factor) as usize] += 1;
                    }
                    w.hll.add_hash(h);
                }
            }
            // Per-second windows, outside the worker's lock (order does not matter in a batch),
            // sealed here so the serial merge gets aggregated cells.
            let mut peaks = PeakBatch::with_capacity(times.len());
            for &(i, t) in &times {
                let i = i as usize;
                peaks.add(t, shards[i], hashes[i] as u64, bytes[i]);
            }
            peaks.seal();
            s.peaks = std::sync::Mutex::new(peaks);
            let mut at = [0u32; PARTITIONS];
            for &h in &hashes {
                at[partition_of(h)] += 1;
            }
            let mut sum = 0;
            for (a, e) in at.iter_mut().zip(&mut s.ends) {
                sum += *a;
                *e = sum;
                *a = sum - *a;
            }
            // The records' order by partition, then the updates written in it: a scatter of
            // 4-byte indices, not of whole updates into a zeroed buffer.
            let mut order = vec![0u32; n];
            for (i, &h) in hashes.iter().enumerate() {
                let p = &mut at[partition_of(h)];
                order[*p as usize] = i as u32;
                *p += 1;
            }
            s.upd = order
                .iter()
                .map(|&i| Packed::new(hashes[i as usize], bytes[i as usize], i))
                .collect();
            s.seqs = seqs;
            s.shards = shards;
            s
        };
        // Each slice's results go to the totals, and its updates to the key table, in input
        // order, as soon as the slice and those before it are done, with no barrier between
        // slicing and applying (applied by partition in parallel once all of a round's slices
        // were done, both workers waited at each of the two barriers: 10 M keys, 2 threads, wall
        // -4 to -12%). For key lists the table's partitions are split into a lane per worker, so
        // the workers share the applying (see `map_in_lanes`).
        let mut batches = Vec::new();
        let (parts, tally, items) = (&mut self.parts, &mut self.tally, &mut self.items);
        // A JSON record's extraction costs ten times its key-table update, so the table is never
        // the critical path there: it stays on the calling thread in one lane (split into
        // lanes, 3 M envelopes took 4% more CPU time). A key list's update is a large share of a
        // record's work (10 M keys: 40% of MD5's CPU time with 1,000 distinct, more than MD5's
        // past the exact table): its partitions are split per worker.
        let keys = chunks.iter().all(|c| c.format == InputFormat::Keys);
        let workers = if keys {
            rayon::current_num_threads().clamp(1, PARTITIONS)
        } else {
            1
        };
        let per_lane = PARTITIONS.div_ceil(workers);
        let large = parts
            .iter()
            .map(|p| if p.is_exact() { p.len() } else { PINNED_KEYS })
            .sum::<usize>()
            >= PINNED_KEYS;
        let homes = match (keys, large) {
            (false, _) => Homes::Caller,
            (true, true) => Homes::Spread,
            (true, false) => Homes::Anywhere,
        };
        let mut lanes: Vec<Lane> = std::iter::once(Lane::Totals {
            tally,
            items,
            batches: &mut batches,
        })
        .chain(
            parts
                .chunks_mut(per_lane)
                .enumerate()
                .map(|(l, parts)| Lane::Parts {
                    first: l * per_lane,
                    parts,
                }),
        )
        .collect();
        map_in_lanes(
            &slices,
            make,
            &mut lanes,
            homes,
            |lane, &(ci, lo, hi, _), s| match lane {
                Lane::Totals {
                    tally,
                    items,
                    batches,
                } => {
                    let chunk = &chunks[ci];
                    let c = input_items(items, chunk.input, chunk.unit);
                    c.items += (hi - lo) as u64;
                    c.bad += s.tally.bad;
                    tally.merge(&s.tally);
                    let batch =
                        std::mem::take(&mut *s.peaks.lock().unwrap_or_else(|e| e.into_inner()));
                    if !batch.is_empty() {
                        batches.push(batch);
                    }
                }
                Lane::Parts { first, parts } => {
                    for (p, part) in parts.iter_mut().enumerate() {
                        part.add_packed(s.partition(*first + p));
                    }
                }
            },
        );
        drop(lanes);
        if !batches.is_empty() {
            if let Some(shared) = self.shared_batches.as_mut() {
                shared.extend(batches.iter().cloned());
            }
            let peaks = &mut self.peaks;
            self.merger
                .get_or_insert_with(|| PeakMerger::start(std::mem::take(peaks)))
                .send(batches);
        }
    }
}

/// Runs `make` on each of `items` as rayon FIFO tasks and hands every result to each of
/// `lanes` in item order: `apply(lane, item, result)`. A lane takes a result once it and
/// those before it are done, on its home worker after that worker's next task (or on the
/// calling thread when it has nothing else to run); lanes run at once on different workers,
/// each in order. A result is dropped once every lane has taken it.
///
/// One thread applying every result in order was the run's critical path once the key table
/// missed (1 M distinct keys: that worker busy throughout, the other idle 12% of the time); the
/// key table's partitions split into lanes share that work. The calling thread runs pending
/// tasks and lanes until every lane is through; called off the pool (a streamed input's chunk),
/// it runs on a worker too, so the round's tasks start on a worker that is awake (3 M envelopes
/// from gzip: 7,700 context switches to 4,600). A panic in `make` or `apply` is raised here
/// once no lane can take more (without that, the caller would wait for a lane forever).
fn map_in_lanes<I: Sync, T: Send + Sync, L: Send>(
    items: &[I],
    make: impl Fn(&I) -> T + Sync,
    lanes: &mut [L],
    homes: Homes,
    apply: impl Fn(&mut L, &I, &T) + Sync,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, RwLock};
    enum Done<T> {
        Pending,
        Ready(T),
        /// Its task panicked: no lane takes it or anything after it.
        Failed,
        /// Every lane has taken it.
        Gone,
    }
    /// A lane and the index of the next result it takes.
    struct Cursor<'l, L> {
        next: usize,
        lane: &'l mut L,
    }
    let n = items.len();
    let results: Vec<RwLock<Done<T>>> = items.iter().map(|_| RwLock::new(Done::Pending)).collect();
    // Lanes yet to take each result; the last one drops it.
    let left: Vec<AtomicUsize> = items
        .iter()
        .map(|_| AtomicUsize::new(lanes.len()))
        .collect();
    let finished = AtomicUsize::new(0);
    let panic: Mutex<Option<Box<dyn std::any::Any + Send>>> = Mutex::new(None);
    let n_lanes = lanes.len();
    let lanes: Vec<Mutex<Cursor<L>>> = lanes
        .iter_mut()
        .map(|lane| Mutex::new(Cursor { next: 0, lane }))
        .collect();
    let ready = |i: usize| {
        i < n
            && !matches!(
                *results[i].read().unwrap_or_else(|e| e.into_inner()),
                Done::Pending
            )
    };
    let keep_panic = |p: Box<dyn std::any::Any + Send>| {
        panic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(p);
    };
    // Takes what lane `l` can take now, unless another worker is at it.
    let advance = |l: usize| loop {
        let Ok(mut g) = lanes[l].try_lock() else {
            return;
        };
        let lane = &mut *g;
        while lane.next < n {
            let i = lane.next;
            let mut stop = false;
            {
                let r = results[i].read().unwrap_or_else(|e| e.into_inner());
                match &*r {
                    Done::Pending => break,
                    Done::Ready(t) => {
                        let item = &items[i];
                        let applied =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                apply(lane.lane, item, t)
                            }));
                        if let Err(p) = applied {
                            keep_panic(p);
                            stop = true;
                        }
                    }
                    Done::Failed => stop = true,
                    Done::Gone => {}
                }
            }
            if stop {
                // The panic is raised once every lane is through; nothing after it is applied.
                lane.next = n;
                finished.fetch_add(1, Ordering::AcqRel);
                return;
            }
            if left[i].fetch_sub(1, Ordering::AcqRel) == 1 {
                *results[i].write().unwrap_or_else(|e| e.into_inner()) = Done::Gone;
            }
            lane.next += 1;
            if lane.next == n {
                finished.fetch_add(1, Ordering::AcqRel);
            }
        }
        let next = lane.next;
        drop(g);
        // A result that landed after the look and before the unlock has no one else to take
        // it now: look once more.
        if !ready(next) {
            return;
        }
    };
    // A lane is taken after a task only by a worker it is at home on (`Homes`); the calling
    // thread takes any lane once it has nothing else to run.
    let me = rayon::current_thread_index().unwrap_or(0);
    let threads = rayon::current_num_threads().max(1);
    let home = move |l: usize, w: usize| homes.at_home(me, threads, l, w);
    let (make, advance) = (&make, &advance);
    rayon::scope_fifo(|sc| {
        for (item, slot) in items.iter().zip(&results) {
            sc.spawn_fifo(move |_| {
                let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| make(item)));
                *slot.write().unwrap_or_else(|e| e.into_inner()) = match got {
                    Ok(t) => Done::Ready(t),
                    Err(p) => {
                        keep_panic(p);
                        Done::Failed
                    }
                };
                let worker = rayon::current_thread_index().unwrap_or(me);
                for l in (0..n_lanes).filter(|&l| home(l, worker)) {
                    advance(l);
                }
            });
        }
        while finished.load(Ordering::Acquire) < n_lanes {
            for l in (0..n_lanes).filter(|&l| home(l, me)) {
                advance(l);
            }
            // Run a pending task meanwhile; with none, take any lane, or wait briefly.
            if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                for l in 0..n_lanes {
                    advance(l);
                }
                std::hint::spin_loop();
            }
        }
    });
    if let Some(p) = panic.into_inner().unwrap_or_else(|e| e.into_inner()) {
        std::panic::resume_unwind(p);
    }
}

/// Which workers take a lane of [`map_in_lanes`] after their own tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Homes {
    /// Any worker, just after it made a result, while its bytes are in that core's cache: for
    /// small lane states (homed, 10 M keys of 1,000 distinct took 3% more CPU time).
    Anywhere,
    /// Lane `l` on worker `(caller + l) % threads`, so a large lane state (a partition's table
    /// and sketch) stays in one core's cache (taken anywhere, 3 M envelopes took 3% more CPU
    /// time).
    Spread,
    /// The calling thread only.
    Caller,
}

impl Homes {
    /// Whether lane `l` is at home on worker `w` of `threads`, the caller being `me`.
    fn at_home(self, me: usize, threads: usize, l: usize, w: usize) -> bool {
        match self {
            Homes::Anywhere => true,
            Homes::Spread => (me + l) % threads == w % threads,
            Homes::Caller => w == me,
        }
    }
}

/// The per-second windows of one run, merged in input order on a thread of their own while the
/// workers count the next chunks. Merged on the coordinating thread between rounds, the merge
/// (a hash upsert per timestamped record and key) left the other core idle every round: about a
/// tenth of the envelope run. One thread, not a rayon worker, so the windows' tables grow in one
/// malloc arena (merged by whichever worker was free, peak RSS rose by 7 MB).
struct PeakMerger {
    tx: std::sync::mpsc::SyncSender<Vec<PeakBatch>>,
    handle: std::thread::JoinHandle<Peaks>,
}

impl PeakMerger {
    fn start(mut peaks: Peaks) -> PeakMerger {
        // Two rounds in flight at most: memory stays bounded if the merge falls behind.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<PeakBatch>>(2);
        let handle = std::thread::spawn(move || {
            for batches in rx {
                for b in batches {
                    peaks.merge(b);
                }
            }
            peaks
        });
        PeakMerger { tx, handle }
    }

    fn send(&self, batches: Vec<PeakBatch>) {
        // The thread lives until `finish`; a send fails only if it panicked, which `finish`
        // re-raises.
        let _ = self.tx.send(batches);
    }

    fn finish(self) -> Peaks {
        drop(self.tx);
        match self.handle.join() {
            Ok(p) => p,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Homes, map_in_lanes};

    /// Runs `f` on a pool of `threads` workers, failing the test past a deadline instead of
    /// hanging the run.
    fn on_pool<R: Send + 'static>(threads: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                || pool.install(f),
            )));
        });
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(Ok(r)) => r,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("no answer within 60 s: map_in_lanes hangs"),
        }
    }

    /// What each lane saw, in the order it saw it, and how many results were dropped.
    fn lanes_run(
        threads: usize,
        n: u64,
        lanes: usize,
        homes: Homes,
        delay: impl Fn(u64) -> u64 + Send + Sync + 'static,
    ) -> (Vec<Vec<(u64, u64)>>, usize) {
        on_pool(threads, move || {
            let drops = std::sync::atomic::AtomicUsize::new(0);
            struct Counted<'d>(u64, &'d std::sync::atomic::AtomicUsize);
            impl Drop for Counted<'_> {
                fn drop(&mut self) {
                    self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let items: Vec<u64> = (0..n).collect();
            let mut seen: Vec<Vec<(u64, u64)>> = vec![Vec::new(); lanes];
            map_in_lanes(
                &items,
                |&i| {
                    std::thread::sleep(std::time::Duration::from_micros(delay(i)));
                    Counted(i * 3, &drops)
                },
                &mut seen,
                homes,
                |lane, &i, t| lane.push((i, t.0)),
            );
            (seen, drops.load(std::sync::atomic::Ordering::Relaxed))
        })
    }

    #[test]
    fn every_lane_takes_every_result_in_order_whoever_finishes_first() {
        for threads in [1, 2, 4] {
            for (lanes, homes) in [
                (1, Homes::Anywhere),
                (3, Homes::Anywhere),
                (3, Homes::Spread),
                (5, Homes::Spread),
                (3, Homes::Caller),
            ] {
                // Early items take longest, so later ones finish first.
                let (seen, drops) = lanes_run(threads, 200, lanes, homes, |i| (200 - i) * 20);
                let want: Vec<(u64, u64)> = (0..200).map(|i| (i, i * 3)).collect();
                let at = format!("{threads} threads, {lanes} lanes, {homes:?}");
                for (l, got) in seen.iter().enumerate() {
                    assert_eq!(got, &want, "{at}: lane {l}");
                }
                assert_eq!(drops, 200, "{at}: each result dropped once");
            }
        }
    }

    #[test]
    fn lanes_take_results_while_later_tasks_run() {
        // One slow item in the middle, so later items are done long before it: every lane
        // still takes every result, in order, and each is dropped once.
        for (threads, homes) in [
            (2, Homes::Anywhere),
            (2, Homes::Spread),
            (4, Homes::Spread),
            (2, Homes::Caller),
        ] {
            let slow = |i| if i == 20 { 20_000 } else { 50 };
            let (seen, drops) = lanes_run(threads, 64, 2, homes, slow);
            for got in &seen {
                assert_eq!(
                    got.iter().map(|x| x.0).collect::<Vec<_>>(),
                    (0..64).collect::<Vec<_>>()
                );
            }
            assert_eq!(drops, 64);
        }
    }

    #[test]
    fn each_lane_is_at_home_where_its_homes_say() {
        for me in 0..4 {
            for l in 0..6 {
                let at = |homes: Homes| -> Vec<usize> {
                    (0..4).filter(|&w| homes.at_home(me, 4, l, w)).collect()
                };
                assert_eq!(at(Homes::Anywhere), [0, 1, 2, 3], "me {me}, lane {l}");
                // Spread over 4 workers: exactly one home, the caller's for lane 0.
                assert_eq!(at(Homes::Spread), [(me + l) % 4], "me {me}, lane {l}");
                assert_eq!(at(Homes::Caller), [me], "me {me}, lane {l}");
            }
        }
    }

    #[test]
    fn lanes_keep_up_whichever_worker_calls() {
        // Results are taken as they are made, not piled up until the end, whether the calling
        // thread is worker 0 or 1, however lanes are homed. (The homes themselves are checked
        // by `each_lane_is_at_home_where_its_homes_say`: a caller other than worker 0 that took
        // no lane while it had tasks still kept this bound, since the other worker took them.)
        for caller in [0, 1] {
            for homes in [Homes::Anywhere, Homes::Spread, Homes::Caller] {
                let most = on_pool(2, move || {
                    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
                    let (alive, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
                    struct Live<'a>(&'a AtomicUsize);
                    impl Drop for Live<'_> {
                        fn drop(&mut self) {
                            self.0.fetch_sub(1, SeqCst);
                        }
                    }
                    rayon::broadcast(|ctx| {
                        if ctx.index() != caller {
                            return;
                        }
                        let items: Vec<u64> = (0..60).collect();
                        let mut lanes = vec![0u64; 3];
                        map_in_lanes(
                            &items,
                            |_| {
                                std::thread::sleep(std::time::Duration::from_millis(1));
                                let n = alive.fetch_add(1, SeqCst) + 1;
                                most.fetch_max(n, SeqCst);
                                Live(&alive)
                            },
                            &mut lanes,
                            homes,
                            |lane, &i, _| *lane += i,
                        );
                        assert!(lanes.iter().all(|&l| l == 59 * 60 / 2));
                    });
                    most.load(SeqCst)
                });
                assert!(
                    most <= 8,
                    "caller {caller}, {homes:?}: {most} results alive at once"
                );
            }
        }
    }

    /// Runs `map_in_lanes` with a panic in `make` or in `apply` at item 2 of 0..4, and returns
    /// what the first lane took and the panic's message.
    fn panicking(threads: usize, in_apply: bool, homes: Homes) -> (Vec<u32>, Option<String>) {
        on_pool(threads, move || {
            let mut lanes = vec![Vec::new(), Vec::new()];
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                map_in_lanes(
                    &[0u32, 1, 2, 3],
                    |&i| {
                        assert!(in_apply || i != 2, "item 2 is poison");
                        // Item 2 ends last, so items before it are taken before its panic.
                        std::thread::sleep(std::time::Duration::from_millis(if i == 2 {
                            50
                        } else {
                            0
                        }));
                        i
                    },
                    &mut lanes,
                    homes,
                    |lane: &mut Vec<u32>, _, &t| {
                        assert!(!in_apply || t != 2, "item 2 is poison");
                        lane.push(t);
                    },
                )
            }));
            let message = r.err().map(|p| match p.downcast::<&str>() {
                Ok(m) => m.to_string(),
                Err(p) => p.downcast::<String>().map(|m| *m).unwrap_or_default(),
            });
            (lanes.swap_remove(0), message)
        })
    }

    #[test]
    fn a_panic_in_a_task_or_a_lane_is_raised_not_waited_for() {
        for (threads, homes) in [
            (1, Homes::Anywhere),
            (2, Homes::Anywhere),
            (2, Homes::Spread),
            (2, Homes::Caller),
        ] {
            for in_apply in [false, true] {
                let (taken, message) = panicking(threads, in_apply, homes);
                let at = if in_apply { "apply" } else { "make" };
                assert_eq!(
                    taken,
                    vec![0, 1],
                    "{threads} threads, panic in {at}: taken before it"
                );
                assert_eq!(
                    message.as_deref(),
                    Some("item 2 is poison"),
                    "{threads} threads, {at}"
                );
            }
        }
    }
}
