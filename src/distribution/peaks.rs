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
//! timestamped records on shards, and the run's [`Peaks`] merges each batch once, in input order.
//! Memory is bounded: at most [`OPEN_CELLS`] (bucket, shard or key) cells stay open; past that the
//! oldest bucket is closed, and a record that arrives for a closed bucket (input out of time order
//! by more than the open buckets cover) is counted as late and leaves the peaks a lower bound.
//! Per-key peaks are kept for at most [`KEY_PEAKS`] keys (the largest).

use std::collections::BTreeMap;

// foldhash (hashbrown's default) rather than SipHash: a cell is added per timestamped record, and
// the ids are shard indices and MD5 bits, not attacker-chosen text.
use hashbrown::HashMap;

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

/// One parallel task's timestamped placements, aggregated per (bucket, shard) and (bucket, key).
#[derive(Clone, Debug, Default)]
pub struct PeakBatch {
    shards: HashMap<(i64, u32), Cell>,
    keys: HashMap<(i64, u64), Cell>,
}

impl PeakBatch {
    /// No timestamped record (key lists, or records without a time).
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// One record at `ts_ms` (Unix ms) placed on `shard`, key hash `key`, `bytes` data + key.
    #[inline]
    pub fn add(&mut self, ts_ms: i64, shard: u32, key: u64, bytes: u64) {
        let b = ts_ms.div_euclid(BUCKET_MS);
        let c = Cell { records: 1, bytes };
        self.shards.entry((b, shard)).or_default().add(c);
        self.keys.entry((b, key)).or_default().add(c);
    }
}

/// Windows of one kind of id (shards or keys): open buckets, the last closed one, and a sink for
/// each finished window.
#[derive(Debug, Default)]
struct Windows {
    open: BTreeMap<i64, HashMap<u64, Cell>>,
    cells: usize,
    /// The last closed bucket and its cells: the first half of the windows it starts.
    prev: Option<(i64, HashMap<u64, Cell>)>,
}

impl Windows {
    fn add(&mut self, b: i64, id: u64, c: Cell) {
        let bucket = self.open.entry(b).or_default();
        let e = bucket.entry(id).or_insert_with(|| {
            self.cells += 1;
            Cell::default()
        });
        e.add(c);
    }

    /// Closes the oldest open bucket: every window that ends with it (and any window the previous
    /// closed bucket starts alone) is finished through `emit(window start bucket, id, cell)`.
    fn close_first(&mut self, emit: &mut impl FnMut(i64, u64, Cell)) -> Option<i64> {
        let (b, cur) = self.open.pop_first()?;
        self.cells -= cur.len();
        match self.prev.take() {
            Some((p, prev)) if p == b - 1 => {
                for (id, c) in &cur {
                    let mut w = *c;
                    if let Some(pc) = prev.get(id) {
                        w.add(*pc);
                    }
                    emit(p, *id, w);
                }
                for (id, pc) in &prev {
                    if !cur.contains_key(id) {
                        emit(p, *id, *pc);
                    }
                }
            }
            Some((p, prev)) => {
                // A gap: the windows the previous bucket starts hold it alone, and the windows
                // ending with this bucket hold it alone.
                for (id, pc) in &prev {
                    emit(p, *id, *pc);
                }
                for (id, c) in &cur {
                    emit(b - 1, *id, *c);
                }
            }
            None => {
                for (id, c) in &cur {
                    emit(b - 1, *id, *c);
                }
            }
        }
        self.prev = Some((b, cur));
        Some(b)
    }

    fn finish(&mut self, emit: &mut impl FnMut(i64, u64, Cell)) {
        while self.close_first(emit).is_some() {}
        if let Some((p, prev)) = self.prev.take() {
            for (id, pc) in &prev {
                emit(p, *id, *pc);
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
#[derive(Debug, Default)]
pub struct Peaks {
    shards_w: Windows,
    keys_w: Windows,
    shard_acc: Vec<ShardAcc>,
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
        Peaks {
            shard_acc: vec![ShardAcc::default(); n_shards],
            ..Peaks::default()
        }
    }

    /// Adds one task's batch (batches come in input order).
    pub fn merge(&mut self, batch: PeakBatch) {
        for ((b, shard), c) in batch.shards {
            if self.closed.is_some_and(|x| b <= x) {
                self.late += c.records;
                continue;
            }
            self.records += c.records;
            self.first = Some(self.first.map_or(b, |f| f.min(b)));
            self.last = Some(self.last.map_or(b, |l| l.max(b)));
            self.shards_w.add(b, u64::from(shard), c);
        }
        for ((b, key), c) in batch.keys {
            if self.closed.is_some_and(|x| b <= x) {
                continue; // counted late with its shard cell
            }
            self.keys_w.add(b, key, c);
        }
        while self.shards_w.cells > OPEN_CELLS || self.keys_w.cells > OPEN_CELLS {
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
            key_acc,
            key_floor,
            ..
        } = self;
        while shards_w.open.keys().next().is_some_and(|&x| x <= b) {
            shards_w.close_first(&mut |w, id, c| shard_window(shard_acc, w, id, c));
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
                key_acc,
                key_floor,
                ..
            } = &mut self;
            shards_w.finish(&mut |w, id, c| shard_window(shard_acc, w, id, c));
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

fn shard_window(acc: &mut [ShardAcc], w: i64, id: u64, c: Cell) {
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
    /// Per open shard, `None` when it got no timestamped record.
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
