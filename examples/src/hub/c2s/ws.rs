//! The C2S WebSocket at `/users/{name}/ws`: a `fedi_stream::c2s::socket::ServerConnection` per
//! connection, pushing the actor's inbox feed and answering its requests.
//!
//! ```text
//!  socket message ─► handle_message ─► ServerConnectionEvent::Request ─► outbox: C2s::post ─► accepted,
//!                                                               delivery per recipient, done
//!                                                              proxy / fetch: objects, actors,
//!                                                               blobs of this hub
//!                                                              store: blob store ─► stored URL
//!  inbox feed ─wakes─► poll_transmit (answers first, then items) ─► socket
//!  timer ─► handle_timeout (ping, cut-off)    shutdown ─► close 1001 after a restart notice
//! ```
//!
//! Authentication: the owner's token (`?token=` or `Authorization: Bearer`) on the upgrade,
//! refused with 401/403 before upgrading. Resume: `?last_event_id=`, as over SSE.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use fedi_stream::c2s::feed::{Feed, Format, Transmit};
use fedi_stream::c2s::item::Json;
use fedi_stream::c2s::negotiate;
use fedi_stream::c2s::socket::{
    Blob, ClientMessage, CloseCode, DeliveryStatus, Fetched, Incoming, Outgoing, ServerConnection,
    ServerConnectionEvent, SocketLimits,
};
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, StatusCode};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::{BLOBS, C2s, FirstAttempts};
use crate::hub::federation::outbox::Outcome;
use crate::hub::store::{BoxKind, Reader};
use crate::hub::stream::{self, FeedCell, Wake};
use crate::hub::web::{self, Request, Response};
use crate::hub::ws::{self as websocket, WsStream};
use fedi_stream::c2s::discovery::Viewer;

/// Answers the upgrade of `name`'s C2S WebSocket.
pub(super) fn upgrade(c2s: Arc<C2s>, name: String, request: Request) -> Response {
    match c2s.core.authenticate(&request, true) {
        Ok(account) if account.name() == name => {}
        Ok(account) => {
            return web::error(
                StatusCode::FORBIDDEN,
                format!("`{}` may not open `{name}`'s stream", account.name()),
            );
        }
        Err(e) => return e.response(),
    }
    let resume = match stream::resume_point(negotiate::resume_id(&request).as_deref()) {
        Ok(resume) => resume,
        Err(bad) => return bad.response(),
    };
    let Some(cell) = c2s.store.feed(&name, BoxKind::Inbox) else {
        return web::error(StatusCode::NOT_FOUND, format!("no inbox for `{name}`"));
    };
    let Some(slot) = Slot::take(&c2s, &name) else {
        return web::error(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "`{name}` has {} C2S WebSockets open already (Limits::c2s_sockets_per_account)",
                c2s.core.limits.c2s_sockets_per_account
            ),
        );
    };
    let limits = SocketLimits::default();
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_binary_message.max(limits.max_text_message)));
    let guard = c2s.core.guard();
    websocket::accept(
        request,
        HeaderMap::new(),
        config,
        guard,
        move |socket| async move {
            let _slot = slot;
            open(c2s, name, cell, resume, limits, socket).await;
        },
    )
}

/// One of an account's C2S WebSockets, counted while it is held. The cap bounds what one
/// account can make the hub buffer: each socket holds at most one unfinished message of at
/// most fedi-stream's message limit (16 MiB binary, 1 MiB text).
struct Slot {
    c2s: Arc<C2s>,
    name: String,
}

impl Slot {
    fn take(c2s: &Arc<C2s>, name: &str) -> Option<Slot> {
        let mut open = c2s.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(name.to_owned()).or_default();
        if *count >= c2s.core.limits.c2s_sockets_per_account {
            return None;
        }
        *count += 1;
        Some(Slot {
            c2s: c2s.clone(),
            name: name.to_owned(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.c2s.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.name) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.name);
            }
        }
    }
}

