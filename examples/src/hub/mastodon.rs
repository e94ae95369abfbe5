//! A Mastodon-compatible streaming endpoint over the same feeds and sessions
//! (`fedi_stream::mastodon`): `GET /api/v1/streaming/{user,public,public/local}` as SSE, and the
//! multiplexed WebSocket `GET /api/v1/streaming` with `subscribe`/`unsubscribe`.
//!
//! ```text
//!  store append (Create of a Note) ─► status JSON ─► Event::update ─► "user" feed of the owner
//!                                                                     (+ "public" feeds if public)
//!  SSE  /api/v1/streaming/user ─► Session(MastodonSse) ─► ":)", "event: update", ":thump"
//!  WS   /api/v1/streaming ─► ClientCommand ─► Subscriptions ─► one Session(MastodonWebSocket)
//!       per stream ─► {"stream":["user"],"event":"update","payload":"{…}"}
//! ```
//!
//! Served streams: `user` (the account's home: what it posts and receives), `public` and
//! `public:local` (every public post on the hub; all are local). Others are refused with
//! Mastodon's error (`Unknown stream type` for unknown names, `404` for streams this hub does
//! not keep). Statuses are built from the AS2 activity (content, author, visibility, dates);
//! counts are zero and media empty. Authentication: `Authorization: Bearer`, `?access_token=`,
//! or the token as the WebSocket subprotocol (as Mastodon's web client sends it). Mastodon's
//! REST timelines, the catch-up base of these feeds, are not served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use fedi_stream::event::{ItemId, Json};
use fedi_stream::mastodon::{
    ClientCommand, Event, FrameLimits, MastodonError, STREAMING_PATH, ServerFrame, Stream,
    SubscriptionChange, Subscriptions,
};
use fedi_stream::server::{FeedConfig, Format, Session, Transmit};
use futures::{SinkExt, StreamExt};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::hub::accounts::Account;
use crate::hub::c2s::{C2s, USERS};
use crate::hub::module::{Handler, Module};
use crate::hub::server::{Core, unix_now};
use crate::hub::store::{BoxKind, Entry};
use crate::hub::stream::{self, FeedCell};
use crate::hub::web::{self, Request, Response};
use crate::hub::ws::{self as websocket, WsStream};

/// The feeds of the Mastodon streams.
struct Feeds {
    base: url::Url,
    users: Mutex<HashMap<String, Arc<FeedCell>>>,
    public: Arc<FeedCell>,
    public_local: Arc<FeedCell>,
}

