//! Outbox side effects (§6.4–§6.10) as data, and the Undo rule (§6.10).

use crate::kind::Kind;
use crate::object::Object;

/// A side effect the server should carry out for an activity posted to an outbox. The host
/// applies them; nothing here touches storage.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// §6.3: "the object MUST be modified to reflect the new structure as defined in the update
    /// activity" (partial update, see [`apply_partial_update`](super::apply_partial_update)).
    UpdateObject {
        /// The object's id.
        object: String,
    },
    /// §6.4: "the server MAY replace the object with a Tombstone of the object" (see
    /// [`to_tombstone`](super::to_tombstone)).
    ReplaceWithTombstone {
        /// The object's id.
        object: String,
    },
    /// §6.5: "the server SHOULD add the object to the actor's following Collection when and
    /// only if an Accept activity is subsequently received with this Follow activity as its
    /// object": remember the pending Follow.
    PendingFollow {
        /// The Follow's id.
        follow: String,
        /// The followed id.
        object: String,
    },
    /// §6.6: "the server SHOULD add the object to the collection specified in the target
    /// property" (unless not owned or not allowed: the host decides).
    AddToCollection {
        /// The collection.
        collection: String,
        /// The item.
        item: String,
    },
    /// §6.7: "the server SHOULD remove the object from the collection specified in the target
    /// property".
    RemoveFromCollection {
        /// The collection.
        collection: String,
        /// The item.
        item: String,
    },
    /// §6.8: "the server SHOULD add the object to the actor's liked Collection".
    AddToLiked {
        /// The liked id.
        object: String,
    },
    /// §6.9: "The server SHOULD prevent the blocked user from interacting with any object
    /// posted by the actor."
    Block {
        /// The blocked id.
        object: String,
    },
    /// §6.10: "Side effects should be undone, to the extent possible."
    Undo {
        /// The undone activity's id.
        activity: String,
    },
}

/// The side effects of an activity accepted into an outbox, one per `object` value (and per
/// `target` for Add/Remove). Activities without side effects give none.
///
/// Every recognised type of `type` contributes its effects, so the result has up to
/// types × objects × targets entries: linear in that size, which can exceed the input's (a host
/// taking posts from clients bounds those lists).
#[must_use]
pub fn outbox_side_effects(activity: &Object<'_>) -> Vec<Effect> {
    let objects: Vec<String> = activity.object_ids().map(str::to_owned).collect();
    let targets: Vec<String> = activity
        .ids_of(crate::Term::Target)
        .map(str::to_owned)
        .collect();
    let id = activity.id().unwrap_or_default();
    let mut effects = Vec::new();
    for kind in activity.kinds() {
        for object in &objects {
            let object = object.clone();
            match kind {
                Kind::Update => effects.push(Effect::UpdateObject { object }),
                Kind::Delete => effects.push(Effect::ReplaceWithTombstone { object }),
                Kind::Follow => effects.push(Effect::PendingFollow {
                    follow: id.to_owned(),
                    object,
                }),
                Kind::Add => {
                    effects.extend(targets.iter().map(|collection| Effect::AddToCollection {
                        collection: collection.clone(),
                        item: object.clone(),
                    }))
                }
                Kind::Remove => {
                    effects.extend(
                        targets
                            .iter()
                            .map(|collection| Effect::RemoveFromCollection {
                                collection: collection.clone(),
                                item: object.clone(),
                            }),
                    )
                }
                Kind::Like => effects.push(Effect::AddToLiked { object }),
                Kind::Block => effects.push(Effect::Block { object }),
                Kind::Undo => effects.push(Effect::Undo { activity: object }),
                _ => {}
            }
        }
    }
    effects
}

/// Why an Undo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UndoError {
    /// §6.10: "The undo activity and the activity being undone MUST both have the same actor."
    #[error("the Undo's actor differs from the undone activity's actor")]
    ActorMismatch,
    /// §6.10: "Create based activities should instead use Delete".
    #[error("a Create is reverted with a Delete, not an Undo")]
    UseDelete,
    /// §6.10: "Add activities should use Remove".
    #[error("an Add is reverted with a Remove, not an Undo")]
    UseRemove,
    /// The Undo's object is not the activity passed as undone.
    #[error("the Undo's object is not the given activity")]
    NotItsObject,
}

/// Checks an Undo against the activity it undoes (§6.10). `UseDelete`/`UseRemove` are SHOULD
/// rules: a host may accept such an Undo anyway.
///
/// # Errors
/// See [`UndoError`].
pub fn check_undo(undo: &Object<'_>, undone: &Object<'_>) -> Result<(), UndoError> {
    if let (Some(object), Some(id)) = (undo.object_id(), undone.id())
        && object != id
    {
        return Err(UndoError::NotItsObject);
    }
    let undo_actors: Vec<&str> = undo.actor_ids().collect();
    let undone_actors: Vec<&str> = undone.actor_ids().collect();
    if undo_actors.is_empty() || undo_actors != undone_actors {
        return Err(UndoError::ActorMismatch);
    }
    if undone.is(Kind::Create) {
        return Err(UndoError::UseDelete);
    }
    if undone.is(Kind::Add) {
        return Err(UndoError::UseRemove);
    }
    Ok(())
}
