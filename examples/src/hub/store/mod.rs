//! The hub's state in its database ([`crate::hub::db`]): accounts, settings, every activity and
//! object with its audience, the inboxes and outboxes in one hub-wide order, blobs, quotas, the
//! Bus replay log and the Versia replay cache; and the live feeds that follow what is committed.
//!
//! ```text
//!  post ──► one transaction: objects + audience + items (seq from the `item` counter) + quota
//!             │ commit (201 only after it)            another instance's commit
//!             ▼                                          │ NOTIFY (PostgreSQL)
//!  tail: wake ─► SELECT items WHERE seq > last ──► feeds (streams) + observers (Mastodon, Cattle Drive)
//!  GET pages, objects, blobs ──► SELECT … WHERE visible to the viewer
//! ```
//!
//! Guarantees:
//! - **Committed means kept.** A post is answered after its transaction commits.
//! - **Ids never go back.** Item sequence numbers come from one counter row, locked until the
//!   transaction commits: numbers are never reused, never skipped, and become visible in order,
//!   on every instance sharing the database. So `seq > last` never misses an item, and every
//!   cursor (`Last-Event-ID`, `?min_id=`) stays valid across restarts and instances.
//! - **Audiences.** Every object has an owner, a public flag and the actors it is addressed to
//!   (`to`, `cc`, `bto`, `bcc`, `audience`; followers are not tracked). Reads take the viewer
//!   and return only what it may see; `bto`/`bcc` are in the owner's view only.
//! - **Ids are the server's.** Inserting an existing id is refused, never a replacement;
//!   `Update` and `Delete` change an object only for its owner.
//! - **Bounded in bytes.** Each account and the whole hub have byte quotas, checked in the
//!   transaction that would exceed them.

mod drive;
mod sql;

pub(crate) use drive::DbDriveStore;
pub(crate) use sql::Seen;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use activitystreams_core::Object;
use fedi_stream::c2s::feed::{FeedConfig, FeedLimits};
use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
use http::StatusCode;
use serde_json::Value;
use tokio::sync::{Notify, watch};
use url::Url;

use crate::hub::db::{Db, DbError, Engine, Listener, Storage, transaction};
use crate::hub::server::{Shutdown, unix_now};
use crate::hub::stream::FeedCell;

/// The PostgreSQL notification channel that wakes every instance's tail after a commit.
const WAKE_CHANNEL: &str = "fedi_hub_commit";

/// Items read per round by the tail.
const TAIL_BATCH: usize = 256;

/// Which collection of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BoxKind {
    /// What others sent to the actor.
    Inbox,
    /// What the actor posted.
    Outbox,
}

impl BoxKind {
    /// `inbox` or `outbox`: the path segment, the stream event type, the stored name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            BoxKind::Inbox => "inbox",
            BoxKind::Outbox => "outbox",
        }
    }
}

/// One activity in a box, as its owner sees it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Its position in the hub-wide order (1, 2, ...).
    pub(crate) seq: u64,
    /// The activity.
    pub(crate) activity: Arc<Value>,
    /// Whether this instance committed it (rather than another instance of the cluster).
    pub(crate) local: bool,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// The newest items.
    Newest,
    /// Items older than this id (`max_id`).
    Before(u64),
    /// Items immediately newer than this id (`min_id`).
    After(u64),
}

/// A page of a box, newest first.
#[derive(Debug)]
pub(crate) struct Page {
    /// The items, newest first.
    pub(crate) items: Vec<(u64, Value)>,
    /// How many items of the box the viewer may see.
    pub(crate) total: u64,
}

/// Who is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader<'a> {
    /// Nobody signed in: public items only.
    Anonymous,
    /// A hub account: its own items, and those addressed to its actor.
    Account {
        /// The account name.
        name: &'a str,
        /// Its actor id.
        actor: &'a str,
    },
}

impl<'a> Reader<'a> {
    /// The viewer as statement arguments (an anonymous viewer matches no owner and no actor).
    fn sql(self) -> (&'a str, &'a str) {
        match self {
            Reader::Anonymous => ("", ""),
            Reader::Account { name, actor } => (name, actor),
        }
    }
}

