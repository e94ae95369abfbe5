//! SSE codec throughput on real ActivityStreams documents, side by side with two peers fed
//! the same bytes in the same chunks in the same run: `eventsource-stream` 0.2.3, and a bare
//! line splitter written here (`memchr` for LF, the `event`/`id`/`data` fields, events handed
//! out as borrowed byte slices, never checked as UTF-8), the floor a general decoder can
//! approach. Our decoder runs twice: `fedi-stream` hands out owned events (`feed` + `poll`, one
//! allocation per event), `fedi-stream (borrowed)` lends them (`feed_borrowed`: `&str`s into the
//! chunk or the decoder, no allocation per event); both check UTF-8. Before timing, every
//! side's events are checked equal.
//!
//! - `decode_inbox`: an inbox stream (`event: inbox`, `id`, one `data` line of a 1–2 KB real
//!   document, minified) of about 8 MiB, in 64 B, 1500 B, 16 KiB and 1 MiB chunks.
//! - `decode_tiny`: a Mastodon-style stream of tiny events (`event: delete`, `data: <status
//!   id>`, a `:thump` keep-alive every 100 events) of about 1 MiB, in 1500 B and 16 KiB chunks
//!   and one event per chunk.
//! - `decode_scaling`: our decoder alone (owned and borrowed) on 2 MiB and 32 MiB of the inbox
//!   stream at each chunk size: equal throughput means time linear in the input length.
//! - `long_line`: one 1 MiB `data` line of real text in one chunk and in 1 KiB chunks.
//! - `encode_inbox`: the inbox stream's events written by the encoder, by a hand-written
//!   encoder that splits data on line breaks with `memchr`, and by a plain `write!`; the bytes
//!   are checked equal.
//! - `encode_event`: the same events and sides, each event written alone into the emptied
//!   buffer (the output stays in cache), as a server writes an event and sends it.
//!
//! Run: `cargo bench -p fedi-stream --bench sse` (add `-- <filter>` to pick a group); with
//! `FEDI_PAIRED=` (or `FEDI_PAIRED=<part of a group name>`), also each ratio to a peer in paired
//! rounds (`support::compare`); with `FEDI_PROFILE=GROUP/SIDE/INPUT`, one run of one case for
//! callgrind (`support::main`).

mod support;

use std::convert::Infallible;
use std::hint::black_box;
use std::io::Write as _;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};
use eventsource_stream::Eventsource;
use fedi_stream::sse::{Decoder, Encoder, EventRef, Limits, OutgoingEvent, Output, OutputRef};
use futures::{StreamExt, executor::block_on, stream};

const OURS: &str = "fedi-stream";
const OURS_BORROWED: &str = "fedi-stream (borrowed)";
const SPLITTER: &str = "memchr line splitter";
const EVENTSOURCE: &str = "eventsource-stream";
const MEMCHR_ENCODER: &str = "memchr encoder";
const WRITE: &str = "write!";

/// One decoded event, as every side reports it: type, data, last event id.
type Triple = (String, String, String);

/// `(id, data)` of the inbox stream's events: the 1–2 KB real documents in turn, with
/// increasing ids, up to at least `len` bytes of stream.
fn inbox_events(len: usize) -> Vec<(String, String)> {
    let documents = support::inbox_documents();
    let mut events = Vec::new();
    let mut total = 0;
    let mut n = 0;
    while total < len {
        let data = documents[n % documents.len()].clone();
        total += data.len() + 32;
        events.push((format!("{}", 100_000_000 + n), data));
        n += 1;
    }
    events
}

fn inbox_stream(len: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    encode_stream::<Ours>(&inbox_events(len), &mut wire);
    wire
}

/// Mastodon's streaming format for deleted statuses, with its keep-alive comment.
fn tiny_stream(len: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut n = 0u64;
    while wire.len() < len {
        if n % 100 == 99 {
            wire.extend_from_slice(b":thump\n");
        }
        write!(
            wire,
            "event: delete\ndata: {}\n\n",
            113_000_000_000_000_001 + n
        )
        .unwrap();
        n += 1;
    }
    wire
}

