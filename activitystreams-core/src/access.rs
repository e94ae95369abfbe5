//! Ergonomic reading: accessors that hide the single/array/IRI/embedded polymorphism.

use chrono::{DateTime, FixedOffset};
use url::Url;

use crate::date::{DateError, parse_datetime};
use crate::iri::{IriError, parse_iri};
use crate::kind::Kind;
use crate::object::Object;
use crate::prop::{LangMap, Prop, Ref, Text};
use crate::public::is_public;
use crate::vocab::Term;

/// The addressing properties, in the order ActivityPub lists them.
pub const ADDRESSING: [Term; 5] = [Term::To, Term::Bto, Term::Cc, Term::Bcc, Term::Audience];

fn ref_ids<'x>(prop: Option<&'x Prop<Ref<'_>>>) -> impl Iterator<Item = &'x str> {
    prop.into_iter().flat_map(Prop::iter).filter_map(Ref::id)
}

fn single_text<'x>(prop: Option<&'x Prop<Text<'_>>>) -> Option<&'x str> {
    match prop? {
        Prop::One(text) => text.as_str(),
        _ => None,
    }
}

impl<'a> Object<'a> {
    /// The `id`, if it is a single string.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        single_text(self.id_value())
    }

    /// The `id` as a [`Url`]: `None` without an id, an error if it is not an absolute URL.
    #[must_use]
    pub fn id_url(&self) -> Option<Result<Url, IriError>> {
        self.id().map(parse_iri)
    }

    /// The `type` strings as written (one or many; non-strings skipped).
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.type_value()
            .into_iter()
            .flat_map(Prop::iter)
            .filter_map(Text::as_str)
    }

    /// The first `type` string.
    #[must_use]
    pub fn type_name(&self) -> Option<&str> {
        self.types().next()
    }

    /// The recognised kinds among the types, in order.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> {
        self.types().filter_map(Kind::from_type)
    }

    /// The first recognised kind.
    #[must_use]
    pub fn kind(&self) -> Option<Kind> {
        self.kinds().next()
    }

    /// Whether one of the types is `kind`.
    #[must_use]
    pub fn is(&self, kind: Kind) -> bool {
        self.kinds().any(|k| k == kind)
    }

    /// Whether one of the types is an activity type. Unknown types count as non-activities,
    /// as ActivityPub §6.2.1 expects of a server deciding whether to wrap a post in a Create.
    #[must_use]
    pub fn is_activity(&self) -> bool {
        self.kinds().any(Kind::is_activity)
    }

    /// Whether one of the types is an actor type.
    #[must_use]
    pub fn is_actor(&self) -> bool {
        self.kinds().any(Kind::is_actor)
    }

    /// Whether one of the types is `Link` or a subtype (`Mention`, `Hashtag`).
    #[must_use]
    pub fn is_link(&self) -> bool {
        self.kinds().any(Kind::is_link)
    }

    /// Whether one of the types is a collection or collection page.
    #[must_use]
    pub fn is_collection(&self) -> bool {
        self.kinds().any(Kind::is_collection)
    }

    /// The `href` of a Link, if it is a single string.
    #[must_use]
    pub fn href_str(&self) -> Option<&str> {
        single_text(self.href())
    }

    /// Ids of the values of a reference property (IRIs, and ids of embedded objects).
    pub fn ids_of(&self, term: Term) -> impl Iterator<Item = &str> {
        let prop = match self.get_term(term) {
            Some(crate::PropertyValue::Ref(p)) => Some(p),
            _ => None,
        };
        ref_ids(prop)
    }

    /// The first value of a reference property.
    #[must_use]
    pub fn first_ref(&self, term: Term) -> Option<&Ref<'a>> {
        match self.get_term(term)? {
            crate::PropertyValue::Ref(p) => p.first(),
            _ => None,
        }
    }

    /// Ids of the `actor`s.
    pub fn actor_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.actor())
    }

    /// The id of the first `actor`, whether embedded or not.
    #[must_use]
    pub fn actor_id(&self) -> Option<&str> {
        self.actor_ids().next()
    }

    /// The first `object`, as written.
    #[must_use]
    pub fn first_object(&self) -> Option<&Ref<'a>> {
        self.object().and_then(Prop::first)
    }

    /// The id of the first `object`, whether embedded or not.
    #[must_use]
    pub fn object_id(&self) -> Option<&str> {
        self.first_object().and_then(Ref::id)
    }

    /// The first `object` if it is embedded.
    #[must_use]
    pub fn embedded_object(&self) -> Option<&Object<'a>> {
        self.first_object().and_then(Ref::as_object)
    }

    /// Ids of the `object`s.
    pub fn object_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.object())
    }

    /// The id of the first `target`.
    #[must_use]
    pub fn target_id(&self) -> Option<&str> {
        ref_ids(self.target()).next()
    }

    /// The id of the first `origin`.
    #[must_use]
    pub fn origin_id(&self) -> Option<&str> {
        ref_ids(self.origin()).next()
    }

    /// The id of the first `attributedTo`.
    #[must_use]
    pub fn attributed_to_id(&self) -> Option<&str> {
        ref_ids(self.attributed_to()).next()
    }

    /// The id of the first `inReplyTo`.
    #[must_use]
    pub fn in_reply_to_id(&self) -> Option<&str> {
        ref_ids(self.in_reply_to()).next()
    }

    /// Ids of the `to` recipients (IRIs as written, ids of embedded objects).
    pub fn to_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.to())
    }

    /// Ids of the `cc` recipients.
    pub fn cc_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.cc())
    }

    /// Ids of the `bto` recipients.
    pub fn bto_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.bto())
    }

    /// Ids of the `bcc` recipients.
    pub fn bcc_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.bcc())
    }

    /// Ids of the `audience`.
    pub fn audience_ids(&self) -> impl Iterator<Item = &str> {
        ref_ids(self.audience())
    }

    /// Ids of all addressed recipients: `to`, `bto`, `cc`, `bcc`, `audience`, in that order,
    /// duplicates and the Public collection included.
    pub fn recipient_ids(&self) -> impl Iterator<Item = &str> {
        ADDRESSING.into_iter().flat_map(|term| self.ids_of(term))
    }

    /// Whether the object is addressed to the Public collection (any of the three spellings).
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.recipient_ids().any(is_public)
    }

    /// The content for a reader preferring `language`: the best `contentMap` match, then
    /// `content`, then the first `contentMap` entry. With `None`, `content` first.
    #[must_use]
    pub fn content_in(&self, language: Option<&str>) -> Option<&str> {
        natural_text(self.content(), self.content_map(), language)
    }

    /// The name for a reader preferring `language` (as [`Object::content_in`], with
    /// `name`/`nameMap`).
    #[must_use]
    pub fn name_in(&self, language: Option<&str>) -> Option<&str> {
        natural_text(self.name(), self.name_map(), language)
    }

    /// The summary for a reader preferring `language` (as [`Object::content_in`], with
    /// `summary`/`summaryMap`).
    #[must_use]
    pub fn summary_in(&self, language: Option<&str>) -> Option<&str> {
        natural_text(self.summary(), self.summary_map(), language)
    }

    /// `published` as a date-time.
    #[must_use]
    pub fn published_at(&self) -> Option<Result<DateTime<FixedOffset>, DateError>> {
        single_text(self.published()).map(parse_datetime)
    }

    /// `updated` as a date-time.
    #[must_use]
    pub fn updated_at(&self) -> Option<Result<DateTime<FixedOffset>, DateError>> {
        single_text(self.updated()).map(parse_datetime)
    }

    /// `deleted` as a date-time.
    #[must_use]
    pub fn deleted_at(&self) -> Option<Result<DateTime<FixedOffset>, DateError>> {
        single_text(self.deleted()).map(parse_datetime)
    }

    /// `startTime` as a date-time.
    #[must_use]
    pub fn start_time_at(&self) -> Option<Result<DateTime<FixedOffset>, DateError>> {
        single_text(self.start_time()).map(parse_datetime)
    }

    /// `endTime` as a date-time.
    #[must_use]
    pub fn end_time_at(&self) -> Option<Result<DateTime<FixedOffset>, DateError>> {
        single_text(self.end_time()).map(parse_datetime)
    }

    /// The `inbox` as a [`Url`].
    #[must_use]
    pub fn inbox_url(&self) -> Option<Result<Url, IriError>> {
        ref_ids(self.inbox()).next().map(parse_iri)
    }

    /// The shared inbox of an actor (`endpoints.sharedInbox`), if given as an IRI.
    #[must_use]
    pub fn shared_inbox_id(&self) -> Option<&str> {
        self.endpoints()
            .and_then(Prop::first)
            .and_then(Ref::as_object)
            .and_then(|e| ref_ids(e.shared_inbox()).next())
    }

    /// `totalItems` as an integer.
    #[must_use]
    pub fn total_items_count(&self) -> Option<u64> {
        self.total_items()
            .and_then(Prop::first)
            .and_then(|n| n.as_u64())
    }

    /// The members of a collection or page: `orderedItems` if present, else `items`.
    #[must_use]
    pub fn members(&self) -> &[Ref<'a>] {
        self.ordered_items()
            .or_else(|| self.items())
            .map(Prop::as_slice)
            .unwrap_or_default()
    }
}

