//! The WebSocket C2S endpoint with both peers in memory and a virtual clock: request
//! correlation (outbox with delivery status, proxy, store, fetch), errors, timeouts, limits,
//! inbox pushes with resume, and the slow-consumer cut-off.

use std::time::{Duration, Instant};

use bytes::Bytes;
use fedi_stream::c2s::feed::{Feed, FeedConfig, FeedLimits, SessionConfig, SessionEvent};
use fedi_stream::c2s::item::{CatchUpReason, ItemId, Json, StreamEvent};
use fedi_stream::c2s::socket::{
    Blob, ClientConnection, ClientConnectionEvent, ClientMessage, CloseCode, DeliveryStatus,
    EnvelopeError, Fetched, Incoming, InputError, Outgoing, RequestError, ResponseError,
    ServerConnection, ServerConnectionEvent, ServerMessage, SocketLimits,
};

struct Pair {
    now: Instant,
    feed: Feed,
    server: ServerConnection,
    client: ClientConnection,
    server_events: Vec<ServerConnectionEvent>,
    client_events: Vec<ClientConnectionEvent>,
    closes: Vec<(CloseCode, String)>,
    pings: usize,
}

impl Pair {
    fn new(limits: SocketLimits, session: SessionConfig, feed_limits: FeedLimits) -> Self {
        let now = Instant::now();
        let feed = Feed::new(
            FeedConfig::new("https://example.social/users/alice/inbox".parse().unwrap())
                .with_limits(feed_limits),
        );
        let server = ServerConnection::new(&feed, None, session, limits, now).unwrap();
        Self {
            now,
            feed,
            server,
            client: ClientConnection::new(limits),
            server_events: Vec::new(),
            client_events: Vec::new(),
            closes: Vec::new(),
            pings: 0,
        }
    }

    fn defaults() -> Self {
        Self::new(
            SocketLimits::default(),
            SessionConfig::default(),
            FeedLimits::default(),
        )
    }

    /// Moves every frame across until both sides are quiet.
    fn exchange(&mut self) {
        loop {
            let mut moved = false;
            while let Some(frame) = self.client.poll_transmit() {
                moved = true;
                self.server
                    .handle_message(frame.as_message().expect("data frame"))
                    .unwrap();
            }
            while let Some(frame) = self.server.poll_transmit(self.now, &self.feed) {
                moved = true;
                match &frame {
                    Outgoing::Ping => self.pings += 1,
                    Outgoing::Close { code, reason } => self.closes.push((*code, reason.clone())),
                    data => self
                        .client
                        .handle_message(data.as_message().expect("data frame"))
                        .expect("the client is open"),
                }
            }
            while let Some(event) = self.server.poll_event() {
                self.server_events.push(event);
            }
            while let Some(event) = self.client.poll_event() {
                self.client_events.push(event);
            }
            if !moved {
                break;
            }
        }
    }

    fn take_request(&mut self) -> ClientMessage {
        let index = self
            .server_events
            .iter()
            .position(|event| matches!(event, ServerConnectionEvent::Request(_)))
            .expect("a request arrived");
        let ServerConnectionEvent::Request(request) = self.server_events.remove(index) else {
            unreachable!()
        };
        request
    }

