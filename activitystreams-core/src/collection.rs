//! A typed view of the collection-changing activities `Add`, `Remove` and `Move`, and the
//! membership operations they mean.

use crate::kind::Kind;
use crate::object::Object;
use crate::prop::{Prop, Ref};

/// An `Add`, `Remove` or `Move` read for its effect on collections.
///
/// AS2 Vocabulary: `Add` "indicates that the actor has added the object to the target";
/// `Remove` "indicates that the actor is removing the object. If specified, the origin indicates
/// the context from which the object is being removed" (ActivityPub §6.7 removes it "from the
/// collection specified in the target property"); `Move` "indicates that the actor has moved
/// object from origin to target".
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CollectionChange<'x, 'a> {
    /// Add `object` to `target`.
    Add {
        /// The items added.
        object: &'x [Ref<'a>],
        /// The collection added to.
        target: &'x Ref<'a>,
    },
    /// Remove `object` from `from` (the `target`, else the `origin`).
    Remove {
        /// The items removed.
        object: &'x [Ref<'a>],
        /// The collection removed from.
        from: &'x Ref<'a>,
    },
    /// Move `object` from `origin` to `target`.
    Move {
        /// The items moved.
        object: &'x [Ref<'a>],
        /// The collection moved from.
        origin: &'x Ref<'a>,
        /// The collection moved to.
        target: &'x Ref<'a>,
    },
}

/// Why an activity is not a complete collection change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CollectionChangeError {
    /// The activity is not an `Add`, `Remove` or `Move`.
    #[error("not an Add, Remove or Move activity")]
    NotACollectionChange,
    /// No `object`.
    #[error("the activity has no object")]
    MissingObject,
    /// No collection to change (`target`, or for `Remove` also `origin`); AS2 leaves it to be
    /// "determined implicitly by context", which is the caller's to do.
    #[error("the activity names no collection (target/origin)")]
    MissingCollection,
}

/// One membership change, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership<'x> {
    /// Insert `item` into `collection`.
    Insert {
        /// Collection id.
        collection: &'x str,
        /// Item id.
        item: &'x str,
    },
    /// Delete `item` from `collection`.
    Delete {
        /// Collection id.
        collection: &'x str,
        /// Item id.
        item: &'x str,
    },
}

fn first<'x, 'a>(prop: Option<&'x Prop<Ref<'a>>>) -> Option<&'x Ref<'a>> {
    prop.and_then(Prop::first)
}

impl<'x, 'a> CollectionChange<'x, 'a> {
    /// Reads an activity.
    ///
    /// # Errors
    /// See [`CollectionChangeError`].
    pub fn from_activity(activity: &'x Object<'a>) -> Result<Self, CollectionChangeError> {
        let kind = activity
            .kinds()
            .find(|k| matches!(k, Kind::Add | Kind::Remove | Kind::Move))
            .ok_or(CollectionChangeError::NotACollectionChange)?;
        let object = activity
            .object()
            .map(Prop::as_slice)
            .filter(|o| !o.is_empty())
            .ok_or(CollectionChangeError::MissingObject)?;
        let target = first(activity.target());
        let origin = first(activity.origin());
        let missing = CollectionChangeError::MissingCollection;
        Ok(match kind {
            Kind::Add => CollectionChange::Add {
                object,
                target: target.ok_or(missing)?,
            },
            Kind::Remove => CollectionChange::Remove {
                object,
                from: target.or(origin).ok_or(missing)?,
            },
            _ => CollectionChange::Move {
                object,
                origin: origin.ok_or(missing)?,
                target: target.ok_or(missing)?,
            },
        })
    }

