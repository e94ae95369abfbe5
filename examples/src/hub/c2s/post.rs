//! Posting to an outbox (over HTTP or the C2S WebSocket), local delivery, and the Bus actions
//! a post creates.
//!
//! Rules, on top of `activitystreams_core::c2s::accept_outbox_post`:
//! - every id is minted here (random, under `/objects/`); a client's ids are ignored (§6);
//! - a `Create`'s object naming an `attributedTo` other than the poster is refused (`400`);
//! - `Update` and `Delete` change only objects the poster owns (`403` otherwise, `404` for
//!   nothing stored here); an `Update` may not change an object's id, type, author or
//!   addressing; objects embedded in any other activity (`Like`, `Announce`, …) are references
//!   and are never stored or replaced;
//! - at most [`Limits::max_recipients`](crate::hub::Limits::max_recipients) addressees (`400`),
//!   counted before any other work;
//! - the post is answered once it is committed; quotas are checked in that transaction (`507`).

use std::collections::HashSet;
use std::sync::Arc;

use activitystreams_core::c2s::{self, DeliveryLimits, Expansion, IdFor};
use activitystreams_core::{ADDRESSING, Kind, Object, PropertyValue, Ref, Term};
use bus_protocol::hub::{ActionRoute, Audience, action_audience};
use bus_protocol::message::{
    ActionNotice, ActionSource, ActionStatus, ActionType, DirectMessage, ServerMessage,
};
use http::StatusCode;
use serde_json::Value;

use super::blobs::BLOBS;
use super::{C2s, OBJECTS};
use crate::hub::federation::outbox::Outcome;
use crate::hub::server::unix_now;
use crate::hub::store::{Change, NewPost, StoreError, Views};

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
    /// Remote addressees, with what became of the first attempt to deliver to each
    /// ([`FirstAttempts::Awaited`]), or only those whose delivery could not be queued
    /// ([`FirstAttempts::InBackground`]).
    pub(crate) remote: Vec<(String, Outcome)>,
}

/// What a post waits for at the other servers it is delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstAttempts {
    /// The first attempt at each: for the C2S WebSocket, which reports every outcome.
    Awaited,
    /// Only their queueing: for `POST outbox`, whose `201` says nothing of them, so a slow or
    /// silent server cannot hold the client's request.
    InBackground,
}

/// Why an activity from another server was not delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Delivery {
    /// The hub does not store it.
    #[error("{0}")]
    Refused(String),
    /// The store refused it.
    #[error(transparent)]
    Store(StoreError),
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

impl From<StoreError> for Refused {
    fn from(error: StoreError) -> Self {
        if let StoreError::Db(e) = &error {
            tracing::error!(error = %e, "post not stored");
        }
        Refused {
            status: error.status(),
            message: error.to_string(),
        }
    }
}

/// A post checked and ready to commit.
struct Prepared {
    post: NewPost,
    stored: Arc<Value>,
    /// The activity as delivered (no `bto`/`bcc`), for the Bus.
    delivery: Object<'static>,
    local: Vec<String>,
    not_contacted: Vec<String>,
}

