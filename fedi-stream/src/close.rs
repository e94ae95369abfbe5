//! Close codes and close frames (RFC 6455 §5.5.1, §7.4): the one [`CloseCode`] of the crate,
//! used by the WebSocket engine (`websocket::CloseCode`) and the C2S socket
//! (`c2s::socket::CloseCode`) alike.

use std::fmt;

/// A WebSocket close status code (RFC 6455 §7.4).
///
/// Any `u16` can be held; [`is_valid_on_wire`](Self::is_valid_on_wire) says whether a peer may
/// send it in a Close frame.
///
/// The same type is exported as `websocket::CloseCode` and `c2s::socket::CloseCode`.
///
/// ```
/// use fedi_stream::websocket::CloseCode;
///
/// assert!(CloseCode::NORMAL.is_valid_on_wire());
/// assert!(CloseCode(4001).is_valid_on_wire()); // private use
/// assert!(!CloseCode::NO_STATUS_RECEIVED.is_valid_on_wire()); // 1005 is never sent
/// assert!(!CloseCode(2000).is_valid_on_wire()); // reserved for extensions
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer violated the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present in the Close frame. Never sent on the wire.
    pub const NO_STATUS_RECEIVED: Self = Self(1005);
    /// 1006: the connection closed without a Close frame. Never sent on the wire.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's data was not consistent with its type (invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message or frame was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: the gateway received an invalid response (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: the TLS handshake failed. Never sent on the wire.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// Whether an endpoint may put this code in a Close frame: the codes defined by RFC 6455
    /// and the IANA registry for use on the wire (1000–1003, 1007–1014), and the ranges for
    /// libraries and applications (3000–4999). 0–999, 1004–1006, 1015, the rest of
    /// 1016–2999 (reserved for future standards) and 5000 and above are refused.
    #[must_use]
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
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

/// The body of a Close frame that carried a status code: the code and a UTF-8 reason of at
/// most [`CloseFrame::MAX_REASON_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, possibly empty.
    pub reason: String,
}

impl CloseFrame {
    /// The longest reason a Close frame can carry: 125 bytes of control payload minus the code.
    pub const MAX_REASON_LEN: usize = 123;

    /// A close frame with `code` and `reason`.
    #[must_use]
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CloseFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} ({})", self.code, self.reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_follows_rfc_6455_section_7_4() {
        // Autobahn 7.7.x sends these and expects them echoed.
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            assert!(CloseCode(code).is_valid_on_wire(), "{code}");
        }
        // Autobahn 7.9.x sends these and expects a protocol error.
        for code in [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999] {
            assert!(!CloseCode(code).is_valid_on_wire(), "{code}");
        }
        assert!(!CloseCode::TLS_HANDSHAKE.is_valid_on_wire());
        assert!(!CloseCode(5000).is_valid_on_wire());
        assert!(CloseCode::TRY_AGAIN_LATER.is_valid_on_wire());
    }

    #[test]
    fn display() {
        assert_eq!(CloseFrame::new(CloseCode::NORMAL, "").to_string(), "1000");
        assert_eq!(
            CloseFrame::new(CloseCode::GOING_AWAY, "bye").to_string(),
            "1001 (bye)"
        );
    }
}
