//! `Note`: a post, of any kind (microblog, forum, blog, media, messaging).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entity::{ContentFormat, EntityCommon, EntityError, EntityKind, Fields, Nullable};

/// `Note`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// Common fields.
    #[serde(flatten)]
    pub common: EntityCommon,
    /// Reference (0.6) or URI (0.5) of the author.
    pub author: String,
    /// Media attachments.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub attachments: Nullable<Vec<ContentFormat>>,
    /// `microblog`, `forum`, `blog`, `image`, `video`, `audio` or `messaging`.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub category: Nullable<String>,
    /// The text.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub content: Nullable<ContentFormat>,
    /// The posting client.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub device: Nullable<Device>,
    /// A group reference, `public` or `followers`.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub group: Nullable<String>,
    /// Whether the note is sensitive.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub is_sensitive: Nullable<bool>,
    /// Users to notify.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub mentions: Nullable<Vec<String>>,
    /// Link previews.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub previews: Nullable<Vec<LinkPreview>>,
    /// The quoted note.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub quotes: Nullable<String>,
    /// The note replied to.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub replies_to: Nullable<String>,
    /// Subject / content warning.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub subject: Nullable<String>,
    /// Collection URIs (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub collections: Nullable<Map<String, Value>>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EntityKind for Note {
    const TYPE: &'static str = "Note";

    fn read(fields: &mut Fields) -> Result<Self, EntityError> {
        Ok(Self {
            common: fields.common()?,
            author: fields.required("author")?,
            attachments: fields.optional("attachments")?,
            category: fields.optional("category")?,
            content: fields.optional("content")?,
            device: fields.optional("device")?,
            group: fields.optional("group")?,
            is_sensitive: fields.optional("is_sensitive")?,
            mentions: fields.optional("mentions")?,
            previews: fields.optional("previews")?,
            quotes: fields.optional("quotes")?,
            replies_to: fields.optional("replies_to")?,
            subject: fields.optional("subject")?,
            collections: fields.optional("collections")?,
            other: fields.rest(),
        })
    }
}

/// The client a note was posted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Name.
    pub name: String,
    /// Version.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub version: Nullable<String>,
    /// Homepage.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub url: Nullable<String>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A link preview carried with a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPreview {
    /// The link.
    pub link: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub description: Nullable<String>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub image: Nullable<String>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub icon: Nullable<String>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
