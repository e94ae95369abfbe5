//! The frame codec of RFC 6455 §5.2: frame headers (FIN, RSV, opcode, mask, 7/16/64-bit
//! payload lengths) and whole frames written with their payload masked as the role requires.

use bytes::BufMut;

use super::error::ProtocolError;
use super::mask::apply_mask;

/// Which end of the connection an endpoint is. Clients mask every frame they send; servers
/// mask none (RFC 6455 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that sent the opening handshake request.
    Client,
    /// The endpoint that accepted it.
    Server,
}

/// A frame opcode defined by RFC 6455 §5.2. Reserved opcodes (3–7, 0xB–0xF) have no value:
/// [`FrameHeader::parse`] rejects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: a continuation fragment of a data message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// The opcode with wire value `bits` (the low four bits of the first header byte), or
    /// `None` for a reserved value.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0x0 => Some(Self::Continuation),
            0x1 => Some(Self::Text),
            0x2 => Some(Self::Binary),
            0x8 => Some(Self::Close),
            0x9 => Some(Self::Ping),
            0xA => Some(Self::Pong),
            _ => None,
        }
    }

    /// The wire value.
    #[must_use]
    pub const fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Whether this is a control opcode (Close, Ping, Pong): at most 125 bytes of payload,
    /// never fragmented.
    #[must_use]
    pub const fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A decoded frame header.
///
/// ```
/// use fedi_stream::websocket::{FrameHeader, OpCode};
///
/// // RFC 6455 §5.7: a masked "Hello" from a client.
/// let bytes = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// let (header, header_len) = FrameHeader::parse(&bytes)?.expect("complete header");
/// assert_eq!(header_len, 6);
/// assert_eq!(header, FrameHeader {
///     fin: true,
///     rsv: 0,
///     opcode: OpCode::Text,
///     mask: Some([0x37, 0xfa, 0x21, 0x3d]),
///     payload_len: 5,
/// });
///
/// let mut written = Vec::new();
/// header.write(&mut written);
/// assert_eq!(written, bytes[..6]);
/// # Ok::<(), fedi_stream::websocket::ProtocolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the bits 0b100, 0b010, 0b001. Nonzero only with a negotiated
    /// extension; this engine negotiates none, so the connection rejects any set bit.
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present in every client-to-server frame.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes (at most 2^63 - 1).
    pub payload_len: u64,
}

impl FrameHeader {
    /// The longest header: 2 bytes, a 64-bit extended length and a masking key.
    pub const MAX_LEN: usize = 14;

    /// A header with FIN set as given, no RSV bits, and `mask` and `payload_len`.
    #[must_use]
    pub const fn new(opcode: OpCode, fin: bool, mask: Option<[u8; 4]>, payload_len: u64) -> Self {
        Self {
            fin,
            rsv: 0,
            opcode,
            mask,
            payload_len,
        }
    }

    /// Parses the header at the start of `bytes`.
    ///
    /// Returns `Ok(None)` if `bytes` holds only part of a header (at most
    /// [`FrameHeader::MAX_LEN`] bytes are ever needed), or the header and its length in
    /// bytes. Non-minimal length encodings are accepted. Checks that depend on the role or on
    /// the connection (masking, RSV bits, control frame rules) are the caller's; the
    /// [`Connection`](super::Connection) makes them all.
    ///
    /// # Errors
    /// [`ProtocolError::ReservedOpcode`] and [`ProtocolError::PayloadLengthOverflow`] (a 64-bit
    /// length with its most significant bit set).
    pub fn parse(bytes: &[u8]) -> Result<Option<(Self, usize)>, ProtocolError> {
        let [first, second, ..] = *bytes else {
            return Ok(None);
        };
        let opcode = OpCode::from_bits(first & 0x0F).ok_or(ProtocolError::ReservedOpcode {
            opcode: first & 0x0F,
        })?;
        let masked = second & 0x80 != 0;
        let (payload_len, mut len) = match second & 0x7F {
            126 => match bytes.get(2..4) {
                Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
                _ => return Ok(None),
            },
            127 => match bytes.get(2..10) {
                Some(ext) => {
                    let mut word = [0; 8];
                    word.copy_from_slice(ext);
                    let length = u64::from_be_bytes(word);
                    if length >> 63 != 0 {
                        return Err(ProtocolError::PayloadLengthOverflow);
                    }
                    (length, 10)
                }
                None => return Ok(None),
            },
            short => (u64::from(short), 2),
        };
        let mask = if masked {
            match bytes.get(len..len + 4) {
                Some(&[a, b, c, d]) => {
                    len += 4;
                    Some([a, b, c, d])
                }
                _ => return Ok(None),
            }
        } else {
            None
        };
        let header = Self {
            fin: first & 0x80 != 0,
            rsv: (first >> 4) & 0x07,
            opcode,
            mask,
            payload_len,
        };
        Ok(Some((header, len)))
    }

    /// The number of bytes [`write`](Self::write) produces: 2 to 14.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        let length = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + length + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Writes the header with the shortest length encoding. Only the low three bits of
    /// [`rsv`](Self::rsv) are used; a `payload_len` of 2^63 or more is written with its top bit
    /// cleared (no frame that long can exist).
    pub fn write(&self, out: &mut impl BufMut) {
        let first = u8::from(self.fin) << 7 | (self.rsv & 0x07) << 4 | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.put_u8(first);
        match self.payload_len {
            len @ 0..=125 => out.put_u8(mask_bit | len as u8),
            len @ 126..=0xFFFF => {
                out.put_u8(mask_bit | 126);
                out.put_u16(len as u16);
            }
            len => {
                out.put_u8(mask_bit | 127);
                out.put_u64(len & (u64::MAX >> 1));
            }
        }
        if let Some(key) = self.mask {
            out.put_slice(&key);
        }
    }
}

