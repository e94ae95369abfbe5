//! The hub's indexes, laid out for memory: a paged slab of sessions, tenants by compact id,
//! users with their sessions inline, and instants as ticks of one clock.
//!
//! Per connected session the hub holds its [`Session`], a few `u32`s and one 8-byte deadline in
//! the slab, one key in its tenant's list, a 16-byte timer, and (per user) one map entry of
//! 56 bytes that holds up to one session inline; nothing is allocated for a presence that
//! has no activity text and nothing pending. The slab grows a page at a time, so it never
//! moves sessions and holds at most one page of unused slots.

use std::collections::HashMap;
use std::sync::Arc;
use web_time::{Duration, Instant};

use super::SessionKey;
use crate::message::{PresenceStatus, PresenceUpdate};
use crate::session::Session;

/// Slots per page of the slab.
const PAGE: usize = 128;

/// A tick that is never reached: "no deadline".
pub(super) const NEVER: u64 = u64::MAX;

/// Instants as nanoseconds since the first instant the hub was given: 8 bytes where an
/// `Instant` takes 16, exact to the nanosecond, for 584 years.
#[derive(Debug, Default)]
pub(super) struct Clock {
    epoch: Option<Instant>,
}

impl Clock {
    /// `at` in ticks. The first call sets the epoch, so it must be given the present (not a
    /// deadline); earlier instants (time must not go backwards) count as the epoch.
    pub(super) fn tick(&mut self, at: Instant) -> u64 {
        let epoch = *self.epoch.get_or_insert(at);
        nanos(at.saturating_duration_since(epoch))
    }

    /// The instant of a tick (`None` for [`NEVER`] or before any instant was given).
    pub(super) fn instant(&self, tick: u64) -> Option<Instant> {
        if tick == NEVER {
            return None;
        }
        self.epoch?.checked_add(Duration::from_nanos(tick))
    }
}

/// A duration in ticks (nanoseconds), saturating.
pub(super) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(NEVER - 1)
}

/// A session in the slab and what the hub knows about it.
pub(super) struct Entry {
    pub(super) session: Session,
    /// The tenant's id in [`Tenants`].
    pub(super) tenant: u32,
    /// Position of this key in its tenant's list, for O(1) removal.
    pub(super) tenant_pos: u32,
    /// The deadline this session has in the timer heap, in ticks, or [`NEVER`].
    pub(super) scheduled: u64,
}

pub(super) struct Slot {
    pub(super) generation: u32,
    pub(super) entry: Option<Entry>,
}

/// The sessions, in pages of [`PAGE`] slots that are allocated whole and never grow, with a
/// list of the free slots.
#[derive(Default)]
pub(super) struct Slab {
    pages: Vec<Vec<Slot>>,
    free: Vec<u32>,
    len: usize,
}

impl Slab {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn slot(&self, index: u32) -> Option<&Slot> {
        let index = index as usize;
        self.pages.get(index / PAGE)?.get(index % PAGE)
    }

    pub(super) fn slot_mut(&mut self, index: u32) -> Option<&mut Slot> {
        let index = index as usize;
        self.pages.get_mut(index / PAGE)?.get_mut(index % PAGE)
    }

    pub(super) fn get(&self, key: SessionKey) -> Option<&Entry> {
        self.slot(key.index)
            .filter(|s| s.generation == key.generation)
            .and_then(|s| s.entry.as_ref())
    }

    pub(super) fn get_mut(&mut self, key: SessionKey) -> Option<&mut Entry> {
        self.slot_mut(key.index)
            .filter(|s| s.generation == key.generation)
            .and_then(|s| s.entry.as_mut())
    }

