//! Two connection machines wired back to back in memory, driven by a virtual clock.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use proptest::prelude::*;
use versia_ws::clock::ClockError;
use versia_ws::connection::{
    Acceptor, CloseCode, Config, Connection, ConnectionError, Event, HandshakeError, Initiator,
    LocalIdentity, RejectReason, Side, Transmit,
};
use versia_ws::replay::ReplayCache;
use versia_ws::{PrivateKey, SignedBy, SignerKey, VerifyError, Version, WebSocketMessage};

const T0: u64 = 1_729_243_417;

/// The wall clock at `unix` seconds.
fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// A virtual clock: a monotonic origin plus the unix time it stands for.
#[derive(Clone, Copy)]
struct Clock {
    origin: Instant,
    elapsed: Duration,
}

impl Clock {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            elapsed: Duration::ZERO,
        }
    }
    fn now(&self) -> Instant {
        self.origin + self.elapsed
    }
    fn wall(&self) -> SystemTime {
        at(T0) + self.elapsed
    }
    fn advance(&mut self, by: Duration) {
        self.elapsed += by;
    }
}

struct Instance {
    identity: LocalIdentity,
}

impl Instance {
    fn new(seed: u8, host: &str) -> Self {
        Self {
            identity: LocalIdentity {
                signer: SignedBy::instance(host),
                key: PrivateKey::from_seed(&[seed; 32]),
            },
        }
    }
    fn key_of(&self) -> SignerKey {
        SignerKey {
            signer: self.identity.signer.clone(),
            key: self.identity.key.public_key(),
        }
    }
}

type Conn = Connection<SignerKey, ReplayCache>;

/// Bob (initiator) connected to Alice (acceptor).
struct Pair {
    clock: Clock,
    bob: Conn,
    alice: Conn,
    bob_events: Vec<Event>,
    alice_events: Vec<Event>,
}

fn handshake(config: Config, bob: &Instance, alice: &Instance, clock: &Clock) -> Pair {
    let initiator = Initiator::new(
        config.clone(),
        bob.identity.clone(),
        alice.identity.signer.clone(),
    );
    let mut request = http::Request::get(initiator.path()).body(()).unwrap();
    *request.headers_mut() = initiator.request_headers(clock.wall()).unwrap();
    let acceptor = Acceptor::new(config, alice.identity.clone());
    let accepted = acceptor
        .accept(
            clock.now(),
            clock.wall(),
            &request,
            bob.key_of(),
            ReplayCache::default(),
        )
        .unwrap();
    let bob_conn = initiator
        .finish(
            clock.now(),
            clock.wall(),
            StatusCode::SWITCHING_PROTOCOLS,
            &accepted.response_headers,
            alice.key_of(),
        )
        .unwrap();
    assert_eq!(accepted.connection.peer(), &bob.identity.signer);
    assert_eq!(bob_conn.peer(), &alice.identity.signer);
    Pair {
        clock: *clock,
        bob: bob_conn,
        alice: accepted.connection,
        bob_events: Vec::new(),
        alice_events: Vec::new(),
    }
}

fn deliver(conn: &mut Conn, clock: &Clock, transmit: Transmit) {
    match transmit {
        Transmit::Text(text) => {
            // Frames that arrive while closing are discarded by the machine.
            conn.handle_text(clock.now(), clock.wall(), &text).ok();
        }
        Transmit::Close { code, reason } => {
            // A close reaching a side that already closed is refused; a host has dropped
            // that socket by then.
            match conn.handle_close(clock.now(), Some(code), reason) {
                Ok(()) | Err(ConnectionError::Closed) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        other => panic!("unexpected transmit {other:?}"),
    }
}

impl Pair {
    fn new(config: Config) -> Self {
        let clock = Clock::new();
        handshake(
            config,
            &Instance::new(1, "bob.example"),
            &Instance::new(2, "alice.example"),
            &clock,
        )
    }

    /// Moves frames both ways until both sides are quiet; collects events.
    fn run(&mut self) {
        loop {
            let now = self.clock.now();
            let from_bob: Vec<Transmit> =
                std::iter::from_fn(|| self.bob.poll_transmit(now)).collect();
            let from_alice: Vec<Transmit> =
                std::iter::from_fn(|| self.alice.poll_transmit(now)).collect();
            self.bob_events
                .extend(std::iter::from_fn(|| self.bob.poll_event(now)));
            self.alice_events
                .extend(std::iter::from_fn(|| self.alice.poll_event(now)));
            if from_bob.is_empty() && from_alice.is_empty() {
                break;
            }
            for transmit in from_bob {
                deliver(&mut self.alice, &self.clock, transmit);
            }
            for transmit in from_alice {
                deliver(&mut self.bob, &self.clock, transmit);
            }
        }
    }

    /// Advances the clock to the earliest timer of either side and fires it.
    fn fire_timers(&mut self) {
        let now = self.clock.now();
        let next = [self.bob.poll_timeout(now), self.alice.poll_timeout(now)]
            .into_iter()
            .flatten()
            .min()
            .expect("a timer is armed");
        if next > now {
            self.clock.advance(next - now);
        }
        let now = self.clock.now();
        self.bob.handle_timeout(now).unwrap();
        self.alice.handle_timeout(now).unwrap();
        self.run();
    }
}

fn note(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"Note","created_at":"2024-10-18T09:23:37Z","author":"bob","attachments":[],"is_sensitive":false,"mentions":[],"previews":[]}}"#
    )
}

