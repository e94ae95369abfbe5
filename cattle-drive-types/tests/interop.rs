//! Interop with the real pydantic models: every message this crate writes, and every fixture
//! after a decode/encode round trip, is checked by `tests/interop/check_models.py` against
//! cattle_grid 0.5.22 and almabtrieb 0.3.0 (venv `cattle-interop`, made by `scripts/test`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use cattle_drive_types::client::{Client, ClientConfig};
use cattle_drive_types::message::{
    ActivityMessage, ActorDocument, ActorInformation, Body, CreateActorRequest, DeleteActorMessage,
    EventInformation, EventType, FetchMessage, FetchResponse, IdentifierAction, InfoRequest,
    Limits, Message, MethodInformation, PropertyValueAction, Request, Response, Trigger,
    TriggerMessage, TriggerResponse, UpdateAction, UpdateActorMessage, UrlAction,
};
use cattle_drive_types::server::{CowDrive, CowDriveAction, Server, ServerConfig};
use cattle_drive_types::topic::{AccountName, MessageKind, RoutingKey, Transport, TriggerMethod};
use serde_json::{Map, Value, json};

const ACTOR: &str = "http://abel/actor/6Xy1vQb2x0sQ";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("object expected, got {other}"),
    }
}

struct Item {
    label: String,
    kind: MessageKind,
    body: Vec<u8>,
}

fn item(label: &str, kind: MessageKind, body: Vec<u8>) -> Item {
    Item {
        label: label.to_owned(),
        kind,
        body,
    }
}

