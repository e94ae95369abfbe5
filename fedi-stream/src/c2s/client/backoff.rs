//! [`Backoff`]: reconnection delays that honour the server's `retry:` and spread clients out.

use std::time::Duration;

use crate::random::SplitMix64;

/// Reconnection delays: the server's `retry:` value (or a default) for the first attempt,
/// doubling with each failure up to a cap, each with full jitter drawn from a seed, so that
/// clients dropped together do not return together.
///
/// The delay of attempt `n` (from 0) is `d = min(base · 2ⁿ, max(cap, base), MAX_DELAY)`
/// jittered uniformly within `[d / 2, d]`: the one jitter policy of the crate family's sans-IO
/// contract. It is never longer than the cap (or the server's value, if larger) and never
/// longer than [`Backoff::MAX_DELAY`] (a day), whatever a server sends; it may be as short as
/// half of it.
///
/// ```
/// use std::time::Duration;
/// use fedi_stream::c2s::client::Backoff;
///
/// let mut backoff = Backoff::new(Duration::from_secs(4), Duration::from_secs(60), 42);
/// let first = backoff.next_delay();
/// assert!(first >= Duration::from_secs(2) && first <= Duration::from_secs(4));
/// let second = backoff.next_delay();
/// assert!(second >= Duration::from_secs(4) && second <= Duration::from_secs(8));
/// backoff.reset(); // a connection worked: start from the base again
/// assert!(backoff.next_delay() <= Duration::from_secs(4));
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

    /// Delays starting at `base`, capped at `cap`, jitter drawn from a SplitMix64 generator
    /// started at `seed` (any value; hosts take it from their own entropy so that clients
    /// differ).
    #[must_use]
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
            rng: SplitMix64::new(seed),
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
        let delay = exponential.min(Self::MAX_DELAY);
        let half = delay / 2;
        half + (delay - half).mul_f64(self.rng.next_unit())
    }

    /// Starts over from the base delay (after a connection that worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
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
        let expected_ceilings = [500, 1000, 2000, 4000, 4000, 4000];
        for ceiling in expected_ceilings {
            let delay = backoff.next_delay();
            let ceiling = Duration::from_millis(ceiling);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{delay:?} vs {ceiling:?}"
            );
        }
        assert_eq!(backoff.attempt(), 6);
    }

    #[test]
    fn a_server_retry_above_the_cap_is_honoured() {
        let mut backoff = Backoff::new(Duration::from_secs(3), Duration::from_secs(1), 1);
        for _ in 0..3 {
            let delay = backoff.next_delay();
            assert!(delay >= Duration::from_millis(1500) && delay <= Duration::from_secs(3));
        }
        let mut absurd = Backoff::new(Duration::from_millis(u64::MAX), Duration::from_secs(1), 1);
        let delay = absurd.next_delay();
        assert!(delay >= Backoff::MAX_DELAY / 2 && delay <= Backoff::MAX_DELAY);
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
    fn jitter_spreads_over_the_whole_lower_half() {
        // Many clients with different seeds: their first delays cover [d/2, d], not one point.
        let delay = Duration::from_secs(10);
        let firsts: Vec<Duration> = (0..1000)
            .map(|seed| Backoff::new(delay, delay, seed).next_delay())
            .collect();
        assert!(firsts.iter().all(|d| *d >= delay / 2 && *d <= delay));
        let low = firsts
            .iter()
            .filter(|d| **d < Duration::from_millis(5500))
            .count();
        let high = firsts
            .iter()
            .filter(|d| **d > Duration::from_millis(9500))
            .count();
        assert!(low > 50 && high > 50, "{low} near d/2, {high} near d");
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
