//! Reconnect delays: exponential backoff with full jitter.
//!
//! The ceiling doubles from [`BackoffConfig::initial`] to [`BackoffConfig::max`] (the seed:
//! "start at 1s, max 60s"), and each delay is drawn uniformly from `[0, ceiling)` ("full
//! jitter"), so many clients dropped at once do not come back at once.

use std::time::Duration;

use crate::random::RandomSource;

/// The backoff schedule. `Default` gives the seed's 1 s → 60 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The first ceiling.
    pub initial: Duration,
    /// The largest ceiling.
    pub max: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// The attempt counter of a backoff schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// A schedule at its first attempt.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Failed attempts since the last [`Backoff::reset`].
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The ceiling of the next delay: `min(max, initial · 2^attempt)`.
    #[must_use]
    pub fn ceiling(&self, config: &BackoffConfig) -> Duration {
        let factor = 1u32.checked_shl(self.attempt).unwrap_or(u32::MAX);
        config.initial.saturating_mul(factor).min(config.max)
    }

    /// Draws the next delay from `[0, ceiling)` and moves to the next attempt.
    pub fn next_delay(
        &mut self,
        config: &BackoffConfig,
        random: &mut impl RandomSource,
    ) -> Duration {
        let ceiling = self.ceiling(config);
        self.attempt = self.attempt.saturating_add(1);
        let nanos = (ceiling.as_nanos() * u128::from(random.next_u64())) >> 64;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Back to the first attempt (after a successful connection).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix64;

    #[test]
    fn ceilings_double_from_one_second_to_sixty() {
        let config = BackoffConfig::default();
        let mut b = Backoff::new();
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            ceilings.push(b.ceiling(&config).as_secs());
            b.next_delay(&config, &mut || 0);
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        for _ in 0..100 {
            b.next_delay(&config, &mut || 0);
        }
        assert_eq!(b.ceiling(&config), Duration::from_secs(60));
        b.reset();
        assert_eq!(b.ceiling(&config), Duration::from_secs(1));
    }

    #[test]
    fn delays_span_zero_to_the_ceiling() {
        let config = BackoffConfig::default();
        let mut low = Backoff::new();
        assert_eq!(low.next_delay(&config, &mut || 0), Duration::ZERO);
        let mut high = Backoff::new();
        let top = high.next_delay(&config, &mut || u64::MAX);
        assert!(
            top < Duration::from_secs(1) && top > Duration::from_millis(999),
            "{top:?}"
        );
        let mut half = Backoff { attempt: 3 };
        assert_eq!(
            half.next_delay(&config, &mut || 1u64 << 63),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn jitter_is_bounded_and_spread() {
        let config = BackoffConfig::default();
        let mut rng = SplitMix64::new(7);
        let delays: Vec<Duration> = (0..1000)
            .map(|_| Backoff { attempt: 6 }.next_delay(&config, &mut rng))
            .collect();
        assert!(delays.iter().all(|d| *d < Duration::from_secs(60)));
        let below_half = delays
            .iter()
            .filter(|d| **d < Duration::from_secs(30))
            .count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }
}
