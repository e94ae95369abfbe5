//! Rule 9 of the sans-IO contract: every queue has a documented bound; at the bound, input is
//! refused with `Backpressure` and not taken, and after draining it is taken again.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::client::{Client, ClientConfig, ClientError, ClientEvent};
use bus_protocol::hub::{Audience, ConnectError, Hub, HubConfig, HubError, HubEvent, NoRelations};
use bus_protocol::message::{ActionNotice, ActionType, ClientMessage, EventType, ServerMessage};
use bus_protocol::session::{
    Outgoing, PeerError, Session, SessionConfig, SessionError, SessionEvent,
};

const UNIX: i64 = 1_738_483_200;
const PING: &str = r#"{"type":"ping"}"#;

#[test]
fn a_full_session_refuses_every_input_without_taking_it() {
    let config = SessionConfig {
        max_pending: 4,
        ..SessionConfig::default()
    };
    let t0 = Instant::now();
    let mut s = Session::new(t0, wall(UNIX), Arc::new(config), "s1", "alice");
    // The welcome and three pongs fill the bound.
    for _ in 0..3 {
        s.handle_text(t0, wall(UNIX), PING).unwrap();
    }
    let full = SessionError::Backpressure {
        pending: 4,
        limit: 4,
    };
    // The keep-alive Ping is due; the refused timer call does not send it.
    let late = t0 + Duration::from_secs(30);
    assert_eq!(s.poll_timeout(), Some(late));
    assert_eq!(s.handle_text(late, wall(UNIX), PING), Err(full.clone()));
    assert_eq!(s.handle_binary(late, wall(UNIX), b"x"), Err(full.clone()));
    assert_eq!(s.handle_pong(late, wall(UNIX)), Err(full.clone()));
    assert_eq!(s.handle_timeout(late, wall(UNIX)), Err(full.clone()));
    assert_eq!(s.handle_token_expired(wall(UNIX)), Err(full.clone()));
    let refusal = PeerError::Permission("no".into());
    assert_eq!(s.reject(wall(UNIX), refusal), Err(full.clone()));
    let pong = ServerMessage::decode(br#"{"type":"pong","timestamp":1}"#).unwrap();
    assert_eq!(s.deliver(&pong), Err(full.clone()));
    assert_eq!(s.close_reason(), None, "the token expiry was not taken");
    assert_eq!(s.poll_timeout(), Some(late), "the timer stays due");

    let transmits: Vec<Outgoing> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert_eq!(transmits.len(), 4, "{transmits:?}");
    assert!(matches!(
        transmits[0],
        Outgoing::Message(ServerMessage::Welcome(_))
    ));
    assert!(
        transmits[1..]
            .iter()
            .all(|o| matches!(o, Outgoing::Message(ServerMessage::Pong(_))))
    );
    assert_eq!(s.poll_event(), None);

    // Drained: taken again, the due Ping first.
    s.handle_text(late, wall(UNIX + 30), PING).unwrap();
    assert_eq!(s.poll_transmit(), Some(Outgoing::Ping));
    assert!(matches!(
        s.poll_transmit(),
        Some(Outgoing::Message(ServerMessage::Pong(_)))
    ));
    // The end of the transport queues nothing, so a full session takes it too.
    for _ in 0..4 {
        s.handle_text(late, wall(UNIX + 30), PING).unwrap();
    }
    assert_eq!(s.handle_text(late, wall(UNIX + 30), PING), Err(full));
    assert_eq!(s.handle_end(late), Ok(()));
}

#[test]
fn one_call_adds_at_most_max_typing_plus_six_outputs_to_a_session() {
    let config = SessionConfig {
        max_pending: 4,
        max_typing: 16,
        idle_after: Duration::from_secs(60),
        ..SessionConfig::default()
    };
    let t0 = Instant::now();
    let mut s = Session::new(t0, wall(UNIX), Arc::new(config), "s1", "alice");
    let drain = |s: &mut Session| {
        std::iter::from_fn(|| s.poll_transmit()).count()
            + std::iter::from_fn(|| s.poll_event()).count()
    };
    drain(&mut s);
    // Sixteen typing indicators over three seconds (the rate limit allows bursts of 20).
    for i in 0..16u64 {
        let at = t0 + Duration::from_millis(i * 200);
        let typing = format!(r#"{{"type":"typing","recipient":"bob","conversation_id":"c{i}"}}"#);
        s.handle_text(at, wall(UNIX), &typing).unwrap();
        drain(&mut s);
    }
    // Three outputs wait, one below the bound.
    for _ in 0..3 {
        s.handle_text(t0 + Duration::from_secs(4), wall(UNIX), PING)
            .unwrap();
    }
    // The next frame comes when every indicator has expired, the keep-alive Ping is due and
    // the session has gone idle; it is a new typing indicator.
    let late = t0 + Duration::from_secs(89);
    let typing = r#"{"type":"typing","recipient":"bob","conversation_id":"late"}"#;
    s.handle_text(late, wall(UNIX), typing).unwrap();
    let events: Vec<SessionEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    let stopped = events
        .iter()
        .filter(|e| matches!(e, SessionEvent::TypingStopped(_)))
        .count();
    assert_eq!(stopped, 16);
    assert!(events.contains(&SessionEvent::Idle) && events.contains(&SessionEvent::Active));
    let held = events.len() + drain(&mut s);
    // 3 pongs waiting + 16 stopped indicators + Idle + Active + the new indicator + Ping.
    assert_eq!(held, 3 + 16 + 4);
    assert!(held <= 4 + 16 + 6, "{held}");
}

/// A hub with `config`, on a virtual clock at `t0`.
fn hub(config: HubConfig) -> (Hub, Instant) {
    (Hub::new(config, NoRelations), Instant::now())
}

#[test]
fn a_hub_with_full_transmits_refuses_every_input_and_command_without_taking_it() {
    let (mut hub, t0) = hub(HubConfig {
        max_queued_transmits: 2,
        ..HubConfig::default()
    });
    let w = wall(UNIX);
    // The welcome and a pong fill the bound.
    let alice = hub.connect(t0, w, "t", "alice", "s1").unwrap();
    hub.handle_text(t0, w, alice, PING).unwrap();
    let full = HubError::Backpressure {
        pending: 2,
        limit: 2,
    };
    let late = t0 + Duration::from_secs(30);
    assert_eq!(hub.poll_timeout(), Some(late));
    assert_eq!(hub.handle_text(late, w, alice, PING), Err(full.clone()));
    assert_eq!(hub.handle_binary(late, w, alice, b"x"), Err(full.clone()));
    assert_eq!(hub.handle_pong(late, w, alice), Err(full.clone()));
    assert_eq!(hub.handle_token_expired(late, w, alice), Err(full.clone()));
    assert_eq!(hub.handle_end(late, w, alice), Err(full.clone()));
    assert_eq!(hub.handle_timeout(late, w), Err(full.clone()));
    assert_eq!(
        hub.connect(late, w, "t", "bob", "s2"),
        Err(ConnectError::Hub(full.clone()))
    );
    let post = ServerMessage::Action(ActionNotice::new(ActionType::Post, "a1", "alice", UNIX));
    assert_eq!(
        hub.publish(&post, Audience::User("alice")),
        Err(full.clone())
    );
    // Nothing was taken: alice is connected, bob is not, the Ping is still due.
    assert!(
        hub.session(alice)
            .is_some_and(|s| s.close_reason().is_none())
    );
    assert_eq!(hub.len(), 1);
    assert_eq!(hub.poll_timeout(), Some(late));
    let drained = std::iter::from_fn(|| hub.poll_transmit()).count();
    assert_eq!(drained, 2);

    // Drained: taken again.
    hub.handle_timeout(late, w).unwrap();
    assert!(hub.poll_transmit().is_some(), "the Ping");
    hub.handle_end(late, w, alice).unwrap();
    assert_eq!(hub.len(), 0);
}

#[test]
fn a_hub_with_full_events_refuses_input_until_they_are_drained() {
    let (mut hub, t0) = hub(HubConfig {
        max_queued_events: 2,
        ..HubConfig::default()
    });
    let w = wall(UNIX);
    let alice = hub.connect(t0, w, "t", "alice", "s1").unwrap();
    // The welcome, and alice online.
    while hub.poll_transmit().is_some() {}
    assert!(matches!(hub.poll_event(), Some(HubEvent::Presence(_))));
    // Push registrations are events with no reply.
    let register = r#"{"type":"register_push","token":"t","platform":"web"}"#;
    hub.handle_text(t0, w, alice, register).unwrap();
    hub.handle_text(t0, w, alice, register).unwrap();
    while hub.poll_transmit().is_some() {}
    let full = Err(HubError::Backpressure {
        pending: 2,
        limit: 2,
    });
    assert_eq!(hub.handle_text(t0, w, alice, register), full);
    assert_eq!(hub.handle_end(t0, w, alice), full);
    let events: Vec<HubEvent> = std::iter::from_fn(|| hub.poll_event()).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| matches!(
        e,
        HubEvent::Session {
            event: SessionEvent::RegisterPush(_),
            ..
        }
    )));
    hub.handle_text(t0, w, alice, register).unwrap();
    assert_eq!(hub.poll_event().map(|_| ()), Some(()));
}

