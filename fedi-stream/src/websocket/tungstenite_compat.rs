//! Conversions between the engine's types and `tungstenite` 0.30 types; see
//! [`ConversionError`] for the overview.

use thiserror::Error;
use tungstenite::protocol::CloseFrame as TungsteniteCloseFrame;
use tungstenite::protocol::frame::coding::{
    CloseCode as TungsteniteCloseCode, Control, Data, OpCode as TungsteniteOpCode,
};

use super::error::ProtocolError;
use super::frame::OpCode;
use super::message::{ControlPayload, Event, Message};
use crate::close::{CloseCode, CloseFrame};

/// A `tungstenite` value with no counterpart in the engine: the error of the conversions to
/// and from `tungstenite` 0.30 types (feature `tungstenite`).
///
/// The conversions serve hosts that move their WebSocket bytes with `tungstenite` or
/// `tokio-tungstenite` but share application code written against the engine's [`Message`],
/// [`Event`], [`CloseFrame`], [`CloseCode`] and [`OpCode`]: `From`/`TryFrom` in both
/// directions (an [`Event::Failed`] has no `tungstenite::Message` form and converts to its
/// [`ProtocolError`]).
///
/// ```
/// use fedi_stream::websocket::{CloseCode, CloseFrame, Event, Message};
///
/// let ours = Message::text("hello");
/// let theirs: tungstenite::Message = ours.clone().into();
/// assert_eq!(theirs, tungstenite::Message::text("hello"));
/// assert_eq!(Message::try_from(theirs)?, ours);
///
/// let close = Event::Close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "bye")));
/// let theirs = tungstenite::Message::try_from(close.clone()).expect("not a failure");
/// assert_eq!(Event::try_from(theirs)?, close);
/// # Ok::<(), fedi_stream::websocket::ConversionError>(())
/// ```
///
/// Binary payloads cross without copying; a `tungstenite::Utf8Bytes` becomes a `String` by
/// copying (turning shared bytes into a `String` without copying would need `unsafe`), and
/// control payloads (at most 125 bytes) are copied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConversionError {
    /// `tungstenite::Message::Frame`: a raw frame, never produced when reading.
    #[error("a raw tungstenite frame has no message or event counterpart")]
    RawFrame,
    /// A control message (ping, pong, close) where a data message was expected.
    #[error("a tungstenite control message is not a data message")]
    NotADataMessage,
    /// A ping or pong payload over 125 bytes (`tungstenite` lets one be built, not sent).
    #[error("a ping or pong payload of {len} bytes; control frames carry at most 125")]
    ControlPayloadTooLong {
        /// The payload length.
        len: usize,
    },
    /// A reserved opcode.
    #[error("reserved opcode {opcode:#x}")]
    ReservedOpcode {
        /// The opcode's four bits.
        opcode: u8,
    },
}

impl From<CloseCode> for TungsteniteCloseCode {
    fn from(code: CloseCode) -> Self {
        Self::from(code.0)
    }
}

impl From<TungsteniteCloseCode> for CloseCode {
    fn from(code: TungsteniteCloseCode) -> Self {
        Self(code.into())
    }
}

impl From<CloseFrame> for TungsteniteCloseFrame {
    fn from(frame: CloseFrame) -> Self {
        Self {
            code: frame.code.into(),
            reason: frame.reason.into(),
        }
    }
}

impl From<TungsteniteCloseFrame> for CloseFrame {
    fn from(frame: TungsteniteCloseFrame) -> Self {
        Self {
            code: frame.code.into(),
            reason: frame.reason.as_str().to_owned(),
        }
    }
}

impl From<OpCode> for TungsteniteOpCode {
    fn from(opcode: OpCode) -> Self {
        match opcode {
            OpCode::Continuation => Self::Data(Data::Continue),
            OpCode::Text => Self::Data(Data::Text),
            OpCode::Binary => Self::Data(Data::Binary),
            OpCode::Close => Self::Control(Control::Close),
            OpCode::Ping => Self::Control(Control::Ping),
            OpCode::Pong => Self::Control(Control::Pong),
        }
    }
}

impl TryFrom<TungsteniteOpCode> for OpCode {
    type Error = ConversionError;

    fn try_from(opcode: TungsteniteOpCode) -> Result<Self, ConversionError> {
        let bits = u8::from(opcode);
        Self::from_bits(bits).ok_or(ConversionError::ReservedOpcode { opcode: bits })
    }
}

