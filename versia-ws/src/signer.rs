//! `Versia-Signed-By`: who signed a request or a WebSocket message.
//!
//! - **0.5**: the URI of the user who signed, or `instance <host>` for the instance itself
//!   (`<host>` may carry a port, as `InstanceMetadata.host` does in 0.5).
//! - **0.6**: the instance's *domain*: a hostname without scheme, port, path or trailing dot,
//!   with internationalised names in Punycode (`api/basics#domain`).

use std::fmt;

use crate::version::Version;

/// The longest `Versia-Signed-By` value accepted (bytes).
pub const MAX_SIGNED_BY_LEN: usize = 2048;

/// A parsed `Versia-Signed-By` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SignedBy {
    /// An instance, named by its domain (0.6) or host (0.5, `instance <host>`).
    Instance(String),
    /// A user, named by the absolute `https`/`http` URI of their profile (0.5 only).
    User(String),
}

/// Why a `Versia-Signed-By` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedByError {
    /// Longer than [`MAX_SIGNED_BY_LEN`].
    #[error("Versia-Signed-By is {len} bytes, over the {limit}-byte limit")]
    TooLong {
        /// Length of the value.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a valid 0.6 domain.
    #[error("Versia-Signed-By `{value}` is not a Versia 0.6 domain: {reason}")]
    InvalidDomain {
        /// The value as received.
        value: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Not `instance <host>` nor an absolute http(s) URI (0.5).
    #[error(
        "Versia-Signed-By `{value}` is neither a user URI nor `instance <host>` (0.5): {reason}"
    )]
    InvalidSigner {
        /// The value as received.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A user signer cannot be written in 0.6, where only instances sign.
    #[error("a user signer cannot be used with Versia 0.6, where only instances sign")]
    UserInV06,
}

impl SignedBy {
    /// An instance signer.
    pub fn instance(host: impl Into<String>) -> Self {
        Self::Instance(host.into())
    }

    /// A user signer (0.5).
    pub fn user(uri: impl Into<String>) -> Self {
        Self::User(uri.into())
    }

    /// Parses a header value by the rules of `version`.
    pub fn parse(version: Version, value: &str) -> Result<Self, SignedByError> {
        if value.len() > MAX_SIGNED_BY_LEN {
            return Err(SignedByError::TooLong {
                len: value.len(),
                limit: MAX_SIGNED_BY_LEN,
            });
        }
        match version {
            Version::V0_6 => {
                check_domain(value).map_err(|reason| SignedByError::InvalidDomain {
                    value: value.to_owned(),
                    reason,
                })?;
                Ok(Self::Instance(value.to_owned()))
            }
            Version::V0_5 => parse_v05(value),
        }
    }

    /// The header value for `version`. A user signer has no 0.6 form.
    pub fn to_header_value(&self, version: Version) -> Result<String, SignedByError> {
        match (self, version) {
            (Self::Instance(host), Version::V0_5) => Ok(format!("instance {host}")),
            (Self::Instance(domain), Version::V0_6) => Ok(domain.clone()),
            (Self::User(uri), Version::V0_5) => Ok(uri.clone()),
            (Self::User(_), Version::V0_6) => Err(SignedByError::UserInV06),
        }
    }

    /// The host the signer lives on: the instance itself, or the host of the user URI
    /// (with its port, if any). Used to check that a signer belongs to a connection's peer.
    pub fn host(&self) -> Option<String> {
        match self {
            Self::Instance(host) => Some(host.clone()),
            Self::User(uri) => url::Url::parse(uri).ok().and_then(|url| {
                let host = url.host_str()?.to_owned();
                Some(match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            }),
        }
    }
}

impl fmt::Display for SignedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Instance(host) => write!(f, "instance {host}"),
            Self::User(uri) => f.write_str(uri),
        }
    }
}

