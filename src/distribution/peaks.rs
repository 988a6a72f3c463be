//! Per-second load from sample timestamps, beside the distribution engine's totals: per shard and
//! per key, the records and bytes in every one-second window (peak with its second, p99 over the
//! sample's span), so a burst above the shard write limit is seen even when the mean is low.
//!
//! Windows are one second wide and start every half second (`[t, t+1 s)` for `t` a multiple of
//! 500 ms): any burst up to half a second long lies wholly inside one window, wherever it falls
//! against the clock's seconds. Records are counted in 500 ms buckets; a window is two adjacent
//! buckets, summed when the later bucket closes.
//!
//! The engine feeds it through one hook: each parallel task fills a [`PeakBatch`] where it places
//! timestamped records on shards and seals it there (records grouped by bucket, then per
//! bucket aggregated per shard and per key, in cell order), and the run's [`Peaks`] merges each
//! batch once, in input order, one bucket's cells at a time into that bucket's open run (a hash
//! table once many batches have added to it); closing a bucket joins its cells with the
//! previous bucket's in one pass.
//! Memory is bounded: at most [`OPEN_CELLS`] (bucket, shard or key) cells stay open; past that the
//! oldest bucket is closed, and a record that arrives for a closed bucket (input out of time order
//! by more than the open buckets cover) is counted as late and leaves the peaks a lower bound.
//! Per-key peaks are kept for at most [`KEY_PEAKS`] keys (the largest).

use std::collections::BTreeMap;

// foldhash (hashbrown's default) for the per-key peaks; the cell tables hash ids with `mix`: a
// cell is added per timestamped record, and the ids are shard indices and MD5 bits, not
// attacker-chosen text.
use hashbrown::hash_table::Entry;
use hashbrown::{HashMap, HashTable};

/// Bucket width: windows start every bucket and span two buckets.
pub const BUCKET_MS: i64 = 500;
/// Window width.
pub const WINDOW_MS: i64 = 2 * BUCKET_MS;
/// Open (bucket, id) cells kept before the oldest bucket is closed, for shards and keys each.
pub const OPEN_CELLS: usize = 1 << 18;
/// Keys whose peak is remembered; past that the lower half by peak is dropped.
pub const KEY_PEAKS: usize = 1 << 16;

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Cell {
    records: u64,
    bytes: u64,
}

impl Cell {
    fn add(&mut self, o: Cell) {
        self.records += o.records;
        self.bytes += o.bytes;
    }
}

/// One bucket's cells by id (a shard index or a key's MD5 low half).
type Table = HashTable<(u64, Cell)>;

/// The hash of a cell id: shard indices are small and consecutive, so a multiply spreads them
/// into the high bits hashbrown tags with, and the shift back into the low bits it indexes with.
#[inline]
fn mix(id: u64) -> u64 {
    let x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 32)
}

/// Adds `c` to cell `id` of `t`; whether the cell is new.
#[inline]
fn upsert(t: &mut Table, id: u64, c: Cell) -> bool {
    match t.entry(mix(id), |e| e.0 == id, |e| mix(e.0)) {
        Entry::Occupied(mut o) => {
            o.get_mut().1.add(c);
            false
        }
        Entry::Vacant(v) => {
            v.insert((id, c));
            true
        }
    }
}

/// `cells` (distinct ids) in cell order, as a sealed batch gives them to the merge. Cell order
/// is the order of `mix(id)`: `mix` is a bijection (an odd multiply, then an xor-shift by half
/// the width), so it orders every run and table alike, and it spreads even shard indices over
/// its top bits, so one counting pass on them leaves runs of a cell or two to sort (a
/// comparison sort of each bucket's key cells was a twentieth of the CPU of 3 M envelopes).
fn sorted_cells(mut cells: Vec<(u64, Cell)>) -> Vec<(u64, Cell)> {
    const BITS: u32 = 8;
    let n = cells.len();
    if n <= 64 {
        cells.sort_unstable_by_key(|e| mix(e.0));
        return cells;
    }
    let top = |id: u64| (mix(id) >> (64 - BITS)) as usize;
    let mut starts = [0usize; (1 << BITS) + 1];
    for &(id, _) in &cells {
        starts[top(id) + 1] += 1;
    }
    for i in 0..1 << BITS {
        starts[i + 1] += starts[i];
    }
    let mut next = starts;
    let mut out = vec![(0, Cell::default()); n];
    for &(id, c) in &cells {
        let t = top(id);
        out[next[t]] = (id, c);
        next[t] += 1;
    }
    for w in starts.windows(2) {
        if w[1] - w[0] > 1 {
            out[w[0]..w[1]].sort_unstable_by_key(|e| mix(e.0));
        }
    }
    out
}

