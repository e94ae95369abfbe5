//! Triggers: `send.NAME.trigger.METHOD`, methods of cattle_grid's ActivityExchange.
//!
//! The account router checks every trigger against `TriggerMessage` (an `actor` string, any
//! other keys allowed) and forwards it unchanged to the exchange, whose method handler applies
//! its own model: [`ActivityMessage`] for `send_message`, [`UpdateActorMessage`] for
//! `update_actor`, [`DeleteActorMessage`] for `delete_actor`. Extension methods are
//! [`TriggerMessage`]s with their extra keys kept.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{self, Extras, FieldError, decode_nested, decode_object, nullable};
use super::{Body, DecodeError};
use crate::topic::TriggerMethod;

/// cattle_grid's `TriggerMessage`: the body of any trigger, an `actor` plus any other keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TriggerMessage {
    /// The actor (of this account) the method acts as.
    pub actor: String,
    /// The method's other keys, in input order (the model allows extras).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TriggerMessage {
    /// A trigger as `actor` with no other keys.
    pub fn new(actor: impl Into<String>) -> Self {
        TriggerMessage {
            actor: actor.into(),
            extra: Map::new(),
        }
    }

    /// Adds the key `key` (replacing an earlier value) and returns the message.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

impl Body for TriggerMessage {
    const MODEL: &'static str = "TriggerMessage";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(TriggerMessage {
                actor: f.required("actor", fields::string)?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// `send_message`: cattle_grid's `ActivityMessage` (`extra="forbid"`): exactly `actor` and the
/// activity `data`. The activity is sent as it is; one without `type` is dropped by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActivityMessage {
    /// The sending actor.
    pub actor: String,
    /// The activity.
    pub data: Map<String, Value>,
}

impl ActivityMessage {
    /// Send `data` as `actor`.
    pub fn new(actor: impl Into<String>, data: Map<String, Value>) -> Self {
        ActivityMessage {
            actor: actor.into(),
            data,
        }
    }
}

impl Body for ActivityMessage {
    const MODEL: &'static str = "ActivityMessage";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            let message = ActivityMessage {
                actor: f.required("actor", fields::string)?,
                data: f.required("data", fields::object)?,
            };
            f.finish(Extras::Forbid)?;
            Ok(message)
        })
    }
}

/// `delete_actor`: cattle_grid's `DeleteActorMessage` (`extra="forbid"`): exactly `actor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeleteActorMessage {
    /// The actor to delete.
    pub actor: String,
}

impl DeleteActorMessage {
    /// Delete `actor`.
    pub fn new(actor: impl Into<String>) -> Self {
        DeleteActorMessage {
            actor: actor.into(),
        }
    }
}

impl Body for DeleteActorMessage {
    const MODEL: &'static str = "DeleteActorMessage";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            let message = DeleteActorMessage {
                actor: f.required("actor", fields::string)?,
            };
            f.finish(Extras::Forbid)?;
            Ok(message)
        })
    }
}

