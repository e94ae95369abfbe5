//! The receiving half: frame headers, binary payload unmasked straight into the message
//! buffer, text unmasked while copied into a reused scratch block and validated there,
//! reassembly, control frames and the peer's close.

use std::mem;

use bytes::Bytes;

use super::recycle::Recycled;
use super::{Connection, State};
use crate::close::{CloseCode, CloseFrame};
use crate::input::InputError;
use crate::websocket::error::ProtocolError;
use crate::websocket::frame::{FrameHeader, OpCode, Role};
use crate::websocket::mask::{apply_mask, unmask_into};
use crate::websocket::message::{ControlPayload, DataKind, Event, Message};
use crate::websocket::utf8::{split_incomplete, validate};

/// The most capacity reserved ahead of payload bytes, whatever length a header announces:
/// a peer cannot make the connection allocate more than it actually sends plus this.
const MAX_RESERVE: usize = 1 << 20;

/// Masked text is unmasked into a reused scratch buffer and validated there this many bytes at
/// a time, so the buffer stays small (and in the L1 cache) whatever the chunk size.
const TEXT_BLOCK: usize = 8 * 1024;

/// The most bytes of an unfinished UTF-8 sequence carried from one payload chunk to the next.
const MAX_CARRY: usize = 3;

/// Where the reader is inside the current frame.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Reading a header; `len` bytes of it are in `Reader::header`.
    Header { len: u8 },
    /// Reading the payload of `header`; `done` bytes of it have arrived.
    Payload { header: FrameHeader, done: u64 },
}

/// The receiving state of a [`Connection`].
#[derive(Debug)]
pub(super) struct Reader {
    step: Step,
    /// A header split across calls.
    header: [u8; FrameHeader::MAX_LEN],
    /// Stream offset of the next byte to process.
    position: u64,
    /// Stream offset of the current frame's first byte.
    frame_start: u64,
    /// The kind of the data message in progress, if any.
    message: Option<DataKind>,
    /// The payload of the binary message in progress, unmasked.
    data: Vec<u8>,
    /// The validated text of the text message in progress.
    text: String,
    /// Scratch for text: the carried bytes, then a block unmasked from the input, validated in
    /// place. It grows on demand to at most [`MAX_CARRY`] + [`TEXT_BLOCK`] bytes and is
    /// reused for every message.
    scratch: Vec<u8>,
    /// Text bytes at the start of `scratch` not yet validated: at most [`MAX_CARRY`] (the
    /// start of a sequence that the next bytes finish).
    carry: u8,
    /// The payload of the control frame in progress, unmasked.
    control: ControlPayload,
    /// Strings handed back by the host, for the next text messages.
    pub(super) recycled: Recycled,
}

impl Reader {
    pub(super) fn new() -> Self {
        Self {
            step: Step::Header { len: 0 },
            header: [0; FrameHeader::MAX_LEN],
            position: 0,
            frame_start: 0,
            message: None,
            data: Vec::new(),
            text: String::new(),
            scratch: Vec::new(),
            carry: 0,
            control: ControlPayload::empty(),
            recycled: Recycled::default(),
        }
    }

    pub(super) fn buffered_bytes(&self) -> usize {
        self.data.len() + self.text.len() + usize::from(self.carry)
    }

    pub(super) const fn position(&self) -> u64 {
        self.position
    }

    pub(super) fn mid_frame(&self) -> bool {
        !matches!(self.step, Step::Header { len: 0 }) || self.message.is_some()
    }

    /// Appends a payload chunk to the message in progress, unmasking it; text is validated
    /// at once (fail fast: RFC 6455 §8.1), each byte once.
    fn append(
        &mut self,
        kind: DataKind,
        chunk: &[u8],
        mask: Option<[u8; 4]>,
        offset: usize,
    ) -> Result<(), ProtocolError> {
        if kind == DataKind::Binary {
            let start = self.data.len();
            self.data.extend_from_slice(chunk);
            if let Some(key) = mask {
                apply_mask(&mut self.data[start..], key, offset);
            }
            return Ok(());
        }
        match mask {
            // Unmasked text with nothing carried is validated where it lies, in the input.
            None if self.carry == 0 => {
                let (complete, tail) = split_incomplete(chunk);
                push_valid(&mut self.text, complete, tail)?;
                self.carry_over(tail);
                Ok(())
            }
            _ => {
                let mut offset = offset;
                for block in chunk.chunks(TEXT_BLOCK) {
                    self.append_text_block(block, mask, offset)?;
                    offset += block.len();
                }
                Ok(())
            }
        }
    }

