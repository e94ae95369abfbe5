//! [`Kind`]: the AS2 types (and the common extension types), recognised from a `type` value.

use crate::name_index::NameIndex;

/// The Activity Streams 2.0 namespace IRI.
pub const AS2_NAMESPACE: &str = "https://www.w3.org/ns/activitystreams#";

/// Broad family of a type, following the AS2 type hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// `Object` and its non-activity, non-actor, non-collection subtypes.
    Object,
    /// `Link` and its subtypes.
    Link,
    /// Activities that have an object (`Activity` and its subtypes).
    Activity,
    /// Activities without an object (`IntransitiveActivity`, `Arrive`, `Travel`, `Question`).
    IntransitiveActivity,
    /// Actor types.
    Actor,
    /// `Collection`, `OrderedCollection`.
    Collection,
    /// `CollectionPage`, `OrderedCollectionPage`.
    CollectionPage,
}

macro_rules! kinds {
    ($( $(#[doc = $doc:literal])* $variant:ident : $name:literal, $family:ident, $ext:literal; )*) => {
        /// A recognised type name.
        ///
        /// `type` values are matched exactly as the AS2 term (`Note`), as a compact IRI with
        /// the `as:` prefix (`as:Note`), or as the full IRI
        /// (`https://www.w3.org/ns/activitystreams#Note`, also with `http:`). Extension types
        /// are matched by their usual plain name only. Anything else is not a `Kind`: the raw
        /// string stays available from [`Object::types`](crate::Object::types).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Kind {
            $( $(#[doc = $doc])* $variant, )*
        }

        const NAMES: &[&str] = &[$($name),*];
        static INDEX: NameIndex = NameIndex::new(NAMES);

        impl Kind {
            /// Every kind, in table order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The type name as written in AS2 documents (`Note`, `Hashtag`, `Emoji`...).
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }

            /// The family in the type hierarchy.
            #[must_use]
            pub const fn family(self) -> Family {
                match self { $(Kind::$variant => Family::$family,)* }
            }

            /// Whether the type is an extension, not part of the AS2 vocabulary.
            #[must_use]
            pub const fn is_extension(self) -> bool {
                match self { $(Kind::$variant => $ext,)* }
            }
        }
    };
}

kinds! {
    /// `Object`: the base type.
    Object: "Object", Object, false;
    /// `Link`: a reference to a resource.
    Link: "Link", Link, false;
    /// `Activity`: the base activity type.
    Activity: "Activity", Activity, false;
    /// `IntransitiveActivity`: an activity without an object.
    IntransitiveActivity: "IntransitiveActivity", IntransitiveActivity, false;
    /// `Collection`.
    Collection: "Collection", Collection, false;
    /// `OrderedCollection`.
    OrderedCollection: "OrderedCollection", Collection, false;
    /// `CollectionPage`.
    CollectionPage: "CollectionPage", CollectionPage, false;
    /// `OrderedCollectionPage`.
    OrderedCollectionPage: "OrderedCollectionPage", CollectionPage, false;

    /// `Accept`.
    Accept: "Accept", Activity, false;
    /// `Add`.
    Add: "Add", Activity, false;
    /// `Announce` (a boost/reblog).
    Announce: "Announce", Activity, false;
    /// `Arrive`.
    Arrive: "Arrive", IntransitiveActivity, false;
    /// `Block`.
    Block: "Block", Activity, false;
    /// `Create`.
    Create: "Create", Activity, false;
    /// `Delete`.
    Delete: "Delete", Activity, false;
    /// `Dislike`.
    Dislike: "Dislike", Activity, false;
    /// `Flag` (a report).
    Flag: "Flag", Activity, false;
    /// `Follow`.
    Follow: "Follow", Activity, false;
    /// `Ignore`.
    Ignore: "Ignore", Activity, false;
    /// `Invite`.
    Invite: "Invite", Activity, false;
    /// `Join`.
    Join: "Join", Activity, false;
    /// `Leave`.
    Leave: "Leave", Activity, false;
    /// `Like`.
    Like: "Like", Activity, false;
    /// `Listen`.
    Listen: "Listen", Activity, false;
    /// `Move`.
    Move: "Move", Activity, false;
    /// `Offer`.
    Offer: "Offer", Activity, false;
    /// `Question` (a poll).
    Question: "Question", IntransitiveActivity, false;
    /// `Reject`.
    Reject: "Reject", Activity, false;
    /// `Read`.
    Read: "Read", Activity, false;
    /// `Remove`.
    Remove: "Remove", Activity, false;
    /// `TentativeReject`.
    TentativeReject: "TentativeReject", Activity, false;
    /// `TentativeAccept`.
    TentativeAccept: "TentativeAccept", Activity, false;
    /// `Travel`.
    Travel: "Travel", IntransitiveActivity, false;
    /// `Undo`.
    Undo: "Undo", Activity, false;
    /// `Update`.
    Update: "Update", Activity, false;
    /// `View`.
    View: "View", Activity, false;

    /// `Application`.
    Application: "Application", Actor, false;
    /// `Group`.
    Group: "Group", Actor, false;
    /// `Organization`.
    Organization: "Organization", Actor, false;
    /// `Person`.
    Person: "Person", Actor, false;
    /// `Service`.
    Service: "Service", Actor, false;

    /// `Article`.
    Article: "Article", Object, false;
    /// `Audio`.
    Audio: "Audio", Object, false;
    /// `Document`.
    Document: "Document", Object, false;
    /// `Event`.
    Event: "Event", Object, false;
    /// `Image`.
    Image: "Image", Object, false;
    /// `Note`.
    Note: "Note", Object, false;
    /// `Page`.
    Page: "Page", Object, false;
    /// `Place`.
    Place: "Place", Object, false;
    /// `Profile`.
    Profile: "Profile", Object, false;
    /// `Relationship`.
    Relationship: "Relationship", Object, false;
    /// `Tombstone`.
    Tombstone: "Tombstone", Object, false;
    /// `Video`.
    Video: "Video", Object, false;
    /// `Mention`: a Link to an actor.
    Mention: "Mention", Link, false;

    /// `as:Hashtag` (Mastodon and most servers).
    Hashtag: "Hashtag", Link, true;
    /// `toot:Emoji`: a custom emoji tag.
    Emoji: "Emoji", Object, true;
    /// `schema:PropertyValue`: a profile field.
    PropertyValue: "PropertyValue", Object, true;
    /// `toot:IdentityProof`.
    IdentityProof: "IdentityProof", Object, true;
    /// `EmojiReact` (Pleroma/Akkoma/Misskey reactions).
    EmojiReact: "EmojiReact", Activity, true;
    /// `ChatMessage` (Pleroma chats).
    ChatMessage: "ChatMessage", Object, true;
    /// `QuoteRequest` (FEP-044f).
    QuoteRequest: "QuoteRequest", Activity, true;
    /// `QuoteAuthorization` (FEP-044f).
    QuoteAuthorization: "QuoteAuthorization", Object, true;
}

impl Kind {
    /// Recognises a `type` string (see [`Kind`] for the accepted spellings).
    #[must_use]
    pub fn from_type(name: &str) -> Option<Kind> {
        let term = name
            .strip_prefix("as:")
            .or_else(|| name.strip_prefix(AS2_NAMESPACE))
            .or_else(|| name.strip_prefix("http://www.w3.org/ns/activitystreams#"))
            .unwrap_or(name);
        let kind = INDEX
            .find(NAMES, term)
            .and_then(|i| Kind::ALL.get(i).copied())?;
        // Prefixed spellings only name AS2 terms (plus the `as:Hashtag` extension).
        if term.len() != name.len() && kind.is_extension() && kind != Kind::Hashtag {
            return None;
        }
        Some(kind)
    }

    /// The method name used by [`dispatch`](crate::dispatch): the lower-cased type name.
    #[must_use]
    pub fn method_name(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// Whether the type is an activity (transitive or not).
    #[must_use]
    pub fn is_activity(self) -> bool {
        matches!(
            self.family(),
            Family::Activity | Family::IntransitiveActivity
        )
    }

    /// Whether the type is an actor type.
    #[must_use]
    pub fn is_actor(self) -> bool {
        self.family() == Family::Actor
    }

    /// Whether the type is `Link` or a subtype.
    #[must_use]
    pub fn is_link(self) -> bool {
        self.family() == Family::Link
    }

    /// Whether the type is a collection or a collection page (pages are collections too).
    #[must_use]
    pub fn is_collection(self) -> bool {
        matches!(self.family(), Family::Collection | Family::CollectionPage)
    }

    /// Whether the type is a collection page.
    #[must_use]
    pub fn is_collection_page(self) -> bool {
        self.family() == Family::CollectionPage
    }

    /// Whether the type is ordered (`OrderedCollection`, `OrderedCollectionPage`).
    #[must_use]
    pub fn is_ordered_collection(self) -> bool {
        matches!(self, Kind::OrderedCollection | Kind::OrderedCollectionPage)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_term_compact_and_full_spellings() {
        assert_eq!(Kind::from_type("Note"), Some(Kind::Note));
        assert_eq!(Kind::from_type("as:Note"), Some(Kind::Note));
        assert_eq!(
            Kind::from_type("https://www.w3.org/ns/activitystreams#Create"),
            Some(Kind::Create)
        );
        assert_eq!(
            Kind::from_type("http://www.w3.org/ns/activitystreams#Person"),
            Some(Kind::Person)
        );
        assert_eq!(Kind::from_type("as:Hashtag"), Some(Kind::Hashtag));
        assert_eq!(Kind::from_type("as:Emoji"), None);
        assert_eq!(Kind::from_type("note"), None);
        assert_eq!(Kind::from_type("gr:Location"), None);
    }

    #[test]
    fn every_name_round_trips() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_type(kind.name()), Some(*kind));
        }
    }

    #[test]
    fn hierarchy_predicates() {
        assert!(Kind::Question.is_activity());
        assert!(Kind::Travel.is_activity());
        assert!(!Kind::Note.is_activity());
        assert!(Kind::Mention.is_link() && Kind::Hashtag.is_link());
        assert!(Kind::OrderedCollectionPage.is_collection());
        assert!(Kind::OrderedCollectionPage.is_ordered_collection());
        assert!(!Kind::CollectionPage.is_ordered_collection());
        assert!(Kind::Service.is_actor());
        assert_eq!(Kind::TentativeAccept.method_name(), "tentativeaccept");
    }
}
