//! Property tests of the C2S streaming machinery: random schedules of posts, partial
//! deliveries, broken connections and timers between the two peers never lose or repeat an
//! item; codecs round-trip; the client reads every chunking of a stream the same way;
//! negotiation agrees with a transcription of RFC 9110 §12.5.1.

mod c2s_support;

use std::collections::BTreeSet;
use std::time::Instant;

use bytes::Bytes;
use c2s_support::Pair;
use fedi_stream::c2s::client::{Client, ClientConfig};
use fedi_stream::c2s::feed::{FeedLimits, Payload, SessionConfig};
use fedi_stream::c2s::item::{EventKind, ItemId, Json, Meta, StreamEvent};
use fedi_stream::c2s::mastodon::{ClientCommand, FrameLimits, ServerFrame, Stream, StreamingEvent};
use fedi_stream::c2s::negotiate::{Negotiator, Representation};
use fedi_stream::c2s::socket::{
    Blob, ClientMessage, DeliveryStatus, Fetched, RequestId, ServerMessage, SocketLimits,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Post(u32),
    Write,
    Deliver(usize),
    Cut,
    Timer,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..6).prop_map(Op::Post),
        3 => Just(Op::Write),
        3 => (0usize..2000).prop_map(Op::Deliver),
        1 => Just(Op::Cut),
        2 => Just(Op::Timer),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_item_is_lost_or_repeated(
        ops in proptest::collection::vec(op(), 1..80),
        window in 3usize..40,
        queue in 2u64..60,
    ) {
        // The client loaded the (empty) collection first: its position is "0".
        let mut pair = Pair::with_start(
            FeedLimits::default().with_max_items(window),
            SessionConfig::default().with_max_queue(queue, u64::MAX),
            Some("0"),
        );
        pair.connect_if_due();
        for op in ops {
            match op {
                Op::Post(count) => pair.post(count),
                Op::Write => pair.server_writes(),
                Op::Deliver(bytes) => pair.deliver(bytes),
                Op::Cut => pair.cut(),
                Op::Timer => {
                    if pair.next_timer().is_some() {
                        pair.advance_to_next_timer();
                    }
                }
            }
            pair.close_if_ended();
            pair.connect_if_due();
            prop_assert!(pair.feed.len() <= window);
        }
        // Let the peers settle: reconnect as needed, deliver everything.
        for _ in 0..50 {
            pair.connect_if_due();
            pair.server_writes();
            pair.deliver(usize::MAX);
            pair.close_if_ended();
            let settled = pair.client.is_open()
                && pair.connection.as_ref().is_some_and(|(session, pipe)| !session.has_pending(&pair.feed) && pipe.is_empty());
            if settled {
                break;
            }
            if !pair.client.is_open() && pair.next_timer().is_some() {
                pair.advance_to_next_timer();
            }
        }
        let streamed = pair.ids();
        let unique: BTreeSet<u32> = streamed.iter().copied().collect();
        prop_assert_eq!(unique.len(), streamed.len(), "an item arrived twice: {:?}", streamed);
        let all: Vec<u32> = (1..=pair.next_id).collect();
        if pair.catch_ups.is_empty() {
            prop_assert_eq!(&streamed, &all, "without catch-up the stream delivers everything in order");
        }
        for catch_up in pair.catch_ups.clone() {
            pair.follow_catch_up(&catch_up);
        }
        let mut ids = pair.ids();
        ids.sort_unstable();
        prop_assert_eq!(ids, all);
    }

    #[test]
    fn the_client_reads_every_chunking_alike(cuts in proptest::collection::vec(0usize..4000, 0..12)) {
        let mut body = String::from("retry: 500\n\n:\n");
        for n in 1..=8 {
            body.push_str(&format!("event: inbox\nid: {n}\ndata: {{\"n\":\n"));
            body.push_str(&format!("data: {n}}}\n\n"));
        }
        body.push_str("event: meta\ndata: {\"type\":\"notice\",\"message\":\"hi\"}\n\n");
        let run = |points: &[usize]| {
            let now = Instant::now();
            let mut client = Client::new(ClientConfig::new("https://h.example/inbox".parse().unwrap()), 3);
            let _ = client.poll_request(now);
            client
                .handle_response(now, http::StatusCode::OK, &Representation::EventStream.response_headers())
                .unwrap();
            let mut start = 0;
            for &point in points {
                let point = point.min(body.len()).max(start);
                client.handle_body(now, &body.as_bytes()[start..point]).unwrap();
                start = point;
            }
            client.handle_body(now, &body.as_bytes()[start..]).unwrap();
            std::iter::from_fn(|| client.poll_event()).collect::<Vec<_>>()
        };
        let mut points = cuts;
        points.sort_unstable();
        let whole = run(&[]);
        prop_assert_eq!(whole.len(), 10);
        prop_assert_eq!(run(&points), whole);
    }

    #[test]
    fn websocket_messages_round_trip(
        id in "[!-~]{1,20}",
        text in "\\PC{0,40}",
        url_path in "[a-z0-9/]{0,20}",
        blob in proptest::collection::vec(any::<u8>(), 0..200),
        counts in (any::<u64>(), any::<u64>()),
        status in 100u16..600,
    ) {
        let limits = SocketLimits::default();
        let request = RequestId::new(&id, 128).unwrap();
        let url = format!("https://r.example/{url_path}");
        let object = Json::from_serialize(&serde_json::json!({"content": text, "n": counts.0})).unwrap();
        let clients = [
            ClientMessage::Outbox { request: request.clone(), activity: object.clone() },
            ClientMessage::Proxy { request: request.clone(), object: url.clone() },
            ClientMessage::Fetch { request: request.clone(), url: url.clone() },
            ClientMessage::Store { request: request.clone(), blob: Blob { media_type: "application/octet-stream".into(), bytes: Bytes::from(blob.clone()) } },
        ];
        for message in clients {
            let frame = message.to_frame();
            prop_assert_eq!(ClientMessage::decode(frame.as_message().unwrap(), &limits), Ok(message));
        }
        let servers = [
            ServerMessage::Item(StreamEvent::inbox(ItemId::new(&id).unwrap(), object.clone())),
            ServerMessage::Meta(Meta::Notice { message: text.clone() }),
            ServerMessage::Accepted { request: request.clone(), activity: url.clone(), object: Some(text.clone()) },
            ServerMessage::Delivery { request: request.clone(), recipient: url.clone(), status: DeliveryStatus::Failed, detail: Some(text.clone()) },
            ServerMessage::Done { request: request.clone(), delivered: counts.0, failed: counts.1 },
            ServerMessage::Proxied { request: request.clone(), object: object.clone() },
            ServerMessage::Stored { request: request.clone(), url: url.clone() },
            ServerMessage::Fetched { request: request.clone(), body: Fetched::Blob(Blob { media_type: "image/png".into(), bytes: Bytes::from(blob.clone()) }) },
            ServerMessage::Error { request: Some(request.clone()), status, message: text.clone() },
        ];
        for message in servers {
            let frame = message.to_frame();
            prop_assert_eq!(ServerMessage::decode(frame.as_message().unwrap(), &limits), Ok(message));
        }
    }

    #[test]
    fn mastodon_frames_round_trip(
        stream_index in 0usize..12,
        param in "[a-zA-Z0-9_]{1,12}",
        text in "\\PC{0,40}",
        id in "[0-9]{1,18}",
    ) {
        let limits = FrameLimits::default();
        let stream = Stream::parse(Stream::NAMES[stream_index], Some(&param), Some(&param)).unwrap();
        for command in [ClientCommand::Subscribe(stream.clone()), ClientCommand::Unsubscribe(stream.clone())] {
            prop_assert_eq!(ClientCommand::decode(&command.encode(), &limits), Ok(command));
        }
        let status = Json::from_serialize(&serde_json::json!({"id": id, "content": text})).unwrap();
        for event in [StreamingEvent::update(status.clone()), StreamingEvent::notification(status), StreamingEvent::delete(&id).unwrap(), StreamingEvent::filters_changed()] {
            let frame = ServerFrame::Event { stream: stream.stream_array(), event };
            prop_assert_eq!(ServerFrame::decode(&frame.encode(), &limits), Ok(frame));
        }
    }

    #[test]
    fn negotiation_agrees_with_the_rfc_transcription(
        ranges in proptest::collection::vec((0usize..9, 0u16..=1000), 0..6),
    ) {
        const RANGES: [&str; 9] = [
            "*/*", "text/*", "application/*", "text/event-stream", "application/activity+json",
            "application/ld+json", "application/ld+json;profile=\"https://www.w3.org/ns/activitystreams\"",
            "text/html", "application/json",
        ];
        let accept = ranges
            .iter()
            .map(|&(index, q)| format!("{};q={}.{:03}", RANGES[index], q / 1000, q % 1000))
            .collect::<Vec<_>>()
            .join(", ");
        let chosen = Negotiator::collection().negotiate_accept(accept.as_bytes()).ok();

        // RFC 9110 §12.5.1: each offer takes the weight of its most specific matching range.
        let offers = [
            (Representation::ActivityJson, "application", "activity+json", false),
            (Representation::LdJson, "application", "ld+json", true),
            (Representation::EventStream, "text", "event-stream", false),
        ];
        let weight = |(_, kind, subtype, ld): (Representation, &str, &str, bool)| -> u16 {
            if ranges.is_empty() {
                return 1000;
            }
            let mut best: Option<(u8, u16)> = None;
            for &(index, q) in &ranges {
                let range = RANGES[index];
                let specificity = match range {
                    "*/*" => Some(0),
                    "text/*" => (kind == "text").then_some(1),
                    "application/*" => (kind == "application").then_some(1),
                    full if full.starts_with(&format!("{kind}/{subtype}")) => {
                        if full.contains("profile") { ld.then_some(3) } else { Some(2) }
                    }
                    _ => None,
                };
                if let Some(specificity) = specificity
                    && best.is_none_or(|(top, _)| specificity > top)
                {
                    best = Some((specificity, q));
                }
            }
            best.map_or(0, |(_, q)| q)
        };
        let mut expected: Option<(u16, Representation)> = None;
        for offer in offers {
            let q = weight(offer);
            if q > 0 && expected.is_none_or(|(top, _)| q > top) {
                expected = Some((q, offer.0));
            }
        }
        prop_assert_eq!(chosen, expected.map(|(_, representation)| representation), "Accept: {}", accept);
    }

    #[test]
    fn entries_of_any_kind_and_payload_encode_for_every_format(
        text in "\\PC{0,60}",
        kind in 0usize..3,
    ) {
        use fedi_stream::c2s::feed::{Entry, Feed, FeedConfig, Format, Session};
        let now = Instant::now();
        let mut feed = Feed::new(FeedConfig::new("https://h.example/c".parse().unwrap()).with_formats(&Format::ALL));
        let mut sessions: Vec<Session> = Format::ALL
            .iter()
            .map(|&format| Session::new(&feed, format, None, SessionConfig::default(), now).unwrap())
            .collect();
        let payload = match kind {
            0 => Payload::Json(Json::from_serialize(&serde_json::json!({"t": text})).unwrap()),
            1 => Payload::text(text.clone()).unwrap(),
            _ => Payload::None,
        };
        feed.append(Entry::new("update", Some(ItemId::new("1").unwrap()), payload).unwrap()).unwrap();
        feed.append(StreamEvent::from_parts(EventKind::Outbox, Some(ItemId::new("2").unwrap()), Json::empty_object())).unwrap();
        for session in &mut sessions {
            let mut count = 0;
            while let Some(transmit) = session.poll_transmit(now, &feed) {
                let bytes = transmit.bytes().unwrap();
                prop_assert!(std::str::from_utf8(bytes).is_ok());
                if session.format().is_websocket() {
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(bytes).is_ok());
                }
                count += 1;
            }
            let expected = if session.format() == Format::MastodonSse { 3 } else { 2 };
            prop_assert_eq!(count, expected, "{:?}", session.format());
        }
    }
}