/// Brings a resuming client up to date from the store, then runs its session.
async fn open(
    c2s: Arc<C2s>,
    name: String,
    cell: Arc<FeedCell>,
    resume: Option<u64>,
    limits: SocketLimits,
    mut socket: WsStream,
) {
    let new_connection = |feed: &Feed, from: Option<&str>| {
        ServerConnection::new(feed, from, stream::session_config(), limits, Instant::now())
    };
    let connection = match resume {
        Some(last) => {
            let sink = Mutex::new(&mut socket);
            let send = |transmit: Transmit| {
                let sink = &sink;
                async move {
                    let Transmit::Text(bytes) = transmit else {
                        return true;
                    };
                    let Ok(text) = Utf8Bytes::try_from(bytes) else {
                        return true;
                    };
                    sink.lock().await.send(Message::Text(text)).await.is_ok()
                }
            };
            let feed = stream::BoxFeed {
                owner: &name,
                kind: BoxKind::Inbox,
                cell: &cell,
            };
            let filled = stream::backfill(
                &c2s.core,
                feed,
                Format::WebSocket,
                last,
                send,
                new_connection,
            )
            .await;
            match filled {
                Ok(connection) => connection,
                Err(stream::Gone) => return,
            }
        }
        None => {
            stream::caught_up(&c2s.core).await;
            new_connection(&cell.lock(), None)
        }
    };
    match connection {
        Ok(connection) => session(c2s, name, cell, connection, socket).await,
        Err(e) => {
            tracing::error!(error = %e, "C2S WebSocket session refused");
            websocket::close(&mut socket, 1011, "the stream cannot start").await;
        }
    }
}

async fn session(
    c2s: Arc<C2s>,
    name: String,
    cell: Arc<FeedCell>,
    mut connection: ServerConnection,
    mut socket: WsStream,
) {
    tracing::debug!(actor = %name, "C2S WebSocket open");
    let mut head = cell.watch();
    let mut shutdown = c2s.core.shutdown();
    let mut stopping = false;
    loop {
        // Drain: frames to send (answers first), then requests to answer, until quiet.
        loop {
            let frames: Vec<Outgoing> = {
                let feed = cell.lock();
                let now = Instant::now();
                std::iter::from_fn(|| connection.poll_transmit(now, &feed)).collect()
            };
            for frame in frames {
                let message = match frame {
                    Outgoing::Text(bytes) => match Utf8Bytes::try_from(bytes) {
                        Ok(text) => Message::Text(text),
                        Err(_) => continue,
                    },
                    Outgoing::Binary(bytes) => Message::Binary(bytes),
                    Outgoing::Ping => Message::Ping(Bytes::new()),
                    Outgoing::Close { code, reason } => {
                        websocket::close(&mut socket, code.into(), &reason).await;
                        return;
                    }
                    _ => continue,
                };
                if socket.feed(message).await.is_err() {
                    return;
                }
            }
            if socket.flush().await.is_err() {
                return;
            }
            let mut answered = false;
            while let Some(event) = connection.poll_event() {
                match event {
                    ServerConnectionEvent::Request(request) => {
                        c2s.answer(&name, &mut connection, request).await;
                        answered = true;
                    }
                    ServerConnectionEvent::Refused { error, .. } => {
                        tracing::debug!(actor = %name, %error, "C2S WebSocket message refused");
                    }
                    ServerConnectionEvent::Stream(event) => stream::log_session_event(&event),
                    other => tracing::debug!(?other, "C2S WebSocket event"),
                }
            }
            if connection.is_closed() {
                return;
            }
            if !answered {
                break;
            }
        }
        let deadline = connection.poll_timeout();
        tokio::select! {
            incoming = socket.next() => match websocket::receive(&mut socket, incoming).await {
                // Refused only once closed (the loop ends before) or with events undrained (the
                // loop drains them all first).
                Some(Message::Text(text)) => {
                    if connection.handle_message(Incoming::Text(&text)).is_err() {
                        return;
                    }
                }
                Some(Message::Binary(bytes)) => {
                    if connection.handle_message(Incoming::Binary(&bytes)).is_err() {
                        return;
                    }
                }
                Some(Message::Close(_)) | None => return,
                Some(_) => {}
            },
            wake = stream::wait(&mut head, deadline, &mut shutdown, stopping) => match wake {
                Wake::Feed(true) => {}
                Wake::Feed(false) => return,
                Wake::Timer => {
                    if connection.handle_timeout(Instant::now(), &cell.lock()).is_err() {
                        return;
                    }
                }
                Wake::Shutdown => {
                    stopping = true;
                    connection.close(
                        CloseCode::GOING_AWAY,
                        "server shutting down",
                        Some(&stream::shutdown_notice()),
                    );
                }
            },
        }
    }
}

