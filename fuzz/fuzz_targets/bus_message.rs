//! Decoding of WebSocket Bus messages (both directions) and Cloudillo frames: no panic on any
//! input, and every accepted message re-encodes to something that decodes to itself.
#![no_main]

use bus_protocol::cloudillo::Frame;
use bus_protocol::message::{ClientMessage, ServerMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ClientMessage::decode(data) {
        assert_eq!(ClientMessage::decode(&m.encode()).as_ref(), Ok(&m));
    }
    if let Ok(m) = ServerMessage::decode(data) {
        assert_eq!(ServerMessage::decode(&m.encode()).as_ref(), Ok(&m));
    }
    if let Ok(f) = Frame::decode(data) {
        assert_eq!(Frame::decode(&f.encode()).as_ref(), Ok(&f));
        let _ = f.ack();
        let _ = f.to_client_message();
        let _ = f.to_server_message(std::time::UNIX_EPOCH);
    }
});
