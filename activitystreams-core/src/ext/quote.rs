//! Quote posts. Servers mark the quoted post in several ways; all are read here.

use super::first_id;
use crate::object::Object;

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
