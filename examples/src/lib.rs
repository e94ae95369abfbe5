//! Shared pieces of the reference hosts (`fedi-hub`, `fedi-inspect`): runtime adapters that wire
//! the sans-IO crates of the family to real transports.

#![forbid(unsafe_code)]

pub mod cattle;
pub mod hub;
