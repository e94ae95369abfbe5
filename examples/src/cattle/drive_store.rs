//! What the account service keeps beyond one message, behind one small interface: the actors
//! created over Cattle Drive, the documents they created, and the counter their ids are drawn
//! from.
//!
//! [`DriveStore`] is the interface; [`MemoryDriveStore`] keeps everything in memory, bounded by
//! [`MemoryLimits`]. A durable store implements the same trait (the hub keeps actors in its
//! SQLite or PostgreSQL database this way); its `next_number` must then never repeat a number,
//! also after a restart, or new ids would collide with stored ones.

use std::collections::BTreeMap;

use cattle_drive_types::message::ActorInformation;
use cattle_drive_types::topic::AccountName;
use serde_json::{Map, Value};

/// An actor created over Cattle Drive.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActorRecord {
    /// The account it belongs to.
    pub account: AccountName,
    /// Its id and name as `info` lists them.
    pub info: ActorInformation,
    /// Its public document: what `create_actor` answered, what its id URL serves and what a
    /// `fetch` of it returns. Holds nothing private.
    pub document: Map<String, Value>,
    /// Deleted with `delete_actor`: gone from `info`, its id answers `410 Gone`.
    pub deleted: bool,
}

impl ActorRecord {
    /// A live actor of `account`.
    pub fn new(account: AccountName, info: ActorInformation, document: Map<String, Value>) -> Self {
        ActorRecord {
            account,
            info,
            document,
            deleted: false,
        }
    }
}

/// A document an actor created (the Note of `publish_note`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DocumentRecord {
    /// The actor that created it.
    pub author: String,
    /// The document, with its `id` and addressing. Who may read it follows from its addressing.
    pub document: Map<String, Value>,
}

impl DocumentRecord {
    /// `document`, created by `author`.
    pub fn new(author: impl Into<String>, document: Map<String, Value>) -> Self {
        DocumentRecord {
            author: author.into(),
            document,
        }
    }

    /// Its id (`None` if the document has none, which the service never stores).
    pub fn id(&self) -> Option<&str> {
        self.document.get("id").and_then(Value::as_str)
    }
}

/// Why the store refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A limit of the store is reached.
    #[error("the store is full: at most {limit} {what}")]
    Full {
        /// What is full (`actors`, `documents`).
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A record without the id it is stored under.
    #[error("a document without an id cannot be stored")]
    NoId,
    /// The backend failed (a database error, for durable stores).
    #[error("the store failed: {0}")]
    Backend(String),
}

/// Where the account service keeps actors and documents. Loads and saves are whole records;
/// a save replaces the record of the same id.
pub trait DriveStore: Send + 'static {
    /// A number this store never handed out before, for a new id.
    fn next_number(&mut self) -> Result<u64, StoreError>;

    /// The actor with id `id`, deleted or not.
    fn load_actor(&self, id: &str) -> Result<Option<ActorRecord>, StoreError>;

    /// The actors of `account` that are not deleted, oldest first.
    fn load_actors(&self, account: &AccountName) -> Result<Vec<ActorRecord>, StoreError>;

    /// Stores `actor` under its id.
    fn save_actor(&mut self, actor: ActorRecord) -> Result<(), StoreError>;

    /// The document with id `id`.
    fn load_document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError>;

    /// Stores `document` under its id.
    fn save_document(&mut self, document: DocumentRecord) -> Result<(), StoreError>;
}

/// Bounds of a [`MemoryDriveStore`]; new records beyond them are refused
/// ([`StoreError::Full`]), replacing a stored one always works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryLimits {
    /// Actors, deleted ones included (they still answer `410 Gone`). Default 10,000.
    pub max_actors: usize,
    /// Documents. Default 100,000.
    pub max_documents: usize,
}

impl Default for MemoryLimits {
    fn default() -> Self {
        MemoryLimits {
            max_actors: 10_000,
            max_documents: 100_000,
        }
    }
}

/// A [`DriveStore`] in memory: gone when the process ends.
#[derive(Debug, Default)]
pub struct MemoryDriveStore {
    limits: MemoryLimits,
    /// Actors by id, with the number of their creation (for the order of `load_actors`).
    actors: BTreeMap<String, (u64, ActorRecord)>,
    documents: BTreeMap<String, DocumentRecord>,
    created: u64,
    next: u64,
}

impl MemoryDriveStore {
    /// An empty store with the default limits.
    pub fn new() -> Self {
        MemoryDriveStore::default()
    }

    /// An empty store with `limits`.
    pub fn with_limits(limits: MemoryLimits) -> Self {
        MemoryDriveStore {
            limits,
            ..MemoryDriveStore::default()
        }
    }
}

impl DriveStore for MemoryDriveStore {
    fn next_number(&mut self) -> Result<u64, StoreError> {
        self.next += 1;
        Ok(self.next)
    }