impl C2s {
    /// Processes a document `author` posted to their outbox (ActivityPub §6): accepts it with
    /// `activitystreams_core::c2s`, commits it with its deliveries to the hub accounts it
    /// addresses, forwards it to the Bus, and queues its deliveries to other servers (each
    /// committed before this returns), awaiting their first attempts or not as `first` says.
    pub(crate) async fn post(
        &self,
        author: &str,
        body: &[u8],
        first: FirstAttempts,
    ) -> Result<Posted, Refused> {
        let followers = self
            .core
            .followers
            .of(author, self.core.limits.max_recipients)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "followers unreadable");
                Refused {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "the followers cannot be read".into(),
                }
            })?;
        let prepared = self.prepare(author, body, &followers)?;
        let committed = self.store.commit(prepared.post.clone()).await?;
        self.forward_to_bus(&prepared.delivery, author, &prepared.local)
            .await;
        tracing::info!(author, location = %prepared.post.activity.id, item = committed.outbox, recipients = prepared.local.len(), "outbox post");
        let remote = match prepared.delivery.to_value() {
            Ok(activity) => {
                self.deliver_to_servers(author, prepared.not_contacted, &activity, first)
                    .await
            }
            Err(e) => prepared
                .not_contacted
                .into_iter()
                .map(|recipient| (recipient, Outcome::Failed(e.to_string())))
                .collect(),
        };
        Ok(Posted {
            stored: prepared.stored,
            location: prepared.post.activity.id,
            object: prepared.post.object.map(|o| o.id),
            delivered: prepared
                .local
                .iter()
                .map(|name| self.actor_id(name))
                .collect(),
            remote,
        })
    }

    /// Queues `activity` for each of `recipients` and makes the first attempts: awaited, with
    /// their outcomes returned, or in the background, returning only the deliveries that could
    /// not be queued.
    async fn deliver_to_servers(
        &self,
        author: &str,
        recipients: Vec<String>,
        activity: &Value,
        first: FirstAttempts,
    ) -> Vec<(String, Outcome)> {
        let deliverer = &self.core.deliverer;
        // Serialised once, shared by every delivery.
        let body: Arc<str> = activity.to_string().into();
        if first == FirstAttempts::Awaited {
            let attempts = recipients
                .iter()
                .map(|recipient| deliverer.deliver(author, recipient, &body));
            let outcomes = futures::future::join_all(attempts).await;
            return recipients.into_iter().zip(outcomes).collect();
        }
        let queued = recipients
            .iter()
            .map(|recipient| deliverer.queue(author, recipient, &body));
        let queued = futures::future::join_all(queued).await;
        let mut unqueued = Vec::new();
        let mut attempts = Vec::new();
        for (recipient, queued) in recipients.into_iter().zip(queued) {
            match queued {
                Ok(queued) => attempts.push(queued),
                Err(outcome) => unqueued.push((recipient, outcome)),
            }
        }
        deliverer.attempt_in_background(attempts);
        unqueued
    }

    fn prepare(
        &self,
        author: &str,
        body: &[u8],
        followers: &[String],
    ) -> Result<Prepared, Refused> {
        let posted = Object::from_slice(body).map_err(|e| {
            let cause = std::error::Error::source(&e)
                .map(|cause| format!(": {cause}"))
                .unwrap_or_default();
            Refused::bad(format!("not an AS2 object: {e}{cause}"))
        })?;
        let max = self.core.limits.max_recipients;
        check_size(&posted, max)?;
        let actor = self.actor_id(author);
        check_attribution(&posted, &actor)?;
        let base = &self.core.base_url;
        let mut mint = |_: IdFor| format!("{base}{OBJECTS}{}", crate::hub::random::hex(16));
        let accepted = c2s::accept_outbox_post(posted, &actor, &mut mint)
            .map_err(|e| Refused::bad(e.to_string()))?;
        let change = change_of(&accepted.activity)?;
        let (stored, delivery) = match (accepted.activity.to_value(), accepted.delivery.to_value())
        {
            (Ok(stored), Ok(delivery)) => (stored, delivery),
            (Err(e), _) | (_, Err(e)) => return Err(Refused::bad(format!("cannot store: {e}"))),
        };
        let created = accepted.activity.is(Kind::Create);
        let own_followers = format!("{actor}/followers");
        let mut expand = |id: &str| {
            if id == own_followers {
                Expansion::Collection(followers.to_vec())
            } else {
                self.expand(id)
            }
        };
        let limits = DeliveryLimits::default().with_max_recipients(max);
        let recipients =
            c2s::delivery_recipients(&accepted.delivery, &accepted.blind, &mut expand, limits)
                .map_err(|e| Refused::bad(e.to_string()))?;
        let (local, not_contacted) = self.split_recipients(recipients.actors, author);
        let public = [Term::To, Term::Cc, Term::Audience]
            .into_iter()
            .flat_map(|term| accepted.activity.ids_of(term))
            .any(activitystreams_core::is_public);
        let object = if created {
            match (stored.get("object"), delivery.get("object")) {
                (Some(own), Some(seen)) if seen.is_object() => Some(views(own, seen)?),
                _ => None,
            }
        } else {
            None
        };
        let blobs = match delivery.get("object") {
            Some(object) if created => self.blobs_in(object),
            _ => Vec::new(),
        };
        let post = NewPost {
            author: author.to_owned(),
            activity: views(&stored, &delivery)?,
            object,
            public,
            audience: audience_of(&accepted.activity),
            inboxes: local.clone(),
            outbox: true,
            blobs,
            change,
        };
        let delivery =
            Object::from_value(delivery).map_err(|e| Refused::bad(format!("cannot store: {e}")))?;
        Ok(Prepared {
            post,
            stored: Arc::new(stored),
            delivery,
            local,
            not_contacted,
        })
    }

    /// The recipients that are hub accounts (not `author`), and the remote others.
    fn split_recipients(&self, actors: Vec<String>, author: &str) -> (Vec<String>, Vec<String>) {
        let mut local = Vec::new();
        let mut not_contacted = Vec::new();
        for id in actors {
            match self.local_name(&id) {
                Some(recipient) if recipient != author => local.push(recipient),
                Some(_) => {}
                None => not_contacted.push(id),
            }
        }
        (local, not_contacted)
    }

    /// Ids of this hub's blobs that `object` shows (in any property).
    fn blobs_in(&self, object: &Value) -> Vec<String> {
        let prefix = format!("{}{BLOBS}", self.core.base_url);
        let mut found = Vec::new();
        let mut stack = vec![object];
        while let Some(value) = stack.pop() {
            match value {
                Value::String(text) => {
                    if let Some(id) = text.strip_prefix(&prefix) {
                        found.push(id.to_owned());
                    }
                }
                Value::Array(values) => stack.extend(values),
                Value::Object(map) => stack.extend(map.values()),
                _ => {}
            }
        }
        found.sort();
        found.dedup();
        found
    }

    /// What an addressed id is, for recipient computation.
    pub(super) fn expand(&self, id: &str) -> Expansion {
        let followers = id
            .strip_suffix("/followers")
            .and_then(|actor| self.local_name(actor));
        if followers.is_some() {
            // Another actor's followers, or an external activity's: not for this post to reach.
            return Expansion::Collection(Vec::new());
        }
        Expansion::Actor
    }

    /// Delivers an activity of an actor that is not a hub account (a Cattle Drive actor) to
    /// the hub accounts it addresses, with their Bus notices. `bto`/`bcc` are used for
    /// recipients and removed before delivery; the activity keeps its id (refused if taken)
    /// and is owned by its actor. Returns the number of inboxes reached.
    pub(crate) async fn deliver_external(&self, activity: Value) -> usize {
        match self.deliver_remote(activity, None).await {
            Ok(reached) => reached,
            Err(message) => {
                tracing::info!(%message, "external activity not delivered");
                0
            }
        }
    }

    /// [`C2s::deliver_external`] for an activity that arrived in `inbox` (an account name),
    /// which receives it whatever its addressing says. Returns the number of inboxes reached.
    ///
    /// # Errors
    /// [`Delivery::Refused`] for an activity the hub does not store (no actor, too many
    /// addressees, an actor that is a hub account), [`Delivery::Store`] when the store refuses
    /// it (its id is taken: a delivery seen before).
    pub(crate) async fn deliver_remote(
        &self,
        activity: Value,
        inbox: Option<&str>,
    ) -> Result<usize, Delivery> {
        let Some((post, notice)) = self
            .prepare_external(activity, inbox)
            .map_err(Delivery::Refused)?
        else {
            return Ok(0);
        };
        let local = post.inboxes.clone();
        self.store.commit(post).await.map_err(Delivery::Store)?;
        for recipient in &local {
            self.bus.publish_federated(&notice, recipient);
        }
        Ok(local.len())
    }

    fn prepare_external(
        &self,
        activity: Value,
        inbox: Option<&str>,
    ) -> Result<Option<(NewPost, ActionNotice)>, String> {
        let mut object = Object::from_value(activity).map_err(|e| e.to_string())?;
        let max = self.core.limits.max_recipients;
        check_size(&object, max).map_err(|refused| refused.message)?;
        let Some(actor) = object.actor_id().map(str::to_owned) else {
            return Err("no actor".into());
        };
        if self.local_name(&actor).is_some() {
            return Err("an external activity may not speak for a hub account".into());
        }
        let mut audience = audience_of(&object);
        let owner_view = object.to_value().map_err(|e| e.to_string())?;
        let blind = c2s::strip_blind(&mut object).map_err(|e| e.to_string())?;
        let mut expand = |id: &str| self.expand(id);
        let limits = DeliveryLimits::default().with_max_recipients(max);
        let recipients = c2s::delivery_recipients(&object, &blind, &mut expand, limits)
            .map_err(|e| e.to_string())?;
        let mut local: Vec<String> = recipients
            .actors
            .iter()
            .filter_map(|id| self.local_name(id))
            .collect();
        if let Some(name) = inbox
            && !local.iter().any(|n| n == name)
        {
            local.push(name.to_owned());
            audience.push(self.actor_id(name));
        }
        if local.is_empty() {
            return Ok(None);
        }
        let delivery = object.to_value().map_err(|e| e.to_string())?;
        let mut views = views(&owner_view, &delivery).map_err(|r| r.message)?;
        if views.id.is_empty() {
            views.id = format!(
                "{}{OBJECTS}{}",
                self.core.base_url,
                crate::hub::random::hex(16)
            );
        }
        let notice = ActionNotice {
            action_type: action_type_of(&object),
            action_id: views.id.clone(),
            issuer: actor.clone(),
            content: object
                .embedded_object()
                .and_then(|o| o.content_in(None))
                .map(|c| self.bus_content(c)),
            timestamp: unix_now(),
            source: Some(ActionSource::Federated),
            sub_type: None,
            parent_id: None,
            audience: None,
            status: Some(ActionStatus::Active),
        };
        let post = NewPost {
            author: actor,
            activity: views,
            object: None,
            public: [Term::To, Term::Cc, Term::Audience]
                .into_iter()
                .flat_map(|term| object.ids_of(term))
                .any(activitystreams_core::is_public),
            audience,
            inboxes: local,
            outbox: false,
            blobs: Vec::new(),
            change: None,
        };
        Ok(Some((post, notice)))
    }

    /// A post's content as a Bus action carries it: at most `Limits::bus_content_bytes`.
    fn bus_content(&self, content: &str) -> String {
        let mut end = content.len().min(self.core.limits.bus_content_bytes);
        while !content.is_char_boundary(end) {
            end -= 1;
        }
        content[..end].to_owned()
    }

    /// The Bus actions for a committed post: the seed's outbound rule for the author's action,
    /// then inbound forwarding (as for a delivery from elsewhere) to every local recipient the
    /// outbound rule did not reach.
    async fn forward_to_bus(&self, activity: &Object<'_>, author: &str, recipients: &[String]) {
        let object = activity.embedded_object();
        let content = object
            .and_then(|o| o.content_in(None))
            .map(|c| self.bus_content(c));
        let public = activity.is_public()
            || activity
                .to_ids()
                .chain(activity.cc_ids())
                .any(|id| id.ends_with("/followers"));
        let reply_owner = self.owner_of(object.and_then(Object::in_reply_to_id)).await;
        let object_owner = self.owner_of(activity.object_id()).await;
        let (action_type, parent_owner) = match activity.kind() {
            Some(Kind::Create) => match reply_owner {
                Some(owner) => (ActionType::Cmnt, Some(owner)),
                None if !public && !recipients.is_empty() => (ActionType::Msg, None),
                None => (ActionType::Post, None),
            },
            Some(Kind::Like) => match object_owner.clone() {
                Some(owner) => (ActionType::React, Some(owner)),
                None => (ActionType::Other("LIKE".into()), None),
            },
            _ => (action_type_of(activity), None),
        };
        // What Cloudillo's apps read besides the seed's fields: the post a comment or a
        // reaction is on, the one person a direct message is for, and the status (every
        // action the hub publishes is stored and visible).
        let parent_id = match action_type {
            ActionType::Cmnt => object.and_then(Object::in_reply_to_id),
            ActionType::React => activity.object_id(),
            _ => None,
        };
        let audience = match recipients {
            [one] if action_type == ActionType::Msg && self.sole_addressee(activity, one) => {
                Some(one.clone())
            }
            _ => None,
        };
        let notice = ActionNotice {
            action_type: action_type.clone(),
            action_id: activity.id().unwrap_or_default().to_owned(),
            issuer: author.to_owned(),
            content: content.clone(),
            timestamp: unix_now(),
            source: Some(ActionSource::Local),
            sub_type: None,
            parent_id: parent_id.map(str::to_owned),
            audience,
            status: Some(ActionStatus::Active),
        };
        let mut participants: Vec<&str> = vec![author];
        participants.extend(recipients.iter().map(String::as_str));
        let route = ActionRoute {
            tenant: author,
            action: &notice,
            parent_owner: parent_owner.as_deref(),
            participants: &participants,
            recipient: object_owner.as_deref(),
        };
        let reached: HashSet<String> = match action_audience(&route) {
            Ok(Audience::User(u) | Audience::Tenant(u)) => HashSet::from([u.to_owned()]),
            Ok(Audience::Users(list)) => list.iter().map(|u| (*u).to_owned()).collect(),
            Err(_) => HashSet::new(),
        };
        if let Err(e) = self.bus.publish_action(&route) {
            tracing::warn!(error = %e, "bus action not published");
        }
        for recipient in recipients.iter().filter(|r| !reached.contains(*r)) {
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

    /// Whether local account `name` is the only addressee `activity` shows (`to`, `cc` and
    /// `audience`; blind recipients are already among the local recipients).
    fn sole_addressee(&self, activity: &Object<'_>, name: &str) -> bool {
        let mut addressees = [Term::To, Term::Cc, Term::Audience]
            .into_iter()
            .flat_map(|term| activity.ids_of(term));
        let first = addressees.next();
        first.is_some_and(|id| self.local_name(id).as_deref() == Some(name))
            && addressees.all(|id| Some(id) == first)
    }

    /// The local account that owns `id`: a local actor, or the author of a stored object.
    async fn owner_of(&self, id: Option<&str>) -> Option<String> {
        let id = id?;
        if let Some(name) = self.local_name(id) {
            return Some(name);
        }
        let owner = self.store.owner_of(id).await.ok()??;
        self.core.accounts.contains(&owner).then_some(owner)
    }
}

/// Most values of a post's `object` (each gets the activity's addressing copied, §6.2, so
/// the work grows with objects × addressees).
const MAX_OBJECTS: usize = 16;

/// Refuses a post too large to process: more than [`MAX_OBJECTS`] objects, or more than
/// `max_recipients` addressees on the activity and its objects together (duplicates counted),
/// before any work that grows with them.
fn check_size(posted: &Object<'_>, max_recipients: usize) -> Result<(), Refused> {
    let addressees = |o: &Object<'_>| {
        ADDRESSING
            .into_iter()
            .map(|term| o.ids_of(term).count())
            .sum::<usize>()
    };
    let objects = match posted.get_term(Term::Object) {
        Some(PropertyValue::Ref(objects)) => objects.as_slice(),
        _ => &[],
    };
    if objects.len() > MAX_OBJECTS {
        return Err(Refused::bad(format!(
            "more than {MAX_OBJECTS} objects in one activity"
        )));
    }
    let count = addressees(posted)
        + objects
            .iter()
            .filter_map(Ref::as_object)
            .map(addressees)
            .sum::<usize>();
    if count > max_recipients {
        return Err(Refused::bad(format!(
            "more than {max_recipients} addressees (Limits::max_recipients)"
        )));
    }
    Ok(())
}

