//! Activity Streams 2.0 types that read real-world ActivityPub JSON leniently and losslessly, plus ActivityPub client-to-server rules as pure functions.
//!
//! The crate does no IO: it reads no clock and opens no socket; hosts pass bytes and time in.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
