//! Error types of parsing and writing.

use crate::any::JsonKind;

/// Why bytes could not be read as an AS2 document.
///
/// Reading is lenient: any JSON object is accepted, whatever its properties hold. These errors
/// are reserved for input that is not JSON, or JSON that is not an object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input is not valid JSON (the message has line and column).
    #[error("not valid JSON: {0}")]
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
