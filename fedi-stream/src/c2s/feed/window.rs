//! [`Feed`]: the shared, bounded replay window of one collection.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use crate::c2s::item::{ItemId, Meta};

use super::config::FeedConfig;
use super::entry::Entry;
use super::error::AppendError;
use super::format::Encoding;

/// Fixed bytes counted per entry for its bookkeeping, so that tiny entries still count.
const ENTRY_OVERHEAD: usize = 64;

/// One entry of the window, encoded once for every prepared encoding.
#[derive(Debug)]
pub(super) struct Item {
    pub(super) id: Option<ItemId>,
    pub(super) live_only: bool,
    pub(super) meta: bool,
    /// Payload bytes of every entry appended before this one (for queue byte counts).
    pub(super) bytes_before: u64,
    /// Bytes this item holds, counted against `FeedLimits::max_bytes`.
    size: usize,
    pub(super) wire: [Option<Bytes>; Encoding::COUNT],
}

/// Where an appended entry landed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Appended {
    /// Its position in the feed (counts every entry ever appended, from 0).
    pub seq: u64,
    /// Its item id (carried or assigned), if any.
    pub id: Option<ItemId>,
    /// How many old entries left the window to make room.
    pub evicted: usize,
}

/// The live feed of one collection (an actor's inbox, outbox, a Mastodon timeline): the newest
/// entries in a bounded replay window shared by every subscriber, each encoded once per wire
/// format and handed to subscribers as shared bytes.
///
/// A feed does not know its subscribers. Each subscriber is a [`Session`](super::Session)
/// holding a position in the feed; polling a session clones the next entry's bytes (a pointer
/// copy). So a subscriber costs constant memory however far behind it is, and the feed's memory
/// is bounded by [`FeedLimits`](super::FeedLimits) whatever the subscribers do.
///
/// # Use
/// The host appends what the collection gains ([`append`](Self::append)) and statuses
/// ([`publish_meta`](Self::publish_meta)), then wakes the sessions of this feed (any session
/// with [`Session::has_pending`](super::Session::has_pending) has output). A multi-threaded host
/// keeps the feed behind a lock; sessions only need `&Feed`, so a read lock suffices for polling.
#[derive(Debug)]
pub struct Feed {
    config: FeedConfig,
    prepared: [bool; Encoding::COUNT],
    items: VecDeque<Item>,
    /// Sequence number of `items[0]`.
    first_seq: u64,
    index: HashMap<ItemId, u64>,
    bytes: usize,
    /// Payload bytes of every entry ever appended.
    payload_total: u64,
    next_assigned: Option<u64>,
    /// The newest item id ever appended (or the configured start position).
    last_id: Option<ItemId>,
    /// The position before the first entry: the configured start position, or the number
    /// before the first assigned id.
    start: Option<ItemId>,
}

