//! The consumer side: a sans-IO [`Client`] for a C2S event stream that reconnects with backoff
//! honouring `retry:`, resumes with `Last-Event-ID` (only when it has one), drops replayed
//! items it already delivered, and surfaces the server's catch-up instruction.
//!
//! ```text
//!          ┌──────────────────────────── Client ─────────────────────────────┐
//!  host ◀──┤ poll_request: GET url, Accept: text/event-stream, Last-Event-ID? │
//!  host ──▶│ handle_response(status, headers) ─ 200 + text/event-stream: open │
//!  host ──▶│ handle_body(bytes) ─▶ sse::Decoder ─▶ Dedup ─▶ poll_event:       │
//!          │     Item(inbox/outbox) · CatchUp · Meta · Message · Duplicate    │
//!  host ──▶│ handle_end / idle timeout ─▶ Backoff(retry:, 2ⁿ, jitter) ─▶ wait │
//!  host ──▶│ handle_timeout(now) ◀── poll_timeout                             │
//!          └──────────────────────────────────────────────────────────────────┘
//! ```

mod backoff;
mod dedup;
#[cfg(feature = "reqwest")]
mod reqwest_stream;

use std::collections::VecDeque;
use web_time::{Duration, Instant};

use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use http::{Request, StatusCode, Uri};
use thiserror::Error;

pub use backoff::Backoff;
pub use dedup::Dedup;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use reqwest_stream::ReqwestStream;

use crate::c2s::item::{CatchUp, EventKind, IdError, ItemId, Json, JsonError, Meta, StreamEvent};
use crate::sse::{self, DecodeError, Decoder, Output};

/// How a [`Client`] connects and reconnects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The stream URL (the collection, requested with `Accept: text/event-stream`).
    pub url: Uri,
    /// Reconnection delay until the server sends `retry:`. Default: 3 s (what browsers use).
    pub default_retry: Duration,
    /// Cap of the exponential backoff (a larger server `retry:` still wins). Default: 60 s.
    pub max_backoff: Duration,
    /// Reconnect when nothing (not even a keep-alive) arrived for this long. Default: 45 s,
    /// three missed keep-alives of a server sending them every 15 s. `None` disables it.
    pub idle_timeout: Option<Duration>,
    /// Item ids remembered for de-duplication. Default: [`Dedup::DEFAULT_CAPACITY`].
    pub dedup_capacity: usize,
    /// SSE decoder limits. Default: [`sse::Limits::default`].
    pub limits: sse::Limits,
    /// The last item id from an earlier run (restored from storage), sent on the first
    /// connection. Default: none.
    pub last_event_id: Option<String>,
    /// The most events waiting for [`Client::poll_event`]. Once that many wait, the rest of
    /// what a body chunk carried stays decoded in the client and is handed out as events are
    /// polled; the `handle_*` inputs return [`UsageError::Backpressure`] until all of it has
    /// been polled. At least 2. Default: [`ClientConfig::DEFAULT_MAX_QUEUED_EVENTS`] (1024).
    pub max_queued_events: usize,
}

impl ClientConfig {
    /// Default for [`max_queued_events`](Self::max_queued_events).
    pub const DEFAULT_MAX_QUEUED_EVENTS: usize = 1024;

    /// Defaults for the stream at `url`.
    #[must_use]
    pub fn new(url: Uri) -> Self {
        Self {
            url,
            default_retry: Duration::from_secs(3),
            max_backoff: Duration::from_secs(60),
            idle_timeout: Some(Duration::from_secs(45)),
            dedup_capacity: Dedup::DEFAULT_CAPACITY,
            limits: sse::Limits::default(),
            last_event_id: None,
            max_queued_events: Self::DEFAULT_MAX_QUEUED_EVENTS,
        }
    }

    /// Sets [`max_queued_events`](Self::max_queued_events) (0 and 1 count as 2: one decoded
    /// event can report a malformed id and the item).
    #[must_use]
    pub fn with_max_queued_events(mut self, count: usize) -> Self {
        self.max_queued_events = count;
        self
    }