/// Our decoder over `chunks`; calls `each` with every event.
fn ours(chunks: &[&[u8]], limits: Limits, mut each: impl FnMut(&fedi_stream::sse::Event)) {
    let mut decoder = Decoder::new().with_limits(limits);
    for chunk in chunks {
        decoder.feed(chunk);
        while let Some(output) = decoder.poll() {
            if let Ok(Output::Event(event)) = output {
                each(&event);
                black_box(event);
            }
        }
    }
    decoder.finish();
    while let Some(output) = decoder.poll() {
        black_box(output.ok());
    }
}

/// Data bytes our decoder reports.
fn ours_len(chunks: &[&[u8]], limits: Limits) -> usize {
    let mut seen = 0;
    ours(chunks, limits, |e| seen += e.data().len());
    seen
}

/// Our decoder's borrowed path over `chunks`; calls `each` with every event.
fn ours_borrowed(chunks: &[&[u8]], limits: Limits, mut each: impl FnMut(EventRef<'_>)) {
    let mut decoder = Decoder::new().with_limits(limits);
    for chunk in chunks {
        for output in decoder.feed_borrowed(chunk) {
            if let Ok(OutputRef::Event(event)) = output {
                each(event);
                black_box(event);
            }
        }
    }
    decoder.finish();
    while let Some(output) = decoder.poll() {
        black_box(output.ok());
    }
}

/// Data bytes our decoder's borrowed path reports.
fn ours_borrowed_len(chunks: &[&[u8]], limits: Limits) -> usize {
    let mut seen = 0;
    ours_borrowed(chunks, limits, |e| seen += e.data().len());
    seen
}

/// The bare line splitter: LF only, no BOM, no CR, no limits, no UTF-8 validation; the
/// `event`, `id` and `data` fields (one leading space removed); an event at each blank line
/// after data, handed out as byte slices: the data borrowed from the chunk when it is one line
/// inside one chunk, otherwise from a buffer it reuses, as are the type and id. What remains
/// of SSE once everything a general decoder must do beyond finding lines is removed: the
/// floor to compare with.
#[derive(Default)]
struct Splitter {
    line: Vec<u8>,
    data: Vec<u8>,
    /// 0: no data yet; 1: the data is the one line in `single`; 2: the data is in `data`.
    state: u8,
    event: Vec<u8>,
    id: Vec<u8>,
}

impl Splitter {
    fn feed<'c>(&mut self, chunk: &'c [u8], each: &mut impl FnMut(&[u8], &[u8], &[u8])) {
        let mut rest = chunk;
        let mut single: &'c [u8] = &[];
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let (line, tail) = rest.split_at(end);
            rest = &tail[1..];
            if self.line.is_empty() {
                self.field(line, &mut single, each);
            } else {
                self.line.extend_from_slice(line);
                let whole = std::mem::take(&mut self.line);
                // A line that started in an earlier chunk: `single` is not in use (a data line
                // left in `single` at a chunk end was copied).
                let mut none: &[u8] = &[];
                self.field(&whole, &mut none, each);
                if self.state == 1 {
                    self.data.clear();
                    self.data.extend_from_slice(none);
                    self.state = 2;
                }
                self.line = whole;
                self.line.clear();
            }
        }
        if self.state == 1 {
            // The data line is in this chunk, the end of its block is not: keep a copy.
            self.data.clear();
            self.data.extend_from_slice(single);
            self.state = 2;
        }
        self.line.extend_from_slice(rest);
    }

    #[inline]
    fn field<'l>(
        &mut self,
        line: &'l [u8],
        single: &mut &'l [u8],
        each: &mut impl FnMut(&[u8], &[u8], &[u8]),
    ) {
        let value = |v: &'l [u8]| -> &'l [u8] { v.strip_prefix(b" ").unwrap_or(v) };
        if line.is_empty() {
            let event: &[u8] = if self.event.is_empty() {
                b"message"
            } else {
                &self.event
            };
            match self.state {
                1 => each(event, single, &self.id),
                2 => each(event, &self.data, &self.id),
                _ => {}
            }
            self.state = 0;
            self.event.clear();
        } else if let Some(v) = line.strip_prefix(b"data:") {
            match self.state {
                0 => {
                    *single = value(v);
                    self.state = 1;
                }
                1 => {
                    self.data.clear();
                    self.data.extend_from_slice(single);
                    self.data.push(b'\n');
                    self.data.extend_from_slice(value(v));
                    self.state = 2;
                }
                _ => {
                    self.data.push(b'\n');
                    self.data.extend_from_slice(value(v));
                }
            }
        } else if let Some(v) = line.strip_prefix(b"event:") {
            self.event.clear();
            self.event.extend_from_slice(value(v));
        } else if let Some(v) = line.strip_prefix(b"id:") {
            self.id.clear();
            self.id.extend_from_slice(value(v));
        }
    }
}

