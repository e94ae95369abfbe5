//! The `stream` feature: `DecodeStream` over a `futures` stream of byte chunks.

use bytes::Bytes;
use fedi_stream::sse::{DecodeError, DecodeStream, Decoder, Event, Limits, Output, StreamError};
use futures::{StreamExt, executor::block_on, stream};

#[test]
fn yields_outputs_in_order_then_ends_with_the_body() {
    let chunks: Vec<Result<Bytes, String>> = vec![
        Ok(Bytes::from_static(b"\xEF\xBB")),
        Ok(Bytes::from_static(b"\xBFid: 1\ndata: a\r")),
        Ok(Bytes::from_static(b"\n\r")),
        Err("connection reset".to_owned()),
        Ok(Bytes::from_static(b"retry: 10\ndata: b\n\ndata: tail")),
    ];
    let decoded = DecodeStream::new(stream::iter(chunks), Decoder::new().with_last_event_id("0"));
    let outputs: Vec<_> = block_on(decoded.collect());
    let rendered: Vec<String> = outputs
        .into_iter()
        .map(|item| match item {
            Ok(Output::Event(e)) => format!("event {} {}", e.data(), e.last_event_id()),
            Ok(other) => format!("{other:?}"),
            Err(StreamError::Transport(reason)) => format!("transport {reason}"),
            Err(other) => format!("{other}"),
        })
        .collect();
    assert_eq!(
        rendered,
        [
            "event a 1",
            "transport connection reset",
            "Retry(10ms)",
            "event b 1"
        ]
    );
}

#[test]
fn hands_back_the_decoder_for_a_reconnect() {
    let chunks = [Ok::<_, std::io::Error>(
        &b"id: 5\ndata: x\n\nid: 6\ndata: lost"[..],
    )];
    let mut decoded = DecodeStream::new(stream::iter(chunks), Decoder::new());
    let first = block_on(decoded.next());
    assert_eq!(
        first.map(|r| r.ok()),
        Some(Some(Output::Event(Event::new("", "x", "5"))))
    );
    assert!(block_on(decoded.next()).is_none());
    assert_eq!(decoded.decoder().last_event_id(), "5");
    let decoder = decoded.into_decoder();
    let again = DecodeStream::new(
        stream::iter([Ok::<_, std::io::Error>(&b"data: y\n\n"[..])]),
        decoder,
    );
    let events: Vec<_> = block_on(again.collect());
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], Ok(Output::Event(e)) if e.last_event_id() == "5"));
}

#[test]
fn reports_limit_errors() {
    let decoder = Decoder::new().with_limits(Limits::default().with_max_event_size(2));
    let chunks = [Ok::<_, std::io::Error>(&b"data: abc\n\ndata: ab\n\n"[..])];
    let outputs: Vec<_> = block_on(DecodeStream::new(stream::iter(chunks), decoder).collect());
    assert!(matches!(
        &outputs[..],
        [
            Err(StreamError::Decode(DecodeError::EventTooLarge { max: 2, line_start: 0 })),
            Ok(Output::Event(e)),
        ] if e.data() == "ab"
    ));
}
