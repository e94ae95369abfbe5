//! Errors of the SSE codec: [`DecodeError`] for what a peer sent, [`EncodeError`] for what the
//! local application asked to send.

use thiserror::Error;

use super::limits::Limit;

/// The peer sent a stream that exceeds the decoder's [`Limits`](super::Limits).
///
/// Nothing else in a byte stream is an error for an SSE decoder: the WHATWG interpretation
/// accepts any bytes. Offsets count bytes from the start of the stream, including a leading BOM.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line (other than a `data` line) is longer than
    /// [`Limits::max_line_length`](super::Limits::max_line_length).
    #[error(
        "the peer sent a line longer than {limit} ({max} bytes); the line starts at stream byte {line_start}",
        limit = Limit::MaxLineLength
    )]
    LineTooLong {
        /// The configured limit, in bytes.
        max: usize,
        /// Stream offset of the first byte of the offending line.
        line_start: u64,
    },
    /// An event's data grew beyond [`Limits::max_event_size`](super::Limits::max_event_size).
    #[error(
        "the peer sent an event whose data exceeds {limit} ({max} bytes), in the data line starting at stream byte {line_start}",
        limit = Limit::MaxEventSize
    )]
    EventTooLarge {
        /// The configured limit, in bytes.
        max: usize,
        /// Stream offset of the first byte of the `data` line that crossed the limit.
        line_start: u64,
    },
}

impl DecodeError {
    /// The limit this error reports.
    #[must_use]
    pub const fn limit(&self) -> Limit {
        match self {
            Self::LineTooLong { .. } => Limit::MaxLineLength,
            Self::EventTooLarge { .. } => Limit::MaxEventSize,
        }
    }
}

/// The local application asked the [`Encoder`](super::Encoder) for something the wire format
/// cannot carry faithfully. Nothing has been written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event type contains CR or LF, which would end its line early.
    #[error("the event type contains a line break (byte {index}); event types must be one line")]
    LineBreakInEventType {
        /// Byte index of the first CR or LF in the event type.
        index: usize,
    },
    /// The id contains CR or LF, which would end its line early.
    #[error("the event id contains a line break (byte {index}); ids must be one line")]
    LineBreakInId {
        /// Byte index of the first CR or LF in the id.
        index: usize,
    },
    /// The id contains U+0000, which makes every conforming decoder ignore the whole `id` field.
    #[error("the event id contains U+0000 NULL (byte {index}); decoders would ignore the id")]
    NulInId {
        /// Byte index of the first NUL in the id.
        index: usize,
    },
    /// The comment contains CR or LF; write one comment per line instead.
    #[error("the comment contains a line break (byte {index}); write one comment per line")]
    LineBreakInComment {
        /// Byte index of the first CR or LF in the comment.
        index: usize,
    },
    /// The reconnection time does not fit the `u64` milliseconds decoders accept.
    #[error("the retry time of {millis} ms does not fit in u64 milliseconds")]
    RetryOutOfRange {
        /// The requested time in whole milliseconds.
        millis: u128,
    },
}
