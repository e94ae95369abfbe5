//! A codec for the wire format the deployed Cloudillo server speaks on `/ws/bus`, and the
//! mapping to and from this crate's messages where the meaning overlaps.
//!
//! The deployed server (cloudillo-rs 0.8) uses one flat envelope `{"id","cmd","data"}` in both
//! directions, with no `type` and no `timestamp`. A client `ping` is answered with
//! `{"id":<same>,"cmd":"ack","data":{"status":"pong"}}`; every other client command is
//! acknowledged with `{"status":"ok"}` and otherwise ignored. The server pushes `ACTION`
//! (data: the camelCase ActionView), `notification`, `FILE_ID_GENERATED`,
//! `DB_MAINTENANCE_DONE` and `SEARCH_REINDEX_DONE`. Errors are WebSocket close codes
//! ([`CloseCode`]), not frames. It sends nothing first, and a WebSocket Ping every 30 s.
//!
//! A server [`Session`](crate::session::Session) speaks this format when created with
//! [`Dialect::Cloudillo`](crate::session::Dialect::Cloudillo): Cloudillo's own web client
//! then works against a [`Hub`](crate::hub::Hub) unmodified.
//!
//! | Cloudillo | this crate |
//! |---|---|
//! | `ping` | [`ClientMessage::Ping`] |
//! | `ack` with `status: "pong"` | [`ServerMessage::Pong`] (timestamp supplied by the caller) |
//! | `ACTION` | [`ServerMessage::Action`]: `type` → `action_type`, `actionId`, `subType` → `sub_type`, `parentId` → `parent_id`, `issuer.idTag` → `issuer`, `audience.idTag` → `audience`, `content` (text; other JSON as its JSON text), `createdAt` (RFC 3339 or unix seconds) → `timestamp`, `status` (the fields Cloudillo's apps read; the others are dropped) |
//! | other client `cmd` equal to a [`ClientMessage`] type, payload in `data` | that message (the server would ack it with `ok` and ignore it) |
//! | `notification`, `FILE_ID_GENERATED`, `DB_MAINTENANCE_DONE`, `SEARCH_REINDEX_DONE`, `ack` `ok` | no equivalent ([`Mapped::NoEquivalent`]); the frame itself stays available |
//! | [`ErrorCode`] `E-WS-AUTH` / `E-WS-PERMISSION` / `E-WS-INVALID` | close 4401 / 4403 / 4400 ([`close_code_for`]) |
//!
//! Written `ACTION`s leave absent optional fields out (the deployed server writes some of them
//! as `null`; the apps read both alike), and write `createdAt` as RFC 3339 in whole seconds
//! (`2025-02-02T08:00:00Z`), or as unix seconds for an instant outside the years 0 to 9999.

use chrono::{DateTime, Datelike, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::message::{
    ActionNotice, ActionStatus, ActionType, ClientMessage, DecodeError, ErrorCode, Pong,
    ServerMessage, json_encoding, parse_object, payload, string_enum, to_json,
};

string_enum! {
    /// The `cmd` of a Cloudillo frame. Unknown commands are kept.
    open Command expecting "a command string" {
        /// Client keep-alive.
        Ping = "ping",
        /// The server's reply to every client frame.
        Ack = "ack",
        /// An action was created or received.
        Action = "ACTION",
        /// A notification about an action.
        Notification = "notification",
        /// A file upload got its final id.
        FileIdGenerated = "FILE_ID_GENERATED",
        /// Database maintenance finished.
        DbMaintenanceDone = "DB_MAINTENANCE_DONE",
        /// Search reindexing finished.
        SearchReindexDone = "SEARCH_REINDEX_DONE",
    }
}

/// One Cloudillo bus frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The frame id (required by the server; acks echo it).
    pub id: String,
    /// The command.
    pub cmd: Command,
    /// The payload; `null` when absent.
    #[serde(default)]
    pub data: Value,
}

