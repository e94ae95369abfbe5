//! The server side of one Bus connection.
//!
//! A [`Session`] is created after the host has validated the access token (the seed: "Token
//! validated on initial connection"), so it starts authenticated with the user id the host
//! found. It queues `welcome` at once, then takes the client's text frames and answers them:
//! `pong` for `ping`, `E-WS-RATE` when the per-connection token bucket is empty,
//! `E-WS-INVALID` for anything that is not a valid client message (unknown types included).
//! Requests the host has to act on (presence, typing, push registration, replay) come out as
//! [`SessionEvent`]s. Timers: presence coalescing, typing expiry, idle detection, the silence
//! timeout and token expiry, all driven by [`Session::handle_timeout`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::message::{
    ClientMessage, DecodeError, ErrorCode, EventSet, EventType, PresenceUpdate, PushRegistration,
    ReplayRequest, ServerMessage, TypingUpdate, Welcome,
};
use crate::throttle::Throttle;
use crate::token_bucket::{RateLimit, TokenBucket};

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
    /// Close the connection when no frame at all (not even `ping`) arrived for this long
    /// (default 90 s, three missed 30 s pings); `None` disables it.
    pub silence_timeout: Option<Duration>,
    /// Undrained transmits plus events before input is refused with
    /// [`SessionError::Backpressure`] (default 64).
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
            max_pending: 64,
        }
    }
}

/// Why the server closes a connection. The close codes are in the private 4000–4999 range, in
/// the style of the deployed Cloudillo server (which uses 4401 for a missing token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The host reported the access token expired (or the expiry instant passed).
    TokenExpired,
    /// No frame arrived within [`SessionConfig::silence_timeout`].
    Silent,
}

impl CloseReason {
    /// The WebSocket close code: 4401 for `TokenExpired`, 4408 for `Silent`.
    #[must_use]
    pub fn code(&self) -> u16 {
        match self {
            CloseReason::TokenExpired => 4401,
            CloseReason::Silent => 4408,
        }
    }

    /// The close reason text.
    #[must_use]
    pub fn text(&self) -> &'static str {
        match self {
            CloseReason::TokenExpired => "access token expired",
            CloseReason::Silent => "no frame received within the silence timeout",
        }
    }
}

/// Something to write to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A text frame with this message.
    Message(ServerMessage),
    /// A close frame; the host closes the socket after sending it.
    Close(CloseReason),
}

/// A client frame the session refused. The matching `error` reply is already queued.
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
    /// The session is closed; the host should have closed the socket.
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
    /// A client frame was refused; the `error` reply is queued.
    Rejected(PeerError),
    /// The session closed itself; the close frame is queued.
    Closed(CloseReason),
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
#[derive(Debug)]
pub struct Session {
    config: Arc<SessionConfig>,
    id: Arc<str>,
    user: Arc<str>,
    bucket: TokenBucket,
    last_frame: Instant,
    last_activity: Instant,
    token_expires_at: Option<Instant>,
    presence: Throttle<PresenceUpdate>,
    typing: Vec<TypingState>,
    transmits: VecDeque<Outgoing>,
    events: VecDeque<SessionEvent>,
    subscriptions: EventSet,
    idle: bool,
    closed: Option<CloseReason>,
}

