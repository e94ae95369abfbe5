//! End-to-end tests of `fedi-inspect cattle parse --routing-key KEY < BODY`.

mod inspect_common;

use inspect_common::run;

fn parse(key: &str, body: &str) -> (i32, String, String) {
    run(&["cattle", "parse", "--routing-key", key], body)
}

#[test]
fn snake_case_create_actor_is_written_as_cattle_grid_writes_it() {
    // What almabtrieb 0.3.0 sends (snake_case); cattle_grid's model dumps camelCase, every field.
    let body = r#"{"base_url": "http://abel", "preferred_username": "alice", "profile": {"summary": "A new actor"},
        "automatically_accept_followers": true, "name": "Alice"}"#;
    let (code, out, err) = parse("send.alice.request.create_actor", body);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"request.create_actor\",\"message\":{\"baseUrl\":\"http://abel\",\"name\":\"Alice\",\
         \"preferredUsername\":\"alice\",\"profile\":{\"summary\":\"A new actor\"},\"automaticallyAcceptFollowers\":true}}\n"
    );
}

#[test]
fn mqtt_topics_and_events() {
    let body = r#"{"data": {"raw": {"type": "Follow", "actor": "http://b/1", "object": "http://a/1"}},
        "actor": "http://a/1", "event_type": "incoming", "history_id": null}"#;
    let (code, out, err) = parse("receive/alice/incoming/Follow", body);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"event.incoming\",\"message\":{\"data\":{\"raw\":{\"type\":\"Follow\",\"actor\":\"http://b/1\",\
         \"object\":\"http://a/1\"}},\"actor\":\"http://a/1\",\"event_type\":\"incoming\",\"history_id\":null}}\n"
    );
}

#[test]
fn extension_triggers_and_both_error_shapes() {
    let (code, out, err) = parse(
        "send.alice.trigger.html_display.export",
        r#"{"actor": "http://a/1", "x": [1]}"#,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"trigger.generic\",\"message\":{\"actor\":\"http://a/1\",\"x\":[1]}}\n"
    );
    let (code, out, err) = parse("error.alice", r#"{"error": "Something went wrong"}"#);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"error\",\"message\":{\"error\":\"Something went wrong\"}}\n"
    );
    let (code, out, err) = parse(
        "error.alice",
        r#"{"message": ["a", "b"], "original_message_body": "{}", "routing_key": "send_message"}"#,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"error\",\"message\":{\"message\":[\"a\",\"b\"],\"original_message_body\":\"{}\",\"routing_key\":\"send_message\"}}\n"
    );
}

#[test]
fn unknown_keys_are_kept_where_cattle_grid_ignores_them() {
    let (code, out, err) = parse(
        "receive.alice.response.fetch",
        r#"{"actor": "a", "uri": "u", "data": null, "extraneous": 1}"#,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"response.fetch\",\"message\":{\"actor\":\"a\",\"uri\":\"u\",\"data\":null,\"extraneous\":1}}\n"
    );
}

#[test]
fn invalid_input_exits_1_with_a_clear_error() {
    let (code, out, err) = parse(
        "send.alice.trigger.delete_actor",
        r#"{"actor": "http://a/1", "reason": "bye"}"#,
    );
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error: invalid trigger.delete_actor body: DeleteActorMessage refused at `reason`: extra keys are not permitted by this model\n"
    );
    let (code, _, err) = parse(
        "receive.alice.incoming.Follow",
        r#"{"actor": "a", "eventType": "incoming", "data": {"raw": {}}}"#,
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: invalid event.incoming body: EventInformation refused at `event_type`: field required\n"
    );
    let (code, _, err) = parse("send.alice.request.nope", "{}");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: `send.alice.request.nope` is not a Cattle Drive routing key"),
        "{err}"
    );
    let (code, _, err) = parse("send.alice.request.fetch", "{not json");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: invalid request.fetch body: body is not valid JSON"),
        "{err}"
    );
}
