//! The WebSocket connection machine against RFC 6455: the §5.7 examples, every protocol
//! violation with its close code, fragmentation, fail-fast UTF-8, the closing handshake,
//! limits, local misuse, and a two-peer harness.

use fedi_stream::websocket::{
    CloseCode, CloseFrame, Connection, ControlPayload, DataKind, Event, FrameHeader, InputError,
    Limits, Message, OpCode, ProtocolError, SendError, State, apply_mask, write_frame,
};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn server() -> Connection {
    Connection::server(Limits::default())
}

fn client() -> Connection {
    Connection::client(Limits::default(), 7)
}

/// A frame as a client sends it (masked).
fn masked(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(opcode, fin, Some(KEY), payload, &mut out);
    out
}

/// A frame as a server sends it (unmasked).
fn unmasked(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(opcode, fin, None, payload, &mut out);
    out
}

/// Drains in the one order: transmit, then events.
fn drain(connection: &mut Connection) -> (Vec<Event>, Vec<u8>) {
    let mut transmit = Vec::new();
    let _ = connection.poll_transmit(&mut transmit);
    let events = std::iter::from_fn(|| connection.poll_event()).collect();
    (events, transmit)
}

/// Feeds all of `bytes` (asserting all are consumed) and drains.
fn feed(connection: &mut Connection, bytes: &[u8]) -> (Vec<Event>, Vec<u8>) {
    assert_eq!(connection.handle_bytes(bytes), Ok(bytes.len()));
    drain(connection)
}

/// The frames a client wrote, each checked to be masked: (opcode, unmasked payload).
fn client_frames(mut bytes: &[u8]) -> Vec<(OpCode, Vec<u8>)> {
    let mut frames = Vec::new();
    while let Ok(Some((header, len))) = FrameHeader::parse(bytes) {
        let key = header.mask.expect("a client masks every frame");
        let end = len + header.payload_len as usize;
        let mut payload = bytes[len..end].to_vec();
        apply_mask(&mut payload, key, 0);
        frames.push((header.opcode, payload));
        bytes = &bytes[end..];
    }
    assert!(bytes.is_empty(), "whole frames");
    frames
}

fn text(text: &str) -> Event {
    Event::Message(Message::text(text))
}

/// The unmasked Close frame a server sends with `code`.
fn close_frame(code: u16) -> Vec<u8> {
    let [high, low] = code.to_be_bytes();
    vec![0x88, 0x02, high, low]
}