impl Session {
    /// Creates the session of an authenticated connection and queues `welcome` with `id`
    /// and `user`. `unix` is the wall clock in unix seconds for the message timestamp.
    #[must_use]
    pub fn new(
        config: Arc<SessionConfig>,
        id: impl Into<Arc<str>>,
        user: impl Into<Arc<str>>,
        now: Instant,
        unix: i64,
    ) -> Self {
        let id = id.into();
        let user = user.into();
        let welcome = ServerMessage::Welcome(Welcome {
            session_id: id.to_string(),
            user: user.to_string(),
            timestamp: unix,
        });
        Session {
            config,
            id,
            user,
            bucket: TokenBucket::new(now),
            last_frame: now,
            last_activity: now,
            token_expires_at: None,
            presence: Throttle::new(),
            typing: Vec::new(),
            transmits: VecDeque::from([Outgoing::Message(welcome)]),
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

    /// Whether `message` would be delivered: `welcome`, `pong` and `error` always, the rest
    /// only when subscribed, and nothing after close.
    #[must_use]
    pub fn wants(&self, message: &ServerMessage) -> bool {
        self.wants_event(message.event_type())
    }

    pub(crate) fn wants_event(&self, event: Option<EventType>) -> bool {
        self.closed.is_none() && event.is_none_or(|e| self.subscriptions.contains(e))
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
    /// `Err`: they get an `error` reply and a [`SessionEvent::Rejected`].
    ///
    /// # Errors
    /// Host misuse only: [`SessionError::Closed`] after close, [`SessionError::Backpressure`]
    /// when outputs were not drained (the frame is then not processed and not counted).
    pub fn handle_text(&mut self, text: &str, now: Instant, unix: i64) -> Result<(), SessionError> {
        if !self.admit(now, unix)? {
            return Ok(());
        }
        let limit = self.config.max_message_bytes;
        let decoded = if text.len() > limit {
            Err(DecodeError::TooLarge {
                len: text.len(),
                limit,
            })
        } else {
            ClientMessage::decode(text.as_bytes())
        };
        match decoded {
            Ok(message) => self.dispatch(message, now, unix),
            Err(error) => self.reject(PeerError::Decode(error), unix),
        }
        Ok(())
    }

    /// Handles one binary frame: counted against the rate limit, then answered with
    /// `E-WS-INVALID`.
    ///
    /// # Errors
    /// As [`Session::handle_text`].
    pub fn handle_binary(
        &mut self,
        bytes: &[u8],
        now: Instant,
        unix: i64,
    ) -> Result<(), SessionError> {
        if self.admit(now, unix)? {
            self.reject(PeerError::BinaryFrame { len: bytes.len() }, unix);
        }
        Ok(())
    }

    /// The host found the access token expired (or revoked): sends `E-WS-AUTH`, then closes.
    /// A no-op on a closed session.
    pub fn handle_token_expired(&mut self, unix: i64) {
        self.close(CloseReason::TokenExpired, unix);
    }

    /// Runs every timer due at `now`: token expiry, silence timeout, idle, typing expiry,
    /// coalesced presence.
    pub fn handle_timeout(&mut self, now: Instant, unix: i64) {
        if self.closed.is_some() {
            return;
        }
        if self.token_expires_at.is_some_and(|at| at <= now) {
            self.close(CloseReason::TokenExpired, unix);
            return;
        }
        if self.silence_deadline().is_some_and(|at| at <= now) {
            self.close(CloseReason::Silent, unix);
            return;
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

    /// Queues a server message if the client subscribed to its event type (`welcome`, `pong`
    /// and `error` always pass). Returns whether it was queued.
    ///
    /// # Errors
    /// [`SessionError::Closed`] after close, [`SessionError::Backpressure`] when outputs were
    /// not drained.
    pub fn deliver(&mut self, message: &ServerMessage) -> Result<bool, SessionError> {
        self.check_open()?;
        if !self.wants(message) {
            return Ok(false);
        }
        self.transmits.push_back(Outgoing::Message(message.clone()));
        Ok(true)
    }

    /// Refuses a request on the host's behalf: queues an `error` with the error's code and a
    /// [`SessionEvent::Rejected`]. Used for `E-WS-PERMISSION` decisions only the host can make.
    pub fn reject(&mut self, error: PeerError, unix: i64) {
        if self.closed.is_some() {
            return;
        }
        let reply = ServerMessage::error(error.code(), error.to_string(), unix);
        self.transmits.push_back(Outgoing::Message(reply));
        self.events.push_back(SessionEvent::Rejected(error));
    }

    /// The next frame to write. Handing out the last one frees the queue's buffer.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        let next = self.transmits.pop_front();
        release_if_empty(&mut self.transmits);
        next
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
            + self.transmits.capacity() * size_of::<Outgoing>()
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
        self.handle_timeout(now, unix);
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
            self.reject(error, unix);
            return Ok(false);
        }
        Ok(true)
    }

    fn dispatch(&mut self, message: ClientMessage, now: Instant, unix: i64) {
        if message != ClientMessage::Ping {
            self.last_activity = now;
            if self.idle {
                self.idle = false;
                self.events.push_back(SessionEvent::Active);
            }
        }
        match message {
            ClientMessage::Ping => {
                let pong = ServerMessage::Pong(crate::message::Pong { timestamp: unix });
                self.transmits.push_back(Outgoing::Message(pong));
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
            self.reject(
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
        if reason == CloseReason::TokenExpired {
            let error = ServerMessage::error(ErrorCode::Auth, "access token expired", unix);
            self.transmits.push_back(Outgoing::Message(error));
        }
        self.transmits.push_back(Outgoing::Close(reason));
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