    /// Resumes after `id` on the first connection.
    #[must_use]
    pub fn with_last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = Some(id.into());
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`default_retry`](Self::default_retry) and [`max_backoff`](Self::max_backoff).
    #[must_use]
    pub fn with_backoff(mut self, default_retry: Duration, max_backoff: Duration) -> Self {
        self.default_retry = default_retry;
        self.max_backoff = max_backoff;
        self
    }
}

/// Why the client will reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReconnectCause {
    /// The response body ended or the connection broke ([`Client::handle_end`]).
    Ended,
    /// Nothing arrived for [`ClientConfig::idle_timeout`]: drop the connection.
    Idle,
    /// The server answered with a temporary failure (5xx, 408, 429).
    Status(StatusCode),
}

/// Why the client gave up for good (as `EventSource` does).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a status that will not improve by retrying.
    #[error("the server answered {status}; not retrying")]
    Status {
        /// The status.
        status: StatusCode,
    },
    /// A `200` response that is not `text/event-stream`.
    #[error("the server answered with Content-Type {content_type:?}, not text/event-stream")]
    ContentType {
        /// The content type received, if any.
        content_type: Option<String>,
    },
}

/// The host called a `handle_*` method that does not fit the client's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum UsageError {
    /// `handle_response` without a pending request from [`Client::poll_request`].
    #[error("no request is in flight; call poll_request and send it first")]
    NoRequest,
    /// `handle_body`/`handle_end` without an open stream.
    #[error("no stream is open; a 200 text/event-stream response must come first")]
    NotOpen,
    /// The client is closed ([`Client::close`], `204 No Content`, or it gave up with
    /// [`ClientEvent::Failed`]): it takes no more input.
    #[error("the client is closed; it takes no more input")]
    Closed,
    /// [`ClientConfig::max_queued_events`] events wait for [`Client::poll_event`], or more
    /// of the last body chunk is still to be handed out: drain `poll_event`, then call again.
    /// Nothing was consumed.
    #[error(
        "events wait for poll_event (ClientConfig::max_queued_events is {max}); drain them, then call again"
    )]
    Backpressure {
        /// The limit.
        max: usize,
    },
}

/// What a peer sent that the client could not turn into an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum MalformedEvent {
    /// An `inbox`/`outbox` event whose data is not a JSON object.
    #[error("{kind} event data is not a JSON object: {error}")]
    Data {
        /// The event kind.
        kind: EventKind,
        /// What was wrong.
        error: JsonError,
    },
    /// An `inbox`/`outbox` event without a usable id (none was ever sent, or it is not a valid
    /// item id); it is delivered, but cannot be de-duplicated or resumed from.
    #[error("{kind} event has no valid id: {error}")]
    Id {
        /// The event kind.
        kind: EventKind,
        /// What was wrong.
        error: IdError,
    },
}

/// What the [`Client`] reports, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A stream response arrived: events follow.
    Opened,
    /// A new `inbox`/`outbox` item (never one already delivered).
    Item(StreamEvent),
    /// Fetch missed items from [`CatchUp::url`]: the stream did not (and will not) deliver them.
    CatchUp(CatchUp),
    /// Another server status (the opening `position` is not reported: it only sets
    /// [`Client::last_event_id`]).
    Meta(Meta),
    /// An event of another type (e.g. the SWICG draft's unnamed `message` events with AS2
    /// `Add`/`Remove`/`Update`/`Delete` data).
    Message(sse::Event),
    /// A replayed item that was already delivered, dropped.
    Duplicate {
        /// Its id.
        id: ItemId,
    },
    /// An item the client could not read as one (delivered as [`ClientEvent::Item`] anyway when
    /// only the id is missing).
    Malformed(MalformedEvent),
    /// The peer exceeded the decoder's limits; the offending event was dropped.
    Limit(DecodeError),
    /// The connection is over; the client reconnects at `at` (see
    /// [`poll_timeout`](Client::poll_timeout)).
    Reconnecting {
        /// Why.
        cause: ReconnectCause,
        /// When the next request will be due.
        at: Instant,
    },
    /// The server answered `204 No Content`: stop, as the spec tells clients.
    Stopped,
    /// The client gave up.
    Failed(ClientError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A request is due; `sent` once [`Client::poll_request`] handed it out.
    Connecting {
        sent: bool,
    },
    Open {
        last_input: Instant,
    },
    Waiting {
        until: Instant,
    },
    Closed,
}

