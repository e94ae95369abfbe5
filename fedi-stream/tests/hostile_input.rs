//! Hostile input for the C2S WebSocket envelope, the Mastodon frames and the JSON carriers:
//! oversized messages, deep nesting, huge numbers and strings, floods of requests and
//! subscriptions each give a typed refusal within the documented limits (`c2s::socket::SocketLimits`,
//! `FrameLimits`, `Subscriptions::DEFAULT_MAX`).
//!
//! The SSE decoder's 100 MiB lines (data and comment) are covered in `sse_limits.rs`.

use std::time::Instant;

use fedi_stream::c2s::feed::{Feed, FeedConfig, SessionConfig};
use fedi_stream::c2s::item::{Json, Meta};
use fedi_stream::c2s::mastodon::{
    ClientCommand, FrameLimits, MastodonError, ServerFrame, Stream, SubscriptionChange,
    Subscriptions,
};
use fedi_stream::c2s::socket::{
    ClientMessage, CloseCode, EnvelopeError, Incoming, Outgoing, ServerConnection,
    ServerConnectionEvent, ServerMessage, SocketLimits,
};

/// activitystreams-core's `MAX_DEPTH`, which typed views of a payload apply.
const AS2_MAX_DEPTH: usize = 128;
const MIB: usize = 1 << 20;

fn nested(depth: usize) -> String {
    format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
}

fn server() -> (Feed, ServerConnection) {
    let feed = Feed::new(FeedConfig::new(
        "https://h.example/users/alice/inbox".parse().unwrap(),
    ));
    let connection = ServerConnection::new(
        &feed,
        None,
        SessionConfig::default(),
        SocketLimits::default(),
        Instant::now(),
    )
    .unwrap();
    (feed, connection)
}

#[test]
fn messages_over_the_size_limits_are_refused_before_parsing() {
    let limits = SocketLimits::default();
    let text = format!(
        r#"{{"type":"fetch","id":"1","data":"{}"}}"#,
        "x".repeat(100 * MIB)
    );
    assert!(matches!(
        ClientMessage::decode(Incoming::Text(&text), &limits),
        Err(EnvelopeError::TooLarge { size, .. }) if size == text.len()
    ));
    assert!(matches!(
        ServerMessage::decode(Incoming::Text(&text), &limits),
        Err(EnvelopeError::TooLarge { .. })
    ));
    let binary = vec![b'{'; 100 * MIB];
    assert!(matches!(
        ClientMessage::decode(Incoming::Binary(&binary), &limits),
        Err(EnvelopeError::TooLarge { .. })
    ));
    let frame = format!(
        r#"{{"event":"update","stream":["public"],"payload":"{}"}}"#,
        "x".repeat(100 * MIB)
    );
    assert!(matches!(
        ServerFrame::decode(&frame, &FrameLimits::default()),
        Err(MastodonError::TooLarge { .. })
    ));
    assert!(matches!(
        ClientCommand::decode(&frame, &FrameLimits::default()),
        Err(MastodonError::TooLarge { .. })
    ));

    // On a connection, an oversized message closes it with 1009 instead of an answer.
    let (feed, mut connection) = server();
    connection.handle_message(Incoming::Text(&text)).unwrap();
    let frames: Vec<Outgoing> =
        std::iter::from_fn(|| connection.poll_transmit(Instant::now(), &feed)).collect();
    assert!(
        frames.iter().any(|f| matches!(
            f,
            Outgoing::Close {
                code: CloseCode::MESSAGE_TOO_BIG,
                ..
            }
        )),
        "{frames:?}"
    );
}

