//! Parse arbitrary bytes as an AS2 document. Whatever parses must write back to the same JSON
//! value; every JSON object must parse; validation and normalisation must not panic. The owned
//! reader (`OwnedObject`, from a buffer and from a reader handing out a few bytes at a time)
//! accepts and refuses exactly what the borrowed one does and writes the same bytes; the typed
//! conversions (`deserialize_into`, `deserialize_with_rest`, `from_typed`) see the same JSON.
#![no_main]

use std::io::Read;

use activitystreams_core::{Object, OwnedObject, ParseError, validate_document};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A reader that hands out at most `step` bytes per call.
struct Chunked<'b> {
    data: &'b [u8],
    step: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        buf[..n].copy_from_slice(head);
        self.data = rest;
        Ok(n)
    }
}

/// A typed view with borrowed strings, options, tuples, untagged and internally tagged enums.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Typed<'x> {
    #[serde(rename = "type")]
    kind: Option<OneOrMany<'x>>,
    id: Option<&'x str>,
    content: Option<String>,
    sensitive: Option<bool>,
    to: Option<OneOrMany<'x>>,
    tag: Option<Vec<Tag>>,
    total_items: Option<u64>,
    focal_point: Option<(f64, f64)>,
    content_map: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum OneOrMany<'x> {
    One(&'x str),
    Many(Vec<&'x str>),
}

#[derive(Deserialize, Serialize)]
#[serde(tag = "type")]
enum Tag {
    Mention {
        href: String,
    },
    Hashtag {
        name: String,
    },
    #[serde(other)]
    Other,
}

/// One property read exactly, the rest left to `deserialize_with_rest`.
#[derive(Deserialize, Serialize)]
struct Head {
    #[serde(rename = "type")]
    kind: Value,
}

fuzz_target!(|data: &[u8]| {
    // The parser ignores a leading byte order mark (RFC 8259 §8.1); serde_json does not.
    let json = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let value: Option<Value> = serde_json::from_slice(json).ok();
    let step = 1 + data.len() % 7;
    let from_reader = OwnedObject::from_reader(Chunked { data, step });
    match Object::from_slice(data) {
        Ok(object) => {
            let expected = value.expect("a parsed document is valid JSON");
            let written = object
                .to_json_vec()
                .expect("parsed documents are within the depth limit");
            let reread: Value = serde_json::from_slice(&written).expect("the writer emits JSON");
            assert_eq!(reread, expected, "round trip changed the JSON value");
            assert_eq!(serde_json::to_value(&object).expect("serializes"), expected);
            let _ = object.validate();

            // The owned reader writes the same bytes.
            let owned = OwnedObject::from_slice(data).expect("the owned reader accepts it");
            assert_eq!(owned.to_json_vec().ok(), Some(written.clone()));
            let from_reader = from_reader.expect("the owned reader accepts it from a reader");
            assert_eq!(from_reader, owned);
            let via_serde: OwnedObject =
                serde_json::from_slice(json).expect("serde_json reads it as an OwnedObject");
            assert_eq!(via_serde.to_json_vec().ok(), Some(written.clone()));

            // Typed conversions see the same JSON.
            assert_eq!(object.deserialize_into::<Value>().ok(), Some(expected));
            let typed_owned: OwnedObject = object.deserialize_into().expect("an object");
            assert_eq!(typed_owned, owned);
            let round = OwnedObject::from_typed(&object).expect("an object serializes");
            assert_eq!(round.to_json_vec().ok(), Some(written));
            if let Ok(typed) = object.deserialize_into::<Typed<'_>>() {
                let _ = OwnedObject::from_typed(&typed);
            }
            let _ = object.deserialize_with_rest::<Typed<'_>>();
            if let Ok((head, rest)) = object.deserialize_with_rest::<Head>() {
                let mut back = OwnedObject::from_typed(&head).expect("an object");
                back.merge(rest.into_owned());
                assert_eq!(back.to_value().ok(), object.to_value().ok());
            }

            if let Ok(normalized) = object.normalized()
                && let Ok(bytes) = normalized.to_json_vec()
            {
                Object::from_slice(&bytes).expect("normalised output parses");
            }
        }
        Err(err) => {
            assert!(
                !value.is_some_and(|v| v.is_object()),
                "a JSON object was rejected"
            );
            let owned = OwnedObject::from_slice(data);
            assert!(
                owned.is_err(),
                "the owned reader accepted what the borrowed refused"
            );
            assert!(
                from_reader.is_err(),
                "the reader path accepted what the buffer refused"
            );
            if let ParseError::NotAnObject { found } = err {
                for result in [owned, from_reader] {
                    assert!(
                        matches!(result, Err(ParseError::NotAnObject { found: f }) if f == found),
                        "the owned readers classify a non-object as the borrowed one does"
                    );
                }
            }
        }
    }
    let _ = validate_document(data);
});
