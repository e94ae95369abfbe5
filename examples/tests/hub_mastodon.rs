//! The Mastodon-compatible streaming endpoint: SSE `GET /api/v1/streaming/user` and the
//! multiplexed WebSocket `/api/v1/streaming`, as a Mastodon client uses them.

mod hub_common;

use futures::SinkExt;
use hub_common::{ALICE, BOB, TestHub, event_stream, get, next_json, post_to_outbox, ws_connect};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn note(hub: &TestHub, to: &str, text: &str) -> Value {
    let to = if to == "public" {
        "https://www.w3.org/ns/activitystreams#Public".to_owned()
    } else {
        format!("{}/users/{to}", hub.base)
    };
    json!({"type": "Note", "content": text, "to": [to]})
}

#[tokio::test]
async fn the_user_stream_over_sse_carries_statuses() {
    let hub = TestHub::start().await;
    assert_eq!(
        get(&format!("{}/api/v1/streaming/health", hub.base), None)
            .await
            .status,
        200
    );
    let mut stream =
        event_stream(&format!("{}/api/v1/streaming/user", hub.base), ALICE, None).await;
    post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "alice", "hi alice")).await;
    let update = stream.next().await;
    assert_eq!(update.event_type(), "update");
    let status: Value = serde_json::from_str(update.data()).unwrap();
    assert_eq!(status["content"], "hi alice");
    assert_eq!(status["account"]["username"], "bob");
    assert_eq!(status["visibility"], "direct");
    assert!(status["uri"].as_str().unwrap().starts_with(&hub.base));
    hub.stop().await;
}

#[tokio::test]
async fn the_websocket_multiplexes_subscribed_streams() {
    let hub = TestHub::start().await;
    let mut socket = ws_connect(
        &format!(
            "{}/api/v1/streaming?access_token={ALICE}&stream=public",
            hub.ws_base
        ),
        None,
    )
    .await;
    post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "public", "hello world")).await;
    let frame = next_json(&mut socket).await;
    assert_eq!(frame["stream"], json!(["public"]), "{frame}");
    assert_eq!(frame["event"], "update");
    // The payload is the status "cast to a string".
    let status: Value = serde_json::from_str(frame["payload"].as_str().unwrap()).unwrap();
    assert_eq!(status["content"], "hello world");
    assert_eq!(status["visibility"], "public");

    let subscribe = json!({"type": "subscribe", "stream": "user"});
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    // Commands are handled in order: the error for this one shows `user` is subscribed.
    let unknown = json!({"type": "subscribe", "stream": "bogus"});
    socket
        .send(Message::text(unknown.to_string()))
        .await
        .unwrap();
    let error = next_json(&mut socket).await;
    assert_eq!(
        error,
        json!({"error": "Unknown stream type", "status": 400})
    );

    post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "alice", "just for you")).await;
    let frame = next_json(&mut socket).await;
    assert_eq!(frame["stream"], json!(["user"]), "{frame}");

    let unkept = json!({"type": "subscribe", "stream": "hashtag", "tag": "rust"});
    socket
        .send(Message::text(unkept.to_string()))
        .await
        .unwrap();
    let error = next_json(&mut socket).await;
    assert_eq!(error["status"], 404, "{error}");
    hub.stop().await;
}

#[tokio::test]
async fn streaming_needs_a_token() {
    let hub = TestHub::start().await;
    let reply = get(&format!("{}/api/v1/streaming/user", hub.base), None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json(), json!({"error": "Missing access token"}));
    let unknown = get(&format!("{}/api/v1/streaming/bogus", hub.base), Some(ALICE)).await;
    assert_eq!(unknown.status, 400);
    hub.stop().await;
}
