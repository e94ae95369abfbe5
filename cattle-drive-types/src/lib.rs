//! The Cattle Drive protocol (cattle_grid's account API over AMQP and MQTT): messages, routing keys, authorization and a sans-IO correlation machine.
//!
//! The crate does no IO: it reads no clock and opens no socket; hosts pass bytes and time in.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
