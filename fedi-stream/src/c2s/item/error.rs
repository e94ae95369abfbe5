//! Errors of the [`event`](super) module: ids and JSON payloads that the stream cannot carry.

use thiserror::Error;

/// A string that cannot be an [`ItemId`](super::ItemId).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum IdError {
    /// The id is empty; an empty `Last-Event-ID` means "no id" and an empty SSE `id` resets it.
    #[error("the item id is empty")]
    Empty,
    /// The id is longer than [`ItemId::MAX_LEN`](super::ItemId::MAX_LEN).
    #[error("the item id is {len} bytes long; ItemId::MAX_LEN is {max}")]
    TooLong {
        /// Length of the refused id, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// The id contains an ASCII control character (CR, LF and NUL break SSE `id` lines; none
    /// can travel in an HTTP header).
    #[error("the item id contains an ASCII control character at byte {index}")]
    ControlCharacter {
        /// Byte index of the first control character.
        index: usize,
    },
}

/// Bytes that cannot be a [`Json`](super::Json) payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The bytes are not UTF-8 (JSON text is UTF-8, and SSE carries text only).
    #[error("the payload is not UTF-8 (invalid byte at {index})")]
    NotUtf8 {
        /// Index of the first byte that is not valid UTF-8.
        index: usize,
    },
    /// The text is not valid JSON.
    #[error("the payload is not valid JSON: {message} (line {line}, column {column})")]
    Syntax {
        /// serde_json's description of the problem.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// The JSON value is not an object (activities and envelopes' `data` are objects).
    #[error("the payload is a JSON {found}, not an object")]
    NotAnObject {
        /// What was found instead: `array`, `string`, `number`, `boolean` or `null`.
        found: &'static str,
    },
}

impl JsonError {
    pub(crate) fn syntax(error: &serde_json::Error) -> Self {
        let mut message = error.to_string();
        // serde_json appends " at line L column C"; the fields carry that.
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        Self::Syntax {
            message,
            line: error.line(),
            column: error.column(),
        }
    }
}
