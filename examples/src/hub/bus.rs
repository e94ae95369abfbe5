//! The Bus at `/ws/bus`: `bus_protocol`'s [`Hub`] behind a mutex, one task per WebSocket.
//!
//! ```text
//!  upgrade (token checked) ──► Bus::connect ──► Hub::connect ─┐
//!  socket text/binary ───────► Bus::handle_* ─► Hub::handle_* ─┤ under the lock:
//!  C2S posts ────────────────► Bus::publish_* ─► Hub::publish ─┤ drain poll_transmit into each
//!  timer task ───────────────► Hub::handle_timeout ────────────┘ session's outlet (bounded
//!                                                                channel), act on poll_event
//!  session task: select { outlet frame ─► socket, socket frame ─► Bus, shutdown ─► close 1001 }
//! ```
//!
//! Each account is its own tenant (as each Cloudillo identity is), and is its Bus user id.
//! Everyone on the hub sees everyone's presence (the demo's accounts are all connected), and
//! typing indicators may go to any existing account.
//!
//! Each connection speaks one dialect ([`Dialect`]): the one its `dialect` query parameter
//! names (`seed` or `cloudillo`), else the hub's default ([`Config::bus_dialect`], `seed`
//! unless configured). A Cloudillo session is what the deployed Cloudillo server gives
//! Cloudillo's own shell: no greeting, `ack`s, `ACTION` pushes, close codes instead of errors.
//!
//! Closes. An invalid token is answered after the upgrade, so that browsers can see it: in
//! the seed dialect `error` with `E-WS-AUTH`, then close 4401; in the Cloudillo dialect close
//! 4401 alone. An unknown `dialect` value: close 4400. A refused connection cap: `error` with
//! `E-WS-RATE` (seed only), then close 1013. A session whose outlet fills up (a client that
//! does not read) is disconnected with close 1008 in the seed dialect and 1013 in the
//! Cloudillo dialect (Cloudillo's shell never reconnects after 1008, which it takes for an
//! authentication failure; after 1013 it reconnects with its backoff). Every session gets a
//! WebSocket Ping every 30 s; its Pong keeps it from the silence timeout.
//!
//! [`Config::bus_dialect`]: crate::hub::Config::bus_dialect

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Instant, SystemTime};

use bus_protocol::close::{CloseCode, CloseFrame};
use bus_protocol::hub::{
    ActionRoute, Audience, ConnectError, Hub, HubConfig, HubEvent, Payload, PublishError,
    Relations, SessionKey, action_audience,
};
use bus_protocol::message::{ActionNotice, ErrorCode, PresenceNotice, ServerMessage};
use bus_protocol::session::{Dialect, SessionEvent};
use futures::{SinkExt, StreamExt};
use http::HeaderMap;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::hub::accounts::{Account, Accounts};
use crate::hub::module::{Handler, Module, Starting};
use crate::hub::queue::{self, Weight};
use crate::hub::server::{Core, unix_now};
use crate::hub::web::{self, Request, Response};
use crate::hub::ws::{self, WsStream};

/// The Bus endpoint.
pub(crate) const PATH: &str = "/ws/bus";

/// The cluster envelope kind of presence changes.
const PRESENCE_KIND: &str = "bus.presence";

/// Most bytes one `replay` request sends (what does not fit is left out; the client can ask
/// again with a later `since`).
const REPLAY_BYTES: usize = 64 * 1024;

/// Close code for a client that does not read its frames fast enough (policy violation).
const CLOSE_TOO_SLOW: CloseCode = CloseCode::POLICY_VIOLATION;
/// Close code for a connection refused by a cap ("try again later").
const CLOSE_TRY_LATER: CloseCode = CloseCode::TRY_AGAIN_LATER;
/// Close code for an invalid token, as the deployed Cloudillo server uses.
const CLOSE_UNAUTHORIZED: CloseCode = CloseCode::UNAUTHORIZED;
/// Close code for a bad request (an unknown `dialect`), as the deployed Cloudillo server uses.
const CLOSE_BAD_REQUEST: CloseCode = CloseCode::BAD_REQUEST;

