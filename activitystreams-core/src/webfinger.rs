//! WebFinger (RFC 7033) as the Fediverse uses it (feature `webfinger`): `acct:` URIs
//! (RFC 7565), JRD documents parsed and built, and the actor id from the `rel="self"` link of
//! type `application/activity+json`.
//!
//! No IO: the host fetches `https://host/.well-known/webfinger?resource=…`
//! ([`Acct::webfinger_url`]) and hands the body to [`Jrd::from_slice`]; a server answers a
//! [`WebFingerQuery`] with [`Jrd::for_actor`].
//!
//! ```
//! use activitystreams_core::webfinger::{Acct, Jrd, WebFingerQuery};
//!
//! // Client: whom to ask, and what the answer means.
//! let acct = Acct::parse("@Gargron@mastodon.social")?;
//! assert_eq!(
//!     acct.webfinger_url(),
//!     "https://mastodon.social/.well-known/webfinger?resource=acct%3AGargron%40mastodon.social"
//! );
//! let body = br#"{"subject":"acct:Gargron@mastodon.social",
//!   "aliases":["https://mastodon.social/@Gargron"],
//!   "links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://mastodon.social/@Gargron"},
//!            {"rel":"self","type":"application/activity+json","href":"https://mastodon.social/users/Gargron"}]}"#;
//! let jrd = Jrd::from_slice(body)?;
//! assert_eq!(jrd.resolve(&acct)?, "https://mastodon.social/users/Gargron");
//!
//! // Server: read the query, answer with the actor's links.
//! let query = WebFingerQuery::parse("resource=acct%3Aalice%40a.example&rel=self")?;
//! let asked = Acct::parse(&query.resource)?;
//! let answer = Jrd::for_actor(&asked, "https://a.example/users/alice", None);
//! assert_eq!(Jrd::from_slice(&answer.to_vec()?)?.resolve(&asked)?, "https://a.example/users/alice");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest JRD body [`Jrd::from_slice`] reads: 64 KiB (Mastodon's are under 1 KiB).
pub const MAX_JRD_BYTES: usize = 64 * 1024;

/// Longest `acct:` URI [`Acct::parse`] reads: 1 KiB.
pub const MAX_ACCT_BYTES: usize = 1024;

/// The media type of ActivityPub actor documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// The JRD media type.
pub const JRD_JSON: &str = "application/jrd+json";

/// The `rel` of a profile page link.
pub const PROFILE_PAGE_REL: &str = "http://webfinger.net/rel/profile-page";

/// A WebFinger refusal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebFingerError {
    /// The body is longer than [`MAX_JRD_BYTES`], or an `acct:` longer than [`MAX_ACCT_BYTES`].
    #[error("longer than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body is not a JRD.
    #[error("not a JRD document")]
    Json(#[source] serde_json::Error),
    /// The body, or one of its links, is not a JSON object.
    #[error("a JRD and its links are JSON objects")]
    NotAnObject,
    /// Not an `acct:` URI (`acct:user@host`, or `user@host` / `@user@host`).
    #[error("not an acct: URI: {0:?}")]
    InvalidAcct(String),
    /// The JRD is about another account (neither its `subject` nor an alias).
    #[error("the JRD is about {found:?}, not {expected:?}")]
    SubjectMismatch {
        /// The account asked for.
        expected: String,
        /// The subject of the JRD.
        found: String,
    },
    /// No `rel="self"` link of type `application/activity+json` (or the ActivityStreams
    /// profile of `application/ld+json`) with an `href`.
    #[error("no ActivityPub actor link")]
    NoActorLink,
    /// The query has no `resource` parameter.
    #[error("the query has no resource")]
    MissingResource,
}

/// An account `user@host` (the `acct:` URI of RFC 7565).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Acct {
    user: String,
    host: String,
}

