//! Two peers in memory with a virtual clock: a streaming server (`Feed` + `Session`, behind
//! content negotiation) and a `c2s::client::Client`, joined by a byte pipe that the tests can cut
//! at any byte. Covers the "Done when" scenarios: a disconnect in the middle of a
//! burst, the catch-up instruction for an id older than the window, and a slow subscriber cut
//! off with a meta event and bounded memory.

mod c2s_support;

use std::collections::VecDeque;
use std::time::Duration;

use c2s_support::{INBOX, Pair, activity};
use fedi_stream::c2s::feed::{FeedLimits, Format, Session, SessionConfig, SessionEvent, Transmit};
use fedi_stream::c2s::item::{CatchUp, CatchUpReason, ItemId};

#[test]
fn disconnect_mid_burst_then_resume_delivers_exactly_the_missed_events_once() {
    let mut pair = Pair::new(FeedLimits::default(), SessionConfig::default());
    pair.flow();
    assert!(
        pair.requests[0].headers().get("last-event-id").is_none(),
        "no Last-Event-ID before any id was seen"
    );

    // A burst of 20; the connection breaks in the middle of item 8's frame.
    pair.post(20);
    pair.server_writes();
    let before_8: usize = (1..=7).map(Pair::frame_len).sum();
    pair.deliver(before_8 + Pair::frame_len(8) / 2);
    pair.cut();
    assert_eq!(pair.ids(), (1..=7).collect::<Vec<_>>());
    assert_eq!(pair.client.last_event_id(), "7");

    // More arrive while the client is away.
    pair.post(5);
    pair.advance_to_next_timer(); // the reconnect delay
    pair.flow();
    assert_eq!(pair.requests.len(), 2);
    assert_eq!(pair.requests[1].headers()["last-event-id"], "7");
    assert!(pair.session_events.contains(&SessionEvent::Resumed {
        from: ItemId::new("7").unwrap(),
        replayed: 18
    }));

    // Live traffic continues on the resumed stream.
    pair.post(3);
    pair.flow();
    assert_eq!(
        pair.ids(),
        (1..=28).collect::<Vec<_>>(),
        "every item exactly once, in order"
    );
    assert_eq!(pair.client.duplicates(), 0);
    assert!(pair.duplicates.is_empty());
    assert!(pair.catch_ups.is_empty());
    for item in &pair.items {
        let n: u32 = item.id().unwrap().as_str().parse().unwrap();
        assert_eq!(item.data(), &activity(n), "the activity arrives as stored");
    }
}

#[test]
fn replayed_items_the_client_already_has_are_dropped() {
    let mut pair = Pair::new(FeedLimits::default(), SessionConfig::default());
    pair.flow();
    pair.post(10);
    pair.flow();
    pair.cut();
    // Meanwhile the application fetched 11..=15 by other means.
    pair.post(10);
    for n in 11..=15 {
        pair.client
            .note_delivered(&ItemId::new(&n.to_string()).unwrap());
        let stored = pair.store.items[n - 1].clone();
        pair.items.push(stored);
    }
    pair.advance_to_next_timer();
    pair.flow();
    assert_eq!(pair.ids(), (1..=20).collect::<Vec<_>>());
    assert_eq!(pair.client.duplicates(), 5);
    let expected: Vec<ItemId> = (11..=15)
        .map(|n: u32| ItemId::new(&n.to_string()).unwrap())
        .collect();
    assert_eq!(pair.duplicates, expected);
}

#[test]
fn an_id_older_than_the_window_gives_the_catch_up_instruction_and_nothing_is_lost() {
    let mut pair = Pair::new(
        FeedLimits::default().with_max_items(10),
        SessionConfig::default(),
    );
    pair.flow();
    pair.post(5);
    pair.flow();
    pair.cut();

    pair.post(30); // the window now holds 26..=35
    assert_eq!(pair.feed.len(), 10);
    pair.advance_to_next_timer();
    pair.flow();
    assert_eq!(pair.requests[1].headers()["last-event-id"], "5");

    let [catch_up] = pair
        .catch_ups
        .clone()
        .try_into()
        .unwrap_or_else(|all: Vec<CatchUp>| panic!("one catch-up instruction, got {all:?}"));
    assert_eq!(catch_up.reason, CatchUpReason::OutOfWindow);
    assert_eq!(catch_up.min_id.as_ref().unwrap(), "5");
    assert_eq!(catch_up.url, format!("{INBOX}?min_id=5"));
    assert_eq!(catch_up.until.as_ref().unwrap(), "35");
    assert_eq!(
        pair.ids(),
        (1..=5).collect::<Vec<_>>(),
        "the stream replays nothing it cannot"
    );

    // Live items follow the instruction on the same stream; the application catches up.
    pair.post(4);
    pair.flow();
    pair.follow_catch_up(&catch_up);
    let mut ids = pair.ids();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1..=39).collect::<Vec<_>>(),
        "nothing lost, nothing twice"
    );
}

