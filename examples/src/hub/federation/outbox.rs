//! Outgoing deliveries: each activity and remote recipient is a row of `deliveries` before
//! the first attempt, so nothing accepted is lost on a restart; a worker retries what failed
//! with exponential backoff and jitter.

use std::sync::Arc;
use std::time::Duration;

use activitystreams_core::http_signatures::CavageSigner;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::KEY_FRAGMENT;
use super::fetch::{FetchError, FetchSigner, Fetcher, sign};
use super::keys::ActorKeys;
use crate::hub::c2s::actor_url;
use crate::hub::config::FederationConfig;
use crate::hub::db::{Conn, Db, DbError};
use crate::hub::random;
use crate::hub::server::{Shutdown, TaskGuard, unix_now};

/// Longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(3600);
/// Deliveries the worker claims per round, at most.
const BATCH: usize = 16;

/// What became of one delivery, as the C2S WebSocket reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The recipient's server accepted it.
    Delivered,
    /// It failed for now; it stays queued and is retried.
    Retrying(String),
    /// The hub gave up on it.
    Failed(String),
}

/// Why one attempt failed.
enum AttemptError {
    /// Worth retrying (a timeout, a `5xx`, an unreachable server).
    Temporary(String),
    /// Never going to work (no inbox, a refused address, a `4xx`).
    Permanent(String),
}

impl From<FetchError> for AttemptError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Url(_)
            | FetchError::Private { .. }
            | FetchError::TooLarge(_)
            | FetchError::Sign(_) => AttemptError::Permanent(e.to_string()),
            _ => AttemptError::Temporary(e.to_string()),
        }
    }
}

/// A delivery committed to the queue, before its first attempt.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    id: String,
    sender: String,
    recipient: String,
    /// The activity as sent, shared by the deliveries of one post.
    body: Arc<str>,
}

/// Delivers activities of local actors to other servers' inboxes.
pub(crate) struct Deliverer {
    db: Db,
    keys: Arc<ActorKeys>,
    fetcher: Fetcher,
    config: FederationConfig,
    base_url: String,
    /// Permits for attempts (first ones and retries), across the hub.
    attempts: Arc<Semaphore>,
}

impl Deliverer {
    pub(crate) fn new(
        db: Db,
        keys: Arc<ActorKeys>,
        config: &FederationConfig,
        base_url: String,
    ) -> Self {
        Deliverer {
            db,
            keys,
            fetcher: Fetcher::new(config),
            config: config.clone(),
            base_url,
            attempts: Arc::new(Semaphore::new(config.delivery_concurrency.max(1))),
        }
    }

    /// Queues `body` (an activity of account `sender`) for the actor `recipient` (durably: the
    /// row is committed first) and makes the first attempt, once one of the hub's
    /// [`FederationConfig::delivery_concurrency`] permits is free.
    pub(crate) async fn deliver(&self, sender: &str, recipient: &str, body: &Arc<str>) -> Outcome {
        match self.queue(sender, recipient, body).await {
            Ok(queued) => {
                let _permit = self.attempts.acquire().await;
                self.attempt(&queued, 0).await
            }
            Err(outcome) => outcome,
        }
    }

