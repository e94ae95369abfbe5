//! What the AMQP and MQTT Cattle Drive tests share: names, the broker check, and the protocol
//! walk both transports must pass; and a real cattle_grid process ([`grid`]) with its HTTP
//! front ([`front`]).

pub(crate) mod front;
pub(crate) mod grid;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cattle_drive_types::client::{ClientConfig, ClientEvent, RequestFailure};
use cattle_drive_types::message::{
    ActivityMessage, CreateActorRequest, DeleteActorMessage, ErrorBody, ErrorMessage, FetchMessage,
    InfoRequest, Message, Request, Response, Trigger, TriggerMessage,
};
use cattle_drive_types::server::{Rejection, Server, ServerConfig};
use cattle_drive_types::topic::{AccountName, Transport, TriggerMethod};
use fedi_examples::cattle::service::{AccountService, PUBLISH_NOTE_METHOD};
use fedi_examples::cattle::{
    CattleClient, Delivery, Link, RequestError, ServeRejection, TriggerOutcome, serve,
};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

/// Base URL the test accounts may create actors under.
pub(crate) const BASE_URL: &str = "http://abel.test";
/// An object the service can fetch.
pub(crate) const KNOWN_OBJECT: &str = "http://banach.test/note/1";

/// Whether a missing service must fail the test (`scripts/test` sets it).
pub(crate) fn strict() -> bool {
    std::env::var_os("FEDI_TEST_STRICT").is_some()
}

/// Skips (returns false) with a notice, or fails under `FEDI_TEST_STRICT`, when `addr` does not
/// accept TCP connections.
pub(crate) fn service_up(addr: &str, what: &str) -> bool {
    if std::net::TcpStream::connect_timeout(
        &addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}")),
        Duration::from_secs(2),
    )
    .is_ok()
    {
        return true;
    }
    assert!(
        !strict(),
        "{what} is not listening on {addr}: run scripts/test on a machine with the local services"
    );
    eprintln!("skipping: {what} is not listening on {addr}");
    false
}

/// A suffix unique to this test run and test.
pub(crate) fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40);
    format!("{:08x}", (mixed ^ (mixed >> 29)) & 0xFFFF_FFFF)
}

/// An account name `{prefix}_{suffix}` (at most 16 characters).
pub(crate) fn account(prefix: &str, suffix: &str) -> AccountName {
    AccountName::new(format!("{prefix}_{suffix}")).unwrap_or_else(|e| panic!("{e}"))
}

/// A seed for correlation ids, different per run.
pub(crate) fn seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
}

/// Client settings with short waits.
pub(crate) fn config(mut config: ClientConfig, timeout: Duration) -> ClientConfig {
    config.request_timeout = timeout;
    config.trigger_error_window = timeout;
    config
}

/// The object the service serves for [`KNOWN_OBJECT`].
pub(crate) fn known_object() -> Map<String, Value> {
    let Value::Object(map) = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": KNOWN_OBJECT,
        "type": "Note", "content": "moo"})
    else {
        unreachable!()
    };
    map
}

