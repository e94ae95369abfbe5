//! In-memory storage of the ActivityPub side: each actor's inbox and outbox as ordered lists
//! with sequence ids, objects by id, and a live feed per box for streams.
//!
//! Sequence ids are one counter for the whole hub, so they order every box and serve as
//! collection cursors (`?min_id=`/`?max_id=`) and as stream item ids (`Last-Event-ID`). Each
//! append goes to the box and to its feed under one lock, so streams see items in collection
//! order; the feed encodes each item once per format.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use fedi_stream::event::{ItemId, Json, StreamEvent};
use fedi_stream::server::{FeedConfig, FeedLimits};
use serde_json::Value;
use url::Url;

use crate::hub::stream::FeedCell;

/// Which collection of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BoxKind {
    /// What others sent to the actor.
    Inbox,
    /// What the actor posted.
    Outbox,
}

impl BoxKind {
    /// `inbox` or `outbox`: the path segment, and the stream event type.
    pub(crate) fn name(self) -> &'static str {
        match self {
            BoxKind::Inbox => "inbox",
            BoxKind::Outbox => "outbox",
        }
    }
}

/// One activity in a box.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Its position in the hub-wide order (1, 2, ...).
    pub(crate) seq: u64,
    /// The activity as shown to the box's owner.
    pub(crate) activity: Arc<Value>,
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
    pub(crate) items: Vec<Entry>,
    /// How many items the box holds.
    pub(crate) total: usize,
}

/// Told about every append: the box, its owner, the entry.
pub(crate) type Observer = Box<dyn Fn(BoxKind, &str, &Entry) + Send + Sync>;

struct Boxes {
    inbox: VecDeque<Entry>,
    outbox: VecDeque<Entry>,
    inbox_feed: Arc<FeedCell>,
    outbox_feed: Arc<FeedCell>,
}

impl Boxes {
    fn new(base: &Url, window: FeedLimits, actor: &str) -> Self {
        let feed = |kind: BoxKind| {
            let mut url = base.clone();
            url.set_path(&format!("/users/{actor}/{}", kind.name()));
            // The box starts empty: its position is "0" (`?min_id=0` is everything), sent to
            // new subscribers so that one cut off before the first item resumes from it.
            let mut config = FeedConfig::new(url).with_limits(window);
            config.start_position = ItemId::new("0").ok();
            Arc::new(FeedCell::new(config))
        };
        Boxes {
            inbox: VecDeque::new(),
            outbox: VecDeque::new(),
            inbox_feed: feed(BoxKind::Inbox),
            outbox_feed: feed(BoxKind::Outbox),
        }
    }

    fn of(&self, kind: BoxKind) -> &VecDeque<Entry> {
        match kind {
            BoxKind::Inbox => &self.inbox,
            BoxKind::Outbox => &self.outbox,
        }
    }

    fn of_mut(&mut self, kind: BoxKind) -> &mut VecDeque<Entry> {
        match kind {
            BoxKind::Inbox => &mut self.inbox,
            BoxKind::Outbox => &mut self.outbox,
        }
    }

    fn feed(&self, kind: BoxKind) -> &Arc<FeedCell> {
        match kind {
            BoxKind::Inbox => &self.inbox_feed,
            BoxKind::Outbox => &self.outbox_feed,
        }
    }
}

#[derive(Default)]
struct Inner {
    last_seq: u64,
    last_object: u64,
    actors: HashMap<Arc<str>, Boxes>,
    objects: HashMap<String, Arc<Value>>,
    object_order: VecDeque<String>,
}

/// Every box and object of the hub.
pub(crate) struct Store {
    base: Url,
    window: FeedLimits,
    inner: RwLock<Inner>,
    observers: RwLock<Vec<Observer>>,
    max_per_box: usize,
    max_objects: usize,
}

