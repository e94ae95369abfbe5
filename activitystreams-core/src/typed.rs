//! Objects as values of your own types: [`Object::deserialize_into`] runs a type's
//! `Deserialize` implementation directly on an object (no JSON text, no `serde_json::Value` in
//! between, strings lent from the object), [`Object::deserialize_with_rest`] also returns the
//! properties the type ignored, and [`OwnedObject::from_typed`](crate::OwnedObject::from_typed)
//! goes back.

use std::cell::Cell;
use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::Number;

use crate::any::{Any, AnyRef};
use crate::error::TypedError;
use crate::limits::MAX_DEPTH;
use crate::object::{Entry, Object};
use crate::pointer::{Segment, render};
use crate::prop::{Element, Flag, LangMap, Num, Prop, PropertyValue, Ref, Text};

impl<'a> Object<'a> {
    /// Reads the object as a value of your own `Deserialize` type, as if it were deserialized
    /// from the object's JSON.
    ///
    /// The type sees every property, recognised terms and unknown keys alike, under its JSON
    /// key and with its value as written (a single value, an array, `null`). It can borrow
    /// strings from the object (`&'x str` fields). Unknown properties are the type's to keep:
    /// a field `#[serde(flatten)] rest: OwnedObject` (or `serde_json::Map<String, Value>`)
    /// collects every property no other field takes, in order, and
    /// [`OwnedObject::from_typed`](crate::OwnedObject::from_typed) writes them back. To keep
    /// them without such a field, use [`Object::deserialize_with_rest`].
    ///
    /// ```
    /// use activitystreams_core::{Object, OwnedObject};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Deserialize, Serialize)]
    /// struct Note<'x> {
    ///     id: &'x str,
    ///     content: String,
    ///     #[serde(default)]
    ///     sensitive: bool,
    ///     /// Every other property (`type`, `x-mood`), in order.
    ///     #[serde(flatten)]
    ///     rest: OwnedObject,
    /// }
    ///
    /// let object = Object::from_str(
    ///     r#"{"type":"Note","id":"https://a.example/1","content":"<p>Hi</p>","x-mood":"sunny"}"#,
    /// )?;
    /// let note: Note<'_> = object.deserialize_into()?;
    /// assert_eq!((note.id, note.content.as_str(), note.sensitive), ("https://a.example/1", "<p>Hi</p>", false));
    /// assert_eq!(note.rest.keys().collect::<Vec<_>>(), ["type", "x-mood"]);
    ///
    /// // And back: the fields, then the flattened properties.
    /// let back = OwnedObject::from_typed(&note)?;
    /// assert_eq!(
    ///     back.to_json_string()?,
    ///     r#"{"id":"https://a.example/1","content":"<p>Hi</p>","sensitive":false,"type":"Note","x-mood":"sunny"}"#
    /// );
    ///
    /// // A mismatch says where.
    /// let bad = Object::from_str(r#"{"id":"https://a.example/2","content":7}"#)?;
    /// let err = bad.deserialize_into::<Note<'_>>().err().expect("content is not a string");
    /// assert_eq!(err.to_string(), r#""/content": invalid type: integer `7`, expected a string"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Numbers are handed to the type as serde_json hands them (`u64`, else `i64`, else `f64`),
    /// an enum is a string (unit variant) or an object with one property, as in serde_json.
    /// Time and allocations are linear in the size of the object (plus what the type does).
    ///
    /// # Errors
    /// [`TypedError::Mismatch`], with the JSON Pointer of the value, when the type refuses the
    /// object; [`TypedError::TooDeep`] when an object built in code nests deeper than
    /// [`MAX_DEPTH`].
    pub fn deserialize_into<'x, T: Deserialize<'x>>(&'x self) -> Result<T, TypedError> {
        T::deserialize(ValueDe::top(self, None)).map_err(DeError::into_typed)
    }

