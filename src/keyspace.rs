//! The Kinesis keyspace: MD5 of a partition key's UTF-8 bytes as a big-endian u128, where a
//! record lands ([`place`]: its `ExplicitHashKey` if set, else that MD5), and the shard map that
//! owns each hash (open shards only; binary search, or [`ShardLookup`]'s prefix table for hot
//! loops). Every hash and shard lookup in shardlint goes through here (`distribute`, `simulate`,
//! `check --samples`); it is tested against independent vectors.

use md5::{Digest, Md5};
use rayon::prelude::*;

use crate::model::ShardRecord;

/// 2^128 - 1, the last hash key.
pub const MAX_HASH: u128 = u128::MAX;

/// `u128::from_be_bytes(md5(key.as_bytes()))`: the hash Kinesis uses to place a record
/// (aws-facts §1.1; UTF-8 is what AWS's own producers hash).
pub fn hash_key(key: &str) -> u128 {
    hash_bytes(key.as_bytes())
}

pub fn hash_bytes(bytes: &[u8]) -> u128 {
    let digest = Md5::digest(bytes);
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest);
    u128::from_be_bytes(b)
}

/// The hash that decides a record's shard: its `ExplicitHashKey` when the producer set one
/// (PutRecord's `ExplicitHashKey` "overrides the partition key to shard mapping"), else the MD5
/// of its partition key. `md5` is only called when needed, so a caller that hashed keys in a
/// batch passes the hash it has.
#[inline]
pub fn placement_hash(explicit: Option<u128>, md5: impl FnOnce() -> u128) -> u128 {
    match explicit {
        Some(h) => h,
        None => md5(),
    }
}

/// The index (into `map.shards()`) of the open shard a record with `key` and `explicit` hash key
/// lands on: the one placement function of every command.
pub fn place(map: &ShardMap, key: &str, explicit: Option<u128>) -> usize {
    map.shard_index(placement_hash(explicit, || hash_key(key)))
}

/// A hash key as the Kinesis API writes it (`StartingHashKey`, `ExplicitHashKey`): a decimal
/// string matching `0|[1-9]\d{0,38}` that fits in 128 bits. The one parser for shard-map exports,
/// `--shard-map` and sampled records.
pub fn parse_hash_key(s: &str) -> Result<u128, String> {
    hash_key_value(s.as_bytes()).map_err(|e| match e {
        BadHashKey::NotDecimal => "is not a decimal integer".to_string(),
        BadHashKey::TooLarge => "is larger than 2^128 - 1".to_string(),
    })
}

/// Why a hash key's text is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadHashKey {
    NotDecimal,
    TooLarge,
}

/// [`parse_hash_key`] on bytes, with no message built: for a loader that has the bytes of a
/// JSON string and leaves a bad key to the loader that reports it.
pub fn hash_key_value(b: &[u8]) -> Result<u128, BadHashKey> {
    if b.is_empty() || (b.len() > 1 && b[0] == b'0') {
        return Err(BadHashKey::NotDecimal);
    }
    if b.len() > 39 {
        // 40 digits or more: larger than 2^128 - 1 unless something is not a digit.
        return Err(if b.iter().all(u8::is_ascii_digit) {
            BadHashKey::TooLarge
        } else {
            BadHashKey::NotDecimal
        });
    }
    // Eight digits at a time (checked and combined in a u64), after the leading `len % 8`
    // one by one: a digit at a time was a tenth of reading a 100,000-shard map. Up to 38
    // digits cannot overflow a u128; only a 39-digit key needs checked steps.
    let (head, groups) = b.split_at(b.len() % 8);
    let mut v = 0u128;
    for &d in head {
        if !d.is_ascii_digit() {
            return Err(BadHashKey::NotDecimal);
        }
        v = v * 10 + u128::from(d - b'0');
    }
    let checked = b.len() == 39;
    for g in groups.chunks_exact(8) {
        let g = eight_digits(g.try_into().expect("chunks of 8")).ok_or(BadHashKey::NotDecimal)?;
        v = if checked {
            v.checked_mul(100_000_000)
                .and_then(|v| v.checked_add(u128::from(g)))
                .ok_or(BadHashKey::TooLarge)?
        } else {
            v * 100_000_000 + u128::from(g)
        };
    }
    Ok(v)
}

