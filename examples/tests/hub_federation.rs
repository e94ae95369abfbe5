//! Federation over the wire: WebFinger, actor keys (kept across restarts on SQLite and
//! PostgreSQL), signed deliveries to inboxes and the attacks on them.

mod hub_common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use activitystreams_core::http_signatures::{
    CavageSigner, PrivateKey, PublicKey, VerifyOptions, VerifyingKey, verify,
};
use activitystreams_core::webfinger::{Acct, Jrd};
use bytes::Bytes;
use fedi_examples::hub::Storage;
use http_body_util::Full;
use hub_common::{
    ALICE, BOB, Reply, TestDatabase, TestHub, config, federating, get, post_over_socket,
};
use serde_json::{Value, json};

fn webfinger(hub: &TestHub, resource: &str) -> String {
    format!("{}/.well-known/webfinger?resource={resource}", hub.base)
}

#[tokio::test]
async fn webfinger_names_the_actor_of_a_local_account_only() {
    let hub = TestHub::start().await;
    let host = url::Url::parse(&hub.base)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();

    let found = get(&webfinger(&hub, &format!("acct:alice@{host}")), None).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.header("content-type"), Some("application/jrd+json"));
    let jrd = Jrd::from_slice(&found.body).unwrap();
    let acct = Acct::parse(&format!("acct:alice@{host}")).unwrap();
    assert_eq!(
        jrd.resolve(&acct).unwrap(),
        format!("{}/users/alice", hub.base)
    );

    for (resource, status) in [
        (format!("acct:carol@{host}"), 404),
        ("acct:alice@elsewhere.example".to_owned(), 404),
        ("https://elsewhere.example/".to_owned(), 400),
        ("acct:@".to_owned(), 400),
    ] {
        let reply = get(&webfinger(&hub, &resource), None).await;
        assert_eq!(reply.status, status, "{resource}");
    }
    let missing = get(&format!("{}/.well-known/webfinger", hub.base), None).await;
    assert_eq!(missing.status, 400);
    hub.stop().await;
}

/// The `publicKey` of `name`'s actor document, checked for shape; returns its PEM.
async fn public_key_pem(hub: &TestHub, name: &str) -> String {
    let actor = get(&format!("{}/users/{name}", hub.base), None)
        .await
        .json();
    let id = format!("{}/users/{name}", hub.base);
    let key = &actor["publicKey"];
    assert_eq!(key["id"], Value::from(format!("{id}#main-key")));
    assert_eq!(key["owner"], Value::from(id));
    let pem = key["publicKeyPem"].as_str().unwrap().to_owned();
    PublicKey::from_pem(&pem).expect("a PEM public key");
    pem
}

async fn keys_survive_a_restart(storage: Storage) {
    let mut with_storage = config();
    with_storage.storage = storage;
    let hub = TestHub::start_with(with_storage.clone()).await;
    let alice = public_key_pem(&hub, "alice").await;
    assert_eq!(public_key_pem(&hub, "alice").await, alice);
    assert_ne!(public_key_pem(&hub, "bob").await, alice);
    hub.stop().await;

    let hub = TestHub::start_with(with_storage).await;
    assert_eq!(public_key_pem(&hub, "alice").await, alice);
    hub.stop().await;
}

#[tokio::test]
async fn actor_keys_are_kept_in_sqlite() {
    let dir = std::env::temp_dir().join(format!("fedi-hub-federation-{}", std::process::id()));
    keys_survive_a_restart(Storage::Directory(dir.clone())).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn actor_keys_are_kept_in_postgres() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    keys_survive_a_restart(Storage::Postgres(database.url())).await;
}

/// Actors of a server nobody here runs as a hub: documents served over plain HTTP on
/// loopback, each actor with an Ed25519 key the test signs with.
struct RemoteServer {
    base: String,
    keys: HashMap<String, PrivateKey>,
    /// Every request it was sent (without body), in order.
    requests: Arc<Mutex<Vec<http::Request<Vec<u8>>>>>,
}

