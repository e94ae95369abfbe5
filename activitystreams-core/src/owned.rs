//! [`OwnedObject`]: an [`Object`] that borrows nothing, for code that reads JSON through serde's
//! `DeserializeOwned` bound (`serde_json::from_reader`, web framework extractors, HTTP clients).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::de::{self, Ctx, ObjectSeed};
use crate::error::{ParseError, TypedError};
use crate::limits::MAX_DEPTH;
use crate::object::Object;

/// An [`Object`] that owns all its strings: `serde::de::DeserializeOwned` and `Serialize`.
///
/// `Object<'a>` borrows strings from the buffer it was parsed from, which is what makes
/// [`Object::from_slice`] fast, but also what keeps it from being `DeserializeOwned`: serde
/// cannot hand out a borrowed `Object<'static>` from a reader or from a request body it drops.
/// `OwnedObject` is the same object read the same way (the same leniency, the same
/// [`MAX_DEPTH`] limit, unknown properties kept in their order, repeated keys keeping their
/// last value) with every string copied, so it works wherever serde wants an owned value:
/// `serde_json::from_reader`, `serde_json::from_value`, a field of your own
/// `#[derive(Deserialize)]` struct, `axum::Json<OwnedObject>`, reqwest's `.json::<OwnedObject>()`.
///
/// It dereferences to `Object<'static>`, so every accessor, setter, extension view and
/// [`c2s`](crate::c2s) function takes it as it is; `&OwnedObject` gives `&Object<'_>` wherever
/// one is expected. Conversions: [`From<Object>`](#impl-From%3CObject%3C'a%3E%3E-for-OwnedObject)
/// copies borrowed strings, [`OwnedObject::into_object`] unwraps it for free.
///
/// Serialising gives the JSON the borrowed object gives: for every document, reading it as an
/// `OwnedObject` and writing it produces the bytes [`Object::from_slice`] then
/// [`Object::to_json_vec`] produce.
///
/// ```
/// use activitystreams_core::{Kind, OwnedObject};
/// use serde::Deserialize;
///
/// /// A request body of your own, read from any `std::io::Read`.
/// #[derive(Deserialize)]
/// struct Submission {
///     activity: OwnedObject,
///     note: Option<String>,
/// }
///
/// let body = r#"{"activity":{"type":"Like","actor":"https://a.example/u/alice",
///     "object":"https://b.example/notes/1","x-extension":[1,2]},"note":null}"#;
/// let submission: Submission = serde_json::from_reader(body.as_bytes())?;
/// let like = submission.activity;
/// assert_eq!(like.kind(), Some(Kind::Like));
/// assert_eq!(like.object_id(), Some("https://b.example/notes/1"));
/// assert_eq!(like.keys().last(), Some("x-extension")); // unknown properties kept, in order
/// assert_eq!(
///     serde_json::to_string(&like)?,
///     r#"{"type":"Like","actor":"https://a.example/u/alice","object":"https://b.example/notes/1","x-extension":[1,2]}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Default)]
pub struct OwnedObject(Object<'static>);

impl OwnedObject {
    /// An empty object.
    #[must_use]
    pub fn new() -> Self {
        OwnedObject::default()
    }

    /// Parses a JSON document, copying every string: the rules and errors of
    /// [`Object::from_slice`].
    ///
    /// # Errors
    /// As [`Object::from_slice`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ParseError> {
        de::owned_from_slice(bytes).map(OwnedObject)
    }

    /// Parses a JSON document from a string (see [`OwnedObject::from_slice`]).
    ///
    /// # Errors
    /// As [`Object::from_slice`].
    #[allow(clippy::should_implement_trait)] // It is implemented too; this needs no import.
    pub fn from_str(text: &str) -> Result<Self, ParseError> {
        OwnedObject::from_slice(text.as_bytes())
    }

    /// Parses a JSON document from a reader, as [`OwnedObject::from_slice`] parses a buffer
    /// (a leading byte order mark skipped, the same errors), without holding the whole input
    /// in memory. The reader is buffered here; it is read to its end, so bound it (with
    /// [`std::io::Read::take`], or a body limit) when it comes from a peer.
    ///
    /// # Errors
    /// As [`Object::from_slice`], and [`ParseError::Io`] when reading fails.
    pub fn from_reader<R: std::io::Read>(reader: R) -> Result<Self, ParseError> {
        de::owned_from_reader(reader).map(OwnedObject)
    }

    /// Converts a `serde_json::Value` that is an object (see [`Object::from_value`]).
    ///
    /// # Errors
    /// [`ParseError::NotAnObject`] for other values, [`ParseError::TooDeep`] beyond
    /// [`MAX_DEPTH`].
    pub fn from_value(value: serde_json::Value) -> Result<Self, ParseError> {
        de::object_from_value(value).map(OwnedObject)
    }

    /// The object.
    #[must_use]
    pub fn as_object(&self) -> &Object<'static> {
        &self.0
    }

    /// Mutable access to the object.
    pub fn as_object_mut(&mut self) -> &mut Object<'static> {
        &mut self.0
    }

    /// Unwraps the object (no copy).
    #[must_use]
    pub fn into_object(self) -> Object<'static> {
        self.0
    }
}

