//! Load figures of `fedi-hub` (a bench binary, not a timed test), measured in one process on
//! loopback:
//!
//! 1. WebSocket path: Bus `ping` → `pong` round trips through the hub (token check at the
//!    upgrade, session decode, rate limit, hub drain, outlet, socket) against a bare
//!    tokio-tungstenite echo server in the same run, with the same clients.
//!
//! 2. Durable posts: bob posts notes to alice through the C2S outbox on 4 connections, each
//!    answered `201` once committed; posts per second with the state in memory, in SQLite (a
//!    data directory, the default) and in PostgreSQL (the local server, a throwaway database;
//!    skipped without one), in the same run.
//!
//! 3. Server-sent events: 1,000 subscribers of one inbox (`Accept: text/event-stream`), bob
//!    posts notes to alice through the C2S outbox; events delivered per second, from the first
//!    post until every subscriber has every event, with the store in memory and in SQLite.
//!
//! Run: `cargo bench -p fedi-examples --bench hub_load` (`-- --quick` for a short run).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fedi_examples::hub::{AccountSeed, Config, Server, Storage};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "bench-token";
const PING: &str = r#"{"type":"ping"}"#;

struct Settings {
    connections: usize,
    window: usize,
    messages_per_connection: usize,
    rounds: usize,
}

/// A tokio-tungstenite echo server: every text frame is sent back.
async fn echo_server() -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("address"));
    let (stop, mut stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(_) => continue,
                },
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    if let Message::Text(_) = message
                        && ws.send(message).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    (url, stop)
}

