//! The client machine against a real hub, in memory, with a virtual clock.

use std::time::{Duration, Instant};

use bus_protocol::backoff::BackoffConfig;
use bus_protocol::client::*;
use bus_protocol::hub::*;
use bus_protocol::message::*;
use bus_protocol::random::{RandomSource, SplitMix64};

const UNIX0: i64 = 1_738_483_200;

struct Pair<R: RandomSource> {
    client: Client<R>,
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

impl<R: RandomSource> Pair<R> {
    fn new(random: R) -> Self {
        let now = Instant::now();
        Pair {
            client: Client::new(ClientConfig::default(), random),
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
                                "t",
                                "alice",
                                format!("s{}", self.connects.len()),
                                self.now,
                                self.unix(),
                            );
                            self.key = Some(key.unwrap());
                            self.client.handle_open(self.now);
                        } else {
                            self.client.handle_closed(self.now);
                        }
                    }
                    ClientTransmit::Send(m) => {
                        self.client_sent.push(m.clone());
                        if let Some(key) = self.key {
                            self.hub
                                .handle_text(key, &m.to_json_string(), self.now, self.unix())
                                .unwrap();
                        }
                    }
                    ClientTransmit::Close => {
                        if let Some(key) = self.key.take() {
                            self.hub.disconnect(key, self.now, self.unix());
                        }
                        self.client.handle_closed(self.now);
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
                        .handle_text(std::str::from_utf8(&bytes).unwrap(), self.now),
                    Payload::Close(_) => {
                        self.key = None;
                        self.client.handle_closed(self.now);
                    }
                    // The client's WebSocket layer answers a Ping with a Pong.
                    Payload::Ping => {
                        if let Some(key) = self.key {
                            self.hub.handle_pong(key, self.now, self.unix()).unwrap();
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
                    self.client.handle_timeout(self.now);
                    self.hub.handle_timeout(self.now, unix);
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
            self.hub.disconnect(key, self.now, self.unix());
        }
        self.client.handle_closed(self.now);
        self.pump();
    }

    fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.events)
    }
}