/// One of each message the crate writes, built through its public API.
fn written_by_the_crate() -> Vec<Item> {
    let alice = AccountName::new("alice").unwrap_or_else(|e| panic!("{e}"));
    let now = Instant::now();
    let mut client = Client::new(alice.clone(), ClientConfig::default(), 5);
    let mut items = Vec::new();
    let mut send = |label: &str, out: Result<cattle_drive_types::client::Outgoing, _>| {
        let out: cattle_drive_types::client::Outgoing =
            out.unwrap_or_else(|e: cattle_drive_types::client::ClientError| panic!("{label}: {e}"));
        items.push(item(label, out.kind, out.body));
    };

    send(
        "request info",
        client.request(now, Request::Info(InfoRequest)),
    );
    let mut create = CreateActorRequest::new("http://abel");
    create.name = Some("Alice".into());
    create.preferred_username = Some("alice".into());
    create.profile = object(json!({"summary": "A new actor"}));
    create.automatically_accept_followers = Some(false);
    send(
        "request create_actor (all fields)",
        client.request(now, Request::CreateActor(create)),
    );
    send(
        "request create_actor (minimal)",
        client.request(
            now,
            Request::CreateActor(CreateActorRequest::new("http://abel")),
        ),
    );
    send(
        "request fetch",
        client.request(
            now,
            Request::Fetch(FetchMessage::new(ACTOR, "http://banach/actor/remote")),
        ),
    );

    let note = json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "actor": ACTOR,
        "object": {"type": "Note", "content": "moo"}});
    send(
        "trigger send_message",
        client.trigger(
            now,
            Trigger::SendMessage(ActivityMessage::new(ACTOR, object(note.clone()))),
        ),
    );
    let mut update = UpdateActorMessage::new(ACTOR);
    update.profile = Some(object(json!({"summary": "updated"})));
    update.auto_follow = Some(true);
    update.actions = vec![
        UpdateAction::identifier(
            IdentifierAction::AddIdentifier,
            "acct:alice@other.example",
            false,
        ),
        UpdateAction::identifier(IdentifierAction::CreateIdentifier, "acct:alice@abel", true),
        UpdateAction::identifier(IdentifierAction::UpdateIdentifier, "acct:alice@abel", true),
        UpdateAction::rename("Alice (renamed)"),
        UpdateAction::property_value(
            PropertyValueAction::UpdatePropertyValue,
            "author",
            Some("Alice".into()),
        ),
        UpdateAction::property_value(PropertyValueAction::RemovePropertyValue, "obsolete", None),
        UpdateAction::url(
            UrlAction::AddUrl,
            "https://alice.example",
            Some("text/html".into()),
            Some("me".into()),
        ),
        UpdateAction::url(UrlAction::RemoveUrl, "https://old.example", None, None),
    ];
    send(
        "trigger update_actor (every action)",
        client.trigger(now, Trigger::UpdateActor(update)),
    );
    send(
        "trigger update_actor (empty)",
        client.trigger(now, Trigger::UpdateActor(UpdateActorMessage::new(ACTOR))),
    );
    send(
        "trigger delete_actor",
        client.trigger(now, Trigger::DeleteActor(DeleteActorMessage::new(ACTOR))),
    );
    let method = TriggerMethod::new("publish_object").unwrap_or_else(|e| panic!("{e}"));
    let message =
        TriggerMessage::new(ACTOR).with("data", json!({"type": "Note", "content": "moo"}));
    send(
        "trigger extension",
        client.trigger(now, Trigger::Extension { method, message }),
    );

    let server = Server::new(ServerConfig::default());
    let inbound = |key: &str, body: &[u8]| {
        server
            .handle_publish(
                Some(&alice),
                key,
                Some("5d2c9f8e-0000-4000-8000-000000000000"),
                body,
            )
            .unwrap_or_else(|e| panic!("{key}: {e}"))
    };
    let info_in = inbound("send.alice.request.info", b"{}");
    let mut info = server.info_response(&alice);
    info.actors.push(ActorInformation::new(ACTOR, "Alice"));
    info.base_urls = vec!["http://abel".into(), "http://banach".into()];
    info.method_information = MethodInformation::built_in();
    let mut export = MethodInformation::new(
        "html_display_export",
        "cattle_grid.extensions.examples.html_display",
    );
    export.description = Some("Provides a token and download link for the export".into());
    export.replies = true;
    info.method_information.push(export);
    let mut out = Vec::new();
    let mut push = |label: &str, o: cattle_drive_types::server::Outbound| {
        out.push(item(label, o.kind, o.body))
    };
    let respond = |inb: &cattle_drive_types::server::Inbound, r: Response| {
        server.respond(inb, &r).unwrap_or_else(|e| panic!("{e}"))
    };
    push("response info", respond(&info_in, Response::Info(info)));
    let create_in = inbound(
        "send.alice.request.create_actor",
        br#"{"baseUrl":"http://abel"}"#,
    );
    let actor = object(
        json!({"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": ACTOR, "type": "Person", "inbox": "http://abel/inbox/1", "outbox": "http://abel/outbox/1"}),
    );
    push(
        "response create_actor",
        respond(&create_in, Response::CreateActor(ActorDocument(actor))),
    );
    let fetch_in = inbound(
        "send.alice.request.fetch",
        format!(r#"{{"actor":"{ACTOR}","uri":"http://banach/o"}}"#).as_bytes(),
    );
    let person = object(
        json!({"id": "http://banach/o", "type": "Person", "inbox": "http://banach/o/inbox"}),
    );
    push(
        "response fetch",
        respond(
            &fetch_in,
            Response::Fetch(FetchResponse::new(ACTOR, "http://banach/o", Some(person))),
        ),
    );
    push(
        "response fetch (null data)",
        respond(
            &fetch_in,
            Response::Fetch(FetchResponse::new(ACTOR, "http://banach/o", None)),
        ),
    );
    push(
        "response fetch (tombstone)",
        respond(
            &fetch_in,
            Response::Fetch(FetchResponse::tombstone(ACTOR, "http://banach/o")),
        ),
    );
    let trigger_in = inbound(
        "send.alice.trigger.html_display_export",
        format!(r#"{{"actor":"{ACTOR}"}}"#).as_bytes(),
    );
    push(
        "response trigger",
        respond(
            &trigger_in,
            Response::Trigger(TriggerResponse(json!({"actor": ACTOR, "token": "t"}))),
        ),
    );
    let follow =
        object(json!({"type": "Follow", "actor": "http://banach/actor/remote", "object": ACTOR}));
    for (label, event_type, activity) in [
        ("event incoming", EventType::Incoming, follow),
        ("event outgoing", EventType::Outgoing, object(note)),
    ] {
        let event = EventInformation::new(event_type, ACTOR, activity);
        push(
            label,
            server
                .event(&alice, &event, None)
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    push(
        "error (exception)",
        server.fail(
            &create_in,
            "Base URL http://unknown.example not in allowed base urls",
        ),
    );
    push("error (simple)", server.something_went_wrong(&fetch_in));
    let [exception, simple] = server.fetch_failed(
        &fetch_in,
        &FetchMessage::new(ACTOR, "http://banach/o"),
        "Cannot connect to host banach:80",
    );
    push("error (failed fetch, exception)", exception);
    push("error (failed fetch, simple)", simple);
    let rejected = server.handle_publish(
        None,
        "send.alice.trigger.delete_actor",
        None,
        br#"{"actor":"a","x":1}"#,
    );
    let reply = rejected
        .err()
        .and_then(|r| r.reply().cloned())
        .unwrap_or_else(|| panic!("a reply"));
    push("error (refused body)", reply);
    let cow = CowDrive::new(
        server.clone(),
        alice.clone(),
        ActorInformation::new(ACTOR, "Cow"),
    );
    match cow.handle_publish(None, "send.alice.request.info", None, b"{}") {
        Ok(CowDriveAction::Reply(o)) => push("response info (CowDrive)", o),
        other => panic!("CowDrive info: {other:?}"),
    }
    items.extend(out);
    items
}

/// Every fixture, decoded and written again.
fn fixtures_rewritten() -> Vec<Item> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(data.join("manifest.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("manifest: {e}"));
    let Value::Object(entries) = manifest else {
        panic!("manifest must be an object")
    };
    entries
        .into_iter()
        .map(|(file, entry)| {
            let bytes = std::fs::read(data.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let key = RoutingKey::parse(
                entry["amqp_routing_key"].as_str().unwrap_or_default(),
                Transport::Amqp,
            )
            .unwrap_or_else(|e| panic!("{file}: {e}"));
            let message = Message::decode(&key.route, &bytes, &Limits::default())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            item(&format!("fixture {file}"), key.kind(), message.to_json())
        })
        .collect()
}

fn python() -> Option<PathBuf> {
    // The root is resolved first: the venv's `python` is a symlink that must be run by its own path.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root
        .canonicalize()
        .unwrap_or(root)
        .join(".venvs/cattle-interop/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("FEDI_TEST_STRICT").is_none(),
        "the cattle-interop venv is missing ({}): run scripts/test",
        python.display()
    );
    eprintln!(
        "skipping: the cattle-interop venv is missing; run scripts/test (or scripts/venv cattle-interop)"
    );
    None
}

#[test]
fn every_written_message_is_accepted_by_cattle_grid_and_almabtrieb() {
    let Some(python) = python() else { return };
    let items: Vec<Item> = written_by_the_crate()
        .into_iter()
        .chain(fixtures_rewritten())
        .collect();
    let kinds: std::collections::BTreeSet<MessageKind> = items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds.len(), MessageKind::ALL.len(), "every kind is covered");
    let mut input = Vec::new();
    for i in &items {
        let body: Value =
            serde_json::from_slice(&i.body).unwrap_or_else(|e| panic!("{}: {e}", i.label));
        let line = json!({"label": i.label, "kind": i.kind.as_str(), "body": body});
        input.extend_from_slice(line.to_string().as_bytes());
        input.push(b'\n');
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/check_models.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(&input)
            .unwrap_or_else(|e| panic!("stdin: {e}"));
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("check_models.py: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let oks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(
        output.status.success() && oks == items.len(),
        "check_models.py refused some bodies:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn written_bodies_decode_again_to_the_same_message() {
    for i in written_by_the_crate() {
        let route = match i.kind {
            MessageKind::EventIncoming => "receive.alice.incoming.Follow",
            MessageKind::EventOutgoing => "receive.alice.outgoing.Create",
            MessageKind::Error => "error.alice",
            MessageKind::RequestInfo => "send.alice.request.info",
            MessageKind::RequestCreateActor => "send.alice.request.create_actor",
            MessageKind::RequestFetch => "send.alice.request.fetch",
            MessageKind::TriggerSendMessage => "send.alice.trigger.send_message",
            MessageKind::TriggerUpdateActor => "send.alice.trigger.update_actor",
            MessageKind::TriggerDeleteActor => "send.alice.trigger.delete_actor",
            MessageKind::TriggerGeneric => "send.alice.trigger.publish_object",
            MessageKind::ResponseInfo => "receive.alice.response.info",
            MessageKind::ResponseCreateActor => "receive.alice.response.create_actor",
            MessageKind::ResponseFetch => "receive.alice.response.fetch",
            MessageKind::ResponseTrigger => "receive.alice.response.trigger",
            other => panic!("unexpected kind {other}"),
        };
        let key = RoutingKey::parse(route, Transport::Amqp).unwrap_or_else(|e| panic!("{e}"));
        let message = Message::decode(&key.route, &i.body, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", i.label));
        assert_eq!(message.to_json(), i.body, "{}", i.label);
    }
    let _ = InfoRequest.to_json();
}
