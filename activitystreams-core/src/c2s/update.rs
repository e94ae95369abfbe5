//! Updates (§6.3, §6.3.1, §7.3) and deletes (§6.4).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::any::Any;
use crate::builder::format_datetime;
use crate::iri::origin_of;
use crate::kind::Kind;
use crate::object::{Entry, Object};
use crate::prop::{PropertyValue, Text};
use crate::string::Str;
use crate::vocab::Term;

/// Why an update cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The patch names another object.
    #[error("the update is for {patch:?}, not for the stored object {stored:?}")]
    IdMismatch {
        /// The stored object's id.
        stored: String,
        /// The id in the patch.
        patch: String,
    },
    /// The Update and its object are not of the same origin (§7.3).
    #[error("the Update {update:?} and its object {object:?} are not of the same origin")]
    CrossOrigin {
        /// The Update's id (or actor).
        update: String,
        /// The object's id.
        object: String,
    },
    /// The Update has no object id to check.
    #[error("the Update has no object id")]
    MissingObjectId,
}

/// Applies a client-to-server partial update (§6.3.1): "any key value pair supplied is used to
/// replace the existing value with the new value. This only applies to the top-level fields of
/// the updated object. A special exception is for when the value is the json null type; this
/// means that this field should be removed from the server's representation of the object."
///
/// The `id` is never changed: a patch naming another id is refused, a matching one is ignored.
/// Whether `type` may change is the caller's policy (it is replaced like any other field).
///
/// # Errors
/// [`UpdateError::IdMismatch`].
pub fn apply_partial_update<'a>(
    stored: &mut Object<'a>,
    patch: Object<'a>,
) -> Result<(), UpdateError> {
    if let (Some(stored_id), Some(patch_id)) = (stored.id(), patch.id())
        && stored_id != patch_id
    {
        return Err(UpdateError::IdMismatch {
            stored: stored_id.to_owned(),
            patch: patch_id.to_owned(),
        });
    }
    let mut patch = patch;
    let changes = std::mem::take(patch.entries_mut());
    // Each stored key's fate and the keys to append, decided against an index of the stored
    // keys (patch keys are unique, so each stored entry is touched at most once), then applied
    // in one pass: linear in the sizes of both objects.
    let mut fates: Vec<Fate<'a>> = std::iter::repeat_with(|| Fate::Keep)
        .take(stored.len())
        .collect();
    let mut appended: Vec<Entry<'a>> = Vec::new();
    {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(stored.len());
        for (i, entry) in stored.entries().iter().enumerate() {
            index.entry(entry_name(entry)).or_insert(i);
        }
        for change in changes {
            // `null` is the removal marker (§6.3.1): the whole value is JSON null.
            let (term, name, null, value) = match change {
                Entry::Known(Term::Id, _) => continue,
                Entry::Known(term, value) => (Some(term), None, value.is_null(), value.into_any()),
                Entry::Unknown(name, value) => (None, Some(name), value.is_null(), value),
            };
            let key: &str = match (term, &name) {
                (Some(term), _) => term.name(),
                (None, name) => name.as_deref().unwrap_or_default(),
            };
            match (index.get(key).copied(), null) {
                (Some(i), true) => set_fate(&mut fates, i, Fate::Remove),
                (Some(i), false) => set_fate(&mut fates, i, Fate::Replace(value)),
                (None, true) => {}
                (None, false) => appended.push(match term {
                    Some(term) => {
                        Entry::Known(term, PropertyValue::from_any(term.value_kind(), value))
                    }
                    None => Entry::Unknown(Str::owned(key), value),
                }),
            }
        }
    }
    let entries = std::mem::take(stored.entries_mut());
    *stored.entries_mut() = entries
        .into_iter()
        .zip(fates)
        .filter_map(|(entry, fate)| match (fate, entry) {
            (Fate::Keep, entry) => Some(entry),
            (Fate::Remove, _) => None,
            (Fate::Replace(value), Entry::Known(term, _)) => Some(Entry::Known(
                term,
                PropertyValue::from_any(term.value_kind(), value),
            )),
            (Fate::Replace(value), Entry::Unknown(name, _)) => Some(Entry::Unknown(name, value)),
        })
        .chain(appended)
        .collect();
    Ok(())
}

/// What [`apply_partial_update`] does to one stored property.
enum Fate<'a> {
    Keep,
    Remove,
    Replace(Any<'a>),
}

fn set_fate<'a>(fates: &mut [Fate<'a>], i: usize, fate: Fate<'a>) {
    if let Some(slot) = fates.get_mut(i) {
        *slot = fate;
    }
}

fn entry_name<'x>(entry: &'x Entry<'_>) -> &'x str {
    match entry {
        Entry::Known(term, _) => term.name(),
        Entry::Unknown(name, _) => name.as_str(),
    }
}

/// §7.3: "The receiving server MUST take care to be sure that the Update is authorized to
/// modify its object. At minimum, this may be done by ensuring that the Update and its object
/// are of same origin." Compares the origin (scheme, host, port) of the Update's id (or, without
/// one, its actor) with the object's id.
///
/// # Errors
/// [`UpdateError::CrossOrigin`] or [`UpdateError::MissingObjectId`].
pub fn check_update_origin(update: &Object<'_>) -> Result<(), UpdateError> {
    let object = update.object_id().ok_or(UpdateError::MissingObjectId)?;
    let source = update
        .id()
        .or_else(|| update.actor_id())
        .unwrap_or_default();
    match (origin_of(source), origin_of(object)) {
        (Some(a), Some(b)) if a == b => Ok(()),
        _ => Err(UpdateError::CrossOrigin {
            update: source.to_owned(),
            object: object.to_owned(),
        }),
    }
}

/// Whether two IRIs have the same origin (scheme, host and port); IRIs without a tuple origin
/// (`urn:`, relative) are never the same origin.
#[must_use]
pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin_of(a), origin_of(b)), (Some(x), Some(y)) if x == y)
}

/// Replaces a deleted object by a Tombstone (§6.4: "the server MAY replace the object with a
/// Tombstone of the object that will be displayed in activities which reference the deleted
/// object").
///
/// Keeps `@context`, `id`, `published` and `updated` (as in the spec's example), sets `type` to
/// `Tombstone`, `formerType` to the former type(s) and `deleted` to `deleted_at`; drops
/// everything else (content, addressing...).
#[must_use]
pub fn to_tombstone<'a>(object: &Object<'a>, deleted_at: DateTime<Utc>) -> Object<'a> {
    let mut tombstone = Object::new();
    for term in [Term::JsonLdContext, Term::Id] {
        if let Some(value) = object.get_term(term) {
            tombstone.set_term(term, value.clone());
        }
    }
    tombstone.set_type(Kind::Tombstone.name());
    let mut former: Vec<Text<'a>> = object
        .type_value()
        .map(|p| {
            p.iter()
                .filter(|t| t.as_str() != Some(Kind::Tombstone.name()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if former.len() > 1 {
        tombstone.set_former_type(former);
    } else if let Some(single) = former.pop() {
        tombstone.set_former_type(single);
    }
    for term in [Term::Published, Term::Updated] {
        if let Some(value) = object.get_term(term) {
            tombstone.set_term(term, value.clone());
        }
    }
    tombstone.set_deleted(Str::owned(format_datetime(deleted_at)));
    tombstone
}
