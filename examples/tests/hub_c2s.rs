//! ActivityPub C2S end to end: bob posts to alice through his outbox; alice sees it in her
//! inbox collection, on her SSE stream (with gap-free `Last-Event-ID` resume) and as Bus
//! actions; auth and addressing rules hold on the wire.

mod hub_common;

use std::time::Duration;

use bytes::Bytes;
use hub_common::{
    ALICE, BOB, Reply, TestHub, bus, event_stream, get, next_of_type, request, ws_connect,
};
use serde_json::{Value, json};

const AS2: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

fn actor(hub: &TestHub, name: &str) -> String {
    format!("{}/users/{name}", hub.base)
}

/// POSTs `body` to `name`'s outbox as `token`.
async fn post(hub: &TestHub, name: &str, token: Option<&str>, body: &Value) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", AS2)];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    request(
        "POST",
        &format!("{}/outbox", actor(hub, name)),
        &headers,
        Bytes::from(body.to_string()),
    )
    .await
}

/// bob's note addressed to alice only.
fn note_to_alice(hub: &TestHub, text: &str) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Note", "content": text, "to": [actor(hub, "alice")]})
}

fn content(activity: &Value) -> &str {
    activity["object"]["content"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn stream_endpoints_are_shown_to_the_owner_only() {
    let hub = TestHub::start().await;
    let url = actor(&hub, "alice");
    let anonymous = get(&url, None).await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(
        anonymous.header("content-type"),
        Some("application/activity+json")
    );
    let doc = anonymous.json();
    assert_eq!(doc["type"], "Person");
    assert_eq!(doc["inbox"], format!("{url}/inbox"));
    assert!(doc.get("endpoints").is_none());
    assert!(get(&url, Some(BOB)).await.json().get("endpoints").is_none());
    let own = get(&url, Some(ALICE)).await.json();
    assert_eq!(own["endpoints"]["eventSource"], format!("{url}/inbox"));
    assert_eq!(
        own["endpoints"]["websocket"],
        format!("{}/users/alice/ws", hub.ws_base)
    );
    assert_eq!(own["endpoints"]["bus"], format!("{}/ws/bus", hub.ws_base));
    assert_eq!(get(&actor(&hub, "mallory"), None).await.status, 404);
    hub.stop().await;
}

#[tokio::test]
async fn bobs_post_reaches_alices_inbox_stream_and_bus() {
    let hub = TestHub::start().await;
    let mut alice_bus = bus(&hub, ALICE, &["action", "message"]).await;
    let mut bob_bus = bus(&hub, BOB, &["action"]).await;
    let inbox = format!("{}/inbox", actor(&hub, "alice"));
    let mut stream = event_stream(&inbox, ALICE, None).await;
    let mut socket = ws_connect(
        &format!("{}/users/alice/ws?token={ALICE}", hub.ws_base),
        None,
    )
    .await;

    let reply = post(&hub, "bob", Some(BOB), &note_to_alice(&hub, "Hi Alice!")).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let location = reply.header("location").expect("a Location").to_owned();
    let created = reply.json();
    assert_eq!(created["id"], location);
    assert_eq!(created["type"], "Create");
    assert_eq!(created["actor"], actor(&hub, "bob"));
    assert_eq!(created["object"]["attributedTo"], actor(&hub, "bob"));

    // The Location resolves to the activity, for its author and its addressee; a direct
    // message is nobody else's business.
    for reader in [ALICE, BOB] {
        let fetched = get(&location, Some(reader)).await;
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.json()["id"], location);
    }
    assert_eq!(get(&location, None).await.status, 404);

    // alice's SSE stream: an inbox event whose id is the collection cursor.
    let event = stream.next().await;
    assert_eq!(event.event_type(), "inbox");
    let delivered: Value = serde_json::from_str(event.data()).unwrap();
    assert_eq!(delivered["id"], location);
    assert_eq!(content(&delivered), "Hi Alice!");
    let id = event.last_event_id().to_owned();
    let page = get(&format!("{inbox}?min_id=0"), Some(ALICE)).await.json();
    assert_eq!(page["orderedItems"][0]["id"], location);
    assert!(
        page["prev"]
            .as_str()
            .unwrap()
            .ends_with(&format!("min_id={id}")),
        "{page}"
    );

    // alice's C2S WebSocket: the same item, with the same id.
    let pushed = next_of_type(&mut socket, "inbox").await;
    assert_eq!(pushed["id"], id.as_str());
    assert_eq!(pushed["data"]["id"], location);

    // The Bus: a direct note is a MSG for both participants, plus a `message` for alice.
    let action = next_of_type(&mut alice_bus, "action").await;
    assert_eq!(action["action_type"], "MSG");
    assert_eq!(action["issuer"], "bob");
    assert_eq!(action["content"], "Hi Alice!");
    assert_eq!(action["action_id"], location);
    let message = next_of_type(&mut alice_bus, "message").await;
    assert_eq!(message["sender"], "bob");
    assert_eq!(message["preview"], "Hi Alice!");
    let own = next_of_type(&mut bob_bus, "action").await;
    assert_eq!(own["action_type"], "MSG");
    hub.stop().await;
}

#[tokio::test]
async fn a_resumed_stream_gets_exactly_the_missed_events() {
    let hub = TestHub::start().await;
    let inbox = format!("{}/inbox", actor(&hub, "alice"));
    let mut stream = event_stream(&inbox, ALICE, None).await;
    post(&hub, "bob", Some(BOB), &note_to_alice(&hub, "one")).await;
    let first = stream.next().await;
    assert_eq!(content(&serde_json::from_str(first.data()).unwrap()), "one");
    let last_seen = first.last_event_id().to_owned();

    // The connection dies; three more arrive meanwhile.
    drop(stream);
    for text in ["two", "three", "four"] {
        assert_eq!(
            post(&hub, "bob", Some(BOB), &note_to_alice(&hub, text))
                .await
                .status,
            201
        );
    }
    let mut resumed = event_stream(&inbox, ALICE, Some(&last_seen)).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let event = resumed.next().await;
        got.push(content(&serde_json::from_str(event.data()).unwrap()).to_owned());
    }
    assert_eq!(got, ["two", "three", "four"]);
    assert!(
        resumed
            .next_within(Duration::from_millis(300))
            .await
            .is_none(),
        "nothing replayed twice"
    );
    // And it is live: the next post arrives once.
    post(&hub, "bob", Some(BOB), &note_to_alice(&hub, "five")).await;
    let live = resumed.next().await;
    assert_eq!(content(&serde_json::from_str(live.data()).unwrap()), "five");
    hub.stop().await;
}

