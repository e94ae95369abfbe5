//! Mastodon streaming frames on arbitrary text: the server-frame and client-command decoders
//! never panic, and what decodes re-encodes to the same frame; subscriptions stay bounded.
#![no_main]

use fedi_stream::c2s::mastodon::{
    ClientCommand, FrameLimits, ServerFrame, StreamingEvent, Subscriptions,
};
use fedi_stream::sse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let limits = FrameLimits::default();
    if let Ok(frame) = ServerFrame::decode(&text, &limits) {
        assert_eq!(
            ServerFrame::decode(&frame.encode(), &limits).as_ref(),
            Ok(&frame)
        );
    }
    let mut subscriptions = Subscriptions::new(4);
    for line in text.lines().take(64) {
        if let Ok(command) = ClientCommand::decode(line, &limits) {
            assert_eq!(
                ClientCommand::decode(&command.encode(), &limits).as_ref(),
                Ok(&command)
            );
            let _ = subscriptions.apply(command);
            assert!(subscriptions.streams().len() <= 4);
        }
    }
    // The same text as a Mastodon SSE stream.
    let mut decoder = sse::Decoder::new();
    decoder.feed(data);
    decoder.finish();
    for output in decoder.by_ref() {
        if let Ok(sse::Output::Event(event)) = output {
            let _ = StreamingEvent::from_sse(&event);
        }
    }
});
