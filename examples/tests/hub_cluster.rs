//! Two hubs sharing live events through the local Redis and NATS: a user on each instance, an
//! event on one (presence; a federated action) reaches the other.
//!
//! Needs Redis at 127.0.0.1:6379 and NATS at 127.0.0.1:4222; skipped with a notice when they
//! are not reachable, unless `FEDI_TEST_STRICT` is set.

mod hub_common;

use bytes::Bytes;
use fedi_examples::hub::{ClusterConfig, VersiaPeer};
use hub_common::{
    ALICE, BOB, TestHub, bus, event_stream, next_of_type, post_to_outbox, request, send_json,
    service_up,
};
use serde_json::json;
use versia_ws::signature::SignatureHeaders;
use versia_ws::{PrivateKey, SignedBy, Version};

const REDIS: &str = "127.0.0.1:6379";
const NATS: &str = "127.0.0.1:4222";

/// The Redis cluster settings on a channel of this test, or `None` (skipped) without Redis.
async fn redis() -> Option<ClusterConfig> {
    service_up("Redis", REDIS)
        .await
        .then(|| ClusterConfig::redis(format!("redis://{REDIS}")).with_channel(unique_channel()))
}

/// The NATS cluster settings on a subject of this test, or `None` (skipped) without NATS.
async fn nats() -> Option<ClusterConfig> {
    service_up("NATS", NATS)
        .await
        .then(|| ClusterConfig::nats(format!("nats://{NATS}")).with_channel(unique_channel()))
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

/// Two hubs of one cluster, both named `hub.test` for Versia and trusting [`PEER`].
async fn two_hubs(cluster: &ClusterConfig) -> (TestHub, TestHub) {
    let config = || {
        let mut config = hub_common::config();
        config.cluster = Some(cluster.clone());
        config.versia.domain = Some("hub.test".into());
        config.versia.peers = vec![VersiaPeer {
            domain: PEER.into(),
            public_key: peer_key().public_key().to_spki_base64(),
        }];
        config
    };
    (
        TestHub::start_with(config()).await,
        TestHub::start_with(config()).await,
    )
}

/// A federated note for alice delivered to hub A reaches alice's Bus session on hub B.
async fn actions_cross_instances(cluster: ClusterConfig) {
    let (a, b) = two_hubs(&cluster).await;
    let mut alice_on_b = bus(&b, ALICE, &["action"]).await;

    let body = json!({
        "id": "x1",
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": "carol",
        "content": {"text/plain": {"content": "for alice, wherever she is"}},
        "mentions": ["hub.test:alice"],
    })
    .to_string();
    let url = format!("{}/.versia/v0.6/inbox", a.base);
    let mut signed = http::Request::post(&url).body(body.clone()).unwrap();
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SignatureHeaders::sign_request(
        &mut signed,
        &peer_key(),
        SignedBy::instance(PEER),
        Version::V0_6,
        unix,
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
    a.stop().await;
    b.stop().await;
}

/// alice on hub A watches presence; bob connects to hub B, sets a status, and leaves.
async fn presence_crosses_instances(cluster: ClusterConfig) {
    let (a, b) = two_hubs(&cluster).await;
    let mut alice = bus(&a, ALICE, &["presence"]).await;
    let mut bob = bus(&b, BOB, &["presence"]).await;

    let online = next_of_type(&mut alice, "presence").await;
    assert_eq!(online["user"], "bob", "{online}");
    assert_eq!(online["status"], "online", "{online}");

    send_json(&mut bob, &json!({"type": "presence", "status": "busy"})).await;
    let busy = next_of_type(&mut alice, "presence").await;
    assert_eq!(busy["status"], "busy", "{busy}");

    // And the other way: alice's status reaches bob on hub B.
    send_json(&mut alice, &json!({"type": "presence", "status": "away"})).await;
    let away = next_of_type(&mut bob, "presence").await;
    assert_eq!(away["user"], "alice", "{away}");
    assert_eq!(away["status"], "away", "{away}");

    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn presence_crosses_instances_through_redis() {
    if let Some(cluster) = redis().await {
        presence_crosses_instances(cluster).await;
    }
}

#[tokio::test]
async fn presence_crosses_instances_through_nats() {
    if let Some(cluster) = nats().await {
        presence_crosses_instances(cluster).await;
    }
}

/// bob posts on hub A to alice, who streams her inbox and listens on the Bus on hub B.
async fn posts_cross_instances(cluster: ClusterConfig) {
    let (a, b) = two_hubs(&cluster).await;
    let mut alice_bus = bus(&b, ALICE, &["action"]).await;
    let mut alice_stream =
        event_stream(&format!("{}/users/alice/inbox", b.base), ALICE, None).await;
    let note = json!({"type": "Note", "content": "across the cluster",
        "to": [format!("{}/users/alice", a.base)]});
    let reply = post_to_outbox(&a.base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201);
    let event = alice_stream.next().await;
    assert_eq!(event.event_type(), "inbox");
    assert!(
        event.data().contains("across the cluster"),
        "{}",
        event.data()
    );
    let action = next_of_type(&mut alice_bus, "action").await;
    assert_eq!(action["content"], "across the cluster", "{action}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn posts_cross_instances_through_redis() {
    if let Some(cluster) = redis().await {
        posts_cross_instances(cluster).await;
    }
}

#[tokio::test]
async fn posts_cross_instances_through_nats() {
    if let Some(cluster) = nats().await {
        posts_cross_instances(cluster).await;
    }
}

/// Publishes raw messages on a Redis channel (RESP `PUBLISH`), as a broken or hostile
/// instance could.
async fn redis_publish(channel: &str, messages: &[&str]) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut redis = tokio::net::TcpStream::connect(REDIS).await.unwrap();
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

#[tokio::test]
async fn malformed_envelopes_are_ignored() {
    let Some(cluster) = redis().await else {
        return;
    };
    let (a, b) = two_hubs(&cluster).await;
    redis_publish(
        &cluster.channel,
        &[
            "not json",
            "[1,2]",
            r#"{"origin":"x"}"#,
            r#"{"origin":"x","kind":"bus.publish","body":[1]}"#,
            r#"{"origin":"x","kind":"bus.publish","body":{"users":"alice","message":7}}"#,
            r#"{"origin":"x","kind":"bus.presence","body":"offline"}"#,
            r#"{"origin":"x","kind":"c2s.deliver","body":"s"}"#,
            r#"{"origin":"x","kind":"c2s.deliver","body":{"actor":"mallory","activity":{}}}"#,
            r#"{"origin":"x","kind":"unknown","body":{}}"#,
        ],
    )
    .await;
    // Both instances still relay real events.
    let mut alice = bus(&a, ALICE, &["presence"]).await;
    let _bob = bus(&b, BOB, &["presence"]).await;
    let online = next_of_type(&mut alice, "presence").await;
    assert_eq!(online["user"], "bob", "{online}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn actions_cross_instances_through_redis() {
    if let Some(cluster) = redis().await {
        actions_cross_instances(cluster).await;
    }
}

#[tokio::test]
async fn actions_cross_instances_through_nats() {
    if let Some(cluster) = nats().await {
        actions_cross_instances(cluster).await;
    }
}

#[tokio::test]
async fn an_unreachable_broker_fails_the_start() {
    // Port 9 (discard) on loopback: nothing listens there.
    let mut config = hub_common::config();
    config.cluster = Some(ClusterConfig::redis("redis://127.0.0.1:9"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = fedi_examples::hub::Server::bind(config, listener)
        .await
        .unwrap();
    let error = server.run(std::future::pending()).await.unwrap_err();
    assert!(error.to_string().contains("broker connection"), "{error}");
}

#[tokio::test]
async fn a_bad_broker_url_is_refused_at_bind() {
    for cluster in [
        ClusterConfig::redis("rediss://127.0.0.1:6379"),
        ClusterConfig::nats("not a url"),
        ClusterConfig::nats("nats://127.0.0.1:4222").with_channel("two words"),
    ] {
        let mut config = hub_common::config();
        config.cluster = Some(cluster);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert!(
            fedi_examples::hub::Server::bind(config, listener)
                .await
                .is_err()
        );
    }
}
