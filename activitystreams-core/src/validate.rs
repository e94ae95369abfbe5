//! Strict validation against AS2, separate from (lenient) parsing. Every violation carries a
//! JSON Pointer to the offending value.

use std::fmt;

use crate::any::{Any, AnyRef, JsonKind};
use crate::error::ParseError;
use crate::iri::is_absolute_iri;
use crate::kind::{AS2_NAMESPACE, Kind};
use crate::lang::is_well_formed_language_tag;
use crate::limits::MAX_DEPTH;
use crate::object::{Entry, Object};
use crate::pointer::{Segment, offset_of, pointer_at, render};
use crate::prop::{Flag, LangMap, Num, Prop, PropertyValue, Ref, Text};
use crate::public::is_public;
use crate::vocab::{Cardinality, Term};

/// One violation of AS2: where (a JSON Pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer (RFC 6901) to the offending value; `""` is the whole document.
    pub pointer: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\": {}", self.pointer, self.kind)
    }
}

/// What a property should have held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// An IRI, an object or a Link.
    Reference,
    /// A string.
    String,
    /// An IRI string.
    Iri,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// An object mapping language tags to strings.
    LanguageMap,
    /// A type name (string).
    TypeName,
    /// An IRI string or an object of term definitions.
    ContextEntry,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Reference => "an IRI, an object or a Link",
            Expected::String => "a string",
            Expected::Iri => "an IRI string",
            Expected::Number => "a number",
            Expected::Boolean => "a boolean",
            Expected::LanguageMap => "an object mapping language tags to strings",
            Expected::TypeName => "a type name",
            Expected::ContextEntry => "an IRI or an object of term definitions",
        })
    }
}

/// The kinds of AS2 violation [`validate_document`] reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViolationKind {
    /// The input is not JSON (or not UTF-8).
    #[error("not valid JSON: {message}")]
    NotJson {
        /// The parser's message.
        message: String,
    },
    /// The document is valid JSON but not an object.
    #[error("the document is {found}, expected a JSON object")]
    NotAnObject {
        /// What it is.
        found: JsonKind,
    },
    /// A property holds a value of the wrong JSON type.
    #[error("`{property}` must be {expected}, found {found}")]
    WrongType {
        /// The property.
        property: String,
        /// What it must be.
        expected: Expected,
        /// What it is.
        found: JsonKind,
    },
    /// A plain natural-language property holds a language map.
    #[error("`{property}` must be a string, found a language map (use `{property}Map`)")]
    LanguageMapInPlainProperty {
        /// `name`, `content` or `summary`.
        property: String,
    },
    /// A functional property holds an array.
    #[error("`{property}` takes a single value, found an array")]
    MultipleValues {
        /// The property.
        property: String,
    },
    /// A language-map key is not a well-formed BCP 47 tag.
    #[error("{tag:?} is not a well-formed BCP 47 language tag")]
    InvalidLanguageTag {
        /// The key as written.
        tag: String,
    },
    /// An IRI is relative (or contains whitespace).
    #[error("{value:?} is not an absolute IRI")]
    RelativeIri {
        /// The IRI as written.
        value: String,
    },
    /// A date-time is not RFC 3339 (AS2 Core §2.3; seconds may be omitted).
    #[error("{value:?} is not an RFC 3339 date-time")]
    InvalidDateTime {
        /// The value as written.
        value: String,
    },
    /// A `duration` is not an `xsd:duration`.
    #[error("{value:?} is not an xsd:duration")]
    InvalidDuration {
        /// The value as written.
        value: String,
    },
    /// A `mediaType` is not a MIME media type.
    #[error("{value:?} is not a MIME media type")]
    InvalidMediaType {
        /// The value as written.
        value: String,
    },
    /// A `rel` value contains whitespace or a comma.
    #[error("{value:?} is not a link relation (no whitespace or comma allowed)")]
    InvalidRel {
        /// The value as written.
        value: String,
    },
    /// A number is outside the property's range.
    #[error("`{property}` must be {range}")]
    OutOfRange {
        /// The property.
        property: String,
        /// The range, in words.
        range: &'static str,
    },
    /// The document's `@context` references other contexts and not the Activity Streams one.
    #[error("`@context` references other contexts but not the Activity Streams 2.0 context")]
    NotAs2Context,
    /// An `OrderedCollection` uses `items`.
    #[error("an ordered collection lists its members in `orderedItems`, not `items`")]
    ItemsInOrderedCollection,
    /// An unordered `Collection` uses `orderedItems`.
    #[error("an unordered collection lists its members in `items`, not `orderedItems`")]
    OrderedItemsInCollection,
    /// A paging property (`first`, `last`, `current`, `next`, `prev`) names a non-page.
    #[error("`{property}` must be a collection page or a Link, found a {found}")]
    NotAPage {
        /// The property.
        property: String,
        /// The type found.
        found: Kind,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

/// Validates raw bytes as a strict AS2 document: JSON, an object, and every AS2 rule checked
/// by [`Object::validate`]. Returns no violation for a valid document.
///
/// Invalid JSON yields one [`ViolationKind::NotJson`] whose pointer locates the innermost value
/// around the error (for invalid UTF-8, the string holding the bad byte).
#[must_use]
pub fn validate_document(bytes: &[u8]) -> Vec<Violation> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match Object::from_slice(bytes) {
        Ok(object) => object.validate(),
        Err(ParseError::NotAnObject { found }) => vec![Violation {
            pointer: String::new(),
            kind: ViolationKind::NotAnObject { found },
        }],
        Err(err) => {
            let offset = match std::str::from_utf8(bytes) {
                Err(utf8) => utf8.valid_up_to(),
                Ok(_) => match &err {
                    ParseError::Json(e) => offset_of(bytes, e.line(), e.column()),
                    _ => 0,
                },
            };
            let message = match &err {
                ParseError::Json(e) if std::str::from_utf8(bytes).is_err() => {
                    format!("invalid UTF-8 at byte {offset} ({e})")
                }
                ParseError::Json(e) => e.to_string(),
                other => other.to_string(),
            };
            vec![Violation {
                pointer: pointer_at(bytes, offset),
                kind: ViolationKind::NotJson { message },
            }]
        }
    }
}

