//! [`SharedFeed`]: a [`Feed`] shared by tokio tasks, whose subscribers ([`SessionStream`]) wake
//! when it changes and at their own timeouts.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{
    AppendError, Appended, Entry, Feed, Format, Session, SessionConfig, SessionError, Transmit,
};
use crate::c2s::item::Meta;

/// A [`Feed`] behind a mutex, for a tokio server where one task appends and many stream.
/// Cloning it is cheap (an `Arc`); every clone is the same feed.
///
/// Wake-ups are never lost: a [`SessionStream`] marks the feed's version as seen *before* it
/// looks at the feed, so an entry appended after that look always wakes it, and one appended
/// before it is seen by it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures::StreamExt;
/// use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, SessionConfig, SharedFeed};
/// use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
///
/// let collection = "https://example.com/users/alice/outbox".parse()?;
/// let outbox = SharedFeed::new(Feed::new(FeedConfig::new(collection)));
/// outbox.append(StreamEvent::outbox(ItemId::new("1")?, Json::from_bytes(r#"{"type":"Create"}"#)?))?;
///
/// // A client resuming after item 1 (its Last-Event-ID) gets what followed, as body bytes:
/// // `axum::body::Body::from_stream(body)` or `http_body_util::StreamBody` serve them.
/// let mut body = outbox.subscribe(Format::Sse, Some("1"), SessionConfig::default())?.into_body();
/// let writer = outbox.clone();
/// tokio::spawn(async move {
///     writer.append(StreamEvent::outbox(ItemId::new("2")?, Json::from_bytes(r#"{"type":"Like"}"#)?))?;
///     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
/// });
/// let mut wire = Vec::new();
/// while !wire.ends_with(b"{\"type\":\"Like\"}\n\n") {
///     wire.extend_from_slice(&body.next().await.expect("the stream goes on")?);
/// }
/// assert!(wire.ends_with(b"event: outbox\nid: 2\ndata: {\"type\":\"Like\"}\n\n"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SharedFeed {
    inner: Arc<Inner>,
}

struct Inner {
    feed: Mutex<Feed>,
    /// Bumped after every change subscribers must look at.
    version: watch::Sender<Version>,
}

#[derive(Debug, Clone, Default)]
struct Version {
    changes: u64,
    /// Set by [`SharedFeed::close`]: every stream finishes, with this status if given.
    closing: Option<Option<Meta>>,
}

impl SharedFeed {
    /// Shares `feed`.
    #[must_use]
    pub fn new(feed: Feed) -> Self {
        Self {
            inner: Arc::new(Inner {
                feed: Mutex::new(feed),
                version: watch::Sender::new(Version::default()),
            }),
        }
    }

    /// Appends to the feed ([`Feed::append`]) and wakes every subscriber.
    ///
    /// # Errors
    /// As [`Feed::append`].
    pub fn append(&self, entry: impl Into<Entry>) -> Result<Appended, AppendError> {
        let appended = self.lock().append(entry)?;
        self.bump();
        Ok(appended)
    }

    /// Publishes a live status ([`Feed::publish_meta`]) and wakes every subscriber.
    ///
    /// # Errors
    /// As [`Feed::publish_meta`].
    pub fn publish_meta(&self, meta: &Meta) -> Result<Appended, AppendError> {
        let appended = self.lock().publish_meta(meta)?;
        self.bump();
        Ok(appended)
    }

    /// Runs `read` on the feed (its head, last id, window...), under its lock: keep it short.
    pub fn read<R>(&self, read: impl FnOnce(&Feed) -> R) -> R {
        read(&self.lock())
    }

