//! Hostile input: every frame a malicious peer can send gets a typed refusal within the
//! documented limits (`SessionConfig`, `HubConfig`, `ClientConfig`), and memory stays bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::client::{Client, ClientConfig, ClientEvent, ClientTransmit};
use bus_protocol::cloudillo::Frame;
use bus_protocol::hub::{ConnectError, Hub, HubConfig, NoRelations};
use bus_protocol::message::{ClientMessage, DecodeError, ErrorCode, EventSet, ServerMessage};
use bus_protocol::session::{Outgoing, PeerError, Session, SessionConfig, SessionEvent};

const UNIX: i64 = 1_738_483_200;
/// serde_json's recursion limit: the nesting depth every decoder of this crate accepts.
const JSON_DEPTH_LIMIT: usize = 128;

fn session(now: Instant) -> Session {
    let mut session = Session::new(
        now,
        wall(UNIX),
        Arc::new(SessionConfig::default()),
        "sess_1",
        "mallory",
    );
    drain(&mut session);
    session
}

fn drain(session: &mut Session) -> (Vec<Outgoing>, Vec<SessionEvent>) {
    let transmits = std::iter::from_fn(|| session.poll_transmit()).collect();
    let events = std::iter::from_fn(|| session.poll_event()).collect();
    (transmits, events)
}

fn error_code(outgoing: &[Outgoing]) -> Option<ErrorCode> {
    outgoing.iter().find_map(|o| match o {
        Outgoing::Message(ServerMessage::Error(e)) => Some(e.code.clone()),
        _ => None,
    })
}

