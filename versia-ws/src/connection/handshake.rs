//! Opening a connection: the signed upgrade request and the signed `101` response.

use web_time::{Instant, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use crate::clock::{ClockError, unix_seconds};
use crate::connection::{Config, Connection, LocalIdentity};
use crate::key::KeyResolver;
use crate::replay::{ReplayCache, ReplayError, ReplayGuard};
use crate::signature::{
    SignError, SignatureHeaders, SignatureInput, VerifyError, verify, verify_response,
};
use crate::signer::SignedBy;

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The upgrade used another method than `GET` (405).
    #[error("the upgrade must be a GET, not {method}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
    },
    /// The upgrade targeted another path (404).
    #[error("no Versia WebSocket endpoint at {path}")]
    NotFound {
        /// The path requested.
        path: String,
    },
    /// The upgrade or its response failed verification (401, or 422 for the window).
    #[error("signature check failed: {0}")]
    Verify(VerifyError),
    /// A user, not an instance, signed the upgrade (403).
    #[error("{signer} is a user; only instances open connections")]
    UserSigner {
        /// The signer.
        signer: SignedBy,
    },
    /// The replay cache is full of live signatures (503).
    #[error("replay cache full ({capacity} live signatures)")]
    ReplayCacheFull {
        /// Its capacity.
        capacity: usize,
    },
    /// The acceptor answered with another status than 101.
    #[error("the peer refused the upgrade with status {status}")]
    Refused {
        /// The status received.
        status: u16,
    },
    /// The `101` was signed by another instance than the one we meant to reach.
    #[error("expected {expected} to answer, but {found} signed the response")]
    UnexpectedPeer {
        /// The instance we connected to.
        expected: SignedBy,
        /// The signer of the response.
        found: SignedBy,
    },
    /// Our own request or response could not be signed (local misuse).
    #[error("cannot sign")]
    Sign(#[from] SignError),
    /// The wall clock passed in cannot be written as unix seconds (local misuse, 500).
    #[error("unusable wall clock")]
    Clock(#[from] ClockError),
}

impl HandshakeError {
    /// The HTTP status the acceptor answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Verify(error) => error.status(),
            Self::UserSigner { .. } | Self::UnexpectedPeer { .. } => StatusCode::FORBIDDEN,
            Self::ReplayCacheFull { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Refused { .. } => StatusCode::BAD_GATEWAY,
            Self::Sign(_) | Self::Clock(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The instance that opens the connection.
#[derive(Debug, Clone)]
pub struct Initiator {
    config: Config,
    identity: LocalIdentity,
    peer: SignedBy,
}

impl Initiator {
    /// To connect as `identity` to the instance `peer`.
    pub fn new(config: Config, identity: LocalIdentity, peer: SignedBy) -> Self {
        Self {
            config,
            identity,
            peer,
        }
    }

    /// The path to request, `/.versia/v0.x/ws`.
    pub fn path(&self) -> &'static str {
        self.config.path()
    }

    /// The three signature headers to add to the upgrade request (besides the WebSocket ones),
    /// signed at the wall clock `wall`. Refuses with [`HandshakeError::Clock`] a time before
    /// 1970 or after [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS), and with
    /// [`HandshakeError::Sign`] what cannot be signed.
    pub fn request_headers(&self, wall: SystemTime) -> Result<HeaderMap, HandshakeError> {
        let unix_now = unix_seconds(wall)?;
        Ok(signed_get_headers(&self.config, &self.identity, unix_now)?)
    }

    /// Checks the acceptor's answer (`status` and the `101`'s signature headers, verified at
    /// the wall clock `wall`) and opens the connection with an owned replay cache.
    pub fn finish<K: KeyResolver>(
        self,
        now: Instant,
        wall: SystemTime,
        status: StatusCode,
        response_headers: &HeaderMap,
        keys: K,
    ) -> Result<Connection<K>, HandshakeError> {
        let replay = ReplayCache::new(
            self.config.limits.replay_capacity,
            self.config.max_skew_secs,
        );
        self.finish_with_replay(now, wall, status, response_headers, keys, replay)
    }

    /// [`Initiator::finish`] with a given (e.g. shared) replay cache.
    pub fn finish_with_replay<K: KeyResolver, R: ReplayGuard>(
        self,
        now: Instant,
        wall: SystemTime,
        status: StatusCode,
        response_headers: &HeaderMap,
        mut keys: K,
        replay: R,
    ) -> Result<Connection<K, R>, HandshakeError> {
        unix_seconds(wall)?;
        if status != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::Refused {
                status: status.as_u16(),
            });
        }
        let uri = http::Uri::from_static(self.config.path());
        let verified = verify_response(
            &self.config.verify_options(),
            &Method::GET,
            &uri,
            response_headers,
            b"",
            Some(wall),
            &mut keys,
        )
        .map_err(HandshakeError::Verify)?;
        if verified.signer != self.peer {
            return Err(HandshakeError::UnexpectedPeer {
                expected: self.peer,
                found: verified.signer,
            });
        }
        Ok(Connection::new(
            self.config,
            self.identity,
            self.peer,
            keys,
            replay,
            now,
        ))
    }
}

/// The instance that serves the endpoint. One acceptor handles any number of upgrades.
#[derive(Debug, Clone)]
pub struct Acceptor {
    config: Config,
    identity: LocalIdentity,
}

/// A refused upgrade: answer with `status` (and no upgrade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status to answer with.
    pub status: StatusCode,
    /// Why.
    pub error: HandshakeError,
}

