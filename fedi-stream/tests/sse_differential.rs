//! Differential test against `eventsource-stream` 0.2.3 on the streams where it is known to be
//! correct: valid UTF-8, no leading BOM, not ending in a bare CR (it never dispatches an event
//! whose blank line is a final CR), and comparing events only (it drops `retry`-only blocks and
//! accepts `retry:+1`). Everything else, chunking included, is fair game.

mod support;

use eventsource_stream::Eventsource;
use fedi_stream::sse::{Decoder, Output};
use futures::{StreamExt, executor::block_on, stream};
use proptest::prelude::*;
use support::{run, split_at};

const TOKENS: &[&str] = &[
    "data",
    "data:",
    "data: ",
    "event:",
    "event: ",
    "id:",
    "id: ",
    "retry:",
    "retry: ",
    "Data:",
    " data:",
    ":",
    ": ",
    " ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\n\n",
    "\0",
    "0",
    "42",
    "+1",
    "x",
    "hello",
    "é",
    "€😀",
    "\u{feff}",
    "{\"type\":\"Note\"}",
];

fn valid_stream() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|tokens| {
        let mut text = tokens.concat();
        if text.starts_with('\u{feff}') {
            text.insert(0, 'x');
        }
        if text.ends_with('\r') {
            text.push('x');
        }
        text
    })
}

type Triple = (String, String, String);

fn ours(chunks: &[&[u8]]) -> Vec<Triple> {
    run(Decoder::new(), chunks.iter().copied())
        .outputs
        .into_iter()
        .filter_map(|output| match output.expect("no limits reached") {
            Output::Event(e) => Some((
                e.event_type().to_owned(),
                e.data().to_owned(),
                e.last_event_id().to_owned(),
            )),
            _ => None,
        })
        .collect()
}

fn theirs(chunks: &[&[u8]]) -> Vec<Triple> {
    let chunks: Vec<Result<Vec<u8>, std::convert::Infallible>> =
        chunks.iter().map(|c| Ok(c.to_vec())).collect();
    block_on(
        stream::iter(chunks)
            .eventsource()
            .map(|event| {
                let event = event.expect("eventsource-stream accepts valid UTF-8");
                (event.event, event.data, event.id)
            })
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_eventsource_stream_on_valid_streams(text in valid_stream(), cuts in prop::collection::vec(0usize..400, 0..10)) {
        let chunks = split_at(text.as_bytes(), &cuts);
        prop_assert_eq!(ours(&chunks), theirs(&chunks));
    }
}

#[test]
fn agrees_on_a_mastodon_like_stream() {
    let text = ":)\n\nevent: update\ndata: {\"id\":\"1\"}\n\n:thump\n\nevent: delete\ndata: 1\n\n\
                event: notification\r\ndata: {\"type\":\"mention\"}\r\n\r\n";
    for size in 1..=text.len() {
        let chunks: Vec<&[u8]> = text.as_bytes().chunks(size).collect();
        let events = ours(&chunks);
        assert_eq!(events.len(), 3);
        assert_eq!(events, theirs(&chunks), "chunks of {size}");
    }
}
