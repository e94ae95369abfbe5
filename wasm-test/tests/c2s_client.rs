//! The C2S stream client on wasm32-unknown-unknown, timed by the browser's monotonic clock.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent, ReconnectCause};
use http::{HeaderMap, StatusCode};
use wasm_bindgen_test::wasm_bindgen_test;
use web_time::Instant;

const IDLE: Duration = Duration::from_secs(45);

fn stream_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        "text/event-stream".parse().expect("valid header"),
    );
    headers
}

#[wasm_bindgen_test]
fn delivers_items_then_reconnects_after_the_idle_timeout() {
    // `std::time::Instant::now()` panics on this target; web-time's reads `performance.now()`.
    let opened = Instant::now();
    let url = "https://example.com/alice/inbox"
        .parse()
        .expect("valid URL");
    let mut client = Client::new(ClientConfig::new(url).with_idle_timeout(Some(IDLE)), 7);

    let request = client.poll_request(opened).expect("the first request");
    assert_eq!(request.headers()["accept"], "text/event-stream");
    client
        .handle_response(opened, StatusCode::OK, &stream_headers())
        .expect("a stream response");
    let body = b"retry: 2000\nevent: inbox\nid: 5\ndata: {\"type\":\"Create\"}\n\n";
    let received = Instant::now();
    assert!(received >= opened, "the monotonic clock went backwards");
    client.handle_body(received, body).expect("body accepted");

    assert_eq!(client.poll_event(), Some(ClientEvent::Opened));
    let Some(ClientEvent::Item(item)) = client.poll_event() else {
        panic!("expected the item");
    };
    assert_eq!(item.id().expect("an id"), "5");
    assert_eq!(client.poll_event(), None);

    // Nothing more arrives: the idle deadline counts from the last input.
    let deadline = client.poll_timeout().expect("an idle deadline");
    assert_eq!(deadline, received + IDLE);
    client
        .handle_timeout(deadline - Duration::from_millis(1))
        .expect("early timeout");
    assert_eq!(client.poll_event(), None, "not idle before the deadline");

    client.handle_timeout(deadline).expect("idle timeout");
    let Some(ClientEvent::Reconnecting { cause, at }) = client.poll_event() else {
        panic!("expected a reconnect");
    };
    assert_eq!(cause, ReconnectCause::Idle);
    // The server's `retry: 2000`, jittered within [delay / 2, delay].
    assert!(
        at >= deadline + Duration::from_millis(1000)
            && at <= deadline + Duration::from_millis(2000),
        "reconnect at {:?} after the deadline",
        at - deadline
    );
    assert_eq!(client.poll_timeout(), Some(at));
    assert!(
        client.poll_request(at - Duration::from_millis(1)).is_none(),
        "no request before the backoff delay has passed"
    );

    client.handle_timeout(at).expect("reconnect timeout");
    let again = client.poll_request(at).expect("the reconnect request");
    assert_eq!(again.headers()["last-event-id"], "5");
}
