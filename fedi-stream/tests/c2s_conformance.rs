//! Conformance with the material in `tests/data/c2s/` (see `SOURCES.md` there): real
//! ActivityPub documents through every C2S wire form unchanged, the SWICG draft's event
//! examples, and Mastodon's streaming frames.

use std::time::Instant;

use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent};
use fedi_stream::c2s::discovery::{Change, ObjectEvent, event_stream_of, set_event_stream};
use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, Session, SessionConfig, Transmit};
use fedi_stream::c2s::item::{ItemId, Json, StreamEvent};
use fedi_stream::c2s::mastodon::StreamingEvent;
use fedi_stream::c2s::mastodon::{
    ClientCommand, EventName, FrameLimits, MastodonError, PayloadKind, ServerFrame,
};
use fedi_stream::c2s::socket::{Incoming, ServerMessage, SocketLimits};
use fedi_stream::sse::{Decoder, Output};
use serde_json::Value;

const AS2: [(&str, &str); 5] = [
    (
        "bovine-create-note",
        include_str!("data/c2s/as2/bovine-create-note.json"),
    ),
    (
        "mastodon-update-note-edit",
        include_str!("data/c2s/as2/mastodon-update-note-edit.json"),
    ),
    (
        "mastodon-delete-note-tombstone",
        include_str!("data/c2s/as2/mastodon-delete-note-tombstone.json"),
    ),
    (
        "mitra-follow",
        include_str!("data/c2s/as2/mitra-follow.json"),
    ),
    (
        "bridgyfed-granary-undo-follow",
        include_str!("data/c2s/as2/bridgyfed-granary-undo-follow.json"),
    ),
];

fn open_client(now: Instant) -> Client {
    let mut client = Client::new(
        ClientConfig::new("https://h.example/inbox".parse().unwrap()),
        1,
    );
    let _ = client.poll_request(now).unwrap();
    let headers = fedi_stream::c2s::negotiate::Representation::EventStream.response_headers();
    client
        .handle_response(now, http::StatusCode::OK, &headers)
        .unwrap();
    assert_eq!(client.poll_event(), Some(ClientEvent::Opened));
    client
}

#[test]
fn real_activities_arrive_byte_for_byte_over_sse_and_websocket() {
    let now = Instant::now();
    let mut feed = Feed::new(FeedConfig::new("https://h.example/inbox".parse().unwrap()));
    let mut sse = Session::new(&feed, Format::Sse, None, SessionConfig::default(), now).unwrap();
    let mut ws = Session::new(
        &feed,
        Format::WebSocket,
        None,
        SessionConfig::default(),
        now,
    )
    .unwrap();
    let mut client = open_client(now);
    for (index, (name, text)) in AS2.iter().enumerate() {
        let id = ItemId::new(&format!("{name}-{index}")).unwrap();
        feed.append(StreamEvent::inbox(
            id.clone(),
            Json::from_bytes(*text).unwrap(),
        ))
        .unwrap();

        let Some(Transmit::Body(body)) = sse.poll_transmit(now, &feed) else {
            panic!()
        };
        for chunk in body.chunks(3) {
            client.handle_body(now, chunk).unwrap();
        }
        let Some(ClientEvent::Item(item)) = client.poll_event() else {
            panic!("{name}")
        };
        assert_eq!(item.id(), Some(&id));
        assert_eq!(
            item.data().as_str(),
            *text,
            "{name}: the stored text, unchanged (multi-line JSON)"
        );

        let Some(Transmit::Text(text_frame)) = ws.poll_transmit(now, &feed) else {
            panic!()
        };
        let message = ServerMessage::decode(
            Incoming::Text(std::str::from_utf8(&text_frame).unwrap()),
            &SocketLimits::default(),
        )
        .unwrap();
        let ServerMessage::Item(pushed) = message else {
            panic!()
        };
        assert_eq!(pushed.id(), Some(&id));
        assert_eq!(
            pushed.data().as_str(),
            text.trim_end(),
            "{name}: the JSON value's exact text"
        );
    }
}

