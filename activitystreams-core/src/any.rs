//! [`Any`]: any JSON value, kept losslessly, with every JSON object read as an [`Object`].

use std::fmt;

use serde_json::Number;

use crate::object::Object;
use crate::string::Str;

/// Any JSON value, as read.
///
/// Used for unknown properties, for values of a known property that have an unexpected shape,
/// and for the few AS2 properties whose range is genuinely open (`@context`, `closed`). Every
/// JSON object inside is an [`Object`], so extension data nested anywhere can still be read with
/// the typed accessors. Numbers are [`serde_json::Number`], exactly as `serde_json::Value` would
/// hold them, so a round trip yields the same `serde_json::Value`.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Any<'a> {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Str<'a>),
    /// An array.
    Array(Vec<Any<'a>>),
    /// An object.
    Object(Box<Object<'a>>),
}

/// A borrowed view of one JSON value inside a document, whatever typed form holds it.
///
/// This is what generic walkers (the writer, validation, conversions) see: a typed property
/// value such as [`Ref::Iri`](crate::Ref::Iri) shows up here as [`AnyRef::String`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnyRef<'x, 'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(&'x Number),
    /// A string.
    String(&'x Str<'a>),
    /// An array of untyped values.
    Array(&'x [Any<'a>]),
    /// An object.
    Object(&'x Object<'a>),
}

/// The six kinds of JSON value, for messages and checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonKind {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonKind {
    /// The kind of a `serde_json::Value`.
    #[must_use]
    pub fn of_value(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => JsonKind::Null,
            serde_json::Value::Bool(_) => JsonKind::Bool,
            serde_json::Value::Number(_) => JsonKind::Number,
            serde_json::Value::String(_) => JsonKind::String,
            serde_json::Value::Array(_) => JsonKind::Array,
            serde_json::Value::Object(_) => JsonKind::Object,
        }
    }
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        })
    }
}

impl<'a> Any<'a> {
    /// A borrowed view.
    #[must_use]
    pub fn view(&self) -> AnyRef<'_, 'a> {
        match self {
            Any::Null => AnyRef::Null,
            Any::Bool(b) => AnyRef::Bool(*b),
            Any::Number(n) => AnyRef::Number(n),
            Any::String(s) => AnyRef::String(s),
            Any::Array(items) => AnyRef::Array(items),
            Any::Object(o) => AnyRef::Object(o),
        }
    }

    /// The kind of JSON value.
    #[must_use]
    pub fn kind(&self) -> JsonKind {
        self.view().kind()
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Any::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    #[must_use]
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Any::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is one.
    #[must_use]
    pub fn as_array(&self) -> Option<&[Any<'a>]> {
        match self {
            Any::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Any::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Any::Null)
    }

    /// Copies every borrowed string so the value no longer refers to the input buffer.
    #[must_use]
    pub fn into_owned(self) -> Any<'static> {
        match self {
            Any::Null => Any::Null,
            Any::Bool(b) => Any::Bool(b),
            Any::Number(n) => Any::Number(n),
            Any::String(s) => Any::String(s.into_owned()),
            Any::Array(items) => Any::Array(items.into_iter().map(Any::into_owned).collect()),
            Any::Object(o) => Any::Object(Box::new(o.into_owned())),
        }
    }

    /// Converts a `serde_json::Value` (every object becomes an [`Object`]).
    ///
    /// # Errors
    /// [`ParseError::TooDeep`](crate::ParseError::TooDeep) when the value nests deeper than
    /// [`MAX_DEPTH`](crate::MAX_DEPTH).
    pub fn from_value(value: serde_json::Value) -> Result<Any<'static>, crate::ParseError> {
        crate::de::any_from_value(value)
    }

    /// Converts to a `serde_json::Value`.
    ///
    /// # Errors
    /// [`WriteError::TooDeep`](crate::WriteError::TooDeep) when the value nests deeper than
    /// [`MAX_DEPTH`](crate::MAX_DEPTH) (only possible for values built in code).
    pub fn to_value(&self) -> Result<serde_json::Value, crate::WriteError> {
        crate::ser::to_value(self.view())
    }
}

impl<'x, 'a> AnyRef<'x, 'a> {
    /// The kind of JSON value.
    #[must_use]
    pub fn kind(&self) -> JsonKind {
        match self {
            AnyRef::Null => JsonKind::Null,
            AnyRef::Bool(_) => JsonKind::Bool,
            AnyRef::Number(_) => JsonKind::Number,
            AnyRef::String(_) => JsonKind::String,
            AnyRef::Array(_) => JsonKind::Array,
            AnyRef::Object(_) => JsonKind::Object,
        }
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&'x str> {
        match self {
            AnyRef::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The object, if this is one.
    #[must_use]
    pub fn as_object(&self) -> Option<&'x Object<'a>> {
        match self {
            AnyRef::Object(o) => Some(o),
            _ => None,
        }
    }
}

impl<'a> From<&'a str> for Any<'a> {
    fn from(s: &'a str) -> Self {
        Any::String(Str::borrowed(s))
    }
}

impl From<String> for Any<'_> {
    fn from(s: String) -> Self {
        Any::String(Str::owned(s))
    }
}

impl<'a> From<Str<'a>> for Any<'a> {
    fn from(s: Str<'a>) -> Self {
        Any::String(s)
    }
}

impl From<bool> for Any<'_> {
    fn from(b: bool) -> Self {
        Any::Bool(b)
    }
}

impl From<u64> for Any<'_> {
    fn from(n: u64) -> Self {
        Any::Number(n.into())
    }
}

impl From<i64> for Any<'_> {
    fn from(n: i64) -> Self {
        Any::Number(n.into())
    }
}

impl<'a> From<Object<'a>> for Any<'a> {
    fn from(o: Object<'a>) -> Self {
        Any::Object(Box::new(o))
    }
}

impl<'a> From<Vec<Any<'a>>> for Any<'a> {
    fn from(items: Vec<Any<'a>>) -> Self {
        Any::Array(items)
    }
}