#[test]
fn rfc_section_5_7_examples() {
    // A single-frame unmasked text message, to a client.
    let mut c = client();
    assert_eq!(
        feed(&mut c, &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
        (vec![text("Hello")], vec![])
    );

    // A single-frame masked text message, to a server.
    let mut s = server();
    let hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(feed(&mut s, &hello), (vec![text("Hello")], vec![]));

    // A fragmented unmasked text message.
    let mut c = client();
    let (events, _) = feed(
        &mut c,
        &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f],
    );
    assert_eq!(events, vec![text("Hello")]);

    // Unmasked Ping "Hello" to a client; the masked Pong answering it has the RFC's header
    // (FIN, Pong, MASK, 5 bytes) and payload, under the client's own key.
    let mut c = client();
    let (events, transmit) = feed(&mut c, &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert!(matches!(&events[..], [Event::Ping(p)] if p.as_slice() == b"Hello"));
    assert_eq!(transmit[..2], [0x8a, 0x85]);
    assert_eq!(
        client_frames(&transmit),
        [(OpCode::Pong, b"Hello".to_vec())]
    );

    // 256 bytes and 64 KiB binary messages in one unmasked frame each.
    let mut c = client();
    let mut bytes = vec![0x82, 0x7E, 0x01, 0x00];
    bytes.extend([0xAB; 256]);
    bytes.extend([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    bytes.extend(vec![0xCD; 65536]);
    let (events, _) = feed(&mut c, &bytes);
    assert_eq!(
        events,
        vec![
            Event::Message(Message::binary(vec![0xAB; 256])),
            Event::Message(Message::binary(vec![0xCD; 65536]))
        ]
    );
}

/// Feeds `bytes` to a fresh server and checks it fails with `error` in the frame at
/// `frame_start` and sends `code`.
fn assert_server_fails_at(bytes: &[u8], frame_start: u64, error: ProtocolError, code: u16) {
    let mut s = server();
    let (events, transmit) = feed(&mut s, bytes);
    assert_eq!(
        events,
        vec![Event::Failed {
            error: error.clone(),
            frame_start
        }]
    );
    assert_eq!(error.close_code(), CloseCode(code));
    assert_eq!(transmit, close_frame(code), "{error}");
    assert_eq!(s.state(), State::Closed);
    // Input after the failure is refused, and nothing can be sent.
    assert_eq!(
        s.handle_bytes(&masked(OpCode::Text, true, b"late")),
        Err(InputError::Closed)
    );
    assert_eq!(s.handle_end(), Err(InputError::Closed));
    assert_eq!(drain(&mut s), (vec![], vec![]));
    assert_eq!(s.send_text("x", &mut Vec::new()), Err(SendError::Closed));
}

/// [`assert_server_fails_at`] for a failure in the first frame.
fn assert_server_fails(bytes: &[u8], error: ProtocolError, code: u16) {
    assert_server_fails_at(bytes, 0, error, code);
}

#[test]
fn protocol_violations_fail_with_1002() {
    let mut rsv = masked(OpCode::Text, true, b"x");
    rsv[0] |= 0x40;
    assert_server_fails(&rsv, ProtocolError::ReservedBits { rsv: 0b100 }, 1002);
    let mut opcode = masked(OpCode::Binary, true, b"x");
    opcode[0] = 0x83;
    assert_server_fails(&opcode, ProtocolError::ReservedOpcode { opcode: 3 }, 1002);
    let mut control_opcode = masked(OpCode::Ping, true, b"");
    control_opcode[0] = 0x8B;
    assert_server_fails(
        &control_opcode,
        ProtocolError::ReservedOpcode { opcode: 0xB },
        1002,
    );
    assert_server_fails(
        &unmasked(OpCode::Text, true, b"x"),
        ProtocolError::UnmaskedFrame,
        1002,
    );
    assert_server_fails(
        &masked(OpCode::Ping, true, &[0; 126]),
        ProtocolError::ControlFrameTooLong {
            opcode: OpCode::Ping,
            len: 126,
        },
        1002,
    );
    assert_server_fails(
        &masked(OpCode::Ping, false, b"x"),
        ProtocolError::FragmentedControlFrame {
            opcode: OpCode::Ping,
        },
        1002,
    );
    assert_server_fails(
        &masked(OpCode::Continuation, true, b"x"),
        ProtocolError::UnexpectedContinuation,
        1002,
    );
    let mut interleaved = masked(OpCode::Text, false, b"a");
    interleaved.extend(masked(OpCode::Binary, true, b"b"));
    assert_server_fails_at(
        &interleaved,
        7,
        ProtocolError::ExpectedContinuation {
            opcode: OpCode::Binary,
        },
        1002,
    );
    assert_server_fails(
        &masked(OpCode::Close, true, &[0x03]),
        ProtocolError::TruncatedCloseCode,
        1002,
    );
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        assert_server_fails(
            &masked(OpCode::Close, true, &code.to_be_bytes()),
            ProtocolError::InvalidCloseCode {
                code: CloseCode(code),
            },
            1002,
        );
    }
    let overflow = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    assert_server_fails(&overflow, ProtocolError::PayloadLengthOverflow, 1002);

    let mut c = client();
    let (events, transmit) = feed(&mut c, &masked(OpCode::Text, true, b"x"));
    assert!(matches!(
        &events[..],
        [Event::Failed {
            error: ProtocolError::MaskedFrame,
            frame_start: 0
        }]
    ));
    // The client's Close is masked: 0x88 0x82, key, masked code.
    assert_eq!(transmit[..2], [0x88, 0x82]);
    assert_eq!(
        client_frames(&transmit),
        [(OpCode::Close, 1002u16.to_be_bytes().to_vec())]
    );
}

#[test]
fn invalid_utf8_fails_with_1007() {
    assert_server_fails(
        &masked(OpCode::Text, true, b"ab\xFFcd"),
        ProtocolError::InvalidUtf8 { offset: 2 },
        1007,
    );
    // Truncated at the end of the message.
    assert_server_fails(
        &masked(OpCode::Text, true, b"ab\xE2\x82"),
        ProtocolError::InvalidUtf8 { offset: 2 },
        1007,
    );
    // Valid fragments that end inside a sequence.
    let mut fragments = masked(OpCode::Text, false, b"ab\xE2");
    fragments.extend(masked(OpCode::Continuation, true, b"\x82"));
    assert_server_fails_at(
        &fragments,
        9,
        ProtocolError::InvalidUtf8 { offset: 2 },
        1007,
    );
    let mut reason = 1000u16.to_be_bytes().to_vec();
    reason.extend(b"\xC0\xAF");
    assert_server_fails(
        &masked(OpCode::Close, true, &reason),
        ProtocolError::InvalidCloseReason,
        1007,
    );
}

#[test]
fn long_text_is_read_whole_and_its_errors_located_in_every_chunking() {
    // Longer than the engine's 8 KiB unmasking block, with 2-, 3- and 4-byte sequences that
    // straddle every block boundary and chunk boundary below.
    let text = "ascii, κόσμε, €, 😀; ".repeat(1500);
    assert!(text.len() > 40_000);
    let mut invalid = text.clone().into_bytes();
    let bad_at = 30_001; // beyond three blocks
    invalid[bad_at] = 0xFF;
    for (name, mut connection, frame, bad) in [
        (
            "server",
            server(),
            masked(OpCode::Text, true, text.as_bytes()),
            masked(OpCode::Text, true, &invalid),
        ),
        (
            "client",
            client(),
            unmasked(OpCode::Text, true, text.as_bytes()),
            unmasked(OpCode::Text, true, &invalid),
        ),
    ] {
        for chunk in [1, 7, 4096, 8193, frame.len()] {
            let mut fresh = if name == "server" { server() } else { client() };
            let mut events = Vec::new();
            for piece in frame.chunks(chunk) {
                events.extend(feed(&mut fresh, piece).0);
            }
            assert_eq!(
                events,
                vec![Event::Message(Message::Text(text.clone()))],
                "{name}, chunks of {chunk}"
            );
            let mut broken = if name == "server" { server() } else { client() };
            let mut events = Vec::new();
            for piece in bad.chunks(chunk) {
                if broken.handle_bytes(piece) == Err(InputError::Closed) {
                    break;
                }
                events.extend(drain(&mut broken).0);
            }
            assert!(
                matches!(&events[..], [Event::Failed { error: ProtocolError::InvalidUtf8 { offset }, .. }] if *offset == bad_at as u64),
                "{name}, chunks of {chunk}: {events:?}"
            );
        }
        // The same connection reads the message twice: its buffers are reused.
        for _ in 0..2 {
            let (events, _) = feed(&mut connection, &frame);
            assert_eq!(events, vec![Event::Message(Message::Text(text.clone()))]);
        }
    }
}

#[test]
fn utf8_errors_fail_fast_across_fragments_and_inside_frames() {
    // Autobahn 6.4.1: the first fragment is invalid; the failure comes before the rest arrives.
    let mut s = server();
    let first = "κόσμε\u{FFFD}";
    let (events, transmit) = feed(&mut s, &masked(OpCode::Text, false, first.as_bytes()));
    assert_eq!(events, vec![]);
    assert!(transmit.is_empty());
    let (events, transmit) = feed(
        &mut s,
        &masked(OpCode::Continuation, false, b"\xF4\x90\x80\x80"),
    );
    let offset = first.len() as u64;
    assert!(
        matches!(&events[..], [Event::Failed { error: ProtocolError::InvalidUtf8 { offset: o }, .. }] if *o == offset)
    );
    assert_eq!(transmit, close_frame(1007));

    // Autobahn 6.4.3: one frame, the invalid bytes in the first chunk of its payload.
    let mut s = server();
    let mut frame = masked(
        OpCode::Text,
        true,
        "κ\u{1F79}σμε\u{FFFD}\u{FFFD}".as_bytes(),
    );
    frame.truncate(6 + 3); // header and "κ" plus the first byte of "ό" (E1 BD B9)
    frame.push(0xFF ^ KEY[(frame.len() - 6) % 4]);
    let (events, transmit) = feed(&mut s, &frame);
    assert!(matches!(
        &events[..],
        [Event::Failed {
            error: ProtocolError::InvalidUtf8 { offset: 2 },
            ..
        }]
    ));
    assert_eq!(transmit, close_frame(1007));
}

#[test]
fn control_frames_interleave_with_fragments() {
    let mut s = server();
    let mut bytes = masked(OpCode::Text, false, b"frag");
    bytes.extend(masked(OpCode::Ping, true, b"p1"));
    bytes.extend(masked(OpCode::Continuation, false, b"ment"));
    bytes.extend(masked(OpCode::Pong, true, b""));
    bytes.extend(masked(OpCode::Ping, true, b"p2"));
    bytes.extend(masked(OpCode::Continuation, true, b"ed"));
    let (events, transmit) = feed(&mut s, &bytes);
    assert_eq!(events.len(), 4);
    assert!(matches!(&events[0], Event::Ping(p) if p.as_slice() == b"p1"));
    assert!(matches!(&events[1], Event::Pong(p) if p.is_empty()));
    assert!(matches!(&events[2], Event::Ping(p) if p.as_slice() == b"p2"));
    assert_eq!(events[3], text("fragmented"));
    let mut pongs = unmasked(OpCode::Pong, true, b"p1");
    pongs.extend(unmasked(OpCode::Pong, true, b"p2"));
    assert_eq!(transmit, pongs);
}

#[test]
fn undrained_pongs_are_bounded_keeping_the_latest() {
    let pings: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i]).collect();
    let bytes: Vec<u8> = pings
        .iter()
        .flat_map(|p| masked(OpCode::Ping, true, p))
        .collect();
    for (max, answered) in [
        (Limits::DEFAULT_MAX_PENDING_PONGS, 4..20),
        (1, 19..20),
        (0, 0..0),
    ] {
        let mut s = Connection::server(Limits::default().with_max_pending_pongs(max));
        let (events, transmit) = feed(&mut s, &bytes);
        assert_eq!(events.len(), 20);
        let expected: Vec<u8> = pings[answered]
            .iter()
            .flat_map(|p| unmasked(OpCode::Pong, true, p))
            .collect();
        assert_eq!(transmit, expected, "max_pending_pongs {max}");
    }
}

