//! Each rejection the issue lists is refused with its own error, mapped to 401 or 422.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use versia_ws::clock::{ClockError, MAX_UNIX_SECONDS};
use versia_ws::connection::{
    Acceptor, Config, Event, Initiator, LocalIdentity, RejectReason, Transmit,
};
use versia_ws::message::{DEFAULT_MAX_MESSAGE_BYTES, verify_messages};
use versia_ws::signature::{ErrorClass, SignError, SignaturePart, verify_request};
use versia_ws::{
    KeyError, PrivateKey, PublicKey, SignedBy, SignerKey, VerifyError, VerifyOptions, Version,
    WebSocketMessage,
};

const PATH: &str = "/.versia/v0.6/ws";
const T: u64 = 1_729_243_417;
const ENTITY: &str = r#"{"type":"Follow","created_at":"2024-10-18T09:23:37Z","author":"alice","followee":"bob.com:bob"}"#;

/// The wall clock at `unix` seconds.
fn wall(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

fn bob() -> (PrivateKey, SignedBy) {
    (
        PrivateKey::from_seed(&[11u8; 32]),
        SignedBy::instance("bob.com"),
    )
}

fn signed(entity: &str) -> WebSocketMessage {
    let (key, signer) = bob();
    WebSocketMessage::sign(&key, &signer, Version::V0_6, PATH, wall(T), entity).unwrap()
}

fn check(message: &WebSocketMessage, now: u64) -> Result<(), VerifyError> {
    check_at(message, wall(now))
}

fn check_at(message: &WebSocketMessage, clock: SystemTime) -> Result<(), VerifyError> {
    let (key, signer) = bob();
    let mut resolver = SignerKey {
        signer,
        key: key.public_key(),
    };
    message
        .verify(
            &VerifyOptions::new(Version::V0_6),
            PATH,
            Some(clock),
            &mut resolver,
        )
        .map(|_| ())
}

#[test]
fn accepted_inside_the_window() {
    assert_eq!(check(&signed(ENTITY), T), Ok(()));
    assert_eq!(check(&signed(ENTITY), T + 300), Ok(()));
    assert_eq!(check(&signed(ENTITY), T - 300), Ok(()));
}

#[test]
fn tampered_entity() {
    let mut message = signed(ENTITY);
    message.entity = message.entity.replace("alice", "mallory");
    let error = check(&message, T).unwrap_err();
    assert_eq!(error, VerifyError::SignatureMismatch);
    assert_eq!(error.class(), ErrorClass::Unauthorized);
}

#[test]
fn wrong_key() {
    // The resolver hands over a key that belongs to another instance.
    let message = signed(ENTITY);
    let mut eve = SignerKey {
        signer: SignedBy::instance("eve.example"),
        key: PrivateKey::from_seed(&[12u8; 32]).public_key(),
    };
    let error = message
        .verify(
            &VerifyOptions::new(Version::V0_6),
            PATH,
            Some(wall(T)),
            &mut eve,
        )
        .unwrap_err();
    assert!(matches!(error, VerifyError::WrongKey { .. }), "{error:?}");
    assert_eq!(error.status(), 401);
}

#[test]
fn stale_and_future_timestamps() {
    let stale = check(&signed(ENTITY), T + 301).unwrap_err();
    assert!(matches!(stale, VerifyError::Stale { .. }));
    assert_eq!(stale.status(), 422);
    let future = check(&signed(ENTITY), T - 301).unwrap_err();
    assert!(matches!(future, VerifyError::FromTheFuture { .. }));
    assert_eq!(future.status(), 422);
}

/// A wall clock before 1970 or past `clock::MAX_UNIX_SECONDS` is the verifier's own problem,
/// not the peer's: it is clamped, and the message falls outside the window.
#[test]
fn unusable_local_clocks_fall_outside_the_window() {
    let before_epoch = UNIX_EPOCH - Duration::from_secs(1);
    let far_future = wall(MAX_UNIX_SECONDS) + Duration::from_secs(1);
    let message = signed(ENTITY);
    assert_eq!(
        check_at(&message, before_epoch),
        Err(VerifyError::FromTheFuture {
            signed_at: T,
            now: 0,
            max_skew: 300
        })
    );
    assert_eq!(
        check_at(&message, far_future),
        Err(VerifyError::Stale {
            signed_at: T,
            now: MAX_UNIX_SECONDS,
            max_skew: 300
        })
    );
    // The batch path reads the clock the same way.
    let (key, signer) = bob();
    let mut resolver = SignerKey {
        signer,
        key: key.public_key(),
    };
    let options = VerifyOptions::new(Version::V0_6);
    let burst = vec![message.clone(); 5];
    for clock in [before_epoch, far_future] {
        let verdicts = verify_messages(&options, PATH, &burst, Some(clock), &mut resolver);
        assert_eq!(verdicts.len(), burst.len());
        for verdict in verdicts {
            assert_eq!(verdict.map(|_| ()), check_at(&message, clock));
        }
    }
}

/// Signing is local: a clock that cannot be written as `signed_at` is refused, not clamped.
#[test]
fn unusable_local_clocks_are_refused_when_signing() {
    let (key, signer) = bob();
    let sign_at = |clock| WebSocketMessage::sign(&key, &signer, Version::V0_6, PATH, clock, ENTITY);
    assert_eq!(
        sign_at(UNIX_EPOCH - Duration::from_secs(1)),
        Err(SignError::Clock(ClockError::BeforeEpoch))
    );
    assert_eq!(
        sign_at(wall(MAX_UNIX_SECONDS + 1)),
        Err(SignError::Clock(ClockError::TooFarAhead {
            seconds: MAX_UNIX_SECONDS + 1,
            limit: MAX_UNIX_SECONDS
        }))
    );
    let error = sign_at(wall(MAX_UNIX_SECONDS + 1)).unwrap_err();
    let source = std::error::Error::source(&error).expect("the clock error is the source");
    assert!(source.to_string().contains("past the limit"), "{source}");
    // The last writable second signs, and its message verifies at that clock.
    let last = sign_at(wall(MAX_UNIX_SECONDS) + Duration::from_millis(999)).unwrap();
    assert_eq!(last.signed_at, MAX_UNIX_SECONDS.to_string());
    assert_eq!(check_at(&last, wall(MAX_UNIX_SECONDS)), Ok(()));
    let first = sign_at(UNIX_EPOCH).unwrap();
    assert_eq!(first.signed_at, "0");
    assert_eq!(
        check_at(&first, UNIX_EPOCH - Duration::from_secs(5)),
        Ok(())
    );
}

#[test]
fn truncated_base64() {
    let mut message = signed(ENTITY);
    message.signature.truncate(86);
    let error = check(&message, T).unwrap_err();
    assert!(
        matches!(error, VerifyError::SignatureEncoding { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), 401);
}

#[test]
fn raw_non_spki_key() {
    let raw = base64::engine::general_purpose::STANDARD.encode(bob().0.public_key().as_bytes());
    assert_eq!(PublicKey::from_spki_base64(&raw), Err(KeyError::RawKey));
}

#[test]
fn non_canonical_signature() {
    // S + ℓ verifies under lax Ed25519 but is a malleated copy.
    let mut message = signed(ENTITY);
    let mut bytes = message.parsed_signature().unwrap().to_bytes();
    const ORDER: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, add) in bytes[32..].iter_mut().zip(ORDER) {
        let sum = u16::from(*byte) + u16::from(add) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + ℓ still fits in 256 bits");
    message.signature = base64::engine::general_purpose::STANDARD.encode(bytes);
    assert_eq!(
        check(&message, T),
        Err(VerifyError::NonCanonicalSignature {
            part: SignaturePart::S
        })
    );
}

#[test]
fn replayed_message_on_a_connection() {
    let (bob_key, bob_signer) = bob();
    let alice_key = PrivateKey::from_seed(&[21u8; 32]);
    let alice = SignedBy::instance("alice.example");
    let start = Instant::now();
    let config = Config::new(Version::V0_6);
    let initiator = Initiator::new(
        config.clone(),
        LocalIdentity {
            signer: bob_signer.clone(),
            key: bob_key.clone(),
        },
        alice.clone(),
    );
    let mut request = http::Request::get(PATH).body(()).unwrap();
    *request.headers_mut() = initiator.request_headers(wall(T)).unwrap();
    let acceptor = Acceptor::new(
        config,
        LocalIdentity {
            signer: alice,
            key: alice_key,
        },
    );
    let mut accepted = acceptor
        .accept(
            start,
            wall(T),
            &request,
            SignerKey {
                signer: bob_signer,
                key: bob_key.public_key(),
            },
            versia_ws::replay::ReplayCache::default(),
        )
        .unwrap();
    let frame = signed(ENTITY).encode();
    let connection = &mut accepted.connection;
    connection.handle_text(start, wall(T), &frame).unwrap();
    connection
        .handle_text(start + Duration::from_secs(1), wall(T + 1), &frame)
        .unwrap();
    let transmits: Vec<Transmit> = std::iter::from_fn(|| connection.poll_transmit(start)).collect();
    assert_eq!(transmits.len(), 2);
    let Transmit::Text(reply) = &transmits[1] else {
        panic!("{transmits:?}")
    };
    assert!(
        reply.contains(r#""status":401"#) && reply.contains(r#""code":"replayed""#),
        "{reply}"
    );
    let events: Vec<Event> = std::iter::from_fn(|| connection.poll_event(start)).collect();
    assert!(matches!(events[0], Event::Received(_)));
    assert!(matches!(
        &events[1],
        Event::Rejected {
            reason: RejectReason::Verify(VerifyError::Replayed { signed_at: T }),
            ..
        }
    ));
}

#[test]
fn the_rejections_are_distinct_variants() {
    let errors = [
        VerifyError::SignatureMismatch,
        VerifyError::WrongKey {
            signer: SignedBy::instance("a"),
            key_owner: SignedBy::instance("b"),
        },
        VerifyError::Stale {
            signed_at: 0,
            now: 0,
            max_skew: 0,
        },
        VerifyError::FromTheFuture {
            signed_at: 0,
            now: 0,
            max_skew: 0,
        },
        VerifyError::Replayed { signed_at: 0 },
        VerifyError::SignatureEncoding {
            reason: String::new(),
        },
        VerifyError::NonCanonicalSignature {
            part: SignaturePart::S,
        },
    ];
    let codes: std::collections::BTreeSet<&str> = errors.iter().map(VerifyError::code).collect();
    assert_eq!(codes.len(), errors.len());
    // The raw key is refused before verification, by the key parser.
    assert!(!KeyError::RawKey.to_string().is_empty());
}

#[test]
fn http_request_missing_headers_is_401() {
    let request = http::Request::post("https://alice.example/.versia/v0.6/inbox")
        .body(b"{}".to_vec())
        .unwrap();
    let error = verify_request(
        &VerifyOptions::new(Version::V0_6),
        &request,
        Some(wall(T)),
        &mut bob().0.public_key(),
    )
    .unwrap_err();
    assert_eq!(
        error,
        VerifyError::MissingHeader {
            name: "versia-signature"
        }
    );
    assert_eq!(error.status(), 401);
}

#[test]
fn oversized_message_is_refused_before_parsing() {
    let big = format!(
        "{{\"entity\":\"{}\"}}",
        "x".repeat(DEFAULT_MAX_MESSAGE_BYTES)
    );
    assert!(matches!(
        WebSocketMessage::decode(&big, DEFAULT_MAX_MESSAGE_BYTES),
        Err(versia_ws::message::MessageError::TooLarge { .. })
    ));
}
