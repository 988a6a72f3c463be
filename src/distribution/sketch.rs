//! Bounded key counters for the distribution engine: an exact per-key table that turns into a
//! Misra-Gries / Space-Saving style heavy-hitter summary past a cap, with an admission filter in
//! front of it, and a HyperLogLog for the distinct-key count. These are the only structures in
//! the engine that grow with the input, and both are bounded.
//!
//! # The hot-key error bound
//!
//! A partition ([`KeyCounter`]) counts exactly until `cap` distinct keys. Past that, with
//! `k = cap / 2`, a key's records take one of two ways:
//!
//! - **Summary.** Records of a key in the table, or admitted to it, are counted there; when the
//!   table holds `cap` keys the `(k+1)`-th largest count `c` is subtracted from every key and
//!   keys at zero leave. `D`, the sum of the `c`s, bounds what the summary lost of any one key
//!   (Misra-Gries), and `D <= n_s / (k + 1)` for the `n_s` records the summary took: each
//!   subtraction erases `c` from at least `k + 1` keys' counts, and only those records were ever
//!   counted there.
//! - **Filter.** A record whose key is not in the table first goes through a count-min sketch
//!   of two rows of `u16` counters, indexed by bits of the MD5 the engine already has, with
//!   conservative update. If the key's estimate after the update is at most the threshold `t`,
//!   the record is absorbed: counted nowhere else. Else the key enters the table. A record that
//!   misses the table costs a few nanoseconds in a cache-resident sketch instead of an insert
//!   and, once the table is full, a share of a prune.
//!
//! The threshold is `t = min(3 D, a / (k + 1) + 1)`, with `a` the records absorbed so far (and
//! under `u16::MAX`). `T` is the largest estimate an absorbed record had (0 if none), so
//! `T <= t` at that absorption.
//!
//! **Claim.** For every key `x` with true count `f(x)` and table count `c(x)` (0 when absent),
//! `c(x) <= f(x) <= c(x) + D + T`; and `D + T <= n / (k + 1) + 1` for the partition's `n`
//! records. [`KeyCounter::dropped`] is `D + T`, the error of this run; [`KeyCounter::bound`] is
//! `n / (k + 1) + 1`, the guarantee for any input.
//!
//! **Proof.** The records of `x` are those counted by the summary and those absorbed. The
//! summary never adds counts it did not see, and loses at most `D` of `x`'s: so it holds
//! `c(x) <= s(x) <= c(x) + D` of `x`'s `s(x)` records. Every absorbed record updated the
//! sketch, and conservative update keeps every key's estimate (the minimum of its two counters)
//! at or above its absorbed records, counters only ever grow, and a saturated estimate
//! (`u16::MAX`) is above any threshold and always admits: so at `x`'s last absorption its
//! absorbed records numbered at most that estimate, at most `T`. Adding,
//! `f(x) <= c(x) + D + T`. For the guarantee, `D <= n_s / (k + 1)`, and `T <= a_T / (k + 1) + 1`
//! where `a_T <= a` counts the absorptions before the one that set it; with `n_s + a = n`,
//! `D + T <= n / (k + 1) + 1`. (The `+ 1` lets the filter start absorbing before `k + 1`
//! absorptions have paid for it.)
//!
//! So every key with more than `D + T` records is in the table and reported, and each
//! reported upper estimate `c(x) + D + T` is within `D + T` of the truth. Below the cap nothing
//! is subtracted or absorbed and every count is exact.

use std::borrow::Cow;

use hashbrown::HashTable;

/// What the engine knows about one key, as the report reads it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KeyView<'a> {
    pub key: &'a str,
    /// Records counted for this key since it (last) entered the table.
    pub count: u64,
    /// Data + key bytes of those records.
    pub bytes: u64,
    /// Global index of the key's first record (it decides first-seen ordering groups).
    pub first_seq: u64,
    /// Index of the open shard the key's first record went to.
    pub shard: u32,
}

