//! Client-to-server posting with many recipients: `accept_outbox_post` followed by
//! `delivery_recipients` on a Note addressed to 1 000, 10 000 and 100 000 actors.
//!
//! The Note is what a client POSTs to an outbox: `to` holds the Public collection and half of
//! the recipients, `cc` a quarter and `bcc` the last quarter, so the run covers wrapping in a
//! Create, copying addressing both ways (§6.2), stripping `bto`/`bcc` (§6) and computing the
//! de-duplicated recipient list (§7.1). Two id shapes: realistic actor URLs spread over 500
//! servers, and short ids of a few bytes. The time per recipient is the reported time divided by
//! the recipient count (criterion's `elem/s` is its inverse); flat means linear.
//!
//! Run: `cargo bench -p activitystreams-core --bench c2s`
//! (`-- --warm-up-time 1 --measurement-time 3` on a busy machine; a filter such as
//! `-- '/(1000|10000)$'` runs only some sizes).

use std::hint::black_box;

use activitystreams_core::c2s::{
    DeliveryLimits, Expansion, IdFor, accept_outbox_post, delivery_recipients,
};
use activitystreams_core::{Object, PUBLIC};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const ACTOR: &str = "https://home.example/users/alice";
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// A realistic actor id: `https://server{k}.example/users/user{i}` over 500 servers.
fn actor_url(i: usize) -> String {
    format!("https://server{}.example/users/user{i}", i % 500)
}

/// A short id: `u` and the index in hex (2 to 6 bytes).
fn short_id(i: usize) -> String {
    format!("u{i:x}")
}

/// The JSON a client posts: a Note addressed to `n` distinct recipients.
fn note_json(n: usize, id: fn(usize) -> String) -> String {
    let list = |range: std::ops::Range<usize>| -> Vec<serde_json::Value> {
        range.map(|i| serde_json::Value::String(id(i))).collect()
    };
    let mut to = vec![serde_json::Value::String(PUBLIC.to_owned())];
    to.extend(list(0..n / 2));
    let note = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Note",
        "content": "<p>Hello, everyone</p>",
        "to": to,
        "cc": list(n / 2..n * 3 / 4),
        "bcc": list(n * 3 / 4..n),
    });
    note.to_string()
}

/// Accepts the post and computes its recipients; returns the recipient count.
fn post_and_deliver(note: Object<'_>) -> usize {
    let mut minted = 0;
    let post = accept_outbox_post(note, ACTOR, &mut |what| {
        minted += 1;
        match what {
            IdFor::Activity => format!("https://home.example/activities/{minted}"),
            _ => format!("https://home.example/objects/{minted}"),
        }
    })
    .expect("accepted");
    let limits = DeliveryLimits::default().with_max_recipients(SIZES[SIZES.len() - 1]);
    let recipients = delivery_recipients(
        &post.delivery,
        &post.blind,
        &mut |_| Expansion::Actor,
        limits,
    )
    .expect("within the limits");
    recipients.actors.len()
}

fn outbox_post(c: &mut Criterion) {
    let mut group = c.benchmark_group("accept_outbox_post+delivery_recipients");
    group.sample_size(10);
    for (shape, id) in [
        ("actor URLs", actor_url as fn(usize) -> String),
        ("short ids", short_id),
    ] {
        for n in SIZES {
            let json = note_json(n, id);
            let note = Object::from_str(&json).expect("parses");
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new(shape, n), &note, |b, note| {
                assert_eq!(post_and_deliver(note.clone()), n, "every recipient, once");
                b.iter_batched(
                    || note.clone(),
                    |note| black_box(post_and_deliver(note)),
                    BatchSize::LargeInput,
                );
            });
        }
    }
    group.finish();
}

criterion_group!(benches, outbox_post);
criterion_main!(benches);