/// The value of eight ASCII digits (the first the most significant), or `None` if one is not
/// a digit: SWAR, checking all eight bytes with two masks and combining them in three steps.
#[inline]
fn eight_digits(b: [u8; 8]) -> Option<u32> {
    let x = u64::from_le_bytes(b);
    // Every byte 0x30..=0x3F, and still 0x3_ after adding 6: 0x30..=0x39.
    let high = 0xF0F0_F0F0_F0F0_F0F0u64;
    if x & high != 0x3030_3030_3030_3030
        || (x + 0x0606_0606_0606_0606) & high != 0x3030_3030_3030_3030
    {
        return None;
    }
    let x = x - 0x3030_3030_3030_3030;
    // Pairs of digits in each 16-bit lane, then fours in each 32-bit lane, then all eight.
    let x = (x * 10 + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x * 100 + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    let x = (x * 10_000 + (x >> 32)) & 0xFFFF_FFFF;
    Some(x as u32)
}

/// Why Kinesis would refuse `key` as a partition key, if it would: it accepts 1..256
/// characters; we count Unicode scalar values (AWS does not say which unit; aws-facts §1.3).
pub fn key_problem(key: &str) -> Option<String> {
    use crate::model::limits::{PARTITION_KEY_MAX, PARTITION_KEY_MIN};
    if key.len() < PARTITION_KEY_MIN {
        return Some("empty key".into());
    }
    // Bytes bound chars from above: only long byte strings need counting.
    if key.len() > PARTITION_KEY_MAX {
        let n = key.chars().count();
        if n > PARTITION_KEY_MAX {
            return Some(format!(
                "key longer than {PARTITION_KEY_MAX} characters (`{n}`)"
            ));
        }
    }
    None
}

/// A shard ID, held inline when it fits in [`ShardId::INLINE`] bytes (every ID Kinesis gives,
/// `shardId-` and twelve digits, is 20) and on the heap beyond. A map of 100,000 shards and
/// the report built on it hold an ID per shard: as `String`s they were 200,000 allocations
/// (and as many frees), a quarter of the fixed cost of such a map; these are copied.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ShardId(IdRepr);

// Equality and hashing are derived: an ID is inline or on the heap by its length alone, and
// the bytes past `len` are zero, so equal IDs have equal representations. Order is the
// `str`'s (below): a derived one would put every inline ID before every heap one.
#[derive(Clone, PartialEq, Eq, Hash)]
enum IdRepr {
    Inline {
        bytes: [u8; ShardId::INLINE],
        len: u8,
    },
    Heap(Box<str>),
}

impl Ord for ShardId {
    fn cmp(&self, other: &ShardId) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for ShardId {
    fn partial_cmp(&self, other: &ShardId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ShardId {
    pub const INLINE: usize = 22;

    pub fn new(id: &str) -> ShardId {
        ShardId(if id.len() <= Self::INLINE {
            let mut bytes = [0u8; Self::INLINE];
            bytes[..id.len()].copy_from_slice(id.as_bytes());
            IdRepr::Inline {
                bytes,
                len: id.len() as u8,
            }
        } else {
            IdRepr::Heap(id.into())
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Copied from a `&str` in `new`.
            IdRepr::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..*len as usize]).expect("copied from a str")
            }
            IdRepr::Heap(s) => s,
        }
    }
}

impl std::ops::Deref for ShardId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ShardId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for ShardId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for ShardId {
    fn from(s: &str) -> ShardId {
        ShardId::new(s)
    }
}

impl From<String> for ShardId {
    fn from(s: String) -> ShardId {
        ShardId::new(&s)
    }
}

impl From<&ShardId> for String {
    fn from(s: &ShardId) -> String {
        s.as_str().to_string()
    }
}

/// As a `String` formats: width and alignment apply (the text report pads IDs).
impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.as_str(), f)
    }
}

impl std::fmt::Debug for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl serde::Serialize for ShardId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for ShardId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ShardId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ShardId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<ShardId> for String {
    fn eq(&self, other: &ShardId) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ShardId> for &str {
    fn eq(&self, other: &ShardId) -> bool {
        *self == other.as_str()
    }
}

/// One open shard's range in a validated map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenShard {
    pub shard_id: ShardId,
    pub start: u128,
    pub end: u128,
}

impl OpenShard {
    /// Share of the whole keyspace this shard owns (0..1).
    pub fn keyspace_share(&self) -> f64 {
        ((self.end - self.start) as f64 + 1.0) / (MAX_HASH as f64 + 1.0)
    }
}

/// One shard of an export as [`ShardMap::from_ranges`] reads it: its ID, its range parsed, and
/// whether it is closed. The ID is copied (inline) as the loader reads it, while its bytes are
/// in cache: read later from a 40 MB export, each ID was a miss to memory, in the duplicate
/// check and again in the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardRange {
    pub shard_id: ShardId,
    pub start: u128,
    pub end: u128,
    pub closed: bool,
}

