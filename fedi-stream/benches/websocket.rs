//! The WebSocket engine side by side with tungstenite 0.30 on the same bytes, on real text:
//! consecutive pieces of the real ActivityStreams corpus of `activitystreams-core`, minified.
//!
//! - `websocket_read_text`: a server reads masked text messages (frame parse, unmask, UTF-8
//!   validation, the message handed out as an owned string) delivered in 128 KiB reads
//!   (tungstenite's default read size); 3,000 messages of 300 bytes or 16 of 64 KiB per
//!   iteration, through one connection per side that lives across iterations (steady state), for
//!   `fedi_stream::websocket::Connection` (also with every message's `String` handed back by
//!   `Connection::recycle`) and for tungstenite's `WebSocket::read`.
//! - `websocket_write_text`: a server writes the same messages as unmasked text frames into a
//!   byte buffer: `Connection::send_text` into a `Vec<u8>`, tungstenite's `WebSocket::write`
//!   then `flush` into a `Vec<u8>` transport. The bytes are checked equal.
//!
//! `cargo bench -p fedi-stream --bench websocket`; with `FEDI_PAIRED=`, also each ratio to
//! tungstenite in paired rounds (`support::compare`); with `FEDI_PROFILE=GROUP/SIDE/INPUT`, one
//! steady-state iteration of one case for callgrind (`support::main`).

mod support;

use std::hint::black_box;
use std::io::{self, Read, Write};

use criterion::{Criterion, Throughput, criterion_group};
use fedi_stream::websocket::{Connection, Event, Limits, Message, OpCode, write_frame};
use tungstenite::protocol::Role;

/// fedi-stream reading with every message's `String` handed back (`Connection::recycle`).
const RECYCLING: &str = "fedi-stream recycling";
const OURS: &str = "fedi-stream";
const TUNGSTENITE: &str = "tungstenite";

/// The transport read size on both sides.
const READ_SIZE: usize = 128 * 1024;

const CASES: [(&str, usize, usize); 2] = [("300B", 300, 3000), ("64KiB", 64 * 1024, 16)];

/// Masked text frames carrying `messages`, as a client sends them.
fn client_stream(messages: &[String]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, message) in messages.iter().enumerate() {
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

/// Reads the whole of `bytes` through `connection` in [`READ_SIZE`] reads; returns the text
/// bytes received. With `recycle`, hands every message's `String` back to the connection.
fn read_fedi_stream(connection: &mut Connection, bytes: &[u8], recycle: bool) -> usize {
    let mut received = 0;
    for chunk in bytes.chunks(READ_SIZE) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let used = connection.handle_bytes(rest).expect("open and drained");
            rest = &rest[used..];
            while let Some(event) = connection.poll_event() {
                if let Event::Message(Message::Text(text)) = event {
                    let text = black_box(text);
                    received += text.len();
                    if recycle {
                        connection.recycle(text);
                    }
                }
            }
        }
    }
    received
}

/// The bytes to read, and a sink for what tungstenite writes.
struct Transport {
    input: &'static [u8],
    output: Vec<u8>,
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.input.len()).min(READ_SIZE);
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Socket = tungstenite::WebSocket<Transport>;

fn socket(role: Role) -> Socket {
    let transport = Transport {
        input: &[],
        output: Vec::new(),
    };
    tungstenite::WebSocket::from_raw_socket(transport, role, None)
}

/// Reads `count` messages of `bytes` through `socket`; returns the text bytes received.
fn read_tungstenite(socket: &mut Socket, bytes: &'static [u8], count: usize) -> usize {
    socket.get_mut().input = bytes;
    let mut received = 0;
    for _ in 0..count {
        match socket.read() {
            Ok(tungstenite::Message::Text(text)) => received += black_box(text).len(),
            other => panic!("unexpected {other:?}"),
        }
    }
    received
}

fn read(c: &mut Criterion) {
    const GROUP: &str = "websocket_read_text";
    support::describe(
        GROUP,
        "A server reads masked text frames of real text (consecutive pieces of the minified \
         real ActivityStreams corpus, each exactly 300 bytes or 64 KiB) delivered in 128 KiB \
         reads: frame parse, unmask, UTF-8 validation, each message handed out as an owned \
         string (`String` for fedi-stream, `Utf8Bytes` for tungstenite). 3,000 messages of \
         300 B or 16 of 64 KiB per iteration, through one connection per side that lives \
         across iterations. `fedi-stream recycling` also hands every message's `String` back \
         (`Connection::recycle`), so later messages are received into it. Both libraries \
         received the same messages, checked before timing.",
    );
    let mut group = c.benchmark_group(GROUP);
    for (label, size, count) in CASES {
        let messages = support::real_pieces(size, count);
        let bytes: &'static [u8] = Vec::leak(client_stream(&messages));
        let payload = size * count;

        let mut ours = Connection::server(Limits::default());
        let mut theirs = socket(Role::Server);
        let mut mine = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            rest = &rest[ours.handle_bytes(rest).expect("open")..];
            mine.extend(std::iter::from_fn(|| ours.poll_event()));
        }
        let expected: Vec<Event> = messages
            .iter()
            .map(|m| Event::Message(Message::text(m.as_str())))
            .collect();
        assert!(mine == expected, "fedi-stream read other messages");
        theirs.get_mut().input = bytes;
        for message in &messages {
            match theirs.read() {
                Ok(tungstenite::Message::Text(text)) => assert_eq!(text.as_str(), message),
                other => panic!("unexpected {other:?}"),
            }
        }

        group.throughput(Throughput::Bytes(payload as u64));
        let mut recycling = Connection::server(Limits::default());
        let sides: Vec<support::Side<'_>> = vec![
            (
                OURS,
                Box::new(move || assert_eq!(read_fedi_stream(&mut ours, bytes, false), payload)),
            ),
            (
                RECYCLING,
                Box::new(move || {
                    assert_eq!(read_fedi_stream(&mut recycling, bytes, true), payload);
                }),
            ),
            (
                TUNGSTENITE,
                Box::new(move || {
                    assert_eq!(read_tungstenite(&mut theirs, bytes, count), payload);
                }),
            ),
        ];
        support::compare(&mut group, GROUP, label, &[TUNGSTENITE], sides);
    }
    group.finish();
}