/// One bucket of a sealed batch: its cells per shard and per key, each in cell order.
#[derive(Clone, Debug)]
struct BatchBucket {
    b: i64,
    shards: Vec<(u64, Cell)>,
    keys: Vec<(u64, Cell)>,
}

/// One parallel task's timestamped placements. Added as they come, then sealed (by the task,
/// so the coordinating thread's merge gets the aggregated cells): per bucket, aggregated per
/// shard and per key.
#[derive(Clone, Debug, Default)]
pub struct PeakBatch {
    /// Records not sealed yet: (bucket, shard, key, bytes).
    raw: Vec<(i64, u32, u64, u64)>,
    buckets: Vec<BatchBucket>,
}

impl PeakBatch {
    /// An empty batch with room for `n` records.
    pub fn with_capacity(n: usize) -> PeakBatch {
        PeakBatch {
            raw: Vec::with_capacity(n),
            buckets: Vec::new(),
        }
    }

    /// No timestamped record (key lists, or records without a time).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty() && self.buckets.is_empty()
    }

    /// One record at `ts_ms` (Unix ms) placed on `shard`, key hash `key`, `bytes` data + key.
    #[inline]
    pub fn add(&mut self, ts_ms: i64, shard: u32, key: u64, bytes: u64) {
        self.raw
            .push((ts_ms.div_euclid(BUCKET_MS), shard, key, bytes));
    }

    /// Aggregates the records added so far into per-bucket cells (`merge` seals a batch that
    /// was not).
    pub fn seal(&mut self) {
        if self.raw.is_empty() {
            return;
        }
        // Stable sort: records mostly come in time order, which it finds as runs in one pass.
        self.raw.sort_by_key(|r| r.0);
        // Room for a bucket of all the records at once: no growth step per seal.
        let n = self.raw.len();
        let (mut shards, mut keys) = (Table::with_capacity(n), Table::with_capacity(n));
        for run in self.raw.chunk_by(|x, y| x.0 == y.0) {
            for &(_, shard, key, bytes) in run {
                let c = Cell { records: 1, bytes };
                upsert(&mut shards, u64::from(shard), c);
                upsert(&mut keys, key, c);
            }
            self.buckets.push(BatchBucket {
                b: run[0].0,
                shards: sorted_cells(shards.drain().collect()),
                keys: sorted_cells(keys.drain().collect()),
            });
        }
        // Sealed batches wait for the merge: the records' memory goes now.
        self.raw = Vec::new();
    }
}

/// Batches merged into an open bucket as sorted runs before it becomes a hash table. A bucket of
/// input in time order gets its cells from one or two batches; a run holds 24 bytes a cell and
/// costs the merge one sequential pass, where a table held its slack and cost a random probe per
/// cell (3 M envelopes: peak RSS 46 to 38 MB; the merge thread's CPU 0.23 to 0.18 s, and the
/// run's total CPU unchanged, the seal's sort taking about that on the workers). At most this
/// many copies of a bucket are made, however many batches add to it.
const RUN_MERGES: u32 = 4;

/// One open bucket's cells, distinct ids.
#[derive(Debug)]
enum Open {
    /// In cell order, and how many batches were merged into it.
    Run(Vec<(u64, Cell)>, u32),
    Table(Table),
}