/// Why the store refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An id that is already taken.
    #[error("`{0}` exists already")]
    Conflict(String),
    /// Nothing (visible) has this id.
    #[error("no object `{0}` on this hub")]
    NotFound(String),
    /// Somebody else's object.
    #[error("{0}")]
    Forbidden(String),
    /// A change the hub does not make.
    #[error("{0}")]
    Invalid(String),
    /// The account's byte quota is used up.
    #[error(
        "this account's storage quota of {quota} bytes is used up (Limits::account_quota_bytes)"
    )]
    AccountQuota {
        /// The quota.
        quota: i64,
    },
    /// The hub's byte quota is used up.
    #[error("the hub's storage quota of {quota} bytes is used up (Limits::hub_quota_bytes)")]
    HubQuota {
        /// The quota.
        quota: i64,
    },
}

impl StoreError {
    /// The HTTP status of this refusal.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            StoreError::Db(_) => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Conflict(_) => StatusCode::CONFLICT,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            StoreError::AccountQuota { .. } | StoreError::HubQuota { .. } => {
                StatusCode::INSUFFICIENT_STORAGE
            }
        }
    }
}

/// The byte quotas.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quotas {
    /// Per account.
    pub(crate) account: i64,
    /// For the whole hub.
    pub(crate) hub: i64,
}

/// The stored forms of an activity or object: what everyone but its owner sees, and the
/// owner's own view where it differs (`bto`/`bcc`).
#[derive(Debug, Clone)]
pub(crate) struct Views {
    pub(crate) id: String,
    pub(crate) json: String,
    pub(crate) owner_json: Option<String>,
}

/// A change to a stored object that a post makes.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// `Update`: replace the top-level properties of `patch` (§6.3.1).
    Update {
        /// The object.
        object: String,
        /// The new properties (`null` removes one).
        patch: serde_json::Map<String, Value>,
    },
    /// `Delete`: replace the object by a Tombstone (§6.4).
    Delete {
        /// The object.
        object: String,
    },
}

/// An accepted post to commit.
#[derive(Debug, Clone)]
pub(crate) struct NewPost {
    /// The author's account name.
    pub(crate) author: String,
    /// The activity.
    pub(crate) activity: Views,
    /// The object it creates (a `Create`'s).
    pub(crate) object: Option<Views>,
    /// Whether it is addressed to the public.
    pub(crate) public: bool,
    /// Every actor it is addressed to (deduplicated).
    pub(crate) audience: Vec<String>,
    /// The local accounts whose inboxes receive it.
    pub(crate) inboxes: Vec<String>,
    /// Whether it goes into the author's outbox (not for activities of actors that are no hub
    /// account, such as Cattle Drive's).
    pub(crate) outbox: bool,
    /// Ids of blobs the created object shows.
    pub(crate) blobs: Vec<String>,
    /// What it changes.
    pub(crate) change: Option<Change>,
}

/// A committed post.
#[derive(Debug, Clone)]
pub(crate) struct Committed {
    /// Its outbox item.
    pub(crate) outbox: u64,
}

/// Told about every item the tail reads: the box, its owner, the entry.
pub(crate) type Observer = Box<dyn Fn(BoxKind, &str, &Entry) + Send + Sync>;

/// Told about every Bus event another instance logged: the users and the message JSON.
pub(crate) type BusObserver = Box<dyn Fn(&str, &str) + Send + Sync>;

/// The store of one hub instance.
pub(crate) struct Store {
    db: Db,
    origin: String,
    quotas: Quotas,
    bus_keep: i64,
    feeds: HashMap<(Arc<str>, BoxKind), Arc<FeedCell>>,
    observers: RwLock<Vec<Observer>>,
    bus_observers: RwLock<Vec<BusObserver>>,
    wake: Notify,
    processed: watch::Sender<u64>,
    bus_processed: std::sync::Mutex<u64>,
}

