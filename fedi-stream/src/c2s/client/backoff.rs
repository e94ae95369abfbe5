//! [`Backoff`]: reconnection delays that honour the server's `retry:` and spread clients out.

use std::time::Duration;

/// Reconnection delays: the server's `retry:` value (or a default) for the first attempt,
/// doubling with each failure up to a cap, each with up to 50 % added jitter from an injected
/// seed, so that clients dropped together do not return together.
///
/// The delay of attempt `n` (from 0) is `min(base · 2ⁿ, max(cap, base)) · (1 + j)` with `j` in
/// `[0, 0.5)`: never shorter than what the server asked for, never longer than 1.5 × the cap
/// (or the server's value, if larger), and never longer than [`Backoff::MAX_DELAY`] (a day),
/// whatever a server sends.
///
/// ```
/// use std::time::Duration;
/// use fedi_stream::c2s::client::Backoff;
///
/// let mut backoff = Backoff::new(Duration::from_secs(3), Duration::from_secs(60), 42);
/// let first = backoff.next_delay();
/// assert!(first >= Duration::from_secs(3) && first < Duration::from_millis(4500));
/// let second = backoff.next_delay();
/// assert!(second >= Duration::from_secs(6) && second < Duration::from_secs(9));
/// backoff.reset(); // a connection worked: start from the base again
/// assert!(backoff.next_delay() < Duration::from_millis(4500));
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: SplitMix64,
}

impl Backoff {
    /// The longest delay ever returned: one day.
    pub const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

    /// Delays starting at `base`, capped at `cap`, jitter drawn from `seed`.
    #[must_use]
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
            rng: SplitMix64(seed),
        }
    }

    /// Sets the base delay (the server's `retry:`); the attempt count is kept.
    pub fn set_base(&mut self, base: Duration) {
        self.base = base;
    }

    /// The base delay.
    #[must_use]
    pub fn base(&self) -> Duration {
        self.base
    }

    /// Failed attempts since the last [`reset`](Self::reset).
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt; counts the attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.cap.max(self.base);
        let exponential = self
            .base
            .checked_mul(1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(ceiling)
            .min(ceiling);
        self.attempt = self.attempt.saturating_add(1);
        // j in [0, 0.5), in 2^-32 steps.
        let jitter = (self.rng.next() >> 33) as f64 / (1u64 << 32) as f64;
        let exponential = exponential.min(Self::MAX_DELAY);
        exponential
            .saturating_add(exponential.mul_f64(jitter))
            .min(Self::MAX_DELAY)
    }

    /// Starts over from the base delay (after a connection that worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed generator for jitter; not for
/// anything secret.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_bounded_jitter() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(4);
        let mut backoff = Backoff::new(base, cap, 7);
        let expected_floors = [500, 1000, 2000, 4000, 4000, 4000];
        for floor in expected_floors {
            let delay = backoff.next_delay();
            let floor = Duration::from_millis(floor);
            assert!(
                delay >= floor && delay < floor.mul_f64(1.5),
                "{delay:?} vs {floor:?}"
            );
        }
        assert_eq!(backoff.attempt(), 6);
    }

    #[test]
    fn a_server_retry_above_the_cap_is_honoured() {
        let mut backoff = Backoff::new(Duration::from_secs(3), Duration::from_secs(1), 1);
        for _ in 0..3 {
            assert!(backoff.next_delay() >= Duration::from_secs(3));
        }
        let mut absurd = Backoff::new(Duration::from_millis(u64::MAX), Duration::from_secs(1), 1);
        assert_eq!(absurd.next_delay(), Backoff::MAX_DELAY);
    }

    #[test]
    fn the_same_seed_gives_the_same_delays_and_seeds_differ() {
        let delays = |seed| {
            let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), seed);
            (0..8).map(|_| backoff.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(delays(5), delays(5));
        assert_ne!(delays(5), delays(6));
    }

    #[test]
    fn survives_huge_attempt_counts_and_zero_base() {
        let mut backoff = Backoff::new(Duration::MAX, Duration::MAX, 0);
        for _ in 0..40 {
            let _ = backoff.next_delay();
        }
        let mut zero = Backoff::new(Duration::ZERO, Duration::from_secs(1), 0);
        assert_eq!(zero.next_delay(), Duration::ZERO);
    }
}
