//! Property tests: key and body round trips, total decoders, and the client's matching rules
//! under arbitrary interleavings.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cattle_drive_types::client::{Client, ClientConfig, ClientEvent};
use cattle_drive_types::message::{
    Body, CreateActorRequest, EventInformation, EventType, FetchResponse, InfoRequest, Limits,
    Message, Request,
};
use cattle_drive_types::topic::{
    AccountName, EventDirection, RequestMethod, ResponseMethod, Route, RoutingKey, Transport,
    TriggerMethod,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn account() -> impl Strategy<Value = AccountName> {
    "[a-zA-Z0-9_]{1,16}".prop_map(|name| AccountName::new(name).unwrap_or_else(|e| panic!("{e}")))
}

fn route() -> impl Strategy<Value = Route> {
    let method = prop::collection::vec("[a-z_0-9]{1,12}", 1..4)
        .prop_map(|words| TriggerMethod::new(words.join(".")).unwrap_or_else(|e| panic!("{e}")));
    prop_oneof![
        prop::sample::select(vec![
            RequestMethod::Info,
            RequestMethod::CreateActor,
            RequestMethod::Fetch
        ])
        .prop_map(Route::Request),
        method.prop_map(Route::Trigger),
        prop::sample::select(vec![
            ResponseMethod::Info,
            ResponseMethod::CreateActor,
            ResponseMethod::Fetch,
            ResponseMethod::Trigger
        ])
        .prop_map(Route::Response),
        (any::<bool>(), "[A-Za-z:]{1,8}(\\.[A-Za-z:]{1,8}){0,2}").prop_map(
            |(incoming, activity_type)| Route::Event {
                direction: if incoming {
                    EventDirection::Incoming
                } else {
                    EventDirection::Outgoing
                },
                activity_type,
            }
        ),
        Just(Route::Error),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,8}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn json_map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(("[a-zA-Z@:]{1,10}", json_value()), 0..5)
        .prop_map(|entries| entries.into_iter().collect())
}

proptest! {
    #[test]
    fn keys_round_trip_in_both_transports(account in account(), route in route()) {
        let key = RoutingKey::new(account, route);
        for transport in [Transport::Amqp, Transport::Mqtt] {
            let text = key.format(transport);
            prop_assert!(text.is_ok(), "{:?}", text);
            let text = text.unwrap_or_default();
            prop_assert_eq!(RoutingKey::parse(&text, transport), Ok(key.clone()), "{}", text);
        }
    }

    #[test]
    fn key_parsing_is_total(text in "\\PC{0,300}") {
        for transport in [Transport::Amqp, Transport::Mqtt] {
            if let Ok(key) = RoutingKey::parse(&text, transport) {
                let again = key.format(transport).ok();
                prop_assert_eq!(again.as_deref(), Some(text.as_str()));
            }
        }
    }

    #[test]
    fn decoding_is_total(route in route(), body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Message::decode(&route, &body, &Limits::default());
    }

    #[test]
    fn decoding_json_is_total_and_stable(route in route(), value in json_value()) {
        let body = value.to_string();
        if let Ok(message) = Message::decode(&route, body.as_bytes(), &Limits::default()) {
            let again = Message::decode(&route, &message.to_json(), &Limits::default());
            prop_assert_eq!(again.ok(), Some(message));
        }
    }

    #[test]
    fn events_round_trip(data in json_map(), actor in ".{0,20}", incoming in any::<bool>(),
                         history in proptest::option::of(".{0,10}"), extra in json_map()) {
        let mut event = EventInformation::new(
            if incoming { EventType::Incoming } else { EventType::Outgoing }, actor, Map::new());
        event.data = data;
        event.history_id = history;
        event.extra = extra.into_iter().filter(|(k, _)| !["data", "actor", "event_type", "history_id"].contains(&k.as_str())).collect();
        prop_assert_eq!(EventInformation::from_json(&event.to_json()).ok(), Some(event));
    }

    #[test]
    fn create_actor_round_trips(base in ".{0,20}", name in proptest::option::of(".{0,10}"),
                                profile in json_map(), follow in proptest::option::of(any::<bool>())) {
        let mut request = CreateActorRequest::new(base);
        request.name = name;
        request.profile = profile;
        request.automatically_accept_followers = follow;
        prop_assert_eq!(CreateActorRequest::from_json(&request.to_json()).ok(), Some(request));
    }

    /// Whatever arrives in whatever order, each request resolves at most once, only through a
    /// response of its own method or an error, and never through an event.
    #[test]
    fn client_matching_invariants(script in prop::collection::vec((0u8..6, 0usize..4, 0u64..3000), 1..40)) {
        let alice = AccountName::new("alice").unwrap_or_else(|e| panic!("{e}"));
        let mut config = ClientConfig::default();
        config.request_timeout = Duration::from_secs(1);
        let mut client = Client::new(alice, config, 9);
        let t0 = Instant::now();
        let mut ids = Vec::new();
        let mut resolved: BTreeMap<String, usize> = BTreeMap::new();
        let event = EventInformation::new(EventType::Outgoing, "a", Map::new()).to_json();
        let info = br#"{"accountName":"alice","actors":[],"baseUrls":[],"backend":{"name":"x","version":"1"},"protocol":{"name":"x","version":"1"}}"#;
        let fetch = FetchResponse::new("a", "u", None).to_json();
        let mut clock = t0;
        for (action, pick, millis) in script {
            clock = clock.max(t0 + Duration::from_millis(millis));
            let id = ids.get(pick % ids.len().max(1)).cloned();
            let cid = id.as_deref();
            // What is due expires on any input at `clock`; count from there.
            prop_assert_eq!(client.handle_timeout(clock), Ok(()));
            let pending_before = client.pending();
            let result = match action {
                0 => {
                    let out = client.request(clock, Request::Info(InfoRequest));
                    prop_assert!(out.is_ok());
                    ids.extend(out.ok().map(|o| o.correlation_id.to_string()));
                    Ok(())
                }
                1 => client.handle_message(clock, "receive.alice.outgoing.Create", cid, &event),
                2 => client.handle_message(clock, "receive.alice.response.info", cid, info),
                3 => client.handle_message(clock, "receive.alice.response.fetch", cid, &fetch),
                4 => client.handle_message(clock, "error.alice", cid, br#"{"error":"x"}"#),
                _ => client.handle_timeout(clock),
            };
            prop_assert!(result.is_ok());
            if action == 1 || action == 3 {
                prop_assert_eq!(client.pending(), pending_before, "an event or a foreign response resolved a request");
            }
            while let Some(e) = client.poll_event() {
                match e {
                    ClientEvent::Response { id, .. } | ClientEvent::Failed { id, .. } | ClientEvent::TimedOut { id, .. } => {
                        *resolved.entry(id.to_string()).or_default() += 1;
                    }
                    ClientEvent::Event { .. } | ClientEvent::Unsolicited { .. } => {}
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
        prop_assert!(resolved.values().all(|&n| n == 1), "{:?}", resolved);
        prop_assert_eq!(resolved.len() + client.pending(), ids.len());
    }
}
