//! Builders for the extension terms: each writes the JSON the vocabulary (and the servers that
//! use it) write, and the crate's readers read back what was written. Where a real document of
//! `tests/data/real/` carries the term, the builder rebuilds it from the values read out of the
//! document and the result is compared with the document's own JSON.

use std::path::Path;

use activitystreams_core::ext::interaction_policy::{Approval, PolicyRule};
use activitystreams_core::ext::mastodon::{FocalPoint, ProfileField};
use activitystreams_core::ext::quote::{OBJECT_LINK_MEDIA_TYPE, QUOTE_LINK_REL, QuoteSource};
use activitystreams_core::ext::security::{Multikey, PublicKey};
use activitystreams_core::{Kind, Object, ObjectBuilder, PUBLIC};
use serde_json::{Value, json};

fn real(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/real")
            .join(name),
    )
    .expect("test document")
}

fn json_of(object: &Object<'_>) -> Value {
    object.to_value().expect("within the depth limit")
}

#[test]
fn mastodon_tags_and_attachments() {
    let note = ObjectBuilder::new(Kind::Note)
        .emoji(":blobcat:", "https://a.example/emoji/blobcat.png")
        .hashtag("#fedi", "https://a.example/tags/fedi")
        .mention("https://b.example/users/bob", "@bob@b.example")
        .profile_field("Website", "<a href=\"https://a.example\">a.example</a>")
        .build();
    assert_eq!(
        json_of(&note),
        json!({
            "type": "Note",
            "tag": [
                {"type": "Emoji", "name": ":blobcat:",
                 "icon": {"type": "Image", "url": "https://a.example/emoji/blobcat.png"}},
                {"type": "Hashtag", "href": "https://a.example/tags/fedi", "name": "#fedi"},
                {"type": "Mention", "href": "https://b.example/users/bob", "name": "@bob@b.example"}
            ],
            "attachment": {"type": "PropertyValue", "name": "Website",
                           "value": "<a href=\"https://a.example\">a.example</a>"}
        })
    );
    let emoji = note.emojis().next().expect("an emoji");
    assert_eq!(emoji.shortcode(), Some(":blobcat:"));
    assert_eq!(
        emoji.image_url(),
        Some("https://a.example/emoji/blobcat.png")
    );
    assert_eq!(note.hashtags().collect::<Vec<_>>(), ["#fedi"]);
    assert_eq!(
        note.mentions().collect::<Vec<_>>(),
        ["https://b.example/users/bob"]
    );
    assert_eq!(
        note.profile_fields().collect::<Vec<_>>(),
        [ProfileField {
            name: "Website",
            value: "<a href=\"https://a.example\">a.example</a>"
        }]
    );
    assert!(note.validate().is_empty(), "{:?}", note.validate());
}

#[test]
fn mastodon_flags_collections_and_media() {
    let actor = ObjectBuilder::new(Kind::Person)
        .featured("https://a.example/users/alice/collections/featured")
        .featured_tags("https://a.example/users/alice/collections/tags")
        .discoverable(true)
        .indexable(false)
        .suspended(false)
        .memorial(true)
        .manually_approves_followers(true)
        .attribution_domain("a.example")
        .attribution_domain("blog.a.example")
        .also_known_as("https://old.example/users/alice")
        .moved_to("https://new.example/users/alice")
        .sensitive(true)
        .build();
    assert_eq!(
        json_of(&actor),
        json!({
            "type": "Person",
            "featured": "https://a.example/users/alice/collections/featured",
            "featuredTags": "https://a.example/users/alice/collections/tags",
            "discoverable": true,
            "indexable": false,
            "suspended": false,
            "memorial": true,
            "manuallyApprovesFollowers": true,
            "attributionDomains": ["a.example", "blog.a.example"],
            "alsoKnownAs": "https://old.example/users/alice",
            "movedTo": "https://new.example/users/alice",
            "sensitive": true
        })
    );
    assert_eq!(
        actor.featured_id(),
        Some("https://a.example/users/alice/collections/featured")
    );
    assert_eq!(
        actor.featured_tags_id(),
        Some("https://a.example/users/alice/collections/tags")
    );
    assert_eq!(actor.is_discoverable(), Some(true));
    assert_eq!(actor.is_indexable(), Some(false));
    assert_eq!(actor.is_suspended(), Some(false));
    assert_eq!(actor.is_memorial(), Some(true));
    assert_eq!(actor.approves_followers_manually(), Some(true));
    assert_eq!(
        actor.attribution_domain_names().collect::<Vec<_>>(),
        ["a.example", "blog.a.example"]
    );
    assert!(actor.is_sensitive());

    let media = ObjectBuilder::new(Kind::Image)
        .blurhash("UBL_:rOpGG-;")
        .focal_point(-0.5, 0.25)
        .build();
    assert_eq!(
        json_of(&media),
        json!({"type": "Image", "blurhash": "UBL_:rOpGG-;", "focalPoint": [-0.5, 0.25]})
    );
    assert_eq!(media.blurhash_str(), Some("UBL_:rOpGG-;"));
    assert_eq!(
        media.focal_point_xy(),
        Some(FocalPoint { x: -0.5, y: 0.25 })
    );
    // Not a number in JSON: null, as serde_json writes it; the reader then finds no point.
    let odd = ObjectBuilder::new(Kind::Image)
        .focal_point(f64::NAN, 0.0)
        .build();
    assert_eq!(json_of(&odd)["focalPoint"], json!([null, 0.0]));
    assert_eq!(odd.focal_point_xy(), None);

    let poll = ObjectBuilder::new(Kind::Question).voters_count(7).build();
    assert_eq!(
        json_of(&poll),
        json!({"type": "Question", "votersCount": 7})
    );
    assert_eq!(poll.voters(), Some(7));
}

