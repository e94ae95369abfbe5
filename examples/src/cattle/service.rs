//! An account service that answers Cattle Drive like cattle_grid does, for tests and demos:
//! accounts with allowed base URLs, actors created on request (kept in a [`DriveStore`],
//! in memory by default), a table of remote objects to fetch, and the built-in triggers plus
//! one replying extension method.
//!
//! Actor ids are `{base_url}/actor/{n}` ([`ACTOR_PATH`]); what the actors create lives under
//! their id. Everything under those paths is the service's own: [`AccountService::public_document`]
//! answers for it what an anonymous `GET` sees (the hub serves it over HTTP), and a `fetch` of
//! it is answered from the store, as cattle_grid answers a fetch of its own actors through its
//! HTTP front.

use std::collections::BTreeMap;

use activitystreams_core::{Object, is_public};
use cattle_drive_types::message::{
    ActorDocument, ActorInformation, EventInformation, EventType, FetchMessage, FetchResponse,
    MethodInformation, Request, Response, Trigger, TriggerResponse, UpdateAction,
};
use cattle_drive_types::server::{ClientMessage, Inbound, Outbound, Server};
use cattle_drive_types::topic::AccountName;
use serde_json::{Map, Value, json};

use super::drive_store::{ActorRecord, DocumentRecord, DriveStore, MemoryDriveStore, StoreError};

/// The extension method this service offers with `replies: true`: it creates a public Note
/// from the trigger's `content` (kept, and served at its id), sends it in a Create (an outgoing
/// event carrying the trigger's correlation id, as cattle_grid's outgoing events do), and
/// replies `{"id": NOTE_ID}`.
pub const PUBLISH_NOTE_METHOD: &str = "publish_note";

/// The path actor ids have under their base URL: `{base_url}/actor/{n}`.
pub const ACTOR_PATH: &str = "/actor/";

/// The profile keys `create_actor` takes, as cattle_grid's actor document uses them (`image`
/// is written as `icon`); other keys are ignored, so a profile cannot replace the document's
/// `id`, inbox or keys.
const PROFILE_KEYS: [&str; 6] = ["type", "name", "summary", "url", "icon", "attachment"];

/// What an anonymous `GET` of a URL gets from the service.
#[derive(Debug, Clone, PartialEq)]
pub enum Served {
    /// The document (`200`).
    Found(Map<String, Value>),
    /// A deleted actor (`410 Gone`, as cattle_grid answers).
    Gone,
    /// Nothing public here (`404`).
    NotFound,
}

/// The service. See the [module docs](self).
#[derive(Debug, Default)]
pub struct AccountService<S = MemoryDriveStore> {
    accounts: BTreeMap<AccountName, Vec<String>>,
    objects: BTreeMap<String, Map<String, Value>>,
    store: S,
}

impl AccountService {
    /// An empty service keeping its actors in memory.
    pub fn new() -> Self {
        AccountService::default()
    }
}

