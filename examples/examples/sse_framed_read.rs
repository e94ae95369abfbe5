//! Reads a `text/event-stream` with `tokio_util::codec::FramedRead` and fedi-stream's
//! `SseCodec` (feature `tokio-util`): here an ActivityPub inbox of `fedi-hub`, over hyper.
//!
//! ```sh
//! cargo run -p fedi-examples --example sse_framed_read -- http://127.0.0.1:8080/users/alice/inbox TOKEN 3
//! ```
//!
//! Prints one line per event, `ID<TAB>TYPE<TAB>DATA`, and exits after COUNT events (or when the
//! stream ends).

use std::error::Error;

use bytes::Bytes;
use fedi_stream::sse::{Output, SseCodec};
use futures::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;
use tokio_util::io::StreamReader;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token)) = (args.next(), args.next()) else {
        return Err("usage: sse_framed_read URL TOKEN [COUNT]".into());
    };
    let count: usize = args.next().map_or(Ok(usize::MAX), |n| n.parse())?;
    let uri: hyper::Uri = url.parse()?;
    let authority = uri.authority().ok_or("the URL has no host")?.clone();

    // An HTTP/1.1 connection with hyper; any HTTP client that gives the body as a stream of
    // byte chunks fits the same way.
    let tcp = TcpStream::connect(authority.as_str()).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(uri.path())
        .header(hyper::header::HOST, authority.as_str())
        .header(hyper::header::ACCEPT, "text/event-stream")
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if !response.status().is_success() {
        return Err(format!("the server answered {}", response.status()).into());
    }

    // The body's data frames as an `AsyncRead`, framed into SSE outputs.
    let chunks = response
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let mut outputs = FramedRead::new(StreamReader::new(chunks), SseCodec::new());

    let mut seen = 0;
    while seen < count {
        let Some(output) = outputs.next().await else {
            break;
        };
        if let Output::Event(event) = output? {
            println!(
                "{}\t{}\t{}",
                event.last_event_id(),
                event.event_type(),
                event.data()
            );
            seen += 1;
        }
    }
    Ok(())
}
