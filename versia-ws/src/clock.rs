//! The wall clock, as the host passes it in.
//!
//! Versia signatures carry `signed_at` in unix seconds, and the verifier compares it with its
//! own wall clock. The crate reads no clock: the host passes a [`SystemTime`] and the crate
//! converts it here, once, into the whole seconds the signed string and the time window use.
//!
//! Every public function that needs the wall clock takes a [`SystemTime`]; what happens to one
//! that cannot be written as unix seconds (before 1970, or after [`MAX_UNIX_SECONDS`]) depends
//! on whether the operation is local or judges a peer:
//!
//! - **Signing** is local: the time becomes the `signed_at` a peer will read, so an unusable
//!   clock is refused with [`unix_seconds`]'s [`ClockError`], reported by each signer as its
//!   own error ([`SignError::Clock`](crate::signature::SignError::Clock) for
//!   `SignatureHeaders::sign_request*` and `WebSocketMessage::sign*`; the connection's and the
//!   handshake's `Clock` variants).
//! - **Verifying** judges the peer's input, and [`VerifyError`](crate::VerifyError) describes
//!   only that input. The stand-alone verifiers (`signature::verify*`,
//!   `WebSocketMessage::verify`, `message::verify_messages`, `VerifyOptions::check_time`) and
//!   `replay::ReplayCache` therefore convert with [`unix_seconds_saturating`]: a clock before
//!   the epoch counts as 0 and one past the limit as [`MAX_UNIX_SECONDS`]. A real signature
//!   then falls outside the time window and is refused with the window's own error
//!   ([`VerifyError::Stale`](crate::VerifyError::Stale) or
//!   [`VerifyError::FromTheFuture`](crate::VerifyError::FromTheFuture)), which is what a peer
//!   is told when the clocks disagree. The connection and its handshake refuse such a clock
//!   before verifying anything, as local misuse.

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

/// Whole seconds from the unix epoch to `wall`, clamped into `0..=MAX_UNIX_SECONDS`: a time
/// before the epoch gives 0, one after [`MAX_UNIX_SECONDS`] gives that limit. This is how the
/// verifiers read the local clock (see the [module docs](self)); never panics.
pub fn unix_seconds_saturating(wall: SystemTime) -> u64 {
    match unix_seconds(wall) {
        Ok(seconds) => seconds,
        Err(ClockError::BeforeEpoch) => 0,
        Err(ClockError::TooFarAhead { limit, .. }) => limit,
    }
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

    #[test]
    fn saturating_clamps_into_the_range() {
        let at = UNIX_EPOCH + Duration::from_millis(1_729_243_417_999);
        assert_eq!(unix_seconds_saturating(at), 1_729_243_417);
        assert_eq!(
            unix_seconds_saturating(UNIX_EPOCH - Duration::from_secs(1)),
            0
        );
        let late = UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECONDS + 1);
        assert_eq!(unix_seconds_saturating(late), MAX_UNIX_SECONDS);
        let last = UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECONDS);
        assert_eq!(unix_seconds_saturating(last), MAX_UNIX_SECONDS);
    }
}
