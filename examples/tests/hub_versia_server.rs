//! A peer running versia-server: its own signing steps (`scripts/versia-server/vectors.mjs`, on
//! versia-server's runtime, Bun) sign a delivery and a WebSocket upgrade to the hub, which has
//! the peer marked `versia-server-paths`; the hub accepts both, and its signed `101` passes
//! versia-server's verify step.
//!
//! Needs the runtime (`scripts/setup/versia-server.sh`, which `scripts/test` runs); without it
//! the tests are skipped with a notice, unless `FEDI_TEST_STRICT` is set.

mod hub_common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use fedi_examples::hub::VersiaPeer;
use futures::{SinkExt, StreamExt};
use hub_common::{ALICE, PATIENCE, TestHub, bus, next_of_type, request};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use versia_ws::connection::{Config, Event, Initiator, LocalIdentity, Transmit};
use versia_ws::signature::{SIGNATURE_HEADER, SIGNED_AT_HEADER, SIGNED_BY_HEADER};
use versia_ws::{PrivateKey, SignedBy, SignerKey, Version};

const HUB: &str = "hub.test";
const PEER: &str = "peer.test";

fn peer_key() -> PrivateKey {
    PrivateKey::from_seed(&[11; 32])
}

fn hub_key() -> PrivateKey {
    PrivateKey::from_seed(&[12; 32])
}

fn unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn runtime() -> Option<PathBuf> {
    let bun = root().join("scripts/versia-server/node_modules/.bin/bun");
    if bun.exists() {
        return Some(bun);
    }
    if std::env::var_os("FEDI_TEST_STRICT").is_some() {
        panic!(
            "{} is missing: run scripts/test (or scripts/setup/versia-server.sh) to install it",
            bun.display()
        );
    }
    eprintln!(
        "SKIPPED hub_versia_server: {} not found; run `scripts/setup/versia-server.sh` to enable it",
        bun.display()
    );
    None
}

/// Runs versia-server's steps (`vectors.mjs MODE`) over `requests`.
fn versia_server(bun: &PathBuf, mode: &str, requests: &Value) -> Vec<Value> {
    let mut child = Command::new(bun)
        .arg(root().join("scripts/versia-server/vectors.mjs"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the versia-server steps");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(requests.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the versia-server steps failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// versia-server's signature headers for `method url` with `body`, signed now by the peer.
fn versia_server_headers(
    bun: &PathBuf,
    method: &str,
    url: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let at = unix();
    let answers = versia_server(
        bun,
        "sign",
        &json!([{
            "method": method,
            "url": url,
            "body_base64": STANDARD.encode(body),
            "signed_at": at,
            "private_key": peer_key().to_pkcs8_base64(),
        }]),
    );
    let signature = answers[0]["signature"].as_str().unwrap().to_owned();
    vec![
        (SIGNATURE_HEADER.to_owned(), signature),
        (SIGNED_AT_HEADER.to_owned(), at.to_string()),
        (SIGNED_BY_HEADER.to_owned(), PEER.to_owned()),
    ]
}

async fn start() -> TestHub {
    let mut config = hub_common::config();
    config.versia.domain = Some(HUB.into());
    config.versia.private_key = Some(hub_key().to_pkcs8_base64());
    config.versia.peers = vec![
        VersiaPeer::new(PEER, peer_key().public_key().to_spki_base64()).versia_server_compatible(),
    ];
    TestHub::start_with(config).await
}

#[tokio::test]
async fn a_delivery_signed_by_versia_server_is_accepted() {
    let Some(bun) = runtime() else { return };
    let hub = start().await;
    let mut alice = bus(&hub, ALICE, &["action"]).await;
    let body = json!({
        "id": "vs1",
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": "dora",
        "content": {"text/plain": {"content": "from versia-server"}},
        "group": null,
        "mentions": [format!("{HUB}:alice")],
    })
    .to_string();
    let url = format!("{}/.versia/v0.6/inbox", hub.base);
    let headers = versia_server_headers(&bun, "POST", &url, body.as_bytes());
    let mut pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("content-type", "application/vnd.versia+json; charset=utf-8"));
    let reply = request("POST", &url, &pairs, Bytes::from(body.clone())).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let action = next_of_type(&mut alice, "action").await;
    assert_eq!(action["issuer"], "peer.test:dora");
    assert_eq!(action["content"], "from versia-server");

    // A body changed after signing is refused.
    let tampered = body.replace("from versia-server", "from someone else");
    let headers = versia_server_headers(&bun, "POST", &url, body.as_bytes());
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let reply = request("POST", &url, &pairs, Bytes::from(tampered)).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["code"], "signature_mismatch");
    hub.stop().await;
}

#[tokio::test]
async fn a_websocket_upgrade_signed_by_versia_server_opens_a_connection() {
    let Some(bun) = runtime() else { return };
    let hub = start().await;
    let path = Version::V0_6.ws_path();
    let url = format!("{}{path}", hub.base);
    let mut upgrade = format!("{}{path}", hub.ws_base)
        .into_client_request()
        .unwrap();
    for (name, value) in versia_server_headers(&bun, "GET", &url, b"") {
        upgrade.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let (mut socket, response) =
        tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(upgrade))
            .await
            .unwrap()
            .expect("the upgrade signed by versia-server is accepted");

    // The hub's signed 101 covers `get {path}` and no body: versia-server's verify accepts it.
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let verdicts = versia_server(
        &bun,
        "check",
        &json!([{
            "method": "GET",
            "url": url,
            "body_base64": "",
            "signed_at": header(SIGNED_AT_HEADER).parse::<u64>().unwrap(),
            "signature": header(SIGNATURE_HEADER),
            "public_key": hub_key().public_key().to_spki_base64(),
        }]),
    );
    assert_eq!(verdicts[0]["verified"], json!(true), "{verdicts:?}");
    assert_eq!(header(SIGNED_BY_HEADER), HUB);

    // The connection works: an entity signed in versia-server's form is acknowledged.
    let identity = LocalIdentity {
        signer: SignedBy::instance(PEER),
        key: peer_key(),
    };
    let initiator = Initiator::new(
        Config::new(Version::V0_6).versia_server_compatible(),
        identity,
        SignedBy::instance(HUB),
    );
    let hubs_key = SignerKey {
        signer: SignedBy::instance(HUB),
        key: hub_key().public_key(),
    };
    let mut connection = initiator
        .finish(
            Instant::now(),
            SystemTime::now(),
            response.status(),
            response.headers(),
            hubs_key,
        )
        .expect("the 101 is signed by the hub");
    let entity = json!({"id": "vs2", "type": "Note", "created_at": "2024-10-18T09:23:37Z", "author": "dora"})
        .to_string();
    let signature = connection
        .send_entity(Instant::now(), SystemTime::now(), &entity)
        .unwrap();
    let Some(Transmit::Text(frame)) = connection.poll_transmit(Instant::now()) else {
        panic!("a frame to send");
    };
    socket.send(Message::text(frame)).await.unwrap();
    let reply = tokio::time::timeout(PATIENCE, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => return text.to_string(),
                Some(Ok(_)) => continue,
                other => panic!("no reply: {other:?}"),
            }
        }
    })
    .await
    .expect("a reply in time");
    connection
        .handle_text(Instant::now(), SystemTime::now(), &reply)
        .unwrap();
    while connection.poll_transmit(Instant::now()).is_some() {}
    assert_eq!(
        connection.poll_event(Instant::now()),
        Some(Event::Delivered {
            signature,
            id: Some("vs2".into())
        })
    );
    hub.stop().await;
}
