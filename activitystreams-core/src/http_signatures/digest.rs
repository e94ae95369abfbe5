//! Body digests: `Digest: SHA-256=…` (RFC 3230, what cavage signatures cover) and
//! `Content-Digest: sha-256=:…:` (RFC 9530, what RFC 9421 signatures cover), computed over the
//! exact body bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use ring::digest;

use super::error::DigestError;
use super::structured::{self, BareItem};

/// `Digest` header value of `body`: `SHA-256=` and the base64 of its SHA-256.
#[must_use]
pub fn digest_header(body: &[u8]) -> String {
    format!(
        "SHA-256={}",
        STANDARD.encode(digest::digest(&digest::SHA256, body))
    )
}

/// `Content-Digest` header value of `body`: `sha-256=:…:` (an RFC 8941 dictionary).
#[must_use]
pub fn content_digest_header(body: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        STANDARD.encode(digest::digest(&digest::SHA256, body))
    )
}

fn algorithm(name: &str) -> Option<(&'static digest::Algorithm, &'static str)> {
    if name.eq_ignore_ascii_case("sha-256") {
        Some((&digest::SHA256, "SHA-256"))
    } else if name.eq_ignore_ascii_case("sha-512") {
        Some((&digest::SHA512, "SHA-512"))
    } else {
        None
    }
}

/// Checks a `Digest` value (`SHA-256=…`, several comma-separated allowed) against `body`.
///
/// Every SHA-256 and SHA-512 entry must match; entries of other algorithms are ignored, but at
/// least one must be SHA-256 or SHA-512.
///
/// # Errors
///
/// [`DigestError::Malformed`], [`DigestError::UnsupportedAlgorithm`], [`DigestError::Mismatch`].
pub fn verify_digest(value: &[u8], body: &[u8]) -> Result<(), DigestError> {
    const HEADER: &str = "Digest";
    let malformed = DigestError::Malformed { header: HEADER };
    let text = std::str::from_utf8(value).map_err(|_| malformed.clone())?;
    let mut checked = false;
    for entry in text.split(',') {
        let (name, encoded) = entry.trim().split_once('=').ok_or(malformed.clone())?;
        let Some((alg, label)) = algorithm(name.trim()) else {
            continue;
        };
        let expected = STANDARD
            .decode(encoded.trim())
            .map_err(|_| malformed.clone())?;
        if digest::digest(alg, body).as_ref() != expected.as_slice() {
            return Err(DigestError::Mismatch {
                header: HEADER,
                algorithm: label,
            });
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(DigestError::UnsupportedAlgorithm { header: HEADER })
    }
}

/// Checks a `Content-Digest` value (an RFC 8941 dictionary of byte sequences) against `body`,
/// as [`verify_digest`] does: every `sha-256` and `sha-512` member must match, other members are
/// ignored, at least one of the two must be there.
///
/// # Errors
///
/// As [`verify_digest`]; a value longer than `max_bytes` is malformed.
pub fn verify_content_digest(
    value: &[u8],
    body: &[u8],
    max_bytes: usize,
) -> Result<(), DigestError> {
    const HEADER: &str = "Content-Digest";
    let malformed = DigestError::Malformed { header: HEADER };
    let dictionary = structured::parse_dictionary(value, HEADER, max_bytes, 16)
        .map_err(|_| malformed.clone())?;
    let mut checked = false;
    for (name, member) in &dictionary {
        let Some((alg, label)) = algorithm(name) else {
            continue;
        };
        let Some(BareItem::Bytes(expected)) = member.as_item() else {
            return Err(malformed);
        };
        if digest::digest(alg, body).as_ref() != expected.as_slice() {
            return Err(DigestError::Mismatch {
                header: HEADER,
                algorithm: label,
            });
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(DigestError::UnsupportedAlgorithm { header: HEADER })
    }
}

/// Checks every `Digest` and `Content-Digest` header of `headers` against `body`; returns
/// which of the two were present and held.
pub(super) fn verify_present(
    headers: &HeaderMap,
    body: &[u8],
    max_bytes: usize,
) -> Result<(bool, bool), DigestError> {
    let digest = super::components::joined(headers, "digest");
    if let Some(value) = &digest {
        verify_digest(value, body)?;
    }
    let content = super::components::joined(headers, "content-digest");
    if let Some(value) = &content {
        verify_content_digest(value, body, max_bytes)?;
    }
    Ok((digest.is_some(), content.is_some()))
}
