//! What a [`Connection`](super::Connection) reports: whole data messages, control payloads,
//! the peer's close, and failures.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

use super::error::ProtocolError;
use crate::close::CloseFrame;

/// The two kinds of data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Arbitrary bytes (opcode 0x2).
    Binary,
}

/// A complete data message, reassembled from its fragments. Text is validated UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// A text message.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    #[must_use]
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// Text or binary.
    #[must_use]
    pub const fn kind(&self) -> DataKind {
        match self {
            Self::Text(_) => DataKind::Text,
            Self::Binary(_) => DataKind::Binary,
        }
    }

    /// The payload bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(data) => data,
        }
    }

    /// The payload length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

/// The payload of a Ping or Pong frame: at most 125 bytes, held inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlPayload {
    bytes: [u8; Self::MAX_LEN],
    len: u8,
}

impl ControlPayload {
    /// The most a control frame carries.
    pub const MAX_LEN: usize = 125;

    /// An empty payload.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            bytes: [0; Self::MAX_LEN],
            len: 0,
        }
    }

    /// A copy of `payload`, or `None` if it is longer than [`ControlPayload::MAX_LEN`].
    #[must_use]
    pub fn new(payload: &[u8]) -> Option<Self> {
        let mut this = Self::empty();
        this.bytes
            .get_mut(..payload.len())?
            .copy_from_slice(payload);
        this.len = payload.len() as u8;
        Some(this)
    }

    /// The payload bytes.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Appends `bytes`, returning `false` (and appending nothing) if the result would exceed
    /// [`ControlPayload::MAX_LEN`].
    pub(super) fn extend(&mut self, bytes: &[u8]) -> bool {
        let start = usize::from(self.len);
        match self.bytes.get_mut(start..start + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len() as u8;
                true
            }
            None => false,
        }
    }

    /// The bytes after `start` (for unmasking in place).
    pub(super) fn tail_mut(&mut self, start: usize) -> &mut [u8] {
        self.bytes
            .get_mut(start..usize::from(self.len))
            .unwrap_or_default()
    }
}

impl Default for ControlPayload {
    fn default() -> Self {
        Self::empty()
    }
}

impl Deref for ControlPayload {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ControlPayload {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for ControlPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ControlPayload")
            .field(&self.as_slice())
            .finish()
    }
}

/// What happened on a connection, drained with
/// [`Connection::poll_event`](super::Connection::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete data message.
    Message(Message),
    /// The peer sent a Ping. The connection has already queued the Pong (see
    /// [`Connection::poll_transmit`](super::Connection::poll_transmit)).
    Ping(ControlPayload),
    /// The peer sent a Pong.
    Pong(ControlPayload),
    /// The peer sent a valid Close frame: `None` if it carried no status code (the
    /// application sees code 1005,
    /// [`CloseCode::NO_STATUS_RECEIVED`](super::CloseCode::NO_STATUS_RECEIVED)). If this
    /// endpoint had not sent a Close yet, the reply is queued. No event follows.
    Close(Option<CloseFrame>),
    /// The peer broke the protocol or a limit (or the transport ended early). The Close frame
    /// with [`ProtocolError::close_code`] is queued (except for 1006); no event follows.
    Failed {
        /// What was wrong.
        error: ProtocolError,
        /// Stream offset of the first byte of the frame at fault (for an early end: the
        /// number of bytes received).
        frame_start: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_payload_holds_at_most_125_bytes() {
        assert_eq!(ControlPayload::new(&[7; 125]).map(|p| p.len()), Some(125));
        assert_eq!(ControlPayload::new(&[7; 126]), None);
        let mut payload = ControlPayload::new(&[1; 120]).unwrap();
        assert!(!payload.extend(&[2; 6]));
        assert!(payload.extend(&[2; 5]));
        assert_eq!(payload.len(), 125);
        assert_eq!(payload.tail_mut(120), &[2; 5]);
    }

    #[test]
    fn message_accessors() {
        let message = Message::text("héllo");
        assert_eq!(
            (message.kind(), message.len(), message.is_empty()),
            (DataKind::Text, 6, false)
        );
        assert_eq!(Message::binary(vec![1, 2]).as_bytes(), &[1, 2]);
    }
}
