//! Mastodon streaming [`StreamingEvent`]s: names and payloads.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use crate::c2s::feed::{Entry, Payload};
use crate::c2s::item::{ItemId, Json};
use crate::sse;

use super::MastodonError;

/// A Mastodon streaming event name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventName {
    /// `update`: a new status (payload: Status).
    Update,
    /// `delete`: a status was deleted (payload: its id, plain text).
    Delete,
    /// `notification`: a new notification (payload: Notification).
    Notification,
    /// `filters_changed`: keyword filters changed (no payload).
    FiltersChanged,
    /// `conversation`: a direct conversation was updated (payload: Conversation).
    Conversation,
    /// `announcement`: an announcement was published (payload: Announcement).
    Announcement,
    /// `announcement.reaction`: a reaction to an announcement (payload: name, count,
    /// announcement_id).
    AnnouncementReaction,
    /// `announcement.delete`: an announcement was deleted (payload: its id, plain text).
    AnnouncementDelete,
    /// `status.update`: a status was edited (payload: Status).
    StatusUpdate,
    /// `encrypted_message` (defined, unused by Mastodon).
    EncryptedMessage,
    /// `notifications_merged`: refresh the notifications (payload ignorable).
    NotificationsMerged,
    /// Any other name.
    Other(String),
}

impl EventName {
    /// The wire name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Notification => "notification",
            Self::FiltersChanged => "filters_changed",
            Self::Conversation => "conversation",
            Self::Announcement => "announcement",
            Self::AnnouncementReaction => "announcement.reaction",
            Self::AnnouncementDelete => "announcement.delete",
            Self::StatusUpdate => "status.update",
            Self::EncryptedMessage => "encrypted_message",
            Self::NotificationsMerged => "notifications_merged",
            Self::Other(name) => name,
        }
    }

    /// The name for `name` (known names become their variant).
    #[must_use]
    pub fn parse(name: &str) -> Self {
        match name {
            "update" => Self::Update,
            "delete" => Self::Delete,
            "notification" => Self::Notification,
            "filters_changed" => Self::FiltersChanged,
            "conversation" => Self::Conversation,
            "announcement" => Self::Announcement,
            "announcement.reaction" => Self::AnnouncementReaction,
            "announcement.delete" => Self::AnnouncementDelete,
            "status.update" => Self::StatusUpdate,
            "encrypted_message" => Self::EncryptedMessage,
            "notifications_merged" => Self::NotificationsMerged,
            other => Self::Other(other.to_owned()),
        }
    }

    /// What its payload is: a JSON entity, a plain id, or nothing.
    #[must_use]
    pub fn payload_kind(&self) -> PayloadKind {
        match self {
            Self::Delete | Self::AnnouncementDelete => PayloadKind::Id,
            Self::FiltersChanged | Self::NotificationsMerged => PayloadKind::Ignored,
            _ => PayloadKind::Entity,
        }
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of payload an event name carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayloadKind {
    /// A JSON entity (Status, Notification…), "cast to a string" on WebSocket.
    Entity,
    /// A plain id.
    Id,
    /// No payload (or one to ignore).
    Ignored,
}

/// One Mastodon streaming event.
///
/// ```
/// use fedi_stream::c2s::item::Json;
/// use fedi_stream::c2s::mastodon::{StreamingEvent, EventName};
///
/// let update = StreamingEvent::update(Json::from_bytes(r#"{"id":"108914327388663283","content":"<p>hi</p>"}"#)?);
/// assert_eq!(update.name(), &EventName::Update);
/// let delete = StreamingEvent::delete("106692867363994015")?;
/// assert_eq!(delete.payload().as_str(), Some("106692867363994015"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamingEvent {
    name: EventName,
    payload: Payload,
}