/// A client that is open: started, connected, welcomed, drained.
fn open_client(config: ClientConfig) -> (Client, Instant) {
    let t0 = Instant::now();
    let mut client = Client::new(config, 7);
    client.start(t0, "token").unwrap();
    client.handle_open(t0).unwrap();
    let welcome = r#"{"type":"welcome","session_id":"s","user":"alice","timestamp":1}"#;
    client.handle_text(t0, welcome).unwrap();
    while client.poll_transmit().is_some() {}
    while client.poll_event().is_some() {}
    assert!(client.is_open());
    (client, t0)
}

#[test]
fn a_full_client_refuses_every_input_and_command_without_taking_it() {
    let (mut c, t0) = open_client(ClientConfig {
        max_pending: 3,
        ..ClientConfig::default()
    });
    let pong = r#"{"type":"pong","timestamp":2}"#;
    for _ in 0..3 {
        c.handle_text(t0, pong).unwrap();
    }
    let full = Err(ClientError::Backpressure {
        pending: 3,
        limit: 3,
    });
    let late = t0 + Duration::from_secs(30);
    assert_eq!(c.poll_timeout(), Some(late));
    assert_eq!(c.handle_text(late, pong), full);
    assert_eq!(c.handle_end(late), full);
    assert_eq!(c.handle_timeout(late), full);
    assert_eq!(c.start(late, "other"), full);
    assert_eq!(c.subscribe(&[EventType::Action]), full);
    assert_eq!(c.unsubscribe(&[EventType::Action]), full);
    assert_eq!(c.send(ClientMessage::Ping), full);
    // The socket opening queues nothing: taken.
    assert_eq!(c.handle_open(late), Ok(()));
    // Nothing was taken: still open, not subscribed, the ping still due, no output but the
    // three pongs.
    assert!(c.is_open());
    assert!(c.subscriptions().is_empty());
    assert_eq!(c.poll_timeout(), Some(late));
    assert_eq!(c.poll_transmit(), None);
    let events: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|e| matches!(e, ClientEvent::Message(ServerMessage::Pong(_))))
    );

    // Drained: taken again.
    c.handle_timeout(late).unwrap();
    assert_eq!(
        c.poll_transmit(),
        Some(bus_protocol::client::ClientTransmit::Send(
            ClientMessage::Ping
        ))
    );
}

#[test]
fn stopping_a_full_client_is_never_refused() {
    let (mut c, t0) = open_client(ClientConfig {
        max_pending: 2,
        ..ClientConfig::default()
    });
    let typing = |n: u32| {
        format!(r#"{{"type":"typing","user":"bob","conversation_id":"c{n}","timestamp":3}}"#)
    };
    // Each new remote indicator is two events (the message, TypingStarted).
    c.handle_text(t0, &typing(1)).unwrap();
    assert!(c.handle_text(t0, &typing(2)).is_err());
    c.stop();
    assert!(c.is_closed());
    let transmits: Vec<_> = std::iter::from_fn(|| c.poll_transmit()).collect();
    assert!(matches!(
        transmits.as_slice(),
        [bus_protocol::client::ClientTransmit::Close(frame)] if frame.code.0 == 1000
    ));
    let events: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    // The two waiting, and the indicator the stop cleared.
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(events[2], ClientEvent::TypingCleared { .. }));
}
