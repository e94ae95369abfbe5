//! Two peers in memory: a `Client` and a scripted account server built on `Server`, joined by
//! a topic-exchange model with latency, driven by a virtual clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use cattle_drive_types::client::{
    Client, ClientConfig, ClientError, ClientEvent, CorrelationId, Outgoing, RequestFailure,
};
use cattle_drive_types::message::{
    ActivityMessage, ActorDocument, ActorInformation, CreateActorRequest, ErrorBody,
    EventInformation, EventType, FetchMessage, FetchResponse, InfoRequest, MethodInformation,
    Request, Response, Trigger, TriggerMessage, TriggerResponse,
};
use cattle_drive_types::server::{ClientMessage, Inbound, Outbound, Server, ServerConfig};
use cattle_drive_types::topic::{
    AccountName, MessageKind, Transport, TriggerMethod, server_filters,
};
use serde_json::{Value, json};

/// AMQP topic matching: `*` is one word, `#` zero or more.
fn matches(filter: &str, key: &str) -> bool {
    fn go(f: &[&str], k: &[&str]) -> bool {
        match (f.split_first(), k.split_first()) {
            (None, None) => true,
            (Some((&"#", rest)), _) => go(rest, k) || (!k.is_empty() && go(f, &k[1..])),
            (Some((&"*", rest)), Some((_, krest))) => go(rest, krest),
            (Some((w, rest)), Some((kw, krest))) => w == kw && go(rest, krest),
            _ => false,
        }
    }
    let f: Vec<&str> = filter.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    go(&f, &k)
}

struct Delivery {
    at: Instant,
    to_server: bool,
    key: String,
    correlation_id: Option<String>,
    body: Vec<u8>,
    login: Option<AccountName>,
}

/// The scripted server: one account, actors created on demand, a few objects to fetch.
struct AccountServer {
    server: Server,
    actors: Vec<ActorInformation>,
    next_actor: usize,
}

impl AccountServer {
    fn handle(&mut self, inbound: &Inbound) -> Vec<Outbound> {
        let account = inbound.key.account.clone();
        let respond = |server: &Server, response: Response| {
            vec![
                server
                    .respond(inbound, &response)
                    .unwrap_or_else(|e| panic!("{e}")),
            ]
        };
        match &inbound.message {
            ClientMessage::Request(Request::Info(_)) => {
                let mut info = self.server.info_response(&account);
                info.actors.clone_from(&self.actors);
                info.base_urls = vec!["http://abel".into()];
                info.method_information = MethodInformation::built_in();
                let mut export = MethodInformation::new("export", "test");
                export.replies = true;
                info.method_information.push(export);
                respond(&self.server, Response::Info(info))
            }
            ClientMessage::Request(Request::CreateActor(request)) => {
                if request.base_url != "http://abel" {
                    let text = format!("Base URL {} not in allowed base urls", request.base_url);
                    return vec![self.server.fail(inbound, &text)];
                }
                self.next_actor += 1;
                let id = format!("http://abel/actor/{}", self.next_actor);
                self.actors.push(ActorInformation::new(
                    &id,
                    request.name.clone().unwrap_or_else(|| "from drive".into()),
                ));
                let doc = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Person",
                    "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox")});
                let Value::Object(doc) = doc else {
                    unreachable!()
                };
                respond(&self.server, Response::CreateActor(ActorDocument(doc)))
            }
            ClientMessage::Request(Request::Fetch(fetch)) => {
                if !self.actors.iter().any(|a| a.id == fetch.actor) {
                    let text = format!(
                        "Actor not found for account name {account} and actor id {}",
                        fetch.actor
                    );
                    return vec![self.server.fail(inbound, &text)];
                }
                if fetch.uri == "http://banach/missing" {
                    // cattle_grid: the internal fetch fails, then the responder gives up.
                    return self
                        .server
                        .fetch_failed(inbound, fetch, "fetch_object failed")
                        .into();
                }
                let Value::Object(data) = json!({"id": fetch.uri, "type": "Note"}) else {
                    unreachable!()
                };
                respond(
                    &self.server,
                    Response::Fetch(FetchResponse::new(&fetch.actor, &fetch.uri, Some(data))),
                )
            }
            ClientMessage::Trigger(Trigger::SendMessage(message)) => {
                let event = EventInformation::new(
                    EventType::Outgoing,
                    &message.actor,
                    message.data.clone(),
                );
                vec![
                    self.server
                        .event(&account, &event, inbound.correlation_id.as_deref())
                        .unwrap_or_else(|e| panic!("{e}")),
                ]
            }
            ClientMessage::Trigger(Trigger::Extension { method, message })
                if method.as_str() == "export" =>
            {
                let Value::Object(activity) = json!({"type": "Create", "actor": message.actor})
                else {
                    unreachable!()
                };
                let event = EventInformation::new(EventType::Outgoing, &message.actor, activity);
                let cid = inbound.correlation_id.as_deref();
                vec![
                    self.server
                        .event(&account, &event, cid)
                        .unwrap_or_else(|e| panic!("{e}")),
                    self.server
                        .respond(
                            inbound,
                            &Response::Trigger(TriggerResponse(json!({"token": "t"}))),
                        )
                        .unwrap_or_else(|e| panic!("{e}")),
                ]
            }
            // Silence: the client must time out.
            ClientMessage::Trigger(_) | ClientMessage::Request(_) => Vec::new(),
        }
    }
}