    /// Stores `entry` in a free slot; `None` if the slab is at `u32` indexes.
    pub(super) fn insert(&mut self, entry: Entry) -> Option<SessionKey> {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let total = self.pages.len() * PAGE;
                let index = u32::try_from(total).ok()?;
                if index == u32::MAX {
                    return None;
                }
                let mut page = Vec::with_capacity(PAGE);
                // Every slot of a new page is free; the list hands out the lowest first.
                page.extend((0..PAGE).map(|_| Slot {
                    generation: 0,
                    entry: None,
                }));
                self.pages.push(page);
                self.free.reserve_exact(PAGE);
                self.free
                    .extend((1..PAGE as u32).rev().map(|offset| index + offset));
                index
            }
        };
        let slot = self.slot_mut(index)?;
        slot.entry = Some(entry);
        let generation = slot.generation;
        self.len += 1;
        Some(SessionKey { index, generation })
    }

    /// Takes the entry of `key` out, freeing its slot for another generation.
    pub(super) fn remove(&mut self, key: SessionKey) -> Option<Entry> {
        let slot = self
            .slot_mut(key.index)
            .filter(|s| s.generation == key.generation)?;
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        Some(entry)
    }

    /// Every open session with its key.
    pub(super) fn iter(&self) -> impl Iterator<Item = (SessionKey, &Entry)> {
        self.pages.iter().enumerate().flat_map(|(page, slots)| {
            slots.iter().enumerate().filter_map(move |(offset, slot)| {
                let index = u32::try_from(page * PAGE + offset).ok()?;
                let key = SessionKey {
                    index,
                    generation: slot.generation,
                };
                slot.entry.as_ref().map(|entry| (key, entry))
            })
        })
    }

    /// Heap bytes of the slab itself, from capacities (not the sessions' own heap).
    pub(super) fn heap_size(&self) -> usize {
        self.pages.capacity() * size_of::<Vec<Slot>>()
            + self
                .pages
                .iter()
                .map(|p| p.capacity() * size_of::<Slot>())
                .sum::<usize>()
            + self.free.capacity() * size_of::<u32>()
    }
}

/// A tenant: its name and its open sessions.
pub(super) struct Tenant {
    pub(super) name: Arc<str>,
    pub(super) sessions: Vec<SessionKey>,
}

/// Tenants by compact id (what a session's [`Entry`] holds), and by name.
#[derive(Default)]
pub(super) struct Tenants {
    ids: HashMap<Arc<str>, u32>,
    tenants: Vec<Option<Tenant>>,
    free: Vec<u32>,
}

impl Tenants {
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(super) fn sessions_on(&self, name: &str) -> &[SessionKey] {
        self.ids
            .get(name)
            .and_then(|id| self.get(*id))
            .map_or(&[], |t| &t.sessions)
    }

    pub(super) fn get(&self, id: u32) -> Option<&Tenant> {
        self.tenants.get(id as usize)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, id: u32) -> Option<&mut Tenant> {
        self.tenants.get_mut(id as usize)?.as_mut()
    }

    /// The id of `name`, registering it if it is new; `None` at `u32` ids.
    pub(super) fn id(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        let tenant = Tenant {
            name: Arc::from(name),
            sessions: Vec::new(),
        };
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                let id = u32::try_from(self.tenants.len()).ok()?;
                self.tenants.push(None);
                id
            }
        };
        self.ids.insert(tenant.name.clone(), id);
        *self.tenants.get_mut(id as usize)? = Some(tenant);
        Some(id)
    }

    /// Forgets tenant `id` if it has no session left.
    pub(super) fn remove_if_empty(&mut self, id: u32) {
        let Some(slot) = self.tenants.get_mut(id as usize) else {
            return;
        };
        if slot.as_ref().is_some_and(|t| t.sessions.is_empty())
            && let Some(tenant) = slot.take()
        {
            self.ids.remove(&tenant.name);
            self.free.push(id);
        }
    }

    pub(super) fn heap_size(&self) -> usize {
        let names: usize = self
            .tenants
            .iter()
            .flatten()
            .map(|t| 2 * size_of::<usize>() + t.name.len())
            .sum();
        let lists: usize = self
            .tenants
            .iter()
            .flatten()
            .map(|t| t.sessions.capacity() * size_of::<SessionKey>())
            .sum();
        names
            + lists
            + self.ids.capacity() * (size_of::<(Arc<str>, u32)>() + 1)
            + self.tenants.capacity() * size_of::<Option<Tenant>>()
            + self.free.capacity() * size_of::<u32>()
    }
}

/// A user's open sessions: one inline (the usual case), more in a slice of their exact size.
#[derive(Debug)]
pub(super) enum UserSessions {
    One(SessionKey),
    Many(Box<[SessionKey]>),
}

impl Default for UserSessions {
    fn default() -> Self {
        UserSessions::Many(Box::default())
    }
}

impl UserSessions {
    pub(super) fn as_slice(&self) -> &[SessionKey] {
        match self {
            UserSessions::One(key) => std::slice::from_ref(key),
            UserSessions::Many(keys) => keys,
        }
    }

    pub(super) fn push(&mut self, key: SessionKey) {
        *self = match self.as_slice() {
            [] => UserSessions::One(key),
            keys => UserSessions::Many(keys.iter().copied().chain([key]).collect()),
        };
    }

    pub(super) fn remove(&mut self, key: SessionKey) {
        let keys = self.as_slice();
        if !keys.contains(&key) {
            return;
        }
        let mut rest = keys.iter().copied().filter(|k| *k != key);
        *self = match (rest.next(), rest.next()) {
            (None, _) => UserSessions::default(),
            (Some(one), None) => UserSessions::One(one),
            (Some(first), Some(second)) => {
                UserSessions::Many([first, second].into_iter().chain(rest).collect())
            }
        };
    }

