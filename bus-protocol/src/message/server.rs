//! Server → client messages.

use serde::{Deserialize, Serialize};

use super::vocab::{ActionSource, ActionStatus, ActionType, ErrorCode, EventType, PresenceStatus};
use super::{DecodeError, json_encoding, parse_tagged, payload, unknown_type};

/// A message from the server to a client.
///
/// Wire form: a JSON object whose `type` is the snake_case variant name, followed by the fields
/// of the payload struct in the seed's order; every message carries `timestamp` (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerMessage {
    /// `welcome`: sent first on every connection.
    Welcome(Welcome),
    /// `pong`: the answer to `ping`.
    Pong(Pong),
    /// `action`: a new action (post, comment, reaction, ...).
    Action(ActionNotice),
    /// `presence`: a user's status changed.
    Presence(PresenceNotice),
    /// `typing`: a user is typing.
    Typing(TypingNotice),
    /// `message`: a new direct message.
    Message(DirectMessage),
    /// `notification`: a general notification.
    Notification(Notification),
    /// `error`: a request was refused.
    Error(ErrorNotice),
}

/// The payload of `welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The session id chosen by the host.
    pub session_id: String,
    /// The authenticated user.
    pub user: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// The payload of `pong`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// Unix seconds.
    pub timestamp: i64,
}

/// The payload of `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionNotice {
    /// The action type (unknown types are kept).
    pub action_type: ActionType,
    /// The action id, e.g. `a1~xyz789...`.
    pub action_id: String,
    /// Who created the action.
    pub issuer: String,
    /// The content, when the action has text content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Unix seconds.
    pub timestamp: i64,
    /// `local` or `federated`; absent in the seed's first example.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ActionSource>,
    /// The action's sub-type, e.g. `DEL` for a deletion or `ACC` for an acceptance. Not in the
    /// seed: Cloudillo's `subType`, which its apps read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// The action this one belongs to: the post a comment is on, the post a reaction is to,
    /// the conversation of a group message. Not in the seed: Cloudillo's `parentId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The one user the action is addressed to (the recipient of a direct message). Not in the
    /// seed: Cloudillo's `audience.idTag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The action's status (`A` for a stored, visible action). Not in the seed: Cloudillo's
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ActionStatus>,
}

impl ActionNotice {
    /// A notice with the seed's required fields and every optional field absent.
    #[must_use]
    pub fn new(
        action_type: ActionType,
        action_id: impl Into<String>,
        issuer: impl Into<String>,
        timestamp: i64,
    ) -> Self {
        ActionNotice {
            action_type,
            action_id: action_id.into(),
            issuer: issuer.into(),
            content: None,
            timestamp,
            source: None,
            sub_type: None,
            parent_id: None,
            audience: None,
            status: None,
        }
    }
}

/// The payload of a server `presence` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceNotice {
    /// Whose status changed.
    pub user: String,
    /// The new status.
    pub status: PresenceStatus,
    /// Free text such as `"browsing"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// Unix seconds.
    pub timestamp: i64,
}

/// The payload of a server `typing` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingNotice {
    /// Who is typing.
    pub user: String,
    /// In which conversation.
    pub conversation_id: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// The payload of `message` (a direct-message notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectMessage {
    /// The message's action id.
    pub message_id: String,
    /// Who sent it.
    pub sender: String,
    /// The first ~100 characters (see [`DirectMessage::preview_of`]).
    pub preview: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// The payload of `notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// What kind of notification, e.g. `connection_request`.
    pub notification_type: String,
    /// Who caused it.
    pub from: String,
    /// Human-readable text.
    pub message: String,
    /// Where the client should navigate, e.g. `/connections/pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_url: Option<String>,
    /// Unix seconds.
    pub timestamp: i64,
}

/// The payload of `error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorNotice {
    /// The error code.
    pub code: ErrorCode,
    /// Human-readable detail.
    pub message: String,
    /// Unix seconds.
    pub timestamp: i64,
}

impl DirectMessage {
    /// Characters kept by [`DirectMessage::preview_of`] ("first ~100 characters").
    pub const PREVIEW_CHARS: usize = 100;

    /// The preview of a message body: its first [`Self::PREVIEW_CHARS`] characters (not bytes,
    /// so multi-byte text is never cut inside a character).
    #[must_use]
    pub fn preview_of(body: &str) -> String {
        body.chars().take(Self::PREVIEW_CHARS).collect()
    }
}