fn nested(depth: usize) -> String {
    format!(
        r#"{{"type":"subscribe","events":{}"action"{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[test]
fn a_million_subscriptions_in_one_frame_are_refused_before_parsing() {
    let now = Instant::now();
    let mut session = session(now);
    let events = vec![r#""action""#; 1_000_000].join(",");
    let frame = format!(r#"{{"type":"subscribe","events":[{events}]}}"#);
    session.handle_text(now, wall(UNIX), &frame).unwrap();
    let (transmits, events) = drain(&mut session);
    assert_eq!(error_code(&transmits), Some(ErrorCode::Invalid));
    assert!(events.contains(&SessionEvent::Rejected(PeerError::Decode(
        DecodeError::TooLarge {
            len: frame.len(),
            limit: 8 * 1024
        }
    ))));
    assert_eq!(session.subscriptions(), EventSet::EMPTY);
    assert!(session.heap_size() < 4096, "{}", session.heap_size());
}

#[test]
fn a_million_subscribe_frames_are_rate_limited_and_cost_one_byte_of_state() {
    let now = Instant::now();
    let mut session = session(now);
    let frame =
        r#"{"type":"subscribe","events":["action","presence","typing","message","notification"]}"#;
    let (mut admitted, mut rate_limited) = (0, 0);
    for _ in 0..1_000_000 {
        session.handle_text(now, wall(UNIX), frame).unwrap();
        let (transmits, events) = drain(&mut session);
        for event in events {
            match event {
                SessionEvent::SubscriptionsChanged(set) => {
                    assert_eq!(set, session.subscriptions());
                    admitted += 1;
                }
                SessionEvent::Rejected(PeerError::RateLimited { .. }) => {
                    assert_eq!(error_code(&transmits), Some(ErrorCode::Rate));
                    rate_limited += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(session.heap_size() < 4096, "{}", session.heap_size());
    }
    // The burst of 20 is admitted, the rest is refused; the state is a one-byte set.
    assert_eq!(admitted, 20);
    assert_eq!(rate_limited, 1_000_000 - 20);
    assert_eq!(size_of::<EventSet>(), 1);
}

#[test]
fn a_million_connections_stop_at_the_hub_caps() {
    let now = Instant::now();
    let config = HubConfig::default();
    let (max, per_user) = (config.max_connections, config.max_connections_per_user);
    let mut hub = Hub::new(config, NoRelations);
    let mut full = 0;
    for i in 0..1_000_000_u32 {
        // Every tenth attempt reuses one user, the others are new users.
        let user = if i % 10 == 0 {
            "mallory".to_owned()
        } else {
            format!("u{i}")
        };
        match hub.connect(now, wall(UNIX), "t", &user, format!("s{i}")) {
            Ok(_) => {}
            Err(ConnectError::UserFull { limit, .. }) => assert_eq!(limit, per_user),
            Err(ConnectError::ServerFull { limit }) => {
                assert_eq!(limit, max);
                full += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        while hub.poll_transmit().is_some() {}
        while hub.poll_event().is_some() {}
    }
    assert_eq!(hub.len(), max);
    assert_eq!(hub.sessions_of("mallory").len(), per_user);
    assert!(full > 900_000);
    // The memory section of the README measures about 800 bytes per session.
    assert!(hub.heap_size() < max * 2048, "{}", hub.heap_size());
}

#[test]
fn deep_nesting_is_a_syntax_error_at_the_json_depth_limit() {
    assert!(ClientMessage::decode(nested(JSON_DEPTH_LIMIT - 2).as_bytes()).is_err());
    for depth in [JSON_DEPTH_LIMIT, 4000, 1_000_000] {
        let text = nested(depth);
        match ClientMessage::decode(text.as_bytes()) {
            Err(DecodeError::Syntax { detail, .. }) => {
                assert!(detail.contains("recursion limit"), "{detail}")
            }
            other => panic!("depth {depth}: {other:?}"),
        }
        for decoded in [
            ServerMessage::decode(text.as_bytes()).map(drop),
            Frame::decode(text.replace("type", "cmd").as_bytes()).map(drop),
        ] {
            assert!(
                matches!(decoded, Err(DecodeError::Syntax { .. })),
                "{decoded:?}"
            );
        }
    }
    // A session refuses a frame within its size limit but beyond the depth limit in-band.
    let now = Instant::now();
    let mut session = session(now);
    session.handle_text(now, wall(UNIX), &nested(4000)).unwrap();
    let (transmits, events) = drain(&mut session);
    assert_eq!(error_code(&transmits), Some(ErrorCode::Invalid));
    assert!(matches!(
        events.as_slice(),
        [SessionEvent::Rejected(PeerError::Decode(
            DecodeError::Syntax { .. }
        ))]
    ));
}

#[test]
fn huge_numbers_are_refused_as_bad_fields() {
    for since in ["1e400", "-1e400", "123456789012345678901234567890", "1.5"] {
        let text = format!(r#"{{"type":"replay","since":{since}}}"#);
        let decoded = ClientMessage::decode(text.as_bytes());
        assert!(
            matches!(
                decoded,
                Err(DecodeError::InvalidFields { .. } | DecodeError::Syntax { .. })
            ),
            "{since}: {decoded:?}"
        );
    }
    let text = r#"{"type":"pong","timestamp":1e999}"#;
    assert!(ServerMessage::decode(text.as_bytes()).is_err());
}

#[test]
fn huge_strings_are_refused_by_size_on_both_sides() {
    let now = Instant::now();
    let mut session = session(now);
    let activity = "x".repeat(64 * 1024 * 1024);
    let frame = format!(r#"{{"type":"presence","status":"busy","activity":"{activity}"}}"#);
    session.handle_text(now, wall(UNIX), &frame).unwrap();
    let (transmits, events) = drain(&mut session);
    assert_eq!(error_code(&transmits), Some(ErrorCode::Invalid));
    assert!(matches!(
        events.as_slice(),
        [SessionEvent::Rejected(PeerError::Decode(
            DecodeError::TooLarge { limit: 8192, .. }
        ))]
    ));
    // The error reply does not echo the frame.
    let reply: usize = transmits
        .iter()
        .map(|o| match o {
            Outgoing::Message(m) => m.encode().len(),
            Outgoing::Frame(f) => f.encode().len(),
            _ => 0,
        })
        .sum();
    assert!(reply < 512, "{reply}");

    let mut client = Client::new(ClientConfig::default(), 7);
    client.start(now, "token").unwrap();
    assert!(matches!(
        client.poll_transmit(),
        Some(ClientTransmit::Connect { .. })
    ));
    let message =
        format!(r#"{{"type":"error","code":"E-WS-INVALID","message":"{activity}","timestamp":0}}"#);
    client
        .handle_text(now + Duration::from_millis(1), &message)
        .unwrap();
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Undecodable(DecodeError::TooLarge {
            limit: 1_048_576,
            ..
        }))
    ));
}

#[test]
fn a_long_unknown_type_is_not_echoed_in_full() {
    let name = "t".repeat(1_000_000);
    let text = format!(r#"{{"type":"{name}"}}"#);
    match ClientMessage::decode(text.as_bytes()) {
        Err(DecodeError::UnknownType(echoed)) => assert!(echoed.len() < 100, "{}", echoed.len()),
        other => panic!("{other:?}"),
    }
}
