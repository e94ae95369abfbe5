//! Federation over the wire: WebFinger, actor keys (kept across restarts on SQLite and
//! PostgreSQL).

mod hub_common;

use activitystreams_core::http_signatures::PublicKey;
use activitystreams_core::webfinger::{Acct, Jrd};
use fedi_examples::hub::Storage;
use hub_common::{TestDatabase, TestHub, config, get};
use serde_json::Value;

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