#[test]
fn empty_fragments_and_messages() {
    let mut s = server();
    let mut bytes = masked(OpCode::Text, true, b"");
    bytes.extend(masked(OpCode::Binary, false, b""));
    bytes.extend(masked(OpCode::Continuation, false, b""));
    bytes.extend(masked(OpCode::Continuation, true, b""));
    let (events, _) = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![text(""), Event::Message(Message::binary(Vec::new()))]
    );
}

#[test]
fn peer_initiated_close_is_echoed() {
    let mut s = server();
    let mut payload = 4001u16.to_be_bytes().to_vec();
    payload.extend("bye ☃".as_bytes());
    let mut bytes = masked(OpCode::Close, true, &payload);
    bytes.extend(masked(OpCode::Text, true, b"after close"));
    let (events, transmit) = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![Event::Close(Some(CloseFrame::new(
            CloseCode(4001),
            "bye ☃"
        )))]
    );
    assert_eq!(transmit, close_frame(4001));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.send_ping(b"", &mut Vec::new()), Err(SendError::Closed));
    // The text after the Close in the same call was dropped; later input is refused.
    assert_eq!(s.handle_bytes(b"x"), Err(InputError::Closed));
    assert_eq!(s.handle_end(), Err(InputError::Closed));
    assert_eq!(drain(&mut s), (vec![], vec![]));

    // A Close without a body is answered with one without a body.
    let mut s = server();
    assert_eq!(
        feed(&mut s, &masked(OpCode::Close, true, b"")),
        (vec![Event::Close(None)], vec![0x88, 0x00])
    );
}

