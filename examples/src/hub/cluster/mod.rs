//! Multi-instance fan-out of ephemeral events: hub processes on one PostgreSQL database share
//! what is not stored (Bus presence changes), so a user sees the same live events whichever
//! instance they are connected to.
//!
//! ```text
//!  module ──publish(kind, body)──► outgoing queue ──► link task ──► pg_notify / PUBLISH / PUB
//!                                                        │   (reconnects with backoff)
//!  handler(kind) ◄── envelope {origin, kind, body} ◄─────┘◄── LISTEN / SUBSCRIBE / SUB
//! ```
//!
//! Everything that is stored (inbox and outbox items, Bus actions and messages) already
//! reaches every instance through the shared database: each instance's store tail reads the
//! committed rows in order (see [`crate::hub::store`]). This module carries only the rest.
//!
//! Every instance publishes an envelope `{"origin": <instance id>, "kind": ..., "body": ...}`
//! and ignores its own. The carrier is, in order of preference:
//! - a Redis (`redis` crate, pub/sub on one channel) or NATS (`async-nats`, core subject)
//!   broker when one is configured;
//! - otherwise, on PostgreSQL storage, the database itself: `pg_notify` on the channel
//!   `fedi_hub_cluster.<channel>`, received through a `LISTEN` connection. PostgreSQL refuses
//!   notification payloads of 8,000 bytes or more; larger envelopes are dropped with a
//!   warning (presence notices are a few hundred bytes);
//! - on SQLite or in memory, nothing: one instance only.
//!
//! A broker with a storage of the instance's own (SQLite, memory) is refused at start
//! ([`ClusterError::UnsharedStorage`]): instances with separate stores cannot share ids or
//! items, so their live events would point at nothing.

mod nats_link;
mod pg_link;
mod redis_link;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::hub::db::{Db, Storage};
use crate::hub::server::Shutdown;

/// Which broker carries the fan-out, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Broker {
    /// Redis pub/sub: `redis://[user:password@]host[:port][/db]` (default port 6379), or
    /// `rediss://` for TLS (verified against the system's root certificates).
    Redis(String),
    /// NATS core: `nats://[user:password@]host[:port]` (default port 4222), or `tls://` for
    /// TLS (verified against the system's root certificates).
    Nats(String),
    /// The hub's own PostgreSQL database (`LISTEN`/`NOTIFY`): no other service. What a hub on
    /// PostgreSQL storage uses when [`crate::hub::Config::cluster`] is `None`.
    Postgres,
}

/// Multi-instance fan-out settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// The broker.
    pub broker: Broker,
    /// The Redis channel, NATS subject or PostgreSQL notification channel suffix every instance
    /// of one cluster shares (default `fedi-hub`). On PostgreSQL the channel is
    /// `fedi_hub_cluster.<channel>`, so at most 46 bytes are left for it.
    pub channel: String,
    /// Envelopes waiting while the broker is slow or reconnecting; more are dropped with a
    /// warning (default 4,096).
    pub queue: usize,
    /// Largest envelope sent or accepted (default 1 MiB; on PostgreSQL at most 7,999 bytes
    /// are sent, PostgreSQL's own limit).
    pub max_message_bytes: usize,
}

impl ClusterConfig {
    /// Fan-out through the Redis at `url` on channel `fedi-hub`.
    #[must_use]
    pub fn redis(url: impl Into<String>) -> Self {
        ClusterConfig::new(Broker::Redis(url.into()))
    }

    /// Fan-out through the NATS server at `url` on subject `fedi-hub`.
    #[must_use]
    pub fn nats(url: impl Into<String>) -> Self {
        ClusterConfig::new(Broker::Nats(url.into()))
    }

    /// Fan-out through the hub's PostgreSQL storage on channel `fedi_hub_cluster.fedi-hub`.
    #[must_use]
    pub fn postgres() -> Self {
        ClusterConfig::new(Broker::Postgres)
    }

    /// The same, on another channel or subject.
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    fn new(broker: Broker) -> Self {
        ClusterConfig {
            broker,
            channel: "fedi-hub".into(),
            queue: 4_096,
            max_message_bytes: 1024 * 1024,
        }
    }
}

