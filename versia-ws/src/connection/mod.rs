//! A sans-IO machine for one WebSocket connection between two Versia instances, and the
//! protocol it implements.
//!
//! The WebSocket extension defines the message format and stops at "Connection Establishment".
//! This module specifies the rest. Every choice below is this crate's; where it reuses a rule
//! of the HTTP federation spec it says so.
//!
//! # The protocol
//!
//! **1. Endpoint.** The accepting instance serves `GET /.versia/v0.5/ws` or
//! `GET /.versia/v0.6/ws` (the API prefix of the version both speak, plus `ws`), upgraded to a
//! WebSocket (RFC 6455) over TLS. One connection carries entities in both directions.
//!
//! **2. Authentication of the upgrade.** The upgrade request carries the three signature headers
//! of an HTTP request, signed by the *initiating instance* over
//! `get /.versia/v0.x/ws {signed_at} {base64(sha256(""))}`. `signed_by` must be an instance
//! (0.6: its domain; 0.5: `instance <host>`), never a user. The acceptor verifies it like any
//! request (strict Ed25519, the 5-minute window, replay cache) and answers:
//! `401` (missing, malformed or failing signature, replay), `422` (time outside the window),
//! `403` (a user tried to open a connection), `404` (another path), `405` (not `GET`).
//! The `101 Switching Protocols` response is itself signed, as the spec requires for responses
//! to `GET`: by the acceptor, with the request's method and path and an empty body. The
//! initiator verifies it and checks that the signer is the instance it meant to reach.
//!
//! **3. Entity messages.** Each text frame without a `type` member is a `WebSocketMessage`
//! (see [`crate::message`]). Its signature covers `post /.versia/v0.x/ws {signed_at}
//! {base64(sha256(entity))}`: the method of an inbox delivery and the path of this endpoint,
//! whichever side sends. The receiver checks, in order: size, rate, JSON shape, the signature
//! encodings, the time window, that the signer belongs to the authenticated peer (0.6: equal
//! to its domain; 0.5: the instance or a user URI on its host), that the signature was not seen
//! inside the window (replay), the signer's key (the host's resolver), then strict Ed25519.
//! Once verified, the entity must be a JSON object whose `id` is a string or `null`, and whose
//! `author`, when it is a string, is a user of the signer: an instance signs only for its own
//! users ([`crate::entity::check_author`]; other references in the entity are not identities).
//!
//! **4. Replies.** Every entity message gets exactly one reply frame:
//! - `{"type":"ack","signature":"<its signature>","id":"<entity id>"|null}` once verified
//!   (`id` is `null` for transient entities, which have none; the signature identifies the
//!   message either way);
//! - `{"type":"error","signature":"<its signature>"|null,"status":N,"code":"…","message":"…"}`
//!   otherwise, with `status` 401 or 422 for signature failures exactly as over HTTP
//!   ([`VerifyError::class`](crate::signature::VerifyError::class)), 400 for malformed frames
//!   or entities, 403 for a signer that is not the peer or an author that is not the signer's
//!   (`foreign_author`), 429 when rate limited, 503 when the replay cache is full. `code` is a stable snake_case name ([`RejectReason::code`]).
//!
//! Ack and error frames are never answered, so two peers cannot loop on errors.
//!
//! **5. Replay protection.** A signature accepted once is refused again until its `signed_at`
//! leaves the window ([`crate::replay`]); the cache is bounded and refuses (503) rather than
//! forgets when full. Hosts with several connections per peer share one cache.
//!
//! **6. Limits** ([`Limits`], all with defaults): frame size (close 1009), rate and burst (429),
//! batch size, unacknowledged messages in flight ([`ConnectionError::Unacknowledged`] to the
//! host), queued outputs ([`ConnectionError::Backpressure`] to the host), acknowledgement
//! timeout, refused frames in a row before closing (1008).
//!
//! **7. Close codes.** 1000 normal; 1003 a binary frame arrived (the protocol is text-only);
//! 1008 too many refused frames in a row; 1009 a frame over `max_message_bytes`. A close frame
//! from the peer is echoed; ours waits `close_timeout` for the echo. Codes are [`CloseCode`]s;
//! a transport that ends without a close frame closes the connection locally with 1006
//! ([`CloseCode::ABNORMAL`], never sent).
//!
//! # Driving a connection
//!
//! Inputs are `handle_*` calls (`handle_text`, `handle_binary`, `handle_close` for the peer's
//! Close frame, `handle_end` when the transport ends, `handle_timeout`) and the commands
//! `send_*` and `close`; after each, drain the outputs **in this order**: [`Connection::poll_transmit`] until `None` (frames to send),
//! [`Connection::poll_event`] until `None`, then [`Connection::poll_timeout`] (when to call
//! [`Connection::handle_timeout`]). Entity messages received since the last drain are verified
//! together, as a batch, when draining starts (or as soon as `max_batch` are waiting), so a
//! burst read from the socket in one go is verified with the batch equation
//! ([`crate::batch`]). Time comes in twice: a monotonic `Instant` (`now`, first) for timers,
//! and the wall clock as a [`SystemTime`] (right after `now`) for the
//! signature window and `signed_at`.
//!
//! Once [`Event::Closed`] is out, every `handle_*` returns [`ConnectionError::Closed`]. The
//! machine draws no randomness, so it takes no seed.

