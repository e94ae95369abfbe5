//! ActivityPub client-to-server and delivery rules, tested case by case. Each test quotes the
//! rule of the W3C ActivityPub Recommendation (23 January 2018) it checks.

use std::collections::HashMap;

use activitystreams_core::c2s::{
    BlindRecipients, DeliveryError, DeliveryLimits, Effect, Expansion, IdFor, InboxTarget,
    OutboxError, Ownership, UndoError, UpdateError, accept_outbox_post, apply_partial_update,
    check_required_properties, check_undo, check_update_origin, copy_addressing,
    delivery_recipients, forwarding_targets, group_by_shared_inbox, outbox_side_effects,
    same_origin, strip_blind, to_tombstone, wrap_in_create,
};
use activitystreams_core::{Kind, Object, PUBLIC};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

const ALICE: &str = "https://example.com/users/alice";

fn object(value: Value) -> Object<'static> {
    Object::from_value(value).expect("a JSON object")
}

/// A deterministic minting function that records what it minted ids for.
struct Mint {
    next: u32,
    minted: Vec<IdFor>,
}

impl Mint {
    fn new() -> Self {
        Mint {
            next: 0,
            minted: Vec::new(),
        }
    }
    fn mint(&mut self, what: IdFor) -> String {
        self.next += 1;
        self.minted.push(what);
        let prefix = match what {
            IdFor::Activity => "activities",
            _ => "objects",
        };
        format!("https://example.com/{prefix}/{}", self.next)
    }
}

fn post(value: Value) -> Result<activitystreams_core::c2s::OutboxPost<'static>, OutboxError> {
    let mut mint = Mint::new();
    accept_outbox_post(object(value), ALICE, &mut |w| mint.mint(w))
}

fn json_of(object: &Object<'_>) -> Value {
    object.to_value().unwrap()
}

// §6: "If an Activity is submitted with a value in the id property, servers MUST ignore this
// and generate a new id for the Activity."
#[test]
fn s6_client_sent_activity_id_is_ignored_and_a_new_one_minted() {
    let accepted = post(json!({
        "type": "Like", "id": "https://evil.example/likes/1",
        "actor": ALICE, "object": "https://example.org/notes/1"
    }))
    .unwrap();
    assert_eq!(
        accepted.activity.id(),
        Some("https://example.com/activities/1")
    );
    // "... MUST include the new id in the Location header."
    assert_eq!(accepted.location, "https://example.com/activities/1");
}

// §6.2.1: "The server MUST accept a valid [ActivityStreams] object that isn't a subtype of
// Activity in the POST request to the outbox. The server then MUST attach this object as the
// object of a Create Activity."
#[test]
fn s6_2_1_bare_object_is_wrapped_in_a_create() {
    let accepted = post(json!({"type": "Note", "content": "Ohai Christine!"})).unwrap();
    let create = &accepted.activity;
    assert!(create.is(Kind::Create));
    assert_eq!(create.actor_id(), Some(ALICE));
    let note = create.embedded_object().unwrap();
    assert!(note.is(Kind::Note));
    assert_eq!(note.content_in(None), Some("Ohai Christine!"));
}

// §6.2.1: "For non-transient objects, the server MUST attach an id to both the wrapping Create
// and its wrapped Object." (A client-sent object id is ignored too: the object is new.)
#[test]
fn s6_2_1_ids_attached_to_both_create_and_object() {
    let mut mint = Mint::new();
    let create = wrap_in_create(
        object(json!({"type": "Note", "id": "https://client.example/draft/7", "content": "x"})),
        ALICE,
        &mut |w| mint.mint(w),
    );
    assert_eq!(
        mint.minted,
        [IdFor::Object(Some(Kind::Note)), IdFor::Activity]
    );
    assert_eq!(create.id(), Some("https://example.com/activities/2"));
    assert_eq!(create.object_id(), Some("https://example.com/objects/1"));
}

