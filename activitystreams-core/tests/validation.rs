//! Strict validation against the W3C test documents in `tests/data/` (see
//! `tests/data/SOURCES.md`): every known-bad document is rejected with a pointer to the
//! offending value, every specification example is accepted.

use std::path::Path;

use activitystreams_core::{Expected, JsonKind, ViolationKind, validate_document};

fn read(relative: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(relative),
    )
    .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// A w3c-fail file, the pointer its name designates, and a test for the rule it breaks.
type Expectation = (&'static str, &'static str, fn(&ViolationKind) -> bool);

/// Each w3c-fail document, with the pointer its name designates and the rule it breaks.
fn expected_failures() -> Vec<Expectation> {
    vec![
        ("array-at-top.json", "", |k| {
            matches!(
                k,
                ViolationKind::NotAnObject {
                    found: JsonKind::Array
                }
            )
        }),
        ("bad-character-set.json", "/contentMap/eo", |k| {
            matches!(k, ViolationKind::NotJson { .. })
        }),
        ("collection-with-non-page-first.json", "/first", |k| {
            matches!(k, ViolationKind::NotAPage { .. })
        }),
        (
            "content-map-with-invalid-language-tag.json",
            "/contentMap/de-419-DE",
            |k| matches!(k, ViolationKind::InvalidLanguageTag { tag } if tag == "de-419-DE"),
        ),
        ("name-as-namemap.json", "/nameMap", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::LanguageMap,
                    found: JsonKind::String,
                    ..
                }
            )
        }),
        ("namemap-as-name.json", "/name", |k| {
            matches!(k, ViolationKind::LanguageMapInPlainProperty { .. })
        }),
        ("number-as-actor.json", "/actor", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::Reference,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-as-content.json", "/content", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::String,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-as-context.json", "/@context", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::ContextEntry,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-as-id.json", "/id", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::Iri,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-as-name.json", "/name", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::String,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-as-object.json", "/object", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::Reference,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-as-type.json", "/type", |k| {
            matches!(
                k,
                ViolationKind::WrongType {
                    expected: Expected::TypeName,
                    found: JsonKind::Number,
                    ..
                }
            )
        }),
        ("number-at-top.json", "", |k| {
            matches!(
                k,
                ViolationKind::NotAnObject {
                    found: JsonKind::Number
                }
            )
        }),
        ("ordered-collection-with-items.json", "/items", |k| {
            matches!(k, ViolationKind::ItemsInOrderedCollection)
        }),
        (
            "ordered-collection-with-non-page-first.json",
            "/first",
            |k| matches!(k, ViolationKind::NotAPage { .. }),
        ),
        ("other-context.json", "/@context", |k| {
            matches!(k, ViolationKind::NotAs2Context)
        }),
        (
            "relative-uri-for-url.json",
            "/url",
            |k| matches!(k, ViolationKind::RelativeIri { value } if value == "images/sally.jpg"),
        ),
        ("string-at-top.json", "", |k| {
            matches!(
                k,
                ViolationKind::NotAnObject {
                    found: JsonKind::String
                }
            )
        }),
        (
            "unordered-collection-with-ordered-items.json",
            "/orderedItems",
            |k| matches!(k, ViolationKind::OrderedItemsInCollection),
        ),
    ]
}

#[test]
fn every_w3c_fail_document_is_rejected_with_a_pointer_to_the_offending_value() {
    let expected = expected_failures();
    let on_disk =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c-fail"))
            .unwrap()
            .count();
    assert_eq!(
        expected.len(),
        on_disk,
        "every file of w3c-fail/ has an expectation"
    );
    for (file, pointer, is_expected_kind) in expected {
        let violations = validate_document(&read(&format!("w3c-fail/{file}")));
        assert_eq!(violations.len(), 1, "{file}: {violations:?}");
        assert_eq!(violations[0].pointer, pointer, "{file}: {violations:?}");
        assert!(
            is_expected_kind(&violations[0].kind),
            "{file}: {violations:?}"
        );
    }
}

#[test]
fn every_w3c_example_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name == "INDEX.json" {
            continue;
        }
        let violations = validate_document(&std::fs::read(&path).unwrap());
        if !violations.is_empty() {
            failures.push(format!("{name}: {violations:?}"));
        }
        checked += 1;
    }
    assert_eq!(checked, 191);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn violations_display_pointer_and_reason() {
    let violations = validate_document(&read("w3c-fail/number-as-actor.json"));
    assert_eq!(
        violations[0].to_string(),
        "\"/actor\": `actor` must be an IRI, an object or a Link, found a number"
    );
}
