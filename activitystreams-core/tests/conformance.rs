//! Conformance of parsing and writing against the W3C examples and real-world documents in
//! `tests/data/` (see `tests/data/SOURCES.md`).

use std::path::{Path, PathBuf};

use activitystreams_core::Object;
use serde_json::Value;

fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The `.json` documents of a folder, sorted, without the index file.
fn documents(folder: &str) -> Vec<(String, Vec<u8>)> {
    let mut docs: Vec<_> = std::fs::read_dir(data_dir(folder))
        .expect("test data folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "INDEX.json"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable");
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    docs.sort();
    docs
}

fn w3c_examples() -> Vec<(String, Vec<u8>)> {
    documents("w3c")
}

fn real_documents() -> Vec<(String, Vec<u8>)> {
    documents("real")
}

/// Parse, write, and compare JSON values; also through serde's `Serialize` and `from_value`.
fn assert_lossless(name: &str, bytes: &[u8]) {
    let expected: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let object = Object::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));

    let written = object
        .to_json_vec()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let reread: Value = serde_json::from_slice(&written).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(reread, expected, "{name}: direct writer");

    let via_serde = serde_json::to_value(&object).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(via_serde, expected, "{name}: Serialize impl");

    let from_value = Object::from_value(expected.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        from_value.to_value().unwrap(),
        expected,
        "{name}: from_value"
    );

    let owned = object.clone().into_owned();
    assert_eq!(owned.to_value().unwrap(), expected, "{name}: into_owned");
}

#[test]
fn all_191_w3c_examples_are_in_the_corpus() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(data_dir("w3c/INDEX.json")).unwrap()).unwrap();
    let total =
        index["core"]["total"].as_u64().unwrap() + index["vocabulary"]["total"].as_u64().unwrap();
    assert_eq!(total, 191);
    assert_eq!(w3c_examples().len(), 191);
}

#[test]
fn w3c_examples_round_trip_losslessly() {
    for (name, bytes) in w3c_examples() {
        assert_lossless(&name, &bytes);
    }
}

#[test]
fn real_world_documents_round_trip_losslessly() {
    let docs = real_documents();
    assert_eq!(docs.len(), 18);
    for (name, bytes) in docs {
        assert_lossless(&name, &bytes);
    }
}

#[test]
fn w3c_index_types_match_parsed_types() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(data_dir("w3c/INDEX.json")).unwrap()).unwrap();
    for part in ["core", "vocabulary"] {
        for entry in index[part]["index"].as_array().unwrap() {
            let file = entry["file"].as_str().unwrap();
            let bytes = std::fs::read(data_dir("w3c").join(file)).unwrap();
            let object = Object::from_slice(&bytes).unwrap();
            let expected: Vec<&str> = match &entry["type"] {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            assert_eq!(object.types().collect::<Vec<_>>(), expected, "{file}");
        }
    }
}

/// Fuzzing regression: a document saved with a UTF-8 byte order mark reads as the document
/// without it (RFC 8259 §8.1 lets parsers ignore the mark).
#[test]
fn documents_with_a_byte_order_mark_round_trip() {
    for (name, bytes) in real_documents() {
        let mut marked = b"\xEF\xBB\xBF".to_vec();
        marked.extend_from_slice(&bytes);
        let object = Object::from_slice(&marked).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(object.to_value().unwrap(), expected, "{name}");
    }
}
