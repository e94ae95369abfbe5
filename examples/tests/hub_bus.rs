//! The Bus at `/ws/bus` end to end: a real hub on a loopback port, real WebSocket clients.

mod hub_common;

use futures::SinkExt;
use hub_common::{
    ALICE, BOB, Received, TestHub, bus, get, next, next_json, next_of_type, post_to_outbox,
    send_json, ws_connect,
};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// The error frame, then the close frame with `code`.
async fn expect_error_then_close(
    socket: &mut hub_common::Socket,
    error_code: &str,
    close_code: u16,
) {
    let error = next_json(socket).await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["code"], error_code, "{error}");
    match next(socket).await {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), close_code),
        other => panic!("expected close {close_code}, got {other:?}"),
    }
}

#[tokio::test]
async fn welcome_names_the_user_for_query_and_header_tokens() {
    let hub = TestHub::start().await;
    let mut by_query = ws_connect(&format!("{}/ws/bus?token={ALICE}", hub.ws_base), None).await;
    let welcome = next_json(&mut by_query).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["user"], "alice");
    assert!(welcome["session_id"].as_str().unwrap().starts_with("sess_"));
    assert!(welcome["timestamp"].as_i64().unwrap() > 1_700_000_000);

    let mut by_header = ws_connect(&format!("{}/ws/bus", hub.ws_base), Some(BOB)).await;
    let welcome = next_json(&mut by_header).await;
    assert_eq!(welcome["user"], "bob");

    send_json(&mut by_header, &json!({"type": "ping"})).await;
    let pong = next_json(&mut by_header).await;
    assert_eq!(pong["type"], "pong");
    hub.stop().await;
}

#[tokio::test]
async fn bad_or_missing_tokens_get_e_ws_auth_and_close_4401() {
    let hub = TestHub::start().await;
    for url in [
        format!("{}/ws/bus?token=not-a-token", hub.ws_base),
        format!("{}/ws/bus", hub.ws_base),
    ] {
        let mut socket = ws_connect(&url, None).await;
        expect_error_then_close(&mut socket, "E-WS-AUTH", 4401).await;
    }
    // A wrong header token is refused even when the query names a valid one: the header wins.
    let mut socket = ws_connect(
        &format!("{}/ws/bus?token={ALICE}", hub.ws_base),
        Some("nope"),
    )
    .await;
    expect_error_then_close(&mut socket, "E-WS-AUTH", 4401).await;
    hub.stop().await;
}

#[tokio::test]
async fn plain_http_on_the_bus_path_is_told_to_upgrade() {
    let hub = TestHub::start().await;
    let reply = get(&format!("{}/ws/bus?token={ALICE}", hub.base), None).await;
    assert_eq!(reply.status, 426);
    assert_eq!(reply.header("upgrade"), Some("websocket"));
    hub.stop().await;
}

