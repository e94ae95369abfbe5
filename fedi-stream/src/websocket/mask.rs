//! The XOR masking of RFC 6455 §5.3, applied eight bytes at a time.

/// XORs `data` with `key`, as if `data` started `offset` bytes into a masked payload.
///
/// Masking and unmasking are the same operation. The `offset` lets a payload that arrives in
/// pieces be unmasked piece by piece: pass the number of payload bytes already processed.
///
/// ```
/// use fedi_stream::websocket::apply_mask;
///
/// let key = [0x37, 0xfa, 0x21, 0x3d]; // RFC 6455 §5.7, "a single-frame masked text message"
/// let mut payload = *b"Hello";
/// apply_mask(&mut payload, key, 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
///
/// // The same bytes in two pieces.
/// let (head, tail) = payload.split_at_mut(2);
/// apply_mask(head, key, 0);
/// apply_mask(tail, key, 2);
/// assert_eq!(&payload, b"Hello");
/// ```
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let (rotated, word) = aligned_key(key, offset);
    let (words, rest) = data.as_chunks_mut::<8>();
    for chunk in words {
        *chunk = (u64::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
    }
    // The tail starts at a multiple of 8 bytes, so the rotated key still lines up.
    for (byte, mask) in rest.iter_mut().zip(rotated.iter().cycle()) {
        *byte ^= mask;
    }
}

/// Writes `src` XORed with `key` into `dst`, as if `src` started `offset` bytes into a masked
/// payload: [`apply_mask`] and a copy in one pass, so each byte is read and written once.
///
/// Only the first `min(dst.len(), src.len())` bytes are written.
pub(crate) fn unmask_into(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    let len = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..len], &src[..len]);
    let (rotated, word) = aligned_key(key, offset);
    // 32-byte blocks of four independent words: the compiler turns them into vector XORs.
    let (dst_blocks, dst_rest) = dst.as_chunks_mut::<32>();
    let (src_blocks, src_rest) = src.as_chunks::<32>();
    for (out, block) in dst_blocks.iter_mut().zip(src_blocks) {
        xor_words(out, block, word);
    }
    // Then words, then bytes: each part starts at a multiple of 8 bytes, so the rotated key
    // still lines up.
    let (dst_words, dst_rest) = dst_rest.as_chunks_mut::<8>();
    let (src_words, src_rest) = src_rest.as_chunks::<8>();
    xor_words(dst_words.as_flattened_mut(), src_words.as_flattened(), word);
    for ((out, byte), mask) in dst_rest
        .iter_mut()
        .zip(src_rest)
        .zip(rotated.iter().cycle())
    {
        *out = byte ^ mask;
    }
}

/// `dst = src ^ word` for every whole 8-byte word of `src`.
fn xor_words(dst: &mut [u8], src: &[u8], word: u64) {
    for (out, chunk) in dst
        .as_chunks_mut::<8>()
        .0
        .iter_mut()
        .zip(src.as_chunks::<8>().0)
    {
        *out = (u64::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
    }
}

/// The key rotated to start at `offset`, and that rotation repeated over eight bytes.
fn aligned_key(key: [u8; 4], offset: usize) -> ([u8; 4], u64) {
    let shift = offset % 4;
    let rotated = [
        key[shift],
        key[(shift + 1) % 4],
        key[(shift + 2) % 4],
        key[(shift + 3) % 4],
    ];
    let [a, b, c, d] = rotated;
    (rotated, u64::from_ne_bytes([a, b, c, d, a, b, c, d]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in data.iter_mut().enumerate() {
            *byte ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn agrees_with_the_definition_for_every_length_and_offset() {
        let key = [0x01, 0x23, 0x45, 0x67];
        for len in 0..40 {
            for offset in 0..8 {
                let original: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast, key, offset);
                naive(&mut slow, key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
                let mut copied = vec![0xAA; len + 3];
                unmask_into(&mut copied, &original, key, offset);
                assert_eq!(&copied[..len], slow, "copy: len {len} offset {offset}");
                assert_eq!(&copied[len..], [0xAA; 3], "copy wrote past len {len}");
            }
        }
    }

    #[test]
    fn rfc_example_masked_hello() {
        // RFC 6455 §5.7: 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 contains "Hello".
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }
}
