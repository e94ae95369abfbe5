//! draft-cavage-http-signatures-12 as the Fediverse deploys it: the `Signature` header
//! (or `Authorization: Signature …`), `rsa-sha256` and `hs2019`, `(request-target)`, `host`,
//! `date` and `digest`.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{DATE, HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Request};

use super::components::{Target, joined};
use super::digest;
use super::error::{ComponentError, ParseError, SignError, VerifyError};
use super::keys::{Algorithm, KeyKind, PrivateKey};
use super::verify::{Candidate, KeyResolver, Limits, Scheme, Verified, VerifyOptions};

const SIGNATURE: &str = "Signature";

/// The `algorithm` a cavage signature names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CavageAlgorithm {
    /// `rsa-sha256`: RSA PKCS#1 v1.5 with SHA-256 (what Mastodon sends).
    RsaSha256,
    /// `hs2019`: the algorithm is the key's (RSA PKCS#1 v1.5 SHA-256 or Ed25519).
    Hs2019,
}

impl CavageAlgorithm {
    /// The parameter value.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaSha256 => "rsa-sha256",
            Self::Hs2019 => "hs2019",
        }
    }
}

/// The parameters of a cavage `Signature` header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CavageSignature {
    /// `keyId`.
    pub key_id: String,
    /// `algorithm`, when given.
    pub algorithm: Option<String>,
    /// `headers`, split on spaces and lower-cased; `["date"]` when the parameter is absent (as
    /// the drafts before 11 and every Fediverse server read it, and as the draft-12 test
    /// vector C.1 does, although draft-12's text says `(created)`).
    pub headers: Vec<String>,
    /// `signature`, decoded.
    pub signature: Vec<u8>,
    /// `created`, as written.
    pub created: Option<String>,
    /// `expires`, as written (whole seconds, or with a fraction).
    pub expires: Option<String>,
}

fn syntax(offset: usize, reason: &'static str) -> ParseError {
    ParseError::Syntax {
        header: SIGNATURE,
        offset,
        reason,
    }
}

