//! Helpers shared by the SSE integration tests: driving a decoder over chunks, and a reference
//! model written directly from the WHATWG algorithm, for comparison.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use fedi_stream::sse::{DecodeError, Decoder, Output};

/// Everything a decoder reported for one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub outputs: Vec<Result<Output, DecodeError>>,
    pub final_last_event_id: String,
}

/// Feeds `chunks` in order, draining after each one, then finishes and drains.
pub fn run<'a>(mut decoder: Decoder, chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut outputs = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        outputs.extend(decoder.by_ref());
    }
    decoder.finish();
    outputs.extend(decoder.by_ref());
    Run {
        outputs,
        final_last_event_id: decoder.last_event_id().to_owned(),
    }
}

/// `bytes` split at the given (sorted or not, possibly repeated) offsets.
pub fn split_at<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        pieces.push(&bytes[start..cut]);
        start = cut;
    }
    pieces.push(&bytes[start..]);
    pieces
}

pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd-length hex string");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The outputs the WHATWG HTML §9.2.6 algorithm gives for the whole `stream`, transcribed
/// step by step on decoded text (no limits), plus the final last event ID string.
pub fn reference(stream: &[u8], last_event_id: &str, comments: bool) -> (Vec<Output>, String) {
    // "UTF-8 decode": strip one leading BOM, replace invalid sequences with U+FFFD.
    let body = stream.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(stream);
    let text = String::from_utf8_lossy(body);

    // Lines end at CRLF, LF or CR; the unterminated tail is discarded at end of file.
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            other => line.push(other),
        }
    }

    let mut outputs = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id_buffer = last_event_id.to_owned();
    let mut last_id = last_event_id.to_owned();
    for line in lines {
        if line.is_empty() {
            // Dispatch the event.
            last_id.clone_from(&id_buffer);
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let kind = if event_type.is_empty() {
                "message"
            } else {
                event_type.as_str()
            };
            outputs.push(Output::Event(fedi_stream::sse::Event::new(
                kind, &data, &last_id,
            )));
            data.clear();
            event_type.clear();
        } else if let Some(comment) = line.strip_prefix(':') {
            if comments {
                let text = comment.strip_prefix(' ').unwrap_or(comment);
                outputs.push(Output::Comment(text.to_owned()));
            }
        } else {
            let (name, value) = match line.find(':') {
                Some(colon) => {
                    let value = &line[colon + 1..];
                    (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
                }
                None => (line.as_str(), ""),
            };
            match name {
                "event" => value.clone_into(&mut event_type),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                "id" if !value.contains('\0') => value.clone_into(&mut id_buffer),
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    // Values beyond u64 are ignored (a documented choice of the crate).
                    if let Ok(millis) = value.parse::<u64>() {
                        outputs.push(Output::Retry(Duration::from_millis(millis)));
                    }
                }
                _ => {}
            }
        }
    }
    (outputs, last_id)
}

/// Pieces that exercise every rule: field names (right and wrong), separators, all line ends,
/// BOMs, NUL, digits, multi-byte and invalid UTF-8.
pub const TOKENS: &[&[u8]] = &[
    b"data",
    b"data:",
    b"data: ",
    b"event:",
    b"event: ",
    b"id:",
    b"id: ",
    b"retry:",
    b"retry: ",
    b"Data:",
    b" data:",
    b":",
    b": ",
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"\r\r",
    b"\0",
    b"0",
    b"7",
    b"42",
    b"+1",
    b"x",
    b"hello",
    b"message",
    // Longer than the decoder's 64-byte blocks: line ends land at every offset in them.
    b"a value that is longer than one of the blocks the decoder copies in one go: 89 bytes long",
    "é".as_bytes(),
    "€😀".as_bytes(),
    b"\xEF\xBB\xBF",
    b"\xEF\xBB",
    b"\xFF",
    b"\xE2\x82",
    b"\xC2",
    b"\x80",
];
