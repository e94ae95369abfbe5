//! Bytes to text: the one place where the decoder checks UTF-8.
//!
//! Valid text is checked with `simdutf8`, with SIMD instructions where the CPU has them: on
//! ASCII, several times fewer instructions than `std::str::from_utf8`, and it accepts exactly
//! the same sequences.

use std::borrow::Cow;

/// `bytes` as text, if they are valid UTF-8.
#[inline]
pub(super) fn to_str(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// `bytes` as text, if they are valid UTF-8; for long text that may hold a few non-ASCII
/// characters anywhere, such as a whole chunk: after each non-ASCII block, this check goes back
/// to its ASCII fast path, where [`to_str`]'s keeps checking every byte in full to the end.
#[inline]
pub(super) fn long_to_str(bytes: &[u8]) -> Option<&str> {
    simdutf8::compat::from_utf8(bytes).ok()
}

/// `bytes` decoded as the Encoding Standard's UTF-8 decoder does, each invalid sequence
/// replaced with U+FFFD; borrowed when they are valid, the common case.
#[inline]
pub(super) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    to_str(bytes).map_or_else(|| String::from_utf8_lossy(bytes), Cow::Borrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_valid_utf8() {
        let cases: [&[u8]; 9] = [
            b"",
            b"plain ASCII, longer than one SIMD block of sixty-four bytes, to take the vector path",
            "caf\u{e9} \u{1F600} \u{20AC}".as_bytes(),
            b"\xC3",
            b"\xE2\x82",
            b"\xED\xA0\x80",
            b"\xC0\xAF",
            b"\xF4\x90\x80\x80",
            b"\xFF",
        ];
        for bytes in cases {
            let mut long = b"x".repeat(100);
            long.extend_from_slice(bytes);
            for input in [bytes, &long[..]] {
                assert_eq!(to_str(input), std::str::from_utf8(input).ok(), "{input:?}");
                assert_eq!(
                    long_to_str(input),
                    std::str::from_utf8(input).ok(),
                    "{input:?}"
                );
                assert_eq!(decode(input), String::from_utf8_lossy(input), "{input:?}");
            }
        }
    }
}
