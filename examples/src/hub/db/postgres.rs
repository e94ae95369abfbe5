//! PostgreSQL connections (the synchronous `postgres` client), and the listener that wakes the
//! hub when another instance commits (`LISTEN`/`NOTIFY`).

use std::collections::HashMap;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::{Arg, Conn, DbError, Engine, Row, Value};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One PostgreSQL connection, with its prepared statements (the store's SQL is a fixed set of
/// texts, so the cache is bounded by the code).
pub(crate) struct PgConn {
    client: Client,
    prepared: HashMap<String, Statement>,
}

impl PgConn {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`).
    pub(crate) fn connect(url: &str) -> Result<Self, DbError> {
        Ok(PgConn {
            client: connect(url)?,
            prepared: HashMap::new(),
        })
    }

    fn prepare(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

fn connect(url: &str) -> Result<Client, DbError> {
    let mut config: postgres::Config = url.parse()?;
    config.connect_timeout(CONNECT_TIMEOUT);
    config.application_name("fedi-hub");
    Ok(config.connect(NoTls)?)
}

/// The arguments as the client binds them: every integer is `BIGINT`, text `TEXT`, bytes
/// `BYTEA`; a `NULL` is bound as text, which PostgreSQL casts to the column's type.
fn bind<'a>(args: &'a [Arg<'a>]) -> Vec<Box<dyn ToSql + Sync + 'a>> {
    args.iter()
        .map(|arg| -> Box<dyn ToSql + Sync + 'a> {
            match *arg {
                Arg::Int(n) => Box::new(n),
                Arg::Text(text) => Box::new(text),
                Arg::Bytes(bytes) => Box::new(bytes),
                Arg::Null => Box::new(None::<&str>),
            }
        })
        .collect()
}

fn read(row: &postgres::Row, column: usize) -> Result<Value, DbError> {
    let bad = |_| DbError::Column { column };
    let ty = row.columns()[column].type_();
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(column)
            .map_err(bad)?
            .map_or(Value::Null, Value::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(column)
            .map_err(bad)?
            .map_or(Value::Null, |n| Value::Int(n.into()))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(column)
            .map_err(bad)?
            .map_or(Value::Null, Value::Bytes)
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(column)
            .map_err(bad)?
            .map_or(Value::Null, |b| Value::Int(b.into()))
    } else {
        row.try_get::<_, Option<String>>(column)
            .map_err(bad)?
            .map_or(Value::Null, Value::Text)
    })
}

impl Conn for PgConn {
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        let statement = self.prepare(sql)?;
        let bound = bind(args);
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| &**b).collect();
        Ok(self.client.execute(&statement, &refs)?)
    }

    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError> {
        let statement = self.prepare(sql)?;
        let bound = bind(args);
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| &**b).collect();
        let rows = self.client.query(&statement, &refs)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| read(row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// A connection that `LISTEN`s on one channel and hands each notification's payload to a
/// callback, on its own thread, reconnecting (and telling the callback, with `None`, that
/// notifications may have been missed) when the server goes away.
pub(crate) struct Listener;

impl Listener {
    /// Listens on `channel` of the database at `url`, on a thread of its own, until `stop`
    /// returns `true` (checked every second). Resolves once the first `LISTEN` is in place.
    ///
    /// # Errors
    /// [`DbError`] when the first connection fails.
    pub(crate) async fn spawn(
        url: String,
        channel: String,
        mut on_notify: impl FnMut(Option<String>) + Send + 'static,
        stop: impl Fn() -> bool + Send + 'static,
    ) -> Result<(), DbError> {
        let (ready, listening) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("fedi-hub-listen".into())
            .spawn(move || {
                let mut client = match listen(&url, &channel) {
                    Ok(client) => {
                        let _ = ready.send(Ok(()));
                        client
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let mut backoff = Duration::from_millis(100);
                loop {
                    if stop() {
                        return;
                    }
                    let next = {
                        let mut notifications = client.notifications();
                        let mut waiting = notifications.timeout_iter(Duration::from_secs(1));
                        waiting.next()
                    };
                    match next {
                        Ok(Some(notification)) => {
                            on_notify(Some(notification.payload().to_owned()));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "database listener lost its connection");
                            loop {
                                if stop() {
                                    return;
                                }
                                std::thread::sleep(backoff);
                                match listen(&url, &channel) {
                                    Ok(fresh) => {
                                        client = fresh;
                                        backoff = Duration::from_millis(100);
                                        // Whatever was notified meanwhile is looked up again.
                                        on_notify(None);
                                        break;
                                    }
                                    Err(e) => {
                                        backoff = (backoff * 2).min(Duration::from_secs(10));
                                        tracing::warn!(error = %e, ?backoff, "database listener reconnect failed");
                                    }
                                }
                            }
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the database listener thread");
            return Err(DbError::Closed);
        }
        listening.await.map_err(|_| DbError::Closed)?
    }
}

fn listen(url: &str, channel: &str) -> Result<Client, DbError> {
    let mut client = connect(url)?;
    // The channel name is the hub's own constant, quoted as an identifier.
    client.batch_execute(&format!("LISTEN \"{}\"", channel.replace('"', "\"\"")))?;
    Ok(client)
}