/// `update_actor`: cattle_grid's `UpdateActorMessage` (unknown keys ignored there, kept here).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UpdateActorMessage {
    /// The actor to update.
    pub actor: String,
    /// Properties merged into the stored profile.
    pub profile: Option<Map<String, Value>>,
    /// Whether to accept follow requests automatically (the key is `autoFollow`, no alias).
    #[serde(rename = "autoFollow")]
    pub auto_follow: Option<bool>,
    /// Changes applied in order.
    pub actions: Vec<UpdateAction>,
    /// Keys the model does not know, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateActorMessage {
    /// An update of `actor` that changes nothing yet.
    pub fn new(actor: impl Into<String>) -> Self {
        UpdateActorMessage {
            actor: actor.into(),
            profile: None,
            auto_follow: None,
            actions: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl Body for UpdateActorMessage {
    const MODEL: &'static str = "UpdateActorMessage";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        decode_object(body, Self::MODEL, |f| {
            Ok(UpdateActorMessage {
                actor: f.required("actor", fields::string)?,
                profile: f.optional("profile", nullable(fields::object))?.flatten(),
                auto_follow: f
                    .optional("autoFollow", nullable(fields::lax_bool))?
                    .flatten(),
                actions: f
                    .optional("actions", |v| fields::list(v, UpdateAction::from_value))?
                    .unwrap_or_default(),
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// One change of an [`UpdateActorMessage`], chosen by its `action` key (a discriminated union:
/// a missing or unknown `action` is refused, including `remove_identifier`, which cattle_grid
/// 0.5.22 lists but no action model accepts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum UpdateAction {
    /// `add_identifier`, `create_identifier`, `update_identifier`.
    Identifier(UpdateIdentifierAction),
    /// `rename`.
    Rename(RenameActorAction),
    /// `update_property_value`, `remove_property_value`.
    PropertyValue(UpdatePropertyValueAction),
    /// `add_url`, `remove_url`.
    Url(UpdateUrlAction),
}

/// The `action` values of [`UpdateIdentifierAction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentifierAction {
    /// Adds an identifier that already exists.
    AddIdentifier,
    /// Creates an identifier on a domain cattle_grid controls.
    CreateIdentifier,
    /// Updates an identifier.
    UpdateIdentifier,
}

/// The `action` values of [`UpdatePropertyValueAction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PropertyValueAction {
    /// Adds or updates a property value.
    UpdatePropertyValue,
    /// Removes a property value.
    RemovePropertyValue,
}

/// The `action` values of [`UpdateUrlAction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UrlAction {
    /// Adds a URL to the profile.
    AddUrl,
    /// Removes a URL from the profile.
    RemoveUrl,
}

/// cattle_grid's `UpdateIdentifierAction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UpdateIdentifierAction {
    /// Which identifier change.
    pub action: IdentifierAction,
    /// The identifier, e.g. `acct:alice@domain.example`.
    pub identifier: String,
    /// Make it the primary identifier (default false).
    pub primary: bool,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// cattle_grid's `RenameActorAction`: changes the internal name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RenameActorAction {
    /// Always `rename`; present so the action writes its discriminator.
    action: RenameTag,
    /// The new internal name.
    pub name: String,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename = "rename")]
enum RenameTag {
    #[serde(rename = "rename")]
    Rename,
}

