//! Multi-instance fan-out: hub processes share their live events through Redis pub/sub or NATS,
//! so a user sees the same events whichever instance they are connected to.
//!
//! ```text
//!  module ──publish(kind, body)──► outgoing queue ──► broker connection task ──► PUBLISH / PUB
//!                                                        │   (reconnects with backoff)
//!  handler(kind) ◄── envelope {origin, kind, body} ◄─────┘◄── SUBSCRIBE message / MSG
//! ```
//!
//! Every instance publishes an envelope `{"origin": <instance id>, "kind": ..., "body": ...}`
//! on one channel (Redis) or subject (NATS) and ignores its own. Only live events travel; each
//! instance keeps its own in-memory store. The two wire clients are the small subsets the hub
//! needs ([`resp`], [`nats`]), which keeps heavyweight client crates (TLS stacks included) out of
//! the build; TLS brokers are not supported.

mod nats;
mod resp;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::hub::server::Shutdown;

/// Which broker carries the fan-out, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Broker {
    /// Redis pub/sub: `redis://[user:password@]host[:port]` (default port 6379).
    Redis(String),
    /// NATS core: `nats://[user:password@]host[:port]` (default port 4222).
    Nats(String),
}

/// Multi-instance fan-out settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// The broker.
    pub broker: Broker,
    /// The Redis channel or NATS subject every instance of one cluster shares (default
    /// `fedi-hub`).
    pub channel: String,
    /// Envelopes waiting while the broker is slow or reconnecting; more are dropped with a
    /// warning (default 4,096).
    pub queue: usize,
    /// Largest envelope accepted from the broker (default 1 MiB).
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
    /// The channel or subject name is empty or has whitespace.
    #[error("cluster channel `{0}` must be non-empty and without whitespace")]
    InvalidChannel(String),
    /// Connecting or talking to the broker failed.
    #[error("broker connection: {0}")]
    Io(#[from] std::io::Error),
    /// The broker answered with an error or something unexpected.
    #[error("broker protocol: {0}")]
    Protocol(String),
    /// The broker did not answer in time.
    #[error("the broker did not answer within {0:?}")]
    Timeout(Duration),
}

/// Called with the `body` of every envelope of its kind from another instance.
pub(crate) type Handler = Box<dyn Fn(Value) + Send + Sync>;

/// How long connecting and subscribing may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnect backoff ceiling.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// This instance's end of the fan-out. Without a [`ClusterConfig`] it is inert: publishing
/// does nothing.
pub(crate) struct Cluster {
    origin: String,
    outgoing: Option<mpsc::Sender<Bytes>>,
    queue: Mutex<Option<mpsc::Receiver<Bytes>>>,
    config: Option<ClusterConfig>,
    handlers: RwLock<HashMap<&'static str, Handler>>,
}