fn splitter(chunks: &[&[u8]], mut each: impl FnMut(&[u8], &[u8], &[u8])) {
    let mut splitter = Splitter::default();
    for chunk in chunks {
        splitter.feed(chunk, &mut each);
    }
}

fn splitter_len(chunks: &[&[u8]]) -> usize {
    let mut seen = 0;
    splitter(chunks, |event, data, id| {
        seen += data.len();
        black_box((event, data, id));
    });
    seen
}

/// `eventsource-stream` over `chunks`; calls `each` with every event.
fn theirs(chunks: &[&[u8]], mut each: impl FnMut(&eventsource_stream::Event)) {
    let body = stream::iter(chunks.iter().map(|chunk| Ok::<_, Infallible>(*chunk)));
    let mut events = body.eventsource();
    block_on(async {
        while let Some(event) = events.next().await {
            let event = event.expect("valid stream");
            each(&event);
            black_box(event);
        }
    });
}

fn theirs_len(chunks: &[&[u8]]) -> usize {
    let mut seen = 0;
    theirs(chunks, |e| seen += e.data.len());
    seen
}

/// Every side's events, checked equal; returns the number of data bytes.
fn check_equal(chunks: &[&[u8]], limits: Limits, peers: bool) -> usize {
    let mut mine: Vec<Triple> = Vec::new();
    ours(chunks, limits, |e| {
        mine.push((
            e.event_type().to_owned(),
            e.data().to_owned(),
            e.last_event_id().to_owned(),
        ));
    });
    let mut lent: Vec<Triple> = Vec::new();
    ours_borrowed(chunks, limits, |e| {
        lent.push((
            e.event_type().to_owned(),
            e.data().to_owned(),
            e.last_event_id().to_owned(),
        ));
    });
    assert!(mine == lent, "the borrowed path disagrees");
    if peers {
        let mut split: Vec<Triple> = Vec::new();
        splitter(chunks, |t, d, i| {
            let text = |b: &[u8]| String::from_utf8(b.to_vec()).expect("UTF-8");
            split.push((text(t), text(d), text(i)));
        });
        assert!(mine == split, "the line splitter disagrees");
        let mut other: Vec<Triple> = Vec::new();
        theirs(chunks, |e| {
            other.push((e.event.clone(), e.data.clone(), e.id.clone()));
        });
        assert!(mine == other, "eventsource-stream disagrees");
    }
    assert!(!mine.is_empty());
    mine.iter().map(|(_, d, _)| d.len()).sum()
}

fn label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{}MiB", s >> 20),
        s if s >= 1 << 10 && s % 1024 == 0 => format!("{}KiB", s >> 10),
        s => format!("{s}B"),
    }
}

/// Benchmarks the four decoders on `body` cut into `chunks` ([`support::compare`]).
fn decode_four(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group_name: &str,
    label: &str,
    chunks: &[&[u8]],
) {
    let expected = check_equal(chunks, Limits::default(), true);
    let len: usize = chunks.iter().map(|c| c.len()).sum();
    group.throughput(Throughput::Bytes(len as u64));
    let sides: Vec<support::Side<'_>> = vec![
        (
            OURS,
            Box::new(|| assert_eq!(ours_len(chunks, Limits::default()), expected)),
        ),
        (
            OURS_BORROWED,
            Box::new(|| assert_eq!(ours_borrowed_len(chunks, Limits::default()), expected)),
        ),
        (
            SPLITTER,
            Box::new(|| assert_eq!(splitter_len(chunks), expected)),
        ),
        (
            EVENTSOURCE,
            Box::new(|| assert_eq!(theirs_len(chunks), expected)),
        ),
    ];
    support::compare(group, group_name, label, &[SPLITTER, EVENTSOURCE], sides);
}

