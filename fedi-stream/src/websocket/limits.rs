//! Bounds on what a [`Connection`](super::Connection) accepts from its peer.

use std::fmt;

/// Upper bounds on incoming frames and messages.
///
/// A connection holds one message in progress (its data message buffer) plus at most 125
/// bytes of control payload; the message buffer never exceeds
/// [`max_message_size`](Self::max_message_size), and it grows only as payload bytes arrive,
/// never on the length a header announces. A frame or message that would cross a limit is
/// refused as soon as its header is read: the connection fails with close code 1009
/// ([`CloseCode::MESSAGE_TOO_BIG`](super::CloseCode::MESSAGE_TOO_BIG)) and reports
/// [`ProtocolError::FrameTooLarge`](super::ProtocolError::FrameTooLarge) or
/// [`ProtocolError::MessageTooLarge`](super::ProtocolError::MessageTooLarge).
///
/// ```
/// use fedi_stream::websocket::Limits;
///
/// let limits = Limits::default().with_max_message_size(64 * 1024);
/// assert_eq!(limits.max_frame_size, Limits::DEFAULT_MAX_FRAME_SIZE);
/// assert_eq!(limits.max_message_size, 64 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The largest payload of one data frame, in bytes.
    /// Default: [`Limits::DEFAULT_MAX_FRAME_SIZE`] (16 MiB).
    pub max_frame_size: usize,
    /// The largest data message (the payloads of all its frames), in bytes.
    /// Default: [`Limits::DEFAULT_MAX_MESSAGE_SIZE`] (16 MiB).
    pub max_message_size: usize,
    /// The most automatic Pongs waiting for [`poll_transmit`](super::Connection::poll_transmit);
    /// beyond it the oldest is dropped (RFC 6455 §5.5.3 allows answering only the latest Ping).
    /// Each holds at most 125 bytes. Default: [`Limits::DEFAULT_MAX_PENDING_PONGS`] (16).
    pub max_pending_pongs: usize,
    /// The most events waiting for [`poll_event`](super::Connection::poll_event). Once that
    /// many wait, [`handle_bytes`](super::Connection::handle_bytes) stops consuming and returns
    /// how many bytes it took; called again while they still wait, it returns
    /// [`InputError::Backpressure`](super::InputError::Backpressure). Each event holds at most
    /// one message (bounded by [`max_message_size`](Self::max_message_size)) or 125 bytes of
    /// control payload. 0 counts as 1. Default: [`Limits::DEFAULT_MAX_QUEUED_EVENTS`] (1024).
    pub max_queued_events: usize,
}

impl Limits {
    /// Default for [`max_frame_size`](Self::max_frame_size): 16 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;
    /// Default for [`max_message_size`](Self::max_message_size): 16 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;
    /// Default for [`max_pending_pongs`](Self::max_pending_pongs): 16.
    pub const DEFAULT_MAX_PENDING_PONGS: usize = 16;
    /// Default for [`max_queued_events`](Self::max_queued_events): 1024, more than a 128 KiB
    /// read of 300-byte messages carries, so that hosts draining after every read rarely see
    /// the bound.
    pub const DEFAULT_MAX_QUEUED_EVENTS: usize = 1024;

    /// The default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_pending_pongs: Self::DEFAULT_MAX_PENDING_PONGS,
            max_queued_events: Self::DEFAULT_MAX_QUEUED_EVENTS,
        }
    }

    /// Returns these limits with [`max_frame_size`](Self::max_frame_size) set to `bytes`.
    #[must_use]
    pub const fn with_max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Returns these limits with [`max_message_size`](Self::max_message_size) set to `bytes`.
    #[must_use]
    pub const fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Returns these limits with [`max_pending_pongs`](Self::max_pending_pongs) set to `count`.
    #[must_use]
    pub const fn with_max_pending_pongs(mut self, count: usize) -> Self {
        self.max_pending_pongs = count;
        self
    }

    /// Returns these limits with [`max_queued_events`](Self::max_queued_events) set to
    /// `count`.
    #[must_use]
    pub const fn with_max_queued_events(mut self, count: usize) -> Self {
        self.max_queued_events = count;
        self
    }

    /// The configured value of `limit`.
    #[must_use]
    pub const fn get(&self, limit: Limit) -> usize {
        match limit {
            Limit::MaxFrameSize => self.max_frame_size,
            Limit::MaxMessageSize => self.max_message_size,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

/// Names one field of [`Limits`]; carried by the errors that report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_frame_size`].
    MaxFrameSize,
    /// [`Limits::max_message_size`].
    MaxMessageSize,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MaxFrameSize => "Limits::max_frame_size",
            Self::MaxMessageSize => "Limits::max_message_size",
        })
    }
}
