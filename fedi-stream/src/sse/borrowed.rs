//! Outputs lent by [`Decoder::feed_borrowed`](super::Decoder::feed_borrowed): events whose text
//! points into the chunk just fed or into a buffer the decoder reuses, so that decoding
//! allocates nothing per event.
//!
//! The decoder's scan is the same as for [`Decoder::feed`](super::Decoder::feed); only what
//! happens at the end of a block differs. Instead of building an owned [`Event`], the
//! interpreter records where the event's text is ([`Span`]s): in the chunk, when a value is one
//! line inside it; in the decoder's data buffer, which then keeps the event's data until the
//! next call (and, after it, the last event ID set by an `id` line of an earlier chunk); or in
//! the `arena`, a `String` that receives text already decoded (the event type, a last event ID
//! decoded before the call, lines that spanned chunks).
//!
//! UTF-8 is checked once, after the scan, over the part of the chunk the spans cover and over
//! the data kept in the buffer. In the rare case it fails, the spans into that source are
//! decoded (invalid sequences replaced) into the arena instead; only then is anything checked
//! or copied twice.

use std::collections::VecDeque;
use std::time::Duration;

use super::error::DecodeError;
use super::event::{DEFAULT_EVENT_TYPE, Event, Output};
use super::utf8::decode;

/// The arena capacity and span-list length kept from one `feed_borrowed` to the next; beyond
/// them the memory of an exceptionally large chunk is released at the next call.
const RETAINED_ARENA_CAPACITY: usize = 64 * 1024;
const RETAINED_OUTPUTS: usize = 1024;

/// Where one piece of an output's text is: a byte range of the chunk or of the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    start: usize,
    end: usize,
    source: Source,
}

/// What a [`Span`]'s range is into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The chunk fed (not yet checked as UTF-8 while scanning).
    Chunk,
    /// The decoder's data buffer (idem).
    Data,
    /// The arena (text already decoded).
    Arena,
}

impl Span {
    const EMPTY: Self = Self {
        start: 0,
        end: 0,
        source: Source::Arena,
    };

    /// The span's text, if it points into `source`.
    fn bytes_in<'b>(&self, source: Source, bytes: &'b [u8]) -> Option<&'b [u8]> {
        (self.source == source)
            .then(|| bytes.get(self.start..self.end))
            .flatten()
    }
}

impl Pending {
    /// The spans of this output's text that may point into the chunk or the data buffer (an
    /// event's type is always in the arena).
    fn spans_mut(&mut self) -> impl Iterator<Item = &mut Span> {
        let (first, second) = match self {
            Self::Event {
                data,
                last_event_id,
                ..
            } => (Some(data), Some(last_event_id)),
            Self::Comment(span) => (Some(span), None),
            Self::Retry(_) | Self::Error(_) => (None, None),
        };
        first.into_iter().chain(second)
    }
}

/// [`Pending::Event`]'s `event_type` for [`DEFAULT_EVENT_TYPE`].
/// An event type is always copied into the arena; its range there is enough to find it.
const DEFAULT_TYPE: (usize, usize) = (usize::MAX, usize::MAX);

/// An output recorded during a borrowed scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Pending {
    Event {
        /// The range of the event's type in the arena, or [`DEFAULT_TYPE`]: copied once for
        /// a run of events of the same type.
        event_type: (usize, usize),
        data: Span,
        last_event_id: Span,
    },
    Retry(Duration),
    Comment(Span),
    Error(DecodeError),
}

/// The per-feed state of the borrowed path: the outputs recorded for the current chunk and the
/// arena their text may point into. Reused from feed to feed.
#[derive(Debug, Default)]
pub(super) struct Lender {
    /// Whether a borrowed scan is running: outputs are recorded here rather than queued.
    active: bool,
    /// Address and length of the chunk being scanned.
    chunk_addr: usize,
    chunk_len: usize,
    /// The part of the chunk the spans into it cover (empty: `usize::MAX..0`).
    chunk_low: usize,
    chunk_high: usize,
    outputs: Vec<Pending>,
    arena: String,
    /// Outputs queued by [`Decoder::feed`](super::Decoder::feed) and not yet polled when the
    /// borrowed scan started: lent first.
    earlier: Vec<Result<Output, DecodeError>>,
    /// The current event type's range in the arena and the last event ID, once copied there
    /// (or, for the ID, found in the chunk) during this feed.
    event_type: Option<(usize, usize)>,
    last_event_id: Option<Span>,
    /// Where the value of the block's `id` line is, if it is in the chunk.
    id_value: Option<Span>,
    /// The lent data holds an event's data that starts with a UTF-8 continuation byte: it is
    /// not valid on its own even if the whole is.
    data_joined_invalid: bool,
}

