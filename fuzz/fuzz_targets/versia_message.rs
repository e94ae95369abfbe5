//! `WebSocketMessage` decoding and verification (versia-ws), fed arbitrary bytes.
//!
//! Decodes the input as a message; when it decodes, verifies it under a fixed key at a fixed
//! time (both the single and the batch path, which must agree), and parses its entity. The
//! input is also read as a request path in versia-server's form.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use versia_ws::entity::Entity;
use versia_ws::message::{DEFAULT_MAX_MESSAGE_BYTES, verify_messages};
use versia_ws::{PrivateKey, PublicKey, VerifyOptions, Version, WebSocketMessage};

const PATH: &str = "/.versia/v0.6/ws";
const NOW: u64 = 1_729_243_417;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = PublicKey::from_spki_base64(text);
    let signed = versia_ws::path::versia_server_path(text);
    assert!(signed.is_ascii());
    let Ok(message) = WebSocketMessage::decode(text, DEFAULT_MAX_MESSAGE_BYTES) else {
        return;
    };
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let mut key = PrivateKey::from_seed(&[7; 32]).public_key();
    for version in [Version::V0_5, Version::V0_6] {
        let options = VerifyOptions::new(version);
        let single = message.verify(&options, PATH, Some(now), &mut key);
        let batch = verify_messages(
            &options,
            PATH,
            std::slice::from_ref(&message),
            Some(now),
            &mut key,
        );
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].is_ok(), single.is_ok());
    }
    let _ = Entity::from_json(&message.entity).map(|entity| entity.to_json());
    let again = WebSocketMessage::decode(&message.encode(), DEFAULT_MAX_MESSAGE_BYTES);
    assert_eq!(again.as_ref(), Ok(&message));
});
