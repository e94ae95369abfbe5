//! Cattle Drive over real brokers: AMQP 0-9-1 with `lapin` ([`amqp`]) and MQTT 5 with `rumqttc`
//! ([`mqtt`]), driving the sans-IO machines of `cattle_drive_types`.
//!
//! ```text
//!  CattleClient::request/trigger ──► driver task: Client ──► Link::publish ──► broker
//!  broker ──► Delivery ──► driver task: Client::handle_message ──► waiter / next_event()
//!  broker ──► Delivery ──► serve(): Server::handle_publish ──► handler ──► Link::publish
//! ```
//!
//! [`serve`] runs a [`Server`](cattle_drive_types::server::Server) on a link;
//! [`service::AccountService`] answers like cattle_grid, keeping actors and their documents in a
//! [`drive_store::DriveStore`] (in memory by default).
//!
//! Correlation ids travel as the AMQP `correlation_id` property and as MQTT 5 Correlation
//! Data (the two are what RabbitMQ converts into each other). Bodies are JSON with content type
//! `application/json`.
//!
//! Identity: over AMQP the publisher's login is the `user_id` property, which RabbitMQ checks
//! against the connection's user, so a server can trust it; [`amqp::AmqpLink`] sets it when told
//! its login. MQTT 5 carries no sender identity; there the topic rules are enforced by the
//! broker's ACLs (and by [`CattleClient`] refusing topics outside its account).

pub mod amqp;
pub mod drive_store;
mod driver;
pub mod mqtt;
pub mod service;

pub use driver::{CattleClient, RequestError, ServeRejection, TriggerOutcome, serve};

use std::future::Future;

use cattle_drive_types::topic::{Access, AccountName, Transport, authorize};

/// A message received from the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The AMQP routing key or MQTT topic it was published with.
    pub topic: String,
    /// Its correlation id, if it had one (and it was UTF-8).
    pub correlation_id: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
    /// The publisher's login as the broker vouches for it (AMQP `user_id`), if any.
    pub login: Option<String>,
}

/// A broker failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// From the AMQP client (including refusals: a closed channel, ACCESS_REFUSED).
    #[error("AMQP: {0}")]
    Amqp(#[from] lapin::Error),
    /// From the MQTT client.
    #[error("MQTT: {0}")]
    Mqtt(String),
    /// The topic is outside the account (checked before anything is sent).
    #[error(transparent)]
    Unauthorized(#[from] cattle_drive_types::topic::AuthorizationError),
    /// The connection is gone.
    #[error("the broker connection is closed")]
    Closed,
}

/// The publishing half of a broker connection.
pub trait Link: Send + Sync + 'static {
    /// Publishes `body` on `topic` (a routing key on `amq.topic`, or an MQTT topic) with
    /// `correlation_id`. Returns once the broker confirmed it (AMQP) or the connection queued
    /// it (MQTT).
    fn publish(
        &self,
        topic: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> impl Future<Output = Result<(), LinkError>> + Send;
}

/// A link that publishes only what its account may publish ([`authorize`]), checked before
/// anything is sent: the client-side guard where the broker enforces no topic rules (an
/// anonymous MQTT broker).
#[derive(Debug)]
pub struct AccountLink<L> {
    account: AccountName,
    transport: Transport,
    inner: L,
}

impl<L: Link> AccountLink<L> {
    /// Guards `inner` for `account`, whose topics are written for `transport`.
    pub fn new(account: AccountName, transport: Transport, inner: L) -> Self {
        AccountLink {
            account,
            transport,
            inner,
        }
    }

    /// Checks that `account` may subscribe to each of `filters` (call it before subscribing).
    pub fn check_filters(
        account: &AccountName,
        transport: Transport,
        filters: &[String],
    ) -> Result<(), LinkError> {
        for filter in filters {
            authorize(account, filter, Access::Subscribe, transport)?;
        }
        Ok(())
    }

    /// The guarded link.
    pub fn inner(&self) -> &L {
        &self.inner
    }
}

impl<L: Link> Link for AccountLink<L> {
    async fn publish(
        &self,
        topic: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> Result<(), LinkError> {
        authorize(&self.account, topic, Access::Publish, self.transport)?;
        self.inner.publish(topic, correlation_id, body).await
    }
}
