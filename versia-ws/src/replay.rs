//! Replay protection: a bounded memory of the signatures accepted inside the time window.
//!
//! A signature is remembered until its `signed_at` leaves the window (`signed_at + max_skew`);
//! after that the window check refuses the message anyway, so the entry can go. The cache never
//! forgets an entry early: when it is full of entries that are still live, a new signature is
//! refused with [`ReplayError::Full`] (backpressure) instead of weakening the protection.
//! Size it for `rate × window`: the defaults (16 384 entries, a 300 s skew, both directions)
//! hold a sustained 25 messages per second, which is the connection's default rate limit.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use web_time::SystemTime;

use crate::clock::unix_seconds_saturating;
use crate::signature::{DEFAULT_MAX_SKEW_SECS, Signature};

/// Default number of signatures remembered.
pub const DEFAULT_REPLAY_CAPACITY: usize = 16_384;

/// Why a signature was refused by the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The signature was seen before and is still inside the window.
    #[error("signature already seen inside the time window (replay)")]
    Replayed,
    /// The cache holds `capacity` live signatures (limit `ReplayCache::capacity`).
    #[error("replay cache is full ({capacity} live signatures); refusing rather than forgetting")]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
}

/// The memory of accepted signatures. The wall clock is passed in as a [`SystemTime`] and read
/// with [`unix_seconds_saturating`], as the verifiers read it: a clock before 1970 counts as
/// 0 (nothing expires), one past [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS) as that
/// limit (everything signed before it expires, and the window check refuses those messages
/// at that clock anyway).
#[derive(Debug, Clone)]
pub struct ReplayCache {
    capacity: usize,
    max_skew: u64,
    seen: HashSet<Signature>,
    expiries: BinaryHeap<Reverse<(u64, [u8; 64])>>,
}

impl Default for ReplayCache {
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_CAPACITY, DEFAULT_MAX_SKEW_SECS)
    }
}

impl ReplayCache {
    /// A cache of `capacity` signatures for a window of `max_skew` seconds each way.
    pub fn new(capacity: usize, max_skew: u64) -> Self {
        Self {
            capacity,
            max_skew,
            seen: HashSet::new(),
            expiries: BinaryHeap::new(),
        }
    }

    /// The most signatures remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Signatures currently remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Forgets every signature whose window closed before the wall clock `wall`.
    pub fn expire(&mut self, wall: SystemTime) {
        self.expire_at(unix_seconds_saturating(wall));
    }

    /// [`ReplayCache::expire`] at `now`, unix seconds.
    fn expire_at(&mut self, now: u64) {
        while let Some(Reverse((expiry, bytes))) = self.expiries.peek() {
            if *expiry >= now {
                break;
            }
            self.seen.remove(&Signature::from_bytes(*bytes));
            self.expiries.pop();
        }
    }

    /// Whether `signature` would be accepted at the wall clock `wall` (not seen, room left),
    /// without recording it. Expires what closed before `wall` first.
    pub fn check(&mut self, signature: &Signature, wall: SystemTime) -> Result<(), ReplayError> {
        self.check_at(signature, unix_seconds_saturating(wall))
    }

