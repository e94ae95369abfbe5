//! The routing core for many sessions.
//!
//! A [`Hub`] owns every [`Session`] of a server, indexed by tenant and by user, enforces the
//! connection caps (10,000 per server, 5 per user by default), computes each user's presence
//! from their sessions and broadcasts it (throttled to one per second per user) to the watchers
//! a caller-supplied [`Relations`] names, routes typing indicators, and fans actions out to the
//! audience the seed prescribes ([`action_audience`]). Every outgoing message is encoded once
//! per [`Dialect`]: a fan-out is one [`Transmit`] holding the shared bytes and the list of
//! recipients, or two when seed and Cloudillo sessions are among them.
//!
//! Sessions of both dialects live side by side ([`Hub::connect_with_dialect`]). A Cloudillo
//! session gets the same actions a seed session of the same user subscribed to `action` gets
//! (the audience rules do not depend on the dialect), as `ACTION` frames whose ids come from
//! a per-hub counter; it gets no presence, typing, `message` or `notification`, and counts for
//! its user's presence like any session.
//!
//! ```text
//!  socket text ──handle_text(key)──►┌──────── Hub ─────────┐──poll_transmit──► Transmit
//!  socket ended ──handle_end(key)──►│ sessions (slab)      │                   {recipients, bytes}
//!  upgrade ok ─────connect()──────► │ user → sessions      │──poll_event─────► HubEvent
//!  action stored ──publish_action()►│ tenant → sessions    │                   (push tokens, replay,
//!  timer ──────────handle_timeout()►│ presence per user    │                    rejections, closes)
//!                                   └──────────────────────┘──poll_timeout───► next deadline
//! ```
//!
//! Every input takes `now` first and the wall clock (`SystemTime`, the timestamp of the
//! messages it writes) right after it, then the session it is about. A session that closed
//! (by itself, [`SessionEvent::Closed`], or by [`Hub::handle_end`]) is gone from the hub: every
//! call with its key returns [`HubError::Closed`]. The hub itself never closes.

mod audience;
mod index;
mod relations;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::mem;
use std::sync::Arc;
use web_time::{Duration, Instant, SystemTime};

use index::{Clock, Entry, NEVER, Slab, Tenants, UserEntry, nanos};

use bytes::Bytes;

pub use audience::{ActionRoute, Audience, AudienceError, action_audience};
pub use relations::{NoRelations, Relations};

use crate::close::CloseFrame;
use crate::cloudillo::Frame;
use crate::message::{
    ActionNotice, EventType, PresenceNotice, PresenceStatus, PresenceUpdate, ServerMessage,
    TypingNotice, TypingUpdate,
};
use crate::session::{
    Dialect, Outgoing, PeerError, Session, SessionConfig, SessionError, SessionEvent,
};
use crate::wall_clock::unix_seconds;

/// Limits of a hub. `Default` gives the seed's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// Concurrent connections per hub (the seed's `MAX_WS_CONNECTIONS`, default 10,000).
    pub max_connections: usize,
    /// Concurrent connections per user (the seed's `MAX_WS_CONNECTIONS_PER_USER`, default 5).
    pub max_connections_per_user: usize,
    /// Presence broadcasts per user: at most one per this interval (default 1 s); changes
    /// inside it are coalesced, the latest wins.
    pub presence_interval: Duration,
    /// The bound of the transmit queue: while this many [`Transmit`]s are undrained, every
    /// input and command (`connect`, `handle_*`, `publish`) returns
    /// [`HubError::Backpressure`] without taking its input (default 4,096; one fan-out is one
    /// transmit). One accepted call may add more than one: a `handle_timeout` adds a few for
    /// every session whose timer is due, any other call a few for the one session it is about
    /// plus one fan-out per presence or typing change it causes.
    pub max_queued_transmits: usize,
    /// The bound of the event queue, with the same behaviour as `max_queued_transmits`
    /// (default 4,096).
    pub max_queued_events: usize,
    /// The configuration of every session.
    pub session: SessionConfig,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            max_connections: 10_000,
            max_connections_per_user: 5,
            presence_interval: Duration::from_secs(1),
            max_queued_transmits: 4_096,
            max_queued_events: 4_096,
            session: SessionConfig::default(),
        }
    }
}

/// A handle to a session in a hub. Stale handles (of a closed session whose slot was reused)
/// are detected by a generation counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    index: u32,
    generation: u32,
}

