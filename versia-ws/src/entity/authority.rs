//! Who may send what: an entity signed by an instance speaks only for that instance's users.
//!
//! A signature proves which instance sent an entity, nothing more. So an entity's `author`
//! must be a user of the signing instance; anything else the entity names (mentions, the
//! followee, the shared or deleted note) is a plain reference to look up, never an identity
//! the signature vouches for.
//!
//! Which instance a reference names:
//!
//! | version | reference | names |
//! |---|---|---|
//! | 0.6 | `domain:id` | `domain` |
//! | 0.6 | `id` (no `:`) | none: the entity's own instance, i.e. the signer |
//! | 0.5 | an absolute URI | its host, with its port if any (a URI without a host names no instance that can sign, so it never matches) |
//! | 0.5 | anything else | none: the signer |
//!
//! An author that names an instance must name the signer's: for 0.6 the signing domain, for
//! 0.5 the host of the signer (`instance <host>`, or a user URI's host). Hosts compare without
//! regard to ASCII case.

use crate::signer::SignedBy;
use crate::version::Version;

/// The longest author text kept in an [`AuthorityError`] (bytes; longer ones are cut).
const MAX_AUTHOR_IN_ERROR: usize = 256;

/// Why an entity may not come from the instance that signed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The entity's author is a user of another instance than the signer.
    #[error(
        "the author `{author}` is not a user of {signer}: an instance signs only for its own users"
    )]
    ForeignAuthor {
        /// The author as the entity gives it (cut to 256 bytes).
        author: String,
        /// Who signed.
        signer: SignedBy,
    },
}

impl AuthorityError {
    /// A stable snake_case name, used as the `code` of error replies (`foreign_author`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::ForeignAuthor { .. } => "foreign_author",
        }
    }
}

/// The instance `reference` names, if it names one: in 0.6 `domain:id` names `domain`; in 0.5
/// an absolute URI names its host, with its port if any (`""` for a URI without a host).
/// `None` means the reference is relative to the entity's own instance (a bare 0.6 id, or
/// 0.5 text that is not a URI).
///
/// ```
/// use versia_ws::Version;
/// use versia_ws::entity::reference_instance;
///
/// assert_eq!(reference_instance(Version::V0_6, "bob.example:1234").as_deref(), Some("bob.example"));
/// assert_eq!(reference_instance(Version::V0_6, "1234"), None);
/// assert_eq!(
///     reference_instance(Version::V0_5, "https://bob.example:8443/users/1").as_deref(),
///     Some("bob.example:8443")
/// );
/// ```
pub fn reference_instance(version: Version, reference: &str) -> Option<String> {
    match version {
        Version::V0_6 => reference
            .split_once(':')
            .map(|(domain, _)| domain.to_owned()),
        Version::V0_5 => url::Url::parse(reference).ok().map(|url| {
            let host = url.host_str().unwrap_or_default();
            match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            }
        }),
    }
}

/// Checks that `author` (a reference or URI, as the entity carries it) is a user of `signer`:
/// a signature vouches for the signer's own users only. An author that names an instance
/// ([`reference_instance`]) must name the signer's domain (0.6) or host (0.5: the host of
/// `instance <host>` or of a user URI), compared without regard to ASCII case; one that names
/// none is the signer's. Other references in an entity (mentions, followee, the shared or
/// deleted entity) are plain references, never identities, and are not checked here.
///
/// # Errors
/// [`AuthorityError::ForeignAuthor`] when `author` names another instance than the signer's.
pub fn check_author(
    version: Version,
    signer: &SignedBy,
    author: &str,
) -> Result<(), AuthorityError> {
    let Some(named) = reference_instance(version, author) else {
        return Ok(());
    };
    match signer.host() {
        Some(host) if host.eq_ignore_ascii_case(&named) => Ok(()),
        _ => Err(AuthorityError::ForeignAuthor {
            author: cut(author),
            signer: signer.clone(),
        }),
    }
}

fn cut(text: &str) -> String {
    let mut end = text.len().min(MAX_AUTHOR_IN_ERROR);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v06_references() {
        let peer = SignedBy::instance("peer.example");
        assert_eq!(check_author(Version::V0_6, &peer, "carol"), Ok(()));
        assert_eq!(
            check_author(Version::V0_6, &peer, "peer.example:carol"),
            Ok(())
        );
        assert_eq!(
            check_author(Version::V0_6, &peer, "Peer.Example:carol"),
            Ok(())
        );
        for foreign in [
            "hub.example:alice",
            "other.example:mallory",
            "https://peer.example/users/carol",
            ":carol",
            "peer.example.evil:carol",
        ] {
            assert_eq!(
                check_author(Version::V0_6, &peer, foreign),
                Err(AuthorityError::ForeignAuthor {
                    author: foreign.into(),
                    signer: peer.clone()
                }),
                "{foreign}"
            );
        }
    }

    #[test]
    fn v05_uris() {
        let instance = SignedBy::instance("bob.example:3000");
        assert_eq!(
            check_author(Version::V0_5, &instance, "https://bob.example:3000/users/1"),
            Ok(())
        );
        assert!(
            check_author(Version::V0_5, &instance, "https://bob.example/users/1").is_err(),
            "another port is another instance"
        );
        let user = SignedBy::user("https://bob.example/users/1");
        assert_eq!(
            check_author(Version::V0_5, &user, "https://bob.example/users/2"),
            Ok(())
        );
        assert_eq!(
            check_author(Version::V0_5, &user, "https://eve.example/users/1")
                .unwrap_err()
                .code(),
            "foreign_author"
        );
        // Not a URI: relative to the signer. A URI without a host matches no signer.
        assert_eq!(check_author(Version::V0_5, &user, "bob"), Ok(()));
        assert!(check_author(Version::V0_5, &user, "mailto:bob@bob.example").is_err());
    }

    #[test]
    fn long_authors_are_cut_in_errors() {
        let author = format!("x.example:{}", "é".repeat(400));
        let Err(AuthorityError::ForeignAuthor { author: kept, .. }) =
            check_author(Version::V0_6, &SignedBy::instance("peer.example"), &author)
        else {
            panic!("a foreign author");
        };
        assert!(kept.len() <= MAX_AUTHOR_IN_ERROR && author.starts_with(&kept));
        assert!(kept.len() > MAX_AUTHOR_IN_ERROR - 2);
    }
}