    /// The membership operations, in order (for `Move`: every delete from the origin, then
    /// every insert into the target). Items or collections without an id are skipped.
    #[must_use]
    pub fn memberships(&self) -> Vec<Membership<'x>> {
        let ids = |refs: &'x [Ref<'a>]| refs.iter().filter_map(Ref::id);
        match *self {
            CollectionChange::Add { object, target } => target
                .id()
                .into_iter()
                .flat_map(|collection| {
                    ids(object).map(move |item| Membership::Insert { collection, item })
                })
                .collect(),
            CollectionChange::Remove { object, from } => from
                .id()
                .into_iter()
                .flat_map(|collection| {
                    ids(object).map(move |item| Membership::Delete { collection, item })
                })
                .collect(),
            CollectionChange::Move {
                object,
                origin,
                target,
            } => {
                let mut ops: Vec<Membership<'x>> = origin
                    .id()
                    .into_iter()
                    .flat_map(|collection| {
                        ids(object).map(move |item| Membership::Delete { collection, item })
                    })
                    .collect();
                ops.extend(target.id().into_iter().flat_map(|collection| {
                    ids(object).map(move |item| Membership::Insert { collection, item })
                }));
                ops
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{Call, Handler, dispatch};
    use std::collections::{BTreeMap, BTreeSet};

    /// The Mandy prototype's `^as2:collection`: add, remove and move as methods.
    #[derive(Default)]
    struct Collections(BTreeMap<String, BTreeSet<String>>);

    impl Collections {
        fn apply(&mut self, call: &Call<'_, '_>) -> Result<(), CollectionChangeError> {
            for op in CollectionChange::from_activity(call.activity)?.memberships() {
                match op {
                    Membership::Insert { collection, item } => {
                        self.0
                            .entry(collection.to_owned())
                            .or_default()
                            .insert(item.to_owned());
                    }
                    Membership::Delete { collection, item } => {
                        self.0
                            .entry(collection.to_owned())
                            .or_default()
                            .remove(item);
                    }
                }
            }
            Ok(())
        }
        fn members(&self, collection: &str) -> Vec<&str> {
            self.0
                .get(collection)
                .map(|s| s.iter().map(String::as_str).collect())
                .unwrap_or_default()
        }
    }

    impl Handler for Collections {
        type Output = Option<CollectionChangeError>;
        fn add(&mut self, call: &Call<'_, '_>) -> Self::Output {
            self.apply(call).err()
        }
        fn remove(&mut self, call: &Call<'_, '_>) -> Self::Output {
            self.apply(call).err()
        }
        fn r#move(&mut self, call: &Call<'_, '_>) -> Self::Output {
            self.apply(call).err()
        }
    }

    fn send(collections: &mut Collections, json: &str) -> Option<CollectionChangeError> {
        dispatch(&Object::from_str(json).unwrap(), collections).unwrap()
    }

    #[test]
    fn add_remove_and_move_change_membership() {
        let mut c = Collections::default();
        assert_eq!(
            send(
                &mut c,
                r#"{"type":"Add","object":["https://a/1","https://a/2"],"target":"https://a/c1"}"#
            ),
            None
        );
        assert_eq!(c.members("https://a/c1"), ["https://a/1", "https://a/2"]);
        assert_eq!(
            send(
                &mut c,
                r#"{"type":"Move","object":{"id":"https://a/1"},"origin":"https://a/c1","target":{"type":"Collection","id":"https://a/c2"}}"#
            ),
            None
        );
        assert_eq!(c.members("https://a/c1"), ["https://a/2"]);
        assert_eq!(c.members("https://a/c2"), ["https://a/1"]);
        // Remove names its collection in `target` (ActivityPub §6.7) or `origin` (AS2).
        assert_eq!(
            send(
                &mut c,
                r#"{"type":"Remove","object":"https://a/2","origin":"https://a/c1"}"#
            ),
            None
        );
        assert_eq!(
            send(
                &mut c,
                r#"{"type":"Remove","object":"https://a/1","target":"https://a/c2"}"#
            ),
            None
        );
        assert!(c.members("https://a/c1").is_empty() && c.members("https://a/c2").is_empty());
    }

    #[test]
    fn incomplete_changes_are_errors() {
        let mut c = Collections::default();
        assert_eq!(
            send(&mut c, r#"{"type":"Add","object":"https://a/1"}"#),
            Some(CollectionChangeError::MissingCollection)
        );
        assert_eq!(
            send(
                &mut c,
                r#"{"type":"Move","object":"https://a/1","target":"https://a/c"}"#
            ),
            Some(CollectionChangeError::MissingCollection)
        );
        assert_eq!(
            send(&mut c, r#"{"type":"Add","target":"https://a/c"}"#),
            Some(CollectionChangeError::MissingObject)
        );
        let like = Object::from_str(r#"{"type":"Like","object":"x"}"#).unwrap();
        assert_eq!(
            CollectionChange::from_activity(&like),
            Err(CollectionChangeError::NotACollectionChange)
        );
    }
}
