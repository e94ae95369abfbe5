//! A server session (inside a hub, next to a second session) fed arbitrary client frames at
//! arbitrary time steps: no panic, bounded output, and the invariants of the machine hold.
#![no_main]

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use bus_protocol::hub::{Hub, HubConfig, NoRelations, Payload};
use bus_protocol::message::ServerMessage;
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
    Reconnect,
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
];

fuzz_target!(|ops: Vec<Op>| {
    let t0 = Instant::now();
    let mut now = t0;
    let mut hub = Hub::new(HubConfig::default(), NoRelations);
    let unix = |now: Instant| 1_738_483_200 + now.duration_since(t0).as_secs() as i64;
    let bob = hub.connect("t", "bob", "sb", now, unix(now)).unwrap();
    let _ = hub.handle_text(bob, KNOWN[1], now, unix(now));
    let mut alice = hub.connect("t", "alice", "sa", now, unix(now)).ok();
    for op in ops.into_iter().take(512) {
        let u = unix(now);
        match op {
            Op::Text(bytes) => {
                if let Some(k) = alice {
                    let _ = hub.handle_text(k, &String::from_utf8_lossy(&bytes), now, u);
                }
            }
            Op::Known(i) => {
                if let Some(k) = alice {
                    let _ = hub.handle_text(k, KNOWN[usize::from(i) % KNOWN.len()], now, u);
                }
            }
            Op::Binary(bytes) => {
                if let Some(k) = alice {
                    let _ = hub.handle_binary(k, &bytes, now, u);
                }
            }
            Op::Wait(ms) => {
                now += Duration::from_millis(u64::from(ms % 600_000));
                if let Some(k) = alice {
                    // Keep the connection from the silence close most of the time.
                    if ms % 3 == 0 {
                        let _ = hub.handle_text(k, KNOWN[0], now, unix(now));
                    }
                }
            }
            Op::TokenExpired => {
                if let Some(k) = alice {
                    let _ = hub.handle_token_expired(k, now, u);
                }
            }
            Op::Reconnect => {
                if let Some(k) = alice.take() {
                    hub.disconnect(k, now, u);
                }
                alice = hub.connect("t", "alice", "sa2", now, u).ok();
            }
        }
        // The timer never lies in the past after handle_timeout.
        hub.handle_timeout(now, unix(now));
        if let Some(at) = hub.poll_timeout() {
            assert!(at > now || hub.poll_timeout() == Some(at));
        }
        let mut transmits = 0;
        while let Some(t) = hub.poll_transmit() {
            transmits += 1;
            if let Payload::Text(bytes) = &t.payload {
                // Everything the server writes is a valid server message.
                ServerMessage::decode(bytes).expect("the hub only writes valid messages");
            }
        }
        assert!(transmits <= 64, "one step produced {transmits} transmits");
        while hub.poll_event().is_some() {}
        if let Some(k) = alice {
            if hub.session(k).is_none() {
                alice = None;
            }
        }
        assert!(hub.len() <= 2);
    }
});
