//! Sessions and hubs speaking the deployed Cloudillo dialect, alone and next to seed sessions,
//! under a virtual clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::close::{CloseCode, CloseFrame};
use bus_protocol::cloudillo::{Command, Frame};
use bus_protocol::hub::*;
use bus_protocol::message::*;
use bus_protocol::session::*;
use serde_json::{Value, json};

const UNIX: i64 = 1_738_483_200;

fn session() -> (Session, Instant) {
    let now = Instant::now();
    let session = Session::with_dialect(
        now,
        wall(UNIX),
        Arc::new(SessionConfig::default()),
        "sess_1",
        "alice",
        Dialect::Cloudillo,
    );
    (session, now)
}

fn drain(session: &mut Session) -> (Vec<Outgoing>, Vec<SessionEvent>) {
    let transmits = std::iter::from_fn(|| session.poll_transmit()).collect();
    let events = std::iter::from_fn(|| session.poll_event()).collect();
    (transmits, events)
}

/// The JSON of each written frame (acks), failing on anything else.
fn frames(outgoing: Vec<Outgoing>) -> Vec<Value> {
    outgoing
        .into_iter()
        .map(|o| match o {
            Outgoing::Frame(f) => serde_json::from_slice(&f.encode()).unwrap(),
            other => panic!("expected a frame, got {other:?}"),
        })
        .collect()
}

fn post(issuer: &str) -> ActionNotice {
    let mut notice = ActionNotice::new(ActionType::Post, "a1~xyz789", issuer, UNIX);
    notice.content = Some("hello".into());
    notice.status = Some(ActionStatus::Active);
    notice
}

#[test]
fn dialect_names_parse_and_print() {
    assert_eq!(Dialect::parse("cloudillo"), Some(Dialect::Cloudillo));
    assert_eq!(Dialect::parse("seed"), Some(Dialect::Seed));
    assert_eq!(Dialect::parse("Cloudillo"), None);
    assert_eq!(Dialect::Cloudillo.to_string(), "cloudillo");
    assert_eq!(Dialect::default(), Dialect::Seed);
}

#[test]
fn nothing_is_sent_before_the_client_speaks() {
    let (mut s, _) = session();
    assert_eq!(s.dialect(), Dialect::Cloudillo);
    assert_eq!(drain(&mut s), (vec![], vec![]));
}

