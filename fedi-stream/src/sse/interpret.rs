//! WHATWG HTML §9.2.6 "Interpreting an event stream", from complete lines onwards: field
//! parsing, the data / event type / last event ID buffers, and dispatch.
//!
//! Works on bytes. That is equivalent to the spec's decoded text because every byte the
//! algorithm looks at (CR, LF, `:`, space, NUL, digits) is ASCII, which the UTF-8 decoder maps
//! to itself and never absorbs into a replaced sequence. Values are decoded (lossily) each on
//! its own, as if each had been decoded when its line ended: the event type and the last event
//! ID when a line changes them, the data, kept as bytes until then, at dispatch.

use std::collections::VecDeque;
use std::mem;
use std::time::Duration;

use super::borrowed::{BorrowedOutputs, Lender, Pending};
use super::error::DecodeError;
use super::event::{Event, Output};
use super::line_end;
use super::utf8::decode;

/// Length of `data:`, the prefix after which a data line's value starts.
pub(super) const DATA_PREFIX_LEN: usize = 5;

/// If `line` is a `data` field (`data` alone or `data:` followed by the value), returns the
/// length of its prefix (4 or 5).
pub(super) fn data_prefix_len(line: &[u8]) -> Option<usize> {
    match line.strip_prefix(b"data") {
        Some([]) => Some(4),
        Some([b':', ..]) => Some(DATA_PREFIX_LEN),
        _ => None,
    }
}

/// The data buffer capacity kept from one event to the next: enough for the documents of
/// ordinary streams, so they are decoded without allocating anything but the events, while
/// the memory of an exceptionally large event is released once it is dispatched.
pub(super) const RETAINED_DATA_CAPACITY: usize = 64 * 1024;

/// Appends `bytes` to `buf`, growing it geometrically but never beyond `limit` bytes of
/// capacity (unless `buf` must hold more, which callers rule out).
#[inline]
pub(super) fn extend_within(buf: &mut Vec<u8>, bytes: &[u8], limit: usize) {
    let needed = buf.len() + bytes.len();
    if needed > buf.capacity() {
        grow_within(buf, needed, limit);
    }
    buf.extend_from_slice(bytes);
}

#[cold]
fn grow_within(buf: &mut Vec<u8>, needed: usize, limit: usize) {
    let target = buf.capacity().saturating_mul(2).min(limit).max(needed);
    buf.reserve_exact(target - buf.len());
}

/// Whether `a` and `b` are equal; for short values such as event types, compared with two
/// overlapping loads of 8 or 4 bytes (exact for lengths 4 to 16) rather than a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        if let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
            a.first_chunk::<8>(),
            a.last_chunk::<8>(),
            b.first_chunk::<8>(),
            b.last_chunk::<8>(),
        ) {
            return a0 == b0 && a1 == b1;
        }
        if let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
            a.first_chunk::<4>(),
            a.last_chunk::<4>(),
            b.first_chunk::<4>(),
            b.last_chunk::<4>(),
        ) {
            return a0 == b0 && a1 == b1;
        }
    }
    a == b
}

/// A valid `retry` value: only ASCII digits (at least one), base ten, fitting in `u64`.
/// Larger values are ignored, as Chromium does.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The event being built and what the stream has reported so far.
#[derive(Debug)]
pub(super) struct Interpreter {
    /// The data buffer, undecoded, without the spec's trailing LF (LFs are added between
    /// values instead). Kept from event to event (up to [`RETAINED_DATA_CAPACITY`]), so that
    /// decoding allocates only the events it hands out.
    data: Vec<u8>,
    /// During and after a borrowed feed: the data of events dispatched from the data buffer,
    /// lent until the next call (the first one by swapping buffers, without a copy). Empty
    /// otherwise.
    lent: Vec<u8>,
    /// Whether a `data` field was seen: the spec's "data buffer is not empty".
    has_data: bool,
    /// Whether the block set its event type: the spec's "event type buffer" is then
    /// `event_type`, otherwise empty.
    has_type: bool,
    /// The latest `event` value, decoded, and as received: a stream that repeats its type is
    /// decoded once.
    event_type: String,
    event_type_raw: Vec<u8>,
    /// The spec's last event ID buffer, undecoded.
    id_buffer: Vec<u8>,
    /// An `id` field was seen since the last event ID was set from `id_buffer`.
    id_changed: bool,
    /// The spec's last event ID string.
    last_event_id: String,
    /// During a borrowed feed, once an event changed the last event ID: its bytes, undecoded
    /// (`last_event_id` is then stale until the end of the feed, which decodes it once).
    last_id_raw: Vec<u8>,
    last_id_stale: bool,
    comments: bool,
    out: VecDeque<Result<Output, DecodeError>>,
    /// Where outputs go instead of `out` during [`Decoder::feed_borrowed`](super::Decoder::feed_borrowed).
    lender: Lender,
}

