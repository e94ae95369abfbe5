//! What a connection reports to its host and asks it to send.

use crate::entity::{AuthorityError, Entity, EntityError};
use crate::message::{MessageError, WebSocketMessage};
use crate::signature::{Signature, Verified, VerifyError};
use crate::signer::SignedBy;

/// A WebSocket close code (RFC 6455 §7.4), with the codes this crate uses named.
///
/// Any `u16` can be held: a peer's Close frame may carry any code, and the host may close with
/// one of its own (3000–4999 are for applications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (e.g. server shutdown).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1003: a binary frame arrived; this protocol is text-only.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1006: the transport ended without a closing handshake ([`Connection::handle_end`]).
    /// Never sent on the wire.
    ///
    /// [`Connection::handle_end`]: crate::connection::Connection::handle_end
    pub const ABNORMAL: Self = Self(1006);
    /// 1008: too many refused frames in a row.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a frame exceeded `max_message_bytes`.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
}

impl std::fmt::Display for CloseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

/// A frame for the host to send on the WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// A text frame.
    Text(String),
    /// A close frame; send it, then stop sending.
    Close {
        /// The close code.
        code: CloseCode,
        /// The reason (at most 123 bytes, as RFC 6455 allows).
        reason: String,
    },
}

/// Which side started the closing handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// This side.
    Local,
    /// The peer.
    Peer,
}

/// A verified entity from the peer (already acknowledged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message as received; `entity` is the exact signed text.
    pub message: WebSocketMessage,
    /// What verification established.
    pub verified: Verified,
    /// The entity's `id` (none for transient entities).
    pub id: Option<String>,
}

impl Received {
    /// The entity, typed.
    pub fn entity(&self) -> Result<Entity, EntityError> {
        Entity::from_json(&self.message.entity)
    }
}

/// Why we refused a frame from the peer (it was answered with an error frame).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// Not a frame of this protocol (400).
    Malformed(MessageError),
    /// The signature failed (401, or 422 for the time window).
    Verify(VerifyError),
    /// Signed by someone who does not belong to the authenticated peer (403).
    SignerNotPeer {
        /// The message's signer.
        signer: SignedBy,
        /// The peer authenticated at the upgrade.
        peer: SignedBy,
    },
    /// The entity text is not a JSON object with a string or null `id` (400).
    InvalidEntity {
        /// What is wrong.
        reason: String,
    },
    /// The entity's `author` is not a user of the signer (403, `foreign_author`): an instance
    /// signs only for its own users ([`crate::entity::check_author`]).
    ForeignAuthor(AuthorityError),
    /// Over the rate limit (429).
    RateLimited,
    /// The replay cache is full of live signatures (503).
    ReplayCacheFull {
        /// Its capacity.
        capacity: usize,
    },
    /// An ack or error frame for a message we are not waiting on (not answered).
    UnmatchedReply,
}

impl RejectReason {
    /// The HTTP-style status put in the error frame.
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) | Self::InvalidEntity { .. } | Self::UnmatchedReply => 400,
            Self::Verify(error) => error.status().as_u16(),
            Self::SignerNotPeer { .. } | Self::ForeignAuthor(_) => 403,
            Self::RateLimited => 429,
            Self::ReplayCacheFull { .. } => 503,
        }
    }

    /// The `code` put in the error frame.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Verify(error) => error.code(),
            Self::SignerNotPeer { .. } => "signer_not_peer",
            Self::InvalidEntity { .. } => "invalid_entity",
            Self::ForeignAuthor(error) => error.code(),
            Self::RateLimited => "rate_limited",
            Self::ReplayCacheFull { .. } => "replay_cache_full",
            Self::UnmatchedReply => "unmatched_reply",
        }
    }

    /// A human-readable message.
    pub fn message(&self) -> String {
        match self {
            Self::Malformed(error) => error.to_string(),
            Self::Verify(error) => error.to_string(),
            Self::SignerNotPeer { signer, peer } => {
                format!("{signer} does not belong to the connected peer {peer}")
            }
            Self::InvalidEntity { reason } => reason.clone(),
            Self::ForeignAuthor(error) => error.to_string(),
            Self::RateLimited => "rate limit exceeded".into(),
            Self::ReplayCacheFull { capacity } => {
                format!("replay cache full ({capacity} live signatures); retry later")
            }
            Self::UnmatchedReply => "reply to no pending message".into(),
        }
    }
}

/// Something that happened on the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A verified entity from the peer.
    Received(Box<Received>),
    /// The peer acknowledged one of our messages.
    Delivered {
        /// Our message's signature.
        signature: Signature,
        /// The entity id the peer echoed.
        id: Option<String>,
    },
    /// The peer refused one of our messages (or sent an error about no message in particular).
    Refused {
        /// Our message's signature, when the peer named it.
        signature: Option<Signature>,
        /// The status the peer gave.
        status: u16,
        /// The peer's code.
        code: String,
        /// The peer's message.
        message: String,
    },
    /// We refused a frame from the peer.
    Rejected {
        /// The frame's signature, when it could be read.
        signature: Option<Signature>,
        /// Why.
        reason: RejectReason,
    },
    /// No acknowledgement came for one of our messages within `ack_timeout`.
    DeliveryTimedOut {
        /// Our message's signature.
        signature: Signature,
    },
    /// The connection is closed; the host should drop the socket.
    Closed {
        /// The close code.
        code: CloseCode,
        /// The reason.
        reason: String,
        /// Who started closing.
        initiated_by: Side,
    },
}