impl Lender {
    /// Whether outputs are being recorded for a borrowed feed.
    #[inline(always)]
    pub(super) fn is_active(&self) -> bool {
        self.active
    }

    /// Starts a borrowed scan of `chunk`: forgets the previous feed's outputs and arena and
    /// takes over the outputs still `queued`.
    #[inline]
    pub(super) fn begin(
        &mut self,
        chunk: &[u8],
        queued: &mut VecDeque<Result<Output, DecodeError>>,
    ) {
        if self.arena.capacity() > RETAINED_ARENA_CAPACITY {
            self.arena = String::new();
        } else if !self.arena.is_empty() {
            self.arena.clear();
        }
        if self.outputs.capacity() > RETAINED_OUTPUTS {
            self.outputs = Vec::new();
        } else if !self.outputs.is_empty() {
            self.outputs.clear();
        }

        if !self.earlier.is_empty() {
            self.earlier.clear();
        }
        if !queued.is_empty() {
            self.earlier.extend(queued.drain(..));
        }
        self.event_type = None;
        self.last_event_id = None;
        self.id_value = None;
        self.data_joined_invalid = false;
        self.active = true;
        self.chunk_addr = chunk.as_ptr() as usize;
        self.chunk_len = chunk.len();
        self.chunk_low = usize::MAX;
        self.chunk_high = 0;
    }