/// The fan-out could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The broker URL is not usable.
    #[error("broker URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The channel or subject name is empty, has whitespace, or (on PostgreSQL) is too long.
    #[error(
        "cluster channel `{0}` must be non-empty and without whitespace (at most 46 bytes on PostgreSQL)"
    )]
    InvalidChannel(String),
    /// A broker is configured but the storage is the instance's own: instances share their
    /// state only through one PostgreSQL database.
    #[error(
        "a fan-out broker needs the PostgreSQL storage every instance shares, but this hub keeps its state in {storage}: start every instance on the same PostgreSQL database (--database)"
    )]
    UnsharedStorage {
        /// The storage this hub was given, as [`Storage::describe`] tells it.
        storage: String,
    },
    /// Connecting or talking to the broker failed.
    #[error("broker connection: {0}")]
    Io(#[from] std::io::Error),
    /// The broker client (Redis, NATS or PostgreSQL) reported an error.
    #[error("broker connection: {0}")]
    Client(Box<dyn std::error::Error + Send + Sync>),
    /// The broker answered with an error or something unexpected.
    #[error("broker protocol: {0}")]
    Protocol(String),
    /// The broker did not answer in time.
    #[error("the broker did not answer within {0:?}")]
    Timeout(Duration),
}

impl ClusterError {
    fn client(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        ClusterError::Client(Box::new(error))
    }
}

/// Called with the `body` of every envelope of its kind from another instance.
pub(crate) type Handler = Box<dyn Fn(Value) + Send + Sync>;