/// The settings of a store.
pub(crate) struct StoreConfig<'a> {
    /// The public URL, for the feeds' collection URLs.
    pub(crate) base: &'a Url,
    /// The accounts whose boxes get feeds.
    pub(crate) accounts: &'a [String],
    /// This instance's id (tells its own items from other instances').
    pub(crate) origin: &'a str,
    /// Each feed's window.
    pub(crate) window: FeedLimits,
    /// Byte quotas.
    pub(crate) quotas: Quotas,
    /// Bus events kept for replay.
    pub(crate) bus_keep: usize,
}

impl Store {
    /// The store over `db`, with a feed per box of every account starting at the box's newest
    /// stored item.
    ///
    /// # Errors
    /// [`DbError`].
    pub(crate) async fn open(db: Db, config: StoreConfig<'_>) -> Result<Store, DbError> {
        let (heads, bus_last) = db
            .run(|conn| -> Result<_, DbError> {
                Ok((sql::box_heads(conn)?, sql::counter(conn, "bus")?))
            })
            .await?;
        let last = heads.iter().map(|(_, _, seq)| *seq).max().unwrap_or(0);
        let mut feeds = HashMap::new();
        for name in config.accounts {
            for kind in [BoxKind::Inbox, BoxKind::Outbox] {
                let mut url = config.base.clone();
                url.set_path(&format!("/users/{name}/{}", kind.name()));
                let mut feed = FeedConfig::new(url).with_limits(config.window);
                // The box's newest stored item, or `0` for an empty box (`?min_id=0` is
                // everything): sent to new subscribers, so that one cut off before its first
                // item resumes from it.
                let head = heads
                    .iter()
                    .find(|(owner, k, _)| owner == name && *k == kind)
                    .map_or(0, |(_, _, seq)| *seq);
                if let Ok(head) = ItemId::new(&head.to_string()) {
                    feed = feed.with_start_position(head);
                }
                feeds.insert(
                    (Arc::<str>::from(name.as_str()), kind),
                    Arc::new(FeedCell::new(feed)),
                );
            }
        }
        Ok(Store {
            db,
            origin: config.origin.to_owned(),
            quotas: config.quotas,
            bus_keep: i64::try_from(config.bus_keep.max(1)).unwrap_or(i64::MAX),
            feeds,
            observers: RwLock::new(Vec::new()),
            bus_observers: RwLock::new(Vec::new()),
            wake: Notify::new(),
            processed: watch::Sender::new(last),
            bus_processed: std::sync::Mutex::new(u64::try_from(bus_last).unwrap_or(0)),
        })
    }

    /// The database (for the cluster's PostgreSQL notices).
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Cattle Drive's actors and documents, in this store's database and quotas.
    pub(crate) fn drive_store(&self) -> DbDriveStore {
        DbDriveStore::new(self.db.clone(), self.quotas)
    }

