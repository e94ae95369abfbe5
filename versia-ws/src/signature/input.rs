//! The string that is signed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use crate::path::{PathForm, encode_path, versia_server_path};

/// The longest method accepted (bytes); real methods are a few letters.
const MAX_METHOD_LEN: usize = 32;

/// Why a signed string could not be built from the parts given (a caller mistake, not a
/// peer's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The method is empty, too long, or not an HTTP token.
    #[error("method `{0}` is not an HTTP method token")]
    InvalidMethod(String),
    /// The path does not start with `/`, or carries a query or fragment.
    #[error("path `{path}` is not a request path: {reason}")]
    InvalidPath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// What a Versia signature covers: method, path, time and body digest.
///
/// Build it from explicit parts ([`SignatureInput::new`]) or from an `http` request
/// ([`SignatureInput::from_request`]); a response is signed with the parts of its request
/// ([`SignatureInput::for_response`]).
///
/// The digest is always that of the exact body bytes, in both path forms (see
/// [`crate::signature`] on versia-server's text decoding of bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInput {
    method: String,
    path: String,
    /// versia-server's form of the path, when it differs from `path`.
    versia_server_path: Option<String>,
    signed_at: u64,
    digest: String,
    /// Whether UTF-8 text decoding gives back the body's bytes (see [`body_is_text`]).
    body_is_text: bool,
}

impl SignatureInput {
    /// From explicit parts. `method` in any case (`POST` and `post` give the same string);
    /// `path` starting with `/`, without query or fragment, as sent (it is encoded by
    /// [`crate::path`]: [`encode_path`] for the strict form, [`versia_server_path`] for
    /// versia-server's); `signed_at` in unix seconds; `body` the exact bytes sent (empty for a
    /// `GET`).
    pub fn new(method: &str, path: &str, signed_at: u64, body: &[u8]) -> Result<Self, InputError> {
        let method = normalise_method(method)?;
        let strict = checked_path(path)?;
        let versia_server = versia_server_path(path);
        let versia_server_path = (versia_server != strict).then(|| versia_server.into_owned());
        Ok(Self {
            method,
            path: strict,
            versia_server_path,
            signed_at,
            digest: body_digest(body),
            body_is_text: body_is_text(body),
        })
    }

    /// From an `http` request: its method, its URI's path (the query is ignored) and its body.
    pub fn from_request<B: AsRef<[u8]>>(
        request: &http::Request<B>,
        signed_at: u64,
    ) -> Result<Self, InputError> {
        Self::from_method_uri(
            request.method(),
            request.uri(),
            signed_at,
            request.body().as_ref(),
        )
    }

    /// From request head parts and the body bytes.
    pub fn from_parts(
        parts: &http::request::Parts,
        body: &[u8],
        signed_at: u64,
    ) -> Result<Self, InputError> {
        Self::from_method_uri(&parts.method, &parts.uri, signed_at, body)
    }

    /// For a response: the method and URI of the request it answers, the response body.
    pub fn for_response(
        request_method: &http::Method,
        request_uri: &http::Uri,
        signed_at: u64,
        response_body: &[u8],
    ) -> Result<Self, InputError> {
        Self::from_method_uri(request_method, request_uri, signed_at, response_body)
    }

    pub(crate) fn from_method_uri(
        method: &http::Method,
        uri: &http::Uri,
        signed_at: u64,
        body: &[u8],
    ) -> Result<Self, InputError> {
        let path = match uri.path() {
            "" => "/",
            path => path,
        };
        Self::new(method.as_str(), path, signed_at, body)
    }

    /// Same method, path and body at another time (cheap: the digest is reused).
    pub fn at(&self, signed_at: u64) -> Self {
        Self {
            signed_at,
            ..self.clone()
        }
    }

    /// The same method, path and time over another body: the head of a request is checked
    /// before its body arrives ([`crate::signature::verify_request_head`]).
    pub(crate) fn with_body(mut self, body: &[u8]) -> Self {
        self.digest = body_digest(body);
        self.body_is_text = body_is_text(body);
        self
    }

    /// The lower-case method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The encoded path (strict form).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path in `form`.
    pub fn path_in(&self, form: PathForm) -> &str {
        match form {
            PathForm::VersiaServer => self.versia_server_path.as_deref().unwrap_or(&self.path),
            PathForm::Strict => &self.path,
        }
    }

    /// Whether UTF-8 text decoding gives back the exact body bytes ([`body_is_text`]): only
    /// then does versia-server hash the bytes that were sent.
    pub fn body_is_text(&self) -> bool {
        self.body_is_text
    }

    /// Unix seconds.
    pub fn signed_at(&self) -> u64 {
        self.signed_at
    }

    /// base64 of the SHA-256 of the body.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The signed string, `method path signed_at digest`.
    pub fn signed_string(&self) -> String {
        self.signed_string_in(PathForm::Strict)
    }

    /// The signed string with the path in the given form (verification tries
    /// [`PathForm::VersiaServer`] only when allowed, see [`crate::path`]). The digest is that of
    /// the exact body bytes in either form.
    pub fn signed_string_in(&self, form: PathForm) -> String {
        let path = self.path_in(form);
        let mut out = String::with_capacity(self.method.len() + path.len() + 68);
        out.push_str(&self.method);
        out.push(' ');
        out.push_str(path);
        out.push(' ');
        out.push_str(itoa(self.signed_at, &mut [0u8; 20]));
        out.push(' ');
        out.push_str(&self.digest);
        out
    }

