//! Delivery: blind recipients (§6, B.11), recipient computation (§7.1), inbox forwarding
//! (§7.1.2) and shared inboxes (§7.1.3).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use crate::any::Any;
use crate::kind::Kind;
use crate::limits::MAX_DEPTH;
use crate::normalize::TooDeep;
use crate::object::{Entry, Object};
use crate::prop::{PropertyValue, Ref};
use crate::public::is_public;
use crate::vocab::Term;

/// The ids that were in `bto`/`bcc`, in order of appearance, without duplicates.
///
/// `Debug` shows the set of ids: `{"https://a.example/u/eve"}`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BlindRecipients(pub Vec<String>);

impl fmt::Debug for BlindRecipients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.0).finish()
    }
}

/// Removes `bto` and `bcc` from an object and from every object embedded in it, returning their
/// ids.
///
/// §6: "The server MUST remove the bto and/or bcc properties, if they exist, from the
/// ActivityStreams object before delivery, but MUST utilize the addressing originally stored on
/// the bto / bcc properties for determining recipients in delivery." B.11: "servers should omit
/// these properties during display as well" (nested objects included).
///
/// Ids are listed `bto` before `bcc`, an object before the objects inside it, each once (the
/// first time it appears), in time linear in the size of the object.
///
/// # Errors
/// [`TooDeep`] if an object built in code nests deeper than [`MAX_DEPTH`] (parsed documents
/// never do); the object must then not be delivered, as a deeper `bcc` may remain.
pub fn strip_blind(object: &mut Object<'_>) -> Result<BlindRecipients, TooDeep> {
    // Every id in order of appearance, then de-duplicated once (keeping first occurrences).
    let mut found = Vec::new();
    strip_object(object, &mut found, 0)?;
    Ok(BlindRecipients(dedup_keep_first(found)))
}

/// Removes repeated strings, keeping the first occurrence of each, in linear time.
fn dedup_keep_first(ids: Vec<String>) -> Vec<String> {
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(ids.len());
        ids.iter().map(|id| seen.insert(id.as_str())).collect()
    };
    ids.into_iter()
        .zip(keep)
        .filter_map(|(id, keep)| keep.then_some(id))
        .collect()
}

fn strip_object(
    object: &mut Object<'_>,
    blind: &mut Vec<String>,
    depth: usize,
) -> Result<(), TooDeep> {
    if depth >= MAX_DEPTH {
        return Err(TooDeep { limit: MAX_DEPTH });
    }
    for term in [Term::Bto, Term::Bcc] {
        if let Some(PropertyValue::Ref(refs)) = object.remove_term(term) {
            blind.extend(refs.iter().filter_map(Ref::id).map(str::to_owned));
        }
    }
    for entry in object.entries_mut() {
        match entry {
            Entry::Known(Term::JsonLdContext, _) => {}
            Entry::Known(_, PropertyValue::Ref(refs)) => {
                for r in refs.as_mut_slice() {
                    match r {
                        Ref::Object(o) => strip_object(o, blind, depth + 1)?,
                        Ref::Other(any) => strip_any(any, blind, depth + 1)?,
                        Ref::Iri(_) => {}
                    }
                }
            }
            Entry::Known(..) => {}
            Entry::Unknown(_, any) => strip_any(any, blind, depth + 1)?,
        }
    }
    Ok(())
}

fn strip_any(any: &mut Any<'_>, blind: &mut Vec<String>, depth: usize) -> Result<(), TooDeep> {
    match any {
        Any::Object(o) => strip_object(o, blind, depth),
        Any::Array(items) => items
            .iter_mut()
            .try_for_each(|item| strip_any(item, blind, depth + 1)),
        Any::Null | Any::Bool(_) | Any::Number(_) | Any::String(_) => Ok(()),
    }
}

/// Bounds of recipient computation.
///
/// Non-exhaustive, so that bounds can be added: start from [`DeliveryLimits::default`] and
/// change what you need, with the `with_` methods or by assigning the fields.
///
/// ```
/// use activitystreams_core::c2s::DeliveryLimits;
///
/// let limits = DeliveryLimits::default().with_max_recipients(5_000);
/// assert_eq!((limits.max_collection_depth, limits.max_recipients), (1, 5_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryLimits {
    /// Layers of collection indirection to expand (§7.1: "Servers MUST limit the number of
    /// layers of indirections through collections which will be performed, which MAY be
    /// one"). Default 1.
    pub max_collection_depth: usize,
    /// Most recipients returned; more is [`DeliveryError::TooManyRecipients`]. Default 100 000.
    pub max_recipients: usize,
}

