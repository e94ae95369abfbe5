//! The deployed Cloudillo `{id, cmd, data}` format: decoding, acks, and the mapping to our
//! messages (`tests/data/cloudillo/SOURCES.md`).

use std::path::PathBuf;

use bus_protocol::cloudillo::{Command, Frame, Mapped};
use bus_protocol::message::*;
use serde_json::Value;

fn frame(name: &str) -> (Frame, Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cloudillo")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    (
        Frame::decode(&bytes).unwrap(),
        serde_json::from_slice(&bytes).unwrap(),
    )
}

#[test]
fn every_frame_round_trips() {
    for name in [
        "client-ping.json",
        "server-ack-pong.json",
        "client-other-cmd.json",
        "server-ack-ok.json",
        "server-action.json",
        "server-notification.json",
        "server-file-id-generated.json",
    ] {
        let (f, original) = frame(name);
        assert_eq!(
            serde_json::from_slice::<Value>(&f.encode()).unwrap(),
            original,
            "{name}"
        );
    }
}

#[test]
fn acks_mirror_the_deployed_server() {
    let (ping, _) = frame("client-ping.json");
    let (pong, _) = frame("server-ack-pong.json");
    assert_eq!(ping.ack(), pong);
    let (other, _) = frame("client-other-cmd.json");
    let (ok, _) = frame("server-ack-ok.json");
    assert_eq!(other.ack(), ok);
}

#[test]
fn client_frames_map_to_client_messages() {
    let (ping, _) = frame("client-ping.json");
    assert_eq!(
        ping.to_client_message(),
        Ok(Mapped::Message(ClientMessage::Ping))
    );
    let (sub, _) = frame("client-other-cmd.json");
    assert_eq!(
        sub.to_client_message(),
        Ok(Mapped::Message(ClientMessage::Subscribe(Subscription {
            events: vec![EventType::Action]
        })))
    );
    let back = Frame::from_client_message(
        &ClientMessage::Subscribe(Subscription {
            events: vec![EventType::Action],
        }),
        "q81",
    );
    assert_eq!(back, sub);
    let (action, _) = frame("server-action.json");
    assert_eq!(action.to_client_message(), Ok(Mapped::NoEquivalent));
}

#[test]
fn action_maps_to_an_action_notice_and_back() {
    let (f, _) = frame("server-action.json");
    let expected = ActionNotice {
        action_type: ActionType::Post,
        action_id: "a1~xyz789".into(),
        issuer: "alice.example.com".into(),
        content: Some("Check out this cool feature!".into()),
        timestamp: 1_738_483_200,
        source: None,
    };
    assert_eq!(
        f.to_server_message(0),
        Ok(Mapped::Message(ServerMessage::Action(expected.clone())))
    );
    let back =
        Frame::from_server_message(&ServerMessage::Action(expected.clone()), "Xf3k").unwrap();
    assert_eq!(back.cmd, Command::Action);
    assert_eq!(back.data["createdAt"], "2025-02-02T08:00:00Z");
    assert_eq!(
        back.to_server_message(0),
        Ok(Mapped::Message(ServerMessage::Action(expected)))
    );
}

#[test]
fn pong_and_non_overlapping_commands() {
    let (pong, _) = frame("server-ack-pong.json");
    assert_eq!(
        pong.to_server_message(42),
        Ok(Mapped::Message(ServerMessage::Pong(Pong { timestamp: 42 })))
    );
    assert_eq!(
        Frame::from_server_message(&ServerMessage::Pong(Pong { timestamp: 42 }), "k3j9"),
        Some(pong)
    );
    for name in [
        "server-ack-ok.json",
        "server-notification.json",
        "server-file-id-generated.json",
    ] {
        let (f, _) = frame(name);
        assert_eq!(f.to_server_message(0), Ok(Mapped::NoEquivalent), "{name}");
    }
    let (n, _) = frame("server-notification.json");
    assert_eq!(n.cmd, Command::Notification);
    let (g, _) = frame("server-file-id-generated.json");
    assert_eq!(g.cmd, Command::FileIdGenerated);
    assert_eq!(
        Frame::from_server_message(&ServerMessage::error(ErrorCode::Auth, "x", 0), "1"),
        None
    );
}

#[test]
fn action_without_required_fields_is_a_typed_error() {
    let f = Frame::decode(br#"{"id":"1","cmd":"ACTION","data":{"type":"POST","issuer":{"idTag":"a"},"createdAt":"2025-02-02T08:00:00Z"}}"#).unwrap();
    let err = f.to_server_message(0).unwrap_err();
    assert_eq!(
        err,
        DecodeError::InvalidFields {
            message_type: "cloudillo",
            detail: "ACTION data: missing string `actionId`".into()
        }
    );
}
