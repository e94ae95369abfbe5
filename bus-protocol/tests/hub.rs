//! Hub behaviour under a virtual clock: caps, audiences, presence, typing, closes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::close::{CloseCode, CloseFrame};
use bus_protocol::hub::*;
use bus_protocol::message::*;
use bus_protocol::session::{CloseReason, SessionEvent};

const UNIX: i64 = 1_738_483_200;

type Rel = Box<dyn Fn(&str, &mut dyn FnMut(&str))>;

/// `watchers[subject]` = who may see `subject`'s presence.
fn relation(pairs: &[(&str, &[&str])]) -> Rel {
    let map: HashMap<String, Vec<String>> = pairs
        .iter()
        .map(|(s, ws)| {
            (
                (*s).to_owned(),
                ws.iter().map(|w| (*w).to_owned()).collect(),
            )
        })
        .collect();
    Box::new(move |subject: &str, visit: &mut dyn FnMut(&str)| {
        for w in map.get(subject).into_iter().flatten() {
            visit(w);
        }
    })
}

struct Harness<R: Relations> {
    hub: Hub<R>,
    now: Instant,
    next_id: u32,
}

impl<R: Relations> Harness<R> {
    fn new(config: HubConfig, relations: R) -> Self {
        Harness {
            hub: Hub::new(config, relations),
            now: Instant::now(),
            next_id: 0,
        }
    }

    fn connect(&mut self, tenant: &str, user: &str) -> Result<SessionKey, ConnectError> {
        self.next_id += 1;
        self.hub.connect(
            self.now,
            wall(UNIX),
            tenant,
            user,
            format!("sess_{}", self.next_id),
        )
    }

    /// Connects, drains the welcome, subscribes to `events`.
    fn join(&mut self, tenant: &str, user: &str, events: &str) -> SessionKey {
        let key = self.connect(tenant, user).unwrap();
        self.text(
            key,
            &format!(r#"{{"type":"subscribe","events":[{events}]}}"#),
        );
        self.drain();
        key
    }

    fn text(&mut self, key: SessionKey, json: &str) {
        self.hub
            .handle_text(self.now, wall(UNIX), key, json)
            .unwrap();
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.hub.handle_timeout(self.now, wall(UNIX)).unwrap();
    }

    fn drain(&mut self) -> (Vec<Transmit>, Vec<HubEvent>) {
        let t = std::iter::from_fn(|| self.hub.poll_transmit()).collect();
        let e = std::iter::from_fn(|| self.hub.poll_event()).collect();
        (t, e)
    }

    /// Every (recipient, message) pair queued, decoded from the shared bytes.
    fn deliveries(&mut self) -> Vec<(SessionKey, ServerMessage)> {
        let (transmits, _) = self.drain();
        let mut out = Vec::new();
        for t in transmits {
            if let Payload::Text(bytes) = &t.payload {
                let m = ServerMessage::decode(bytes).unwrap();
                for k in t.recipients.as_slice() {
                    out.push((*k, m.clone()));
                }
            }
        }
        out
    }
}

fn action(action_type: ActionType, issuer: &str, source: Option<ActionSource>) -> ActionNotice {
    ActionNotice {
        action_type,
        action_id: "a1~xyz789".into(),
        issuer: issuer.into(),
        content: Some("hello".into()),
        timestamp: UNIX,
        source,
        sub_type: None,
        parent_id: None,
        audience: None,
        status: None,
    }
}

fn route<'a>(tenant: &'a str, action: &'a ActionNotice) -> ActionRoute<'a> {
    ActionRoute {
        tenant,
        action,
        parent_owner: None,
        participants: &[],
        recipient: None,
    }
}

fn recipients(deliveries: &[(SessionKey, ServerMessage)]) -> Vec<SessionKey> {
    let mut keys: Vec<_> = deliveries.iter().map(|(k, _)| *k).collect();
    keys.sort();
    keys
}

fn sorted(mut keys: Vec<SessionKey>) -> Vec<SessionKey> {
    keys.sort();
    keys
}

#[test]
fn connect_sends_welcome_and_marks_the_user_online() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    assert!(!h.hub.is_online("alice"));
    let key = h.connect("alice.example.com", "alice").unwrap();
    let d = h.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, key);
    assert!(
        matches!(&d[0].1, ServerMessage::Welcome(w) if w.user == "alice" && w.session_id == "sess_1")
    );
    assert!(h.hub.is_online("alice"));
    assert_eq!(h.hub.tenant_of(key), Some("alice.example.com"));
    assert_eq!(h.hub.handle_end(h.now, wall(UNIX), key), Ok(()));
    assert!(!h.hub.is_online("alice"));
    assert_eq!(
        h.hub.handle_end(h.now, wall(UNIX), key),
        Err(HubError::Closed(key))
    );
}

