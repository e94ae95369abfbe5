//! The client machine against a real hub, in memory, with a virtual clock.

use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::backoff::BackoffConfig;
use bus_protocol::client::*;
use bus_protocol::close::{CloseCode, CloseFrame};
use bus_protocol::hub::*;
use bus_protocol::message::*;

const UNIX0: i64 = 1_738_483_200;

struct Pair {
    client: Client,
    hub: Hub,
    key: Option<SessionKey>,
    t0: Instant,
    now: Instant,
    /// Whether the server accepts connections.
    server_up: bool,
    /// Tokens the server accepts.
    valid_token: String,
    connects: Vec<(Instant, String)>,
    client_sent: Vec<ClientMessage>,
    events: Vec<ClientEvent>,
}

impl Pair {
    fn new(seed: u64) -> Self {
        let now = Instant::now();
        Pair {
            client: Client::new(ClientConfig::default(), seed),
            hub: Hub::new(HubConfig::default(), NoRelations),
            key: None,
            t0: now,
            now,
            server_up: true,
            valid_token: "tok-1".into(),
            connects: Vec::new(),
            client_sent: Vec::new(),
            events: Vec::new(),
        }
    }

    fn unix(&self) -> i64 {
        UNIX0 + i64::try_from(self.now.duration_since(self.t0).as_secs()).unwrap()
    }

    /// Moves frames both ways until nothing is left.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                match t {
                    ClientTransmit::Connect { token } => {
                        self.connects.push((self.now, token.clone()));
                        if self.server_up && token == self.valid_token {
                            let key = self.hub.connect(
                                self.now,
                                wall(self.unix()),
                                "t",
                                "alice",
                                format!("s{}", self.connects.len()),
                            );
                            self.key = Some(key.unwrap());
                            self.client.handle_open(self.now).unwrap();
                        } else {
                            self.client.handle_end(self.now).unwrap();
                        }
                    }
                    ClientTransmit::Send(m) => {
                        self.client_sent.push(m.clone());
                        if let Some(key) = self.key {
                            self.hub
                                .handle_text(self.now, wall(self.unix()), key, &m.to_json_string())
                                .unwrap();
                        }
                    }
                    ClientTransmit::Close(_) => {
                        if let Some(key) = self.key.take() {
                            self.hub
                                .handle_end(self.now, wall(self.unix()), key)
                                .unwrap();
                        }
                        // The client gave the connection up itself: the end changes nothing.
                        self.client.handle_end(self.now).unwrap();
                    }
                }
            }
            while let Some(t) = self.hub.poll_transmit() {
                progressed = true;
                if self
                    .key
                    .is_none_or(|k| !t.recipients.as_slice().contains(&k))
                {
                    continue;
                }
                match t.payload {
                    Payload::Text(bytes) => self
                        .client
                        .handle_text(self.now, std::str::from_utf8(&bytes).unwrap())
                        .unwrap(),
                    Payload::Close(_) => {
                        self.key = None;
                        self.client.handle_end(self.now).unwrap();
                    }
                    // The client's WebSocket layer answers a Ping with a Pong.
                    Payload::Ping => {
                        if let Some(key) = self.key {
                            self.hub
                                .handle_pong(self.now, wall(self.unix()), key)
                                .unwrap();
                        }
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            while self.hub.poll_event().is_some() {}
            while let Some(e) = self.client.poll_event() {
                self.events.push(e);
            }
            if !progressed {
                break;
            }
        }
    }

    /// Advances the clock to `at`, firing every timer on the way in order.
    fn run_until(&mut self, at: Instant) {
        loop {
            self.pump();
            let next = [self.client.poll_timeout(), self.hub.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= at => {
                    self.now = self.now.max(t);
                    let unix = self.unix();
                    self.client.handle_timeout(self.now).unwrap();
                    self.hub.handle_timeout(self.now, wall(unix)).unwrap();
                }
                _ => break,
            }
        }
        self.now = at;
        self.pump();
    }

    fn run_for(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }

    /// Drops the connection from the server side (network loss).
    fn drop_connection(&mut self) {
        if let Some(key) = self.key.take() {
            self.hub
                .handle_end(self.now, wall(self.unix()), key)
                .unwrap();
        }
        self.client.handle_end(self.now).unwrap();
        self.pump();
    }

    fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.events)
    }
}