impl RemoteServer {
    /// Serves the actors `names`, and the documents `extra(base)` gives by path, until the
    /// test ends.
    async fn start(
        names: &[&str],
        extra: impl FnOnce(&str) -> Vec<(String, Value)>,
    ) -> RemoteServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut keys = HashMap::new();
        let mut documents = HashMap::new();
        for name in names {
            let key = key_of(name);
            let id = format!("{base}/users/{name}");
            documents.insert(
                format!("/users/{name}"),
                json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": id, "type": "Person", "inbox": format!("{id}/inbox"),
                    "publicKey": {"id": format!("{id}#main-key"), "owner": id,
                                  "publicKeyPem": key.public_key().to_pem().unwrap()},
                }),
            );
            keys.insert((*name).to_owned(), key);
        }
        documents.extend(extra(&base));
        let documents = Arc::new(documents);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let documents = documents.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| {
                            let found = documents.get(request.uri().path()).cloned();
                            let mut seen = http::Request::new(Vec::new());
                            *seen.method_mut() = request.method().clone();
                            *seen.uri_mut() = request.uri().clone();
                            *seen.headers_mut() = request.headers().clone();
                            recorded.lock().unwrap().push(seen);
                            async move {
                                let mut response = hyper::Response::new(Full::new(Bytes::from(
                                    found.as_ref().map(Value::to_string).unwrap_or_default(),
                                )));
                                if found.is_none() {
                                    *response.status_mut() = http::StatusCode::NOT_FOUND;
                                }
                                Ok::<_, Infallible>(response)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        RemoteServer {
            base,
            keys,
            requests,
        }
    }

    /// The requests it was sent for `path`.
    fn requests_for(&self, path: &str) -> Vec<http::Request<Vec<u8>>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.uri().path() == path)
            .map(|r| {
                let mut copy = http::Request::new(Vec::new());
                *copy.method_mut() = r.method().clone();
                *copy.uri_mut() = r.uri().clone();
                *copy.headers_mut() = r.headers().clone();
                copy
            })
            .collect()
    }

    fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// A `Create` of a note by `actor` to `to`.
    fn note(&self, actor: &str, to: &str, text: &str) -> Value {
        let id = format!("{actor}/notes/{text}");
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"), "type": "Create", "actor": actor, "to": [to],
            "object": {"id": id, "type": "Note", "attributedTo": actor, "content": text, "to": [to]},
        })
    }
}

/// The test key of a remote actor (one per first letter of the name).
fn key_of(name: &str) -> PrivateKey {
    PrivateKey::ed25519_from_seed(&[name.as_bytes()[0]; 32]).unwrap()
}

/// A POST of `body` to `inbox`, signed (cavage) with `key` as `key_id` at `at`.
fn signed(
    inbox: &str,
    body: Vec<u8>,
    key_id: &str,
    key: &PrivateKey,
    at: SystemTime,
) -> http::Request<Vec<u8>> {
    let mut signed = http::Request::post(inbox)
        .header("content-type", "application/activity+json")
        .body(body)
        .unwrap();
    CavageSigner::new(key_id)
        .sign(at, &mut signed, key)
        .unwrap();
    signed
}

/// Sends `request` with `body` instead of its own (the `Host` it signed is the one the
/// test client sends).
async fn send_with_body(request: &http::Request<Vec<u8>>, body: Vec<u8>) -> Reply {
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(k, _)| *k != http::header::HOST)
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    hub_common::request(
        "POST",
        &request.uri().to_string(),
        &headers,
        Bytes::from(body),
    )
    .await
}

/// POSTs `body` to `inbox`, signed with `signer`'s own key at `at` when given.
async fn deliver(
    remote: &RemoteServer,
    inbox: &str,
    body: Vec<u8>,
    signer: Option<(&str, SystemTime)>,
) -> Reply {
    let Some((name, at)) = signer else {
        return hub_common::request(
            "POST",
            inbox,
            &[("content-type", "application/activity+json")],
            Bytes::from(body),
        )
        .await;
    };
    let key_id = format!("{}#main-key", remote.actor(name));
    let request = signed(inbox, body.clone(), &key_id, &remote.keys[name], at);
    send_with_body(&request, body).await
}

async fn federating_hub() -> TestHub {
    TestHub::start_with(federating()).await
}

/// bob of `hub` posts a note to `to` over the C2S WebSocket; returns the `delivery` status
/// reported for `to` (after `done`).
async fn bob_posts(hub: &TestHub, to: &str, text: &str) -> String {
    let note = json!({"type": "Note", "content": text, "to": [to]});
    post_over_socket(hub, "bob", BOB, &note, to).await
}

