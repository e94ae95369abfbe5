//! Conformance: every case of `tests/data/sse/cases.json` (WPT `eventsource/format-*` and the
//! WHATWG examples, see `tests/data/sse/SOURCES.md`) with its own chunking, one byte at a time,
//! all at once, and cut in two at every offset.

mod support;

use std::time::Duration;

use fedi_stream::sse::{Decoder, Output};
use serde::Deserialize;
use support::{Run, hex, run, split_at};

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    chunks_hex: Vec<String>,
    initial_last_event_id: String,
    events: Vec<ExpectedEvent>,
    retry: Vec<u64>,
    final_last_event_id: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
struct ExpectedEvent {
    #[serde(rename = "type")]
    event_type: String,
    data: String,
    last_event_id: String,
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/sse/cases.json");
    let cases: Vec<Case> = serde_json::from_str(text).expect("cases.json parses");
    assert!(
        cases.len() >= 30,
        "expected the whole case file, got {}",
        cases.len()
    );
    cases
}

fn check(case: &Case, how: &str, chunks: &[&[u8]]) {
    let decoder = Decoder::new().with_last_event_id(&case.initial_last_event_id);
    let Run {
        outputs,
        final_last_event_id,
    } = run(decoder, chunks.iter().copied());
    let mut events = Vec::new();
    let mut retries = Vec::new();
    for output in outputs {
        match output {
            Ok(Output::Event(event)) => events.push(ExpectedEvent {
                event_type: event.event_type().to_owned(),
                data: event.data().to_owned(),
                last_event_id: event.last_event_id().to_owned(),
            }),
            Ok(Output::Retry(retry)) => retries.push(retry),
            other => panic!("{} ({how}): unexpected output {other:?}", case.id),
        }
    }
    let expected_retries: Vec<Duration> = case
        .retry
        .iter()
        .map(|&ms| Duration::from_millis(ms))
        .collect();
    assert_eq!(events, case.events, "{} ({how}): events", case.id);
    assert_eq!(retries, expected_retries, "{} ({how}): retries", case.id);
    assert_eq!(
        final_last_event_id, case.final_last_event_id,
        "{} ({how}): final last event ID",
        case.id
    );
}

#[test]
fn every_case_with_its_own_chunking() {
    for case in cases() {
        let chunks: Vec<Vec<u8>> = case.chunks_hex.iter().map(|h| hex(h)).collect();
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        check(&case, "given chunks", &chunks);
    }
}

#[test]
fn every_case_one_byte_at_a_time() {
    for case in cases() {
        let body: Vec<u8> = case.chunks_hex.iter().flat_map(|h| hex(h)).collect();
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        check(&case, "one byte at a time", &chunks);
    }
}

#[test]
fn every_case_all_at_once() {
    for case in cases() {
        let body: Vec<u8> = case.chunks_hex.iter().flat_map(|h| hex(h)).collect();
        check(&case, "all at once", &[&body]);
    }
}

#[test]
fn every_case_cut_in_two_anywhere() {
    for case in cases() {
        let body: Vec<u8> = case.chunks_hex.iter().flat_map(|h| hex(h)).collect();
        for cut in 0..=body.len() {
            check(&case, &format!("cut at {cut}"), &split_at(&body, &[cut]));
        }
    }
}
