//! Typed builders for writing documents.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::any::Any;
use crate::kind::Kind;
use crate::object::{KeyIndex, Object};
use crate::prop::{Element, LangMap, Prop, PropertyValue, Ref, Text};
use crate::string::Str;
use crate::vocab::Term;

/// The Activity Streams 2.0 context IRI, the usual `@context` value.
pub const AS2_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// Formats a date-time as AS2 writes it: RFC 3339 in UTC with a `Z` and whole seconds.
#[must_use]
pub fn format_datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Builds an [`Object`] property by property. Adders (`to`, `cc`, `tag`, ...) append, so a
/// property given once is written as a single value and given several times as an array;
/// setters (`id`, `content`, ...) replace.
///
/// ```
/// use activitystreams_core::{Kind, ObjectBuilder, PUBLIC};
///
/// let note = ObjectBuilder::new(Kind::Note)
///     .id("https://example.com/notes/1")
///     .attributed_to("https://example.com/users/alice")
///     .content("<p>Hello</p>")
///     .to(PUBLIC)
///     .build();
/// let create = ObjectBuilder::new(Kind::Create)
///     .context()
///     .actor("https://example.com/users/alice")
///     .object(note)
///     .to(PUBLIC)
///     .build();
/// assert_eq!(create.object_id(), Some("https://example.com/notes/1"));
/// ```
///
/// Each call takes constant time (keys are found through an index, not by scanning the
/// properties), so building an object of any size is linear.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ObjectBuilder<'a> {
    object: Object<'a>,
    /// The keys of `object`; every change to it goes through this index.
    keys: KeyIndex<'a>,
    /// The keys of the language maps being built by `content_in`/`name_in`, by property; an
    /// entry is dropped when anything else sets that property.
    map_keys: Vec<(Term, KeyIndex<'a>)>,
}

impl<'a> ObjectBuilder<'a> {
    /// Starts an object of a recognised type.
    pub fn new(kind: Kind) -> Self {
        Self::with_type(kind.name())
    }

    /// Starts an object of any type name (an extension type, a compact IRI...).
    pub fn with_type(type_name: impl Into<Str<'a>>) -> Self {
        let mut builder = ObjectBuilder::default();
        builder.set(
            Term::Type,
            PropertyValue::Text(Prop::One(Text::String(type_name.into()))),
        );
        builder
    }

    /// Starts with no `type`.
    pub fn untyped() -> Self {
        ObjectBuilder::default()
    }

    /// Sets `@context` to the AS2 context.
    pub fn context(mut self) -> Self {
        self.set(
            Term::JsonLdContext,
            PropertyValue::Any(Prop::One(Any::from(AS2_CONTEXT))),
        );
        self
    }

    /// Sets `@context` to a value of your choice (e.g. an array with term definitions).
    pub fn context_value(mut self, context: Any<'a>) -> Self {
        self.set(
            Term::JsonLdContext,
            PropertyValue::Any(Prop::from_any(context)),
        );
        self
    }

    /// Adds another type (the `type` becomes an array).
    pub fn also_type(mut self, type_name: impl Into<Str<'a>>) -> Self {
        self.push_text(Term::Type, Text::String(type_name.into()));
        self
    }

    /// Sets `id`.
    pub fn id(mut self, id: impl Into<Str<'a>>) -> Self {
        self.set(
            Term::Id,
            PropertyValue::Text(Prop::One(Text::String(id.into()))),
        );
        self
    }

    /// Sets a recognised term (as `Object::set_term`).
    pub(crate) fn set(&mut self, term: Term, value: PropertyValue<'a>) {
        self.map_keys.retain(|(t, _)| *t != term);
        self.keys.set_term(&mut self.object, term, value);
    }

    /// Sets any property (as [`Object::insert`]).
    fn put(&mut self, name: Str<'a>, value: Any<'a>) {
        if let Some(term) = Term::from_name(&name) {
            self.map_keys.retain(|(t, _)| *t != term);
        }
        self.keys.insert(&mut self.object, name, value);
    }

    pub(crate) fn push_ref(&mut self, term: Term, value: Ref<'a>) {
        match self.keys.term_mut(&mut self.object, term) {
            Some(PropertyValue::Ref(p)) => p.push(value),
            _ => self.put(Str::borrowed(term.name()), Element::into_any(value)),
        }
    }

    pub(crate) fn push_text(&mut self, term: Term, value: Text<'a>) {
        match self.keys.term_mut(&mut self.object, term) {
            Some(PropertyValue::Text(p)) => p.push(value),
            _ => self.put(Str::borrowed(term.name()), Element::into_any(value)),
        }
    }

