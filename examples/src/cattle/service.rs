//! An in-memory account service that answers Cattle Drive like cattle_grid does, for tests and
//! demos: accounts with allowed base URLs, actors created on request, a table of objects to
//! fetch, and the built-in triggers plus one replying extension method.

use std::collections::BTreeMap;

use cattle_drive_types::message::{
    ActorDocument, ActorInformation, EventInformation, EventType, FetchResponse, MethodInformation,
    Request, Response, Trigger, TriggerResponse, UpdateAction,
};
use cattle_drive_types::server::{ClientMessage, Inbound, Outbound, Server};
use cattle_drive_types::topic::AccountName;
use serde_json::{Map, Value, json};

/// The extension method this service offers with `replies: true`: it creates a Note from the
/// trigger's `content`, sends it in a Create (an outgoing event carrying the trigger's
/// correlation id, as cattle_grid's outgoing events do), then replies `{"id": NOTE_ID}`.
pub const PUBLISH_NOTE_METHOD: &str = "publish_note";

#[derive(Debug, Default)]
struct Account {
    base_urls: Vec<String>,
    actors: Vec<ActorInformation>,
}

/// The service. Actor ids are `{base_url}/actor/{n}`.
#[derive(Debug, Default)]
pub struct AccountService {
    accounts: BTreeMap<AccountName, Account>,
    objects: BTreeMap<String, Map<String, Value>>,
    next_id: u64,
}

impl AccountService {
    /// An empty service.
    pub fn new() -> Self {
        AccountService::default()
    }

    /// Adds `account`, allowed to create actors under `base_urls`.
    pub fn add_account(&mut self, account: AccountName, base_urls: Vec<String>) {
        self.accounts.insert(
            account,
            Account {
                base_urls,
                actors: Vec::new(),
            },
        );
    }

    /// Makes `object` fetchable under its `id`.
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

    /// Answers one accepted message; an empty answer means none (as for a trigger of an
    /// unknown method, which cattle_grid forwards to no one).
    pub fn handle(&mut self, server: &Server, inbound: &Inbound) -> Vec<Outbound> {
        let name = inbound.key.account.clone();
        let Some(account) = self.accounts.get_mut(&name) else {
            return vec![server.fail(inbound, &format!("Account not found for name {name}"))];
        };
        if let Some(actor) = inbound.message.actor()
            && !account.actors.iter().any(|a| a.id == actor)
        {
            return vec![server.fail(
                inbound,
                &format!("Actor not found for account name {name} and actor id {actor}"),
            )];
        }
        let respond = |response: Response| server.respond(inbound, &response).into_iter().collect();
        match &inbound.message {
            ClientMessage::Request(Request::Info(_)) => {
                let mut info = server.info_response(&name);
                info.actors.clone_from(&account.actors);
                info.base_urls.clone_from(&account.base_urls);
                info.method_information = Self::methods();
                respond(Response::Info(info))
            }
            ClientMessage::Request(Request::CreateActor(request)) => {
                if !account.base_urls.contains(&request.base_url) {
                    let text = format!("Base URL {} not in allowed base urls", request.base_url);
                    return vec![server.fail(inbound, &text)];
                }
                self.next_id += 1;
                let id = format!("{}/actor/{}", request.base_url, self.next_id);
                let label = request
                    .name
                    .clone()
                    .unwrap_or_else(|| "from drive".to_owned());
                account.actors.push(ActorInformation::new(&id, label));
                let mut actor = json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": id, "type": "Person",
                    "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
                    "followers": format!("{id}/followers"), "following": format!("{id}/following"),
                    "preferredUsername": request.preferred_username,
                    "manuallyApprovesFollowers": !request.automatically_accept_followers.unwrap_or(false),
                });
                if let (Some(doc), Value::Object(profile)) = (
                    actor.as_object_mut(),
                    Value::Object(request.profile.clone()),
                ) {
                    doc.extend(profile);
                }
                let Value::Object(actor) = actor else {
                    return Vec::new();
                };
                respond(Response::CreateActor(ActorDocument(actor)))
            }
            ClientMessage::Request(Request::Fetch(fetch)) => match self.objects.get(&fetch.uri) {
                Some(object) => respond(Response::Fetch(FetchResponse::new(
                    &fetch.actor,
                    &fetch.uri,
                    Some(object.clone()),
                ))),
                // cattle_grid: the internal fetch fails with an exception, then the responder
                // gives up with its simple error.
                None => vec![
                    server.fail(inbound, &format!("Could not fetch {}", fetch.uri)),
                    server.something_went_wrong(inbound),
                ],
            },
            ClientMessage::Trigger(Trigger::SendMessage(message)) => {
                if !message.data.contains_key("type") {
                    return Vec::new();
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
                for action in &update.actions {
                    if let UpdateAction::Rename(rename) = action
                        && let Some(actor) =
                            account.actors.iter_mut().find(|a| a.id == update.actor)
                    {
                        actor.name.clone_from(&rename.name);
                    }
                }
                Vec::new()
            }
            ClientMessage::Trigger(Trigger::DeleteActor(delete)) => {
                account.actors.retain(|a| a.id != delete.actor);
                let activity =
                    json!({"type": "Delete", "actor": delete.actor, "object": delete.actor});
                let Value::Object(activity) = activity else {
                    return Vec::new();
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
                self.next_id += 1;
                let note_id = format!("{}/note/{}", message.actor, self.next_id);
                let content = message.extra.get("content").cloned().unwrap_or(Value::Null);
                let create = json!({"type": "Create", "actor": message.actor,
                    "object": {"id": note_id, "type": "Note", "attributedTo": message.actor, "content": content}});
                let Value::Object(create) = create else {
                    return Vec::new();
                };
                let event = EventInformation::new(EventType::Outgoing, &message.actor, create);
                let cid = inbound.correlation_id.as_deref();
                let mut out: Vec<Outbound> = server.event(&name, &event, cid).into_iter().collect();
                out.extend(server.respond(
                    inbound,
                    &Response::Trigger(TriggerResponse(json!({"id": note_id}))),
                ));
                out
            }
            ClientMessage::Trigger(_) | ClientMessage::Request(_) => Vec::new(),
        }
    }
}
