//! `fedi-hub`, the reference server: one tokio process serving the protocols of the family
//! from their sans-IO crates, with its state in a database ([`Storage`]: SQLite in a data
//! directory, PostgreSQL for several instances, or memory).
//!
//! The server core ([`Server`]) accepts TCP connections, speaks HTTP/1.1 with hyper, and offers
//! each request to its protocol modules in turn; WebSocket upgrades are handed to
//! tokio-tungstenite. Each module wires one crate:
//!
//! ```text
//!                      ┌──────────────────────── Server ─────────────────────────┐
//!  TCP ─► hyper http1 ─┤ dispatch: first module that claims the path answers      │
//!                      │   page  GET / /app.js /style.css /api/whoami             │
//!                      │   c2s   /users/{name}[/inbox|/outbox|/ws], /objects/…,   │
//!                      │         /blobs/… ──► activitystreams_core::c2s, store,   │
//!                      │         fedi_stream feeds (SSE, C2S WebSocket)           │
//!                      │   bus   /ws/bus  ──► bus_protocol::hub::Hub (mutex)      │
//!                      │          ▲ publish_action / publish_to (other modules)   │
//!                      │   versia /.well-known/versia, /.versia/v0.6/{inbox,ws}   │
//!                      │          ──► versia_ws (verify, Acceptor, Connection)    │
//!                      │   mastodon /api/v1/streaming[/…] ──► fedi_stream,        │
//!                      │         /api/v{1,2}/instance, verify_credentials         │
//!                      │   drive  /actor/… ; RabbitMQ ──► cattle_drive_types      │
//!                      │   federation /.well-known/webfinger ──► webfinger, keys  │
//!                      │ shared: accounts + tokens, the store (SQLite/PostgreSQL, │
//!                      │         feeds following it), limits, shutdown, tasks,    │
//!                      │         cluster notices (PostgreSQL / Redis / NATS)      │
//!                      └──────────────────────────────────────────────────────────┘
//! ```
//!
//! Start it on any listener and stop it with any future:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use fedi_examples::hub::{Config, Server};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = Server::bind(Config::demo(), listener).await?;
//! println!("{}", server.banner());
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! Decisions:
//! - Accounts authenticate with bearer tokens (`Authorization: Bearer`, or `?token=` on
//!   WebSocket URLs, where browsers cannot set headers). The demo page receives its token in
//!   the URL fragment, which never reaches the server or its logs.
//! - Everything is bounded in bytes (see [`Limits`]); a subscriber that does not keep up is
//!   disconnected rather than buffered without end.
//! - Every stored object has an audience: reads answer only what the reader may see, `404`
//!   otherwise; a post is answered once committed (examples/README.md: "Storage", "Threat
//!   model").
//! - Shutdown stops accepting, closes WebSockets with 1001, lets HTTP requests in flight
//!   finish, and waits at most [`Config::shutdown_grace`].

mod accounts;
mod bus;
mod c2s;
mod cluster;
mod config;
mod db;
mod drive;
mod federation;
mod mastodon;
mod module;
mod page;
mod queue;
mod random;
mod server;
mod stall;
mod store;
mod stream;
mod versia;
mod web;
mod ws;

pub use accounts::{Account, AccountError, AccountSeed, MAX_NAME_LEN};
pub use cluster::{Broker, ClusterConfig, ClusterError};
pub use config::{ActorKeyKind, Config, FederationConfig, Limits, VersiaConfig, VersiaPeer};
pub use db::{DbError, Storage};
pub use drive::CattleConfig;
pub use server::{ServeError, Server, serve};
pub use versia::VersiaError;
