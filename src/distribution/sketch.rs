//! Bounded key counters for the distribution engine: an exact per-key table that turns into a
//! Space-Saving style heavy-hitter summary past a cap, and a HyperLogLog for the distinct-key
//! count. These are the only structures in the engine that grow with the input, and both are
//! bounded.

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
/// allocation of its own and pruning frees nothing one by one. Within `add_batch` a new key's
/// bytes are first only pointed at (`src`): past the exact cap most new keys are pruned again
/// within the batch, and they are then never copied. The hash table holds only the slots'
/// `u32` index, so a partition's table stays in L2 cache.
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
    /// Address of the key's bytes in the batch being added (0: they are at `off` in the arena).
    src: usize,
    off: u32,
    len: u32,
    shard: u32,
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
/// batch reads memory in order, and the key itself (`key`, an index into the batch's keys) is
/// only looked at when it is new to the table.
#[derive(Copy, Clone, Debug)]
pub struct Packed {
    /// The key's MD5 as (low, high) halves.
    pub hash: [u64; 2],
    pub bytes: u64,
    pub seq: u64,
    pub shard: u32,
    pub key: u32,
}

impl Packed {
    pub fn new(hash: u128, bytes: u64, seq: u64, shard: u32, key: u32) -> Packed {
        Packed {
            hash: split(hash),
            bytes,
            seq,
            shard,
            key,
        }
    }
}

/// Per-key counts for one hash partition of the key space.
///
/// Exact until `cap` distinct keys; then it keeps going as a batched Misra-Gries / Space-Saving
/// summary: whenever the table holds `cap` keys, the `(k+1)`-th largest count `C` (with
/// `k = cap / 2`) is subtracted from every key and keys at zero are dropped. `dropped` sums the
/// `C`s, and is the whole error: a key's true count lies in `count..=count + dropped`, a key not in
/// the table occurred at most `dropped` times, and `dropped <= n / (k + 1)` because every
/// subtraction removes `C` from at least `k + 1` keys' counts.
#[derive(Debug)]
pub struct KeyCounter {
    /// Index into `slots`, hashed by the low half of the slot's MD5.
    table: HashTable<u32>,
    slots: Vec<Slot>,
    arena: Vec<u8>,
    /// Scratch for `prune`: counts, and the next arena.
    counts: Vec<u64>,
    spare: Vec<u8>,
    cap: usize,
    exact: bool,
    dropped: u64,
    /// Records seen by this partition.
    n: u64,
}

impl KeyCounter {
    pub fn new(cap: usize) -> Self {
        KeyCounter {
            table: HashTable::new(),
            slots: Vec::new(),
            arena: Vec::new(),
            counts: Vec::new(),
            spare: Vec::new(),
            cap: cap.max(2),
            exact: true,
            dropped: 0,
            n: 0,
        }
    }

    /// Counts one record (its key is copied into the arena if it is new).
    pub fn add(&mut self, u: &KeyUpdate) {
        self.add_one(u, false);
    }

