//! Multi-buffer MD5: hashes a batch of short keys side by side in SIMD lanes (16 with AVX-512,
//! 8 with AVX2), chosen at run time, with md-5 as the scalar fallback and the reference. The
//! distribution engine hashes every sampled key through here; `keyspace` stays the one-key path.
//!
//! MD5 of one key is a serial chain of 64 dependent steps, so one core hashes one short key in
//! about 40 ns whatever the instruction set; running 8 or 16 independent keys in the lanes of a
//! vector register makes the same chain produce 8 or 16 digests. Keys are grouped by how many
//! 64-byte blocks their padded message takes, so every lane of a batch runs the same number of
//! compressions; keys longer than `MAX_BLOCKS` blocks (over 503 bytes) go to md-5.

use crate::keyspace;

/// Lanes of the widest backend this CPU runs, or 1 for md-5 alone.
pub fn lanes() -> usize {
    backend().lanes()
}

/// The SIMD backends, widest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Avx512,
    Avx2,
    Scalar,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Avx512 => "avx512 x16",
            Backend::Avx2 => "avx2 x8",
            Backend::Scalar => "md-5",
        }
    }
    fn lanes(self) -> usize {
        match self {
            Backend::Avx512 => 16,
            Backend::Avx2 => 8,
            Backend::Scalar => 1,
        }
    }
    /// Whether this CPU runs the backend (md-5 always).
    pub fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx512 | Backend::Avx2 => false,
            Backend::Scalar => true,
        }
    }
}

/// The widest available backend; `SHARDLINT_MD5=avx2|md-5` narrows it (for benchmarks).
pub fn backend() -> Backend {
    static CHOSEN: std::sync::OnceLock<Backend> = std::sync::OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let cap = match std::env::var("SHARDLINT_MD5").as_deref() {
            Ok("md-5") | Ok("scalar") => Backend::Scalar,
            Ok("avx2") => Backend::Avx2,
            _ => Backend::Avx512,
        };
        [Backend::Avx512, Backend::Avx2, Backend::Scalar]
            .into_iter()
            .filter(|b| b.lanes() <= cap.lanes())
            .find(|b| b.available())
            .unwrap_or(Backend::Scalar)
    })
}

/// Longest padded message hashed in lanes, in 64-byte blocks; longer keys use md-5.
const MAX_BLOCKS: usize = 8;
/// Widest lane count.
const MAX_LANES: usize = 16;
/// Below this many keys of one block count, a partly filled batch costs more than md-5 per key.
const MIN_PARTIAL: usize = 3;

/// Writes `u128::from_be_bytes(md5(key))` for each key into `out` (same length as `keys`).
pub fn hash_batch(keys: &[&[u8]], out: &mut [u128]) {
    hash_batch_with(backend(), keys, out);
}

/// As [`hash_batch`] with a given backend (it must be `available`; tests run each one).
pub fn hash_batch_with(backend: Backend, keys: &[&[u8]], out: &mut [u128]) {
    assert_eq!(keys.len(), out.len());
    let lanes = backend.lanes();
    if lanes == 1 || !backend.available() {
        for (o, k) in out.iter_mut().zip(keys) {
            *o = keyspace::hash_bytes(k);
        }
        return;
    }
    // Pending key indices per block count, flushed whenever `lanes` are waiting.
    let mut pending = [[0u32; MAX_LANES]; MAX_BLOCKS];
    let mut fill = [0usize; MAX_BLOCKS];
    for (i, k) in keys.iter().enumerate() {
        let nb = k.len() / 64 + if k.len() % 64 < 56 { 1 } else { 2 };
        if nb > MAX_BLOCKS {
            out[i] = keyspace::hash_bytes(k);
            continue;
        }
        let slot = &mut pending[nb - 1];
        slot[fill[nb - 1]] = i as u32;
        fill[nb - 1] += 1;
        if fill[nb - 1] == lanes {
            run(backend, nb, &slot[..lanes], keys, out);
            fill[nb - 1] = 0;
        }
    }
    for nb in 1..=MAX_BLOCKS {
        let idx = &pending[nb - 1][..fill[nb - 1]];
        if idx.len() >= MIN_PARTIAL {
            run(backend, nb, idx, keys, out);
        } else {
            for &i in idx {
                out[i as usize] = keyspace::hash_bytes(keys[i as usize]);
            }
        }
    }
}

