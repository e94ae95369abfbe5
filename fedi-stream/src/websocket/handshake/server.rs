//! The server side of the opening handshake (RFC 6455 §4.2).

use http::header::{CONNECTION, CONTENT_LENGTH, HOST, UPGRADE};
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};
use thiserror::Error;

use super::key::{accept_key, is_valid_key};
use super::{
    SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION,
    WEBSOCKET_VERSION, is_token, list_elements, lists_token,
};

/// A client's upgrade request that passed every check of RFC 6455 §4.2.1.
///
/// ```
/// use fedi_stream::websocket::handshake::UpgradeRequest;
///
/// let request = http::Request::get("/streaming")
///     .header("host", "example.org")
///     .header("upgrade", "websocket")
///     .header("connection", "keep-alive, Upgrade")
///     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("sec-websocket-version", "13")
///     .header("sec-websocket-protocol", "chat, superchat")
///     .body(())?;
///
/// let upgrade = UpgradeRequest::parse(&request)?;
/// let protocol = upgrade.select_protocol(&["superchat"]);
/// let response = upgrade.response(protocol)?;
/// assert_eq!(response.status(), 101);
/// assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// assert_eq!(response.headers()["sec-websocket-protocol"], "superchat");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    accept: HeaderValue,
    protocols: Vec<String>,
}

impl UpgradeRequest {
    /// Validates a client's opening handshake: a `GET` in HTTP/1.1 or later, with `Host`, an
    /// `Upgrade` header listing `websocket`, a `Connection` header listing `Upgrade` (both
    /// case-insensitive, among other tokens), one `Sec-WebSocket-Key` that is the base64 of 16
    /// bytes, and `Sec-WebSocket-Version: 13`. The body is ignored; `Origin` and
    /// `Sec-WebSocket-Extensions` are left to the caller (extensions are never accepted).
    ///
    /// # Errors
    /// A [`RequestError`] naming the first check that failed; its
    /// [`status`](RequestError::status) is 426 for an unsupported version, 400 otherwise.
    pub fn parse<B>(request: &Request<B>) -> Result<Self, RequestError> {
        if request.method() != Method::GET {
            return Err(RequestError::MethodNotGet {
                method: request.method().clone(),
            });
        }
        if !matches!(request.version(), Version::HTTP_11) {
            return Err(RequestError::UnsupportedHttpVersion {
                version: request.version(),
            });
        }
        let headers = request.headers();
        if headers.get(HOST).is_none() && request.uri().authority().is_none() {
            return Err(RequestError::MissingHost);
        }
        if !lists_token(headers, UPGRADE.as_str(), "websocket") {
            return Err(RequestError::NotAWebSocketUpgrade);
        }
        if !lists_token(headers, CONNECTION.as_str(), "upgrade") {
            return Err(RequestError::ConnectionNotUpgrade);
        }
        let mut versions = headers.get_all(SEC_WEBSOCKET_VERSION).iter();
        match (versions.next(), versions.next()) {
            (None, _) => return Err(RequestError::MissingVersion),
            (Some(version), None) if version == WEBSOCKET_VERSION => {}
            (Some(version), _) => {
                let version = String::from_utf8_lossy(version.as_bytes()).into_owned();
                return Err(RequestError::UnsupportedVersion { version });
            }
        }
        let mut keys = headers.get_all(SEC_WEBSOCKET_KEY).iter();
        let key = match (keys.next(), keys.next()) {
            (None, _) => return Err(RequestError::MissingKey),
            (Some(key), None) if is_valid_key(key.as_bytes()) => key,
            (Some(_), _) => return Err(RequestError::InvalidKey),
        };
        let mut protocols = Vec::new();
        for element in list_elements(headers, SEC_WEBSOCKET_PROTOCOL) {
            match std::str::from_utf8(element) {
                Ok(protocol) if is_token(protocol) => protocols.push(protocol.to_owned()),
                _ => return Err(RequestError::InvalidProtocol),
            }
        }
        // Base64 is always a valid header value.
        let accept = HeaderValue::from_str(&accept_key(key.as_bytes()))
            .map_err(|_| RequestError::InvalidKey)?;
        Ok(Self { accept, protocols })
    }

