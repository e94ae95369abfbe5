//! Ed25519 keys in the encodings Versia mandates, and how verification finds the signer's key.
//!
//! Versia public keys are **base64 of SPKI DER** (not raw bytes, not PEM); private keys are
//! **base64 of PKCS#8 DER**. Parsing is strict: besides the encoding, a public key must be a
//! canonically encoded point of prime order, which every honestly generated Ed25519 key is.
//! Refusing the others up front means a [`PublicKey`] can never be a weak key, and single and
//! batch verification treat every key the same way (see [`crate::batch`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::spki::SubjectPublicKeyInfoRef;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::fmt;

use crate::signature::Signature;
use crate::signer::SignedBy;

/// The longest key text (base64) accepted, so parsing untrusted key material is bounded.
/// An Ed25519 SPKI is 60 characters and a PKCS#8 document at most 116.
pub const MAX_KEY_TEXT_LEN: usize = 1024;

/// Object identifier of Ed25519 in SPKI and PKCS#8 (RFC 8410).
const ED25519_OID: &str = "1.3.101.112";

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is longer than [`MAX_KEY_TEXT_LEN`].
    #[error("key text is {len} bytes, over the {limit}-byte limit (MAX_KEY_TEXT_LEN)")]
    TooLong {
        /// Length of the text that was given.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The text is not standard, padded base64.
    #[error("key is not valid base64 (standard alphabet, with padding): {0}")]
    Base64(base64::DecodeError),
    /// The text is PEM armour; Versia keys are the base64 of the DER bytes alone.
    #[error("key is PEM text; Versia keys are the base64 of the DER bytes, without PEM armour")]
    Pem,
    /// The key decodes to 32 bytes: a raw key, not the SPKI / PKCS#8 encoding Versia requires.
    #[error(
        "key decodes to 32 raw bytes; Versia public keys are base64 SPKI DER and private keys base64 PKCS#8 DER"
    )]
    RawKey,
    /// The bytes are not a DER `SubjectPublicKeyInfo`.
    #[error("public key is not a DER SubjectPublicKeyInfo (SPKI): {reason}")]
    NotSpki {
        /// What the DER decoder reported.
        reason: String,
    },
    /// The bytes are not a DER PKCS#8 private key.
    #[error("private key is not DER PKCS#8: {reason}")]
    NotPkcs8 {
        /// What the DER decoder reported.
        reason: String,
    },
    /// The SPKI or PKCS#8 names another algorithm than Ed25519.
    #[error("key algorithm is {oid}, not Ed25519 ({ED25519_OID})")]
    WrongAlgorithm {
        /// The object identifier found in the key.
        oid: String,
    },
    /// An entity's `public_key.algorithm` is not `ed25519`.
    #[error("key algorithm `{0}` is not supported (Versia keys are `ed25519`)")]
    UnsupportedAlgorithm(String),
    /// The 32 key bytes are not the encoding of a curve point.
    #[error("public key bytes do not encode an Ed25519 curve point")]
    InvalidPoint,
    /// The point encoding is not canonical (y not reduced, or a negative zero x).
    #[error("public key uses a non-canonical point encoding")]
    NonCanonicalKey,
    /// The point has small order: such a key "verifies" forged signatures.
    #[error("public key has small order (a weak key; it would accept forged signatures)")]
    WeakKey,
    /// The point has a torsion component; honest key generation never produces one.
    #[error("public key is not in the prime-order subgroup (it has a torsion component)")]
    TorsionKey,
}

