//! Reading and writing `Versia-Signature`, `Versia-Signed-At` and `Versia-Signed-By`.

use web_time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::clock::{ClockError, unix_seconds};
use crate::key::PrivateKey;
use crate::path::PathForm;
use crate::signature::{InputError, Signature, SignatureInput, VerifyError, sign, sign_in};
use crate::signer::{SignedBy, SignedByError};
use crate::version::Version;

/// `Versia-Signature`: the base64 signature.
pub const SIGNATURE_HEADER: &str = "versia-signature";
/// `Versia-Signed-At`: unix seconds.
pub const SIGNED_AT_HEADER: &str = "versia-signed-at";
/// `Versia-Signed-By`: the signer ([`SignedBy`]).
pub const SIGNED_BY_HEADER: &str = "versia-signed-by";

/// The longest `Versia-Signed-At` accepted: the 20 digits of `u64::MAX`.
const MAX_SIGNED_AT_DIGITS: usize = 20;

/// The three signature headers, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `Versia-Signature`.
    pub signature: Signature,
    /// `Versia-Signed-At`.
    pub signed_at: u64,
    /// `Versia-Signed-By`.
    pub signed_by: SignedBy,
}

/// Why a request could not be signed (caller mistakes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The request has no signable method or path.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The signer cannot be written for the version.
    #[error(transparent)]
    SignedBy(#[from] SignedByError),
    /// The body starts with a UTF-8 byte-order mark or is not valid UTF-8, so versia-server,
    /// which hashes the decoded text, would not verify a signature of it in its path form
    /// (see [`crate::signature`]).
    #[error(
        "the body is not UTF-8 text without a byte-order mark; versia-server would hash other bytes than those sent, so it cannot be signed in the versia-server form"
    )]
    BodyNotText,
    /// The wall clock to sign at cannot be written as `signed_at`: it is before 1970 or after
    /// [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS) (see [`crate::clock`]).
    #[error("the wall clock cannot be written as signed_at")]
    Clock(#[from] ClockError),
}

impl SignatureHeaders {
    /// Signs `input` and names `signed_by` as the signer.
    pub fn sign(key: &PrivateKey, input: &SignatureInput, signed_by: SignedBy) -> Self {
        Self {
            signature: sign(key, input),
            signed_at: input.signed_at(),
            signed_by,
        }
    }

    /// Signs `input` with the path in `form` ([`sign_in`]) and names `signed_by` as the
    /// signer.
    pub fn sign_in(
        key: &PrivateKey,
        input: &SignatureInput,
        signed_by: SignedBy,
        form: PathForm,
    ) -> Result<Self, SignError> {
        Ok(Self {
            signature: sign_in(key, input, form)?,
            signed_at: input.signed_at(),
            signed_by,
        })
    }

    /// Signs an `http` request in place (method, path, body) at the wall clock `wall` (its
    /// whole unix seconds become `Versia-Signed-At`) and sets the three headers.
    ///
    /// Refuses, leaving the request untouched: [`SignError::Clock`] for a wall clock before
    /// 1970 or after [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS),
    /// [`SignError::Input`] for a method or path that cannot be signed, and
    /// [`SignError::SignedBy`] for a signer the version cannot name.
    pub fn sign_request<B: AsRef<[u8]>>(
        request: &mut http::Request<B>,
        key: &PrivateKey,
        signed_by: SignedBy,
        version: Version,
        wall: SystemTime,
    ) -> Result<Self, SignError> {
        Self::sign_request_in(request, key, signed_by, version, wall, PathForm::Strict)
    }

    /// [`SignatureHeaders::sign_request`] with the path in `form` (e.g.
    /// [`PathForm::VersiaServer`] for a peer running versia-server, which also refuses a body
    /// that is not text: [`SignError::BodyNotText`]).
    pub fn sign_request_in<B: AsRef<[u8]>>(
        request: &mut http::Request<B>,
        key: &PrivateKey,
        signed_by: SignedBy,
        version: Version,
        wall: SystemTime,
        form: PathForm,
    ) -> Result<Self, SignError> {
        let input = SignatureInput::from_request(request, unix_seconds(wall)?)?;
        let headers = Self::sign_in(key, &input, signed_by, form)?;
        headers.write_to(request.headers_mut(), version)?;
        Ok(headers)
    }

    /// Sets (replacing) the three headers in `headers`.
    pub fn write_to(&self, headers: &mut HeaderMap, version: Version) -> Result<(), SignedByError> {
        let signed_by = self.signed_by.to_header_value(version)?;
        let signed_by =
            HeaderValue::try_from(signed_by).map_err(|_| SignedByError::InvalidSigner {
                value: self.signed_by.to_string(),
                reason: "not a valid header value".into(),
            })?;
        headers.insert(
            HeaderName::from_static(SIGNATURE_HEADER),
            header_value_of(self.signature.to_base64()),
        );
        headers.insert(
            HeaderName::from_static(SIGNED_AT_HEADER),
            HeaderValue::from(self.signed_at),
        );
        headers.insert(HeaderName::from_static(SIGNED_BY_HEADER), signed_by);
        Ok(())
    }