impl<'a> Object<'a> {
    /// A copy that owns every string (see [`OwnedObject`]).
    #[must_use]
    pub fn to_owned_object(&self) -> OwnedObject {
        OwnedObject(self.clone().into_owned())
    }
}

impl Deref for OwnedObject {
    type Target = Object<'static>;
    fn deref(&self) -> &Object<'static> {
        &self.0
    }
}

impl DerefMut for OwnedObject {
    fn deref_mut(&mut self) -> &mut Object<'static> {
        &mut self.0
    }
}

impl AsRef<Object<'static>> for OwnedObject {
    fn as_ref(&self) -> &Object<'static> {
        &self.0
    }
}

impl AsMut<Object<'static>> for OwnedObject {
    fn as_mut(&mut self) -> &mut Object<'static> {
        &mut self.0
    }
}

impl<'a> From<Object<'a>> for OwnedObject {
    /// Copies the strings the object borrows ([`Object::into_owned`]).
    fn from(object: Object<'a>) -> Self {
        OwnedObject(object.into_owned())
    }
}

impl From<OwnedObject> for Object<'static> {
    fn from(object: OwnedObject) -> Self {
        object.0
    }
}

impl FromStr for OwnedObject {
    type Err = ParseError;
    fn from_str(text: &str) -> Result<Self, ParseError> {
        OwnedObject::from_slice(text.as_bytes())
    }
}

impl TryFrom<serde_json::Value> for OwnedObject {
    type Error = ParseError;
    fn try_from(value: serde_json::Value) -> Result<Self, ParseError> {
        OwnedObject::from_value(value)
    }
}

impl PartialEq<Object<'_>> for OwnedObject {
    fn eq(&self, other: &Object<'_>) -> bool {
        self.0 == *other
    }
}

impl PartialEq<OwnedObject> for Object<'_> {
    fn eq(&self, other: &OwnedObject) -> bool {
        *self == other.0
    }
}

impl fmt::Debug for OwnedObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for OwnedObject {
    /// Serializes as the [`Object`] does.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OwnedObject {
    /// Reads a JSON object from any serde deserializer, copying every string; a value that is
    /// not an object is an "invalid type" error, containers nested [`MAX_DEPTH`] levels deep
    /// (counted from this object) an error whose message starts with "nesting deeper than".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ObjectSeed(Ctx::any_deserializer(de::Copying))
            .deserialize(deserializer)
            .map(OwnedObject)
    }
}

impl OwnedObject {
    /// Converts a value of your own `Serialize` type to an object: the inverse of
    /// [`Object::deserialize_into`]. Properties come in the order the type serializes them
    /// (a struct's field order); the JSON is what `serde_json` writes for the value.
    ///
    /// ```
    /// use activitystreams_core::{Kind, OwnedObject};
    /// use serde::Serialize;
    ///
    /// #[derive(Serialize)]
    /// struct Note<'x> {
    ///     #[serde(rename = "type")]
    ///     kind: &'x str,
    ///     id: &'x str,
    ///     content: &'x str,
    ///     sensitive: bool,
    /// }
    ///
    /// let note = OwnedObject::from_typed(&Note {
    ///     kind: "Note",
    ///     id: "https://a.example/notes/1",
    ///     content: "<p>Hello</p>",
    ///     sensitive: true,
    /// })?;
    /// assert_eq!(note.kind(), Some(Kind::Note));
    /// assert!(note.is_sensitive());
    /// assert_eq!(note.keys().collect::<Vec<_>>(), ["type", "id", "content", "sensitive"]);
    /// # Ok::<(), activitystreams_core::TypedError>(())
    /// ```
    ///
    /// # Errors
    /// [`TypedError::Serialize`] when the value's `Serialize` implementation fails (as
    /// `serde_json::to_vec` reports it), [`TypedError::NotAnObject`] when it is not a JSON
    /// object, [`TypedError::TooDeep`] when it nests deeper than [`MAX_DEPTH`].
    pub fn from_typed<T: Serialize + ?Sized>(value: &T) -> Result<Self, TypedError> {
        // Through JSON text rather than a `serde_json::Value`, whose map would sort the keys.
        let bytes = serde_json::to_vec(value).map_err(TypedError::Serialize)?;
        match OwnedObject::from_slice(&bytes) {
            Ok(object) => Ok(object),
            Err(ParseError::NotAnObject { found }) => Err(TypedError::NotAnObject { found }),
            Err(ParseError::TooDeep { .. }) => Err(TypedError::TooDeep { limit: MAX_DEPTH }),
            Err(ParseError::Json(err)) => Err(TypedError::Serialize(err)),
            // Not produced when parsing a buffer.
            Err(other @ ParseError::Io(_)) => Err(TypedError::Serialize(
                <serde_json::Error as serde::ser::Error>::custom(other),
            )),
        }
    }
}
