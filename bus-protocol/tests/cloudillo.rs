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
        sub_type: None,
        parent_id: None,
        audience: None,
        status: Some(ActionStatus::Active),
    };
    assert_eq!(
        f.to_server_message(std::time::UNIX_EPOCH),
        Ok(Mapped::Message(ServerMessage::Action(expected.clone())))
    );
    let back =
        Frame::from_server_message(&ServerMessage::Action(expected.clone()), "Xf3k").unwrap();
    assert_eq!(back.cmd, Command::Action);
    assert_eq!(back.data["createdAt"], "2025-02-02T08:00:00Z");
    assert_eq!(
        back.to_server_message(std::time::UNIX_EPOCH),
        Ok(Mapped::Message(ServerMessage::Action(expected)))
    );
}

#[test]
fn pong_and_non_overlapping_commands() {
    let (pong, _) = frame("server-ack-pong.json");
    assert_eq!(
        pong.to_server_message(std::time::UNIX_EPOCH + std::time::Duration::from_secs(42)),
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
        assert_eq!(
            f.to_server_message(std::time::UNIX_EPOCH),
            Ok(Mapped::NoEquivalent),
            "{name}"
        );
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
    let err = f.to_server_message(std::time::UNIX_EPOCH).unwrap_err();
    assert_eq!(
        err,
        DecodeError::InvalidFields {
            message_type: "cloudillo",
            detail: "ACTION data: missing string `actionId`".into()
        }
    );
}

#[test]
fn the_fields_cloudillo_apps_read_map_both_ways() {
    // A comment by bob on alice's post, addressed to alice, as the deployed server's
    // `build_action_message` writes it (absent optional fields as `null`).
    let text = r#"{"id":"q","cmd":"ACTION","data":{"actionId":"a2","tempId":null,"type":"CMNT","subType":"UPD","parentId":"a1","issuer":{"idTag":"bob.example.com"},"audience":{"idTag":"alice.example.com"},"content":"nice","attachments":null,"subject":null,"createdAt":"2025-02-02T08:00:00Z","status":"N","visibility":null,"flags":null,"x":null}}"#;
    let Ok(Mapped::Message(ServerMessage::Action(notice))) = Frame::decode(text.as_bytes())
        .unwrap()
        .to_server_message(std::time::UNIX_EPOCH)
    else {
        panic!("not an action");
    };
    assert_eq!(notice.action_type, ActionType::Cmnt);
    assert_eq!(notice.sub_type.as_deref(), Some("UPD"));
    assert_eq!(notice.parent_id.as_deref(), Some("a1"));
    assert_eq!(notice.issuer, "bob.example.com");
    assert_eq!(notice.audience.as_deref(), Some("alice.example.com"));
    assert_eq!(notice.status, Some(ActionStatus::Notification));
    assert_eq!(notice.content.as_deref(), Some("nice"));
    assert_eq!(notice.timestamp, 1_738_483_200);

    let back = Frame::from_server_message(&ServerMessage::Action(notice), "9").unwrap();
    assert_eq!(
        back.data,
        serde_json::json!({
            "actionId": "a2",
            "type": "CMNT",
            "subType": "UPD",
            "parentId": "a1",
            "issuer": {"idTag": "bob.example.com"},
            "audience": {"idTag": "alice.example.com"},
            "content": "nice",
            "createdAt": "2025-02-02T08:00:00Z",
            "status": "N",
        })
    );
}

#[test]
fn misshapen_optional_action_fields_are_typed_errors() {
    for (field, value) in [
        ("subType", "7"),
        ("parentId", "[]"),
        ("status", "{}"),
        ("audience", r#""alice""#),
        ("audience", r#"{"idTag":1}"#),
    ] {
        let text = format!(
            r#"{{"id":"1","cmd":"ACTION","data":{{"actionId":"a","type":"POST","issuer":{{"idTag":"b"}},"createdAt":0,"{field}":{value}}}}}"#
        );
        let err = Frame::decode(text.as_bytes())
            .unwrap()
            .to_server_message(std::time::UNIX_EPOCH)
            .unwrap_err();
        match err {
            DecodeError::InvalidFields {
                message_type: "cloudillo",
                detail,
            } => assert!(detail.contains(field), "{field}: {detail}"),
            other => panic!("{field}: {other:?}"),
        }
    }
}