/// Every actor `activity` (and its embedded object) is addressed to, each once, without the
/// Public collection: the audience that may read it.
fn audience_of(activity: &Object<'_>) -> Vec<String> {
    let mut seen = HashSet::new();
    let objects = std::iter::once(activity).chain(activity.embedded_object());
    objects
        .flat_map(|o| ADDRESSING.into_iter().flat_map(move |term| o.ids_of(term)))
        .filter(|id| !activitystreams_core::is_public(id))
        .filter(|id| seen.insert(*id))
        .map(str::to_owned)
        .collect()
}

/// The stored forms of one document: the owner's view `own`, everyone else's `seen`.
fn views(own: &Value, seen: &Value) -> Result<Views, Refused> {
    let id = seen
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(Views {
        id,
        json: seen.to_string(),
        owner_json: (own != seen).then(|| own.to_string()),
    })
}

/// What a post creates must be attributed to the poster (the hub sets it where missing): a
/// bare object, or a `Create`'s object, naming another `attributedTo` is refused.
fn check_attribution(posted: &Object<'_>, actor: &str) -> Result<(), Refused> {
    let created = if posted.is_activity() {
        posted.embedded_object().filter(|_| posted.is(Kind::Create))
    } else {
        Some(posted)
    };
    match created {
        Some(object) if object.ids_of(Term::AttributedTo).any(|id| id != actor) => {
            Err(Refused::bad(format!(
                "a created object is attributed to the posting actor {actor}; attributedTo names someone else"
            )))
        }
        _ => Ok(()),
    }
}

/// The stored object an `Update` or `Delete` changes.
fn change_of(activity: &Object<'_>) -> Result<Option<Change>, Refused> {
    match activity.kind() {
        Some(Kind::Update) => {
            let Some(object) = activity.embedded_object() else {
                return Err(Refused::bad(
                    "an Update carries the changed object, with its id and the new properties",
                ));
            };
            let id = object
                .id()
                .ok_or_else(|| Refused::bad("the Update's object has no id"))?
                .to_owned();
            let Ok(Value::Object(mut patch)) = object.to_value() else {
                return Err(Refused::bad("the Update's object is not a JSON object"));
            };
            patch.remove("id");
            patch.remove("@context");
            Ok(Some(Change::Update { object: id, patch }))
        }
        Some(Kind::Delete) => {
            let id = activity
                .object_id()
                .ok_or_else(|| Refused::bad("the Delete has no object id"))?;
            Ok(Some(Change::Delete {
                object: id.to_owned(),
            }))
        }
        _ => Ok(None),
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