/// Waits until `name`'s inbox on `hub` has an activity of type `kind`.
async fn wait_for_type(hub: &TestHub, name: &str, token: &str, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + hub_common::PATIENCE;
    loop {
        let page = get(
            &format!("{}/users/{name}/inbox?page=true", hub.base),
            Some(token),
        )
        .await
        .json();
        if let Some(found) = page["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["type"] == kind)
        {
            return found.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}'s inbox: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until alice's inbox on `hub` shows `texts`.
async fn wait_for_inbox(hub: &TestHub, texts: &[&str]) {
    wait_for_inbox_within(hub, texts, hub_common::PATIENCE).await;
}

async fn wait_for_inbox_within(hub: &TestHub, texts: &[&str], patience: Duration) {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let seen = inbox_texts(hub).await;
        if seen == texts {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alice's inbox: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_note_from_one_hub_reaches_an_inbox_on_another() {
    let a = federating_hub().await;
    let b = federating_hub().await;
    let alice = format!("{}/users/alice", a.base);
    let mut stream = hub_common::event_stream(&format!("{alice}/inbox"), ALICE, None).await;
    assert_eq!(bob_posts(&b, &alice, "across").await, "delivered");
    // Streamed to alice as a local delivery is, and kept in her inbox.
    let event = stream.next().await;
    assert_eq!(event.event_type(), "inbox");
    let streamed: Value = serde_json::from_str(event.data()).unwrap();
    assert_eq!(streamed["object"]["content"], "across");
    wait_for_inbox(&a, &["across"]).await;
    // What arrived is bob's, signed by B's key for him.
    let page = get(&format!("{alice}/inbox?page=true"), Some(ALICE))
        .await
        .json();
    assert_eq!(
        page["orderedItems"][0]["actor"],
        Value::from(format!("{}/users/bob", b.base))
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_delivery_to_a_server_that_is_down_is_kept_and_retried_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("fedi-hub-queue-{}", std::process::id()));
    let mut with_dir = federating();
    with_dir.storage = Storage::Directory(dir.clone());
    // A's address, with nothing listening on it yet.
    let reserved = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let alice = format!("http://{address}/users/alice");

    // B keeps its address (its actor ids) across the restart.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_address = listener.local_addr().unwrap();
    let b = TestHub::start_on(with_dir.clone(), listener).await;
    assert_eq!(bob_posts(&b, &alice, "later").await, "retrying");
    b.stop().await;
    restart_and_deliver(address, b_address, with_dir, "later").await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Starts hub A on `address` and restarts hub B (`config`, on `b_address`), then waits for
/// the note `text` B had queued to reach alice on A.
async fn restart_and_deliver(
    address: std::net::SocketAddr,
    b_address: std::net::SocketAddr,
    config: fedi_examples::hub::Config,
    text: &str,
) {
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let a = TestHub::start_on(federating(), listener).await;
    let listener = tokio::net::TcpListener::bind(b_address).await.unwrap();
    let b = TestHub::start_on(config, listener).await;
    wait_for_inbox(&a, &[text]).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_http_post_is_answered_before_a_silent_server_and_its_delivery_is_kept() {
    let dir = std::env::temp_dir().join(format!("fedi-hub-silent-{}", std::process::id()));
    let mut with_dir = federating();
    with_dir.storage = Storage::Directory(dir.clone());
    with_dir.federation.fetch_timeout = Duration::from_secs(3);
    // A's address: first a server that takes connections and never answers.
    let silent = SilentServer::start().await;
    let address = silent.address;
    let alice = format!("http://{address}/users/alice");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_address = listener.local_addr().unwrap();
    let b = TestHub::start_on(with_dir.clone(), listener).await;
    let note = json!({"type": "Note", "content": "despite the silence", "to": [alice]});
    let started = tokio::time::Instant::now();
    let reply = hub_common::post_to_outbox(&b.base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    // Answered once the delivery is queued, not after the fetch timeout of its first attempt.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        started.elapsed()
    );
    // The first attempt runs all the same: it reaches the silent server.
    let deadline = tokio::time::Instant::now() + hub_common::PATIENCE;
    while silent.accepted() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no first attempt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Stopped while that attempt hangs: the queued delivery survives and reaches A once A
    // answers and B is back.
    b.stop().await;
    silent.stop().await;
    restart_and_deliver(address, b_address, with_dir, "despite the silence").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn first_attempts_at_once_are_bounded_across_the_hub() {
    let mut config = federating();
    config.federation.fetch_timeout = Duration::from_secs(3);
    config.federation.delivery_concurrency = 2;
    let silent = SilentServer::start().await;
    let address = silent.address;
    let hub = TestHub::start_with(config).await;
    let to: Vec<String> = (1..=5)
        .map(|n| format!("http://{address}/users/u{n}"))
        .collect();
    let note = json!({"type": "Note", "content": "to five", "to": to});
    let reply = hub_common::post_to_outbox(&hub.base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    // Five deliveries queued; two first attempts hang on the silent server, no more.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(silent.accepted(), 2);
    hub.stop().await;
    silent.stop().await;
}

#[tokio::test]
async fn retries_to_a_silent_server_do_not_hold_up_the_others() {
    let mut config = federating();
    config.federation.fetch_timeout = Duration::from_secs(3);
    let silent = SilentServer::start().await;
    // A's address, with nothing listening on it yet.
    let reserved = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let b = TestHub::start_with(config).await;
    // More deliveries to the silent server than the worker claims in a round, then one to
    // alice on A, which is down: all are retried.
    let to: Vec<String> = (1..=20)
        .map(|n| format!("http://{}/users/u{n}", silent.address))
        .collect();
    let note = json!({"type": "Note", "content": "to the silence", "to": to});
    let reply = hub_common::post_to_outbox(&b.base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let alice = format!("http://{address}/users/alice");
    let note = json!({"type": "Note", "content": "to alice", "to": [alice]});
    let reply = hub_common::post_to_outbox(&b.base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    // By now the silent server's deliveries are due again and being retried (each hangs for
    // the fetch timeout); alice's next retry comes while they hang.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(silent.accepted() > 20, "retries reached the silent server");
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let a = TestHub::start_on(federating(), listener).await;
    // alice's retries back off up to 8 s by now; the silent server's 20 would take a worker
    // that tried one at a time 20 times the fetch timeout.
    wait_for_inbox_within(&a, &["to alice"], Duration::from_secs(20)).await;
    a.stop().await;
    b.stop().await;
    silent.stop().await;
}

/// A server that takes connections, holds them open and never answers.
struct SilentServer {
    address: std::net::SocketAddr,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    holder: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    async fn start() -> SilentServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = accepted.clone();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        SilentServer {
            address,
            accepted,
            holder,
        }
    }

    /// Connections taken so far.
    fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Closes the listener and every connection it holds.
    async fn stop(self) {
        self.holder.abort();
        let _ = self.holder.await;
    }
}

fn alice_inbox(hub: &TestHub) -> String {
    format!("{}/users/alice/inbox", hub.base)
}

/// carol's note to alice of `hub`.
fn carol_to_alice(remote: &RemoteServer, hub: &TestHub, text: &str) -> Vec<u8> {
    let alice = format!("{}/users/alice", hub.base);
    remote
        .note(&remote.actor("carol"), &alice, text)
        .to_string()
        .into_bytes()
}

async fn inbox_texts(hub: &TestHub) -> Vec<String> {
    let page = get(
        &format!("{}/users/alice/inbox?page=true", hub.base),
        Some(ALICE),
    )
    .await
    .json();
    page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["object"]["content"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn a_signed_delivery_reaches_the_inbox_once() {
    let remote = RemoteServer::start(&["carol"], |_| Vec::new()).await;
    let hub = federating_hub().await;
    let inbox = alice_inbox(&hub);
    let body = carol_to_alice(&remote, &hub, "hello");

    let first = deliver(
        &remote,
        &inbox,
        body.clone(),
        Some(("carol", SystemTime::now())),
    )
    .await;
    assert_eq!(first.status, 202, "{:?}", first.body);
    // carol's key was fetched once, signed by alice (whose inbox it is) with her published key.
    let fetches = remote.requests_for("/users/carol");
    assert_eq!(fetches.len(), 1);
    let alice = format!("{}/users/alice", hub.base);
    let alice_key = PublicKey::from_pem(&public_key_pem(&hub, "alice").await).unwrap();
    let key_id = format!("{alice}#main-key");
    let options = VerifyOptions::new(SystemTime::now(), Duration::from_secs(300));
    let verified = verify(
        &fetches[0],
        &mut |id: &str| (id == key_id).then(|| VerifyingKey::new(alice_key.clone(), &alice)),
        &options,
    )
    .expect("the key fetch is signed by alice");
    assert_eq!(verified.owner, alice);
    // The same delivery again (a replay inside the window) is stored once.
    let again = deliver(&remote, &inbox, body, Some(("carol", SystemTime::now()))).await;
    assert_eq!(again.status, 202);
    assert_eq!(inbox_texts(&hub).await, ["hello"]);
    hub.stop().await;
}

#[tokio::test]
async fn deliveries_without_a_valid_signature_of_their_actor_are_refused() {
    let remote = RemoteServer::start(&["carol", "mallory"], |_| Vec::new()).await;
    let hub = federating_hub().await;
    let inbox = alice_inbox(&hub);
    let by_carol = |text: &str| carol_to_alice(&remote, &hub, text);
    let now = SystemTime::now();

    let unsigned = deliver(&remote, &inbox, by_carol("unsigned"), None).await;
    assert_eq!(unsigned.status, 401);
    // mallory signs carol's activity with her own key.
    let forged = deliver(&remote, &inbox, by_carol("forged"), Some(("mallory", now))).await;
    assert_eq!(forged.status, 403);
    let old = deliver(
        &remote,
        &inbox,
        by_carol("old"),
        Some(("carol", now - Duration::from_secs(3600))),
    )
    .await;
    assert_eq!(old.status, 401);
    let future = deliver(
        &remote,
        &inbox,
        by_carol("future"),
        Some(("carol", now + Duration::from_secs(3600))),
    )
    .await;
    assert_eq!(future.status, 401);
    let big = deliver(
        &remote,
        &inbox,
        by_carol(&"x".repeat(32 * 1024)),
        Some(("carol", now)),
    )
    .await;
    assert_eq!(big.status, 413);
    // A body changed after signing.
    let key_id = format!("{}#main-key", remote.actor("carol"));
    let request = signed(
        &inbox,
        by_carol("signed"),
        &key_id,
        &remote.keys["carol"],
        now,
    );
    let changed = send_with_body(&request, by_carol("changed")).await;
    assert_eq!(changed.status, 401);

    assert!(
        inbox_texts(&hub).await.is_empty(),
        "nothing refused was stored"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_key_is_trusted_only_for_the_actor_whose_document_lists_it() {
    // eve's document lists mallory's key, claiming carol as its owner: key-id confusion.
    let remote = RemoteServer::start(&["carol", "mallory"], |base| {
        let eve = format!("{base}/users/eve");
        vec![(
            "/users/eve".to_owned(),
            json!({"id": eve, "type": "Person", "publicKey": {
                "id": format!("{eve}#main-key"), "owner": format!("{base}/users/carol"),
                "publicKeyPem": key_of("mallory").public_key().to_pem().unwrap()}}),
        )]
    })
    .await;
    let eve = format!("{}/users/eve", remote.base);
    let hub = federating_hub().await;
    let inbox = alice_inbox(&hub);
    let body = carol_to_alice(&remote, &hub, "x");
    let now = SystemTime::now();

    for key_id in [
        format!("{eve}#main-key"),
        // A key id naming no document.
        format!("{}/users/nobody#main-key", remote.base),
        // carol's document, but a key id it does not list.
        format!("{}#other-key", remote.actor("carol")),
    ] {
        let request = signed(&inbox, body.clone(), &key_id, &key_of("mallory"), now);
        assert_eq!(
            send_with_body(&request, body.clone()).await.status,
            401,
            "{key_id}"
        );
    }
    assert!(inbox_texts(&hub).await.is_empty());
    hub.stop().await;
}

#[tokio::test]
async fn keys_on_private_addresses_are_not_fetched_unless_allowed() {
    let remote = RemoteServer::start(&["carol"], |_| Vec::new()).await;
    let hub = TestHub::start().await;
    let inbox = alice_inbox(&hub);
    let body = carol_to_alice(&remote, &hub, "ssrf");
    let refused = deliver(&remote, &inbox, body, Some(("carol", SystemTime::now()))).await;
    assert_eq!(refused.status, 401);
    assert!(
        String::from_utf8_lossy(&refused.body).contains("non-public address"),
        "{:?}",
        refused.body
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_follow_across_hubs_is_accepted_and_the_followed_actors_posts_reach_the_follower() {
    let a = federating_hub().await;
    let b = federating_hub().await;
    let bob = format!("{}/users/bob", b.base);
    let follow = json!({"type": "Follow", "object": bob, "to": [bob]});
    assert_eq!(
        post_over_socket(&a, "alice", ALICE, &follow, &bob).await,
        "delivered"
    );

    let received = wait_for_type(&b, "bob", BOB, "Follow").await;
    assert_eq!(
        received["actor"],
        Value::from(format!("{}/users/alice", a.base))
    );
    let accept = wait_for_type(&a, "alice", ALICE, "Accept").await;
    assert_eq!(accept["actor"], Value::from(bob.clone()));
    assert_eq!(accept["object"]["type"], "Follow");

    // bob posts to his followers only: alice on A is one.
    let followers = format!("{bob}/followers");
    let note = json!({"type": "Note", "content": "for my followers", "to": [followers]});
    let alice = format!("{}/users/alice", a.base);
    assert_eq!(
        post_over_socket(&b, "bob", BOB, &note, &alice).await,
        "delivered"
    );
    wait_for_inbox(&a, &["for my followers", ""]).await;
    a.stop().await;
    b.stop().await;
}