impl Object<'_> {
    /// Checks the object, as the root of a document, against AS2; returns every violation
    /// found (none for a valid document), in document order.
    ///
    /// Checked: JSON types of every recognised property (an IRI/object/Link where a reference
    /// belongs, strings, numbers, booleans, language maps), absolute IRIs for `id`, `href` and
    /// references (the bare `Public` accepted in addressing), RFC 3339 date-times,
    /// `xsd:duration`, BCP 47 language tags (map keys, `hreflang`), media types, `rel` values,
    /// number ranges, single values for functional properties, `items` vs `orderedItems`,
    /// pages in `first`/`last`/`current`/`next`/`prev`, and a root `@context` including the
    /// AS2 context. Objects nested in extension properties are checked too; `@context`
    /// definitions are not.
    #[must_use]
    pub fn validate(&self) -> Vec<Violation> {
        let mut walker = Walker {
            path: Vec::new(),
            violations: Vec::new(),
        };
        walker.root_context(self);
        walker.object(self, 0);
        walker.violations
    }
}

struct Walker<'x> {
    path: Vec<Segment<'x>>,
    violations: Vec<Violation>,
}

const AS2_CONTEXTS: &[&str] = &[
    "https://www.w3.org/ns/activitystreams",
    "http://www.w3.org/ns/activitystreams",
    "https://www.w3.org/ns/activitystreams.jsonld",
    "http://www.w3.org/ns/activitystreams.jsonld",
];

fn names_as2(entry: AnyRef<'_, '_>) -> bool {
    match entry {
        AnyRef::String(s) => AS2_CONTEXTS.contains(&s.as_str()),
        AnyRef::Object(o) => o
            .unknown("@vocab")
            .and_then(Any::as_str)
            .is_some_and(|v| v == AS2_NAMESPACE || AS2_CONTEXTS.contains(&v)),
        _ => false,
    }
}

fn is_date_term(term: Term) -> bool {
    matches!(
        term,
        Term::Published | Term::Updated | Term::StartTime | Term::EndTime | Term::Deleted
    )
}

fn is_page_term(term: Term) -> bool {
    matches!(
        term,
        Term::First | Term::Last | Term::Current | Term::Next | Term::Prev
    )
}

impl<'x> Walker<'x> {
    fn report(&mut self, kind: ViolationKind) {
        self.violations.push(Violation {
            pointer: render(&self.path),
            kind,
        });
    }

    fn at<R>(&mut self, segment: Segment<'x>, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(segment);
        let result = f(self);
        self.path.pop();
        result
    }

    fn root_context(&mut self, root: &'x Object<'_>) {
        let Some(context) = root.json_ld_context() else {
            return;
        };
        // AS2 Core §2.1: without a reference to the AS2 context, "the implementation MUST
        // assume that the normative @context definition still applies", so inline term
        // definitions alone are fine; a context that references other remote contexts only
        // declares another vocabulary.
        let entries = context.as_slice();
        let well_typed = entries
            .iter()
            .all(|e| matches!(e, Any::String(_) | Any::Object(_)));
        let references_remote = entries.iter().any(|e| matches!(e, Any::String(_)));
        if well_typed && references_remote && !entries.iter().any(|e| names_as2(e.view())) {
            self.at(Segment::Key("@context"), |w| {
                w.report(ViolationKind::NotAs2Context);
            });
        }
    }

