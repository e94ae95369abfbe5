//! The client side: a sans-IO correlation machine over requests, triggers, responses, errors
//! and events.
//!
//! # The loop
//!
//! ```text
//!  request(now, …)/trigger(now, …) ──► Outgoing {routing key, correlation id, body} ──► publish
//!  delivery ──► handle_message(now, key, correlation id, body)
//!  timer    ──► handle_timeout(now)          (when poll_timeout() is due)
//!  broker connection lost ──► handle_end(now) (pending requests fail; the client is closed)
//!  then drain: poll_event() until None, then read poll_timeout() for the next wake-up
//! ```
//!
//! Drain order: after every `handle_*` call (and after `request`/`trigger`, which may change the
//! next deadline) drain [`Client::poll_event`] until it returns `None`, then ask
//! [`Client::poll_timeout`] when to call [`Client::handle_timeout`] next. The client has no
//! transmit queue: what to publish is returned by `request` and `trigger` as [`Outgoing`].
//!
//! `now` comes first in every call that depends on time, and never goes backwards. Correlation
//! ids are drawn from the crate's SplitMix64 over the seed given to [`Client::new`].
//!
//! # Bounds
//!
//! [`ClientConfig::max_pending`] requests and triggers in flight (more are refused with
//! [`ClientError::TooManyPending`]) and [`ClientConfig::max_queued_events`] events waiting
//! (then [`Client::handle_message`] refuses with [`ClientError::EventQueueFull`], consuming
//! nothing). Timeouts and [`Client::handle_end`] never refuse: each adds at most one event per
//! request in flight, so the event queue never holds more than
//! `max_queued_events + max_pending`.
//!
//! # The end
//!
//! [`Client::handle_end`] says the transport (the AMQP channel, the MQTT connection) ended:
//! requests and triggers in flight fail with [`RequestFailure::TransportEnded`], and every
//! later `handle_*`, `request` or `trigger` returns [`ClientError::Closed`]. A host that
//! reconnects builds a new client.
//!
//! # Matching
//!
//! A pending request is resolved only by a message that answers it: a response on
//! `receive.NAME.response.X` for the method it asked (`trigger` for a trigger) or an error on
//! `error.NAME`, carrying its correlation id. Events never resolve anything, even when they carry
//! the id: cattle_grid copies a trigger's correlation id onto the outgoing events it causes (and
//! almabtrieb, which resolves on any message with the id, mistakes such an event for the answer).
//! The first error for a request resolves it; further errors with the same id (a failed fetch
//! gives two) come out as [`ClientEvent::Unsolicited`], as do late responses.
//!
//! Triggers of a method known to reply (`methodInformation[].replies`, learned from every info
//! response or set with [`Client::set_method_replies`]) wait for `receive.NAME.response.trigger`
//! and time out like requests. Other triggers are watched for errors until their deadline and
//! then forgotten without an event.

mod correlation;

pub use correlation::{CorrelationId, InvalidCorrelationId};

use correlation::CorrelationIds;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use web_time::{Duration, Instant};

use crate::message::{
    DecodeError, ErrorBody, EventInformation, Limits, Message, Request, Response, Trigger,
};
use crate::topic::{
    AccountName, MessageKind, ResponseMethod, Route, RoutingKey, TopicError, Transport,
};

/// Settings of a [`Client`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How routing keys are written and read. Default AMQP.
    pub transport: Transport,
    /// How long a request (or a replying trigger) waits for its answer. Default 5 s
    /// (almabtrieb waits 1 s; cattle_grid itself gives up on a fetch after 0.5 s).
    pub request_timeout: Duration,
    /// How long a trigger without reply is watched for an error. Default 5 s.
    pub trigger_error_window: Duration,
    /// Most requests and triggers in flight; more give [`ClientError::TooManyPending`].
    /// Default 1024.
    pub max_pending: usize,
    /// Most events queued for [`Client::poll_event`] before [`Client::handle_message`] pushes
    /// back with [`ClientError::EventQueueFull`]. Timeouts and [`Client::handle_end`] may add up
    /// to `max_pending` more. Default 1024.
    pub max_queued_events: usize,
    /// Limits applied to every received body.
    pub limits: Limits,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            transport: Transport::Amqp,
            request_timeout: Duration::from_secs(5),
            trigger_error_window: Duration::from_secs(5),
            max_pending: 1024,
            max_queued_events: 1024,
            limits: Limits::default(),
        }
    }
}

