//! A WebSocket notification bus as sans-IO machines: the typed messages of the Cloudillo-style
//! Bus, a server [`session`] per connection with the documented limits, a [`hub`] that routes
//! between many sessions, a reconnecting [`client`], and a [`cloudillo`] codec for the
//! `{id, cmd, data}` format the deployed Cloudillo server speaks.
//!
//! # No IO inside
//! Nothing in this crate opens a socket, reads a clock, spawns a thread or draws a random
//! number. The host passes frames in (`handle_*`), drains what to write and what happened
//! (`poll_transmit`, `poll_event`), and asks when to call back (`poll_timeout`). Time is an
//! argument: `now: Instant` for timers and `unix: i64` (seconds) for message timestamps.
//! Randomness (reconnect jitter) comes from a caller-supplied [`random::RandomSource`].
//!
//! ```text
//!          server host                                         client host
//!  ┌───────────────────────────────┐                   ┌──────────────────────────┐
//!  │ upgrade ok ──► Hub::connect   │                   │ Client::start(token)     │
//!  │ text frame ──► Hub::handle_text ◄── WebSocket ─────── poll_transmit: Connect, │
//!  │ timer ───────► Hub::handle_timeout                │   Send(ClientMessage),   │
//!  │ action stored► Hub::publish_action                │   Close                  │
//!  │                                 │                 │ text frame ──►           │
//!  │ poll_transmit ─► {recipients, shared bytes} ─────────► Client::handle_text    │
//!  │ poll_event ────► push tokens, replay, closes      │ poll_event ─► app        │
//!  │ poll_timeout ──► next deadline  │                 │ poll_timeout ─► timer    │
//!  └───────────────────────────────┘                   └──────────────────────────┘
//!     Hub ─owns─► Session (rate limit, presence throttle, typing expiry, idle, token expiry)
//! ```
//!
//! # Example
//! A hub and a client wired together in memory with a virtual clock:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bus_protocol::client::{Client, ClientConfig, ClientEvent, ClientTransmit};
//! use bus_protocol::hub::{ActionRoute, Hub, HubConfig, NoRelations, Payload};
//! use bus_protocol::message::{ActionNotice, ActionType, EventType, ServerMessage};
//! use bus_protocol::random::SplitMix64;
//!
//! let mut now = Instant::now();
//! let unix = 1_738_483_200;
//! let mut hub = Hub::new(HubConfig::default(), NoRelations);
//! let mut client = Client::new(ClientConfig::default(), SplitMix64::new(7));
//! client.subscribe(&[EventType::Action])?;
//! client.start("access-token", now);
//!
//! let mut key = None;
//! let mut received = Vec::new();
//! // One turn of both hosts' loops: move everything each side wants to write.
//! let mut pump = |hub: &mut Hub, client: &mut Client<SplitMix64>, now: Instant| {
//!     while let Some(t) = client.poll_transmit() {
//!         match t {
//!             // The host validates the token, then registers the connection.
//!             ClientTransmit::Connect { token } => {
//!                 assert_eq!(token, "access-token");
//!                 key = Some(hub.connect("alice.example.com", "alice", "sess_1", now, unix).unwrap());
//!                 client.handle_open(now);
//!             }
//!             ClientTransmit::Send(m) => hub.handle_text(key.unwrap(), &m.to_json_string(), now, unix).unwrap(),
//!             ClientTransmit::Close => client.handle_closed(now),
//!         }
//!         while let Some(t) = hub.poll_transmit() {
//!             if let Payload::Text(bytes) = t.payload {
//!                 client.handle_text(std::str::from_utf8(&bytes).unwrap(), now);
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
//! let post = ActionNotice {
//!     action_type: ActionType::Post,
//!     action_id: "a1~xyz789".into(),
//!     issuer: "alice".into(),
//!     content: Some("Check out this cool feature!".into()),
//!     timestamp: unix,
//!     source: None,
//! };
//! let route = ActionRoute { tenant: "alice.example.com", action: &post, parent_owner: None, participants: &[], recipient: None };
//! assert_eq!(hub.publish_action(&route)?, 1);
//! client.handle_text(&match hub.poll_transmit().unwrap().payload {
//!     Payload::Text(bytes) => String::from_utf8(bytes.to_vec())?,
//!     Payload::Close(_) => unreachable!(),
//! }, now);
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Message(ServerMessage::Action(a))) if a == post));
//!
//! // Timers: the client pings after 30 s.
//! now += Duration::from_secs(30);
//! assert_eq!(client.poll_timeout(), Some(now));
//! client.handle_timeout(now);
//! assert!(matches!(client.poll_transmit(), Some(ClientTransmit::Send(_))));
//! assert!(matches!(received.first(), Some(ClientEvent::Connected { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions
//! - Sessions start authenticated: the host validates the token at the upgrade, as the seed's
//!   server does; token expiry is signalled by the host ([`session::Session::handle_token_expired`])
//!   or given as an instant ([`session::Session::set_token_expiry`]).
//! - Presence is a per-user value in the hub: the last status the user set (online at first
//!   connect), `away` while every session is idle, `offline` after the last disconnect; changes
//!   are throttled per user (and per connection for client `presence` messages), latest wins.
//! - `replay` is this crate's client message for the seed's "event replay from the last known
//!   timestamp"; the session hands it to the host, which owns the event store.
//! - Errors answer frames in-band (`error` messages); only token expiry (4401) and the silence
//!   timeout (4408) close the connection.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backoff;
pub mod client;
pub mod cloudillo;
pub mod hub;
pub mod message;
pub mod push;
pub mod random;
pub mod session;
pub mod throttle;
pub mod token_bucket;
