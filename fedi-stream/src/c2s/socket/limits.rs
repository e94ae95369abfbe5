//! [`SocketLimits`] of the WebSocket C2S endpoint.

use std::time::Duration;

/// Bounds of a WebSocket C2S connection (both sides use the same struct).
///
/// ```
/// use fedi_stream::c2s::socket::SocketLimits;
///
/// let limits = SocketLimits::default().with_max_blob(4 << 20);
/// assert_eq!(limits.max_text_message, SocketLimits::DEFAULT_MAX_TEXT_MESSAGE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SocketLimits {
    /// Largest text message (one JSON envelope) accepted. Default: 1 MiB.
    pub max_text_message: usize,
    /// Largest binary message (header and blob) accepted. Default: 16 MiB.
    pub max_binary_message: usize,
    /// Largest JSON header of a binary message. Default: 64 KiB.
    pub max_binary_header: usize,
    /// Longest request id. Default: 128 bytes.
    pub max_request_id: usize,
    /// Most requests in flight at once (an outbox post stays in flight until `done`).
    /// Default: 32.
    pub max_in_flight: usize,
    /// Most bytes of responses (server) or requests (client) queued before the host takes
    /// them with `poll_transmit`. Default: 32 MiB (two maximal blobs).
    pub max_queued_bytes: usize,
    /// Most events waiting for `poll_event`. Once that many wait, `handle_message` returns
    /// [`InputError::Backpressure`](super::InputError::Backpressure) without taking the
    /// message, and a client's `handle_timeout` reports only as many timeouts as fit (the
    /// rest at the next call). Default: 256.
    pub max_queued_events: usize,
    /// Client: how long a request may wait for its (first) answer. Default: 30 s.
    pub request_timeout: Duration,
}

impl SocketLimits {
    /// Default [`max_text_message`](Self::max_text_message).
    pub const DEFAULT_MAX_TEXT_MESSAGE: usize = 1 << 20;
    /// Default [`max_binary_message`](Self::max_binary_message).
    pub const DEFAULT_MAX_BINARY_MESSAGE: usize = 16 << 20;
    /// Default [`max_binary_header`](Self::max_binary_header).
    pub const DEFAULT_MAX_BINARY_HEADER: usize = 64 << 10;
    /// Default [`max_request_id`](Self::max_request_id).
    pub const DEFAULT_MAX_REQUEST_ID: usize = 128;
    /// Default [`max_in_flight`](Self::max_in_flight).
    pub const DEFAULT_MAX_IN_FLIGHT: usize = 32;
    /// Default [`max_queued_bytes`](Self::max_queued_bytes).
    pub const DEFAULT_MAX_QUEUED_BYTES: usize = 32 << 20;
    /// Default [`max_queued_events`](Self::max_queued_events).
    pub const DEFAULT_MAX_QUEUED_EVENTS: usize = 256;
    /// Default [`request_timeout`](Self::request_timeout).
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

    /// The defaults.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_text_message: Self::DEFAULT_MAX_TEXT_MESSAGE,
            max_binary_message: Self::DEFAULT_MAX_BINARY_MESSAGE,
            max_binary_header: Self::DEFAULT_MAX_BINARY_HEADER,
            max_request_id: Self::DEFAULT_MAX_REQUEST_ID,
            max_in_flight: Self::DEFAULT_MAX_IN_FLIGHT,
            max_queued_bytes: Self::DEFAULT_MAX_QUEUED_BYTES,
            max_queued_events: Self::DEFAULT_MAX_QUEUED_EVENTS,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Sets [`max_binary_message`](Self::max_binary_message) (blobs up to about this size).
    #[must_use]
    pub const fn with_max_blob(mut self, bytes: usize) -> Self {
        self.max_binary_message = bytes;
        self
    }

    /// Sets [`max_in_flight`](Self::max_in_flight).
    #[must_use]
    pub const fn with_max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests;
        self
    }

    /// Sets [`max_queued_bytes`](Self::max_queued_bytes).
    #[must_use]
    pub const fn with_max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes;
        self
    }

    /// Sets [`max_queued_events`](Self::max_queued_events) (0 counts as 1).
    #[must_use]
    pub const fn with_max_queued_events(mut self, events: usize) -> Self {
        self.max_queued_events = events;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    #[must_use]
    pub const fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

impl Default for SocketLimits {
    fn default() -> Self {
        Self::new()
    }
}
