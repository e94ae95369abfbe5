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

/// How the strings the deserializer lends out (`visit_borrowed_str`) become [`Str`]s of an
/// `Object<'a>`: kept borrowed ([`Borrowing`], `'a` is the input's lifetime) or copied
/// ([`Copying`], `'a` is `'static`). Every other step of reading is the same for both, so the
/// borrowed and the owned reader apply the same rules and limits.
pub(crate) trait Mode<'de, 'a>: Copy {
    /// A string borrowed from the input; `clean` when it is known to need no JSON escaping.
    fn string(self, text: &'de str, clean: bool) -> Str<'a>;
}

/// Strings stay borrowed from the input.
#[derive(Clone, Copy)]
pub(crate) struct Borrowing;

impl<'de> Mode<'de, 'de> for Borrowing {
    fn string(self, text: &'de str, clean: bool) -> Str<'de> {
        if clean {
            Str::from_json_input(text)
        } else {
            Str::borrowed(text)
        }
    }
}

/// Strings are copied, so the result does not borrow from the input.
#[derive(Clone, Copy)]
pub(crate) struct Copying;

impl<'de> Mode<'de, 'static> for Copying {
    fn string(self, text: &'de str, clean: bool) -> Str<'static> {
        if clean {
            Str::owned_clean(text)
        } else {
            Str::owned(text)
        }
    }
}

/// Per-value parsing context.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a, M> {
    /// Containers (objects and arrays) entered so far.
    depth: usize,
    /// The deserializer is serde_json reading a buffer: a borrowed string then had no escape
    /// sequence and can be written back verbatim.
    trusted: bool,
    mode: M,
    /// The lifetime of the strings of the result.
    out: PhantomData<fn() -> Str<'a>>,
}

impl<M> Ctx<'_, M> {
    /// For serde_json reading a buffer of JSON text (see `trusted`).
    pub(crate) const fn json_input(mode: M) -> Self {
        Ctx {
            depth: 0,
            trusted: true,
            mode,
            out: PhantomData,
        }
    }

    /// For any other deserializer.
    pub(crate) const fn any_deserializer(mode: M) -> Self {
        Ctx {
            depth: 0,
            trusted: false,
            mode,
            out: PhantomData,
        }
    }
}

impl<'a, M: Copy> Ctx<'a, M> {
    fn enter<E: de::Error>(self) -> Result<Ctx<'a, M>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "{TOO_DEEP_MESSAGE} {MAX_DEPTH} levels"
            )));
        }
        Ok(Ctx {
            depth: self.depth + 1,
            ..self
        })
    }

    fn borrowed<'de>(self, s: &'de str) -> Str<'a>
    where
        M: Mode<'de, 'a>,
    {
        self.mode.string(s, self.trusted)
    }
}

/// The start of the message of the error the visitors raise beyond [`MAX_DEPTH`].
const TOO_DEEP_MESSAGE: &str = "nesting deeper than";

/// Parses a JSON document that must be an object, borrowing strings from `bytes`.
pub(crate) fn object_from_slice(bytes: &[u8]) -> Result<Object<'_>, ParseError> {
    document_from_slice(bytes, Borrowing)
}

/// Parses a JSON document that must be an object, copying every string.
pub(crate) fn owned_from_slice(bytes: &[u8]) -> Result<Object<'static>, ParseError> {
    document_from_slice(bytes, Copying)
}

fn document_from_slice<'de, 'a, M: Mode<'de, 'a>>(
    bytes: &'de [u8],
    mode: M,
) -> Result<Object<'a>, ParseError> {
    // RFC 8259 §8.1: parsers "MAY ignore the presence of a byte order mark".
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // Validating UTF-8 once for the whole buffer is cheaper than serde_json's per-string
    // checks; invalid input goes through `from_slice` for serde_json's positioned error.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_with(serde_json::Deserializer::from_str(text), bytes, mode),
        Err(_) => parse_with(serde_json::Deserializer::from_slice(bytes), bytes, mode),
    }
}

/// The UTF-8 byte order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

fn parse_with<'de, 'a, R: serde_json::de::Read<'de>, M: Mode<'de, 'a>>(
    mut de: serde_json::Deserializer<R>,
    bytes: &[u8],
    mode: M,
) -> Result<Object<'a>, ParseError> {
    match ObjectSeed(Ctx::json_input(mode)).deserialize(&mut de) {
        Ok(object) => {
            de.end().map_err(ParseError::Json)?;
            Ok(object)
        }
        Err(err) => Err(classify_error(bytes, err)),
    }
}