#[test]
fn misskey_terms() {
    let note = ObjectBuilder::new(Kind::Note)
        .misskey_content("**hi** :blob:")
        .misskey_summary("cw")
        .is_cat(true)
        .build();
    assert_eq!(
        json_of(&note),
        json!({"type": "Note", "_misskey_content": "**hi** :blob:", "_misskey_summary": "cw",
               "isCat": true})
    );
    assert_eq!(note.misskey_content_source(), Some("**hi** :blob:"));
    assert_eq!(note.misskey_summary_source(), Some("cw"));
    assert_eq!(note.is_cat_account(), Some(true));
}

#[test]
fn each_quote_marker_is_read_back() {
    let quoted = "https://b.example/notes/1";
    let cases: [(ObjectBuilder<'_>, QuoteSource, Value); 6] = [
        (
            ObjectBuilder::new(Kind::Note).quote(quoted),
            QuoteSource::Quote,
            json!({"type": "Note", "quote": quoted}),
        ),
        (
            ObjectBuilder::new(Kind::Note).quote_url(quoted),
            QuoteSource::QuoteUrl,
            json!({"type": "Note", "quoteUrl": quoted}),
        ),
        (
            ObjectBuilder::new(Kind::Note).quote_uri(quoted),
            QuoteSource::QuoteUri,
            json!({"type": "Note", "quoteUri": quoted}),
        ),
        (
            ObjectBuilder::new(Kind::Note).misskey_quote(quoted),
            QuoteSource::MisskeyQuote,
            json!({"type": "Note", "_misskey_quote": quoted}),
        ),
        (
            ObjectBuilder::new(Kind::Note).object_link(quoted),
            QuoteSource::ObjectLink,
            json!({"type": "Note", "tag": {"type": "Link",
                "mediaType": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                "href": quoted}}),
        ),
        (
            ObjectBuilder::new(Kind::Note).object_link_rel(quoted, QUOTE_LINK_REL),
            QuoteSource::ObjectLink,
            json!({"type": "Note", "tag": {"type": "Link",
                "mediaType": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                "href": quoted, "rel": "https://misskey-hub.net/ns#_misskey_quote"}}),
        ),
    ];
    for (builder, source, expected) in cases {
        let note = builder.build();
        assert_eq!(json_of(&note), expected, "{source:?}");
        assert_eq!(note.quotes(), [(source, quoted)], "{source:?}");
        assert!(note.validate().is_empty(), "{:?}", note.validate());
    }
    let stamped = ObjectBuilder::new(Kind::Note)
        .quote(quoted)
        .quote_authorization("https://b.example/stamps/1")
        .build();
    assert_eq!(
        json_of(&stamped)["quoteAuthorization"],
        "https://b.example/stamps/1"
    );
    let all = ObjectBuilder::new(Kind::Note).quoted_post(quoted).build();
    assert_eq!(
        all.quotes(),
        [
            (QuoteSource::Quote, quoted),
            (QuoteSource::QuoteUrl, quoted),
            (QuoteSource::QuoteUri, quoted),
            (QuoteSource::MisskeyQuote, quoted),
            (QuoteSource::ObjectLink, quoted),
        ]
    );
    assert_eq!(json_of(&all)["tag"]["rel"], QUOTE_LINK_REL);
}

#[test]
fn interaction_policy_rules() {
    let post = ObjectBuilder::new(Kind::Note)
        .can_like(PolicyRule {
            automatic: vec![PUBLIC],
            manual: vec![],
        })
        .can_reply(PolicyRule {
            automatic: vec!["https://a.example/users/alice/followers"],
            manual: vec![PUBLIC],
        })
        .can_announce(PolicyRule::default())
        .can_quote(PolicyRule {
            automatic: vec!["https://a.example/users/alice"],
            manual: vec![],
        })
        .approved_by("https://a.example/approvals/1")
        .build();
    assert_eq!(
        json_of(&post),
        json!({
            "type": "Note",
            "interactionPolicy": {
                "canLike": {"automaticApproval": [PUBLIC], "manualApproval": []},
                "canReply": {"automaticApproval": ["https://a.example/users/alice/followers"],
                             "manualApproval": [PUBLIC]},
                "canAnnounce": {"automaticApproval": [], "manualApproval": []},
                "canQuote": {"automaticApproval": ["https://a.example/users/alice"],
                             "manualApproval": []}
            },
            "approvedBy": "https://a.example/approvals/1"
        })
    );
    let policy = post.interaction_policy_view().expect("a policy");
    let reply = policy.can_reply().expect("canReply");
    assert_eq!(
        reply.approval_for(&["https://a.example/users/alice/followers"]),
        Approval::Automatic
    );
    assert_eq!(
        reply.approval_for(&["https://c.example/u"]),
        Approval::Manual
    );
    assert_eq!(
        policy
            .can_announce()
            .unwrap()
            .approval_for(&["https://c.example/u"]),
        Approval::Denied
    );
    // Setting a rule again replaces it in place.
    let again = ObjectBuilder::new(Kind::Note)
        .can_like(PolicyRule::default())
        .can_reply(PolicyRule::default())
        .can_like(PolicyRule {
            automatic: vec![PUBLIC],
            manual: vec![],
        })
        .build();
    let policy = json_of(&again)["interactionPolicy"].clone();
    assert_eq!(
        policy
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["canLike", "canReply"]
    );
    assert_eq!(policy["canLike"]["automaticApproval"], json!([PUBLIC]));
}

#[test]
fn lemmy_terms() {
    let post = ObjectBuilder::new(Kind::Page)
        .language("en", "English")
        .stickied(true)
        .distinguished(false)
        .matrix_user_id("@alice:matrix.example")
        .build();
    assert_eq!(
        json_of(&post),
        json!({"type": "Page", "language": {"identifier": "en", "name": "English"},
               "stickied": true, "distinguished": false, "matrixUserId": "@alice:matrix.example"})
    );
    assert_eq!(post.language_code(), Some("en"));
    assert_eq!(post.is_stickied(), Some(true));
    assert_eq!(post.is_distinguished(), Some(false));
    let group = ObjectBuilder::new(Kind::Group)
        .moderators("https://l.example/c/rust/moderators")
        .posting_restricted_to_mods(true)
        .build();
    assert_eq!(
        group.moderators_id(),
        Some("https://l.example/c/rust/moderators")
    );
    assert_eq!(group.is_posting_restricted_to_mods(), Some(true));
}

#[test]
fn keys() {
    let actor = ObjectBuilder::new(Kind::Person)
        .public_key(PublicKey {
            id: Some("https://a.example/u#main-key"),
            owner: Some("https://a.example/u"),
            pem: Some("-----BEGIN PUBLIC KEY-----\n..."),
        })
        .multikey(Multikey {
            id: Some("https://a.example/u#ed25519-key"),
            controller: Some("https://a.example/u"),
            public_key_multibase: Some("z6Mk"),
        })
        .build();
    assert_eq!(
        json_of(&actor),
        json!({
            "type": "Person",
            "publicKey": {"id": "https://a.example/u#main-key", "owner": "https://a.example/u",
                          "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n..."},
            "assertionMethod": {"type": "Multikey", "id": "https://a.example/u#ed25519-key",
                                "controller": "https://a.example/u", "publicKeyMultibase": "z6Mk"}
        })
    );
    let key = actor
        .public_key_by_id("https://a.example/u#main-key")
        .unwrap();
    assert_eq!(key.owner, Some("https://a.example/u"));
    assert_eq!(actor.multikeys()[0].public_key_multibase, Some("z6Mk"));
}

// Rebuilt from real documents.

#[test]
fn a_mastodon_actor_is_rebuilt_from_what_is_read() {
    let bytes = real("mastodon-person-activitypub-academy.json");
    let original = Object::from_slice(&bytes).unwrap();
    let expected = json_of(&original);
    let key = original.public_keys()[0];
    let rebuilt = ObjectBuilder::new(Kind::Person)
        .featured(original.featured_id().unwrap())
        .featured_tags(original.featured_tags_id().unwrap())
        .discoverable(original.is_discoverable().unwrap())
        .manually_approves_followers(original.approves_followers_manually().unwrap())
        .public_key(key)
        .build();
    let rebuilt = json_of(&rebuilt);
    for term in [
        "featured",
        "featuredTags",
        "discoverable",
        "manuallyApprovesFollowers",
        "publicKey",
    ] {
        assert_eq!(rebuilt[term], expected[term], "{term}");
    }
}

#[test]
fn a_bridgy_fed_profile_update_is_rebuilt_from_what_is_read() {
    let bytes = real("bridgyfed-granary-update-person.json");
    let update = Object::from_slice(&bytes).unwrap();
    let person = update.embedded_object().unwrap();
    let expected = json_of(person);
    let mut builder = ObjectBuilder::new(Kind::Person)
        .discoverable(person.is_discoverable().unwrap())
        .indexable(person.is_indexable().unwrap());
    for field in person.profile_fields() {
        builder = builder.profile_field(field.name, field.value);
    }
    // The document writes its one field as an array: so does a builder given it as one.
    let rebuilt = json_of(&builder.build());
    assert_eq!(rebuilt["discoverable"], expected["discoverable"]);
    assert_eq!(rebuilt["indexable"], expected["indexable"]);
    assert_eq!(json!([rebuilt["attachment"]]), expected["attachment"]);
}

#[test]
fn a_hollo_actor_keys_are_rebuilt_from_what_is_read() {
    let bytes = real("hollo-person-wizard-casa.json");
    let actor = Object::from_slice(&bytes).unwrap();
    let expected = json_of(&actor);
    let mut builder = ObjectBuilder::new(Kind::Person)
        .featured(actor.featured_id().unwrap())
        .public_key(actor.public_keys()[0]);
    let multikeys = actor.multikeys();
    assert_eq!(multikeys.len(), 2);
    for key in multikeys {
        builder = builder.multikey(key);
    }
    let rebuilt = json_of(&builder.build());
    for term in ["featured", "publicKey", "assertionMethod"] {
        assert_eq!(rebuilt[term], expected[term], "{term}");
    }
}

#[test]
fn a_bridgy_fed_quote_is_rebuilt_from_what_is_read() {
    let bytes = real("bridgyfed-granary-note-quote.json");
    let note = Object::from_slice(&bytes).unwrap();
    let note = note.embedded_object().unwrap_or(&note);
    let expected = json_of(note);
    let quotes = note.quotes();
    let id = |source| {
        quotes
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(_, id)| *id)
            .unwrap()
    };
    let rebuilt = json_of(
        &ObjectBuilder::new(Kind::Note)
            .quote_url(id(QuoteSource::QuoteUrl))
            .misskey_quote(id(QuoteSource::MisskeyQuote))
            .object_link(id(QuoteSource::ObjectLink))
            .build(),
    );
    assert_eq!(rebuilt["quoteUrl"], expected["quoteUrl"]);
    assert_eq!(rebuilt["_misskey_quote"], expected["_misskey_quote"]);
    // The document's link tag carries a name and a preview too; the link itself is the same.
    let link = expected["tag"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "Link")
        .unwrap();
    for key in ["type", "mediaType", "href"] {
        assert_eq!(rebuilt["tag"][key], link[key], "{key}");
    }
    assert_eq!(link["mediaType"], OBJECT_LINK_MEDIA_TYPE);
}

#[test]
fn a_video_attachment_is_rebuilt_from_what_is_read() {
    let bytes = real("bridgyfed-granary-note-video.json");
    let note = Object::from_slice(&bytes).unwrap();
    let expected = json_of(&note);
    let video = note
        .attachment()
        .unwrap()
        .first()
        .unwrap()
        .as_object()
        .unwrap();
    let rebuilt = ObjectBuilder::new(Kind::Document)
        .blurhash(video.blurhash_str().unwrap())
        .build();
    assert_eq!(
        json_of(&rebuilt)["blurhash"],
        expected["attachment"][0]["blurhash"]
    );
}
