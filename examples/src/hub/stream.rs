//! Live streams over `fedi_stream::c2s::feed`: a [`FeedCell`] per collection (the shared, bounded
//! window of its newest items, each encoded once per format), the store behind it for older
//! items, and one task per subscriber driving a sans-IO `Session`.
//!
//! ```text
//!  store tail ─► FeedCell::append ─► Feed::append ─► head (watch) ──wakes──┐
//!                                                                          ▼
//!  GET …/inbox (Accept: text/event-stream, Last-Event-ID: N)
//!      subscriber task: N older than the window? ─► store: items after N, in order ─► body
//!                       then Session::new(feed, Sse, last sent id) under the feed's lock
//!                       lock feed ─► poll_transmit ─► shared Bytes ─► outlet (bounded) ─► body
//!                       poll_timeout ─► handle_timeout (keep-alive ":", cut-off of the slow)
//!                       shutdown ─► finish(meta restart) ─► last bytes ─► end of body
//! ```
//!
//! `Last-Event-ID` (or `?last_event_id=`) must be an item id this hub gave (a number): anything
//! else is answered `400` before the stream starts. An id newer than everything stored (a store
//! that was reset) starts the client afresh, with the collection's current position.
//!
//! The WebSocket endpoints (C2S and Mastodon) run the same loop around their own session
//! types; they share [`FeedCell`], [`backfill`] and [`wait`].

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fedi_stream::c2s::feed::{
    Entry, Feed, FeedConfig, Format, Session, SessionConfig, SessionEvent, Transmit,
};
use fedi_stream::c2s::item::{ItemId, Meta};
use http::StatusCode;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::watch;

use crate::hub::queue;
use crate::hub::server::{Core, Shutdown};
use crate::hub::store::BoxKind;
use crate::hub::web::{self, Response};

/// The reconnection delay suggested to SSE clients.
const RETRY: Duration = Duration::from_secs(3);

/// Items read from the store per round of a backfill.
const BACKFILL_BATCH: usize = 64;

/// How long a backfill waits for the feeds to catch up with the store.
const CATCH_UP_WAIT: Duration = Duration::from_secs(5);

/// A feed shared by every subscriber of one collection, with the signal that wakes them.
pub(crate) struct FeedCell {
    feed: Mutex<Feed>,
    head: watch::Sender<u64>,
}

impl FeedCell {
    /// An empty feed.
    pub(crate) fn new(config: FeedConfig) -> Self {
        FeedCell {
            feed: Mutex::new(Feed::new(config)),
            head: watch::Sender::new(0),
        }
    }

    /// The feed, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Feed> {
        // Feed methods leave it consistent at every return; a panic elsewhere cannot break it.
        self.feed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `entry` and wakes the subscribers. A refused entry (too large for the window,
    /// a duplicate id) is logged and not streamed; it stays in the collection.
    pub(crate) fn append(&self, entry: impl Into<Entry>) {
        let mut feed = self.lock();
        match feed.append(entry) {
            Ok(_) => {
                self.head.send_replace(feed.head());
            }
            Err(e) => tracing::warn!(error = %e, "entry not streamed"),
        }
    }

    /// A receiver that changes whenever something is appended.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }
}

/// The session settings of every stream: WHATWG's 15 s keep-alive, a 3 s reconnection hint,
/// `fedi_stream`'s default queue limits (a subscriber further behind is cut off).
pub(crate) fn session_config() -> SessionConfig {
    let mut config = SessionConfig::new();
    config.retry = Some(RETRY);
    config
}

/// The status sent to every stream before the hub stops.
pub(crate) fn shutdown_notice() -> Meta {
    Meta::Restart {
        message: "the hub is shutting down".into(),
        in_seconds: None,
    }
}

/// What woke a subscriber task.
pub(crate) enum Wake {
    /// The feed grew (or its last sender is gone: `false`).
    Feed(bool),
    /// The session's timer is due.
    Timer,
    /// The hub is stopping.
    Shutdown,
}

/// Waits for the next reason to poll a session: the feed, its timer, or shutdown (once).
pub(crate) async fn wait(
    head: &mut watch::Receiver<u64>,
    deadline: Option<Instant>,
    shutdown: &mut Shutdown,
    stopping: bool,
) -> Wake {
    let timer = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        changed = head.changed() => Wake::Feed(changed.is_ok()),
        () = timer => Wake::Timer,
        () = shutdown.wait(), if !stopping => Wake::Shutdown,
    }
}

/// A `Last-Event-ID` this hub never gives (not a number).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BadResume;

