//! A small, bounded HTTP/1.1 message-head codec for hosts without an HTTP stack (a custom
//! executor, an embedded device, a test harness): it turns the bytes of an opening handshake
//! into [`http`] values and back. Only what a WebSocket handshake needs: a request or status
//! line and header fields; bodies are not handled.
//!
//! Parsing is strict: lines end with CRLF, no obsolete line folding, header names and values
//! as [`http`] accepts them, HTTP/1.0 or 1.1. It is incremental in the httparse style:
//! `Ok(None)` means "read more and call again with all the bytes so far".
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
    let Some(Head {
        start,
        fields,
        len: used,
    }) = split_head(bytes, limits)?
    else {
        return Ok(None);
    };
    let mut parts = start.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::InvalidStartLine);
    };
    let mut request = Request::new(());
    *request.method_mut() = Method::from_bytes(method).map_err(|_| HeadError::InvalidStartLine)?;
    *request.uri_mut() = Uri::try_from(target).map_err(|_| HeadError::InvalidStartLine)?;
    *request.version_mut() = parse_version(version)?;
    *request.headers_mut() = parse_fields(fields, limits)?;
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
    let Some(Head {
        start,
        fields,
        len: used,
    }) = split_head(bytes, limits)?
    else {
        return Ok(None);
    };
    let mut parts = start.splitn(3, |&b| b == b' ');
    let (Some(version), Some(status)) = (parts.next(), parts.next()) else {
        return Err(HeadError::InvalidStartLine);
    };
    let mut response = Response::new(());
    *response.version_mut() = parse_version(version)?;
    if status.len() != 3 {
        return Err(HeadError::InvalidStartLine);
    }
    *response.status_mut() =
        StatusCode::from_bytes(status).map_err(|_| HeadError::InvalidStartLine)?;
    *response.headers_mut() = parse_fields(fields, limits)?;
    Ok(Some((response, used)))
}

/// Writes a request head: `METHOD path?query HTTP/1.1`, every header, a blank line.
pub fn write_request<B>(request: &Request<B>, out: &mut impl BufMut) {
    out.put_slice(request.method().as_str().as_bytes());
    out.put_u8(b' ');
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    out.put_slice(target.as_bytes());
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

/// A complete head, split.
struct Head<'a> {
    /// The request or status line.
    start: &'a [u8],
    /// The header field lines, CRLF-separated.
    fields: &'a [u8],
    /// The length of the head, blank line included.
    len: usize,
}

/// Splits a complete head into its start line and its field lines.
fn split_head<'a>(bytes: &'a [u8], limits: &HeadLimits) -> Result<Option<Head<'a>>, HeadError> {
    let window = &bytes[..bytes.len().min(limits.max_head_size)];
    let Some(end) = memchr::memmem::find(window, b"\r\n\r\n") else {
        return if bytes.len() >= limits.max_head_size {
            Err(HeadError::TooLarge {
                max: limits.max_head_size,
            })
        } else {
            Ok(None)
        };
    };
    let head = &window[..end];
    let (start, fields) = match memchr::memmem::find(head, b"\r\n") {
        Some(line_end) => (&head[..line_end], &head[line_end + 2..]),
        None => (head, &head[head.len()..]),
    };
    Ok(Some(Head {
        start,
        fields,
        len: end + 4,
    }))
}

fn parse_version(version: &[u8]) -> Result<Version, HeadError> {
    match version {
        b"HTTP/1.1" => Ok(Version::HTTP_11),
        b"HTTP/1.0" => Ok(Version::HTTP_10),
        _ => Err(HeadError::UnsupportedVersion),
    }
}

fn parse_fields(fields: &[u8], limits: &HeadLimits) -> Result<HeaderMap, HeadError> {
    let mut headers = HeaderMap::new();
    if fields.is_empty() {
        return Ok(headers);
    }
    for (index, line) in memchr::memmem::find_iter(fields, b"\r\n")
        .chain([fields.len()])
        .scan(0, |start, end| {
            let line = &fields[*start..end];
            *start = end + 2;
            Some(line)
        })
        .enumerate()
    {
        if index >= limits.max_headers {
            return Err(HeadError::TooManyHeaders {
                max: limits.max_headers,
            });
        }
        let invalid = HeadError::InvalidHeader { line: index + 1 };
        let colon = memchr::memchr(b':', line).ok_or_else(|| invalid.clone())?;
        let name = HeaderName::from_bytes(&line[..colon]).map_err(|_| invalid.clone())?;
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii()).map_err(|_| invalid)?;
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
}
