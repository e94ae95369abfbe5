//! The SWICG "Server-Sent Events for the ActivityPub API" draft: the `eventStream` property,
//! the `proxyEventStream` URL, and its `Add`/`Remove`/`Update`/`Delete` events.

use serde_json::{Map, Value};
use url::Url;

use activitystreams_core::Object;

use crate::c2s::feed::{Entry, Payload};
use crate::c2s::item::{ItemId, Json};
use crate::c2s::query::with_params;

use super::DiscoveryError;

/// The JSON-LD context that defines `eventStream` and `proxyEventStream`.
pub const SSE_CONTEXT: &str = "https://purl.archive.org/socialweb/sse";
/// The ActivityStreams context.
pub const AS2_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// The property naming an object's event stream.
pub const EVENT_STREAM: &str = "eventStream";
/// The `proxyEventStream` parameter naming the remote object.
pub const ID_PARAM: &str = "id";
/// The query parameter that may carry an OAuth access token (`EventSource` cannot send
/// headers). Redact it in logs ([`redact_access_token`]).
pub const ACCESS_TOKEN_PARAM: &str = "access_token";

/// Sets `object["eventStream"]` and adds [`SSE_CONTEXT`] to its `@context` (turning a single
/// context into an array when needed).
///
/// # Errors
/// [`DiscoveryError::NotAnObject`] if `object` is not a JSON object.
///
/// ```
/// use fedi_stream::c2s::discovery::set_event_stream;
/// use serde_json::json;
///
/// let mut note = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": "https://social.example/note/1", "type": "Note"});
/// set_event_stream(&mut note, &"https://social.example/stream?object=/note/1".parse()?)?;
/// assert_eq!(note["@context"], json!(["https://www.w3.org/ns/activitystreams", "https://purl.archive.org/socialweb/sse"]));
/// assert_eq!(note["eventStream"], "https://social.example/stream?object=/note/1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_event_stream(object: &mut Value, stream: &Url) -> Result<(), DiscoveryError> {
    let map = object.as_object_mut().ok_or(DiscoveryError::NotAnObject)?;
    map.insert(
        EVENT_STREAM.to_owned(),
        Value::String(stream.as_str().to_owned()),
    );
    let context = map
        .entry("@context")
        .or_insert_with(|| Value::String(AS2_CONTEXT.to_owned()));
    let present = match context {
        Value::String(single) => single == SSE_CONTEXT,
        Value::Array(list) => list.iter().any(|entry| entry == SSE_CONTEXT),
        _ => false,
    };
    if !present {
        match context {
            Value::Array(list) => list.push(Value::String(SSE_CONTEXT.to_owned())),
            other => {
                let previous = other.take();
                *other = Value::Array(vec![previous, Value::String(SSE_CONTEXT.to_owned())]);
            }
        }
    }
    Ok(())
}

/// The `eventStream` URL of an object, if it declares an absolute one.
#[must_use]
pub fn event_stream_of(object: &Value) -> Option<Url> {
    object
        .get(EVENT_STREAM)
        .and_then(Value::as_str)
        .and_then(|text| Url::parse(text).ok())
}

/// The URL that streams events about the remote object `id` through the actor's
/// `proxyEventStream` endpoint, with `access_token` if the client cannot send an
/// `Authorization` header (existing `id`/`access_token` parameters are replaced).
///
/// ```
/// use fedi_stream::c2s::discovery::proxy_event_stream_url;
///
/// let url = proxy_event_stream_url(&"https://social.example/events".parse()?, "https://other.example/person/734/outbox", Some("t0k"));
/// assert_eq!(url.as_str(), "https://social.example/events?id=https%3A%2F%2Fother.example%2Fperson%2F734%2Foutbox&access_token=t0k");
/// # Ok::<(), url::ParseError>(())
/// ```
#[must_use]
pub fn proxy_event_stream_url(endpoint: &Url, id: &str, access_token: Option<&str>) -> Url {
    let mut add = vec![(ID_PARAM, id)];
    add.extend(access_token.map(|token| (ACCESS_TOKEN_PARAM, token)));
    with_params(endpoint, &[ID_PARAM, ACCESS_TOKEN_PARAM], &add)
}

/// The parameters of a `proxyEventStream` request (server side).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ProxyEventStreamQuery {
    /// The remote object to stream events about; an absolute URL.
    pub id: Url,
    /// The access token passed as a parameter, if any.
    pub access_token: Option<String>,
}

impl ProxyEventStreamQuery {
    /// Reads `id` and `access_token` from a query string.
    ///
    /// # Errors
    /// [`DiscoveryError::MissingId`] without an `id`, [`DiscoveryError::InvalidId`] if it is
    /// not an absolute URL.
    pub fn parse(query: &str) -> Result<Self, DiscoveryError> {
        let mut id = None;
        let mut access_token = None;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                ID_PARAM => id = Some(value),
                ACCESS_TOKEN_PARAM if !value.is_empty() => access_token = Some(value.into_owned()),
                _ => {}
            }
        }
        let id = id
            .filter(|id| !id.is_empty())
            .ok_or(DiscoveryError::MissingId)?;
        let id = Url::parse(&id).map_err(|_| DiscoveryError::InvalidId)?;
        Ok(Self { id, access_token })
    }
}

