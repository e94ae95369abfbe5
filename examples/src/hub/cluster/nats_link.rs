//! The fan-out through NATS core (the `async-nats` crate): one connection, subscribed to the
//! subject. The client reconnects by itself (with the cluster's [`backoff`]), subscribes
//! again, and keeps what is published meanwhile in its own bounded buffer.

use std::sync::Arc;
use std::time::Duration;

use async_nats::{ConnectOptions, Event, ServerAddr};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{Cluster, ClusterError, HANDSHAKE_TIMEOUT, backoff, timed};
use crate::hub::server::Shutdown;

/// The server address for `url` (`nats://` or `tls://`).
pub(super) fn address(url: &str) -> Result<ServerAddr, ClusterError> {
    let invalid = |reason| ClusterError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|_| invalid("not a URL"))?;
    if !matches!(parsed.scheme(), "nats" | "tls") {
        return Err(invalid("the scheme must be nats:// or tls://"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    ServerAddr::from_url(parsed).map_err(|_| invalid("not a NATS URL"))
}

/// Connects and subscribes, then relays in a background task until shutdown.
pub(super) async fn start(
    cluster: Arc<Cluster>,
    address: ServerAddr,
    mut queue: mpsc::Receiver<Bytes>,
    mut shutdown: Shutdown,
) -> Result<(), ClusterError> {
    let client = ConnectOptions::new()
        .name("fedi-hub")
        .connection_timeout(HANDSHAKE_TIMEOUT)
        // Called before every attempt, from 1: the first one at once, then the cluster's
        // backoff.
        .reconnect_delay_callback(|attempt| match attempt {
            0 | 1 => Duration::ZERO,
            n => backoff(n - 2),
        })
        .event_callback(|event| async move {
            match event {
                Event::Disconnected => tracing::warn!("cluster: NATS connection lost"),
                Event::Connected => tracing::info!("cluster: NATS connected"),
                other => tracing::warn!(event = %other, "cluster: NATS"),
            }
        })
        .connect(address)
        .await
        .map_err(ClusterError::client)?;
    let subject = cluster.channel.clone();
    let mut messages = timed(client.subscribe(subject.clone())).await?;
    // The SUB is on the wire before the hub accepts its first connection.
    timed(client.flush()).await?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => cluster.receive(&message.payload),
                    None => {
                        tracing::warn!("cluster: the NATS subscription ended");
                        return;
                    }
                },
                envelope = queue.recv() => match envelope {
                    Some(envelope) => {
                        if let Err(e) = client.publish(subject.clone(), envelope).await {
                            tracing::warn!(error = %e, "cluster: NATS publish failed; envelope dropped");
                        }
                    }
                    None => return,
                },
                () = shutdown.wait() => return,
            }
        }
    });
    Ok(())
}
