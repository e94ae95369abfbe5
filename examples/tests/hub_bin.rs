//! The `fedi-hub` binary as a user runs it: it prints the accounts, the links to open and
//! command lines to try; those work; Ctrl-C (SIGINT) stops it cleanly with status 0, and so
//! does SIGTERM (what service managers and containers send): streams get a `restart` meta
//! event and WebSockets close 1001 first.

mod hub_common;

use activitystreams_core::http_signatures::{KeyKind, PublicKey};
use hub_common::{BinaryHub, Received, event_stream, get, next, next_json, post_to_outbox};
use serde_json::{Value, json};

#[tokio::test]
async fn the_banner_says_what_to_open_and_try_and_ctrl_c_stops_cleanly() {
    let hub = BinaryHub::start(&["--account", "alice=secret-a", "--account", "bob"]).await;
    let banner = &hub.banner;
    let text = banner.join("\n");

    let base = hub.base.clone();
    assert!(base.starts_with("http://127.0.0.1:"), "{text}");
    assert!(text.contains("alice    secret-a"), "{text}");
    assert!(text.contains(&format!("{base}/#token=secret-a")), "{text}");
    assert!(
        text.contains(&format!(
            "-H 'Authorization: Bearer secret-a' {base}/api/whoami"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{base}/users/alice/outbox")),
        "{text}"
    );
    assert!(text.contains("websocat"), "{text}");
    // bob got a random token, printed on his line.
    let bob_token = banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("bob"))
        .map(str::trim)
        .expect("bob's line")
        .to_owned();
    assert_eq!(bob_token.len(), 32, "{text}");

    // What it says to try works.
    assert_eq!(get(&format!("{base}/"), None).await.status, 200);
    let me = get(&format!("{base}/api/whoami"), Some("secret-a")).await;
    assert_eq!(me.json()["name"], "alice");
    let note = json!({"type": "Note", "content": "hi", "to": [format!("{base}/users/bob")]});
    assert_eq!(
        post_to_outbox(&base, "alice", "secret-a", &note)
            .await
            .status,
        201
    );
    let bobs_inbox = get(
        &format!("{base}/users/bob/inbox?page=true"),
        Some(&bob_token),
    )
    .await;
    assert_eq!(
        bobs_inbox.json()["orderedItems"][0]["object"]["content"],
        "hi"
    );

    hub.signal("INT");
    let status = hub.wait().await;
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn sigterm_stops_cleanly_like_ctrl_c() {
    let hub = BinaryHub::start(&["--account", "alice=secret-a"]).await;
    let base = hub.base.clone();
    let ws_base = base.replacen("http://", "ws://", 1);

    // A live inbox stream and a Bus WebSocket, both open before the signal.
    let mut stream = event_stream(&format!("{base}/users/alice/inbox"), "secret-a", None).await;
    let mut socket =
        hub_common::ws_connect(&format!("{ws_base}/ws/bus?token=secret-a"), None).await;
    assert_eq!(next_json(&mut socket).await["type"], "welcome");

    hub.signal("TERM");

    let meta = loop {
        let event = stream.next().await;
        if event.event_type() == "meta" {
            break event;
        }
    };
    let data: Value = serde_json::from_str(meta.data()).expect("meta data is JSON");
    assert_eq!(data["type"], "restart", "{data}");
    let close = loop {
        match next(&mut socket).await {
            Received::Json(_) => {}
            Received::Closed(frame) => break frame,
        }
    };
    assert_eq!(
        close.map(|frame| u16::from(frame.code)),
        Some(1001),
        "the Bus WebSocket closes with 1001 (going away)"
    );
    let log = hub.log();
    let status = hub.wait().await;
    assert!(status.success(), "exit status {status}\n{log}");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn bus_dialect_cloudillo_serves_cloudillos_client_by_default() {
    let hub =
        BinaryHub::start(&["--account", "alice=secret-a", "--bus-dialect", "cloudillo"]).await;
    let text = hub.banner.join("\n");
    // The banner's seed line names the dialect, as the hub's default is Cloudillo's.
    assert!(
        text.contains("/ws/bus?token=secret-a&dialect=seed'"),
        "{text}"
    );
    assert!(
        text.contains("/ws/bus?token=secret-a'   # Cloudillo's dialect"),
        "{text}"
    );
    let ws_base = hub.base.replacen("http://", "ws://", 1);
    let mut socket =
        hub_common::ws_connect(&format!("{ws_base}/ws/bus?token=secret-a"), None).await;
    hub_common::send_json(&mut socket, &json!({"id": "p1", "cmd": "ping", "data": {}})).await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({"id": "p1", "cmd": "ack", "data": {"status": "pong"}}),
        "no welcome first, the ack"
    );
    hub.signal("INT");
    assert!(hub.wait().await.success());
}

#[tokio::test]
async fn actor_keys_are_rsa_unless_ed25519_is_asked_for() {
    for (args, expected) in [
        (&[][..], KeyKind::Rsa),
        (&["--actor-keys", "ed25519"][..], KeyKind::Ed25519),
    ] {
        let hub = BinaryHub::start(&[&["--account", "alice=secret-a"][..], args].concat()).await;
        let actor = get(&format!("{}/users/alice", hub.base), None).await.json();
        let pem = actor["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            PublicKey::from_pem(pem).map(|key| key.kind()).ok(),
            Some(expected),
            "{actor}"
        );
        hub.signal("INT");
        assert!(hub.wait().await.success());
    }
}

#[test]
fn an_unknown_key_kind_is_refused_with_status_2() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fedi-hub"))
        .args(["--memory", "--actor-keys", "dsa"])
        .output()
        .expect("run fedi-hub");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`dsa` is not a key kind: rsa or ed25519"),
        "{stderr}"
    );
}
