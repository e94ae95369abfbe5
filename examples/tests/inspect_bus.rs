//! End-to-end tests of `fedi-inspect bus parse`.

mod inspect_common;

use inspect_common::run;

#[test]
fn parses_a_client_message_from_the_seed() {
    let input = "{\n\"type\": \"typing\",\n\"recipient\": \"bob.example.com\",\n\"conversation_id\": \"conv_123\"\n}\n";
    let (code, out, err) = run(&["bus", "parse", "--from", "client"], input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"kind\":\"typing\",\"message\":{\"type\":\"typing\",\"recipient\":\"bob.example.com\",\"conversation_id\":\"conv_123\"}}\n"
    );
}

#[test]
fn parses_a_server_message_from_the_seed() {
    let input = r#"{"type": "action", "action_type": "POST", "action_id": "a1~abc123...", "issuer": "bob.remote.com",
        "content": "Federated post", "timestamp": 1738483200, "source": "federated"}"#;
    let (code, out, _) = run(&["bus", "parse", "--from", "server"], input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        concat!(
            r#"{"kind":"action","message":{"type":"action","action_type":"POST","action_id":"a1~abc123...","#,
            r#""issuer":"bob.remote.com","content":"Federated post","timestamp":1738483200,"source":"federated"}}"#,
            "\n"
        )
    );
}

#[test]
fn invalid_input_exits_1_with_a_clear_error() {
    let (code, out, err) = run(&["bus", "parse", "--from", "client"], r#"{"type":"shout"}"#);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(
        err.trim(),
        "error: invalid client message: unknown message type `shout`"
    );

    // A server-only message is not a client message.
    let (code, _, err) = run(
        &["bus", "parse", "--from", "client"],
        r#"{"type":"pong","timestamp":1}"#,
    );
    assert_eq!(code, 1);
    assert!(err.contains("unknown message type `pong`"), "{err}");

    let (code, _, err) = run(&["bus", "parse", "--from", "server"], "{not json");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: invalid server message: not valid JSON at line 1"),
        "{err}"
    );

    let (code, _, err) = run(&["bus", "parse", "--from", "server"], r#"{"type":"pong"}"#);
    assert_eq!(code, 1);
    assert!(
        err.contains("invalid `pong` message: missing field `timestamp`"),
        "{err}"
    );
}

#[test]
fn a_bad_side_is_a_usage_error() {
    let (code, _, _) = run(&["bus", "parse", "--from", "nobody"], "{}");
    assert_eq!(code, 2);
}
