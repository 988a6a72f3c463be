//! Batch MD5 for the distribution engine: hashes a slice of keys into Kinesis hash keys through
//! the multi-buffer `md5_lanes` (AVX-512 / AVX2 lanes picked at run time, md-5 otherwise), in
//! every build; `keyspace::hash_bytes` (md-5) stays the reference the tests compare against.

/// Writes `u128::from_be_bytes(md5(key))` of each key into `out` (same length as `keys`).
pub fn hash_batch<K: crate::md5_lanes::KeyBytes>(keys: &[K], out: &mut [u128]) {
    crate::md5_lanes::hash_batch(keys, out);
}

/// Which MD5 implementation `hash_batch` uses, for reports and benchmarks.
pub fn backend() -> &'static str {
    crate::md5_lanes::backend().name()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace;

    #[test]
    fn batch_matches_md5_reference() {
        // Every length 0..300 plus multi-byte text: block boundaries at 55/56/64 bytes matter.
        let mut owned: Vec<Vec<u8>> = (0..300).map(|n| vec![b'a' + (n % 26) as u8; n]).collect();
        owned.push("é🚗 スペース key".as_bytes().to_vec());
        owned.push(b"TEST-100001".to_vec());
        let keys: Vec<&[u8]> = owned.iter().map(|v| v.as_slice()).collect();
        let mut out = vec![0u128; keys.len()];
        hash_batch(&keys, &mut out);
        for (k, h) in keys.iter().zip(&out) {
            assert_eq!(*h, keyspace::hash_bytes(k), "{} bytes", k.len());
        }
        assert_eq!(
            format!("{:032x}", out[out.len() - 1]),
            "ee06642f62a72fb51ee96449a97123c8"
        );
    }
}
