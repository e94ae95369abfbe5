//! The Bus at `/ws/bus` against the client Cloudillo's web shell runs (`shell/src/ws-bus.tsx`
//! of `cloudillo/cloudillo`, as of commit `600b4ee8`), on a hub whose default dialect is
//! Cloudillo's.
//!
//! That client is part of Cloudillo's application, not a published package, so the test
//! plays it: [`Shell`] opens exactly the URL it opens (`/ws/bus?token=` and the
//! `encodeURIComponent`-encoded token, nothing else), writes exactly what its `send()` writes
//! (`JSON.stringify` of a `{id, cmd, data}` object; frames sent while disconnected are queued
//! and written on open), answers the server's Pings as browsers do, reads frames as its
//! `onmessage` does (`JSON.parse`, dispatch on `cmd`, `ACTION` data read as an ActionView), and
//! reconnects as its `onclose` does (after `min(30 s, 1 s · 2^attempt)`, the attempt count reset
//! on open; never after close 1008 or 4000–4999). The checks are what the shell and Cloudillo's
//! apps rely on: the ping ack, `ok` acks for other commands, an `ACTION` for a note bob posts to
//! alice with the ActionView fields the apps read, no frame the deployed server does not send,
//! reconnection after a hub restart, close 4401 for a bad token, and a silent client still
//! connected after 100 s with the default keep-alive.

mod hub_common;

use std::time::{Duration, Instant};

use chrono::DateTime;
use fedi_examples::hub::{AccountSeed, Config};
use futures::{SinkExt, StreamExt};
use hub_common::{ALICE, BOB, PATIENCE, TestHub, post_to_outbox};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// alice's token: characters `encodeURIComponent` escapes, as an API key or a padded token has.
const ALICE_CL: &str = "cl_alice+/=";
/// carol's token.
const CAROL: &str = "carol-token";

/// alice (with a token the shell must escape), bob and carol, on a hub whose `/ws/bus` speaks
/// Cloudillo's dialect to connections that name none.
fn config() -> Config {
    let mut config = Config::new(vec![
        AccountSeed::new("alice", ALICE_CL),
        AccountSeed::new("bob", BOB),
        AccountSeed::new("carol", CAROL),
    ]);
    config.bus_dialect = bus_protocol::session::Dialect::Cloudillo;
    config
}

/// JavaScript's `encodeURIComponent` (ASCII input).
fn encode_uri_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the shell's handlers see.
#[derive(Debug, PartialEq)]
enum Seen {
    /// `onmessage`: the parsed frame.
    Frame(Value),
    /// `onclose` with this code (1006 when the connection dropped or never opened).
    Closed(u16),
}

/// Cloudillo's shell Bus client, as seen on the wire.
struct Shell {
    url: String,
    socket: Option<hub_common::Socket>,
    /// `connSendBuf`: frames sent while not open, written on open.
    send_buf: Vec<String>,
    /// `attemptRef`: reconnect attempts since the last open.
    attempt: u32,
    /// WebSocket Pings received (each answered with a Pong, as browsers do).
    pings: usize,
}

impl Shell {
    /// `getMessageBusUrl(idTag, token)` with the hub as the instance.
    fn new(hub_ws_base: &str, token: &str) -> Shell {
        Shell {
            url: format!("{hub_ws_base}/ws/bus?token={}", encode_uri_component(token)),
            socket: None,
            send_buf: Vec::new(),
            attempt: 0,
            pings: 0,
        }
    }

    /// `new WebSocket(url)`; on open, what `onopen` does. `false` when it did not open.
    async fn open(&mut self) -> bool {
        let connected = tokio::time::timeout(
            PATIENCE,
            tokio_tungstenite::connect_async(self.url.as_str()),
        )
        .await
        .expect("the upgrade completes or fails within the patience");
        let Ok((mut socket, response)) = connected else {
            return false;
        };
        assert_eq!(response.status(), 101);
        assert!(
            response.headers().get("sec-websocket-protocol").is_none(),
            "the shell offers no subprotocol"
        );
        self.attempt = 0;
        for frame in self.send_buf.drain(..) {
            socket.send(Message::text(frame)).await.expect("send");
        }
        self.socket = Some(socket);
        true
    }

