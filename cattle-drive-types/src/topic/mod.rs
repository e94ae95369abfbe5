//! Routing keys (AMQP) and topics (MQTT): parse, format, classify, authorize.
//!
//! cattle_grid publishes and consumes account messages on the topic exchange
//! [`ACCOUNT_EXCHANGE`] (`amq.topic`) with these routing keys (`NAME` is the account):
//!
//! | key | kind | direction |
//! |---|---|---|
//! | `send.NAME.request.{info,create_actor,fetch}` | request | client → server |
//! | `send.NAME.trigger.METHOD` (METHOD may contain dots) | trigger | client → server |
//! | `receive.NAME.response.{info,create_actor,fetch,trigger}` | response | server → client |
//! | `receive.NAME.{incoming,outgoing}.TYPE` (TYPE: the activity's `type`, verbatim) | event | server → client |
//! | `error.NAME` | error | server → client |
//!
//! Over MQTT the topic is the routing key with `/` in place of `.` (as RabbitMQ's MQTT plugin
//! translates them): `send/alice/trigger/html_display/export` is the AMQP key
//! `send.alice.trigger.html_display.export`. An MQTT topic holding a `.` is refused, since the
//! translation would turn it into a level separator.

mod account;
mod authorize;
mod kind;

pub use account::AccountName;
pub use authorize::{Access, AuthorizationError, RabbitMqTopicPermissions, authorize};
pub use kind::MessageKind;

use std::fmt;

use crate::truncated;

/// The exchange cattle_grid uses for account messages (`activity_pub.account_exchange`).
pub const ACCOUNT_EXCHANGE: &str = "amq.topic";

/// The longest routing key accepted or written: AMQP's short-string limit.
pub const MAX_KEY_LEN: usize = 255;

/// How a key is written: AMQP routing key (`.`) or MQTT topic (`/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// AMQP 0-9-1 routing keys, words separated by `.`.
    Amqp,
    /// MQTT topics, levels separated by `/`.
    Mqtt,
}

impl Transport {
    /// The word separator.
    pub fn separator(self) -> char {
        match self {
            Transport::Amqp => '.',
            Transport::Mqtt => '/',
        }
    }

    /// The multi-word wildcard of a subscription filter (`#` for both).
    pub fn multi_wildcard(self) -> &'static str {
        "#"
    }

    /// The one-word wildcard of a subscription filter: `*` (AMQP) or `+` (MQTT).
    pub fn single_wildcard(self) -> &'static str {
        match self {
            Transport::Amqp => "*",
            Transport::Mqtt => "+",
        }
    }
}

/// Why a key or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// The account name does not match `^[a-zA-Z0-9_]{1,16}$`.
    #[error("account name `{name}` does not match ^[a-zA-Z0-9_]{{1,16}}$")]
    InvalidAccountName {
        /// The refused name (at most 64 characters of it).
        name: String,
    },
    /// The trigger method is not usable in a routing key.
    #[error("trigger method `{method}` refused: {reason}")]
    InvalidTriggerMethod {
        /// The refused method (at most 64 characters of it).
        method: String,
        /// Why.
        reason: &'static str,
    },
    /// The activity type cannot be written in this key.
    #[error("activity type `{activity_type}` refused: {reason}")]
    InvalidActivityType {
        /// The refused type (at most 64 characters of it).
        activity_type: String,
        /// Why.
        reason: &'static str,
    },
    /// The key exceeds [`MAX_KEY_LEN`].
    #[error("key of {len} bytes exceeds the limit of {limit} bytes (MAX_KEY_LEN)")]
    TooLong {
        /// The key's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The key is not one of the Cattle Drive keys.
    #[error("`{key}` is not a Cattle Drive {transport} key: {reason}")]
    Unrecognized {
        /// The key (at most 64 characters of it).
        key: String,
        /// `routing` or `MQTT`.
        transport: &'static str,
        /// What did not match.
        reason: &'static str,
    },
}

/// A request method: `send.NAME.request.METHOD`, answered on `receive.NAME.response.METHOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestMethod {
    /// `info`.
    Info,
    /// `create_actor`.
    CreateActor,
    /// `fetch`.
    Fetch,
}

