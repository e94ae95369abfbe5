//! Posting to an outbox (ActivityPub §6, §6.1, §6.2, §6.2.1).

use std::collections::HashSet;

use crate::access::ADDRESSING;
use crate::kind::Kind;
use crate::object::Object;
use crate::prop::{Prop, PropertyValue, Ref};
use crate::string::Str;
use crate::vocab::Term;

use super::delivery::{BlindRecipients, strip_blind};
use crate::normalize::TooDeep;

/// What a minted id is for, so the minting function can pick a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdFor {
    /// The activity.
    Activity,
    /// The object a Create brings into existence (its first type, if recognised).
    Object(Option<Kind>),
}

/// A property an outbox submission must have (ActivityPub §6.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// §6.1: "Clients submitting the following activities to an outbox MUST provide the object
    /// property in the activity: Create, Update, Delete, Follow, Add, Remove, Like, Block,
    /// Undo" (and Announce, per the proposed erratum).
    #[error("a {activity} posted to an outbox must have an object")]
    MissingObject {
        /// The activity type.
        activity: Kind,
    },
    /// §6.1: "clients submitting the following activities to an outbox MUST also provide the
    /// target property: Add, Remove".
    #[error("a {activity} posted to an outbox must have a target")]
    MissingTarget {
        /// The activity type.
        activity: Kind,
    },
    /// The activity names an actor other than the one posting.
    #[error("the activity's actor {found:?} is not the posting actor {expected:?}")]
    ActorMismatch {
        /// The posting actor.
        expected: String,
        /// The actor in the activity.
        found: String,
    },
    /// An embedded object nests deeper than the limit, so `bto`/`bcc` could not be removed
    /// everywhere.
    #[error(transparent)]
    TooDeep(#[from] TooDeep),
}

/// Activities that must carry an `object` when posted to an outbox (§6.1 plus the proposed
/// erratum adding Announce).
pub const OBJECT_REQUIRED: &[Kind] = &[
    Kind::Create,
    Kind::Update,
    Kind::Delete,
    Kind::Follow,
    Kind::Add,
    Kind::Remove,
    Kind::Like,
    Kind::Block,
    Kind::Undo,
    Kind::Announce,
];

/// Activities that must also carry a `target` (§6.1).
pub const TARGET_REQUIRED: &[Kind] = &[Kind::Add, Kind::Remove];

/// Checks the properties §6.1 requires of an activity posted to an outbox.
///
/// # Errors
/// [`OutboxError::MissingObject`] / [`OutboxError::MissingTarget`], naming the activity type.
pub fn check_required_properties(activity: &Object<'_>) -> Result<(), OutboxError> {
    // Looked up once, not once per type: `type` may list many.
    let has_object = activity.object().is_some_and(|p| !p.is_empty());
    let has_target = activity.target().is_some_and(|p| !p.is_empty());
    for kind in activity.kinds() {
        if !has_object && OBJECT_REQUIRED.contains(&kind) {
            return Err(OutboxError::MissingObject { activity: kind });
        }
        if !has_target && TARGET_REQUIRED.contains(&kind) {
            return Err(OutboxError::MissingTarget { activity: kind });
        }
    }
    Ok(())
}

/// Adds every value of `from`'s addressing properties to `to`'s, skipping values `to` already
/// has (compared by id).
///
/// Properties are visited in the order of [`ADDRESSING`] (`to`, `bto`, `cc`, `bcc`,
/// `audience`) and values in their order; each is appended unless `to` already has its id
/// (a value `to` gains counts, so a repeated id is added once; a value without an id, such as
/// an embedded object without `id`, is always added). Values already in `to` stay as they are,
/// duplicates included. A property `to` lacks is added after its other properties, as an
/// array. Time is linear in the sizes of both objects' addressing: ids are looked up in a hash
/// set.
pub fn copy_addressing<'a>(from: &Object<'a>, to: &mut Object<'a>) {
    merge_addressing(std::iter::once(from), to);
}