#[tokio::test]
async fn a_resume_point_older_than_the_window_is_served_from_the_store() {
    let mut config = hub_common::config();
    config.limits.stream_window = 2;
    let hub = TestHub::start_with(config).await;
    let inbox = format!("{}/inbox", actor(&hub, "alice"));
    let mut stream = event_stream(&inbox, ALICE, None).await;
    post(&hub, "bob", Some(BOB), &note_to_alice(&hub, "first")).await;
    let first = stream.next().await.last_event_id().to_owned();
    drop(stream);
    for text in ["2", "3", "4", "5"] {
        post(&hub, "bob", Some(BOB), &note_to_alice(&hub, text)).await;
    }
    // The window holds the newest two: the two before them come from the store, in order,
    // then the window's, each once, with their cursors as ids.
    let mut resumed = event_stream(&inbox, ALICE, Some(&first)).await;
    let mut got = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let event = resumed.next().await;
        assert_eq!(event.event_type(), "inbox");
        got.push(content(&serde_json::from_str(event.data()).unwrap()).to_owned());
        ids.push(event.last_event_id().parse::<u64>().unwrap());
    }
    assert_eq!(got, ["2", "3", "4", "5"]);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    assert!(
        resumed
            .next_within(Duration::from_millis(300))
            .await
            .is_none(),
        "nothing twice"
    );
    // The same items as the collection says, from the same cursor.
    let page = get(&format!("{inbox}?min_id={first}"), Some(ALICE))
        .await
        .json();
    let missed: Vec<&str> = page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(content)
        .collect();
    assert_eq!(missed, ["5", "4", "3", "2"]);
    // Live items follow.
    post(&hub, "bob", Some(BOB), &note_to_alice(&hub, "6")).await;
    let live = resumed.next().await;
    assert_eq!(content(&serde_json::from_str(live.data()).unwrap()), "6");
    hub.stop().await;
}

