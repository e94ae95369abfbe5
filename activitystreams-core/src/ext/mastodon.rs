//! Mastodon's `toot:` vocabulary and `schema:PropertyValue` profile fields.

use super::{embedded, first_id, flag, single_str};
use crate::any::Any;
use crate::builder::ObjectBuilder;
use crate::kind::Kind;
use crate::object::Object;
use crate::prop::{Num, Prop, PropertyValue, Ref, Text};
use crate::string::Str;
use crate::vocab::Term;

/// A custom emoji (`toot:Emoji`), as found in `tag`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Emoji<'x, 'a> {
    object: &'x Object<'a>,
}

impl<'x, 'a> Emoji<'x, 'a> {
    /// Views `object` as an Emoji if its type is `Emoji`.
    #[must_use]
    pub fn from_object(object: &'x Object<'a>) -> Option<Self> {
        object.is(Kind::Emoji).then_some(Emoji { object })
    }

    /// The shortcode with colons, e.g. `:blobcat:`.
    #[must_use]
    pub fn shortcode(&self) -> Option<&'x str> {
        single_str(self.object.name())
    }

    /// The image URL (`icon.url`).
    #[must_use]
    pub fn image_url(&self) -> Option<&'x str> {
        embedded(self.object.icon())
            .next()
            .and_then(|icon| first_id(icon.url()))
    }

    /// The underlying object.
    #[must_use]
    pub fn object(&self) -> &'x Object<'a> {
        self.object
    }
}

/// A profile field (`schema:PropertyValue` in `attachment`): a name and an HTML value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileField<'x> {
    /// The field name.
    pub name: &'x str,
    /// The value (HTML).
    pub value: &'x str,
}

/// A focal point (`toot:focalPoint`): x and y from -1.0 (left/bottom) to 1.0 (right/top).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FocalPoint {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
}

impl<'a> Object<'a> {
    /// The custom emoji among the tags.
    pub fn emojis(&self) -> impl Iterator<Item = Emoji<'_, 'a>> {
        embedded(self.tag()).filter_map(Emoji::from_object)
    }

    /// The hashtag names among the tags (`#fedi`).
    pub fn hashtags(&self) -> impl Iterator<Item = &str> {
        embedded(self.tag())
            .filter(|t| t.is(Kind::Hashtag))
            .filter_map(|t| single_str(t.name()))
    }

    /// The `href` (actor id) of each Mention among the tags.
    pub fn mentions(&self) -> impl Iterator<Item = &str> {
        embedded(self.tag())
            .filter(|t| t.is(Kind::Mention))
            .filter_map(Object::href_str)
    }

    /// The profile fields (`PropertyValue` attachments) of an actor.
    pub fn profile_fields(&self) -> impl Iterator<Item = ProfileField<'_>> {
        embedded(self.attachment())
            .filter(|a| a.is(Kind::PropertyValue))
            .filter_map(|a| {
                Some(ProfileField {
                    name: single_str(a.name())?,
                    value: single_str(a.value())?,
                })
            })
    }

    /// Whether the content is marked sensitive (`sensitive`, or the compact key
    /// `as:sensitive`); `false` when absent.
    #[must_use]
    pub fn is_sensitive(&self) -> bool {
        flag(self.sensitive())
            .or_else(|| self.unknown("as:sensitive").and_then(crate::Any::as_bool))
            .unwrap_or(false)
    }

    /// `discoverable` as a boolean.
    #[must_use]
    pub fn is_discoverable(&self) -> Option<bool> {
        flag(self.discoverable())
    }

    /// `indexable` as a boolean.
    #[must_use]
    pub fn is_indexable(&self) -> Option<bool> {
        flag(self.indexable())
    }

    /// `memorial` as a boolean.
    #[must_use]
    pub fn is_memorial(&self) -> Option<bool> {
        flag(self.memorial())
    }

    /// `suspended` as a boolean.
    #[must_use]
    pub fn is_suspended(&self) -> Option<bool> {
        flag(self.suspended())
    }

    /// `manuallyApprovesFollowers` as a boolean.
    #[must_use]
    pub fn approves_followers_manually(&self) -> Option<bool> {
        flag(self.manually_approves_followers())
    }

    /// The id of the `featured` (pinned posts) collection.
    #[must_use]
    pub fn featured_id(&self) -> Option<&str> {
        first_id(self.featured())
    }

    /// The id of the `featuredTags` collection.
    #[must_use]
    pub fn featured_tags_id(&self) -> Option<&str> {
        first_id(self.featured_tags())
    }

    /// The `blurhash` string.
    #[must_use]
    pub fn blurhash_str(&self) -> Option<&str> {
        single_str(self.blurhash())
    }

    /// `focalPoint` when it is two numbers.
    #[must_use]
    pub fn focal_point_xy(&self) -> Option<FocalPoint> {
        match self.focal_point()?.as_slice() {
            [x, y] => Some(FocalPoint {
                x: x.as_f64()?,
                y: y.as_f64()?,
            }),
            _ => None,
        }
    }

    /// `votersCount` of a poll.
    #[must_use]
    pub fn voters(&self) -> Option<u64> {
        self.voters_count()
            .and_then(Prop::first)
            .and_then(Num::as_u64)
    }

    /// The `attributionDomains` strings.
    pub fn attribution_domain_names(&self) -> impl Iterator<Item = &str> {
        self.attribution_domains()
            .into_iter()
            .flat_map(Prop::iter)
            .filter_map(Text::as_str)
    }
}

