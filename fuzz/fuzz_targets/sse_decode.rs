//! `fedi_stream::sse::Decoder` on arbitrary bytes split at arbitrary points: no panic, the same
//! outputs for every chunking (at once, as cut, one byte at a time) and from both APIs (`feed` +
//! `poll`, and `feed_borrowed`, whose lent outputs must equal the owned ones), and memory within
//! limits.
//!
//! Input layout: `[flags, max_line, max_event, cut_count, cuts as u16 LE..., stream...]`.
//! `flags` bit 0: report comments; bit 1: `LimitPolicy::Fail`; bit 2: use `max_line` and
//! `max_event` as limits (otherwise the defaults).
#![no_main]

use fedi_fuzz::cut_stream;
use fedi_stream::sse::{DecodeError, Decoder, LimitPolicy, Limits, Output};
use libfuzzer_sys::fuzz_target;

fn decoder(flags: u8, limits: Limits) -> Decoder {
    let policy = if flags & 2 != 0 {
        LimitPolicy::Fail
    } else {
        LimitPolicy::Resync
    };
    Decoder::new()
        .with_comments(flags & 1 != 0)
        .with_limit_policy(policy)
        .with_limits(limits)
}

/// Decodes `chunks` with `feed` + `poll`, or with `feed_borrowed` (every lent output converted
/// to the owned one), checking the memory bounds after every chunk.
fn run<'a>(
    mut decoder: Decoder,
    chunks: impl Iterator<Item = &'a [u8]>,
    borrowed: bool,
) -> (Vec<Result<Output, DecodeError>>, String) {
    let limits = decoder.limits();
    let bound = limits.max_line_length + limits.max_event_size;
    let mut outputs = Vec::new();
    for chunk in chunks {
        if borrowed {
            outputs.extend(
                decoder
                    .feed_borrowed(chunk)
                    .map(|output| output.map(|output| output.to_output())),
            );
            assert_eq!(decoder.pending(), 0);
            // `Decoder::borrowed_bytes`: text, outputs (well under 128 bytes each), capacity
            // doubling, and what is kept from call to call.
            let text = 4 * (chunk.len() + limits.max_event_size + 3 * limits.max_line_length);
            let lent_bound = 2 * (text + 128 * (chunk.len() + 1)) + 64 * 1024 + 1024 * 128;
            assert!(
                decoder.borrowed_bytes() <= lent_bound,
                "{} > {lent_bound}",
                decoder.borrowed_bytes()
            );
        } else {
            decoder.feed(chunk);
        }
        assert!(
            decoder.buffered_bytes() <= bound,
            "{} > {bound}",
            decoder.buffered_bytes()
        );
        outputs.extend(decoder.by_ref());
    }
    decoder.finish();
    outputs.extend(decoder.by_ref());
    (outputs, decoder.last_event_id().to_owned())
}

fuzz_target!(|data: &[u8]| {
    let [flags, max_line, max_event, cut_count, rest @ ..] = data else {
        return;
    };
    let limits = if flags & 4 != 0 {
        Limits::default()
            .with_max_line_length(usize::from(*max_line))
            .with_max_event_size(usize::from(*max_event))
    } else {
        Limits::default()
    };
    let Some((stream, pieces)) = cut_stream(*cut_count, rest) else {
        return;
    };

    let whole = run(decoder(*flags, limits), std::iter::once(stream), false);
    let cut = run(decoder(*flags, limits), pieces.iter().copied(), false);
    let bytewise = run(decoder(*flags, limits), stream.chunks(1), false);
    let lent = run(decoder(*flags, limits), pieces.iter().copied(), true);
    let lent_whole = run(decoder(*flags, limits), std::iter::once(stream), true);
    assert_eq!(cut, whole);
    assert_eq!(bytewise, whole);
    assert_eq!(lent, whole);
    assert_eq!(lent_whole, whole);
});
