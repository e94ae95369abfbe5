//! Versia signatures: the signed string, signing, strict verification and the three headers.
//!
//! ```text
//! signed string = {method, lower case} SP {path, RFC 3986} SP {signed_at, unix seconds} SP {base64(SHA-256(body))}
//! signature     = base64(Ed25519(private key, signed string))      (standard alphabet, padded)
//! ```
//!
//! - For a `GET` (no body) the digest is that of the empty string.
//! - A **response** is signed with the method and path of the *request* it answers.
//! - The query string is never signed; the path is encoded by the rule in [`crate::path`].
//! - Verification is **strict** Ed25519: the `S` half must be reduced (`S < ℓ`), `R` must be
//!   canonically encoded and not of small order, and keys are checked when parsed
//!   ([`crate::key`]). It then runs `ed25519-dalek`'s `verify_strict`.
//! - Errors map to HTTP statuses as the spec requires: a missing or invalid signature is `401`,
//!   a `signed_at` more than [`DEFAULT_MAX_SKEW_SECS`] (5 minutes) away from now, in either
//!   direction, is `422` ([`VerifyError::status`]).
//!
//! # versia-server interop
//!
//! versia-server's signatures differ from the spec's string in two places:
//!
//! - **The path** is `encodeURI(new URL(url).pathname)` ([`crate::path`] models it). A host
//!   opts in per peer: [`PathMode::AlsoVersiaServer`](crate::path::PathMode) makes
//!   verification also accept that form, and [`sign_in`] with
//!   [`PathForm::VersiaServer`](crate::path::PathForm) (or
//!   [`SignatureHeaders::sign_in`], [`SignatureHeaders::sign_request_in`],
//!   [`WebSocketMessage::sign_in`](crate::WebSocketMessage::sign_in), and the connection's
//!   [`Config::sign_path_form`](crate::connection::Config::sign_path_form)) produces it.
//! - **The body** is hashed after text decoding (`Request.text()`): a leading UTF-8 byte-order
//!   mark is dropped and invalid UTF-8 becomes U+FFFD before SHA-256.
//!
//! **Decision on the body: the digest is always that of the exact bytes, in both path forms.**
//! Hashing the decoded text instead would accept bytes the signature does not cover: every
//! invalid byte decodes to the same U+FFFD, so `{"a":"\xFF"}` and `{"a":"\xFE"}` would carry
//! one signature, and a byte-order mark could be added or removed at will; the host, which
//! reads the bytes, would act on content nobody signed. So a body is accepted only where its
//! text decoding equals its bytes (valid UTF-8 without a leading byte-order mark,
//! [`body_is_text`]), which is where versia-server's digest and the strict one coincide.
//! Otherwise:
//!
//! - verifying a versia-server signature over such a body fails with
//!   [`VerifyError::SignatureMismatch`], whatever the path mode (versia-server's own
//!   requests never carry one: they are `JSON.stringify` output, encoded as UTF-8 without a
//!   mark);
//! - signing such a body in the versia-server form is refused with
//!   [`SignError::BodyNotText`]: versia-server would hash other bytes and refuse the
//!   signature, so the mistake is reported where it is made. The strict form signs any bytes.

mod headers;
mod input;
mod verify;

pub use headers::{
    SIGNATURE_HEADER, SIGNED_AT_HEADER, SIGNED_BY_HEADER, SignError, SignatureHeaders,
    parse_signed_at,
};
pub use input::{InputError, SignatureInput, body_digest, body_is_text};
pub use verify::{
    CheckedHead, DEFAULT_MAX_SKEW_SECS, ErrorClass, SignaturePart, Verified, VerifyError,
    VerifyOptions, verify, verify_request, verify_request_head, verify_response,
};
pub(crate) use verify::{check_signature, resolve_key, retry_versia_server};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

use crate::key::PrivateKey;
use crate::path::PathForm;

/// An Ed25519 signature: 64 bytes, `R` then `S`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 64]);