impl StreamingEvent {
    /// An event from its parts.
    ///
    /// # Errors
    /// [`MastodonError::InvalidName`] for an empty name or one with CR, LF or NUL.
    pub fn new(name: EventName, payload: Payload) -> Result<Self, MastodonError> {
        let text = name.as_str();
        if text.is_empty() || text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(MastodonError::InvalidName);
        }
        Ok(Self { name, payload })
    }

    /// `update` with a Status entity.
    #[must_use]
    pub fn update(status: Json) -> Self {
        Self {
            name: EventName::Update,
            payload: Payload::Json(status),
        }
    }

    /// `status.update` with the edited Status.
    #[must_use]
    pub fn status_update(status: Json) -> Self {
        Self {
            name: EventName::StatusUpdate,
            payload: Payload::Json(status),
        }
    }

    /// `notification` with a Notification entity.
    #[must_use]
    pub fn notification(notification: Json) -> Self {
        Self {
            name: EventName::Notification,
            payload: Payload::Json(notification),
        }
    }

    /// `conversation` with a Conversation entity.
    #[must_use]
    pub fn conversation(conversation: Json) -> Self {
        Self {
            name: EventName::Conversation,
            payload: Payload::Json(conversation),
        }
    }

    /// `delete` of the status `id`.
    ///
    /// # Errors
    /// [`MastodonError::InvalidPayload`] if `id` has line breaks (SSE could not carry it as one
    /// data line).
    pub fn delete(id: &str) -> Result<Self, MastodonError> {
        Ok(Self {
            name: EventName::Delete,
            payload: id_payload(id)?,
        })
    }

    /// `filters_changed` (no payload).
    #[must_use]
    pub fn filters_changed() -> Self {
        Self {
            name: EventName::FiltersChanged,
            payload: Payload::None,
        }
    }

    /// The event name.
    #[must_use]
    pub fn name(&self) -> &EventName {
        &self.name
    }

    /// The payload: JSON for entities, text for ids, none for `filters_changed`.
    #[must_use]
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The feed entry for this event, with `id` if the host numbers its stream (SSE
    /// subscribers then get `id:` lines and can resume).
    #[must_use]
    pub fn entry(&self, id: Option<ItemId>) -> Entry {
        // The name was checked when the event was built.
        Entry::checked(
            Cow::Owned(self.name.as_str().to_owned()),
            id,
            self.payload.clone(),
        )
    }

    /// Reads a dispatched SSE event from a Mastodon stream: `data: undefined` of a payload-less
    /// event becomes no payload; entity payloads must be JSON objects.
    ///
    /// # Errors
    /// [`MastodonError::InvalidPayload`] for an entity event whose data is not a JSON object.
    pub fn from_sse(event: &sse::Event) -> Result<Self, MastodonError> {
        Self::from_wire(event.event_type(), Some(event.data()))
    }

    /// An event from a name and payload text as received.
    pub(crate) fn from_wire(name: &str, payload: Option<&str>) -> Result<Self, MastodonError> {
        let name = EventName::parse(name);
        let payload = match (name.payload_kind(), payload) {
            (_, None) => Payload::None,
            (PayloadKind::Ignored, Some("undefined")) => Payload::None,
            (PayloadKind::Entity, Some(text)) => {
                Payload::Json(Json::from_bytes(text.to_owned()).map_err(|error| {
                    MastodonError::InvalidPayload {
                        reason: error.to_string(),
                    }
                })?)
            }
            (PayloadKind::Id | PayloadKind::Ignored, Some(text)) => {
                Payload::Text(Bytes::from(text.to_owned()))
            }
        };
        Self::new(name, payload)
    }
}

fn id_payload(id: &str) -> Result<Payload, MastodonError> {
    if id.contains(['\r', '\n']) {
        return Err(MastodonError::InvalidPayload {
            reason: "an id payload must be one line".into(),
        });
    }
    Ok(Payload::Text(Bytes::from(id.to_owned())))
}

impl From<StreamingEvent> for Entry {
    fn from(event: StreamingEvent) -> Self {
        event.entry(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "update",
            "delete",
            "notification",
            "filters_changed",
            "conversation",
            "announcement",
            "announcement.reaction",
            "announcement.delete",
            "status.update",
            "encrypted_message",
            "notifications_merged",
            "custom.thing",
        ] {
            assert_eq!(EventName::parse(name).as_str(), name);
        }
        assert_eq!(EventName::parse("x"), EventName::Other("x".into()));
    }

    #[test]
    fn reads_the_documented_sse_events() {
        let filters = sse::Event::new("filters_changed", "undefined", "");
        assert_eq!(
            StreamingEvent::from_sse(&filters).unwrap(),
            StreamingEvent::filters_changed()
        );
        let delete = sse::Event::new("announcement.delete", "1", "");
        assert_eq!(
            StreamingEvent::from_sse(&delete)
                .unwrap()
                .payload()
                .as_str(),
            Some("1")
        );
        let bad = sse::Event::new("update", "not json", "");
        assert!(matches!(
            StreamingEvent::from_sse(&bad),
            Err(MastodonError::InvalidPayload { .. })
        ));
        assert_eq!(
            StreamingEvent::new(EventName::Other("a\nb".into()), Payload::None),
            Err(MastodonError::InvalidName)
        );
        assert!(StreamingEvent::delete("1\n2").is_err());
    }
}
