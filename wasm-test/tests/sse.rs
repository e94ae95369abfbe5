//! The SSE decoder on wasm32-unknown-unknown: the memchr line search and the UTF-8 check take
//! their portable paths there.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use fedi_stream::sse::{Decoder, Output};
use wasm_bindgen_test::wasm_bindgen_test;

fn decode_all(decoder: &mut Decoder) -> Vec<Output> {
    decoder
        .by_ref()
        .collect::<Result<_, _>>()
        .expect("no decode error")
}

#[wasm_bindgen_test]
fn events_split_across_chunks_decode_as_a_browser_would() {
    let mut decoder = Decoder::new().with_last_event_id("41");
    // A BOM, CRLF and bare CR line ends, a chunk boundary inside a CRLF, a field and a
    // multi-byte character split across chunks, and a `retry` line.
    let stream: &[u8] = "\u{feff}retry: 2500\r\nevent: inbox\rdata: caf\u{e9}\r\ndata: 2\r\nid: 42\r\n\r\ndata: plain\n\n".as_bytes();
    for chunk in [
        &stream[..3],
        &stream[3..18],
        &stream[18..38],
        &stream[38..39],
        &stream[39..],
    ] {
        decoder.feed(chunk);
    }
    decoder.feed(b"data: unterminated");
    decoder.finish();

    let outputs = decode_all(&mut decoder);
    let [
        Output::Retry(retry),
        Output::Event(first),
        Output::Event(second),
    ] = &outputs[..]
    else {
        panic!("unexpected outputs: {outputs:?}");
    };
    assert_eq!(*retry, Duration::from_millis(2500));
    assert_eq!(first.event_type(), "inbox");
    assert_eq!(first.data(), "caf\u{e9}\n2");
    assert_eq!(first.last_event_id(), "42");
    assert_eq!(second.event_type(), "message");
    assert_eq!(second.data(), "plain");
    assert_eq!(second.last_event_id(), "42");
    assert_eq!(decoder.last_event_id(), "42");
}

#[wasm_bindgen_test]
fn invalid_utf8_is_replaced_not_refused() {
    let mut decoder = Decoder::new();
    decoder.feed(b"data: a\xffb\n\n");
    let outputs = decode_all(&mut decoder);
    let [Output::Event(event)] = &outputs[..] else {
        panic!("unexpected outputs: {outputs:?}");
    };
    assert_eq!(event.data(), "a\u{fffd}b");
}