/// cattle_grid's `UpdatePropertyValueAction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UpdatePropertyValueAction {
    /// Update or remove.
    pub action: PropertyValueAction,
    /// The property's key.
    pub key: String,
    /// The property's value.
    pub value: Option<String>,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// cattle_grid's `UpdateUrlAction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UpdateUrlAction {
    /// Add or remove.
    pub action: UrlAction,
    /// The URL.
    pub url: String,
    /// Its media type.
    pub media_type: Option<String>,
    /// Its link relation.
    pub rel: Option<String>,
    /// Keys the model does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateAction {
    /// An identifier change.
    pub fn identifier(
        action: IdentifierAction,
        identifier: impl Into<String>,
        primary: bool,
    ) -> Self {
        UpdateAction::Identifier(UpdateIdentifierAction {
            action,
            identifier: identifier.into(),
            primary,
            extra: Map::new(),
        })
    }

    /// A change of the internal name.
    pub fn rename(name: impl Into<String>) -> Self {
        UpdateAction::Rename(RenameActorAction {
            action: RenameTag::Rename,
            name: name.into(),
            extra: Map::new(),
        })
    }

    /// A property value change.
    pub fn property_value(
        action: PropertyValueAction,
        key: impl Into<String>,
        value: Option<String>,
    ) -> Self {
        UpdateAction::PropertyValue(UpdatePropertyValueAction {
            action,
            key: key.into(),
            value,
            extra: Map::new(),
        })
    }

    /// A URL change.
    pub fn url(
        action: UrlAction,
        url: impl Into<String>,
        media_type: Option<String>,
        rel: Option<String>,
    ) -> Self {
        UpdateAction::Url(UpdateUrlAction {
            action,
            url: url.into(),
            media_type,
            rel,
            extra: Map::new(),
        })
    }

    /// The `action` string this change writes.
    pub fn action_name(&self) -> &'static str {
        match self {
            UpdateAction::Identifier(a) => match a.action {
                IdentifierAction::AddIdentifier => "add_identifier",
                IdentifierAction::CreateIdentifier => "create_identifier",
                IdentifierAction::UpdateIdentifier => "update_identifier",
            },
            UpdateAction::Rename(_) => "rename",
            UpdateAction::PropertyValue(a) => match a.action {
                PropertyValueAction::UpdatePropertyValue => "update_property_value",
                PropertyValueAction::RemovePropertyValue => "remove_property_value",
            },
            UpdateAction::Url(a) => match a.action {
                UrlAction::AddUrl => "add_url",
                UrlAction::RemoveUrl => "remove_url",
            },
        }
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        let tag = match &value {
            Value::Object(map) => match map.get("action") {
                Some(Value::String(tag)) => tag.clone(),
                Some(other) => {
                    return Err(FieldError::new(format!(
                        "expected an action name, found {}",
                        fields::type_name(other)
                    ))
                    .at("action"));
                }
                None => return Err(FieldError::new("missing the discriminator key").at("action")),
            },
            other => {
                return Err(FieldError::new(format!(
                    "expected an object, found {}",
                    fields::type_name(other)
                )));
            }
        };
        decode_nested(value, |f| {
            f.required("action", |_| Ok(()))?;
            let action = match tag.as_str() {
                "add_identifier" | "create_identifier" | "update_identifier" => {
                    UpdateAction::Identifier(UpdateIdentifierAction {
                        action: match tag.as_str() {
                            "add_identifier" => IdentifierAction::AddIdentifier,
                            "create_identifier" => IdentifierAction::CreateIdentifier,
                            _ => IdentifierAction::UpdateIdentifier,
                        },
                        identifier: f.required("identifier", fields::string)?,
                        primary: f.optional("primary", fields::lax_bool)?.unwrap_or(false),
                        extra: Map::new(),
                    })
                }
                "rename" => UpdateAction::Rename(RenameActorAction {
                    action: RenameTag::Rename,
                    name: f.required("name", fields::string)?,
                    extra: Map::new(),
                }),
                "update_property_value" | "remove_property_value" => {
                    UpdateAction::PropertyValue(UpdatePropertyValueAction {
                        action: if tag == "update_property_value" {
                            PropertyValueAction::UpdatePropertyValue
                        } else {
                            PropertyValueAction::RemovePropertyValue
                        },
                        key: f.required("key", fields::string)?,
                        value: f.optional("value", nullable(fields::string))?.flatten(),
                        extra: Map::new(),
                    })
                }
                "add_url" | "remove_url" => UpdateAction::Url(UpdateUrlAction {
                    action: if tag == "add_url" {
                        UrlAction::AddUrl
                    } else {
                        UrlAction::RemoveUrl
                    },
                    url: f.required("url", fields::string)?,
                    media_type: f
                        .optional("media_type", nullable(fields::string))?
                        .flatten(),
                    rel: f.optional("rel", nullable(fields::string))?.flatten(),
                    extra: Map::new(),
                }),
                unknown => {
                    return Err(FieldError::new(format!(
                        "unknown action `{unknown}`, expected one of add_identifier, create_identifier, \
                         update_identifier, rename, update_property_value, remove_property_value, \
                         add_url, remove_url"
                    ))
                    .at("action"));
                }
            };
            let extra = f.finish(Extras::Keep)?;
            Ok(action.with_extra(extra))
        })
    }

    fn with_extra(mut self, extra: Map<String, Value>) -> Self {
        match &mut self {
            UpdateAction::Identifier(a) => a.extra = extra,
            UpdateAction::Rename(a) => a.extra = extra,
            UpdateAction::PropertyValue(a) => a.extra = extra,
            UpdateAction::Url(a) => a.extra = extra,
        }
        self
    }
}

/// A trigger, by method: the three built-in ones typed, any other method kept as a
/// [`TriggerMessage`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Trigger {
    /// `send_message`.
    SendMessage(ActivityMessage),
    /// `update_actor`.
    UpdateActor(UpdateActorMessage),
    /// `delete_actor`.
    DeleteActor(DeleteActorMessage),
    /// Any other method (an extension's), e.g. `publish_object` or `html_display_export`.
    Extension {
        /// The method (the routing key's tail; may contain dots).
        method: TriggerMethod,
        /// The body.
        message: TriggerMessage,
    },
}

impl Trigger {
    /// The method this trigger calls.
    pub fn method(&self) -> TriggerMethod {
        match self {
            Trigger::SendMessage(_) => TriggerMethod::send_message(),
            Trigger::UpdateActor(_) => TriggerMethod::update_actor(),
            Trigger::DeleteActor(_) => TriggerMethod::delete_actor(),
            Trigger::Extension { method, .. } => method.clone(),
        }
    }