struct Pair {
    now: Instant,
    latency: Duration,
    client: Client,
    login: AccountName,
    server: AccountServer,
    wire: VecDeque<Delivery>,
    events: Vec<ClientEvent>,
    rejected: usize,
}

impl Pair {
    fn new() -> Self {
        let alice = AccountName::new("alice").unwrap_or_else(|e| panic!("{e}"));
        let mut config = ClientConfig::new(Transport::Amqp);
        config.request_timeout = Duration::from_secs(1);
        config.trigger_error_window = Duration::from_secs(2);
        Pair {
            now: Instant::now(),
            latency: Duration::from_millis(20),
            client: Client::new(alice.clone(), config, 11),
            login: alice,
            server: AccountServer {
                server: Server::new(ServerConfig::default()),
                actors: Vec::new(),
                next_actor: 0,
            },
            wire: VecDeque::new(),
            events: Vec::new(),
            rejected: 0,
        }
    }

    fn publish(
        &mut self,
        to_server: bool,
        key: String,
        correlation_id: Option<String>,
        body: Vec<u8>,
    ) {
        let filters: Vec<String> = if to_server {
            server_filters(None, Transport::Amqp).to_vec()
        } else {
            self.client.subscriptions().to_vec()
        };
        if filters.iter().any(|f| matches(f, &key)) {
            let at = self.now + self.latency;
            let login = Some(self.login.clone());
            self.wire.push_back(Delivery {
                at,
                to_server,
                key,
                correlation_id,
                body,
                login,
            });
        }
    }

    fn send(&mut self, out: Result<Outgoing, ClientError>) -> CorrelationId {
        let out = out.unwrap_or_else(|e| panic!("{e}"));
        let id = out.correlation_id.to_string();
        self.publish(true, out.routing_key, Some(id), out.body);
        out.correlation_id
    }

    fn request(&mut self, request: Request) -> CorrelationId {
        let out = self.client.request(self.now, request);
        self.send(out)
    }

    fn trigger(&mut self, trigger: Trigger) -> CorrelationId {
        let out = self.client.trigger(self.now, trigger);
        self.send(out)
    }

    /// Runs the virtual clock until `until`, delivering messages and firing timers in order.
    fn run_until(&mut self, until: Instant) {
        loop {
            let next_delivery = self.wire.iter().map(|d| d.at).min();
            let next_timer = self.client.poll_timeout();
            let next = [next_delivery, next_timer].into_iter().flatten().min();
            let Some(next) = next.filter(|t| *t <= until) else {
                break;
            };
            self.now = next;
            if next_timer == Some(next) && next_delivery != Some(next) {
                assert_eq!(self.client.handle_timeout(self.now), Ok(()));
            }
            while let Some(i) = self.wire.iter().position(|d| d.at <= self.now) {
                let Some(d) = self.wire.remove(i) else { break };
                if d.to_server {
                    match self.server.server.handle_publish(
                        d.login.as_ref(),
                        &d.key,
                        d.correlation_id.as_deref(),
                        &d.body,
                    ) {
                        Ok(inbound) => {
                            for out in self.server.handle(&inbound) {
                                self.publish(false, out.routing_key, out.correlation_id, out.body);
                            }
                        }
                        Err(rejection) => {
                            self.rejected += 1;
                            if let Some(reply) = rejection.reply().cloned() {
                                self.publish(
                                    false,
                                    reply.routing_key,
                                    reply.correlation_id,
                                    reply.body,
                                );
                            }
                        }
                    }
                } else {
                    let delivered = self.client.handle_message(
                        self.now,
                        &d.key,
                        d.correlation_id.as_deref(),
                        &d.body,
                    );
                    assert!(delivered.is_ok(), "{delivered:?}");
                }
            }
            self.events
                .extend(std::iter::from_fn(|| self.client.poll_event()));
        }
        self.now = until;
        assert_eq!(self.client.handle_timeout(self.now), Ok(()));
        self.events
            .extend(std::iter::from_fn(|| self.client.poll_event()));
    }

    fn settle(&mut self) -> Vec<ClientEvent> {
        self.run_until(self.now + Duration::from_secs(3));
        std::mem::take(&mut self.events)
    }
}

fn actor_id(events: &[ClientEvent]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Response {
                response: Response::CreateActor(doc),
                ..
            } => doc.id().map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no actor in {events:?}"))
}

