//! [`ClientConnection`]: the client side of one WebSocket C2S connection.

use std::collections::{HashMap, VecDeque};
use web_time::Instant;

use bytes::Bytes;

use crate::c2s::client::Dedup;
use crate::c2s::item::{CatchUp, ItemId, Json, Meta, StreamEvent};
use crate::close::{CloseCode, CloseFrame};
use crate::input::InputError;

use super::envelope::{Incoming, Outgoing};
use super::error::{EnvelopeError, RequestError};
use super::limits::SocketLimits;
use super::message::{Blob, ClientMessage, RequestId, ServerMessage};

/// What happened on a [`ClientConnection`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientConnectionEvent {
    /// A collection item the server pushed (never one already delivered).
    Item(StreamEvent),
    /// Fetch missed items from [`CatchUp::url`].
    CatchUp(CatchUp),
    /// Another server status.
    Meta(Meta),
    /// A pushed item that was already delivered, dropped.
    Duplicate {
        /// Its id.
        id: ItemId,
    },
    /// An answer to one of our requests: [`ServerMessage::Accepted`],
    /// [`ServerMessage::Delivery`], [`ServerMessage::Done`], [`ServerMessage::Proxied`],
    /// [`ServerMessage::Stored`], [`ServerMessage::Fetched`], or [`ServerMessage::Error`] with
    /// its request id (the request failed). [`ServerMessage::request`] names the request.
    Answer(ServerMessage),
    /// The server reported an error not tied to a request of ours.
    ServerError {
        /// The server's status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// A request got no (first) answer within [`SocketLimits::request_timeout`]; it is forgotten.
    TimedOut {
        /// The request.
        request: RequestId,
    },
    /// The server sent something invalid (ignored), or an answer to no request of ours.
    Malformed(EnvelopeError),
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    kind: &'static str,
    /// An `outbox` post got its `accepted`.
    accepted: bool,
    /// When the first answer is due; `None` once accepted (delivery may take days), or if the
    /// timeout is beyond what `Instant` can represent.
    deadline: Option<Instant>,
}

/// The sans-IO client side of one WebSocket C2S connection: sends requests with fresh
/// request ids and tracks them to their answers (with timeouts), receives pushed items
/// (dropping repeats) and statuses.
///
/// Request ids are `1`, `2`, … per connection. A request stays in flight until its answer
/// (`outbox`: until `done` or `error`; the timeout applies until `accepted`).
///
/// # Drain order
/// After each request and [`handle_message`](Self::handle_message): drain
/// [`poll_transmit`](Self::poll_transmit), then [`poll_event`](Self::poll_event); call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
///
/// # Closing and bounds
/// The connection is closed for input once it closed itself ([`close`](Self::close)), once
/// the server's Close frame was handed to [`handle_close`](Self::handle_close), or once the
/// transport ended ([`handle_end`](Self::handle_end)): every `handle_*` then returns
/// [`InputError::Closed`], requests in flight are forgotten and new ones are refused with
/// [`RequestError::Closed`]. At most [`SocketLimits::max_in_flight`] requests wait for
/// answers, [`SocketLimits::max_queued_bytes`] of requests for
/// [`poll_transmit`](Self::poll_transmit), and [`SocketLimits::max_queued_events`] events
/// for [`poll_event`](Self::poll_event) (beyond them `handle_message` returns
/// [`InputError::Backpressure`] without taking the message).
///
/// ```
/// use std::time::Instant;
/// use fedi_stream::c2s::item::Json;
/// use fedi_stream::c2s::socket::{ClientConnection, ClientConnectionEvent, SocketLimits, Incoming};
///
/// let now = Instant::now();
/// let mut client = ClientConnection::new(SocketLimits::default());
/// let request = client.outbox(now, Json::from_bytes(r#"{"type":"Note","content":"hi"}"#)?)?;
/// let frame = client.poll_transmit().unwrap();
/// assert_eq!(frame.bytes().unwrap(), &br#"{"type":"outbox","id":"1","data":{"type":"Note","content":"hi"}}"#[..]);
///
/// client.handle_message(Incoming::Text(r#"{"type":"accepted","id":"1","data":{"activity":"https://h.example/a/1"}}"#))?;
/// let Some(ClientConnectionEvent::Answer(answer)) = client.poll_event() else { panic!() };
/// assert_eq!(answer.request(), Some(&request));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientConnection {
    limits: SocketLimits,
    next_request: u64,
    pending: HashMap<RequestId, Pending>,
    out: VecDeque<Outgoing>,
    out_bytes: usize,
    events: VecDeque<ClientConnectionEvent>,
    seen: Dedup,
    last_id: Option<ItemId>,
    /// Closed for input (and for new requests).
    closed: bool,
}

impl ClientConnection {
    /// A connection with `limits`, remembering [`Dedup::DEFAULT_CAPACITY`] item ids.
    #[must_use]
    pub fn new(limits: SocketLimits) -> Self {
        Self {
            limits,
            next_request: 1,
            pending: HashMap::new(),
            out: VecDeque::new(),
            out_bytes: 0,
            events: VecDeque::new(),
            seen: Dedup::default(),
            last_id: None,
            closed: false,
        }
    }

