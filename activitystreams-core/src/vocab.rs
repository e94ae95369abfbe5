//! The property vocabulary: every term the parser recognises, with its element type,
//! cardinality and origin, and the typed getters and setters generated from that table.
//!
//! Recognised terms are stored typed ([`PropertyValue`]); every other key is kept as
//! [`Any`](crate::Any) under its exact name. Only exact key spellings are recognised (`"sensitive"`,
//! not `"as:sensitive"`), so a document written with compact IRIs as keys round-trips unchanged and
//! its values are still reachable through [`Object::get`].

use crate::any::Any;
use crate::name_index::NameIndex;
use crate::object::Object;
use crate::prop::{Flag, LangMap, Num, Prop, PropertyValue, Ref, Text, ValueKind};

/// Whether the spec allows a property one value (functional) or many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// Functional: at most one value.
    One,
    /// Non-functional: any number of values.
    Many,
}

/// The vocabulary a term comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Vocabulary {
    /// JSON-LD keywords (`@context`).
    JsonLd,
    /// Activity Streams 2.0 Core and Vocabulary.
    As2,
    /// ActivityPub (actor and collection properties).
    ActivityPub,
    /// `as:` terms that are not in the AS2 recommendation but are used by Mastodon and others
    /// (`sensitive`, `manuallyApprovesFollowers`, `alsoKnownAs`, `movedTo`).
    As2Extension,
    /// Mastodon's `toot:` namespace and the `schema:value` of `PropertyValue`.
    Mastodon,
    /// W3C security vocabulary v1 (`publicKey`) and Multikey (FEP-521a).
    Security,
    /// Quote posts: FEP-044f `quote`, Fedibird `quoteUri`, `quoteUrl`, Misskey `_misskey_quote`.
    Quote,
    /// GoToSocial interaction policies (`gts:` namespace).
    InteractionPolicy,
    /// Misskey (`misskey:` namespace).
    Misskey,
    /// Lemmy (`lemmy:` and `schema:` terms it uses).
    Lemmy,
}

macro_rules! vocabulary {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident : $name:literal, $kind:ident, $card:ident, $vocab:ident, $getter:ident, $setter:ident;
    )*) => {
        /// A recognised property name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Term {
            $( $(#[doc = $doc])* $variant, )*
        }

        const NAMES: &[&str] = &[$($name),*];
        static INDEX: NameIndex = NameIndex::new(NAMES);

        impl Term {
            /// Every term, in table order.
            pub const ALL: &'static [Term] = &[$(Term::$variant),*];

            /// The JSON key.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Term::$variant => $name,)* }
            }

            /// The element type its values are read as.
            #[must_use]
            pub const fn value_kind(self) -> ValueKind {
                match self { $(Term::$variant => ValueKind::$kind,)* }
            }

            /// Whether the spec allows one value or many.
            #[must_use]
            pub const fn cardinality(self) -> Cardinality {
                match self { $(Term::$variant => Cardinality::$card,)* }
            }

            /// The vocabulary that defines it.
            #[must_use]
            pub const fn vocabulary(self) -> Vocabulary {
                match self { $(Term::$variant => Vocabulary::$vocab,)* }
            }

            /// The key as written in JSON after a preceding member: `,"name":`. Without the
            /// leading comma for the first member.
            pub(crate) fn json_key_after_comma(self) -> &'static [u8] {
                const KEYS: &[&[u8]] = &[$(concat!(",\"", $name, "\":").as_bytes()),*];
                KEYS.get(self.index()).copied().unwrap_or_default()
            }
        }

        impl<'a> Object<'a> {
            $(
                $(#[doc = $doc])*
                ///
                #[doc = concat!("The raw value of `", $name, "` as written, if present.")]
                #[must_use]
                pub fn $getter(&self) -> Option<&Prop<$kind<'a>>> {
                    match self.get_term(Term::$variant) {
                        Some(PropertyValue::$kind(p)) => Some(p),
                        _ => None,
                    }
                }

                #[doc = concat!("Sets `", $name, "`, replacing any previous value.")]
                pub fn $setter(&mut self, value: impl Into<Prop<$kind<'a>>>) -> &mut Self {
                    self.set_term(Term::$variant, PropertyValue::$kind(value.into()));
                    self
                }
            )*
        }
    };
}