impl RequestMethod {
    /// The key word: `info`, `create_actor` or `fetch`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestMethod::Info => "info",
            RequestMethod::CreateActor => "create_actor",
            RequestMethod::Fetch => "fetch",
        }
    }

    /// The response method that answers it.
    pub fn response(self) -> ResponseMethod {
        match self {
            RequestMethod::Info => ResponseMethod::Info,
            RequestMethod::CreateActor => ResponseMethod::CreateActor,
            RequestMethod::Fetch => ResponseMethod::Fetch,
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        match word {
            "info" => Some(RequestMethod::Info),
            "create_actor" => Some(RequestMethod::CreateActor),
            "fetch" => Some(RequestMethod::Fetch),
            _ => None,
        }
    }
}

/// A response method: `receive.NAME.response.METHOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseMethod {
    /// `info`.
    Info,
    /// `create_actor`.
    CreateActor,
    /// `fetch`.
    Fetch,
    /// `trigger`: the answer of a trigger method with `replies: true`.
    Trigger,
}

impl ResponseMethod {
    /// The key word.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMethod::Info => "info",
            ResponseMethod::CreateActor => "create_actor",
            ResponseMethod::Fetch => "fetch",
            ResponseMethod::Trigger => "trigger",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        match word {
            "trigger" => Some(ResponseMethod::Trigger),
            other => RequestMethod::from_word(other).map(RequestMethod::response),
        }
    }
}

/// A trigger method: the tail of `send.NAME.trigger.METHOD`, the routing key cattle_grid uses
/// on its ActivityExchange. Dot-separated words, each non-empty, without `/`, `*`, `#`, `+`,
/// whitespace or control characters, at most [`TriggerMethod::MAX_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TriggerMethod(String);

impl TriggerMethod {
    /// `send_message`.
    pub const SEND_MESSAGE: &'static str = "send_message";
    /// `update_actor`.
    pub const UPDATE_ACTOR: &'static str = "update_actor";
    /// `delete_actor`.
    pub const DELETE_ACTOR: &'static str = "delete_actor";
    /// The longest method accepted, leaving room for `send.NAME.trigger.` within [`MAX_KEY_LEN`].
    pub const MAX_LEN: usize = 200;

    /// Checks `method` (AMQP form, words separated by `.`).
    pub fn new(method: impl Into<String>) -> Result<Self, TopicError> {
        let method = method.into();
        let refuse = |reason| {
            Err(TopicError::InvalidTriggerMethod {
                method: truncated(&method),
                reason,
            })
        };
        if method.len() > Self::MAX_LEN {
            return refuse("longer than TriggerMethod::MAX_LEN (200 bytes)");
        }
        if method.split('.').any(str::is_empty) {
            return refuse("empty word (methods are non-empty words separated by single dots)");
        }
        if method
            .chars()
            .any(|c| matches!(c, '/' | '*' | '#' | '+') || c.is_whitespace() || c.is_control())
        {
            return refuse("contains `/`, a wildcard, whitespace or a control character");
        }
        Ok(TriggerMethod(method))
    }

    /// `send_message`.
    pub fn send_message() -> Self {
        TriggerMethod(Self::SEND_MESSAGE.to_owned())
    }

    /// `update_actor`.
    pub fn update_actor() -> Self {
        TriggerMethod(Self::UPDATE_ACTOR.to_owned())
    }

    /// `delete_actor`.
    pub fn delete_actor() -> Self {
        TriggerMethod(Self::DELETE_ACTOR.to_owned())
    }

    /// The method (AMQP form).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TriggerMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The direction word of an event key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventDirection {
    /// `receive.NAME.incoming.TYPE`.
    Incoming,
    /// `receive.NAME.outgoing.TYPE`.
    Outgoing,
}

impl EventDirection {
    /// The key word.
    pub fn as_str(self) -> &'static str {
        match self {
            EventDirection::Incoming => "incoming",
            EventDirection::Outgoing => "outgoing",
        }
    }
}

/// What a key routes, without the account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `send.NAME.request.METHOD`.
    Request(RequestMethod),
    /// `send.NAME.trigger.METHOD`.
    Trigger(TriggerMethod),
    /// `receive.NAME.response.METHOD`.
    Response(ResponseMethod),
    /// `receive.NAME.{incoming,outgoing}.TYPE`.
    Event {
        /// Incoming or outgoing.
        direction: EventDirection,
        /// The activity type as cattle_grid writes it: the activity's `type` verbatim (it may
        /// contain dots; an activity without `type` gives `None`). Non-empty.
        activity_type: String,
    },
    /// `error.NAME`.
    Error,
}

