//! Two hubs on one PostgreSQL database, behind one public URL as behind a load balancer: what
//! one instance commits or announces reaches the users connected to the other, with the live
//! notices (presence) carried by PostgreSQL alone, by Redis, or by NATS.
//!
//! Needs PostgreSQL at 127.0.0.1:5432, and Redis at 127.0.0.1:6379 and NATS at 127.0.0.1:4222
//! for their variants; each test is skipped with a notice when what it needs is not reachable,
//! unless `FEDI_TEST_STRICT` is set.

mod hub_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use fedi_examples::hub::{ClusterConfig, ClusterError, Config, ServeError, Server, Storage};
use hub_common::{
    ALICE, BOB, EventStream, PATIENCE, Socket, TestDatabase, TestHub, bus, event_stream, get,
    next_json, next_of_type, post_to_outbox, request, send_json, service_up,
};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use versia_ws::signature::SignatureHeaders;
use versia_ws::{PrivateKey, SignedBy, Version};

const REDIS: &str = "127.0.0.1:6379";
const NATS: &str = "127.0.0.1:4222";

/// What carries the live notices between the two hubs.
#[derive(Debug, Clone, Copy)]
enum FanOut {
    /// PostgreSQL `LISTEN`/`NOTIFY`: no broker configured.
    Postgres,
    /// Redis pub/sub.
    Redis,
    /// NATS core.
    Nats,
}

impl FanOut {
    /// The cluster settings on a channel of this test (brokers are shared by every test run),
    /// or `Err(())` (skipped) when the broker is not reachable.
    async fn config(self) -> Result<Option<ClusterConfig>, ()> {
        match self {
            FanOut::Postgres => Ok(None),
            FanOut::Redis => self.config_via(REDIS).await.map(Some),
            FanOut::Nats => self.config_via(NATS).await.map(Some),
        }
    }

    /// The cluster settings with the broker reached at `address` (a proxy, or the broker).
    async fn config_via(self, address: &str) -> Result<ClusterConfig, ()> {
        let (name, real) = match self {
            FanOut::Postgres => unreachable!("PostgreSQL is no broker"),
            FanOut::Redis => ("Redis", REDIS),
            FanOut::Nats => ("NATS", NATS),
        };
        if !service_up(name, real).await {
            return Err(());
        }
        Ok(match self {
            FanOut::Redis => ClusterConfig::redis(format!("redis://{address}")),
            _ => ClusterConfig::nats(format!("nats://{address}")),
        }
        .with_channel(unique_channel()))
    }
}

/// A channel name no other test run uses.
fn unique_channel() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("fedi-hub-test-{}-{nanos}", std::process::id())
}

/// The Versia peer both hubs trust.
const PEER: &str = "peer.test";

fn peer_key() -> PrivateKey {
    PrivateKey::from_seed(&[5; 32])
}

/// Two instances of one hub: A and B on `database`, both named `hub.test` for Versia and
/// trusting [`PEER`]. The database is dropped after the hubs.
struct Pair {
    a: TestHub,
    b: TestHub,
    _database: TestDatabase,
}

impl Pair {
    /// The pair with `fan_out`, or `None` (skipped) without PostgreSQL or the broker.
    async fn start(fan_out: FanOut) -> Option<Pair> {
        let cluster = fan_out.config().await.ok()?;
        Pair::start_with(cluster).await
    }

    /// The pair with `cluster` as [`Config::cluster`], or `None` without PostgreSQL.
    async fn start_with(cluster: Option<ClusterConfig>) -> Option<Pair> {
        let database = TestDatabase::create().await?;
        let config = |public_url: Option<String>| {
            let mut config = hub_common::config();
            config.storage = Storage::Postgres(database.url());
            config.cluster = cluster.clone();
            config.public_url = public_url;
            hub_common::trust_versia_peer(&mut config, "hub.test", PEER, &peer_key());
            config
        };
        let a = TestHub::start_with(config(None)).await;
        // B mints the same ids as A: A's address stands for the load balancer's public URL.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let b_address = listener.local_addr().unwrap();
        let mut b = TestHub::start_on(config(Some(a.base.clone())), listener).await;
        // Requests for B go to B itself; once it answers, it has started.
        b.base = format!("http://{b_address}");
        b.ws_base = format!("ws://{b_address}");
        assert_eq!(
            get(&format!("{}/style.css", b.base), None).await.status,
            200
        );
        Some(Pair {
            a,
            b,
            _database: database,
        })
    }

