//! The front of a federating cattle_grid: what the reverse proxy of a cattle_grid deployment
//! does (nginx's `auth_request` in cattle_grid's documented setup), over plain HTTP on loopback.
//!
//! For every request: `GET /auth/auth` on cattle_grid with the request's headers and
//! `X-Original-Method`, `X-Original-Uri`, `X-Original-Host` (the `Host` as sent, port included,
//! since that is what a signature covers) and `X-Forwarded-Proto: http`. Anything but `200` is
//! answered as is. Otherwise the request goes to cattle_grid's ActivityPub router (the path
//! under `/ap`) with `X-AP-Location` (its public URL) and the `X-Cattle-Grid-Requester` and
//! `X-Cattle-Grid-Should-Serve` that `/auth` set.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The largest request or answer body passed through.
const MAX_BODY: usize = 1 << 20;

/// Serves the front on `listener`, passing requests to cattle_grid at `upstream`, until the
/// task is aborted.
pub(crate) fn spawn(
    listener: std::net::TcpListener,
    upstream: SocketAddr,
) -> Result<tokio::task::JoinHandle<()>, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| async move {
                    Ok::<_, Infallible>(pass(request, upstream).await.unwrap_or_else(|e| {
                        let mut response = Response::new(Full::new(Bytes::from(e)));
                        *response.status_mut() = StatusCode::BAD_GATEWAY;
                        response
                    }))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }))
}

/// Headers that belong to one hop and are not passed on.
fn hop_by_hop(name: &HeaderName) -> bool {
    [
        header::HOST,
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ]
    .contains(name)
}

/// Headers the front sets for cattle_grid.
fn set_by_the_front(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("x-cattle-grid-")
        || name.starts_with("x-original-")
        || name == "x-ap-location"
        || name == "x-forwarded-proto"
}

fn value(text: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(text).map_err(|e| e.to_string())
}

async fn pass(
    request: Request<hyper::body::Incoming>,
    upstream: SocketAddr,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or("no Host")?
        .to_owned();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // What the front sets is never taken from the client.
    let mut passed: HeaderMap = parts
        .headers
        .iter()
        .filter(|(name, _)| !hop_by_hop(name) && !set_by_the_front(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();

    let mut auth = passed.clone();
    for (name, text) in [
        ("x-original-method", parts.method.as_str()),
        ("x-original-uri", target.as_str()),
        ("x-original-host", host.as_str()),
        ("x-forwarded-proto", "http"),
    ] {
        auth.insert(HeaderName::from_static(name), value(text)?);
    }
    let checked = exchange(upstream, Method::GET, "/auth/auth", auth, Bytes::new()).await?;
    if checked.status() != StatusCode::OK {
        return Ok(checked);
    }

    passed.insert(
        HeaderName::from_static("x-ap-location"),
        value(&format!("http://{host}{target}"))?,
    );
    for name in ["x-cattle-grid-requester", "x-cattle-grid-should-serve"] {
        if let Some(set) = checked.headers().get(name) {
            passed.insert(HeaderName::from_static(name), set.clone());
        }
    }
    exchange(
        upstream,
        parts.method,
        &format!("/ap{target}"),
        passed,
        body,
    )
    .await
}

/// One request to `upstream` on a fresh connection.
async fn exchange(
    upstream: SocketAddr,
    method: Method,
    target: &str,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(upstream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(target)
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    *request.headers_mut() = headers;
    request
        .headers_mut()
        .insert(header::HOST, value(&upstream.to_string())?);
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = answer.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    driver.abort();
    let mut response = Response::from_parts(parts, Full::new(body));
    for name in [header::CONNECTION, header::TRANSFER_ENCODING] {
        response.headers_mut().remove(name);
    }
    Ok(response)
}