#[test]
fn locally_initiated_close_waits_for_the_peer() {
    let mut s = server();
    let mut out = Vec::new();
    s.close(CloseCode::GOING_AWAY, "restart", &mut out).unwrap();
    let mut expected = vec![0x88, 0x09, 0x03, 0xE9];
    expected.extend(b"restart");
    assert_eq!(out, expected);
    assert_eq!(s.state(), State::CloseSent);
    assert_eq!(s.send_text("more", &mut out), Err(SendError::Closed));
    assert_eq!(
        s.close(CloseCode::NORMAL, "", &mut out),
        Err(SendError::Closed)
    );

    // Messages still arrive; a Ping is reported but no Pong may follow our Close.
    let mut bytes = masked(OpCode::Text, true, b"in flight");
    bytes.extend(masked(OpCode::Ping, true, b""));
    let (events, transmit) = feed(&mut s, &bytes);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], text("in flight"));
    assert!(transmit.is_empty());

    let (events, transmit) = feed(&mut s, &masked(OpCode::Close, true, &1001u16.to_be_bytes()));
    assert_eq!(
        events,
        vec![Event::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            ""
        )))]
    );
    assert!(transmit.is_empty()); // no second Close
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn eof_before_the_closing_handshake_is_abnormal() {
    let mut s = server();
    let head = &masked(OpCode::Text, true, b"hello")[..4];
    assert_eq!(s.handle_bytes(head), Ok(4));
    assert_eq!(s.handle_end(), Ok(()));
    let (events, transmit) = drain(&mut s);
    assert_eq!(
        events,
        vec![Event::Failed {
            error: ProtocolError::UnexpectedEof { mid_frame: true },
            frame_start: 4
        }]
    );
    assert_eq!(
        ProtocolError::UnexpectedEof { mid_frame: true }.close_code(),
        CloseCode::ABNORMAL
    );
    assert!(transmit.is_empty()); // 1006 is never sent
    assert_eq!(s.state(), State::Closed);

    let mut s = server();
    s.handle_end().unwrap();
    assert_eq!(s.handle_end(), Err(InputError::Closed));
    assert!(matches!(
        &drain(&mut s).0[..],
        [Event::Failed {
            error: ProtocolError::UnexpectedEof { mid_frame: false },
            ..
        }]
    ));
}