/// A tracked key; the key's bytes live in the partition's arena, so a new key costs no
/// allocation of its own and pruning frees nothing one by one. The hash table holds a `u32` per
/// key (the slot's index, and bits of its MD5 above it), so a partition's table stays in L2.
#[derive(Copy, Clone, Debug)]
struct Slot {
    /// The key's MD5, its identity here: keys with one MD5 land on one shard, in one
    /// `hash-mod` group, and are one key to Kinesis, so no key bytes are compared on the hot
    /// path. Its low 64 bits hash the table, so no record is hashed twice. Two halves keep
    /// the slot 8-byte aligned.
    hash: [u64; 2],
    count: u64,
    bytes: u64,
    first_seq: u64,
    off: u32,
    len: u32,
    shard: u32,
}

/// The bits of a key table entry above the slot index: bits of the MD5's low half that neither
/// hashbrown's bucket position (its low bits) nor its 7-bit tag (its top bits) uses.
#[inline]
fn entry_tag(lo: u64, idx_mask: u32) -> u32 {
    ((lo >> 24) as u32) & !idx_mask
}

/// An MD5 as (low, high) 64-bit halves.
#[inline]
fn split(h: u128) -> [u64; 2] {
    [h as u64, (h >> 64) as u64]
}

/// One record's contribution to the key table.
#[derive(Clone, Debug)]
pub struct KeyUpdate<'a> {
    pub key: Cow<'a, str>,
    /// The key's MD5.
    pub hash: u128,
    pub bytes: u64,
    pub seq: u64,
    pub shard: u32,
}

/// One record's contribution as the engine packs it: contiguous per partition, so applying a
/// batch reads memory in order. What only a key new to the table needs (its bytes, its record's
/// index and shard) stays in the batch's per-record arrays, at `key`: 24 bytes a record instead
/// of 40 to write and read again.
#[derive(Copy, Clone, Debug)]
pub struct Packed {
    /// The key's MD5 as (low, high) halves.
    pub hash: [u64; 2],
    /// The record's data and key bytes: a record is one line or element, at most
    /// `MAX_SAMPLE_LINE_BYTES` (16 MiB), so it fits (saturated past `u32::MAX` all the same).
    pub bytes: u32,
    /// Index of the record in its batch's `keys`, `seqs` and `shards`.
    pub key: u32,
}

impl Packed {
    pub fn new(hash: u128, bytes: u64, key: u32) -> Packed {
        Packed {
            hash: split(hash),
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
            key,
        }
    }
}

/// One batch of packed records of a partition, with the per-record arrays `Packed::key`
/// indexes.
pub struct PackedBatch<'a, K> {
    pub updates: &'a [Packed],
    pub keys: &'a [K],
    /// Global index of each record (first-seen order).
    pub seqs: &'a [u64],
    /// Open shard of each record.
    pub shards: &'a [u32],
}

/// Per-key counts for one hash partition of the key space.
///
/// Exact until `cap` distinct keys; then a batched Misra-Gries / Space-Saving summary behind an
/// admission filter (see the module doc for the bound and its proof): a key's true count lies in
/// `count..=count + dropped()`, a key not in the table occurred at most `dropped()` times, and
/// `dropped() <= bound()`.
#[derive(Debug)]
pub struct KeyCounter {
    /// Index into `slots` in the low bits (`idx_mask`), bits of the slot's MD5 above them
    /// (`entry_tag`); hashed by the low half of the MD5.
    table: HashTable<u32>,
    idx_mask: u32,
    slots: Vec<Slot>,
    arena: Vec<u8>,
    /// Scratch for `prune`: counts, and the next arena.
    counts: Vec<u64>,
    spare: Vec<u8>,
    cap: usize,
    exact: bool,
    /// `D`: the sum of the counts subtracted by prunes.
    subtracted: u64,
    /// Records seen by this partition.
    n: u64,
    /// In front of the summary from the first prune on (absent while counts are exact).
    filter: Option<Filter>,
}

/// Sketch blocks: 2,048 cache lines of 32 `u16` counters, 128 KB per partition. Wider means
/// fewer keys admitted to the summary (the summary's floor follows the counters' level) and a
/// lower error, but a sketch that leaves L2 between batches: 4,096 blocks admitted 2.6% and 6%
/// of a partition's 625,000 records (all keys distinct / ten records a key; 4.3% and 6.7%
/// here) for an error of 12 and 30 (21 and 36 here), and cost 5-10% more CPU time on ten
/// records a key.
const FILTER_BLOCKS: usize = 1 << 11;

