//! Reading a JSON object field by field with the rules of cattle_grid's pydantic models.
//!
//! Every model of this crate decodes through [`Fields`], so the rules live in one place:
//!
//! * the body must be a JSON object; a key given twice counts with its last value (as Python's
//!   `json.loads` does);
//! * a field with a camelCase alias is found by its alias first and by its field name otherwise
//!   (`validate_by_name=True`); when both are present the name key is ignored, unread;
//! * `str` fields take strings only, `bool` fields take what pydantic's lax mode takes (see
//!   [`lax_bool`]), `dict` fields take objects only, `X | None` fields also take `null`;
//! * keys no field claims are kept as extras (models that ignore or allow extras) or refused
//!   (models with `extra="forbid"`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::DecodeError;

/// What a model does with keys that no field claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extras {
    /// Keep them (pydantic `extra="ignore"` or `extra="allow"`; see the crate docs).
    Keep,
    /// Refuse the message (pydantic `extra="forbid"`).
    Forbid,
}

/// The entries of one JSON object, in input order, values parsed, keys borrowed where possible.
#[derive(Debug, Default)]
pub(crate) struct RawObject<'de> {
    entries: Vec<(Cow<'de, str>, Option<Value>)>,
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawObjectVisitor)
    }
}

/// Marker text of the error a non-object body produces, recognised by [`decode_object`].
const NOT_AN_OBJECT: &str = "the body is not a JSON object";

struct RawObjectVisitor;

impl<'de> Visitor<'de> for RawObjectVisitor {
    type Value = RawObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(4).min(16));
        while let Some(Key(key)) = map.next_key()? {
            entries.push((key, Some(map.next_value()?)));
        }
        Ok(RawObject { entries })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(NOT_AN_OBJECT))
    }
}

/// An object key that borrows from the input when the key has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Parses `body` as one JSON object (a UTF-8 byte order mark is skipped, as Python's
/// `json.loads` does for bytes) and hands its fields to `model`.
pub(crate) fn decode_object<'de, T>(
    body: &'de [u8],
    model: &'static str,
    decode: impl FnOnce(&mut Fields<'de>) -> Result<T, FieldError>,
) -> Result<T, DecodeError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let raw: RawObject<'de> = serde_json::from_slice(body).map_err(|error| {
        if error.is_data() && error.to_string().starts_with(NOT_AN_OBJECT) {
            DecodeError::Invalid {
                model,
                path: String::new(),
                reason: NOT_AN_OBJECT.to_owned(),
            }
        } else {
            DecodeError::Json(error)
        }
    })?;
    let mut fields = Fields::new(raw.entries);
    decode(&mut fields).map_err(|error| error.into_decode_error(model))
}

/// Decodes a nested model from an already parsed value.
pub(crate) fn decode_nested<T>(
    value: Value,
    decode: impl FnOnce(&mut Fields<'static>) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    match value {
        Value::Object(map) => {
            let mut fields = Fields::from_map(map);
            decode(&mut fields)
        }
        other => Err(FieldError::new(format!(
            "expected an object, found {}",
            type_name(&other)
        ))),
    }
}

/// A field that failed to decode: where (a path of keys and indices) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    path: Vec<String>,
    reason: String,
}

impl FieldError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        FieldError {
            path: Vec::new(),
            reason: reason.into(),
        }
    }

    /// Prefixes the path with the key or index `segment`.
    pub(crate) fn at(mut self, segment: impl fmt::Display) -> Self {
        self.path.insert(0, segment.to_string());
        self
    }

    /// `path: reason`, or the reason alone at the top level.
    pub(crate) fn describe(&self) -> String {
        if self.path.is_empty() {
            self.reason.clone()
        } else {
            format!("{}: {}", self.path.join("."), self.reason)
        }
    }

    fn into_decode_error(self, model: &'static str) -> DecodeError {
        DecodeError::Invalid {
            model,
            path: self.path.join("."),
            reason: self.reason,
        }
    }
}

/// The unread entries of one object.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    entries: Vec<(Cow<'a, str>, Option<Value>)>,
}

