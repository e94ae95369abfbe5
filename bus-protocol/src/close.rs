//! Close codes and close frames: what a machine asks the host to put in a WebSocket Close
//! frame.

use std::fmt;

/// A WebSocket close status code (RFC 6455 §7.4). Any `u16` can be held; the named constants
/// are the codes this crate and the `fedi-hub` demo server use.
///
/// ```
/// use bus_protocol::close::CloseCode;
///
/// assert_eq!(u16::from(CloseCode::UNAUTHORIZED), 4401);
/// assert_eq!(CloseCode::from(1013), CloseCode::TRY_AGAIN_LATER);
/// assert_eq!(CloseCode::TIMEOUT.to_string(), "4408");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the connection did what it was for (a client that stops).
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (a server shutting down).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1006: the transport ended without a Close frame. Never sent on the wire; it names the
    /// end a host reports with `handle_end`.
    pub const ABNORMAL: Self = Self(1006);
    /// 1008: the peer violated the endpoint's policy (a seed client too slow to read).
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1013: try again later (a connection cap, or a Cloudillo client too slow to read:
    /// Cloudillo's shell reconnects after 1013 and gives up after 1008).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 4400: a bad request (an unknown dialect), as the deployed Cloudillo server uses it.
    pub const BAD_REQUEST: Self = Self(4400);
    /// 4401: the access token is missing, invalid or expired, as the deployed Cloudillo
    /// server uses it.
    pub const UNAUTHORIZED: Self = Self(4401);
    /// 4408: no frame arrived within the timeout that proves the peer alive.
    pub const TIMEOUT: Self = Self(4408);
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

/// A Close frame to write: its code and its reason text (RFC 6455 allows 123 bytes of
/// reason; every reason this crate writes is shorter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, for people reading logs.
    pub reason: String,
}

impl CloseFrame {
    /// A frame with `code` and `reason`.
    #[must_use]
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }
}
