//! The `pathname` part of the signed string.
//!
//! The spec says the path is "URL-encoded" and defines URL-encoding as RFC 3986 §2.1. This
//! module fixes the exact rule (the spec gives none):
//!
//! - bytes RFC 3986 allows in a path (`unreserved`, `sub-delims`, `:`, `@`, `/`) are kept;
//! - an existing percent-escape `%XX` (two hex digits) is kept as it is, so encoding is
//!   idempotent and a path taken from a request line is signed as sent;
//! - every other byte (space, non-ASCII UTF-8 bytes, `"`, `%` without two hex digits, ...)
//!   becomes `%XX` with upper-case hex.
//!
//! The query string is never part of the signed path.
//!
//! **versia-server interop.** versia-server signs `encodeURI(new URL(url).pathname)`. The
//! WHATWG `pathname` is already percent-encoded, and `encodeURI` leaves every character of an
//! RFC 3986 path alone except `%`, which it encodes again: its form is the strict form with each
//! `%` replaced by `%25`. [`versia_server_form`] computes it; verification accepts it only when
//! [`PathMode::AlsoVersiaServer`] is chosen, and signing never produces it.

use std::borrow::Cow;

/// Which path encodings verification accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathMode {
    /// Only the RFC 3986 form described in this module.
    #[default]
    Strict,
    /// The strict form, and also versia-server's `encodeURI(pathname)` form (every `%` encoded
    /// twice). Opt-in, for verification only.
    AlsoVersiaServer,
}

/// Which encoding a successful verification matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathForm {
    /// The RFC 3986 form.
    Strict,
    /// versia-server's `encodeURI(pathname)` form.
    VersiaServer,
}

/// Encodes a path by the rule above. Borrowed when nothing needed encoding.
pub fn encode_path(path: &str) -> Cow<'_, str> {
    let bytes = path.as_bytes();
    let needs_work = bytes
        .iter()
        .enumerate()
        .any(|(index, &byte)| !keeps(bytes, index, byte));
    if !needs_work {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() + 16);
    for (index, &byte) in bytes.iter().enumerate() {
        if keeps(bytes, index, byte) {
            out.push(char::from(byte));
        } else {
            push_escape(&mut out, byte);
        }
    }
    Cow::Owned(out)
}

/// versia-server's form of an already [encoded](encode_path) path: each `%` becomes `%25`.
pub fn versia_server_form(encoded: &str) -> String {
    encoded.replace('%', "%25")
}

fn keeps(bytes: &[u8], index: usize, byte: u8) -> bool {
    match byte {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
        b'-' | b'.' | b'_' | b'~' => true,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => true,
        b':' | b'@' | b'/' => true,
        b'%' => matches!(
            (bytes.get(index + 1), bytes.get(index + 2)),
            (Some(high), Some(low)) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit()
        ),
        _ => false,
    }
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0f)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_are_borrowed() {
        assert!(matches!(
            encode_path("/.versia/v0.6/inbox"),
            Cow::Borrowed("/.versia/v0.6/inbox")
        ));
        assert_eq!(encode_path("/users/a:b@c;d=e,f"), "/users/a:b@c;d=e,f");
    }

    #[test]
    fn reserved_and_non_ascii_bytes_are_escaped() {
        assert_eq!(encode_path("/notes/a b"), "/notes/a%20b");
        assert_eq!(encode_path("/tags/café"), "/tags/caf%C3%A9");
        assert_eq!(encode_path("/x\"y<z>"), "/x%22y%3Cz%3E");
        assert_eq!(encode_path("/100%"), "/100%25");
        assert_eq!(encode_path("/a%zz"), "/a%25zz");
    }

    #[test]
    fn escapes_are_kept_so_encoding_is_idempotent() {
        assert_eq!(encode_path("/users/a%20b"), "/users/a%20b");
        let once = encode_path("/tags/café and more%");
        assert_eq!(encode_path(&once), once);
    }

    #[test]
    fn versia_server_doubles_percent() {
        assert_eq!(versia_server_form("/users/a%20b"), "/users/a%2520b");
        assert_eq!(versia_server_form("/users/ab"), "/users/ab");
    }
}