/// Why a shard list does not form a usable map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapProblem {
    NoOpenShards,
    /// Keys `from..=to` belong to no open shard.
    Gap {
        from: u128,
        to: u128,
    },
    /// Two open shards both own `from..=to`.
    Overlap {
        a: String,
        b: String,
        from: u128,
        to: u128,
    },
    /// A range whose start is after its end.
    Inverted {
        shard: String,
    },
    /// Two shards (open or closed) share one `ShardId`: an export that was concatenated or
    /// edited; the IDs cannot tell them apart in the report.
    DuplicateId {
        shard: String,
    },
}

impl std::fmt::Display for MapProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapProblem::NoOpenShards => write!(f, "no open shard"),
            MapProblem::Gap { from, to } => {
                write!(f, "hash keys `{from}`..`{to}` belong to no open shard")
            }
            MapProblem::Overlap { a, b, from, to } => write!(
                f,
                "open shards `{a}` and `{b}` both own hash keys `{from}`..`{to}`"
            ),
            MapProblem::Inverted { shard } => {
                write!(
                    f,
                    "shard `{shard}` has a starting hash key after its ending one"
                )
            }
            MapProblem::DuplicateId { shard } => {
                write!(f, "shard ID `{shard}` appears more than once")
            }
        }
    }
}

/// The open shards of a stream, sorted by hash range, tiling `[0, 2^128-1]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardMap {
    shards: Vec<OpenShard>,
    /// Starting keys, for binary search.
    starts: Vec<u128>,
}

impl ShardMap {
    /// The even split CreateStream gives `n` shards (aws-facts §1.5, observed, not documented):
    /// `w = floor(2^128 / n)`, shard i = `[i*w, (i+1)*w - 1]`, the last ends at `2^128 - 1`.
    pub fn even(n: u32) -> ShardMap {
        let n = n.max(1);
        // floor(2^128 / n) without overflow: (2^128 - 1) / n, plus one when n divides 2^128 exactly.
        let w = if n.is_power_of_two() {
            if n == 1 {
                0 // unused: a single shard spans everything
            } else {
                1u128 << (128 - n.trailing_zeros())
            }
        } else {
            MAX_HASH / n as u128
        };
        let shards = (0..n)
            .map(|i| {
                let start = if n == 1 { 0 } else { w * i as u128 };
                let end = if i + 1 == n {
                    MAX_HASH
                } else {
                    w * (i as u128 + 1) - 1
                };
                OpenShard {
                    shard_id: even_shard_id(i),
                    start,
                    end,
                }
            })
            .collect();
        Self::from_sorted(shards)
    }

    /// Builds the map of the open shards in `records`, checking that they tile the keyspace.
    /// Closed shards (with an `EndingSequenceNumber`) are left out: they take no new keys.
    pub fn from_records(records: &[ShardRecord]) -> Result<ShardMap, Vec<MapProblem>> {
        let ranges: Vec<ShardRange> = records
            .iter()
            .map(|r| ShardRange {
                shard_id: ShardId::new(&r.shard_id),
                start: r.starting_hash_key,
                end: r.ending_hash_key,
                closed: r.closed,
            })
            .collect();
        Self::from_ranges(ranges)
    }

    /// [`ShardMap::from_records`] on ranges, so that a loader can build the map straight from
    /// the text it read (no `String` per shard). The one validation of every shard list: both
    /// loaders give the same problems.
    pub fn from_ranges(ranges: Vec<ShardRange>) -> Result<ShardMap, Vec<MapProblem>> {
        Self::from_parts(vec![ranges])
    }

    /// [`ShardMap::from_ranges`] on a list given in consecutive parts (as two threads read
    /// it). The map's shards are built in the memory of the parts: an [`OpenShard`] is no
    /// larger than a [`ShardRange`], so each part becomes its open shards in place, and the
    /// first part, when it was given room for the whole list, takes the others' (a new vector
    /// for 100,000 shards was 6 MB of fresh pages, the costliest part of building the map).
    pub fn from_parts(parts: Vec<Vec<ShardRange>>) -> Result<ShardMap, Vec<MapProblem>> {
        let all: Vec<&ShardRange> = parts.iter().flatten().collect();
        // The duplicate check on one thread, the open shards' checks on the other.
        let (duplicates, (mut problems, sorted)) =
            rayon::join(|| duplicate_ids(&all), || open_problems(&all));
        problems.extend(duplicates);
        if !problems.is_empty() {
            return Err(problems);
        }
        drop(all);
        let mut open = parts.into_iter().map(|part| {
            part.into_iter()
                .filter(|r| !r.closed)
                .map(|r| OpenShard {
                    shard_id: r.shard_id,
                    start: r.start,
                    end: r.end,
                })
                .collect::<Vec<OpenShard>>()
        });
        let mut shards = open.next().unwrap_or_default();
        for more in open {
            shards.extend(more);
        }
        if !sorted {
            // Validated: no two open shards share a start.
            shards.sort_unstable_by_key(|s| s.start);
        }
        Ok(Self::from_sorted(shards))
    }