    /// The shell's `send(msg)`: written when open, else queued for the next open.
    async fn send(&mut self, frame: &str) {
        match &mut self.socket {
            Some(socket) => socket.send(Message::text(frame)).await.expect("send"),
            None => self.send_buf.push(frame.to_owned()),
        }
    }

    /// The next frame or close the handlers see, within `wait`; `None` when nothing came.
    /// Pings are answered (tungstenite queues the Pong and writes it on the next read).
    async fn next_within(&mut self, wait: Duration) -> Option<Seen> {
        let socket = self.socket.as_mut().expect("an open socket");
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, socket.next()).await {
                Ok(frame) => frame,
                Err(_) => return None,
            };
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let value = serde_json::from_str(&text).expect("JSON.parse succeeds");
                    return Some(Seen::Frame(value));
                }
                Some(Ok(Message::Ping(_))) => self.pings += 1,
                Some(Ok(Message::Close(frame))) => {
                    self.socket = None;
                    return Some(Seen::Closed(frame.map_or(1005, |f| u16::from(f.code))));
                }
                Some(Ok(other)) => panic!("a frame the deployed server never sends: {other:?}"),
                Some(Err(_)) | None => {
                    self.socket = None;
                    return Some(Seen::Closed(1006));
                }
            }
        }
    }

    /// The next frame or close, which must come within the patience.
    async fn next(&mut self) -> Seen {
        self.next_within(PATIENCE)
            .await
            .expect("a frame within the patience")
    }

    /// The next frame; panics on close.
    async fn frame(&mut self) -> Value {
        match self.next().await {
            Seen::Frame(value) => value,
            Seen::Closed(code) => panic!("closed with {code}"),
        }
    }

    /// `onclose`: the delay before the next attempt, or `None` where the shell gives up
    /// (1008 and 4000–4999, which it takes for authentication failures).
    fn backoff(&mut self, code: u16) -> Option<Duration> {
        if code == 1008 || (4000..5000).contains(&code) {
            return None;
        }
        let delay = Duration::from_millis((1000 * 2u64.pow(self.attempt)).min(30_000));
        self.attempt += 1;
        Some(delay)
    }
}

/// A note `author` posts, addressed to `to` only (a direct message).
async fn note(hub: &TestHub, author: &str, token: &str, to: &str, text: &str) -> String {
    let note = json!({"type": "Note", "content": text,
        "to": [format!("{}/users/{to}", hub.base)]});
    let reply = post_to_outbox(&hub.base, author, token, &note).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.header("location").expect("Location").to_owned()
}

