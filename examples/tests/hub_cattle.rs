//! Cattle Drive through the hub (`--amqp`) on the real local RabbitMQ (127.0.0.1:5672): a
//! client built from cattle-drive-types (with the AMQP adapter of `fedi_examples::cattle`)
//! gets `info`, creates an actor, which the hub then serves at its id URL to anyone and
//! returns for a `fetch`, sends a message and receives the outgoing event; the message lands
//! in the inbox of the hub account it addresses, and a hub account's post to the drive account
//! arrives as an `incoming` event. On the wire, a replying trigger's response is published
//! before the outgoing event with the same correlation id, and a deleted actor's URL answers
//! `410 Gone`.
//!
//! Actors and what they publish are kept in the hub's database: after a restart on the same
//! SQLite directory (or PostgreSQL database) they answer, list and fetch as before; two
//! instances on one PostgreSQL database answer each message once and serve the same actors.
//!
//! Skipped with a notice when RabbitMQ is not reachable, unless `FEDI_TEST_STRICT` is set.

mod hub_common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cattle_drive_types::client::{Client, ClientConfig, ClientEvent};
use cattle_drive_types::message::{
    ActivityMessage, CreateActorRequest, EventType, FetchMessage, InfoRequest, Request, Response,
    Trigger,
};
use cattle_drive_types::topic::{AccountName, Transport};
use fedi_examples::cattle::amqp::AmqpLink;
use fedi_examples::cattle::{CattleClient, Link, TriggerOutcome};
use fedi_examples::hub::{AccountSeed, CattleConfig, Config, Storage};
use hub_common::{ALICE, PATIENCE, TestDatabase, TestHub, get, post_to_outbox, service_up};
use serde_json::{Value, json};

