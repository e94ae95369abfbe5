//! Cattle Drive decoding and matching: the input is `ROUTING_KEY\nBODY` (AMQP key or MQTT
//! topic). The key is parsed, the body decoded with the key's model and with every other
//! model; whatever decodes must encode to a body that decodes to the same message. The pair is
//! also handed to a client and to a server, which must not panic; once the client's transport
//! ended, it refuses the message with `Closed`.
#![no_main]

use std::time::{Duration, Instant};

use cattle_drive_types::client::{Client, ClientConfig, ClientError};
use cattle_drive_types::message::{InfoRequest, Limits, Message, Request};
use cattle_drive_types::server::{Server, ServerConfig};
use cattle_drive_types::topic::{
    AccountName, EventDirection, RequestMethod, ResponseMethod, Route, RoutingKey, Transport,
    TriggerMethod,
};
use libfuzzer_sys::fuzz_target;

fn routes() -> Vec<Route> {
    let mut routes = vec![Route::Error];
    for m in [
        RequestMethod::Info,
        RequestMethod::CreateActor,
        RequestMethod::Fetch,
    ] {
        routes.push(Route::Request(m));
    }
    for m in [
        ResponseMethod::Info,
        ResponseMethod::CreateActor,
        ResponseMethod::Fetch,
        ResponseMethod::Trigger,
    ] {
        routes.push(Route::Response(m));
    }
    for m in [
        "send_message",
        "update_actor",
        "delete_actor",
        "publish_object",
    ] {
        if let Ok(method) = TriggerMethod::new(m) {
            routes.push(Route::Trigger(method));
        }
    }
    routes.push(Route::Event {
        direction: EventDirection::Incoming,
        activity_type: "Follow".into(),
    });
    routes
}

fn check_round_trip(route: &Route, body: &[u8]) {
    let limits = Limits::default();
    if let Ok(message) = Message::decode(route, body, &limits) {
        let again = Message::decode(route, &message.to_json(), &limits);
        assert_eq!(
            again.ok().as_ref(),
            Some(&message),
            "re-encoded body decodes differently"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let (key, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let key = String::from_utf8_lossy(key);
    let now = Instant::now();
    for transport in [Transport::Amqp, Transport::Mqtt] {
        if let Ok(parsed) = RoutingKey::parse(&key, transport) {
            assert_eq!(parsed.format(transport).ok().as_deref(), Some(key.as_ref()));
            check_round_trip(&parsed.route, body);
            let mut config = ClientConfig::new(transport);
            config.request_timeout = Duration::from_secs(1);
            let mut client = Client::new(parsed.account.clone(), config, 1);
            let pending = client.request(now, Request::Info(InfoRequest)).ok();
            let cid = pending.as_ref().map(|o| o.correlation_id.as_str());
            let _ = client.handle_message(now, &key, cid, body);
            while client.poll_event().is_some() {}
            assert_eq!(client.handle_timeout(now + Duration::from_secs(2)), Ok(()));
            while client.poll_event().is_some() {}
            let later = now + Duration::from_secs(3);
            assert_eq!(client.handle_end(later), Ok(()));
            while client.poll_event().is_some() {}
            assert_eq!(
                client.handle_message(later, &key, cid, body),
                Err(ClientError::Closed)
            );
            let server = Server::new(ServerConfig::new(transport));
            let login = AccountName::new("alice").ok();
            let _ = server.handle_publish(login.as_ref(), &key, cid, body);
            let _ = server.handle_publish(None, &key, None, body);
        }
    }
    for route in routes() {
        check_round_trip(&route, body);
    }
});
