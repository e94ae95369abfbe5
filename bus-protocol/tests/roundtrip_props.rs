//! Property tests: every message this crate can build encodes and decodes to itself.

use bus_protocol::message::*;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,20}"
}

fn event_type() -> impl Strategy<Value = EventType> {
    prop::sample::select(EventType::ALL)
}

fn status() -> impl Strategy<Value = PresenceStatus> {
    prop::sample::select(PresenceStatus::ALL)
}

fn action_type() -> impl Strategy<Value = ActionType> {
    prop_oneof![
        prop::sample::select(vec![
            ActionType::Post,
            ActionType::Repost,
            ActionType::Cmnt,
            ActionType::React,
            ActionType::Msg,
            ActionType::Conn,
            ActionType::Fllw,
            ActionType::Fshr,
        ]),
        "[A-Z]{1,8}".prop_map(|s| ActionType::parse(&s)),
    ]
}

fn action_status() -> impl Strategy<Value = ActionStatus> {
    prop_oneof![
        Just(ActionStatus::Active),
        Just(ActionStatus::Confirmation),
        Just(ActionStatus::Notification),
        "[A-Z]{1,2}".prop_map(|s| ActionStatus::parse(&s)),
    ]
}

/// An action notice with every optional field drawn.
fn action_notice() -> impl Strategy<Value = ActionNotice> {
    (
        (action_type(), text(), text(), prop::option::of(text())),
        prop_oneof![any::<i64>(), -62_167_219_200i64..253_402_300_800],
        prop::option::of(prop::sample::select(ActionSource::ALL)),
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(action_status()),
        ),
    )
        .prop_map(
            |(
                (action_type, action_id, issuer, content),
                timestamp,
                source,
                (sub_type, parent_id, audience, status),
            )| ActionNotice {
                action_type,
                action_id,
                issuer,
                content,
                timestamp,
                source,
                sub_type,
                parent_id,
                audience,
                status,
            },
        )
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        prop::collection::vec(event_type(), 0..6)
            .prop_map(|events| ClientMessage::Subscribe(Subscription { events })),
        prop::collection::vec(event_type(), 0..6)
            .prop_map(|events| ClientMessage::Unsubscribe(Subscription { events })),
        (status(), prop::option::of(text())).prop_map(
            |(status, activity)| ClientMessage::Presence(PresenceUpdate { status, activity })
        ),
        (text(), text()).prop_map(|(recipient, conversation_id)| ClientMessage::Typing(
            TypingUpdate {
                recipient,
                conversation_id
            }
        )),
        Just(ClientMessage::Ping),
        (text(), prop::sample::select(PushPlatform::ALL)).prop_map(|(token, platform)| {
            ClientMessage::RegisterPush(PushRegistration { token, platform })
        }),
        any::<i64>().prop_map(|since| ClientMessage::Replay(ReplayRequest { since })),
    ]
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    let ts = any::<i64>();
    prop_oneof![
        (text(), text(), ts).prop_map(|(session_id, user, timestamp)| ServerMessage::Welcome(
            Welcome {
                session_id,
                user,
                timestamp
            }
        )),
        ts.prop_map(|timestamp| ServerMessage::Pong(Pong { timestamp })),
        (action_notice(), ts).prop_map(|(mut notice, timestamp)| {
            notice.timestamp = timestamp;
            ServerMessage::Action(notice)
        }),
        (text(), status(), prop::option::of(text()), ts).prop_map(
            |(user, status, activity, timestamp)| {
                ServerMessage::Presence(PresenceNotice {
                    user,
                    status,
                    activity,
                    timestamp,
                })
            }
        ),
        (text(), text(), ts).prop_map(|(user, conversation_id, timestamp)| ServerMessage::Typing(
            TypingNotice {
                user,
                conversation_id,
                timestamp
            }
        )),
        (text(), text(), text(), ts).prop_map(|(message_id, sender, preview, timestamp)| {
            ServerMessage::Message(DirectMessage {
                message_id,
                sender,
                preview,
                timestamp,
            })
        }),
        (text(), text(), text(), prop::option::of(text()), ts).prop_map(
            |(notification_type, from, message, action_url, timestamp)| {
                ServerMessage::Notification(Notification {
                    notification_type,
                    from,
                    message,
                    action_url,
                    timestamp,
                })
            }
        ),
        (text(), text(), ts).prop_map(|(code, message, timestamp)| ServerMessage::Error(
            ErrorNotice {
                code: ErrorCode::parse(&code),
                message,
                timestamp
            }
        )),
    ]
}

proptest! {
    #[test]
    fn client_messages_round_trip(m in client_message()) {
        prop_assert_eq!(ClientMessage::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn server_messages_round_trip(m in server_message()) {
        prop_assert_eq!(ServerMessage::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn actions_survive_the_cloudillo_codec(mut notice in action_notice()) {
        // An ActionView has no `source`; everything else goes through `ACTION` and back.
        notice.source = None;
        let message = ServerMessage::Action(notice);
        let frame = bus_protocol::cloudillo::Frame::from_server_message(&message, "7").unwrap();
        let decoded = bus_protocol::cloudillo::Frame::decode(&frame.encode()).unwrap();
        prop_assert_eq!(
            decoded.to_server_message(std::time::UNIX_EPOCH).unwrap(),
            bus_protocol::cloudillo::Mapped::Message(message)
        );
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = ClientMessage::decode(&bytes);
        let _ = ServerMessage::decode(&bytes);
    }
}