impl ClientConfig {
    /// The defaults, for `transport`.
    pub fn new(transport: Transport) -> Self {
        ClientConfig {
            transport,
            ..ClientConfig::default()
        }
    }
}

/// A message for the host to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The routing key (or MQTT topic) to publish on, on [`crate::topic::ACCOUNT_EXCHANGE`].
    pub routing_key: String,
    /// The correlation id to set (AMQP `correlation_id`, MQTT 5 Correlation Data).
    pub correlation_id: CorrelationId,
    /// The JSON body (content type `application/json`).
    pub body: Vec<u8>,
    /// What it is.
    pub kind: MessageKind,
    /// Whether a [`ClientEvent::Response`] or [`ClientEvent::TimedOut`] will come for it (true
    /// for requests and for triggers of a method known to reply; a watched trigger only ever
    /// gets a [`ClientEvent::Failed`]).
    pub awaits_response: bool,
}

/// Local misuse of the [`Client`] (never caused by what the server sends).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// [`ClientConfig::max_pending`] requests are already in flight.
    #[error("{limit} requests are already waiting (ClientConfig::max_pending)")]
    TooManyPending {
        /// The limit.
        limit: usize,
    },
    /// The caller-supplied correlation id is already in flight.
    #[error("correlation id {0} is already in flight")]
    DuplicateCorrelationId(CorrelationId),
    /// [`ClientConfig::max_queued_events`] events wait to be polled; drain
    /// [`Client::poll_event`] and hand the message in again (nothing of it was consumed).
    #[error("{limit} events wait to be polled (ClientConfig::max_queued_events)")]
    EventQueueFull {
        /// The limit.
        limit: usize,
    },
    /// The routing key could not be written for this transport.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The transport ended ([`Client::handle_end`]); the client takes no more input or
    /// commands.
    #[error("the client is closed: its transport ended")]
    Closed,
}

/// Why a request failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestFailure {
    /// The server answered on `error.NAME`.
    Error(ErrorBody),
    /// An error message arrived for the request, but its body was neither error shape.
    InvalidError(DecodeError),
    /// The response arrived, but its body was refused.
    InvalidResponse(DecodeError),
    /// The transport ended ([`Client::handle_end`]) while it waited; whether the server
    /// received it is unknown.
    TransportEnded,
}

/// A message the client could not use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidMessage {
    /// The key is not a Cattle Drive key.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The key is another account's.
    #[error("message for account `{0}` received by another account's client")]
    ForeignAccount(AccountName),
    /// The key is a request or trigger key, which only the server receives.
    #[error("{0} messages go from client to server")]
    WrongDirection(MessageKind),
    /// The body was refused.
    #[error(transparent)]
    Body(#[from] DecodeError),
}

