//! The C2S machines against the crate family's sans-IO contract: driven to closed by varied
//! inputs, every later input is refused with `Closed`; every event queue fills to its bound,
//! refuses more with `Backpressure`, and hands everything out in order once drained.

use std::time::{Duration, Instant};

use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent, UsageError};
use fedi_stream::c2s::feed::{
    Feed, FeedConfig, Format, Session, SessionConfig, SessionError, Transmit,
};
use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
use fedi_stream::c2s::socket::{
    ClientConnection, ClientConnectionEvent, ClientMessage, CloseCode, CloseFrame, Incoming,
    InputError, Outgoing, RequestError, ServerConnection, ServerConnectionEvent, SocketLimits,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;

fn feed() -> Feed {
    Feed::new(FeedConfig::new(
        "https://example.social/users/alice/inbox".parse().unwrap(),
    ))
}

fn append(feed: &mut Feed, id: u32) {
    let id = ItemId::new(&id.to_string()).unwrap();
    feed.append(StreamEvent::inbox(
        id,
        Json::from_bytes(r#"{"type":"Create"}"#).unwrap(),
    ))
    .unwrap();
}

fn fetch(id: &str) -> String {
    format!(r#"{{"type":"fetch","id":"{id}","data":"https://r.example/{id}"}}"#)
}

fn inbox_item(id: u32) -> String {
    format!(r#"{{"type":"inbox","id":"{id}","data":{{"type":"Create"}}}}"#)
}

/// A message a peer might send: JSON envelopes valid or not, or any bytes.
fn message() -> impl Strategy<Value = (bool, Vec<u8>)> {
    prop_oneof![
        (0..40u32).prop_map(|i| (true, fetch(&format!("r{i}")).into_bytes())),
        (0..40u32).prop_map(|i| (true, inbox_item(i).into_bytes())),
        any::<String>().prop_map(|s| (true, s.into_bytes())),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| (false, b)),
    ]
}

fn incoming((text, bytes): &(bool, Vec<u8>)) -> Incoming<'_> {
    match std::str::from_utf8(bytes) {
        Ok(text_message) if *text => Incoming::Text(text_message),
        _ => Incoming::Binary(bytes),
    }
}

/// A later input to a socket connection: a message, the peer's Close, the end of the
/// transport, or a timer.
fn later_input() -> impl Strategy<Value = (u8, (bool, Vec<u8>))> {
    (0..4u8, message())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_closed_server_connection_refuses_all_input(
        before in proptest::collection::vec(message(), 0..6),
        closer in 0..4u8,
        later in proptest::collection::vec(later_input(), 1..8),
        drain_between: bool,
    ) {
        let mut feed = feed();
        let now = Instant::now();
        let limits = SocketLimits::default().with_max_blob(64);
        let mut server =
            ServerConnection::new(&feed, None, SessionConfig::default(), limits, now).unwrap();
        // A message may close the connection itself (a binary header announcing more than
        // `max_binary_header` closes with 1009): then it refuses the rest, and the closer.
        let mut closing = false;
        for message in &before {
            match server.handle_message(incoming(message)) {
                Ok(()) => {}
                Err(InputError::Closed) => closing = true,
                Err(error) => panic!("{error}"),
            }
            if drain_between {
                while server.poll_transmit(now, &feed).is_some() {}
            }
            while let Some(event) = server.poll_event() {
                if let ServerConnectionEvent::Refused { error, .. } = event {
                    closing |= error.close_code().is_some();
                }
            }
        }
        let mut sent = Vec::new();
        if closing || server.is_closed() {
            closing = true;
        } else {
            append(&mut feed, 1);
            match closer {
                0 => server.close(CloseCode::GOING_AWAY, "restart", None),
                1 => server
                    .handle_close(Some(CloseFrame::new(CloseCode::NORMAL, "bye")))
                    .unwrap(),
                2 => server.handle_end().unwrap(),
                // A message beyond the size limits: the connection closes with 1009.
                _ => server.handle_message(Incoming::Binary(&[0; 65])).unwrap(),
            }
        }
        sent.extend(std::iter::from_fn(|| server.poll_transmit(now, &feed)));
        match closer {
            _ if closing => {}
            0 | 3 => {
                let closes = matches!(sent.last(), Some(Outgoing::Close { .. }));
                prop_assert!(closes, "ends with a Close: {:?}", sent);
            }
            _ => prop_assert!(sent.is_empty(), "nothing after the peer's Close: {sent:?}"),
        }
        prop_assert!(server.is_closed());
        prop_assert_eq!(server.poll_timeout(), None);
        for (kind, message) in &later {
            let refused = match kind {
                0 => server.handle_message(incoming(message)),
                1 => server.handle_close(None),
                2 => server.handle_end(),
                _ => server.handle_timeout(now + Duration::from_secs(60), &feed),
            };
            prop_assert_eq!(refused, Err(InputError::Closed));
        }
        prop_assert_eq!(server.poll_transmit(now, &feed), None);
    }

    #[test]
    fn a_closed_client_connection_refuses_all_input(
        before in proptest::collection::vec(message(), 0..6),
        requests in 0..4usize,
        closer in 0..3u8,
        later in proptest::collection::vec(later_input(), 1..8),
    ) {
        let now = Instant::now();
        let mut client = ClientConnection::new(SocketLimits::default());
        for i in 0..requests {
            client.proxy(now, &format!("https://r.example/{i}")).unwrap();
        }
        for message in &before {
            client.handle_message(incoming(message)).unwrap();
            while client.poll_event().is_some() {}
        }
        match closer {
            0 => client.close(CloseCode::NORMAL, "done").unwrap(),
            1 => client.handle_close(Some(CloseFrame::new(CloseCode::GOING_AWAY, ""))).unwrap(),
            _ => client.handle_end().unwrap(),
        }
        prop_assert_eq!(client.in_flight(), 0);
        prop_assert_eq!(client.poll_timeout(), None);
        for (kind, message) in &later {
            let refused = match kind {
                0 => client.handle_message(incoming(message)),
                1 => client.handle_close(None),
                2 => client.handle_end(),
                _ => client.handle_timeout(now + Duration::from_secs(60)),
            };
            prop_assert_eq!(refused, Err(InputError::Closed));
        }
        prop_assert_eq!(client.proxy(now, "https://r.example/late"), Err(RequestError::Closed));
        prop_assert_eq!(client.close(CloseCode::NORMAL, ""), Err(RequestError::Closed));
        let sent: Vec<Outgoing> = std::iter::from_fn(|| client.poll_transmit()).collect();
        if closer == 0 {
            // The requests queued before, then the Close.
            prop_assert_eq!(sent.len(), requests + 1);
            let closed_with_normal = matches!(
                sent.last(),
                Some(Outgoing::Close { code: CloseCode::NORMAL, reason }) if reason == "done"
            );
            prop_assert!(closed_with_normal);
        } else {
            prop_assert!(sent.is_empty(), "nothing after the peer's Close: {sent:?}");
        }
    }

    #[test]
    fn a_closed_c2s_client_refuses_all_input(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        opened: bool,
        closer in 0..4u8,
        later in proptest::collection::vec((0..4u8, proptest::collection::vec(any::<u8>(), 0..40)), 1..8),
    ) {
        let now = Instant::now();
        let mut client = Client::new(ClientConfig::new("https://h.example/inbox".parse().unwrap()), 1);
        client.poll_request(now).unwrap();
        if opened {
            client.handle_response(now, StatusCode::OK, &event_stream()).unwrap();
            client.handle_body(now, &body).unwrap();
            while client.poll_event().is_some() {}
            client.handle_end(now).unwrap();
            while client.poll_event().is_some() {}
            client.handle_timeout(now + Duration::from_secs(3600)).unwrap();
            client.poll_request(now + Duration::from_secs(3600)).unwrap();
        }
        match closer {
            0 => client.close(),
            1 => client.handle_response(now, StatusCode::NO_CONTENT, &HeaderMap::new()).unwrap(),
            2 => client.handle_response(now, StatusCode::NOT_FOUND, &HeaderMap::new()).unwrap(),
            _ => client.handle_response(now, StatusCode::OK, &HeaderMap::new()).unwrap(),
        }
        prop_assert!(client.is_closed());
        for (kind, bytes) in &later {
            let refused = match kind {
                0 => client.handle_response(now, StatusCode::OK, &event_stream()),
                1 => client.handle_body(now, bytes),
                2 => client.handle_end(now),
                _ => client.handle_timeout(now + Duration::from_secs(3600)),
            };
            prop_assert_eq!(refused, Err(UsageError::Closed));
        }
        prop_assert!(client.poll_request(now + Duration::from_secs(7200)).is_none());
    }

    #[test]
    fn a_closed_session_refuses_timeouts(
        items in 0..12u32,
        cut_off: bool,
        format in prop_oneof![Just(Format::Sse), Just(Format::WebSocket)],
        later in proptest::collection::vec(0..100_000u64, 1..6),
    ) {
        let mut feed = feed();
        let now = Instant::now();
        let config = SessionConfig::default().with_max_queue(4, u64::MAX);
        let mut session = Session::new(&feed, format, None, config, now).unwrap();
        for id in 1..=items {
            append(&mut feed, id);
        }
        if cut_off && items > 4 {
            // Stuck for a keep-alive interval: the timer finds it behind and cuts it off.
            session.handle_timeout(now + Duration::from_secs(15), &feed).unwrap();
        } else {
            session.finish(None);
        }
        // Ending: timers do nothing until the last output is out.
        prop_assert_eq!(session.handle_timeout(now + Duration::from_secs(30), &feed), Ok(()));
        let sent: Vec<Transmit> = std::iter::from_fn(|| session.poll_transmit(now, &feed)).collect();
        prop_assert!(sent.len() <= 2, "the preamble and the last status: {sent:?}");
        prop_assert!(session.is_closed());
        for after in &later {
            prop_assert_eq!(
                session.handle_timeout(now + Duration::from_millis(*after), &feed),
                Err(SessionError::Closed)
            );
        }
        prop_assert_eq!(session.poll_transmit(now, &feed), None);
        prop_assert_eq!(session.poll_timeout(), None);
    }
}

fn event_stream() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers
}

#[test]
fn the_server_connection_event_queue_stops_at_its_bound() {
    let feed = feed();
    let now = Instant::now();
    let limits = SocketLimits::default().with_max_queued_events(4);
    let mut server =
        ServerConnection::new(&feed, None, SessionConfig::default(), limits, now).unwrap();
    let requests: Vec<String> = (1..=6).map(|i| fetch(&format!("r{i}"))).collect();
    for request in &requests[..4] {
        server.handle_message(Incoming::Text(request)).unwrap();
    }
    assert_eq!(
        server.handle_message(Incoming::Text(&requests[4])),
        Err(InputError::Backpressure { max: 4 })
    );
    assert_eq!(server.in_flight(), 4, "the refused message was not taken");
    let mut ids = Vec::new();
    let mut take = |server: &mut ServerConnection| {
        while let Some(event) = server.poll_event() {
            let ServerConnectionEvent::Request(ClientMessage::Fetch { request, .. }) = event else {
                panic!("{event:?}");
            };
            ids.push(request.to_string());
        }
    };
    take(&mut server);
    server.handle_message(Incoming::Text(&requests[4])).unwrap();
    server.handle_message(Incoming::Text(&requests[5])).unwrap();
    take(&mut server);
    assert_eq!(ids, ["r1", "r2", "r3", "r4", "r5", "r6"]);
}

#[test]
fn the_client_connection_event_queue_stops_at_its_bound() {
    let now = Instant::now();
    let limits = SocketLimits::default().with_max_queued_events(3);
    let mut client = ClientConnection::new(limits);
    let items: Vec<String> = (1..=5).map(inbox_item).collect();
    for item in &items[..3] {
        client.handle_message(Incoming::Text(item)).unwrap();
    }
    assert_eq!(
        client.handle_message(Incoming::Text(&items[3])),
        Err(InputError::Backpressure { max: 3 })
    );
    let mut ids = Vec::new();
    let mut take = |client: &mut ClientConnection| {
        while let Some(event) = client.poll_event() {
            let ClientConnectionEvent::Item(item) = event else {
                panic!("{event:?}");
            };
            ids.push(item.id().unwrap().to_string());
        }
    };
    take(&mut client);
    client.handle_message(Incoming::Text(&items[3])).unwrap();
    client.handle_message(Incoming::Text(&items[4])).unwrap();
    take(&mut client);
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);

    // Timeouts: only as many as the queue has room for; the rest at the next call.
    for i in 0..5 {
        client
            .proxy(now, &format!("https://r.example/{i}"))
            .unwrap();
    }
    let late = now + SocketLimits::DEFAULT_REQUEST_TIMEOUT;
    client.handle_timeout(late).unwrap();
    assert_eq!(client.in_flight(), 2);
    assert_eq!(client.poll_timeout(), Some(late), "the rest stay due");
    let mut timed_out = Vec::new();
    while let Some(event) = client.poll_event() {
        let ClientConnectionEvent::TimedOut { request } = event else {
            panic!("{event:?}");
        };
        timed_out.push(request.to_string());
    }
    client.handle_timeout(late).unwrap();
    while let Some(ClientConnectionEvent::TimedOut { request }) = client.poll_event() {
        timed_out.push(request.to_string());
    }
    assert_eq!(timed_out, ["1", "2", "3", "4", "5"]);
    assert_eq!(client.in_flight(), 0);
}