#[test]
fn limits_fail_with_1009_at_the_header() {
    let limits = Limits::default()
        .with_max_frame_size(10)
        .with_max_message_size(16);
    let mut s = Connection::server(limits);
    // Exactly at the limits is accepted.
    let mut bytes = masked(OpCode::Binary, false, &[1; 10]);
    bytes.extend(masked(OpCode::Continuation, true, &[2; 6]));
    let (events, _) = feed(&mut s, &bytes);
    assert_eq!(events.len(), 1);

    // One byte over the frame limit: refused before any payload arrives.
    let mut s = Connection::server(limits);
    let frame = masked(OpCode::Binary, true, &[0; 11]);
    let (events, transmit) = feed(&mut s, &frame[..6]);
    assert_eq!(
        events,
        vec![Event::Failed {
            error: ProtocolError::FrameTooLarge { len: 11, max: 10 },
            frame_start: 0
        }]
    );
    assert_eq!(transmit, close_frame(1009));

    // The message limit counts every fragment.
    let mut s = Connection::server(limits);
    let mut bytes = masked(OpCode::Text, false, b"0123456789");
    bytes.extend(masked(OpCode::Continuation, true, b"0123456"));
    let (events, transmit) = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![Event::Failed {
            error: ProtocolError::MessageTooLarge { len: 17, max: 16 },
            frame_start: 16
        }]
    );
    assert_eq!(transmit, close_frame(1009));
    assert!(s.buffered_bytes() <= 16);
}

#[test]
fn huge_announced_lengths_allocate_nothing_up_front() {
    let mut s = Connection::server(
        Limits::default()
            .with_max_frame_size(usize::MAX)
            .with_max_message_size(usize::MAX),
    );
    // A header announcing 2^40 bytes, then 3 payload bytes.
    let mut bytes = vec![0x82, 0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4];
    bytes.extend([9, 9, 9]);
    assert_eq!(feed(&mut s, &bytes), (vec![], vec![]));
    assert_eq!(s.buffered_bytes(), 3);
}

#[test]
fn local_misuse_is_refused_without_writing() {
    let mut s = server();
    let mut out = Vec::new();
    assert_eq!(
        s.send_ping(&[0; 126], &mut out),
        Err(SendError::ControlPayloadTooLong { len: 126 })
    );
    assert_eq!(
        s.send_pong(&[0; 126], &mut out),
        Err(SendError::ControlPayloadTooLong { len: 126 })
    );
    assert_eq!(
        s.close(CloseCode::NO_STATUS_RECEIVED, "", &mut out),
        Err(SendError::InvalidCloseCode {
            code: CloseCode(1005)
        })
    );
    assert_eq!(
        s.close(CloseCode::NORMAL, &"x".repeat(124), &mut out),
        Err(SendError::CloseReasonTooLong { len: 124 })
    );
    s.send_fragment(DataKind::Binary, b"a", false, &mut out)
        .unwrap();
    assert_eq!(
        s.send_text("b", &mut out),
        Err(SendError::MessageInProgress {
            open: DataKind::Binary
        })
    );
    assert_eq!(
        s.send_fragment(DataKind::Text, b"c", true, &mut out),
        Err(SendError::FragmentKindMismatch {
            open: DataKind::Binary,
            requested: DataKind::Text
        })
    );
    s.send_fragment(DataKind::Binary, b"d", true, &mut out)
        .unwrap();
    let written = out.len();
    assert_eq!(
        s.send_fragment(DataKind::Text, b"\xE2\x82", true, &mut out),
        Err(SendError::InvalidUtf8 { offset: 0 })
    );
    assert_eq!(
        s.send_fragment(DataKind::Text, b"ok\xFF", false, &mut out),
        Err(SendError::InvalidUtf8 { offset: 2 })
    );
    assert_eq!(out.len(), written);
    // The reason may use all 123 bytes.
    s.close(CloseCode::NORMAL, &"x".repeat(123), &mut out)
        .unwrap();
    assert_eq!(out.len(), written + 2 + 125);
}

#[test]
fn pending_frames_are_written_before_application_frames() {
    let mut s = server();
    let ping = masked(OpCode::Ping, true, b"hb");
    assert_eq!(s.handle_bytes(&ping), Ok(ping.len()));
    let mut out = Vec::new();
    s.send_text("reply", &mut out).unwrap();
    let mut expected = unmasked(OpCode::Pong, true, b"hb");
    expected.extend(unmasked(OpCode::Text, true, b"reply"));
    assert_eq!(out, expected);
    assert_eq!(s.poll_transmit(&mut out), None);
}

/// Two connections joined by an in-memory transport that delivers `chunk`-byte pieces.
struct Pair {
    client: Connection,
    server: Connection,
    chunk: usize,
}

impl Pair {
    /// Moves bytes until both sides are quiet; returns (client events, server events).
    fn run(&mut self, mut to_server: Vec<u8>, mut to_client: Vec<u8>) -> (Vec<Event>, Vec<Event>) {
        let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
        while !to_server.is_empty() || !to_client.is_empty() {
            for piece in std::mem::take(&mut to_server).chunks(self.chunk) {
                assert_eq!(self.server.handle_bytes(piece), Ok(piece.len()));
                let _ = self.server.poll_transmit(&mut to_client);
                server_events.extend(std::iter::from_fn(|| self.server.poll_event()));
            }
            for piece in std::mem::take(&mut to_client).chunks(self.chunk) {
                assert_eq!(self.client.handle_bytes(piece), Ok(piece.len()));
                let _ = self.client.poll_transmit(&mut to_server);
                client_events.extend(std::iter::from_fn(|| self.client.poll_event()));
            }
        }
        (client_events, server_events)
    }
}