    /// Reads the object as a value of your own type, as [`Object::deserialize_into`] does, and
    /// returns with it the properties the type ignored (the keys its `Deserialize` skips as
    /// unknown, in their order), so that nothing is lost without a `#[serde(flatten)]` field.
    ///
    /// Only properties of the object itself are returned; unknown keys inside nested values
    /// are the nested types' to keep. A type with a `#[serde(flatten)]` field takes every
    /// property (nothing is left over), a type that reads the whole object (`serde_json::Value`,
    /// a map) too.
    ///
    /// ```
    /// use activitystreams_core::{Object, OwnedObject};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Deserialize, Serialize)]
    /// struct Follow {
    ///     actor: String,
    ///     object: String,
    /// }
    ///
    /// let object = Object::from_str(
    ///     r#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow",
    ///        "actor":"https://a.example/u/alice","object":"https://b.example/u/bob"}"#,
    /// )?;
    /// let (follow, rest): (Follow, Object<'_>) = object.deserialize_with_rest()?;
    /// assert_eq!(follow.object, "https://b.example/u/bob");
    /// assert_eq!(rest.keys().collect::<Vec<_>>(), ["@context", "type"]);
    ///
    /// // Back to the same JSON value.
    /// let mut back = OwnedObject::from_typed(&follow)?;
    /// back.merge(rest.into_owned());
    /// assert_eq!(back.to_value()?, object.to_value()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Object::deserialize_into`].
    pub fn deserialize_with_rest<'x, T: Deserialize<'x>>(
        &'x self,
    ) -> Result<(T, Object<'a>), TypedError> {
        let ignored = vec![Cell::new(false); self.len()];
        let value =
            T::deserialize(ValueDe::top(self, Some(&ignored))).map_err(DeError::into_typed)?;
        let mut rest = Object::new();
        rest.entries_mut().extend(
            self.entries()
                .iter()
                .zip(&ignored)
                .filter(|(_, ignored)| ignored.get())
                .map(|(entry, _)| entry.clone()),
        );
        Ok((value, rest))
    }
}

/// The deserializer's error: a message and where it was raised (innermost segment first).
#[derive(Debug)]
struct DeError {
    message: String,
    path: Vec<PathSegment>,
    too_deep: bool,
}

#[derive(Debug)]
enum PathSegment {
    Key(String),
    Index(usize),
}

impl DeError {
    fn too_deep() -> Self {
        DeError {
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
            path: Vec::new(),
            too_deep: true,
        }
    }

    fn at_key(mut self, key: &str) -> Self {
        self.path.push(PathSegment::Key(key.to_owned()));
        self
    }

    fn at_index(mut self, index: usize) -> Self {
        self.path.push(PathSegment::Index(index));
        self
    }

    fn into_typed(self) -> TypedError {
        if self.too_deep {
            return TypedError::TooDeep { limit: MAX_DEPTH };
        }
        let path: Vec<Segment<'_>> = self
            .path
            .iter()
            .rev()
            .map(|segment| match segment {
                PathSegment::Key(key) => Segment::Key(key),
                PathSegment::Index(index) => Segment::Index(*index),
            })
            .collect();
        TypedError::Mismatch {
            pointer: render(&path),
            message: self.message,
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DeError {
            message: message.to_string(),
            path: Vec::new(),
            too_deep: false,
        }
    }
}

fn enter(depth: usize) -> Result<usize, DeError> {
    if depth >= MAX_DEPTH {
        Err(DeError::too_deep())
    } else {
        Ok(depth + 1)
    }
}

/// The elements of an array, whatever typed form holds them.
#[derive(Clone, Copy)]
enum Items<'x, 'a> {
    Any(&'x [Any<'a>]),
    Ref(&'x [Ref<'a>]),
    Text(&'x [Text<'a>]),
    Num(&'x [Num<'a>]),
    Flag(&'x [Flag<'a>]),
    LangMap(&'x [LangMap<'a>]),
}

impl<'x, 'a> Items<'x, 'a> {
    fn len(self) -> usize {
        match self {
            Items::Any(items) => items.len(),
            Items::Ref(items) => items.len(),
            Items::Text(items) => items.len(),
            Items::Num(items) => items.len(),
            Items::Flag(items) => items.len(),
            Items::LangMap(items) => items.len(),
        }
    }

    fn get(self, index: usize) -> Option<AnyRef<'x, 'a>> {
        match self {
            Items::Any(items) => items.get(index).map(Any::view),
            Items::Ref(items) => items.get(index).map(Element::view),
            Items::Text(items) => items.get(index).map(Element::view),
            Items::Num(items) => items.get(index).map(Element::view),
            Items::Flag(items) => items.get(index).map(Element::view),
            Items::LangMap(items) => items.get(index).map(Element::view),
        }
    }
}

/// A JSON value inside an object: a single value, or the elements of an array.
#[derive(Clone, Copy)]
enum Node<'x, 'a> {
    Value(AnyRef<'x, 'a>),
    Items(Items<'x, 'a>),
}

impl<'x, 'a> Node<'x, 'a> {
    fn of_entry(entry: &'x Entry<'a>) -> (&'x str, Self) {
        match entry {
            Entry::Known(term, value) => (term.name(), Node::of_property(value)),
            Entry::Unknown(name, value) => (name.as_str(), Node::Value(value.view())),
        }
    }

