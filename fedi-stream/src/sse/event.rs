//! What a [`Decoder`](super::Decoder) produces: dispatched [`Event`]s and the other [`Output`]s.

use std::fmt;
use std::time::Duration;

/// The event type a dispatched event gets when its block set none (or set an empty one).
pub const DEFAULT_EVENT_TYPE: &str = "message";

/// One dispatched event, as a browser's `EventSource` would fire it as a `MessageEvent`.
///
/// The data, the last event ID and the type share one allocation (one per event, nothing
/// shared between events), so decoding an event costs a single allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// `data`, then `last_event_id`, then `event_type`.
    text: String,
    data_len: usize,
    id_len: usize,
}

impl Event {
    /// An event of type `event_type` (an empty type means [`DEFAULT_EVENT_TYPE`], as in a
    /// decoded stream) carrying `data`, whose last event ID is `last_event_id`.
    #[must_use]
    pub fn new(event_type: &str, data: &str, last_event_id: &str) -> Self {
        let event_type = if event_type.is_empty() {
            DEFAULT_EVENT_TYPE
        } else {
            event_type
        };
        let mut text = String::with_capacity(data.len() + last_event_id.len() + event_type.len());
        text.push_str(data);
        text.push_str(last_event_id);
        text.push_str(event_type);
        Self {
            text,
            data_len: data.len(),
            id_len: last_event_id.len(),
        }
    }

    /// The event type: the block's last `event` value, or `"message"` when it had none or an
    /// empty one. Never empty.
    #[must_use]
    #[inline]
    pub fn event_type(&self) -> &str {
        self.text
            .get(self.data_len + self.id_len..)
            .unwrap_or_default()
    }

    /// The data: the block's `data` values joined with LF (no trailing LF).
    #[must_use]
    #[inline]
    pub fn data(&self) -> &str {
        self.text.get(..self.data_len).unwrap_or_default()
    }

    /// The last event ID at dispatch time: the latest `id` value of this stream (or the seed
    /// given to the decoder), which persists across events until the peer sets another one.
    #[must_use]
    #[inline]
    pub fn last_event_id(&self) -> &str {
        self.text
            .get(self.data_len..self.data_len + self.id_len)
            .unwrap_or_default()
    }

    /// Takes the data out of the event without copying it.
    #[must_use]
    pub fn into_data(mut self) -> String {
        self.text.truncate(self.data_len);
        self.text
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("event_type", &self.event_type())
            .field("data", &self.data())
            .field("last_event_id", &self.last_event_id())
            .finish()
    }
}

/// One item of a [`Decoder`](super::Decoder)'s output, in stream order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Output {
    /// A block ended with a blank line and had at least one `data` field.
    Event(Event),
    /// A valid `retry` field (ASCII digits only, fitting in `u64` milliseconds): the peer's new
    /// reconnection time. It takes effect at once, even if the block is never dispatched.
    Retry(Duration),
    /// A comment line (`:` then text), with one leading space removed. Only reported when
    /// enabled with [`Decoder::with_comments`](super::Decoder::with_comments); useful to notice
    /// keep-alives.
    Comment(String),
}
