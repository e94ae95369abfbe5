//! The tokio drivers: a task that owns a `Client` and a link, and a serving loop for `Server`.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use cattle_drive_types::client::{
    Client, ClientError, ClientEvent, CorrelationId, Outgoing, RequestFailure,
};
use cattle_drive_types::message::{Request, Response, Trigger};
use cattle_drive_types::server::{Inbound, Outbound, Rejection, Server, order_for_publishing};
use cattle_drive_types::topic::AccountName;
use tokio::sync::{mpsc, oneshot};

use super::{Delivery, Link, LinkError};

/// How many unsolicited events wait for [`CattleClient::next_event`] before the driver waits.
const EVENT_BUFFER: usize = 256;

/// Why a request did not get its response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server answered with an error (or an unusable body).
    #[error("the request failed: {0:?}")]
    Failed(RequestFailure),
    /// No answer within the client's request timeout.
    #[error("no answer within the request timeout")]
    TimedOut,
    /// The client refused to send it.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The broker refused it or is gone.
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// What became of a trigger.
#[derive(Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "returned once per trigger, never stored"
)]
pub enum TriggerOutcome {
    /// Sent; its method does not reply. An error for it, if one comes, is a
    /// [`ClientEvent::Failed`] from [`CattleClient::next_event`].
    Sent(CorrelationId),
    /// Its method replied.
    Replied(CorrelationId, Response),
}

enum Command {
    Request(Request, oneshot::Sender<Result<Response, RequestError>>),
    Trigger(
        Trigger,
        oneshot::Sender<Result<TriggerOutcome, RequestError>>,
    ),
}

enum Waiter {
    Request(oneshot::Sender<Result<Response, RequestError>>),
    Trigger(oneshot::Sender<Result<TriggerOutcome, RequestError>>),
}

impl Waiter {
    fn resolve(self, id: CorrelationId, outcome: Result<Response, RequestError>) {
        match self {
            Waiter::Request(tx) => {
                let _ = tx.send(outcome);
            }
            Waiter::Trigger(tx) => {
                let _ = tx.send(outcome.map(|response| TriggerOutcome::Replied(id, response)));
            }
        }
    }
}

/// A Cattle Drive client on a broker: requests and triggers are awaited, everything else
/// (events, errors of watched triggers, unsolicited and invalid messages) comes from
/// [`next_event`](Self::next_event).
#[derive(Debug)]
pub struct CattleClient {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<ClientEvent>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Request(..) => "Request",
            Command::Trigger(..) => "Trigger",
        })
    }
}

impl CattleClient {
    /// Starts the driver task for `client` on `link`, whose `deliveries` must come from the
    /// client's [`Client::subscriptions`]. Checks those filters with the account's
    /// authorization first.
    pub fn start<L: Link>(
        client: Client,
        link: L,
        deliveries: mpsc::Receiver<Delivery>,
    ) -> Result<Self, LinkError> {
        let filters = client.subscriptions();
        super::AccountLink::<L>::check_filters(
            client.account(),
            client.config().transport,
            &filters,
        )?;
        let (commands_tx, commands) = mpsc::channel(64);
        let (events_tx, events) = mpsc::channel(EVENT_BUFFER);
        tokio::spawn(drive(client, link, deliveries, commands, events_tx));
        Ok(CattleClient {
            commands: commands_tx,
            events,
        })
    }

    /// Sends `request` and waits for its response.
    pub async fn request(&self, request: Request) -> Result<Response, RequestError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Request(request, tx))
            .await
            .map_err(|_| LinkError::Closed)?;
        rx.await.map_err(|_| LinkError::Closed)?
    }

    /// Sends `trigger`; waits for the reply if its method replies (as the last info response
    /// said), returns once it is published otherwise.
    pub async fn trigger(&self, trigger: Trigger) -> Result<TriggerOutcome, RequestError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Trigger(trigger, tx))
            .await
            .map_err(|_| LinkError::Closed)?;
        rx.await.map_err(|_| LinkError::Closed)?
    }

    /// The next event that answers no request: events, errors of watched triggers, repeated
    /// or late answers, invalid messages. `None` once the driver stopped.
    pub async fn next_event(&mut self) -> Option<ClientEvent> {
        self.events.recv().await
    }
}

