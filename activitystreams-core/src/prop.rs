//! Typed property values that keep their exact source form: [`Prop`] and its element types.
//!
//! Every element type is total over JSON: a value of an unexpected shape (a number where an IRI
//! belongs, a map where a string belongs, a nested array) is kept in its `Other` variant, so
//! parsing never fails on shape and writing reproduces the input. [`validate`](crate::validate)
//! is where such values are reported.

use serde_json::Number;

use crate::any::{Any, AnyRef};
use crate::object::Object;
use crate::string::Str;

/// The value of one property, in the form it was written: `null`, a single value, or an array.
///
/// AS2 lets most properties hold one value or many; real servers use both forms for the same
/// property. `Prop` keeps which form was used so the document is written back unchanged;
/// [`normalize`](crate::Object::normalize) is the explicit step that turns single values into
/// arrays where the spec allows many.
#[derive(Clone, Debug, PartialEq)]
pub enum Prop<T> {
    /// JSON `null`.
    Null,
    /// A single value, not wrapped in an array.
    One(T),
    /// An array (possibly empty).
    Many(Vec<T>),
}

impl<T> Prop<T> {
    /// The values: none for `null`, one for a single value, all elements of an array.
    #[must_use]
    pub fn as_slice(&self) -> &[T] {
        match self {
            Prop::Null => &[],
            Prop::One(v) => std::slice::from_ref(v),
            Prop::Many(vs) => vs,
        }
    }

    /// Iterates over the values (see [`Prop::as_slice`]).
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// The first value.
    #[must_use]
    pub fn first(&self) -> Option<&T> {
        self.as_slice().first()
    }

    /// The number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there is no value (`null` or an empty array).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// Whether the value is JSON `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Prop::Null)
    }

    /// Whether the value was written as an array.
    #[must_use]
    pub fn is_array(&self) -> bool {
        matches!(self, Prop::Many(_))
    }

    /// Mutable access to the values.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Prop::Null => &mut [],
            Prop::One(v) => std::slice::from_mut(v),
            Prop::Many(vs) => vs,
        }
    }

    /// Adds a value: `null` becomes a single value, a single value becomes an array.
    pub fn push(&mut self, value: T) {
        match std::mem::replace(self, Prop::Null) {
            Prop::Null => *self = Prop::One(value),
            Prop::One(first) => *self = Prop::Many(vec![first, value]),
            Prop::Many(mut vs) => {
                vs.push(value);
                *self = Prop::Many(vs);
            }
        }
    }

    /// Keeps only the values for which `keep` returns true. A single value that is removed
    /// leaves an empty array, so the property stays present.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        match self {
            Prop::Null => {}
            Prop::One(v) => {
                if !keep(v) {
                    *self = Prop::Many(Vec::new());
                }
            }
            Prop::Many(vs) => vs.retain(keep),
        }
    }

    /// Writes a single value as a one-element array; arrays and `null` are left unchanged.
    pub fn make_array(&mut self) {
        if let Prop::One(_) = self
            && let Prop::One(v) = std::mem::replace(self, Prop::Null)
        {
            *self = Prop::Many(vec![v]);
        }
    }

    /// The values as a vector.
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Prop::Null => Vec::new(),
            Prop::One(v) => vec![v],
            Prop::Many(vs) => vs,
        }
    }
}

impl<'a, T: Element<'a>> Prop<T> {
    /// Converts a JSON value to a property value: `null` stays `null`, an array becomes
    /// [`Prop::Many`], anything else a single value.
    #[must_use]
    pub fn from_any(any: Any<'a>) -> Self {
        match any {
            Any::Null => Prop::Null,
            Any::Array(items) => Prop::Many(items.into_iter().map(T::from_any).collect()),
            other => Prop::One(T::from_any(other)),
        }
    }

    /// Converts back to a JSON value.
    #[must_use]
    pub fn into_any(self) -> Any<'a> {
        match self {
            Prop::Null => Any::Null,
            Prop::One(v) => v.into_any(),
            Prop::Many(vs) => Any::Array(vs.into_iter().map(T::into_any).collect()),
        }
    }

    /// Copies every borrowed string.
    #[must_use]
    pub fn into_owned(self) -> Prop<T::Owned> {
        match self {
            Prop::Null => Prop::Null,
            Prop::One(v) => Prop::One(T::Owned::from_any(v.into_any().into_owned())),
            Prop::Many(vs) => Prop::Many(
                vs.into_iter()
                    .map(|v| T::Owned::from_any(v.into_any().into_owned()))
                    .collect(),
            ),
        }
    }
}

