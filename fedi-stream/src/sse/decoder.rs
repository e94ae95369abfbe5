//! The sans-IO [`Decoder`]: bytes in any chunking → lines → [`Output`]s.
//!
//! Line splitting happens here (BOM, CR / LF / CRLF, partial lines, limits, resynchronisation);
//! what a complete line means is [`interpret`](super::interpret)'s job.

use super::borrowed::BorrowedOutputs;
use super::error::DecodeError;
use super::event::Output;
use super::interpret::{DATA_PREFIX_LEN, Interpreter, data_prefix_len, extend_within};
use super::limits::{Limit, LimitPolicy, Limits};
use super::line_end::LineEnds;

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// The shortest `data` value [`Decoder::scan_lines`] keeps borrowed. Shorter values are copied
/// at once: below 64 bytes UTF-8 is checked by the standard library, which spends about twice
/// the instructions on a value at an odd place in a chunk as on its copy at the start of the
/// data buffer, more than the copy costs.
const SINGLE_MIN_LEN: usize = 64;

/// The longest chunk whose leading blocks of `data` value are copied by the short path of
/// [`Decoder::feed_slice`], 64 bytes at a time, tested inline. Longer chunks find the line end
/// with `memchr` and copy the value with one `memcpy`, fewer instructions once a chunk holds
/// more than a few blocks.
const BLOCK_PATH_MAX_LEN: usize = 256;

/// Where the decoder is inside the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    /// At the start of a line.
    None,
    /// The line so far is in `line_buf` (not a `data:` line, or still too short to tell).
    Buffered,
    /// A `data:` line: its value goes straight into the event's data buffer.
    Data,
    /// The rest of the line is being skipped.
    Skipped,
}

/// What the decoder does with complete lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Interpreting lines.
    Normal,
    /// After a limit error: skipping lines up to and including the next blank one.
    Resync,
    /// After a limit error under [`LimitPolicy::Fail`]: ignoring everything until `finish`.
    Failed,
}

