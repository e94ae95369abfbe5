//! Hand-written serde visitors: one pass over the input, keys matched against the vocabulary,
//! strings borrowed from the input, no intermediate `serde_json::Value`.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::any::{Any, JsonKind};
use crate::error::ParseError;
use crate::limits::MAX_DEPTH;
use crate::object::{Entry, EntrySink, Object};
use crate::prop::{Element, Prop, PropertyValue, ValueKind};
use crate::string::Str;
use crate::vocab::Term;

/// Per-value parsing context.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    /// Containers (objects and arrays) entered so far.
    depth: usize,
    /// The deserializer is serde_json reading a buffer: a borrowed string then had no escape
    /// sequence and can be written back verbatim.
    trusted: bool,
}

impl Ctx {
    pub(crate) const JSON_INPUT: Ctx = Ctx {
        depth: 0,
        trusted: true,
    };
    pub(crate) const ANY_DESERIALIZER: Ctx = Ctx {
        depth: 0,
        trusted: false,
    };

    fn enter<E: de::Error>(self) -> Result<Ctx, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(Ctx {
            depth: self.depth + 1,
            ..self
        })
    }

    fn borrowed<'de>(self, s: &'de str) -> Str<'de> {
        if self.trusted {
            Str::from_json_input(s)
        } else {
            Str::borrowed(s)
        }
    }
}

/// Parses a JSON document that must be an object.
pub(crate) fn object_from_slice(bytes: &[u8]) -> Result<Object<'_>, ParseError> {
    // RFC 8259 §8.1: parsers "MAY ignore the presence of a byte order mark".
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Validating UTF-8 once for the whole buffer is cheaper than serde_json's per-string
    // checks; invalid input goes through `from_slice` for serde_json's positioned error.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_with(serde_json::Deserializer::from_str(text), bytes),
        Err(_) => parse_with(serde_json::Deserializer::from_slice(bytes), bytes),
    }
}

fn parse_with<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    bytes: &[u8],
) -> Result<Object<'de>, ParseError> {
    match ObjectSeed(Ctx::JSON_INPUT).deserialize(&mut de) {
        Ok(object) => {
            de.end().map_err(ParseError::Json)?;
            Ok(object)
        }
        Err(err) => Err(classify_error(bytes, err)),
    }
}

/// Turns "invalid type" for a top-level non-object into [`ParseError::NotAnObject`] when the
/// input is valid JSON of another kind, and serde_json's recursion limit into
/// [`ParseError::TooDeep`].
fn classify_error(bytes: &[u8], err: serde_json::Error) -> ParseError {
    // serde_json reports its limit only in the message (the category is `Syntax`).
    if err.to_string().starts_with("recursion limit exceeded") {
        return ParseError::TooDeep { limit: MAX_DEPTH };
    }
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{')
        && serde_json::from_slice::<de::IgnoredAny>(bytes).is_ok()
        && let Some(found) = first.and_then(|b| kind_of_first_byte(*b))
    {
        return ParseError::NotAnObject { found };
    }
    ParseError::Json(err)
}

fn kind_of_first_byte(b: u8) -> Option<JsonKind> {
    Some(match b {
        b'[' => JsonKind::Array,
        b'"' => JsonKind::String,
        b'n' => JsonKind::Null,
        b't' | b'f' => JsonKind::Bool,
        b'-' | b'0'..=b'9' => JsonKind::Number,
        b'{' => JsonKind::Object,
        _ => return None,
    })
}

/// Converts a `serde_json::Value` that must be an object.
pub(crate) fn object_from_value(value: serde_json::Value) -> Result<Object<'static>, ParseError> {
    if !value.is_object() {
        return Err(ParseError::NotAnObject {
            found: JsonKind::of_value(&value),
        });
    }
    ObjectSeed(Ctx::ANY_DESERIALIZER)
        .deserialize(value)
        .map_err(depth_or_json)
}

pub(crate) fn any_from_value(value: serde_json::Value) -> Result<Any<'static>, ParseError> {
    let mut scratch = Vec::new();
    AnySeed {
        ctx: Ctx::ANY_DESERIALIZER,
        scratch: &mut scratch,
    }
    .deserialize(value)
    .map_err(depth_or_json)
}