impl Interpreter {
    pub(super) fn new() -> Self {
        Self {
            data: Vec::new(),
            lent: Vec::new(),
            has_data: false,
            has_type: false,
            event_type: String::new(),
            event_type_raw: Vec::new(),
            id_buffer: Vec::new(),
            id_changed: false,
            last_event_id: String::new(),
            last_id_raw: Vec::new(),
            last_id_stale: false,
            comments: false,
            out: VecDeque::new(),
            lender: Lender::default(),
        }
    }

    pub(super) fn set_comments(&mut self, enabled: bool) {
        self.comments = enabled;
    }

    pub(super) fn seed_last_event_id(&mut self, id: &str) {
        id.clone_into(&mut self.last_event_id);
        id.as_bytes().clone_into(&mut self.id_buffer);
        self.id_changed = false;
    }

    pub(super) fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    pub(super) fn data_len(&self) -> usize {
        self.data.len()
    }

    /// Whether the data buffer still holds data lent by the last borrowed feed.
    #[inline(always)]
    pub(super) fn has_lent(&self) -> bool {
        !self.lent.is_empty()
    }

    /// Takes back the data lent by the last borrowed feed, keeping at most the capacity the data
    /// buffer may have (`max_event_size`, and [`RETAINED_DATA_CAPACITY`] between events), since
    /// the two buffers trade places.
    #[cold]
    pub(super) fn release_lent(&mut self, max_event_size: usize) {
        self.lent.clear();
        let keep = max_event_size.min(RETAINED_DATA_CAPACITY);
        if self.lent.capacity() > keep {
            self.lent.shrink_to(keep);
        }
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Option<Result<Output, DecodeError>> {
        self.out.pop_front()
    }

    pub(super) fn pending(&self) -> usize {
        self.out.len()
    }

    pub(super) fn push_error(&mut self, error: DecodeError) {
        if self.lender.is_active() {
            self.lender.push(Pending::Error(error));
        } else {
            self.out.push_back(Err(error));
        }
    }

    /// Starts recording outputs for a borrowed feed of `chunk` (see [`Lender::begin`]).
    #[inline]
    pub(super) fn begin_borrowed(&mut self, chunk: &[u8]) {
        self.lender.begin(chunk, &mut self.out);
    }

    /// Stops recording, and lends what was recorded for `chunk` (see [`Lender::end`]).
    #[inline]
    pub(super) fn end_borrowed<'a>(&'a mut self, chunk: &'a [u8]) -> BorrowedOutputs<'a> {
        let stale_id = mem::take(&mut self.last_id_stale)
            .then_some((self.last_id_raw.as_slice(), &mut self.last_event_id));
        self.lender.end(chunk, &self.lent, &mut self.out, stale_id)
    }

    /// Capacity held for borrowed outputs.
    pub(super) fn lender_capacity(&self) -> usize {
        self.lender.capacity() + self.lent.capacity()
    }

    /// Processes one complete line that is not a `data` field.
    #[inline(always)]
    pub(super) fn line(&mut self, line: &[u8]) {
        match line.split_first() {
            None => self.dispatch(None),
            Some((b':', comment)) => {
                if self.comments {
                    let text = comment.strip_prefix(b" ").unwrap_or(comment);
                    if self.lender.is_active() {
                        let span = self.lender.text(text);
                        self.lender.push(Pending::Comment(span));
                    } else {
                        self.out
                            .push_back(Ok(Output::Comment(decode(text).into_owned())));
                    }
                }
            }
            // The usual spelling of the common fields, name, colon and one space, matched
            // at once; the value is what the general split below would give.
            Some((b'e', _)) if let Some(value) = line.strip_prefix(b"event: ") => {
                self.event_field(value);
            }
            Some((b'i', _)) if let Some(value) = line.strip_prefix(b"id: ") => {
                self.id_field(value);
            }
            Some(_) => {
                // Field names are short: a plain scan beats a vectorised search here.
                let (name, value) = match line.iter().position(|&b| b == b':') {
                    Some(colon) => {
                        let (name, rest) = line.split_at(colon);
                        let value = rest.get(1..).unwrap_or_default();
                        (name, value.strip_prefix(b" ").unwrap_or(value))
                    }
                    None => (line, &[][..]),
                };
                self.field(name, value);
            }
        }
    }

    /// An `event` field: sets the block's event type (decoded only when it changes).
    #[inline(always)]
    fn event_field(&mut self, value: &[u8]) {
        if !same_bytes(value, &self.event_type_raw) {
            self.event_type_changed(value);
        }
        self.has_type = true;
    }

    #[cold]
    fn event_type_changed(&mut self, value: &[u8]) {
        value.clone_into(&mut self.event_type_raw);
        (*decode(value)).clone_into(&mut self.event_type);
        self.lender.type_changed();
    }

    /// An `id` field: sets the last event ID buffer, unless the value holds a NUL.
    #[inline]
    fn id_field(&mut self, value: &[u8]) {
        // The value holds no line end (the line has ended), so the first CR, LF or NUL is a
        // NUL: found a word at a time, where `contains` goes byte by byte.
        if line_end::find_line_end_or_nul(value).is_none() {
            value.clone_into(&mut self.id_buffer);
            self.id_changed = true;
            if self.lender.is_active() {
                self.lender.id_line(value);
            }
        }
    }

    fn field(&mut self, name: &[u8], value: &[u8]) {
        match name {
            b"event" => self.event_field(value),
            b"id" => self.id_field(value),
            b"retry" => {
                if let Some(millis) = parse_retry(value) {
                    let retry = Duration::from_millis(millis);
                    if self.lender.is_active() {
                        self.lender.push(Pending::Retry(retry));
                    } else {
                        self.out.push_back(Ok(Output::Retry(retry)));
                    }
                }
            }
            _ => {}
        }
    }

    /// Starts a `data` field: the LF that separates it from the previous value, if any.
    ///
    /// Returns `false`, changing nothing, if the separator would exceed `max_event_size`.
    #[inline]
    pub(super) fn begin_data(&mut self, max_event_size: usize) -> bool {
        if self.has_data {
            if self.data_len() >= max_event_size {
                return false;
            }
            extend_within(&mut self.data, b"\n", max_event_size);
        } else {
            self.has_data = true;
        }
        true
    }

    /// Whether the block under construction has a `data` field.
    #[inline]
    pub(super) fn has_data(&self) -> bool {
        self.has_data
    }

    /// Appends bytes of the current `data` value; the caller has checked that the data stays
    /// within `max_event_size`.
    #[inline]
    pub(super) fn push_data(&mut self, bytes: &[u8], max_event_size: usize) {
        extend_within(&mut self.data, bytes, max_event_size);
    }

    /// How many more `data` bytes fit, both in the buffer as allocated and within
    /// `max_event_size`: what [`push_data_blocks`](Self::push_data_blocks) may take.
    #[inline]
    pub(super) fn data_room(&self, max_event_size: usize) -> usize {
        let len = self.data.len();
        (self.data.capacity() - len).min(max_event_size.saturating_sub(len))
    }

    /// Appends the leading blocks of `bytes` that hold no line end to the current `data` value
    /// ([`line_end::append_blocks_to_line_end`]) and returns how many bytes that is. The caller
    /// has checked that all of `bytes` fit in [`data_room`](Self::data_room), so nothing is
    /// reallocated.
    #[inline]
    pub(super) fn push_data_blocks(&mut self, bytes: &[u8]) -> usize {
        line_end::append_blocks_to_line_end(bytes, &mut self.data)
    }

    /// Capacity held for the event under construction.
    pub(super) fn data_capacity(&self) -> usize {
        self.data.capacity()
    }

    /// The blank line: WHATWG "dispatch the event". `single` is the block's data when it is
    /// one value the decoder has not copied into the data buffer.
    pub(super) fn dispatch(&mut self, single: Option<&[u8]>) {
        if mem::take(&mut self.id_changed) {
            if self.lender.is_active() {
                // Decoded once, at the end of the feed; events lend the value from the chunk
                // when its line is there. (`id_buffer` is not read again before an `id` line
                // or a discarded block sets it.)
                mem::swap(&mut self.id_buffer, &mut self.last_id_raw);
                self.last_id_stale = true;
                self.lender.id_dispatched();
            } else {
                (*decode(&self.id_buffer)).clone_into(&mut self.last_event_id);
            }
        }
        let event_type = if mem::take(&mut self.has_type) {
            self.event_type.as_str()
        } else {
            ""
        };
        if !mem::take(&mut self.has_data) {
            return;
        }
        if self.lender.is_active() {
            let data = match single {
                Some(value) => self.lender.text(value),
                None => {
                    // The data is lent until the next call: the first event's buffer itself,
                    // the next ones' copied after it.
                    let start = self.lent.len();
                    if start == 0 {
                        mem::swap(&mut self.data, &mut self.lent);
                    } else {
                        // Data that starts with a continuation byte could, joined to the data
                        // lent before it, pass the check at the end as one character split
                        // between two events: both are then decoded one by one.
                        if self
                            .data
                            .first()
                            .is_some_and(|&byte| (0x80..0xC0).contains(&byte))
                        {
                            self.lender.data_joined_invalid();
                        }
                        self.lent.extend_from_slice(&self.data);
                    }
                    // As `clear_data`, field by field (the event type is borrowed).
                    if self.data.capacity() > RETAINED_DATA_CAPACITY {
                        self.data = Vec::new();
                    } else {
                        self.data.clear();
                    }
                    Lender::data(start, self.lent.len())
                }
            };
            if self.lender.needs_last_event_id() {
                let span = if !self.last_id_stale {
                    // Decoded already.
                    self.lender.copy(&self.last_event_id)
                } else if self.last_id_raw.is_empty() {
                    self.lender.copy("")
                } else {
                    // Set by an `id` line of an earlier chunk: lent, undecoded, from after the
                    // data lent so far, and checked with it at the end of the feed (on its own
                    // if it starts with a continuation byte, as for data above).
                    let start = self.lent.len();
                    if start != 0
                        && self
                            .last_id_raw
                            .first()
                            .is_some_and(|&byte| (0x80..0xC0).contains(&byte))
                    {
                        self.lender.data_joined_invalid();
                    }
                    self.lent.extend_from_slice(&self.last_id_raw);
                    Lender::data(start, self.lent.len())
                };
                self.lender.set_last_event_id(span);
            }
            self.lender.event(event_type, data);
            return;
        }
        let data = decode(single.unwrap_or(&self.data));
        let event = Event::new(event_type, &data, &self.last_event_id);
        self.clear_data();
        self.out.push_back(Ok(Output::Event(event)));
    }

    /// Empties the data buffer, keeping its allocation for the next event unless it grew
    /// beyond [`RETAINED_DATA_CAPACITY`].
    fn clear_data(&mut self) {
        if self.data.capacity() > RETAINED_DATA_CAPACITY {
            self.data = Vec::new();
        } else {
            self.data.clear();
        }
    }

    /// Forgets the block under construction, as if it had never been sent: its data, its event
    /// type and its `id` (the last event ID stays what the last dispatch made it).
    pub(super) fn discard_block(&mut self) {
        self.clear_data();
        self.has_data = false;
        self.has_type = false;
        self.last_event_id
            .as_bytes()
            .clone_into(&mut self.id_buffer);
        self.id_changed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_agrees_with_slice_equality() {
        for len in 0..24 {
            let a: Vec<u8> = (0..len).map(|i| b'a' + i as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{len} {at}");
            }
            let mut longer = a.clone();
            longer.push(b' ');
            assert!(!same_bytes(&a, &longer));
        }
    }

    #[test]
    fn retry_accepts_only_ascii_digits() {
        assert_eq!(parse_retry(b"1000"), Some(1000));
        assert_eq!(parse_retry(b"02000"), Some(2000));
        assert_eq!(parse_retry(b"0"), Some(0));
        assert_eq!(parse_retry(b""), None);
        assert_eq!(parse_retry(b"+1000"), None);
        assert_eq!(parse_retry(b"-1"), None);
        assert_eq!(parse_retry(b" 1"), None);
        assert_eq!(parse_retry(b"1000x"), None);
        assert_eq!(parse_retry(b"1.5"), None);
        assert_eq!(parse_retry("١".as_bytes()), None);
    }

    #[test]
    fn retry_beyond_u64_is_ignored() {
        assert_eq!(parse_retry(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_retry(b"18446744073709551616"), None);
        assert_eq!(parse_retry(b"99999999999999999999999"), None);
    }

    #[test]
    fn buffers_grow_geometrically_up_to_the_limit() {
        let mut buf = Vec::new();
        extend_within(&mut buf, &[1; 10], 100);
        extend_within(&mut buf, &[1; 11], 100);
        assert!(buf.capacity() >= 21 && buf.capacity() <= 100);
        for _ in 0..7 {
            extend_within(&mut buf, &[1; 10], 100);
        }
        assert_eq!(buf.len(), 91);
        assert!(buf.capacity() <= 100, "capacity {}", buf.capacity());
    }

    #[test]
    fn data_prefix_is_literal_and_case_sensitive() {
        assert_eq!(data_prefix_len(b"data"), Some(4));
        assert_eq!(data_prefix_len(b"data:"), Some(5));
        assert_eq!(data_prefix_len(b"data: x"), Some(5));
        assert_eq!(data_prefix_len(b"datax"), None);
        assert_eq!(data_prefix_len(b"Data:"), None);
        assert_eq!(data_prefix_len(b" data:"), None);
        assert_eq!(data_prefix_len(b"dat"), None);
    }
}
