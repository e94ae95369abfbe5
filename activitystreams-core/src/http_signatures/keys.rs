//! Public and private keys: PEM, SPKI, PKCS#1 and PKCS#8 containers of RSA and Ed25519 keys.

use std::fmt;

use der::{Decode as _, Encode as _, Tagged as _};
use ring::signature::{self as ring_sig, KeyPair as _};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use super::error::{KeyError, SignError};

const RSA_ENCRYPTION: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const ED25519: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.101.112");

/// Longest PEM text a key is read from: 16 KiB, four times an RSA 8192 private key.
pub const MAX_PEM_BYTES: usize = 16 * 1024;

/// The kind of a key, which decides the signature algorithm `hs2019` stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// An RSA key (2048 to 8192 bits for verification, 1024 with
    /// [`VerifyOptions::allow_legacy_rsa_1024`](super::VerifyOptions::allow_legacy_rsa_1024)).
    Rsa,
    /// An Ed25519 key.
    Ed25519,
}

/// A signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: cavage `rsa-sha256` (and `hs2019` with an RSA key), RFC 9421
    /// `rsa-v1_5-sha256`.
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-512: RFC 9421 `rsa-pss-sha512`. Verification only (see
    /// [`SignError::NeedsRandomness`]).
    RsaPssSha512,
    /// Ed25519 (RFC 8032): cavage `hs2019` with an Ed25519 key, RFC 9421 `ed25519`.
    Ed25519,
}

impl Algorithm {
    /// The RFC 9421 name (`alg` parameter) of the algorithm.
    #[must_use]
    pub fn rfc9421_name(self) -> &'static str {
        match self {
            Self::RsaPkcs1Sha256 => "rsa-v1_5-sha256",
            Self::RsaPssSha512 => "rsa-pss-sha512",
            Self::Ed25519 => "ed25519",
        }
    }

    /// The algorithm of an RFC 9421 `alg` name, `None` for names the crate does not implement.
    #[must_use]
    pub fn from_rfc9421_name(name: &str) -> Option<Self> {
        [Self::RsaPkcs1Sha256, Self::RsaPssSha512, Self::Ed25519]
            .into_iter()
            .find(|alg| alg.rfc9421_name() == name)
    }

    /// The kind of key the algorithm works with.
    #[must_use]
    pub fn key_kind(self) -> KeyKind {
        match self {
            Self::RsaPkcs1Sha256 | Self::RsaPssSha512 => KeyKind::Rsa,
            Self::Ed25519 => KeyKind::Ed25519,
        }
    }
}

/// A public key that verifies signatures.
///
/// Read from the `publicKeyPem` of an actor (`-----BEGIN PUBLIC KEY-----`, SPKI, or
/// `-----BEGIN RSA PUBLIC KEY-----`, PKCS#1) or from DER. Nothing about the key is checked
/// until it verifies a signature: ring then refuses RSA moduli outside 2048–8192 bits (or
/// 1024–8192 with the legacy option).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    kind: KeyKind,
    /// PKCS#1 `RSAPublicKey` DER for RSA, the 32 key bytes for Ed25519.
    raw: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kind", &self.kind)
            .field("bytes", &self.raw.len())
            .finish()
    }
}

fn pem_document(pem: &str) -> Result<(&str, Vec<u8>), KeyError> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(KeyError::TooLong {
            limit: MAX_PEM_BYTES,
        });
    }
    der::pem::decode_vec(pem.trim().as_bytes()).map_err(KeyError::Pem)
}