impl Route {
    /// The kind of message the route carries.
    pub fn kind(&self) -> MessageKind {
        match self {
            Route::Request(m) => MessageKind::of_request(*m),
            Route::Trigger(m) => MessageKind::of_trigger(m),
            Route::Response(m) => MessageKind::of_response(*m),
            Route::Event {
                direction: EventDirection::Incoming,
                ..
            } => MessageKind::EventIncoming,
            Route::Event {
                direction: EventDirection::Outgoing,
                ..
            } => MessageKind::EventOutgoing,
            Route::Error => MessageKind::Error,
        }
    }
}

/// A parsed Cattle Drive routing key: an account and a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutingKey {
    /// The account (`NAME`).
    pub account: AccountName,
    /// What the key routes.
    pub route: Route,
}

impl RoutingKey {
    /// The key of `route` for `account`.
    pub fn new(account: AccountName, route: Route) -> Self {
        RoutingKey { account, route }
    }

    /// The kind of message the key carries.
    pub fn kind(&self) -> MessageKind {
        self.route.kind()
    }

    /// Parses an AMQP routing key or an MQTT topic.
    ///
    /// Refuses keys over [`MAX_KEY_LEN`] bytes, account names outside `^[a-zA-Z0-9_]{1,16}$`,
    /// unknown request or response methods, invalid trigger methods, event keys without an
    /// activity type (the pre-0.5 `receive.NAME.incoming`), and MQTT topics holding a `.`.
    pub fn parse(key: &str, transport: Transport) -> Result<Self, TopicError> {
        if key.len() > MAX_KEY_LEN {
            return Err(TopicError::TooLong {
                len: key.len(),
                limit: MAX_KEY_LEN,
            });
        }
        let unrecognized = |reason| TopicError::Unrecognized {
            key: truncated(key),
            transport: match transport {
                Transport::Amqp => "routing",
                Transport::Mqtt => "MQTT",
            },
            reason,
        };
        if transport == Transport::Mqtt && key.contains('.') {
            return Err(unrecognized(
                "MQTT topics separate levels with `/`; a `.` is not allowed",
            ));
        }
        if transport == Transport::Mqtt && key.contains(['#', '+', '\0']) {
            return Err(unrecognized(
                "an MQTT topic name holds no wildcard (`#`, `+`) and no NUL",
            ));
        }
        let sep = transport.separator();
        let mut words = key.splitn(4, sep);
        let head = words.next().unwrap_or_default();
        let account = words
            .next()
            .ok_or_else(|| unrecognized("no account name"))?;
        let account = AccountName::new(account)?;
        let word = words.next();
        let tail = words.next().map(|tail| tail.replace(sep, "."));
        let route = match (head, word, tail) {
            ("error", None, None) => Route::Error,
            ("error", _, _) => return Err(unrecognized("`error.NAME` has no further words")),
            ("send", Some("request"), Some(method)) => {
                Route::Request(RequestMethod::from_word(&method).ok_or_else(|| {
                    unrecognized("request method is not info, create_actor or fetch")
                })?)
            }
            ("send", Some("trigger"), Some(method)) => Route::Trigger(TriggerMethod::new(method)?),
            ("send", _, _) => {
                return Err(unrecognized(
                    "expected send.NAME.request.METHOD or send.NAME.trigger.METHOD",
                ));
            }
            ("receive", Some("response"), Some(method)) => {
                Route::Response(ResponseMethod::from_word(&method).ok_or_else(|| {
                    unrecognized("response method is not info, create_actor, fetch or trigger")
                })?)
            }
            ("receive", Some(direction @ ("incoming" | "outgoing")), Some(activity_type))
                if !activity_type.is_empty() =>
            {
                Route::Event {
                    direction: if direction == "incoming" {
                        EventDirection::Incoming
                    } else {
                        EventDirection::Outgoing
                    },
                    activity_type,
                }
            }
            ("receive", Some("incoming" | "outgoing"), _) => {
                return Err(unrecognized(
                    "event key without activity type (not published since cattle_grid 0.5)",
                ));
            }
            ("receive", _, _) => {
                return Err(unrecognized(
                    "expected receive.NAME.response.METHOD or receive.NAME.{incoming,outgoing}.TYPE",
                ));
            }
            _ => return Err(unrecognized("keys start with send, receive or error")),
        };
        Ok(RoutingKey { account, route })
    }