    /// Unmasks (or copies) `block` into the scratch buffer after the carried bytes, in one
    /// pass, validates them while they are in the cache and appends the valid text.
    fn append_text_block(
        &mut self,
        block: &[u8],
        mask: Option<[u8; 4]>,
        offset: usize,
    ) -> Result<(), ProtocolError> {
        let carried = usize::from(self.carry);
        let end = carried + block.len();
        if self.scratch.len() < end {
            self.scratch.resize(end, 0);
        }
        let room = &mut self.scratch[carried..end];
        match mask {
            Some(key) => unmask_into(room, block, key, offset),
            None => room.copy_from_slice(block),
        }
        let (complete, tail) = split_incomplete(&self.scratch[..end]);
        push_valid(&mut self.text, complete, tail)?;
        let used = complete.len();
        self.scratch.copy_within(used..end, 0);
        self.carry = (end - used) as u8;
        Ok(())
    }

    /// Keeps `tail` (at most [`MAX_CARRY`] bytes) for the next chunk.
    fn carry_over(&mut self, tail: &[u8]) {
        if self.scratch.len() < MAX_CARRY {
            self.scratch.resize(MAX_CARRY, 0);
        }
        self.scratch[..tail.len()].copy_from_slice(tail);
        self.carry = tail.len() as u8;
    }

    /// Makes room for `len` more payload bytes, up to [`MAX_RESERVE`].
    fn reserve(&mut self, kind: DataKind, len: u64) {
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_RESERVE);
        // The first frame of a message finds an empty buffer (the last one was handed out):
        // a buffer the host handed back, or one allocation of the announced size, without
        // `reserve`'s growth path.
        match kind {
            DataKind::Binary if self.data.capacity() == 0 => self.data = Vec::with_capacity(len),
            DataKind::Binary => self.data.reserve(len),
            DataKind::Text if self.text.capacity() == 0 => match self.recycled.take() {
                Some(text) => {
                    self.text = text;
                    self.text.reserve(len);
                }
                None => self.text = String::with_capacity(len),
            },
            DataKind::Text => self.text.reserve(len),
        }
    }

    /// Hands out the completed message and resets the buffers.
    fn take_message(&mut self, kind: DataKind) -> Result<Message, ProtocolError> {
        self.message = None;
        match kind {
            DataKind::Binary => Ok(Message::Binary(Bytes::from(mem::take(&mut self.data)))),
            DataKind::Text if self.carry == 0 => Ok(Message::Text(mem::take(&mut self.text))),
            // The message ended inside a multi-byte sequence.
            DataKind::Text => Err(ProtocolError::InvalidUtf8 {
                offset: self.text.len() as u64,
            }),
        }
    }
}

