//! The store's statements: plain synchronous functions over a [`Conn`], run on the database
//! threads. Each function that writes several rows is called inside one transaction by its
//! caller in `store/mod.rs`.

use crate::hub::db::{Arg, Conn, DbError, Row};

use super::{BoxKind, Cursor, Reader, StoreError};

/// Bytes counted for an inbox or outbox row, so that fan-out to many inboxes costs quota too.
pub(super) const ITEM_BYTES: i64 = 64;

/// Reserves `n` consecutive values of counter `name` and returns the last. The row stays locked
/// until the transaction ends, so values are committed in the order they were reserved.
pub(super) fn reserve(conn: &mut dyn Conn, name: &str, n: i64) -> Result<i64, DbError> {
    conn.query_int(
        "UPDATE counters SET value = value + $1 WHERE name = $2 RETURNING value",
        &[n.into(), name.into()],
    )
}

/// The current value of counter `name`.
pub(super) fn counter(conn: &mut dyn Conn, name: &str) -> Result<i64, DbError> {
    conn.query_int("SELECT value FROM counters WHERE name = $1", &[name.into()])
}

// ---------------------------------------------------------------------------------------------
// Accounts and settings

/// Every account, by name.
pub(super) fn accounts(conn: &mut dyn Conn) -> Result<Vec<(String, String)>, DbError> {
    conn.query("SELECT name, token FROM accounts ORDER BY name", &[])?
        .into_iter()
        .map(|mut row| Ok((row.take_text(0)?, row.take_text(1)?)))
        .collect()
}

/// Creates account `name` with `token`, or changes its token when `replace`; an existing
/// account keeps its token otherwise.
pub(super) fn upsert_account(
    conn: &mut dyn Conn,
    name: &str,
    token: &str,
    replace: bool,
    now: i64,
) -> Result<(), DbError> {
    let sql = if replace {
        "INSERT INTO accounts (name, token, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET token = excluded.token"
    } else {
        "INSERT INTO accounts (name, token, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING"
    };
    conn.execute(sql, &[name.into(), token.into(), now.into()])?;
    Ok(())
}

/// The setting `key`, stored as `value` if it had none.
pub(super) fn setting_or_insert(
    conn: &mut dyn Conn,
    key: &str,
    value: &str,
) -> Result<String, DbError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        &[key.into(), value.into()],
    )?;
    let mut row = conn
        .query_opt("SELECT value FROM meta WHERE key = $1", &[key.into()])?
        .ok_or(DbError::Column { column: 0 })?;
    row.take_text(0)
}

// ---------------------------------------------------------------------------------------------
// Quotas

/// Adds `delta` bytes to `owner`'s usage and to the hub's; refuses (the caller rolls back) when
/// either goes over its quota. Negative deltas (deletes) are always accepted.
pub(super) fn charge(
    conn: &mut dyn Conn,
    owner: &str,
    delta: i64,
    account_quota: i64,
    hub_quota: i64,
) -> Result<(), StoreError> {
    let used = conn.query_int(
        "INSERT INTO quota_usage (owner, bytes) VALUES ($1, $2)
         ON CONFLICT (owner) DO UPDATE SET bytes = quota_usage.bytes + excluded.bytes
         RETURNING bytes",
        &[owner.into(), delta.into()],
    )?;
    if delta > 0 && used > account_quota {
        return Err(StoreError::AccountQuota {
            quota: account_quota,
        });
    }
    let total = reserve(conn, "bytes", delta)?;
    if delta > 0 && total > hub_quota {
        return Err(StoreError::HubQuota { quota: hub_quota });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Objects, audiences and boxes

/// An object or activity to insert.
pub(super) struct ObjectRow<'a> {
    pub(super) id: &'a str,
    pub(super) owner: &'a str,
    pub(super) audience: &'a str,
    pub(super) public: bool,
    pub(super) created_object: Option<&'a str>,
    pub(super) json: &'a str,
    pub(super) owner_json: Option<&'a str>,
    pub(super) now: i64,
}

impl ObjectRow<'_> {
    /// The bytes it costs.
    pub(super) fn bytes(&self) -> i64 {
        let len = self.json.len() + self.owner_json.map_or(0, str::len) + self.id.len();
        i64::try_from(len).unwrap_or(i64::MAX)
    }
}

