//! [`connect`]: the initiating side of a Versia instance WebSocket over `tokio-tungstenite`
//! (feature `tokio-tungstenite`): the signed upgrade, then a [`Client`] that drives the
//! [`Connection`] with tokio's timer.

use std::future::poll_fn;
use std::time::Duration;
use web_time::SystemTime;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::connection::{
    CloseCode, Connection, ConnectionError, Event, HandshakeError, Initiator, Transmit,
};
use crate::{KeyResolver, Signature};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The connection could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The upgrade request could not be built or sent, or the server refused the upgrade.
    #[error("the WebSocket upgrade failed")]
    Upgrade(#[source] Box<tungstenite::Error>),
    /// The upgrade could not be signed, or the `101` was not signed by the expected peer.
    #[error("the Versia handshake failed")]
    Handshake(#[from] HandshakeError),
    /// The server did not complete the upgrade in time.
    #[error("the WebSocket upgrade took longer than {0:?}")]
    TimedOut(Duration),
}

/// The bound [`connect`] puts on the upgrade and a [`Client`] on writing what is queued, until
/// [`Client::set_write_timeout`] changes it: 10 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the instance WebSocket at `base` (`wss://peer.example`, or `ws://` on a test network:
/// the initiator's path is appended) with an upgrade signed at the system wall clock, checks
/// the peer's signed `101` with `keys`, and returns the open connection.
///
/// # Errors
/// [`ConnectError::Upgrade`] when the server cannot be reached or refuses (its status is in
/// the source: 401, 403, 422 …), [`ConnectError::Handshake`] when the answer is not the
/// expected peer's.
pub async fn connect<K: KeyResolver>(
    base: &str,
    initiator: Initiator,
    keys: K,
) -> Result<Client<K>, ConnectError> {
    connect_within(DEFAULT_TIMEOUT, base, initiator, keys).await
}

/// [`connect`] with the upgrade (connecting, the request and the `101`) bounded by `limit`
/// instead of [`DEFAULT_TIMEOUT`].
///
/// # Errors
/// As [`connect`], and [`ConnectError::TimedOut`] when the upgrade takes longer than `limit`.
pub async fn connect_within<K: KeyResolver>(
    limit: Duration,
    base: &str,
    initiator: Initiator,
    keys: K,
) -> Result<Client<K>, ConnectError> {
    let upgrade_error = |error| ConnectError::Upgrade(Box::new(error));
    let mut request = format!("{base}{}", initiator.path())
        .into_client_request()
        .map_err(upgrade_error)?;
    request
        .headers_mut()
        .extend(initiator.request_headers(SystemTime::now())?);
    let (socket, response) = tokio::time::timeout(limit, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| ConnectError::TimedOut(limit))?
        .map_err(upgrade_error)?;
    let connection = initiator.finish(
        now(),
        SystemTime::now(),
        response.status(),
        response.headers(),
        keys,
    )?;
    Ok(Client {
        connection,
        socket: Some(socket),
        write_timeout: DEFAULT_TIMEOUT,
    })
}

/// An open instance WebSocket: [`Client::send_entity`] signs and queues, [`Client::next_event`]
/// writes what is queued, reads frames and runs the timers until the next [`Event`].
///
/// Every event is handed out before the next frame is read, so the connection's queues stay
/// under their limits. `next_event` is cancel-safe (a frame is taken from the connection only
/// once the socket accepts it), so it may be a branch of `tokio::select!`. Time is tokio's
/// (converted to `std`); the wall clock of signatures is the system's.
///
/// ```no_run
/// use versia_ws::connection::{Config, Event, Initiator, LocalIdentity};
/// use versia_ws::{PrivateKey, PublicKey, SignedBy, SignerKey, Version};
///
/// # async fn run(our_key: PrivateKey, their_key: PublicKey) -> Result<(), Box<dyn std::error::Error>> {
/// let identity = LocalIdentity { signer: SignedBy::instance("us.example"), key: our_key };
/// let peer = SignedBy::instance("them.example");
/// let initiator = Initiator::new(Config::new(Version::V0_6), identity, peer.clone());
/// let keys = SignerKey { signer: peer, key: their_key };
/// let mut client = versia_ws::client::connect("wss://them.example", initiator, keys).await?;
/// let sent = client.send_entity(r#"{"type":"Note","id":"n1"}"#)?;
/// while let Some(event) = client.next_event().await {
///     match event {
///         Event::Delivered { signature, .. } if signature == sent => break,
///         other => println!("{other:?}"),
///     }
/// }
/// client.close(versia_ws::connection::CloseCode::NORMAL, "done");
/// while client.next_event().await.is_some() {} // until the close is echoed
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client<K> {
    connection: Connection<K>,
    /// `None` once the transport ended or the connection closed.
    socket: Option<Socket>,
    /// The bound on writing what is queued.
    write_timeout: Duration,
}

impl<K: KeyResolver> Client<K> {
    /// The machine, for what this driver does not wrap (`peer`, `unacked`, `send_message`).
    pub fn connection(&mut self) -> &mut Connection<K> {
        &mut self.connection
    }

    /// [`Connection::send_entity`] at tokio's `now` and the system wall clock: signs and
    /// queues `entity`; it is written by the next [`Client::next_event`]. Returns the
    /// signature its [`Event::Delivered`] or [`Event::Refused`] will carry.
    ///
    /// # Errors
    /// As [`Connection::send_entity`].
    pub fn send_entity(&mut self, entity: impl Into<String>) -> Result<Signature, ConnectionError> {
        self.connection
            .send_entity(now(), SystemTime::now(), entity)
    }

    /// [`Connection::close`]: starts the closing handshake; [`Client::next_event`] then
    /// writes the Close frame and reports [`Event::Closed`] when it completes.
    pub fn close(&mut self, code: CloseCode, reason: impl Into<String>) {
        self.connection.close(now(), code, reason);
    }

    /// Runs the connection until its next event; `None` after [`Event::Closed`] was handed
    /// out.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            self.write().await;
            if let Some(event) = self.connection.poll_event(now()) {
                if matches!(event, Event::Closed { .. }) {
                    self.socket = None;
                }
                return Some(event);
            }
            if self.connection.is_closed() {
                return None;
            }
            let deadline = self.connection.poll_timeout(now()).map(Instant::from_std);
            let Some(socket) = &mut self.socket else {
                let _ = self.connection.handle_end(now());
                continue;
            };
            let frame = tokio::select! {
                frame = socket.next() => Some(frame),
                () = async {
                    match deadline {
                        Some(deadline) => tokio::time::sleep_until(deadline).await,
                        None => std::future::pending().await,
                    }
                } => None,
            };
            let result = match frame {
                None => self.connection.handle_timeout(now()),
                Some(Some(Ok(Message::Text(text)))) => {
                    self.connection
                        .handle_text(now(), SystemTime::now(), text.as_str())
                }
                Some(Some(Ok(Message::Binary(_)))) => self.connection.handle_binary(now()),
                Some(Some(Ok(Message::Close(frame)))) => {
                    let (code, reason) = frame.map_or((None, String::new()), |frame| {
                        (Some(CloseCode(frame.code.into())), frame.reason.to_string())
                    });
                    self.connection.handle_close(now(), code, reason)
                }
                // Pings are answered by tungstenite.
                Some(Some(Ok(_))) => Ok(()),
                Some(Some(Err(_)) | None) => {
                    self.socket = None;
                    self.connection.handle_end(now())
                }
            };
            // Only a wall clock outside 1970..=MAX_UNIX_SECONDS is refused (the queues are
            // drained before every read): such a frame is dropped.
            let _ = result;
        }
    }

    /// Bounds each write of what is queued (one call of [`Client::next_event`] writes it all):
    /// a peer that does not take it within `limit` has its transport ended, as one that
    /// fails does, so a peer that stops reading cannot hold the client. Default
    /// [`DEFAULT_TIMEOUT`].
    pub fn set_write_timeout(&mut self, limit: Duration) {
        self.write_timeout = limit;
    }

    /// Writes every queued transmit within the write timeout; a transport that fails or
    /// stalls ends the connection.
    async fn write(&mut self) {
        if tokio::time::timeout(self.write_timeout, self.write_queued())
            .await
            .is_err()
        {
            self.transport_ended();
        }
    }

    async fn write_queued(&mut self) {
        while let Some(socket) = &mut self.socket {
            if poll_fn(|cx| socket.poll_ready_unpin(cx)).await.is_err() {
                self.transport_ended();
                return;
            }
            let Some(transmit) = self.connection.poll_transmit(now()) else {
                if socket.flush().await.is_err() {
                    self.transport_ended();
                }
                return;
            };
            let message = match transmit {
                Transmit::Text(text) => Message::text(text),
                Transmit::Close { code, reason } => Message::Close(Some(CloseFrame {
                    code: code.0.into(),
                    reason: reason.into(),
                })),
            };
            if socket.start_send_unpin(message).is_err() {
                self.transport_ended();
                return;
            }
        }
    }

    fn transport_ended(&mut self) {
        self.socket = None;
        let _ = self.connection.handle_end(now());
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}
