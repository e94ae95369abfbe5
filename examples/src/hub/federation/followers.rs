//! Remote followers of local actors, recorded when their `Follow` arrives (and accepted).

use crate::hub::db::{Db, DbError};
use crate::hub::server::unix_now;

/// The `followers` table.
pub(crate) struct Followers {
    db: Db,
}

impl Followers {
    pub(crate) fn new(db: Db) -> Self {
        Followers { db }
    }

    /// Records `follower` (an actor id) as following `account`; recording it again changes
    /// nothing.
    ///
    /// # Errors
    /// [`DbError`].
    pub(crate) async fn add(&self, account: &str, follower: &str) -> Result<(), DbError> {
        let (account, follower) = (account.to_owned(), follower.to_owned());
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO followers (account, follower, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (account, follower) DO NOTHING",
                    &[
                        account.as_str().into(),
                        follower.as_str().into(),
                        unix_now().into(),
                    ],
                )
                .map(|_| ())
            })
            .await
    }

    /// The first `limit` followers of `account`, oldest first (a post reaches at most as many
    /// recipients as `Limits::max_recipients` allows anyway).
    ///
    /// # Errors
    /// [`DbError`].
    pub(crate) async fn of(&self, account: &str, limit: usize) -> Result<Vec<String>, DbError> {
        let account = account.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                conn.query(
                    "SELECT follower FROM followers WHERE account = $1
                     ORDER BY created_at, follower LIMIT $2",
                    &[account.as_str().into(), limit.into()],
                )?
                .into_iter()
                .map(|mut row| row.take_text(0))
                .collect()
            })
            .await
    }
}
