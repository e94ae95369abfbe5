//! The client side of the opening handshake (RFC 6455 §4.1).

use http::header::{CONNECTION, HOST, UPGRADE};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use thiserror::Error;

use super::key::{accept_key, encode_key};
use super::{
    SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, WEBSOCKET_VERSION, is_token, list_elements, lists_token,
};

/// A client's opening handshake: the request to send and the check of the server's answer.
///
/// ```
/// use fedi_stream::websocket::handshake::{ClientHandshake, UpgradeRequest};
///
/// let nonce = *b"the sample nonce"; // 16 random bytes in production
/// let client = ClientHandshake::new("ws://server.example.com/chat".parse()?, nonce, &["chat"])?;
/// let request = client.request();
/// assert_eq!(request.headers()["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(request.headers()["host"], "server.example.com");
///
/// // What a server answers.
/// let server = UpgradeRequest::parse(&request)?;
/// let response = server.response(server.select_protocol(&["chat"]))?;
///
/// assert_eq!(client.check_response(&response)?, Some("chat".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHandshake {
    uri: Uri,
    host: HeaderValue,
    key: HeaderValue,
    accept: String,
    protocols: Vec<String>,
    protocol_header: Option<HeaderValue>,
}

impl ClientHandshake {
    /// A handshake for `uri` (`ws`, `wss`, `http` or `https`, with a host) offering
    /// `protocols` in order of preference.
    ///
    /// `nonce` must be 16 bytes chosen freshly and randomly for this connection
    /// (RFC 6455 §4.1); it is sent base64-encoded as `Sec-WebSocket-Key`.
    ///
    /// # Errors
    /// [`ClientHandshakeError`] for a URI without a host or with another scheme, and for a
    /// subprotocol name that is not an RFC 9110 token or is listed twice.
    pub fn new(
        uri: Uri,
        nonce: [u8; 16],
        protocols: &[&str],
    ) -> Result<Self, ClientHandshakeError> {
        if let Some(scheme) = uri.scheme_str()
            && !["ws", "wss", "http", "https"]
                .iter()
                .any(|known| scheme.eq_ignore_ascii_case(known))
        {
            return Err(ClientHandshakeError::UnsupportedScheme {
                scheme: scheme.to_owned(),
            });
        }
        let host = match (uri.host(), uri.port_u16()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(ClientHandshakeError::MissingHost),
        };
        let host = HeaderValue::from_str(&host).map_err(|_| ClientHandshakeError::MissingHost)?;
        for (index, protocol) in protocols.iter().enumerate() {
            if !is_token(protocol) || protocols[..index].contains(protocol) {
                return Err(ClientHandshakeError::InvalidProtocol {
                    protocol: (*protocol).to_owned(),
                });
            }
        }
        let protocol_header = if protocols.is_empty() {
            None
        } else {
            Some(
                HeaderValue::from_str(&protocols.join(", "))
                    .expect("tokens are valid header values"),
            )
        };
        let key = encode_key(nonce);
        Ok(Self {
            uri,
            host,
            accept: accept_key(key.as_bytes()),
            key: HeaderValue::from_str(&key).expect("base64 is a valid header value"),
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            protocol_header,
        })
    }

    /// The `Sec-WebSocket-Key` value.
    #[must_use]
    pub const fn key(&self) -> &HeaderValue {
        &self.key
    }

    /// The request to send: `GET` of the URI in HTTP/1.1 with `Host`, `Upgrade: websocket`,
    /// `Connection: Upgrade`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13` and, if
    /// subprotocols were given, `Sec-WebSocket-Protocol`. Add `Origin`, cookies or
    /// authorization before sending it.
    #[must_use]
    pub fn request(&self) -> Request<()> {
        let mut request = Request::new(());
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(SEC_WEBSOCKET_KEY, self.key.clone());
        headers.insert(
            SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static(WEBSOCKET_VERSION),
        );
        if let Some(protocols) = &self.protocol_header {
            headers.insert(SEC_WEBSOCKET_PROTOCOL, protocols.clone());
        }
        request
    }