impl From<HandshakeError> for Rejection {
    fn from(error: HandshakeError) -> Self {
        Self {
            status: error.status(),
            error,
        }
    }
}

/// An accepted upgrade: answer `101` with `response_headers` added, then drive `connection`.
#[derive(Debug)]
pub struct Accepted<K, R> {
    /// The signature headers of the `101` response.
    pub response_headers: HeaderMap,
    /// The open connection.
    pub connection: Connection<K, R>,
}

impl Acceptor {
    /// An acceptor signing its responses as `identity`.
    pub fn new(config: Config, identity: LocalIdentity) -> Self {
        Self { config, identity }
    }

    /// The path served, `/.versia/v0.x/ws`.
    pub fn path(&self) -> &'static str {
        self.config.path()
    }

    /// Authenticates an upgrade request at the wall clock `wall` (its body, if any, is
    /// ignored: the signed digest is that of the empty body). `replay` remembers the upgrade's
    /// signature and then serves the connection; pass a shared cache to cover every connection
    /// of the host. A wall clock before 1970 or after
    /// [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS) is refused with
    /// [`HandshakeError::Clock`] (500).
    pub fn accept<B, K: KeyResolver, R: ReplayGuard>(
        &self,
        now: Instant,
        wall: SystemTime,
        request: &http::Request<B>,
        mut keys: K,
        mut replay: R,
    ) -> Result<Accepted<K, R>, Rejection> {
        let unix_now = unix_seconds(wall).map_err(HandshakeError::Clock)?;
        if request.method() != Method::GET {
            return Err(HandshakeError::MethodNotAllowed {
                method: request.method().to_string(),
            }
            .into());
        }
        if request.uri().path() != self.path() {
            return Err(HandshakeError::NotFound {
                path: request.uri().path().to_owned(),
            }
            .into());
        }
        let options = self.config.verify_options();
        let claimed = SignatureHeaders::from_headers(request.headers(), self.config.version)
            .map_err(HandshakeError::Verify)?;
        if let SignedBy::User(_) = claimed.signed_by {
            return Err(HandshakeError::UserSigner {
                signer: claimed.signed_by,
            }
            .into());
        }
        let input = SignatureInput::new("get", self.path(), claimed.signed_at, b"")
            .map_err(|error| HandshakeError::Sign(error.into()))?;
        let verified = verify(
            &options,
            &input,
            &claimed.signed_by,
            &claimed.signature,
            Some(wall),
            &mut keys,
        )
        .map_err(HandshakeError::Verify)?;
        replay
            .with_cache(|cache| cache.insert_at(&verified.signature, verified.signed_at, unix_now))
            .map_err(|error| match error {
                ReplayError::Replayed => HandshakeError::Verify(VerifyError::Replayed {
                    signed_at: verified.signed_at,
                }),
                ReplayError::Full { capacity } => HandshakeError::ReplayCacheFull { capacity },
            })?;
        let response_headers = signed_get_headers(&self.config, &self.identity, unix_now)
            .map_err(HandshakeError::Sign)?;
        Ok(Accepted {
            response_headers,
            connection: Connection::new(
                self.config.clone(),
                self.identity.clone(),
                verified.signer,
                keys,
                replay,
                now,
            ),
        })
    }
}

/// Signature headers over `get {ws path} {unix_now} {sha256("")}`: the upgrade request, and
/// the `101` response (signed with its request's method and path).
fn signed_get_headers(
    config: &Config,
    identity: &LocalIdentity,
    unix_now: u64,
) -> Result<HeaderMap, SignError> {
    let input = SignatureInput::new("get", config.path(), unix_now, b"")?;
    let headers = SignatureHeaders::sign_in(
        &identity.key,
        &input,
        identity.signer.clone(),
        config.sign_path_form,
    )?;
    let mut map = HeaderMap::new();
    headers.write_to(&mut map, config.version)?;
    Ok(map)
}