// §6.2.1: "Any to, bto, cc, bcc, and audience properties specified on the object MUST be copied
// over to the new Create activity by the server." (The spec's example copies published too.)
#[test]
fn s6_2_1_addressing_of_the_object_is_copied_to_the_create() {
    let mut mint = Mint::new();
    let create = wrap_in_create(
        object(json!({
            "type": "Note", "content": "x", "published": "2015-02-10T15:04:55Z",
            "to": ["https://example.org/bob"], "bto": "https://example.org/carol",
            "cc": PUBLIC, "bcc": ["https://example.org/dave"], "audience": "https://example.org/group"
        })),
        ALICE,
        &mut |w| mint.mint(w),
    );
    let v = json_of(&create);
    assert_eq!(v["to"], json!(["https://example.org/bob"]));
    assert_eq!(v["bto"], json!(["https://example.org/carol"]));
    assert_eq!(v["cc"], json!([PUBLIC]));
    assert_eq!(v["bcc"], json!(["https://example.org/dave"]));
    assert_eq!(v["audience"], json!(["https://example.org/group"]));
    assert_eq!(v["published"], "2015-02-10T15:04:55Z");
}

// §6.2: "When a Create activity is posted, the actor of the activity SHOULD be copied onto the
// object's attributedTo field."
#[test]
fn s6_2_actor_is_copied_to_attributed_to() {
    let accepted =
        post(json!({"type": "Create", "actor": ALICE, "object": {"type": "Note", "content": "x"}}))
            .unwrap();
    assert_eq!(
        accepted
            .activity
            .embedded_object()
            .unwrap()
            .attributed_to_id(),
        Some(ALICE)
    );
    let bare = post(json!({"type": "Note", "content": "x"})).unwrap();
    assert_eq!(
        bare.activity.embedded_object().unwrap().attributed_to_id(),
        Some(ALICE)
    );
}

// §6.2: "a server SHOULD copy any recipients of the Create activity to its object upon initial
// distribution, and likewise with copying recipients from the object to the wrapping Create
// activity."
#[test]
fn s6_2_recipients_are_copied_both_ways() {
    let accepted = post(json!({
        "type": "Create", "actor": ALICE, "to": ["https://example.org/bob"],
        "object": {"type": "Note", "content": "x", "cc": ["https://example.org/carol"], "to": "https://example.org/bob"}
    }))
    .unwrap();
    let create = &accepted.activity;
    let note = create.embedded_object().unwrap();
    assert_eq!(
        create.to_ids().collect::<Vec<_>>(),
        ["https://example.org/bob"]
    );
    assert_eq!(
        create.cc_ids().collect::<Vec<_>>(),
        ["https://example.org/carol"]
    );
    assert_eq!(
        note.to_ids().collect::<Vec<_>>(),
        ["https://example.org/bob"],
        "no duplicate added"
    );
    assert_eq!(
        note.cc_ids().collect::<Vec<_>>(),
        ["https://example.org/carol"]
    );
}