    /// Counts records in order. A new key borrowed from the caller is only pointed at until the
    /// end of the call, when the keys still tracked are copied: the `'a` borrow outlives the
    /// call, so the pointers never dangle, and none is kept after it returns.
    pub fn add_batch<'a>(&mut self, updates: impl IntoIterator<Item = KeyUpdate<'a>>) {
        for u in updates {
            let defer = matches!(u.key, Cow::Borrowed(_));
            self.add_one(&u, defer);
        }
        self.materialize();
    }

    /// Counts packed records in order, batch by batch (`updates` index into `keys`). Keys are
    /// pointed at as in `add_batch`: the `'a` borrow of `keys` outlives the call (an owned key's
    /// heap bytes do not move while its batch lives).
    pub fn add_packed<'a, K: AsRef<str> + 'a>(
        &mut self,
        batches: impl IntoIterator<Item = (&'a [Packed], &'a [K])>,
    ) {
        for (updates, keys) in batches {
            for u in updates {
                self.n += 1;
                let slots = &self.slots;
                if let Some(&i) = self
                    .table
                    .find(u.hash[0], |&i| slots[i as usize].hash == u.hash)
                {
                    let e = &mut self.slots[i as usize];
                    e.count += 1;
                    e.bytes += u.bytes;
                    continue;
                }
                self.insert(
                    u.hash,
                    keys[u.key as usize].as_ref().as_bytes(),
                    u.bytes,
                    u.seq,
                    u.shard,
                    true,
                );
            }
        }
        self.materialize();
    }

    #[inline]
    fn add_one(&mut self, u: &KeyUpdate, defer: bool) {
        self.n += 1;
        let h = u.hash as u64;
        let slots = &self.slots;
        if let Some(&i) = self
            .table
            .find(h, |&i| slots[i as usize].hash == split(u.hash))
        {
            let e = &mut self.slots[i as usize];
            e.count += 1;
            e.bytes += u.bytes;
            return;
        }
        self.insert(
            split(u.hash),
            u.key.as_bytes(),
            u.bytes,
            u.seq,
            u.shard,
            defer,
        );
    }

    /// Adds a key not in the table (pruning first when it is full).
    #[inline(never)]
    fn insert(
        &mut self,
        hash: [u64; 2],
        key: &[u8],
        bytes: u64,
        seq: u64,
        shard: u32,
        defer: bool,
    ) {
        if self.slots.len() >= self.cap {
            self.prune();
        }
        let (src, off) = if defer {
            (key.as_ptr() as usize, 0)
        } else {
            let off = self.arena.len() as u32;
            self.arena.extend_from_slice(key);
            (0, off)
        };
        let idx = self.slots.len() as u32;
        self.slots.push(Slot {
            hash,
            count: 1,
            bytes,
            first_seq: seq,
            src,
            off,
            len: key.len() as u32,
            shard,
        });
        let slots = &self.slots;
        self.table
            .insert_unique(hash[0], idx, |&i| slots[i as usize].hash[0]);
    }

    /// Copies the bytes of keys still pointed at into the arena.
    fn materialize(&mut self) {
        for e in &mut self.slots {
            if e.src != 0 {
                // SAFETY: `src` was set in the running `add_batch` from a `&'a str` that
                // outlives it, and `len` is that str's length.
                let key = unsafe { std::slice::from_raw_parts(e.src as *const u8, e.len as usize) };
                e.off = self.arena.len() as u32;
                self.arena.extend_from_slice(key);
                e.src = 0;
            }
        }
    }

    /// Subtracts the `(k+1)`-th largest count from all keys, drops those at zero, keeps the
    /// survivors in arrival order (their arena bytes are copied into a fresh arena; keys still
    /// pointed at stay so) and re-indexes them.
    fn prune(&mut self) {
        self.exact = false;
        let k = self.cap / 2;
        self.counts.clear();
        self.counts.extend(self.slots.iter().map(|e| e.count));
        // Descending, so index `k` is the (k+1)-th largest count.
        let (_, c, _) = self.counts.select_nth_unstable_by(k, |a, b| b.cmp(a));
        let c = *c;
        self.dropped += c;
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
            if e.src == 0 {
                let (off, len) = (e.off as usize, e.len as usize);
                e.off = self.spare.len() as u32;
                self.spare.extend_from_slice(&self.arena[off..off + len]);
            }
            self.slots[w] = e;
            w += 1;
        }
        self.slots.truncate(w);
        std::mem::swap(&mut self.arena, &mut self.spare);
        self.table.clear();
        let slots = &self.slots;
        for (i, e) in slots.iter().enumerate() {
            self.table
                .insert_unique(e.hash[0], i as u32, |&j| slots[j as usize].hash[0]);
        }
    }

    pub fn is_exact(&self) -> bool {
        self.exact
    }
    /// Upper bound of the undercount of any key in this partition.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
    pub fn records(&self) -> u64 {
        self.n
    }
    /// Space-Saving's guarantee for this partition: `n / (k + 1)`.
    pub fn bound(&self) -> u64 {
        self.n / (self.cap as u64 / 2 + 1)
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
    use super::*;
    use crate::keyspace::hash_key;

    fn upd(key: &str, seq: u64) -> KeyUpdate<'_> {
        KeyUpdate {
            key: key.into(),
            hash: hash_key(key),
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