/// The query parameter that chooses a connection's dialect.
pub(crate) const DIALECT_PARAM: &str = "dialect";

/// Presence and typing relation of the demo: every account watches every other.
pub(crate) struct Everyone(Arc<Accounts>);

impl Relations for Everyone {
    fn presence_watchers(&self, subject: &str, visit: &mut dyn FnMut(&str)) {
        for account in self.0.all() {
            if account.name() != subject {
                visit(account.name());
            }
        }
    }

    fn may_send_typing(&self, _from: &str, to: &str) -> bool {
        self.0.contains(to)
    }
}

/// A frame for one session's socket.
#[derive(Clone)]
enum Frame {
    Text(Utf8Bytes),
    /// A WebSocket Ping (the keep-alive).
    Ping,
    Close(CloseFrame),
}

impl Weight for Frame {
    fn weight(&self) -> usize {
        match self {
            Frame::Text(text) => text.len(),
            Frame::Ping => 2,
            Frame::Close(_) => 2,
        }
    }
}

struct State {
    hub: Hub<Everyone>,
    outlets: HashMap<SessionKey, queue::Sender<Frame>>,
    /// The deadline the timer task sleeps until.
    armed: Option<Instant>,
}

/// The Bus shared by the module, its session tasks and the other modules (which publish).
pub(crate) struct Bus {
    core: Arc<Core>,
    me: Weak<Bus>,
    state: Mutex<State>,
    wake: Notify,
    ws_config: WebSocketConfig,
    /// The dialect of connections that do not name one.
    dialect: Dialect,
}

