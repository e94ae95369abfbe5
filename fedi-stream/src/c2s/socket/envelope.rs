//! The envelope layer: `{"type":…,"id"?:…,"data"?:…}` text messages and binary messages
//! (`[u32 BE header length][header envelope][blob]`), without knowing the message types.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::c2s::item::{JsonError, json_kind_name};
use crate::close::CloseCode;

use crate::c2s::feed::format::socket::{Data, write};

use super::error::EnvelopeError;
use super::limits::SocketLimits;

/// One WebSocket data message as received: the host hands text and binary messages over
/// unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Incoming<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// What a connection asks the host to send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outgoing {
    /// A text message (UTF-8 JSON).
    Text(Bytes),
    /// A binary message (header and blob).
    Binary(Bytes),
    /// A Ping (keep-alive).
    Ping,
    /// Close the connection with this code and reason, then stop.
    Close {
        /// The close code ([`CloseCode::NORMAL`], [`CloseCode::GOING_AWAY`],
        /// [`CloseCode::POLICY_VIOLATION`], [`CloseCode::MESSAGE_TOO_BIG`],
        /// [`CloseCode::TRY_AGAIN_LATER`]...).
        code: CloseCode,
        /// A short reason (at most 123 bytes fit a Close frame).
        reason: String,
    },
}

impl Outgoing {
    /// The message bytes (`None` for `Ping` and `Close`).
    #[must_use]
    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            Self::Text(bytes) | Self::Binary(bytes) => Some(bytes),
            Self::Ping | Self::Close { .. } => None,
        }
    }

    /// The frame as a [`Incoming`], for feeding it to the other side in tests and loops.
    #[must_use]
    pub fn as_message(&self) -> Option<Incoming<'_>> {
        match self {
            Self::Text(bytes) => std::str::from_utf8(bytes).ok().map(Incoming::Text),
            Self::Binary(bytes) => Some(Incoming::Binary(bytes)),
            Self::Ping | Self::Close { .. } => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes().map_or(0, Bytes::len)
    }
}

/// A text frame holding one envelope.
pub(crate) fn text(kind: &str, id: Option<&str>, data: Option<Data<'_>>) -> Outgoing {
    let extra = match data {
        Some(Data::Raw(json)) => json.len(),
        Some(Data::Str(text)) => text.len() + 8,
        None => 0,
    };
    let mut out = Vec::with_capacity(extra + kind.len() + id.map_or(0, str::len) + 32);
    write(&mut out, kind, id, data);
    Outgoing::Text(Bytes::from(out))
}

/// A binary frame: the header envelope, then `blob`.
pub(crate) fn binary(
    kind: &str,
    id: Option<&str>,
    data: Option<Data<'_>>,
    blob: &[u8],
) -> Outgoing {
    let mut header = Vec::with_capacity(64);
    write(&mut header, kind, id, data);
    let mut out = BytesMut::with_capacity(4 + header.len() + blob.len());
    // Headers are small (bounded by the caller's checks), so the length fits in u32.
    out.put_u32(u32::try_from(header.len()).unwrap_or(u32::MAX));
    out.put_slice(&header);
    out.put_slice(blob);
    Outgoing::Binary(out.freeze())
}

#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// A decoded envelope.
#[derive(Debug)]
pub(crate) struct Envelope<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) id: Option<Cow<'a, str>>,
    pub(crate) data: Option<&'a RawValue>,
    /// The blob of a binary message.
    pub(crate) blob: Option<&'a [u8]>,
}

/// Splits a message into its envelope (and blob), checking the size limits.
pub(crate) fn decode<'a>(
    message: Incoming<'a>,
    limits: &SocketLimits,
) -> Result<Envelope<'a>, EnvelopeError> {
    match message {
        Incoming::Text(text) => {
            check_size("max_text_message", text.len(), limits.max_text_message)?;
            parse(text.as_bytes(), None)
        }
        Incoming::Binary(bytes) => {
            check_size("max_binary_message", bytes.len(), limits.max_binary_message)?;
            let (length, rest) =
                bytes
                    .split_first_chunk::<4>()
                    .ok_or(EnvelopeError::TruncatedBinary {
                        header: 4,
                        size: bytes.len(),
                    })?;
            let header_len = u32::from_be_bytes(*length) as usize;
            check_size("max_binary_header", header_len, limits.max_binary_header)?;
            if header_len > rest.len() {
                return Err(EnvelopeError::TruncatedBinary {
                    header: header_len,
                    size: bytes.len(),
                });
            }
            let (header, blob) = rest.split_at(header_len);
            parse(header, Some(blob))
        }
    }
}