/// The ping ack round trip, with a fresh id: what the shell gets next is only the ack.
async fn ping(shell: &mut Shell, id: &str) {
    shell
        .send(&format!(r#"{{"id":"{id}","cmd":"ping","data":{{}}}}"#))
        .await;
    assert_eq!(
        shell.frame().await,
        json!({"id": id, "cmd": "ack", "data": {"status": "pong"}})
    );
}

#[tokio::test]
async fn the_shell_gets_no_greeting_and_an_ack_for_every_command() {
    let hub = TestHub::start_with(config()).await;
    let mut shell = Shell::new(&hub.ws_base, ALICE_CL);
    assert!(shell.url.ends_with("/ws/bus?token=cl_alice%2B%2F%3D"));
    // Sent before the socket opened: queued, written on open.
    shell.send(r#"{"id":"p0","cmd":"ping","data":{}}"#).await;
    assert!(shell.open().await);
    // The first frame is the ack: no welcome, nothing else before it.
    assert_eq!(
        shell.frame().await,
        json!({"id": "p0", "cmd": "ack", "data": {"status": "pong"}})
    );
    ping(&mut shell, "p1").await;
    for (id, cmd, data) in [
        ("c1", "subscribe", json!({"events": ["action"]})),
        ("c2", "typing", json!({"recipient": "bob"})),
        ("c3", "FILE_ID_GENERATED", json!({})),
    ] {
        shell
            .send(&json!({"id": id, "cmd": cmd, "data": data}).to_string())
            .await;
        assert_eq!(
            shell.frame().await,
            json!({"id": id, "cmd": "ack", "data": {"status": "ok"}}),
            "{cmd}"
        );
    }
    // A frame the deployed server cannot read is dropped without an answer (no JSON error);
    // the session goes on.
    shell.send(r#"{"type":"ping"}"#).await;
    shell.send("not json").await;
    ping(&mut shell, "p2").await;
    hub.stop().await;
}

#[tokio::test]
async fn a_note_bob_posts_to_alice_arrives_as_an_action_view() {
    let hub = TestHub::start_with(config()).await;
    let mut shell = Shell::new(&hub.ws_base, ALICE_CL);
    assert!(shell.open().await);
    ping(&mut shell, "p1").await;

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .cast_signed();
    let id = note(&hub, "bob", BOB, "alice", "Are you free at five?").await;
    let frame = shell.frame().await;
    assert_eq!(frame["cmd"], "ACTION", "{frame}");
    assert!(frame["id"].is_string(), "{frame}");
    assert_eq!(
        frame.as_object().unwrap().len(),
        3,
        "id, cmd, data: {frame}"
    );
    let action = &frame["data"];
    assert_eq!(action["actionId"], id.as_str());
    assert_eq!(action["type"], "MSG");
    assert_eq!(action["issuer"]["idTag"], "bob");
    assert_eq!(action["audience"]["idTag"], "alice");
    assert_eq!(action["status"], "A");
    assert_eq!(action["content"], "Are you free at five?");
    let created = DateTime::parse_from_rfc3339(action["createdAt"].as_str().unwrap())
        .expect("createdAt is RFC 3339")
        .timestamp();
    assert!((before..=before + 60).contains(&created), "{action}");
    // What the messages app does with it: the DM belongs to the conversation with bob.
    let conv_id = "bob";
    assert!(action["issuer"]["idTag"] == conv_id && action["audience"]["idTag"] == "alice");
    // No seed frame (`message`, `action`) follows: the next frame is the ack.
    ping(&mut shell, "p2").await;

    // A comment by bob on alice's public post: the parent is the post.
    let public = json!({"type": "Note", "content": "Spring is here",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let reply = post_to_outbox(&hub.base, "alice", ALICE_CL, &public).await;
    assert_eq!(reply.status, 201);
    let own = shell.frame().await;
    assert_eq!(own["data"]["type"], "POST", "{own}");
    assert_eq!(own["data"]["issuer"]["idTag"], "alice");
    let post_object = reply.json()["object"]["id"].as_str().unwrap().to_owned();
    let comment = json!({"type": "Note", "content": "Finally!", "inReplyTo": post_object,
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let reply = post_to_outbox(&hub.base, "bob", BOB, &comment).await;
    assert_eq!(reply.status, 201);
    let cmnt = shell.frame().await;
    assert_eq!(cmnt["data"]["type"], "CMNT", "{cmnt}");
    assert_eq!(cmnt["data"]["parentId"], post_object.as_str());
    assert_eq!(cmnt["data"]["issuer"]["idTag"], "bob");
    assert_ne!(cmnt["id"], frame["id"], "every pushed frame has its own id");
    hub.stop().await;
}

#[tokio::test]
async fn a_cloudillo_session_sees_what_a_seed_session_of_its_user_sees_and_nothing_more() {
    let hub = TestHub::start_with(config()).await;
    let mut shell = Shell::new(&hub.ws_base, ALICE_CL);
    assert!(shell.open().await);
    let mut carol = Shell::new(&hub.ws_base, CAROL);
    assert!(carol.open().await);
    // alice in this project's dialect, subscribed to everything.
    let url = format!(
        "{}/ws/bus?token={}&dialect=seed",
        hub.ws_base,
        encode_uri_component(ALICE_CL)
    );
    let mut seed = hub_common::ws_connect(&url, None).await;
    assert_eq!(hub_common::next_json(&mut seed).await["type"], "welcome");
    hub_common::send_json(
        &mut seed,
        &json!({"type": "subscribe", "events": ["action", "message", "presence", "typing", "notification"]}),
    )
    .await;
    hub_common::send_json(&mut seed, &json!({"type": "ping"})).await;
    hub_common::next_of_type(&mut seed, "pong").await;

    // Not for alice: a note to carol, bob's public post, a note carol sends bob.
    let to_carol = note(&hub, "bob", BOB, "carol", "just for carol").await;
    let public = json!({"type": "Note", "content": "hello world",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(
        post_to_outbox(&hub.base, "bob", BOB, &public).await.status,
        201
    );
    note(&hub, "carol", CAROL, "bob", "hi bob").await;
    // For alice.
    let to_alice = note(&hub, "bob", BOB, "alice", "just for alice").await;

    let frame = shell.frame().await;
    assert_eq!(frame["data"]["actionId"], to_alice.as_str(), "{frame}");
    ping(&mut shell, "p1").await;
    // The seed session got the same action (and its `message` notification), nothing else.
    let mut seed_actions = Vec::new();
    loop {
        let m = hub_common::next_json(&mut seed).await;
        match m["type"].as_str() {
            Some("action") => seed_actions.push(m["action_id"].as_str().unwrap().to_owned()),
            Some("message") => {
                assert_eq!(m["message_id"], to_alice.as_str());
                break;
            }
            Some("presence") => {}
            _ => panic!("{m}"),
        }
    }
    assert_eq!(seed_actions, vec![to_alice.clone()]);
    // carol's shell got the note to her and her own note (the sender's sessions get it).
    let first = carol.frame().await;
    assert_eq!(first["data"]["actionId"], to_carol.as_str());
    let second = carol.frame().await;
    assert_eq!(second["data"]["issuer"]["idTag"], "carol");
    ping(&mut carol, "p1").await;
    hub.stop().await;
}

#[tokio::test]
async fn a_hub_restart_is_followed_by_the_shells_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let hub = TestHub::start_on(config(), listener).await;
    let mut shell = Shell::new(&hub.ws_base, ALICE_CL);
    assert!(shell.open().await);
    ping(&mut shell, "p1").await;

    let stopping = tokio::spawn(hub.stop());
    // Going away (1001) is not a code the shell gives up on.
    assert_eq!(shell.next().await, Seen::Closed(1001));
    stopping.await.unwrap();
    let delay = shell
        .backoff(1001)
        .expect("the shell reconnects after 1001");
    assert_eq!(delay, Duration::from_secs(1));
    tokio::time::sleep(delay).await;
    // The hub is still down: the attempt fails (onclose 1006), the next waits 2 s.
    assert!(!shell.open().await);
    let delay = shell.backoff(1006).unwrap();
    assert_eq!(delay, Duration::from_secs(2));
    let waited = Instant::now();
    let listener = TcpListener::bind(address)
        .await
        .expect("the port is free again");
    let hub = TestHub::start_on(config(), listener).await;
    tokio::time::sleep(delay.saturating_sub(waited.elapsed())).await;
    assert!(shell.open().await, "the restarted hub takes the reconnect");
    assert_eq!(shell.attempt, 0);
    ping(&mut shell, "p2").await;
    let id = note(&hub, "bob", BOB, "alice", "welcome back").await;
    assert_eq!(shell.frame().await["data"]["actionId"], id.as_str());
    hub.stop().await;
}

#[tokio::test]
async fn a_bad_token_is_close_4401_alone_and_the_shell_gives_up() {
    let hub = TestHub::start_with(config()).await;
    let mut shell = Shell::new(&hub.ws_base, "not-a-token");
    assert!(
        shell.open().await,
        "the upgrade succeeds; the close says why"
    );
    assert_eq!(shell.next().await, Seen::Closed(4401));
    assert_eq!(shell.backoff(4401), None);
    hub.stop().await;
}

#[tokio::test]
async fn the_dialect_query_parameter_overrides_the_default() {
    // On a hub whose default is this project's dialect, `dialect=cloudillo` chooses Cloudillo's.
    let hub = TestHub::start().await;
    let mut shell = Shell::new(&hub.ws_base, ALICE);
    shell.url.push_str("&dialect=cloudillo");
    assert!(shell.open().await);
    ping(&mut shell, "p1").await;
    // A seed client on the same hub is unchanged: welcome first.
    let mut seed = hub_common::bus(&hub, BOB, &["action"]).await;
    hub_common::send_json(&mut seed, &json!({"type": "ping"})).await;
    assert_eq!(hub_common::next_json(&mut seed).await["type"], "pong");
    // An unknown dialect: close 4400, no frame.
    let mut shell = Shell::new(&hub.ws_base, ALICE);
    shell.url.push_str("&dialect=klingon");
    assert!(shell.open().await);
    assert_eq!(shell.next().await, Seen::Closed(4400));
    hub.stop().await;

    // On a Cloudillo-default hub, `dialect=seed` gets this project's dialect.
    let hub = TestHub::start_with(config()).await;
    let url = format!("{}/ws/bus?token={BOB}&dialect=seed", hub.ws_base);
    let mut seed = hub_common::ws_connect(&url, None).await;
    let welcome = hub_common::next_json(&mut seed).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["user"], "bob");
    hub.stop().await;
}

#[tokio::test]
async fn a_silent_shell_is_still_connected_after_100_seconds() {
    // The defaults: a Ping every 30 s, closed after 90 s without any frame.
    let hub = TestHub::start_with(config()).await;
    let mut shell = Shell::new(&hub.ws_base, ALICE_CL);
    assert!(shell.open().await);
    // The shell sends nothing; its WebSocket answers the Pings.
    let quiet = shell.next_within(Duration::from_secs(100)).await;
    assert_eq!(quiet, None, "nothing but Pings in 100 s");
    assert!(shell.pings >= 3, "{} Pings in 100 s", shell.pings);
    ping(&mut shell, "p1").await;
    let id = note(&hub, "bob", BOB, "alice", "still there?").await;
    assert_eq!(shell.frame().await["data"]["actionId"], id.as_str());
    hub.stop().await;
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_closed_4408() {
    // Scaled down: a Ping every 200 ms, closed after 1 s without any frame.
    let mut config = config();
    config.bus.session.ping_interval = Some(Duration::from_millis(200));
    config.bus.session.silence_timeout = Some(Duration::from_secs(1));
    let hub = TestHub::start_with(config).await;
    // A live one reads (and so answers the Pings) through five silence timeouts, while a dead
    // one completes the upgrade, then never writes again (no Pong): it is sent Pings, then
    // close 4408 once the timeout has passed, then the connection ends.
    let mut live = Shell::new(&hub.ws_base, BOB);
    assert!(live.open().await);
    let address = hub.base.trim_start_matches("http://");
    let head = format!(
        "GET /ws/bus?token={} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        encode_uri_component(ALICE_CL)
    );
    let started = Instant::now();
    let dead = hub_common::raw_exchange(address, &head, b"", Duration::from_secs(10));
    let ((answer, ended), quiet) = tokio::join!(dead, live.next_within(Duration::from_secs(5)));
    assert_eq!(quiet, None, "the live one is not closed");
    assert!(live.pings >= 10, "{}", live.pings);
    assert!(ended, "the hub ended the dead connection");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(hub_common::raw_status(&answer), Some(101));
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let frames = server_frames(&answer[split..]);
    let (close, pings) = frames.split_last().expect("frames");
    assert!(pings.len() >= 3, "{frames:?}");
    assert!(
        pings
            .iter()
            .all(|(opcode, payload)| *opcode == 0x9 && payload.is_empty())
    );
    assert_eq!(close.0, 0x8, "{frames:?}");
    assert_eq!(close.1.get(..2), Some(&4408u16.to_be_bytes()[..]));
    ping(&mut live, "p1").await;
    hub.stop().await;
}

/// The (opcode, payload) of each unmasked, unfragmented server frame with a short payload (as
/// Pings and closes are) in `bytes`.
fn server_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while let [first, second, rest @ ..] = bytes {
        assert_eq!(first & 0xF0, 0x80, "FIN set, no RSV bits");
        assert!(*second < 126, "no mask, a short payload");
        let len = usize::from(*second);
        frames.push((first & 0x0F, rest[..len].to_vec()));
        bytes = &rest[len..];
    }
    frames
}
