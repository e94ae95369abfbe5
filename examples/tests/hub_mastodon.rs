//! The Mastodon-compatible streaming endpoint: SSE `GET /api/v1/streaming/user` and the
//! multiplexed WebSocket `/api/v1/streaming`, as a Mastodon client uses them.

mod hub_common;

use bytes::Bytes;
use futures::SinkExt;
use http_body_util::BodyExt;
use hub_common::{
    ALICE, BOB, PATIENCE, TestHub, event_stream, get, next_json, post_to_outbox, request, send,
    ws_connect,
};
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

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// An open SSE response read as raw text (to see exactly what is sent).
struct RawStream(hyper::body::Incoming, String);

impl RawStream {
    async fn open(url: &str, token: &str) -> RawStream {
        let auth = format!("Bearer {token}");
        let response = send(
            "GET",
            url,
            &[("authorization", auth.as_str())],
            Bytes::new(),
        )
        .await;
        assert_eq!(response.status(), 200);
        RawStream(response.into_body(), String::new())
    }

    /// Reads until the text holds `needle` and the event block holding it is complete;
    /// returns everything read so far.
    async fn until_block_with(&mut self, needle: &str) -> &str {
        let complete = |text: &str| {
            text.find(needle)
                .is_some_and(|at| text[at..].contains("\n\n"))
        };
        while !complete(&self.1) {
            let frame = tokio::time::timeout(PATIENCE, self.0.frame())
                .await
                .unwrap_or_else(|_| panic!("{needle:?} within the patience; got {:?}", self.1))
                .expect("the stream goes on")
                .expect("a frame");
            if let Ok(data) = frame.into_data() {
                self.1.push_str(std::str::from_utf8(&data).expect("UTF-8"));
            }
        }
        &self.1
    }
}