/// What happened, drained with [`Client::poll_event`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A request (or replying trigger) got its response.
    Response {
        /// The request's correlation id.
        id: CorrelationId,
        /// The response.
        response: Response,
    },
    /// A request or trigger failed.
    Failed {
        /// Its correlation id.
        id: CorrelationId,
        /// Why.
        failure: RequestFailure,
    },
    /// A request (or replying trigger) got no answer within [`ClientConfig::request_timeout`].
    TimedOut {
        /// Its correlation id.
        id: CorrelationId,
        /// What it was.
        kind: MessageKind,
    },
    /// An event for one of the account's actors.
    Event {
        /// The routing key's activity type (the activity's `type` as cattle_grid wrote it).
        activity_type: String,
        /// The event.
        event: EventInformation,
        /// The correlation id it carried (an outgoing event carries its trigger's).
        correlation_id: Option<String>,
    },
    /// A valid response or error that answers nothing pending: late (after a timeout), a
    /// repeated error, or without a known correlation id.
    Unsolicited {
        /// Its routing key.
        key: RoutingKey,
        /// Its correlation id.
        correlation_id: Option<String>,
        /// The decoded message.
        message: Message,
    },
    /// A message the client could not use (and that resolved nothing).
    Invalid {
        /// Its routing key, as received.
        routing_key: String,
        /// Its correlation id.
        correlation_id: Option<String>,
        /// Why.
        error: InvalidMessage,
    },
}

#[derive(Debug)]
struct Pending {
    kind: MessageKind,
    /// The response method that answers it; `None` for a trigger watched for errors only.
    answer: Option<ResponseMethod>,
    deadline: Option<Instant>,
}

/// The client of one account: builds requests and triggers, matches what comes back.
/// See the [module docs](self) for the loop and the matching rules.
#[derive(Debug)]
pub struct Client {
    account: AccountName,
    config: ClientConfig,
    ids: CorrelationIds,
    pending: BTreeMap<CorrelationId, Pending>,
    deadlines: BTreeSet<(Instant, CorrelationId)>,
    events: VecDeque<ClientEvent>,
    replying_methods: BTreeSet<String>,
    closed: bool,
}

impl Client {
    /// A client of `account`, minting correlation ids (version-4 UUIDs) from the crate's
    /// SplitMix64 seeded with `seed`. The same seed gives the same ids: give each client a
    /// different seed (e.g. from the host's RNG) so that two clients of one account do not
    /// mint the same ids.
    pub fn new(account: AccountName, config: ClientConfig, seed: u64) -> Self {
        Client {
            account,
            config,
            ids: CorrelationIds::from_seed(seed),
            pending: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            events: VecDeque::new(),
            replying_methods: BTreeSet::new(),
            closed: false,
        }
    }

    /// The account.
    pub fn account(&self) -> &AccountName {
        &self.account
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The filters to subscribe to: `receive.NAME.#` and `error.NAME` (MQTT: with `/`).
    pub fn subscriptions(&self) -> [String; 2] {
        crate::topic::client_filters(&self.account, self.config.transport)
    }

    /// Requests and triggers in flight.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether [`Client::handle_end`] closed the client.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn ensure_open(&self) -> Result<(), ClientError> {
        if self.closed {
            return Err(ClientError::Closed);
        }
        Ok(())
    }

    /// Records whether trigger `method` answers on `receive.NAME.response.trigger`. Info
    /// responses replace what was recorded with their `methodInformation`.
    pub fn set_method_replies(&mut self, method: &str, replies: bool) {
        if replies {
            self.replying_methods.insert(method.to_owned());
        } else {
            self.replying_methods.remove(method);
        }
    }

    /// Sends `request` with a fresh correlation id; it waits for its response until
    /// `now + request_timeout`. Refused with [`ClientError::TooManyPending`] when
    /// `max_pending` are in flight and [`ClientError::Closed`] after [`Client::handle_end`].
    pub fn request(&mut self, now: Instant, request: Request) -> Result<Outgoing, ClientError> {
        self.ensure_open()?;
        let id = self.fresh_id();
        self.request_with_id(now, request, id)
    }

    /// Sends `request` with the caller's correlation id (refused if that id is in flight).
    pub fn request_with_id(
        &mut self,
        now: Instant,
        request: Request,
        id: CorrelationId,
    ) -> Result<Outgoing, ClientError> {
        let method = request.method();
        let route = Route::Request(method);
        let body = crate::message::encode(&request);
        self.send(
            now,
            route,
            id,
            body,
            Some(method.response()),
            self.config.request_timeout,
        )
    }