// §6: "The server MUST remove the bto and/or bcc properties, if they exist, from the
// ActivityStreams object before delivery, but MUST utilize the addressing originally stored on
// the bto / bcc properties for determining recipients in delivery."
#[test]
fn s6_bto_and_bcc_are_removed_before_delivery_but_used_for_recipients() {
    let accepted = post(json!({
        "type": "Note", "content": "x", "to": "https://example.org/bob",
        "bto": "https://example.org/carol", "bcc": ["https://example.org/dave"]
    }))
    .unwrap();
    let delivered = json_of(&accepted.delivery);
    assert!(delivered.get("bto").is_none() && delivered.get("bcc").is_none());
    assert!(delivered["object"].get("bto").is_none() && delivered["object"].get("bcc").is_none());
    // Kept for the author's own copy.
    assert_eq!(
        accepted.activity.bto_ids().collect::<Vec<_>>(),
        ["https://example.org/carol"]
    );
    assert_eq!(
        accepted.blind.0,
        ["https://example.org/carol", "https://example.org/dave"]
    );
    let recipients = delivery_recipients(
        &accepted.delivery,
        &accepted.blind,
        &mut |_| Expansion::Actor,
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(
        recipients.actors,
        [
            "https://example.org/bob",
            "https://example.org/carol",
            "https://example.org/dave"
        ]
    );
}

// B.11: "since bto and bcc are only intended to be known/seen by the original author of the
// object/activity, servers should omit these properties during display as well."
#[test]
fn b11_blind_addressing_is_stripped_from_nested_objects_too() {
    let mut announce = object(json!({
        "type": "Announce", "bcc": "https://a/1",
        "object": {"type": "Note", "bto": ["https://a/2", "https://a/1"],
            "attachment": [{"type": "Document", "bcc": "https://a/3"}]},
        "x-extension": {"nested": {"bto": "https://a/4"}}
    }));
    let blind = strip_blind(&mut announce).unwrap();
    assert_eq!(
        blind.0,
        ["https://a/1", "https://a/2", "https://a/3", "https://a/4"]
    );
    let text = announce.to_json_string().unwrap();
    assert!(!text.contains("bto") && !text.contains("bcc"), "{text}");
}

// §6.1: "Clients submitting the following activities to an outbox MUST provide the object
// property in the activity: Create, Update, Delete, Follow, Add, Remove, Like, Block, Undo."
// Proposed erratum: "the list of activities that require an object property should include the
// Announce activity".
#[test]
fn s6_1_object_is_required_for_the_listed_activities() {
    for kind in [
        "Create", "Update", "Delete", "Follow", "Add", "Remove", "Like", "Block", "Undo",
        "Announce",
    ] {
        let activity = object(json!({"type": kind, "actor": ALICE, "target": "https://a/c"}));
        let err = check_required_properties(&activity).unwrap_err();
        assert_eq!(
            err,
            OutboxError::MissingObject {
                activity: Kind::from_type(kind).unwrap()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("a {kind} posted to an outbox must have an object")
        );
        let empty = object(json!({"type": kind, "object": [], "target": "https://a/c"}));
        assert!(
            check_required_properties(&empty).is_err(),
            "{kind} with an empty object array"
        );
    }
    for kind in ["Arrive", "Travel", "Question", "Offer", "Leave"] {
        let activity = object(json!({"type": kind, "actor": ALICE}));
        assert_eq!(check_required_properties(&activity), Ok(()), "{kind}");
    }
}

// §6.1: "Additionally, clients submitting the following activities to an outbox MUST also
// provide the target property: Add, Remove."
#[test]
fn s6_1_target_is_required_for_add_and_remove() {
    for kind in [Kind::Add, Kind::Remove] {
        let activity = object(json!({"type": kind.name(), "object": "https://a/n"}));
        assert_eq!(
            check_required_properties(&activity),
            Err(OutboxError::MissingTarget { activity: kind })
        );
    }
    let posted = post(json!({"type": "Add", "actor": ALICE, "object": "https://a/n"}));
    assert_eq!(
        posted.unwrap_err(),
        OutboxError::MissingTarget {
            activity: Kind::Add
        }
    );
}

// §6 (the posting actor is the authenticated owner of the outbox): an activity whose actor is
// someone else is refused; a missing actor is filled in.
#[test]
fn s6_activity_of_another_actor_is_refused() {
    let err = post(
        json!({"type": "Like", "actor": "https://evil.example/mallory", "object": "https://a/n"}),
    )
    .unwrap_err();
    assert!(matches!(err, OutboxError::ActorMismatch { .. }));
    let filled = post(json!({"type": "Like", "object": "https://a/n"})).unwrap();
    assert_eq!(filled.activity.actor_id(), Some(ALICE));
}

// §6.3.1: "any key value pair supplied is used to replace the existing value with the new value.
// This only applies to the top-level fields of the updated object. A special exception is for
// when the value is the json null type; this means that this field should be removed from the
// server's representation of the object."
#[test]
fn s6_3_1_partial_update_replaces_top_level_keys_and_null_removes() {
    let mut stored = object(json!({
        "id": "https://a/n/1", "type": "Note", "content": "old", "summary": "cw",
        "source": {"content": "old", "mediaType": "text/markdown"}, "x-ext": 1
    }));
    let patch = object(json!({
        "id": "https://a/n/1", "content": "new", "summary": null,
        "source": {"content": "new"}, "x-ext": null, "x-new": true
    }));
    apply_partial_update(&mut stored, patch).unwrap();
    assert_eq!(
        json_of(&stored),
        json!({
            "id": "https://a/n/1", "type": "Note", "content": "new",
            "source": {"content": "new"}, "x-new": true
        }),
        "source replaced whole (top-level only), summary and x-ext removed"
    );
    let other = object(json!({"id": "https://a/n/2", "content": "hijack"}));
    assert!(matches!(
        apply_partial_update(&mut stored, other),
        Err(UpdateError::IdMismatch { .. })
    ));
}

// §7.3: "The receiving server MUST take care to be sure that the Update is authorized to modify
// its object. At minimum, this may be done by ensuring that the Update and its object are of
// same origin."
#[test]
fn s7_3_update_and_object_must_share_an_origin() {
    let ok = object(
        json!({"type": "Update", "id": "https://a.example/u/1", "object": {"id": "https://a.example/n/1"}}),
    );
    assert_eq!(check_update_origin(&ok), Ok(()));
    let cross = object(
        json!({"type": "Update", "id": "https://evil.example/u/1", "object": "https://a.example/n/1"}),
    );
    assert!(matches!(
        check_update_origin(&cross),
        Err(UpdateError::CrossOrigin { .. })
    ));
    let no_object = object(json!({"type": "Update", "id": "https://a.example/u/1"}));
    assert_eq!(
        check_update_origin(&no_object),
        Err(UpdateError::MissingObjectId)
    );
    assert!(same_origin(
        "https://a.example/x",
        "https://a.example:443/y"
    ));
    assert!(!same_origin("https://a.example/x", "http://a.example/x"));
}

// §6.4: "the server MAY replace the object with a Tombstone of the object that will be displayed
// in activities which reference the deleted object." The spec's Tombstone keeps id, published
// and updated and adds deleted; AS2 defines formerType.
#[test]
fn s6_4_deleted_object_becomes_a_tombstone() {
    let note = object(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://example.com/~alice/note/72", "type": "Note", "content": "secret",
        "to": PUBLIC, "published": "2015-02-10T15:04:55Z", "updated": "2015-02-10T15:04:55Z"
    }));
    let tombstone = to_tombstone(&note, Utc.with_ymd_and_hms(2015, 2, 10, 15, 4, 55).unwrap());
    assert_eq!(
        json_of(&tombstone),
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "https://example.com/~alice/note/72", "type": "Tombstone", "formerType": "Note",
            "published": "2015-02-10T15:04:55Z", "updated": "2015-02-10T15:04:55Z",
            "deleted": "2015-02-10T15:04:55Z"
        })
    );
}