impl Connection {
    /// Processes bytes read from the transport. They may be split anywhere: the events are
    /// the same for every split of the same stream. Returns how many bytes were consumed.
    ///
    /// Every byte is consumed unless [`Limits::max_queued_events`](super::Limits::max_queued_events)
    /// events come to wait for [`poll_event`](Self::poll_event): then it stops after the byte
    /// that completed the last of them and returns fewer than `bytes.len()`. Drain
    /// `poll_transmit` and `poll_event`, then hand over the rest. Nothing is kept but a header
    /// split across calls (at most 13 bytes), the data message in progress and a control
    /// payload in progress.
    ///
    /// Bytes that follow the peer's Close frame or a failure in the same call are dropped
    /// (nothing may follow a Close, and nothing after a failure is read) and count as
    /// consumed.
    ///
    /// Then drain [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event).
    ///
    /// # Errors
    /// - [`InputError::Closed`] once the connection is closed for input: the peer's Close
    ///   frame or a failure was read in an earlier call, [`handle_end`](Self::handle_end) was
    ///   called, or the state is [`State::Closed`].
    /// - [`InputError::Backpressure`] if [`Limits::max_queued_events`](super::Limits::max_queued_events)
    ///   events already wait: nothing is consumed.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<usize, InputError> {
        self.check_input()?;
        let max_events = self.limits.max_queued_events.max(1);
        if self.events.len() >= max_events {
            return Err(InputError::Backpressure { max: max_events });
        }
        let mut input = bytes;
        while !input.is_empty() && !self.input_closed && self.events.len() < max_events {
            let before = input.len();
            let step = match self.reader.step {
                Step::Header { len } => self.read_header(&mut input, len),
                Step::Payload { header, done } => self.read_payload(&mut input, header, done),
            };
            self.reader.position += (before - input.len()) as u64;
            if let Err(error) = step {
                self.fail(error);
            }
        }
        if self.input_closed {
            return Ok(bytes.len());
        }
        Ok(bytes.len() - input.len())
    }

    /// Reads (part of) a frame header; `len` bytes of it arrived in earlier calls.
    fn read_header(&mut self, input: &mut &[u8], len: u8) -> Result<(), ProtocolError> {
        let len = usize::from(len);
        if len == 0 {
            self.reader.frame_start = self.reader.position;
            // The usual case: the whole header is in this input, parse it in place.
            if let Some((header, used)) = FrameHeader::parse(input)? {
                *input = input.get(used..).unwrap_or_default();
                return self.start_frame(header);
            }
        }
        let take = (FrameHeader::MAX_LEN - len).min(input.len());
        let (head, _) = input.split_at(take);
        self.reader.header[len..len + take].copy_from_slice(head);
        match FrameHeader::parse(&self.reader.header[..len + take])? {
            Some((header, used)) => {
                // The first `len` bytes alone were not a header, so `used > len`.
                *input = input.get(used.saturating_sub(len)..).unwrap_or_default();
                self.start_frame(header)
            }
            None => {
                self.reader.step = Step::Header {
                    len: (len + take) as u8,
                };
                *input = input.get(take..).unwrap_or_default();
                Ok(())
            }
        }
    }

    /// Checks a complete header against the role, the message in progress and the limits.
    fn start_frame(&mut self, header: FrameHeader) -> Result<(), ProtocolError> {
        if header.rsv != 0 {
            return Err(ProtocolError::ReservedBits { rsv: header.rsv });
        }
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        let len = header.payload_len;
        if header.opcode.is_control() {
            if !header.fin {
                return Err(ProtocolError::FragmentedControlFrame {
                    opcode: header.opcode,
                });
            }
            if len > ControlPayload::MAX_LEN as u64 {
                return Err(ProtocolError::ControlFrameTooLong {
                    opcode: header.opcode,
                    len,
                });
            }
            self.reader.control = ControlPayload::empty();
        } else {
            let kind = match (header.opcode, self.reader.message) {
                (OpCode::Continuation, Some(kind)) => kind,
                (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
                (opcode, Some(_)) => return Err(ProtocolError::ExpectedContinuation { opcode }),
                (OpCode::Text, None) => DataKind::Text,
                (_, None) => DataKind::Binary,
            };
            let max_frame = self.limits.max_frame_size;
            if len > max_frame as u64 {
                return Err(ProtocolError::FrameTooLarge {
                    len,
                    max: max_frame,
                });
            }
            let total = self.reader.buffered_bytes() as u64 + len;
            let max_message = self.limits.max_message_size;
            if total > max_message as u64 {
                return Err(ProtocolError::MessageTooLarge {
                    len: total,
                    max: max_message,
                });
            }
            self.reader.message = Some(kind);
        }
        if len == 0 {
            self.reader.step = Step::Header { len: 0 };
            self.end_frame(header)
        } else {
            self.reader.step = Step::Payload { header, done: 0 };
            Ok(())
        }
    }

    /// Moves payload bytes into the message (or control) buffer, unmasking them.
    fn read_payload(
        &mut self,
        input: &mut &[u8],
        header: FrameHeader,
        done: u64,
    ) -> Result<(), ProtocolError> {
        let remaining = header.payload_len - done;
        let take = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
        let (chunk, rest) = input.split_at(take);
        *input = rest;
        let offset = (done % 4) as usize;
        if header.opcode.is_control() {
            let start = self.reader.control.len();
            // Cannot overflow: the header was checked to announce at most 125 bytes.
            let _fits = self.reader.control.extend(chunk);
            if let Some(key) = header.mask {
                apply_mask(self.reader.control.tail_mut(start), key, offset);
            }
        } else if let Some(kind) = self.reader.message {
            if done == 0 {
                self.reader.reserve(kind, header.payload_len);
            }
            self.reader.append(kind, chunk, header.mask, offset)?;
        }
        let done = done + take as u64;
        if done == header.payload_len {
            self.reader.step = Step::Header { len: 0 };
            self.end_frame(header)
        } else {
            self.reader.step = Step::Payload { header, done };
            Ok(())
        }
    }

    /// Acts on a frame whose payload is complete.
    fn end_frame(&mut self, header: FrameHeader) -> Result<(), ProtocolError> {
        match header.opcode {
            OpCode::Continuation | OpCode::Text | OpCode::Binary => {
                let Some(kind) = self.reader.message else {
                    return Ok(());
                };
                if header.fin {
                    let message = self.reader.take_message(kind)?;
                    self.events.push_back(Event::Message(message));
                }
            }
            OpCode::Ping => {
                let payload = self.reader.control;
                // No Pong may follow this endpoint's Close.
                if self.state == State::Open && self.limits.max_pending_pongs > 0 {
                    if self.pending_pongs.len() >= self.limits.max_pending_pongs {
                        self.pending_pongs.pop_front();
                    }
                    self.pending_pongs.push_back(payload);
                }
                self.events.push_back(Event::Ping(payload));
            }
            OpCode::Pong => self.events.push_back(Event::Pong(self.reader.control)),
            OpCode::Close => {
                let frame = parse_close(&self.reader.control)?;
                if self.state == State::Open {
                    // Echo the peer's code (RFC 6455 §5.5.1), or send an empty Close for one.
                    self.pending_close = Some(frame.as_ref().map(|f| f.code));
                }
                self.input_closed = true;
                self.state = State::Closed;
                self.events.push_back(Event::Close(frame));
            }
        }
        Ok(())
    }

    /// Fails the connection (RFC 6455 §7.1.7): queue the Close carrying the error's code
    /// (unless this endpoint already sent one), report the error and drop the rest of the
    /// input.
    fn fail(&mut self, error: ProtocolError) {
        if self.state == State::Open {
            self.pending_close = Some(Some(error.close_code()));
        }
        self.input_closed = true;
        self.state = State::Closed;
        let frame_start = self.reader.frame_start;
        self.events.push_back(Event::Failed { error, frame_start });
    }
}

/// Validates `complete` (and that `tail` can start a sequence) and appends it to `text`; the
/// error's offset counts from the start of `text`.
fn push_valid(text: &mut String, complete: &[u8], tail: &[u8]) -> Result<(), ProtocolError> {
    let valid = validate(complete, tail).map_err(|at| ProtocolError::InvalidUtf8 {
        offset: (text.len() + at) as u64,
    })?;
    text.push_str(valid);
    Ok(())
}

/// The body of a Close frame: nothing, or a valid code and a UTF-8 reason.
fn parse_close(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::TruncatedCloseCode),
        [high, low, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*high, *low]));
            if !code.is_valid_on_wire() {
                return Err(ProtocolError::InvalidCloseCode { code });
            }
            let reason =
                std::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidCloseReason)?;
            Ok(Some(CloseFrame::new(code, reason)))
        }
    }
}