const BROKER: &str = "127.0.0.1:5672";
const GUEST_URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cattle_drive_client_creates_an_actor_and_sends_through_the_hub() {
    if !service_up("RabbitMQ", BROKER).await {
        return;
    }
    // A name of this run only: routing keys carry it, and other runs share the broker.
    let suffix = format!(
        "{:08x}",
        (nanos() ^ u64::from(std::process::id())) & 0xFFFF_FFFF
    );
    let name = format!("cd_{suffix}");
    let mut config = Config::new(vec![
        AccountSeed::new(name.clone(), format!("token-{suffix}")),
        AccountSeed::new("alice", ALICE),
    ]);
    config.cattle = Some(CattleConfig::amqp(GUEST_URI));
    let hub = TestHub::start_with(config).await;

    let account = AccountName::new(&name).unwrap();
    let mut client_config = ClientConfig::new(Transport::Amqp);
    client_config.request_timeout = Duration::from_secs(10);
    let client = Client::new(account.clone(), client_config, nanos());
    let (link, deliveries) = AmqpLink::connect(
        GUEST_URI,
        None,
        &format!("hub-cattle-client-{suffix}"),
        &client.subscriptions(),
    )
    .await
    .expect("the client connects to RabbitMQ");
    let mut drive = CattleClient::start(client, link, deliveries).unwrap();

    let info = drive.request(Request::Info(InfoRequest)).await;
    let Ok(Response::Info(info)) = info else {
        panic!("info: {info:?}")
    };
    assert_eq!(info.account_name, name);
    assert_eq!(info.base_urls, std::slice::from_ref(&hub.base));
    assert!(info.actors.is_empty());

    let mut create = CreateActorRequest::new(&hub.base);
    create.preferred_username = Some("drover".into());
    let created = drive.request(Request::CreateActor(create)).await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}")
    };
    let actor_id = actor.id().expect("an actor id").to_owned();
    assert!(actor_id.starts_with(&hub.base), "{actor_id}");

    // The actor's id answers, to anyone, with the document create_actor returned.
    let served = get(&actor_id, None).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.header("content-type"),
        Some("application/activity+json")
    );
    assert_eq!(served.json(), Value::Object(actor.0.clone()));
    assert_eq!(served.json()["preferredUsername"], "drover");
    assert_eq!(
        get(&format!("{}/actor/999", hub.base), None).await.status,
        404
    );
    let posted = hub_common::request("POST", &actor_id, &[], "{}").await;
    assert_eq!(posted.status, 405);
    // A fetch of it returns the same document.
    let fetched = drive
        .request(Request::Fetch(FetchMessage::new(&actor_id, &actor_id)))
        .await;
    let Ok(Response::Fetch(fetched)) = fetched else {
        panic!("fetch: {fetched:?}")
    };
    assert_eq!(fetched.data.as_ref(), Some(&actor.0));

    let alice = format!("{}/users/alice", hub.base);
    let Value::Object(note) = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "actor": actor_id,
        "to": [alice],
        "object": {"type": "Note", "content": "moo from the drive", "to": [alice]},
    }) else {
        unreachable!()
    };
    let sent = drive
        .trigger(Trigger::SendMessage(ActivityMessage::new(&actor_id, note)))
        .await;
    let Ok(TriggerOutcome::Sent(sent_id)) = sent else {
        panic!("send_message: {sent:?}")
    };
    let event = tokio::time::timeout(PATIENCE, drive.next_event())
        .await
        .expect("the outgoing event arrives")
        .expect("the client is running");
    match event {
        ClientEvent::Event {
            activity_type,
            event,
            correlation_id,
        } => {
            assert_eq!(activity_type, "Create");
            assert_eq!(correlation_id.as_deref(), Some(sent_id.as_str()));
            let content = event
                .raw()
                .and_then(|r| r.get("object"))
                .and_then(|o| o.get("content"));
            assert_eq!(content, Some(&json!("moo from the drive")));
        }
        other => panic!("expected the outgoing event, got {other:?}"),
    }

    // The message also reached the hub account it addresses.
    let inbox = get(&format!("{alice}/inbox?page=true"), Some(ALICE))
        .await
        .json();
    assert_eq!(
        inbox["orderedItems"][0]["object"]["content"], "moo from the drive",
        "{inbox}"
    );

    // And a hub account's post to the drive account's hub actor is an incoming event.
    let note = json!({"type": "Note", "content": "hello drover",
        "to": [format!("{}/users/{name}", hub.base)]});
    let posted = post_to_outbox(&hub.base, "alice", ALICE, &note).await;
    assert_eq!(posted.status, 201);
    let event = tokio::time::timeout(PATIENCE, drive.next_event())
        .await
        .expect("the incoming event arrives")
        .expect("the client is running");
    match event {
        ClientEvent::Event { event, .. } => {
            assert_eq!(event.event_type, EventType::Incoming);
            assert_eq!(event.actor, format!("{}/users/{name}", hub.base));
            let content = event
                .raw()
                .and_then(|r| r.get("object"))
                .and_then(|o| o.get("content"));
            assert_eq!(content, Some(&json!("hello drover")));
        }
        other => panic!("expected the incoming event, got {other:?}"),
    }

    // On the wire: the reply to a replying trigger comes before its outgoing event (both carry
    // the trigger's correlation id), read in order from a queue of the account's keys.
    let (raw, mut received) = AmqpLink::connect(
        GUEST_URI,
        None,
        &format!("hub-cattle-raw-{suffix}"),
        &[format!("receive.{name}.#")],
    )
    .await
    .expect("a second consumer connects");
    let trigger = json!({"actor": actor_id, "content": "in order"}).to_string();
    raw.publish(
        &format!("send.{name}.trigger.publish_note"),
        Some("order-1"),
        trigger.as_bytes(),
    )
    .await
    .expect("publish the trigger");
    let mut keys = Vec::new();
    while keys.len() < 2 {
        let delivery = tokio::time::timeout(PATIENCE, received.recv())
            .await
            .expect("the answers arrive")
            .expect("the consumer is running");
        if delivery.correlation_id.as_deref() == Some("order-1") {
            keys.push(delivery.topic);
        }
    }
    assert_eq!(
        keys,
        [
            format!("receive.{name}.response.trigger"),
            format!("receive.{name}.outgoing.Create"),
        ]
    );

    // Deleted, the actor's URL answers 410 Gone.
    let delete = json!({"actor": actor_id}).to_string();
    raw.publish(
        &format!("send.{name}.trigger.delete_actor"),
        Some("delete-1"),
        delete.as_bytes(),
    )
    .await
    .expect("publish the delete");
    loop {
        let delivery = tokio::time::timeout(PATIENCE, received.recv())
            .await
            .expect("the Delete arrives")
            .expect("the consumer is running");
        if delivery.topic == format!("receive.{name}.outgoing.Delete") {
            break;
        }
    }
    assert_eq!(get(&actor_id, None).await.status, 410);
    raw.close().await;
    hub.stop().await;
}

