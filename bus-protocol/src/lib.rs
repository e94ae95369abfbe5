//! A WebSocket notification bus as sans-IO machines: messages, server session and hub with their limits, client reconnection, and the Cloudillo wire format.
//!
//! The crate does no IO: it reads no clock and opens no socket; hosts pass bytes and time in.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
