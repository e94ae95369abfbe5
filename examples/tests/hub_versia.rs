//! Versia end to end: a peer instance (this test, with its own key) signs inbox deliveries and
//! opens the instance WebSocket; the hub verifies with `versia_ws`, accepts what is signed,
//! refuses what is tampered with, and shows accepted notes on the Bus as federated actions.

mod hub_common;

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use hub_common::{ALICE, PATIENCE, TestHub, bus, get, next_of_type, request};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use versia_ws::connection::{Config, Event, Initiator, LocalIdentity, Transmit};
use versia_ws::signature::{SignatureHeaders, verify_response};
use versia_ws::{PrivateKey, PublicKey, SignedBy, SignerKey, VerifyOptions, Version};

const HUB: &str = "hub.test";
const PEER: &str = "peer.test";
const INBOX: &str = "/.versia/v0.6/inbox";

fn peer_key() -> PrivateKey {
    PrivateKey::from_seed(&[7; 32])
}

async fn start() -> TestHub {
    let mut config = hub_common::config();
    hub_common::trust_versia_peer(&mut config, HUB, PEER, &peer_key());
    TestHub::start_with(config).await
}

/// A Note from carol on the peer, mentioning alice on the hub.
fn note(id: &str, text: &str) -> String {
    json!({
        "id": id,
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": "carol",
        "content": {"text/plain": {"content": text}},
        "group": null,
        "mentions": [format!("{HUB}:alice")],
    })
    .to_string()
}

/// A signed POST to the inbox: (headers as pairs, body).
fn signed_post(
    hub: &TestHub,
    body: &str,
    key: &PrivateKey,
    signer: &str,
    at: SystemTime,
) -> Vec<(String, String)> {
    let mut request = http::Request::post(format!("{}{INBOX}", hub.base))
        .body(body.as_bytes().to_vec())
        .unwrap();
    SignatureHeaders::sign_request(
        &mut request,
        key,
        SignedBy::instance(signer),
        Version::V0_6,
        at,
    )
    .unwrap();
    request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

async fn post(hub: &TestHub, headers: &[(String, String)], body: &str) -> hub_common::Reply {
    let mut pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("content-type", "application/json"));
    request(
        "POST",
        &format!("{}{INBOX}", hub.base),
        &pairs,
        Bytes::from(body.to_owned()),
    )
    .await
}

/// The hub's key, from its signed instance metadata (the signature is checked too).
/// The instance WebSocket opened by [`PEER`] with a signed upgrade, and the connection
/// machine after the hub's signed `101` was checked with `hub_key`.
async fn open_instance_socket(
    hub: &TestHub,
    hub_key: SignerKey,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    versia_ws::connection::Connection<SignerKey>,
) {
    let identity = LocalIdentity {
        signer: SignedBy::instance(PEER),
        key: peer_key(),
    };
    let initiator = Initiator::new(
        Config::new(Version::V0_6),
        identity,
        SignedBy::instance(HUB),
    );
    let mut upgrade = format!("{}{}", hub.ws_base, initiator.path())
        .into_client_request()
        .unwrap();
    upgrade
        .headers_mut()
        .extend(initiator.request_headers(SystemTime::now()).unwrap());
    let (socket, response) =
        tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(upgrade))
            .await
            .unwrap()
            .expect("the signed upgrade is accepted");
    let connection = initiator
        .finish(
            Instant::now(),
            SystemTime::now(),
            response.status(),
            response.headers(),
            hub_key,
        )
        .expect("the 101 is signed by the hub");
    (socket, connection)
}

async fn hub_key(hub: &TestHub) -> SignerKey {
    let url = format!("{}/.well-known/versia", hub.base);
    let reply = get(&url, None).await;
    assert_eq!(reply.status, 200);
    let metadata = reply.json();
    assert_eq!(metadata["type"], "InstanceMetadata");
    assert_eq!(metadata["domain"], HUB);
    assert_eq!(metadata["public_key"]["algorithm"], "ed25519");
    let key = PublicKey::from_spki_base64(metadata["public_key"]["key"].as_str().unwrap())
        .expect("an SPKI key");
    let signer = SignerKey {
        signer: SignedBy::instance(HUB),
        key,
    };
    let verified = verify_response(
        &VerifyOptions::new(Version::V0_6),
        &http::Method::GET,
        &url.parse().unwrap(),
        &reply.headers,
        &reply.body,
        Some(SystemTime::now()),
        &mut signer.clone(),
    )
    .expect("the metadata response is signed by the hub");
    assert_eq!(verified.signer, SignedBy::instance(HUB));
    signer
}

