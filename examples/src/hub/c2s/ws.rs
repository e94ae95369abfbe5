//! The C2S WebSocket at `/users/{name}/ws`: a `fedi_stream::ws::ServerConnection` per
//! connection, pushing the actor's inbox feed and answering its requests.
//!
//! ```text
//!  socket message ─► handle_message ─► ServerEvent::Request ─► outbox: C2s::post ─► accepted,
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
use fedi_stream::event::Json;
use fedi_stream::negotiate;
use fedi_stream::ws::{
    ClientMessage, DeliveryStatus, Fetched, Frame, Limits, Message as WsMessage, ServerConnection,
    ServerEvent,
};
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::{BLOBS, C2s};
use crate::hub::store::BoxKind;
use crate::hub::stream::{self, FeedCell, Wake};
use crate::hub::web::{self, Request, Response};
use crate::hub::ws::{self as websocket, WsStream};
use fedi_stream::discovery::Viewer;

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
    let limits = Limits::default();
    let cell = c2s.store.feed(&name, BoxKind::Inbox);
    let resume = negotiate::resume_id(&request).map(|id| id.into_owned());
    let connection = ServerConnection::new(
        &cell.lock(),
        resume.as_deref(),
        stream::session_config(),
        limits,
        Instant::now(),
    );
    let connection = match connection {
        Ok(connection) => connection,
        Err(e) => return web::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_binary_message.max(limits.max_text_message)));
    let guard = c2s.core.guard();
    websocket::accept(request, HeaderMap::new(), config, guard, move |socket| {
        session(c2s, name, cell, connection, socket)
    })
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
            let frames: Vec<Frame> = {
                let feed = cell.lock();
                let now = Instant::now();
                std::iter::from_fn(|| connection.poll_transmit(&feed, now)).collect()
            };
            for frame in frames {
                let message = match frame {
                    Frame::Text(bytes) => match Utf8Bytes::try_from(bytes) {
                        Ok(text) => Message::Text(text),
                        Err(_) => continue,
                    },
                    Frame::Binary(bytes) => Message::Binary(bytes),
                    Frame::Ping => Message::Ping(Bytes::new()),
                    Frame::Close { code, reason } => {
                        websocket::close(&mut socket, code, reason).await;
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
                    ServerEvent::Request(request) => {
                        c2s.answer(&name, &mut connection, request);
                        answered = true;
                    }
                    ServerEvent::Refused { error, .. } => {
                        tracing::debug!(actor = %name, %error, "C2S WebSocket message refused");
                    }
                    ServerEvent::Stream(event) => stream::log_session_event(&event),
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
                Some(Message::Text(text)) => connection.handle_message(WsMessage::Text(&text)),
                Some(Message::Binary(bytes)) => connection.handle_message(WsMessage::Binary(&bytes)),
                Some(Message::Close(_)) | None => return,
                Some(_) => {}
            },
            wake = stream::wait(&mut head, deadline, &mut shutdown, stopping) => match wake {
                Wake::Feed(true) => {}
                Wake::Feed(false) => return,
                Wake::Timer => connection.handle_timeout(&cell.lock(), Instant::now()),
                Wake::Shutdown => {
                    stopping = true;
                    connection.close(1001, "server shutting down", Some(&stream::shutdown_notice()));
                }
            },
        }
    }
}

impl C2s {
    /// Carries out one request of `author`'s connection and queues its answers.
    fn answer(&self, author: &str, connection: &mut ServerConnection, request: ClientMessage) {
        let answered = match request {
            ClientMessage::Outbox { request, activity } => {
                match self.post(author, activity.as_bytes()) {
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
                            for recipient in &posted.not_contacted {
                                connection.delivery(
                                    &request,
                                    recipient,
                                    DeliveryStatus::Failed,
                                    Some("this hub delivers to its own accounts only"),
                                )?;
                            }
                            connection.done(
                                &request,
                                posted.delivered.len() as u64,
                                posted.not_contacted.len() as u64,
                            )
                        }),
                    Err(refused) => {
                        connection.fail(&request, refused.status.as_u16(), &refused.message)
                    }
                }
            }
            ClientMessage::Proxy { request, object } => match self.lookup(&object) {
                Some(json) => connection.proxied(&request, json),
                None => connection.fail(&request, 404, "no such object on this hub"),
            },
            ClientMessage::Store { request, blob } => match self.blobs.put(blob) {
                Some(number) => {
                    let url = format!("{}{BLOBS}{number}", self.core.base_url);
                    connection.stored(&request, &url)
                }
                None => connection.fail(&request, 413, "the blob is larger than the blob store"),
            },
            ClientMessage::Fetch { request, url } => {
                let blob = url
                    .strip_prefix(&self.core.base_url)
                    .and_then(|path| self.blobs.get(path));
                match (blob, self.lookup(&url)) {
                    (Some(blob), _) => connection.fetched(&request, Fetched::Blob(blob)),
                    (None, Some(object)) => connection.fetched(&request, Fetched::Object(object)),
                    (None, None) => connection.fail(
                        &request,
                        404,
                        "not found on this hub (nothing remote is fetched)",
                    ),
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

    /// An object of this hub by id: a stored object, or an actor (as others see it).
    fn lookup(&self, id: &str) -> Option<Json> {
        let value = match self.store.object(id) {
            Some(object) => (*object).clone(),
            None => self.actor_document(&self.local_name(id)?, Viewer::Other),
        };
        Json::from_serialize(&value).ok()
    }
}