#[test]
fn info_create_actor_fetch_and_send_message() {
    let mut pair = Pair::new();
    let mut create = CreateActorRequest::new("http://abel");
    create.name = Some("Alice".into());
    let created = pair.request(Request::CreateActor(create));
    let events = pair.settle();
    assert!(
        matches!(&events[..], [ClientEvent::Response { id, .. }] if *id == created),
        "{events:?}"
    );
    let actor = actor_id(&events);

    let info = pair.request(Request::Info(InfoRequest));
    let fetch = pair.request(Request::Fetch(FetchMessage::new(
        &actor,
        "http://banach/note",
    )));
    let events = pair.settle();
    assert_eq!(events.len(), 2, "{events:?}");
    for event in &events {
        match event {
            ClientEvent::Response {
                id,
                response: Response::Info(r),
            } => {
                assert_eq!(*id, info);
                assert_eq!(r.actors, vec![ActorInformation::new(&actor, "Alice")]);
            }
            ClientEvent::Response {
                id,
                response: Response::Fetch(r),
            } => {
                assert_eq!(*id, fetch);
                assert_eq!(
                    r.data.as_ref().and_then(|d| d.get("id")),
                    Some(&json!("http://banach/note"))
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    let Value::Object(note) = json!({"type": "Create", "actor": actor, "object": {"type": "Note"}})
    else {
        unreachable!()
    };
    let sent = pair.trigger(Trigger::SendMessage(ActivityMessage::new(&actor, note)));
    let events = pair.settle();
    assert!(
        matches!(&events[..], [ClientEvent::Event { activity_type, correlation_id: Some(cid), .. }]
            if activity_type == "Create" && cid == sent.as_str()),
        "{events:?}"
    );
    assert_eq!(
        pair.client.pending(),
        0,
        "the watched trigger is forgotten after its window"
    );
}

#[test]
fn event_carrying_the_trigger_id_arrives_first_but_only_the_reply_resolves() {
    let mut pair = Pair::new();
    pair.request(Request::Info(InfoRequest));
    pair.settle(); // learns that `export` replies
    let method = TriggerMethod::new("export").unwrap_or_else(|e| panic!("{e}"));
    let id = pair.trigger(Trigger::Extension {
        method,
        message: TriggerMessage::new("http://abel/actor/1"),
    });
    let events = pair.settle();
    assert!(
        matches!(&events[..], [
            ClientEvent::Event { correlation_id: Some(cid), .. },
            ClientEvent::Response { id: resolved, response: Response::Trigger(_) },
        ] if cid == id.as_str() && *resolved == id),
        "{events:?}"
    );
}

#[test]
fn errors_are_matched_and_repeated_errors_tolerated() {
    let mut pair = Pair::new();
    let refused = pair.request(Request::CreateActor(CreateActorRequest::new(
        "http://unknown.example",
    )));
    let events = pair.settle();
    let [
        ClientEvent::Failed {
            id,
            failure: RequestFailure::Error(ErrorBody::Exception(m)),
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(*id, refused);
    assert_eq!(
        m.message,
        vec!["Base URL http://unknown.example not in allowed base urls"]
    );
    assert_eq!(m.routing_key, "send.alice.request.create_actor");

    pair.request(Request::CreateActor(CreateActorRequest::new("http://abel")));
    let actor = actor_id(&pair.settle());
    let missing = pair.request(Request::Fetch(FetchMessage::new(
        actor,
        "http://banach/missing",
    )));
    let events = pair.settle();
    assert!(
        matches!(&events[..], [
            ClientEvent::Failed { id, failure: RequestFailure::Error(ErrorBody::Exception(_)) },
            ClientEvent::Unsolicited { correlation_id: Some(cid), .. },
        ] if *id == missing && cid == missing.as_str()),
        "{events:?}"
    );
}

#[test]
fn unanswered_requests_time_out_on_the_virtual_clock() {
    let mut pair = Pair::new();
    let start = pair.now;
    // A method said to reply that the server never answers.
    pair.client.set_method_replies("ignored", true);
    let method = TriggerMethod::new("ignored").unwrap_or_else(|e| panic!("{e}"));
    let id = pair.trigger(Trigger::Extension {
        method,
        message: TriggerMessage::new("http://abel/actor/1"),
    });
    pair.run_until(start + Duration::from_millis(999));
    assert!(pair.events.is_empty());
    pair.run_until(start + Duration::from_secs(1));
    let events = std::mem::take(&mut pair.events);
    assert!(
        matches!(&events[..], [ClientEvent::TimedOut { id: t, kind: MessageKind::TriggerGeneric }] if *t == id),
        "{events:?}"
    );
}

#[test]
fn the_server_refuses_publishes_for_other_accounts() {
    let mut pair = Pair::new();
    // A misbehaving client logged in as alice publishes on bob's key.
    pair.publish(true, "send.bob.request.info".into(), None, b"{}".to_vec());
    let events = pair.settle();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(pair.rejected, 1);
}
