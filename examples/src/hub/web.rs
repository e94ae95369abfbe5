//! HTTP plumbing shared by the protocol modules: the body type, response builders, bearer
//! tokens, query strings, bounded and timed request bodies, the headers every response
//! carries, and how stored blobs may be served.

use std::borrow::Cow;
use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;

use crate::hub::config::Limits;

/// The response body of every handler: a whole buffer or a stream (SSE), boxed.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A request as hyper hands it to the hub.
pub(crate) type Request = hyper::Request<hyper::body::Incoming>;

/// A response of the hub.
pub(crate) type Response = hyper::Response<Body>;

/// A body holding `bytes`.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A response with a status, a content type and a body.
pub(crate) fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let mut response = hyper::Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON response.
pub(crate) fn json(
    status: StatusCode,
    content_type: &'static str,
    value: &serde_json::Value,
) -> Response {
    respond(status, content_type, value.to_string())
}

/// An error response: `{"error": message}` with `status`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() });
    let mut response = json(status, "application/json", &body);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"fedi-hub\""),
        );
    }
    response
}

/// `405 Method Not Allowed` naming the allowed methods.
pub(crate) fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed here; use {allowed}"),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// Where a request's credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// `Authorization: Bearer <token>`.
    Header(&'a str),
    /// `?token=<token>` (WebSocket and EventSource URLs, where browsers cannot set headers).
    Query(Cow<'a, str>),
    /// Neither.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
}

impl Credentials<'_> {
    /// The token, if one was given.
    pub(crate) fn token(&self) -> Option<&str> {
        match self {
            Credentials::Header(t) => Some(t),
            Credentials::Query(t) => Some(t),
            Credentials::Missing | Credentials::Malformed => None,
        }
    }
}

/// The bearer token of `request`: the `Authorization` header wins; `?token=` (or Mastodon's
/// `?access_token=`) is accepted when `allow_query` (browsers cannot set headers on
/// `WebSocket` and `EventSource`).
pub(crate) fn credentials<B>(request: &hyper::Request<B>, allow_query: bool) -> Credentials<'_> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim())
                .filter(|t| !t.is_empty())
        });
        return token.map_or(Credentials::Malformed, Credentials::Header);
    }
    let query = || {
        query_param(request.uri(), "token").or_else(|| query_param(request.uri(), "access_token"))
    };
    if allow_query && let Some(token) = query() {
        return Credentials::Query(token);
    }
    Credentials::Missing
}

/// The first value of query parameter `name`, percent-decoded.
pub(crate) fn query_param<'a>(uri: &'a http::Uri, name: &str) -> Option<Cow<'a, str>> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Why a request body was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Longer than the limit (announced or read).
    #[error("request body exceeds the limit of {limit} bytes (Limits::max_body_bytes)")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Not complete within the deadline.
    #[error("request body not received within {timeout:?} (Limits::body_read_timeout)")]
    TimedOut {
        /// The deadline.
        timeout: Duration,
    },
    /// The connection failed while reading.
    #[error("reading the request body failed: {0}")]
    Read(String),
}

impl BodyError {
    /// The response for this error: `413`, `408` (which also closes the connection: what is
    /// left of the body is never read) or `400`.
    pub(crate) fn response(&self) -> Response {
        let status = match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            BodyError::Read(_) => StatusCode::BAD_REQUEST,
        };
        let mut response = error(status, self.to_string());
        if status == StatusCode::REQUEST_TIMEOUT {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Reads a whole request body within `limits`: at most `max_body_bytes` (a body announced
/// larger is refused before any of it is read) and complete within `body_read_timeout` of
/// this call. Every handler that reads a body reads it here.
pub(crate) async fn read_body(
    body: hyper::body::Incoming,
    limits: &Limits,
) -> Result<Bytes, BodyError> {
    let limit = limits.max_body_bytes;
    let announced = body.size_hint().lower();
    if usize::try_from(announced).map_or(true, |announced| announced > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let timeout = limits.body_read_timeout;
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_elapsed) => Err(BodyError::TimedOut { timeout }),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(BodyError::TooLarge { limit })
        }
        Ok(Err(e)) => Err(BodyError::Read(e.to_string())),
    }
}

/// Adds the headers every response of the hub carries, once, where responses leave the
/// dispatcher: `X-Content-Type-Options: nosniff`, so browsers use the declared `Content-Type`
/// and never guess HTML or script from the bytes. `101 Switching Protocols` (no content) is
/// left alone.
pub(crate) fn add_common_headers(response: &mut Response) {
    if response.status().is_informational() {
        return;
    }
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// How a stored blob may be served from the hub's origin ([`blob_serving`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobServing {
    /// The `Content-Type` to send.
    pub(crate) content_type: HeaderValue,
    /// Whether it is a download (`Content-Disposition: attachment`) rather than shown inline.
    pub(crate) attachment: bool,
}

impl BlobServing {
    /// Sets `Content-Type`, `Content-Disposition: attachment` for downloads, and
    /// `Content-Security-Policy: sandbox`, so that even a blob a browser renders as a document
    /// gets an opaque origin without scripts, never the hub's.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        if self.attachment {
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment"),
            );
        }
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
    }
}