    /// Stops both hubs (then the database goes).
    async fn stop(self) {
        self.a.stop().await;
        self.b.stop().await;
    }

    /// alice's actor id, the same on both instances.
    fn alice(&self) -> String {
        format!("{}/users/alice", self.a.base)
    }
}

/// A note from bob to alice.
fn note_to(alice: &str, text: &str) -> Value {
    json!({"type": "Note", "content": text, "to": [alice]})
}

/// The note's text in an inbox event.
fn content(event: &fedi_stream::sse::Event) -> String {
    let activity: Value = serde_json::from_str(event.data()).expect("an activity");
    activity["object"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// alice on hub A watches presence; bob connects to hub B, sets a status; alice's status
/// reaches bob the other way.
async fn presence_crosses_instances(fan_out: FanOut) {
    let Some(pair) = Pair::start(fan_out).await else {
        return;
    };
    let mut alice = bus(&pair.a, ALICE, &["presence"]).await;
    let mut bob = bus(&pair.b, BOB, &["presence"]).await;

    let online = next_of_type(&mut alice, "presence").await;
    assert_eq!(online["user"], "bob", "{online}");
    assert_eq!(online["status"], "online", "{online}");

    send_json(&mut bob, &json!({"type": "presence", "status": "busy"})).await;
    let busy = next_of_type(&mut alice, "presence").await;
    assert_eq!(busy["user"], "bob", "{busy}");
    assert_eq!(busy["status"], "busy", "{busy}");

    send_json(&mut alice, &json!({"type": "presence", "status": "away"})).await;
    let away = next_of_type(&mut bob, "presence").await;
    assert_eq!(away["user"], "alice", "{away}");
    assert_eq!(away["status"], "away", "{away}");
    pair.stop().await;
}

#[tokio::test]
async fn presence_crosses_instances_through_postgresql() {
    presence_crosses_instances(FanOut::Postgres).await;
}

#[tokio::test]
async fn presence_crosses_instances_through_redis() {
    presence_crosses_instances(FanOut::Redis).await;
}

#[tokio::test]
async fn presence_crosses_instances_through_nats() {
    presence_crosses_instances(FanOut::Nats).await;
}

/// alice streams her inbox and listens on the Bus on hub A; bob posts on hub B: the post
/// reaches both. Then alice's stream drops, bob posts three more, and alice resumes on hub B
/// with her `Last-Event-ID`: she gets exactly the three, once, in order, then live ones.
async fn posts_cross_instances_and_streams_resume_on_the_other(fan_out: FanOut) {
    let Some(pair) = Pair::start(fan_out).await else {
        return;
    };
    let alice = pair.alice();
    let mut alice_bus = bus(&pair.a, ALICE, &["action"]).await;
    let mut stream = event_stream(&format!("{}/users/alice/inbox", pair.a.base), ALICE, None).await;

    let reply = post_to_outbox(&pair.b.base, "bob", BOB, &note_to(&alice, "one")).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let first = stream.next().await;
    assert_eq!(first.event_type(), "inbox");
    assert_eq!(content(&first), "one");
    let action = next_of_type(&mut alice_bus, "action").await;
    assert_eq!(action["content"], "one", "{action}");

    // alice's connection to A drops; bob goes on posting on B.
    let last_seen = first.last_event_id().to_owned();
    drop(stream);
    for text in ["two", "three", "four"] {
        let reply = post_to_outbox(&pair.b.base, "bob", BOB, &note_to(&alice, text)).await;
        assert_eq!(reply.status, 201);
    }
    // Her client reconnects through the load balancer, this time to B.
    let mut resumed = event_stream(
        &format!("{}/users/alice/inbox", pair.b.base),
        ALICE,
        Some(&last_seen),
    )
    .await;
    let mut got = Vec::new();
    let mut ids = vec![last_seen.parse::<u64>().unwrap()];
    for _ in 0..3 {
        let event = resumed.next().await;
        assert_eq!(event.event_type(), "inbox");
        got.push(content(&event));
        ids.push(event.last_event_id().parse().unwrap());
    }
    assert_eq!(got, ["two", "three", "four"]);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    assert_quiet(&mut resumed, "nothing replayed twice").await;
    // And it is live: a post on A arrives once on B.
    let reply = post_to_outbox(&pair.a.base, "bob", BOB, &note_to(&alice, "five")).await;
    assert_eq!(reply.status, 201);
    let live = resumed.next().await;
    assert_eq!(content(&live), "five");
    assert_quiet(&mut resumed, "the live item once").await;
    pair.stop().await;
}

/// Asserts that `stream` has no event for a while.
async fn assert_quiet(stream: &mut EventStream, what: &str) {
    if let Some(event) = stream.next_within(Duration::from_millis(300)).await {
        panic!("{what}: got {}", event.data());
    }
}

#[tokio::test]
async fn posts_cross_instances_and_streams_resume_through_postgresql() {
    posts_cross_instances_and_streams_resume_on_the_other(FanOut::Postgres).await;
}

#[tokio::test]
async fn posts_cross_instances_and_streams_resume_with_redis() {
    posts_cross_instances_and_streams_resume_on_the_other(FanOut::Redis).await;
}

#[tokio::test]
async fn posts_cross_instances_and_streams_resume_with_nats() {
    posts_cross_instances_and_streams_resume_on_the_other(FanOut::Nats).await;
}

/// A federated note for alice delivered to hub A reaches alice's Bus session on hub B.
async fn actions_cross_instances(fan_out: FanOut) {
    let Some(pair) = Pair::start(fan_out).await else {
        return;
    };
    let mut alice_on_b = bus(&pair.b, ALICE, &["action"]).await;

    let body = json!({
        "id": "x1",
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": "carol",
        "content": {"text/plain": {"content": "for alice, wherever she is"}},
        "mentions": ["hub.test:alice"],
    })
    .to_string();
    let url = format!("{}/.versia/v0.6/inbox", pair.a.base);
    let mut signed = http::Request::post(&url).body(body.clone()).unwrap();
    SignatureHeaders::sign_request(
        &mut signed,
        &peer_key(),
        SignedBy::instance(PEER),
        Version::V0_6,
        std::time::SystemTime::now(),
    )
    .unwrap();
    let headers: Vec<(&str, &str)> = signed
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
        .collect();
    let reply = request("POST", &url, &headers, Bytes::from(body)).await;
    assert_eq!(reply.status, 200);

    let action = next_of_type(&mut alice_on_b, "action").await;
    assert_eq!(action["content"], "for alice, wherever she is", "{action}");
    assert_eq!(action["source"], "federated", "{action}");
    pair.stop().await;
}

#[tokio::test]
async fn actions_cross_instances_through_postgresql() {
    actions_cross_instances(FanOut::Postgres).await;
}

#[tokio::test]
async fn actions_cross_instances_with_redis() {
    actions_cross_instances(FanOut::Redis).await;
}

#[tokio::test]
async fn actions_cross_instances_with_nats() {
    actions_cross_instances(FanOut::Nats).await;
}

/// Envelopes a broken or hostile instance could send, none of which may stop the relay.
const MALFORMED: &[&str] = &[
    "not json",
    "[1,2]",
    r#"{"origin":"x"}"#,
    r#"{"origin":"x","kind":7,"body":{}}"#,
    r#"{"origin":"x","kind":"bus.presence","body":"offline"}"#,
    r#"{"origin":"x","kind":"bus.presence","body":{"user":7,"status":"online"}}"#,
    r#"{"origin":"x","kind":"bus.presence","body":{"user":"bob","status":"sleeping"}}"#,
    r#"{"origin":"x","kind":"unknown","body":{}}"#,
];

/// After the malformed envelopes, both instances still relay real presence changes.
async fn still_relaying(pair: Pair) {
    let mut alice = bus(&pair.a, ALICE, &["presence"]).await;
    let _bob = bus(&pair.b, BOB, &["presence"]).await;
    let online = next_of_type(&mut alice, "presence").await;
    assert_eq!(online["user"], "bob", "{online}");
    assert_eq!(online["status"], "online", "{online}");
    pair.stop().await;
}

#[tokio::test]
async fn malformed_envelopes_on_redis_are_ignored() {
    let Ok(cluster) = FanOut::Redis.config().await else {
        return;
    };
    let channel = cluster.as_ref().unwrap().channel.clone();
    let Some(pair) = Pair::start_with(cluster).await else {
        return;
    };
    redis_publish(&channel, MALFORMED).await;
    still_relaying(pair).await;
}

#[tokio::test]
async fn malformed_notifications_on_postgresql_are_ignored() {
    let Some(pair) = Pair::start(FanOut::Postgres).await else {
        return;
    };
    let url = pair._database.url();
    // Sent on the channel the hubs listen on, with the default cluster channel name.
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        for payload in MALFORMED {
            client
                .execute(
                    "SELECT pg_notify('fedi_hub_cluster.fedi-hub', $1)",
                    &[payload],
                )
                .unwrap();
        }
    })
    .await
    .unwrap();
    still_relaying(pair).await;
}