#[tokio::test]
async fn the_metadata_is_signed_with_the_published_key() {
    let hub = start().await;
    hub_key(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn a_signed_note_is_accepted_and_reaches_the_mentioned_user() {
    let hub = start().await;
    let mut alice = bus(&hub, ALICE, &["action"]).await;
    let body = note("n1", "hello alice");
    let headers = signed_post(&hub, &body, &peer_key(), PEER, SystemTime::now());
    let reply = post(&hub, &headers, &body).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );

    let action = next_of_type(&mut alice, "action").await;
    assert_eq!(action["action_type"], "POST");
    assert_eq!(action["issuer"], "peer.test:carol");
    assert_eq!(action["content"], "hello alice");
    assert_eq!(action["source"], "federated");
    assert_eq!(action["action_id"], "versia:peer.test:n1");

    // The same signed request again is a replay.
    let again = post(&hub, &headers, &body).await;
    assert_eq!(again.status, 401);
    assert_eq!(again.json()["code"], "replayed");
    hub.stop().await;
}

/// A Note by `author` (a reference as the peer writes it), mentioning alice on the hub and
/// someone on a third instance.
fn note_by(id: &str, author: &str, text: &str) -> String {
    json!({
        "id": id,
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": author,
        "content": {"text/plain": {"content": text}},
        "mentions": [format!("{HUB}:alice"), "third.test:dave"],
    })
    .to_string()
}

#[tokio::test]
async fn a_peer_speaks_only_for_its_own_users_in_the_inbox() {
    let hub = start().await;
    let mut alice = bus(&hub, ALICE, &["action"]).await;
    for (id, author) in [("f1", "third.test:mallory"), ("f2", "hub.test:alice")] {
        let body = note_by(id, author, "forged");
        let headers = signed_post(&hub, &body, &peer_key(), PEER, SystemTime::now());
        let reply = post(&hub, &headers, &body).await;
        assert_eq!(reply.status, 403, "{author}");
        assert_eq!(reply.json()["code"], "foreign_author", "{author}");
    }
    // The peer's own user, written bare or with the peer's domain, is accepted; the mention of
    // a third instance is only a reference.
    for (id, author) in [("o1", "carol"), ("o2", "peer.test:carol")] {
        let body = note_by(id, author, &format!("from {author}"));
        let headers = signed_post(&hub, &body, &peer_key(), PEER, SystemTime::now());
        let reply = post(&hub, &headers, &body).await;
        assert_eq!(
            reply.status,
            200,
            "{author}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        // The refused notes never reached alice: the next action is this one.
        let action = next_of_type(&mut alice, "action").await;
        assert_eq!(action["content"], format!("from {author}"));
        assert_eq!(action["issuer"], "peer.test:carol");
        assert_eq!(action["action_id"], format!("versia:peer.test:{id}"));
    }
    hub.stop().await;
}

#[tokio::test]
async fn tampered_unknown_stale_and_unsigned_deliveries_are_refused() {
    let hub = start().await;
    let body = note("n2", "original");

    let headers = signed_post(&hub, &body, &peer_key(), PEER, SystemTime::now());
    let tampered = body.replace("original", "tampered");
    let reply = post(&hub, &headers, &tampered).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["code"], "signature_mismatch");

    let stranger = PrivateKey::from_seed(&[9; 32]);
    let headers = signed_post(&hub, &body, &stranger, "stranger.test", SystemTime::now());
    let reply = post(&hub, &headers, &body).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["code"], "unknown_signer");

    // The right signer name with the wrong key.
    let headers = signed_post(&hub, &body, &stranger, PEER, SystemTime::now());
    let reply = post(&hub, &headers, &body).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["code"], "signature_mismatch");

    let headers = signed_post(
        &hub,
        &body,
        &peer_key(),
        PEER,
        SystemTime::now() - Duration::from_secs(600),
    );
    let reply = post(&hub, &headers, &body).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["code"], "stale");

    let reply = post(&hub, &[], &body).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["code"], "missing_header");
    hub.stop().await;
}