/// Decides how a blob stored with `media_type` (as its uploader declared it) may be served.
///
/// Types browsers only display are served as themselves: `image/*`, `audio/*`, `video/*`
/// (their essence, without parameters) and `text/plain` (with its `charset`, if any). An
/// `…+xml` or `…/xml` image, audio or video type (such as `image/svg+xml`, which may carry
/// script), any other type, and anything that does not parse as a media type are served as
/// `application/octet-stream` with `Content-Disposition: attachment`: a download, never a
/// page on the hub's origin.
pub(crate) fn blob_serving(media_type: &str) -> BlobServing {
    let download = BlobServing {
        content_type: HeaderValue::from_static("application/octet-stream"),
        attachment: true,
    };
    // (`mime` accepts an empty subtype, as in `image/`; such a type is no type.)
    let Some(parsed) = media_type
        .trim()
        .parse::<mime::Mime>()
        .ok()
        .filter(|parsed| !parsed.subtype().as_str().is_empty())
    else {
        return download;
    };
    let xml = parsed.suffix() == Some(mime::XML) || parsed.subtype() == mime::XML;
    let shown = match (parsed.type_(), parsed.subtype()) {
        (mime::IMAGE | mime::AUDIO | mime::VIDEO, _) if !xml => {
            Some(parsed.essence_str().to_owned())
        }
        (mime::TEXT, mime::PLAIN) => Some(match parsed.get_param(mime::CHARSET) {
            Some(charset) => format!("text/plain; charset={}", charset.as_str()),
            None => "text/plain".to_owned(),
        }),
        _ => None,
    };
    shown
        .and_then(|text| HeaderValue::from_str(&text).ok())
        .map_or(download, |content_type| BlobServing {
            content_type,
            attachment: false,
        })
}

/// `ws://` or `wss://` for an `http://` or `https://` base URL.
pub(crate) fn ws_base(base: &str) -> String {
    base.strip_prefix("http")
        .map_or_else(|| base.to_owned(), |rest| format!("ws{rest}"))
}

/// Whether `request` is a `GET` (or `HEAD`).
pub(crate) fn is_get<B>(request: &hyper::Request<B>) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, authorization: Option<&str>) -> hyper::Request<()> {
        let mut builder = hyper::Request::builder().uri(uri);
        if let Some(a) = authorization {
            builder = builder.header(header::AUTHORIZATION, a);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn header_wins_over_query() {
        let r = request("/ws/bus?token=q", Some("Bearer h"));
        assert_eq!(credentials(&r, true), Credentials::Header("h"));
        let r = request("/ws/bus?token=q", Some("bearer   h "));
        assert_eq!(credentials(&r, true).token(), Some("h"));
    }

    #[test]
    fn query_token_is_percent_decoded_and_optional() {
        let r = request("/ws/bus?x=1&token=a%2Bb", None);
        assert_eq!(credentials(&r, true).token(), Some("a+b"));
        assert_eq!(credentials(&r, false), Credentials::Missing);
        assert_eq!(credentials(&request("/", None), true), Credentials::Missing);
    }

    #[test]
    fn blobs_browsers_only_display_are_served_as_themselves() {
        for (stored, served) in [
            ("image/png", "image/png"),
            ("IMAGE/JPEG", "image/jpeg"),
            ("image/webp; q=1", "image/webp"),
            ("audio/ogg", "audio/ogg"),
            ("video/mp4; codecs=\"avc1\"", "video/mp4"),
            ("text/plain", "text/plain"),
            ("text/plain; charset=UTF-8", "text/plain; charset=utf-8"),
            (" text/plain ", "text/plain"),
        ] {
            let serving = blob_serving(stored);
            assert_eq!(serving.content_type, served, "{stored}");
            assert!(!serving.attachment, "{stored}");
        }
    }

    #[test]
    fn other_blobs_are_downloads() {
        for stored in [
            "text/html",
            "text/html; charset=utf-8",
            "application/xhtml+xml",
            "image/svg+xml",
            "image/xml",
            "text/xml",
            "application/javascript",
            "text/javascript",
            "text/css",
            "application/pdf",
            "application/octet-stream",
            "multipart/x-mixed-replace; boundary=x",
            "text/plain, text/html",
            "",
            "html",
            "image/",
            "/png",
            "image/png\r\nX-Evil: 1",
        ] {
            let serving = blob_serving(stored);
            assert_eq!(
                serving,
                BlobServing {
                    content_type: HeaderValue::from_static("application/octet-stream"),
                    attachment: true,
                },
                "{stored:?}"
            );
        }
    }

    #[test]
    fn blob_headers() {
        let mut headers = HeaderMap::new();
        blob_serving("text/html").apply(&mut headers);
        assert_eq!(headers[header::CONTENT_TYPE], "application/octet-stream");
        assert_eq!(headers[header::CONTENT_DISPOSITION], "attachment");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "sandbox");
        let mut headers = HeaderMap::new();
        blob_serving("image/png").apply(&mut headers);
        assert_eq!(headers[header::CONTENT_TYPE], "image/png");
        assert!(headers.get(header::CONTENT_DISPOSITION).is_none());
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "sandbox");
    }

    #[test]
    fn common_headers_skip_upgrades() {
        let mut response = error(StatusCode::NOT_FOUND, "x");
        add_common_headers(&mut response);
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        let mut upgrade = hyper::Response::new(full(""));
        *upgrade.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        add_common_headers(&mut upgrade);
        assert!(
            upgrade
                .headers()
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .is_none()
        );
    }

    #[test]
    fn other_schemes_are_malformed() {
        for value in ["Basic abc", "Bearer", "Bearer  ", "token"] {
            assert_eq!(
                credentials(&request("/", Some(value)), true),
                Credentials::Malformed,
                "{value}"
            );
        }
    }
}
