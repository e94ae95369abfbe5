//! Mastodon streaming compatibility: the event names and payloads, SSE paths, WebSocket
//! frames and subscribe/unsubscribe commands, so a host can serve a Mastodon-compatible
//! stream from the same [`Feed`](crate::c2s::feed::Feed)/[`Session`](crate::c2s::feed::Session)
//! machinery ([`Format::MastodonSse`](crate::c2s::feed::Format::MastodonSse),
//! [`Format::MastodonWebSocket`](crate::c2s::feed::Format::MastodonWebSocket)).
//!
//! ```text
//!  SSE  GET /api/v1/streaming/hashtag/local?tag=rust ─▶ Stream::from_request ─▶ feed of that stream
//!       ":)"  "event: update\ndata: {…}"  ":thump"    ◀─ Session(Format::MastodonSse)
//!  WS   /api/v1/streaming (multiplexed)
//!       ─▶ {"type":"subscribe","stream":"hashtag:local","tag":"rust"} ─▶ ClientCommand ─▶ Subscriptions
//!       ◀─ {"stream":["hashtag:local","rust"],"event":"update","payload":"{…}"}  ◀─ one Session per stream
//!       ◀─ {"error":"Unknown stream type","status":400}                            ◀─ MastodonError::to_frame
//! ```
//!
//! Facts from Mastodon's documentation and streaming server: SSE starts with a `:)` comment and
//! sends `:thump` every 15 s; `payload` is a string on WebSocket (entities "cast to a string",
//! bare ids for `delete` and `announcement.delete`, absent for `filters_changed`) and the raw
//! text on SSE (`data: undefined` for `filters_changed`); the `stream` array is the stream name
//! plus the tag or list id.
//!
//! Decisions: entries with ids also get SSE `id:` lines (Mastodon sends none), which gives
//! `EventSource` clients resume for free; hashtags are lowercased (Mastodon routes them that
//! way), so the `stream` array carries the lowercased tag; C2S `meta` events are never sent on
//! Mastodon formats.

mod event;
mod frame;
mod stream;

use thiserror::Error;

pub use event::{EventName, PayloadKind, StreamingEvent};
pub use frame::{ClientCommand, FrameLimits, ServerFrame};
pub use stream::{STREAMING_PATH, Stream};

/// What a Mastodon peer sent (or a host asked) that does not fit the streaming API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum MastodonError {
    /// A stream name (or SSE path) Mastodon does not have.
    #[error("Unknown stream type")]
    UnknownStream,
    /// A stream that needs `tag` or `list` came without it.
    #[error("No {param} for stream provided")]
    MissingParameter {
        /// `tag` or `list`.
        param: &'static str,
    },
    /// A `tag` or `list` longer than 256 bytes or with control characters.
    #[error("Invalid {param} for stream")]
    InvalidParameter {
        /// `tag` or `list`.
        param: &'static str,
    },
    /// A command `type` other than `subscribe` and `unsubscribe`.
    #[error("Unknown command type")]
    UnknownCommand,
    /// An event name that SSE cannot carry (empty, or with CR, LF or NUL).
    #[error("Invalid event name")]
    InvalidName,
    /// A payload that does not fit its event.
    #[error("Invalid payload: {reason}")]
    InvalidPayload {
        /// What is wrong.
        reason: String,
    },
    /// A frame that is not the expected JSON object.
    #[error("Invalid frame: {reason}")]
    Frame {
        /// What is wrong.
        reason: String,
    },
    /// A frame larger than [`FrameLimits::max_frame_bytes`].
    #[error("Frame of {size} bytes exceeds FrameLimits::max_frame_bytes ({max})")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More subscriptions than [`Subscriptions`] allows.
    #[error("Too many subscriptions (at most {max})")]
    TooManySubscriptions {
        /// The limit.
        max: usize,
    },
}

