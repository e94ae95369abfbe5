//! The server side of one Bus connection.
//!
//! A [`Session`] is created after the host has validated the access token (the seed: "Token
//! validated on initial connection"), so it starts authenticated with the user id the host
//! found. It speaks one [`Dialect`] for its whole life, chosen by the host at creation.
//!
//! In the **seed** dialect (this crate's [`ClientMessage`]/[`ServerMessage`]) it queues
//! `welcome` at once, then takes the client's text frames and answers them: `pong` for `ping`,
//! `E-WS-RATE` when the per-connection token bucket is empty, `E-WS-INVALID` for anything that
//! is not a valid client message (unknown types included). Requests the host has to act on
//! (presence, typing, push registration, replay) come out as [`SessionEvent`]s.
//!
//! In the **Cloudillo** dialect (the deployed Cloudillo server's `{"id","cmd","data"}` frames,
//! [`crate::cloudillo`]) it sends nothing until the client does, answers every frame with an
//! `ack` echoing its id (`{"status":"pong"}` for `ping`, `{"status":"ok"}` for any other
//! command, which is otherwise ignored), delivers only `action` messages (as `ACTION` frames,
//! without any subscription), and never sends an error frame: a refused frame (rate limit,
//! size, not a frame) is dropped with a [`SessionEvent::Rejected`], and the session ends with
//! close codes only.
//!
//! Timers, in both dialects: the WebSocket keep-alive Ping, presence coalescing, typing
//! expiry, idle detection, the silence timeout and token expiry, all driven by
//! [`Session::handle_timeout`]. The silence timeout closes only a dead peer: a client that
//! sends nothing but answers the keep-alive Pings ([`Session::handle_pong`]) stays open.
//!
//! The host reports the end of the transport with [`Session::handle_end`]. A closed session
//! (closed by itself or by that end) answers every input with [`SessionError::Closed`].

use std::collections::VecDeque;
use std::sync::Arc;
use web_time::{Duration, Instant, SystemTime};

use crate::close::{CloseCode, CloseFrame};
use crate::cloudillo::{Command, Frame};
use crate::message::{
    ClientMessage, DecodeError, ErrorCode, EventSet, EventType, PresenceUpdate, PushRegistration,
    ReplayRequest, ServerMessage, TypingUpdate, Welcome, string_enum,
};
use crate::throttle::Throttle;
use crate::token_bucket::{RateLimit, TokenBucket};
use crate::wall_clock::unix_seconds;

/// Limits and timers of a session. `Default` gives the seed's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Client → server messages per connection: 100 per minute, bursts of 20.
    pub rate: RateLimit,
    /// Largest accepted client frame in bytes (default 8 KiB; Bus client messages are small).
    pub max_message_bytes: usize,
    /// Presence updates are released at most once per this interval (default 1 s); updates
    /// inside it are coalesced, the latest wins.
    pub presence_interval: Duration,
    /// The connection counts as idle (away) after this long without a client message other
    /// than `ping` (default 5 min).
    pub idle_after: Duration,
    /// A typing indicator expires this long after the last `typing` for it (default 5 s).
    pub typing_expiry: Duration,
    /// Repeated `typing` for the same conversation is forwarded at most once per this
    /// interval (default 1 s); in between it only extends the expiry.
    pub typing_interval: Duration,
    /// Concurrent typing indicators per connection (default 16); more is `E-WS-RATE`.
    pub max_typing: usize,
    /// Close the connection (4408) when no frame at all arrived for this long: no text or
    /// binary frame, and no Pong answering the keep-alive Pings (default 90 s: three
    /// unanswered 30 s Pings, a dead peer). `None` disables it.
    pub silence_timeout: Option<Duration>,
    /// Send a WebSocket Ping frame ([`Outgoing::Ping`]) this often, from the session's start
    /// (default 30 s, what the deployed Cloudillo server does). Browsers and WebSocket
    /// libraries answer with a Pong, which the host reports with [`Session::handle_pong`]; it
    /// counts for the silence timeout, so a client that sends nothing stays open as long as it
    /// is alive. Keep it below `silence_timeout`. `None`: no Pings.
    pub ping_interval: Option<Duration>,
    /// The bound of the session's queues: while undrained transmits plus events number this
    /// many, every `handle_*` call but [`Session::handle_end`] (which queues nothing),
    /// [`Session::deliver`] and [`Session::reject`] return [`SessionError::Backpressure`]
    /// without taking their input (default 64). One accepted
    /// call adds at most [`SessionConfig::max_typing`] + 6 outputs (the due timers, one per
    /// expired typing indicator, the frame's reply and events), so together the queues never
    /// hold more than `max_pending + max_typing + 6`.
    pub max_pending: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            rate: RateLimit::default(),
            max_message_bytes: 8 * 1024,
            presence_interval: Duration::from_secs(1),
            idle_after: Duration::from_secs(5 * 60),
            typing_expiry: Duration::from_secs(5),
            typing_interval: Duration::from_secs(1),
            max_typing: 16,
            silence_timeout: Some(Duration::from_secs(90)),
            ping_interval: Some(Duration::from_secs(30)),
            max_pending: 64,
        }
    }
}

