//! Lemmy terms other servers read.

use super::{embedded, first_id, flag, single_str};
use crate::object::Object;

impl Object<'_> {
    /// The language code of Lemmy's `language` object (`identifier`, e.g. `en`).
    #[must_use]
    pub fn language_code(&self) -> Option<&str> {
        embedded(self.language())
            .next()
            .and_then(|l| single_str(l.identifier()))
    }

    /// Whether a post is pinned in its community (`stickied`).
    #[must_use]
    pub fn is_stickied(&self) -> Option<bool> {
        flag(self.stickied())
    }

    /// Whether a community only lets moderators post (`postingRestrictedToMods`).
    #[must_use]
    pub fn is_posting_restricted_to_mods(&self) -> Option<bool> {
        flag(self.posting_restricted_to_mods())
    }

    /// The id of a community's `moderators` collection.
    #[must_use]
    pub fn moderators_id(&self) -> Option<&str> {
        first_id(self.moderators())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lemmy_terms() {
        let o = Object::from_str(
            r#"{"type":"Page","stickied":false,"language":{"identifier":"en","name":"English"},
            "audience":"https://l/c/rust"}"#,
        )
        .unwrap();
        assert_eq!(o.language_code(), Some("en"));
        assert_eq!(o.is_stickied(), Some(false));
        let group = Object::from_str(r#"{"type":"Group","moderators":"https://l/c/rust/moderators","postingRestrictedToMods":true}"#).unwrap();
        assert_eq!(group.moderators_id(), Some("https://l/c/rust/moderators"));
        assert_eq!(group.is_posting_restricted_to_mods(), Some(true));
    }
}