    fn from_sorted(shards: Vec<OpenShard>) -> ShardMap {
        let starts = shards.iter().map(|s| s.start).collect();
        ShardMap { shards, starts }
    }

    pub fn shards(&self) -> &[OpenShard] {
        &self.shards
    }
    pub fn len(&self) -> usize {
        self.shards.len()
    }
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// Index (into `shards()`) of the open shard that owns `hash`.
    pub fn shard_index(&self, hash: u128) -> usize {
        match self.starts.binary_search(&hash) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    pub fn shard_for_key(&self, key: &str) -> &OpenShard {
        &self.shards[place(self, key, None)]
    }

    /// A lookup table for placing many hashes: see [`ShardLookup`].
    pub fn lookup(&self) -> ShardLookup<'_> {
        ShardLookup::new(self)
    }
}

/// `shardId-` and `i` in twelve digits, as CreateStream names shard `i`: written digit by digit
/// (`format!` grew each of 100,000 IDs through the formatting machinery, a tenth of the fixed
/// cost of `--shards 100000`).
fn even_shard_id(i: u32) -> ShardId {
    const PREFIX: &[u8] = b"shardId-";
    let mut b = [b'0'; PREFIX.len() + 12];
    b[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut v = i;
    // A u32 has at most ten digits: the first two of twelve stay `0`.
    for d in b[PREFIX.len()..].iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    ShardId::new(std::str::from_utf8(&b).expect("ASCII"))
}

/// `ShardMap::shard_index` for hot loops: a table on the top bits of the hash gives the shard
/// that owns the start of each prefix, so a hash needs only the shard starts inside its prefix
/// (none for an even map up to a quarter of the prefixes; one or two for 100,000 resharded
/// shards) instead of a binary search over every `u128` start. Built in one merge pass.
pub struct ShardLookup<'m> {
    starts: &'m [u128],
    shift: u32,
    /// Per prefix: index of the shard owning the prefix's first hash; one extra entry (the last
    /// shard) closes the last prefix.
    first: Vec<u32>,
}

impl<'m> ShardLookup<'m> {
    fn new(map: &'m ShardMap) -> Self {
        let starts = map.starts.as_slice();
        // About four prefixes a shard, 256 at least and 2^18 (1 MiB) at most.
        let bits = (usize::BITS - starts.len().leading_zeros() + 2).clamp(8, 18);
        let shift = 128 - bits;
        let mut first = Vec::with_capacity((1 << bits) + 1);
        let mut i = 0usize;
        for p in 0..1u128 << bits {
            let lo = p << shift;
            while i + 1 < starts.len() && starts[i + 1] <= lo {
                i += 1;
            }
            first.push(i as u32);
        }
        first.push(starts.len().saturating_sub(1) as u32);
        ShardLookup {
            starts,
            shift,
            first,
        }
    }

    /// Index (into `shards()`) of the open shard that owns `hash`; always `shard_index(hash)`.
    #[inline]
    pub fn index(&self, hash: u128) -> usize {
        let p = (hash >> self.shift) as usize;
        let (lo, hi) = (self.first[p] as usize, self.first[p + 1] as usize);
        if lo == hi {
            return lo;
        }
        // The owner lies in lo..=hi: the owners of this prefix's first hash and of the next's.
        let window = &self.starts[lo + 1..=hi];
        lo + window.partition_point(|&s| s <= hash)
    }
}

/// The problems of the open shards among `ranges` (gaps, overlaps, inverted ranges), and
/// whether the open shards come sorted by range.
fn open_problems(ranges: &[&ShardRange]) -> (Vec<MapProblem>, bool) {
    let mut open: Vec<&ShardRange> = ranges.iter().copied().filter(|r| !r.closed).collect();
    // Exports list shards in creation order, so the open ones are usually sorted already.
    let key = |r: &&ShardRange| (r.start, r.end);
    let sorted = open.is_sorted_by_key(key);
    if !sorted {
        open.sort_by_key(key);
    }
    (validate(&open), sorted)
}