fn followers_resolver(collections: &HashMap<&str, Vec<&str>>) -> impl FnMut(&str) -> Expansion {
    move |id| match collections.get(id) {
        Some(members) => Expansion::Collection(members.iter().map(|m| (*m).to_owned()).collect()),
        None if id.contains("/unreachable") => Expansion::Skip,
        None => Expansion::Actor,
    }
}

// §7.1: "Targets for delivery are determined by checking the ActivityStreams audience targeting;
// namely, the to, bto, cc, bcc, and audience fields of the activity." ... "Servers MUST
// de-duplicate the final recipient list. Servers MUST also exclude actors from the list which
// are the same as the actor of the Activity being notified about."
#[test]
fn s7_1_recipients_from_all_five_fields_deduplicated_without_the_actor() {
    let activity = object(json!({
        "type": "Create", "actor": ALICE,
        "to": ["https://b/bob", {"id": "https://c/carol", "type": "Person"}],
        "cc": ["https://b/bob", ALICE], "audience": "https://d/dave",
        "bto": "https://e/erin", "bcc": ["https://f/frank", "https://b/unreachable/x"]
    }));
    let recipients = delivery_recipients(
        &activity,
        &BlindRecipients::default(),
        &mut followers_resolver(&HashMap::new()),
        DeliveryLimits::default(),
    )
    .unwrap();
    // In field order to, bto, cc, bcc, audience; bob once; alice (the actor) and the
    // unreachable id left out.
    assert_eq!(
        recipients.actors,
        [
            "https://b/bob",
            "https://c/carol",
            "https://e/erin",
            "https://f/frank",
            "https://d/dave"
        ]
    );
}

