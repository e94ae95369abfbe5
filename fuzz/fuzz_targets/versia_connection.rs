//! The versia-ws connection machine fed arbitrary frames, closes and timer ticks.
//!
//! Opens an authenticated connection (fixed keys), then plays the operations against it,
//! draining every output after each one, and checks that queues stay within their limits and
//! that once closed every input is refused with `Closed`.

#![no_main]

use std::time::{Duration, Instant, UNIX_EPOCH};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use versia_ws::connection::{
    Acceptor, CloseCode, Config, ConnectionError, Initiator, LocalIdentity,
};
use versia_ws::replay::ReplayCache;
use versia_ws::{PrivateKey, SignedBy, SignerKey, Version, WebSocketMessage};

const T0: u64 = 1_729_243_417;

#[derive(Debug, Arbitrary)]
enum Operation {
    /// An arbitrary text frame.
    Text(String),
    /// A correctly signed message with this entity, time offset and signer choice.
    Signed {
        entity: String,
        offset: i16,
        by_peer: bool,
    },
    /// Replays the n-th frame played so far.
    Replay(u8),
    Binary,
    Close(Option<u16>),
    /// The transport ends.
    End,
    /// Advances the clock (milliseconds).
    Wait(u16),
    /// Sends an entity of ours.
    Send(String),
}

fuzz_target!(|operations: Vec<Operation>| {
    let bob = LocalIdentity {
        signer: SignedBy::instance("bob.example"),
        key: PrivateKey::from_seed(&[1; 32]),
    };
    let alice = LocalIdentity {
        signer: SignedBy::instance("alice.example"),
        key: PrivateKey::from_seed(&[2; 32]),
    };
    let eve = LocalIdentity {
        signer: SignedBy::instance("eve.example"),
        key: PrivateKey::from_seed(&[3; 32]),
    };
    let bobs_key = SignerKey {
        signer: bob.signer.clone(),
        key: bob.key.public_key(),
    };
    let mut config = Config::new(Version::V0_6);
    config.limits.max_batch = 8;
    config.limits.max_queued_outputs = 64;
    config.limits.rate_burst = 20;
    let limit = config.limits.max_queued_outputs;

    let start = Instant::now();
    let initiator = Initiator::new(config.clone(), bob.clone(), alice.signer.clone());
    let mut request = http::Request::get(initiator.path()).body(()).unwrap();
    let wall_start = UNIX_EPOCH + Duration::from_secs(T0);
    *request.headers_mut() = initiator.request_headers(wall_start).unwrap();
    let mut connection = Acceptor::new(config, alice)
        .accept(
            start,
            wall_start,
            &request,
            bobs_key,
            ReplayCache::default(),
        )
        .unwrap()
        .connection;

    let mut elapsed = Duration::ZERO;
    let mut played: Vec<String> = Vec::new();
    for operation in operations.into_iter().take(256) {
        let now = start + elapsed;
        let wall = wall_start + elapsed;
        let unix = T0 + elapsed.as_secs();
        let closed = connection.is_closed();
        let frame = match operation {
            Operation::Text(text) => Some(text),
            Operation::Signed {
                entity,
                offset,
                by_peer,
            } => {
                let signer = if by_peer { &bob } else { &eve };
                let at = UNIX_EPOCH + Duration::from_secs(unix.saturating_add_signed(i64::from(offset)));
                WebSocketMessage::sign(
                    &signer.key,
                    &signer.signer,
                    Version::V0_6,
                    "/.versia/v0.6/ws",
                    at,
                    entity,
                )
                .ok()
                .map(|message| message.encode())
            }
            Operation::Replay(index) => played.get(usize::from(index)).cloned(),
            Operation::Binary => {
                check(closed, connection.handle_binary(now));
                None
            }
            Operation::Close(code) => {
                check(
                    closed,
                    connection.handle_close(now, code.map(CloseCode), "fuzz"),
                );
                None
            }
            Operation::End => {
                check(closed, connection.handle_end(now));
                None
            }
            Operation::Wait(millis) => {
                elapsed += Duration::from_millis(u64::from(millis));
                check(closed, connection.handle_timeout(start + elapsed));
                None
            }
            Operation::Send(entity) => {
                check(closed, connection.send_entity(now, wall, entity).map(drop));
                None
            }
        };
        if let Some(frame) = frame {
            check(closed, connection.handle_text(now, wall, &frame));
            if played.len() < 64 {
                played.push(frame);
            }
        }
        let mut outputs = 0;
        while connection.poll_transmit(now).is_some() {
            outputs += 1;
        }
        while connection.poll_event(now).is_some() {
            outputs += 1;
        }
        assert!(
            outputs <= limit + 8,
            "{outputs} outputs after one operation"
        );
        let _ = connection.poll_timeout(now);
    }
});

/// Once closed, every input is refused with `Closed`.
fn check(closed: bool, outcome: Result<(), ConnectionError>) {
    if closed {
        assert_eq!(outcome, Err(ConnectionError::Closed));
    }
}