    /// Ends the borrowed scan: checks the text the spans point to in `chunk` and in `data` (the
    /// data buffer's lent part), moves what is not valid UTF-8 into the arena, decoded, and
    /// lends the outputs.
    #[inline]
    pub(super) fn end<'a>(
        &'a mut self,
        chunk: &'a [u8],
        data: &'a [u8],
        queue: &'a mut VecDeque<Result<Output, DecodeError>>,
        stale_id: Option<(&[u8], &mut String)>,
    ) -> BorrowedOutputs<'a> {
        self.active = false;
        let (low, high) = (self.chunk_low.min(self.chunk_high), self.chunk_high);
        // Most small chunks lend nothing from themselves or from the data buffer.
        let chunk_text = if low == high {
            Some("")
        } else {
            chunk.get(low..high).and_then(super::utf8::long_to_str)
        };
        if chunk_text.is_none() {
            self.relocate(Source::Chunk, chunk);
        }
        let data_text = if data.is_empty() {
            Some("")
        } else if self.data_joined_invalid {
            None
        } else {
            super::utf8::long_to_str(data)
        };
        if data_text.is_none() {
            self.relocate(Source::Data, data);
        }
        if let Some((raw, last_event_id)) = stale_id {
            // The decoder's last event ID, from the text already checked or decoded for the
            // events when there is some.
            let checked = match self.last_event_id {
                Some(span) if span.source == Source::Arena => self.arena.get(span.start..span.end),
                Some(span) if span.source == Source::Chunk => chunk_text.and_then(|text| {
                    text.get(span.start.wrapping_sub(low)..span.end.wrapping_sub(low))
                }),
                Some(span) if span.source == Source::Data => {
                    data_text.and_then(|text| text.get(span.start..span.end))
                }
                _ => None,
            };
            match checked {
                Some(text) => text.clone_into(last_event_id),
                None => (*decode(raw)).clone_into(last_event_id),
            }
        }
        BorrowedOutputs {
            earlier: self.earlier.iter(),
            outputs: self.outputs.iter(),
            resolved_type: (DEFAULT_TYPE.0, DEFAULT_EVENT_TYPE),
            chunk: chunk_text.unwrap_or_default(),
            chunk_offset: low,
            data: data_text.unwrap_or_default(),
            arena: &self.arena,
            queue,
        }
    }

    /// Decodes the text of every span into `source` (whose `bytes` are not all valid UTF-8)
    /// into the arena, and points the spans there.
    #[cold]
    fn relocate(&mut self, source: Source, bytes: &[u8]) {
        let Self { outputs, arena, .. } = self;
        let spans = outputs.iter_mut().flat_map(Pending::spans_mut);
        for span in spans {
            if let Some(text) = span.bytes_in(source, bytes) {
                *span = copy_into(arena, &decode(text));
            }
        }
    }

    /// A span of the decoder's data buffer, which keeps `start..end` until the next call.
    #[inline]
    pub(super) fn data(start: usize, end: usize) -> Span {
        Span {
            start,
            end,
            source: Source::Data,
        }
    }

    /// An event's data lent from the data buffer after another's starts with a UTF-8
    /// continuation byte: the check at the [`end`](Self::end) must decode each event's data on
    /// its own, since the whole may be valid where the parts are not.
    #[cold]
    pub(super) fn data_joined_invalid(&mut self) {
        self.data_joined_invalid = true;
    }

    /// Records an output that carries no text.
    #[inline]
    pub(super) fn push(&mut self, output: Pending) {
        self.outputs.push(output);
    }

    /// Where the text of `bytes` (raw value bytes) will be lent from: the chunk itself when
    /// they lie in it (checked as UTF-8 at the [`end`](Self::end)), else the arena, where they
    /// are decoded (invalid sequences replaced with U+FFFD).
    #[inline(always)]
    pub(super) fn text(&mut self, bytes: &[u8]) -> Span {
        match self.in_chunk(bytes) {
            Some(span) => span,
            None => self.copy_decoded(bytes),
        }
    }

    /// Decodes `bytes` into the arena: text that does not lie in the chunk (a line that
    /// spanned chunks), rarer than text that does.
    #[cold]
    #[inline(never)]
    fn copy_decoded(&mut self, bytes: &[u8]) -> Span {
        self.copy(&decode(bytes))
    }

    /// The span of `bytes` if they lie in the chunk, covered by the check at the
    /// [`end`](Self::end).
    #[inline]
    fn in_chunk(&mut self, bytes: &[u8]) -> Option<Span> {
        let span = self.locate(bytes)?;
        self.cover(span);
        Some(span)
    }

    /// The span of `bytes` if they lie in the chunk.
    #[inline]
    fn locate(&self, bytes: &[u8]) -> Option<Span> {
        let start = (bytes.as_ptr() as usize).wrapping_sub(self.chunk_addr);
        (start <= self.chunk_len && bytes.len() <= self.chunk_len - start).then(|| Span {
            start,
            end: start + bytes.len(),
            source: Source::Chunk,
        })
    }

    /// Extends the part of the chunk checked at the [`end`](Self::end) to `span`.
    #[inline]
    fn cover(&mut self, span: Span) {
        self.chunk_low = self.chunk_low.min(span.start);
        self.chunk_high = self.chunk_high.max(span.end);
    }

    /// An `id` line set the last event ID buffer to `value`.
    #[inline]
    pub(super) fn id_line(&mut self, value: &[u8]) {
        self.id_value = self.locate(value);
    }

    /// A dispatch made the last `id` value the last event ID: events lend it from the chunk if
    /// its line is there, otherwise the next event copies it.
    #[inline]
    pub(super) fn id_dispatched(&mut self) {
        self.last_event_id = self.id_value;
        if let Some(span) = self.id_value {
            self.cover(span);
        }
    }

    /// Whether the events that follow need their last event ID recorded
    /// ([`set_last_event_id`](Self::set_last_event_id)) before [`event`](Self::event).
    #[inline(always)]
    pub(super) fn needs_last_event_id(&self) -> bool {
        self.last_event_id.is_none()
    }

    /// Records where the last event ID of the events that follow is, until an `id` line
    /// changes it ([`id_dispatched`](Self::id_dispatched)).
    #[inline]
    pub(super) fn set_last_event_id(&mut self, span: Span) {
        self.last_event_id = Some(span);
    }

    /// Copies already decoded text into the arena.
    #[inline]
    pub(super) fn copy(&mut self, text: &str) -> Span {
        copy_into(&mut self.arena, text)
    }

    /// Records a dispatched event. `event_type` is the block's type (`""` for the default): it
    /// is copied into the arena once per feed and then shared by the following events, until
    /// it changes ([`type_changed`](Self::type_changed)). The last event ID is shared the same
    /// way: lent from the chunk when its `id` line is there
    /// ([`id_dispatched`](Self::id_dispatched)); otherwise the caller records where it is
    /// ([`set_last_event_id`](Self::set_last_event_id)) before the first event that needs it
    /// ([`needs_last_event_id`](Self::needs_last_event_id)).
    #[inline]
    pub(super) fn event(&mut self, event_type: &str, data: Span) {
        let event_type = if event_type.is_empty() {
            DEFAULT_TYPE
        } else if let Some(range) = self.event_type {
            range
        } else {
            self.new_type(event_type)
        };
        let last_event_id = self.last_event_id.unwrap_or(Span::EMPTY);
        self.outputs.push(Pending::Event {
            event_type,
            data,
            last_event_id,
        });
    }

    /// Copies a new event type (not empty) into the arena for the events that follow, and
    /// returns its range there.
    #[inline]
    fn new_type(&mut self, event_type: &str) -> (usize, usize) {
        let span = self.copy(event_type);
        let range = (span.start, span.end);
        self.event_type = Some(range);
        range
    }

    /// The event type changed: the next event copies it again.
    #[inline]
    pub(super) fn type_changed(&mut self) {
        self.event_type = None;
    }

    /// Bytes of memory (capacity) held by the arena and the output lists.
    pub(super) fn capacity(&self) -> usize {
        self.arena.capacity()
            + self.outputs.capacity() * size_of::<Pending>()
            + self.earlier.capacity() * size_of::<Result<Output, DecodeError>>()
    }
}

