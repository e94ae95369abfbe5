//! Server-side reading of masked text messages: frame parse + unmask + UTF-8 validation, for
//! 300-byte and 64 KiB messages, with `fedi_stream::websocket::Connection` and tungstenite
//! 0.30's `WebSocket::read` (its `FrameCodec` frame parser, unmasking and UTF-8 check) side by
//! side on the same bytes, delivered in 128 KiB reads (tungstenite's default read size).
//!
//! `cargo bench -p fedi-stream --bench websocket`

use std::hint::black_box;
use std::io::{self, Read, Write};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fedi_stream::websocket::{Connection, Event, Limits, Message, OpCode, write_frame};
use tungstenite::protocol::Role;

/// The transport read size on both sides.
const READ_SIZE: usize = 128 * 1024;

/// A text of `len` bytes in the style of an ActivityStreams payload, with some non-ASCII.
fn text(len: usize) -> String {
    let sample = r#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","content":"Grüße aus Zürich — ça va? 日本語も少し。","to":["https://www.w3.org/ns/activitystreams#Public"]}"#;
    let mut text: String = sample.chars().cycle().take(len).collect();
    while text.len() > len {
        text.pop();
    }
    while text.len() < len {
        text.push(' ');
    }
    text
}

/// `count` masked text frames carrying `message`, as a client sends them.
fn stream(message: &str, count: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in 0..count {
        let key = (i as u32).wrapping_mul(0x9E37_79B9).to_le_bytes();
        write_frame(
            OpCode::Text,
            true,
            Some(key),
            message.as_bytes(),
            &mut bytes,
        );
    }
    bytes
}

fn read_fedi_stream(bytes: &[u8]) -> usize {
    let mut connection = Connection::server(Limits::default());
    let mut received = 0;
    for chunk in bytes.chunks(READ_SIZE) {
        connection.handle_bytes(chunk);
        while let Some(event) = connection.poll_event() {
            if let Event::Message(Message::Text(text)) = event {
                received += black_box(text).len();
            }
        }
    }
    received
}

/// The bytes to read and a sink for what tungstenite writes.
struct Transport<'a> {
    input: &'a [u8],
}

impl Read for Transport<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.input.len()).min(READ_SIZE);
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Transport<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn read_tungstenite(bytes: &[u8], count: usize) -> usize {
    let mut socket =
        tungstenite::WebSocket::from_raw_socket(Transport { input: bytes }, Role::Server, None);
    let mut received = 0;
    for _ in 0..count {
        match socket.read() {
            Ok(tungstenite::Message::Text(text)) => received += black_box(text).len(),
            other => panic!("unexpected {other:?}"),
        }
    }
    received
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("websocket_read_text");
    for (label, size, count) in [("300B", 300, 3000), ("64KiB", 64 * 1024, 16)] {
        let message = text(size);
        let bytes = stream(&message, count);
        let payload = (size * count) as u64;
        assert_eq!(read_fedi_stream(&bytes), size * count);
        assert_eq!(read_tungstenite(&bytes, count), size * count);
        group.throughput(Throughput::Bytes(payload));
        group.bench_with_input(
            BenchmarkId::new("fedi-stream", label),
            &bytes,
            |b, bytes| {
                b.iter(|| read_fedi_stream(bytes));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("tungstenite", label),
            &bytes,
            |b, bytes| {
                b.iter(|| read_tungstenite(bytes, count));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