string_enum! {
    /// The wire format a session speaks, chosen by the host when it creates the session (the
    /// `fedi-hub` demo server takes it from the `dialect` query parameter of `/ws/bus`).
    #[non_exhaustive]
    closed Dialect expecting "seed or cloudillo" {
        /// This crate's messages ([`ClientMessage`], [`ServerMessage`]: the seed's
        /// `{"type",…}` objects): `welcome` first, subscriptions, errors answered in-band.
        Seed = "seed",
        /// The deployed Cloudillo server's `{"id","cmd","data"}` frames
        /// ([`crate::cloudillo::Frame`]): nothing before the client speaks, an `ack` for every
        /// frame, `ACTION` pushes without any subscription, close codes instead of errors.
        Cloudillo = "cloudillo",
    }
}

impl Default for Dialect {
    /// [`Dialect::Seed`].
    fn default() -> Self {
        Dialect::Seed
    }
}

/// Why a session closed. The codes the server sends are in the private 4000–4999 range, in
/// the style of the deployed Cloudillo server (which uses 4401 for a missing token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The host reported the access token expired (or the expiry instant passed).
    TokenExpired,
    /// No frame arrived within [`SessionConfig::silence_timeout`].
    Silent,
    /// The host reported the end of the transport ([`Session::handle_end`]); nothing is sent.
    Ended,
}

impl CloseReason {
    /// The WebSocket close code: [`CloseCode::UNAUTHORIZED`] (4401) for `TokenExpired`,
    /// [`CloseCode::TIMEOUT`] (4408) for `Silent`, [`CloseCode::ABNORMAL`] (1006, never sent)
    /// for `Ended`.
    #[must_use]
    pub fn code(&self) -> CloseCode {
        match self {
            CloseReason::TokenExpired => CloseCode::UNAUTHORIZED,
            CloseReason::Silent => CloseCode::TIMEOUT,
            CloseReason::Ended => CloseCode::ABNORMAL,
        }
    }

    /// The close reason text.
    #[must_use]
    pub fn text(&self) -> &'static str {
        match self {
            CloseReason::TokenExpired => "access token expired",
            CloseReason::Silent => "no frame received within the silence timeout",
            CloseReason::Ended => "the transport ended",
        }
    }

    /// The Close frame that says so: [`CloseReason::code`] and [`CloseReason::text`].
    #[must_use]
    pub fn frame(&self) -> CloseFrame {
        CloseFrame::new(self.code(), self.text())
    }
}