impl From<Message> for tungstenite::Message {
    fn from(message: Message) -> Self {
        match message {
            Message::Text(text) => Self::Text(text.into()),
            Message::Binary(data) => Self::Binary(data),
        }
    }
}

impl TryFrom<tungstenite::Message> for Message {
    type Error = ConversionError;

    fn try_from(message: tungstenite::Message) -> Result<Self, ConversionError> {
        match message {
            tungstenite::Message::Text(text) => Ok(Self::Text(text.as_str().to_owned())),
            tungstenite::Message::Binary(data) => Ok(Self::Binary(data)),
            tungstenite::Message::Frame(_) => Err(ConversionError::RawFrame),
            _ => Err(ConversionError::NotADataMessage),
        }
    }
}

/// `Event::Failed` has no `tungstenite::Message` counterpart: it is returned as the error.
impl TryFrom<Event> for tungstenite::Message {
    type Error = ProtocolError;

    fn try_from(event: Event) -> Result<Self, ProtocolError> {
        match event {
            Event::Message(message) => Ok(message.into()),
            Event::Ping(payload) => Ok(Self::Ping(payload.as_slice().to_vec().into())),
            Event::Pong(payload) => Ok(Self::Pong(payload.as_slice().to_vec().into())),
            Event::Close(frame) => Ok(Self::Close(frame.map(Into::into))),
            Event::Failed { error, .. } => Err(error),
        }
    }
}

impl TryFrom<tungstenite::Message> for Event {
    type Error = ConversionError;

    fn try_from(message: tungstenite::Message) -> Result<Self, ConversionError> {
        let control = |payload: &[u8]| {
            ControlPayload::new(payload)
                .ok_or(ConversionError::ControlPayloadTooLong { len: payload.len() })
        };
        match message {
            tungstenite::Message::Ping(payload) => control(&payload).map(Event::Ping),
            tungstenite::Message::Pong(payload) => control(&payload).map(Event::Pong),
            tungstenite::Message::Close(frame) => Ok(Event::Close(frame.map(Into::into))),
            data => Message::try_from(data).map(Event::Message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn messages_round_trip() {
        for message in [Message::text("héllo"), Message::binary(vec![0, 255])] {
            let theirs = tungstenite::Message::from(message.clone());
            assert_eq!(Message::try_from(theirs).unwrap(), message);
        }
        assert_eq!(
            Message::try_from(tungstenite::Message::Ping(Bytes::new())),
            Err(ConversionError::NotADataMessage)
        );
    }

    #[test]
    fn events_round_trip() {
        let events = [
            Event::Message(Message::text("a")),
            Event::Ping(ControlPayload::new(b"p").unwrap()),
            Event::Pong(ControlPayload::new(&[9; 125]).unwrap()),
            Event::Close(None),
            Event::Close(Some(CloseFrame::new(CloseCode(4000), "custom"))),
        ];
        for event in events {
            let theirs = tungstenite::Message::try_from(event.clone()).unwrap();
            assert_eq!(Event::try_from(theirs).unwrap(), event);
        }
        let failed = Event::Failed {
            error: ProtocolError::UnmaskedFrame,
            frame_start: 0,
        };
        assert_eq!(
            tungstenite::Message::try_from(failed),
            Err(ProtocolError::UnmaskedFrame)
        );
        assert_eq!(
            Event::try_from(tungstenite::Message::Ping(vec![0; 126].into())),
            Err(ConversionError::ControlPayloadTooLong { len: 126 })
        );
    }

    #[test]
    fn opcodes_and_close_codes_agree_on_the_wire_values() {
        for bits in 0..16u8 {
            let theirs = TungsteniteOpCode::from(bits);
            match OpCode::from_bits(bits) {
                Some(ours) => {
                    assert_eq!(TungsteniteOpCode::from(ours), theirs);
                    assert_eq!(OpCode::try_from(theirs), Ok(ours));
                }
                None => assert_eq!(
                    OpCode::try_from(theirs),
                    Err(ConversionError::ReservedOpcode { opcode: bits })
                ),
            }
        }
        for code in [1000, 1002, 1006, 3000, 4999] {
            assert_eq!(
                CloseCode::from(TungsteniteCloseCode::from(CloseCode(code))),
                CloseCode(code)
            );
        }
    }
}