    /// The subprotocols the client offered, in its order of preference.
    #[must_use]
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The first subprotocol the client offered that is in `supported` (compared exactly, as
    /// subprotocol names are case-sensitive), or `None`.
    #[must_use]
    pub fn select_protocol<'a>(&self, supported: &[&'a str]) -> Option<&'a str> {
        self.protocols.iter().find_map(|offered| {
            supported
                .iter()
                .copied()
                .find(|candidate| offered == candidate)
        })
    }

    /// The `Sec-WebSocket-Accept` value of the response.
    #[must_use]
    pub fn accept_key(&self) -> &HeaderValue {
        &self.accept
    }

    /// The `101 Switching Protocols` response: `Upgrade: websocket`, `Connection: Upgrade`,
    /// `Sec-WebSocket-Accept`, and `Sec-WebSocket-Protocol` if `protocol` is given. Add any
    /// other header (cookies, server name) before sending it.
    ///
    /// # Errors
    /// [`ProtocolNotOffered`] if `protocol` is not one the client offered (RFC 6455 forbids
    /// selecting any other).
    pub fn response(&self, protocol: Option<&str>) -> Result<Response<()>, ProtocolNotOffered> {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(SEC_WEBSOCKET_ACCEPT, self.accept.clone());
        if let Some(protocol) = protocol {
            let not_offered = || ProtocolNotOffered {
                protocol: protocol.to_owned(),
            };
            if !self.protocols.iter().any(|offered| offered == protocol) {
                return Err(not_offered());
            }
            let value = HeaderValue::from_str(protocol).map_err(|_| not_offered())?;
            headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
        }
        Ok(response)
    }
}

/// The server was asked to select a subprotocol the client did not offer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[error("the client did not offer subprotocol {protocol:?}")]
pub struct ProtocolNotOffered {
    /// The subprotocol asked for.
    pub protocol: String,
}

/// A client's upgrade request that is not a valid RFC 6455 opening handshake.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The method is not `GET`.
    #[error("the upgrade request uses method {method}; a WebSocket handshake is a GET")]
    MethodNotGet {
        /// The method received.
        method: Method,
    },
    /// The request is not HTTP/1.1.
    #[error("the upgrade request uses {version:?}; a WebSocket handshake needs HTTP/1.1")]
    UnsupportedHttpVersion {
        /// The version received.
        version: Version,
    },
    /// There is no `Host` header.
    #[error("the upgrade request has no Host header")]
    MissingHost,
    /// The `Upgrade` header does not list `websocket`.
    #[error("the request's Upgrade header does not list \"websocket\"")]
    NotAWebSocketUpgrade,
    /// The `Connection` header does not list `Upgrade`.
    #[error("the upgrade request's Connection header does not list \"Upgrade\"")]
    ConnectionNotUpgrade,
    /// There is no `Sec-WebSocket-Version` header.
    #[error("the upgrade request has no Sec-WebSocket-Version header")]
    MissingVersion,
    /// The version is not 13 (answered with 426 and `Sec-WebSocket-Version: 13`).
    #[error("the upgrade request asks for WebSocket version {version:?}; only 13 is supported")]
    UnsupportedVersion {
        /// The version(s) received.
        version: String,
    },
    /// There is no `Sec-WebSocket-Key` header.
    #[error("the upgrade request has no Sec-WebSocket-Key header")]
    MissingKey,
    /// The key is not the base64 encoding of 16 bytes, or there are several.
    #[error("the upgrade request's Sec-WebSocket-Key is not one base64-encoded 16-byte value")]
    InvalidKey,
    /// A `Sec-WebSocket-Protocol` element is not a token.
    #[error(
        "the upgrade request's Sec-WebSocket-Protocol header lists a value that is not a token"
    )]
    InvalidProtocol,
}

