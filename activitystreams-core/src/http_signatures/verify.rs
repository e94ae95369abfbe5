//! What a verifier passes in (time, window, limits, requirements, key resolver) and what it
//! gets back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Request;

use super::digest;
use super::error::VerifyError;
use super::keys::{Algorithm, KeyKind, PublicKey};

/// Bounds on what a signature header may make the verifier read and allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest value of `Signature`, `Signature-Input`, `Authorization` and `Content-Digest`
    /// (all field lines of one header together). Default 8 KiB: an RSA 8192 signature in base64
    /// is 1.4 KiB.
    pub max_header_bytes: usize,
    /// Most components one signature covers, signatures one `Signature-Input` labels, and
    /// parameters one signature has. Default 32.
    pub max_components: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_header_bytes: 8 * 1024,
            max_components: 32,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_header_bytes`].
    #[must_use]
    pub fn with_max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_components`].
    #[must_use]
    pub fn with_max_components(mut self, components: usize) -> Self {
        self.max_components = components;
        self
    }
}

/// What a signature must cover to be accepted, beyond verifying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirements {
    /// The method and path: cavage `(request-target)`; RFC 9421 `@method` and one of
    /// `@target-uri`, `@request-target`, `@path`.
    pub request_target: bool,
    /// The host: cavage `host`; RFC 9421 `@target-uri`, `@authority` or `host`.
    pub host: bool,
    /// A time: cavage `date` or `(created)`; RFC 9421 the `created` parameter.
    pub time: bool,
    /// For a request with a body: cavage `digest`; RFC 9421 `content-digest` (or `digest`).
    pub body_digest: bool,
}

impl Requirements {
    /// Everything above: what Mastodon and most Fediverse servers require.
    pub const FEDIVERSE: Self = Self {
        request_target: true,
        host: true,
        time: true,
        body_digest: true,
    };
    /// Nothing beyond a valid signature (for test vectors that cover little).
    pub const NONE: Self = Self {
        request_target: false,
        host: false,
        time: false,
        body_digest: false,
    };
}

/// How to verify: the wall clock, the allowed skew and what a signature must cover.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// The current wall-clock time, passed in.
    pub now: SystemTime,
    /// How far the signature time (`Date`, `created`) may be from `now`, in either direction;
    /// an `expires` may be this far in the past.
    pub skew: Duration,
    /// What a signature must cover. Default [`Requirements::FEDIVERSE`].
    pub requirements: Requirements,
    /// Parsing bounds.
    pub limits: Limits,
    /// Accept RSA keys of 1024 to 2047 bits (refused by default: such keys are factorable at
    /// moderate cost; draft-cavage-12's own test key is one).
    pub allow_legacy_rsa_1024: bool,
    /// The RFC 9421 signature label to verify; the first one in `Signature-Input` when `None`.
    pub label: Option<String>,
}

impl VerifyOptions {
    /// Options with the given time and skew, [`Requirements::FEDIVERSE`] and default limits.
    #[must_use]
    pub fn new(now: SystemTime, skew: Duration) -> Self {
        Self {
            now,
            skew,
            requirements: Requirements::FEDIVERSE,
            limits: Limits::default(),
            allow_legacy_rsa_1024: false,
            label: None,
        }
    }

    /// Sets [`VerifyOptions::requirements`].
    #[must_use]
    pub fn with_requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = requirements;
        self
    }

    /// Sets [`VerifyOptions::limits`].
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`VerifyOptions::allow_legacy_rsa_1024`].
    #[must_use]
    pub fn with_legacy_rsa_1024(mut self, allow: bool) -> Self {
        self.allow_legacy_rsa_1024 = allow;
        self
    }

    /// Sets [`VerifyOptions::label`].
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Checks a signature time (seconds since the epoch) against the window.
    pub(super) fn check_time(&self, signed: i64) -> Result<(), VerifyError> {
        let now = unix_seconds(self.now);
        let seconds = signed.saturating_sub(now);
        let skew = i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX);
        if seconds.unsigned_abs() > skew.unsigned_abs() {
            return Err(VerifyError::OutsideWindow { seconds });
        }
        Ok(())
    }

    pub(super) fn check_expires(&self, expires: i64) -> Result<(), VerifyError> {
        let skew = i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX);
        if expires.saturating_add(skew) < unix_seconds(self.now) {
            return Err(VerifyError::Expired);
        }
        Ok(())
    }
}

/// What both schemes have once a signature's header is read: the signer, what it covers
/// and what was signed. [`Candidate::conclude`] runs the checks they share.
pub(super) struct Candidate {
    /// The key id the signature names.
    pub(super) key_id: String,
    /// The scheme the signature was read with.
    pub(super) scheme: Scheme,
    /// The covered components, lower-case.
    pub(super) covered: Vec<String>,
    /// The signature bytes.
    pub(super) signature: Vec<u8>,
}