    /// Carries the de-duplication memory and last id over from the previous connection (a
    /// reconnect): pass `previous.into_resume()`.
    #[must_use]
    pub fn resuming(mut self, resume: (Dedup, Option<ItemId>)) -> Self {
        (self.seen, self.last_id) = resume;
        self
    }

    /// What a reconnect needs: the de-duplication memory and the last item id (send it as
    /// `?last_event_id=` on the next upgrade request).
    #[must_use]
    pub fn into_resume(self) -> (Dedup, Option<ItemId>) {
        (self.seen, self.last_id)
    }

    fn send(
        &mut self,
        now: Instant,
        build: impl FnOnce(RequestId) -> ClientMessage,
    ) -> Result<RequestId, RequestError> {
        if self.closed {
            return Err(RequestError::Closed);
        }
        if self.pending.len() >= self.limits.max_in_flight {
            return Err(RequestError::TooManyInFlight {
                max: self.limits.max_in_flight,
            });
        }
        let request = RequestId::from_counter(self.next_request);
        let message = build(request.clone());
        let frame = message.to_frame();
        let (limit, max) = match frame {
            Outgoing::Binary(_) => ("max_binary_message", self.limits.max_binary_message),
            _ => ("max_text_message", self.limits.max_text_message),
        };
        if frame.len() > max {
            return Err(RequestError::TooLarge {
                limit,
                size: frame.len(),
                max,
            });
        }
        if self.out_bytes + frame.len() > self.limits.max_queued_bytes {
            return Err(RequestError::QueueFull {
                max: self.limits.max_queued_bytes,
            });
        }
        self.next_request += 1;
        self.out_bytes += frame.len();
        self.out.push_back(frame);
        self.pending.insert(
            request.clone(),
            Pending {
                kind: message.kind(),
                accepted: false,
                deadline: now.checked_add(self.limits.request_timeout),
            },
        );
        Ok(request)
    }

    /// Posts `activity` to the outbox.
    ///
    /// # Errors
    /// [`RequestError`] beyond the in-flight, queue or size limits.
    pub fn outbox(&mut self, now: Instant, activity: Json) -> Result<RequestId, RequestError> {
        self.send(now, |request| ClientMessage::Outbox { request, activity })
    }

    /// Asks the server for the object at `uri`.
    ///
    /// # Errors
    /// [`RequestError`] beyond the in-flight, queue or size limits.
    pub fn proxy(&mut self, now: Instant, uri: &str) -> Result<RequestId, RequestError> {
        let object = uri.to_owned();
        self.send(now, |request| ClientMessage::Proxy { request, object })
    }

