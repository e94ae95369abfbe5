//! [`Json`]: one JSON object, validated once and carried as shared bytes.

use std::fmt;

use activitystreams_core::{Object, ParseError, WriteError};
use bytes::Bytes;
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use super::error::JsonError;

/// The UTF-8 text of one JSON object (an activity, a meta status, an envelope's `data`),
/// validated once and then shared: cloning copies a pointer, and the same bytes go out to every
/// subscriber and into every wire form.
///
/// The text is kept exactly as given (no re-serialisation), so what the host stored is what
/// clients receive; SSE may turn CR/CRLF whitespace between tokens into LF, which leaves the
/// JSON value unchanged. [`Json::from_object`] and [`Json::to_object`] convert from and to the
/// typed AS2 [`Object`] of `activitystreams-core`, once per event, outside the streaming path.
///
/// ```
/// use fedi_stream::c2s::item::Json;
///
/// let json = Json::from_bytes(r#"{"type":"Create","object":{"type":"Note"}}"#)?;
/// assert_eq!(json.to_value()["type"], "Create");
/// assert!(Json::from_bytes("[1,2]").is_err()); // an array is not an activity
/// assert!(Json::from_bytes("{\"a\":").is_err());
/// # Ok::<(), fedi_stream::c2s::item::JsonError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Json(Bytes);

impl Json {
    /// Checks that `bytes` are UTF-8 text of exactly one JSON object (whitespace around it is
    /// allowed) and keeps them as they are.
    ///
    /// # Errors
    /// [`JsonError`] if the bytes are not UTF-8, not JSON, or not an object.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Result<Self, JsonError> {
        let bytes = bytes.into();
        let text = std::str::from_utf8(&bytes).map_err(|error| JsonError::NotUtf8 {
            index: error.valid_up_to(),
        })?;
        serde_json::from_str::<IgnoredAny>(text).map_err(|error| JsonError::syntax(&error))?;
        match text
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .as_bytes()
            .first()
        {
            Some(b'{') => Ok(Self(bytes)),
            first => Err(JsonError::NotAnObject {
                found: kind_name(first.copied()),
            }),
        }
    }

    /// Serialises `value` (compact JSON).
    ///
    /// # Errors
    /// [`JsonError::NotAnObject`] if `value` does not serialise to a JSON object, or
    /// [`JsonError::Syntax`] if serde refuses it (a map with non-string keys, for example).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, JsonError> {
        let bytes = serde_json::to_vec(value).map_err(|error| JsonError::syntax(&error))?;
        match bytes.first() {
            Some(b'{') => Ok(Self(Bytes::from(bytes))),
            first => Err(JsonError::NotAnObject {
                found: kind_name(first.copied()),
            }),
        }
    }

    /// Writes an AS2 [`Object`] (compact JSON, as `activitystreams-core` writes it).
    ///
    /// # Errors
    /// The [`WriteError`] of [`Object::to_json_vec`] (values nested deeper than the AS2 depth
    /// limit).
    ///
    /// ```
    /// use activitystreams_core::{Kind, ObjectBuilder};
    /// use fedi_stream::c2s::item::Json;
    ///
    /// let like = ObjectBuilder::new(Kind::Like).actor("https://example.net/bob").object("https://example.com/notes/1").build();
    /// let json = Json::from_object(&like)?;
    /// assert_eq!(json.to_object()?.object_id(), Some("https://example.com/notes/1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_object(object: &Object<'_>) -> Result<Self, WriteError> {
        // `to_json_vec` writes one JSON object.
        Ok(Self(Bytes::from(object.to_json_vec()?)))
    }

    /// Reads the payload as an AS2 [`Object`], borrowing its strings from these bytes.
    ///
    /// # Errors
    /// The [`ParseError`] of [`Object::from_slice`] (beyond its limits; any JSON object is an
    /// `Object`).
    pub fn to_object(&self) -> Result<Object<'_>, ParseError> {
        Object::from_slice(&self.0)
    }

    /// `{}`.
    #[must_use]
    pub fn empty_object() -> Self {
        Self(Bytes::from_static(b"{}"))
    }

    /// Keeps a raw value serde_json already parsed, if it is an object.
    pub(crate) fn from_raw(raw: &RawValue) -> Result<Self, JsonError> {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'{') => Ok(Self(Bytes::copy_from_slice(text.as_bytes()))),
            first => Err(JsonError::NotAnObject {
                found: kind_name(first.copied()),
            }),
        }
    }

    /// The JSON text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Checked to be UTF-8 by every constructor.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The JSON text as bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The shared bytes (cloning them copies a pointer).
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// Takes the shared bytes out.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Deserialises the object into `T`.
    ///
    /// # Errors
    /// The serde_json error if the object does not fit `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.0)
    }

    /// The object as a [`serde_json::Value`].
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        // Valid JSON by construction; `Null` is unreachable.
        self.parse().unwrap_or_default()
    }
}

/// The JSON kind a value starting with `first` has (for "not an object" errors).
pub(crate) fn kind_name(first: Option<u8>) -> &'static str {
    match first {
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Json").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<&'static str> for Json {
    type Error = JsonError;

    fn try_from(text: &'static str) -> Result<Self, JsonError> {
        Self::from_bytes(text)
    }
}

impl TryFrom<String> for Json {
    type Error = JsonError;

    fn try_from(text: String) -> Result<Self, JsonError> {
        Self::from_bytes(text)
    }
}

impl TryFrom<&serde_json::Value> for Json {
    type Error = JsonError;

    fn try_from(value: &serde_json::Value) -> Result<Self, JsonError> {
        Self::from_serialize(value)
    }
}

impl Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Written as the raw JSON it is, not as a string.
        let raw: &RawValue =
            serde_json::from_str(self.as_str()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_exact_text() {
        let text = " {\"b\": 1,\n \"a\": [true, null]}\r\n";
        assert_eq!(Json::from_bytes(text).unwrap().as_str(), text);
    }

    #[test]
    fn refuses_non_objects_naming_what_was_found() {
        for (text, found) in [
            ("[]", "array"),
            ("\"x\"", "string"),
            ("1", "number"),
            ("true", "boolean"),
            (" null", "null"),
        ] {
            assert_eq!(
                Json::from_bytes(text),
                Err(JsonError::NotAnObject { found }),
                "{text}"
            );
        }
        assert_eq!(
            Json::from_serialize(&[1, 2]),
            Err(JsonError::NotAnObject { found: "array" })
        );
    }

    #[test]
    fn refuses_invalid_utf8_and_syntax() {
        assert_eq!(
            Json::from_bytes(&b"{\"a\":\"\xff\"}"[..]),
            Err(JsonError::NotUtf8 { index: 6 })
        );
        let Err(JsonError::Syntax { line, column, .. }) = Json::from_bytes("{\n\"a\" 1}") else {
            panic!("not a syntax error");
        };
        assert_eq!((line, column), (2, 5));
        assert!(Json::from_bytes("{} {}").is_err());
        assert!(Json::from_bytes("").is_err());
    }

    #[test]
    fn serialises_as_raw_json() {
        let json = Json::from_bytes("{\"a\":1}").unwrap();
        let wrapped = serde_json::json!({ "data": json });
        assert_eq!(wrapped.to_string(), "{\"data\":{\"a\":1}}");
    }
}
