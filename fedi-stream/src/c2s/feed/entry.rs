//! [`Entry`]: one thing appended to a [`Feed`](super::Feed), in a wire-neutral form.

use std::borrow::Cow;

use bytes::Bytes;

use crate::c2s::item::{EventKind, ItemId, Json, Meta, StreamEvent};

use super::error::AppendError;

/// The payload of an [`Entry`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Payload {
    /// A JSON object (an activity, a Mastodon entity, a meta status). Embedded as JSON in
    /// WebSocket envelopes.
    Json(Json),
    /// Plain UTF-8 text (a Mastodon `delete` payload is a bare status id). Embedded as a JSON
    /// string in WebSocket envelopes.
    Text(Bytes),
    /// No payload (a Mastodon `filters_changed` event). SSE sends `data: undefined`, as
    /// Mastodon does, because an SSE block without data dispatches nothing.
    None,
}

impl Payload {
    /// Plain text; checked to be UTF-8.
    ///
    /// # Errors
    /// [`AppendError::PayloadNotUtf8`] if `text` is not UTF-8.
    pub fn text(text: impl Into<Bytes>) -> Result<Self, AppendError> {
        let text = text.into();
        match std::str::from_utf8(&text) {
            Ok(_) => Ok(Self::Text(text)),
            Err(error) => Err(AppendError::PayloadNotUtf8 {
                index: error.valid_up_to(),
            }),
        }
    }

    /// The payload text (`None` for [`Payload::None`]).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Json(json) => Some(json.as_str()),
            Self::Text(text) => Some(std::str::from_utf8(text).unwrap_or_default()),
            Self::None => None,
        }
    }

    /// Whether this payload is a JSON object.
    #[must_use]
    pub fn is_json(&self) -> bool {
        matches!(self, Self::Json(_))
    }

    /// Payload length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_str().map_or(0, str::len)
    }

    /// Whether the payload is empty or absent.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One event appended to a [`Feed`](super::Feed): an event name, an optional item id, a
/// payload, and whether it is replayed to reconnecting subscribers.
///
/// Build it from a C2S [`StreamEvent`] (`Entry::from`), from a Mastodon event
/// ([`mastodon::StreamingEvent`](crate::c2s::mastodon::StreamingEvent) converts into it), or with [`Entry::new`].
///
/// ```
/// use fedi_stream::c2s::item::{EventKind, Json};
/// use fedi_stream::c2s::feed::Entry;
///
/// // An inbox item whose id the feed assigns (FeedConfig::assign_ids).
/// let entry = Entry::item(EventKind::Inbox, None, Json::from_bytes(r#"{"type":"Like"}"#)?);
/// assert_eq!(entry.name(), "inbox");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    name: Cow<'static, str>,
    id: Option<ItemId>,
    payload: Payload,
    live_only: bool,
}

impl Entry {
    /// An entry with event name `name`.
    ///
    /// # Errors
    /// [`AppendError::InvalidName`] if `name` is empty or contains CR, LF or NUL.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        id: Option<ItemId>,
        payload: Payload,
    ) -> Result<Self, AppendError> {
        let name = name.into();
        if name.is_empty() || name.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(AppendError::InvalidName {
                name: name.into_owned(),
            });
        }
        Ok(Self::checked(name, id, payload))
    }

    /// An entry whose name the caller has already checked as [`Entry::new`] does.
    pub(crate) fn checked(name: Cow<'static, str>, id: Option<ItemId>, payload: Payload) -> Self {
        Self {
            name,
            id,
            payload,
            live_only: false,
        }
    }

    /// A C2S collection item (`inbox`, `outbox`) with a JSON payload. With `id: None` the
    /// feed assigns one if configured to ([`FeedConfig::assign_ids`](super::FeedConfig::assign_ids)).
    #[must_use]
    pub fn item(kind: EventKind, id: Option<ItemId>, data: Json) -> Self {
        Self {
            name: Cow::Borrowed(kind.as_str()),
            id,
            payload: Payload::Json(data),
            live_only: kind == EventKind::Meta,
        }
    }

    /// A `meta` status: never replayed, never numbered, not sent on Mastodon formats.
    #[must_use]
    pub fn meta(meta: &Meta) -> Self {
        Self::item(EventKind::Meta, None, meta.to_json())
    }

    /// Marks the entry as live only: subscribers that join (or resume) after it was appended
    /// never receive it. `meta` entries are live only from the start.
    #[must_use]
    pub fn live_only(mut self) -> Self {
        self.live_only = true;
        self
    }

    /// The event name (SSE `event:`, WebSocket `type`/`event`).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The item id, if any.
    #[must_use]
    pub fn id(&self) -> Option<&ItemId> {
        self.id.as_ref()
    }

    /// The payload.
    #[must_use]
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Whether reconnecting subscribers skip it.
    #[must_use]
    pub fn is_live_only(&self) -> bool {
        self.live_only
    }

    /// Whether this is a C2S `meta` status.
    pub(crate) fn is_meta(&self) -> bool {
        self.name == EventKind::Meta.as_str()
    }

    pub(crate) fn set_id(&mut self, id: ItemId) {
        self.id = Some(id);
    }
}

impl From<StreamEvent> for Entry {
    fn from(event: StreamEvent) -> Self {
        let (kind, id, data) = event.into_parts();
        Self::item(kind, id, data)
    }
}
