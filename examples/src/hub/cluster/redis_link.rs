//! The fan-out through Redis pub/sub (the `redis` crate): one connection subscribed to the
//! channel, one multiplexed connection for `PUBLISH`. When either fails, both are opened again
//! after a backoff delay; envelopes published meanwhile wait in the cluster's queue.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use redis::{AsyncConnectionConfig, Client};
use tokio::sync::{mpsc, oneshot};

use super::{Cluster, ClusterError, HANDSHAKE_TIMEOUT, backoff, timed};
use crate::hub::server::Shutdown;

/// The client for `url` (`redis://` or `rediss://`).
pub(super) fn client(url: &str) -> Result<Client, ClusterError> {
    let invalid = |reason| ClusterError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|_| invalid("not a URL"))?;
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return Err(invalid("the scheme must be redis:// or rediss:// (TLS)"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Client::open(url).map_err(|_| invalid("not a Redis URL"))
}

/// Connects and subscribes, then relays in a background task until shutdown.
pub(super) async fn start(
    cluster: Arc<Cluster>,
    client: Client,
    queue: mpsc::Receiver<Bytes>,
    shutdown: Shutdown,
) -> Result<(), ClusterError> {
    let (ready, connected) = oneshot::channel();
    tokio::spawn(maintain(cluster, client, queue, ready, shutdown));
    connected
        .await
        .unwrap_or_else(|_| Err(ClusterError::Protocol("the cluster task ended".into())))
}

/// Keeps a session up, reconnecting with [`backoff`]; reports the first session's outcome on
/// `ready`.
async fn maintain(
    cluster: Arc<Cluster>,
    client: Client,
    mut queue: mpsc::Receiver<Bytes>,
    ready: oneshot::Sender<Result<(), ClusterError>>,
    mut shutdown: Shutdown,
) {
    let mut ready = Some(ready);
    let mut attempt = 0;
    loop {
        let result = tokio::select! {
            result = session(&cluster, &client, &mut queue, &mut ready, &mut attempt) => result,
            () = shutdown.wait() => return,
        };
        let delay = backoff(attempt);
        match (result, ready.take()) {
            (Err(e), Some(first)) => {
                let _ = first.send(Err(e));
                return;
            }
            (Ok(()), _) => return,
            (Err(e), None) => {
                tracing::warn!(error = %e, retry_in = ?delay, "cluster: Redis connection lost");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.wait() => return,
        }
        attempt = attempt.saturating_add(1);
    }
}

/// Connects, subscribes, then relays until a connection fails (`Err`) or the cluster's queue
/// closes (`Ok`).
async fn session(
    cluster: &Cluster,
    client: &Client,
    queue: &mut mpsc::Receiver<Bytes>,
    ready: &mut Option<oneshot::Sender<Result<(), ClusterError>>>,
    attempt: &mut usize,
) -> Result<(), ClusterError> {
    let mut pubsub = timed(client.get_async_pubsub()).await?;
    timed(pubsub.subscribe(&cluster.channel)).await?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(HANDSHAKE_TIMEOUT))
        .set_response_timeout(Some(HANDSHAKE_TIMEOUT));
    let mut publisher = timed(client.get_multiplexed_async_connection_with_config(&config)).await?;
    match ready.take() {
        Some(ready) => {
            let _ = ready.send(Ok(()));
        }
        None => tracing::info!("cluster: Redis connection restored"),
    }
    *attempt = 0;
    let mut messages = pubsub.into_on_message();
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => cluster.receive(message.get_payload_bytes()),
                None => {
                    return Err(ClusterError::Io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the Redis subscription connection closed",
                    )));
                }
            },
            envelope = queue.recv() => match envelope {
                Some(envelope) => {
                    let _receivers: i64 = redis::cmd("PUBLISH")
                        .arg(&cluster.channel)
                        .arg(&envelope[..])
                        .query_async(&mut publisher)
                        .await
                        .map_err(ClusterError::client)?;
                }
                None => return Ok(()),
            },
        }
    }
}
