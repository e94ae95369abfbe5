//! Cattle Drive over AMQP 0-9-1 (RabbitMQ) with `lapin`.
//!
//! Messages go to the topic exchange `amq.topic`, as cattle_grid's account exchange. Each link
//! uses two channels: one consuming its queue, one publishing in confirm mode, so a publish the
//! broker refuses (topic permissions, a forged `user_id`) comes back as an error of
//! [`Link::publish`] and does not stop the deliveries.

use futures::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::sync::mpsc;

use super::{Delivery, Link, LinkError};
use cattle_drive_types::topic::ACCOUNT_EXCHANGE;

/// How many deliveries wait for the consumer of a link before the broker is slowed down.
const DELIVERY_BUFFER: usize = 256;

/// A connection to RabbitMQ for one client or server.
pub struct AmqpLink {
    connection: Connection,
    publisher: Channel,
    user_id: Option<String>,
}

impl std::fmt::Debug for AmqpLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpLink")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl AmqpLink {
    /// Connects to `uri` (`amqp://user:password@host:port/%2f`). With `user_id`, every publish
    /// carries it as the `user_id` property (RabbitMQ refuses it unless it is the connection's
    /// user, so servers can trust it). With `filters`, declares the exclusive, auto-deleted queue
    /// `queue`, binds it to each filter on `amq.topic` and returns its deliveries.
    pub async fn connect(
        uri: &str,
        user_id: Option<&str>,
        queue: &str,
        filters: &[String],
    ) -> Result<(Self, mpsc::Receiver<Delivery>), LinkError> {
        Self::open(uri, user_id, queue, filters, true).await
    }

    /// [`AmqpLink::connect`] on a queue that several connections share: each delivery goes to
    /// one of them (RabbitMQ's competing consumers), so several instances of one server answer
    /// each message once. The queue is deleted when its last consumer leaves.
    pub async fn connect_shared(
        uri: &str,
        user_id: Option<&str>,
        queue: &str,
        filters: &[String],
    ) -> Result<(Self, mpsc::Receiver<Delivery>), LinkError> {
        Self::open(uri, user_id, queue, filters, false).await
    }

    async fn open(
        uri: &str,
        user_id: Option<&str>,
        queue: &str,
        filters: &[String],
        exclusive: bool,
    ) -> Result<(Self, mpsc::Receiver<Delivery>), LinkError> {
        let connection = Connection::connect(uri, ConnectionProperties::default()).await?;
        let publisher = connection.create_channel().await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let (tx, rx) = mpsc::channel(DELIVERY_BUFFER);
        if !filters.is_empty() {
            let consumer_channel = connection.create_channel().await?;
            let options = QueueDeclareOptions {
                exclusive,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            };
            consumer_channel
                .queue_declare(queue.into(), options, FieldTable::default())
                .await?;
            for filter in filters {
                consumer_channel
                    .queue_bind(
                        queue.into(),
                        ACCOUNT_EXCHANGE.into(),
                        filter.as_str().into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
            }
            let options = BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            };
            let mut consumer = consumer_channel
                .basic_consume(queue.into(), queue.into(), options, FieldTable::default())
                .await?;
            tokio::spawn(async move {
                while let Some(Ok(delivery)) = consumer.next().await {
                    let properties = &delivery.properties;
                    let message = Delivery {
                        topic: delivery.routing_key.as_str().to_owned(),
                        correlation_id: properties
                            .correlation_id()
                            .as_ref()
                            .map(|c| c.as_str().to_owned()),
                        login: properties.user_id().as_ref().map(|u| u.as_str().to_owned()),
                        body: delivery.data,
                    };
                    if tx.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
        Ok((
            AmqpLink {
                connection,
                publisher,
                user_id: user_id.map(str::to_owned),
            },
            rx,
        ))
    }

    /// Closes the connection (its exclusive queue goes with it).
    pub async fn close(&self) {
        let _ = self.connection.close(200, "bye".into()).await;
    }
}

impl Link for AmqpLink {
    async fn publish(
        &self,
        topic: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> Result<(), LinkError> {
        let mut properties =
            BasicProperties::default().with_content_type("application/json".into());
        if let Some(id) = correlation_id {
            properties = properties.with_correlation_id(id.into());
        }
        if let Some(user) = &self.user_id {
            properties = properties.with_user_id(user.as_str().into());
        }
        let confirm = self
            .publisher
            .basic_publish(
                ACCOUNT_EXCHANGE.into(),
                topic.into(),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await?;
        confirm.await?;
        Ok(())
    }
}
