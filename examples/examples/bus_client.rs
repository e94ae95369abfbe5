//! Follows a Bus (here a `fedi-hub`'s `/ws/bus`) with bus-protocol's `WebSocketClient`
//! (feature `tokio-tungstenite`): subscribes to actions, pings, and reconnects with backoff
//! across server restarts, subscribing again and asking for a replay of what it missed.
//!
//! ```sh
//! cargo run -p fedi-examples --example bus_client -- ws://127.0.0.1:8080/ws/bus TOKEN 3
//! ```
//!
//! Prints `connected<TAB>USER` on every `welcome` (and sends a `ping` through the handle,
//! whose `pong` says the subscription sent before it is in place), `disconnected` when a
//! connection is gone,
//! `action<TAB>JSON` per action, `message<TAB>JSON` per other server message, and stops
//! (closing with 1000) after COUNT actions.

use std::error::Error;
use std::time::Duration;

use bus_protocol::backoff::BackoffConfig;
use bus_protocol::client::{Client, ClientConfig, ClientEvent, DriverEvent, WebSocketClient};
use bus_protocol::message::{ClientMessage, EventType, ServerMessage};
use futures::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token)) = (args.next(), args.next()) else {
        return Err("usage: bus_client URL TOKEN [COUNT]".into());
    };
    let count: usize = args.next().map_or(Ok(usize::MAX), |n| n.parse())?;

    // Reconnect quickly; the seed spreads clients' retries.
    let config = ClientConfig {
        backoff: BackoffConfig {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
        },
        ..ClientConfig::default()
    };
    let mut client = Client::new(config, getrandom::u64()?);
    client.subscribe(&[EventType::Action])?;
    let mut bus = WebSocketClient::new(url, token, client);
    let handle = bus.handle();

    let mut seen = 0;
    while let Some(event) = bus.next().await {
        match event {
            DriverEvent::Client(ClientEvent::Connected { user, .. }) => {
                println!("connected\t{user}");
                // The hub answers in order: its `pong` says the subscription is in place.
                handle.send(ClientMessage::Ping)?;
            }
            DriverEvent::Client(ClientEvent::Disconnected { .. }) => println!("disconnected"),
            DriverEvent::Client(ClientEvent::Message(message @ ServerMessage::Action(_))) => {
                println!("action\t{}", message.to_json_string());
                seen += 1;
                if seen == count {
                    handle.stop()?;
                }
            }
            DriverEvent::Client(ClientEvent::Message(message)) => {
                println!("message\t{}", message.to_json_string());
            }
            DriverEvent::Client(ClientEvent::TokenRefreshNeeded) => {
                return Err("the token was refused".into());
            }
            other => eprintln!("{other:?}"),
        }
    }
    Ok(())
}