/// Records ahead whose sketch block is prefetched.
const PREFETCH_AHEAD: usize = 8;

/// The threshold follows three times the summary's floor `D`: rare keys then need a higher
/// estimate to enter, so the floor (and with it every key's error) stays lower, and fewer
/// records pay an insert and a share of a prune. On 625,000 records of one partition and 4,096
/// sketch blocks, twice rather than once the floor admitted 2.6% instead of 4.8% of records with
/// all keys distinct and 6% instead of 10.5% with ten records a key, for an error `D + T` of 12
/// instead of 16 and 30 instead of 34. Three times rather than twice, over 10 M keys (the
/// engine's 16 partitions of 2,048 blocks): error 33 to 28 with ten records a key, 21 to 20 all
/// distinct, 176 to 162 on 100,000 keys drawn uniformly, 54 to 40 on Zipf 0.8 over 1 M keys, and
/// 27 to 37 on Zipf 1.0 over 2 M keys, with 2 to 5% less CPU time in all five.
const FLOOR_FACTOR: u64 = 3;

/// One cache line of the sketch: a key's two counters are in one line, so a record costs one
/// cache miss at most (a block is two rows of 16).
#[derive(Copy, Clone, Debug)]
#[repr(align(64))]
struct Block([u16; 32]);

/// The admission filter: a two-row count-min sketch with conservative update over records whose
/// key is not in the table, blocked by cache line. A key enters the summary only once its
/// estimate exceeds the threshold, so a flood of rare keys costs a sketch update each instead of
/// an insert and a share of a prune. See the module doc for why the error stays bounded.
#[derive(Debug)]
struct Filter {
    blocks: Box<[Block]>,
    /// `t`: absorb a record when its key's estimate after the update is at most this.
    tau: u16,
    /// `T`: the largest estimate an absorbed record had.
    used: u16,
    /// `a / (k + 1) + 1`, and absorptions left until it grows by one (`k + 1` each).
    budget: u64,
    countdown: u64,
    per_budget: u64,
}

impl Filter {
    fn new(k: usize) -> Filter {
        let per_budget = k as u64 + 1;
        Filter {
            blocks: vec![Block([0; 32]); FILTER_BLOCKS].into_boxed_slice(),
            tau: 0,
            used: 0,
            budget: 1,
            countdown: per_budget,
            per_budget,
        }
    }

    /// `t = min(3 D, budget)`, kept under `u16::MAX` so a saturated estimate always admits.
    fn retune(&mut self, subtracted: u64) {
        self.tau = (subtracted * FLOOR_FACTOR)
            .min(self.budget)
            .min(u16::MAX as u64 - 1) as u16;
    }

    /// The block of a key (high half of its MD5: `hi`). Bits 16..28 of the high half: the
    /// engine's partition is its low bits, and the table hashes by the low half, so the sketch
    /// indexes by bits neither has used.
    #[inline(always)]
    fn block_of(hi: u64) -> usize {
        (hi >> 16) as usize & (FILTER_BLOCKS - 1)
    }

    /// Starts loading the block of a key a few records ahead: a partition's sketch is out of L1
    /// (128 KB), and the record's own load would otherwise wait for it.
    #[inline(always)]
    fn prefetch(&self, hi: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = self.blocks[Self::block_of(hi)].0.as_ptr().cast::<i8>();
            // SAFETY: a prefetch is a hint; `p` points into `self.blocks`.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = hi;
    }

