//! The events of an ActivityPub client-to-server stream: `inbox`, `outbox` and `meta`, their
//! ids, and the mapping from a client's last id to the catch-up query `?min_id=`.
//!
//! ```text
//!  collection append ──▶ StreamEvent { kind: inbox|outbox, id: ItemId, data: Json (activity) }
//!  server status    ──▶ StreamEvent { kind: meta,        id: none,   data: Meta as Json }
//!
//!  SSE:        event: inbox            WebSocket: {"type":"inbox","id":"42","data":{…}}
//!              id: 42
//!              data: {"type":"Create",…}
//!
//!  last id N ──▶ catch_up_url(collection, N) = collection?min_id=N  (the items after N)
//! ```
//!
//! Decisions:
//! - The event `id` is the collection item's id, so `Last-Event-ID: N` and `?min_id=N` name
//!   the same position (streams go oldest first, collection pages newest first).
//! - `meta` events have no id: a status never moves the client's resume position.
//! - Payloads are [`Json`] objects validated once and shared as bytes; the streaming path never
//!   re-parses them.

mod catch_up;
mod error;
mod id;
mod json;
mod meta;

use std::fmt;

use activitystreams_core::{Object, ParseError, WriteError};

pub use catch_up::{CatchUp, CatchUpReason, CursorQuery, MAX_ID, MIN_ID, SINCE_ID, catch_up_url};
pub use error::{IdError, JsonError};
pub use id::ItemId;
pub use json::Json;
pub(crate) use json::kind_name as json_kind_name;
pub use meta::Meta;

/// The collection an event belongs to: its SSE `event:` name and WebSocket `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventKind {
    /// An item was added to the actor's inbox.
    Inbox,
    /// An item was added to the actor's outbox.
    Outbox,
    /// Server status ([`Meta`]), not a collection item.
    Meta,
}

impl EventKind {
    /// The wire name: `inbox`, `outbox` or `meta`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inbox => "inbox",
            Self::Outbox => "outbox",
            Self::Meta => "meta",
        }
    }

    /// The kind named `name`, if it is one of the three.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "inbox" => Some(Self::Inbox),
            "outbox" => Some(Self::Outbox),
            "meta" => Some(Self::Meta),
            _ => None,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of a C2S stream: a collection item (`inbox`/`outbox`, with its item id) or a
/// server status (`meta`, without id).
///
/// ```
/// use fedi_stream::c2s::item::{EventKind, ItemId, Json, Meta, StreamEvent};
///
/// let create = Json::from_bytes(r#"{"type":"Create","object":{"type":"Note","content":"hi"}}"#)?;
/// let event = StreamEvent::inbox(ItemId::new("42")?, create);
/// assert_eq!((event.kind(), event.id().map(ItemId::as_str)), (EventKind::Inbox, Some("42")));
///
/// let status = StreamEvent::meta(&Meta::Notice { message: "maintenance at 02:00".into() });
/// assert_eq!(status.id(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamEvent {
    kind: EventKind,
    id: Option<ItemId>,
    data: Json,
}

impl StreamEvent {
    /// An item added to the inbox: `activity` as stored in the collection, under item id `id`.
    #[must_use]
    pub fn inbox(id: ItemId, activity: Json) -> Self {
        Self {
            kind: EventKind::Inbox,
            id: Some(id),
            data: activity,
        }
    }

    /// An item added to the outbox.
    #[must_use]
    pub fn outbox(id: ItemId, activity: Json) -> Self {
        Self {
            kind: EventKind::Outbox,
            id: Some(id),
            data: activity,
        }
    }

    /// A collection item from a typed AS2 activity (written once, here).
    ///
    /// # Errors
    /// The [`WriteError`] of writing `activity` (values nested beyond the AS2 depth limit).
    ///
    /// ```
    /// use activitystreams_core::{Kind, ObjectBuilder, PUBLIC};
    /// use fedi_stream::c2s::item::{EventKind, ItemId, StreamEvent};
    ///
    /// let note = ObjectBuilder::new(Kind::Note).content("hi").to(PUBLIC).build();
    /// let create = ObjectBuilder::new(Kind::Create).context().actor("https://example.net/bob").object(note).build();
    /// let event = StreamEvent::from_activity(EventKind::Inbox, ItemId::new("7")?, &create)?;
    /// assert_eq!(event.activity()?.actor_id(), Some("https://example.net/bob"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_activity(
        kind: EventKind,
        id: ItemId,
        activity: &Object<'_>,
    ) -> Result<Self, WriteError> {
        Ok(Self {
            kind,
            id: Some(id),
            data: Json::from_object(activity)?,
        })
    }

    /// The data as a typed AS2 object (borrowing from the event's bytes).
    ///
    /// # Errors
    /// The [`ParseError`] of [`Object::from_slice`].
    pub fn activity(&self) -> Result<Object<'_>, ParseError> {
        self.data.to_object()
    }

    /// A server status.
    #[must_use]
    pub fn meta(meta: &Meta) -> Self {
        Self {
            kind: EventKind::Meta,
            id: None,
            data: meta.to_json(),
        }
    }

    /// An event as received from a peer: any kind, with or without id.
    #[must_use]
    pub fn from_parts(kind: EventKind, id: Option<ItemId>, data: Json) -> Self {
        Self { kind, id, data }
    }

    /// The collection (or `meta`).
    #[must_use]
    pub const fn kind(&self) -> EventKind {
        self.kind
    }

    /// The item id; `None` for `meta` events.
    #[must_use]
    pub fn id(&self) -> Option<&ItemId> {
        self.id.as_ref()
    }

    /// The data: the activity (or the meta status) as JSON.
    #[must_use]
    pub fn data(&self) -> &Json {
        &self.data
    }

    /// The status of a `meta` event; `None` for collection items.
    #[must_use]
    pub fn as_meta(&self) -> Option<Meta> {
        (self.kind == EventKind::Meta).then(|| Meta::from_json(&self.data))
    }

    /// Splits the event into kind, id and data.
    #[must_use]
    pub fn into_parts(self) -> (EventKind, Option<ItemId>, Json) {
        (self.kind, self.id, self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in [EventKind::Inbox, EventKind::Outbox, EventKind::Meta] {
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::from_name("Inbox"), None);
        assert_eq!(EventKind::from_name("message"), None);
    }

    #[test]
    fn meta_events_carry_their_status() {
        let meta = Meta::Notice {
            message: "hello".into(),
        };
        assert_eq!(StreamEvent::meta(&meta).as_meta(), Some(meta));
        let item = StreamEvent::outbox(ItemId::new("1").unwrap(), Json::from_bytes("{}").unwrap());
        assert_eq!(item.as_meta(), None);
    }
}