fn natural_text<'x>(
    plain: Option<&'x Prop<Text<'_>>>,
    map: Option<&'x Prop<LangMap<'_>>>,
    language: Option<&str>,
) -> Option<&'x str> {
    let map = map.and_then(Prop::first);
    let plain = plain.and_then(Prop::first).and_then(Text::as_str);
    let preferred = language.and_then(|tag| map.and_then(|m| m.best_match(tag)));
    preferred
        .or(plain)
        .or_else(|| map.and_then(|m| m.iter().next().map(|(_, text)| text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Object<'_> {
        Object::from_str(json).unwrap()
    }

    #[test]
    fn ids_hide_embedding() {
        let o = parse(
            r#"{"type":"Create","actor":{"id":"https://a/u","type":"Person"},
            "object":"https://a/n","to":["https://a/f",{"id":"https://b/u"}],"cc":"as:Public"}"#,
        );
        assert_eq!(o.actor_id(), Some("https://a/u"));
        assert_eq!(o.object_id(), Some("https://a/n"));
        assert_eq!(
            o.to_ids().collect::<Vec<_>>(),
            ["https://a/f", "https://b/u"]
        );
        assert!(o.is_public());
        assert!(o.is_activity());
        assert_eq!(o.kind(), Some(Kind::Create));
    }

    #[test]
    fn content_falls_back_by_language() {
        let o = parse(r#"{"content":"plain","contentMap":{"en-GB":"colour","fr":"couleur"}}"#);
        assert_eq!(o.content_in(Some("fr")), Some("couleur"));
        assert_eq!(o.content_in(Some("en")), Some("colour"));
        assert_eq!(o.content_in(Some("de")), Some("plain"));
        assert_eq!(o.content_in(None), Some("plain"));
        let only_map = parse(r#"{"contentMap":{"es":"hola"}}"#);
        assert_eq!(only_map.content_in(Some("de")), Some("hola"));
    }

    #[test]
    fn dates_and_urls_are_typed_on_access() {
        let o = parse(
            r#"{"id":"https://a/1","published":"2023-02-04T08:52:55Z","updated":"yesterday"}"#,
        );
        assert!(o.id_url().is_some_and(|r| r.is_ok()));
        assert!(o.published_at().is_some_and(|r| r.is_ok()));
        assert!(o.updated_at().is_some_and(|r| r.is_err()));
        assert!(o.deleted_at().is_none());
    }

    #[test]
    fn link_without_id_uses_href() {
        let o = parse(r#"{"url":{"type":"Link","href":"https://a/x"}}"#);
        assert_eq!(o.ids_of(Term::Url).collect::<Vec<_>>(), ["https://a/x"]);
    }
}