    /// Stores a blob on the server (sent as a binary message).
    ///
    /// # Errors
    /// [`RequestError`] beyond the limits or for an empty media type or one with control
    /// characters.
    pub fn store(
        &mut self,
        now: Instant,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<RequestId, RequestError> {
        if media_type.is_empty()
            || media_type.len() > 255
            || media_type.bytes().any(|b| b.is_ascii_control())
        {
            return Err(RequestError::InvalidMediaType(media_type.to_owned()));
        }
        let blob = Blob {
            media_type: media_type.to_owned(),
            bytes,
        };
        self.send(now, |request| ClientMessage::Store { request, blob })
    }

    /// Fetches the blob or object at `url`.
    ///
    /// # Errors
    /// [`RequestError`] beyond the in-flight, queue or size limits.
    pub fn fetch(&mut self, now: Instant, url: &str) -> Result<RequestId, RequestError> {
        let url = url.to_owned();
        self.send(now, |request| ClientMessage::Fetch { request, url })
    }

    /// One message from the server.
    ///
    /// # Errors
    /// [`InputError::Closed`] once the connection is closed for input;
    /// [`InputError::Backpressure`] while [`SocketLimits::max_queued_events`] events wait:
    /// drain [`poll_event`](Self::poll_event) and hand the message over again.
    pub fn handle_message(&mut self, message: Incoming<'_>) -> Result<(), InputError> {
        self.check_input()?;
        let max = self.max_queued_events();
        if self.events.len() >= max {
            return Err(InputError::Backpressure { max });
        }
        self.read(message);
        Ok(())
    }

    /// Closes the connection: queues an [`Outgoing::Close`] with `code` and `reason` after
    /// the requests already queued, and forgets the requests in flight.
    ///
    /// # Errors
    /// [`RequestError::Closed`] if the connection is already closed.
    pub fn close(
        &mut self,
        code: CloseCode,
        reason: impl Into<String>,
    ) -> Result<(), RequestError> {
        if self.closed {
            return Err(RequestError::Closed);
        }
        self.end();
        self.out.push_back(Outgoing::Close {
            code,
            reason: reason.into(),
        });
        Ok(())
    }

    /// The server's Close frame arrived (`None`: it carried no code): requests in flight are
    /// forgotten, and nothing more is transmitted (the WebSocket layer answers the Close).
    ///
    /// # Errors
    /// [`InputError::Closed`] if the connection was already closed for input.
    pub fn handle_close(&mut self, frame: Option<CloseFrame>) -> Result<(), InputError> {
        self.check_input()?;
        // Whatever the code, the connection is over; the host reconnects if it wants to.
        drop(frame);
        self.end();
        self.out.clear();
        self.out_bytes = 0;
        Ok(())
    }

    /// The transport ended (the TCP connection closed or broke). As
    /// [`handle_close`](Self::handle_close).
    ///
    /// # Errors
    /// [`InputError::Closed`] if the connection was already closed for input.
    pub fn handle_end(&mut self) -> Result<(), InputError> {
        self.handle_close(None)
    }

    fn end(&mut self) {
        self.closed = true;
        self.pending.clear();
    }

    fn check_input(&self) -> Result<(), InputError> {
        if self.closed {
            Err(InputError::Closed)
        } else {
            Ok(())
        }
    }

    fn max_queued_events(&self) -> usize {
        self.limits.max_queued_events.max(1)
    }

    /// Decodes one message and queues the event it causes (at most one).
    fn read(&mut self, message: Incoming<'_>) {
        let message = match ServerMessage::decode(message, &self.limits) {
            Ok(message) => message,
            Err(error) => {
                self.events
                    .push_back(ClientConnectionEvent::Malformed(error));
                return;
            }
        };
        let event = match message {
            ServerMessage::Item(item) => {
                if let Some(id) = item.id() {
                    if !self.seen.insert(id) {
                        self.events
                            .push_back(ClientConnectionEvent::Duplicate { id: id.clone() });
                        return;
                    }
                    self.last_id = Some(id.clone());
                }
                ClientConnectionEvent::Item(item)
            }
            ServerMessage::Meta(Meta::CatchUp(catch_up)) => {
                ClientConnectionEvent::CatchUp(catch_up)
            }
            ServerMessage::Meta(Meta::Position { last_event_id }) => {
                // The stream's opening position: what to resume from if no item arrives.
                self.last_id = Some(last_event_id);
                return;
            }
            ServerMessage::Meta(meta) => ClientConnectionEvent::Meta(meta),
            ServerMessage::Error {
                request: None,
                status,
                message,
            } => ClientConnectionEvent::ServerError { status, message },
            answer => match self.correlate(answer) {
                Ok(event) => event,
                Err(error) => ClientConnectionEvent::Malformed(error),
            },
        };
        self.events.push_back(event);
    }

    /// Matches an answer to its request and updates the request's state.
    fn correlate(&mut self, answer: ServerMessage) -> Result<ClientConnectionEvent, EnvelopeError> {
        let Some(request) = answer.request().cloned() else {
            return Err(EnvelopeError::UnknownType {
                kind: answer.kind().to_owned(),
            });
        };
        let kind = answer.kind();
        let pending = self.pending.get(&request).copied();
        let fits = pending.is_some_and(|p| match kind {
            "accepted" => p.kind == "outbox" && !p.accepted,
            "delivery" | "done" => p.kind == "outbox" && p.accepted,
            "proxied" => p.kind == "proxy",
            "stored" => p.kind == "store",
            "fetched" => p.kind == "fetch",
            _ => true,
        });
        if !fits {
            return Err(EnvelopeError::InvalidData {
                kind,
                reason: format!(
                    "no {} request {request} is waiting for it",
                    pending.map_or("", |p| p.kind)
                ),
            });
        }
        match kind {
            "accepted" => {
                if let Some(p) = self.pending.get_mut(&request) {
                    p.accepted = true;
                    p.deadline = None;
                }
            }
            "delivery" => {}
            _ => {
                self.pending.remove(&request);
            }
        }
        Ok(ClientConnectionEvent::Answer(answer))
    }

    /// Call at [`poll_timeout`](Self::poll_timeout) (spurious calls do nothing): requests
    /// past their deadline are reported as [`ClientConnectionEvent::TimedOut`] and
    /// forgotten, oldest first, as many as the event queue has room for; the others are
    /// reported at the next call ([`poll_timeout`](Self::poll_timeout) stays due).
    ///
    /// # Errors
    /// [`InputError::Closed`] once the connection is closed for input.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), InputError> {
        self.check_input()?;
        let room = self.max_queued_events().saturating_sub(self.events.len());
        let mut expired: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.deadline.is_some_and(|deadline| now >= deadline))
            .map(|(request, _)| request.clone())
            .collect();
        expired.sort_by_key(|request| request.as_str().parse::<u64>().unwrap_or(u64::MAX));
        for request in expired.into_iter().take(room) {
            self.pending.remove(&request);
            self.events
                .push_back(ClientConnectionEvent::TimedOut { request });
        }
        Ok(())
    }

    /// The earliest request deadline.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending
            .values()
            .filter_map(|pending| pending.deadline)
            .min()
    }

    /// The next frame to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        let frame = self.out.pop_front()?;
        self.out_bytes -= frame.len();
        Some(frame)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientConnectionEvent> {
        self.events.pop_front()
    }

    /// Requests in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// The last pushed item id (for `?last_event_id=` when reconnecting).
    #[must_use]
    pub fn last_id(&self) -> Option<&ItemId> {
        self.last_id.as_ref()
    }
}
