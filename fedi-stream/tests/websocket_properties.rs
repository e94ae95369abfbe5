//! Property tests of the WebSocket engine: headers and messages round-trip, every split of the
//! input gives the same events and the same output, a closed connection refuses all input,
//! and the streaming UTF-8 validator agrees with `std::str::from_utf8` for every split.

use fedi_stream::websocket::{
    CloseCode, Connection, DataKind, Event, FrameHeader, InputError, Limits, Message, OpCode, Role,
    State, Utf8Validator, write_frame,
};
use proptest::prelude::*;

fn opcode() -> impl Strategy<Value = OpCode> {
    prop_oneof![
        Just(OpCode::Continuation),
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Close),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
    ]
}

fn payload_len() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..=130u64,
        65_530..=65_540u64,
        any::<u64>().prop_map(|len| len >> 1),
        Just(u64::MAX >> 1)
    ]
}

/// Cuts `bytes` at the given points (taken modulo its length).
fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
}

/// Text that is often valid UTF-8 with multi-byte characters, sometimes not.
fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => any::<String>().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => (any::<String>(), any::<u8>(), any::<String>()).prop_map(|(a, b, c)| {
            let mut bytes = a.into_bytes();
            bytes.push(b);
            bytes.extend(c.into_bytes());
            bytes
        }),
        // Long text, where pieces of 64 bytes and more take the SIMD check, with one byte
        // inserted anywhere (often breaking a sequence).
        2 => (proptest::collection::vec(any::<char>(), 16..400), any::<usize>(), any::<Option<u8>>()).prop_map(
            |(chars, at, byte)| {
                let mut bytes = chars.into_iter().collect::<String>().into_bytes();
                if let Some(byte) = byte {
                    bytes.insert(at % (bytes.len() + 1), byte);
                }
                bytes
            }
        ),
    ]
}

fn connection(role: Role, limits: Limits, seed: u64) -> Connection {
    match role {
        Role::Server => Connection::server(limits),
        Role::Client => Connection::client(limits, seed),
    }
}

/// Feeds the pieces as far as the connection takes them, draining in the one order
/// (transmit, then events) after each call; stops at the first piece refused because the
/// connection is closed. Returns every event, every transmitted byte and the final state.
fn run(connection: &mut Connection, pieces: &[&[u8]]) -> Outcome {
    let mut events = Vec::new();
    let mut transmit = Vec::new();
    'pieces: for piece in pieces {
        let mut rest = *piece;
        loop {
            match connection.handle_bytes(rest) {
                Ok(used) => rest = &rest[used..],
                Err(InputError::Closed) => break 'pieces,
                Err(error) => panic!("drained after every call, yet {error}"),
            }
            let _ = connection.poll_transmit(&mut transmit);
            events.extend(std::iter::from_fn(|| connection.poll_event()));
            if rest.is_empty() {
                break;
            }
        }
    }
    (events, transmit, connection.state())
}

/// What [`run`] returns: the events, the bytes transmitted, the final state.
type Outcome = (Vec<Event>, Vec<u8>, State);

/// An [`Outcome`] with the transmitted frames decoded (opcode, unmasked payload).
type Comparable = (Vec<Event>, Vec<(OpCode, Vec<u8>)>, State);

/// The outcome of [`run`] with the transmitted bytes decoded into frames, leaving out Pongs:
/// beyond `Limits::max_pending_pongs` undrained Pings only the latest are answered
/// (RFC 6455 §5.5.3), so how many Pongs go out depends on when the host drains.
fn comparable((events, transmit, state): Outcome) -> Comparable {
    let mut frames = Vec::new();
    let mut rest = &transmit[..];
    while let Ok(Some((header, len))) = FrameHeader::parse(rest) {
        let end = len + header.payload_len as usize;
        let mut payload = rest[len..end].to_vec();
        if let Some(key) = header.mask {
            fedi_stream::websocket::apply_mask(&mut payload, key, 0);
        }
        if header.opcode != OpCode::Pong {
            frames.push((header.opcode, payload));
        }
        rest = &rest[end..];
    }
    assert!(rest.is_empty(), "the connection wrote whole frames");
    (events, frames, state)
}

