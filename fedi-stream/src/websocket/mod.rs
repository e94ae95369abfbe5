//! A sans-IO RFC 6455 WebSocket engine: the opening handshake on [`http`] types, the frame
//! codec, and a [`Connection`] state machine for clients and servers. It opens no socket,
//! reads no clock and spawns nothing; the host moves the bytes.
//!
//! ```text
//!  transport bytes (any chunking)                                          application
//!  ─────────────▶ Connection::handle_bytes ──▶ frames ──▶ reassembly ──▶ poll_event ─▶ Event::Message(Text | Binary)
//!  ─────────────▶ Connection::handle_end       │  header checks,   UTF-8 (fail fast)     Event::Ping / Pong
//!                                              │  unmask in place, Limits              Event::Close / Failed
//!                                              └─▶ owed Pongs / Close ┐
//!  ◀──────────── poll_transmit(&mut buf) ◀────────────────────────────┘
//!  ◀──────────── send_text / send_binary / send_fragment / send_ping / close (&mut buf) ◀── application
//! ```
//!
//! The opening handshake ([`handshake`]) happens first, over HTTP/1.1: a server validates the
//! request with [`handshake::UpgradeRequest::parse`] and answers 101; a client builds the
//! request with [`handshake::ClientHandshake`] and checks the answer. Then both sides create a
//! [`Connection`] for their [`Role`] and feed it everything after the HTTP head.
//!
//! ```
//! use fedi_stream::websocket::handshake::{head, ClientHandshake, UpgradeRequest};
//! use fedi_stream::websocket::{CloseCode, Connection, Event, Limits, Message, State};
//!
//! // Client: the upgrade request.
//! let client_handshake = ClientHandshake::new("ws://127.0.0.1/stream".parse()?, [7; 16], &[])?;
//! let mut to_server = Vec::new();
//! head::write_request(&client_handshake.request(), &mut to_server);
//!
//! // Server: parse it, accept it, and start a connection.
//! let (request, used) = head::parse_request(&to_server, &head::HeadLimits::default())?.expect("complete");
//! to_server.drain(..used);
//! let mut to_client = Vec::new();
//! match UpgradeRequest::parse(&request) {
//!     Ok(upgrade) => head::write_response(&upgrade.response(None)?, &mut to_client),
//!     Err(refused) => head::write_response(&refused.response(), &mut to_client), // 400 or 426
//! }
//! let mut server = Connection::server(Limits::default());
//!
//! // Client: check the answer, start its connection, send a message and close.
//! let (response, used) = head::parse_response(&to_client, &head::HeadLimits::default())?.expect("complete");
//! to_client.drain(..used);
//! client_handshake.check_response(&response)?;
//! let mut client = Connection::client(Limits::default(), 0x5eed); // seed from a CSPRNG in production
//! client.send_text("hello", &mut to_server)?;
//! client.close(CloseCode::NORMAL, "done", &mut to_server)?;
//!
//! // Server: the transport delivers the bytes in 3-byte pieces. After each input, the
//! // connection's own frames go out first, then the events are handled.
//! let mut events = Vec::new();
//! for piece in to_server.chunks(3) {
//!     server.handle_bytes(piece)?;
//!     let _ = server.poll_transmit(&mut to_client); // Pongs, the Close reply
//!     events.extend(std::iter::from_fn(|| server.poll_event())); // replies would go here
//! }
//! assert_eq!(events[0], Event::Message(Message::text("hello")));
//! assert!(matches!(&events[1], Event::Close(Some(frame)) if frame.code == CloseCode::NORMAL));
//! assert_eq!(server.state(), State::Closed); // the reply is in `to_client`: close the TCP connection
//!
//! // Client: the server's reply completes the closing handshake.
//! client.handle_bytes(&to_client)?;
//! assert!(matches!(client.poll_event(), Some(Event::Close(Some(_)))));
//! assert_eq!(client.state(), State::Closed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Decisions worth knowing (details on the types):
//! - No extensions (no permessage-deflate): RSV bits are a protocol error.
//! - Limits ([`Limits`]): 16 MiB per frame and per message by default; exceeding one fails the
//!   connection with 1009. Control payloads are at most 125 bytes by the RFC.
//! - Text is checked as it arrives: invalid UTF-8 fails the connection with 1007 as soon as the
//!   bytes that make it invalid have been handed to
//!   [`handle_bytes`](Connection::handle_bytes), even in the middle of a frame or fragment.
//! - Pings are answered automatically (up to [`Limits::max_pending_pongs`] waiting, then only
//!   the latest); a Close is answered by echoing its code. Close codes 1012–1014 (IANA
//!   registry) are accepted besides those of RFC 6455.
//! - One drain order, as in the crate family's sans-IO contract: after every input,
//!   [`poll_transmit`](Connection::poll_transmit) first, then
//!   [`poll_event`](Connection::poll_event). The Close answering the peer's Close or a failure
//!   is queued as soon as that frame is read or the failure found.
//! - Input is refused with [`InputError::Closed`] once the connection is closed for input,
//!   and at most [`Limits::max_queued_events`] events wait: beyond them
//!   [`handle_bytes`](Connection::handle_bytes) stops consuming and says how far it got.
//! - Non-minimal length encodings are accepted (the RFC requires minimal ones of senders only);
//!   a 64-bit length with its top bit set is refused.
//! - The client's masking keys come from a generator seeded by the caller (a `u64` from a
//!   CSPRNG, see [`Connection::client`]); the handshake nonce is a caller-supplied value.
//! - With the `tungstenite` feature, `tungstenite` conversions ([`Message`],
//!   [`Event`], [`CloseFrame`], [`OpCode`] to and from `tungstenite` 0.30 types).

mod connection;
mod error;
mod frame;
pub mod handshake;
mod limits;
mod mask;
mod message;
#[cfg(feature = "tungstenite")]
mod tungstenite_compat;
mod utf8;

pub use crate::close::{CloseCode, CloseFrame};
pub use crate::input::InputError;
pub use connection::{Connection, State};
pub use error::{ProtocolError, SendError};
pub use frame::{FrameHeader, OpCode, Role, write_frame};
pub use limits::{Limit, Limits};
pub use mask::apply_mask;
pub use message::{ControlPayload, DataKind, Event, Message};
#[cfg(feature = "tungstenite")]
#[cfg_attr(docsrs, doc(cfg(feature = "tungstenite")))]
pub use tungstenite_compat::ConversionError;
pub use utf8::{InvalidUtf8, Utf8Validator};
