//! `pub.versia:share/Share`: a boost.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::entity::{EntityCommon, EntityError, EntityKind, Fields};

/// `pub.versia:share/Share` (Share extension).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// Common fields.
    #[serde(flatten)]
    pub common: EntityCommon,
    /// Who shares.
    pub author: String,
    /// The shared note.
    pub shared: String,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EntityKind for Share {
    const TYPE: &'static str = "pub.versia:share/Share";

    fn read(fields: &mut Fields) -> Result<Self, EntityError> {
        Ok(Self {
            common: fields.common()?,
            author: fields.required("author")?,
            shared: fields.required("shared")?,
            other: fields.rest(),
        })
    }
}
