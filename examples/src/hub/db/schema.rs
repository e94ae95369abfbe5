//! The schema, as embedded migrations run at start.
//!
//! Each migration is one SQL text for both engines; the only word that differs, the type of
//! binary columns, is written `BYTES` and becomes `BLOB` (SQLite) or `BYTEA` (PostgreSQL).
//! `schema_version` records what ran. A database whose version is newer than the last
//! migration here is refused at start ([`DbError::NewerSchema`]). On PostgreSQL, instances that
//! start together migrate one at a time (an advisory lock).

use super::{Conn, DbError, Engine, transaction};

/// The migrations, oldest first; version `n` is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The first schema.
///
/// - `objects`: every activity and object the hub stores, by id, with its owner (an account
///   name), its audience (the key of its `audience` rows and whether it is public), the JSON
///   everyone but the owner sees (no `bto`/`bcc`), and the owner's own view where it differs.
/// - `items`: the inboxes and outboxes. `seq` is the hub-wide order (from `counters`), the
///   stream item id and the collection cursor; `origin` is the instance that committed it.
/// - `quota_usage` and the `bytes` counter: bytes stored per account and in all.
/// - `blobs`, and `blob_refs` from a blob to the objects that show it.
/// - `bus_events`: the Bus replay log; `versia_seen`: the Versia replay cache.
const V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters (name, value) VALUES ('item', 0), ('bus', 0), ('bytes', 0);
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE quota_usage (owner TEXT PRIMARY KEY, bytes BIGINT NOT NULL);
CREATE TABLE objects (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    audience TEXT NOT NULL,
    public BIGINT NOT NULL,
    created_object TEXT,
    json TEXT NOT NULL,
    owner_json TEXT,
    bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX objects_created ON objects (created_object);
CREATE TABLE audience (
    audience TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (audience, actor)
);
CREATE TABLE items (
    seq BIGINT PRIMARY KEY,
    owner TEXT NOT NULL,
    collection TEXT NOT NULL,
    activity TEXT NOT NULL REFERENCES objects (id),
    origin TEXT NOT NULL
);
CREATE INDEX items_by_collection ON items (owner, collection, seq);
CREATE TABLE blobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    media_type TEXT NOT NULL,
    data BYTES NOT NULL,
    bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE blob_refs (
    blob TEXT NOT NULL REFERENCES blobs (id),
    object TEXT NOT NULL REFERENCES objects (id),
    PRIMARY KEY (blob, object)
);
CREATE TABLE bus_events (
    seq BIGINT PRIMARY KEY,
    origin TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    users TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE versia_seen (signature TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
CREATE INDEX versia_seen_expiry ON versia_seen (expires_at);
";

/// Cattle Drive's actors and the documents they create (`--amqp`).
///
/// - `drive_actors`: by id, with the account they belong to, their `info` name, their public
///   document, whether they were deleted (their URL then answers `410 Gone`) and `created`
///   (from the `drive` counter: the order `info` lists them in).
/// - `drive_documents`: what the actors created, by id, with the creating actor, the account
///   charged for it and its size in bytes.
/// - The `drive` counter: the numbers in new actor and document ids, never handed out twice.
const V2: &str = "
INSERT INTO counters (name, value) VALUES ('drive', 0);
CREATE TABLE drive_actors (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    deleted BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX drive_actors_by_account ON drive_actors (account, created);
CREATE TABLE drive_documents (
    id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    account TEXT NOT NULL,
    document TEXT NOT NULL,
    bytes BIGINT NOT NULL
);
";

/// Federation: the signing keys of local actors.
///
/// - `actor_keys`: one key per account, made the first time the actor is shown or signs
///   (`algorithm` names it: `rsa`, `secret` is the PKCS#8 DER; `ed25519`, `secret` is the
///   32-byte seed), with its public key as PEM for the actor document.
const V3: &str = "
CREATE TABLE actor_keys (
    account TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    secret BYTES NOT NULL,
    public_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
";

/// Federation: the queue of outgoing deliveries.
///
/// - `deliveries`: one row per activity and remote recipient, written before the first
///   attempt and deleted once the recipient's server accepted it or the hub gave up; `attempts`
///   made so far and when the next is due (unix seconds).
const V4: &str = "
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_at);
";

/// Federation: remote actors following local ones (recorded when their `Follow` arrives).
const V5: &str = "
CREATE TABLE followers (
    account TEXT NOT NULL,
    follower TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account, follower)
);
";

/// An arbitrary key for the advisory lock that serialises migrations on PostgreSQL.
const MIGRATION_LOCK: i64 = 0x00fe_d14b;

/// Brings the database to the last of the embedded migrations.
///
/// # Errors
/// [`DbError::NewerSchema`] for a database written by a newer build; any database error.
pub(crate) fn migrate(conn: &mut dyn Conn) -> Result<(), DbError> {
    let postgres = conn.engine() == Engine::Postgres;
    if postgres {
        conn.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    }
    let result = run_missing(conn, MIGRATIONS);
    if postgres {
        conn.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    }
    result
}

/// Runs the `migrations` (version `n` is `migrations[n - 1]`) the database has not run yet.
fn run_missing(conn: &mut dyn Conn, migrations: &[&str]) -> Result<(), DbError> {
    let known = i64::try_from(migrations.len()).unwrap_or(i64::MAX);
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    let current = conn.query_int(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_version",
        &[],
    )?;
    if current > known {
        return Err(DbError::NewerSchema {
            found: current,
            known,
        });
    }
    let bytes = match conn.engine() {
        Engine::Sqlite => "BLOB",
        Engine::Postgres => "BYTEA",
    };
    for (version, sql) in (1..)
        .zip(migrations)
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let sql = sql.replace("BYTES", bytes);
        transaction(conn, |conn| {
            conn.batch(&sql)?;
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                &[version.into(), crate::hub::server::unix_now().into()],
            )?;
            Ok::<_, DbError>(())
        })?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::db::sqlite::SqliteConn;

    /// The schema version this build writes.
    const VERSION: i64 = MIGRATIONS.len() as i64;

    fn version(conn: &mut dyn Conn) -> i64 {
        conn.query_int(
            "SELECT CAST(MAX(version) AS BIGINT) FROM schema_version",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_database_of_the_first_schema_is_brought_up_to_date_and_keeps_its_rows() {
        let mut conn = SqliteConn::open_memory().unwrap_or_else(|e| panic!("{e}"));
        run_missing(&mut conn, &MIGRATIONS[..1]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(version(&mut conn), 1);
        conn.execute(
            "INSERT INTO accounts (name, token, created_at) VALUES ($1, $2, $3)",
            &["alice".into(), "secret".into(), 7.into()],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        conn.execute("UPDATE counters SET value = 41 WHERE name = 'item'", &[])
            .unwrap_or_else(|e| panic!("{e}"));

        migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(version(&mut conn), VERSION);
        let token = conn
            .query_opt(
                "SELECT token FROM accounts WHERE name = $1",
                &["alice".into()],
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|row| row.text(0).map(str::to_owned))
            .transpose()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(token.as_deref(), Some("secret"));
        let item = conn
            .query_int("SELECT value FROM counters WHERE name = 'item'", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(item, 41);
        let drive = conn
            .query_int("SELECT value FROM counters WHERE name = 'drive'", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(drive, 0);

        // Running it again changes nothing.
        migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(version(&mut conn), VERSION);
    }

    #[test]
    fn a_database_newer_than_the_build_is_refused() {
        let mut conn = SqliteConn::open_memory().unwrap_or_else(|e| panic!("{e}"));
        migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        let refused = run_missing(&mut conn, &MIGRATIONS[..1]);
        assert!(
            matches!(refused, Err(DbError::NewerSchema { found, known: 1 }) if found == VERSION),
            "{refused:?}"
        );
    }
}