/// Inserts an object; an id that exists already is refused (ids are the server's: nothing is
/// ever replaced by an insert).
pub(super) fn insert_object(conn: &mut dyn Conn, row: &ObjectRow<'_>) -> Result<(), StoreError> {
    let inserted = conn.execute(
        "INSERT INTO objects (id, owner, audience, public, created_object, json, owner_json, bytes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
        &[
            row.id.into(),
            row.owner.into(),
            row.audience.into(),
            i64::from(row.public).into(),
            row.created_object.into(),
            row.json.into(),
            row.owner_json.into(),
            row.bytes().into(),
            row.now.into(),
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(row.id.to_owned()));
    }
    Ok(())
}

/// Records the actors of audience `key` (each once).
pub(super) fn insert_audience(
    conn: &mut dyn Conn,
    key: &str,
    actors: &[String],
) -> Result<(), DbError> {
    for actor in actors {
        conn.execute(
            "INSERT INTO audience (audience, actor) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[key.into(), actor.into()],
        )?;
    }
    Ok(())
}

/// Appends activity `activity` to the boxes `targets` (owner, box) with consecutive sequence
/// numbers; returns them in the same order.
pub(super) fn append_items(
    conn: &mut dyn Conn,
    activity: &str,
    targets: &[(&str, BoxKind)],
    origin: &str,
) -> Result<Vec<u64>, DbError> {
    let count = i64::try_from(targets.len()).unwrap_or(i64::MAX);
    let last = reserve(conn, "item", count)?;
    let mut seqs = Vec::with_capacity(targets.len());
    for (seq, (owner, kind)) in (last - count + 1..).zip(targets) {
        conn.execute(
            "INSERT INTO items (seq, owner, collection, activity, origin) VALUES ($1, $2, $3, $4, $5)",
            &[
                seq.into(),
                (*owner).into(),
                kind.name().into(),
                activity.into(),
                origin.into(),
            ],
        )?;
        seqs.push(u64::try_from(seq).unwrap_or(0));
    }
    Ok(seqs)
}

/// The SQL condition "`o` is visible to viewer `$v_name`/`$v_actor`": public, owned by the
/// viewer, or addressed to them. Anonymous viewers are passed as empty strings, which match no
/// owner and no actor.
macro_rules! visible {
    ($name:literal, $actor:literal) => {
        concat!(
            "(o.public = 1 OR o.owner = ",
            $name,
            " OR EXISTS (SELECT 1 FROM audience a WHERE a.audience = o.audience AND a.actor = ",
            $actor,
            "))"
        )
    };
}

/// The view of an object for viewer `$v_name`: the owner's own where they are the owner.
macro_rules! view {
    ($name:literal) => {
        concat!(
            "CASE WHEN o.owner = ",
            $name,
            " THEN COALESCE(o.owner_json, o.json) ELSE o.json END"
        )
    };
}

/// An object as one viewer sees it.
#[derive(Debug)]
pub(crate) struct Seen {
    /// The JSON.
    pub(crate) json: String,
    /// Whether it is a Tombstone.
    pub(crate) deleted: bool,
}

/// Object `id` if `viewer` may see it.
pub(super) fn object(
    conn: &mut dyn Conn,
    id: &str,
    viewer: Reader<'_>,
) -> Result<Option<Seen>, DbError> {
    let (name, actor) = viewer.sql();
    let row = conn.query_opt(
        concat!(
            "SELECT ",
            view!("$2"),
            ", o.deleted_at FROM objects o WHERE o.id = $1 AND ",
            visible!("$2", "$3")
        ),
        &[id.into(), name.into(), actor.into()],
    )?;
    row.map(|mut row| {
        Ok(Seen {
            json: row.take_text(0)?,
            deleted: !matches!(row.0.get(1), Some(crate::hub::db::Value::Null)),
        })
    })
    .transpose()
}