/// Classifies the error of parsing a document as an object: serde_json's recursion limit is
/// [`ParseError::TooDeep`]; a document that does not start with `{` is read again as a whole,
/// as the reader path reads it ([`Validate`]), to tell valid JSON of another kind
/// ([`ParseError::NotAnObject`]) from invalid input (whose error then says what is invalid).
fn classify_error(bytes: &[u8], err: serde_json::Error) -> ParseError {
    if is_too_deep(&err) {
        return ParseError::TooDeep { limit: MAX_DEPTH };
    }
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(&b'{') {
        return ParseError::Json(err);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match Validate
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|()| found))
    {
        Ok(found) => ParseError::NotAnObject { found },
        Err(err) if is_too_deep(&err) => ParseError::TooDeep { limit: MAX_DEPTH },
        Err(err) => ParseError::Json(err),
    }
}

/// Reads any JSON value to its end as `serde_json::Value` would read it (strings unescaped and
/// checked, numbers in range), keeping nothing but its kind. Nesting is bounded by the
/// deserializer (serde_json's recursion limit).
struct Validate;

impl<'de> DeserializeSeed<'de> for Validate {
    type Value = JsonKind;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<JsonKind, D::Error> {
        deserializer.deserialize_any(Validate)
    }
}

impl<'de> Visitor<'de> for Validate {
    type Value = JsonKind;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<JsonKind, E> {
        Ok(JsonKind::Bool)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<JsonKind, E> {
        Ok(JsonKind::Number)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<JsonKind, E> {
        Ok(JsonKind::Number)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<JsonKind, E> {
        Ok(JsonKind::Number)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<JsonKind, E> {
        Ok(JsonKind::String)
    }
    fn visit_unit<E: de::Error>(self) -> Result<JsonKind, E> {
        Ok(JsonKind::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonKind, A::Error> {
        while seq.next_element_seed(Validate)?.is_some() {}
        Ok(JsonKind::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonKind, A::Error> {
        while map.next_key_seed(Validate)?.is_some() {
            map.next_value_seed(Validate)?;
        }
        Ok(JsonKind::Object)
    }
}

/// Whether `err` is serde_json's recursion limit or the visitors' own depth limit.
fn is_too_deep(err: &serde_json::Error) -> bool {
    // serde_json reports its limit only in the message (the category is `Syntax`).
    let message = err.to_string();
    message.starts_with("recursion limit exceeded") || message.starts_with(TOO_DEEP_MESSAGE)
}

/// Parses a JSON document that must be an object from a reader, copying every string. The
/// rules are those of [`owned_from_slice`]: a leading byte order mark is skipped, a document
/// that is valid JSON but not an object is [`ParseError::NotAnObject`].
pub(crate) fn owned_from_reader<R: std::io::Read>(
    reader: R,
) -> Result<Object<'static>, ParseError> {
    let reader = SkipBom::new(std::io::BufReader::new(reader));
    let mut de = serde_json::Deserializer::from_reader(reader);
    let document = DocumentSeed(Ctx::any_deserializer(Copying))
        .deserialize(&mut de)
        .and_then(|document| de.end().map(|()| document));
    match document {
        Ok(Document::Object(object)) => Ok(object),
        Ok(Document::Other(found)) => Err(ParseError::NotAnObject { found }),
        Err(err) if err.is_io() => Err(ParseError::Io(std::io::Error::from(err))),
        Err(err) if is_too_deep(&err) => Err(ParseError::TooDeep { limit: MAX_DEPTH }),
        Err(err) => Err(ParseError::Json(err)),
    }
}

/// A reader that drops a leading UTF-8 byte order mark.
struct SkipBom<R> {
    inner: R,
    /// The first bytes, read ahead to look for the mark.
    head: [u8; 3],
    /// How many bytes of `head` were read, and how many of them were handed out.
    head_len: usize,
    head_pos: usize,
    /// Whether `head` has been filled (as far as the input goes) and checked.
    checked: bool,
}

impl<R> SkipBom<R> {
    fn new(inner: R) -> Self {
        SkipBom {
            inner,
            head: [0; 3],
            head_len: 0,
            head_pos: 0,
            checked: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.checked {
            while self.head_len < self.head.len() {
                let Some(rest) = self.head.get_mut(self.head_len..) else {
                    break;
                };
                match self.inner.read(rest) {
                    Ok(0) => break,
                    Ok(n) => self.head_len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.checked = true;
            if self.head.get(..self.head_len) == Some(BOM) {
                self.head_pos = self.head_len;
            }
        }
        if let Some(pending) = self.head.get(self.head_pos..self.head_len)
            && !pending.is_empty()
        {
            let n = pending.len().min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..n), pending.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.head_pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// A whole document: an object, or the kind of the (valid) JSON value it is instead.
enum Document<'a> {
    Object(Object<'a>),
    Other(JsonKind),
}

/// Deserializes a [`Document`]: an object as [`ObjectSeed`] does; any other value is read to
/// its end as [`Validate`] reads it (so that invalid JSON stays an error, as in
/// `classify_error`) and reported by its kind.
struct DocumentSeed<'a, M>(Ctx<'a, M>);

impl<'de, 'a, M: Mode<'de, 'a>> DeserializeSeed<'de> for DocumentSeed<'a, M> {
    type Value = Document<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Document<'a>, D::Error> {
        deserializer.deserialize_any(DocumentVisitor(self.0))
    }
}

struct DocumentVisitor<'a, M>(Ctx<'a, M>);

impl<'de, 'a, M: Mode<'de, 'a>> Visitor<'de> for DocumentVisitor<'a, M> {
    type Value = Document<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Document<'a>, A::Error> {
        let mut scratch = Vec::with_capacity(32);
        object_from_map(map, self.0, &mut scratch).map(Document::Object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Document<'a>, A::Error> {
        Validate.visit_seq(seq).map(Document::Other)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Document<'a>, E> {
        Ok(Document::Other(JsonKind::Bool))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Document<'a>, E> {
        Ok(Document::Other(JsonKind::Number))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Document<'a>, E> {
        Ok(Document::Other(JsonKind::Number))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Document<'a>, E> {
        Ok(Document::Other(JsonKind::Number))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Document<'a>, E> {
        Ok(Document::Other(JsonKind::String))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Document<'a>, E> {
        Ok(Document::Other(JsonKind::Null))
    }
}

/// Converts a `serde_json::Value` that must be an object.
pub(crate) fn object_from_value(value: serde_json::Value) -> Result<Object<'static>, ParseError> {
    if !value.is_object() {
        return Err(ParseError::NotAnObject {
            found: JsonKind::of_value(&value),
        });
    }
    ObjectSeed(Ctx::any_deserializer(Borrowing))
        .deserialize(value)
        .map_err(depth_or_json)
}

pub(crate) fn any_from_value(value: serde_json::Value) -> Result<Any<'static>, ParseError> {
    let mut scratch = Vec::new();
    AnySeed {
        ctx: Ctx::any_deserializer(Borrowing),
        scratch: &mut scratch,
    }
    .deserialize(value)
    .map_err(depth_or_json)
}

fn depth_or_json(err: serde_json::Error) -> ParseError {
    if is_too_deep(&err) {
        ParseError::TooDeep { limit: MAX_DEPTH }
    } else {
        ParseError::Json(err)
    }
}

/// Entries of the objects being parsed, innermost last (see [`EntrySink`]).
type Scratch<'a> = Vec<Entry<'a>>;

/// Deserializes an [`Object`]; a non-object is an "invalid type" error.
pub(crate) struct ObjectSeed<'a, M>(pub(crate) Ctx<'a, M>);

impl<'de, 'a, M: Mode<'de, 'a>> DeserializeSeed<'de> for ObjectSeed<'a, M> {
    type Value = Object<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Object<'a>, D::Error> {
        let mut scratch = Vec::with_capacity(32);
        deserializer.deserialize_map(ObjectVisitor {
            ctx: self.0,
            scratch: &mut scratch,
        })
    }
}

struct ObjectVisitor<'s, 'a, M> {
    ctx: Ctx<'a, M>,
    scratch: &'s mut Scratch<'a>,
}

impl<'de, 'a, M: Mode<'de, 'a>> Visitor<'de> for ObjectVisitor<'_, 'a, M> {
    type Value = Object<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<'a>, A::Error> {
        object_from_map(map, self.ctx, self.scratch)
    }
}

fn object_from_map<'de, 'a, A: MapAccess<'de>, M: Mode<'de, 'a>>(
    mut map: A,
    ctx: Ctx<'a, M>,
    scratch: &mut Scratch<'a>,
) -> Result<Object<'a>, A::Error> {
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

struct StrSeed<'a, M>(Ctx<'a, M>);

impl<'de, 'a, M: Mode<'de, 'a>> DeserializeSeed<'de> for StrSeed<'a, M> {
    type Value = Str<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Str<'a>, D::Error> {
        deserializer.deserialize_str(StrVisitor(self.0))
    }
}

