//! A small, bounded HTTP/1.1 message-head codec for hosts without an HTTP stack (a custom
//! executor, an embedded device, a test harness): it turns the bytes of an opening handshake
//! into [`http`] values and back. Only what a WebSocket handshake needs: a request or status
//! line and header fields; bodies are not handled.
//!
//! Parsing is done by [`httparse`] (in its strict default configuration), with CRLF required
//! at the end of every line on top (`httparse` also takes a bare LF): single spaces in the
//! start line, no obsolete line folding, header names and values as [`http`] accepts them,
//! HTTP/1.0 or 1.1. Empty lines before the request or status line are skipped (RFC 9112
//! §2.2). It is incremental: `Ok(None)` means "read more and call again with all the bytes so
//! far", and any prefix of an input gives either `Ok(None)` or what the whole input gives, so
//! the result does not depend on how the bytes arrived. An error names the first faulty line.
//!
//! ```
//! use fedi_stream::websocket::handshake::head::{self, HeadLimits};
//!
//! let bytes = b"GET /chat HTTP/1.1\r\nhost: server.example.com\r\nupgrade: websocket\r\n\r\n\x81\x80";
//! let (request, used) = head::parse_request(bytes, &HeadLimits::default())?.expect("complete head");
//! assert_eq!(request.uri(), "/chat");
//! assert_eq!(request.headers()["upgrade"], "websocket");
//! assert_eq!(&bytes[used..], b"\x81\x80"); // WebSocket frames may follow the head at once
//!
//! // Header names are written in lower case, as `http` keeps them.
//! let mut out = Vec::new();
//! head::write_request(&request, &mut out);
//! assert_eq!(out, &bytes[..used]);
//! # Ok::<(), fedi_stream::websocket::handshake::head::HeadError>(())
//! ```

use bytes::BufMut;
use http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version,
};
use thiserror::Error;

/// Bounds on a message head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HeadLimits {
    /// The longest head, start line to the blank line included, in bytes.
    /// Default: [`HeadLimits::DEFAULT_MAX_HEAD_SIZE`] (8 KiB).
    pub max_head_size: usize,
    /// The most header fields. Default: [`HeadLimits::DEFAULT_MAX_HEADERS`] (64).
    pub max_headers: usize,
}

impl HeadLimits {
    /// Default for [`max_head_size`](Self::max_head_size): 8 KiB.
    pub const DEFAULT_MAX_HEAD_SIZE: usize = 8 * 1024;
    /// Default for [`max_headers`](Self::max_headers): 64.
    pub const DEFAULT_MAX_HEADERS: usize = 64;

    /// The default limits.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_head_size: Self::DEFAULT_MAX_HEAD_SIZE,
            max_headers: Self::DEFAULT_MAX_HEADERS,
        }
    }

    /// Returns these limits with [`max_head_size`](Self::max_head_size) set to `bytes`.
    #[must_use]
    pub const fn with_max_head_size(mut self, bytes: usize) -> Self {
        self.max_head_size = bytes;
        self
    }

    /// Returns these limits with [`max_headers`](Self::max_headers) set to `count`.
    #[must_use]
    pub const fn with_max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }
}

impl Default for HeadLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// A message head that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum HeadError {
    /// No blank line within [`HeadLimits::max_head_size`] bytes.
    #[error("the message head is longer than HeadLimits::max_head_size ({max} bytes)")]
    TooLarge {
        /// The configured limit.
        max: usize,
    },
    /// More than [`HeadLimits::max_headers`] header fields.
    #[error("the message head has more than HeadLimits::max_headers ({max}) header fields")]
    TooManyHeaders {
        /// The configured limit.
        max: usize,
    },
    /// The request line or status line is malformed.
    #[error("the start line of the message head is malformed")]
    InvalidStartLine,
    /// The HTTP version is not 1.0 or 1.1.
    #[error("the message head is not HTTP/1.0 or HTTP/1.1")]
    UnsupportedVersion,
    /// A header field line is malformed.
    #[error("header field line {line} of the message head is malformed")]
    InvalidHeader {
        /// 1-based number of the line after the start line.
        line: usize,
    },
}