/// Writing the terms read above (and the other `toot:` and `as:` extension terms of the
/// vocabulary). The tags and attachments are written as Mastodon writes them.
impl<'a> ObjectBuilder<'a> {
    /// Adds a custom emoji to `tag`:
    /// `{"type":"Emoji","name":":blobcat:","icon":{"type":"Image","url":"https://..."}}`, as
    /// [`Object::emojis`] reads it. For an `id`, an `updated` date or the image's `mediaType`,
    /// build the tag with `ObjectBuilder::new(Kind::Emoji)` and add it with
    /// [`ObjectBuilder::tag`].
    pub fn emoji(self, shortcode: impl Into<Str<'a>>, image_url: impl Into<Str<'a>>) -> Self {
        let icon = ObjectBuilder::new(Kind::Image)
            .url(image_url.into())
            .build();
        let emoji = ObjectBuilder::new(Kind::Emoji)
            .name(shortcode)
            .icon(icon)
            .build();
        self.tag(emoji)
    }

    /// Adds a hashtag to `tag`: `{"type":"Hashtag","href":"https://.../tags/fedi","name":"#fedi"}`,
    /// as [`Object::hashtags`] reads it.
    pub fn hashtag(self, name: impl Into<Str<'a>>, href: impl Into<Str<'a>>) -> Self {
        let tag = ObjectBuilder::new(Kind::Hashtag)
            .href(href)
            .name(name)
            .build();
        self.tag(tag)
    }

    /// Adds a mention to `tag`: `{"type":"Mention","href":"https://...","name":"@bob@b.example"}`,
    /// as [`Object::mentions`] reads it.
    pub fn mention(self, href: impl Into<Str<'a>>, name: impl Into<Str<'a>>) -> Self {
        let tag = ObjectBuilder::new(Kind::Mention)
            .href(href)
            .name(name)
            .build();
        self.tag(tag)
    }

    /// Adds a profile field to `attachment`:
    /// `{"type":"PropertyValue","name":"Website","value":"<a href=...>...</a>"}` (the value is
    /// HTML), as [`Object::profile_fields`] reads it.
    pub fn profile_field(self, name: impl Into<Str<'a>>, value: impl Into<Str<'a>>) -> Self {
        let field = ObjectBuilder::new(Kind::PropertyValue)
            .name(name)
            .text(Term::Value, value.into())
            .build();
        self.attachment(field)
    }