struct StrVisitor<'a, M>(Ctx<'a, M>);

impl<'de, 'a, M: Mode<'de, 'a>> Visitor<'de> for StrVisitor<'a, M> {
    type Value = Str<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
        Ok(self.0.borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
        Ok(Str::owned(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'a>, E> {
        Ok(Str::owned(v))
    }
}

/// Deserializes any JSON value.
struct AnySeed<'s, 'a, M> {
    ctx: Ctx<'a, M>,
    scratch: &'s mut Scratch<'a>,
}

impl<'de, 'a, M: Mode<'de, 'a>> DeserializeSeed<'de> for AnySeed<'_, 'a, M> {
    type Value = Any<'a>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Any<'a>, D::Error> {
        deserializer.deserialize_any(AnyVisitor {
            ctx: self.ctx,
            scratch: self.scratch,
        })
    }
}

struct AnyVisitor<'s, 'a, M> {
    ctx: Ctx<'a, M>,
    scratch: &'s mut Scratch<'a>,
}

impl<'de, 'a, M: Mode<'de, 'a>> Visitor<'de> for AnyVisitor<'_, 'a, M> {
    type Value = Any<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Any<'a>, E> {
        Ok(Any::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Any<'a>, E> {
        Ok(Any::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Any<'a>, E> {
        Ok(Any::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Any<'a>, E> {
        // As serde_json::Value does: a non-finite float (only reachable from non-JSON
        // deserializers) becomes null.
        Ok(serde_json::Number::from_f64(v).map_or(Any::Null, Any::Number))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Any<'a>, E> {
        Ok(Any::String(self.ctx.borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Any<'a>, E> {
        Ok(Any::String(Str::owned(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Any<'a>, E> {
        Ok(Any::String(Str::owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Any<'a>, E> {
        Ok(Any::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Any<'a>, E> {
        Ok(Any::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Any<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Any<'a>, A::Error> {
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
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Any<'a>, A::Error> {
        Ok(Any::Object(Box::new(object_from_map(
            map,
            self.ctx,
            self.scratch,
        )?)))
    }
}

/// Deserializes a property value as `Prop<T>`: `null`, one value, or an array.
struct PropSeed<'s, 'a, T, M> {
    ctx: Ctx<'a, M>,
    scratch: &'s mut Scratch<'a>,
    marker: PhantomData<fn() -> T>,
}

impl<'s, 'a, T, M> PropSeed<'s, 'a, T, M> {
    fn new(ctx: Ctx<'a, M>, scratch: &'s mut Scratch<'a>) -> Self {
        PropSeed {
            ctx,
            scratch,
            marker: PhantomData,
        }
    }
}

impl<'de, 'a, T: Element<'a>, M: Mode<'de, 'a>> DeserializeSeed<'de> for PropSeed<'_, 'a, T, M> {
    type Value = Prop<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Prop<T>, D::Error> {
        deserializer.deserialize_any(PropVisitor::<T, M> {
            ctx: self.ctx,
            scratch: self.scratch,
            marker: PhantomData,
        })
    }
}

struct PropVisitor<'s, 'a, T, M> {
    ctx: Ctx<'a, M>,
    scratch: &'s mut Scratch<'a>,
    marker: PhantomData<fn() -> T>,
}

impl<'s, 'a, T, M> PropVisitor<'s, 'a, T, M> {
    fn any(self) -> AnyVisitor<'s, 'a, M> {
        AnyVisitor {
            ctx: self.ctx,
            scratch: self.scratch,
        }
    }
}

impl<'de, 'a, T: Element<'a>, M: Mode<'de, 'a>> Visitor<'de> for PropVisitor<'_, 'a, T, M> {
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
    /// Reads a JSON object from any serde deserializer, borrowing strings from its input where
    /// it lends them. Prefer [`Object::from_slice`]/[`Object::from_str`] for JSON text: they
    /// also mark borrowed strings as needing no escaping, which makes writing faster. For a
    /// type that borrows nothing (`serde::de::DeserializeOwned`: `serde_json::from_reader`,
    /// web framework extractors), use [`OwnedObject`](crate::OwnedObject).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ObjectSeed(Ctx::any_deserializer(Borrowing)).deserialize(deserializer)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Any<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut scratch = Vec::new();
        AnySeed {
            ctx: Ctx::any_deserializer(Borrowing),
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
