//! Event deliveries per second through the C2S streaming server: one inbox [`Feed`] with 1,000
//! subscribed [`Session`]s.
//!
//! - `fanout/sse`, `fanout/websocket`: each iteration appends 100 inbox activities (the real
//!   1–2 KB ActivityStreams documents of `activitystreams-core`'s corpus, minified, in turn) and
//!   drains every session, so 100,000 deliveries (each a shared `Bytes` handed out).
//!   Throughput is in deliveries ("elements") per second.
//! - `fanout/encode_per_subscriber`: the naive design for comparison: every subscriber encodes
//!   its own copy of each event with `sse::Encoder` into a fresh buffer (which it must hand to
//!   its socket, so the buffer cannot be reused).
//!
//! Run: `cargo bench -p fedi-stream --bench c2s`.

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, Session, SessionConfig, Transmit};
use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
use fedi_stream::sse::{Encoder, OutgoingEvent};

const SUBSCRIBERS: usize = 1_000;
const BATCH: u64 = 100;

fn activities() -> Vec<Json> {
    let documents = support::inbox_documents();
    (0..BATCH as usize)
        .map(|n| Json::from_bytes(documents[n % documents.len()].clone()).expect("valid JSON"))
        .collect()
}

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    group
        .throughput(Throughput::Elements(BATCH * SUBSCRIBERS as u64))
        .measurement_time(Duration::from_secs(5));
    let activities = activities();
    support::describe(
        "fanout",
        "One inbox feed, 1,000 subscribed sessions; each iteration appends 100 inbox \
         activities (the real 1–2 KB documents, minified, in turn) and drains every session: \
         100,000 deliveries. `sse` and `websocket` encode each event once and hand every \
         session the shared bytes; `encode_per_subscriber` is the naive design, every \
         subscriber encoding its own copy into a fresh buffer. Throughput is deliveries per \
         second.",
    );

    for (name, format) in [("sse", Format::Sse), ("websocket", Format::WebSocket)] {
        let now = Instant::now();
        let mut feed = Feed::new(FeedConfig::new(
            "https://example.social/users/alice/inbox"
                .parse()
                .expect("URL"),
        ));
        let mut sessions: Vec<Session> = (0..SUBSCRIBERS)
            .map(|_| {
                Session::new(&feed, format, None, SessionConfig::default(), now).expect("served")
            })
            .collect();
        let mut next_id = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                for activity in &activities {
                    next_id += 1;
                    let id = ItemId::new(&next_id.to_string()).expect("valid id");
                    feed.append(StreamEvent::inbox(id, activity.clone()))
                        .expect("appended");
                }
                let mut bytes = 0;
                for session in &mut sessions {
                    while let Some(transmit) = session.poll_transmit(now, &feed) {
                        if let Transmit::Body(chunk) | Transmit::Text(chunk) = transmit {
                            bytes += chunk.len();
                        }
                    }
                }
                black_box(bytes)
            });
        });
    }

    group.bench_function("encode_per_subscriber", |b| {
        let mut encoders: Vec<Encoder> = (0..SUBSCRIBERS).map(|_| Encoder::new()).collect();
        let mut next_id = 0u64;
        b.iter(|| {
            let first = next_id;
            next_id += BATCH;
            let mut bytes = 0;
            for encoder in &mut encoders {
                for (offset, activity) in activities.iter().enumerate() {
                    let id = (first + offset as u64).to_string();
                    let mut buffer = Vec::with_capacity(activity.as_bytes().len() + 48);
                    let event = OutgoingEvent::new(activity.as_str())
                        .with_event("inbox")
                        .with_id(&id);
                    encoder.encode(&event, &mut buffer).expect("valid event");
                    let chunk = Bytes::from(buffer);
                    bytes += chunk.len();
                }
            }
            black_box(bytes)
        });
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
