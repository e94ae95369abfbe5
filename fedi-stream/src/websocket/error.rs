//! Errors of the engine: [`ProtocolError`] for what the peer sent, [`SendError`] for what the
//! local application asked to send. [`InputError`](crate::websocket::InputError), for input
//! the connection could not take, is shared with the C2S socket.

use thiserror::Error;

use super::frame::OpCode;
use super::limits::Limit;
use super::message::DataKind;
use crate::close::CloseCode;

/// The peer broke RFC 6455 (or exceeded a [`Limits`](super::Limits) value). The connection
/// fails: it queues a Close frame with [`close_code`](Self::close_code) and processes no more
/// input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame used a reserved opcode (3–7 or 0xB–0xF).
    #[error("the peer sent a frame with reserved opcode {opcode:#x}")]
    ReservedOpcode {
        /// The opcode's four bits.
        opcode: u8,
    },
    /// A 64-bit payload length had its most significant bit set.
    #[error("the peer sent a 64-bit payload length with the most significant bit set")]
    PayloadLengthOverflow,
    /// A frame had RSV bits set, but no extension was negotiated.
    #[error("the peer sent a frame with RSV bits {rsv:#05b} set and no extension was negotiated")]
    ReservedBits {
        /// RSV1..RSV3 as the bits 0b100, 0b010, 0b001.
        rsv: u8,
    },
    /// A client sent an unmasked frame to this server.
    #[error("the client sent an unmasked frame; every client frame must be masked")]
    UnmaskedFrame,
    /// A server sent a masked frame to this client.
    #[error("the server sent a masked frame; server frames must not be masked")]
    MaskedFrame,
    /// A control frame carried more than 125 bytes.
    #[error("the peer sent a {opcode:?} frame of {len} bytes; control frames carry at most 125")]
    ControlFrameTooLong {
        /// The control opcode.
        opcode: OpCode,
        /// The announced payload length.
        len: u64,
    },
    /// A control frame did not have FIN set.
    #[error("the peer sent a fragmented {opcode:?} frame; control frames cannot be fragmented")]
    FragmentedControlFrame {
        /// The control opcode.
        opcode: OpCode,
    },
    /// A continuation frame arrived with no fragmented message in progress.
    #[error("the peer sent a continuation frame with no fragmented message in progress")]
    UnexpectedContinuation,
    /// A new data message started before the fragmented message in progress ended.
    #[error(
        "the peer started a {opcode:?} message inside a fragmented message; expected a continuation frame"
    )]
    ExpectedContinuation {
        /// The opcode of the offending frame.
        opcode: OpCode,
    },
    /// A text message was not valid UTF-8.
    #[error("the peer sent a text message that is not valid UTF-8 (at message byte {offset})")]
    InvalidUtf8 {
        /// Offset in the message of the first byte of the invalid sequence.
        offset: u64,
    },
    /// A Close frame had a one-byte payload (a code needs two).
    #[error("the peer sent a Close frame with a 1-byte payload; a status code takes 2 bytes")]
    TruncatedCloseCode,
    /// A Close frame carried a code that may not be sent (see
    /// [`CloseCode::is_valid_on_wire`]).
    #[error("the peer sent close code {code}, which is not valid on the wire")]
    InvalidCloseCode {
        /// The code received.
        code: CloseCode,
    },
    /// A Close frame's reason was not valid UTF-8.
    #[error("the peer sent a close reason that is not valid UTF-8")]
    InvalidCloseReason,
    /// A data frame was longer than [`Limits::max_frame_size`](super::Limits::max_frame_size).
    #[error("the peer sent a frame of {len} bytes, over {limit} ({max} bytes)", limit = Limit::MaxFrameSize)]
    FrameTooLarge {
        /// The announced payload length.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// A data message grew beyond
    /// [`Limits::max_message_size`](super::Limits::max_message_size).
    #[error("the peer sent a message of at least {len} bytes, over {limit} ({max} bytes)", limit = Limit::MaxMessageSize)]
    MessageTooLarge {
        /// The message length the offending frame would reach.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// The transport ended before the closing handshake (reported by
    /// [`Connection::handle_end`](super::Connection::handle_end)).
    #[error("the transport closed without a closing handshake{}", if *.mid_frame { " in the middle of a frame" } else { "" })]
    UnexpectedEof {
        /// Whether a frame was partly received.
        mid_frame: bool,
    },
}

impl ProtocolError {
    /// The close code this failure is reported with: 1007 for invalid UTF-8, 1009 for a
    /// limit, 1006 (never sent, see [`CloseCode::ABNORMAL`]) for an unexpected end of
    /// stream, 1002 for everything else.
    #[must_use]
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 { .. } | Self::InvalidCloseReason => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::UnexpectedEof { .. } => CloseCode::ABNORMAL,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    /// The limit this error reports, if it is a limit error.
    #[must_use]
    pub const fn limit(&self) -> Option<Limit> {
        match self {
            Self::FrameTooLarge { .. } => Some(Limit::MaxFrameSize),
            Self::MessageTooLarge { .. } => Some(Limit::MaxMessageSize),
            _ => None,
        }
    }
}

/// The local application asked a [`Connection`](super::Connection) to send something it
/// cannot. Nothing has been written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum SendError {
    /// A Close frame has been sent or queued (by [`close`](super::Connection::close), in reply
    /// to the peer's, or after a failure): no frame may follow it.
    #[error("the connection is closing or closed; no frame may follow a Close frame")]
    Closed,
    /// A Ping or Pong payload longer than 125 bytes.
    #[error("control frames carry at most 125 bytes, this payload has {len}")]
    ControlPayloadTooLong {
        /// The payload length.
        len: usize,
    },
    /// A close reason longer than 123 bytes.
    #[error("a close reason has at most 123 bytes, this one has {len}")]
    CloseReasonTooLong {
        /// The reason length.
        len: usize,
    },
    /// A close code that may not be sent (see [`CloseCode::is_valid_on_wire`]).
    #[error("close code {code} may not be sent on the wire")]
    InvalidCloseCode {
        /// The code asked for.
        code: CloseCode,
    },
    /// Text fragments that are not valid UTF-8 together.
    #[error("the text fragments are not valid UTF-8 (at message byte {offset})")]
    InvalidUtf8 {
        /// Offset in the message of the first byte of the invalid sequence.
        offset: u64,
    },
    /// A whole message was sent while a fragmented message is in progress.
    #[error("a fragmented {open:?} message is in progress; finish it with send_fragment first")]
    MessageInProgress {
        /// The kind of the open message.
        open: DataKind,
    },
    /// A fragment of a different kind than the fragmented message in progress.
    #[error(
        "a fragmented {open:?} message is in progress, cannot continue it with a {requested:?} fragment"
    )]
    FragmentKindMismatch {
        /// The kind of the open message.
        open: DataKind,
        /// The kind asked for.
        requested: DataKind,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_follow_rfc_6455_section_7_4_1() {
        assert_eq!(
            ProtocolError::InvalidUtf8 { offset: 3 }.close_code(),
            CloseCode(1007)
        );
        assert_eq!(
            ProtocolError::InvalidCloseReason.close_code(),
            CloseCode(1007)
        );
        assert_eq!(
            ProtocolError::FrameTooLarge { len: 9, max: 8 }.close_code(),
            CloseCode(1009)
        );
        assert_eq!(
            ProtocolError::MessageTooLarge { len: 9, max: 8 }.close_code(),
            CloseCode(1009)
        );
        assert_eq!(ProtocolError::UnmaskedFrame.close_code(), CloseCode(1002));
        assert_eq!(
            ProtocolError::UnexpectedEof { mid_frame: false }.close_code(),
            CloseCode(1006)
        );
    }

    #[test]
    fn limit_errors_name_the_limit() {
        let error = ProtocolError::MessageTooLarge { len: 20, max: 16 };
        assert_eq!(error.limit(), Some(Limit::MaxMessageSize));
        assert_eq!(
            error.to_string(),
            "the peer sent a message of at least 20 bytes, over Limits::max_message_size (16 bytes)"
        );
    }
}