impl Default for DeliveryLimits {
    fn default() -> Self {
        DeliveryLimits {
            max_collection_depth: 1,
            max_recipients: 100_000,
        }
    }
}

impl DeliveryLimits {
    /// The limits with [`DeliveryLimits::max_collection_depth`] set.
    #[must_use]
    pub const fn with_max_collection_depth(mut self, layers: usize) -> Self {
        self.max_collection_depth = layers;
        self
    }

    /// The limits with [`DeliveryLimits::max_recipients`] set.
    #[must_use]
    pub const fn with_max_recipients(mut self, recipients: usize) -> Self {
        self.max_recipients = recipients;
        self
    }
}

/// The result of [`delivery_recipients`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipients {
    /// Actors to deliver to, de-duplicated, in order of first appearance.
    pub actors: Vec<String>,
    /// Collections found beyond [`DeliveryLimits::max_collection_depth`], not expanded.
    pub unexpanded: Vec<String>,
}

/// Why recipients could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// More recipients than [`DeliveryLimits::max_recipients`].
    #[error("more than {limit} recipients")]
    TooManyRecipients {
        /// The limit.
        limit: usize,
    },
}

/// What the caller's resolver says about an addressed id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expansion {
    /// The id is an actor (or anything that is not a collection): deliver to it.
    Actor,
    /// The id is a collection with these members.
    Collection(Vec<String>),
    /// The id is to be dropped (unknown, unreachable, filtered by policy).
    Skip,
}

/// Computes the actors an activity is delivered to (§7.1):
///
/// 1. the ids in `to`, `bto`, `cc`, `bcc`, `audience` (embedded objects by their id) plus the
///    `blind` ids from [`strip_blind`] ("Targets for delivery are determined by checking the
///    ActivityStreams audience targeting; namely, the to, bto, cc, bcc, and audience fields");
/// 2. without the Public collection in any spelling (§5.6: "Implementations MUST NOT deliver
///    to the "public" special collection");
/// 3. collections expanded through `resolve`, up to `limits.max_collection_depth` layers;
/// 4. de-duplicated ("Servers MUST de-duplicate the final recipient list"; ids compared
///    exactly as written);
/// 5. without the activity's own actor(s) ("actors shouldn't have their own activities
///    delivered to themselves");
/// 6. for a Block, without the blocked object (§6.9: "Servers SHOULD NOT deliver Block
///    Activities to their object").
///
/// One hash-set operation per id (addressed, blind, or returned by `resolve`): time linear in
/// their number.
///
/// # Errors
/// [`DeliveryError::TooManyRecipients`] beyond `limits.max_recipients`.
pub fn delivery_recipients(
    activity: &Object<'_>,
    blind: &BlindRecipients,
    resolve: &mut dyn FnMut(&str) -> Expansion,
    limits: DeliveryLimits,
) -> Result<Recipients, DeliveryError> {
    // The actors and, for a Block, its object start as seen, so they are skipped like repeats:
    // one hash-set operation per id. Ids are borrowed from the activity and `blind` where
    // possible; only collection members (returned by `resolve`) are owned.
    let mut layer: Vec<Cow<'_, str>> = activity
        .recipient_ids()
        .chain(blind.0.iter().map(String::as_str))
        .map(Cow::Borrowed)
        .collect();
    let expected = layer.len().min(limits.max_recipients);
    let mut seen: HashSet<Cow<'_, str>> = HashSet::with_capacity(expected);
    seen.extend(activity.actor_ids().map(Cow::Borrowed));
    if activity.is(Kind::Block) {
        seen.extend(activity.object_ids().map(Cow::Borrowed));
    }
    let mut result = Recipients {
        actors: Vec::with_capacity(expected),
        unexpanded: Vec::new(),
    };
    let mut depth = 0;
    while !layer.is_empty() {
        let mut next = Vec::new();
        for id in layer {
            if is_public(&id) || !seen.insert(id.clone()) {
                continue;
            }
            match resolve(&id) {
                Expansion::Actor => {
                    if result.actors.len() >= limits.max_recipients {
                        return Err(DeliveryError::TooManyRecipients {
                            limit: limits.max_recipients,
                        });
                    }
                    result.actors.push(id.into_owned());
                }
                Expansion::Collection(members) if depth < limits.max_collection_depth => {
                    next.extend(members.into_iter().map(Cow::Owned));
                }
                Expansion::Collection(_) => result.unexpanded.push(id.into_owned()),
                Expansion::Skip => {}
            }
        }
        layer = next;
        depth += 1;
    }
    Ok(result)
}