/// A stored object for its owner to change: its views and audience.
pub(super) struct Owned {
    pub(super) owner: String,
    pub(super) json: String,
    pub(super) owner_json: Option<String>,
    pub(super) bytes: i64,
    pub(super) deleted: bool,
}

/// Object `id` whatever its audience (for the checks of `Update` and `Delete`).
pub(super) fn owned(conn: &mut dyn Conn, id: &str) -> Result<Option<Owned>, DbError> {
    let row = conn.query_opt(
        "SELECT owner, json, owner_json, bytes, deleted_at FROM objects WHERE id = $1",
        &[id.into()],
    )?;
    row.map(|mut row| {
        Ok(Owned {
            owner: row.take_text(0)?,
            json: row.take_text(1)?,
            owner_json: row.opt_text(2)?.map(str::to_owned),
            bytes: row.int(3)?,
            deleted: !matches!(row.0.get(4), Some(crate::hub::db::Value::Null)),
        })
    })
    .transpose()
}

/// Replaces the views of object `id` (an `Update`, a `Delete`); returns the byte difference.
pub(super) fn rewrite_object(
    conn: &mut dyn Conn,
    id: &str,
    json: &str,
    owner_json: Option<&str>,
    deleted_at: Option<i64>,
    old_bytes: i64,
) -> Result<i64, DbError> {
    let bytes =
        i64::try_from(json.len() + owner_json.map_or(0, str::len) + id.len()).unwrap_or(i64::MAX);
    conn.execute(
        "UPDATE objects SET json = $1, owner_json = $2, bytes = $3, deleted_at = $4 WHERE id = $5",
        &[
            json.into(),
            owner_json.into(),
            bytes.into(),
            deleted_at.map_or(Arg::Null, Arg::Int),
            id.into(),
        ],
    )?;
    Ok(bytes - old_bytes)
}

/// The activity that created object `id` (its `Create`), with its id, if stored here.
pub(super) fn creator_of(
    conn: &mut dyn Conn,
    id: &str,
) -> Result<Option<(String, Owned)>, DbError> {
    let Some(mut row) = conn.query_opt(
        "SELECT id FROM objects WHERE created_object = $1",
        &[id.into()],
    )?
    else {
        return Ok(None);
    };
    let activity = row.take_text(0)?;
    Ok(owned(conn, &activity)?.map(|owned| (activity, owned)))
}

/// The owner of object `id` (any audience), for routing notices to it.
pub(super) fn owner_of(conn: &mut dyn Conn, id: &str) -> Result<Option<String>, DbError> {
    conn.query_opt("SELECT owner FROM objects WHERE id = $1", &[id.into()])?
        .map(|mut row| row.take_text(0))
        .transpose()
}