impl Bus {
    fn new(core: Arc<Core>, config: HubConfig, dialect: Dialect) -> Arc<Self> {
        let hub = Hub::new(config, Everyone(core.accounts.clone()));
        let ws_config =
            WebSocketConfig::default().max_message_size(Some(core.limits.max_ws_message_bytes));
        Arc::new_cyclic(|me| Bus {
            me: me.clone(),
            state: Mutex::new(State {
                hub,
                outlets: HashMap::new(),
                armed: None,
            }),
            wake: Notify::new(),
            ws_config,
            dialect,
            core,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent before anything can panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends an action to the audience the seed's rules give for `route` (every session of
    /// those users on every instance of the cluster) and keeps it for replay. Returns the
    /// number of sessions reached on this instance.
    pub(crate) fn publish_action(&self, route: &ActionRoute<'_>) -> Result<usize, PublishError> {
        // Each account is its own tenant, so every audience is a list of users.
        let users: Vec<&str> = match action_audience(route)? {
            Audience::User(u) | Audience::Tenant(u) => vec![u],
            Audience::Users(list) => list.to_vec(),
        };
        Ok(self.publish_to(ServerMessage::Action(route.action.clone()), &users))
    }

    /// Sends an action that arrived from elsewhere (`source: federated`) to every session of
    /// `tenant`, the seed's inbound forwarding; a refusal is logged.
    pub(crate) fn publish_federated(&self, notice: &ActionNotice, tenant: &str) {
        let route = ActionRoute {
            tenant,
            action: notice,
            parent_owner: None,
            participants: &[],
            recipient: Some(tenant),
        };
        if let Err(e) = self.publish_action(&route) {
            tracing::warn!(error = %e, tenant, "federated action not published");
        }
    }

    /// Sends `message` to every session of `users` and logs it in the store, for replay and
    /// for the other instances sharing the store (which deliver it to their sessions). Returns
    /// the number of sessions reached on this instance.
    pub(crate) fn publish_to(&self, message: ServerMessage, users: &[&str]) -> usize {
        let (timestamp, text) = (message.timestamp(), message.to_json_string());
        let users_json = serde_json::to_string(users).unwrap_or_else(|_| "[]".into());
        let store = self.core.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.log_bus_event(timestamp, users_json, text).await {
                tracing::warn!(error = %e, "bus event not logged for replay");
            }
        });
        self.deliver(&message, users)
    }

    /// A message another instance logged.
    fn remote_publish(&self, users: &str, message: &str) {
        // Input from the database: what does not parse is skipped, never a panic.
        let users: Option<Vec<String>> = serde_json::from_str(users).ok();
        let message = ServerMessage::decode(message.as_bytes()).ok();
        match (users, message) {
            (Some(users), Some(message)) => {
                let users: Vec<&str> = users.iter().map(String::as_str).collect();
                self.deliver(&message, &users);
            }
            _ => tracing::warn!("malformed bus event from another instance; skipped"),
        }
    }

    fn deliver(&self, message: &ServerMessage, users: &[&str]) -> usize {
        let mut state = self.lock();
        let reached = match state.hub.publish(message, Audience::Users(users)) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "bus publish refused");
                0
            }
        };
        self.drain(&mut state);
        reached
    }

    /// A presence change announced by another instance: delivered to this instance's watchers.
    fn remote_presence(&self, body: serde_json::Value) {
        let notice: PresenceNotice = match serde_json::from_value(body) {
            Ok(notice) => notice,
            Err(e) => {
                tracing::warn!(error = %e, "cluster: malformed presence notice");
                return;
            }
        };
        let mut state = self.lock();
        let mut watchers = Vec::new();
        state
            .hub
            .relations()
            .presence_watchers(&notice.user, &mut |w| watchers.push(w.to_owned()));
        let watchers: Vec<&str> = watchers.iter().map(String::as_str).collect();
        let message = ServerMessage::Presence(notice);
        if let Err(e) = state.hub.publish(&message, Audience::Users(&watchers)) {
            tracing::warn!(error = %e, "remote presence not delivered");
        }
        self.drain(&mut state);
    }

    /// Registers an authenticated connection speaking `dialect`; its frames arrive on the
    /// returned receiver.
    fn connect(
        &self,
        account: &Account,
        dialect: Dialect,
    ) -> Result<(SessionKey, queue::Receiver<Frame>), ConnectError> {
        let (tx, rx) = queue::bounded(
            self.core.limits.subscriber_queue,
            self.core.limits.subscriber_queue_bytes,
        );
        let session_id = format!("sess_{}", crate::hub::random::hex(8));
        let mut state = self.lock();
        let name = account.name();
        let key = state.hub.connect_with_dialect(
            Instant::now(),
            SystemTime::now(),
            name,
            name,
            session_id,
            dialect,
        )?;
        state.outlets.insert(key, tx);
        self.drain(&mut state);
        Ok((key, rx))
    }

    fn handle_text(&self, key: SessionKey, text: &str) {
        let mut state = self.lock();
        if let Err(e) = state
            .hub
            .handle_text(Instant::now(), SystemTime::now(), key, text)
        {
            tracing::debug!(?key, error = %e, "bus frame not handled");
        }
        self.drain(&mut state);
    }

    /// A Pong (or Ping) from the client: it is alive.
    fn handle_pong(&self, key: SessionKey) {
        let mut state = self.lock();
        if let Err(e) = state
            .hub
            .handle_pong(Instant::now(), SystemTime::now(), key)
        {
            tracing::debug!(?key, error = %e, "bus pong not handled");
        }
        self.drain(&mut state);
    }

    fn handle_binary(&self, key: SessionKey, bytes: &[u8]) {
        let mut state = self.lock();
        if let Err(e) = state
            .hub
            .handle_binary(Instant::now(), SystemTime::now(), key, bytes)
        {
            tracing::debug!(?key, error = %e, "bus frame not handled");
        }
        self.drain(&mut state);
    }

    /// The session's socket ended.
    fn handle_end(&self, key: SessionKey) {
        let mut state = self.lock();
        state.outlets.remove(&key);
        Self::end(&mut state, key);
        self.drain(&mut state);
    }

    /// Reports the end of `key`'s transport to the hub. A session that closed itself is
    /// already gone from it (`Closed`), which needs no report.
    fn end(state: &mut State, key: SessionKey) {
        if let Err(e) = state.hub.handle_end(Instant::now(), SystemTime::now(), key) {
            tracing::trace!(?key, error = %e, "bus session end not reported");
        }
    }

    /// Moves everything the hub wants written into the outlets and acts on its events. A
    /// session whose outlet is full or gone is disconnected.
    fn drain(&self, state: &mut State) {
        loop {
            let mut stalled = Vec::new();
            while let Some(transmit) = state.hub.poll_transmit() {
                let frame = match transmit.payload {
                    Payload::Text(bytes) => match Utf8Bytes::try_from(bytes) {
                        Ok(text) => Frame::Text(text),
                        Err(e) => {
                            tracing::error!(error = %e, "the Bus encoder produced invalid UTF-8");
                            continue;
                        }
                    },
                    Payload::Ping => Frame::Ping,
                    Payload::Close(frame) => Frame::Close(frame),
                    other => {
                        tracing::error!(?other, "a Bus payload this host cannot write");
                        continue;
                    }
                };
                for key in transmit.recipients.as_slice() {
                    let delivered = state
                        .outlets
                        .get(key)
                        .is_some_and(|outlet| outlet.try_send(frame.clone()).is_ok());
                    if !delivered && state.outlets.remove(key).is_some() {
                        stalled.push(*key);
                    }
                }
            }
            while let Some(event) = state.hub.poll_event() {
                self.on_event(event);
            }
            if stalled.is_empty() {
                break;
            }
            for key in stalled {
                tracing::info!(?key, "bus session too slow; disconnecting");
                Self::end(state, key);
            }
        }
        if let Some(at) = state.hub.poll_timeout()
            && state.armed.is_none_or(|armed| at < armed)
        {
            state.armed = Some(at);
            self.wake.notify_one();
        }
    }

    fn on_event(&self, event: HubEvent) {
        match event {
            HubEvent::Session {
                key,
                event: SessionEvent::Replay(request),
            } => {
                if let Some(bus) = self.me.upgrade() {
                    tokio::spawn(bus.replay(key, request.since));
                }
            }
            HubEvent::Session {
                key,
                event: SessionEvent::Rejected(error),
            } => tracing::debug!(?key, %error, "bus frame refused"),
            HubEvent::Session {
                key,
                event: SessionEvent::RegisterPush(registration),
            } => tracing::info!(
                ?key,
                platform = ?registration.platform,
                "push token registered (the demo hub sends no pushes)"
            ),
            HubEvent::Session { key, event } => tracing::trace!(?key, ?event, "bus session"),
            HubEvent::Presence(notice) => {
                tracing::debug!(user = %notice.user, status = ?notice.status, "presence");
                match serde_json::to_value(&notice) {
                    Ok(body) => self.core.cluster.publish(PRESENCE_KIND, body),
                    Err(e) => tracing::error!(error = %e, "presence notice not serialisable"),
                }
            }
            _ => {}
        }
    }

    /// Resends the logged events newer than `since` that `key`'s user may see and subscribed
    /// to: at most [`REPLAY_BYTES`], and only what the session's outlet has room for (a replay
    /// never disconnects a session).
    async fn replay(self: Arc<Self>, key: SessionKey, since: i64) {
        let logged = match self.core.store.bus_events_since(since).await {
            Ok(logged) => logged,
            Err(e) => {
                tracing::warn!(error = %e, "bus replay: log unreadable");
                return;
            }
        };
        let state = self.lock();
        let Some(session) = state.hub.session(key) else {
            return;
        };
        if session.dialect() != Dialect::Seed {
            // The log holds seed messages; only seed sessions ask for a replay.
            return;
        }
        let user = session.user().clone();
        let Some(outlet) = state.outlets.get(&key) else {
            return;
        };
        let (mut sent, mut bytes) = (0usize, 0usize);
        for (users, text) in &logged {
            let addressed =
                serde_json::from_str::<Vec<&str>>(users).is_ok_and(|users| users.contains(&&*user));
            if !addressed {
                continue;
            }
            let Ok(message) = ServerMessage::decode(text.as_bytes()) else {
                continue;
            };
            if !session.wants(&message) {
                continue;
            }
            bytes += text.len();
            if bytes > REPLAY_BYTES || outlet.try_send(Frame::Text(text.as_str().into())).is_err() {
                break;
            }
            sent += 1;
        }
        tracing::debug!(?key, since, sent, "bus replay");
    }

    /// Runs the hub's timers until shutdown.
    async fn timers(self: Arc<Self>) {
        let _guard = self.core.guard();
        let mut shutdown = self.core.shutdown();
        loop {
            let deadline = self.lock().armed;
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    let mut state = self.lock();
                    let now = Instant::now();
                    state.armed = None;
                    if let Err(e) = state.hub.handle_timeout(now, SystemTime::now()) {
                        // Only a full queue refuses; the drain below empties it, and the
                        // deadline, still due, re-arms the timer.
                        tracing::warn!(error = %e, "bus timers deferred");
                    }
                    self.drain(&mut state);
                }
                () = self.wake.notified() => {}
                () = shutdown.wait() => break,
            }
        }
    }

    /// One WebSocket session: `account` if the token was valid, speaking `dialect`
    /// (`Err`: the unknown value the query named).
    async fn session(
        self: Arc<Self>,
        mut socket: WsStream,
        account: Option<Arc<Account>>,
        dialect: Result<Dialect, String>,
    ) {
        let dialect = match dialect {
            Ok(dialect) => dialect,
            Err(unknown) => {
                let reason = format!("unknown {DIALECT_PARAM} `{unknown}`: seed or cloudillo");
                ws::close(
                    &mut socket,
                    CLOSE_BAD_REQUEST.into(),
                    truncate(&reason, 120),
                )
                .await;
                return;
            }
        };
        let seed = dialect == Dialect::Seed;
        let Some(account) = account else {
            if seed {
                let error =
                    ServerMessage::error(ErrorCode::Auth, "Invalid or expired token", unix_now());
                let _ = socket.send(Message::text(error.to_json_string())).await;
            }
            ws::close(&mut socket, CLOSE_UNAUTHORIZED.into(), "Unauthorized").await;
            return;
        };
        let (key, mut outlet) = match self.connect(&account, dialect) {
            Ok(connected) => connected,
            Err(refused) => {
                if seed {
                    let error =
                        ServerMessage::error(ErrorCode::Rate, refused.to_string(), unix_now());
                    let _ = socket.send(Message::text(error.to_json_string())).await;
                }
                ws::close(
                    &mut socket,
                    CLOSE_TRY_LATER.into(),
                    "connection limit reached",
                )
                .await;
                return;
            }
        };
        // Cloudillo's shell takes 1008 for an authentication failure and never reconnects.
        let too_slow = if seed {
            CLOSE_TOO_SLOW
        } else {
            CLOSE_TRY_LATER
        };
        tracing::debug!(user = account.name(), ?key, %dialect, "bus session open");
        let mut shutdown = self.core.shutdown();
        loop {
            tokio::select! {
                frame = outlet.recv() => match frame {
                    Some(Frame::Text(text)) => {
                        if !write_batch(&mut socket, Message::Text(text), &mut outlet).await {
                            break;
                        }
                    }
                    Some(Frame::Ping) => {
                        if !write_batch(&mut socket, Message::Ping(Default::default()), &mut outlet).await {
                            break;
                        }
                    }
                    Some(Frame::Close(frame)) => {
                        ws::close(&mut socket, frame.code.into(), &frame.reason).await;
                        break;
                    }
                    None => {
                        ws::close(&mut socket, too_slow.into(), "client too slow: outgoing queue full").await;
                        break;
                    }
                },
                incoming = socket.next() => match ws::receive(&mut socket, incoming).await {
                    Some(Message::Text(text)) => self.handle_text(key, text.as_str()),
                    Some(Message::Binary(bytes)) => self.handle_binary(key, &bytes),
                    // Closed as RFC 6455 says (echo, or the error's close code) by `receive`.
                    Some(Message::Close(_)) | None => break,
                    // A Pong answers the keep-alive; a Ping (answered by tungstenite itself)
                    // proves the client alive just as well.
                    Some(Message::Pong(_) | Message::Ping(_)) => self.handle_pong(key),
                    Some(_) => {}
                },
                () = shutdown.wait() => {
                    ws::close(&mut socket, CloseCode::GOING_AWAY.into(), "server shutting down").await;
                    break;
                }
            }
        }
        self.handle_end(key);
        tracing::debug!(user = account.name(), ?key, "bus session closed");
    }
}

