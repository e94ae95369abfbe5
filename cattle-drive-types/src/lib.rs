//! The Cattle Drive protocol (cattle_grid's account API over AMQP and MQTT): messages, routing
//! keys, authorization and a sans-IO correlation machine.
//!
//! Cattle Drive lets one client manage a cattle_grid account: create actors, act as them
//! (triggers), look up remote objects (requests) and receive their events, all as JSON messages
//! on the broker's topic exchange `amq.topic` (or MQTT topics). The ground truth is cattle_grid
//! 0.5.22's pydantic models, not the older protocol prose: actors in `info` are objects, `fetch`
//! data is the raw object, errors come in two shapes, event keys end with the activity type.
//!
//! The crate does no IO: it reads no clock, opens no socket, starts no thread and draws no
//! OS randomness. Hosts hand in routing keys, correlation ids, bodies and `now`; they publish
//! what comes out. The `fedi-examples` package wires it to RabbitMQ (lapin) and MQTT 5 (rumqttc).
//!
//! The sans-IO contract of the crate family (`handle_*` in, `poll_*` out, `now` passed in,
//! every queue bounded) is written once in `docs/sans-io-contract.md` in the repository, with
//! this crate's machines in its table and what still differs from it.
//!
//! * [`message`]: typed models of every message, accepting and refusing what cattle_grid's
//!   models accept and refuse, writing what cattle_grid writes.
//! * [`topic`]: routing keys and MQTT topics: parse, format, classify, authorize.
//! * [`client`]: the correlation machine of a client.
//! * [`server`]: the counterpart for implementers (and a single-actor "CowDrive"), including
//!   the [order](server#publishing-order) to publish answers and events in, which almabtrieb,
//!   cattle_grid's Python client, relies on.
//!
//! ```text
//!        client host                          broker (amq.topic)                server host
//!  ┌───────────────────┐  Outgoing        ┌──────────────────┐  delivery   ┌──────────────────┐
//!  │ Client::request   │ ───────────────► │ send.NAME.…      │ ──────────► │ Server::          │
//!  │ Client::trigger   │  key, id, body   │                  │  key, id,   │   handle_publish  │
//!  │                   │                  │                  │  body, login│   ─► Inbound      │
//!  │ handle_message ◄──┼──────────────────│ receive.NAME.…   │ ◄────────── │ respond / fail /  │
//!  │ handle_timeout    │  key, id, body   │ error.NAME       │  Outbound   │ event ─► Outbound │
//!  │ poll_event ─► app │                  └──────────────────┘             └──────────────────┘
//!  │ poll_timeout      │
//!  └───────────────────┘
//! ```
//!
//! # Example
//!
//! A client and a server, wired back to back in memory:
//!
//! ```
//! use std::time::Instant;
//! use cattle_drive_types::client::{Client, ClientConfig, ClientEvent};
//! use cattle_drive_types::message::{FetchMessage, FetchResponse, Request, Response};
//! use cattle_drive_types::server::{ClientMessage, Server, ServerConfig};
//! use cattle_drive_types::topic::AccountName;
//!
//! let alice = AccountName::new("alice")?;
//! let mut client = Client::new(alice.clone(), ClientConfig::default(), 42);
//! let server = Server::new(ServerConfig::default());
//! let now = Instant::now();
//!
//! // The client asks; the host publishes `out` on amq.topic.
//! let out = client.request(now, Request::Fetch(FetchMessage::new("http://abel/actor/1", "http://banach/o/1")))?;
//! assert_eq!(out.routing_key, "send.alice.request.fetch");
//!
//! // The server side receives it (the broker authenticated the publisher as alice) ...
//! let inbound = server.handle_publish(Some(&alice), &out.routing_key, Some(out.correlation_id.as_str()), &out.body)?;
//! let ClientMessage::Request(Request::Fetch(fetch)) = &inbound.message else { unreachable!() };
//! // ... looks the object up and answers.
//! let reply = server.respond(&inbound, &Response::Fetch(FetchResponse::new(&fetch.actor, &fetch.uri, None)))?;
//! assert_eq!(reply.routing_key, "receive.alice.response.fetch");
//!
//! // The client host hands the delivery in and drains events.
//! client.handle_message(now, &reply.routing_key, reply.correlation_id.as_deref(), &reply.body)?;
//! match client.poll_event() {
//!     Some(ClientEvent::Response { id, response: Response::Fetch(r) }) => {
//!         assert_eq!(id, out.correlation_id);
//!         assert_eq!(r.data, None);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! // Nothing waits any more, so there is no timer to arm.
//! assert_eq!(client.poll_timeout(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod message;
pub mod server;
pub mod topic;

mod random;

/// At most 64 characters of untrusted text, for error messages.
pub(crate) fn truncated(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or(text)),
        None => text.to_owned(),
    }
}