impl<T> Default for Prop<T> {
    fn default() -> Self {
        Prop::Many(Vec::new())
    }
}

impl<T> From<T> for Prop<T> {
    fn from(value: T) -> Self {
        Prop::One(value)
    }
}

impl<T> From<Vec<T>> for Prop<T> {
    fn from(values: Vec<T>) -> Self {
        Prop::Many(values)
    }
}

impl<'a> From<&'a str> for Prop<Ref<'a>> {
    fn from(iri: &'a str) -> Self {
        Prop::One(Ref::from(iri))
    }
}

impl From<String> for Prop<Ref<'_>> {
    fn from(iri: String) -> Self {
        Prop::One(Ref::from(iri))
    }
}

impl<'a> From<Object<'a>> for Prop<Ref<'a>> {
    fn from(object: Object<'a>) -> Self {
        Prop::One(Ref::from(object))
    }
}

impl<'a> From<&'a str> for Prop<Text<'a>> {
    fn from(text: &'a str) -> Self {
        Prop::One(Text::from(text))
    }
}

impl From<String> for Prop<Text<'_>> {
    fn from(text: String) -> Self {
        Prop::One(Text::from(text))
    }
}

impl<'a> From<Str<'a>> for Prop<Text<'a>> {
    fn from(text: Str<'a>) -> Self {
        Prop::One(Text::String(text))
    }
}

impl<'a> From<Str<'a>> for Prop<Ref<'a>> {
    fn from(iri: Str<'a>) -> Self {
        Prop::One(Ref::Iri(iri))
    }
}

impl From<bool> for Prop<Flag<'_>> {
    fn from(b: bool) -> Self {
        Prop::One(Flag::Bool(b))
    }
}

impl From<u64> for Prop<Num<'_>> {
    fn from(n: u64) -> Self {
        Prop::One(Num::Number(n.into()))
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The element types of [`Prop`]: each converts losslessly from and to [`Any`].
///
/// Sealed: the set of element types is fixed by the vocabulary table.
pub trait Element<'a>: Sized + sealed::Sealed {
    /// The same type without borrowed data.
    type Owned: Element<'static>;
    /// Classifies a JSON value (never fails: unexpected shapes land in an `Other` variant).
    fn from_any(any: Any<'a>) -> Self;
    /// The JSON value.
    fn into_any(self) -> Any<'a>;
    /// A borrowed view of the JSON value.
    fn view(&self) -> AnyRef<'_, 'a>;
}

impl sealed::Sealed for Any<'_> {}
impl<'a> Element<'a> for Any<'a> {
    type Owned = Any<'static>;
    fn from_any(any: Any<'a>) -> Self {
        any
    }
    fn into_any(self) -> Any<'a> {
        self
    }
    fn view(&self) -> AnyRef<'_, 'a> {
        Any::view(self)
    }
}

/// A reference to another object: an IRI, an embedded object (which may be a Link), or a value
/// of another shape kept as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Ref<'a> {
    /// An IRI, exactly as written (`as:Public` and `Public` included).
    Iri(Str<'a>),
    /// An embedded object or Link.
    Object(Box<Object<'a>>),
    /// Anything else (`null` inside an array, a number, a nested array...).
    Other(Any<'a>),
}

impl<'a> Ref<'a> {
    /// The referenced id: the IRI, or the `id` of an embedded object (for an embedded Link
    /// without `id`, its `href`).
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        match self {
            Ref::Iri(iri) => Some(iri),
            Ref::Object(o) => o
                .id()
                .or_else(|| if o.is_link() { o.href_str() } else { None }),
            Ref::Other(_) => None,
        }
    }

    /// The IRI, if the reference is written as a plain string.
    #[must_use]
    pub fn as_iri(&self) -> Option<&str> {
        match self {
            Ref::Iri(iri) => Some(iri),
            _ => None,
        }
    }

    /// The embedded object, if there is one.
    #[must_use]
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Ref::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Mutable access to the embedded object.
    pub fn as_object_mut(&mut self) -> Option<&mut Object<'a>> {
        match self {
            Ref::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether this is an embedded Link (a `Link`, `Mention` or `Hashtag`).
    #[must_use]
    pub fn is_link(&self) -> bool {
        self.as_object().is_some_and(Object::is_link)
    }
}

impl sealed::Sealed for Ref<'_> {}
impl<'a> Element<'a> for Ref<'a> {
    type Owned = Ref<'static>;
    fn from_any(any: Any<'a>) -> Self {
        match any {
            Any::String(s) => Ref::Iri(s),
            Any::Object(o) => Ref::Object(o),
            other => Ref::Other(other),
        }
    }
    fn into_any(self) -> Any<'a> {
        match self {
            Ref::Iri(s) => Any::String(s),
            Ref::Object(o) => Any::Object(o),
            Ref::Other(any) => any,
        }
    }
    fn view(&self) -> AnyRef<'_, 'a> {
        match self {
            Ref::Iri(s) => AnyRef::String(s),
            Ref::Object(o) => AnyRef::Object(o),
            Ref::Other(any) => any.view(),
        }
    }
}