fn depth_or_json(err: serde_json::Error) -> ParseError {
    if err.to_string().starts_with("nesting deeper than") {
        ParseError::TooDeep { limit: MAX_DEPTH }
    } else {
        ParseError::Json(err)
    }
}

/// Entries of the objects being parsed, innermost last (see [`EntrySink`]).
type Scratch<'de> = Vec<Entry<'de>>;

/// Deserializes an [`Object`]; a non-object is an "invalid type" error.
pub(crate) struct ObjectSeed(pub(crate) Ctx);

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = Object<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Object<'de>, D::Error> {
        let mut scratch = Vec::with_capacity(32);
        deserializer.deserialize_map(ObjectVisitor {
            ctx: self.0,
            scratch: &mut scratch,
        })
    }
}

struct ObjectVisitor<'s, 'de> {
    ctx: Ctx,
    scratch: &'s mut Scratch<'de>,
}

impl<'de> Visitor<'de> for ObjectVisitor<'_, 'de> {
    type Value = Object<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<'de>, A::Error> {
        object_from_map(map, self.ctx, self.scratch)
    }
}

fn object_from_map<'de, A: MapAccess<'de>>(
    mut map: A,
    ctx: Ctx,
    scratch: &mut Scratch<'de>,
) -> Result<Object<'de>, A::Error> {
    let ctx = ctx.enter()?;
    let mut sink = EntrySink::new(scratch);
    while let Some(key) = map.next_key_seed(StrSeed(ctx))? {
        match Term::from_name(&key) {
            Some(term) => {
                let value = match term.value_kind() {
                    ValueKind::Ref => {
                        PropertyValue::Ref(map.next_value_seed(PropSeed::new(ctx, scratch))?)
                    }
                    ValueKind::Text => {
                        PropertyValue::Text(map.next_value_seed(PropSeed::new(ctx, scratch))?)
                    }
                    ValueKind::Num => {
                        PropertyValue::Num(map.next_value_seed(PropSeed::new(ctx, scratch))?)
                    }
                    ValueKind::Flag => {
                        PropertyValue::Flag(map.next_value_seed(PropSeed::new(ctx, scratch))?)
                    }
                    ValueKind::LangMap => {
                        PropertyValue::LangMap(map.next_value_seed(PropSeed::new(ctx, scratch))?)
                    }
                    ValueKind::Any => {
                        PropertyValue::Any(map.next_value_seed(PropSeed::new(ctx, scratch))?)
                    }
                };
                sink.known(scratch, term, value);
            }
            None => {
                let value = map.next_value_seed(AnySeed {
                    ctx,
                    scratch: &mut *scratch,
                })?;
                sink.unknown(scratch, key, value);
            }
        }
    }
    Ok(sink.finish(scratch))
}

struct StrSeed(Ctx);

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Str<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Str<'de>, D::Error> {
        deserializer.deserialize_str(StrVisitor(self.0))
    }
}

struct StrVisitor(Ctx);

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
        Ok(self.0.borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
        Ok(Str::owned(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
        Ok(Str::owned(v))
    }
}

/// Deserializes any JSON value.
struct AnySeed<'s, 'de> {
    ctx: Ctx,
    scratch: &'s mut Scratch<'de>,
}

impl<'de> DeserializeSeed<'de> for AnySeed<'_, 'de> {
    type Value = Any<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Any<'de>, D::Error> {
        deserializer.deserialize_any(AnyVisitor {
            ctx: self.ctx,
            scratch: self.scratch,
        })
    }
}

struct AnyVisitor<'s, 'de> {
    ctx: Ctx,
    scratch: &'s mut Scratch<'de>,
}

