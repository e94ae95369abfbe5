//! A block's [`Head`]: the lines an [`Encoder`](super::Encoder) writes before the data of the
//! usual block, assembled on the stack.
//!
//! The usual block has an event type and an id of a few bytes each (`inbox`, `42`) and data.
//! Checking such values with a search and copying them with a call each would cost more than
//! the values themselves: here each value is read with two overlapping loads that cover it
//! (8 bytes from each end for 8 to 16 bytes, 4 for 4 to 7, single bytes below), checked a
//! word at a time, and stored with the same two writes. The head is then written in one piece.

use super::line_end::{SHORT_VALUE, has_control_byte};

/// Room for the longest head: `event: `, [`SHORT_VALUE`] bytes and LF, `id: `,
/// [`SHORT_VALUE`] bytes and LF, then `data: ` (51 bytes), and for the widest write past its
/// end.
const CAPACITY: usize = 64;

/// The lines of a block before its data's first line: `event: TYPE` and `id: ID` (each if
/// present) and the first `data:` prefix (with its space when the data's first line is not
/// empty).
pub(super) struct Head {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Head {
    /// An empty head.
    #[inline(always)]
    pub(super) const fn new() -> Self {
        Self {
            bytes: [0; CAPACITY],
            len: 0,
        }
    }

    /// Writes the head for `event_type`, `id` and data whose first line is empty or not, if
    /// every present value is 1 to [`SHORT_VALUE`] bytes without a byte below 0x0E (CR, LF,
    /// NUL and the rarer controls), and returns `true`. Returns `false` for any other value,
    /// valid or not (the head is then unusable): the caller takes its general path, which
    /// checks exactly.
    // Built in place by the caller rather than returned: a returned head is copied.
    #[inline(always)]
    pub(super) fn write(
        &mut self,
        event_type: Option<&str>,
        id: Option<&str>,
        first_line_empty: bool,
    ) -> bool {
        if let Some(event_type) = event_type
            && self.push_line(b"event: ", event_type.as_bytes()).is_none()
        {
            return false;
        }
        if let Some(id) = id
            && self.push_line(b"id: ", id.as_bytes()).is_none()
        {
            return false;
        }
        self.put(self.len, b"data: ");
        self.len += if first_line_empty { 5 } else { 6 };
        true
    }

    /// The head's bytes.
    #[inline(always)]
    pub(super) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// Appends `prefix`, `value` and LF if `value` is 1 to [`SHORT_VALUE`] bytes without a
    /// control byte below 0x0E (which takes in CR, LF and NUL: one test instead of three, and
    /// such bytes are rare in a type or an id); otherwise returns `None`, the head then partly
    /// written.
    #[inline(always)]
    fn push_line(&mut self, prefix: &[u8], value: &[u8]) -> Option<()> {
        let n = value.len();
        let at = self.len + prefix.len();
        self.put(self.len, prefix);
        let marked = if let (Some(first), Some(last)) =
            (value.first_chunk::<8>(), value.last_chunk::<8>())
        {
            if n > SHORT_VALUE {
                return None;
            }
            self.put(at, first);
            self.put(at + n - 8, last);
            has_control_byte(u64::from_le_bytes(*first))
                | has_control_byte(u64::from_le_bytes(*last))
        } else if let (Some(first), Some(last)) =
            (value.first_chunk::<4>(), value.last_chunk::<4>())
        {
            self.put(at, first);
            self.put(at + n - 4, last);
            has_control_byte(
                u64::from(u32::from_le_bytes(*first)) | u64::from(u32::from_le_bytes(*last)) << 32,
            )
        } else {
            // 1 to 3 bytes: the first, the middle and the last cover them.
            let (&first, &last) = (value.first()?, value.last()?);
            let middle = value.get(n / 2).copied().unwrap_or(first);
            self.put(at, &[first]);
            self.put(at + n / 2, &[middle]);
            self.put(at + n - 1, &[last]);
            has_control_byte(u64::from_le_bytes([
                first, middle, last, first, first, first, first, first,
            ]))
        };
        if marked {
            return None;
        }
        self.put(at + n, b"\n");
        self.len = at + n + 1;
        Some(())
    }

    /// Writes `bytes` from `at`. Every write of [`Head::write`] stays within [`CAPACITY`]; one
    /// that would not is dropped.
    #[inline(always)]
    fn put(&mut self, at: usize, bytes: &[u8]) {
        if let Some(slot) = self.bytes.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(event_type: Option<&str>, id: Option<&str>, empty: bool) -> Option<String> {
        let mut head = Head::new();
        head.write(event_type, id, empty)
            .then(|| String::from_utf8(head.as_bytes().to_vec()).expect("UTF-8 values"))
    }

    #[test]
    fn writes_every_short_length_at_every_offset() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        for type_len in 0..=SHORT_VALUE + 1 {
            for id_len in 0..=SHORT_VALUE + 1 {
                let event_type = &text[..type_len];
                let id = &text[26 - id_len..];
                let expected = (1..=SHORT_VALUE)
                    .contains(&type_len)
                    .then_some(())
                    .and((1..=SHORT_VALUE).contains(&id_len).then_some(()))
                    .map(|()| format!("event: {event_type}\nid: {id}\ndata: "));
                assert_eq!(head(Some(event_type), Some(id), false), expected);
            }
            let expected = (1..=SHORT_VALUE)
                .contains(&type_len)
                .then(|| format!("event: {}\ndata:", &text[..type_len]));
            assert_eq!(head(Some(&text[..type_len]), None, true), expected);
        }
        assert_eq!(head(None, None, false).as_deref(), Some("data: "));
        assert_eq!(head(None, Some("7"), true).as_deref(), Some("id: 7\ndata:"));
    }

    #[test]
    fn leaves_every_control_byte_below_0x0e_to_the_general_path() {
        for len in 1..=SHORT_VALUE {
            for at in 0..len {
                for byte in 0..=0x7F {
                    let mut value = vec![b'v'; len];
                    value[at] = byte;
                    let value = String::from_utf8(value).expect("ASCII");
                    let taken = byte >= 0x0E;
                    assert_eq!(
                        head(Some(&value), None, false).is_some(),
                        taken,
                        "{value:?}"
                    );
                    assert_eq!(
                        head(None, Some(&value), false).is_some(),
                        taken,
                        "{value:?}"
                    );
                }
            }
        }
    }
}
