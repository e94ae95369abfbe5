//! Every WebSocket endpoint of the hub against real clients and raw frames.
//!
//! - Node's `ws` and Python's `websockets` (pinned: `examples/tests/node/package-lock.json`,
//!   `scripts/venvs/client-peers.txt`) on the C2S (`/users/alice/ws`), Bus (`/ws/bus`) and
//!   Mastodon (`/api/v1/streaming`) endpoints: the subprotocol the 101 selects (exactly one
//!   offered value, or none where the endpoint has none), a ping answered with a pong, and a
//!   client's Close answered with a Close carrying its code, the TCP connection closed soon
//!   after. Skipped with a notice when the peers are missing, unless `FEDI_TEST_STRICT` is set.
//! - Raw TCP on those and on the Versia instance socket (`/.versia/v0.6/ws`, with a signed
//!   upgrade): a client's Close is echoed; an unmasked frame, RSV bits and invalid UTF-8 are
//!   answered with close 1002, 1002 and 1007, an oversize message with 1009, then the server
//!   closes the TCP connection.

mod client_peers;
mod hub_common;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use client_peers::{Peer, node_peers, python_peers, python_scripts};
use hub_common::{ALICE, PATIENCE, TestHub};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use versia_ws::connection::{Config, Initiator, LocalIdentity};
use versia_ws::{PrivateKey, SignedBy, Version};

const HUB: &str = "hub.test";
const PEER: &str = "peer.test";

fn peer_key() -> PrivateKey {
    PrivateKey::from_seed(&[9; 32])
}

/// A hub that also accepts the Versia peer `peer.test`.
async fn start() -> TestHub {
    let mut config = hub_common::config();
    hub_common::trust_versia_peer(&mut config, HUB, PEER, &peer_key());
    TestHub::start_with(config).await
}

/// An endpoint as a client library opens it: path and query, and the subprotocols to offer.
struct Endpoint {
    name: &'static str,
    path: String,
    /// What the client offers.
    offer: Vec<&'static str>,
    /// What the 101 must select (`None`: no `Sec-WebSocket-Protocol` at all).
    selects: Option<&'static str>,
}

/// The three endpoints clients open with a token: C2S and the Bus take it in the query and
/// have no subprotocol (the offered ones are not selected); Mastodon takes it as the
/// subprotocol, as Mastodon's web client sends it, and selects that one value.
fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            name: "C2S",
            path: format!("/users/alice/ws?token={ALICE}"),
            offer: vec!["chat", "fedi.v1"],
            selects: None,
        },
        Endpoint {
            name: "Bus",
            path: format!("/ws/bus?token={ALICE}"),
            offer: vec!["chat", "bus.v1"],
            selects: None,
        },
        Endpoint {
            name: "Mastodon",
            path: "/api/v1/streaming?stream=user".into(),
            offer: vec![ALICE],
            selects: Some(ALICE),
        },
    ]
}

/// Runs a peer script to its end and returns its reports.
async fn run(name: &str, program: &Path, args: &[&str], dir: &Path) -> Vec<Value> {
    let mut peer = Peer::spawn(name, program, args, dir);
    peer.all_within(PATIENCE * 2).await
}

/// The report of `kind`; panics with every report when there is none.
fn report<'a>(reports: &'a [Value], kind: &str, context: &str) -> &'a Value {
    reports
        .iter()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("{context}: no {kind} report in {reports:#?}"))
}

