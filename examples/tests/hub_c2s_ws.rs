//! The C2S WebSocket at `/users/{name}/ws` with a real tokio-tungstenite client: inbox pushes
//! with item ids, resume with `?last_event_id=`, outbox posts answered with `accepted`, a
//! delivery status per recipient and `done`, blobs stored and fetched, objects proxied.

mod hub_common;

use std::time::Duration;

use futures::SinkExt;
use hub_common::{
    ALICE, BOB, PATIENCE, Received, Socket, TestHub, get, next, post_to_outbox, ws_connect,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn open(hub: &TestHub, query: &str) -> Socket {
    ws_connect(
        &format!("{}/users/alice/ws?token={ALICE}{query}", hub.ws_base),
        None,
    )
    .await
}

/// The next text envelope of `kind`, skipping others.
async fn next_envelope(socket: &mut Socket, kind: &str) -> Value {
    loop {
        match next(socket).await {
            Received::Json(value) if value["type"] == kind => return value,
            Received::Json(_) => {}
            Received::Closed(frame) => panic!("closed while waiting for {kind}: {frame:?}"),
        }
    }
}

/// The next binary message.
async fn next_binary(socket: &mut Socket) -> Vec<u8> {
    use futures::StreamExt;
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await.unwrap() {
            Some(Ok(Message::Binary(bytes))) => return bytes.to_vec(),
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a binary message, got {other:?}"),
        }
    }
}

fn note(hub: &TestHub, to: &str, text: &str) -> Value {
    json!({"type": "Note", "content": text, "to": [format!("{}/users/{to}", hub.base)]})
}

#[tokio::test]
async fn the_socket_pushes_the_inbox_and_resumes_after_the_last_id() {
    let hub = TestHub::start().await;
    let mut socket = open(&hub, "").await;
    // A new connection first learns its position: the empty inbox's "0".
    let position = next_envelope(&mut socket, "meta").await;
    assert_eq!(
        position,
        json!({"type": "meta", "id": "0", "data": {"type": "position", "lastEventId": "0"}})
    );
    post_to_outbox(
        &hub.base,
        "bob",
        BOB,
        &note(&hub, "alice", "over the socket"),
    )
    .await;
    let pushed = next_envelope(&mut socket, "inbox").await;
    assert_eq!(pushed["data"]["object"]["content"], "over the socket");
    let last = pushed["id"].as_str().expect("an item id").to_owned();
    socket.close(None).await.unwrap();

    for text in ["missed 1", "missed 2"] {
        post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "alice", text)).await;
    }
    let mut resumed = open(&hub, &format!("&last_event_id={last}")).await;
    let first = next_envelope(&mut resumed, "inbox").await;
    let second = next_envelope(&mut resumed, "inbox").await;
    assert_eq!(first["data"]["object"]["content"], "missed 1");
    assert_eq!(second["data"]["object"]["content"], "missed 2");
    hub.stop().await;
}

#[tokio::test]
async fn an_outbox_post_gets_ids_delivery_status_and_done() {
    let hub = TestHub::start().await;
    let mut socket = open(&hub, "").await;
    let post = json!({"type": "outbox", "id": "p1", "data": {
        "type": "Note", "content": "from the socket",
        "to": [format!("{}/users/bob", hub.base), "https://remote.example/users/carol"]}});
    socket.send(Message::text(post.to_string())).await.unwrap();

    let accepted = next_envelope(&mut socket, "accepted").await;
    assert_eq!(accepted["id"], "p1");
    let activity = accepted["data"]["activity"].as_str().unwrap().to_owned();
    assert!(
        activity.starts_with(&format!("{}/objects/", hub.base)),
        "{accepted}"
    );
    assert!(accepted["data"]["object"].is_string(), "{accepted}");

    let mut statuses = Vec::new();
    let done = loop {
        let envelope = next(&mut socket).await;
        let Received::Json(envelope) = envelope else {
            panic!("closed: {envelope:?}")
        };
        match envelope["type"].as_str() {
            Some("delivery") => statuses.push((
                envelope["data"]["recipient"].as_str().unwrap().to_owned(),
                envelope["data"]["status"].as_str().unwrap().to_owned(),
            )),
            Some("done") => break envelope,
            _ => {}
        }
    };
    statuses.sort();
    assert_eq!(
        statuses,
        [
            (format!("{}/users/bob", hub.base), "delivered".to_owned()),
            (
                "https://remote.example/users/carol".to_owned(),
                "failed".to_owned()
            ),
        ]
    );
    assert_eq!(done["data"]["delivered"], 1, "{done}");
    assert_eq!(done["data"]["failed"], 1, "{done}");

    // bob has it.
    let inbox = get(
        &format!("{}/users/bob/inbox?page=true", hub.base),
        Some(BOB),
    )
    .await;
    assert_eq!(inbox.json()["orderedItems"][0]["id"], activity);

    // An invalid post is failed with the HTTP status it would get.
    let bad = json!({"type": "outbox", "id": "p2", "data": {"type": "Like"}});
    socket.send(Message::text(bad.to_string())).await.unwrap();
    let error = next_envelope(&mut socket, "error").await;
    assert_eq!(error["id"], "p2");
    assert_eq!(error["data"]["status"], 400, "{error}");
    hub.stop().await;
}

