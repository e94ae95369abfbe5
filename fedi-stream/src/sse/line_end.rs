//! Finding the end of a line: the first CR or LF.
//!
//! Most lines of a real stream are short (`event: update`, `id: 1234`, the blank line that
//! dispatches), and for them a vectorised search costs more to set up than the search itself:
//! [`find`] and [`LineEnds::find`] look at the first 16 bytes a word at a time, in plain safe
//! code, and hand only longer lines (typically `data` values) to `memchr`. A decoder chooses
//! its `memchr` searcher once ([`LineEnds`]) rather than on every call.
//!
//! Small chunks that land inside a long `data` value cost a call per chunk that way; for them
//! [`append_blocks_to_line_end`] tests and copies 64 bytes at a time, inline.

/// How many leading bytes are examined a word at a time before the vector search.
const SHORT_LINE: usize = 16;

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// A CR-or-LF search, set up once for the CPU it runs on.
#[derive(Debug, Clone, Copy)]
pub(super) struct LineEnds {
    vector: Vector,
}

#[derive(Debug, Clone, Copy)]
enum Vector {
    #[cfg(target_arch = "x86_64")]
    Avx2(memchr::arch::x86_64::avx2::memchr::Two),
    #[cfg(target_arch = "x86_64")]
    Sse2(memchr::arch::x86_64::sse2::memchr::Two),
    /// `memchr::memchr2`, which picks its implementation on every call.
    Portable,
}

impl LineEnds {
    pub(super) fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use memchr::arch::x86_64::{avx2, sse2};
            if let Some(two) = avx2::memchr::Two::new(b'\r', b'\n') {
                return Self {
                    vector: Vector::Avx2(two),
                };
            }
            if let Some(two) = sse2::memchr::Two::new(b'\r', b'\n') {
                return Self {
                    vector: Vector::Sse2(two),
                };
            }
        }
        Self {
            vector: Vector::Portable,
        }
    }

    /// The index of the first CR or LF in `bytes`, if any; fastest when it is near the start.
    #[inline]
    pub(super) fn find(&self, bytes: &[u8]) -> Option<usize> {
        find_with(bytes, |rest| self.find_long(rest))
    }

    /// The index of the first CR or LF in `bytes`, if any, with `memchr` from the start: for
    /// text that is usually long.
    #[inline]
    pub(super) fn find_long(&self, bytes: &[u8]) -> Option<usize> {
        match &self.vector {
            #[cfg(target_arch = "x86_64")]
            Vector::Avx2(two) => two.find(bytes),
            #[cfg(target_arch = "x86_64")]
            Vector::Sse2(two) => two.find(bytes),
            Vector::Portable => memchr::memchr2(b'\r', b'\n', bytes),
        }
    }
}

/// The index of the first CR or LF in `bytes`, if any; fastest when it is near the start.
#[inline]
pub(super) fn find(bytes: &[u8]) -> Option<usize> {
    find_with(bytes, |rest| memchr::memchr2(b'\r', b'\n', rest))
}

/// The index of the first CR, LF or NUL in `bytes`, if any: what an `id` value may not hold.
/// Meant for short values (it never switches to `memchr`).
#[inline]
pub(super) fn find_line_end_or_nul(bytes: &[u8]) -> Option<usize> {
    scan_words(bytes, usize::MAX, |word| cr_or_lf(word) | zero_bytes(word)).unwrap_or(None)
}

/// The longest value [`is_short_plain`] takes.
pub(super) const SHORT_VALUE: usize = 16;

/// Whether `value` has 1 to [`SHORT_VALUE`] bytes and none of them below 0x0E (a control
/// byte: among them NUL, LF and CR, found with one test instead of three). Inline and without
/// a loop: `value` is read with two overlapping loads from its ends (8 bytes each for 8 to 16
/// bytes, 4 for 4 to 7, single bytes below).
#[inline(always)]
pub(super) fn is_short_plain(value: &[u8]) -> bool {
    let n = value.len();
    if n > SHORT_VALUE {
        return false;
    }
    if let (Some(first), Some(last)) = (value.first_chunk::<8>(), value.last_chunk::<8>()) {
        control_bytes(u64::from_le_bytes(*first)) | control_bytes(u64::from_le_bytes(*last)) == 0
    } else if let (Some(first), Some(last)) = (value.first_chunk::<4>(), value.last_chunk::<4>()) {
        let word =
            u64::from(u32::from_le_bytes(*first)) | u64::from(u32::from_le_bytes(*last)) << 32;
        control_bytes(word) == 0
    } else if let (Some(&first), Some(&last)) = (value.first(), value.last()) {
        // 1 to 3 bytes: the first, the middle and the last cover them.
        let middle = value.get(n / 2).copied().unwrap_or(first);
        control_bytes(u64::from_le_bytes([
            first, middle, last, b' ', b' ', b' ', b' ', b' ',
        ])) == 0
    } else {
        false
    }
}

