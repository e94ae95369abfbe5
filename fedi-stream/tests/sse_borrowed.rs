//! `Decoder::feed_borrowed`: the same outputs as `feed` + `poll` for any input and chunking
//! (property tests, including both APIs mixed on one stream and iterators dropped early), where
//! the text is lent from, and the memory it keeps.

mod support;

use std::time::Duration;

use fedi_stream::sse::{
    DecodeError, Decoder, Event, EventRef, LimitPolicy, Limits, Output, OutputRef,
};
use proptest::prelude::*;
use support::{Run, TOKENS, run, split_at};

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|t| t.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..400, 0..12)
}

/// How one chunk is fed: with `feed` (drained with `poll` or left queued), or with
/// `feed_borrowed`, taking only the first `take` outputs before dropping the iterator.
#[derive(Debug, Clone, Copy)]
enum Feed {
    Owned { drain: bool },
    Borrowed { take: usize },
}

fn feeds() -> impl Strategy<Value = Vec<Feed>> {
    prop::collection::vec(
        prop_oneof![
            1 => any::<bool>().prop_map(|drain| Feed::Owned { drain }),
            3 => prop_oneof![Just(usize::MAX), 0usize..3].prop_map(|take| Feed::Borrowed { take }),
        ],
        1..16,
    )
}

/// The events of a run in which every output is an event.
fn events(run: &Run) -> impl Iterator<Item = &Event> {
    run.outputs.iter().map(|output| match output {
        Ok(Output::Event(event)) => event,
        other => panic!("{other:?}"),
    })
}

/// Feeds `chunks` with `feed_borrowed` only, taking every output.
fn run_borrowed<'a>(mut decoder: Decoder, chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut outputs = Vec::new();
    for chunk in chunks {
        outputs.extend(
            decoder
                .feed_borrowed(chunk)
                .map(|output| output.map(|output| output.to_output())),
        );
        assert_eq!(decoder.pending(), 0);
    }
    decoder.finish();
    outputs.extend(decoder.by_ref());
    Run {
        outputs,
        final_last_event_id: decoder.last_event_id().to_owned(),
    }
}

/// Feeds `chunks` as `plan` says (cycling through it), collecting outputs in the order the
/// host sees them.
fn run_mixed<'a>(
    mut decoder: Decoder,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    plan: &[Feed],
) -> Run {
    let mut outputs = Vec::new();
    for (chunk, feed) in chunks.into_iter().zip(plan.iter().cycle()) {
        match *feed {
            Feed::Owned { drain } => {
                decoder.feed(chunk);
                if drain {
                    outputs.extend(decoder.by_ref());
                }
            }
            Feed::Borrowed { take } => {
                let lent = decoder.feed_borrowed(chunk);
                outputs.extend(
                    lent.take(take)
                        .map(|output| output.map(|output| output.to_output())),
                );
            }
        }
    }
    decoder.finish();
    outputs.extend(decoder.by_ref());
    Run {
        outputs,
        final_last_event_id: decoder.last_event_id().to_owned(),
    }
}

fn decoder(comments: bool, limits: Option<(usize, usize)>, fail: bool, seed: &str) -> Decoder {
    let decoder = Decoder::new()
        .with_comments(comments)
        .with_last_event_id(seed)
        .with_limit_policy(if fail {
            LimitPolicy::Fail
        } else {
            LimitPolicy::Resync
        });
    match limits {
        Some((line, event)) => decoder.with_limits(
            Limits::default()
                .with_max_line_length(line)
                .with_max_event_size(event),
        ),
        None => decoder,
    }
}