impl Candidate {
    /// Whether the signature covers `name`.
    pub(super) fn covers(&self, name: &str) -> bool {
        self.covered.iter().any(|c| c == name)
    }

    /// Whether a body digest is covered (`Digest` or `Content-Digest`); refuses a non-empty
    /// body without one when [`Requirements::body_digest`] asks for it, naming `required`.
    pub(super) fn body_digest_covered(
        &self,
        body: &[u8],
        options: &VerifyOptions,
        required: &'static str,
    ) -> Result<bool, VerifyError> {
        let covered = self.covers("digest") || self.covers("content-digest");
        if options.requirements.body_digest && !body.is_empty() && !covered {
            return Err(VerifyError::NotCovered(required));
        }
        Ok(covered)
    }

    /// The key the resolver has for the signature's key id.
    pub(super) fn resolve(
        &self,
        resolver: &mut dyn KeyResolver,
    ) -> Result<VerifyingKey, VerifyError> {
        resolver
            .resolve(&self.key_id)
            .ok_or_else(|| VerifyError::UnknownKey {
                key_id: self.key_id.clone(),
            })
    }

    /// The checks every scheme ends with, cheapest first: a digest header present must match
    /// the body, then the public-key operation over `signed` (the cavage signing string or the
    /// RFC 9421 signature base).
    pub(super) fn conclude<B: AsRef<[u8]>>(
        self,
        request: &Request<B>,
        key: VerifyingKey,
        algorithm: Algorithm,
        signed: &[u8],
        options: &VerifyOptions,
    ) -> Result<Verified, VerifyError> {
        let body = request.body().as_ref();
        let body_digest_verified = self.covers("digest") || self.covers("content-digest");
        digest::verify_present(request.headers(), body, options.limits.max_header_bytes)?;
        if !key.key.verify(
            algorithm,
            options.allow_legacy_rsa_1024,
            signed,
            &self.signature,
        ) {
            return Err(VerifyError::BadSignature {
                key_id: self.key_id,
            });
        }
        Ok(Verified {
            key_id: self.key_id,
            owner: key.owner,
            algorithm,
            scheme: self.scheme,
            covered: self.covered,
            body_digest_verified,
        })
    }
}

/// Seconds since the epoch, negative before it.
pub(super) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// A key the resolver knows: the public key, the actor that owns it and, where the key's
/// metadata says so, the one algorithm it signs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    /// The public key.
    pub key: PublicKey,
    /// The actor that owns the key (`publicKey.owner`, a Multikey's `controller`). The host
    /// checks that it is the actor of the activity, or of the same origin.
    pub owner: String,
    /// The algorithm the key is for, when its metadata says (an RSA key for RSA-PSS). `None`:
    /// RSA PKCS#1 v1.5 SHA-256 for RSA keys, Ed25519 for Ed25519 keys.
    pub algorithm: Option<Algorithm>,
}

impl VerifyingKey {
    /// A key owned by `owner`, its algorithm taken from its kind.
    #[must_use]
    pub fn new(key: PublicKey, owner: impl Into<String>) -> Self {
        Self {
            key,
            owner: owner.into(),
            algorithm: None,
        }
    }

    /// Pins the key to one algorithm.
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    pub(super) fn algorithm(&self) -> Algorithm {
        self.algorithm.unwrap_or(match self.key.kind() {
            KeyKind::Rsa => Algorithm::RsaPkcs1Sha256,
            KeyKind::Ed25519 => Algorithm::Ed25519,
        })
    }
}

/// Looks a key id up. No IO: the host fetches and caches keys before verifying (read the key
/// id with [`signature_key_id`](super::signature_key_id) first).
pub trait KeyResolver {
    /// The key with this id, or `None` when it is unknown.
    fn resolve(&mut self, key_id: &str) -> Option<VerifyingKey>;
}

impl<F: FnMut(&str) -> Option<VerifyingKey>> KeyResolver for F {
    fn resolve(&mut self, key_id: &str) -> Option<VerifyingKey> {
        self(key_id)
    }
}

/// Which scheme a verified signature used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// draft-cavage-http-signatures-12, from `Signature` or `Authorization: Signature`.
    Cavage,
    /// RFC 9421 with this label.
    Rfc9421 {
        /// The signature label.
        label: String,
    },
}

/// A signature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The key id the signature named.
    pub key_id: String,
    /// The owner of the key, as the resolver said: the actor that signed.
    pub owner: String,
    /// The algorithm that verified.
    pub algorithm: Algorithm,
    /// The scheme.
    pub scheme: Scheme,
    /// The covered components, lower-case (cavage header names, RFC 9421 component names).
    pub covered: Vec<String>,
    /// Whether the body was checked against a covered `Digest` or `Content-Digest`.
    pub body_digest_verified: bool,
}
