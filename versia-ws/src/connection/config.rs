//! Limits and identity of a connection.

use std::time::Duration;

use crate::key::PrivateKey;
use crate::message::DEFAULT_MAX_MESSAGE_BYTES;
use crate::path::{PathForm, PathMode};
use crate::replay::DEFAULT_REPLAY_CAPACITY;
use crate::signature::{DEFAULT_MAX_SKEW_SECS, VerifyOptions};
use crate::signer::SignedBy;
use crate::version::Version;

/// Every bound of a connection, with its default. Exceeding one is a typed outcome (an error
/// frame, a close code, or an `Err` to the host), never unbounded growth.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest text frame accepted (default 1 MiB); larger ones close the connection with
    /// 1009 (message too big).
    pub max_message_bytes: usize,
    /// Sustained frames per second accepted from the peer (default 25); frames over the rate
    /// are refused with a 429 error frame.
    pub rate_per_second: u32,
    /// Burst of frames accepted above the rate (default 250).
    pub rate_burst: u32,
    /// Signatures remembered for replay protection (default 16 384 = a little more than
    /// 25 frames/s over the 600 s the window spans), when the connection owns its cache.
    pub replay_capacity: usize,
    /// Messages verified together in one batch (default 64); a burst is verified when the
    /// host starts draining outputs, or as soon as this many are waiting.
    pub max_batch: usize,
    /// Our messages awaiting an acknowledgement (default 256); more is refused with
    /// [`ConnectionError::Unacknowledged`](crate::connection::ConnectionError::Unacknowledged).
    pub max_unacked: usize,
    /// Transmits plus events waiting to be drained, each verified-but-waiting message counting
    /// for its reply and its event (default 1024). At the bound, `handle_text`, `send_entity`
    /// and `send_message` refuse with
    /// [`ConnectionError::Backpressure`](crate::connection::ConnectionError::Backpressure),
    /// consuming nothing. One accepted input adds at most three outputs, and `handle_close`,
    /// `handle_end` and `handle_timeout` never refuse (they add at most `max_unacked + 2`), so
    /// the queues never hold more than `max_queued_outputs + max_unacked + 5`.
    pub max_queued_outputs: usize,
    /// How long an acknowledgement may take (default 30 s).
    pub ack_timeout: Duration,
    /// How long to wait for the peer's close frame after ours (default 5 s).
    pub close_timeout: Duration,
    /// Refused frames in a row before the connection is closed with 1008 (default 16).
    pub max_consecutive_rejections: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            rate_per_second: 25,
            rate_burst: 250,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
            max_batch: 64,
            max_unacked: 256,
            max_queued_outputs: 1024,
            ack_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
            max_consecutive_rejections: 16,
        }
    }
}

/// Protocol settings of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The Versia version both sides speak (decides the endpoint path and `signed_by`).
    pub version: Version,
    /// Allowed clock skew in seconds, either direction (default 300).
    pub max_skew_secs: u64,
    /// Path forms accepted when verifying (default strict only).
    pub path_mode: PathMode,
    /// The path form of our signatures: the upgrade request, the `101` response and entity
    /// messages (default strict). [`PathForm::VersiaServer`] for a peer running versia-server
    /// ([`crate::path`]); for the endpoint paths both forms are the same string, but entities
    /// that text decoding would change are then refused
    /// ([`SignError::BodyNotText`](crate::signature::SignError::BodyNotText)).
    pub sign_path_form: PathForm,
    /// Bounds.
    pub limits: Limits,
}

impl Config {
    /// Defaults for `version`.
    pub fn new(version: Version) -> Self {
        Self {
            version,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            path_mode: PathMode::Strict,
            sign_path_form: PathForm::Strict,
            limits: Limits::default(),
        }
    }

    /// For a peer running versia-server: verify its path form too
    /// ([`PathMode::AlsoVersiaServer`]) and sign in it ([`PathForm::VersiaServer`]).
    #[must_use]
    pub fn versia_server_compatible(mut self) -> Self {
        self.path_mode = PathMode::AlsoVersiaServer;
        self.sign_path_form = PathForm::VersiaServer;
        self
    }

    /// The endpoint path, `/.versia/v0.x/ws`.
    pub fn path(&self) -> &'static str {
        self.version.ws_path()
    }

    pub(crate) fn verify_options(&self) -> VerifyOptions {
        VerifyOptions::new(self.version)
            .with_max_skew_secs(self.max_skew_secs)
            .with_path_mode(self.path_mode)
    }
}

/// Who we are: the instance name and its private key.
#[derive(Debug, Clone)]
pub struct LocalIdentity {
    /// Our signer: 0.6 our domain, 0.5 `instance <host>`.
    pub signer: SignedBy,
    /// Our instance key.
    pub key: PrivateKey,
}
