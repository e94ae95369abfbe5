//! Shared by the `hub_*` tests: start a hub on an ephemeral loopback port, and small real
//! clients (hyper HTTP/1.1, tokio-tungstenite WebSockets) to talk to it.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use fedi_examples::hub::{AccountSeed, Config, ServeError, Server, Storage};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
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
    /// Every account's token, by name.
    tokens: std::collections::BTreeMap<String, String>,
    /// The database of a hub started on PostgreSQL by `FEDI_TEST_POSTGRES=1`.
    _database: Option<TestDatabase>,
}

/// The accounts of every test hub: alice and bob with fixed tokens.
pub(crate) fn config() -> Config {
    Config::new(vec![
        AccountSeed::new("alice", ALICE),
        AccountSeed::new("bob", BOB),
    ])
}

/// The configuration of a hub that may fetch from loopback (where the other servers of the
/// tests run) and retries deliveries after a second.
pub(crate) fn federating() -> Config {
    let mut config = config();
    config.federation.allow_private_addresses = true;
    config.federation.delivery_retry = Duration::from_secs(1);
    config.limits.max_body_bytes = 16 * 1024;
    config
}

impl TestHub {
    /// A hub with [`config`].
    pub(crate) async fn start() -> TestHub {
        TestHub::start_with(config()).await
    }

    /// A hub with `config`. With `FEDI_TEST_POSTGRES=1`, a hub configured to keep its state
    /// in memory keeps it in a throwaway PostgreSQL database instead.
    pub(crate) async fn start_with(mut config: Config) -> TestHub {
        let mut database = None;
        if std::env::var_os("FEDI_TEST_POSTGRES").is_some() && config.storage == Storage::Memory {
            let created = TestDatabase::create()
                .await
                .expect("PostgreSQL for FEDI_TEST_POSTGRES");
            config.storage = Storage::Postgres(created.url());
            database = Some(created);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral loopback port");
        let mut hub = TestHub::start_on(config, listener).await;
        hub._database = database;
        hub
    }

    /// A hub with `config` on `listener`, on the storage `config` names.
    pub(crate) async fn start_on(config: Config, listener: tokio::net::TcpListener) -> TestHub {
        let server = Server::bind(config, listener)
            .await
            .expect("valid test config");
        let tokens = server
            .accounts()
            .iter()
            .map(|a| (a.name().to_owned(), a.token().to_owned()))
            .collect();
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
            tokens,
            _database: None,
        };
        // The first connection is accepted once every module has started (brokers connected):
        // an answered request means the hub is ready.
        let ready = get(&format!("{}/style.css", hub.base), None).await;
        assert_eq!(ready.status, 200, "the hub answers once started");
        hub
    }

