//! [`Session`]: one subscriber's position in a [`Feed`], its resume, keep-alives and cut-off.

use std::collections::VecDeque;
use web_time::Instant;

use crate::c2s::item::{CatchUp, CatchUpReason, ItemId, Meta};

use super::config::SessionConfig;
use super::entry::Entry;
use super::error::SessionError;
use super::format::{Format, Transmit};
use super::window::{Feed, Item};

/// What happened in a [`Session`], for the host's logs and metrics (and to close the
/// connection after [`SessionEvent::CutOff`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The `Last-Event-ID` was found in the window: the entries that followed it are replayed
    /// first (`replayed` of them, `meta` statuses and live-only entries not counted).
    Resumed {
        /// The id the client resumed from.
        from: ItemId,
        /// Entries appended after it, to be delivered before live ones.
        replayed: u64,
    },
    /// The missed entries cannot be replayed; the client was told where to fetch them (a `meta`
    /// event on C2S formats; Mastodon formats have no such event, so only the host learns it).
    CatchUpRequired(CatchUp),
    /// The subscriber fell behind its queue limit (or the window moved past it): it was sent a
    /// `catchUp` meta event (reason `slowConsumer`) and the stream ends. Close the connection
    /// once [`Session::poll_transmit`] returns `None` (or at once if the transport is stuck).
    CutOff {
        /// Entries it was behind.
        queued_items: u64,
        /// Payload bytes it was behind.
        queued_bytes: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Cut off: the remaining `pending` output is the last.
    Ending,
    Closed,
}

/// The sans-IO stream of one subscriber (one SSE response, one WebSocket connection, one
/// Mastodon subscription) over a [`Feed`].
///
/// The session holds a position in the feed, never a copy of it: polling hands out the feed's
/// shared bytes, and the subscriber's queue is the part of the feed it has not taken yet. That
/// queue is bounded by [`SessionConfig::max_queue_items`]/[`max_queue_bytes`](SessionConfig::max_queue_bytes)
/// and by the window: a subscriber beyond either is cut off with a `catchUp` meta event
/// (`slowConsumer`), so a slow client never grows the server's memory.
///
/// # Resume
/// [`Session::new`] takes the client's `Last-Event-ID`. Without one (or with an empty one) the
/// subscriber is new: it gets live entries, and a C2S stream opens with the feed's position
/// (a `meta` event with the `id` and a `position` status, on SSE and WebSocket alike; see
/// [the module docs](super#starting-a-stream)) so that it can resume gap-free even if it sees
/// no entry before a disconnect; Mastodon formats send only what Mastodon sends (`:)` on SSE,
/// nothing on WebSocket). A client that loaded the
/// collection first should pass its newest item id instead. With a last id:
/// - found in the window, within the queue limit: everything appended after it is replayed,
///   exactly once and in order, before live entries (the feed's own position, see
///   [`Feed::last_id`], counts as found: nothing to replay; the start position counts as
///   found while no entry has left the window: everything is replayed);
/// - not in the window (older, unknown, from before a restart) or invalid: a `catchUp` meta
///   event with the collection's `?min_id=` URL comes first, then live entries;
/// - in the window but more than the queue limit behind: the same, with reason `tooFarBehind`.
///
/// # Resume from storage
/// A host that keeps its collections (a database) can spare clients the catch-up: while the
/// client's last id is older than the window (or too far behind), send it the entries that
/// followed from storage, each encoded with [`Format::encode`] (the same bytes the feed would
/// give), then start the session with the last id sent once [`Feed::position`] finds it (or it
/// is [`Feed::last_id`]); check and start under the same lock of the feed, so that nothing is
/// appended between.
///
/// # Drain order
/// After [`Session::new`], after every [`Feed::append`] / [`Feed::publish_meta`], and after
/// [`handle_timeout`](Self::handle_timeout):
/// 1. [`poll_transmit`](Self::poll_transmit) until `None` (or until the transport is full:
///    stop polling and the entries wait in the feed, counting against the queue limit);
/// 2. [`poll_event`](Self::poll_event) until `None`;
/// 3. [`poll_timeout`](Self::poll_timeout): call `handle_timeout` at that instant.
///
/// Use one session with one feed: positions are meaningless in another feed.
///
/// ```
/// use std::time::{Duration, Instant};
/// use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
/// use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, Session, SessionConfig, Transmit};
///
/// let mut feed = Feed::new(FeedConfig::new("https://example.com/alice/inbox".parse()?));
/// let start = Instant::now();
/// let mut session = Session::new(&feed, Format::Sse, None, SessionConfig::default(), start)?;
///
/// feed.append(StreamEvent::inbox(ItemId::new("1")?, Json::from_bytes(r#"{"type":"Create"}"#)?))?;
/// let Some(Transmit::Body(bytes)) = session.poll_transmit(start, &feed) else { panic!() };
/// assert_eq!(&bytes[..], b"event: inbox\nid: 1\ndata: {\"type\":\"Create\"}\n\n");
/// assert_eq!(session.poll_transmit(start, &feed), None);
///
/// // Nothing for 15 s: a keep-alive comment.
/// let wake = session.poll_timeout().unwrap();
/// assert_eq!(wake, start + Duration::from_secs(15));
/// session.handle_timeout(wake, &feed)?;
/// assert_eq!(session.poll_transmit(wake, &feed), Some(Transmit::Body(":\n".into())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Session {
    format: Format,
    config: SessionConfig,
    state: State,
    /// Sequence number of the next entry to deliver.
    cursor: u64,
    /// Live-only entries below this position are skipped (they predate the session).
    live_from: u64,
    /// The last item id delivered (or resumed from): the client's `Last-Event-ID`.
    last_id: Option<ItemId>,
    /// Preamble, meta and keep-alive output, before feed entries. At most three.
    pending: VecDeque<Transmit>,
    keep_alive_pending: bool,
    events: VecDeque<SessionEvent>,
    /// `None` when the keep-alive interval is beyond what `Instant` can represent.
    keep_alive_at: Option<Instant>,
}