fn parse_v05(value: &str) -> Result<SignedBy, SignedByError> {
    let invalid = |reason: String| SignedByError::InvalidSigner {
        value: value.to_owned(),
        reason,
    };
    if let Some(host) = value.strip_prefix("instance ") {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') || name.starts_with('[') => {
                (name, Some(port))
            }
            _ => (host, None),
        };
        if let Some(port) = port {
            port.parse::<u16>()
                .map_err(|_| invalid(format!("port `{port}` is not a number 0-65535")))?;
        }
        url::Host::parse(name).map_err(|error| invalid(format!("host: {error}")))?;
        return Ok(SignedBy::Instance(host.to_owned()));
    }
    let url = url::Url::parse(value).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(invalid(
            "a user URI must be an absolute https or http URI".into(),
        ));
    }
    Ok(SignedBy::User(value.to_owned()))
}

/// Checks the 0.6 domain rules; returns the first rule broken.
fn check_domain(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("it is empty");
    }
    if value.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    if value.contains("://") {
        return Err("a protocol is not allowed");
    }
    if value.contains('/') {
        return Err("a path or slash is not allowed");
    }
    if value.contains(':') {
        return Err("a port number is not allowed");
    }
    if !value.is_ascii() {
        return Err("internationalised names must be Punycode encoded");
    }
    if value.ends_with('.') {
        return Err("a trailing dot is not allowed");
    }
    for label in value.split('.') {
        if label.is_empty() {
            return Err("empty labels (double dots) are not allowed");
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            return Err("labels may hold only letters, digits and hyphens");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label may not start or end with a hyphen");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_domain_examples() {
        // Valid and invalid examples from the Versia 0.6 spec (api/basics#domain).
        for valid in [
            "example.com",
            "test.localhost",
            "sus.example.org",
            "xn--ls8h.la",
            "1.0.1.7.0.8.0.0.0.0.7.4.0.1.0.0.2.ip6.arpa",
        ] {
            assert_eq!(
                SignedBy::parse(Version::V0_6, valid),
                Ok(SignedBy::instance(valid)),
                "{valid}"
            );
        }
        for invalid in [
            "example.com:3000",
            "test..localhost",
            "example.com.",
            "test.org/",
            "test.org/sus",
            "💩.la",
            "https://bob.org",
        ] {
            assert!(
                matches!(
                    SignedBy::parse(Version::V0_6, invalid),
                    Err(SignedByError::InvalidDomain { .. })
                ),
                "{invalid}"
            );
        }
    }

    #[test]
    fn v05_user_and_instance() {
        let user = "https://bongo.social/users/63a00ab3-39b1-49eb-b88e-ed65d2361f3e";
        assert_eq!(
            SignedBy::parse(Version::V0_5, user),
            Ok(SignedBy::user(user))
        );
        assert_eq!(
            SignedBy::parse(Version::V0_5, "instance bongo.social"),
            Ok(SignedBy::instance("bongo.social"))
        );
        assert_eq!(
            SignedBy::parse(Version::V0_5, "instance localhost:3000"),
            Ok(SignedBy::instance("localhost:3000"))
        );
        assert!(SignedBy::parse(Version::V0_5, "bongo.social").is_err());
        assert!(SignedBy::parse(Version::V0_5, "instance bad host").is_err());
        assert!(SignedBy::parse(Version::V0_5, "mailto:a@b.c").is_err());
    }

    #[test]
    fn header_values_and_hosts() {
        let instance = SignedBy::instance("bob.com");
        assert_eq!(instance.to_header_value(Version::V0_6).unwrap(), "bob.com");
        assert_eq!(
            instance.to_header_value(Version::V0_5).unwrap(),
            "instance bob.com"
        );
        let user = SignedBy::user("https://bob.com:8443/users/1");
        assert_eq!(
            user.to_header_value(Version::V0_6),
            Err(SignedByError::UserInV06)
        );
        assert_eq!(user.host().as_deref(), Some("bob.com:8443"));
        assert_eq!(instance.host().as_deref(), Some("bob.com"));
    }

    #[test]
    fn long_values_are_refused() {
        let long = "a".repeat(MAX_SIGNED_BY_LEN + 1);
        assert!(matches!(
            SignedBy::parse(Version::V0_5, &long),
            Err(SignedByError::TooLong { .. })
        ));
    }
}
