//! Streaming building blocks for Fediverse real-time protocols: the pieces a server or client
//! needs to push ActivityPub activities as they happen, without any particular runtime.
//!
//! # No IO inside
//! The crate opens no socket, reads no clock, spawns no thread and needs no async runtime.
//! Hosts (tokio + axum, actix, a browser via wasm, a test harness) move the bytes; the types
//! here turn bytes into protocol events and back, deterministically.
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
//! Decisions worth knowing (details on the types):
//! - Browser semantics: blocks without `data` dispatch nothing, the type defaults to `message`,
//!   the last event ID persists and is carried by every event.
//! - `retry` values beyond `u64` milliseconds are ignored (as in Chromium); an empty `retry` is
//!   ignored (as the spec says).
//! - Limits (1 MiB per line, 1 MiB of data per event by default) are typed errors; by default
//!   the decoder drops the offending block and resynchronises at the next blank line.
//!
//! # ActivityPub client-to-server streaming
//! Clients stop polling their inbox: the collection itself streams what is added to it, over
//! SSE (content negotiation on `GET inbox`) or over one WebSocket per actor, with ids that are
//! the collection's item ids, so a reconnect resumes without gaps and a client too far behind
//! is told exactly which `?min_id=` query returns what it missed. The same machinery serves
//! Mastodon's streaming API and the SWICG `eventStream` draft.
//!
//! | module | what it holds |
//! |---|---|
//! | [`event`] | `inbox`/`outbox`/`meta` events, [`ItemId`](event::ItemId)s, shared [`Json`](event::Json) payloads, [`Meta`](event::Meta) statuses, the catch-up URL (`?min_id=`) |
//! | [`negotiate`] | `Accept` with q-values, wildcards and profiles; response headers; 406; `Last-Event-ID` |
//! | [`server`] | [`Feed`](server::Feed): a collection's shared, bounded replay window, each entry encoded once; [`Session`](server::Session): one subscriber's position, resume, keep-alives, cut-off |
//! | [`client`] | [`Client`](client::Client): reconnect with backoff honouring `retry:`, `Last-Event-ID`, de-duplication, catch-up |
//! | [`ws`] | the WebSocket form: `inbox` pushes, `outbox` posts with delivery status, `proxy`, `store`, `fetch`, correlation, limits |
//! | [`discovery`] | actor `endpoints` shown to the actor only; SWICG `eventStream`, `proxyEventStream`, `Add`/`Remove`/`Update`/`Delete` events |
//! | [`mastodon`] | Mastodon streaming event names, SSE paths, WebSocket frames, subscribe/unsubscribe |
//!
//! ```text
//!  host: item added to a collection (stored first, with its id)
//!    │ Feed::append(StreamEvent::inbox(id, activity))    ── encoded once per wire format
//!    ▼
//!  Feed (one per collection): bounded window [oldest … newest], id → position
//!    │ &Feed                        │ &Feed                         │ &Feed
//!  Session(Sse) ◀─ resume_id ─ GET  ws::ServerConnection ◀─ frames  Session(MastodonSse/WebSocket)
//!    │ poll_transmit → body bytes     │ poll_transmit → Frame         │ poll_transmit → body / text
//!    │ handle_timeout → ":" / cut-off │ handle_message → Request      │ mastodon::Subscriptions
//!    ▼                                ▼                               ▼
//!  client::Client (or EventSource)  ws::ClientConnection           Mastodon apps
//!    └─ Item · CatchUp(url ?min_id=) · Meta · Duplicate · Reconnecting(backoff, retry:)
//! ```
//!
//! ## A host loop
//! What a server does for `GET /users/alice/inbox` with `Accept: text/event-stream`: negotiate,
//! open a session at the client's resume position, and let the connection task drain the session
//! whenever it is woken (a new item, a timer) and the socket can take more. A tokio + hyper host
//! keeps the feed in a `Mutex`/`RwLock`, wakes the inbox's connection tasks with a
//! `tokio::sync::Notify` after each append, sleeps until [`Session::poll_timeout`](server::Session::poll_timeout),
//! and turns each [`Transmit::Body`](server::Transmit::Body) into a body frame; here the clock is
//! virtual and the body a `Vec`.
//!
//! ```
//! use std::sync::Mutex;
//! use std::time::{Duration, Instant};
//! use fedi_stream::event::{ItemId, Json, StreamEvent};
//! use fedi_stream::negotiate::{self, Negotiator, not_acceptable};
//! use fedi_stream::server::{Feed, FeedConfig, Format, Session, SessionConfig, SessionEvent, Transmit};
//!
//! // One feed per collection, shared by every connection of that collection.
//! let inbox = Mutex::new(Feed::new(FeedConfig::new("https://example.com/users/alice/inbox".parse()?)));
//!
//! // The request: JSON goes to the collection handler; a stream gets a session.
//! let request = http::Request::get("/users/alice/inbox")
//!     .header("Accept", "text/event-stream")
//!     .header("Last-Event-ID", "") // empty means none
//!     .body(())?;
//! let negotiator = Negotiator::collection();
//! let Ok(representation) = negotiator.negotiate(&request) else {
//!     let _response = not_acceptable(negotiator.offers()); // 406
//!     return Ok(());
//! };
//! assert!(representation.is_stream());
//! let response = representation.response_builder().body(())?; // the body follows
//! assert_eq!(response.headers()["cache-control"], "no-cache");
//!
//! let start = Instant::now();
//! let mut now = start; // read by the host, passed in
//! let resume = negotiate::resume_id(&request);
//! let mut session = Session::new(&inbox.lock().unwrap(), Format::Sse, resume.as_deref(), SessionConfig::default(), now)?;
//!
//! // Elsewhere: bob's Create reaches alice's inbox. Store it, append it, wake the connections.
//! let create = Json::from_bytes(r#"{"type":"Create","actor":"https://example.net/bob"}"#)?;
//! inbox.lock().unwrap().append(StreamEvent::inbox(ItemId::new("1")?, create))?;
//!
//! // The connection task.
//! let mut body = Vec::new();
//! for _ in 0..2 {
//!     let feed = inbox.lock().unwrap();
//!     while let Some(transmit) = session.poll_transmit(&feed, now) {
//!         if let Transmit::Body(bytes) = transmit {
//!             body.extend_from_slice(&bytes); // write to the socket
//!         }
//!     }
//!     while let Some(event) = session.poll_event() {
//!         // Log it; after SessionEvent::CutOff, end the response once poll_transmit is drained.
//!         assert!(!matches!(event, SessionEvent::CutOff { .. }));
//!     }
//!     // Sleep until the deadline (or until woken by an append); the clock jumps here.
//!     now = session.poll_timeout().expect("open sessions keep a keep-alive timer");
//!     session.handle_timeout(&feed, now);
//! }
//! assert_eq!(body, b"event: inbox\nid: 1\ndata: {\"type\":\"Create\",\"actor\":\"https://example.net/bob\"}\n\n:\n");
//! assert_eq!(now - start, Duration::from_secs(30)); // the keep-alive timer, twice
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The WebSocket endpoint is the same loop around a [`ws::ServerConnection`] (created with the
//! resume id from `?last_event_id=`): pass every text/binary message to `handle_message`, answer
//! each [`ws::ServerEvent::Request`] with `accept`/`delivery`/`done`, `proxied`, `stored`,
//! `fetched` or `fail`, and send what `poll_transmit` returns (text, binary, ping, close). A
//! Mastodon endpoint maps `/api/v1/streaming/...` to a feed with
//! [`mastodon::Stream::from_request`] and opens a [`Format::MastodonSse`](server::Format::MastodonSse)
//! session, or, on its WebSocket, keeps one [`Format::MastodonWebSocket`](server::Format::MastodonWebSocket)
//! session per entry of [`mastodon::Subscriptions`].
//!
//! Decisions worth knowing (details on the modules):
//! - Nothing is lost silently: a reconnect either replays exactly what followed its
//!   `Last-Event-ID` or gets a `catchUp` meta event naming the `?min_id=` URL and the end of the
//!   gap; a new subscriber is sent the feed's position first (an SSE block with only `id:`).
//! - Memory is bounded by the feed's window ([`server::FeedLimits`]: 1024 entries, 16 MiB by
//!   default); a subscriber costs a position, however slow it is, and is cut off with a
//!   `catchUp` (`slowConsumer`) event beyond its queue limit ([`server::SessionConfig`]: 512
//!   entries, 8 MiB).
//! - `meta` events carry no id (a status never moves a client's resume position) and are not
//!   replayed; Mastodon formats never carry them.
//! - Activities are carried as validated JSON bytes, exactly as stored; the streaming path never
//!   parses or re-serialises them.
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
//! - `stream`: `sse::DecodeStream`, an adapter from a `futures_core::Stream` of byte chunks
//!   to a stream of SSE outputs.
//! - `tungstenite`: conversions between [`websocket`] messages, events, close frames and
//!   opcodes and their `tungstenite` 0.30 counterparts, for hosts that use `tokio-tungstenite`.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod discovery;
pub mod event;
pub mod mastodon;
pub mod negotiate;
pub mod server;
pub mod sse;
pub mod websocket;
pub mod ws;

mod query;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