impl<'a> From<&'a str> for Ref<'a> {
    fn from(iri: &'a str) -> Self {
        Ref::Iri(Str::borrowed(iri))
    }
}

impl From<String> for Ref<'_> {
    fn from(iri: String) -> Self {
        Ref::Iri(Str::owned(iri))
    }
}

impl<'a> From<Str<'a>> for Ref<'a> {
    fn from(iri: Str<'a>) -> Self {
        Ref::Iri(iri)
    }
}

impl<'a> From<Object<'a>> for Ref<'a> {
    fn from(object: Object<'a>) -> Self {
        Ref::Object(Box::new(object))
    }
}

/// A string value (plain text, HTML, an IRI that is never an object, a date, a media type...),
/// or a value of another shape kept as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Text<'a> {
    /// A string, exactly as written.
    String(Str<'a>),
    /// Anything else.
    Other(Any<'a>),
}

impl Text<'_> {
    /// The string, if the value is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::String(s) => Some(s),
            Text::Other(_) => None,
        }
    }
}

impl sealed::Sealed for Text<'_> {}
impl<'a> Element<'a> for Text<'a> {
    type Owned = Text<'static>;
    fn from_any(any: Any<'a>) -> Self {
        match any {
            Any::String(s) => Text::String(s),
            other => Text::Other(other),
        }
    }
    fn into_any(self) -> Any<'a> {
        match self {
            Text::String(s) => Any::String(s),
            Text::Other(any) => any,
        }
    }
    fn view(&self) -> AnyRef<'_, 'a> {
        match self {
            Text::String(s) => AnyRef::String(s),
            Text::Other(any) => any.view(),
        }
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text::String(Str::borrowed(text))
    }
}

impl From<String> for Text<'_> {
    fn from(text: String) -> Self {
        Text::String(Str::owned(text))
    }
}

impl<'a> From<Str<'a>> for Text<'a> {
    fn from(text: Str<'a>) -> Self {
        Text::String(text)
    }
}

/// A number, or a value of another shape kept as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Num<'a> {
    /// A JSON number (as `serde_json::Value` holds it).
    Number(Number),
    /// Anything else.
    Other(Any<'a>),
}

impl Num<'_> {
    /// The number as a non-negative integer, if it is one.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Num::Number(n) => n.as_u64(),
            Num::Other(_) => None,
        }
    }

    /// The number as a float.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Num::Number(n) => n.as_f64(),
            Num::Other(_) => None,
        }
    }
}

impl sealed::Sealed for Num<'_> {}
impl<'a> Element<'a> for Num<'a> {
    type Owned = Num<'static>;
    fn from_any(any: Any<'a>) -> Self {
        match any {
            Any::Number(n) => Num::Number(n),
            other => Num::Other(other),
        }
    }
    fn into_any(self) -> Any<'a> {
        match self {
            Num::Number(n) => Any::Number(n),
            Num::Other(any) => any,
        }
    }
    fn view(&self) -> AnyRef<'_, 'a> {
        match self {
            Num::Number(n) => AnyRef::Number(n),
            Num::Other(any) => any.view(),
        }
    }
}

/// A boolean, or a value of another shape kept as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Flag<'a> {
    /// `true` or `false`.
    Bool(bool),
    /// Anything else.
    Other(Any<'a>),
}

impl Flag<'_> {
    /// The boolean, if the value is one.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Flag::Bool(b) => Some(*b),
            Flag::Other(_) => None,
        }
    }
}

