//! A server session (inside a hub, next to a second session) fed arbitrary client frames,
//! Pongs and actions at arbitrary time steps, in either dialect (reconnecting may switch): no
//! panic, bounded output, every frame written valid in its session's dialect, and the
//! invariants of the machine hold.
#![no_main]

use std::time::{Duration, Instant, SystemTime};

use arbitrary::Arbitrary;
use bus_protocol::cloudillo::{Command, Frame};
use bus_protocol::hub::{ActionRoute, Hub, HubConfig, HubError, NoRelations, Payload};
use bus_protocol::message::{ActionNotice, ActionType, ServerMessage};
use bus_protocol::session::Dialect;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Op {
    /// A text frame (lossy UTF-8, as a WebSocket layer would have validated it).
    Text(Vec<u8>),
    /// One of a few well-formed frames, so the fuzzer reaches deep states quickly.
    Known(u8),
    Binary(Vec<u8>),
    /// Advance the clock by this many milliseconds and run the timers.
    Wait(u32),
    TokenExpired,
    /// A Pong (or other control frame) from alice's socket.
    Pong,
    /// An action to alice (a message from bob, with this content).
    Publish(String),
    /// Disconnect alice and connect again, in the Cloudillo dialect when `true`.
    Reconnect(bool),
}

const KNOWN: &[&str] = &[
    r#"{"type":"ping"}"#,
    r#"{"type":"subscribe","events":["action","presence","typing","notification","message"]}"#,
    r#"{"type":"unsubscribe","events":["typing"]}"#,
    r#"{"type":"presence","status":"busy","activity":"x"}"#,
    r#"{"type":"presence","status":"online"}"#,
    r#"{"type":"typing","recipient":"bob","conversation_id":"c1"}"#,
    r#"{"type":"typing","recipient":"alice","conversation_id":"c2"}"#,
    r#"{"type":"register_push","token":"t","platform":"web"}"#,
    r#"{"type":"replay","since":0}"#,
    r#"{"id":"p1","cmd":"ping","data":{}}"#,
    r#"{"id":"c2","cmd":"subscribe","data":{"events":["action"]}}"#,
    r#"{"id":"c3","cmd":"typing","data":{"recipient":"bob","conversation_id":"c1"}}"#,
];

fuzz_target!(|ops: Vec<Op>| {
    let t0 = Instant::now();
    let mut now = t0;
    let mut hub = Hub::new(HubConfig::default(), NoRelations);
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_738_483_200);
    let wall = |now: Instant| start + now.duration_since(t0);
    let bob = hub.connect(now, wall(now), "t", "bob", "sb").unwrap();
    let _ = hub.handle_text(now, wall(now), bob, KNOWN[1]);
    let mut alice = hub.connect(now, wall(now), "t", "alice", "sa").ok();
    let mut alice_dialect = Dialect::Seed;
    for op in ops.into_iter().take(512) {
        match op {
            Op::Text(bytes) => {
                if let Some(k) = alice {
                    let _ = hub.handle_text(now, wall(now), k, &String::from_utf8_lossy(&bytes));
                }
            }
            Op::Known(i) => {
                if let Some(k) = alice {
                    let _ = hub.handle_text(now, wall(now), k, KNOWN[usize::from(i) % KNOWN.len()]);
                }
            }
            Op::Binary(bytes) => {
                if let Some(k) = alice {
                    let _ = hub.handle_binary(now, wall(now), k, &bytes);
                }
            }
            Op::Wait(ms) => {
                now += Duration::from_millis(u64::from(ms % 600_000));
                if let Some(k) = alice {
                    // Keep the connection from the silence close most of the time.
                    if ms % 3 == 0 {
                        let _ = hub.handle_text(now, wall(now), k, KNOWN[0]);
                    }
                }
            }
            Op::TokenExpired => {
                if let Some(k) = alice {
                    let _ = hub.handle_token_expired(now, wall(now), k);
                }
            }
            Op::Pong => {
                if let Some(k) = alice {
                    let _ = hub.handle_pong(now, wall(now), k);
                }
            }
            Op::Publish(content) => {
                let mut notice = ActionNotice::new(ActionType::Msg, "a1", "bob", 1_738_483_200);
                notice.content = Some(content);
                notice.audience = Some("alice".into());
                let participants = ["alice", "bob"];
                let route = ActionRoute {
                    tenant: "t",
                    action: &notice,
                    parent_owner: None,
                    participants: &participants,
                    recipient: None,
                };
                let _ = hub.publish_action(&route);
            }
            Op::Reconnect(cloudillo) => {
                if let Some(k) = alice.take() {
                    let _ = hub.handle_end(now, wall(now), k);
                }
                alice_dialect = if cloudillo {
                    Dialect::Cloudillo
                } else {
                    Dialect::Seed
                };
                alice = hub
                    .connect_with_dialect(now, wall(now), "t", "alice", "sa2", alice_dialect)
                    .ok();
            }
        }
        // The timer never lies in the past after handle_timeout.
        let _ = hub.handle_timeout(now, wall(now));
        if let Some(at) = hub.poll_timeout() {
            assert!(at > now || hub.poll_timeout() == Some(at));
        }
        let mut transmits = 0;
        while let Some(t) = hub.poll_transmit() {
            transmits += 1;
            let Payload::Text(bytes) = &t.payload else {
                continue;
            };
            let cloudillo = alice_dialect == Dialect::Cloudillo
                && t.recipients.as_slice().first().copied() == alice;
            if cloudillo {
                // A Cloudillo session gets `ack`s and `ACTION`s only, never a seed message.
                assert!(t.recipients.as_slice().iter().all(|k| Some(*k) == alice));
                let frame = Frame::decode(bytes).expect("the hub only writes valid frames");
                assert!(
                    matches!(frame.cmd, Command::Ack | Command::Action),
                    "{frame:?}"
                );
                frame
                    .to_server_message(std::time::UNIX_EPOCH)
                    .expect("ACTION data that reads back");
            } else {
                // Everything written to a seed session is a valid server message.
                ServerMessage::decode(bytes).expect("the hub only writes valid messages");
            }
        }
        assert!(transmits <= 64, "one step produced {transmits} transmits");
        while hub.poll_event().is_some() {}
        if let Some(k) = alice {
            if hub.session(k).is_none() {
                // A closed session takes no more input.
                let closed = Err(HubError::Closed(k));
                assert_eq!(hub.handle_text(now, wall(now), k, KNOWN[0]), closed);
                assert_eq!(hub.handle_pong(now, wall(now), k), closed);
                assert_eq!(hub.handle_end(now, wall(now), k), closed);
                alice = None;
            }
        }
        assert!(hub.len() <= 2);
    }
});
