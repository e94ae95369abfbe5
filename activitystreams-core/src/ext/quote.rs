//! Quote posts. Servers mark the quoted post in several ways; all are read here.

use super::first_id;
use crate::builder::ObjectBuilder;
use crate::kind::Kind;
use crate::object::Object;
use crate::prop::Ref;
use crate::string::Str;
use crate::vocab::Term;

/// Where a quote reference was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuoteSource {
    /// `quote` (FEP-044f, Mastodon 4.4+).
    Quote,
    /// `quoteUrl` (`as:quoteUrl`: Misskey, Akkoma, BridgyFed).
    QuoteUrl,
    /// `quoteUri` (Fedibird).
    QuoteUri,
    /// `_misskey_quote` (Misskey).
    MisskeyQuote,
    /// A `Link` tag pointing at an ActivityStreams object (FEP-e232 object link).
    ObjectLink,
}

/// The media type [`ObjectBuilder::object_link`] writes (the first FEP-e232 names).
pub const OBJECT_LINK_MEDIA_TYPE: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// The link relation FEP-e232 object links of quotes carry (Misskey's `_misskey_quote` term).
pub const QUOTE_LINK_REL: &str = "https://misskey-hub.net/ns#_misskey_quote";

/// Media types that mark an FEP-e232 object link.
const OBJECT_LINK_MEDIA_TYPES: &[&str] = &[
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    "application/activity+json",
];

/// Whether `media_type` marks an ActivityStreams object link (FEP-e232).
#[must_use]
pub fn is_object_link_media_type(media_type: &str) -> bool {
    OBJECT_LINK_MEDIA_TYPES.contains(&media_type)
}

impl Object<'_> {
    /// Every quote reference, in precedence order: `quote`, `quoteUrl`, `quoteUri`,
    /// `_misskey_quote`, then FEP-e232 object links in `tag`.
    #[must_use]
    pub fn quotes(&self) -> Vec<(QuoteSource, &str)> {
        let mut found: Vec<(QuoteSource, &str)> = [
            (QuoteSource::Quote, first_id(self.quote())),
            (QuoteSource::QuoteUrl, first_id(self.quote_url())),
            (QuoteSource::QuoteUri, first_id(self.quote_uri())),
            (QuoteSource::MisskeyQuote, first_id(self.misskey_quote())),
        ]
        .into_iter()
        .filter_map(|(source, id)| Some((source, id?)))
        .collect();
        let links = self
            .tag()
            .into_iter()
            .flat_map(crate::Prop::iter)
            .filter_map(crate::Ref::as_object)
            .filter(|t| t.is_link())
            .filter(|t| {
                t.media_type()
                    .and_then(crate::Prop::first)
                    .and_then(crate::Text::as_str)
                    .is_some_and(is_object_link_media_type)
            })
            .filter_map(Object::href_str);
        found.extend(links.map(|href| (QuoteSource::ObjectLink, href)));
        found
    }

    /// The quoted post's id, by the precedence of [`Object::quotes`].
    #[must_use]
    pub fn quoted_id(&self) -> Option<&str> {
        self.quotes().first().map(|(_, id)| *id)
    }
}

/// Writing quote markers: each form [`Object::quotes`] reads.
impl<'a> ObjectBuilder<'a> {
    /// Sets `quote` (FEP-044f, Mastodon 4.4 and later): the quoted post, an IRI or embedded.
    pub fn quote(self, post: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::Quote, post.into())
    }

    /// Sets `quoteUrl` (`as:quoteUrl`: Misskey, Akkoma, BridgyFed).
    pub fn quote_url(self, post: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::QuoteUrl, post.into())
    }

    /// Sets `quoteUri` (Fedibird).
    pub fn quote_uri(self, post: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::QuoteUri, post.into())
    }

    /// Sets `_misskey_quote` (Misskey).
    pub fn misskey_quote(self, post: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::MisskeyQuote, post.into())
    }

    /// Sets `quoteAuthorization` (FEP-044f: the stamp by which the quoted author approved the
    /// quote).
    pub fn quote_authorization(self, stamp: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::QuoteAuthorization, stamp.into())
    }

    /// Adds an FEP-e232 object link to `tag`:
    /// `{"type":"Link","mediaType":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"..."}`
    /// ([`OBJECT_LINK_MEDIA_TYPE`]), which [`Object::quotes`] reads as
    /// [`QuoteSource::ObjectLink`].
    pub fn object_link(self, href: impl Into<Str<'a>>) -> Self {
        let link = ObjectBuilder::new(Kind::Link)
            .media_type(OBJECT_LINK_MEDIA_TYPE)
            .href(href)
            .build();
        self.tag(link)
    }

    /// Adds an FEP-e232 object link with a link relation (`rel`) to `tag`, for example
    /// [`QUOTE_LINK_REL`] for a quote. Several relations: add more with a `rel` array
    /// built in code and [`ObjectBuilder::tag`].
    pub fn object_link_rel(self, href: impl Into<Str<'a>>, rel: impl Into<Str<'a>>) -> Self {
        let link = ObjectBuilder::new(Kind::Link)
            .media_type(OBJECT_LINK_MEDIA_TYPE)
            .href(href)
            .text(Term::Rel, rel.into())
            .build();
        self.tag(link)
    }

    /// Marks the object as a quote of `post` in every form other servers read: `quote`,
    /// `quoteUrl`, `quoteUri`, `_misskey_quote`, and an FEP-e232 object link with the
    /// [`QUOTE_LINK_REL`] relation in `tag`.
    ///
    /// ```
    /// use activitystreams_core::ext::quote::QuoteSource;
    /// use activitystreams_core::{Kind, ObjectBuilder};
    ///
    /// let note = ObjectBuilder::new(Kind::Note)
    ///     .content("<p>So true</p>")
    ///     .quoted_post("https://b.example/notes/1")
    ///     .build();
    /// assert_eq!(note.quoted_id(), Some("https://b.example/notes/1"));
    /// let sources: Vec<QuoteSource> = note.quotes().into_iter().map(|(source, _)| source).collect();
    /// assert_eq!(sources, [
    ///     QuoteSource::Quote,
    ///     QuoteSource::QuoteUrl,
    ///     QuoteSource::QuoteUri,
    ///     QuoteSource::MisskeyQuote,
    ///     QuoteSource::ObjectLink,
    /// ]);
    /// ```
    pub fn quoted_post(self, post: impl Into<Str<'a>>) -> Self {
        let post = post.into();
        self.quote(post.clone())
            .quote_url(post.clone())
            .quote_uri(post.clone())
            .misskey_quote(post.clone())
            .object_link_rel(post, QUOTE_LINK_REL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_quote_marker() {
        let o = Object::from_str(
            r#"{"type":"Note","_misskey_quote":"https://b/1","quoteUrl":"https://b/1",
            "tag":[{"type":"Link","mediaType":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://b/1"},
                   {"type":"Link","mediaType":"text/html","href":"https://b/page"}]}"#,
        )
        .unwrap();
        assert_eq!(
            o.quotes(),
            [
                (QuoteSource::QuoteUrl, "https://b/1"),
                (QuoteSource::MisskeyQuote, "https://b/1"),
                (QuoteSource::ObjectLink, "https://b/1")
            ]
        );
        assert_eq!(o.quoted_id(), Some("https://b/1"));
        let fep = Object::from_str(r#"{"quote":{"id":"https://c/2","type":"Note"}}"#).unwrap();
        assert_eq!(fep.quoted_id(), Some("https://c/2"));
        assert_eq!(Object::new().quoted_id(), None);
    }
}