/// Two runs in cell order as one, cells of the same id added.
fn merge_runs(a: &[(u64, Cell)], b: &[(u64, Cell)]) -> Vec<(u64, Cell)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        let (mx, my) = (mix(x.0), mix(y.0));
        if mx < my {
            out.push(x);
            i += 1;
        } else if my < mx {
            out.push(y);
            j += 1;
        } else {
            let mut c = x.1;
            c.add(y.1);
            out.push((x.0, c));
            i += 1;
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Windows of one kind of id (shards or keys): open buckets, the last closed one, and a sink for
/// each finished window.
#[derive(Debug, Default)]
struct Windows {
    open: BTreeMap<i64, Open>,
    /// Distinct (bucket, id) cells open.
    cells: usize,
    /// The last closed bucket and its cells in cell order: the first half of the windows it
    /// starts.
    prev: Option<(i64, Vec<(u64, Cell)>)>,
}

impl Windows {
    /// Adds one bucket's cells (distinct ids, in cell order) from a batch.
    fn add(&mut self, b: i64, cells: Vec<(u64, Cell)>) {
        use std::collections::btree_map::Entry as Slot;
        let open = match self.open.entry(b) {
            Slot::Vacant(v) => {
                self.cells += cells.len();
                v.insert(Open::Run(cells, 1));
                return;
            }
            Slot::Occupied(o) => o.into_mut(),
        };
        match open {
            Open::Run(run, merged) if *merged < RUN_MERGES => {
                let before = run.len();
                *run = merge_runs(run, &cells);
                *merged += 1;
                self.cells += run.len() - before;
            }
            Open::Run(run, _) => {
                // Many batches for one bucket (input far from time order, or a dense bucket in
                // small batches): a table from here on, each batch a probe per cell.
                let mut t = Table::with_capacity(run.len() + cells.len());
                for &(id, c) in run.iter() {
                    t.insert_unique(mix(id), (id, c), |e| mix(e.0));
                }
                for (id, c) in cells {
                    if upsert(&mut t, id, c) {
                        self.cells += 1;
                    }
                }
                *open = Open::Table(t);
            }
            Open::Table(t) => {
                for (id, c) in cells {
                    if upsert(t, id, c) {
                        self.cells += 1;
                    }
                }
            }
        }
    }

    /// Closes the oldest open bucket: every window that ends with it (and any window the previous
    /// closed bucket starts alone) is finished through `emit(window start bucket, id, cell)`.
    fn close_first(&mut self, emit: &mut impl FnMut(i64, u64, Cell)) -> Option<i64> {
        let (b, cur) = self.open.pop_first()?;
        let cur = match cur {
            Open::Run(run, _) => run,
            Open::Table(t) => sorted_cells(t.into_iter().collect()),
        };
        self.cells -= cur.len();
        match self.prev.take() {
            Some((p, prev)) if p == b - 1 => {
                // Both in cell order: one pass joins them.
                let (mut i, mut j) = (0, 0);
                loop {
                    match (cur.get(i), prev.get(j)) {
                        (Some(&(id, c)), Some(&(pid, pc))) if id == pid => {
                            let mut w = c;
                            w.add(pc);
                            emit(p, id, w);
                            i += 1;
                            j += 1;
                        }
                        (Some(&(id, c)), Some(&(pid, _))) if mix(id) < mix(pid) => {
                            emit(p, id, c);
                            i += 1;
                        }
                        (Some(&(id, c)), None) => {
                            emit(p, id, c);
                            i += 1;
                        }
                        (_, Some(&(pid, pc))) => {
                            emit(p, pid, pc);
                            j += 1;
                        }
                        (None, None) => break,
                    }
                }
            }
            Some((p, prev)) => {
                // A gap: the windows the previous bucket starts hold it alone, and the windows
                // ending with this bucket hold it alone.
                for &(id, pc) in &prev {
                    emit(p, id, pc);
                }
                for &(id, c) in &cur {
                    emit(b - 1, id, c);
                }
            }
            None => {
                for &(id, c) in &cur {
                    emit(b - 1, id, c);
                }
            }
        }
        self.prev = Some((b, cur));
        Some(b)
    }

    fn finish(&mut self, emit: &mut impl FnMut(i64, u64, Cell)) {
        while self.close_first(emit).is_some() {}
        if let Some((p, prev)) = self.prev.take() {
            for &(id, pc) in &prev {
                emit(p, id, pc);
            }
        }
    }
}

/// Per-shard window statistics as they accumulate.
#[derive(Clone, Debug, Default)]
struct ShardAcc {
    peak_records: (u64, i64),
    peak_bytes: (u64, i64),
    /// Windows with any record, by quantised value (for the p99).
    records_hist: BTreeMap<u64, u64>,
    bytes_hist: BTreeMap<u64, u64>,
    windows: u64,
}

/// A key's peak windows.
#[derive(Copy, Clone, Debug, Default)]
struct KeyAcc {
    peak_records: (u64, i64),
    peak_bytes: (u64, i64),
}

/// The run's per-second accumulator.
#[derive(Debug)]
pub struct Peaks {
    /// [`OPEN_CELLS`] (smaller in tests, to reach the bound with little input).
    open_cells: usize,
    shards_w: Windows,
    keys_w: Windows,
    /// Per open shard, allocated with the first shard window: key lists have no timestamps,
    /// and 100,000 shards made zeroing it unused a tenth of the run's fixed cost.
    shard_acc: Vec<ShardAcc>,
    n_shards: usize,
    key_acc: HashMap<u64, KeyAcc>,
    /// Keys dropped from `key_acc` had a peak of at most this many records.
    key_floor: u64,
    /// Highest closed bucket: a record for it or earlier is late.
    closed: Option<i64>,
    first: Option<i64>,
    last: Option<i64>,
    late: u64,
    records: u64,
}

impl Default for Peaks {
    fn default() -> Self {
        Peaks::new(0)
    }
}

/// Values below this are kept exactly in the p99 histograms; above, to 11 significant bits
/// (under 0.1% low).
const EXACT_BELOW: u64 = 2048;

pub(crate) fn quantise(v: u64) -> u64 {
    if v < EXACT_BELOW {
        return v;
    }
    let shift = 64 - v.leading_zeros() - 11;
    (v >> shift) << shift
}

impl Peaks {
    pub fn new(n_shards: usize) -> Peaks {
        Peaks::with_open_cells(n_shards, OPEN_CELLS)
    }

    fn with_open_cells(n_shards: usize, open_cells: usize) -> Peaks {
        Peaks {
            open_cells,
            shards_w: Windows::default(),
            keys_w: Windows::default(),
            shard_acc: Vec::new(),
            n_shards,
            key_acc: HashMap::default(),
            key_floor: 0,
            closed: None,
            first: None,
            last: None,
            late: 0,
            records: 0,
        }
    }

    /// Adds one task's batch (batches come in input order).
    pub fn merge(&mut self, mut batch: PeakBatch) {
        batch.seal();
        for bb in std::mem::take(&mut batch.buckets) {
            let b = bb.b;
            let records: u64 = bb.shards.iter().map(|(_, c)| c.records).sum();
            if self.closed.is_some_and(|x| b <= x) {
                self.late += records;
                continue;
            }
            self.records += records;
            self.first = Some(self.first.map_or(b, |f| f.min(b)));
            self.last = Some(self.last.map_or(b, |l| l.max(b)));
            self.shards_w.add(b, bb.shards);
            self.keys_w.add(b, bb.keys);
        }
        while self.shards_w.cells > self.open_cells || self.keys_w.cells > self.open_cells {
            let b = match (
                self.shards_w.open.keys().next(),
                self.keys_w.open.keys().next(),
            ) {
                (Some(&a), Some(&k)) => a.min(k),
                (Some(&a), None) => a,
                (None, Some(&k)) => k,
                (None, None) => break,
            };
            self.close_through(b);
        }
    }

    /// Closes every open bucket up to `b` in both window sets.
    fn close_through(&mut self, b: i64) {
        let Peaks {
            shards_w,
            keys_w,
            shard_acc,
            n_shards,
            key_acc,
            key_floor,
            ..
        } = self;
        while shards_w.open.keys().next().is_some_and(|&x| x <= b) {
            shards_w.close_first(&mut |w, id, c| shard_window(shard_acc, *n_shards, w, id, c));
        }
        while keys_w.open.keys().next().is_some_and(|&x| x <= b) {
            keys_w.close_first(&mut |w, id, c| key_window(key_acc, key_floor, w, id, c));
        }
        self.closed = Some(self.closed.map_or(b, |x| x.max(b)));
    }

    /// Closes everything and gives the statistics.
    pub fn finish(mut self) -> PeakSummary {
        {
            let Peaks {
                shards_w,
                keys_w,
                shard_acc,
                n_shards,
                key_acc,
                key_floor,
                ..
            } = &mut self;
            shards_w.finish(&mut |w, id, c| shard_window(shard_acc, *n_shards, w, id, c));
            keys_w.finish(&mut |w, id, c| key_window(key_acc, key_floor, w, id, c));
        }
        // Windows over the span: every window that holds any bucket from first to last.
        let total_windows = match (self.first, self.last) {
            (Some(f), Some(l)) => (l - f + 2) as u64,
            _ => 0,
        };
        let shards = self
            .shard_acc
            .iter()
            .map(|a| {
                (a.windows > 0).then(|| ShardPeak {
                    peak_records: a.peak_records.0,
                    peak_records_at_ms: a.peak_records.1 * BUCKET_MS,
                    p99_records: p99(&a.records_hist, total_windows),
                    peak_bytes: a.peak_bytes.0,
                    peak_bytes_at_ms: a.peak_bytes.1 * BUCKET_MS,
                    p99_bytes: p99(&a.bytes_hist, total_windows),
                })
            })
            .collect();
        PeakSummary {
            records: self.records,
            late_records: self.late,
            windows: total_windows,
            shards,
            keys: self.key_acc,
            key_floor: self.key_floor,
        }
    }
}

fn shard_window(acc: &mut Vec<ShardAcc>, n_shards: usize, w: i64, id: u64, c: Cell) {
    if acc.is_empty() {
        acc.resize_with(n_shards, ShardAcc::default);
    }
    let Some(a) = acc.get_mut(id as usize) else {
        return;
    };
    // Earliest window wins a tie: the first second the peak was reached.
    if c.records > a.peak_records.0 || (c.records == a.peak_records.0 && w < a.peak_records.1) {
        a.peak_records = (c.records, w);
    }
    if c.bytes > a.peak_bytes.0 || (c.bytes == a.peak_bytes.0 && w < a.peak_bytes.1) {
        a.peak_bytes = (c.bytes, w);
    }
    *a.records_hist.entry(quantise(c.records)).or_default() += 1;
    *a.bytes_hist.entry(quantise(c.bytes)).or_default() += 1;
    a.windows += 1;
}

fn key_window(acc: &mut HashMap<u64, KeyAcc>, floor: &mut u64, w: i64, id: u64, c: Cell) {
    if c.records <= *floor && !acc.contains_key(&id) {
        return;
    }
    if acc.len() == acc.capacity() && acc.len() >= KEY_PEAKS / 4 {
        // Full: straight to the room the bound needs. Doubling step by step, the last step held
        // both tables (2.7 + 5.4 MB), the run's peak heap on a sample of many keys.
        acc.reserve(KEY_PEAKS + 1 - acc.len());
    }
    let a = acc.entry(id).or_default();
    if c.records > a.peak_records.0 || (c.records == a.peak_records.0 && w < a.peak_records.1) {
        a.peak_records = (c.records, w);
    }
    if c.bytes > a.peak_bytes.0 || (c.bytes == a.peak_bytes.0 && w < a.peak_bytes.1) {
        a.peak_bytes = (c.bytes, w);
    }
    if acc.len() > KEY_PEAKS {
        // Keep the upper half by peak records; what is dropped peaked at most at the floor.
        let mut peaks: Vec<u64> = acc.values().map(|a| a.peak_records.0).collect();
        let mid = peaks.len() / 2;
        let (_, &mut cut, _) = peaks.select_nth_unstable(mid);
        *floor = (*floor).max(cut);
        acc.retain(|_, a| a.peak_records.0 > cut);
        if acc.len() < KEY_PEAKS / 4 {
            // Most dropped (many keys, all peaking low): the room goes back rather than staying
            // resident for the rest of the run.
            acc.shrink_to_fit();
        }
    }
}

/// The 99th percentile of per-window values over `total` windows (windows without records
/// count as 0): the smallest value at or above 99% of the windows.
fn p99(hist: &BTreeMap<u64, u64>, total: u64) -> u64 {
    let with: u64 = hist.values().sum();
    let zeros = total.saturating_sub(with);
    let rank = (total * 99).div_ceil(100).max(1);
    if rank <= zeros {
        return 0;
    }
    let mut seen = zeros;
    for (v, n) in hist {
        seen += n;
        if seen >= rank {
            return *v;
        }
    }
    hist.keys().next_back().copied().unwrap_or(0)
}

/// One shard's busiest one-second windows.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardPeak {
    pub peak_records: u64,
    /// Start of the window (Unix ms) where `peak_records` was first reached.
    pub peak_records_at_ms: i64,
    pub p99_records: u64,
    pub peak_bytes: u64,
    pub peak_bytes_at_ms: i64,
    pub p99_bytes: u64,
}

