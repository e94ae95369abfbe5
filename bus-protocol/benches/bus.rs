//! Benchmarks: message codec, one session's frame handling, hub fan-out to 10,000 sessions,
//! a hub holding 100,000 sessions, and the memory a hub holds per session, counted by a
//! counting global allocator (every byte allocated and not freed, whoever allocated it).
#![allow(missing_docs)]

use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use bus_protocol::hub::{ActionRoute, Hub, HubConfig, NoRelations, Payload};
use bus_protocol::message::{ActionNotice, ActionSource, ActionType, ClientMessage, ServerMessage};
use bus_protocol::session::SessionConfig;
use bus_protocol::token_bucket::RateLimit;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const UNIX: i64 = 1_738_483_200;

/// The wall clock at [`UNIX`].
fn wall() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(UNIX.unsigned_abs())
}

const CLIENT_TYPING: &str =
    r#"{"type":"typing","recipient":"bob.example.com","conversation_id":"conv_123"}"#;
const SERVER_ACTION: &str = r#"{"type":"action","action_type":"POST","action_id":"a1~abc123...","issuer":"bob.remote.com","content":"Federated post","timestamp":1738483200,"source":"federated"}"#;

fn notice() -> ActionNotice {
    ActionNotice {
        action_type: ActionType::Post,
        action_id: "a1~abc123...".into(),
        issuer: "bob.remote.com".into(),
        content: Some("Federated post".into()),
        timestamp: UNIX,
        source: Some(ActionSource::Federated),
        sub_type: None,
        parent_id: None,
        audience: None,
        status: None,
    }
}

/// A hub with `n` sessions on one tenant (one session per user), all subscribed to `action`.
fn hub_with(n: usize) -> Hub {
    hub_of(n, true)
}

/// A hub with `n` sessions on one tenant, one per user (`user<i>.example.com`), with session
/// ids as fedi-hub makes them (`sess_` and 16 hex digits); each one subscribed to `action` if
/// `subscribe`. Every output is drained.
fn hub_of(n: usize, subscribe: bool) -> Hub {
    let config = HubConfig {
        max_connections: n,
        max_queued_transmits: usize::MAX,
        session: SessionConfig {
            silence_timeout: None,
            ..SessionConfig::default()
        },
        ..HubConfig::default()
    };
    let mut hub = Hub::new(config, NoRelations);
    let now = Instant::now();
    for i in 0..n {
        let key = hub
            .connect(
                now,
                wall(),
                "tenant.example.com",
                &format!("user{i}.example.com"),
                format!(
                    "sess_{:016x}",
                    (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ),
            )
            .unwrap();
        if subscribe {
            hub.handle_text(
                now,
                wall(),
                key,
                r#"{"type":"subscribe","events":["action"]}"#,
            )
            .unwrap();
        }
        while hub.poll_transmit().is_some() {}
        while hub.poll_event().is_some() {}
    }
    hub
}

/// An inbound federated action: its audience is every session of the tenant.
fn federated_route(action: &ActionNotice) -> ActionRoute<'_> {
    ActionRoute {
        tenant: "tenant.example.com",
        action,
        parent_owner: None,
        participants: &[],
        recipient: None,
    }
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    g.bench_function("decode client typing", |b| {
        b.iter(|| ClientMessage::decode(black_box(CLIENT_TYPING.as_bytes())))
    });
    g.bench_function("decode server action", |b| {
        b.iter(|| ServerMessage::decode(black_box(SERVER_ACTION.as_bytes())))
    });
    let action = ServerMessage::Action(notice());
    g.bench_function("encode server action", |b| {
        b.iter(|| black_box(&action).encode())
    });
    g.finish();
}

fn session(c: &mut Criterion) {
    let mut g = c.benchmark_group("session");
    let config = HubConfig {
        session: SessionConfig {
            rate: RateLimit {
                per_minute: u32::MAX,
                burst: u32::MAX,
            },
            ..SessionConfig::default()
        },
        ..HubConfig::default()
    };
    let mut hub = Hub::new(config, NoRelations);
    let start = Instant::now();
    let key = hub.connect(start, wall(), "t", "alice", "s").unwrap();
    let mut now = start;
    g.bench_function("ping to pong through the hub", |b| {
        b.iter(|| {
            now += Duration::from_micros(1);
            hub.handle_text(now, wall(), key, r#"{"type":"ping"}"#)
                .unwrap();
            while let Some(t) = hub.poll_transmit() {
                black_box(t);
            }
        })
    });
    g.finish();
}

fn fan_out(c: &mut Criterion) {
    let mut g = c.benchmark_group("fan-out");
    let mut hub = hub_with(10_000);
    let action = notice();
    let route = federated_route(&action);
    g.bench_function("one action to 10,000 sessions", |b| {
        b.iter(|| {
            let reached = hub.publish_action(&route).unwrap();
            assert_eq!(reached, 10_000);
            let t = hub.poll_transmit().unwrap();
            // What a host does per recipient: one cheap clone of the shared bytes.
            if let Payload::Text(bytes) = &t.payload {
                for key in t.recipients.as_slice() {
                    black_box((key, bytes.clone()));
                }
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("100k sessions");
    g.sample_size(10);
    g.bench_function("connect 100,000 sessions into one hub", |b| {
        b.iter_batched(
            || (),
            |()| black_box(hub_with(100_000)),
            BatchSize::PerIteration,
        )
    });
    let mut big = hub_with(100_000);
    let route = federated_route(&action);
    g.bench_function("one action to 100,000 sessions", |b| {
        b.iter(|| {
            assert_eq!(big.publish_action(&route).unwrap(), 100_000);
            black_box(big.poll_transmit());
        })
    });
    g.finish();
}

/// Bytes allocated and not freed while `build` ran, and what it built (kept alive).
fn held<T>(build: impl FnOnce() -> T) -> (usize, T) {
    let region = Region::new(GLOBAL);
    let value = build();
    let change = region.change();
    let held = change.bytes_allocated as isize - change.bytes_deallocated as isize;
    (usize::try_from(held).unwrap_or(0), value)
}

/// The memory figures: not criterion benchmarks, but rows printed for `scripts/bench-report`.
fn memory(_: &mut Criterion) {
    const TABLE: &str = "memory per session";
    let text = "Everything a hub holds, counted with a counting global allocator: every byte \
                allocated and not freed from the empty hub to the hub with all sessions \
                connected (`welcome` drained), or connected and subscribed to `action` (the \
                `subscribe` answered and drained), divided by the number of sessions. One \
                tenant, one user per session (`user<i>.example.com`), session ids of 21 bytes \
                as fedi-hub makes them. `size_of` counts are included: the sessions live in \
                the hub's heap. The allocator's own overhead per block is not counted.";
    println!("bench-report\tdescribe\t{TABLE}\t{text}");
    for n in [10_000, 100_000] {
        for subscribe in [false, true] {
            let (bytes, hub) = held(|| hub_of(n, subscribe));
            assert_eq!(hub.len(), n);
            drop(hub);
            let state = if subscribe {
                "connected and subscribed"
            } else {
                "connected"
            };
            let row = format!(
                r#"{{"sessions": "{n}", "state": "{state}", "bytes held": "{bytes}", "per session": "**{} B**", "target": "{}"}}"#,
                bytes / n,
                if subscribe { "≤ 512 B" } else { "" }
            );
            println!("bench-report\trow\t{TABLE}\t{row}");
        }
    }
}

criterion_group!(benches, codec, session, fan_out, memory);
criterion_main!(benches);
