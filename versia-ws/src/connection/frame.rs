//! The three kinds of text frame: entity message, acknowledgement, error.
//!
//! ```json
//! {"signature":"…","signed_at":"…","signed_by":"…","entity":"…"}            entity (no "type")
//! {"type":"ack","signature":"<signature of the message>","id":"<entity id>"|null}
//! {"type":"error","signature":"<signature>"|null,"status":401,"code":"signature_mismatch","message":"…"}
//! ```

use serde::Serialize;

use crate::message::{MessageError, Scalar, WebSocketMessage, read_object, take_string};

/// Members read from any frame: the four message fields first, then the control ones.
const NAMES: [&str; 9] = [
    "signature",
    "signed_at",
    "signed_by",
    "entity",
    "type",
    "id",
    "status",
    "code",
    "message",
];

const TYPE: usize = 4;
const ID: usize = 5;
const STATUS: usize = 6;
const CODE: usize = 7;
const MESSAGE: usize = 8;

/// A decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    /// An entity message.
    Message(WebSocketMessage),
    /// `{"type":"ack"}`.
    Ack {
        signature: String,
        id: Option<String>,
    },
    /// `{"type":"error"}`.
    Error {
        signature: Option<String>,
        status: u16,
        code: String,
        message: String,
    },
}

impl Frame {
    pub(crate) fn decode(text: &str, max_bytes: usize) -> Result<Self, MessageError> {
        let mut slots = read_object(text, max_bytes, &NAMES)?;
        let frame_type = match slots.get_mut(TYPE).and_then(Option::take) {
            None => return WebSocketMessage::from_slots(&mut slots, 0).map(Self::Message),
            Some(Scalar::Text(frame_type)) => frame_type,
            Some(other) => {
                return Err(MessageError::WrongType {
                    field: "type",
                    found: other.json_type(),
                });
            }
        };
        match frame_type.as_str() {
            "ack" => Ok(Self::Ack {
                signature: take_string(&mut slots, 0, "signature")?,
                id: optional_string(&mut slots, ID, "id")?,
            }),
            "error" => Ok(Self::Error {
                signature: optional_string(&mut slots, 0, "signature")?,
                status: match slots.get_mut(STATUS).and_then(Option::take) {
                    Some(Scalar::Number(number)) => number
                        .as_u64()
                        .and_then(|status| u16::try_from(status).ok())
                        .filter(|status| (100..=599).contains(status))
                        .ok_or(MessageError::InvalidValue {
                            field: "status",
                            reason: "an HTTP status is an integer from 100 to 599",
                        })?,
                    Some(other) => {
                        return Err(MessageError::WrongType {
                            field: "status",
                            found: other.json_type(),
                        });
                    }
                    None => return Err(MessageError::MissingField { field: "status" }),
                },
                code: take_string(&mut slots, CODE, "code")?,
                message: optional_string(&mut slots, MESSAGE, "message")?.unwrap_or_default(),
            }),
            _ => Err(MessageError::UnknownFrameType { found: frame_type }),
        }
    }
}

fn optional_string(
    slots: &mut [Option<Scalar>],
    index: usize,
    field: &'static str,
) -> Result<Option<String>, MessageError> {
    match slots.get(index) {
        None | Some(None) | Some(Some(Scalar::Null)) => Ok(None),
        Some(Some(_)) => take_string(slots, index, field).map(Some),
    }
}

#[derive(Serialize)]
struct AckOut<'a> {
    #[serde(rename = "type")]
    frame_type: &'static str,
    signature: &'a str,
    id: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    #[serde(rename = "type")]
    frame_type: &'static str,
    signature: Option<&'a str>,
    status: u16,
    code: &'a str,
    message: &'a str,
}

/// `{"type":"ack",...}` text.
pub(crate) fn encode_ack(signature: &str, id: Option<&str>) -> String {
    serde_json::to_string(&AckOut {
        frame_type: "ack",
        signature,
        id,
    })
    .unwrap_or_default()
}

/// `{"type":"error",...}` text.
pub(crate) fn encode_error(
    signature: Option<&str>,
    status: u16,
    code: &str,
    message: &str,
) -> String {
    serde_json::to_string(&ErrorOut {
        frame_type: "error",
        signature,
        status,
        code,
        message,
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1 << 20;

    #[test]
    fn control_frames_round_trip() {
        let ack = encode_ack("c2ln", Some("abc"));
        assert_eq!(ack, r#"{"type":"ack","signature":"c2ln","id":"abc"}"#);
        assert_eq!(
            Frame::decode(&ack, MAX),
            Ok(Frame::Ack {
                signature: "c2ln".into(),
                id: Some("abc".into())
            })
        );
        let error = encode_error(None, 429, "rate_limited", "slow down");
        assert_eq!(
            Frame::decode(&error, MAX),
            Ok(Frame::Error {
                signature: None,
                status: 429,
                code: "rate_limited".into(),
                message: "slow down".into()
            })
        );
        assert_eq!(
            Frame::decode(&encode_ack("c2ln", None), MAX),
            Ok(Frame::Ack {
                signature: "c2ln".into(),
                id: None
            })
        );
    }

    #[test]
    fn bad_control_frames() {
        assert_eq!(
            Frame::decode(r#"{"type":"hello"}"#, MAX),
            Err(MessageError::UnknownFrameType {
                found: "hello".into()
            })
        );
        assert_eq!(
            Frame::decode(r#"{"type":7}"#, MAX),
            Err(MessageError::WrongType {
                field: "type",
                found: "number"
            })
        );
        assert!(Frame::decode(r#"{"type":"error","code":"x","status":1000}"#, MAX).is_err());
        assert!(Frame::decode(r#"{"type":"error","code":"x"}"#, MAX).is_err());
        assert!(Frame::decode(r#"{"type":"ack"}"#, MAX).is_err());
    }

    #[test]
    fn message_frames() {
        let frame = Frame::decode(
            r#"{"signature":"a","signed_at":"1","signed_by":"b","entity":"{}"}"#,
            MAX,
        )
        .unwrap();
        assert!(matches!(frame, Frame::Message(_)));
    }
}
