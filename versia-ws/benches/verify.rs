//! Verification cost of one WebSocket message (1 KiB entity) against raw `ed25519-dalek`
//! `verify_strict`, and a burst of 64 messages over one connection: one by one vs the batch
//! path.
//!
//! Baselines: `dalek_verify_strict_1kib` is raw Ed25519 over a 1 KiB message (the entity signed
//! directly); `dalek_verify_strict_signed_string` is the curve check alone on the ~120-byte
//! Versia string; `dalek_verify_strict_with_digest` adds the SHA-256 of the entity that every
//! Versia verifier must compute.
//!
//! `cargo bench -p versia-ws --bench verify`

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use versia_ws::message::{DEFAULT_MAX_MESSAGE_BYTES, verify_messages};
use versia_ws::signature::body_digest;
use versia_ws::{PrivateKey, SignedBy, VerifyOptions, Version, WebSocketMessage};

const PATH: &str = "/.versia/v0.6/ws";
const T: u64 = 1_729_243_417;
const BURST: usize = 64;

/// The wall clock at `T`.
fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T)
}

/// A Note entity of exactly 1024 bytes.
fn entity_1kib(tag: usize) -> String {
    let head = format!(
        r#"{{"id":"{tag:08}","type":"Note","created_at":"2024-10-18T09:23:37Z","author":"bob","content":{{"text/plain":{{"content":""#
    );
    let tail = r#""}}}"#;
    let filler = "x".repeat(1024 - head.len() - tail.len());
    let entity = format!("{head}{filler}{tail}");
    assert_eq!(entity.len(), 1024);
    entity
}

fn single(c: &mut Criterion) {
    let key = PrivateKey::from_seed(&[7; 32]);
    let signer = SignedBy::instance("bob.example");
    let message =
        WebSocketMessage::sign(&key, &signer, Version::V0_6, PATH, wall(), entity_1kib(0)).unwrap();
    let frame = message.encode();
    let public = key.public_key();
    let options = VerifyOptions::new(Version::V0_6);

    let dalek_key = *public.verifying_key();
    let signed_string = message.input(PATH).unwrap().signed_string();
    let dalek_signature =
        ed25519_dalek::Signature::from_bytes(&message.parsed_signature().unwrap().to_bytes());

    // Raw Ed25519 over a 1 KiB message: the entity bytes signed directly.
    let raw_signature =
        ed25519_dalek::Signature::from_bytes(&key.sign_bytes(message.entity.as_bytes()).to_bytes());

    let mut group = c.benchmark_group("verify_1kib_message");
    group.throughput(Throughput::Elements(1));
    group.bench_function("dalek_verify_strict_1kib", |b| {
        b.iter(|| {
            dalek_key
                .verify_strict(
                    black_box(message.entity.as_bytes()),
                    black_box(&raw_signature),
                )
                .unwrap()
        })
    });
    group.bench_function("dalek_verify_strict_signed_string", |b| {
        b.iter(|| {
            dalek_key
                .verify_strict(
                    black_box(signed_string.as_bytes()),
                    black_box(&dalek_signature),
                )
                .unwrap()
        })
    });
    group.bench_function("dalek_verify_strict_with_digest", |b| {
        b.iter(|| {
            let string = format!(
                "post {PATH} {T} {}",
                body_digest(black_box(message.entity.as_bytes()))
            );
            dalek_key
                .verify_strict(string.as_bytes(), &dalek_signature)
                .unwrap()
        })
    });
    group.bench_function("versia_verify", |b| {
        let mut resolver = public.clone();
        b.iter(|| {
            black_box(&message)
                .verify(&options, PATH, Some(wall()), &mut resolver)
                .unwrap()
        })
    });
    group.bench_function("versia_decode_and_verify", |b| {
        let mut resolver = public.clone();
        b.iter(|| {
            WebSocketMessage::decode(black_box(&frame), DEFAULT_MAX_MESSAGE_BYTES)
                .unwrap()
                .verify(&options, PATH, Some(wall()), &mut resolver)
                .unwrap()
        })
    });
    group.finish();
}

fn burst(c: &mut Criterion) {
    let key = PrivateKey::from_seed(&[7; 32]);
    let signer = SignedBy::instance("bob.example");
    let messages: Vec<WebSocketMessage> = (0..BURST)
        .map(|tag| {
            WebSocketMessage::sign(&key, &signer, Version::V0_6, PATH, wall(), entity_1kib(tag))
                .unwrap()
        })
        .collect();
    let public = key.public_key();
    let options = VerifyOptions::new(Version::V0_6);

    let mut group = c.benchmark_group("burst_64_messages");
    group.throughput(Throughput::Elements(BURST as u64));
    group.bench_function("one_by_one", |b| {
        let mut resolver = public.clone();
        b.iter(|| {
            for message in black_box(&messages) {
                message
                    .verify(&options, PATH, Some(wall()), &mut resolver)
                    .unwrap();
            }
        })
    });
    group.bench_function("batch", |b| {
        let mut resolver = public.clone();
        b.iter(|| {
            let verdicts = verify_messages(
                &options,
                PATH,
                black_box(&messages),
                Some(wall()),
                &mut resolver,
            );
            assert!(verdicts.iter().all(Result::is_ok));
        })
    });
    group.finish();
}

criterion_group!(benches, single, burst);
criterion_main!(benches);