impl sealed::Sealed for Flag<'_> {}
impl<'a> Element<'a> for Flag<'a> {
    type Owned = Flag<'static>;
    fn from_any(any: Any<'a>) -> Self {
        match any {
            Any::Bool(b) => Flag::Bool(b),
            other => Flag::Other(other),
        }
    }
    fn into_any(self) -> Any<'a> {
        match self {
            Flag::Bool(b) => Any::Bool(b),
            Flag::Other(any) => any,
        }
    }
    fn view(&self) -> AnyRef<'_, 'a> {
        match self {
            Flag::Bool(b) => AnyRef::Bool(*b),
            Flag::Other(any) => any.view(),
        }
    }
}

/// A natural-language map (`contentMap`, `nameMap`, `summaryMap`): language tag to text, or a
/// value of another shape kept as written.
#[derive(Clone, Debug, PartialEq)]
pub enum LangMap<'a> {
    /// A JSON object; its keys are the language tags.
    Map(Box<Object<'a>>),
    /// Anything else.
    Other(Any<'a>),
}

impl<'a> LangMap<'a> {
    /// The text for exactly this language tag (compared ASCII case-insensitively, as BCP 47
    /// tags are case-insensitive).
    #[must_use]
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(tag))
            .map(|(_, text)| text)
    }

    /// The `(language tag, text)` pairs whose value is a string, in source order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let object = match self {
            LangMap::Map(o) => Some(&**o),
            LangMap::Other(_) => None,
        };
        object
            .into_iter()
            .flat_map(|o| o.iter())
            .filter_map(|p| Some((p.name(), p.as_str()?)))
    }

    /// The text best matching `tag`: an exact match, else the first entry with the same
    /// primary language subtag (`en` matches `en-GB`, `en-GB` matches `en`).
    #[must_use]
    pub fn best_match(&self, tag: &str) -> Option<&str> {
        self.get(tag).or_else(|| {
            let primary = primary_subtag(tag);
            self.iter()
                .find(|(t, _)| primary_subtag(t).eq_ignore_ascii_case(primary))
                .map(|(_, text)| text)
        })
    }

    /// The map as an object, if it is one.
    #[must_use]
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            LangMap::Map(o) => Some(o),
            LangMap::Other(_) => None,
        }
    }
}

fn primary_subtag(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

impl sealed::Sealed for LangMap<'_> {}
impl<'a> Element<'a> for LangMap<'a> {
    type Owned = LangMap<'static>;
    fn from_any(any: Any<'a>) -> Self {
        match any {
            Any::Object(o) => LangMap::Map(o),
            other => LangMap::Other(other),
        }
    }
    fn into_any(self) -> Any<'a> {
        match self {
            LangMap::Map(o) => Any::Object(o),
            LangMap::Other(any) => any,
        }
    }
    fn view(&self) -> AnyRef<'_, 'a> {
        match self {
            LangMap::Map(o) => AnyRef::Object(o),
            LangMap::Other(any) => any.view(),
        }
    }
}

/// Which element type a vocabulary term holds.
///
/// Non-exhaustive: a later version may read some terms into a new element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// [`Ref`]: IRI, embedded object or Link.
    Ref,
    /// [`Text`]: a string.
    Text,
    /// [`Num`]: a number.
    Num,
    /// [`Flag`]: a boolean.
    Flag,
    /// [`LangMap`]: a natural-language map.
    LangMap,
    /// [`Any`]: an open range (`@context`, `closed`).
    Any,
}