/// The WebSocket close codes of the deployed `/ws/*` endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCode {
    /// 4400: bad request.
    BadRequest,
    /// 4401: authentication required (sent right after the upgrade without a token).
    Unauthorized,
    /// 4403: forbidden.
    Forbidden,
    /// 4404: not found.
    NotFound,
    /// 4409: conflict.
    Conflict,
    /// 4500: internal error.
    InternalError,
}

impl CloseCode {
    /// The numeric code.
    #[must_use]
    pub fn code(self) -> u16 {
        match self {
            CloseCode::BadRequest => 4400,
            CloseCode::Unauthorized => 4401,
            CloseCode::Forbidden => 4403,
            CloseCode::NotFound => 4404,
            CloseCode::Conflict => 4409,
            CloseCode::InternalError => 4500,
        }
    }

    /// The code for a number, if it is one of the six.
    #[must_use]
    pub fn from_code(code: u16) -> Option<Self> {
        Some(match code {
            4400 => CloseCode::BadRequest,
            4401 => CloseCode::Unauthorized,
            4403 => CloseCode::Forbidden,
            4404 => CloseCode::NotFound,
            4409 => CloseCode::Conflict,
            4500 => CloseCode::InternalError,
            _ => return None,
        })
    }
}

/// The close code a Cloudillo server would use for one of our error codes; `None` for
/// `E-WS-RATE` (the deployed server has no in-band rate limit) and unknown codes.
#[must_use]
pub fn close_code_for(code: &ErrorCode) -> Option<CloseCode> {
    match code {
        ErrorCode::Auth => Some(CloseCode::Unauthorized),
        ErrorCode::Permission => Some(CloseCode::Forbidden),
        ErrorCode::Invalid => Some(CloseCode::BadRequest),
        _ => None,
    }
}

/// The result of mapping a frame to this crate's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped<T> {
    /// The frame means this message.
    Message(T),
    /// This crate has no message with that meaning.
    NoEquivalent,
}