impl BadResume {
    /// The `400` answer.
    pub(crate) fn response(self) -> Response {
        web::error(
            StatusCode::BAD_REQUEST,
            "Last-Event-ID (or last_event_id) must be an item id of this collection: a number",
        )
    }
}

/// The resume point of a stream request: `None` for none (or an empty one), or the item id.
///
/// # Errors
/// [`BadResume`] for an id this hub never gives.
pub(crate) fn resume_point(last_event_id: Option<&str>) -> Result<Option<u64>, BadResume> {
    match last_event_id.map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => id.parse::<u64>().map(Some).map_err(|_| BadResume),
    }
}

/// A box and its live feed, for a [`backfill`].
pub(crate) struct BoxFeed<'a> {
    /// The box's owner.
    pub(crate) owner: &'a str,
    /// Which box.
    pub(crate) kind: BoxKind,
    /// Its feed.
    pub(crate) cell: &'a FeedCell,
}

/// Whether a session on `feed` can resume after `id` without a catch-up.
fn resumable(feed: &Feed, id: &str, max_behind: u64) -> bool {
    if feed.last_id().map(ItemId::as_str) == Some(id) {
        return true;
    }
    feed.position(id)
        .is_some_and(|seq| feed.head() - (seq + 1) <= max_behind)
}

/// The client went away during a backfill.
pub(crate) struct Gone;

/// Brings a client of a box that last saw item `last` up to the feed's window: sends
/// it (with `send`, in `format`) the items that followed from the store, oldest first, then
/// calls `start` under the feed's lock with the id the session resumes after (`None`: the box
/// holds nothing after `last`, and the session starts live from the feed's position).
///
/// # Errors
/// [`Gone`] when `send` reports the client gone.
pub(crate) async fn backfill<T, F, Fut>(
    core: &Core,
    feed: BoxFeed<'_>,
    format: Format,
    mut last: u64,
    mut send: F,
    start: impl FnOnce(&Feed, Option<&str>) -> T,
) -> Result<T, Gone>
where
    F: FnMut(Transmit) -> Fut,
    Fut: Future<Output = bool>,
{
    let BoxFeed { owner, kind, cell } = feed;
    let max_behind = session_config().max_queue_items;
    loop {
        let id = last.to_string();
        {
            let feed = cell.lock();
            if resumable(&feed, &id, max_behind) {
                return Ok(start(&feed, Some(&id)));
            }
        }
        let batch = match core
            .store
            .box_after(owner, kind, last, BACKFILL_BATCH)
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "backfill: store unreadable; the stream starts with a catch-up");
                return Ok(start(&cell.lock(), Some(&id)));
            }
        };
        if batch.is_empty() {
            // Nothing after `last` in this box. Once the feeds have seen everything up to
            // `last`, the session can start live without missing anything.
            let newest = core.store.newest().await.unwrap_or(u64::MAX);
            if last <= newest {
                feeds_reach(core, last).await;
            }
            let feed = cell.lock();
            let from = resumable(&feed, &id, max_behind).then_some(id.as_str());
            return Ok(start(&feed, from));
        }
        for (seq, event) in batch {
            let Some(transmit) = format.encode(&Entry::from(event), &[]) else {
                continue;
            };
            if !send(transmit).await {
                return Err(Gone);
            }
            last = seq;
        }
    }
}

/// Answers with a stream of `owner`'s box in `format` (C2S SSE), resuming after
/// `last_event_id` (from the store where the feed no longer holds it); the caller has checked
/// who may read it.
pub(crate) fn respond_box(
    core: &Arc<Core>,
    owner: &str,
    kind: BoxKind,
    format: Format,
    last_event_id: Option<&str>,
    headers: http::HeaderMap,
) -> Response {
    let resume = match resume_point(last_event_id) {
        Ok(resume) => resume,
        Err(bad) => return bad.response(),
    };
    let Some(cell) = core.store.feed(owner, kind) else {
        return web::error(
            StatusCode::NOT_FOUND,
            format!("no collection for `{owner}`"),
        );
    };
    let start = Start::Box {
        owner: owner.to_owned(),
        kind,
        resume,
    };
    stream_response(core, cell, format, start, headers)
}

/// Answers with a stream of `cell` in `format` (Mastodon SSE: no store behind it), resuming
/// after `last_event_id` within the window.
pub(crate) fn respond_feed(
    core: &Arc<Core>,
    cell: Arc<FeedCell>,
    format: Format,
    last_event_id: Option<&str>,
    headers: http::HeaderMap,
) -> Response {
    let start = Start::Window(last_event_id.map(str::to_owned));
    stream_response(core, cell, format, start, headers)
}

/// Where a subscriber starts.
enum Start {
    /// A box backed by the store.
    Box {
        owner: String,
        kind: BoxKind,
        resume: Option<u64>,
    },
    /// A feed alone.
    Window(Option<String>),
}