    /// Sends `trigger` with a fresh correlation id. If its method is known to reply it waits
    /// for `receive.NAME.response.trigger` like a request; otherwise it is watched for errors
    /// during `trigger_error_window`. Refused as [`Client::request`] is.
    pub fn trigger(&mut self, now: Instant, trigger: Trigger) -> Result<Outgoing, ClientError> {
        self.ensure_open()?;
        let id = self.fresh_id();
        self.trigger_with_id(now, trigger, id)
    }

    /// Sends `trigger` with the caller's correlation id (refused if that id is in flight).
    pub fn trigger_with_id(
        &mut self,
        now: Instant,
        trigger: Trigger,
        id: CorrelationId,
    ) -> Result<Outgoing, ClientError> {
        let method = trigger.method();
        let (answer, wait) = if self.replying_methods.contains(method.as_str()) {
            (Some(ResponseMethod::Trigger), self.config.request_timeout)
        } else {
            (None, self.config.trigger_error_window)
        };
        let body = crate::message::encode(&trigger);
        self.send(now, Route::Trigger(method), id, body, answer, wait)
    }

    /// Forgets a request in flight; its answer, if one comes, is then unsolicited.
    /// Returns whether it was in flight.
    pub fn cancel(&mut self, id: &CorrelationId) -> bool {
        self.remove(id).is_some()
    }

    fn fresh_id(&mut self) -> CorrelationId {
        loop {
            let id = self.ids.next_id();
            if !self.pending.contains_key(&id) {
                return id;
            }
        }
    }

    fn send(
        &mut self,
        now: Instant,
        route: Route,
        id: CorrelationId,
        body: Vec<u8>,
        answer: Option<ResponseMethod>,
        wait: Duration,
    ) -> Result<Outgoing, ClientError> {
        self.ensure_open()?;
        if self.pending.len() >= self.config.max_pending {
            return Err(ClientError::TooManyPending {
                limit: self.config.max_pending,
            });
        }
        if self.pending.contains_key(&id) {
            return Err(ClientError::DuplicateCorrelationId(id));
        }
        let key = RoutingKey::new(self.account.clone(), route);
        let routing_key = key.format(self.config.transport)?;
        let deadline = now.checked_add(wait);
        if let Some(deadline) = deadline {
            self.deadlines.insert((deadline, id.clone()));
        }
        let kind = key.kind();
        self.pending.insert(
            id.clone(),
            Pending {
                kind,
                answer,
                deadline,
            },
        );
        Ok(Outgoing {
            routing_key,
            correlation_id: id,
            body,
            kind,
            awaits_response: answer.is_some(),
        })
    }

    fn remove(&mut self, id: &CorrelationId) -> Option<Pending> {
        let pending = self.pending.remove(id)?;
        if let Some(deadline) = pending.deadline {
            self.deadlines.remove(&(deadline, id.clone()));
        }
        Some(pending)
    }

