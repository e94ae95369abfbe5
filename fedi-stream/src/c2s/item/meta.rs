//! [`Meta`]: the data of `meta` events (server status rather than collection items).

use serde::{Deserialize, Serialize};

use super::catch_up::CatchUp;
use super::error::JsonError;
use super::id::ItemId;
use super::json::Json;

/// What a `meta` event says. Its data is a JSON object whose `type` names the status:
///
/// | `type` | fields | meaning |
/// |---|---|---|
/// | `catchUp` | `reason`, `minId`?, `url`, `until`? | fetch the missed items from `url` ([`CatchUp`]) |
/// | `restart` | `message`, `inSeconds`? | the server will restart; expect a disconnect |
/// | `notice` | `message` | any other human-readable status |
/// | `position` | `lastEventId` | the stream's position when it opened, for a subscriber without a last id; the event carries the same id (SSE `id:`, WebSocket envelope `id`) |
///
/// Other `type`s (and objects that do not fit their type's fields) are kept as
/// [`Meta::Other`], so a newer server's statuses reach the application unchanged.
///
/// ```
/// use fedi_stream::c2s::item::Meta;
///
/// let restart = Meta::Restart { message: "reboot in 5 minutes".into(), in_seconds: Some(300) };
/// let json = restart.to_json();
/// assert_eq!(json.as_str(), r#"{"type":"restart","message":"reboot in 5 minutes","inSeconds":300}"#);
/// assert_eq!(Meta::from_json(&json), restart);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Meta {
    /// Fetch missed items from the collection endpoint.
    CatchUp(CatchUp),
    /// The server is going to restart.
    Restart {
        /// Human-readable text, e.g. "reboot in 5 minutes".
        message: String,
        /// Seconds until the restart, if known.
        in_seconds: Option<u64>,
    },
    /// Any other human-readable status.
    Notice {
        /// The text.
        message: String,
    },
    /// The stream's position when it opened, for a subscriber that sent no last id: resume
    /// from here.
    Position {
        /// The newest item id of the collection.
        last_event_id: ItemId,
    },
    /// A status of another `type`, kept as received.
    Other(Json),
}

#[derive(Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum Wire {
    CatchUp(CatchUp),
    Restart {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        in_seconds: Option<u64>,
    },
    Notice {
        message: String,
    },
    Position {
        last_event_id: ItemId,
    },
}

impl Meta {
    /// The `type` value of this status.
    #[must_use]
    pub fn type_name(&self) -> Option<&str> {
        match self {
            Self::CatchUp(_) => Some("catchUp"),
            Self::Restart { .. } => Some("restart"),
            Self::Notice { .. } => Some("notice"),
            Self::Position { .. } => Some("position"),
            Self::Other(json) => other_type(json),
        }
    }

    /// The event data: a compact JSON object.
    #[must_use]
    pub fn to_json(&self) -> Json {
        let wire = match self {
            Self::CatchUp(catch_up) => Wire::CatchUp(catch_up.clone()),
            Self::Restart {
                message,
                in_seconds,
            } => Wire::Restart {
                message: message.clone(),
                in_seconds: *in_seconds,
            },
            Self::Notice { message } => Wire::Notice {
                message: message.clone(),
            },
            Self::Position { last_event_id } => Wire::Position {
                last_event_id: last_event_id.clone(),
            },
            Self::Other(json) => return json.clone(),
        };
        // A struct-like enum of strings and numbers always serialises to an object.
        Json::from_serialize(&wire).unwrap_or_else(|_| Json::empty_object())
    }

    /// Reads the data of a `meta` event. Never fails: what does not fit a known status is
    /// [`Meta::Other`].
    #[must_use]
    pub fn from_json(json: &Json) -> Self {
        match json.parse::<Wire>() {
            Ok(Wire::CatchUp(catch_up)) => Self::CatchUp(catch_up),
            Ok(Wire::Restart {
                message,
                in_seconds,
            }) => Self::Restart {
                message,
                in_seconds,
            },
            Ok(Wire::Notice { message }) => Self::Notice { message },
            Ok(Wire::Position { last_event_id }) => Self::Position { last_event_id },
            Err(_) => Self::Other(json.clone()),
        }
    }

    /// Parses the data of a `meta` event from text.
    ///
    /// # Errors
    /// [`JsonError`] if `data` is not a JSON object.
    pub fn parse(data: &str) -> Result<Self, JsonError> {
        Ok(Self::from_json(&Json::from_bytes(data.to_owned())?))
    }
}

fn other_type(json: &Json) -> Option<&str> {
    #[derive(Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<&'a str>,
    }
    serde_json::from_str::<Typed<'_>>(json.as_str())
        .ok()
        .and_then(|typed| typed.kind)
}

impl From<CatchUp> for Meta {
    fn from(catch_up: CatchUp) -> Self {
        Self::CatchUp(catch_up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c2s::item::CatchUpReason;

    #[test]
    fn round_trips_every_known_status() {
        let collection = url::Url::parse("https://h.example/inbox").unwrap();
        let statuses = [
            Meta::CatchUp(CatchUp::new(
                CatchUpReason::SlowConsumer,
                &collection,
                Some(ItemId::new("7").unwrap()),
                None,
            )),
            Meta::Restart {
                message: "bye".into(),
                in_seconds: None,
            },
            Meta::Notice {
                message: "read-only for maintenance".into(),
            },
            Meta::Position {
                last_event_id: ItemId::new("42").unwrap(),
            },
        ];
        for meta in statuses {
            let json = meta.to_json();
            assert_eq!(Meta::from_json(&json), meta, "{json}");
        }
    }

    #[test]
    fn catch_up_has_the_documented_fields() {
        let json = Json::from_bytes(
            r#"{"type":"catchUp","reason":"outOfWindow","minId":"41","url":"https://h/inbox?min_id=41","until":"97"}"#,
        )
        .unwrap();
        let Meta::CatchUp(catch_up) = Meta::from_json(&json) else {
            panic!("not a catch-up");
        };
        assert_eq!(catch_up.reason, CatchUpReason::OutOfWindow);
        assert_eq!(catch_up.min_id.unwrap(), "41");
        assert_eq!(catch_up.until.unwrap(), "97");
    }

    #[test]
    fn unknown_or_malformed_statuses_are_kept() {
        for text in [
            r#"{"type":"shardMove","to":"b"}"#,
            r#"{"type":"catchUp","reason":"nope","url":"x"}"#,
            r#"{"type":"catchUp","reason":"outOfWindow","url":"x","minId":"a\nb"}"#,
            r#"{"message":"no type"}"#,
        ] {
            let json = Json::from_bytes(text).unwrap();
            assert_eq!(Meta::from_json(&json), Meta::Other(json.clone()));
            assert_eq!(Meta::from_json(&json).to_json(), json);
        }
        let other = Meta::from_json(&Json::from_bytes(r#"{"type":"shardMove"}"#).unwrap());
        assert_eq!(other.type_name(), Some("shardMove"));
    }
}