/// Appends `text` to `arena` and returns its span.
#[inline]
fn copy_into(arena: &mut String, text: &str) -> Span {
    if text.is_empty() {
        return Span::EMPTY;
    }
    let start = arena.len();
    arena.push_str(text);
    Span {
        start,
        end: arena.len(),
        source: Source::Arena,
    }
}

/// One dispatched event, borrowed from the decoder or from the chunk it was fed: the same
/// text an owned [`Event`] would hold, without an allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventRef<'a> {
    event_type: &'a str,
    data: &'a str,
    last_event_id: &'a str,
}

impl<'a> EventRef<'a> {
    /// The event type: the block's last `event` value, or `"message"` when it had none or an
    /// empty one. Never empty. Same as [`Event::event_type`].
    #[must_use]
    #[inline]
    pub fn event_type(&self) -> &'a str {
        self.event_type
    }

    /// The data: the block's `data` values joined with LF (no trailing LF). Same as
    /// [`Event::data`].
    #[must_use]
    #[inline]
    pub fn data(&self) -> &'a str {
        self.data
    }

    /// The last event ID at dispatch time. Same as [`Event::last_event_id`].
    #[must_use]
    #[inline]
    pub fn last_event_id(&self) -> &'a str {
        self.last_event_id
    }

    /// The owned [`Event`] with the same type, data and last event ID (one allocation).
    ///
    /// Named `to_event` rather than `to_owned`: `EventRef` is `Copy`, so `to_owned` would read
    /// as the standard library's, which returns another `EventRef`.
    #[must_use]
    pub fn to_event(&self) -> Event {
        Event::new(self.event_type, self.data, self.last_event_id)
    }
}

impl From<EventRef<'_>> for Event {
    fn from(event: EventRef<'_>) -> Self {
        event.to_event()
    }
}

impl PartialEq<Event> for EventRef<'_> {
    fn eq(&self, other: &Event) -> bool {
        self.event_type == other.event_type()
            && self.data == other.data()
            && self.last_event_id == other.last_event_id()
    }
}

/// One item of [`Decoder::feed_borrowed`](super::Decoder::feed_borrowed)'s outputs: an
/// [`Output`] whose text is borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutputRef<'a> {
    /// A block ended with a blank line and had at least one `data` field.
    /// Same as [`Output::Event`].
    Event(EventRef<'a>),
    /// A valid `retry` field. Same as [`Output::Retry`].
    Retry(Duration),
    /// A comment line, with one leading space removed (only when enabled). Same as
    /// [`Output::Comment`].
    Comment(&'a str),
}

impl OutputRef<'_> {
    /// The owned [`Output`] with the same content.
    #[must_use]
    pub fn to_output(&self) -> Output {
        match self {
            Self::Event(event) => Output::Event(event.to_event()),
            Self::Retry(retry) => Output::Retry(*retry),
            Self::Comment(text) => Output::Comment((*text).to_owned()),
        }
    }
}

impl From<OutputRef<'_>> for Output {
    fn from(output: OutputRef<'_>) -> Self {
        output.to_output()
    }
}

