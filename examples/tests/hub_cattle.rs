//! Cattle Drive through the hub (`--amqp`) on the real local RabbitMQ (127.0.0.1:5672): a
//! client built from cattle-drive-types (with the AMQP adapter of `fedi_examples::cattle`)
//! gets `info`, creates an actor, which the hub then serves at its id URL to anyone and
//! returns for a `fetch`, sends a message and receives the outgoing event; the message lands
//! in the inbox of the hub account it addresses, and a hub account's post to the drive account
//! arrives as an `incoming` event. On the wire, a replying trigger's response is published
//! before the outgoing event with the same correlation id, and a deleted actor's URL answers
//! `410 Gone`.
//!
//! Skipped with a notice when RabbitMQ is not reachable, unless `FEDI_TEST_STRICT` is set.

mod hub_common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cattle_drive_types::client::{Client, ClientConfig, ClientEvent, CorrelationIds};
use cattle_drive_types::message::{
    ActivityMessage, CreateActorRequest, EventType, FetchMessage, InfoRequest, Request, Response,
    Trigger,
};
use cattle_drive_types::topic::{AccountName, Transport};
use fedi_examples::cattle::amqp::AmqpLink;
use fedi_examples::cattle::{CattleClient, Link, TriggerOutcome};
use fedi_examples::hub::{AccountSeed, CattleConfig, Config};
use hub_common::{ALICE, PATIENCE, TestHub, get, post_to_outbox, service_up};
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
    let client = Client::new(
        account.clone(),
        client_config,
        CorrelationIds::from_seed(nanos()),
    );
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