    fn post(&mut self, from: u32, to: u32) {
        for n in from..=to {
            let data = Json::from_bytes(format!(r#"{{"type":"Create","n":{n}}}"#)).unwrap();
            self.feed
                .append(StreamEvent::inbox(
                    ItemId::new(&n.to_string()).unwrap(),
                    data,
                ))
                .unwrap();
        }
    }

    fn item_ids(&self) -> Vec<u32> {
        self.client_events
            .iter()
            .filter_map(|event| match event {
                ClientConnectionEvent::Item(item) => {
                    Some(item.id().unwrap().as_str().parse().unwrap())
                }
                _ => None,
            })
            .collect()
    }
}

fn json(text: &str) -> Json {
    Json::from_bytes(text.to_owned()).unwrap()
}

#[test]
fn outbox_post_with_ids_delivery_status_and_done() {
    let mut pair = Pair::defaults();
    let request = pair
        .client
        .outbox(pair.now, json(r#"{"type":"Note","content":"hi"}"#))
        .unwrap();
    pair.exchange();
    let ClientMessage::Outbox {
        request: received,
        activity,
    } = pair.take_request()
    else {
        panic!("an outbox request")
    };
    assert_eq!(received, request);
    assert_eq!(activity.as_str(), r#"{"type":"Note","content":"hi"}"#);

    assert!(matches!(
        pair.server.delivery(
            &request,
            "https://r.example/inbox",
            DeliveryStatus::Delivered,
            None
        ),
        Err(ResponseError::WrongAnswer {
            state: "pending",
            ..
        })
    ));
    pair.server
        .accept(
            &request,
            "https://example.social/activities/1",
            Some("https://example.social/notes/1"),
        )
        .unwrap();
    pair.server
        .delivery(
            &request,
            "https://a.example/inbox",
            DeliveryStatus::Delivered,
            None,
        )
        .unwrap();
    pair.server
        .delivery(
            &request,
            "https://b.example/inbox",
            DeliveryStatus::Retrying,
            Some("503 Service Unavailable"),
        )
        .unwrap();
    pair.exchange();
    assert_eq!(pair.client.in_flight(), 1, "in flight until done");
    // Delivery may take days: an accepted post does not time out.
    pair.now += Duration::from_secs(3600);
    pair.client.handle_timeout(pair.now).unwrap();
    pair.server
        .delivery(
            &request,
            "https://b.example/inbox",
            DeliveryStatus::Failed,
            Some("gave up"),
        )
        .unwrap();
    pair.server.done(&request, 1, 1).unwrap();
    pair.exchange();

    assert_eq!(
        pair.client_events,
        [
            ClientConnectionEvent::Answer(ServerMessage::Accepted {
                request: request.clone(),
                activity: "https://example.social/activities/1".into(),
                object: Some("https://example.social/notes/1".into()),
            }),
            ClientConnectionEvent::Answer(ServerMessage::Delivery {
                request: request.clone(),
                recipient: "https://a.example/inbox".into(),
                status: DeliveryStatus::Delivered,
                detail: None,
            }),
            ClientConnectionEvent::Answer(ServerMessage::Delivery {
                request: request.clone(),
                recipient: "https://b.example/inbox".into(),
                status: DeliveryStatus::Retrying,
                detail: Some("503 Service Unavailable".into()),
            }),
            ClientConnectionEvent::Answer(ServerMessage::Delivery {
                request: request.clone(),
                recipient: "https://b.example/inbox".into(),
                status: DeliveryStatus::Failed,
                detail: Some("gave up".into()),
            }),
            ClientConnectionEvent::Answer(ServerMessage::Done {
                request: request.clone(),
                delivered: 1,
                failed: 1,
            }),
        ]
    );
    assert_eq!((pair.client.in_flight(), pair.server.in_flight()), (0, 0));
    assert_eq!(
        pair.server.done(&request, 0, 0),
        Err(ResponseError::UnknownRequest { id: "1".into() })
    );
}

#[test]
fn proxy_store_fetch_and_fail_are_correlated() {
    let mut pair = Pair::defaults();
    let proxy = pair
        .client
        .proxy(pair.now, "https://remote.example/notes/9")
        .unwrap();
    let store = pair
        .client
        .store(
            pair.now,
            "image/png",
            Bytes::from_static(b"\x89PNG\r\n\x1a\n\0\0"),
        )
        .unwrap();
    let fetch = pair
        .client
        .fetch(pair.now, "https://remote.example/media/cat.png")
        .unwrap();
    let missing = pair
        .client
        .fetch(pair.now, "https://remote.example/gone")
        .unwrap();
    pair.exchange();
    let requests: Vec<ClientMessage> = (0..4).map(|_| pair.take_request()).collect();
    assert!(
        matches!(&requests[1], ClientMessage::Store { blob: Blob { media_type, bytes }, .. }
        if media_type == "image/png" && bytes.len() == 10)
    );

    assert!(matches!(
        pair.server.stored(&proxy, "x"),
        Err(ResponseError::WrongAnswer {
            answer: "stored",
            request: "proxy",
            ..
        })
    ));
    // Answers may come in any order.
    pair.server
        .fetched(
            &fetch,
            Fetched::Blob(Blob {
                media_type: "image/png".into(),
                bytes: Bytes::from_static(b"meow"),
            }),
        )
        .unwrap();
    pair.server
        .stored(&store, "https://example.social/blobs/1")
        .unwrap();
    pair.server
        .proxied(
            &proxy,
            json(r#"{"id":"https://remote.example/notes/9","type":"Note"}"#),
        )
        .unwrap();
    pair.server.fail(&missing, 404, "Not Found").unwrap();
    pair.exchange();

    assert_eq!(
        pair.client_events,
        [
            ClientConnectionEvent::Answer(ServerMessage::Fetched {
                request: fetch,
                body: Fetched::Blob(Blob {
                    media_type: "image/png".into(),
                    bytes: Bytes::from_static(b"meow"),
                }),
            }),
            ClientConnectionEvent::Answer(ServerMessage::Stored {
                request: store,
                url: "https://example.social/blobs/1".into(),
            }),
            ClientConnectionEvent::Answer(ServerMessage::Proxied {
                request: proxy,
                object: json(r#"{"id":"https://remote.example/notes/9","type":"Note"}"#),
            }),
            ClientConnectionEvent::Answer(ServerMessage::Error {
                request: Some(missing),
                status: 404,
                message: "Not Found".into(),
            }),
        ]
    );
}

#[test]
fn unanswered_requests_time_out_on_the_virtual_clock() {
    let limits = SocketLimits::default().with_request_timeout(Duration::from_secs(10));
    let mut pair = Pair::new(limits, SessionConfig::default(), FeedLimits::default());
    let start = pair.now;
    let first = pair
        .client
        .proxy(pair.now, "https://remote.example/a")
        .unwrap();
    pair.now += Duration::from_secs(4);
    let second = pair
        .client
        .fetch(pair.now, "https://remote.example/b")
        .unwrap();
    pair.exchange();
    assert_eq!(
        pair.client.poll_timeout(),
        Some(start + Duration::from_secs(10))
    );
    pair.now = start + Duration::from_secs(10);
    pair.client.handle_timeout(pair.now).unwrap();
    pair.exchange();
    assert_eq!(
        pair.client_events,
        [ClientConnectionEvent::TimedOut {
            request: first.clone()
        }]
    );
    // A late answer is reported as such, not matched to anything.
    pair.server.proxied(&first, json("{}")).unwrap();
    pair.exchange();
    assert!(matches!(
        pair.client_events[1],
        ClientConnectionEvent::Malformed(EnvelopeError::InvalidData {
            kind: "proxied",
            ..
        })
    ));
    pair.now = start + Duration::from_secs(14);
    pair.client.handle_timeout(pair.now).unwrap();
    pair.exchange();
    assert_eq!(
        pair.client_events[2],
        ClientConnectionEvent::TimedOut { request: second }
    );
    assert_eq!(pair.client.poll_timeout(), None);
}

#[test]
fn peer_misbehaviour_is_answered_with_errors() {
    let limits = SocketLimits::default().with_max_in_flight(2);
    let mut pair = Pair::new(limits, SessionConfig::default(), FeedLimits::default());
    pair.server
        .handle_message(Incoming::Text("not json"))
        .unwrap();
    pair.server
        .handle_message(Incoming::Text(r#"{"type":"launch","id":"x"}"#))
        .unwrap();
    pair.server
        .handle_message(Incoming::Text(
            r#"{"type":"fetch","id":"a","data":"https://r.example/1"}"#,
        ))
        .unwrap();
    pair.server
        .handle_message(Incoming::Text(
            r#"{"type":"fetch","id":"a","data":"https://r.example/2"}"#,
        ))
        .unwrap();
    pair.server
        .handle_message(Incoming::Text(
            r#"{"type":"fetch","id":"b","data":"https://r.example/3"}"#,
        ))
        .unwrap();
    pair.server
        .handle_message(Incoming::Text(
            r#"{"type":"fetch","id":"c","data":"https://r.example/4"}"#,
        ))
        .unwrap();
    pair.server
        .handle_message(Incoming::Binary(b"\0\0\0"))
        .unwrap();
    let mut statuses = Vec::new();
    while let Some(frame) = pair.server.poll_transmit(pair.now, &pair.feed) {
        let text = std::str::from_utf8(frame.bytes().unwrap())
            .unwrap()
            .to_owned();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "error");
        statuses.push((
            value["id"].as_str().map(str::to_owned),
            value["data"]["status"].as_u64().unwrap(),
        ));
    }
    assert_eq!(
        statuses,
        [
            (None, 400),
            (Some("x".into()), 400),
            (None, 409),
            (Some("c".into()), 429),
            (None, 400),
        ]
    );
    let refused: Vec<_> = std::iter::from_fn(|| pair.server.poll_event())
        .filter(|event| matches!(event, ServerConnectionEvent::Refused { .. }))
        .collect();
    assert_eq!(refused.len(), 5);
    assert_eq!(pair.server.in_flight(), 2);
}

#[test]
fn oversized_messages_close_with_1009() {
    let limits = SocketLimits::default().with_max_blob(64);
    let mut pair = Pair::new(limits, SessionConfig::default(), FeedLimits::default());
    assert!(matches!(
        pair.client
            .store(pair.now, "a/b", Bytes::from(vec![0; 100])),
        Err(RequestError::TooLarge {
            limit: "max_binary_message",
            ..
        })
    ));
    pair.server
        .handle_message(Incoming::Binary(&[0; 100]))
        .unwrap();
    pair.exchange();
    assert_eq!(
        pair.closes,
        [(CloseCode::MESSAGE_TOO_BIG, "message too big".to_owned())]
    );
    assert!(pair.server.is_closed());
    assert_eq!(
        pair.server.handle_message(Incoming::Text(
            r#"{"type":"fetch","id":"z","data":"https://r.example/"}"#,
        )),
        Err(InputError::Closed)
    );
    assert!(pair.server.poll_transmit(pair.now, &pair.feed).is_none());
}

#[test]
fn client_side_limits() {
    let limits = SocketLimits::default()
        .with_max_in_flight(1)
        .with_max_queued_bytes(200);
    let mut client = ClientConnection::new(limits);
    let now = Instant::now();
    client.proxy(now, "https://r.example/1").unwrap();
    assert_eq!(
        client.proxy(now, "https://r.example/2"),
        Err(RequestError::TooManyInFlight { max: 1 })
    );
    let mut roomy = ClientConnection::new(SocketLimits::default().with_max_queued_bytes(200));
    roomy
        .proxy(now, &format!("https://r.example/{}", "x".repeat(100)))
        .unwrap();
    assert_eq!(
        roomy.proxy(now, &format!("https://r.example/{}", "y".repeat(100))),
        Err(RequestError::QueueFull { max: 200 })
    );
    assert!(roomy.poll_transmit().is_some());
    assert!(roomy.proxy(now, "https://r.example/3").is_ok());
    assert!(matches!(
        roomy.store(now, "", Bytes::new()),
        Err(RequestError::InvalidMediaType(_))
    ));
}

#[test]
fn pushed_items_resume_after_a_reconnect_without_repeats() {
    let mut pair = Pair::defaults();
    pair.post(1, 5);
    pair.exchange();
    assert_eq!(pair.item_ids(), [1, 2, 3, 4, 5]);

    // The connection drops; 6..=9 are posted meanwhile.
    let resume = std::mem::replace(
        &mut pair.client,
        ClientConnection::new(SocketLimits::default()),
    )
    .into_resume();
    assert_eq!(resume.1.as_ref().unwrap(), "5");
    pair.post(6, 9);
    // The browser reconnects with ?last_event_id=4 (it had not yet stored 5): the server
    // replays 5..=9 and the client drops 5.
    pair.client = ClientConnection::new(SocketLimits::default()).resuming(resume);
    pair.server = ServerConnection::new(
        &pair.feed,
        Some("4"),
        SessionConfig::default(),
        SocketLimits::default(),
        pair.now,
    )
    .unwrap();
    pair.exchange();
    assert_eq!(pair.item_ids(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert!(
        pair.client_events
            .contains(&ClientConnectionEvent::Duplicate {
                id: ItemId::new("5").unwrap()
            })
    );
    assert!(
        pair.server_events
            .contains(&ServerConnectionEvent::Stream(SessionEvent::Resumed {
                from: ItemId::new("4").unwrap(),
                replayed: 5
            }))
    );
}

#[test]
fn keep_alive_pings_and_slow_consumer_close() {
    let session = SessionConfig::default().with_max_queue(10, u64::MAX);
    let mut pair = Pair::new(SocketLimits::default(), session, FeedLimits::default());
    let wake = pair.server.poll_timeout().unwrap();
    assert_eq!(wake, pair.now + Duration::from_secs(15));
    pair.now = wake;
    pair.server.handle_timeout(pair.now, &pair.feed).unwrap();
    pair.exchange();
    assert_eq!(pair.pings, 1);

    pair.post(1, 2);
    pair.exchange();
    pair.post(3, 50); // the client's socket is stuck: nothing is polled
    pair.now += Duration::from_secs(15);
    pair.server.handle_timeout(pair.now, &pair.feed).unwrap();
    pair.exchange();
    assert_eq!(pair.item_ids(), [1, 2]);
    let catch_up = pair
        .client_events
        .iter()
        .find_map(|event| match event {
            ClientConnectionEvent::CatchUp(catch_up) => Some(catch_up),
            _ => None,
        })
        .expect("a catch-up instruction");
    assert_eq!(catch_up.reason, CatchUpReason::SlowConsumer);
    assert_eq!(catch_up.min_id.as_ref().unwrap(), "2");
    assert_eq!(
        pair.closes,
        [(
            CloseCode::TRY_AGAIN_LATER,
            "slow consumer: reconnect and catch up".to_owned()
        )]
    );
    assert!(pair.server_events.iter().any(|event| matches!(
        event,
        ServerConnectionEvent::Stream(SessionEvent::CutOff {
            queued_items: 48,
            ..
        })
    )));
}

#[test]
fn a_new_connection_learns_the_position_and_resumes_from_it() {
    let mut pair = Pair::defaults();
    pair.post(1, 3);
    // A fresh connection (no last id) on a feed that already has items.
    pair.server = ServerConnection::new(
        &pair.feed,
        None,
        SessionConfig::default(),
        SocketLimits::default(),
        pair.now,
    )
    .unwrap();
    pair.exchange();
    assert_eq!(pair.item_ids(), Vec::<u32>::new(), "history is not pushed");
    assert_eq!(
        pair.client.last_id().unwrap(),
        "3",
        "the position meta message"
    );
    assert!(pair.client_events.is_empty());

    // It drops before any item; 4 and 5 arrive; it resumes from the position.
    let resume = std::mem::replace(
        &mut pair.client,
        ClientConnection::new(SocketLimits::default()),
    )
    .into_resume();
    pair.post(4, 5);
    let last = resume.1.clone().unwrap();
    pair.client = ClientConnection::new(SocketLimits::default()).resuming(resume);
    pair.server = ServerConnection::new(
        &pair.feed,
        Some(last.as_str()),
        SessionConfig::default(),
        SocketLimits::default(),
        pair.now,
    )
    .unwrap();
    pair.exchange();
    assert_eq!(pair.item_ids(), [4, 5]);
}