fn limits() -> impl Strategy<Value = Option<(usize, usize)>> {
    prop::option::of((0usize..40, 0usize..120))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn borrowed_outputs_equal_owned_outputs(
        stream in stream(),
        cuts in cuts(),
        comments in any::<bool>(),
        limits in limits(),
        fail in any::<bool>(),
        seed in prop::sample::select(&["", "7", "é"][..]),
    ) {
        let make = || decoder(comments, limits, fail, seed);
        let owned = run(make(), split_at(&stream, &cuts));
        prop_assert_eq!(&run_borrowed(make(), split_at(&stream, &cuts)), &owned);
        prop_assert_eq!(&run_borrowed(make(), stream.chunks(1)), &run(make(), stream.chunks(1)));
        prop_assert_eq!(&run_borrowed(make(), [&stream[..]]), &run(make(), [&stream[..]]));
    }

    #[test]
    fn mixing_both_apis_loses_and_reorders_nothing(
        stream in stream(),
        cuts in cuts(),
        plan in feeds(),
        comments in any::<bool>(),
        limits in limits(),
    ) {
        let make = || decoder(comments, limits, false, "");
        let owned = run(make(), split_at(&stream, &cuts));
        prop_assert_eq!(run_mixed(make(), split_at(&stream, &cuts), &plan), owned);
    }

    #[test]
    fn borrowed_memory_stays_within_its_documented_bound(
        stream in stream(),
        cuts in cuts(),
        limits in limits(),
    ) {
        let mut decoder = decoder(true, limits, false, "");
        let limits = decoder.limits();
        for chunk in split_at(&stream, &cuts) {
            drop(decoder.feed_borrowed(chunk));
            let text = 4 * (chunk.len() + limits.max_event_size + 3 * limits.max_line_length);
            let outputs = (chunk.len() + 1) * 128;
            prop_assert!(
                decoder.borrowed_bytes() <= 2 * (text + outputs) + 64 * 1024,
                "{} bytes for a chunk of {}", decoder.borrowed_bytes(), chunk.len()
            );
            decoder.by_ref().for_each(drop);
        }
    }
}