    /// Queues `body` (an activity of account `sender`) for the actor `recipient`: once this
    /// returns `Ok`, the delivery is committed and will be attempted, if not by
    /// [`attempt_in_background`](Self::attempt_in_background) then by the worker (after a
    /// restart too).
    ///
    /// # Errors
    /// [`Outcome::Failed`] when the queue is full or the database fails: nothing was queued.
    pub(crate) async fn queue(
        &self,
        sender: &str,
        recipient: &str,
        body: &Arc<str>,
    ) -> Result<Queued, Outcome> {
        let queued = Queued {
            id: random::hex(16),
            sender: sender.to_owned(),
            recipient: recipient.to_owned(),
            body: body.clone(),
        };
        // The worker leaves the row alone while the first attempt runs.
        let claim = unix_now() + self.claim_seconds();
        let max = i64::try_from(self.config.delivery_queue).unwrap_or(i64::MAX);
        let row = queued.clone();
        let inserted = self
            .db
            .run(move |conn| {
                if conn.query_int("SELECT COUNT(*) FROM deliveries", &[])? >= max {
                    return Ok::<_, DbError>(false);
                }
                conn.execute(
                    "INSERT INTO deliveries (id, sender, recipient, body, attempts, next_at, created_at)
                     VALUES ($1, $2, $3, $4, 0, $5, $6)",
                    &[
                        row.id.as_str().into(),
                        row.sender.as_str().into(),
                        row.recipient.as_str().into(),
                        (&*row.body).into(),
                        claim.into(),
                        unix_now().into(),
                    ],
                )?;
                Ok(true)
            })
            .await;
        match inserted {
            Ok(true) => Ok(queued),
            Ok(false) => Err(Outcome::Failed("the delivery queue is full".into())),
            Err(e) => Err(Outcome::Failed(format!("not queued: {e}"))),
        }
    }

    /// Starts the first attempt at each of `queued` in the background, at most
    /// [`FederationConfig::delivery_concurrency`] at once across the hub. A delivery beyond
    /// that bound is left to the worker, which takes it once its claim lapses (about twice
    /// `fetch_timeout` after it was queued): whatever is posted, the hub holds a bounded
    /// number of outgoing connections and tasks.
    pub(crate) fn attempt_in_background(self: &Arc<Self>, queued: Vec<Queued>) {
        for queued in queued {
            let Ok(permit) = self.attempts.clone().try_acquire_owned() else {
                tracing::debug!(recipient = %queued.recipient, "first attempt left to the worker");
                continue;
            };
            self.spawn_attempt(queued, 0, permit);
        }
    }

    /// Attempts `queued` (after `attempts` earlier ones) in a task of its own, which holds
    /// `permit` until the attempt ends.
    fn spawn_attempt(
        self: &Arc<Self>,
        queued: Queued,
        attempts: i64,
        permit: OwnedSemaphorePermit,
    ) {
        let deliverer = self.clone();
        tokio::spawn(async move {
            let outcome = deliverer.attempt(&queued, attempts).await;
            drop(permit);
            tracing::info!(recipient = %queued.recipient, ?outcome, attempts, "delivery attempt");
        });
    }