impl Session {
    /// Subscribes to `feed` in `format`, resuming after `last_event_id` (the client's
    /// `Last-Event-ID`; `None` or empty: live entries only).
    ///
    /// # Errors
    /// [`SessionError::FormatNotServed`] if the feed does not prepare `format`.
    pub fn new(
        feed: &Feed,
        format: Format,
        last_event_id: Option<&str>,
        config: SessionConfig,
        now: Instant,
    ) -> Result<Self, SessionError> {
        if !feed.serves(format) {
            return Err(SessionError::FormatNotServed { format });
        }
        let head = feed.head();
        let mut session = Self {
            format,
            config,
            state: State::Open,
            cursor: head,
            live_from: head,
            last_id: None,
            pending: VecDeque::with_capacity(3),
            keep_alive_pending: false,
            events: VecDeque::new(),
            keep_alive_at: now.checked_add(config.keep_alive),
        };
        let resume = last_event_id.filter(|id| !id.is_empty());
        let position = if resume.is_none() {
            feed.last_id()
        } else {
            None
        };
        let resumed = resume.and_then(|raw| ItemId::new(raw).ok());
        if let Some(preamble) = format.preamble(config.retry, position, resumed.as_ref()) {
            session.pending.push_back(preamble);
        }
        match resume {
            Some(raw) => session.resume(feed, raw),
            None => session.last_id = feed.last_id().cloned(),
        }
        Ok(session)
    }

    fn resume(&mut self, feed: &Feed, raw: &str) {
        let Ok(id) = ItemId::new(raw) else {
            self.catch_up(feed, CatchUpReason::InvalidId, None);
            return;
        };
        let from = match feed.position(raw) {
            Some(seq) => seq + 1,
            None if feed.last_id() == Some(&id) => {
                // The client is at the feed's position (its start position, or a newest item
                // that left the window): nothing was missed.
                self.last_id = Some(id.clone());
                self.events.push_back(SessionEvent::Resumed {
                    from: id,
                    replayed: 0,
                });
                return;
            }
            // The client got the start position, and every entry since is still in the window.
            None => match feed.after_start(&id) {
                Some(from) => from,
                None => {
                    self.catch_up(feed, CatchUpReason::OutOfWindow, Some(id));
                    return;
                }
            },
        };
        let behind_items = feed.head() - from;
        let behind_bytes = feed.payload_bytes_from(from);
        self.last_id = Some(id.clone());
        if behind_items > self.config.max_queue_items || behind_bytes > self.config.max_queue_bytes
        {
            self.catch_up(feed, CatchUpReason::TooFarBehind, Some(id));
            return;
        }
        self.cursor = from;
        let replayed = (from..feed.head())
            .filter_map(|seq| feed.item(seq))
            .filter(|item| !item.live_only && self.carries(item.meta))
            .count() as u64;
        self.events
            .push_back(SessionEvent::Resumed { from: id, replayed });
    }