    /// Registers `observer` for every item the tail reads.
    pub(crate) fn observe(&self, observer: Observer) {
        self.observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    /// Registers `observer` for the Bus events other instances log.
    pub(crate) fn observe_bus(&self, observer: BusObserver) {
        self.bus_observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    /// The live feed of `owner`'s box (`None` for a name that is no account).
    pub(crate) fn feed(&self, owner: &str, kind: BoxKind) -> Option<Arc<FeedCell>> {
        self.feeds.get(&(Arc::<str>::from(owner), kind)).cloned()
    }

    /// The sequence number up to which the feeds and observers have seen every item.
    pub(crate) fn processed(&self) -> watch::Receiver<u64> {
        self.processed.subscribe()
    }

    /// Starts following the database: the tail task, and on PostgreSQL the listener that wakes
    /// it when another instance commits.
    ///
    /// # Errors
    /// [`DbError`] when the listener cannot connect.
    pub(crate) async fn start(self: &Arc<Self>, shutdown: Shutdown) -> Result<(), DbError> {
        if let Storage::Postgres(url) = self.db.storage() {
            let weak = Arc::downgrade(self);
            let stopped = shutdown.clone();
            Listener::spawn(
                url.clone(),
                WAKE_CHANNEL.to_owned(),
                move |_| {
                    if let Some(store) = weak.upgrade() {
                        store.wake.notify_one();
                    }
                },
                move || stopped.is_down(),
            )
            .await?;
        }
        let store = self.clone();
        tokio::spawn(async move { store.tail(shutdown).await });
        Ok(())
    }

    /// Reads what was committed since the last round, in order, into the feeds and observers.
    async fn tail(self: Arc<Self>, mut shutdown: Shutdown) {
        // A first round at start picks up what other instances committed meanwhile.
        self.wake.notify_one();
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = shutdown.wait() => return,
            }
            loop {
                let last = *self.processed.borrow();
                let rows = self
                    .db
                    .run(move |conn| sql::items_after(conn, last, TAIL_BATCH))
                    .await;
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::warn!(error = %e, "store tail: cannot read new items; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        continue;
                    }
                };
                let full = rows.len() == TAIL_BATCH;
                for row in rows {
                    self.dispatch(row);
                }
                if !full {
                    break;
                }
            }
            if self.db.storage().is_shared() {
                self.tail_bus().await;
            }
        }
    }

    fn dispatch(&self, row: sql::TailRow) {
        let seq = row.seq;
        let entry = match serde_json::from_str::<Value>(&row.json) {
            Ok(activity) => Entry {
                seq,
                activity: Arc::new(activity),
                local: row.origin == self.origin,
            },
            Err(e) => {
                tracing::error!(seq, error = %e, "stored activity is not JSON; skipped");
                self.processed.send_replace(seq);
                return;
            }
        };
        if let Some(feed) = self.feed(&row.owner, row.kind) {
            match stream_event(row.kind, seq, row.json) {
                Some(event) => feed.append(event),
                None => tracing::warn!(seq, "activity not streamable"),
            }
        }
        for observe in self
            .observers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            observe(row.kind, &row.owner, &entry);
        }
        self.processed.send_replace(seq);
    }

    /// Hands the Bus events other instances logged to the Bus observers.
    async fn tail_bus(&self) {
        loop {
            let last = *self.bus_processed.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(rows) = self
                .db
                .run(move |conn| sql::bus_events_after(conn, last, TAIL_BATCH))
                .await
            else {
                return;
            };
            let full = rows.len() == TAIL_BATCH;
            for row in &rows {
                if row.origin != self.origin {
                    for observe in self
                        .bus_observers
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                    {
                        observe(&row.users, &row.message);
                    }
                }
                *self.bus_processed.lock().unwrap_or_else(|e| e.into_inner()) = row.seq;
            }
            if !full {
                return;
            }
        }
    }

    /// Commits `post`: its change (checked against the owner), the activity and object with
    /// their audience, the outbox item and one inbox item per recipient, within the quotas.
    /// Wakes the tail once committed.
    ///
    /// # Errors
    /// [`StoreError`]: a refused change, a used-up quota, a taken id, the database.
    pub(crate) async fn commit(&self, post: NewPost) -> Result<Committed, StoreError> {
        let origin = self.origin.clone();
        let quotas = self.quotas;
        let committed = self
            .db
            .run(move |conn| transaction(conn, |conn| commit(conn, &post, &origin, quotas)))
            .await?;
        self.wake.notify_one();
        Ok(committed)
    }

    /// A page of `owner`'s box as `viewer` sees it.
    pub(crate) async fn page(
        &self,
        owner: &str,
        kind: BoxKind,
        viewer: Reader<'_>,
        cursor: Cursor,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let owner = owner.to_owned();
        let (name, actor) = viewer.sql();
        let (name, actor) = (name.to_owned(), actor.to_owned());
        let (rows, total) = self
            .db
            .run(move |conn| {
                let viewer = if name.is_empty() {
                    Reader::Anonymous
                } else {
                    Reader::Account {
                        name: &name,
                        actor: &actor,
                    }
                };
                sql::page(conn, &owner, kind, viewer, cursor, limit)
            })
            .await?;
        let items = rows
            .into_iter()
            .filter_map(|(seq, json)| Some((seq, serde_json::from_str(&json).ok()?)))
            .collect();
        Ok(Page { items, total })
    }

    /// Items of `owner`'s box after `after` (the owner's view), oldest first, as stream events.
    pub(crate) async fn box_after(
        &self,
        owner: &str,
        kind: BoxKind,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, StreamEvent)>, StoreError> {
        let owner = owner.to_owned();
        let rows = self
            .db
            .run(move |conn| sql::box_after(conn, &owner, kind, after, limit))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, json)| Some((seq, stream_event(kind, seq, json)?)))
            .collect())
    }

    /// The newest committed item sequence number.
    pub(crate) async fn newest(&self) -> Result<u64, StoreError> {
        let newest = self
            .db
            .run(|conn| {
                conn.query_int(
                    "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM items",
                    &[],
                )
            })
            .await?;
        Ok(u64::try_from(newest).unwrap_or(0))
    }

    /// Object `id` if `viewer` may see it.
    pub(crate) async fn object(
        &self,
        id: &str,
        viewer: Reader<'_>,
    ) -> Result<Option<Seen>, StoreError> {
        let id = id.to_owned();
        let (name, actor) = viewer.sql();
        let (name, actor) = (name.to_owned(), actor.to_owned());
        Ok(self
            .db
            .run(move |conn| sql::object(conn, &id, reader_of(&name, &actor)))
            .await?)
    }

    /// The account that owns object `id`, whoever may see it (for routing notices).
    pub(crate) async fn owner_of(&self, id: &str) -> Result<Option<String>, StoreError> {
        let id = id.to_owned();
        Ok(self.db.run(move |conn| sql::owner_of(conn, &id)).await?)
    }

    /// Stores a blob for `owner` within the quotas; returns its new id.
    pub(crate) async fn put_blob(
        &self,
        owner: &str,
        media_type: &str,
        data: bytes::Bytes,
    ) -> Result<String, StoreError> {
        let id = crate::hub::random::hex(16);
        let (owner, media_type, quotas) = (owner.to_owned(), media_type.to_owned(), self.quotas);
        let blob_id = id.clone();
        self.db
            .run(move |conn| {
                transaction(conn, |conn| {
                    let cost = i64::try_from(data.len() + media_type.len()).unwrap_or(i64::MAX);
                    sql::charge(conn, &owner, cost, quotas.account, quotas.hub)?;
                    sql::insert_blob(conn, &blob_id, &owner, &media_type, &data, unix_now())?;
                    Ok::<_, StoreError>(())
                })
            })
            .await?;
        Ok(id)
    }

    /// Blob `id` (media type and bytes) if `viewer` may see it.
    pub(crate) async fn blob(
        &self,
        id: &str,
        viewer: Reader<'_>,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let id = id.to_owned();
        let (name, actor) = viewer.sql();
        let (name, actor) = (name.to_owned(), actor.to_owned());
        Ok(self
            .db
            .run(move |conn| sql::blob(conn, &id, reader_of(&name, &actor)))
            .await?)
    }

    /// Logs a Bus event for replay (and, on a shared database, for the other instances).
    pub(crate) async fn log_bus_event(
        &self,
        timestamp: i64,
        users: String,
        message: String,
    ) -> Result<(), StoreError> {
        let (origin, keep) = (self.origin.clone(), self.bus_keep);
        let shared = self.db.engine() == Engine::Postgres;
        self.db
            .run(move |conn| {
                transaction(conn, |conn| {
                    sql::log_bus_event(conn, &origin, timestamp, &users, &message, keep)?;
                    if shared {
                        conn.batch(&format!("NOTIFY {WAKE_CHANNEL}"))?;
                    }
                    Ok::<_, DbError>(())
                })
            })
            .await?;
        Ok(())
    }

    /// The logged Bus events after `since` (unix seconds): `(users JSON, message JSON)`.
    pub(crate) async fn bus_events_since(
        &self,
        since: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self
            .db
            .run(move |conn| sql::bus_events_since(conn, since))
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.users, row.message))
            .collect())
    }

    /// Remembers a Versia signature until `expires_at`; `false` for a replay.
    pub(crate) async fn remember_signature(
        &self,
        signature: String,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        Ok(self
            .db
            .run(move |conn| sql::remember_signature(conn, &signature, expires_at, unix_now()))
            .await?)
    }
}

