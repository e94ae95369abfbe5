//! The [`Encoder`]: [`OutgoingEvent`]s, comments and keep-alives to `text/event-stream` bytes.

use std::time::Duration;

use bytes::BufMut;

use super::error::EncodeError;
use super::event::{DEFAULT_EVENT_TYPE, Event};
use super::line_end::{self, LineEnds};

/// The comment line [`Encoder::keep_alive`] writes.
pub const KEEP_ALIVE: &[u8] = b":\n";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One block to send: any of an event type, data, an id and a reconnection time.
///
/// A block with `data` (even `Some("")`) makes the client dispatch an event; one without only
/// updates the client's state (`id`, `retry`). Borrowed strings, so encoding allocates nothing.
///
/// ```
/// use std::time::Duration;
/// use fedi_stream::sse::OutgoingEvent;
///
/// let event = OutgoingEvent::new("{\"type\":\"Create\"}").with_event("inbox").with_id("42");
/// let reconnect_later = OutgoingEvent::default().with_retry(Duration::from_secs(10));
/// # let _ = (event, reconnect_later);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OutgoingEvent<'a> {
    /// `event:` line; `None` (or `""`) lets the client use `"message"`. No CR or LF.
    pub event: Option<&'a str>,
    /// `data:` lines, one per line of the text (CR, LF and CRLF all break lines, and arrive as
    /// LF). `None` sends no data, so no event is dispatched.
    pub data: Option<&'a str>,
    /// `id:` line; `Some("")` resets the client's last event ID. No CR, LF or NUL.
    pub id: Option<&'a str>,
    /// `retry:` line, in whole milliseconds (sub-millisecond parts are dropped).
    pub retry: Option<Duration>,
}

impl<'a> OutgoingEvent<'a> {
    /// An event of the default type carrying `data`.
    #[must_use]
    pub const fn new(data: &'a str) -> Self {
        Self {
            event: None,
            data: Some(data),
            id: None,
            retry: None,
        }
    }

    /// Sets the event type.
    #[must_use]
    pub const fn with_event(mut self, event_type: &'a str) -> Self {
        self.event = Some(event_type);
        self
    }

    /// Sets the data.
    #[must_use]
    pub const fn with_data(mut self, data: &'a str) -> Self {
        self.data = Some(data);
        self
    }

    /// Sets the id.
    #[must_use]
    pub const fn with_id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the reconnection time.
    #[must_use]
    pub const fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }
}

impl<'a> From<&'a Event> for OutgoingEvent<'a> {
    /// The block that makes a decoder dispatch `event` again: its type (omitted when it is the
    /// default), its data and its last event ID.
    fn from(event: &'a Event) -> Self {
        let event_type = event.event_type();
        Self {
            event: (event_type != DEFAULT_EVENT_TYPE).then_some(event_type),
            data: Some(event.data()),
            id: Some(event.last_event_id()),
            retry: None,
        }
    }
}

/// Writes `text/event-stream` bytes into any [`BufMut`] (`Vec<u8>`, `BytesMut`...).
///
/// Every value is written as `name: value` (a space after the colon, so values that start with
/// a space survive), data is split into one `data:` line per line, and every block ends with a
/// blank line, so a conforming decoder gets back exactly what was encoded: for every
/// [`Event`] `e` whose data has no CR, `Decoder(Encoder(e)) == e`. Output has no BOM unless
/// asked for with [`with_leading_bom`](Self::with_leading_bom).
///
/// Values the format cannot carry are refused with an [`EncodeError`] before anything is
/// written.
///
/// ```
/// use fedi_stream::sse::{Encoder, OutgoingEvent};
///
/// let mut encoder = Encoder::new();
/// let mut wire = Vec::new();
/// encoder.encode(&OutgoingEvent::new("line 1\nline 2").with_event("inbox").with_id("7"), &mut wire)?;
/// encoder.keep_alive(&mut wire);
/// assert_eq!(wire, b"event: inbox\nid: 7\ndata: line 1\ndata: line 2\n\n:\n");
/// assert!(encoder.encode(&OutgoingEvent::new("x").with_id("a\nb"), &mut wire).is_err());
/// # Ok::<(), fedi_stream::sse::EncodeError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    bom_pending: bool,
    /// The line break search for data, set up at the first event.
    line_ends: Option<LineEnds>,
}