/// The size of [`append_blocks_to_line_end`]'s blocks.
const BLOCK: usize = 64;

/// Appends the leading [`BLOCK`]-byte blocks of `bytes` that hold no CR or LF to `dst`, and
/// returns how many bytes that is (a multiple of [`BLOCK`]); the rest is left for a full search.
///
/// For the small chunks that land inside a `data` value: searching and copying go together, a
/// block at a time and inline (the block test compiles to a few vector compares, in safe code,
/// and the fixed-size copy to vector moves), where a `memchr` call and a `memcpy` call would
/// each cost more than the work.
#[inline]
pub(super) fn append_blocks_to_line_end(bytes: &[u8], dst: &mut Vec<u8>) -> usize {
    let mut rest = bytes;
    while let Some((block, tail)) = rest.split_first_chunk::<BLOCK>() {
        if has_line_end(block) {
            break;
        }
        dst.extend_from_slice(block);
        rest = tail;
    }
    bytes.len() - rest.len()
}

/// Whether `block` holds a CR or LF; branch-free, so that it compiles to vector compares.
#[inline(always)]
fn has_line_end(block: &[u8; BLOCK]) -> bool {
    let mut found = 0u8;
    for &byte in block {
        found |= u8::from(byte == b'\r') | u8::from(byte == b'\n');
    }
    found != 0
}

/// The first [`SHORT_LINE`] bytes a word at a time, the rest with `find_long`.
// Inlined into each caller: a call would cost as much as searching a short line.
#[inline(always)]
fn find_with(bytes: &[u8], find_long: impl FnOnce(&[u8]) -> Option<usize>) -> Option<usize> {
    match scan_words(bytes, SHORT_LINE, cr_or_lf) {
        Ok(found) => found,
        Err(offset) => {
            find_long(bytes.get(offset..).unwrap_or_default()).map(|index| offset + index)
        }
    }
}

/// Looks for the first byte that `flags` marks (with its high bit), a word at a time, in the
/// first `limit` bytes (rounded up to whole words). `Ok` with the index, or `None` if `bytes`
/// has no such byte; `Err(offset)` if it stopped at the limit with bytes from `offset` unread.
///
/// A short last word is padded with spaces, which `flags` must not mark. Branches depend on
/// the number of words, not on the bytes, which keeps short values cheap.
#[inline]
fn scan_words(
    bytes: &[u8],
    limit: usize,
    flags: impl Fn(u64) -> u64,
) -> Result<Option<usize>, usize> {
    let first = |marked: u64| (marked.trailing_zeros() / 8) as usize;
    let mut rest = bytes;
    let mut offset = 0;
    while offset < limit {
        let Some((word, tail)) = rest.split_first_chunk::<8>() else {
            if rest.is_empty() {
                return Ok(None);
            }
            let marked = flags(padded_word(rest));
            return Ok((marked != 0).then(|| offset + first(marked)));
        };
        let marked = flags(u64::from_le_bytes(*word));
        if marked != 0 {
            return Ok(Some(offset + first(marked)));
        }
        rest = tail;
        offset += 8;
    }
    if rest.is_empty() {
        Ok(None)
    } else {
        Err(offset)
    }
}

/// `rest` (1 to 7 bytes) as the low bytes of a little-endian word, the others spaces; read with
/// two overlapping loads rather than byte by byte.
#[inline]
fn padded_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let low = if let (Some(first), Some(last)) = (rest.first_chunk::<4>(), rest.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*first))
            | u64::from(u32::from_le_bytes(*last)) << (8 * (n - 4))
    } else if let (Some(first), Some(last)) = (rest.first_chunk::<2>(), rest.last_chunk::<2>()) {
        u64::from(u16::from_le_bytes(*first))
            | u64::from(u16::from_le_bytes(*last)) << (8 * (n - 2))
    } else {
        rest.first().map_or(0, |&byte| u64::from(byte))
    };
    low | (ONES * u64::from(b' '))
        .checked_shl(8 * n as u32)
        .unwrap_or(0)
}