    /// Whether the versia-server form differs from the strict one.
    pub(crate) fn has_versia_server_variant(&self) -> bool {
        self.versia_server_path.is_some()
    }
}

/// The UTF-8 byte-order mark, which text decoding drops.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether UTF-8 text decoding (the Encoding Standard's, as `Request.text()` does it) gives
/// back exactly `body`: the bytes are valid UTF-8 and do not start with a byte-order mark.
/// Otherwise decoding drops the mark or turns invalid sequences into U+FFFD, and a signer that
/// hashes the decoded text (versia-server) hashes other bytes than those sent.
pub fn body_is_text(body: &[u8]) -> bool {
    !body.starts_with(BOM) && std::str::from_utf8(body).is_ok()
}

/// base64 (standard, padded) of the SHA-256 of `body`: the last field of the signed string.
pub fn body_digest(body: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(body))
}

fn itoa(mut value: u64, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buffer[start..]).unwrap_or("0")
}

fn normalise_method(method: &str) -> Result<String, InputError> {
    let is_tchar = |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte);
    if method.is_empty() || method.len() > MAX_METHOD_LEN || !method.bytes().all(is_tchar) {
        return Err(InputError::InvalidMethod(method.to_owned()));
    }
    Ok(method.to_ascii_lowercase())
}

fn checked_path(path: &str) -> Result<String, InputError> {
    let invalid = |reason| InputError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    if !path.starts_with('/') {
        return Err(invalid("it must start with `/`"));
    }
    if path.contains('?') {
        return Err(invalid(
            "the query string is never signed; pass the path alone",
        ));
    }
    if path.contains('#') {
        return Err(invalid("a fragment is not part of a request path"));
    }
    Ok(encode_path(path).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_digest_examples() {
        // tests/data/versia/vectors.md: sha256("") and sha256({"content":"Hello, world!"}).
        assert_eq!(
            body_digest(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            body_digest(br#"{"content":"Hello, world!"}"#),
            "4+e2vswDyKEalby/akgnvZl4yJTXIbN1u42bC6inlOo="
        );
        // The spec's example string uses the digest of "test".
        assert_eq!(
            body_digest(b"test"),
            "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
        );
    }

    #[test]
    fn method_case_does_not_matter() {
        let upper = SignatureInput::new("POST", "/notes", 1729243417, b"x").unwrap();
        let lower = SignatureInput::new("post", "/notes", 1729243417, b"x").unwrap();
        assert_eq!(upper, lower);
        assert!(upper.signed_string().starts_with("post /notes 1729243417 "));
    }

    #[test]
    fn request_path_without_query() {
        let request = http::Request::builder()
            .method("GET")
            .uri("https://alice.com/.versia/v0.6/instance?x=1")
            .body(Vec::new())
            .unwrap();
        let input = SignatureInput::from_request(&request, 1729243417).unwrap();
        assert_eq!(
            input.signed_string(),
            "get /.versia/v0.6/instance 1729243417 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn bad_parts_are_refused() {
        assert!(matches!(
            SignatureInput::new("PO ST", "/a", 1, b""),
            Err(InputError::InvalidMethod(_))
        ));
        assert!(matches!(
            SignatureInput::new("GET", "a", 1, b""),
            Err(InputError::InvalidPath { .. })
        ));
        assert!(matches!(
            SignatureInput::new("GET", "/a?b=c", 1, b""),
            Err(InputError::InvalidPath { .. })
        ));
    }

    #[test]
    fn itoa_edges() {
        assert_eq!(itoa(0, &mut [0; 20]), "0");
        assert_eq!(itoa(u64::MAX, &mut [0; 20]), "18446744073709551615");
    }

    #[test]
    fn versia_server_form_of_the_string() {
        let input = SignatureInput::new("post", "/users/a b", 5, b"").unwrap();
        assert!(
            input
                .signed_string_in(PathForm::VersiaServer)
                .starts_with("post /users/a%2520b 5 ")
        );
        assert!(input.has_versia_server_variant());
        // `|` is kept by the URL parser and escaped once by encodeURI; the strict form escapes
        // it once too, so only the `%` of the space differs.
        let input = SignatureInput::new("get", "/a|b c", 5, b"").unwrap();
        assert_eq!(input.path(), "/a%7Cb%20c");
        assert_eq!(input.path_in(PathForm::VersiaServer), "/a%7Cb%2520c");
        let plain = SignatureInput::new("get", "/.versia/v0.6/inbox", 5, b"").unwrap();
        assert!(!plain.has_versia_server_variant());
        assert_eq!(
            plain.signed_string_in(PathForm::VersiaServer),
            plain.signed_string()
        );
    }

    #[test]
    fn text_bodies() {
        assert!(body_is_text(b""));
        assert!(body_is_text("{\"a\":\"caf\u{e9} \u{feff}\"}".as_bytes()));
        assert!(!body_is_text(b"\xEF\xBB\xBF{}"));
        assert!(!body_is_text(b"{\"a\":\"\xFF\"}"));
        assert!(!body_is_text(b"\xC3"));
        let input = SignatureInput::new("post", "/", 1, b"\xEF\xBB\xBF{}").unwrap();
        assert!(!input.body_is_text());
        assert!(input.with_body(b"{}").body_is_text());
    }
}
