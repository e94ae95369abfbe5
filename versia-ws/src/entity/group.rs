//! `pub.versia:groups/Group` (Groups extension).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::entity::{ContentFormat, EntityCommon, EntityError, EntityKind, Fields, Nullable};

/// `pub.versia:groups/Group`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Common fields.
    #[serde(flatten)]
    pub common: EntityCommon,
    /// Name (text formats).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub name: Nullable<ContentFormat>,
    /// Description (text formats).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub description: Nullable<ContentFormat>,
    /// Whether anyone may join (a UI hint).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub open: Nullable<bool>,
    /// Members collection URI (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub members: Nullable<String>,
    /// Notes collection URI (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub notes: Nullable<String>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EntityKind for Group {
    const TYPE: &'static str = "pub.versia:groups/Group";

    fn read(fields: &mut Fields) -> Result<Self, EntityError> {
        Ok(Self {
            common: fields.common()?,
            name: fields.optional("name")?,
            description: fields.optional("description")?,
            open: fields.optional("open")?,
            members: fields.optional("members")?,
            notes: fields.optional("notes")?,
            other: fields.rest(),
        })
    }
}
