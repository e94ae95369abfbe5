//! Discovery: how a client finds the streams.
//!
//! ```text
//!  GET actor (as the actor itself) ─▶ endpoints: { websocket, eventSource, proxyEventStream }
//!  GET actor (anyone else)         ─▶ endpoints without them            (StreamEndpoints::apply)
//!  GET object / collection         ─▶ "eventStream": URL                (set_event_stream)
//!  remote object                   ─▶ proxyEventStream?id=…&access_token=…
//!  SSE data                        ─▶ Add / Remove / Update / Delete    (ObjectEvent)
//! ```
//!
//! - The C2S proposal: `endpoints.websocket` (RFC 6455 endpoint) visible only to the actor,
//!   and SSE by content negotiation on the collection itself; `endpoints.eventSource`
//!   (FEP-61ce's name) points at it for clients that look for an endpoint.
//! - The SWICG CG draft "Server-Sent Events for the ActivityPub API": an `eventStream`
//!   property on any object (JSON-LD context [`SSE_CONTEXT`]), `endpoints.proxyEventStream`
//!   for remote objects (parameters `id` and `access_token`), and events that are AS2
//!   `Add`/`Remove`/`Update`/`Delete` activities about the watched object.

mod endpoints;
mod event_stream;

use thiserror::Error;

pub use endpoints::{EVENT_SOURCE, PROXY_EVENT_STREAM, StreamEndpoints, Viewer, WEBSOCKET};
pub use event_stream::{
    ACCESS_TOKEN_PARAM, AS2_CONTEXT, Change, EVENT_STREAM, ID_PARAM, ObjectEvent,
    ProxyEventStreamQuery, SSE_CONTEXT, event_stream_of, proxy_event_stream_url,
    redact_access_token, set_event_stream,
};

/// A document or request that discovery cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The document is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// The actor's `endpoints` is a link or another non-object value; it cannot be edited.
    #[error("the actor's endpoints is not an embedded object")]
    EndpointsNotEmbedded,
    /// A `proxyEventStream` request without an `id` parameter.
    #[error("the proxyEventStream request has no id parameter")]
    MissingId,
    /// A `proxyEventStream` `id` that is not an absolute URL.
    #[error("the proxyEventStream id is not an absolute URL")]
    InvalidId,
    /// An event whose `type` is not `Add`, `Remove`, `Update` or `Delete`.
    #[error("the event is not an Add, Remove, Update or Delete activity")]
    NotAChange,
    /// An event without `object`.
    #[error("the event has no object")]
    MissingObject,
    /// An `Add` or `Remove` without `target`.
    #[error("an Add or Remove event needs a target collection")]
    MissingTarget,
}
