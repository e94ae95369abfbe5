//! The server side, for implementers of the protocol: classify an inbound publish, authorize
//! it for its account, decode it with cattle_grid's models, and build correctly keyed
//! responses, errors and events.
//!
//! ```text
//!  delivery (key, correlation id, body, login)
//!     │ Server::handle_publish
//!     ├─► Err(Rejection::Unrecognized / Unauthorized)   drop it (cattle_grid never sees these)
//!     ├─► Err(Rejection::Invalid { reply, .. })          publish `reply` (an ErrorMessage on error.NAME)
//!     └─► Ok(Inbound)  ── your logic ──► Server::respond / fail / error / event ──► Outbound ──► publish
//! ```
//!
//! [`CowDrive`] is the same for a server with a single actor (the protocol's "CowDrive" mode):
//! it answers `info` itself, refuses `create_actor`, and refuses any message for another actor.
//!
//! # Publishing order
//!
//! What answers one inbound message must be published in the order [`order_for_publishing`]
//! gives it: the answers (responses and errors) first, then the events. Outgoing events carry
//! the correlation id of the trigger that caused them, and almabtrieb (cattle_grid's Python
//! client) resolves a request with the first message of its correlation id, whatever it is; a
//! replying trigger whose event came first would get the event as its answer. cattle_grid
//! never shows that order: a replying method publishes its response from its own handler,
//! while the activities it sends reach the account as events only after further hops through
//! the broker. This crate's [`Client`](crate::client::Client) matches by kind and takes either
//! order.
//!
//! The server holds no state between messages and reads no clock.

mod cow_drive;

pub use cow_drive::{CowDrive, CowDriveAction};

use crate::message::{
    Body, DecodeError, ErrorBody, ErrorMessage, EventInformation, EventType, FetchMessage,
    InformationResponse, Limits, Message, NameAndVersion, Request, Response, SimpleError, Trigger,
};
use crate::topic::{
    Access, AccountName, AuthorizationError, EventDirection, MessageKind, Route, RoutingKey,
    TopicError, Transport, authorize,
};

/// Settings of a [`Server`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How routing keys are read and written. Default AMQP.
    pub transport: Transport,
    /// Limits applied to every inbound body.
    pub limits: Limits,
    /// What `info` reports as `backend`. Default `cattle-drive-types` and this crate's version.
    pub backend: NameAndVersion,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            transport: Transport::Amqp,
            limits: Limits::default(),
            backend: NameAndVersion::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        }
    }
}

impl ServerConfig {
    /// The defaults, for `transport`.
    pub fn new(transport: Transport) -> Self {
        ServerConfig {
            transport,
            ..ServerConfig::default()
        }
    }
}

/// A request or trigger the server received (the two kinds clients publish).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// A request.
    Request(Request),
    /// A trigger.
    Trigger(Trigger),
}

impl ClientMessage {
    /// The actor the message acts as (`None` for `info` and `create_actor`).
    pub fn actor(&self) -> Option<&str> {
        match self {
            ClientMessage::Request(Request::Fetch(m)) => Some(&m.actor),
            ClientMessage::Request(_) => None,
            ClientMessage::Trigger(t) => Some(t.actor()),
        }
    }
}

/// An accepted inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// Its routing key (the account is the one it was authorized for).
    pub key: RoutingKey,
    /// The correlation id it carried; answers copy it.
    pub correlation_id: Option<String>,
    /// The decoded message.
    pub message: ClientMessage,
    /// The body as text (invalid UTF-8 replaced), for [`ErrorMessage::original_message_body`].
    pub original_body: String,
}

/// A message for the host to publish on [`crate::topic::ACCOUNT_EXCHANGE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The routing key (or MQTT topic).
    pub routing_key: String,
    /// The correlation id to set, copied from what it answers.
    pub correlation_id: Option<String>,
    /// The JSON body (content type `application/json`).
    pub body: Vec<u8>,
    /// What it is.
    pub kind: MessageKind,
}