const INBOX_LEN: usize = 8 << 20;

fn decode_inbox(c: &mut Criterion) {
    const GROUP: &str = "decode_inbox";
    let body = inbox_stream(INBOX_LEN);
    support::describe(
        GROUP,
        &format!(
            "An inbox stream of {} bytes: {} events of `event: inbox`, `id` and one `data` line \
             holding a real 1–2 KB ActivityStreams document, minified. Every side gets the same \
             chunks and hands out every event (type, data, id): `fedi-stream` as an owned event \
             of checked UTF-8 (one allocation each), `fedi-stream (borrowed)` as checked `&str`s \
             lent from the chunk or the decoder (no allocation per event), \
             `eventsource-stream` as owned `String`s, the memchr line splitter as byte slices \
             lent from the chunk or its buffers, never checked as UTF-8. Their events were \
             checked equal before timing. Throughput is stream bytes per second.",
            body.len(),
            inbox_events(INBOX_LEN).len()
        ),
    );
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    for size in [64, 1500, 16 << 10, 1 << 20] {
        let chunks: Vec<&[u8]> = body.chunks(size).collect();
        decode_four(&mut group, GROUP, &label(size), &chunks);
    }
    group.finish();
}

fn decode_tiny(c: &mut Criterion) {
    const GROUP: &str = "decode_tiny";
    let body = tiny_stream(1 << 20);
    let events = body.windows(2).filter(|w| w == b"\n\n").count();
    support::describe(
        GROUP,
        &format!(
            "Many tiny events: {} bytes of Mastodon's streaming format for deleted statuses \
             (`event: delete`, `data: <status id>`, about 40 bytes an event, {events} events) \
             with a `:thump` keep-alive comment every 100 events, in 1500 B and 16 KiB chunks \
             and in one chunk per event (as a server flushes them). Same checks as \
             `decode_inbox`.",
            body.len()
        ),
    );
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    for size in [1500, 16 << 10] {
        let chunks: Vec<&[u8]> = body.chunks(size).collect();
        decode_four(&mut group, GROUP, &label(size), &chunks);
    }
    let mut per_event: Vec<&[u8]> = Vec::new();
    let mut rest = &body[..];
    while let Some(end) = rest.windows(2).position(|w| w == b"\n\n") {
        let (event, tail) = rest.split_at(end + 2);
        per_event.push(event);
        rest = tail;
    }
    decode_four(&mut group, GROUP, "1_event", &per_event);
    group.finish();
}

fn decode_scaling(c: &mut Criterion) {
    support::describe(
        "decode_scaling",
        "fedi-stream alone (owned and borrowed) on the inbox stream of `decode_inbox` cut to \
         2 MiB and to 32 MiB, at each chunk size: the same throughput at both lengths means \
         time linear in the input length.",
    );
    let mut group = c.benchmark_group("decode_scaling");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    let big = inbox_stream(32 << 20);
    let small = inbox_stream(2 << 20);
    for size in [1500, 16 << 10, 1 << 20] {
        for (name, body) in [("2MiB", &small), ("32MiB", &big)] {
            let chunks: Vec<&[u8]> = body.chunks(size).collect();
            let expected = check_equal(&chunks, Limits::default(), false);
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("{OURS} / {name}"), label(size)),
                &chunks,
                |b, chunks| b.iter(|| assert_eq!(ours_len(chunks, Limits::default()), expected)),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{OURS_BORROWED} / {name}"), label(size)),
                &chunks,
                |b, chunks| {
                    b.iter(|| {
                        assert_eq!(ours_borrowed_len(chunks, Limits::default()), expected);
                    });
                },
            );
        }
    }
    group.finish();
}

