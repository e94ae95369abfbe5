//! Server session behaviour under a virtual clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::close::{CloseCode, CloseFrame};
use bus_protocol::message::*;
use bus_protocol::session::*;

const T0_UNIX: i64 = 1_738_483_200;

struct Harness {
    session: Session,
    t0: Instant,
    now: Instant,
}

impl Harness {
    fn new() -> Self {
        Self::with(SessionConfig::default())
    }

    fn with(config: SessionConfig) -> Self {
        let t0 = Instant::now();
        let session = Session::new(
            t0,
            wall(T0_UNIX),
            Arc::new(config),
            "sess_abc123",
            "alice.example.com",
        );
        Harness {
            session,
            t0,
            now: t0,
        }
    }

    fn unix(&self) -> i64 {
        T0_UNIX + i64::try_from(self.now.duration_since(self.t0).as_secs()).unwrap()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.session
            .handle_timeout(self.now, wall(self.unix()))
            .unwrap();
    }

    fn send(&mut self, json: &str) {
        let (now, unix) = (self.now, self.unix());
        self.session.handle_text(now, wall(unix), json).unwrap();
    }

    fn transmits(&mut self) -> Vec<Outgoing> {
        std::iter::from_fn(|| self.session.poll_transmit()).collect()
    }

    /// The messages written, leaving out the keep-alive Pings (which the tests of the
    /// keep-alive look at through `transmits`).
    fn messages(&mut self) -> Vec<ServerMessage> {
        self.transmits()
            .into_iter()
            .filter_map(|o| match o {
                Outgoing::Message(m) => Some(m),
                Outgoing::Ping => None,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn events(&mut self) -> Vec<SessionEvent> {
        std::iter::from_fn(|| self.session.poll_event()).collect()
    }

    fn opened() -> Self {
        let mut h = Self::new();
        h.transmits();
        h
    }
}

/// The Close frame of a session whose access token expired.
fn token_expired() -> CloseFrame {
    CloseFrame::new(CloseCode(4401), "access token expired")
}

fn error_code(m: &ServerMessage) -> Option<&ErrorCode> {
    match m {
        ServerMessage::Error(e) => Some(&e.code),
        _ => None,
    }
}

#[test]
fn welcome_is_sent_first() {
    let mut h = Harness::new();
    assert_eq!(
        h.messages(),
        vec![ServerMessage::Welcome(Welcome {
            session_id: "sess_abc123".into(),
            user: "alice.example.com".into(),
            timestamp: T0_UNIX,
        })]
    );
}

#[test]
fn ping_gets_pong_with_the_current_timestamp() {
    let mut h = Harness::opened();
    h.advance(Duration::from_secs(7));
    h.send(r#"{"type":"ping"}"#);
    assert_eq!(
        h.messages(),
        vec![ServerMessage::Pong(Pong {
            timestamp: T0_UNIX + 7
        })]
    );
}

#[test]
fn twenty_first_message_of_a_burst_gets_e_ws_rate_and_the_bucket_refills_at_100_per_minute() {
    let mut h = Harness::opened();
    for _ in 0..20 {
        h.send(r#"{"type":"ping"}"#);
    }
    let replies = h.messages();
    assert_eq!(replies.len(), 20);
    assert!(replies.iter().all(|m| m.kind() == "pong"));

    h.send(r#"{"type":"ping"}"#);
    let replies = h.messages();
    assert_eq!(replies.len(), 1);
    assert_eq!(error_code(&replies[0]), Some(&ErrorCode::Rate));
    assert!(matches!(
        h.events().as_slice(),
        [SessionEvent::Rejected(PeerError::RateLimited { .. })]
    ));

    // 600 ms later exactly one token is back.
    h.now += Duration::from_millis(600);
    h.send(r#"{"type":"ping"}"#);
    h.send(r#"{"type":"ping"}"#);
    let kinds: Vec<_> = h.messages().iter().map(|m| m.kind()).collect();
    assert_eq!(kinds, ["pong", "error"]);

    // Under constant pressure a whole minute admits 100 messages.
    let mut accepted = 0;
    for _ in 0..600 {
        h.now += Duration::from_millis(100);
        h.send(r#"{"type":"ping"}"#);
        accepted += h.messages().iter().filter(|m| m.kind() == "pong").count();
        h.events();
    }
    assert_eq!(accepted, 100);
}

#[test]
fn invalid_frames_are_answered_with_e_ws_invalid_not_dropped() {
    let mut h = Harness::opened();
    let cases = [
        r#"{"type":"shout","text":"hi"}"#,
        r#"{"type":"welcome","session_id":"x","user":"y","timestamp":1}"#,
        "not json",
        r#"["type","ping"]"#,
        r#"{"events":["action"]}"#,
        r#"{"type":"subscribe","events":["likes"]}"#,
        r#"{"type":"presence","status":"sleeping"}"#,
        r#"{"type":"register_push","token":"t","platform":"symbian"}"#,
    ];
    for json in cases {
        h.send(json);
        let replies = h.messages();
        assert_eq!(replies.len(), 1, "{json}");
        assert_eq!(error_code(&replies[0]), Some(&ErrorCode::Invalid), "{json}");
        assert!(
            matches!(
                h.events().as_slice(),
                [SessionEvent::Rejected(PeerError::Decode(_))]
            ),
            "{json}"
        );
    }
    // The error text says what was wrong.
    h.send(r#"{"type":"shout"}"#);
    match &h.messages()[0] {
        ServerMessage::Error(e) => assert_eq!(e.message, "unknown message type `shout`"),
        other => panic!("{other:?}"),
    }
    h.events();
    let (now, unix) = (h.now, h.unix());
    h.session
        .handle_binary(now, wall(unix), &[1, 2, 3])
        .unwrap();
    assert_eq!(error_code(&h.messages()[0]), Some(&ErrorCode::Invalid));
    assert!(matches!(
        h.events().as_slice(),
        [SessionEvent::Rejected(PeerError::BinaryFrame { len: 3 })]
    ));
}

#[test]
fn oversized_frames_are_refused_before_parsing() {
    let mut h = Harness::with(SessionConfig {
        max_message_bytes: 32,
        ..SessionConfig::default()
    });
    h.transmits();
    h.send(&format!(
        r#"{{"type":"presence","status":"online","activity":"{}"}}"#,
        "x".repeat(40)
    ));
    assert_eq!(error_code(&h.messages()[0]), Some(&ErrorCode::Invalid));
    assert!(matches!(
        h.events().as_slice(),
        [SessionEvent::Rejected(PeerError::Decode(
            DecodeError::TooLarge { limit: 32, .. }
        ))]
    ));
}

#[test]
fn only_subscribed_event_types_are_delivered() {
    let mut h = Harness::opened();
    let action = ServerMessage::Action(ActionNotice {
        action_type: ActionType::Post,
        action_id: "a1".into(),
        issuer: "bob".into(),
        content: None,
        timestamp: T0_UNIX,
        source: None,
        sub_type: None,
        parent_id: None,
        audience: None,
        status: None,
    });
    let typing = ServerMessage::Typing(TypingNotice {
        user: "bob".into(),
        conversation_id: "c".into(),
        timestamp: 0,
    });
    assert!(!h.session.deliver(&action).unwrap());
    h.send(r#"{"type":"subscribe","events":["action","typing"]}"#);
    let expected: EventSet = [EventType::Action, EventType::Typing].into_iter().collect();
    assert_eq!(
        h.events(),
        vec![SessionEvent::SubscriptionsChanged(expected)]
    );
    assert!(h.session.deliver(&action).unwrap());
    assert!(h.session.deliver(&typing).unwrap());
    h.send(r#"{"type":"unsubscribe","events":["typing"]}"#);
    assert!(!h.session.deliver(&typing).unwrap());
    // Errors are delivered without a subscription.
    assert!(
        h.session
            .deliver(&ServerMessage::error(ErrorCode::Permission, "no", 0))
            .unwrap()
    );
    assert_eq!(
        h.messages().iter().map(|m| m.kind()).collect::<Vec<_>>(),
        ["action", "typing", "error"]
    );
}

#[test]
fn presence_is_throttled_to_one_per_second_and_the_latest_wins() {
    let mut h = Harness::opened();
    h.send(r#"{"type":"presence","status":"online","activity":"browsing"}"#);
    assert_eq!(
        h.events(),
        vec![SessionEvent::Presence(PresenceUpdate {
            status: PresenceStatus::Online,
            activity: Some("browsing".into())
        })]
    );
    h.advance(Duration::from_millis(300));
    h.send(r#"{"type":"presence","status":"busy"}"#);
    h.advance(Duration::from_millis(300));
    h.send(r#"{"type":"presence","status":"away"}"#);
    assert_eq!(h.events(), vec![]);
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.t0 + Duration::from_secs(1))
    );
    h.advance(Duration::from_millis(399));
    assert_eq!(h.events(), vec![]);
    h.advance(Duration::from_millis(1));
    assert_eq!(
        h.events(),
        vec![SessionEvent::Presence(PresenceUpdate {
            status: PresenceStatus::Away,
            activity: None
        })]
    );
}

#[test]
fn typing_expires_five_seconds_after_the_last_update() {
    let mut h = Harness::opened();
    let update = TypingUpdate {
        recipient: "bob.example.com".into(),
        conversation_id: "conv_123".into(),
    };
    let typing = r#"{"type":"typing","recipient":"bob.example.com","conversation_id":"conv_123"}"#;
    h.send(typing);
    assert_eq!(h.events(), vec![SessionEvent::Typing(update.clone())]);
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.t0 + Duration::from_secs(5))
    );

    // A refresh within the typing interval is not forwarded but extends the expiry.
    h.advance(Duration::from_millis(500));
    h.send(typing);
    assert_eq!(h.events(), vec![]);
    h.advance(Duration::from_millis(4_999));
    assert_eq!(h.events(), vec![]);
    h.advance(Duration::from_millis(1));
    assert_eq!(
        h.events(),
        vec![SessionEvent::TypingStopped(update.clone())]
    );

    // After the interval a refresh is forwarded again.
    h.send(typing);
    h.advance(Duration::from_secs(1));
    h.send(typing);
    assert_eq!(
        h.events(),
        vec![
            SessionEvent::Typing(update.clone()),
            SessionEvent::Typing(update)
        ]
    );
}

#[test]
fn concurrent_typing_indicators_are_bounded() {
    let mut h = Harness::with(SessionConfig {
        max_typing: 2,
        ..SessionConfig::default()
    });
    h.transmits();
    for c in ["a", "b", "c"] {
        h.send(&format!(
            r#"{{"type":"typing","recipient":"bob","conversation_id":"{c}"}}"#
        ));
    }
    let replies = h.messages();
    assert_eq!(replies.len(), 1);
    assert_eq!(error_code(&replies[0]), Some(&ErrorCode::Rate));
    let events = h.events();
    assert!(matches!(
        events.last(),
        Some(SessionEvent::Rejected(PeerError::TooManyTyping {
            limit: 2
        }))
    ));
}

#[test]
fn idle_after_five_minutes_without_activity_pings_do_not_count() {
    let mut h = Harness::opened();
    for _ in 0..9 {
        h.advance(Duration::from_secs(30));
        h.send(r#"{"type":"ping"}"#);
    }
    assert!(!h.session.is_idle());
    h.advance(Duration::from_secs(29));
    assert_eq!(h.events(), vec![]);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.events(), vec![SessionEvent::Idle]);
    assert!(h.session.is_idle());
    h.send(r#"{"type":"subscribe","events":["action"]}"#);
    let events = h.events();
    assert_eq!(events.first(), Some(&SessionEvent::Active));
    assert!(!h.session.is_idle());
}

#[test]
fn token_expiry_signalled_by_the_host_closes_with_e_ws_auth() {
    let mut h = Harness::opened();
    h.session.handle_token_expired(wall(T0_UNIX)).unwrap();
    let out = h.transmits();
    assert_eq!(out.len(), 2);
    assert!(matches!(&out[0], Outgoing::Message(m) if error_code(m) == Some(&ErrorCode::Auth)));
    assert_eq!(out[1], Outgoing::Close(token_expired()));
    assert_eq!(CloseReason::TokenExpired.code(), CloseCode(4401));
    assert_eq!(
        h.events(),
        vec![SessionEvent::Closed(CloseReason::TokenExpired)]
    );
    assert_eq!(
        h.session
            .handle_text(h.now, wall(T0_UNIX), r#"{"type":"ping"}"#),
        Err(SessionError::Closed(CloseReason::TokenExpired))
    );
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn token_expiry_instant_closes_on_time() {
    let mut h = Harness::opened();
    h.session
        .set_token_expiry(Some(h.t0 + Duration::from_secs(20)));
    assert_eq!(
        h.session.poll_timeout(),
        Some(h.t0 + Duration::from_secs(20))
    );
    h.advance(Duration::from_secs(19));
    assert!(h.transmits().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.transmits().last(),
        Some(&Outgoing::Close(token_expired()))
    );
}

#[test]
fn silence_timeout_closes_a_dead_connection() {
    let mut h = Harness::opened();
    h.advance(Duration::from_secs(60));
    h.send(r#"{"type":"ping"}"#);
    // The Ping due at 30 s went out late, at 60 s (one, not a burst), then the pong.
    assert_eq!(h.transmits().first(), Some(&Outgoing::Ping));
    // The next Pings go out every 30 s from there; a dead peer answers none of them.
    let mut pings = 0;
    for _ in 0..89 {
        h.advance(Duration::from_secs(1));
        for o in h.transmits() {
            assert_eq!(o, Outgoing::Ping);
            pings += 1;
        }
    }
    assert_eq!(pings, 2, "Pings at 90 s and 120 s");
    assert_eq!(h.events(), vec![]);
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.transmits(),
        vec![Outgoing::Close(CloseFrame::new(
            CloseCode(4408),
            "no frame received within the silence timeout"
        ))]
    );
    assert_eq!(h.events(), vec![SessionEvent::Closed(CloseReason::Silent)]);
    assert_eq!(h.session.poll_timeout(), None);
}

#[test]
fn a_silent_client_that_answers_the_pings_is_never_closed() {
    let mut h = Harness::opened();
    let mut pings = 0;
    // One virtual hour in which the client sends nothing but Pongs, answered within 50 ms.
    while h.now < h.t0 + Duration::from_secs(3600) {
        let wake = h.session.poll_timeout().unwrap();
        h.now = wake;
        h.session.handle_timeout(wake, wall(h.unix())).unwrap();
        for o in h.transmits() {
            assert_eq!(o, Outgoing::Ping, "only Pings for a silent client");
            pings += 1;
            let (now, unix) = (h.now + Duration::from_millis(50), h.unix());
            h.session.handle_pong(now, wall(unix)).unwrap();
        }
    }
    assert_eq!(pings, 120, "one Ping every 30 s");
    assert_eq!(h.session.close_reason(), None);
    // Pongs prove liveness, not activity: the connection went idle after 5 minutes.
    assert!(h.session.is_idle());
    assert_eq!(h.events(), vec![SessionEvent::Idle]);
}

#[test]
fn pongs_are_not_counted_against_the_rate_limit() {
    let mut h = Harness::opened();
    for _ in 0..1000 {
        h.session.handle_pong(h.now, wall(T0_UNIX)).unwrap();
    }
    for _ in 0..20 {
        h.send(r#"{"type":"ping"}"#);
    }
    let replies = h.messages();
    assert_eq!(replies.len(), 20);
    assert!(replies.iter().all(|m| m.kind() == "pong"), "{replies:?}");
}

#[test]
fn a_pong_after_the_silence_deadline_does_not_revive_the_session() {
    let mut h = Harness::opened();
    h.now += Duration::from_secs(90);
    let (now, unix) = (h.now, h.unix());
    h.session.handle_pong(now, wall(unix)).unwrap();
    assert_eq!(h.session.close_reason(), Some(CloseReason::Silent));
}

#[test]
fn no_pings_without_a_ping_interval() {
    let mut h = Harness::with(SessionConfig {
        ping_interval: None,
        silence_timeout: None,
        ..SessionConfig::default()
    });
    h.transmits();
    for _ in 0..10 {
        h.advance(Duration::from_secs(60));
    }
    assert_eq!(h.transmits(), vec![]);
}

#[test]
fn push_registration_and_replay_are_handed_to_the_host() {
    let mut h = Harness::opened();
    h.send(r#"{"type":"register_push","token":"fcm-1","platform":"ios"}"#);
    h.send(r#"{"type":"replay","since":1738483100}"#);
    assert_eq!(
        h.events(),
        vec![
            SessionEvent::RegisterPush(PushRegistration {
                token: "fcm-1".into(),
                platform: PushPlatform::Ios
            }),
            SessionEvent::Replay(ReplayRequest {
                since: 1_738_483_100
            }),
        ]
    );
}

#[test]
fn per_session_state_is_small() {
    // The memory target of the issue: at most 512 bytes per session without subscriptions.
    let h = Harness::opened();
    let total = size_of::<Session>() + h.session.heap_size();
    assert!(size_of::<Session>() <= 512, "{}", size_of::<Session>());
    assert!(total <= 512, "{total}");
}
