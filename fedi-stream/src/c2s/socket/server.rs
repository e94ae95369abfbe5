//! [`ServerConnection`]: the server side of one WebSocket C2S connection.

use std::collections::{HashMap, VecDeque};
use web_time::Instant;

use crate::c2s::feed::{
    Feed, Format, Session, SessionConfig, SessionError, SessionEvent, Transmit,
};

use super::envelope::{Incoming, Outgoing};
use super::error::{EnvelopeError, ResponseError};
use super::limits::SocketLimits;
use super::message::{ClientMessage, DeliveryStatus, Fetched, RequestId, ServerMessage};
use crate::c2s::item::Json;
use crate::close::{CloseCode, CloseFrame};
use crate::input::InputError;

/// What happened on a [`ServerConnection`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerConnectionEvent {
    /// A request to carry out; answer it with the matching method
    /// ([`accept`](ServerConnection::accept) … [`fail`](ServerConnection::fail)).
    Request(ClientMessage),
    /// The peer sent something invalid; it was answered with an `error` message (or the
    /// connection closes, for messages beyond the size limits).
    Refused {
        /// The request id, if it could be read.
        request: Option<RequestId>,
        /// What was wrong.
        error: EnvelopeError,
    },
    /// Something happened in the inbox stream (resume, catch-up, cut-off).
    Stream(SessionEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InFlight {
    kind: &'static str,
    accepted: bool,
}

/// The sans-IO server side of one WebSocket C2S connection: pushes the actor's stream (a
/// [`Session`] in [`Format::WebSocket`]) and carries `outbox`, `proxy`, `store` and `fetch`
/// requests, correlated by request id, with bounded queues.
///
/// # Drain order
/// After [`new`](Self::new), [`handle_message`](Self::handle_message), every answer, every
/// [`Feed::append`] and [`handle_timeout`](Self::handle_timeout): drain
/// [`poll_transmit`](Self::poll_transmit) (answers go before stream items), then
/// [`poll_event`](Self::poll_event), then read [`poll_timeout`](Self::poll_timeout).
/// After a [`Outgoing::Close`], send it and close the socket.
///
/// # Closing
/// The connection is closed for input once it queued its Close ([`close`](Self::close), or a
/// peer fault that ends the connection), once the client's Close frame was handed to
/// [`handle_close`](Self::handle_close), or once the transport ended
/// ([`handle_end`](Self::handle_end)): from then on every `handle_*` returns
/// [`InputError::Closed`] (a host that keeps reading until the peer answers its Close drops
/// what it reads). After the peer's Close or the end of the transport nothing more is
/// transmitted: the WebSocket layer answers the Close itself.
///
/// # SocketLimits
/// [`SocketLimits::max_in_flight`] requests at once (more are refused with status 429),
/// [`SocketLimits::max_queued_bytes`] of unsent answers (answering beyond it is
/// [`ResponseError::QueueFull`]; a peer whose refusals would exceed it is closed with 1008),
/// messages beyond the size limits close with 1009. A subscriber cut off for being slow is
/// sent the `catchUp` meta message and closed with 1013 (try again later). At most
/// [`SocketLimits::max_queued_events`] events wait for [`poll_event`](Self::poll_event);
/// beyond them [`handle_message`](Self::handle_message) returns
/// [`InputError::Backpressure`] without taking the message.
#[derive(Debug)]
pub struct ServerConnection {
    session: Session,
    limits: SocketLimits,
    in_flight: HashMap<RequestId, InFlight>,
    out: VecDeque<Outgoing>,
    out_bytes: usize,
    events: VecDeque<ServerConnectionEvent>,
    close: Option<Outgoing>,
    closed: bool,
}

impl ServerConnection {
    /// A connection streaming `feed` (resuming after `last_event_id`, e.g. from the
    /// `?last_event_id=` of the upgrade request).
    ///
    /// # Errors
    /// [`SessionError::FormatNotServed`] if the feed does not prepare [`Format::WebSocket`].
    pub fn new(
        feed: &Feed,
        last_event_id: Option<&str>,
        session: SessionConfig,
        limits: SocketLimits,
        now: Instant,
    ) -> Result<Self, SessionError> {
        let session = Session::new(feed, Format::WebSocket, last_event_id, session, now)?;
        let mut connection = Self {
            session,
            limits,
            in_flight: HashMap::new(),
            out: VecDeque::new(),
            out_bytes: 0,
            events: VecDeque::new(),
            close: None,
            closed: false,
        };
        connection.collect_session_events();
        Ok(connection)
    }

    /// One message from the client: a request becomes a [`ServerConnectionEvent::Request`],
    /// anything invalid a [`ServerConnectionEvent::Refused`] (answered with an `error`
    /// message, or the connection closes).
    ///
    /// # Errors
    /// [`InputError::Closed`] once the connection is closed for input (see
    /// [Closing](Self#closing)); [`InputError::Backpressure`] while
    /// [`SocketLimits::max_queued_events`] events wait: drain [`poll_event`](Self::poll_event)
    /// and hand the message over again.
    pub fn handle_message(&mut self, message: Incoming<'_>) -> Result<(), InputError> {
        self.check_input()?;
        let max = self.max_queued_events();
        if self.events.len() >= max {
            return Err(InputError::Backpressure { max });
        }
        match ClientMessage::decode_with_id(message, &self.limits) {
            Ok(request) => {
                let id = request.request().clone();
                if self.in_flight.contains_key(&id) {
                    // Answering with the id would look like the original request failing.
                    self.refuse(None, EnvelopeError::DuplicateRequest { id: id.to_string() });
                } else if self.in_flight.len() >= self.limits.max_in_flight {
                    let max = self.limits.max_in_flight;
                    self.refuse(Some(id), EnvelopeError::TooManyInFlight { max });
                } else {
                    self.in_flight.insert(
                        id,
                        InFlight {
                            kind: request.kind(),
                            accepted: false,
                        },
                    );
                    self.events
                        .push_back(ServerConnectionEvent::Request(request));
                }
            }
            Err((request, error)) => self.refuse(request, error),
        }
        Ok(())
    }

    /// The client's Close frame arrived (`None`: it carried no code). The stream ends at once;
    /// requests in flight are forgotten (their answers are refused with
    /// [`ResponseError::Closed`]) and nothing more is transmitted.
    ///
    /// # Errors
    /// [`InputError::Closed`] if the connection was already closed for input.
    pub fn handle_close(&mut self, frame: Option<CloseFrame>) -> Result<(), InputError> {
        self.check_input()?;
        // The code is the peer's business: this side stops either way.
        drop(frame);
        self.end();
        Ok(())
    }

    /// The transport ended (the TCP connection closed or broke). As
    /// [`handle_close`](Self::handle_close).
    ///
    /// # Errors
    /// [`InputError::Closed`] if the connection was already closed for input.
    pub fn handle_end(&mut self) -> Result<(), InputError> {
        self.check_input()?;
        self.end();
        Ok(())
    }

    fn end(&mut self) {
        self.session.finish(None);
        self.in_flight.clear();
        self.out.clear();
        self.out_bytes = 0;
        self.closed = true;
    }

    fn check_input(&self) -> Result<(), InputError> {
        if self.close.is_some() || self.closed {
            Err(InputError::Closed)
        } else {
            Ok(())
        }
    }

    fn max_queued_events(&self) -> usize {
        self.limits.max_queued_events.max(1)
    }

    fn refuse(&mut self, request: Option<RequestId>, error: EnvelopeError) {
        if let Some(code) = error.close_code() {
            self.start_close(code, "message too big");
        } else {
            let answer = ServerMessage::Error {
                request: request.clone(),
                status: error.status(),
                message: error.to_string(),
            };
            if self.queue(answer.to_frame()).is_err() {
                self.start_close(CloseCode::POLICY_VIOLATION, "too many unanswered messages");
            }
        }
        self.events
            .push_back(ServerConnectionEvent::Refused { request, error });
    }

    fn start_close(&mut self, code: CloseCode, reason: &str) {
        if self.close.is_none() {
            self.session.finish(None);
            self.close = Some(Outgoing::Close {
                code,
                reason: reason.to_owned(),
            });
        }
    }

    fn queue(&mut self, frame: Outgoing) -> Result<(), ResponseError> {
        if self.closed || self.close.is_some() {
            return Err(ResponseError::Closed);
        }
        if self.out_bytes + frame.len() > self.limits.max_queued_bytes {
            return Err(ResponseError::QueueFull {
                max: self.limits.max_queued_bytes,
            });
        }
        self.out_bytes += frame.len();
        self.out.push_back(frame);
        Ok(())
    }

    /// Checks that `request` is in flight and may get `answer`; `finishes` removes it.
    fn answer(
        &mut self,
        request: &RequestId,
        answer: &'static str,
        fits: impl Fn(InFlight) -> bool,
        message: &ServerMessage,
        finishes: bool,
    ) -> Result<(), ResponseError> {
        let state = *self
            .in_flight
            .get(request)
            .ok_or_else(|| ResponseError::UnknownRequest {
                id: request.to_string(),
            })?;
        if !fits(state) {
            return Err(ResponseError::WrongAnswer {
                id: request.to_string(),
                answer,
                request: state.kind,
                state: if state.accepted {
                    "accepted"
                } else {
                    "pending"
                },
            });
        }
        self.queue(message.to_frame())?;
        if finishes {
            self.in_flight.remove(request);
        } else if let Some(entry) = self.in_flight.get_mut(request) {
            entry.accepted = true;
        }
        Ok(())
    }

    /// Answers an `outbox` request: the ids assigned to the activity and its object.
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not a pending `outbox`, or the queue is full.
    pub fn accept(
        &mut self,
        request: &RequestId,
        activity: &str,
        object: Option<&str>,
    ) -> Result<(), ResponseError> {
        let message = ServerMessage::Accepted {
            request: request.clone(),
            activity: activity.to_owned(),
            object: object.map(str::to_owned),
        };
        self.answer(
            request,
            "accepted",
            |s| s.kind == "outbox" && !s.accepted,
            &message,
            false,
        )
    }

    /// Reports delivery progress of an accepted `outbox` post to one recipient.
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not an accepted `outbox`, or the queue is full.
    pub fn delivery(
        &mut self,
        request: &RequestId,
        recipient: &str,
        status: DeliveryStatus,
        detail: Option<&str>,
    ) -> Result<(), ResponseError> {
        let message = ServerMessage::Delivery {
            request: request.clone(),
            recipient: recipient.to_owned(),
            status,
            detail: detail.map(str::to_owned),
        };
        self.answer(
            request,
            "delivery",
            |s| s.kind == "outbox" && s.accepted,
            &message,
            false,
        )
    }

    /// Done sending an accepted `outbox` post; the request is finished.
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not an accepted `outbox`, or the queue is full.
    pub fn done(
        &mut self,
        request: &RequestId,
        delivered: u64,
        failed: u64,
    ) -> Result<(), ResponseError> {
        let message = ServerMessage::Done {
            request: request.clone(),
            delivered,
            failed,
        };
        self.answer(
            request,
            "done",
            |s| s.kind == "outbox" && s.accepted,
            &message,
            true,
        )
    }

    /// Answers a `proxy` request with the object.
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not a pending `proxy`, or the queue is full.
    pub fn proxied(&mut self, request: &RequestId, object: Json) -> Result<(), ResponseError> {
        let message = ServerMessage::Proxied {
            request: request.clone(),
            object,
        };
        self.answer(request, "proxied", |s| s.kind == "proxy", &message, true)
    }

    /// Answers a `store` request with the blob's URL.
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not a pending `store`, or the queue is full.
    pub fn stored(&mut self, request: &RequestId, url: &str) -> Result<(), ResponseError> {
        let message = ServerMessage::Stored {
            request: request.clone(),
            url: url.to_owned(),
        };
        self.answer(request, "stored", |s| s.kind == "store", &message, true)
    }

    /// Answers a `fetch` request with an object or a blob.
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not a pending `fetch`, or the queue is full.
    pub fn fetched(&mut self, request: &RequestId, body: Fetched) -> Result<(), ResponseError> {
        let message = ServerMessage::Fetched {
            request: request.clone(),
            body,
        };
        self.answer(request, "fetched", |s| s.kind == "fetch", &message, true)
    }

    /// Fails any request in flight (an `outbox` post may fail before or after `accepted`).
    ///
    /// # Errors
    /// [`ResponseError`] if the request is not in flight, or the queue is full.
    pub fn fail(
        &mut self,
        request: &RequestId,
        status: u16,
        message: &str,
    ) -> Result<(), ResponseError> {
        let answer = ServerMessage::Error {
            request: Some(request.clone()),
            status,
            message: message.to_owned(),
        };
        self.answer(request, "error", |_| true, &answer, true)
    }

    /// Closes the connection with `code` ([`CloseCode::GOING_AWAY`] on shutdown) and
    /// `reason`, after an optional last status (e.g.
    /// [`Meta::Restart`](crate::c2s::item::Meta::Restart)). Queued answers are still sent;
    /// stream items not yet sent are not. Does nothing once the connection is closing or
    /// closed.
    pub fn close(
        &mut self,
        code: CloseCode,
        reason: impl Into<String>,
        last: Option<&crate::c2s::item::Meta>,
    ) {
        if self.close.is_none() && !self.closed {
            self.session.finish(last);
            self.close = Some(Outgoing::Close {
                code,
                reason: reason.into(),
            });
        }
    }

    /// The next frame to send: queued answers first, then stream items and keep-alive pings,
    /// then (once) a [`Outgoing::Close`] if the connection ends.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, feed: &Feed) -> Option<Outgoing> {
        if self.closed {
            return None;
        }
        if let Some(frame) = self.out.pop_front() {
            self.out_bytes -= frame.len();
            return Some(frame);
        }
        let transmit = self.session.poll_transmit(now, feed);
        self.collect_session_events();
        match transmit {
            Some(Transmit::Text(bytes) | Transmit::Body(bytes)) => Some(Outgoing::Text(bytes)),
            Some(Transmit::Ping) => Some(Outgoing::Ping),
            None => {
                if self.session.is_closed() && self.close.is_none() {
                    self.close = Some(Outgoing::Close {
                        code: CloseCode::TRY_AGAIN_LATER,
                        reason: "slow consumer: reconnect and catch up".to_owned(),
                    });
                }
                let close = self.close.take()?;
                self.closed = true;
                Some(close)
            }
        }
    }

    /// Moves the session's events (at most two ever) into the queue, while it has room.
    fn collect_session_events(&mut self) {
        while self.events.len() < self.max_queued_events()
            && let Some(event) = self.session.poll_event()
        {
            self.events.push_back(ServerConnectionEvent::Stream(event));
        }
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerConnectionEvent> {
        let event = self.events.pop_front();
        self.collect_session_events();
        event.or_else(|| self.events.pop_front())
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) (keep-alive pings, queue checks).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            None
        } else {
            self.session.poll_timeout()
        }
    }

    /// Call at [`poll_timeout`](Self::poll_timeout) (spurious calls do nothing).
    ///
    /// # Errors
    /// [`InputError::Closed`] once the connection is closed for input.
    pub fn handle_timeout(&mut self, now: Instant, feed: &Feed) -> Result<(), InputError> {
        self.check_input()?;
        // The session is open while the connection is: it cannot refuse.
        let _open = self.session.handle_timeout(now, feed);
        self.collect_session_events();
        Ok(())
    }

    /// Whether there is something to send now.
    #[must_use]
    pub fn has_pending(&self, feed: &Feed) -> bool {
        !self.closed
            && (!self.out.is_empty()
                || self.close.is_some()
                || self.session.has_pending(feed)
                || self.session.is_closed())
    }

    /// Requests in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether the connection is over: its Close was handed out, or the peer's Close or the
    /// end of the transport was handled.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The stream session.
    #[must_use]
    pub fn session(&self) -> &Session {
        &self.session
    }
}