/// Something to write to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outgoing {
    /// A text frame with this message. In the seed dialect, its JSON
    /// ([`ServerMessage::encode`]). In the Cloudillo dialect only `action` messages come out
    /// here: write them as `ACTION` frames ([`Frame::from_server_message`]) with an id of the
    /// host's choosing (the deployed server mints a fresh one per frame; clients ignore it).
    Message(ServerMessage),
    /// A text frame with this Cloudillo frame (the Cloudillo dialect's `ack` replies, which
    /// echo the client's id).
    Frame(Frame),
    /// A WebSocket Ping control frame with an empty payload (the keep-alive,
    /// [`SessionConfig::ping_interval`]).
    Ping,
    /// A close frame ([`CloseReason::frame`]); the host closes the socket after sending it.
    Close(CloseFrame),
}

/// A client frame the session refused. In the seed dialect the matching `error` reply is
/// already queued (the codes below); in the Cloudillo dialect nothing is sent (the deployed
/// server drops what it cannot read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The frame is not a valid client message (answered with `E-WS-INVALID`).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A binary frame: the Bus is JSON text only (answered with `E-WS-INVALID`).
    #[error("binary frame of {len} bytes: the Bus accepts JSON text frames only")]
    BinaryFrame {
        /// Length of the frame.
        len: usize,
    },
    /// The per-connection token bucket is empty (answered with `E-WS-RATE`).
    #[error(
        "rate limit exceeded: {per_minute} messages per minute with bursts of {burst}; retry in {} ms",
        retry_after.as_millis()
    )]
    RateLimited {
        /// The configured sustained rate.
        per_minute: u32,
        /// The configured burst.
        burst: u32,
        /// When the next message would be accepted.
        retry_after: Duration,
    },
    /// Too many concurrent typing indicators (answered with `E-WS-RATE`).
    #[error("too many concurrent typing indicators (SessionConfig::max_typing = {limit})")]
    TooManyTyping {
        /// The configured limit.
        limit: usize,
    },
    /// The host refused the request (answered with `E-WS-PERMISSION`).
    #[error("permission denied: {0}")]
    Permission(String),
}

impl PeerError {
    /// The error code sent to the client.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            PeerError::Decode(_) | PeerError::BinaryFrame { .. } => ErrorCode::Invalid,
            PeerError::RateLimited { .. } | PeerError::TooManyTyping { .. } => ErrorCode::Rate,
            PeerError::Permission(_) => ErrorCode::Permission,
        }
    }
}

/// Misuse of a session by its host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session is closed (it closed itself, or the host reported the end of the
    /// transport); every `handle_*` returns this from then on.
    #[error("the session is closed ({})", .0.text())]
    Closed(CloseReason),
    /// The host has not drained `poll_transmit`/`poll_event`; the frame was not processed.
    #[error(
        "{pending} undrained outputs (SessionConfig::max_pending = {limit}); drain poll_transmit and poll_event"
    )]
    Backpressure {
        /// Outputs waiting.
        pending: usize,
        /// The configured limit.
        limit: usize,
    },
}

/// What happened on a session, for the host (or the [`Hub`](crate::hub::Hub)) to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The subscription set changed; this is the new set.
    SubscriptionsChanged(EventSet),
    /// The user set their presence (already throttled: at most one per
    /// [`SessionConfig::presence_interval`], the latest wins).
    Presence(PresenceUpdate),
    /// No client activity for [`SessionConfig::idle_after`]: this connection is away.
    Idle,
    /// Client activity after [`SessionEvent::Idle`].
    Active,
    /// The user is typing to `recipient`; deliver a `typing` message to them.
    Typing(TypingUpdate),
    /// A typing indicator expired without a refresh.
    TypingStopped(TypingUpdate),
    /// The client registered a push token.
    RegisterPush(PushRegistration),
    /// The client asked for events newer than a timestamp; the host replays them from its
    /// store with [`Session::deliver`] (the session keeps no history).
    Replay(ReplayRequest),
    /// A client frame was refused; in the seed dialect the `error` reply is queued, in the
    /// Cloudillo dialect the frame is dropped without a reply.
    Rejected(PeerError),
    /// The session closed itself; the close frame is queued.
    Closed(CloseReason),
}

