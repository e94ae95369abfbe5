//! Cattle Drive's actors and documents in the hub's database: the [`DriveStore`] the hub's
//! account service runs on (`--amqp`), so actors created over Cattle Drive, and what they
//! publish, outlive a restart and are the same on every instance sharing a PostgreSQL database.
//!
//! - Numbers for new ids come from the `drive` counter row: never handed out twice, also across
//!   restarts and instances.
//! - Each save is one transaction, committed before the service answers, so an actor whose
//!   `create_actor` was answered is kept.
//! - Actors and documents are charged, in bytes of their JSON, to the hub account they belong to
//!   and to the hub, within the same quotas as posts ([`Quotas`]); a save beyond them is refused
//!   ([`DriveStoreError::Full`]) and the client gets an error message.
//!
//! The methods block on the database: call them from a blocking thread.

use cattle_drive_types::message::ActorInformation;
use cattle_drive_types::topic::AccountName;
use serde_json::{Map, Value};

use crate::cattle::drive_store::{
    ActorRecord, DocumentRecord, DriveStore, StoreError as DriveStoreError,
};
use crate::hub::db::{Conn, Db, DbError, Row, transaction};

use super::sql::{charge, reserve};
use super::{Quotas, StoreError};

/// The hub's [`DriveStore`]. See the [module docs](self).
#[derive(Debug, Clone)]
pub(crate) struct DbDriveStore {
    db: Db,
    quotas: Quotas,
}

impl DbDriveStore {
    /// Actors and documents in `db`, charged within `quotas`.
    pub(crate) fn new(db: Db, quotas: Quotas) -> Self {
        DbDriveStore { db, quotas }
    }
}

impl From<StoreError> for DriveStoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AccountQuota { quota } | StoreError::HubQuota { quota } => {
                DriveStoreError::Full {
                    what: "bytes",
                    limit: usize::try_from(quota).unwrap_or(usize::MAX),
                }
            }
            other => DriveStoreError::Backend(other.to_string()),
        }
    }
}

impl From<DbError> for DriveStoreError {
    fn from(error: DbError) -> Self {
        DriveStoreError::Backend(error.to_string())
    }
}

fn bytes_of(text: &str) -> i64 {
    i64::try_from(text.len()).unwrap_or(i64::MAX)
}

fn parse_object(text: &str) -> Result<Map<String, Value>, DriveStoreError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(DriveStoreError::Backend(
            "a stored Cattle Drive document is not a JSON object".to_owned(),
        )),
    }
}

const ACTOR_COLUMNS: &str = "id, account, name, document, deleted";

fn actor_from(mut row: Row) -> Result<ActorRecord, DriveStoreError> {
    let account = AccountName::new(row.text(1)?).map_err(|e| {
        DriveStoreError::Backend(format!("a stored Cattle Drive account name: {e}"))
    })?;
    let info = ActorInformation::new(row.take_text(0)?, row.take_text(2)?);
    let document = parse_object(row.text(3)?)?;
    let mut actor = ActorRecord::new(account, info, document);
    actor.deleted = row.int(4)? != 0;
    Ok(actor)
}

/// The stored size of `id` in `table` (0 when it is new).
fn stored_bytes(conn: &mut dyn Conn, table: &str, id: &str) -> Result<Option<i64>, DbError> {
    conn.query_opt(
        &format!("SELECT bytes FROM {table} WHERE id = $1"),
        &[id.into()],
    )?
    .map(|row| row.int(0))
    .transpose()
}

