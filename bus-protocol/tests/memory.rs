//! What a hub holds per session, counted with a counting global allocator: every byte
//! allocated and not freed, whoever allocated it. One test in its own binary, so that no other
//! test allocates while it counts.

use std::alloc::System;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::hub::{Hub, HubConfig, NoRelations, SessionKey};
use bus_protocol::session::SessionConfig;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const UNIX: i64 = 1_738_483_200;

fn held(region: &Region<'_, System>) -> isize {
    let change = region.change();
    change.bytes_allocated as isize - change.bytes_deallocated as isize
}

fn connect_all(hub: &mut Hub, from: usize, now: Instant) -> Vec<SessionKey> {
    (from..from + N)
        .map(|i| {
            let key = hub
                .connect(
                    now,
                    wall(UNIX),
                    "tenant.example.com",
                    &format!("user{i}.example.com"),
                    format!(
                        "sess_{:016x}",
                        (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    ),
                )
                .expect("under the cap");
            hub.handle_text(
                now,
                wall(UNIX),
                key,
                r#"{"type":"subscribe","events":["action"]}"#,
            )
            .expect("open");
            while hub.poll_transmit().is_some() {}
            while hub.poll_event().is_some() {}
            key
        })
        .collect()
}

const N: usize = 10_000;

#[test]
fn a_connected_and_subscribed_session_costs_at_most_512_bytes_and_closed_ones_are_reused() {
    let region = Region::new(GLOBAL);
    let config = HubConfig {
        max_connections: N,
        session: SessionConfig {
            silence_timeout: None,
            ..SessionConfig::default()
        },
        ..HubConfig::default()
    };
    let mut hub = Hub::new(config, NoRelations);
    let now = Instant::now();
    let mut keys = Vec::with_capacity(N);
    let keys_bytes = held(&region);
    keys.extend(connect_all(&mut hub, 0, now));
    let peak = held(&region);
    let per_session = (peak - keys_bytes) as usize / N;
    assert!(per_session <= 512, "{per_session} bytes per session");
    assert!(
        per_session >= 256,
        "{per_session}: a session itself is larger"
    );

    // Every session gone, and every presence timer run (the `offline` broadcasts wait for
    // the throttle interval, and the users' entries for one more): the indexes are empty, and
    // as many new users connect within the memory the first ones had.
    for key in keys.drain(..) {
        hub.handle_end(now, wall(UNIX), key).unwrap();
    }
    let mut later = now;
    while let Some(at) = hub.poll_timeout() {
        assert!(
            at < now + Duration::from_secs(10),
            "only presence timers are left"
        );
        later = at;
        hub.handle_timeout(at, wall(UNIX)).unwrap();
        while hub.poll_transmit().is_some() {}
        while hub.poll_event().is_some() {}
    }
    assert!(hub.is_empty());
    assert_eq!(hub.sessions_on("tenant.example.com"), &[]);
    assert!(!hub.is_online("user0.example.com"));
    assert!(held(&region) < peak);
    keys.extend(connect_all(&mut hub, N, later));
    assert_eq!(hub.len(), N);
    let again = held(&region);
    assert!(
        again <= peak + peak / 50,
        "{again} bytes held after reconnecting, {peak} the first time"
    );
}