#[test]
fn connects_resubscribes_on_welcome_and_pings_every_30_seconds() {
    let mut p = Pair::new(1);
    p.client
        .subscribe(&[EventType::Action, EventType::Typing])
        .unwrap();
    p.client.start(p.now, "tok-1").unwrap();
    p.pump();
    assert!(p.client.is_open());
    assert!(
        matches!(&p.take_events()[0], ClientEvent::Connected { session_id, user } if session_id == "s1" && user == "alice")
    );
    assert_eq!(
        p.client_sent,
        vec![ClientMessage::Subscribe(Subscription {
            events: vec![EventType::Action, EventType::Typing]
        })]
    );
    let expected: EventSet = [EventType::Action, EventType::Typing].into_iter().collect();
    assert_eq!(
        p.hub.session(p.key.unwrap()).unwrap().subscriptions(),
        expected
    );

    p.client_sent.clear();
    p.run_for(Duration::from_secs(95));
    assert_eq!(p.client_sent, vec![ClientMessage::Ping; 3]);
    let pongs = p
        .take_events()
        .iter()
        .filter(|e| matches!(e, ClientEvent::Message(ServerMessage::Pong(_))))
        .count();
    assert_eq!(pongs, 3);
    // The pings kept the server's silence timeout (90 s) from firing.
    assert!(p.client.is_open());
}

/// The delays of the reconnects after `attempts` failed connections of a client seeded with
/// `seed`, and the instants of its connection attempts.
fn failing_reconnects(seed: u64, attempts: usize) -> (Vec<Duration>, Vec<Instant>) {
    let mut p = Pair::new(seed);
    p.server_up = false;
    p.client.start(p.now, "tok-1").unwrap();
    p.pump();
    let mut delays = Vec::new();
    for _ in 0..attempts {
        let reconnect_in = p.take_events().iter().find_map(|e| match e {
            ClientEvent::Disconnected { reconnect_in } => *reconnect_in,
            _ => None,
        });
        let d = reconnect_in.unwrap();
        delays.push(d);
        p.run_for(d);
    }
    (delays, p.connects.iter().map(|(at, _)| *at).collect())
}

#[test]
fn reconnect_delays_follow_the_schedule_with_jitter_in_the_upper_half() {
    let ceilings: Vec<Duration> = [1u64, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]
        .map(Duration::from_secs)
        .to_vec();
    for seed in [0, 42, u64::MAX] {
        let (delays, connects) = failing_reconnects(seed, ceilings.len());
        for (d, c) in delays.iter().zip(&ceilings) {
            assert!(*d >= *c / 2 && d <= c, "seed {seed}: {d:?} vs {c:?}");
        }
        // Each attempt happened exactly when its delay ran out.
        let gaps: Vec<Duration> = connects.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, delays[..gaps.len()]);
    }
    // A seed gives one schedule; another seed another.
    assert_eq!(failing_reconnects(42, 8).0, failing_reconnects(42, 8).0);
    assert_ne!(failing_reconnects(42, 8).0, failing_reconnects(43, 8).0);
}

#[test]
fn a_welcome_resets_the_backoff() {
    let mut p = Pair::new(17);
    p.server_up = false;
    p.client.start(p.now, "tok-1").unwrap();
    p.pump();
    p.run_for(Duration::from_secs(8));
    assert!(p.client.attempt() >= 3);
    p.server_up = true;
    p.run_for(Duration::from_secs(60));
    assert!(p.client.is_open());
    assert_eq!(p.client.attempt(), 0);
    p.take_events();
    p.drop_connection();
    let d = p.take_events().iter().find_map(|e| match e {
        ClientEvent::Disconnected { reconnect_in } => *reconnect_in,
        _ => None,
    });
    let d = d.unwrap();
    assert!(
        d >= Duration::from_millis(500) && d <= Duration::from_secs(1),
        "{d:?}"
    );
}