/// The typed value of a known property, one variant per [`ValueKind`] (non-exhaustive as it
/// is).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PropertyValue<'a> {
    /// References.
    Ref(Prop<Ref<'a>>),
    /// Strings.
    Text(Prop<Text<'a>>),
    /// Numbers.
    Num(Prop<Num<'a>>),
    /// Booleans.
    Flag(Prop<Flag<'a>>),
    /// Natural-language maps.
    LangMap(Prop<LangMap<'a>>),
    /// Open-range values.
    Any(Prop<Any<'a>>),
}

/// Applies the same generic expression to whichever `Prop<T>` a [`PropertyValue`] holds.
macro_rules! with_prop {
    ($value:expr, $p:ident => $body:expr) => {
        match $value {
            $crate::prop::PropertyValue::Ref($p) => $body,
            $crate::prop::PropertyValue::Text($p) => $body,
            $crate::prop::PropertyValue::Num($p) => $body,
            $crate::prop::PropertyValue::Flag($p) => $body,
            $crate::prop::PropertyValue::LangMap($p) => $body,
            $crate::prop::PropertyValue::Any($p) => $body,
        }
    };
}
pub(crate) use with_prop;

impl<'a> PropertyValue<'a> {
    /// Classifies a JSON value as the element type `kind`.
    #[must_use]
    pub fn from_any(kind: ValueKind, any: Any<'a>) -> Self {
        match kind {
            ValueKind::Ref => PropertyValue::Ref(Prop::from_any(any)),
            ValueKind::Text => PropertyValue::Text(Prop::from_any(any)),
            ValueKind::Num => PropertyValue::Num(Prop::from_any(any)),
            ValueKind::Flag => PropertyValue::Flag(Prop::from_any(any)),
            ValueKind::LangMap => PropertyValue::LangMap(Prop::from_any(any)),
            ValueKind::Any => PropertyValue::Any(Prop::from_any(any)),
        }
    }

    /// Converts back to a JSON value.
    #[must_use]
    pub fn into_any(self) -> Any<'a> {
        with_prop!(self, p => p.into_any())
    }

    /// Copies every borrowed string.
    #[must_use]
    pub fn into_owned(self) -> PropertyValue<'static> {
        match self {
            PropertyValue::Ref(p) => PropertyValue::Ref(p.into_owned()),
            PropertyValue::Text(p) => PropertyValue::Text(p.into_owned()),
            PropertyValue::Num(p) => PropertyValue::Num(p.into_owned()),
            PropertyValue::Flag(p) => PropertyValue::Flag(p.into_owned()),
            PropertyValue::LangMap(p) => PropertyValue::LangMap(p.into_owned()),
            PropertyValue::Any(p) => PropertyValue::Any(p.into_owned()),
        }
    }

    /// Whether the value is JSON `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        with_prop!(self, p => p.is_null())
    }

    /// Whether the value was written as an array.
    #[must_use]
    pub fn is_array(&self) -> bool {
        with_prop!(self, p => p.is_array())
    }

    /// The element type.
    #[must_use]
    pub fn kind(&self) -> ValueKind {
        match self {
            PropertyValue::Ref(_) => ValueKind::Ref,
            PropertyValue::Text(_) => ValueKind::Text,
            PropertyValue::Num(_) => ValueKind::Num,
            PropertyValue::Flag(_) => ValueKind::Flag,
            PropertyValue::LangMap(_) => ValueKind::LangMap,
            PropertyValue::Any(_) => ValueKind::Any,
        }
    }

    /// Views of the values (none for `null`, every element of an array).
    #[must_use]
    pub fn views(&self) -> Vec<AnyRef<'_, 'a>> {
        with_prop!(self, p => p.iter().map(Element::view).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_turns_single_into_array_and_keeps_order() {
        let mut p: Prop<Ref<'_>> = Prop::Null;
        p.push("a".into());
        assert!(matches!(p, Prop::One(_)));
        p.push("b".into());
        let ids: Vec<_> = p.iter().filter_map(Ref::id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(p.is_array());
    }

    #[test]
    fn make_array_only_touches_single_values() {
        let mut p: Prop<Text<'_>> = Prop::One("x".into());
        p.make_array();
        assert_eq!(p, Prop::Many(vec!["x".into()]));
        let mut n: Prop<Text<'_>> = Prop::Null;
        n.make_array();
        assert!(n.is_null());
    }

    #[test]
    fn element_types_keep_unexpected_shapes() {
        let r = Ref::from_any(Any::from(5u64));
        assert!(matches!(r, Ref::Other(Any::Number(_))));
        assert_eq!(r.id(), None);
        let t = Text::from_any(Any::Bool(true));
        assert_eq!(t.as_str(), None);
        assert_eq!(t.into_any(), Any::Bool(true));
    }

    #[test]
    fn prop_from_any_distinguishes_null_single_and_array() {
        assert_eq!(Prop::<Ref<'_>>::from_any(Any::Null), Prop::Null);
        let many = Prop::<Ref<'_>>::from_any(Any::Array(vec![Any::from("a"), Any::Null]));
        assert_eq!(many.len(), 2);
        assert!(matches!(many.as_slice()[1], Ref::Other(Any::Null)));
    }
}
