//! The hub against hostile clients, over the wire: request bodies have a deadline, a client
//! that stops reading is dropped after `write_stall_timeout` (its slot freed), the Versia
//! inbox refuses unsigned deliveries before reading their bodies (checked on the real binary,
//! with 200 connections and its resident memory), and every response says `nosniff`.

mod hub_common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hub_common::{
    ALICE, BinaryHub, PATIENCE, TestHub, get, raw_exchange, raw_has_header, raw_status, request,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use versia_ws::signature::SignatureHeaders;
use versia_ws::{PrivateKey, SignedBy, Version};

const HUB: &str = "hub.test";
const PEER: &str = "peer.test";
const INBOX: &str = "/.versia/v0.6/inbox";
const MIB: usize = 1024 * 1024;

fn peer_key() -> PrivateKey {
    PrivateKey::from_seed(&[7; 32])
}

/// `host:port` of a base URL.
fn address(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// A hub that trusts the peer, with a short body deadline.
async fn start(body_read_timeout: Duration) -> TestHub {
    let mut config = hub_common::config();
    config.limits.body_read_timeout = body_read_timeout;
    hub_common::trust_versia_peer(&mut config, HUB, PEER, &peer_key());
    TestHub::start_with(config).await
}

/// The three Versia signature headers of a POST to the inbox with `body`, as header lines.
fn signature_lines(key: &PrivateKey, signer: &str, at: SystemTime, body: &[u8]) -> String {
    let mut request = http::Request::post(INBOX).body(body.to_vec()).unwrap();
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
        .map(|(name, value)| format!("{name}: {}\r\n", value.to_str().unwrap()))
        .collect()
}

/// A note by carol of the peer, for alice.
fn note(id: &str) -> String {
    json!({"id": id, "type": "Note", "created_at": "2024-10-18T09:23:37Z", "author": "carol",
        "content": {"text/plain": {"content": "hello"}}, "mentions": [format!("{HUB}:alice")]})
    .to_string()
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_the_connection_closed() {
    let deadline = Duration::from_millis(500);
    let hub = start(deadline).await;
    let head = format!(
        "POST /users/alice/outbox HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: application/activity+json\r\nContent-Length: 200\r\n\r\n",
        address(&hub.base)
    );
    let started = Instant::now();
    let (answer, closed) =
        raw_exchange(address(&hub.base), &head, br#"{"type":"Note","#, PATIENCE).await;
    let waited = started.elapsed();
    assert_eq!(
        raw_status(&answer),
        Some(408),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(raw_has_header(&answer, "connection", "close"));
    assert!(closed, "the hub closes the connection after the 408");
    assert!(
        waited >= deadline,
        "answered after {waited:?}, before the deadline"
    );

    // The Versia inbox reads its bodies the same way, once the signature headers pass.
    let body = note("slow");
    let head = format!(
        "POST {INBOX} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{}\r\n",
        address(&hub.base),
        body.len(),
        signature_lines(&peer_key(), PEER, SystemTime::now(), body.as_bytes())
    );
    let (answer, closed) =
        raw_exchange(address(&hub.base), &head, &body.as_bytes()[..10], PATIENCE).await;
    assert_eq!(
        raw_status(&answer),
        Some(408),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(closed);
    hub.stop().await;
}

#[tokio::test]
async fn a_slow_body_inside_the_deadline_is_read() {
    let hub = start(Duration::from_secs(5)).await;
    let activity =
        json!({"type": "Note", "content": "slowly", "to": [format!("{}/users/bob", hub.base)]})
            .to_string();
    let (first, rest) = activity.as_bytes().split_at(10);
    let mut stream = TcpStream::connect(address(&hub.base)).await.unwrap();
    let head = format!(
        "POST /users/alice/outbox HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: application/activity+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        address(&hub.base),
        activity.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("an answer within the patience")
        .expect("read the answer");
    assert_eq!(
        raw_status(&answer),
        Some(201),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_body_announced_over_the_limit_is_refused_before_it_is_read() {
    // A deadline far beyond the patience: only a refusal before reading answers in time.
    let hub = start(Duration::from_secs(600)).await;
    let head = format!(
        "POST /users/alice/outbox HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: application/activity+json\r\nContent-Length: {}\r\n\r\n",
        address(&hub.base),
        2 * MIB
    );
    let (answer, _) = raw_exchange(address(&hub.base), &head, b"{", PATIENCE).await;
    assert_eq!(
        raw_status(&answer),
        Some(413),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    hub.stop().await;
}

/// One hostile delivery: announces 1 MiB, pushes all but its last byte (as long as the hub
/// takes them), and waits for an answer. Returns the status and how long the answer took.
async fn stalled_delivery(
    address: String,
    signature: String,
    body: Arc<Vec<u8>>,
) -> (Option<u16>, Duration) {
    let stream = TcpStream::connect(&address).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {INBOX} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{signature}\r\n",
        body.len()
    );
    writer
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let started = Instant::now();
    let pusher = tokio::spawn(async move {
        // Fails once the hub closes the connection; the half stays open until then.
        let _ = writer.write_all(&body[..body.len() - 1]).await;
        std::future::pending::<()>().await;
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(PATIENCE, reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buffer[..n]),
            _ => break,
        }
    }
    let waited = started.elapsed();
    pusher.abort();
    (raw_status(&answer), waited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_deliveries_are_refused_before_their_bodies_are_read() {
    let spki = peer_key().public_key().to_spki_base64();
    let peer = format!("{PEER}={spki}");
    let hub = BinaryHub::start(&[
        "--account",
        "alice=secret-a",
        "--versia-domain",
        HUB,
        "--versia-peer",
        &peer,
    ])
    .await;
    // Warm up (first requests allocate lazily), then take the baseline.
    assert_eq!(
        get(&format!("{}/.well-known/versia", hub.base), None)
            .await
            .status,
        200
    );
    let baseline = hub.memory("VmRSS");

    // 200 connections announcing 1 MiB bodies with missing, unknown, stale or garbled
    // signatures, all at once.
    const CONNECTIONS: usize = 200;
    let body = Arc::new(vec![b' '; MIB]);
    let stranger = PrivateKey::from_seed(&[9; 32]);
    let now = SystemTime::now();
    let unix = now
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let variants: [(String, u16); 4] = [
        (String::new(), 401),
        (signature_lines(&stranger, "stranger.test", now, &body), 401),
        (
            signature_lines(&peer_key(), PEER, now - Duration::from_secs(3_600), &body),
            422,
        ),
        (
            format!(
                "versia-signature: bm90IGEgc2lnbmF0dXJl\r\nversia-signed-at: {unix}\r\n\
                 versia-signed-by: {PEER}\r\n"
            ),
            401,
        ),
    ];
    let attacks: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let (signature, expected) = variants[i % variants.len()].clone();
            let task = tokio::spawn(stalled_delivery(
                address(&hub.base).to_owned(),
                signature,
                body.clone(),
            ));
            (task, expected)
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for (task, expected) in attacks {
        let (status, waited) = task.await.expect("the attack task");
        assert_eq!(status, Some(expected), "after {waited:?}\n{}", hub.log());
        slowest = slowest.max(waited);
    }
    // At once: far inside the 10 s body deadline, which would otherwise have answered 408.
    assert!(
        slowest < Duration::from_secs(5),
        "the slowest refusal took {slowest:?}"
    );
    let peak = hub.memory("VmHWM");
    let grown = peak.saturating_sub(baseline);
    eprintln!(
        "VmRSS before: {} KiB, VmHWM after: {} KiB, {CONNECTIONS} × 1 MiB announced",
        baseline / 1024,
        peak / 1024
    );
    // Reading the bodies would have taken about 200 MiB.
    assert!(
        grown < 32 * MIB as u64,
        "the hub grew by {} KiB during the attack",
        grown / 1024
    );

    // A legitimate signed delivery still works.
    let body = note("after-the-attack");
    let mut request = http::Request::post(format!("{}{INBOX}", hub.base))
        .body(body.as_bytes().to_vec())
        .unwrap();
    SignatureHeaders::sign_request(
        &mut request,
        &peer_key(),
        SignedBy::instance(PEER),
        Version::V0_6,
        SystemTime::now(),
    )
    .unwrap();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let mut pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("content-type", "application/json"));
    let reply = request_to(&hub.base, &pairs, body).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    hub.signal("TERM");
    assert!(hub.wait().await.success());
}

async fn request_to(base: &str, headers: &[(&str, &str)], body: String) -> hub_common::Reply {
    request(
        "POST",
        &format!("{base}{INBOX}"),
        headers,
        Bytes::from(body),
    )
    .await
}

#[tokio::test]
async fn every_response_says_nosniff_and_the_page_has_a_csp() {
    let hub = start(Duration::from_secs(10)).await;
    let base = &hub.base;
    let outbox = format!("{base}/users/alice/outbox");
    let replies = [
        get(&format!("{base}/"), None).await,
        get(&format!("{base}/app.js"), None).await,
        get(&format!("{base}/api/whoami"), Some(ALICE)).await,
        get(&format!("{base}/api/whoami"), None).await,
        get(&format!("{base}/nothing/here"), None).await,
        get(&format!("{base}/.well-known/versia"), None).await,
        get(&format!("{base}/users/alice/ws"), Some(ALICE)).await,
        request("DELETE", &outbox, &[], Bytes::new()).await,
        hub_common::post_to_outbox(
            base,
            "alice",
            ALICE,
            &json!({"type": "Note", "content": "x"}),
        )
        .await,
        request_to(base, &[], note("unsigned")).await,
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 401, 404, 200, 426, 405, 201, 401]);
    for reply in &replies {
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{reply:?}"
        );
    }
    let csp = replies[0]
        .header("content-security-policy")
        .expect("the page has a CSP");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self' ws: wss:",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(replies[1].header("content-security-policy"), None);
    hub.stop().await;
}

#[tokio::test]
async fn inbox_bodies_are_read_a_few_at_a_time() {
    let mut config = hub_common::config();
    config.limits.versia_inbox_reads = 1;
    config.limits.body_read_timeout = Duration::from_secs(3);
    hub_common::trust_versia_peer(&mut config, HUB, PEER, &peer_key());
    let hub = TestHub::start_with(config).await;
    let body = note("held");
    let head = format!(
        "POST {INBOX} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{}\r\n",
        address(&hub.base),
        body.len(),
        signature_lines(&peer_key(), PEER, SystemTime::now(), body.as_bytes())
    );
    // One delivery whose signature headers pass stalls in its body: the next one is turned
    // away at once, before its body is read.
    let address = address(&hub.base).to_owned();
    let (stalled_head, stalled_body) = (head.clone(), body.clone());
    let stalled = tokio::spawn(async move {
        raw_exchange(
            &address,
            &stalled_head,
            &stalled_body.as_bytes()[..10],
            PATIENCE,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let (answer, closed) = raw_exchange(
        hub.base.trim_start_matches("http://"),
        &head,
        &body.as_bytes()[..10],
        PATIENCE,
    )
    .await;
    assert_eq!(
        raw_status(&answer),
        Some(503),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(raw_has_header(&answer, "retry-after", "1"));
    assert!(closed);
    assert!(started.elapsed() < Duration::from_secs(2), "at once");
    let (first, _) = stalled.await.unwrap();
    assert_eq!(raw_status(&first), Some(408));
    hub.stop().await;
}

/// Opens alice's C2S WebSocket on a socket with a small receive buffer: the upgrade's status,
/// and the socket when it is `101`.
async fn c2s_socket_that_never_reads(address: &str) -> (u16, Option<TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket
        .connect(address.parse().unwrap())
        .await
        .expect("connect");
    let status = hub_common::raw_c2s_upgrade(&mut stream, address).await;
    (status, (status == 101).then_some(stream))
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_write_stall_timeout() {
    let mut config = hub_common::config();
    config.limits.c2s_sockets_per_account = 1;
    config.limits.write_stall_timeout = Duration::from_secs(1);
    let hub = TestHub::start_with(config).await;
    let address = address(&hub.base).to_owned();

    let (status, deaf) = c2s_socket_that_never_reads(&address).await;
    assert_eq!(status, 101);
    let (status, _) = c2s_socket_that_never_reads(&address).await;
    assert_eq!(status, 429, "one C2S WebSocket per account");

    // Notes to alice until far more is sent to her socket than the socket buffers hold.
    let big = "x".repeat(512 * 1024);
    for _ in 0..16 {
        let note =
            json!({"type": "Note", "content": big, "to": [format!("{}/users/alice", hub.base)]});
        let reply = hub_common::post_to_outbox(&hub.base, "bob", hub_common::BOB, &note).await;
        assert_eq!(reply.status, 201);
    }
    // The stalled socket is dropped, which frees alice's one slot.
    let started = Instant::now();
    loop {
        let (status, socket) = c2s_socket_that_never_reads(&address).await;
        if status == 101 {
            drop(socket);
            break;
        }
        assert_eq!(status, 429);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the socket that stopped reading still holds the slot"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(deaf);
    hub.stop().await;
}