impl PublicKey {
    /// Reads a PEM public key: `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1).
    ///
    /// # Errors
    ///
    /// [`KeyError::TooLong`] beyond [`MAX_PEM_BYTES`], [`KeyError::Pem`] for text that is not
    /// one PEM document, [`KeyError::UnexpectedLabel`] for another label, and what
    /// [`PublicKey::from_spki_der`] refuses.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_document(pem)?;
        match label {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(&der),
            other => Err(KeyError::UnexpectedLabel(other.to_owned())),
        }
    }

    /// Reads a DER `SubjectPublicKeyInfo` of an RSA (`rsaEncryption` or `RSASSA-PSS`) or
    /// Ed25519 key.
    ///
    /// # Errors
    ///
    /// [`KeyError::Der`] for malformed DER, [`KeyError::UnsupportedAlgorithm`] for another key
    /// type, [`KeyError::Malformed`] for an Ed25519 key that is not 32 bytes.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(KeyError::Der)?;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::Malformed("the key bit string has unused bits"))?;
        match spki.algorithm.oid {
            RSA_ENCRYPTION | RSASSA_PSS => Self::from_pkcs1_der(bits),
            ED25519 => Self::ed25519_from_bytes(bits),
            other => Err(KeyError::UnsupportedAlgorithm(other.to_string())),
        }
    }

    /// Reads a DER PKCS#1 `RSAPublicKey`.
    ///
    /// # Errors
    ///
    /// [`KeyError::Der`] when the bytes are not one DER `SEQUENCE`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        // The outer SEQUENCE is checked here; ring reads the modulus and exponent when verifying.
        der::asn1::AnyRef::from_der(der)
            .and_then(|any| any.tag().assert_eq(der::Tag::Sequence))
            .map_err(KeyError::Der)?;
        Ok(Self {
            kind: KeyKind::Rsa,
            raw: der.to_vec(),
        })
    }

    /// An Ed25519 public key from its 32 bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::Malformed`] when `bytes` is not 32 bytes long.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::Malformed("an Ed25519 public key is 32 bytes"));
        }
        Ok(Self {
            kind: KeyKind::Ed25519,
            raw: bytes.to_vec(),
        })
    }

    /// The kind of the key.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key as DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    ///
    /// [`KeyError::Der`] if the key cannot be encoded (never for a key this crate read).
    pub fn to_spki_der(&self) -> Result<Vec<u8>, KeyError> {
        let (oid, parameters) = match self.kind {
            KeyKind::Rsa => (RSA_ENCRYPTION, Some(der::asn1::Any::null())),
            KeyKind::Ed25519 => (ED25519, None),
        };
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned { oid, parameters },
            subject_public_key: der::asn1::BitString::from_bytes(&self.raw)
                .map_err(KeyError::Der)?,
        };
        spki.to_der().map_err(KeyError::Der)
    }

    /// The key as a PEM `PUBLIC KEY` (SPKI) with `\n` line endings, as actors publish it in
    /// `publicKeyPem`.
    ///
    /// # Errors
    ///
    /// As [`PublicKey::to_spki_der`].
    pub fn to_pem(&self) -> Result<String, KeyError> {
        der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, &self.to_spki_der()?)
            .map_err(KeyError::Pem)
    }

    pub(super) fn verify(
        &self,
        algorithm: Algorithm,
        allow_rsa_1024: bool,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let params: &dyn ring_sig::VerificationAlgorithm = match (algorithm, allow_rsa_1024) {
            (Algorithm::RsaPkcs1Sha256, false) => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
            (Algorithm::RsaPkcs1Sha256, true) => {
                &ring_sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
            }
            (Algorithm::RsaPssSha512, _) => &ring_sig::RSA_PSS_2048_8192_SHA512,
            (Algorithm::Ed25519, _) => &ring_sig::ED25519,
        };
        ring_sig::UnparsedPublicKey::new(params, &self.raw)
            .verify(message, signature)
            .is_ok()
    }
}

enum Pair {
    Rsa(ring_sig::RsaKeyPair),
    Ed25519(ring_sig::Ed25519KeyPair),
}

