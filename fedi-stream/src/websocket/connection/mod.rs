//! The connection machine: bytes in, events and bytes out, for either role, after the opening
//! handshake.

mod receive;
mod recycle;
mod send;

use std::collections::VecDeque;
use std::fmt;

use super::frame::Role;
use super::limits::Limits;
use super::message::{ControlPayload, DataKind, Event};
use super::utf8::Utf8Validator;
use crate::close::CloseCode;
use crate::input::InputError;
use crate::random::SplitMix64;
use receive::Reader;

/// Where a connection is in the closing handshake (RFC 6455 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Both directions are open.
    Open,
    /// This endpoint sent its Close frame (by [`Connection::close`]) and waits for the
    /// peer's. Incoming messages are still delivered; nothing more can be sent.
    CloseSent,
    /// The peer's Close was read (and this endpoint's answer queued, unless it sent its Close
    /// first), the connection failed (its Close queued), or the transport ended: nothing more
    /// is read or sent by the application. Once [`Connection::poll_transmit`] has nothing
    /// left, a server closes the TCP connection; a client waits a little for the server to do
    /// so (RFC 6455 §7.1.1).
    Closed,
}

/// A sans-IO RFC 6455 WebSocket connection, for a client or a server, from the first byte
/// after the opening handshake.
///
/// # Inputs
/// - [`handle_bytes`](Self::handle_bytes): bytes read from the transport, in any chunking.
///   It returns how many it consumed: fewer than given when
///   [`Limits::max_queued_events`] events wait (drain them and hand over the rest).
/// - [`handle_end`](Self::handle_end): the transport reached its end.
/// - `send_*` and [`close`](Self::close): frames the application sends; they are written
///   straight into the caller's buffer (after any pending automatic frame, so frames keep
///   their order).
///
/// Once the connection is closed for input (the peer's Close frame was read, it failed, the
/// transport ended, or [`State::Closed`]), both inputs return [`InputError::Closed`].
///
/// # Outputs, and the order to drain them
/// After every input (the one order of the crate family's sans-IO contract):
/// 1. [`poll_transmit`](Self::poll_transmit): the frames the connection sends by itself
///    (Pongs answering Pings, the Close answering a Close or reporting a failure). Write
///    them to the transport.
/// 2. [`poll_event`](Self::poll_event) until `None`: messages, pings, pongs, the peer's close,
///    a failure.
/// 3. [`state`](Self::state): once [`State::Closed`] and nothing is left to transmit, close the
///    transport.
///
/// The connection's own answers are queued as soon as the frame that causes them is read:
/// a Pong when its Ping is read; the Close echoing the peer's Close when that Close is read;
/// the Close carrying a failure's code when the failure is found. At that moment the state
/// becomes [`State::Closed`], so an application that reads several messages and the peer's
/// Close in one [`handle_bytes`](Self::handle_bytes) can no longer answer those messages:
/// the closing handshake has already been answered (RFC 6455 §5.5.1 lets an endpoint send
/// its Close after the messages it is still sending, and this engine does not hold the
/// answer back). A host that wants to answer each message first sets
/// [`Limits::max_queued_events`] to 1: `handle_bytes` then stops after every event, and the
/// host replies before it feeds the rest.
///
/// # What it enforces
/// Masking by role, RSV bits (no extensions are negotiated), reserved opcodes, control frames
/// of at most 125 bytes and never fragmented, the fragmentation sequence (control frames may
/// be interleaved), UTF-8 of text checked as it arrives (fail fast, also across fragments and
/// across calls), close codes and reasons, and [`Limits`]. A violation queues a Close with
/// 1002, 1007 or 1009 and reports [`Event::Failed`]; after it, input is refused.
///
/// # Memory
/// Binary payload is unmasked straight into the message buffer. Masked text is unmasked while
/// it is copied (one pass) into a scratch buffer of at most 8 KiB + 3 bytes, allocated once
/// per connection and reused, validated there while it is in the cache and appended to the
/// message; unmasked text (a client's input) is validated where it lies in the input. No
/// per-frame buffer, no per-frame allocation: the message buffer is handed out as the
/// message, so each message is one allocation of its own size. The buffer never holds more
/// than [`Limits::max_message_size`]. At most [`Limits::max_queued_events`] events wait for
/// [`poll_event`](Self::poll_event), at most [`Limits::max_pending_pongs`] automatic Pongs
/// (for the latest Pings; older ones are dropped, as RFC 6455 §5.5.3 allows) and one Close
/// wait in [`poll_transmit`](Self::poll_transmit).
///
/// # Time and randomness
/// The engine has no timers: a host that wants a closing-handshake timeout or keep-alive pings
/// runs its own clock. A client needs a fresh, unpredictable masking key for every frame: it
/// draws them from a generator seeded by [`Connection::client`].
///
/// ```
/// use fedi_stream::websocket::{Connection, Event, Limits, Message, State};
///
/// let mut server = Connection::server(Limits::default());
/// let mut client = Connection::client(Limits::default(), 0x5eed); // a CSPRNG seed in production
///
/// let mut wire = Vec::new();
/// client.send_text("hello", &mut wire)?;
/// client.send_ping(b"are you there?", &mut wire)?;
///
/// assert_eq!(server.handle_bytes(&wire)?, wire.len());
/// let mut reply = Vec::new();
/// assert!(server.poll_transmit(&mut reply).is_some()); // the automatic Pong, first
/// assert_eq!(server.poll_event(), Some(Event::Message(Message::text("hello"))));
/// assert!(matches!(server.poll_event(), Some(Event::Ping(p)) if p.as_slice() == b"are you there?"));
/// assert_eq!(server.poll_event(), None);
///
/// client.handle_bytes(&reply)?;
/// assert!(matches!(client.poll_event(), Some(Event::Pong(_))));
/// assert_eq!(client.state(), State::Open);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Connection {
    role: Role,
    limits: Limits,
    /// The masking-key generator of a client; `None` for a server.
    masks: Option<SplitMix64>,
    state: State,
    reader: Reader,
    events: VecDeque<Event>,
    /// Pongs answering the latest Pings, not yet transmitted.
    pending_pongs: VecDeque<ControlPayload>,
    /// The peer's Close or a failure has been read, or the transport ended: input is refused.
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
    /// with a fresh key drawn from a SplitMix64 generator started at `seed`.
    ///
    /// `seed` must come from a cryptographically secure generator (such as `getrandom`) and
    /// stay secret. RFC 6455 §10.3 requires the masking keys to be unpredictable to the
    /// application that supplies the payload, so that it cannot choose the bytes that appear
    /// on the wire (and poison an intermediary's cache). That application never sees the seed
    /// nor the frames as written, so a secret random seed makes every key unpredictable to
    /// it. SplitMix64 is not a cryptographic generator: an observer of the wire who reads
    /// keys could predict later ones, which §10.3 does not guard against (masking is not
    /// confidentiality; TLS is).
    #[must_use]
    pub fn client(limits: Limits, seed: u64) -> Self {
        Self::new(Role::Client, limits, Some(SplitMix64::new(seed)))
    }

    fn new(role: Role, limits: Limits, masks: Option<SplitMix64>) -> Self {
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

    /// The events waiting for [`poll_event`](Self::poll_event) (at most
    /// [`Limits::max_queued_events`]).
    #[must_use]
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// The number of bytes given to [`handle_bytes`](Self::handle_bytes) and processed so far.
    /// Bytes after the peer's Close frame or after a failure are not counted.
    #[must_use]
    pub const fn bytes_received(&self) -> u64 {
        self.reader.position()
    }

    /// The next event, in the order the peer's frames caused them. Polling changes nothing
    /// else: the answers the events call for were queued when their frames were read.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Writes the frames the connection owes the peer, if any, into `out`: the Pongs for the
    /// latest Pings, then the Close (a reply to the peer's Close, or the close code of a
    /// failure). Returns the number of bytes written, or `None` if nothing was pending.
    ///
    /// Call it first after every input, before draining [`poll_event`](Self::poll_event).
    /// The `send_*` methods also write these frames first, so they are never sent out of
    /// order.
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
    /// The connection reports [`Event::Failed`] with
    /// [`ProtocolError::UnexpectedEof`](super::ProtocolError::UnexpectedEof) (close code 1006,
    /// which is never sent), drops whatever was still to be transmitted and becomes
    /// [`State::Closed`].
    ///
    /// # Errors
    /// [`InputError::Closed`] if the connection was already closed for input (the peer's
    /// Close was read, it failed, the transport ended before, or [`State::Closed`]): the
    /// closing handshake (or the failure) already ended it, so the end of the transport
    /// reports nothing.
    pub fn handle_end(&mut self) -> Result<(), InputError> {
        self.check_input()?;
        let error = super::ProtocolError::UnexpectedEof {
            mid_frame: self.reader.mid_frame(),
        };
        let frame_start = self.reader.position();
        self.events.push_back(Event::Failed { error, frame_start });
        self.input_closed = true;
        self.state = State::Closed;
        self.pending_pongs.clear();
        self.pending_close = None;
        Ok(())
    }

    fn check_input(&self) -> Result<(), InputError> {
        if self.input_closed || self.state == State::Closed {
            Err(InputError::Closed)
        } else {
            Ok(())
        }
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
