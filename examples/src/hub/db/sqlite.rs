//! SQLite connections (`rusqlite`, with SQLite compiled in).

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use super::{Arg, Conn, DbError, Engine, Row, Value};

/// The database file inside the data directory.
pub(crate) const FILE_NAME: &str = "fedi-hub.sqlite3";

/// How long a writer waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Statements kept prepared per connection.
const STATEMENT_CACHE: usize = 64;

/// One SQLite connection.
pub(crate) struct SqliteConn(Connection);

impl SqliteConn {
    /// Opens (creating if needed) the database in `dir`, itself created with mode 0700.
    pub(crate) fn open_in(dir: &Path) -> Result<Self, DbError> {
        create_private_dir(dir).map_err(|source| DbError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let conn = Connection::open(dir.join(FILE_NAME))?;
        // WAL: readers never wait for the writer. FULL: a commit survives a machine crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::configure(conn)
    }

    /// An empty database in memory, private to this connection.
    pub(crate) fn open_memory() -> Result<Self, DbError> {
        Self::configure(Connection::open_in_memory()?)
    }

    fn configure(conn: Connection) -> Result<Self, DbError> {
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteConn(conn))
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// `$1` placeholders as SQLite's `?1`.
fn placeholders(sql: &str) -> String {
    sql.replace('$', "?")
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Int(n) => ValueRef::Integer(n),
            Arg::Text(text) => ValueRef::Text(text.as_bytes()),
            Arg::Bytes(bytes) => ValueRef::Blob(bytes),
            Arg::Null => ValueRef::Null,
        }))
    }
}

fn read(value: ValueRef<'_>, column: usize) -> Result<Value, DbError> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Text(text) => Value::Text(
            std::str::from_utf8(text)
                .map_err(|_| DbError::Column { column })?
                .to_owned(),
        ),
        ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
        ValueRef::Real(_) => return Err(DbError::Column { column }),
    })
}

impl Conn for SqliteConn {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        let mut statement = self.0.prepare_cached(&placeholders(sql))?;
        let changed = statement.execute(rusqlite::params_from_iter(args))?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError> {
        let mut statement = self.0.prepare_cached(&placeholders(sql))?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(read(row.get_ref(i)?, i)?);
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn engine(&self) -> Engine {
        Engine::Sqlite
    }
}
