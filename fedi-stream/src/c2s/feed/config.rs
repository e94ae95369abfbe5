//! Configuration and limits of a [`Feed`](super::Feed) and its [`Session`](super::Session)s.

use std::time::Duration;

use url::Url;

use crate::c2s::item::ItemId;

use super::format::{Encoding, Format};

/// Bounds of a [`Feed`](super::Feed)'s shared replay window.
///
/// The window holds the newest entries (each once, with its prepared encodings) for every
/// subscriber of the collection; it is the only memory that grows with traffic. When an append
/// would exceed a bound the oldest entries leave the window; the newest entry always stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FeedLimits {
    /// Most entries kept for replay. Default: [`FeedLimits::DEFAULT_MAX_ITEMS`] (1024).
    pub max_items: usize,
    /// Most bytes kept: payloads, their prepared encodings and ids.
    /// Default: [`FeedLimits::DEFAULT_MAX_BYTES`] (16 MiB).
    pub max_bytes: usize,
    /// Largest payload accepted by [`Feed::append`](super::Feed::append).
    /// Default: [`FeedLimits::DEFAULT_MAX_ENTRY_SIZE`] (1 MiB, the SSE decoder's default
    /// `max_event_size`, so a default client accepts every event).
    pub max_entry_size: usize,
}

impl FeedLimits {
    /// Default [`max_items`](Self::max_items).
    pub const DEFAULT_MAX_ITEMS: usize = 1024;
    /// Default [`max_bytes`](Self::max_bytes).
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;
    /// Default [`max_entry_size`](Self::max_entry_size).
    pub const DEFAULT_MAX_ENTRY_SIZE: usize = 1 << 20;

    /// The default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_items: Self::DEFAULT_MAX_ITEMS,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_entry_size: Self::DEFAULT_MAX_ENTRY_SIZE,
        }
    }

    /// Sets [`max_items`](Self::max_items).
    #[must_use]
    pub const fn with_max_items(mut self, items: usize) -> Self {
        self.max_items = items;
        self
    }

    /// Sets [`max_bytes`](Self::max_bytes).
    #[must_use]
    pub const fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets [`max_entry_size`](Self::max_entry_size).
    #[must_use]
    pub const fn with_max_entry_size(mut self, bytes: usize) -> Self {
        self.max_entry_size = bytes;
        self
    }
}

impl Default for FeedLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// How a [`Feed`](super::Feed) is set up: the collection it streams, the formats its
/// subscribers use, id assignment and limits.
///
/// ```
/// use fedi_stream::c2s::feed::{FeedConfig, FeedLimits, Format};
/// use url::Url;
///
/// let config = FeedConfig::new(Url::parse("https://example.com/users/alice/inbox")?)
///     .with_limits(FeedLimits::default().with_max_items(256));
/// assert!(config.serves(Format::Sse) && config.serves(Format::WebSocket));
/// assert!(!config.serves(Format::MastodonWebSocket));
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeedConfig {
    /// The collection endpoint, the base of catch-up URLs (`?min_id=`).
    pub collection: Url,
    /// Formats subscribers may use; each needs its encoding prepared once per entry.
    /// Default: C2S SSE and C2S WebSocket.
    pub formats: Vec<Format>,
    /// The `stream` array of Mastodon WebSocket frames (e.g. `["hashtag", "rust"]`).
    pub mastodon_stream: Vec<String>,
    /// Assign decimal ids to entries appended without one, counting up from this value
    /// (`None`: entries keep what they carry). The host must store the assigned id with the
    /// item so that `?min_id=` finds it. Default: `None`.
    pub assign_ids: Option<u64>,
    /// The id of the collection's newest item when the feed starts (from the host's storage),
    /// sent as the position of subscribers that have none. Default: `None`, or the number
    /// before the first assigned id when ids are assigned.
    pub start_position: Option<ItemId>,
    /// The window's limits.
    pub limits: FeedLimits,
}

impl FeedConfig {
    /// A C2S feed of `collection` (SSE and WebSocket subscribers), default limits.
    #[must_use]
    pub fn new(collection: Url) -> Self {
        Self {
            collection,
            formats: vec![Format::Sse, Format::WebSocket],
            mastodon_stream: Vec::new(),
            assign_ids: None,
            start_position: None,
            limits: FeedLimits::default(),
        }
    }