impl<'a> From<&'a Output> for OutputRef<'a> {
    fn from(output: &'a Output) -> Self {
        match output {
            Output::Event(event) => Self::Event(EventRef {
                event_type: event.event_type(),
                data: event.data(),
                last_event_id: event.last_event_id(),
            }),
            Output::Retry(retry) => Self::Retry(*retry),
            Output::Comment(text) => Self::Comment(text),
        }
    }
}

/// The outputs of one [`Decoder::feed_borrowed`](super::Decoder::feed_borrowed) call, in stream
/// order: an iterator of [`OutputRef`]s and errors, borrowing the decoder and the chunk.
///
/// The whole chunk has been decoded when this is returned; iterating only hands out what was
/// recorded. Outputs not taken when it is dropped are not lost: they are queued, owned, for
/// [`Decoder::poll`](super::Decoder::poll), in order (only leaking it with `mem::forget` loses
/// them).
#[derive(Debug)]
pub struct BorrowedOutputs<'a> {
    earlier: std::slice::Iter<'a, Result<Output, DecodeError>>,
    outputs: std::slice::Iter<'a, Pending>,
    /// The last event type handed out, by index: a run of events of one type resolves it once.
    /// (Keyed by the start of its range; [`DEFAULT_TYPE`] resolves to the default type.)
    resolved_type: (usize, &'a str),
    /// The part of the chunk spans point to, which starts at `chunk_offset` in the chunk.
    chunk: &'a str,
    chunk_offset: usize,
    /// The lent part of the decoder's data buffer.
    data: &'a str,
    arena: &'a str,
    /// The decoder's queue of owned outputs, for what is left when this is dropped.
    queue: &'a mut VecDeque<Result<Output, DecodeError>>,
}

impl<'a> BorrowedOutputs<'a> {
    /// The text a span points to.
    #[inline]
    fn text(&self, span: Span) -> &'a str {
        let (text, start, end) = match span.source {
            Source::Arena => (self.arena, span.start, span.end),
            Source::Data => (self.data, span.start, span.end),
            Source::Chunk => (
                self.chunk,
                span.start.wrapping_sub(self.chunk_offset),
                span.end.wrapping_sub(self.chunk_offset),
            ),
        };
        text.get(start..end).unwrap_or_default()
    }

    /// The event type at `range` in the arena (or the default one).
    #[inline]
    fn event_type(&mut self, (start, end): (usize, usize)) -> &'a str {
        if start == self.resolved_type.0 {
            return self.resolved_type.1;
        }
        let text = if (start, end) == DEFAULT_TYPE {
            DEFAULT_EVENT_TYPE
        } else {
            self.text(Span {
                start,
                end,
                source: Source::Arena,
            })
        };
        self.resolved_type = (start, text);
        text
    }

    #[inline(always)]
    fn resolve(&mut self, pending: &'a Pending) -> Result<OutputRef<'a>, DecodeError> {
        Ok(match pending {
            Pending::Event {
                event_type,
                data,
                last_event_id,
            } => OutputRef::Event(EventRef {
                event_type: self.event_type(*event_type),
                data: self.text(*data),
                last_event_id: self.text(*last_event_id),
            }),
            Pending::Retry(retry) => OutputRef::Retry(*retry),
            Pending::Comment(span) => OutputRef::Comment(self.text(*span)),
            Pending::Error(error) => return Err(error.clone()),
        })
    }
}

impl<'a> Iterator for BorrowedOutputs<'a> {
    type Item = Result<OutputRef<'a>, DecodeError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(earlier) = self.earlier.next() {
            return Some(earlier.as_ref().map(OutputRef::from).map_err(Clone::clone));
        }
        let pending = self.outputs.next()?;
        Some(self.resolve(pending))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.len();
        (len, Some(len))
    }
}

impl ExactSizeIterator for BorrowedOutputs<'_> {
    fn len(&self) -> usize {
        self.earlier.len() + self.outputs.len()
    }
}

impl std::iter::FusedIterator for BorrowedOutputs<'_> {}

impl Drop for BorrowedOutputs<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.len() != 0 {
            self.queue_the_rest();
        }
    }
}

impl BorrowedOutputs<'_> {
    /// Queues what was not taken, owned, for [`Decoder::poll`](super::Decoder::poll).
    #[cold]
    fn queue_the_rest(&mut self) {
        for earlier in self.earlier.by_ref() {
            self.queue.push_back(earlier.clone());
        }
        while let Some(pending) = self.outputs.next() {
            let output = self.resolve(pending).map(|output| output.to_output());
            self.queue.push_back(output);
        }
    }
}
