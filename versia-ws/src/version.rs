//! The Versia protocol version a peer speaks, which decides how `Versia-Signed-By` is read.

use std::fmt;

/// A Versia Working Draft whose signature rules this crate implements.
///
/// The signed string and the Ed25519 rules are the same in both versions; they differ in who
/// signs (`Versia-Signed-By`) and in the shape of entities:
///
/// | | 0.5 (Working Draft 5) | 0.6 (Working Draft 6) |
/// |---|---|---|
/// | `Versia-Signed-By` | a user URI, or `instance <host>` for the instance | the instance [domain](crate::signer) |
/// | key that signs | the user's key (`User.public_key`) or the instance key | always the instance key |
/// | entity references | absolute URIs, `uri` field | `[host:]id` references, no `uri` |
///
/// Hosts choose the version explicitly: nothing in a request says which one the sender used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// Working Draft 5 (`0.5`).
    V0_5,
    /// Working Draft 6 (`0.6`), the current draft.
    V0_6,
}

impl Version {
    /// The version number as written in API prefixes and `compatibility.versions` (`"0.5"`, `"0.6"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V0_5 => "0.5",
            Self::V0_6 => "0.6",
        }
    }

    /// The path of the WebSocket endpoint this crate defines for the version:
    /// `/.versia/v0.5/ws` or `/.versia/v0.6/ws` (see [`crate::connection`]).
    pub const fn ws_path(self) -> &'static str {
        match self {
            Self::V0_5 => "/.versia/v0.5/ws",
            Self::V0_6 => "/.versia/v0.6/ws",
        }
    }

    /// Reads `"0.5"` or `"0.6"` (also accepts a leading `v`); anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.strip_prefix('v').unwrap_or(text) {
            "0.5" => Some(Self::V0_5),
            "0.6" => Some(Self::V0_6),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_paths() {
        assert_eq!(Version::parse("0.6"), Some(Version::V0_6));
        assert_eq!(Version::parse("v0.5"), Some(Version::V0_5));
        assert_eq!(Version::parse("0.4"), None);
        assert_eq!(Version::V0_6.ws_path(), "/.versia/v0.6/ws");
        assert_eq!(Version::V0_5.to_string(), "0.5");
    }
}