/// A name of this run only: routing keys carry it, and other runs share the broker.
fn run_suffix() -> String {
    format!(
        "{:08x}",
        (nanos() ^ u64::from(std::process::id())) & 0xFFFF_FFFF
    )
}

/// A hub serving account `name` over Cattle Drive, on `storage`, at `port` (the same base URL
/// across restarts, so actor ids stay valid).
async fn drive_hub(name: &str, storage: &Storage, port: u16) -> TestHub {
    let mut config = Config::new(vec![AccountSeed::new(name, format!("token-{name}"))]);
    config.cattle = Some(CattleConfig::amqp(GUEST_URI));
    config.storage = storage.clone();
    config.public_url = Some(format!("http://127.0.0.1:{port}"));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free again");
    TestHub::start_on(config, listener).await
}

/// A Cattle Drive client of account `name`, on its own queue.
async fn drive_client(name: &str, queue: &str) -> CattleClient {
    let account = AccountName::new(name).unwrap();
    let mut client_config = ClientConfig::new(Transport::Amqp);
    client_config.request_timeout = Duration::from_secs(10);
    let client = Client::new(account, client_config, nanos());
    let (link, deliveries) = AmqpLink::connect(GUEST_URI, None, queue, &client.subscriptions())
        .await
        .expect("the client connects to RabbitMQ");
    CattleClient::start(client, link, deliveries).unwrap()
}

async fn create_actor(drive: &mut CattleClient, base: &str, username: &str) -> Value {
    let mut create = CreateActorRequest::new(base);
    create.preferred_username = Some(username.into());
    let created = drive.request(Request::CreateActor(create)).await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}")
    };
    Value::Object(actor.0)
}

async fn actor_ids(drive: &mut CattleClient) -> Vec<String> {
    let info = drive.request(Request::Info(InfoRequest)).await;
    let Ok(Response::Info(info)) = info else {
        panic!("info: {info:?}")
    };
    info.actors.into_iter().map(|a| a.id).collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port")
        .port()
}

