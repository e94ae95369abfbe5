//! Tests only: `tests/` drives the SSE decoder, the C2S stream client and the Bus client and hub
//! on `wasm32-unknown-unknown` under Node, with `web_time`'s clocks (the browser's
//! `performance.now()` and `Date.now()`). Run them with `scripts/wasm-test`; on native targets
//! the tests compile to nothing.
#![forbid(unsafe_code)]