    /// Counts a record whose key (high half of its MD5: `hi`) is not in the table; true when the
    /// record is absorbed, false when the key should enter the table.
    #[inline(always)]
    fn absorb(&mut self, hi: u64, subtracted: u64) -> bool {
        let block = &mut self.blocks[Self::block_of(hi)].0;
        let a = (hi >> 28) as usize & 15;
        let b = 16 + ((hi >> 32) as usize & 15);
        let (ca, cb) = (block[a], block[b]);
        let m = ca.min(cb);
        if m == u16::MAX {
            // Saturated: the estimate may be below the key's true count; admit.
            return false;
        }
        // Conservative update: raise only the counters below the new estimate.
        let e = m + 1;
        block[a] = ca.max(e);
        block[b] = cb.max(e);
        if e > self.tau {
            return false;
        }
        self.used = self.used.max(e);
        self.countdown -= 1;
        if self.countdown == 0 {
            self.countdown = self.per_budget;
            self.budget += 1;
            self.retune(subtracted);
        }
        true
    }
}

impl KeyCounter {
    pub fn new(cap: usize) -> Self {
        KeyCounter {
            table: HashTable::new(),
            // Indices are below `cap`; the bits above them carry part of the key's MD5.
            idx_mask: ((cap.max(2) as u64).next_power_of_two() - 1).min(u64::from(u32::MAX)) as u32,
            slots: Vec::new(),
            arena: Vec::new(),
            counts: Vec::new(),
            spare: Vec::new(),
            cap: cap.max(2),
            exact: true,
            subtracted: 0,
            n: 0,
            filter: None,
        }
    }

    /// Counts one record (its key is copied into the arena if it is new).
    pub fn add(&mut self, u: &KeyUpdate) {
        self.n += 1;
        let hash = split(u.hash);
        if let Some(i) = self.find(hash) {
            let e = &mut self.slots[i];
            e.count += 1;
            e.bytes += u.bytes;
            return;
        }
        if let Some(f) = &mut self.filter
            && f.absorb((u.hash >> 64) as u64, self.subtracted)
        {
            return;
        }
        self.insert(split(u.hash), u.key.as_bytes(), u.bytes, u.seq, u.shard);
    }

    /// Counts a batch of packed records in order (`updates` index into `keys`); a new key's
    /// bytes are copied at once, so nothing is kept pointing into the batch. (Pointing at them
    /// until the batch's end, and copying only the keys still tracked then, saved nothing
    /// measurable on 10 M distinct keys and needed `unsafe`.)
    pub fn add_packed<K: AsRef<str>>(&mut self, batch: PackedBatch<'_, K>) {
        let PackedBatch {
            updates,
            keys,
            seqs,
            shards,
        } = batch;
        for (j, u) in updates.iter().enumerate() {
            if let (Some(f), Some(next)) = (&self.filter, updates.get(j + PREFETCH_AHEAD)) {
                f.prefetch(next.hash[1]);
            }
            self.n += 1;
            if let Some(i) = self.find(u.hash) {
                let e = &mut self.slots[i];
                e.count += 1;
                e.bytes += u64::from(u.bytes);
                continue;
            }
            if let Some(f) = &mut self.filter
                && f.absorb(u.hash[1], self.subtracted)
            {
                continue;
            }
            let k = u.key as usize;
            self.insert(
                u.hash,
                keys[k].as_ref().as_bytes(),
                u64::from(u.bytes),
                seqs[k],
                shards[k],
            );
        }
    }

    /// Adds a key not in the table and not absorbed by the filter (pruning first when full).
    #[inline(never)]
    fn insert(&mut self, hash: [u64; 2], key: &[u8], bytes: u64, seq: u64, shard: u32) {
        if self.slots.len() >= self.cap {
            self.prune();
        }
        let off = self.arena.len() as u32;
        self.arena.extend_from_slice(key);
        let idx = self.slots.len() as u32;
        self.slots.push(Slot {
            hash,
            count: 1,
            bytes,
            first_seq: seq,
            off,
            len: key.len() as u32,
            shard,
        });
        self.index(hash[0], idx);
    }

    /// The slot of the key with MD5 `hash`. A table entry whose tag bits differ is another key,
    /// told without reading its slot: with 7/8 of a table's buckets full, about one record in
    /// ten that misses matches some entry's 7-bit hashbrown tag, and reading that entry's slot
    /// (out of L1 past a few thousand keys) waited on memory. The table's CPU time fell by 38%
    /// on 1 M distinct keys and 15% on 10 M.
    #[inline]
    fn find(&self, hash: [u64; 2]) -> Option<usize> {
        let (m, slots) = (self.idx_mask, &self.slots);
        let tag = entry_tag(hash[0], m);
        self.table
            .find(hash[0], |&v| {
                v & !m == tag && slots[(v & m) as usize].hash == hash
            })
            .map(|&v| (v & m) as usize)
    }

