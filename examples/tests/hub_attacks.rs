//! The hub attacked over the wire, as a hostile account or an anonymous client would, beside
//! the legitimate use of the same paths: audiences on every read path, ids that belong to the
//! server, objects only their owners change, recipients and bytes bounded.
//!
//! (Attacks on other surfaces are with their endpoints: `hub_versia.rs` for Versia, and so on.)

mod hub_common;

use std::time::{Duration, Instant};

use fedi_examples::hub::{AccountSeed, Config};
use futures::SinkExt;
use hub_common::{
    ALICE, BOB, Received, Reply, TestHub, event_stream, get, next, post_to_outbox, ws_connect,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// carol's token: a third account, the stranger of these tests.
const CAROL: &str = "carol-token";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn config() -> Config {
    let mut config = hub_common::config();
    config.accounts.push(AccountSeed::new("carol", CAROL));
    config
}

fn actor(hub: &TestHub, name: &str) -> String {
    format!("{}/users/{name}", hub.base)
}

async fn post(hub: &TestHub, author: &str, token: &str, activity: &Value) -> Reply {
    post_to_outbox(&hub.base, author, token, activity).await
}

/// Sends a C2S WebSocket request of `kind` for `id` and returns its answer.
async fn ask(socket: &mut hub_common::Socket, kind: &str, id: &str) -> Value {
    let request = json!({"type": kind, "id": "ask", "data": id});
    socket
        .send(Message::text(request.to_string()))
        .await
        .unwrap();
    loop {
        if let Received::Json(value) = next(socket).await
            && value["id"] == "ask"
        {
            return value;
        }
    }
}

/// alice writes to bob only: (activity id, note id).
async fn direct_message(hub: &TestHub) -> (String, String) {
    let note = json!({"type": "Note", "content": "just for bob", "to": [actor(hub, "bob")]});
    let reply = post(hub, "alice", ALICE, &note).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let created = reply.json();
    (
        created["id"].as_str().unwrap().to_owned(),
        created["object"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_direct_message_is_read_by_its_audience_only() {
    let hub = TestHub::start_with(config()).await;
    let (activity, note) = direct_message(&hub).await;
    for id in [&activity, &note] {
        // Ids are minted by the hub and not guessable.
        let last = id.rsplit('/').next().unwrap();
        assert_eq!(last.len(), 32, "{id}");
        assert!(last.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        for reader in [ALICE, BOB] {
            assert_eq!(get(id, Some(reader)).await.status, 200, "{id}");
        }
        // Strangers and anonymous readers learn nothing, not even that it exists.
        for stranger in [None, Some(CAROL)] {
            let reply = get(id, stranger).await;
            assert_eq!(reply.status, 404, "{id} for {stranger:?}");
            assert!(!String::from_utf8_lossy(&reply.body).contains("just for bob"));
        }
    }
    // Nor through alice's outbox, for anybody else, or its count.
    let outbox = format!("{}/outbox", actor(&hub, "alice"));
    for stranger in [None, Some(CAROL)] {
        let page = get(&format!("{outbox}?page=true"), stranger).await.json();
        assert_eq!(page["orderedItems"], json!([]), "{stranger:?}");
        assert!(page.get("prev").is_none(), "no cursor leaks an item");
        let collection = get(&outbox, stranger).await.json();
        assert_eq!(collection["totalItems"], 0);
    }
    // bob, an addressee, sees it there; alice sees her own.
    for reader in [ALICE, BOB] {
        let page = get(&format!("{outbox}?page=true"), Some(reader))
            .await
            .json();
        assert_eq!(page["orderedItems"][0]["id"], activity.as_str());
    }
    // carol's C2S WebSocket can neither fetch nor proxy it.
    let mut socket = ws_connect(
        &format!("{}/users/carol/ws?token={CAROL}", hub.ws_base),
        None,
    )
    .await;
    for (kind, id) in [("fetch", &note), ("proxy", &activity)] {
        let answer = ask(&mut socket, kind, id).await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["data"]["status"], 404, "{answer}");
    }
    // bob's can.
    let mut socket = ws_connect(&format!("{}/users/bob/ws?token={BOB}", hub.ws_base), None).await;
    let answer = ask(&mut socket, "proxy", &note).await;
    assert_eq!(answer["type"], "proxied", "{answer}");
    assert_eq!(answer["data"]["content"], "just for bob");
    hub.stop().await;
}

#[tokio::test]
async fn a_public_note_is_read_by_anyone() {
    let hub = TestHub::start_with(config()).await;
    let note = json!({"type": "Note", "content": "hello world", "to": [PUBLIC]});
    let reply = post(&hub, "alice", ALICE, &note).await;
    assert_eq!(reply.status, 201);
    let id = reply.json()["object"]["id"].as_str().unwrap().to_owned();
    for reader in [None, Some(CAROL), Some(BOB)] {
        let fetched = get(&id, reader).await;
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.json()["content"], "hello world");
    }
    let page = get(&format!("{}/outbox?page=true", actor(&hub, "alice")), None)
        .await
        .json();
    assert_eq!(page["orderedItems"][0]["object"]["content"], "hello world");
    hub.stop().await;
}

#[tokio::test]
async fn bto_and_bcc_are_shown_to_the_author_only() {
    let hub = TestHub::start_with(config()).await;
    let note = json!({"type": "Note", "content": "public, carol in bcc", "to": [PUBLIC],
        "bto": [actor(&hub, "bob")], "bcc": [actor(&hub, "carol")]});
    let reply = post(&hub, "alice", ALICE, &note).await;
    assert_eq!(reply.status, 201);
    let created = reply.json();
    let (activity, object) = (
        created["id"].as_str().unwrap().to_owned(),
        created["object"]["id"].as_str().unwrap().to_owned(),
    );
    let outbox = format!("{}/outbox?page=true", actor(&hub, "alice"));
    let hidden = |value: &Value| {
        let text = value.to_string();
        !text.contains("\"bto\"") && !text.contains("\"bcc\"")
    };
    for reader in [None, Some(BOB), Some(CAROL)] {
        assert!(hidden(&get(&outbox, reader).await.json()), "{reader:?}");
        assert!(hidden(&get(&activity, reader).await.json()), "{reader:?}");
        assert!(hidden(&get(&object, reader).await.json()), "{reader:?}");
    }
    // The blind recipients got it, without seeing each other.
    for (name, token) in [("bob", BOB), ("carol", CAROL)] {
        let inbox = get(
            &format!("{}/inbox?page=true", actor(&hub, name)),
            Some(token),
        )
        .await
        .json();
        assert_eq!(inbox["orderedItems"][0]["id"], activity.as_str(), "{name}");
        assert!(hidden(&inbox), "{name}");
    }
    // The author keeps them.
    let own = get(&outbox, Some(ALICE)).await.json();
    assert_eq!(
        own["orderedItems"][0]["bcc"],
        json!([actor(&hub, "carol")]),
        "{own}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn nobody_changes_another_accounts_objects() {
    let hub = TestHub::start_with(config()).await;
    let note = json!({"type": "Note", "content": "alice's words", "to": [PUBLIC]});
    let reply = post(&hub, "alice", ALICE, &note).await;
    let id = reply.json()["object"]["id"].as_str().unwrap().to_owned();
    let content = || async { get(&id, None).await.json()["content"].clone() };

    // An Update of somebody else's object.
    let update = json!({"type": "Update", "to": [PUBLIC],
        "object": {"id": id, "type": "Note", "content": "bob's words"}});
    assert_eq!(post(&hub, "bob", BOB, &update).await.status, 403);
    // A Delete of it.
    let delete = json!({"type": "Delete", "object": id});
    assert_eq!(post(&hub, "bob", BOB, &delete).await.status, 403);
    // A Like (or Announce) embedding a forged copy: the activity is accepted, the copy is a
    // reference and replaces nothing.
    for kind in ["Like", "Announce"] {
        let forged = json!({"type": kind, "to": [PUBLIC],
            "object": {"id": id, "type": "Note", "content": "forged", "attributedTo": actor(&hub, "alice")}});
        assert_eq!(post(&hub, "bob", BOB, &forged).await.status, 201, "{kind}");
    }
    // A Create under the same id: the hub mints a new one.
    let create = json!({"type": "Create", "to": [PUBLIC],
        "object": {"id": id, "type": "Note", "content": "claimed"}});
    let created = post(&hub, "bob", BOB, &create).await;
    assert_eq!(created.status, 201);
    assert_ne!(created.json()["object"]["id"], id.as_str());
    // A Create speaking as alice.
    let forged_author = json!({"type": "Note", "content": "I am alice", "to": [PUBLIC],
        "attributedTo": actor(&hub, "alice")});
    let refused = post(&hub, "bob", BOB, &forged_author).await;
    assert_eq!(refused.status, 400);
    assert!(String::from_utf8_lossy(&refused.body).contains("attributedTo"));
    let as_alice = json!({"type": "Create", "actor": actor(&hub, "alice"), "to": [PUBLIC],
        "object": {"type": "Note", "content": "I am alice too"}});
    assert_eq!(post(&hub, "bob", BOB, &as_alice).await.status, 400);
    assert_eq!(content().await, "alice's words");

    // The owner may edit (not its addressing) and delete.
    let edit = json!({"type": "Update", "to": [PUBLIC],
        "object": {"id": id, "type": "Note", "content": "alice's better words"}});
    assert_eq!(post(&hub, "alice", ALICE, &edit).await.status, 201);
    assert_eq!(content().await, "alice's better words");
    let create_id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&create_id, None).await.json()["object"]["content"],
        "alice's better words",
        "the Create shows the object as it is"
    );
    let readdress = json!({"type": "Update", "to": [PUBLIC],
        "object": {"id": id, "to": [actor(&hub, "carol")]}});
    assert_eq!(post(&hub, "alice", ALICE, &readdress).await.status, 400);
    let delete = json!({"type": "Delete", "to": [PUBLIC], "object": id});
    assert_eq!(post(&hub, "alice", ALICE, &delete).await.status, 201);
    let gone = get(&id, None).await;
    assert_eq!(gone.status, 410);
    assert_eq!(gone.json()["type"], "Tombstone");
    assert!(!String::from_utf8_lossy(&gone.body).contains("words"));
    // An Update of a deleted, or an unknown, object.
    assert_eq!(post(&hub, "alice", ALICE, &edit).await.status, 400);
    let unknown = json!({"type": "Delete", "object": format!("{}/objects/nothing", hub.base)});
    assert_eq!(post(&hub, "alice", ALICE, &unknown).await.status, 404);
    hub.stop().await;
}

#[tokio::test]
async fn a_post_to_too_many_recipients_is_refused_at_once() {
    let hub = TestHub::start_with(config()).await;
    let many: Vec<String> = (0..30_000)
        .map(|n| format!("https://r.example/{n}"))
        .collect();
    let note = json!({"type": "Note", "content": "spam", "to": many});
    let started = Instant::now();
    let refused = post(&hub, "bob", BOB, &note).await;
    assert_eq!(refused.status, 400);
    assert!(
        String::from_utf8_lossy(&refused.body).contains("max_recipients"),
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    // Addressees spread over many objects count together, and objects are few.
    let objects: Vec<Value> = (0..2)
        .map(|_| json!({"type": "Note", "content": "x", "to": many[..600].to_vec()}))
        .collect();
    let create = json!({"type": "Create", "object": objects});
    assert_eq!(post(&hub, "bob", BOB, &create).await.status, 400);
    let objects: Vec<Value> = (0..17)
        .map(|_| json!({"type": "Note", "content": "x"}))
        .collect();
    let create = json!({"type": "Create", "object": objects});
    let refused = post(&hub, "bob", BOB, &create).await;
    assert_eq!(refused.status, 400);
    assert!(String::from_utf8_lossy(&refused.body).contains("objects"));
    // Meanwhile others are served.
    assert_eq!(get(&actor(&hub, "alice"), None).await.status, 200);
    // The legitimate: a thousand addressees.
    let thousand: Vec<String> = (0..999).map(|n| format!("https://r.example/{n}")).collect();
    let note = json!({"type": "Note", "content": "newsletter", "to": thousand, "cc": [actor(&hub, "alice")]});
    assert_eq!(post(&hub, "bob", BOB, &note).await.status, 201);
    assert!(started.elapsed() < Duration::from_secs(30));
    hub.stop().await;
}

#[tokio::test]
async fn quotas_refuse_with_507_and_spare_other_accounts() {
    let mut config = config();
    config.limits.account_quota_bytes = 64 * 1024;
    config.limits.hub_quota_bytes = 90 * 1024;
    let hub = TestHub::start_with(config).await;
    let big = "x".repeat(16 * 1024);
    let note = |text: &str| json!({"type": "Note", "content": text, "to": [PUBLIC]});
    let mut accepted = 0;
    let status = loop {
        let reply = post(&hub, "bob", BOB, &note(&big)).await;
        if reply.status != 201 {
            assert!(String::from_utf8_lossy(&reply.body).contains("quota"));
            break reply.status;
        }
        accepted += 1;
        assert!(accepted < 10, "the account quota stops bob");
    };
    assert_eq!(status, 507);
    // Nothing of the refused post was kept: bob's outbox holds what was accepted.
    let outbox = get(&format!("{}/outbox", actor(&hub, "bob")), None)
        .await
        .json();
    assert_eq!(outbox["totalItems"], accepted);
    // alice still has her own quota, until the hub's is used up.
    let mut alice = 0;
    loop {
        let reply = post(&hub, "alice", ALICE, &note(&big)).await;
        if reply.status != 201 {
            assert_eq!(reply.status, 507);
            break;
        }
        alice += 1;
        assert!(alice < 10);
    }
    assert!(alice >= 1, "alice could post before the hub was full");
    let carol = post(&hub, "carol", CAROL, &note(&big)).await;
    assert_eq!(carol.status, 507, "the hub is full");
    assert!(String::from_utf8_lossy(&carol.body).contains("hub_quota_bytes"));
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_resume_point_must_be_an_item_id() {
    let hub = TestHub::start_with(config()).await;
    let inbox = format!("{}/inbox", actor(&hub, "alice"));
    for bad in ["abc", "-1", "1e3", "12345678901234567890123"] {
        let reply = hub_common::request(
            "GET",
            &inbox,
            &[
                ("authorization", &format!("Bearer {ALICE}")),
                ("accept", "text/event-stream"),
                ("last-event-id", bad),
            ],
            bytes::Bytes::new(),
        )
        .await;
        assert_eq!(reply.status, 400, "{bad}");
    }
    // An empty one is no resume point; a number is.
    let mut stream = event_stream(&inbox, ALICE, Some("0")).await;
    let note = json!({"type": "Note", "content": "hi", "to": [actor(&hub, "alice")]});
    post(&hub, "bob", BOB, &note).await;
    loop {
        let event = stream.next().await;
        if event.event_type() == "inbox" {
            break;
        }
    }
    hub.stop().await;
}

#[tokio::test]
async fn an_uploaded_page_is_a_download_never_a_page_of_the_hub() {
    let hub = TestHub::start_with(config()).await;
    let mut socket = ws_connect(
        &format!("{}/users/alice/ws?token={ALICE}", hub.ws_base),
        None,
    )
    .await;
    // store: a binary message, a 4-byte big-endian header length, the header, the blob.
    let header =
        json!({"type": "store", "id": "s", "data": {"mediaType": "text/html"}}).to_string();
    let mut message = (header.len() as u32).to_be_bytes().to_vec();
    message.extend_from_slice(header.as_bytes());
    message.extend_from_slice(b"<script>fetch('/api/whoami')</script>");
    socket.send(Message::binary(message)).await.unwrap();
    let url = loop {
        if let Received::Json(value) = next(&mut socket).await
            && value["type"] == "stored"
        {
            break value["data"]["url"].as_str().unwrap().to_owned();
        }
    };
    let served = get(&url, Some(ALICE)).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(served.header("content-disposition"), Some("attachment"));
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(served.header("content-security-policy"), Some("sandbox"));
    hub.stop().await;
}