impl Feed {
    /// An empty feed.
    #[must_use]
    pub fn new(config: FeedConfig) -> Self {
        let before_first = config
            .assign_ids
            .and_then(|first| first.checked_sub(1))
            .and_then(|n| ItemId::new(&n.to_string()).ok());
        Self {
            prepared: config.encodings(),
            next_assigned: config.assign_ids,
            last_id: config.start_position.clone().or(before_first.clone()),
            start: config.start_position.clone().or(before_first),
            config,
            items: VecDeque::new(),
            first_seq: 0,
            index: HashMap::new(),
            bytes: 0,
            payload_total: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &FeedConfig {
        &self.config
    }

    /// Appends an entry for every subscriber: assigns an id if configured, encodes it once per
    /// prepared format, and evicts the oldest entries beyond the limits.
    ///
    /// # Errors
    /// [`AppendError::EntryTooLarge`] beyond
    /// [`FeedLimits::max_entry_size`](super::FeedLimits::max_entry_size), and
    /// [`AppendError::DuplicateId`] if an entry with the same id is still in the window.
    /// Nothing is appended then.
    pub fn append(&mut self, entry: impl Into<Entry>) -> Result<Appended, AppendError> {
        let mut entry = entry.into();
        let payload_len = entry.payload().len();
        if payload_len > self.config.limits.max_entry_size {
            return Err(AppendError::EntryTooLarge {
                size: payload_len,
                max: self.config.limits.max_entry_size,
            });
        }
        if let Some(id) = entry.id()
            && self.index.contains_key(id)
        {
            return Err(AppendError::DuplicateId { id: id.clone() });
        }
        if entry.id().is_none()
            && !entry.is_live_only()
            && let Some(next) = self.next_assigned
        {
            let id = self.assign_id(next);
            entry.set_id(id);
        }

        let mut wire: [Option<Bytes>; Encoding::COUNT] = Default::default();
        let mut size = ENTRY_OVERHEAD + payload_len + entry.id().map_or(0, |id| id.as_str().len());
        for encoding in [
            Encoding::Sse,
            Encoding::C2sWebSocket,
            Encoding::MastodonWebSocket,
        ] {
            if self.prepared.get(encoding.index()) == Some(&true)
                && let Some(slot) = wire.get_mut(encoding.index())
            {
                *slot = encoding.encode(&entry, &self.config.mastodon_stream);
                size += slot.as_ref().map_or(0, Bytes::len);
            }
        }

        let seq = self.head();
        let id = entry.id().cloned();
        if let Some(id) = &id {
            self.index.insert(id.clone(), seq);
            self.last_id = Some(id.clone());
        }
        self.items.push_back(Item {
            id: id.clone(),
            live_only: entry.is_live_only(),
            meta: entry.is_meta(),
            bytes_before: self.payload_total,
            size,
            wire,
        });
        self.payload_total += payload_len as u64;
        self.bytes += size;
        let evicted = self.evict();
        Ok(Appended { seq, id, evicted })
    }

    /// Appends a `meta` status for the current subscribers (not replayed, never numbered, not
    /// sent on Mastodon formats), e.g. a restart warning.
    ///
    /// # Errors
    /// [`AppendError::EntryTooLarge`] if the status is larger than the entry limit.
    pub fn publish_meta(&mut self, meta: &Meta) -> Result<Appended, AppendError> {
        self.append(Entry::meta(meta))
    }

    fn assign_id(&mut self, mut next: u64) -> ItemId {
        // Skip numbers already used by carried ids still in the window.
        loop {
            let text = next.to_string();
            next = next.wrapping_add(1);
            if !self.index.contains_key(text.as_str())
                && let Ok(id) = ItemId::new(&text)
            {
                self.next_assigned = Some(next);
                return id;
            }
        }
    }

    fn evict(&mut self) -> usize {
        let limits = self.config.limits;
        let mut evicted = 0;
        while self.items.len() > 1
            && (self.items.len() > limits.max_items || self.bytes > limits.max_bytes)
        {
            let Some(item) = self.items.pop_front() else {
                break;
            };
            if let Some(id) = &item.id {
                self.index.remove(id);
            }
            self.bytes -= item.size;
            self.first_seq += 1;
            evicted += 1;
        }
        evicted
    }

    /// The sequence number the next appended entry gets: a session whose position is below it
    /// has entries to send.
    #[must_use]
    pub fn head(&self) -> u64 {
        self.first_seq + self.items.len() as u64
    }

    /// The sequence number of the oldest entry still in the window.
    #[must_use]
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Entries in the window.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the window is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Bytes held by the window (payloads, encodings, ids and a fixed overhead per entry), at
    /// most [`FeedLimits::max_bytes`](super::FeedLimits::max_bytes) unless a single entry is
    /// larger.
    #[must_use]
    pub fn window_bytes(&self) -> usize {
        self.bytes
    }

    /// The position of item `id` if it is still in the window.
    #[must_use]
    pub fn position(&self, id: &str) -> Option<u64> {
        self.index.get(id).copied()
    }

    /// The feed's position: the id of the newest item ever appended (even if it left the
    /// window), or the configured start position. Subscribers without a last id are sent it.
    #[must_use]
    pub fn last_id(&self) -> Option<&ItemId> {
        self.last_id.as_ref()
    }

    /// Where a subscriber resuming from the start position (`id`) continues: the first entry,
    /// while the window still holds every entry appended since the start; `None` otherwise.
    pub(super) fn after_start(&self, id: &ItemId) -> Option<u64> {
        (self.first_seq == 0 && self.start.as_ref() == Some(id)).then_some(0)
    }

    /// Whether sessions in `format` can be served.
    #[must_use]
    pub fn serves(&self, format: super::Format) -> bool {
        self.config.serves(format)
    }

    pub(super) fn item(&self, seq: u64) -> Option<&Item> {
        let offset = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.items.get(offset)
    }

    /// Payload bytes of every entry ever appended.
    pub(super) fn payload_total(&self) -> u64 {
        self.payload_total
    }

    /// Payload bytes appended at and after `seq` (what a subscriber at `seq` has yet to take).
    pub(super) fn payload_bytes_from(&self, seq: u64) -> u64 {
        self.item(seq).map_or(0, |item| {
            self.payload_total.saturating_sub(item.bytes_before)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c2s::feed::{FeedLimits, Format};
    use crate::c2s::item::{EventKind, Json};

    fn config() -> FeedConfig {
        FeedConfig::new(url::Url::parse("https://h.example/inbox").unwrap())
    }

    fn item(id: Option<&str>) -> Entry {
        Entry::item(
            EventKind::Inbox,
            id.map(|id| ItemId::new(id).unwrap()),
            Json::from_bytes(r#"{"type":"Note"}"#).unwrap(),
        )
    }

    #[test]
    fn window_keeps_the_newest_items() {
        let mut feed = Feed::new(config().with_limits(FeedLimits::default().with_max_items(3)));
        for n in 0..5 {
            feed.append(item(Some(&n.to_string()))).unwrap();
        }
        assert_eq!((feed.first_seq(), feed.head(), feed.len()), (2, 5, 3));
        assert_eq!(feed.position("1"), None);
        assert_eq!(feed.position("2"), Some(2));
        assert_eq!(feed.last_id().unwrap(), "4");
    }

    #[test]
    fn byte_limit_evicts_but_keeps_the_newest() {
        let mut feed = Feed::new(config().with_limits(FeedLimits::default().with_max_bytes(1)));
        for n in 0..3 {
            let appended = feed.append(item(Some(&n.to_string()))).unwrap();
            assert_eq!(appended.evicted, usize::from(n > 0));
        }
        assert_eq!(feed.len(), 1);
        assert!(feed.window_bytes() > 1);
    }

    #[test]
    fn refuses_duplicates_and_oversized_entries() {
        let mut feed =
            Feed::new(config().with_limits(FeedLimits::default().with_max_entry_size(15)));
        feed.append(item(Some("a"))).unwrap();
        assert_eq!(
            feed.append(item(Some("a"))),
            Err(AppendError::DuplicateId {
                id: ItemId::new("a").unwrap()
            })
        );
        let big = Entry::item(
            EventKind::Inbox,
            None,
            Json::from_bytes(r#"{"a":"123456789"}"#).unwrap(),
        );
        assert_eq!(
            feed.append(big),
            Err(AppendError::EntryTooLarge { size: 17, max: 15 })
        );
        assert_eq!(feed.len(), 1);
    }

    #[test]
    fn assigns_decimal_ids_skipping_carried_ones() {
        let mut feed = Feed::new(config().with_assigned_ids(7));
        assert_eq!(
            feed.last_id().unwrap(),
            "6",
            "the position before the first id"
        );
        assert_eq!(feed.append(item(None)).unwrap().id.unwrap(), "7");
        feed.append(item(Some("8"))).unwrap();
        assert_eq!(feed.append(item(None)).unwrap().id.unwrap(), "9");
        let meta = feed
            .publish_meta(&Meta::Notice {
                message: "x".into(),
            })
            .unwrap();
        assert_eq!(meta.id, None);
    }

    #[test]
    fn prepares_only_the_configured_encodings() {
        let mut feed = Feed::new(config().with_formats(&[Format::WebSocket]));
        feed.append(item(Some("1"))).unwrap();
        let wire = &feed.item(0).unwrap().wire;
        assert!(wire[Encoding::Sse.index()].is_none());
        assert!(wire[Encoding::C2sWebSocket.index()].is_some());
    }
}
