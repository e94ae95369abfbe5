//! The entity examples of the Versia 0.5 and 0.6 specs parse to the right type and serialise
//! back to the same JSON value (sources in `tests/data/SOURCES.md`).

use std::path::Path;

use serde_json::Value;
use versia_ws::entity::{Entity, EntityError, Nullable};

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/versia/entities");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// The variant the spec's `type` names (Share and Group types come from their extensions).
fn expected_variant(entity_type: &str) -> &'static str {
    match entity_type {
        "Note" => "Note",
        "User" => "User",
        "Follow" => "Follow",
        "FollowAccept" => "FollowAccept",
        "FollowReject" => "FollowReject",
        "Unfollow" => "Unfollow",
        "Delete" => "Delete",
        "pub.versia:share/Share" => "Share",
        "pub.versia:groups/Group" => "Group",
        "InstanceMetadata" => "InstanceMetadata",
        _ => "Unknown",
    }
}

fn variant(entity: &Entity) -> &'static str {
    match entity {
        Entity::Note(_) => "Note",
        Entity::User(_) => "User",
        Entity::Follow(_) => "Follow",
        Entity::FollowAccept(_) => "FollowAccept",
        Entity::FollowReject(_) => "FollowReject",
        Entity::Unfollow(_) => "Unfollow",
        Entity::Delete(_) => "Delete",
        Entity::Share(_) => "Share",
        Entity::Group(_) => "Group",
        Entity::InstanceMetadata(_) => "InstanceMetadata",
        _ => "Unknown",
    }
}

#[test]
fn spec_examples_round_trip_losslessly() {
    let examples = examples();
    assert_eq!(examples.len(), 24);
    for (name, text) in examples {
        let original: Value = serde_json::from_str(&text).unwrap();
        let entity = Entity::from_json(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            variant(&entity),
            expected_variant(original["type"].as_str().unwrap()),
            "{name}"
        );
        assert_eq!(entity.to_value(), original, "{name}");
        assert_eq!(
            entity.entity_type(),
            original["type"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            entity.id(),
            original.get("id").and_then(Value::as_str),
            "{name}"
        );
    }
}

#[test]
fn typed_fields_are_read() {
    let note = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/versia/entities/v0.6-note.json"),
    )
    .unwrap();
    let Entity::Note(note) = Entity::from_json(&note).unwrap() else {
        panic!("not a note")
    };
    assert_eq!(note.author, "018eb863-753f-76ff-83d6-fd590de7740a");
    assert_eq!(note.is_sensitive, Nullable::Value(false));
    assert_eq!(note.quotes, Nullable::Null);
    assert_eq!(note.collections, Nullable::Absent);
    let content = note.content.as_option().unwrap();
    assert_eq!(
        content.richest_text(),
        Some((
            "text/html",
            "<p>In the next versia-fe update: account settings, finally!</p>"
        ))
    );
    assert!(note.common.created_at_time().unwrap().is_ok());
    assert!(
        note.common
            .extensions
            .as_option()
            .unwrap()
            .contains_key("pub.versia:custom_emojis")
    );

    let metadata = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/versia/entities/v0.6-instance-metadata.json"),
    )
    .unwrap();
    let Entity::InstanceMetadata(metadata) = Entity::from_json(&metadata).unwrap() else {
        panic!("not instance metadata")
    };
    let key = metadata.public_key.parse().unwrap();
    assert_eq!(
        key.to_spki_base64(),
        "MCowBQYDK2VwAyEA9zhEMtQZetRl4QrLcz99i7jOa6ZVjX7aLfRUsMuKByI="
    );
    assert_eq!(
        metadata.domain.as_option().map(String::as_str),
        Some("social.jimjams.com")
    );
}

#[test]
fn unknown_members_survive() {
    let text = r#"{"type":"Follow","created_at":"2021-01-01T00:00:00Z","author":"a","followee":"b","org.example:x":[1,null,{"y":true}],"extra":null}"#;
    let entity = Entity::from_json(text).unwrap();
    assert_eq!(
        entity.to_value(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn errors_name_the_field() {
    assert_eq!(
        Entity::from_json(r#"{"type":"Follow","author":"a"}"#),
        Err(EntityError::MissingField {
            entity: "Follow",
            field: "followee"
        })
    );
    assert!(matches!(
        Entity::from_json(r#"{"type":"Note","author":"a","is_sensitive":"yes"}"#),
        Err(EntityError::InvalidField {
            entity: "Note",
            field: "is_sensitive",
            ..
        })
    ));
    assert_eq!(
        Entity::from_json("[]"),
        Err(EntityError::NotAnObject { found: "array" })
    );
    assert_eq!(
        Entity::from_json(r#"{"id":"x"}"#),
        Err(EntityError::MissingField {
            entity: "Entity",
            field: "type"
        })
    );
    assert!(matches!(
        Entity::from_json("{"),
        Err(EntityError::Json { .. })
    ));
}

#[test]
fn authors_and_authority() {
    use versia_ws::{SignedBy, Version};
    let peer = SignedBy::instance("peer.example");
    let cases = [
        (r#"{"type":"Note","author":"carol"}"#, Some("carol"), true),
        (
            r#"{"type":"Follow","author":"peer.example:carol","followee":"hub.example:alice"}"#,
            Some("peer.example:carol"),
            true,
        ),
        (
            r#"{"type":"pub.versia:share/Share","author":"hub.example:alice","shared":"peer.example:n1"}"#,
            Some("hub.example:alice"),
            false,
        ),
        (
            r#"{"type":"Delete","author":null,"deleted_type":"Note","deleted":"x.example:n1"}"#,
            None,
            true,
        ),
        (
            r#"{"type":"Delete","author":"x.example:mallory","deleted_type":"Note","deleted":"n1"}"#,
            Some("x.example:mallory"),
            false,
        ),
        (
            r#"{"type":"org.example:Thing","author":"x.example:mallory"}"#,
            Some("x.example:mallory"),
            false,
        ),
        (r#"{"type":"User","username":"carol"}"#, None, true),
    ];
    for (text, author, allowed) in cases {
        let entity = Entity::from_json(text).unwrap();
        assert_eq!(entity.author(), author, "{text}");
        assert_eq!(
            entity.check_authority(Version::V0_6, &peer).is_ok(),
            allowed,
            "{text}"
        );
    }
}