#[test]
fn a_slow_subscriber_is_cut_off_with_a_meta_event_and_bounded_memory() {
    let limits = FeedLimits::default()
        .with_max_items(256)
        .with_max_bytes(128 << 10);
    let session = SessionConfig::default().with_max_queue(64, u64::MAX);
    let mut pair = Pair::new(limits, session);
    pair.flow();
    pair.post(3);
    pair.flow();

    // The subscriber's transport stops taking bytes: the host stops polling its session.
    for _ in 0..100 {
        pair.post(100);
        assert!(pair.feed.len() <= 256);
        assert!(pair.feed.window_bytes() <= 128 << 10);
        let (queued_items, _) = pair.connection.as_ref().unwrap().0.queued(&pair.feed);
        assert_eq!(queued_items, u64::from(pair.next_id) - 3);
    }
    // Its keep-alive timer fires: the session notices it is past its queue limit.
    pair.advance_to_next_timer();
    pair.server_writes();
    let cut = pair
        .session_events
        .iter()
        .find_map(|event| match event {
            SessionEvent::CutOff { queued_items, .. } => Some(*queued_items),
            _ => None,
        })
        .expect("cut off");
    assert_eq!(cut, 10_000);
    let (session, pipe) = pair.connection.as_mut().unwrap();
    assert!(session.is_closed());
    assert!(session.poll_transmit(pair.now, &pair.feed).is_none());
    assert!(
        pipe.len() < 512,
        "only the meta event is written: {} bytes",
        pipe.len()
    );

    pair.server_closes();
    let [catch_up] = &pair.catch_ups[..] else {
        panic!()
    };
    assert_eq!(catch_up.reason, CatchUpReason::SlowConsumer);
    assert_eq!(catch_up.min_id.as_ref().unwrap(), "3");
    assert_eq!(catch_up.url, format!("{INBOX}?min_id=3"));
    assert_eq!(pair.ids(), [1, 2, 3]);

    // It reconnects, learns the position is gone, and catches up from the store.
    pair.advance_to_next_timer();
    pair.flow();
    assert_eq!(pair.catch_ups.len(), 2);
    assert_eq!(pair.catch_ups[1].reason, CatchUpReason::OutOfWindow);
    let catch_up = pair.catch_ups[1].clone();
    pair.follow_catch_up(&catch_up);
    assert_eq!(pair.ids(), (1..=10_003).collect::<Vec<_>>());
}

#[test]
fn keep_alives_on_the_virtual_clock_and_idle_reconnect() {
    let mut pair = Pair::new(FeedLimits::default(), SessionConfig::default());
    pair.flow();
    let start = pair.now;
    // Silence: the server sends a keep-alive every 15 s, which keeps the client's idle timer
    // (45 s) from firing.
    for round in 1..=6 {
        pair.advance_to_next_timer();
        assert_eq!(pair.now, start + Duration::from_secs(15 * round));
        let (session, pipe) = pair.connection.as_mut().unwrap();
        while let Some(transmit) = session.poll_transmit(pair.now, &pair.feed) {
            assert_eq!(transmit, Transmit::Body(":\n".into()));
            pipe.extend(b":\n");
            pair.keep_alives += 1;
        }
        pair.deliver(usize::MAX);
        assert!(pair.client.is_open());
    }
    assert_eq!(pair.keep_alives, 6);

    // The server goes silent (its timers stop): 45 s later the client reconnects.
    let silent_from = pair.now;
    let (session, _) = pair.connection.take().unwrap();
    drop(session);
    pair.connection = Some((
        Session::new(
            &pair.feed,
            Format::Sse,
            None,
            SessionConfig::default().with_keep_alive(Duration::from_secs(3600)),
            pair.now,
        )
        .unwrap(),
        VecDeque::new(),
    ));
    pair.advance_to_next_timer();
    assert_eq!(pair.now, silent_from + Duration::from_secs(45));
    assert!(pair.connection.is_none(), "the idle connection was dropped");
    pair.advance_to_next_timer();
    pair.flow();
    assert_eq!(pair.requests.len(), 2);
}

#[test]
fn a_new_subscriber_is_given_the_position_so_an_early_disconnect_loses_nothing() {
    let mut pair = Pair::new(FeedLimits::default(), SessionConfig::default());
    pair.post(3); // history the new subscriber does not ask for
    pair.flow();
    assert!(
        pair.items.is_empty(),
        "a new subscriber gets live items only"
    );
    assert_eq!(
        pair.client.last_event_id(),
        "3",
        "the stream opened with `id: 3`"
    );

    // The connection breaks before any live item; two arrive meanwhile.
    pair.cut();
    pair.post(2);
    pair.advance_to_next_timer();
    pair.flow();
    assert_eq!(pair.requests[1].headers()["last-event-id"], "3");
    assert_eq!(pair.ids(), [4, 5]);
    assert!(pair.catch_ups.is_empty());
}
