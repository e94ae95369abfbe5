//! The HTTP/1.1 heads of the WebSocket opening handshake
//! (`fedi_stream::websocket::handshake::head`): a server parsing a client's request, a client
//! parsing a server's response, on arbitrary bytes and limits. Checks: no panic; every prefix
//! of the input gives "incomplete" or exactly what the whole input gives (so any chunking of
//! the reads gives the same result); a parsed head lies within the limits, ends with a blank
//! line and has only CRLF line ends; writing a parsed head and parsing it again gives the same
//! method, target, status and header fields.
//!
//! Input layout: `[flags, head...]`. `flags` bit 0: parse a response (else a request); bits 1-2:
//! `max_head_size` (8 KiB, 64, 300, 1 KiB); bits 3-4: `max_headers` (64, 2, 70, 0).
#![no_main]

use fedi_stream::websocket::handshake::head::{self, HeadError, HeadLimits};
use http::{HeaderMap, Method, StatusCode, Uri, Version};
use libfuzzer_sys::fuzz_target;

/// What a parsed head holds, comparable.
#[derive(Debug, PartialEq)]
enum Head {
    Request {
        method: Method,
        target: Uri,
        version: Version,
        headers: HeaderMap,
    },
    Response {
        status: StatusCode,
        version: Version,
        headers: HeaderMap,
    },
}

impl Head {
    fn headers(&self) -> &HeaderMap {
        match self {
            Self::Request { headers, .. } | Self::Response { headers, .. } => headers,
        }
    }
}

type Outcome = Result<Option<(Head, usize)>, HeadError>;

fn parse(bytes: &[u8], limits: &HeadLimits, response: bool) -> Outcome {
    if response {
        head::parse_response(bytes, limits).map(|parsed| {
            parsed.map(|(response, used)| {
                let head = Head::Response {
                    status: response.status(),
                    version: response.version(),
                    headers: response.headers().clone(),
                };
                (head, used)
            })
        })
    } else {
        head::parse_request(bytes, limits).map(|parsed| {
            parsed.map(|(request, used)| {
                let head = Head::Request {
                    method: request.method().clone(),
                    target: request.uri().clone(),
                    version: request.version(),
                    headers: request.headers().clone(),
                };
                (head, used)
            })
        })
    }
}

/// The head that `bytes` parses to, written out again.
fn written(bytes: &[u8], limits: &HeadLimits, response: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if response {
        let (parsed, _) = head::parse_response(bytes, limits).unwrap().unwrap();
        head::write_response(&parsed, &mut out);
    } else {
        let (parsed, _) = head::parse_request(bytes, limits).unwrap().unwrap();
        head::write_request(&parsed, &mut out);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [flags, bytes @ ..] = data else {
        return;
    };
    let response = flags & 1 != 0;
    let limits = HeadLimits::default()
        .with_max_head_size([8 * 1024, 64, 300, 1024][usize::from(flags >> 1 & 3)])
        .with_max_headers([64, 2, 70, 0][usize::from(flags >> 3 & 3)]);

    let whole = parse(bytes, &limits, response);
    for cut in 0..bytes.len() {
        let prefix = parse(&bytes[..cut], &limits, response);
        assert!(
            matches!(prefix, Ok(None)) || prefix == whole,
            "the first {cut} bytes give {prefix:?}, all {} give {whole:?}",
            bytes.len()
        );
    }

    let Ok(Some((parsed, used))) = &whole else {
        return;
    };
    let used = *used;
    assert!(used <= bytes.len() && used <= limits.max_head_size);
    assert!(parsed.headers().len() <= limits.max_headers);
    let head_bytes = &bytes[..used];
    assert!(head_bytes.ends_with(b"\r\n\r\n"));
    for (at, _) in head_bytes.iter().enumerate().filter(|(_, b)| **b == b'\n') {
        assert_eq!(head_bytes[at - 1], b'\r', "a bare LF at {at} was accepted");
    }

    let out = written(bytes, &limits, response);
    let exact = limits.with_max_head_size(out.len());
    let Ok(Some((again, used_again))) = parse(&out, &exact, response) else {
        panic!("the written head {} does not parse", out.escape_ascii());
    };
    assert_eq!(used_again, out.len());
    match (parsed, again) {
        (
            Head::Request {
                method,
                target,
                headers,
                ..
            },
            Head::Request {
                method: method_again,
                target: target_again,
                version,
                headers: headers_again,
            },
        ) => {
            assert_eq!((method, headers), (&method_again, &headers_again));
            assert_eq!(version, Version::HTTP_11);
            // The writer sends the path (`/` if there is none) and query of any target.
            let path = if target.path().is_empty() {
                "/"
            } else {
                target.path()
            };
            assert_eq!(target_again.path(), path, "{target}");
            assert_eq!(target_again.query(), target.query(), "{target}");
            assert!(target_again.authority().is_none(), "{target_again}");
        }
        (
            Head::Response {
                status, headers, ..
            },
            Head::Response {
                status: status_again,
                headers: headers_again,
                ..
            },
        ) => assert_eq!((status, headers), (&status_again, &headers_again)),
        _ => unreachable!("parsed as the same kind"),
    }
});
