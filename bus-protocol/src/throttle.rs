//! A coalescing throttle: at most one value per interval, and the latest value wins.
//!
//! Used for presence ("max 1 per second per user"). A value offered inside the interval is not
//! dropped: it replaces any earlier pending one and is released when the interval ends, so
//! watchers always end up with the final state.

use web_time::{Duration, Instant};

/// The state of one throttled stream of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle<T> {
    last_sent: Option<Instant>,
    pending: Option<T>,
}

impl<T> Default for Throttle<T> {
    fn default() -> Self {
        Throttle {
            last_sent: None,
            pending: None,
        }
    }
}

impl<T> Throttle<T> {
    /// A throttle that lets the first value through at once.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers `value` at `now`: returns it when the interval since the last release has passed
    /// (and drops any pending value), otherwise keeps it as the pending value and returns `None`.
    pub fn offer(&mut self, value: T, interval: Duration, now: Instant) -> Option<T> {
        if self.is_open(interval, now) {
            self.last_sent = Some(now);
            self.pending = None;
            Some(value)
        } else {
            self.pending = Some(value);
            None
        }
    }

    /// When the pending value becomes due; `None` when nothing is pending.
    #[must_use]
    pub fn poll_timeout(&self, interval: Duration) -> Option<Instant> {
        self.pending.as_ref()?;
        self.last_sent.and_then(|last| last.checked_add(interval))
    }

    /// Releases the pending value if it is due at `now`.
    pub fn handle_timeout(&mut self, interval: Duration, now: Instant) -> Option<T> {
        if self.pending.is_some() && self.is_open(interval, now) {
            self.last_sent = Some(now);
            self.pending.take()
        } else {
            None
        }
    }

    /// When the interval that started with the last release ends (a value offered from then on
    /// passes at once); `None` before the first release.
    #[must_use]
    pub fn quiet_until(&self, interval: Duration) -> Option<Instant> {
        self.last_sent.and_then(|last| last.checked_add(interval))
    }

    /// Whether a value is waiting.
    #[must_use]
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    fn is_open(&self, interval: Duration, now: Instant) -> bool {
        match self.last_sent {
            None => true,
            Some(last) => now.saturating_duration_since(last) >= interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_interval_and_the_last_value_wins() {
        let second = Duration::from_secs(1);
        let t0 = Instant::now();
        let mut t = Throttle::new();
        assert_eq!(t.offer("online", second, t0), Some("online"));
        assert_eq!(
            t.offer("busy", second, t0 + Duration::from_millis(200)),
            None
        );
        assert_eq!(
            t.offer("away", second, t0 + Duration::from_millis(400)),
            None
        );
        assert_eq!(t.poll_timeout(second), Some(t0 + second));
        assert_eq!(
            t.handle_timeout(second, t0 + Duration::from_millis(999)),
            None
        );
        assert_eq!(t.handle_timeout(second, t0 + second), Some("away"));
        assert_eq!(t.poll_timeout(second), None);
        // The release restarted the interval.
        assert_eq!(
            t.offer("online", second, t0 + Duration::from_millis(1500)),
            None
        );
        assert_eq!(t.offer("online", second, t0 + 2 * second), Some("online"));
        assert!(!t.has_pending());
    }
}