#[tokio::test]
async fn the_21st_message_of_a_burst_gets_e_ws_rate() {
    let hub = TestHub::start().await;
    let mut socket = ws_connect(&format!("{}/ws/bus?token={ALICE}", hub.ws_base), None).await;
    next_of_type(&mut socket, "welcome").await;
    // The seed: 100 per minute with bursts of 20. Send 21 at once.
    for _ in 0..21 {
        socket
            .feed(Message::text(r#"{"type":"ping"}"#))
            .await
            .unwrap();
    }
    socket.flush().await.unwrap();
    let mut pongs = 0;
    loop {
        let frame = next_json(&mut socket).await;
        match frame["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => {
                assert_eq!(frame["code"], "E-WS-RATE", "{frame}");
                assert!(
                    frame["message"].as_str().unwrap().contains("rate limit"),
                    "{frame}"
                );
                break;
            }
            _ => panic!("unexpected {frame}"),
        }
    }
    assert_eq!(pongs, 20);
    hub.stop().await;
}

#[tokio::test]
async fn invalid_frames_get_e_ws_invalid_and_the_session_stays_open() {
    let hub = TestHub::start().await;
    let mut socket = bus(&hub, ALICE, &[]).await;
    for bad in [r#"{"type":"shout"}"#, "not json", r#"{"type":"typing"}"#] {
        socket.send(Message::text(bad)).await.unwrap();
        let error = next_json(&mut socket).await;
        assert_eq!(error["code"], "E-WS-INVALID", "{bad}: {error}");
    }
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(next_json(&mut socket).await["code"], "E-WS-INVALID");
    send_json(&mut socket, &json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    hub.stop().await;
}

#[tokio::test]
async fn presence_and_typing_reach_the_other_user() {
    let hub = TestHub::start().await;
    let mut alice = bus(&hub, ALICE, &["presence", "typing"]).await;

    let mut bob = bus(&hub, BOB, &["presence", "typing"]).await;
    let online = next_of_type(&mut alice, "presence").await;
    assert_eq!(online["user"], "bob");
    assert_eq!(online["status"], "online");

    send_json(
        &mut bob,
        &json!({"type": "typing", "recipient": "alice", "conversation_id": "conv_1"}),
    )
    .await;
    let typing = next_of_type(&mut alice, "typing").await;
    assert_eq!(typing["user"], "bob");
    assert_eq!(typing["conversation_id"], "conv_1");

    // Typing to someone who is not on the hub is refused.
    send_json(
        &mut bob,
        &json!({"type": "typing", "recipient": "mallory", "conversation_id": "c"}),
    )
    .await;
    let refused = next_of_type(&mut bob, "error").await;
    assert_eq!(refused["code"], "E-WS-PERMISSION", "{refused}");

    send_json(
        &mut bob,
        &json!({"type": "presence", "status": "busy", "activity": "writing"}),
    )
    .await;
    let busy = next_of_type(&mut alice, "presence").await;
    assert_eq!(busy["status"], "busy");
    assert_eq!(busy["activity"], "writing");

    bob.close(None).await.unwrap();
    let offline = next_of_type(&mut alice, "presence").await;
    assert_eq!(offline["user"], "bob");
    assert_eq!(offline["status"], "offline");
    hub.stop().await;
}

#[tokio::test]
async fn the_per_user_connection_cap_is_reported_then_closed() {
    let mut config = hub_common::config();
    config.bus.max_connections_per_user = 1;
    let hub = TestHub::start_with(config).await;
    let _first = bus(&hub, ALICE, &[]).await;
    let mut second = ws_connect(&format!("{}/ws/bus?token={ALICE}", hub.ws_base), None).await;
    let error = next_json(&mut second).await;
    assert_eq!(error["code"], "E-WS-RATE");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("max_connections_per_user = 1"),
        "{error}"
    );
    match next(&mut second).await {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 1013),
        other => panic!("{other:?}"),
    }
    // bob is not affected by alice's cap.
    let _bob = bus(&hub, BOB, &[]).await;
    hub.stop().await;
}

#[tokio::test]
async fn replay_resends_what_was_published_while_away() {
    let hub = TestHub::start().await;
    let note = json!({"type": "Note", "content": "while you were away",
        "to": [format!("{}/users/alice", hub.base)]});
    assert_eq!(
        post_to_outbox(&hub.base, "bob", BOB, &note).await.status,
        201
    );

    let mut alice = bus(&hub, ALICE, &["action"]).await;
    send_json(&mut alice, &json!({"type": "replay", "since": 0})).await;
    let action = next_of_type(&mut alice, "action").await;
    assert_eq!(action["content"], "while you were away");
    // Only what this user may see, and nothing newer than asked for.
    send_json(&mut alice, &json!({"type": "replay", "since": i64::MAX})).await;
    send_json(&mut alice, &json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut alice).await["type"], "pong");
    hub.stop().await;
}

#[tokio::test]
async fn shutdown_closes_sessions_with_1001() {
    let hub = TestHub::start().await;
    let mut socket = bus(&hub, ALICE, &[]).await;
    let stopping = tokio::spawn(hub.stop());
    match next(&mut socket).await {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("{other:?}"),
    }
    stopping.await.unwrap();
}