/// An [`Outgoing`] while it waits in a session's queue, boxed: a queue keeps its capacity for
/// the session's life, and a slot of this type costs 16 bytes where an `Outgoing` costs the
/// size of the largest message.
#[derive(Debug)]
enum Queued {
    Message(Box<ServerMessage>),
    Frame(Box<Frame>),
    Ping,
    Close(CloseReason),
}

impl Queued {
    fn message(message: ServerMessage) -> Self {
        Queued::Message(Box::new(message))
    }

    fn into_outgoing(self) -> Outgoing {
        match self {
            Queued::Message(message) => Outgoing::Message(*message),
            Queued::Frame(frame) => Outgoing::Frame(*frame),
            Queued::Ping => Outgoing::Ping,
            Queued::Close(reason) => Outgoing::Close(reason.frame()),
        }
    }

    /// The bytes of its box (not the strings inside).
    fn boxed_size(&self) -> usize {
        match self {
            Queued::Message(_) => size_of::<ServerMessage>(),
            Queued::Frame(_) => size_of::<Frame>(),
            Queued::Ping | Queued::Close(_) => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TypingState {
    update: TypingUpdate,
    expires_at: Instant,
    forwarded_at: Instant,
}

/// The server side of one connection.
///
/// Drain order after every `handle_*`/`deliver` call: [`Session::poll_transmit`] until `None`,
/// then [`Session::poll_event`] until `None`, then re-arm the timer with
/// [`Session::poll_timeout`]. Time must not go backwards between calls; a spurious
/// `handle_timeout` is a no-op.
///
/// Every input takes `now` first and, where a message carries a timestamp, the wall clock
/// right after it. Once closed (by itself, [`SessionEvent::Closed`], or by
/// [`Session::handle_end`]), every `handle_*` returns [`SessionError::Closed`].
#[derive(Debug)]
pub struct Session {
    config: Arc<SessionConfig>,
    id: Arc<str>,
    user: Arc<str>,
    dialect: Dialect,
    bucket: TokenBucket,
    last_frame: Instant,
    next_ping: Option<Instant>,
    last_activity: Instant,
    token_expires_at: Option<Instant>,
    presence: Throttle<PresenceUpdate>,
    typing: Vec<TypingState>,
    transmits: VecDeque<Queued>,
    events: VecDeque<SessionEvent>,
    subscriptions: EventSet,
    idle: bool,
    closed: Option<CloseReason>,
}

impl Session {
    /// Creates the seed-dialect session of an authenticated connection and queues `welcome`
    /// with `id` and `user`, stamped with `wall`.
    #[must_use]
    pub fn new(
        now: Instant,
        wall: SystemTime,
        config: Arc<SessionConfig>,
        id: impl Into<Arc<str>>,
        user: impl Into<Arc<str>>,
    ) -> Self {
        Session::with_dialect(now, wall, config, id, user, Dialect::Seed)
    }

    /// Creates the session of an authenticated connection speaking `dialect`. The seed dialect
    /// queues `welcome` with `id` and `user`, stamped with `wall`; the Cloudillo dialect
    /// queues nothing.
    #[must_use]
    pub fn with_dialect(
        now: Instant,
        wall: SystemTime,
        config: Arc<SessionConfig>,
        id: impl Into<Arc<str>>,
        user: impl Into<Arc<str>>,
        dialect: Dialect,
    ) -> Self {
        let id = id.into();
        let user = user.into();
        // Room for exactly the welcome: a queue's capacity stays with the session.
        let mut transmits = VecDeque::with_capacity(usize::from(dialect == Dialect::Seed));
        if dialect == Dialect::Seed {
            transmits.push_back(Queued::message(ServerMessage::Welcome(Welcome {
                session_id: id.to_string(),
                user: user.to_string(),
                timestamp: unix_seconds(wall),
            })));
        }
        let next_ping = config.ping_interval.and_then(|i| now.checked_add(i));
        Session {
            config,
            id,
            user,
            dialect,
            bucket: TokenBucket::new(now),
            last_frame: now,
            next_ping,
            last_activity: now,
            token_expires_at: None,
            presence: Throttle::new(),
            typing: Vec::new(),
            transmits,
            events: VecDeque::new(),
            subscriptions: EventSet::EMPTY,
            idle: false,
            closed: None,
        }
    }

    /// The session id given at creation.
    #[must_use]
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    /// The authenticated user.
    #[must_use]
    pub fn user(&self) -> &Arc<str> {
        &self.user
    }

    /// The wire format this session speaks.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The event types the client subscribed to.
    #[must_use]
    pub fn subscriptions(&self) -> EventSet {
        self.subscriptions
    }

    /// Whether `message` would be delivered. Seed dialect: `welcome`, `pong` and `error`
    /// always, the rest only when subscribed. Cloudillo dialect: `action` only, with no
    /// subscription (the deployed server pushes every action of the user). Nothing after
    /// close.
    #[must_use]
    pub fn wants(&self, message: &ServerMessage) -> bool {
        self.wants_event(message.event_type())
    }

    pub(crate) fn wants_event(&self, event: Option<EventType>) -> bool {
        self.closed.is_none()
            && match self.dialect {
                Dialect::Seed => event.is_none_or(|e| self.subscriptions.contains(e)),
                Dialect::Cloudillo => event == Some(EventType::Action),
            }
    }

    /// Whether the connection is idle (no client activity for [`SessionConfig::idle_after`]).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Why the session closed, if it did.
    #[must_use]
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.closed
    }

    /// Sets when the access token expires; at that instant the session sends `E-WS-AUTH` and
    /// closes (the seed: "Token expiration checked periodically").
    pub fn set_token_expiry(&mut self, expires_at: Option<Instant>) {
        self.token_expires_at = expires_at;
    }

    /// Handles one text frame from the client.
    ///
    /// Refused frames (rate limit, size, invalid JSON, unknown type, bad fields) are not an
    /// `Err`: they get a [`SessionEvent::Rejected`], and in the seed dialect an `error` reply.
    ///
    /// # Errors
    /// Host misuse only: [`SessionError::Closed`] after close, [`SessionError::Backpressure`]
    /// when outputs were not drained (the frame is then not processed and not counted).
    pub fn handle_text(
        &mut self,
        now: Instant,
        wall: SystemTime,
        text: &str,
    ) -> Result<(), SessionError> {
        let unix = unix_seconds(wall);
        if !self.admit(now, unix)? {
            return Ok(());
        }
        let limit = self.config.max_message_bytes;
        if text.len() > limit {
            let error = DecodeError::TooLarge {
                len: text.len(),
                limit,
            };
            self.refuse(PeerError::Decode(error), unix);
            return Ok(());
        }
        match self.dialect {
            Dialect::Seed => match ClientMessage::decode(text.as_bytes()) {
                Ok(message) => self.dispatch(message, now, unix),
                Err(error) => self.refuse(PeerError::Decode(error), unix),
            },
            Dialect::Cloudillo => match Frame::decode(text.as_bytes()) {
                Ok(frame) => self.command(&frame, now),
                Err(error) => self.refuse(PeerError::Decode(error), unix),
            },
        }
        Ok(())
    }

    /// Handles one binary frame: counted against the rate limit, then refused
    /// ([`PeerError::BinaryFrame`]; answered with `E-WS-INVALID` in the seed dialect, dropped
    /// in the Cloudillo dialect, as the deployed server ignores binary frames).
    ///
    /// # Errors
    /// As [`Session::handle_text`].
    pub fn handle_binary(
        &mut self,
        now: Instant,
        wall: SystemTime,
        bytes: &[u8],
    ) -> Result<(), SessionError> {
        let unix = unix_seconds(wall);
        if self.admit(now, unix)? {
            self.refuse(PeerError::BinaryFrame { len: bytes.len() }, unix);
        }
        Ok(())
    }

    /// The peer sent a Pong (the answer to [`Outgoing::Ping`]) or any other control frame: it
    /// is alive. Runs the timers due at `now` first, then counts the frame for the silence
    /// timeout only: not against the rate limit, and not as client activity for idle
    /// detection (a browser answers Pings even in a tab nobody looks at).
    ///
    /// # Errors
    /// As [`Session::handle_text`].
    pub fn handle_pong(&mut self, now: Instant, wall: SystemTime) -> Result<(), SessionError> {
        self.handle_timeout(now, wall)?;
        if self.closed.is_none() {
            self.last_frame = self.last_frame.max(now);
        }
        Ok(())
    }

    /// The host found the access token expired (or revoked): sends `E-WS-AUTH` stamped with
    /// `wall` (seed dialect only), then closes with 4401.
    ///
    /// # Errors
    /// As [`Session::handle_text`].
    pub fn handle_token_expired(&mut self, wall: SystemTime) -> Result<(), SessionError> {
        self.check_open()?;
        self.close(CloseReason::TokenExpired, unix_seconds(wall));
        Ok(())
    }

    /// The transport ended (the WebSocket or its TCP connection, cleanly or not): the session
    /// closes with [`CloseReason::Ended`], sends nothing and reports nothing (the host knows).
    /// Pending outputs stay to be drained; they can no longer be written.
    ///
    /// # Errors
    /// [`SessionError::Closed`] when the session had already closed (a close of its own
    /// included: the host then closed the socket and needs not report it).
    pub fn handle_end(&mut self, _now: Instant) -> Result<(), SessionError> {
        if let Some(reason) = self.closed {
            return Err(SessionError::Closed(reason));
        }
        self.closed = Some(CloseReason::Ended);
        self.typing.clear();
        Ok(())
    }

    /// Runs every timer due at `now`: token expiry, silence timeout, keep-alive Ping, idle,
    /// typing expiry, coalesced presence. Messages it writes are stamped with `wall`.
    ///
    /// # Errors
    /// As [`Session::handle_text`]: when the outputs were not drained no timer runs, and the
    /// deadline of [`Session::poll_timeout`] stays in the past until the host drains and calls
    /// again.
    pub fn handle_timeout(&mut self, now: Instant, wall: SystemTime) -> Result<(), SessionError> {
        self.check_open()?;
        self.run_timers(now, unix_seconds(wall));
        Ok(())
    }

    fn run_timers(&mut self, now: Instant, unix: i64) {
        if self.token_expires_at.is_some_and(|at| at <= now) {
            self.close(CloseReason::TokenExpired, unix);
            return;
        }
        if self.silence_deadline().is_some_and(|at| at <= now) {
            self.close(CloseReason::Silent, unix);
            return;
        }
        if self.next_ping.is_some_and(|at| at <= now) {
            self.transmits.push_back(Queued::Ping);
            // From `now`, not from the missed deadline: a late call sends one Ping, not a burst.
            self.next_ping = self.config.ping_interval.and_then(|i| now.checked_add(i));
        }
        if !self.idle && self.idle_deadline().is_some_and(|at| at <= now) {
            self.idle = true;
            self.events.push_back(SessionEvent::Idle);
        }
        let events = &mut self.events;
        self.typing.retain(|t| {
            let live = t.expires_at > now;
            if !live {
                events.push_back(SessionEvent::TypingStopped(t.update.clone()));
            }
            live
        });
        if let Some(update) = self
            .presence
            .handle_timeout(self.config.presence_interval, now)
        {
            self.events.push_back(SessionEvent::Presence(update));
        }
    }

    /// Queues a server message if the session wants it ([`Session::wants`]: in the seed
    /// dialect, when the client subscribed to its event type, `welcome`, `pong` and `error`
    /// always; in the Cloudillo dialect, `action` only). Returns whether it was queued.
    ///
    /// # Errors
    /// [`SessionError::Closed`] after close, [`SessionError::Backpressure`] when outputs were
    /// not drained.
    pub fn deliver(&mut self, message: &ServerMessage) -> Result<bool, SessionError> {
        self.check_open()?;
        if !self.wants(message) {
            return Ok(false);
        }
        self.transmits.push_back(Queued::message(message.clone()));
        Ok(true)
    }

    /// Refuses a request on the host's behalf: queues a [`SessionEvent::Rejected`] and, in
    /// the seed dialect, an `error` with the error's code stamped with `wall` (the Cloudillo
    /// dialect has no error frames). Used for `E-WS-PERMISSION` decisions only the host can
    /// make.
    ///
    /// # Errors
    /// [`SessionError::Closed`] after close, [`SessionError::Backpressure`] when outputs were
    /// not drained.
    pub fn reject(&mut self, wall: SystemTime, error: PeerError) -> Result<(), SessionError> {
        self.check_open()?;
        self.refuse(error, unix_seconds(wall));
        Ok(())
    }

    /// Queues the refusal of a frame: the `error` reply (seed dialect) and the event. Nothing
    /// once closed.
    pub(crate) fn refuse(&mut self, error: PeerError, unix: i64) {
        if self.closed.is_some() {
            return;
        }
        if self.dialect == Dialect::Seed {
            let reply = ServerMessage::error(error.code(), error.to_string(), unix);
            self.transmits.push_back(Queued::message(reply));
        }
        self.events.push_back(SessionEvent::Rejected(error));
    }

    /// The next frame to write. Handing out the last one frees the queue's buffer.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        let next = self.transmits.pop_front();
        release_if_empty(&mut self.transmits);
        next.map(Queued::into_outgoing)
    }

    /// The next event for the host. Handing out the last one frees the queue's buffer.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        let next = self.events.pop_front();
        release_if_empty(&mut self.events);
        next
    }

