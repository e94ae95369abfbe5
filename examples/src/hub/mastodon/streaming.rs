//! The streaming half: `GET /api/v1/streaming/{user,public,public/local}` as SSE and the
//! multiplexed WebSocket `GET /api/v1/streaming`, over the same feeds and sessions as the C2S
//! streams (`fedi_stream::c2s::mastodon`).
//!
//! ```text
//!  store append (Create of a Note) ─► Status (entity.rs) ─► StreamingEvent::update ─► "user" feed of
//!                                     the owner (+ "public" feeds if public and in an outbox)
//!  SSE  /api/v1/streaming/user ─► Session(MastodonSse) ─► ":)", "event: update", ":thump"
//!  WS   /api/v1/streaming ─► ClientCommand ─► Subscriptions ─► one Session(MastodonWebSocket)
//!       per stream ─► {"stream":["user"],"event":"update","payload":"{…}"}
//! ```
//!
//! Tokens: `Authorization: Bearer`, `?access_token=` (or the hub's `?token=`), or the
//! WebSocket subprotocol (Mastodon's web client offers the token as its only subprotocol).
//! The `101` names exactly one offered subprotocol: the one that carried the token, else the
//! first offered (what Mastodon's streaming server, on the `ws` library, answers), else none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use fedi_stream::c2s::feed::{FeedConfig, Format, Session, Transmit};
use fedi_stream::c2s::item::{ItemId, Json};
use fedi_stream::c2s::mastodon::{
    ClientCommand, FrameLimits, MastodonError, STREAMING_PATH, ServerFrame, Stream, StreamingEvent,
    SubscriptionChange, Subscriptions,
};
use futures::{SinkExt, StreamExt};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::entity::Site;
use super::mastodon_error;
use crate::hub::accounts::Account;
use crate::hub::server::{AuthError, Core};
use crate::hub::store::{BoxKind, Entry};
use crate::hub::stream::{self, FeedCell};
use crate::hub::web::{self, Request, Response};
use crate::hub::ws::{self as websocket, WsStream};

/// The feeds of the Mastodon streams.
pub(super) struct Feeds {
    site: Site,
    base: url::Url,
    /// Each feed's window (`Limits::stream_window`, `Limits::stream_window_bytes`).
    window: fedi_stream::c2s::feed::FeedLimits,
    users: Mutex<HashMap<String, Arc<FeedCell>>>,
    public: Arc<FeedCell>,
    public_local: Arc<FeedCell>,
}

impl Feeds {
    pub(super) fn new(
        base: &url::Url,
        site: Site,
        window: fedi_stream::c2s::feed::FeedLimits,
    ) -> Self {
        let timeline = |path: &str, stream: &str| {
            let mut url = base.clone();
            url.set_path(path);
            Arc::new(FeedCell::new(
                FeedConfig::mastodon(url, &[stream]).with_limits(window),
            ))
        };
        Feeds {
            window,
            site,
            base: base.clone(),
            users: Mutex::new(HashMap::new()),
            public: timeline("/api/v1/timelines/public", "public"),
            public_local: timeline("/api/v1/timelines/public", "public:local"),
        }
    }

    fn user(&self, name: &str) -> Arc<FeedCell> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users
            .entry(name.to_owned())
            .or_insert_with(|| {
                let mut url = self.base.clone();
                url.set_path("/api/v1/timelines/home");
                Arc::new(FeedCell::new(
                    FeedConfig::mastodon(url, &["user"]).with_limits(self.window),
                ))
            })
            .clone()
    }

    /// The feed of `stream` for `account`, if this hub keeps one.
    fn of(&self, stream: &Stream, account: &Account) -> Option<Arc<FeedCell>> {
        match stream {
            Stream::User => Some(self.user(account.name())),
            Stream::Public => Some(self.public.clone()),
            Stream::PublicLocal => Some(self.public_local.clone()),
            _ => None,
        }
    }

    /// Puts a stored entry on the streams that show it: the owner's `user` stream (what the
    /// account posted or received), and the public streams for a public post of its author.
    pub(super) fn on_append(&self, kind: BoxKind, owner: &str, entry: &Entry) {
        let Some((status, public)) = self.site.status(entry, super::entity::now()) else {
            return;
        };
        let Ok(id) = ItemId::new(&entry.seq.to_string()) else {
            return;
        };
        let Ok(status) = Json::from_serialize(&status) else {
            return;
        };
        let event = StreamingEvent::update(status);
        self.user(owner).append(event.entry(Some(id.clone())));
        if kind == BoxKind::Outbox && public {
            self.public.append(event.entry(Some(id.clone())));
            self.public_local.append(event.entry(Some(id)));
        }
    }
}