    fn of_property(value: &'x PropertyValue<'a>) -> Self {
        fn node<'x, 'a, T: Element<'a>>(
            prop: &'x Prop<T>,
            many: fn(&'x [T]) -> Items<'x, 'a>,
        ) -> Node<'x, 'a> {
            match prop {
                Prop::Null => Node::Value(AnyRef::Null),
                Prop::One(value) => Node::Value(value.view()),
                Prop::Many(values) => Node::Items(many(values)),
            }
        }
        match value {
            PropertyValue::Ref(p) => node(p, Items::Ref),
            PropertyValue::Text(p) => node(p, Items::Text),
            PropertyValue::Num(p) => node(p, Items::Num),
            PropertyValue::Flag(p) => node(p, Items::Flag),
            PropertyValue::LangMap(p) => node(p, Items::LangMap),
            PropertyValue::Any(p) => node(p, Items::Any),
        }
    }

    fn unexpected(self) -> Unexpected<'x> {
        match self {
            Node::Value(AnyRef::Null) => Unexpected::Unit,
            Node::Value(AnyRef::Bool(b)) => Unexpected::Bool(b),
            Node::Value(AnyRef::Number(n)) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Unexpected::Unsigned(u),
                (None, Some(i), _) => Unexpected::Signed(i),
                (None, None, Some(f)) => Unexpected::Float(f),
                (None, None, None) => Unexpected::Other("number"),
            },
            Node::Value(AnyRef::String(s)) => Unexpected::Str(s.as_str()),
            Node::Value(AnyRef::Array(_)) | Node::Items(_) => Unexpected::Seq,
            Node::Value(AnyRef::Object(_)) => Unexpected::Map,
        }
    }
}

/// Deserializes one value of an object.
struct ValueDe<'x, 'a, 'f> {
    node: Node<'x, 'a>,
    /// Containers entered so far.
    depth: usize,
    /// Set when the value is skipped (`deserialize_ignored_any`).
    ignored: Option<&'f Cell<bool>>,
    /// For the object given to [`Object::deserialize_with_rest`]: one flag per property.
    ignored_entries: Option<&'f [Cell<bool>]>,
}

impl<'x, 'a, 'f> ValueDe<'x, 'a, 'f> {
    fn top(object: &'x Object<'a>, ignored_entries: Option<&'f [Cell<bool>]>) -> Self {
        ValueDe {
            node: Node::Value(AnyRef::Object(object)),
            depth: 0,
            ignored: None,
            ignored_entries,
        }
    }

    fn nested(node: Node<'x, 'a>, depth: usize) -> Self {
        ValueDe {
            node,
            depth,
            ignored: None,
            ignored_entries: None,
        }
    }

    fn visit_items<V: Visitor<'x>>(
        self,
        items: Items<'x, 'a>,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mut seq = SeqDe {
            items,
            next: 0,
            depth: enter(self.depth)?,
        };
        let value = visitor.visit_seq(&mut seq)?;
        if seq.next < items.len() {
            return Err(de::Error::invalid_length(
                items.len(),
                &"fewer elements in array",
            ));
        }
        Ok(value)
    }

    fn visit_object<V: Visitor<'x>>(
        self,
        object: &'x Object<'a>,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let mut map = MapDe {
            entries: object.entries(),
            next: 0,
            pending: None,
            depth: enter(self.depth)?,
            ignored: self.ignored_entries,
        };
        let value = visitor.visit_map(&mut map)?;
        if map.next < map.entries.len() {
            return Err(de::Error::invalid_length(
                map.entries.len(),
                &"fewer properties in object",
            ));
        }
        Ok(value)
    }
}

fn visit_number<'x, V: Visitor<'x>>(n: &Number, visitor: V) -> Result<V::Value, DeError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else if let Some(f) = n.as_f64() {
        visitor.visit_f64(f)
    } else {
        Err(de::Error::custom(format_args!("number {n} out of range")))
    }
}

