//! Follows an ActivityPub C2S event stream (here a `fedi-hub` inbox) with fedi-stream's
//! `ReqwestStream` (feature `reqwest`): reconnects with backoff, honours `retry:`, resumes with
//! `Last-Event-ID` and drops items it already delivered, across server restarts.
//!
//! ```sh
//! cargo run -p fedi-examples --example sse_reqwest_client -- http://127.0.0.1:8080/users/alice/inbox TOKEN 3
//! ```
//!
//! Prints `opened` when a stream opens, `reconnecting` when it ended, one
//! `ID<TAB>KIND<TAB>DATA` line per new item, and exits after COUNT items (or when the client
//! gives up).

use std::error::Error;

use fedi_stream::c2s::client::{Client, ClientConfig, ClientEvent, ReqwestStream};
use futures::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token)) = (args.next(), args.next()) else {
        return Err("usage: sse_reqwest_client URL TOKEN [COUNT]".into());
    };
    let count: usize = args.next().map_or(Ok(usize::MAX), |n| n.parse())?;

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    // Reconnect quickly (the server's `retry:` still wins); the seed spreads clients' retries.
    let config = ClientConfig::new(url.parse()?).with_backoff(
        std::time::Duration::from_millis(200),
        std::time::Duration::from_secs(5),
    );
    let seed = getrandom::u64()?;
    let mut events = ReqwestStream::new(http, Client::new(config, seed));

    let mut seen = 0;
    while seen < count {
        match events.next().await {
            Some(ClientEvent::Opened) => println!("opened"),
            Some(ClientEvent::Reconnecting { .. }) => println!("reconnecting"),
            Some(ClientEvent::Item(item)) => {
                let (kind, id, data) = item.into_parts();
                let id = id.map(|id| id.to_string()).unwrap_or_default();
                println!("{id}\t{}\t{}", kind.as_str(), data.as_str());
                seen += 1;
            }
            Some(ClientEvent::Failed(error)) => return Err(error.into()),
            Some(_) => {}
            None => break,
        }
    }
    Ok(())
}