    fn object(&mut self, object: &'x Object<'_>, depth: usize) {
        if depth >= MAX_DEPTH {
            self.report(ViolationKind::TooDeep { limit: MAX_DEPTH });
            return;
        }
        let depth = depth + 1;
        for entry in object.entries() {
            match entry {
                Entry::Known(term, value) => {
                    self.at(Segment::Key(term.name()), |w| w.term(*term, value, depth));
                }
                Entry::Unknown(name, value) => {
                    self.at(Segment::Key(name.as_str()), |w| w.any(value, depth));
                }
            }
        }
        self.collection_rules(object);
    }

    fn collection_rules(&mut self, object: &'x Object<'_>) {
        let ordered = object.kinds().any(Kind::is_ordered_collection);
        let unordered = object
            .kinds()
            .any(|k| matches!(k, Kind::Collection | Kind::CollectionPage));
        if ordered && !unordered && object.items().is_some() {
            self.at(Segment::Key("items"), |w| {
                w.report(ViolationKind::ItemsInOrderedCollection);
            });
        }
        if unordered && !ordered && object.ordered_items().is_some() {
            self.at(Segment::Key("orderedItems"), |w| {
                w.report(ViolationKind::OrderedItemsInCollection);
            });
        }
    }

    fn term(&mut self, term: Term, value: &'x PropertyValue<'_>, depth: usize) {
        if term.cardinality() == Cardinality::One && value.is_array() {
            self.report(ViolationKind::MultipleValues {
                property: term.name().to_owned(),
            });
        }
        match value {
            PropertyValue::Ref(p) => self.each(p, depth, |w, r, depth| w.reference(term, r, depth)),
            PropertyValue::Text(p) => self.each(p, depth, |w, t, depth| w.text(term, t, depth)),
            PropertyValue::Num(p) => self.each(p, depth, |w, n, depth| w.number(term, n, depth)),
            PropertyValue::Flag(p) => self.each(p, depth, |w, b, depth| w.flag(term, b, depth)),
            PropertyValue::LangMap(p) => {
                self.each(p, depth, |w, m, depth| w.language_map(term, m, depth));
            }
            PropertyValue::Any(p) => {
                if term == Term::JsonLdContext {
                    self.each(p, depth, |w, entry, _| w.context_entry(entry));
                } else {
                    self.each(p, depth, |w, any, depth| w.any(any, depth));
                }
            }
        }
    }