#[test]
fn payloads_of_any_depth_are_carried_without_recursion_and_refused_by_typed_views() {
    for depth in [AS2_MAX_DEPTH, 10_000, 200_000] {
        let object = format!(r#"{{"x":{}}}"#, nested(depth));
        // The carriers check the JSON text without building it, so depth costs no stack.
        let json = Json::from_bytes(object.clone()).unwrap();
        assert!(Meta::parse(&object).is_ok());
        let inbox = format!(r#"{{"type":"inbox","id":"1","data":{object}}}"#);
        assert!(ServerMessage::decode(Incoming::Text(&inbox), &SocketLimits::default()).is_ok());
        let update = ServerFrame::decode(
            &format!(
                r#"{{"event":"update","stream":["public"],"payload":{}}}"#,
                serde_json::to_string(&object).unwrap()
            ),
            &FrameLimits::default(),
        );
        assert!(update.is_ok(), "{update:?}");
        // Reading the payload as AS2 applies activitystreams-core's depth limit.
        assert!(matches!(
            json.to_object(),
            Err(activitystreams_core::ParseError::TooDeep { .. })
        ));
        // Parsed envelopes (commands) apply serde_json's recursion limit.
        let command = format!(r#"{{"type":"subscribe","stream":{}}}"#, nested(depth));
        match ClientCommand::decode(&command, &FrameLimits::default()) {
            Err(MastodonError::Frame { reason }) => {
                assert!(reason.contains("recursion limit"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn huge_numbers_where_ids_and_strings_belong_are_refused() {
    let limits = SocketLimits::default();
    for number in [
        "1e400",
        "123456789012345678901234567890",
        &"9".repeat(100_000),
    ] {
        let text = format!(r#"{{"type":"fetch","id":{number},"data":"https://a.example/"}}"#);
        assert!(
            matches!(
                ClientMessage::decode(Incoming::Text(&text), &limits),
                Err(EnvelopeError::Json(_))
            ),
            "{number}"
        );
        let frame = format!(r#"{{"event":"delete","stream":["public"],"payload":{number}}}"#);
        assert!(ServerFrame::decode(&frame, &FrameLimits::default()).is_err());
    }
    // A request id longer than `max_request_id` is refused by its own limit.
    let id = "7".repeat(10_000);
    let text = format!(r#"{{"type":"fetch","id":"{id}","data":"https://a.example/"}}"#);
    assert!(matches!(
        ClientMessage::decode(Incoming::Text(&text), &limits),
        Err(EnvelopeError::InvalidRequestId { .. })
    ));
}

#[test]
fn a_million_subscriptions_stop_at_the_subscription_limit() {
    let mut subscriptions = Subscriptions::new(Subscriptions::DEFAULT_MAX);
    let (mut added, mut refused) = (0, 0);
    for i in 0..1_000_000 {
        let line = format!(r#"{{"type":"subscribe","stream":"hashtag","tag":"t{i}"}}"#);
        let command = ClientCommand::decode(&line, &FrameLimits::default()).unwrap();
        assert_eq!(
            command,
            ClientCommand::Subscribe(Stream::Hashtag(format!("t{i}")))
        );
        match subscriptions.apply(command) {
            Ok(SubscriptionChange::Added(_)) => added += 1,
            Err(MastodonError::TooManySubscriptions { max }) => {
                assert_eq!(max, Subscriptions::DEFAULT_MAX);
                refused += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(added, Subscriptions::DEFAULT_MAX);
    assert_eq!(refused, 1_000_000 - Subscriptions::DEFAULT_MAX);
    assert_eq!(subscriptions.streams().len(), Subscriptions::DEFAULT_MAX);
}

#[test]
fn a_million_requests_stop_at_max_in_flight() {
    let (feed, mut connection) = server();
    let max = SocketLimits::default().max_in_flight;
    let (mut requests, mut refused) = (0, 0);
    for i in 0..1_000_000 {
        let text = format!(r#"{{"type":"fetch","id":"r{i}","data":"https://a.example/{i}"}}"#);
        connection.handle_message(Incoming::Text(&text)).unwrap();
        while let Some(event) = connection.poll_event() {
            match event {
                ServerConnectionEvent::Request(_) => requests += 1,
                ServerConnectionEvent::Refused {
                    error: EnvelopeError::TooManyInFlight { max: m },
                    ..
                } => {
                    assert_eq!(m, max);
                    refused += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        while connection.poll_transmit(Instant::now(), &feed).is_some() {}
        assert!(connection.in_flight() <= max);
    }
    assert_eq!((requests, refused), (max, 1_000_000 - max));
}
