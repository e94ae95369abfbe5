//! Cattle Drive over MQTT 5 with `rumqttc` (tested against Mosquitto).
//!
//! Topics are the routing keys with `/` for `.`; the correlation id travels as MQTT 5
//! Correlation Data, the body's content type as the Content Type property. Publishes and
//! subscriptions use QoS 1.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use tokio::sync::{mpsc, oneshot};

use super::{Delivery, Link, LinkError};

/// How many deliveries wait for the consumer of a link.
const DELIVERY_BUFFER: usize = 256;

/// A connection to an MQTT 5 broker for one client or server.
#[derive(Debug)]
pub struct MqttLink {
    client: AsyncClient,
}

impl MqttLink {
    /// Connects to `host:port` as `client_id`, subscribes to `filters` and returns once the
    /// broker has acknowledged every subscription, with the link and its deliveries.
    pub async fn connect(
        host: &str,
        port: u16,
        client_id: &str,
        filters: &[String],
    ) -> Result<(Self, mpsc::Receiver<Delivery>), LinkError> {
        let mut options = MqttOptions::new(client_id, host, port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_start(true);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let (tx, rx) = mpsc::channel(DELIVERY_BUFFER);
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), String>>();
        let mut ready = Some(ready_tx);
        let mut acks_missing = filters.len();
        for filter in filters {
            client
                .subscribe(filter.as_str(), QoS::AtLeastOnce)
                .await
                .map_err(|e| LinkError::Mqtt(e.to_string()))?;
        }
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        acks_missing = acks_missing.saturating_sub(1);
                        if acks_missing == 0
                            && let Some(ready) = ready.take()
                        {
                            let _ = ready.send(Ok(()));
                        }
                    }
                    Ok(Event::Incoming(Packet::ConnAck(_))) if acks_missing == 0 => {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(Ok(()));
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        let correlation_id = publish
                            .properties
                            .as_ref()
                            .and_then(|p| p.correlation_data.as_ref())
                            .and_then(|d| std::str::from_utf8(d).ok())
                            .map(str::to_owned);
                        let delivery = Delivery {
                            topic: String::from_utf8_lossy(&publish.topic).into_owned(),
                            correlation_id,
                            body: publish.payload.to_vec(),
                            login: None,
                        };
                        if tx.send(delivery).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(Err(error.to_string()));
                        }
                        break;
                    }
                }
            }
        });
        match ready_rx.await {
            Ok(Ok(())) => Ok((MqttLink { client }, rx)),
            Ok(Err(error)) => Err(LinkError::Mqtt(error)),
            Err(_) => Err(LinkError::Closed),
        }
    }

    /// Disconnects.
    pub async fn close(&self) {
        let _ = self.client.disconnect().await;
    }
}

impl Link for MqttLink {
    async fn publish(
        &self,
        topic: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> Result<(), LinkError> {
        let properties = PublishProperties {
            correlation_data: correlation_id.map(|id| Bytes::copy_from_slice(id.as_bytes())),
            content_type: Some("application/json".to_owned()),
            ..PublishProperties::default()
        };
        self.client
            .publish_with_properties(topic, QoS::AtLeastOnce, false, body.to_vec(), properties)
            .await
            .map_err(|e| LinkError::Mqtt(e.to_string()))
    }
}
