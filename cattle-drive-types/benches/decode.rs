//! Decode + classify throughput of Cattle Drive events, against parsing the same body into a
//! `serde_json::Value` (what a client without typed models does at least).
//!
//! `cargo bench -p cattle-drive-types --bench decode`

use std::hint::black_box;

use cattle_drive_types::message::{Limits, Message};
use cattle_drive_types::topic::{RoutingKey, Transport};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

/// An outgoing event as muck_out-style transformers leave it: the raw activity plus a parsed
/// copy, with a longer note and a few recipients.
fn large_event() -> Vec<u8> {
    let content = "<p>Moo! ".repeat(200) + "</p>";
    let note = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"Hashtag": "as:Hashtag"}],
        "id": "http://abel/simple_storage/0191d6c3", "type": "Note",
        "attributedTo": "http://abel/actor/6Xy1vQb2x0sQ",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": (0..20).map(|i| format!("http://banach/actor/{i}")).collect::<Vec<_>>(),
        "content": content, "published": "2025-01-01T00:00:00Z",
        "tag": (0..10).map(|i| json!({"type": "Hashtag", "name": format!("#cow{i}"), "href": format!("http://abel/tags/cow{i}")})).collect::<Vec<_>>(),
    });
    let create = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": "http://abel/simple_storage/0191d6c4",
        "type": "Create", "actor": "http://abel/actor/6Xy1vQb2x0sQ", "to": note["to"], "cc": note["cc"], "object": note});
    json!({"data": {"raw": create, "parsed": {"activity": create, "object": note}},
           "actor": "http://abel/actor/6Xy1vQb2x0sQ", "event_type": "outgoing", "history_id": null})
    .to_string()
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let inputs: [(&str, &str, Vec<u8>); 3] = [
        (
            "incoming_follow",
            "receive.alice.incoming.Follow",
            include_bytes!("../tests/data/event_incoming.json").to_vec(),
        ),
        (
            "outgoing_create",
            "receive.alice.outgoing.Create",
            include_bytes!("../tests/data/event_outgoing.json").to_vec(),
        ),
        (
            "outgoing_large",
            "receive.alice.outgoing.Create",
            large_event(),
        ),
    ];
    let limits = Limits::default();
    for (name, key, body) in &inputs {
        let mut group = c.benchmark_group(format!("event/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("cattle_drive_types classify+decode", |b| {
            b.iter(|| {
                let key = RoutingKey::parse(black_box(key), Transport::Amqp);
                let Ok(key) = key else { panic!("{key:?}") };
                let message = Message::decode(&key.route, black_box(body), &limits);
                assert!(matches!(message, Ok(Message::Event(_))));
                message
            })
        });
        group.bench_function("serde_json::Value parse", |b| {
            b.iter(|| {
                let value = serde_json::from_slice::<Value>(black_box(body));
                assert!(value.is_ok());
                value
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
