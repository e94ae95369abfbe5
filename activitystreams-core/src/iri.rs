//! IRIs: kept as exact strings, converted to [`url::Url`] on access.

use url::Url;

/// Why an IRI could not be turned into a [`Url`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IriError {
    /// The IRI has no scheme (it is relative), so it cannot be resolved without a base.
    #[error("relative IRI {iri:?}: an absolute IRI with a scheme is required")]
    Relative {
        /// The IRI as written.
        iri: String,
    },
    /// The URL parser refused it; the source is its reason.
    #[error("invalid IRI {iri:?}")]
    Invalid {
        /// The IRI as written.
        iri: String,
        /// The parser's reason.
        #[source]
        source: url::ParseError,
    },
}

/// Parses an IRI as written into a [`Url`] (IDNA and percent-encoding applied by `url`).
///
/// # Errors
/// [`IriError::Relative`] without a scheme, [`IriError::Invalid`] when `url` refuses it.
pub fn parse_iri(iri: &str) -> Result<Url, IriError> {
    if !has_scheme(iri) {
        return Err(IriError::Relative {
            iri: iri.to_owned(),
        });
    }
    Url::parse(iri).map_err(|source| IriError::Invalid {
        iri: iri.to_owned(),
        source,
    })
}

/// Whether `iri` starts with a scheme (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") ":"`), as an
/// absolute IRI must (RFC 3987). Compact IRIs such as `as:Public` pass, as they should in
/// JSON-LD.
#[must_use]
pub fn has_scheme(iri: &str) -> bool {
    let Some((scheme, _)) = iri.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Whether `iri` is an absolute IRI: it has a scheme and no whitespace or control character.
#[must_use]
pub fn is_absolute_iri(iri: &str) -> bool {
    has_scheme(iri) && !iri.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The origin (scheme, host, port) of an IRI, for same-origin checks.
#[must_use]
pub fn origin_of(iri: &str) -> Option<url::Origin> {
    let url = parse_iri(iri).ok()?;
    let origin = url.origin();
    origin.is_tuple().then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_and_relative() {
        assert!(is_absolute_iri("https://example.com/a"));
        assert!(is_absolute_iri("as:Public"));
        assert!(is_absolute_iri("urn:uuid:1234"));
        assert!(is_absolute_iri(
            "tag:mas.to,2024-11-12:objectId=1:objectType=Conversation"
        ));
        assert!(!is_absolute_iri("images/sally.jpg"));
        assert!(!is_absolute_iri("/users/alice"));
        assert!(!is_absolute_iri("_:b0"));
        assert!(!is_absolute_iri("1http://x"));
        assert!(!is_absolute_iri("https://exa mple.com/"));
    }

    #[test]
    fn parse_reports_typed_errors() {
        assert!(parse_iri("https://example.com/a").is_ok());
        assert!(matches!(parse_iri("a/b"), Err(IriError::Relative { .. })));
        assert!(matches!(
            parse_iri("https://exa mple.com"),
            Err(IriError::Invalid { .. })
        ));
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://a.example/x"),
            origin_of("https://a.example:443/y")
        );
        assert_ne!(
            origin_of("https://a.example/x"),
            origin_of("https://b.example/x")
        );
        assert_eq!(origin_of("urn:x:y"), None);
    }
}
