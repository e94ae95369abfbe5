//! WebSocket upgrades on hyper: check the RFC 6455 handshake headers, answer `101 Switching
//! Protocols`, and hand the upgraded connection to a task as a tokio-tungstenite stream.

use std::future::Future;

use futures::SinkExt;
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};

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
pub(crate) fn accept<F, Fut>(
    request: Request,
    extra: HeaderMap,
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
    fn connection_header_may_list_several_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(has_token(&headers, header::CONNECTION, "upgrade"));
    }
}