    fn index(&mut self, lo: u64, idx: u32) {
        let (m, slots) = (self.idx_mask, &self.slots);
        self.table.insert_unique(lo, idx | entry_tag(lo, m), |&v| {
            slots[(v & m) as usize].hash[0]
        });
    }

    /// Subtracts the `(k+1)`-th largest count from all keys, drops those at zero, keeps the
    /// survivors in arrival order (their arena bytes are copied into a fresh arena: between
    /// prunes keys are only added, so the arena holds the bytes of the tracked keys and no
    /// more) and re-indexes them.
    fn prune(&mut self) {
        self.exact = false;
        let k = self.cap / 2;
        self.counts.clear();
        self.counts.extend(self.slots.iter().map(|e| e.count));
        // Descending, so index `k` is the (k+1)-th largest count.
        let (_, c, _) = self.counts.select_nth_unstable_by(k, |a, b| b.cmp(a));
        let c = *c;
        self.subtracted += c;
        let subtracted = self.subtracted;
        self.filter
            .get_or_insert_with(|| Filter::new(k))
            .retune(subtracted);
        let mut w = 0usize;
        self.spare.clear();
        for r in 0..self.slots.len() {
            let mut e = self.slots[r];
            if e.count <= c {
                continue;
            }
            // Bytes scale with the count that stays: an estimate once the summary is lossy.
            e.bytes = e.bytes / e.count * (e.count - c);
            e.count -= c;
            let (off, len) = (e.off as usize, e.len as usize);
            e.off = self.spare.len() as u32;
            self.spare.extend_from_slice(&self.arena[off..off + len]);
            self.slots[w] = e;
            w += 1;
        }
        self.slots.truncate(w);
        std::mem::swap(&mut self.arena, &mut self.spare);
        self.table.clear();
        for i in 0..self.slots.len() {
            self.index(self.slots[i].hash[0], i as u32);
        }
    }

    pub fn is_exact(&self) -> bool {
        self.exact
    }
    /// Upper bound of the undercount of any key in this partition, for this input: `D + T`
    /// (module doc). 0 while exact.
    pub fn dropped(&self) -> u64 {
        self.subtracted + self.filter.as_ref().map_or(0, |f| f.used as u64)
    }
    pub fn records(&self) -> u64 {
        self.n
    }
    /// The guarantee for any input: `dropped() <= n / (k + 1) + 1` once the filter is in front
    /// (module doc), `n / (k + 1)` before.
    pub fn bound(&self) -> u64 {
        self.n / (self.cap as u64 / 2 + 1) + self.filter.is_some() as u64
    }
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
    pub fn entries(&self) -> impl Iterator<Item = KeyView<'_>> {
        self.slots.iter().map(|e| KeyView {
            // Keys enter the arena whole from `&str`s, so every slot is valid UTF-8.
            key: std::str::from_utf8(&self.arena[e.off as usize..(e.off + e.len) as usize])
                .unwrap_or_default(),
            count: e.count,
            bytes: e.bytes,
            first_seq: e.first_seq,
            shard: e.shard,
        })
    }
}

/// HyperLogLog with 2^14 registers (about 0.8% standard error), fed the MD5 the engine already
/// has, so counting distinct keys past the exact cap costs one register update per record.
#[derive(Clone, Debug)]
pub struct HyperLogLog {
    regs: Vec<u8>,
}

const HLL_P: u32 = 14;
const HLL_M: usize = 1 << HLL_P;

impl Default for HyperLogLog {
    fn default() -> Self {
        HyperLogLog {
            regs: vec![0; HLL_M],
        }
    }
}