#[test]
fn replay_is_requested_from_the_last_seen_timestamp() {
    let mut p = Pair::new(3);
    p.client.subscribe(&[EventType::Action]).unwrap();
    p.client.start(p.now, "tok-1").unwrap();
    p.pump();
    p.run_for(Duration::from_secs(40));
    let post = ActionNotice {
        action_type: ActionType::Post,
        action_id: "a1".into(),
        issuer: "alice".into(),
        content: None,
        timestamp: p.unix(),
        source: Some(ActionSource::Local),
        sub_type: None,
        parent_id: None,
        audience: None,
        status: None,
    };
    let r = ActionRoute {
        tenant: "t",
        action: &post,
        parent_owner: None,
        participants: &[],
        recipient: None,
    };
    assert_eq!(p.hub.publish_action(&r), Ok(1));
    p.pump();
    assert_eq!(p.client.last_seen(), Some(UNIX0 + 40));
    p.drop_connection();
    p.client_sent.clear();
    p.run_for(Duration::from_secs(2));
    assert!(p.client.is_open());
    assert_eq!(
        p.client_sent,
        vec![
            ClientMessage::Subscribe(Subscription {
                events: vec![EventType::Action]
            }),
            ClientMessage::Replay(ReplayRequest { since: UNIX0 + 40 }),
        ]
    );
}

#[test]
fn e_ws_auth_waits_for_a_fresh_token() {
    let mut p = Pair::new(5);
    p.client.start(p.now, "tok-1").unwrap();
    p.pump();
    p.take_events();
    // The server finds the token expired: E-WS-AUTH, then close.
    p.hub
        .handle_token_expired(p.now, wall(p.unix()), p.key.unwrap())
        .unwrap();
    p.pump();
    let events = p.take_events();
    assert!(
        events.contains(&ClientEvent::TokenRefreshNeeded),
        "{events:?}"
    );
    assert!(events.contains(&ClientEvent::Disconnected { reconnect_in: None }));
    let connects = p.connects.len();
    p.run_for(Duration::from_secs(600));
    assert_eq!(p.connects.len(), connects, "no reconnect without a token");
    p.valid_token = "tok-2".into();
    p.client.set_token(p.now, "tok-2", None);
    p.pump();
    assert!(p.client.is_open());
    assert_eq!(p.connects.last().unwrap().1, "tok-2");
}

#[test]
fn an_expired_token_is_refreshed_before_reconnecting() {
    let mut p = Pair::new(9);
    p.client.start(p.now, "tok-1").unwrap();
    p.client
        .set_token(p.now, "tok-1", Some(p.now + Duration::from_secs(30)));
    p.pump();
    p.run_for(Duration::from_secs(31));
    p.drop_connection();
    p.take_events();
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.take_events(), vec![ClientEvent::TokenRefreshNeeded]);
    assert_eq!(p.connects.len(), 1);
}

#[test]
fn remote_typing_clears_after_five_seconds_without_update() {
    let mut p = Pair::new(11);
    p.client.start(p.now, "tok-1").unwrap();
    p.pump();
    p.take_events();
    let typing = |ts| {
        ServerMessage::Typing(TypingNotice {
            user: "bob".into(),
            conversation_id: "conv_123".into(),
            timestamp: ts,
        })
        .to_json_string()
    };
    p.client.handle_text(p.now, &typing(UNIX0)).unwrap();
    p.run_for(Duration::from_secs(3));
    p.client.handle_text(p.now, &typing(UNIX0 + 3)).unwrap();
    p.run_for(Duration::from_millis(4_999));
    let started = ClientEvent::TypingStarted {
        user: "bob".into(),
        conversation_id: "conv_123".into(),
    };
    let events: Vec<_> = p
        .take_events()
        .into_iter()
        .filter(|e| !matches!(e, ClientEvent::Message(_)))
        .collect();
    assert_eq!(events, vec![started]);
    p.run_for(Duration::from_millis(1));
    assert_eq!(
        p.take_events(),
        vec![ClientEvent::TypingCleared {
            user: "bob".into(),
            conversation_id: "conv_123".into()
        }]
    );
}

