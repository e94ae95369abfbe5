//! WebSocket upgrades on hyper: check the RFC 6455 handshake headers, answer `101 Switching
//! Protocols`, and hand the upgraded connection to a task as a tokio-tungstenite stream.
//!
//! Every endpoint's loop passes what it reads to [`receive`], which ends connections as RFC 6455
//! says: a peer's Close is answered with a Close echoing its code (§5.5.1), a protocol error is
//! answered with close 1002, invalid UTF-8 with 1007 and a message over the size limit with 1009
//! (§7.4.1), and then the server closes the TCP connection (§7.1.1), reading for at most
//! [`LINGER`] what the peer still sends so that the close frame is not lost to a reset.

use std::future::Future;
use std::time::Duration;

use futures::SinkExt;
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::hub::server::TaskGuard;
use crate::hub::web::{Request, Response, error, full};

/// The server side of an accepted WebSocket.
pub(crate) type WsStream = WebSocketStream<TokioIo<Upgraded>>;

/// Whether `headers` ask for a WebSocket upgrade (`Upgrade: websocket`).
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Accepts the upgrade in `request`: returns the `101` response for hyper to write and spawns
/// `on_open` with the WebSocket once hyper has handed the connection over. `extra` headers are
/// added to the `101` (a chosen `Sec-WebSocket-Protocol`, Versia's signature). Refuses a
/// request that is not a valid version-13 upgrade with `400`/`426`.
///
/// A `Sec-WebSocket-Protocol` in `extra` must be exactly one of the values the client offered
/// (RFC 6455 §4.2.2): anything else (a list, a value not offered) is dropped, so the `101`
/// selects no subprotocol rather than an invalid one. Endpoints without a subprotocol add none.
pub(crate) fn accept<F, Fut>(
    request: Request,
    mut extra: HeaderMap,
    config: WebSocketConfig,
    guard: TaskGuard,
    on_open: F,
) -> Response
where
    F: FnOnce(WsStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let headers = request.headers();
    if !is_upgrade(headers) || !has_token(headers, header::CONNECTION, "upgrade") {
        let mut response = error(
            StatusCode::UPGRADE_REQUIRED,
            "this endpoint is a WebSocket: send Connection: Upgrade and Upgrade: websocket",
        );
        response
            .headers_mut()
            .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        return response;
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        let mut response = error(
            StatusCode::UPGRADE_REQUIRED,
            "unsupported Sec-WebSocket-Version; this server speaks 13",
        );
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return response;
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return error(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key");
    };
    if let Some(chosen) = extra.get(header::SEC_WEBSOCKET_PROTOCOL)
        && !is_offered(headers, chosen)
    {
        tracing::warn!(?chosen, "not one offered subprotocol; the 101 selects none");
        extra.remove(header::SEC_WEBSOCKET_PROTOCOL);
    }
    let accept_key = derive_accept_key(key.as_bytes());
    let upgrade = hyper::upgrade::on(request);
    tokio::spawn(async move {
        let _guard = guard;
        match upgrade.await {
            Ok(upgraded) => {
                let io = TokioIo::new(upgraded);
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
                on_open(ws).await;
            }
            Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
        }
    });
    let mut response = hyper::Response::new(full(""));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = response.headers_mut();
    out.extend(extra);
    out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(value) = HeaderValue::from_str(&accept_key) {
        out.insert(header::SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

/// Sends a close frame with `code` and `reason`, then flushes; errors (the peer already gone)
/// are ignored because the connection is ending anyway.
pub(crate) async fn close(ws: &mut WsStream, code: u16, reason: &str) {
    let frame = CloseFrame {
        code: code.into(),
        reason: reason.into(),
    };
    let _ = ws.send(Message::Close(Some(frame))).await;
}

/// How long a closing connection goes on reading (and discarding) what the peer still sends
/// after the server's close frame and FIN. Closing a socket with unread data sends a reset,
/// which can destroy the close frame before the peer reads it.
pub(crate) const LINGER: Duration = Duration::from_secs(1);

/// Close code for a protocol error (RFC 6455 §7.4.1).
pub(crate) const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Close code for a text message that is not UTF-8.
pub(crate) const CLOSE_INVALID_DATA: u16 = 1007;
/// Close code for a message or frame over the size limit.
pub(crate) const CLOSE_TOO_BIG: u16 = 1009;

/// Handles one read of `ws` (what `ws.next()` gave) for an endpoint's loop: data, pings and
/// pongs come back to act on (tungstenite answers pings itself); the end of the connection
/// comes back as `None`, or as `Some(Message::Close(frame))` when the peer closed (for
/// endpoints that report its code).
///
/// Before returning the end, the closing handshake is done here: a peer's Close is answered
/// with a Close echoing its code (tungstenite queues that answer, with 1002 for a code that may
/// not be sent; this flushes it), a protocol error with close 1002, invalid UTF-8 with 1007 and
/// an oversized message or frame with 1009. Then the write side is shut down and the socket
/// read until the peer closes or [`LINGER`] passes. The caller drops the socket afterwards.
pub(crate) async fn receive(
    ws: &mut WsStream,
    incoming: Option<Result<Message, WsError>>,
) -> Option<Message> {
    match incoming {
        Some(Ok(Message::Close(frame))) => {
            // Writes the echo tungstenite queued on reading the close.
            let _ = ws.flush().await;
            finish(ws).await;
            Some(Message::Close(frame))
        }
        Some(Ok(message)) => Some(message),
        Some(Err(error)) => {
            match error_close_code(&error) {
                Some((code, reason)) => {
                    tracing::debug!(%error, code, "WebSocket protocol error; closing");
                    close(ws, code, reason).await;
                    finish(ws).await;
                }
                None => tracing::debug!(%error, "WebSocket connection lost"),
            }
            None
        }
        None => None,
    }
}

/// The close code and reason that answer a read error, if one can be sent (`None` for I/O
/// errors and connections already closed).
fn error_close_code(error: &WsError) -> Option<(u16, &'static str)> {
    match error {
        WsError::Utf8(_) => Some((CLOSE_INVALID_DATA, "invalid UTF-8")),
        WsError::Capacity(_) => Some((CLOSE_TOO_BIG, "message too big")),
        WsError::Protocol(_) | WsError::AttackAttempt => {
            Some((CLOSE_PROTOCOL_ERROR, "protocol error"))
        }
        _ => None,
    }
}

/// Shuts down the write side (the server closes the TCP connection first, RFC 6455 §7.1.1)
/// and reads until the peer closes too, for at most [`LINGER`].
async fn finish(ws: &mut WsStream) {
    let io = ws.get_mut();
    let _ = io.shutdown().await;
    let mut scratch = [0u8; 4096];
    let drained = tokio::time::timeout(LINGER, async {
        while let Ok(1..) = io.read(&mut scratch).await {}
    });
    let _ = drained.await;
}

/// Whether `chosen` is a single subprotocol among those the request offers (compared exactly:
/// subprotocol names are case-sensitive).
fn is_offered(headers: &HeaderMap, chosen: &HeaderValue) -> bool {
    let Ok(chosen) = chosen.to_str() else {
        return false;
    };
    !chosen.contains(',')
        && !chosen.trim().is_empty()
        && headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|offered| offered.trim() == chosen.trim())
}

/// Whether the comma-separated header `name` lists `token` (case-insensitively).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_map_to_rfc_6455_close_codes() {
        use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
        let code = |error: WsError| error_close_code(&error).map(|(code, _)| code);
        assert_eq!(
            code(WsError::Protocol(ProtocolError::NonZeroReservedBits)),
            Some(1002)
        );
        assert_eq!(
            code(WsError::Protocol(ProtocolError::UnmaskedFrameFromClient)),
            Some(1002)
        );
        assert_eq!(code(WsError::Utf8("bad".into())), Some(1007));
        assert_eq!(
            code(WsError::Capacity(CapacityError::MessageTooLong {
                size: 2,
                max_size: 1
            })),
            Some(1009)
        );
        assert_eq!(code(WsError::ConnectionClosed), None);
        assert_eq!(
            code(WsError::Io(std::io::ErrorKind::BrokenPipe.into())),
            None
        );
    }

    #[test]
    fn only_one_offered_subprotocol_may_be_selected() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("a, b"),
        );
        headers.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("c"),
        );
        for one in ["a", "b", "c"] {
            assert!(
                is_offered(&headers, &HeaderValue::from_static(one)),
                "{one}"
            );
        }
        for wrong in ["a, b", "d", "A", ""] {
            assert!(
                !is_offered(&headers, &HeaderValue::from_static(wrong)),
                "{wrong}"
            );
        }
        assert!(!is_offered(
            &HeaderMap::new(),
            &HeaderValue::from_static("a")
        ));
    }

    #[test]
    fn connection_header_may_list_several_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(has_token(&headers, header::CONNECTION, "upgrade"));
    }
}