/// Publishes raw messages on a Redis channel (RESP `PUBLISH`), as a broken or hostile
/// instance could.
async fn redis_publish(channel: &str, messages: &[&str]) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut redis = TcpStream::connect(REDIS).await.unwrap();
    for message in messages {
        let command = format!(
            "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n${}\r\n{message}\r\n",
            channel.len(),
            message.len()
        );
        redis.write_all(command.as_bytes()).await.unwrap();
        let mut reply = [0u8; 64];
        let n = redis.read(&mut reply).await.unwrap();
        assert!(
            reply[..n].starts_with(b":"),
            "PUBLISH answered with an integer"
        );
    }
}

/// A loopback TCP proxy in front of a broker whose connections can be cut, as a broker restart
/// or a network failure would.
struct Proxy {
    address: String,
    accepted: Arc<AtomicUsize>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn to(target: &'static str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (cut, cuts) = tokio::sync::watch::channel(0);
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let mut cuts = cuts.clone();
                cuts.mark_unchanged();
                connections.spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Proxy {
            address,
            accepted,
            cut,
        }
    }

    /// Closes every connection open now.
    fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// The broker connections of both hubs are cut: the hubs reconnect (with backoff) and presence
/// crosses again.
async fn reconnects_after_the_broker_connection_is_cut(fan_out: FanOut, target: &'static str) {
    let proxy = Proxy::to(target).await;
    let Ok(cluster) = fan_out.config_via(&proxy.address).await else {
        return;
    };
    let Some(pair) = Pair::start_with(Some(cluster)).await else {
        return;
    };
    let mut alice = bus(&pair.a, ALICE, &["presence"]).await;
    let mut bob = bus(&pair.b, BOB, &["presence"]).await;
    let online = next_of_type(&mut alice, "presence").await;
    assert_eq!(online["user"], "bob", "{online}");

    let before = proxy.accepted();
    proxy.cut();
    // Both hubs open new connections (Redis: two each, NATS: one each).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while proxy.accepted() < before + 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hubs did not reconnect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Pub/sub keeps nothing for a subscriber that is still reconnecting: bob changes his
    // status until alice sees a change (presence is sent at most once a second).
    let mut statuses = ["busy", "away"].into_iter().cycle();
    let seen = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "presence did not cross again"
        );
        let status = statuses.next().unwrap();
        send_json(&mut bob, &json!({"type": "presence", "status": status})).await;
        if let Some(notice) = presence_within(&mut alice, Duration::from_millis(1_200)).await {
            break notice;
        }
    };
    assert_eq!(seen["user"], "bob", "{seen}");
    pair.stop().await;
}

