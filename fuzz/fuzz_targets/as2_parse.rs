//! Parse arbitrary bytes as an AS2 document. Whatever parses must write back to the same JSON
//! value; every JSON object must parse; validation and normalisation must not panic.
#![no_main]

use activitystreams_core::{Object, validate_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The parser ignores a leading byte order mark (RFC 8259 §8.1); serde_json does not.
    let json = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let value: Option<serde_json::Value> = serde_json::from_slice(json).ok();
    match Object::from_slice(data) {
        Ok(object) => {
            let expected = value.expect("a parsed document is valid JSON");
            let written = object
                .to_json_vec()
                .expect("parsed documents are within the depth limit");
            let reread: serde_json::Value =
                serde_json::from_slice(&written).expect("the writer emits JSON");
            assert_eq!(reread, expected, "round trip changed the JSON value");
            assert_eq!(serde_json::to_value(&object).expect("serializes"), expected);
            let _ = object.validate();
            if let Ok(normalized) = object.normalized()
                && let Ok(bytes) = normalized.to_json_vec()
            {
                Object::from_slice(&bytes).expect("normalised output parses");
            }
        }
        Err(_) => assert!(
            !value.is_some_and(|v| v.is_object()),
            "a JSON object was rejected"
        ),
    }
    let _ = validate_document(data);
});
