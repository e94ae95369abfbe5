//! `Delete`: the deletion of an entity (transient).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::entity::{EntityCommon, EntityError, EntityKind, Fields, Nullable};

/// `Delete`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delete {
    /// Common fields.
    #[serde(flatten)]
    pub common: EntityCommon,
    /// Who deletes; in 0.5 `null` means the instance.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub author: Nullable<String>,
    /// Type of the deleted entity.
    pub deleted_type: String,
    /// Reference (0.6) or URI (0.5) of the deleted entity.
    pub deleted: String,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EntityKind for Delete {
    const TYPE: &'static str = "Delete";

    fn read(fields: &mut Fields) -> Result<Self, EntityError> {
        Ok(Self {
            common: fields.common()?,
            author: fields.optional("author")?,
            deleted_type: fields.required("deleted_type")?,
            deleted: fields.required("deleted")?,
            other: fields.rest(),
        })
    }
}
