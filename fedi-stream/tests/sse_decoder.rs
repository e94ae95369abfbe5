//! The decoder against the WHATWG HTML §9.2.6 checklist, item by item. Expectations are taken
//! from the spec text (quoted or paraphrased in each test), not from running the decoder.

mod support;

use std::time::Duration;

use fedi_stream::sse::{Decoder, Event, Limits, Output};
use support::run;

fn outputs(chunks: &[&[u8]]) -> Vec<Output> {
    run(Decoder::new(), chunks.iter().copied())
        .outputs
        .into_iter()
        .map(|o| o.expect("no limit is reached in these tests"))
        .collect()
}

fn message(data: &str) -> Output {
    Output::Event(Event::new("message", data, ""))
}

/// Data values that end at every offset around the decoder's 64-byte blocks, with each line
/// end, fed in chunks of sizes around the block size: always the same event, and within an
/// exact event limit the same outcome (event or error) as in one piece.
#[test]
fn long_data_lines_end_anywhere_in_any_chunking() {
    let text = "aé€b".repeat(60);
    for len in 0..220 {
        let value = &text.as_bytes()[..len];
        for end in [&b"\n"[..], b"\r", b"\r\n"] {
            let mut stream = b"data: ".to_vec();
            stream.extend_from_slice(value);
            stream.extend_from_slice(end);
            stream.extend_from_slice(b"data:");
            stream.extend_from_slice(value);
            stream.extend_from_slice(end);
            stream.extend_from_slice(end);
            stream.extend_from_slice(b"data: tail\n\n");
            let half = String::from_utf8_lossy(value);
            let expected = vec![message(&format!("{half}\n{half}")), message("tail")];
            let limited = || Decoder::new().with_limits(Limits::default().with_max_event_size(len));
            let whole = run(limited(), [&stream[..]]).outputs;
            for size in [1, 2, 7, 63, 64, 65, 127, 128, 129, 300] {
                let chunks: Vec<&[u8]> = stream.chunks(size).collect();
                assert_eq!(outputs(&chunks), expected, "{len} {end:?} {size}");
                assert_eq!(
                    run(limited(), chunks.iter().copied()).outputs,
                    whole,
                    "{len} {end:?} {size}"
                );
            }
        }
    }
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    // A1: "data:\xffhello\xc2\n" -> "\u{fffd}hello\u{fffd}".
    assert_eq!(
        outputs(&[b"data:\xffhello\xc2\n\n"]),
        [message("\u{fffd}hello\u{fffd}")]
    );
    // A maximal subpart (E2 82, a truncated 3-byte sequence) is one U+FFFD, however it is split.
    for chunks in [
        &[&b"data:\xe2\x82x\n\n"[..]][..],
        &[b"data:\xe2", b"\x82", b"x\n\n"],
    ] {
        assert_eq!(outputs(chunks), [message("\u{fffd}x")]);
    }
}

#[test]
fn each_value_is_decoded_on_its_own() {
    // Every line is decoded when it ends, so bytes of one value never complete a sequence
    // begun in another: E2 82 ending the data and AC as the id (or the type) are two U+FFFD,
    // not a "€" spread over two fields.
    let mut decoder = Decoder::new();
    decoder.feed(b"data:\xe2\x82\nid:\xac\n\ndata:\xe2\nevent:\x82\xac\n\n");
    let dispatched: Vec<_> = decoder.by_ref().collect();
    assert_eq!(
        dispatched,
        [
            Ok(Output::Event(Event::new("message", "\u{fffd}", "\u{fffd}"))),
            Ok(Output::Event(Event::new(
                "\u{fffd}\u{fffd}",
                "\u{fffd}",
                "\u{fffd}"
            ))),
        ]
    );
    assert_eq!(decoder.last_event_id(), "\u{fffd}");
    // Valid values are kept whole, whatever their neighbours.
    assert_eq!(
        outputs(&[b"data:\xe2\x82\xac\nid:\xe2\x82\xac\nevent:\xc3\xa9\n\n"]),
        [Output::Event(Event::new("é", "€", "€"))]
    );
}

#[test]
fn multibyte_characters_survive_any_split() {
    // A2: decoding is streaming.
    let body = "data: é€😀\n\n".as_bytes();
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(outputs(&bytewise), [message("é€😀")]);
}

#[test]
fn one_leading_bom_is_stripped_even_when_split() {
    // A3: exactly one BOM at the start of the stream, whatever the chunking.
    let expected = [message("1")];
    assert_eq!(outputs(&[b"\xEF", b"\xBB", b"\xBFdata:1\n\n"]), expected);
    assert_eq!(
        outputs(&[b"", b"\xEF\xBB", b"", b"\xBF", b"data:1\n\n"]),
        expected
    );
    assert_eq!(outputs(&[b"\xEF\xBB\xBF", b"data:1\n\n"]), expected);
}