fn check_size(limit: &'static str, size: usize, max: usize) -> Result<(), EnvelopeError> {
    if size > max {
        return Err(EnvelopeError::TooLarge { limit, size, max });
    }
    Ok(())
}

fn parse<'a>(json: &'a [u8], blob: Option<&'a [u8]>) -> Result<Envelope<'a>, EnvelopeError> {
    let text = std::str::from_utf8(json).map_err(|error| {
        EnvelopeError::Json(JsonError::NotUtf8 {
            index: error.valid_up_to(),
        })
    })?;
    let first = text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .as_bytes()
        .first()
        .copied();
    if first != Some(b'{') {
        // Let serde_json describe syntax errors; a valid non-object is refused by kind.
        return Err(EnvelopeError::Json(
            match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Err(error) => JsonError::syntax(&error),
                Ok(_) => JsonError::NotAnObject {
                    found: json_kind_name(first),
                },
            },
        ));
    }
    let raw: RawEnvelope<'a> = serde_json::from_str(text)
        .map_err(|error| EnvelopeError::Json(JsonError::syntax(&error)))?;
    Ok(Envelope {
        kind: raw.kind.ok_or(EnvelopeError::MissingType)?,
        id: raw.id,
        data: raw.data.filter(|data| data.get() != "null"),
        blob,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_compact_envelopes() {
        let mut out = Vec::new();
        write(
            &mut out,
            "proxy",
            Some("r\"1"),
            Some(Data::Str("https://a.example/x")),
        );
        assert_eq!(
            out,
            br#"{"type":"proxy","id":"r\"1","data":"https://a.example/x"}"#
        );
    }

    #[test]
    fn binary_layout_round_trips() {
        let frame = binary(
            "store",
            Some("9"),
            Some(Data::Raw(br#"{"mediaType":"image/png"}"#)),
            b"\x89PNG",
        );
        let Outgoing::Binary(bytes) = &frame else {
            panic!()
        };
        let header = br#"{"type":"store","id":"9","data":{"mediaType":"image/png"}}"#;
        assert_eq!(&bytes[..4], (header.len() as u32).to_be_bytes());
        assert_eq!(&bytes[4..4 + header.len()], header);
        let envelope = decode(frame.as_message().unwrap(), &SocketLimits::default()).unwrap();
        assert_eq!(envelope.kind, "store");
        assert_eq!(envelope.blob, Some(&b"\x89PNG"[..]));
    }

    #[test]
    fn refuses_malformed_messages() {
        let limits = SocketLimits::default();
        let error = |message| decode(message, &limits).unwrap_err();
        assert_eq!(
            error(Incoming::Text("{\"id\":\"1\"}")),
            EnvelopeError::MissingType
        );
        assert!(matches!(
            error(Incoming::Text("[1]")),
            EnvelopeError::Json(JsonError::NotAnObject { found: "array" })
        ));
        assert!(matches!(
            error(Incoming::Text("{")),
            EnvelopeError::Json(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            error(Incoming::Text("{\"type\":1}")),
            EnvelopeError::Json(_)
        ));
        assert_eq!(
            error(Incoming::Binary(b"\0\0")),
            EnvelopeError::TruncatedBinary { header: 4, size: 2 }
        );
        assert_eq!(
            error(Incoming::Binary(b"\0\0\0\x09{}")),
            EnvelopeError::TruncatedBinary { header: 9, size: 6 }
        );
        assert_eq!(
            error(Incoming::Binary(b"\xff\xff\xff\xff")),
            EnvelopeError::TooLarge {
                limit: "max_binary_header",
                size: u32::MAX as usize,
                max: SocketLimits::DEFAULT_MAX_BINARY_HEADER
            }
        );
        let big = "x".repeat(SocketLimits::DEFAULT_MAX_TEXT_MESSAGE + 1);
        assert!(matches!(
            error(Incoming::Text(&big)),
            EnvelopeError::TooLarge {
                limit: "max_text_message",
                ..
            }
        ));
    }

    #[test]
    fn null_data_counts_as_absent() {
        let envelope = decode(
            Incoming::Text(r#"{"type":"x","data":null,"extra":1}"#),
            &SocketLimits::default(),
        )
        .unwrap();
        assert!(envelope.data.is_none());
    }
}
