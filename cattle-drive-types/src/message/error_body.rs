//! Error messages: `error.NAME`, in the two shapes cattle_grid 0.5.22 writes.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{self, Extras, FieldError, decode_nested};
use super::{Body, DecodeError};

/// cattle_grid's `ErrorMessage` (`extra="allow"`), written by its exception middlewares when
/// processing a message failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorMessage {
    /// The exception text, split into lines.
    pub message: Vec<String>,
    /// The failing message's body, as text.
    pub original_message_body: String,
    /// The failing message's routing key: an account key such as
    /// `send.alice.request.create_actor`, or an internal one such as `send_message`.
    pub routing_key: String,
    /// Other keys, kept in input order (the model allows extras).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorMessage {
    /// The error for the message with `routing_key` and `original_body`, with `text` split on
    /// `\n` as cattle_grid splits the exception text.
    pub fn new(text: &str, routing_key: impl Into<String>, original_body: &[u8]) -> Self {
        ErrorMessage {
            message: text.split('\n').map(str::to_owned).collect(),
            original_message_body: String::from_utf8_lossy(original_body).into_owned(),
            routing_key: routing_key.into(),
            extra: Map::new(),
        }
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        decode_nested(value, |f| {
            Ok(ErrorMessage {
                message: f.required("message", |v| fields::list(v, fields::string))?,
                original_message_body: f.required("original_message_body", fields::string)?,
                routing_key: f.required("routing_key", fields::string)?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// `{"error": "..."}`: what cattle_grid's responder writes when a request produced no result
/// (e.g. a fetch that failed or took over 0.5 s: `{"error": "Something went wrong"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SimpleError {
    /// The error text.
    pub error: String,
    /// Other keys, kept in input order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SimpleError {
    /// The text cattle_grid 0.5.22 sends.
    pub const SOMETHING_WENT_WRONG: &'static str = "Something went wrong";

    /// An error saying `error`.
    pub fn new(error: impl Into<String>) -> Self {
        SimpleError {
            error: error.into(),
            extra: Map::new(),
        }
    }

    fn from_value(value: Value) -> Result<Self, FieldError> {
        decode_nested(value, |f| {
            Ok(SimpleError {
                error: f.required("error", fields::string)?,
                extra: f.finish(Extras::Keep)?,
            })
        })
    }
}

/// The body of `error.NAME`: either shape. A body valid as both is an [`ErrorMessage`] (its
/// `error` key then stays among the extras).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorBody {
    /// From an exception.
    Exception(ErrorMessage),
    /// From a request without result.
    Simple(SimpleError),
}

impl ErrorBody {
    /// The error's text: the lines of an [`ErrorMessage`] joined with `\n`, or a
    /// [`SimpleError`]'s `error`.
    pub fn text(&self) -> String {
        match self {
            ErrorBody::Exception(m) => m.message.join("\n"),
            ErrorBody::Simple(m) => m.error.clone(),
        }
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ErrorBody::Exception(m) => m.serialize(serializer),
            ErrorBody::Simple(m) => m.serialize(serializer),
        }
    }
}

impl Body for ErrorBody {
    const MODEL: &'static str = "ErrorMessage";

    fn from_json(body: &[u8]) -> Result<Self, DecodeError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let value: Value = serde_json::from_slice(body).map_err(DecodeError::Json)?;
        let exception = match ErrorMessage::from_value(value.clone()) {
            Ok(message) => return Ok(ErrorBody::Exception(message)),
            Err(error) => error,
        };
        SimpleError::from_value(value)
            .map(ErrorBody::Simple)
            .map_err(|simple| DecodeError::Invalid {
                model: Self::MODEL,
                path: String::new(),
                reason: format!(
                    "neither an ErrorMessage ({}) nor an {{\"error\": str}} body ({})",
                    exception.describe(),
                    simple.describe()
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_shapes_decode() {
        let simple = ErrorBody::from_json(br#"{"error":"Something went wrong"}"#);
        assert_eq!(
            simple.ok(),
            Some(ErrorBody::Simple(SimpleError::new(
                SimpleError::SOMETHING_WENT_WRONG
            )))
        );
        let body = json!({"message": ["a", "b"], "routing_key": "r", "original_message_body": "{}", "error": "x"});
        let Ok(ErrorBody::Exception(m)) = ErrorBody::from_json(body.to_string().as_bytes()) else {
            panic!("ErrorMessage expected")
        };
        assert_eq!(m.extra.get("error"), Some(&json!("x")));
    }

    #[test]
    fn other_bodies_are_refused() {
        for body in [
            json!({"message": "x", "routing_key": "r", "original_message_body": "b"}),
            json!({}),
            json!([]),
        ] {
            assert!(
                ErrorBody::from_json(body.to_string().as_bytes()).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn new_splits_lines_like_cattle_grid() {
        let m = ErrorMessage::new("a\nb", "send.alice.request.fetch", b"{\"x\": 1}");
        assert_eq!(m.message, vec!["a", "b"]);
        assert_eq!(m.original_message_body, "{\"x\": 1}");
    }
}