/// Hashes the keys at `idx` (at most the backend's lanes, each `nb` blocks once padded).
fn run(backend: Backend, nb: usize, idx: &[u32], keys: &[&[u8]], out: &mut [u128]) {
    let mut state = [INIT; MAX_LANES];
    let mut msg = [[0u32; MAX_LANES]; 16];
    for b in 0..nb {
        for (lane, &i) in idx.iter().enumerate() {
            let block = padded_block(keys[i as usize], b, nb);
            for (w, word) in msg.iter_mut().enumerate() {
                word[lane] = u32::from_le_bytes([
                    block[4 * w],
                    block[4 * w + 1],
                    block[4 * w + 2],
                    block[4 * w + 3],
                ]);
            }
        }
        compress(backend, &mut state, &msg);
    }
    for (lane, &i) in idx.iter().enumerate() {
        let [a, b, c, d] = state[lane];
        out[i as usize] = (a.swap_bytes() as u128) << 96
            | (b.swap_bytes() as u128) << 64
            | (c.swap_bytes() as u128) << 32
            | d.swap_bytes() as u128;
    }
}

/// Block `b` of the `nb`-block padded message of `key`: the key, 0x80, zeros, the bit length.
#[inline]
fn padded_block(key: &[u8], b: usize, nb: usize) -> [u8; 64] {
    let mut block = [0u8; 64];
    let lo = b * 64;
    if lo < key.len() {
        let hi = key.len().min(lo + 64);
        block[..hi - lo].copy_from_slice(&key[lo..hi]);
    }
    if (lo..lo + 64).contains(&key.len()) {
        block[key.len() - lo] = 0x80;
    }
    if b + 1 == nb {
        block[56..].copy_from_slice(&((key.len() as u64) * 8).to_le_bytes());
    }
    block
}

const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// RFC 1321's table: `floor(abs(sin(i + 1)) * 2^32)`.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];
/// Left-rotation of each step.
const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
/// Message word of each step.
const G: [usize; 64] = {
    let mut g = [0usize; 64];
    let mut i = 0;
    while i < 64 {
        g[i] = match i / 16 {
            0 => i,
            1 => (5 * i + 1) % 16,
            2 => (3 * i + 5) % 16,
            _ => (7 * i) % 16,
        };
        i += 1;
    }
    g
};