/// Answers a request under [`STREAMING_PATH`].
pub(super) async fn respond(core: &Arc<Core>, feeds: &Arc<Feeds>, request: Request) -> Response {
    let path = request.uri().path();
    if path == format!("{STREAMING_PATH}/health") {
        return web::respond(StatusCode::OK, "text/plain", "OK");
    }
    let (account, subprotocol) = match authenticate(core, &request) {
        Ok(found) => found,
        Err(message) => return mastodon_error(StatusCode::UNAUTHORIZED, message),
    };
    if websocket::is_upgrade(request.headers()) {
        return upgrade(core, feeds, request, account, subprotocol).await;
    }
    let stream = match Stream::from_request(path, request.uri().query()) {
        Ok(stream) => stream,
        Err(e) => return mastodon_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let Some(cell) = feeds.of(&stream, &account) else {
        return not_kept(&stream);
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let resume = fedi_stream::c2s::negotiate::resume_id(&request);
    stream::respond_feed(core, cell, Format::MastodonSse, resume.as_deref(), headers)
}

/// The values of every `Sec-WebSocket-Protocol` header, in order.
fn offered_subprotocols(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The account of a streaming request and the subprotocol to name in a `101`, or the
/// message of the `401` (Mastodon's words).
///
/// `Authorization: Bearer` or `?access_token=` first; otherwise (or when they name no
/// account) each offered subprotocol in turn, as Mastodon's web client sends the token there.
fn authenticate(
    core: &Core,
    request: &Request,
) -> Result<(Arc<Account>, Option<HeaderValue>), &'static str> {
    let offered = offered_subprotocols(request.headers());
    let first_offered = offered.first().and_then(|p| HeaderValue::from_str(p).ok());
    match core.authenticate(request, true) {
        Ok(account) => Ok((account, first_offered)),
        Err(error) => {
            for protocol in &offered {
                if let Some(account) = core.accounts.authenticate(protocol) {
                    let chosen = HeaderValue::from_str(protocol).ok();
                    return Ok((account, chosen));
                }
            }
            Err(if error == AuthError::Missing && offered.is_empty() {
                "Missing access token"
            } else {
                "Invalid access token"
            })
        }
    }
}

async fn upgrade(
    core: &Arc<Core>,
    feeds: &Arc<Feeds>,
    request: Request,
    account: Arc<Account>,
    subprotocol: Option<HeaderValue>,
) -> Response {
    // `?stream=` subscribes at once, as Mastodon allows.
    let initial = web::query_param(request.uri(), "stream").map(|name| {
        Stream::parse(
            &name,
            web::query_param(request.uri(), "tag").as_deref(),
            web::query_param(request.uri(), "list").as_deref(),
        )
    });
    let mut extra = HeaderMap::new();
    if let Some(protocol) = subprotocol {
        extra.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    let config =
        WebSocketConfig::default().max_message_size(Some(core.limits.max_ws_message_bytes));
    let (wake_tx, wake_rx) = mpsc::channel::<()>(1);
    let mut connection = Connection {
        core: core.clone(),
        feeds: feeds.clone(),
        account,
        subscriptions: Subscriptions::new(Subscriptions::DEFAULT_MAX),
        sessions: Vec::new(),
        wake_tx,
        replies: Vec::new(),
    };
    // Subscribed before the 101 is sent, so nothing posted after it is missed, and after the
    // feeds have seen everything acknowledged before the request, which is not new to it.
    if let Some(initial) = initial {
        stream::caught_up(core).await;
        connection.command(initial.map(ClientCommand::Subscribe));
    }
    websocket::accept(request, extra, config, core.guard(), move |socket| {
        connection.run(socket, wake_rx)
    })
}

/// One subscription of a WebSocket: its feed, session, and the task that wakes the
/// connection when the feed grows.
struct Subscribed {
    stream: Stream,
    cell: Arc<FeedCell>,
    session: Session,
    waker: JoinHandle<()>,
}

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.waker.abort();
    }
}

struct Connection {
    core: Arc<Core>,
    feeds: Arc<Feeds>,
    account: Arc<Account>,
    subscriptions: Subscriptions,
    sessions: Vec<Subscribed>,
    /// Wakes the connection when a subscribed feed grows.
    wake_tx: mpsc::Sender<()>,
    /// Error frames to send.
    replies: Vec<String>,
}

impl Connection {
    async fn run(mut self, mut socket: WsStream, mut wake_rx: mpsc::Receiver<()>) {
        let mut shutdown = self.core.shutdown();
        loop {
            let mut out: Vec<Message> = self.replies.drain(..).map(Message::text).collect();
            let now = Instant::now();
            for subscribed in &mut self.sessions {
                let feed = subscribed.cell.lock();
                while let Some(transmit) = subscribed.session.poll_transmit(now, &feed) {
                    match transmit {
                        Transmit::Text(bytes) => {
                            if let Ok(text) = Utf8Bytes::try_from(bytes) {
                                out.push(Message::Text(text));
                            }
                        }
                        Transmit::Ping => out.push(Message::Ping(Bytes::new())),
                        _ => {}
                    }
                }
                while let Some(event) = subscribed.session.poll_event() {
                    stream::log_session_event(&event);
                }
            }
            self.sessions.retain(|s| !s.session.is_closed());
            for message in out {
                if socket.feed(message).await.is_err() {
                    return;
                }
            }
            if socket.flush().await.is_err() {
                return;
            }
            let deadline = self
                .sessions
                .iter()
                .filter_map(|s| s.session.poll_timeout())
                .min();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                incoming = socket.next() => match websocket::receive(&mut socket, incoming).await {
                    Some(Message::Text(text)) => {
                        self.command(ClientCommand::decode(&text, &FrameLimits::default()));
                    }
                    Some(Message::Close(_)) | None => return,
                    Some(_) => {}
                },
                _ = wake_rx.recv() => {}
                () = timer => {
                    let now = Instant::now();
                    for subscribed in &mut self.sessions {
                        // A closed session has no timer left to run; the drain removes it.
                        let _closed = subscribed.session.handle_timeout(now, &subscribed.cell.lock());
                    }
                }
                () = shutdown.wait() => {
                    websocket::close(&mut socket, 1001, "server shutting down").await;
                    return;
                }
            }
        }
    }

    /// Applies a client command; errors become Mastodon error frames to send.
    fn command(&mut self, command: Result<ClientCommand, MastodonError>) {
        let change = command.and_then(|command| self.subscriptions.apply(command));
        match change {
            Ok(SubscriptionChange::Added(stream)) => {
                let Some(cell) = self.feeds.of(&stream, &self.account) else {
                    let _ = self
                        .subscriptions
                        .apply(ClientCommand::Unsubscribe(stream.clone()));
                    self.replies.push(
                        ServerFrame::Error {
                            error: format!(
                                "Stream {} is not available on this server",
                                stream.name()
                            ),
                            status: Some(404),
                        }
                        .encode(),
                    );
                    return;
                };
                let session = Session::new(
                    &cell.lock(),
                    Format::MastodonWebSocket,
                    None,
                    stream::session_config(),
                    Instant::now(),
                );
                let Ok(session) = session else {
                    return;
                };
                let mut head = cell.watch();
                let wake = self.wake_tx.clone();
                let waker = tokio::spawn(async move {
                    while head.changed().await.is_ok() {
                        // A full channel already holds a wake-up.
                        let _ = wake.try_send(());
                    }
                });
                self.sessions.push(Subscribed {
                    stream,
                    cell,
                    session,
                    waker,
                });
            }
            Ok(SubscriptionChange::Removed(stream)) => {
                self.sessions.retain(|s| s.stream != stream);
            }
            Ok(_) => {}
            Err(e) => self.replies.push(e.to_frame().encode()),
        }
    }
}

fn not_kept(stream: &Stream) -> Response {
    mastodon_error(
        StatusCode::NOT_FOUND,
        &format!("Stream {} is not available on this server", stream.name()),
    )
}