/// Writes one whole frame: its header, then `payload` masked with `mask` if there is one.
///
/// Nothing is checked: this is the raw codec (a [`Connection`](super::Connection) enforces
/// the protocol rules on what it sends).
///
/// ```
/// use fedi_stream::websocket::{write_frame, OpCode};
///
/// let mut out = Vec::new();
/// write_frame(OpCode::Text, true, Some([0x37, 0xfa, 0x21, 0x3d]), b"Hello", &mut out);
/// assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
pub fn write_frame(
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut impl BufMut,
) {
    FrameHeader::new(opcode, fin, mask, payload.len() as u64).write(out);
    match mask {
        None => out.put_slice(payload),
        Some(key) => {
            // Mask through a small stack block: the caller's buffer type may not allow
            // editing bytes already put into it.
            let mut block = [0u8; 512];
            let mut offset = 0;
            for chunk in payload.chunks(block.len()) {
                let masked = &mut block[..chunk.len()];
                masked.copy_from_slice(chunk);
                apply_mask(masked, key, offset);
                out.put_slice(masked);
                offset += chunk.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples() {
        // RFC 6455 §5.7.
        let unmasked_hello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let (header, len) = FrameHeader::parse(&unmasked_hello).unwrap().unwrap();
        assert_eq!(
            (header, len),
            (FrameHeader::new(OpCode::Text, true, None, 5), 2)
        );

        // A fragmented unmasked text message: "Hel" then "lo".
        let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
        let second = [0x80, 0x02, 0x6c, 0x6f];
        assert_eq!(
            FrameHeader::parse(&first).unwrap().unwrap().0,
            FrameHeader::new(OpCode::Text, false, None, 3)
        );
        assert_eq!(
            FrameHeader::parse(&second).unwrap().unwrap().0,
            FrameHeader::new(OpCode::Continuation, true, None, 2)
        );

        // 256 bytes binary message in a single unmasked frame: 0x82 0x7E 0x0100.
        let (header, len) = FrameHeader::parse(&[0x82, 0x7E, 0x01, 0x00])
            .unwrap()
            .unwrap();
        assert_eq!(
            (header.opcode, header.payload_len, len),
            (OpCode::Binary, 256, 4)
        );

        // 64 KiB binary message: 0x82 0x7F 0x0000000000010000.
        let bytes = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
        let (header, len) = FrameHeader::parse(&bytes).unwrap().unwrap();
        assert_eq!((header.payload_len, len), (65536, 10));

        // Unmasked ping with "Hello", and the masked pong answering it.
        let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        assert_eq!(
            FrameHeader::parse(&ping).unwrap().unwrap().0.opcode,
            OpCode::Ping
        );
        let mut pong = Vec::new();
        write_frame(
            OpCode::Pong,
            true,
            Some([0x37, 0xfa, 0x21, 0x3d]),
            b"Hello",
            &mut pong,
        );
        assert_eq!(
            pong,
            [
                0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
    }

    #[test]
    fn incomplete_headers_need_more_bytes() {
        let mut full = Vec::new();
        FrameHeader::new(OpCode::Binary, true, Some([1, 2, 3, 4]), 70_000).write(&mut full);
        assert_eq!(full.len(), 14);
        for cut in 0..full.len() {
            assert_eq!(FrameHeader::parse(&full[..cut]), Ok(None), "cut at {cut}");
        }
        assert_eq!(FrameHeader::parse(&full).unwrap().unwrap().1, 14);
    }

    #[test]
    fn reserved_opcodes_and_overlong_lengths_are_rejected() {
        for bits in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assert_eq!(
                FrameHeader::parse(&[0x80 | bits, 0]),
                Err(ProtocolError::ReservedOpcode { opcode: bits })
            );
        }
        let bytes = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            FrameHeader::parse(&bytes),
            Err(ProtocolError::PayloadLengthOverflow)
        );
    }

    #[test]
    fn rsv_bits_are_reported_not_judged() {
        let (header, _) = FrameHeader::parse(&[0xF1, 0x00]).unwrap().unwrap();
        assert_eq!(header.rsv, 0b111);
        let (header, _) = FrameHeader::parse(&[0xC1, 0x00]).unwrap().unwrap();
        assert_eq!(header.rsv, 0b100);
    }

    #[test]
    fn shortest_length_encoding_at_the_boundaries() {
        for (len, encoded) in [
            (0, 2),
            (125, 2),
            (126, 4),
            (65535, 4),
            (65536, 10),
            (u64::MAX >> 1, 10),
        ] {
            let header = FrameHeader::new(OpCode::Binary, true, None, len);
            let mut out = Vec::new();
            header.write(&mut out);
            assert_eq!(
                (out.len(), header.encoded_len()),
                (encoded, encoded),
                "len {len}"
            );
            assert_eq!(
                FrameHeader::parse(&out).unwrap().unwrap(),
                (header, encoded)
            );
        }
    }

    #[test]
    fn non_minimal_lengths_are_accepted() {
        let (header, len) = FrameHeader::parse(&[0x81, 126, 0, 5]).unwrap().unwrap();
        assert_eq!((header.payload_len, len), (5, 4));
    }
}
