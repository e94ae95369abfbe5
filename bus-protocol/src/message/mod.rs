//! The Bus messages: a JSON object per WebSocket text frame, tagged by its `type` field.
//!
//! [`ClientMessage`] is what a browser or app sends (`subscribe`, `unsubscribe`, `presence`,
//! `typing`, `ping`, `register_push`, and this crate's `replay`); [`ServerMessage`] is what the
//! server sends (`welcome`, `pong`, `action`, `presence`, `typing`, `message`, `notification`,
//! `error`). Field names and order follow the seed document exactly; optional fields that are
//! absent stay absent when written, so every example of the seed decodes and re-encodes to the
//! same JSON value. Unknown fields are ignored (and not written back); an unknown `type` is the
//! typed error [`DecodeError::UnknownType`], which a server session answers with `E-WS-INVALID`.
//! Timestamps are unix seconds (`i64`), supplied by the caller.

mod vocab;
// After `vocab`: the message modules use its macro through `super`.
mod client;
mod server;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use client::{
    ClientMessage, PresenceUpdate, PushRegistration, ReplayRequest, Subscription, TypingUpdate,
};
pub use server::{
    ActionNotice, DirectMessage, ErrorNotice, Notification, Pong, PresenceNotice, ServerMessage,
    TypingNotice, Welcome,
};
pub(crate) use vocab::string_enum;
pub use vocab::{
    ActionSource, ActionStatus, ActionType, ErrorCode, EventSet, EventType, PresenceStatus,
    PushPlatform,
};

/// Why a frame is not a valid Bus message. Every variant is the peer's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is larger than the configured limit (checked before parsing).
    #[error("message of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Length of the frame in bytes.
        len: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The frame is not JSON (or not UTF-8).
    #[error("not valid JSON at line {line}, column {column}: {detail}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser found.
        detail: String,
    },
    /// The JSON value is not an object.
    #[error("message is not a JSON object")]
    NotAnObject,
    /// The object has no `type` field, or it is not a string.
    #[error("message has no string `type` field")]
    MissingType,
    /// The `type` is not a message type of this direction.
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    /// The `type` is known but a field is missing or has the wrong shape.
    #[error("invalid `{message_type}` message: {detail}")]
    InvalidFields {
        /// The message type.
        message_type: &'static str,
        /// What was wrong, naming the field.
        detail: String,
    },
}

/// Longest unknown type name kept in [`DecodeError::UnknownType`] (longer names are cut, so a
/// hostile frame cannot make the error reply large).
const MAX_ECHOED_TYPE: usize = 64;

/// Parses `bytes` into a JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| DecodeError::Syntax {
        line: e.line(),
        column: e.column(),
        detail: e.to_string(),
    })?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(DecodeError::NotAnObject),
    }
}

/// Parses `bytes` into a JSON object and returns it with its `type`.
fn parse_tagged(bytes: &[u8]) -> Result<(String, Map<String, Value>), DecodeError> {
    let mut object = parse_object(bytes)?;
    match object.remove("type") {
        Some(Value::String(tag)) => Ok((tag, object)),
        _ => Err(DecodeError::MissingType),
    }
}

/// The error for an unknown `type`, with the echoed name bounded.
fn unknown_type(tag: &str) -> DecodeError {
    let mut end = tag.len().min(MAX_ECHOED_TYPE);
    while !tag.is_char_boundary(end) {
        end -= 1;
    }
    DecodeError::UnknownType(tag.get(..end).unwrap_or_default().to_owned())
}

/// Deserialises the payload struct of a message whose type is `message_type`.
pub(crate) fn payload<T: for<'de> Deserialize<'de>>(
    message_type: &'static str,
    object: Map<String, Value>,
) -> Result<T, DecodeError> {
    T::deserialize(Value::Object(object)).map_err(|e| DecodeError::InvalidFields {
        message_type,
        detail: e.to_string(),
    })
}

/// Adds `encode` and `to_json_string` to a message type.
macro_rules! json_encoding {
    ($name:ident) => {
        impl $name {
            /// Encodes the message as compact JSON.
            #[must_use]
            pub fn encode(&self) -> Vec<u8> {
                $crate::message::to_json(self).into_bytes()
            }

            /// Encodes the message as a compact JSON string.
            #[must_use]
            pub fn to_json_string(&self) -> String {
                $crate::message::to_json(self)
            }
        }
    };
}
pub(crate) use json_encoding;

/// Encodes a message as compact JSON.
pub(crate) fn to_json<T: serde::Serialize>(message: &T) -> String {
    // The message types have string keys only and no floats, the two ways serde_json can fail.
    serde_json::to_string(message).expect("Bus messages always serialise to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_are_classified() {
        assert!(matches!(
            ClientMessage::decode(b"{\"type\":"),
            Err(DecodeError::Syntax { line: 1, .. })
        ));
        assert_eq!(ClientMessage::decode(b"[1]"), Err(DecodeError::NotAnObject));
        assert_eq!(
            ClientMessage::decode(b"{\"type\":7}"),
            Err(DecodeError::MissingType)
        );
        assert_eq!(ClientMessage::decode(b"{}"), Err(DecodeError::MissingType));
        assert_eq!(
            ClientMessage::decode(b"{\"type\":\"welcome\"}"),
            Err(DecodeError::UnknownType("welcome".into()))
        );
        let err = ClientMessage::decode(br#"{"type":"typing","recipient":"b"}"#).unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidFields {
                message_type: "typing",
                detail: "missing field `conversation_id`".into()
            }
        );
    }

    #[test]
    fn unknown_type_echo_is_bounded_on_a_char_boundary() {
        let long = format!("{{\"type\":\"{}\"}}", "é".repeat(100));
        match ClientMessage::decode(long.as_bytes()) {
            Err(DecodeError::UnknownType(t)) => {
                assert!(t.len() <= MAX_ECHOED_TYPE);
                assert_eq!(t, "é".repeat(32));
            }
            other => panic!("{other:?}"),
        }
    }
}