/// An Ed25519 public key that passed the strict checks above.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// Parses a Versia public key: base64 (standard alphabet, padded) of SPKI DER.
    ///
    /// Refuses PEM text ([`KeyError::Pem`]), raw 32-byte keys ([`KeyError::RawKey`]), other
    /// algorithms, and points that are non-canonical, of small order or with a torsion component.
    pub fn from_spki_base64(text: &str) -> Result<Self, KeyError> {
        Self::from_spki_der(&decode_key_text(text)?)
    }

    /// Parses SPKI DER bytes (see [`PublicKey::from_spki_base64`] for what is refused).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() == 32 {
            return Err(KeyError::RawKey);
        }
        let info = SubjectPublicKeyInfoRef::try_from(der).map_err(|error| KeyError::NotSpki {
            reason: error.to_string(),
        })?;
        check_algorithm(&info.algorithm.oid)?;
        let key = VerifyingKey::from_public_key_der(der).map_err(|error| KeyError::NotSpki {
            reason: error.to_string(),
        })?;
        Self::checked(key)
    }

    /// Builds a key from its 32 raw bytes, with the same point checks as the SPKI parsers.
    /// Only for callers that hold raw bytes from a trusted source: Versia documents never
    /// carry raw keys.
    pub fn from_raw_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPoint)?;
        Self::checked(key)
    }

    fn checked(key: VerifyingKey) -> Result<Self, KeyError> {
        let point = key.to_edwards();
        if point.compress().as_bytes() != key.as_bytes() {
            return Err(KeyError::NonCanonicalKey);
        }
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        if !point.is_torsion_free() {
            return Err(KeyError::TorsionKey);
        }
        Ok(Self { key })
    }

    /// The SPKI DER encoding, base64 with padding: the form Versia entities carry.
    pub fn to_spki_base64(&self) -> String {
        STANDARD.encode(self.to_spki_der())
    }

    /// The SPKI DER encoding.
    pub fn to_spki_der(&self) -> Vec<u8> {
        // An Ed25519 SPKI is a fixed 44-byte structure: the 12-byte prefix then the key.
        let mut der = Vec::with_capacity(44);
        der.extend_from_slice(&SPKI_PREFIX);
        der.extend_from_slice(self.key.as_bytes());
        debug_assert!(
            self.key
                .to_public_key_der()
                .is_ok_and(|doc| doc.as_bytes() == der.as_slice())
        );
        der
    }

    /// The 32 raw key bytes (the compressed point).
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// The underlying `ed25519-dalek` key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Strict Ed25519 verification of `signature` over `message` (see
    /// [`Signature::check_canonical`] for the encoding checks done first). This is the building
    /// block under [`crate::signature::verify`]; it knows nothing about Versia strings.
    pub fn verify_bytes(
        &self,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), crate::signature::VerifyError> {
        signature.check_canonical()?;
        self.key
            .verify_strict(message, &signature.as_dalek())
            .map_err(|_| crate::signature::VerifyError::SignatureMismatch)
    }
}

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING (33 bytes, 0 unused bits) }.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&self.to_spki_base64())
            .finish()
    }
}

/// An Ed25519 private key. Its `Debug` output never shows the secret; the secret is wiped
/// from memory when the value is dropped.
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
}

impl PrivateKey {
    /// Parses a Versia private key: base64 (standard alphabet, padded) of PKCS#8 DER (v1, or v2
    /// with the public key). Refuses PEM, raw 32-byte seeds and other algorithms.
    pub fn from_pkcs8_base64(text: &str) -> Result<Self, KeyError> {
        Self::from_pkcs8_der(&decode_key_text(text)?)
    }

    /// Parses PKCS#8 DER bytes.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() == 32 {
            return Err(KeyError::RawKey);
        }
        let info = ed25519_dalek::pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|error| {
            KeyError::NotPkcs8 {
                reason: error.to_string(),
            }
        })?;
        check_algorithm(&info.algorithm.oid)?;
        let key = SigningKey::from_pkcs8_der(der).map_err(|error| KeyError::NotPkcs8 {
            reason: error.to_string(),
        })?;
        Ok(Self { key })
    }

    /// A key from its 32-byte seed (RFC 8032 private key). Tests and hosts that derive keys
    /// from their own randomness use this; the crate never generates randomness itself.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The PKCS#8 v1 DER encoding (the 48-byte form WebCrypto and OpenSSL export), base64
    /// with padding.
    pub fn to_pkcs8_base64(&self) -> String {
        let mut der = PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&self.key.to_bytes());
        STANDARD.encode(der)
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// Ed25519 signature of `message` (deterministic, RFC 8032). The building block under
    /// [`crate::signature::sign`].
    pub fn sign_bytes(&self, message: &[u8]) -> Signature {
        use ed25519_dalek::Signer as _;
        Signature::from_dalek(self.key.sign(message))
    }
}