#[test]
fn connects_resubscribes_on_welcome_and_pings_every_30_seconds() {
    let mut p = Pair::new(SplitMix64::new(1));
    p.client
        .subscribe(&[EventType::Action, EventType::Typing])
        .unwrap();
    p.client.start("tok-1", p.now);
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

#[test]
fn reconnect_delays_follow_the_schedule_with_bounded_jitter() {
    // The top of the random range gives delays just under each ceiling.
    let mut p = Pair::new(|| u64::MAX);
    p.server_up = false;
    p.client.start("tok-1", p.now);
    p.pump();
    let mut delays = Vec::new();
    for _ in 0..9 {
        let reconnect_in = p.take_events().iter().find_map(|e| match e {
            ClientEvent::Disconnected { reconnect_in } => *reconnect_in,
            _ => None,
        });
        let d = reconnect_in.unwrap();
        delays.push(d);
        p.run_for(d);
    }
    let ceilings = [1u64, 2, 4, 8, 16, 32, 60, 60, 60].map(Duration::from_secs);
    for (d, c) in delays.iter().zip(ceilings) {
        assert!(
            *d < c && *d > c - Duration::from_millis(1),
            "{d:?} vs {c:?}"
        );
    }
    // Each attempt happened exactly when its delay ran out.
    let gaps: Vec<Duration> = p.connects.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert_eq!(gaps, delays[..gaps.len()]);

    // With an injected seeded source every delay is inside [0, ceiling).
    let mut q = Pair::new(SplitMix64::new(42));
    q.server_up = false;
    q.client.start("tok-1", q.now);
    q.pump();
    for attempt in 0..30u32 {
        let d = q
            .take_events()
            .iter()
            .find_map(|e| match e {
                ClientEvent::Disconnected { reconnect_in } => *reconnect_in,
                _ => None,
            })
            .unwrap();
        let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(Duration::from_secs(60));
        assert!(d < ceiling, "attempt {attempt}: {d:?}");
        q.run_for(d);
    }
}

#[test]
fn a_welcome_resets_the_backoff() {
    let mut p = Pair::new(|| u64::MAX);
    p.server_up = false;
    p.client.start("tok-1", p.now);
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
    assert!(d.unwrap() < Duration::from_secs(1));
}

#[test]
fn replay_is_requested_from_the_last_seen_timestamp() {
    let mut p = Pair::new(SplitMix64::new(3));
    p.client.subscribe(&[EventType::Action]).unwrap();
    p.client.start("tok-1", p.now);
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
    let mut p = Pair::new(SplitMix64::new(5));
    p.client.start("tok-1", p.now);
    p.pump();
    p.take_events();
    // The server finds the token expired: E-WS-AUTH, then close.
    p.hub
        .handle_token_expired(p.key.unwrap(), p.now, p.unix())
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
    p.client.set_token("tok-2", None, p.now);
    p.pump();
    assert!(p.client.is_open());
    assert_eq!(p.connects.last().unwrap().1, "tok-2");
}

#[test]
fn an_expired_token_is_refreshed_before_reconnecting() {
    let mut p = Pair::new(SplitMix64::new(9));
    p.client.start("tok-1", p.now);
    p.client
        .set_token("tok-1", Some(p.now + Duration::from_secs(30)), p.now);
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
    let mut p = Pair::new(SplitMix64::new(11));
    p.client.start("tok-1", p.now);
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
    p.client.handle_text(&typing(UNIX0), p.now);
    p.run_for(Duration::from_secs(3));
    p.client.handle_text(&typing(UNIX0 + 3), p.now);
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
    let mut c = Client::new(ClientConfig::default(), || 0u64);
    let t0 = Instant::now();
    c.start("tok", t0);
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Connect {
            token: "tok".into()
        })
    );
    c.handle_open(t0);
    c.handle_text(
        r#"{"type":"welcome","session_id":"s","user":"u","timestamp":1}"#,
        t0,
    );
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    c.handle_timeout(t0 + Duration::from_secs(30));
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Send(ClientMessage::Ping))
    );
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(40)));
    c.handle_timeout(t0 + Duration::from_secs(40));
    assert_eq!(c.poll_transmit(), Some(ClientTransmit::Close));
    assert!(!c.is_open());
    // Full jitter with a zero draw reconnects at once.
    c.handle_timeout(t0 + Duration::from_secs(40));
    assert_eq!(
        c.poll_transmit(),
        Some(ClientTransmit::Connect {
            token: "tok".into()
        })
    );
}

#[test]
fn a_missing_welcome_times_out() {
    let mut c = Client::new(ClientConfig::default(), || u64::MAX);
    let t0 = Instant::now();
    c.start("tok", t0);
    let _ = c.poll_transmit();
    c.handle_open(t0);
    c.handle_timeout(t0 + Duration::from_secs(10));
    assert_eq!(c.poll_transmit(), Some(ClientTransmit::Close));
    c.handle_closed(t0 + Duration::from_secs(10)); // idempotent
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
        || 0u64,
    );
    assert_eq!(c.send(ClientMessage::Ping), Err(ClientError::NotConnected));
    c.subscribe(&[EventType::Message]).unwrap();
    assert!(c.subscriptions().contains(EventType::Message));
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn undecodable_server_frames_are_reported_and_skipped() {
    let mut c = Client::new(ClientConfig::default(), || 0u64);
    let t0 = Instant::now();
    c.start("tok", t0);
    let _ = c.poll_transmit();
    c.handle_text(
        r#"{"type":"welcome","session_id":"s","user":"u","timestamp":1}"#,
        t0,
    );
    c.handle_text(r#"{"type":"telepathy"}"#, t0);
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        events[1],
        ClientEvent::Undecodable(DecodeError::UnknownType("telepathy".into()))
    );
    assert!(c.is_open());
}