    /// A Mastodon feed (SSE and WebSocket subscribers) whose WebSocket frames carry `stream`.
    /// `timeline` is the REST timeline endpoint used as the catch-up base (Mastodon timelines
    /// accept `min_id`).
    #[must_use]
    pub fn mastodon(timeline: Url, stream: &[&str]) -> Self {
        Self {
            formats: vec![Format::MastodonSse, Format::MastodonWebSocket],
            mastodon_stream: stream.iter().map(|&part| part.to_owned()).collect(),
            ..Self::new(timeline)
        }
    }

    /// Sets the formats served.
    #[must_use]
    pub fn with_formats(mut self, formats: &[Format]) -> Self {
        self.formats = formats.to_vec();
        self
    }

    /// Sets [`assign_ids`](Self::assign_ids).
    #[must_use]
    pub fn with_assigned_ids(mut self, first: u64) -> Self {
        self.assign_ids = Some(first);
        self
    }

    /// Sets [`start_position`](Self::start_position).
    #[must_use]
    pub fn with_start_position(mut self, newest: ItemId) -> Self {
        self.start_position = Some(newest);
        self
    }

    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: FeedLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether subscribers may use `format`.
    #[must_use]
    pub fn serves(&self, format: Format) -> bool {
        self.formats.contains(&format)
    }

    pub(crate) fn encodings(&self) -> [bool; Encoding::COUNT] {
        let mut prepared = [false; Encoding::COUNT];
        for format in &self.formats {
            if let Some(slot) = prepared.get_mut(format.encoding().index()) {
                *slot = true;
            }
        }
        prepared
    }
}

/// How one [`Session`](super::Session) behaves: keep-alive, reconnection hint and the
/// subscriber's queue limit.
///
/// The queue of a subscriber is the part of the feed it has not taken yet. It costs no memory
/// of its own (the window is shared), but a subscriber further behind than these bounds is cut
/// off with a `catchUp` meta event (reason `slowConsumer`), and a reconnect that missed more
/// than this gets a catch-up instruction instead of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Send a keep-alive after this long without output. Default: 15 s (WHATWG suggests about
    /// 15 seconds; Mastodon sends `:thump` every 15 s).
    pub keep_alive: Duration,
    /// C2S SSE: a `retry:` field to send first (the client's reconnection delay). Default: none.
    pub retry: Option<Duration>,
    /// Most entries a subscriber may be behind. Default: [`SessionConfig::DEFAULT_MAX_QUEUE_ITEMS`] (512).
    pub max_queue_items: u64,
    /// Most payload bytes a subscriber may be behind.
    /// Default: [`SessionConfig::DEFAULT_MAX_QUEUE_BYTES`] (8 MiB).
    pub max_queue_bytes: u64,
}

impl SessionConfig {
    /// Default [`keep_alive`](Self::keep_alive).
    pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);
    /// Default [`max_queue_items`](Self::max_queue_items).
    pub const DEFAULT_MAX_QUEUE_ITEMS: u64 = 512;
    /// Default [`max_queue_bytes`](Self::max_queue_bytes).
    pub const DEFAULT_MAX_QUEUE_BYTES: u64 = 8 << 20;

    /// The defaults.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            keep_alive: Self::DEFAULT_KEEP_ALIVE,
            retry: None,
            max_queue_items: Self::DEFAULT_MAX_QUEUE_ITEMS,
            max_queue_bytes: Self::DEFAULT_MAX_QUEUE_BYTES,
        }
    }

    /// Sets [`keep_alive`](Self::keep_alive).
    #[must_use]
    pub const fn with_keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = interval;
        self
    }

    /// Sets [`retry`](Self::retry).
    #[must_use]
    pub const fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Sets both queue limits.
    #[must_use]
    pub const fn with_max_queue(mut self, items: u64, bytes: u64) -> Self {
        self.max_queue_items = items;
        self.max_queue_bytes = bytes;
        self
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self::new()
    }
}