/// Waits until the feeds have seen every item committed before the call (at most
/// `CATCH_UP_WAIT`), so that a subscriber starting without a position starts after everything
/// acknowledged before its request, and never receives such an item as new.
pub(crate) async fn caught_up(core: &Core) {
    match core.store.newest().await {
        Ok(newest) => feeds_reach(core, newest).await,
        Err(e) => tracing::warn!(error = %e, "the store is unreadable; the stream starts as it is"),
    }
}

/// Waits until the feeds have seen every item up to `seq` (at most `CATCH_UP_WAIT`).
async fn feeds_reach(core: &Core, seq: u64) {
    let mut processed = core.store.processed();
    let reached =
        tokio::time::timeout(CATCH_UP_WAIT, processed.wait_for(|seen| *seen >= seq)).await;
    if !matches!(reached, Ok(Ok(_))) {
        tracing::warn!(seq, "the feeds did not catch up with the store in time");
    }
}

fn stream_response(
    core: &Arc<Core>,
    cell: Arc<FeedCell>,
    format: Format,
    start: Start,
    headers: http::HeaderMap,
) -> Response {
    let (tx, rx) = queue::bounded::<Bytes>(
        core.limits.subscriber_queue,
        core.limits.subscriber_queue_bytes,
    );
    tokio::spawn(subscriber(core.clone(), cell, format, start, tx));
    let body = StreamBody::new(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
    }));
    let mut response = hyper::Response::new(body.boxed_unsync());
    response.headers_mut().extend(headers);
    response
}

/// One SSE subscriber: backfills from the store if it resumes from before the window, then
/// drains its session into the response body until it ends, the client goes away, or the hub
/// stops.
async fn subscriber(
    core: Arc<Core>,
    cell: Arc<FeedCell>,
    format: Format,
    start: Start,
    tx: queue::Sender<Bytes>,
) {
    let _guard = core.guard();
    let new_session = |feed: &Feed, from: Option<&str>| {
        Session::new(feed, format, from, session_config(), Instant::now())
    };
    let session = match start {
        Start::Box {
            owner,
            kind,
            resume: Some(last),
        } => {
            let send = |transmit: Transmit| {
                let tx = tx.clone();
                async move {
                    match transmit {
                        Transmit::Body(bytes) => tx.send(bytes).await.is_ok(),
                        _ => true,
                    }
                }
            };
            let feed = BoxFeed {
                owner: &owner,
                kind,
                cell: &cell,
            };
            match backfill(&core, feed, format, last, send, new_session).await {
                Ok(session) => session,
                Err(Gone) => return,
            }
        }
        Start::Box { resume: None, .. } | Start::Window(None) => {
            caught_up(&core).await;
            new_session(&cell.lock(), None)
        }
        Start::Window(Some(resume)) => new_session(&cell.lock(), Some(&resume)),
    };
    let mut session = match session {
        Ok(session) => session,
        Err(e) => {
            tracing::error!(error = %e, "stream session refused");
            return;
        }
    };
    let mut shutdown = core.shutdown();
    let mut head = cell.watch();
    let mut stopping = false;
    loop {
        let (out, closed) = {
            let feed = cell.lock();
            let now = Instant::now();
            let mut out = Vec::new();
            while let Some(transmit) = session.poll_transmit(now, &feed) {
                if let Transmit::Body(bytes) = transmit {
                    out.push(bytes);
                }
            }
            (out, session.is_closed())
        };
        while let Some(event) = session.poll_event() {
            log_session_event(&event);
        }
        for bytes in out {
            if tx.send(bytes).await.is_err() {
                return;
            }
        }
        if closed {
            return;
        }
        let deadline = session.poll_timeout();
        tokio::select! {
            wake = wait(&mut head, deadline, &mut shutdown, stopping) => match wake {
                Wake::Feed(true) => {}
                Wake::Feed(false) => return,
                Wake::Timer => {
                    if session.handle_timeout(Instant::now(), &cell.lock()).is_err() {
                        return; // closed: everything was sent
                    }
                }
                Wake::Shutdown => {
                    stopping = true;
                    session.finish(Some(&shutdown_notice()));
                }
            },
            () = tx.closed() => return,
        }
    }
}

/// Logs what a session reports (resumes, catch-ups, cut-offs).
pub(crate) fn log_session_event(event: &SessionEvent) {
    match event {
        SessionEvent::CutOff {
            queued_items,
            queued_bytes,
        } => tracing::info!(queued_items, queued_bytes, "slow subscriber cut off"),
        other => tracing::debug!(?other, "stream session"),
    }
}
