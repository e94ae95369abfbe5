//! Strict verification, the time window, and the 401/422 mapping.

use web_time::SystemTime;

use crate::clock::unix_seconds_saturating;
use crate::key::{KeyResolver, PublicKey};
use crate::path::{PathForm, PathMode};
use crate::signature::{InputError, Signature, SignatureHeaders, SignatureInput};
use crate::signer::{SignedBy, SignedByError};
use crate::version::Version;

/// The spec's window: `signed_at` may be at most 5 minutes (300 s) before or after now.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 300;

/// Which half of a signature failed the encoding checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignaturePart {
    /// The point `R` (first 32 bytes).
    R,
    /// The scalar `S` (last 32 bytes).
    S,
}

/// The HTTP status class a verification failure maps to (the spec fixes two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorClass {
    /// `401 Unauthorized`: the signature is missing, malformed or does not verify.
    Unauthorized,
    /// `422 Unprocessable Entity`: `signed_at` is more than the allowed skew from now.
    UnprocessableEntity,
}

impl ErrorClass {
    /// The HTTP status code.
    pub fn status(self) -> http::StatusCode {
        match self {
            Self::Unauthorized => http::StatusCode::UNAUTHORIZED,
            Self::UnprocessableEntity => http::StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// Why a signature was refused. Every failure is peer input (the request, response or message
/// being checked); [`VerifyError::class`] gives the HTTP status the spec requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A signature header is missing.
    #[error("the {name} header is missing")]
    MissingHeader {
        /// The header name.
        name: &'static str,
    },
    /// A signature header appears twice or is not visible ASCII.
    #[error("the {name} header is invalid: {reason}")]
    InvalidHeader {
        /// The header name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The request cannot be turned into a signed string (e.g. an `OPTIONS *` target).
    #[error("the request cannot be verified: {0}")]
    InvalidRequest(InputError),
    /// `signed_at` is not a canonical decimal number of unix seconds.
    #[error("signed_at `{value}` is not unix seconds: {reason}")]
    InvalidSignedAt {
        /// The value as received.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `signed_by` does not name a signer of the configured version.
    #[error("signed_by is invalid: {0}")]
    InvalidSignedBy(SignedByError),
    /// The signature is not canonical, padded standard base64 (e.g. it was truncated).
    #[error("the signature is not valid base64 (standard alphabet, padded): {reason}")]
    SignatureEncoding {
        /// What the base64 decoder reported.
        reason: String,
    },
    /// The signature does not decode to 64 bytes.
    #[error("the signature decodes to {found} bytes, not 64")]
    SignatureLength {
        /// Number of bytes decoded.
        found: usize,
    },
    /// The signature is not in canonical form (`S ≥ ℓ`, or `R` not reduced mod p), so it is
    /// a malleated copy of some other signature.
    #[error("the signature is not canonical: its {part:?} half is not reduced")]
    NonCanonicalSignature {
        /// Which half.
        part: SignaturePart,
    },
    /// The signature's `R` is a point of small order.
    #[error("the signature's R is a point of small order")]
    SmallOrderSignature,
    /// The key resolver knows no key for the signer.
    #[error("no key is known for signer {signer}")]
    UnknownSigner {
        /// The signer named by the message.
        signer: SignedBy,
    },
    /// The key offered belongs to another signer than the one the message names.
    #[error("the key offered belongs to {key_owner}, but the message is signed by {signer}")]
    WrongKey {
        /// The signer named by the message.
        signer: SignedBy,
        /// The owner of the key that was offered.
        key_owner: SignedBy,
    },
    /// The Ed25519 check failed: the method, path, time or body differ from what was signed,
    /// or the key is not the one that signed.
    #[error("the signature does not match the signed string for this key")]
    SignatureMismatch,
    /// `signed_at` is more than the allowed skew in the past.
    #[error("signed_at {signed_at} is more than {max_skew} s before now ({now})")]
    Stale {
        /// The message's time.
        signed_at: u64,
        /// The wall clock verification ran at, in unix seconds (clamped into
        /// `0..=MAX_UNIX_SECONDS`, [`crate::clock::unix_seconds_saturating`]).
        now: u64,
        /// The allowed skew in seconds.
        max_skew: u64,
    },
    /// `signed_at` is more than the allowed skew in the future.
    #[error("signed_at {signed_at} is more than {max_skew} s after now ({now})")]
    FromTheFuture {
        /// The message's time.
        signed_at: u64,
        /// The wall clock verification ran at, in unix seconds (clamped into
        /// `0..=MAX_UNIX_SECONDS`, [`crate::clock::unix_seconds_saturating`]).
        now: u64,
        /// The allowed skew in seconds.
        max_skew: u64,
    },
    /// The same signature was already accepted inside the time window
    /// ([`crate::replay::ReplayCache`]).
    #[error("the message signed at {signed_at} was already received (replay)")]
    Replayed {
        /// The message's time.
        signed_at: u64,
    },
}

impl VerifyError {
    /// 401 for everything but a timestamp outside the window, which is 422.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Stale { .. } | Self::FromTheFuture { .. } => ErrorClass::UnprocessableEntity,
            _ => ErrorClass::Unauthorized,
        }
    }

    /// The HTTP status: `401 Unauthorized` or `422 Unprocessable Entity`.
    pub fn status(&self) -> http::StatusCode {
        self.class().status()
    }

    /// A stable snake_case name of the variant, used as the `code` of connection error frames.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader { .. } => "missing_header",
            Self::InvalidHeader { .. } => "invalid_header",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidSignedAt { .. } => "invalid_signed_at",
            Self::InvalidSignedBy(_) => "invalid_signed_by",
            Self::SignatureEncoding { .. } => "signature_encoding",
            Self::SignatureLength { .. } => "signature_length",
            Self::NonCanonicalSignature { .. } => "non_canonical_signature",
            Self::SmallOrderSignature => "small_order_signature",
            Self::UnknownSigner { .. } => "unknown_signer",
            Self::WrongKey { .. } => "wrong_key",
            Self::SignatureMismatch => "signature_mismatch",
            Self::Stale { .. } => "stale",
            Self::FromTheFuture { .. } => "from_the_future",
            Self::Replayed { .. } => "replayed",
        }
    }
}

