//! What the test files share.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The wall clock at `unix` seconds.
pub(crate) fn wall(unix: i64) -> SystemTime {
    let offset = Duration::from_secs(unix.unsigned_abs());
    if unix < 0 {
        UNIX_EPOCH - offset
    } else {
        UNIX_EPOCH + offset
    }
}
