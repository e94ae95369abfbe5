//! The wall clock, as the host passes it in.
//!
//! Versia signatures carry `signed_at` in unix seconds, and the verifier compares it with its
//! own wall clock. The crate reads no clock: the host passes a [`SystemTime`] and the crate
//! converts it here, once, into the whole seconds the signed string and the time window use.
//!
//! The connection and its handshake take the [`SystemTime`] and report an unusable one as
//! their own local-misuse error. The stand-alone signature functions (`signature::verify*`,
//! `WebSocketMessage::sign` and `verify`, `replay::ReplayCache`) take unix seconds, converted
//! with [`unix_seconds`] first: their [`VerifyError`](crate::VerifyError) describes only the
//! peer's input, so a failing local clock is not theirs to report.

use web_time::{SystemTime, UNIX_EPOCH};

/// The latest wall clock accepted: 9999-12-31T23:59:59Z, in unix seconds. Later times are
/// refused rather than written as `signed_at` values no peer can date.
pub const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// A wall clock the crate cannot turn into unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClockError {
    /// The time is before 1970-01-01T00:00:00Z.
    #[error("the wall clock is before the unix epoch")]
    BeforeEpoch,
    /// The time is after [`MAX_UNIX_SECONDS`].
    #[error("the wall clock is {seconds} s after the unix epoch, past the limit of {limit} s")]
    TooFarAhead {
        /// Whole seconds since the epoch.
        seconds: u64,
        /// [`MAX_UNIX_SECONDS`].
        limit: u64,
    },
}

/// Whole seconds from the unix epoch to `wall` (the fraction is dropped). Refuses a time before
/// the epoch or after [`MAX_UNIX_SECONDS`]; never panics.
pub fn unix_seconds(wall: SystemTime) -> Result<u64, ClockError> {
    let seconds = wall
        .duration_since(UNIX_EPOCH)
        .map_err(|_| ClockError::BeforeEpoch)?
        .as_secs();
    if seconds > MAX_UNIX_SECONDS {
        return Err(ClockError::TooFarAhead {
            seconds,
            limit: MAX_UNIX_SECONDS,
        });
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn whole_seconds_since_the_epoch() {
        let at = UNIX_EPOCH + Duration::from_millis(1_729_243_417_999);
        assert_eq!(unix_seconds(at), Ok(1_729_243_417));
        assert_eq!(unix_seconds(UNIX_EPOCH), Ok(0));
        let last = UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECONDS);
        assert_eq!(unix_seconds(last), Ok(MAX_UNIX_SECONDS));
    }

    #[test]
    fn out_of_range_clocks_are_errors() {
        assert_eq!(
            unix_seconds(UNIX_EPOCH - Duration::from_secs(1)),
            Err(ClockError::BeforeEpoch)
        );
        let late = UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECONDS + 1);
        assert_eq!(
            unix_seconds(late),
            Err(ClockError::TooFarAhead {
                seconds: MAX_UNIX_SECONDS + 1,
                limit: MAX_UNIX_SECONDS
            })
        );
    }
}