    fn load_actor(&self, id: &str) -> Result<Option<ActorRecord>, StoreError> {
        Ok(self.actors.get(id).map(|(_, actor)| actor.clone()))
    }

    fn load_actors(&self, account: &AccountName) -> Result<Vec<ActorRecord>, StoreError> {
        let mut actors: Vec<&(u64, ActorRecord)> = self
            .actors
            .values()
            .filter(|(_, a)| &a.account == account && !a.deleted)
            .collect();
        actors.sort_by_key(|(created, _)| *created);
        Ok(actors.into_iter().map(|(_, a)| a.clone()).collect())
    }

    fn save_actor(&mut self, actor: ActorRecord) -> Result<(), StoreError> {
        let id = actor.info.id.clone();
        if let Some((_, stored)) = self.actors.get_mut(&id) {
            *stored = actor;
            return Ok(());
        }
        if self.actors.len() >= self.limits.max_actors {
            return Err(StoreError::Full {
                what: "actors",
                limit: self.limits.max_actors,
            });
        }
        self.created += 1;
        self.actors.insert(id, (self.created, actor));
        Ok(())
    }

    fn load_document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        Ok(self.documents.get(id).cloned())
    }

    fn save_document(&mut self, document: DocumentRecord) -> Result<(), StoreError> {
        let id = document.id().ok_or(StoreError::NoId)?.to_owned();
        if !self.documents.contains_key(&id) && self.documents.len() >= self.limits.max_documents {
            return Err(StoreError::Full {
                what: "documents",
                limit: self.limits.max_documents,
            });
        }
        self.documents.insert(id, document);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account(name: &str) -> AccountName {
        AccountName::new(name).unwrap_or_else(|e| panic!("{e}"))
    }

    fn actor(account_name: &str, id: &str) -> ActorRecord {
        let Value::Object(document) = json!({"id": id, "type": "Person"}) else {
            unreachable!()
        };
        ActorRecord::new(
            account(account_name),
            ActorInformation::new(id, "from drive"),
            document,
        )
    }

    fn ids(actors: &[ActorRecord]) -> Vec<&str> {
        actors.iter().map(|a| a.info.id.as_str()).collect()
    }

    #[test]
    fn actors_are_listed_per_account_oldest_first_without_deleted_ones() -> Result<(), StoreError> {
        let mut store = MemoryDriveStore::new();
        // Ids that sort differently as text than by creation.
        for (owner, id) in [
            ("alice", "h/actor/9"),
            ("bob", "h/actor/5"),
            ("alice", "h/actor/10"),
        ] {
            store.save_actor(actor(owner, id))?;
        }
        assert_eq!(
            ids(&store.load_actors(&account("alice"))?),
            ["h/actor/9", "h/actor/10"]
        );
        let mut gone = actor("alice", "h/actor/9");
        gone.deleted = true;
        gone.info.name = "renamed".into();
        store.save_actor(gone)?;
        assert_eq!(ids(&store.load_actors(&account("alice"))?), ["h/actor/10"]);
        let kept = store.load_actor("h/actor/9")?;
        assert_eq!(
            kept.map(|a| (a.deleted, a.info.name)),
            Some((true, "renamed".to_owned()))
        );
        assert_eq!(store.load_actor("h/actor/1")?, None);
        Ok(())
    }

    #[test]
    fn numbers_never_repeat() -> Result<(), StoreError> {
        let mut store = MemoryDriveStore::new();
        let (a, b) = (store.next_number()?, store.next_number()?);
        assert_ne!(a, b);
        Ok(())
    }

    #[test]
    fn limits_refuse_new_records_but_not_replacements() -> Result<(), StoreError> {
        let mut store = MemoryDriveStore::with_limits(MemoryLimits {
            max_actors: 1,
            max_documents: 1,
        });
        store.save_actor(actor("alice", "h/actor/1"))?;
        assert_eq!(
            store.save_actor(actor("alice", "h/actor/2")),
            Err(StoreError::Full {
                what: "actors",
                limit: 1
            })
        );
        store.save_actor(actor("alice", "h/actor/1"))?;
        let note = |id: &str| {
            let Value::Object(document) = json!({"id": id, "type": "Note"}) else {
                unreachable!()
            };
            DocumentRecord::new("h/actor/1", document)
        };
        store.save_document(note("h/note/1"))?;
        store.save_document(note("h/note/1"))?;
        assert!(matches!(
            store.save_document(note("h/note/2")),
            Err(StoreError::Full { .. })
        ));
        assert_eq!(
            store.save_document(DocumentRecord::new("h/actor/1", Map::new())),
            Err(StoreError::NoId)
        );
        assert_eq!(
            store
                .load_document("h/note/1")?
                .and_then(|d| d.id().map(str::to_owned)),
            Some("h/note/1".to_owned())
        );
        Ok(())
    }
}