/// A connection was refused. The host answers the upgrade with an error (or closes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The hub refused the call ([`HubError::Backpressure`]: drain, then connect again).
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The hub is at [`HubConfig::max_connections`].
    #[error("server is at its connection limit (HubConfig::max_connections = {limit})")]
    ServerFull {
        /// The configured limit.
        limit: usize,
    },
    /// The user is at [`HubConfig::max_connections_per_user`].
    #[error(
        "user `{user}` is at the per-user connection limit (HubConfig::max_connections_per_user = {limit})"
    )]
    UserFull {
        /// The user.
        user: String,
        /// The configured limit.
        limit: usize,
    },
}

/// Misuse of a hub by its host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The session is closed: it closed itself ([`SessionEvent::Closed`]) or the host
    /// reported its end ([`Hub::handle_end`]), and it is gone from the hub. (Keys are made
    /// only by `connect`; one of another hub lands here too.)
    #[error("the session {0:?} is closed")]
    Closed(SessionKey),
    /// The session refused the call.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// [`Hub::poll_transmit`] or [`Hub::poll_event`] was not drained: a queue is at its bound
    /// ([`HubConfig::max_queued_transmits`], [`HubConfig::max_queued_events`]). The input was
    /// not taken; drain, then call again.
    #[error(
        "{pending} undrained outputs at the bound of {limit} (HubConfig::max_queued_transmits, max_queued_events); drain poll_transmit and poll_event"
    )]
    Backpressure {
        /// Outputs waiting in the full queue.
        pending: usize,
        /// Its configured bound.
        limit: usize,
    },
}

/// The sessions a [`Transmit`] goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// A reply or close for one session.
    One(SessionKey),
    /// A fan-out.
    Many(Vec<SessionKey>),
}

impl Recipients {
    /// The recipients as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[SessionKey] {
        match self {
            Recipients::One(key) => std::slice::from_ref(key),
            Recipients::Many(keys) => keys,
        }
    }
}

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// A text frame; the bytes are UTF-8 JSON, shared by every recipient (clone is cheap).
    Text(Bytes),
    /// A WebSocket Ping control frame with an empty payload (the keep-alive,
    /// [`SessionConfig::ping_interval`]); report the Pong with [`Hub::handle_pong`].
    Ping,
    /// A close frame ([`crate::session::CloseReason::frame`]); the session is already gone
    /// from the hub.
    Close(CloseFrame),
}

/// One frame for one or many sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Who gets it.
    pub recipients: Recipients,
    /// What they get.
    pub payload: Payload,
}

/// Something the host acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubEvent {
    /// A session event the hub does not handle itself: subscription changes, push
    /// registrations, replay requests, rejected frames, expired typing indicators, closes.
    /// After [`SessionEvent::Closed`] the key is no longer valid.
    Session {
        /// The session.
        key: SessionKey,
        /// What happened.
        event: SessionEvent,
    },
    /// A presence change was broadcast (e.g. to record `last_seen` on `offline`).
    Presence(PresenceNotice),
}

/// The routing core. See the [module docs](self).
///
/// Drain order after every call that takes `now`: [`Hub::poll_transmit`] until `None`, then
/// [`Hub::poll_event`] until `None`, then re-arm the timer with [`Hub::poll_timeout`]. Time must
/// not go backwards; spurious [`Hub::handle_timeout`] calls are no-ops.
pub struct Hub<R = NoRelations> {
    config: HubConfig,
    session_config: Arc<SessionConfig>,
    relations: R,
    clock: Clock,
    slab: Slab,
    users: HashMap<Arc<str>, UserEntry>,
    tenants: Tenants,
    session_timers: BinaryHeap<Reverse<(u64, SessionKey)>>,
    presence_timers: BinaryHeap<Reverse<(u64, Arc<str>)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<HubEvent>,
    scratch: Vec<SessionEvent>,
    /// The id of the next Cloudillo frame the hub writes (acks echo the client's instead).
    frame_ids: u64,
    /// Open sessions in the Cloudillo dialect (while there are none, a fan-out skips looking
    /// at its recipients' dialects).
    cloudillo_sessions: usize,
}

