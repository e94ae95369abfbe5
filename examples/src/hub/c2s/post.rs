//! Posting to an outbox (over HTTP or the C2S WebSocket), local delivery, and the Bus actions
//! a post creates.

use std::sync::Arc;

use activitystreams_core::c2s::{self, DeliveryLimits, Expansion, IdFor};
use activitystreams_core::{Kind, Object};
use bus_protocol::hub::{ActionRoute, Audience, action_audience};
use bus_protocol::message::{ActionNotice, ActionSource, ActionType, DirectMessage, ServerMessage};
use http::StatusCode;
use serde_json::{Value, json};

use super::{C2s, DELIVER_KIND, OBJECTS};
use crate::hub::server::unix_now;
use crate::hub::store::BoxKind;

/// An accepted post.
pub(crate) struct Posted {
    /// The activity as stored for its author (with `bto`/`bcc`).
    pub(crate) stored: Arc<Value>,
    /// The new activity id (`Location`).
    pub(crate) location: String,
    /// The id of the object it created, if any.
    pub(crate) object: Option<String>,
    /// The hub accounts it was delivered to (actor ids).
    pub(crate) delivered: Vec<String>,
    /// Addressees the hub did not contact (remote actors).
    pub(crate) not_contacted: Vec<String>,
}

/// A refused post: the HTTP status and what was wrong.
pub(crate) struct Refused {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Refused {
    fn bad(message: impl Into<String>) -> Self {
        Refused {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl C2s {
    /// Processes a document `author` posted to their outbox (ActivityPub §6): accepts it with
    /// `activitystreams_core::c2s`, stores it, delivers it to the hub accounts it addresses
    /// (here and, through the cluster, on other instances), and forwards it to the Bus.
    pub(crate) fn post(&self, author: &str, body: &[u8]) -> Result<Posted, Refused> {
        let posted = Object::from_slice(body)
            .map_err(|e| Refused::bad(format!("not an AS2 object: {e}")))?;
        let actor = self.actor_id(author);
        let base = &self.core.base_url;
        let mut mint = |_: IdFor| format!("{base}{OBJECTS}{}", self.store.next_object_number());
        let accepted = c2s::accept_outbox_post(posted, &actor, &mut mint)
            .map_err(|e| Refused::bad(e.to_string()))?;
        for effect in c2s::outbox_side_effects(&accepted.activity) {
            tracing::info!(?effect, "outbox side effect (not applied by the demo hub)");
        }
        let (stored, delivery) = match (accepted.activity.to_value(), accepted.delivery.to_value())
        {
            (Ok(stored), Ok(delivery)) => (Arc::new(stored), Arc::new(delivery)),
            (Err(e), _) | (_, Err(e)) => return Err(Refused::bad(format!("cannot store: {e}"))),
        };
        let mut expand = |id: &str| self.expand(id);
        let recipients = c2s::delivery_recipients(
            &accepted.delivery,
            &accepted.blind,
            &mut expand,
            DeliveryLimits::default(),
        )
        .map_err(|e| Refused::bad(e.to_string()))?;

        self.store.append(author, BoxKind::Outbox, stored.clone());
        self.store.put_object(&accepted.location, delivery.clone());
        let object = delivery
            .get("object")
            .filter(|o| o.is_object())
            .and_then(|o| Some((o.get("id")?.as_str()?.to_owned(), o)));
        if let Some((id, object)) = &object {
            self.store.put_object(id, Arc::new((*object).clone()));
        }
        let mut local = Vec::new();
        let mut not_contacted = Vec::new();
        for id in recipients.actors {
            match self.local_name(&id) {
                Some(recipient) if recipient != author => local.push(recipient),
                Some(_) => {}
                None => {
                    tracing::info!(recipient = %id, "remote recipient not contacted (the hub delivers locally)");
                    not_contacted.push(id);
                }
            }
        }
        for recipient in &local {
            self.deliver(recipient, delivery.clone());
        }
        self.forward_to_bus(&accepted.delivery, author, &local);
        tracing::info!(author, location = %accepted.location, recipients = local.len(), "outbox post");
        Ok(Posted {
            stored,
            location: accepted.location,
            object: object.map(|(id, _)| id),
            delivered: local.iter().map(|name| self.actor_id(name)).collect(),
            not_contacted,
        })
    }

    /// What an addressed id is, for recipient computation.
    pub(super) fn expand(&self, id: &str) -> Expansion {
        let followers = id
            .strip_suffix("/followers")
            .and_then(|actor| self.local_name(actor));
        if followers.is_some() {
            // Follows are not tracked: a local followers collection is empty.
            return Expansion::Collection(Vec::new());
        }
        Expansion::Actor
    }

    /// Puts `activity` in `recipient`'s inbox here and on the other instances.
    fn deliver(&self, recipient: &str, activity: Arc<Value>) {
        self.store
            .append(recipient, BoxKind::Inbox, activity.clone());
        self.core.cluster.publish(
            DELIVER_KIND,
            json!({"actor": recipient, "activity": &*activity}),
        );
    }

    /// An inbox delivery made on another instance.
    pub(super) fn remote_delivery(&self, mut body: Value) {
        let actor = body.get("actor").and_then(Value::as_str).map(str::to_owned);
        match (actor, body.get_mut("activity")) {
            (Some(actor), Some(activity)) if self.core.accounts.contains(&actor) => {
                self.store
                    .append(&actor, BoxKind::Inbox, Arc::new(activity.take()));
            }
            _ => tracing::debug!("cluster: malformed delivery, or for an unknown actor; ignored"),
        }
    }

    /// Delivers an activity of an actor that is not a hub account (a Cattle Drive actor) to
    /// the hub accounts it addresses, with their Bus notices. `bto`/`bcc` are used for
    /// recipients and removed before delivery. Returns the number of inboxes reached.
    pub(crate) fn deliver_external(&self, activity: Value) -> usize {
        let mut object = match Object::from_value(activity) {
            Ok(object) => object,
            Err(e) => {
                tracing::info!(error = %e, "external activity is not AS2; not delivered");
                return 0;
            }
        };
        let blind = match c2s::strip_blind(&mut object) {
            Ok(blind) => blind,
            Err(e) => {
                tracing::info!(error = %e, "external activity not delivered");
                return 0;
            }
        };
        let mut expand = |id: &str| self.expand(id);
        let recipients =
            match c2s::delivery_recipients(&object, &blind, &mut expand, DeliveryLimits::default())
            {
                Ok(recipients) => recipients,
                Err(e) => {
                    tracing::info!(error = %e, "external activity not delivered");
                    return 0;
                }
            };
        let Ok(delivery) = object.to_value().map(Arc::new) else {
            return 0;
        };
        let local: Vec<String> = recipients
            .actors
            .iter()
            .filter_map(|id| self.local_name(id))
            .collect();
        let notice = ActionNotice {
            action_type: action_type_of(&object),
            action_id: object.id().unwrap_or_default().to_owned(),
            issuer: object.actor_id().unwrap_or("unknown").to_owned(),
            content: object
                .embedded_object()
                .and_then(|o| o.content_in(None))
                .map(str::to_owned),
            timestamp: unix_now(),
            source: Some(ActionSource::Federated),
        };
        for recipient in &local {
            self.deliver(recipient, delivery.clone());
            self.bus.publish_federated(&notice, recipient);
        }
        local.len()
    }

    /// The Bus actions for an accepted post: the seed's outbound rule for the author's action,
    /// then inbound forwarding (as for a delivery from elsewhere) to every local recipient the
    /// outbound rule did not reach.
    fn forward_to_bus(&self, activity: &Object<'_>, author: &str, recipients: &[String]) {
        let object = activity.embedded_object();
        let content = object.and_then(|o| o.content_in(None)).map(str::to_owned);
        let owner_of = |id: Option<&str>| id.and_then(|id| self.owner_of(id));
        let public = activity.is_public()
            || activity
                .to_ids()
                .chain(activity.cc_ids())
                .any(|id| id.ends_with("/followers"));
        let (action_type, parent_owner) = match activity.kind() {
            Some(Kind::Create) => match owner_of(object.and_then(Object::in_reply_to_id)) {
                Some(owner) => (ActionType::Cmnt, Some(owner)),
                None if !public && !recipients.is_empty() => (ActionType::Msg, None),
                None => (ActionType::Post, None),
            },
            Some(Kind::Like) => match owner_of(activity.object_id()) {
                Some(owner) => (ActionType::React, Some(owner)),
                None => (ActionType::Other("LIKE".into()), None),
            },
            _ => (action_type_of(activity), None),
        };
        let notice = ActionNotice {
            action_type: action_type.clone(),
            action_id: activity.id().unwrap_or_default().to_owned(),
            issuer: author.to_owned(),
            content: content.clone(),
            timestamp: unix_now(),
            source: Some(ActionSource::Local),
        };
        let mut participants: Vec<&str> = vec![author];
        participants.extend(recipients.iter().map(String::as_str));
        let followed = owner_of(activity.object_id());
        let route = ActionRoute {
            tenant: author,
            action: &notice,
            parent_owner: parent_owner.as_deref(),
            participants: &participants,
            recipient: followed.as_deref(),
        };
        let reached: Vec<String> = match action_audience(&route) {
            Ok(Audience::User(u) | Audience::Tenant(u)) => vec![u.to_owned()],
            Ok(Audience::Users(list)) => list.iter().map(|u| (*u).to_owned()).collect(),
            Err(_) => Vec::new(),
        };
        if let Err(e) = self.bus.publish_action(&route) {
            tracing::warn!(error = %e, "bus action not published");
        }
        for recipient in recipients.iter().filter(|r| !reached.contains(r)) {
            self.bus
                .publish_to(ServerMessage::Action(notice.clone()), &[recipient.as_str()]);
        }
        if action_type == ActionType::Msg {
            let message = ServerMessage::Message(DirectMessage {
                message_id: notice.action_id.clone(),
                sender: author.to_owned(),
                preview: DirectMessage::preview_of(content.as_deref().unwrap_or_default()),
                timestamp: notice.timestamp,
            });
            let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
            self.bus.publish_to(message, &to);
        }
    }

    /// The local account that owns `id`: a local actor, or the author of a stored object.
    fn owner_of(&self, id: &str) -> Option<String> {
        if let Some(name) = self.local_name(id) {
            return Some(name);
        }
        let object = self.store.object(id)?;
        ["attributedTo", "actor"]
            .iter()
            .filter_map(|key| object.get(*key).and_then(Value::as_str))
            .find_map(|author| self.local_name(author))
    }
}

/// The Bus action type of an activity without a more specific rule: `Create` is `POST`,
/// `Announce` `REPOST`, `Follow` `FLLW`, `Like` `REACT`; others keep their type, upper-cased.
fn action_type_of(activity: &Object<'_>) -> ActionType {
    match activity.kind() {
        Some(Kind::Create) => ActionType::Post,
        Some(Kind::Announce) => ActionType::Repost,
        Some(Kind::Follow) => ActionType::Fllw,
        Some(Kind::Like) => ActionType::React,
        _ => ActionType::parse(&activity.type_name().unwrap_or("Activity").to_uppercase()),
    }
}