/// DER prefix of a PKCS#8 v1 Ed25519 private key (RFC 8410 §7).
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

fn check_algorithm(oid: &impl ToString) -> Result<(), KeyError> {
    let oid = oid.to_string();
    if oid == ED25519_OID {
        Ok(())
    } else {
        Err(KeyError::WrongAlgorithm { oid })
    }
}

fn decode_key_text(text: &str) -> Result<Vec<u8>, KeyError> {
    if text.len() > MAX_KEY_TEXT_LEN {
        return Err(KeyError::TooLong {
            len: text.len(),
            limit: MAX_KEY_TEXT_LEN,
        });
    }
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        return Err(KeyError::Pem);
    }
    STANDARD.decode(text).map_err(KeyError::Base64)
}

/// A public key together with the signer it belongs to.
///
/// Verification compares the owner with the message's `Versia-Signed-By` before any
/// cryptography: a key that belongs to someone else is refused as
/// [`VerifyError::WrongKey`](crate::signature::VerifyError::WrongKey). (A bare key given for
/// any signer cannot be told apart from a tampered message: Ed25519 only says "does not
/// verify", so both are [`SignatureMismatch`](crate::signature::VerifyError::SignatureMismatch).)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerKey {
    /// Who the key belongs to (0.5: a user URI or `instance <host>`; 0.6: the instance domain).
    pub signer: SignedBy,
    /// The key.
    pub key: PublicKey,
}

/// Where verification gets the signer's key from. Key caches and fetching are the host's.
///
/// Implemented for:
/// - [`PublicKey`]: one key trusted for whatever signer a message names (the caller vouches
///   that it is the right key, as `fedi-inspect versia verify --public-key` does);
/// - [`SignerKey`]: one key bound to its owner;
/// - any `FnMut(&SignedBy) -> Option<SignerKey>`: a lookup in the host's cache. Return `None`
///   for an unknown signer ([`VerifyError::UnknownSigner`](crate::signature::VerifyError::UnknownSigner), 401).
///   The callback must answer from memory; this crate never waits for a fetch.
pub trait KeyResolver {
    /// The key of `signer`, or `None` if it is not known.
    fn resolve(&mut self, signer: &SignedBy) -> Option<SignerKey>;
}

impl KeyResolver for PublicKey {
    fn resolve(&mut self, signer: &SignedBy) -> Option<SignerKey> {
        Some(SignerKey {
            signer: signer.clone(),
            key: self.clone(),
        })
    }
}

impl KeyResolver for SignerKey {
    fn resolve(&mut self, _signer: &SignedBy) -> Option<SignerKey> {
        Some(self.clone())
    }
}