fn reader_of<'a>(name: &'a str, actor: &'a str) -> Reader<'a> {
    if name.is_empty() {
        Reader::Anonymous
    } else {
        Reader::Account { name, actor }
    }
}

/// Loads the accounts, first creating or updating those of `seeds`: a seed with a token sets
/// it; a seed without one keeps the stored token, or gets `fresh()` if the account is new.
/// Returns every stored account, `(name, token)`, ordered by name.
///
/// # Errors
/// [`DbError`] (a token already used by another account among them).
pub(crate) async fn load_accounts(
    db: &Db,
    seeds: Vec<(String, Option<String>)>,
    fresh: fn() -> String,
) -> Result<Vec<(String, String)>, DbError> {
    db.run(move |conn| {
        transaction(conn, |conn| {
            for (name, token) in &seeds {
                match token {
                    Some(token) => sql::upsert_account(conn, name, token, true, unix_now())?,
                    None => sql::upsert_account(conn, name, &fresh(), false, unix_now())?,
                }
            }
            sql::accounts(conn)
        })
    })
    .await
}

/// Setting `key`, set to `value()` first if it has none (the first instance to start decides).
///
/// # Errors
/// [`DbError`].
pub(crate) async fn setting(
    db: &Db,
    key: &'static str,
    value: impl FnOnce() -> String + Send + 'static,
) -> Result<String, DbError> {
    db.run(move |conn| sql::setting_or_insert(conn, key, &value()))
        .await
}

