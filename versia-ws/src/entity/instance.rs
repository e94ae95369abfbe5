//! `InstanceMetadata`: who an instance is, what it speaks, and its key.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entity::{ContentFormat, EntityCommon, EntityError, EntityKind, Fields, Nullable};
use crate::key::{KeyError, PublicKey};

/// `InstanceMetadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceMetadata {
    /// Common fields (no `id`).
    #[serde(flatten)]
    pub common: EntityCommon,
    /// Friendly name.
    pub name: String,
    /// Software name and version.
    pub software: Software,
    /// Versions and extensions supported.
    pub compatibility: Compatibility,
    /// The instance key.
    pub public_key: PublicKeyInfo,
    /// Long description.
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub description: Nullable<String>,
    /// Domain (0.6).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub domain: Nullable<String>,
    /// Host, with port if not 443 (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub host: Nullable<String>,
    /// Shared inbox URI (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub shared_inbox: Nullable<String>,
    /// Moderators collection URI (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub moderators: Nullable<String>,
    /// Administrators collection URI (0.5).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub admins: Nullable<String>,
    /// Logo (image formats).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub logo: Nullable<ContentFormat>,
    /// Banner (image formats).
    #[serde(skip_serializing_if = "Nullable::is_absent")]
    pub banner: Nullable<ContentFormat>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl EntityKind for InstanceMetadata {
    const TYPE: &'static str = "InstanceMetadata";

    fn read(fields: &mut Fields) -> Result<Self, EntityError> {
        Ok(Self {
            common: fields.common()?,
            name: fields.required("name")?,
            software: fields.required("software")?,
            compatibility: fields.required("compatibility")?,
            public_key: fields.required("public_key")?,
            description: fields.optional("description")?,
            domain: fields.optional("domain")?,
            host: fields.optional("host")?,
            shared_inbox: fields.optional("shared_inbox")?,
            moderators: fields.optional("moderators")?,
            admins: fields.optional("admins")?,
            logo: fields.optional("logo")?,
            banner: fields.optional("banner")?,
            other: fields.rest(),
        })
    }
}

/// `software`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Software {
    /// Name.
    pub name: String,
    /// Version (SemVer recommended).
    pub version: String,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `compatibility`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compatibility {
    /// Protocol versions (`0.5`, `0.6`, ...).
    pub versions: Vec<String>,
    /// Extension names.
    pub extensions: Vec<String>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A `PublicKey` structure as entities carry it (`InstanceMetadata.public_key`, 0.5
/// `User.public_key`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicKeyInfo {
    /// `ed25519`.
    pub algorithm: String,
    /// base64 SPKI.
    pub key: String,
    /// The user the key belongs to (0.5 users).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub actor: Nullable<String>,
    /// Members not typed here.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PublicKeyInfo {
    /// The key, checked: `algorithm` must be `ed25519` and `key` a strict SPKI
    /// ([`PublicKey::from_spki_base64`]).
    pub fn parse(&self) -> Result<PublicKey, KeyError> {
        if self.algorithm != "ed25519" {
            return Err(KeyError::UnsupportedAlgorithm(self.algorithm.clone()));
        }
        PublicKey::from_spki_base64(&self.key)
    }
}
