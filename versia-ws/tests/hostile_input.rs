//! Hostile input: oversized messages, deep nesting, huge numbers and strings and frame floods
//! each give a typed refusal within the documented limits (`Limits::max_message_bytes`, the
//! 1024/2048/20-byte field limits, JSON nesting of 128 levels, the rejection and queue limits).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use versia_ws::connection::{
    Acceptor, CloseCode, Config, Connection, Event, Initiator, LocalIdentity, RejectReason,
    Transmit,
};
use versia_ws::entity::{Entity, EntityError};
use versia_ws::message::{DEFAULT_MAX_MESSAGE_BYTES, MessageError};
use versia_ws::replay::ReplayCache;
use versia_ws::{PrivateKey, SignedBy, SignerKey, VerifyError, Version, WebSocketMessage};

const PATH: &str = "/.versia/v0.6/ws";
const T: u64 = 1_729_243_417;

fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T)
}
/// serde_json's recursion limit, which bounds every JSON text this crate reads.
const JSON_DEPTH_LIMIT: usize = 128;
const MIB: usize = 1 << 20;

fn nested(depth: usize) -> String {
    format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
}

/// Alice's side of a connection Bob opened.
fn accepted(config: Config, start: Instant) -> Connection<SignerKey, ReplayCache> {
    let bob_key = PrivateKey::from_seed(&[11u8; 32]);
    let bob = SignedBy::instance("bob.com");
    let alice = LocalIdentity {
        signer: SignedBy::instance("alice.example"),
        key: PrivateKey::from_seed(&[21u8; 32]),
    };
    let initiator = Initiator::new(
        config.clone(),
        LocalIdentity {
            signer: bob.clone(),
            key: bob_key.clone(),
        },
        alice.signer.clone(),
    );
    let mut request = http::Request::get(PATH).body(()).unwrap();
    *request.headers_mut() = initiator.request_headers(wall()).unwrap();
    let resolver = SignerKey {
        signer: bob,
        key: bob_key.public_key(),
    };
    Acceptor::new(config, alice)
        .accept(start, wall(), &request, resolver, ReplayCache::default())
        .unwrap()
        .connection
}

#[test]
fn nesting_is_bounded_by_the_size_limit_in_frames_and_by_128_levels_in_entities() {
    for depth in [JSON_DEPTH_LIMIT, 10_000, 200_000] {
        let deep = nested(depth);
        // A frame's fields are scalars: a nested value is skipped without recursion (so any
        // depth that fits in `max_message_bytes` costs no stack) and refused by its type.
        let message =
            format!(r#"{{"signature":{deep},"signed_at":"1","signed_by":"a","entity":"{{}}"}}"#);
        assert!(matches!(
            WebSocketMessage::decode(&message, DEFAULT_MAX_MESSAGE_BYTES),
            Err(MessageError::WrongType {
                field: "signature",
                found: "array"
            })
        ));
        // Entities are JSON trees: serde_json's recursion limit applies.
        let entity = format!(r#"{{"type":"Note","content":{deep}}}"#);
        match Entity::from_json(&entity) {
            Err(EntityError::Json { reason, .. }) => {
                assert!(reason.contains("recursion limit"), "{reason}")
            }
            other => panic!("depth {depth}: {other:?}"),
        }
    }
    let fits = format!(
        r#"{{"type":"Note","content":{}}}"#,
        nested(JSON_DEPTH_LIMIT - 2)
    );
    assert!(!matches!(
        Entity::from_json(&fits),
        Err(EntityError::Json { .. })
    ));
}

#[test]
fn huge_numbers_are_refused() {
    let as_number = r#"{"signature":"s","signed_at":1e400,"signed_by":"a","entity":"{}"}"#;
    assert!(matches!(
        WebSocketMessage::decode(as_number, DEFAULT_MAX_MESSAGE_BYTES),
        Err(MessageError::Json { .. })
    ));
    let as_integer = r#"{"signature":"s","signed_at":17292434170,"signed_by":"a","entity":"{}"}"#;
    assert!(matches!(
        WebSocketMessage::decode(as_integer, DEFAULT_MAX_MESSAGE_BYTES),
        Err(MessageError::WrongType {
            field: "signed_at",
            ..
        })
    ));
    // As text, `signed_at` is limited to the 20 digits of u64::MAX.
    for digits in ["18446744073709551616", &"9".repeat(100_000)] {
        let message = WebSocketMessage {
            signature: "s".into(),
            signed_at: digits.to_owned(),
            signed_by: "a".into(),
            entity: "{}".into(),
        };
        assert!(matches!(
            message.parsed_signed_at(),
            Err(VerifyError::InvalidSignedAt { .. })
        ));
    }
}

#[test]
fn a_100_mib_message_is_refused_before_parsing_and_closes_with_1009() {
    let huge = format!(
        r#"{{"signature":"s","signed_at":"1","signed_by":"a","entity":"{}"}}"#,
        "x".repeat(100 * MIB)
    );
    assert!(matches!(
        WebSocketMessage::decode(&huge, DEFAULT_MAX_MESSAGE_BYTES),
        Err(MessageError::TooLarge { len, limit: DEFAULT_MAX_MESSAGE_BYTES }) if len == huge.len()
    ));
    let start = Instant::now();
    let mut alice = accepted(Config::new(Version::V0_6), start);
    alice.handle_text(start, wall(), &huge).unwrap();
    let transmits: Vec<Transmit> = std::iter::from_fn(|| alice.poll_transmit(start)).collect();
    assert!(
        matches!(
            transmits.as_slice(),
            [Transmit::Close {
                code: CloseCode::MESSAGE_TOO_BIG,
                ..
            }]
        ),
        "{transmits:?}"
    );
    let events: Vec<Event> = std::iter::from_fn(|| alice.poll_event(start)).collect();
    assert!(
        matches!(
            events.as_slice(),
            [Event::Rejected {
                reason: RejectReason::Malformed(MessageError::TooLarge { .. }),
                ..
            }]
        ),
        "{events:?}"
    );
}

#[test]
fn a_flood_of_bad_frames_ends_in_a_policy_close() {
    let start = Instant::now();
    let config = Config::new(Version::V0_6);
    let max = config.limits.max_consecutive_rejections;
    let mut alice = accepted(config, start);
    let (mut rejected, mut replies, mut close) = (0, 0, None);
    for i in 0..1_000_000_u64 {
        let now = start + Duration::from_millis(i);
        alice.handle_text(now, wall(), &nested(10_000)).unwrap();
        for transmit in std::iter::from_fn(|| alice.poll_transmit(now)) {
            match transmit {
                Transmit::Text(_) => replies += 1,
                Transmit::Close { code, .. } => close = Some((i, code)),
                other => panic!("{other:?}"),
            }
        }
        for event in std::iter::from_fn(|| alice.poll_event(now)) {
            match event {
                Event::Rejected {
                    reason: RejectReason::Malformed(MessageError::NotAnObject { .. }),
                    ..
                } => rejected += 1,
                other => panic!("{other:?}"),
            }
        }
        if close.is_some() {
            break;
        }
    }
    assert_eq!(close, Some((max as u64 - 1, CloseCode::POLICY_VIOLATION)));
    assert_eq!((rejected, replies), (max, max));
    // Once closing, further frames are ignored: nothing is queued.
    let later = start + Duration::from_secs(1);
    alice.handle_text(later, wall(), &nested(10_000)).unwrap();
    assert!(alice.poll_transmit(later).is_none());
    assert!(alice.poll_event(later).is_none());
}
