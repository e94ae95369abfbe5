//! The connection machine: bytes in, events and bytes out, for either role, after the opening
//! handshake.

mod receive;
mod send;

use std::collections::VecDeque;
use std::fmt;

use super::close::CloseCode;
use super::frame::Role;
use super::limits::Limits;
use super::message::{ControlPayload, DataKind, Event};
use super::utf8::Utf8Validator;
use receive::Reader;

/// Where a connection is in the closing handshake (RFC 6455 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Both directions are open.
    Open,
    /// This endpoint sent its Close frame (by [`Connection::close`]) and waits for the
    /// peer's. Incoming messages are still delivered; nothing more can be sent.
    CloseSent,
    /// [`Connection::poll_event`] has handed out the peer's Close or a failure: the closing
    /// handshake is complete (or the connection failed, or the transport ended) and nothing
    /// more can be sent. Once [`Connection::poll_transmit`] has nothing left, a server closes
    /// the TCP connection; a client waits a little for the server to do so (RFC 6455 §7.1.1).
    Closed,
}

/// A sans-IO RFC 6455 WebSocket connection, for a client or a server, from the first byte
/// after the opening handshake.
///
/// # Inputs
/// - [`handle_bytes`](Self::handle_bytes): bytes read from the transport, in any chunking.
/// - [`handle_eof`](Self::handle_eof): the transport reached its end.
/// - `send_*` and [`close`](Self::close): frames the application sends; they are written
///   straight into the caller's buffer (after any pending automatic frame, so frames keep
///   their order).
///
/// # Outputs, and the order to drain them
/// After every input:
/// 1. [`poll_event`](Self::poll_event) until `None`: messages, pings, pongs, the peer's close,
///    a failure. Replies the application sends while handling them go out in that order.
/// 2. [`poll_transmit`](Self::poll_transmit): the frames the connection sends by itself
///    (Pongs answering Pings, the Close answering a Close or reporting a failure). Write
///    them to the transport.
/// 3. [`state`](Self::state): once [`State::Closed`] and nothing is left to transmit, close the
///    transport.
///
/// Events take effect when they are polled, as if the application read the frames one by
/// one: the Close answering the peer's Close or a failure is queued, and the state becomes
/// [`State::Closed`], when `poll_event` hands out that [`Event::Close`] or [`Event::Failed`].
/// So replies to the messages that arrived before it still go out before the Close (as
/// Autobahn cases 3.3 or 5.15 expect), even when all of it came in one read. Pongs are queued
/// as soon as their Ping is read.
///
/// # What it enforces
/// Masking by role, RSV bits (no extensions are negotiated), reserved opcodes, control frames
/// of at most 125 bytes and never fragmented, the fragmentation sequence (control frames may
/// be interleaved), UTF-8 of text checked as it arrives (fail fast, also across fragments and
/// across calls), close codes and reasons, and [`Limits`]. A violation queues a Close with
/// 1002, 1007 or 1009 and reports [`Event::Failed`]; after it, input is ignored.
///
/// # Memory
/// Incoming payload is unmasked straight into the message buffer (no per-frame buffer, no
/// per-frame allocation); the buffer is handed out as the message, so each message is one
/// allocation of its own size. The buffer never holds more than
/// [`Limits::max_message_size`]. Undrained events hold what the input since the last drain
/// carried: drain [`poll_event`](Self::poll_event) after every
/// [`handle_bytes`](Self::handle_bytes). At most [`Limits::max_pending_pongs`] automatic
/// Pongs (for the latest Pings; older ones are dropped, as RFC 6455 §5.5.3 allows) and one
/// Close wait in [`poll_transmit`](Self::poll_transmit).
///
/// # Time and randomness
/// The engine has no timers: a host that wants a closing-handshake timeout or keep-alive pings
/// runs its own clock. A client needs a fresh, unpredictable masking key for every frame: it
/// is supplied by the function given to [`Connection::client`].
///
/// ```
/// use fedi_stream::websocket::{Connection, Event, Limits, Message, State};
///
/// let mut server = Connection::server(Limits::default());
/// let mut counter = 0u32;
/// let mut client = Connection::client(Limits::default(), move || {
///     counter += 1; // use a CSPRNG in production
///     counter.to_be_bytes()
/// });
///
/// let mut wire = Vec::new();
/// client.send_text("hello", &mut wire)?;
/// client.send_ping(b"are you there?", &mut wire)?;
///
/// server.handle_bytes(&wire);
/// assert_eq!(server.poll_event(), Some(Event::Message(Message::text("hello"))));
/// assert!(matches!(server.poll_event(), Some(Event::Ping(p)) if p.as_slice() == b"are you there?"));
/// assert_eq!(server.poll_event(), None);
/// let mut reply = Vec::new();
/// assert!(server.poll_transmit(&mut reply).is_some()); // the automatic Pong
///
/// client.handle_bytes(&reply);
/// assert!(matches!(client.poll_event(), Some(Event::Pong(_))));
/// assert_eq!(client.state(), State::Open);
/// # Ok::<(), fedi_stream::websocket::SendError>(())
/// ```
pub struct Connection {
    role: Role,
    limits: Limits,
    /// The masking-key source of a client; `None` for a server.
    masks: Option<Box<dyn FnMut() -> [u8; 4] + Send>>,
    state: State,
    reader: Reader,
    events: VecDeque<Event>,
    /// Pongs answering the latest Pings, not yet transmitted.
    pending_pongs: VecDeque<ControlPayload>,
    /// The peer's Close or a failure has been read: the rest of the input is ignored.
    input_closed: bool,
    /// The Close this endpoint owes (a reply, or a failure's code), not yet transmitted.
    /// `Some(None)` is a Close without a status code.
    pending_close: Option<Option<CloseCode>>,
    /// The kind of the fragmented message this endpoint is sending, if any.
    sending: Option<DataKind>,
    /// UTF-8 state of the text message this endpoint is sending in fragments.
    send_utf8: Utf8Validator,
}

