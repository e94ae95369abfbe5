//! [`ItemId`]: the id of a collection item, which is also its stream event id.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use super::error::IdError;

/// The id of one collection item, as the collection endpoint knows it: the `id:` of its SSE
/// event, the `id` of its WebSocket envelope, the `Last-Event-ID` a client sends back, and the
/// `min_id` cursor of the catch-up URL.
///
/// Valid ids are 1 to [`ItemId::MAX_LEN`] bytes of UTF-8 without ASCII control characters, so
/// that every form above can carry them unchanged (an SSE `id` line ends at CR/LF and is ignored
/// if it contains NUL; an HTTP header value cannot carry control characters). Ids are opaque:
/// nothing here compares them by order. Cloning is cheap (a shared string).
///
/// ```
/// use fedi_stream::c2s::item::ItemId;
///
/// let id = ItemId::new("01HZX3")?;
/// assert_eq!(id.as_str(), "01HZX3");
/// assert!(ItemId::new("").is_err());
/// assert!(ItemId::new("a\nb").is_err());
/// # Ok::<(), fedi_stream::c2s::item::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(Arc<str>);

impl ItemId {
    /// The longest id accepted, in bytes.
    pub const MAX_LEN: usize = 256;

    /// Checks and wraps `id`.
    ///
    /// # Errors
    /// [`IdError`] if `id` is empty, longer than [`MAX_LEN`](Self::MAX_LEN) bytes, or contains
    /// an ASCII control character (U+0000–U+001F, U+007F).
    pub fn new(id: &str) -> Result<Self, IdError> {
        check(id)?;
        Ok(Self(Arc::from(id)))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The validity rule of [`ItemId::new`], without allocating.
pub(crate) fn check(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > ItemId::MAX_LEN {
        return Err(IdError::TooLong {
            len: id.len(),
            max: ItemId::MAX_LEN,
        });
    }
    if let Some(index) = id.bytes().position(|b| b.is_ascii_control()) {
        return Err(IdError::ControlCharacter { index });
    }
    Ok(())
}

impl TryFrom<&str> for ItemId {
    type Error = IdError;

    fn try_from(id: &str) -> Result<Self, IdError> {
        Self::new(id)
    }
}

impl TryFrom<String> for ItemId {
    type Error = IdError;

    fn try_from(id: String) -> Result<Self, IdError> {
        check(&id)?;
        Ok(Self(Arc::from(id)))
    }
}

impl std::str::FromStr for ItemId {
    type Err = IdError;

    fn from_str(id: &str) -> Result<Self, IdError> {
        Self::new(id)
    }
}

impl AsRef<str> for ItemId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ItemId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ItemId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ItemId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl serde::Serialize for ItemId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_printable_and_non_ascii_text() {
        for id in [
            "1",
            "01HZX3",
            "https://example.com/a?b=c#d",
            "é 字 😀",
            &"x".repeat(256),
        ] {
            assert_eq!(ItemId::new(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn refuses_what_sse_or_http_cannot_carry() {
        assert_eq!(ItemId::new(""), Err(IdError::Empty));
        assert_eq!(
            ItemId::new(&"x".repeat(257)),
            Err(IdError::TooLong { len: 257, max: 256 })
        );
        for (id, index) in [
            ("a\nb", 1),
            ("\r", 0),
            ("ab\0", 2),
            ("a\u{7f}", 1),
            ("\t", 0),
        ] {
            assert_eq!(ItemId::new(id), Err(IdError::ControlCharacter { index }));
        }
    }

    #[test]
    fn serde_checks_the_rule() {
        let id: ItemId = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(id, "42");
        assert!(serde_json::from_str::<ItemId>("\"a\\nb\"").is_err());
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"42\"");
    }
}
