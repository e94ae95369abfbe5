//! HTTP plumbing shared by the protocol modules: the body type, response builders, bearer
//! tokens, query strings and bounded request bodies.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};

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
    /// Longer than the limit.
    #[error("request body exceeds the limit of {limit} bytes (Limits::max_body_bytes)")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The connection failed while reading.
    #[error("reading the request body failed: {0}")]
    Read(String),
}

impl BodyError {
    /// The response for this error.
    pub(crate) fn response(&self) -> Response {
        let status = match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Read(_) => StatusCode::BAD_REQUEST,
        };
        error(status, self.to_string())
    }
}

/// Reads a whole request body of at most `limit` bytes.
pub(crate) async fn read_body(
    body: hyper::body::Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge { limit }),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
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
