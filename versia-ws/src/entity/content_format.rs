//! `ContentFormat`: the same content in several media types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::entity::Nullable;

/// `ContentFormat`: representations of one piece of content, keyed by media type
/// (`text/html`, `image/png`, ...).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentFormat(pub BTreeMap<String, ContentEntry>);

impl ContentFormat {
    /// The entry for `media_type`.
    pub fn get(&self, media_type: &str) -> Option<&ContentEntry> {
        self.0.get(media_type)
    }

    /// Text content in the richest of the formats the spec names (HTML, then Markdown, then
    /// plain text), if embedded (not remote).
    pub fn richest_text(&self) -> Option<(&str, &str)> {
        [
            "text/html",
            "text/markdown",
            "text/x.misskeymarkdown",
            "text/plain",
        ]
        .into_iter()
        .find_map(|media_type| {
            let entry = self.0.get(media_type)?;
            (entry.remote.as_option() != Some(&true))
                .then_some((media_type, entry.content.as_str()))
        })
    }
}

impl ContentEntry {
    /// The hex SHA-256 of the content, from either version's `hash` form.
    pub fn sha256(&self) -> Option<&str> {
        match self.hash.as_option()? {
            Value::String(hex) => Some(hex),
            Value::Object(algorithms) => algorithms.get("sha256")?.as_str(),
            _ => None,
        }
    }
}

/// One representation in a [`ContentFormat`]. Unknown members are kept in `other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentEntry {
    /// The content itself, or a URI to it when `remote`.
    pub content: String,
    /// Whether `content` is a URI to fetch (required by the spec, omitted by many examples).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub remote: Nullable<bool>,
    /// Alt text.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub description: Nullable<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub size: Nullable<u64>,
    /// Hash of the content: 0.6 a hex SHA-256 string, 0.5 an object keyed by algorithm
    /// (`{"sha256": "…"}`); kept as received, read with [`ContentEntry::sha256`].
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub hash: Nullable<Value>,
    /// ThumbHash of an image.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub thumbhash: Nullable<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub width: Nullable<u64>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub height: Nullable<u64>,
    /// Frames per second.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub fps: Nullable<u64>,
    /// Duration in seconds (kept as the JSON number received).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub duration: Nullable<Number>,
    /// Members this crate does not type.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