fn write_fedi_stream(connection: &mut Connection, messages: &[String], out: &mut Vec<u8>) {
    out.clear();
    for message in messages {
        connection.send_text(message, out).expect("open");
    }
}

/// `messages` as tungstenite's text messages, made once: a clone shares the bytes.
fn tungstenite_messages(messages: &[String]) -> Vec<tungstenite::Message> {
    messages
        .iter()
        .map(|m| tungstenite::Message::text(m.as_str()))
        .collect()
}

fn write_tungstenite(socket: &mut Socket, messages: &[tungstenite::Message]) -> usize {
    socket.get_mut().output.clear();
    for message in messages {
        socket.write(message.clone()).expect("open");
    }
    socket.flush().expect("flushed");
    socket.get_ref().output.len()
}

fn write(c: &mut Criterion) {
    const GROUP: &str = "websocket_write_text";
    support::describe(
        GROUP,
        "A server writes the messages of `websocket_read_text` as unmasked text frames into a \
         reused byte buffer: `Connection::send_text(&str, &mut Vec<u8>)`, and tungstenite's \
         `WebSocket::write` (of a `Message::Text` made beforehand; a clone shares its bytes) \
         then `flush` into a `Vec<u8>` transport. Both wrote the same bytes, checked before \
         timing.",
    );
    let mut group = c.benchmark_group(GROUP);
    for (label, size, count) in CASES {
        let messages = support::real_pieces(size, count);
        let theirs_messages = tungstenite_messages(&messages);
        let mut ours = Connection::server(Limits::default());
        let mut theirs = socket(Role::Server);
        let mut out = Vec::new();
        write_fedi_stream(&mut ours, &messages, &mut out);
        write_tungstenite(&mut theirs, &theirs_messages);
        assert!(
            out == theirs.get_ref().output,
            "the libraries wrote other bytes"
        );

        group.throughput(Throughput::Bytes((size * count) as u64));
        let messages = &messages;
        let theirs_messages = &theirs_messages;
        let sides: Vec<support::Side<'_>> = vec![
            (
                OURS,
                Box::new(move || {
                    write_fedi_stream(&mut ours, messages, &mut out);
                    black_box(out.len());
                }),
            ),
            (
                TUNGSTENITE,
                Box::new(move || {
                    black_box(write_tungstenite(&mut theirs, theirs_messages));
                }),
            ),
        ];
        support::compare(&mut group, GROUP, label, &[TUNGSTENITE], sides);
    }
    group.finish();
}

criterion_group!(benches, read, write);

fn main() {
    support::main(benches, profile);
}

/// One steady-state iteration of a benchmark on one connection, for [`support::main`]'s
/// profiles.
fn profile(group: &str, side: &str, input: &str) {
    let (_, size, count) = CASES
        .into_iter()
        .find(|(label, _, _)| *label == input)
        .expect("300B or 64KiB");
    let messages = support::real_pieces(size, count);
    let bytes: &'static [u8] = Vec::leak(client_stream(&messages));
    let theirs_messages = tungstenite_messages(&messages);
    let mut ours = Connection::server(Limits::default());
    let mut theirs = socket(Role::Server);
    let mut out = Vec::new();
    let run = || match (group, side) {
        ("websocket_read_text", OURS) => read_fedi_stream(&mut ours, bytes, false),
        ("websocket_read_text", RECYCLING) => read_fedi_stream(&mut ours, bytes, true),
        ("websocket_read_text", TUNGSTENITE) => read_tungstenite(&mut theirs, bytes, count),
        ("websocket_write_text", OURS) => {
            write_fedi_stream(&mut ours, &messages, &mut out);
            out.len()
        }
        ("websocket_write_text", TUNGSTENITE) => write_tungstenite(&mut theirs, &theirs_messages),
        other => panic!("no profile for {other:?}"),
    };
    support::profile_case(run);
}
