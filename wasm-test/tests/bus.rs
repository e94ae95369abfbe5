//! The Bus client and hub on wasm32-unknown-unknown, with the browser's monotonic and wall
//! clocks: welcome, subscribe, an action routed by the subscription, and the ping timer.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use bus_protocol::client::{Client, ClientConfig, ClientEvent, ClientTransmit};
use bus_protocol::hub::{ActionRoute, Hub, HubConfig, NoRelations, Payload, SessionKey};
use bus_protocol::message::{ActionNotice, ActionType, EventType, ServerMessage};
use wasm_bindgen_test::wasm_bindgen_test;
use web_time::{Instant, SystemTime, UNIX_EPOCH};

/// 2024-01-01T00:00:00Z: any reading of `Date.now()` today is later.
const NOT_BEFORE: i64 = 1_704_067_200;

#[wasm_bindgen_test]
fn welcome_subscribe_and_an_action_with_the_browser_clocks() {
    let now = Instant::now();
    let wall = SystemTime::now();
    let unix = i64::try_from(
        wall.duration_since(UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs(),
    )
    .expect("fits");
    assert!(unix > NOT_BEFORE, "Date.now() gave {unix}");

    let mut hub = Hub::new(HubConfig::default(), NoRelations);
    let mut client = Client::new(ClientConfig::default(), 7);
    client.subscribe(&[EventType::Action]).expect("subscribe");
    client.start(now, "access-token").expect("start");

    let mut key: Option<SessionKey> = None;
    let mut from_hub = Vec::new();
    let mut sent = Vec::new();
    // Two turns of both hosts' loops: connect and welcome, then the subscription.
    for _ in 0..2 {
        while let Some(transmit) = client.poll_transmit() {
            match transmit {
                ClientTransmit::Connect { token } => {
                    assert_eq!(token, "access-token");
                    key = Some(
                        hub.connect(now, wall, "alice.example.com", "alice", "sess_1")
                            .expect("connect"),
                    );
                    client.handle_open(now).expect("open");
                }
                ClientTransmit::Send(message) => {
                    sent.push(message.clone());
                    let key = key.expect("connected first");
                    hub.handle_text(now, wall, key, &message.to_json_string())
                        .expect("hub accepts the frame");
                }
                ClientTransmit::Close(close) => panic!("unexpected close {close:?}"),
            }
            while let Some(transmit) = hub.poll_transmit() {
                let Payload::Text(bytes) = transmit.payload else {
                    panic!("unexpected payload {:?}", transmit.payload);
                };
                let text = std::str::from_utf8(&bytes).expect("UTF-8").to_owned();
                client
                    .handle_text(now, &text)
                    .expect("client accepts the frame");
                from_hub.push(text);
            }
        }
    }

    let welcome =
        ServerMessage::decode(from_hub.first().expect("a welcome").as_bytes()).expect("decodes");
    let ServerMessage::Welcome(welcome) = welcome else {
        panic!("expected a welcome, got {welcome:?}");
    };
    assert_eq!(
        welcome.timestamp, unix,
        "the hub stamps the wall clock it was given"
    );
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Connected {
            session_id: "sess_1".into(),
            user: "alice".into(),
        })
    );
    assert!(
        sent.iter().any(|message| message.kind() == "subscribe"),
        "the client subscribed after the welcome: {sent:?}"
    );

    // The hub routes the creator's action to the subscribed session only through the
    // subscription the client sent.
    let post = ActionNotice::new(ActionType::Post, "a1~xyz789", "alice", unix);
    let route = ActionRoute {
        tenant: "alice.example.com",
        action: &post,
        parent_owner: None,
        participants: &[],
        recipient: None,
    };
    assert_eq!(hub.publish_action(&route).expect("publish"), 1);
    let Payload::Text(bytes) = hub.poll_transmit().expect("the action").payload else {
        panic!("expected the action as text");
    };
    client
        .handle_text(now, std::str::from_utf8(&bytes).expect("UTF-8"))
        .expect("client accepts the action");
    assert!(matches!(
        client.poll_event(),
        Some(ClientEvent::Message(ServerMessage::Action(action))) if action == post
    ));

    // The keep-alive ping is due 30 s after the welcome.
    let ping_at = now + Duration::from_secs(30);
    assert_eq!(client.poll_timeout(), Some(ping_at));
    client.handle_timeout(ping_at).expect("ping timer");
    assert!(matches!(
        client.poll_transmit(),
        Some(ClientTransmit::Send(message)) if message.kind() == "ping"
    ));
}