    /// Checks the server's response (RFC 6455 §4.1): status 101, `Upgrade: websocket`,
    /// `Connection: Upgrade`, the expected `Sec-WebSocket-Accept`, no extension, and at most
    /// one subprotocol, which must be one offered. Returns the selected subprotocol.
    ///
    /// # Errors
    /// A [`ResponseError`] naming the first check that failed; the client must then close the
    /// connection.
    pub fn check_response<B>(
        &self,
        response: &Response<B>,
    ) -> Result<Option<String>, ResponseError> {
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(ResponseError::UnexpectedStatus {
                status: response.status(),
            });
        }
        let headers = response.headers();
        if !lists_token(headers, UPGRADE.as_str(), "websocket") {
            return Err(ResponseError::NotAWebSocketUpgrade);
        }
        if !lists_token(headers, CONNECTION.as_str(), "upgrade") {
            return Err(ResponseError::ConnectionNotUpgrade);
        }
        let mut accepts = headers.get_all(SEC_WEBSOCKET_ACCEPT).iter();
        match (accepts.next(), accepts.next()) {
            (None, _) => return Err(ResponseError::MissingAccept),
            (Some(accept), None) if accept.as_bytes() == self.accept.as_bytes() => {}
            (Some(_), _) => return Err(ResponseError::AcceptMismatch),
        }
        if list_elements(headers, SEC_WEBSOCKET_EXTENSIONS)
            .next()
            .is_some()
        {
            return Err(ResponseError::ExtensionNotOffered);
        }
        let mut selected = list_elements(headers, SEC_WEBSOCKET_PROTOCOL);
        match (selected.next(), selected.next()) {
            (None, _) => Ok(None),
            (Some(protocol), None) => {
                let protocol = String::from_utf8_lossy(protocol).into_owned();
                if self.protocols.contains(&protocol) {
                    Ok(Some(protocol))
                } else {
                    Err(ResponseError::ProtocolNotOffered { protocol })
                }
            }
            (Some(_), Some(_)) => Err(ResponseError::SeveralProtocols),
        }
    }
}

/// A client handshake that cannot be built from its arguments (local misuse).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ClientHandshakeError {
    /// The URI has no host.
    #[error("the WebSocket URI has no host")]
    MissingHost,
    /// The URI's scheme is not `ws`, `wss`, `http` or `https`.
    #[error("the WebSocket URI has scheme {scheme:?}; expected ws or wss")]
    UnsupportedScheme {
        /// The scheme given.
        scheme: String,
    },
    /// A subprotocol name is not a token, or is given twice.
    #[error("subprotocol {protocol:?} is not a token or is listed twice")]
    InvalidProtocol {
        /// The name given.
        protocol: String,
    },
}