#[test]
fn any_other_bom_is_content() {
    // A3: a second BOM at line start is part of the field name ("\u{feff}data": ignored).
    assert_eq!(
        outputs(&[b"\xEF\xBB\xBF\xEF\xBB", b"\xBFdata:1\n\ndata:2\n\n"]),
        [message("2")]
    );
    // Inside a value it is kept.
    assert_eq!(
        outputs(&[b"data:\xEF\xBB\xBFx\n\n"]),
        [message("\u{feff}x")]
    );
}

#[test]
fn a_bom_prefix_that_is_not_a_bom_is_content() {
    // EF BB followed by 'd' is a truncated sequence: one U+FFFD, then "data:1" in the same
    // line, so the field name is "\u{fffd}data" and the line is ignored.
    for chunks in [
        &[&b"\xEF\xBBdata:1\n\ndata:2\n\n"[..]][..],
        &[b"\xEF", b"\xBB", b"data:1\n\ndata:2\n\n"],
    ] {
        assert_eq!(outputs(chunks), [message("2")]);
    }
    // A stream that ends inside a BOM has no complete line.
    assert_eq!(outputs(&[b"\xEF\xBB"]), []);
}

#[test]
fn nul_is_an_ordinary_character() {
    // A4.
    assert_eq!(outputs(&[b"data:\0\n\n"]), [message("\0")]);
    assert_eq!(outputs(&[b"data\0:x\ndata:y\n\n"]), [message("y")]);
}

#[test]
fn only_cr_lf_and_crlf_end_lines() {
    // B1: U+2028, U+0085, VT and FF are data.
    let body = "data:a\u{2028}b\u{85}c\x0Bd\x0Ce\n\n";
    assert_eq!(
        outputs(&[body.as_bytes()]),
        [message("a\u{2028}b\u{85}c\x0Bd\x0Ce")]
    );
    for body in [
        &b"data:a\rdata:b\r\r"[..],
        b"data:a\ndata:b\n\n",
        b"data:a\r\ndata:b\r\n\r\n",
        b"data:a\r\ndata:b\n\r",
    ] {
        assert_eq!(outputs(&[body]), [message("a\nb")], "{body:?}");
    }
}

#[test]
fn a_cr_at_a_chunk_end_ends_the_line_at_once() {
    // B2: the event is dispatched when the CR arrives, not when the next byte does.
    let mut decoder = Decoder::new();
    decoder.feed(b"data:x\r");
    assert_eq!(decoder.poll(), None);
    decoder.feed(b"\r");
    assert_eq!(decoder.poll(), Some(Ok(message("x"))));
    // ...and an LF that follows in the next chunk belongs to the CR (no extra blank line).
    decoder.feed(b"\ndata:y\r");
    decoder.feed(b"\n");
    decoder.feed(b"data:z\r");
    decoder.feed(b"\n\r");
    decoder.feed(b"\n");
    assert_eq!(decoder.poll(), Some(Ok(message("y\nz"))));
    assert_eq!(decoder.poll(), None);
    // The pending LF survives empty chunks.
    decoder.feed(b"data:w\r");
    decoder.feed(b"");
    decoder.feed(b"\n");
    decoder.feed(b"\r");
    assert_eq!(decoder.poll(), Some(Ok(message("w"))));
}

#[test]
fn lf_then_cr_is_two_line_ends() {
    // B3.
    assert_eq!(
        outputs(&[b"data:x\n\rdata:y\n\n"]),
        [message("x"), message("y")]
    );
}

#[test]
fn an_unterminated_block_is_discarded_at_the_end() {
    // B4: "If the file ends in the middle of an event, before the final empty line, the
    // incomplete event is not dispatched."
    assert_eq!(outputs(&[b"data:1\n\ndata:2\n"]), [message("1")]);
    assert_eq!(outputs(&[b"data:1\n\ndata:2"]), [message("1")]);
}

#[test]
fn comments_are_ignored_or_reported() {
    // C2: comments may contain anything, even "data:".
    let body = b":data:1\n: \0 x\ndata:2\n:\n\n";
    assert_eq!(outputs(&[body]), [message("2")]);
    let all = run(Decoder::new().with_comments(true), [&body[..]]);
    let expected = [
        Output::Comment("data:1".into()),
        Output::Comment("\0 x".into()),
        Output::Comment(String::new()),
        message("2"),
    ];
    assert_eq!(all.outputs, expected.map(Ok));
}

#[test]
fn values_lose_exactly_one_leading_space() {
    // C3: one U+0020, not TAB; later colons stay in the value.
    assert_eq!(
        outputs(&[b"data:  two\ndata:\tt\ndata: a:b: c\n\n"]),
        [message(" two\n\tt\na:b: c")]
    );
}