#[test]
fn two_peers_exchange_messages_and_close() {
    for chunk in [1, 2, 3, 7, 64, 4096] {
        let mut pair = Pair {
            client: Connection::client(Limits::default(), chunk as u64),
            server: server(),
            chunk,
        };
        let mut to_server = Vec::new();
        let big = "ü".repeat(40_000);
        pair.client.send_text("hello", &mut to_server).unwrap();
        pair.client.send_binary(&[0, 1, 2], &mut to_server).unwrap();
        pair.client
            .send_fragment(DataKind::Text, &big.as_bytes()[..1], false, &mut to_server)
            .unwrap();
        pair.client
            .send_ping(b"mid-message", &mut to_server)
            .unwrap();
        pair.client
            .send_fragment(DataKind::Text, &big.as_bytes()[1..], true, &mut to_server)
            .unwrap();
        let mut to_client = Vec::new();
        pair.server.send_text(&big, &mut to_client).unwrap();
        let (client_events, server_events) = pair.run(to_server, to_client);
        assert_eq!(server_events.len(), 4);
        assert_eq!(server_events[0], text("hello"));
        assert_eq!(
            server_events[1],
            Event::Message(Message::binary(vec![0, 1, 2]))
        );
        assert!(matches!(&server_events[2], Event::Ping(p) if p.as_slice() == b"mid-message"));
        assert_eq!(server_events[3], text(&big));
        assert_eq!(client_events.len(), 2);
        assert_eq!(client_events[0], text(&big));
        assert!(matches!(&client_events[1], Event::Pong(p) if p.as_slice() == b"mid-message"));

        // The server closes; the client echoes; both end Closed.
        let mut to_client = Vec::new();
        pair.server
            .close(CloseCode::GOING_AWAY, "shutdown", &mut to_client)
            .unwrap();
        let (client_events, server_events) = pair.run(Vec::new(), to_client);
        assert_eq!(
            client_events,
            vec![Event::Close(Some(CloseFrame::new(
                CloseCode::GOING_AWAY,
                "shutdown"
            )))]
        );
        assert_eq!(
            server_events,
            vec![Event::Close(Some(CloseFrame::new(
                CloseCode::GOING_AWAY,
                ""
            )))]
        );
        assert_eq!(
            (pair.client.state(), pair.server.state()),
            (State::Closed, State::Closed)
        );
    }
}

#[test]
fn the_close_for_a_failure_is_queued_when_the_failure_is_read() {
    // Autobahn 3.3: a valid message, then a frame with RSV bits, in one read. The failure's
    // Close is queued at once, so the one drain order sends it before the host sees the
    // message: replying to the message is too late.
    let mut s = server();
    let mut bytes = masked(OpCode::Text, true, b"hello");
    let mut bad = masked(OpCode::Text, true, b"bad");
    bad[0] |= 0x30;
    bytes.extend(bad);
    assert_eq!(s.handle_bytes(&bytes), Ok(bytes.len()));
    assert_eq!(s.state(), State::Closed);
    let mut out = Vec::new();
    assert!(s.poll_transmit(&mut out).is_some());
    assert_eq!(out, close_frame(1002));
    assert_eq!(s.poll_event(), Some(text("hello")));
    assert_eq!(s.send_text("hello", &mut out), Err(SendError::Closed));
    assert!(matches!(
        s.poll_event(),
        Some(Event::Failed {
            error: ProtocolError::ReservedBits { rsv: 0b011 },
            frame_start: 11
        })
    ));
}

#[test]
fn one_event_at_a_time_lets_replies_go_out_before_a_failures_close() {
    // With `max_queued_events` 1, `handle_bytes` stops after each event: a host that replies
    // before feeding the rest answers the message before the failure is even read.
    let mut s = Connection::server(Limits::default().with_max_queued_events(1));
    let mut bytes = masked(OpCode::Text, true, b"hello");
    let mut bad = masked(OpCode::Text, true, b"bad");
    bad[0] |= 0x30;
    bytes.extend(bad);
    let mut out = Vec::new();
    let used = s.handle_bytes(&bytes).unwrap();
    assert_eq!(used, 11);
    assert_eq!(s.poll_transmit(&mut out), None);
    assert_eq!(s.poll_event(), Some(text("hello")));
    s.send_text("hello", &mut out).unwrap();
    assert_eq!(s.handle_bytes(&bytes[used..]), Ok(bytes.len() - used));
    let _ = s.poll_transmit(&mut out);
    let mut expected = unmasked(OpCode::Text, true, b"hello");
    expected.extend(close_frame(1002));
    assert_eq!(out, expected);
    assert!(matches!(s.poll_event(), Some(Event::Failed { .. })));
}

