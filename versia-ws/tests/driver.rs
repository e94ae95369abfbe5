//! The `tokio-tungstenite` driver over real sockets: a peer that stops reading cannot hold
//! the client, whose writes give up after the write timeout and end the transport.

use std::time::Duration;

use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use versia_ws::client::{ConnectError, connect_within};
use versia_ws::connection::{Acceptor, CloseCode, Config, Event, Initiator, LocalIdentity};
use versia_ws::replay::ReplayCache;
use versia_ws::{PrivateKey, SignedBy, SignerKey, Version};

fn identity(seed: u8, host: &str) -> LocalIdentity {
    LocalIdentity {
        signer: SignedBy::instance(host),
        key: PrivateKey::from_seed(&[seed; 32]),
    }
}

fn key_of(identity: &LocalIdentity) -> SignerKey {
    SignerKey {
        signer: identity.signer.clone(),
        key: identity.key.public_key(),
    }
}

/// A listener whose accepted sockets have a small receive buffer, so that a peer that does
/// not read fills it fast.
fn small_buffer_listener() -> tokio::net::TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.listen(8).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_ends_the_transport_after_the_write_timeout() {
    let config = Config::new(Version::V0_5);
    let (alice, bob) = (identity(1, "alice.example"), identity(2, "bob.example"));
    let listener = small_buffer_listener();
    let base = format!("ws://{}", listener.local_addr().unwrap());

    // Alice accepts the signed upgrade, then holds the socket without ever reading.
    let acceptor = Acceptor::new(config.clone(), alice.clone());
    let bob_key = key_of(&bob);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        #[allow(
            clippy::result_large_err,
            reason = "the callback type is tungstenite's"
        )]
        let answer = |request: &Request, mut response: Response| {
            let accepted = acceptor
                .accept(
                    std::time::Instant::now(),
                    std::time::SystemTime::now(),
                    request,
                    bob_key,
                    ReplayCache::default(),
                )
                .map_err(|rejection| {
                    let mut refusal = ErrorResponse::new(Some(format!("{rejection:?}")));
                    *refusal.status_mut() = http::StatusCode::UNAUTHORIZED;
                    refusal
                })?;
            response.headers_mut().extend(accepted.response_headers);
            Ok(response)
        };
        let socket = tokio_tungstenite::accept_hdr_async(stream, answer)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(socket);
    });

    let initiator = Initiator::new(config, bob, alice.signer.clone());
    let mut client = connect_within(Duration::from_secs(10), &base, initiator, key_of(&alice))
        .await
        .expect("the upgrade");
    client.set_write_timeout(Duration::from_millis(300));
    // 64 entities of 512 KiB: far more than the socket buffers hold.
    let entity = format!(
        r#"{{"type":"Note","id":"n","content":"{}"}}"#,
        "x".repeat(512 << 10)
    );
    for _ in 0..64 {
        client.send_entity(entity.clone()).expect("queued");
    }
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = client.next_event().await {
            if let Event::Closed { code, .. } = event {
                return code;
            }
        }
        panic!("no Closed event");
    })
    .await
    .expect("a stalled write must end the transport");
    assert_eq!(closed, CloseCode::ABNORMAL);
    server.abort();
}

#[tokio::test]
async fn an_upgrade_that_never_completes_times_out() {
    // Accepts TCP connections and never answers the upgrade request.
    let listener = small_buffer_listener();
    let base = format!("ws://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let held = listener.accept().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(held);
    });
    let initiator = Initiator::new(
        Config::new(Version::V0_5),
        identity(2, "bob.example"),
        SignedBy::instance("alice.example"),
    );
    let alice = identity(1, "alice.example");
    let outcome =
        connect_within(Duration::from_millis(300), &base, initiator, key_of(&alice)).await;
    assert!(
        matches!(outcome, Err(ConnectError::TimedOut(limit)) if limit == Duration::from_millis(300)),
        "{:?}",
        outcome.err()
    );
    server.abort();
}
