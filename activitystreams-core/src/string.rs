//! [`Str`]: a JSON string kept exactly as it was read, borrowed from the input where possible.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// A JSON string value or key: the exact text (after JSON unescaping) of the source.
///
/// Parsing borrows the string from the input buffer whenever the source had no escape sequence,
/// so reading a document allocates nothing for most strings. Every `Str` also knows whether its
/// text can be written back into JSON without escaping (no `"`, `\` or control character); the
/// writer then copies it verbatim, which is what makes serialisation fast.
///
/// `Str` dereferences to `str`, compares with `str`, and converts from `&str`, `String` and
/// `Cow<str>`.
#[derive(Clone)]
pub struct Str<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    /// Needs no escaping when written as JSON.
    Clean(&'a str),
    /// Contains a character that must be escaped in JSON.
    Escaped(&'a str),
    CleanOwned(Box<str>),
    EscapedOwned(Box<str>),
}

impl<'a> Str<'a> {
    /// Wraps a borrowed string.
    #[must_use]
    pub fn borrowed(text: &'a str) -> Self {
        if needs_escape(text) {
            Str(Repr::Escaped(text))
        } else {
            Str(Repr::Clean(text))
        }
    }

    /// Wraps an owned string.
    #[must_use]
    pub fn owned(text: impl Into<Box<str>>) -> Str<'static> {
        let text = text.into();
        if needs_escape(&text) {
            Str(Repr::EscapedOwned(text))
        } else {
            Str(Repr::CleanOwned(text))
        }
    }

    /// A string that serde_json handed out borrowed from its input: serde_json borrows only
    /// strings without escape sequences, and JSON forbids raw control characters, so the text
    /// needs no escaping when written back.
    pub(crate) fn from_json_input(text: &'a str) -> Self {
        Str(Repr::Clean(text))
    }

    /// A copy of a string known to need no JSON escaping (see [`Str::from_json_input`]).
    pub(crate) fn owned_clean(text: &str) -> Str<'static> {
        Str(Repr::CleanOwned(text.into()))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Clean(s) | Repr::Escaped(s) => s,
            Repr::CleanOwned(s) | Repr::EscapedOwned(s) => s,
        }
    }

    /// Whether the text can be written into JSON verbatim (no `"`, `\` or control character).
    #[must_use]
    pub fn is_json_clean(&self) -> bool {
        matches!(self.0, Repr::Clean(_) | Repr::CleanOwned(_))
    }

    /// Whether the text is borrowed from the input buffer.
    #[must_use]
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Repr::Clean(_) | Repr::Escaped(_))
    }

    /// Copies borrowed text so the value no longer refers to the input buffer.
    #[must_use]
    pub fn into_owned(self) -> Str<'static> {
        Str(match self.0 {
            Repr::Clean(s) => Repr::CleanOwned(s.into()),
            Repr::Escaped(s) => Repr::EscapedOwned(s.into()),
            Repr::CleanOwned(s) => Repr::CleanOwned(s),
            Repr::EscapedOwned(s) => Repr::EscapedOwned(s),
        })
    }
}

/// Whether `text` contains a byte that JSON requires to be escaped inside a string.
pub(crate) fn needs_escape(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\')
}

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str<'_> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Str<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Str<'_> {}

impl PartialEq<str> for Str<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Str<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Str<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(text: &'a str) -> Self {
        Str::borrowed(text)
    }
}

impl From<String> for Str<'_> {
    fn from(text: String) -> Self {
        Str::owned(text)
    }
}

impl<'a> From<std::borrow::Cow<'a, str>> for Str<'a> {
    fn from(text: std::borrow::Cow<'a, str>) -> Self {
        match text {
            std::borrow::Cow::Borrowed(s) => Str::borrowed(s),
            std::borrow::Cow::Owned(s) => Str::owned(s),
        }
    }
}

impl Default for Str<'_> {
    fn default() -> Self {
        Str(Repr::Clean(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanliness_follows_json_escaping_rules() {
        assert!(Str::borrowed("https://example.com/a?b=c&d").is_json_clean());
        assert!(Str::borrowed("héllo ✓").is_json_clean());
        assert!(!Str::borrowed("say \"hi\"").is_json_clean());
        assert!(!Str::borrowed("back\\slash").is_json_clean());
        assert!(!Str::borrowed("line\nbreak").is_json_clean());
        assert!(!Str::owned("tab\t").is_json_clean());
        // DEL is not escaped by JSON.
        assert!(Str::owned("\u{7f}").is_json_clean());
    }

    #[test]
    fn into_owned_keeps_text_and_cleanliness() {
        let s = Str::borrowed("a\"b").into_owned();
        assert_eq!(s, "a\"b");
        assert!(!s.is_json_clean());
        assert!(!s.is_borrowed());
    }

    #[test]
    fn stays_small() {
        assert!(std::mem::size_of::<Str<'_>>() <= 24);
    }
}