/// Feeds `bytes` to a fresh client and checks it fails with `error` in the first frame and
/// sends a masked Close with `code`.
fn assert_client_fails(limits: Limits, bytes: &[u8], error: ProtocolError, code: u16) {
    let mut c = Connection::client(limits, 3);
    let (events, transmit) = feed(&mut c, bytes);
    assert_eq!(
        events,
        vec![Event::Failed {
            error: error.clone(),
            frame_start: 0
        }],
        "{error}"
    );
    assert_eq!(error.close_code(), CloseCode(code));
    assert_eq!(
        client_frames(&transmit),
        [(OpCode::Close, code.to_be_bytes().to_vec())],
        "{error}"
    );
    assert_eq!(c.state(), State::Closed);
    assert_eq!(
        c.handle_bytes(&unmasked(OpCode::Text, true, b"late")),
        Err(InputError::Closed)
    );
}

#[test]
fn a_client_fails_the_connection_with_the_same_codes() {
    let limits = Limits::default();
    // 1002: RSV bits, reserved opcodes, bad framing.
    for rsv in [0x40, 0x20, 0x10, 0x70] {
        let mut frame = unmasked(OpCode::Text, true, b"x");
        frame[0] |= rsv;
        assert_client_fails(
            limits,
            &frame,
            ProtocolError::ReservedBits { rsv: rsv >> 4 },
            1002,
        );
    }
    for opcode in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        assert_client_fails(
            limits,
            &[0x80 | opcode, 0x00],
            ProtocolError::ReservedOpcode { opcode },
            1002,
        );
    }
    assert_client_fails(
        limits,
        &unmasked(OpCode::Pong, true, &[0; 126]),
        ProtocolError::ControlFrameTooLong {
            opcode: OpCode::Pong,
            len: 126,
        },
        1002,
    );
    assert_client_fails(
        limits,
        &unmasked(OpCode::Close, false, b""),
        ProtocolError::FragmentedControlFrame {
            opcode: OpCode::Close,
        },
        1002,
    );
    assert_client_fails(
        limits,
        &unmasked(OpCode::Continuation, false, b"x"),
        ProtocolError::UnexpectedContinuation,
        1002,
    );
    assert_client_fails(
        limits,
        &[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0],
        ProtocolError::PayloadLengthOverflow,
        1002,
    );
    assert_client_fails(
        limits,
        &unmasked(OpCode::Close, true, &[0x03]),
        ProtocolError::TruncatedCloseCode,
        1002,
    );
    assert_client_fails(
        limits,
        &unmasked(OpCode::Close, true, &1005u16.to_be_bytes()),
        ProtocolError::InvalidCloseCode {
            code: CloseCode(1005),
        },
        1002,
    );
    // 1007: invalid UTF-8 in a text message, as soon as it arrives, and in a close reason.
    let frame = unmasked(OpCode::Text, false, b"ok \xED\xA0\x80");
    assert_client_fails(
        limits,
        &frame,
        ProtocolError::InvalidUtf8 { offset: 3 },
        1007,
    );
    let mut reason = 1000u16.to_be_bytes().to_vec();
    reason.extend(b"\xFF");
    assert_client_fails(
        limits,
        &unmasked(OpCode::Close, true, &reason),
        ProtocolError::InvalidCloseReason,
        1007,
    );
    // 1009: a frame or message beyond the limits, at its header.
    let small = Limits::default()
        .with_max_frame_size(8)
        .with_max_message_size(8);
    let frame = unmasked(OpCode::Binary, true, &[0; 9]);
    assert_client_fails(
        small,
        &frame[..2],
        ProtocolError::FrameTooLarge { len: 9, max: 8 },
        1009,
    );
    let small = small.with_max_frame_size(100);
    assert_client_fails(
        small,
        &unmasked(OpCode::Text, true, &[b'a'; 9]),
        ProtocolError::MessageTooLarge { len: 9, max: 8 },
        1009,
    );
}

#[test]
fn a_client_answers_the_servers_close_with_a_masked_close() {
    let mut c = client();
    let mut payload = 1001u16.to_be_bytes().to_vec();
    payload.extend(b"restart");
    let (events, transmit) = feed(&mut c, &unmasked(OpCode::Close, true, &payload));
    assert_eq!(
        events,
        vec![Event::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            "restart"
        )))]
    );
    assert_eq!(
        client_frames(&transmit),
        [(OpCode::Close, 1001u16.to_be_bytes().to_vec())]
    );
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.send_text("x", &mut Vec::new()), Err(SendError::Closed));

    let mut c = client();
    let (events, transmit) = feed(&mut c, &unmasked(OpCode::Close, true, b""));
    assert_eq!(events, [Event::Close(None)]);
    assert_eq!(client_frames(&transmit), [(OpCode::Close, Vec::new())]);
    // A Ping after the Close is refused, and so is the end of the stream.
    assert_eq!(
        c.handle_bytes(&unmasked(OpCode::Ping, true, b"")),
        Err(InputError::Closed)
    );
    assert_eq!(c.handle_end(), Err(InputError::Closed));
    assert_eq!(drain(&mut c), (vec![], vec![]));
}