/// Why an inbound publish was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The key is not a Cattle Drive key (cattle_grid binds no queue to it): drop it.
    #[error("unrecognized key")]
    Unrecognized(#[source] TopicError),
    /// The publisher may not publish on this key (a broker enforcing the topic rules would have
    /// refused it): drop it, answer nothing.
    #[error("unauthorized")]
    Unauthorized(#[source] AuthorizationError),
    /// The body was refused; publish `reply`, an [`ErrorMessage`] on `error.NAME`, as
    /// cattle_grid's exception middleware does.
    #[error("invalid {kind} message: {error}")]
    Invalid {
        /// What the message's key said it is.
        kind: MessageKind,
        /// Why.
        error: DecodeError,
        /// The error to publish.
        reply: Box<Outbound>,
    },
}

impl Rejection {
    pub(super) fn publish_refused(
        account: &AccountName,
        routing_key: &str,
        reason: impl Into<String>,
    ) -> Self {
        Rejection::Unauthorized(AuthorizationError::Publish {
            account: account.to_string(),
            key: crate::truncated(routing_key),
            reason: reason.into(),
        })
    }

    /// The error message to publish, if the rejection has one.
    pub fn reply(&self) -> Option<&Outbound> {
        match self {
            Rejection::Invalid { reply, .. } => Some(reply.as_ref()),
            _ => None,
        }
    }
}

/// Local misuse of the [`Server`]'s builders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The response does not answer the inbound message.
    #[error("a {response} response does not answer a {inbound} message")]
    ResponseMismatch {
        /// The inbound message's kind.
        inbound: MessageKind,
        /// The response's kind.
        response: MessageKind,
    },
    /// Only incoming and outgoing events go to accounts.
    #[error("events of type `{0}` are not published to accounts")]
    NotAnAccountEvent(&'static str),
    /// The activity's `type` cannot name a routing key.
    #[error("data.raw.type must be a string (or absent), found {0}")]
    ActivityType(&'static str),
    /// The routing key could not be written.
    #[error(transparent)]
    Topic(#[from] TopicError),
}

/// The routing key cattle_grid's failed-fetch [`ErrorMessage`] names: that of its internal
/// `fetch_object` method (see [`Server::fetch_failed`]).
pub const FETCH_OBJECT: &str = "fetch_object";

/// Puts the messages answering one inbound message into publishing order: answers (responses
/// and errors) before events, each group keeping its own order. See the
/// [module docs](self#publishing-order).
pub fn order_for_publishing(batch: &mut [Outbound]) {
    // A stable sort: two errors of a failed fetch, or several events, keep their order.
    batch.sort_by_key(|out| out.kind.is_event());
}

/// Classifies, authorizes and decodes inbound publishes, and builds outbound ones.
/// See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Server {
    config: ServerConfig,
}

impl Server {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        Server { config }
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Takes one inbound publish.
    ///
    /// `login` is the account the transport authenticated the publisher as (AMQP: the
    /// broker-validated `user_id` property, or the connection's user). With `Some`, the key
    /// must be a request or trigger of that account ([`authorize`]); with `None` (a transport
    /// without identities, where the broker's topic permissions are the only check) the key's
    /// own account is taken, as cattle_grid takes it, and only the direction is checked.
    ///
    /// A body over [`Limits::max_body_bytes`](crate::message::Limits::max_body_bytes) is
    /// refused before parsing, and its error reply echoes only the first `max_body_bytes` of
    /// it as `original_message_body`.
    pub fn handle_publish(
        &self,
        login: Option<&AccountName>,
        routing_key: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> Result<Inbound, Rejection> {
        let transport = self.config.transport;
        let key = RoutingKey::parse(routing_key, transport).map_err(Rejection::Unrecognized)?;
        let account = login.unwrap_or(&key.account);
        authorize(account, routing_key, Access::Publish, transport)
            .map_err(Rejection::Unauthorized)?;
        // An oversized body is echoed in the error reply only up to the limit, so a hostile
        // publish cannot make the reply (or this copy) larger than `max_body_bytes` allows.
        let echoed = body
            .get(..self.config.limits.max_body_bytes)
            .unwrap_or(body);
        let original_body = String::from_utf8_lossy(echoed).into_owned();
        let correlation_id = correlation_id.map(str::to_owned);
        let decoded = Message::decode(&key.route, body, &self.config.limits);
        let message = match decoded {
            Ok(Message::Request(r)) => ClientMessage::Request(r),
            Ok(Message::Trigger(t)) => ClientMessage::Trigger(t),
            Ok(_) => {
                return Err(Rejection::publish_refused(
                    account,
                    routing_key,
                    "clients publish only requests and triggers",
                ));
            }
            Err(error) => {
                let reply = self.error_for(
                    &key,
                    correlation_id.clone(),
                    routing_key,
                    &error.to_string(),
                    &original_body,
                );
                return Err(Rejection::Invalid {
                    kind: key.kind(),
                    error,
                    reply: Box::new(reply),
                });
            }
        };
        Ok(Inbound {
            key,
            correlation_id,
            message,
            original_body,
        })
    }

    /// The response to `inbound` on `receive.NAME.response.X`: a request's own response
    /// method, or `trigger` for a trigger.
    pub fn respond(&self, inbound: &Inbound, response: &Response) -> Result<Outbound, ServerError> {
        let expected = match &inbound.message {
            ClientMessage::Request(r) => r.method().response(),
            ClientMessage::Trigger(_) => crate::topic::ResponseMethod::Trigger,
        };
        if response.method() != expected {
            return Err(ServerError::ResponseMismatch {
                inbound: inbound.key.kind(),
                response: Route::Response(response.method()).kind(),
            });
        }
        let key = RoutingKey::new(inbound.key.account.clone(), Route::Response(expected));
        self.outbound(
            &key,
            inbound.correlation_id.clone(),
            crate::message::encode(response),
        )
    }

    /// An [`ErrorMessage`] for `inbound` on `error.NAME`, as cattle_grid's exception
    /// middleware writes it: `text` split into lines, the inbound routing key and body.
    pub fn fail(&self, inbound: &Inbound, text: &str) -> Outbound {
        let routing_key = inbound
            .key
            .format(self.config.transport)
            .unwrap_or_default();
        self.error_for(
            &inbound.key,
            inbound.correlation_id.clone(),
            &routing_key,
            text,
            &inbound.original_body,
        )
    }

    /// The two errors cattle_grid 0.5.22 publishes, with the request's correlation id, when
    /// `fetch` fails (its internal `fetch_object` raised: the host is unreachable, the answer is
    /// no JSON, …): an [`ErrorMessage`] as the exception middleware of `fetch_object` writes it
    /// (`message`: `text` split into lines, `routing_key`: `fetch_object`,
    /// `original_message_body`: the internal request `{"actor":…,"uri":…}`), then the
    /// responder's `{"error": "Something went wrong"}`. A client resolves the request with the
    /// first; the second comes unsolicited.
    ///
    /// A server that reaches the object's server and gets `404` or `410` answers with
    /// [`FetchResponse::tombstone`](crate::message::FetchResponse::tombstone) instead, as
    /// cattle_grid does.
    pub fn fetch_failed(
        &self,
        inbound: &Inbound,
        fetch: &FetchMessage,
        text: &str,
    ) -> [Outbound; 2] {
        let mut internal = serde_json::Map::new();
        internal.insert("actor".into(), fetch.actor.clone().into());
        internal.insert("uri".into(), fetch.uri.clone().into());
        let internal = serde_json::Value::Object(internal).to_string();
        let exception = self.error_for(
            &inbound.key,
            inbound.correlation_id.clone(),
            FETCH_OBJECT,
            text,
            &internal,
        );
        [exception, self.something_went_wrong(inbound)]
    }

    /// `{"error": "Something went wrong"}` for `inbound` on `error.NAME`, as cattle_grid's
    /// responder writes it when a request has no result (e.g. a failed fetch).
    pub fn something_went_wrong(&self, inbound: &Inbound) -> Outbound {
        let body = ErrorBody::Simple(SimpleError::new(SimpleError::SOMETHING_WENT_WRONG));
        self.error(
            &inbound.key.account,
            inbound.correlation_id.as_deref(),
            &body,
        )
    }

    /// `error` on `error.NAME` for `account`.
    pub fn error(
        &self,
        account: &AccountName,
        correlation_id: Option<&str>,
        error: &ErrorBody,
    ) -> Outbound {
        let key = RoutingKey::new(account.clone(), Route::Error);
        let routing_key = key.format(self.config.transport).unwrap_or_default();
        Outbound {
            routing_key,
            correlation_id: correlation_id.map(str::to_owned),
            body: crate::message::encode(error),
            kind: MessageKind::Error,
        }
    }

    fn error_for(
        &self,
        key: &RoutingKey,
        correlation_id: Option<String>,
        failing_key: &str,
        text: &str,
        original_body: &str,
    ) -> Outbound {
        let mut message = ErrorMessage::new(text, failing_key, b"");
        message.original_message_body = original_body.to_owned();
        self.error(
            &key.account,
            correlation_id.as_deref(),
            &ErrorBody::Exception(message),
        )
    }

    /// `event` for `account` on `receive.NAME.{incoming,outgoing}.TYPE`, TYPE being
    /// `data.raw.type` verbatim, or `None` when absent or null (as cattle_grid's shovel writes
    /// it). Pass the trigger's correlation id for an outgoing event it caused.
    pub fn event(
        &self,
        account: &AccountName,
        event: &EventInformation,
        correlation_id: Option<&str>,
    ) -> Result<Outbound, ServerError> {
        let direction = match event.event_type {
            EventType::Incoming => EventDirection::Incoming,
            EventType::Outgoing => EventDirection::Outgoing,
            other => return Err(ServerError::NotAnAccountEvent(other.as_str())),
        };
        let activity_type = match event.raw().and_then(|raw| raw.get("type")) {
            None | Some(serde_json::Value::Null) => "None".to_owned(),
            Some(serde_json::Value::String(t)) => t.clone(),
            Some(other) => {
                return Err(ServerError::ActivityType(crate::message::json_type_name(
                    other,
                )));
            }
        };
        let key = RoutingKey::new(
            account.clone(),
            Route::Event {
                direction,
                activity_type,
            },
        );
        self.outbound(&key, correlation_id.map(str::to_owned), event.to_json())
    }

    /// The info response for `account` with this server's backend and cattle_grid's protocol
    /// version; fill in actors, base URLs and methods.
    pub fn info_response(&self, account: &AccountName) -> InformationResponse {
        InformationResponse::new(account.as_str(), self.config.backend.clone())
    }

    fn outbound(
        &self,
        key: &RoutingKey,
        correlation_id: Option<String>,
        body: Vec<u8>,
    ) -> Result<Outbound, ServerError> {
        Ok(Outbound {
            routing_key: key.format(self.config.transport)?,
            correlation_id,
            body,
            kind: key.kind(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ActorDocument, FetchResponse, InfoRequest};
    use serde_json::{Map, json};

    fn alice() -> AccountName {
        AccountName::new("alice").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn accepts_and_answers_a_request() {
        let server = Server::new(ServerConfig::default());
        let inbound =
            server.handle_publish(Some(&alice()), "send.alice.request.info", Some("c1"), b"{}");
        let Ok(inbound) = inbound else {
            panic!("{inbound:?}")
        };
        assert_eq!(
            inbound.message,
            ClientMessage::Request(Request::Info(InfoRequest))
        );
        let info = server.info_response(&alice());
        let out = server.respond(&inbound, &Response::Info(info));
        let Ok(out) = out else { panic!("{out:?}") };
        assert_eq!(out.routing_key, "receive.alice.response.info");
        assert_eq!(out.correlation_id.as_deref(), Some("c1"));
        let wrong = server.respond(&inbound, &Response::CreateActor(ActorDocument(Map::new())));
        assert!(matches!(wrong, Err(ServerError::ResponseMismatch { .. })));
    }

    #[test]
    fn refuses_other_accounts_and_directions() {
        let server = Server::new(ServerConfig::default());
        for key in [
            "send.bob.request.info",
            "receive.alice.response.info",
            "error.alice",
        ] {
            let got = server.handle_publish(Some(&alice()), key, None, b"{}");
            assert!(
                matches!(got, Err(Rejection::Unauthorized(_))),
                "{key}: {got:?}"
            );
        }
        let got = server.handle_publish(None, "receive.alice.response.info", None, b"{}");
        assert!(matches!(got, Err(Rejection::Unauthorized(_))));
        let got = server.handle_publish(None, "nonsense", None, b"{}");
        assert!(matches!(got, Err(Rejection::Unrecognized(_))));
    }

    #[test]
    fn invalid_body_gets_cattle_grid_error_message() {
        let server = Server::new(ServerConfig::default());
        let body = br#"{"actor": "http://a/1", "reason": "bye"}"#;
        let got = server.handle_publish(None, "send.alice.trigger.delete_actor", Some("c2"), body);
        let Err(rejection) = got else {
            panic!("must be refused")
        };
        let Some(reply) = rejection.reply() else {
            panic!("needs a reply")
        };
        assert_eq!(reply.routing_key, "error.alice");
        assert_eq!(reply.correlation_id.as_deref(), Some("c2"));
        let Ok(ErrorBody::Exception(m)) = ErrorBody::from_json(&reply.body) else {
            panic!("ErrorMessage expected")
        };
        assert_eq!(m.routing_key, "send.alice.trigger.delete_actor");
        assert_eq!(m.original_message_body.as_bytes(), body);
    }

    #[test]
    fn events_are_keyed_by_activity_type() {
        let server = Server::new(ServerConfig::new(Transport::Mqtt));
        let mut activity = Map::new();
        activity.insert("type".into(), json!("Create"));
        let event = EventInformation::new(EventType::Outgoing, "http://a/1", activity);
        let out = server.event(&alice(), &event, Some("c3"));
        assert_eq!(
            out.map(|o| o.routing_key),
            Ok("receive/alice/outgoing/Create".to_owned())
        );
        let untyped = EventInformation::new(EventType::Incoming, "http://a/1", Map::new());
        assert_eq!(
            server
                .event(&alice(), &untyped, None)
                .map(|o| o.routing_key),
            Ok("receive/alice/incoming/None".to_owned())
        );
        let combined = EventInformation {
            event_type: EventType::Combined,
            ..untyped
        };
        assert!(server.event(&alice(), &combined, None).is_err());
    }

    fn outbound(routing_key: &str, kind: MessageKind) -> Outbound {
        Outbound {
            routing_key: routing_key.to_owned(),
            correlation_id: Some("c5".to_owned()),
            body: Vec::new(),
            kind,
        }
    }

    #[test]
    fn answers_are_published_before_events() {
        let mut batch = vec![
            outbound("receive.alice.outgoing.Create", MessageKind::EventOutgoing),
            outbound(
                "receive.alice.outgoing.Announce",
                MessageKind::EventOutgoing,
            ),
            outbound(
                "receive.alice.response.trigger",
                MessageKind::ResponseTrigger,
            ),
            outbound("receive.alice.incoming.Follow", MessageKind::EventIncoming),
            outbound("error.alice", MessageKind::Error),
        ];
        order_for_publishing(&mut batch);
        let keys: Vec<&str> = batch.iter().map(|o| o.routing_key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "receive.alice.response.trigger",
                "error.alice",
                "receive.alice.outgoing.Create",
                "receive.alice.outgoing.Announce",
                "receive.alice.incoming.Follow",
            ]
        );
    }

    #[test]
    fn a_failed_fetch_gives_cattle_grids_two_errors() {
        let server = Server::new(ServerConfig::default());
        let body = br#"{"actor": "http://a/actor/1", "uri": "http://b/\u00e9"}"#;
        let inbound = server.handle_publish(None, "send.alice.request.fetch", Some("c6"), body);
        let Ok(inbound) = inbound else {
            panic!("{inbound:?}")
        };
        let ClientMessage::Request(Request::Fetch(fetch)) = &inbound.message else {
            panic!("a fetch")
        };
        let [first, second] = server.fetch_failed(&inbound, fetch, "Cannot connect\nto host");
        for out in [&first, &second] {
            assert_eq!(out.routing_key, "error.alice");
            assert_eq!(out.correlation_id.as_deref(), Some("c6"));
        }
        // What cattle_grid 0.5.22 published for an unreachable host (its end-to-end test).
        assert_eq!(
            String::from_utf8(first.body).unwrap_or_default(),
            r#"{"message":["Cannot connect","to host"],"original_message_body":"{\"actor\":\"http://a/actor/1\",\"uri\":\"http://b/é\"}","routing_key":"fetch_object"}"#
        );
        assert_eq!(second.body, br#"{"error":"Something went wrong"}"#);
    }

    #[test]
    fn fetch_failures_look_like_cattle_grid() {
        let server = Server::new(ServerConfig::default());
        let inbound = server.handle_publish(
            None,
            "send.alice.request.fetch",
            Some("c4"),
            br#"{"actor":"a","uri":"u"}"#,
        );
        let Ok(inbound) = inbound else {
            panic!("{inbound:?}")
        };
        let out = server.something_went_wrong(&inbound);
        assert_eq!(out.body, br#"{"error":"Something went wrong"}"#);
        let ok = server.respond(
            &inbound,
            &Response::Fetch(FetchResponse::new("a", "u", None)),
        );
        assert_eq!(
            ok.map(|o| o.routing_key),
            Ok("receive.alice.response.fetch".to_owned())
        );
    }
}