    /// Visits each value of a property; array elements get their index in the pointer.
    fn each<T>(
        &mut self,
        prop: &'x Prop<T>,
        depth: usize,
        mut visit: impl FnMut(&mut Self, &'x T, usize),
    ) {
        match prop {
            Prop::Null => {}
            Prop::One(value) => visit(self, value, depth),
            Prop::Many(values) => {
                if depth >= MAX_DEPTH {
                    self.report(ViolationKind::TooDeep { limit: MAX_DEPTH });
                    return;
                }
                for (i, value) in values.iter().enumerate() {
                    self.at(Segment::Index(i), |w| visit(w, value, depth + 1));
                }
            }
        }
    }

    fn wrong_type(&mut self, term: Term, expected: Expected, found: AnyRef<'_, '_>) {
        self.report(ViolationKind::WrongType {
            property: term.name().to_owned(),
            expected,
            found: found.kind(),
        });
    }

    fn reference(&mut self, term: Term, value: &'x Ref<'_>, depth: usize) {
        match value {
            Ref::Iri(iri) => {
                let public_alias = crate::access::ADDRESSING.contains(&term) && is_public(iri);
                if !public_alias && !is_absolute_iri(iri) {
                    self.report(ViolationKind::RelativeIri {
                        value: iri.to_string(),
                    });
                }
            }
            Ref::Object(object) => {
                if is_page_term(term)
                    && let Some(found) = object.kind()
                    && !found.is_collection_page()
                    && !found.is_link()
                {
                    self.report(ViolationKind::NotAPage {
                        property: term.name().to_owned(),
                        found,
                    });
                }
                self.object(object, depth);
            }
            Ref::Other(Any::Null) => {}
            Ref::Other(other) => {
                self.wrong_type(term, Expected::Reference, other.view());
                self.any(other, depth);
            }
        }
    }

    fn text(&mut self, term: Term, value: &'x Text<'_>, depth: usize) {
        let text = match value {
            Text::String(s) => s.as_str(),
            Text::Other(Any::Null) => return,
            Text::Other(Any::Object(_))
                if matches!(term, Term::Name | Term::Content | Term::Summary) =>
            {
                self.report(ViolationKind::LanguageMapInPlainProperty {
                    property: term.name().to_owned(),
                });
                return;
            }
            Text::Other(other) => {
                let expected = match term {
                    Term::Type => Expected::TypeName,
                    Term::Id | Term::Href => Expected::Iri,
                    _ => Expected::String,
                };
                self.wrong_type(term, expected, other.view());
                self.any(other, depth);
                return;
            }
        };
        let owned = || text.to_owned();
        match term {
            Term::Id | Term::Href if !is_absolute_iri(text) => {
                self.report(ViolationKind::RelativeIri { value: owned() });
            }
            t if is_date_term(t) && crate::date::parse_datetime(text).is_err() => {
                self.report(ViolationKind::InvalidDateTime { value: owned() });
            }
            Term::Duration if !is_xsd_duration(text) => {
                self.report(ViolationKind::InvalidDuration { value: owned() });
            }
            Term::Hreflang if !is_well_formed_language_tag(text) => {
                self.report(ViolationKind::InvalidLanguageTag { tag: owned() });
            }
            Term::MediaType if !is_media_type(text) => {
                self.report(ViolationKind::InvalidMediaType { value: owned() });
            }
            Term::Rel
                if text.is_empty() || text.contains(|c: char| c.is_whitespace() || c == ',') =>
            {
                self.report(ViolationKind::InvalidRel { value: owned() });
            }
            _ => {}
        }
    }

    fn number(&mut self, term: Term, value: &'x Num<'_>, depth: usize) {
        let number = match value {
            Num::Number(n) => n,
            Num::Other(Any::Null) => return,
            Num::Other(other) => {
                self.wrong_type(term, Expected::Number, other.view());
                self.any(other, depth);
                return;
            }
        };
        let range = match term {
            Term::TotalItems
            | Term::StartIndex
            | Term::Width
            | Term::Height
            | Term::VotersCount => (number.as_u64().is_none()).then_some("a non-negative integer"),
            Term::Accuracy => (!number.as_f64().is_some_and(|f| (0.0..=100.0).contains(&f)))
                .then_some("a number from 0 to 100"),
            Term::Radius => {
                (!number.as_f64().is_some_and(|f| f >= 0.0)).then_some("a non-negative number")
            }
            _ => None,
        };
        if let Some(range) = range {
            self.report(ViolationKind::OutOfRange {
                property: term.name().to_owned(),
                range,
            });
        }
    }

    fn flag(&mut self, term: Term, value: &'x Flag<'_>, depth: usize) {
        if let Flag::Other(other) = value
            && !other.is_null()
        {
            self.wrong_type(term, Expected::Boolean, other.view());
            self.any(other, depth);
        }
    }

    fn language_map(&mut self, term: Term, value: &'x LangMap<'_>, depth: usize) {
        match value {
            LangMap::Map(map) => {
                if depth >= MAX_DEPTH {
                    self.report(ViolationKind::TooDeep { limit: MAX_DEPTH });
                    return;
                }
                for property in map.iter() {
                    let tag = property.name();
                    self.at(Segment::Key(tag), |w| {
                        if !is_well_formed_language_tag(tag) {
                            w.report(ViolationKind::InvalidLanguageTag {
                                tag: tag.to_owned(),
                            });
                        }
                        if property.as_str().is_none() {
                            let found = match property {
                                crate::Property::Known(_, v) if v.is_array() => JsonKind::Array,
                                crate::Property::Known(_, v) => {
                                    v.views().first().map_or(JsonKind::Null, AnyRef::kind)
                                }
                                crate::Property::Unknown(_, v) => v.kind(),
                            };
                            if found != JsonKind::Null {
                                w.report(ViolationKind::WrongType {
                                    property: term.name().to_owned(),
                                    expected: Expected::String,
                                    found,
                                });
                            }
                        }
                    });
                }
            }
            LangMap::Other(Any::Null) => {}
            LangMap::Other(other) => self.wrong_type(term, Expected::LanguageMap, other.view()),
        }
    }

    fn context_entry(&mut self, entry: &'x Any<'_>) {
        match entry {
            Any::String(_) | Any::Object(_) | Any::Null => {}
            other => self.wrong_type(Term::JsonLdContext, Expected::ContextEntry, other.view()),
        }
    }

    /// Walks an untyped value for the objects inside it.
    fn any(&mut self, value: &'x Any<'_>, depth: usize) {
        match value {
            Any::Object(o) => self.object(o, depth),
            Any::Array(items) => {
                if depth >= MAX_DEPTH {
                    self.report(ViolationKind::TooDeep { limit: MAX_DEPTH });
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    self.at(Segment::Index(i), |w| w.any(item, depth + 1));
                }
            }
            Any::Null | Any::Bool(_) | Any::Number(_) | Any::String(_) => {}
        }
    }
}

/// `xsd:duration`: `-?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)?` with at least one component and
/// no dangling `T`.
fn is_xsd_duration(text: &str) -> bool {
    let rest = text.strip_prefix('-').unwrap_or(text);
    let Some(rest) = rest.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let components =
        |part: &str, designators: &[char], fraction_on: Option<char>| -> Option<usize> {
            let mut count = 0;
            let mut number = String::new();
            let mut next = 0;
            for c in part.chars() {
                if c.is_ascii_digit() || (c == '.' && fraction_on.is_some()) {
                    number.push(c);
                    continue;
                }
                let position = designators.iter().skip(next).position(|d| *d == c)? + next;
                let fractional = number.contains('.');
                if number.is_empty()
                    || number.starts_with('.')
                    || number.ends_with('.')
                    || (fractional && Some(c) != fraction_on)
                {
                    return None;
                }
                number.clear();
                next = position + 1;
                count += 1;
            }
            number.is_empty().then_some(count)
        };
    let Some(date_count) = components(date, &['Y', 'M', 'D'], None) else {
        return false;
    };
    match time {
        None => date_count > 0,
        Some(time) => components(time, &['H', 'M', 'S'], Some('S')).is_some_and(|n| n > 0),
    }
}

/// `type/subtype` with RFC 6838 token characters, optionally followed by `;` parameters.
fn is_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    matches!(essence.split_once('/'), Some((t, s)) if token(t) && token(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violations(json: &str) -> Vec<(String, ViolationKind)> {
        validate_document(json.as_bytes())
            .into_iter()
            .map(|v| (v.pointer, v.kind))
            .collect()
    }

    #[test]
    fn valid_note_has_no_violation() {
        let v = violations(
            r#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"https://a/1",
            "content":"x","contentMap":{"en":"x","zh-Hans":"y"},"to":["Public"],"published":"2015-01-25T12:34Z",
            "duration":"PT2H30M","mediaType":"text/html; charset=utf-8","attachment":[{"type":"Link","href":"https://a/x","rel":["canonical"]}]}"#,
        );
        assert_eq!(v, []);
    }

    #[test]
    fn reports_pointers_into_arrays_and_nested_objects() {
        let v = violations(
            r#"{"object":{"type":"Note","tag":[{"href":"ok:x"},{"href":"rel/ative"}]}}"#,
        );
        assert_eq!(
            v,
            [(
                "/object/tag/1/href".to_owned(),
                ViolationKind::RelativeIri {
                    value: "rel/ative".into()
                }
            )]
        );
    }

    #[test]
    fn functional_properties_take_one_value() {
        let v = violations(r#"{"id":["https://a/1"],"totalItems":-1}"#);
        assert_eq!(v.len(), 2);
        assert!(matches!(&v[0], (p, ViolationKind::MultipleValues { .. }) if p == "/id"));
        assert!(matches!(&v[1], (p, ViolationKind::OutOfRange { .. }) if p == "/totalItems"));
    }

    #[test]
    fn durations() {
        for ok in ["PT2H", "P1Y2M3DT4H5M6.5S", "-P3D", "PT0S", "P1M"] {
            assert!(is_xsd_duration(ok), "{ok}");
        }
        for bad in [
            "P", "PT", "2H", "P1H", "PT1D", "P1.5Y", "PT1.S", "P1D2Y", "P1DT",
        ] {
            assert!(!is_xsd_duration(bad), "{bad}");
        }
    }

    #[test]
    fn media_types() {
        assert!(is_media_type("image/png"));
        assert!(is_media_type(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(!is_media_type("png"));
        assert!(!is_media_type("image/"));
    }

    #[test]
    fn nesting_beyond_the_limit_is_a_violation_not_a_crash() {
        let mut object = Object::new();
        for _ in 0..(MAX_DEPTH + 10) {
            let mut outer = Object::new();
            outer.insert("x-nested", Any::from(object));
            object = outer;
        }
        let v = object.validate();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, ViolationKind::TooDeep { limit: MAX_DEPTH });
        assert_eq!(v[0].pointer.matches("/x-nested").count(), MAX_DEPTH);
    }
}