// §5.6: "Implementations MUST NOT deliver to the "public" special collection; it is not capable
// of receiving actual activities." ... "should be prepared to accept all three representations."
#[test]
fn s5_6_public_is_never_a_delivery_target_in_any_spelling() {
    let activity = object(json!({
        "type": "Create", "actor": ALICE,
        "to": [PUBLIC, "as:Public", "Public"], "cc": "https://b/bob"
    }));
    let mut asked = Vec::new();
    let recipients = delivery_recipients(
        &activity,
        &BlindRecipients::default(),
        &mut |id| {
            asked.push(id.to_owned());
            Expansion::Actor
        },
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(recipients.actors, ["https://b/bob"]);
    assert_eq!(asked, ["https://b/bob"], "Public is not even resolved");
}

// §7.1: "If a recipient is a Collection or OrderedCollection, then the server MUST dereference
// the collection (with the user's credentials) and discover inboxes for each item in the
// collection. Servers MUST limit the number of layers of indirections through collections which
// will be performed, which MAY be one."
#[test]
fn s7_1_collections_are_expanded_up_to_the_layer_limit() {
    let collections = HashMap::from([
        (
            "https://example.com/users/alice/followers",
            vec!["https://b/bob", "https://c/group/members", ALICE],
        ),
        (
            "https://c/group/members",
            vec!["https://c/carol", "https://b/bob"],
        ),
    ]);
    let activity = object(json!({
        "type": "Create", "actor": ALICE, "to": "https://example.com/users/alice/followers"
    }));
    let one_layer = delivery_recipients(
        &activity,
        &BlindRecipients::default(),
        &mut followers_resolver(&collections),
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(one_layer.actors, ["https://b/bob"]);
    assert_eq!(one_layer.unexpanded, ["https://c/group/members"]);

    let two_layers = delivery_recipients(
        &activity,
        &BlindRecipients::default(),
        &mut followers_resolver(&collections),
        DeliveryLimits::default().with_max_collection_depth(2),
    )
    .unwrap();
    assert_eq!(two_layers.actors, ["https://b/bob", "https://c/carol"]);
    assert!(two_layers.unexpanded.is_empty());
}

// §7.1 with a cycle between collections and the recipient limit: expansion terminates and the
// recipient list is bounded.
#[test]
fn s7_1_collection_cycles_terminate_and_recipients_are_bounded() {
    let collections = HashMap::from([
        ("https://a/c1", vec!["https://a/c2", "https://a/x"]),
        ("https://a/c2", vec!["https://a/c1", "https://a/y"]),
    ]);
    let activity = object(json!({"type": "Create", "actor": ALICE, "to": "https://a/c1"}));
    let limits = DeliveryLimits::default()
        .with_max_collection_depth(10)
        .with_max_recipients(100);
    let recipients = delivery_recipients(
        &activity,
        &BlindRecipients::default(),
        &mut followers_resolver(&collections),
        limits,
    )
    .unwrap();
    assert_eq!(recipients.actors, ["https://a/x", "https://a/y"]);

    let many: Vec<String> = (0..20).map(|i| format!("https://a/u{i}")).collect();
    let big = object(json!({"type": "Create", "actor": ALICE, "to": many}));
    let limits = DeliveryLimits::default()
        .with_max_collection_depth(1)
        .with_max_recipients(10);
    assert_eq!(
        delivery_recipients(
            &big,
            &BlindRecipients::default(),
            &mut |_| Expansion::Actor,
            limits
        ),
        Err(DeliveryError::TooManyRecipients { limit: 10 })
    );
}

// §6.9: "Servers SHOULD NOT deliver Block Activities to their object."
#[test]
fn s6_9_block_is_not_delivered_to_the_blocked_actor() {
    let block = object(json!({
        "type": "Block", "actor": ALICE, "object": "https://evil.example/mallory",
        "to": ["https://evil.example/mallory", "https://example.com/users/alice/moderators"]
    }));
    let recipients = delivery_recipients(
        &block,
        &BlindRecipients::default(),
        &mut |_| Expansion::Actor,
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(
        recipients.actors,
        ["https://example.com/users/alice/moderators"]
    );
}

// §7.1.3: "a server MAY reduce the number of receiving actors delivered to by identifying all
// followers which share the same sharedInbox who would otherwise be individual recipients and
// instead deliver objects to said sharedInbox." ... "MUST still deliver to actors ... which do
// not have a sharedInbox".
#[test]
fn s7_1_3_shared_inboxes_group_recipients() {
    let target = |actor: &str, inbox: &str, shared: Option<&str>| InboxTarget {
        actor: actor.into(),
        inbox: inbox.into(),
        shared_inbox: shared.map(Into::into),
    };
    let inboxes = group_by_shared_inbox(&[
        target(
            "https://b/u/1",
            "https://b/u/1/inbox",
            Some("https://b/inbox"),
        ),
        target("https://c/u/2", "https://c/u/2/inbox", None),
        target(
            "https://b/u/3",
            "https://b/u/3/inbox",
            Some("https://b/inbox"),
        ),
    ]);
    assert_eq!(inboxes, ["https://b/inbox", "https://c/u/2/inbox"]);
}

struct Server;

impl Ownership for Server {
    fn owns_collection(&self, id: &str) -> bool {
        id == "https://example.com/users/alice/followers"
    }
    fn owns_object(&self, id: &str) -> bool {
        id.starts_with("https://example.com/notes/")
    }
}

// §7.1.2: "the server MUST target and deliver to the values of to, cc, and/or audience if and
// only if all of the following are true: This is the first time the server has seen this
// Activity. The values of to, cc, and/or audience contain a Collection owned by the server. The
// values of inReplyTo, object, target and/or tag are objects owned by the server. The server
// SHOULD recurse through these values to look for linked objects owned by the server, and
// SHOULD set a maximum limit for recursion."
#[test]
fn s7_1_2_inbox_forwarding_conditions() {
    let reply = object(json!({
        "type": "Create", "actor": "https://b/bob",
        "to": ["https://example.com/users/alice/followers", "https://b/bob/followers"],
        "cc": "https://example.com/users/alice/followers",
        "object": {"type": "Note", "inReplyTo": "https://example.com/notes/1",
            "to": "https://b/new-addressee"}
    }));
    // All true: forward to the activity's own to/cc/audience (no new addressees picked up while
    // recursing), de-duplicated.
    assert_eq!(
        forwarding_targets(&reply, false, &Server, 2),
        Some(vec![
            "https://example.com/users/alice/followers".to_owned(),
            "https://b/bob/followers".to_owned()
        ])
    );
    // "This is the first time the server has seen this Activity."
    assert_eq!(forwarding_targets(&reply, true, &Server, 2), None);
    // The owned object is one level down: no recursion allowed, no forwarding.
    assert_eq!(forwarding_targets(&reply, false, &Server, 0), None);
    // "contain a Collection owned by the server"
    let not_to_us = object(
        json!({"type": "Create", "to": "https://b/bob/followers", "object": "https://example.com/notes/1"}),
    );
    assert_eq!(forwarding_targets(&not_to_us, false, &Server, 2), None);
    // "are objects owned by the server"
    let unrelated = object(
        json!({"type": "Create", "to": "https://example.com/users/alice/followers", "object": {"type": "Note", "inReplyTo": "https://c/notes/9"}}),
    );
    assert_eq!(forwarding_targets(&unrelated, false, &Server, 5), None);
}

// §6.10: "The undo activity and the activity being undone MUST both have the same actor." ...
// "Create based activities should instead use Delete, and Add activities should use Remove."
#[test]
fn s6_10_undo_rules() {
    let like = object(
        json!({"type": "Like", "id": "https://a/l/1", "actor": ALICE, "object": "https://b/n"}),
    );
    let undo = object(json!({"type": "Undo", "actor": ALICE, "object": "https://a/l/1"}));
    assert_eq!(check_undo(&undo, &like), Ok(()));
    let foreign = object(
        json!({"type": "Undo", "actor": "https://evil.example/m", "object": "https://a/l/1"}),
    );
    assert_eq!(check_undo(&foreign, &like), Err(UndoError::ActorMismatch));
    let create = object(
        json!({"type": "Create", "id": "https://a/c/1", "actor": ALICE, "object": "https://a/n"}),
    );
    let undo_create = object(
        json!({"type": "Undo", "actor": ALICE, "object": {"id": "https://a/c/1", "type": "Create"}}),
    );
    assert_eq!(check_undo(&undo_create, &create), Err(UndoError::UseDelete));
    let add = object(
        json!({"type": "Add", "id": "https://a/add/1", "actor": ALICE, "object": "https://a/n", "target": "https://a/c"}),
    );
    let undo_add = object(json!({"type": "Undo", "actor": ALICE, "object": "https://a/add/1"}));
    assert_eq!(check_undo(&undo_add, &add), Err(UndoError::UseRemove));
    assert_eq!(check_undo(&undo_add, &like), Err(UndoError::NotItsObject));
}

// §6.4–§6.10: the side effects of activities received in an outbox, as data.
#[test]
fn s6_outbox_side_effects_per_activity_type() {
    let effects = |value: Value| outbox_side_effects(&object(value));
    assert_eq!(
        effects(
            json!({"type": "Follow", "id": "https://a/f/1", "actor": ALICE, "object": "https://b/bob"})
        ),
        [Effect::PendingFollow {
            follow: "https://a/f/1".into(),
            object: "https://b/bob".into()
        }],
        "§6.5: following is only updated when an Accept arrives"
    );
    assert_eq!(
        effects(json!({"type": "Add", "object": "https://a/n", "target": "https://a/c"})),
        [Effect::AddToCollection {
            collection: "https://a/c".into(),
            item: "https://a/n".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Remove", "object": "https://a/n", "target": "https://a/c"})),
        [Effect::RemoveFromCollection {
            collection: "https://a/c".into(),
            item: "https://a/n".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Like", "object": "https://b/n"})),
        [Effect::AddToLiked {
            object: "https://b/n".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Block", "object": "https://b/m"})),
        [Effect::Block {
            object: "https://b/m".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Delete", "object": "https://a/n"})),
        [Effect::ReplaceWithTombstone {
            object: "https://a/n".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Update", "object": {"id": "https://a/n"}})),
        [Effect::UpdateObject {
            object: "https://a/n".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Undo", "object": "https://a/l/1"})),
        [Effect::Undo {
            activity: "https://a/l/1".into()
        }]
    );
    assert_eq!(
        effects(json!({"type": "Create", "object": "https://a/n"})),
        []
    );
}

fn keys(object: &Object<'_>) -> Vec<String> {
    object.keys().map(str::to_owned).collect()
}

// §6.2 copies recipients "from the object to the wrapping Create activity" and back;
// `copy_addressing` documents how: properties in the order to, bto, cc, bcc, audience, values in
// their order, an id `to` already has (or gains) added once, a value without id always added,
// values already there untouched, a missing property created as an array after the others.
#[test]
fn copy_addressing_appends_new_ids_in_order_once() {
    let from = Object::from_str(
        r#"{"audience":"https://g/1","to":["https://a/1","https://a/2","https://a/1",
            {"type":"Person"},{"type":"Person"}],"bcc":["https://a/1"],"cc":"https://a/3"}"#,
    )
    .unwrap();
    let mut to = Object::from_str(
        r#"{"type":"Create","cc":["https://a/3","https://a/3"],"x-ext":1,"to":null}"#,
    )
    .unwrap();
    copy_addressing(&from, &mut to);
    assert_eq!(keys(&to), ["type", "cc", "x-ext", "to", "bcc", "audience"]);
    assert_eq!(
        json_of(&to),
        json!({
            "type": "Create", "x-ext": 1,
            "to": ["https://a/1", "https://a/2", {"type": "Person"}, {"type": "Person"}],
            "cc": ["https://a/3", "https://a/3"],
            "bcc": ["https://a/1"],
            "audience": ["https://g/1"]
        })
    );
}

// §6.2 with a Create of several objects: the Create gains the recipients of every object (in
// object order), then each object gains the Create's recipients it lacks.
#[test]
fn s6_2_recipients_of_several_objects_are_merged_in_order() {
    let mut mint = Mint::new();
    let posted = Object::from_str(
        r#"{"type":"Create","actor":"https://example.com/users/alice","object":[
            {"type":"Note","cc":"https://b/2","to":"https://b/1"},
            {"type":"Note","audience":"https://b/4","to":["https://b/3","https://b/1"]}]}"#,
    )
    .unwrap();
    let accepted = accept_outbox_post(posted, ALICE, &mut |w| mint.mint(w)).unwrap();
    let create = &accepted.activity;
    assert_eq!(
        keys(create),
        ["type", "actor", "object", "id", "to", "cc", "audience"]
    );
    let v = json_of(create);
    assert_eq!(v["to"], json!(["https://b/1", "https://b/3"]));
    assert_eq!(v["cc"], json!(["https://b/2"]));
    assert_eq!(v["audience"], json!(["https://b/4"]));
    let notes = create.object().unwrap().as_slice();
    let first = notes[0].as_object().unwrap();
    assert_eq!(
        keys(first),
        ["type", "cc", "to", "id", "attributedTo", "audience"]
    );
    assert_eq!(v["object"][0]["to"], json!(["https://b/1", "https://b/3"]));
    assert_eq!(
        v["object"][0]["cc"], "https://b/2",
        "already there: left as written"
    );
    assert_eq!(v["object"][0]["audience"], json!(["https://b/4"]));
    let second = notes[1].as_object().unwrap();
    assert_eq!(
        keys(second),
        ["type", "audience", "to", "id", "attributedTo", "cc"]
    );
    assert_eq!(v["object"][1]["to"], json!(["https://b/3", "https://b/1"]));
    assert_eq!(v["object"][1]["cc"], json!(["https://b/2"]));
    assert_eq!(v["object"][1]["audience"], "https://b/4");
    let recipients = delivery_recipients(
        &accepted.delivery,
        &accepted.blind,
        &mut |_| Expansion::Actor,
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(
        recipients.actors,
        ["https://b/1", "https://b/3", "https://b/2", "https://b/4"]
    );
}

// `strip_blind`: "The ids that were in bto/bcc, in order of appearance, without duplicates":
// bto before bcc, an object before the objects embedded in it.
#[test]
fn strip_blind_lists_ids_in_order_of_appearance_once() {
    let mut activity = Object::from_str(
        r#"{"bcc":["https://a/3","https://a/1"],"type":"Create","bto":["https://a/1","https://a/2","https://a/1"],
            "object":{"bcc":"https://a/4","bto":["https://a/2","https://a/5"]}}"#,
    )
    .unwrap();
    let blind = strip_blind(&mut activity).unwrap();
    assert_eq!(
        blind.0,
        [
            "https://a/1",
            "https://a/2",
            "https://a/3",
            "https://a/5",
            "https://a/4"
        ]
    );
}

// §7.1: "Servers MUST de-duplicate the final recipient list"; `Recipients::actors` documents
// the order: first appearance, the addressed ids (then the blind ones) before the members of
// the collections among them. Each id is resolved once.
#[test]
fn s7_1_recipients_keep_the_order_of_first_appearance_across_layers() {
    let collections = HashMap::from([
        (
            "https://a/f1",
            vec!["https://b/2", "https://b/6", "https://b/7"],
        ),
        ("https://a/f2", vec!["https://b/7", "https://b/8"]),
    ]);
    let activity = object(json!({
        "type": "Create", "actor": ALICE,
        "to": ["https://a/f1", "https://b/1"], "cc": "https://b/2", "audience": "https://a/f2"
    }));
    let blind = BlindRecipients(vec!["https://b/5".into(), "https://b/1".into()]);
    let mut asked = Vec::new();
    let mut resolve = followers_resolver(&collections);
    let recipients = delivery_recipients(
        &activity,
        &blind,
        &mut |id| {
            asked.push(id.to_owned());
            resolve(id)
        },
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(
        recipients.actors,
        [
            "https://b/1",
            "https://b/2",
            "https://b/5",
            "https://b/6",
            "https://b/7",
            "https://b/8"
        ]
    );
    assert_eq!(
        asked,
        [
            "https://a/f1",
            "https://b/1",
            "https://b/2",
            "https://a/f2",
            "https://b/5",
            "https://b/6",
            "https://b/7",
            "https://b/8"
        ]
    );
}

// §6.3.1 on key order: a replaced key keeps its place, a removed one goes, a new one is added
// after the others in the order the patch gives; `null` for a key the object lacks changes
// nothing.
#[test]
fn s6_3_1_partial_update_keeps_the_order_of_keys() {
    let mut stored = Object::from_str(
        r#"{"id":"https://a/n/1","type":"Note","content":"old","summary":"cw","x-a":1,"x-b":2,"name":"n"}"#,
    )
    .unwrap();
    let patch = Object::from_str(
        r#"{"x-new":true,"x-b":null,"content":"new","id":"https://a/n/1","attachment":"https://a/att",
            "summary":null,"x-a":{"k":1},"x-gone":null}"#,
    )
    .unwrap();
    apply_partial_update(&mut stored, patch).unwrap();
    assert_eq!(
        keys(&stored),
        [
            "id",
            "type",
            "content",
            "x-a",
            "name",
            "x-new",
            "attachment"
        ]
    );
    assert_eq!(
        json_of(&stored),
        json!({"id": "https://a/n/1", "type": "Note", "content": "new", "x-a": {"k": 1},
            "name": "n", "x-new": true, "attachment": "https://a/att"})
    );
}

// §6.1 with several types: the first type (in order) missing a required property is reported,
// `object` checked before `target`.
#[test]
fn s6_1_the_first_type_missing_a_property_is_reported() {
    let none = object(json!({"type": ["Offer", "Add", "Create"]}));
    assert_eq!(
        check_required_properties(&none),
        Err(OutboxError::MissingObject {
            activity: Kind::Add
        })
    );
    let no_target = object(json!({"type": ["Create", "Remove", "Add"], "object": "https://a/n"}));
    assert_eq!(
        check_required_properties(&no_target),
        Err(OutboxError::MissingTarget {
            activity: Kind::Remove
        })
    );
}