impl C2s {
    /// Carries out one request of `author`'s connection and queues its answers.
    async fn answer(
        &self,
        author: &str,
        connection: &mut ServerConnection,
        request: ClientMessage,
    ) {
        let actor = self.actor_id(author);
        let reader = Reader::Account {
            name: author,
            actor: &actor,
        };
        let answered = match request {
            ClientMessage::Outbox { request, activity } => {
                match self
                    .post(author, activity.as_bytes(), FirstAttempts::Awaited)
                    .await
                {
                    Ok(posted) => connection
                        .accept(&request, &posted.location, posted.object.as_deref())
                        .and_then(|()| {
                            for recipient in &posted.delivered {
                                connection.delivery(
                                    &request,
                                    recipient,
                                    DeliveryStatus::Delivered,
                                    None,
                                )?;
                            }
                            let mut failed = 0;
                            for (recipient, outcome) in &posted.remote {
                                let (status, why) = match outcome {
                                    Outcome::Delivered => (DeliveryStatus::Delivered, None),
                                    Outcome::Retrying(why) => {
                                        (DeliveryStatus::Retrying, Some(why.as_str()))
                                    }
                                    Outcome::Failed(why) => {
                                        failed += 1;
                                        (DeliveryStatus::Failed, Some(why.as_str()))
                                    }
                                };
                                connection.delivery(&request, recipient, status, why)?;
                            }
                            let delivered = posted.delivered.len() + posted.remote.len() - failed;
                            connection.done(&request, delivered as u64, failed as u64)
                        }),
                    Err(refused) => {
                        connection.fail(&request, refused.status.as_u16(), &refused.message)
                    }
                }
            }
            ClientMessage::Proxy { request, object } => match self.lookup(&object, reader).await {
                Some(json) => connection.proxied(&request, json),
                None => connection.fail(&request, 404, "no such object on this hub"),
            },
            ClientMessage::Store { request, blob } => {
                if blob.bytes.len() > self.core.limits.max_blob_bytes {
                    connection.fail(
                        &request,
                        413,
                        "the blob is larger than Limits::max_blob_bytes",
                    )
                } else {
                    match self
                        .store
                        .put_blob(author, &blob.media_type, blob.bytes)
                        .await
                    {
                        Ok(id) => {
                            let url = format!("{}{BLOBS}{id}", self.core.base_url);
                            connection.stored(&request, &url)
                        }
                        Err(e) => connection.fail(&request, e.status().as_u16(), &e.to_string()),
                    }
                }
            }
            ClientMessage::Fetch { request, url } => {
                let blob_id = url
                    .strip_prefix(&self.core.base_url)
                    .and_then(|path| path.strip_prefix(BLOBS));
                let blob = match blob_id {
                    Some(id) => self.store.blob(id, reader).await.ok().flatten(),
                    None => None,
                };
                match blob {
                    Some((media_type, bytes)) => connection.fetched(
                        &request,
                        Fetched::Blob(Blob {
                            media_type,
                            bytes: bytes.into(),
                        }),
                    ),
                    None => match self.lookup(&url, reader).await {
                        Some(object) => connection.fetched(&request, Fetched::Object(object)),
                        None => connection.fail(
                            &request,
                            404,
                            "not found on this hub (nothing remote is fetched)",
                        ),
                    },
                }
            }
            other => {
                tracing::debug!(?other, "C2S WebSocket request not handled");
                Ok(())
            }
        };
        if let Err(e) = answered {
            tracing::info!(error = %e, "C2S WebSocket answer not queued");
        }
    }

    /// An object of this hub by id, as `reader` may see it: a stored object, or an actor (as
    /// others see it).
    async fn lookup(&self, id: &str, reader: Reader<'_>) -> Option<Json> {
        if let Some(name) = self.local_name(id) {
            return Json::from_serialize(&self.actor_document(&name, Viewer::Other).await.ok()?)
                .ok();
        }
        let seen = self.store.object(id, reader).await.ok()??;
        Json::from_bytes(seen.json).ok()
    }
}