    pub(crate) fn text(mut self, term: Term, value: Str<'a>) -> Self {
        self.put(Str::borrowed(term.name()), Any::String(value));
        self
    }

    /// Sets a reference term to a single value.
    pub(crate) fn set_ref(mut self, term: Term, value: Ref<'a>) -> Self {
        self.set(term, PropertyValue::Ref(Prop::One(value)));
        self
    }

    /// Sets a boolean term.
    pub(crate) fn flag(mut self, term: Term, value: bool) -> Self {
        self.set(term, PropertyValue::Flag(value.into()));
        self
    }

    /// Mutable access to a recognised term's value.
    pub(crate) fn term_mut(&mut self, term: Term) -> Option<&mut PropertyValue<'a>> {
        self.keys.term_mut(&mut self.object, term)
    }

    /// Sets `content` (HTML by default).
    pub fn content(self, content: impl Into<Str<'a>>) -> Self {
        self.text(Term::Content, content.into())
    }

    /// Adds a language-tagged `contentMap` entry.
    pub fn content_in(mut self, language: impl Into<Str<'a>>, content: impl Into<Str<'a>>) -> Self {
        self.map_entry(Term::ContentMap, language.into(), content.into());
        self
    }

    /// Sets `name`.
    pub fn name(self, name: impl Into<Str<'a>>) -> Self {
        self.text(Term::Name, name.into())
    }

    /// Adds a language-tagged `nameMap` entry.
    pub fn name_in(mut self, language: impl Into<Str<'a>>, name: impl Into<Str<'a>>) -> Self {
        self.map_entry(Term::NameMap, language.into(), name.into());
        self
    }

    /// Sets `summary` (Mastodon's content warning).
    pub fn summary(self, summary: impl Into<Str<'a>>) -> Self {
        self.text(Term::Summary, summary.into())
    }

    /// Sets `mediaType`.
    pub fn media_type(self, media_type: impl Into<Str<'a>>) -> Self {
        self.text(Term::MediaType, media_type.into())
    }

    /// Sets `href` (Links).
    pub fn href(self, href: impl Into<Str<'a>>) -> Self {
        self.text(Term::Href, href.into())
    }

    /// Sets `preferredUsername`.
    pub fn preferred_username(self, username: impl Into<Str<'a>>) -> Self {
        self.text(Term::PreferredUsername, username.into())
    }

    /// Adds an entry to the language map of `term` (as `Object::insert` on the map), or sets
    /// `term` to a new map if it holds something else.
    fn map_entry(&mut self, term: Term, language: Str<'a>, text: Str<'a>) {
        if let Some(PropertyValue::LangMap(Prop::One(LangMap::Map(map)))) =
            self.keys.term_mut(&mut self.object, term)
        {
            let position = self.map_keys.iter().position(|(t, _)| *t == term);
            let keys = match position.and_then(|i| self.map_keys.get_mut(i)) {
                Some((_, keys)) => keys,
                None => {
                    // A map given whole (`property`): indexed once, then kept up to date.
                    self.map_keys.push((term, KeyIndex::of(map)));
                    match self.map_keys.last_mut() {
                        Some((_, keys)) => keys,
                        None => return,
                    }
                }
            };
            keys.insert(map, language, Any::String(text));
            return;
        }
        let mut map = Object::new();
        let mut keys = KeyIndex::default();
        keys.insert(&mut map, language, Any::String(text));
        self.put(Str::borrowed(term.name()), Any::from(map));
        self.map_keys.push((term, keys));
    }

    fn date(self, term: Term, at: DateTime<Utc>) -> Self {
        self.text(term, Str::owned(format_datetime(at)))
    }

    /// Sets `published` (formatted with [`format_datetime`]).
    pub fn published(self, at: DateTime<Utc>) -> Self {
        self.date(Term::Published, at)
    }

    /// Sets `updated`.
    pub fn updated(self, at: DateTime<Utc>) -> Self {
        self.date(Term::Updated, at)
    }

    /// Sets `deleted`.
    pub fn deleted(self, at: DateTime<Utc>) -> Self {
        self.date(Term::Deleted, at)
    }

    /// Sets `startTime`.
    pub fn start_time(self, at: DateTime<Utc>) -> Self {
        self.date(Term::StartTime, at)
    }

    /// Sets `endTime`.
    pub fn end_time(self, at: DateTime<Utc>) -> Self {
        self.date(Term::EndTime, at)
    }

    /// Sets `sensitive` (`as:sensitive`: the content needs a content warning; read by
    /// [`Object::is_sensitive`]).
    pub fn sensitive(self, sensitive: bool) -> Self {
        self.flag(Term::Sensitive, sensitive)
    }

    /// Sets `totalItems`.
    pub fn total_items(mut self, count: u64) -> Self {
        self.set(Term::TotalItems, PropertyValue::Num(count.into()));
        self
    }

    /// Sets any property from an untyped value (extension terms included).
    pub fn property(mut self, name: impl Into<Str<'a>>, value: impl Into<Any<'a>>) -> Self {
        self.put(name.into(), value.into());
        self
    }

    /// Finishes.
    #[must_use]
    pub fn build(self) -> Object<'a> {
        self.object
    }
}