/// A session that opens, pings, and closes with `code`: the pong and the echoed close arrive,
/// and the closing handshake ends promptly (the server closes the TCP connection).
fn check_session(reports: &[Value], endpoint: &Endpoint, code: u16, reason: &str, who: &str) {
    let context = format!("{who} on {}", endpoint.name);
    let selected = report(reports, "upgrade", &context)["protocol"].clone();
    assert_eq!(
        selected,
        endpoint.selects.map_or(Value::Null, |p| json!(p)),
        "{context}: the 101's Sec-WebSocket-Protocol"
    );
    assert_eq!(
        report(reports, "pong", &context)["data"],
        "fedi",
        "{context}"
    );
    let close = report(reports, "close", &context);
    assert_eq!(close["code"], code, "{context}: the close code echoed");
    assert_eq!(close["reason"], reason, "{context}: the reason echoed");
    let ms = close["ms"].as_u64().expect("a closing time");
    assert!(
        ms < 3_000,
        "{context}: the closing handshake took {ms} ms (the server must close the connection)"
    );
    assert!(
        reports.iter().all(|r| r["kind"] != "error"),
        "{context}: {reports:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_ws_on_every_endpoint() {
    let Some(dir) = node_peers() else {
        return;
    };
    let hub = start().await;
    for endpoint in endpoints() {
        let url = format!("{}{}", hub.ws_base, endpoint.path);
        // Offering what the endpoint selects (nothing for C2S and the Bus).
        let protocols: Vec<&str> = endpoint.selects.into_iter().collect();
        let options = json!({"protocols": protocols, "closeCode": 4001, "closeReason": "bye"});
        let reports = run(
            "node ws",
            Path::new("node"),
            &["ws_client.mjs", &url, &options.to_string()],
            &dir,
        )
        .await;
        check_session(&reports, &endpoint, 4001, "bye", "node ws");
        assert_eq!(
            report(&reports, "open", endpoint.name)["protocol"],
            endpoint.selects.unwrap_or("")
        );

        if endpoint.selects.is_none() {
            // Offered subprotocols the endpoint does not have: the 101 selects none, which
            // `ws` refuses as it should ("Server sent no subprotocol").
            let options = json!({"protocols": endpoint.offer});
            let reports = run(
                "node ws",
                Path::new("node"),
                &["ws_client.mjs", &url, &options.to_string()],
                &dir,
            )
            .await;
            assert_eq!(
                report(&reports, "upgrade", endpoint.name)["protocol"],
                Value::Null,
                "{}: {reports:#?}",
                endpoint.name
            );
            let error = report(&reports, "error", endpoint.name);
            assert_eq!(
                error["message"], "Server sent no subprotocol",
                "{reports:#?}"
            );
        }
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websockets_on_every_endpoint() {
    let Some(python) = python_peers() else {
        return;
    };
    let hub = start().await;
    let dir = python_scripts();
    for endpoint in endpoints() {
        let url = format!("{}{}", hub.ws_base, endpoint.path);
        // websockets offers every value; the 101 selects one or (C2S, Bus) none.
        let options =
            json!({"protocols": endpoint.offer, "closeCode": 1000, "closeReason": "done"});
        let reports = run(
            "python websockets",
            &python,
            &["ws_client.py", &url, &options.to_string()],
            &dir,
        )
        .await;
        check_session(&reports, &endpoint, 1000, "done", "python websockets");
        assert_eq!(
            report(&reports, "open", endpoint.name)["protocol"],
            endpoint.selects.map_or(Value::Null, |p| json!(p))
        );
    }
    hub.stop().await;
}

// Raw frames.

/// The mask every raw client frame uses.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame: `first` is the FIN/RSV/opcode byte; masked unless `mask` is `None`.
fn frame(first: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A close frame's payload.
fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

/// A WebSocket spoken by hand over TCP.
struct Raw {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Raw {
    /// Upgrades `path` on `address` with `headers` added; panics unless the answer is `101`.
    async fn open(address: &str, path: &str, headers: &[(String, String)]) -> Raw {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Authorization: Bearer {ALICE}\r\n"
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut raw = Raw {
            stream,
            buffer: Vec::new(),
        };
        let head = loop {
            if let Some(end) = raw.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = raw.buffer.drain(..end + 4).collect();
                break String::from_utf8_lossy(&head).into_owned();
            }
            assert!(raw.fill().await, "the connection ended during the upgrade");
        };
        assert!(
            head.starts_with("HTTP/1.1 101"),
            "{path} not upgraded: {head}"
        );
        raw
    }

    /// Reads more; false at the end of the stream (or a reset).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => false,
            Ok(Ok(n)) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
            Err(_) => panic!("nothing from the server within the patience"),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send a frame");
    }

    /// The next server frame (opcode, payload), or `None` at the end of the stream.
    async fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if let Some((header, len)) = parse_header(&self.buffer)
                && self.buffer.len() >= header + len
            {
                let first = self.buffer[0];
                assert_eq!(self.buffer[1] & 0x80, 0, "server frames are not masked");
                let payload = self.buffer[header..header + len].to_vec();
                self.buffer.drain(..header + len);
                return Some((first & 0x0f, payload));
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// Skips data frames until the server's close frame: its code and reason. Then the server
    /// must end the TCP connection.
    async fn expect_close(&mut self, context: &str) -> (u16, String) {
        loop {
            let Some((opcode, payload)) = self.next_frame().await else {
                panic!("{context}: the connection ended without a close frame");
            };
            if opcode != 0x8 {
                continue;
            }
            assert!(
                payload.len() >= 2,
                "{context}: a close frame without a code"
            );
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            let reason = String::from_utf8(payload[2..].to_vec()).expect("a UTF-8 reason");
            let end = tokio::time::timeout(Duration::from_secs(3), async {
                while self.next_frame().await.is_some() {}
            })
            .await;
            assert!(
                end.is_ok(),
                "{context}: the server did not close the TCP connection after its close frame"
            );
            return (code, reason);
        }
    }
}

/// The header length and payload length of the frame at the start of `buffer`, if complete.
fn parse_header(buffer: &[u8]) -> Option<(usize, usize)> {
    let second = *buffer.get(1)?;
    let (header, len) = match second & 0x7f {
        126 => (
            4,
            u16::from_be_bytes([*buffer.get(2)?, *buffer.get(3)?]) as usize,
        ),
        127 => {
            let bytes: [u8; 8] = buffer.get(2..10)?.try_into().ok()?;
            (10, u64::from_be_bytes(bytes) as usize)
        }
        n => (2, n as usize),
    };
    Some((header, len))
}

/// Where and how a raw client opens each endpoint, with its message limit.
struct RawEndpoint {
    name: &'static str,
    path: String,
    /// A message of this many bytes is over the endpoint's limit.
    oversize: usize,
    versia: Option<Initiator>,
}

fn raw_endpoints() -> Vec<RawEndpoint> {
    let initiator = Initiator::new(
        Config::new(Version::V0_6),
        LocalIdentity {
            signer: SignedBy::instance(PEER),
            key: peer_key(),
        },
        SignedBy::instance(HUB),
    );
    vec![
        RawEndpoint {
            name: "C2S",
            path: "/users/alice/ws".into(),
            // fedi_stream's text limit (1 MiB) on top of the socket's 16 MiB.
            oversize: (1 << 20) + 1,
            versia: None,
        },
        RawEndpoint {
            name: "Bus",
            path: "/ws/bus".into(),
            oversize: 64 * 1024 + 1,
            versia: None,
        },
        RawEndpoint {
            name: "Mastodon",
            path: "/api/v1/streaming".into(),
            oversize: 64 * 1024 + 1,
            versia: None,
        },
        RawEndpoint {
            name: "Versia",
            path: initiator.path().to_owned(),
            oversize: (1 << 20) + 1,
            versia: Some(initiator),
        },
    ]
}

/// Seconds since 1970, when the test started.
fn test_start() -> u64 {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs()
    })
}

/// Opens `endpoint`; a Versia upgrade is signed with the time `age` seconds before the test
/// started (each signature is accepted once, so every connection gets its own time).
async fn open_raw(hub: &TestHub, endpoint: &RawEndpoint, age: u64) -> Raw {
    let address = hub.base.trim_start_matches("http://");
    let mut headers = Vec::new();
    if let Some(initiator) = &endpoint.versia {
        let signed = initiator
            .request_headers(UNIX_EPOCH + Duration::from_secs(test_start() - age))
            .expect("sign the upgrade");
        for (name, value) in &signed {
            headers.push((
                name.to_string(),
                value.to_str().expect("ASCII headers").to_owned(),
            ));
        }
    }
    Raw::open(address, &endpoint.path, &headers).await
}

/// What a raw case sends to an endpoint.
type Bytes = Box<dyn Fn(&RawEndpoint) -> Vec<u8>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closes_and_protocol_errors_follow_rfc_6455_on_every_endpoint() {
    let hub = start().await;
    let text = 0x81;
    let binary = 0x82;
    let cases: Vec<(&str, Bytes, u16)> = vec![
        (
            "a client close",
            Box::new(|_| frame(0x88, Some(MASK), &close_payload(4002, "see you"))),
            4002,
        ),
        (
            "an unmasked frame",
            Box::new(move |_| frame(text, None, b"{}")),
            1002,
        ),
        (
            "RSV1 without an extension",
            Box::new(move |_| frame(text | 0x40, Some(MASK), b"{}")),
            1002,
        ),
        (
            "RSV3 on a ping",
            Box::new(|_| frame(0x89 | 0x10, Some(MASK), b"x")),
            1002,
        ),
        (
            "invalid UTF-8 text",
            Box::new(move |_| frame(text, Some(MASK), &[b'"', 0xc3, 0x28, b'"'])),
            1007,
        ),
        (
            "invalid UTF-8 split over fragments",
            Box::new(move |_| {
                let mut bytes = frame(0x01, Some(MASK), &[b'"', 0xe2, 0x82]);
                bytes.extend(frame(0x80, Some(MASK), b"\""));
                bytes
            }),
            1007,
        ),
        (
            "an oversize message",
            Box::new(move |e: &RawEndpoint| frame(text, Some(MASK), &vec![b' '; e.oversize])),
            1009,
        ),
        (
            "a frame announced over the socket's 16 MiB frame limit",
            Box::new(move |_| {
                let mut header = vec![binary, 0x80 | 127];
                header.extend_from_slice(&((16u64 << 20) + 1).to_be_bytes());
                header.extend_from_slice(&MASK);
                header
            }),
            1009,
        ),
    ];
    let mut age = 0;
    for endpoint in raw_endpoints() {
        for (what, bytes, code) in &cases {
            let context = format!("{what} on {}", endpoint.name);
            let mut raw = open_raw(&hub, &endpoint, age).await;
            age += 1;
            raw.send(&bytes(&endpoint)).await;
            let (got, reason) = raw.expect_close(&context).await;
            assert_eq!(got, *code, "{context}: close code (reason {reason:?})");
            if *code == 4002 {
                assert_eq!(reason, "see you", "{context}: the reason is echoed too");
            }
        }
        // A close without a code is answered with a close without a code.
        let mut raw = open_raw(&hub, &endpoint, age).await;
        age += 1;
        raw.send(&frame(0x88, Some(MASK), &[])).await;
        let close = loop {
            match raw.next_frame().await {
                Some((0x8, payload)) => break payload,
                Some(_) => {}
                None => panic!("{}: no close frame", endpoint.name),
            }
        };
        assert!(close.is_empty(), "{}: {close:?}", endpoint.name);
        // A ping is answered with a pong carrying its payload.
        let mut raw = open_raw(&hub, &endpoint, age).await;
        age += 1;
        raw.send(&frame(0x89, Some(MASK), b"raw ping")).await;
        let pong = loop {
            match raw.next_frame().await {
                Some((0xa, payload)) => break payload,
                Some((0x8, payload)) => panic!("{}: closed: {payload:?}", endpoint.name),
                Some(_) => {}
                None => panic!("{}: no pong", endpoint.name),
            }
        };
        assert_eq!(pong, b"raw ping", "{}", endpoint.name);
    }
    hub.stop().await;
}