/// A sans-IO consumer of a C2S event stream.
///
/// # Use
/// 1. [`poll_request`](Self::poll_request): send the request it returns (add your
///    `Authorization`), then give the response head to
///    [`handle_response`](Self::handle_response) and every body chunk to
///    [`handle_body`](Self::handle_body); call [`handle_end`](Self::handle_end) when the body
///    ends or the connection breaks.
/// 2. After each `handle_*`, check [`poll_request`](Self::poll_request) (its transmit: a
///    reconnect may be due), drain [`poll_event`](Self::poll_event), then read
///    [`poll_timeout`](Self::poll_timeout).
/// 3. At the timeout, call [`handle_timeout`](Self::handle_timeout). If it reports
///    [`ReconnectCause::Idle`], drop the connection.
///
/// Once closed ([`close`](Self::close), `204`, or [`ClientEvent::Failed`]) every `handle_*`
/// returns [`UsageError::Closed`]. At most [`ClientConfig::max_queued_events`] events wait;
/// beyond them the inputs return [`UsageError::Backpressure`] without consuming anything.
///
/// # Guarantees
/// - `Last-Event-ID` is sent only when the client has a non-empty last id.
/// - An item id delivered once is not delivered again while remembered ([`Dedup`]).
/// - Delays start from the server's `retry:` and back off exponentially, jittered within
///   `[delay / 2, delay]` ([`Backoff`]) by a generator seeded at construction; a connection
///   that delivers anything resets the backoff. A `Retry-After` is a floor.
/// - `204` stops the client; `200` with another content type and 4xx statuses (except 408 and
///   429) make it give up; other failures reconnect.
///
/// Items are expected to carry their own `id:` (the proposal says so). SSE gives an item
/// without one the previous id, which the client then reports as a [`ClientEvent::Duplicate`].
///
/// ```
/// use std::time::Instant;
/// use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent};
///
/// let now = Instant::now();
/// let mut client = Client::new(ClientConfig::new("https://example.com/alice/inbox".parse()?), 7);
/// let request = client.poll_request(now).expect("first request");
/// assert_eq!(request.headers()["accept"], "text/event-stream");
/// assert!(request.headers().get("last-event-id").is_none());
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("content-type", "text/event-stream".parse()?);
/// client.handle_response(now, http::StatusCode::OK, &headers)?;
/// client.handle_body(now, b"event: inbox\nid: 5\ndata: {\"type\":\"Create\"}\n\n")?;
/// assert_eq!(client.poll_event(), Some(ClientEvent::Opened));
/// let Some(ClientEvent::Item(item)) = client.poll_event() else { panic!() };
/// assert_eq!(item.id().unwrap(), "5");
///
/// client.handle_end(now)?; // the connection dropped
/// let Some(ClientEvent::Reconnecting { at, .. }) = client.poll_event() else { panic!() };
/// client.handle_timeout(at)?;
/// let again = client.poll_request(at).expect("reconnect");
/// assert_eq!(again.headers()["last-event-id"], "5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: State,
    decoder: Decoder,
    backoff: Backoff,
    seen: Dedup,
    events: VecDeque<ClientEvent>,
    delivered_on_connection: bool,
    duplicates: u64,
}

