//! `OwnedObject` in serde's owned world (readers, `from_value`, fields of derived structs) and
//! typed conversions (`deserialize_into`, `deserialize_with_rest`, `from_typed`), checked on the
//! W3C and real-world documents of `tests/data/` and on hand-written edge cases.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use activitystreams_core::{
    Any, JsonKind, MAX_DEPTH, Object, ObjectBuilder, OwnedObject, ParseError, TypedError,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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

/// A reader that hands out at most `step` bytes per call, as a socket may.
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

/// A reader that fails after `ok` bytes.
struct Failing<'b> {
    data: &'b [u8],
}

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "peer went away",
            ));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn assert_deserialize_owned<T: DeserializeOwned + Serialize>() {}

#[test]
fn owned_object_is_deserialize_owned_and_serialize() {
    assert_deserialize_owned::<OwnedObject>();
    assert_deserialize_owned::<Vec<OwnedObject>>();
}

#[derive(Deserialize, Serialize)]
struct Wrapper {
    object: OwnedObject,
    #[serde(default)]
    tag: Option<String>,
}

#[test]
fn a_field_of_a_derived_struct_reads_from_an_io_reader() {
    let text = br#"{"tag":"inbox","object":{"type":"Note","x-b":1,"id":"https://a/1","x-a":[true,null],"to":"as:Public"}}"#;
    for step in [1, 2, 3, 7, 4096] {
        let wrapper: Wrapper = serde_json::from_reader(Chunked { data: text, step }).unwrap();
        assert_eq!(wrapper.tag.as_deref(), Some("inbox"));
        let object = &wrapper.object;
        assert_eq!(object.id(), Some("https://a/1"));
        assert!(object.is_public());
        assert_eq!(
            object.keys().collect::<Vec<_>>(),
            ["type", "x-b", "id", "x-a", "to"]
        );
        assert_eq!(
            serde_json::to_string(&wrapper).unwrap(),
            r#"{"object":{"type":"Note","x-b":1,"id":"https://a/1","x-a":[true,null],"to":"as:Public"},"tag":"inbox"}"#
        );
    }
    // Everything a buffer, a string or a `Value` can give, too.
    let from_slice: Wrapper = serde_json::from_slice(text).unwrap();
    let value: Value = serde_json::from_slice(text).unwrap();
    let from_value: Wrapper = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&from_slice).unwrap(), value);
    assert_eq!(serde_json::to_value(&from_value).unwrap(), value);
}

/// Every way to get an `OwnedObject` out of `bytes` that sees its keys in order, named.
fn owned_readings(bytes: &[u8]) -> Vec<(&'static str, OwnedObject)> {
    let text = std::str::from_utf8(bytes).expect("UTF-8 test data");
    vec![
        (
            "OwnedObject::from_slice",
            OwnedObject::from_slice(bytes).unwrap(),
        ),
        ("OwnedObject::from_str", text.parse().unwrap()),
        (
            "OwnedObject::from_reader",
            OwnedObject::from_reader(bytes).unwrap(),
        ),
        (
            "OwnedObject::from_reader, 1 byte a read",
            OwnedObject::from_reader(Chunked {
                data: bytes,
                step: 1,
            })
            .unwrap(),
        ),
        (
            "serde_json::from_slice",
            serde_json::from_slice(bytes).unwrap(),
        ),
        ("serde_json::from_str", serde_json::from_str(text).unwrap()),
        (
            "serde_json::from_reader",
            serde_json::from_reader(Chunked {
                data: bytes,
                step: 5,
            })
            .unwrap(),
        ),
        (
            "Object::to_owned_object",
            Object::from_slice(bytes).unwrap().to_owned_object(),
        ),
        (
            "From<Object>",
            OwnedObject::from(Object::from_slice(bytes).unwrap()),
        ),
        (
            "Object::deserialize_into",
            Object::from_slice(bytes)
                .unwrap()
                .deserialize_into()
                .unwrap(),
        ),
    ]
}

