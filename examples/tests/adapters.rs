//! The runtime-adapter example programs (`examples/examples/`), run as a user runs them,
//! against a hub on loopback.

mod hub_common;

use std::path::PathBuf;
use std::process::Stdio;

use fedi_examples::hub::Storage;
use hub_common::{ALICE, BOB, PATIENCE, TestHub, post_to_outbox};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Builds the example `name` of this package (a no-op when it is up to date) and returns the
/// path of its executable.
fn example(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--manifest-path",
            manifest,
            "--example",
            name,
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "the example {name} builds");
    // Tests run from `target/<profile>/deps`; examples are built into `target/<profile>/examples`.
    let deps = std::env::current_exe().expect("the test's path");
    let profile = deps
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

/// A running example whose stdout is read line by line.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = Command::new(example(name))
            .args(args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().expect("piped stdout");
        Running {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .expect("the example prints within the patience")
            .expect("read its output")
            .expect("the example prints another line")
    }

    async fn succeeds(mut self) {
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the example exits within the patience")
            .expect("wait for the example");
        assert!(status.success(), "the example exits with {status}");
    }
}

/// One `ID<TAB>TYPE<TAB>DATA` line of the SSE examples.
fn fields(line: &str) -> (&str, &str, Value) {
    let mut parts = line.splitn(3, '\t');
    let (Some(id), Some(kind), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("not an ID<TAB>TYPE<TAB>DATA line: {line:?}");
    };
    (id, kind, serde_json::from_str(data).expect("JSON data"))
}

/// bob posts a note with `content` to alice on the hub at `base`; returns the activity.
async fn note_to_alice(base: &str, content: &str) -> Value {
    let note = json!({"type": "Note", "content": content, "to": [format!("{base}/users/alice")]});
    let reply = post_to_outbox(base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201);
    reply.json()
}

/// A hub keeping its state in `data`, listening on `port` (0: any).
async fn hub_on(data: &std::path::Path, port: u16) -> TestHub {
    let mut config = hub_common::config();
    config.storage = Storage::Directory(data.to_owned());
    config.public_url = (port != 0).then(|| format!("http://127.0.0.1:{port}"));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    TestHub::start_on(config, listener).await
}

/// A directory for the test `name`'s data (removed by the test), and its data path.
fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("adapters-{name}-{}", std::process::id()));
    let data = dir.join("data");
    (dir, data)
}

/// A hub on any port keeping its state in `data`, and the port: `hub_on(data, port)` starts
/// it again where clients reach it.
async fn restartable_hub(data: &std::path::Path) -> (TestHub, u16) {
    let hub = hub_on(data, 0).await;
    let port = hub
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    (hub, port)
}

#[tokio::test]
async fn framed_read_with_the_sse_codec_follows_an_inbox() {
    let hub = TestHub::start().await;
    let inbox = format!("{}/users/alice/inbox", hub.base);
    let mut reader = Running::start("sse_framed_read", &[&inbox, ALICE, "2"]);

    // A new stream opens with its position: from then on, what reaches alice is on it.
    let opening = reader.line().await;
    let (_, kind, status) = fields(&opening);
    assert_eq!((kind, &status["type"]), ("meta", &json!("position")));

    let posted = note_to_alice(&hub.base, "framed").await;
    let delivered = reader.line().await;
    let (id, kind, activity) = fields(&delivered);
    assert_eq!(kind, "inbox");
    assert!(!id.is_empty(), "every inbox event carries its id");
    assert_eq!(activity["id"], posted["id"]);
    assert_eq!(activity["object"]["content"], "framed");
    reader.succeeds().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reqwest_client_resumes_after_the_server_restarts() {
    let (dir, data) = scratch("reqwest");
    let (hub, port) = restartable_hub(&data).await;
    let inbox = format!("{}/users/alice/inbox", hub.base);
    let mut client = Running::start("sse_reqwest_client", &[&inbox, ALICE, "3"]);
    assert_eq!(client.line().await, "opened");

    let first = note_to_alice(&hub.base, "before the restart").await;
    let line = client.line().await;
    let (first_id, kind, activity) = fields(&line);
    assert_eq!((kind, &activity["id"]), ("inbox", &first["id"]));
    let first_id = first_id.to_owned();

    // The server goes away; what reaches alice meanwhile is stored by the next instance.
    hub.stop().await;
    assert_eq!(client.line().await, "reconnecting");
    let hub = hub_on(&data, port).await;
    let missed = note_to_alice(&hub.base, "while reconnecting").await;
    let live = loop {
        let line = client.line().await;
        if line == "opened" {
            break note_to_alice(&hub.base, "after the restart").await;
        }
        assert_eq!(
            line, "reconnecting",
            "only reconnect attempts until it opens"
        );
    };

    // Resumed from the last id it saw: the missed note, then the live one, nothing twice.
    let mut items = Vec::new();
    for _ in 0..2 {
        let line = client.line().await;
        let (id, kind, activity) = fields(&line);
        assert_eq!(kind, "inbox");
        assert_ne!(
            id, first_id,
            "the item from before the restart is not delivered again"
        );
        items.push(activity["id"].clone());
    }
    assert_eq!(items, [missed["id"].clone(), live["id"].clone()]);
    client.succeeds().await;
    hub.stop().await;
    std::fs::remove_dir_all(dir).expect("remove the data");
}

#[tokio::test]
async fn an_axum_outbox_on_a_shared_feed_streams_and_resumes() {
    let mut server = Running::start("axum_sse_outbox", &["127.0.0.1:0"]);
    let listening = server.line().await;
    let base = listening
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the first line names the URL: {listening:?}"));
    let outbox = format!("{base}/outbox");
    let post = |content: &'static str| {
        let outbox = outbox.clone();
        async move {
            let activity =
                json!({"type": "Create", "object": {"type": "Note", "content": content}});
            let reply = hub_common::request("POST", &outbox, &[], activity.to_string()).await;
            assert_eq!(reply.status, 201);
            String::from_utf8(reply.body.to_vec()).expect("the item id")
        }
    };

    // A new subscriber gets the position first (checked by `event_stream`), then live items.
    let mut live = hub_common::event_stream(&outbox, "", None).await;
    let first = post("one").await;
    let second = post("two").await;
    for (id, content) in [(&first, "one"), (&second, "two")] {
        let event = live.next().await;
        assert_eq!(
            (event.event_type(), event.last_event_id()),
            ("outbox", id.as_str())
        );
        let activity: Value = serde_json::from_str(event.data()).expect("JSON");
        assert_eq!(activity["object"]["content"], content);
    }

    // A client that saw only the first resumes after it: the second, then live ones.
    let mut resumed = hub_common::event_stream(&outbox, "", Some(&first)).await;
    let third = post("three").await;
    let ids: Vec<String> = [resumed.next().await, resumed.next().await]
        .iter()
        .map(|event| event.last_event_id().to_owned())
        .collect();
    assert_eq!(ids, [second, third]);
    drop(server);
}