impl<F> KeyResolver for F
where
    F: FnMut(&SignedBy) -> Option<SignerKey>,
{
    fn resolve(&mut self, signer: &SignedBy) -> Option<SignerKey> {
        self(signer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The spec's example private key (versia-pub/docs, app/signatures/page.mdx) and the SPKI of
    // its public half as given in tests/data/versia/vectors.md.
    const SPEC_PRIVATE: &str = "MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro";
    const SPEC_PUBLIC: &str = "MCowBQYDK2VwAyEA9oGFPbz+LThzQSOhWhOpUdFxLG07Rqmn0HtAFaCz/hM=";

    #[test]
    fn spec_key_pair_round_trips() {
        let private = PrivateKey::from_pkcs8_base64(SPEC_PRIVATE).unwrap();
        assert_eq!(private.to_pkcs8_base64(), SPEC_PRIVATE);
        let public = private.public_key();
        assert_eq!(public.to_spki_base64(), SPEC_PUBLIC);
        assert_eq!(PublicKey::from_spki_base64(SPEC_PUBLIC).unwrap(), public);
    }

    #[test]
    fn pkcs8_v2_with_public_key_is_accepted() {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let document = SigningKey::from_bytes(&[8u8; 32]).to_pkcs8_der().unwrap();
        let parsed = PrivateKey::from_pkcs8_der(document.as_bytes()).unwrap();
        assert_eq!(
            parsed.public_key(),
            PrivateKey::from_seed(&[8u8; 32]).public_key()
        );
    }

    #[test]
    fn raw_key_is_refused_with_its_own_error() {
        let public = PublicKey::from_spki_base64(SPEC_PUBLIC).unwrap();
        let raw = STANDARD.encode(public.as_bytes());
        assert_eq!(PublicKey::from_spki_base64(&raw), Err(KeyError::RawKey));
        let seed = STANDARD.encode([7u8; 32]);
        assert!(matches!(
            PrivateKey::from_pkcs8_base64(&seed),
            Err(KeyError::RawKey)
        ));
    }

    #[test]
    fn pem_and_bad_base64_are_refused() {
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{SPEC_PUBLIC}\n-----END PUBLIC KEY-----");
        assert_eq!(PublicKey::from_spki_base64(&pem), Err(KeyError::Pem));
        assert!(matches!(
            PublicKey::from_spki_base64(&SPEC_PUBLIC[..SPEC_PUBLIC.len() - 2]),
            Err(KeyError::Base64(_))
        ));
        assert!(matches!(
            PublicKey::from_spki_base64(&"A".repeat(MAX_KEY_TEXT_LEN + 4)),
            Err(KeyError::TooLong { .. })
        ));
    }

    #[test]
    fn private_key_is_not_a_public_key() {
        assert!(matches!(
            PublicKey::from_spki_base64(SPEC_PRIVATE),
            Err(KeyError::NotSpki { .. })
        ));
    }

    #[test]
    fn other_algorithm_is_refused() {
        // X25519 SPKI (OID 1.3.101.110) with an arbitrary 32-byte key.
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(&[9u8; 32]);
        assert_eq!(
            PublicKey::from_spki_der(&der),
            Err(KeyError::WrongAlgorithm {
                oid: "1.3.101.110".into()
            })
        );
    }

    fn spki_with(point: [u8; 32]) -> Vec<u8> {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&point);
        der
    }

    #[test]
    fn small_order_key_is_weak() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_spki_der(&spki_with(identity)),
            Err(KeyError::WeakKey)
        );
    }

    #[test]
    fn non_canonical_key_is_refused() {
        // y = p + 1 = 2^255 - 18 encodes the identity non-canonically.
        let mut y = [0xffu8; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        assert_eq!(
            PublicKey::from_spki_der(&spki_with(y)),
            Err(KeyError::NonCanonicalKey)
        );
    }

    #[test]
    fn torsion_component_is_refused() {
        // Honest key plus the order-2 point (0, -1): mixed order, not small order.
        let honest = PrivateKey::from_seed(&[3u8; 32]).public_key();
        let mut minus_one = [0xffu8; 32];
        minus_one[0] = 0xec;
        minus_one[31] = 0x7f;
        let order_two = VerifyingKey::from_bytes(&minus_one).unwrap().to_edwards();
        let mixed = (honest.verifying_key().to_edwards() + order_two).compress();
        assert_eq!(
            PublicKey::from_spki_der(&spki_with(mixed.to_bytes())),
            Err(KeyError::TorsionKey)
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let private = PrivateKey::from_pkcs8_base64(SPEC_PRIVATE).unwrap();
        let shown = format!("{private:?}");
        assert!(!shown.contains("uNXhbWxC"));
        assert!(shown.contains(SPEC_PUBLIC));
    }

    #[test]
    fn resolvers() {
        let key = PrivateKey::from_seed(&[1u8; 32]).public_key();
        let bob = SignedBy::instance("bob.com");
        let mut bare = key.clone();
        assert_eq!(bare.resolve(&bob).unwrap().signer, bob);
        let mut lookup = |signer: &SignedBy| {
            (signer == &bob).then(|| SignerKey {
                signer: signer.clone(),
                key: key.clone(),
            })
        };
        assert!(lookup.resolve(&SignedBy::instance("eve.com")).is_none());
    }
}
