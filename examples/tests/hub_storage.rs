//! The hub's durable state, in process: a hub stopped and started again on the same SQLite
//! directory or PostgreSQL database has every post, object, blob and token; ids go on from
//! where they were; a stream resumes from the store; a database it cannot use is a clear error
//! at start. (The crash test, `hub_crash.rs`, kills the real binary instead.)

mod hub_common;

use fedi_examples::hub::{AccountSeed, Config, ServeError, Server, Storage};
use hub_common::{TestDatabase, TestHub, event_stream, get, post_to_outbox};
use serde_json::{Value, json};

/// A hub on `storage` listening on `port` (the same URL across restarts, so ids stay valid),
/// with alice and bob keeping their stored tokens.
async fn hub_on(storage: &Storage, port: u16) -> (TestHub, String, String) {
    let mut config = Config::new(vec![AccountSeed::named("alice"), AccountSeed::named("bob")]);
    config.storage = storage.clone();
    config.public_url = Some(format!("http://127.0.0.1:{port}"));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free again");
    let hub = TestHub::start_on(config, listener).await;
    let (alice, bob) = (hub.tokens()["alice"].clone(), hub.tokens()["bob"].clone());
    (hub, alice, bob)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port")
        .port()
}

fn note_to(base: &str, name: &str, text: &str) -> Value {
    json!({"type": "Note", "content": text, "to": [format!("{base}/users/{name}")]})
}

/// Everything survives a restart; new ids are larger; a stream resumes across it.
async fn restart_keeps_everything(storage: Storage) {
    let port = free_port();
    let (hub, alice, bob) = hub_on(&storage, port).await;
    let base = hub.base.clone();
    let inbox = format!("{base}/users/alice/inbox");
    let mut stream = event_stream(&inbox, &alice, None).await;
    let first = post_to_outbox(&base, "bob", &bob, &note_to(&base, "alice", "before")).await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let location = first.header("location").unwrap().to_owned();
    let seen = stream.next().await;
    let last_id: u64 = seen.last_event_id().parse().unwrap();
    drop(stream);
    let public = json!({"type": "Note", "content": "for everyone",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    let second = post_to_outbox(&base, "alice", &alice, &public).await;
    assert_eq!(second.status, 201);
    let public_location = second.header("location").unwrap().to_owned();
    hub.stop().await;

    let (hub, alice_again, bob_again) = hub_on(&storage, port).await;
    assert_eq!(
        (&alice_again, &bob_again),
        (&alice, &bob),
        "tokens are kept"
    );
    // The objects, for their audience.
    let fetched = get(&location, Some(&alice)).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json()["object"]["content"], "before");
    assert_eq!(get(&location, None).await.status, 404);
    assert_eq!(get(&public_location, None).await.status, 200);
    // A post after the restart: resumed from the last id seen, the stream gets exactly it.
    let mut resumed = event_stream(&inbox, &alice, Some(&last_id.to_string())).await;
    let third = post_to_outbox(&base, "bob", &bob, &note_to(&base, "alice", "after")).await;
    assert_eq!(third.status, 201);
    let event = resumed.next().await;
    let data: Value = serde_json::from_str(event.data()).unwrap();
    assert_eq!(data["object"]["content"], "after");
    let new_id: u64 = event.last_event_id().parse().unwrap();
    assert!(
        new_id > last_id,
        "ids never go back: {new_id} after {last_id}"
    );
    assert!(
        resumed
            .next_within(std::time::Duration::from_millis(300))
            .await
            .is_none(),
        "nothing twice"
    );
    // The collection holds both, newest first.
    let page = get(&format!("{inbox}?page=true"), Some(&alice))
        .await
        .json();
    let contents: Vec<&str> = page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["object"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["after", "before"]);
    hub.stop().await;
}

#[tokio::test]
async fn a_restart_on_sqlite_keeps_everything() {
    let dir = tempdir();
    restart_keeps_everything(Storage::Directory(dir.join("data"))).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("data"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "the data directory is private");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_restart_on_postgresql_keeps_everything() {
    if let Some(database) = TestDatabase::create().await {
        restart_keeps_everything(Storage::Postgres(database.url())).await;
    }
}

#[tokio::test]
async fn a_database_newer_than_the_hub_is_refused_at_start() {
    let dir = tempdir();
    let storage = Storage::Directory(dir.join("data"));
    let (hub, _, _) = hub_on(&storage, free_port()).await;
    hub.stop().await;
    let db = rusqlite::Connection::open(dir.join("data/fedi-hub.sqlite3")).unwrap();
    db.execute(
        "INSERT INTO schema_version (version, applied_at) VALUES (999, 0)",
        [],
    )
    .unwrap();
    drop(db);
    let mut config = Config::new(Vec::new());
    config.storage = storage;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = Server::bind(config, listener).await.err().expect("refused");
    assert!(matches!(error, ServeError::Storage(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("999") && message.contains("newer"),
        "{message}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_unreachable_database_is_refused_at_start() {
    let mut config = Config::new(Vec::new());
    // Nothing listens on port 9 of the loopback.
    config.storage = Storage::Postgres("postgres://postgres@127.0.0.1:9/nothing".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = Server::bind(config, listener).await.err().expect("refused");
    assert!(matches!(error, ServeError::Storage(_)), "{error}");
}

/// A fresh directory under the target's temporary directory.
fn tempdir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "hub_storage_{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