#[tokio::test]
async fn blobs_are_stored_and_fetched_and_objects_proxied() {
    let hub = TestHub::start().await;
    let mut socket = open(&hub, "").await;

    // store: a binary message, a 4-byte big-endian header length, the header, the blob.
    let header =
        json!({"type": "store", "id": "s1", "data": {"mediaType": "text/plain"}}).to_string();
    let mut message = (header.len() as u32).to_be_bytes().to_vec();
    message.extend_from_slice(header.as_bytes());
    message.extend_from_slice(b"hello blob");
    socket.send(Message::binary(message)).await.unwrap();
    let stored = next_envelope(&mut socket, "stored").await;
    let url = stored["data"]["url"].as_str().expect("a URL").to_owned();
    assert!(url.starts_with(&format!("{}/blobs/", hub.base)), "{stored}");

    // A blob is its owner's until an object of theirs shows it.
    let over_http = get(&url, Some(ALICE)).await;
    assert_eq!(over_http.status, 200);
    assert_eq!(over_http.header("content-type"), Some("text/plain"));
    assert_eq!(&over_http.body[..], b"hello blob");
    assert_eq!(get(&url, None).await.status, 404);
    assert_eq!(get(&url, Some(BOB)).await.status, 404);
    let note = json!({
        "type": "Note", "content": "see attached",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "attachment": [{"type": "Document", "mediaType": "text/plain", "url": url}],
    });
    let posted = post_to_outbox(&hub.base, "alice", ALICE, &note).await;
    assert_eq!(posted.status, 201);
    let public = get(&url, None).await;
    assert_eq!(public.status, 200, "a public note shows it to everyone");
    assert_eq!(&public.body[..], b"hello blob");

    let fetch = json!({"type": "fetch", "id": "f1", "data": url});
    socket.send(Message::text(fetch.to_string())).await.unwrap();
    let fetched = next_binary(&mut socket).await;
    assert!(fetched.ends_with(b"hello blob"));
    let header_len = u32::from_be_bytes(fetched[..4].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&fetched[4..4 + header_len]).unwrap();
    assert_eq!(header["type"], "fetched");
    assert_eq!(header["id"], "f1");

    let proxy = json!({"type": "proxy", "id": "x1", "data": format!("{}/users/bob", hub.base)});
    socket.send(Message::text(proxy.to_string())).await.unwrap();
    let proxied = next_envelope(&mut socket, "proxied").await;
    assert_eq!(proxied["data"]["type"], "Person");
    assert!(proxied["data"].get("endpoints").is_none(), "{proxied}");

    let missing = json!({"type": "fetch", "id": "f2", "data": "https://remote.example/x"});
    socket
        .send(Message::text(missing.to_string()))
        .await
        .unwrap();
    let error = next_envelope(&mut socket, "error").await;
    assert_eq!(error["data"]["status"], 404, "{error}");
    hub.stop().await;
}

#[tokio::test]
async fn only_the_owner_may_open_the_socket() {
    let hub = TestHub::start().await;
    for (token, status) in [(Some(BOB), 403), (None, 401), (Some("wrong"), 401)] {
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        let url = format!("{}/users/alice/ws{query}", hub.ws_base);
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), status);
            }
            other => panic!("expected {status}, got {other:?}"),
        }
    }
    hub.stop().await;
}

#[tokio::test]
async fn shutdown_sends_a_restart_notice_then_closes_with_1001() {
    let hub = TestHub::start().await;
    let mut socket = open(&hub, "").await;
    // A request round trip shows the connection is up before the hub stops.
    let proxy = json!({"type": "proxy", "id": "x", "data": format!("{}/users/bob", hub.base)});
    socket.send(Message::text(proxy.to_string())).await.unwrap();
    next_envelope(&mut socket, "proxied").await;
    let stopping = tokio::spawn(hub.stop());
    let notice = next_envelope(&mut socket, "meta").await;
    assert_eq!(notice["data"]["type"], "restart", "{notice}");
    match tokio::time::timeout(Duration::from_secs(10), next(&mut socket))
        .await
        .unwrap()
    {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("{other:?}"),
    }
    stopping.await.unwrap();
}
