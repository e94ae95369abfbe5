//! Errors keep their causes as sources without repeating them in their messages; `Debug`
//! shows objects and sets as what they hold.

use std::error::Error;

use activitystreams_core::c2s::{DeliveryLimits, OutboxError, strip_blind};
use activitystreams_core::{
    Any, DateError, IriError, MAX_DEPTH, Object, OwnedObject, ParseError, TypedError,
    parse_datetime, parse_iri,
};

/// The messages of an error and of each of its sources, outermost first.
fn chain(error: &dyn Error) -> Vec<String> {
    let mut messages = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(e) = cause {
        messages.push(e.to_string());
        cause = e.source();
    }
    messages
}

/// No message of the chain includes the message of the cause after it.
fn assert_not_repeated(error: &dyn Error) -> Vec<String> {
    let messages = chain(error);
    for pair in messages.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "{:?} repeats its source {:?}",
            pair[0],
            pair[1]
        );
    }
    messages
}

#[test]
fn invalid_json_is_a_short_message_with_serde_json_as_its_source() {
    let err = Object::from_str("{\"type\": \"Note\",\n \"to\": [}").unwrap_err();
    assert!(matches!(err, ParseError::Json(_)));
    let messages = assert_not_repeated(&err);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0], "not valid JSON");
    assert_eq!(messages[1], "expected value at line 2 column 9");
    // The same from the owned reader, from a buffer or a reader.
    for err in [
        OwnedObject::from_str("{\"a\":tru}").unwrap_err(),
        OwnedObject::from_reader(&b"{\"a\":tru}"[..]).unwrap_err(),
    ] {
        assert_eq!(
            assert_not_repeated(&err),
            ["not valid JSON", "expected ident at line 1 column 9"]
        );
    }
    // Errors without a cause have no source.
    for err in [
        Object::from_str("[1]").unwrap_err(),
        Object::from_str(&format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200))).unwrap_err(),
    ] {
        assert!(err.source().is_none(), "{err:?}");
    }
}

#[test]
fn invalid_iris_and_dates_name_the_value_and_keep_the_parser_reason_as_source() {
    let err = parse_iri("https://exa mple.com/").unwrap_err();
    assert!(matches!(err, IriError::Invalid { .. }));
    let messages = assert_not_repeated(&err);
    assert_eq!(messages[0], r#"invalid IRI "https://exa mple.com/""#);
    assert_eq!(
        messages[1],
        url::Url::parse("https://exa mple.com/")
            .unwrap_err()
            .to_string()
    );
    let relative = parse_iri("a/b").unwrap_err();
    assert!(relative.source().is_none());

    let err = parse_datetime("yesterday").unwrap_err();
    let DateError::Invalid { value, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(value, "yesterday");
    assert_eq!(
        *source,
        chrono::DateTime::parse_from_rfc3339("yesterday").unwrap_err()
    );
    let messages = assert_not_repeated(&err);
    assert_eq!(messages[0], r#"invalid date-time "yesterday""#);
    assert_eq!(messages.len(), 2);
}

#[test]
fn wrapped_and_typed_errors_do_not_repeat_their_causes() {
    // OutboxError::TooDeep is the TooDeep error itself (transparent).
    let mut value = Any::from(1u64);
    for _ in 0..(MAX_DEPTH + 2) {
        let mut o = Object::new();
        o.insert("x", value);
        value = Any::from(o);
    }
    let mut create = Object::from_str(r#"{"type":"Create","actor":"https://a/u"}"#).unwrap();
    create.insert("object", value);
    let err = activitystreams_core::c2s::accept_outbox_post(create, "https://a/u", &mut |_| {
        "https://a/new".to_owned()
    })
    .unwrap_err();
    assert!(matches!(err, OutboxError::TooDeep(_)), "{err:?}");
    assert_eq!(
        assert_not_repeated(&err),
        ["the value nests deeper than 128 levels"]
    );

    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![1u8], 1);
    let err = OwnedObject::from_typed(&map).unwrap_err();
    assert!(matches!(err, TypedError::Serialize(_)));
    assert_eq!(
        assert_not_repeated(&err),
        [
            "the value could not be serialized as JSON",
            "key must be a string"
        ]
    );
}

#[test]
fn objects_debug_as_their_json() {
    let object = Object::from_str(
        r#"{"type":"Note","to":["https://a/1","https://a/2"],"sensitive":false,
            "x":{"y":null,"n":-1.5},"content":"say \"hi\""}"#,
    )
    .unwrap();
    let expected = r#"{"type": "Note", "to": ["https://a/1", "https://a/2"], "sensitive": false, "x": {"y": null, "n": -1.5}, "content": "say \"hi\""}"#;
    assert_eq!(format!("{object:?}"), expected);
    assert_eq!(format!("{:?}", object.to_owned_object()), expected);
    assert_eq!(
        format!("{:#?}", Object::from_str(r#"{"a":[1]}"#).unwrap()),
        "{\n    \"a\": [\n        1,\n    ],\n}"
    );
    // An object built deeper than the limit prints down to it.
    let mut value = Any::from(1u64);
    for _ in 0..(MAX_DEPTH + 50) {
        value = Any::Array(vec![value]);
    }
    let mut deep = Object::new();
    deep.insert("x", value);
    let printed = format!("{deep:?}");
    assert_eq!(printed.matches('[').count(), MAX_DEPTH - 1);
    assert!(printed.contains('…'));
}

#[test]
fn blind_recipients_debug_as_a_set() {
    let mut object = Object::from_str(
        r#"{"type":"Note","bto":"https://b/1","bcc":["https://b/2","https://b/1"]}"#,
    )
    .unwrap();
    let blind = strip_blind(&mut object).unwrap();
    assert_eq!(format!("{blind:?}"), r#"{"https://b/1", "https://b/2"}"#);
}

#[test]
fn delivery_limits_are_built_from_the_defaults() {
    let limits = DeliveryLimits::default()
        .with_max_collection_depth(3)
        .with_max_recipients(7);
    assert_eq!(limits.max_collection_depth, 3);
    assert_eq!(limits.max_recipients, 7);
    let mut assigned = DeliveryLimits::default();
    assigned.max_recipients = 7;
    assigned.max_collection_depth = 3;
    assert_eq!(assigned, limits);
}
