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
//! # Starting a stream
//! A subscriber that sends no last id is new: before any live entry it is sent the feed's
//! position ([`Feed::last_id`], or [`FeedConfig::start_position`] for a collection that is still
//! empty), so that a disconnect before its first item still resumes without a gap. On every
//! format it is a `meta` event whose envelope carries the id and whose data is the `position`
//! status:
//!
//! ```text
//! C2S SSE        event: meta
//!                id: 41
//!                retry: 3000
//!                data: {"type":"position","lastEventId":"41"}
//!
//! C2S WebSocket  {"type":"meta","id":"41","data":{"type":"position","lastEventId":"41"}}
//! ```
//!
//! Why an event with data rather than a bare `id: 41` block: the WHATWG algorithm records the
//! id of a block without data, but the most used non-browser clients drop such blocks whole,
//! id included: the npm `eventsource` package (its parser, `eventsource-parser`, dispatches
//! only blocks with a `data` line, and the client records ids of dispatched events only) and
//! Python's `sseclient-py` (skips events whose data is empty). A client cut off before its first
//! item would then reconnect without `Last-Event-ID` and lose what was posted meanwhile. An
//! event with a `data` line is recorded by all of them, by browsers and by `httpx-sse`. It is
//! named `meta`, so `onmessage` handlers and listeners for `inbox`/`outbox` never see it; this
//! crate's clients take the id and report nothing. A subscriber that resumes from the position
//! while the window still holds every entry since gets those entries replayed, including
//! from the start position of a collection that was empty ([`Feed`] keeps it as the position
//! before its first entry).
//!
//! A resuming SSE subscriber (a valid last id) gets that id back first, in an `id:` line
//! without data (with the `retry` field): clients that dispatch events only see nothing,
//! and clients that record the id of every block they read (as `httpx-sse` users do with
//! `sse.id`, whose decoder starts each connection with an empty id) keep their position
//! through the id-less blocks before the next item (`retry`, a `catchUp` status).
//!
//! Decisions:
//! - `meta` statuses are live only: reconnecting subscribers do not get stale warnings.
//! - Mastodon formats carry no `meta` events; a catch-up is reported to the host only
//!   ([`SessionEvent::CatchUpRequired`]).
//! - Ids are opaque; the window, not id order, decides what is replayable.

mod config;
mod entry;
mod error;
pub(crate) mod format;
mod session;
#[cfg(feature = "tokio")]
mod shared;
mod window;

pub use config::{FeedConfig, FeedLimits, SessionConfig};
pub use entry::{Entry, Payload};
pub use error::{AppendError, SessionError};
pub use format::{Format, Transmit};
pub use session::{Session, SessionEvent};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use shared::{SessionBody, SessionStream, SharedFeed};
pub use window::{Appended, Feed};