    /// Reads the three headers. Each must appear exactly once, as visible ASCII; the values are
    /// parsed by [`Signature::from_base64`], [`parse_signed_at`] and [`SignedBy::parse`].
    pub fn from_headers(headers: &HeaderMap, version: Version) -> Result<Self, VerifyError> {
        let signature = Signature::from_base64(single(headers, SIGNATURE_HEADER)?)?;
        let signed_at = parse_signed_at(single(headers, SIGNED_AT_HEADER)?)?;
        let signed_by = SignedBy::parse(version, single(headers, SIGNED_BY_HEADER)?)
            .map_err(VerifyError::InvalidSignedBy)?;
        Ok(Self {
            signature,
            signed_at,
            signed_by,
        })
    }
}

/// base64 is always a valid header value.
fn header_value_of(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn single<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(VerifyError::MissingHeader { name })?;
    if values.next().is_some() {
        return Err(VerifyError::InvalidHeader {
            name,
            reason: "it appears more than once",
        });
    }
    value.to_str().map_err(|_| VerifyError::InvalidHeader {
        name,
        reason: "it is not visible ASCII",
    })
}

/// Parses `Versia-Signed-At` / `signed_at`: unix seconds as canonical decimal digits (no sign,
/// no fraction, no leading zero, at most 20 digits, fitting in `u64`). Canonical form matters:
/// the text is part of the signed string, so `017...` and `17...` would sign differently.
pub fn parse_signed_at(text: &str) -> Result<u64, VerifyError> {
    let invalid = |reason| VerifyError::InvalidSignedAt {
        value: text.chars().take(32).collect(),
        reason,
    };
    if text.is_empty() {
        return Err(invalid("it is empty"));
    }
    if text.len() > MAX_SIGNED_AT_DIGITS {
        return Err(invalid("it has more than 20 digits"));
    }
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid(
            "only the digits 0-9 are allowed (no sign, fraction or space)",
        ));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(invalid("a leading zero is not allowed"));
    }
    text.parse::<u64>()
        .map_err(|_| invalid("it does not fit in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MAX_UNIX_SECONDS;
    use std::time::{Duration, UNIX_EPOCH};

    /// An inbox POST signed by bob.com at `wall`, and the outcome of signing it.
    fn signed_inbox_post(
        wall: SystemTime,
    ) -> (http::Request<Vec<u8>>, Result<SignatureHeaders, SignError>) {
        let mut request = http::Request::post("https://alice.com/.versia/v0.6/inbox")
            .body(b"{}".to_vec())
            .unwrap();
        let outcome = SignatureHeaders::sign_request(
            &mut request,
            &PrivateKey::from_seed(&[2u8; 32]),
            SignedBy::instance("bob.com"),
            Version::V0_6,
            wall,
        );
        (request, outcome)
    }

    #[test]
    fn signed_at_forms() {
        assert_eq!(parse_signed_at("1729243417"), Ok(1729243417));
        assert_eq!(parse_signed_at("0"), Ok(0));
        for bad in [
            "",
            "01729243417",
            "-1",
            "+1",
            "1.5",
            " 1",
            "1e9",
            "99999999999999999999",
        ] {
            assert!(
                matches!(
                    parse_signed_at(bad),
                    Err(VerifyError::InvalidSignedAt { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn sign_and_read_back() {
        let (request, written) =
            signed_inbox_post(UNIX_EPOCH + Duration::from_millis(1_729_243_417_999));
        let written = written.unwrap();
        assert_eq!(request.headers()["versia-signed-by"], "bob.com");
        assert_eq!(request.headers()["versia-signed-at"], "1729243417");
        let read = SignatureHeaders::from_headers(request.headers(), Version::V0_6).unwrap();
        assert_eq!(read, written);
    }

    #[test]
    fn unusable_wall_clocks_are_refused_when_signing() {
        let last = UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECONDS);
        let cases = [
            (
                UNIX_EPOCH - Duration::from_nanos(1),
                ClockError::BeforeEpoch,
            ),
            (
                last + Duration::from_secs(1),
                ClockError::TooFarAhead {
                    seconds: MAX_UNIX_SECONDS + 1,
                    limit: MAX_UNIX_SECONDS,
                },
            ),
        ];
        for (wall, expected) in cases {
            let (request, refused) = signed_inbox_post(wall);
            assert_eq!(refused, Err(SignError::Clock(expected)));
            assert!(request.headers().is_empty(), "nothing was written");
        }
        // The edges themselves are writable.
        for (wall, text) in [(UNIX_EPOCH, "0"), (last, "253402300799")] {
            let (request, written) = signed_inbox_post(wall);
            assert!(written.is_ok());
            assert_eq!(request.headers()[SIGNED_AT_HEADER], text);
        }
    }

    #[test]
    fn missing_and_duplicate_headers() {
        let headers = HeaderMap::new();
        assert_eq!(
            SignatureHeaders::from_headers(&headers, Version::V0_6),
            Err(VerifyError::MissingHeader {
                name: SIGNATURE_HEADER
            })
        );
        let mut headers = HeaderMap::new();
        let signature = PrivateKey::from_seed(&[2u8; 32])
            .sign_bytes(b"")
            .to_base64();
        headers.append(SIGNATURE_HEADER, signature.parse().unwrap());
        headers.append(SIGNATURE_HEADER, signature.parse().unwrap());
        assert!(matches!(
            SignatureHeaders::from_headers(&headers, Version::V0_6),
            Err(VerifyError::InvalidHeader { .. })
        ));
    }
}