#[test]
fn queued_owned_outputs_come_first_and_untaken_ones_stay_queued() {
    let mut decoder = Decoder::new().with_comments(true);
    decoder.feed(b"data: first\n\n: note\n");
    assert_eq!(decoder.pending(), 2);
    let mut lent = decoder.feed_borrowed(b"retry: 5\ndata: second\n\ndata: third\n\n");
    assert_eq!(lent.len(), 5);
    let Some(Ok(OutputRef::Event(first))) = lent.next() else {
        panic!("the queued event first");
    };
    assert_eq!(first.data(), "first");
    assert_eq!(lent.next(), Some(Ok(OutputRef::Comment("note"))));
    assert_eq!(
        lent.next(),
        Some(Ok(OutputRef::Retry(Duration::from_millis(5))))
    );
    drop(lent);
    // The two events not taken are queued, owned, in order.
    let rest: Vec<String> = decoder
        .by_ref()
        .map(|output| match output {
            Ok(Output::Event(event)) => event.into_data(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rest, ["second", "third"]);
}

#[test]
fn data_is_lent_from_the_chunk_when_it_is_one_line_inside_it() {
    let chunk = b"event: update\ndata: {\"id\":1}\n\ndata: a\ndata: b\n\n";
    let mut decoder = Decoder::new();
    let events: Vec<EventRef<'_>> = decoder
        .feed_borrowed(chunk)
        .map(|output| match output {
            Ok(OutputRef::Event(event)) => event,
            other => panic!("{other:?}"),
        })
        .collect();
    let within = |text: &str| chunk.as_ptr_range().contains(&text.as_ptr());
    assert_eq!(events[0].data(), "{\"id\":1}");
    assert!(within(events[0].data()), "one line: lent from the chunk");
    assert_eq!(events[0].event_type(), "update");
    assert_eq!(events[1].data(), "a\nb");
    assert!(
        !within(events[1].data()),
        "two lines: gathered by the decoder"
    );
    assert_eq!(events[1].event_type(), "message");
    assert_eq!(events[1].last_event_id(), "");
}

#[test]
fn invalid_utf8_and_split_characters_decode_as_the_owned_path_does() {
    // "é" split between chunks inside a data line, an invalid byte in another, a character
    // split right before the line end of the first chunk.
    let chunks: [&[u8]; 3] = [
        b"id: \xC3\xA9\ndata: caf\xC3",
        b"\xA9\n\ndata: bad \xFF byte\n\nevent: \xE2\x82",
        b"\xAC\ndata: x\n\n",
    ];
    let owned = run(Decoder::new(), chunks);
    let borrowed = run_borrowed(Decoder::new(), chunks);
    assert_eq!(borrowed, owned);
    let data: Vec<&str> = events(&owned).map(Event::data).collect();
    assert_eq!(data, ["café", "bad \u{FFFD} byte", "x"]);
}

#[test]
fn limit_errors_are_items_in_stream_order() {
    let limits = Limits::default().with_max_event_size(4);
    let mut decoder = Decoder::new().with_limits(limits);
    let outputs: Vec<Result<Option<String>, DecodeError>> = decoder
        .feed_borrowed(b"data: ok\n\ndata: too long\n\ndata: fine\n\n")
        .map(|output| {
            output.map(|output| match output {
                OutputRef::Event(event) => Some(event.data().to_owned()),
                _ => None,
            })
        })
        .collect();
    assert_eq!(outputs.len(), 3);
    assert_eq!(outputs[0], Ok(Some("ok".to_owned())));
    assert!(matches!(
        outputs[1],
        Err(DecodeError::EventTooLarge {
            max: 4,
            line_start: 10
        })
    ));
    assert_eq!(outputs[2], Ok(Some("fine".to_owned())));
}

#[test]
fn event_refs_convert_to_the_owned_event() {
    let mut decoder = Decoder::new().with_last_event_id("3");
    let lent: Vec<Output> = decoder
        .feed_borrowed(b"event: e\ndata: d\n\n")
        .map(|output| Output::from(output.unwrap()))
        .collect();
    let Output::Event(event) = &lent[0] else {
        panic!("{lent:?}");
    };
    assert_eq!(
        (event.event_type(), event.data(), event.last_event_id()),
        ("e", "d", "3")
    );
    assert_eq!(OutputRef::from(&lent[0]).to_output(), lent[0]);
}

#[test]
fn characters_split_between_two_events_lent_from_the_data_buffer_stay_replaced() {
    // Each event's data is gathered from two lines, so both are lent from the data buffer, one
    // after the other: the first ends with the lead byte of "é", the second starts with its
    // continuation byte. Joined they would read as "é"; each on its own holds an invalid byte.
    let chunks: [&[u8]; 1] = [b"data: a\ndata: \xC3\n\ndata: \xA9\ndata: b\n\n"];
    let owned = run(Decoder::new(), chunks);
    let borrowed = run_borrowed(Decoder::new(), chunks);
    assert_eq!(borrowed, owned);
    let data: Vec<&str> = events(&owned).map(Event::data).collect();
    assert_eq!(data, ["a\n\u{FFFD}", "\u{FFFD}\nb"]);
}

#[test]
fn characters_split_between_data_and_a_last_event_id_from_an_earlier_chunk_stay_replaced() {
    // The `id` line is in the first chunk, the blank line in the second: the ID is lent from
    // the data buffer right after the event's data (and before the next event's). First the
    // data ends with the lead byte of "é" and the ID starts with its continuation byte, then an
    // ID ends with a lead byte and the next event's data starts with a continuation byte.
    // Joined they would read as "é"; each on its own holds an invalid byte.
    /// Two chunks, and each event's `(data, last event ID)`.
    type Case = ([&'static [u8]; 2], &'static [(&'static str, &'static str)]);
    let cases: [Case; 2] = [
        (
            [b"id: \xA9\ndata: a\ndata: \xC3", b"\n\n"],
            &[("a\n\u{FFFD}", "\u{FFFD}")],
        ),
        (
            [
                b"id: x\xC3\ndata: a\ndata: b",
                b"\n\ndata: \xA9\ndata: c\n\n",
            ],
            &[("a\nb", "x\u{FFFD}"), ("\u{FFFD}\nc", "x\u{FFFD}")],
        ),
    ];
    for (chunks, expected) in cases {
        let owned = run(Decoder::new(), chunks);
        let borrowed = run_borrowed(Decoder::new(), chunks);
        assert_eq!(borrowed, owned);
        let events: Vec<(&str, &str)> = events(&owned)
            .map(|event| (event.data(), event.last_event_id()))
            .collect();
        assert_eq!(events, expected);
    }
}