    /// Retries due deliveries every second until shutdown, each in a task of its own, as many
    /// at once as the hub's free permits allow.
    pub(crate) async fn run(self: Arc<Self>, mut shutdown: Shutdown, _guard: TaskGuard) {
        loop {
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            // Permits first, then as many rows as there are permits: a claimed row is attempted
            // at once, and one slow server holds only the permits of its own attempts.
            let mut permits = Vec::new();
            while permits.len() < BATCH {
                match self.attempts.clone().try_acquire_owned() {
                    Ok(permit) => permits.push(permit),
                    Err(_) => break,
                }
            }
            if permits.is_empty() {
                continue;
            }
            let claim = self.claim_seconds();
            let limit = i64::try_from(permits.len()).unwrap_or(0);
            let due = self
                .db
                .run(move |conn| claim_due(conn, unix_now(), claim, limit))
                .await;
            match due {
                Ok(due) => {
                    for (Due { queued, attempts }, permit) in due.into_iter().zip(permits) {
                        self.spawn_attempt(queued, attempts, permit);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "delivery queue unreadable"),
            }
        }
    }

    /// Seconds a row is left alone while an attempt runs: longer than its two fetches.
    fn claim_seconds(&self) -> i64 {
        i64::try_from(self.config.fetch_timeout.as_secs()).unwrap_or(60) * 2 + 1
    }

    /// One attempt at `queued`, after `attempts` earlier ones; the row is then kept for a
    /// retry or removed.
    async fn attempt(&self, queued: &Queued, attempts: i64) -> Outcome {
        let made = attempts + 1;
        let outcome = match self
            .send(&queued.sender, &queued.recipient, &queued.body)
            .await
        {
            Ok(()) => Outcome::Delivered,
            Err(AttemptError::Temporary(why))
                if made < i64::from(self.config.delivery_attempts) =>
            {
                Outcome::Retrying(why)
            }
            Err(AttemptError::Temporary(why) | AttemptError::Permanent(why)) => {
                Outcome::Failed(why)
            }
        };
        let id = queued.id.clone();
        let next_at = unix_now() + backoff(self.config.delivery_retry, made);
        let keep = matches!(outcome, Outcome::Retrying(_));
        let stored = self
            .db
            .run(move |conn| {
                if keep {
                    conn.execute(
                        "UPDATE deliveries SET attempts = $1, next_at = $2 WHERE id = $3",
                        &[made.into(), next_at.into(), id.as_str().into()],
                    )?;
                } else {
                    conn.execute(
                        "DELETE FROM deliveries WHERE id = $1",
                        &[id.as_str().into()],
                    )?;
                }
                Ok::<_, DbError>(())
            })
            .await;
        if let Err(e) = stored {
            tracing::warn!(error = %e, "delivery state not stored");
        }
        outcome
    }

    /// One attempt: the recipient's inbox from its actor document (fetched signed by the
    /// sender), then the signed POST.
    async fn send(&self, sender: &str, recipient: &str, body: &str) -> Result<(), AttemptError> {
        let key = self
            .keys
            .get(sender)
            .await
            .map_err(|e| AttemptError::Temporary(e.to_string()))?;
        let key_id = format!("{}{KEY_FRAGMENT}", actor_url(&self.base_url, sender));
        let signer = FetchSigner {
            key_id: &key_id,
            key: &key,
        };
        let (status, document) = self.fetcher.get_json(recipient, Some(signer)).await?;
        check_status(status)?;
        let document: Value = serde_json::from_slice(&document)
            .map_err(|e| AttemptError::Permanent(format!("actor document: {e}")))?;
        let inbox = document["inbox"]
            .as_str()
            .ok_or_else(|| AttemptError::Permanent("the actor has no inbox".into()))?;
        let permanent = |e: &dyn std::fmt::Display| AttemptError::Permanent(e.to_string());
        let request = http::Request::post(inbox)
            .header(http::header::CONTENT_TYPE, "application/activity+json")
            .body(body.as_bytes().to_vec())
            .map_err(|e| permanent(&e))?;
        let request = sign(&key, CavageSigner::new(key_id), request).await?;
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let (status, _) = self.fetcher.send(request).await?;
        check_status(status)
    }
}

/// A delivery the worker claimed, with the attempts made so far.
struct Due {
    queued: Queued,
    attempts: i64,
}

/// Claims up to `limit` due deliveries for `claim` seconds from `now`.
fn claim_due(conn: &mut dyn Conn, now: i64, claim: i64, limit: i64) -> Result<Vec<Due>, DbError> {
    let mut due = Vec::new();
    for candidate in read_due(conn, now, limit)? {
        if claim_one(conn, &candidate, now + claim)? {
            due.push(candidate.due);
        }
    }
    Ok(due)
}

/// A due delivery as read, not yet claimed.
struct Candidate {
    due: Due,
    /// Its `next_at` when read.
    next_at: i64,
}

/// Up to `limit` deliveries due at `now`, the longest due first.
fn read_due(conn: &mut dyn Conn, now: i64, limit: i64) -> Result<Vec<Candidate>, DbError> {
    let rows = conn.query(
        "SELECT id, sender, recipient, body, attempts, next_at FROM deliveries
         WHERE next_at <= $1 ORDER BY next_at LIMIT $2",
        &[now.into(), limit.into()],
    )?;
    rows.into_iter()
        .map(|mut row| {
            Ok(Candidate {
                due: Due {
                    queued: Queued {
                        id: row.take_text(0)?,
                        sender: row.take_text(1)?,
                        recipient: row.take_text(2)?,
                        body: row.take_text(3)?.into(),
                    },
                    attempts: row.int(4)?,
                },
                next_at: row.int(5)?,
            })
        })
        .collect()
}

/// Claims `candidate` until `until`, if it is still as it was read (`next_at` unchanged):
/// of several instances sharing the database that read it together, exactly one claims it.
fn claim_one(conn: &mut dyn Conn, candidate: &Candidate, until: i64) -> Result<bool, DbError> {
    let claimed = conn.execute(
        "UPDATE deliveries SET next_at = $1 WHERE id = $2 AND next_at = $3",
        &[
            until.into(),
            candidate.due.queued.id.as_str().into(),
            candidate.next_at.into(),
        ],
    )?;
    Ok(claimed == 1)
}

/// Seconds to wait after `made` failed attempts: `retry` doubled per further attempt, at most
/// an hour, drawn within `[delay / 2, delay]`.
fn backoff(retry: Duration, made: i64) -> i64 {
    let doublings = u32::try_from(made.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    let delay = retry
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY)
        .as_secs();
    i64::try_from(random::between(delay / 2, delay)).unwrap_or(i64::MAX)
}

/// `2xx` succeeds; `408`, `429` and `5xx` are worth retrying; every other status is final.
fn check_status(status: http::StatusCode) -> Result<(), AttemptError> {
    if status.is_success() {
        Ok(())
    } else if status.is_server_error()
        || status == http::StatusCode::REQUEST_TIMEOUT
        || status == http::StatusCode::TOO_MANY_REQUESTS
    {
        Err(AttemptError::Temporary(format!("answered {status}")))
    } else {
        Err(AttemptError::Permanent(format!("answered {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_due_delivery_is_claimed_once_by_instances_reading_it_together() {
        let dir = std::env::temp_dir().join(format!("fedi-hub-claim-{}", random::hex(8)));
        let db = Db::open(crate::hub::db::Storage::Directory(dir.clone()))
            .await
            .unwrap();
        let outcome = db
            .run(|conn| {
                for n in 0..3_i64 {
                    conn.execute(
                        "INSERT INTO deliveries (id, sender, recipient, body, attempts, next_at, created_at)
                         VALUES ($1, 'bob', 'https://example.org/u', '{}', 2, $2, 0)",
                        &[format!("d{n}").as_str().into(), (100 + n).into()],
                    )?;
                }
                // Two instances read the same due rows before either claims them.
                let (a, b) = (read_due(conn, 200, 16)?, read_due(conn, 200, 16)?);
                let mut claims = Vec::new();
                for candidate in a.iter().chain(&b) {
                    claims.push(claim_one(conn, candidate, 230)?);
                }
                let claimed = claim_due(conn, 200, 30, 16)?;
                let late = claim_due(conn, 231, 30, 16)?;
                Ok::<_, DbError>((a, claims, claimed, late))
            })
            .await
            .unwrap();
        let (read, claims, claimed, late) = outcome;
        let ids = |due: &mut dyn Iterator<Item = &Due>| {
            due.map(|d| d.queued.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(ids(&mut read.iter().map(|c| &c.due)), ["d0", "d1", "d2"]);
        assert!(
            read.iter()
                .all(|c| c.due.attempts == 2 && c.due.queued.sender == "bob")
        );
        assert_eq!(
            claims,
            [true, true, true, false, false, false],
            "each row claimed once"
        );
        assert!(claimed.is_empty(), "claimed rows are not due again");
        // A claim that lapses (the attempt never reported) makes the row due again.
        assert_eq!(ids(&mut late.iter()), ["d0", "d1", "d2"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn waits_double_within_half_to_full_and_stop_at_an_hour() {
        let retry = Duration::from_secs(30);
        for _ in 0..200 {
            assert!((15..=30).contains(&backoff(retry, 1)));
            assert!((60..=120).contains(&backoff(retry, 3)));
            assert!((1800..=3600).contains(&backoff(retry, 40)));
        }
    }
}
