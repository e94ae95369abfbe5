//! HTTP Signatures as pure functions over [`http`] types (feature `http-signatures`).
//!
//! Two schemes, both signed and verified:
//!
//! * **draft-cavage-http-signatures-12 as the Fediverse deploys it** ([`CavageSigner`]):
//!   the `Signature` header (or `Authorization: Signature …`), `rsa-sha256` and `hs2019`
//!   (whose algorithm is the key's: RSA PKCS#1 v1.5 SHA-256 or Ed25519), covering
//!   `(request-target)`, `host`, `date` and `digest` (`Digest: SHA-256=…`).
//! * **RFC 9421 HTTP Message Signatures** ([`Rfc9421Signer`]): `Signature-Input` and
//!   `Signature`, `rsa-v1_5-sha256` and `ed25519` (signed and verified) and `rsa-pss-sha512`
//!   (verified only), the derived components of requests (`@method`, `@target-uri`,
//!   `@authority`, `@scheme`, `@request-target`, `@path`, `@query`, `@query-param`), header
//!   fields, and `Content-Digest: sha-256=:…:` (RFC 9530).
//!
//! [`verify`] reads whichever scheme a request carries. The body digest is computed over the
//! exact body bytes of the request.
//!
//! # No IO
//!
//! Nothing here reads a clock, draws randomness or fetches a key. Time comes in as
//! [`SystemTime`](std::time::SystemTime) (signing sets `Date` and `created` from it; verifying
//! checks them against [`VerifyOptions::now`] within [`VerifyOptions::skew`]). Keys come from a
//! [`KeyResolver`] the host fills: read the key id with [`signature_key_id`], fetch and cache
//! the key, then verify. The result ([`Verified`]) names the key id and its owner, so the host
//! can check that the actor of an activity is the one that signed it (or of its origin).
//!
//! # Cryptography
//!
//! [ring] signs and verifies. Its RSA private-key operation runs in constant time; the
//! RustCrypto `rsa` crate is not used because its signing and decryption leak timing (the
//! Marvin attack, RUSTSEC-2023-0071, unfixed). ring wants a random source for every RSA
//! signature; PKCS#1 v1.5 draws nothing from it, and RSA-PSS, which would, is refused for
//! signing ([`SignError::NeedsRandomness`]). The RustCrypto `der`, `spki` and `pkcs8` crates
//! only parse and write the key containers (PEM, SPKI, PKCS#1, PKCS#8).
//!
//! RSA keys verify from 2048 to 8192 bits (1024 with
//! [`VerifyOptions::allow_legacy_rsa_1024`]) and sign from 2048 to 4096 bits.
//!
//! # Limits
//!
//! Signature headers are parsed in one linear pass over at most
//! [`Limits::max_header_bytes`] (8 KiB) with at most [`Limits::max_components`] (32)
//! parameters, covered components and labels; PEM text is read up to [`MAX_PEM_BYTES`]
//! (16 KiB). No input panics (the `http_signature_headers` fuzz target checks it).
//!
//! # Example: sign a request, verify it with a resolver
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use activitystreams_core::http_signatures::{
//!     CavageSigner, PrivateKey, Rfc9421Signer, Scheme, VerifyOptions, VerifyingKey, verify,
//! };
//!
//! // The key of https://a.example/users/alice (the caller draws the seed).
//! let key = PrivateKey::ed25519_from_seed(&[7; 32])?;
//! let key_id = "https://a.example/users/alice#main-key";
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
//!
//! let body = br#"{"type":"Follow","actor":"https://a.example/users/alice"}"#.to_vec();
//! let mut request = http::Request::post("https://b.example/users/bob/inbox")
//!     .header("content-type", "application/activity+json")
//!     .body(body.clone())?;
//! // Adds Date, Host and Digest, then Signature (hs2019 for an Ed25519 key).
//! CavageSigner::new(key_id).sign(now, &mut request, &key)?;
//!
//! // The receiving server: the resolver knows keys the host fetched before.
//! let public = key.public_key();
//! let mut resolver = |id: &str| {
//!     (id == key_id).then(|| VerifyingKey::new(public.clone(), "https://a.example/users/alice"))
//! };
//! let options = VerifyOptions::new(now + Duration::from_secs(30), Duration::from_secs(300));
//! let verified = verify(&request, &mut resolver, &options)?;
//! assert_eq!(verified.owner, "https://a.example/users/alice");
//! assert_eq!(verified.scheme, Scheme::Cavage);
//! assert!(verified.body_digest_verified);
//!
//! // A changed body is refused.
//! let mut changed = request.clone();
//! *changed.body_mut() = b"{}".to_vec();
//! assert!(verify(&changed, &mut resolver, &options).is_err());
//!
//! // RFC 9421 instead (both schemes use the `Signature` header: one per request).
//! let mut request = http::Request::post("https://b.example/users/bob/inbox").body(body)?;
//! Rfc9421Signer::new(key_id).sign(now, &mut request, &key)?;
//! let verified = verify(&request, &mut resolver, &options)?;
//! assert_eq!(verified.scheme, Scheme::Rfc9421 { label: "sig1".into() });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cavage;
mod components;
mod digest;
mod error;
mod keys;
mod rfc9421;
mod structured;
mod verify;

use http::Request;

pub use cavage::{CavageAlgorithm, CavageSignature, CavageSigner, http_date};
pub use digest::{content_digest_header, digest_header, verify_content_digest, verify_digest};
pub use error::{ComponentError, DigestError, KeyError, ParseError, SignError, VerifyError};
pub use keys::{Algorithm, KeyKind, MAX_PEM_BYTES, PrivateKey, PublicKey};
pub use rfc9421::{Rfc9421Signer, rfc9421_signature_base};
pub use verify::{
    KeyResolver, Limits, Requirements, Scheme, Verified, VerifyOptions, VerifyingKey,
};

/// Verifies the signature of a request: RFC 9421 when it has `Signature-Input` (the label of
/// [`VerifyOptions::label`], or the first), else cavage from `Signature` or `Authorization:
/// Signature`.
///
/// Accepts only when the signature verifies with the key the resolver gives for its key id,
/// covers what [`VerifyOptions::requirements`] asks for, its time (`Date`, `created`) is
/// within [`VerifyOptions::skew`] of [`VerifyOptions::now`], it has not expired, and every
/// `Digest` and `Content-Digest` header of the request matches the body.
///
/// # Errors
///
/// A [`VerifyError`] naming the first refusal.
pub fn verify<B: AsRef<[u8]>>(
    request: &Request<B>,
    resolver: &mut dyn KeyResolver,
    options: &VerifyOptions,
) -> Result<Verified, VerifyError> {
    if let Some(input) = components::joined(request.headers(), "signature-input") {
        return rfc9421::verify(request, &input, resolver, options);
    }
    let value = cavage::signature_value(request.headers()).ok_or(VerifyError::Unsigned)?;
    cavage::verify(request, &value, resolver, options)
}

/// The key id of the signature [`verify`] would check, so the host can fetch the key first.
///
/// # Errors
///
/// [`VerifyError::Unsigned`], or the parse errors of the signature header.
pub fn signature_key_id(
    headers: &http::HeaderMap,
    options: &VerifyOptions,
) -> Result<String, VerifyError> {
    if let Some(input) = components::joined(headers, "signature-input") {
        return Ok(
            rfc9421::read(headers, &input, options.label.as_deref(), &options.limits)?.key_id,
        );
    }
    let value = cavage::signature_value(headers).ok_or(VerifyError::Unsigned)?;
    Ok(CavageSignature::parse(&value, &options.limits)?.key_id)
}