#[test]
fn every_reserved_opcode_and_rsv_bit_fails_a_server_with_1002() {
    for rsv in [0x40, 0x20, 0x10] {
        let mut frame = masked(OpCode::Binary, true, b"x");
        frame[0] |= rsv;
        assert_server_fails(&frame, ProtocolError::ReservedBits { rsv: rsv >> 4 }, 1002);
    }
    for opcode in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        assert_server_fails(
            &[0x80 | opcode, 0x80, 0, 0, 0, 0],
            ProtocolError::ReservedOpcode { opcode },
            1002,
        );
    }
    // An unmasked control frame, and an unmasked continuation inside a masked message.
    assert_server_fails(
        &unmasked(OpCode::Close, true, &1000u16.to_be_bytes()),
        ProtocolError::UnmaskedFrame,
        1002,
    );
    let mut bytes = masked(OpCode::Text, false, b"a");
    bytes.extend(unmasked(OpCode::Continuation, true, b"b"));
    assert_server_fails_at(&bytes, 7, ProtocolError::UnmaskedFrame, 1002);
}

#[test]
fn tiny_pings_fill_the_event_queue_then_backpressure_then_everything_arrives_in_order() {
    let max = 8;
    let mut s = Connection::server(Limits::default().with_max_queued_events(max));
    // 20 empty masked Pings (6 bytes each) with their index as payload, then a message.
    let mut bytes: Vec<u8> = (0..20u8)
        .flat_map(|i| masked(OpCode::Ping, true, &[i]))
        .collect();
    bytes.extend(masked(OpCode::Text, true, b"last"));

    let used = s.handle_bytes(&bytes).unwrap();
    assert_eq!(used, max * 7, "stops after the frame that filled the queue");
    assert_eq!(s.queued_events(), max);
    assert_eq!(
        s.handle_bytes(&bytes[used..]),
        Err(InputError::Backpressure { max })
    );
    assert_eq!(s.bytes_received(), used as u64, "nothing more was consumed");

    let mut events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let mut fed = used;
    while fed < bytes.len() {
        fed += s.handle_bytes(&bytes[fed..]).unwrap();
        assert!(s.queued_events() <= max);
        events.extend(std::iter::from_fn(|| s.poll_event()));
    }
    let mut expected: Vec<Event> = (0..20u8)
        .map(|i| Event::Ping(ControlPayload::new(&[i]).expect("1 byte")))
        .collect();
    expected.push(text("last"));
    assert_eq!(events, expected);
}

#[test]
fn a_mebibyte_of_empty_pings_queues_at_most_the_bound() {
    // 174,762 empty masked Pings used to become as many queued events.
    let ping = masked(OpCode::Ping, true, b"");
    let bytes: Vec<u8> = ping.iter().copied().cycle().take(1 << 20).collect();
    let frames = (1 << 20) / ping.len();
    let mut s = server();
    let used = s.handle_bytes(&bytes).unwrap();
    assert_eq!(s.queued_events(), Limits::DEFAULT_MAX_QUEUED_EVENTS);
    assert_eq!(used, Limits::DEFAULT_MAX_QUEUED_EVENTS * ping.len());
    assert!(s.wants_transmit());

    // A host draining as it goes sees every Ping, never more than the bound at once, and
    // the Pongs of the latest `max_pending_pongs` Pings of each round.
    let (mut fed, mut pings, mut pongs) = (used, 0, 0);
    loop {
        let mut out = Vec::new();
        let _ = s.poll_transmit(&mut out);
        assert_eq!(
            out.len(),
            Limits::DEFAULT_MAX_PENDING_PONGS * 2,
            "empty Pongs"
        );
        pongs += out.len() / 2;
        pings += std::iter::from_fn(|| s.poll_event()).count();
        if fed == frames * ping.len() {
            break;
        }
        fed += s.handle_bytes(&bytes[fed..frames * ping.len()]).unwrap();
        assert!(s.queued_events() <= Limits::DEFAULT_MAX_QUEUED_EVENTS);
    }
    assert_eq!(pings, frames);
    let rounds = frames.div_ceil(Limits::DEFAULT_MAX_QUEUED_EVENTS);
    assert_eq!(pongs, rounds * Limits::DEFAULT_MAX_PENDING_PONGS);
}