/// How long connecting and subscribing may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// First reconnect delay.
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Reconnect backoff ceiling.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Prefix of the PostgreSQL notification channel (distinct from the store's `fedi_hub_commit`).
const PG_CHANNEL_PREFIX: &str = "fedi_hub_cluster.";
/// Longest PostgreSQL identifier, hence channel name (`NAMEDATALEN - 1`).
const PG_MAX_CHANNEL: usize = 63;
/// PostgreSQL refuses a `NOTIFY` payload of 8,000 bytes or more.
const PG_MAX_PAYLOAD: usize = 7_999;

/// The delay before reconnect attempt `attempt` (0, 1, ...): doubling from 250 ms up to 30 s.
pub(crate) fn backoff(attempt: usize) -> Duration {
    let doublings = u32::try_from(attempt.min(16)).unwrap_or(16);
    MIN_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// What [`Cluster::start`] connects to.
enum Link {
    Redis(::redis::Client),
    Nats(async_nats::ServerAddr),
    Postgres,
}

/// This instance's end of the fan-out. Without a carrier (SQLite or memory storage, no broker)
/// it is inert: publishing does nothing.
pub(crate) struct Cluster {
    origin: String,
    outgoing: Option<mpsc::Sender<Bytes>>,
    queue: Mutex<Option<mpsc::Receiver<Bytes>>>,
    link: Option<Link>,
    /// The Redis channel, NATS subject or PostgreSQL channel.
    channel: String,
    /// Largest envelope received.
    max_receive: usize,
    /// Largest envelope sent.
    max_send: usize,
    handlers: RwLock<HashMap<&'static str, Handler>>,
}

impl Cluster {
    /// The fan-out for `config` on `storage` (not connected until [`Cluster::start`]): the
    /// configured broker, or PostgreSQL's `LISTEN`/`NOTIFY` on PostgreSQL storage without one.
    ///
    /// # Errors
    /// [`ClusterError::UnsharedStorage`] for a broker on a storage of this instance's own,
    /// [`ClusterError::InvalidUrl`], [`ClusterError::InvalidChannel`].
    pub(crate) fn new(
        config: Option<ClusterConfig>,
        storage: &Storage,
    ) -> Result<Self, ClusterError> {
        let config = match config {
            Some(_) if !storage.is_shared() => {
                return Err(ClusterError::UnsharedStorage {
                    storage: storage.describe(),
                });
            }
            Some(config) => Some(config),
            None if storage.is_shared() => Some(ClusterConfig::postgres()),
            None => None,
        };
        let Some(config) = config else {
            return Ok(Cluster::inert());
        };
        if config.channel.is_empty() || config.channel.contains(char::is_whitespace) {
            return Err(ClusterError::InvalidChannel(config.channel));
        }
        let (link, channel, max_send) = match &config.broker {
            Broker::Redis(url) => (
                Link::Redis(redis_link::client(url)?),
                config.channel.clone(),
                config.max_message_bytes,
            ),
            Broker::Nats(url) => (
                Link::Nats(nats_link::address(url)?),
                config.channel.clone(),
                config.max_message_bytes,
            ),
            Broker::Postgres => {
                let channel = format!("{PG_CHANNEL_PREFIX}{}", config.channel);
                if channel.len() > PG_MAX_CHANNEL {
                    return Err(ClusterError::InvalidChannel(config.channel));
                }
                (
                    Link::Postgres,
                    channel,
                    config.max_message_bytes.min(PG_MAX_PAYLOAD),
                )
            }
        };
        let (outgoing, queue) = mpsc::channel(config.queue.max(1));
        Ok(Cluster {
            origin: crate::hub::random::hex(8),
            outgoing: Some(outgoing),
            queue: Mutex::new(Some(queue)),
            link: Some(link),
            channel,
            max_receive: config.max_message_bytes,
            max_send,
            handlers: RwLock::new(HashMap::new()),
        })
    }

    fn inert() -> Self {
        Cluster {
            origin: crate::hub::random::hex(8),
            outgoing: None,
            queue: Mutex::new(None),
            link: None,
            channel: String::new(),
            max_receive: 0,
            max_send: 0,
            handlers: RwLock::new(HashMap::new()),
        }
    }

    /// Registers the handler of envelopes of `kind` from other instances.
    pub(crate) fn on(&self, kind: &'static str, handler: Handler) {
        self.handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(kind, handler);
    }

    /// Registers `handle` on `target` for envelopes of `kind`, holding `target` weakly (so the
    /// cluster does not keep a stopped hub's modules alive).
    pub(crate) fn on_weak<T: Send + Sync + 'static>(
        &self,
        kind: &'static str,
        target: &Arc<T>,
        handle: fn(&T, Value),
    ) {
        let weak = Arc::downgrade(target);
        self.on(
            kind,
            Box::new(move |body| {
                if let Some(target) = weak.upgrade() {
                    handle(&target, body);
                }
            }),
        );
    }

    /// Sends an envelope to the other instances (dropped with a warning when the queue is full
    /// or the envelope is larger than the carrier takes).
    pub(crate) fn publish(&self, kind: &'static str, body: Value) {
        let Some(outgoing) = &self.outgoing else {
            return;
        };
        let envelope = json!({"origin": self.origin, "kind": kind, "body": body}).to_string();
        if envelope.len() > self.max_send {
            tracing::warn!(
                kind,
                bytes = envelope.len(),
                limit = self.max_send,
                "cluster envelope too large for the fan-out; dropped"
            );
            return;
        }
        if outgoing.try_send(Bytes::from(envelope)).is_err() {
            tracing::warn!(kind, "cluster queue full or closed; envelope dropped");
        }
    }

    /// Connects and subscribes (failing if the broker or database cannot be reached now), then
    /// keeps the link up in a background task until shutdown, reconnecting with backoff.
    ///
    /// # Errors
    /// [`ClusterError`] when the first connection or subscription fails.
    pub(crate) async fn start(
        self: &Arc<Self>,
        db: &Db,
        shutdown: Shutdown,
    ) -> Result<(), ClusterError> {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (Some(link), Some(queue)) = (&self.link, queue) else {
            return Ok(());
        };
        match link {
            Link::Redis(client) => {
                redis_link::start(self.clone(), client.clone(), queue, shutdown).await
            }
            Link::Nats(address) => {
                nats_link::start(self.clone(), address.clone(), queue, shutdown).await
            }
            Link::Postgres => pg_link::start(self.clone(), db.clone(), queue, shutdown).await,
        }?;
        tracing::info!(channel = %self.channel, "cluster fan-out connected");
        Ok(())
    }

    /// Hands an envelope from the carrier to its handler (unless this instance sent it).
    fn receive(&self, envelope: &[u8]) {
        if envelope.len() > self.max_receive {
            tracing::warn!(
                bytes = envelope.len(),
                limit = self.max_receive,
                "cluster: ignoring an envelope over ClusterConfig::max_message_bytes"
            );
            return;
        }
        let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(envelope) else {
            tracing::warn!("cluster: ignoring a message that is not a JSON envelope");
            return;
        };
        if envelope.get("origin").and_then(Value::as_str) == Some(self.origin.as_str()) {
            return;
        }
        let Some(Value::String(kind)) = envelope.remove("kind") else {
            tracing::warn!("cluster: ignoring an envelope without kind");
            return;
        };
        let body = envelope.remove("body").unwrap_or(Value::Null);
        let handlers = self.handlers.read().unwrap_or_else(|e| e.into_inner());
        match handlers.get(kind.as_str()) {
            Some(handler) => handler(body),
            None => tracing::debug!(%kind, "cluster: no handler for this kind"),
        }
    }
}

/// A client call, or [`ClusterError::Timeout`] after [`HANDSHAKE_TIMEOUT`].
async fn timed<T, E: std::error::Error + Send + Sync + 'static>(
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, ClusterError> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, future).await {
        Ok(result) => result.map_err(ClusterError::client),
        Err(_) => Err(ClusterError::Timeout(HANDSHAKE_TIMEOUT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg() -> Storage {
        Storage::Postgres("postgres://postgres@127.0.0.1/fedi".into())
    }

    #[test]
    fn a_broker_needs_postgresql_storage() {
        for storage in [Storage::Memory, Storage::default_directory()] {
            for config in [
                ClusterConfig::redis("redis://127.0.0.1:6379"),
                ClusterConfig::nats("nats://127.0.0.1:4222"),
                ClusterConfig::postgres(),
            ] {
                let error = Cluster::new(Some(config), &storage).err();
                assert!(
                    matches!(error, Some(ClusterError::UnsharedStorage { .. })),
                    "{error:?}"
                );
            }
            // Without a broker, such a hub is alone and its fan-out inert.
            let cluster = Cluster::new(None, &storage).unwrap();
            assert!(cluster.link.is_none() && cluster.outgoing.is_none());
        }
    }

    #[test]
    fn postgresql_storage_fans_out_through_postgresql_by_default() {
        let cluster = Cluster::new(None, &pg()).unwrap();
        assert!(matches!(cluster.link, Some(Link::Postgres)));
        assert_eq!(cluster.channel, "fedi_hub_cluster.fedi-hub");
        assert_eq!(cluster.max_send, 7_999);
        let cluster = Cluster::new(Some(ClusterConfig::redis("redis://h:1")), &pg()).unwrap();
        assert!(matches!(cluster.link, Some(Link::Redis(_))));
        assert_eq!(cluster.channel, "fedi-hub");
    }

    #[test]
    fn a_postgresql_channel_fits_an_identifier() {
        let longest = "c".repeat(PG_MAX_CHANNEL - PG_CHANNEL_PREFIX.len());
        let config = ClusterConfig::postgres().with_channel(longest.clone());
        let cluster = Cluster::new(Some(config), &pg()).unwrap();
        assert_eq!(cluster.channel.len(), 63);
        let config = ClusterConfig::postgres().with_channel(format!("{longest}c"));
        assert!(matches!(
            Cluster::new(Some(config), &pg()),
            Err(ClusterError::InvalidChannel(_))
        ));
        // Brokers have no such limit.
        let config = ClusterConfig::redis("redis://h:1").with_channel(format!("{longest}c"));
        assert!(Cluster::new(Some(config), &pg()).is_ok());
    }

    #[test]
    fn envelopes_larger_than_the_carrier_takes_are_not_queued() {
        let cluster = Cluster::new(None, &pg()).unwrap();
        let mut queue = cluster.queue.lock().unwrap().take().unwrap();
        // The envelope adds about 60 bytes of JSON around the body.
        cluster.publish("test", json!("x".repeat(7_900)));
        let sent = queue.try_recv().expect("a 7.9 kB envelope is queued");
        assert!(sent.len() < 8_000, "{}", sent.len());
        cluster.publish("test", json!("x".repeat(8_000)));
        assert!(queue.try_recv().is_err(), "an 8 kB envelope is dropped");
    }

    #[test]
    fn received_envelopes_reach_their_handler_unless_own_or_oversized() {
        let config = ClusterConfig {
            max_message_bytes: 200,
            ..ClusterConfig::postgres()
        };
        let cluster = Cluster::new(Some(config), &pg()).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        cluster.on("k", Box::new(move |body| sink.lock().unwrap().push(body)));
        cluster.receive(br#"{"origin":"other","kind":"k","body":1}"#);
        let own = format!(r#"{{"origin":"{}","kind":"k","body":2}}"#, cluster.origin);
        cluster.receive(own.as_bytes());
        let big = format!(
            r#"{{"origin":"other","kind":"k","body":"{}"}}"#,
            "x".repeat(200)
        );
        cluster.receive(big.as_bytes());
        cluster.receive(br#"{"origin":"other","kind":"other","body":3}"#);
        cluster.receive(b"not json");
        cluster.receive(br#"{"origin":"other","kind":"k"}"#);
        assert_eq!(*seen.lock().unwrap(), vec![json!(1), Value::Null]);
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(7), MAX_BACKOFF);
        assert_eq!(backoff(usize::MAX), MAX_BACKOFF);
    }
}