/// Sans-IO decoder of a `text/event-stream` body, exactly per WHATWG HTML §9.2.6.
///
/// # Use
/// Feed it the body's bytes as they arrive, in chunks of any size ([`feed`](Self::feed)), and
/// after every feed drain [`poll`](Self::poll) (or iterate the decoder) until it returns `None`.
/// At the end of the body call [`finish`](Self::finish) and drain once more. Outputs come in
/// stream order: [`Output::Event`] when a block ends, [`Output::Retry`] as soon as its line
/// ends, [`Output::Comment`] if enabled, and `Err` when the peer exceeds the [`Limits`].
/// Every re-chunking of the same bytes gives the same outputs.
///
/// To decode without an allocation per event, feed with
/// [`feed_borrowed`](Self::feed_borrowed) instead: it returns each chunk's outputs with their
/// text lent from the chunk or the decoder, equal to what `poll` would give.
///
/// # What it guarantees
/// - One leading UTF-8 BOM is removed, even when its bytes arrive in separate chunks; any other
///   U+FEFF is content.
/// - Lines end at CRLF, at LF and at a lone CR. A CR that ends a chunk ends its line at once (a
///   blank line dispatches immediately), and an LF that starts the next chunk is then skipped.
/// - Invalid UTF-8 becomes U+FFFD, exactly as the Encoding Standard's streaming UTF-8 decoder
///   does it, wherever the chunk boundaries fall.
/// - Field names are matched literally; one leading space is removed from values; `id` values
///   containing NUL are ignored; `retry` is accepted only as ASCII digits.
/// - The last event ID persists across events until the peer changes it, can be seeded for a
///   reconnect ([`with_last_event_id`](Self::with_last_event_id)) and is kept by
///   [`finish`](Self::finish), so one decoder can serve a whole `EventSource` lifetime.
/// - Linear time: each byte is searched for line ends once, with `memchr` (small chunks inside a
///   `data` value, up to 256 bytes, are tested 64 bytes at a time inline, and the block where
///   the value ends is
///   searched a second time). A block's one `data` line that ends in the chunk where its block
///   ends is copied once, from the chunk into the event; other `data` values are gathered in a
///   data buffer the decoder keeps from event to event, then copied into the event. Other lines
///   are buffered only when they span chunks. The event's data is checked as UTF-8 once, at
///   dispatch. Nothing else already seen is scanned or moved again.
/// - Bounded memory: at most [`Limits`] worth of line and event data, plus unpolled outputs
///   ([`buffered_bytes`](Self::buffered_bytes)).
///
/// # What it refuses
/// Lines (other than `data` lines) longer than [`Limits::max_line_length`] and events with
/// more data than [`Limits::max_event_size`], reported as [`DecodeError`]; the decoder then
/// follows its [`LimitPolicy`]. It never panics on any input.
///
/// ```
/// use fedi_stream::sse::{Decoder, Output};
///
/// let mut decoder = Decoder::new().with_last_event_id("41");
/// decoder.feed(b"event: inbox\ndata: {\"type\":\"Note\"}\r");
/// decoder.feed(b"\nid: 42\n\ndata: tail");
/// decoder.finish(); // the unterminated "data: tail" block is dropped
///
/// let events: Vec<_> = decoder.by_ref().collect::<Result<_, _>>().unwrap();
/// let [Output::Event(event)] = &events[..] else { panic!("{events:?}") };
/// assert_eq!(event.event_type(), "inbox");
/// assert_eq!(event.data(), "{\"type\":\"Note\"}");
/// assert_eq!(event.last_event_id(), "42");
/// assert_eq!(decoder.last_event_id(), "42");
/// ```
#[derive(Debug)]
pub struct Decoder {
    interpreter: Interpreter,
    line_ends: LineEnds,
    limits: Limits,
    policy: LimitPolicy,
    mode: Mode,
    /// `Some(n)`: the stream has started with the first `n` bytes of a BOM, not yet decided.
    bom_pending: Option<usize>,
    /// The last line ended with a CR at the end of a chunk: skip one LF at the next byte.
    skip_lf: bool,
    partial: Partial,
    /// The current line when `partial` is [`Partial::Buffered`].
    line_buf: Vec<u8>,
    /// In a `data` line: the first value byte is still to come (it is dropped if a space).
    strip_space: bool,
    /// Stream offset of the next byte to be examined.
    pos: u64,
    /// Stream offset of the current line's first byte.
    line_start: u64,
    /// The shortest `data` value [`scan_lines`](Self::scan_lines) holds borrowed:
    /// [`SINGLE_MIN_LEN`], or 0 during [`feed_borrowed`](Self::feed_borrowed), where a held
    /// value is lent from the chunk rather than copied at all.
    single_min_len: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder for a new stream, with the default [`Limits`], [`LimitPolicy::Resync`], an
    /// empty last event ID, and comments not reported.
    #[must_use]
    pub fn new() -> Self {
        Self {
            interpreter: Interpreter::new(),
            line_ends: LineEnds::new(),
            limits: Limits::default(),
            policy: LimitPolicy::default(),
            mode: Mode::Normal,
            bom_pending: Some(0),
            skip_lf: false,
            partial: Partial::None,
            line_buf: Vec::new(),
            strip_space: false,
            pos: 0,
            line_start: 0,
            single_min_len: SINGLE_MIN_LEN,
        }
    }

    /// Sets the limits. Meant for a new decoder: a line already in progress keeps counting
    /// against the new values.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets what happens after a limit error.
    #[must_use]
    pub fn with_limit_policy(mut self, policy: LimitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Reports comment lines as [`Output::Comment`] (off by default).
    #[must_use]
    pub fn with_comments(mut self, enabled: bool) -> Self {
        self.interpreter.set_comments(enabled);
        self
    }

    /// Seeds the last event ID, e.g. with the `Last-Event-ID` sent when reconnecting: events
    /// without an `id` field then carry it, as in browsers.
    #[must_use]
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.interpreter.seed_last_event_id(id);
        self
    }

