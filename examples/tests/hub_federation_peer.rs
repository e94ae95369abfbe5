//! Federation with an independent ActivityPub server: a real cattle_grid 0.5.22 (Python, on
//! bovine) and a fedi-hub on loopback exchange notes in both directions over HTTP, each
//! fetching the other's actor with a signed GET and verifying the other's signed POST.
//!
//! cattle_grid runs behind its front (`cattle_common::front`: the signature check a
//! cattle_grid deployment's reverse proxy asks `/auth/auth` for); its account is driven over the
//! Cattle Drive AMQP API. Needs the `cattle-interop` venv, RabbitMQ on 127.0.0.1:5672 and
//! `rabbitmqctl`; skips with a notice without them unless FEDI_TEST_STRICT is set.

#[allow(dead_code, reason = "each test file uses a part of the shared helpers")]
mod cattle_common;
mod hub_common;

use std::time::Duration;

use cattle_common::grid::{CattleGrid, skip, venv_python};
use cattle_common::{account, seed, service_up, unique_suffix};
use cattle_drive_types::client::{Client, ClientConfig, ClientEvent};
use cattle_drive_types::message::{
    ActivityMessage, CreateActorRequest, EventType, Request, Response, Trigger,
};
use cattle_drive_types::topic::Transport;
use fedi_examples::cattle::amqp::AmqpLink;
use fedi_examples::cattle::{CattleClient, TriggerOutcome};
use hub_common::{ALICE, PATIENCE, TestHub, federating, get, post_over_socket};
use serde_json::{Value, json};

/// Waits until alice's inbox on `hub` holds an activity whose object has `content`.
async fn wait_for_content(hub: &TestHub, content: &str, grid: &CattleGrid) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let page = get(
            &format!("{}/users/alice/inbox?page=true", hub.base),
            Some(ALICE),
        )
        .await
        .json();
        if let Some(found) = page["orderedItems"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["object"]["content"] == content)
        {
            return found.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alice's inbox: {page}\ncattle_grid log:\n{}",
            grid.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_goes_each_way_between_the_hub_and_cattle_grid() {
    if !service_up("127.0.0.1:5672", "RabbitMQ") {
        return;
    }
    let Some(python) = venv_python() else {
        skip("the cattle-interop venv is missing");
        return;
    };
    let suffix = unique_suffix();
    let owner = account("peer", &suffix);
    let grid = match CattleGrid::federating(&python, &owner, &suffix) {
        Ok(grid) => grid,
        Err(error) => {
            skip(&format!("cannot start cattle_grid: {error}"));
            return;
        }
    };
    let hub = TestHub::start_with(federating()).await;
    let alice = format!("{}/users/alice", hub.base);

    let mut config = ClientConfig::new(Transport::Amqp);
    config.request_timeout = Duration::from_secs(1);
    config.trigger_error_window = Duration::from_secs(3);
    let core = Client::new(owner.clone(), config, seed());
    let queue = format!("cattle-peer-client-{suffix}");
    let (link, deliveries) =
        AmqpLink::connect(&grid.amqp_uri(), None, &queue, &core.subscriptions())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let mut client = CattleClient::start(core, link, deliveries).unwrap_or_else(|e| panic!("{e}"));
    grid.wait_for_info(&client).await;

    let mut create = CreateActorRequest::new(&grid.base_url);
    create.preferred_username = Some("moo".into());
    let created = client.request(Request::CreateActor(create)).await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}\n{}", grid.log())
    };
    let moo = actor.id().unwrap_or_default().to_owned();
    assert!(moo.starts_with(&grid.base_url), "{moo}");

    // cattle_grid to the hub: cattle_grid fetches alice (signed by its own key-fetching actor),
    // signs the delivery with moo's RSA key; the hub fetches moo's key (signed as alice, which
    // cattle_grid's front checks against the hub), verifies and stores.
    let note = format!("{moo}/notes/1");
    let Value::Object(activity) = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create", "id": format!("{note}/activity"), "actor": moo, "to": [alice],
        "object": {"type": "Note", "id": note, "attributedTo": moo, "to": [alice],
                   "content": "moo to alice"}})
    else {
        unreachable!()
    };
    let sent = client
        .trigger(Trigger::SendMessage(ActivityMessage::new(&moo, activity)))
        .await;
    assert!(
        matches!(sent, Ok(TriggerOutcome::Sent(_))),
        "send_message: {sent:?}"
    );
    let arrived = wait_for_content(&hub, "moo to alice", &grid).await;
    assert_eq!(arrived["actor"], Value::from(moo.clone()));
    assert_eq!(arrived["type"], "Create");
    // The outgoing event of the send comes to the account too.
    match grid.next_event(&mut client).await {
        ClientEvent::Event {
            activity_type,
            event,
            ..
        } => {
            assert_eq!(activity_type, "Create");
            assert_eq!(event.event_type, EventType::Outgoing);
        }
        other => panic!("outgoing event: {other:?}"),
    }

    // The hub to cattle_grid: alice's post is delivered to moo's inbox (moo's document fetched
    // signed as alice, the delivery signed with alice's Ed25519 key), and cattle_grid hands it
    // to moo's account as an incoming event.
    let post = json!({"type": "Note", "content": "alice to moo", "to": [moo]});
    let status = post_over_socket(&hub, "alice", ALICE, &post, &moo).await;
    assert_eq!(status, "delivered", "cattle_grid log:\n{}", grid.log());
    let incoming = loop {
        match grid.next_event(&mut client).await {
            ClientEvent::Event {
                activity_type,
                event,
                ..
            } if activity_type == "Create" && event.event_type == EventType::Incoming => {
                break event;
            }
            other => eprintln!("skipped event: {other:?}"),
        }
    };
    assert_eq!(incoming.actor, moo);
    let raw = incoming.raw().unwrap_or_else(|| panic!("{incoming:?}"));
    assert_eq!(raw.get("actor"), Some(&Value::from(alice.clone())));
    assert_eq!(
        raw.get("object").and_then(|o| o.get("content")),
        Some(&json!("alice to moo"))
    );
    hub.stop().await;
}
