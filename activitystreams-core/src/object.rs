//! [`Object`]: one JSON object of an AS2 document, with recognised terms typed and everything
//! else kept.

use std::collections::HashMap;
use std::fmt;

use crate::any::{Any, AnyRef};
use crate::limits::MAX_DEPTH;
use crate::prop::{Element, PropertyValue, with_prop};
use crate::string::Str;
use crate::vocab::Term;

/// One JSON object of an Activity Streams document: an Object, Link, Activity, Actor, Collection,
/// or any other JSON object nested in one (a `@context` definition, a `publicKey`, a
/// language map...).
///
/// Every AS2 type is this one struct: real documents combine types (`"type": ["Note",
/// "Article"]`), use unknown types, and put any property on any object, so a struct per type
/// would either reject or lose data. The type-specific reading lives in accessors
/// ([`Object::kind`], [`Object::is_activity`], [`Object::object_id`], ...) and in
/// [`dispatch`](crate::dispatch).
///
/// Properties are kept in source order. Recognised terms ([`Term`]) are stored typed
/// ([`PropertyValue`]); other keys are kept as [`Any`] under their exact name. A key that occurs
/// twice keeps its last value, as `serde_json::Value` does.
///
/// Properties are a vector, not a map: a lookup by key ([`Object::get_term`],
/// [`Object::insert`], [`Object::remove`], the typed getters and setters) scans it, which is
/// linear in the number of properties; the crate's own functions make a bounded number of
/// lookups per object. To add many properties, use [`ObjectBuilder`](crate::ObjectBuilder),
/// which indexes the keys, or convert a `serde_json::Value` ([`Object::from_value`]).
///
/// `PartialEq` compares properties in order; two objects with the same properties in another
/// order are not equal (compare [`Object::to_value`] results for JSON equality).
///
/// `Debug` shows the object as its JSON: `{"type": "Note", "to": ["https://a.example/u"]}`.
#[derive(Clone, PartialEq, Default)]
pub struct Object<'a> {
    entries: Vec<Entry<'a>>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Entry<'a> {
    Known(Term, PropertyValue<'a>),
    Unknown(Str<'a>, Any<'a>),
}

/// A borrowed view of one property of an [`Object`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Property<'x, 'a> {
    /// A recognised term with its typed value.
    Known(Term, &'x PropertyValue<'a>),
    /// Any other key with its value.
    Unknown(&'x Str<'a>, &'x Any<'a>),
}

impl<'x, 'a> Property<'x, 'a> {
    /// The JSON key.
    #[must_use]
    pub fn name(&self) -> &'x str {
        match self {
            Property::Known(term, _) => term.name(),
            Property::Unknown(name, _) => name.as_str(),
        }
    }

    /// The value if it is a single string.
    #[must_use]
    pub fn as_str(&self) -> Option<&'x str> {
        match self {
            Property::Known(_, value) => with_prop!(value, p => match p {
                crate::Prop::One(v) => v.view().as_str(),
                _ => None,
            }),
            Property::Unknown(_, value) => value.as_str(),
        }
    }
}

impl<'a> Object<'a> {
    /// An empty object.
    #[must_use]
    pub fn new() -> Self {
        Object::default()
    }