#[test]
fn a_missing_pong_closes_and_reconnects() {
    let mut c = Client::new(ClientConfig::default(), 0);
    let t0 = Instant::now();
    c.start(t0, "tok").unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Connect {
            token: "tok".into()
        })
    );
    c.handle_open(t0).unwrap();
    c.handle_text(
        t0,
        r#"{"type":"welcome","session_id":"s","user":"u","timestamp":1}"#,
    )
    .unwrap();
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    c.handle_timeout(t0 + Duration::from_secs(30)).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Send(ClientMessage::Ping))
    );
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(40)));
    let lost = t0 + Duration::from_secs(40);
    c.handle_timeout(lost).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Close(CloseFrame::new(
            CloseCode(4408),
            "no frame within the pong timeout of a ping"
        )))
    );
    assert!(!c.is_open());
    let reconnect_in = std::iter::from_fn(|| c.poll_event())
        .find_map(|e| match e {
            ClientEvent::Disconnected { reconnect_in } => reconnect_in,
            _ => None,
        })
        .unwrap();
    // The first delay is drawn from [0.5 s, 1 s]; the reconnect comes when it ran out.
    assert!(reconnect_in >= Duration::from_millis(500) && reconnect_in <= Duration::from_secs(1));
    assert_eq!(c.poll_timeout(), Some(lost + reconnect_in));
    c.handle_timeout(lost + reconnect_in - Duration::from_nanos(1))
        .unwrap();
    assert_eq!(c.poll_transmit(), None);
    c.handle_timeout(lost + reconnect_in).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Connect {
            token: "tok".into()
        })
    );
}

#[test]
fn a_missing_welcome_times_out() {
    let mut c = Client::new(ClientConfig::default(), u64::MAX);
    let t0 = Instant::now();
    c.start(t0, "tok").unwrap();
    let _ = c.poll_transmit();
    c.handle_open(t0).unwrap();
    c.handle_timeout(t0 + Duration::from_secs(10)).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Close(CloseFrame::new(
            CloseCode(4408),
            "no welcome within the welcome timeout"
        )))
    );
    // The client already gave the connection up: its end changes nothing.
    c.handle_end(t0 + Duration::from_secs(10)).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(events.len(), 1);
    assert!(matches!(
        events[0],
        ClientEvent::Disconnected {
            reconnect_in: Some(_)
        }
    ));
}

#[test]
fn sending_while_disconnected_is_refused_not_buffered() {
    let mut c = Client::new(
        ClientConfig {
            backoff: BackoffConfig::default(),
            ..ClientConfig::default()
        },
        0,
    );
    assert_eq!(c.send(ClientMessage::Ping), Err(ClientError::NotConnected));
    c.subscribe(&[EventType::Message]).unwrap();
    assert!(c.subscriptions().contains(EventType::Message));
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn undecodable_server_frames_are_reported_and_skipped() {
    let mut c = Client::new(ClientConfig::default(), 0);
    let t0 = Instant::now();
    c.start(t0, "tok").unwrap();
    let _ = c.poll_transmit();
    c.handle_text(
        t0,
        r#"{"type":"welcome","session_id":"s","user":"u","timestamp":1}"#,
    )
    .unwrap();
    c.handle_text(t0, r#"{"type":"telepathy"}"#).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        events[1],
        ClientEvent::Undecodable(DecodeError::UnknownType("telepathy".into()))
    );
    assert!(c.is_open());
}
