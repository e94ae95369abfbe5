//! Shared by the `hub_*` tests: start a hub on an ephemeral loopback port, and small real
//! clients (hyper HTTP/1.1, tokio-tungstenite WebSockets) to talk to it.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use fedi_examples::hub::{AccountSeed, Config, ServeError, Server};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// alice's bearer token in every test hub.
pub(crate) const ALICE: &str = "alice-token";
/// bob's bearer token in every test hub.
pub(crate) const BOB: &str = "bob-token";

/// How long a test waits for something that should happen at once.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// A hub running on 127.0.0.1 with a random port.
pub(crate) struct TestHub {
    pub(crate) base: String,
    pub(crate) ws_base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

/// The accounts of every test hub: alice and bob with fixed tokens.
pub(crate) fn config() -> Config {
    Config::new(vec![
        AccountSeed {
            name: "alice".into(),
            token: ALICE.into(),
        },
        AccountSeed {
            name: "bob".into(),
            token: BOB.into(),
        },
    ])
}

impl TestHub {
    /// A hub with [`config`].
    pub(crate) async fn start() -> TestHub {
        TestHub::start_with(config()).await
    }

    /// A hub with `config`.
    pub(crate) async fn start_with(config: Config) -> TestHub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral loopback port");
        let server = Server::bind(config, listener).expect("valid test config");
        let base = server.base_url().to_owned();
        let ws_base = base.replacen("http://", "ws://", 1);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let hub = TestHub {
            base,
            ws_base,
            stop: Some(stop),
            task: Some(task),
        };
        // The first connection is accepted once every module has started (brokers connected):
        // an answered request means the hub is ready.
        let ready = get(&format!("{}/style.css", hub.base), None).await;
        assert_eq!(ready.status, 200, "the hub answers once started");
        hub
    }

    /// Asks the hub to shut down and waits until it has.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(PATIENCE, task)
                .await
                .expect("the hub stops within the patience")
                .expect("the hub task did not panic")
                .expect("the hub stops cleanly");
        }
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request on a fresh HTTP/1.1 connection and reads the whole response.
pub(crate) async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let response = send(method, url, headers, body).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = tokio::time::timeout(PATIENCE, response.into_body().collect())
        .await
        .expect("the body arrives within the patience")
        .expect("read the body")
        .to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends one request on a fresh HTTP/1.1 connection; the body is left to the caller (streams).
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> hyper::Response<hyper::body::Incoming> {
    let uri: hyper::Uri = url.parse().expect("a valid URL");
    let authority = uri.authority().expect("an absolute URL").clone();
    let stream = TcpStream::connect(authority.as_str())
        .await
        .expect("connect to the hub");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(header::HOST, authority.as_str());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(Full::new(body.into()))
        .expect("a valid request");
    tokio::time::timeout(PATIENCE, sender.send_request(request))
        .await
        .expect("the response arrives within the patience")
        .expect("send the request")
}

/// POSTs `activity` (JSON) to `author`'s outbox on the hub at `base`, as `token`.
pub(crate) async fn post_to_outbox(
    base: &str,
    author: &str,
    token: &str,
    activity: &Value,
) -> Reply {
    let auth = format!("Bearer {token}");
    request(
        "POST",
        &format!("{base}/users/{author}/outbox"),
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/activity+json"),
        ],
        Bytes::from(activity.to_string()),
    )
    .await
}

/// Whether a local service accepts connections at `address`. When it does not, the test is
/// skipped with a notice, or fails under `FEDI_TEST_STRICT` (set by `scripts/test`).
pub(crate) async fn service_up(name: &str, address: &str) -> bool {
    if TcpStream::connect(address).await.is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("FEDI_TEST_STRICT").is_none(),
        "{name} is not reachable at {address}: start it (scripts/test expects the local services)"
    );
    eprintln!("skipping: {name} is not reachable at {address}");
    false
}

