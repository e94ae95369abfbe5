//! Hostile input: deep nesting, huge numbers, huge strings, many keys and many recipients each
//! give a typed refusal at the documented limit (`MAX_DEPTH`, `DeliveryLimits`) or are read in
//! time and memory proportional to the input (the host bounds the input size).

use activitystreams_core::c2s::{
    BlindRecipients, DeliveryError, DeliveryLimits, Expansion, IdFor, accept_outbox_post,
    apply_partial_update, check_required_properties, delivery_recipients,
};
use activitystreams_core::ext::interaction_policy::{Approval, PolicyRule};
use activitystreams_core::{
    Any, Kind, MAX_DEPTH, Object, ObjectBuilder, ParseError, ViolationKind, validate_document,
};

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

/// `"PREFIX0","PREFIX1",…` for `range`.
fn quoted_ids(prefix: &str, range: std::ops::Range<usize>) -> String {
    range
        .map(|i| format!(r#""{prefix}{i}""#))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn a_post_to_a_hundred_thousand_recipients_is_accepted_and_each_gets_it_once() {
    // The Note's recipients are copied to its Create and back (§6.2), bcc is stripped (§6) and
    // the recipients are de-duplicated (§7.1): with hash sets, not a scan per recipient.
    let text = format!(
        r#"{{"type":"Note","content":"hi","to":["https://www.w3.org/ns/activitystreams#Public",{}],"cc":[{}],"bcc":[{}]}}"#,
        quoted_ids("https://b.example/u/", 0..50_000),
        quoted_ids("https://b.example/u/", 50_000..75_000),
        quoted_ids("https://b.example/u/", 75_000..100_000),
    );
    let mut n = 0;
    let post = accept_outbox_post(
        Object::from_str(&text).unwrap(),
        "https://a.example/me",
        &mut |_: IdFor| {
            n += 1;
            format!("https://a.example/objects/{n}")
        },
    )
    .unwrap();
    assert_eq!(post.activity.to_ids().count(), 50_001);
    assert_eq!(post.blind.0.len(), 25_000);
    let recipients = delivery_recipients(
        &post.delivery,
        &post.blind,
        &mut |_| Expansion::Actor,
        DeliveryLimits::default(),
    )
    .unwrap();
    assert_eq!(recipients.actors.len(), 100_000);
    assert_eq!(recipients.actors[0], "https://b.example/u/0");
    assert_eq!(recipients.actors[99_999], "https://b.example/u/99999");
}

#[test]
fn a_type_listed_many_times_is_checked_in_linear_time() {
    // §6.1 checks every type against `object`, which sits after 100,000 other keys.
    let mut text = format!(r#"{{"type":[{}]"#, vec![r#""Create""#; 100_000].join(","));
    for i in 0..100_000 {
        text.push_str(&format!(r#","k{i}":{i}"#));
    }
    text.push_str(r#","object":"https://a.example/n"}"#);
    assert_eq!(
        check_required_properties(&Object::from_str(&text).unwrap()),
        Ok(())
    );
}

#[test]
fn a_partial_update_of_many_keys_stays_linear() {
    let stored_text = format!(
        "{{{}}}",
        (0..100_000)
            .map(|i| format!(r#""k{i}":0"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    // Even keys replaced, odd ones removed, as many new ones added.
    let patch_text = format!(
        "{{{}}}",
        (0..200_000)
            .map(|i| match i {
                i if i >= 100_000 => format!(r#""k{i}":1"#),
                i if i % 2 == 0 => format!(r#""k{i}":1"#),
                i => format!(r#""k{i}":null"#),
            })
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut stored = Object::from_str(&stored_text).unwrap();
    apply_partial_update(&mut stored, Object::from_str(&patch_text).unwrap()).unwrap();
    assert_eq!(stored.len(), 150_000);
    assert!(stored.unknown("k1").is_none());
    assert_eq!(stored.unknown("k0"), stored.unknown("k199999"));
    assert_eq!(stored.keys().nth(50_000), Some("k100000"));
}

#[test]
fn a_repeated_key_keeps_its_last_value_in_the_place_of_the_first() {
    // As `serde_json::Value` with insertion order: the last value, where the key first came.
    let object = Object::from_str(
        r#"{"id":"https://a/1","type":"Note","x":1,"id":"https://a/2","x":2,"type":"Article"}"#,
    )
    .unwrap();
    assert_eq!(object.keys().collect::<Vec<_>>(), ["id", "type", "x"]);
    assert_eq!(object.id(), Some("https://a/2"));
    assert_eq!(object.type_name(), Some("Article"));
    assert_eq!(object.unknown("x"), Some(&2u64.into()));
}

#[test]
fn repeated_known_keys_among_many_keys_stay_linear() {
    // 100,000 unknown keys, then `id` written 100,000 times: the last value wins, in the place
    // of the first.
    let mut text = String::from(r#"{"type":"Note""#);
    for i in 0..100_000 {
        text.push_str(&format!(r#","k{i}":{i}"#));
    }
    for i in 0..100_000 {
        text.push_str(&format!(r#","id":"https://a.example/{i}""#));
    }
    text.push('}');
    let object = Object::from_str(&text).unwrap();
    assert_eq!(object.len(), 100_002);
    assert_eq!(object.id(), Some("https://a.example/99999"));
    assert_eq!(object.keys().last(), Some("id"));
}

#[test]
fn a_language_tag_with_many_variants_is_checked_in_linear_time() {
    // RFC 5646 forbids a repeated variant; 100,000 distinct ones are well-formed.
    let variants: Vec<String> = (0..100_000).map(|i| format!("v{i:07}")).collect();
    let tag = format!("de-{}", variants.join("-"));
    let text = format!(r#"{{"contentMap":{{"{tag}":"x"}}}}"#);
    assert_eq!(validate_document(text.as_bytes()), []);
    let repeated = format!(r#"{{"contentMap":{{"{tag}-v0000000":"x"}}}}"#);
    let violations = validate_document(repeated.as_bytes());
    assert_eq!(violations.len(), 1);
    assert!(matches!(
        violations[0].kind,
        ViolationKind::InvalidLanguageTag { .. }
    ));
}

#[test]
fn an_interaction_policy_is_matched_against_many_ids_in_linear_time() {
    let listed: Vec<String> = (0..100_000)
        .map(|i| format!("https://a.example/u/{i}"))
        .collect();
    let rule = PolicyRule {
        automatic: Vec::new(),
        manual: listed.iter().map(String::as_str).collect(),
    };
    let asking: Vec<String> = (0..100_000)
        .map(|i| format!("https://b.example/u/{i}"))
        .collect();
    let mut ids: Vec<&str> = asking.iter().map(String::as_str).collect();
    assert_eq!(rule.approval_for(&ids), Approval::Denied);
    ids.push("https://a.example/u/99999");
    assert_eq!(rule.approval_for(&ids), Approval::Manual);
}

#[test]
fn a_builder_of_many_properties_stays_linear() {
    // Every adder finds its property without scanning the ones before it.
    let mut builder = ObjectBuilder::new(Kind::Note);
    for i in 0..100_000u64 {
        builder = builder
            .property(format!("x-{i}"), Any::from(i))
            .content_in(format!("l{i}"), "text")
            .to(format!("https://b.example/u/{i}"));
    }
    let object = builder.property("x-0", Any::from(true)).build();
    assert_eq!(object.len(), 100_003);
    assert_eq!(object.keys().nth(1), Some("x-0"));
    assert_eq!(object.unknown("x-0"), Some(&Any::from(true)));
    assert_eq!(object.to_ids().count(), 100_000);
    let map = object
        .content_map()
        .and_then(|p| p.first())
        .and_then(|m| m.as_object());
    assert_eq!(map.map(Object::len), Some(100_000));
}

/// The owned reader and the typed conversions on the same hostile input: the same limits,
/// time and memory proportional to the input.
mod owned {
    use activitystreams_core::{MAX_DEPTH, Object, OwnedObject, ParseError, TypedError};
    use serde::Deserialize;

    use super::{nested_arrays, nested_objects};

    fn assert_too_deep(result: Result<OwnedObject, ParseError>) {
        match result {
            Err(ParseError::TooDeep { limit }) => assert_eq!(limit, MAX_DEPTH),
            other => panic!("expected TooDeep, got {other:?}"),
        }
    }

    #[derive(Deserialize)]
    struct Wrapper {
        #[allow(dead_code)]
        object: OwnedObject,
    }

    #[test]
    fn nesting_is_refused_at_max_depth_from_buffers_and_readers() {
        let deepest = nested_arrays(MAX_DEPTH - 2);
        assert!(OwnedObject::from_str(&deepest).is_ok());
        assert!(OwnedObject::from_reader(deepest.as_bytes()).is_ok());
        assert!(OwnedObject::from_reader(nested_objects(MAX_DEPTH - 1).as_bytes()).is_ok());
        for depth in [MAX_DEPTH - 1, MAX_DEPTH + 1, 10_000, 1_000_000] {
            // The object plus `depth` arrays, `depth + 1` objects: one container too many.
            let arrays = nested_arrays(depth);
            let objects = nested_objects(depth + 1);
            assert_too_deep(OwnedObject::from_str(&arrays));
            assert_too_deep(OwnedObject::from_reader(arrays.as_bytes()));
            assert_too_deep(OwnedObject::from_reader(objects.as_bytes()));
            let wrapped = format!(r#"{{"object":{objects}}}"#);
            assert!(serde_json::from_reader::<_, Wrapper>(wrapped.as_bytes()).is_err());
        }
    }

    #[test]
    fn many_duplicate_keys_from_a_reader_and_through_typed_conversions() {
        let mut text = String::from(r#"{"type":"Note""#);
        for round in 0..2 {
            for i in 0..100_000 {
                text.push_str(&format!(r#","k{i}":{round}"#));
            }
        }
        text.push('}');
        let owned = OwnedObject::from_reader(text.as_bytes()).unwrap();
        assert_eq!(owned.len(), 100_001);
        assert_eq!(
            owned.unknown("k99999").and_then(|v| v.to_value().ok()),
            Some(serde_json::json!(1))
        );
        let borrowed = Object::from_str(&text).unwrap();
        assert_eq!(owned, borrowed);
        // A type reading one property leaves 100,000 behind, each looked at once.
        #[derive(Deserialize)]
        struct Kind<'x> {
            #[serde(rename = "type")]
            kind: &'x str,
        }
        let (kind, rest): (Kind<'_>, Object<'_>) = borrowed.deserialize_with_rest().unwrap();
        assert_eq!(kind.kind, "Note");
        assert_eq!(rest.len(), 100_000);
        let mut back = OwnedObject::from_typed(&serde_json::json!({"type": "Note"})).unwrap();
        back.merge(rest.into_owned());
        assert_eq!(back, borrowed);
    }

    #[test]
    fn a_huge_string_from_a_reader() {
        let content = "é".repeat(32 * 1024 * 1024);
        let text = format!(r#"{{"type":"Note","content":"{content}"}}"#);
        let owned = OwnedObject::from_reader(text.as_bytes()).unwrap();
        assert_eq!(owned.content_in(None).map(str::len), Some(content.len()));
        #[derive(Deserialize)]
        struct Content<'x> {
            content: &'x str,
        }
        let typed: Content<'_> = owned.deserialize_into().unwrap();
        assert_eq!(typed.content.len(), content.len());
        assert!(matches!(
            owned.deserialize_into::<Vec<u8>>(),
            Err(TypedError::Mismatch { .. })
        ));
    }
}
