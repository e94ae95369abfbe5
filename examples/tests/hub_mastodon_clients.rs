//! Real Mastodon client libraries against the hub, unmodified, each through its own discovery:
//! megalodon and masto (npm, `examples/tests/node/`, installed by
//! `scripts/setup/node-peers.sh`), Mastodon.py over SSE and over WebSocket and the
//! websockets library (PyPI, the `mastodon-clients` venv of `scripts/venvs/`), and Node's `ws`
//! for the subprotocol handshake. Every hub already holds posts in the streamed feeds when the
//! client connects (Mastodon.py used to abort on such a stream), and the client must receive
//! an `update` for a note posted after it said it was ready, with its content sanitised.
//!
//! The scripts print `ready …`, `update {json}` and `error …` lines (see
//! `examples/tests/node/common.mjs`). Missing Node packages or venv: the test is skipped with
//! a notice, and fails under `FEDI_TEST_STRICT` (set by `scripts/test`).

mod hub_common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hub_common::{ALICE, BOB, TestHub, post_to_outbox};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// How long a client may take to start, discover the hub and connect.
const START_PATIENCE: Duration = Duration::from_secs(60);
/// Notes posted after `ready`, one per wait, before the test gives up.
const POSTS: usize = 40;
const BETWEEN_POSTS: Duration = Duration::from_millis(750);

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

fn skip(reason: &str) {
    assert!(
        std::env::var_os("FEDI_TEST_STRICT").is_none(),
        "{reason}: run scripts/test (it installs the client libraries)"
    );
    eprintln!("skipping: {reason}");
}

/// The Node.js client directory, when `node` runs and its packages are installed.
fn node_clients() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let installed = ["megalodon", "masto", "ws"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).is_dir());
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if installed && node {
        return Some(dir);
    }
    skip(
        "Node.js or the npm packages of examples/tests/node are missing (scripts/setup/node-peers.sh)",
    );
    None
}

/// The venv interpreter with Mastodon.py and websockets.
fn python() -> Option<PathBuf> {
    let python = root().join(".venvs/mastodon-clients/bin/python");
    if python.exists() {
        return Some(python);
    }
    skip("the mastodon-clients venv is missing (scripts/venv mastodon-clients)");
    None
}

/// A client process and the lines it prints; killed on drop.
struct Peer {
    name: String,
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Peer {
    fn spawn(name: &str, mut command: Command, hub: &TestHub, token: &str) -> Peer {
        command
            .env("HUB_BASE", &hub.base)
            .env("HUB_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_str(&text);
        });
        Peer {
            name: name.to_owned(),
            child,
            lines,
            stderr,
        }
    }

    /// What the process wrote to standard error so far.
    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The next line, if one comes within `wait`. Panics on an `error` line or an early exit.
    async fn line_within(&mut self, wait: Duration) -> Option<(String, Value)> {
        let line = match tokio::time::timeout(wait, self.lines.recv()).await {
            Err(_) => return None,
            Ok(Some(line)) => line,
            Ok(None) => {
                let _ = self.child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "{} exited without an update; stderr:\n{}",
                    self.name,
                    self.stderr()
                );
            }
        };
        let (kind, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        assert_ne!(
            kind,
            "error",
            "{} reported: {rest}\nstderr:\n{}",
            self.name,
            self.stderr()
        );
        let value = serde_json::from_str(rest).unwrap_or_else(|_| Value::String(rest.to_owned()));
        Some((kind.to_owned(), value))
    }