impl Acct {
    /// Reads `acct:user@host`, or the handles `user@host` and `@user@host`. The host is
    /// lower-cased; the user is kept as written (percent-decoded).
    ///
    /// # Errors
    ///
    /// [`WebFingerError::TooLarge`] when the input, or the account written back as
    /// `acct:user@host`, is longer than [`MAX_ACCT_BYTES`]; [`WebFingerError::InvalidAcct`] for
    /// an empty user or one with whitespace, control characters, `@`, `/`, `?` or `#`, a host
    /// that is not a DNS name or IP address, or another scheme.
    pub fn parse(input: &str) -> Result<Self, WebFingerError> {
        if input.len() > MAX_ACCT_BYTES {
            return Err(WebFingerError::TooLarge {
                limit: MAX_ACCT_BYTES,
            });
        }
        let invalid = || WebFingerError::InvalidAcct(input.to_owned());
        let rest = match input.get(..5) {
            Some(scheme) if scheme.eq_ignore_ascii_case("acct:") => &input[5..],
            _ => input.strip_prefix('@').unwrap_or(input),
        };
        let (user, host) = rest.rsplit_once('@').ok_or_else(invalid)?;
        let user: String =
            url::form_urlencoded::parse(format!("u={}", user.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
        if user.is_empty()
            || user.contains(['@', '/', '?', '#'])
            || user.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let host = url::Host::parse(host).map_err(|_| invalid())?.to_string();
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
        {
            return Err(invalid());
        }
        let acct = Self { user, host };
        // Percent-encoding can make the written form longer than what was read.
        if acct.to_string().len() > MAX_ACCT_BYTES {
            return Err(WebFingerError::TooLarge {
                limit: MAX_ACCT_BYTES,
            });
        }
        Ok(acct)
    }

    /// The user part.
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The host, lower-case.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL to fetch: `https://host/.well-known/webfinger?resource=acct%3Auser%40host`.
    #[must_use]
    pub fn webfinger_url(&self) -> String {
        let resource: String =
            url::form_urlencoded::byte_serialize(self.to_string().as_bytes()).collect();
        format!(
            "https://{}/.well-known/webfinger?resource={resource}",
            self.host
        )
    }
}

impl fmt::Display for Acct {
    /// `acct:user@host`, the user percent-encoded where RFC 7565 asks (outside the unreserved
    /// and sub-delimiter characters).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("acct:")?;
        for byte in self.user.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&byte) {
                write!(f, "{}", char::from(byte))?;
            } else {
                write!(f, "%{byte:02X}")?;
            }
        }
        write!(f, "@{}", self.host)
    }
}

/// A link of a JRD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Link {
    /// The relation (`self`, a URI).
    pub rel: String,
    /// The media type of the target.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// A URI template (OStatus subscribe links).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Titles by language tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub titles: BTreeMap<String, String>,
    /// Properties (URI to value or null).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Option<String>>,
}

impl Link {
    /// A link with a relation, a media type and a target.
    #[must_use]
    pub fn new(rel: impl Into<String>, media_type: Option<&str>, href: impl Into<String>) -> Self {
        Self {
            rel: rel.into(),
            media_type: media_type.map(str::to_owned),
            href: Some(href.into()),
            template: None,
            titles: BTreeMap::new(),
            properties: BTreeMap::new(),
        }
    }

    /// Whether the link's type is an ActivityPub actor document: `application/activity+json`,
    /// or `application/ld+json` with the ActivityStreams profile.
    #[must_use]
    pub fn is_activity_json(&self) -> bool {
        let Some(media_type) = &self.media_type else {
            return false;
        };
        let mut parts = media_type.split(';').map(str::trim);
        let essence = parts.next().unwrap_or("").to_ascii_lowercase();
        essence == ACTIVITY_JSON
            || essence == "application/ld+json"
                && parts.any(|p| {
                    p.split_once('=').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("profile")
                            && v.trim().trim_matches('"') == "https://www.w3.org/ns/activitystreams"
                    })
                })
    }
}

/// A JSON Resource Descriptor (RFC 7033 §4.4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Jrd {
    /// The account or resource the document is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Other URIs of the same subject (the actor id, the profile page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Properties (URI to value or null).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Option<String>>,
    /// Links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