/// The server's answer is not a valid acceptance of the client's handshake.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The status is not `101 Switching Protocols` (the server refused or redirected).
    #[error("the server answered {status} instead of 101 Switching Protocols")]
    UnexpectedStatus {
        /// The status received.
        status: StatusCode,
    },
    /// The `Upgrade` header does not list `websocket`.
    #[error("the server's Upgrade header does not list \"websocket\"")]
    NotAWebSocketUpgrade,
    /// The `Connection` header does not list `Upgrade`.
    #[error("the server's Connection header does not list \"Upgrade\"")]
    ConnectionNotUpgrade,
    /// There is no `Sec-WebSocket-Accept` header.
    #[error("the server's response has no Sec-WebSocket-Accept header")]
    MissingAccept,
    /// `Sec-WebSocket-Accept` does not match the key sent (or appears several times).
    #[error("the server's Sec-WebSocket-Accept does not match the key this client sent")]
    AcceptMismatch,
    /// The server selected an extension, but none was offered.
    #[error("the server selected a WebSocket extension, but this client offered none")]
    ExtensionNotOffered,
    /// The server selected a subprotocol the client did not offer.
    #[error("the server selected subprotocol {protocol:?}, which this client did not offer")]
    ProtocolNotOffered {
        /// The subprotocol received.
        protocol: String,
    },
    /// The server selected more than one subprotocol.
    #[error("the server selected more than one subprotocol")]
    SeveralProtocols,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: [u8; 16] = *b"the sample nonce";

    fn accepted() -> http::response::Builder {
        Response::builder()
            .status(101)
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    fn check(
        client: &ClientHandshake,
        builder: http::response::Builder,
    ) -> Result<Option<String>, ResponseError> {
        client.check_response(&builder.body(()).unwrap())
    }

    #[test]
    fn request_carries_the_rfc_headers() {
        let client = ClientHandshake::new(
            "wss://[::1]:9001/a/b?c=d".parse().unwrap(),
            NONCE,
            &["v1", "v2"],
        )
        .unwrap();
        let request = client.request();
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(request.uri().path_and_query().unwrap(), "/a/b?c=d");
        let headers = request.headers();
        assert_eq!(headers["host"], "[::1]:9001");
        assert_eq!(headers["upgrade"], "websocket");
        assert_eq!(headers["connection"], "Upgrade");
        assert_eq!(headers["sec-websocket-version"], "13");
        assert_eq!(headers["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(headers["sec-websocket-protocol"], "v1, v2");
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert_eq!(
            ClientHandshake::new("/relative".parse().unwrap(), NONCE, &[]),
            Err(ClientHandshakeError::MissingHost)
        );
        assert_eq!(
            ClientHandshake::new("ftp://h/".parse().unwrap(), NONCE, &[]),
            Err(ClientHandshakeError::UnsupportedScheme {
                scheme: "ftp".into()
            })
        );
        assert!(ClientHandshake::new("ws://h/".parse().unwrap(), NONCE, &["a b"]).is_err());
        assert!(ClientHandshake::new("ws://h/".parse().unwrap(), NONCE, &["a", "a"]).is_err());
    }

    #[test]
    fn response_checks() {
        let plain = ClientHandshake::new("ws://h/".parse().unwrap(), NONCE, &[]).unwrap();
        assert_eq!(check(&plain, accepted()), Ok(None));
        assert_eq!(
            check(&plain, accepted().status(403)),
            Err(ResponseError::UnexpectedStatus {
                status: StatusCode::FORBIDDEN
            })
        );
        let wrong = Response::builder()
            .status(101)
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Accept", "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(check(&plain, wrong), Err(ResponseError::AcceptMismatch));
        let missing = Response::builder()
            .status(101)
            .header("Upgrade", "websocket")
            .header("Connection", "upgrade");
        assert_eq!(check(&plain, missing), Err(ResponseError::MissingAccept));
        let no_upgrade = Response::builder()
            .status(101)
            .header("Connection", "upgrade");
        assert_eq!(
            check(&plain, no_upgrade),
            Err(ResponseError::NotAWebSocketUpgrade)
        );
        let no_connection = Response::builder()
            .status(101)
            .header("Upgrade", "WebSocket");
        assert_eq!(
            check(&plain, no_connection),
            Err(ResponseError::ConnectionNotUpgrade)
        );
        assert_eq!(
            check(
                &plain,
                accepted().header("Sec-WebSocket-Extensions", "permessage-deflate")
            ),
            Err(ResponseError::ExtensionNotOffered)
        );
        assert_eq!(
            check(&plain, accepted().header("Sec-WebSocket-Protocol", "chat")),
            Err(ResponseError::ProtocolNotOffered {
                protocol: "chat".into()
            })
        );

        let chat =
            ClientHandshake::new("ws://h/".parse().unwrap(), NONCE, &["chat", "json"]).unwrap();
        assert_eq!(
            check(&chat, accepted().header("Sec-WebSocket-Protocol", "json")),
            Ok(Some("json".into()))
        );
        assert_eq!(
            check(
                &chat,
                accepted().header("Sec-WebSocket-Protocol", "chat, json")
            ),
            Err(ResponseError::SeveralProtocols)
        );
    }
}