    /// When [`Session::handle_timeout`] should next be called; `None` once closed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            return None;
        }
        let idle = if self.idle {
            None
        } else {
            self.idle_deadline()
        };
        [
            self.token_expires_at,
            self.silence_deadline(),
            self.next_ping,
            idle,
            self.typing.iter().map(|t| t.expires_at).min(),
            self.presence.poll_timeout(self.config.presence_interval),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Bytes of heap this session owns beyond `size_of::<Session>()`: its share of the id
    /// string, typing indicators and queued outputs (shared `Arc`s such as the config and the
    /// user id are not counted). An estimate from capacities, for memory reporting.
    #[must_use]
    pub fn heap_size(&self) -> usize {
        let typing: usize = self
            .typing
            .iter()
            .map(|t| t.update.recipient.capacity() + t.update.conversation_id.capacity())
            .sum();
        // An Arc<str> allocation holds two counters and the bytes.
        2 * size_of::<usize>()
            + self.id.len()
            + self.typing.capacity() * size_of::<TypingState>()
            + typing
            + self.transmits.capacity() * size_of::<Queued>()
            + self.transmits.iter().map(Queued::boxed_size).sum::<usize>()
            + self.events.capacity() * size_of::<SessionEvent>()
    }

    fn check_open(&self) -> Result<(), SessionError> {
        if let Some(reason) = self.closed {
            return Err(SessionError::Closed(reason));
        }
        let pending = self.transmits.len() + self.events.len();
        if pending >= self.config.max_pending {
            return Err(SessionError::Backpressure {
                pending,
                limit: self.config.max_pending,
            });
        }
        Ok(())
    }

    /// The common start of every frame: host checks, timers that are already due, liveness,
    /// and the rate limit. Returns whether the frame may be processed.
    fn admit(&mut self, now: Instant, unix: i64) -> Result<bool, SessionError> {
        self.check_open()?;
        self.run_timers(now, unix);
        if self.closed.is_some() {
            return Ok(false);
        }
        self.last_frame = now;
        if let Err(exhausted) = self.bucket.try_take(&self.config.rate, now) {
            let error = PeerError::RateLimited {
                per_minute: self.config.rate.per_minute,
                burst: self.config.rate.burst,
                retry_after: exhausted.retry_after,
            };
            self.refuse(error, unix);
            return Ok(false);
        }
        Ok(true)
    }

    /// Client activity (any message but a keep-alive `ping`): ends idleness.
    fn touch(&mut self, now: Instant) {
        self.last_activity = now;
        if self.idle {
            self.idle = false;
            self.events.push_back(SessionEvent::Active);
        }
    }

    /// A Cloudillo frame: `ack` with its id, `pong` for `ping` and `ok` for any other command,
    /// which the deployed server otherwise ignores (and so does this session).
    fn command(&mut self, frame: &Frame, now: Instant) {
        if frame.cmd != Command::Ping {
            self.touch(now);
        }
        self.transmits
            .push_back(Queued::Frame(Box::new(frame.ack())));
    }

    fn dispatch(&mut self, message: ClientMessage, now: Instant, unix: i64) {
        if message != ClientMessage::Ping {
            self.touch(now);
        }
        match message {
            ClientMessage::Ping => {
                let pong = ServerMessage::Pong(crate::message::Pong { timestamp: unix });
                self.transmits.push_back(Queued::message(pong));
            }
            ClientMessage::Subscribe(s) => {
                s.events.iter().for_each(|e| self.subscriptions.insert(*e));
                self.events
                    .push_back(SessionEvent::SubscriptionsChanged(self.subscriptions));
            }
            ClientMessage::Unsubscribe(s) => {
                s.events.iter().for_each(|e| self.subscriptions.remove(*e));
                self.events
                    .push_back(SessionEvent::SubscriptionsChanged(self.subscriptions));
            }
            ClientMessage::Presence(update) => {
                if let Some(update) =
                    self.presence
                        .offer(update, self.config.presence_interval, now)
                {
                    self.events.push_back(SessionEvent::Presence(update));
                }
            }
            ClientMessage::Typing(update) => self.typing(update, now, unix),
            ClientMessage::RegisterPush(registration) => {
                self.events
                    .push_back(SessionEvent::RegisterPush(registration));
            }
            ClientMessage::Replay(request) => self.events.push_back(SessionEvent::Replay(request)),
        }
    }

    fn typing(&mut self, update: TypingUpdate, now: Instant, unix: i64) {
        let expires_at = now.checked_add(self.config.typing_expiry).unwrap_or(now);
        if let Some(state) = self.typing.iter_mut().find(|t| t.update == update) {
            state.expires_at = expires_at;
            if now.saturating_duration_since(state.forwarded_at) >= self.config.typing_interval {
                state.forwarded_at = now;
                self.events.push_back(SessionEvent::Typing(update));
            }
            return;
        }
        if self.typing.len() >= self.config.max_typing {
            self.refuse(
                PeerError::TooManyTyping {
                    limit: self.config.max_typing,
                },
                unix,
            );
            return;
        }
        self.typing.push(TypingState {
            update: update.clone(),
            expires_at,
            forwarded_at: now,
        });
        self.events.push_back(SessionEvent::Typing(update));
    }

    fn close(&mut self, reason: CloseReason, unix: i64) {
        if self.closed.is_some() {
            return;
        }
        if reason == CloseReason::TokenExpired && self.dialect == Dialect::Seed {
            let error = ServerMessage::error(ErrorCode::Auth, "access token expired", unix);
            self.transmits.push_back(Queued::message(error));
        }
        self.transmits.push_back(Queued::Close(reason));
        self.events.push_back(SessionEvent::Closed(reason));
        self.closed = Some(reason);
        self.typing.clear();
    }

    fn silence_deadline(&self) -> Option<Instant> {
        self.config
            .silence_timeout
            .and_then(|t| self.last_frame.checked_add(t))
    }

    fn idle_deadline(&self) -> Option<Instant> {
        self.last_activity.checked_add(self.config.idle_after)
    }
}

/// Frees a drained queue's buffer: an idle session holds no spare capacity.
fn release_if_empty<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > 0 {
        *queue = VecDeque::new();
    }
}
