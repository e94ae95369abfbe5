//! SSE codec throughput, side by side with `eventsource-stream` 0.2.3.
//!
//! - `decode_inbox`: 200 000 inbox-like events (`event: inbox`, `id`, ~300-byte ActivityStreams
//!   JSON data), about 64 MiB, fed in 64 B, 16 KiB and 1 MiB chunks. `eventsource-stream` is
//!   quadratic in the chunk size (about 30 s for the 64 MiB in 1 MiB chunks), so with 1 MiB
//!   chunks it decodes the first 8 MiB only; its throughput depends on the chunk size, not on
//!   the stream length.
//! - `encode_inbox`: the same events written by the encoder.
//! - `long_line`: one event whose data is a single 8 MiB line, in 1 chunk and in 1024 chunks.
//!
//! Run: `cargo bench -p fedi-stream --bench sse` (add `-- <filter>` to pick a group).

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use eventsource_stream::Eventsource;
use fedi_stream::sse::{Decoder, Encoder, Limits, OutgoingEvent, Output};
use futures::{StreamExt, executor::block_on, stream};

const EVENTS: usize = 200_000;
const DATA_LEN: usize = 303;

/// `(id, data)` of each inbox event: an ActivityStreams `Create` of a `Note`, padded to
/// `DATA_LEN` bytes.
fn inbox_events() -> Vec<(String, String)> {
    (0..EVENTS)
        .map(|n| {
            let mut data = format!(
                r#"{{"@context":"https://www.w3.org/ns/activitystreams","id":"https://example.social/activities/{n}","type":"Create","actor":"https://example.social/users/alice","object":{{"type":"Note","attributedTo":"https://example.social/users/alice","content":""#
            );
            while data.len() < DATA_LEN - 3 {
                data.push_str("lorem ipsum ");
            }
            data.truncate(DATA_LEN - 3);
            data.push_str(r#""}}"#);
            (format!("{:06}", 100_000 + n), data)
        })
        .collect()
}

fn encode_all(events: &[(String, String)], wire: &mut Vec<u8>) {
    let mut encoder = Encoder::new();
    for (id, data) in events {
        let event = OutgoingEvent::new(data).with_event("inbox").with_id(id);
        encoder.encode(&event, wire).expect("valid event");
    }
}

/// Decodes `chunks` with our decoder; returns the data bytes seen.
fn ours(chunks: &[&[u8]], limits: Limits) -> usize {
    let mut decoder = Decoder::new().with_limits(limits);
    let mut seen = 0;
    let mut drain = |decoder: &mut Decoder| {
        while let Some(output) = decoder.poll() {
            if let Ok(Output::Event(event)) = output {
                seen += event.data().len();
                black_box(event);
            }
        }
    };
    for chunk in chunks {
        decoder.feed(chunk);
        drain(&mut decoder);
    }
    decoder.finish();
    drain(&mut decoder);
    seen
}

/// Decodes `chunks` with `eventsource-stream`; returns the data bytes seen.
fn theirs(chunks: &[&[u8]]) -> usize {
    let body = stream::iter(chunks.iter().map(|chunk| Ok::<_, Infallible>(*chunk)));
    block_on(body.eventsource().fold(0, |seen, event| {
        let event = event.expect("valid stream");
        let len = event.data.len();
        black_box(event);
        async move { seen + len }
    }))
}

fn decode_inbox(c: &mut Criterion) {
    let mut body = Vec::new();
    encode_all(&inbox_events(), &mut body);
    let expected = EVENTS * DATA_LEN;
    let mut group = c.benchmark_group("decode_inbox");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(5));
    for (label, size) in [("64B", 64), ("16KiB", 16 << 10), ("1MiB", 1 << 20)] {
        let chunks: Vec<&[u8]> = body.chunks(size).collect();
        assert_eq!(ours(&chunks, Limits::default()), expected);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("fedi-stream", label),
            &chunks,
            |b, chunks| {
                b.iter(|| ours(chunks, Limits::default()));
            },
        );
        let theirs_chunks = if size == 1 << 20 {
            &chunks[..8]
        } else {
            &chunks[..]
        };
        let theirs_len: usize = theirs_chunks.iter().map(|c| c.len()).sum();
        group.throughput(Throughput::Bytes(theirs_len as u64));
        group.bench_with_input(
            BenchmarkId::new("eventsource-stream", label),
            theirs_chunks,
            |b, chunks| b.iter(|| theirs(chunks)),
        );
    }
    group.finish();
}

fn encode_inbox(c: &mut Criterion) {
    let events = inbox_events();
    let mut wire = Vec::new();
    encode_all(&events, &mut wire);
    let mut group = c.benchmark_group("encode_inbox");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.sample_size(20);
    group.bench_function("fedi-stream", |b| {
        b.iter(|| {
            wire.clear();
            encode_all(&events, &mut wire);
            black_box(wire.len())
        });
    });
    group.finish();
}

fn long_line(c: &mut Criterion) {
    const LEN: usize = 8 << 20;
    let data = "{\"content\":\"".repeat(LEN / 12 + 1);
    let body = format!("data: {}\n\n", &data[..LEN]);
    let limits = Limits::default().with_max_event_size(LEN);
    let mut group = c.benchmark_group("long_line_8MiB");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    for pieces in [1, 1024] {
        let chunks: Vec<&[u8]> = body
            .as_bytes()
            .chunks(body.len().div_ceil(pieces))
            .collect();
        assert_eq!(ours(&chunks, limits), LEN);
        let label = format!("{pieces}_chunks");
        group.bench_with_input(
            BenchmarkId::new("fedi-stream", &label),
            &chunks,
            |b, chunks| {
                b.iter(|| ours(chunks, limits));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("eventsource-stream", &label),
            &chunks,
            |b, chunks| b.iter(|| theirs(chunks)),
        );
    }
    group.finish();
}

criterion_group!(benches, decode_inbox, encode_inbox, long_line);
criterion_main!(benches);
