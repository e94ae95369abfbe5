//! The `tokio-util` feature: `SseCodec` under `FramedRead` and `FramedWrite`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use fedi_stream::sse::{
    DecodeError, Decoder, Encoder, Event, KeepAlive, Limits, OutgoingEvent, Output, SseCodec,
    SseCodecError,
};
use futures::{SinkExt, StreamExt, executor::block_on};
use proptest::prelude::*;
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::codec::{FramedRead, FramedWrite};

/// An `AsyncRead` that hands out its bytes in pieces of the given sizes (cycled).
struct Pieces {
    bytes: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    next: usize,
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let size = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let end = (self.at + size)
            .min(self.bytes.len())
            .min(self.at + buf.remaining());
        buf.put_slice(&self.bytes[self.at..end]);
        self.at = end;
        Poll::Ready(Ok(()))
    }
}

fn framed(bytes: &[u8], sizes: Vec<usize>, codec: SseCodec) -> Vec<Result<Output, SseCodecError>> {
    let reader = Pieces {
        bytes: bytes.to_vec(),
        at: 0,
        sizes,
        next: 0,
    };
    block_on(FramedRead::new(reader, codec).collect())
}

/// The outputs of a framed read that must not fail.
fn framed_ok(bytes: &[u8], sizes: Vec<usize>, codec: SseCodec) -> Vec<Output> {
    framed(bytes, sizes, codec)
        .into_iter()
        .map(|item| item.expect("no error"))
        .collect()
}

fn direct(bytes: &[u8]) -> Vec<Output> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    decoder.finish();
    decoder
        .map(|output| output.expect("no limit is reached"))
        .collect()
}

const STREAM: &[u8] =
    b"\xEF\xBB\xBFretry: 2500\r\nid: 1\nevent: inbox\ndata: {\"type\":\"Create\",\r\
data: \"object\":\"\xFF\"}\n\n: comment\n\nid: 2\ndata:\n\ndata: unterminated";

#[test]
fn outputs_are_the_decoders_and_the_unterminated_tail_is_dropped() {
    let expected = direct(STREAM);
    assert_eq!(framed_ok(STREAM, vec![7], SseCodec::new()), expected);
    assert_eq!(
        expected,
        [
            Output::Retry(std::time::Duration::from_millis(2500)),
            Output::Event(Event::new(
                "inbox",
                "{\"type\":\"Create\",\n\"object\":\"\u{FFFD}\"}",
                "1"
            )),
            Output::Event(Event::new("", "", "2")),
        ]
    );
}

proptest! {
    #[test]
    fn every_read_size_gives_the_same_outputs(sizes in prop::collection::vec(1usize..40, 1..8)) {
        prop_assert_eq!(framed_ok(STREAM, sizes, SseCodec::new()), direct(STREAM));
    }
}

#[test]
fn a_limit_error_is_the_last_item_of_the_framed_stream() {
    let decoder = Decoder::new().with_limits(Limits::default().with_max_event_size(4));
    let codec = SseCodec::from_parts(decoder, Encoder::new());
    let outputs = framed(
        b"data: ok\n\ndata: too long\n\ndata: after\n\n",
        vec![64],
        codec,
    );
    assert_eq!(outputs.len(), 2, "{outputs:?}");
    assert!(matches!(&outputs[0], Ok(Output::Event(e)) if e.data() == "ok"));
    assert!(matches!(
        outputs[1],
        Err(SseCodecError::Decode(DecodeError::EventTooLarge {
            max: 4,
            line_start: 10
        }))
    ));
}

#[test]
fn a_configured_decoder_resumes_from_its_last_event_id() {
    let codec = SseCodec::from_parts(Decoder::new().with_last_event_id("41"), Encoder::new());
    let outputs = framed_ok(b"data: next\n\n", vec![3], codec);
    assert_eq!(outputs, [Output::Event(Event::new("", "next", "41"))]);
}

#[test]
fn what_framed_write_encodes_framed_read_decodes() {
    let mut sink = FramedWrite::new(Vec::new(), SseCodec::new());
    block_on(async {
        sink.send(
            OutgoingEvent::new("a\r\nb")
                .with_event("inbox")
                .with_id("9"),
        )
        .await?;
        sink.send(KeepAlive).await?;
        sink.send(OutgoingEvent::new("")).await?;
        Ok::<_, SseCodecError>(())
    })
    .expect("every event is encodable");
    let refused = block_on(sink.send(OutgoingEvent::new("x").with_id("a\nb")));
    assert!(matches!(refused, Err(SseCodecError::Encode(_))));
    let wire = sink.into_inner();
    assert_eq!(
        wire,
        b"event: inbox\nid: 9\ndata: a\ndata: b\n\n:\ndata:\n\n"
    );
    assert_eq!(
        framed_ok(&wire, vec![5], SseCodec::new()),
        [
            Output::Event(Event::new("inbox", "a\nb", "9")),
            Output::Event(Event::new("", "", "9")),
        ]
    );
}
