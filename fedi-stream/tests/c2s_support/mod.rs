//! The two-peer harness of the C2S streaming tests: a streaming server (`Feed` + `Session`
//! behind content negotiation, with the host's collection store) and a `c2s::client::Client`,
//! joined by a byte pipe that can be cut at any byte, on a virtual clock.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent, ReconnectCause};
use fedi_stream::c2s::feed::{
    Feed, FeedConfig, FeedLimits, Format, Session, SessionConfig, SessionEvent, Transmit,
};
use fedi_stream::c2s::item::{CatchUp, CursorQuery, ItemId, Json, StreamEvent};
use fedi_stream::c2s::negotiate::{self, Negotiator, Representation};

pub const INBOX: &str = "https://example.social/users/alice/inbox";

/// The host's collection store: every item ever added, oldest first (what `?min_id=` pages
/// are served from).
#[derive(Default)]
pub struct Store {
    pub items: Vec<StreamEvent>,
}

impl Store {
    /// `GET inbox?min_id=N`: the items after `N`, oldest first (all of them: the test does not
    /// page).
    pub fn after(&self, min_id: Option<&str>) -> Vec<StreamEvent> {
        let start = match min_id {
            None => 0,
            Some(min_id) => self
                .items
                .iter()
                .position(|item| item.id().is_some_and(|id| id == min_id))
                .map_or(0, |index| index + 1),
        };
        self.items[start..].to_vec()
    }
}

pub fn activity(n: u32) -> Json {
    Json::from_bytes(format!(
        r#"{{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://example.social/activities/{n}","object":{{"type":"Note","content":"note {n}"}}}}"#
    ))
    .unwrap()
}

/// The server side, the client side, the pipe between them and a virtual clock.
pub struct Pair {
    pub now: Instant,
    pub store: Store,
    pub feed: Feed,
    pub session_config: SessionConfig,
    /// The open connection: the server's session and the bytes in flight to the client.
    pub connection: Option<(Session, VecDeque<u8>)>,
    pub client: Client,
    /// What the application saw.
    pub items: Vec<StreamEvent>,
    pub catch_ups: Vec<CatchUp>,
    pub duplicates: Vec<ItemId>,
    pub session_events: Vec<SessionEvent>,
    pub requests: Vec<http::Request<()>>,
    pub keep_alives: usize,
    pub next_id: u32,
}

impl Pair {
    /// A client that opens the stream without a last id (a new subscriber).
    pub fn new(limits: FeedLimits, session_config: SessionConfig) -> Self {
        Self::with_start(limits, session_config, None)
    }

    /// With `start`: the collection's newest id when the test begins, which the feed is
    /// seeded with and the client resumes from (as a client that loaded the collection first).
    pub fn with_start(
        limits: FeedLimits,
        session_config: SessionConfig,
        start: Option<&str>,
    ) -> Self {
        let mut config = ClientConfig::new(INBOX.parse().unwrap())
            .with_backoff(Duration::from_secs(3), Duration::from_secs(60));
        let mut feed_config = FeedConfig::new(INBOX.parse().unwrap()).with_limits(limits);
        if let Some(start) = start {
            config = config.with_last_event_id(start);
            feed_config = feed_config.with_start_position(ItemId::new(start).unwrap());
        }
        Self {
            now: Instant::now(),
            store: Store::default(),
            feed: Feed::new(feed_config),
            session_config,
            connection: None,
            client: Client::new(config, 0x5eed),
            items: Vec::new(),
            catch_ups: Vec::new(),
            duplicates: Vec::new(),
            session_events: Vec::new(),
            requests: Vec::new(),
            keep_alives: 0,
            next_id: 0,
        }
    }

    /// The host adds an activity to alice's inbox: stored, then appended to the live feed.
    pub fn post(&mut self, count: u32) {
        for _ in 0..count {
            self.next_id += 1;
            let event = StreamEvent::inbox(
                ItemId::new(&self.next_id.to_string()).unwrap(),
                activity(self.next_id),
            );
            self.store.items.push(event.clone());
            self.feed.append(event).unwrap();
        }
    }

    /// If the client wants to connect: the server negotiates the request, resumes after its
    /// `Last-Event-ID`, and answers with the stream's headers.
    pub fn connect_if_due(&mut self) {
        let Some(request) = self.client.poll_request(self.now) else {
            return;
        };
        let representation = Negotiator::collection().negotiate(&request).unwrap();
        assert_eq!(representation, Representation::EventStream);
        let session = Session::new(
            &self.feed,
            Format::Sse,
            negotiate::resume_id(&request).as_deref(),
            self.session_config,
            self.now,
        )
        .unwrap();
        self.requests.push(request);
        let headers = representation.response_headers();
        self.client
            .handle_response(self.now, http::StatusCode::OK, &headers)
            .unwrap();
        self.connection = Some((session, VecDeque::new()));
        self.drain_client();
    }