/// Runs `rabbitmqctl` with `args`; the error is its standard error.
pub(crate) fn rabbitmqctl(args: &[&str]) -> Result<(), String> {
    let output = std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .map_err(|e| format!("rabbitmqctl: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "rabbitmqctl {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The test server: the in-memory account service for `accounts` (allowed [`BASE_URL`],
/// serving [`KNOWN_OBJECT`]) behind `serve` on `link`. Returns the list its refusals are
/// recorded in, as `no login: …`, `unauthorized: …` or `refused: …`.
pub(crate) fn spawn_service<L: Link>(
    link: L,
    deliveries: mpsc::Receiver<Delivery>,
    accounts: &[&AccountName],
    transport: Transport,
    require_login: bool,
) -> Arc<Mutex<Vec<String>>> {
    let mut service = AccountService::new();
    for account in accounts {
        service.add_account((*account).clone(), vec![BASE_URL.to_owned()]);
    }
    service.add_object(known_object());
    let rejections = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&rejections);
    tokio::spawn(async move {
        let server = Server::new(ServerConfig::new(transport));
        let handler = |inbound| std::future::ready(service.handle(&server, &inbound));
        let record = |rejection| {
            let text = match rejection {
                ServeRejection::NoLogin { topic } => format!("no login: {topic}"),
                ServeRejection::Refused(Rejection::Unauthorized(e)) => format!("unauthorized: {e}"),
                ServeRejection::Refused(other) => format!("refused: {other}"),
                other => format!("{other:?}"),
            };
            recorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(text);
        };
        serve(&link, deliveries, &server, require_login, handler, record).await;
    });
    rejections
}

/// The client's next unsolicited event, waiting at most `wait`.
pub(crate) async fn next_event_within(
    client: &mut CattleClient,
    wait: Duration,
) -> Option<ClientEvent> {
    tokio::time::timeout(wait, client.next_event())
        .await
        .ok()
        .flatten()
}

async fn next_event(client: &mut CattleClient) -> ClientEvent {
    next_event_within(client, Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no event within 5 s"))
}

/// Walks the protocol: info, create_actor (accepted and refused), concurrent fetches and info,
/// a failing fetch with its two errors, send_message and its outgoing event, a replying trigger
/// whose event carries the same correlation id, delete_actor. Returns the created actor's id.
pub(crate) async fn walk_the_protocol(client: &mut CattleClient, account: &AccountName) -> String {
    let info = client.request(Request::Info(InfoRequest)).await;
    let Ok(Response::Info(info)) = info else {
        panic!("info: {info:?}")
    };
    assert_eq!(info.account_name, account.as_str());
    assert!(info.actors.is_empty());
    assert!(info.method_replies(PUBLISH_NOTE_METHOD));

    let mut create = CreateActorRequest::new(BASE_URL);
    create.name = Some("Alice".into());
    create.preferred_username = Some("alice".into());
    let created = client.request(Request::CreateActor(create)).await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}")
    };
    let actor_id = actor
        .id()
        .unwrap_or_else(|| panic!("actor without id"))
        .to_owned();
    assert!(actor_id.starts_with(BASE_URL), "{actor_id}");
    assert_eq!(actor.preferred_username(), Some("alice"));

    let error = refused_create_actor(client, "http://unknown.example").await;
    assert!(
        error.routing_key.ends_with("request.create_actor")
            || error.routing_key.ends_with("request/create_actor")
    );

    // Three requests in flight at once; each gets its own answer.
    let fetch = || client.request(Request::Fetch(FetchMessage::new(&actor_id, KNOWN_OBJECT)));
    let (a, b, info) = tokio::join!(fetch(), fetch(), client.request(Request::Info(InfoRequest)));
    for fetched in [a, b] {
        let Ok(Response::Fetch(fetched)) = fetched else {
            panic!("fetch: {fetched:?}")
        };
        assert_eq!(fetched.data, Some(known_object()));
    }
    let Ok(Response::Info(info)) = info else {
        panic!("info: {info:?}")
    };
    assert_eq!(info.actors.len(), 1);
    assert_eq!(
        info.actors
            .first()
            .map(|a| (a.id.as_str(), a.name.as_str())),
        Some((actor_id.as_str(), "Alice"))
    );

    // A failing fetch: the first error fails the request, the second is tolerated.
    let missing = client
        .request(Request::Fetch(FetchMessage::new(
            &actor_id,
            "http://banach.test/missing",
        )))
        .await;
    let Err(RequestError::Failed(RequestFailure::Error(ErrorBody::Exception(first)))) = missing
    else {
        panic!("{missing:?}")
    };
    // As cattle_grid: the exception of its internal fetch_object, naming the fetch.
    assert_eq!(first.routing_key, "fetch_object");
    assert_eq!(
        serde_json::from_str::<Value>(&first.original_message_body).ok(),
        Some(json!({"actor": actor_id, "uri": "http://banach.test/missing"}))
    );
    match next_event(client).await {
        ClientEvent::Unsolicited {
            message: Message::Error(ErrorBody::Simple(e)),
            correlation_id: Some(_),
            ..
        } => {
            assert_eq!(e.error, "Something went wrong");
        }
        other => panic!("second fetch error: {other:?}"),
    }

    // send_message: fire and forget; the outgoing event carries the trigger's id.
    let Value::Object(create_note) = json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
        "actor": actor_id, "object": {"type": "Note", "content": "moo"}})
    else {
        unreachable!()
    };
    let sent = client
        .trigger(Trigger::SendMessage(ActivityMessage::new(
            &actor_id,
            create_note,
        )))
        .await;
    let Ok(TriggerOutcome::Sent(sent_id)) = sent else {
        panic!("send_message: {sent:?}")
    };
    match next_event(client).await {
        ClientEvent::Event {
            activity_type,
            event,
            correlation_id,
        } => {
            assert_eq!(activity_type, "Create");
            assert_eq!(correlation_id.as_deref(), Some(sent_id.as_str()));
            assert_eq!(
                event
                    .raw()
                    .and_then(|r| r.get("object"))
                    .and_then(|o| o.get("content")),
                Some(&json!("moo"))
            );
        }
        other => panic!("send_message event: {other:?}"),
    }

    // A replying trigger: the reply resolves it (the serving loop publishes it before the
    // outgoing event, which carries the same correlation id and comes as an event).
    let method = TriggerMethod::new(PUBLISH_NOTE_METHOD).unwrap_or_else(|e| panic!("{e}"));
    let message = TriggerMessage::new(&actor_id).with("content", json!("hello"));
    let replied = client.trigger(Trigger::Extension { method, message }).await;
    let Ok(TriggerOutcome::Replied(trigger_id, Response::Trigger(reply))) = replied else {
        panic!("publish_note: {replied:?}")
    };
    let note_id = reply
        .0
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    assert!(note_id.starts_with(&actor_id), "{note_id}");
    match next_event(client).await {
        ClientEvent::Event {
            correlation_id,
            event,
            ..
        } => {
            assert_eq!(correlation_id.as_deref(), Some(trigger_id.as_str()));
            assert_eq!(
                event
                    .raw()
                    .and_then(|r| r.get("object"))
                    .and_then(|o| o.get("id")),
                Some(&json!(note_id))
            );
        }
        other => panic!("publish_note event: {other:?}"),
    }
    actor_id
}

/// Deletes the actor and checks its outgoing Delete.
pub(crate) async fn delete_actor(client: &mut CattleClient, actor_id: &str) {
    let deleted = client
        .trigger(Trigger::DeleteActor(DeleteActorMessage::new(actor_id)))
        .await;
    let Ok(TriggerOutcome::Sent(id)) = deleted else {
        panic!("delete_actor: {deleted:?}")
    };
    match next_event(client).await {
        ClientEvent::Event {
            activity_type,
            correlation_id,
            ..
        } => {
            assert_eq!(activity_type, "Delete");
            assert_eq!(correlation_id.as_deref(), Some(id.as_str()));
        }
        other => panic!("delete_actor event: {other:?}"),
    }
    let info = client.request(Request::Info(InfoRequest)).await;
    let Ok(Response::Info(info)) = info else {
        panic!("info: {info:?}")
    };
    assert!(info.actors.is_empty(), "{:?}", info.actors);
}

/// Publishes, as the server side would, an incoming Follow of `actor_id` through `injector`
/// and checks that the client gets it as an event without correlation id.
pub(crate) async fn deliver_follow<L: Link>(
    injector: &L,
    transport: Transport,
    account: &AccountName,
    client: &mut CattleClient,
    actor_id: &str,
) {
    let server = Server::new(ServerConfig::new(transport));
    let out = AccountService::new().incoming(&server, account, actor_id, follow(actor_id));
    let Some(out) = out else {
        panic!("incoming event")
    };
    let direction = if transport == Transport::Mqtt {
        "receive/"
    } else {
        "receive."
    };
    assert!(
        out.routing_key.starts_with(direction),
        "{}",
        out.routing_key
    );
    injector
        .publish(&out.routing_key, None, &out.body)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match next_event(client).await {
        ClientEvent::Event {
            activity_type,
            event,
            correlation_id,
        } => {
            assert_eq!(activity_type, "Follow");
            assert_eq!(event.actor, actor_id);
            assert_eq!(correlation_id, None);
        }
        other => panic!("incoming event: {other:?}"),
    }
}

/// Asks to create an actor under `base_url`, which the account may not use, and returns the
/// error cattle_grid's exception middleware sends for it.
pub(crate) async fn refused_create_actor(client: &CattleClient, base_url: &str) -> ErrorMessage {
    let refused = client
        .request(Request::CreateActor(CreateActorRequest::new(base_url)))
        .await;
    let Err(RequestError::Failed(RequestFailure::Error(ErrorBody::Exception(error)))) = refused
    else {
        panic!("refused create_actor: {refused:?}")
    };
    assert_eq!(
        error.message,
        vec![format!("Base URL {base_url} not in allowed base urls")]
    );
    error
}

/// A Follow of `actor_id` from a remote actor.
pub(crate) fn follow(actor_id: &str) -> Map<String, Value> {
    let Value::Object(map) = json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
        "id": "http://banach.test/follow/1", "actor": "http://banach.test/actor/bob", "object": actor_id})
    else {
        unreachable!()
    };
    map
}