/// One 64-byte block for every lane: `state[lane]` is that lane's (A, B, C, D).
fn compress(backend: Backend, state: &mut [[u32; 4]; MAX_LANES], msg: &[[u32; MAX_LANES]; 16]) {
    match backend {
        // SAFETY: `hash_batch_with` only gets here when `backend.available()` said the CPU
        // has the feature.
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => unsafe { x86::compress16(state, msg) },
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => unsafe { x86::compress8(state, msg) },
        _ => unreachable!("no SIMD backend on this target"),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{G, K, MAX_LANES, S};
    use std::arch::x86_64::*;

    /// 16 lanes; `vpternlogd` computes each round function in one instruction and `vprolvd`
    /// rotates, so a step is five vector operations.
    #[target_feature(enable = "avx512f")]
    pub(super) fn compress16(state: &mut [[u32; 4]; MAX_LANES], msg: &[[u32; MAX_LANES]; 16]) {
        let lane = |r: usize| {
            let v: [u32; 16] = std::array::from_fn(|l| state[l][r]);
            // SAFETY: 64 readable bytes; unaligned load.
            unsafe { _mm512_loadu_si512(v.as_ptr().cast()) }
        };
        let (a0, b0, c0, d0) = (lane(0), lane(1), lane(2), lane(3));
        // SAFETY: each `msg` row is 16 u32s.
        let m: [__m512i; 16] =
            std::array::from_fn(|w| unsafe { _mm512_loadu_si512(msg[w].as_ptr().cast()) });
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let f = match i / 16 {
                0 => _mm512_ternarylogic_epi32::<0xCA>(b, c, d), // b ? c : d
                1 => _mm512_ternarylogic_epi32::<0xE4>(b, c, d), // d ? b : c
                2 => _mm512_ternarylogic_epi32::<0x96>(b, c, d), // b ^ c ^ d
                _ => _mm512_ternarylogic_epi32::<0x39>(b, c, d), // c ^ (b | !d)
            };
            let k = _mm512_set1_epi32(K[i] as i32);
            let t = _mm512_add_epi32(_mm512_add_epi32(a, f), _mm512_add_epi32(m[G[i]], k));
            let r = _mm512_rolv_epi32(t, _mm512_set1_epi32(S[i] as i32));
            let nb = _mm512_add_epi32(b, r);
            (a, b, c, d) = (d, nb, b, c);
        }
        let out = [
            _mm512_add_epi32(a, a0),
            _mm512_add_epi32(b, b0),
            _mm512_add_epi32(c, c0),
            _mm512_add_epi32(d, d0),
        ];
        for (r, v) in out.iter().enumerate() {
            let mut w = [0u32; 16];
            // SAFETY: 64 writable bytes; unaligned store.
            unsafe { _mm512_storeu_si512(w.as_mut_ptr().cast(), *v) };
            for (l, x) in w.iter().enumerate() {
                state[l][r] = *x;
            }
        }
    }

    /// 8 lanes (the first 8 of `state` and `msg`).
    #[target_feature(enable = "avx2")]
    pub(super) fn compress8(state: &mut [[u32; 4]; MAX_LANES], msg: &[[u32; MAX_LANES]; 16]) {
        let lane = |r: usize| {
            let v: [u32; 8] = std::array::from_fn(|l| state[l][r]);
            // SAFETY: 32 readable bytes; unaligned load.
            unsafe { _mm256_loadu_si256(v.as_ptr().cast()) }
        };
        let (a0, b0, c0, d0) = (lane(0), lane(1), lane(2), lane(3));
        // SAFETY: each `msg` row has at least 8 u32s.
        let m: [__m256i; 16] =
            std::array::from_fn(|w| unsafe { _mm256_loadu_si256(msg[w].as_ptr().cast()) });
        let ones = _mm256_set1_epi32(-1);
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let f = match i / 16 {
                0 => _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))),
                1 => _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c))),
                2 => _mm256_xor_si256(_mm256_xor_si256(b, c), d),
                _ => _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones))),
            };
            let k = _mm256_set1_epi32(K[i] as i32);
            let t = _mm256_add_epi32(_mm256_add_epi32(a, f), _mm256_add_epi32(m[G[i]], k));
            let r = _mm256_or_si256(
                _mm256_sllv_epi32(t, _mm256_set1_epi32(S[i] as i32)),
                _mm256_srlv_epi32(t, _mm256_set1_epi32(32 - S[i] as i32)),
            );
            let nb = _mm256_add_epi32(b, r);
            (a, b, c, d) = (d, nb, b, c);
        }
        let out = [
            _mm256_add_epi32(a, a0),
            _mm256_add_epi32(b, b0),
            _mm256_add_epi32(c, c0),
            _mm256_add_epi32(d, d0),
        ];
        for (r, v) in out.iter().enumerate() {
            let mut w = [0u32; 8];
            // SAFETY: 32 writable bytes; unaligned store.
            unsafe { _mm256_storeu_si256(w.as_mut_ptr().cast(), *v) };
            for (l, x) in w.iter().enumerate() {
                state[l][r] = *x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends() -> Vec<Backend> {
        [Backend::Avx512, Backend::Avx2, Backend::Scalar]
            .into_iter()
            .filter(|b| b.available())
            .collect()
    }

    fn check(keys: &[Vec<u8>]) {
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        for b in backends() {
            let mut out = vec![0u128; refs.len()];
            hash_batch_with(b, &refs, &mut out);
            for (k, h) in refs.iter().zip(&out) {
                assert_eq!(*h, keyspace::hash_bytes(k), "{b:?}, {} bytes", k.len());
            }
        }
    }

    #[test]
    fn every_length_0_to_300_matches_md5() {
        // Block boundaries at 55/56/63/64/119/120 bytes are where padding goes wrong.
        let keys: Vec<Vec<u8>> = (0..300)
            .map(|n| (0..n).map(|i| (i * 7 + n) as u8).collect())
            .collect();
        check(&keys);
        // The same lengths one at a time, so partial batches and md-5 tails both run.
        for k in &keys {
            check(std::slice::from_ref(k));
            check(&[k.clone(), k.clone(), k.clone()]);
        }
    }

    #[test]
    fn random_keys_and_text_match_md5() {
        // xorshift: reproducible lengths and bytes, including invalid UTF-8 and long keys.
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut keys: Vec<Vec<u8>> = (0..5000)
            .map(|_| {
                let n = (next() % 1100) as usize;
                (0..n).map(|_| next() as u8).collect()
            })
            .collect();
        keys.push("é🚗 スペース key".as_bytes().to_vec());
        keys.push(b"TEST-100001".to_vec());
        check(&keys);
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let mut out = vec![0u128; refs.len()];
        hash_batch(&refs, &mut out);
        assert_eq!(
            format!("{:032x}", out[out.len() - 1]),
            "ee06642f62a72fb51ee96449a97123c8"
        );
    }
}