/// `url` with the value of its `access_token` parameter replaced by `********`, for logs (the
/// draft's security considerations).
#[must_use]
pub fn redact_access_token(url: &Url) -> Url {
    if !url
        .query_pairs()
        .any(|(name, _)| name == ACCESS_TOKEN_PARAM)
    {
        return url.clone();
    }
    with_params(
        url,
        &[ACCESS_TOKEN_PARAM],
        &[(ACCESS_TOKEN_PARAM, "********")],
    )
}

/// What an SWICG event says happened to a watched object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Change {
    /// An item was added to a collection (`target`).
    Add,
    /// An item was removed from a collection (`target`).
    Remove,
    /// The object changed; `object` is its full new representation.
    Update,
    /// The object was deleted.
    Delete,
}

impl Change {
    /// The AS2 activity type.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Add => "Add",
            Self::Remove => "Remove",
            Self::Update => "Update",
            Self::Delete => "Delete",
        }
    }

    fn from_type(kind: &str) -> Option<Self> {
        match kind {
            "Add" => Some(Self::Add),
            "Remove" => Some(Self::Remove),
            "Update" => Some(Self::Update),
            "Delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// One event of an SWICG event stream: an AS2 `Add`, `Remove`, `Update` or `Delete` whose
/// `object` (or `target`) is the watched object or one of its collections. The draft defines
/// no event names, so these go out as default (`message`) events.
///
/// ```
/// use fedi_stream::c2s::discovery::{Change, ObjectEvent};
/// use serde_json::json;
///
/// let event = ObjectEvent::new(Change::Add, json!({"id": "https://social.example/note/138", "type": "Note"}))
///     .with_target("https://ideas.example/note/339/replies")
///     .with_summary("A note was added to the replies");
/// let json = event.to_json()?;
/// let read = ObjectEvent::from_json(&json)?;
/// assert_eq!(read.change, Change::Add);
/// assert_eq!(read.object_id(), Some("https://social.example/note/138"));
/// assert!(read.concerns("https://ideas.example/note/339/replies"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectEvent {
    /// What happened.
    pub change: Change,
    /// The object: an IRI string or an embedded object.
    pub object: Value,
    /// The collection added to or removed from (an IRI or embedded collection).
    pub target: Option<Value>,
    /// The activity's `id`, if it has one (the draft says it MAY).
    pub id: Option<String>,
    /// The activity's `actor`, if any.
    pub actor: Option<Value>,
    /// A human-readable `summary`.
    pub summary: Option<String>,
    /// Every other property (`@context`, `to`, `published`…), kept as received.
    pub extra: Map<String, Value>,
}

impl ObjectEvent {
    /// An event about `object` (an IRI string or an embedded object).
    #[must_use]
    pub fn new(change: Change, object: impl Into<Value>) -> Self {
        Self {
            change,
            object: object.into(),
            target: None,
            id: None,
            actor: None,
            summary: None,
            extra: Map::new(),
        }
    }

    /// Sets the target collection.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<Value>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the summary.
    #[must_use]
    pub fn with_summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets the activity id.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the actor.
    #[must_use]
    pub fn with_actor(mut self, actor: impl Into<Value>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// The id of the object (the IRI itself, or an embedded object's `id`).
    #[must_use]
    pub fn object_id(&self) -> Option<&str> {
        id_of(&self.object)
    }

    /// The id of the target, if any.
    #[must_use]
    pub fn target_id(&self) -> Option<&str> {
        self.target.as_ref().and_then(id_of)
    }

    /// Whether the event is about `watched` (its object or its target), which the draft says
    /// every event of a stream SHOULD be.
    #[must_use]
    pub fn concerns(&self, watched: &str) -> bool {
        self.object_id() == Some(watched) || self.target_id() == Some(watched)
    }

    /// The activity as AS2 JSON.
    ///
    /// # Errors
    /// [`DiscoveryError::MissingTarget`] for `Add`/`Remove` without a target (ActivityPub
    /// requires one).
    pub fn to_json(&self) -> Result<Json, DiscoveryError> {
        if matches!(self.change, Change::Add | Change::Remove) && self.target.is_none() {
            return Err(DiscoveryError::MissingTarget);
        }
        let mut map = self.extra.clone();
        map.entry("@context")
            .or_insert_with(|| Value::String(AS2_CONTEXT.into()));
        if let Some(id) = &self.id {
            map.insert("id".into(), Value::String(id.clone()));
        }
        map.insert("type".into(), Value::String(self.change.as_str().into()));
        if let Some(actor) = &self.actor {
            map.insert("actor".into(), actor.clone());
        }
        if let Some(summary) = &self.summary {
            map.insert("summary".into(), Value::String(summary.clone()));
        }
        map.insert("object".into(), self.object.clone());
        if let Some(target) = &self.target {
            map.insert("target".into(), target.clone());
        }
        Json::from_serialize(&map).map_err(|_| DiscoveryError::NotAnObject)
    }

    /// Reads a typed AS2 activity (e.g. one the host built with `ObjectBuilder`).
    ///
    /// # Errors
    /// As [`from_json`](Self::from_json), and [`DiscoveryError::NotAnObject`] if the object
    /// cannot be written (nested beyond the AS2 depth limit).
    pub fn from_activity(activity: &Object<'_>) -> Result<Self, DiscoveryError> {
        let json = Json::from_object(activity).map_err(|_| DiscoveryError::NotAnObject)?;
        Self::from_json(&json)
    }

    /// Reads an event's data.
    ///
    /// # Errors
    /// [`DiscoveryError::NotAChange`] if the `type` is not one of the four, and
    /// [`DiscoveryError::MissingObject`] without an `object`.
    pub fn from_json(json: &Json) -> Result<Self, DiscoveryError> {
        let Value::Object(mut map) = json.to_value() else {
            return Err(DiscoveryError::NotAnObject);
        };
        let change = map
            .get("type")
            .and_then(Value::as_str)
            .and_then(Change::from_type)
            .ok_or(DiscoveryError::NotAChange)?;
        let object = map.remove("object").ok_or(DiscoveryError::MissingObject)?;
        // Non-string `id`/`summary` values stay in `extra`, so nothing is dropped.
        let mut text = |key: &str| match map.remove(key) {
            Some(Value::String(text)) => Some(text),
            Some(other) => {
                map.insert(key.to_owned(), other);
                None
            }
            None => None,
        };
        let id = text("id");
        let summary = text("summary");
        map.remove("type");
        Ok(Self {
            change,
            object,
            target: map.remove("target"),
            id,
            actor: map.remove("actor"),
            summary,
            extra: map,
        })
    }

    /// The feed entry for this event: a default-type (`message`) SSE event, with `id` if the
    /// host numbers its stream (which gives `Last-Event-ID` resume on top of the draft).
    ///
    /// # Errors
    /// As [`to_json`](Self::to_json).
    pub fn entry(&self, id: Option<ItemId>) -> Result<Entry, DiscoveryError> {
        Entry::new("message", id, Payload::Json(self.to_json()?))
            .map_err(|_| DiscoveryError::NotAnObject)
    }
}

fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(iri) => Some(iri),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn context_is_added_once() {
        let mut object =
            json!({"@context": ["https://www.w3.org/ns/activitystreams", SSE_CONTEXT]});
        set_event_stream(&mut object, &Url::parse("https://h.example/s").unwrap()).unwrap();
        assert_eq!(object["@context"].as_array().unwrap().len(), 2);
        let mut bare = json!({});
        set_event_stream(&mut bare, &Url::parse("https://h.example/s").unwrap()).unwrap();
        assert_eq!(bare["@context"], json!([AS2_CONTEXT, SSE_CONTEXT]));
        assert_eq!(
            event_stream_of(&bare).unwrap().as_str(),
            "https://h.example/s"
        );
    }

    #[test]
    fn proxy_query_round_trip_and_redaction() {
        let url = proxy_event_stream_url(
            &Url::parse("https://h.example/events?v=1&id=old").unwrap(),
            "https://o.example/x?y=1",
            Some("secret"),
        );
        let query = ProxyEventStreamQuery::parse(url.query().unwrap()).unwrap();
        assert_eq!(query.id.as_str(), "https://o.example/x?y=1");
        assert_eq!(query.access_token.as_deref(), Some("secret"));
        let redacted = redact_access_token(&url);
        assert!(!redacted.as_str().contains("secret"));
        assert!(redacted.as_str().ends_with("access_token=********"));
        assert_eq!(
            ProxyEventStreamQuery::parse("access_token=x"),
            Err(DiscoveryError::MissingId)
        );
        assert_eq!(
            ProxyEventStreamQuery::parse("id=relative"),
            Err(DiscoveryError::InvalidId)
        );
    }

    #[test]
    fn reads_the_drafts_examples() {
        // The Remove example of the draft (followers collection, an Undo of a Follow).
        let json = Json::from_bytes(
            r#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Remove","summary":"A follower unfollowed the actor","object":"https://third.example/user/24176","target":"https://other.example/user/20550/followers"}"#,
        )
        .unwrap();
        let event = ObjectEvent::from_json(&json).unwrap();
        assert_eq!(event.change, Change::Remove);
        assert!(event.concerns("https://other.example/user/20550/followers"));
        assert_eq!(event.to_json().unwrap().to_value(), json.to_value());
        assert_eq!(
            ObjectEvent::from_json(&Json::from_bytes(r#"{"type":"Like","object":"x"}"#).unwrap()),
            Err(DiscoveryError::NotAChange)
        );
        assert_eq!(
            ObjectEvent::new(Change::Add, "x").to_json(),
            Err(DiscoveryError::MissingTarget)
        );
    }
}
