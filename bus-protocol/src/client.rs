//! The browser/app side of the Bus as a machine.
//!
//! The [`Client`] tells its host when to open a connection (with which token), what to send,
//! and when to close; the host reports the socket's open/close and hands in text frames. The
//! machine does what the seed asks of a client: subscribe again after every `welcome`, ping
//! every 30 s, reconnect with exponential backoff (1 s → 60 s, each delay drawn from the upper
//! half of the ceiling with the seed given to [`Client::new`]), refresh the token when it expired or the server said `E-WS-AUTH`, ask
//! for a replay of events newer than the last one seen, and clear remote typing indicators
//! after 5 s without an update.
//!
//! ```text
//!             start(token)                 welcome
//!  Stopped ─────────────────► Connecting ───────────► Open ──ping every 30 s──┐
//!                               ▲   │ closed/timeout     │ closed/pong timeout │
//!            backoff elapsed    │   ▼                    ▼                     │
//!                             Waiting ◄──────────────────┘◄────────────────────┘
//!                               │ token expired / E-WS-AUTH
//!                               ▼
//!                           NeedToken ──set_token──► Connecting
//! ```
//!
//! Every state but `Stopped` is open. A stopped client (from [`Client::new`] until
//! [`Client::start`], and after [`Client::stop`]) is closed: every `handle_*` returns
//! [`ClientError::Closed`].

use std::collections::VecDeque;
use web_time::{Duration, Instant};

use crate::backoff::{Backoff, BackoffConfig};
use crate::close::{CloseCode, CloseFrame};
use crate::message::{
    ClientMessage, DecodeError, ErrorCode, EventSet, EventType, ReplayRequest, ServerMessage,
    Subscription,
};

#[cfg(feature = "tokio-tungstenite")]
mod websocket;
#[cfg(feature = "tokio-tungstenite")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-tungstenite")))]
pub use websocket::{COMMAND_QUEUE, ClientHandle, DriverEvent, HandleError, WebSocketClient};

/// Timers and limits of a client. `Default` gives the seed's values where it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Send `ping` this often while open (default 30 s).
    pub ping_interval: Duration,
    /// Close and reconnect when no frame arrives this long after a `ping` (default 10 s).
    pub pong_timeout: Duration,
    /// Close and reconnect when `welcome` has not arrived this long after asking the host to
    /// connect (default 10 s).
    pub welcome_timeout: Duration,
    /// The reconnect schedule (default 1 s → 60 s).
    pub backoff: BackoffConfig,
    /// Clear a remote typing indicator after this long without an update (default 5 s).
    pub typing_expiry: Duration,
    /// Remote typing indicators tracked at once (default 64); the oldest is cleared first.
    pub max_typing: usize,
    /// Largest accepted server frame in bytes (default 1 MiB).
    pub max_message_bytes: usize,
    /// The bound of the client's queues: while undrained transmits plus events number this
    /// many, every `handle_*` call but [`Client::handle_open`] (which queues nothing),
    /// [`Client::start`], [`Client::subscribe`],
    /// [`Client::unsubscribe`] and [`Client::send`] return [`ClientError::Backpressure`]
    /// without taking their input (default 256). One accepted call adds at most
    /// [`ClientConfig::max_typing`] + 4 outputs, and [`Client::stop`] (never refused) as many
    /// once, so together the queues never hold more than `max_pending + 2 · max_typing + 8`.
    pub max_pending: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(10),
            welcome_timeout: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
            typing_expiry: Duration::from_secs(5),
            max_typing: 64,
            max_message_bytes: 1024 * 1024,
            max_pending: 256,
        }
    }
}

/// What the host should do with the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientTransmit {
    /// Open a connection to the Bus endpoint with this access token (`/ws/bus?token=…`).
    Connect {
        /// The access token.
        token: String,
    },
    /// Send this message as a text frame.
    Send(ClientMessage),
    /// Close the socket with this Close frame: [`CloseCode::NORMAL`] after [`Client::stop`],
    /// [`CloseCode::TIMEOUT`] when `welcome` or any frame after a `ping` did not come in
    /// time. The client already counts the connection as gone: reporting its end with
    /// [`Client::handle_end`] is not needed (and harmless while the client is not stopped).
    Close(CloseFrame),
}