/// Parses a request head at the start of `bytes`: `Ok(None)` if it is incomplete, else the
/// request (its URI is the request target as sent) and the number of bytes it took.
///
/// # Errors
/// [`HeadError`]: malformed, or beyond `limits`.
pub fn parse_request(
    bytes: &[u8],
    limits: &HeadLimits,
) -> Result<Option<(Request<()>, usize)>, HeadError> {
    let window = &bytes[..bytes.len().min(limits.max_head_size)];
    let (mut stack, mut heap) = ([httparse::EMPTY_HEADER; STACK_SLOTS], Vec::new());
    let mut parsed = httparse::Request::new(slots(window, limits, &mut stack, &mut heap));
    let status = parsed.parse(window);
    let Some(used) = verdict(bytes, window, limits, status, reparse_request)? else {
        return Ok(None);
    };
    let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(HeadError::InvalidStartLine);
    };
    let mut request = Request::new(());
    *request.method_mut() =
        Method::from_bytes(method.as_bytes()).map_err(|_| HeadError::InvalidStartLine)?;
    *request.uri_mut() = Uri::try_from(target).map_err(|_| HeadError::InvalidStartLine)?;
    *request.version_mut() = http_version(version);
    *request.headers_mut() = header_map(parsed.headers)?;
    Ok(Some((request, used)))
}

/// Parses a response head at the start of `bytes`: `Ok(None)` if it is incomplete, else the
/// response and the number of bytes it took (the WebSocket frames start right after).
///
/// # Errors
/// [`HeadError`]: malformed, or beyond `limits`.
pub fn parse_response(
    bytes: &[u8],
    limits: &HeadLimits,
) -> Result<Option<(Response<()>, usize)>, HeadError> {
    let window = &bytes[..bytes.len().min(limits.max_head_size)];
    let (mut stack, mut heap) = ([httparse::EMPTY_HEADER; STACK_SLOTS], Vec::new());
    let mut parsed = httparse::Response::new(slots(window, limits, &mut stack, &mut heap));
    let status = parsed.parse(window);
    let Some(used) = verdict(bytes, window, limits, status, reparse_response)? else {
        return Ok(None);
    };
    let (Some(version), Some(code)) = (parsed.version, parsed.code) else {
        return Err(HeadError::InvalidStartLine);
    };
    let mut response = Response::new(());
    *response.version_mut() = http_version(version);
    *response.status_mut() = StatusCode::from_u16(code).map_err(|_| HeadError::InvalidStartLine)?;
    *response.headers_mut() = header_map(parsed.headers)?;
    Ok(Some((response, used)))
}

/// Writes a request head: `METHOD path?query HTTP/1.1` (the path is `/` when the URI has
/// none), every header, a blank line.
pub fn write_request<B>(request: &Request<B>, out: &mut impl BufMut) {
    out.put_slice(request.method().as_str().as_bytes());
    out.put_u8(b' ');
    let uri = request.uri();
    // `path()` is "/" for an empty path, as in `ws://host?query`.
    out.put_slice(
        if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        }
        .as_bytes(),
    );
    if let Some(query) = uri.query() {
        out.put_u8(b'?');
        out.put_slice(query.as_bytes());
    }
    out.put_slice(b" HTTP/1.1\r\n");
    write_fields(request.headers(), out);
}

/// Writes a response head: `HTTP/1.1 code reason`, every header, a blank line.
pub fn write_response<B>(response: &Response<B>, out: &mut impl BufMut) {
    out.put_slice(b"HTTP/1.1 ");
    out.put_slice(response.status().as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(
        response
            .status()
            .canonical_reason()
            .unwrap_or("")
            .as_bytes(),
    );
    out.put_slice(b"\r\n");
    write_fields(response.headers(), out);
}

/// Header slots handed to `httparse` on the stack up to this many, on the heap beyond.
const STACK_SLOTS: usize = 64;

/// The `httparse` header slots for `window`: one per allowed field, but never more than the
/// window can hold (a field line takes at least 3 bytes), whatever `max_headers` says.
fn slots<'s, 'b>(
    window: &[u8],
    limits: &HeadLimits,
    stack: &'s mut [httparse::Header<'b>; STACK_SLOTS],
    heap: &'s mut Vec<httparse::Header<'b>>,
) -> &'s mut [httparse::Header<'b>] {
    let count = limits.max_headers.min(window.len() / 3 + 1);
    if count <= STACK_SLOTS {
        &mut stack[..count]
    } else {
        heap.resize(count, httparse::EMPTY_HEADER);
        heap
    }
}

