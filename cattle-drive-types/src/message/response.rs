//! Responses: `receive.NAME.response.{info,create_actor,fetch,trigger}`, each carrying the
//! correlation id of the request (or trigger) it answers.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{self, Extras, FieldError, decode_nested, decode_object, nullable};
use super::{Body, DecodeError};
use crate::topic::ResponseMethod;

/// The protocol name and version cattle_grid 0.5.22 reports.
pub const CATTLE_DRIVE_PROTOCOL: (&str, &str) = ("CattleDrive", "0.1.1");

/// The protocol name a single-actor server reports (the protocol's "CowDrive" mode).
pub const COW_DRIVE_PROTOCOL_NAME: &str = "CowDrive";

/// `receive.NAME.response.info`: cattle_grid's `InformationResponse`.
///
/// Accepted keys: `accountName`, `actors`, `baseUrls`, `backend`, `protocol` (all required),
/// `methodInformation` (default empty), and the snake_case field names (cattle_grid's model
/// validates by name too; almabtrieb's does not). Unknown keys are kept. Written with the
/// camelCase keys, as cattle_grid writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct InformationResponse {
    /// The account's name.
    #[serde(rename = "accountName")]
    pub account_name: String,
    /// The account's active actors.
    pub actors: Vec<ActorInformation>,
    /// The base URLs the account may create actors under.
    #[serde(rename = "baseUrls")]
    pub base_urls: Vec<String>,
    /// The server software.
    pub backend: NameAndVersion,
    /// The protocol (`CattleDrive 0.1.1`, or `CowDrive` for a single-actor server).
    pub protocol: NameAndVersion,
    /// The trigger methods the server offers.
    #[serde(rename = "methodInformation")]
    pub method_information: Vec<MethodInformation>,
    /// Keys the model does not know, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InformationResponse {
    /// A response for `account_name` speaking [`CATTLE_DRIVE_PROTOCOL`], with no actors, base URLs
    /// or methods yet.
    pub fn new(account_name: impl Into<String>, backend: NameAndVersion) -> Self {
        InformationResponse {
            account_name: account_name.into(),
            actors: Vec::new(),
            base_urls: Vec::new(),
            backend,
            protocol: NameAndVersion::new(CATTLE_DRIVE_PROTOCOL.0, CATTLE_DRIVE_PROTOCOL.1),
            method_information: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Whether `method` is listed with `replies: true` (it answers on
    /// `receive.NAME.response.trigger`).
    pub fn method_replies(&self, method: &str) -> bool {
        self.method_information
            .iter()
            .any(|m| m.routing_key == method && m.replies)
    }
}

impl Body for InformationResponse {
    const MODEL: &'static str = "InformationResponse";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(InformationResponse {
                account_name: f.required_aliased("accountName", "account_name", fields::string)?,
                actors: f.required("actors", |v| fields::list(v, ActorInformation::from_value))?,
                base_urls: f.required_aliased("baseUrls", "base_urls", |v| {
                    fields::list(v, fields::string)
                })?,
                backend: f.required("backend", NameAndVersion::from_value)?,
                protocol: f.required("protocol", NameAndVersion::from_value)?,
                method_information: f
                    .optional_aliased("methodInformation", "method_information", |v| {
                        fields::list(v, MethodInformation::from_value)
                    })?
                    .unwrap_or_default(),
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// cattle_grid's `ActorInformation`: an actor of the account (snake_case model, no aliases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActorInformation {
    /// The actor's URI.
    pub id: String,
    /// Its internal name.
    pub name: String,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ActorInformation {
    /// The actor `id` named `name`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        ActorInformation {
            id: id.into(),
            name: name.into(),
            extra: Map::new(),
        }
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        decode_nested(value, |f| {
            Ok(ActorInformation {
                id: f.required("id", fields::string)?,
                name: f.required("name", fields::string)?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// cattle_grid's `NameAndVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NameAndVersion {
    /// Name of the server or protocol.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NameAndVersion {
    /// `name` at `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        NameAndVersion {
            name: name.into(),
            version: version.into(),
            extra: Map::new(),
        }
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        decode_nested(value, |f| {
            Ok(NameAndVersion {
                name: f.required("name", fields::string)?,
                version: f.required("version", fields::string)?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// cattle_grid's `MethodInformationModel`: a trigger method the server offers (snake_case keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MethodInformation {
    /// The method, i.e. the tail of `send.NAME.trigger.METHOD`.
    pub routing_key: String,
    /// The module providing it (`cattle_grid.exchange` for the built-in ones).
    pub module: String,
    /// What it does.
    pub description: Option<String>,
    /// Whether it answers on `receive.NAME.response.trigger` (default false).
    pub replies: bool,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MethodInformation {
    /// Method `routing_key` of `module`, without description, not replying.
    pub fn new(routing_key: impl Into<String>, module: impl Into<String>) -> Self {
        MethodInformation {
            routing_key: routing_key.into(),
            module: module.into(),
            description: None,
            replies: false,
            extra: Map::new(),
        }
    }

    /// The three methods cattle_grid 0.5.22 itself offers, described as it describes them.
    pub fn built_in() -> Vec<Self> {
        [
            (
                "send_message",
                "Takes an activity and sends it to its recipients",
            ),
            ("update_actor", "Updates an actor"),
            ("delete_actor", "Deletes an actor"),
        ]
        .into_iter()
        .map(|(key, description)| MethodInformation {
            description: Some(description.to_owned()),
            ..MethodInformation::new(key, "cattle_grid.exchange")
        })
        .collect()
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        decode_nested(value, |f| {
            Ok(MethodInformation {
                routing_key: f.required("routing_key", fields::string)?,
                module: f.required("module", fields::string)?,
                description: f
                    .optional("description", nullable(fields::string))?
                    .flatten(),
                replies: f.optional("replies", fields::lax_bool)?.unwrap_or(false),
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// `receive.NAME.response.create_actor`: the new actor as cattle_grid presents it to the
/// Fediverse (a plain object from `actor_to_object`; cattle_grid has no model for it, so any
/// JSON object is accepted and kept as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ActorDocument(pub Map<String, Value>);

impl ActorDocument {
    /// The actor's `id`, when it is a string.
    pub fn id(&self) -> Option<&str> {
        self.0.get("id").and_then(Value::as_str)
    }

    /// The actor's `preferredUsername`, when it is a string.
    pub fn preferred_username(&self) -> Option<&str> {
        self.0.get("preferredUsername").and_then(Value::as_str)
    }
}

impl Body for ActorDocument {
    const MODEL: &'static str = "ActorDocument";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(ActorDocument(f.finish(Extras::Keep)?))
        })
    }
}

/// `receive.NAME.response.fetch`: cattle_grid's `FetchResponse`. In 0.5.22 `data` is the raw
/// fetched object (no transformer output, no `raw` wrapper); it is required but may be null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FetchResponse {
    /// The actor that fetched.
    pub actor: String,
    /// The fetched URI.
    pub uri: String,
    /// The object, or `None` (written as `null`).
    pub data: Option<Map<String, Value>>,
    /// Keys the model does not know, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FetchResponse {
    /// The answer to fetching `uri` as `actor`.
    pub fn new(
        actor: impl Into<String>,
        uri: impl Into<String>,
        data: Option<Map<String, Value>>,
    ) -> Self {
        FetchResponse {
            actor: actor.into(),
            uri: uri.into(),
            data,
            extra: Map::new(),
        }
    }

    /// The answer cattle_grid gives when the object's server answers `404 Not Found` or
    /// `410 Gone` (bovine's `get` turns those into a Tombstone): `data` is
    /// `{"@context": "https://www.w3.org/ns/activitystreams", "type": "Tombstone", "id": uri}`.
    pub fn tombstone(actor: impl Into<String>, uri: impl Into<String>) -> Self {
        let uri = uri.into();
        let mut data = Map::new();
        data.insert(
            "@context".into(),
            Value::String("https://www.w3.org/ns/activitystreams".into()),
        );
        data.insert("type".into(), Value::String("Tombstone".into()));
        data.insert("id".into(), Value::String(uri.clone()));
        FetchResponse::new(actor, uri, Some(data))
    }
}

impl Body for FetchResponse {
    const MODEL: &'static str = "FetchResponse";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(FetchResponse {
                actor: f.required("actor", fields::string)?,
                uri: f.required("uri", fields::string)?,
                data: f.required("data", nullable(fields::object))?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// `receive.NAME.response.trigger`: the free-form answer of a method with `replies: true`
/// (any JSON value; its shape is the extension's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TriggerResponse(pub Value);

impl Body for TriggerResponse {
    const MODEL: &'static str = "TriggerResponse";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        serde_json::from_slice(body)
            .map(TriggerResponse)
            .map_err(DecodeError::Json)
    }
}

/// A response, by method.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "responses are built once and handed on, rarely moved"
)]
pub enum Response {
    /// `receive.NAME.response.info`.
    Info(InformationResponse),
    /// `receive.NAME.response.create_actor`.
    CreateActor(ActorDocument),
    /// `receive.NAME.response.fetch`.
    Fetch(FetchResponse),
    /// `receive.NAME.response.trigger`.
    Trigger(TriggerResponse),
}

impl Response {
    /// The method naming the response's routing key.
    pub fn method(&self) -> ResponseMethod {
        match self {
            Response::Info(_) => ResponseMethod::Info,
            Response::CreateActor(_) => ResponseMethod::CreateActor,
            Response::Fetch(_) => ResponseMethod::Fetch,
            Response::Trigger(_) => ResponseMethod::Trigger,
        }
    }

    /// Decodes the body of a response of `method`.
    pub fn decode(method: ResponseMethod, body: &[u8]) -> Result<Self, DecodeError> {
        Ok(match method {
            ResponseMethod::Info => Response::Info(InformationResponse::from_json(body)?),
            ResponseMethod::CreateActor => Response::CreateActor(ActorDocument::from_json(body)?),
            ResponseMethod::Fetch => Response::Fetch(FetchResponse::from_json(body)?),
            ResponseMethod::Trigger => Response::Trigger(TriggerResponse::from_json(body)?),
        })
    }
}

impl Serialize for Response {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Response::Info(m) => m.serialize(serializer),
            Response::CreateActor(m) => m.serialize(serializer),
            Response::Fetch(m) => m.serialize(serializer),
            Response::Trigger(m) => m.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tombstone_is_what_bovine_builds_for_a_404() {
        // bovine 0.5's `Object(type="Tombstone", id=target).build()`, as cattle_grid's fetch
        // returns it for a 404 or 410.
        let tombstone = FetchResponse::tombstone("http://abel/actor/1", "http://abel/actor/9");
        assert_eq!(
            String::from_utf8(crate::message::encode(&tombstone)).unwrap_or_default(),
            r#"{"actor":"http://abel/actor/1","uri":"http://abel/actor/9","data":{"@context":"https://www.w3.org/ns/activitystreams","type":"Tombstone","id":"http://abel/actor/9"}}"#
        );
    }

    #[test]
    fn info_accepts_names_and_refuses_wrong_types() {
        let body = json!({"account_name": "a", "accountName": "b", "actors": [{"id": "i", "name": "n", "x": 1}],
            "base_urls": [], "backend": {"name": "x", "version": "1"}, "protocol": {"name": "x", "version": "1"},
            "method_information": [{"routing_key": "r", "module": "m", "replies": "yes"}]});
        let info = InformationResponse::from_json(body.to_string().as_bytes());
        let Ok(info) = info else { panic!("{info:?}") };
        assert_eq!(info.account_name, "b");
        assert!(info.method_replies("r"));
        let bad = json!({"accountName": "b", "actors": [], "baseUrls": [],
            "backend": {"name": "x", "version": 1}, "protocol": {"name": "x", "version": "1"}});
        assert!(InformationResponse::from_json(bad.to_string().as_bytes()).is_err());
        let bad = json!({"accountName": "b", "actors": [], "baseUrls": [], "methodInformation": null,
            "backend": {"name": "x", "version": "1"}, "protocol": {"name": "x", "version": "1"}});
        assert!(InformationResponse::from_json(bad.to_string().as_bytes()).is_err());
    }

    #[test]
    fn method_information_needs_snake_case_keys() {
        let bad = json!({"accountName": "b", "actors": [], "baseUrls": [],
            "backend": {"name": "x", "version": "1"}, "protocol": {"name": "x", "version": "1"},
            "methodInformation": [{"routingKey": "r", "module": "m"}]});
        let err = InformationResponse::from_json(bad.to_string().as_bytes());
        assert!(
            matches!(err, Err(DecodeError::Invalid { ref path, .. }) if path == "methodInformation.0.routing_key"),
            "{err:?}"
        );
    }

    #[test]
    fn fetch_data_is_required_but_nullable() {
        assert!(FetchResponse::from_json(br#"{"actor":"a","uri":"u"}"#).is_err());
        assert!(FetchResponse::from_json(br#"{"actor":"a","uri":"u","data":[]}"#).is_err());
        let none = FetchResponse::from_json(br#"{"actor":"a","uri":"u","data":null}"#);
        assert_eq!(none.ok(), Some(FetchResponse::new("a", "u", None)));
        assert_eq!(
            FetchResponse::new("a", "u", None).to_json(),
            br#"{"actor":"a","uri":"u","data":null}"#
        );
    }
}