    /// The actor the trigger acts as.
    pub fn actor(&self) -> &str {
        match self {
            Trigger::SendMessage(m) => &m.actor,
            Trigger::UpdateActor(m) => &m.actor,
            Trigger::DeleteActor(m) => &m.actor,
            Trigger::Extension { message, .. } => &message.actor,
        }
    }

    /// Decodes the body of a trigger of `method` with the model cattle_grid applies to it.
    pub fn decode(method: &TriggerMethod, body: &[u8]) -> Result<Self, DecodeError> {
        Ok(match method.as_str() {
            TriggerMethod::SEND_MESSAGE => Trigger::SendMessage(ActivityMessage::from_json(body)?),
            TriggerMethod::UPDATE_ACTOR => {
                Trigger::UpdateActor(UpdateActorMessage::from_json(body)?)
            }
            TriggerMethod::DELETE_ACTOR => {
                Trigger::DeleteActor(DeleteActorMessage::from_json(body)?)
            }
            _ => Trigger::Extension {
                method: method.clone(),
                message: TriggerMessage::from_json(body)?,
            },
        })
    }
}

impl Serialize for Trigger {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Trigger::SendMessage(m) => m.serialize(serializer),
            Trigger::UpdateActor(m) => m.serialize(serializer),
            Trigger::DeleteActor(m) => m.serialize(serializer),
            Trigger::Extension { message, .. } => message.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(value: Value) -> Vec<u8> {
        value.to_string().into_bytes()
    }

    #[test]
    fn send_message_forbids_extra_keys() {
        let err = ActivityMessage::from_json(&bytes(json!({"actor": "a", "data": {}, "x": 1})));
        assert!(
            matches!(err, Err(DecodeError::Invalid { ref path, .. }) if path == "x"),
            "{err:?}"
        );
        assert!(ActivityMessage::from_json(&bytes(json!({"actor": "a"}))).is_err());
        assert!(ActivityMessage::from_json(&bytes(json!({"actor": "a", "data": []}))).is_err());
    }

    #[test]
    fn update_actor_actions_are_discriminated() {
        let ok = UpdateActorMessage::from_json(&bytes(json!({
            "actor": "a", "autoFollow": "on",
            "actions": [{"action": "rename", "name": "x", "y": 1}, {"action": "add_url", "url": "u"}]
        })));
        let Ok(ok) = ok else { panic!("{ok:?}") };
        assert_eq!(ok.auto_follow, Some(true));
        assert_eq!(
            serde_json::to_value(&ok).ok(),
            Some(
                json!({"actor": "a", "profile": null, "autoFollow": true, "actions": [
                    {"action": "rename", "name": "x", "y": 1},
                    {"action": "add_url", "url": "u", "media_type": null, "rel": null}
                ]})
            )
        );
        for actions in [
            json!([{"name": "x"}]),
            json!([{"action": "remove_identifier", "identifier": "x"}]),
            json!([{"action": "Rename", "name": "x"}]),
            json!([{"action": 5}]),
            json!(null),
            json!([1]),
        ] {
            let body = bytes(json!({"actor": "a", "actions": actions}));
            assert!(UpdateActorMessage::from_json(&body).is_err(), "{actions}");
        }
    }

    #[test]
    fn auto_follow_has_no_snake_case_name() {
        let m = UpdateActorMessage::from_json(&bytes(json!({"actor": "a", "auto_follow": true})));
        let Ok(m) = m else { panic!("{m:?}") };
        assert_eq!(m.auto_follow, None);
        assert_eq!(m.extra.get("auto_follow"), Some(&json!(true)));
    }

    #[test]
    fn extension_trigger_keeps_its_keys() {
        let method = TriggerMethod::new("html_display.export").ok();
        let Some(method) = method else {
            panic!("valid method")
        };
        let t = Trigger::decode(
            &method,
            &bytes(json!({"actor": "a", "name": "n", "nested": {"x": [1]}})),
        );
        let Ok(Trigger::Extension { message, .. }) = t else {
            panic!("{t:?}")
        };
        assert_eq!(
            Value::Object(message.extra),
            json!({"name": "n", "nested": {"x": [1]}})
        );
    }
}
