//! Prints the memory figures of the README: per-session state, and a hub with 100,000
//! sessions (estimated from capacities, and measured as resident-set growth on Linux).
//!
//! Run: `cargo run --release -p bus-protocol --example memory`

use std::time::Instant;

use bus_protocol::hub::{Hub, HubConfig, NoRelations};
use bus_protocol::session::{Session, SessionConfig};

const UNIX: i64 = 1_738_483_200;

/// Resident set size in bytes, from /proc/self/statm (Linux only).
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() {
    let now = Instant::now();
    let config = std::sync::Arc::new(SessionConfig::default());
    let mut session = Session::new(config, "sess_abc123", "alice.example.com", now, UNIX);
    while session.poll_transmit().is_some() {}
    println!("size_of::<Session>() = {} bytes", size_of::<Session>());
    println!(
        "session heap owned (id string, queues after welcome), no subscriptions = {} bytes",
        session.heap_size()
    );

    let n = 100_000;
    let before = rss();
    let mut hub = Hub::new(
        HubConfig {
            max_connections: n,
            ..HubConfig::default()
        },
        NoRelations,
    );
    let started = Instant::now();
    for i in 0..n {
        hub.connect(
            "tenant.example.com",
            &format!("user{i}.example.com"),
            format!("sess_{i:06}"),
            now,
            UNIX,
        )
        .expect("under the cap");
        while hub.poll_transmit().is_some() {}
        while hub.poll_event().is_some() {}
    }
    let elapsed = started.elapsed();
    let after = rss();
    println!(
        "hub with {n} sessions: connected in {:.0} ms",
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "hub heap estimate = {:.1} MiB ({} bytes per session, indexes included)",
        hub.heap_size() as f64 / (1024.0 * 1024.0),
        hub.heap_size() / n
    );
    if let (Some(b), Some(a)) = (before, after) {
        println!(
            "resident set growth = {:.1} MiB ({} bytes per session)",
            (a - b) as f64 / (1024.0 * 1024.0),
            (a - b) / n
        );
    }
}
