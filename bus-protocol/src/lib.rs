//! A WebSocket notification bus as sans-IO machines: the typed messages of the Cloudillo-style
//! Bus, a server [`session`] per connection with the documented limits, a [`hub`] that routes
//! between many sessions, a reconnecting [`client`], and a [`cloudillo`] codec for the
//! `{id, cmd, data}` format the deployed Cloudillo server speaks.
//!
//! # No IO inside
//! Nothing in this crate opens a socket, reads a clock, spawns a thread or draws a random
//! number. The host passes frames in (`handle_*`), drains what to write and what happened
//! (`poll_transmit`, `poll_event`), and asks when to call back (`poll_timeout`). Time is an
//! argument, first in every call that needs it: `now: Instant` for timers, then the wall
//! clock `SystemTime` for message timestamps. Randomness (reconnect jitter) comes from a `u64`
//! seed given to [`client::Client::new`]. The end of a transport is `handle_end`; once a
//! machine is closed every `handle_*` returns its error's `Closed`; every queue has a
//! documented bound, past which input is refused with `Backpressure` until the host drains;
//! close codes are a [`close::CloseCode`].
//!
//! The sans-IO contract of the crate family (`handle_*` in, `poll_*` out, `now` passed in,
//! every queue bounded) is written once in `docs/sans-io-contract.md` in the repository, with
//! this crate's machines in its table.
//!
//! ```text
//!          server host                                         client host
//!  ┌───────────────────────────────┐                   ┌──────────────────────────┐
//!  │ upgrade ok ──► Hub::connect   │                   │ Client::start(token)     │
//!  │ text frame ──► Hub::handle_text ◄── WebSocket ─────── poll_transmit: Connect, │
//!  │ timer ───────► Hub::handle_timeout                │   Send(ClientMessage),   │
//!  │ Pong ────────► Hub::handle_pong │                 │                          │
//!  │ socket ended ► Hub::handle_end  │                 │                          │
//!  │ action stored► Hub::publish_action                │   Close(CloseFrame)      │
//!  │                                 │                 │ text frame ──►           │
//!  │ poll_transmit ─► {recipients, shared bytes} ─────────► Client::handle_text    │
//!  │ poll_event ────► push tokens, replay, closes      │ poll_event ─► app        │
//!  │ poll_timeout ──► next deadline  │                 │ poll_timeout ─► timer    │
//!  └───────────────────────────────┘                   └──────────────────────────┘
//!     Hub ─owns─► Session (dialect, rate limit, presence throttle, typing expiry, idle,
//!                          keep-alive Ping, silence timeout, token expiry)
//! ```
//!
//! # Example
//! A hub and a client wired together in memory with a virtual clock:
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use bus_protocol::client::{Client, ClientConfig, ClientEvent, ClientTransmit};
//! use bus_protocol::hub::{ActionRoute, Hub, HubConfig, NoRelations, Payload};
//! use bus_protocol::message::{ActionNotice, ActionType, EventType, ServerMessage};
//!
//! let mut now = Instant::now();
//! let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_738_483_200);
//! let mut hub = Hub::new(HubConfig::default(), NoRelations);
//! let mut client = Client::new(ClientConfig::default(), 7);
//! client.subscribe(&[EventType::Action])?;
//! client.start(now, "access-token")?;
//!
//! let mut key = None;
//! let mut received = Vec::new();
//! // One turn of both hosts' loops: move everything each side wants to write.
//! let mut pump = |hub: &mut Hub, client: &mut Client, now: Instant| {
//!     while let Some(t) = client.poll_transmit() {
//!         match t {
//!             // The host validates the token, then registers the connection.
//!             ClientTransmit::Connect { token } => {
//!                 assert_eq!(token, "access-token");
//!                 key = Some(hub.connect(now, wall, "alice.example.com", "alice", "sess_1").unwrap());
//!                 client.handle_open(now).unwrap();
//!             }
//!             ClientTransmit::Send(m) => hub.handle_text(now, wall, key.unwrap(), &m.to_json_string()).unwrap(),
//!             ClientTransmit::Close(_) => client.handle_end(now).unwrap(),
//!         }
//!         while let Some(t) = hub.poll_transmit() {
//!             if let Payload::Text(bytes) = t.payload {
//!                 client.handle_text(now, std::str::from_utf8(&bytes).unwrap()).unwrap();
//!             }
//!         }
//!     }
//!     while let Some(event) = client.poll_event() {
//!         received.push(event);
//!     }
//! };
//! pump(&mut hub, &mut client, now); // connect, welcome, subscribe
//! pump(&mut hub, &mut client, now);
//!
//! // The application stored a post; the hub sends it to the creator's subscribed sessions.
//! let mut post = ActionNotice::new(ActionType::Post, "a1~xyz789", "alice", 1_738_483_200);
//! post.content = Some("Check out this cool feature!".into());
//! let route = ActionRoute { tenant: "alice.example.com", action: &post, parent_owner: None, participants: &[], recipient: None };
//! assert_eq!(hub.publish_action(&route)?, 1);
//! client.handle_text(now, &match hub.poll_transmit().unwrap().payload {
//!     Payload::Text(bytes) => String::from_utf8(bytes.to_vec())?,
//!     other => panic!("expected the action, got {other:?}"),
//! })?;
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Message(ServerMessage::Action(a))) if a == post));
//!
//! // Timers: after 30 s the client pings in-band and the hub sends a WebSocket Ping.
//! now += Duration::from_secs(30);
//! assert_eq!(client.poll_timeout(), Some(now));
//! client.handle_timeout(now)?;
//! assert!(matches!(client.poll_transmit(), Some(ClientTransmit::Send(_))));
//! assert_eq!(hub.poll_timeout(), Some(now));
//! hub.handle_timeout(now, wall + Duration::from_secs(30))?;
//! assert_eq!(hub.poll_transmit().map(|t| t.payload), Some(Payload::Ping));
//! assert!(matches!(received.first(), Some(ClientEvent::Connected { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature `tokio-tungstenite`
//! [`client::WebSocketClient`] drives a [`client::Client`] over `tokio-tungstenite` and
//! tokio's timer: its events are a `Stream`, commands go through a cloneable
//! [`client::ClientHandle`], and the client's reconnects, backoff, pings and replays run on
//! their own. Its documentation has the complete example. Without the feature the crate
//! compiles no runtime; with it, no TLS is chosen (the application enables
//! `tokio-tungstenite`'s TLS feature it wants for `wss://`).
//!
//! # Decisions
//! - Sessions start authenticated: the host validates the token at the upgrade, as the seed's
//!   server does; token expiry is signalled by the host ([`session::Session::handle_token_expired`])
//!   or given as an instant ([`session::Session::set_token_expiry`]).
//! - A client is closed while stopped (before [`client::Client::start`], after
//!   [`client::Client::stop`]); it reconnects on its own otherwise, so the end of a transport
//!   closes it only for that connection. A session closes for good; the hub never closes, its
//!   sessions do, and a closed session's key answers [`hub::HubError::Closed`].
//! - Presence is a per-user value in the hub: the last status the user set (online at first
//!   connect), `away` while every session is idle, `offline` after the last disconnect; changes
//!   are throttled per user (and per connection for client `presence` messages), latest wins.
//! - `replay` is this crate's client message for the seed's "event replay from the last known
//!   timestamp"; the session hands it to the host, which owns the event store.
//! - Errors answer frames in-band (`error` messages, seed dialect); only token expiry (4401) and
//!   the silence timeout (4408) close the connection.
//! - Two dialects per session ([`session::Dialect`]), chosen by the host at connect: the seed's
//!   `{"type",…}` messages, and the deployed Cloudillo server's `{"id","cmd","data"}` frames
//!   ([`cloudillo`]), so that Cloudillo's own clients work unmodified. A Cloudillo session gets
//!   no `welcome`, an `ack` for every frame, every action of its user as an `ACTION` frame
//!   without subscribing, and no error frames (refused frames are dropped; closes carry the
//!   codes). Both dialects share one hub: the same audiences, caps and presence.
//! - Keep-alive is a WebSocket Ping every 30 s ([`session::SessionConfig::ping_interval`], as
//!   the deployed server does); the peer's Pong counts for the silence timeout, which so closes
//!   only a dead peer, never a client that is merely silent.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backoff;
pub mod client;
pub mod close;
pub mod cloudillo;
pub mod hub;
pub mod message;
pub mod push;
mod random;
pub mod session;
pub mod throttle;
pub mod token_bucket;
mod wall_clock;