impl<'a> Fields<'a> {
    fn new(entries: Vec<(Cow<'a, str>, Option<Value>)>) -> Self {
        Fields { entries }
    }

    fn from_map(map: Map<String, Value>) -> Self {
        Fields::new(
            map.into_iter()
                .map(|(k, v)| (Cow::Owned(k), Some(v)))
                .collect(),
        )
    }

    /// Removes every entry named `key` and returns the value of the last one.
    fn take(&mut self, key: &str) -> Option<Value> {
        let mut found = None;
        for (name, value) in &mut self.entries {
            if name == key
                && let Some(v) = value.take()
            {
                found = Some(v);
            }
        }
        found
    }

    /// Removes the entries of a field that has an alias; the alias wins over the name.
    /// Returns the key that was used and its value.
    fn take_aliased(
        &mut self,
        alias: &'static str,
        name: &'static str,
    ) -> Option<(&'static str, Value)> {
        let by_alias = self.take(alias);
        let by_name = self.take(name);
        match (by_alias, by_name) {
            (Some(value), _) => Some((alias, value)),
            (None, Some(value)) => Some((name, value)),
            (None, None) => None,
        }
    }

    /// A required field without alias.
    pub(crate) fn required<T>(
        &mut self,
        key: &'static str,
        convert: impl FnOnce(Value) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        match self.take(key) {
            Some(value) => convert(value).map_err(|e| e.at(key)),
            None => Err(FieldError::new("field required").at(key)),
        }
    }

    /// An optional field without alias: `None` when absent.
    pub(crate) fn optional<T>(
        &mut self,
        key: &'static str,
        convert: impl FnOnce(Value) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        self.take(key)
            .map(|value| convert(value).map_err(|e| e.at(key)))
            .transpose()
    }

    /// A required field with a camelCase alias, also found by its field name.
    pub(crate) fn required_aliased<T>(
        &mut self,
        alias: &'static str,
        name: &'static str,
        convert: impl FnOnce(Value) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        match self.take_aliased(alias, name) {
            Some((key, value)) => convert(value).map_err(|e| e.at(key)),
            None => Err(FieldError::new("field required").at(alias)),
        }
    }

    /// An optional field with a camelCase alias, also found by its field name.
    pub(crate) fn optional_aliased<T>(
        &mut self,
        alias: &'static str,
        name: &'static str,
        convert: impl FnOnce(Value) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        self.take_aliased(alias, name)
            .map(|(key, value)| convert(value).map_err(|e| e.at(key)))
            .transpose()
    }

    /// The keys no field claimed: kept in input order (a repeated key at its first position
    /// with its last value, as a Python dict does) or refused.
    pub(crate) fn finish(&mut self, extras: Extras) -> Result<Map<String, Value>, FieldError> {
        let mut kept = Map::new();
        for (key, value) in self.entries.drain(..) {
            let Some(value) = value else { continue };
            if extras == Extras::Forbid {
                return Err(FieldError::new("extra keys are not permitted by this model").at(key));
            }
            kept.insert(key.into_owned(), value);
        }
        Ok(kept)
    }
}

/// The JSON type of `value`, for error messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(expected: &str, found: &Value) -> FieldError {
    FieldError::new(format!("expected {expected}, found {}", type_name(found)))
}

/// A pydantic `str` field: strings only (no number or bool coercion).
pub(crate) fn string(value: Value) -> Result<String, FieldError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(wrong_type("a string", &other)),
    }
}

/// A pydantic `dict` / `dict[str, Any]` field: objects only.
pub(crate) fn object(value: Value) -> Result<Map<String, Value>, FieldError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(wrong_type("an object", &other)),
    }
}

/// A pydantic `bool` field in lax mode: `true`/`false`, the integers 0 and 1, the floats 0.0 and
/// 1.0, and the strings `0 off f false n no 1 on t true y yes` in any ASCII case.
pub(crate) fn lax_bool(value: Value) -> Result<bool, FieldError> {
    const TRUE: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];
    const FALSE: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
    let parsed = match &value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) if TRUE.iter().any(|t| s.eq_ignore_ascii_case(t)) => Some(true),
        Value::String(s) if FALSE.iter().any(|t| s.eq_ignore_ascii_case(t)) => Some(false),
        _ => None,
    };
    parsed.ok_or_else(|| wrong_type("a valid boolean", &value))
}