/// The transaction of [`Store::commit`].
fn commit(
    conn: &mut dyn crate::hub::db::Conn,
    post: &NewPost,
    origin: &str,
    quotas: Quotas,
) -> Result<Committed, StoreError> {
    let now = unix_now();
    let mut cost = 0i64;
    if let Some(change) = &post.change {
        cost += apply_change(conn, &post.author, change, now)?;
    }
    let key = post.activity.id.as_str();
    let activity = sql::ObjectRow {
        id: key,
        owner: &post.author,
        audience: key,
        public: post.public,
        created_object: post.object.as_ref().map(|o| o.id.as_str()),
        json: &post.activity.json,
        owner_json: post.activity.owner_json.as_deref(),
        now,
    };
    cost += activity.bytes();
    sql::insert_object(conn, &activity)?;
    if let Some(object) = &post.object {
        let row = sql::ObjectRow {
            id: &object.id,
            owner: &post.author,
            audience: key,
            public: post.public,
            created_object: None,
            json: &object.json,
            owner_json: object.owner_json.as_deref(),
            now,
        };
        cost += row.bytes();
        sql::insert_object(conn, &row)?;
        for blob in &post.blobs {
            sql::refer_blob(conn, blob, &object.id, &post.author)?;
        }
    }
    sql::insert_audience(conn, key, &post.audience)?;
    cost += post
        .audience
        .iter()
        .map(|a| i64::try_from(a.len()).unwrap_or(i64::MAX))
        .sum::<i64>();
    let mut targets: Vec<(&str, BoxKind)> = Vec::new();
    if post.outbox {
        targets.push((post.author.as_str(), BoxKind::Outbox));
    }
    targets.extend(
        post.inboxes
            .iter()
            .filter(|r| **r != post.author)
            .map(|r| (r.as_str(), BoxKind::Inbox)),
    );
    cost += sql::ITEM_BYTES * i64::try_from(targets.len()).unwrap_or(i64::MAX);
    sql::charge(conn, &post.author, cost, quotas.account, quotas.hub)?;
    let seqs = sql::append_items(conn, key, &targets, origin)?;
    if conn.engine() == Engine::Postgres {
        conn.batch(&format!("NOTIFY {WAKE_CHANNEL}"))?;
    }
    Ok(Committed {
        outbox: seqs.first().copied().unwrap_or(0),
    })
}

/// Properties an `Update` may not change: identity, authorship and addressing.
const FIXED: &[&str] = &[
    "id",
    "type",
    "attributedTo",
    "to",
    "cc",
    "bto",
    "bcc",
    "audience",
];

