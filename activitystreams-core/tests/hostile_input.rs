//! Hostile input: deep nesting, huge numbers, huge strings, many keys and many recipients each
//! give a typed refusal at the documented limit (`MAX_DEPTH`, `DeliveryLimits`) or are read in
//! time and memory proportional to the input (the host bounds the input size).

use activitystreams_core::c2s::{
    BlindRecipients, DeliveryError, DeliveryLimits, Expansion, delivery_recipients,
};
use activitystreams_core::{MAX_DEPTH, Object, ParseError, ViolationKind, validate_document};

/// `{"type":"Note","x":[[…1…]]}` with `arrays` nested arrays (the object itself is one more
/// container).
fn nested_arrays(arrays: usize) -> String {
    format!(
        r#"{{"type":"Note","x":{}1{}}}"#,
        "[".repeat(arrays),
        "]".repeat(arrays)
    )
}

/// `{"object":{"object":…{}…}}` with `objects` objects in all.
fn nested_objects(objects: usize) -> String {
    let mut text = String::with_capacity(objects * 12);
    for _ in 1..objects {
        text.push_str(r#"{"object":"#);
    }
    text.push_str("{}");
    text.push_str(&"}".repeat(objects - 1));
    text
}

fn assert_too_deep(result: Result<Object<'_>, ParseError>) {
    match result {
        Err(ParseError::TooDeep { limit }) => assert_eq!(limit, MAX_DEPTH),
        other => panic!("expected TooDeep, got {other:?}"),
    }
}

#[test]
fn nesting_is_refused_at_max_depth_whatever_the_input_depth() {
    // The root object is the first of the MAX_DEPTH containers serde_json allows in all, so
    // one object plus MAX_DEPTH - 2 arrays is the deepest accepted document.
    let deepest = nested_arrays(MAX_DEPTH - 2);
    let object = Object::from_slice(deepest.as_bytes()).unwrap();
    assert!(object.to_json_vec().is_ok());
    assert_too_deep(Object::from_slice(nested_arrays(MAX_DEPTH - 1).as_bytes()));
    for depth in [MAX_DEPTH + 1, 10_000, 1_000_000] {
        assert_too_deep(Object::from_slice(nested_arrays(depth).as_bytes()));
        assert_too_deep(Object::from_str(&nested_objects(depth)));
    }
}

#[test]
fn validation_reports_deep_input_as_a_violation_not_a_crash() {
    let violations = validate_document(nested_objects(100_000).as_bytes());
    assert!(!violations.is_empty());
    assert!(violations.iter().all(|v| matches!(
        v.kind,
        ViolationKind::NotJson { .. } | ViolationKind::TooDeep { .. }
    )));
}

#[test]
fn normalising_a_document_at_the_limit_is_a_typed_error() {
    // Normalising wraps single values in arrays, so a deep chain of embedded objects grows
    // past the limit: documented as `TooDeep`, never a stack overflow.
    let text = nested_objects(MAX_DEPTH - 1);
    let object = Object::from_str(&text).unwrap();
    assert!(object.normalized().is_err());
}

#[test]
fn numbers_beyond_f64_are_refused_and_long_integers_become_floats() {
    for number in ["1e400", "-1e400", &"9".repeat(400)] {
        let text = format!(r#"{{"type":"Note","x":{number}}}"#);
        assert!(
            matches!(Object::from_str(&text), Err(ParseError::Json(_))),
            "{number}"
        );
    }
    // As in serde_json::Value: an integer beyond 64 bits is read as the nearest f64.
    let object = Object::from_str(r#"{"x":123456789012345678901234567890}"#).unwrap();
    let written: serde_json::Value =
        serde_json::from_slice(&object.to_json_vec().unwrap()).unwrap();
    assert_eq!(written["x"].as_f64(), Some(1.2345678901234568e29));
}

#[test]
fn a_huge_string_is_read_and_written_back_intact() {
    let content = "é".repeat(32 * 1024 * 1024);
    let text = format!(r#"{{"type":"Note","content":"{content}"}}"#);
    let object = Object::from_str(&text).unwrap();
    let written = object.to_json_vec().unwrap();
    assert_eq!(written.len(), text.len());
    // A string with escapes is unescaped once, into one allocation of its size.
    let escaped = format!(r#"{{"type":"Note","content":"{}"}}"#, "\\n".repeat(1 << 20));
    let object = Object::from_str(&escaped).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&object.to_json_vec().unwrap()).unwrap();
    assert_eq!(value["content"].as_str().map(str::len), Some(1 << 20));
}

#[test]
fn many_duplicate_and_unknown_keys_stay_linearithmic() {
    // 200,000 unknown keys, every one written twice: the last value wins, as in Value.
    let mut text = String::from(r#"{"type":"Note""#);
    for round in 0..2 {
        for i in 0..100_000 {
            text.push_str(&format!(r#","k{i}":{round}"#));
        }
    }
    text.push('}');
    let object = Object::from_str(&text).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&object.to_json_vec().unwrap()).unwrap();
    let map = value.as_object().unwrap();
    assert_eq!(map.len(), 100_001);
    assert_eq!(map["k99999"], 1);
}

#[test]
fn a_million_recipients_are_refused_at_max_recipients() {
    let mut text = String::from(r#"{"type":"Create","actor":"https://a.example/me","to":["#);
    for i in 0..1_000_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(r#""https://b.example/u/{i}""#));
    }
    text.push_str("]}");
    let activity = Object::from_str(&text).unwrap();
    let limits = DeliveryLimits::default();
    let result = delivery_recipients(
        &activity,
        &BlindRecipients::default(),
        &mut |_| Expansion::Actor,
        limits,
    );
    assert_eq!(
        result,
        Err(DeliveryError::TooManyRecipients {
            limit: limits.max_recipients
        })
    );
    // Collections are expanded one layer deep by default, whatever the resolver returns.
    let mut calls = 0;
    let recipients = delivery_recipients(
        &Object::from_str(r#"{"type":"Create","to":"https://a.example/c0"}"#).unwrap(),
        &BlindRecipients::default(),
        &mut |id: &str| {
            calls += 1;
            Expansion::Collection(vec![format!("{id}/c")])
        },
        limits,
    )
    .unwrap();
    assert_eq!(calls, 2);
    assert_eq!(
        recipients.unexpanded,
        vec!["https://a.example/c0/c".to_owned()]
    );
}