/// A page of `owner`'s box as `viewer` sees it (items they may not see are left out, and not
/// counted), newest first, with the number of items the viewer may see in all.
pub(super) fn page(
    conn: &mut dyn Conn,
    owner: &str,
    kind: BoxKind,
    viewer: Reader<'_>,
    cursor: Cursor,
    limit: usize,
) -> Result<(Vec<(u64, String)>, u64), DbError> {
    let (name, actor) = viewer.sql();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let base = [owner.into(), kind.name().into(), name.into(), actor.into()];
    let total = conn.query_int(
        concat!(
            "SELECT COUNT(*) FROM items i JOIN objects o ON o.id = i.activity
             WHERE i.owner = $1 AND i.collection = $2 AND ",
            visible!("$3", "$4")
        ),
        &base,
    )?;
    // Newest and `max_id` pages read downwards from a bound, `min_id` pages upwards.
    macro_rules! page_sql {
        ($cmp:literal, $order:literal) => {
            concat!(
                "SELECT i.seq, ",
                view!("$3"),
                " FROM items i JOIN objects o ON o.id = i.activity
                 WHERE i.owner = $1 AND i.collection = $2 AND ",
                visible!("$3", "$4"),
                " AND i.seq ",
                $cmp,
                " $5 ORDER BY i.seq ",
                $order,
                " LIMIT $6"
            )
        };
    }
    let (bound, sql) = match cursor {
        Cursor::Newest => (i64::MAX, page_sql!("<", "DESC")),
        Cursor::Before(max) => (
            i64::try_from(max).unwrap_or(i64::MAX),
            page_sql!("<", "DESC"),
        ),
        Cursor::After(min) => (
            i64::try_from(min).unwrap_or(i64::MAX),
            page_sql!(">", "ASC"),
        ),
    };
    let [a, b, c, d] = base;
    let mut items = conn
        .query(sql, &[a, b, c, d, bound.into(), limit.into()])?
        .into_iter()
        .map(seq_and_text)
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(cursor, Cursor::After(_)) {
        items.reverse();
    }
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

fn seq_and_text(mut row: Row) -> Result<(u64, String), DbError> {
    Ok((u64::try_from(row.int(0)?).unwrap_or(0), row.take_text(1)?))
}

/// Items of `owner`'s box after `after`, oldest first, as the owner sees them.
pub(super) fn box_after(
    conn: &mut dyn Conn,
    owner: &str,
    kind: BoxKind,
    after: u64,
    limit: usize,
) -> Result<Vec<(u64, String)>, DbError> {
    conn.query(
        concat!(
            "SELECT i.seq, ",
            view!("$1"),
            " FROM items i JOIN objects o ON o.id = i.activity
             WHERE i.owner = $1 AND i.collection = $2 AND i.seq > $3
             ORDER BY i.seq ASC LIMIT $4"
        ),
        &[
            owner.into(),
            kind.name().into(),
            i64::try_from(after).unwrap_or(i64::MAX).into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )?
    .into_iter()
    .map(seq_and_text)
    .collect()
}

/// An item of any box, for the instance's feeds.
pub(super) struct TailRow {
    pub(super) seq: u64,
    pub(super) owner: String,
    pub(super) kind: BoxKind,
    pub(super) origin: String,
    pub(super) json: String,
}

/// Every item after `after`, oldest first, each as its box's owner sees it.
pub(super) fn items_after(
    conn: &mut dyn Conn,
    after: u64,
    limit: usize,
) -> Result<Vec<TailRow>, DbError> {
    conn.query(
        "SELECT i.seq, i.owner, i.collection, i.origin,
                CASE WHEN o.owner = i.owner THEN COALESCE(o.owner_json, o.json) ELSE o.json END
         FROM items i JOIN objects o ON o.id = i.activity
         WHERE i.seq > $1 ORDER BY i.seq ASC LIMIT $2",
        &[
            i64::try_from(after).unwrap_or(i64::MAX).into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )?
    .into_iter()
    .map(|mut row| {
        let kind = match row.text(2)? {
            "outbox" => BoxKind::Outbox,
            _ => BoxKind::Inbox,
        };
        Ok(TailRow {
            seq: u64::try_from(row.int(0)?).unwrap_or(0),
            owner: row.take_text(1)?,
            kind,
            origin: row.take_text(3)?,
            json: row.take_text(4)?,
        })
    })
    .collect()
}

/// The newest item of every box: `(owner, box, seq)`.
pub(super) fn box_heads(conn: &mut dyn Conn) -> Result<Vec<(String, BoxKind, u64)>, DbError> {
    conn.query(
        "SELECT owner, collection, MAX(seq) FROM items GROUP BY owner, collection",
        &[],
    )?
    .into_iter()
    .map(|mut row| {
        let kind = match row.text(1)? {
            "outbox" => BoxKind::Outbox,
            _ => BoxKind::Inbox,
        };
        Ok((
            row.take_text(0)?,
            kind,
            u64::try_from(row.int(2)?).unwrap_or(0),
        ))
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Blobs

/// Stores a blob.
pub(super) fn insert_blob(
    conn: &mut dyn Conn,
    id: &str,
    owner: &str,
    media_type: &str,
    data: &[u8],
    now: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO blobs (id, owner, media_type, data, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            id.into(),
            owner.into(),
            media_type.into(),
            Arg::Bytes(data),
            i64::try_from(data.len()).unwrap_or(i64::MAX).into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Blob `id` (media type, bytes) if `viewer` may see it: its owner, or anyone who may see an
/// object that shows it.
pub(super) fn blob(
    conn: &mut dyn Conn,
    id: &str,
    viewer: Reader<'_>,
) -> Result<Option<(String, Vec<u8>)>, DbError> {
    let (name, actor) = viewer.sql();
    let row = conn.query_opt(
        concat!(
            "SELECT b.media_type, b.data FROM blobs b WHERE b.id = $1 AND (b.owner = $2 OR EXISTS (
                SELECT 1 FROM blob_refs r JOIN objects o ON o.id = r.object
                WHERE r.blob = b.id AND ",
            visible!("$2", "$3"),
            "))"
        ),
        &[id.into(), name.into(), actor.into()],
    )?;
    row.map(|mut row| Ok((row.take_text(0)?, row.take_bytes(1)?)))
        .transpose()
}

/// Records that object `object` shows blob `blob`, if `owner` owns that blob (a reference to
/// somebody else's blob grants nothing).
pub(super) fn refer_blob(
    conn: &mut dyn Conn,
    blob: &str,
    object: &str,
    owner: &str,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO blob_refs (blob, object)
         SELECT id, $2 FROM blobs WHERE id = $1 AND owner = $3
         ON CONFLICT DO NOTHING",
        &[blob.into(), object.into(), owner.into()],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The Bus replay log

/// A logged Bus event.
pub(super) struct BusRow {
    pub(super) seq: u64,
    pub(super) origin: String,
    pub(super) users: String,
    pub(super) message: String,
}

/// Appends an event and drops the oldest beyond `keep`.
pub(super) fn log_bus_event(
    conn: &mut dyn Conn,
    origin: &str,
    timestamp: i64,
    users: &str,
    message: &str,
    keep: i64,
) -> Result<(), DbError> {
    let seq = reserve(conn, "bus", 1)?;
    conn.execute(
        "INSERT INTO bus_events (seq, origin, timestamp, users, message) VALUES ($1, $2, $3, $4, $5)",
        &[
            seq.into(),
            origin.into(),
            timestamp.into(),
            users.into(),
            message.into(),
        ],
    )?;
    conn.execute(
        "DELETE FROM bus_events WHERE seq <= $1",
        &[(seq - keep).into()],
    )?;
    Ok(())
}

/// Logged events after `after` (by log order), oldest first.
pub(super) fn bus_events_after(
    conn: &mut dyn Conn,
    after: u64,
    limit: usize,
) -> Result<Vec<BusRow>, DbError> {
    conn.query(
        "SELECT seq, origin, users, message FROM bus_events WHERE seq > $1 ORDER BY seq ASC LIMIT $2",
        &[
            i64::try_from(after).unwrap_or(i64::MAX).into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )?
    .into_iter()
    .map(|mut row| {
        Ok(BusRow {
            seq: u64::try_from(row.int(0)?).unwrap_or(0),
            origin: row.take_text(1)?,
            users: row.take_text(2)?,
            message: row.take_text(3)?,
        })
    })
    .collect()
}

/// Logged events with a timestamp after `since`, oldest first.
pub(super) fn bus_events_since(conn: &mut dyn Conn, since: i64) -> Result<Vec<BusRow>, DbError> {
    conn.query(
        "SELECT seq, origin, users, message FROM bus_events WHERE timestamp > $1 ORDER BY seq ASC",
        &[since.into()],
    )?
    .into_iter()
    .map(|mut row| {
        Ok(BusRow {
            seq: u64::try_from(row.int(0)?).unwrap_or(0),
            origin: row.take_text(1)?,
            users: row.take_text(2)?,
            message: row.take_text(3)?,
        })
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// The Versia replay cache

/// Remembers `signature` until `expires_at`; `false` when it was already remembered (a replay).
/// Forgets expired signatures on the way.
pub(super) fn remember_signature(
    conn: &mut dyn Conn,
    signature: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, DbError> {
    conn.execute(
        "DELETE FROM versia_seen WHERE expires_at < $1",
        &[now.into()],
    )?;
    let inserted = conn.execute(
        "INSERT INTO versia_seen (signature, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[signature.into(), expires_at.into()],
    )?;
    Ok(inserted == 1)
}