    pub(crate) fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    pub(crate) fn entries_mut(&mut self) -> &mut Vec<Entry<'a>> {
        &mut self.entries
    }

    /// The number of properties.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the object has no property.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The properties, in source order.
    pub fn iter(&self) -> impl Iterator<Item = Property<'_, 'a>> {
        self.entries.iter().map(|e| match e {
            Entry::Known(term, value) => Property::Known(*term, value),
            Entry::Unknown(name, value) => Property::Unknown(name, value),
        })
    }

    /// The keys, in source order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|p| p.name())
    }

    /// Whether a property with this key is present (even if `null`).
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        match Term::from_name(name) {
            Some(term) => self.get_term(term).is_some(),
            None => self.unknown(name).is_some(),
        }
    }

    /// The typed value of a recognised term.
    #[must_use]
    pub fn get_term(&self, term: Term) -> Option<&PropertyValue<'a>> {
        self.entries.iter().find_map(|e| match e {
            Entry::Known(t, value) if *t == term => Some(value),
            _ => None,
        })
    }

    /// Mutable access to the typed value of a recognised term.
    pub fn get_term_mut(&mut self, term: Term) -> Option<&mut PropertyValue<'a>> {
        self.entries.iter_mut().find_map(|e| match e {
            Entry::Known(t, value) if *t == term => Some(value),
            _ => None,
        })
    }

    /// Sets a recognised term. The generated setters guarantee that `value` has the term's
    /// element type; [`Object::insert`] converts for callers holding untyped values.
    pub(crate) fn set_term(&mut self, term: Term, value: PropertyValue<'a>) {
        debug_assert_eq!(term.value_kind(), value.kind());
        match self.get_term_mut(term) {
            Some(slot) => *slot = value,
            None => self.entries.push(Entry::Known(term, value)),
        }
    }

    /// Removes a recognised term, returning its value.
    pub fn remove_term(&mut self, term: Term) -> Option<PropertyValue<'a>> {
        let pos = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Known(t, _) if *t == term))?;
        match self.entries.remove(pos) {
            Entry::Known(_, value) => Some(value),
            Entry::Unknown(..) => None,
        }
    }

    /// The raw value of `name`, a recognised term or not, converted to [`Any`] (a copy).
    ///
    /// Prefer the typed getters for recognised terms; this is for extension properties.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Any<'a>> {
        match Term::from_name(name) {
            Some(term) => self.get_term(term).map(|v| v.clone().into_any()),
            None => self.unknown(name).cloned(),
        }
    }

    /// The value of a key that is not a recognised term.
    #[must_use]
    pub fn unknown(&self, name: &str) -> Option<&Any<'a>> {
        self.entries.iter().find_map(|e| match e {
            Entry::Unknown(key, value) if key.as_str() == name => Some(value),
            _ => None,
        })
    }

    /// Sets any property from an untyped value, replacing a previous value. A recognised term
    /// is stored typed (as parsing would store it).
    pub fn insert(&mut self, name: impl Into<Str<'a>>, value: impl Into<Any<'a>>) -> &mut Self {
        let name = name.into();
        let value = value.into();
        match Term::from_name(&name) {
            Some(term) => self.set_term(term, PropertyValue::from_any(term.value_kind(), value)),
            None => match self.entries.iter_mut().find_map(|e| match e {
                Entry::Unknown(key, slot) if *key == name => Some(slot),
                _ => None,
            }) {
                Some(slot) => *slot = value,
                None => self.entries.push(Entry::Unknown(name, value)),
            },
        }
        self
    }

    /// Removes any property, returning its value as [`Any`].
    pub fn remove(&mut self, name: &str) -> Option<Any<'a>> {
        if let Some(term) = Term::from_name(name) {
            return self.remove_term(term).map(PropertyValue::into_any);
        }
        let pos = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Unknown(key, _) if key.as_str() == name))?;
        match self.entries.remove(pos) {
            Entry::Unknown(_, value) => Some(value),
            Entry::Known(_, value) => Some(value.into_any()),
        }
    }

    /// Keeps only the properties for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(Property<'_, 'a>) -> bool) {
        self.entries.retain(|e| {
            keep(match e {
                Entry::Known(term, value) => Property::Known(*term, value),
                Entry::Unknown(name, value) => Property::Unknown(name, value),
            })
        });
    }

    /// Adds every property of `other`, in its order: a key the object already has gets the new
    /// value in its place (as [`Object::insert`]), other keys are added at the end. Time is
    /// linear in the sizes of both objects.
    pub fn merge(&mut self, other: Object<'a>) {
        let mut keys = KeyIndex::of(self);
        for entry in other.entries {
            match entry {
                Entry::Known(term, value) => keys.set_term(self, term, value),
                Entry::Unknown(name, value) => keys.insert(self, name, value),
            }
        }
    }

    /// Copies every borrowed string so the object no longer refers to the input buffer.
    #[must_use]
    pub fn into_owned(self) -> Object<'static> {
        Object {
            entries: self
                .entries
                .into_iter()
                .map(|e| match e {
                    Entry::Known(term, value) => Entry::Known(term, value.into_owned()),
                    Entry::Unknown(name, value) => {
                        Entry::Unknown(name.into_owned(), value.into_owned())
                    }
                })
                .collect(),
        }
    }

    /// Views of every value of a property (none for `null`, each element of an array).
    #[must_use]
    pub fn values_of(&self, name: &str) -> Vec<AnyRef<'_, 'a>> {
        match Term::from_name(name) {
            Some(term) => self
                .get_term(term)
                .map(PropertyValue::views)
                .unwrap_or_default(),
            None => match self.unknown(name) {
                None | Some(Any::Null) => Vec::new(),
                Some(Any::Array(items)) => items.iter().map(Any::view).collect(),
                Some(other) => vec![other.view()],
            },
        }
    }
}