impl<'de> Visitor<'de> for AnyVisitor<'_, 'de> {
    type Value = Any<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Any<'de>, E> {
        Ok(Any::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Any<'de>, E> {
        Ok(Any::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Any<'de>, E> {
        Ok(Any::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Any<'de>, E> {
        // As serde_json::Value does: a non-finite float (only reachable from non-JSON
        // deserializers) becomes null.
        Ok(serde_json::Number::from_f64(v).map_or(Any::Null, Any::Number))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Any<'de>, E> {
        Ok(Any::String(self.ctx.borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Any<'de>, E> {
        Ok(Any::String(Str::owned(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Any<'de>, E> {
        Ok(Any::String(Str::owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Any<'de>, E> {
        Ok(Any::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Any<'de>, E> {
        Ok(Any::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Any<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Any<'de>, A::Error> {
        let ctx = self.ctx.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(AnySeed {
            ctx,
            scratch: &mut *self.scratch,
        })? {
            items.push(item);
        }
        Ok(Any::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Any<'de>, A::Error> {
        Ok(Any::Object(Box::new(object_from_map(
            map,
            self.ctx,
            self.scratch,
        )?)))
    }
}

/// Deserializes a property value as `Prop<T>`: `null`, one value, or an array.
struct PropSeed<'s, 'de, T> {
    ctx: Ctx,
    scratch: &'s mut Scratch<'de>,
    marker: PhantomData<fn() -> T>,
}

impl<'s, 'de, T> PropSeed<'s, 'de, T> {
    fn new(ctx: Ctx, scratch: &'s mut Scratch<'de>) -> Self {
        PropSeed {
            ctx,
            scratch,
            marker: PhantomData,
        }
    }
}

impl<'de, T: Element<'de>> DeserializeSeed<'de> for PropSeed<'_, 'de, T> {
    type Value = Prop<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Prop<T>, D::Error> {
        deserializer.deserialize_any(PropVisitor::<T> {
            ctx: self.ctx,
            scratch: self.scratch,
            marker: PhantomData,
        })
    }
}

struct PropVisitor<'s, 'de, T> {
    ctx: Ctx,
    scratch: &'s mut Scratch<'de>,
    marker: PhantomData<fn() -> T>,
}

impl<'s, 'de, T> PropVisitor<'s, 'de, T> {
    fn any(self) -> AnyVisitor<'s, 'de> {
        AnyVisitor {
            ctx: self.ctx,
            scratch: self.scratch,
        }
    }
}

impl<'de, T: Element<'de>> Visitor<'de> for PropVisitor<'_, 'de, T> {
    type Value = Prop<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Prop<T>, E> {
        Ok(Prop::One(T::from_any(Any::Bool(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Prop<T>, E> {
        self.any().visit_i64(v).map(|a| Prop::One(T::from_any(a)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Prop<T>, E> {
        self.any().visit_u64(v).map(|a| Prop::One(T::from_any(a)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Prop<T>, E> {
        match self.any().visit_f64(v)? {
            Any::Null => Ok(Prop::Null),
            a => Ok(Prop::One(T::from_any(a))),
        }
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Prop<T>, E> {
        Ok(Prop::One(T::from_any(Any::String(self.ctx.borrowed(v)))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Prop<T>, E> {
        Ok(Prop::One(T::from_any(Any::String(Str::owned(v)))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Prop<T>, E> {
        Ok(Prop::One(T::from_any(Any::String(Str::owned(v)))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Prop<T>, E> {
        Ok(Prop::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Prop<T>, E> {
        Ok(Prop::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Prop<T>, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Prop<T>, A::Error> {
        let ctx = self.ctx.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(AnySeed {
            ctx,
            scratch: &mut *self.scratch,
        })? {
            items.push(T::from_any(item));
        }
        Ok(Prop::Many(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Prop<T>, A::Error> {
        self.any().visit_map(map).map(|a| Prop::One(T::from_any(a)))
    }
}

impl<'a> Object<'a> {
    /// Parses a JSON document, borrowing strings from `bytes` where possible.
    ///
    /// Accepts every JSON object, whatever its properties hold (unexpected shapes are kept, see
    /// [`Object::validate`] for strict checking); a leading UTF-8 byte order mark is ignored;
    /// nesting is bounded by serde_json's limit. As with `serde_json::Value`, a float beyond
    /// the range of `f64` (`1e400`) is an error.
    ///
    /// # Errors
    /// [`ParseError::Json`] for invalid JSON (including invalid UTF-8),
    /// [`ParseError::NotAnObject`] for valid JSON that is not an object,
    /// [`ParseError::TooDeep`] for containers nested [`MAX_DEPTH`](crate::MAX_DEPTH) levels or
    /// deeper (refused while parsing, before the stack or the heap grows with the depth).
    pub fn from_slice(bytes: &'a [u8]) -> Result<Self, ParseError> {
        object_from_slice(bytes)
    }

    /// Parses a JSON document from a string (see [`Object::from_slice`]).
    ///
    /// # Errors
    /// As [`Object::from_slice`].
    #[allow(clippy::should_implement_trait)] // FromStr cannot borrow from its input.
    pub fn from_str(text: &'a str) -> Result<Self, ParseError> {
        object_from_slice(text.as_bytes())
    }

    /// Converts a `serde_json::Value` that is an object.
    ///
    /// # Errors
    /// [`ParseError::NotAnObject`] for other values, [`ParseError::TooDeep`] beyond
    /// [`MAX_DEPTH`](crate::MAX_DEPTH).
    pub fn from_value(value: serde_json::Value) -> Result<Object<'static>, ParseError> {
        object_from_value(value)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Object<'a> {
    /// Reads a JSON object from any serde deserializer. Prefer
    /// [`Object::from_slice`]/[`Object::from_str`] for JSON text: they also mark borrowed strings
    /// as needing no escaping, which makes writing faster.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ObjectSeed(Ctx::ANY_DESERIALIZER).deserialize(deserializer)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Any<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut scratch = Vec::new();
        AnySeed {
            ctx: Ctx::ANY_DESERIALIZER,
            scratch: &mut scratch,
        }
        .deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prop::Ref;

    #[test]
    fn borrows_unescaped_strings_from_the_input() {
        let input = r#"{"id":"https://a.example/1","content":"say \"hi\"","x":"plain"}"#;
        let o = object_from_slice(input.as_bytes()).unwrap();
        let id = match o.id_value() {
            Some(Prop::One(crate::Text::String(s))) => s,
            other => panic!("unexpected {other:?}"),
        };
        assert!(id.is_borrowed() && id.is_json_clean());
        let content = o.content().and_then(Prop::first).and_then(|t| t.as_str());
        assert_eq!(content, Some("say \"hi\""));
        match o.unknown("x") {
            Some(Any::String(s)) => assert!(s.is_borrowed()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unexpected_shapes_are_kept_not_rejected() {
        let o =
            object_from_slice(br#"{"actor":90,"to":[null,"x",[1]],"name":{"en":"x"}}"#).unwrap();
        assert!(matches!(
            o.actor(),
            Some(Prop::One(Ref::Other(Any::Number(_))))
        ));
        let to = o.to().unwrap();
        assert!(matches!(
            to.as_slice(),
            [
                Ref::Other(Any::Null),
                Ref::Iri(_),
                Ref::Other(Any::Array(_))
            ]
        ));
        assert!(o.name().is_some());
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let o = object_from_slice(b"\xEF\xBB\xBF{\"type\":\"Note\"}").unwrap();
        assert_eq!(o.type_name(), Some("Note"));
    }

    #[test]
    fn non_objects_are_classified() {
        for (input, kind) in [
            ("[1]", JsonKind::Array),
            (" \"x\"", JsonKind::String),
            ("42", JsonKind::Number),
            ("null", JsonKind::Null),
            ("true", JsonKind::Bool),
        ] {
            match object_from_slice(input.as_bytes()) {
                Err(ParseError::NotAnObject { found }) => assert_eq!(found, kind, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(matches!(object_from_slice(b"{"), Err(ParseError::Json(_))));
        assert!(matches!(object_from_slice(b"[1"), Err(ParseError::Json(_))));
        assert!(matches!(
            object_from_slice(b"{} x"),
            Err(ParseError::Json(_))
        ));
    }

    #[test]
    fn deep_input_is_too_deep_not_a_syntax_error() {
        let depth = MAX_DEPTH + 1;
        let text = format!("{{\"x\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(matches!(
            object_from_slice(text.as_bytes()),
            Err(ParseError::TooDeep { limit: MAX_DEPTH })
        ));
    }

    #[test]
    fn from_value_enforces_the_depth_limit() {
        let mut value = serde_json::json!({});
        for _ in 0..(MAX_DEPTH + 5) {
            value = serde_json::json!({ "x": value });
        }
        assert!(matches!(
            object_from_value(value),
            Err(ParseError::TooDeep { .. })
        ));
    }
}