/// Parses a request head again, for [`verdict`].
fn reparse_request<'b>(
    prefix: &'b [u8],
    slots: &mut [httparse::Header<'b>],
) -> Result<(), httparse::Error> {
    httparse::Request::new(slots).parse(prefix).map(|_| ())
}

/// Parses a response head again, for [`verdict`].
fn reparse_response<'b>(
    prefix: &'b [u8],
    slots: &mut [httparse::Header<'b>],
) -> Result<(), httparse::Error> {
    httparse::Response::new(slots).parse(prefix).map(|_| ())
}

/// Turns `httparse`'s `status` for `window` (the first `max_head_size` bytes of `bytes`) into
/// ours: the length of a complete head, `None` for an incomplete one that may still fit, or
/// the typed error of the first faulty line. On top of `httparse`, every line must end with
/// CRLF (it also takes a bare LF). `reparse` parses a prefix of the window again, to locate
/// the line `httparse` refused (error paths only).
fn verdict(
    bytes: &[u8],
    window: &[u8],
    limits: &HeadLimits,
    status: httparse::Result<usize>,
    reparse: for<'b> fn(&'b [u8], &mut [httparse::Header<'b>]) -> Result<(), httparse::Error>,
) -> Result<Option<usize>, HeadError> {
    let examined = match status {
        Ok(httparse::Status::Complete(len)) => &window[..len],
        _ => window,
    };
    // Lines are numbered from 0 by the LFs before them. `httparse` skips empty lines before a
    // request line (RFC 9112 §2.2), so the start line is the first one that is not "\r\n".
    let start_line = examined
        .chunks_exact(2)
        .take_while(|pair| *pair == b"\r\n")
        .count();
    let bare_lf = memchr::memchr_iter(b'\n', examined)
        .find(|&at| at == 0 || examined[at - 1] != b'\r')
        .map(|at| (line_of(examined, at), None));
    let refused = status.err().map(|error| {
        // The shortest prefix ending a line that `httparse` refuses ends the faulty line; the
        // prefixes ending the lines before it are incomplete heads.
        let (mut stack, mut heap) = ([httparse::EMPTY_HEADER; STACK_SLOTS], Vec::new());
        let slots = slots(window, limits, &mut stack, &mut heap);
        let line_ends: Vec<usize> = memchr::memchr_iter(b'\n', window)
            .map(|at| at + 1)
            .collect();
        let line = line_ends.partition_point(|&end| reparse(&window[..end], slots).is_ok());
        (line, Some(error))
    });
    // The first faulty line; on the same line, `httparse` refused a byte before its end.
    let Some((line, error)) = [refused, bare_lf]
        .into_iter()
        .flatten()
        .min_by_key(|&(line, error)| (line, error.is_none()))
    else {
        return match status {
            Ok(httparse::Status::Complete(len)) => Ok(Some(len)),
            _ if bytes.len() >= limits.max_head_size => Err(HeadError::TooLarge {
                max: limits.max_head_size,
            }),
            _ => Ok(None),
        };
    };
    Err(match error {
        Some(httparse::Error::TooManyHeaders) => HeadError::TooManyHeaders {
            max: limits.max_headers,
        },
        Some(httparse::Error::Version) => HeadError::UnsupportedVersion,
        _ if line <= start_line => HeadError::InvalidStartLine,
        _ => HeadError::InvalidHeader {
            line: line - start_line,
        },
    })
}

/// The 0-based line (counting every LF) that the byte at `at` is on.
fn line_of(bytes: &[u8], at: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..at]).count()
}