/// What [`Peaks::finish`] gives the report.
#[derive(Debug, Default)]
pub struct PeakSummary {
    /// Timestamped records in the windows.
    pub records: u64,
    /// Records that came after their window had closed (not in the peaks).
    pub late_records: u64,
    /// One-second windows over the timestamps' span (starting every 500 ms).
    pub windows: u64,
    /// Per open shard, `None` when it got no timestamped record; empty when no record had a
    /// timestamp.
    pub shards: Vec<Option<ShardPeak>>,
    keys: HashMap<u64, KeyAcc>,
    key_floor: u64,
}

/// A key's busiest window; `at_most` when the key's peak was dropped from the bounded table.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyPeak {
    pub peak_records: u64,
    pub peak_records_at_ms: Option<i64>,
    pub peak_bytes: Option<u64>,
    pub peak_bytes_at_ms: Option<i64>,
    /// `true` when the key's peak was not kept: it is at most `peak_records`.
    pub at_most: bool,
}

impl PeakSummary {
    /// The peak of the key with MD5 low half `hash64`.
    pub fn key(&self, hash64: u64) -> Option<KeyPeak> {
        match self.keys.get(&hash64) {
            Some(a) => Some(KeyPeak {
                peak_records: a.peak_records.0,
                peak_records_at_ms: Some(a.peak_records.1 * BUCKET_MS),
                peak_bytes: Some(a.peak_bytes.0),
                peak_bytes_at_ms: Some(a.peak_bytes.1 * BUCKET_MS),
                at_most: false,
            }),
            None if self.key_floor > 0 => Some(KeyPeak {
                peak_records: self.key_floor,
                peak_records_at_ms: None,
                peak_bytes: None,
                peak_bytes_at_ms: None,
                at_most: true,
            }),
            None => None,
        }
    }