/// The high bit of every byte of `word` that is zero, and possibly (through borrows) of bytes
/// above one; the lowest marked byte is therefore always a true zero, which is all callers use.
#[inline]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// Nonzero if `word` has a byte below 0x0E: a control byte, among them NUL, LF and CR. Exact
/// (a borrow only marks a byte above one that is below 0x0E), and cheaper than testing for
/// the three.
#[inline]
fn control_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x0E) & !word & HIGHS
}

/// Marks the CR and LF bytes of `word` as [`zero_bytes`] marks zeros (little-endian order).
#[inline]
fn cr_or_lf(word: u64) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(b'\n'))) | zero_bytes(word ^ (ONES * u64::from(b'\r')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(bytes: &[u8]) -> Option<usize> {
        let line_ends = LineEnds::new();
        let found = line_ends.find(bytes);
        assert_eq!(line_ends.find_long(bytes), found);
        assert_eq!(super::find(bytes), found);
        assert_eq!(
            find_line_end_or_nul(bytes),
            bytes.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0))
        );
        assert_eq!(
            LineEnds {
                vector: Vector::Portable
            }
            .find(bytes),
            found
        );
        found
    }

    fn naive(bytes: &[u8]) -> Option<usize> {
        bytes.iter().position(|&b| b == b'\r' || b == b'\n')
    }

    #[test]
    fn finds_the_first_cr_or_lf_at_every_position_and_length() {
        // Neighbours of CR and LF (and of a borrow into them) around every possible position.
        for filler in [b'a', 0x00, 0x0B, 0x0C, 0x0E, 0x09, 0x8D, 0x8A, 0xFF] {
            for len in 0..48 {
                for at in 0..len {
                    for end in [b'\r', b'\n'] {
                        let mut bytes = vec![filler; len];
                        bytes[at] = end;
                        assert_eq!(find(&bytes), Some(at), "{filler:#x} {len} {at}");
                        if at + 1 < len {
                            bytes[at + 1] = b'\n' ^ b'\r' ^ end;
                            assert_eq!(find(&bytes), Some(at));
                        }
                    }
                }
                assert_eq!(find(&vec![filler; len]), None);
            }
        }
    }

    #[test]
    fn finds_control_bytes_below_0x0e_in_every_position() {
        for filler in [b'a', 0x0E, 0x0F, 0x80, 0x8D, 0xFF] {
            for at in 0..8 {
                for byte in 0..=u8::MAX {
                    let mut bytes = [filler; 8];
                    bytes[at] = byte;
                    assert_eq!(
                        control_bytes(u64::from_le_bytes(bytes)) != 0,
                        byte < 0x0E,
                        "{bytes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn short_plain_values_are_short_and_without_control_bytes() {
        for len in 0..=SHORT_VALUE + 1 {
            let plain: Vec<u8> = (0..len).map(|i| b'a' + i as u8).collect();
            assert_eq!(
                is_short_plain(&plain),
                (1..=SHORT_VALUE).contains(&len),
                "{len}"
            );
            for at in 0..len.min(SHORT_VALUE) {
                for byte in 0..=u8::MAX {
                    let mut value = plain.clone();
                    value[at] = byte;
                    assert_eq!(
                        is_short_plain(&value),
                        len <= SHORT_VALUE && byte >= 0x0E,
                        "{value:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn pads_short_tails_with_spaces() {
        for n in 1..8 {
            let rest: Vec<u8> = (1..=n as u8).collect();
            let mut expected = [b' '; 8];
            expected[..n].copy_from_slice(&rest);
            assert_eq!(padded_word(&rest), u64::from_le_bytes(expected), "{n}");
        }
    }

    #[test]
    fn appends_whole_blocks_up_to_the_first_line_end() {
        for len in 0..200 {
            for at in (0..len).map(Some).chain([None]) {
                for end in [b'\r', b'\n'] {
                    let mut bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    if let Some(at) = at {
                        bytes[at] = end;
                    }
                    let mut dst = b"start".to_vec();
                    let taken = append_blocks_to_line_end(&bytes, &mut dst);
                    let expected = at.unwrap_or(len) / BLOCK * BLOCK;
                    assert_eq!(taken, expected, "{len} {at:?}");
                    assert_eq!(&dst[..5], b"start");
                    assert_eq!(&dst[5..], &bytes[..taken]);
                }
            }
        }
    }

    #[test]
    fn agrees_with_a_byte_by_byte_search() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for _ in 0..5000 {
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 32 {
                    0 => b'\n',
                    1 => b'\r',
                    2 => 0x0C,
                    3 => 0x0E,
                    other => other as u8 + 0x20,
                })
                .collect();
            assert_eq!(find(&bytes), naive(&bytes), "{bytes:?}");
        }
    }
}