#[test]
fn a_line_without_colon_is_a_field_with_an_empty_value() {
    // C4: "data" appends an empty line; "event" resets the type; "id" resets the id buffer.
    assert_eq!(outputs(&[b"data\ndata\n\n"]), [message("\n")]);
    assert_eq!(outputs(&[b"event:x\nevent\ndata:1\n\n"]), [message("1")]);
    let run = run(
        Decoder::new().with_last_event_id("7"),
        [&b"id\ndata:1\n\n"[..]],
    );
    assert_eq!(run.outputs, [Ok(message("1"))]);
}

#[test]
fn field_names_are_matched_literally() {
    // C5 and D5: unknown names (case, leading space, NUL, other) are ignored.
    assert_eq!(
        outputs(&[b"Data:1\n data:2\ndata\0:3\nda-ta:4\nfoo:5\ndata:6\n\n"]),
        [message("6")]
    );
}

#[test]
fn fields_set_the_buffers() {
    // D1: the last event type wins; D2: data lines join with LF.
    assert_eq!(
        outputs(&[b"event:a\nevent:b\ndata\ndata:hello\ndata: world\ndata\n\n"]),
        [Output::Event(Event::new("b", "\nhello\nworld\n", ""))]
    );
}

#[test]
fn an_id_with_nul_is_ignored() {
    // D3: the previous last event ID buffer stays.
    let run = run(Decoder::new(), [&b"id:1\ndata:a\n\nid:2\0\ndata:b\n\n"[..]]);
    assert_eq!(
        run.outputs,
        [
            Ok(Output::Event(Event::new("message", "a", "1"))),
            Ok(Output::Event(Event::new("message", "b", "1")))
        ]
    );
}

#[test]
fn retry_needs_only_ascii_digits_and_acts_at_once() {
    // D4: reported when its line ends, without a blank line.
    let mut decoder = Decoder::new();
    decoder.feed(b"retry: 1000\n");
    assert_eq!(
        decoder.poll(),
        Some(Ok(Output::Retry(Duration::from_millis(1000))))
    );
    assert_eq!(
        outputs(&[b"retry:+1000\nretry: 1000 \nretry:1e3\nretry\nretry:\nretry:0012\n\n"]),
        [Output::Retry(Duration::from_millis(12))]
    );
}

#[test]
fn blank_lines_set_the_last_event_id_even_without_an_event() {
    // E1 and E2: an id-only block dispatches nothing but sets the last event ID string.
    let mut decoder = Decoder::new();
    decoder.feed(b"id: 5\nevent: x\n\ndata:a\n\n");
    assert_eq!(
        decoder.poll(),
        Some(Ok(Output::Event(Event::new("message", "a", "5"))))
    );
    assert_eq!(decoder.last_event_id(), "5");
}

#[test]
fn the_last_event_id_persists_and_seeds_a_reconnect() {
    // E5 and F2.
    let mut decoder = Decoder::new().with_last_event_id("10");
    decoder.feed(b"data:a\n\nid:11\ndata:b\n\ndata:c\n\nid:12\ndata:lost");
    decoder.finish();
    let events: Vec<Output> = decoder.by_ref().map(Result::unwrap).collect();
    assert_eq!(
        events,
        [
            Output::Event(Event::new("message", "a", "10")),
            Output::Event(Event::new("message", "b", "11")),
            Output::Event(Event::new("message", "c", "11")),
        ]
    );
    // The id of the unterminated block is lost; the next stream starts from "11".
    assert_eq!(decoder.last_event_id(), "11");
    decoder.feed(b"\xEF\xBB\xBFdata:d\n\n");
    assert_eq!(
        decoder.poll(),
        Some(Ok(Output::Event(Event::new("message", "d", "11"))))
    );
}

#[test]
fn finish_drops_a_pending_line_and_block() {
    let mut decoder = Decoder::new();
    decoder.feed(b"event:x\ndata:1\nda");
    decoder.finish();
    decoder.feed(b"ta:2\n\n");
    assert_eq!(decoder.poll(), None, "the old line and block are gone");
    decoder.feed(b"data:3\n\n");
    assert_eq!(decoder.poll(), Some(Ok(message("3"))));
}

#[test]
fn outputs_keep_stream_order() {
    assert_eq!(
        outputs(&[b"data:1\nretry:5\n\nretry:6\ndata:2\n\n"]),
        [
            Output::Retry(Duration::from_millis(5)),
            message("1"),
            Output::Retry(Duration::from_millis(6)),
            message("2"),
        ]
    );
}

#[test]
fn the_spec_example_with_three_events() {
    // §9.2.6: "data:test" and "data: test" are the same; "data" alone is an empty line.
    assert_eq!(
        outputs(&[b"data:test\n\ndata: test\n\ndata\n\ndata\ndata\n\ndata:"]),
        [message("test"), message("test"), message(""), message("\n")]
    );
}
