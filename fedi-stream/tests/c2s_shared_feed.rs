//! The `tokio` feature: `SharedFeed` and its subscribers' streams.

use std::time::Duration;

use bytes::Bytes;
use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, SessionConfig, SharedFeed, Transmit};
use fedi_stream::c2s::item::{ItemId, Json, Meta, StreamEvent};
use fedi_stream::sse::{Decoder, Output};
use futures::StreamExt;

fn outbox() -> SharedFeed {
    let collection = "https://example.com/users/alice/outbox"
        .parse()
        .expect("a URL");
    SharedFeed::new(Feed::new(FeedConfig::new(collection)))
}

fn item(n: usize) -> StreamEvent {
    let activity = Json::from_bytes(format!(r#"{{"type":"Create","n":{n}}}"#)).expect("JSON");
    StreamEvent::outbox(ItemId::new(&n.to_string()).expect("an id"), activity)
}

/// The ids of the `outbox` events in `wire`.
fn item_ids(wire: &[u8]) -> Vec<String> {
    let mut decoder = Decoder::new();
    decoder.feed(wire);
    decoder
        .filter_map(|output| match output {
            Ok(Output::Event(event)) if event.event_type() == "outbox" => {
                Some(event.last_event_id().to_owned())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_append_is_missed_by_subscribers_racing_the_writer() {
    const ITEMS: usize = 2_000;
    const SUBSCRIBERS: usize = 8;
    let feed = outbox();
    let mut readers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let mut body = feed
            .subscribe(Format::Sse, None, SessionConfig::default())
            .expect("SSE is served")
            .into_body();
        readers.push(tokio::spawn(async move {
            let mut wire = Vec::new();
            let last = format!("id: {}\n", ITEMS - 1);
            while !String::from_utf8_lossy(&wire).contains(&last) {
                let chunk: Bytes = tokio::time::timeout(Duration::from_secs(20), body.next())
                    .await
                    .expect("an append wakes the subscriber")
                    .expect("the stream goes on")
                    .expect("infallible");
                wire.extend_from_slice(&chunk);
            }
            item_ids(&wire)
        }));
    }
    let writer = feed.clone();
    tokio::spawn(async move {
        for n in 0..ITEMS {
            writer.append(item(n)).expect("appended");
            if n % 7 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });
    let expected: Vec<String> = (0..ITEMS).map(|n| n.to_string()).collect();
    for reader in readers {
        assert_eq!(reader.await.expect("the reader finishes"), expected);
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_subscriber_gets_keep_alives_on_tokios_clock() {
    let feed = outbox();
    feed.append(item(1)).expect("appended");
    let mut stream = feed
        .subscribe(Format::Sse, None, SessionConfig::default())
        .expect("SSE is served");
    // The opening position, at once.
    let Some(Transmit::Body(opening)) = stream.next().await else {
        panic!("the position")
    };
    assert!(opening.starts_with(b"event: meta\n"), "{opening:?}");
    let before = tokio::time::Instant::now();
    assert_eq!(
        stream.next().await,
        Some(Transmit::Body(Bytes::from_static(b":\n")))
    );
    assert_eq!(before.elapsed(), SessionConfig::default().keep_alive);
}

#[tokio::test]
async fn close_ends_every_stream_after_the_status() {
    let feed = outbox();
    feed.append(item(1)).expect("appended");
    let mut early = feed
        .subscribe(Format::Sse, None, SessionConfig::default())
        .expect("SSE is served")
        .into_body();
    let _ = early.next().await; // the position
    feed.close(Some(Meta::Restart {
        message: "shutting down".into(),
        in_seconds: Some(5),
    }));
    let mut rest = Vec::new();
    while let Some(chunk) = early.next().await {
        rest.extend_from_slice(&chunk.expect("infallible"));
    }
    assert!(
        String::from_utf8_lossy(&rest).contains("restart"),
        "{rest:?}"
    );

    // One that subscribes after the close ends too.
    let late = feed
        .subscribe(Format::Sse, None, SessionConfig::default())
        .expect("SSE is served");
    let transmits: Vec<Transmit> = tokio::time::timeout(Duration::from_secs(5), late.collect())
        .await
        .expect("the late stream ends");
    assert!(!transmits.is_empty(), "it is told about the restart");
}