impl CavageSignature {
    /// Parses a `Signature` header value (or what follows `Signature ` in `Authorization`).
    ///
    /// Linear in the input, which may be at most `limits.max_header_bytes` long, with at most
    /// `limits.max_components` parameters and covered headers. Unknown parameters are ignored;
    /// a repeated known parameter is refused (draft-cavage-12 §2.2).
    ///
    /// # Errors
    ///
    /// [`ParseError`] for anything else than `name="quoted"` or `name=token` pairs, a missing
    /// `keyId` or `signature`, an empty `headers`, a `signature` that is not base64, or a
    /// `created` / `expires` that is not a number.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        if input.len() > limits.max_header_bytes {
            return Err(ParseError::TooLong {
                header: SIGNATURE,
                limit: limits.max_header_bytes,
            });
        }
        let mut params: Vec<(String, String)> = Vec::new();
        let mut at = 0;
        let skip_ws = |at: &mut usize| {
            while matches!(input.get(*at), Some(b' ' | b'\t')) {
                *at += 1;
            }
        };
        loop {
            skip_ws(&mut at);
            if at == input.len() {
                break;
            }
            let start = at;
            while input.get(at).is_some_and(|b| is_tchar(*b)) {
                at += 1;
            }
            if at == start {
                return Err(syntax(at, "expected a parameter name"));
            }
            let name = String::from_utf8_lossy(&input[start..at]).to_ascii_lowercase();
            skip_ws(&mut at);
            if input.get(at) != Some(&b'=') {
                return Err(syntax(at, "expected '='"));
            }
            at += 1;
            skip_ws(&mut at);
            let value = if input.get(at) == Some(&b'"') {
                at += 1;
                let mut value = Vec::new();
                loop {
                    match input.get(at) {
                        Some(b'"') => break,
                        Some(b'\\') if at + 1 < input.len() => {
                            value.push(input[at + 1]);
                            at += 2;
                        }
                        Some(&b) if b == b'\t' || b >= b' ' && b != 0x7f => {
                            value.push(b);
                            at += 1;
                        }
                        _ => return Err(syntax(at, "unterminated quoted string")),
                    }
                }
                at += 1;
                value
            } else {
                let start = at;
                while input.get(at).is_some_and(|b| is_tchar(*b) || *b == b'/') {
                    at += 1;
                }
                if at == start {
                    return Err(syntax(at, "expected a value"));
                }
                input[start..at].to_vec()
            };
            let value = String::from_utf8(value).map_err(|_| syntax(at, "value is not UTF-8"))?;
            if params.iter().any(|(known, _)| *known == name) {
                return Err(ParseError::DuplicateParameter(name));
            }
            params.push((name, value));
            if params.len() > limits.max_components {
                return Err(ParseError::TooMany {
                    what: "parameters",
                    limit: limits.max_components,
                });
            }
            skip_ws(&mut at);
            match input.get(at) {
                None => break,
                Some(b',') => at += 1,
                Some(_) => return Err(syntax(at, "expected ','")),
            }
        }
        let mut take = |name: &str| {
            params
                .iter()
                .position(|(known, _)| known == name)
                .map(|index| params.swap_remove(index).1)
        };
        let key_id = take("keyid").ok_or(ParseError::MissingParameter("keyId"))?;
        let signature = take("signature").ok_or(ParseError::MissingParameter("signature"))?;
        let signature = STANDARD
            .decode(signature.trim())
            .map_err(|_| ParseError::Base64("signature"))?;
        let headers = match take("headers") {
            Some(list) => {
                let headers: Vec<String> = list
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
                if headers.is_empty() {
                    return Err(ParseError::MissingParameter("headers"));
                }
                if headers.len() > limits.max_components {
                    return Err(ParseError::TooMany {
                        what: "covered headers",
                        limit: limits.max_components,
                    });
                }
                headers
            }
            None => vec!["date".to_owned()],
        };
        let created = take("created");
        let expires = take("expires");
        for (value, what) in [(&created, "created"), (&expires, "expires")] {
            if value.as_deref().is_some_and(|v| seconds(v).is_none()) {
                return Err(ParseError::Syntax {
                    header: SIGNATURE,
                    offset: 0,
                    reason: if what == "created" {
                        "created is not a Unix time"
                    } else {
                        "expires is not a Unix time"
                    },
                });
            }
        }
        Ok(Self {
            key_id,
            algorithm: take("algorithm"),
            headers,
            signature,
            created,
            expires,
        })
    }

    /// The header value: `keyId="…",algorithm="…",headers="…",signature="…"` (plus `created`
    /// and `expires` when set).
    ///
    /// # Errors
    ///
    /// [`SignError::Unwritable`] when the key id or algorithm holds `"`, `\` or a control
    /// character, or the header list is empty or has a name with such a character or a space.
    pub fn to_header_value(&self) -> Result<String, SignError> {
        let quotable = |value: &str| {
            !value
                .bytes()
                .any(|b| b == b'"' || b == b'\\' || b.is_ascii_control())
        };
        if !quotable(&self.key_id) {
            return Err(SignError::Unwritable("key id"));
        }
        if !self.algorithm.as_deref().is_none_or(quotable)
            || !self
                .headers
                .iter()
                .all(|h| quotable(h) && !h.is_empty() && !h.contains(' '))
            || self.headers.is_empty()
        {
            return Err(SignError::Unwritable("algorithm or headers"));
        }
        let mut out = format!("keyId=\"{}\"", self.key_id);
        if let Some(algorithm) = &self.algorithm {
            out.push_str(&format!(",algorithm=\"{algorithm}\""));
        }
        for (name, value) in [("created", &self.created), ("expires", &self.expires)] {
            if let Some(value) = value {
                out.push_str(&format!(",{name}={value}"));
            }
        }
        out.push_str(&format!(
            ",headers=\"{}\",signature=\"{}\"",
            self.headers.join(" "),
            STANDARD.encode(&self.signature)
        ));
        Ok(out)
    }

    /// The signing string of this signature over a request (draft-cavage-12 §2.3).
    ///
    /// # Errors
    ///
    /// [`ComponentError::MissingHeader`] for a covered header the request lacks,
    /// [`ComponentError::PseudoHeader`] for `(created)` / `(expires)` with an `rsa`, `hmac` or
    /// `ecdsa` algorithm or without their parameter.
    pub fn signing_string<B>(&self, request: &Request<B>) -> Result<Vec<u8>, ComponentError> {
        let target = Target {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        };
        self.signing_string_of(&target)
    }

    fn signing_string_of(&self, target: &Target<'_>) -> Result<Vec<u8>, ComponentError> {
        let legacy = self.algorithm.as_deref().is_some_and(|alg| {
            ["rsa", "hmac", "ecdsa"]
                .iter()
                .any(|prefix| alg.starts_with(prefix))
        });
        let mut out = Vec::new();
        for (index, name) in self.headers.iter().enumerate() {
            if index > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            match name.as_str() {
                "(request-target)" => {
                    out.extend_from_slice(target.method.as_str().to_ascii_lowercase().as_bytes());
                    out.push(b' ');
                    out.extend_from_slice(target.request_target().as_bytes());
                }
                "(created)" | "(expires)" => {
                    let (value, what) = if name == "(created)" {
                        (&self.created, "(created)")
                    } else {
                        (&self.expires, "(expires)")
                    };
                    match value {
                        Some(value) if !legacy => out.extend_from_slice(value.as_bytes()),
                        _ => return Err(ComponentError::PseudoHeader(what)),
                    }
                }
                header => {
                    let value = joined(target.headers, header)
                        .ok_or_else(|| ComponentError::MissingHeader(header.to_owned()))?;
                    out.extend_from_slice(&value);
                }
            }
        }
        Ok(out)
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whole seconds of a `created` / `expires` value (`123` or `123.456`).
fn seconds(value: &str) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    whole.parse().ok()
}