/// The next presence notice within `wait`, if any.
async fn presence_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    tokio::time::timeout(wait, async {
        loop {
            let value = next_json(socket).await;
            if value["type"] == "presence" {
                return value;
            }
        }
    })
    .await
    .ok()
}

#[tokio::test]
async fn redis_links_reconnect_after_a_cut() {
    reconnects_after_the_broker_connection_is_cut(FanOut::Redis, REDIS).await;
}

#[tokio::test]
async fn nats_links_reconnect_after_a_cut() {
    reconnects_after_the_broker_connection_is_cut(FanOut::Nats, NATS).await;
}

/// Starts a hub with `cluster` on a fresh database and runs it: the error it stops with.
async fn run_error(cluster: ClusterConfig) -> Option<ServeError> {
    let database = TestDatabase::create().await?;
    let mut config = hub_common::config();
    config.storage = Storage::Postgres(database.url());
    config.cluster = Some(cluster);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::bind(config, listener).await.unwrap();
    let run = tokio::time::timeout(PATIENCE, server.run(std::future::pending()));
    Some(
        run.await
            .expect("the start fails within the patience")
            .unwrap_err(),
    )
}

#[tokio::test]
async fn an_unreachable_broker_fails_the_start() {
    // Port 9 (discard) on loopback: nothing listens there.
    for cluster in [
        ClusterConfig::redis("redis://127.0.0.1:9"),
        ClusterConfig::nats("nats://127.0.0.1:9"),
    ] {
        let Some(error) = run_error(cluster).await else {
            return;
        };
        assert!(
            matches!(error, ServeError::Cluster(ClusterError::Client(_))),
            "{error:?}"
        );
        assert!(error.to_string().contains("broker connection"), "{error}");
    }
}