#[tokio::test]
async fn sse_on_a_hub_with_history_sends_only_what_mastodon_sends() {
    let hub = TestHub::start().await;
    for text in ["one", "two"] {
        post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "alice", text)).await;
        post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "public", text)).await;
    }
    let mut user = RawStream::open(&format!("{}/api/v1/streaming/user", hub.base), ALICE).await;
    let mut public = RawStream::open(&format!("{}/api/v1/streaming/public", hub.base), ALICE).await;
    post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "alice", "three")).await;
    post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "public", "three")).await;
    for stream in [&mut user, &mut public] {
        let text = stream.until_block_with("three").await;
        // Mastodon: ":)" then event blocks; every block names its event.
        let rest = text.strip_prefix(":)\n").expect("the stream opens with :)");
        let blocks: Vec<&str> = rest.split("\n\n").filter(|b| !b.is_empty()).collect();
        assert_eq!(blocks.len(), 1, "only the new status: {text:?}");
        assert!(blocks[0].starts_with("event: update\n"), "{text:?}");
        assert!(!text.contains("event: meta"), "{text:?}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn hostile_markup_never_reaches_a_stream_and_formatting_survives() {
    let hub = TestHub::start().await;
    let mut sse_user = RawStream::open(&format!("{}/api/v1/streaming/user", hub.base), ALICE).await;
    let mut sse_public = RawStream::open(
        &format!("{}/api/v1/streaming/public/local", hub.base),
        ALICE,
    )
    .await;
    let mut socket = ws_connect(
        &format!("{}/api/v1/streaming?stream=public", hub.ws_base),
        Some(ALICE),
    )
    .await;
    socket
        .send(Message::text(
            json!({"type": "subscribe", "stream": "user"}).to_string(),
        ))
        .await
        .unwrap();
    // Commands are handled in order: this error shows `user` is subscribed.
    socket
        .send(Message::text(
            json!({"type": "subscribe", "stream": "bogus"}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["status"], 400);
    let hostile = r#"<p onclick="steal()">Hi <strong>there</strong> <em>you</em><br><a href="https://example.org/x" onmouseover="x()">link</a><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">js</a><iframe src="https://evil.example"></iframe><style>*{}</style></p>"#;
    let sanitised = r#"<p>Hi <strong>there</strong> <em>you</em><br><a href="https://example.org/x" target="_blank" rel="nofollow noopener">link</a><a target="_blank" rel="nofollow noopener">js</a></p>"#;
    for to in ["public", "alice"] {
        let mut activity = note(&hub, to, "");
        activity["content"] = json!(hostile);
        activity["summary"] = json!("<b>CW</b><script>alert(4)</script>");
        post_to_outbox(&hub.base, "bob", BOB, &activity).await;
    }
    let mut seen = Vec::new();
    for _ in 0..2 {
        let frame = next_json(&mut socket).await;
        let status: Value = serde_json::from_str(frame["payload"].as_str().unwrap()).unwrap();
        assert_eq!(status["content"], sanitised, "{frame}");
        assert_eq!(status["spoiler_text"], "CW");
        seen.push(frame.to_string());
    }
    seen.push(sse_user.until_block_with("rel=").await.to_owned());
    seen.push(sse_public.until_block_with("rel=").await.to_owned());
    for text in &seen {
        for needle in [
            "<script",
            "alert(",
            "onerror",
            "onclick",
            "onmouseover",
            "javascript:",
            "<iframe",
            "<img",
            "<style",
        ] {
            assert!(!text.contains(needle), "{needle} reached a stream: {text}");
        }
        assert!(text.contains("<strong>there</strong>"), "{text}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn the_websocket_answers_with_one_offered_subprotocol() {
    let hub = TestHub::start().await;
    let url = format!("{}/api/v1/streaming", hub.ws_base);
    let handshake = |protocols: &str, bearer: Option<&str>| {
        let mut headers = vec![
            ("connection", "Upgrade".to_owned()),
            ("upgrade", "websocket".to_owned()),
            ("sec-websocket-version", "13".to_owned()),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".to_owned()),
        ];
        if !protocols.is_empty() {
            headers.push(("sec-websocket-protocol", protocols.to_owned()));
        }
        if let Some(token) = bearer {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        let url = url.replacen("ws://", "http://", 1);
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let response = send("GET", &url, &headers, Bytes::new()).await;
            let protocol = response
                .headers()
                .get_all("sec-websocket-protocol")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>();
            (response.status().as_u16(), protocol)
        }
    };
    assert_eq!(handshake(ALICE, None).await, (101, vec![ALICE.to_owned()]));
    assert_eq!(
        handshake(&format!("x-fedi-test, {ALICE}"), None).await,
        (101, vec![ALICE.to_owned()]),
        "the value that carried the token"
    );
    assert_eq!(
        handshake("x-first, x-second", Some(ALICE)).await,
        (101, vec!["x-first".to_owned()]),
        "token elsewhere: the first offered, as Mastodon's server answers"
    );
    assert_eq!(handshake("", Some(ALICE)).await, (101, vec![]));
    let refused = handshake("x-first, not-a-token", None).await;
    assert_eq!(refused, (401, vec![]));
    let reply = get(
        &format!("{}/api/v1/streaming/user?access_token=nope", hub.base),
        None,
    )
    .await;
    assert_eq!(reply.json(), json!({"error": "Invalid access token"}));
    hub.stop().await;
}

#[tokio::test]
async fn instance_and_credentials_tell_clients_where_to_stream() {
    let hub = TestHub::start().await;
    let v1 = get(&format!("{}/api/v1/instance", hub.base), None).await;
    assert_eq!(v1.status, 200);
    let v1 = v1.json();
    assert_eq!(v1["urls"]["streaming_api"], hub.ws_base);
    assert_eq!(v1["uri"], hub.base.trim_start_matches("http://"));
    assert!(
        v1["version"]
            .as_str()
            .unwrap()
            .starts_with("4.5.0 (compatible; fedi-hub ")
    );
    // Mastodon.py asks with a trailing slash.
    let v2 = get(&format!("{}/api/v2/instance/", hub.base), None)
        .await
        .json();
    assert_eq!(v2["configuration"]["urls"]["streaming"], hub.ws_base);
    assert_eq!(v2["domain"], v1["uri"]);
    assert_eq!(
        v2["configuration"]["timelines_access"]["live_feeds"],
        json!({"local": "authenticated", "remote": "authenticated"})
    );
    assert_eq!(v2["registrations"]["enabled"], false);
    assert_eq!(v2["api_versions"]["mastodon"], 7);

    for token in [None, Some("nope")] {
        let refused = get(
            &format!("{}/api/v1/accounts/verify_credentials", hub.base),
            token,
        )
        .await;
        assert_eq!(refused.status, 401);
        assert_eq!(
            refused.json(),
            json!({"error": "The access token is invalid"})
        );
        assert!(
            refused
                .header("www-authenticate")
                .unwrap()
                .contains("error=\"invalid_token\"")
        );
    }
    let me = get(
        &format!("{}/api/v1/accounts/verify_credentials", hub.base),
        Some(BOB),
    )
    .await;
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["id"], "bob");
    assert_eq!(me["acct"], "bob");
    assert_eq!(me["url"], format!("{}/users/bob", hub.base));
    assert_eq!(me["source"]["privacy"], "public");
    let created = me["created_at"].as_str().unwrap();
    assert!(created.ends_with("T00:00:00.000Z"), "{created}");
    assert!(chrono::DateTime::parse_from_rfc3339(created).is_ok());
    let post = request(
        "POST",
        &format!("{}/api/v1/instance", hub.base),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(post.status, 405);
    hub.stop().await;
}

#[tokio::test]
async fn user_streams_carry_only_the_accounts_own_and_public_streams_only_public_posts() {
    let mut config = hub_common::config();
    config
        .accounts
        .push(fedi_examples::hub::AccountSeed::new("carol", "carol-token"));
    let hub = TestHub::start_with(config).await;
    let mut carol = event_stream(
        &format!("{}/api/v1/streaming/user", hub.base),
        "carol-token",
        None,
    )
    .await;
    let mut public = event_stream(
        &format!("{}/api/v1/streaming/public", hub.base),
        "carol-token",
        None,
    )
    .await;
    post_to_outbox(
        &hub.base,
        "bob",
        BOB,
        &note(&hub, "alice", "private to alice"),
    )
    .await;
    let mut unlisted = note(&hub, "alice", "unlisted");
    unlisted["cc"] = json!([PUBLIC]);
    post_to_outbox(&hub.base, "bob", BOB, &unlisted).await;
    post_to_outbox(&hub.base, "bob", BOB, &note(&hub, "public", "for everyone")).await;
    post_to_outbox(
        &hub.base,
        "carol",
        "carol-token",
        &note(&hub, "alice", "carol's own"),
    )
    .await;
    let first_public: Value = serde_json::from_str(public.next().await.data()).unwrap();
    assert_eq!(first_public["content"], "for everyone");
    let first_user: Value = serde_json::from_str(carol.next().await.data()).unwrap();
    assert_eq!(
        first_user["content"], "carol's own",
        "nothing addressed to others first"
    );
    assert_eq!(first_user["account"]["acct"], "carol");
    hub.stop().await;
}
