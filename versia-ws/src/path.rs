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
//! # versia-server interop
//!
//! versia-server (its SDK's `crypto.ts`) signs and verifies
//! `encodeURI(new URL(url).pathname)` instead: the path as the WHATWG URL parser serialises it,
//! then passed through ECMAScript's `encodeURI`. [`versia_server_path`] computes that string
//! from the path as sent, by modelling both functions (not by a rewrite of the strict form):
//!
//! 1. **The URL parser** (the URL Standard, for an `https:` URL): trailing C0 controls and
//!    spaces are dropped, tabs and newlines removed; `\` separates segments like `/`; `.` and
//!    `..` segments (also spelt `%2e`, in any case) are resolved; code points in the *path
//!    percent-encode set* (C0 controls, space, `"`, `<`, `>`, `^`, `` ` ``, `{`, `}`, and
//!    everything above `~`) become `%XX` of their UTF-8 bytes, upper-case; everything else, `%`,
//!    `|`, `[` and `]` included, is left as it is.
//! 2. **`encodeURI`** then escapes every character but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` and
//!    `; / ? : @ & = + $ , #`. On a serialised path that means `%` (every escape is encoded a
//!    second time: `pub.versia%3AGroup` is signed as `pub.versia%253AGroup`), `|`, `[` and `]`.
//!
//! So `/a|b%20c` is signed by versia-server as `/a%7Cb%2520c`, `/tags/café` as
//! `/tags/caf%25C3%25A9`, and `/a/./b/../c` as `/a/c`.
//!
//! The model is that of versia-server's runtime, Bun, whose URL parser follows the current
//! URL Standard; the tests check it against versia-server's signing steps run on Bun. (Node 20's
//! parser predates `^` in the path percent-encode set and leaves it raw, which `encodeURI` then
//! escapes once: `%5E` where Bun signs `%255E`.) For the plain paths of the Versia
//! endpoints (letters, digits, `-._~`, `/`, and no dot segment) both forms are the same string.
//!
//! Verification accepts that form only when [`PathMode::AlsoVersiaServer`] is chosen; signing
//! produces it only when [`PathForm::VersiaServer`] is asked for
//! ([`crate::signature::sign_in`]).

use std::borrow::Cow;

/// Which path forms verification accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathMode {
    /// Only the RFC 3986 form described in this module.
    #[default]
    Strict,
    /// The strict form, and also versia-server's `encodeURI(pathname)` form
    /// ([`versia_server_path`]). Opt-in, for peers known to run versia-server.
    AlsoVersiaServer,
}

/// One form of the path in the signed string: the one a successful verification matched, or
/// the one to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathForm {
    /// The RFC 3986 form ([`encode_path`]).
    #[default]
    Strict,
    /// versia-server's `encodeURI(new URL(url).pathname)` form ([`versia_server_path`]).
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

/// Each `%` of an already [encoded](encode_path) path doubled to `%25`.
///
/// This is versia-server's form only for paths without raw `|`, `[` or `]` (which the URL
/// parser keeps and `encodeURI` escapes once, where the strict form's escape gets doubled) and
/// without dot segments (which the URL parser resolves). Use [`versia_server_path`] on the path
/// as sent.
#[deprecated(note = "use `versia_server_path` on the path as sent, which models the URL parser")]
pub fn versia_server_form(encoded: &str) -> String {
    encoded.replace('%', "%25")
}

/// versia-server's form of a request path: `encodeURI(new URL("https://host" + path).pathname)`,
/// modelled as described in the [module docs](self). Borrowed when the path is plain (both
/// steps leave it unchanged).
///
/// `path` is a request path as sent, starting with `/` (a path that does not is read as if it
/// did). A `?` or `#` ends the path, as it does in a URL; the query is not part of the result.
pub fn versia_server_path(path: &str) -> Cow<'_, str> {
    if is_plain(path) {
        return Cow::Borrowed(path);
    }
    let pathname = whatwg_pathname(path);
    Cow::Owned(encode_uri(&pathname))
}

/// Bytes that neither the URL parser nor `encodeURI` change, in a path without dot segments.
fn is_plain(path: &str) -> bool {
    let plain_bytes = path.bytes().all(|byte| {
        byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
            )
    });
    plain_bytes
        && path.starts_with('/')
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

/// The URL Standard's `pathname` of `https://host` followed by `path` (the path state of the
/// basic URL parser for a special scheme, then the path serialiser).
fn whatwg_pathname(path: &str) -> String {
    // The parser first strips leading and trailing C0 controls and spaces from the whole input
    // (the leading ones belong to the scheme, here), then removes every tab and newline.
    let trimmed = path.trim_end_matches(|c: char| c <= ' ');
    let mut chars = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .peekable();
    // Path start state: a leading `/` or `\` is consumed.
    if matches!(chars.peek(), Some('/' | '\\')) {
        chars.next();
    }
    let mut segments: Vec<String> = Vec::new();
    let mut buffer = String::new();
    loop {
        let next = chars.next();
        match next {
            Some(c) if !matches!(c, '/' | '\\' | '?' | '#') => push_path_code_point(&mut buffer, c),
            _ => {
                let ends_path = !matches!(next, Some('/' | '\\'));
                if is_double_dot(&buffer) {
                    segments.pop();
                    if ends_path {
                        segments.push(String::new());
                    }
                } else if is_single_dot(&buffer) {
                    if ends_path {
                        segments.push(String::new());
                    }
                } else {
                    segments.push(std::mem::take(&mut buffer));
                }
                buffer.clear();
                if ends_path {
                    break;
                }
            }
        }
    }
    let mut pathname = String::with_capacity(path.len() + segments.len());
    for segment in &segments {
        pathname.push('/');
        pathname.push_str(segment);
    }
    pathname
}