    /// [`ReplayCache::check`] at `now`, unix seconds.
    pub(crate) fn check_at(&mut self, signature: &Signature, now: u64) -> Result<(), ReplayError> {
        self.expire_at(now);
        if self.seen.contains(signature) {
            return Err(ReplayError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(ReplayError::Full {
                capacity: self.capacity,
            });
        }
        Ok(())
    }

    /// Records a signature accepted at the wall clock `wall` (after verification succeeded),
    /// remembering it until its `signed_at` (unix seconds, the message's) leaves the window;
    /// or refuses it, recording nothing.
    pub fn insert(
        &mut self,
        signature: &Signature,
        signed_at: u64,
        wall: SystemTime,
    ) -> Result<(), ReplayError> {
        self.insert_at(signature, signed_at, unix_seconds_saturating(wall))
    }

    /// [`ReplayCache::insert`] at `now`, unix seconds.
    pub(crate) fn insert_at(
        &mut self,
        signature: &Signature,
        signed_at: u64,
        now: u64,
    ) -> Result<(), ReplayError> {
        self.check_at(signature, now)?;
        self.seen.insert(*signature);
        self.expiries.push(Reverse((
            signed_at.saturating_add(self.max_skew),
            signature.to_bytes(),
        )));
        Ok(())
    }
}

/// Access to a [`ReplayCache`], owned or shared.
///
/// A connection owns its cache by default. A host running several connections per peer can
/// share one cache among them (and its upgrade handling) so a frame captured on one connection
/// cannot be replayed on another: `Rc<RefCell<ReplayCache>>` for single-threaded hosts,
/// `Arc<Mutex<ReplayCache>>` otherwise.
pub trait ReplayGuard {
    /// Runs `action` on the cache.
    fn with_cache<T>(&mut self, action: impl FnOnce(&mut ReplayCache) -> T) -> T;
}

impl ReplayGuard for ReplayCache {
    fn with_cache<T>(&mut self, action: impl FnOnce(&mut ReplayCache) -> T) -> T {
        action(self)
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for &mut G {
    fn with_cache<T>(&mut self, action: impl FnOnce(&mut ReplayCache) -> T) -> T {
        (**self).with_cache(action)
    }
}

impl ReplayGuard for std::rc::Rc<std::cell::RefCell<ReplayCache>> {
    fn with_cache<T>(&mut self, action: impl FnOnce(&mut ReplayCache) -> T) -> T {
        action(&mut self.borrow_mut())
    }
}

impl ReplayGuard for std::sync::Arc<std::sync::Mutex<ReplayCache>> {
    fn with_cache<T>(&mut self, action: impl FnOnce(&mut ReplayCache) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update; the cache's
        // invariants hold between calls, so keep using it.
        let mut cache = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        action(&mut cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MAX_UNIX_SECONDS;
    use std::time::{Duration, UNIX_EPOCH};

    /// The wall clock at `unix` seconds.
    fn wall(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    fn signature(tag: u8) -> Signature {
        Signature::from_bytes([tag; 64])
    }

    #[test]
    fn replay_inside_window_then_forgotten() {
        let mut cache = ReplayCache::new(4, 300);
        cache.insert(&signature(1), 1000, wall(1000)).unwrap();
        assert_eq!(
            cache.insert(&signature(1), 1000, wall(1200)),
            Err(ReplayError::Replayed)
        );
        // At 1300 the message is still inside the window (inclusive) and still remembered.
        assert_eq!(
            cache.check(&signature(1), wall(1300)),
            Err(ReplayError::Replayed)
        );
        // At 1301 the window check would refuse it; the cache forgets it.
        assert_eq!(cache.check(&signature(1), wall(1301)), Ok(()));
        assert!(cache.is_empty());
    }

    #[test]
    fn full_cache_refuses_instead_of_forgetting() {
        let mut cache = ReplayCache::new(2, 300);
        cache.insert(&signature(1), 1000, wall(1000)).unwrap();
        cache.insert(&signature(2), 1000, wall(1000)).unwrap();
        assert_eq!(
            cache.insert(&signature(3), 1000, wall(1000)),
            Err(ReplayError::Full { capacity: 2 })
        );
        assert_eq!(
            cache.insert(&signature(1), 1000, wall(1000)),
            Err(ReplayError::Replayed)
        );
        cache.insert(&signature(3), 1400, wall(1400)).unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn shared_guards_see_the_same_cache() {
        let shared = std::rc::Rc::new(std::cell::RefCell::new(ReplayCache::default()));
        let mut first = shared.clone();
        let mut second = shared.clone();
        first
            .with_cache(|cache| cache.insert(&signature(9), 10, wall(10)))
            .unwrap();
        assert_eq!(
            second.with_cache(|cache| cache.check(&signature(9), wall(10))),
            Err(ReplayError::Replayed)
        );
        let mut locked = std::sync::Arc::new(std::sync::Mutex::new(ReplayCache::default()));
        locked
            .with_cache(|cache| cache.insert(&signature(9), 10, wall(10)))
            .unwrap();
        assert_eq!(locked.with_cache(|cache| cache.len()), 1);
    }

    #[test]
    fn future_signatures_live_longer() {
        let mut cache = ReplayCache::new(8, 300);
        cache.insert(&signature(1), 1300, wall(1000)).unwrap();
        assert_eq!(
            cache.check(&signature(1), wall(1600)),
            Err(ReplayError::Replayed)
        );
        assert_eq!(cache.check(&signature(1), wall(1601)), Ok(()));
    }

    #[test]
    fn unusable_wall_clocks_are_clamped() {
        let mut cache = ReplayCache::new(8, 300);
        cache.insert(&signature(1), 200, wall(100)).unwrap();
        // Before the epoch counts as 0: nothing has expired, the replay is still refused.
        let before_epoch = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(
            cache.check(&signature(1), before_epoch),
            Err(ReplayError::Replayed)
        );
        cache.insert(&signature(2), 0, before_epoch).unwrap();
        assert_eq!(cache.len(), 2);
        // Past the limit counts as the limit: every window has closed.
        let far_future = wall(MAX_UNIX_SECONDS) + Duration::from_secs(1_000);
        cache.expire(far_future);
        assert!(cache.is_empty());
        // A signature whose window reaches the limit is still remembered there.
        cache
            .insert(&signature(3), MAX_UNIX_SECONDS, far_future)
            .unwrap();
        assert_eq!(
            cache.check(&signature(3), far_future),
            Err(ReplayError::Replayed)
        );
    }
}