    /// The AMQP routing key.
    ///
    /// Refuses a key over [`MAX_KEY_LEN`] bytes (only an overlong activity type can make one).
    pub fn to_amqp(&self) -> Result<String, TopicError> {
        let account = self.account.as_str();
        let key = match &self.route {
            Route::Request(m) => format!("send.{account}.request.{}", m.as_str()),
            Route::Trigger(m) => format!("send.{account}.trigger.{m}"),
            Route::Response(m) => format!("receive.{account}.response.{}", m.as_str()),
            Route::Event {
                direction,
                activity_type,
            } => {
                if activity_type.is_empty() {
                    return Err(TopicError::InvalidActivityType {
                        activity_type: String::new(),
                        reason: "empty",
                    });
                }
                format!("receive.{account}.{}.{activity_type}", direction.as_str())
            }
            Route::Error => format!("error.{account}"),
        };
        if key.len() > MAX_KEY_LEN {
            return Err(TopicError::TooLong {
                len: key.len(),
                limit: MAX_KEY_LEN,
            });
        }
        Ok(key)
    }

    /// The MQTT topic: the AMQP key with `/` for `.`.
    ///
    /// Also refuses activity types that cannot be an MQTT topic level (holding `/`, `#`, `+`
    /// or NUL).
    pub fn to_mqtt(&self) -> Result<String, TopicError> {
        if let Route::Event { activity_type, .. } = &self.route
            && activity_type.contains(['/', '#', '+', '\0'])
        {
            return Err(TopicError::InvalidActivityType {
                activity_type: truncated(activity_type),
                reason: "holds `/`, `#`, `+` or NUL, which an MQTT topic cannot carry",
            });
        }
        Ok(self.to_amqp()?.replace('.', "/"))
    }

    /// The key for `transport`.
    pub fn format(&self, transport: Transport) -> Result<String, TopicError> {
        match transport {
            Transport::Amqp => self.to_amqp(),
            Transport::Mqtt => self.to_mqtt(),
        }
    }
}

/// The subscription filters of a client of `account`: every response and event
/// (`receive.NAME.#`) and its errors (`error.NAME`).
pub fn client_filters(account: &AccountName, transport: Transport) -> [String; 2] {
    let sep = transport.separator();
    [
        format!("receive{sep}{account}{sep}#"),
        format!("error{sep}{account}"),
    ]
}