/// A pydantic `list[T]` field: arrays only, each item converted by `item`.
pub(crate) fn list<T>(
    value: Value,
    mut item: impl FnMut(Value) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldError> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| item(v).map_err(|e| e.at(i)))
            .collect(),
        other => Err(wrong_type("an array", &other)),
    }
}

/// A pydantic `X | None` field: `null` or what `convert` takes.
pub(crate) fn nullable<T>(
    convert: impl FnOnce(Value) -> Result<T, FieldError>,
) -> impl FnOnce(Value) -> Result<Option<T>, FieldError> {
    move |value| match value {
        Value::Null => Ok(None),
        other => convert(other).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Fields<'static> {
        let Value::Object(map) = value else {
            panic!("test input must be an object")
        };
        Fields::from_map(map)
    }

    #[test]
    fn alias_wins_over_name_whatever_the_order() {
        for body in [
            br#"{"baseUrl":"a","base_url":"b"}"#.as_slice(),
            br#"{"base_url":"b","baseUrl":"a"}"#,
        ] {
            let got = decode_object(body, "M", |f| {
                f.required_aliased("baseUrl", "base_url", string)
            });
            assert_eq!(got.ok(), Some("a".to_owned()));
        }
    }

    #[test]
    fn shadowed_name_key_is_not_validated() {
        let body = br#"{"baseUrl":"a","base_url":5}"#;
        let got = decode_object(body, "M", |f| {
            let v = f.required_aliased("baseUrl", "base_url", string)?;
            Ok((v, f.finish(Extras::Forbid)?))
        });
        assert_eq!(got.ok(), Some(("a".to_owned(), Map::new())));
    }

    #[test]
    fn repeated_key_takes_last_value_and_first_position() {
        let body = br#"{"x":1,"actor":"a","x":2,"actor":"b"}"#;
        let (actor, extra) = decode_object(body, "M", |f| {
            Ok((f.required("actor", string)?, f.finish(Extras::Keep)?))
        })
        .unwrap_or_default();
        assert_eq!(actor, "b");
        assert_eq!(Value::Object(extra), json!({"x": 2}));
    }

    #[test]
    fn lax_bool_matches_pydantic() {
        for (input, want) in [
            (json!(true), Some(true)),
            (json!(0), Some(false)),
            (json!(1), Some(true)),
            (json!(1.0), Some(true)),
            (json!(2), None),
            (json!(0.5), None),
            (json!("YES"), Some(true)),
            (json!("Off"), Some(false)),
            (json!(" true"), None),
            (json!(""), None),
            (json!("none"), None),
            (json!(null), None),
        ] {
            assert_eq!(lax_bool(input.clone()).ok(), want, "input {input}");
        }
    }

    #[test]
    fn forbidden_extra_names_the_key() {
        let mut f = fields(json!({"actor": "a", "reason": "bye"}));
        assert!(f.required("actor", string).is_ok());
        let err = f.finish(Extras::Forbid).err();
        assert_eq!(err.map(|e| e.path), Some(vec!["reason".to_owned()]));
    }

    #[test]
    fn non_object_bodies_are_refused_as_invalid() {
        for body in [b"[]".as_slice(), b"1", b"\"x\"", b"null", b"true"] {
            let got = decode_object(body, "M", |f| f.finish(Extras::Keep));
            assert!(
                matches!(got, Err(DecodeError::Invalid { .. })),
                "{body:?}: {got:?}"
            );
        }
        let got = decode_object(b"{", "M", |f| f.finish(Extras::Keep));
        assert!(matches!(got, Err(DecodeError::Json(_))));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let got = decode_object(b"\xEF\xBB\xBF{\"actor\":\"a\"}", "M", |f| {
            f.required("actor", string)
        });
        assert_eq!(got.ok(), Some("a".to_owned()));
    }

    #[test]
    fn nested_errors_carry_their_path() {
        let mut f = fields(json!({"items": [{"n": "x"}, {"n": 1}]}));
        let err = f
            .required("items", |v| {
                list(v, |item| decode_nested(item, |g| g.required("n", string)))
            })
            .err();
        assert_eq!(err.map(|e| e.path.join(".")), Some("items.1.n".to_owned()));
    }
}
