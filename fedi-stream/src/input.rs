//! [`InputError`]: input handed to a closed or backlogged machine, shared by the WebSocket
//! engine and the C2S socket connections.

use thiserror::Error;

/// The host handed input to a machine that cannot take it now. Nothing was consumed.
///
/// Returned by the `handle_*` methods of [`websocket::Connection`](crate::websocket) and of the
/// C2S socket's `ServerConnection` and `ClientConnection` (exported as
/// `websocket::InputError` and `c2s::socket::InputError`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum InputError {
    /// The machine is closed for input (the peer's Close was read or handled, it failed, the
    /// transport ended, or it closed itself). Stop reading; close the transport once
    /// `poll_transmit` has nothing left.
    #[error("the connection is closed; it takes no more input")]
    Closed,
    /// `max` events wait for `poll_event` (the machine's `max_queued_events` limit): drain
    /// them, then hand the input over again.
    #[error("{max} events wait for poll_event (max_queued_events); drain them, then call again")]
    Backpressure {
        /// The limit.
        max: usize,
    },
}
