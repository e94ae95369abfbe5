//! `ObjectBuilder` as its documentation describes it: adders append (a single value, then an
//! array), setters and `property` replace a value in its place, `content_in`/`name_in` add to
//! the language map (replacing the text of a language given again).

use activitystreams_core::{Any, Kind, Object, ObjectBuilder};
use serde_json::json;

fn keys(object: &Object<'_>) -> Vec<String> {
    object.keys().map(str::to_owned).collect()
}

#[test]
fn a_property_set_again_keeps_its_place() {
    let o = ObjectBuilder::new(Kind::Note)
        .property("x-a", Any::from(1u64))
        .id("https://a/1")
        .property("x-b", Any::from(2u64))
        .property("x-a", Any::from(3u64))
        .id("https://a/2")
        .context()
        .build();
    assert_eq!(keys(&o), ["type", "x-a", "id", "x-b", "@context"]);
    assert_eq!(
        o.to_value().unwrap(),
        json!({"type": "Note", "x-a": 3, "id": "https://a/2", "x-b": 2,
            "@context": "https://www.w3.org/ns/activitystreams"})
    );
}

#[test]
fn adders_append_to_what_property_set() {
    let o = ObjectBuilder::new(Kind::Note)
        .property("to", Any::from("https://a/1"))
        .cc("https://a/2")
        .to("https://a/3")
        .also_type("Article")
        .build();
    assert_eq!(keys(&o), ["type", "to", "cc"]);
    assert_eq!(
        o.to_value().unwrap(),
        json!({"type": ["Note", "Article"], "to": ["https://a/1", "https://a/3"],
            "cc": "https://a/2"})
    );
}

#[test]
fn language_entries_are_added_in_order_and_replaced_in_place() {
    let o = ObjectBuilder::new(Kind::Note)
        .content_in("en", "a")
        .content_in("de", "b")
        .content_in("en", "c")
        .name_in("fr", "n")
        .build();
    let map = o
        .content_map()
        .unwrap()
        .first()
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(keys(map), ["en", "de"]);
    assert_eq!(
        o.to_value().unwrap()["contentMap"],
        json!({"en": "c", "de": "b"})
    );
    assert_eq!(o.to_value().unwrap()["nameMap"], json!({"fr": "n"}));
}

#[test]
fn language_entries_extend_a_map_given_whole_and_restart_after_another_value() {
    let given = Object::from_str(r#"{"fr":"x","es":"y"}"#).unwrap();
    let o = ObjectBuilder::new(Kind::Note)
        .content_in("en", "a")
        .property("contentMap", Any::from(given))
        .content_in("en", "b")
        .content_in("fr", "z")
        .build();
    assert_eq!(
        o.to_value().unwrap()["contentMap"],
        json!({"fr": "z", "es": "y", "en": "b"})
    );
    let map = o
        .content_map()
        .unwrap()
        .first()
        .unwrap()
        .as_object()
        .unwrap();
    assert_eq!(keys(map), ["fr", "es", "en"]);

    let replaced = ObjectBuilder::new(Kind::Note)
        .content_in("en", "a")
        .property("contentMap", Any::from("not a map"))
        .content_in("de", "b")
        .content_in("en", "c")
        .build();
    assert_eq!(
        replaced.to_value().unwrap()["contentMap"],
        json!({"de": "b", "en": "c"})
    );
}