#[test]
fn swicg_draft_event_examples() {
    let now = Instant::now();
    let mut client = open_client(now);
    client
        .handle_body(now, include_bytes!("data/c2s/swicg/events.sse"))
        .unwrap();
    let messages: Vec<_> = std::iter::from_fn(|| client.poll_event())
        .map(|event| match event {
            ClientEvent::Message(message) => message,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(messages.len(), 7);
    assert!(
        messages
            .iter()
            .all(|message| message.event_type() == "message")
    );

    // The first example as published is not JSON (a `data      }` line without colon).
    assert!(Json::from_bytes(messages[0].data().to_owned()).is_err());

    let expected = [
        (
            Change::Add,
            "https://ideas.example/note/339/replies",
            Some("https://social.example/note/138"),
        ),
        (
            Change::Remove,
            "https://photos.example/album/31939",
            Some("https://photos.example/photo/5821"),
        ),
        (
            Change::Remove,
            "https://other.example/user/20550/followers",
            Some("https://third.example/user/24176"),
        ),
        (
            Change::Update,
            "https://social.example/note/9891",
            Some("https://social.example/note/9891"),
        ),
        (
            Change::Update,
            "https://other.example/person/4607",
            Some("https://other.example/person/4607"),
        ),
        (
            Change::Delete,
            "https://social.example/note/4023",
            Some("https://social.example/note/4023"),
        ),
    ];
    for (message, (change, watched, object)) in messages[1..].iter().zip(expected) {
        let json = Json::from_bytes(message.data().to_owned()).unwrap();
        let event = ObjectEvent::from_json(&json).unwrap();
        assert_eq!(event.change, change);
        assert_eq!(event.object_id(), object);
        assert!(event.concerns(watched), "{watched}");
        // Writing it back gives the same activity.
        assert_eq!(event.to_json().unwrap().to_value(), json.to_value());
    }
}

#[test]
fn swicg_discovery_example() {
    let note: Value =
        serde_json::from_str(include_str!("data/c2s/swicg/note-with-event-stream.json")).unwrap();
    let stream = event_stream_of(&note).unwrap();
    assert_eq!(
        stream.as_str(),
        "https://social.example/stream?object=/note/1"
    );
    let mut rebuilt = note.clone();
    rebuilt.as_object_mut().unwrap().remove("eventStream");
    rebuilt["@context"] = Value::String("https://www.w3.org/ns/activitystreams".into());
    set_event_stream(&mut rebuilt, &stream).unwrap();
    assert_eq!(rebuilt, note);
}

fn frames() -> Value {
    serde_json::from_str(include_str!("data/c2s/mastodon/frames.json")).unwrap()
}

#[test]
fn mastodon_server_frames() {
    let limits = FrameLimits::default();
    for case in frames()["server"].as_array().unwrap() {
        let text = case["frame"].as_str().unwrap();
        let frame = ServerFrame::decode(text, &limits).unwrap();
        match &frame {
            ServerFrame::Event { stream, event } => {
                let expected_stream: Vec<String> =
                    serde_json::from_value(case["stream"].clone()).unwrap();
                assert_eq!(stream, &expected_stream);
                assert_eq!(event.name().as_str(), case["event"]);
                let kind = match event.payload() {
                    p if p.is_json() => "entity",
                    p if p.as_str().is_some() => "id",
                    _ => "none",
                };
                assert_eq!(kind, case["payload"], "{text}");
                let expected_kind = match kind {
                    "entity" => PayloadKind::Entity,
                    "id" => PayloadKind::Id,
                    _ => PayloadKind::Ignored,
                };
                assert_eq!(event.name().payload_kind(), expected_kind);
            }
            ServerFrame::Error { error, status } => {
                assert_eq!(error, case["error"].as_str().unwrap());
                assert_eq!(status.map(u64::from), case["status"].as_u64());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(frame.encode(), text, "encoding gives the frame back");
    }
}

#[test]
fn mastodon_client_commands() {
    let limits = FrameLimits::default();
    let data = frames();
    for case in data["client"].as_array().unwrap() {
        let command = ClientCommand::decode(case["frame"].as_str().unwrap(), &limits).unwrap();
        let expected = case["command"].as_str().unwrap();
        assert!(matches!(
            (&command, expected),
            (ClientCommand::Subscribe(_), "subscribe")
                | (ClientCommand::Unsubscribe(_), "unsubscribe")
        ));
        assert_eq!(command.stream().name(), case["stream"]);
        assert_eq!(command.stream().param(), case["param"].as_str());
        assert_eq!(
            ClientCommand::decode(&command.encode(), &limits),
            Ok(command)
        );
    }
    for case in data["client_errors"].as_array().unwrap() {
        let error: MastodonError =
            ClientCommand::decode(case["frame"].as_str().unwrap(), &limits).unwrap_err();
        assert_eq!(error.to_frame().encode(), case["error"]);
    }
}

#[test]
fn mastodon_streams_from_our_session_match_the_documented_frames() {
    let data = frames();
    let now = Instant::now();
    let mut feed = Feed::new(FeedConfig::mastodon(
        "https://h.example/api/v1/timelines/public".parse().unwrap(),
        &["public"],
    ));
    let mut ws = Session::new(
        &feed,
        Format::MastodonWebSocket,
        None,
        SessionConfig::default(),
        now,
    )
    .unwrap();
    let mut sse = Session::new(
        &feed,
        Format::MastodonSse,
        None,
        SessionConfig::default(),
        now,
    )
    .unwrap();
    let limits = FrameLimits::default();
    let mut sse_body = Vec::new();
    for case in data["server"].as_array().unwrap().iter().take(2) {
        let ServerFrame::Event { event, .. } =
            ServerFrame::decode(case["frame"].as_str().unwrap(), &limits).unwrap()
        else {
            panic!()
        };
        feed.append(event).unwrap();
        let Some(Transmit::Text(frame)) = ws.poll_transmit(now, &feed) else {
            panic!()
        };
        assert_eq!(std::str::from_utf8(&frame).unwrap(), case["frame"]);
        while let Some(Transmit::Body(bytes)) = sse.poll_transmit(now, &feed) {
            sse_body.extend_from_slice(&bytes);
        }
    }
    let documented = data["sse"].as_str().unwrap();
    let (ours_prefix, _) = documented.split_once(":thump\n").unwrap();
    let delete_block = "event: delete\ndata: 113000000000000001\n\n";
    assert_eq!(
        String::from_utf8(sse_body).unwrap(),
        format!("{ours_prefix}{delete_block}")
    );
}

#[test]
fn mastodon_sse_stream_decodes_to_events() {
    let data = frames();
    let mut decoder = Decoder::new().with_comments(true);
    decoder.feed(data["sse"].as_str().unwrap().as_bytes());
    let mut names = Vec::new();
    let mut comments = Vec::new();
    for output in decoder.by_ref() {
        match output.unwrap() {
            Output::Event(event) => {
                names.push(StreamingEvent::from_sse(&event).unwrap().name().clone())
            }
            Output::Comment(comment) => comments.push(comment),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(comments, [")", "thump"]);
    assert_eq!(
        names,
        [
            EventName::Update,
            EventName::Delete,
            EventName::FiltersChanged,
            EventName::Notification
        ]
    );
}

#[test]
fn typed_as2_activities_from_an_outbox_post_to_a_followers_stream() {
    use activitystreams_core::c2s::{IdFor, accept_outbox_post};
    use activitystreams_core::{Kind, Object, ObjectBuilder, PUBLIC};
    use fedi_stream::c2s::item::EventKind;
    use fedi_stream::c2s::socket::{
        ClientConnection, ClientConnectionEvent as WsEvent, ServerConnection, ServerConnectionEvent,
    };

    let now = Instant::now();
    // Alice posts a bare Note over her WebSocket.
    let note = ObjectBuilder::new(Kind::Note)
        .content("<p>hello bob</p>")
        .to(PUBLIC)
        .cc("https://example.net/bob")
        .build();
    let mut alice = ClientConnection::new(SocketLimits::default());
    let request = alice
        .outbox(now, Json::from_object(&note).unwrap())
        .unwrap();
    let alice_outbox = Feed::new(FeedConfig::new(
        "https://example.com/alice/outbox".parse().unwrap(),
    ));
    let mut server = ServerConnection::new(
        &alice_outbox,
        None,
        SessionConfig::default(),
        SocketLimits::default(),
        now,
    )
    .unwrap();
    server
        .handle_message(alice.poll_transmit().unwrap().as_message().unwrap())
        .unwrap();
    let Some(ServerConnectionEvent::Request(fedi_stream::c2s::socket::ClientMessage::Outbox {
        request: id,
        activity,
    })) = server.poll_event()
    else {
        panic!("the outbox request")
    };
    assert_eq!(id, request);

    // The host applies ActivityPub §6 with activitystreams-core and answers with the ids.
    let mut minted = 0;
    let accepted = accept_outbox_post(
        activity.to_object().unwrap().into_owned(),
        "https://example.com/alice",
        &mut |_: IdFor| {
            minted += 1;
            format!("https://example.com/alice/objects/{minted}")
        },
    )
    .unwrap();
    server
        .accept(&id, &accepted.location, accepted.activity.object_id())
        .unwrap();
    while let Some(frame) = server.poll_transmit(now, &alice_outbox) {
        if let Some(message) = frame.as_message() {
            alice.handle_message(message).unwrap();
        }
    }
    let Some(WsEvent::Answer(ServerMessage::Accepted {
        activity: location,
        object,
        ..
    })) = alice.poll_event()
    else {
        panic!("accepted")
    };
    assert_eq!(location, "https://example.com/alice/objects/2");
    assert_eq!(
        object.as_deref(),
        Some("https://example.com/alice/objects/1")
    );

    // The delivered Create reaches bob's inbox stream, typed at both ends.
    let mut bob_inbox = Feed::new(FeedConfig::new(
        "https://example.net/bob/inbox".parse().unwrap(),
    ));
    let mut session =
        Session::new(&bob_inbox, Format::Sse, None, SessionConfig::default(), now).unwrap();
    let mut bob = open_client(now);
    let event = StreamEvent::from_activity(
        EventKind::Inbox,
        ItemId::new("1").unwrap(),
        &accepted.delivery,
    )
    .unwrap();
    bob_inbox.append(event).unwrap();
    while let Some(Transmit::Body(bytes)) = session.poll_transmit(now, &bob_inbox) {
        bob.handle_body(now, &bytes).unwrap();
    }
    let Some(ClientEvent::Item(item)) = bob.poll_event() else {
        panic!()
    };
    let create: Object<'_> = item.activity().unwrap();
    assert_eq!(create.kind(), Some(Kind::Create));
    assert_eq!(create.actor_id(), Some("https://example.com/alice"));
    assert_eq!(
        create.embedded_object().unwrap().content_in(None),
        Some("<p>hello bob</p>")
    );
    assert_eq!(
        create.to_value().unwrap(),
        accepted.delivery.to_value().unwrap()
    );
}
