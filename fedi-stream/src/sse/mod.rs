//! `text/event-stream` (server-sent events) codec: a [`Decoder`] that interprets a stream
//! exactly as WHATWG HTML §9.2.6 says a browser's `EventSource` does, and an [`Encoder`] whose
//! output every conforming decoder reads back unchanged.
//!
//! ```text
//!  bytes, any chunking                                                 host
//!  ───────────────────▶ Decoder::feed ─┐                      ┌──▶ Output::Event(type, data, id)
//!                                      │ BOM, CR/LF/CRLF,     ├──▶ Output::Retry(ms)
//!  end of body ───────▶ Decoder::finish│ lossy UTF-8, fields, ├──▶ Output::Comment (opt-in)
//!                                      └ Limits ─▶ Decoder::poll ─▶ Err(DecodeError)
//!
//!  OutgoingEvent / comment / keep-alive ──▶ Encoder ──▶ bytes into any BufMut
//! ```
//!
//! Browser semantics, which a host porting `EventSource` code expects:
//! - a block is dispatched only at a blank line and only if it had a `data` field;
//! - the event type defaults to `"message"`;
//! - the last event ID is set at every blank line (even with no event) and stays until the
//!   peer sends another `id`; it is on every event and seeds the next connection;
//! - `retry` takes effect as soon as its line ends.
//!
//! Limits ([`Limits`], default 1 MiB per line and 1 MiB of data per event) bound the decoder's
//! memory; see [`LimitPolicy`] for what happens after a peer exceeds them.
//!
//! With the `stream` feature, `DecodeStream` adapts a `futures` byte stream; with the
//! `tokio-util` feature, `SseCodec` is the codec for `FramedRead` and `FramedWrite`.

#[cfg(feature = "tokio-util")]
mod codec;
mod decoder;
mod encoder;
mod error;
mod event;
mod interpret;
mod limits;
mod line_end;
#[cfg(feature = "stream")]
mod stream;
mod utf8;

#[cfg(feature = "tokio-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-util")))]
pub use codec::{KeepAlive, SseCodec, SseCodecError};
pub use decoder::Decoder;
pub use encoder::{Encoder, KEEP_ALIVE, OutgoingEvent};
pub use error::{DecodeError, EncodeError};
pub use event::{DEFAULT_EVENT_TYPE, Event, Output};
pub use limits::{Limit, LimitPolicy, Limits};
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub use stream::{DecodeStream, StreamError};