macro_rules! ref_adders {
    ($( $(#[doc = $doc:literal])* $method:ident => $term:ident; )*) => {
        impl<'a> ObjectBuilder<'a> {
            $(
                $(#[doc = $doc])*
                ///
                /// Appends: the first call writes a single value, later calls make an array.
                pub fn $method(mut self, value: impl Into<Ref<'a>>) -> Self {
                    self.push_ref(Term::$term, value.into());
                    self
                }
            )*
        }
    };
}

ref_adders! {
    /// Adds an `actor`.
    actor => Actor;
    /// Adds an `object` (an IRI or an embedded object).
    object => Object;
    /// Adds a `target`.
    target => Target;
    /// Adds an `origin`.
    origin => Origin;
    /// Adds a `result`.
    result => Result;
    /// Adds an `instrument`.
    instrument => Instrument;
    /// Adds a `to` recipient.
    to => To;
    /// Adds a `cc` recipient.
    cc => Cc;
    /// Adds a `bto` recipient.
    bto => Bto;
    /// Adds a `bcc` recipient.
    bcc => Bcc;
    /// Adds an `audience`.
    audience => Audience;
    /// Adds an `attributedTo`.
    attributed_to => AttributedTo;
    /// Adds an `inReplyTo`.
    in_reply_to => InReplyTo;
    /// Adds a `tag` (Mention, Hashtag, Emoji...).
    tag => Tag;
    /// Adds an `attachment`.
    attachment => Attachment;
    /// Adds a `url`.
    url => Url;
    /// Adds an `icon`.
    icon => Icon;
    /// Adds an `image`.
    image => Image;
    /// Adds a collection member to `items`.
    item => Items;
    /// Adds a collection member to `orderedItems`.
    ordered_item => OrderedItems;
    /// Adds a `context` (conversation/thread).
    thread_context => Context;
    /// Sets `inbox` (actors; given once).
    inbox => Inbox;
    /// Sets `outbox`.
    outbox => Outbox;
    /// Sets `followers`.
    followers => Followers;
    /// Sets `following`.
    following => Following;
    /// Sets `partOf` (collection pages).
    part_of => PartOf;
    /// Sets `first` (collections).
    first => First;
    /// Sets `next` (collection pages).
    next => Next;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn single_then_many() {
        let o = ObjectBuilder::new(Kind::Note).to("https://a/1").build();
        assert_eq!(o.to_value().unwrap()["to"], "https://a/1");
        let o = ObjectBuilder::new(Kind::Note)
            .to("https://a/1")
            .to("https://a/2")
            .build();
        assert_eq!(
            o.to_value().unwrap()["to"],
            serde_json::json!(["https://a/1", "https://a/2"])
        );
    }

    #[test]
    fn writes_what_it_was_given() {
        let at = Utc.with_ymd_and_hms(2024, 11, 12, 9, 41, 27).unwrap();
        let o = ObjectBuilder::new(Kind::Note)
            .context()
            .also_type("Article")
            .id("https://a/n/1")
            .content("<p>hi</p>")
            .content_in("en", "<p>hi</p>")
            .content_in("de", "<p>hallo</p>")
            .published(at)
            .sensitive(false)
            .property("x-ext", Any::from(1u64))
            .build();
        assert_eq!(
            o.to_value().unwrap(),
            serde_json::json!({
                "@context": AS2_CONTEXT,
                "type": ["Note", "Article"],
                "id": "https://a/n/1",
                "content": "<p>hi</p>",
                "contentMap": {"en": "<p>hi</p>", "de": "<p>hallo</p>"},
                "published": "2024-11-12T09:41:27Z",
                "sensitive": false,
                "x-ext": 1
            })
        );
        assert_eq!(o.content_in(Some("de")), Some("<p>hallo</p>"));
        assert!(o.validate().is_empty());
    }
}