impl Client {
    /// A client that connects at once; `seed` starts the SplitMix64 generator of the backoff
    /// jitter (take it from the host's entropy, so that clients dropped together spread out).
    #[must_use]
    pub fn new(config: ClientConfig, seed: u64) -> Self {
        let decoder = Decoder::new()
            .with_limits(config.limits)
            .with_comments(true)
            .with_last_event_id(config.last_event_id.as_deref().unwrap_or_default());
        Self {
            backoff: Backoff::new(config.default_retry, config.max_backoff, seed),
            seen: Dedup::new(config.dedup_capacity),
            config,
            state: State::Connecting { sent: false },
            decoder,
            events: VecDeque::new(),
            delivered_on_connection: false,
            duplicates: 0,
        }
    }

    /// The request to send, when one is due (once per connection attempt): `GET` the stream URL
    /// with `Accept: text/event-stream`, `Cache-Control: no-cache` and, if the client has a
    /// non-empty last id, `Last-Event-ID`.
    #[must_use]
    pub fn poll_request(&mut self, now: Instant) -> Option<Request<()>> {
        if let State::Waiting { until } = self.state
            && now >= until
        {
            self.state = State::Connecting { sent: false };
        }
        let State::Connecting { sent: false } = self.state else {
            return None;
        };
        self.state = State::Connecting { sent: true };
        let mut request = Request::new(());
        *request.uri_mut() = self.config.url.clone();
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let last = self.decoder.last_event_id();
        if !last.is_empty()
            && let Ok(value) =
                HeaderValue::from_str(last).or_else(|_| HeaderValue::from_bytes(last.as_bytes()))
        {
            headers.insert(crate::c2s::negotiate::LAST_EVENT_ID, value);
        }
        Some(request)
    }

    /// The response head of the request from [`poll_request`](Self::poll_request).
    ///
    /// # Errors
    /// [`UsageError::Closed`] once closed; [`UsageError::NoRequest`] if no request was
    /// handed out; [`UsageError::Backpressure`] while events of the last stream wait.
    pub fn handle_response(
        &mut self,
        now: Instant,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<(), UsageError> {
        self.check_closed()?;
        if self.state != (State::Connecting { sent: true }) {
            return Err(UsageError::NoRequest);
        }
        self.check_backlog()?;
        if status == StatusCode::NO_CONTENT {
            self.state = State::Closed;
            self.events.push_back(ClientEvent::Stopped);
        } else if status == StatusCode::OK {
            if is_event_stream(headers) {
                self.state = State::Open { last_input: now };
                self.delivered_on_connection = false;
                self.events.push_back(ClientEvent::Opened);
            } else {
                let content_type = headers
                    .get(CONTENT_TYPE)
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
                self.fail(ClientError::ContentType { content_type });
            }
        } else if status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
        {
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            self.wait(now, ReconnectCause::Status(status), retry_after);
        } else {
            self.fail(ClientError::Status { status });
        }
        Ok(())
    }

    /// A piece of the response body.
    ///
    /// # Errors
    /// [`UsageError::Closed`] once closed; [`UsageError::NotOpen`] if no stream is open;
    /// [`UsageError::Backpressure`] while events wait beyond
    /// [`ClientConfig::max_queued_events`] or the last chunk is not yet all handed out
    /// (nothing is consumed).
    pub fn handle_body(&mut self, now: Instant, bytes: &[u8]) -> Result<(), UsageError> {
        self.check_closed()?;
        if !self.is_open() {
            return Err(UsageError::NotOpen);
        }
        self.check_backlog()?;
        self.state = State::Open { last_input: now };
        self.decoder.feed(bytes);
        self.drain_decoder();
        Ok(())
    }

    /// The body ended or the connection broke: schedules a reconnect.
    ///
    /// # Errors
    /// [`UsageError::Closed`] once closed; [`UsageError::NotOpen`] if no stream is open;
    /// [`UsageError::Backpressure`] while events of this stream wait to be polled (drain
    /// them, then call again, so that the reconnect is reported after them).
    pub fn handle_end(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_closed()?;
        if !matches!(
            self.state,
            State::Open { .. } | State::Connecting { sent: true }
        ) {
            return Err(UsageError::NotOpen);
        }
        self.check_backlog()?;
        self.finish_stream();
        self.wait(now, ReconnectCause::Ended, None);
        Ok(())
    }

    /// Call at [`poll_timeout`](Self::poll_timeout) (spurious calls do nothing): makes a due
    /// reconnect available from [`poll_request`](Self::poll_request), or gives up on an idle
    /// connection ([`ReconnectCause::Idle`]: drop it). A stream whose events wait to be
    /// polled is not idle: nothing happens until they are.
    ///
    /// # Errors
    /// [`UsageError::Closed`] once closed.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_closed()?;
        match self.state {
            State::Waiting { until } if now >= until => {
                self.state = State::Connecting { sent: false };
            }
            State::Open { last_input }
                if self
                    .idle_deadline(last_input)
                    .is_some_and(|deadline| now >= deadline)
                    && self.check_backlog().is_ok() =>
            {
                self.finish_stream();
                self.wait(now, ReconnectCause::Idle, None);
            }
            _ => {}
        }
        Ok(())
    }

