//! The crate's one source of pseudo-randomness: SplitMix64 over a seed the host passes in.
//!
//! The machines draw no entropy of their own (rule 7 of the sans-IO contract): a client's
//! WebSocket masking keys and the C2S client's reconnection jitter come from this generator,
//! seeded at construction.

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by a constant and mixed.
/// Deterministic for a seed, well distributed, and not cryptographic: its state can be
/// recovered from its outputs, so it is only as unpredictable as its seed is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub(crate) const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next value.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next value as a fraction in `[0, 1]`, both ends included, in 2⁻⁵³ steps.
    #[cfg(feature = "c2s")]
    pub(crate) fn next_unit(&mut self) -> f64 {
        const STEPS: u64 = (1 << 53) - 1;
        (self.next_u64() >> 11) as f64 / STEPS as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // The first outputs for seed 0 of the reference implementation (splitmix64.c).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[cfg(feature = "c2s")]
    #[test]
    fn units_stay_within_zero_and_one() {
        let mut rng = SplitMix64::new(42);
        for _ in 0..10_000 {
            let unit = rng.next_unit();
            assert!((0.0..=1.0).contains(&unit), "{unit}");
        }
    }
}
