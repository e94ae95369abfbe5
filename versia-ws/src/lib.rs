//! Versia request signatures, the WebSocket message codec and a sans-IO connection machine for
//! instance-to-instance WebSockets.
//!
//! [Versia](https://versia.pub) instances sign every request with Ed25519 (`Versia-Signature`,
//! `Versia-Signed-At`, `Versia-Signed-By`). Its WebSocket extension moves the same signed
//! entities over one connection but stops at "Connection Establishment"; this crate implements
//! the signatures strictly for 0.5 and 0.6, the message format, typed entities, and a complete,
//! documented connection protocol ([`connection`]).
//!
//! **No IO inside.** The crate reads no clock, opens no socket, spawns nothing and draws no
//! randomness: hosts pass bytes, frames, `Instant`s and the wall clock (a `SystemTime`, for the
//! connection and the stand-alone signature functions alike; [`clock`] says how one before
//! 1970 or past 9999 is treated) in, and take frames, events and deadlines out. Key lookup and key caches are the host's ([`KeyResolver`]).
//!
//! The sans-IO contract of the crate family (`handle_*` in, `poll_*` out, `now` passed in,
//! every queue bounded) is written once in `docs/sans-io-contract.md` in the repository, with
//! this crate's machines in its table and what still differs from it.
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`signature`] | signed string, sign, strict verify (whole, or head first then body), the three headers, 401/422 mapping |
//! | [`key`] | SPKI / PKCS#8 keys (strict), key resolvers |
//! | [`signer`], [`version`], [`path`] | `Versia-Signed-By` per version, path encoding, versia-server interop |
//! | [`message`] | `WebSocketMessage` codec and verification, burst verification |
//! | [`batch`] | batch verification that rejects what single verification rejects |
//! | [`replay`] | bounded cache of seen signatures |
//! | [`entity`] | typed, lossless Versia entities; who may author what ([`entity::check_author`]) |
//! | [`connection`] | the connection protocol (a small spec) and its machine |
//!
//! With the `tokio-tungstenite` feature, [`client::connect`] opens the initiating side of
//! the instance WebSocket over `tokio-tungstenite` (signed upgrade, checked `101`) and its
//! [`client::Client`] drives the connection with tokio's timer; its documentation has the
//! complete example. Without the feature no runtime is compiled in; with it, no TLS is chosen.
//!
//! # Data flow
//!
//! ```text
//!  socket (host)            versia-ws                                   host
//!  ─────────────            ─────────                                   ────
//!  upgrade request ──► Acceptor::accept ── headers ─► verify ─┐
//!                          │  (KeyResolver, ReplayGuard)       │ 401/422/403/404/405 ──► HTTP answer
//!                          ▼                                   │
//!  101 + signed headers ◄─ Accepted ◄──────────────────────────┘
//!  text frame ───────► Connection::handle_text ─► Frame::decode ─► inbox
//!                                                                   │ (on drain, as a batch)
//!                         claim ─► window ─► signer∈peer ─► replay ─► key ─► batch Ed25519
//!                                                                   │
//!  text frame ◄────── poll_transmit ◄── ack {signature,id} / error {status,code}
//!                      poll_event ──► Received / Delivered / Refused / Rejected / Closed ──► app
//!                      poll_timeout ─► handle_timeout (ack deadlines, closing handshake)
//! ```
//!
//! # Example
//!
//! Two instances, wired back to back in memory: Bob opens a connection to Alice and delivers
//! a Note; Alice verifies it and acknowledges it with the note's id.
//!
//! ```
//! use std::time::{Duration, Instant, UNIX_EPOCH};
//! use versia_ws::connection::{Acceptor, Config, Event, Initiator, LocalIdentity, Transmit};
//! use versia_ws::replay::ReplayCache;
//! use versia_ws::{PrivateKey, SignedBy, SignerKey, Version};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Keys come from the host (here, fixed seeds; normally PKCS#8 from configuration).
//! let bob = LocalIdentity { signer: SignedBy::instance("bob.example"), key: PrivateKey::from_seed(&[1; 32]) };
//! let alice = LocalIdentity { signer: SignedBy::instance("alice.example"), key: PrivateKey::from_seed(&[2; 32]) };
//! // What each side knows about the other's key (normally from InstanceMetadata, cached).
//! let bobs_key = SignerKey { signer: bob.signer.clone(), key: bob.key.public_key() };
//! let alices_key = SignerKey { signer: alice.signer.clone(), key: alice.key.public_key() };
//!
//! // The monotonic clock for timers, the wall clock for signatures (normally SystemTime::now()).
//! let (now, wall) = (Instant::now(), UNIX_EPOCH + Duration::from_secs(1_729_243_417));
//! let config = Config::new(Version::V0_6);
//!
//! // Bob: a signed upgrade request to /.versia/v0.6/ws.
//! let initiator = Initiator::new(config.clone(), bob, alice.signer.clone());
//! let mut request = http::Request::get(initiator.path()).body(())?;
//! *request.headers_mut() = initiator.request_headers(wall)?;
//!
//! // Alice: authenticate it; on success answer 101 with the signed response headers.
//! let accepted = Acceptor::new(config, alice)
//!     .accept(now, wall, &request, bobs_key, ReplayCache::default())
//!     .map_err(|rejection| format!("answer {}: {}", rejection.status, rejection.error))?;
//! let mut alice_side = accepted.connection;
//! let mut bob_side = initiator.finish(
//!     now, wall, http::StatusCode::SWITCHING_PROTOCOLS, &accepted.response_headers, alices_key)?;
//!
//! // Bob sends a Note; the host writes each transmit to the socket.
//! let note = r#"{"id":"n1","type":"Note","created_at":"2024-10-18T09:23:37Z","author":"bob"}"#;
//! let signature = bob_side.send_entity(now, wall, note)?;
//! while let Some(Transmit::Text(frame)) = bob_side.poll_transmit(now) {
//!     alice_side.handle_text(now, wall, &frame)?; // the socket, in memory
//! }
//!
//! // Alice drains: transmits first (the ack), then events.
//! while let Some(Transmit::Text(frame)) = alice_side.poll_transmit(now) {
//!     bob_side.handle_text(now, wall, &frame)?;
//! }
//! match alice_side.poll_event(now) {
//!     Some(Event::Received(received)) => {
//!         assert_eq!(received.id.as_deref(), Some("n1"));
//!         assert_eq!(received.message.entity, note); // the exact signed text
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert_eq!(bob_side.poll_event(now), Some(Event::Delivered { signature, id: Some("n1".into()) }));
//! # Ok(())
//! # }
//! ```
//!
//! Plain HTTP signing and verification needs no connection:
//!
//! ```
//! use versia_ws::signature::{SignatureHeaders, verify_request};
//! use versia_ws::{PrivateKey, SignedBy, VerifyError, VerifyOptions, Version};
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//!
//! // The host's wall clock (normally SystemTime::now()).
//! let at = |unix: u64| UNIX_EPOCH + Duration::from_secs(unix);
//! let key = PrivateKey::from_pkcs8_base64("MC4CAQAwBQYDK2VwBCIEILrNXhbWxC/MhKQDsJOAAF1FH/R+Am5G/eZKnqNum5ro").unwrap();
//! let mut request = http::Request::post("https://alice.example/.versia/v0.6/inbox")
//!     .body(br#"{"content":"Hello, world!"}"#.to_vec())
//!     .unwrap();
//! SignatureHeaders::sign_request(&mut request, &key, SignedBy::instance("bob.com"), Version::V0_6, at(1_729_243_417)).unwrap();
//!
//! let options = VerifyOptions::new(Version::V0_6);
//! let mut bobs_key = key.public_key();
//! assert!(verify_request(&options, &request, Some(at(1_729_243_500)), &mut bobs_key).is_ok());
//! let late = verify_request(&options, &request, Some(at(1_729_243_717 + 1)), &mut bobs_key).unwrap_err();
//! assert!(matches!(late, VerifyError::Stale { .. }));
//! assert_eq!(late.status(), 422);
//! ```
//!
//! # Decisions the spec leaves open
//!
//! - The path in the signed string is RFC 3986-encoded by the rule in [`path`]; the query
//!   string is never signed. versia-server's `encodeURI(new URL(url).pathname)` form
//!   ([`path::versia_server_path`], a model of the URL parser and `encodeURI`) is opt-in per
//!   peer: accepted when verifying with [`path::PathMode::AlsoVersiaServer`], produced when
//!   signing with [`path::PathForm::VersiaServer`] ([`signature::sign_in`],
//!   [`connection::Config::versia_server_compatible`]).
//! - The body digest is always over the exact bytes received or sent. versia-server hashes the
//!   body's text decoding instead; where that differs from the bytes (a leading byte-order mark,
//!   invalid UTF-8) its signature is refused and ours in its form is not made, so no byte is
//!   accepted that a signature does not cover ([`signature`], "versia-server interop").
//! - `signed_at` must be canonical decimal seconds (no leading zero, sign or fraction), since
//!   its text is part of the signed string; the window is inclusive at exactly 300 s.
//! - Keys are refused unless canonical, of prime order, Ed25519 SPKI / PKCS#8; signatures
//!   unless `S < ℓ` and `R` canonical and not of small order ([`signature`]).
//! - A resolver may bind a key to its owner ([`SignerKey`]); a key owned by someone else than
//!   the message's signer is [`VerifyError::WrongKey`], distinct from a failed check.
//! - WebSocket messages are signed as `post /.versia/v0.x/ws …`; the connection protocol,
//!   replies, limits and close codes are specified in [`connection`].
//! - A signature vouches for the signer's own users only: an entity's `author` must be a user of
//!   the signing instance ([`entity::check_author`]); the connection refuses others (403
//!   `foreign_author`). Other references in an entity are plain references, never identities.
//! - Servers can verify a request's head before reading its body
//!   ([`signature::verify_request_head`], then [`signature::CheckedHead::verify_body`]), so
//!   unsigned, unknown or stale requests are refused without buffering their bodies.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod batch;
#[cfg(feature = "tokio-tungstenite")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-tungstenite")))]
pub mod client;
pub mod clock;
pub mod connection;
pub mod entity;
pub mod key;
pub mod message;
pub mod path;
pub mod replay;
pub mod signature;
pub mod signer;
pub mod version;

pub use key::{KeyError, KeyResolver, PrivateKey, PublicKey, SignerKey};
pub use message::WebSocketMessage;
pub use signature::{Signature, SignatureInput, VerifyError, VerifyOptions};
pub use signer::SignedBy;
pub use version::Version;
