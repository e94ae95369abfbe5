//! [`ReqwestStream`]: a [`Client`] driven over `reqwest` and tokio's timer, as a `Stream` of
//! [`ClientEvent`]s.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use http::Request;
use tokio::time::Instant;

use super::{Client, ClientEvent, ReconnectCause};

/// The events of a [`Client`] that this stream drives over `reqwest`: it sends every request
/// the client asks for, feeds it the response and body, sleeps until its timeouts, and
/// reconnects (honouring `retry:`, resuming with `Last-Event-ID`, dropping replayed items) for
/// as long as the client wants to.
///
/// The stream ends after [`ClientEvent::Stopped`] or [`ClientEvent::Failed`]. Dropping it
/// closes the connection.
///
/// Headers every request needs (an `Authorization` bearer token) and connection settings
/// (TLS, `connect_timeout`, proxies) belong to the `reqwest::Client`: configure them with its
/// builder (`default_headers`). Do not set a total `timeout` on it: a stream is one long
/// response; the [`Client`]'s idle timeout replaces it.
///
/// Time is tokio's (`tokio::time::Instant`, converted to `std`), so a test with tokio's
/// paused clock drives the backoff too.
///
/// ```no_run
/// use futures::StreamExt;
/// use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent, ReqwestStream};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut headers = reqwest::header::HeaderMap::new();
/// headers.insert("authorization", "Bearer TOKEN".parse()?);
/// let http = reqwest::Client::builder().default_headers(headers).build()?;
/// let config = ClientConfig::new("http://127.0.0.1:8080/users/alice/inbox".parse()?);
/// let mut events = ReqwestStream::new(http, Client::new(config, rand_seed()));
/// while let Some(event) = events.next().await {
///     if let ClientEvent::Item(item) = event {
///         println!("{}", item.data().as_str());
///     }
/// }
/// # Ok(()) }
/// # fn rand_seed() -> u64 { 7 }
/// ```
pub struct ReqwestStream {
    inner: Pin<Box<dyn Stream<Item = ClientEvent> + Send>>,
}

impl ReqwestStream {
    /// Drives `client` with requests made by `http`. Nothing happens until the stream is
    /// polled.
    #[must_use]
    pub fn new(http: reqwest::Client, client: Client) -> Self {
        let driver = Driver {
            http,
            client,
            body: None,
            finished: false,
        };
        let events = futures_util::stream::unfold(driver, |mut driver| async move {
            let event = driver.next().await?;
            Some((event, driver))
        });
        Self {
            inner: Box::pin(events),
        }
    }
}

impl Stream for ReqwestStream {
    type Item = ClientEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ClientEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ReqwestStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestStream").finish_non_exhaustive()
    }
}

/// Drains every event before it calls an input, so the client's event queue never refuses
/// one (`UsageError::Backpressure`), and feeds inputs only in the states they fit: the
/// results of the `handle_*` calls carry nothing to act on.
struct Driver {
    http: reqwest::Client,
    client: Client,
    /// The open stream's response, read chunk by chunk.
    body: Option<reqwest::Response>,
    finished: bool,
}

impl Driver {
    /// Runs the client until it has an event to report; `None` once it has stopped for good.
    async fn next(&mut self) -> Option<ClientEvent> {
        loop {
            if let Some(event) = self.client.poll_event() {
                match &event {
                    ClientEvent::Stopped | ClientEvent::Failed(_) => {
                        self.finished = true;
                        self.body = None;
                    }
                    // An idle connection is given up by the client: drop it.
                    ClientEvent::Reconnecting {
                        cause: ReconnectCause::Idle,
                        ..
                    } => self.body = None,
                    _ => {}
                }
                return Some(event);
            }
            if self.finished || self.client.is_closed() {
                return None;
            }
            if let Some(request) = self.client.poll_request(now()) {
                self.body = None;
                self.send(request).await;
                continue;
            }
            let deadline = self.client.poll_timeout().map(Instant::from_std);
            match (&mut self.body, deadline) {
                (Some(body), deadline) => {
                    let chunk = match deadline {
                        Some(deadline) => tokio::select! {
                            chunk = body.chunk() => Some(chunk),
                            () = tokio::time::sleep_until(deadline) => None,
                        },
                        None => Some(body.chunk().await),
                    };
                    match chunk {
                        Some(Ok(Some(bytes))) => {
                            let _ = self.client.handle_body(now(), &bytes);
                        }
                        // The body ended, or the connection broke.
                        Some(Ok(None) | Err(_)) => {
                            self.body = None;
                            let _ = self.client.handle_end(now());
                        }
                        None => {
                            let _ = self.client.handle_timeout(now());
                        }
                    }
                }
                (None, Some(deadline)) => {
                    tokio::time::sleep_until(deadline).await;
                    let _ = self.client.handle_timeout(now());
                }
                // Nothing to wait for and nothing to send: the client is done.
                (None, None) => return None,
            }
        }
    }

    /// Sends `request` and hands the outcome to the client; keeps the body of an open stream.
    async fn send(&mut self, request: Request<()>) {
        let (parts, ()) = request.into_parts();
        let sent = self
            .http
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let _ = self
                    .client
                    .handle_response(now(), response.status(), response.headers());
                if self.client.is_open() {
                    self.body = Some(response);
                }
            }
            // No response (refused, reset): the same as a connection that broke at once.
            Err(_) => {
                let _ = self.client.handle_end(now());
            }
        }
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}
