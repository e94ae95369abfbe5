//! Extension vocabularies real servers use on top of AS2, typed and still lossless.
//!
//! The extension terms are recognised by the parser like AS2 terms (see
//! [`Vocabulary`](crate::Vocabulary) and the typed getters on `Object`, e.g.
//! [`Object::sensitive`](crate::Object::sensitive)); this module adds views and accessors that
//! read them the way their vocabularies define them:
//!
//! * [`mastodon`]: `toot:` terms (Emoji, featured, featuredTags, discoverable, indexable,
//!   sensitive, blurhash, focalPoint, votersCount, attributionDomains) and `PropertyValue`
//!   profile fields;
//! * [`security`]: security v1 `publicKey` and Multikey (FEP-521a) `assertionMethod`;
//! * [`quote`]: quote posts (FEP-044f `quote`, `quoteUrl`, Fedibird `quoteUri`, Misskey
//!   `_misskey_quote`, FEP-e232 object links);
//! * [`interaction_policy`]: GoToSocial's `interactionPolicy`;
//! * [`misskey`] and [`lemmy`]: the few terms of theirs that other servers read.
//!
//! Each module also adds the methods that write its terms to
//! [`ObjectBuilder`](crate::ObjectBuilder) (`emoji`, `hashtag`, `profile_field`, `featured`,
//! `focal_point`, `quote`, `quoted_post`, `object_link`, `can_reply`, `misskey_content`,
//! `public_key`, `language`...), so that what is written reads back through the views here.
//!
//! ```
//! use activitystreams_core::ext::quote::QuoteSource;
//! use activitystreams_core::{Kind, ObjectBuilder};
//!
//! let note = ObjectBuilder::new(Kind::Note)
//!     .content("<p>:blobcat: #fedi</p>")
//!     .emoji(":blobcat:", "https://a.example/emoji/blobcat.png")
//!     .hashtag("#fedi", "https://a.example/tags/fedi")
//!     .quote_url("https://b.example/notes/1")
//!     .misskey_content(":blobcat: #fedi")
//!     .sensitive(false)
//!     .build();
//! assert_eq!(note.emojis().next().and_then(|e| e.shortcode()), Some(":blobcat:"));
//! assert_eq!(note.hashtags().collect::<Vec<_>>(), ["#fedi"]);
//! assert_eq!(note.quotes(), [(QuoteSource::QuoteUrl, "https://b.example/notes/1")]);
//! assert_eq!(note.misskey_content_source(), Some(":blobcat: #fedi"));
//! ```

pub mod interaction_policy;
pub mod lemmy;
pub mod mastodon;
pub mod misskey;
pub mod quote;
pub mod security;

use crate::object::Object;
use crate::prop::{Flag, Prop, Ref, Text};

/// The boolean of a flag property.
fn flag(prop: Option<&Prop<Flag<'_>>>) -> Option<bool> {
    prop.and_then(Prop::first).and_then(Flag::as_bool)
}

/// The single string value of a text property.
fn single_str<'x>(prop: Option<&'x Prop<Text<'_>>>) -> Option<&'x str> {
    prop.and_then(Prop::first).and_then(Text::as_str)
}

/// The id of the first value of a reference property.
fn first_id<'x>(prop: Option<&'x Prop<Ref<'_>>>) -> Option<&'x str> {
    prop.and_then(Prop::first).and_then(Ref::id)
}

/// The embedded objects of a reference property.
fn embedded<'x, 'a>(prop: Option<&'x Prop<Ref<'a>>>) -> impl Iterator<Item = &'x Object<'a>> {
    prop.into_iter()
        .flat_map(Prop::iter)
        .filter_map(Ref::as_object)
}