impl Store {
    /// An empty store for the hub at `base`, keeping at most `max_per_box` activities per box
    /// and `max_objects` objects (the oldest are dropped first); each box's feed replays at
    /// most `window` items.
    pub(crate) fn new(base: Url, max_per_box: usize, max_objects: usize, window: usize) -> Self {
        Store {
            base,
            window: FeedLimits::default().with_max_items(window.max(1)),
            inner: RwLock::new(Inner::default()),
            observers: RwLock::new(Vec::new()),
            max_per_box: max_per_box.max(1),
            max_objects: max_objects.max(1),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `observer` for every append.
    pub(crate) fn observe(&self, observer: Observer) {
        self.observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    /// Appends `activity` to `actor`'s box and its feed, tells the observers, and returns its
    /// entry.
    pub(crate) fn append(&self, actor: &str, kind: BoxKind, activity: Arc<Value>) -> Entry {
        let entry = {
            let mut inner = self.write();
            inner.last_seq += 1;
            let entry = Entry {
                seq: inner.last_seq,
                activity,
            };
            let boxes = inner
                .actors
                .entry(Arc::from(actor))
                .or_insert_with(|| Boxes::new(&self.base, self.window, actor));
            let list = boxes.of_mut(kind);
            if list.len() >= self.max_per_box {
                list.pop_front();
            }
            list.push_back(entry.clone());
            match stream_event(kind, entry.seq, &entry.activity) {
                Some(event) => boxes.feed(kind).append(event),
                None => tracing::warn!("activity not streamable"),
            }
            entry
        };
        for observe in self
            .observers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            observe(kind, actor, &entry);
        }
        entry
    }

    /// The live feed of `actor`'s box.
    pub(crate) fn feed(&self, actor: &str, kind: BoxKind) -> Arc<FeedCell> {
        let mut inner = self.write();
        inner
            .actors
            .entry(Arc::from(actor))
            .or_insert_with(|| Boxes::new(&self.base, self.window, actor))
            .feed(kind)
            .clone()
    }

    /// A page of `actor`'s box of at most `limit` items.
    pub(crate) fn page(&self, actor: &str, kind: BoxKind, cursor: Cursor, limit: usize) -> Page {
        let inner = self.read();
        let Some(list) = inner.actors.get(actor).map(|b| b.of(kind)) else {
            return Page {
                items: Vec::new(),
                total: 0,
            };
        };
        // The list is in ascending seq order.
        let items: Vec<Entry> = match cursor {
            Cursor::Newest => list.iter().rev().take(limit).cloned().collect(),
            Cursor::Before(max) => {
                let end = list.partition_point(|e| e.seq < max);
                list.range(..end).rev().take(limit).cloned().collect()
            }
            Cursor::After(min) => {
                let start = list.partition_point(|e| e.seq <= min);
                let end = start.saturating_add(limit).min(list.len());
                list.range(start..end).rev().cloned().collect()
            }
        };
        Page {
            items,
            total: list.len(),
        }
    }

    /// A fresh number for minting an object id.
    pub(crate) fn next_object_number(&self) -> u64 {
        let mut inner = self.write();
        inner.last_object += 1;
        inner.last_object
    }

    /// Stores an object by id (dropping the oldest beyond the limit).
    pub(crate) fn put_object(&self, id: &str, object: Arc<Value>) {
        let mut inner = self.write();
        if inner.objects.insert(id.to_owned(), object).is_none() {
            inner.object_order.push_back(id.to_owned());
            if inner.object_order.len() > self.max_objects
                && let Some(oldest) = inner.object_order.pop_front()
            {
                inner.objects.remove(&oldest);
            }
        }
    }

    /// An object by id.
    pub(crate) fn object(&self, id: &str) -> Option<Arc<Value>> {
        self.read().objects.get(id).cloned()
    }
}

/// The stream item of an entry: `inbox`/`outbox`, id = seq, data = the activity.
fn stream_event(kind: BoxKind, seq: u64, activity: &Value) -> Option<StreamEvent> {
    let id = ItemId::new(&seq.to_string()).ok()?;
    let json = Json::from_bytes(activity.to_string()).ok()?;
    Some(match kind {
        BoxKind::Inbox => StreamEvent::inbox(id, json),
        BoxKind::Outbox => StreamEvent::outbox(id, json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("http://hub.test").unwrap()
    }

    fn store_with(n: u64) -> Store {
        let store = Store::new(base(), 100, 100, 10);
        for i in 1..=n {
            store.append("alice", BoxKind::Inbox, Arc::new(json!({ "n": i })));
        }
        store
    }

    fn seqs(page: &Page) -> Vec<u64> {
        page.items.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn pages_are_newest_first_and_cursors_exclude_themselves() {
        let store = store_with(10);
        let newest = store.page("alice", BoxKind::Inbox, Cursor::Newest, 3);
        assert_eq!(seqs(&newest), [10, 9, 8]);
        assert_eq!(newest.total, 10);
        let older = store.page("alice", BoxKind::Inbox, Cursor::Before(8), 3);
        assert_eq!(seqs(&older), [7, 6, 5]);
        let newer = store.page("alice", BoxKind::Inbox, Cursor::After(5), 3);
        assert_eq!(seqs(&newer), [8, 7, 6]);
        let end = store.page("alice", BoxKind::Inbox, Cursor::Before(1), 3);
        assert!(end.items.is_empty());
        assert!(
            store
                .page("bob", BoxKind::Inbox, Cursor::Newest, 3)
                .items
                .is_empty()
        );
    }

    #[test]
    fn boxes_and_objects_are_bounded_oldest_first() {
        let store = Store::new(base(), 3, 2, 10);
        for i in 1..=5 {
            store.append("a", BoxKind::Outbox, Arc::new(json!(i)));
        }
        let page = store.page("a", BoxKind::Outbox, Cursor::Newest, 10);
        assert_eq!(seqs(&page), [5, 4, 3]);
        store.put_object("x", Arc::new(json!(1)));
        store.put_object("y", Arc::new(json!(2)));
        store.put_object("z", Arc::new(json!(3)));
        assert!(store.object("x").is_none());
        assert_eq!(store.object("z").as_deref(), Some(&json!(3)));
    }

    #[test]
    fn appends_reach_the_feed_with_the_seq_as_item_id_and_the_observers() {
        let store = Store::new(base(), 10, 10, 10);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        store.observe(Box::new(move |kind, actor, _| {
            record.lock().unwrap().push((kind, actor.to_owned()));
        }));
        let feed = store.feed("alice", BoxKind::Inbox);
        store.append("bob", BoxKind::Outbox, Arc::new(json!({"type": "Create"})));
        store.append("alice", BoxKind::Inbox, Arc::new(json!({"type": "Create"})));
        let feed = feed.lock();
        assert_eq!(feed.len(), 1);
        assert_eq!(feed.last_id().map(ItemId::as_str), Some("2"));
        assert_eq!(
            feed.config().collection.as_str(),
            "http://hub.test/users/alice/inbox"
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (BoxKind::Outbox, "bob".to_owned()),
                (BoxKind::Inbox, "alice".to_owned())
            ]
        );
    }
}
