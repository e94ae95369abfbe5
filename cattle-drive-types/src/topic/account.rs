//! Account names.

use std::fmt;

use super::TopicError;
use crate::truncated;

/// A cattle_grid account name: 1 to 16 ASCII letters, digits or underscores (cattle_grid's
/// default `account.allowed_name_regex`, `^[a-zA-Z0-9_]{1,16}$`). It is the `NAME` of every
/// routing key, so it can hold no `.`, `/` or wildcard.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountName(String);

impl AccountName {
    /// The longest name allowed.
    pub const MAX_LEN: usize = 16;

    /// Checks `name` against `^[a-zA-Z0-9_]{1,16}$`.
    pub fn new(name: impl Into<String>) -> Result<Self, TopicError> {
        let name = name.into();
        if Self::is_valid(&name) {
            Ok(AccountName(name))
        } else {
            Err(TopicError::InvalidAccountName {
                name: truncated(&name),
            })
        }
    }

    /// Whether `name` is a valid account name.
    pub fn is_valid(name: &str) -> bool {
        (1..=Self::MAX_LEN).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AccountName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_default_regex() {
        for ok in ["a", "alice", "Alice_01", "x234567890123456"] {
            assert!(AccountName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "x2345678901234567",
            "al.ice",
            "al/ice",
            "a*",
            "a#",
            "ä",
            "a b",
            "a-b",
        ] {
            assert!(AccountName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_text_is_bounded() {
        let long = "x".repeat(1000);
        let err = AccountName::new(long)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.len() < 200, "{err}");
    }
}
