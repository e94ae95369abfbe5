//! [`SseCodec`]: the SSE [`Decoder`] and [`Encoder`] as a `tokio_util::codec` codec, for
//! `FramedRead` over any `AsyncRead` and `FramedWrite` over any `AsyncWrite`.

use std::io;

use bytes::BytesMut;
use thiserror::Error;

use super::decoder::Decoder;
use super::encoder::{Encoder, OutgoingEvent};
use super::error::{DecodeError, EncodeError};
use super::event::Output;

/// What a framed SSE stream or sink reports besides outputs.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SseCodecError {
    /// The peer exceeded the decoder's limits (see [`Decoder`]).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An event could not be encoded; nothing of it was written.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Reading or writing the transport failed.
    #[error("the transport failed")]
    Io(#[from] io::Error),
}

/// A keep-alive comment (`:` and a line end) for a `FramedWrite<_, SseCodec>`: it keeps
/// proxies from timing out an idle stream and dispatches nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KeepAlive;

/// The `text/event-stream` codec for `tokio_util::codec`: decodes a body into [`Output`]s and
/// encodes [`OutgoingEvent`]s and [`KeepAlive`]s.
///
/// Decoding is the sans-IO [`Decoder`]'s, with its guarantees (WHATWG parsing, any chunking,
/// bounded memory): every byte `FramedRead` reads is handed to the decoder at once, so the read
/// buffer never holds more than one read, and the decoder keeps at most one incomplete line
/// and one event within its [`Limits`](super::Limits). At the end of the input an
/// unterminated block is dropped, as a browser drops it.
///
/// `FramedRead` ends its stream after the first error a codec returns. A limit error is
/// therefore the last item of a framed stream whatever the decoder's
/// [`LimitPolicy`](super::LimitPolicy); to decode past one, drive the [`Decoder`] directly (or
/// through `DecodeStream`, with the `stream` feature).
///
/// ```
/// use futures::{StreamExt, executor::block_on};
/// use fedi_stream::sse::{Output, SseCodec};
/// use tokio_util::codec::FramedRead;
///
/// // Any `AsyncRead`: a TCP stream, a child's stdout, an HTTP body through `StreamReader`.
/// let body: &[u8] = b"id: 1\ndata: {\"type\":\"Note\"}\n\n: keep-alive\n\ndata: tail";
/// let mut frames = FramedRead::new(body, SseCodec::new());
/// block_on(async {
///     let Some(Ok(Output::Event(event))) = frames.next().await else { panic!() };
///     assert_eq!((event.last_event_id(), event.data()), ("1", r#"{"type":"Note"}"#));
///     // The unterminated block at the end of the input is dropped.
///     assert!(frames.next().await.is_none());
/// });
/// ```
///
/// Writing, with the same codec:
///
/// ```
/// use futures::{SinkExt, executor::block_on};
/// use fedi_stream::sse::{KeepAlive, OutgoingEvent, SseCodec};
/// use tokio_util::codec::FramedWrite;
///
/// let mut sink = FramedWrite::new(Vec::new(), SseCodec::new());
/// block_on(async {
///     sink.send(OutgoingEvent::new("hello").with_id("7")).await?;
///     sink.send(KeepAlive).await?;
///     Ok::<_, fedi_stream::sse::SseCodecError>(())
/// })?;
/// assert_eq!(sink.get_ref(), b"id: 7\ndata: hello\n\n:\n");
/// # Ok::<(), fedi_stream::sse::SseCodecError>(())
/// ```
#[derive(Debug, Default)]
pub struct SseCodec {
    decoder: Decoder,
    encoder: Encoder,
    /// The decoder was finished at the end of the input and has not been fed since.
    finished: bool,
}

impl SseCodec {
    /// A codec with a default [`Decoder`] (default limits, no comments) and [`Encoder`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A codec around a configured decoder (limits, comments, a last event ID to resume from)
    /// and encoder.
    #[must_use]
    pub fn from_parts(decoder: Decoder, encoder: Encoder) -> Self {
        Self {
            decoder,
            encoder,
            finished: false,
        }
    }

    /// The decoder, e.g. for [`Decoder::last_event_id`] before reconnecting.
    #[must_use]
    pub const fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Takes the decoder back, to resume the next connection from its last event ID.
    #[must_use]
    pub fn into_decoder(self) -> Decoder {
        self.decoder
    }
}

impl tokio_util::codec::Decoder for SseCodec {
    type Item = Output;
    type Error = SseCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Output>, SseCodecError> {
        if !src.is_empty() {
            self.decoder.feed(&src[..]);
            // Keeps the capacity: `FramedRead` reads the next bytes into the same buffer.
            src.clear();
            self.finished = false;
        }
        Ok(self.decoder.poll().transpose()?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Output>, SseCodecError> {
        if let Some(output) = self.decode(src)? {
            return Ok(Some(output));
        }
        if !self.finished {
            self.decoder.finish();
            self.finished = true;
        }
        Ok(self.decoder.poll().transpose()?)
    }
}

impl tokio_util::codec::Encoder<OutgoingEvent<'_>> for SseCodec {
    type Error = SseCodecError;

    fn encode(
        &mut self,
        event: OutgoingEvent<'_>,
        dst: &mut BytesMut,
    ) -> Result<(), SseCodecError> {
        Ok(self.encoder.encode(&event, dst)?)
    }
}

impl tokio_util::codec::Encoder<KeepAlive> for SseCodec {
    type Error = SseCodecError;

    fn encode(&mut self, _: KeepAlive, dst: &mut BytesMut) -> Result<(), SseCodecError> {
        self.encoder.keep_alive(dst);
        Ok(())
    }
}
