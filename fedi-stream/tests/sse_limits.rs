//! Limits: typed errors that name the limit, resynchronisation at the next blank line, and
//! bounded memory on hostile input.

mod support;

use fedi_stream::sse::{DecodeError, Decoder, Event, Limit, LimitPolicy, Limits, Output};
use support::run;

const MIB: usize = 1 << 20;

fn message(data: &str) -> Result<Output, DecodeError> {
    Ok(Output::Event(Event::new("message", data, "")))
}

/// Streams `prefix`, then `len` filler bytes in 64 KiB chunks, then `suffix`, checking after
/// every chunk that the decoder holds no more than its limits allow.
fn feed_huge_line(
    decoder: &mut Decoder,
    prefix: &[u8],
    len: usize,
    suffix: &[u8],
) -> Vec<Result<Output, DecodeError>> {
    let limits = decoder.limits();
    let bound = limits.max_line_length + limits.max_event_size;
    let filler = vec![b'x'; 64 * 1024];
    let mut outputs = Vec::new();
    decoder.feed(prefix);
    let mut sent = 0;
    while sent < len {
        let n = filler.len().min(len - sent);
        decoder.feed(&filler[..n]);
        sent += n;
        assert!(
            decoder.buffered_bytes() <= bound,
            "holding {} bytes after {sent} bytes of the line, limit {bound}",
            decoder.buffered_bytes()
        );
        assert!(
            decoder.pending() <= 1,
            "outputs pile up: {}",
            decoder.pending()
        );
        outputs.extend(decoder.by_ref());
    }
    decoder.feed(suffix);
    decoder.finish();
    outputs.extend(decoder.by_ref());
    outputs
}

#[test]
fn a_100_mib_data_line_is_refused_and_the_stream_resynchronises() {
    let mut decoder = Decoder::new();
    let outputs = feed_huge_line(
        &mut decoder,
        b"data:small\n\nid: 9\nevent: big\ndata: ",
        100 * MIB,
        b"\ndata: still the same block\n\ndata:after\n\n",
    );
    assert_eq!(
        outputs,
        [
            message("small"),
            Err(DecodeError::EventTooLarge {
                max: Limits::DEFAULT_MAX_EVENT_SIZE,
                line_start: 29,
            }),
            message("after"),
        ]
    );
    // The dropped block's id never became the last event ID.
    assert_eq!(decoder.last_event_id(), "");
}

#[test]
fn a_100_mib_comment_line_is_refused_and_the_stream_resynchronises() {
    let mut decoder = Decoder::new().with_comments(true);
    let outputs = feed_huge_line(&mut decoder, b"data:1\n:", 100 * MIB, b"\n\ndata:2\n\n");
    let error = DecodeError::LineTooLong {
        max: Limits::DEFAULT_MAX_LINE_LENGTH,
        line_start: 7,
    };
    assert_eq!(error.limit(), Limit::MaxLineLength);
    assert!(
        error.to_string().contains("Limits::max_line_length"),
        "{error}"
    );
    // The block "data:1" was under construction when the comment overflowed: dropped.
    assert_eq!(outputs, [Err(error), message("2")]);
}

#[test]
fn raising_the_event_size_is_enough_for_big_single_line_events() {
    let limits = Limits::default().with_max_event_size(8 * MIB);
    let data = "y".repeat(8 * MIB);
    let body = format!("data: {data}\n\n");
    for chunk in [body.len(), 8192, 1000] {
        let run = run(
            Decoder::new().with_limits(limits),
            body.as_bytes().chunks(chunk),
        );
        assert_eq!(run.outputs, [message(&data)], "chunks of {chunk}");
    }
}

#[test]
fn event_size_counts_the_joined_data() {
    let limits = Limits::default().with_max_event_size(5);
    // "ab\ncd" is 5 bytes: accepted. "ab\ncd\n" (a third, empty line) is 6: refused.
    let body =
        b"data:ab\ndata:cd\n\ndata:ab\ndata:cd\ndata\n\ndata: abcde\n\ndata:abcdef\n\nid:1\n\n";
    for chunk in 1..=body.len() {
        let run = run(Decoder::new().with_limits(limits), body.chunks(chunk));
        assert_eq!(
            run.outputs,
            [
                message("ab\ncd"),
                Err(DecodeError::EventTooLarge {
                    max: 5,
                    line_start: 33
                }),
                message("abcde"),
                Err(DecodeError::EventTooLarge {
                    max: 5,
                    line_start: 52
                }),
            ],
            "chunks of {chunk}"
        );
        // Resynchronised at the blank line after "data:abcdef": the "id:1" block counts.
        assert_eq!(run.final_last_event_id, "1");
    }
}

#[test]
fn line_length_applies_to_every_other_line() {
    let limits = Limits::default().with_max_line_length(8);
    let body = b"event:12\ndata:0123456789\n\nevent:123\ndata:x\n\nid:12345\nretry:12\ndata:y\n\nretry:123\n\ndata:z\n\n";
    for chunk in 1..=body.len() {
        let run = run(Decoder::new().with_limits(limits), body.chunks(chunk));
        assert_eq!(
            run.outputs,
            [
                Ok(Output::Event(Event::new("12", "0123456789", ""))),
                Err(DecodeError::LineTooLong {
                    max: 8,
                    line_start: 26
                }),
                Ok(Output::Retry(std::time::Duration::from_millis(12))),
                Ok(Output::Event(Event::new("message", "y", "12345"))),
                Err(DecodeError::LineTooLong {
                    max: 8,
                    line_start: 70
                }),
                Ok(Output::Event(Event::new("message", "z", "12345"))),
            ],
            "chunks of {chunk}"
        );
    }
}

#[test]
fn the_fail_policy_stops_decoding_until_finish() {
    // 5 bytes: enough for the "data:" prefix, not for the comment.
    let limits = Limits::default().with_max_line_length(5);
    let mut decoder = Decoder::new()
        .with_limits(limits)
        .with_limit_policy(LimitPolicy::Fail);
    decoder.feed(b"data:1\n\n:12345\n\ndata:2\n\n");
    assert!(decoder.is_failed());
    decoder.feed(b"data:3\n\n");
    let outputs: Vec<_> = decoder.by_ref().collect();
    assert_eq!(
        outputs,
        [
            message("1"),
            Err(DecodeError::LineTooLong {
                max: 5,
                line_start: 8
            })
        ]
    );
    // A new stream (reconnect) decodes again.
    decoder.finish();
    assert!(!decoder.is_failed());
    decoder.feed(b"data:4\n\n");
    assert_eq!(decoder.poll(), Some(message("4")));
}

#[test]
fn errors_report_stream_offsets_counting_the_bom() {
    let limits = Limits::default().with_max_line_length(3);
    let run = run(
        Decoder::new().with_limits(limits),
        [&b"\xEF\xBB\xBF:abcd\r\n\r\n:x\r:wxyz\n"[..]],
    );
    assert_eq!(
        run.outputs,
        [
            Err(DecodeError::LineTooLong {
                max: 3,
                line_start: 3
            }),
            Err(DecodeError::LineTooLong {
                max: 3,
                line_start: 15
            }),
        ]
    );
}