/// An actor with its inboxes, for [`group_by_shared_inbox`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxTarget {
    /// The actor's id.
    pub actor: String,
    /// Its own inbox.
    pub inbox: String,
    /// Its server's shared inbox (`endpoints.sharedInbox`), if any.
    pub shared_inbox: Option<String>,
}

/// The inboxes to POST to (§7.1.3): actors that share a `sharedInbox` are served by one POST
/// to it; actors without one get their own inbox ("Origin servers sending publicly addressed
/// activities to sharedInbox endpoints MUST still deliver to actors and collections otherwise
/// addressed ... which do not have a sharedInbox"). De-duplicated, in order of first
/// appearance.
#[must_use]
pub fn group_by_shared_inbox(targets: &[InboxTarget]) -> Vec<String> {
    let mut seen = HashSet::new();
    targets
        .iter()
        .map(|t| t.shared_inbox.as_ref().unwrap_or(&t.inbox))
        .filter(|inbox| seen.insert(inbox.as_str()))
        .cloned()
        .collect()
}

/// What the server owns, for [`forwarding_targets`].
pub trait Ownership {
    /// Whether `id` is a collection owned by this server.
    fn owns_collection(&self, id: &str) -> bool;
    /// Whether `id` is an object owned by this server.
    fn owns_object(&self, id: &str) -> bool;
}

/// Inbox forwarding (§7.1.2): the addressees to forward an incoming activity to, or `None` when
/// it must not be forwarded.
///
/// "the server MUST target and deliver to the values of to, cc, and/or audience if and only if
/// all of the following are true: This is the first time the server has seen this Activity.
/// The values of to, cc, and/or audience contain a Collection owned by the server. The values
/// of inReplyTo, object, target and/or tag are objects owned by the server. The server SHOULD
/// recurse through these values to look for linked objects owned by the server, and SHOULD set
/// a maximum limit for recursion." Embedded objects are recursed into up to `max_depth` levels;
/// only the activity's own `to`, `cc`, `audience` are returned ("not pick up any new
/// addressees whilst recursing").
#[must_use]
pub fn forwarding_targets(
    activity: &Object<'_>,
    seen_before: bool,
    owner: &dyn Ownership,
    max_depth: usize,
) -> Option<Vec<String>> {
    if seen_before {
        return None;
    }
    let addressees: Vec<&str> = [Term::To, Term::Cc, Term::Audience]
        .into_iter()
        .flat_map(|term| activity.ids_of(term))
        .collect();
    if !addressees.iter().any(|id| owner.owns_collection(id)) {
        return None;
    }
    if !links_owned_object(activity, owner, max_depth.min(MAX_DEPTH)) {
        return None;
    }
    let mut seen = HashSet::new();
    Some(
        addressees
            .into_iter()
            .filter(|id| seen.insert(*id))
            .map(str::to_owned)
            .collect(),
    )
}

const LINKING_TERMS: [Term; 4] = [Term::InReplyTo, Term::Object, Term::Target, Term::Tag];

fn links_owned_object(object: &Object<'_>, owner: &dyn Ownership, depth_left: usize) -> bool {
    LINKING_TERMS.into_iter().any(|term| {
        let Some(PropertyValue::Ref(refs)) = object.get_term(term) else {
            return false;
        };
        refs.iter().any(|r| {
            r.id().is_some_and(|id| owner.owns_object(id))
                || (depth_left > 0
                    && r.as_object()
                        .is_some_and(|o| links_owned_object(o, owner, depth_left - 1)))
        })
    })
}
