//! Live streams over `fedi_stream::server`: a [`FeedCell`] per collection (the shared, bounded
//! replay window, each entry encoded once per format) and one task per subscriber driving a
//! sans-IO `Session`.
//!
//! ```text
//!  store append ─► FeedCell::append ─► Feed::append ─► head (watch) ──wakes──┐
//!                                                                           ▼
//!  GET …/inbox (Accept: text/event-stream) ─► Session::new(feed, Sse, Last-Event-ID)
//!      subscriber task: lock feed ─► poll_transmit ─► shared Bytes ─► bounded channel ─► body
//!                       poll_timeout ─► handle_timeout (keep-alive ":", cut-off of the slow)
//!                       shutdown ─► finish(meta restart) ─► last bytes ─► end of body
//! ```
//!
//! The WebSocket endpoints (C2S and Mastodon) run the same loop around their own session
//! types; they share [`FeedCell`] and [`wait`].

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fedi_stream::event::Meta;
use fedi_stream::server::{
    Entry, Feed, FeedConfig, Format, Session, SessionConfig, SessionEvent, Transmit,
};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::{mpsc, watch};

use crate::hub::server::{Core, Shutdown};
use crate::hub::web::Response;

/// The reconnection delay suggested to SSE clients.
const RETRY: Duration = Duration::from_secs(3);

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

/// Answers with a stream of `cell` in `format` (C2S or Mastodon SSE), resuming after
/// `last_event_id`; `404`-free: the caller has checked who may read it.
pub(crate) fn respond(
    core: &Arc<Core>,
    cell: Arc<FeedCell>,
    format: Format,
    last_event_id: Option<&str>,
    headers: http::HeaderMap,
) -> Response {
    let session = {
        let feed = cell.lock();
        Session::new(
            &feed,
            format,
            last_event_id,
            session_config(),
            Instant::now(),
        )
    };
    let session = match session {
        Ok(session) => session,
        Err(e) => {
            return crate::hub::web::error(http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(core.limits.subscriber_queue);
    tokio::spawn(subscriber(core.clone(), cell, session, tx));
    let body = StreamBody::new(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
    }));
    let mut response = hyper::Response::new(body.boxed_unsync());
    response.headers_mut().extend(headers);
    response
}

/// One SSE subscriber: drains its session into the response body until it ends, the client
/// goes away, or the hub stops.
async fn subscriber(
    core: Arc<Core>,
    cell: Arc<FeedCell>,
    mut session: Session,
    tx: mpsc::Sender<Bytes>,
) {
    let _guard = core.guard();
    let mut shutdown = core.shutdown();
    let mut head = cell.watch();
    let mut stopping = false;
    loop {
        let (out, closed) = {
            let feed = cell.lock();
            let now = Instant::now();
            let mut out = Vec::new();
            while let Some(transmit) = session.poll_transmit(&feed, now) {
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
                Wake::Timer => session.handle_timeout(&cell.lock(), Instant::now()),
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