impl ServerMessage {
    /// Every `type` the server may send, in declaration order.
    pub const TYPES: &'static [&'static str] = &[
        "welcome",
        "pong",
        "action",
        "presence",
        "typing",
        "message",
        "notification",
        "error",
    ];

    /// The wire `type` of this message.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::Welcome(_) => "welcome",
            ServerMessage::Pong(_) => "pong",
            ServerMessage::Action(_) => "action",
            ServerMessage::Presence(_) => "presence",
            ServerMessage::Typing(_) => "typing",
            ServerMessage::Message(_) => "message",
            ServerMessage::Notification(_) => "notification",
            ServerMessage::Error(_) => "error",
        }
    }

    /// The subscription a client needs to receive this message; `None` for `welcome`, `pong`
    /// and `error`, which are always delivered.
    #[must_use]
    pub fn event_type(&self) -> Option<EventType> {
        match self {
            ServerMessage::Welcome(_) | ServerMessage::Pong(_) | ServerMessage::Error(_) => None,
            ServerMessage::Action(_) => Some(EventType::Action),
            ServerMessage::Presence(_) => Some(EventType::Presence),
            ServerMessage::Typing(_) => Some(EventType::Typing),
            ServerMessage::Message(_) => Some(EventType::Message),
            ServerMessage::Notification(_) => Some(EventType::Notification),
        }
    }

    /// The message's timestamp (unix seconds).
    #[must_use]
    pub fn timestamp(&self) -> i64 {
        match self {
            ServerMessage::Welcome(m) => m.timestamp,
            ServerMessage::Pong(m) => m.timestamp,
            ServerMessage::Action(m) => m.timestamp,
            ServerMessage::Presence(m) => m.timestamp,
            ServerMessage::Typing(m) => m.timestamp,
            ServerMessage::Message(m) => m.timestamp,
            ServerMessage::Notification(m) => m.timestamp,
            ServerMessage::Error(m) => m.timestamp,
        }
    }

    /// An `error` message.
    #[must_use]
    pub fn error(code: ErrorCode, message: impl Into<String>, timestamp: i64) -> Self {
        ServerMessage::Error(ErrorNotice {
            code,
            message: message.into(),
            timestamp,
        })
    }

    /// Decodes one complete frame.
    ///
    /// # Errors
    /// A [`DecodeError`] saying what is wrong: not JSON, not an object, no `type`, an unknown
    /// `type` (including client-only types such as `subscribe`), or a bad field.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (tag, object) = parse_tagged(bytes)?;
        Ok(match tag.as_str() {
            "welcome" => ServerMessage::Welcome(payload("welcome", object)?),
            "pong" => ServerMessage::Pong(payload("pong", object)?),
            "action" => ServerMessage::Action(payload("action", object)?),
            "presence" => ServerMessage::Presence(payload("presence", object)?),
            "typing" => ServerMessage::Typing(payload("typing", object)?),
            "message" => ServerMessage::Message(payload("message", object)?),
            "notification" => ServerMessage::Notification(payload("notification", object)?),
            "error" => ServerMessage::Error(payload("error", object)?),
            other => return Err(unknown_type(other)),
        })
    }
}

json_encoding!(ServerMessage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_written_in_seed_order() {
        let m = ServerMessage::Action(ActionNotice {
            action_type: ActionType::Post,
            action_id: "a1".into(),
            issuer: "alice".into(),
            content: None,
            timestamp: 1,
            source: Some(ActionSource::Local),
            sub_type: None,
            parent_id: None,
            audience: None,
            status: None,
        });
        assert_eq!(
            m.to_json_string(),
            r#"{"type":"action","action_type":"POST","action_id":"a1","issuer":"alice","timestamp":1,"source":"local"}"#
        );
    }

    #[test]
    fn cloudillo_fields_follow_the_seed_fields_when_set() {
        let mut notice = ActionNotice::new(ActionType::Cmnt, "a2", "bob", 2);
        notice.parent_id = Some("a1".into());
        notice.sub_type = Some("UPD".into());
        notice.audience = Some("alice".into());
        notice.status = Some(ActionStatus::Active);
        let m = ServerMessage::Action(notice.clone());
        let text = m.to_json_string();
        assert_eq!(
            text,
            r#"{"type":"action","action_type":"CMNT","action_id":"a2","issuer":"bob","timestamp":2,"sub_type":"UPD","parent_id":"a1","audience":"alice","status":"A"}"#
        );
        assert_eq!(
            ServerMessage::decode(text.as_bytes()),
            Ok(ServerMessage::Action(notice))
        );
    }

    #[test]
    fn preview_counts_characters_not_bytes() {
        let body = "ü".repeat(150);
        let p = DirectMessage::preview_of(&body);
        assert_eq!(p.chars().count(), 100);
        assert_eq!(DirectMessage::preview_of("short"), "short");
    }

    #[test]
    fn timestamp_must_be_an_integer() {
        let err = ServerMessage::decode(br#"{"type":"pong","timestamp":1.5}"#).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::InvalidFields {
                    message_type: "pong",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn event_types_follow_the_subscription_names() {
        let m = ServerMessage::error(ErrorCode::Rate, "slow down", 3);
        assert_eq!(m.event_type(), None);
        assert_eq!(m.timestamp(), 3);
        assert_eq!(m.kind(), "error");
    }
}
