//! `fedi_stream::websocket::Connection` as a server on arbitrary bytes split at arbitrary
//! points: no panic, memory within the limits at every step, and the same events, frames sent
//! (Pongs aside, whose number depends on when the host drains) and final state for every
//! chunking (at once, as cut, one byte at a time), and whether or not the host hands every
//! text message's `String` back (`Connection::recycle`) for the next ones.
//!
//! Input is fed as far as the connection takes it (the event queue is bounded), drained in the
//! one order (transmit, then events); once the connection is closed for input every call is
//! refused with `InputError::Closed`.
//!
//! Input layout: `[flags, cut_count, cuts as u16 LE..., stream...]`. `flags` bit 0: small
//! limits (256-byte frames, 1 KiB messages, 2 pending Pongs, 3 queued events); bit 1: end
//! with `handle_end`; bit 2: also check the one-byte chunking with every text message handed
//! back.
#![no_main]

use fedi_fuzz::cut_stream;
use fedi_stream::websocket::{
    Connection, Event, FrameHeader, InputError, Limits, Message, OpCode, State,
};
use libfuzzer_sys::fuzz_target;

type Outcome = (Vec<Event>, Vec<(OpCode, Vec<u8>)>, State);

/// Feeds `chunks`; with `recycle`, hands a copy of every text message back once drained.
fn run<'a>(
    limits: Limits,
    eof: bool,
    recycle: bool,
    chunks: impl Iterator<Item = &'a [u8]>,
) -> Outcome {
    let mut connection = Connection::server(limits);
    let mut events = Vec::new();
    let mut transmit = Vec::new();
    // What one drain may owe: the Pongs, then one Close (each frame: 2 header bytes + 125).
    let owed = (limits.max_pending_pongs + 1) * 127;
    let step = |connection: &mut Connection, events: &mut Vec<Event>, transmit: &mut Vec<u8>| {
        assert!(connection.buffered_bytes() <= limits.max_message_size);
        assert!(connection.queued_events() <= limits.max_queued_events.max(1));
        let before = transmit.len();
        let _ = connection.poll_transmit(transmit);
        assert!(transmit.len() - before <= owed);
        while let Some(event) = connection.poll_event() {
            if let (true, Event::Message(Message::Text(text))) = (recycle, &event) {
                connection.recycle(text.clone());
            }
            events.push(event);
        }
    };
    for chunk in chunks {
        let mut rest = chunk;
        loop {
            match connection.handle_bytes(rest) {
                Ok(used) => rest = &rest[used..],
                Err(InputError::Closed) => {
                    assert_eq!(connection.state(), State::Closed);
                    break;
                }
                Err(error) => panic!("drained after every call, yet {error}"),
            }
            step(&mut connection, &mut events, &mut transmit);
            if rest.is_empty() {
                break;
            }
        }
    }
    if eof {
        match connection.handle_end() {
            Ok(()) => step(&mut connection, &mut events, &mut transmit),
            Err(error) => {
                assert_eq!(error, InputError::Closed);
                assert_eq!(connection.state(), State::Closed);
            }
        }
        assert_eq!(connection.state(), State::Closed);
    }
    (events, frames_except_pongs(&transmit), connection.state())
}

/// The (unmasked) frames a server wrote, without the Pongs.
fn frames_except_pongs(mut bytes: &[u8]) -> Vec<(OpCode, Vec<u8>)> {
    let mut frames = Vec::new();
    while let Ok(Some((header, len))) = FrameHeader::parse(bytes) {
        assert!(header.mask.is_none(), "a server never masks");
        let end = len + header.payload_len as usize;
        if header.opcode != OpCode::Pong {
            frames.push((header.opcode, bytes[len..end].to_vec()));
        }
        bytes = &bytes[end..];
    }
    assert!(bytes.is_empty(), "the connection writes whole frames");
    frames
}

fuzz_target!(|data: &[u8]| {
    let [flags, cut_count, rest @ ..] = data else {
        return;
    };
    let limits = if flags & 1 != 0 {
        Limits::default()
            .with_max_frame_size(256)
            .with_max_message_size(1024)
            .with_max_pending_pongs(2)
            .with_max_queued_events(3)
    } else {
        Limits::default()
    };
    let eof = flags & 2 != 0;
    let Some((stream, pieces)) = cut_stream(*cut_count, rest) else {
        return;
    };

    let whole = run(limits, eof, false, std::iter::once(stream));
    assert_eq!(run(limits, eof, false, pieces.into_iter()), whole);
    assert_eq!(run(limits, eof, false, stream.chunks(1)), whole);
    if flags & 4 != 0 {
        assert_eq!(run(limits, eof, true, stream.chunks(1)), whole);
    }
});