    /// The limits in force.
    #[must_use]
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// The last event ID string: what the latest dispatched block (or the seed) set. Send it as
    /// `Last-Event-ID` when reconnecting, unless it is empty.
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        self.interpreter.last_event_id()
    }

    /// Whether the decoder stopped after a limit error under [`LimitPolicy::Fail`]. It ignores
    /// input until [`finish`](Self::finish).
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.mode == Mode::Failed
    }

    /// Bytes of memory (capacity) held for the line and the event data under construction: at
    /// most `max_line_length + max_event_size`, whatever the input. Between events the data
    /// buffer keeps up to 64 KiB of capacity for the next one. Not counted: the outputs waiting
    /// for [`poll`](Self::poll), the id buffer (at most one line, `max_line_length` bytes), the
    /// event type (one line as received and decoded: up to 4 × `max_line_length` bytes, since
    /// an invalid byte decodes to the 3-byte U+FFFD), the last event ID (one decoded line:
    /// up to 3 × `max_line_length` bytes), and what [`feed_borrowed`](Self::feed_borrowed) keeps
    /// for its outputs ([`borrowed_bytes`](Self::borrowed_bytes)). Both APIs keep this bound.
    #[must_use]
    pub fn buffered_bytes(&self) -> usize {
        self.line_buf.capacity() + self.interpreter.data_capacity()
    }

    /// The number of outputs waiting for [`poll`](Self::poll).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.interpreter.pending()
    }

    /// Takes the next output, in stream order; `None` once everything fed so far is reported.
    #[inline]
    pub fn poll(&mut self) -> Option<Result<Output, DecodeError>> {
        self.interpreter.pop()
    }

    /// Feeds the next bytes of the stream: a `&[u8]`, `Vec<u8>`, `bytes::Bytes`, `&str`...
    /// Any split is fine, empty chunks included. Complete lines are interpreted at once; only an
    /// incomplete last line is kept (bounded by the limits). Drain [`poll`](Self::poll) after.
    #[inline(always)]
    pub fn feed(&mut self, chunk: impl AsRef<[u8]>) {
        self.feed_slice(chunk.as_ref());
    }

    /// Feeds the next bytes of the stream, like [`feed`](Self::feed), and returns this chunk's
    /// outputs, borrowed: events whose type, data and last event ID are `&str`s pointing into
    /// `chunk` or into buffers the decoder reuses, so that decoding allocates nothing per event.
    /// The text is exactly what [`poll`](Self::poll) would have given after
    /// [`feed`](Self::feed), for any input and any chunking (invalid UTF-8 replaced with U+FFFD
    /// the same way); the two APIs may be mixed on one stream.
    ///
    /// The whole chunk is decoded before this returns; the iterator only hands out what was
    /// recorded, and borrows the decoder until it is dropped.
    ///
    /// # What it guarantees
    /// - Order: outputs of earlier [`feed`](Self::feed) calls not yet polled come first, then
    ///   this chunk's, in stream order. Outputs not taken when the iterator is dropped are
    ///   queued, owned, for [`poll`](Self::poll), still in order; nothing is lost or reordered
    ///   whichever way the two APIs are mixed (only leaking the iterator with `mem::forget`
    ///   loses its outputs).
    /// - No allocation per event once the buffers have grown: a block's data that is one line
    ///   inside `chunk` is lent from the chunk; data gathered from several lines or chunks is
    ///   lent from the decoder's data buffer (which trades places with a spare one rather than
    ///   being copied); the event type is copied once per call into an arena; the last event
    ///   ID is lent from the chunk when its `id` line is there, otherwise once per call from
    ///   the data buffer (set by an earlier chunk) or the arena; lines that spanned chunks go to
    ///   the arena decoded.
    /// - UTF-8 is checked once per byte: after the scan, over the part of the chunk the events
    ///   point into and over the lent data (in the rare case that fails, the affected text is
    ///   decoded into the arena instead).
    /// - Bounded memory: [`buffered_bytes`](Self::buffered_bytes) keeps its bound; what is kept
    ///   for the lent outputs is [`borrowed_bytes`](Self::borrowed_bytes).
    ///
    /// # What it refuses
    /// The same as [`feed`](Self::feed): limit errors are items of the iterator, in stream
    /// order.
    ///
    /// ```
    /// use fedi_stream::sse::{Decoder, OutputRef};
    ///
    /// let mut decoder = Decoder::new();
    /// let mut seen = Vec::new();
    /// for chunk in [&b"event: inbox\nid: 7\ndata: {\"type\":\"Note\"}\n\ndata: sp"[..], b"lit\n\n"] {
    ///     for output in decoder.feed_borrowed(chunk) {
    ///         if let OutputRef::Event(event) = output.expect("within the limits") {
    ///             // `event.data()` borrows `chunk` (first event) or the decoder (second).
    ///             seen.push(format!("{} {} #{}", event.event_type(), event.data(), event.last_event_id()));
    ///         }
    ///     }
    /// }
    /// assert_eq!(seen, [r#"inbox {"type":"Note"} #7"#, "message split #7"]);
    /// assert_eq!(decoder.last_event_id(), "7");
    /// ```
    #[inline]
    pub fn feed_borrowed<'a>(&'a mut self, chunk: &'a [u8]) -> BorrowedOutputs<'a> {
        self.interpreter.begin_borrowed(chunk);
        self.single_min_len = 0;
        self.feed_slice(chunk);
        self.single_min_len = SINGLE_MIN_LEN;
        self.interpreter.end_borrowed(chunk)
    }

    /// Bytes of memory (capacity) held for [`feed_borrowed`](Self::feed_borrowed)'s outputs:
    /// the list of the last chunk's outputs, the arena, the lent data buffer, and the outputs of
    /// earlier [`feed`](Self::feed) calls it took over.
    ///
    /// For a chunk of `n` bytes the list holds at most `n + 1` outputs, and the arena and the
    /// lent data at most `4 × (n + max_event_size + 3 × max_line_length)` bytes of text (data,
    /// an event type, a last event ID and a line begun in earlier chunks; a replaced invalid
    /// byte takes 3 bytes), with capacity growing at most twofold beyond that. All are emptied
    /// at the next call; beyond 64 KiB of arena, 1,024 outputs and
    /// `min(max_event_size, 64 KiB)` of lent data, their memory is released there too.
    #[must_use]
    pub fn borrowed_bytes(&self) -> usize {
        self.interpreter.lender_capacity()
    }

    /// Ends the stream. Per the spec, an unterminated last line and an undispatched block are
    /// discarded (their `id` included). The decoder is then ready for the next stream of the same
    /// event source (a reconnect): it keeps its settings and last event ID, and expects a BOM
    /// again. Drain [`poll`](Self::poll) after: outputs of earlier feeds are still queued.
    pub fn finish(&mut self) {
        if self.interpreter.has_lent() {
            self.interpreter.release_lent(self.limits.max_event_size);
        }
        self.interpreter.discard_block();
        self.mode = Mode::Normal;
        self.bom_pending = Some(0);
        self.skip_lf = false;
        self.partial = Partial::None;
        self.line_buf.clear();
        self.strip_space = false;
        self.pos = 0;
        self.line_start = 0;
    }

    // Always inlined: with small chunks, a call per chunk would cost as much as the short path.
    #[inline(always)]
    fn feed_slice(&mut self, mut input: &[u8]) {
        if self.interpreter.has_lent() {
            self.interpreter.release_lent(self.limits.max_event_size);
        }
        // The common case of small chunks, kept short: more of a data value (in a data line
        // the BOM is decided and no LF is to be skipped) that fits in the data buffer as it is.
        // Its leading blocks without a line end are copied here; the rest takes the full path,
        // as do chunks longer than `BLOCK_PATH_MAX_LEN`.
        if self.partial == Partial::Data
            && input.len() <= BLOCK_PATH_MAX_LEN
            && self.mode == Mode::Normal
            && !self.strip_space
            && input.len() <= self.interpreter.data_room(self.limits.max_event_size)
        {
            let taken = self.interpreter.push_data_blocks(input);
            self.pos += taken as u64;
            input = input.get(taken..).unwrap_or_default();
            if input.is_empty() {
                return;
            }
        }
        self.feed_any(input);
    }

    /// Feeds bytes in any state. Kept out of line so that the short path of
    /// [`feed_slice`](Self::feed_slice) stays small enough to inline.
    #[inline(never)]
    fn feed_any(&mut self, input: &[u8]) {
        if input.is_empty() || self.mode == Mode::Failed {
            return;
        }
        let Some(matched) = self.bom_pending else {
            return self.scan(input);
        };
        let expected = BOM.get(matched..).unwrap_or_default();
        let n = expected.len().min(input.len());
        if input.get(..n) == expected.get(..n) {
            if matched + n == BOM.len() {
                self.bom_pending = None;
                self.pos = BOM.len() as u64;
                self.line_start = self.pos;
                self.scan(input.get(n..).unwrap_or_default());
            } else {
                self.bom_pending = Some(matched + n);
            }
        } else {
            // Not a BOM: the bytes held back so far are content after all.
            self.bom_pending = None;
            self.scan(BOM.get(..matched).unwrap_or_default());
            self.scan(input);
        }
    }

    #[inline]
    fn scan(&mut self, mut input: &[u8]) {
        if self.skip_lf {
            let Some((&first, rest)) = input.split_first() else {
                return;
            };
            self.skip_lf = false;
            if first == b'\n' {
                input = rest;
                self.pos += 1;
                self.line_start = self.pos;
            }
        }
        if self.partial != Partial::None && !input.is_empty() {
            match self.line_ends.find(input) {
                None => return self.continue_line_to_chunk_end(input),
                Some(end) => {
                    self.continue_line(input.get(..end).unwrap_or_default());
                    self.end_partial_line();
                    input = self.after_line_end(input, end);
                }
            }
        }
        self.scan_lines(input);
    }

    /// Scans input that starts at the beginning of a line.
    ///
    /// A block's first `data` value, when its whole line is in this chunk, is kept borrowed
    /// (`single`) rather than copied into the data buffer: if the block ends in the same chunk,
    /// the usual case for all but the smallest chunks, the event is built straight from the
    /// chunk. It is copied into the buffer before anything else touches the block's data: another
    /// `data` line, a line that may exceed a limit, or the end of the chunk.
    ///
    /// `pos` and `line_start` are brought up to date only where they are read: before a line
    /// that may exceed a limit, and when the scan stops.
    fn scan_lines(&mut self, input: &[u8]) {
        let mut single: Option<&[u8]> = None;
        let base = self.pos;
        let max_line_length = self.limits.max_line_length;
        let mut rest = input;
        while !rest.is_empty() {
            let Some(end) = self.line_ends.find(rest) else {
                self.flush_single(&mut single);
                self.seek(base, input, rest);
                return self.continue_line_to_chunk_end(rest);
            };
            let line = rest.get(..end).unwrap_or_default();
            let mut next = self.line_end_len(rest, end);
            match single {
                Some(value) if line.is_empty() => {
                    self.interpreter.dispatch(Some(value));
                    single = None;
                }
                Some(_) if data_prefix_len(line).is_none() && line.len() <= max_line_length => {
                    self.interpreter.line(line);
                }
                _ => {
                    self.flush_single(&mut single);
                    self.seek(base, input, rest);
                    single = self.complete_line(line, true);
                    if self.mode == Mode::Failed {
                        rest = rest.get(next..).unwrap_or_default();
                        self.seek(base, input, rest);
                        return;
                    }
                    // A held value whose line ends with LF, followed at once by the blank
                    // line (the line end was not a CR, or it would have been a CRLF): the
                    // usual end of a block, dispatched without another search.
                    if let Some(value) = single
                        && next == end + 1
                        && rest.get(next) == Some(&b'\n')
                    {
                        self.interpreter.dispatch(Some(value));
                        single = None;
                        next += 1;
                    }
                }
            }
            rest = rest.get(next..).unwrap_or_default();
        }
        self.flush_single(&mut single);
        self.seek(base, input, rest);
    }

    /// Sets `pos` and `line_start` to the start of `rest`, the unscanned end of `input`, which
    /// started at stream offset `base`.
    #[inline(always)]
    fn seek(&mut self, base: u64, input: &[u8], rest: &[u8]) {
        self.pos = base + (input.len() - rest.len()) as u64;
        self.line_start = self.pos;
    }

    /// The length of the line terminator at `input[end]` (CR, LF or CRLF). A CR that ends
    /// `input` counts alone, and the LF that may start the next chunk is to be skipped.
    #[inline(always)]
    fn line_end_len(&mut self, input: &[u8], end: usize) -> usize {
        let mut next = end + 1;
        if input.get(end) == Some(&b'\r') {
            match input.get(next) {
                Some(b'\n') => next += 1,
                Some(_) => {}
                None => self.skip_lf = true,
            }
        }
        next
    }

    /// Copies a held data value into the data buffer.
    #[inline]
    fn flush_single(&mut self, single: &mut Option<&[u8]>) {
        if let Some(value) = single.take() {
            self.interpreter
                .push_data(value, self.limits.max_event_size);
        }
    }

    /// Consumes the line terminator at `input[end]` and returns what follows it.
    #[inline]
    fn after_line_end<'a>(&mut self, input: &'a [u8], end: usize) -> &'a [u8] {
        let next = self.line_end_len(input, end);
        self.pos += next as u64;
        self.line_start = self.pos;
        input.get(next..).unwrap_or_default()
    }

    /// A whole line, with no partial line before it. With `may_hold` (the line is in the
    /// chunk being scanned), a block's first `data` value of at least [`SINGLE_MIN_LEN`] bytes
    /// is not copied but returned, for [`scan_lines`](Self::scan_lines) to hold.
    #[inline(always)]
    fn complete_line<'a>(&mut self, line: &'a [u8], may_hold: bool) -> Option<&'a [u8]> {
        match self.mode {
            Mode::Normal => {}
            Mode::Resync => {
                if line.is_empty() {
                    self.mode = Mode::Normal;
                }
                return None;
            }
            Mode::Failed => return None,
        }
        if let Some(prefix) = data_prefix_len(line) {
            // As in `continue_line`, the prefix counts against the line limit, the value
            // against the event limit.
            let value = line.get(prefix..).unwrap_or_default();
            if prefix > self.limits.max_line_length {
                self.limit_exceeded(Limit::MaxLineLength);
            } else if may_hold
                && !self.interpreter.has_data()
                && let Some(value) = Some(value.strip_prefix(b" ").unwrap_or(value)).filter(|v| {
                    (self.single_min_len..=self.limits.max_event_size).contains(&v.len())
                })
            {
                let started = self.interpreter.begin_data(self.limits.max_event_size);
                debug_assert!(started, "a block's first data value needs no separator");
                return Some(value);
            } else if self.begin_data() {
                self.data_bytes(value);
            }
            self.strip_space = false;
        } else if line.len() > self.limits.max_line_length {
            self.limit_exceeded(Limit::MaxLineLength);
        } else {
            self.interpreter.line(line);
        }
        // A limit error marks the line as skipped, but this line has already ended.
        self.partial = Partial::None;
        None
    }

    /// The rest of the chunk belongs to the current line.
    #[inline]
    fn continue_line_to_chunk_end(&mut self, bytes: &[u8]) {
        self.pos += bytes.len() as u64;
        self.continue_line(bytes);
    }

    /// More bytes of the current line (no line terminator among them). Moving `pos` past them
    /// is the caller's job.
    #[inline]
    fn continue_line(&mut self, mut bytes: &[u8]) {
        if self.mode != Mode::Normal {
            self.partial = Partial::Skipped;
            return;
        }
        match self.partial {
            Partial::Skipped => {}
            Partial::Data => self.data_bytes(bytes),
            Partial::None | Partial::Buffered => {
                if self.partial == Partial::None
                    && DATA_PREFIX_LEN <= self.limits.max_line_length
                    && let Some(value) = bytes.strip_prefix(b"data:")
                {
                    // The usual start of a long data line: its whole prefix is here (and, as
                    // in `complete_line`, counts against the line limit).
                    self.partial = Partial::Data;
                    if self.begin_data() {
                        self.data_bytes(value);
                    }
                    return;
                }
                if self.line_buf.len() < DATA_PREFIX_LEN {
                    // Buffer up to the length of "data:", to recognise data lines.
                    let take = (DATA_PREFIX_LEN - self.line_buf.len()).min(bytes.len());
                    let (head, tail) = bytes.split_at(take);
                    if !self.buffer_line(head) {
                        return;
                    }
                    if self.line_buf.as_slice() == b"data:" {
                        self.line_buf.clear();
                        self.partial = Partial::Data;
                        if self.begin_data() {
                            self.data_bytes(tail);
                        }
                        return;
                    }
                    bytes = tail;
                }
                self.buffer_line(bytes);
            }
        }
    }

    /// Appends to `line_buf` within the line limit; `false` if the limit was hit.
    fn buffer_line(&mut self, bytes: &[u8]) -> bool {
        self.partial = Partial::Buffered;
        if bytes.len()
            > self
                .limits
                .max_line_length
                .saturating_sub(self.line_buf.len())
        {
            self.limit_exceeded(Limit::MaxLineLength);
            return false;
        }
        extend_within(&mut self.line_buf, bytes, self.limits.max_line_length);
        true
    }

    /// The line ended after bytes given to [`continue_line`](Self::continue_line).
    fn end_partial_line(&mut self) {
        match self.partial {
            Partial::Buffered if self.mode == Mode::Normal => {
                // Taken out for the call, then put back to keep its capacity.
                let line = std::mem::take(&mut self.line_buf);
                self.complete_line(&line, false);
                self.line_buf = line;
            }
            // A skipped line is never blank, so it cannot end a resynchronisation.
            _ => {}
        }
        self.partial = Partial::None;
        self.line_buf.clear();
        self.strip_space = false;
    }

    /// Starts a data value, after the `data:` prefix.
    #[inline]
    fn begin_data(&mut self) -> bool {
        self.strip_space = true;
        let ok = self.interpreter.begin_data(self.limits.max_event_size);
        if !ok {
            self.limit_exceeded(Limit::MaxEventSize);
        }
        ok
    }

    /// Value bytes of the current data line, bounded by `max_event_size`.
    #[inline]
    fn data_bytes(&mut self, bytes: &[u8]) {
        let value = if self.strip_space {
            // The value's first byte: dropped if it is a space.
            let Some((&first, rest)) = bytes.split_first() else {
                return;
            };
            self.strip_space = false;
            if first == b' ' { rest } else { bytes }
        } else {
            bytes
        };
        let max = self.limits.max_event_size;
        if value.len() > max.saturating_sub(self.interpreter.data_len()) {
            self.limit_exceeded(Limit::MaxEventSize);
        } else {
            self.interpreter.push_data(value, max);
        }
    }

    fn limit_exceeded(&mut self, limit: Limit) {
        let max = self.limits.get(limit);
        let line_start = self.line_start;
        self.interpreter.push_error(match limit {
            Limit::MaxLineLength => DecodeError::LineTooLong { max, line_start },
            Limit::MaxEventSize => DecodeError::EventTooLarge { max, line_start },
        });
        self.interpreter.discard_block();
        self.line_buf.clear();
        self.partial = Partial::Skipped;
        self.mode = match self.policy {
            LimitPolicy::Resync => Mode::Resync,
            LimitPolicy::Fail => Mode::Failed,
        };
    }
}

impl Iterator for Decoder {
    type Item = Result<Output, DecodeError>;

    /// Same as [`Decoder::poll`].
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.poll()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz regression: the data buffer's room for the id and type went past `max_event_size`.
    #[test]
    fn reserving_room_for_id_and_type_stays_within_the_limits() {
        let limits = Limits::default()
            .with_max_line_length(12)
            .with_max_event_size(16);
        let mut decoder = Decoder::new().with_limits(limits);
        let stream = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n";
        for (index, byte) in stream.iter().enumerate() {
            decoder.feed([*byte]);
            assert!(
                decoder.buffered_bytes() <= 28,
                "{} bytes held after byte {index}",
                decoder.buffered_bytes()
            );
        }
        decoder.feed(b"event: eleven_char\nid: 0123456\ndata: x\n\n");
        assert!(decoder.buffered_bytes() <= 28);
    }
}
