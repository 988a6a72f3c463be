//! The one seeded random source: SplitMix64, tiny and the same on every platform. `newuuid()`
//! in the distribution ([`SplitMix::new`] keyed by seed and record index, so a report does not
//! depend on how records were split across threads) and the simulator's fault and record-time
//! draws ([`SplitMix::from_state`]) both use it. Bottom layer: uses nothing of the crate.

#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator for record `seq` of a run seeded with `seed`.
    pub fn new(seed: u64, seq: u64) -> Self {
        let mut s = SplitMix(seed ^ seq.wrapping_mul(0xD1B5_4A32_D192_ED03));
        s.next_u64();
        s
    }
    /// A generator starting from a raw state.
    pub fn from_state(state: u64) -> Self {
        SplitMix(state)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn next_u128(&mut self) -> u128 {
        ((self.next_u64() as u128) << 64) | self.next_u64() as u128
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_record() {
        assert_eq!(
            SplitMix::new(7, 3).next_u128(),
            SplitMix::new(7, 3).next_u128()
        );
        assert_ne!(
            SplitMix::new(7, 3).next_u128(),
            SplitMix::new(7, 4).next_u128()
        );
    }

    #[test]
    fn normal_looks_normal() {
        let mut a = SplitMix::from_state(42);
        let mut b = SplitMix::from_state(42);
        assert_eq!(a.next_u64(), b.next_u64());
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| a.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}
