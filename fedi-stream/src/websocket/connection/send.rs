//! The sending half: application frames and the frames the connection owes, written into the
//! caller's buffer.

use bytes::BufMut;

use super::{Connection, State};
use crate::close::{CloseCode, CloseFrame};
use crate::websocket::error::SendError;
use crate::websocket::frame::{OpCode, write_frame};
use crate::websocket::message::{ControlPayload, DataKind, Message};
use crate::websocket::utf8::Utf8Validator;

impl Connection {
    /// Writes a text message as one frame into `out`.
    ///
    /// # Errors
    /// [`SendError::Closed`] once a Close has been sent or queued;
    /// [`SendError::MessageInProgress`] while a fragmented message is being sent.
    pub fn send_text(&mut self, text: &str, out: &mut impl BufMut) -> Result<(), SendError> {
        self.send_whole(OpCode::Text, text.as_bytes(), out)
    }

    /// Writes a binary message as one frame into `out`.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8], out: &mut impl BufMut) -> Result<(), SendError> {
        self.send_whole(OpCode::Binary, data, out)
    }

    /// Writes `message` as one frame into `out`.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_message(
        &mut self,
        message: &Message,
        out: &mut impl BufMut,
    ) -> Result<(), SendError> {
        match message {
            Message::Text(text) => self.send_text(text, out),
            Message::Binary(data) => self.send_binary(data, out),
        }
    }

    /// Writes one fragment of a data message into `out`: the first fragment starts a message
    /// of `kind`, later ones continue it, and the one with `fin` ends it. Control frames may be
    /// sent between fragments.
    ///
    /// Text fragments may split a UTF-8 sequence, but together they must be valid UTF-8: each
    /// fragment is checked as it is sent, and the last one must not end inside a sequence.
    ///
    /// ```
    /// use fedi_stream::websocket::{Connection, DataKind, Event, Limits, Message};
    ///
    /// let mut server = Connection::server(Limits::default());
    /// let mut wire = Vec::new();
    /// server.send_fragment(DataKind::Text, "caf".as_bytes(), false, &mut wire)?;
    /// server.send_ping(b"", &mut wire)?;
    /// server.send_fragment(DataKind::Text, &[0xC3], false, &mut wire)?; // half of "é"
    /// server.send_fragment(DataKind::Text, &[0xA9], true, &mut wire)?;
    ///
    /// let mut client = Connection::client(Limits::default(), 1);
    /// client.handle_bytes(&wire)?;
    /// assert!(matches!(client.poll_event(), Some(Event::Ping(_))));
    /// assert_eq!(client.poll_event(), Some(Event::Message(Message::text("café"))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`SendError::Closed`]; [`SendError::FragmentKindMismatch`] when continuing a message of
    /// the other kind; [`SendError::InvalidUtf8`] for text that cannot be valid (nothing is
    /// written, and the message stays open).
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        fin: bool,
        out: &mut impl BufMut,
    ) -> Result<(), SendError> {
        self.check_open()?;
        let opcode = match self.sending {
            None => match kind {
                DataKind::Text => OpCode::Text,
                DataKind::Binary => OpCode::Binary,
            },
            Some(open) if open == kind => OpCode::Continuation,
            Some(open) => {
                return Err(SendError::FragmentKindMismatch {
                    open,
                    requested: kind,
                });
            }
        };
        if kind == DataKind::Text {
            let mut utf8 = if self.sending.is_none() {
                Utf8Validator::new()
            } else {
                self.send_utf8.clone()
            };
            let checked = utf8
                .feed(payload)
                .and_then(|()| if fin { utf8.finish() } else { Ok(()) });
            checked.map_err(|e| SendError::InvalidUtf8 { offset: e.offset })?;
            self.send_utf8 = utf8;
        }
        self.sending = if fin { None } else { Some(kind) };
        self.write_pending(out);
        self.put(opcode, fin, payload, out);
        Ok(())
    }

    /// Writes a Ping into `out`.
    ///
    /// # Errors
    /// [`SendError::Closed`]; [`SendError::ControlPayloadTooLong`] beyond 125 bytes.
    pub fn send_ping(&mut self, payload: &[u8], out: &mut impl BufMut) -> Result<(), SendError> {
        self.send_control(OpCode::Ping, payload, out)
    }

    /// Writes an unsolicited Pong (a heartbeat) into `out`. Pongs answering Pings are sent
    /// automatically.
    ///
    /// # Errors
    /// As [`send_ping`](Self::send_ping).
    pub fn send_pong(&mut self, payload: &[u8], out: &mut impl BufMut) -> Result<(), SendError> {
        self.send_control(OpCode::Pong, payload, out)
    }

    /// Starts the closing handshake: writes a Close frame with `code` and `reason` into `out`.
    /// The state becomes [`State::CloseSent`] (messages still arrive until the peer's Close).
    ///
    /// # Errors
    /// [`SendError::Closed`] if a Close was already sent or queued;
    /// [`SendError::InvalidCloseCode`] for a code that may not be sent (such as 1005, 1006,
    /// 1015); [`SendError::CloseReasonTooLong`] beyond 123 bytes.
    pub fn close(
        &mut self,
        code: CloseCode,
        reason: &str,
        out: &mut impl BufMut,
    ) -> Result<(), SendError> {
        self.check_open()?;
        if !code.is_valid_on_wire() {
            return Err(SendError::InvalidCloseCode { code });
        }
        if reason.len() > CloseFrame::MAX_REASON_LEN {
            return Err(SendError::CloseReasonTooLong { len: reason.len() });
        }
        let mut payload = ControlPayload::empty();
        let written = payload.extend(&code.0.to_be_bytes()) && payload.extend(reason.as_bytes());
        debug_assert!(written, "2 + 123 bytes fit a control payload");
        self.write_pending(out);
        self.put(OpCode::Close, true, &payload, out);
        self.state = State::CloseSent;
        self.sending = None;
        Ok(())
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.state == State::Open {
            Ok(())
        } else {
            Err(SendError::Closed)
        }
    }

    fn send_whole(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut impl BufMut,
    ) -> Result<(), SendError> {
        self.check_open()?;
        if let Some(open) = self.sending {
            return Err(SendError::MessageInProgress { open });
        }
        self.write_pending(out);
        self.put(opcode, true, payload, out);
        Ok(())
    }

    fn send_control(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut impl BufMut,
    ) -> Result<(), SendError> {
        self.check_open()?;
        if payload.len() > ControlPayload::MAX_LEN {
            return Err(SendError::ControlPayloadTooLong { len: payload.len() });
        }
        self.write_pending(out);
        self.put(opcode, true, payload, out);
        Ok(())
    }

    /// Writes one frame, masked if this is a client.
    fn put(&mut self, opcode: OpCode, fin: bool, payload: &[u8], out: &mut impl BufMut) {
        // The top 32 bits of each draw: SplitMix64's best-mixed bits.
        let mask = self
            .masks
            .as_mut()
            .map(|rng| ((rng.next_u64() >> 32) as u32).to_le_bytes());
        write_frame(opcode, fin, mask, payload, out);
    }

    /// Writes the Pongs for the latest Pings, then the Close this endpoint owes.
    pub(super) fn write_pending(&mut self, out: &mut impl BufMut) {
        while let Some(payload) = self.pending_pongs.pop_front() {
            self.put(OpCode::Pong, true, &payload, out);
        }
        if let Some(code) = self.pending_close.take() {
            let mut payload = ControlPayload::empty();
            if let Some(code) = code {
                let _two_bytes_fit = payload.extend(&code.0.to_be_bytes());
            }
            self.put(OpCode::Close, true, &payload, out);
        }
    }
}
