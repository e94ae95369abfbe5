//! Versia request signatures, the WebSocket message codec and a sans-IO connection machine for instance-to-instance WebSockets.
//!
//! The crate does no IO: it reads no clock and opens no socket; hosts pass bytes and time in.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
