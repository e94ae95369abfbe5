//! Typed models of every Cattle Drive message, mirroring cattle_grid 0.5.22's pydantic models.
//!
//! # What is accepted, what is written
//!
//! Each model accepts what its cattle_grid model accepts and refuses what it refuses:
//!
//! | model | unknown keys | also accepted by field name |
//! |---|---|---|
//! | [`CreateActorRequest`] | kept | `base_url`, `preferred_username`, `automatically_accept_followers` |
//! | [`FetchMessage`], [`FetchResponse`], [`EventInformation`], [`UpdateActorMessage`] (and its actions) | kept | (no aliases) |
//! | [`InformationResponse`] | kept | `account_name`, `base_urls`, `method_information` |
//! | [`TriggerMessage`], [`ErrorMessage`], [`SimpleError`] | kept (`extra="allow"`) | (no aliases) |
//! | [`ActivityMessage`] (`send_message`), [`DeleteActorMessage`] | **refused** (`extra="forbid"`) | (no aliases) |
//!
//! Types follow pydantic's lax mode as cattle_grid runs it: strings only where a `str` is
//! expected, booleans also from `0`/`1` and `"yes"`/`"off"`-style strings, objects only where a
//! `dict` is expected, `null` only where the field is optional. A key given twice counts with
//! its last value.
//!
//! Writing follows cattle_grid's `model_dump(by_alias=True)`: camelCase aliases, every field in
//! the model's order, `null` for unset optional fields, compact UTF-8 JSON. Unknown keys that
//! were accepted on input are written back after the fields (cattle_grid drops those of models
//! that ignore extras; keeping them makes a decode/encode round trip lossless, which an
//! inspector or a proxy needs). A message built with this crate's constructors has no unknown
//! keys, so it is written exactly as cattle_grid writes it.
//!
//! Deliberate differences from Python's `json.loads`: `NaN`/`Infinity` literals are refused
//! (they are not JSON), integers beyond 64 bits become floats, nesting deeper than 128 levels
//! is refused.

mod error_body;
mod event;
mod fields;
mod request;
mod response;
mod trigger;

pub(crate) use fields::type_name as json_type_name;

pub use error_body::{ErrorBody, ErrorMessage, SimpleError};
pub use event::{EventInformation, EventType};
pub use request::{CreateActorRequest, FetchMessage, InfoRequest, Request};
pub use response::{
    ActorDocument, ActorInformation, CATTLE_DRIVE_PROTOCOL, COW_DRIVE_PROTOCOL_NAME, FetchResponse,
    InformationResponse, MethodInformation, NameAndVersion, Response, TriggerResponse,
};
pub use trigger::{
    ActivityMessage, DeleteActorMessage, IdentifierAction, PropertyValueAction, RenameActorAction,
    Trigger, TriggerMessage, UpdateAction, UpdateActorMessage, UpdateIdentifierAction,
    UpdatePropertyValueAction, UpdateUrlAction, UrlAction,
};

use serde::Serialize;

use crate::topic::{MessageKind, Route};

/// A message body with its cattle_grid model's rules.
pub trait Body: Serialize + Sized {
    /// The name of the model (cattle_grid's class name where it has one), used in errors.
    const MODEL: &'static str;

    /// Decodes a body with the model's rules (see the [module docs](self)). The size is not
    /// checked here; [`Message::decode`] checks it against [`Limits`].
    fn from_json(body: &[u8]) -> Result<Self, DecodeError>;

    /// The body as cattle_grid writes it: compact UTF-8 JSON.
    fn to_json(&self) -> Vec<u8> {
        encode(self)
    }
}

/// Serializes a model. Our models hold only strings, booleans, vectors and JSON maps with
/// string keys, for which serde_json cannot fail; an empty object is written if it ever did.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// Limits applied when decoding a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest body accepted, in bytes. Default 1 MiB (activities are rarely over a few KiB;
    /// RabbitMQ's own limit is 128 MiB). Larger bodies give [`DecodeError::TooLarge`].
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
        }
    }
}

/// Why a body was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body exceeds [`Limits::max_body_bytes`].
    #[error("body of {size} bytes exceeds the limit of {limit} bytes (Limits::max_body_bytes)")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON.
    #[error("body is not valid JSON")]
    Json(#[source] serde_json::Error),
    /// The body is JSON that the model refuses.
    #[error("{model} refused{}: {reason}", if path.is_empty() { String::new() } else { format!(" at `{path}`") })]
    Invalid {
        /// The model that refused it.
        model: &'static str,
        /// Where: keys and array indices joined with `.` (empty for the whole body).
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// Any Cattle Drive message, as classified by its routing key.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// A request (client to server).
    Request(Request),
    /// A trigger (client to server).
    Trigger(Trigger),
    /// A response (server to client).
    Response(Response),
    /// An event (server to client).
    Event(EventInformation),
    /// An error (server to client).
    Error(ErrorBody),
}

impl Message {
    /// Decodes `body`, published with a routing key of `route`, with the model cattle_grid
    /// applies to that key. Refuses bodies over `limits.max_body_bytes`.
    pub fn decode(route: &Route, body: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        if body.len() > limits.max_body_bytes {
            return Err(DecodeError::TooLarge {
                size: body.len(),
                limit: limits.max_body_bytes,
            });
        }
        Ok(match route {
            Route::Request(method) => Message::Request(Request::decode(*method, body)?),
            Route::Trigger(method) => Message::Trigger(Trigger::decode(method, body)?),
            Route::Response(method) => Message::Response(Response::decode(*method, body)?),
            Route::Event { .. } => Message::Event(EventInformation::from_json(body)?),
            Route::Error => Message::Error(ErrorBody::from_json(body)?),
        })
    }

    /// The message's kind. An event's direction is the one of its `event_type`
    /// (`incoming` unless it is `outgoing`).
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Request(r) => MessageKind::of_request(r.method()),
            Message::Trigger(t) => MessageKind::of_trigger(&t.method()),
            Message::Response(r) => MessageKind::of_response(r.method()),
            Message::Event(e) if e.event_type == EventType::Outgoing => MessageKind::EventOutgoing,
            Message::Event(_) => MessageKind::EventIncoming,
            Message::Error(_) => MessageKind::Error,
        }
    }

    /// The body as cattle_grid writes it (see the [module docs](self)).
    pub fn to_json(&self) -> Vec<u8> {
        encode(self)
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Message::Request(m) => m.serialize(serializer),
            Message::Trigger(m) => m.serialize(serializer),
            Message::Response(m) => m.serialize(serializer),
            Message::Event(m) => m.serialize(serializer),
            Message::Error(m) => m.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_names_the_limit() {
        let limits = Limits { max_body_bytes: 4 };
        let err = Message::decode(&Route::Error, br#"{"error":"x"}"#, &limits);
        let Err(err) = err else {
            panic!("must be refused")
        };
        assert!(err.to_string().contains("Limits::max_body_bytes"), "{err}");
    }

    #[test]
    fn invalid_names_model_and_path() {
        let err = CreateActorRequest::from_json(br#"{"baseUrl":1}"#);
        let Err(err) = err else {
            panic!("must be refused")
        };
        assert_eq!(
            err.to_string(),
            "CreateActorRequest refused at `baseUrl`: expected a string, found an integer"
        );
    }
}
