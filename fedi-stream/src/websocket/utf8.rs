//! Streaming UTF-8 validation: text that arrives in pieces (TCP segments, fragments) is checked
//! as it arrives, and the first byte that cannot start or continue a valid sequence is reported
//! at once, without waiting for the end of the message.

use std::str;

/// A UTF-8 validator fed one piece at a time.
///
/// It keeps at most three bytes between pieces (an incomplete sequence at the end of a piece)
/// and rejects a sequence as soon as its prefix cannot be completed into a valid scalar value
/// (overlong forms, surrogates, values above U+10FFFF), as the WebSocket "fail fast"
/// requirement of RFC 6455 §8.1 asks. Valid text is checked with SIMD instructions where the
/// CPU has them (`simdutf8`); what is accepted and where an error is reported are exactly those
/// of `std::str::from_utf8`.
///
/// ```
/// use fedi_stream::websocket::Utf8Validator;
///
/// let mut validator = Utf8Validator::new();
/// // "€" (E2 82 AC) split across two pieces.
/// assert!(validator.feed(&[b'a', 0xE2]).is_ok());
/// assert!(validator.feed(&[0x82, 0xAC]).is_ok());
/// assert!(validator.finish().is_ok());
///
/// // ED A0 starts a surrogate: rejected without waiting for the third byte.
/// let mut validator = Utf8Validator::new();
/// assert_eq!(validator.feed(&[b'x', 0xED, 0xA0]).unwrap_err().offset, 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    /// The bytes of an incomplete sequence carried over from the previous piece.
    partial: [u8; 4],
    partial_len: u8,
    /// Bytes fed before the current piece (to report offsets).
    consumed: u64,
}

/// Invalid UTF-8 found by a [`Utf8Validator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvalidUtf8 {
    /// Offset, counted from the first byte ever fed, of the first byte of the sequence that
    /// cannot be valid.
    pub offset: u64,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            partial: [0; 4],
            partial_len: 0,
            consumed: 0,
        }
    }

    /// Checks the next piece of text.
    ///
    /// # Errors
    /// [`InvalidUtf8`] as soon as a byte cannot be part of valid UTF-8, whatever follows it.
    /// After an error the validator's state is unspecified; start a new one for a new text.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        let start = self.consumed;
        self.consumed += piece.len() as u64;
        if self.partial_len > 0 {
            let carried = usize::from(self.partial_len);
            let needed = sequence_width(self.partial[0]).saturating_sub(carried);
            let take = needed.min(piece.len());
            let (head, rest) = piece.split_at(take);
            let total = carried + take;
            let sequence_start = start - carried as u64;
            self.partial[carried..total].copy_from_slice(head);
            match str::from_utf8(&self.partial[..total]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => {
                    // Still incomplete: the piece was shorter than the sequence.
                    self.partial_len = total as u8;
                    return Ok(());
                }
                Err(_) => {
                    return Err(InvalidUtf8 {
                        offset: sequence_start,
                    });
                }
            }
            piece = rest;
        }
        let piece_start = self.consumed - piece.len() as u64;
        let (complete, tail) = split_incomplete(piece);
        validate(complete, tail).map_err(|offset| InvalidUtf8 {
            offset: piece_start + offset as u64,
        })?;
        self.partial[..tail.len()].copy_from_slice(tail);
        self.partial_len = tail.len() as u8;
        Ok(())
    }

    /// Ends the text.
    ///
    /// # Errors
    /// [`InvalidUtf8`] if the text ended inside a multi-byte sequence.
    pub fn finish(&self) -> Result<(), InvalidUtf8> {
        if self.partial_len == 0 {
            Ok(())
        } else {
            Err(InvalidUtf8 {
                offset: self.consumed - u64::from(self.partial_len),
            })
        }
    }

    /// The number of bytes fed so far.
    #[must_use]
    pub const fn bytes_fed(&self) -> u64 {
        self.consumed
    }
}

/// Splits `bytes` before a multi-byte sequence that its last bytes start but do not finish
/// (at most 3 bytes), so that the first part can be checked with `str::from_utf8` in one
/// pass and the tail carried to the next piece.
pub(super) fn split_incomplete(bytes: &[u8]) -> (&[u8], &[u8]) {
    for back in 1..=bytes.len().min(3) {
        let at = bytes.len() - back;
        let byte = bytes[at];
        if byte & 0xC0 != 0x80 {
            // The last byte that is not a continuation byte: does its sequence end in time?
            return if sequence_width(byte) > back {
                bytes.split_at(at)
            } else {
                (bytes, &[])
            };
        }
    }
    (bytes, &[])
}

/// Checks a piece split by [`split_incomplete`]: `complete` must be valid UTF-8 and `tail`
/// the start of a valid sequence. The error is the offset of the first byte of the first
/// sequence that cannot be valid, from the start of `complete`.
pub(super) fn validate<'a>(complete: &'a [u8], tail: &[u8]) -> Result<&'a str, usize> {
    let text = from_utf8(complete).map_err(|e| e.valid_up_to())?;
    if tail.is_empty() {
        return Ok(text);
    }
    match str::from_utf8(tail) {
        Err(e) if e.error_len().is_some() => Err(complete.len()),
        // A prefix of a valid sequence, or (unreachable from `split_incomplete`) a whole one.
        _ => Ok(text),
    }
}