    /// Hands in a received message: its routing key (or MQTT topic), correlation id and body.
    ///
    /// Never fails because of what the server sent (such messages become
    /// [`ClientEvent::Invalid`]); fails only with [`ClientError::EventQueueFull`], consuming
    /// nothing, when the event queue is full, and with [`ClientError::Closed`] after
    /// [`Client::handle_end`].
    ///
    /// `now` is when the message was received: what was due by then expires first (as
    /// [`handle_timeout`](Self::handle_timeout) would), so an answer that arrives after its
    /// deadline is late whether or not the timer fired yet.
    pub fn handle_message(
        &mut self,
        now: Instant,
        routing_key: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> Result<(), ClientError> {
        self.ensure_open()?;
        if self.events.len() >= self.config.max_queued_events {
            return Err(ClientError::EventQueueFull {
                limit: self.config.max_queued_events,
            });
        }
        self.expire(now);
        let invalid = |error: InvalidMessage| ClientEvent::Invalid {
            routing_key: routing_key.to_owned(),
            correlation_id: correlation_id.map(str::to_owned),
            error,
        };
        let key = match RoutingKey::parse(routing_key, self.config.transport) {
            Ok(key) => key,
            Err(error) => {
                self.events.push_back(invalid(error.into()));
                return Ok(());
            }
        };
        if key.account != self.account {
            self.events
                .push_back(invalid(InvalidMessage::ForeignAccount(key.account)));
            return Ok(());
        }
        if key.kind().is_client_to_server() {
            self.events
                .push_back(invalid(InvalidMessage::WrongDirection(key.kind())));
            return Ok(());
        }
        let answers = self.answered_request(&key.route, correlation_id);
        let decoded = Message::decode(&key.route, body, &self.config.limits);
        let event = match (answers, decoded) {
            (Some(id), Ok(Message::Response(response))) => {
                self.remove(&id);
                if let Response::Info(info) = &response {
                    self.learn_methods(info);
                }
                ClientEvent::Response { id, response }
            }
            (Some(id), Ok(Message::Error(error))) => {
                self.remove(&id);
                ClientEvent::Failed {
                    id,
                    failure: RequestFailure::Error(error),
                }
            }
            (Some(id), Err(error)) => {
                self.remove(&id);
                let failure = if key.route == Route::Error {
                    RequestFailure::InvalidError(error)
                } else {
                    RequestFailure::InvalidResponse(error)
                };
                ClientEvent::Failed { id, failure }
            }
            (_, Ok(Message::Event(event))) => ClientEvent::Event {
                activity_type: match &key.route {
                    Route::Event { activity_type, .. } => activity_type.clone(),
                    _ => String::new(),
                },
                event,
                correlation_id: correlation_id.map(str::to_owned),
            },
            (_, Ok(message)) => {
                if let Message::Response(Response::Info(info)) = &message {
                    self.learn_methods(info);
                }
                ClientEvent::Unsolicited {
                    key,
                    correlation_id: correlation_id.map(str::to_owned),
                    message,
                }
            }
            (None, Err(error)) => invalid(error.into()),
        };
        self.events.push_back(event);
        Ok(())
    }

    /// The pending request `correlation_id` answers, if the message on `route` is an answer
    /// to it. Events answer nothing.
    fn answered_request(
        &self,
        route: &Route,
        correlation_id: Option<&str>,
    ) -> Option<CorrelationId> {
        let id = CorrelationId::new(correlation_id?).ok()?;
        let pending = self.pending.get(&id)?;
        let answers = match route {
            Route::Error => true,
            Route::Response(ResponseMethod::Trigger) => matches!(
                pending.kind,
                MessageKind::TriggerSendMessage
                    | MessageKind::TriggerUpdateActor
                    | MessageKind::TriggerDeleteActor
                    | MessageKind::TriggerGeneric
            ),
            Route::Response(method) => pending.answer == Some(*method),
            Route::Event { .. } | Route::Request(_) | Route::Trigger(_) => false,
        };
        answers.then_some(id)
    }

    fn learn_methods(&mut self, info: &crate::message::InformationResponse) {
        self.replying_methods = info
            .method_information
            .iter()
            .filter(|m| m.replies)
            .map(|m| m.routing_key.clone())
            .collect();
    }

    /// Expires what is due at `now`: requests and replying triggers give
    /// [`ClientEvent::TimedOut`], watched triggers are forgotten. Calls before the deadline
    /// do nothing. `now` must not go backwards between calls. Never refuses for a full event
    /// queue (it adds at most one event per request in flight); [`ClientError::Closed`] after
    /// [`Client::handle_end`].
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), ClientError> {
        self.ensure_open()?;
        self.expire(now);
        Ok(())
    }