/// The owned readings write the JSON the borrowed path writes, byte for byte, and the JSON
/// value serde_json reads from the document.
fn assert_owned_like_borrowed(name: &str, bytes: &[u8]) {
    let expected: Value = serde_json::from_slice(bytes).unwrap();
    let borrowed = Object::from_slice(bytes).unwrap();
    let borrowed_json = borrowed.to_json_vec().unwrap();
    let borrowed_serde = serde_json::to_vec(&borrowed).unwrap();
    for (how, owned) in owned_readings(bytes) {
        assert_eq!(
            owned.to_json_vec().unwrap(),
            borrowed_json,
            "{name}: {how}: to_json_vec"
        );
        assert_eq!(
            serde_json::to_vec(&owned).unwrap(),
            borrowed_serde,
            "{name}: {how}: Serialize"
        );
        assert_eq!(owned.to_value().unwrap(), expected, "{name}: {how}: value");
        assert!(owned == borrowed, "{name}: {how}: PartialEq");
    }
    // A `serde_json::Value` has its keys sorted (serde_json's default map) before the object
    // sees them: the same JSON value, in another order.
    let via_value = [
        OwnedObject::from_value(expected.clone()).unwrap(),
        serde_json::from_value(expected.clone()).unwrap(),
    ];
    for owned in via_value {
        assert_eq!(owned.to_value().unwrap(), expected, "{name}: from a Value");
    }
    // The typed conversions see the same JSON.
    assert_eq!(
        borrowed.deserialize_into::<Value>().unwrap(),
        expected,
        "{name}: deserialize_into::<Value>"
    );
    let (value, rest) = borrowed.deserialize_with_rest::<Value>().unwrap();
    assert_eq!(value, expected, "{name}: deserialize_with_rest::<Value>");
    assert!(rest.is_empty(), "{name}: a Value takes every property");
    let typed = OwnedObject::from_typed(&borrowed).unwrap();
    assert_eq!(
        typed.to_json_vec().unwrap(),
        borrowed_json,
        "{name}: from_typed"
    );
}

#[test]
fn real_world_documents_read_owned_as_borrowed() {
    let docs = documents("real");
    assert_eq!(docs.len(), 18);
    for (name, bytes) in docs {
        assert_owned_like_borrowed(&name, &bytes);
    }
}

#[test]
fn w3c_examples_read_owned_as_borrowed() {
    let docs = documents("w3c");
    assert_eq!(docs.len(), 191);
    for (name, bytes) in docs {
        assert_owned_like_borrowed(&name, &bytes);
    }
}

#[test]
fn the_owned_reader_is_as_lenient_as_the_borrowed_one() {
    // Unexpected shapes kept, repeated keys keeping their last value in the first place,
    // escapes, a byte order mark.
    let text = "\u{feff}{\"actor\":90,\"k\":1,\"to\":[null,\"x\",[1]],\"name\":{\"en\":\"x\"},\"k\":2,\"content\":\"say \\\"hi\\\"\\n\"}";
    let expected = json!({"actor": 90, "k": 2, "to": [null, "x", [1]], "name": {"en": "x"},
        "content": "say \"hi\"\n"});
    let borrowed = Object::from_str(text).unwrap();
    for owned in [
        OwnedObject::from_str(text).unwrap(),
        OwnedObject::from_reader(text.as_bytes()).unwrap(),
        OwnedObject::from_reader(Chunked {
            data: text.as_bytes(),
            step: 1,
        })
        .unwrap(),
    ] {
        assert_eq!(owned.to_value().unwrap(), expected);
        assert_eq!(
            owned.keys().collect::<Vec<_>>(),
            ["actor", "k", "to", "name", "content"]
        );
        assert_eq!(owned, borrowed);
    }
    // serde_json itself does not skip a byte order mark; without one it reads the same.
    let plain = text.trim_start_matches('\u{feff}');
    let via_serde: OwnedObject = serde_json::from_str(plain).unwrap();
    assert_eq!(via_serde, borrowed);
}

