//! May an account publish on, or subscribe to, a key?

use super::{AccountName, RoutingKey, TopicError, Transport};
use crate::truncated;

/// What an account wants to do with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Publish a message with this routing key / topic.
    Publish,
    /// Bind a queue / subscribe with this filter (wildcards allowed after the account).
    Subscribe,
}

/// Why [`authorize`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// The key is not a Cattle Drive key this account may publish.
    #[error("account `{account}` may not publish on `{key}`: {reason}")]
    Publish {
        /// The account.
        account: String,
        /// The key (at most 64 characters of it).
        key: String,
        /// Why.
        reason: String,
    },
    /// The filter reaches beyond the account's server-to-client keys.
    #[error(
        "account `{account}` may not subscribe to `{filter}`: only receive.NAME.… and error.NAME of its own"
    )]
    Subscribe {
        /// The account.
        account: String,
        /// The filter (at most 64 characters of it).
        filter: String,
    },
}

/// Whether `account` may have `access` to `key` (a routing key or MQTT topic when publishing,
/// a binding key or MQTT topic filter when subscribing).
///
/// cattle_grid lets RabbitMQ ask it (`rabbitmq_auth_backend_http`, `/rabbitmq/topic`) and allows
/// an account `NAME` any key starting with `send.NAME.` or `receive.NAME.`, and `error.NAME`,
/// on the exchange `amq.topic`, for reading and writing alike. This applies the same account
/// rule and also the direction: a client publishes only requests and triggers of its own
/// account (a well-formed `send.NAME.…` key) and subscribes only to its own server-to-client
/// keys (filters starting with `receive.NAME.`, or exactly `error.NAME`). So a client can
/// neither forge responses nor read another account's traffic, nor wildcard its way into one.
pub fn authorize(
    account: &AccountName,
    key: &str,
    access: Access,
    transport: Transport,
) -> Result<(), AuthorizationError> {
    match access {
        Access::Publish => {
            let refuse = |reason: String| AuthorizationError::Publish {
                account: account.to_string(),
                key: truncated(key),
                reason,
            };
            let parsed =
                RoutingKey::parse(key, transport).map_err(|e: TopicError| refuse(e.to_string()))?;
            if &parsed.account != account {
                return Err(refuse(format!(
                    "the key belongs to account `{}`",
                    parsed.account
                )));
            }
            if !parsed.kind().is_client_to_server() {
                return Err(refuse(
                    "clients publish only requests and triggers".to_owned(),
                ));
            }
            Ok(())
        }
        Access::Subscribe => {
            let sep = transport.separator();
            let receive = format!("receive{sep}{account}{sep}");
            let error = format!("error{sep}{account}");
            let tail_ok = key
                .strip_prefix(&receive)
                .is_some_and(|tail| !tail.is_empty());
            if tail_ok || key == error {
                Ok(())
            } else {
                Err(AuthorizationError::Subscribe {
                    account: account.to_string(),
                    filter: truncated(key),
                })
            }
        }
    }
}

/// RabbitMQ topic permissions that make a stock broker enforce [`authorize`] for a user named
/// after the account, without cattle_grid's HTTP auth backend:
/// `rabbitmqctl set_topic_permissions NAME amq.topic WRITE READ`. RabbitMQ checks `write` on
/// publish and `read` on `queue.bind` to a topic exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RabbitMqTopicPermissions {
    /// The exchange: `amq.topic`.
    pub exchange: &'static str,
    /// Regular expression of the routing keys the user may publish: its `send.NAME.` keys.
    pub write: String,
    /// Regular expression of the binding keys the user may bind: `receive.NAME.…` and `error.NAME`.
    pub read: String,
}

impl RabbitMqTopicPermissions {
    /// The permissions of `account`. Account names hold only `[a-zA-Z0-9_]`, so they need no
    /// escaping in a regular expression.
    pub fn for_account(account: &AccountName) -> Self {
        RabbitMqTopicPermissions {
            exchange: super::ACCOUNT_EXCHANGE,
            write: format!(r"^send\.{account}\.(request|trigger)\..+$"),
            read: format!(r"^(receive\.{account}\..+|error\.{account})$"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> AccountName {
        AccountName::new("alice").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn publish_only_own_requests_and_triggers() {
        for key in [
            "send.alice.request.info",
            "send.alice.trigger.send_message",
            "send.alice.trigger.a.b",
        ] {
            assert_eq!(
                authorize(&alice(), key, Access::Publish, Transport::Amqp),
                Ok(()),
                "{key}"
            );
        }
        for key in [
            "send.bob.request.info",
            "receive.alice.response.info",
            "error.alice",
            "send.alice.request.other",
            "send.*.request.info",
            "send.alice.#",
            "combined.alice",
        ] {
            assert!(
                authorize(&alice(), key, Access::Publish, Transport::Amqp).is_err(),
                "{key}"
            );
        }
        assert_eq!(
            authorize(
                &alice(),
                "send/alice/request/fetch",
                Access::Publish,
                Transport::Mqtt
            ),
            Ok(())
        );
    }

    #[test]
    fn subscribe_only_own_server_to_client_keys() {
        for filter in [
            "receive.alice.#",
            "receive.alice.response.*",
            "receive.alice.incoming.Follow",
            "error.alice",
        ] {
            assert_eq!(
                authorize(&alice(), filter, Access::Subscribe, Transport::Amqp),
                Ok(()),
                "{filter}"
            );
        }
        for filter in [
            "receive.bob.#",
            "receive.#",
            "receive.*.response.info",
            "receive.alice",
            "receive.alice.",
            "receive.alicex.#",
            "error.*",
            "error.#",
            "error.alice.x",
            "send.alice.#",
            "combined.alice",
            "#",
        ] {
            assert!(
                authorize(&alice(), filter, Access::Subscribe, Transport::Amqp).is_err(),
                "{filter}"
            );
        }
        assert_eq!(
            authorize(
                &alice(),
                "receive/alice/#",
                Access::Subscribe,
                Transport::Mqtt
            ),
            Ok(())
        );
        assert!(authorize(&alice(), "receive/+/#", Access::Subscribe, Transport::Mqtt).is_err());
    }

    #[test]
    fn rabbitmq_permissions_name_the_account() {
        let p = RabbitMqTopicPermissions::for_account(&alice());
        assert_eq!(p.write, r"^send\.alice\.(request|trigger)\..+$");
        assert_eq!(p.read, r"^(receive\.alice\..+|error\.alice)$");
    }
}