impl Cluster {
    /// The fan-out for `config` (not connected until [`Cluster::start`]).
    pub(crate) fn new(config: Option<ClusterConfig>) -> Result<Self, ClusterError> {
        let (outgoing, queue) = match &config {
            Some(c) => {
                if c.channel.is_empty() || c.channel.contains(char::is_whitespace) {
                    return Err(ClusterError::InvalidChannel(c.channel.clone()));
                }
                Target::parse(&c.broker)?;
                let (tx, rx) = mpsc::channel(c.queue.max(1));
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        Ok(Cluster {
            origin: crate::hub::random::hex(8),
            outgoing,
            queue: Mutex::new(queue),
            config,
            handlers: RwLock::new(HashMap::new()),
        })
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

    /// Sends an envelope to the other instances (dropped with a warning when the queue is full).
    pub(crate) fn publish(&self, kind: &'static str, body: Value) {
        let Some(outgoing) = &self.outgoing else {
            return;
        };
        let envelope = json!({"origin": self.origin, "kind": kind, "body": body});
        if outgoing
            .try_send(Bytes::from(envelope.to_string()))
            .is_err()
        {
            tracing::warn!(kind, "cluster queue full or closed; envelope dropped");
        }
    }

    /// Connects and subscribes (failing if the broker cannot be reached now), then keeps the
    /// connection up in a background task until shutdown, reconnecting with backoff.
    pub(crate) async fn start(self: &Arc<Self>, shutdown: Shutdown) -> Result<(), ClusterError> {
        let (Some(config), Some(queue)) = (self.config.clone(), self.queue.lock().await.take())
        else {
            return Ok(());
        };
        let target = Target::parse(&config.broker)?;
        let (ready_tx, ready_rx) = oneshot::channel();
        tokio::spawn(
            self.clone()
                .maintain(config, target, queue, ready_tx, shutdown),
        );
        ready_rx
            .await
            .unwrap_or_else(|_| Err(ClusterError::Protocol("the cluster task ended".into())))
    }

    async fn maintain(
        self: Arc<Self>,
        config: ClusterConfig,
        target: Target,
        mut queue: mpsc::Receiver<Bytes>,
        ready: oneshot::Sender<Result<(), ClusterError>>,
        mut shutdown: Shutdown,
    ) {
        let mut ready = Some(ready);
        let mut backoff = Duration::from_millis(250);
        loop {
            let mut link = Link {
                cluster: &self,
                config: &config,
                queue: &mut queue,
                ready: &mut ready,
            };
            let result = tokio::select! {
                result = link.session(&target) => result,
                () = shutdown.wait() => return,
            };
            match (result, ready.take()) {
                (Err(e), Some(first)) => {
                    let _ = first.send(Err(e));
                    return;
                }
                (Ok(()), _) => return,
                (Err(e), None) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cluster connection lost");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = shutdown.wait() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn receive(&self, envelope: &[u8]) {
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

/// A parsed broker address.
struct Target {
    kind: BrokerKind,
    address: String,
    user: Option<String>,
    password: Option<String>,
}

#[derive(Clone, Copy)]
enum BrokerKind {
    Redis,
    Nats,
}

impl Target {
    fn parse(broker: &Broker) -> Result<Target, ClusterError> {
        let (kind, text, scheme, port) = match broker {
            Broker::Redis(url) => (BrokerKind::Redis, url, "redis", 6379),
            Broker::Nats(url) => (BrokerKind::Nats, url, "nats", 4222),
        };
        let invalid = |reason| ClusterError::InvalidUrl {
            url: text.clone(),
            reason,
        };
        let url = url::Url::parse(text).map_err(|_| invalid("not a URL"))?;
        if url.scheme() != scheme {
            return Err(invalid(match kind {
                BrokerKind::Redis => "the scheme must be redis:// (TLS is not supported)",
                BrokerKind::Nats => "the scheme must be nats:// (TLS is not supported)",
            }));
        }
        let host = url.host_str().ok_or_else(|| invalid("no host"))?;
        let port = url.port().unwrap_or(port);
        let user = Some(url.username())
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        Ok(Target {
            kind,
            address: format!("{host}:{port}"),
            user,
            password: url.password().map(str::to_owned),
        })
    }
}

/// One connection's worth of state borrowed from the maintaining task.
struct Link<'a> {
    cluster: &'a Cluster,
    config: &'a ClusterConfig,
    queue: &'a mut mpsc::Receiver<Bytes>,
    ready: &'a mut Option<oneshot::Sender<Result<(), ClusterError>>>,
}

impl Link<'_> {
    /// Connects, subscribes, then relays until the connection fails (`Err`) or the cluster is
    /// dropped (`Ok`).
    async fn session(&mut self, target: &Target) -> Result<(), ClusterError> {
        match target.kind {
            BrokerKind::Redis => self.redis(target).await,
            BrokerKind::Nats => self.nats(target).await,
        }
    }

    fn announce_ready(&mut self) {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Ok(()));
        }
        tracing::info!(channel = %self.config.channel, "cluster fan-out connected");
    }

    async fn redis(&mut self, target: &Target) -> Result<(), ClusterError> {
        let limit = self.config.max_message_bytes;
        let channel = self.config.channel.as_bytes();
        let (mut sub_rx, mut sub_tx) = timed(redis_connect(target, limit)).await?;
        let (mut pub_rx, mut pub_tx) = timed(redis_connect(target, limit)).await?;
        let mut sub_buf = BytesMut::new();
        sub_tx
            .write_all(&resp::command(&[b"SUBSCRIBE", channel]))
            .await?;
        timed(async {
            loop {
                match read_reply(&mut sub_rx, &mut sub_buf, limit).await? {
                    resp::Reply::Array(Some(items))
                        if items.first() == Some(&bulk(b"subscribe")) =>
                    {
                        return Ok(());
                    }
                    resp::Reply::Error(e) => return Err(ClusterError::Protocol(e)),
                    _ => {}
                }
            }
        })
        .await?;
        self.announce_ready();
        let mut pub_buf = BytesMut::new();
        loop {
            tokio::select! {
                read = sub_rx.read_buf(&mut sub_buf) => {
                    closed_if_zero(read?)?;
                    while let Some(reply) = resp::decode(&mut sub_buf, limit).map_err(protocol)? {
                        if let resp::Reply::Array(Some(items)) = reply
                            && let [kind, _, resp::Reply::Bulk(Some(payload))] = items.as_slice()
                            && *kind == bulk(b"message")
                        {
                            self.cluster.receive(payload);
                        }
                    }
                }
                read = pub_rx.read_buf(&mut pub_buf) => {
                    closed_if_zero(read?)?;
                    while let Some(reply) = resp::decode(&mut pub_buf, limit).map_err(protocol)? {
                        if let resp::Reply::Error(e) = reply {
                            tracing::warn!(error = %e, "redis refused a PUBLISH");
                        }
                    }
                }
                envelope = self.queue.recv() => match envelope {
                    Some(envelope) => {
                        pub_tx.write_all(&resp::command(&[b"PUBLISH", channel, &envelope])).await?;
                    }
                    None => return Ok(()),
                },
            }
        }
    }

    async fn nats(&mut self, target: &Target) -> Result<(), ClusterError> {
        let limit = self.config.max_message_bytes;
        let subject = self.config.channel.as_str();
        let stream = timed(async { Ok(TcpStream::connect(&target.address).await?) }).await?;
        let _ = stream.set_nodelay(true);
        let (mut rx, mut tx) = stream.into_split();
        let mut buf = BytesMut::new();
        timed(async {
            match read_op(&mut rx, &mut buf, limit).await? {
                nats::ServerOp::Info(_) => Ok(()),
                other => Err(ClusterError::Protocol(format!(
                    "expected INFO from the NATS server, got {other:?}"
                ))),
            }
        })
        .await?;
        let mut hello = nats::connect(
            "fedi-hub",
            target.user.as_deref(),
            target.password.as_deref(),
        );
        hello.extend_from_slice(&nats::sub(subject, 1));
        hello.extend_from_slice(nats::PING);
        tx.write_all(&hello).await?;
        // The PONG answering our PING shows CONNECT and SUB were accepted.
        timed(async {
            loop {
                match read_op(&mut rx, &mut buf, limit).await? {
                    nats::ServerOp::Pong => return Ok(()),
                    nats::ServerOp::Err(e) => return Err(ClusterError::Protocol(e)),
                    nats::ServerOp::Ping => tx.write_all(nats::PONG).await?,
                    _ => {}
                }
            }
        })
        .await?;
        self.announce_ready();
        loop {
            tokio::select! {
                read = rx.read_buf(&mut buf) => {
                    closed_if_zero(read?)?;
                    while let Some(op) = nats::decode(&mut buf, limit).map_err(protocol)? {
                        match op {
                            nats::ServerOp::Msg { payload, .. } => self.cluster.receive(&payload),
                            nats::ServerOp::Ping => tx.write_all(nats::PONG).await?,
                            nats::ServerOp::Err(e) => return Err(ClusterError::Protocol(e)),
                            _ => {}
                        }
                    }
                }
                envelope = self.queue.recv() => match envelope {
                    Some(envelope) => tx.write_all(&nats::publish(subject, &envelope)).await?,
                    None => return Ok(()),
                },
            }
        }
    }
}

/// A Redis connection, authenticated when the URL has a password.
async fn redis_connect(
    target: &Target,
    limit: usize,
) -> Result<(OwnedReadHalf, OwnedWriteHalf), ClusterError> {
    let stream = TcpStream::connect(&target.address).await?;
    let _ = stream.set_nodelay(true);
    let (mut rx, mut tx) = stream.into_split();
    if let Some(password) = &target.password {
        let command = match &target.user {
            Some(user) => resp::command(&[b"AUTH", user.as_bytes(), password.as_bytes()]),
            None => resp::command(&[b"AUTH", password.as_bytes()]),
        };
        tx.write_all(&command).await?;
        match read_reply(&mut rx, &mut BytesMut::new(), limit).await? {
            resp::Reply::Simple(_) => {}
            other => {
                return Err(ClusterError::Protocol(format!(
                    "redis AUTH failed: {other:?}"
                )));
            }
        }
    }
    Ok((rx, tx))
}

/// Reads from `rx` into `buf` until `decode` takes a complete item off it.
async fn read_item<T>(
    rx: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    mut decode: impl FnMut(&mut BytesMut) -> Result<Option<T>, ClusterError>,
) -> Result<T, ClusterError> {
    loop {
        if let Some(item) = decode(buf)? {
            return Ok(item);
        }
        closed_if_zero(rx.read_buf(buf).await?)?;
    }
}

async fn read_reply(
    rx: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    limit: usize,
) -> Result<resp::Reply, ClusterError> {
    read_item(rx, buf, |buf| resp::decode(buf, limit).map_err(protocol)).await
}

async fn read_op(
    rx: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    limit: usize,
) -> Result<nats::ServerOp, ClusterError> {
    read_item(rx, buf, |buf| nats::decode(buf, limit).map_err(protocol)).await
}

async fn timed<T>(
    future: impl Future<Output = Result<T, ClusterError>>,
) -> Result<T, ClusterError> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, future)
        .await
        .unwrap_or(Err(ClusterError::Timeout(HANDSHAKE_TIMEOUT)))
}

fn closed_if_zero(read: usize) -> Result<(), ClusterError> {
    if read == 0 {
        return Err(ClusterError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(())
}

fn bulk(bytes: &'static [u8]) -> resp::Reply {
    resp::Reply::Bulk(Some(Bytes::from_static(bytes)))
}

fn protocol(error: impl std::fmt::Display) -> ClusterError {
    ClusterError::Protocol(error.to_string())
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    /// Feeds `wire` to `decode` in two chunks, split at every offset, and checks that the
    /// decoded items are always `expected` with nothing left over.
    pub(super) fn decodes_at_every_split<T: PartialEq + std::fmt::Debug>(
        wire: &[u8],
        expected: &[T],
        mut decode: impl FnMut(&mut BytesMut) -> Option<T>,
    ) {
        for split in 0..wire.len() {
            let (head, tail) = wire.split_at(split);
            let mut buf = BytesMut::from(head);
            let mut out = Vec::new();
            while let Some(item) = decode(&mut buf) {
                out.push(item);
            }
            buf.extend_from_slice(tail);
            while let Some(item) = decode(&mut buf) {
                out.push(item);
            }
            assert_eq!(out, expected, "split at {split}");
            assert!(buf.is_empty(), "split at {split}: {} bytes left", buf.len());
        }
    }
}
