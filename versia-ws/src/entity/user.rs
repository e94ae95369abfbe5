//! `User`: an account.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entity::{
    ContentFormat, EntityCommon, EntityError, EntityKind, Fields, Nullable, PublicKeyInfo,
};

/// `User`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Common fields.
    #[serde(flatten)]
    pub common: EntityCommon,
    /// Username (changeable by the user).
    pub username: String,
    /// Avatar (image formats).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub avatar: Nullable<ContentFormat>,
    /// Bio (text formats).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub bio: Nullable<ContentFormat>,
    /// Display name.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub display_name: Nullable<String>,
    /// Profile fields.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub fields: Nullable<Vec<UserField>>,
    /// Header image.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub header: Nullable<ContentFormat>,
    /// The user's key (0.5; in 0.6 only instances have keys).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub public_key: Nullable<PublicKeyInfo>,
    /// Whether follows need approval.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub manually_approves_followers: Nullable<bool>,
    /// Consent to search indexing.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub indexable: Nullable<bool>,
    /// Inbox URI (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub inbox: Nullable<String>,
    /// Collection URIs (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub collections: Nullable<Map<String, Value>>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EntityKind for User {
    const TYPE: &'static str = "User";

    fn read(fields: &mut Fields) -> Result<Self, EntityError> {
        Ok(Self {
            common: fields.common()?,
            username: fields.required("username")?,
            avatar: fields.optional("avatar")?,
            bio: fields.optional("bio")?,
            display_name: fields.optional("display_name")?,
            fields: fields.optional("fields")?,
            header: fields.optional("header")?,
            public_key: fields.optional("public_key")?,
            manually_approves_followers: fields.optional("manually_approves_followers")?,
            indexable: fields.optional("indexable")?,
            inbox: fields.optional("inbox")?,
            collections: fields.optional("collections")?,
            other: fields.rest(),
        })
    }
}

/// A profile field: a key and a value, each in text formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserField {
    /// The key.
    pub key: ContentFormat,
    /// The value.
    pub value: ContentFormat,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
