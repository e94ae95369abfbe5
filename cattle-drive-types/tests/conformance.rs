//! Conformance with the messages generated from cattle_grid 0.5.22's and almabtrieb 0.3.0's
//! own models (tests/data, see tests/data/SOURCES.md).

use std::fs;
use std::path::{Path, PathBuf};

use cattle_drive_types::message::{Limits, Message};
use cattle_drive_types::topic::{MessageKind, RoutingKey, Transport};
use serde_json::{Value, json};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decode(key: &str, transport: Transport, body: &[u8]) -> Result<(RoutingKey, Message), String> {
    let key = RoutingKey::parse(key, transport).map_err(|e| e.to_string())?;
    let message =
        Message::decode(&key.route, body, &Limits::default()).map_err(|e| e.to_string())?;
    Ok((key, message))
}

/// What cattle_grid's models write for the two fixtures that are not themselves model dumps:
/// `CreateActorRequest(baseUrl=...).model_dump(by_alias=True)` fills in every default, and the
/// camelCase aliases replace almabtrieb's snake_case names.
fn expected_rewrite(file: &str, original: &Value) -> Value {
    match file {
        "request_create_actor_minimal.json" => json!({
            "baseUrl": "http://abel", "name": null, "preferredUsername": null, "profile": {},
            "automaticallyAcceptFollowers": null
        }),
        "request_create_actor_almabtrieb.json" => json!({
            "baseUrl": "http://abel", "name": "Alice", "preferredUsername": "alice",
            "profile": {"summary": "A new actor"}, "automaticallyAcceptFollowers": true
        }),
        _ => original.clone(),
    }
}

#[test]
fn every_fixture_parses_as_its_kind_and_reserializes_as_cattle_grid_writes() {
    let manifest = read_json(&data_dir().join("manifest.json"));
    let Value::Object(entries) = manifest else {
        panic!("manifest must be an object")
    };
    assert_eq!(entries.len(), 19, "fixture count");
    for (file, entry) in entries {
        let kind = entry["kind"].as_str().unwrap_or_default();
        let want =
            MessageKind::from_name(kind).unwrap_or_else(|| panic!("{file}: unknown kind {kind}"));
        let bytes = fs::read(data_dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let original: Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (field, transport) in [
            ("amqp_routing_key", Transport::Amqp),
            ("mqtt_topic", Transport::Mqtt),
        ] {
            let key = entry[field].as_str().unwrap_or_default();
            let (parsed, message) =
                decode(key, transport, &bytes).unwrap_or_else(|e| panic!("{file} via {key}: {e}"));
            assert_eq!(parsed.kind(), want, "{file}: kind of {key}");
            assert_eq!(
                parsed.format(transport).ok().as_deref(),
                Some(key),
                "{file}: key round trip"
            );
            let rewritten: Value = serde_json::from_slice(&message.to_json()).unwrap_or_default();
            assert_eq!(
                rewritten,
                expected_rewrite(&file, &original),
                "{file}: re-serialized body"
            );
        }
    }
}

fn envelopes(dir: &str) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(data_dir().join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{dir}: {e}")).path();
        let envelope = read_json(&path);
        let key = envelope["routing_key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, key, envelope["body"].clone()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn negative_envelopes_are_refused() {
    let cases = envelopes("negative");
    assert_eq!(cases.len(), 2);
    for (name, key, body) in cases {
        let got = decode(&key, Transport::Amqp, body.to_string().as_bytes());
        assert!(got.is_err(), "{name}: accepted {got:?}");
    }
}

#[test]
fn lenient_envelopes_are_accepted_and_keep_their_keys() {
    let cases = envelopes("lenient");
    assert_eq!(cases.len(), 2);
    for (name, key, body) in cases {
        let got = decode(&key, Transport::Amqp, body.to_string().as_bytes());
        let (_, message) = got.unwrap_or_else(|e| panic!("{name}: refused: {e}"));
        let rewritten: Value = serde_json::from_slice(&message.to_json()).unwrap_or_default();
        match name.as_str() {
            // cattle_grid ignores the unknown key; we keep it (lossless round trip).
            "fetch_extra_key.json" => assert_eq!(rewritten, body, "{name}"),
            // snake_case field names accepted, camelCase aliases written, defaults filled in.
            "info_snake_case.json" => assert_eq!(
                rewritten,
                json!({"accountName": "alice", "actors": [], "baseUrls": [],
                       "backend": {"name": "x", "version": "1"},
                       "protocol": {"name": "CattleDrive", "version": "0.1.1"}, "methodInformation": []}),
                "{name}"
            ),
            other => panic!("unexpected lenient fixture {other}"),
        }
    }
}