#[test]
fn entities_are_verified_and_acknowledged_with_their_id() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let sent: Vec<_> = ["n1", "n2", "n3"]
        .iter()
        .map(|id| pair.bob.send_entity(now, wall, note(id)).unwrap())
        .collect();
    assert_eq!(pair.bob.unacked(), 3);
    pair.run();
    let received: Vec<_> = pair
        .alice_events
        .iter()
        .map(|event| match event {
            Event::Received(received) => {
                assert_eq!(received.verified.signer, SignedBy::instance("bob.example"));
                assert!(matches!(
                    received.entity().unwrap(),
                    versia_ws::entity::Entity::Note(_)
                ));
                received.id.clone().unwrap()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(received, ["n1", "n2", "n3"]);
    let delivered: Vec<_> = pair
        .bob_events
        .iter()
        .map(|event| match event {
            Event::Delivered { signature, id } => (*signature, id.clone().unwrap()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        delivered,
        sent.into_iter()
            .zip(["n1", "n2", "n3"].map(String::from))
            .collect::<Vec<_>>()
    );
    assert_eq!(pair.bob.unacked(), 0);
    assert_eq!(pair.bob.poll_timeout(pair.clock.now()), None);
}

#[test]
fn transient_entities_are_acknowledged_with_null_id_and_both_directions_work() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let follow = r#"{"type":"Follow","created_at":"2024-10-18T09:23:37Z","author":"alice","followee":"bob.example:bob"}"#;
    pair.alice.send_entity(now, wall, follow).unwrap();
    pair.run();
    assert!(matches!(&pair.bob_events[..], [Event::Received(received)] if received.id.is_none()));
    assert!(matches!(
        &pair.alice_events[..],
        [Event::Delivered { id: None, .. }]
    ));
}

#[test]
fn an_instance_signs_only_for_its_own_users() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let by = |author: &str| {
        format!(
            r#"{{"id":"{author}","type":"Note","created_at":"2024-10-18T09:23:37Z","author":"{author}","mentions":["eve.example:eve"]}}"#
        )
    };
    // bob.example's own users (bare or qualified) pass; alice's own users and a third
    // instance's are refused with 403 `foreign_author`. The mention of eve.example is only a
    // reference and refuses nothing.
    let authors = [
        "bob",
        "bob.example:carol",
        "alice.example:alice",
        "eve.example:eve",
    ];
    let sent: Vec<_> = authors
        .iter()
        .map(|author| pair.bob.send_entity(now, wall, by(author)).unwrap())
        .collect();
    pair.run();
    let verdicts: Vec<String> = pair
        .alice_events
        .iter()
        .map(|event| match event {
            Event::Received(received) => format!("received {}", received.id.as_deref().unwrap()),
            Event::Rejected { reason, signature } => {
                assert_eq!(reason.status(), 403);
                assert!(sent.contains(signature.as_ref().unwrap()));
                format!("rejected {}", reason.code())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            "received bob",
            "received bob.example:carol",
            "rejected foreign_author",
            "rejected foreign_author",
        ]
    );
    // The sender sees the refusals as error replies to its messages.
    let refused: Vec<_> = pair
        .bob_events
        .iter()
        .filter_map(|event| match event {
            Event::Refused {
                signature,
                status,
                code,
                message,
            } => {
                assert!(message.contains("is not a user of"), "{message}");
                Some((signature.unwrap(), *status, code.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        refused,
        [
            (sent[2], 403, "foreign_author".to_owned()),
            (sent[3], 403, "foreign_author".to_owned()),
        ]
    );
}

#[test]
fn burst_with_bad_messages_rejects_exactly_those() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let bob = Instance::new(1, "bob.example");
    let path = Version::V0_6.ws_path();
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let mut frames = Vec::new();
    for index in 0..40 {
        let mut message = WebSocketMessage::sign(
            &bob.identity.key,
            &bob.identity.signer,
            Version::V0_6,
            path,
            at(T0),
            note(&format!("b{index}")),
        )
        .unwrap();
        if index % 13 == 5 {
            message.entity = message.entity.replace("bob", "eve");
        }
        frames.push(message.encode());
    }
    for frame in &frames {
        pair.alice.handle_text(now, wall, frame).unwrap();
    }
    // The frames did not come from Bob's machine, so only Alice is drained.
    let acks = std::iter::from_fn(|| pair.alice.poll_transmit(now)).count();
    assert_eq!(acks, 40);
    pair.alice_events
        .extend(std::iter::from_fn(|| pair.alice.poll_event(now)));
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for event in &pair.alice_events {
        match event {
            Event::Received(received) => accepted.push(received.id.clone().unwrap()),
            Event::Rejected {
                reason: RejectReason::Verify(VerifyError::SignatureMismatch),
                signature: Some(_),
            } => refused.push(()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(refused.len(), 3);
    let expected: Vec<String> = (0..40)
        .filter(|index| index % 13 != 5)
        .map(|index| format!("b{index}"))
        .collect();
    assert_eq!(accepted, expected);
}

#[test]
fn handshake_refusals_have_their_status() {
    let clock = Clock::new();
    let bob = Instance::new(1, "bob.example");
    let alice = Instance::new(2, "alice.example");
    let config = Config::new(Version::V0_6);
    let initiator = Initiator::new(
        config.clone(),
        bob.identity.clone(),
        alice.identity.signer.clone(),
    );
    let acceptor = Acceptor::new(config.clone(), alice.identity.clone());
    let signed_request = |method: &str, path: &str, unix: u64| {
        let wall = at(unix);
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap();
        *request.headers_mut() = initiator.request_headers(wall).unwrap();
        request
    };
    let status = |request: &http::Request<()>, cache: &mut ReplayCache| {
        acceptor
            .accept(
                clock.now(),
                clock.wall(),
                request,
                bob.key_of(),
                &mut *cache,
            )
            .err()
            .map(|rejection| rejection.status)
    };
    let mut cache = ReplayCache::default();
    assert_eq!(
        status(&signed_request("POST", "/.versia/v0.6/ws", T0), &mut cache),
        Some(StatusCode::METHOD_NOT_ALLOWED)
    );
    assert_eq!(
        status(&signed_request("GET", "/.versia/v0.5/ws", T0), &mut cache),
        Some(StatusCode::NOT_FOUND)
    );
    assert_eq!(
        status(
            &signed_request("GET", "/.versia/v0.6/ws", T0 - 301),
            &mut cache
        ),
        Some(StatusCode::UNPROCESSABLE_ENTITY)
    );
    assert_eq!(
        status(
            &http::Request::get("/.versia/v0.6/ws").body(()).unwrap(),
            &mut cache
        ),
        Some(StatusCode::UNAUTHORIZED)
    );
    // A key from the wrong owner.
    let good = signed_request("GET", "/.versia/v0.6/ws", T0);
    let wrong = acceptor
        .accept(clock.now(), clock.wall(), &good, alice.key_of(), &mut cache)
        .unwrap_err();
    assert!(matches!(
        wrong.error,
        HandshakeError::Verify(VerifyError::WrongKey { .. })
    ));
    // Accepted once, the same upgrade is a replay.
    assert_eq!(status(&good, &mut cache), None);
    assert_eq!(status(&good, &mut cache), Some(StatusCode::UNAUTHORIZED));

    // A 0.5 user may not open a connection.
    let config05 = Config::new(Version::V0_5);
    let user = LocalIdentity {
        signer: SignedBy::user("https://bob.example/users/1"),
        key: bob.identity.key.clone(),
    };
    let user_initiator =
        Initiator::new(config05.clone(), user, SignedBy::instance("alice.example"));
    let mut request = http::Request::get("/.versia/v0.5/ws").body(()).unwrap();
    *request.headers_mut() = user_initiator.request_headers(clock.wall()).unwrap();
    let refused = Acceptor::new(config05, alice.identity.clone())
        .accept(
            clock.now(),
            clock.wall(),
            &request,
            bob.key_of(),
            ReplayCache::default(),
        )
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The initiator checks the 101 and who signed it.
    let eve = Instance::new(3, "eve.example");
    let eve_acceptor = Acceptor::new(config.clone(), eve.identity.clone());
    let request = signed_request("GET", "/.versia/v0.6/ws", T0 + 1);
    let eve_answer = eve_acceptor
        .accept(
            clock.now(),
            clock.wall() + Duration::from_secs(1),
            &request,
            bob.key_of(),
            ReplayCache::default(),
        )
        .unwrap();
    let fresh = || {
        Initiator::new(
            config.clone(),
            bob.identity.clone(),
            alice.identity.signer.clone(),
        )
    };
    let unexpected = fresh()
        .finish(
            clock.now(),
            clock.wall() + Duration::from_secs(1),
            StatusCode::SWITCHING_PROTOCOLS,
            &eve_answer.response_headers,
            eve.key_of(),
        )
        .unwrap_err();
    assert!(matches!(unexpected, HandshakeError::UnexpectedPeer { .. }));
    let refused = fresh()
        .finish(
            clock.now(),
            clock.wall(),
            StatusCode::UNAUTHORIZED,
            &http::HeaderMap::new(),
            alice.key_of(),
        )
        .unwrap_err();
    assert_eq!(refused, HandshakeError::Refused { status: 401 });
}

#[test]
fn rate_limit_then_ack_timeout() {
    let mut config = Config::new(Version::V0_6);
    config.limits.rate_per_second = 1;
    config.limits.rate_burst = 2;
    config.limits.ack_timeout = Duration::from_secs(10);
    let mut pair = Pair::new(config);
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let sent: Vec<_> = ["r1", "r2", "r3", "r4"]
        .iter()
        .map(|id| pair.bob.send_entity(now, wall, note(id)).unwrap())
        .collect();
    pair.run();
    let delivered: Vec<_> = pair
        .bob_events
        .iter()
        .filter_map(|e| match e {
            Event::Delivered { signature, .. } => Some(*signature),
            _ => None,
        })
        .collect();
    let limited: Vec<_> = pair
        .bob_events
        .iter()
        .filter_map(|e| match e {
            Event::Refused {
                status: 429,
                signature: Some(signature),
                code,
                ..
            } if code == "rate_limited" => Some(*signature),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, sent[..2]);
    assert_eq!(limited, sent[2..]);
    assert_eq!(pair.bob.unacked(), 0);

    // A message whose frame is lost times out.
    pair.bob_events.clear();
    let lost = pair.bob.send_entity(now, wall, note("r5")).unwrap();
    assert!(matches!(
        pair.bob.poll_transmit(now),
        Some(Transmit::Text(_))
    ));
    pair.fire_timers();
    assert_eq!(pair.clock.elapsed, Duration::from_secs(10));
    assert_eq!(
        pair.bob_events,
        [Event::DeliveryTimedOut { signature: lost }]
    );

    // The bucket refilled meanwhile.
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    pair.bob.send_entity(now, wall, note("r6")).unwrap();
    pair.run();
    assert!(matches!(
        pair.bob_events.last(),
        Some(Event::Delivered { .. })
    ));
}

#[test]
fn signer_must_belong_to_the_peer() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let eve = Instance::new(3, "eve.example");
    let now = pair.clock.now();
    let forged = WebSocketMessage::sign(
        &eve.identity.key,
        &eve.identity.signer,
        Version::V0_6,
        Version::V0_6.ws_path(),
        at(T0),
        note("e1"),
    )
    .unwrap();
    pair.bob.send_message(now, &forged).unwrap();
    pair.run();
    assert!(matches!(
        &pair.alice_events[..],
        [Event::Rejected {
            reason: RejectReason::SignerNotPeer { .. },
            ..
        }]
    ));
    assert!(matches!(
        &pair.bob_events[..],
        [Event::Refused {
            status: 403,
            signature: Some(_),
            ..
        }]
    ));
}

#[test]
fn v05_user_signers_on_the_peer_host() {
    let clock = Clock::new();
    let bob = Instance::new(1, "bob.example");
    let alice = Instance::new(2, "alice.example");
    let user_key = PrivateKey::from_seed(&[7; 32]);
    let user = SignedBy::user("https://bob.example/users/7");
    let config = Config::new(Version::V0_5);
    let initiator = Initiator::new(
        config.clone(),
        bob.identity.clone(),
        alice.identity.signer.clone(),
    );
    let mut request = http::Request::get("/.versia/v0.5/ws").body(()).unwrap();
    *request.headers_mut() = initiator.request_headers(clock.wall()).unwrap();
    let user_public = user_key.public_key();
    let bob_public = bob.identity.key.public_key();
    let (user_clone, bob_signer) = (user.clone(), bob.identity.signer.clone());
    let resolver = move |signer: &SignedBy| -> Option<SignerKey> {
        if signer == &user_clone {
            Some(SignerKey {
                signer: signer.clone(),
                key: user_public.clone(),
            })
        } else if signer == &bob_signer {
            Some(SignerKey {
                signer: signer.clone(),
                key: bob_public.clone(),
            })
        } else {
            None
        }
    };
    let mut accepted = Acceptor::new(config, alice.identity.clone())
        .accept(
            clock.now(),
            clock.wall(),
            &request,
            resolver,
            ReplayCache::default(),
        )
        .unwrap();
    let by_user = WebSocketMessage::sign(
        &user_key,
        &user,
        Version::V0_5,
        "/.versia/v0.5/ws",
        at(T0),
        note("u1"),
    )
    .unwrap();
    let elsewhere = WebSocketMessage::sign(
        &user_key,
        &SignedBy::user("https://eve.example/users/7"),
        Version::V0_5,
        "/.versia/v0.5/ws",
        at(T0),
        note("u2"),
    )
    .unwrap();
    let unknown = WebSocketMessage::sign(
        &user_key,
        &SignedBy::user("https://bob.example/users/8"),
        Version::V0_5,
        "/.versia/v0.5/ws",
        at(T0),
        note("u3"),
    )
    .unwrap();
    let conn = &mut accepted.connection;
    for message in [&by_user, &elsewhere, &unknown] {
        conn.handle_text(clock.now(), clock.wall(), &message.encode())
            .unwrap();
    }
    let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event(clock.now())).collect();
    assert!(matches!(&events[0], Event::Received(received) if received.verified.signer == user));
    assert!(matches!(
        &events[1],
        Event::Rejected {
            reason: RejectReason::SignerNotPeer { .. },
            ..
        }
    ));
    assert!(matches!(
        &events[2],
        Event::Rejected {
            reason: RejectReason::Verify(VerifyError::UnknownSigner { .. }),
            ..
        }
    ));
}

#[test]
fn oversized_and_binary_frames_close_the_connection() {
    let mut config = Config::new(Version::V0_6);
    config.limits.max_message_bytes = 256;
    let mut pair = Pair::new(config.clone());
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    pair.alice.handle_text(now, wall, &"x".repeat(257)).unwrap();
    pair.run();
    assert!(pair.alice.is_closed() && pair.bob.is_closed());
    assert!(matches!(
        pair.alice_events.last(),
        Some(Event::Closed {
            code: CloseCode::MESSAGE_TOO_BIG,
            initiated_by: Side::Local,
            ..
        })
    ));
    assert!(matches!(
        pair.bob_events.last(),
        Some(Event::Closed {
            code: CloseCode::MESSAGE_TOO_BIG,
            initiated_by: Side::Peer,
            ..
        })
    ));
    assert_eq!(
        pair.alice.handle_text(now, wall, "{}"),
        Err(ConnectionError::Closed)
    );

    let mut pair = Pair::new(config);
    pair.bob.handle_binary(pair.clock.now()).unwrap();
    pair.run();
    assert!(matches!(
        pair.alice_events.last(),
        Some(Event::Closed {
            code: CloseCode::UNSUPPORTED_DATA,
            ..
        })
    ));
}

#[test]
fn too_many_refusals_in_a_row_close_with_policy_violation() {
    let mut config = Config::new(Version::V0_6);
    config.limits.max_consecutive_rejections = 3;
    let mut pair = Pair::new(config);
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    for _ in 0..5 {
        pair.alice.handle_text(now, wall, "not json").unwrap();
    }
    pair.run();
    let rejected = pair
        .alice_events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Rejected {
                    reason: RejectReason::Malformed(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(rejected, 3, "frames after the close started are discarded");
    assert!(matches!(
        pair.alice_events.last(),
        Some(Event::Closed {
            code: CloseCode::POLICY_VIOLATION,
            ..
        })
    ));
    // The peer's error replies were reported and never answered.
    assert_eq!(
        pair.bob_events
            .iter()
            .filter(|e| matches!(e, Event::Refused { status: 400, .. }))
            .count(),
        3
    );
}

#[test]
fn closing_handshake_and_its_timeout() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    pair.bob.close(pair.clock.now(), CloseCode::NORMAL, "bye");
    pair.run();
    assert!(matches!(
        pair.bob_events.last(),
        Some(Event::Closed {
            initiated_by: Side::Local,
            code: CloseCode::NORMAL,
            ..
        })
    ));
    assert!(matches!(
        pair.alice_events.last(),
        Some(Event::Closed {
            initiated_by: Side::Peer,
            code: CloseCode::NORMAL,
            ..
        })
    ));

    // The peer never answers: the close completes after close_timeout.
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let now = pair.clock.now();
    pair.bob.close(now, CloseCode::NORMAL, "bye");
    assert!(matches!(
        pair.bob.poll_transmit(now),
        Some(Transmit::Close {
            code: CloseCode::NORMAL,
            ..
        })
    ));
    assert_eq!(
        pair.bob.poll_timeout(now),
        Some(now + Duration::from_secs(5))
    );
    pair.bob
        .handle_timeout(now + Duration::from_secs(4))
        .unwrap();
    assert!(!pair.bob.is_closed());
    pair.bob
        .handle_timeout(now + Duration::from_secs(5))
        .unwrap();
    assert!(pair.bob.is_closed());
}

#[test]
fn timer_bookkeeping_stays_bounded_under_steady_traffic() {
    let mut config = Config::new(Version::V0_6);
    config.limits.max_unacked = 4;
    config.limits.rate_per_second = 1000;
    config.limits.rate_burst = 1000;
    let mut pair = Pair::new(config);
    // One message is lost and stays unacknowledged; hundreds of others are acknowledged.
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let lost = pair.bob.send_entity(now, wall, note("lost")).unwrap();
    assert!(pair.bob.poll_transmit(now).is_some());
    for index in 0..300 {
        pair.clock.advance(Duration::from_millis(10));
        let (now, wall) = (pair.clock.now(), pair.clock.wall());
        pair.bob
            .send_entity(now, wall, note(&format!("m{index}")))
            .unwrap();
        pair.run();
    }
    assert_eq!(pair.bob.unacked(), 1);
    pair.bob_events.clear();
    pair.fire_timers();
    assert_eq!(
        pair.bob_events,
        [Event::DeliveryTimedOut { signature: lost }]
    );
    assert_eq!(pair.bob.poll_timeout(pair.clock.now()), None);
}

/// Bob sends the notes `{prefix}0` to `{prefix}{count - 1}`, each accepted.
fn bob_sends(pair: &mut Pair, prefix: &str, count: usize) {
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    for index in 0..count {
        pair.bob
            .send_entity(now, wall, note(&format!("{prefix}{index}")))
            .unwrap();
    }
}

#[test]
fn a_full_output_queue_refuses_input_without_consuming_it() {
    let mut config = Config::new(Version::V0_6);
    config.limits.max_queued_outputs = 8;
    let mut pair = Pair::new(config);
    // Bob's own queue: eight frames wait, the ninth send is refused until he drains.
    bob_sends(&mut pair, "q", 8);
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    assert_eq!(
        pair.bob.send_entity(now, wall, note("q8")),
        Err(ConnectionError::Backpressure { limit: 8 })
    );
    assert_eq!(pair.bob.unacked(), 8, "the refused message was not queued");
    let frames: Vec<String> = std::iter::from_fn(|| pair.bob.poll_transmit(now))
        .map(|transmit| match transmit {
            Transmit::Text(text) => text,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(frames.len(), 8);
    assert!(pair.bob.send_entity(now, wall, note("q8")).is_ok());

    // Alice's queue: each waiting message counts for its ack and its event, so the fifth
    // frame is refused while four wait, and accepted once she drained.
    for frame in &frames[..4] {
        pair.alice.handle_text(now, wall, frame).unwrap();
    }
    assert_eq!(
        pair.alice.handle_text(now, wall, &frames[4]),
        Err(ConnectionError::Backpressure { limit: 8 })
    );
    let acks = std::iter::from_fn(|| pair.alice.poll_transmit(now)).count();
    let received: Vec<Option<String>> = std::iter::from_fn(|| pair.alice.poll_event(now))
        .map(|event| match event {
            Event::Received(received) => received.id,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(acks, 4);
    assert_eq!(
        received,
        ["q0", "q1", "q2", "q3"].map(|id| Some(id.to_owned()))
    );
    pair.alice.handle_text(now, wall, &frames[4]).unwrap();
    assert!(matches!(
        pair.alice.poll_event(now),
        Some(Event::Received(received)) if received.id.as_deref() == Some("q4")
    ));
}

#[test]
fn unacknowledged_messages_are_bounded_until_the_peer_acknowledges() {
    let mut config = Config::new(Version::V0_6);
    config.limits.max_unacked = 3;
    let mut pair = Pair::new(config);
    bob_sends(&mut pair, "u", 3);
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    assert_eq!(
        pair.bob.send_entity(now, wall, note("u3")),
        Err(ConnectionError::Unacknowledged { limit: 3 })
    );
    assert_eq!(pair.bob.unacked(), 3);
    pair.run();
    assert_eq!(pair.bob.unacked(), 0);
    assert!(pair.bob.send_entity(now, wall, note("u3")).is_ok());
}

#[test]
fn the_end_of_the_transport_closes_with_1006() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    pair.bob.send_entity(now, wall, note("e1")).unwrap();
    let Some(Transmit::Text(frame)) = pair.bob.poll_transmit(now) else {
        panic!("a frame to send")
    };
    pair.alice.handle_text(now, wall, &frame).unwrap();
    pair.alice.handle_end(now).unwrap();
    // What arrived before the end is still verified and reported; its ack cannot leave.
    assert_eq!(pair.alice.poll_transmit(now), None);
    let events: Vec<Event> = std::iter::from_fn(|| pair.alice.poll_event(now)).collect();
    assert!(
        matches!(
            events.as_slice(),
            [
                Event::Received(received),
                Event::Closed { code: CloseCode::ABNORMAL, initiated_by: Side::Peer, reason },
            ] if received.id.as_deref() == Some("e1") && reason.is_empty()
        ),
        "{events:?}"
    );
    assert_eq!(pair.alice.handle_end(now), Err(ConnectionError::Closed));

    // Our close was waiting for its echo when the transport ended.
    pair.bob.close(now, CloseCode::GOING_AWAY, "bye");
    pair.bob.handle_end(now).unwrap();
    assert_eq!(pair.bob.poll_transmit(now), None);
    assert!(matches!(
        pair.bob.poll_event(now),
        Some(Event::Closed {
            code: CloseCode::ABNORMAL,
            initiated_by: Side::Local,
            ..
        })
    ));
    assert!(pair.bob.is_closed());
}

#[test]
fn an_unusable_wall_clock_is_refused_without_consuming_input() {
    let mut pair = Pair::new(Config::new(Version::V0_6));
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let before_epoch = UNIX_EPOCH - Duration::from_secs(1);
    let too_late = UNIX_EPOCH + Duration::from_secs(versia_ws::clock::MAX_UNIX_SECONDS + 1);
    assert_eq!(
        pair.bob.send_entity(now, too_late, note("c1")),
        Err(ConnectionError::Clock(ClockError::TooFarAhead {
            seconds: versia_ws::clock::MAX_UNIX_SECONDS + 1,
            limit: versia_ws::clock::MAX_UNIX_SECONDS,
        }))
    );
    assert_eq!((pair.bob.unacked(), pair.bob.poll_transmit(now)), (0, None));
    pair.bob.send_entity(now, wall, note("c1")).unwrap();
    let Some(Transmit::Text(frame)) = pair.bob.poll_transmit(now) else {
        panic!("a frame to send")
    };
    assert_eq!(
        pair.alice.handle_text(now, before_epoch, &frame),
        Err(ConnectionError::Clock(ClockError::BeforeEpoch))
    );
    assert_eq!(pair.alice.poll_event(now), None);
    pair.alice.handle_text(now, wall, &frame).unwrap();
    assert!(matches!(
        pair.alice.poll_event(now),
        Some(Event::Received(_))
    ));

    let config = Config::new(Version::V0_6);
    let bob = Instance::new(1, "bob.example");
    let alice = Instance::new(2, "alice.example");
    let initiator = Initiator::new(
        config.clone(),
        bob.identity.clone(),
        alice.identity.signer.clone(),
    );
    assert_eq!(
        initiator.request_headers(before_epoch).unwrap_err(),
        HandshakeError::Clock(ClockError::BeforeEpoch)
    );
    let request = http::Request::get(initiator.path()).body(()).unwrap();
    let refused = Acceptor::new(config, alice.identity)
        .accept(
            now,
            before_epoch,
            &request,
            bob.key_of(),
            ReplayCache::default(),
        )
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// How a test drives one side of a connection to closed.
#[derive(Debug, Clone)]
enum Ending {
    /// We close with this code; the peer echoes.
    LocalClose(u16),
    /// The peer's Close frame (with this code, or without a body).
    PeerClose(Option<u16>),
    /// The transport ends.
    End,
    /// A binary frame from the peer; the peer echoes our 1003.
    Binary,
    /// An oversized frame, then the transport ends.
    OversizedThenEnd,
    /// We close and the peer never answers.
    CloseTimesOut,
}

/// An input handed to a closed connection.
#[derive(Debug, Clone)]
enum Input {
    Text(String, u64),
    SignedByPeer(u64),
    TextBeforeEpoch(String),
    Binary,
    Close(Option<u16>, String),
    End,
    Timeout(u64),
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        any::<u16>().prop_map(Ending::LocalClose),
        proptest::option::of(any::<u16>()).prop_map(Ending::PeerClose),
        Just(Ending::End),
        Just(Ending::Binary),
        Just(Ending::OversizedThenEnd),
        Just(Ending::CloseTimesOut),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (".{0,64}", 0u64..1_000_000).prop_map(|(text, secs)| Input::Text(text, secs)),
        (0u64..600).prop_map(Input::SignedByPeer),
        ".{0,16}".prop_map(Input::TextBeforeEpoch),
        Just(Input::Binary),
        (proptest::option::of(any::<u16>()), ".{0,16}")
            .prop_map(|(code, reason)| Input::Close(code, reason)),
        Just(Input::End),
        (0u64..100_000).prop_map(Input::Timeout),
    ]
}

/// Drives `side` (Bob, the initiator, or Alice, the acceptor) to closed by `ending`, after it
/// sent `traffic` entities, and returns its last event.
fn close_one_side(pair: &mut Pair, initiator: bool, traffic: usize, ending: &Ending) -> Event {
    let (now, wall) = (pair.clock.now(), pair.clock.wall());
    let limits = Config::new(Version::V0_6).limits;
    let (conn, peer) = if initiator {
        (&mut pair.bob, &mut pair.alice)
    } else {
        (&mut pair.alice, &mut pair.bob)
    };
    for index in 0..traffic {
        conn.send_entity(now, wall, note(&format!("t{index}")))
            .unwrap();
    }
    match ending {
        Ending::LocalClose(code) => conn.close(now, CloseCode(*code), "done"),
        Ending::PeerClose(None) => conn.handle_close(now, None, "").unwrap(),
        Ending::PeerClose(Some(code)) => peer.close(now, CloseCode(*code), "done"),
        Ending::End => conn.handle_end(now).unwrap(),
        Ending::Binary => conn.handle_binary(now).unwrap(),
        Ending::OversizedThenEnd => {
            let huge = "x".repeat(limits.max_message_bytes + 1);
            conn.handle_text(now, wall, &huge).unwrap();
            conn.handle_end(now).unwrap();
        }
        Ending::CloseTimesOut => {
            conn.close(now, CloseCode::NORMAL, "done");
            while conn.poll_transmit(now).is_some() {}
            conn.handle_timeout(now + limits.close_timeout).unwrap();
        }
    }
    pair.run();
    let events = if initiator {
        &pair.bob_events
    } else {
        &pair.alice_events
    };
    events.last().cloned().expect("the side reported events")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever closed it, a closed connection (in either role) refuses every input with
    /// `Closed` and queues nothing.
    #[test]
    fn every_input_after_close_is_refused(
        initiator in any::<bool>(),
        traffic in 0usize..3,
        ending in ending(),
        inputs in proptest::collection::vec(input(), 1..12),
    ) {
        let mut pair = Pair::new(Config::new(Version::V0_6));
        let last = close_one_side(&mut pair, initiator, traffic, &ending);
        prop_assert!(matches!(last, Event::Closed { .. }), "{:?}", last);
        // The other side, which signed what the closed one receives.
        let signer = if initiator {
            Instance::new(2, "alice.example")
        } else {
            Instance::new(1, "bob.example")
        };
        let frames: Vec<Option<String>> = inputs
            .iter()
            .map(|input| match input {
                Input::SignedByPeer(secs) => Some(
                    WebSocketMessage::sign(
                        &signer.identity.key,
                        &signer.identity.signer,
                        Version::V0_6,
                        Version::V0_6.ws_path(),
                        at(T0 + secs),
                        note("late"),
                    )
                    .unwrap()
                    .encode(),
                ),
                _ => None,
            })
            .collect();
        let now = pair.clock.now();
        let conn = if initiator { &mut pair.bob } else { &mut pair.alice };
        prop_assert!(conn.is_closed());
        for (input, frame) in inputs.iter().zip(&frames) {
            let outcome = match (input, frame) {
                (Input::Text(text, secs), _) => {
                    let wall = UNIX_EPOCH + Duration::from_secs(T0 + secs);
                    conn.handle_text(now, wall, text)
                }
                (Input::SignedByPeer(secs), Some(frame)) => {
                    let wall = UNIX_EPOCH + Duration::from_secs(T0 + secs);
                    conn.handle_text(now, wall, frame)
                }
                (Input::TextBeforeEpoch(text), _) => {
                    conn.handle_text(now, UNIX_EPOCH - Duration::from_secs(1), text)
                }
                (Input::Binary, _) => conn.handle_binary(now),
                (Input::Close(code, reason), _) => {
                    conn.handle_close(now, code.map(CloseCode), reason.clone())
                }
                (Input::End, _) => conn.handle_end(now),
                (Input::Timeout(ms), _) => conn.handle_timeout(now + Duration::from_millis(*ms)),
                (Input::SignedByPeer(_), None) => unreachable!("a frame was signed"),
            };
            prop_assert_eq!(outcome, Err(ConnectionError::Closed), "{:?}", input);
        }
        prop_assert_eq!(
            conn.send_entity(now, UNIX_EPOCH + Duration::from_secs(T0), note("x")),
            Err(ConnectionError::Closed)
        );
        prop_assert_eq!(conn.poll_transmit(now), None);
        prop_assert_eq!(conn.poll_event(now), None);
        prop_assert_eq!(conn.poll_timeout(now), None);
    }
}
