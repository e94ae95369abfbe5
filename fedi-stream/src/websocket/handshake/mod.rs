//! The opening handshake of RFC 6455 §4 on [`http`] types: a server validates the client's
//! upgrade request and builds the `101 Switching Protocols` response; a client builds the
//! request with a caller-supplied key and checks the response.
//!
//! ```text
//!  client                                              server
//!  ClientHandshake::new(uri, key, protocols)
//!    .request() ── http::Request ──(host writes it)──▶ UpgradeRequest::parse(&request)
//!                                                        ├─ Err(RequestError) ─▶ .response(): 400 / 426
//!                                                        └─ Ok ─▶ .select_protocol(..), .response(..)
//!  .check_response(&response) ◀── http::Response 101 ─────────────┘
//!    └─ Ok(selected protocol) ─▶ Connection::client(..)           Connection::server(..)
//! ```
//!
//! Hosts with an HTTP stack (hyper, axum, actix) hand its `Request`/`Response` values over
//! directly. Hosts without one can use [`head`], a small bounded HTTP/1.1 head codec.
//!
//! No extension is ever negotiated (`Sec-WebSocket-Extensions` offers are ignored, and a
//! client refuses a response that selects one), so no RSV bit may be used on the connection.

mod client;
pub mod head;
mod key;
mod server;

pub use client::{ClientHandshake, ClientHandshakeError, ResponseError};
pub use key::{accept_key, encode_key};
pub use server::{ProtocolNotOffered, RequestError, UpgradeRequest};

/// `Sec-WebSocket-Key`.
pub const SEC_WEBSOCKET_KEY: &str = "sec-websocket-key";
/// `Sec-WebSocket-Accept`.
pub const SEC_WEBSOCKET_ACCEPT: &str = "sec-websocket-accept";
/// `Sec-WebSocket-Version`.
pub const SEC_WEBSOCKET_VERSION: &str = "sec-websocket-version";
/// `Sec-WebSocket-Protocol`.
pub const SEC_WEBSOCKET_PROTOCOL: &str = "sec-websocket-protocol";
/// `Sec-WebSocket-Extensions`.
pub const SEC_WEBSOCKET_EXTENSIONS: &str = "sec-websocket-extensions";
/// The only protocol version of RFC 6455, `13`.
pub const WEBSOCKET_VERSION: &str = "13";

/// The comma-separated elements of every `name` header, trimmed, empty ones skipped
/// (the `#rule` list syntax of RFC 9110 §5.6.1).
fn list_elements<'a>(
    headers: &'a http::HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|element| !element.is_empty())
}

/// Whether a `name` header lists `token`, compared case-insensitively.
fn lists_token(headers: &http::HeaderMap, name: &str, token: &str) -> bool {
    list_elements(headers, name).any(|element| element.eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether `value` is an RFC 9110 token (what a subprotocol name must be).
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
