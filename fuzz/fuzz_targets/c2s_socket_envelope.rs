//! The WebSocket C2S endpoint on arbitrary messages: both envelope decoders (no panic; what
//! decodes re-encodes to the same message), and a `ServerConnection` fed a sequence of
//! messages with its requests answered, items appended and timers run (no panic, bounded
//! queues, every frame it sends decodes as a server message).
//!
//! Input: messages separated by the bytes `FF FE` (never inside UTF-8 text). A message that
//! starts with `{` or whitespace is a text message; anything else is a binary message.
#![no_main]

use std::time::{Duration, Instant};

use fedi_stream::c2s::feed::{Feed, FeedConfig, FeedLimits, SessionConfig};
use fedi_stream::c2s::item::{ItemId, Json, Meta, StreamEvent};
use fedi_stream::c2s::socket::{
    Blob, ClientConnection, ClientMessage, DeliveryStatus, Fetched, Incoming, InputError, Outgoing,
    ServerConnection, ServerConnectionEvent, ServerMessage, SocketLimits,
};
use libfuzzer_sys::fuzz_target;

fn message(piece: &[u8]) -> Incoming<'_> {
    match piece.first() {
        Some(b'{' | b' ' | b'\t' | b'\n' | b'\r') => match std::str::from_utf8(piece) {
            Ok(text) => Incoming::Text(text),
            Err(_) => Incoming::Binary(piece),
        },
        _ => Incoming::Binary(piece),
    }
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(2).position(|w| w == [0xFF, 0xFE]) {
        pieces.push(&rest[..at]);
        rest = &rest[at + 2..];
    }
    pieces.push(rest);
    pieces
}

fn round_trips(piece: &[u8], limits: &SocketLimits) {
    let input = message(piece);
    if let Ok(decoded) = ClientMessage::decode(input, limits) {
        let frame = decoded.to_frame();
        let again = ClientMessage::decode(frame.as_message().expect("data frame"), limits);
        assert_eq!(again.as_ref(), Ok(&decoded));
    }
    if let Ok(decoded) = ServerMessage::decode(input, limits) {
        let frame = decoded.to_frame();
        let again = ServerMessage::decode(frame.as_message().expect("data frame"), limits);
        assert_eq!(again.as_ref(), Ok(&decoded));
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = SocketLimits::default()
        .with_max_in_flight(4)
        .with_max_queued_bytes(64 << 10)
        .with_max_blob(256 << 10);
    let pieces = split(data);
    for piece in &pieces {
        round_trips(piece, &limits);
    }

    let mut now = Instant::now();
    let mut feed = Feed::new(
        FeedConfig::new("https://h.example/users/alice/inbox".parse().expect("URL"))
            .with_limits(FeedLimits::default().with_max_items(8)),
    );
    let session = SessionConfig::default().with_max_queue(6, 4096);
    let resume = pieces
        .first()
        .and_then(|piece| std::str::from_utf8(piece).ok());
    let mut server =
        ServerConnection::new(&feed, resume, session, limits, now).expect("WebSocket is served");
    let mut client = ClientConnection::new(limits);
    let mut next_item = 0u32;

    for (index, piece) in pieces.iter().enumerate().take(256) {
        if server.is_closed() {
            assert_eq!(
                server.handle_message(message(piece)),
                Err(InputError::Closed)
            );
            continue;
        }
        // Refused once the connection queued its Close; never backlogged, as every round
        // drains the events.
        match server.handle_message(message(piece)) {
            Ok(()) | Err(InputError::Closed) => {}
            Err(error) => panic!("{error}"),
        }
        let selector = piece.len() % 7;
        while let Some(event) = server.poll_event() {
            let ServerConnectionEvent::Request(request) = event else {
                continue;
            };
            let id = request.request().clone();
            let _ = match (&request, selector) {
                (_, 0) => server.fail(&id, 500, "no"),
                (ClientMessage::Outbox { .. }, _) => server
                    .accept(&id, "https://h.example/a/1", Some("https://h.example/o/1"))
                    .and_then(|()| {
                        server.delivery(
                            &id,
                            "https://r.example/inbox",
                            DeliveryStatus::Delivered,
                            None,
                        )
                    })
                    .and_then(|()| {
                        if selector > 3 {
                            server.done(&id, 1, 0)
                        } else {
                            Ok(())
                        }
                    }),
                (ClientMessage::Proxy { .. }, _) => server.proxied(&id, Json::empty_object()),
                (ClientMessage::Store { .. }, _) => server.stored(&id, "https://h.example/blobs/1"),
                (ClientMessage::Fetch { .. }, _) => server.fetched(
                    &id,
                    Fetched::Blob(Blob {
                        media_type: "application/octet-stream".into(),
                        bytes: piece.to_vec().into(),
                    }),
                ),
                _ => Ok(()),
            };
            assert!(server.in_flight() <= limits.max_in_flight);
        }
        if index % 3 == 0 {
            next_item += 1;
            let id = ItemId::new(&next_item.to_string()).expect("decimal id");
            feed.append(StreamEvent::inbox(id, Json::empty_object()))
                .expect("small entry");
        }
        if index % 5 == 4 {
            let _ = feed.publish_meta(&Meta::Notice {
                message: "hi".into(),
            });
        }
        // The transport takes only some frames each round, so the queue limit is reached.
        for _ in 0..(selector + 1) {
            let Some(frame) = server.poll_transmit(now, &feed) else {
                break;
            };
            if let Some(message) = frame.as_message() {
                assert!(
                    ServerMessage::decode(message, &SocketLimits::default()).is_ok(),
                    "{frame:?}"
                );
                client
                    .handle_message(message)
                    .expect("the client is drained and open");
            }
            if let Outgoing::Close { .. } = frame {
                assert!(server.is_closed());
            }
        }
        while client.poll_event().is_some() {}
        now += Duration::from_millis(u64::from(piece.first().copied().unwrap_or(0)) * 200);
        if server
            .poll_timeout()
            .is_some_and(|deadline| deadline <= now)
        {
            server
                .handle_timeout(now, &feed)
                .expect("open while it has a timer");
        }
        assert!(feed.len() <= 8);
    }
    let mut drained = 0;
    while server.poll_transmit(now, &feed).is_some() {
        drained += 1;
        assert!(drained < 10_000, "poll_transmit ends");
    }
});