impl fmt::Debug for Object<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DebugJson(AnyRef::Object(self), 0).fmt(f)
    }
}

/// Writes a value as JSON-like `Debug` output (maps and lists), down to [`MAX_DEPTH`]
/// containers (deeper ones, only possible in values built in code, are written as `…`).
struct DebugJson<'x, 'a>(AnyRef<'x, 'a>, usize);

impl fmt::Debug for DebugJson<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let depth = self.1 + 1;
        match self.0 {
            AnyRef::Null => f.write_str("null"),
            AnyRef::Bool(b) => fmt::Debug::fmt(&b, f),
            AnyRef::Number(n) => fmt::Display::fmt(n, f),
            AnyRef::String(s) => fmt::Debug::fmt(s.as_str(), f),
            _ if depth > MAX_DEPTH => f.write_str("…"),
            AnyRef::Array(items) => f
                .debug_list()
                .entries(items.iter().map(|item| DebugJson(item.view(), depth)))
                .finish(),
            AnyRef::Object(object) => {
                let mut map = f.debug_map();
                for entry in &object.entries {
                    match entry {
                        Entry::Known(term, value) => {
                            map.entry(&term.name(), &DebugProperty(value, depth))
                        }
                        Entry::Unknown(name, value) => {
                            map.entry(&name.as_str(), &DebugJson(value.view(), depth))
                        }
                    };
                }
                map.finish()
            }
        }
    }
}

/// [`DebugJson`] for the value of a recognised term.
struct DebugProperty<'x, 'a>(&'x PropertyValue<'a>, usize);

impl fmt::Debug for DebugProperty<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let depth = self.1;
        with_prop!(self.0, p => match p {
            crate::Prop::Null => f.write_str("null"),
            crate::Prop::One(value) => DebugJson(value.view(), depth).fmt(f),
            crate::Prop::Many(_) if depth + 1 > MAX_DEPTH => f.write_str("…"),
            crate::Prop::Many(values) => f
                .debug_list()
                .entries(values.iter().map(|value| DebugJson(value.view(), depth + 1)))
                .finish(),
        })
    }
}

/// The positions of an object's keys, for code that sets many properties of one object (the
/// builder): [`Object::insert`], [`Object::get_term_mut`] and `set_term` without a scan.
///
/// Valid while every change to the object goes through it: properties are only added or
/// replaced here, never removed, so positions do not move.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyIndex<'a> {
    positions: HashMap<Str<'a>, usize>,
}

impl<'a> KeyIndex<'a> {
    /// The index of an object's current keys (the first of repeated keys, as lookups find).
    pub(crate) fn of(object: &Object<'a>) -> Self {
        let mut positions = HashMap::with_capacity(object.entries.len());
        for (i, entry) in object.entries.iter().enumerate() {
            let name = match entry {
                Entry::Known(term, _) => Str::borrowed(term.name()),
                Entry::Unknown(name, _) => name.clone(),
            };
            positions.entry(name).or_insert(i);
        }
        KeyIndex { positions }
    }