/// `std::str::from_utf8`, faster on valid text: that is checked first with SIMD instructions
/// where the CPU has them, and only invalid text takes the standard library's path, which
/// locates the error.
fn from_utf8(bytes: &[u8]) -> Result<&str, str::Utf8Error> {
    simdutf8::basic::from_utf8(bytes).or_else(|_| str::from_utf8(bytes))
}

/// The length of the sequence a lead byte announces.
const fn sequence_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        // Not a lead byte: `from_utf8` rejects it on its own.
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` in pieces of `piece` bytes and returns the offset of the first error, if any.
    fn validate_in_pieces(bytes: &[u8], piece: usize) -> Result<(), InvalidUtf8> {
        let mut validator = Utf8Validator::new();
        for chunk in bytes.chunks(piece.max(1)) {
            validator.feed(chunk)?;
        }
        validator.finish()
    }

    #[test]
    fn long_text_errors_are_located_as_std_locates_them() {
        // Longer than a SIMD block, so that the fast check runs before the exact one.
        let text = "ascii, Grüße, 日本語, 😀 and more ascii to pass 64 bytes. ".repeat(3);
        let text = text.as_bytes();
        assert_eq!(from_utf8(text), Ok(std::str::from_utf8(text).unwrap()));
        for at in 0..text.len() {
            for bad in [0xFF, 0x80, 0xC0, 0xED] {
                let mut bytes = text.to_vec();
                bytes[at] = bad;
                assert_eq!(
                    from_utf8(&bytes),
                    std::str::from_utf8(&bytes),
                    "byte {bad:#x} at {at}"
                );
            }
            assert_eq!(from_utf8(&text[..at]), std::str::from_utf8(&text[..at]));
        }
    }

    #[test]
    fn valid_text_in_every_piece_size() {
        let text = "aé€😀 ascii ☃ \u{10FFFF}\u{FFFD}".as_bytes();
        for piece in 1..=text.len() {
            assert_eq!(
                validate_in_pieces(text, piece),
                Ok(()),
                "piece size {piece}"
            );
        }
    }

    #[test]
    fn invalid_sequences_report_the_same_offset_in_every_piece_size() {
        let cases: &[(&[u8], u64)] = &[
            (b"ab\xFFcd", 2),                 // never valid
            (b"ab\xC0\xAF", 2),               // overlong
            (b"x\xED\xA0\x80", 1),            // surrogate
            (b"x\xF4\x90\x80\x80", 1),        // above U+10FFFF
            (b"\xE2\x82", 0),                 // truncated at the end
            (b"\xCE\xBA\xE1\xBD\xB9\xCF", 5), // truncated after two valid chars
            (b"caf\xC3\xA9\x80", 5),          // stray continuation byte
        ];
        for (bytes, offset) in cases {
            for piece in 1..=bytes.len() {
                assert_eq!(
                    validate_in_pieces(bytes, piece),
                    Err(InvalidUtf8 { offset: *offset }),
                    "{bytes:x?} in pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn fails_fast_on_an_impossible_prefix() {
        // Autobahn 6.3.2 style: the error is known at the second byte of the sequence.
        let mut validator = Utf8Validator::new();
        assert!(validator.feed(&[0xF4]).is_ok());
        assert_eq!(validator.feed(&[0x90]), Err(InvalidUtf8 { offset: 0 }));
        let mut validator = Utf8Validator::new();
        assert!(validator.feed(&[0xE0]).is_ok());
        assert_eq!(validator.feed(&[0x80]), Err(InvalidUtf8 { offset: 0 }));
    }

    #[test]
    fn splits_before_an_unfinished_sequence_only() {
        assert_eq!(
            split_incomplete(b"ab\xE2\x82"),
            (&b"ab"[..], &b"\xE2\x82"[..])
        );
        assert_eq!(
            split_incomplete(b"ab\xE2\x82\xAC"),
            (&b"ab\xE2\x82\xAC"[..], &b""[..])
        );
        assert_eq!(
            split_incomplete(b"\xF0\x9F\x98"),
            (&b""[..], &b"\xF0\x9F\x98"[..])
        );
        assert_eq!(
            split_incomplete(b"a\x80\x80\x80"),
            (&b"a\x80\x80\x80"[..], &b""[..])
        );
        assert_eq!(split_incomplete(b"a\xFF"), (&b"a\xFF"[..], &b""[..]));
        assert_eq!(validate(b"ab", b"\xE0\x80"), Err(2));
        assert_eq!(validate(b"a\xFFb", b""), Err(1));
        assert_eq!(validate(b"ok", b"\xF0\x9F"), Ok("ok"));
    }

    #[test]
    fn counts_bytes_fed() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"abc").unwrap();
        validator.feed(&[0xC3]).unwrap();
        assert_eq!(validator.bytes_fed(), 4);
        assert_eq!(validator.finish(), Err(InvalidUtf8 { offset: 3 }));
    }
}
