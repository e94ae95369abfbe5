//! Interop over loopback TCP with tokio-tungstenite as the peer, in both directions: this
//! engine as the server with a tungstenite client, and as the client with a tungstenite server.
//! The engine is driven by a small tokio loop here; the engine itself does no IO.

use std::time::Duration;

use bytes::Bytes;
use fedi_stream::websocket::handshake::head::{self, HeadLimits};
use fedi_stream::websocket::handshake::{ClientHandshake, UpgradeRequest};
use fedi_stream::websocket::{
    CloseCode, CloseFrame, Connection, DataKind, Event, Limits, Message, State,
};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as TRequest, Response as TResponse,
};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{
    CloseCode as TCloseCode, Data, OpCode as TOpCode,
};

const PROTOCOL: &str = "fedi.test";
const LIMIT: Duration = Duration::from_secs(20);

/// Reads until a whole HTTP head is in `buffer`; returns its length.
async fn read_head<T>(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, head::HeadError>,
) -> (T, usize) {
    loop {
        if let Some(parsed) = parse(buffer).expect("a valid HTTP head") {
            return parsed;
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.expect("read");
        assert_ne!(n, 0, "the peer closed during the handshake");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Drives `connection` over `stream`, starting with the bytes that followed the HTTP head,
/// until it is closed: feeds what arrives (as far as the connection takes it), writes what it
/// owes, collects its events, and hands each message to `on_message` (which may send).
async fn drive(
    stream: &mut TcpStream,
    connection: &mut Connection,
    mut input: Vec<u8>,
    mut on_message: impl FnMut(&mut Connection, &Message, &mut Vec<u8>),
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut fed = 0;
    loop {
        if fed < input.len() {
            fed += connection.handle_bytes(&input[fed..]).expect("open");
        }
        let _ = connection.poll_transmit(&mut out);
        while let Some(event) = connection.poll_event() {
            if let Event::Message(message) = &event {
                on_message(connection, message, &mut out);
            }
            events.push(event);
        }
        if !out.is_empty() {
            stream.write_all(&out).await.expect("write");
            out.clear();
        }
        if connection.state() == State::Closed {
            return events;
        }
        if fed < input.len() {
            continue;
        }
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            connection.handle_end().expect("open");
        } else {
            input.clear();
            input.extend_from_slice(&chunk[..n]);
            fed = 0;
        }
    }
}

/// Accepts one connection on `listener` with this engine as the server, echoing every
/// message; returns the events it saw.
async fn engine_echo_server(listener: TcpListener) -> Vec<Event> {
    let (mut stream, _) = listener.accept().await.expect("accept");
    let mut buffer = Vec::new();
    let (request, used) = read_head(&mut stream, &mut buffer, |b| {
        head::parse_request(b, &HeadLimits::default())
    })
    .await;
    let upgrade = UpgradeRequest::parse(&request).expect("a valid upgrade request");
    let response = upgrade
        .response(upgrade.select_protocol(&[PROTOCOL]))
        .expect("offered");
    let mut head_bytes = Vec::new();
    head::write_response(&response, &mut head_bytes);
    stream.write_all(&head_bytes).await.expect("write head");

    // One event at a time, so that every message is echoed before a Close read with it.
    let mut connection = Connection::server(Limits::default().with_max_queued_events(1));
    let input = buffer.split_off(used);
    let events = drive(
        &mut stream,
        &mut connection,
        input,
        |connection, message, out| {
            connection.send_message(message, out).expect("open");
        },
    )
    .await;
    // The server closes the TCP connection once the closing handshake is done.
    drop(stream);
    events
}

/// The tungstenite server's handshake callback: select [`PROTOCOL`], which the client offers.
#[allow(clippy::result_large_err)] // the signature tungstenite's callback trait requires
fn select_protocol(
    request: &TRequest,
    mut response: TResponse,
) -> Result<TResponse, ErrorResponse> {
    assert_eq!(request.headers()["sec-websocket-protocol"], PROTOCOL);
    response
        .headers_mut()
        .insert("sec-websocket-protocol", PROTOCOL.parse().unwrap());
    Ok(response)
}

fn big_text(len: usize) -> String {
    "fedi ☃ stream ".chars().cycle().take(len).collect()
}

#[tokio::test]
async fn tungstenite_client_against_this_server() {
    tokio::time::timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(engine_echo_server(listener));

        let mut request = format!("ws://{address}/echo")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            format!("other, {PROTOCOL}").parse().unwrap(),
        );
        let (mut ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("handshake");
        assert_eq!(response.headers()["sec-websocket-protocol"], PROTOCOL);

        let big = big_text(300_000);
        let binary: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        ws.send(tungstenite::Message::text("hello")).await.unwrap();
        ws.send(tungstenite::Message::binary(binary.clone()))
            .await
            .unwrap();
        ws.send(tungstenite::Message::Ping(Bytes::from_static(b"ping?")))
            .await
            .unwrap();
        ws.send(tungstenite::Message::text(big.clone()))
            .await
            .unwrap();

        let mut received = Vec::new();
        while received.len() < 4 {
            received.push(ws.next().await.expect("open").expect("valid"));
        }
        // The engine answers the Ping before echoing what arrived with it, so the Pong's place
        // varies; compare without printing megabytes on failure.
        let (pongs, echoes): (Vec<_>, Vec<_>) = received
            .into_iter()
            .partition(|m| matches!(m, tungstenite::Message::Pong(_)));
        assert!(
            pongs == [tungstenite::Message::Pong(Bytes::from_static(b"ping?"))],
            "{pongs:?}"
        );
        let expected = [
            tungstenite::Message::text("hello"),
            tungstenite::Message::binary(binary.clone()),
            tungstenite::Message::text(big.clone()),
        ];
        assert!(
            echoes == expected,
            "echoes differ: {:?}",
            echoes
                .iter()
                .map(tungstenite::Message::len)
                .collect::<Vec<_>>()
        );

        ws.close(Some(tungstenite::protocol::CloseFrame {
            code: TCloseCode::Away,
            reason: "done".into(),
        }))
        .await
        .unwrap();
        // The echoed Close, then the end of the stream.
        while let Some(message) = ws.next().await {
            match message {
                Ok(tungstenite::Message::Close(Some(frame))) => {
                    assert_eq!(frame.code, TCloseCode::Away)
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => break,
            }
        }

        let events = server.await.unwrap();
        assert_eq!(events.len(), 5);
        assert!(events[0] == Event::Message(Message::text("hello")));
        assert!(events[1] == Event::Message(Message::binary(binary)));
        assert!(matches!(&events[2], Event::Ping(p) if p.as_slice() == b"ping?"));
        assert!(events[3] == Event::Message(Message::text(big)));
        assert_eq!(
            events[4],
            Event::Close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "done")))
        );
    })
    .await
    .expect("within the time limit");
}