    fn heap_size(&self) -> usize {
        match self {
            UserSessions::One(_) => 0,
            UserSessions::Many(keys) => keys.len() * size_of::<SessionKey>(),
        }
    }
}

/// What a user has only now and then, boxed so that a user without any of it costs nothing.
#[derive(Debug, Default)]
struct Rare {
    /// The last status the user set.
    chosen: Option<PresenceUpdate>,
    /// A presence waiting for the throttle interval to end (the latest wins).
    pending: Option<PresenceUpdate>,
    /// The activity text of the last presence announced, if it had one.
    announced_activity: Option<String>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.chosen.is_none() && self.pending.is_none() && self.announced_activity.is_none()
    }
}

/// A user's sessions and presence: the last status they chose, the last presence announced
/// (to skip repeats) and the throttle of their broadcasts (at most one per interval, the
/// latest wins).
#[derive(Debug)]
pub(super) struct UserEntry {
    pub(super) sessions: UserSessions,
    /// When the last presence was broadcast, in ticks, or [`NEVER`].
    last_sent: u64,
    rare: Option<Box<Rare>>,
    /// The status of the last presence announced.
    announced: Option<PresenceStatus>,
}

impl Default for UserEntry {
    /// No session, nothing announced, never broadcast.
    fn default() -> Self {
        UserEntry {
            sessions: UserSessions::default(),
            last_sent: NEVER,
            rare: None,
            announced: None,
        }
    }
}

impl UserEntry {
    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Drops the box once it holds nothing.
    fn tidy(&mut self) {
        if self.rare.as_ref().is_some_and(|r| r.is_empty()) {
            self.rare = None;
        }
    }

    pub(super) fn chosen(&self) -> Option<&PresenceUpdate> {
        self.rare.as_ref()?.chosen.as_ref()
    }

    pub(super) fn set_chosen(&mut self, chosen: Option<PresenceUpdate>) {
        match chosen {
            Some(update) => self.rare_mut().chosen = Some(update),
            None => {
                if let Some(rare) = &mut self.rare {
                    rare.chosen = None;
                }
                self.tidy();
            }
        }
    }

    /// Whether `update` is the last presence announced.
    pub(super) fn is_announced(&self, update: &PresenceUpdate) -> bool {
        let activity = self
            .rare
            .as_ref()
            .and_then(|r| r.announced_activity.as_deref());
        self.announced == Some(update.status) && activity == update.activity.as_deref()
    }

    pub(super) fn set_announced(&mut self, update: &PresenceUpdate) {
        self.announced = Some(update.status);
        match &update.activity {
            Some(activity) => self.rare_mut().announced_activity = Some(activity.clone()),
            None => {
                if let Some(rare) = &mut self.rare {
                    rare.announced_activity = None;
                }
                self.tidy();
            }
        }
    }

    fn is_open(&self, interval: u64, now: u64) -> bool {
        self.last_sent == NEVER || now.saturating_sub(self.last_sent) >= interval
    }

    /// The throttle: `value` at once if the interval since the last broadcast is over (it
    /// is then the last broadcast), otherwise kept as the pending value.
    pub(super) fn offer(
        &mut self,
        value: PresenceUpdate,
        interval: u64,
        now: u64,
    ) -> Option<PresenceUpdate> {
        if self.is_open(interval, now) {
            self.last_sent = now;
            if let Some(rare) = &mut self.rare {
                rare.pending = None;
            }
            self.tidy();
            Some(value)
        } else {
            self.rare_mut().pending = Some(value);
            None
        }
    }

    /// When the pending value is due, if there is one.
    pub(super) fn due(&self, interval: u64) -> Option<u64> {
        self.rare.as_ref()?.pending.as_ref()?;
        self.quiet_until(interval)
    }

    /// The pending value, if it is due at `now`.
    pub(super) fn release(&mut self, interval: u64, now: u64) -> Option<PresenceUpdate> {
        if !self.has_pending() || !self.is_open(interval, now) {
            return None;
        }
        self.last_sent = now;
        let released = self.rare.as_mut().and_then(|r| r.pending.take());
        self.tidy();
        released
    }

    /// The end of the interval that started with the last broadcast, if any.
    pub(super) fn quiet_until(&self, interval: u64) -> Option<u64> {
        (self.last_sent != NEVER).then(|| self.last_sent.saturating_add(interval))
    }