/// ℓ, the order of the prime-order subgroup, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// p = 2^255 - 19, the field prime, little-endian.
const FIELD_PRIME: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// The y coordinates (sign bit cleared, canonical, little-endian) of the 8 points of small
/// order: y = 0 (order 4, two points), y = 1 (the identity), y = p - 1 (order 2) and the two
/// y values of the four points of order 8. A canonical point encoding has small order exactly
/// when its y is in this list (checked against `ed25519-dalek` in the tests).
pub(crate) const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// `a < b` for 256-bit little-endian numbers.
fn less_than(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

impl Signature {
    /// Length of the base64 form (64 bytes, padded).
    pub const BASE64_LEN: usize = 88;

    /// Reads the base64 form (standard alphabet, with padding) of the `Versia-Signature`
    /// header or the `signature` message field.
    ///
    /// Refuses anything that is not canonical base64 ([`VerifyError::SignatureEncoding`],
    /// e.g. a truncated value) or does not decode to 64 bytes
    /// ([`VerifyError::SignatureLength`]).
    pub fn from_base64(text: &str) -> Result<Self, VerifyError> {
        let bytes = STANDARD
            .decode(text)
            .map_err(|error| VerifyError::SignatureEncoding {
                reason: error.to_string(),
            })?;
        let bytes: [u8; 64] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| VerifyError::SignatureLength { found: bytes.len() })?;
        Ok(Self(bytes))
    }

    /// The base64 form (standard alphabet, padded, 88 characters).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// A signature from its 64 bytes (no checks; [`Signature::check_canonical`] runs at
    /// verification).
    pub const fn from_bytes(bytes: [u8; 64]) -> Self {
        Self(bytes)
    }

    /// The 64 bytes.
    pub const fn to_bytes(&self) -> [u8; 64] {
        self.0
    }

    fn r_bytes(&self) -> [u8; 32] {
        let mut r = [0u8; 32];
        r.copy_from_slice(&self.0[..32]);
        r
    }

    fn s_bytes(&self) -> [u8; 32] {
        let mut s = [0u8; 32];
        s.copy_from_slice(&self.0[32..]);
        s
    }

    /// The encoding checks of strict verification, done before any curve arithmetic and
    /// shared by single and batch verification:
    /// - `S < ℓ` (else [`VerifyError::NonCanonicalSignature`] with [`SignaturePart::S`]);
    /// - `R`'s y coordinate `< p` (else [`VerifyError::NonCanonicalSignature`] with
    ///   [`SignaturePart::R`]);
    /// - `R` is not one of the small-order points (else [`VerifyError::SmallOrderSignature`]).
    pub fn check_canonical(&self) -> Result<(), VerifyError> {
        if !less_than(&self.s_bytes(), &GROUP_ORDER) {
            return Err(VerifyError::NonCanonicalSignature {
                part: SignaturePart::S,
            });
        }
        let mut y = self.r_bytes();
        y[31] &= 0x7f;
        if !less_than(&y, &FIELD_PRIME) {
            return Err(VerifyError::NonCanonicalSignature {
                part: SignaturePart::R,
            });
        }
        if SMALL_ORDER_Y.contains(&y) {
            return Err(VerifyError::SmallOrderSignature);
        }
        Ok(())
    }

    pub(crate) fn as_dalek(&self) -> ed25519_dalek::Signature {
        ed25519_dalek::Signature::from_bytes(&self.0)
    }

    pub(crate) fn from_dalek(signature: ed25519_dalek::Signature) -> Self {
        Self(signature.to_bytes())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signature").field(&self.to_base64()).finish()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// Signs `input` with `key`: Ed25519 over the signed string (the strict path form).
pub fn sign(key: &PrivateKey, input: &SignatureInput) -> Signature {
    key.sign_bytes(input.signed_string().as_bytes())
}

/// Signs `input` with `key`, with the path in `form`: [`PathForm::Strict`] is [`sign`];
/// [`PathForm::VersiaServer`] signs versia-server's string, for a peer that verifies only that
/// ([`crate::path`]).
///
/// The versia-server form refuses a body that text decoding would change
/// ([`SignError::BodyNotText`], see the [module docs](self)).
pub fn sign_in(
    key: &PrivateKey,
    input: &SignatureInput,
    form: PathForm,
) -> Result<Signature, SignError> {
    if form == PathForm::VersiaServer && !input.body_is_text() {
        return Err(SignError::BodyNotText);
    }
    Ok(key.sign_bytes(input.signed_string_in(form).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::VerifyingKey;

    fn encodings_of(y: &[u8; 32]) -> [[u8; 32]; 2] {
        let mut negative = *y;
        negative[31] |= 0x80;
        [*y, negative]
    }

    #[test]
    fn small_order_list_matches_dalek() {
        for y in &SMALL_ORDER_Y {
            assert!(less_than(y, &FIELD_PRIME));
            for encoding in encodings_of(y) {
                let key = VerifyingKey::from_bytes(&encoding).expect("small-order y decompresses");
                assert!(key.is_weak(), "{encoding:02x?} should be small order");
            }
        }
    }

    #[test]
    fn small_order_list_is_complete() {
        // Walk the 8-torsion subgroup from an order-8 generator: every point's y is listed.
        let generator = VerifyingKey::from_bytes(&SMALL_ORDER_Y[3])
            .unwrap()
            .to_edwards();
        let mut point = generator;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..8 {
            let mut y = point.compress().to_bytes();
            seen.insert(y);
            y[31] &= 0x7f;
            assert!(SMALL_ORDER_Y.contains(&y), "{y:02x?} missing");
            point += generator;
        }
        assert_eq!(seen.len(), 8, "the generator has order 8");
    }

    #[test]
    fn canonical_checks() {
        let key = PrivateKey::from_seed(&[5u8; 32]);
        let good = key.sign_bytes(b"hello");
        assert_eq!(good.check_canonical(), Ok(()));

        // S + ℓ: same value mod ℓ, not reduced.
        let mut bytes = good.to_bytes();
        let mut carry = 0u16;
        for (index, byte) in bytes[32..].iter_mut().enumerate() {
            let sum = u16::from(*byte) + u16::from(GROUP_ORDER[index]) + carry;
            *byte = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert_eq!(
            Signature::from_bytes(bytes).check_canonical(),
            Err(VerifyError::NonCanonicalSignature {
                part: SignaturePart::S
            })
        );

        let mut bytes = good.to_bytes();
        bytes[..32].copy_from_slice(&FIELD_PRIME);
        assert_eq!(
            Signature::from_bytes(bytes).check_canonical(),
            Err(VerifyError::NonCanonicalSignature {
                part: SignaturePart::R
            })
        );

        let mut bytes = good.to_bytes();
        bytes[..32].copy_from_slice(&SMALL_ORDER_Y[1]);
        assert_eq!(
            Signature::from_bytes(bytes).check_canonical(),
            Err(VerifyError::SmallOrderSignature)
        );
    }

    #[test]
    fn base64_errors() {
        let signature = PrivateKey::from_seed(&[5u8; 32]).sign_bytes(b"x");
        let text = signature.to_base64();
        assert_eq!(text.len(), Signature::BASE64_LEN);
        assert_eq!(Signature::from_base64(&text), Ok(signature));
        assert!(matches!(
            Signature::from_base64(&text[..text.len() - 1]),
            Err(VerifyError::SignatureEncoding { .. })
        ));
        assert_eq!(
            Signature::from_base64(&text[..text.len() - 4]),
            Err(VerifyError::SignatureLength { found: 63 })
        );
        assert!(matches!(
            Signature::from_base64(&text.replace('=', "")),
            Err(VerifyError::SignatureEncoding { .. })
        ));
    }
}
