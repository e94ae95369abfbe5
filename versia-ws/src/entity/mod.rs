//! Typed Versia entities, kept lossless.
//!
//! Every entity type the crate knows is a struct with the common fields ([`EntityCommon`]),
//! its own fields typed, and every other member (unknown fields, future fields) in `other`.
//! Optional fields are [`Nullable`], which tells an absent member from a `null` one. So
//! parsing then serialising gives back the same JSON value; only member order may change.
//!
//! The structs cover 0.5 and 0.6 at once: fields that exist in only one version are
//! optional here (`uri` and `collections` are 0.5; 0.6 transient entities have no `id`).
//! Types the crate does not know become [`Entity::Unknown`] with all their members.
//!
//! The signature covers the entity's exact text, not this model: verify first
//! ([`crate::message`]), then parse, then check that the signer may send it
//! ([`Entity::check_authority`]: an instance signs for its own users only).

mod authority;
mod content_format;
mod delete;
mod follow;
mod group;
mod instance;
mod note;
mod nullable;
mod share;
mod user;

pub use authority::{AuthorityError, check_author, reference_instance};
pub use content_format::{ContentEntry, ContentFormat};
pub use delete::Delete;
pub use follow::{Follow, FollowAccept, FollowReject, Unfollow};
pub use group::Group;
pub use instance::{Compatibility, InstanceMetadata, PublicKeyInfo, Software};
pub use note::{Device, LinkPreview, Note};
pub use nullable::Nullable;
pub use share::Share;
pub use user::{User, UserField};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Why an entity could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntityError {
    /// The text is not JSON.
    #[error("entity is not valid JSON: {reason} (line {line}, column {column})")]
    Json {
        /// What the parser reported.
        reason: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
    },
    /// The JSON is not an object.
    #[error("entity is a JSON {found}, not an object")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("{entity} entity has no `{field}` field")]
    MissingField {
        /// The entity type.
        entity: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong shape.
    #[error("{entity} entity field `{field}` is invalid: {reason}")]
    InvalidField {
        /// The entity type.
        entity: &'static str,
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// The fields every entity has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityCommon {
    /// `type`: `Note`, `User`, `pub.versia:share/Share`, ...
    #[serde(rename = "type")]
    pub entity_type: String,
    /// `id`: unique within the instance; absent on 0.6 transient entities.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub id: Nullable<String>,
    /// `created_at`: RFC 3339 text, kept as received ([`EntityCommon::created_at_time`]).
    /// The spec requires it, but some of its own examples (the 0.5 and 0.6 `Group`) omit it,
    /// so reading does not insist.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub created_at: Nullable<String>,
    /// `uri` (0.5 only): the entity's absolute URI.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub uri: Nullable<String>,
    /// `$schema`: a JSON Schema URL, for humans.
    #[serde(rename = "$schema", skip_serializing_if = "Nullable::is_absent")]
    pub schema: Nullable<String>,
    /// `extensions`, keyed `org.namespace:extension`.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub extensions: Nullable<Map<String, Value>>,
}

impl EntityCommon {
    /// `created_at` as a date: `None` when absent or `null`, an error when not RFC 3339.
    pub fn created_at_time(
        &self,
    ) -> Option<Result<chrono::DateTime<chrono::FixedOffset>, chrono::ParseError>> {
        self.created_at
            .as_option()
            .map(|text| chrono::DateTime::parse_from_rfc3339(text))
    }
}

/// An entity of any type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Entity {
    /// `Note`.
    Note(Box<Note>),
    /// `User`.
    User(Box<User>),
    /// `Follow`.
    Follow(Follow),
    /// `FollowAccept`.
    FollowAccept(FollowAccept),
    /// `FollowReject`.
    FollowReject(FollowReject),
    /// `Unfollow`.
    Unfollow(Unfollow),
    /// `Delete`.
    Delete(Delete),
    /// `pub.versia:share/Share`.
    Share(Share),
    /// `pub.versia:groups/Group`.
    Group(Box<Group>),
    /// `InstanceMetadata`.
    InstanceMetadata(Box<InstanceMetadata>),
    /// Any other type, with all its members.
    Unknown(Map<String, Value>),
}

impl Entity {
    /// Parses entity text (the `entity` of a message, or an HTTP body).
    pub fn from_json(text: &str) -> Result<Self, EntityError> {
        let value: Value = serde_json::from_str(text).map_err(|error| EntityError::Json {
            reason: error.to_string(),
            line: error.line(),
            column: error.column(),
        })?;
        Self::from_value(value)
    }

    /// Reads an entity from a JSON value, dispatching on `type`.
    pub fn from_value(value: Value) -> Result<Self, EntityError> {
        let Value::Object(map) = value else {
            return Err(EntityError::NotAnObject {
                found: json_type(&value),
            });
        };
        let entity_type = match map.get("type") {
            Some(Value::String(entity_type)) => entity_type.clone(),
            Some(other) => {
                return Err(EntityError::InvalidField {
                    entity: "Entity",
                    field: "type",
                    reason: format!("a JSON {}, not a string", json_type(other)),
                });
            }
            None => {
                return Err(EntityError::MissingField {
                    entity: "Entity",
                    field: "type",
                });
            }
        };
        Ok(match entity_type.as_str() {
            Note::TYPE => Self::Note(Box::new(Note::read(&mut Fields::new(Note::TYPE, map))?)),
            User::TYPE => Self::User(Box::new(User::read(&mut Fields::new(User::TYPE, map))?)),
            Follow::TYPE => Self::Follow(Follow::read(&mut Fields::new(Follow::TYPE, map))?),
            FollowAccept::TYPE => Self::FollowAccept(FollowAccept::read(&mut Fields::new(
                FollowAccept::TYPE,
                map,
            ))?),
            FollowReject::TYPE => Self::FollowReject(FollowReject::read(&mut Fields::new(
                FollowReject::TYPE,
                map,
            ))?),
            Unfollow::TYPE => {
                Self::Unfollow(Unfollow::read(&mut Fields::new(Unfollow::TYPE, map))?)
            }
            Delete::TYPE => Self::Delete(Delete::read(&mut Fields::new(Delete::TYPE, map))?),
            Share::TYPE => Self::Share(Share::read(&mut Fields::new(Share::TYPE, map))?),
            Group::TYPE => Self::Group(Box::new(Group::read(&mut Fields::new(Group::TYPE, map))?)),
            InstanceMetadata::TYPE => Self::InstanceMetadata(Box::new(InstanceMetadata::read(
                &mut Fields::new(InstanceMetadata::TYPE, map),
            )?)),
            _ => Self::Unknown(map),
        })
    }

    /// The entity as a JSON value (same value as parsed, for parsed entities).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The entity as compact JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The common fields (`None` for an unknown type).
    pub fn common(&self) -> Option<&EntityCommon> {
        Some(match self {
            Self::Note(entity) => &entity.common,
            Self::User(entity) => &entity.common,
            Self::Follow(entity) => &entity.common,
            Self::FollowAccept(entity) => &entity.common,
            Self::FollowReject(entity) => &entity.common,
            Self::Unfollow(entity) => &entity.common,
            Self::Delete(entity) => &entity.common,
            Self::Share(entity) => &entity.common,
            Self::Group(entity) => &entity.common,
            Self::InstanceMetadata(entity) => &entity.common,
            Self::Unknown(_) => return None,
        })
    }

    /// `type`.
    pub fn entity_type(&self) -> &str {
        match (self.common(), self) {
            (Some(common), _) => &common.entity_type,
            (None, Self::Unknown(map)) => map.get("type").and_then(Value::as_str).unwrap_or(""),
            (None, _) => "",
        }
    }

    /// `author`, for the types that have one: `Note`, `Follow`, `FollowAccept`, `FollowReject`,
    /// `Unfollow`, `Share`, `Delete` (unless `null`), and an unknown type whose `author` is a
    /// string.
    pub fn author(&self) -> Option<&str> {
        match self {
            Self::Note(note) => Some(&note.author),
            Self::Follow(entity) => Some(&entity.author),
            Self::FollowAccept(entity) => Some(&entity.author),
            Self::FollowReject(entity) => Some(&entity.author),
            Self::Unfollow(entity) => Some(&entity.author),
            Self::Share(entity) => Some(&entity.author),
            Self::Delete(entity) => entity.author.as_option().map(String::as_str),
            Self::Unknown(map) => map.get("author").and_then(Value::as_str),
            Self::User(_) | Self::Group(_) | Self::InstanceMetadata(_) => None,
        }
    }

    /// Checks that the entity's [author](Entity::author), if it has one, is a user of
    /// `signer` ([`check_author`]): a signature vouches for the signer's own users only.
    ///
    /// # Errors
    /// [`AuthorityError::ForeignAuthor`].
    pub fn check_authority(
        &self,
        version: crate::Version,
        signer: &crate::SignedBy,
    ) -> Result<(), AuthorityError> {
        self.author()
            .map_or(Ok(()), |author| check_author(version, signer, author))
    }

    /// `id`, when the entity has one (transient 0.6 entities do not).
    pub fn id(&self) -> Option<&str> {
        match (self.common(), self) {
            (Some(common), _) => common.id.as_option().map(String::as_str),
            (None, Self::Unknown(map)) => map.get("id").and_then(Value::as_str),
            (None, _) => None,
        }
    }
}

/// The entity types the crate models.
pub(crate) trait EntityKind: Sized {
    /// The `type` value.
    const TYPE: &'static str;
    /// Reads the type's fields; what is left goes to `other`.
    fn read(fields: &mut Fields) -> Result<Self, EntityError>;
}

/// Takes typed fields out of an entity object, naming the field in every error.
pub(crate) struct Fields {
    entity: &'static str,
    map: Map<String, Value>,
}

impl Fields {
    fn new(entity: &'static str, map: Map<String, Value>) -> Self {
        Self { entity, map }
    }

    /// A field that must be present (and not `null`, unless `T` accepts it).
    pub(crate) fn required<T: DeserializeOwned>(
        &mut self,
        field: &'static str,
    ) -> Result<T, EntityError> {
        let value = self.map.remove(field).ok_or(EntityError::MissingField {
            entity: self.entity,
            field,
        })?;
        self.convert(field, value)
    }

    /// A field that may be absent or `null`.
    pub(crate) fn optional<T: DeserializeOwned>(
        &mut self,
        field: &'static str,
    ) -> Result<Nullable<T>, EntityError> {
        match self.map.remove(field) {
            None => Ok(Nullable::Absent),
            Some(Value::Null) => Ok(Nullable::Null),
            Some(value) => self.convert(field, value).map(Nullable::Value),
        }
    }

    /// The fields every entity has.
    pub(crate) fn common(&mut self) -> Result<EntityCommon, EntityError> {
        Ok(EntityCommon {
            entity_type: self.required("type")?,
            id: self.optional("id")?,
            created_at: self.optional("created_at")?,
            uri: self.optional("uri")?,
            schema: self.optional("$schema")?,
            extensions: self.optional("extensions")?,
        })
    }

    /// Everything not taken yet.
    pub(crate) fn rest(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.map)
    }

    fn convert<T: DeserializeOwned>(
        &self,
        field: &'static str,
        value: Value,
    ) -> Result<T, EntityError> {
        serde_json::from_value(value).map_err(|error| EntityError::InvalidField {
            entity: self.entity,
            field,
            reason: error.to_string(),
        })
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