#[test]
fn the_owned_reader_classifies_errors_as_the_borrowed_one() {
    for (input, kind) in [
        ("[1, {\"a\": 2}]", JsonKind::Array),
        (" \"x\"", JsonKind::String),
        ("42", JsonKind::Number),
        ("null", JsonKind::Null),
        ("true", JsonKind::Bool),
    ] {
        for result in [
            OwnedObject::from_str(input),
            OwnedObject::from_reader(input.as_bytes()),
        ] {
            match result {
                Err(ParseError::NotAnObject { found }) => assert_eq!(found, kind, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(matches!(
            Object::from_str(input),
            Err(ParseError::NotAnObject { .. })
        ));
    }
    for input in [
        "{",
        "[1",
        "{} x",
        "[1] x",
        "",
        "{\"a\":1e400}",
        "{\"a\":\"\\ud800\"}",
    ] {
        assert!(
            matches!(Object::from_str(input), Err(ParseError::Json(_))),
            "{input}"
        );
        assert!(
            matches!(OwnedObject::from_str(input), Err(ParseError::Json(_))),
            "{input}"
        );
        assert!(
            matches!(
                OwnedObject::from_reader(input.as_bytes()),
                Err(ParseError::Json(_))
            ),
            "{input}"
        );
    }
    // Invalid UTF-8 in a string.
    let bytes = b"{\"a\":\"\xff\"}";
    assert!(matches!(
        Object::from_slice(bytes),
        Err(ParseError::Json(_))
    ));
    assert!(matches!(
        OwnedObject::from_reader(&bytes[..]),
        Err(ParseError::Json(_))
    ));
}

#[test]
fn a_failing_reader_is_an_io_error_with_its_cause() {
    let err = OwnedObject::from_reader(Failing {
        data: b"{\"type\":\"No",
    })
    .unwrap_err();
    let ParseError::Io(io) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(err.to_string(), "the document could not be read");
    assert_eq!(
        err.source().map(ToString::to_string).as_deref(),
        Some("peer went away")
    );
}

/// `{"x":[[...[1]...]]}` with `arrays` arrays: an object and `arrays` containers.
fn nested(arrays: usize) -> String {
    format!("{{\"x\":{}1{}}}", "[".repeat(arrays), "]".repeat(arrays))
}

#[test]
fn the_owned_reader_keeps_the_depth_limit() {
    // serde_json allows MAX_DEPTH - 1 containers in all (the borrowed reader's limit too).
    let deepest = nested(MAX_DEPTH - 2);
    let too_deep = nested(MAX_DEPTH - 1);
    assert!(Object::from_str(&deepest).is_ok());
    assert!(OwnedObject::from_str(&deepest).is_ok());
    assert!(OwnedObject::from_reader(deepest.as_bytes()).is_ok());
    assert!(serde_json::from_str::<OwnedObject>(&deepest).is_ok());
    for result in [
        Object::from_str(&too_deep).map(OwnedObject::from),
        OwnedObject::from_str(&too_deep),
        OwnedObject::from_reader(too_deep.as_bytes()),
    ] {
        assert!(
            matches!(result, Err(ParseError::TooDeep { limit: MAX_DEPTH })),
            "{result:?}"
        );
    }
    assert!(serde_json::from_str::<OwnedObject>(&too_deep).is_err());
    // Far deeper input is refused as early, from a reader too.
    let far = nested(1_000_000);
    assert!(matches!(
        OwnedObject::from_reader(far.as_bytes()),
        Err(ParseError::TooDeep { .. })
    ));
    // A deserializer without a recursion limit of its own: the object's limit holds.
    let mut value = json!(1);
    for _ in 0..(MAX_DEPTH + 10) {
        value = json!({ "x": value });
    }
    let err = serde_json::from_value::<OwnedObject>(value.clone()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("nesting deeper than 128 levels"),
        "{err}"
    );
    assert!(matches!(
        OwnedObject::from_value(value),
        Err(ParseError::TooDeep { .. })
    ));
}

#[test]
fn conversions_between_borrowed_and_owned() {
    let text = String::from(r#"{"type":"Note","content":"hi","x":{"y":["z"]}}"#);
    let owned = {
        let borrowed = Object::from_str(&text).unwrap();
        OwnedObject::from(borrowed)
    };
    drop(text); // the owned object outlives the buffer
    let as_object: &Object<'_> = &owned; // deref, free
    assert_eq!(as_object.content_in(None), Some("hi"));
    let mut owned = owned;
    owned.set_content("changed");
    assert_eq!(owned.as_object().content_in(None), Some("changed"));
    let object: Object<'static> = owned.clone().into_object();
    assert_eq!(object, owned);
    assert_eq!(OwnedObject::from(object.clone()), object);
    assert_eq!(Object::from(owned.clone()), object);
    assert_eq!(
        OwnedObject::try_from(json!({"a": 1}))
            .unwrap()
            .to_value()
            .unwrap(),
        json!({"a": 1})
    );
    assert!(OwnedObject::try_from(json!([1])).is_err());
    assert!(OwnedObject::new().is_empty());
}

// Typed conversions.

#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Note<'x> {
    #[serde(rename = "type")]
    kind: NoteKind,
    id: &'x str,
    attributed_to: String,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    sensitive: bool,
    summary: Option<String>,
    #[serde(default)]
    tag: Vec<Tag>,
    #[serde(flatten)]
    rest: OwnedObject,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
enum NoteKind {
    Note,
    Article,
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type")]
enum Tag {
    Mention { href: String, name: String },
    Hashtag { name: String },
}

const NOTE: &str = r##"{"@context":"https://www.w3.org/ns/activitystreams","type":"Note",
    "id":"https://a.example/notes/1","attributedTo":"https://a.example/u/alice",
    "content":"<p>Hello @bob #fedi</p>","to":["https://b.example/u/bob"],"summary":null,
    "tag":[{"type":"Mention","href":"https://b.example/u/bob","name":"@bob@b.example"},
           {"type":"Hashtag","name":"#fedi"}],
    "x-unknown":{"nested":[1,2.5,-3]}}"##;

#[test]
fn deserialize_into_reads_a_derived_struct_and_keeps_the_rest_in_a_flattened_field() {
    let object = Object::from_str(NOTE).unwrap();
    let note: Note<'_> = object.deserialize_into().unwrap();
    assert_eq!(note.kind, NoteKind::Note);
    assert_eq!(note.id, "https://a.example/notes/1");
    assert_eq!(note.attributed_to, "https://a.example/u/alice");
    assert_eq!(note.to, ["https://b.example/u/bob"]);
    assert!(!note.sensitive);
    assert_eq!(note.summary, None);
    assert_eq!(
        note.tag,
        [
            Tag::Mention {
                href: "https://b.example/u/bob".into(),
                name: "@bob@b.example".into()
            },
            Tag::Hashtag {
                name: "#fedi".into()
            }
        ]
    );
    assert_eq!(
        note.rest.keys().collect::<Vec<_>>(),
        ["@context", "content", "x-unknown"]
    );
    assert_eq!(
        note.rest.to_value().unwrap(),
        json!({"@context": "https://www.w3.org/ns/activitystreams",
            "content": "<p>Hello @bob #fedi</p>", "x-unknown": {"nested": [1, 2.5, -3]}})
    );
    // Back: the same JSON value, plus the fields the struct always writes.
    let back = OwnedObject::from_typed(&note).unwrap();
    let mut expected: Value = serde_json::from_str(NOTE).unwrap();
    expected["sensitive"] = json!(false);
    assert_eq!(back.to_value().unwrap(), expected);
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        [
            "type",
            "id",
            "attributedTo",
            "to",
            "sensitive",
            "summary",
            "tag",
            "@context",
            "content",
            "x-unknown"
        ]
    );
    // Reading the owned form gives the same value.
    let again: Note<'_> = back.deserialize_into().unwrap();
    assert_eq!(
        again,
        Note {
            sensitive: false,
            ..note
        }
    );
}

#[test]
fn deserialize_with_rest_returns_the_ignored_properties_in_order() {
    #[derive(Deserialize, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Head<'x> {
        id: &'x str,
        attributed_to: &'x str,
        #[serde(skip)]
        content: String,
    }
    let object = Object::from_str(NOTE).unwrap();
    let (head, rest): (Head<'_>, Object<'_>) = object.deserialize_with_rest().unwrap();
    assert_eq!(head.id, "https://a.example/notes/1");
    assert_eq!(head.content, "", "a skipped field is not read");
    assert_eq!(
        rest.keys().collect::<Vec<_>>(),
        [
            "@context",
            "type",
            "content",
            "to",
            "summary",
            "tag",
            "x-unknown"
        ]
    );
    let mut back = OwnedObject::from_typed(&head).unwrap();
    back.merge(rest.into_owned());
    assert_eq!(
        back.to_value().unwrap(),
        serde_json::from_str::<Value>(NOTE).unwrap()
    );
    // A type that takes every property leaves nothing.
    let (_, rest) = object.deserialize_with_rest::<Note<'_>>().unwrap();
    assert!(rest.is_empty());
}

#[test]
fn mismatches_name_the_value_by_json_pointer() {
    let object = Object::from_str(
        r##"{"type":"Note","id":"https://a/1","attributedTo":"https://a/u",
           "tag":[{"type":"Hashtag","name":"#ok"},{"type":"Mention","href":5,"name":"x"}]}"##,
    )
    .unwrap();
    let err = object.deserialize_into::<Note<'_>>().unwrap_err();
    // The internally tagged enum buffers its object, so the pointer stops at the element.
    let TypedError::Mismatch { pointer, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(pointer, "/tag/1");
    assert_eq!(message, "invalid type: integer `5`, expected a string");
    assert_eq!(
        err.to_string(),
        r#""/tag/1": invalid type: integer `5`, expected a string"#
    );
    assert!(err.source().is_none());

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        object: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
        to: Vec<u64>,
    }
    let check = |json: &str, pointer: &str, message: &str| {
        let err = Object::from_str(json)
            .unwrap()
            .deserialize_into::<Strict>()
            .unwrap_err();
        match err {
            TypedError::Mismatch {
                pointer: p,
                message: m,
            } => assert_eq!((p.as_str(), m.as_str()), (pointer, message), "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    };
    check(
        r#"{"object":{"id":"a","to":[1,"two"]}}"#,
        "/object/to/1",
        r#"invalid type: string "two", expected u64"#,
    );
    check(
        r#"{"object":{"id":"a","to":[],"a/b~c":1}}"#,
        "/object/a~1b~0c",
        "unknown field `a/b~c`, expected `id` or `to`",
    );
    check(r#"{"object":{"to":[]}}"#, "/object", "missing field `id`");
    check(r#"{}"#, "", "missing field `object`");
    check(
        r#"{"object":{"id":null,"to":[]}}"#,
        "/object/id",
        "invalid type: unit value, expected a string",
    );
}

#[test]
fn enums_numbers_and_options_read_as_from_json() {
    #[derive(Debug, Deserialize, PartialEq)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, String),
        Struct { a: bool },
    }
    #[derive(Debug, Deserialize, PartialEq)]
    struct All {
        shapes: Vec<Shape>,
        big: u64,
        negative: i64,
        float: f64,
        int_as_float: f64,
        maybe: Option<i8>,
        absent: Option<i8>,
        nothing: (),
        bytes: serde_bytes_like::Bytes,
    }
    mod serde_bytes_like {
        /// A type that asks for bytes.
        #[derive(Debug, PartialEq)]
        pub(super) struct Bytes(pub(super) Vec<u8>);
        impl<'de> serde::Deserialize<'de> for Bytes {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = Bytes;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("bytes")
                    }
                    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                        Ok(Bytes(v.to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
    }
    let json = r#"{"shapes":["Unit",{"Newtype":7},{"Tuple":[1,"x"]},{"Struct":{"a":true}}],
        "big":18446744073709551615,"negative":-9223372036854775808,"float":-1.5e-300,
        "int_as_float":3,"maybe":-4,"nothing":null,"bytes":"é"}"#;
    let expected: All = serde_json::from_str(json).unwrap();
    let object = Object::from_str(json).unwrap();
    assert_eq!(object.deserialize_into::<All>().unwrap(), expected);
    assert_eq!(
        expected.shapes,
        [
            Shape::Unit,
            Shape::Newtype(7),
            Shape::Tuple(1, "x".into()),
            Shape::Struct { a: true }
        ]
    );
    // Refusals serde_json also makes.
    for (json, message) in [
        (
            r#"{"shapes":[{"Unit":null,"Newtype":1}]}"#,
            "invalid value: map, expected an object with a single property",
        ),
        (
            r#"{"shapes":[{"Unit":1}]}"#,
            "invalid type: integer `1`, expected null (a unit variant)",
        ),
        (
            r#"{"shapes":[5]}"#,
            "invalid type: integer `5`, expected a string or an object with a single property",
        ),
    ] {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Shapes {
            shapes: Vec<Shape>,
        }
        assert!(serde_json::from_str::<Shapes>(json).is_err(), "{json}");
        match Object::from_str(json).unwrap().deserialize_into::<Shapes>() {
            Err(TypedError::Mismatch { message: m, .. }) => assert_eq!(m, message, "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
}

#[test]
fn a_tuple_with_too_few_fields_for_the_array_is_refused() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Pair {
        #[serde(rename = "focalPoint")]
        focal_point: (f64,),
    }
    let object = Object::from_str(r#"{"focalPoint":[0.5,-0.25]}"#).unwrap();
    assert!(serde_json::from_str::<Pair>(r#"{"focalPoint":[0.5,-0.25]}"#).is_err());
    match object.deserialize_into::<Pair>() {
        Err(TypedError::Mismatch { pointer, .. }) => assert_eq!(pointer, "/focalPoint"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn objects_built_deeper_than_the_limit_are_refused_not_overflowed() {
    let mut value = Any::from(1u64);
    for _ in 0..(MAX_DEPTH + 10) {
        let mut o = Object::new();
        o.insert("x", value);
        value = Any::from(o);
    }
    let object = value.as_object().unwrap().clone();
    assert!(matches!(
        object.deserialize_into::<Value>(),
        Err(TypedError::TooDeep { limit: MAX_DEPTH })
    ));
    assert!(matches!(
        object.deserialize_into::<OwnedObject>(),
        Err(TypedError::TooDeep { .. })
    ));
    // From a typed value as deep: serde_json writes it, the reader refuses it.
    let mut deep = json!(1);
    for _ in 0..(MAX_DEPTH + 10) {
        deep = json!({ "x": deep });
    }
    assert!(matches!(
        OwnedObject::from_typed(&deep),
        Err(TypedError::TooDeep { limit: MAX_DEPTH })
    ));
}

#[test]
fn from_typed_refuses_what_is_not_an_object() {
    assert!(matches!(
        OwnedObject::from_typed(&5),
        Err(TypedError::NotAnObject {
            found: JsonKind::Number
        })
    ));
    assert!(matches!(
        OwnedObject::from_typed(&["a"]),
        Err(TypedError::NotAnObject {
            found: JsonKind::Array
        })
    ));
    // Keys that JSON cannot hold: serde_json's error is the source, not repeated.
    let mut map = BTreeMap::new();
    map.insert((1u8, 2u8), "x");
    let err = OwnedObject::from_typed(&map).unwrap_err();
    assert!(matches!(err, TypedError::Serialize(_)), "{err:?}");
    assert_eq!(err.to_string(), "the value could not be serialized as JSON");
    let source = err.source().expect("serde_json's error").to_string();
    assert_eq!(source, "key must be a string");
    // A map with string keys is an object; non-finite floats become null, as in serde_json.
    let mut map = BTreeMap::new();
    map.insert("b", f64::NAN);
    map.insert("a", 1.5);
    assert_eq!(
        OwnedObject::from_typed(&map)
            .unwrap()
            .to_json_string()
            .unwrap(),
        r#"{"a":1.5,"b":null}"#
    );
}

#[test]
fn builders_and_typed_values_meet() {
    #[derive(Serialize)]
    struct Poll {
        #[serde(rename = "votersCount")]
        voters: u64,
    }
    let mut object = ObjectBuilder::new(activitystreams_core::Kind::Question)
        .id("https://a/q/1")
        .build();
    object.merge(
        OwnedObject::from_typed(&Poll { voters: 12 })
            .unwrap()
            .into_object(),
    );
    assert_eq!(object.voters(), Some(12));
    assert_eq!(
        object.to_value().unwrap(),
        json!({"type": "Question", "id": "https://a/q/1", "votersCount": 12})
    );
}

/// Fuzzing regression: a non-object is `NotAnObject` only when it is valid JSON as
/// `serde_json::Value` reads it. Skimming it (as `serde::de::IgnoredAny` does) let a string of
/// invalid UTF-8, a lone surrogate or a number beyond `f64` pass for valid JSON from a buffer,
/// while the reader path refused them.
#[test]
fn invalid_non_objects_are_invalid_json_from_buffers_and_readers() {
    let inputs: [&[u8]; 6] = [
        b"\"Now is pt emhie fro\x9f\xdf\xff\xff\xff\xff\xff\x92d peop|e\"\n",
        b"\"\\ud800\"",
        b"[\"\\udc00\"]",
        b"[1e400]",
        b"{\"a\":[1e400]}",
        b" [[\"\xc3\"]]",
    ];
    for input in inputs {
        assert!(serde_json::from_slice::<Value>(input).is_err());
        assert!(
            matches!(Object::from_slice(input), Err(ParseError::Json(_))),
            "{input:?}"
        );
        assert!(
            matches!(OwnedObject::from_slice(input), Err(ParseError::Json(_))),
            "{input:?}"
        );
        assert!(
            matches!(OwnedObject::from_reader(input), Err(ParseError::Json(_))),
            "{input:?}"
        );
    }
    // Arrays nested deeper than serde_json reads are too deep, from both.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert!(matches!(
        Object::from_str(&deep),
        Err(ParseError::TooDeep { .. })
    ));
    assert!(matches!(
        OwnedObject::from_reader(deep.as_bytes()),
        Err(ParseError::TooDeep { .. })
    ));
}
