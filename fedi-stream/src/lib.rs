//! Sans-IO text/event-stream codec, ActivityPub client-to-server streaming over SSE and WebSocket, and an RFC 6455 WebSocket engine.
//!
//! The crate does no IO: it reads no clock and opens no socket; hosts pass bytes and time in.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