/// A hub whose Bus rate limit and per-user cap do not get in the way of a load test.
async fn hub_server() -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = Config::new(vec![AccountSeed::new("bench", TOKEN)]);
    config.bus.max_connections_per_user = 10_000;
    config.bus.session.rate.per_minute = u32::MAX;
    config.bus.session.rate.burst = u32::MAX;
    let server = Server::bind(config, listener).await.expect("config");
    let url = format!(
        "{}/ws/bus?token={TOKEN}",
        server.base_url().replacen("http://", "ws://", 1)
    );
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// `connections` clients each keep `window` pings in flight until `messages` replies came back;
/// returns replies per second. Text frames other than the replies (the Bus `welcome`) are
/// skipped by `skip_first`.
async fn drive(url: &str, settings: &Settings, skip_first: bool) -> f64 {
    let mut sockets = Vec::new();
    for _ in 0..settings.connections {
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        if skip_first {
            let _welcome = ws.next().await;
        }
        sockets.push(ws);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut ws in sockets {
        let total = settings.messages_per_connection;
        let window = settings.window.min(total);
        tasks.push(tokio::spawn(async move {
            let mut sent = 0;
            for _ in 0..window {
                ws.feed(Message::text(PING)).await.expect("send");
                sent += 1;
            }
            ws.flush().await.expect("flush");
            let mut received = 0;
            while received < total {
                match ws.next().await {
                    Some(Ok(Message::Text(_))) => {
                        received += 1;
                        if sent < total {
                            ws.send(Message::text(PING)).await.expect("send");
                            sent += 1;
                        }
                    }
                    Some(Ok(_)) => {}
                    other => panic!("connection ended early: {other:?}"),
                }
            }
            let _ = ws.close(None).await;
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    let elapsed = started.elapsed();
    (settings.connections * settings.messages_per_connection) as f64 / elapsed.as_secs_f64()
}

/// A hub with alice and bob on `storage`, whose subscriber queues hold a whole burst.
async fn c2s_server(storage: Storage) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = Config::new(vec![
        AccountSeed::new("alice", "a"),
        AccountSeed::new("bob", "b"),
    ]);
    config.storage = storage;
    config.limits.subscriber_queue = 4_096;
    config.limits.subscriber_queue_bytes = 64 * 1024 * 1024;
    config.limits.account_quota_bytes = u64::MAX / 4;
    config.limits.hub_quota_bytes = u64::MAX / 4;
    let server = Server::bind(config, listener).await.expect("config");
    let base = server.base_url().to_owned();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    (base, stop)
}

/// Opens a raw event-stream subscription to alice's inbox and counts the events it receives
/// (each ends with a blank line; the first block is the opening position with the `retry` hint) into `received`.
async fn subscribe(address: &str, received: Arc<AtomicUsize>) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = format!(
        "GET /users/alice/inbox HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer a\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("request");
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut previous = 0u8;
        let mut first_block = true;
        loop {
            let n = match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut events = 0;
            for &byte in buf.get(..n).unwrap_or_default() {
                if byte == b'\n' && previous == b'\n' {
                    if first_block {
                        first_block = false;
                    } else {
                        events += 1;
                    }
                }
                previous = byte;
            }
            received.fetch_add(events, Ordering::Relaxed);
        }
    });
}

/// bob posts `notes` notes to alice on `posters` connections to the hub at `base`; returns
/// when every one was answered `201`.
async fn post_notes(base: &str, notes: usize, posters: usize) {
    let address = base.trim_start_matches("http://").to_owned();
    let mut tasks = Vec::new();
    for worker in 0..posters {
        let address = address.clone();
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(&address).await.expect("connect");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(connection);
            for i in (worker..notes).step_by(posters) {
                let note = format!(
                    r#"{{"type":"Note","content":"note {i}","to":["{base}/users/alice"]}}"#
                );
                let request = hyper::Request::post("/users/bob/outbox")
                    .header("host", &address)
                    .header("authorization", "Bearer b")
                    .header("content-type", "application/activity+json")
                    .body(Full::new(Bytes::from(note)))
                    .expect("request");
                let response = sender.send_request(request).await.expect("post");
                assert_eq!(response.status(), 201);
                let _ = response.into_body().collect().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("poster");
    }
}

/// Committed posts per second on `storage`.
async fn durable_posts(storage: Storage, notes: usize, posters: usize) -> f64 {
    let (base, stop) = c2s_server(storage).await;
    let started = Instant::now();
    post_notes(&base, notes, posters).await;
    let elapsed = started.elapsed();
    let _ = stop.send(());
    // Let the hub close its database before the next one opens.
    tokio::time::sleep(Duration::from_millis(200)).await;
    notes as f64 / elapsed.as_secs_f64()
}

/// `subscribers` streams of alice's inbox, `notes` posts from bob on `posters` connections,
/// on `storage`; returns event deliveries per second.
async fn sse_fanout(storage: Storage, subscribers: usize, notes: usize, posters: usize) -> f64 {
    let (base, stop) = c2s_server(storage).await;
    let address = base.trim_start_matches("http://").to_owned();
    let received = Arc::new(AtomicUsize::new(0));
    for _ in 0..subscribers {
        subscribe(&address, received.clone()).await;
    }
    // Give every subscription time to be registered before the first post.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    post_notes(&base, notes, posters).await;
    let target = subscribers * notes;
    let deadline = Instant::now() + Duration::from_secs(120);
    while received.load(Ordering::Relaxed) < target {
        assert!(
            Instant::now() < deadline,
            "only {} of {target} events arrived",
            received.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    target as f64 / elapsed.as_secs_f64()
}

/// A throwaway database on the local PostgreSQL, dropped with the value; `None` without one.
struct Throwaway(String);

impl Throwaway {
    fn create() -> Option<Throwaway> {
        let name = format!("fedi_bench_{}", std::process::id());
        admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).ok()?;
        admin(&format!("CREATE DATABASE {name}")).ok()?;
        Some(Throwaway(name))
    }

    fn storage(&self) -> Storage {
        Storage::Postgres(format!("postgres://postgres@127.0.0.1:5432/{}", self.0))
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let _ = admin(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
    }
}

fn admin(sql: &str) -> Result<(), postgres::Error> {
    let mut client = postgres::Client::connect(
        "postgres://postgres@127.0.0.1:5432/postgres",
        postgres::NoTls,
    )?;
    client.batch_execute(sql)
}

/// A fresh SQLite data directory under the target directory.
fn sqlite_dir(tag: &str) -> Storage {
    let dir = std::env::temp_dir().join(format!("fedi-hub-bench-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Storage::Directory(dir)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let settings = Settings {
        connections: 32,
        window: 8,
        messages_per_connection: if quick { 1_000 } else { 5_000 },
        rounds: if quick { 2 } else { 5 },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (echo_url, stop_echo) = echo_server().await;
        let (hub_url, stop_hub) = hub_server().await;
        let (mut best_echo, mut best_hub) = (0f64, 0f64);
        // Alternate the two so that machine noise affects both alike; keep each one's best.
        for _ in 0..settings.rounds {
            best_echo = best_echo.max(drive(&echo_url, &settings, false).await);
            best_hub = best_hub.max(drive(&hub_url, &settings, true).await);
        }
        println!(
            "WebSocket round trips, {} connections x {} messages, window {} (best of {} rounds):",
            settings.connections,
            settings.messages_per_connection,
            settings.window,
            settings.rounds
        );
        println!("  bare tokio-tungstenite echo : {best_echo:>10.0} msg/s");
        println!("  fedi-hub Bus ping -> pong   : {best_hub:>10.0} msg/s");
        println!(
            "  ratio hub / echo            : {:>10.2}",
            best_hub / best_echo
        );
        let _ = stop_echo.send(());
        let _ = stop_hub.send(());

        let notes = if quick { 300 } else { 2_000 };
        let postgres = tokio::task::spawn_blocking(Throwaway::create)
            .await
            .expect("admin task");
        let mut rows = vec![
            ("memory (SQLite in memory)", Some(Storage::Memory)),
            ("SQLite (data directory)", Some(sqlite_dir("posts"))),
        ];
        rows.push((
            "PostgreSQL (local server)",
            postgres.as_ref().map(Throwaway::storage),
        ));
        println!("Durable posts, {notes} notes on 4 connections, each answered once committed:");
        for (name, storage) in rows {
            match storage {
                Some(storage) => {
                    let rate = durable_posts(storage, notes, 4).await;
                    println!("  {name:<28}: {rate:>10.0} posts/s");
                }
                None => println!("  {name:<28}: skipped (no PostgreSQL at 127.0.0.1:5432)"),
            }
        }
        // Dropping it drops the database with a blocking client: not on the runtime.
        tokio::task::spawn_blocking(move || drop(postgres))
            .await
            .expect("admin task");

        let (subscribers, notes, posters) = (1_000, if quick { 50 } else { 200 }, 4);
        let rounds = settings.rounds.min(3);
        println!(
            "Server-sent events, {subscribers} subscribers of one inbox, {notes} posted notes (best of {rounds} rounds):"
        );
        for (name, storage) in [
            ("store in memory", Storage::Memory),
            ("store in SQLite", sqlite_dir("sse")),
        ] {
            let mut best = 0f64;
            for _ in 0..rounds {
                if let Storage::Directory(dir) = &storage {
                    let _ = std::fs::remove_dir_all(dir);
                }
                best = best.max(sse_fanout(storage.clone(), subscribers, notes, posters).await);
            }
            println!("  events delivered, {name:<16}: {best:>10.0} events/s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
}
