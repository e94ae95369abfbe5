//! [`WebSocketClient`]: a [`Client`] driven over `tokio-tungstenite` and tokio's timer, as a
//! `Stream` of [`DriverEvent`]s, with a cloneable [`ClientHandle`] for commands.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::client::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame as WsCloseFrame;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Client, ClientError, ClientEvent, ClientTransmit};
use crate::message::{ClientMessage, EventType};

/// How many commands of the [`ClientHandle`]s wait for the driver at most; past it a command
/// is refused with [`HandleError::Full`].
pub const COMMAND_QUEUE: usize = 32;

/// What a [`WebSocketClient`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverEvent {
    /// An event of the [`Client`].
    Client(ClientEvent),
    /// The [`Client`] refused a command of a [`ClientHandle`]: most often
    /// [`ClientError::NotConnected`] for [`ClientHandle::send`] while no connection is open.
    Refused(ClientError),
}

/// A command could not be handed to the driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// [`COMMAND_QUEUE`] commands wait already: poll the [`WebSocketClient`], then retry.
    #[error("{COMMAND_QUEUE} commands wait for the driver: poll the WebSocketClient, then retry")]
    Full,
    /// The [`WebSocketClient`] was dropped or has ended.
    #[error("the WebSocketClient was dropped or has ended")]
    Closed,
}

/// A command for the [`Client`] inside a [`WebSocketClient`]. Cloneable; commands are applied
/// in the order they were given, when the [`WebSocketClient`] is next polled.
///
/// The methods never wait: when [`COMMAND_QUEUE`] commands are queued they return
/// [`HandleError::Full`]. What the [`Client`] refuses comes back on the stream as
/// [`DriverEvent::Refused`].
#[derive(Debug, Clone)]
pub struct ClientHandle {
    commands: mpsc::Sender<Command>,
}

#[derive(Debug)]
enum Command {
    Subscribe(Vec<EventType>),
    Unsubscribe(Vec<EventType>),
    Send(ClientMessage),
    SetToken(String, Option<Instant>),
    Stop,
}

impl ClientHandle {
    /// [`Client::subscribe`]: adds event types (sent now when open, else after `welcome`).
    ///
    /// # Errors
    /// [`HandleError`] when the command cannot be queued.
    pub fn subscribe(&self, events: &[EventType]) -> Result<(), HandleError> {
        self.command(Command::Subscribe(events.to_vec()))
    }

    /// [`Client::unsubscribe`]: removes event types.
    ///
    /// # Errors
    /// [`HandleError`] when the command cannot be queued.
    pub fn unsubscribe(&self, events: &[EventType]) -> Result<(), HandleError> {
        self.command(Command::Unsubscribe(events.to_vec()))
    }

    /// [`Client::send`]: sends a message while connected; [`DriverEvent::Refused`] with
    /// [`ClientError::NotConnected`] otherwise (nothing is buffered offline).
    ///
    /// # Errors
    /// [`HandleError`] when the command cannot be queued.
    pub fn send(&self, message: ClientMessage) -> Result<(), HandleError> {
        self.command(Command::Send(message))
    }

    /// [`Client::set_token`]: a fresh token (after [`ClientEvent::TokenRefreshNeeded`]) and when
    /// it expires, in tokio's time.
    ///
    /// # Errors
    /// [`HandleError`] when the command cannot be queued.
    pub fn set_token(
        &self,
        token: impl Into<String>,
        expires_at: Option<Instant>,
    ) -> Result<(), HandleError> {
        self.command(Command::SetToken(token.into(), expires_at))
    }

    /// [`Client::stop`]: closes the connection with 1000 and ends the stream once the
    /// remaining events are read.
    ///
    /// # Errors
    /// [`HandleError`] when the command cannot be queued.
    pub fn stop(&self) -> Result<(), HandleError> {
        self.command(Command::Stop)
    }

    fn command(&self, command: Command) -> Result<(), HandleError> {
        self.commands
            .try_send(command)
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => HandleError::Full,
                mpsc::error::TrySendError::Closed(_) => HandleError::Closed,
            })
    }
}

/// The builder of the upgrade request for a token.
type RequestFor = Box<dyn FnMut(&str) -> Result<Request, tungstenite::Error> + Send>;