    /// The transport ended (the broker connection or channel closed, cleanly or not). What was
    /// due by `now` times out first; every other request and trigger in flight then fails with
    /// [`RequestFailure::TransportEnded`], earliest deadline first, and the client is closed:
    /// every later `handle_*`, `request` or `trigger` returns [`ClientError::Closed`] (as does
    /// this call once closed). Never refuses for a full event queue; it adds at most one event
    /// per request in flight.
    pub fn handle_end(&mut self, now: Instant) -> Result<(), ClientError> {
        self.ensure_open()?;
        self.expire(now);
        self.closed = true;
        let deadlines = std::mem::take(&mut self.deadlines);
        let mut failed: Vec<CorrelationId> = deadlines.into_iter().map(|(_, id)| id).collect();
        // A request whose deadline does not fit in an `Instant` has none; such fail last.
        failed.extend(
            self.pending
                .iter()
                .filter(|(_, pending)| pending.deadline.is_none())
                .map(|(id, _)| id.clone()),
        );
        self.pending.clear();
        self.events
            .extend(failed.into_iter().map(|id| ClientEvent::Failed {
                id,
                failure: RequestFailure::TransportEnded,
            }));
        Ok(())
    }

    fn expire(&mut self, now: Instant) {
        while let Some((deadline, id)) = self.deadlines.first().cloned() {
            if deadline > now {
                break;
            }
            if let Some(pending) = self.remove(&id)
                && pending.answer.is_some()
            {
                self.events.push_back(ClientEvent::TimedOut {
                    id,
                    kind: pending.kind,
                });
            }
        }
    }

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due, if anything waits.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.first().map(|(deadline, _)| *deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{
        ActivityMessage, Body, FetchMessage, InfoRequest, InformationResponse, MethodInformation,
        NameAndVersion,
    };
    use serde_json::json;

    fn client() -> Client {
        let alice = AccountName::new("alice").unwrap_or_else(|_| unreachable!());
        let config = ClientConfig {
            request_timeout: Duration::from_secs(1),
            ..ClientConfig::default()
        };
        Client::new(alice, config, 1)
    }

    fn drain(client: &mut Client) -> Vec<ClientEvent> {
        std::iter::from_fn(|| client.poll_event()).collect()
    }

    #[test]
    fn info_round_trip() {
        let mut c = client();
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Info(InfoRequest))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.routing_key, "send.alice.request.info");
        assert_eq!(out.body, b"{}");
        let mut info = InformationResponse::new("alice", NameAndVersion::new("x", "1"));
        info.method_information.push(MethodInformation {
            replies: true,
            ..MethodInformation::new("export", "m")
        });
        let body = info.to_json();
        assert!(
            c.handle_message(
                t0,
                "receive.alice.response.info",
                Some(out.correlation_id.as_str()),
                &body,
            )
            .is_ok()
        );
        let events = drain(&mut c);
        assert!(
            matches!(&events[..], [ClientEvent::Response { id, response: Response::Info(_) }] if *id == out.correlation_id)
        );
        assert_eq!(c.pending(), 0);
        assert_eq!(c.poll_timeout(), None);
        assert!(c.replying_methods.contains("export"));
    }

    #[test]
    fn event_with_the_requests_id_does_not_resolve_it() {
        let mut c = client();
        let t0 = Instant::now();
        c.set_method_replies("export", true);
        let method = crate::topic::TriggerMethod::new("export").unwrap_or_else(|_| unreachable!());
        let trigger = Trigger::Extension {
            method,
            message: crate::message::TriggerMessage::new("http://a/1"),
        };
        let out = c.trigger(t0, trigger).unwrap_or_else(|e| panic!("{e}"));
        let id = Some(out.correlation_id.as_str());
        let event = json!({"data": {"raw": {"type": "Create"}}, "actor": "http://a/1", "event_type": "outgoing", "history_id": null});
        assert!(
            c.handle_message(
                t0,
                "receive.alice.outgoing.Create",
                id,
                event.to_string().as_bytes(),
            )
            .is_ok()
        );
        let events = drain(&mut c);
        assert!(
            matches!(&events[..], [ClientEvent::Event { correlation_id: Some(cid), .. }] if cid == out.correlation_id.as_str())
        );
        assert_eq!(c.pending(), 1);
        assert!(
            c.handle_message(
                t0,
                "receive.alice.response.trigger",
                id,
                br#"{"token":"t"}"#,
            )
            .is_ok()
        );
        let events = drain(&mut c);
        assert!(matches!(
            &events[..],
            [ClientEvent::Response {
                response: Response::Trigger(_),
                ..
            }]
        ));
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn response_of_another_method_does_not_resolve() {
        let mut c = client();
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Fetch(FetchMessage::new("a", "u")))
            .unwrap_or_else(|e| panic!("{e}"));
        let info = InformationResponse::new("alice", NameAndVersion::new("x", "1")).to_json();
        assert!(
            c.handle_message(
                t0,
                "receive.alice.response.info",
                Some(out.correlation_id.as_str()),
                &info,
            )
            .is_ok()
        );
        assert!(matches!(
            &drain(&mut c)[..],
            [ClientEvent::Unsolicited { .. }]
        ));
        assert_eq!(c.pending(), 1);
    }

    #[test]
    fn first_error_resolves_second_is_unsolicited() {
        let mut c = client();
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Fetch(FetchMessage::new("a", "u")))
            .unwrap_or_else(|e| panic!("{e}"));
        let id = Some(out.correlation_id.as_str());
        let first = json!({"message": ["boom"], "routing_key": "fetch_object", "original_message_body": "{}"});
        assert!(
            c.handle_message(t0, "error.alice", id, first.to_string().as_bytes())
                .is_ok()
        );
        assert!(
            c.handle_message(
                t0,
                "error.alice",
                id,
                br#"{"error": "Something went wrong"}"#,
            )
            .is_ok()
        );
        let events = drain(&mut c);
        assert!(
            matches!(
                &events[..],
                [
                    ClientEvent::Failed {
                        failure: RequestFailure::Error(ErrorBody::Exception(_)),
                        ..
                    },
                    ClientEvent::Unsolicited {
                        message: Message::Error(ErrorBody::Simple(_)),
                        ..
                    },
                ]
            ),
            "{events:?}"
        );
    }

    #[test]
    fn timeouts_fire_at_the_deadline_only() {
        let mut c = client();
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Info(InfoRequest))
            .unwrap_or_else(|e| panic!("{e}"));
        let deadline = t0 + Duration::from_secs(1);
        assert_eq!(c.poll_timeout(), Some(deadline));
        assert_eq!(
            c.handle_timeout(deadline - Duration::from_millis(1)),
            Ok(())
        );
        assert!(drain(&mut c).is_empty());
        assert_eq!(c.handle_timeout(deadline), Ok(()));
        let events = drain(&mut c);
        assert!(
            matches!(&events[..], [ClientEvent::TimedOut { id, kind: MessageKind::RequestInfo }] if *id == out.correlation_id)
        );
        let late = InformationResponse::new("alice", NameAndVersion::new("x", "1")).to_json();
        assert!(
            c.handle_message(
                deadline,
                "receive.alice.response.info",
                Some(out.correlation_id.as_str()),
                &late,
            )
            .is_ok()
        );
        assert!(matches!(
            &drain(&mut c)[..],
            [ClientEvent::Unsolicited { .. }]
        ));
    }

    #[test]
    fn an_answer_after_the_deadline_is_late_even_before_the_timer_fires() {
        let mut c = client();
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Info(InfoRequest))
            .unwrap_or_else(|e| panic!("{e}"));
        let late = InformationResponse::new("alice", NameAndVersion::new("x", "1")).to_json();
        let at = t0 + Duration::from_millis(1001);
        let id = Some(out.correlation_id.as_str());
        assert!(
            c.handle_message(at, "receive.alice.response.info", id, &late)
                .is_ok()
        );
        let events = drain(&mut c);
        assert!(
            matches!(
                &events[..],
                [
                    ClientEvent::TimedOut { .. },
                    ClientEvent::Unsolicited { .. }
                ]
            ),
            "{events:?}"
        );
    }

    #[test]
    fn watched_trigger_gets_its_error_and_expires_silently() {
        let mut c = client();
        let t0 = Instant::now();
        let trigger = Trigger::SendMessage(ActivityMessage::new("a", serde_json::Map::new()));
        let failing = c
            .trigger(t0, trigger.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let quiet = c.trigger(t0, trigger).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failing.routing_key, "send.alice.trigger.send_message");
        let error =
            json!({"message": ["x"], "routing_key": "send_message", "original_message_body": "{}"});
        assert!(
            c.handle_message(
                t0,
                "error.alice",
                Some(failing.correlation_id.as_str()),
                error.to_string().as_bytes(),
            )
            .is_ok()
        );
        assert!(
            matches!(&drain(&mut c)[..], [ClientEvent::Failed { id, .. }] if *id == failing.correlation_id)
        );
        assert_eq!(c.handle_timeout(t0 + Duration::from_secs(60)), Ok(()));
        assert!(drain(&mut c).is_empty());
        assert_eq!(c.pending(), 0);
        let _ = quiet;
    }

    #[test]
    fn invalid_input_never_resolves_and_is_reported() {
        let mut c = client();
        let t0 = Instant::now();
        for (key, body) in [
            ("receive.bob.response.info", b"{}".as_slice()),
            ("send.alice.request.info", b"{}"),
            ("nonsense", b"{}"),
            ("receive.alice.incoming.Follow", b"{\"actor\": 1}"),
        ] {
            assert!(c.handle_message(t0, key, None, body).is_ok());
        }
        let events = drain(&mut c);
        assert_eq!(events.len(), 4);
        assert!(
            events
                .iter()
                .all(|e| matches!(e, ClientEvent::Invalid { .. }))
        );
    }

    #[test]
    fn invalid_response_body_fails_its_request() {
        let mut c = client();
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Info(InfoRequest))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            c.handle_message(
                t0,
                "receive.alice.response.info",
                Some(out.correlation_id.as_str()),
                b"[]",
            )
            .is_ok()
        );
        assert!(matches!(
            &drain(&mut c)[..],
            [ClientEvent::Failed {
                failure: RequestFailure::InvalidResponse(_),
                ..
            }]
        ));
    }

    #[test]
    fn limits_are_enforced() {
        let alice = AccountName::new("alice").unwrap_or_else(|_| unreachable!());
        let config = ClientConfig {
            max_pending: 1,
            max_queued_events: 1,
            ..ClientConfig::default()
        };
        let mut c = Client::new(alice, config, 3);
        let t0 = Instant::now();
        let out = c
            .request(t0, Request::Info(InfoRequest))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.request(t0, Request::Info(InfoRequest)),
            Err(ClientError::TooManyPending { limit: 1 })
        );
        c.cancel(&out.correlation_id);
        assert_eq!(
            c.request_with_id(t0, Request::Info(InfoRequest), out.correlation_id.clone())
                .map(|o| o.correlation_id),
            Ok(out.correlation_id.clone())
        );
        assert_eq!(
            c.request_with_id(t0, Request::Info(InfoRequest), out.correlation_id.clone()),
            Err(ClientError::TooManyPending { limit: 1 })
        );
        assert!(
            c.handle_message(t0, "error.alice", None, br#"{"error":"x"}"#)
                .is_ok()
        );
        assert_eq!(
            c.handle_message(t0, "error.alice", None, br#"{"error":"x"}"#),
            Err(ClientError::EventQueueFull { limit: 1 })
        );
    }
}