#[tokio::test]
async fn this_server_fails_a_tungstenite_client_that_sends_invalid_utf8() {
    tokio::time::timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(engine_echo_server(listener));
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}/")).await.expect("handshake");

        // A raw text frame that is not UTF-8 (tungstenite masks it as a client must).
        let frame = Frame::message(Bytes::from_static(b"caf\xC3\x28"), TOpCode::Data(Data::Text), true);
        ws.send(tungstenite::Message::Frame(frame)).await.unwrap();
        match ws.next().await {
            Some(Ok(tungstenite::Message::Close(Some(frame)))) => assert_eq!(frame.code, TCloseCode::Invalid),
            other => panic!("expected a 1007 Close, got {other:?}"),
        }
        let events = server.await.unwrap();
        assert!(matches!(&events[..], [Event::Failed { error, .. }] if error.close_code() == CloseCode::INVALID_PAYLOAD));
    })
    .await
    .expect("within the time limit");
}

#[tokio::test]
async fn this_client_against_a_tungstenite_server() {
    tokio::time::timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        // A tungstenite echo server that greets first and selects the offered subprotocol.
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_hdr_async(stream, select_protocol).await.expect("handshake");
            ws.send(tungstenite::Message::text("welcome")).await.unwrap();
            let mut seen = Vec::new();
            while let Some(message) = ws.next().await {
                let message = message.expect("valid frames from the engine");
                seen.push(message.clone());
                if message.is_text() || message.is_binary() {
                    ws.send(message).await.unwrap();
                }
            }
            seen
        });

        let mut stream = TcpStream::connect(address).await.unwrap();
        let handshake = ClientHandshake::new(format!("ws://{address}/echo").parse().unwrap(), *b"0123456789abcdef", &[PROTOCOL])
            .unwrap();
        let mut head_bytes = Vec::new();
        head::write_request(&handshake.request(), &mut head_bytes);
        stream.write_all(&head_bytes).await.unwrap();
        let mut buffer = Vec::new();
        let (response, used) = read_head(&mut stream, &mut buffer, |b| head::parse_response(b, &HeadLimits::default())).await;
        assert_eq!(handshake.check_response(&response), Ok(Some(PROTOCOL.to_owned())));

        let mut connection = Connection::client(Limits::default(), 0x2545_F491);
        let input = buffer.split_off(used);

        let big = big_text(200_000);
        let binary: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let mut out = Vec::new();
        connection.send_text("hello", &mut out).unwrap();
        connection.send_fragment(DataKind::Text, &big.as_bytes()[..100_001], false, &mut out).unwrap();
        connection.send_ping(b"between fragments", &mut out).unwrap();
        connection.send_fragment(DataKind::Text, &big.as_bytes()[100_001..], true, &mut out).unwrap();
        connection.send_binary(&binary, &mut out).unwrap();
        stream.write_all(&out).await.unwrap();

        // Expect the greeting, three echoes and the pong, then close.
        let mut messages = 0;
        let events = drive(&mut stream, &mut connection, input, |connection, _, out| {
            messages += 1;
            if messages == 4 {
                connection.close(CloseCode::NORMAL, "bye", out).unwrap();
            }
        })
        .await;
        assert_eq!(events.len(), 6);
        // tungstenite sends the Pong when it next writes, so its place among the echoes varies.
        let pongs: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::Pong(_))).collect();
        assert!(matches!(&pongs[..], [Event::Pong(p)] if p.as_slice() == b"between fragments"));
        let others: Vec<&Event> = events.iter().filter(|e| !matches!(e, Event::Pong(_))).collect();
        assert!(
            others
                == [
                &Event::Message(Message::text("welcome")),
                &Event::Message(Message::text("hello")),
                &Event::Message(Message::text(big.clone())),
                &Event::Message(Message::binary(binary.clone())),
                &Event::Close(Some(CloseFrame::new(CloseCode::NORMAL, "bye"))),
            ],
            "events differ"
        );
        assert_eq!(connection.state(), State::Closed);
        // The client waits for the server to close the TCP connection.
        let mut rest = Vec::new();
        assert_eq!(stream.read_to_end(&mut rest).await.unwrap(), 0);

        let seen = server.await.unwrap();
        assert_eq!(seen.len(), 5);
        assert!(seen[0] == tungstenite::Message::text("hello"));
        assert!(seen[1] == tungstenite::Message::Ping(Bytes::from_static(b"between fragments")));
        assert!(seen[2] == tungstenite::Message::text(big));
        assert!(seen[3] == tungstenite::Message::binary(binary));
        assert!(matches!(&seen[4], tungstenite::Message::Close(Some(frame)) if frame.code == TCloseCode::Normal && frame.reason == "bye"));
    })
    .await
    .expect("within the time limit");
}
