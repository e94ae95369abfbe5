//! The database under the hub's store: one SQL schema on two engines, embedded SQLite (a file
//! in the data directory, or in memory) and PostgreSQL (shared by several instances).
//!
//! ```text
//!  async caller ── Db::run(job) ──► job queue ──► database thread 1 ── Connection (SQLite/PG)
//!       ▲                                     └─► database thread n ── Connection
//!       └──────────── oneshot: the job's result ◄──────┘
//! ```
//!
//! Every operation is a synchronous closure over a [`Conn`], run on one of the pool's own
//! threads: the store's logic is written once, in plain sequential code, for both engines, and
//! no blocking call ever runs on the async runtime. The engines differ only in three places,
//! all here: placeholders (`$1` is written once and becomes `?1` for SQLite), the binary column
//! type (see [`schema`]) and how a transaction starts.
//!
//! Decisions:
//! - `rusqlite` (with SQLite compiled in: nothing to install) and the synchronous `postgres`
//!   client, both well kept and both plain blocking APIs, which is what a database thread wants.
//!   `sqlx` would give one async API over both, but its current release needs a newer Rust than
//!   the workspace's minimum, and its `Any` driver still needs per-engine SQL here.
//! - SQLite runs in WAL mode with `synchronous = FULL`: a committed transaction survives a crash
//!   of the process and of the machine. PostgreSQL keeps its own default
//!   (`synchronous_commit = on`), which guarantees the same.
//! - Values are only integers (`BIGINT`), text and bytes: no booleans, no floats, no engine
//!   types, so every statement runs unchanged on both engines.

mod postgres;
pub(crate) mod schema;
mod sqlite;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

pub(crate) use postgres::Listener;

/// Where the hub keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// An SQLite database `fedi-hub.sqlite3` in this directory (created with mode 0700).
    Directory(PathBuf),
    /// A PostgreSQL database, `postgres://user@host/db` (several instances may share it).
    Postgres(String),
    /// An SQLite database in memory: everything is lost when the hub stops.
    Memory,
}

impl Storage {
    /// The default: `./fedi-hub-data`.
    #[must_use]
    pub fn default_directory() -> Self {
        Storage::Directory(PathBuf::from("fedi-hub-data"))
    }

    /// Whether several instances can share this storage.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        matches!(self, Storage::Postgres(_))
    }

    /// A description for logs and the banner (a PostgreSQL URL without its password).
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Storage::Directory(dir) => format!("SQLite in {}", dir.display()),
            Storage::Postgres(url) => format!("PostgreSQL at {}", redact(url)),
            Storage::Memory => "memory only (nothing is kept when the hub stops)".to_owned(),
        }
    }
}

/// `url` without the password of its user.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The database failed, or refused what it was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// SQLite reported an error.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// The data directory could not be created or opened.
    #[error("data directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The database holds a schema newer than this build knows.
    #[error(
        "the database schema is version {found}, newer than this fedi-hub understands ({known}); run a newer fedi-hub or start afresh"
    )]
    NewerSchema {
        /// The version in the database.
        found: i64,
        /// The newest version this build has.
        known: i64,
    },
    /// A column did not have the type the store expects.
    #[error("unexpected value in column {column}")]
    Column {
        /// The column index.
        column: usize,
    },
    /// The database threads are gone (the hub is stopping).
    #[error("the database is closed")]
    Closed,
}

/// A statement argument.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
    /// SQL `NULL`.
    Null,
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(text)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(text: &'a String) -> Self {
        Arg::Text(text)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Arg::Null, Arg::Text)
    }
}

/// A column value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Null,
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    /// The integer in column `i`.
    pub(crate) fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.0.get(i) {
            Some(Value::Int(n)) => Ok(*n),
            _ => Err(DbError::Column { column: i }),
        }
    }

    /// The text in column `i`.
    pub(crate) fn text(&self, i: usize) -> Result<&str, DbError> {
        match self.0.get(i) {
            Some(Value::Text(text)) => Ok(text),
            _ => Err(DbError::Column { column: i }),
        }
    }

    /// The text in column `i`, or `None` for `NULL`.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<&str>, DbError> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// Takes the text in column `i`.
    pub(crate) fn take_text(&mut self, i: usize) -> Result<String, DbError> {
        match self.0.get_mut(i) {
            Some(Value::Text(text)) => Ok(std::mem::take(text)),
            _ => Err(DbError::Column { column: i }),
        }
    }

    /// Takes the bytes in column `i`.
    pub(crate) fn take_bytes(&mut self, i: usize) -> Result<Vec<u8>, DbError> {
        match self.0.get_mut(i) {
            Some(Value::Bytes(bytes)) => Ok(std::mem::take(bytes)),
            _ => Err(DbError::Column { column: i }),
        }
    }
}

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// One database connection, as the store's SQL sees it. Statements use `$1`, `$2`, … in the
/// order of their arguments.
pub(crate) trait Conn {
    /// Runs a statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError>;
    /// Runs statements without arguments, separated by `;`.
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// The engine.
    fn engine(&self) -> Engine;

