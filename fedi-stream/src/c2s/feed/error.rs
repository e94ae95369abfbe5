//! Errors of the streaming server. Both are local misuse: nothing a subscriber sends can cause
//! them (a bad `Last-Event-ID` becomes a catch-up instruction, not an error).

use thiserror::Error;

use crate::c2s::item::ItemId;

use super::format::Format;

/// The host tried to append something the feed cannot carry. Nothing was appended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The payload is larger than [`FeedLimits::max_entry_size`](super::FeedLimits::max_entry_size).
    #[error("the payload is {size} bytes; FeedLimits::max_entry_size is {max}")]
    EntryTooLarge {
        /// Payload size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// An entry with the same id is still in the window; ids must be unique in a collection.
    #[error("item id {id} is already in the feed's window")]
    DuplicateId {
        /// The repeated id.
        id: ItemId,
    },
    /// The event name is empty or contains CR, LF or NUL.
    #[error("the event name {name:?} is empty or contains CR, LF or NUL")]
    InvalidName {
        /// The refused name.
        name: String,
    },
    /// A text payload is not UTF-8.
    #[error("the text payload is not UTF-8 (invalid byte at {index})")]
    PayloadNotUtf8 {
        /// Index of the first invalid byte.
        index: usize,
    },
}

/// The host asked for a session the feed cannot serve, or handed a closed session input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session is closed (its last output was transmitted): it takes no more input.
    #[error("the session is closed; it takes no more input")]
    Closed,
    /// The feed does not prepare this format ([`FeedConfig::formats`](super::FeedConfig::formats)).
    #[error("the feed does not serve the {format} format; add it to FeedConfig::formats")]
    FormatNotServed {
        /// The requested format.
        format: Format,
    },
}