/// Each shard ID that appears more than once (open or closed), once, in order.
fn duplicate_ids(ranges: &[&ShardRange]) -> Vec<MapProblem> {
    use std::hash::BuildHasher;
    if numbered_ids_distinct(ranges) {
        return Vec::new();
    }
    // Equal IDs have equal hashes: when the sorted 64-bit hashes are all distinct (the usual
    // case) no ID repeats. Sorting 8-byte values in one array took a third of the time of
    // inserting 150,000 IDs into a hash set (random writes over a fresh 5 MB table); the set
    // runs only when two hashes meet, and gives the problems in input order.
    let state = hashbrown::DefaultHashBuilder::default();
    let mut hashes: Vec<u64> = ranges
        .par_iter()
        .map(|r| state.hash_one(r.shard_id.as_str()))
        .collect();
    hashes.par_sort_unstable();
    if hashes.windows(2).all(|w| w[0] != w[1]) {
        return Vec::new();
    }
    // hashbrown's default hasher, sized once: SipHash and rehashing were a tenth of reading a
    // 100,000-shard map.
    let mut seen = hashbrown::HashSet::with_capacity(ranges.len());
    let mut reported = hashbrown::HashSet::new();
    let mut problems = Vec::new();
    for r in ranges {
        if !seen.insert(r.shard_id.as_str()) && reported.insert(r.shard_id.as_str()) {
            problems.push(MapProblem::DuplicateId {
                shard: r.shard_id.to_string(),
            });
        }
    }
    problems
}

/// Whether every ID is Kinesis's `shardId-` and twelve digits, numbered below 2^24, each number
/// once: one bit per number, where hashing and sorting the IDs of a 150,000-shard export took
/// 10 ms. `false` says nothing (another form, a larger number, or a repeat to find and name).
fn numbered_ids_distinct(ranges: &[&ShardRange]) -> bool {
    const PREFIX: &[u8] = b"shardId-";
    const MAX: u64 = 1 << 24;
    let number = |id: &str| -> Option<u64> {
        let digits = id.as_bytes().strip_prefix(PREFIX)?;
        (digits.len() == 12 && digits.iter().all(u8::is_ascii_digit)).then_some(())?;
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        (n < MAX).then_some(n)
    };
    // Sized by the largest number, known only after a pass: grown as numbers come instead
    // (2 MiB at most).
    let mut seen: Vec<u64> = Vec::new();
    for r in ranges {
        let Some(n) = number(&r.shard_id) else {
            return false;
        };
        let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
        if word >= seen.len() {
            seen.resize((word + 1).next_power_of_two(), 0);
        }
        if seen[word] & bit != 0 {
            return false;
        }
        seen[word] |= bit;
    }
    true
}