impl Encoder {
    /// An encoder whose output starts directly with the first line (no BOM).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bom_pending: false,
            line_ends: None,
        }
    }

    /// An encoder that writes a UTF-8 BOM before its first output. Decoders strip it; it is
    /// never needed.
    #[must_use]
    pub const fn with_leading_bom() -> Self {
        Self {
            bom_pending: true,
            line_ends: None,
        }
    }

    /// Writes one block: `event`, `id`, `retry`, then `data` lines, then a blank line.
    ///
    /// # Errors
    /// [`EncodeError`] if the event type has CR/LF, the id has CR/LF/NUL, or the retry time does
    /// not fit in `u64` milliseconds. Nothing is written then.
    // Inlined: the usual block's path is short, and the caller's event need not be built.
    #[inline]
    pub fn encode(
        &mut self,
        event: &OutgoingEvent<'_>,
        dst: &mut impl BufMut,
    ) -> Result<(), EncodeError> {
        // The usual block: data, no `retry`, a short type and id, checked a word at a time.
        if let (Some(data), None) = (event.data, event.retry)
            && event.event.is_none_or(is_short_plain)
            && event.id.is_none_or(is_short_plain)
        {
            self.start(dst);
            // Each line's LF goes out with the next line's name: fewer pieces, each a constant.
            let empty = starts_line_empty(data.as_bytes());
            match (event.event, event.id) {
                (Some(event_type), Some(id)) => {
                    dst.put_slice(b"event: ");
                    dst.put_slice(event_type.as_bytes());
                    dst.put_slice(b"\nid: ");
                    dst.put_slice(id.as_bytes());
                    put_data_name(dst, b"\ndata: ", empty);
                }
                (Some(event_type), None) => {
                    dst.put_slice(b"event: ");
                    dst.put_slice(event_type.as_bytes());
                    put_data_name(dst, b"\ndata: ", empty);
                }
                (None, Some(id)) => {
                    dst.put_slice(b"id: ");
                    dst.put_slice(id.as_bytes());
                    put_data_name(dst, b"\ndata: ", empty);
                }
                (None, None) => put_data_name(dst, b"data: ", empty),
            }
            self.put_data_lines(data.as_bytes(), dst);
            return Ok(());
        }
        self.encode_any(event.event, event.data, event.id, event.retry, dst)
    }

    /// [`encode`](Self::encode) for any block.
    // The fields one by one: a caller's event is then never built in memory for the call.
    #[inline(never)]
    fn encode_any(
        &mut self,
        event_type: Option<&str>,
        data: Option<&str>,
        id: Option<&str>,
        retry: Option<Duration>,
        dst: &mut impl BufMut,
    ) -> Result<(), EncodeError> {
        let event = OutgoingEvent {
            event: event_type,
            data,
            id,
            retry,
        };
        if let Some(index) = event.event.and_then(|t| line_end::find(t.as_bytes())) {
            return Err(EncodeError::LineBreakInEventType { index });
        }
        if let Some(id) = event.id
            && let Some(index) = line_end::find_line_end_or_nul(id.as_bytes())
        {
            return Err(if id.as_bytes().get(index) == Some(&0) {
                EncodeError::NulInId { index }
            } else {
                EncodeError::LineBreakInId { index }
            });
        }
        let retry = event.retry.map(retry_millis).transpose()?;

        self.start(dst);
        if let Some(event_type) = event.event {
            put_field(dst, b"event: ", event_type.as_bytes());
        }
        if let Some(id) = event.id {
            put_field(dst, b"id: ", id.as_bytes());
        }
        if let Some(millis) = retry {
            put_field(dst, b"retry: ", format_u64(millis, &mut [0; 20]));
        }
        match event.data {
            Some(data) => self.put_data(data, dst),
            None => dst.put_u8(b'\n'),
        }
        Ok(())
    }

    /// `data:` lines for `data`, then the blank line.
    fn put_data(&mut self, data: &str, dst: &mut impl BufMut) {
        dst.put_slice(if starts_line_empty(data.as_bytes()) {
            b"data:"
        } else {
            b"data: "
        });
        self.put_data_lines(data.as_bytes(), dst);
    }

    /// The rest of a `data` line whose prefix is written (the first line of `data`), more
    /// `data` lines for the other lines of `data`, then the blank line.
    #[inline(always)]
    fn put_data_lines(&mut self, data: &[u8], dst: &mut impl BufMut) {
        // Data is usually long: straight to the vector search. Usually one line, too: no loop
        // here (the search's state would be kept aside for it, at a cost on every block).
        let line_ends = self.line_ends.get_or_insert_with(LineEnds::new);
        match line_ends.find_long(data) {
            None => {
                // The data line's LF and the blank line, in one piece.
                dst.put_slice(data);
                dst.put_slice(b"\n\n");
            }
            Some(end) => put_lines(line_ends, data, end, dst),
        }
    }

    /// Writes a block that only sets the client's reconnection time.
    ///
    /// # Errors
    /// [`EncodeError::RetryOutOfRange`] if `retry` does not fit in `u64` milliseconds.
    pub fn retry(&mut self, retry: Duration, dst: &mut impl BufMut) -> Result<(), EncodeError> {
        self.encode(&OutgoingEvent::default().with_retry(retry), dst)
    }

    /// Writes a comment line (`: text`). Clients ignore it; it keeps proxies from closing an idle
    /// connection and can carry diagnostics.
    ///
    /// # Errors
    /// [`EncodeError::LineBreakInComment`] if `text` has CR or LF. Nothing is written then.
    pub fn comment(&mut self, text: &str, dst: &mut impl BufMut) -> Result<(), EncodeError> {
        if let Some(index) = line_end::find(text.as_bytes()) {
            return Err(EncodeError::LineBreakInComment { index });
        }
        self.start(dst);
        put_field(dst, b": ", text.as_bytes());
        Ok(())
    }

    /// Writes the shortest keep-alive, [`KEEP_ALIVE`] (an empty comment line). WHATWG suggests
    /// one about every 15 seconds on an idle stream.
    pub fn keep_alive(&mut self, dst: &mut impl BufMut) {
        self.start(dst);
        dst.put_slice(KEEP_ALIVE);
    }

    fn start(&mut self, dst: &mut impl BufMut) {
        if self.bom_pending {
            self.bom_pending = false;
            dst.put_slice(BOM);
        }
    }
}

