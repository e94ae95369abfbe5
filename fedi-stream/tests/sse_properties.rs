//! Property tests: the decoder agrees with a line-by-line transcription of the WHATWG algorithm,
//! gives the same outputs for every chunking (limits and errors included), and reads back what
//! the encoder writes.

mod support;

use std::time::Duration;

use fedi_stream::sse::{Decoder, Encoder, Event, LimitPolicy, Limits, OutgoingEvent, Output};
use proptest::prelude::*;
use support::{TOKENS, reference, run, split_at};

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|tokens| tokens.concat())
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..200)
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..400, 0..12)
}

fn decode(decoder: Decoder, stream: &[u8], cuts: &[usize]) -> support::Run {
    run(decoder, split_at(stream, cuts))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_the_spec_transcription(
        stream in stream(),
        cuts in cuts(),
        comments in any::<bool>(),
        seed in prop::sample::select(&["", "7", "é"][..]),
    ) {
        let (expected, expected_last_id) = reference(&stream, seed, comments);
        let decoder = Decoder::new().with_comments(comments).with_last_event_id(seed);
        let run = decode(decoder, &stream, &cuts);
        let outputs: Vec<Output> = run.outputs.into_iter().map(Result::unwrap).collect();
        prop_assert_eq!(outputs, expected);
        prop_assert_eq!(run.final_last_event_id, expected_last_id);
    }

    #[test]
    fn agrees_with_the_spec_transcription_on_any_bytes(bytes in any_bytes(), cuts in cuts()) {
        let (expected, expected_last_id) = reference(&bytes, "", true);
        let run = decode(Decoder::new().with_comments(true), &bytes, &cuts);
        let outputs: Vec<Output> = run.outputs.into_iter().map(Result::unwrap).collect();
        prop_assert_eq!(outputs, expected);
        prop_assert_eq!(run.final_last_event_id, expected_last_id);
    }

    #[test]
    fn every_chunking_gives_the_same_outputs_even_at_the_limits(
        stream in stream(),
        cuts in cuts(),
        max_line in 0usize..24,
        max_event in 0usize..24,
        fail in any::<bool>(),
    ) {
        let make = || {
            Decoder::new()
                .with_comments(true)
                .with_limits(Limits::default().with_max_line_length(max_line).with_max_event_size(max_event))
                .with_limit_policy(if fail { LimitPolicy::Fail } else { LimitPolicy::Resync })
        };
        let whole = decode(make(), &stream, &[]);
        let bytewise = run(make(), stream.chunks(1));
        prop_assert_eq!(&decode(make(), &stream, &cuts), &whole);
        prop_assert_eq!(&bytewise, &whole);
    }

    #[test]
    fn decoding_what_was_encoded_gives_the_event_back(
        events in prop::collection::vec(valid_event(), 0..8),
        cuts in cuts(),
    ) {
        let mut encoder = Encoder::new();
        let mut wire = Vec::new();
        for event in &events {
            encoder.encode(&OutgoingEvent::from(event), &mut wire).unwrap();
        }
        let outputs: Vec<Output> = decode(Decoder::new(), &wire, &cuts)
            .outputs.into_iter().map(Result::unwrap).collect();
        let expected: Vec<Output> = events.into_iter().map(Output::Event).collect();
        prop_assert_eq!(outputs, expected);
    }

    #[test]
    fn decoding_encoded_blocks_follows_the_browser_model(
        blocks in prop::collection::vec(outgoing(), 0..8),
        bom in any::<bool>(),
        cuts in cuts(),
    ) {
        let mut encoder = if bom { Encoder::with_leading_bom() } else { Encoder::new() };
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut last_id = String::new();
        for block in &blocks {
            let outgoing = OutgoingEvent {
                event: block.event.as_deref(),
                data: block.data.as_deref(),
                id: block.id.as_deref(),
                retry: block.retry.map(Duration::from_millis),
            };
            encoder.encode(&outgoing, &mut wire).unwrap();
            encoder.keep_alive(&mut wire);
            if let Some(millis) = block.retry {
                expected.push(Output::Retry(Duration::from_millis(millis)));
            }
            if let Some(id) = &block.id {
                last_id.clone_from(id);
            }
            if let Some(data) = &block.data {
                let data = data.replace("\r\n", "\n").replace('\r', "\n");
                let event_type = block.event.clone().unwrap_or_default();
                expected.push(Output::Event(Event::new(&event_type, &data, &last_id)));
            }
        }
        let run = decode(Decoder::new(), &wire, &cuts);
        let outputs: Vec<Output> = run.outputs.into_iter().map(Result::unwrap).collect();
        prop_assert_eq!(outputs, expected);
        prop_assert_eq!(run.final_last_event_id, last_id);
    }

    #[test]
    fn writes_the_bytes_of_a_field_by_field_transcription(
        event in prop::option::of(field_value()),
        data in prop::option::of(data_value()),
        id in prop::option::of(field_value()),
        retry in prop::option::of(0u64..100_000),
    ) {
        let outgoing = OutgoingEvent {
            event: event.as_deref(),
            data: data.as_deref(),
            id: id.as_deref(),
            retry: retry.map(Duration::from_millis),
        };
        let mut wire = b"before".to_vec();
        let result = Encoder::new().encode(&outgoing, &mut wire);
        match transcribe(&outgoing) {
            Some(expected) => {
                prop_assert_eq!(result, Ok(()));
                prop_assert_eq!(String::from_utf8(wire).unwrap(), format!("before{expected}"));
            }
            None => {
                prop_assert!(result.is_err());
                prop_assert_eq!(wire, b"before");
            }
        }
    }
}