impl DriveStore for DbDriveStore {
    fn next_number(&mut self) -> Result<u64, DriveStoreError> {
        let n = self
            .db
            .run_blocking(|conn| transaction(conn, |conn| reserve(conn, "drive", 1)))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn load_actor(&self, id: &str) -> Result<Option<ActorRecord>, DriveStoreError> {
        let id = id.to_owned();
        self.db
            .run_blocking(move |conn| {
                conn.query_opt(
                    &format!("SELECT {ACTOR_COLUMNS} FROM drive_actors WHERE id = $1"),
                    &[(&id).into()],
                )
                .map_err(DriveStoreError::from)
            })?
            .map(actor_from)
            .transpose()
    }

    fn load_actors(&self, account: &AccountName) -> Result<Vec<ActorRecord>, DriveStoreError> {
        let account = account.as_str().to_owned();
        self.db
            .run_blocking(move |conn| {
                conn.query(
                    &format!(
                        "SELECT {ACTOR_COLUMNS} FROM drive_actors
                         WHERE account = $1 AND deleted = 0 ORDER BY created"
                    ),
                    &[(&account).into()],
                )
                .map_err(DriveStoreError::from)
            })?
            .into_iter()
            .map(actor_from)
            .collect()
    }

    fn save_actor(&mut self, actor: ActorRecord) -> Result<(), DriveStoreError> {
        let quotas = self.quotas;
        let document = Value::Object(actor.document).to_string();
        self.db.run_blocking(move |conn| {
            transaction(conn, |conn| {
                let id = actor.info.id.as_str();
                let account = actor.account.as_str();
                let bytes = bytes_of(&document) + bytes_of(id) + bytes_of(&actor.info.name);
                let deleted = i64::from(actor.deleted);
                match stored_bytes(conn, "drive_actors", id)? {
                    Some(old) => {
                        charge(conn, account, bytes - old, quotas.account, quotas.hub)?;
                        conn.execute(
                            "UPDATE drive_actors SET name = $2, document = $3, deleted = $4,
                             bytes = $5 WHERE id = $1",
                            &[
                                id.into(),
                                actor.info.name.as_str().into(),
                                document.as_str().into(),
                                deleted.into(),
                                bytes.into(),
                            ],
                        )?;
                    }
                    None => {
                        charge(conn, account, bytes, quotas.account, quotas.hub)?;
                        let created = reserve(conn, "drive", 1)?;
                        conn.execute(
                            "INSERT INTO drive_actors
                             (id, account, name, document, deleted, bytes, created)
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            &[
                                id.into(),
                                account.into(),
                                actor.info.name.as_str().into(),
                                document.as_str().into(),
                                deleted.into(),
                                bytes.into(),
                                created.into(),
                            ],
                        )?;
                    }
                }
                Ok::<_, DriveStoreError>(())
            })
        })
    }

    fn load_document(&self, id: &str) -> Result<Option<DocumentRecord>, DriveStoreError> {
        let id = id.to_owned();
        let row = self.db.run_blocking(move |conn| {
            conn.query_opt(
                "SELECT author, document FROM drive_documents WHERE id = $1",
                &[(&id).into()],
            )
            .map_err(DriveStoreError::from)
        })?;
        row.map(|mut row| {
            Ok(DocumentRecord::new(
                row.take_text(0)?,
                parse_object(row.text(1)?)?,
            ))
        })
        .transpose()
    }

    fn save_document(&mut self, document: DocumentRecord) -> Result<(), DriveStoreError> {
        let id = document.id().ok_or(DriveStoreError::NoId)?.to_owned();
        let quotas = self.quotas;
        let author = document.author;
        let text = Value::Object(document.document).to_string();
        self.db.run_blocking(move |conn| {
            transaction(conn, |conn| {
                // Charged to the account of the actor that created it.
                let account = conn
                    .query_opt(
                        "SELECT account FROM drive_actors WHERE id = $1",
                        &[author.as_str().into()],
                    )?
                    .map(|mut row| row.take_text(0))
                    .transpose()?
                    .ok_or_else(|| {
                        DriveStoreError::Backend(format!("no Cattle Drive actor {author}"))
                    })?;
                let bytes = bytes_of(&text) + bytes_of(&id);
                let old = stored_bytes(conn, "drive_documents", &id)?;
                charge(
                    conn,
                    &account,
                    bytes - old.unwrap_or(0),
                    quotas.account,
                    quotas.hub,
                )?;
                let args = [
                    id.as_str().into(),
                    author.as_str().into(),
                    account.as_str().into(),
                    text.as_str().into(),
                    bytes.into(),
                ];
                if old.is_some() {
                    conn.execute(
                        "UPDATE drive_documents SET author = $2, account = $3, document = $4,
                         bytes = $5 WHERE id = $1",
                        &args,
                    )?;
                } else {
                    conn.execute(
                        "INSERT INTO drive_documents (id, author, account, document, bytes)
                         VALUES ($1, $2, $3, $4, $5)",
                        &args,
                    )?;
                }
                Ok::<_, DriveStoreError>(())
            })
        })
    }
}