/// The next line of the Bus example that is not `disconnected` (reconnect attempts).
async fn after_reconnects(client: &mut Running) -> String {
    loop {
        let line = client.line().await;
        if line != "disconnected" {
            return line;
        }
    }
}

/// Reads the Bus example up to its `pong`: from then on its subscription is in place.
async fn bus_subscribed(client: &mut Running) {
    assert_eq!(after_reconnects(client).await, "connected\talice");
    let line = client.line().await;
    let pong: Value = line
        .strip_prefix("message\t")
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("a message line: {line:?}"));
    assert_eq!(pong["type"], "pong");
}

/// The content of the action on a Bus example's `action<TAB>JSON` line.
fn action_content(line: &str) -> Value {
    let action: Value = line
        .strip_prefix("action\t")
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("an action line: {line:?}"));
    assert_eq!(action["type"], "action");
    action["content"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bus_client_reconnects_after_the_server_restarts() {
    let (dir, data) = scratch("bus");
    let (hub, port) = restartable_hub(&data).await;
    let url = format!("{}/ws/bus", hub.ws_base);
    let mut client = Running::start("bus_client", &[&url, ALICE, "2"]);
    bus_subscribed(&mut client).await;
    note_to_alice(&hub.base, "before the restart").await;
    assert_eq!(
        action_content(&client.line().await),
        json!("before the restart")
    );

    // The server goes away and comes back on the same port: the client reconnects on its
    // own, subscribes again, and gets what reaches alice from then on.
    hub.stop().await;
    assert_eq!(client.line().await, "disconnected");
    let hub = hub_on(&data, port).await;
    bus_subscribed(&mut client).await;
    note_to_alice(&hub.base, "after the restart").await;
    assert_eq!(
        action_content(&client.line().await),
        json!("after the restart")
    );
    // After COUNT actions it stops: a clean close, and the process exits with success.
    client.succeeds().await;
    hub.stop().await;
    std::fs::remove_dir_all(dir).expect("remove the data");
}

#[tokio::test]
async fn the_versia_client_delivers_a_signed_entity_and_prints_the_ack() {
    let peer_key = versia_ws::PrivateKey::from_seed(&[7; 32]);
    let mut config = hub_common::config();
    hub_common::trust_versia_peer(&mut config, "hub.test", "peer.test", &peer_key);
    let hub = TestHub::start_with(config).await;
    let metadata = hub_common::get(&format!("{}/.well-known/versia", hub.base), None)
        .await
        .json();
    let hub_key = metadata["public_key"]["key"]
        .as_str()
        .expect("the hub's key");
    let note = json!({
        "id": "adapter-note",
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": "carol",
        "content": {"text/plain": {"content": "over the versia client"}},
        "group": null,
        "mentions": ["hub.test:alice"],
    })
    .to_string();
    let mut client = Running::start(
        "versia_client",
        &[
            &hub.ws_base,
            "hub.test",
            hub_key,
            "peer.test",
            &peer_key.to_pkcs8_base64(),
            &note,
        ],
    );
    assert_eq!(client.line().await, "ack\tadapter-note");
    assert_eq!(client.line().await, "closed\t1000");
    client.succeeds().await;
    hub.stop().await;
}