/// The events of a [`Client`] that this stream drives over `tokio-tungstenite`: it opens
/// every connection the client asks for, hands it the frames, sends what it writes, sleeps
/// until its timers, and so lets it ping, time out and reconnect with its backoff for as
/// long as it is not stopped.
///
/// The driver runs only while the stream is polled: read it in a loop (or spawn a task that
/// does). Commands go through [`WebSocketClient::handle`]. The stream ends after
/// [`ClientHandle::stop`] once the last events are read, or when the client waits for a
/// token and no handle is left to give one. Dropping it drops the connection without a
/// Close frame.
///
/// Every event is handed out before the next frame, timer or command is fed to the client,
/// so its queues never reach [`super::ClientConfig::max_pending`]. A write (a message or the
/// Close frame) that the server does not take within [`super::ClientConfig::pong_timeout`]
/// ends the connection, as a missing pong does: a server that stops reading cannot hold the
/// driver, and the client reconnects with its backoff. Time is tokio's
/// (`tokio::time::Instant`, converted to `std`), so a test with tokio's paused clock drives
/// the timers too. TLS (`wss://`) needs one of `tokio-tungstenite`'s TLS features, enabled by
/// the application; this crate enables none.
///
/// ```no_run
/// use bus_protocol::client::{Client, ClientConfig, ClientEvent, DriverEvent, WebSocketClient};
/// use bus_protocol::message::{EventType, ServerMessage};
/// use futures_util::StreamExt;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut client = Client::new(ClientConfig::default(), 7); // seed from the host's entropy
/// client.subscribe(&[EventType::Action])?;
/// let mut bus = WebSocketClient::new("ws://127.0.0.1:8080/ws/bus", "TOKEN", client);
/// let handle = bus.handle();
/// while let Some(event) = bus.next().await {
///     match event {
///         DriverEvent::Client(ClientEvent::Message(ServerMessage::Action(action))) => {
///             println!("{:?}", action.content);
///             handle.stop()?; // closes with 1000; the stream then ends
///         }
///         other => println!("{other:?}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct WebSocketClient {
    inner: Pin<Box<dyn Stream<Item = DriverEvent> + Send>>,
    handle: ClientHandle,
}

impl WebSocketClient {
    /// Drives `client` (started with `token` when first polled) against the Bus endpoint
    /// `url` (`ws://host/ws/bus`): each connection goes to `url` with the client's current
    /// token in the `token` query parameter, as the Bus expects. Nothing happens until the
    /// stream is polled.
    #[must_use]
    pub fn new(url: impl Into<String>, token: impl Into<String>, client: Client) -> Self {
        let url = url.into();
        Self::with_request(token, client, move |token| {
            with_token_query(&url, token).into_client_request()
        })
    }

    /// As [`WebSocketClient::new`], with the upgrade request for a token built by `request`
    /// (a token in a header, extra headers, a subprotocol). An error of `request` counts as
    /// a connection that failed to open.
    #[must_use]
    pub fn with_request(
        token: impl Into<String>,
        client: Client,
        request: impl FnMut(&str) -> Result<Request, tungstenite::Error> + Send + 'static,
    ) -> Self {
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let driver = Driver {
            client,
            token: Some(token.into()),
            request: Box::new(request),
            connecting: None,
            socket: None,
            commands: Some(receiver),
            refused: None,
        };
        let events = futures_util::stream::unfold(driver, |mut driver| async move {
            let event = driver.next().await?;
            Some((event, driver))
        });
        Self {
            inner: Box::pin(events),
            handle: ClientHandle { commands },
        }
    }

    /// A handle for commands; clone it freely.
    #[must_use]
    pub fn handle(&self) -> ClientHandle {
        self.handle.clone()
    }
}

impl Stream for WebSocketClient {
    type Item = DriverEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<DriverEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for WebSocketClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketClient").finish_non_exhaustive()
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Connecting =
    Pin<Box<dyn Future<Output = Result<(Socket, Response), tungstenite::Error>> + Send>>;

/// One thing that happened while the driver waited.
enum Input {
    /// The handshake's outcome: the socket (boxed: it is large), or `None` when it failed.
    Opened(Option<Box<Socket>>),
    Frame(Option<Result<Message, tungstenite::Error>>),
    Command(Option<Command>),
    Timeout,
}

/// Writes every transmit, then hands out every event, before it feeds the client the next
/// input: the results of the `handle_*` calls then carry nothing to act on.
struct Driver {
    client: Client,
    /// The token to start with, taken on the first poll (`start` needs tokio's `now`).
    token: Option<String>,
    request: RequestFor,
    connecting: Option<Connecting>,
    socket: Option<Socket>,
    /// `None` once every handle is gone.
    commands: Option<mpsc::Receiver<Command>>,
    /// A refused command, handed out before the next command is taken.
    refused: Option<ClientError>,
}

impl Driver {
    /// Runs the client until it has an event to report; `None` once it is done for good.
    async fn next(&mut self) -> Option<DriverEvent> {
        if let Some(token) = self.token.take() {
            let _ = self.client.start(now(), token);
        }
        loop {
            while let Some(transmit) = self.client.poll_transmit() {
                self.transmit(transmit).await;
            }
            if let Some(event) = self.client.poll_event() {
                return Some(DriverEvent::Client(event));
            }
            if let Some(error) = self.refused.take() {
                return Some(DriverEvent::Refused(error));
            }
            if self.client.is_closed() {
                self.commands = None;
                return None;
            }
            let deadline = self.client.poll_timeout().map(Instant::from_std);
            if self.connecting.is_none()
                && self.socket.is_none()
                && self.commands.is_none()
                && deadline.is_none()
            {
                return None;
            }
            let input = self.wait(deadline).await;
            self.handle(input);
        }
    }