/// `GET url` with a bearer token (when given).
pub(crate) async fn get(url: &str, token: Option<&str>) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("authorization", a)])
        .unwrap_or_default();
    request("GET", url, &headers, Bytes::new()).await
}

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url`, adding `Authorization: Bearer` when `bearer` is given.
pub(crate) async fn ws_connect(url: &str, bearer: Option<&str>) -> Socket {
    let mut request = url.into_client_request().expect("a WebSocket URL");
    if let Some(token) = bearer {
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value"),
        );
    }
    let (socket, response) =
        tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
            .await
            .expect("the upgrade completes within the patience")
            .expect("the WebSocket upgrade succeeds");
    assert_eq!(response.status(), 101);
    socket
}

/// What the next frame was.
#[derive(Debug)]
pub(crate) enum Received {
    Json(Value),
    Closed(Option<CloseFrame>),
}

/// The next text frame as JSON, or the close frame (pings and pongs are skipped).
pub(crate) async fn next(socket: &mut Socket) -> Received {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame arrives within the patience");
        match frame {
            Some(Ok(Message::Text(text))) => {
                return Received::Json(serde_json::from_str(&text).expect("a JSON text frame"));
            }
            Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
            Some(Err(e)) => panic!("socket error: {e}"),
            None => return Received::Closed(None),
        }
    }
}

/// The next text frame as JSON; panics on close.
pub(crate) async fn next_json(socket: &mut Socket) -> Value {
    match next(socket).await {
        Received::Json(v) => v,
        Received::Closed(frame) => panic!("closed unexpectedly: {frame:?}"),
    }
}

/// The next JSON frame whose `type` is `kind`, skipping others.
pub(crate) async fn next_of_type(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let value = next_json(socket).await;
        if value["type"] == kind {
            return value;
        }
    }
}

/// Sends a JSON text frame.
pub(crate) async fn send_json(socket: &mut Socket, value: &Value) {
    socket
        .send(Message::text(value.to_string()))
        .await
        .expect("send a frame");
}

/// Opens a Bus session as `token` (query parameter), checks the welcome, subscribes to
/// `events`, waits until the server has processed that, and returns the socket.
pub(crate) async fn bus(hub: &TestHub, token: &str, events: &[&str]) -> Socket {
    let mut socket = ws_connect(&format!("{}/ws/bus?token={token}", hub.ws_base), None).await;
    let welcome = next_json(&mut socket).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    if !events.is_empty() {
        send_json(
            &mut socket,
            &serde_json::json!({"type": "subscribe", "events": events}),
        )
        .await;
    }
    // The server does not acknowledge `subscribe`; a ping round trip shows it was processed.
    send_json(&mut socket, &serde_json::json!({"type": "ping"})).await;
    next_of_type(&mut socket, "pong").await;
    socket
}

/// An open `text/event-stream` response, decoded with `fedi_stream`'s WHATWG decoder.
pub(crate) struct EventStream {
    body: hyper::body::Incoming,
    decoder: fedi_stream::sse::Decoder,
    /// The opening position of a new C2S stream (an inbox or outbox opened without a last id).
    pub(crate) position: Option<String>,
}

/// Opens an event stream on `url` as `token`, resuming after `last_event_id` when given. A new
/// C2S stream (`…/inbox` or `…/outbox`, no last id) must open with its position, a `meta`
/// event carrying the id and a `position` status; it is checked and kept in `position`.
pub(crate) async fn event_stream(
    url: &str,
    token: &str,
    last_event_id: Option<&str>,
) -> EventStream {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("authorization", auth.as_str()),
        ("accept", "text/event-stream"),
    ];
    if let Some(id) = last_event_id {
        headers.push(("last-event-id", id));
    }
    let response = send("GET", url, &headers, Bytes::new()).await;
    assert_eq!(response.status(), 200, "the stream opens");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut stream = EventStream {
        body: response.into_body(),
        decoder: fedi_stream::sse::Decoder::new(),
        position: None,
    };
    let c2s = url.ends_with("/inbox") || url.ends_with("/outbox");
    if c2s && last_event_id.is_none() {
        let opening = stream.next().await;
        assert_eq!(
            opening.event_type(),
            "meta",
            "a new stream opens with its position"
        );
        let status: Value = serde_json::from_str(opening.data()).expect("a JSON status");
        assert_eq!(status["type"], "position", "{status}");
        assert_eq!(status["lastEventId"], opening.last_event_id(), "{status}");
        stream.position = Some(opening.last_event_id().to_owned());
    }
    stream
}

impl EventStream {
    /// The next event, waiting at most `wait`; `None` if none came.
    pub(crate) async fn next_within(&mut self, wait: Duration) -> Option<fedi_stream::sse::Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(output) = self.decoder.poll() {
                if let fedi_stream::sse::Output::Event(event) = output.expect("a valid stream") {
                    return Some(event);
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()?;
            match frame {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.decoder.feed(&data);
                    }
                }
                Some(Err(e)) => panic!("stream error: {e}"),
                None => return None,
            }
        }
    }

    /// The next event; panics if none comes within the patience.
    pub(crate) async fn next(&mut self) -> fedi_stream::sse::Event {
        self.next_within(PATIENCE)
            .await
            .expect("an event arrives within the patience")
    }
}