impl Connection {
    /// A server-side connection: it requires masked frames and sends unmasked ones.
    #[must_use]
    pub fn server(limits: Limits) -> Self {
        Self::new(Role::Server, limits, None)
    }

    /// A client-side connection: it requires unmasked frames and masks every frame it sends
    /// with a key from `masks`, called once per frame.
    ///
    /// RFC 6455 §5.3 requires the keys to be unpredictable to the application that supplies
    /// the payload: use a cryptographically secure generator (such as `getrandom`).
    #[must_use]
    pub fn client(limits: Limits, masks: impl FnMut() -> [u8; 4] + Send + 'static) -> Self {
        Self::new(Role::Client, limits, Some(Box::new(masks)))
    }

    fn new(role: Role, limits: Limits, masks: Option<Box<dyn FnMut() -> [u8; 4] + Send>>) -> Self {
        Self {
            role,
            limits,
            masks,
            state: State::Open,
            reader: Reader::new(),
            events: VecDeque::new(),
            pending_pongs: VecDeque::new(),
            input_closed: false,
            pending_close: None,
            sending: None,
            send_utf8: Utf8Validator::new(),
        }
    }

    /// This endpoint's role.
    #[must_use]
    pub const fn role(&self) -> Role {
        self.role
    }

    /// The limits applied to incoming frames and messages.
    #[must_use]
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Where the connection is in the closing handshake.
    #[must_use]
    pub const fn state(&self) -> State {
        self.state
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has a frame to write.
    #[must_use]
    pub fn wants_transmit(&self) -> bool {
        !self.pending_pongs.is_empty() || self.pending_close.is_some()
    }

    /// The bytes of the incoming data message in progress (at most
    /// [`Limits::max_message_size`]).
    #[must_use]
    pub fn buffered_bytes(&self) -> usize {
        self.reader.buffered_bytes()
    }

    /// The number of bytes given to [`handle_bytes`](Self::handle_bytes) and processed so far.
    /// Bytes after the peer's Close frame or after a failure are not counted.
    #[must_use]
    pub const fn bytes_received(&self) -> u64 {
        self.reader.position()
    }

    /// The next event, in the order the peer's frames caused them.
    ///
    /// Handing out [`Event::Close`] or [`Event::Failed`] completes the closing handshake: the
    /// Close this endpoint owes (if it has not sent one) is queued for
    /// [`poll_transmit`](Self::poll_transmit) and the state becomes [`State::Closed`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        match &event {
            Event::Close(frame) => {
                if self.state == State::Open {
                    // Echo the peer's code (RFC 6455 §5.5.1), or send an empty Close for one.
                    self.pending_close = Some(frame.as_ref().map(|f| f.code));
                }
                self.state = State::Closed;
            }
            Event::Failed {
                error: super::ProtocolError::UnexpectedEof { .. },
                ..
            } => {
                // The transport is gone: nothing more can be sent.
                self.state = State::Closed;
                self.pending_pongs.clear();
                self.pending_close = None;
            }
            Event::Failed { error, .. } => {
                if self.state == State::Open {
                    self.pending_close = Some(Some(error.close_code()));
                }
                self.state = State::Closed;
            }
            Event::Message(_) | Event::Ping(_) | Event::Pong(_) => {}
        }
        Some(event)
    }

    /// Writes the frames the connection owes the peer, if any, into `out`: the Pongs for the
    /// latest Pings, then the Close (a reply to the peer's Close, or the close code of a
    /// failure, queued when [`poll_event`](Self::poll_event) handed out that event). Returns
    /// the number of bytes written, or `None` if nothing was pending.
    ///
    /// Call it after draining [`poll_event`](Self::poll_event). The `send_*` methods also
    /// write these frames first, so they are never sent out of order.
    pub fn poll_transmit(&mut self, out: &mut impl bytes::BufMut) -> Option<usize> {
        if !self.wants_transmit() {
            return None;
        }
        let before = out.remaining_mut();
        self.write_pending(out);
        Some(before - out.remaining_mut())
    }

    /// The transport ended (TCP FIN or a read error).
    ///
    /// If neither the peer's Close nor a failure had been read, the connection reports
    /// [`Event::Failed`] with [`ProtocolError::UnexpectedEof`](super::ProtocolError::UnexpectedEof)
    /// (close code 1006, which is never sent); handing it out drops whatever was still to be
    /// transmitted and makes the state [`State::Closed`].
    pub fn handle_eof(&mut self) {
        if !self.input_closed && self.state != State::Closed {
            let error = super::ProtocolError::UnexpectedEof {
                mid_frame: self.reader.mid_frame(),
            };
            let frame_start = self.reader.position();
            self.events.push_back(Event::Failed { error, frame_start });
        }
        self.input_closed = true;
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("limits", &self.limits)
            .field("state", &self.state)
            .field("reader", &self.reader)
            .field("events", &self.events.len())
            .field("pending_pongs", &self.pending_pongs.len())
            .field("input_closed", &self.input_closed)
            .field("pending_close", &self.pending_close)
            .field("sending", &self.sending)
            .finish_non_exhaustive()
    }
}