    /// Whether the connection is closed for good and must be opened again (a PostgreSQL
    /// connection whose server went away).
    fn is_closed(&self) -> bool {
        false
    }

    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The integer in the first column of the first row of a query.
    fn query_int(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<i64, DbError> {
        self.query_opt(sql, args)?
            .ok_or(DbError::Column { column: 0 })?
            .int(0)
    }
}

/// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise. SQLite
/// takes the write lock at the start (`BEGIN IMMEDIATE`), so a transaction that writes never
/// fails half-way for a lock it could not upgrade.
pub(crate) fn transaction<T, E: From<DbError>>(
    conn: &mut dyn Conn,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
) -> Result<T, E> {
    let begin = match conn.engine() {
        Engine::Sqlite => "BEGIN IMMEDIATE",
        Engine::Postgres => "BEGIN",
    };
    conn.batch(begin)?;
    match f(conn) {
        Ok(value) => match conn.batch("COMMIT") {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = conn.batch("ROLLBACK");
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Work for a database thread.
type Job = Box<dyn FnOnce(&mut dyn Conn) + Send>;

/// The pool of database threads. Cloning shares it; the threads stop when the last clone is
/// dropped.
#[derive(Clone)]
pub(crate) struct Db {
    jobs: mpsc::Sender<Job>,
    engine: Engine,
    storage: Arc<Storage>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("engine", &self.engine).finish()
    }
}

/// Database threads of a pool on a file or server (one in memory: an SQLite memory database
/// belongs to its one connection).
const THREADS: usize = 4;

impl Db {
    /// Opens `storage`, runs the embedded migrations and starts the database threads.
    ///
    /// # Errors
    /// [`DbError`] when the database cannot be reached or created, or holds a newer schema.
    pub(crate) async fn open(storage: Storage) -> Result<Db, DbError> {
        let storage = Arc::new(storage);
        let opening = storage.clone();
        // Connecting and migrating block: do it on a blocking thread.
        let (first, threads) = tokio::task::spawn_blocking(move || -> Result<_, DbError> {
            let mut first = connect(&opening)?;
            schema::migrate(first.as_mut())?;
            let threads = if *opening == Storage::Memory {
                1
            } else {
                THREADS
            };
            Ok((first, threads))
        })
        .await
        .map_err(|_| DbError::Closed)??;
        let engine = first.engine();
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        spawn_worker(first, storage.clone(), queue.clone(), 0);
        for n in 1..threads {
            let conn = {
                let storage = storage.clone();
                tokio::task::spawn_blocking(move || connect(&storage))
                    .await
                    .map_err(|_| DbError::Closed)??
            };
            spawn_worker(conn, storage.clone(), queue.clone(), n);
        }
        Ok(Db {
            jobs,
            engine,
            storage,
        })
    }

    /// Runs `job` on a database thread and returns its result.
    ///
    /// # Errors
    /// The job's own error, or [`DbError::Closed`] (as `E`) when the pool is gone or the job
    /// panicked.
    pub(crate) async fn run<T, E>(
        &self,
        job: impl FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(job(conn));
        });
        self.jobs.send(job).map_err(|_| DbError::Closed)?;
        rx.await.map_err(|_| DbError::Closed)?
    }

    /// [`Db::run`] for code that may block: waits for the result on the calling thread. Call it
    /// from a blocking thread (`tokio::task::spawn_blocking`), never from async code, where it
    /// would hold a runtime thread for the whole job.
    ///
    /// # Errors
    /// As [`Db::run`].
    pub(crate) fn run_blocking<T, E>(
        &self,
        job: impl FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(job(conn));
        });
        self.jobs.send(job).map_err(|_| DbError::Closed)?;
        rx.recv().map_err(|_| DbError::Closed)?
    }

    /// The engine of this pool.
    pub(crate) fn engine(&self) -> Engine {
        self.engine
    }

    /// What the pool is opened on.
    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }
}

fn connect(storage: &Storage) -> Result<Box<dyn Conn + Send>, DbError> {
    Ok(match storage {
        Storage::Directory(dir) => Box::new(sqlite::SqliteConn::open_in(dir)?),
        Storage::Memory => Box::new(sqlite::SqliteConn::open_memory()?),
        Storage::Postgres(url) => Box::new(postgres::PgConn::connect(url)?),
    })
}

/// A database thread: takes jobs until the pool is dropped. A job that panics loses its result
/// (its caller gets [`DbError::Closed`]), and the connection is rolled back and kept; a
/// PostgreSQL connection that broke is opened again before the next job.
fn spawn_worker(
    mut conn: Box<dyn Conn + Send>,
    storage: Arc<Storage>,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    n: usize,
) {
    let spawned = std::thread::Builder::new()
        .name(format!("fedi-hub-db-{n}"))
        .spawn(move || {
            loop {
                let job = {
                    let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
                    match queue.recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    }
                };
                if catch_unwind(AssertUnwindSafe(|| job(conn.as_mut()))).is_err() {
                    tracing::error!("a database job panicked; its transaction is rolled back");
                    let _ = conn.batch("ROLLBACK");
                }
                if conn.is_closed() {
                    match connect(&storage) {
                        Ok(fresh) => conn = fresh,
                        Err(e) => tracing::warn!(error = %e, "database reconnect failed"),
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start a database thread");
    }
}
