//! ActivityPub client-to-server streaming, built on the [`sse`](crate::sse) codec.
//!
//! Clients stop polling their inbox: the collection itself streams what is added to it, over
//! SSE (content negotiation on `GET inbox`) or over one WebSocket per actor, with ids that are
//! the collection's item ids, so a reconnect resumes without gaps and a client too far behind
//! is told exactly which `?min_id=` query returns what it missed. The same machinery serves
//! Mastodon's streaming API and the SWICG `eventStream` draft.
//!
//! | module | what it holds |
//! |---|---|
//! | [`item`] | `inbox`/`outbox`/`meta` events, [`ItemId`](item::ItemId)s, shared [`Json`](item::Json) payloads, [`Meta`](item::Meta) statuses, the catch-up URL (`?min_id=`) |
//! | [`negotiate`] | `Accept` with q-values, wildcards and profiles; response headers; 406; `Last-Event-ID` |
//! | [`feed`] | [`Feed`](feed::Feed): a collection's shared, bounded replay window, each entry encoded once; [`Session`](feed::Session): one subscriber's position, resume, keep-alives, cut-off |
//! | [`client`] | [`Client`](client::Client): reconnect with backoff honouring `retry:`, `Last-Event-ID`, de-duplication, catch-up |
//! | [`socket`] | the WebSocket form: `inbox` pushes, `outbox` posts with delivery status, `proxy`, `store`, `fetch`, correlation, limits |
//! | [`discovery`] | actor `endpoints` shown to the actor only; SWICG `eventStream`, `proxyEventStream`, `Add`/`Remove`/`Update`/`Delete` events |
//! | [`mastodon`] | Mastodon streaming event names, SSE paths, WebSocket frames, subscribe/unsubscribe |
//!
//! ```text
//!  host: item added to a collection (stored first, with its id)
//!    │ Feed::append(StreamEvent::inbox(id, activity))    ── encoded once per wire format
//!    ▼
//!  Feed (one per collection): bounded window [oldest … newest], id → position
//!    │ &Feed                        │ &Feed                         │ &Feed
//!  Session(Sse) ◀─ resume_id ─ GET  socket::ServerConnection ◀─ frames  Session(MastodonSse/WebSocket)
//!    │ poll_transmit → body bytes     │ poll_transmit → Frame         │ poll_transmit → body / text
//!    │ handle_timeout → ":" / cut-off │ handle_message → Request      │ mastodon::Subscriptions
//!    ▼                                ▼                               ▼
//!  client::Client (or EventSource)  socket::ClientConnection           Mastodon apps
//!    └─ Item · CatchUp(url ?min_id=) · Meta · Duplicate · Reconnecting(backoff, retry:)
//! ```
//!
//! ## A host loop
//! What a server does for `GET /users/alice/inbox` with `Accept: text/event-stream`: negotiate,
//! open a session at the client's resume position, and let the connection task drain the session
//! whenever it is woken (a new item, a timer) and the socket can take more. A tokio + hyper host
//! keeps the feed in a `Mutex`/`RwLock`, wakes the inbox's connection tasks with a
//! `tokio::sync::Notify` after each append, sleeps until [`Session::poll_timeout`](feed::Session::poll_timeout),
//! and turns each [`Transmit::Body`](feed::Transmit::Body) into a body frame; here the clock is
//! virtual and the body a `Vec`.
//!
//! ```
//! use std::sync::Mutex;
//! use std::time::{Duration, Instant};
//! use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
//! use fedi_stream::c2s::negotiate::{self, Negotiator, not_acceptable};
//! use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, Session, SessionConfig, SessionEvent, Transmit};
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
//!     while let Some(transmit) = session.poll_transmit(now, &feed) {
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
//!     session.handle_timeout(now, &feed)?;
//! }
//! assert_eq!(body, b"event: inbox\nid: 1\ndata: {\"type\":\"Create\",\"actor\":\"https://example.net/bob\"}\n\n:\n");
//! assert_eq!(now - start, Duration::from_secs(30)); // the keep-alive timer, twice
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The WebSocket endpoint is the same loop around a [`socket::ServerConnection`] (created with the
//! resume id from `?last_event_id=`): pass every text/binary message to `handle_message` (and
//! the client's Close to `handle_close`, the end of the transport to `handle_end`), answer
//! each [`socket::ServerConnectionEvent::Request`] with `accept`/`delivery`/`done`, `proxied`, `stored`,
//! `fetched` or `fail`, and send what `poll_transmit` returns (text, binary, ping, close). A
//! Mastodon endpoint maps `/api/v1/streaming/...` to a feed with
//! [`mastodon::Stream::from_request`] and opens a [`Format::MastodonSse`](feed::Format::MastodonSse)
//! session, or, on its WebSocket, keeps one [`Format::MastodonWebSocket`](feed::Format::MastodonWebSocket)
//! session per entry of [`mastodon::Subscriptions`].
//!
//! Decisions worth knowing (details on the modules):
//! - Nothing is lost silently: a reconnect either replays exactly what followed its
//!   `Last-Event-ID` or gets a `catchUp` meta event naming the `?min_id=` URL and the end of the
//!   gap; a new subscriber is sent the feed's position first (an SSE block with only `id:`).
//! - Memory is bounded by the feed's window ([`feed::FeedLimits`]: 1024 entries, 16 MiB by
//!   default); a subscriber costs a position, however slow it is, and is cut off with a
//!   `catchUp` (`slowConsumer`) event beyond its queue limit ([`feed::SessionConfig`]: 512
//!   entries, 8 MiB).
//! - `meta` events carry no id (a status never moves a client's resume position) and are not
//!   replayed; Mastodon formats never carry them.
//! - Activities are carried as validated JSON bytes, exactly as stored; the streaming path never
//!   parses or re-serialises them.
//!

pub mod client;
pub mod discovery;
pub mod feed;
pub mod item;
pub mod mastodon;
pub mod negotiate;
pub mod socket;

mod query;
