//! Errors of the WebSocket C2S endpoint: [`EnvelopeError`] for what a peer sent,
//! [`RequestError`] and [`ResponseError`] for what the local host asked for.

use thiserror::Error;

use crate::c2s::item::JsonError;
use crate::close::CloseCode;

/// A message from the peer that is not a valid envelope. The connection answers it with an
/// `error` message (or closes, see [`EnvelopeError::close_code`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The message is larger than a [`SocketLimits`](super::SocketLimits) field.
    #[error("the message is {size} bytes; SocketLimits::{limit} is {max}")]
    TooLarge {
        /// `max_text_message`, `max_binary_message` or `max_binary_header`.
        limit: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The text (or a binary message's header) is not a JSON envelope object.
    #[error("the envelope is not valid JSON: {0}")]
    Json(JsonError),
    /// The envelope has no string `type`.
    #[error("the envelope has no string \"type\"")]
    MissingType,
    /// The `type` is not one this side accepts.
    #[error("unknown message type {kind:?}")]
    UnknownType {
        /// The type received.
        kind: String,
    },
    /// A request without the `id` that its answer must carry.
    #[error("a {kind} request needs an \"id\" to answer to")]
    MissingRequestId {
        /// The message type.
        kind: &'static str,
    },
    /// The `id` is empty, too long, or has control characters.
    #[error(
        "the request id is empty, longer than SocketLimits::max_request_id ({max}), or has control characters"
    )]
    InvalidRequestId {
        /// The limit.
        max: usize,
    },
    /// The `data` does not have the shape the type requires.
    #[error("the data of a {kind} message is invalid: {reason}")]
    InvalidData {
        /// The message type.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A type that must come as a binary message came as text, or the reverse.
    #[error("a {kind} message must be sent as a {expected} message")]
    WrongFrame {
        /// The message type.
        kind: &'static str,
        /// `binary` or `text`.
        expected: &'static str,
    },
    /// A binary message shorter than its 4-byte header length, or whose header runs past its
    /// end.
    #[error("the binary message is truncated: header of {header} bytes in a {size}-byte message")]
    TruncatedBinary {
        /// The declared header length.
        header: usize,
        /// The message size.
        size: usize,
    },
    /// The peer sent a request id that is already in flight.
    #[error("request id {id:?} is already in flight")]
    DuplicateRequest {
        /// The repeated id.
        id: String,
    },
    /// The peer has more requests in flight than [`SocketLimits::max_in_flight`](super::SocketLimits::max_in_flight).
    #[error("more than SocketLimits::max_in_flight ({max}) requests in flight")]
    TooManyInFlight {
        /// The limit.
        max: usize,
    },
}

impl EnvelopeError {
    /// The HTTP-like status an `error` answer carries: 413 for size limits, 409 for a
    /// duplicate id, 429 for too many requests, 400 otherwise.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 413,
            Self::DuplicateRequest { .. } => 409,
            Self::TooManyInFlight { .. } => 429,
            _ => 400,
        }
    }

    /// The WebSocket close code for errors that end the connection: 1009 (message too big)
    /// for a message beyond the size limits; `None` for errors answered with an `error`
    /// message.
    #[must_use]
    pub const fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::TooLarge { .. } => Some(CloseCode::MESSAGE_TOO_BIG),
            _ => None,
        }
    }
}

/// The client host asked for a request the connection cannot send. Nothing was queued.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// [`SocketLimits::max_in_flight`](super::SocketLimits::max_in_flight) requests are already waiting.
    #[error("SocketLimits::max_in_flight ({max}) requests are already in flight")]
    TooManyInFlight {
        /// The limit.
        max: usize,
    },
    /// The queued requests would exceed [`SocketLimits::max_queued_bytes`](super::SocketLimits::max_queued_bytes):
    /// call `poll_transmit` first.
    #[error(
        "the send queue would exceed SocketLimits::max_queued_bytes ({max}); drain poll_transmit first"
    )]
    QueueFull {
        /// The limit.
        max: usize,
    },
    /// The message would exceed the peer's size limits (assumed equal to ours).
    #[error("the request is {size} bytes; SocketLimits::{limit} is {max}")]
    TooLarge {
        /// `max_text_message` or `max_binary_message`.
        limit: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A media type with characters a JSON header cannot carry safely (empty, or control
    /// characters).
    #[error("invalid media type {0:?}")]
    InvalidMediaType(String),
    /// The connection is closed.
    #[error("the connection is closed")]
    Closed,
}

/// The server host answered a request wrongly. Nothing was queued.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// No request with this id is in flight (never received, or already finished).
    #[error("no request {id:?} is in flight")]
    UnknownRequest {
        /// The id.
        id: String,
    },
    /// The answer does not fit the request (`proxied` to a `fetch`, `delivery` before
    /// `accepted`, `accepted` twice...).
    #[error("a {answer} answer does not fit {id:?} (a {request} request in state {state})")]
    WrongAnswer {
        /// The request id.
        id: String,
        /// The answer attempted.
        answer: &'static str,
        /// The request type.
        request: &'static str,
        /// Where the request is: `pending` or `accepted`.
        state: &'static str,
    },
    /// The queued answers would exceed [`SocketLimits::max_queued_bytes`](super::SocketLimits::max_queued_bytes):
    /// call `poll_transmit` first.
    #[error(
        "the send queue would exceed SocketLimits::max_queued_bytes ({max}); drain poll_transmit first"
    )]
    QueueFull {
        /// The limit.
        max: usize,
    },
    /// The connection is closed.
    #[error("the connection is closed")]
    Closed,
}