async fn drive<L: Link>(
    mut client: Client,
    link: L,
    mut deliveries: mpsc::Receiver<Delivery>,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<ClientEvent>,
) {
    let mut waiters: BTreeMap<CorrelationId, Waiter> = BTreeMap::new();
    loop {
        let deadline = client.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break };
                let now = Instant::now();
                let (sent, waiter) = match command {
                    Command::Request(request, tx) => (client.request(now, request), Waiter::Request(tx)),
                    Command::Trigger(trigger, tx) => (client.trigger(now, trigger), Waiter::Trigger(tx)),
                };
                send(&mut client, &link, &mut waiters, sent, waiter).await;
            }
            delivery = deliveries.recv() => {
                let now = Instant::now();
                let Some(d) = delivery else {
                    // The link ended: what waits fails with `RequestFailure::TransportEnded`.
                    if client.handle_end(now).is_ok() {
                        dispatch(&mut client, &mut waiters, &events).await;
                    }
                    break;
                };
                while let Err(ClientError::EventQueueFull { .. }) =
                    client.handle_message(now, &d.topic, d.correlation_id.as_deref(), &d.body)
                {
                    dispatch(&mut client, &mut waiters, &events).await;
                }
            }
            () = sleep_until(deadline) => {
                if client.handle_timeout(Instant::now()).is_err() {
                    break;
                }
            }
        }
        dispatch(&mut client, &mut waiters, &events).await;
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn send<L: Link>(
    client: &mut Client,
    link: &L,
    waiters: &mut BTreeMap<CorrelationId, Waiter>,
    sent: Result<Outgoing, ClientError>,
    waiter: Waiter,
) {
    let out = match sent {
        Ok(out) => out,
        Err(error) => {
            match waiter {
                Waiter::Request(tx) => drop(tx.send(Err(error.into()))),
                Waiter::Trigger(tx) => drop(tx.send(Err(error.into()))),
            }
            return;
        }
    };
    if let Err(error) = link
        .publish(
            &out.routing_key,
            Some(out.correlation_id.as_str()),
            &out.body,
        )
        .await
    {
        client.cancel(&out.correlation_id);
        match waiter {
            Waiter::Request(tx) => drop(tx.send(Err(error.into()))),
            Waiter::Trigger(tx) => drop(tx.send(Err(error.into()))),
        }
        return;
    }
    match waiter {
        Waiter::Trigger(tx) if !out.awaits_response => {
            drop(tx.send(Ok(TriggerOutcome::Sent(out.correlation_id))))
        }
        waiter => {
            waiters.insert(out.correlation_id, waiter);
        }
    }
}

async fn dispatch(
    client: &mut Client,
    waiters: &mut BTreeMap<CorrelationId, Waiter>,
    events: &mpsc::Sender<ClientEvent>,
) {
    while let Some(event) = client.poll_event() {
        let event = match event {
            ClientEvent::Response { id, response } => match waiters.remove(&id) {
                Some(waiter) => {
                    waiter.resolve(id, Ok(response));
                    continue;
                }
                None => ClientEvent::Response { id, response },
            },
            ClientEvent::Failed { id, failure } => match waiters.remove(&id) {
                Some(waiter) => {
                    waiter.resolve(id, Err(RequestError::Failed(failure)));
                    continue;
                }
                None => ClientEvent::Failed { id, failure },
            },
            ClientEvent::TimedOut { id, kind } => match waiters.remove(&id) {
                Some(waiter) => {
                    waiter.resolve(id, Err(RequestError::TimedOut));
                    continue;
                }
                None => ClientEvent::TimedOut { id, kind },
            },
            other => other,
        };
        if events.send(event).await.is_err() {
            // Nobody listens for events any more; requests still work.
        }
    }
}

