//! The client's bounds and its end: `max_pending` and `max_queued_events` filled to their
//! bounds, the end of the transport failing what waits, and every input refused after it.

use std::time::{Duration, Instant};

use cattle_drive_types::client::{Client, ClientConfig, ClientError, ClientEvent, RequestFailure};
use cattle_drive_types::message::{
    ActivityMessage, Body, DeleteActorMessage, EventInformation, EventType, InfoRequest,
    InformationResponse, NameAndVersion, Request, Trigger,
};
use cattle_drive_types::topic::{AccountName, MessageKind, Transport};
use proptest::prelude::*;
use serde_json::Map;

const SECOND: Duration = Duration::from_secs(1);

fn alice() -> AccountName {
    AccountName::new("alice").unwrap()
}

fn client(max_pending: usize, max_queued_events: usize) -> Client {
    let mut config = ClientConfig::new(Transport::Amqp);
    config.request_timeout = SECOND;
    config.trigger_error_window = 2 * SECOND;
    config.max_pending = max_pending;
    config.max_queued_events = max_queued_events;
    Client::new(alice(), config, 17)
}

fn event_body() -> Vec<u8> {
    EventInformation::new(EventType::Outgoing, "http://abel/actor/1", Map::new()).to_json()
}

fn info_body() -> Vec<u8> {
    InformationResponse::new("alice", NameAndVersion::new("cattle_grid", "0.5")).to_json()
}

fn drain(client: &mut Client) -> Vec<ClientEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

fn send_message() -> Trigger {
    Trigger::SendMessage(ActivityMessage::new("http://abel/actor/1", Map::new()))
}

#[test]
fn requests_in_flight_are_bounded_by_max_pending() {
    let now = Instant::now();
    let mut client = client(3, 16);
    let info = client.request(now, Request::Info(InfoRequest)).unwrap();
    client.trigger(now, send_message()).unwrap();
    client.request(now, Request::Info(InfoRequest)).unwrap();
    assert_eq!(client.pending(), 3);
    assert_eq!(
        client.request(now, Request::Info(InfoRequest)),
        Err(ClientError::TooManyPending { limit: 3 })
    );
    assert_eq!(
        client.trigger(now, send_message()),
        Err(ClientError::TooManyPending { limit: 3 })
    );
    assert_eq!(client.pending(), 3, "refused requests are not recorded");

    // An answer frees a place.
    client
        .handle_message(
            now,
            "receive.alice.response.info",
            Some(info.correlation_id.as_str()),
            &info_body(),
        )
        .unwrap();
    assert!(matches!(
        drain(&mut client).as_slice(),
        [ClientEvent::Response { id, .. }] if *id == info.correlation_id
    ));
    assert!(client.request(now, Request::Info(InfoRequest)).is_ok());
}

#[test]
fn a_full_event_queue_refuses_a_message_without_consuming_it() {
    let now = Instant::now();
    let mut client = client(16, 3);
    let info = client.request(now, Request::Info(InfoRequest)).unwrap();
    let id = Some(info.correlation_id.as_str());
    for _ in 0..3 {
        client
            .handle_message(now, "receive.alice.outgoing.Create", None, &event_body())
            .unwrap();
    }
    assert_eq!(
        client.handle_message(now, "receive.alice.response.info", id, &info_body()),
        Err(ClientError::EventQueueFull { limit: 3 })
    );
    assert_eq!(client.pending(), 1, "the refused answer resolved nothing");
    let events = drain(&mut client);
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|event| matches!(event, ClientEvent::Event { .. }))
    );
    client
        .handle_message(now, "receive.alice.response.info", id, &info_body())
        .unwrap();
    assert!(matches!(
        drain(&mut client).as_slice(),
        [ClientEvent::Response { id, .. }] if *id == info.correlation_id
    ));
    assert_eq!(client.pending(), 0);
}