    /// Waits for the `ready` line and returns what it carries.
    async fn ready(&mut self) -> Value {
        match self.line_within(START_PATIENCE).await {
            Some((kind, value)) if kind == "ready" => value,
            Some((kind, value)) => panic!("{}: expected ready, got {kind} {value}", self.name),
            None => panic!(
                "{} was not ready within {START_PATIENCE:?}; stderr:\n{}",
                self.name,
                self.stderr()
            ),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn actor(hub: &TestHub, name: &str) -> String {
    format!("{}/users/{name}", hub.base)
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Fills the streamed feeds before any client connects: direct notes to alice (her `user`
/// stream) and public notes (the public streams).
async fn prefill(hub: &TestHub) {
    for n in 0..3 {
        let note = json!({"type": "Note", "content": format!("<p>earlier {n}</p>"), "to": [actor(hub, "alice")]});
        assert_eq!(
            post_to_outbox(&hub.base, "bob", BOB, &note).await.status,
            201
        );
    }
    for (author, token) in [("bob", BOB), ("alice", ALICE)] {
        let note = json!({"type": "Note", "content": "<p>earlier, public</p>", "to": [PUBLIC]});
        assert_eq!(
            post_to_outbox(&hub.base, author, token, &note).await.status,
            201
        );
    }
}

/// Posts notes from bob to alice (hostile markup included) until `peer` reports an update,
/// and returns it after checking that it is one of them, sanitised as Mastodon would.
async fn update_after_ready(hub: &TestHub, peer: &mut Peer) -> Value {
    let mut expected = Vec::new();
    for n in 0..POSTS {
        let content = format!(
            r#"<p>after ready {n}: <strong>kept</strong><script>alert(1)</script><img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a></p>"#
        );
        let note = json!({"type": "Note", "content": content, "to": [actor(hub, "alice")]});
        assert_eq!(
            post_to_outbox(&hub.base, "bob", BOB, &note).await.status,
            201
        );
        expected.push(format!(
            r#"<p>after ready {n}: <strong>kept</strong> <a target="_blank" rel="nofollow noopener">x</a></p>"#
        ));
        if let Some((kind, update)) = peer.line_within(BETWEEN_POSTS).await {
            assert_eq!(kind, "update", "{}: {update}", peer.name);
            let content = update["content"].as_str().expect("content is a string");
            assert!(
                expected.iter().any(|e| e == content),
                "{}: {content:?} is none of the notes posted after ready",
                peer.name
            );
            assert_eq!(update["acct"], "bob", "{update}");
            assert!(update["id"].is_string(), "ids are strings: {update}");
            return update;
        }
    }
    panic!(
        "{} received no update for {POSTS} notes; stderr:\n{}",
        peer.name,
        peer.stderr()
    );
}

fn node(dir: &Path, script: &str) -> Command {
    let mut command = Command::new("node");
    command.arg(dir.join(script)).current_dir(dir);
    command
}

fn python_mode(python: &Path, mode: &str) -> Command {
    let mut command = Command::new(python);
    command.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/mastodon_clients.py"));
    command.arg(mode);
    command
}

#[tokio::test]
async fn megalodon_discovers_the_stream_through_instance_v1() {
    let Some(dir) = node_clients() else { return };
    let hub = TestHub::start().await;
    prefill(&hub).await;
    let mut peer = Peer::spawn("megalodon", node(&dir, "megalodon_user.mjs"), &hub, ALICE);
    peer.ready().await;
    let update = update_after_ready(&hub, &mut peer).await;
    assert_eq!(update["visibility"], "direct");
    assert_eq!(update["valid_date"], true, "{update}");
    hub.stop().await;
}

#[tokio::test]
async fn masto_discovers_the_stream_through_instance_v2_with_the_token_as_subprotocol() {
    let Some(dir) = node_clients() else { return };
    let hub = TestHub::start().await;
    prefill(&hub).await;
    let mut peer = Peer::spawn("masto", node(&dir, "masto_user.mjs"), &hub, ALICE);
    let ready = peer.ready().await;
    assert_eq!(
        ready["protocol"], ALICE,
        "the 101 selects the offered token"
    );
    assert_eq!(ready["streaming"], hub.ws_base);
    assert_eq!(ready["me"], "alice");
    let update = update_after_ready(&hub, &mut peer).await;
    assert_eq!(update["stream"], json!(["user"]));
    assert_eq!(update["valid_date"], true, "{update}");
    hub.stop().await;
}

#[tokio::test]
async fn node_ws_gets_exactly_one_offered_subprotocol() {
    let Some(dir) = node_clients() else { return };
    let hub = TestHub::start().await;
    prefill(&hub).await;
    let mut peer = Peer::spawn("ws", node(&dir, "ws_subprotocol.mjs"), &hub, ALICE);
    let ready = peer.ready().await;
    assert_eq!(
        ready,
        json!({"alone": ALICE, "second": ALICE, "query": "x-first"}),
        "the value that carried the token, else the first offered"
    );
    let update = update_after_ready(&hub, &mut peer).await;
    assert_eq!(update["stream"], json!(["user"]));
    hub.stop().await;
}

#[tokio::test]
async fn mastodon_py_stream_user_over_sse_on_a_hub_with_history() {
    let Some(python) = python() else { return };
    let hub = TestHub::start().await;
    prefill(&hub).await;
    let mut peer = Peer::spawn(
        "Mastodon.py (SSE)",
        python_mode(&python, "mastodon-sse"),
        &hub,
        ALICE,
    );
    let ready = peer.ready().await;
    assert_eq!(
        ready,
        json!({"transport": "sse", "healthy": true, "me": "alice"})
    );
    let update = update_after_ready(&hub, &mut peer).await;
    assert_eq!(
        update["valid_date"], true,
        "Mastodon.py parsed the date: {update}"
    );
    assert_eq!(update["visibility"], "direct");
    hub.stop().await;
}

#[tokio::test]
async fn mastodon_py_streams_over_its_websocket_transport() {
    let Some(python) = python() else { return };
    let hub = TestHub::start().await;
    prefill(&hub).await;
    let mut peer = Peer::spawn(
        "Mastodon.py (WebSocket)",
        python_mode(&python, "mastodon-ws"),
        &hub,
        ALICE,
    );
    let ready = peer.ready().await;
    assert_eq!(ready["transport"], "websocket");
    let update = update_after_ready(&hub, &mut peer).await;
    assert_eq!(update["valid_date"], true, "{update}");
    hub.stop().await;
}

#[tokio::test]
async fn python_websockets_gets_the_subprotocol_that_carried_the_token() {
    let Some(python) = python() else { return };
    let hub = TestHub::start().await;
    prefill(&hub).await;
    let mut peer = Peer::spawn(
        "websockets",
        python_mode(&python, "websockets"),
        &hub,
        ALICE,
    );
    let ready = peer.ready().await;
    assert_eq!(ready, json!({"subprotocol": ALICE}));
    let update = update_after_ready(&hub, &mut peer).await;
    assert_eq!(update["stream"], json!(["user"]));
    hub.stop().await;
}