/// A private key that signs: RSA (2048 to 4096 bits, ring's range for signing) or Ed25519.
///
/// RSA signatures are made by ring, whose private-key operation runs in constant time. The
/// RustCrypto `rsa` crate is deliberately not used: its decryption and signing leak timing
/// (the Marvin attack, RUSTSEC-2023-0071, unfixed).
pub struct PrivateKey {
    pair: Pair,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a PEM private key: `PRIVATE KEY` (PKCS#8, RSA or Ed25519, v1 or v2) or
    /// `RSA PRIVATE KEY` (PKCS#1).
    ///
    /// # Errors
    ///
    /// [`KeyError::TooLong`], [`KeyError::Pem`], [`KeyError::UnexpectedLabel`] and what
    /// [`PrivateKey::from_pkcs8_der`] refuses.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_document(pem)?;
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&der),
            other => Err(KeyError::UnexpectedLabel(other.to_owned())),
        }
    }

    /// Reads a DER PKCS#8 `PrivateKeyInfo` of an RSA or Ed25519 key.
    ///
    /// # Errors
    ///
    /// [`KeyError::Der`], [`KeyError::UnsupportedAlgorithm`], and [`KeyError::Rejected`] when
    /// ring refuses the key (an inconsistent key, an RSA modulus outside 2048–4096 bits).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(KeyError::Der)?;
        let pair = match info.algorithm.oid {
            RSA_ENCRYPTION => Pair::Rsa(ring_sig::RsaKeyPair::from_pkcs8(der)?),
            ED25519 => Pair::Ed25519(ring_sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)?),
            other => return Err(KeyError::UnsupportedAlgorithm(other.to_string())),
        };
        Ok(Self { pair })
    }

    /// Reads a DER PKCS#1 `RSAPrivateKey`.
    ///
    /// # Errors
    ///
    /// [`KeyError::Rejected`] when ring refuses the key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        Ok(Self {
            pair: Pair::Rsa(ring_sig::RsaKeyPair::from_der(der)?),
        })
    }

    /// An Ed25519 key from its 32-byte seed (the caller draws it).
    ///
    /// # Errors
    ///
    /// [`KeyError::Rejected`] when the seed is not 32 bytes.
    pub fn ed25519_from_seed(seed: &[u8]) -> Result<Self, KeyError> {
        Ok(Self {
            pair: Pair::Ed25519(ring_sig::Ed25519KeyPair::from_seed_unchecked(seed)?),
        })
    }

    /// The kind of the key.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        match self.pair {
            Pair::Rsa(_) => KeyKind::Rsa,
            Pair::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        match &self.pair {
            Pair::Rsa(pair) => PublicKey {
                kind: KeyKind::Rsa,
                raw: pair.public_key().as_ref().to_vec(),
            },
            Pair::Ed25519(pair) => PublicKey {
                kind: KeyKind::Ed25519,
                raw: pair.public_key().as_ref().to_vec(),
            },
        }
    }

    /// The algorithm `hs2019` stands for with this key: RSA PKCS#1 v1.5 SHA-256 or Ed25519.
    #[must_use]
    pub fn default_algorithm(&self) -> Algorithm {
        match self.pair {
            Pair::Rsa(_) => Algorithm::RsaPkcs1Sha256,
            Pair::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// Signs `message` with `algorithm`: the bytes of a signature, for signature bases built
    /// elsewhere. Deterministic for both algorithms it signs.
    ///
    /// # Errors
    ///
    /// [`SignError::KeyMismatch`] when the key is of another kind,
    /// [`SignError::NeedsRandomness`] for RSA-PSS.
    pub fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match (&self.pair, algorithm) {
            (Pair::Rsa(pair), Algorithm::RsaPkcs1Sha256) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                // ring asks every RSA signature for a random source; PKCS#1 v1.5 padding is
                // deterministic and draws nothing from it, so no randomness is read here.
                let unused = ring::rand::SystemRandom::new();
                pair.sign(
                    &ring_sig::RSA_PKCS1_SHA256,
                    &unused,
                    message,
                    &mut signature,
                )
                .map_err(|_| SignError::Crypto)?;
                Ok(signature)
            }
            (Pair::Rsa(_), Algorithm::RsaPssSha512) => Err(SignError::NeedsRandomness),
            (Pair::Ed25519(pair), Algorithm::Ed25519) => Ok(pair.sign(message).as_ref().to_vec()),
            _ => Err(SignError::KeyMismatch {
                algorithm,
                key: self.kind(),
            }),
        }
    }
}