    /// Every account's bearer token, by name.
    pub(crate) fn tokens(&self) -> &std::collections::BTreeMap<String, String> {
        &self.tokens
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
    try_send(method, url, headers, body)
        .await
        .expect("the hub answers")
}

/// As [`send`], or `None` when the hub cannot be reached or drops the connection (a hub that
/// was killed).
pub(crate) async fn try_send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Option<hyper::Response<hyper::body::Incoming>> {
    let uri: hyper::Uri = url.parse().expect("a valid URL");
    let authority = uri.authority().expect("an absolute URL").clone();
    let stream = TcpStream::connect(authority.as_str()).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
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
        .ok()
}

/// POSTs `activity` to `author`'s outbox as [`post_to_outbox`] does, or `None` when the hub is
/// gone before the whole answer arrived.
pub(crate) async fn try_post(
    base: &str,
    author: &str,
    token: &str,
    activity: &Value,
) -> Option<Reply> {
    let auth = format!("Bearer {token}");
    let response = try_send(
        "POST",
        &format!("{base}/users/{author}/outbox"),
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/activity+json"),
        ],
        Bytes::from(activity.to_string()),
    )
    .await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = tokio::time::timeout(PATIENCE, response.into_body().collect())
        .await
        .ok()?
        .ok()?
        .to_bytes();
    Some(Reply {
        status,
        headers,
        body,
    })
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

/// `name` of `hub` posts `activity` over the C2S WebSocket; returns the `delivery` status
/// reported for `to` (after `done`).
pub(crate) async fn post_over_socket(
    hub: &TestHub,
    name: &str,
    token: &str,
    activity: &Value,
    to: &str,
) -> String {
    let url = format!("{}/users/{name}/ws?token={token}", hub.ws_base);
    let mut socket = ws_connect(&url, None).await;
    let post = json!({"type": "outbox", "id": "p1", "data": activity});
    send_json(&mut socket, &post).await;
    let mut status = None;
    loop {
        let envelope = next_json(&mut socket).await;
        match envelope["type"].as_str() {
            Some("delivery") if envelope["data"]["recipient"] == to => {
                status = envelope["data"]["status"].as_str().map(str::to_owned);
            }
            Some("done") => return status.expect("a delivery status for the recipient"),
            Some("error") => panic!("{envelope}"),
            _ => {}
        }
    }
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

/// The local PostgreSQL of every test machine.
pub(crate) const POSTGRES: &str = "127.0.0.1:5432";

/// A database of its own on the local PostgreSQL, dropped (with its connections) when the
/// value is dropped.
pub(crate) struct TestDatabase {
    name: String,
}

impl TestDatabase {
    /// A fresh database, or `None` (skipped, or failed under `FEDI_TEST_STRICT`) without a
    /// PostgreSQL.
    pub(crate) async fn create() -> Option<TestDatabase> {
        if !service_up("PostgreSQL", POSTGRES).await {
            return None;
        }
        let name = format!(
            "fedi_test_{:016x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
                ^ u64::from(std::process::id()).rotate_left(32)
        );
        let sql = format!("CREATE DATABASE {name}");
        tokio::task::spawn_blocking(move || admin(&sql))
            .await
            .expect("the admin task");
        Some(TestDatabase { name })
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@{POSTGRES}/{}", self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // A blocking client may not run on a runtime thread: use a thread of its own.
        let _ = std::thread::spawn(move || admin(&sql)).join();
    }
}

/// Runs `sql` on the local PostgreSQL's `postgres` database.
fn admin(sql: &str) {
    let mut client = postgres::Client::connect(
        &format!("postgres://postgres@{POSTGRES}/postgres"),
        postgres::NoTls,
    )
    .expect("connect to the local PostgreSQL");
    client.batch_execute(sql).expect(sql);
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

/// What reading an event stream gave.
#[derive(Debug)]
pub(crate) enum Read {
    /// An event.
    Event(fedi_stream::sse::Event),
    /// Nothing within the wait.
    Quiet,
    /// The stream ended.
    Ended,
    /// The connection broke.
    Broken(String),
}

impl EventStream {
    /// The next event, waiting at most `wait`; `None` if none came.
    pub(crate) async fn next_within(&mut self, wait: Duration) -> Option<fedi_stream::sse::Event> {
        match self.read(wait).await {
            Read::Event(event) => Some(event),
            Read::Quiet | Read::Ended => None,
            Read::Broken(e) => panic!("stream error: {e}"),
        }
    }

    /// The next event, or why there is none, waiting at most `wait`.
    pub(crate) async fn read(&mut self, wait: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(output) = self.decoder.poll() {
                if let fedi_stream::sse::Output::Event(event) = output.expect("a valid stream") {
                    return Read::Event(event);
                }
            }
            let Ok(frame) = tokio::time::timeout_at(deadline, self.body.frame()).await else {
                return Read::Quiet;
            };
            match frame {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.decoder.feed(&data);
                    }
                }
                Some(Err(e)) => return Read::Broken(e.to_string()),
                None => return Read::Ended,
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

/// The `fedi-hub` binary as a user runs it, on an ephemeral loopback port. Its standard error
/// is drained in the background (kept for [`BinaryHub::log`]); it is killed on drop unless it
/// already exited.
pub(crate) struct BinaryHub {
    /// `http://127.0.0.1:PORT`, from the first banner line.
    pub(crate) base: String,
    /// The banner, up to and including the `Press Ctrl-C` line.
    pub(crate) banner: Vec<String>,
    child: Option<std::process::Child>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl BinaryHub {
    /// Starts `fedi-hub --listen 127.0.0.1:0` with `args` and reads its banner. It runs in a
    /// fresh directory of its own, where its default data directory is made.
    pub(crate) async fn start(args: &[&str]) -> BinaryHub {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "fedi-hub-{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("a working directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_fedi-hub"))
            .current_dir(&dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fedi-hub");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        let mut hub = BinaryHub {
            base: String::new(),
            banner: Vec::new(),
            child: Some(child),
            log,
        };
        let banner = tokio::task::spawn_blocking(move || {
            let mut lines = Vec::new();
            let mut stdout = BufReader::new(stdout).lines();
            for line in stdout.by_ref() {
                let line = line.expect("a banner line");
                let done = line.starts_with("Press Ctrl-C");
                lines.push(line);
                if done {
                    break;
                }
            }
            // Keep reading (and discarding) so the hub never blocks on a full pipe.
            std::thread::spawn(move || stdout.for_each(drop));
            lines
        });
        hub.banner = tokio::time::timeout(Duration::from_secs(30), banner)
            .await
            .expect("the banner is printed")
            .expect("read the banner");
        hub.base = hub
            .banner
            .first()
            .and_then(|l| l.strip_prefix("fedi-hub is listening on "))
            .unwrap_or_else(|| panic!("the first line names the URL: {:?}", hub.banner))
            .to_owned();
        hub
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("still running").id()
    }

    /// Sends `signal` (`INT`, `TERM`, …) with `kill`.
    pub(crate) fn signal(&self, signal: &str) {
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit (at most 30 s) and returns its status.
    pub(crate) async fn wait(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("still running");
        let waited = tokio::task::spawn_blocking(move || child.wait());
        tokio::time::timeout(Duration::from_secs(30), waited)
            .await
            .expect("the hub exits within 30 s")
            .expect("wait")
            .expect("the hub exits")
    }

    /// What it logged to standard error so far.
    pub(crate) fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// A `kB` line (`VmRSS`, `VmHWM`, …) of its `/proc/PID/status`, in bytes.
    pub(crate) fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/PID/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"))
    }
}

impl Drop for BinaryHub {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends alice's C2S WebSocket upgrade (`/users/alice/ws`, her token in the query) on `stream`
/// by hand and reads the answer's head, byte by byte so that nothing after it is consumed:
/// the status (0 when the server closed first). For sockets a test then misuses on purpose.
pub(crate) async fn raw_c2s_upgrade(stream: &mut TcpStream, address: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!(
        "GET /users/alice/ws?token={ALICE} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.expect("the answer") == 0 {
            break;
        }
        head.push(byte[0]);
    }
    raw_status(&head).unwrap_or(0)
}

/// Makes `config` take Versia deliveries as the instance `hub` from the one peer instance
/// `peer`, whose signing key is `peer_key`.
pub(crate) fn trust_versia_peer(
    config: &mut Config,
    hub: &str,
    peer: &str,
    peer_key: &versia_ws::PrivateKey,
) {
    config.versia.domain = Some(hub.into());
    config.versia.peers = vec![fedi_examples::hub::VersiaPeer::new(
        peer,
        peer_key.public_key().to_spki_base64(),
    )];
}

/// A raw HTTP/1.1 exchange on a fresh connection, for clients that misbehave on purpose: sends
/// `head` (everything up to and including the blank line) and `body_prefix`, then reads
/// whatever the server answers until it closes the connection or `wait` passes. Returns the
/// bytes read and whether the server closed the connection.
pub(crate) async fn raw_exchange(
    address: &str,
    head: &str,
    body_prefix: &[u8],
    wait: Duration,
) -> (Vec<u8>, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    stream
        .write_all(body_prefix)
        .await
        .expect("send the start of the body");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return (answer, false),
            Ok(Ok(0)) => return (answer, true),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            // A reset after the answer: the server closed without reading the rest.
            Ok(Err(_)) => return (answer, true),
        }
    }
}

/// The status code of a raw HTTP/1.1 answer (`None` when there is no status line).
pub(crate) fn raw_status(answer: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(answer);
    let line = text.lines().next()?;
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Whether a raw HTTP/1.1 answer has header `name: value` (case-insensitive name and value).
pub(crate) fn raw_has_header(answer: &[u8], name: &str, value: &str) -> bool {
    let text = String::from_utf8_lossy(answer);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case(name) && v.trim().eq_ignore_ascii_case(value)
        })
    })
}