#[test]
fn the_end_fails_what_waits_then_refuses_everything() {
    let start = Instant::now();
    let mut client = client(16, 1);
    client.set_method_replies("delete_actor", true);
    let due = client.request(start, Request::Info(InfoRequest)).unwrap();
    let later = start + SECOND / 2;
    let replying = client
        .trigger(
            later,
            Trigger::DeleteActor(DeleteActorMessage::new("http://abel/actor/1")),
        )
        .unwrap();
    let watched = client.trigger(later, send_message()).unwrap();
    // The event queue is at its bound; the end adds its events all the same.
    client
        .handle_message(later, "receive.alice.outgoing.Create", None, &event_body())
        .unwrap();

    client.handle_end(start + SECOND).unwrap();
    assert!(client.is_closed());
    let events = drain(&mut client);
    let outcomes: Vec<(String, &str)> = events
        .iter()
        .map(|event| match event {
            ClientEvent::Event { .. } => (String::new(), "event"),
            ClientEvent::TimedOut { id, kind } => {
                assert_eq!(*kind, MessageKind::RequestInfo);
                (id.to_string(), "timed out")
            }
            ClientEvent::Failed {
                id,
                failure: RequestFailure::TransportEnded,
            } => (id.to_string(), "transport ended"),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    // What was due times out first; the rest fail, earliest deadline first.
    assert_eq!(
        outcomes,
        [
            (String::new(), "event"),
            (due.correlation_id.to_string(), "timed out"),
            (replying.correlation_id.to_string(), "transport ended"),
            (watched.correlation_id.to_string(), "transport ended"),
        ]
    );
    assert_eq!((client.pending(), client.poll_timeout()), (0, None));

    let now = start + 2 * SECOND;
    assert_eq!(client.handle_end(now), Err(ClientError::Closed));
    assert_eq!(client.handle_timeout(now), Err(ClientError::Closed));
    assert_eq!(
        client.handle_message(now, "receive.alice.outgoing.Create", None, &event_body()),
        Err(ClientError::Closed)
    );
    assert_eq!(
        client.request(now, Request::Info(InfoRequest)),
        Err(ClientError::Closed)
    );
    assert_eq!(
        client.trigger(now, send_message()),
        Err(ClientError::Closed)
    );
    assert!(client.poll_event().is_none());
}

/// One step before the end.
#[derive(Debug, Clone)]
enum Step {
    Request,
    Trigger,
    /// An answer to the n-th request sent so far, or a stray message.
    Message {
        key: String,
        answers: Option<usize>,
        body: Vec<u8>,
    },
    Wait(u64),
}

/// An input handed to a closed client.
#[derive(Debug, Clone)]
enum Input {
    Message {
        key: String,
        correlation_id: Option<String>,
        body: Vec<u8>,
    },
    Timeout(u64),
    End(u64),
    Request,
    Trigger,
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("receive.alice.response.info".to_owned()),
        Just("receive.alice.response.trigger".to_owned()),
        Just("receive.alice.outgoing.Create".to_owned()),
        Just("error.alice".to_owned()),
        "[a-z./]{0,30}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(info_body()),
        Just(event_body()),
        Just(br#"{"error":"x"}"#.to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Request),
        Just(Step::Trigger),
        (key(), proptest::option::of(0usize..8), body())
            .prop_map(|(key, answers, body)| Step::Message { key, answers, body }),
        (0u64..1500).prop_map(Step::Wait),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (key(), proptest::option::of("[0-9a-f-]{0,36}"), body()).prop_map(
            |(key, correlation_id, body)| Input::Message {
                key,
                correlation_id,
                body,
            }
        ),
        (0u64..10_000).prop_map(Input::Timeout),
        (0u64..10_000).prop_map(Input::End),
        Just(Input::Request),
        Just(Input::Trigger),
    ]
}

proptest! {
    /// Whatever happened before the end, every request gets exactly one outcome by the end
    /// and every trigger at most one (an info response may make its method a watched one,
    /// which expires silently), and afterwards every input and command is refused with
    /// `Closed`.
    #[test]
    fn every_input_after_the_end_is_refused(
        steps in proptest::collection::vec(step(), 0..24),
        inputs in proptest::collection::vec(input(), 1..16),
    ) {
        let start = Instant::now();
        let mut client = client(8, 64);
        client.set_method_replies("send_message", true);
        let mut now = start;
        let mut sent = Vec::new();
        let mut requests = std::collections::BTreeSet::new();
        for step in steps {
            let outcome = match step {
                Step::Request => client.request(now, Request::Info(InfoRequest)).map(|out| {
                    requests.insert(out.correlation_id.clone());
                    sent.push(out.correlation_id);
                }),
                Step::Trigger => client.trigger(now, send_message()).map(|out| {
                    sent.push(out.correlation_id);
                }),
                Step::Message { key, answers, body } => {
                    let id = answers.and_then(|n| sent.get(n)).map(|id| id.as_str().to_owned());
                    client.handle_message(now, &key, id.as_deref(), &body)
                }
                Step::Wait(millis) => {
                    now += Duration::from_millis(millis);
                    client.handle_timeout(now)
                }
            };
            prop_assert!(
                matches!(outcome, Ok(()) | Err(ClientError::TooManyPending { .. })),
                "{:?}", outcome
            );
        }
        prop_assert_eq!(client.handle_end(now), Ok(()));
        let mut outcomes = std::collections::BTreeMap::new();
        for event in drain(&mut client) {
            match event {
                ClientEvent::Response { id, .. }
                | ClientEvent::Failed { id, .. }
                | ClientEvent::TimedOut { id, .. } => *outcomes.entry(id).or_insert(0) += 1,
                _ => {}
            }
        }
        prop_assert!(outcomes.values().all(|&n| n == 1), "{:?}", outcomes);
        prop_assert!(outcomes.keys().all(|id| sent.contains(id)));
        prop_assert!(requests.iter().all(|id| outcomes.contains_key(id)), "{:?}", outcomes);
        prop_assert_eq!(client.pending(), 0);

        for input in inputs {
            let outcome = match &input {
                Input::Message { key, correlation_id, body } => {
                    client.handle_message(now, key, correlation_id.as_deref(), body)
                }
                Input::Timeout(millis) => client.handle_timeout(now + Duration::from_millis(*millis)),
                Input::End(millis) => client.handle_end(now + Duration::from_millis(*millis)),
                Input::Request => client.request(now, Request::Info(InfoRequest)).map(drop),
                Input::Trigger => client.trigger(now, send_message()).map(drop),
            };
            prop_assert_eq!(outcome, Err(ClientError::Closed), "{:?}", input);
        }
        prop_assert!(client.poll_event().is_none());
        prop_assert_eq!(client.poll_timeout(), None);
    }
}
