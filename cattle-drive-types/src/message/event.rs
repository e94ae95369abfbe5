//! Events: `receive.NAME.incoming.TYPE` and `receive.NAME.outgoing.TYPE`, cattle_grid's
//! `EventInformation`.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{self, Extras, FieldError, decode_object, nullable};
use super::{Body, DecodeError};

/// cattle_grid's `EventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EventType {
    /// Received from the Fediverse for one of the account's actors.
    Incoming,
    /// Sent to the Fediverse by one of the account's actors.
    Outgoing,
    /// In the enum, not published by cattle_grid 0.5.22.
    Error,
    /// The history stream (`combined.NAME`).
    Combined,
}

impl EventType {
    /// The wire string: `incoming`, `outgoing`, `error` or `combined`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Incoming => "incoming",
            EventType::Outgoing => "outgoing",
            EventType::Error => "error",
            EventType::Combined => "combined",
        }
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        match value.as_str() {
            Some("incoming") => Ok(EventType::Incoming),
            Some("outgoing") => Ok(EventType::Outgoing),
            Some("error") => Ok(EventType::Error),
            Some("combined") => Ok(EventType::Combined),
            _ => Err(FieldError::new(format!(
                "expected one of incoming, outgoing, error, combined, found {}",
                match &value {
                    Value::String(s) => format!("`{s}`"),
                    other => fields::type_name(other).to_owned(),
                }
            ))),
        }
    }
}

/// An event: cattle_grid's `EventInformation` (snake_case keys, no aliases; unknown keys are
/// ignored by cattle_grid and kept here). `data` is the transformer's output: the activity under
/// `raw` plus whatever the server's transformer extensions add (e.g. muck_out's `parsed`).
///
/// Outgoing events carry the correlation id of the trigger that caused them, so the same id may
/// be seen on a response, an error and events; see [`crate::client`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EventInformation {
    /// The transformed data: `raw` and transformer keys.
    pub data: Map<String, Value>,
    /// The actor that received or sent the activity.
    pub actor: String,
    /// Incoming or outgoing.
    pub event_type: EventType,
    /// The id in the server's history (set on `combined.NAME` only).
    pub history_id: Option<String>,
    /// Keys the model does not know, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EventInformation {
    /// An event of `actor` whose data is `{"raw": activity}` (no transformer keys).
    pub fn new(
        event_type: EventType,
        actor: impl Into<String>,
        activity: Map<String, Value>,
    ) -> Self {
        let mut data = Map::new();
        data.insert("raw".to_owned(), Value::Object(activity));
        EventInformation {
            data,
            actor: actor.into(),
            event_type,
            history_id: None,
            extra: Map::new(),
        }
    }

    /// The activity, `data.raw`, when it is an object.
    pub fn raw(&self) -> Option<&Map<String, Value>> {
        self.data.get("raw").and_then(Value::as_object)
    }
}

impl Body for EventInformation {
    const MODEL: &'static str = "EventInformation";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(EventInformation {
                data: f.required("data", fields::object)?,
                actor: f.required("actor", fields::string)?,
                event_type: f.required("event_type", EventType::from_value)?,
                history_id: f
                    .optional("history_id", nullable(fields::string))?
                    .flatten(),
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_cattle_grid_key_order() {
        let mut activity = Map::new();
        activity.insert("type".into(), json!("Follow"));
        let event = EventInformation::new(EventType::Incoming, "a", activity);
        assert_eq!(
            event.to_json(),
            br#"{"data":{"raw":{"type":"Follow"}},"actor":"a","event_type":"incoming","history_id":null}"#
        );
    }

    #[test]
    fn refusals_match_pydantic() {
        for body in [
            json!({"actor": "a", "data": {}, "event_type": "Incoming"}),
            json!({"actor": "a", "data": [], "event_type": "incoming"}),
            json!({"actor": "a", "data": {}, "event_type": "incoming", "history_id": 5}),
            json!({"actor": "a", "data": {}, "eventType": "incoming"}),
        ] {
            assert!(
                EventInformation::from_json(body.to_string().as_bytes()).is_err(),
                "{body}"
            );
        }
        let ok =
            json!({"actor": "a", "data": {}, "event_type": "combined", "history_id": "7", "x": 1});
        assert!(EventInformation::from_json(ok.to_string().as_bytes()).is_ok());
    }
}