    fn catch_up(&mut self, feed: &Feed, reason: CatchUpReason, min_id: Option<ItemId>) {
        let until = match reason {
            CatchUpReason::SlowConsumer => None,
            _ => feed.last_id().cloned(),
        };
        self.last_id.clone_from(&min_id);
        let catch_up = CatchUp::new(reason, &feed.config().collection, min_id, until);
        if !self.format.is_mastodon() {
            let entry = Entry::meta(&Meta::CatchUp(catch_up.clone()));
            if let Some(bytes) = self.format.encoding().encode(&entry, &[]) {
                self.pending.push_back(self.format.transmit(bytes));
            }
        }
        self.events
            .push_back(if reason == CatchUpReason::SlowConsumer {
                SessionEvent::CutOff {
                    queued_items: feed.head().saturating_sub(self.cursor),
                    queued_bytes: feed.payload_bytes_from(self.cursor),
                }
            } else {
                SessionEvent::CatchUpRequired(catch_up)
            });
    }

    /// Whether this session's format carries `meta` entries.
    fn carries(&self, meta: bool) -> bool {
        !(meta && self.format.is_mastodon())
    }

    /// The next output, or `None` when there is nothing to send now (or the session ended).
    /// Hands out the feed's shared bytes; never copies an entry.
    ///
    /// Checks the queue limit first: a subscriber too far behind gets the `slowConsumer`
    /// catch-up event as its last output ([`SessionEvent::CutOff`]).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, feed: &Feed) -> Option<Transmit> {
        loop {
            if let Some(transmit) = self.pending.pop_front() {
                if transmit == self.format.keep_alive() {
                    self.keep_alive_pending = false;
                }
                self.sent(now);
                return Some(transmit);
            }
            if self.state != State::Open {
                self.state = State::Closed;
                return None;
            }
            if self.cursor >= feed.head() {
                // Also repairs a position beyond the head (a session polled with another feed).
                self.cursor = self.cursor.min(feed.head());
                return None;
            }
            let item = feed.item(self.cursor);
            if self.beyond_queue_limit(feed, item) {
                self.cut_off(feed);
                continue;
            }
            let item = item?;
            self.cursor += 1;
            if (item.live_only && self.cursor <= self.live_from) || !self.carries(item.meta) {
                continue;
            }
            let Some(bytes) = item
                .wire
                .get(self.format.encoding().index())
                .and_then(Option::as_ref)
            else {
                continue;
            };
            if let Some(id) = &item.id {
                self.last_id = Some(id.clone());
            }
            self.sent(now);
            return Some(self.format.transmit(bytes.clone()));
        }
    }

    /// Whether the subscriber at `item` (its next entry, `None` once evicted) is further behind
    /// than its queue limit.
    fn beyond_queue_limit(&self, feed: &Feed, item: Option<&Item>) -> bool {
        let Some(item) = item else {
            return true;
        };
        feed.head() - self.cursor > self.config.max_queue_items
            || feed.payload_total().saturating_sub(item.bytes_before) > self.config.max_queue_bytes
    }

    /// Ends the stream of a slow subscriber with the `slowConsumer` catch-up event.
    fn cut_off(&mut self, feed: &Feed) {
        self.pending.clear();
        self.keep_alive_pending = false;
        let last = self.last_id.clone();
        self.catch_up(feed, CatchUpReason::SlowConsumer, last);
        self.state = State::Ending;
    }

    fn sent(&mut self, now: Instant) {
        self.keep_alive_at = now.checked_add(self.config.keep_alive);
    }

    /// Call when [`poll_timeout`](Self::poll_timeout) is reached (spurious calls do nothing):
    /// queues a keep-alive if nothing was sent for [`SessionConfig::keep_alive`], and checks
    /// the queue limit, so a subscriber whose transport is stuck is cut off even if the host
    /// never gets to poll it. After [`finish`](Self::finish) or a cut-off it does nothing
    /// until the last output has been transmitted.
    ///
    /// # Errors
    /// [`SessionError::Closed`] once the session is closed ([`is_closed`](Self::is_closed)).
    pub fn handle_timeout(&mut self, now: Instant, feed: &Feed) -> Result<(), SessionError> {
        match self.state {
            State::Open => {}
            State::Ending => return Ok(()),
            State::Closed => return Err(SessionError::Closed),
        }
        if self.cursor < feed.head() && self.beyond_queue_limit(feed, feed.item(self.cursor)) {
            self.cut_off(feed);
            return Ok(());
        }
        if self.keep_alive_at.is_some_and(|at| now >= at) && !self.keep_alive_pending {
            self.pending.push_back(self.format.keep_alive());
            self.keep_alive_pending = true;
            self.keep_alive_at = now.checked_add(self.config.keep_alive);
        }
        Ok(())
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next; `None` once the session has
    /// ended.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.keep_alive_at.filter(|_| self.state == State::Open)
    }

    /// The next event, in the order they happened. At most two ever wait: how the session
    /// started (resumed or caught up) and its cut-off.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has something to return now.
    #[must_use]
    pub fn has_pending(&self, feed: &Feed) -> bool {
        !self.pending.is_empty() || (self.state == State::Open && self.cursor < feed.head())
    }

    /// Whether the stream has ended (cut off, or [`finish`](Self::finish)ed) and everything
    /// was transmitted: close the connection.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Ends the stream after `meta` (if given, and if the format carries meta events), e.g. a
    /// restart notice when the host shuts down. Entries not yet delivered are not sent.
    pub fn finish(&mut self, meta: Option<&Meta>) {
        if self.state != State::Open {
            return;
        }
        self.pending
            .retain(|transmit| transmit != &self.format.keep_alive());
        self.keep_alive_pending = false;
        if let Some(meta) = meta.filter(|_| !self.format.is_mastodon()) {
            let entry = Entry::meta(meta);
            if let Some(bytes) = self.format.encoding().encode(&entry, &[]) {
                self.pending.push_back(self.format.transmit(bytes));
            }
        }
        self.state = State::Ending;
    }

    /// The subscriber's format.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The id of the last item delivered (or resumed from): what the client would send as
    /// `Last-Event-ID`.
    #[must_use]
    pub fn last_id(&self) -> Option<&ItemId> {
        self.last_id.as_ref()
    }

    /// The next position in the feed this session delivers.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.cursor
    }

    /// Entries and payload bytes this subscriber has yet to take (its queue).
    #[must_use]
    pub fn queued(&self, feed: &Feed) -> (u64, u64) {
        let cursor = self.cursor.max(feed.first_seq());
        (
            feed.head().saturating_sub(self.cursor),
            feed.payload_bytes_from(cursor),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::c2s::feed::{FeedConfig, FeedLimits};
    use crate::c2s::item::{EventKind, Json};

    fn feed(limits: FeedLimits) -> Feed {
        Feed::new(
            FeedConfig::new(url::Url::parse("https://h.example/inbox").unwrap())
                .with_limits(limits),
        )
    }

    fn entry(id: u32) -> Entry {
        Entry::item(
            EventKind::Inbox,
            Some(ItemId::new(&id.to_string()).unwrap()),
            Json::from_bytes(format!(r#"{{"n":{id}}}"#)).unwrap(),
        )
    }

    fn drain(session: &mut Session, feed: &Feed, now: Instant) -> Vec<String> {
        std::iter::from_fn(|| session.poll_transmit(now, feed))
            .map(|transmit| match transmit {
                Transmit::Body(bytes) | Transmit::Text(bytes) => {
                    String::from_utf8(bytes.to_vec()).unwrap()
                }
                Transmit::Ping => "ping".into(),
            })
            .collect()
    }

    #[test]
    fn replays_exactly_what_followed_the_last_id() {
        let now = Instant::now();
        let mut feed = feed(FeedLimits::default());
        for id in 1..=5 {
            feed.append(entry(id)).unwrap();
        }
        let mut session = Session::new(
            &feed,
            Format::WebSocket,
            Some("3"),
            SessionConfig::default(),
            now,
        )
        .unwrap();
        assert_eq!(
            drain(&mut session, &feed, now),
            [
                r#"{"type":"inbox","id":"4","data":{"n":4}}"#,
                r#"{"type":"inbox","id":"5","data":{"n":5}}"#
            ]
        );
        assert_eq!(
            session.poll_event(),
            Some(SessionEvent::Resumed {
                from: ItemId::new("3").unwrap(),
                replayed: 2
            })
        );
        assert_eq!(session.last_id().unwrap(), "5");
    }

    #[test]
    fn meta_entries_reach_live_subscribers_only() {
        let now = Instant::now();
        let mut feed = feed(FeedLimits::default());
        feed.append(entry(1)).unwrap();
        feed.publish_meta(&Meta::Notice {
            message: "old".into(),
        })
        .unwrap();
        feed.append(entry(2)).unwrap();
        let mut resumed =
            Session::new(&feed, Format::Sse, Some("1"), SessionConfig::default(), now).unwrap();
        let mut live =
            Session::new(&feed, Format::Sse, None, SessionConfig::default(), now).unwrap();
        feed.publish_meta(&Meta::Notice {
            message: "new".into(),
        })
        .unwrap();
        let resumed_out = drain(&mut resumed, &feed, now);
        assert_eq!(resumed_out.len(), 3, "{resumed_out:?}");
        assert_eq!(resumed_out[0], "id: 1\n\n", "the resumed id, repeated");
        assert!(resumed_out[1].contains("id: 2"));
        assert!(resumed_out[2].contains("\"new\""));
        let live_out = drain(&mut live, &feed, now);
        assert_eq!(live_out.len(), 2);
        assert_eq!(
            live_out[0],
            "event: meta\nid: 2\ndata: {\"type\":\"position\",\"lastEventId\":\"2\"}\n\n",
            "a new subscriber learns the position, in an event every client records"
        );
        assert!(live_out[1].starts_with("event: meta\ndata: "));
    }

    #[test]
    fn the_opening_position_is_an_event_with_data_and_id() {
        let now = Instant::now();
        let feed = Feed::new(
            FeedConfig::new(url::Url::parse("https://h.example/inbox").unwrap())
                .with_start_position(ItemId::new("0").unwrap()),
        );
        let config = SessionConfig::default().with_retry(Duration::from_millis(3000));
        let mut sse = Session::new(&feed, Format::Sse, None, config, now).unwrap();
        assert_eq!(
            drain(&mut sse, &feed, now),
            [
                "event: meta\nid: 0\nretry: 3000\ndata: {\"type\":\"position\",\"lastEventId\":\"0\"}\n\n"
            ]
        );
        let mut ws = Session::new(&feed, Format::WebSocket, None, config, now).unwrap();
        assert_eq!(
            drain(&mut ws, &feed, now),
            [r#"{"type":"meta","id":"0","data":{"type":"position","lastEventId":"0"}}"#]
        );
        // A resuming subscriber gets its id back without an event (clients that record the id
        // of every block keep it), then the retry field.
        let mut resumed = Session::new(&feed, Format::Sse, Some("0"), config, now).unwrap();
        assert_eq!(drain(&mut resumed, &feed, now), ["id: 0\nretry: 3000\n\n"]);
        let mut invalid = Session::new(&feed, Format::Sse, Some("a\nb"), config, now).unwrap();
        assert_eq!(drain(&mut invalid, &feed, now)[0], "retry: 3000\n\n");
    }

    #[test]
    fn the_start_position_resumes_while_the_window_holds_everything_since() {
        let now = Instant::now();
        let config = |limits| {
            FeedConfig::new(url::Url::parse("https://h.example/inbox").unwrap())
                .with_start_position(ItemId::new("0").unwrap())
                .with_limits(limits)
        };
        let mut feed = Feed::new(config(FeedLimits::default()));
        for id in 1..=3 {
            feed.append(entry(id)).unwrap();
        }
        let mut session =
            Session::new(&feed, Format::Sse, Some("0"), SessionConfig::default(), now).unwrap();
        let out = drain(&mut session, &feed, now);
        assert_eq!(out.len(), 4, "{out:?}");
        assert_eq!(out[0], "id: 0\n\n");
        for (line, id) in out[1..].iter().zip(1..) {
            assert!(
                line.starts_with(&format!("event: inbox\nid: {id}\n")),
                "{line}"
            );
        }
        assert_eq!(
            session.poll_event(),
            Some(SessionEvent::Resumed {
                from: ItemId::new("0").unwrap(),
                replayed: 3
            })
        );

        // Once the window dropped an entry, the start position is out of it: catch up.
        let mut feed = Feed::new(config(FeedLimits::default().with_max_items(2)));
        for id in 1..=3 {
            feed.append(entry(id)).unwrap();
        }
        let mut session =
            Session::new(&feed, Format::Sse, Some("0"), SessionConfig::default(), now).unwrap();
        let out = drain(&mut session, &feed, now);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            out[1].contains(r#""reason":"outOfWindow","minId":"0""#),
            "{out:?}"
        );
    }

    #[test]
    fn unknown_or_invalid_ids_give_a_catch_up_first() {
        let now = Instant::now();
        let mut feed = feed(FeedLimits::default());
        feed.append(entry(10)).unwrap();
        // A valid last id is repeated first (without an event); an invalid one is not.
        for (last, opening, expected) in [
            (
                "9",
                "id: 9\n\n",
                r#"{"type":"catchUp","reason":"outOfWindow","minId":"9","url":"https://h.example/inbox?min_id=9","until":"10"}"#,
            ),
            (
                "a\u{1}",
                "",
                r#"{"type":"catchUp","reason":"invalidId","url":"https://h.example/inbox","until":"10"}"#,
            ),
        ] {
            let mut session = Session::new(
                &feed,
                Format::Sse,
                Some(last),
                SessionConfig::default(),
                now,
            )
            .unwrap();
            assert_eq!(
                drain(&mut session, &feed, now).concat(),
                format!("{opening}event: meta\ndata: {expected}\n\n")
            );
            assert!(matches!(
                session.poll_event(),
                Some(SessionEvent::CatchUpRequired(_))
            ));
        }
    }

    #[test]
    fn slow_subscriber_is_cut_off_with_a_meta_event() {
        let now = Instant::now();
        let mut feed = feed(FeedLimits::default());
        let config = SessionConfig::default().with_max_queue(3, u64::MAX);
        let mut session = Session::new(&feed, Format::Sse, None, config, now).unwrap();
        feed.append(entry(1)).unwrap();
        assert_eq!(drain(&mut session, &feed, now).len(), 1);
        for id in 2..=5 {
            feed.append(entry(id)).unwrap();
        }
        let out = drain(&mut session, &feed, now);
        assert_eq!(
            out,
            [r#"event: meta
data: {"type":"catchUp","reason":"slowConsumer","minId":"1","url":"https://h.example/inbox?min_id=1"}

"#]
        );
        assert_eq!(
            session.poll_event(),
            Some(SessionEvent::CutOff {
                queued_items: 4,
                queued_bytes: 4 * r#"{"n":2}"#.len() as u64,
            })
        );
        assert!(session.is_closed());
        assert_eq!(session.poll_timeout(), None);
        feed.append(entry(6)).unwrap();
        assert_eq!(session.poll_transmit(now, &feed), None);
    }

    #[test]
    fn keep_alives_follow_silence_only() {
        let start = Instant::now();
        let feed = Feed::new(
            FeedConfig::new(url::Url::parse("https://h.example/inbox").unwrap())
                .with_formats(&Format::ALL),
        );
        let config = SessionConfig::default().with_keep_alive(Duration::from_secs(10));
        let mut sse = Session::new(&feed, Format::MastodonSse, None, config, start).unwrap();
        assert_eq!(drain(&mut sse, &feed, start), [":)\n"]);
        sse.handle_timeout(start + Duration::from_secs(9), &feed)
            .unwrap();
        assert!(!sse.has_pending(&feed));
        let at = sse.poll_timeout().unwrap();
        assert_eq!(at, start + Duration::from_secs(10));
        sse.handle_timeout(at, &feed).unwrap();
        sse.handle_timeout(at + Duration::from_secs(20), &feed)
            .unwrap();
        assert_eq!(drain(&mut sse, &feed, at), [":thump\n"]);

        let mut ws = Session::new(&feed, Format::WebSocket, None, config, start).unwrap();
        ws.handle_timeout(start + Duration::from_secs(10), &feed)
            .unwrap();
        assert_eq!(ws.poll_transmit(start, &feed), Some(Transmit::Ping));
    }

    #[test]
    fn mastodon_formats_send_only_what_mastodon_sends() {
        let now = Instant::now();
        let mut feed = Feed::new(
            FeedConfig::mastodon(
                url::Url::parse("https://h.example/api/v1/timelines/home").unwrap(),
                &["user"],
            )
            .with_limits(FeedLimits::default()),
        );
        let update = |id: &str| {
            let status = Json::from_bytes(format!(r#"{{"id":"{id}"}}"#)).unwrap();
            Entry::new(
                "update",
                Some(ItemId::new(id).unwrap()),
                super::super::Payload::Json(status),
            )
            .unwrap()
        };
        // The feed already holds items and a status when the subscribers arrive.
        feed.append(update("1")).unwrap();
        feed.append(update("2")).unwrap();
        let notice = Meta::Notice {
            message: "x".into(),
        };
        feed.publish_meta(&notice).unwrap();
        let config = SessionConfig::default();
        let mut sse = Session::new(&feed, Format::MastodonSse, None, config, now).unwrap();
        let mut ws = Session::new(&feed, Format::MastodonWebSocket, None, config, now).unwrap();
        // Resuming from an id no longer in the window: no catch-up instruction on the wire.
        let mut stale = Session::new(&feed, Format::MastodonSse, Some("0"), config, now).unwrap();
        feed.publish_meta(&notice).unwrap();
        feed.append(update("3")).unwrap();
        assert_eq!(
            drain(&mut sse, &feed, now),
            [":)\n", "event: update\nid: 3\ndata: {\"id\":\"3\"}\n\n"]
        );
        assert_eq!(
            drain(&mut ws, &feed, now),
            [r#"{"stream":["user"],"event":"update","payload":"{\"id\":\"3\"}"}"#]
        );
        assert_eq!(drain(&mut stale, &feed, now).len(), 2);
        assert!(matches!(
            stale.poll_event(),
            Some(SessionEvent::CatchUpRequired(_))
        ));
        sse.finish(Some(&notice));
        assert_eq!(drain(&mut sse, &feed, now), Vec::<String>::new());
        assert!(sse.is_closed());
    }

    #[test]
    fn finish_sends_the_last_status() {
        let now = Instant::now();
        let mut feed = feed(FeedLimits::default());
        let mut session = Session::new(
            &feed,
            Format::WebSocket,
            None,
            SessionConfig::default(),
            now,
        )
        .unwrap();
        feed.append(entry(1)).unwrap();
        session.finish(Some(&Meta::Restart {
            message: "bye".into(),
            in_seconds: Some(0),
        }));
        assert_eq!(
            drain(&mut session, &feed, now),
            [r#"{"type":"meta","data":{"type":"restart","message":"bye","inSeconds":0}}"#]
        );
        assert!(session.is_closed());
    }

    #[test]
    fn retry_preamble_for_c2s_sse() {
        let now = Instant::now();
        let feed = feed(FeedLimits::default());
        let config = SessionConfig::default().with_retry(Duration::from_millis(2500));
        let mut session = Session::new(&feed, Format::Sse, None, config, now).unwrap();
        assert_eq!(
            session.poll_transmit(now, &feed),
            Some(Transmit::Body(Bytes::from_static(b"retry: 2500\n\n")))
        );
        assert_eq!(
            Session::new(&feed, Format::MastodonWebSocket, None, config, now).unwrap_err(),
            SessionError::FormatNotServed {
                format: Format::MastodonWebSocket
            }
        );
    }
}