mod config;
mod event;
mod frame;
mod handshake;
mod rate;

pub use config::{Config, Limits, LocalIdentity};
pub use event::{CloseCode, Event, Received, RejectReason, Side, Transmit};
pub use handshake::{Accepted, Acceptor, HandshakeError, Initiator, Rejection};

use std::collections::{HashMap, HashSet, VecDeque};
use web_time::{Instant, SystemTime};

use crate::batch::{BatchItem, verify_batch};
use crate::clock::{ClockError, unix_seconds};
use crate::entity::check_author;
use crate::key::KeyResolver;
use crate::message::{Claim, Prepared, WebSocketMessage};
use crate::path::PathForm;
use crate::replay::{ReplayCache, ReplayError, ReplayGuard};
use crate::signature::{SignError, Signature, VerifyError, VerifyOptions, retry_versia_server};
use crate::signer::SignedBy;
use crate::version::Version;
use frame::{Frame, encode_ack, encode_error};
use rate::TokenBucket;

/// Mistakes of the host (local misuse), as opposed to the peer's, which become error frames,
/// close codes and events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The connection is closed (every `handle_*` after [`Event::Closed`]), or closing (a
    /// `send_*` after the closing handshake started).
    #[error("the connection is closing or closed")]
    Closed,
    /// Backpressure: the host has not drained outputs and `max_queued_outputs` are waiting.
    /// Nothing of the input was consumed: drain [`Connection::poll_transmit`] and
    /// [`Connection::poll_event`], then hand it in again.
    #[error(
        "{limit} outputs are waiting to be drained (max_queued_outputs); drain before feeding more"
    )]
    Backpressure {
        /// The limit.
        limit: usize,
    },
    /// `max_unacked` of our messages await the peer's acknowledgement; wait for
    /// [`Event::Delivered`], [`Event::Refused`] or [`Event::DeliveryTimedOut`] before sending
    /// more.
    #[error("{limit} messages await acknowledgement (max_unacked); wait for Delivered events")]
    Unacknowledged {
        /// The limit.
        limit: usize,
    },
    /// The wall clock passed in cannot be written as unix seconds.
    #[error("unusable wall clock")]
    Clock(#[from] ClockError),
    /// The message could not be signed.
    #[error("cannot sign the message")]
    Sign(#[from] SignError),
    /// A pre-signed message to send has an unreadable signature.
    #[error("the message to send is not signed properly: {0}")]
    BadMessage(VerifyError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closing { deadline: Instant },
    Closed,
}

/// One authenticated connection. Built by [`Initiator::finish`] or [`Acceptor::accept`].
///
/// `K` finds signers' keys ([`KeyResolver`]); `R` is the replay cache, owned by default or
/// shared ([`ReplayGuard`]).
#[derive(Debug)]
pub struct Connection<K, R = ReplayCache> {
    config: Config,
    identity: LocalIdentity,
    peer: SignedBy,
    keys: K,
    replay: R,
    options: VerifyOptions,
    rate: TokenBucket,
    state: State,
    inbox: Vec<(WebSocketMessage, u64)>,
    unacked: HashMap<Signature, Instant>,
    deadlines: VecDeque<(Instant, Signature)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    rejections_in_a_row: u32,
}

impl<K: KeyResolver, R: ReplayGuard> Connection<K, R> {
    pub(crate) fn new(
        config: Config,
        identity: LocalIdentity,
        peer: SignedBy,
        keys: K,
        replay: R,
        now: Instant,
    ) -> Self {
        let options = config.verify_options();
        let rate = TokenBucket::new(config.limits.rate_per_second, config.limits.rate_burst, now);
        Self {
            config,
            identity,
            peer,
            keys,
            replay,
            options,
            rate,
            state: State::Open,
            inbox: Vec::new(),
            unacked: HashMap::new(),
            deadlines: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            rejections_in_a_row: 0,
        }
    }

    /// The authenticated peer instance.
    pub fn peer(&self) -> &SignedBy {
        &self.peer
    }

    /// The version spoken.
    pub fn version(&self) -> Version {
        self.config.version
    }

    /// Whether the connection is fully closed (after [`Event::Closed`]).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Our messages awaiting acknowledgement.
    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }

    fn ensure_open(&self) -> Result<(), ConnectionError> {
        match self.state {
            State::Open => Ok(()),
            State::Closing { .. } | State::Closed => Err(ConnectionError::Closed),
        }
    }

    fn ensure_room(&self) -> Result<(), ConnectionError> {
        let limit = self.config.limits.max_queued_outputs;
        if self.transmits.len() + self.events.len() + self.inbox.len() * 2 >= limit {
            return Err(ConnectionError::Backpressure { limit });
        }
        Ok(())
    }

    /// A text frame from the peer. `wall` is the wall clock for the signature window.
    /// Frames arriving after we started closing are discarded (RFC 6455 lets them come);
    /// after the close completed this is [`ConnectionError::Closed`].
    ///
    /// Refuses, consuming nothing: [`ConnectionError::Backpressure`] when `max_queued_outputs`
    /// wait to be drained, [`ConnectionError::Clock`] when `wall` is before 1970 or after
    /// [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS). Everything wrong with the frame
    /// itself is the peer's fault: an error frame and an [`Event::Rejected`], never an `Err`.
    pub fn handle_text(
        &mut self,
        now: Instant,
        wall: SystemTime,
        text: &str,
    ) -> Result<(), ConnectionError> {
        match self.state {
            State::Open => {}
            State::Closing { .. } => return Ok(()),
            State::Closed => return Err(ConnectionError::Closed),
        }
        let unix_now = unix_seconds(wall)?;
        self.ensure_room()?;
        let limit = self.config.limits.max_message_bytes;
        if text.len() > limit {
            self.reject_silently(
                None,
                RejectReason::Malformed(crate::message::MessageError::TooLarge {
                    len: text.len(),
                    limit,
                }),
                now,
            );
            self.start_close(
                now,
                CloseCode::MESSAGE_TOO_BIG,
                "frame exceeds max_message_bytes".into(),
            );
            return Ok(());
        }
        match Frame::decode(text, limit) {
            Err(error) => self.reject(None, RejectReason::Malformed(error), now),
            Ok(Frame::Message(message)) => {
                if !self.rate.take(now) {
                    let signature = message.parsed_signature().ok();
                    self.reject(signature, RejectReason::RateLimited, now);
                    return Ok(());
                }
                self.inbox.push((message, unix_now));
                if self.inbox.len() >= self.config.limits.max_batch {
                    self.process_inbox(now);
                }
            }
            Ok(Frame::Ack { signature, id }) => match self.take_unacked(&signature) {
                Some(signature) => self.events.push_back(Event::Delivered { signature, id }),
                None => self.reject_silently(None, RejectReason::UnmatchedReply, now),
            },
            Ok(Frame::Error {
                signature,
                status,
                code,
                message,
            }) => {
                let ours = signature
                    .as_deref()
                    .and_then(|text| self.take_unacked(text));
                if signature.is_some() && ours.is_none() {
                    self.reject_silently(None, RejectReason::UnmatchedReply, now);
                } else {
                    self.events.push_back(Event::Refused {
                        signature: ours,
                        status,
                        code,
                        message,
                    });
                }
            }
        }
        Ok(())
    }

    /// A binary frame from the peer: the protocol is text-only, so the connection closes (1003).
    /// Discarded while closing; [`ConnectionError::Closed`] once closed.
    pub fn handle_binary(&mut self, now: Instant) -> Result<(), ConnectionError> {
        match self.state {
            State::Open => {
                self.start_close(
                    now,
                    CloseCode::UNSUPPORTED_DATA,
                    "binary frames are not part of this protocol".into(),
                );
                Ok(())
            }
            State::Closing { .. } => Ok(()),
            State::Closed => Err(ConnectionError::Closed),
        }
    }

    /// The peer's WebSocket Close frame (`code` is `None` when the frame had no body; it then
    /// counts as [`CloseCode::NORMAL`]). Messages still waiting are verified first. Open: the
    /// close is echoed and the connection closes ([`Side::Peer`]); closing: this is the echo
    /// and the connection closes ([`Side::Local`]). [`ConnectionError::Closed`] once closed.
    ///
    /// Adds at most one transmit and one event beyond `max_queued_outputs`, and never refuses
    /// for a full queue: a close must not wait for the host to drain.
    pub fn handle_close(
        &mut self,
        now: Instant,
        code: Option<CloseCode>,
        reason: impl Into<String>,
    ) -> Result<(), ConnectionError> {
        self.process_inbox(now);
        let code = code.unwrap_or(CloseCode::NORMAL);
        match self.state {
            State::Open => {
                self.transmits.push_back(Transmit::Close {
                    code,
                    reason: String::new(),
                });
                self.finish_close(code, reason.into(), Side::Peer);
                Ok(())
            }
            State::Closing { .. } => {
                self.finish_close(code, reason.into(), Side::Local);
                Ok(())
            }
            State::Closed => Err(ConnectionError::Closed),
        }
    }

    /// The transport ended (the TCP connection or the WebSocket stream), cleanly or not, without
    /// a Close frame. Messages already received are verified (their events come out); frames
    /// still queued for the peer are dropped, since nothing can carry them any more. The
    /// connection closes with [`CloseCode::ABNORMAL`]: [`Side::Peer`] when it was open,
    /// [`Side::Local`] when our close was waiting for its echo. [`ConnectionError::Closed`]
    /// once closed.
    pub fn handle_end(&mut self, now: Instant) -> Result<(), ConnectionError> {
        self.process_inbox(now);
        let initiated_by = match self.state {
            State::Open => Side::Peer,
            State::Closing { .. } => Side::Local,
            State::Closed => return Err(ConnectionError::Closed),
        };
        self.transmits.clear();
        self.finish_close(CloseCode::ABNORMAL, String::new(), initiated_by);
        Ok(())
    }

    /// Timers: acknowledgement deadlines and the closing handshake. Calls before a deadline
    /// are no-ops; [`ConnectionError::Closed`] once closed. Adds at most one
    /// [`Event::DeliveryTimedOut`] per unacknowledged message (`max_unacked`) and one
    /// [`Event::Closed`] beyond `max_queued_outputs`, and never refuses for a full queue.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ConnectionError> {
        if self.state == State::Closed {
            return Err(ConnectionError::Closed);
        }
        while let Some(&(deadline, signature)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            if self.unacked.get(&signature) == Some(&deadline) {
                self.unacked.remove(&signature);
                self.events.push_back(Event::DeliveryTimedOut { signature });
            }
        }
        if let State::Closing { deadline } = self.state
            && deadline <= now
        {
            self.finish_close(
                CloseCode::NORMAL,
                "closing handshake timed out".into(),
                Side::Local,
            );
        }
        Ok(())
    }

    /// Signs `entity` with our key at `wall` (its whole unix seconds become `signed_at`) and
    /// queues it. Returns its signature, which the [`Event::Delivered`], [`Event::Refused`] or
    /// [`Event::DeliveryTimedOut`] for it will carry. Refuses as [`Connection::send_message`]
    /// does, and with [`ConnectionError::Clock`] for a wall clock before 1970 or after
    /// [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS).
    pub fn send_entity(
        &mut self,
        now: Instant,
        wall: SystemTime,
        entity: impl Into<String>,
    ) -> Result<Signature, ConnectionError> {
        // Checked here so an unusable clock is `ConnectionError::Clock`, as on the input side.
        unix_seconds(wall)?;
        let message = WebSocketMessage::sign_in(
            &self.identity.key,
            &self.identity.signer,
            self.config.version,
            self.config.path(),
            wall,
            entity,
            self.config.sign_path_form,
        )?;
        self.send_message(now, &message)
    }

    /// Queues a message signed elsewhere (e.g. by a 0.5 user key, for this endpoint's path).
    ///
    /// Refuses, queueing nothing: [`ConnectionError::Closed`] once closing or closed,
    /// [`ConnectionError::Backpressure`] when `max_queued_outputs` wait to be drained,
    /// [`ConnectionError::Unacknowledged`] when `max_unacked` messages await the peer's
    /// acknowledgement, [`ConnectionError::BadMessage`] for an unreadable signature.
    pub fn send_message(
        &mut self,
        now: Instant,
        message: &WebSocketMessage,
    ) -> Result<Signature, ConnectionError> {
        self.ensure_open()?;
        self.ensure_room()?;
        let limit = self.config.limits.max_unacked;
        if self.unacked.len() >= limit {
            return Err(ConnectionError::Unacknowledged { limit });
        }
        let signature = message
            .parsed_signature()
            .map_err(ConnectionError::BadMessage)?;
        let deadline = now + self.config.limits.ack_timeout;
        self.unacked.insert(signature, deadline);
        self.deadlines.push_back((deadline, signature));
        // Acknowledged entries leave `deadlines` lazily; keep it within a constant of the limit.
        if self.deadlines.len() > 2 * limit + 16 {
            let unacked = &self.unacked;
            self.deadlines
                .retain(|(deadline, signature)| unacked.get(signature) == Some(deadline));
        }
        self.transmits.push_back(Transmit::Text(message.encode()));
        Ok(signature)
    }

    /// Starts closing with `code` ([`CloseCode::NORMAL`] for a normal close) and `reason`
    /// (cut to 123 bytes on a character boundary, as RFC 6455 allows). Does nothing once
    /// closing or closed.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: impl Into<String>) {
        self.process_inbox(now);
        if self.state == State::Open {
            self.start_close(now, code, reason.into());
        }
    }

    /// The next frame to send. Call until `None` after every input.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.process_inbox(now);
        self.transmits.pop_front()
    }

    /// The next event. Call until `None` after draining transmits.
    #[must_use]
    pub fn poll_event(&mut self, now: Instant) -> Option<Event> {
        self.process_inbox(now);
        self.events.pop_front()
    }

    /// When to call [`Connection::handle_timeout`] next, if ever. Changes after any input.
    #[must_use]
    pub fn poll_timeout(&mut self, now: Instant) -> Option<Instant> {
        self.process_inbox(now);
        let ack = self
            .deadlines
            .iter()
            .find(|(deadline, signature)| self.unacked.get(signature) == Some(deadline))
            .map(|(deadline, _)| *deadline);
        let closing = match self.state {
            State::Closing { deadline } => Some(deadline),
            State::Open | State::Closed => None,
        };
        match (ack, closing) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn take_unacked(&mut self, signature_text: &str) -> Option<Signature> {
        let signature = Signature::from_base64(signature_text).ok()?;
        self.unacked.remove(&signature)?;
        while let Some((deadline, front)) = self.deadlines.front() {
            if self.unacked.get(front) == Some(deadline) {
                break;
            }
            self.deadlines.pop_front();
        }
        Some(signature)
    }

    fn signer_belongs_to_peer(&self, signer: &SignedBy) -> bool {
        match self.config.version {
            Version::V0_6 => signer == &self.peer,
            Version::V0_5 => signer.host().is_some() && signer.host() == self.peer.host(),
        }
    }

    /// Verifies the messages waiting in the inbox, as one batch.
    fn process_inbox(&mut self, now: Instant) {
        if self.inbox.is_empty() || self.state == State::Closed {
            self.inbox.clear();
            return;
        }
        let inbox = std::mem::take(&mut self.inbox);
        let path = self.config.path();
        let mut in_batch = HashSet::new();
        let mut prepared: Vec<(WebSocketMessage, u64, Result<Prepared, RejectReason>)> =
            Vec::with_capacity(inbox.len());
        for (message, unix_now) in inbox {
            let outcome = message
                .claim(&self.options, path, Some(unix_now))
                .map_err(RejectReason::Verify)
                .and_then(|claim| self.screen(claim, unix_now, &mut in_batch))
                .and_then(|claim| claim.resolve(&mut self.keys).map_err(RejectReason::Verify));
            prepared.push((message, unix_now, outcome));
        }
        let items: Vec<BatchItem<'_>> = prepared
            .iter()
            .filter_map(|(_, _, outcome)| outcome.as_ref().ok())
            .map(|ready| BatchItem {
                key: &ready.key,
                message: ready.signed_string.as_bytes(),
                signature: &ready.signature,
            })
            .collect();
        let mut verdicts = verify_batch(&items).into_iter();
        for (message, unix_now, outcome) in prepared {
            let signature = message.parsed_signature().ok();
            let verdict = outcome.and_then(|ready| {
                let path_form = match verdicts
                    .next()
                    .unwrap_or(Err(VerifyError::SignatureMismatch))
                {
                    Ok(()) => PathForm::Strict,
                    Err(VerifyError::SignatureMismatch) => retry_versia_server(
                        &self.options,
                        &ready.input,
                        &ready.key,
                        &ready.signature,
                    )
                    .map_err(RejectReason::Verify)?,
                    Err(other) => return Err(RejectReason::Verify(other)),
                };
                let signed_at = ready.input.signed_at();
                self.replay
                    .with_cache(|cache| cache.insert_at(&ready.signature, signed_at, unix_now))
                    .map_err(|error| match error {
                        ReplayError::Replayed => {
                            RejectReason::Verify(VerifyError::Replayed { signed_at })
                        }
                        ReplayError::Full { capacity } => {
                            RejectReason::ReplayCacheFull { capacity }
                        }
                    })?;
                Ok(ready.into_verified(path_form))
            });
            let version = self.config.version;
            let checked = verdict.and_then(|verified| {
                Ok((
                    entity_id(&message.entity, version, &verified.signer)?,
                    verified,
                ))
            });
            match checked {
                Ok((id, verified)) => {
                    self.rejections_in_a_row = 0;
                    self.transmits.push_back(Transmit::Text(encode_ack(
                        &verified.signature.to_base64(),
                        id.as_deref(),
                    )));
                    self.events.push_back(Event::Received(Box::new(Received {
                        message,
                        verified,
                        id,
                    })));
                }
                Err(reason) => self.reject(signature, reason, now),
            }
        }
    }

    /// The checks between parsing and the curve: signer binding and replay (the cache, and
    /// duplicates inside the batch).
    fn screen(
        &mut self,
        ready: Claim,
        unix_now: u64,
        in_batch: &mut HashSet<Signature>,
    ) -> Result<Claim, RejectReason> {
        if !self.signer_belongs_to_peer(&ready.signer) {
            return Err(RejectReason::SignerNotPeer {
                signer: ready.signer.clone(),
                peer: self.peer.clone(),
            });
        }
        let replayed = RejectReason::Verify(VerifyError::Replayed {
            signed_at: ready.input.signed_at(),
        });
        match self
            .replay
            .with_cache(|cache| cache.check_at(&ready.signature, unix_now))
        {
            Ok(()) if in_batch.insert(ready.signature) => Ok(ready),
            Ok(()) | Err(ReplayError::Replayed) => Err(replayed),
            Err(ReplayError::Full { capacity }) => Err(RejectReason::ReplayCacheFull { capacity }),
        }
    }

    /// Answers a refused frame with an error frame, reports it, and closes after too many.
    fn reject(&mut self, signature: Option<Signature>, reason: RejectReason, now: Instant) {
        let text = signature.map(|signature| signature.to_base64());
        self.transmits.push_back(Transmit::Text(encode_error(
            text.as_deref(),
            reason.status(),
            reason.code(),
            &reason.message(),
        )));
        self.reject_silently(signature, reason, now);
    }

    /// Reports a refused frame without answering it; closes (1008) after too many in a row.
    fn reject_silently(
        &mut self,
        signature: Option<Signature>,
        reason: RejectReason,
        now: Instant,
    ) {
        self.rejections_in_a_row = self.rejections_in_a_row.saturating_add(1);
        self.events.push_back(Event::Rejected { signature, reason });
        if self.rejections_in_a_row >= self.config.limits.max_consecutive_rejections
            && self.state == State::Open
        {
            self.start_close(
                now,
                CloseCode::POLICY_VIOLATION,
                "too many refused frames in a row".into(),
            );
        }
    }

    fn start_close(&mut self, now: Instant, code: CloseCode, mut reason: String) {
        truncate_on_char_boundary(&mut reason, 123);
        self.transmits.push_back(Transmit::Close { code, reason });
        self.state = State::Closing {
            deadline: now + self.config.limits.close_timeout,
        };
    }

    fn finish_close(&mut self, code: CloseCode, reason: String, initiated_by: Side) {
        self.state = State::Closed;
        self.inbox.clear();
        self.unacked.clear();
        self.deadlines.clear();
        self.events.push_back(Event::Closed {
            code,
            reason,
            initiated_by,
        });
    }
}

/// The entity's `id`: the text must be a JSON object whose `id` is a string, `null` or absent,
/// and whose `author`, when it is a string, is a user of `signer`.
fn entity_id(
    entity: &str,
    version: Version,
    signer: &SignedBy,
) -> Result<Option<String>, RejectReason> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(entity).map_err(|error| RejectReason::InvalidEntity {
            reason: format!("entity is not a JSON object: {error}"),
        })?;
    if let Some(serde_json::Value::String(author)) = object.get("author") {
        check_author(version, signer, author).map_err(RejectReason::ForeignAuthor)?;
    }
    match object.get("id") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(id)) => Ok(Some(id.clone())),
        Some(_) => Err(RejectReason::InvalidEntity {
            reason: "entity `id` is not a string".into(),
        }),
    }
}

fn truncate_on_char_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}
