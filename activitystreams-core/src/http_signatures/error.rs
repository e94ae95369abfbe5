//! The errors of HTTP signing and verification: every refusal has its own variant.

use super::keys::{Algorithm, KeyKind};

/// A key could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The PEM text is longer than [`MAX_PEM_BYTES`](super::MAX_PEM_BYTES).
    #[error("the PEM text is longer than {limit} bytes")]
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// The text is not one PEM document.
    #[error("not a PEM document")]
    Pem(#[source] der::pem::Error),
    /// The PEM label is not one of a key of the expected kind.
    #[error("unexpected PEM label {0:?}")]
    UnexpectedLabel(String),
    /// The DER structure is malformed.
    #[error("malformed DER key")]
    Der(#[source] der::Error),
    /// The key is of a type the crate does not implement (the OID is given).
    #[error("unsupported key algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The key is well-formed DER but not a valid key of its type.
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    /// ring refused the private key (inconsistent components, an RSA modulus outside 2048–4096
    /// bits).
    #[error("the key was rejected")]
    Rejected(#[from] ring::error::KeyRejected),
}

/// A header value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The value (all field lines of the header together) is longer than the limit.
    #[error("the {header} header is longer than {limit} bytes")]
    TooLong {
        /// The header.
        header: &'static str,
        /// The limit ([`Limits::max_header_bytes`](super::Limits::max_header_bytes)).
        limit: usize,
    },
    /// The value breaks the grammar.
    #[error("malformed {header} header at byte {offset}: {reason}")]
    Syntax {
        /// The header.
        header: &'static str,
        /// Where the parser stopped.
        offset: usize,
        /// What it expected.
        reason: &'static str,
    },
    /// A parameter appears twice.
    #[error("the parameter {0:?} appears twice")]
    DuplicateParameter(String),
    /// A required parameter is missing.
    #[error("the parameter {0:?} is missing")]
    MissingParameter(&'static str),
    /// More items than the limit allow.
    #[error("more than {limit} {what}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A value is not valid base64.
    #[error("the {0} is not valid base64")]
    Base64(&'static str),
}

/// A body digest (`Digest`, `Content-Digest`) does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The header is malformed.
    #[error("malformed {header} header")]
    Malformed {
        /// The header.
        header: &'static str,
    },
    /// The header names no algorithm the crate computes (`SHA-256`, `SHA-512`).
    #[error("the {header} header has no SHA-256 or SHA-512 digest")]
    UnsupportedAlgorithm {
        /// The header.
        header: &'static str,
    },
    /// The digest differs from the one of the body.
    #[error("the {header} {algorithm} digest does not match the body")]
    Mismatch {
        /// The header.
        header: &'static str,
        /// The algorithm whose digest differs.
        algorithm: &'static str,
    },
}

/// A request could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key cannot make signatures of the algorithm.
    #[error("a {key:?} key cannot sign {algorithm:?}")]
    KeyMismatch {
        /// The algorithm asked for.
        algorithm: Algorithm,
        /// The kind of key given.
        key: KeyKind,
    },
    /// RSA-PSS signing draws a random salt, and ring would take it from the operating system;
    /// the crate reads no randomness of its own, so it only verifies RSA-PSS.
    #[error("RSA-PSS signing needs randomness, which this crate does not draw")]
    NeedsRandomness,
    /// ring failed to sign (it does not for keys it accepted).
    #[error("the signature could not be computed")]
    Crypto,
    /// The signature covers something the request cannot give.
    #[error(transparent)]
    Component(#[from] ComponentError),
    /// A parameter cannot be written (a string with a character outside printable ASCII).
    #[error("the {0} cannot be written into the header")]
    Unwritable(&'static str),
    /// The request already carries a signature of the other scheme: cavage and RFC 9421 both
    /// use the `Signature` header, so one request carries one scheme only.
    #[error("the request already carries a signature of the other scheme")]
    OtherSchemePresent,
    /// The time is before 1970.
    #[error("the time is before the Unix epoch")]
    BeforeEpoch,
}

/// A covered component (header or derived component) cannot be taken from the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// A covered header is absent from the request.
    #[error("the covered header {0:?} is absent")]
    MissingHeader(String),
    /// A derived component needs a part of the URI the request does not have (an absolute
    /// URI for `@target-uri` and `@scheme`, an authority or `Host` for `@authority`).
    #[error("the request has no value for {0:?}")]
    Unavailable(String),
    /// The component or one of its parameters is not implemented (`@status` on a request,
    /// `sf`, `key`, `bs`, `req`, `tr`), or not allowed (`@signature-params`, an upper-case
    /// header name).
    #[error("unsupported component {0:?}")]
    Unsupported(String),
    /// A component is listed twice.
    #[error("the component {0:?} is covered twice")]
    Duplicate(String),
    /// `@query-param` names a parameter the query does not have exactly once.
    #[error("the query parameter {0:?} is absent or repeated")]
    QueryParam(String),
    /// `(created)` or `(expires)` is covered by a cavage signature whose `algorithm` starts with
    /// `rsa`, `hmac` or `ecdsa`, or its parameter is missing (draft-cavage-12 §2.3).
    #[error("{0} cannot be covered here")]
    PseudoHeader(&'static str),
    /// The cavage `headers` parameter is empty.
    #[error("the signature covers nothing")]
    Empty,
}

/// A signature was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request carries no signature (`Signature`, `Signature-Input`, `Authorization:
    /// Signature`).
    #[error("the request is not signed")]
    Unsigned,
    /// A signature header is malformed.
    #[error("malformed signature header")]
    Parse(#[from] ParseError),
    /// The `Signature-Input` label has no `Signature`, or the label asked for is absent.
    #[error("no signature labelled {0:?}")]
    NoSuchLabel(String),
    /// The resolver does not know the key.
    #[error("unknown key {key_id:?}")]
    UnknownKey {
        /// The key id.
        key_id: String,
    },
    /// The signature names an algorithm the crate does not implement.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The algorithm named by the signature differs from the key's.
    #[error("the signature names {named:?} but the key is {key:?}")]
    AlgorithmMismatch {
        /// The algorithm named.
        named: String,
        /// The key's kind.
        key: KeyKind,
    },
    /// A covered component cannot be taken from the request.
    #[error(transparent)]
    Component(#[from] ComponentError),
    /// The signature does not cover what the [`Requirements`](super::Requirements) ask for.
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    /// The signature has no time (`Date`, `created`) and one is required.
    #[error("the signature carries no time")]
    NoTime,
    /// The `Date` header is not an HTTP date.
    #[error("the Date header is not an IMF-fixdate")]
    BadDate,
    /// The signature time (`Date` or `created`) is outside the window around `now`.
    #[error("the signature was made {seconds} s from now, beyond the allowed skew")]
    OutsideWindow {
        /// Signed time minus `now`, in seconds (negative: in the past).
        seconds: i64,
    },
    /// The `expires` time is past.
    #[error("the signature expired")]
    Expired,
    /// A body digest does not hold.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// The signature does not verify with the key (or an RSA key is shorter than allowed).
    #[error("invalid signature by {key_id:?}")]
    BadSignature {
        /// The key id.
        key_id: String,
    },
}