impl Term {
    /// The term with this exact JSON key.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Term> {
        INDEX
            .find(NAMES, name)
            .and_then(|i| Term::ALL.get(i).copied())
    }

    /// Position in [`Term::ALL`] (used for duplicate-key bookkeeping).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

vocabulary! {
    /// JSON-LD `@context`: a string, an object of term definitions, or an array of those.
    JsonLdContext: "@context", Any, Many, JsonLd, json_ld_context, set_json_ld_context;
    /// `id`: the object's unique global identifier (`null` marks an anonymous object).
    Id: "id", Text, One, As2, id_value, set_id;
    /// `type`: one or more type names (`Note`, `as:Note`, an extension IRI...).
    Type: "type", Text, Many, As2, type_value, set_type;

    /// `actor`: the actor(s) performing an activity.
    Actor: "actor", Ref, Many, As2, actor, set_actor;
    /// `attachment`: resources attached or related to an object.
    Attachment: "attachment", Ref, Many, As2, attachment, set_attachment;
    /// `attributedTo`: the entities to which the object is attributed.
    AttributedTo: "attributedTo", Ref, Many, As2, attributed_to, set_attributed_to;
    /// `audience`: the entities for which the object is considered relevant.
    Audience: "audience", Ref, Many, As2, audience, set_audience;
    /// `bcc`: private secondary audience (removed before delivery).
    Bcc: "bcc", Ref, Many, As2, bcc, set_bcc;
    /// `bto`: private primary audience (removed before delivery).
    Bto: "bto", Ref, Many, As2, bto, set_bto;
    /// `cc`: public secondary audience.
    Cc: "cc", Ref, Many, As2, cc, set_cc;
    /// `context`: the context within which the object exists (a conversation, a thread...).
    Context: "context", Ref, Many, As2, context, set_context;
    /// `current`: in a paged collection, the page with the most recently updated items.
    Current: "current", Ref, One, As2, current, set_current;
    /// `first`: in a paged collection, the first page.
    First: "first", Ref, One, As2, first, set_first;
    /// `generator`: the entity that generated the object.
    Generator: "generator", Ref, Many, As2, generator, set_generator;
    /// `icon`: icons (1:1 images) for the object.
    Icon: "icon", Ref, Many, As2, icon, set_icon;
    /// `image`: images for the object.
    Image: "image", Ref, Many, As2, image, set_image;
    /// `inReplyTo`: the objects this object is a response to.
    InReplyTo: "inReplyTo", Ref, Many, As2, in_reply_to, set_in_reply_to;
    /// `instrument`: objects used to perform an activity.
    Instrument: "instrument", Ref, Many, As2, instrument, set_instrument;
    /// `last`: in a paged collection, the last page.
    Last: "last", Ref, One, As2, last, set_last;
    /// `location`: physical or logical locations associated with the object.
    Location: "location", Ref, Many, As2, location, set_location;
    /// `items`: the members of an (unordered) collection.
    Items: "items", Ref, Many, As2, items, set_items;
    /// `orderedItems`: the members of an ordered collection, in order.
    OrderedItems: "orderedItems", Ref, Many, As2, ordered_items, set_ordered_items;
    /// `oneOf`: exclusive options of a Question.
    OneOf: "oneOf", Ref, Many, As2, one_of, set_one_of;
    /// `anyOf`: inclusive options of a Question.
    AnyOf: "anyOf", Ref, Many, As2, any_of, set_any_of;
    /// `closed`: that a Question has ended (a date-time, a boolean, or an object).
    Closed: "closed", Any, Many, As2, closed, set_closed;
    /// `origin`: where the object of an activity came from.
    Origin: "origin", Ref, Many, As2, origin, set_origin;
    /// `next`: in a paged collection, the next page.
    Next: "next", Ref, One, As2, next, set_next;
    /// `object`: the direct object(s) of an activity; for a Relationship, its object.
    Object: "object", Ref, Many, As2, object, set_object;
    /// `prev`: in a paged collection, the previous page.
    Prev: "prev", Ref, One, As2, prev, set_prev;
    /// `preview`: previews of the object.
    Preview: "preview", Ref, Many, As2, preview, set_preview;
    /// `result`: the result(s) of an activity.
    Result: "result", Ref, Many, As2, result, set_result;
    /// `replies`: a collection of responses to the object.
    Replies: "replies", Ref, One, As2, replies, set_replies;
    /// `tag`: associated objects (mentions, hashtags, emoji, quote links...).
    Tag: "tag", Ref, Many, As2, tag, set_tag;
    /// `target`: the indirect object or target of an activity.
    Target: "target", Ref, Many, As2, target, set_target;
    /// `to`: public primary audience.
    To: "to", Ref, Many, As2, to, set_to;
    /// `url`: links to representations of the object.
    Url: "url", Ref, Many, As2, url, set_url;
    /// `accuracy`: accuracy of position coordinates, in percent.
    Accuracy: "accuracy", Num, One, As2, accuracy, set_accuracy;
    /// `altitude`: altitude of a place.
    Altitude: "altitude", Num, One, As2, altitude, set_altitude;
    /// `content`: the content (HTML by default).
    Content: "content", Text, Many, As2, content, set_content;
    /// `contentMap`: the content by language.
    ContentMap: "contentMap", LangMap, One, As2, content_map, set_content_map;
    /// `name`: a plain-text name.
    Name: "name", Text, Many, As2, name, set_name;
    /// `nameMap`: the name by language.
    NameMap: "nameMap", LangMap, One, As2, name_map, set_name_map;
    /// `duration`: an `xsd:duration` for time-bound resources.
    Duration: "duration", Text, One, As2, duration, set_duration;
    /// `height`: a Link's or media's height in pixels.
    Height: "height", Num, One, As2, height, set_height;
    /// `href`: the target IRI of a Link.
    Href: "href", Text, One, As2, href, set_href;
    /// `hreflang`: the language of a Link's target (BCP 47).
    Hreflang: "hreflang", Text, One, As2, hreflang, set_hreflang;
    /// `partOf`: the collection a page belongs to.
    PartOf: "partOf", Ref, One, As2, part_of, set_part_of;
    /// `latitude`: latitude of a place.
    Latitude: "latitude", Num, One, As2, latitude, set_latitude;
    /// `longitude`: longitude of a place.
    Longitude: "longitude", Num, One, As2, longitude, set_longitude;
    /// `mediaType`: MIME type of the content or of a Link's target.
    MediaType: "mediaType", Text, One, As2, media_type, set_media_type;
    /// `endTime`: when the object concludes.
    EndTime: "endTime", Text, One, As2, end_time, set_end_time;
    /// `published`: when the object was published.
    Published: "published", Text, One, As2, published, set_published;
    /// `radius`: radius of a place.
    Radius: "radius", Num, One, As2, radius, set_radius;
    /// `rel`: link relations of a Link.
    Rel: "rel", Text, Many, As2, rel, set_rel;
    /// `startIndex`: index of the first item of an ordered page.
    StartIndex: "startIndex", Num, One, As2, start_index, set_start_index;
    /// `startTime`: when the object starts.
    StartTime: "startTime", Text, One, As2, start_time, set_start_time;
    /// `summary`: a summary (HTML by default); Mastodon's content warning.
    Summary: "summary", Text, Many, As2, summary, set_summary;
    /// `summaryMap`: the summary by language.
    SummaryMap: "summaryMap", LangMap, One, As2, summary_map, set_summary_map;
    /// `totalItems`: number of items in a collection.
    TotalItems: "totalItems", Num, One, As2, total_items, set_total_items;
    /// `units`: units of `radius` and `altitude`.
    Units: "units", Text, One, As2, units, set_units;
    /// `updated`: when the object was last updated.
    Updated: "updated", Text, One, As2, updated, set_updated;
    /// `width`: a Link's or media's width in pixels.
    Width: "width", Num, One, As2, width, set_width;
    /// `subject`: the subject of a Relationship.
    Subject: "subject", Ref, One, As2, subject, set_subject;
    /// `relationship`: the kind of relationship of a Relationship.
    Relationship: "relationship", Ref, Many, As2, relationship, set_relationship;
    /// `describes`: the object a Profile describes.
    Describes: "describes", Ref, One, As2, describes, set_describes;
    /// `formerType`: the type(s) of a Tombstone's deleted object.
    FormerType: "formerType", Text, Many, As2, former_type, set_former_type;
    /// `deleted`: when a Tombstone's object was deleted.
    Deleted: "deleted", Text, One, As2, deleted, set_deleted;

    /// `inbox`: the actor's inbox (ActivityPub).
    Inbox: "inbox", Ref, One, ActivityPub, inbox, set_inbox;
    /// `outbox`: the actor's outbox (ActivityPub).
    Outbox: "outbox", Ref, One, ActivityPub, outbox, set_outbox;
    /// `following`: the actors this actor follows (ActivityPub).
    Following: "following", Ref, One, ActivityPub, following, set_following;
    /// `followers`: the actors following this actor (ActivityPub).
    Followers: "followers", Ref, One, ActivityPub, followers, set_followers;
    /// `liked`: objects this actor liked (ActivityPub).
    Liked: "liked", Ref, One, ActivityPub, liked, set_liked;
    /// `likes`: Like activities with this object as their object (ActivityPub).
    Likes: "likes", Ref, One, ActivityPub, likes, set_likes;
    /// `shares`: Announce activities with this object as their object (ActivityPub).
    Shares: "shares", Ref, One, ActivityPub, shares, set_shares;
    /// `streams`: supplementary collections of the actor (ActivityPub).
    Streams: "streams", Ref, Many, ActivityPub, streams, set_streams;
    /// `preferredUsername`: a short username (ActivityPub).
    PreferredUsername: "preferredUsername", Text, One, ActivityPub, preferred_username, set_preferred_username;
    /// `preferredUsernameMap`: the username by language (ActivityPub).
    PreferredUsernameMap: "preferredUsernameMap", LangMap, One, ActivityPub, preferred_username_map, set_preferred_username_map;
    /// `endpoints`: an object of server-wide endpoints (ActivityPub).
    Endpoints: "endpoints", Ref, One, ActivityPub, endpoints, set_endpoints;
    /// `proxyUrl`: endpoint to fetch remote objects through the server (ActivityPub).
    ProxyUrl: "proxyUrl", Ref, One, ActivityPub, proxy_url, set_proxy_url;
    /// `oauthAuthorizationEndpoint`: OAuth 2.0 authorization endpoint (ActivityPub).
    OauthAuthorizationEndpoint: "oauthAuthorizationEndpoint", Ref, One, ActivityPub, oauth_authorization_endpoint, set_oauth_authorization_endpoint;
    /// `oauthTokenEndpoint`: OAuth 2.0 token endpoint (ActivityPub).
    OauthTokenEndpoint: "oauthTokenEndpoint", Ref, One, ActivityPub, oauth_token_endpoint, set_oauth_token_endpoint;
    /// `provideClientKey`: endpoint to authorize a client's key (ActivityPub).
    ProvideClientKey: "provideClientKey", Ref, One, ActivityPub, provide_client_key, set_provide_client_key;
    /// `signClientKey`: endpoint to sign a client's key (ActivityPub).
    SignClientKey: "signClientKey", Ref, One, ActivityPub, sign_client_key, set_sign_client_key;
    /// `sharedInbox`: a server-wide inbox for delivery to many actors (ActivityPub).
    SharedInbox: "sharedInbox", Ref, One, ActivityPub, shared_inbox, set_shared_inbox;
    /// `source`: the source the content was converted from (`content` + `mediaType`) (ActivityPub).
    Source: "source", Ref, One, ActivityPub, source, set_source;

    /// `as:sensitive`: the content needs a content warning.
    Sensitive: "sensitive", Flag, One, As2Extension, sensitive, set_sensitive;
    /// `as:manuallyApprovesFollowers`: follow requests need approval.
    ManuallyApprovesFollowers: "manuallyApprovesFollowers", Flag, One, As2Extension, manually_approves_followers, set_manually_approves_followers;
    /// `as:alsoKnownAs`: other identities of the actor (account migration).
    AlsoKnownAs: "alsoKnownAs", Ref, Many, As2Extension, also_known_as, set_also_known_as;
    /// `as:movedTo`: the account this actor moved to.
    MovedTo: "movedTo", Ref, One, As2Extension, moved_to, set_moved_to;

    /// `toot:featured`: the collection of pinned posts.
    Featured: "featured", Ref, One, Mastodon, featured, set_featured;
    /// `toot:featuredTags`: the collection of featured hashtags.
    FeaturedTags: "featuredTags", Ref, One, Mastodon, featured_tags, set_featured_tags;
    /// `toot:discoverable`: the actor opts in to discovery features.
    Discoverable: "discoverable", Flag, One, Mastodon, discoverable, set_discoverable;
    /// `toot:indexable`: the actor's posts may be indexed for search.
    Indexable: "indexable", Flag, One, Mastodon, indexable, set_indexable;
    /// `toot:blurhash`: a BlurHash placeholder of an image attachment.
    Blurhash: "blurhash", Text, One, Mastodon, blurhash, set_blurhash;
    /// `toot:focalPoint`: `[x, y]` focal point of an image, each in -1.0..=1.0.
    FocalPoint: "focalPoint", Num, Many, Mastodon, focal_point, set_focal_point;
    /// `toot:votersCount`: number of people who voted in a poll.
    VotersCount: "votersCount", Num, One, Mastodon, voters_count, set_voters_count;
    /// `toot:attributionDomains`: domains allowed to credit this actor as author.
    AttributionDomains: "attributionDomains", Text, Many, Mastodon, attribution_domains, set_attribution_domains;
    /// `toot:suspended`: the account is suspended.
    Suspended: "suspended", Flag, One, Mastodon, suspended, set_suspended;
    /// `toot:memorial`: the account is a memorial.
    Memorial: "memorial", Flag, One, Mastodon, memorial, set_memorial;
    /// `schema:value`: the value of a `PropertyValue` (profile field).
    Value: "value", Text, One, Mastodon, value, set_value;

    /// `sec:publicKey`: the actor's RSA key for HTTP signatures.
    PublicKey: "publicKey", Ref, Many, Security, public_key, set_public_key;
    /// `sec:owner`: the actor owning a key.
    Owner: "owner", Ref, One, Security, owner, set_owner;
    /// `sec:publicKeyPem`: a key in PEM (SPKI) form.
    PublicKeyPem: "publicKeyPem", Text, One, Security, public_key_pem, set_public_key_pem;
    /// `assertionMethod`: Multikey verification methods (FEP-521a).
    AssertionMethod: "assertionMethod", Ref, Many, Security, assertion_method, set_assertion_method;
    /// `controller`: the actor controlling a Multikey (FEP-521a).
    Controller: "controller", Ref, One, Security, controller, set_controller;
    /// `publicKeyMultibase`: a Multikey in multibase form (FEP-521a).
    PublicKeyMultibase: "publicKeyMultibase", Text, One, Security, public_key_multibase, set_public_key_multibase;

    /// `quote`: the quoted object (FEP-044f).
    Quote: "quote", Ref, One, Quote, quote, set_quote;
    /// `quoteUrl`: the quoted object (`as:quoteUrl`, Misskey/Akkoma/BridgyFed).
    QuoteUrl: "quoteUrl", Ref, One, Quote, quote_url, set_quote_url;
    /// `quoteUri`: the quoted object (Fedibird `fedibird:quoteUri`).
    QuoteUri: "quoteUri", Ref, One, Quote, quote_uri, set_quote_uri;
    /// `_misskey_quote`: the quoted object (Misskey).
    MisskeyQuote: "_misskey_quote", Ref, One, Quote, misskey_quote, set_misskey_quote;
    /// `quoteAuthorization`: the stamp approving a quote (FEP-044f).
    QuoteAuthorization: "quoteAuthorization", Ref, One, Quote, quote_authorization, set_quote_authorization;

    /// `gts:interactionPolicy`: who may like, reply to, announce or quote the object.
    InteractionPolicy: "interactionPolicy", Ref, One, InteractionPolicy, interaction_policy, set_interaction_policy;
    /// `gts:canLike`: the like rule of an interaction policy.
    CanLike: "canLike", Ref, One, InteractionPolicy, can_like, set_can_like;
    /// `gts:canReply`: the reply rule of an interaction policy.
    CanReply: "canReply", Ref, One, InteractionPolicy, can_reply, set_can_reply;
    /// `gts:canAnnounce`: the announce rule of an interaction policy.
    CanAnnounce: "canAnnounce", Ref, One, InteractionPolicy, can_announce, set_can_announce;
    /// `gts:canQuote`: the quote rule of an interaction policy.
    CanQuote: "canQuote", Ref, One, InteractionPolicy, can_quote, set_can_quote;
    /// `gts:always`: actors or collections allowed without approval (older GoToSocial form).
    Always: "always", Ref, Many, InteractionPolicy, always, set_always;
    /// `gts:approvalRequired`: actors or collections allowed after approval (older form).
    ApprovalRequired: "approvalRequired", Ref, Many, InteractionPolicy, approval_required, set_approval_required;
    /// `gts:automaticApproval`: actors or collections allowed without approval.
    AutomaticApproval: "automaticApproval", Ref, Many, InteractionPolicy, automatic_approval, set_automatic_approval;
    /// `gts:manualApproval`: actors or collections allowed after manual approval.
    ManualApproval: "manualApproval", Ref, Many, InteractionPolicy, manual_approval, set_manual_approval;
    /// `gts:approvedBy`: the authorization approving this interaction.
    ApprovedBy: "approvedBy", Ref, One, InteractionPolicy, approved_by, set_approved_by;

    /// `_misskey_content`: the MFM source of the content (Misskey).
    MisskeyContent: "_misskey_content", Text, One, Misskey, misskey_content, set_misskey_content;
    /// `_misskey_summary`: the MFM source of the summary (Misskey).
    MisskeySummary: "_misskey_summary", Text, One, Misskey, misskey_summary, set_misskey_summary;
    /// `isCat`: the account is a cat (Misskey).
    IsCat: "isCat", Flag, One, Misskey, is_cat, set_is_cat;

    /// `lemmy:stickied`: the post is pinned in its community.
    Stickied: "stickied", Flag, One, Lemmy, stickied, set_stickied;
    /// `lemmy:distinguished`: the comment is distinguished by a moderator.
    Distinguished: "distinguished", Flag, One, Lemmy, distinguished, set_distinguished;
    /// `lemmy:postingRestrictedToMods`: only moderators may post in the community.
    PostingRestrictedToMods: "postingRestrictedToMods", Flag, One, Lemmy, posting_restricted_to_mods, set_posting_restricted_to_mods;
    /// `lemmy:moderators`: the collection of a community's moderators.
    Moderators: "moderators", Ref, One, Lemmy, moderators, set_moderators;
    /// `schema:inLanguage` as Lemmy writes it: an object with `identifier` and `name`.
    Language: "language", Ref, One, Lemmy, language, set_language;
    /// `schema:identifier`: a language code inside Lemmy's `language`.
    Identifier: "identifier", Text, One, Lemmy, identifier, set_identifier;
    /// `lemmy:matrixUserId`: the user's Matrix id.
    MatrixUserId: "matrixUserId", Text, One, Lemmy, matrix_user_id, set_matrix_user_id;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_is_found_by_its_name() {
        for term in Term::ALL {
            assert_eq!(Term::from_name(term.name()), Some(*term), "{}", term.name());
            assert_eq!(
                term.json_key_after_comma(),
                format!(",\"{}\":", term.name()).as_bytes(),
                "{}",
                term.name()
            );
        }
        assert_eq!(Term::from_name("as:sensitive"), None);
        assert_eq!(Term::from_name("Type"), None);
    }

    #[test]
    fn positions_match_table_order() {
        for (i, term) in Term::ALL.iter().enumerate() {
            assert_eq!(term.index(), i);
        }
    }
}
