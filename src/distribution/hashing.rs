//! Batch MD5 for the distribution engine: hashes a slice of keys into Kinesis hash keys. The
//! reference is `keyspace::hash_bytes` (md-5); with the `fast-md5` feature, md5-many hashes
//! the batch in SIMD lanes, and a test checks both agree digest for digest.

#[cfg(not(feature = "fast-md5"))]
use crate::keyspace;

/// Writes `u128::from_be_bytes(md5(key))` of each key into `out` (same length as `keys`).
pub fn hash_batch(keys: &[&[u8]], out: &mut [u128]) {
    debug_assert_eq!(keys.len(), out.len());
    #[cfg(feature = "fast-md5")]
    {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<[u8; 16]>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.clear();
            s.resize(keys.len(), [0; 16]);
            md5_many::Md5Many::new().hash_many(keys, &mut s);
            for (o, d) in out.iter_mut().zip(s.iter()) {
                *o = u128::from_be_bytes(*d);
            }
        });
    }
    #[cfg(not(feature = "fast-md5"))]
    for (o, k) in out.iter_mut().zip(keys) {
        *o = keyspace::hash_bytes(k);
    }
}

/// Which MD5 implementation `hash_batch` uses, for reports and benchmarks.
pub fn backend() -> &'static str {
    if cfg!(feature = "fast-md5") {
        "md5-many"
    } else {
        "md-5"
    }
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