    /// [`Object::get_term_mut`].
    pub(crate) fn term_mut<'o>(
        &self,
        object: &'o mut Object<'a>,
        term: Term,
    ) -> Option<&'o mut PropertyValue<'a>> {
        let i = *self.positions.get(term.name())?;
        match object.entries.get_mut(i)? {
            Entry::Known(t, value) if *t == term => Some(value),
            _ => None,
        }
    }

    /// `Object::set_term`: replaces the term's value in place, or adds it at the end.
    pub(crate) fn set_term(
        &mut self,
        object: &mut Object<'a>,
        term: Term,
        value: PropertyValue<'a>,
    ) {
        debug_assert_eq!(term.value_kind(), value.kind());
        if let Some(slot) = self.term_mut(object, term) {
            *slot = value;
            return;
        }
        self.positions
            .insert(Str::borrowed(term.name()), object.entries.len());
        object.entries.push(Entry::Known(term, value));
    }

    /// [`Object::insert`].
    pub(crate) fn insert(&mut self, object: &mut Object<'a>, name: Str<'a>, value: Any<'a>) {
        if let Some(term) = Term::from_name(&name) {
            let value = PropertyValue::from_any(term.value_kind(), value);
            self.set_term(object, term, value);
            return;
        }
        if let Some(&i) = self.positions.get(name.as_str())
            && let Some(Entry::Unknown(_, slot)) = object.entries.get_mut(i)
        {
            *slot = value;
            return;
        }
        self.positions.insert(name.clone(), object.entries.len());
        object.entries.push(Entry::Unknown(name, value));
    }
}

/// Collects the entries of an object being parsed and applies last-value-wins to repeated keys,
/// without quadratic work on adversarial input.
///
/// Entries are pushed onto a scratch stack shared by every object of one parse (nested objects
/// push above their parent's entries and take theirs off before the parent continues), so each
/// object allocates its entry vector once, at its exact size.
pub(crate) struct EntrySink {
    start: usize,
    seen_terms: [u64; 4],
    /// Where each term's entry is (offset from `start`, `usize::MAX` for none), by
    /// [`Term::index`]; filled on the first repeated term, so a repeat costs no scan.
    term_offsets: Vec<usize>,
    unknown_count: usize,
    deferred_dedup: bool,
}

/// Up to this many unknown keys per object, duplicates are resolved on insertion by a scan;
/// beyond it, once at the end by sorting.
const LINEAR_DEDUP_LIMIT: usize = 16;

impl EntrySink {
    pub(crate) fn new(scratch: &[Entry<'_>]) -> Self {
        EntrySink {
            start: scratch.len(),
            seen_terms: [0; 4],
            term_offsets: Vec::new(),
            unknown_count: 0,
            deferred_dedup: false,
        }
    }

    pub(crate) fn known<'a>(
        &mut self,
        scratch: &mut Vec<Entry<'a>>,
        term: Term,
        value: PropertyValue<'a>,
    ) {
        let index = term.index();
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        let Some(seen) = self.seen_terms.get_mut(word) else {
            return;
        };
        if *seen & bit != 0 {
            if self.term_offsets.is_empty() {
                self.term_offsets = vec![usize::MAX; Term::ALL.len()];
                for (offset, entry) in scratch.iter().skip(self.start).enumerate() {
                    if let Entry::Known(t, _) = entry
                        && let Some(slot) = self.term_offsets.get_mut(t.index())
                    {
                        *slot = offset;
                    }
                }
            }
            let offset = self.term_offsets.get(index).copied().unwrap_or(usize::MAX);
            if let Some(Entry::Known(_, slot)) = scratch.get_mut(self.start.saturating_add(offset))
            {
                *slot = value;
                return;
            }
        }
        *seen |= bit;
        if let Some(slot) = self.term_offsets.get_mut(index) {
            *slot = scratch.len().saturating_sub(self.start);
        }
        scratch.push(Entry::Known(term, value));
    }