impl HyperLogLog {
    /// Adds a key by its MD5 (uniform bits already).
    pub fn add_hash(&mut self, hash: u128) {
        let h = (hash >> 64) as u64 ^ hash as u64;
        let idx = (h >> (64 - HLL_P)) as usize;
        let rest = (h << HLL_P) | (1 << (HLL_P - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if rank > self.regs[idx] {
            self.regs[idx] = rank;
        }
    }

    pub fn merge(&mut self, other: &HyperLogLog) {
        for (a, b) in self.regs.iter_mut().zip(&other.regs) {
            *a = (*a).max(*b);
        }
    }

    /// The estimate, with linear counting for small cardinalities (Flajolet et al. 2007).
    pub fn estimate(&self) -> u64 {
        let m = HLL_M as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let mut sum = 0.0;
        let mut zeros = 0usize;
        for &r in &self.regs {
            sum += 2f64.powi(-(r as i32));
            if r == 0 {
                zeros += 1;
            }
        }
        let raw = alpha * m * m / sum;
        let est = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        est.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::keyspace::hash_key;

    fn upd(key: &str, seq: u64) -> KeyUpdate<'_> {
        upd_hashed(key, hash_key(key), seq)
    }

    /// An update whose MD5 is given, to place keys in buckets on purpose.
    fn upd_hashed(key: &str, hash: u128, seq: u64) -> KeyUpdate<'_> {
        KeyUpdate {
            key: key.into(),
            hash,
            bytes: key.len() as u64,
            seq,
            shard: 0,
        }
    }

    #[test]
    fn exact_below_cap() {
        let mut c = KeyCounter::new(100);
        for i in 0..1000u64 {
            let k = format!("k{}", i % 10);
            c.add(&upd(&k, i));
        }
        assert!(c.is_exact());
        assert_eq!(c.len(), 10);
        assert!(c.entries().all(|e| e.count == 100));
        let e = c.entries().find(|e| e.key == "k3").unwrap();
        assert_eq!(e.first_seq, 3);
    }

    /// Keys told apart by the table entry's tag bits, by the slot's MD5 only (same low half:
    /// same bucket, same tag), or by neither of the tag bits a huge cap leaves (none): each is
    /// counted as itself, through prunes too.
    #[test]
    fn keys_are_told_apart_whatever_the_tag_bits_hold() {
        let same_lo = |i: u64| (u128::from(i) << 64) | 0x0123_4567_89ab_cdef;
        for (cap, hash) in [
            (100, fake_md5 as fn(u64) -> u128),
            (100, same_lo),
            (3_000_000_000, fake_md5),
            (3_000_000_000, same_lo),
        ] {
            let mut c = KeyCounter::new(cap);
            for i in 0..3_000u64 {
                let k = i % 60;
                c.add(&upd_hashed(&format!("k{k}"), hash(k), i));
            }
            assert!(c.is_exact(), "cap {cap}");
            let mut got: Vec<(String, u64, u64)> = c
                .entries()
                .map(|e| (e.key.to_string(), e.count, e.first_seq))
                .collect();
            got.sort();
            let mut want: Vec<(String, u64, u64)> =
                (0..60).map(|k| (format!("k{k}"), 50, k)).collect();
            want.sort();
            assert_eq!(got, want, "cap {cap}");
        }
        // Past the cap, keys of one bucket and tag through a table of 64: every tracked count
        // within the error of its own key's truth.
        let mut c = KeyCounter::new(64);
        let mut truth = HashMap::new();
        for i in 0..20_000u64 {
            let k = if i % 2 == 0 { 0 } else { 1 + i % 400 };
            *truth.entry(k).or_insert(0u64) += 1;
            c.add(&upd_hashed(&format!("k{k}"), same_lo(k), i));
        }
        assert!(!c.is_exact());
        assert!(c.entries().any(|e| e.key == "k0"), "the heavy key is kept");
        for e in c.entries() {
            let t = truth[&e.key[1..].parse::<u64>().unwrap()];
            assert!(
                e.count <= t && t <= e.count + c.dropped(),
                "{} {} {t}",
                e.key,
                e.count
            );
        }
    }

    #[test]
    fn space_saving_keeps_heavy_hitters_within_bound() {
        // 3 heavy keys among 50,000 singletons, table of 1,000.
        let mut c = KeyCounter::new(1000);
        let mut seq = 0;
        let mut truth = [0u64; 3];
        for i in 0..50_000u64 {
            let k = format!("u{i}");
            c.add(&upd(&k, seq));
            seq += 1;
            if i % 10 == 0 {
                let h = (i / 10 % 3) as usize;
                truth[h] += 1;
                c.add(&upd(["hot-a", "hot-b", "hot-c"][h], seq));
                seq += 1;
            }
        }
        assert!(!c.is_exact());
        assert!(c.dropped() <= c.bound(), "{} > {}", c.dropped(), c.bound());
        for (h, name) in ["hot-a", "hot-b", "hot-c"].iter().enumerate() {
            let e = c
                .entries()
                .find(|e| e.key == *name)
                .expect("heavy key kept");
            assert!(e.count <= truth[h] && truth[h] <= e.count + c.dropped());
        }
        assert!(c.len() <= 1000);
    }

    /// SplitMix64: stand-in MD5s for keys numbered `i` (the counter only needs uniform bits),
    /// and a reproducible shuffle.
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fake_md5(id: u64) -> u128 {
        (mix(id) as u128) | ((mix(id ^ 0x5555_5555_5555_5555) as u128) << 64)
    }
    fn shuffle<T>(v: &mut [T], seed: u64) {
        for i in (1..v.len()).rev() {
            let j = (mix(seed ^ i as u64) % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }

    /// Feeds key ids through `add_packed` in engine-sized batches and checks the module doc's
    /// claim against the true counts: every key with more than `dropped()` records is in the
    /// table, every tracked count is within `dropped()` below the truth, and `dropped()` is
    /// within `bound()`. Returns `dropped()`.
    fn check_claim(cap: usize, stream: &[u64]) -> u64 {
        let mut c = KeyCounter::new(cap);
        let mut truth: HashMap<u64, u64> = HashMap::new();
        for (b, ids) in stream.chunks(4096).enumerate() {
            let keys: Vec<String> = ids.iter().map(|i| format!("k{i}")).collect();
            let packed: Vec<Packed> = ids
                .iter()
                .enumerate()
                .map(|(j, &i)| Packed::new(fake_md5(i), 1, j as u32))
                .collect();
            let seqs: Vec<u64> = (0..ids.len()).map(|j| (b * 4096 + j) as u64).collect();
            let shards = vec![0; ids.len()];
            c.add_packed(PackedBatch {
                updates: &packed,
                keys: &keys,
                seqs: &seqs,
                shards: &shards,
            });
            for &i in ids {
                *truth.entry(i).or_default() += 1;
            }
        }
        assert_eq!(c.records(), stream.len() as u64);
        let err = c.dropped();
        assert!(err <= c.bound(), "error {err} > bound {}", c.bound());
        let tracked: HashMap<u64, u64> = c
            .entries()
            .map(|e| (e.key[1..].parse().unwrap(), e.count))
            .collect();
        assert!(tracked.len() <= cap);
        for (id, &f) in &truth {
            match tracked.get(id) {
                Some(&n) => assert!(n <= f && f <= n + err, "k{id}: {n} + {err} vs {f}"),
                None => assert!(f <= err, "k{id}: {f} records > error {err}, not tracked"),
            }
        }
        err
    }

    /// Keys with every count from 1 to 400 (so some just under the final error, some just
    /// over) among `singletons` distinct keys, in the given order.
    fn planted(singletons: u64, order: &str) -> Vec<u64> {
        const BIG: u64 = 1 << 40;
        let mut heavy: Vec<u64> = (1..=400u64)
            .flat_map(|f| std::iter::repeat_n(BIG + f, f as usize))
            .collect();
        let mut s: Vec<u64> = (0..singletons).collect();
        match order {
            "mixed" => {
                s.append(&mut heavy);
                shuffle(&mut s, 7);
            }
            "late" => {
                shuffle(&mut heavy, 8);
                s.append(&mut heavy);
            }
            _ => {
                shuffle(&mut heavy, 9);
                heavy.append(&mut s);
                s = heavy;
            }
        }
        s
    }

    #[test]
    fn bound_holds_for_planted_keys_among_a_million_distinct() {
        // The engine's partition size and about a partition's share of 10 M distinct keys.
        let err = check_claim(3_584, &planted(1_000_000, "mixed"));
        // The filter keeps the error far below the guarantee (n / 1793 + 1 = 602 here).
        assert!(err < 200, "{err}");
    }

    #[test]
    fn bound_holds_whatever_the_order_of_the_heavy_keys() {
        for order in ["late", "early"] {
            check_claim(3_584, &planted(300_000, order));
        }
        // A small table: the summary prunes all the time and the filter's threshold is set by
        // its absorption budget as much as by the summary's floor.
        for order in ["mixed", "late", "early"] {
            check_claim(64, &planted(20_000, order));
        }
    }

    #[test]
    fn bound_holds_for_skewed_keys() {
        // Zipf-like: key i drawn with weight ~ 1/i, over 200,000 keys, table of 256.
        let mut cum = Vec::new();
        let mut total = 0.0;
        for i in 1..=200_000u64 {
            total += 1.0 / i as f64;
            cum.push(total);
        }
        let stream: Vec<u64> = (0..400_000u64)
            .map(|r| {
                let u = (mix(r) >> 11) as f64 / (1u64 << 53) as f64 * total;
                cum.partition_point(|&c| c < u) as u64
            })
            .collect();
        check_claim(256, &stream);
    }

    #[test]
    fn filter_absorbs_up_to_the_threshold_and_admits_past_it() {
        let mut f = Filter::new(1000);
        f.budget = 10;
        f.retune(2);
        assert_eq!(f.tau as u64, 2 * FLOOR_FACTOR);
        let tau = f.tau;
        let (x, y) = (0x1234_5678_9abc_def0u64, 0x0fed_cba9_8765_4321u64);
        // Just under: `tau` records of x are absorbed, the next one admits x.
        for _ in 0..tau {
            assert!(f.absorb(x, 2));
        }
        assert_eq!(f.used, tau);
        assert!(!f.absorb(x, 2));
        // A key sharing one counter with x is judged by its other, lower one.
        let z = x ^ (1 << 32);
        assert!(f.absorb(z, 2));
        // The threshold follows the smaller of the summary's floor and the budget.
        f.retune(50);
        assert_eq!(f.tau, 10);
        assert!(f.absorb(y, 50));
        // A saturated estimate may undercount: it always admits.
        f.blocks.fill(Block([u16::MAX; 32]));
        f.tau = u16::MAX - 1;
        assert!(!f.absorb(y, 50));
    }

    #[test]
    fn filter_budget_grows_every_k_plus_one_absorptions() {
        let mut f = Filter::new(3);
        f.retune(100);
        assert_eq!(f.tau, 1);
        // Distinct keys, one record each: absorbed while their estimate is at most 1.
        let mut absorbed = 0;
        for i in 0..4u64 {
            absorbed += f.absorb(mix(i), 100) as u64;
        }
        assert_eq!(absorbed, 4);
        assert_eq!((f.budget, f.tau), (2, 2));
    }

    #[test]
    fn exact_counts_never_go_through_the_filter() {
        let mut c = KeyCounter::new(100);
        for i in 0..5000u64 {
            c.add(&upd(&format!("k{}", i % 100), i));
        }
        assert!(c.is_exact() && c.filter.is_none());
        assert_eq!(c.dropped(), 0);
        assert!(c.entries().all(|e| e.count == 50));
    }

    #[test]
    fn hll_is_close() {
        let mut h = HyperLogLog::default();
        for i in 0..200_000 {
            h.add_hash(hash_key(&format!("key-{i}")));
        }
        let e = h.estimate() as f64;
        assert!((e - 200_000.0).abs() / 200_000.0 < 0.03, "{e}");
        let mut small = HyperLogLog::default();
        for i in 0..100 {
            small.add_hash(hash_key(&format!("k{i}")));
        }
        assert!((small.estimate() as i64 - 100).abs() <= 2);
    }
}