/// How to verify: the version (for `Versia-Signed-By`), the time window and the path forms
/// accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    version: Version,
    max_skew_secs: u64,
    path_mode: PathMode,
}

impl VerifyOptions {
    /// Strict defaults: a 300 s window and the RFC 3986 path form only.
    pub fn new(version: Version) -> Self {
        Self {
            version,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            path_mode: PathMode::Strict,
        }
    }

    /// Sets the allowed skew (seconds, either direction).
    #[must_use]
    pub fn with_max_skew_secs(mut self, max_skew_secs: u64) -> Self {
        self.max_skew_secs = max_skew_secs;
        self
    }

    /// Also accept versia-server's `encodeURI(pathname)` form ([`PathMode::AlsoVersiaServer`]).
    #[must_use]
    pub fn with_path_mode(mut self, path_mode: PathMode) -> Self {
        self.path_mode = path_mode;
        self
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The allowed skew in seconds.
    pub fn max_skew_secs(&self) -> u64 {
        self.max_skew_secs
    }

    /// The path forms accepted.
    pub fn path_mode(&self) -> PathMode {
        self.path_mode
    }

    /// The window check alone: `Ok` when `signed_at` (unix seconds, the peer's) is within the
    /// skew of the wall clock `wall`, both ends inclusive. `wall` is read with
    /// [`unix_seconds_saturating`]: a clock before 1970 or past
    /// [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS) is clamped, so the signature falls
    /// outside the window and is refused as [`VerifyError::Stale`] or
    /// [`VerifyError::FromTheFuture`] (see [`crate::clock`]).
    pub fn check_time(&self, signed_at: u64, wall: SystemTime) -> Result<(), VerifyError> {
        self.check_time_at(signed_at, unix_seconds_saturating(wall))
    }

    /// [`VerifyOptions::check_time`] with the local clock already in unix seconds.
    pub(crate) fn check_time_at(&self, signed_at: u64, now: u64) -> Result<(), VerifyError> {
        let max_skew = self.max_skew_secs;
        if signed_at.saturating_add(max_skew) < now {
            return Err(VerifyError::Stale {
                signed_at,
                now,
                max_skew,
            });
        }
        if signed_at > now.saturating_add(max_skew) {
            return Err(VerifyError::FromTheFuture {
                signed_at,
                now,
                max_skew,
            });
        }
        Ok(())
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Who signed.
    pub signer: SignedBy,
    /// When, in unix seconds.
    pub signed_at: u64,
    /// The signature (the key of replay protection).
    pub signature: Signature,
    /// Which path form matched.
    pub path_form: PathForm,
}

/// Verifies `signature` by `signer` over `input`, in this order:
/// 1. the window at the wall clock `wall`, when given (`None` skips it: offline inspection
///    only; an unusable clock is clamped as [`VerifyOptions::check_time`] says);
/// 2. the key: resolved for `signer`, and its owner must be `signer`;
/// 3. the encoding checks of [`Signature::check_canonical`];
/// 4. strict Ed25519 over the signed string, then, if allowed and different, over
///    versia-server's form.
pub fn verify(
    options: &VerifyOptions,
    input: &SignatureInput,
    signer: &SignedBy,
    signature: &Signature,
    wall: Option<SystemTime>,
    keys: &mut impl KeyResolver,
) -> Result<Verified, VerifyError> {
    if let Some(wall) = wall {
        options.check_time(input.signed_at(), wall)?;
    }
    let key = resolve_key(keys, signer)?;
    let path_form = check_signature(options, input, &input.signed_string(), &key, signature)?;
    Ok(Verified {
        signer: signer.clone(),
        signed_at: input.signed_at(),
        signature: *signature,
        path_form,
    })
}

/// Resolves `signer`'s key and checks it belongs to `signer`.
pub(crate) fn resolve_key(
    keys: &mut impl KeyResolver,
    signer: &SignedBy,
) -> Result<PublicKey, VerifyError> {
    let found = keys
        .resolve(signer)
        .ok_or_else(|| VerifyError::UnknownSigner {
            signer: signer.clone(),
        })?;
    if &found.signer != signer {
        return Err(VerifyError::WrongKey {
            signer: signer.clone(),
            key_owner: found.signer,
        });
    }
    Ok(found.key)
}

/// Steps 3 and 4 of [`verify`]; `strict_string` is `input.signed_string()`, built by the caller
/// once.
pub(crate) fn check_signature(
    options: &VerifyOptions,
    input: &SignatureInput,
    strict_string: &str,
    key: &PublicKey,
    signature: &Signature,
) -> Result<PathForm, VerifyError> {
    match key.verify_bytes(strict_string.as_bytes(), signature) {
        Ok(()) => Ok(PathForm::Strict),
        Err(VerifyError::SignatureMismatch) => retry_versia_server(options, input, key, signature),
        Err(other) => Err(other),
    }
}

/// After a strict mismatch: tries versia-server's path form when the options allow it and it
/// differs; otherwise the mismatch stands.
pub(crate) fn retry_versia_server(
    options: &VerifyOptions,
    input: &SignatureInput,
    key: &PublicKey,
    signature: &Signature,
) -> Result<PathForm, VerifyError> {
    if options.path_mode == PathMode::AlsoVersiaServer && input.has_versia_server_variant() {
        let compat = input.signed_string_in(PathForm::VersiaServer);
        key.verify_bytes(compat.as_bytes(), signature)
            .map(|()| PathForm::VersiaServer)
    } else {
        Err(VerifyError::SignatureMismatch)
    }
}

/// Verifies a signed request: reads the three headers, builds the signed string from the
/// method, path and body, then runs [`verify`].
///
/// The same as [`verify_request_head`] then [`CheckedHead::verify_body`], with the same
/// errors in the same order.
pub fn verify_request<B: AsRef<[u8]>>(
    options: &VerifyOptions,
    request: &http::Request<B>,
    wall: Option<SystemTime>,
    keys: &mut impl KeyResolver,
) -> Result<Verified, VerifyError> {
    verify_request_head(options, request, wall, keys)?.verify_body(request.body().as_ref())
}

/// A signed request whose head passed every check that does not need its body: the three
/// headers parse, the method and path can be signed, `signed_at` is inside the window (when a
/// wall clock was given), the signer has a key that belongs to it, and the signature passes the
/// encoding checks of [`Signature::check_canonical`]. What is left is the body's digest and
/// the Ed25519 check: [`CheckedHead::verify_body`].
///
/// Built by [`verify_request_head`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedHead {
    options: VerifyOptions,
    /// Method, path and time, with the digest of an empty body until the body is given.
    input: SignatureInput,
    signer: SignedBy,
    signature: Signature,
    key: PublicKey,
}

impl CheckedHead {
    /// Who the headers say signed (a key is known for them; the signature is not checked yet).
    pub fn signer(&self) -> &SignedBy {
        &self.signer
    }