impl MastodonError {
    /// The status Mastodon's error frames carry: 400 (429 for too many subscriptions, 413 for
    /// oversized frames).
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::TooManySubscriptions { .. } => 429,
            Self::TooLarge { .. } => 413,
            _ => 400,
        }
    }

    /// The error frame to send the client, e.g. `{"error":"Unknown stream type","status":400}`.
    #[must_use]
    pub fn to_frame(&self) -> ServerFrame {
        ServerFrame::Error {
            error: self.to_string(),
            status: Some(self.status()),
        }
    }
}

/// What a [`ClientCommand`] changed in [`Subscriptions`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubscriptionChange {
    /// Start streaming this (attach a session to its feed).
    Added(Stream),
    /// Stop streaming this (drop its session).
    Removed(Stream),
    /// Nothing changed (already subscribed, or not subscribed).
    Unchanged,
}

/// The streams one Mastodon WebSocket connection is subscribed to, bounded.
///
/// ```
/// use fedi_stream::c2s::mastodon::{ClientCommand, Stream, SubscriptionChange, Subscriptions};
///
/// let mut subscriptions = Subscriptions::new(2);
/// assert_eq!(subscriptions.apply(ClientCommand::Subscribe(Stream::User))?, SubscriptionChange::Added(Stream::User));
/// assert_eq!(subscriptions.apply(ClientCommand::Subscribe(Stream::User))?, SubscriptionChange::Unchanged);
/// subscriptions.apply(ClientCommand::Subscribe(Stream::Public))?;
/// assert!(subscriptions.apply(ClientCommand::Subscribe(Stream::Direct)).is_err());
/// # Ok::<(), fedi_stream::c2s::mastodon::MastodonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscriptions {
    max: usize,
    streams: Vec<Stream>,
}

impl Subscriptions {
    /// Default limit on subscriptions per connection.
    pub const DEFAULT_MAX: usize = 16;

    /// At most `max` subscriptions.
    #[must_use]
    pub fn new(max: usize) -> Self {
        Self {
            max,
            streams: Vec::new(),
        }
    }

    /// Applies a command.
    ///
    /// # Errors
    /// [`MastodonError::TooManySubscriptions`] when subscribing beyond the limit.
    pub fn apply(&mut self, command: ClientCommand) -> Result<SubscriptionChange, MastodonError> {
        match command {
            ClientCommand::Subscribe(stream) => {
                if self.streams.contains(&stream) {
                    return Ok(SubscriptionChange::Unchanged);
                }
                if self.streams.len() >= self.max {
                    return Err(MastodonError::TooManySubscriptions { max: self.max });
                }
                self.streams.push(stream.clone());
                Ok(SubscriptionChange::Added(stream))
            }
            ClientCommand::Unsubscribe(stream) => {
                match self.streams.iter().position(|known| known == &stream) {
                    Some(index) => {
                        self.streams.remove(index);
                        Ok(SubscriptionChange::Removed(stream))
                    }
                    None => Ok(SubscriptionChange::Unchanged),
                }
            }
        }
    }

    /// The current subscriptions, in the order they were made.
    #[must_use]
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_frames_use_mastodons_messages() {
        assert_eq!(
            MastodonError::UnknownStream.to_frame().encode(),
            r#"{"error":"Unknown stream type","status":400}"#
        );
        assert_eq!(
            MastodonError::MissingParameter { param: "tag" }
                .to_frame()
                .encode(),
            r#"{"error":"No tag for stream provided","status":400}"#
        );
    }

    #[test]
    fn unsubscribe_frees_a_slot() {
        let mut subscriptions = Subscriptions::new(1);
        subscriptions
            .apply(ClientCommand::Subscribe(Stream::User))
            .unwrap();
        assert_eq!(
            subscriptions.apply(ClientCommand::Unsubscribe(Stream::Public)),
            Ok(SubscriptionChange::Unchanged)
        );
        assert_eq!(
            subscriptions.apply(ClientCommand::Unsubscribe(Stream::User)),
            Ok(SubscriptionChange::Removed(Stream::User))
        );
        assert!(
            subscriptions
                .apply(ClientCommand::Subscribe(Stream::Direct))
                .is_ok()
        );
        assert_eq!(subscriptions.streams(), [Stream::Direct]);
    }
}