impl<R: Relations> Hub<R> {
    /// An empty hub.
    #[must_use]
    pub fn new(config: HubConfig, relations: R) -> Self {
        Hub {
            session_config: Arc::new(config.session.clone()),
            config,
            relations,
            clock: Clock::default(),
            slab: Slab::default(),
            users: HashMap::new(),
            tenants: Tenants::default(),
            session_timers: BinaryHeap::new(),
            presence_timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            scratch: Vec::new(),
            frame_ids: 0,
            cloudillo_sessions: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// The presence relation.
    #[must_use]
    pub fn relations(&self) -> &R {
        &self.relations
    }

    /// The presence relation, for updating it.
    pub fn relations_mut(&mut self) -> &mut R {
        &mut self.relations
    }

    /// Open sessions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Whether no session is open.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slab.len() == 0
    }

    /// Whether `user` has at least one open session (the push decision's "forwarded to
    /// WebSocket" test).
    #[must_use]
    pub fn is_online(&self, user: &str) -> bool {
        self.users
            .get(user)
            .is_some_and(|u| !u.sessions.as_slice().is_empty())
    }

    /// The open sessions of `user`.
    #[must_use]
    pub fn sessions_of(&self, user: &str) -> &[SessionKey] {
        self.users.get(user).map_or(&[], |u| u.sessions.as_slice())
    }

    /// The open sessions on `tenant`.
    #[must_use]
    pub fn sessions_on(&self, tenant: &str) -> &[SessionKey] {
        self.tenants.sessions_on(tenant)
    }

    /// A session, by key.
    #[must_use]
    pub fn session(&self, key: SessionKey) -> Option<&Session> {
        self.entry(key).map(|e| &e.session)
    }

    /// The tenant a session is on.
    #[must_use]
    pub fn tenant_of(&self, key: SessionKey) -> Option<&str> {
        let entry = self.entry(key)?;
        self.tenants.get(entry.tenant).map(|t| &*t.name)
    }

    /// Registers an authenticated seed-dialect connection of `user` on `tenant` with the
    /// host's `session_id`, queues its `welcome`, and announces the user online if this is
    /// their first session.
    ///
    /// # Errors
    /// [`ConnectError`] when a connection cap is reached or the queues are full; nothing is
    /// registered then.
    pub fn connect(
        &mut self,
        now: Instant,
        wall: SystemTime,
        tenant: &str,
        user: &str,
        session_id: impl Into<Arc<str>>,
    ) -> Result<SessionKey, ConnectError> {
        self.connect_with_dialect(now, wall, tenant, user, session_id, Dialect::Seed)
    }

    /// As [`Hub::connect`], for a session speaking `dialect` (a Cloudillo session queues
    /// nothing at connect: the deployed server sends nothing first).
    ///
    /// # Errors
    /// [`ConnectError`] when a connection cap is reached or the queues are full; nothing is
    /// registered then.
    pub fn connect_with_dialect(
        &mut self,
        now: Instant,
        wall: SystemTime,
        tenant: &str,
        user: &str,
        session_id: impl Into<Arc<str>>,
        dialect: Dialect,
    ) -> Result<SessionKey, ConnectError> {
        self.check_queue()?;
        let unix = unix_seconds(wall);
        if self.len() >= self.config.max_connections {
            return Err(ConnectError::ServerFull {
                limit: self.config.max_connections,
            });
        }
        let per_user = self.config.max_connections_per_user;
        if self.sessions_of(user).len() >= per_user {
            return Err(ConnectError::UserFull {
                user: user.to_owned(),
                limit: per_user,
            });
        }
        // The clock's epoch is the first instant the hub is given, before any deadline.
        self.clock.tick(now);
        let full = ConnectError::ServerFull {
            limit: self.config.max_connections,
        };
        let Some(tenant) = self.tenants.id(tenant) else {
            return Err(full);
        };
        let user = shared_key(&self.users, user);
        let session = Session::with_dialect(
            now,
            wall,
            self.session_config.clone(),
            session_id,
            user.clone(),
            dialect,
        );
        let tenant_pos = self
            .tenants
            .get(tenant)
            .and_then(|t| u32::try_from(t.sessions.len()).ok());
        let key = tenant_pos.and_then(|tenant_pos| {
            self.slab.insert(Entry {
                session,
                tenant,
                tenant_pos,
                scheduled: NEVER,
            })
        });
        let (Some(key), Some(list)) = (key, self.tenants.get_mut(tenant)) else {
            self.tenants.remove_if_empty(tenant);
            return Err(full);
        };
        list.sessions.push(key);
        if dialect == Dialect::Cloudillo {
            self.cloudillo_sessions += 1;
        }
        let entry = self.users.entry(user.clone()).or_default();
        if entry.sessions.as_slice().is_empty() {
            entry.set_chosen(None);
        }
        entry.sessions.push(key);
        self.drain_session(key, now, unix);
        self.refresh_presence(&user, now, unix);
        Ok(key)
    }

    /// The transport of a session ended (its WebSocket closed, cleanly or not): forgets the
    /// session and announces the user offline when it was their last session (stamped with
    /// `wall`). Nothing is sent to the session.
    ///
    /// # Errors
    /// [`HubError::Closed`] when the session had already closed (a close of its own
    /// included: the host then needs not report the end), [`HubError::Backpressure`].
    pub fn handle_end(
        &mut self,
        now: Instant,
        wall: SystemTime,
        key: SessionKey,
    ) -> Result<(), HubError> {
        self.check_queue()?;
        let user = self.remove(key).ok_or(HubError::Closed(key))?;
        self.refresh_presence(&user, now, unix_seconds(wall));
        Ok(())
    }

    /// Handles a text frame from a session's socket.
    ///
    /// # Errors
    /// [`HubError::Closed`], [`HubError::Backpressure`], or the session's own
    /// [`SessionError`] (host misuse only; the client's mistakes are answered in-band).
    pub fn handle_text(
        &mut self,
        now: Instant,
        wall: SystemTime,
        key: SessionKey,
        text: &str,
    ) -> Result<(), HubError> {
        self.session_input(now, wall, key, |session| {
            session.handle_text(now, wall, text)
        })
    }

    /// Handles a Pong (or any other control frame) from a session's socket: the peer is alive
    /// ([`Session::handle_pong`]).
    ///
    /// # Errors
    /// As [`Hub::handle_text`].
    pub fn handle_pong(
        &mut self,
        now: Instant,
        wall: SystemTime,
        key: SessionKey,
    ) -> Result<(), HubError> {
        self.session_input(now, wall, key, |session| session.handle_pong(now, wall))
    }

    /// Handles a binary frame from a session's socket (answered with `E-WS-INVALID` in the
    /// seed dialect, dropped in the Cloudillo dialect).
    ///
    /// # Errors
    /// As [`Hub::handle_text`].
    pub fn handle_binary(
        &mut self,
        now: Instant,
        wall: SystemTime,
        key: SessionKey,
        bytes: &[u8],
    ) -> Result<(), HubError> {
        self.session_input(now, wall, key, |session| {
            session.handle_binary(now, wall, bytes)
        })
    }

    /// The host found a session's access token expired: `E-WS-AUTH` (seed dialect), close
    /// 4401, and removal.
    ///
    /// # Errors
    /// As [`Hub::handle_text`].
    pub fn handle_token_expired(
        &mut self,
        now: Instant,
        wall: SystemTime,
        key: SessionKey,
    ) -> Result<(), HubError> {
        self.session_input(now, wall, key, |session| session.handle_token_expired(wall))
    }

    /// Sets when a session's access token expires (see [`Session::set_token_expiry`]).
    ///
    /// # Errors
    /// [`HubError::Closed`].
    pub fn set_token_expiry(
        &mut self,
        key: SessionKey,
        expires_at: Option<Instant>,
    ) -> Result<(), HubError> {
        let entry = self.entry_mut(key).ok_or(HubError::Closed(key))?;
        entry.session.set_token_expiry(expires_at);
        self.reschedule(key);
        Ok(())
    }

    /// Runs every session timer and presence flush due at `now`; messages it writes are
    /// stamped with `wall`.
    ///
    /// # Errors
    /// [`HubError::Backpressure`]: no timer runs, and [`Hub::poll_timeout`] stays in the past
    /// until the host drains and calls again.
    pub fn handle_timeout(&mut self, now: Instant, wall: SystemTime) -> Result<(), HubError> {
        self.check_queue()?;
        let unix = unix_seconds(wall);
        let tick = self.clock.tick(now);
        while let Some(Reverse((at, key))) = self.session_timers.peek().copied() {
            if at > tick {
                break;
            }
            self.session_timers.pop();
            let Some(entry) = self.entry_mut(key) else {
                continue;
            };
            if entry.scheduled != at {
                continue; // superseded by an earlier deadline
            }
            entry.scheduled = NEVER;
            // The hub drains every session it touches and forgets closed ones: no error.
            let ran = entry.session.handle_timeout(now, wall);
            debug_assert!(ran.is_ok(), "{ran:?}");
            self.drain_session(key, now, unix);
        }
        while let Some(Reverse((at, user))) = self.presence_timers.peek().cloned() {
            if at > tick {
                break;
            }
            self.presence_timers.pop();
            let interval = nanos(self.config.presence_interval);
            let released = self
                .users
                .get_mut(&user)
                .and_then(|u| u.release(interval, tick));
            if let Some(update) = released {
                self.broadcast_presence(&user, update, unix);
            }
            self.forget_user_if_gone(&user, now);
        }
        if self.presence_timers.is_empty() {
            // After a burst of presence changes, give the heap's memory back.
            self.presence_timers.shrink_to_fit();
        }
        self.compact_timers();
        Ok(())
    }

    /// Sends `message` to every session of `audience` that wants it ([`Session::wants`]: seed
    /// sessions subscribed to its event type, Cloudillo sessions for actions), encoding it once
    /// per dialect. Returns the number of sessions it was queued for (0 queues nothing).
    ///
    /// # Errors
    /// [`HubError::Backpressure`] when the outputs were not drained.
    pub fn publish(
        &mut self,
        message: &ServerMessage,
        audience: Audience<'_>,
    ) -> Result<usize, HubError> {
        self.check_queue()?;
        let event = message.event_type();
        let mut recipients = Vec::new();
        match audience {
            Audience::User(user) => self.collect_user(user, event, &mut recipients),
            Audience::Users(users) => {
                for user in users {
                    self.collect_user(user, event, &mut recipients);
                }
                recipients.sort_unstable();
                recipients.dedup();
            }
            Audience::Tenant(tenant) => {
                for key in self.sessions_on(tenant) {
                    if self
                        .entry(*key)
                        .is_some_and(|e| e.session.wants_event(event))
                    {
                        recipients.push(*key);
                    }
                }
            }
        }
        Ok(self.fan_out(message, recipients))
    }

    /// Sends an action notice to the audience the seed's rules give for `route`
    /// ([`action_audience`]). Returns the number of sessions reached.
    ///
    /// # Errors
    /// [`AudienceError`] (as [`PublishError::Audience`]) when the route lacks what its type
    /// needs, [`HubError::Backpressure`] when the outputs were not drained.
    pub fn publish_action(&mut self, route: &ActionRoute<'_>) -> Result<usize, PublishError> {
        let audience = action_audience(route)?;
        let message = ServerMessage::Action(ActionNotice::clone(route.action));
        Ok(self.publish(&message, audience)?)
    }

    /// The next frame to write. Once drained, a queue grown by a burst gives its memory back.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let next = self.transmits.pop_front();
        shrink_if_drained(&mut self.transmits);
        next
    }