impl Frame {
    /// Decodes one frame.
    ///
    /// # Errors
    /// [`DecodeError`]: not JSON, not an object, or `id`/`cmd` missing or not strings (as
    /// [`DecodeError::InvalidFields`] with `message_type` `"cloudillo"`).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        payload("cloudillo", parse_object(bytes)?)
    }

    /// The server's reply to this client frame: `ack` with the same id and
    /// `{"status":"pong"}` for `ping`, `{"status":"ok"}` for anything else.
    #[must_use]
    pub fn ack(&self) -> Frame {
        let status = if self.cmd == Command::Ping {
            "pong"
        } else {
            "ok"
        };
        Frame {
            id: self.id.clone(),
            cmd: Command::Ack,
            data: json!({ "status": status }),
        }
    }

    /// The client message this frame carries (see the module table).
    ///
    /// # Errors
    /// [`DecodeError`] when `cmd` names a client message but `data` does not fit it.
    pub fn to_client_message(&self) -> Result<Mapped<ClientMessage>, DecodeError> {
        if self.cmd == Command::Ping {
            return Ok(Mapped::Message(ClientMessage::Ping));
        }
        let cmd = self.cmd.as_str();
        if !ClientMessage::TYPES.contains(&cmd) {
            return Ok(Mapped::NoEquivalent);
        }
        let mut object = match &self.data {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            _ => {
                return Err(DecodeError::InvalidFields {
                    message_type: "cloudillo",
                    detail: format!("`data` of `{cmd}` is not an object"),
                });
            }
        };
        object.insert("type".into(), Value::String(cmd.to_owned()));
        ClientMessage::decode(&to_json(&object).into_bytes()).map(Mapped::Message)
    }

    /// A client message as a Cloudillo frame with id `id`: `ping` as `ping`, anything else
    /// as `cmd` = its type and `data` = its fields.
    #[must_use]
    pub fn from_client_message(message: &ClientMessage, id: impl Into<String>) -> Frame {
        let cmd = Command::parse(message.kind());
        let data = match serde_json::to_value(message) {
            Ok(Value::Object(mut map)) if *message != ClientMessage::Ping => {
                map.remove("type");
                Value::Object(map)
            }
            _ => Value::Null,
        };
        Frame {
            id: id.into(),
            cmd,
            data,
        }
    }

    /// The server message this frame carries (see the module table). `wall` (the wall clock,
    /// as everywhere in the crate) stamps messages whose frame has no time of its own (`pong`),
    /// in unix seconds.
    ///
    /// # Errors
    /// [`DecodeError::InvalidFields`] naming the field when an `ACTION` lacks `actionId`,
    /// `type`, `issuer.idTag` or a readable `createdAt`.
    pub fn to_server_message(
        &self,
        wall: web_time::SystemTime,
    ) -> Result<Mapped<ServerMessage>, DecodeError> {
        match self.cmd {
            Command::Ack if self.data.get("status").and_then(Value::as_str) == Some("pong") => {
                Ok(Mapped::Message(ServerMessage::Pong(Pong {
                    timestamp: crate::wall_clock::unix_seconds(wall),
                })))
            }
            Command::Action => {
                action_from_view(&self.data).map(|a| Mapped::Message(ServerMessage::Action(a)))
            }
            _ => Ok(Mapped::NoEquivalent),
        }
    }

    /// A server message as a Cloudillo frame with id `id`, where Cloudillo has one: `action`
    /// as `ACTION` (ActionView subset), `pong` as `ack`/`pong` (use the ping's id). `None` for
    /// the rest (errors become close codes, see [`close_code_for`]).
    #[must_use]
    pub fn from_server_message(message: &ServerMessage, id: impl Into<String>) -> Option<Frame> {
        let (cmd, data) = match message {
            ServerMessage::Pong(_) => (Command::Ack, json!({ "status": "pong" })),
            ServerMessage::Action(a) => (Command::Action, action_to_view(a)),
            _ => return None,
        };
        Some(Frame {
            id: id.into(),
            cmd,
            data,
        })
    }
}

// `encode`/`to_json_string` write `id`, `cmd`, `data` in that order.
json_encoding!(Frame);

fn invalid(detail: &str) -> DecodeError {
    DecodeError::InvalidFields {
        message_type: "cloudillo",
        detail: format!("ACTION data: {detail}"),
    }
}

fn action_from_view(data: &Value) -> Result<ActionNotice, DecodeError> {
    let text = |field: &str| data.get(field).and_then(Value::as_str);
    let action_id = text("actionId").ok_or_else(|| invalid("missing string `actionId`"))?;
    let action_type = text("type").ok_or_else(|| invalid("missing string `type`"))?;
    let issuer = data
        .get("issuer")
        .and_then(|i| i.get("idTag"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("missing string `issuer.idTag`"))?;
    let timestamp = match data.get("createdAt") {
        Some(Value::String(iso)) => DateTime::parse_from_rfc3339(iso)
            .map_err(|e| invalid(&format!("`createdAt` {iso:?} is not RFC 3339: {e}")))?
            .timestamp(),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| invalid("`createdAt` is not an integer"))?,
        _ => return Err(invalid("missing `createdAt`")),
    };
    let content = match data.get("content") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let audience = match data.get("audience") {
        None | Some(Value::Null) => None,
        Some(profile) => Some(
            profile
                .get("idTag")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("`audience` has no string `idTag`"))?
                .to_owned(),
        ),
    };
    Ok(ActionNotice {
        action_type: ActionType::parse(action_type),
        action_id: action_id.to_owned(),
        issuer: issuer.to_owned(),
        content,
        timestamp,
        source: None,
        sub_type: optional_text(data, "subType")?,
        parent_id: optional_text(data, "parentId")?,
        audience,
        status: optional_text(data, "status")?.map(|s| ActionStatus::parse(&s)),
    })
}

