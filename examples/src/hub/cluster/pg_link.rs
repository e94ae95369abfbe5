//! The fan-out through the hub's PostgreSQL database: `pg_notify` on a database thread of the
//! store's pool to publish, a [`Listener`] connection (its own thread, reconnecting with
//! backoff) to receive. Notification channels are per database, so only the instances on the
//! same database hear each other.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{Cluster, ClusterError};
use crate::hub::db::{Arg, Db, Listener, Storage};
use crate::hub::server::Shutdown;

/// Notifications received and not yet handled; more are dropped with a warning.
const INCOMING: usize = 1_024;

/// Listens, then relays in a background task until shutdown.
pub(super) async fn start(
    cluster: Arc<Cluster>,
    db: Db,
    mut queue: mpsc::Receiver<Bytes>,
    mut shutdown: Shutdown,
) -> Result<(), ClusterError> {
    let Storage::Postgres(url) = db.storage() else {
        return Err(ClusterError::UnsharedStorage {
            storage: db.storage().describe(),
        });
    };
    let (incoming, mut received) = mpsc::channel::<String>(INCOMING);
    let open = incoming.clone();
    let stopped = shutdown.clone();
    Listener::spawn(
        url.clone(),
        cluster.channel.clone(),
        move |payload| match payload {
            Some(payload) => {
                if let Err(mpsc::error::TrySendError::Full(_)) = incoming.try_send(payload) {
                    tracing::warn!("cluster: incoming notifications queue full; envelope dropped");
                }
            }
            None => tracing::warn!(
                "cluster: the PostgreSQL listener reconnected; presence changes meanwhile were missed"
            ),
        },
        move || stopped.is_down() || open.is_closed(),
    )
    .await
    .map_err(ClusterError::client)?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(payload) = received.recv() => cluster.receive(payload.as_bytes()),
                envelope = queue.recv() => match envelope {
                    Some(envelope) => notify(&db, &cluster.channel, envelope).await,
                    None => return,
                },
                () = shutdown.wait() => return,
            }
        }
    });
    Ok(())
}

/// `pg_notify(channel, envelope)`; a failure loses the envelope (logged).
async fn notify(db: &Db, channel: &str, envelope: Bytes) {
    let Ok(payload) = String::from_utf8(envelope.to_vec()) else {
        tracing::error!("cluster: an envelope is not UTF-8; dropped");
        return;
    };
    let channel = channel.to_owned();
    let sent = db
        .run(move |conn| {
            conn.execute(
                "SELECT pg_notify($1, $2)",
                &[Arg::Text(&channel), Arg::Text(&payload)],
            )
        })
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, "cluster: pg_notify failed; envelope dropped");
    }
}