fn long_line(c: &mut Criterion) {
    const GROUP: &str = "long_line";
    const LEN: usize = 1 << 20;
    // A JSON array of the real documents, cut to 1 MiB: one long line of real text.
    let mut data = String::from("[");
    let text = support::corpus().join(",");
    while data.len() < LEN {
        data.push_str(&text);
        data.push(',');
    }
    while data.len() > LEN {
        data.pop();
    }
    let body = format!("data: {data}\n\n");
    support::describe(
        GROUP,
        "One event whose data is a single 1 MiB line (a JSON array of the real documents), in \
         one chunk and in 1 KiB chunks (1,025 of them). Same checks as `decode_inbox`.",
    );
    // The default limits hold a 1 MiB event.
    assert!(Limits::default().max_event_size >= LEN);
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    for (name, size) in [
        ("1MiB_in_1_chunk", body.len()),
        ("1MiB_in_1KiB_chunks", 1024),
    ] {
        let chunks: Vec<&[u8]> = body.as_bytes().chunks(size).collect();
        decode_four(&mut group, GROUP, name, &chunks);
    }
    group.finish();
}

/// One side of the encode benchmarks: writes the block of an `inbox` event `(id, data)`.
trait EncodeSide: Default {
    fn encode(&mut self, id: &str, data: &str, wire: &mut Vec<u8>);
}

/// `sse::Encoder`, one per stream.
#[derive(Default)]
struct Ours(Encoder);

impl EncodeSide for Ours {
    #[inline]
    fn encode(&mut self, id: &str, data: &str, wire: &mut Vec<u8>) {
        let event = OutgoingEvent::new(data).with_event("inbox").with_id(id);
        self.0.encode(&event, wire).expect("valid event");
    }
}

/// The hand-written encoder: each field written as it is, data split into `data:` lines at
/// CR, LF and CRLF found with `memchr2`. No checks of the type and id.
#[derive(Default)]
struct MemchrEncoder;

impl EncodeSide for MemchrEncoder {
    #[inline]
    fn encode(&mut self, id: &str, data: &str, wire: &mut Vec<u8>) {
        wire.extend_from_slice(b"event: inbox\nid: ");
        wire.extend_from_slice(id.as_bytes());
        wire.push(b'\n');
        let mut rest = data.as_bytes();
        loop {
            let end = memchr::memchr2(b'\r', b'\n', rest);
            let line = &rest[..end.unwrap_or(rest.len())];
            wire.extend_from_slice(b"data: ");
            wire.extend_from_slice(line);
            wire.push(b'\n');
            let Some(end) = end else { break };
            let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
            rest = &rest[end + 1 + usize::from(crlf)..];
        }
        wire.push(b'\n');
    }
}

/// A plain `write!` of each event, data on one line: right only for data without line breaks,
/// which minified JSON has none of.
#[derive(Default)]
struct WriteEncoder;

impl EncodeSide for WriteEncoder {
    #[inline]
    fn encode(&mut self, id: &str, data: &str, wire: &mut Vec<u8>) {
        write!(wire, "event: inbox\nid: {id}\ndata: {data}\n\n").expect("Vec");
    }
}

/// `encode_inbox`: every event appended to the buffer, as one stream.
fn encode_stream<S: EncodeSide>(events: &[(String, String)], wire: &mut Vec<u8>) {
    let mut side = S::default();
    for (id, data) in events {
        side.encode(id, data, wire);
    }
}

/// `encode_event`: each event written alone into the emptied buffer, as a server writes an
/// event and hands its bytes to the connection; the bytes written in all.
fn encode_each<S: EncodeSide>(events: &[(String, String)], wire: &mut Vec<u8>) -> usize {
    let mut side = S::default();
    let mut total = 0;
    for (id, data) in events {
        wire.clear();
        side.encode(id, data, wire);
        total += black_box(wire.as_slice()).len();
    }
    total
}

/// The sides of `encode_inbox` and `encode_event`: name, stream, each event alone.
type EncodeSides = (
    &'static str,
    fn(&[(String, String)], &mut Vec<u8>),
    fn(&[(String, String)], &mut Vec<u8>) -> usize,
);

const ENCODERS: [EncodeSides; 3] = [
    (OURS, encode_stream::<Ours>, encode_each::<Ours>),
    (
        MEMCHR_ENCODER,
        encode_stream::<MemchrEncoder>,
        encode_each::<MemchrEncoder>,
    ),
    (
        WRITE,
        encode_stream::<WriteEncoder>,
        encode_each::<WriteEncoder>,
    ),
];

