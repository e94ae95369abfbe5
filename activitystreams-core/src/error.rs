//! Error types of parsing, writing and typed conversion.
//!
//! Each error says what went wrong at its own level; an underlying cause (serde_json's error
//! with its line and column, an IO error) is returned by [`std::error::Error::source`], not
//! repeated in the message. Print the whole chain to see both.

use crate::any::JsonKind;

/// Why bytes could not be read as an AS2 document.
///
/// Reading is lenient: any JSON object is accepted, whatever its properties hold. These errors
/// are reserved for input that is not JSON, or JSON that is not an object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input is not valid JSON; the source, serde_json's error, says why and where (line
    /// and column).
    #[error("not valid JSON")]
    Json(#[source] serde_json::Error),
    /// The input is valid JSON but not an object.
    #[error("the document is {found}, expected a JSON object")]
    NotAnObject {
        /// What the top-level value is.
        found: JsonKind,
    },
    /// The document (or a value handed over from another deserializer) nests its containers
    /// deeper than the limit.
    #[error("the document nests deeper than {limit} levels")]
    TooDeep {
        /// The limit, [`MAX_DEPTH`](crate::MAX_DEPTH).
        limit: usize,
    },
    /// The reader failed ([`OwnedObject::from_reader`](crate::OwnedObject::from_reader)); the
    /// source is its error.
    #[error("the document could not be read")]
    Io(#[source] std::io::Error),
}

/// Why a value could not be written as JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A value built in code nests deeper than the limit (parsed documents never do).
    #[error("the value nests deeper than {limit} levels")]
    TooDeep {
        /// The limit, [`MAX_DEPTH`](crate::MAX_DEPTH).
        limit: usize,
    },
}

/// Why an [`Object`](crate::Object) could not be converted to a typed value
/// ([`Object::deserialize_into`](crate::Object::deserialize_into)), or a typed value to an
/// object ([`OwnedObject::from_typed`](crate::OwnedObject::from_typed)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypedError {
    /// The object does not have the shape the type expects: a property of another JSON type,
    /// a missing field, an unknown enum variant...
    #[error("{pointer:?}: {message}")]
    Mismatch {
        /// JSON Pointer (RFC 6901) to the value the type's deserializer refused, as far as it
        /// is known: a value a type buffers before reading it (`#[serde(flatten)]`, untagged
        /// enums) is reported at the object that holds it. `""` is the object itself.
        pointer: String,
        /// The type's deserializer's message (`invalid type: string "x", expected u64`).
        message: String,
    },
    /// The value's `Serialize` implementation failed (a map with keys that are not strings,
    /// a custom error...); the source is serde_json's error.
    #[error("the value could not be serialized as JSON")]
    Serialize(#[source] serde_json::Error),
    /// The value serializes to JSON that is not an object.
    #[error("the value is {found} in JSON, expected an object")]
    NotAnObject {
        /// What it serializes to.
        found: JsonKind,
    },
    /// The object or the value nests its containers deeper than the limit.
    #[error("the value nests deeper than {limit} levels")]
    TooDeep {
        /// The limit, [`MAX_DEPTH`](crate::MAX_DEPTH).
        limit: usize,
    },
}