#[tokio::test]
async fn the_instance_websocket_acks_signed_entities_and_refuses_tampered_ones() {
    let hub = start().await;
    let hub_key = hub_key(&hub).await;
    let mut alice = bus(&hub, ALICE, &["action"]).await;

    let (mut socket, mut connection) = open_instance_socket(&hub, hub_key).await;

    // A signed note: acknowledged with its id, and shown to alice.
    let body = note("n3", "over the socket");
    let signature = connection
        .send_entity(Instant::now(), SystemTime::now(), &body)
        .unwrap();
    let Some(Transmit::Text(frame)) = connection.poll_transmit(Instant::now()) else {
        panic!("a frame to send");
    };
    socket.send(Message::text(frame.clone())).await.unwrap();
    let reply = next_text(&mut socket).await;
    connection
        .handle_text(Instant::now(), SystemTime::now(), &reply)
        .unwrap();
    while connection.poll_transmit(Instant::now()).is_some() {}
    assert_eq!(
        connection.poll_event(Instant::now()),
        Some(Event::Delivered {
            signature,
            id: Some("n3".into())
        })
    );
    let action = next_of_type(&mut alice, "action").await;
    assert_eq!(action["content"], "over the socket");
    assert_eq!(action["source"], "federated");

    // A freshly signed frame whose entity is changed before sending: an error reply with
    // status 401. (Resending the first frame would be refused as a replay, which the
    // connection checks before the signature.)
    connection
        .send_entity(Instant::now(), SystemTime::now(), note("n4", "as signed"))
        .unwrap();
    let Some(Transmit::Text(frame)) = connection.poll_transmit(Instant::now()) else {
        panic!("a frame to send");
    };
    let mut tampered: Value = serde_json::from_str(&frame).unwrap();
    tampered["entity"] = json!(note("n4", "changed in transit"));
    socket
        .send(Message::text(tampered.to_string()))
        .await
        .unwrap();
    let error: Value = serde_json::from_str(&next_text(&mut socket).await).unwrap();
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["status"], 401, "{error}");
    assert_eq!(error["code"], "signature_mismatch", "{error}");
    drop(socket);
    hub.stop().await;
}

#[tokio::test]
async fn a_peer_speaks_only_for_its_own_users_on_the_websocket() {
    let hub = start().await;
    let hub_key = hub_key(&hub).await;
    let mut alice = bus(&hub, ALICE, &["action"]).await;
    let (mut socket, mut connection) = open_instance_socket(&hub, hub_key).await;

    for (id, author) in [
        ("w1", "third.test:mallory"),
        ("w2", "hub.test:bob"),
        ("w3", "carol"),
    ] {
        let signature = connection
            .send_entity(
                Instant::now(),
                SystemTime::now(),
                note_by(id, author, "over the socket"),
            )
            .unwrap();
        let Some(Transmit::Text(frame)) = connection.poll_transmit(Instant::now()) else {
            panic!("a frame to send");
        };
        socket.send(Message::text(frame)).await.unwrap();
        let reply: Value = serde_json::from_str(&next_text(&mut socket).await).unwrap();
        assert_eq!(reply["signature"], signature.to_base64(), "{reply}");
        if author == "carol" {
            assert_eq!(reply["type"], "ack", "{reply}");
            assert_eq!(reply["id"], id, "{reply}");
        } else {
            assert_eq!(reply["type"], "error", "{author}: {reply}");
            assert_eq!(reply["status"], 403, "{reply}");
            assert_eq!(reply["code"], "foreign_author", "{reply}");
        }
    }
    // Only carol's note reached alice.
    let action = next_of_type(&mut alice, "action").await;
    assert_eq!(action["action_id"], "versia:peer.test:w3");
    assert_eq!(action["issuer"], "peer.test:carol");
    drop(socket);
    hub.stop().await;
}

#[tokio::test]
async fn an_unsigned_upgrade_is_refused_with_401() {
    let hub = start().await;
    let url = format!("{}/.versia/v0.6/ws", hub.ws_base);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    hub.stop().await;
}

async fn next_text(socket: &mut hub_common::Socket) -> String {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await.unwrap() {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}