/// The `data` lines of `data`, whose first line ends at `end` and whose first line's prefix
/// is written, then the blank line.
#[inline(never)]
fn put_lines(line_ends: &LineEnds, mut data: &[u8], mut end: usize, dst: &mut impl BufMut) {
    loop {
        dst.put_slice(data.get(..end).unwrap_or_default());
        let crlf = data.get(end..end + 2) == Some(b"\r\n");
        data = data.get(end + 1 + usize::from(crlf)..).unwrap_or_default();
        dst.put_slice(if starts_line_empty(data) {
            b"\ndata:"
        } else {
            b"\ndata: "
        });
        match line_ends.find_long(data) {
            Some(next) => end = next,
            None => break,
        }
    }
    // The last data line's LF and the blank line, in one piece.
    dst.put_slice(data);
    dst.put_slice(b"\n\n");
}

/// Whether `value` can be written as an event type or id without a closer look: it has 1 to
/// [`SHORT_VALUE`](line_end::SHORT_VALUE) bytes, none of them a control byte below 0x0E (such
/// bytes are rare in a type or an id; the general path checks them exactly, and writes empty
/// values).
#[inline(always)]
fn is_short_plain(value: &str) -> bool {
    line_end::is_short_plain(value.as_bytes())
}

/// `name` (`data: ` after an optional LF), without its space if the line is `empty`.
// Inlined so that each piece is a constant whose copy needs no call.
#[inline(always)]
fn put_data_name(dst: &mut impl BufMut, name: &'static [u8], empty: bool) {
    if empty {
        dst.put_slice(name.strip_suffix(b" ").unwrap_or(name));
    } else {
        dst.put_slice(name);
    }
}

/// Whether the first line of `data` is empty (`data` is empty or starts with CR or LF): its
/// `data:` line then has no space after the colon.
#[inline(always)]
fn starts_line_empty(data: &[u8]) -> bool {
    // One bit test rather than two compares.
    const LINE_ENDS: u16 = 1 << b'\r' | 1 << b'\n';
    data.first()
        .is_none_or(|&b| b <= b'\r' && LINE_ENDS >> b & 1 == 1)
}

fn retry_millis(retry: Duration) -> Result<u64, EncodeError> {
    let millis = retry.as_millis();
    u64::try_from(millis).map_err(|_| EncodeError::RetryOutOfRange { millis })
}

