//! The `tokio-tungstenite` driver over real sockets: a server that stops reading cannot hold
//! it, the write gives up after `pong_timeout` and the client reconnects.

use std::time::Duration;

use bus_protocol::client::{Client, ClientConfig, ClientEvent, DriverEvent, WebSocketClient};
use bus_protocol::message::{
    ClientMessage, PresenceStatus, PresenceUpdate, ServerMessage, Welcome,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Accepts Bus connections, greets each with `welcome`, then holds it open without reading.
/// Reports every accepted connection.
async fn deaf_server(listener: TcpListener, accepted: mpsc::UnboundedSender<usize>) {
    let mut held = Vec::new();
    for n in 0.. {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            continue;
        };
        let welcome = ServerMessage::Welcome(Welcome {
            session_id: format!("s{n}"),
            user: "alice".to_owned(),
            timestamp: 1_700_000_000,
        });
        let _ = socket.send(Message::text(welcome.to_json_string())).await;
        let _ = accepted.send(n);
        held.push(socket);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_reading_ends_the_connection_after_the_pong_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/bus", listener.local_addr().unwrap());
    let (accepted, mut connections) = mpsc::unbounded_channel();
    tokio::spawn(deaf_server(listener, accepted));

    let config = ClientConfig {
        ping_interval: Duration::from_secs(3_600), // no ping: only the write bound acts
        pong_timeout: Duration::from_millis(300),
        ..ClientConfig::default()
    };
    let mut bus = WebSocketClient::new(url, "token", Client::new(config, 7));
    let handle = bus.handle();

    let connected = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = bus.next().await {
            if matches!(event, DriverEvent::Client(ClientEvent::Connected { .. })) {
                return;
            }
        }
        panic!("the stream ended before `welcome`");
    });
    connected.await.expect("connected");
    assert_eq!(connections.recv().await, Some(0));

    // 64 KiB presence updates until the socket buffers are full and a write stalls.
    let update = ClientMessage::Presence(PresenceUpdate {
        status: PresenceStatus::Online,
        activity: Some("x".repeat(64 * 1024)),
    });
    let feeder = {
        let handle = handle.clone();
        tokio::spawn(async move {
            loop {
                let _ = handle.send(update.clone());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let disconnected = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = bus.next().await {
            if let DriverEvent::Client(ClientEvent::Disconnected { reconnect_in }) = event {
                return reconnect_in;
            }
        }
        panic!("the stream ended before the disconnect");
    })
    .await
    .expect("a stalled write must end the connection");
    feeder.abort();
    assert!(
        disconnected.is_some(),
        "the client reconnects after a stalled write"
    );

    // It comes back: the server sees a second connection.
    let again = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let _ = bus.next().await;
        }
    });
    tokio::select! {
        n = connections.recv() => assert_eq!(n, Some(1)),
        _ = again => panic!("no second connection within 30 s"),
    }
    handle.stop().unwrap();
}