#[test]
fn the_c2s_client_event_queue_stops_at_its_bound() {
    let now = Instant::now();
    let config =
        ClientConfig::new("https://h.example/inbox".parse().unwrap()).with_max_queued_events(4);
    let mut client = Client::new(config, 1);
    client.poll_request(now).unwrap();
    client
        .handle_response(now, StatusCode::OK, &event_stream())
        .unwrap();
    let body: String = (1..=10)
        .map(|i| format!("event: inbox\nid: {i}\ndata: {{\"type\":\"Create\"}}\n\n"))
        .collect();
    client.handle_body(now, body.as_bytes()).unwrap();
    assert_eq!(
        client.handle_body(now, b": more\n"),
        Err(UsageError::Backpressure { max: 4 })
    );
    assert_eq!(
        client.handle_end(now),
        Err(UsageError::Backpressure { max: 4 })
    );
    let mut events = vec![client.poll_event().unwrap()];
    assert_eq!(events, [ClientEvent::Opened]);
    // Drain part of it: still backlogged while the chunk is not all handed out.
    for _ in 0..5 {
        events.push(client.poll_event().unwrap());
    }
    assert!(matches!(
        client.handle_body(now, b": more\n"),
        Err(UsageError::Backpressure { .. })
    ));
    events.extend(std::iter::from_fn(|| client.poll_event()));
    let ids: Vec<String> = events[1..]
        .iter()
        .map(|event| match event {
            ClientEvent::Item(item) => item.id().unwrap().to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, (1..=10).map(|i| i.to_string()).collect::<Vec<_>>());
    client.handle_body(now, b": more\n").unwrap();
    client.handle_end(now).unwrap();
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Reconnecting { .. })
    ));
}
