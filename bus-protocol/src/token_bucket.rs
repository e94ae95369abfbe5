//! A token bucket for per-connection message rate limits.
//!
//! Implemented as the generic cell rate algorithm (GCRA), which behaves exactly like a bucket of
//! `burst` tokens refilled at one token per `60 s / per_minute` but stores a single instant (the
//! "theoretical arrival time") instead of a token count and a refill time. That keeps a
//! session's rate state at 16 bytes.

use web_time::{Duration, Instant};

/// A message rate: `per_minute` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate; the bucket gains one token every `60 s / per_minute`. 0 is treated as 1.
    pub per_minute: u32,
    /// Bucket size: how many messages may arrive at once after a quiet period. 0 refuses
    /// every message.
    pub burst: u32,
}

impl Default for RateLimit {
    /// The seed's client → server limit: 100 messages per minute, bursts of 20.
    fn default() -> Self {
        RateLimit {
            per_minute: 100,
            burst: 20,
        }
    }
}

impl RateLimit {
    /// The time between two refilled tokens (`60 s / per_minute`).
    #[must_use]
    pub fn refill_interval(&self) -> Duration {
        Duration::from_secs(60) / self.per_minute.max(1)
    }
}

/// A message was refused because the bucket is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// When the next message would be accepted, counted from the refused one.
    pub retry_after: Duration,
}

/// The state of one bucket. Starts full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    /// When the bucket will be full again if nothing more is taken; `<= now` means full.
    full_at: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    #[must_use]
    pub fn new(now: Instant) -> Self {
        TokenBucket { full_at: now }
    }

    /// Takes one token at `now`.
    ///
    /// # Errors
    /// [`Exhausted`] with the wait until the next token when the bucket is empty; the state is
    /// unchanged then, so refused messages do not delay later ones.
    pub fn try_take(&mut self, limit: &RateLimit, now: Instant) -> Result<(), Exhausted> {
        let interval = limit.refill_interval();
        let Some(tolerance) = limit
            .burst
            .checked_sub(1)
            .map(|extra| interval.saturating_mul(extra))
        else {
            return Err(Exhausted {
                retry_after: Duration::MAX,
            });
        };
        let start = self.full_at.max(now);
        let backlog = start.duration_since(now);
        if backlog > tolerance {
            return Err(Exhausted {
                retry_after: backlog - tolerance,
            });
        }
        match start.checked_add(interval) {
            Some(full_at) => {
                self.full_at = full_at;
                Ok(())
            }
            None => Err(Exhausted {
                retry_after: Duration::MAX,
            }),
        }
    }

    /// How many messages would be accepted at `now` if sent at once.
    #[must_use]
    pub fn available(&self, limit: &RateLimit, now: Instant) -> u32 {
        let interval = limit.refill_interval();
        let backlog = self.full_at.saturating_duration_since(now);
        // Tokens in use = ceil(backlog / interval).
        let used = backlog.as_nanos().div_ceil(interval.as_nanos().max(1));
        let used = u32::try_from(used).unwrap_or(u32::MAX);
        limit.burst.saturating_sub(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn burst_of_twenty_then_the_twenty_first_is_refused() {
        let limit = RateLimit::default();
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(t0);
        assert_eq!(bucket.available(&limit, t0), 20);
        for i in 0..20 {
            assert_eq!(bucket.try_take(&limit, t0), Ok(()), "message {}", i + 1);
        }
        assert_eq!(bucket.available(&limit, t0), 0);
        assert_eq!(
            bucket.try_take(&limit, t0),
            Err(Exhausted {
                retry_after: ms(600)
            })
        );
    }

    #[test]
    fn refills_one_token_every_600_ms() {
        let limit = RateLimit::default();
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(t0);
        for _ in 0..20 {
            bucket.try_take(&limit, t0).unwrap();
        }
        assert!(bucket.try_take(&limit, t0 + ms(599)).is_err());
        assert_eq!(bucket.try_take(&limit, t0 + ms(600)), Ok(()));
        assert!(bucket.try_take(&limit, t0 + ms(600)).is_err());
        // A full minute of constant pressure admits exactly 100 more (one per 600 ms).
        let mut accepted = 0;
        for step in 1..=600u64 {
            if bucket
                .try_take(&limit, t0 + ms(600) + ms(step * 100))
                .is_ok()
            {
                accepted += 1;
            }
        }
        assert_eq!(accepted, 100);
    }

    #[test]
    fn quiet_period_restores_the_full_burst_only() {
        let limit = RateLimit::default();
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(t0);
        for _ in 0..20 {
            bucket.try_take(&limit, t0).unwrap();
        }
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(bucket.available(&limit, later), 20);
        for _ in 0..20 {
            bucket.try_take(&limit, later).unwrap();
        }
        assert!(bucket.try_take(&limit, later).is_err());
    }

    #[test]
    fn zero_burst_refuses_everything() {
        let limit = RateLimit {
            per_minute: 100,
            burst: 0,
        };
        let now = Instant::now();
        assert!(TokenBucket::new(now).try_take(&limit, now).is_err());
    }
}