    async fn wait(&mut self, deadline: Option<Instant>) -> Input {
        let Driver {
            connecting,
            socket,
            commands,
            ..
        } = self;
        tokio::select! {
            opened = async {
                match connecting {
                    Some(connecting) => connecting.await,
                    None => std::future::pending().await,
                }
            } => Input::Opened(opened.ok().map(|(socket, _)| Box::new(socket))),
            frame = async {
                match socket {
                    Some(socket) => socket.next().await,
                    None => std::future::pending().await,
                }
            } => Input::Frame(frame),
            command = async {
                match commands {
                    Some(commands) => commands.recv().await,
                    None => std::future::pending().await,
                }
            } => Input::Command(command),
            () = async {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            } => Input::Timeout,
        }
    }

    fn handle(&mut self, input: Input) {
        let client = &mut self.client;
        match input {
            Input::Opened(Some(socket)) => {
                self.connecting = None;
                self.socket = Some(*socket);
                let _ = client.handle_open(now());
            }
            Input::Opened(None) => {
                self.connecting = None;
                let _ = client.handle_end(now());
            }
            Input::Frame(Some(Ok(Message::Text(text)))) => {
                let _ = client.handle_text(now(), text.as_str());
            }
            // Pings are answered by tungstenite; a Close is echoed by it, and the end of the
            // stream follows.
            Input::Frame(Some(Ok(_))) => {}
            Input::Frame(Some(Err(_)) | None) => {
                self.socket = None;
                let _ = client.handle_end(now());
            }
            Input::Command(Some(command)) => {
                let result = match command {
                    Command::Subscribe(events) => client.subscribe(&events),
                    Command::Unsubscribe(events) => client.unsubscribe(&events),
                    Command::Send(message) => client.send(message),
                    Command::SetToken(token, expires_at) => {
                        client.set_token(now(), token, expires_at.map(Instant::into_std));
                        Ok(())
                    }
                    Command::Stop => {
                        client.stop();
                        Ok(())
                    }
                };
                if let Err(error) = result {
                    self.refused = Some(error);
                }
            }
            Input::Command(None) => self.commands = None,
            Input::Timeout => {
                let _ = client.handle_timeout(now());
            }
        }
    }

    async fn transmit(&mut self, transmit: ClientTransmit) {
        match transmit {
            ClientTransmit::Connect { token } => {
                self.socket = None;
                self.connecting = match (self.request)(&token) {
                    Ok(request) => Some(Box::pin(tokio_tungstenite::connect_async(request))),
                    Err(_) => {
                        let _ = self.client.handle_end(now());
                        None
                    }
                };
            }
            ClientTransmit::Send(message) => {
                let Some(socket) = &mut self.socket else {
                    return;
                };
                let text = message.to_json_string();
                let limit = self.client.config().pong_timeout;
                let sent = tokio::time::timeout(limit, socket.send(Message::text(text))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    self.socket = None;
                    let _ = self.client.handle_end(now());
                }
            }
            ClientTransmit::Close(frame) => {
                self.connecting = None;
                if let Some(mut socket) = self.socket.take() {
                    let frame = WsCloseFrame {
                        code: u16::from(frame.code).into(),
                        reason: frame.reason.into(),
                    };
                    // The client already counts the connection as gone: a failed or
                    // stalled close changes nothing.
                    let limit = self.client.config().pong_timeout;
                    let _ = tokio::time::timeout(limit, socket.close(Some(frame))).await;
                }
            }
        }
    }
}

/// `url` with `token` in its `token` query parameter, percent-encoded.
fn with_token_query(url: &str, token: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut out = String::with_capacity(url.len() + token.len() + 7);
    out.push_str(url);
    out.push(separator);
    out.push_str("token=");
    for byte in token.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

#[cfg(test)]
mod tests {
    use super::with_token_query;

    #[test]
    fn the_token_is_a_percent_encoded_query_parameter() {
        assert_eq!(
            with_token_query("ws://h/ws/bus", "a b/c~"),
            "ws://h/ws/bus?token=a%20b%2Fc~"
        );
        assert_eq!(
            with_token_query("ws://h/ws/bus?dialect=seed", "t"),
            "ws://h/ws/bus?dialect=seed&token=t"
        );
    }
}
