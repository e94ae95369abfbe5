//! Requests: `send.NAME.request.{info,create_actor,fetch}`, answered on
//! `receive.NAME.response.X` with the request's correlation id.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{self, Extras, decode_object, nullable};
use super::{Body, DecodeError};

/// `send.NAME.request.info`: asks for the account's actors, base URLs and methods.
///
/// cattle_grid's handler reads no body, so any body is accepted (empty or any JSON value);
/// this crate writes `{}`, as almabtrieb does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfoRequest;

impl Serialize for InfoRequest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

impl Body for InfoRequest {
    const MODEL: &'static str = "InfoRequest";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(InfoRequest);
        }
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(DecodeError::Json)?;
        Ok(InfoRequest)
    }
}

/// `send.NAME.request.create_actor`: cattle_grid's `CreateActorRequest`.
///
/// Accepted keys: `baseUrl` (required), `name`, `preferredUsername`, `profile`,
/// `automaticallyAcceptFollowers`, and the snake_case field names (`base_url`,
/// `preferred_username`, `automatically_accept_followers`) that almabtrieb sends. Unknown keys are
/// ignored by cattle_grid; here they are kept in [`extra`](Self::extra). Written with the
/// camelCase keys and every field present, as cattle_grid's model dumps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CreateActorRequest {
    /// Base URL of the new actor; the server refuses one not allowed for the account.
    #[serde(rename = "baseUrl")]
    pub base_url: String,
    /// Internal name of the actor (shown in `info`); the server stores `"from drive"` when null.
    pub name: Option<String>,
    /// The `preferredUsername` (the user part of `acct:user@domain`).
    #[serde(rename = "preferredUsername")]
    pub preferred_username: Option<String>,
    /// Initial profile properties of the actor.
    pub profile: Map<String, Value>,
    /// Whether the actor accepts follow requests automatically.
    #[serde(rename = "automaticallyAcceptFollowers")]
    pub automatically_accept_followers: Option<bool>,
    /// Keys the model does not know, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreateActorRequest {
    /// A request for an actor under `base_url` with every optional field unset.
    pub fn new(base_url: impl Into<String>) -> Self {
        CreateActorRequest {
            base_url: base_url.into(),
            name: None,
            preferred_username: None,
            profile: Map::new(),
            automatically_accept_followers: None,
            extra: Map::new(),
        }
    }
}

impl Body for CreateActorRequest {
    const MODEL: &'static str = "CreateActorRequest";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(CreateActorRequest {
                base_url: f.required_aliased("baseUrl", "base_url", fields::string)?,
                name: f.optional("name", nullable(fields::string))?.flatten(),
                preferred_username: f
                    .optional_aliased(
                        "preferredUsername",
                        "preferred_username",
                        nullable(fields::string),
                    )?
                    .flatten(),
                profile: f.optional("profile", fields::object)?.unwrap_or_default(),
                automatically_accept_followers: f
                    .optional_aliased(
                        "automaticallyAcceptFollowers",
                        "automatically_accept_followers",
                        nullable(fields::lax_bool),
                    )?
                    .flatten(),
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// `send.NAME.request.fetch`: cattle_grid's account-level `FetchMessage`, fetch `uri` as `actor`.
///
/// Both keys are required strings; unknown keys are ignored by cattle_grid and kept here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FetchMessage {
    /// The actor (of this account) performing the fetch.
    pub actor: String,
    /// The resource to fetch.
    pub uri: String,
    /// Keys the model does not know, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FetchMessage {
    /// Fetch `uri` as `actor`.
    pub fn new(actor: impl Into<String>, uri: impl Into<String>) -> Self {
        FetchMessage {
            actor: actor.into(),
            uri: uri.into(),
            extra: Map::new(),
        }
    }
}

impl Body for FetchMessage {
    const MODEL: &'static str = "FetchMessage";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(FetchMessage {
                actor: f.required("actor", fields::string)?,
                uri: f.required("uri", fields::string)?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// A request, by method.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Request {
    /// `send.NAME.request.info`.
    Info(InfoRequest),
    /// `send.NAME.request.create_actor`.
    CreateActor(CreateActorRequest),
    /// `send.NAME.request.fetch`.
    Fetch(FetchMessage),
}

impl Request {
    /// The method that names the request's routing key and its response's.
    pub fn method(&self) -> crate::topic::RequestMethod {
        use crate::topic::RequestMethod;
        match self {
            Request::Info(_) => RequestMethod::Info,
            Request::CreateActor(_) => RequestMethod::CreateActor,
            Request::Fetch(_) => RequestMethod::Fetch,
        }
    }

    /// Decodes the body of a request sent with `method`.
    pub fn decode(method: crate::topic::RequestMethod, body: &[u8]) -> Result<Self, DecodeError> {
        use crate::topic::RequestMethod;
        Ok(match method {
            RequestMethod::Info => Request::Info(InfoRequest::from_json(body)?),
            RequestMethod::CreateActor => {
                Request::CreateActor(CreateActorRequest::from_json(body)?)
            }
            RequestMethod::Fetch => Request::Fetch(FetchMessage::from_json(body)?),
        })
    }
}

impl Serialize for Request {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Request::Info(m) => m.serialize(serializer),
            Request::CreateActor(m) => m.serialize(serializer),
            Request::Fetch(m) => m.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(body: &impl Body) -> Value {
        serde_json::from_slice(&body.to_json()).unwrap_or_default()
    }

    #[test]
    fn info_accepts_any_body_and_writes_empty_object() {
        for body in [b"".as_slice(), b"{}", b"null", b"[1]", b" \n"] {
            assert_eq!(InfoRequest::from_json(body).ok(), Some(InfoRequest));
        }
        assert!(InfoRequest::from_json(b"{").is_err());
        assert_eq!(InfoRequest.to_json(), b"{}");
    }

    #[test]
    fn create_actor_reads_snake_case_and_writes_camel_case_with_nulls() {
        let body = br#"{"base_url":"http://abel","preferred_username":"alice","automatically_accept_followers":"yes","x":1}"#;
        let request = CreateActorRequest::from_json(body);
        let Ok(request) = request else {
            panic!("{request:?}")
        };
        assert_eq!(request.base_url, "http://abel");
        assert_eq!(request.automatically_accept_followers, Some(true));
        assert_eq!(
            value(&request),
            json!({"baseUrl": "http://abel", "name": null, "preferredUsername": "alice", "profile": {},
                   "automaticallyAcceptFollowers": true, "x": 1})
        );
    }

    #[test]
    fn create_actor_refusals_match_pydantic() {
        for body in [
            json!({}),
            json!({"baseUrl": 1}),
            json!({"baseUrl": null}),
            json!({"baseUrl": "a", "profile": null}),
            json!({"baseUrl": "a", "automaticallyAcceptFollowers": 2}),
            json!({"baseUrl": "a", "name": 5}),
        ] {
            let bytes = body.to_string().into_bytes();
            assert!(CreateActorRequest::from_json(&bytes).is_err(), "{body}");
        }
    }

    #[test]
    fn fetch_requires_actor_and_uri() {
        assert!(FetchMessage::from_json(br#"{"actor":"a"}"#).is_err());
        let fetch = FetchMessage::from_json(br#"{"uri":"u","actor":"a"}"#);
        assert_eq!(fetch.ok(), Some(FetchMessage::new("a", "u")));
    }
}