/// [`copy_addressing`] from each of `sources` in turn, with one set of known ids per property
/// for all of them (so merging many objects into one stays linear).
fn merge_addressing<'x, 'a: 'x>(
    sources: impl IntoIterator<Item = &'x Object<'a>>,
    to: &mut Object<'a>,
) {
    // What to append to each property, and the order in which properties first received
    // something (a property `to` lacks is created then, which fixes its position).
    let mut additions: [Vec<&'x Ref<'a>>; ADDRESSING.len()] = Default::default();
    let mut first_added: Vec<usize> = Vec::new();
    {
        let target: &Object<'a> = to;
        let mut known: [Option<HashSet<&str>>; ADDRESSING.len()] = Default::default();
        for source in sources {
            for (slot, term) in ADDRESSING.into_iter().enumerate() {
                let Some(PropertyValue::Ref(values)) = source.get_term(term) else {
                    continue;
                };
                if same_ids(values, target.get_term(term)) {
                    // Every value is already there (the usual case when a Create and its
                    // object were addressed alike): nothing to add, nothing to hash.
                    continue;
                }
                let (Some(known), Some(added)) = (known.get_mut(slot), additions.get_mut(slot))
                else {
                    continue;
                };
                for value in values.iter() {
                    if let Some(id) = value.id() {
                        let known = known.get_or_insert_with(|| {
                            let existing = target.ids_of(term);
                            let mut set = HashSet::with_capacity(
                                existing.size_hint().0.saturating_add(values.len()),
                            );
                            set.extend(existing);
                            set
                        });
                        if !known.insert(id) {
                            continue;
                        }
                    }
                    if added.is_empty() {
                        first_added.push(slot);
                    }
                    added.push(value);
                }
            }
        }
    }
    for slot in first_added {
        let (Some(term), Some(added)) = (ADDRESSING.get(slot), additions.get_mut(slot)) else {
            continue;
        };
        let values = std::mem::take(added).into_iter().cloned();
        match to.get_term_mut(*term) {
            Some(PropertyValue::Ref(existing)) => values.for_each(|value| existing.push(value)),
            _ => to.set_term(*term, PropertyValue::Ref(Prop::Many(values.collect()))),
        }
    }
}

/// Whether `values` has an id for every value and the same ids, in the same order, as `target`.
fn same_ids(values: &Prop<Ref<'_>>, target: Option<&PropertyValue<'_>>) -> bool {
    let Some(PropertyValue::Ref(target)) = target else {
        return false;
    };
    values.len() == target.len()
        && values
            .iter()
            .zip(target.iter())
            .all(|(a, b)| matches!((a.id(), b.id()), (Some(a), Some(b)) if a == b))
}

/// Wraps a bare object posted to an outbox in a Create (§6.2.1).
///
/// * "The server then MUST attach this object as the object of a Create Activity. For
///   non-transient objects, the server MUST attach an id to both the wrapping Create and its
///   wrapped Object": both get fresh ids from `mint`; an id the client sent is ignored (§6).
/// * "Any to, bto, cc, bcc, and audience properties specified on the object MUST be copied over
///   to the new Create activity"; the spec's example also copies `published`, and so does this.
/// * The object's `attributedTo` is set to `actor` (§6.2: "the actor of the activity SHOULD be
///   copied onto the object's attributedTo field").
/// * The Create's `@context` is the object's (moved up), or absent.
pub fn wrap_in_create<'a>(
    mut object: Object<'a>,
    actor: &str,
    mint: &mut dyn FnMut(IdFor) -> String,
) -> Object<'a> {
    let object_kind = object.kind();
    object.set_id(Str::owned(mint(IdFor::Object(object_kind))));
    object.set_attributed_to(Ref::from(actor.to_owned()));
    let mut create = Object::new();
    if let Some(context) = object.remove_term(Term::JsonLdContext) {
        create.set_term(Term::JsonLdContext, context);
    }
    create.set_id(Str::owned(mint(IdFor::Activity)));
    create.set_type(Kind::Create.name());
    create.set_actor(Ref::from(actor.to_owned()));
    copy_addressing(&object, &mut create);
    if let Some(published) = object.published().cloned() {
        create.set_published(published);
    }
    create.set_object(object);
    create
}