impl<'de, 'a> Deserializer<'de> for ValueDe<'de, 'a, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Value(AnyRef::Null) => visitor.visit_unit(),
            Node::Value(AnyRef::Bool(b)) => visitor.visit_bool(b),
            Node::Value(AnyRef::Number(n)) => visit_number(n, visitor),
            Node::Value(AnyRef::String(s)) => visitor.visit_borrowed_str(s.as_str()),
            Node::Value(AnyRef::Array(items)) => self.visit_items(Items::Any(items), visitor),
            Node::Value(AnyRef::Object(object)) => self.visit_object(object, visitor),
            Node::Items(items) => self.visit_items(items, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Value(AnyRef::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.node {
            Node::Value(AnyRef::String(s)) => {
                visitor.visit_enum(BorrowedStrDeserializer::<DeError>::new(s.as_str()))
            }
            Node::Value(AnyRef::Object(object)) => match object.entries() {
                [entry] => {
                    let (variant, value) = Node::of_entry(entry);
                    visitor.visit_enum(EnumDe {
                        variant,
                        value,
                        depth: enter(self.depth)?,
                    })
                }
                _ => Err(de::Error::invalid_value(
                    Unexpected::Map,
                    &"an object with a single property",
                )),
            },
            other => Err(de::Error::invalid_type(
                other.unexpected(),
                &"a string or an object with a single property",
            )),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // As serde_json reading text: a string is handed over as its UTF-8 bytes.
        match self.node {
            Node::Value(AnyRef::String(s)) => visitor.visit_borrowed_bytes(s.as_bytes()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Some(flag) = self.ignored {
            flag.set(true);
        }
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct SeqDe<'x, 'a> {
    items: Items<'x, 'a>,
    next: usize,
    depth: usize,
}

impl<'x> SeqAccess<'x> for SeqDe<'x, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'x>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.get(self.next) else {
            return Ok(None);
        };
        let index = self.next;
        self.next += 1;
        seed.deserialize(ValueDe::nested(Node::Value(item), self.depth))
            .map(Some)
            .map_err(|e| e.at_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len().saturating_sub(self.next))
    }
}

struct MapDe<'x, 'a, 'f> {
    entries: &'x [Entry<'a>],
    next: usize,
    /// The entry whose key was read and whose value is next.
    pending: Option<usize>,
    depth: usize,
    ignored: Option<&'f [Cell<bool>]>,
}

impl<'x> MapAccess<'x> for MapDe<'x, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'x>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.get(self.next) else {
            return Ok(None);
        };
        self.pending = Some(self.next);
        self.next += 1;
        let (key, _) = Node::of_entry(entry);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
            .map_err(|e: DeError| e.at_key(key))
    }

    fn next_value_seed<V: DeserializeSeed<'x>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((index, entry)) = self
            .pending
            .take()
            .and_then(|i| Some((i, self.entries.get(i)?)))
        else {
            return Err(de::Error::custom("a value was read before its key"));
        };
        let (key, node) = Node::of_entry(entry);
        let mut value = ValueDe::nested(node, self.depth);
        value.ignored = self.ignored.and_then(|flags| flags.get(index));
        seed.deserialize(value).map_err(|e: DeError| e.at_key(key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len().saturating_sub(self.next))
    }
}

/// An enum written as an object with one property: the key names the variant.
struct EnumDe<'x, 'a> {
    variant: &'x str,
    value: Node<'x, 'a>,
    depth: usize,
}

impl<'x, 'a> EnumAccess<'x> for EnumDe<'x, 'a> {
    type Error = DeError;
    type Variant = VariantDe<'x, 'a>;

    fn variant_seed<V: DeserializeSeed<'x>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe<'x, 'a>), DeError> {
        let variant = self.variant;
        let value = seed
            .deserialize(BorrowedStrDeserializer::new(variant))
            .map_err(|e: DeError| e.at_key(variant))?;
        Ok((
            value,
            VariantDe {
                variant,
                value: self.value,
                depth: self.depth,
            },
        ))
    }
}

struct VariantDe<'x, 'a> {
    variant: &'x str,
    value: Node<'x, 'a>,
    depth: usize,
}

impl<'x> VariantAccess<'x> for VariantDe<'x, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            Node::Value(AnyRef::Null) => Ok(()),
            other => Err(<DeError as de::Error>::invalid_type(
                other.unexpected(),
                &"null (a unit variant)",
            )
            .at_key(self.variant)),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'x>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(ValueDe::nested(self.value, self.depth))
            .map_err(|e| e.at_key(self.variant))
    }

    fn tuple_variant<V: Visitor<'x>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        ValueDe::nested(self.value, self.depth)
            .deserialize_seq(visitor)
            .map_err(|e| e.at_key(self.variant))
    }

    fn struct_variant<V: Visitor<'x>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        ValueDe::nested(self.value, self.depth)
            .deserialize_map(visitor)
            .map_err(|e| e.at_key(self.variant))
    }
}