    /// The server writes everything it has into the pipe.
    pub fn server_writes(&mut self) {
        if let Some((session, pipe)) = &mut self.connection {
            while let Some(transmit) = session.poll_transmit(self.now, &self.feed) {
                let Transmit::Body(bytes) = transmit else {
                    panic!("SSE sessions send body bytes")
                };
                pipe.extend(&bytes[..]);
            }
            while let Some(event) = session.poll_event() {
                self.session_events.push(event);
            }
        }
    }

    /// Delivers up to `limit` bytes of the pipe to the client, in 7-byte pieces.
    pub fn deliver(&mut self, limit: usize) {
        let Some((_, pipe)) = &mut self.connection else {
            return;
        };
        let bytes: Vec<u8> = pipe.drain(..limit.min(pipe.len())).collect();
        for chunk in bytes.chunks(7) {
            self.client.handle_body(self.now, chunk).unwrap();
        }
        self.drain_client();
    }

    /// Server writes and everything is delivered.
    pub fn flow(&mut self) {
        self.connect_if_due();
        self.server_writes();
        self.deliver(usize::MAX);
    }

    /// The connection breaks: bytes in flight are lost.
    pub fn cut(&mut self) {
        if self.connection.take().is_some() {
            self.client.handle_end(self.now).unwrap();
            self.drain_client();
        }
    }

    /// If the server's session has ended (cut off) and its last bytes were delivered, the
    /// server ends the response.
    pub fn close_if_ended(&mut self) {
        if let Some((session, pipe)) = &self.connection
            && session.is_closed()
            && pipe.is_empty()
        {
            self.cut();
        }
    }

    /// The server ends the response (after a cut-off), bytes in flight delivered first.
    pub fn server_closes(&mut self) {
        self.deliver(usize::MAX);
        self.cut();
    }

    /// The earliest timer of either side.
    pub fn next_timer(&self) -> Option<Instant> {
        [
            self.client.poll_timeout(),
            self.connection
                .as_ref()
                .and_then(|(session, _)| session.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Moves the virtual clock to the next timer of either side and fires it.
    pub fn advance_to_next_timer(&mut self) {
        let next = self.next_timer().expect("a timer is armed");
        assert!(next >= self.now, "timers never go back");
        self.now = next;
        if let Some((session, _)) = &mut self.connection
            && !session.is_closed()
        {
            session.handle_timeout(self.now, &self.feed).expect("open");
        }
        if !self.client.is_closed() {
            self.client.handle_timeout(self.now).expect("open");
        }
        self.drain_client();
    }

    pub fn drain_client(&mut self) {
        while let Some(event) = self.client.poll_event() {
            match event {
                ClientEvent::Item(item) => self.items.push(item),
                ClientEvent::CatchUp(catch_up) => self.catch_ups.push(catch_up),
                ClientEvent::Duplicate { id } => self.duplicates.push(id),
                ClientEvent::Reconnecting {
                    cause: ReconnectCause::Idle,
                    ..
                } => {
                    // The client gave up on a silent connection: the host drops it.
                    self.connection = None;
                }
                ClientEvent::Opened | ClientEvent::Reconnecting { .. } => {}
                other => panic!("unexpected client event {other:?}"),
            }
        }
    }

    /// The application follows a catch-up instruction: `GET` its URL from the store and
    /// records the items (de-duplicated against the stream).
    pub fn follow_catch_up(&mut self, catch_up: &CatchUp) {
        let url = catch_up.parsed_url().unwrap();
        assert_eq!(url.path(), "/users/alice/inbox");
        let min_id = CursorQuery::parse(url.query().unwrap_or_default()).min_id;
        for item in self.store.after(min_id.as_deref()) {
            let id = item.id().unwrap().clone();
            if !self.items.iter().any(|seen| seen.id() == Some(&id)) {
                self.client.note_delivered(&id);
                self.items.push(item);
            }
        }
    }

    pub fn ids(&self) -> Vec<u32> {
        self.items
            .iter()
            .map(|item| item.id().unwrap().as_str().parse().unwrap())
            .collect()
    }

    /// The byte length of the SSE frame of item `n` (from the spec's field layout).
    pub fn frame_len(n: u32) -> usize {
        format!("event: inbox\nid: {n}\ndata: {}\n\n", activity(n)).len()
    }
}