    /// Whether every timestamped record is in the peaks.
    pub fn exact(&self) -> bool {
        self.late_records == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix;

    fn run(records: &[(i64, u32, u64)]) -> PeakSummary {
        let mut p = Peaks::new(4);
        let mut b = PeakBatch::default();
        for &(t, s, k) in records {
            b.add(t, s, k, 100);
        }
        p.merge(b);
        p.finish()
    }

    #[test]
    fn burst_straddling_a_second_is_one_window() {
        // 1,500 records from 10.75 s to 11.25 s: 750 in each clock second, all in the window
        // starting at 10.5 s.
        let recs: Vec<_> = (0..1500).map(|i| (10_750 + i / 3, 0, 1)).collect();
        let s = run(&recs);
        let sh = s.shards[0].as_ref().unwrap();
        assert_eq!(sh.peak_records, 1500);
        assert_eq!(sh.peak_records_at_ms, 10_500);
        assert_eq!(sh.peak_bytes, 150_000);
        assert!(s.shards[1].is_none());
        assert_eq!(s.key(1).unwrap().peak_records, 1500);
    }

    #[test]
    fn steady_load_has_equal_peak_and_p99() {
        // 10 records every 100 ms for 100 s: 100 per window.
        let recs: Vec<_> = (0..10_000).map(|i| ((i / 10) * 100, 1, i as u64)).collect();
        let s = run(&recs);
        let sh = s.shards[1].as_ref().unwrap();
        assert_eq!(sh.peak_records, 100);
        // The two edge windows hold half a second; p99 is the full 100.
        assert_eq!(sh.p99_records, 100);
        assert_eq!(s.windows, 201);
    }

    #[test]
    fn gaps_and_out_of_order_batches() {
        let mut p = Peaks::new(1);
        let mut b1 = PeakBatch::default();
        b1.add(5_000, 0, 7, 1);
        let mut b2 = PeakBatch::default();
        b2.add(1_000, 0, 7, 1); // earlier, but nothing closed yet: not late
        b2.add(1_200, 0, 7, 1);
        p.merge(b1);
        p.merge(b2);
        let s = p.finish();
        let sh = s.shards[0].as_ref().unwrap();
        assert_eq!(sh.peak_records, 2);
        assert_eq!(sh.peak_records_at_ms, 500);
        assert_eq!(s.late_records, 0);
        assert!(s.exact());
        // 1.0 .. 5.0 s: buckets 2..=10, windows starting at buckets 1..=10.
        assert_eq!(s.windows, 10);
        assert_eq!(sh.p99_records, 2);
    }

    #[test]
    fn closed_buckets_make_late_records() {
        let mut p = Peaks::new(1);
        let mut b = PeakBatch::default();
        b.add(10_000, 0, 1, 1);
        p.merge(b);
        p.close_through(30);
        let mut b = PeakBatch::default();
        b.add(9_000, 0, 1, 1);
        p.merge(b);
        let s = p.finish();
        assert_eq!(s.late_records, 1);
        assert!(!s.exact());
    }

    /// One record of a reference run: (ts_ms, shard, key, bytes).
    type Rec = (i64, u32, u64, u64);

    /// What a run should give, the simple way: the same closing rule (the oldest bucket closes
    /// while either kind has more than `open_cells` distinct open cells after a batch; a record
    /// for a closed bucket is late), then every window summed from all records that were not
    /// late. Per shard: (peak records, at, p99, peak bytes, at, p99); per key: (peak records,
    /// at, peak bytes, at).
    #[allow(clippy::type_complexity)]
    fn reference(
        batches: &[Vec<Rec>],
        n_shards: usize,
        open_cells: usize,
    ) -> (
        u64,
        u64,
        u64,
        Vec<Option<(u64, i64, u64, u64, i64, u64)>>,
        BTreeMap<u64, (u64, i64, u64, i64)>,
    ) {
        use std::collections::BTreeSet;
        let mut closed: Option<i64> = None;
        let (mut open_s, mut open_k) = (BTreeSet::new(), BTreeSet::new());
        let (mut kept, mut late) = (Vec::new(), 0);
        for batch in batches {
            for &(t, s, k, by) in batch {
                let b = t.div_euclid(BUCKET_MS);
                if closed.is_some_and(|x| b <= x) {
                    late += 1;
                    continue;
                }
                kept.push((b, s, k, by));
                open_s.insert((b, u64::from(s)));
                open_k.insert((b, k));
            }
            while open_s.len() > open_cells || open_k.len() > open_cells {
                let b = open_s.first().unwrap().0.min(open_k.first().unwrap().0);
                closed = Some(closed.map_or(b, |x| x.max(b)));
                open_s.retain(|c| c.0 > b);
                open_k.retain(|c| c.0 > b);
            }
        }
        let (first, last) = (
            kept.iter().map(|r| r.0).min(),
            kept.iter().map(|r| r.0).max(),
        );
        let Some((first, last)) = first.zip(last) else {
            return (late, 0, 0, vec![None; n_shards], BTreeMap::new());
        };
        // Per id, per window start in first-1..=last: (records, bytes).
        let windows = |id_of: &dyn Fn(&(i64, u32, u64, u64)) -> u64| {
            let mut m: BTreeMap<u64, BTreeMap<i64, (u64, u64)>> = BTreeMap::new();
            for r in &kept {
                for w in [r.0 - 1, r.0] {
                    let c = m.entry(id_of(r)).or_default().entry(w).or_default();
                    c.0 += 1;
                    c.1 += r.3;
                }
            }
            m
        };
        let peak = |ws: &BTreeMap<i64, (u64, u64)>, f: fn(&(u64, u64)) -> u64| {
            // Ascending windows, strictly greater: the earliest window with the peak.
            let mut best = (0, 0);
            for (&w, c) in ws {
                if f(c) > best.0 {
                    best = (f(c), w);
                }
            }
            best
        };
        let total = (last - first + 2) as u64;
        let p99 = |ws: &BTreeMap<i64, (u64, u64)>, f: fn(&(u64, u64)) -> u64| {
            let mut v: Vec<u64> = (first - 1..=last)
                .map(|w| ws.get(&w).map_or(0, |c| quantise(f(c))))
                .collect();
            v.sort_unstable();
            v[((total * 99).div_ceil(100).max(1) - 1) as usize]
        };
        let by_shard = windows(&|r| u64::from(r.1));
        let shards = (0..n_shards as u64)
            .map(|s| {
                by_shard.get(&s).map(|ws| {
                    let (pr, pb) = (peak(ws, |c| c.0), peak(ws, |c| c.1));
                    let (qr, qb) = (p99(ws, |c| c.0), p99(ws, |c| c.1));
                    (pr.0, pr.1 * BUCKET_MS, qr, pb.0, pb.1 * BUCKET_MS, qb)
                })
            })
            .collect();
        let keys = windows(&|r| r.2)
            .into_iter()
            .map(|(k, ws)| {
                let (pr, pb) = (peak(&ws, |c| c.0), peak(&ws, |c| c.1));
                (k, (pr.0, pr.1 * BUCKET_MS, pb.0, pb.1 * BUCKET_MS))
            })
            .collect();
        (late, kept.len() as u64, total, shards, keys)
    }

    /// Runs `batches` (every other one sealed by the task, the rest left to the merge), checks
    /// every figure against [`reference`], and gives the late records.
    fn assert_as_reference(
        batches: &[Vec<Rec>],
        n_shards: usize,
        open_cells: usize,
        round: usize,
    ) -> u64 {
        let (late, records, windows, shards, keys) = reference(batches, n_shards, open_cells);
        let mut p = Peaks::with_open_cells(n_shards, open_cells);
        for (i, recs) in batches.iter().enumerate() {
            let mut b = PeakBatch::default();
            for &(t, s, k, by) in recs {
                b.add(t, s, k, by);
            }
            // Sealed by the task, or left to the merge.
            if i % 2 == 0 {
                b.seal();
            }
            p.merge(b);
        }
        let s = p.finish();
        assert_eq!(
            (s.late_records, s.records, s.windows),
            (late, records, windows),
            "round {round}"
        );
        let got: Vec<_> = s
            .shards
            .iter()
            .map(|o| {
                o.as_ref().map(|p| {
                    (
                        p.peak_records,
                        p.peak_records_at_ms,
                        p.p99_records,
                        p.peak_bytes,
                        p.peak_bytes_at_ms,
                        p.p99_bytes,
                    )
                })
            })
            .collect();
        assert_eq!(got, shards, "round {round}");
        assert_eq!(s.keys.len(), keys.len(), "round {round}");
        for (&k, &(r, r_at, b, b_at)) in &keys {
            let want = KeyPeak {
                peak_records: r,
                peak_records_at_ms: Some(r_at),
                peak_bytes: Some(b),
                peak_bytes_at_ms: Some(b_at),
                at_most: false,
            };
            assert_eq!(s.key(k), Some(want), "round {round} key {k}");
        }
        late
    }

    #[test]
    fn random_out_of_order_input_matches_the_reference() {
        let mut rng = SplitMix::new(0x17, 0);
        let mut late_runs = 0;
        for round in 0..60 {
            let n_shards = 1 + (rng.next_u64() % 6) as usize;
            let n_keys = 1 + rng.next_u64() % 80;
            let open_cells = [8, 30, 200, OPEN_CELLS][round % 4];
            let jitter = [0, 400, 3_000][round % 3];
            // Mostly forward in time with jitter, sometimes far back (late once closed), around
            // zero so that negative times and buckets are covered too.
            let mut t = -5_000 + (rng.next_u64() % 2_000) as i64;
            let batches: Vec<Vec<Rec>> = (0..1 + rng.next_u64() % 12)
                .map(|_| {
                    (0..rng.next_u64() % 150)
                        .map(|_| {
                            t += (rng.next_u64() % 40) as i64;
                            let mut ts = t + (rng.next_u64() % (jitter + 1)) as i64;
                            if rng.next_u64().is_multiple_of(50) {
                                ts -= (rng.next_u64() % 20_000) as i64;
                            }
                            let k = rng.next_u64() % n_keys;
                            // Key ids as the engine gives them (MD5 bits), a few small ones.
                            let id = if k < 3 {
                                k
                            } else {
                                k.wrapping_mul(0xA24B_AED4_963E_E407)
                            };
                            let shard = (rng.next_u64() % n_shards as u64) as u32;
                            (ts, shard, id, 1 + rng.next_u64() % 500)
                        })
                        .collect()
                })
                .collect();
            let late = assert_as_reference(&batches, n_shards, open_cells, round);
            late_runs += usize::from(late > 0);
        }
        // The closing rule and late records were exercised.
        assert!(late_runs >= 10, "{late_runs}");
    }

    #[test]
    fn buckets_from_many_batches_match_the_reference() {
        // Each bucket's records spread over up to 30 batches: merged as sorted runs, then (past
        // RUN_MERGES) as a table, with ids shared between batches.
        let mut rng = SplitMix::new(0x29, 0);
        for round in 0..8 {
            let batches: Vec<Vec<Rec>> = (0..5 + round * 3)
                .map(|_| {
                    // Odd rounds: buckets of more than 64 cells, which sort by a counting pass.
                    let (records, keys) = if round % 2 == 1 { (400, 300) } else { (40, 25) };
                    (0..1 + rng.next_u64() % records)
                        .map(|_| {
                            let ts = 10_000 + (rng.next_u64() % 1_500) as i64;
                            let shard = (rng.next_u64() % 3) as u32;
                            (ts, shard, rng.next_u64() % keys, 1 + rng.next_u64() % 9)
                        })
                        .collect()
                })
                .collect();
            assert_eq!(assert_as_reference(&batches, 3, OPEN_CELLS, round), 0);
        }
    }

    #[test]
    fn cells_sort_in_mix_order() {
        let mut rng = SplitMix::new(0x31, 0);
        for n in [0u64, 1, 2, 64, 65, 300, 5_000] {
            // Shard indices (small, consecutive) and key hashes (random).
            for random in [false, true] {
                let cells: Vec<(u64, Cell)> = (0..n)
                    .map(|i| {
                        let id = if random { rng.next_u64() } else { i };
                        (
                            id,
                            Cell {
                                records: id % 7,
                                bytes: i,
                            },
                        )
                    })
                    .collect();
                let mut want = cells.clone();
                want.sort_by_key(|e| mix(e.0));
                assert_eq!(sorted_cells(cells), want, "{n} {random}");
            }
        }
    }

    #[test]
    fn key_table_stays_bounded() {
        let mut p = Peaks::new(1);
        let mut b = PeakBatch::default();
        for k in 0..(KEY_PEAKS as u64 + 10) {
            b.add(0, 0, k, 1);
        }
        // One hot key.
        for _ in 0..5 {
            b.add(0, 0, u64::MAX, 1);
        }
        p.merge(b);
        let s = p.finish();
        assert!(s.keys.len() <= KEY_PEAKS);
        assert_eq!(s.key(u64::MAX).unwrap().peak_records, 5);
        let dropped = s.key(3).unwrap();
        assert!(dropped.at_most && dropped.peak_records == 1);
    }

    #[test]
    fn quantised_values_stay_close() {
        for v in [0, 1, 1023, 1024, 1025, 1_048_576, 3_000_001, u64::MAX / 3] {
            let q = quantise(v);
            assert!(q <= v && (v - q) as f64 <= v as f64 / 1024.0, "{v} -> {q}");
        }
    }
}