/// One frame of an arbitrary (often invalid) stream: any opcode bits, FIN, RSV, masked or not.
#[derive(Debug, Clone)]
struct RawFrame {
    first: u8,
    masked: bool,
    key: [u8; 4],
    payload: Vec<u8>,
}

fn raw_frame() -> impl Strategy<Value = RawFrame> {
    let common = (
        any::<bool>(),
        0..16u8,
        prop::bool::weighted(0.05),
        any::<[u8; 4]>(),
    );
    (common, prop::bool::weighted(0.95), text_bytes()).prop_map(
        |((fin, bits, rsv, key), masked, payload)| {
            // Mostly defined opcodes, so streams get past the first frame.
            let bits = if bits < 12 {
                [0, 1, 2, 8, 9, 10][usize::from(bits % 6)]
            } else {
                bits
            };
            let first = u8::from(fin) << 7 | u8::from(rsv) << 6 | bits;
            RawFrame {
                first,
                masked,
                key,
                payload,
            }
        },
    )
}

fn encode(frames: &[RawFrame], role: Role) -> Vec<u8> {
    let mut bytes = Vec::new();
    for frame in frames {
        let start = bytes.len();
        // The peer of a server is a client (masked) and vice versa, unless the frame says
        // otherwise.
        let mask = match (role, frame.masked) {
            (Role::Server, true) | (Role::Client, false) => Some(frame.key),
            _ => None,
        };
        let opcode = OpCode::from_bits(frame.first & 0x0F).unwrap_or(OpCode::Binary);
        write_frame(
            opcode,
            frame.first & 0x80 != 0,
            mask,
            &frame.payload,
            &mut bytes,
        );
        // Put back the exact opcode and RSV bits (possibly reserved ones).
        bytes[start] = frame.first;
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn headers_round_trip(
        fin: bool,
        rsv in 0..8u8,
        opcode in opcode(),
        mask: Option<[u8; 4]>,
        payload_len in payload_len(),
    ) {
        let header = FrameHeader { fin, rsv, opcode, mask, payload_len };
        let mut bytes = Vec::new();
        header.write(&mut bytes);
        prop_assert_eq!(bytes.len(), header.encoded_len());
        prop_assert_eq!(FrameHeader::parse(&bytes), Ok(Some((header, bytes.len()))));
        for cut in 0..bytes.len() {
            prop_assert_eq!(FrameHeader::parse(&bytes[..cut]), Ok(None));
        }
    }

    #[test]
    fn messages_round_trip_in_both_directions(
        messages in proptest::collection::vec(
            (any::<bool>(), any::<String>(), proptest::collection::vec(any::<usize>(), 0..4), proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=125))),
            0..8,
        ),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        seed: u64,
    ) {
        for sender_role in [Role::Client, Role::Server] {
            let mut sender = connection(sender_role, Limits::default(), seed);
            let receiver_role = if sender_role == Role::Client { Role::Server } else { Role::Client };
            let mut receiver = connection(receiver_role, Limits::default(), seed);
            let mut wire = Vec::new();
            let mut expected = Vec::new();
            for (binary, text, fragment_cuts, ping) in &messages {
                let (kind, bytes) = if *binary { (DataKind::Binary, text.as_bytes()) } else { (DataKind::Text, text.as_bytes()) };
                let fragments = split(bytes, fragment_cuts);
                let fragments = if fragments.is_empty() { vec![&bytes[..0]] } else { fragments };
                for (index, fragment) in fragments.iter().enumerate() {
                    let last = index + 1 == fragments.len();
                    sender.send_fragment(kind, fragment, last, &mut wire).unwrap();
                    if last {
                        expected.push(if *binary { format!("binary {:?}", text.as_bytes()) } else { format!("text {text:?}") });
                    }
                    // A ping after the first fragment: inside the message unless it has only one.
                    if index == 0 && let Some(ping) = ping {
                        sender.send_ping(ping, &mut wire).unwrap();
                        expected.push(format!("ping {ping:?}"));
                    }
                }
            }
            let (events, _, state) = run(&mut receiver, &split(&wire, &cuts));
            let got: Vec<String> = events
                .iter()
                .map(|event| match event {
                    Event::Message(Message::Text(text)) => format!("text {text:?}"),
                    Event::Message(Message::Binary(data)) => format!("binary {:?}", &data[..]),
                    Event::Ping(payload) => format!("ping {:?}", payload.as_slice()),
                    other => format!("{other:?}"),
                })
                .collect();
            prop_assert_eq!(got, expected);
            prop_assert_eq!(state, State::Open);
        }
    }

    #[test]
    fn every_split_gives_the_same_events_and_output(
        frames in proptest::collection::vec(raw_frame(), 0..8),
        tail in proptest::collection::vec(any::<u8>(), 0..6),
        cuts in proptest::collection::vec(any::<usize>(), 1..16),
        small_limits: bool,
        seed: u64,
    ) {
        let limits = if small_limits { Limits::default().with_max_frame_size(24).with_max_message_size(40) } else { Limits::default() };
        for role in [Role::Server, Role::Client] {
            let mut bytes = encode(&frames, role);
            bytes.extend(&tail);
            let whole = comparable(run(&mut connection(role, limits, seed), &[&bytes]));
            let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
            prop_assert_eq!(&comparable(run(&mut connection(role, limits, seed), &bytewise)), &whole);
            prop_assert_eq!(&comparable(run(&mut connection(role, limits, seed), &split(&bytes, &cuts))), &whole);
        }
    }

    #[test]
    fn a_closed_connection_refuses_all_input(
        frames in proptest::collection::vec(raw_frame(), 0..6),
        closer in 0..4u8,
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        later in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..6),
        seed: u64,
        max_queued_events in 1..4usize,
    ) {
        let limits = Limits::default().with_max_queued_events(max_queued_events);
        for role in [Role::Server, Role::Client] {
            let mut c = connection(role, limits, seed);
            let mut bytes = encode(&frames, role);
            let peer_mask = (role == Role::Server).then_some([1, 2, 3, 4]);
            match closer {
                // The peer's Close.
                0 => write_frame(OpCode::Close, true, peer_mask, &1000u16.to_be_bytes(), &mut bytes),
                // A violation: RSV bits without an extension.
                1 => {
                    let start = bytes.len();
                    write_frame(OpCode::Text, true, peer_mask, b"x", &mut bytes);
                    bytes[start] |= 0x40;
                }
                // This side closes, then the peer answers.
                2 => {
                    let _ = c.close(CloseCode::NORMAL, "", &mut Vec::new());
                    write_frame(OpCode::Close, true, peer_mask, b"", &mut bytes);
                }
                // The transport ends (below).
                _ => {}
            }
            let _ = run(&mut c, &split(&bytes, &cuts));
            if closer == 3 && c.state() != State::Closed {
                prop_assert_eq!(c.handle_end(), Ok(()));
            }
            prop_assert_eq!(c.state(), State::Closed);
            let _ = c.poll_transmit(&mut Vec::new());
            while c.poll_event().is_some() {}
            for input in &later {
                prop_assert_eq!(c.handle_bytes(input), Err(InputError::Closed));
                prop_assert_eq!(c.handle_end(), Err(InputError::Closed));
            }
            prop_assert_eq!(c.poll_event(), None);
            prop_assert_eq!(c.poll_transmit(&mut Vec::new()), None);
        }
    }

    #[test]
    fn utf8_validator_agrees_with_std_for_every_split(bytes in text_bytes(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let expected = std::str::from_utf8(&bytes).map(|_| ()).map_err(|e| e.valid_up_to() as u64);
        let mut validator = Utf8Validator::new();
        let mut result = Ok(());
        for piece in split(&bytes, &cuts) {
            if let Err(e) = validator.feed(piece) {
                result = Err(e.offset);
                break;
            }
        }
        if result.is_ok() {
            result = validator.finish().map_err(|e| e.offset);
        }
        prop_assert_eq!(result, expected);
    }
}