/// What happened, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// `welcome` arrived: the connection is usable.
    Connected {
        /// The server's session id.
        session_id: String,
        /// The authenticated user.
        user: String,
    },
    /// Any other server message (including `pong` and `error`).
    Message(ServerMessage),
    /// A remote user started typing (a `typing` for a new user/conversation pair).
    TypingStarted {
        /// Who.
        user: String,
        /// Where.
        conversation_id: String,
    },
    /// A remote typing indicator expired, or was dropped on disconnect.
    TypingCleared {
        /// Who.
        user: String,
        /// Where.
        conversation_id: String,
    },
    /// The access token expired or was refused: call [`Client::set_token`] with a fresh one.
    TokenRefreshNeeded,
    /// The connection is gone. `reconnect_in` is the backoff delay, `None` when waiting for a
    /// token or stopped.
    Disconnected {
        /// The delay before the next attempt.
        reconnect_in: Option<Duration>,
    },
    /// A server frame could not be decoded (it is skipped; the connection stays up).
    Undecodable(DecodeError),
}

/// Misuse of a client by its host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The client is stopped (never started, or stopped since): it drives no connection, and
    /// every `handle_*` returns this until [`Client::start`].
    #[error("the client is stopped: start it before handing it input")]
    Closed,
    /// Messages can only be sent while open (no unbounded offline buffer); subscriptions are
    /// kept and sent on the next `welcome`.
    #[error("not connected: the message was not sent")]
    NotConnected,
    /// Outputs were not drained.
    #[error(
        "{pending} undrained outputs (ClientConfig::max_pending = {limit}); drain poll_transmit and poll_event"
    )]
    Backpressure {
        /// Outputs waiting.
        pending: usize,
        /// The configured limit.
        limit: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Stopped,
    NeedToken,
    Waiting {
        until: Instant,
    },
    Connecting {
        deadline: Instant,
    },
    Open {
        next_ping: Instant,
        pong_deadline: Option<Instant>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RemoteTyping {
    user: String,
    conversation_id: String,
    expires_at: Instant,
}

/// The client machine.
///
/// Drain order after every call: [`Client::poll_transmit`] until `None`, then
/// [`Client::poll_event`] until `None`, then re-arm the timer with [`Client::poll_timeout`].
/// Every input takes `now` first; time must not go backwards between calls.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: State,
    token: Option<String>,
    token_expires_at: Option<Instant>,
    backoff: Backoff,
    subscriptions: EventSet,
    last_seen: Option<i64>,
    typing: Vec<RemoteTyping>,
    transmits: VecDeque<ClientTransmit>,
    events: VecDeque<ClientEvent>,
}

impl Client {
    /// A stopped client; [`Client::start`] connects. `seed` drives the reconnect jitter: give
    /// every client its own (from the host's entropy), so that clients dropped together do not
    /// come back together.
    #[must_use]
    pub fn new(config: ClientConfig, seed: u64) -> Self {
        Client {
            config,
            state: State::Stopped,
            token: None,
            token_expires_at: None,
            backoff: Backoff::new(seed),
            subscriptions: EventSet::EMPTY,
            last_seen: None,
            typing: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Starts connecting with `token`; when already started, only replaces the token.
    ///
    /// # Errors
    /// [`ClientError::Backpressure`]; nothing changes then.
    pub fn start(&mut self, now: Instant, token: impl Into<String>) -> Result<(), ClientError> {
        self.check_pending()?;
        self.token = Some(token.into());
        if self.state == State::Stopped {
            self.connect(now);
        }
        Ok(())
    }

    /// Stops: closes an open socket and never reconnects until [`Client::start`]. The client
    /// is closed from now on. Never refused; a no-op when already stopped.
    pub fn stop(&mut self) {
        if matches!(self.state, State::Connecting { .. } | State::Open { .. }) {
            let frame = CloseFrame::new(CloseCode::NORMAL, "client stopped");
            self.transmits.push_back(ClientTransmit::Close(frame));
        }
        self.state = State::Stopped;
        self.clear_typing();
    }

    /// The configuration the client was made with.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether the client is stopped (closed).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == State::Stopped
    }

    /// The token refresh hook: a fresh token, and when it expires (`None`: unknown). When the
    /// client was waiting for one it connects at once.
    pub fn set_token(
        &mut self,
        now: Instant,
        token: impl Into<String>,
        expires_at: Option<Instant>,
    ) {
        self.token = Some(token.into());
        self.token_expires_at = expires_at;
        if self.state == State::NeedToken {
            self.connect(now);
        }
    }

    /// Whether `welcome` arrived on the current connection.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// The event types sent in `subscribe` after every `welcome`.
    #[must_use]
    pub fn subscriptions(&self) -> EventSet {
        self.subscriptions
    }

    /// The newest event timestamp seen (the `since` of the next `replay`).
    #[must_use]
    pub fn last_seen(&self) -> Option<i64> {
        self.last_seen
    }

    /// Reconnect attempts since the last `welcome`.
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.backoff.attempt()
    }

    /// Adds event types to the subscription (sent now when open, else after `welcome`).
    ///
    /// # Errors
    /// [`ClientError::Backpressure`].
    pub fn subscribe(&mut self, events: &[EventType]) -> Result<(), ClientError> {
        self.check_pending()?;
        events.iter().for_each(|e| self.subscriptions.insert(*e));
        if self.is_open() {
            let s = Subscription {
                events: events.to_vec(),
            };
            self.transmits
                .push_back(ClientTransmit::Send(ClientMessage::Subscribe(s)));
        }
        Ok(())
    }

    /// Removes event types from the subscription (sent now when open).
    ///
    /// # Errors
    /// [`ClientError::Backpressure`].
    pub fn unsubscribe(&mut self, events: &[EventType]) -> Result<(), ClientError> {
        self.check_pending()?;
        events.iter().for_each(|e| self.subscriptions.remove(*e));
        if self.is_open() {
            let s = Subscription {
                events: events.to_vec(),
            };
            self.transmits
                .push_back(ClientTransmit::Send(ClientMessage::Unsubscribe(s)));
        }
        Ok(())
    }

    /// Sends a message (presence, typing, push registration, ...). `subscribe`/`unsubscribe`
    /// sent this way also update the kept subscription.
    ///
    /// # Errors
    /// [`ClientError::NotConnected`] unless open; [`ClientError::Backpressure`].
    pub fn send(&mut self, message: ClientMessage) -> Result<(), ClientError> {
        self.check_pending()?;
        if !self.is_open() {
            return Err(ClientError::NotConnected);
        }
        match &message {
            ClientMessage::Subscribe(s) => {
                s.events.iter().for_each(|e| self.subscriptions.insert(*e))
            }
            ClientMessage::Unsubscribe(s) => {
                s.events.iter().for_each(|e| self.subscriptions.remove(*e))
            }
            _ => {}
        }
        self.transmits.push_back(ClientTransmit::Send(message));
        Ok(())
    }

    /// The socket opened (the WebSocket handshake succeeded). The client now waits for
    /// `welcome`; nothing else changes.
    ///
    /// # Errors
    /// [`ClientError::Closed`] when stopped.
    pub fn handle_open(&mut self, _now: Instant) -> Result<(), ClientError> {
        self.check_open()
    }

    /// A text frame from the server. A frame that does not decode is reported
    /// ([`ClientEvent::Undecodable`]) and skipped; the connection stays up.
    ///
    /// # Errors
    /// [`ClientError::Closed`] when stopped, [`ClientError::Backpressure`] when the outputs
    /// were not drained (the frame is then not taken).
    pub fn handle_text(&mut self, now: Instant, text: &str) -> Result<(), ClientError> {
        self.check_open()?;
        self.check_pending()?;
        let decoded = if text.len() > self.config.max_message_bytes {
            Err(DecodeError::TooLarge {
                len: text.len(),
                limit: self.config.max_message_bytes,
            })
        } else {
            ServerMessage::decode(text.as_bytes())
        };
        if let State::Open { next_ping, .. } = self.state {
            // Any frame proves the connection alive.
            self.state = State::Open {
                next_ping,
                pong_deadline: None,
            };
        }
        let message = match decoded {
            Ok(message) => message,
            Err(error) => {
                self.events.push_back(ClientEvent::Undecodable(error));
                return Ok(());
            }
        };
        match message {
            ServerMessage::Welcome(welcome) => self.welcome(welcome.session_id, welcome.user, now),
            message => {
                if message.event_type().is_some() {
                    self.last_seen = Some(
                        self.last_seen
                            .map_or(message.timestamp(), |t| t.max(message.timestamp())),
                    );
                }
                match &message {
                    ServerMessage::Typing(t) => {
                        self.remote_typing(&t.user, &t.conversation_id, now)
                    }
                    ServerMessage::Error(e) if e.code == ErrorCode::Auth => {
                        // The server closes next; reconnecting needs a fresh token.
                        self.token = None;
                    }
                    _ => {}
                }
                self.events.push_back(ClientEvent::Message(message));
            }
        }
        Ok(())
    }

    /// The transport ended: the socket closed, or failed to open. Schedules the reconnect; a
    /// no-op when the client counts no connection as live (it gave one up itself, or is
    /// waiting to reconnect).
    ///
    /// # Errors
    /// As [`Client::handle_text`].
    pub fn handle_end(&mut self, now: Instant) -> Result<(), ClientError> {
        self.check_open()?;
        self.check_pending()?;
        if matches!(self.state, State::Connecting { .. } | State::Open { .. }) {
            self.lost(now);
        }
        Ok(())
    }

    /// Runs the timers due at `now`: reconnect, welcome timeout, ping, pong timeout, typing
    /// expiry.
    ///
    /// # Errors
    /// As [`Client::handle_text`]: when the outputs were not drained no timer runs, and the
    /// deadline of [`Client::poll_timeout`] stays in the past until the host drains and calls
    /// again.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ClientError> {
        self.check_open()?;
        self.check_pending()?;
        match self.state {
            State::Waiting { until } if until <= now => self.connect(now),
            State::Connecting { deadline } if deadline <= now => {
                self.give_up(now, "no welcome within the welcome timeout");
            }
            State::Open {
                pong_deadline: Some(deadline),
                ..
            } if deadline <= now => {
                self.give_up(now, "no frame within the pong timeout of a ping");
            }
            State::Open {
                next_ping,
                pong_deadline,
            } if next_ping <= now => {
                self.transmits
                    .push_back(ClientTransmit::Send(ClientMessage::Ping));
                self.state = State::Open {
                    next_ping: later(now, self.config.ping_interval),
                    pong_deadline: pong_deadline.or(Some(later(now, self.config.pong_timeout))),
                };
            }
            _ => {}
        }
        let events = &mut self.events;
        self.typing.retain(|t| {
            let live = t.expires_at > now;
            if !live {
                events.push_back(ClientEvent::TypingCleared {
                    user: t.user.clone(),
                    conversation_id: t.conversation_id.clone(),
                });
            }
            live
        });
        Ok(())
    }

    /// The next thing for the host to do with the socket.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<ClientTransmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`Client::handle_timeout`] should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let state = match self.state {
            State::Stopped | State::NeedToken => None,
            State::Waiting { until } => Some(until),
            State::Connecting { deadline } => Some(deadline),
            State::Open {
                next_ping,
                pong_deadline,
            } => Some(pong_deadline.map_or(next_ping, |d| d.min(next_ping))),
        };
        state
            .into_iter()
            .chain(self.typing.iter().map(|t| t.expires_at))
            .min()
    }

    fn check_open(&self) -> Result<(), ClientError> {
        if self.state == State::Stopped {
            return Err(ClientError::Closed);
        }
        Ok(())
    }

    fn check_pending(&self) -> Result<(), ClientError> {
        let pending = self.transmits.len() + self.events.len();
        if pending >= self.config.max_pending {
            return Err(ClientError::Backpressure {
                pending,
                limit: self.config.max_pending,
            });
        }
        Ok(())
    }

    fn connect(&mut self, now: Instant) {
        let expired = self.token_expires_at.is_some_and(|at| at <= now);
        match self.token.clone() {
            Some(token) if !expired => {
                self.transmits.push_back(ClientTransmit::Connect { token });
                self.state = State::Connecting {
                    deadline: later(now, self.config.welcome_timeout),
                };
            }
            _ => {
                self.token = None;
                self.state = State::NeedToken;
                self.events.push_back(ClientEvent::TokenRefreshNeeded);
            }
        }
    }

    fn welcome(&mut self, session_id: String, user: String, now: Instant) {
        if !matches!(self.state, State::Connecting { .. }) {
            return;
        }
        self.backoff.reset();
        self.state = State::Open {
            next_ping: later(now, self.config.ping_interval),
            pong_deadline: None,
        };
        self.events
            .push_back(ClientEvent::Connected { session_id, user });
        if !self.subscriptions.is_empty() {
            let s = Subscription {
                events: self.subscriptions.iter().collect(),
            };
            self.transmits
                .push_back(ClientTransmit::Send(ClientMessage::Subscribe(s)));
        }
        if let Some(since) = self.last_seen {
            let replay = ClientMessage::Replay(ReplayRequest { since });
            self.transmits.push_back(ClientTransmit::Send(replay));
        }
    }

    /// Closes a connection that did not answer in time, and schedules the reconnect.
    fn give_up(&mut self, now: Instant, why: &str) {
        let frame = CloseFrame::new(CloseCode::TIMEOUT, why);
        self.transmits.push_back(ClientTransmit::Close(frame));
        self.lost(now);
    }

    fn lost(&mut self, now: Instant) {
        self.clear_typing();
        if self.token.is_none() {
            self.state = State::NeedToken;
            self.events
                .push_back(ClientEvent::Disconnected { reconnect_in: None });
            self.events.push_back(ClientEvent::TokenRefreshNeeded);
            return;
        }
        let delay = self.backoff.next_delay(&self.config.backoff);
        self.state = State::Waiting {
            until: later(now, delay),
        };
        self.events.push_back(ClientEvent::Disconnected {
            reconnect_in: Some(delay),
        });
    }

    fn remote_typing(&mut self, user: &str, conversation_id: &str, now: Instant) {
        let expires_at = later(now, self.config.typing_expiry);
        if let Some(t) = self
            .typing
            .iter_mut()
            .find(|t| t.user == user && t.conversation_id == conversation_id)
        {
            t.expires_at = expires_at;
            return;
        }
        if self.typing.len() >= self.config.max_typing.max(1) {
            let oldest = self.typing.remove(0);
            self.events.push_back(ClientEvent::TypingCleared {
                user: oldest.user,
                conversation_id: oldest.conversation_id,
            });
        }
        self.typing.push(RemoteTyping {
            user: user.to_owned(),
            conversation_id: conversation_id.to_owned(),
            expires_at,
        });
        self.events.push_back(ClientEvent::TypingStarted {
            user: user.to_owned(),
            conversation_id: conversation_id.to_owned(),
        });
    }

    fn clear_typing(&mut self) {
        for t in self.typing.drain(..) {
            self.events.push_back(ClientEvent::TypingCleared {
                user: t.user,
                conversation_id: t.conversation_id,
            });
        }
    }
}

/// `now + by`, with `by` capped at a century: a configured timeout too large for an `Instant`
/// means "practically never", not a panic.
fn later(now: Instant, by: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
    now.checked_add(by.min(CENTURY)).unwrap_or(now)
}