/// The subscription filters of a server: requests and triggers of `account`, or of every
/// account when `None` (cattle_grid binds `send.*.request.X` and `send.*.trigger.#`).
pub fn server_filters(account: Option<&AccountName>, transport: Transport) -> [String; 2] {
    let sep = transport.separator();
    let name = account.map_or(transport.single_wildcard(), AccountName::as_str);
    [
        format!(
            "send{sep}{name}{sep}request{sep}{}",
            transport.single_wildcard()
        ),
        format!("send{sep}{name}{sep}trigger{sep}#"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(key: &str) -> Result<RoutingKey, TopicError> {
        RoutingKey::parse(key, Transport::Amqp)
    }

    #[test]
    fn classifies_every_documented_key() {
        for (key, kind) in [
            ("send.alice.request.info", MessageKind::RequestInfo),
            (
                "send.alice.request.create_actor",
                MessageKind::RequestCreateActor,
            ),
            ("send.alice.request.fetch", MessageKind::RequestFetch),
            (
                "send.alice.trigger.send_message",
                MessageKind::TriggerSendMessage,
            ),
            (
                "send.alice.trigger.update_actor",
                MessageKind::TriggerUpdateActor,
            ),
            (
                "send.alice.trigger.delete_actor",
                MessageKind::TriggerDeleteActor,
            ),
            (
                "send.alice.trigger.method.first",
                MessageKind::TriggerGeneric,
            ),
            ("receive.alice.response.info", MessageKind::ResponseInfo),
            (
                "receive.alice.response.create_actor",
                MessageKind::ResponseCreateActor,
            ),
            ("receive.alice.response.fetch", MessageKind::ResponseFetch),
            (
                "receive.alice.response.trigger",
                MessageKind::ResponseTrigger,
            ),
            ("receive.alice.incoming.Follow", MessageKind::EventIncoming),
            ("receive.alice.outgoing.Create", MessageKind::EventOutgoing),
            ("error.alice", MessageKind::Error),
        ] {
            let parsed = parse(key);
            assert_eq!(parsed.as_ref().map(RoutingKey::kind), Ok(kind), "{key}");
            assert_eq!(
                parsed
                    .as_ref()
                    .ok()
                    .and_then(|k| k.to_amqp().ok())
                    .as_deref(),
                Some(key)
            );
            let topic = key.replace('.', "/");
            if kind != MessageKind::TriggerGeneric {
                let parsed = RoutingKey::parse(&topic, Transport::Mqtt);
                assert_eq!(parsed.as_ref().map(RoutingKey::kind), Ok(kind), "{topic}");
                assert_eq!(parsed.ok().and_then(|k| k.to_mqtt().ok()), Some(topic));
            }
        }
    }

    #[test]
    fn dotted_tails_keep_their_dots() {
        let key = parse("send.alice.trigger.method.first");
        let Ok(RoutingKey {
            route: Route::Trigger(method),
            ..
        }) = &key
        else {
            panic!("{key:?}")
        };
        assert_eq!(method.as_str(), "method.first");
        let mqtt = RoutingKey::parse("send/alice/trigger/method/first", Transport::Mqtt);
        assert_eq!(mqtt.as_ref().ok(), key.as_ref().ok());
        let event = parse("receive.alice.incoming.as.Note");
        assert!(
            matches!(event, Ok(RoutingKey { route: Route::Event { ref activity_type, .. }, .. }) if activity_type == "as.Note")
        );
    }

    #[test]
    fn refuses_what_is_not_a_cattle_drive_key() {
        for key in [
            "",
            "send",
            "send.alice",
            "send.alice.request",
            "send.alice.request.unknown",
            "send.alice.request.info.x",
            "send.alice.trigger.",
            "send.alice.trigger.a..b",
            "send.alice.trigger.a#",
            "send.alice.other.x",
            "send.al.ice.request.info",
            "send.*.request.info",
            "receive.alice.incoming",
            "receive.alice.outgoing.",
            "receive.alice.response.other",
            "receive.alice",
            "error.alice.x",
            "error",
            "combined.alice",
            "send.x2345678901234567.request.info",
        ] {
            assert!(parse(key).is_err(), "{key}");
        }
        assert!(RoutingKey::parse("send/alice/trigger/a.b", Transport::Mqtt).is_err());
        assert!(RoutingKey::parse("send.alice.request.info", Transport::Mqtt).is_err());
        let long = format!("send.alice.trigger.{}", "x".repeat(300));
        assert!(matches!(
            parse(&long),
            Err(TopicError::TooLong { limit: 255, .. })
        ));
    }

    /// Found by the `cattle_message` fuzz target: a topic that parsed but could not be written.
    #[test]
    fn mqtt_parse_refuses_what_mqtt_cannot_write() {
        for topic in [
            "receive/alice/incoming/F\0",
            "receive/alice/incoming/a#",
            "receive/alice/outgoing/+",
        ] {
            assert!(
                RoutingKey::parse(topic, Transport::Mqtt).is_err(),
                "{topic:?}"
            );
        }
        let amqp = parse("receive.alice.incoming.F\0");
        assert_eq!(
            amqp.and_then(|k| k.to_amqp()).as_deref(),
            Ok("receive.alice.incoming.F\0")
        );
    }

    #[test]
    fn mqtt_refuses_activity_types_it_cannot_carry() {
        let key = RoutingKey::new(
            AccountName::new("alice").unwrap_or_else(|_| unreachable!()),
            Route::Event {
                direction: EventDirection::Incoming,
                activity_type: "https://x/y#Foo".into(),
            },
        );
        assert!(key.to_amqp().is_ok());
        assert!(key.to_mqtt().is_err());
    }

    #[test]
    fn filters() {
        let alice = AccountName::new("alice").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            client_filters(&alice, Transport::Amqp),
            ["receive.alice.#", "error.alice"]
        );
        assert_eq!(
            client_filters(&alice, Transport::Mqtt),
            ["receive/alice/#", "error/alice"]
        );
        assert_eq!(
            server_filters(None, Transport::Amqp),
            ["send.*.request.*", "send.*.trigger.#"]
        );
        assert_eq!(
            server_filters(Some(&alice), Transport::Mqtt),
            ["send/alice/request/+", "send/alice/trigger/#"]
        );
    }
}