/// `text` cut to at most `max` bytes on a character boundary (close reasons are short).
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Writes `first` and whatever else is already queued, then flushes once. A close frame in
/// the queue is left for the caller's next `recv` (it is re-queued in order by stopping early).
async fn write_batch(
    socket: &mut WsStream,
    first: Message,
    outlet: &mut queue::Receiver<Frame>,
) -> bool {
    if socket.feed(first).await.is_err() {
        return false;
    }
    let mut pending_close = None;
    while let Some(frame) = outlet.try_recv() {
        let message = match frame {
            Frame::Text(text) => Message::Text(text),
            Frame::Ping => Message::Ping(Default::default()),
            Frame::Close(close) => {
                pending_close = Some(close);
                break;
            }
        };
        if socket.feed(message).await.is_err() {
            return false;
        }
    }
    if socket.flush().await.is_err() {
        return false;
    }
    match pending_close {
        Some(close) => {
            ws::close(socket, close.code.into(), &close.reason).await;
            false
        }
        None => true,
    }
}

/// The module serving [`PATH`].
pub(crate) struct BusModule {
    bus: Arc<Bus>,
}

impl BusModule {
    pub(crate) fn new(core: Arc<Core>, config: HubConfig, dialect: Dialect) -> Self {
        let bus = Bus::new(core.clone(), config, dialect);
        core.cluster
            .on_weak(PRESENCE_KIND, &bus, Bus::remote_presence);
        let weak = Arc::downgrade(&bus);
        core.store.observe_bus(Box::new(move |users, message| {
            if let Some(bus) = weak.upgrade() {
                bus.remote_publish(users, message);
            }
        }));
        BusModule { bus }
    }

