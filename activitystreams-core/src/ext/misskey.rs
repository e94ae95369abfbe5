//! Misskey terms other servers read.

use super::{flag, single_str};
use crate::builder::ObjectBuilder;
use crate::object::Object;
use crate::string::Str;
use crate::vocab::Term;

impl Object<'_> {
    /// The MFM source of the content (`_misskey_content`).
    #[must_use]
    pub fn misskey_content_source(&self) -> Option<&str> {
        single_str(self.misskey_content())
    }

    /// The MFM source of the summary (`_misskey_summary`).
    #[must_use]
    pub fn misskey_summary_source(&self) -> Option<&str> {
        single_str(self.misskey_summary())
    }

    /// `isCat` as a boolean.
    #[must_use]
    pub fn is_cat_account(&self) -> Option<bool> {
        flag(self.is_cat())
    }
}

/// Writing the Misskey terms read above (`_misskey_quote` is with the other quote markers,
/// [`ObjectBuilder::misskey_quote`]).
impl<'a> ObjectBuilder<'a> {
    /// Sets `_misskey_content`, the MFM source of the content
    /// ([`Object::misskey_content_source`]).
    pub fn misskey_content(self, source: impl Into<Str<'a>>) -> Self {
        self.text(Term::MisskeyContent, source.into())
    }

    /// Sets `_misskey_summary`, the MFM source of the summary
    /// ([`Object::misskey_summary_source`]).
    pub fn misskey_summary(self, source: impl Into<Str<'a>>) -> Self {
        self.text(Term::MisskeySummary, source.into())
    }

    /// Sets `isCat` ([`Object::is_cat_account`]).
    pub fn is_cat(self, cat: bool) -> Self {
        self.flag(Term::IsCat, cat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_misskey_terms() {
        let o = Object::from_str(r#"{"_misskey_content":"**hi** :blob:","isCat":true}"#).unwrap();
        assert_eq!(o.misskey_content_source(), Some("**hi** :blob:"));
        assert_eq!(o.is_cat_account(), Some(true));
        assert_eq!(o.misskey_summary_source(), None);
    }
}
