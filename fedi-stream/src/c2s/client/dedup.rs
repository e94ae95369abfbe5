//! [`Dedup`]: a bounded memory of the item ids already delivered.

use std::collections::{HashSet, VecDeque};

use crate::c2s::item::ItemId;

/// Remembers the last `capacity` item ids delivered, to drop items a server replays twice
/// (after a reconnect, or when a catch-up fetch overlaps the live stream).
///
/// Memory is bounded: beyond `capacity` the oldest id is forgotten (so a duplicate older than
/// the last `capacity` items would pass; size it above the server's replay window).
///
/// ```
/// use fedi_stream::c2s::client::Dedup;
/// use fedi_stream::c2s::item::ItemId;
///
/// let mut seen = Dedup::new(2);
/// let [a, b, c] = ["a", "b", "c"].map(|id| ItemId::new(id).unwrap());
/// assert!(seen.insert(&a) && seen.insert(&b));
/// assert!(!seen.insert(&a)); // a repeat
/// assert!(seen.insert(&c)); // forgets "a"
/// assert!(seen.insert(&a));
/// ```
#[derive(Debug, Clone)]
pub struct Dedup {
    capacity: usize,
    order: VecDeque<ItemId>,
    set: HashSet<ItemId>,
}

impl Dedup {
    /// Default capacity: twice the server's default replay window.
    pub const DEFAULT_CAPACITY: usize = 2048;

    /// Remembers up to `capacity` ids (0 disables de-duplication).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            order: VecDeque::new(),
            set: HashSet::new(),
        }
    }

    /// Records `id`; returns `false` if it was already remembered (a duplicate).
    pub fn insert(&mut self, id: &ItemId) -> bool {
        if self.capacity == 0 {
            return true;
        }
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        self.order.push_back(id.clone());
        self.set.insert(id.clone());
        true
    }

    /// Whether `id` is remembered.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// Ids remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nothing is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl Default for Dedup {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_capacity() {
        let mut seen = Dedup::new(3);
        for n in 0..100 {
            assert!(seen.insert(&ItemId::new(&n.to_string()).unwrap()));
            assert!(seen.len() <= 3);
        }
        assert!(seen.contains("99") && !seen.contains("96"));
        let mut off = Dedup::new(0);
        let id = ItemId::new("x").unwrap();
        assert!(off.insert(&id) && off.insert(&id));
    }
}