/// An activity accepted into an outbox: what to store and what to deliver.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxPost<'a> {
    /// The activity as stored for the author (with `bto`/`bcc`).
    pub activity: Object<'a>,
    /// The new activity id, for the `Location` header of the 201 response (§6: "MUST include
    /// the new id in the Location header").
    pub location: String,
    /// The activity to deliver and to show others: `bto`/`bcc` removed, nested objects included
    /// (§6, B.11).
    pub delivery: Object<'a>,
    /// The recipients removed from `bto`/`bcc`, still to be delivered to (§6: "MUST utilize the
    /// addressing originally stored on the bto / bcc properties for determining recipients").
    pub blind: BlindRecipients,
}

/// Processes a document POSTed to `actor`'s outbox, as §6–6.2.1 require:
///
/// 1. a non-activity is wrapped in a Create ([`wrap_in_create`]);
/// 2. an activity gets a fresh id (§6: "servers MUST ignore this and generate a new id"), and
///    for a Create its object a fresh id too (it is a new object);
/// 3. `actor` is set to the posting actor (an activity naming another actor is refused);
/// 4. a Create's object gets `attributedTo` = actor and addressing is copied both ways (§6.2:
///    each embedded object gets the Create's recipients, so with k objects the stored activity
///    holds up to k copies of the addressing);
/// 5. required `object`/`target` are checked (§6.1);
/// 6. `bto`/`bcc` are stripped from the copy to deliver, and kept for the author.
///
/// Time is linear in the size of the post and of the result (ids are de-duplicated with hash
/// sets, never by scanning).
///
/// # Errors
/// [`OutboxError`] for a missing property or a foreign actor.
pub fn accept_outbox_post<'a>(
    posted: Object<'a>,
    actor: &str,
    mint: &mut dyn FnMut(IdFor) -> String,
) -> Result<OutboxPost<'a>, OutboxError> {
    let mut activity = if posted.is_activity() {
        prepare_activity(posted, actor, mint)?
    } else {
        wrap_in_create(posted, actor, mint)
    };
    check_required_properties(&activity)?;
    if activity.is(Kind::Create) {
        attribute_and_address_created_objects(&mut activity, actor);
    }
    let location = activity.id().unwrap_or_default().to_owned();
    let mut delivery = activity.clone();
    let blind = strip_blind(&mut delivery)?;
    Ok(OutboxPost {
        activity,
        location,
        delivery,
        blind,
    })
}

fn prepare_activity<'a>(
    mut activity: Object<'a>,
    actor: &str,
    mint: &mut dyn FnMut(IdFor) -> String,
) -> Result<Object<'a>, OutboxError> {
    if let Some(found) = activity.actor_ids().find(|found| *found != actor) {
        return Err(OutboxError::ActorMismatch {
            expected: actor.to_owned(),
            found: found.to_owned(),
        });
    }
    activity.set_id(Str::owned(mint(IdFor::Activity)));
    activity.set_actor(Ref::from(actor.to_owned()));
    if activity.is(Kind::Create)
        && let Some(PropertyValue::Ref(objects)) = activity.get_term_mut(Term::Object)
    {
        for object in objects
            .as_mut_slice()
            .iter_mut()
            .filter_map(Ref::as_object_mut)
        {
            let kind = object.kind();
            object.set_id(Str::owned(mint(IdFor::Object(kind))));
        }
    }
    Ok(activity)
}

/// §6.2: attributedTo ← actor on each embedded object; addressing copied object → activity and
/// activity → object.
fn attribute_and_address_created_objects(create: &mut Object<'_>, actor: &str) {
    let mut objects = match create.get_term_mut(Term::Object) {
        Some(PropertyValue::Ref(objects)) => std::mem::take(objects),
        _ => return,
    };
    for object in objects
        .as_mut_slice()
        .iter_mut()
        .filter_map(Ref::as_object_mut)
    {
        if object.attributed_to().is_none_or(Prop::is_empty) {
            object.set_attributed_to(Ref::from(actor.to_owned()));
        }
    }
    merge_addressing(objects.iter().filter_map(Ref::as_object), create);
    for object in objects
        .as_mut_slice()
        .iter_mut()
        .filter_map(Ref::as_object_mut)
    {
        copy_addressing(create, object);
    }
    create.set_object(objects);
}