/// `config` with `cluster`, on a PostgreSQL URL that is never connected to (the refusals come
/// first).
fn bind_config(cluster: ClusterConfig, storage: Storage) -> Config {
    let mut config = hub_common::config();
    config.storage = storage;
    config.cluster = Some(cluster);
    config
}

async fn bind_error(config: Config) -> ServeError {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    match Server::bind(config, listener).await {
        Ok(_) => panic!("the hub was built"),
        Err(error) => error,
    }
}

/// A PostgreSQL URL nothing answers at: a refusal at bind never reaches it.
fn unreachable_postgres() -> Storage {
    Storage::Postgres("postgres://postgres@127.0.0.1:9/none".into())
}

#[tokio::test]
async fn a_bad_broker_url_or_channel_is_refused_at_bind() {
    for (cluster, url) in [
        (ClusterConfig::redis("http://127.0.0.1:6379"), true),
        (ClusterConfig::redis("redis://"), true),
        (ClusterConfig::nats("not a url"), true),
        (ClusterConfig::nats("ws://127.0.0.1:4222"), true),
        (
            ClusterConfig::nats("nats://127.0.0.1:4222").with_channel("two words"),
            false,
        ),
        (ClusterConfig::postgres().with_channel(""), false),
        (
            ClusterConfig::postgres().with_channel("c".repeat(47)),
            false,
        ),
    ] {
        let shown = format!("{cluster:?}");
        let error = bind_error(bind_config(cluster, unreachable_postgres())).await;
        if url {
            assert!(
                matches!(error, ServeError::Cluster(ClusterError::InvalidUrl { .. })),
                "{shown}: {error:?}"
            );
        } else {
            assert!(
                matches!(error, ServeError::Cluster(ClusterError::InvalidChannel(_))),
                "{shown}: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_broker_without_postgresql_storage_is_refused() {
    let sqlite = std::env::temp_dir().join(format!("fedi-hub-cluster-{}", std::process::id()));
    for storage in [Storage::Memory, Storage::Directory(sqlite.clone())] {
        for cluster in [
            ClusterConfig::redis(format!("redis://{REDIS}")),
            ClusterConfig::nats(format!("nats://{NATS}")),
            ClusterConfig::postgres(),
        ] {
            let broker = cluster.broker.clone();
            let error = bind_error(bind_config(cluster, storage.clone())).await;
            assert!(
                matches!(
                    error,
                    ServeError::Cluster(ClusterError::UnsharedStorage { .. })
                ),
                "{broker:?} on {storage:?}: {error:?}"
            );
            assert!(error.to_string().contains("PostgreSQL"), "{error}");
        }
    }
    // Refused before anything is created.
    assert!(!sqlite.exists());
}

#[test]
fn the_binary_refuses_a_broker_without_a_database() {
    for flag in ["--bus-redis", "--bus-nats"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_fedi-hub"))
            .args([
                "--memory",
                "--listen",
                "127.0.0.1:0",
                flag,
                "redis://127.0.0.1:1",
            ])
            .output()
            .expect("run fedi-hub");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--database"), "{stderr}");
    }
}
