//! Property tests: for any JSON object (vocabulary keys with values of any shape, unknown keys,
//! repeated keys, escapes, extreme numbers, nesting), parsing then writing yields the JSON value
//! serde_json reads from the input; the owned reader writes what the borrowed one writes;
//! normalising is idempotent.

use activitystreams_core::{Object, OwnedObject, Term};
use proptest::prelude::*;
use serde_json::Value;

/// JSON text built member by member, so keys can repeat (which `serde_json::Value` cannot
/// express).
#[derive(Clone, Debug)]
enum Json {
    Literal(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn render(&self, out: &mut String, spaced: bool) {
        let sep = if spaced { " " } else { "" };
        match self {
            Json::Literal(text) => out.push_str(text),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        out.push_str(sep);
                    }
                    item.render(out, spaced);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                out.push_str(sep);
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        out.push_str(sep);
                    }
                    out.push_str(key);
                    out.push(':');
                    out.push_str(sep);
                    value.render(out, spaced);
                }
                out.push_str(sep);
                out.push('}');
            }
        }
    }
}

fn string_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        // Plain text, borrowed by the parser.
        "[a-zA-Z0-9:/._#@ -]{0,24}".prop_map(|s| format!("\"{s}\"")),
        // Anything, escaped as serde_json escapes it.
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        // Needless \u escapes and escaped solidus, which serde_json reads but never writes.
        "[a-z]{0,6}".prop_map(|s| format!("\"\\u0041{s}\\/\\u00e9\\ud83d\\ude00\"")),
        Just("\"https://www.w3.org/ns/activitystreams#Public\"".to_owned()),
        Just("\"as:Public\"".to_owned()),
        Just("\"Public\"".to_owned()),
    ]
}

fn number_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        Just("123456789012345678901234567890".to_owned()),
        Just("-0".to_owned()),
        Just("0.1e-2".to_owned()),
        Just("1E+2".to_owned()),
    ]
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Literal("null".into())),
        Just(Json::Literal("true".into())),
        Just(Json::Literal("false".into())),
        number_literal().prop_map(Json::Literal),
        string_literal().prop_map(Json::Literal),
    ]
}

/// Keys: vocabulary terms (so every typed path sees every shape), look-alikes, and free text.
fn key() -> impl Strategy<Value = String> {
    let terms: Vec<String> = Term::ALL
        .iter()
        .map(|t| format!("\"{}\"", t.name()))
        .collect();
    prop_oneof![
        4 => proptest::sample::select(terms),
        1 => Just("\"as:sensitive\"".to_owned()),
        1 => Just("\"\\u0069d\"".to_owned()),
        2 => string_literal(),
    ]
}

fn json() -> impl Strategy<Value = Json> {
    scalar().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((key(), inner), 0..8).prop_map(Json::Object),
        ]
    })
}

fn object() -> impl Strategy<Value = (String, bool)> {
    (prop::collection::vec((key(), json()), 0..12), any::<bool>()).prop_map(|(members, spaced)| {
        let mut text = String::new();
        Json::Object(members).render(&mut text, spaced);
        (text, spaced)
    })
}

/// A reader that hands out at most `step` bytes per call.
struct Chunked<'b> {
    data: &'b [u8],
    step: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        buf[..n].copy_from_slice(head);
        self.data = rest;
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_then_write_gives_the_same_json_value((text, _) in object()) {
        let expected: Value = serde_json::from_str(&text).expect("generated JSON is valid");
        let parsed = Object::from_str(&text).expect("every JSON object parses");
        let written = parsed.to_json_vec().expect("writes");
        let reread: Value = serde_json::from_slice(&written).expect("writer emits JSON");
        prop_assert_eq!(&reread, &expected);
        prop_assert_eq!(&serde_json::to_value(&parsed).unwrap(), &expected);
        let owned = Object::from_value(expected.clone()).unwrap();
        prop_assert_eq!(&owned.to_value().unwrap(), &expected);
    }

    #[test]
    fn the_owned_reader_writes_what_the_borrowed_one_writes(
        (text, _) in object(),
        step in 1usize..16,
    ) {
        let borrowed = Object::from_str(&text).unwrap();
        let expected = borrowed.to_json_vec().unwrap();
        let readings = [
            OwnedObject::from_str(&text).unwrap(),
            OwnedObject::from_reader(Chunked { data: text.as_bytes(), step }).unwrap(),
            serde_json::from_str::<OwnedObject>(&text).unwrap(),
            serde_json::from_reader::<_, OwnedObject>(Chunked { data: text.as_bytes(), step })
                .unwrap(),
        ];
        for owned in readings {
            prop_assert_eq!(&owned.to_json_vec().unwrap(), &expected);
            prop_assert!(owned == borrowed);
        }
        // The typed path sees the same JSON value (serde_json reading the text, last
        // repeated key winning).
        let value: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&borrowed.deserialize_into::<Value>().unwrap(), &value);
        let round = OwnedObject::from_typed(&borrowed).unwrap();
        prop_assert_eq!(&round.to_json_vec().unwrap(), &expected);
    }

    #[test]
    fn normalising_is_idempotent_and_stays_valid_json((text, _) in object()) {
        let once = Object::from_str(&text).unwrap().normalized().unwrap();
        let once_json = once.to_json_vec().unwrap();
        let twice = Object::from_slice(&once_json).unwrap().normalized().unwrap();
        prop_assert_eq!(once.to_value().unwrap(), twice.to_value().unwrap());
    }

    #[test]
    fn validation_and_accessors_never_panic((text, _) in object()) {
        let object = Object::from_str(&text).unwrap();
        let _ = object.validate();
        let _ = (object.id(), object.kind(), object.object_id(), object.is_public());
        let _ = object.content_in(Some("en"));
        let _ = object.quotes();
        let _ = activitystreams_core::validate_document(text.as_bytes());
    }
}
