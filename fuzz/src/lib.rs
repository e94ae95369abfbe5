//! Helpers shared by the fuzz targets.
#![forbid(unsafe_code)]

/// Splits fuzzer input into a stream and the pieces it is fed in.
///
/// `rest` starts with `cut_count % 16` cut points (two little-endian bytes each, taken modulo
/// the stream length + 1); the stream is what follows them. Returns the stream and its pieces
/// in order (empty pieces included), or `None` if `rest` is shorter than its cut points.
#[must_use]
pub fn cut_stream(cut_count: u8, rest: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let cut_bytes = usize::from(cut_count % 16) * 2;
    let (cuts, stream) = rest.split_at_checked(cut_bytes)?;
    let mut cuts: Vec<usize> = cuts
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (stream.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        pieces.push(&stream[start..cut]);
        start = cut;
    }
    pieces.push(&stream[start..]);
    Some((stream, pieces))
}
