//! A token bucket: `rate` frames per second on average, bursts up to `burst`.

use web_time::Instant;

/// One frame costs this many micro-tokens.
const COST: u128 = 1_000_000;

/// Time is passed in, so refill is testable without sleeping.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate_per_second: u128,
    capacity: u128,
    tokens: u128,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(rate_per_second: u32, burst: u32, now: Instant) -> Self {
        let capacity = u128::from(burst.max(1)) * COST;
        Self {
            rate_per_second: u128::from(rate_per_second),
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Takes one frame's worth; `false` when the bucket is empty.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_micros();
        if elapsed > 0 {
            self.tokens = self
                .tokens
                .saturating_add(elapsed.saturating_mul(self.rate_per_second))
                .min(self.capacity);
            self.last = now;
        }
        if self.tokens >= COST {
            self.tokens -= COST;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 3, start);
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start));
        assert!(!bucket.take(start + Duration::from_millis(99)));
        assert!(bucket.take(start + Duration::from_millis(100)));
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.take(later)).count(), 3);
    }

    #[test]
    fn time_going_backwards_is_harmless() {
        let start = Instant::now() + Duration::from_secs(1);
        let mut bucket = TokenBucket::new(1, 1, start);
        assert!(bucket.take(start));
        assert!(!bucket.take(start - Duration::from_millis(500)));
    }
}