/// An optional string field of an ActionView: absent and `null` are `None`, anything but a
/// string is an error naming the field.
fn optional_text(data: &Value, field: &str) -> Result<Option<String>, DecodeError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(&format!("`{field}` is not a string"))),
    }
}

/// The ActionView of a notice: the fields Cloudillo's apps read; absent optional fields are
/// left out (the apps treat a missing field as they treat `null`).
fn action_to_view(action: &ActionNotice) -> Value {
    let mut view = Map::new();
    view.insert("actionId".into(), json!(action.action_id));
    view.insert("type".into(), json!(action.action_type.as_str()));
    if let Some(sub_type) = &action.sub_type {
        view.insert("subType".into(), json!(sub_type));
    }
    if let Some(parent_id) = &action.parent_id {
        view.insert("parentId".into(), json!(parent_id));
    }
    view.insert("issuer".into(), json!({ "idTag": action.issuer }));
    if let Some(audience) = &action.audience {
        view.insert("audience".into(), json!({ "idTag": audience }));
    }
    if let Some(content) = &action.content {
        view.insert("content".into(), json!(content));
    }
    // RFC 3339 has four-digit years; other instants are written as unix seconds, which
    // `createdAt` also accepts.
    let created = DateTime::from_timestamp(action.timestamp, 0)
        .filter(|t| (0..=9999).contains(&t.year()))
        .map_or_else(
            || json!(action.timestamp),
            |t| json!(t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
    view.insert("createdAt".into(), created);
    if let Some(status) = &action.status {
        view.insert("status".into(), json!(status.as_str()));
    }
    Value::Object(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_round_trip() {
        for code in [4400, 4401, 4403, 4404, 4409, 4500] {
            assert_eq!(CloseCode::from_code(code).map(CloseCode::code), Some(code));
        }
        assert_eq!(CloseCode::from_code(4402), None);
        assert_eq!(
            close_code_for(&ErrorCode::Auth),
            Some(CloseCode::Unauthorized)
        );
        assert_eq!(close_code_for(&ErrorCode::Rate), None);
    }

    #[test]
    fn missing_data_is_null_and_missing_id_is_an_error() {
        let f = Frame::decode(br#"{"id":"1","cmd":"ping"}"#).unwrap();
        assert_eq!(f.data, Value::Null);
        let err = Frame::decode(br#"{"cmd":"ping"}"#).unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidFields {
                message_type: "cloudillo",
                detail: "missing field `id`".into()
            }
        );
    }

    #[test]
    fn action_createdat_forms() {
        let iso = json!({"actionId":"a","type":"POST","issuer":{"idTag":"x"},"createdAt":"2025-02-02T08:00:00Z"});
        assert_eq!(action_from_view(&iso).unwrap().timestamp, 1_738_483_200);
        let num =
            json!({"actionId":"a","type":"POST","issuer":{"idTag":"x"},"createdAt":1_738_483_200});
        assert_eq!(action_from_view(&num).unwrap().timestamp, 1_738_483_200);
        let bad =
            json!({"actionId":"a","type":"POST","issuer":{"idTag":"x"},"createdAt":"yesterday"});
        assert!(action_from_view(&bad).is_err());
    }

    #[test]
    fn instants_outside_four_digit_years_are_written_as_unix_seconds() {
        // 10000-01-01T00:00:00Z: RFC 3339 cannot write it, so it goes out as a number.
        for timestamp in [253_402_300_800, -62_167_219_201, i64::MAX, i64::MIN] {
            let notice = ActionNotice::new(ActionType::Post, "a", "x", timestamp);
            let view = action_to_view(&notice);
            assert_eq!(view["createdAt"], json!(timestamp));
            assert_eq!(action_from_view(&view), Ok(notice));
        }
        let last = ActionNotice::new(ActionType::Post, "a", "x", 253_402_300_799);
        assert_eq!(
            action_to_view(&last)["createdAt"],
            json!("9999-12-31T23:59:59Z")
        );
    }
}
