//! Bounds on what a [`Decoder`](super::Decoder) buffers, and what it does when a peer exceeds them.

use std::fmt;

/// Upper bounds on the bytes a [`Decoder`](super::Decoder) keeps for one stream.
///
/// The decoder buffers two things: the line in progress, bounded by
/// [`max_line_length`](Self::max_line_length), and the data of the event under construction,
/// bounded by [`max_event_size`](Self::max_event_size). A `data` line's value goes straight
/// into the event, so it counts against `max_event_size` only (its `data:` prefix is the only
/// part checked against `max_line_length`); every other line (comments, `event`, `id`, `retry`,
/// unknown fields) counts against `max_line_length`. So raising `max_event_size` alone is enough
/// to accept bigger single-line events. The line and event buffers never hold more than
/// `max_line_length + max_event_size` bytes (see
/// [`Decoder::buffered_bytes`](super::Decoder::buffered_bytes)). The outputs lent by
/// [`Decoder::feed_borrowed`](super::Decoder::feed_borrowed) also scale with the chunk fed (see
/// [`Decoder::borrowed_bytes`](super::Decoder::borrowed_bytes)).
///
/// When a peer exceeds a limit, the decoder reports a [`DecodeError`](super::DecodeError) naming
/// it and then follows its [`LimitPolicy`]. Limits are checked against totals (line length, event
/// data length), so the result does not depend on how the stream was chunked.
///
/// ```
/// use fedi_stream::sse::Limits;
///
/// let limits = Limits::default().with_max_event_size(64 * 1024);
/// assert_eq!(limits.max_line_length, Limits::DEFAULT_MAX_LINE_LENGTH);
/// assert_eq!(limits.max_event_size, 64 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The longest line accepted, in bytes, not counting its line terminator (for `data` lines:
    /// the `data:` prefix only). Default: [`Limits::DEFAULT_MAX_LINE_LENGTH`] (1 MiB).
    pub max_line_length: usize,
    /// The most data one event may carry, in bytes as received (its `data` values joined with
    /// LF, before invalid UTF-8 is replaced).
    /// Default: [`Limits::DEFAULT_MAX_EVENT_SIZE`] (1 MiB).
    pub max_event_size: usize,
}

impl Limits {
    /// Default for [`max_line_length`](Self::max_line_length): 1 MiB.
    pub const DEFAULT_MAX_LINE_LENGTH: usize = 1 << 20;
    /// Default for [`max_event_size`](Self::max_event_size): 1 MiB.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 1 << 20;

    /// The default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_line_length: Self::DEFAULT_MAX_LINE_LENGTH,
            max_event_size: Self::DEFAULT_MAX_EVENT_SIZE,
        }
    }

    /// Returns these limits with [`max_line_length`](Self::max_line_length) set to `bytes`.
    #[must_use]
    pub const fn with_max_line_length(mut self, bytes: usize) -> Self {
        self.max_line_length = bytes;
        self
    }

    /// Returns these limits with [`max_event_size`](Self::max_event_size) set to `bytes`.
    #[must_use]
    pub const fn with_max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// The configured value of `limit`.
    #[must_use]
    pub const fn get(&self, limit: Limit) -> usize {
        match limit {
            Limit::MaxLineLength => self.max_line_length,
            Limit::MaxEventSize => self.max_event_size,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

/// Names one field of [`Limits`]; carried by [`DecodeError`](super::DecodeError).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_line_length`].
    MaxLineLength,
    /// [`Limits::max_event_size`].
    MaxEventSize,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MaxLineLength => "Limits::max_line_length",
            Self::MaxEventSize => "Limits::max_event_size",
        })
    }
}

/// What a [`Decoder`](super::Decoder) does after reporting that a peer exceeded a [`Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum LimitPolicy {
    /// Drop the event under construction (its data, type and `id`), skip the stream up to and
    /// including the next blank line, and carry on decoding after it. `retry` fields seen before
    /// the error have already been reported. The default.
    #[default]
    Resync,
    /// Stop decoding: every further byte of this stream is ignored until
    /// [`Decoder::finish`](super::Decoder::finish). The host should close the connection.
    Fail,
}
