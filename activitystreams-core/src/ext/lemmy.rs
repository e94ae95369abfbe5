//! Lemmy terms other servers read.

use super::{embedded, first_id, flag, single_str};
use crate::builder::ObjectBuilder;
use crate::object::Object;
use crate::prop::Ref;
use crate::string::Str;
use crate::vocab::Term;

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

    /// Whether a comment is distinguished by a moderator (`distinguished`).
    #[must_use]
    pub fn is_distinguished(&self) -> Option<bool> {
        flag(self.distinguished())
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

/// Writing the Lemmy terms read above.
impl<'a> ObjectBuilder<'a> {
    /// Sets `language` as Lemmy writes it: `{"identifier":"en","name":"English"}`
    /// ([`Object::language_code`]).
    pub fn language(self, identifier: impl Into<Str<'a>>, name: impl Into<Str<'a>>) -> Self {
        let language = ObjectBuilder::untyped()
            .text(Term::Identifier, identifier.into())
            .name(name)
            .build();
        self.set_ref(Term::Language, Ref::from(language))
    }

    /// Sets `stickied` (a post pinned in its community; [`Object::is_stickied`]).
    pub fn stickied(self, stickied: bool) -> Self {
        self.flag(Term::Stickied, stickied)
    }

    /// Sets `distinguished` (a comment distinguished by a moderator;
    /// [`Object::is_distinguished`]).
    pub fn distinguished(self, distinguished: bool) -> Self {
        self.flag(Term::Distinguished, distinguished)
    }

    /// Sets `postingRestrictedToMods` ([`Object::is_posting_restricted_to_mods`]).
    pub fn posting_restricted_to_mods(self, restricted: bool) -> Self {
        self.flag(Term::PostingRestrictedToMods, restricted)
    }

    /// Sets `moderators`, a community's moderators collection ([`Object::moderators_id`]).
    pub fn moderators(self, collection: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::Moderators, collection.into())
    }

    /// Sets `matrixUserId`, the user's Matrix id.
    pub fn matrix_user_id(self, id: impl Into<Str<'a>>) -> Self {
        self.text(Term::MatrixUserId, id.into())
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