    pub(super) fn has_pending(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.pending.is_some())
    }

    /// Heap bytes this entry owns, from capacities.
    pub(super) fn heap_size(&self) -> usize {
        let text = |u: &Option<PresenceUpdate>| {
            u.as_ref()
                .and_then(|u| u.activity.as_ref())
                .map_or(0, String::capacity)
        };
        self.sessions.heap_size()
            + self.rare.as_ref().map_or(0, |r| {
                size_of::<Rare>()
                    + text(&r.chosen)
                    + text(&r.pending)
                    + r.announced_activity.as_ref().map_or(0, String::capacity)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: u32) -> SessionKey {
        SessionKey {
            index,
            generation: 0,
        }
    }

    #[test]
    fn user_sessions_keep_their_order_and_their_exact_size() {
        let mut sessions = UserSessions::default();
        assert!(sessions.as_slice().is_empty());
        for i in 0..4 {
            sessions.push(key(i));
        }
        assert_eq!(sessions.as_slice(), &[key(0), key(1), key(2), key(3)]);
        sessions.remove(key(1));
        assert_eq!(sessions.as_slice(), &[key(0), key(2), key(3)]);
        sessions.remove(key(7));
        assert_eq!(sessions.as_slice().len(), 3);
        sessions.remove(key(0));
        sessions.remove(key(3));
        assert!(matches!(sessions, UserSessions::One(k) if k == key(2)));
        sessions.remove(key(2));
        assert!(sessions.as_slice().is_empty());
        assert_eq!(sessions.heap_size(), 0);
    }

    #[test]
    fn the_slab_reuses_slots_with_a_new_generation_and_grows_a_page_at_a_time() {
        let mut slab = Slab::default();
        let config = Arc::new(crate::session::SessionConfig::default());
        let now = Instant::now();
        let entry = |n: u32| Entry {
            session: Session::new(
                now,
                std::time::SystemTime::UNIX_EPOCH,
                config.clone(),
                format!("s{n}"),
                "u",
            ),
            tenant: 0,
            tenant_pos: n,
            scheduled: NEVER,
        };
        let keys: Vec<SessionKey> = (0..PAGE as u32 + 1)
            .map(|n| slab.insert(entry(n)).unwrap())
            .collect();
        assert_eq!(keys[0], key(0));
        assert_eq!(keys[PAGE], key(PAGE as u32));
        assert_eq!(slab.pages.len(), 2);
        assert_eq!(slab.len(), PAGE + 1);
        let removed = slab.remove(keys[3]).unwrap();
        assert_eq!(removed.tenant_pos, 3);
        assert!(slab.get(keys[3]).is_none());
        assert!(slab.remove(keys[3]).is_none());
        let again = slab.insert(entry(99)).unwrap();
        assert_eq!((again.index, again.generation), (3, 1));
        assert!(slab.get(keys[3]).is_none(), "a stale key stays stale");
        assert_eq!(slab.get(again).unwrap().tenant_pos, 99);
        assert_eq!(slab.iter().count(), PAGE + 1);
        assert!(slab.pages.iter().all(|p| p.capacity() == PAGE));
    }

    #[test]
    fn the_throttle_releases_one_value_per_interval_and_the_latest_wins() {
        let online = PresenceUpdate {
            status: PresenceStatus::Online,
            activity: None,
        };
        let busy = PresenceUpdate {
            status: PresenceStatus::Busy,
            activity: Some("writing".into()),
        };
        let mut user = UserEntry::default();
        assert_eq!(user.offer(online.clone(), 1000, 5), Some(online.clone()));
        assert_eq!(user.offer(busy.clone(), 1000, 500), None);
        assert!(user.has_pending());
        assert_eq!(user.due(1000), Some(1005));
        assert_eq!(user.release(1000, 900), None);
        assert_eq!(user.release(1000, 1005), Some(busy.clone()));
        assert!(!user.has_pending());
        assert!(user.rare.is_none(), "nothing rare is left");
        user.set_announced(&busy);
        assert!(user.is_announced(&busy));
        assert!(!user.is_announced(&online));
        user.set_announced(&online);
        assert!(user.is_announced(&online));
        assert!(user.rare.is_none());
        assert_eq!(user.quiet_until(1000), Some(2005));
    }

    #[test]
    fn ticks_round_trip_to_the_nanosecond() {
        let mut clock = Clock::default();
        let start = Instant::now();
        assert_eq!(clock.tick(start), 0);
        let later = start + Duration::new(90, 123);
        let tick = clock.tick(later);
        assert_eq!(tick, 90_000_000_123);
        assert_eq!(clock.instant(tick), Some(later));
        assert_eq!(clock.instant(NEVER), None);
        assert_eq!(clock.tick(start - Duration::from_secs(1)), 0);
    }
}