fn http_version(minor: u8) -> Version {
    if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    }
}

/// The header fields `httparse` found, as `http` keeps them (names in lower case).
fn header_map(fields: &[httparse::Header<'_>]) -> Result<HeaderMap, HeadError> {
    let mut headers = HeaderMap::with_capacity(fields.len());
    for (index, field) in fields.iter().enumerate() {
        let invalid = || HeadError::InvalidHeader { line: index + 1 };
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_bytes(field.value.trim_ascii()).map_err(|_| invalid())?;
        headers.append(name, value);
    }
    Ok(headers)
}

fn write_fields(headers: &HeaderMap, out: &mut impl BufMut) {
    for (name, value) in headers {
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
        Host: server.example.com\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\n\
        Sec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    /// The outcome without the parsed value (`http` messages are not comparable).
    fn used<T>(result: Result<Option<(T, usize)>, HeadError>) -> Result<Option<usize>, HeadError> {
        result.map(|parsed| parsed.map(|(_, used)| used))
    }

    /// The outcome of `parse` on `bytes`, after checking that every prefix gives `Ok(None)`
    /// or that same outcome.
    fn prefix_consistent<T>(
        bytes: &[u8],
        parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, HeadError>,
    ) -> Result<Option<usize>, HeadError> {
        let whole = used(parse(bytes));
        for cut in 0..bytes.len() {
            let prefix = used(parse(&bytes[..cut]));
            assert!(
                prefix == Ok(None) || prefix == whole,
                "prefix of {cut} bytes: {prefix:?}, whole input: {whole:?}"
            );
        }
        whole
    }

    fn request(bytes: &[u8]) -> Result<Option<usize>, HeadError> {
        prefix_consistent(bytes, |b| parse_request(b, &HeadLimits::default()))
    }

    fn response(bytes: &[u8]) -> Result<Option<usize>, HeadError> {
        prefix_consistent(bytes, |b| parse_response(b, &HeadLimits::default()))
    }

    #[test]
    fn the_rfc_request_parses_in_every_prefix() {
        let limits = HeadLimits::default();
        for cut in 0..RFC_REQUEST.len() {
            assert_eq!(
                used(parse_request(&RFC_REQUEST[..cut], &limits)),
                Ok(None),
                "cut {cut}"
            );
        }
        let (request, used) = parse_request(RFC_REQUEST, &limits).unwrap().unwrap();
        assert_eq!(used, RFC_REQUEST.len());
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.version(), Version::HTTP_11);
        assert_eq!(request.headers().len(), 7);
        assert_eq!(
            request.headers()["sec-websocket-protocol"],
            "chat, superchat"
        );
        assert!(super::super::UpgradeRequest::parse(&request).is_ok());
    }

    #[test]
    fn the_rfc_response_parses() {
        let bytes = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
        let (response, used) = parse_response(bytes, &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            (response.status(), used),
            (StatusCode::SWITCHING_PROTOCOLS, bytes.len())
        );
        assert_eq!(
            response.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let mut out = Vec::new();
        write_response(&response, &mut out);
        assert_eq!(
            parse_response(&out, &HeadLimits::default())
                .unwrap()
                .unwrap()
                .0
                .headers(),
            response.headers()
        );
    }

    #[test]
    fn request_targets_are_written_in_origin_form() {
        for (uri, target) in [
            ("ws://example.com", "/"),
            ("ws://example.com?x=1", "/?x=1"),
            ("ws://example.com/a/b?x=1&y", "/a/b?x=1&y"),
            ("http://example.com:8080/chat", "/chat"),
            ("/chat?x=1", "/chat?x=1"),
            ("*", "*"),
            ("example.com:443", "/"),
        ] {
            let request = Request::get(uri).body(()).unwrap();
            let mut out = Vec::new();
            write_request(&request, &mut out);
            assert_eq!(
                out,
                format!("GET {target} HTTP/1.1\r\n\r\n").as_bytes(),
                "{uri}"
            );
            let (parsed, _) = parse_request(&out, &HeadLimits::default())
                .unwrap()
                .unwrap();
            assert_eq!(parsed.uri(), target);
        }
    }

    #[test]
    fn status_line_without_reason_is_accepted() {
        let (response, _) = parse_response(b"HTTP/1.1 426 \r\n\r\n", &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
        assert_eq!(response.headers().len(), 0);
    }

    #[test]
    fn limits_are_enforced() {
        let limits = HeadLimits::default()
            .with_max_head_size(32)
            .with_max_headers(2);
        assert_eq!(
            used(parse_request(&[b'a'; 32], &limits)),
            Err(HeadError::TooLarge { max: 32 })
        );
        assert_eq!(used(parse_request(&[b'a'; 31], &limits)), Ok(None));
        assert_eq!(
            used(parse_request(
                b"GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n",
                &HeadLimits::default().with_max_headers(2)
            )),
            Err(HeadError::TooManyHeaders { max: 2 })
        );
    }

    #[test]
    fn malformed_heads_are_refused() {
        let limits = HeadLimits::default();
        assert_eq!(
            used(parse_request(b"GET /\r\n\r\n", &limits)),
            Err(HeadError::InvalidStartLine)
        );
        assert_eq!(
            used(parse_request(b"GET / HTTP/2\r\n\r\n", &limits)),
            Err(HeadError::UnsupportedVersion)
        );
        assert_eq!(
            used(parse_request(
                b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
                &limits
            )),
            Err(HeadError::InvalidHeader { line: 2 })
        );
        assert_eq!(
            used(parse_request(b"GET / HTTP/1.1\r\nHost a\r\n\r\n", &limits)),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            used(parse_request(
                b"GET / HTTP/1.1\r\nHost: a\nUpgrade: websocket\r\n\r\n",
                &limits
            )),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            used(parse_response(b"HTTP/1.1 1O1 x\r\n\r\n", &limits)),
            Err(HeadError::InvalidStartLine)
        );
    }

    #[test]
    fn lines_must_end_with_crlf() {
        assert_eq!(
            request(b"GET / HTTP/1.1\nHost: a\r\n\r\n"),
            Err(HeadError::InvalidStartLine)
        );
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\n\r\n"),
            Err(HeadError::InvalidHeader { line: 3 })
        );
        // A bare LF ending the head, and one before the head is complete.
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nHost: a\r\n\n"),
            Err(HeadError::InvalidHeader { line: 2 })
        );
        assert_eq!(
            used(parse_request(
                b"GET / HTTP/1.1\r\nHost: a\n",
                &HeadLimits::default()
            )),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            response(b"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\r\n\r\n"),
            Err(HeadError::InvalidStartLine)
        );
        // A CR that is not followed by LF.
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        // The frames after the head may hold any byte.
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        let mut bytes = head.to_vec();
        bytes.extend(b"\x81\x03a\nb");
        assert_eq!(response(&bytes), Ok(Some(head.len())));
    }

    #[test]
    fn the_first_faulty_line_is_reported() {
        // A bare LF on line 2 comes before the bad name on line 3, and the other way round.
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\nC D: 3\r\n\r\n"),
            Err(HeadError::InvalidHeader { line: 2 })
        );
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nA: 1\r\nB D: 2\r\nC: 3\n\r\n"),
            Err(HeadError::InvalidHeader { line: 2 })
        );
        // A faulty line that has not ended yet.
        assert_eq!(
            used(parse_request(
                b"GET / HTTP/1.1\r\nA: 1\r\nB\x00",
                &HeadLimits::default()
            )),
            Err(HeadError::InvalidHeader { line: 2 })
        );
        // Control characters in a value, a space before the colon, folding in a response.
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nA: 1\x7f\r\n\r\n"),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            request(b"GET / HTTP/1.1\r\nA : 1\r\n\r\n"),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            response(b"HTTP/1.1 101 x\r\nUpgrade: websocket\r\n x\r\n\r\n"),
            Err(HeadError::InvalidHeader { line: 2 })
        );
    }

    #[test]
    fn start_lines_are_checked() {
        for bytes in [
            &b"GET  / HTTP/1.1\r\n\r\n"[..],
            b"GET / HTTP/1.1 \r\n\r\n",
            b"G\x7fT / HTTP/1.1\r\n\r\n",
            b"GET http://[::1 HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(
                request(bytes),
                Err(HeadError::InvalidStartLine),
                "{}",
                bytes.escape_ascii()
            );
        }
        for bytes in [
            &b"HTTP/1.1 99 x\r\n\r\n"[..],
            b"HTTP/1.1 099 x\r\n\r\n",
            b"HTTP/1.1 1010 x\r\n\r\n",
            b"HTTP/1.1 101 x\x00\r\n\r\n",
        ] {
            assert_eq!(
                response(bytes),
                Err(HeadError::InvalidStartLine),
                "{}",
                bytes.escape_ascii()
            );
        }
        assert_eq!(
            response(b"HTTP/2 101 x\r\n\r\n"),
            Err(HeadError::UnsupportedVersion)
        );
        // A space in the target: what follows it is taken as the version.
        assert_eq!(
            request(b"GET /a b HTTP/1.1\r\n\r\n"),
            Err(HeadError::UnsupportedVersion)
        );
        let (request, _) = parse_request(b"GET /?a=1 HTTP/1.0\r\n\r\n", &HeadLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            (request.version(), request.uri().query()),
            (Version::HTTP_10, Some("a=1"))
        );
    }

    #[test]
    fn empty_lines_before_the_start_line_are_skipped() {
        let bytes = b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(request(bytes), Ok(Some(bytes.len())));
        // Header lines are still numbered from the start line.
        assert_eq!(
            request(b"\r\nGET / HTTP/1.1\r\nHost a\r\n\r\n"),
            Err(HeadError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            request(b"\r\nGET / HTTP/1.1\n\r\n"),
            Err(HeadError::InvalidStartLine)
        );
        assert_eq!(
            request(b"\nGET / HTTP/1.1\r\n\r\n"),
            Err(HeadError::InvalidStartLine)
        );
    }

    #[test]
    fn header_counts_beyond_the_stack_slots() {
        let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..100 {
            bytes.extend(format!("x-{i}: {i}\r\n").as_bytes());
        }
        bytes.extend(b"\r\n");
        let limits = HeadLimits::default().with_max_headers(100);
        let (request, len) = parse_request(&bytes, &limits).unwrap().unwrap();
        assert_eq!((request.headers().len(), len), (100, bytes.len()));
        assert_eq!(request.headers()["x-99"], "99");
        assert_eq!(
            used(parse_request(&bytes, &limits.with_max_headers(99))),
            Err(HeadError::TooManyHeaders { max: 99 })
        );
        assert_eq!(
            used(parse_request(&bytes, &HeadLimits::default())),
            Err(HeadError::TooManyHeaders { max: 64 })
        );
        // No limit on the count: the slots follow the input, not the limit.
        let unbounded = HeadLimits::default().with_max_headers(usize::MAX);
        assert_eq!(
            used(parse_request(&bytes, &unbounded)),
            Ok(Some(bytes.len()))
        );
        assert_eq!(
            used(parse_request(
                b"GET / HTTP/1.1\r\n\r\n",
                &HeadLimits::default().with_max_headers(0)
            )),
            Ok(Some(18))
        );
    }

    #[test]
    fn a_head_may_fill_the_limit_exactly() {
        let bytes = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let exact = HeadLimits::default().with_max_head_size(bytes.len());
        assert_eq!(used(parse_request(bytes, &exact)), Ok(Some(bytes.len())));
        let short = exact.with_max_head_size(bytes.len() - 1);
        assert_eq!(
            used(parse_request(bytes, &short)),
            Err(HeadError::TooLarge {
                max: bytes.len() - 1
            })
        );
        // Past the limit, a faulty line inside it is still what is reported.
        assert_eq!(
            used(parse_request(b"GET / HTTP/1.1\r\nA B\r\n\r\n", &short)),
            Err(HeadError::InvalidHeader { line: 1 })
        );
    }
}