    /// The Bus, for the modules that publish to it.
    pub(crate) fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }
}

impl Module for BusModule {
    fn name(&self) -> &'static str {
        "bus"
    }

    fn start(&self) -> Starting {
        tokio::spawn(self.bus.clone().timers());
        Box::pin(async { Ok(()) })
    }

    fn claims(&self, request: &Request) -> bool {
        request.uri().path() == PATH
    }

    fn handle(&self, request: Request) -> Handler {
        let response = upgrade(self.bus.clone(), request);
        Box::pin(async move { response })
    }

    fn try_lines(&self, base: &str, account: &Account) -> Vec<String> {
        let ws_base = crate::hub::web::ws_base(base);
        let token = account.token();
        // Name the dialect where it is not the hub's default.
        let (seed, cloudillo) = match self.bus.dialect {
            Dialect::Seed => ("", "&dialect=cloudillo"),
            _ => ("&dialect=seed", ""),
        };
        vec![
            format!(
                "websocat '{ws_base}{PATH}?token={token}{seed}'   # then send {{\"type\":\"subscribe\",\"events\":[\"action\",\"presence\",\"typing\"]}}"
            ),
            format!(
                "websocat '{ws_base}{PATH}?token={token}{cloudillo}'   # Cloudillo's dialect: actions arrive as ACTION; send {{\"id\":\"p1\",\"cmd\":\"ping\",\"data\":{{}}}}"
            ),
        ]
    }
}

fn upgrade(bus: Arc<Bus>, request: Request) -> Response {
    let account = bus.core.authenticate(&request, true).ok();
    let dialect = match web::query_param(request.uri(), DIALECT_PARAM) {
        None => Ok(bus.dialect),
        Some(name) => Dialect::parse(&name).ok_or_else(|| name.into_owned()),
    };
    let guard = bus.core.guard();
    let config = bus.ws_config;
    ws::accept(request, HeaderMap::new(), config, guard, move |socket| {
        bus.session(socket, account, dialect)
    })
}
