//! Every JSON example of the seed document decodes and re-encodes to the same JSON value
//! (`tests/data/seed/SOURCES.md` lists where each comes from).

use std::fs;
use std::path::PathBuf;

use bus_protocol::message::{ClientMessage, DecodeError, ServerMessage};
use serde_json::Value;

fn examples(direction: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/seed")
        .join(direction);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn same_json(name: &str, original: &[u8], encoded: &[u8]) {
    let a: Value = serde_json::from_slice(original).unwrap();
    let b: Value = serde_json::from_slice(encoded).unwrap();
    assert_eq!(a, b, "{name} did not round-trip");
}

#[test]
fn client_examples_round_trip() {
    let all = examples("client");
    assert_eq!(all.len(), 6);
    for (name, bytes) in all {
        let message = ClientMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_kind = name.trim_end_matches(".json");
        assert_eq!(message.kind(), expected_kind, "{name}");
        same_json(&name, &bytes, &message.encode());
        // A client message is not a server message (except where the type names coincide).
        if !["presence", "typing"].contains(&expected_kind) {
            assert!(
                matches!(
                    ServerMessage::decode(&bytes),
                    Err(DecodeError::UnknownType(_))
                ),
                "{name}"
            );
        }
    }
}

#[test]
fn server_examples_round_trip() {
    let all = examples("server");
    assert_eq!(all.len(), 10);
    for (name, bytes) in all {
        let message = ServerMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(message.kind(), value["type"], "{name}");
        assert_eq!(message.timestamp(), 1_738_483_200, "{name}");
        same_json(&name, &bytes, &message.encode());
    }
}

#[test]
fn shared_type_names_decode_by_direction() {
    // `presence` and `typing` exist in both directions with different fields.
    let client = fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/seed/client/typing.json"),
    )
    .unwrap();
    let err = ServerMessage::decode(&client).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::InvalidFields {
                message_type: "typing",
                ..
            }
        ),
        "{err}"
    );
}