async fn actors_survive_a_restart(storage: Storage) {
    let suffix = run_suffix();
    let name = format!("cr_{suffix}");
    let port = free_port();
    let hub = drive_hub(&name, &storage, port).await;
    let base = hub.base.clone();
    let mut drive = drive_client(&name, &format!("hub-cattle-restart-{suffix}-1")).await;
    let kept = create_actor(&mut drive, &base, "kept").await;
    let gone = create_actor(&mut drive, &base, "gone").await;
    let (kept_id, gone_id) = (
        kept["id"].as_str().unwrap().to_owned(),
        gone["id"].as_str().unwrap().to_owned(),
    );
    let deleted = drive
        .trigger(Trigger::DeleteActor(
            cattle_drive_types::message::DeleteActorMessage::new(&gone_id),
        ))
        .await;
    assert!(deleted.is_ok(), "delete_actor: {deleted:?}");
    // The deletion is committed once its outgoing event is published.
    loop {
        let event = tokio::time::timeout(PATIENCE, drive.next_event())
            .await
            .expect("the Delete event arrives")
            .expect("the client is running");
        if let ClientEvent::Event { activity_type, .. } = event
            && activity_type == "Delete"
        {
            break;
        }
    }
    assert_eq!(get(&gone_id, None).await.status, 410);
    assert_eq!(actor_ids(&mut drive).await, std::slice::from_ref(&kept_id));
    drop(drive);
    hub.stop().await;

    let hub = drive_hub(&name, &storage, port).await;
    assert_eq!(hub.base, base);
    let mut drive = drive_client(&name, &format!("hub-cattle-restart-{suffix}-2")).await;
    let served = get(&kept_id, None).await;
    assert_eq!(served.status, 200, "the actor is served after the restart");
    assert_eq!(served.json(), kept);
    assert_eq!(get(&gone_id, None).await.status, 410, "still deleted");
    assert_eq!(actor_ids(&mut drive).await, std::slice::from_ref(&kept_id));
    let fetched = drive
        .request(Request::Fetch(FetchMessage::new(&kept_id, &kept_id)))
        .await;
    let Ok(Response::Fetch(fetched)) = fetched else {
        panic!("fetch: {fetched:?}")
    };
    assert_eq!(fetched.data.map(Value::Object), Some(kept));
    // A new actor gets a new id, never one handed out before the restart.
    let newer = create_actor(&mut drive, &base, "newer").await;
    let newer_id = newer["id"].as_str().unwrap().to_owned();
    assert!(newer_id != kept_id && newer_id != gone_id, "{newer_id}");
    assert_eq!(actor_ids(&mut drive).await, [kept_id, newer_id]);
    drop(drive);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actors_created_over_cattle_drive_survive_a_restart_on_sqlite() {
    if !service_up("RabbitMQ", BROKER).await {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hub_cattle_{}", run_suffix()));
    actors_survive_a_restart(Storage::Directory(dir.join("data"))).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actors_created_over_cattle_drive_survive_a_restart_on_postgresql() {
    if !service_up("RabbitMQ", BROKER).await {
        return;
    }
    if let Some(database) = TestDatabase::create().await {
        actors_survive_a_restart(Storage::Postgres(database.url())).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_answer_each_message_once() {
    if !service_up("RabbitMQ", BROKER).await {
        return;
    }
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let suffix = run_suffix();
    let name = format!("cc_{suffix}");
    let storage = Storage::Postgres(database.url());
    let a = drive_hub(&name, &storage, free_port()).await;
    // B mints the same ids as A: A's address stands for the load balancer's public URL.
    let mut config = Config::new(vec![AccountSeed::new(&name, format!("token-{name}"))]);
    config.cattle = Some(CattleConfig::amqp(GUEST_URI));
    config.storage = storage.clone();
    config.public_url = Some(a.base.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_address = listener.local_addr().unwrap();
    let b = TestHub::start_on(config, listener).await;

    // Everything published to the account, read in order by a second consumer.
    let (raw, mut received) = AmqpLink::connect(
        GUEST_URI,
        None,
        &format!("hub-cattle-pair-raw-{suffix}"),
        &[format!("receive.{name}.#")],
    )
    .await
    .expect("a consumer connects");
    let mut drive = drive_client(&name, &format!("hub-cattle-pair-{suffix}")).await;
    for n in 0..4 {
        create_actor(&mut drive, &a.base, &format!("twin{n}")).await;
    }
    let actors = actor_ids(&mut drive).await;
    assert_eq!(actors.len(), 4, "one actor per create_actor: {actors:?}");
    // Each request was answered once: 4 create_actor answers and 1 info answer, and no more
    // come once both instances had time to answer twice.
    let mut responses = 0;
    while let Ok(Some(delivery)) =
        tokio::time::timeout(Duration::from_secs(1), received.recv()).await
    {
        if delivery
            .topic
            .starts_with(&format!("receive.{name}.response."))
        {
            responses += 1;
        }
    }
    assert_eq!(responses, 5);
    // Both instances serve every actor.
    for actor in &actors {
        assert_eq!(get(actor, None).await.status, 200);
        let path = actor.strip_prefix(&a.base).unwrap();
        assert_eq!(
            get(&format!("http://{b_address}{path}"), None).await.status,
            200
        );
    }
    raw.close().await;
    drop(drive);
    a.stop().await;
    b.stop().await;
}
