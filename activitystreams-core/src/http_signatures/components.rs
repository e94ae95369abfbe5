//! What a signature covers, taken from an `http` request: header values combined as both
//! signature schemes combine them, and the parts of the request target.

use http::{HeaderMap, Method, Uri};

use super::error::ComponentError;

fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// The values of every field line named `name`, each without surrounding whitespace, joined
/// with `", "` in message order; `None` when the header is absent.
pub(super) fn joined(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let mut out = trim_ows(first.as_bytes()).to_vec();
    for value in values {
        out.extend_from_slice(b", ");
        out.extend_from_slice(trim_ows(value.as_bytes()));
    }
    Some(out)
}

/// The parts of a request a signature can cover besides its headers.
pub(super) struct Target<'a> {
    pub(super) method: &'a Method,
    pub(super) uri: &'a Uri,
    pub(super) headers: &'a HeaderMap,
}

impl Target<'_> {
    /// Path and query as sent on the request line (`/` for an empty path).
    pub(super) fn request_target(&self) -> String {
        let path = self.path();
        match self.uri.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.to_owned(),
        }
    }

    pub(super) fn path(&self) -> &str {
        match self.uri.path() {
            "" => "/",
            path => path,
        }
    }

    pub(super) fn scheme(&self) -> Result<String, ComponentError> {
        self.uri
            .scheme_str()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| ComponentError::Unavailable("@scheme".to_owned()))
    }

    /// The authority, lower-cased, from the URI or else the `Host` header, without the
    /// scheme's default port.
    pub(super) fn authority(&self) -> Result<String, ComponentError> {
        let unavailable = || ComponentError::Unavailable("@authority".to_owned());
        let authority = match self.uri.authority() {
            Some(authority) => authority.as_str().to_ascii_lowercase(),
            None => {
                let host = joined(self.headers, "host").ok_or_else(unavailable)?;
                String::from_utf8(host)
                    .map_err(|_| unavailable())?
                    .to_ascii_lowercase()
            }
        };
        let default_port = match self.uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("https") => Some(":443"),
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => Some(":80"),
            _ => None,
        };
        Ok(match default_port {
            Some(port) if authority.ends_with(port) => {
                authority[..authority.len() - port.len()].to_owned()
            }
            _ => authority,
        })
    }

    pub(super) fn target_uri(&self) -> Result<String, ComponentError> {
        let scheme = self
            .uri
            .scheme_str()
            .ok_or_else(|| ComponentError::Unavailable("@target-uri".to_owned()))?;
        if self.uri.authority().is_none() {
            return Err(ComponentError::Unavailable("@target-uri".to_owned()));
        }
        Ok(format!(
            "{}://{}{}",
            scheme.to_ascii_lowercase(),
            self.authority()?,
            self.request_target()
        ))
    }

    /// `@query-param;name=…` (RFC 9421 §2.2.8): the one value of the parameter `name` in the
    /// query, decoded and re-encoded with the form-urlencoded percent-encode set.
    pub(super) fn query_param(&self, name: &str) -> Result<String, ComponentError> {
        let query = self.uri.query().unwrap_or("");
        let mut found = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if key == name {
                if found.is_some() {
                    return Err(ComponentError::QueryParam(name.to_owned()));
                }
                found = Some(value);
            }
        }
        let value = found.ok_or_else(|| ComponentError::QueryParam(name.to_owned()))?;
        Ok(encode_query_part(&value))
    }
}

/// Percent-encodes with the application/x-www-form-urlencoded set, space as `%20`.
pub(super) fn encode_query_part(value: &str) -> String {
    // byte_serialize writes a space as '+' and a literal '+' as "%2B", so every '+' left
    // in its output stands for a space.
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