impl RequestError {
    /// The status to answer with: `426 Upgrade Required` for an unsupported WebSocket version
    /// (RFC 6455 §4.2.2), `400 Bad Request` for everything else.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedVersion { .. } => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// A complete error response with [`status`](Self::status), an empty body
    /// (`Content-Length: 0`) and, for 426, `Sec-WebSocket-Version: 13`.
    #[must_use]
    pub fn response(&self) -> Response<()> {
        let mut response = Response::new(());
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        if self.status() == StatusCode::UPGRADE_REQUIRED {
            headers.insert(
                SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static(WEBSOCKET_VERSION),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> http::request::Builder {
        Request::get("/ws")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("Sec-WebSocket-Version", "13")
    }

    fn parse(builder: http::request::Builder) -> Result<UpgradeRequest, RequestError> {
        UpgradeRequest::parse(&builder.body(()).unwrap())
    }

    #[test]
    fn the_rfc_example_is_accepted() {
        // RFC 6455 §1.2/§1.3.
        let upgrade = parse(valid().header("Origin", "http://example.com")).unwrap();
        assert_eq!(upgrade.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        let response = upgrade.response(None).unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(response.headers()["upgrade"], "websocket");
        assert_eq!(response.headers()["connection"], "Upgrade");
        assert!(response.headers().get(SEC_WEBSOCKET_PROTOCOL).is_none());
    }

    #[test]
    fn tokens_are_case_insensitive_and_may_be_among_others() {
        let request = Request::get("/")
            .header("host", "h")
            .header("upgrade", "h2c, WebSocket")
            .header("connection", "keep-alive")
            .header("connection", "UPGRADE")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13");
        assert!(parse(request).is_ok());
    }

    #[test]
    fn each_missing_or_wrong_field_has_its_error_and_status() {
        let key = "Sec-WebSocket-Key";
        let cases: Vec<(http::request::Builder, RequestError, u16)> = vec![
            (
                valid().method("POST"),
                RequestError::MethodNotGet {
                    method: Method::POST,
                },
                400,
            ),
            (
                valid().version(Version::HTTP_10),
                RequestError::UnsupportedHttpVersion {
                    version: Version::HTTP_10,
                },
                400,
            ),
            (
                Request::get("/")
                    .header("Upgrade", "websocket")
                    .header("Connection", "Upgrade"),
                RequestError::MissingHost,
                400,
            ),
            (
                Request::get("/")
                    .header("Host", "h")
                    .header("Upgrade", "h2c")
                    .header("Connection", "Upgrade"),
                RequestError::NotAWebSocketUpgrade,
                400,
            ),
            (
                Request::get("/")
                    .header("Host", "h")
                    .header("Upgrade", "websocket")
                    .header("Connection", "close"),
                RequestError::ConnectionNotUpgrade,
                400,
            ),
            (
                Request::get("/")
                    .header("Host", "h")
                    .header("Upgrade", "websocket")
                    .header("Connection", "Upgrade")
                    .header(key, "dGhlIHNhbXBsZSBub25jZQ=="),
                RequestError::MissingVersion,
                400,
            ),
            (
                Request::get("/")
                    .header("Host", "h")
                    .header("Upgrade", "websocket")
                    .header("Connection", "Upgrade")
                    .header(key, "dGhlIHNhbXBsZSBub25jZQ==")
                    .header("Sec-WebSocket-Version", "8"),
                RequestError::UnsupportedVersion {
                    version: "8".into(),
                },
                426,
            ),
            (
                valid().header(key, "dGhlIHNhbXBsZSBub25jZQ=="),
                RequestError::InvalidKey,
                400,
            ),
            (
                valid().header("Sec-WebSocket-Protocol", "chat, bad protocol"),
                RequestError::InvalidProtocol,
                400,
            ),
        ];
        for (builder, expected, status) in cases {
            let error = parse(builder).unwrap_err();
            assert_eq!(error, expected);
            assert_eq!(error.status().as_u16(), status, "{error}");
            assert_eq!(error.response().status().as_u16(), status);
        }
        let short_key = Request::get("/")
            .header("Host", "h")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header(key, "c2hvcnQ=")
            .header("Sec-WebSocket-Version", "13");
        assert_eq!(parse(short_key), Err(RequestError::InvalidKey));
    }

    #[test]
    fn version_426_response_advertises_13() {
        let error = RequestError::UnsupportedVersion {
            version: "7".into(),
        };
        let response = error.response();
        assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
        assert_eq!(response.headers()[SEC_WEBSOCKET_VERSION], "13");
    }

    #[test]
    fn subprotocol_selection_follows_the_client_order_and_refuses_the_unoffered() {
        let upgrade = parse(
            valid()
                .header("Sec-WebSocket-Protocol", "v2.bus, v1.bus")
                .header("Sec-WebSocket-Protocol", "json"),
        )
        .unwrap();
        assert_eq!(upgrade.protocols(), ["v2.bus", "v1.bus", "json"]);
        assert_eq!(upgrade.select_protocol(&["json", "v1.bus"]), Some("v1.bus"));
        assert_eq!(upgrade.select_protocol(&["V1.BUS"]), None);
        assert_eq!(
            upgrade.response(Some("xml")).unwrap_err(),
            ProtocolNotOffered {
                protocol: "xml".into()
            }
        );
        assert_eq!(
            upgrade.response(Some("json")).unwrap().headers()[SEC_WEBSOCKET_PROTOCOL],
            "json"
        );
    }
}
