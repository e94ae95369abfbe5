//! Random identifiers from the operating system's generator.

use std::fmt::Write;

/// `bytes` random bytes as lowercase hex.
pub(crate) fn hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator failing is not something a request can cause; there is no safe fallback
    // for a bearer token.
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    buf.iter()
        .fold(String::with_capacity(bytes * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A bearer token: 128 random bits as 32 hex digits.
pub(crate) fn token() -> String {
    hex(16)
}

/// 32 random bytes (key seeds).
pub(crate) fn seed32() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system's random number generator failed");
    seed
}

/// A random number in `[low, high]` (`low` when `high < low`).
pub(crate) fn between(low: u64, high: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    let span = high.saturating_sub(low).saturating_add(1);
    low + u64::from_le_bytes(bytes) % span
}