    /// When to call [`handle_timeout`](Self::handle_timeout): the reconnect time, or the idle
    /// deadline of an open stream.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Waiting { until } => Some(until),
            State::Open { last_input } => self.idle_deadline(last_input),
            State::Connecting { .. } | State::Closed => None,
        }
    }

    /// The next event. Hands out what the last body chunk carried beyond
    /// [`ClientConfig::max_queued_events`] as the queue drains.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        let event = self.events.pop_front();
        self.drain_decoder();
        event
    }

    /// Stops the client (the host closes the connection). Events already queued can still be
    /// polled; every `handle_*` returns [`UsageError::Closed`] from now on.
    pub fn close(&mut self) {
        self.state = State::Closed;
    }

    /// Records items the host fetched by other means (the catch-up URL), so that the stream
    /// does not deliver them again.
    pub fn note_delivered(&mut self, id: &ItemId) {
        self.seen.insert(id);
    }

    /// The last event id (what the next request sends as `Last-Event-ID`, if not empty).
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The current reconnection base delay (the server's latest `retry:`, or the default).
    #[must_use]
    pub fn retry(&self) -> Duration {
        self.backoff.base()
    }

    /// Replayed items dropped so far.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Whether the client stopped for good.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether a stream is open.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// When an open stream that last received something at `last_input` counts as idle
    /// (`None`: never).
    fn idle_deadline(&self, last_input: Instant) -> Option<Instant> {
        self.config
            .idle_timeout
            .and_then(|idle| last_input.checked_add(idle))
    }

    fn check_closed(&self) -> Result<(), UsageError> {
        if self.state == State::Closed {
            Err(UsageError::Closed)
        } else {
            Ok(())
        }
    }

    /// `Err(Backpressure)` while events wait at the bound or decoded outputs wait behind them.
    fn check_backlog(&self) -> Result<(), UsageError> {
        let max = self.max_queued_events();
        if self.events.len() >= max || self.decoder.pending() > 0 {
            Err(UsageError::Backpressure { max })
        } else {
            Ok(())
        }
    }

    fn max_queued_events(&self) -> usize {
        self.config.max_queued_events.max(2)
    }

    /// Ends the body of the current stream. Called with no backlog; ending a stream discards
    /// an unfinished block and dispatches nothing (WHATWG HTML, "event stream interpretation").
    fn finish_stream(&mut self) {
        self.decoder.finish();
        debug_assert_eq!(self.decoder.pending(), 0, "finishing dispatches nothing");
    }

    fn fail(&mut self, error: ClientError) {
        self.state = State::Closed;
        self.events.push_back(ClientEvent::Failed(error));
    }

    fn wait(&mut self, now: Instant, cause: ReconnectCause, at_least: Option<Duration>) {
        if self.delivered_on_connection {
            self.backoff.reset();
        }
        self.delivered_on_connection = false;
        let delay = self
            .backoff
            .next_delay()
            .max(at_least.unwrap_or_default())
            .min(Backoff::MAX_DELAY);
        let at = now.checked_add(delay).unwrap_or(now);
        self.state = State::Waiting { until: at };
        self.events
            .push_back(ClientEvent::Reconnecting { cause, at });
    }

    /// Moves decoded outputs into the event queue while it has room for two events (what one
    /// output adds at most: a malformed id and the item).
    fn drain_decoder(&mut self) {
        while self.events.len() + 2 <= self.max_queued_events()
            && let Some(output) = self.decoder.poll()
        {
            self.dispatch_output(output);
        }
    }

    fn dispatch_output(&mut self, output: Result<Output, DecodeError>) {
        match output {
            Ok(Output::Event(event)) => {
                self.delivered_on_connection = true;
                self.dispatch(event);
            }
            Ok(Output::Retry(retry)) => self.backoff.set_base(retry),
            Ok(Output::Comment(_)) => self.delivered_on_connection = true,
            Err(error) => self.events.push_back(ClientEvent::Limit(error)),
        }
    }

    fn dispatch(&mut self, event: sse::Event) {
        let kind = match EventKind::from_name(event.event_type()) {
            Some(EventKind::Meta) => {
                let event = match Meta::parse(event.data()) {
                    Ok(Meta::CatchUp(catch_up)) => ClientEvent::CatchUp(catch_up),
                    // The stream's opening position: its `id:` already set the last event id.
                    Ok(Meta::Position { .. }) => return,
                    Ok(meta) => ClientEvent::Meta(meta),
                    Err(error) => ClientEvent::Malformed(MalformedEvent::Data {
                        kind: EventKind::Meta,
                        error,
                    }),
                };
                self.events.push_back(event);
                return;
            }
            Some(kind) => kind,
            None => {
                self.events.push_back(ClientEvent::Message(event));
                return;
            }
        };
        let id = match ItemId::new(event.last_event_id()) {
            Ok(id) => Some(id),
            Err(error) => {
                self.events
                    .push_back(ClientEvent::Malformed(MalformedEvent::Id { kind, error }));
                None
            }
        };
        if let Some(id) = &id
            && !self.seen.insert(id)
        {
            self.duplicates += 1;
            self.events
                .push_back(ClientEvent::Duplicate { id: id.clone() });
            return;
        }
        match Json::from_bytes(event.into_data()) {
            Ok(data) => self
                .events
                .push_back(ClientEvent::Item(StreamEvent::from_parts(kind, id, data))),
            Err(error) => self
                .events
                .push_back(ClientEvent::Malformed(MalformedEvent::Data { kind, error })),
        }
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|value| {
        let essence = value
            .as_bytes()
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default();
        essence
            .trim_ascii()
            .eq_ignore_ascii_case(b"text/event-stream")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(client: &mut Client, now: Instant) {
        assert!(client.poll_request(now).is_some());
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Text/Event-Stream; charset=utf-8"),
        );
        client
            .handle_response(now, StatusCode::OK, &headers)
            .unwrap();
        assert_eq!(client.poll_event(), Some(ClientEvent::Opened));
    }

    fn client() -> Client {
        Client::new(
            ClientConfig::new(Uri::from_static("https://h.example/inbox")),
            1,
        )
    }

    #[test]
    fn retry_field_sets_the_reconnect_delay() {
        let now = Instant::now();
        let mut client = client();
        open(&mut client, now);
        client.handle_body(now, b"retry: 10000\n\n").unwrap();
        client.handle_end(now).unwrap();
        let Some(ClientEvent::Reconnecting { at, cause }) = client.poll_event() else {
            panic!()
        };
        assert_eq!(cause, ReconnectCause::Ended);
        assert!(at >= now + Duration::from_secs(5) && at <= now + Duration::from_secs(10));
        assert!(client.poll_request(at - Duration::from_millis(1)).is_none());
        assert!(client.poll_request(at).is_some());
    }

    #[test]
    fn absurd_retry_values_are_capped() {
        let now = Instant::now();
        let mut client = client();
        open(&mut client, now);
        client
            .handle_body(now, b"retry: 18446744073709551615\n\n")
            .unwrap();
        client.handle_end(now).unwrap();
        let Some(ClientEvent::Reconnecting { at, .. }) = client.poll_event() else {
            panic!()
        };
        assert!(at >= now + Backoff::MAX_DELAY / 2 && at <= now + Backoff::MAX_DELAY);
    }

    #[test]
    fn statuses() {
        let now = Instant::now();
        let cases = [
            (StatusCode::NO_CONTENT, Some(ClientEvent::Stopped), true),
            (
                StatusCode::NOT_FOUND,
                Some(ClientEvent::Failed(ClientError::Status {
                    status: StatusCode::NOT_FOUND,
                })),
                true,
            ),
            (
                StatusCode::OK,
                Some(ClientEvent::Failed(ClientError::ContentType {
                    content_type: None,
                })),
                true,
            ),
        ];
        for (status, expected, closed) in cases {
            let mut client = client();
            let _ = client.poll_request(now);
            client
                .handle_response(now, status, &HeaderMap::new())
                .unwrap();
            assert_eq!(client.poll_event(), expected);
            assert_eq!(client.is_closed(), closed);
        }
        let mut client = client();
        let _ = client.poll_request(now);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        client
            .handle_response(now, StatusCode::SERVICE_UNAVAILABLE, &headers)
            .unwrap();
        let Some(ClientEvent::Reconnecting { at, .. }) = client.poll_event() else {
            panic!()
        };
        assert!(at >= now + Duration::from_secs(120));
    }

    #[test]
    fn misuse_is_reported() {
        let now = Instant::now();
        let mut client = client();
        assert_eq!(
            client.handle_response(now, StatusCode::OK, &HeaderMap::new()),
            Err(UsageError::NoRequest)
        );
        assert_eq!(client.handle_body(now, b"x"), Err(UsageError::NotOpen));
    }

    #[test]
    fn idle_connections_are_dropped() {
        let now = Instant::now();
        let mut client = client();
        open(&mut client, now);
        let deadline = client.poll_timeout().unwrap();
        assert_eq!(deadline, now + Duration::from_secs(45));
        client
            .handle_body(deadline - Duration::from_secs(1), b":\n")
            .unwrap();
        client.handle_timeout(deadline).unwrap();
        assert_eq!(client.poll_event(), None);
        client
            .handle_timeout(deadline + Duration::from_secs(44))
            .unwrap();
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::Reconnecting {
                cause: ReconnectCause::Idle,
                ..
            })
        ));
    }

    #[test]
    fn other_event_types_and_malformed_items_are_surfaced() {
        let now = Instant::now();
        let mut client = client();
        open(&mut client, now);
        client
            .handle_body(
                now,
                b"data: {\"type\":\"Add\"}\n\nevent: inbox\nid: 1\ndata: [1]\n\nevent: outbox\ndata: {}\n\nevent: meta\ndata: nope\n\n",
            )
            .unwrap();
        let Some(ClientEvent::Message(message)) = client.poll_event() else {
            panic!()
        };
        assert_eq!(message.event_type(), "message");
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::Malformed(MalformedEvent::Data {
                kind: EventKind::Inbox,
                ..
            }))
        ));
        // The outbox item has no id line: SSE gives it the previous id, so it reads as a repeat.
        let Some(ClientEvent::Duplicate { id }) = client.poll_event() else {
            panic!()
        };
        assert_eq!(id, "1");
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::Malformed(MalformedEvent::Data {
                kind: EventKind::Meta,
                ..
            }))
        ));
    }
}