/// An HTTP date (IMF-fixdate, RFC 9110 §5.6.7) of a wall-clock time.
#[must_use]
pub fn http_date(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn parse_http_date(value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    chrono::NaiveDateTime::parse_from_str(text, "%a, %d %b %Y %H:%M:%S GMT")
        .ok()
        .map(|time| time.and_utc().timestamp())
}

/// How to make a cavage signature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CavageSigner {
    /// The `keyId` (for an actor, the id of its `publicKey`, `https://…/actor#main-key`).
    pub key_id: String,
    /// The `algorithm` to name; `None`: `rsa-sha256` for RSA keys, `hs2019` for Ed25519 keys.
    pub algorithm: Option<CavageAlgorithm>,
    /// The headers to cover; `None`: `(request-target) host date`, and `digest` when the body
    /// is not empty.
    pub headers: Option<Vec<String>>,
}

impl CavageSigner {
    /// A signer with the default algorithm and headers.
    #[must_use]
    pub fn new(key_id: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            algorithm: None,
            headers: None,
        }
    }

    /// Sets [`CavageSigner::algorithm`].
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: CavageAlgorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// Sets [`CavageSigner::headers`] (lower-cased).
    #[must_use]
    pub fn with_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.headers = Some(
            headers
                .into_iter()
                .map(|h| h.into().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Signs `request`: adds `Date` (from `now`), `Host` (from the URI's authority) and
    /// `Digest` (of the body) when they are covered and absent, then sets `Signature`
    /// (replacing an earlier cavage signature).
    ///
    /// Deterministic: the same request, key and time give the same header.
    ///
    /// # Errors
    ///
    /// [`SignError::OtherSchemePresent`] when the request has an RFC 9421 signature (it would
    /// share the `Signature` header), [`SignError::KeyMismatch`] for `rsa-sha256` with an
    /// Ed25519 key,
    /// [`SignError::Component`] for a covered header the request lacks (or `Host` with no
    /// authority to take it from), [`SignError::Unwritable`] for a key id that cannot be
    /// quoted.
    pub fn sign<B: AsRef<[u8]>>(
        &self,
        now: SystemTime,
        request: &mut Request<B>,
        key: &PrivateKey,
    ) -> Result<(), SignError> {
        if request.headers().contains_key("signature-input") {
            return Err(SignError::OtherSchemePresent);
        }
        let algorithm = match (self.algorithm, key.kind()) {
            (Some(CavageAlgorithm::RsaSha256) | None, KeyKind::Rsa) => CavageAlgorithm::RsaSha256,
            (Some(CavageAlgorithm::RsaSha256), kind) => {
                return Err(SignError::KeyMismatch {
                    algorithm: Algorithm::RsaPkcs1Sha256,
                    key: kind,
                });
            }
            _ => CavageAlgorithm::Hs2019,
        };
        let body_empty = request.body().as_ref().is_empty();
        let headers = self.headers.clone().unwrap_or_else(|| {
            let mut headers: Vec<String> = ["(request-target)", "host", "date"]
                .map(str::to_owned)
                .into();
            if !body_empty {
                headers.push("digest".to_owned());
            }
            headers
        });
        if headers.is_empty() {
            return Err(ComponentError::Empty.into());
        }
        add_missing_headers(now, request, &headers)?;
        let mut signature = CavageSignature {
            key_id: self.key_id.clone(),
            algorithm: Some(algorithm.name().to_owned()),
            headers,
            signature: Vec::new(),
            created: None,
            expires: None,
        };
        let string = signature.signing_string(request)?;
        signature.signature = key.sign(key.default_algorithm(), &string)?;
        let value = HeaderValue::try_from(signature.to_header_value()?)
            .map_err(|_| SignError::Unwritable("Signature header"))?;
        request
            .headers_mut()
            .insert(HeaderName::from_static("signature"), value);
        Ok(())
    }
}

fn add_missing_headers<B: AsRef<[u8]>>(
    now: SystemTime,
    request: &mut Request<B>,
    covered: &[String],
) -> Result<(), SignError> {
    let covers = |name: &str| covered.iter().any(|h| h == name);
    if covers("date") && !request.headers().contains_key(DATE) {
        let date = HeaderValue::try_from(http_date(now)).map_err(|_| SignError::BeforeEpoch)?;
        request.headers_mut().insert(DATE, date);
    }
    if covers("host") && !request.headers().contains_key(HOST) {
        let authority = request
            .uri()
            .authority()
            .ok_or_else(|| ComponentError::Unavailable("host".to_owned()))?;
        let host = HeaderValue::try_from(authority.as_str())
            .map_err(|_| ComponentError::Unavailable("host".to_owned()))?;
        request.headers_mut().insert(HOST, host);
    }
    let digest_name = HeaderName::from_static("digest");
    if covers("digest") && !request.headers().contains_key(&digest_name) {
        let value = HeaderValue::try_from(digest::digest_header(request.body().as_ref()))
            .map_err(|_| SignError::Unwritable("Digest header"))?;
        request.headers_mut().insert(digest_name, value);
    }
    Ok(())
}

/// The cavage signature of a request: from `Signature`, or else from `Authorization:
/// Signature …`; `None` when neither is there.
pub(super) fn signature_value(headers: &HeaderMap) -> Option<Vec<u8>> {
    if let Some(value) = joined(headers, "signature") {
        return Some(value);
    }
    let authorization = joined(headers, "authorization")?;
    let scheme = authorization.get(..10)?;
    scheme
        .eq_ignore_ascii_case(b"signature ")
        .then(|| authorization[10..].to_vec())
}

pub(super) fn verify<B: AsRef<[u8]>>(
    request: &Request<B>,
    value: &[u8],
    resolver: &mut dyn KeyResolver,
    options: &VerifyOptions,
) -> Result<Verified, VerifyError> {
    let signature = CavageSignature::parse(value, &options.limits)?;
    // Computed before the fields move into the candidate; it fails only on a missing header.
    let string = signature.signing_string(request);
    let candidate = Candidate {
        key_id: signature.key_id,
        scheme: Scheme::Cavage,
        covered: signature.headers,
        signature: signature.signature,
    };
    let key = candidate.resolve(resolver)?;
    let algorithm = key.algorithm();
    let named_matches = match signature.algorithm.as_deref() {
        None | Some("hs2019") => true,
        Some("rsa-sha256") => algorithm == Algorithm::RsaPkcs1Sha256,
        Some("ed25519") => algorithm == Algorithm::Ed25519,
        Some(other) => return Err(VerifyError::UnsupportedAlgorithm(other.to_owned())),
    };
    if !named_matches {
        return Err(VerifyError::AlgorithmMismatch {
            named: signature.algorithm.clone().unwrap_or_default(),
            key: key.key.kind(),
        });
    }
    let requirements = options.requirements;
    if requirements.request_target && !candidate.covers("(request-target)") {
        return Err(VerifyError::NotCovered("(request-target)"));
    }
    if requirements.host && !candidate.covers("host") {
        return Err(VerifyError::NotCovered("host"));
    }
    if requirements.time && !candidate.covers("date") && !candidate.covers("(created)") {
        return Err(VerifyError::NoTime);
    }
    candidate.body_digest_covered(request.body().as_ref(), options, "digest")?;

    // The cheap checks come before the signature's public-key operation.
    let string = string?;
    if candidate.covers("date") {
        let date = joined(request.headers(), "date").unwrap_or_default();
        options.check_time(parse_http_date(&date).ok_or(VerifyError::BadDate)?)?;
    }
    if let Some(created) = signature.created.as_deref().and_then(seconds) {
        options.check_time(created)?;
    }
    if let Some(expires) = signature.expires.as_deref().and_then(seconds) {
        options.check_expires(expires)?;
    }
    candidate.conclude(request, key, algorithm, &string, options)
}
