//! Client → server messages.

use serde::{Deserialize, Serialize};

use super::vocab::{EventType, PresenceStatus, PushPlatform};
use super::{DecodeError, json_encoding, parse_tagged, payload, unknown_type};

/// A message from a client to the server.
///
/// Wire form: a JSON object whose `type` is the snake_case variant name and whose other fields
/// are those of the payload struct, e.g. `{"type":"typing","recipient":"bob.example.com",
/// "conversation_id":"conv_123"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientMessage {
    /// `subscribe`: start delivering these event types.
    Subscribe(Subscription),
    /// `unsubscribe`: stop delivering these event types.
    Unsubscribe(Subscription),
    /// `presence`: the user's own status.
    Presence(PresenceUpdate),
    /// `typing`: the user is typing in a conversation.
    Typing(TypingUpdate),
    /// `ping`: keep-alive; the server answers `pong`.
    Ping,
    /// `register_push`: a push-notification token for offline delivery.
    RegisterPush(PushRegistration),
    /// `replay`: resend events newer than a timestamp. The seed asks clients for "event replay
    /// from the last known timestamp" but names no message; this is this crate's spelling.
    Replay(ReplayRequest),
}

/// The payload of `subscribe` and `unsubscribe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The event types (unknown names are a decode error).
    pub events: Vec<EventType>,
}

/// The payload of a client `presence` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUpdate {
    /// The new status.
    pub status: PresenceStatus,
    /// Free text such as `"browsing"`; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
}

/// The payload of a client `typing` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingUpdate {
    /// The user who should see the indicator.
    pub recipient: String,
    /// The conversation being typed in.
    pub conversation_id: String,
}

/// The payload of `register_push`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRegistration {
    /// The FCM/APNs/Web Push token.
    pub token: String,
    /// Which push service the token belongs to.
    pub platform: PushPlatform,
}

/// The payload of `replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayRequest {
    /// Resend events with a timestamp strictly greater than this (unix seconds).
    pub since: i64,
}

impl ClientMessage {
    /// Every `type` a client may send, in declaration order.
    pub const TYPES: &'static [&'static str] = &[
        "subscribe",
        "unsubscribe",
        "presence",
        "typing",
        "ping",
        "register_push",
        "replay",
    ];

    /// The wire `type` of this message.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMessage::Subscribe(_) => "subscribe",
            ClientMessage::Unsubscribe(_) => "unsubscribe",
            ClientMessage::Presence(_) => "presence",
            ClientMessage::Typing(_) => "typing",
            ClientMessage::Ping => "ping",
            ClientMessage::RegisterPush(_) => "register_push",
            ClientMessage::Replay(_) => "replay",
        }
    }

    /// Decodes one complete frame.
    ///
    /// # Errors
    /// A [`DecodeError`] saying what is wrong: not JSON, not an object, no `type`, an unknown
    /// `type` (including server-only types such as `welcome`), or a bad field.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (tag, object) = parse_tagged(bytes)?;
        Ok(match tag.as_str() {
            "subscribe" => ClientMessage::Subscribe(payload("subscribe", object)?),
            "unsubscribe" => ClientMessage::Unsubscribe(payload("unsubscribe", object)?),
            "presence" => ClientMessage::Presence(payload("presence", object)?),
            "typing" => ClientMessage::Typing(payload("typing", object)?),
            "ping" => ClientMessage::Ping,
            "register_push" => ClientMessage::RegisterPush(payload("register_push", object)?),
            "replay" => ClientMessage::Replay(payload("replay", object)?),
            other => return Err(unknown_type(other)),
        })
    }
}

json_encoding!(ClientMessage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_ignores_extra_fields_and_encodes_bare() {
        let m = ClientMessage::decode(br#"{"type":"ping","timestamp":5}"#).unwrap();
        assert_eq!(m, ClientMessage::Ping);
        assert_eq!(m.to_json_string(), r#"{"type":"ping"}"#);
    }

    #[test]
    fn absent_activity_stays_absent() {
        let m = ClientMessage::decode(br#"{"type":"presence","status":"away"}"#).unwrap();
        assert_eq!(m.to_json_string(), r#"{"type":"presence","status":"away"}"#);
    }

    #[test]
    fn kind_matches_the_encoded_type() {
        let all = [
            ClientMessage::Subscribe(Subscription {
                events: vec![EventType::Action],
            }),
            ClientMessage::Unsubscribe(Subscription { events: vec![] }),
            ClientMessage::Presence(PresenceUpdate {
                status: PresenceStatus::Busy,
                activity: None,
            }),
            ClientMessage::Typing(TypingUpdate {
                recipient: "b".into(),
                conversation_id: "c".into(),
            }),
            ClientMessage::Ping,
            ClientMessage::RegisterPush(PushRegistration {
                token: "t".into(),
                platform: PushPlatform::Web,
            }),
            ClientMessage::Replay(ReplayRequest { since: 3 }),
        ];
        assert_eq!(all.len(), ClientMessage::TYPES.len());
        for (m, ty) in all.iter().zip(ClientMessage::TYPES) {
            let v: serde_json::Value = serde_json::from_slice(&m.encode()).unwrap();
            assert_eq!(v["type"], *ty);
            assert_eq!(m.kind(), *ty);
            assert_eq!(&ClientMessage::decode(&m.encode()).unwrap(), m);
        }
    }
}
