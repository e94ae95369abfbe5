//! Streaming building blocks for Fediverse real-time protocols: the pieces a server or client
//! needs to push ActivityPub activities as they happen, without any particular runtime.
//!
//! # No IO inside
//! The crate opens no socket, reads no clock, spawns no thread and needs no async runtime.
//! Hosts (tokio + axum, actix, a browser via wasm, a test harness) move the bytes; the types
//! here turn bytes into protocol events and back, deterministically.
//!
//! The sans-IO contract of the crate family (`handle_*` in, `poll_*` out, `now` passed in,
//! every queue bounded) is written once in `docs/sans-io-contract.md` in the repository, with
//! this crate's machines in its table and what still differs from it.
//!
//! # Server-sent events: [`sse`]
//! A `text/event-stream` codec that follows the WHATWG HTML "event stream interpretation"
//! exactly, byte for byte as a browser's `EventSource` would, in linear time and bounded memory.
//!
//! ```text
//!            ┌──────────── host: HTTP body chunks ────────────┐
//!            ▼                                                 │
//!   sse::Decoder::feed(&[u8] / Bytes)   ──▶  sse::Decoder::poll() ──▶ Event / Retry / Comment
//!   sse::Decoder::finish() (end of body)                          └─▶ Err(DecodeError): limits
//!
//!   sse::OutgoingEvent ──▶ sse::Encoder::encode(.., &mut BufMut) ──▶ host: HTTP body chunks
//! ```
//!
//! A complete round trip: a server encodes, the bytes arrive split at arbitrary points, a
//! client decodes, and reconnects with the last event ID it saw.
//!
//! ```
//! use fedi_stream::sse::{Decoder, Encoder, Output, OutgoingEvent};
//!
//! // Server side.
//! let mut encoder = Encoder::new();
//! let mut body = Vec::new();
//! encoder.comment("stream start", &mut body)?;
//! encoder.encode(&OutgoingEvent::new(r#"{"type":"Create"}"#).with_event("inbox").with_id("1"), &mut body)?;
//! encoder.keep_alive(&mut body);
//! encoder.encode(&OutgoingEvent::new("reboot in 5 minutes").with_event("meta"), &mut body)?;
//!
//! // Client side: the transport delivers 7-byte pieces.
//! let mut decoder = Decoder::new().with_comments(true);
//! let mut outputs = Vec::new();
//! for chunk in body.chunks(7) {
//!     decoder.feed(chunk);
//!     while let Some(output) = decoder.poll() {
//!         outputs.push(output.expect("within the default limits"));
//!     }
//! }
//! decoder.finish(); // connection closed
//! outputs.extend(decoder.by_ref().map(Result::unwrap));
//!
//! let summary: Vec<String> = outputs
//!     .iter()
//!     .map(|output| match output {
//!         Output::Event(e) => format!("{} {} #{}", e.event_type(), e.data(), e.last_event_id()),
//!         Output::Comment(text) => format!("comment {text:?}"),
//!         other => format!("{other:?}"),
//!     })
//!     .collect();
//! assert_eq!(summary, [
//!     r#"comment "stream start""#,
//!     r#"inbox {"type":"Create"} #1"#,
//!     r#"comment """#,
//!     "meta reboot in 5 minutes #1", // the last event ID persists
//! ]);
//!
//! // Reconnect: the same decoder keeps the last event ID; send it as `Last-Event-ID`.
//! assert_eq!(decoder.last_event_id(), "1");
//! # Ok::<(), fedi_stream::sse::EncodeError>(())
//! ```
//!
//! Where events are consumed at once (forwarded, parsed, counted), `feed_borrowed` decodes
//! without an allocation per event: each chunk's outputs come back as `OutputRef`s whose text is
//! lent from the chunk or the decoder, equal to what `feed` + `poll` give.
//!
//! ```
//! use fedi_stream::sse::{Decoder, OutputRef};
//!
//! let body = b"event: inbox\nid: 1\ndata: {\"type\":\"Create\"}\n\n: keep-alive\n\ndata: a\ndata: b\n\n";
//! let mut decoder = Decoder::new();
//! let mut total = 0;
//! for chunk in body.chunks(16) {
//!     for output in decoder.feed_borrowed(chunk) {
//!         if let OutputRef::Event(event) = output.expect("within the default limits") {
//!             assert!(["inbox", "message"].contains(&event.event_type()));
//!             assert_eq!(event.last_event_id(), "1");
//!             total += event.data().len();
//!         }
//!     }
//! }
//! assert_eq!(total, r#"{"type":"Create"}"#.len() + "a\nb".len());
//! ```
//!
//! Decisions worth knowing (details on the types):
//! - Browser semantics: blocks without `data` dispatch nothing, the type defaults to `message`,
//!   the last event ID persists and is carried by every event.
//! - `retry` values beyond `u64` milliseconds are ignored (as in Chromium); an empty `retry` is
//!   ignored (as the spec says).
//! - Limits (1 MiB per line, 1 MiB of data per event by default) are typed errors; by default
//!   the decoder drops the offending block and resynchronises at the next blank line.
//!
//! # ActivityPub client-to-server streaming: [`c2s`]
//!
//! Clients stop polling their inbox: the collection itself streams what is added to it, over
//! SSE (content negotiation on `GET inbox`) or over one WebSocket per actor, with ids that are
//! the collection's item ids, so a reconnect resumes without gaps and a client too far behind
//! is told exactly which `?min_id=` query returns what it missed. The same machinery serves
//! Mastodon's streaming API and the SWICG `eventStream` draft. See [`c2s`] for the modules, the
//! data flow and a complete host loop.
//!
//! # RFC 6455 WebSocket engine: [`websocket`]
//! The WebSocket protocol itself as a pure state machine, for hosts with no tokio (a custom
//! executor, io_uring, embedded, a test harness): the opening handshake on `http` types, the
//! frame codec, and a [`websocket::Connection`] for either role that takes bytes
//! (`handle_bytes`), reports messages, pings, pongs, the peer's close and failures
//! (`poll_event`), and writes frames into the caller's buffer (`send_*`, `poll_transmit`). It
//! passes the Autobahn cases 1–7, 9 and 10; see the module for the data flow and a complete
//! handshake-to-close example.
//!
//! # Cargo features
//! - `c2s` (default): the [`c2s`] modules; brings `activitystreams-core`, `url`, `serde` and
//!   `http`.
//! - `websocket` (default): the [`websocket`] engine; brings `httparse`, `base64`, `sha1`,
//!   `simdutf8` and `http`.
//! - `sse` (implied by `c2s`): the [`sse`] codec alone, with `memchr`, `simdutf8`, `bytes`
//!   and `thiserror` only: `default-features = false, features = ["sse"]` builds the codec without
//!   the AS2 types, `url` or `chrono`.
//! - `stream`: `sse::DecodeStream`, an adapter from a `futures_core::Stream` of byte chunks
//!   to a stream of SSE outputs.
//! - `tokio-util`: `sse::SseCodec`, the codec as a `tokio_util::codec` `Decoder` and
//!   `Encoder` for `FramedRead`/`FramedWrite` (tokio-util with its `codec` feature only).
//! - `reqwest`: `c2s::client::ReqwestStream`, the C2S stream client driven over `reqwest`
//!   and tokio's timer as a `Stream` of client events (implies `c2s`).
//! - `tokio`: `c2s::feed::SharedFeed`, a feed shared by tokio tasks whose subscribers are
//!   `Stream`s of transmits or HTTP response bodies (for axum, hyper...), woken by appends and
//!   tokio's timer (implies `c2s`).
//! - `tungstenite`: conversions between [`websocket`] messages, events, close frames and
//!   opcodes and their `tungstenite` 0.30 counterparts, for hosts that use `tokio-tungstenite`.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "c2s")]
#[cfg_attr(docsrs, doc(cfg(feature = "c2s")))]
pub mod c2s;
#[cfg(any(feature = "websocket", feature = "c2s"))]
mod close;
#[cfg(any(feature = "websocket", feature = "c2s"))]
mod input;
#[cfg(any(feature = "websocket", feature = "c2s"))]
mod random;
#[cfg(feature = "sse")]
#[cfg_attr(docsrs, doc(cfg(feature = "sse")))]
pub mod sse;
#[cfg(feature = "websocket")]
#[cfg_attr(docsrs, doc(cfg(feature = "websocket")))]
pub mod websocket;

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "c2s", feature = "websocket", feature = "stream"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