    /// A subscriber in `format`, resuming after `last_event_id` ([`Session::new`]).
    ///
    /// # Errors
    /// As [`Session::new`].
    pub fn subscribe(
        &self,
        format: Format,
        last_event_id: Option<&str>,
        config: SessionConfig,
    ) -> Result<SessionStream, SessionError> {
        let version = self.inner.version.subscribe();
        let session = Session::new(&self.lock(), format, last_event_id, config, now())?;
        let driver = Driver {
            shared: self.clone(),
            session,
            version,
            finished: false,
        };
        let transmits = futures_util::stream::unfold(driver, |mut driver| async move {
            let transmit = driver.next().await?;
            Some((transmit, driver))
        });
        Ok(SessionStream {
            inner: Box::pin(transmits),
        })
    }

    /// Ends every subscriber's stream (now and later ones): each sends `meta` if given and its
    /// format carries statuses (a restart notice), then ends ([`Session::finish`]). For a
    /// graceful shutdown, which waits for response bodies to end.
    pub fn close(&self, meta: Option<Meta>) {
        self.inner.version.send_modify(|version| {
            version.changes += 1;
            version.closing = Some(meta);
        });
    }

    fn bump(&self) {
        self.inner
            .version
            .send_modify(|version| version.changes += 1);
    }

    fn lock(&self) -> MutexGuard<'_, Feed> {
        // A panic under the lock leaves the feed consistent: every method of `Feed` completes
        // its change before it can fail.
        self.inner
            .feed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for SharedFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFeed").finish_non_exhaustive()
    }
}

/// One subscriber of a [`SharedFeed`], driven by tokio's timer: a `Stream` of its
/// [`Transmit`]s (entries, keep-alives, statuses) that ends when the session does (cut off
/// as a slow consumer, or [`SharedFeed::close`]). Dropping it unsubscribes.
///
/// Session events (resumed, catch-up required, cut off) are not reported: what they change
/// is on the wire. Drive a [`Session`] directly to observe them.
pub struct SessionStream {
    inner: Pin<Box<dyn Stream<Item = Transmit> + Send>>,
}

impl SessionStream {
    /// The bytes of every transmit, as an HTTP response body for the SSE formats.
    #[must_use]
    pub fn into_body(self) -> SessionBody {
        SessionBody { transmits: self }
    }
}

/// A [`SessionStream`] as the chunks of an HTTP response body (WebSocket formats' Pings have
/// no bytes and are skipped): give it to `axum::body::Body::from_stream`,
/// `http_body_util::StreamBody` or any body built from a stream of `Result<Bytes, _>`.
#[derive(Debug)]
pub struct SessionBody {
    transmits: SessionStream,
}

impl Stream for SessionBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.transmits).poll_next(cx) {
                Poll::Ready(Some(Transmit::Body(bytes) | Transmit::Text(bytes))) => {
                    return Poll::Ready(Some(Ok(bytes)));
                }
                Poll::Ready(Some(_)) => {}
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl Stream for SessionStream {
    type Item = Transmit;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Transmit>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for SessionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStream").finish_non_exhaustive()
    }
}

struct Driver {
    shared: SharedFeed,
    session: Session,
    version: watch::Receiver<Version>,
    finished: bool,
}

impl Driver {
    async fn next(&mut self) -> Option<Transmit> {
        loop {
            // Seen before looking at the feed: a later change wakes `changed` below.
            let closing = self.version.borrow_and_update().closing.clone();
            let deadline = {
                let feed = self.shared.lock();
                if let (Some(meta), false) = (closing, self.finished) {
                    self.session.finish(meta.as_ref());
                    self.finished = true;
                }
                let transmit = self.session.poll_transmit(now(), &feed);
                while self.session.poll_event().is_some() {}
                if transmit.is_some() {
                    return transmit;
                }
                if self.session.is_closed() {
                    return None;
                }
                self.session.poll_timeout().map(Instant::from_std)
            };
            match deadline {
                Some(deadline) => tokio::select! {
                    changed = self.version.changed() => changed.ok()?,
                    () = tokio::time::sleep_until(deadline) => {
                        let feed = self.shared.lock();
                        // `Err(Closed)` only: the next look at the session ends the stream.
                        let _ = self.session.handle_timeout(now(), &feed);
                    }
                },
                None => self.version.changed().await.ok()?,
            }
        }
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}