#[test]
fn the_sixth_connection_of_a_user_is_refused() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let keys: Vec<_> = (0..5).map(|_| h.connect("t", "alice").unwrap()).collect();
    assert_eq!(
        h.connect("t", "alice"),
        Err(ConnectError::UserFull {
            user: "alice".into(),
            limit: 5
        })
    );
    // Other users are unaffected, and a freed place can be taken again.
    h.connect("t", "bob").unwrap();
    h.hub.handle_end(h.now, wall(UNIX), keys[0]).unwrap();
    h.connect("t", "alice").unwrap();
    assert_eq!(h.hub.sessions_of("alice").len(), 5);
}

#[test]
fn the_server_cap_is_enforced_and_configurable() {
    let config = HubConfig {
        max_connections: 3,
        ..HubConfig::default()
    };
    let mut h = Harness::new(config, NoRelations);
    for user in ["a", "b", "c"] {
        h.connect("t", user).unwrap();
    }
    assert_eq!(
        h.connect("t", "d"),
        Err(ConnectError::ServerFull { limit: 3 })
    );
    assert_eq!(h.hub.len(), 3);
}

#[test]
fn post_goes_to_the_creators_subscribed_sessions_only() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let a1 = h.join("t", "alice", r#""action""#);
    let a2 = h.join("t", "alice", r#""action""#);
    let _a3 = h.join("t", "alice", r#""typing""#);
    let _b = h.join("t", "bob", r#""action""#);
    let post = action(ActionType::Post, "alice", Some(ActionSource::Local));
    assert_eq!(h.hub.publish_action(&route("t", &post)), Ok(2));
    let (transmits, _) = h.drain();
    // Encoded once: one transmit, shared bytes, both recipients.
    assert_eq!(transmits.len(), 1);
    assert_eq!(
        sorted(transmits[0].recipients.as_slice().to_vec()),
        sorted(vec![a1, a2])
    );
    let Payload::Text(bytes) = &transmits[0].payload else {
        panic!()
    };
    assert_eq!(
        ServerMessage::decode(bytes).unwrap(),
        ServerMessage::Action(post)
    );
}

#[test]
fn msg_goes_to_every_participant() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let a = h.join("t1", "alice", r#""action""#);
    let b = h.join("t2", "bob", r#""action""#);
    let _c = h.join("t1", "carol", r#""action""#);
    let msg = action(ActionType::Msg, "alice", Some(ActionSource::Local));
    let participants = ["alice", "bob", "bob"];
    let r = ActionRoute {
        participants: &participants,
        ..route("t1", &msg)
    };
    assert_eq!(h.hub.publish_action(&r), Ok(2));
    assert_eq!(recipients(&h.deliveries()), sorted(vec![a, b]));
    assert_eq!(
        h.hub.publish_action(&route("t1", &msg)),
        Err(PublishError::Audience(AudienceError::MissingParticipants))
    );
}

#[test]
fn comments_and_reactions_go_to_the_parent_owner() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let _alice = h.join("t", "alice", r#""action""#);
    let bob = h.join("t", "bob", r#""action""#);
    for t in [ActionType::Cmnt, ActionType::React] {
        let n = action(t, "alice", None);
        let r = ActionRoute {
            parent_owner: Some("bob"),
            ..route("t", &n)
        };
        assert_eq!(h.hub.publish_action(&r), Ok(1));
        assert_eq!(recipients(&h.deliveries()), vec![bob]);
    }
}

#[test]
fn inbound_federated_actions_go_to_every_session_of_the_tenant() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let a = h.join("alice.example.com", "alice", r#""action""#);
    let g = h.join("alice.example.com", "guest", r#""action""#);
    let _other = h.join("bob.example.com", "bob", r#""action""#);
    let _unsubscribed = h.join("alice.example.com", "alice", r#""presence""#);
    let n = action(
        ActionType::Post,
        "bob.remote.com",
        Some(ActionSource::Federated),
    );
    assert_eq!(h.hub.publish_action(&route("alice.example.com", &n)), Ok(2));
    assert_eq!(recipients(&h.deliveries()), sorted(vec![a, g]));
}

#[test]
fn publishing_to_nobody_queues_nothing() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let n = action(ActionType::Post, "alice", None);
    assert_eq!(h.hub.publish_action(&route("t", &n)), Ok(0));
    assert!(h.drain().0.is_empty());
}

#[test]
fn presence_reaches_watchers_only() {
    let rel = relation(&[("alice", &["bob", "carol"])]);
    let mut h = Harness::new(HubConfig::default(), rel);
    let bob = h.join("t", "bob", r#""presence""#);
    let _carol_unsubscribed = h.join("t", "carol", r#""action""#);
    let _dave = h.join("t", "dave", r#""presence""#);
    h.advance(Duration::from_secs(2));
    h.drain();
    let alice = h.connect("t", "alice").unwrap();
    let d = h.deliveries();
    let to_bob: Vec<_> = d.iter().filter(|(k, _)| *k == bob).collect();
    assert_eq!(to_bob.len(), 1);
    assert!(
        matches!(&to_bob[0].1, ServerMessage::Presence(p) if p.user == "alice" && p.status == PresenceStatus::Online)
    );
    // Only the welcome to alice and the presence to bob.
    assert_eq!(recipients(&d), sorted(vec![alice, bob]));

    h.advance(Duration::from_secs(2));
    h.text(
        alice,
        r#"{"type":"presence","status":"busy","activity":"meeting"}"#,
    );
    let d = h.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, bob);
    assert_eq!(
        d[0].1,
        ServerMessage::Presence(PresenceNotice {
            user: "alice".into(),
            status: PresenceStatus::Busy,
            activity: Some("meeting".into()),
            timestamp: UNIX
        })
    );
}

#[test]
fn presence_is_throttled_per_user_across_sessions() {
    let rel = relation(&[("alice", &["bob"])]);
    let mut h = Harness::new(HubConfig::default(), rel);
    let bob = h.join("t", "bob", r#""presence""#);
    let a1 = h.connect("t", "alice").unwrap(); // online, broadcast at t
    let a2 = h.connect("t", "alice").unwrap();
    h.drain();
    h.advance(Duration::from_millis(100));
    h.text(a1, r#"{"type":"presence","status":"busy"}"#);
    h.advance(Duration::from_millis(100));
    h.text(a2, r#"{"type":"presence","status":"away"}"#);
    assert!(
        h.deliveries().is_empty(),
        "inside the first second nothing more goes out"
    );
    h.advance(Duration::from_millis(799));
    assert!(h.deliveries().is_empty());
    h.advance(Duration::from_millis(1));
    let d = h.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, bob);
    assert!(matches!(&d[0].1, ServerMessage::Presence(p) if p.status == PresenceStatus::Away));
}

#[test]
fn last_disconnect_announces_offline_and_reconnecting_cannot_bypass_the_throttle() {
    let rel = relation(&[("alice", &["bob"])]);
    let mut h = Harness::new(HubConfig::default(), rel);
    let _bob = h.join("t", "bob", r#""presence""#);
    let a = h.connect("t", "alice").unwrap();
    h.advance(Duration::from_secs(5));
    h.drain();
    h.hub.handle_end(h.now, wall(UNIX), a).unwrap();
    let (t, events) = h.drain();
    assert_eq!(t.len(), 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, HubEvent::Presence(p) if p.status == PresenceStatus::Offline))
    );
    // Back within the second: online is held until the interval ends.
    h.advance(Duration::from_millis(200));
    h.connect("t", "alice").unwrap();
    let statuses = |d: Vec<(SessionKey, ServerMessage)>| -> Vec<PresenceStatus> {
        d.into_iter()
            .filter_map(|(_, m)| match m {
                ServerMessage::Presence(p) => Some(p.status),
                _ => None,
            })
            .collect()
    };
    assert!(statuses(h.deliveries()).is_empty());
    h.advance(Duration::from_millis(800));
    assert_eq!(statuses(h.deliveries()), vec![PresenceStatus::Online]);
}

#[test]
fn a_user_is_away_when_all_their_sessions_are_idle() {
    let rel = relation(&[("alice", &["bob"])]);
    let mut h = Harness::new(HubConfig::default(), rel);
    let bob = h.join("t", "bob", r#""presence""#);
    let a1 = h.connect("t", "alice").unwrap();
    let a2 = h.connect("t", "alice").unwrap();
    h.drain();
    let presence_to_bob = |d: &[(SessionKey, ServerMessage)]| -> Vec<PresenceStatus> {
        d.iter()
            .filter_map(|(k, m)| match m {
                ServerMessage::Presence(p) if *k == bob => Some(p.status),
                _ => None,
            })
            .collect()
    };
    // a1 stays active, a2 only pings (which is not activity) and goes idle at 5 min.
    for _ in 0..11 {
        h.advance(Duration::from_secs(29));
        h.text(bob, r#"{"type":"ping"}"#);
        h.text(a1, r#"{"type":"subscribe","events":[]}"#);
        h.text(a2, r#"{"type":"ping"}"#);
    }
    assert!(h.hub.session(a2).unwrap().is_idle());
    assert!(presence_to_bob(&h.deliveries()).is_empty());
    // Once a1 is idle too (5 min after its last activity), watchers see away.
    let mut seen = Vec::new();
    for _ in 0..11 {
        h.advance(Duration::from_secs(29));
        for k in [bob, a1, a2] {
            h.text(k, r#"{"type":"ping"}"#);
        }
        seen.extend(presence_to_bob(&h.deliveries()));
    }
    assert_eq!(seen, vec![PresenceStatus::Away]);
    // Activity brings the user back online.
    h.advance(Duration::from_secs(2));
    h.text(a2, r#"{"type":"subscribe","events":["action"]}"#);
    assert_eq!(
        presence_to_bob(&h.deliveries()),
        vec![PresenceStatus::Online]
    );
}

#[test]
fn typing_reaches_the_recipients_typing_subscribers() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let alice = h.join("t", "alice", r#""typing""#);
    let bob1 = h.join("t", "bob", r#""typing""#);
    let _bob2 = h.join("t", "bob", r#""action""#);
    h.text(
        alice,
        r#"{"type":"typing","recipient":"bob","conversation_id":"conv_123"}"#,
    );
    let d = h.deliveries();
    assert_eq!(
        d,
        vec![(
            bob1,
            ServerMessage::Typing(TypingNotice {
                user: "alice".into(),
                conversation_id: "conv_123".into(),
                timestamp: UNIX
            })
        )]
    );
    h.advance(Duration::from_secs(5));
    let (_, events) = h.drain();
    assert!(events
        .iter()
        .any(|e| matches!(e, HubEvent::Session { key, event: SessionEvent::TypingStopped(_) } if *key == alice)));
}

struct NoTypingToBob;

impl Relations for NoTypingToBob {
    fn presence_watchers(&self, _: &str, _: &mut dyn FnMut(&str)) {}
    fn may_send_typing(&self, _from: &str, to: &str) -> bool {
        to != "bob"
    }
}

#[test]
fn typing_refused_by_the_relation_gets_e_ws_permission() {
    let mut h = Harness::new(HubConfig::default(), NoTypingToBob);
    let alice = h.join("t", "alice", r#""typing""#);
    let _bob = h.join("t", "bob", r#""typing""#);
    h.text(
        alice,
        r#"{"type":"typing","recipient":"bob","conversation_id":"c"}"#,
    );
    let d = h.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, alice);
    assert!(matches!(&d[0].1, ServerMessage::Error(e) if e.code == ErrorCode::Permission));
}

#[test]
fn a_session_closed_for_token_expiry_leaves_the_hub() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let key = h.join("t", "alice", r#""action""#);
    h.hub
        .set_token_expiry(key, Some(h.now + Duration::from_secs(10)))
        .unwrap();
    assert_eq!(h.hub.poll_timeout(), Some(h.now + Duration::from_secs(10)));
    h.advance(Duration::from_secs(10));
    let (transmits, events) = h.drain();
    assert_eq!(
        transmits.last().map(|t| &t.payload),
        Some(&Payload::Close(CloseFrame::new(
            CloseCode(4401),
            "access token expired"
        )))
    );
    assert!(events.contains(&HubEvent::Session {
        key,
        event: SessionEvent::Closed(CloseReason::TokenExpired)
    }));
    assert!(!h.hub.is_online("alice"));
    assert_eq!(
        h.hub.handle_text(h.now, wall(UNIX), key, "{}"),
        Err(HubError::Closed(key))
    );
    // The slot is reused with a new generation; the old key stays dead.
    let fresh = h.connect("t", "alice").unwrap();
    assert_ne!(fresh, key);
    assert!(h.hub.session(key).is_none());
}

#[test]
fn the_timer_heap_stays_proportional_to_the_sessions() {
    let mut h = Harness::new(HubConfig::default(), NoRelations);
    let a = h.join("t", "alice", r#""typing""#);
    for i in 0..500u64 {
        h.now += Duration::from_millis(700);
        h.text(
            a,
            &format!(
                r#"{{"type":"typing","recipient":"bob","conversation_id":"c{}"}}"#,
                i % 3
            ),
        );
        h.hub.handle_timeout(h.now, wall(UNIX)).unwrap();
        h.drain();
    }
    assert!(h.hub.heap_size() < 64 * 1024, "{}", h.hub.heap_size());
}