/// Appends `c` to a path segment, UTF-8 percent-encoded if it is in the path percent-encode set.
fn push_path_code_point(buffer: &mut String, c: char) {
    let encode = !(' '..='~').contains(&c)
        || matches!(c, ' ' | '"' | '#' | '<' | '>' | '?' | '^' | '`' | '{' | '}');
    if encode {
        let mut bytes = [0u8; 4];
        for &byte in c.encode_utf8(&mut bytes).as_bytes() {
            push_escape(buffer, byte);
        }
    } else {
        buffer.push(c);
    }
}

fn is_single_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

fn is_double_dot(segment: &str) -> bool {
    matches!(
        segment.to_ascii_lowercase().as_str(),
        ".." | ".%2e" | "%2e." | "%2e%2e"
    )
}

/// ECMAScript's `encodeURI`: every character outside its unescaped and reserved sets becomes
/// `%XX` of its UTF-8 bytes, upper-case (the input here is a serialised path, so ASCII).
fn encode_uri(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        let kept = c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '_' | '.' | '!' | '~' | '*' | '\'' | '(' | ')' // unescaped marks
                    | ';' | '/' | '?' | ':' | '@' | '&' | '=' | '+' | '$' | ',' | '#' // reserved
            );
        if kept {
            out.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for &byte in c.encode_utf8(&mut bytes).as_bytes() {
                push_escape(&mut out, byte);
            }
        }
    }
    out
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
    #[allow(deprecated)]
    fn the_old_rule_doubles_percent() {
        assert_eq!(versia_server_form("/users/a%20b"), "/users/a%2520b");
        assert_eq!(versia_server_form("/users/ab"), "/users/ab");
    }

    // Expected values below are worked out by hand from the URL Standard and ECMA-262; the
    // vectors of `tests/versia_server.rs` check the model against versia-server's steps run on
    // its runtime.

    #[test]
    fn plain_paths_are_borrowed_in_the_versia_server_form() {
        for path in [
            "/.versia/v0.6/inbox",
            "/users/a:b@c;d=e,f!$&'()*+~",
            "/",
            "//x",
        ] {
            assert!(
                matches!(versia_server_path(path), Cow::Borrowed(p) if p == path),
                "{path}"
            );
        }
    }

    #[test]
    fn percent_is_encoded_again() {
        assert_eq!(
            versia_server_path("/.versia/v0.6/entities/pub.versia%3AGroup/1"),
            "/.versia/v0.6/entities/pub.versia%253AGroup/1"
        );
        assert_eq!(versia_server_path("/100%"), "/100%25");
        assert_eq!(versia_server_path("/a%zz"), "/a%25zz");
    }

    #[test]
    fn parser_edge_characters_are_escaped_once() {
        assert_eq!(versia_server_path("/a|b%20c"), "/a%7Cb%2520c");
        assert_eq!(versia_server_path("/a[b]c"), "/a%5Bb%5Dc");
        // Encoded by the parser, so encoded twice.
        assert_eq!(versia_server_path("/a^b"), "/a%255Eb");
        assert_eq!(versia_server_path("/x`y{z}"), "/x%2560y%257Bz%257D");
        assert_eq!(versia_server_path("/q\"<>"), "/q%2522%253C%253E");
        assert_eq!(versia_server_path("/a b"), "/a%2520b");
        assert_eq!(versia_server_path("/tags/café"), "/tags/caf%25C3%25A9");
        assert_eq!(versia_server_path("/\u{1}\u{7f}"), "/%2501%257F");
    }

    #[test]
    fn the_parser_resolves_dots_and_backslashes() {
        assert_eq!(versia_server_path("/a/./b/../c"), "/a/c");
        assert_eq!(versia_server_path("/a/%2e%2E/b"), "/b");
        assert_eq!(versia_server_path("/a/.%2e"), "/");
        assert_eq!(versia_server_path("/a/."), "/a/");
        assert_eq!(versia_server_path("/.."), "/");
        assert_eq!(versia_server_path("/a\\b"), "/a/b");
        assert_eq!(versia_server_path("/a/...b"), "/a/...b");
    }

    #[test]
    fn the_parser_drops_tabs_newlines_and_trailing_spaces() {
        assert_eq!(versia_server_path("/a\tb\nc\r"), "/abc");
        assert_eq!(versia_server_path("/a b  "), "/a%2520b");
        assert_eq!(versia_server_path("/a?b c#d"), "/a");
    }
}