/// Why [`serve`] dropped a delivery.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeRejection {
    /// A login was required and the delivery had none (or not a valid account name).
    NoLogin {
        /// The delivery's topic.
        topic: String,
    },
    /// The server refused it (its reply, if any, was published).
    Refused(Rejection),
}

/// Serves deliveries with `server` until `deliveries` ends: each accepted message goes to
/// `handler` (one at a time, in delivery order; its future may wait on a database), whose
/// outbound messages are published one after the other, answers before
/// events ([`order_for_publishing`]: a replying trigger's response precedes the outgoing
/// events that carry its correlation id); refusals go to `rejected` after their reply (an
/// ErrorMessage for an invalid body) is published. With `require_login`, deliveries without
/// a broker-vouched login are refused.
pub async fn serve<L: Link, F: Future<Output = Vec<Outbound>>>(
    link: &L,
    mut deliveries: mpsc::Receiver<Delivery>,
    server: &Server,
    require_login: bool,
    mut handler: impl FnMut(Inbound) -> F,
    mut rejected: impl FnMut(ServeRejection),
) {
    while let Some(d) = deliveries.recv().await {
        let login = d.login.as_deref().and_then(|l| AccountName::new(l).ok());
        if require_login && login.is_none() {
            rejected(ServeRejection::NoLogin { topic: d.topic });
            continue;
        }
        let mut outbound = match server.handle_publish(
            login.as_ref(),
            &d.topic,
            d.correlation_id.as_deref(),
            &d.body,
        ) {
            Ok(inbound) => handler(inbound).await,
            Err(rejection) => {
                if let Some(reply) = rejection.reply() {
                    let _ = link
                        .publish(
                            &reply.routing_key,
                            reply.correlation_id.as_deref(),
                            &reply.body,
                        )
                        .await;
                }
                rejected(ServeRejection::Refused(rejection));
                continue;
            }
        };
        order_for_publishing(&mut outbound);
        for out in outbound {
            let _ = link
                .publish(&out.routing_key, out.correlation_id.as_deref(), &out.body)
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use cattle_drive_types::message::{EventInformation, EventType, TriggerResponse};
    use cattle_drive_types::server::ServerConfig;
    use cattle_drive_types::topic::Transport;
    use serde_json::{Map, json};

    use super::*;

    /// A link that records what is published, in order.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, Option<String>)>>);

    impl Link for Recorder {
        async fn publish(
            &self,
            topic: &str,
            correlation_id: Option<&str>,
            _body: &[u8],
        ) -> Result<(), LinkError> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((topic.to_owned(), correlation_id.map(str::to_owned)));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_replying_triggers_response_is_published_before_its_events() {
        let server = Server::new(ServerConfig::new(Transport::Amqp));
        let link = Recorder::default();
        let (tx, rx) = mpsc::channel(1);
        let delivery = Delivery {
            topic: "send.alice.trigger.publish_note".into(),
            correlation_id: Some("c1".into()),
            body: br#"{"actor":"http://a/actor/1"}"#.to_vec(),
            login: None,
        };
        assert!(tx.send(delivery).await.is_ok());
        drop(tx);
        // The handler answers in the order things happen: the activity goes out, then the reply.
        let handler = |inbound: Inbound| {
            let mut create = Map::new();
            create.insert("type".into(), json!("Create"));
            let event = EventInformation::new(EventType::Outgoing, "http://a/actor/1", create);
            let cid = inbound.correlation_id.as_deref();
            let mut out: Vec<Outbound> = server
                .event(&inbound.key.account, &event, cid)
                .into_iter()
                .collect();
            out.extend(server.respond(
                &inbound,
                &Response::Trigger(TriggerResponse(json!({"id": "n"}))),
            ));
            std::future::ready(out)
        };
        serve(&link, rx, &server, false, handler, |r| panic!("{r:?}")).await;
        let published = link.0.into_inner().unwrap_or_else(|e| e.into_inner());
        let c1 = Some("c1".to_owned());
        assert_eq!(
            published,
            [
                ("receive.alice.response.trigger".to_owned(), c1.clone()),
                ("receive.alice.outgoing.Create".to_owned(), c1),
            ]
        );
    }
}