    /// The next event for the host. Once drained, a queue grown by a burst gives its memory
    /// back.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<HubEvent> {
        let next = self.events.pop_front();
        shrink_if_drained(&mut self.events);
        next
    }

    /// When [`Hub::handle_timeout`] should next be called. May be early (a superseded
    /// deadline), never late.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let session = self.session_timers.peek().map(|Reverse((at, _))| *at);
        let presence = self.presence_timers.peek().map(|Reverse((at, _))| *at);
        let next = session.into_iter().chain(presence).min()?;
        self.clock.instant(next)
    }

    /// An estimate of the heap the hub owns, from capacities: the slab (each slot holding a
    /// [`Session`]), the indexes, timers and the sessions' own heap. Queued transmits and
    /// events are not counted.
    #[must_use]
    pub fn heap_size(&self) -> usize {
        let sessions: usize = self.slab.iter().map(|(_, e)| e.session.heap_size()).sum();
        // A hash map holds a key, a value and a control byte per bucket; an `Arc<str>` holds
        // its two counters and its bytes.
        let users: usize = self
            .users
            .iter()
            .map(|(k, u)| 2 * size_of::<usize>() + k.len() + u.heap_size())
            .sum::<usize>()
            + self.users.capacity() * (size_of::<(Arc<str>, UserEntry)>() + 1);
        let timers = self.session_timers.capacity() * size_of::<Reverse<(u64, SessionKey)>>()
            + self.presence_timers.capacity() * size_of::<Reverse<(u64, Arc<str>)>>();
        self.slab.heap_size() + sessions + users + self.tenants.heap_size() + timers
    }

    fn entry(&self, key: SessionKey) -> Option<&Entry> {
        self.slab.get(key)
    }

    fn entry_mut(&mut self, key: SessionKey) -> Option<&mut Entry> {
        self.slab.get_mut(key)
    }

    fn check_queue(&self) -> Result<(), HubError> {
        let queues = [
            (self.transmits.len(), self.config.max_queued_transmits),
            (self.events.len(), self.config.max_queued_events),
        ];
        for (pending, limit) in queues {
            if pending >= limit {
                return Err(HubError::Backpressure { pending, limit });
            }
        }
        Ok(())
    }

    /// The common path of an input about one session: the bounds, the session, the session's
    /// outputs moved into the hub's queues.
    fn session_input(
        &mut self,
        now: Instant,
        wall: SystemTime,
        key: SessionKey,
        input: impl FnOnce(&mut Session) -> Result<(), SessionError>,
    ) -> Result<(), HubError> {
        self.check_queue()?;
        let entry = self.entry_mut(key).ok_or(HubError::Closed(key))?;
        input(&mut entry.session)?;
        self.drain_session(key, now, unix_seconds(wall));
        Ok(())
    }

    fn collect_user(&self, user: &str, event: Option<EventType>, out: &mut Vec<SessionKey>) {
        for key in self.sessions_of(user) {
            if self
                .entry(*key)
                .is_some_and(|e| e.session.wants_event(event))
            {
                out.push(*key);
            }
        }
    }

    /// Encodes `message` once per dialect among `recipients` and queues it for them.
    fn fan_out(&mut self, message: &ServerMessage, recipients: Vec<SessionKey>) -> usize {
        let is_cloudillo = |hub: &Self, key: &SessionKey| {
            hub.entry(*key)
                .is_some_and(|e| e.session.dialect() == Dialect::Cloudillo)
        };
        // The common case, one dialect only, keeps the list as it is.
        let mixed = self.cloudillo_sessions > 0 && recipients.iter().any(|k| is_cloudillo(self, k));
        let (seed, cloudillo) = if mixed {
            recipients.into_iter().partition(|k| !is_cloudillo(self, k))
        } else {
            (recipients, Vec::new())
        };
        let mut count = 0;
        if !seed.is_empty() {
            count += seed.len();
            self.queue(seed, Payload::Text(Bytes::from(message.encode())));
        }
        if !cloudillo.is_empty()
            && let Some(frame) = Frame::from_server_message(message, self.next_frame_id())
        {
            count += cloudillo.len();
            self.queue(cloudillo, Payload::Text(Bytes::from(frame.encode())));
        }
        count
    }

    /// Queues one transmit for a non-empty recipient list.
    fn queue(&mut self, recipients: Vec<SessionKey>, payload: Payload) {
        let recipients = match recipients.as_slice() {
            [] => return,
            [one] => Recipients::One(*one),
            _ => Recipients::Many(recipients),
        };
        self.transmits.push_back(Transmit {
            recipients,
            payload,
        });
    }

    /// A fresh id for a Cloudillo frame the hub writes: a per-hub counter, in decimal.
    fn next_frame_id(&mut self) -> String {
        self.frame_ids = self.frame_ids.wrapping_add(1);
        self.frame_ids.to_string()
    }

    /// Moves a session's outputs into the hub's queues and acts on the events the hub owns
    /// (presence, idle, typing, close). Repeats while handling produced more output.
    fn drain_session(&mut self, key: SessionKey, now: Instant, unix: i64) {
        let mut events = mem::take(&mut self.scratch);
        while let Some(entry) = self.entry_mut(key) {
            let mut out = Vec::new();
            while let Some(outgoing) = entry.session.poll_transmit() {
                out.push(outgoing);
            }
            while let Some(event) = entry.session.poll_event() {
                events.push(event);
            }
            let user = entry.session.user().clone();
            let dialect = entry.session.dialect();
            for outgoing in out {
                let payload = match outgoing {
                    Outgoing::Message(message) if dialect == Dialect::Cloudillo => {
                        match Frame::from_server_message(&message, self.next_frame_id()) {
                            Some(frame) => Payload::Text(Bytes::from(frame.encode())),
                            // The session queues only what Cloudillo has a frame for.
                            None => continue,
                        }
                    }
                    Outgoing::Message(message) => Payload::Text(Bytes::from(message.encode())),
                    Outgoing::Frame(frame) => Payload::Text(Bytes::from(frame.encode())),
                    Outgoing::Ping => Payload::Ping,
                    Outgoing::Close(frame) => Payload::Close(frame),
                };
                self.transmits.push_back(Transmit {
                    recipients: Recipients::One(key),
                    payload,
                });
            }
            if events.is_empty() {
                self.reschedule(key);
                break;
            }
            for event in events.drain(..) {
                match event {
                    SessionEvent::Presence(update) => {
                        if let Some(u) = self.users.get_mut(&user) {
                            u.set_chosen(Some(update));
                        }
                        self.refresh_presence(&user, now, unix);
                    }
                    SessionEvent::Idle | SessionEvent::Active => {
                        self.refresh_presence(&user, now, unix)
                    }
                    SessionEvent::Typing(update) => self.route_typing(key, &user, update, unix),
                    SessionEvent::Closed(reason) => {
                        self.remove(key);
                        self.events.push_back(HubEvent::Session {
                            key,
                            event: SessionEvent::Closed(reason),
                        });
                        self.refresh_presence(&user, now, unix);
                    }
                    event => self.events.push_back(HubEvent::Session { key, event }),
                }
            }
        }
        self.scratch = events;
    }

    fn route_typing(&mut self, key: SessionKey, from: &Arc<str>, update: TypingUpdate, unix: i64) {
        if !self.relations.may_send_typing(from, &update.recipient) {
            if let Some(entry) = self.entry_mut(key) {
                let why = format!(
                    "`{from}` may not send typing indicators to `{}`",
                    update.recipient
                );
                entry.session.refuse(PeerError::Permission(why), unix);
            }
            return;
        }
        let mut recipients = Vec::new();
        self.collect_user(&update.recipient, Some(EventType::Typing), &mut recipients);
        let notice = ServerMessage::Typing(TypingNotice {
            user: from.to_string(),
            conversation_id: update.conversation_id,
            timestamp: unix,
        });
        self.fan_out(&notice, recipients);
    }

    /// Recomputes a user's presence and hands a change to their throttle.
    fn refresh_presence(&mut self, user: &Arc<str>, now: Instant, unix: i64) {
        let Some(entry) = self.users.get(user) else {
            return;
        };
        let sessions = entry.sessions.as_slice();
        let all_idle = sessions
            .iter()
            .all(|k| self.entry(*k).is_none_or(|e| e.session.is_idle()));
        let current = if sessions.is_empty() {
            PresenceUpdate {
                status: PresenceStatus::Offline,
                activity: None,
            }
        } else {
            let chosen = entry.chosen().cloned().unwrap_or(PresenceUpdate {
                status: PresenceStatus::Online,
                activity: None,
            });
            if all_idle && chosen.status == PresenceStatus::Online {
                PresenceUpdate {
                    status: PresenceStatus::Away,
                    activity: None,
                }
            } else {
                chosen
            }
        };
        let interval = nanos(self.config.presence_interval);
        let tick = self.clock.tick(now);
        let Some(entry) = self.users.get_mut(user) else {
            return;
        };
        if entry.is_announced(&current) {
            self.forget_user_if_gone(user, now);
            return;
        }
        entry.set_announced(&current);
        match entry.offer(current, interval, tick) {
            Some(update) => self.broadcast_presence(user, update, unix),
            None => {
                if let Some(due) = entry.due(interval) {
                    self.presence_timers.push(Reverse((due, user.clone())));
                }
            }
        }
        self.forget_user_if_gone(user, now);
    }

    fn broadcast_presence(&mut self, user: &Arc<str>, update: PresenceUpdate, unix: i64) {
        let mut watchers: Vec<SessionKey> = Vec::new();
        let users = &self.users;
        let slab = &self.slab;
        self.relations.presence_watchers(user, &mut |watcher| {
            for key in users
                .get(watcher)
                .map_or(&[][..], |u| u.sessions.as_slice())
            {
                let wants = slab
                    .get(*key)
                    .is_some_and(|e| e.session.wants_event(Some(EventType::Presence)));
                if wants {
                    watchers.push(*key);
                }
            }
        });
        watchers.sort_unstable();
        watchers.dedup();
        let notice = PresenceNotice {
            user: user.to_string(),
            status: update.status,
            activity: update.activity,
            timestamp: unix,
        };
        let message = ServerMessage::Presence(notice.clone());
        self.fan_out(&message, watchers);
        self.events.push_back(HubEvent::Presence(notice));
    }

    /// Drops the entry of a user with no session and nothing pending once their throttle
    /// interval is over (so reconnecting at once cannot bypass the presence throttle).
    fn forget_user_if_gone(&mut self, user: &Arc<str>, now: Instant) {
        let Some(entry) = self.users.get(user) else {
            return;
        };
        if !entry.sessions.as_slice().is_empty() || entry.has_pending() {
            return;
        }
        let tick = self.clock.tick(now);
        match entry.quiet_until(nanos(self.config.presence_interval)) {
            Some(until) if until > tick => {
                self.presence_timers.push(Reverse((until, user.clone())));
            }
            _ => {
                self.users.remove(user);
                // After many users left, give the table's memory back (amortised: the table
                // is at most a quarter full when it shrinks to half).
                if self.users.len() * 4 < self.users.capacity() {
                    self.users.shrink_to(self.users.len() * 2);
                }
            }
        }
    }

    /// Unlinks a session from the slab and the indexes; returns its user.
    fn remove(&mut self, key: SessionKey) -> Option<Arc<str>> {
        let entry = self.slab.remove(key)?;
        if entry.session.dialect() == Dialect::Cloudillo {
            self.cloudillo_sessions -= 1;
        }
        if let Some(tenant) = self.tenants.get_mut(entry.tenant) {
            let pos = entry.tenant_pos as usize;
            if pos < tenant.sessions.len() {
                tenant.sessions.swap_remove(pos);
                if let Some(moved) = tenant.sessions.get(pos).copied()
                    && let Some(e) = self.slab.get_mut(moved)
                {
                    e.tenant_pos = entry.tenant_pos;
                }
            }
            self.tenants.remove_if_empty(entry.tenant);
        }
        let user = entry.session.user().clone();
        if let Some(u) = self.users.get_mut(&user) {
            u.sessions.remove(key);
        }
        Some(user)
    }

    /// Puts a session's next deadline in the timer heap if it is earlier than the one there.
    fn reschedule(&mut self, key: SessionKey) {
        let Some(at) = self.entry(key).and_then(|e| e.session.poll_timeout()) else {
            return;
        };
        let at = self.clock.tick(at);
        let Some(entry) = self.entry_mut(key) else {
            return;
        };
        if at < entry.scheduled {
            entry.scheduled = at;
            self.session_timers.push(Reverse((at, key)));
        }
    }

    /// Rebuilds the timer heap when superseded entries outnumber live ones, so it stays
    /// proportional to the number of sessions.
    fn compact_timers(&mut self) {
        if self.session_timers.len() <= 2 * self.len() + 64 {
            return;
        }
        let live = self
            .slab
            .iter()
            .filter(|(_, entry)| entry.scheduled != NEVER)
            .map(|(key, entry)| Reverse((entry.scheduled, key)));
        self.session_timers = live.collect();
    }
}

/// Why [`Hub::publish_action`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The route lacks what the action type needs.
    #[error(transparent)]
    Audience(#[from] AudienceError),
    /// The hub refused the call.
    #[error(transparent)]
    Hub(#[from] HubError),
}

/// Frees an empty queue's buffer if a burst made it larger than steady use needs (a few
/// outputs per call), so that the hub holds no spare capacity after draining.
fn shrink_if_drained<T>(queue: &mut VecDeque<T>) {
    const STEADY: usize = 64;
    if queue.is_empty() && queue.capacity() > STEADY {
        *queue = VecDeque::new();
    }
}

/// The shared `Arc<str>` key already in `map` for `name`, or a new one.
fn shared_key<V>(map: &HashMap<Arc<str>, V>, name: &str) -> Arc<str> {
    map.get_key_value(name)
        .map_or_else(|| Arc::from(name), |(k, _)| k.clone())
}

impl<R> std::fmt::Debug for Hub<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("sessions", &self.slab.len())
            .field("users", &self.users.len())
            .field("tenants", &self.tenants.len())
            .field("queued_transmits", &self.transmits.len())
            .finish_non_exhaustive()
    }
}