#[tokio::test]
async fn posting_needs_the_owners_token_and_a_valid_activity() {
    let hub = TestHub::start().await;
    let note = note_to_alice(&hub, "x");
    assert_eq!(post(&hub, "bob", None, &note).await.status, 401);
    assert_eq!(post(&hub, "bob", Some("wrong"), &note).await.status, 401);
    assert_eq!(post(&hub, "bob", Some(ALICE), &note).await.status, 403);
    let like = json!({"type": "Like"});
    let refused = post(&hub, "bob", Some(BOB), &like).await;
    assert_eq!(refused.status, 400);
    assert!(refused.json()["error"].as_str().unwrap().contains("object"));
    let garbage = request(
        "POST",
        &format!("{}/outbox", actor(&hub, "bob")),
        &[("authorization", "Bearer bob-token"), ("content-type", AS2)],
        Bytes::from_static(b"[1,2"),
    )
    .await;
    assert_eq!(garbage.status, 400);
    let wrong_type = request(
        "POST",
        &format!("{}/outbox", actor(&hub, "bob")),
        &[
            ("authorization", "Bearer bob-token"),
            ("content-type", "text/plain"),
        ],
        Bytes::from(note.to_string()),
    )
    .await;
    assert_eq!(wrong_type.status, 415);
    hub.stop().await;
}

#[tokio::test]
async fn inboxes_are_private_and_pages_follow_min_id_and_max_id() {
    let hub = TestHub::start().await;
    let inbox = format!("{}/inbox", actor(&hub, "alice"));
    for i in 1..=5 {
        post(
            &hub,
            "bob",
            Some(BOB),
            &note_to_alice(&hub, &format!("n{i}")),
        )
        .await;
    }
    assert_eq!(get(&inbox, None).await.status, 401);
    assert_eq!(get(&inbox, Some(BOB)).await.status, 403);

    let collection = get(&inbox, Some(ALICE)).await.json();
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["totalItems"], 5);

    let texts = |page: &Value| -> Vec<String> {
        page["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| content(a).to_owned())
            .collect()
    };
    let first = get(&format!("{inbox}?page=true&limit=2"), Some(ALICE))
        .await
        .json();
    assert_eq!(first["type"], "OrderedCollectionPage");
    assert_eq!(texts(&first), ["n5", "n4"], "newest first");
    let next = get(
        &format!("{}&limit=2", first["next"].as_str().unwrap()),
        Some(ALICE),
    )
    .await
    .json();
    assert_eq!(texts(&next), ["n3", "n2"]);
    let prev = get(
        &format!("{}&limit=2", next["prev"].as_str().unwrap()),
        Some(ALICE),
    )
    .await
    .json();
    assert_eq!(texts(&prev), ["n5", "n4"]);
    let bad = get(&format!("{inbox}?min_id=1&max_id=2"), Some(ALICE)).await;
    assert_eq!(bad.status, 400);
    hub.stop().await;
}

#[tokio::test]
async fn bcc_is_delivered_but_never_shown_and_outboxes_show_others_only_public_posts() {
    let hub = TestHub::start().await;
    let alice = actor(&hub, "alice");
    let secret = json!({"type": "Note", "content": "psst", "bcc": [alice]});
    assert_eq!(post(&hub, "bob", Some(BOB), &secret).await.status, 201);
    let public = json!({"type": "Note", "content": "hello world", "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(post(&hub, "bob", Some(BOB), &public).await.status, 201);

    let inbox = get(&format!("{alice}/inbox?page=true"), Some(ALICE))
        .await
        .json();
    let delivered = &inbox["orderedItems"][0];
    assert_eq!(content(delivered), "psst");
    // (Ids are random hex, so look for the property, not the letters.)
    assert!(!delivered.to_string().contains("\"bcc\""), "{delivered}");

    let outbox = format!("{}/outbox?page=true", actor(&hub, "bob"));
    let own = get(&outbox, Some(BOB)).await.json();
    assert_eq!(own["orderedItems"].as_array().unwrap().len(), 2);
    assert!(
        own.to_string().contains("\"bcc\""),
        "the author sees the bcc"
    );
    let others = get(&outbox, None).await.json();
    let shown: Vec<&str> = others["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(content)
        .collect();
    assert_eq!(shown, ["hello world"]);
    hub.stop().await;
}

#[tokio::test]
async fn a_public_post_is_the_authors_action_and_reaches_addressed_users() {
    let hub = TestHub::start().await;
    let mut alice_bus = bus(&hub, ALICE, &["action"]).await;
    let mut bob_bus = bus(&hub, BOB, &["action"]).await;
    let note = json!({"type": "Note", "content": "hi all",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [actor(&hub, "alice")]});
    assert_eq!(post(&hub, "bob", Some(BOB), &note).await.status, 201);
    let own = next_of_type(&mut bob_bus, "action").await;
    assert_eq!(own["action_type"], "POST");
    assert_eq!(own["source"], "local");
    let forwarded = next_of_type(&mut alice_bus, "action").await;
    assert_eq!(forwarded["action_type"], "POST");
    assert_eq!(forwarded["content"], "hi all");
    hub.stop().await;
}
