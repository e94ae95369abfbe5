//! Adapter from a [`Stream`] of byte chunks to a [`Stream`] of decoded [`Output`]s, for hosts
//! that use `futures`. The decoding is the sans-IO [`Decoder`]'s; this only drives it.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use thiserror::Error;

use super::decoder::Decoder;
use super::error::DecodeError;
use super::event::Output;

/// What a [`DecodeStream`] yields besides outputs.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StreamError<E> {
    /// The peer exceeded the decoder's limits (see [`Decoder`]).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The underlying byte stream failed. Decoding can go on if the stream does.
    #[error("the byte stream failed: {0}")]
    Transport(E),
}

/// Decodes a [`Stream`] of `Result<chunk, E>` (e.g. an HTTP client's body stream) into a
/// [`Stream`] of [`Output`]s. When the byte stream ends, the decoder is
/// [`finish`](Decoder::finish)ed (dropping an unterminated block) and this stream ends.
///
/// The byte stream must be [`Unpin`]; wrap others with `Box::pin`.
///
/// ```
/// use futures::{executor::block_on, stream, StreamExt};
/// use fedi_stream::sse::{Decoder, DecodeStream, Output};
///
/// let body = stream::iter([Ok::<_, std::io::Error>(&b"data: a\n"[..]), Ok(b"\ndata: b")]);
/// let mut events = DecodeStream::new(body, Decoder::new());
/// let Some(Ok(Output::Event(event))) = block_on(events.next()) else { panic!() };
/// assert_eq!(event.data(), "a");
/// assert!(block_on(events.next()).is_none());
/// ```
#[derive(Debug)]
pub struct DecodeStream<S> {
    inner: S,
    decoder: Decoder,
    ended: bool,
}

impl<S> DecodeStream<S> {
    /// Drives `decoder` (configured as needed: limits, comments, seeded last event ID) with the
    /// chunks of `inner`.
    pub const fn new(inner: S, decoder: Decoder) -> Self {
        Self {
            inner,
            decoder,
            ended: false,
        }
    }

    /// The decoder, e.g. for [`Decoder::last_event_id`] before reconnecting.
    pub const fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Takes the decoder back, to reuse it (with its last event ID) on the next connection.
    pub fn into_decoder(self) -> Decoder {
        self.decoder
    }
}

impl<S, B, E> Stream for DecodeStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    type Item = Result<Output, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(output) = this.decoder.poll() {
                return Poll::Ready(Some(output.map_err(StreamError::Decode)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.decoder.feed(chunk),
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(StreamError::Transport(error))));
                }
                Poll::Ready(None) => {
                    this.decoder.finish();
                    this.ended = true;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