    pub(crate) fn unknown<'a>(
        &mut self,
        scratch: &mut Vec<Entry<'a>>,
        name: Str<'a>,
        value: Any<'a>,
    ) {
        if self.unknown_count < LINEAR_DEDUP_LIMIT {
            for entry in scratch.iter_mut().skip(self.start) {
                if let Entry::Unknown(key, slot) = entry
                    && *key == name
                {
                    *slot = value;
                    return;
                }
            }
        } else {
            self.deferred_dedup = true;
        }
        self.unknown_count += 1;
        scratch.push(Entry::Unknown(name, value));
    }

    pub(crate) fn finish<'a>(self, scratch: &mut Vec<Entry<'a>>) -> Object<'a> {
        let start = self.start.min(scratch.len());
        let mut entries: Vec<Entry<'a>> = scratch.drain(start..).collect();
        if self.deferred_dedup {
            dedup_unknown_keys(&mut entries);
        }
        Object { entries }
    }
}

/// Removes every unknown entry whose key occurs again later (last value wins).
fn dedup_unknown_keys(entries: &mut Vec<Entry<'_>>) {
    let mut unknown: Vec<(&str, usize)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Entry::Unknown(key, _) => Some((key.as_str(), i)),
            Entry::Known(..) => None,
        })
        .collect();
    unknown.sort_unstable();
    let mut drop = vec![false; entries.len()];
    for pair in unknown.windows(2) {
        if let [(a, i), (b, _)] = pair
            && a == b
            && let Some(flag) = drop.get_mut(*i)
        {
            *flag = true;
        }
    }
    let mut index = 0;
    entries.retain(|_| {
        let keep = !drop.get(index).copied().unwrap_or(false);
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prop::{Prop, Ref};

    #[test]
    fn insert_types_recognised_terms() {
        let mut o = Object::new();
        o.insert("to", Any::from("https://example.com/a"));
        o.insert("x-custom", Any::from(true));
        assert!(matches!(o.to(), Some(Prop::One(Ref::Iri(_)))));
        assert_eq!(o.unknown("x-custom"), Some(&Any::Bool(true)));
        o.insert("x-custom", Any::from(false));
        assert_eq!(o.len(), 2);
        assert_eq!(o.remove("to"), Some(Any::from("https://example.com/a")));
        assert!(!o.contains("to"));
    }

    #[test]
    fn sink_keeps_last_value_of_repeated_keys() {
        let mut scratch = vec![Entry::Unknown("parent".into(), Any::Null)];
        let mut sink = EntrySink::new(&scratch);
        sink.known(
            &mut scratch,
            Term::Id,
            PropertyValue::Text(Prop::One("a".into())),
        );
        sink.unknown(&mut scratch, "k".into(), Any::from(1u64));
        sink.known(
            &mut scratch,
            Term::Id,
            PropertyValue::Text(Prop::One("b".into())),
        );
        sink.unknown(&mut scratch, "k".into(), Any::from(2u64));
        sink.unknown(&mut scratch, "parent".into(), Any::from(3u64));
        let o = sink.finish(&mut scratch);
        assert_eq!(scratch.len(), 1, "the parent's entries stay on the stack");
        assert_eq!(o.len(), 3);
        assert_eq!(o.id(), Some("b"));
        assert_eq!(o.unknown("parent"), Some(&Any::from(3u64)));
        assert_eq!(o.unknown("k"), Some(&Any::from(2u64)));
    }

    #[test]
    fn sink_dedups_many_unknown_keys_by_sorting() {
        let mut scratch = Vec::new();
        let mut sink = EntrySink::new(&scratch);
        for round in 0..3u64 {
            for i in 0..100 {
                sink.unknown(&mut scratch, Str::owned(format!("k{i}")), Any::from(round));
            }
        }
        let o = sink.finish(&mut scratch);
        assert_eq!(o.len(), 100);
        for i in 0..100 {
            assert_eq!(o.unknown(&format!("k{i}")), Some(&Any::from(2u64)));
        }
    }
}