/// Applies an `Update` or `Delete` of `author`; returns the change in stored bytes.
fn apply_change(
    conn: &mut dyn crate::hub::db::Conn,
    author: &str,
    change: &Change,
    now: i64,
) -> Result<i64, StoreError> {
    let id = match change {
        Change::Update { object, .. } | Change::Delete { object } => object.as_str(),
    };
    let stored = sql::owned(conn, id)?.ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
    if stored.owner != author {
        return Err(StoreError::Forbidden(format!(
            "`{id}` belongs to another account; only its owner may change it"
        )));
    }
    if stored.deleted {
        return Err(StoreError::Invalid(format!("`{id}` was deleted")));
    }
    let (json, owner_json, deleted_at) = match change {
        Change::Update { patch, .. } => {
            let owner_view = stored.owner_json.as_deref().unwrap_or(&stored.json);
            let current: serde_json::Map<String, Value> = serde_json::from_str(owner_view)
                .map_err(|e| StoreError::Invalid(format!("stored object unreadable: {e}")))?;
            for key in FIXED {
                if let Some(value) = patch.get(*key)
                    && current.get(*key) != Some(value)
                {
                    return Err(StoreError::Invalid(format!(
                        "an Update may not change `{key}` of an object"
                    )));
                }
            }
            let mut public: serde_json::Map<String, Value> = serde_json::from_str(&stored.json)
                .map_err(|e| StoreError::Invalid(format!("stored object unreadable: {e}")))?;
            let mut own = stored
                .owner_json
                .as_deref()
                .map(serde_json::from_str::<serde_json::Map<String, Value>>)
                .transpose()
                .map_err(|e| StoreError::Invalid(format!("stored object unreadable: {e}")))?;
            for (key, value) in patch {
                if FIXED.contains(&key.as_str()) {
                    continue;
                }
                for view in std::iter::once(&mut public).chain(own.as_mut()) {
                    if value.is_null() {
                        view.remove(key);
                    } else {
                        view.insert(key.clone(), value.clone());
                    }
                }
            }
            let stamp = Value::String(rfc3339(now));
            public.insert("updated".into(), stamp.clone());
            if let Some(own) = own.as_mut() {
                own.insert("updated".into(), stamp);
            }
            (
                Value::Object(public).to_string(),
                own.map(|own| Value::Object(own).to_string()),
                None,
            )
        }
        Change::Delete { .. } => {
            let object = Object::from_str(&stored.json)
                .map_err(|e| StoreError::Invalid(format!("stored object unreadable: {e}")))?;
            let at = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
            let tombstone = activitystreams_core::c2s::to_tombstone(&object, at)
                .to_json_string()
                .map_err(|e| StoreError::Invalid(format!("cannot write a Tombstone: {e}")))?;
            (tombstone, None, Some(now))
        }
    };
    let mut delta = sql::rewrite_object(
        conn,
        id,
        &json,
        owner_json.as_deref(),
        deleted_at,
        stored.bytes,
    )?;
    // The Create that embeds the object shows it as it is now.
    if let Some((create_id, create)) = sql::creator_of(conn, id)? {
        let embed = |view: &str, object: &str| -> Option<String> {
            let mut activity: serde_json::Map<String, Value> = serde_json::from_str(view).ok()?;
            activity.insert("object".into(), serde_json::from_str(object).ok()?);
            Some(Value::Object(activity).to_string())
        };
        let new_json = embed(&create.json, &json).unwrap_or(create.json.clone());
        let new_owner = create
            .owner_json
            .as_deref()
            .and_then(|view| embed(view, owner_json.as_deref().unwrap_or(&json)));
        delta += sql::rewrite_object(
            conn,
            &create_id,
            &new_json,
            new_owner.as_deref(),
            None,
            create.bytes,
        )?;
    }
    Ok(delta)
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The stream item of a stored activity: `inbox`/`outbox`, id = seq, data = its JSON.
fn stream_event(kind: BoxKind, seq: u64, json: String) -> Option<StreamEvent> {
    let id = ItemId::new(&seq.to_string()).ok()?;
    let json = Json::from_bytes(json).ok()?;
    Some(match kind {
        BoxKind::Inbox => StreamEvent::inbox(id, json),
        BoxKind::Outbox => StreamEvent::outbox(id, json),
    })
}