/// Values of every short length (the encoder writes the usual block's type and id a word at
/// a time), with line ends, NUL and the other control characters among them.
fn field_value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(&['a', 'b', ' ', ':', 'é', '€'][..]),
            1 => prop::sample::select(&['\r', '\n', '\0', '\t', '\u{b}', '\u{c}', '\u{d}', '\u{e}'][..]),
            1 => any::<char>(),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Data values short or long: the encoder looks at long data a block of 256 bytes at a time
/// before it searches, so line ends and control characters land before, inside and after
/// long plain runs.
fn data_value() -> impl Strategy<Value = String> {
    (
        field_value(),
        0..700usize,
        field_value(),
        0..300usize,
        field_value(),
    )
        .prop_map(|(first, run, middle, second_run, last)| {
            format!(
                "{first}{}{middle}{}{last}",
                "x".repeat(run),
                "y".repeat(second_run)
            )
        })
}

/// The block as the format describes it, field by field: `None` for a type with CR or LF or
/// an id with CR, LF or NUL.
fn transcribe(event: &OutgoingEvent<'_>) -> Option<String> {
    let line = |name: &str, value: &str| {
        if value.is_empty() {
            format!("{name}:\n")
        } else {
            format!("{name}: {value}\n")
        }
    };
    let mut out = String::new();
    if let Some(event_type) = event.event {
        if event_type.contains(['\r', '\n']) {
            return None;
        }
        out += &line("event", event_type);
    }
    if let Some(id) = event.id {
        if id.contains(['\r', '\n', '\0']) {
            return None;
        }
        out += &line("id", id);
    }
    if let Some(retry) = event.retry {
        out += &line("retry", &retry.as_millis().to_string());
    }
    if let Some(data) = event.data {
        for data_line in data.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
            out += &line("data", data_line);
        }
    }
    out.push('\n');
    Some(out)
}

/// Any text made of the given characters, biased towards the interesting ones.
fn text(special: &'static [char]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(special),
            1 => any::<char>(),
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn one_line(allow_nul: bool) -> impl Strategy<Value = String> {
    text(&[' ', ':', 'a', '\u{feff}', '\0', 'é']).prop_map(move |t| {
        t.chars()
            .filter(|&c| c != '\r' && c != '\n' && (allow_nul || c != '\0'))
            .collect()
    })
}

/// An event a decoder can dispatch and an encoder can write without change: data without CR,
/// type and id on one line, no NUL in the id.
fn valid_event() -> impl Strategy<Value = Event> {
    (
        one_line(true),
        text(&['\n', ' ', ':', 'a', '\0', '\u{feff}']).prop_map(|d| d.replace('\r', "")),
        one_line(false),
    )
        .prop_map(|(event_type, data, id)| Event::new(&event_type, &data, &id))
}

#[derive(Debug, Clone)]
struct Block {
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
}

fn outgoing() -> impl Strategy<Value = Block> {
    (
        prop::option::of(one_line(true)),
        prop::option::of(text(&['\r', '\n', ' ', ':', 'a'])),
        prop::option::of(one_line(false)),
        prop::option::of(any::<u64>()),
    )
        .prop_map(|(event, data, id, retry)| Block {
            event,
            data,
            id,
            retry,
        })
}
