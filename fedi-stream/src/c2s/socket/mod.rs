//! The WebSocket form of ActivityPub C2S streaming: one connection per actor that pushes its
//! inbox and carries outbox posts (with per-recipient delivery status), object proxying and
//! blob storage, as the original proposal describes.
//!
//! ```text
//!  client                                                 server
//!  ClientConnection ── {"type":"outbox","id":"1","data":{…}} ──▶ ServerConnection ─▶ Request
//!                   ◀─ {"type":"accepted","id":"1","data":{"activity":…,"object":…}}
//!                   ◀─ {"type":"delivery","id":"1","data":{"recipient":…,"status":"delivered"}}
//!                   ◀─ {"type":"done","id":"1","data":{"delivered":2,"failed":0}}
//!                   ── {"type":"proxy","id":"2","data":"https://…"} ─▶  ◀─ proxied
//!                   ── [len][{"type":"store","id":"3","data":{"mediaType":…}}][blob] ─▶ ◀─ stored
//!                   ── {"type":"fetch","id":"4","data":"https://…"} ─▶ ◀─ fetched (text or binary)
//!                   ◀─ {"type":"inbox","id":"42","data":{…activity…}}   (Feed → Session)
//!                   ◀─ {"type":"meta","data":{"type":"catchUp",…}}
//!                   ◀─ {"type":"error","id"?:…,"data":{"status":400,"message":…}}
//! ```
//!
//! Envelopes are JSON objects `{"type": …, "id"?: …, "data"?: …}`. `id` is the collection item
//! id on pushed items (as the SSE `id`) and the client's request id on requests and their
//! answers. Unknown envelope fields are ignored.
//!
//! Binary messages carry blobs without base64's third more: a 4-byte big-endian header length,
//! the header envelope (JSON), then the blob bytes. `store` requests and blob `fetched` answers
//! use them; everything else is text.
//!
//! Resuming: browsers cannot set headers on a WebSocket, so the upgrade request may carry
//! `?last_event_id=` ([`resume_id`](crate::c2s::negotiate::resume_id) reads either); the server then
//! replays or sends a catch-up exactly as over SSE.
//!
//! Size limits ([`SocketLimits`]) bound every message and queue. WebSocket framing, masking and
//! pings are below this layer: the host's WebSocket library (`tokio-tungstenite`, or this
//! crate's sans-IO [`websocket`](crate::websocket) engine) carries the messages, and tells the
//! connection when the peer's Close arrived (`handle_close`) or the transport ended
//! (`handle_end`). Close codes are the crate's one [`CloseCode`] (the engine's too).
//!
//! Both connections follow the crate family's sans-IO contract: after every input, drain
//! `poll_transmit`, then `poll_event`, then read `poll_timeout`; once closed, every
//! `handle_*` returns [`InputError::Closed`]; a full event queue makes
//! `handle_message` return [`InputError::Backpressure`] without taking the message.
//!
//! A connection that opens without a last id is sent the stream's position first
//! (`{"type":"meta","id":"…","data":{"type":"position","lastEventId":"…"}}`), which
//! [`ClientConnection`] keeps as its resume point.

mod client;
pub(crate) mod envelope;
mod error;
mod limits;
mod message;
mod server;

pub use crate::close::{CloseCode, CloseFrame};
pub use crate::input::InputError;
pub use client::{ClientConnection, ClientConnectionEvent};
pub use envelope::{Incoming, Outgoing};
pub use error::{EnvelopeError, RequestError, ResponseError};
pub use limits::SocketLimits;
pub use message::{Blob, ClientMessage, DeliveryStatus, Fetched, RequestId, ServerMessage};
pub use server::{ServerConnection, ServerConnectionEvent};
