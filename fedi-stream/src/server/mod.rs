//! The streaming server: a [`Feed`] per collection (the shared, bounded replay window) and a
//! [`Session`] per subscriber (its position, resume, keep-alives and cut-off), for C2S SSE,
//! C2S WebSocket and Mastodon streaming alike.
//!
//! ```text
//!  host: item added to alice's inbox
//!        │ Feed::append(StreamEvent / Entry)      encode once per format ─┐
//!        ▼                                                                 ▼
//!  ┌──────────────────────── Feed (one per collection) ────────────────────────┐
//!  │ window: [seq 40 │ 41 │ … │ 97]   ≤ FeedLimits (1024 entries, 16 MiB)       │
//!  │ index: item id → seq            each entry: Bytes per format (shared)       │
//!  └───────────▲───────────────────────────▲───────────────────────▲────────────┘
//!              │ &Feed                     │                       │
//!   Session (SSE, pos 98)      Session (WS, pos 95)     Session (Mastodon, pos 61)
//!   poll_transmit ─▶ Body      poll_transmit ─▶ Text    behind > queue limit
//!   handle_timeout ─▶ ":"      handle_timeout ─▶ Ping   ─▶ meta catchUp, CutOff, end
//! ```
//!
//! Guarantees:
//! - A subscriber that reconnects with `Last-Event-ID` receives exactly the entries that
//!   followed that id, once each, in order, if they are still in the window and within its
//!   queue limit; otherwise a `catchUp` meta event with the collection's `?min_id=` URL, then
//!   live entries. Nothing is skipped silently.
//! - Memory: the feed holds at most [`FeedLimits`] (the newest entry always stays); a session
//!   holds a position and at most three small pending outputs, however slow its subscriber.
//! - Each entry is encoded once per format; delivering it to a subscriber copies a pointer.
//!
//! Decisions:
//! - `meta` statuses are live only: reconnecting subscribers do not get stale warnings.
//! - Mastodon formats carry no `meta` events; a catch-up is reported to the host only
//!   ([`SessionEvent::CatchUpRequired`]).
//! - Ids are opaque; the window, not id order, decides what is replayable.

mod config;
mod entry;
mod error;
mod feed;
mod format;
mod session;

pub use config::{FeedConfig, FeedLimits, SessionConfig};
pub use entry::{Entry, Payload};
pub use error::{AppendError, SessionError};
pub use feed::{Appended, Feed};
pub use format::{Format, Transmit};
pub use session::{Session, SessionEvent};