/// `prefix` (a field name, a colon and a space) then `value` and LF; for an empty value, the
/// prefix without its space.
// Inlined so that each prefix is a constant whose copy needs no call.
#[inline(always)]
fn put_field(dst: &mut impl BufMut, prefix: &'static [u8], value: &[u8]) {
    if value.is_empty() {
        dst.put_slice(prefix.strip_suffix(b" ").unwrap_or(prefix));
    } else {
        dst.put_slice(prefix);
        dst.put_slice(value);
    }
    dst.put_u8(b'\n');
}

/// Decimal digits of `n`, written into the end of `buf`.
fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            // `n % 10` is below 10, so the cast cannot truncate.
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(event: &OutgoingEvent<'_>) -> Result<String, EncodeError> {
        let mut wire = Vec::new();
        Encoder::new().encode(event, &mut wire)?;
        Ok(String::from_utf8(wire).expect("encoder writes UTF-8 for UTF-8 input"))
    }

    #[test]
    fn data_is_split_on_every_line_break() {
        assert_eq!(
            encode(&OutgoingEvent::new("a\r\nb\rc\nd")).unwrap(),
            "data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(encode(&OutgoingEvent::new("")).unwrap(), "data:\n\n");
        assert_eq!(
            encode(&OutgoingEvent::new("x\n")).unwrap(),
            "data: x\ndata:\n\n"
        );
        assert_eq!(
            encode(&OutgoingEvent::new("\r\n")).unwrap(),
            "data:\ndata:\n\n"
        );
        assert_eq!(
            encode(&OutgoingEvent::new(" lead")).unwrap(),
            "data:  lead\n\n"
        );
    }

    #[test]
    fn types_and_ids_of_every_short_length_are_written_alike() {
        for len in 0..=line_end::SHORT_VALUE + 2 {
            let value = &"abcdefghijklmnopqrstuvwxyz"[..len];
            let line = |name: &str| {
                if value.is_empty() {
                    format!("{name}:\n")
                } else {
                    format!("{name}: {value}\n")
                }
            };
            let event = OutgoingEvent::new("d1\r\n\nd2").with_event(value);
            let expected = format!("{}data: d1\ndata:\ndata: d2\n\n", line("event"));
            assert_eq!(encode(&event).unwrap(), expected);
            let event = event.with_id(value);
            let expected = format!(
                "{}{}data: d1\ndata:\ndata: d2\n\n",
                line("event"),
                line("id")
            );
            assert_eq!(encode(&event).unwrap(), expected);
            let event = OutgoingEvent::new("x").with_id(value);
            assert_eq!(
                encode(&event).unwrap(),
                format!("{}data: x\n\n", line("id"))
            );
        }
    }

    #[test]
    fn fields_come_in_a_fixed_order() {
        let event = OutgoingEvent::new("d")
            .with_event("e")
            .with_id("")
            .with_retry(Duration::from_millis(1500));
        assert_eq!(
            encode(&event).unwrap(),
            "event: e\nid:\nretry: 1500\ndata: d\n\n"
        );
        assert_eq!(
            encode(&OutgoingEvent::default().with_retry(Duration::from_micros(2999))).unwrap(),
            "retry: 2\n\n"
        );
    }

    #[test]
    fn unsendable_values_are_refused_without_output() {
        let mut encoder = Encoder::with_leading_bom();
        let mut wire = Vec::new();
        let cases = [
            (
                OutgoingEvent::new("x").with_event("a\rb"),
                EncodeError::LineBreakInEventType { index: 1 },
            ),
            (
                OutgoingEvent::new("x").with_id("ab\n"),
                EncodeError::LineBreakInId { index: 2 },
            ),
            (
                OutgoingEvent::new("x").with_id("a\0"),
                EncodeError::NulInId { index: 1 },
            ),
            (
                OutgoingEvent::new("x").with_retry(Duration::MAX),
                EncodeError::RetryOutOfRange {
                    millis: Duration::MAX.as_millis(),
                },
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(encoder.encode(&event, &mut wire), Err(expected));
        }
        assert_eq!(
            encoder.comment("a\nb", &mut wire),
            Err(EncodeError::LineBreakInComment { index: 1 })
        );
        assert!(wire.is_empty());
        encoder.comment("hi", &mut wire).unwrap();
        encoder.comment("", &mut wire).unwrap();
        assert_eq!(wire, b"\xEF\xBB\xBF: hi\n:\n");
    }

    #[test]
    fn formats_u64_in_decimal() {
        for n in [0, 7, 10, 1000, 12345, u64::MAX] {
            assert_eq!(format_u64(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }
}