    /// `Versia-Signed-At`, inside the window.
    pub fn signed_at(&self) -> u64 {
        self.input.signed_at()
    }

    /// The signature, not checked yet.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Finishes the verification with the exact body bytes received: the digest goes into the
    /// signed string, then strict Ed25519 runs (and versia-server's path form, when the
    /// options allow it).
    pub fn verify_body(&self, body: &[u8]) -> Result<Verified, VerifyError> {
        let input = self.input.clone().with_body(body);
        let path_form = check_signature(
            &self.options,
            &input,
            &input.signed_string(),
            &self.key,
            &self.signature,
        )?;
        Ok(Verified {
            signer: self.signer.clone(),
            signed_at: input.signed_at(),
            signature: self.signature,
            path_form,
        })
    }
}

/// The first half of [`verify_request`], for hosts that must not read a body before they know
/// it is worth reading: everything but the body digest and the curve, from the request's
/// method, URI and headers alone (its body type is not used). In order:
/// 1. the three headers ([`SignatureHeaders::from_headers`]);
/// 2. the method and path ([`crate::signature::InputError`] as [`VerifyError::InvalidRequest`]);
/// 3. the window at the wall clock `wall`, when given ([`VerifyOptions::check_time`]);
/// 4. the key: resolved for the signer, and its owner must be the signer;
/// 5. the signature's encoding checks ([`Signature::check_canonical`]).
///
/// Then read the body (bounded) and call [`CheckedHead::verify_body`]. Replay protection
/// stays the caller's, after the body is verified.
///
/// ```
/// use versia_ws::signature::{SignatureHeaders, verify_request_head};
/// use versia_ws::{PrivateKey, SignedBy, VerifyError, VerifyOptions, Version};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let key = PrivateKey::from_seed(&[1; 32]);
/// let body = br#"{"type":"Note"}"#.to_vec();
/// let mut request = http::Request::post("/.versia/v0.6/inbox").body(body.clone()).unwrap();
/// let at = |unix| UNIX_EPOCH + Duration::from_secs(unix);
/// SignatureHeaders::sign_request(&mut request, &key, SignedBy::instance("bob.com"), Version::V0_6, at(1_000)).unwrap();
///
/// // The host has only the head so far.
/// let (parts, _) = request.into_parts();
/// let head = http::Request::from_parts(parts, ());
/// let options = VerifyOptions::new(Version::V0_6);
/// let checked = verify_request_head(&options, &head, Some(at(1_010)), &mut key.public_key()).unwrap();
/// assert_eq!(checked.signer(), &SignedBy::instance("bob.com"));
///
/// // … reads the body, then:
/// assert!(checked.verify_body(&body).is_ok());
/// assert_eq!(checked.verify_body(b"{}"), Err(VerifyError::SignatureMismatch));
/// ```
pub fn verify_request_head<B>(
    options: &VerifyOptions,
    request: &http::Request<B>,
    wall: Option<SystemTime>,
    keys: &mut impl KeyResolver,
) -> Result<CheckedHead, VerifyError> {
    let claimed = SignatureHeaders::from_headers(request.headers(), options.version())?;
    let input =
        SignatureInput::from_method_uri(request.method(), request.uri(), claimed.signed_at, b"")
            .map_err(VerifyError::InvalidRequest)?;
    if let Some(wall) = wall {
        options.check_time(claimed.signed_at, wall)?;
    }
    let key = resolve_key(keys, &claimed.signed_by)?;
    claimed.signature.check_canonical()?;
    Ok(CheckedHead {
        options: *options,
        input,
        signer: claimed.signed_by,
        signature: claimed.signature,
        key,
    })
}

/// Verifies a signed response to the request with `request_method` and `request_uri`, at the
/// wall clock `wall` when given (as [`verify`]).
pub fn verify_response(
    options: &VerifyOptions,
    request_method: &http::Method,
    request_uri: &http::Uri,
    response_headers: &http::HeaderMap,
    response_body: &[u8],
    wall: Option<SystemTime>,
    keys: &mut impl KeyResolver,
) -> Result<Verified, VerifyError> {
    verify_headers(options, response_headers, wall, keys, |signed_at| {
        SignatureInput::for_response(request_method, request_uri, signed_at, response_body)
    })
}

/// Reads the signature headers, builds the input for their `signed_at`, and verifies.
fn verify_headers(
    options: &VerifyOptions,
    headers: &http::HeaderMap,
    wall: Option<SystemTime>,
    keys: &mut impl KeyResolver,
    input: impl FnOnce(u64) -> Result<SignatureInput, InputError>,
) -> Result<Verified, VerifyError> {
    let claimed = SignatureHeaders::from_headers(headers, options.version())?;
    let input = input(claimed.signed_at).map_err(VerifyError::InvalidRequest)?;
    verify(
        options,
        &input,
        &claimed.signed_by,
        &claimed.signature,
        wall,
        keys,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MAX_UNIX_SECONDS;
    use crate::key::{PrivateKey, SignerKey};
    use crate::signature::sign;
    use std::time::{Duration, UNIX_EPOCH};

    /// The wall clock at `unix` seconds.
    fn wall(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    fn setup() -> (PrivateKey, SignatureInput, SignedBy) {
        let key = PrivateKey::from_seed(&[9u8; 32]);
        let input = SignatureInput::new("post", "/.versia/v0.6/inbox", 1_000_000, b"{}").unwrap();
        (key, input, SignedBy::instance("bob.com"))
    }

    #[test]
    fn window_is_inclusive_at_five_minutes() {
        let options = VerifyOptions::new(Version::V0_6);
        assert_eq!(options.check_time(1000, wall(1300)), Ok(()));
        assert_eq!(options.check_time(1300, wall(1000)), Ok(()));
        assert_eq!(
            options.check_time(1000, wall(1301)),
            Err(VerifyError::Stale {
                signed_at: 1000,
                now: 1301,
                max_skew: 300
            })
        );
        assert!(matches!(
            options.check_time(1301, wall(1000)),
            Err(VerifyError::FromTheFuture { .. })
        ));
        assert_eq!(options.check_time_at(u64::MAX, u64::MAX), Ok(()));
    }

    #[test]
    fn unusable_wall_clocks_fall_outside_the_window() {
        let options = VerifyOptions::new(Version::V0_6);
        let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(
            options.check_time(1_000, before_epoch),
            Err(VerifyError::FromTheFuture {
                signed_at: 1_000,
                now: 0,
                max_skew: 300
            })
        );
        // Counted as 0: a signature of the first 300 s is still inside.
        assert_eq!(options.check_time(300, before_epoch), Ok(()));
        let far_future = wall(MAX_UNIX_SECONDS) + Duration::from_secs(86_400 * 365);
        assert_eq!(
            options.check_time(1_729_243_417, far_future),
            Err(VerifyError::Stale {
                signed_at: 1_729_243_417,
                now: MAX_UNIX_SECONDS,
                max_skew: 300
            })
        );

        let (key, input, bob) = setup();
        let signature = sign(&key, &input);
        let mut public = key.public_key();
        for (clock, expected) in [(before_epoch, "from_the_future"), (far_future, "stale")] {
            let error = verify(&options, &input, &bob, &signature, Some(clock), &mut public)
                .expect_err("outside the window");
            assert_eq!(error.code(), expected);
            assert_eq!(error.status(), 422);
        }
    }

    #[test]
    fn status_mapping() {
        assert_eq!(VerifyError::SignatureMismatch.status(), 401);
        assert_eq!(
            VerifyError::Stale {
                signed_at: 0,
                now: 0,
                max_skew: 0
            }
            .status(),
            422
        );
        assert_eq!(
            VerifyError::FromTheFuture {
                signed_at: 0,
                now: 0,
                max_skew: 0
            }
            .class(),
            ErrorClass::UnprocessableEntity
        );
        assert_eq!(VerifyError::Replayed { signed_at: 0 }.status(), 401);
    }

    #[test]
    fn verify_checks_owner_before_crypto() {
        let (key, input, bob) = setup();
        let signature = sign(&key, &input);
        let options = VerifyOptions::new(Version::V0_6);
        let mut own = SignerKey {
            signer: bob.clone(),
            key: key.public_key(),
        };
        assert!(
            verify(
                &options,
                &input,
                &bob,
                &signature,
                Some(wall(1_000_000)),
                &mut own
            )
            .is_ok()
        );
        let mut eves = SignerKey {
            signer: SignedBy::instance("eve.com"),
            key: key.public_key(),
        };
        assert!(matches!(
            verify(&options, &input, &bob, &signature, None, &mut eves),
            Err(VerifyError::WrongKey { .. })
        ));
        let mut nobody = |_: &SignedBy| None;
        assert!(matches!(
            verify(&options, &input, &bob, &signature, None, &mut nobody),
            Err(VerifyError::UnknownSigner { .. })
        ));
    }

    /// A signed inbox POST split into its head (no body) and its body.
    fn signed_head(key: &PrivateKey, body: &[u8], at: u64) -> http::Request<()> {
        let mut request = http::Request::post("https://alice.com/.versia/v0.6/inbox")
            .body(body.to_vec())
            .unwrap();
        SignatureHeaders::sign_request(
            &mut request,
            key,
            SignedBy::instance("bob.com"),
            Version::V0_6,
            wall(at),
        )
        .unwrap();
        let (parts, _) = request.into_parts();
        http::Request::from_parts(parts, ())
    }

    #[test]
    fn the_head_is_checked_without_the_body() {
        let key = PrivateKey::from_seed(&[9u8; 32]);
        let options = VerifyOptions::new(Version::V0_6);
        let bob = SignedBy::instance("bob.com");
        let mut bobs_key = SignerKey {
            signer: bob.clone(),
            key: key.public_key(),
        };
        let body = br#"{"type":"Note","author":"carol"}"#;
        let head = signed_head(&key, body, 1_000);

        let checked =
            verify_request_head(&options, &head, Some(wall(1_100)), &mut bobs_key).unwrap();
        assert_eq!(checked.signer(), &bob);
        assert_eq!(checked.signed_at(), 1_000);
        let verified = checked.verify_body(body).unwrap();
        assert_eq!(verified.signer, bob);
        assert_eq!(verified.signed_at, 1_000);
        assert_eq!(&verified.signature, checked.signature());
        assert_eq!(verified.path_form, PathForm::Strict);
        assert_eq!(
            checked.verify_body(b"{}"),
            Err(VerifyError::SignatureMismatch)
        );

        // Refused at the head: no headers, an unknown signer, outside the window, a key of
        // another owner, a malleated signature.
        let bare = http::Request::post("/.versia/v0.6/inbox").body(()).unwrap();
        assert_eq!(
            verify_request_head(&options, &bare, Some(wall(1_000)), &mut bobs_key),
            Err(VerifyError::MissingHeader {
                name: "versia-signature"
            })
        );
        let mut nobody = |_: &SignedBy| None;
        assert!(matches!(
            verify_request_head(&options, &head, Some(wall(1_000)), &mut nobody),
            Err(VerifyError::UnknownSigner { .. })
        ));
        assert!(matches!(
            verify_request_head(&options, &head, Some(wall(1_301)), &mut bobs_key),
            Err(VerifyError::Stale { .. })
        ));
        let mut eves_key = SignerKey {
            signer: SignedBy::instance("eve.com"),
            key: key.public_key(),
        };
        assert!(matches!(
            verify_request_head(&options, &head, Some(wall(1_000)), &mut eves_key),
            Err(VerifyError::WrongKey { .. })
        ));
        let mut malleated = head;
        let mut bytes = checked.signature().to_bytes();
        bytes[63] |= 0xf0; // S far above ℓ
        malleated.headers_mut().insert(
            "versia-signature",
            Signature::from_bytes(bytes).to_base64().parse().unwrap(),
        );
        assert_eq!(
            verify_request_head(&options, &malleated, Some(wall(1_000)), &mut bobs_key),
            Err(VerifyError::NonCanonicalSignature {
                part: SignaturePart::S
            })
        );
    }

    #[test]
    fn versia_server_form_is_opt_in() {
        let key = PrivateKey::from_seed(&[4u8; 32]);
        let input = SignatureInput::new("post", "/users/a b/inbox", 10, b"x").unwrap();
        let compat = key.sign_bytes(input.signed_string_in(PathForm::VersiaServer).as_bytes());
        let signer = SignedBy::instance("bob.com");
        let strict = VerifyOptions::new(Version::V0_6);
        let mut public = key.public_key();
        assert_eq!(
            verify(&strict, &input, &signer, &compat, None, &mut public),
            Err(VerifyError::SignatureMismatch)
        );
        let lenient = strict.with_path_mode(PathMode::AlsoVersiaServer);
        let verified = verify(&lenient, &input, &signer, &compat, None, &mut public).unwrap();
        assert_eq!(verified.path_form, PathForm::VersiaServer);
        let proper = sign(&key, &input);
        let verified = verify(&lenient, &input, &signer, &proper, None, &mut public).unwrap();
        assert_eq!(verified.path_form, PathForm::Strict);
    }
}