    /// Sets `featured` (`toot:featured`, the pinned posts collection; [`Object::featured_id`]).
    pub fn featured(self, collection: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::Featured, collection.into())
    }

    /// Sets `featuredTags` (`toot:featuredTags`; [`Object::featured_tags_id`]).
    pub fn featured_tags(self, collection: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::FeaturedTags, collection.into())
    }

    /// Sets `discoverable` (`toot:discoverable`; [`Object::is_discoverable`]).
    pub fn discoverable(self, discoverable: bool) -> Self {
        self.flag(Term::Discoverable, discoverable)
    }

    /// Sets `indexable` (`toot:indexable`; [`Object::is_indexable`]).
    pub fn indexable(self, indexable: bool) -> Self {
        self.flag(Term::Indexable, indexable)
    }

    /// Sets `suspended` (`toot:suspended`; [`Object::is_suspended`]).
    pub fn suspended(self, suspended: bool) -> Self {
        self.flag(Term::Suspended, suspended)
    }

    /// Sets `memorial` (`toot:memorial`; [`Object::is_memorial`]).
    pub fn memorial(self, memorial: bool) -> Self {
        self.flag(Term::Memorial, memorial)
    }

    /// Sets `manuallyApprovesFollowers` ([`Object::approves_followers_manually`]).
    pub fn manually_approves_followers(self, manually: bool) -> Self {
        self.flag(Term::ManuallyApprovesFollowers, manually)
    }

    /// Sets `blurhash` (`toot:blurhash` of a media attachment; [`Object::blurhash_str`]).
    pub fn blurhash(self, blurhash: impl Into<Str<'a>>) -> Self {
        self.text(Term::Blurhash, blurhash.into())
    }

    /// Sets `focalPoint` (`toot:focalPoint`: `[x, y]`, each from -1.0 to 1.0;
    /// [`Object::focal_point_xy`]). A coordinate that is not finite is written `null`, as
    /// serde_json writes such floats.
    pub fn focal_point(mut self, x: f64, y: f64) -> Self {
        let number =
            |f: f64| serde_json::Number::from_f64(f).map_or(Num::Other(Any::Null), Num::Number);
        self.set(
            Term::FocalPoint,
            PropertyValue::Num(Prop::Many(vec![number(x), number(y)])),
        );
        self
    }

    /// Sets `votersCount` (`toot:votersCount` of a poll; [`Object::voters`]).
    pub fn voters_count(mut self, voters: u64) -> Self {
        self.set(Term::VotersCount, PropertyValue::Num(voters.into()));
        self
    }

    /// Adds a domain to `attributionDomains` (`toot:attributionDomains`;
    /// [`Object::attribution_domain_names`]). Appends: the first call writes a single value,
    /// later calls make an array.
    pub fn attribution_domain(mut self, domain: impl Into<Str<'a>>) -> Self {
        self.push_text(Term::AttributionDomains, Text::String(domain.into()));
        self
    }

    /// Adds an identity to `alsoKnownAs` (`as:alsoKnownAs`, account migration). Appends: the
    /// first call writes a single value, later calls make an array.
    pub fn also_known_as(mut self, actor: impl Into<Ref<'a>>) -> Self {
        self.push_ref(Term::AlsoKnownAs, actor.into());
        self
    }

    /// Sets `movedTo` (`as:movedTo`: the account this actor moved to).
    pub fn moved_to(self, actor: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::MovedTo, actor.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mastodon_terms() {
        let o = Object::from_str(
            r##"{"type":"Note","sensitive":true,"tag":[
                {"type":"Emoji","name":":blob:","icon":{"type":"Image","url":"https://a/e.png"}},
                {"type":"Hashtag","name":"#fedi","href":"https://a/tags/fedi"},
                {"type":"Mention","name":"@b@c","href":"https://c/u/b"}],
              "attachment":[{"type":"Document","blurhash":"UBL_:rOpGG-;","focalPoint":[-0.5,0.25]},
                {"type":"PropertyValue","name":"Web","value":"<a href=\"https://a\">a</a>"}],
              "votersCount":7,"attributionDomains":["a.example","b.example"]}"##,
        )
        .unwrap();
        assert!(o.is_sensitive());
        let emoji = o.emojis().next().unwrap();
        assert_eq!(
            (emoji.shortcode(), emoji.image_url()),
            (Some(":blob:"), Some("https://a/e.png"))
        );
        assert_eq!(o.hashtags().collect::<Vec<_>>(), ["#fedi"]);
        assert_eq!(o.mentions().collect::<Vec<_>>(), ["https://c/u/b"]);
        let fields: Vec<_> = o.profile_fields().collect();
        assert_eq!(
            fields,
            [ProfileField {
                name: "Web",
                value: "<a href=\"https://a\">a</a>"
            }]
        );
        let doc = o
            .attachment()
            .unwrap()
            .first()
            .unwrap()
            .as_object()
            .unwrap();
        assert_eq!(doc.blurhash_str(), Some("UBL_:rOpGG-;"));
        assert_eq!(doc.focal_point_xy(), Some(FocalPoint { x: -0.5, y: 0.25 }));
        assert_eq!(o.voters(), Some(7));
        assert_eq!(
            o.attribution_domain_names().collect::<Vec<_>>(),
            ["a.example", "b.example"]
        );
    }

    #[test]
    fn compact_sensitive_key_is_honoured() {
        let o = Object::from_str(r#"{"as:sensitive":true}"#).unwrap();
        assert!(o.is_sensitive());
        assert!(!Object::new().is_sensitive());
    }
}