fn encode_inbox(c: &mut Criterion) {
    let events = inbox_events(INBOX_LEN);
    let mut wire = Vec::new();
    encode_stream::<Ours>(&events, &mut wire);
    for (name, stream, each) in ENCODERS {
        let mut other = Vec::new();
        stream(&events, &mut other);
        assert!(wire == other, "{name} disagrees");
        assert_eq!(each(&events, &mut other), wire.len(), "{name} alone");
    }
    support::describe(
        "encode_inbox",
        &format!(
            "The events of `decode_inbox` ({} events, {} bytes once encoded) written into a \
             reused `Vec<u8>`, one after the other: by `sse::Encoder` (which also checks the \
             type and id for line breaks), by a hand-written encoder that splits data at line \
             breaks with `memchr2`, and by a plain `write!` (right only for data without line \
             breaks). All three write the same bytes, checked before timing. The output, 8 MiB, \
             leaves the processor's faster caches: writing it costs the same on every side.",
            events.len(),
            wire.len()
        ),
    );
    support::describe(
        "encode_event",
        &format!(
            "The same {} events, each written alone into a reused `Vec<u8>` emptied before it, \
             as a server encodes an event and hands its bytes to the connection (the output \
             stays in cache): the encoder's own cost. Same sides, same bytes ({} in all).",
            events.len(),
            wire.len()
        ),
    );
    for (group_name, whole_stream) in [("encode_inbox", true), ("encode_event", false)] {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(3));
        let sides: Vec<support::Side<'_>> = ENCODERS
            .into_iter()
            .map(|(name, stream, each)| {
                let events = &events;
                let mut wire = Vec::with_capacity(wire.len());
                let run: Box<dyn FnMut()> = if whole_stream {
                    Box::new(move || {
                        wire.clear();
                        stream(events, &mut wire);
                        black_box(wire.len());
                    })
                } else {
                    Box::new(move || {
                        black_box(each(events, &mut wire));
                    })
                };
                (name, run)
            })
            .collect();
        support::compare(&mut group, group_name, "", &[MEMCHR_ENCODER, WRITE], sides);
        group.finish();
    }
}

criterion_group!(
    benches,
    decode_inbox,
    decode_tiny,
    decode_scaling,
    long_line,
    encode_inbox
);

fn main() {
    support::main(benches, profile);
}

/// One run of a benchmark's work, for [`support::main`]'s profiles.
fn profile(group: &str, side: &str, input: &str) {
    let size = |label: &str| match label {
        "64B" => 64,
        "1500B" => 1500,
        "16KiB" => 16 << 10,
        "1MiB" => 1 << 20,
        other => panic!("chunk size {other}"),
    };
    let body = match group {
        "decode_inbox" => inbox_stream(INBOX_LEN),
        "decode_tiny" => tiny_stream(1 << 20),
        "encode_inbox" | "encode_event" => Vec::new(),
        other => panic!("no profile for {other}"),
    };
    let chunks: Vec<&[u8]> = if input == "1_event" {
        let mut per_event = Vec::new();
        let mut rest = &body[..];
        while let Some(end) = rest.windows(2).position(|w| w == b"\n\n") {
            let (event, tail) = rest.split_at(end + 2);
            per_event.push(event);
            rest = tail;
        }
        per_event
    } else if input.is_empty() {
        Vec::new()
    } else {
        body.chunks(size(input)).collect()
    };
    let events = inbox_events(INBOX_LEN);
    let mut wire = Vec::with_capacity(body.len().max(INBOX_LEN + (1 << 20)));
    let run = || match (group, side) {
        ("encode_inbox" | "encode_event", side) => {
            let (_, stream, each) = ENCODERS
                .into_iter()
                .find(|(name, _, _)| *name == side)
                .expect("an encoder");
            wire.clear();
            if group == "encode_inbox" {
                stream(&events, &mut wire);
                wire.len()
            } else {
                each(&events, &mut wire)
            }
        }
        (_, OURS) => ours_len(&chunks, Limits::default()),
        (_, OURS_BORROWED) => ours_borrowed_len(&chunks, Limits::default()),
        (_, SPLITTER) => splitter_len(&chunks),
        (_, EVENTSOURCE) => theirs_len(&chunks),
        (_, other) => panic!("no side {other}"),
    };
    support::profile_case(run);
}