impl Jrd {
    /// Reads a JRD. Unknown members are ignored; members of the wrong type are refused.
    ///
    /// # Errors
    ///
    /// [`WebFingerError::TooLarge`] beyond [`MAX_JRD_BYTES`], [`WebFingerError::NotAnObject`],
    /// [`WebFingerError::Json`].
    pub fn from_slice(body: &[u8]) -> Result<Self, WebFingerError> {
        if body.len() > MAX_JRD_BYTES {
            return Err(WebFingerError::TooLarge {
                limit: MAX_JRD_BYTES,
            });
        }
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(WebFingerError::Json)?;
        // serde's derived structs also read JSON arrays (as tuples); a JRD and its links are
        // objects only.
        let links_are_objects = value
            .get("links")
            .and_then(serde_json::Value::as_array)
            .is_none_or(|links| links.iter().all(serde_json::Value::is_object));
        if !value.is_object() || !links_are_objects {
            return Err(WebFingerError::NotAnObject);
        }
        serde_json::from_value(value).map_err(WebFingerError::Json)
    }

    /// The JRD as JSON.
    ///
    /// # Errors
    ///
    /// [`WebFingerError::Json`] (serde_json does not fail on these types).
    pub fn to_vec(&self) -> Result<Vec<u8>, WebFingerError> {
        serde_json::to_vec(self).map_err(WebFingerError::Json)
    }

    /// The JRD a server gives for an actor: subject `acct:…`, the actor id as alias, the
    /// `self` link of type `application/activity+json`, and a profile page link when given.
    #[must_use]
    pub fn for_actor(acct: &Acct, actor_id: &str, profile_page: Option<&str>) -> Self {
        let mut aliases = vec![actor_id.to_owned()];
        let mut links = Vec::new();
        if let Some(page) = profile_page {
            aliases.push(page.to_owned());
            links.push(Link::new(PROFILE_PAGE_REL, Some("text/html"), page));
        }
        links.push(Link::new("self", Some(ACTIVITY_JSON), actor_id));
        Self {
            subject: Some(acct.to_string()),
            aliases,
            properties: BTreeMap::new(),
            links,
        }
    }

    /// The actor id: the `href` of the first `rel="self"` link whose type is an ActivityPub
    /// actor document ([`Link::is_activity_json`]).
    #[must_use]
    pub fn actor_id(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|link| link.rel == "self" && link.is_activity_json())
            .and_then(|link| link.href.as_deref())
    }

    /// The actor id of `acct`, once the JRD is checked to be about it: its `subject` (or one
    /// of its aliases) is `acct`, compared with the host case-insensitively.
    ///
    /// # Errors
    ///
    /// [`WebFingerError::SubjectMismatch`], [`WebFingerError::NoActorLink`].
    pub fn resolve(&self, acct: &Acct) -> Result<&str, WebFingerError> {
        let about = |uri: &str| Acct::parse(uri).is_ok_and(|other| other == *acct);
        let subject = self.subject.as_deref().unwrap_or("");
        if !about(subject) && !self.aliases.iter().any(|alias| about(alias)) {
            return Err(WebFingerError::SubjectMismatch {
                expected: acct.to_string(),
                found: subject.to_owned(),
            });
        }
        self.actor_id().ok_or(WebFingerError::NoActorLink)
    }
}

/// The query of a WebFinger request: the resource and the `rel`s asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebFingerQuery {
    /// The `resource` parameter (decoded).
    pub resource: String,
    /// The `rel` parameters, in order.
    pub rels: Vec<String>,
}

impl WebFingerQuery {
    /// Reads the query string of `/.well-known/webfinger` (without the `?`).
    ///
    /// # Errors
    ///
    /// [`WebFingerError::TooLarge`] beyond [`MAX_ACCT_BYTES`] × 4, [`WebFingerError::MissingResource`].
    pub fn parse(query: &str) -> Result<Self, WebFingerError> {
        if query.len() > 4 * MAX_ACCT_BYTES {
            return Err(WebFingerError::TooLarge {
                limit: 4 * MAX_ACCT_BYTES,
            });
        }
        let mut resource = None;
        let mut rels = Vec::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "resource" if resource.is_none() => resource = Some(value.into_owned()),
                "rel" => rels.push(value.into_owned()),
                _ => {}
            }
        }
        Ok(Self {
            resource: resource.ok_or(WebFingerError::MissingResource)?,
            rels,
        })
    }
}