impl Feeds {
    fn new(base: &url::Url) -> Self {
        let timeline = |path: &str, stream: &str| {
            let mut url = base.clone();
            url.set_path(path);
            Arc::new(FeedCell::new(FeedConfig::mastodon(url, &[stream])))
        };
        Feeds {
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
                Arc::new(FeedCell::new(FeedConfig::mastodon(url, &["user"])))
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

    /// Puts a stored entry on the streams that show it.
    fn on_append(&self, core: &Core, kind: BoxKind, owner: &str, entry: &Entry) {
        let Some((status, public)) = status_of(&core.base_url, entry) else {
            return;
        };
        let Ok(id) = ItemId::new(&entry.seq.to_string()) else {
            return;
        };
        let Ok(status) = Json::from_serialize(&status) else {
            return;
        };
        let event = Event::update(status);
        self.user(owner).append(event.entry(Some(id.clone())));
        if kind == BoxKind::Outbox && public {
            self.public.append(event.entry(Some(id.clone())));
            self.public_local.append(event.entry(Some(id)));
        }
    }
}

/// The Mastodon status of an entry that created a Note, and whether it is public.
fn status_of(base: &str, entry: &Entry) -> Option<(Value, bool)> {
    let activity = &*entry.activity;
    if activity.get("type")?.as_str()? != "Create" {
        return None;
    }
    let object = activity.get("object").filter(|o| o.is_object())?;
    if object.get("type").and_then(Value::as_str) != Some("Note") {
        return None;
    }
    let addressed = |key: &str| -> Vec<&str> {
        match object.get(key).or_else(|| activity.get(key)) {
            Some(Value::String(id)) => vec![id.as_str()],
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    };
    let (to, cc) = (addressed("to"), addressed("cc"));
    let public = |ids: &[&str]| ids.iter().any(|id| activitystreams_core::is_public(id));
    let visibility = if public(&to) {
        "public"
    } else if public(&cc) {
        "unlisted"
    } else if to.iter().chain(&cc).any(|id| id.ends_with("/followers")) {
        "private"
    } else {
        "direct"
    };
    let author = activity.get("actor").and_then(Value::as_str).unwrap_or("");
    let username = author
        .strip_prefix(base)
        .and_then(|path| path.strip_prefix(USERS))
        .unwrap_or_else(|| author.rsplit('/').next().unwrap_or(author));
    let created_at = object
        .get("published")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            chrono::DateTime::from_timestamp(unix_now(), 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
    let uri = object.get("id").and_then(Value::as_str).unwrap_or_default();
    let status = json!({
        "id": entry.seq.to_string(),
        "uri": uri,
        "url": uri,
        "created_at": created_at,
        "content": object.get("content").and_then(Value::as_str).unwrap_or_default(),
        "spoiler_text": object.get("summary").and_then(Value::as_str).unwrap_or_default(),
        "visibility": visibility,
        "sensitive": object.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        "language": null,
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "reblog": null,
        "account": {
            "id": username, "username": username, "acct": username, "display_name": username,
            "url": author, "note": "", "avatar": "", "avatar_static": "", "header": "",
            "header_static": "", "locked": false, "bot": false, "created_at": created_at,
            "followers_count": 0, "following_count": 0, "statuses_count": 0,
            "emojis": [], "fields": [],
        },
        "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
        "reblogs_count": 0, "favourites_count": 0, "replies_count": 0,
    });
    Some((status, visibility == "public"))
}

/// Serves [`STREAMING_PATH`].
pub(crate) struct MastodonModule {
    core: Arc<Core>,
    feeds: Arc<Feeds>,
}

impl MastodonModule {
    pub(crate) fn new(core: Arc<Core>, c2s: &Arc<C2s>) -> Self {
        let feeds = Arc::new(Feeds::new(&core.base));
        let watcher = feeds.clone();
        let hub = core.clone();
        c2s.store().observe(Box::new(move |kind, owner, entry| {
            watcher.on_append(&hub, kind, owner, entry);
        }));
        MastodonModule { core, feeds }
    }
}

impl Module for MastodonModule {
    fn name(&self) -> &'static str {
        "mastodon"
    }

    fn claims(&self, request: &Request) -> bool {
        request.uri().path().starts_with(STREAMING_PATH)
    }

    fn handle(&self, request: Request) -> Handler {
        let response = self.respond(request);
        Box::pin(async move { response })
    }

    fn try_lines(&self, base: &str, account: &Account) -> Vec<String> {
        vec![format!(
            "curl -N -H 'Authorization: Bearer {}' {base}{STREAMING_PATH}/user   # Mastodon streaming",
            account.token()
        )]
    }
}

impl MastodonModule {
    fn respond(&self, request: Request) -> Response {
        let path = request.uri().path();
        if path == format!("{STREAMING_PATH}/health") {
            return web::respond(StatusCode::OK, "text/plain", "OK");
        }
        let subprotocol = request
            .headers()
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .cloned();
        let account = match self.core.authenticate(&request, true) {
            Ok(account) => account,
            Err(_) => match subprotocol
                .as_ref()
                .and_then(|p| p.to_str().ok())
                .and_then(|token| self.core.accounts.authenticate(token.trim()))
            {
                Some(account) => account,
                None => return mastodon_error(StatusCode::UNAUTHORIZED, "Missing access token"),
            },
        };
        if websocket::is_upgrade(request.headers()) {
            return self.upgrade(request, account, subprotocol);
        }
        let stream = match Stream::from_request(path, request.uri().query()) {
            Ok(stream) => stream,
            Err(e) => return mastodon_error(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let Some(cell) = self.feeds.of(&stream, &account) else {
            return not_kept(&stream);
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let resume = fedi_stream::negotiate::resume_id(&request);
        stream::respond_feed(
            &self.core,
            cell,
            Format::MastodonSse,
            resume.as_deref(),
            headers,
        )
    }

    fn upgrade(
        &self,
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
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.core.limits.max_ws_message_bytes));
        let (wake_tx, wake_rx) = mpsc::channel::<()>(1);
        let mut connection = Connection {
            core: self.core.clone(),
            feeds: self.feeds.clone(),
            account,
            subscriptions: Subscriptions::new(Subscriptions::DEFAULT_MAX),
            sessions: Vec::new(),
            wake_tx,
            replies: Vec::new(),
        };
        // Subscribed before the 101 is sent, so nothing posted after it is missed.
        if let Some(initial) = initial {
            connection.command(initial.map(ClientCommand::Subscribe));
        }
        websocket::accept(request, extra, config, self.core.guard(), move |socket| {
            connection.run(socket, wake_rx)
        })
    }
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
                while let Some(transmit) = subscribed.session.poll_transmit(&feed, now) {
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
                        subscribed.session.handle_timeout(&subscribed.cell.lock(), now);
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

/// A Mastodon-style error body: `{"error": message}`.
fn mastodon_error(status: StatusCode, message: &str) -> Response {
    web::json(status, "application/json", &json!({ "error": message }))
}

fn not_kept(stream: &Stream) -> Response {
    mastodon_error(
        StatusCode::NOT_FOUND,
        &format!("Stream {} is not available on this server", stream.name()),
    )
}