#[test]
fn ping_is_acked_with_pong_and_every_other_command_with_ok() {
    let (mut s, now) = session();
    s.handle_text(now, wall(UNIX), r#"{"id":"p1","cmd":"ping","data":{}}"#)
        .unwrap();
    s.handle_text(
        now,
        wall(UNIX),
        r#"{"id":"c2","cmd":"subscribe","data":{"events":["presence"]}}"#,
    )
    .unwrap();
    s.handle_text(now, wall(UNIX), r#"{"id":"c3","cmd":"FILE_ID_GENERATED"}"#)
        .unwrap();
    let (out, events) = drain(&mut s);
    assert_eq!(
        frames(out),
        vec![
            json!({"id":"p1","cmd":"ack","data":{"status":"pong"}}),
            json!({"id":"c2","cmd":"ack","data":{"status":"ok"}}),
            json!({"id":"c3","cmd":"ack","data":{"status":"ok"}}),
        ]
    );
    // Acknowledged and otherwise ignored, as the deployed server does: no subscription.
    assert_eq!(events, vec![]);
    assert_eq!(s.subscriptions(), EventSet::EMPTY);
}

#[test]
fn unreadable_frames_are_dropped_without_a_reply() {
    let (mut s, now) = session();
    for bad in [
        r#"{"type":"ping"}"#,
        "not json",
        r#"{"cmd":"ping"}"#,
        r#"{"id":7,"cmd":"ping"}"#,
        "[]",
    ] {
        s.handle_text(now, wall(UNIX), bad).unwrap();
        let (out, events) = drain(&mut s);
        assert_eq!(out, vec![], "{bad}");
        assert!(
            matches!(
                events.as_slice(),
                [SessionEvent::Rejected(PeerError::Decode(_))]
            ),
            "{bad}: {events:?}"
        );
    }
    s.handle_binary(now, wall(UNIX), &[1, 2, 3]).unwrap();
    let (out, events) = drain(&mut s);
    assert_eq!(out, vec![]);
    assert_eq!(
        events,
        vec![SessionEvent::Rejected(PeerError::BinaryFrame { len: 3 })]
    );
    let big = format!(r#"{{"id":"{}","cmd":"ping"}}"#, "x".repeat(9000));
    s.handle_text(now, wall(UNIX), &big).unwrap();
    let (out, events) = drain(&mut s);
    assert_eq!(out, vec![]);
    assert!(matches!(
        events.as_slice(),
        [SessionEvent::Rejected(PeerError::Decode(
            DecodeError::TooLarge { .. }
        ))]
    ));
    // Still open and answering.
    s.handle_text(now, wall(UNIX), r#"{"id":"p","cmd":"ping"}"#)
        .unwrap();
    assert_eq!(drain(&mut s).0.len(), 1);
}

#[test]
fn the_rate_limit_drops_frames_instead_of_answering_errors() {
    let (mut s, now) = session();
    for i in 0..21 {
        s.handle_text(now, wall(UNIX), &format!(r#"{{"id":"{i}","cmd":"ping"}}"#))
            .unwrap();
    }
    let (out, events) = drain(&mut s);
    let acks = frames(out);
    assert_eq!(acks.len(), 20);
    assert_eq!(acks[19]["id"], "19");
    assert!(matches!(
        events.as_slice(),
        [SessionEvent::Rejected(PeerError::RateLimited { .. })]
    ));
    // One token is back after 600 ms.
    let later = now + Duration::from_millis(600);
    s.handle_text(later, wall(UNIX), r#"{"id":"late","cmd":"ping"}"#)
        .unwrap();
    assert_eq!(frames(drain(&mut s).0)[0]["id"], "late");
}

#[test]
fn only_actions_are_delivered_and_without_a_subscription() {
    let (mut s, _) = session();
    let action = ServerMessage::Action(post("bob"));
    assert!(s.wants(&action));
    assert_eq!(s.deliver(&action), Ok(true));
    for other in [
        ServerMessage::Pong(Pong { timestamp: UNIX }),
        ServerMessage::error(ErrorCode::Invalid, "x", UNIX),
        ServerMessage::Presence(PresenceNotice {
            user: "bob".into(),
            status: PresenceStatus::Online,
            activity: None,
            timestamp: UNIX,
        }),
        ServerMessage::Typing(TypingNotice {
            user: "bob".into(),
            conversation_id: "c".into(),
            timestamp: UNIX,
        }),
        ServerMessage::Message(DirectMessage {
            message_id: "m".into(),
            sender: "bob".into(),
            preview: "hi".into(),
            timestamp: UNIX,
        }),
    ] {
        assert!(!s.wants(&other), "{other:?}");
        assert_eq!(s.deliver(&other), Ok(false), "{other:?}");
    }
    assert_eq!(drain(&mut s).0, vec![Outgoing::Message(action)]);
}

#[test]
fn token_expiry_closes_with_4401_and_no_error_frame() {
    let (mut s, now) = session();
    s.set_token_expiry(Some(now + Duration::from_secs(5)));
    s.handle_timeout(now + Duration::from_secs(5), wall(UNIX + 5))
        .unwrap();
    let (out, events) = drain(&mut s);
    assert_eq!(
        out,
        vec![Outgoing::Close(CloseFrame::new(
            CloseCode(4401),
            "access token expired"
        ))]
    );
    assert_eq!(CloseReason::TokenExpired.code(), CloseCode(4401));
    assert_eq!(
        events,
        vec![SessionEvent::Closed(CloseReason::TokenExpired)]
    );
}

#[test]
fn commands_other_than_ping_are_activity() {
    let (mut s, now) = session();
    // Five minutes of Pongs only: alive, but idle.
    for i in 1..=10 {
        s.handle_pong(now + Duration::from_secs(30 * i), wall(UNIX))
            .unwrap();
    }
    let idle_at = now + Duration::from_secs(300);
    assert!(s.is_idle());
    assert_eq!(s.close_reason(), None);
    s.handle_text(idle_at, wall(UNIX + 300), r#"{"id":"1","cmd":"ping"}"#)
        .unwrap();
    assert!(s.is_idle(), "a ping is not activity");
    s.handle_text(idle_at, wall(UNIX + 300), r#"{"id":"2","cmd":"read"}"#)
        .unwrap();
    assert!(!s.is_idle());
    let (out, events) = drain(&mut s);
    assert_eq!(events, vec![SessionEvent::Idle, SessionEvent::Active]);
    assert_eq!(out.iter().filter(|o| **o == Outgoing::Ping).count(), 10);
}

/// A hub with alice on Cloudillo, alice on seed (subscribed to actions and presence) and bob
/// on Cloudillo.
struct Mixed {
    hub: Hub,
    now: Instant,
    alice_cl: SessionKey,
    alice_seed: SessionKey,
    bob_cl: SessionKey,
}

impl Mixed {
    fn new() -> Self {
        let now = Instant::now();
        let mut hub = Hub::new(HubConfig::default(), NoRelations);
        let alice_cl = hub
            .connect_with_dialect(now, wall(UNIX), "alice", "alice", "s1", Dialect::Cloudillo)
            .unwrap();
        let alice_seed = hub
            .connect(now, wall(UNIX), "alice", "alice", "s2")
            .unwrap();
        hub.handle_text(
            now,
            wall(UNIX),
            alice_seed,
            r#"{"type":"subscribe","events":["action","presence"]}"#,
        )
        .unwrap();
        let bob_cl = hub
            .connect_with_dialect(now, wall(UNIX), "bob", "bob", "s3", Dialect::Cloudillo)
            .unwrap();
        let mut mixed = Mixed {
            hub,
            now,
            alice_cl,
            alice_seed,
            bob_cl,
        };
        // Only alice's seed session got anything: its welcome.
        let t = mixed.transmits();
        assert!(t.iter().all(|t| t.recipients.as_slice() == [alice_seed]));
        mixed
    }

    fn transmits(&mut self) -> Vec<Transmit> {
        while self.hub.poll_event().is_some() {}
        std::iter::from_fn(|| self.hub.poll_transmit()).collect()
    }

    /// Every (recipient, JSON) pair written.
    fn written(&mut self) -> Vec<(SessionKey, Value)> {
        let mut out = Vec::new();
        for t in self.transmits() {
            if let Payload::Text(bytes) = &t.payload {
                let value: Value = serde_json::from_slice(bytes).unwrap();
                for key in t.recipients.as_slice() {
                    out.push((*key, value.clone()));
                }
            }
        }
        out
    }
}

#[test]
fn one_action_reaches_both_dialects_each_in_its_own_format() {
    let mut m = Mixed::new();
    let mut dm = post("bob");
    dm.action_type = ActionType::Msg;
    dm.audience = Some("alice".into());
    let participants = ["alice"];
    let route = ActionRoute {
        tenant: "bob",
        action: &dm,
        parent_owner: None,
        participants: &participants,
        recipient: None,
    };
    assert_eq!(m.hub.publish_action(&route), Ok(2));
    let transmits = m.transmits();
    assert_eq!(transmits.len(), 2, "one encoding per dialect");
    let mut written = Vec::new();
    for t in &transmits {
        let Payload::Text(bytes) = &t.payload else {
            panic!("{t:?}")
        };
        written.push((t.recipients.as_slice().to_vec(), bytes.clone()));
    }
    let (seed, cloudillo) = (&written[0], &written[1]);
    assert_eq!(seed.0, vec![m.alice_seed]);
    assert_eq!(
        ServerMessage::decode(&seed.1),
        Ok(ServerMessage::Action(dm.clone()))
    );
    assert_eq!(cloudillo.0, vec![m.alice_cl]);
    let frame = Frame::decode(&cloudillo.1).unwrap();
    assert_eq!(frame.cmd, Command::Action);
    assert_eq!(
        frame.data,
        json!({
            "actionId": "a1~xyz789",
            "type": "MSG",
            "issuer": {"idTag": "bob"},
            "audience": {"idTag": "alice"},
            "content": "hello",
            "createdAt": "2025-02-02T08:00:00Z",
            "status": "A",
        })
    );
}

#[test]
fn pushed_frames_get_fresh_ids() {
    let mut m = Mixed::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let action = post("alice");
        assert_eq!(m.hub.publish_action(&route_of(&action)), Ok(2));
        for (key, value) in m.written() {
            if key == m.alice_cl {
                ids.push(value["id"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(ids.len(), 3);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
}

fn route_of(action: &ActionNotice) -> ActionRoute<'_> {
    ActionRoute {
        tenant: &action.issuer,
        action,
        parent_owner: None,
        participants: &[],
        recipient: None,
    }
}

#[test]
fn cloudillo_sessions_see_only_their_users_actions() {
    let mut m = Mixed::new();
    // bob's own post goes to bob's sessions only (the seed's outbound rule for POST).
    let action = post("bob");
    assert_eq!(m.hub.publish_action(&route_of(&action)), Ok(1));
    let written = m.written();
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].0, m.bob_cl);
    assert_eq!(written[0].1["cmd"], "ACTION");
    // A publish to a user list reaches only those users.
    let message = ServerMessage::Action(post("carol"));
    assert_eq!(m.hub.publish(&message, Audience::User("carol")), Ok(0));
    assert_eq!(m.written(), vec![]);
}

#[test]
fn presence_and_typing_never_reach_a_cloudillo_session() {
    let mut m = Mixed::new();
    let message = ServerMessage::Presence(PresenceNotice {
        user: "bob".into(),
        status: PresenceStatus::Busy,
        activity: None,
        timestamp: UNIX,
    });
    assert_eq!(
        m.hub.publish(&message, Audience::Users(&["alice", "bob"])),
        Ok(1)
    );
    let written = m.written();
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].0, m.alice_seed);
    // A Cloudillo session's frames do not become typing indicators.
    m.hub
        .handle_text(
            m.now,
            wall(UNIX),
            m.bob_cl,
            r#"{"id":"t","cmd":"typing","data":{"recipient":"alice","conversation_id":"c"}}"#,
        )
        .unwrap();
    let written = m.written();
    assert_eq!(
        written,
        vec![(
            m.bob_cl,
            json!({"id":"t","cmd":"ack","data":{"status":"ok"}})
        )]
    );
}

#[test]
fn the_hub_pings_every_session_and_pongs_keep_them_open() {
    let mut m = Mixed::new();
    let keys = [m.alice_cl, m.alice_seed, m.bob_cl];
    let start = m.now;
    let mut pings = 0;
    while m.now < start + Duration::from_secs(600) {
        let Some(wake) = m.hub.poll_timeout() else {
            break;
        };
        m.now = wake;
        m.hub.handle_timeout(wake, wall(UNIX)).unwrap();
        for t in m.transmits() {
            match t.payload {
                Payload::Ping => {
                    for key in t.recipients.as_slice() {
                        pings += 1;
                        m.hub.handle_pong(m.now, wall(UNIX), *key).unwrap();
                    }
                }
                Payload::Close(reason) => panic!("closed: {reason:?}"),
                // Presence changes (away after 5 minutes) for the seed session.
                _ => {}
            }
        }
    }
    assert_eq!(pings, 3 * 20, "every 30 s for 10 minutes");
    for key in keys {
        assert!(m.hub.session(key).is_some());
    }
}

#[test]
fn unanswered_pings_close_a_cloudillo_session_with_4408() {
    let mut m = Mixed::new();
    let start = m.now;
    let mut closed = Vec::new();
    while m.now < start + Duration::from_secs(200) {
        let wake = m.hub.poll_timeout().unwrap();
        m.now = wake;
        m.hub.handle_timeout(wake, wall(UNIX)).unwrap();
        for t in m.transmits() {
            match t.payload {
                // Everyone answers except bob.
                Payload::Ping => {
                    for key in t.recipients.as_slice() {
                        if *key != m.bob_cl {
                            m.hub.handle_pong(m.now, wall(UNIX), *key).unwrap();
                        }
                    }
                }
                Payload::Close(frame) => {
                    closed.push((t.recipients.as_slice().to_vec(), frame.code, m.now - start));
                }
                _ => {}
            }
        }
    }
    assert_eq!(
        closed,
        vec![(vec![m.bob_cl], CloseCode(4408), Duration::from_secs(90))]
    );
    assert_eq!(CloseReason::Silent.code(), CloseCode(4408));
}
