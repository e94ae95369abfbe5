//! Reconnect delays: exponential backoff with full jitter in the upper half.
//!
//! The ceiling doubles from [`BackoffConfig::initial`] to [`BackoffConfig::max`] (the seed:
//! "start at 1s, max 60s"), and each delay is drawn uniformly from `[ceiling / 2, ceiling]`,
//! so many clients dropped at once do not come back at once, and none comes back sooner than
//! half the schedule says. The draws come from the client's seed ([`crate::client::Client::new`]).

use std::time::Duration;

use crate::random::SplitMix64;

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

/// The attempt counter of a backoff schedule and the generator its jitter comes from.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    attempt: u32,
    random: SplitMix64,
}

impl Backoff {
    /// A schedule at its first attempt, its jitter drawn from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Backoff {
            attempt: 0,
            random: SplitMix64::new(seed),
        }
    }

    /// Failed attempts since the last [`Backoff::reset`].
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The ceiling of the next delay: `min(max, initial · 2^attempt)`.
    pub(crate) fn ceiling(&self, config: &BackoffConfig) -> Duration {
        let factor = 1u32.checked_shl(self.attempt).unwrap_or(u32::MAX);
        config.initial.saturating_mul(factor).min(config.max)
    }

    /// Draws the next delay from `[ceiling / 2, ceiling]` and moves to the next attempt.
    pub(crate) fn next_delay(&mut self, config: &BackoffConfig) -> Duration {
        let ceiling = self.ceiling(config);
        self.attempt = self.attempt.saturating_add(1);
        jittered(ceiling, self.random.next_u64())
    }

    /// Back to the first attempt (after a successful connection).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// The point of `[ceiling / 2, ceiling]` that `draw` (uniform over `u64`) picks: 0 gives the
/// lower end, `u64::MAX` the upper one.
fn jittered(ceiling: Duration, draw: u64) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let half = ceiling / 2;
    // (span + 1) · draw / 2^64 lies in [0, span]. A span has at most 94 bits, so the product
    // is taken in two halves to stay within u128.
    let span = (ceiling - half).as_nanos() + 1;
    let draw = u128::from(draw);
    let (high, low) = (span >> 64, span & u128::from(u64::MAX));
    let offset = high * draw + ((low * draw) >> 64);
    let offset = Duration::new(
        u64::try_from(offset / NANOS_PER_SEC).unwrap_or(u64::MAX),
        u32::try_from(offset % NANOS_PER_SEC).unwrap_or(0),
    );
    half.saturating_add(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_from_one_second_to_sixty() {
        let config = BackoffConfig::default();
        let mut b = Backoff::new(0);
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            ceilings.push(b.ceiling(&config).as_secs());
            b.next_delay(&config);
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        for _ in 0..100 {
            b.next_delay(&config);
        }
        assert_eq!(b.attempt(), 110);
        assert_eq!(b.ceiling(&config), Duration::from_secs(60));
        b.reset();
        assert_eq!(b.ceiling(&config), Duration::from_secs(1));
    }

    #[test]
    fn draws_span_half_the_ceiling_to_the_ceiling() {
        let four = Duration::from_secs(4);
        assert_eq!(jittered(four, 0), Duration::from_secs(2));
        assert_eq!(jittered(four, u64::MAX), four);
        assert_eq!(jittered(four, 1 << 63), Duration::from_secs(3));
        assert_eq!(jittered(Duration::ZERO, u64::MAX), Duration::ZERO);
        // An odd number of nanoseconds: the lower end rounds down, the upper end is exact.
        let odd = Duration::from_nanos(3);
        assert_eq!(jittered(odd, 0), Duration::from_nanos(1));
        assert_eq!(jittered(odd, u64::MAX), odd);
        // The largest ceiling a Duration holds does not overflow; a 64-bit draw resolves its
        // span of 2^93 ns to within 2^29 ns (about half a second) of the top.
        let top = jittered(Duration::MAX, u64::MAX);
        assert!(Duration::MAX - top < Duration::from_secs(1), "{top:?}");
        assert_eq!(jittered(Duration::MAX, 0), Duration::MAX / 2);
    }

    #[test]
    fn jitter_is_bounded_and_spread_and_repeats_for_a_seed() {
        let config = BackoffConfig::default();
        let draw = |seed| {
            let mut b = Backoff::new(seed);
            (0..1000)
                .map(|_| {
                    b.attempt = 6;
                    b.next_delay(&config)
                })
                .collect::<Vec<_>>()
        };
        let delays = draw(7);
        assert!(
            delays
                .iter()
                .all(|d| (Duration::from_secs(30)..=Duration::from_secs(60)).contains(d))
        );
        let lower_half = delays
            .iter()
            .filter(|d| **d < Duration::from_secs(45))
            .count();
        assert!((400..600).contains(&lower_half), "{lower_half}");
        assert_eq!(draw(7), delays);
        assert_ne!(draw(8), delays);
    }
}