/// Gaps, overlaps and inverted ranges among open shards sorted by start.
fn validate(sorted: &[&ShardRange]) -> Vec<MapProblem> {
    let mut problems = Vec::new();
    if sorted.is_empty() {
        problems.push(MapProblem::NoOpenShards);
        return problems;
    }
    for s in sorted {
        if s.start > s.end {
            problems.push(MapProblem::Inverted {
                shard: s.shard_id.to_string(),
            });
        }
    }
    if sorted[0].start > 0 {
        problems.push(MapProblem::Gap {
            from: 0,
            to: sorted[0].start - 1,
        });
    }
    // `covered` is the last key owned so far, by `owner`.
    let mut covered = sorted[0].end;
    let mut owner = &sorted[0].shard_id;
    for s in &sorted[1..] {
        if covered == MAX_HASH || s.start <= covered {
            problems.push(MapProblem::Overlap {
                a: owner.to_string(),
                b: s.shard_id.to_string(),
                from: s.start,
                to: s.end.min(covered),
            });
        } else if s.start > covered + 1 {
            problems.push(MapProblem::Gap {
                from: covered + 1,
                to: s.start - 1,
            });
        }
        if s.end > covered {
            covered = s.end;
            owner = &s.shard_id;
        }
    }
    if covered < MAX_HASH {
        problems.push(MapProblem::Gap {
            from: covered + 1,
            to: MAX_HASH,
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, s: u128, e: u128, closed: bool) -> ShardRecord {
        ShardRecord {
            shard_id: id.into(),
            starting_hash_key: s,
            ending_hash_key: e,
            closed,
            parent: None,
            adjacent_parent: None,
            span: None,
        }
    }

    #[test]
    fn duplicate_shard_ids_are_reported_once_each() {
        let half = MAX_HASH / 2;
        let recs = vec![
            rec("shardId-1", 0, half, false),
            rec("shardId-1", half + 1, MAX_HASH, false),
            rec("shardId-1", 0, MAX_HASH, true),
        ];
        let problems = ShardMap::from_records(&recs).unwrap_err();
        assert_eq!(
            problems,
            vec![MapProblem::DuplicateId {
                shard: "shardId-1".into()
            }]
        );
        assert_eq!(
            problems[0].to_string(),
            "shard ID `shardId-1` appears more than once"
        );
    }

    /// IDs in Kinesis's own form take the bitset path: a repeat among them (out of order, after
    /// many distinct ones) is still found and named once, and numbers past the bitset's range
    /// or another form fall back to the hashes.
    #[test]
    fn numbered_shard_ids_repeat_or_not() {
        let id = |n: u64| format!("shardId-{n:012}");
        let n = 3000u64;
        let step = MAX_HASH / n as u128;
        let map_of = |ids: &[String]| {
            let recs: Vec<ShardRecord> = ids
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let i = i as u128;
                    let end = if i + 1 == ids.len() as u128 {
                        MAX_HASH
                    } else {
                        (i + 1) * step - 1
                    };
                    rec(s, i * step, end, false)
                })
                .collect();
            ShardMap::from_records(&recs)
        };
        // Distinct, in the interleaved order of a resharded export.
        let distinct: Vec<String> = (0..n).map(|i| id((i * 7919) % n)).collect();
        assert_eq!(map_of(&distinct).map(|m| m.len()), Ok(n as usize));
        assert!(ids_distinct(&ranges_of(&distinct)));
        // One number twice, far apart.
        let mut repeated = distinct.clone();
        repeated[2500] = repeated[17].clone();
        let dup = repeated[17].clone();
        assert!(!ids_distinct(&ranges_of(&repeated)));
        assert_eq!(
            map_of(&repeated).unwrap_err(),
            vec![MapProblem::DuplicateId { shard: dup }]
        );
        // A number past 2^24, and a shorter form: the hashes decide, and both maps are good.
        let mut large = distinct.clone();
        large[5] = id(999_999_999_999);
        assert!(!ids_distinct(&ranges_of(&large)));
        assert_eq!(map_of(&large).map(|m| m.len()), Ok(n as usize));
        let mut short = distinct;
        short[5] = "shardId-5".into();
        assert!(!ids_distinct(&ranges_of(&short)));
        assert_eq!(map_of(&short).map(|m| m.len()), Ok(n as usize));
    }

    fn ids_distinct(ranges: &[ShardRange]) -> bool {
        numbered_ids_distinct(&ranges.iter().collect::<Vec<_>>())
    }

    fn ranges_of(ids: &[String]) -> Vec<ShardRange> {
        ids.iter()
            .map(|s| ShardRange {
                shard_id: ShardId::new(s),
                start: 0,
                end: 0,
                closed: false,
            })
            .collect()
    }

    #[test]
    fn a_list_given_in_parts_makes_the_map_the_whole_list_makes() {
        let r = |id: &str, start: u128, end: u128, closed: bool| ShardRange {
            shard_id: id.into(),
            start,
            end,
            closed,
        };
        // Open shards out of order, closed ones between them.
        let good = vec![
            r("c", 200, MAX_HASH, false),
            r("old", 0, MAX_HASH, true),
            r("a", 0, 99, false),
            r("b", 100, 199, false),
            r("older", 0, 5, true),
        ];
        // An ID twice, one copy in each part, and a gap.
        let bad = vec![
            r("a", 0, 99, false),
            r("x", 0, 5, true),
            r("a", 150, MAX_HASH, false),
        ];
        let ids = |m: &ShardMap| -> Vec<String> {
            m.shards().iter().map(|s| s.shard_id.to_string()).collect()
        };
        let good_map = ShardMap::from_ranges(good.clone()).unwrap();
        assert_eq!(ids(&good_map), ["a", "b", "c"]);
        assert_eq!(
            ShardMap::from_ranges(bad.clone()).unwrap_err(),
            [
                MapProblem::Gap { from: 100, to: 149 },
                MapProblem::DuplicateId { shard: "a".into() }
            ]
        );
        for list in [good, bad] {
            let whole = ShardMap::from_ranges(list.clone());
            for cut in 0..=list.len() {
                let parts = vec![list[..cut].to_vec(), list[cut..].to_vec()];
                assert_eq!(ShardMap::from_parts(parts), whole, "cut {cut}");
            }
        }
    }

    #[test]
    fn known_vectors_from_aws_facts() {
        // aws-facts §1.1 vectors, computed with Python hashlib independently.
        assert_eq!(hash_key("a"), 16955237001963240173058271559858726497);
        assert_eq!(
            hash_key("device-1"),
            277901890176008628857739572313990950024
        );
        assert_eq!(hash_key("é"), 136732923097551493579404309126273812335);
        // crates.md §5: md5("TEST-100001")
        assert_eq!(
            format!("{:032x}", hash_key("TEST-100001")),
            "ee06642f62a72fb51ee96449a97123c8"
        );
    }

    #[test]
    fn even_split_matches_create_stream_output() {
        let m = ShardMap::even(3);
        let s = m.shards();
        assert_eq!(s[0].end, 113427455640312821154458202477256070484);
        assert_eq!(s[1].start, 113427455640312821154458202477256070485);
        assert_eq!(s[1].end, 226854911280625642308916404954512140969);
        assert_eq!(s[2].start, 226854911280625642308916404954512140970);
        assert_eq!(s[2].end, MAX_HASH);
        for n in [1u32, 2, 4, 7, 8, 64, 1000] {
            let m = ShardMap::even(n);
            assert_eq!(m.len(), n as usize);
            let recs: Vec<_> = m
                .shards()
                .iter()
                .map(|s| rec(&s.shard_id, s.start, s.end, false))
                .collect();
            assert!(ShardMap::from_records(&recs).is_ok(), "n={n}");
        }
        for i in [0, 7, 99_999, 123_456_789, u32::MAX] {
            assert_eq!(even_shard_id(i), format!("shardId-{i:012}"));
        }
        // IDs order and compare as their strings, inline (up to 22 bytes) or not.
        let ids: Vec<String> = vec![
            "z".into(),
            "a".repeat(23),
            "shardId-1".into(),
            String::new(),
            "ab\u{0}".into(),
            "ab".into(),
        ];
        for a in &ids {
            for b in &ids {
                assert_eq!(
                    ShardId::new(a).cmp(&ShardId::new(b)),
                    a.cmp(b),
                    "{a:?} {b:?}"
                );
                assert_eq!(ShardId::new(a) == ShardId::new(b), a == b);
            }
        }
        let eight = ShardMap::even(8);
        assert_eq!(eight.shards()[1].start, 1u128 << 125);
    }

    #[test]
    fn hash_keys_parse_as_the_standard_parser_does() {
        let mut x = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834_u128;
        let mut cases = vec![
            "0".to_string(),
            "9".repeat(19),
            "1".to_string() + &"0".repeat(19),
            u128::MAX.to_string(),
            (u128::MAX - 1).to_string(),
            "340282366920938463463374607431768211456".into(),
            "999999999999999999999999999999999999999".into(),
            "1".to_string() + &"0".repeat(39),
        ];
        for _ in 0..2000 {
            x = x
                .wrapping_mul(0x2545_f491_4f6c_dd1d)
                .wrapping_add(1442695040888963407);
            cases.push((x >> (x % 127) as u32).to_string());
        }
        for c in &cases {
            assert_eq!(parse_hash_key(c).ok(), c.parse::<u128>().ok(), "{c}");
        }
        // One byte that is not a digit, at every place of every length (the digits are read
        // eight at a time): the bytes next to `0` and `9`, and a non-ASCII character.
        for len in 1..=40 {
            let digits: String = (0..len).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
            assert_eq!(
                parse_hash_key(&digits).ok(),
                digits.parse::<u128>().ok(),
                "{digits}"
            );
            for at in 0..len {
                for bad in ["/", ":", "\u{0}", " ", "a", "é"] {
                    let c = format!("{}{bad}{}", &digits[..at], &digits[at + 1..]);
                    assert_eq!(
                        parse_hash_key(&c),
                        Err("is not a decimal integer".into()),
                        "{c}"
                    );
                    assert_eq!(
                        hash_key_value(c.as_bytes()),
                        Err(BadHashKey::NotDecimal),
                        "{c}"
                    );
                }
            }
        }
        assert_eq!(
            parse_hash_key(&"9".repeat(40)),
            Err("is larger than 2^128 - 1".into())
        );
        assert_eq!(
            parse_hash_key("340282366920938463463374607431768211456"),
            Err("is larger than 2^128 - 1".into())
        );
    }

    #[test]
    fn ranges_give_the_map_and_problems_of_records() {
        let half = MAX_HASH / 2;
        let recs = vec![
            rec("b", half + 1, MAX_HASH, false),
            rec("p", 0, MAX_HASH, true),
            rec("a", 0, half, false),
        ];
        let m = ShardMap::from_records(&recs).unwrap();
        assert_eq!(m.shards()[0].shard_id, "a");
        assert_eq!(m.shard_index(half + 1), 1);
        // Problems in one order whichever thread finds them: the ranges', then duplicate IDs.
        let bad = [
            ShardRange {
                shard_id: "a".into(),
                start: 0,
                end: 10,
                closed: false,
            },
            ShardRange {
                shard_id: "a".into(),
                start: 20,
                end: 30,
                closed: true,
            },
            ShardRange {
                shard_id: "b".into(),
                start: 30,
                end: 20,
                closed: false,
            },
            ShardRange {
                shard_id: "c".into(),
                start: 25,
                end: MAX_HASH,
                closed: false,
            },
        ];
        assert_eq!(
            ShardMap::from_ranges(bad.to_vec()).unwrap_err(),
            vec![
                MapProblem::Inverted { shard: "b".into() },
                MapProblem::Gap { from: 11, to: 24 },
                MapProblem::Overlap {
                    a: "c".into(),
                    b: "b".into(),
                    from: 30,
                    to: 20
                },
                MapProblem::DuplicateId { shard: "a".into() },
            ]
        );
    }

    #[test]
    fn lookup_table_agrees_with_binary_search() {
        // Even maps of several sizes, and an uneven resharded map with tiny and huge shards
        // (several starts inside one prefix, prefixes inside one shard).
        let mut maps: Vec<ShardMap> = [1u32, 2, 3, 64, 1000, 100_000]
            .iter()
            .map(|&n| ShardMap::even(n))
            .collect();
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut cuts: Vec<u128> = (0..5000)
            .map(|i| {
                let r = (next() as u128) << 64 | next() as u128;
                // Half the cuts crowd into the first 2^-20 of the keyspace.
                if i % 2 == 0 { r >> 20 } else { r }
            })
            .filter(|&c| c > 0)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut recs = Vec::new();
        let mut lo = 0u128;
        for (i, &c) in cuts.iter().enumerate() {
            recs.push(rec(&format!("s{i}"), lo, c - 1, false));
            lo = c;
        }
        recs.push(rec("last", lo, MAX_HASH, false));
        maps.push(ShardMap::from_records(&recs).unwrap());
        for m in &maps {
            let t = m.lookup();
            let mut probes: Vec<u128> = (0..20_000)
                .map(|_| (next() as u128) << 64 | next() as u128)
                .collect();
            for sh in m.shards().iter().take(3000) {
                probes.extend([sh.start, sh.end, sh.start.saturating_sub(1)]);
            }
            probes.extend([0, MAX_HASH, 1, MAX_HASH - 1]);
            for h in probes {
                assert_eq!(t.index(h), m.shard_index(h), "{} shards, {h}", m.len());
            }
        }
    }

    #[test]
    fn lookup_is_inclusive_at_both_ends() {
        let m = ShardMap::even(2);
        let half = 1u128 << 127;
        assert_eq!(m.shard_index(0), 0);
        assert_eq!(m.shard_index(half - 1), 0);
        assert_eq!(m.shard_index(half), 1);
        assert_eq!(m.shard_index(MAX_HASH), 1);
    }

    #[test]
    fn closed_shards_are_ignored_and_gaps_reported() {
        let half = 1u128 << 127;
        let recs = vec![
            rec("shardId-000000000000", 0, MAX_HASH, true),
            rec("shardId-000000000001", 0, half - 1, false),
            rec("shardId-000000000002", half, MAX_HASH, false),
        ];
        let m = ShardMap::from_records(&recs).unwrap();
        assert_eq!(m.len(), 2);
        let gap = vec![rec("a", 0, 10, false), rec("b", 20, MAX_HASH, false)];
        assert_eq!(
            ShardMap::from_records(&gap).unwrap_err(),
            vec![MapProblem::Gap { from: 11, to: 19 }]
        );
        let overlap = vec![rec("a", 0, 30, false), rec("b", 20, MAX_HASH, false)];
        assert!(matches!(
            ShardMap::from_records(&overlap).unwrap_err()[0],
            MapProblem::Overlap {
                from: 20,
                to: 30,
                ..
            }
        ));
    }
}
