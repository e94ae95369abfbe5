//! Hostile input: oversized bodies and keys, deep nesting, huge numbers and strings each give a
//! typed refusal within the documented limits (`Limits::max_body_bytes`, `MAX_KEY_LEN`, JSON
//! nesting of 128 levels), on the client and on the server side.

use std::time::Instant;

use cattle_drive_types::client::{
    Client, ClientConfig, ClientEvent, InvalidMessage, RequestFailure,
};
use cattle_drive_types::message::{DecodeError, ErrorBody, InfoRequest, Limits, Message, Request};
use cattle_drive_types::server::{Rejection, Server, ServerConfig};
use cattle_drive_types::topic::{
    AccountName, EventDirection, MAX_KEY_LEN, RequestMethod, Route, RoutingKey, TopicError,
    Transport,
};

/// serde_json's recursion limit, which bounds every body this crate decodes.
const JSON_DEPTH_LIMIT: usize = 128;
const MIB: usize = 1 << 20;

fn event_route() -> Route {
    Route::Event {
        direction: EventDirection::Incoming,
        activity_type: "Note".into(),
    }
}

fn event_body(raw: &str) -> Vec<u8> {
    format!(
        r#"{{"data":{{"raw":{raw}}},"actor":"http://abel/actor/1","event_type":"incoming","history_id":null}}"#
    )
    .into_bytes()
}

fn fetch_body(uri: &str) -> Vec<u8> {
    format!(r#"{{"actor":"http://abel/actor/1","uri":{uri}}}"#).into_bytes()
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn decode(route: &Route, body: &[u8]) -> Result<Message, DecodeError> {
    Message::decode(route, body, &Limits::default())
}

fn assert_too_deep(result: Result<Message, DecodeError>) {
    match result {
        Err(DecodeError::Json(e)) => assert!(e.to_string().contains("recursion limit"), "{e}"),
        other => panic!("expected a recursion-limit error, got {other:?}"),
    }
}

#[test]
fn nesting_is_bounded_at_128_levels_in_every_model() {
    // Inside `data.raw` the value sits 3 levels deep already.
    assert!(decode(&event_route(), &event_body(&nested(JSON_DEPTH_LIMIT - 4))).is_ok());
    assert_too_deep(decode(
        &event_route(),
        &event_body(&nested(JSON_DEPTH_LIMIT)),
    ));
    for depth in [JSON_DEPTH_LIMIT + 1, 10_000, 200_000] {
        let deep = nested(depth);
        assert_too_deep(decode(&event_route(), &event_body(&deep)));
        assert_too_deep(decode(
            &Route::Request(RequestMethod::Fetch),
            &fetch_body(&deep),
        ));
        assert_too_deep(decode(&Route::Error, deep.as_bytes()));
    }
}

#[test]
fn huge_numbers_are_refused_or_read_as_json_reads_them() {
    assert!(matches!(
        decode(&event_route(), &event_body(r#"{"n":1e400}"#)),
        Err(DecodeError::Json(_))
    ));
    // An integer beyond 64 bits is read as a float, as serde_json::Value reads it; one beyond
    // the range of f64 is refused like `1e400`.
    let long = "9".repeat(30);
    assert!(decode(&event_route(), &event_body(&format!(r#"{{"n":{long}}}"#))).is_ok());
    let digits = "9".repeat(100_000);
    assert!(matches!(
        decode(&event_route(), &event_body(&format!(r#"{{"n":{digits}}}"#))),
        Err(DecodeError::Json(_))
    ));
    // A number where the model wants a string is a typed refusal naming the field.
    match decode(&Route::Request(RequestMethod::Fetch), &fetch_body(&long)) {
        Err(DecodeError::Invalid { path, .. }) => assert_eq!(path, "uri"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_body_over_the_limit_is_refused_before_parsing() {
    let huge = event_body(&format!(r#""{}""#, "x".repeat(100 * MIB)));
    match decode(&event_route(), &huge) {
        Err(DecodeError::TooLarge { size, limit }) => {
            assert_eq!((size, limit), (huge.len(), MIB));
        }
        other => panic!("{other:?}"),
    }
    // Just under the limit is accepted: the limit is on bytes, not on the shape.
    let fits = event_body(&format!(r#""{}""#, "x".repeat(MIB - 200)));
    assert!(fits.len() <= MIB);
    assert!(decode(&event_route(), &fits).is_ok());
}

#[test]
fn the_server_refuses_an_oversized_publish_with_a_bounded_reply() {
    let server = Server::new(ServerConfig::default());
    let alice = AccountName::new("alice").unwrap();
    // Control characters are escaped as six bytes each in JSON: the worst case for an echo.
    let body = vec![0x01_u8; 100 * MIB];
    let rejection = server
        .handle_publish(Some(&alice), "send.alice.request.fetch", Some("c1"), &body)
        .unwrap_err();
    let Rejection::Invalid { error, reply, .. } = rejection else {
        panic!("{rejection:?}")
    };
    assert!(matches!(error, DecodeError::TooLarge { .. }), "{error:?}");
    assert_eq!(reply.routing_key, "error.alice");
    // The reply echoes at most `max_body_bytes` of the body (escaped), not all 100 MiB.
    assert!(reply.body.len() <= 6 * MIB + 4096, "{}", reply.body.len());
    let mut roomy = Limits::default();
    roomy.max_body_bytes = 8 * MIB;
    let Ok(Message::Error(ErrorBody::Exception(echo))) =
        Message::decode(&Route::Error, &reply.body, &roomy)
    else {
        panic!("the reply is an exception message")
    };
    assert_eq!(echo.original_message_body.len(), MIB);
}

#[test]
fn the_client_turns_oversized_and_deep_answers_into_typed_failures() {
    let now = Instant::now();
    let alice = AccountName::new("alice").unwrap();
    let mut client = Client::new(alice, ClientConfig::new(Transport::Amqp), 9);
    let pending = client.request(now, Request::Info(InfoRequest)).unwrap();
    let id = pending.correlation_id.as_str().to_owned();
    let huge = vec![b' '; 2 * MIB];
    client
        .handle_message(now, "receive.alice.response.info", Some(&id), &huge)
        .unwrap();
    match client.poll_event() {
        Some(ClientEvent::Failed {
            failure: RequestFailure::InvalidResponse(DecodeError::TooLarge { limit, .. }),
            ..
        }) => assert_eq!(limit, MIB),
        other => panic!("{other:?}"),
    }
    let deep = event_body(&nested(100_000));
    client
        .handle_message(now, "receive.alice.incoming.Note", None, &deep)
        .unwrap();
    match client.poll_event() {
        Some(ClientEvent::Invalid {
            error: InvalidMessage::Body(DecodeError::Json(e)),
            ..
        }) => assert!(e.to_string().contains("recursion limit"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn keys_over_the_broker_limit_are_refused() {
    let key = format!("receive.alice.incoming.{}", "N".repeat(10 * MIB));
    for transport in [Transport::Amqp, Transport::Mqtt] {
        match RoutingKey::parse(&key, transport) {
            Err(TopicError::TooLong { len, limit }) => {
                assert_eq!((len, limit), (key.len(), MAX_KEY_LEN));
            }
            other => panic!("{other:?}"),
        }
    }
}
