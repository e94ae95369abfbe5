//! End to end against a real cattle_grid 0.5.22 process, driven by our Rust client over AMQP:
//! info, create_actor, fetch, send_message.
//!
//! The test starts cattle_grid itself (`cattle_common::grid`: `cattle_grid_e2e/serve.py` in
//! the `cattle-interop` venv, prepared by `scripts/setup/cattle-grid.sh`, with a sqlite file in
//! a fresh directory and its own RabbitMQ virtual host), and removes both when done. Needs the
//! venv, RabbitMQ on 127.0.0.1:5672 and `rabbitmqctl`; skips with a notice without them unless
//! FEDI_TEST_STRICT is set.

#[allow(dead_code, reason = "each test file uses a part of the shared helpers")]
mod cattle_common;

use std::time::{Duration, Instant};

use cattle_common::grid::{CattleGrid, skip, venv_python};
use cattle_common::{account, seed, service_up, unique_suffix};
use cattle_drive_types::client::{Client, ClientConfig, ClientEvent, RequestFailure};
use cattle_drive_types::message::{
    ActivityMessage, CreateActorRequest, ErrorBody, FetchMessage, InfoRequest, Message, Request,
    Response, Trigger,
};
use cattle_drive_types::topic::Transport;
use fedi_examples::cattle::amqp::AmqpLink;
use fedi_examples::cattle::{CattleClient, RequestError, TriggerOutcome};
use serde_json::{Value, json};

/// The base URL cattle_grid is configured with.
const BASE_URL: &str = "http://localhost";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_a_real_cattle_grid() {
    let started = Instant::now();
    if !service_up("127.0.0.1:5672", "RabbitMQ") {
        return;
    }
    let Some(python) = venv_python() else {
        skip("the cattle-interop venv is missing");
        return;
    };
    let suffix = unique_suffix();
    let alice = account("e2e", &suffix);
    let grid = match CattleGrid::start(&python, &alice, &suffix, BASE_URL) {
        Ok(grid) => grid,
        Err(error) => {
            skip(&format!("cannot start cattle_grid: {error}"));
            return;
        }
    };

    let mut config = ClientConfig::new(Transport::Amqp);
    config.request_timeout = Duration::from_secs(1);
    config.trigger_error_window = Duration::from_secs(3);
    let core = Client::new(alice.clone(), config, seed());
    let queue = format!("cattle-e2e-client-{suffix}");
    let (link, deliveries) =
        AmqpLink::connect(&grid.amqp_uri(), None, &queue, &core.subscriptions())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let mut client = CattleClient::start(core, link, deliveries).unwrap_or_else(|e| panic!("{e}"));

    // info: the real server's names and versions.
    let info = grid.wait_for_info(&client).await;
    let ready = started.elapsed();
    assert_eq!(info.account_name, alice.as_str());
    assert_eq!(
        (info.protocol.name.as_str(), info.protocol.version.as_str()),
        ("CattleDrive", "0.1.1")
    );
    assert_eq!(
        (info.backend.name.as_str(), info.backend.version.as_str()),
        ("cattle_grid", "0.5.22")
    );
    assert!(info.actors.is_empty());
    let methods: Vec<&str> = info
        .method_information
        .iter()
        .map(|m| m.routing_key.as_str())
        .collect();
    for built_in in ["send_message", "update_actor", "delete_actor"] {
        assert!(methods.contains(&built_in), "{methods:?}");
    }

    // create_actor, and a refused one.
    let mut create = CreateActorRequest::new(BASE_URL);
    create.preferred_username = Some("alice".into());
    create.name = Some("Alice".into());
    let created = client.request(Request::CreateActor(create)).await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}\n{}", grid.log())
    };
    let actor_id = actor.id().unwrap_or_default().to_owned();
    assert!(actor_id.starts_with(BASE_URL), "{actor_id}");
    assert_eq!(actor.0.get("type"), Some(&json!("Person")));
    assert_eq!(actor.preferred_username(), Some("alice"));
    let error = cattle_common::refused_create_actor(&client, "http://elsewhere.example").await;
    assert_eq!(
        error.routing_key,
        format!("send.{alice}.request.create_actor")
    );
    let info = client.request(Request::Info(InfoRequest)).await;
    let Ok(Response::Info(info)) = info else {
        panic!("info: {info:?}")
    };
    assert_eq!(
        info.actors
            .iter()
            .map(|a| (a.id.as_str(), a.name.as_str()))
            .collect::<Vec<_>>(),
        [(actor_id.as_str(), "Alice")]
    );

    // fetch: without cattle_grid's HTTP front the lookup fails, and cattle_grid answers with two
    // errors carrying the request's id: the exception of its internal fetch_object, then the
    // responder's {"error": "Something went wrong"}. The first fails the request, the second
    // comes as unsolicited.
    let fetched = client
        .request(Request::Fetch(FetchMessage::new(&actor_id, &actor_id)))
        .await;
    let Err(RequestError::Failed(RequestFailure::Error(first))) = fetched else {
        panic!("fetch: {fetched:?}\n{}", grid.log())
    };
    let second = match grid.next_event(&mut client).await {
        ClientEvent::Unsolicited {
            message: Message::Error(body),
            correlation_id: Some(_),
            ..
        } => body,
        other => panic!("second fetch error: {other:?}"),
    };
    let shapes = [&first, &second].map(|b| match b {
        ErrorBody::Exception(m) => format!("exception from {}", m.routing_key),
        ErrorBody::Simple(s) => format!("simple: {}", s.error),
        other => format!("{other:?}"),
    });
    assert_eq!(
        shapes,
        [
            "exception from fetch_object".to_owned(),
            "simple: Something went wrong".to_owned()
        ]
    );

    // send_message: the outgoing event carries the trigger's correlation id and the activity
    // as it was sent.
    let activity = json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
        "id": format!("{actor_id}/create/1"), "actor": actor_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Note", "attributedTo": actor_id, "content": "moo"}});
    let Value::Object(activity) = activity else {
        unreachable!()
    };
    let sent = client
        .trigger(Trigger::SendMessage(ActivityMessage::new(
            &actor_id,
            activity.clone(),
        )))
        .await;
    let Ok(TriggerOutcome::Sent(sent_id)) = sent else {
        panic!("send_message: {sent:?}")
    };
    match grid.next_event(&mut client).await {
        ClientEvent::Event {
            activity_type,
            event,
            correlation_id,
        } => {
            assert_eq!(activity_type, "Create");
            assert_eq!(correlation_id.as_deref(), Some(sent_id.as_str()));
            assert_eq!(event.actor, actor_id);
            assert_eq!(event.raw(), Some(&activity));
            assert_eq!(event.history_id, None);
        }
        other => panic!("send_message event: {other:?}\n{}", grid.log()),
    }
    eprintln!(
        "cattle_grid end to end: ready after {:.1} s, whole test {:.1} s",
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