impl<S: DriveStore> AccountService<S> {
    /// An empty service keeping its actors and documents in `store`.
    pub fn with_store(store: S) -> Self {
        AccountService {
            accounts: BTreeMap::new(),
            objects: BTreeMap::new(),
            store,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Adds `account`, allowed to create actors under `base_urls`.
    pub fn add_account(&mut self, account: AccountName, base_urls: Vec<String>) {
        self.accounts.insert(account, base_urls);
    }

    /// Makes the remote `object` fetchable under its `id` (the service fetches nothing itself).
    pub fn add_object(&mut self, object: Map<String, Value>) {
        if let Some(id) = object.get("id").and_then(Value::as_str) {
            self.objects.insert(id.to_owned(), object);
        }
    }

    /// The methods listed in `info`: cattle_grid's three and [`PUBLISH_NOTE_METHOD`].
    pub fn methods() -> Vec<MethodInformation> {
        let mut methods = MethodInformation::built_in();
        let mut publish =
            MethodInformation::new(PUBLISH_NOTE_METHOD, "fedi_examples.cattle.service");
        publish.description = Some("Publishes a Note and replies with its id".to_owned());
        publish.replies = true;
        methods.push(publish);
        methods
    }

    /// An incoming activity for `actor` of `account`, as the server publishes it.
    pub fn incoming(
        &self,
        server: &Server,
        account: &AccountName,
        actor: &str,
        activity: Map<String, Value>,
    ) -> Option<Outbound> {
        server
            .event(
                account,
                &EventInformation::new(EventType::Incoming, actor, activity),
                None,
            )
            .ok()
    }

    /// Whether `url` is under the service's own paths (`{base_url}/actor/…` of any account's
    /// base URLs), where it knows everything there is.
    pub fn is_local(&self, url: &str) -> bool {
        self.accounts.values().flatten().any(|base| {
            url.strip_prefix(base.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with(ACTOR_PATH))
        })
    }

    /// What an anonymous `GET` of `url` gets: an actor's document, a public document without
    /// `bto`/`bcc`, `Gone` for a deleted actor, `NotFound` for anything else (documents that
    /// are not public included).
    pub fn public_document(&self, url: &str) -> Result<Served, StoreError> {
        self.visible_document(url, None)
    }

    /// The document at `url` as `viewer` (an actor id, or `None` for anyone) may see it.
    fn visible_document(&self, url: &str, viewer: Option<&str>) -> Result<Served, StoreError> {
        if let Some(actor) = self.store.load_actor(url)? {
            return Ok(if actor.deleted {
                Served::Gone
            } else {
                Served::Found(actor.document)
            });
        }
        let Some(record) = self.store.load_document(url)? else {
            return Ok(Served::NotFound);
        };
        if viewer == Some(record.author.as_str()) {
            return Ok(Served::Found(record.document));
        }
        let addressed = Object::from_value(Value::Object(record.document.clone())).ok();
        let readable = addressed.is_some_and(|object| {
            object
                .recipient_ids()
                .any(|id| is_public(id) || Some(id) == viewer)
        });
        if !readable {
            return Ok(Served::NotFound);
        }
        Ok(Served::Found(without_blind_copies(record.document)))
    }

    /// Answers one accepted message; an empty answer means none (as for a trigger of an
    /// unknown method, which cattle_grid forwards to no one). The answer is in the order it
    /// happens (a replying trigger's events before its response); publish it in
    /// [`order_for_publishing`](cattle_drive_types::server::order_for_publishing)'s order, as
    /// [`serve`](super::serve) does.
    pub fn handle(&mut self, server: &Server, inbound: &Inbound) -> Vec<Outbound> {
        match self.answer(server, inbound) {
            Ok(outbound) => outbound,
            Err(error) => vec![server.fail(inbound, &error.to_string())],
        }
    }

    fn answer(&mut self, server: &Server, inbound: &Inbound) -> Result<Vec<Outbound>, StoreError> {
        let name = inbound.key.account.clone();
        let Some(base_urls) = self.accounts.get(&name) else {
            return Ok(vec![
                server.fail(inbound, &format!("Account not found for name {name}")),
            ]);
        };
        let acting = match inbound.message.actor() {
            Some(actor) => match self.store.load_actor(actor)? {
                Some(record) if record.account == name && !record.deleted => Some(record),
                _ => {
                    let text =
                        format!("Actor not found for account name {name} and actor id {actor}");
                    return Ok(vec![server.fail(inbound, &text)]);
                }
            },
            None => None,
        };
        let respond = |response: Response| server.respond(inbound, &response).into_iter().collect();
        let outbound = match &inbound.message {
            ClientMessage::Request(Request::Info(_)) => {
                let mut info = server.info_response(&name);
                info.actors = self
                    .store
                    .load_actors(&name)?
                    .into_iter()
                    .map(|a| a.info)
                    .collect();
                info.base_urls.clone_from(base_urls);
                info.method_information = Self::methods();
                respond(Response::Info(info))
            }
            ClientMessage::Request(Request::CreateActor(request)) => {
                if !base_urls.contains(&request.base_url) {
                    let text = format!("Base URL {} not in allowed base urls", request.base_url);
                    return Ok(vec![server.fail(inbound, &text)]);
                }
                let number = self.store.next_number()?;
                let id = format!(
                    "{}{ACTOR_PATH}{number}",
                    request.base_url.trim_end_matches('/')
                );
                let label = request
                    .name
                    .clone()
                    .unwrap_or_else(|| "from drive".to_owned());
                let document = actor_document(
                    &id,
                    request.preferred_username.as_deref(),
                    &request.profile,
                    request.automatically_accept_followers.unwrap_or(false),
                );
                self.store.save_actor(ActorRecord::new(
                    name,
                    ActorInformation::new(&id, label),
                    document.clone(),
                ))?;
                respond(Response::CreateActor(ActorDocument(document)))
            }
            ClientMessage::Request(Request::Fetch(fetch)) => self.fetch(server, inbound, fetch)?,
            ClientMessage::Trigger(Trigger::SendMessage(message)) => {
                if !message.data.contains_key("type") {
                    return Ok(Vec::new());
                }
                let event = EventInformation::new(
                    EventType::Outgoing,
                    &message.actor,
                    message.data.clone(),
                );
                server
                    .event(&name, &event, inbound.correlation_id.as_deref())
                    .into_iter()
                    .collect()
            }
            ClientMessage::Trigger(Trigger::UpdateActor(update)) => {
                if let Some(mut actor) = acting {
                    for action in &update.actions {
                        if let UpdateAction::Rename(rename) = action {
                            actor.info.name.clone_from(&rename.name);
                        }
                    }
                    self.store.save_actor(actor)?;
                }
                Vec::new()
            }
            ClientMessage::Trigger(Trigger::DeleteActor(delete)) => {
                if let Some(mut actor) = acting {
                    actor.deleted = true;
                    self.store.save_actor(actor)?;
                }
                let activity =
                    json!({"type": "Delete", "actor": delete.actor, "object": delete.actor});
                let Value::Object(activity) = activity else {
                    return Ok(Vec::new());
                };
                let event = EventInformation::new(EventType::Outgoing, &delete.actor, activity);
                server
                    .event(&name, &event, inbound.correlation_id.as_deref())
                    .into_iter()
                    .collect()
            }
            ClientMessage::Trigger(Trigger::Extension { method, message })
                if method.as_str() == PUBLISH_NOTE_METHOD =>
            {
                let note_id = format!("{}/note/{}", message.actor, self.store.next_number()?);
                let content = message.extra.get("content").cloned().unwrap_or(Value::Null);
                let public = activitystreams_core::PUBLIC;
                let Value::Object(object) = json!({"id": note_id, "type": "Note",
                    "attributedTo": message.actor, "content": content, "to": [public]})
                else {
                    return Ok(Vec::new());
                };
                let mut note = Map::new();
                note.insert("@context".into(), activitystreams_core::AS2_CONTEXT.into());
                note.extend(object.clone());
                self.store
                    .save_document(DocumentRecord::new(&message.actor, note))?;
                let create = json!({"type": "Create", "actor": message.actor, "to": [public],
                    "object": object});
                let Value::Object(create) = create else {
                    return Ok(Vec::new());
                };
                let event = EventInformation::new(EventType::Outgoing, &message.actor, create);
                let cid = inbound.correlation_id.as_deref();
                // In the order it happens; the serving loop publishes the response first.
                let mut out: Vec<Outbound> = server.event(&name, &event, cid).into_iter().collect();
                out.extend(server.respond(
                    inbound,
                    &Response::Trigger(TriggerResponse(json!({"id": note_id}))),
                ));
                out
            }
            ClientMessage::Trigger(_) | ClientMessage::Request(_) => Vec::new(),
        };
        Ok(outbound)
    }

    /// A fetch as cattle_grid answers it: the service's own documents as the fetching actor
    /// may see them, a Tombstone for anything else under its paths (cattle_grid gets `404` or
    /// `410` from its own front there), the remote objects it was given, and cattle_grid's two
    /// errors for any other URL (this service contacts nobody).
    fn fetch(
        &self,
        server: &Server,
        inbound: &Inbound,
        fetch: &FetchMessage,
    ) -> Result<Vec<Outbound>, StoreError> {
        let answer = |response: FetchResponse| {
            server
                .respond(inbound, &Response::Fetch(response))
                .into_iter()
                .collect()
        };
        if self.is_local(&fetch.uri) {
            return Ok(
                match self.visible_document(&fetch.uri, Some(&fetch.actor))? {
                    Served::Found(document) => {
                        answer(FetchResponse::new(&fetch.actor, &fetch.uri, Some(document)))
                    }
                    Served::Gone | Served::NotFound => {
                        answer(FetchResponse::tombstone(&fetch.actor, &fetch.uri))
                    }
                },
            );
        }
        Ok(match self.objects.get(&fetch.uri) {
            Some(object) => answer(FetchResponse::new(
                &fetch.actor,
                &fetch.uri,
                Some(object.clone()),
            )),
            None => server
                .fetch_failed(inbound, fetch, &format!("Could not fetch {}", fetch.uri))
                .into(),
        })
    }
}

/// `document` without its blind recipients (`bto`, `bcc`), the other keys in their order.
fn without_blind_copies(document: Map<String, Value>) -> Map<String, Value> {
    document
        .into_iter()
        .filter(|(key, _)| key != "bto" && key != "bcc")
        .collect()
}

/// The public document of a new actor: its collections, `preferredUsername` if given,
/// `manuallyApprovesFollowers`, and the [`PROFILE_KEYS`] of `profile`.
fn actor_document(
    id: &str,
    preferred_username: Option<&str>,
    profile: &Map<String, Value>,
    automatically_accept_followers: bool,
) -> Map<String, Value> {
    let mut document = Map::new();
    document.insert(
        "@context".into(),
        json!([
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1"
        ]),
    );
    document.insert("id".into(), id.into());
    let kind = profile
        .get("type")
        .filter(|t| t.is_string())
        .cloned()
        .unwrap_or_else(|| "Person".into());
    document.insert("type".into(), kind);
    for collection in ["inbox", "outbox", "followers", "following"] {
        document.insert(collection.into(), format!("{id}/{collection}").into());
    }
    if let Some(name) = preferred_username {
        document.insert("preferredUsername".into(), name.into());
    }
    for key in PROFILE_KEYS.into_iter().filter(|k| *k != "type") {
        let value = match key {
            "icon" => profile.get("image").or_else(|| profile.get("icon")),
            _ => profile.get(key),
        };
        if let Some(value) = value.filter(|v| !v.is_null()) {
            document.insert(key.into(), value.clone());
        }
    }
    document.insert(
        "manuallyApprovesFollowers".into(),
        (!automatically_accept_followers).into(),
    );
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use cattle_drive_types::message::{ErrorBody, Message};
    use cattle_drive_types::server::ServerConfig;
    use cattle_drive_types::topic::{MessageKind, RoutingKey, Transport};

    const BASE: &str = "http://hub.test";

    struct Fixture {
        service: AccountService,
        server: Server,
    }

    impl Fixture {
        fn new() -> Self {
            let mut service = AccountService::new();
            service.add_account(alice(), vec![BASE.to_owned()]);
            service.add_account(account("bob"), vec![BASE.to_owned()]);
            Fixture {
                service,
                server: Server::new(ServerConfig::new(Transport::Amqp)),
            }
        }

        fn send(&mut self, who: &str, key_tail: &str, body: Value) -> Vec<Outbound> {
            let key = format!("send.{who}.{key_tail}");
            let inbound =
                self.server
                    .handle_publish(None, &key, Some("cid"), body.to_string().as_bytes());
            let Ok(inbound) = inbound else {
                panic!("{key}: {inbound:?}")
            };
            self.service.handle(&self.server, &inbound)
        }

        /// Creates an actor for `who` and returns its id.
        fn create(&mut self, who: &str, body: Value) -> String {
            let out = self.send(who, "request.create_actor", body);
            let [Some(Message::Response(Response::CreateActor(actor)))] = &decode(&out)[..] else {
                panic!("{out:?}")
            };
            actor.id().unwrap_or_default().to_owned()
        }
    }

    fn account(name: &str) -> AccountName {
        AccountName::new(name).unwrap_or_else(|e| panic!("{e}"))
    }

    fn alice() -> AccountName {
        account("alice")
    }

    fn decode(out: &[Outbound]) -> Vec<Option<Message>> {
        out.iter()
            .map(|o| {
                let key = RoutingKey::parse(&o.routing_key, Transport::Amqp).ok()?;
                Message::decode(&key.route, &o.body, &Default::default()).ok()
            })
            .collect()
    }

    fn fetched(out: &[Outbound]) -> Option<Map<String, Value>> {
        match &decode(out)[..] {
            [Some(Message::Response(Response::Fetch(f)))] => f.data.clone(),
            other => panic!("a fetch response, got {other:?}"),
        }
    }

    #[test]
    fn a_created_actor_is_stored_served_and_fetched() {
        let mut f = Fixture::new();
        let id = f.create(
            "alice",
            json!({"baseUrl": BASE, "preferredUsername": "drover", "name": "Drover",
                "profile": {"summary": "moo", "image": {"type": "Image", "url": "http://hub.test/i.png"},
                    "id": "http://elsewhere.test/x", "inbox": "http://elsewhere.test/inbox", "privateKey": "k"}}),
        );
        assert_eq!(id, format!("{BASE}/actor/1"));
        let Ok(Served::Found(document)) = f.service.public_document(&id) else {
            panic!("the actor is served")
        };
        // The profile adds what cattle_grid's actor documents show and replaces nothing.
        assert_eq!(document.get("id"), Some(&json!(id)));
        assert_eq!(document.get("inbox"), Some(&json!(format!("{id}/inbox"))));
        assert_eq!(document.get("summary"), Some(&json!("moo")));
        assert_eq!(
            document.get("icon"),
            Some(&json!({"type": "Image", "url": "http://hub.test/i.png"}))
        );
        assert_eq!(document.get("preferredUsername"), Some(&json!("drover")));
        assert!(!document.contains_key("privateKey"));
        assert!(!document.contains_key("image"));

        let out = f.send("alice", "request.fetch", json!({"actor": id, "uri": id}));
        assert_eq!(fetched(&out), Some(document));

        let out = f.send("alice", "request.info", json!({}));
        let [Some(Message::Response(Response::Info(info)))] = &decode(&out)[..] else {
            panic!("{out:?}")
        };
        assert_eq!(
            info.actors
                .iter()
                .map(|a| (a.id.as_str(), a.name.as_str()))
                .collect::<Vec<_>>(),
            [(id.as_str(), "Drover")]
        );
        // bob cannot act as alice's actor.
        let out = f.send("bob", "request.fetch", json!({"actor": id, "uri": id}));
        assert!(matches!(
            &decode(&out)[..],
            [Some(Message::Error(ErrorBody::Exception(_)))]
        ));
    }

    #[test]
    fn unknown_and_deleted_local_urls_fetch_as_tombstones_remote_ones_fail() {
        let mut f = Fixture::new();
        let id = f.create("alice", json!({"baseUrl": BASE}));
        let other = f.create("alice", json!({"baseUrl": BASE}));
        let unknown = format!("{BASE}/actor/99");
        let out = f.send(
            "alice",
            "request.fetch",
            json!({"actor": id, "uri": unknown}),
        );
        assert_eq!(
            fetched(&out),
            Some(json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Tombstone", "id": unknown}))
                .and_then(|v| v.as_object().cloned())
        );
        assert_eq!(f.service.public_document(&unknown), Ok(Served::NotFound));

        let out = f.send("alice", "trigger.delete_actor", json!({"actor": other}));
        assert_eq!(
            out.first().map(|o| o.kind),
            Some(MessageKind::EventOutgoing)
        );
        assert_eq!(f.service.public_document(&other), Ok(Served::Gone));
        let out = f.send("alice", "request.fetch", json!({"actor": id, "uri": other}));
        assert_eq!(
            fetched(&out).and_then(|d| d.get("type").cloned()),
            Some(json!("Tombstone"))
        );
        // A deleted actor no longer acts.
        let out = f.send("alice", "request.fetch", json!({"actor": other, "uri": id}));
        assert!(matches!(
            &decode(&out)[..],
            [Some(Message::Error(ErrorBody::Exception(_)))]
        ));

        let remote = "http://elsewhere.test/note/1";
        let out = f.send(
            "alice",
            "request.fetch",
            json!({"actor": id, "uri": remote}),
        );
        let decoded = decode(&out);
        let [
            Some(Message::Error(ErrorBody::Exception(first))),
            Some(Message::Error(ErrorBody::Simple(second))),
        ] = &decoded[..]
        else {
            panic!("{decoded:?}")
        };
        assert_eq!(first.routing_key, "fetch_object");
        assert_eq!(second.error, "Something went wrong");
    }

    #[test]
    fn published_notes_are_kept_public_and_answered_after_their_event() {
        let mut f = Fixture::new();
        let id = f.create("alice", json!({"baseUrl": BASE}));
        let out = f.send(
            "alice",
            "trigger.publish_note",
            json!({"actor": id, "content": "hello"}),
        );
        let kinds: Vec<MessageKind> = out.iter().map(|o| o.kind).collect();
        assert_eq!(
            kinds,
            [MessageKind::EventOutgoing, MessageKind::ResponseTrigger]
        );
        let [_, Some(Message::Response(Response::Trigger(reply)))] = &decode(&out)[..] else {
            panic!("{out:?}")
        };
        let note_id = reply.0["id"].as_str().unwrap_or_default().to_owned();
        assert!(note_id.starts_with(&format!("{id}/note/")), "{note_id}");
        let Ok(Served::Found(note)) = f.service.public_document(&note_id) else {
            panic!("the note is served")
        };
        assert_eq!(note.get("content"), Some(&json!("hello")));
        assert_eq!(note.get("attributedTo"), Some(&json!(id)));
        let out = f.send(
            "alice",
            "request.fetch",
            json!({"actor": id, "uri": note_id}),
        );
        assert_eq!(fetched(&out), Some(note));
    }

    #[test]
    fn documents_not_public_are_shown_to_their_author_and_addressees_only() {
        let mut f = Fixture::new();
        let author = f.create("alice", json!({"baseUrl": BASE}));
        let reader = f.create("bob", json!({"baseUrl": BASE}));
        let stranger = f.create("bob", json!({"baseUrl": BASE}));
        let note_id = format!("{author}/note/private");
        let Value::Object(note) = json!({"id": note_id, "type": "Note", "attributedTo": author,
            "to": [reader], "bcc": [stranger]})
        else {
            unreachable!()
        };
        let saved = f
            .service
            .store
            .save_document(DocumentRecord::new(&author, note.clone()));
        assert_eq!(saved, Ok(()));
        assert_eq!(f.service.public_document(&note_id), Ok(Served::NotFound));
        let as_author = f.send(
            "alice",
            "request.fetch",
            json!({"actor": author, "uri": note_id}),
        );
        assert_eq!(fetched(&as_author), Some(note.clone()));
        let as_reader = f.send(
            "bob",
            "request.fetch",
            json!({"actor": reader, "uri": note_id}),
        );
        let Value::Object(without_bcc) =
            json!({"id": note_id, "type": "Note", "attributedTo": author, "to": [reader]})
        else {
            unreachable!()
        };
        assert_eq!(fetched(&as_reader), Some(without_bcc.clone()));
        // A bcc addressee may read it too, without seeing who else was blind-copied.
        let as_bcc = f.send(
            "bob",
            "request.fetch",
            json!({"actor": stranger, "uri": note_id}),
        );
        assert_eq!(fetched(&as_bcc), Some(without_bcc));
        let outsider = f.create("bob", json!({"baseUrl": BASE}));
        let as_outsider = f.send(
            "bob",
            "request.fetch",
            json!({"actor": outsider, "uri": note_id}),
        );
        assert_eq!(
            fetched(&as_outsider).and_then(|d| d.get("type").cloned()),
            Some(json!("Tombstone"))
        );
    }
}
