//! What a hostile account can make the hub hold in memory, measured on this process's own
//! resident set (`VmRSS`), against a hub on SQLite in a data directory, as `fedi-hub` runs by
//! default. One test in this file, so that nothing else runs in the process meanwhile.
//!
//! - 100 posts of about 900 KB: the account's byte quota refuses what is over it (`507`), what
//!   is kept lives in the database, and each live stream holds a bounded window.
//! - 40 C2S WebSockets each holding an unfinished 15 MiB fragmented message: at most
//!   `Limits::c2s_sockets_per_account` open (`429` for the others), so at most that many
//!   unfinished messages.

mod hub_common;

use std::time::Duration;

use fedi_examples::hub::{AccountSeed, Config, Storage};
use hub_common::{ALICE, BOB, TestHub, post_to_outbox};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const MIB: u64 = 1024 * 1024;

/// This process's resident set, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("a VmRSS line")
        * 1024
}

/// Opens alice's C2S WebSocket by hand and starts a fragmented binary message of `total`
/// bytes, sending all but its last fragment; returns the stream, or the refusal's status.
async fn unfinished_message(address: &str, total: usize) -> Result<TcpStream, u16> {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let status = hub_common::raw_c2s_upgrade(&mut stream, address).await;
    if status != 101 {
        return Err(status);
    }
    // Fragments of 1 MiB, masked with a zero key (the payload is sent as it is).
    let chunk = vec![0u8; MIB as usize];
    let fragments = total / chunk.len();
    for n in 0..fragments.saturating_sub(1) {
        let opcode = if n == 0 { 0x2 } else { 0x0 };
        let mut frame = vec![opcode, 0x80 | 127];
        frame.extend_from_slice(&(chunk.len() as u64).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0, 0]);
        stream.write_all(&frame).await.expect("frame header");
        stream.write_all(&chunk).await.expect("frame payload");
    }
    Ok(stream)
}

#[tokio::test]
async fn a_hostile_account_cannot_grow_the_hub_without_bound() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "hub_memory_{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let mut config = Config::new(vec![
        AccountSeed::new("alice", ALICE),
        AccountSeed::new("bob", BOB),
    ]);
    config.storage = Storage::Directory(dir.clone());
    // alice's stream is read only after the posts: it must not be dropped as a client that
    // stopped reading before then.
    config.limits.write_stall_timeout = Duration::from_secs(600);
    let hub = TestHub::start_with(config).await;
    let before = rss();

    // 100 posts of ~900 KB from bob to alice (with alice's inbox stream open, so its feed
    // holds its window).
    let mut stream =
        hub_common::event_stream(&format!("{}/users/alice/inbox", hub.base), ALICE, None).await;
    let big = "x".repeat(900 * 1024);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..100 {
        let note =
            json!({"type": "Note", "content": big, "to": [format!("{}/users/alice", hub.base)]});
        match post_to_outbox(&hub.base, "bob", BOB, &note).await.status {
            201 => accepted += 1,
            507 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    while stream
        .next_within(Duration::from_millis(200))
        .await
        .is_some()
    {}
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
    let after_posts = rss();
    let grown = after_posts.saturating_sub(before);
    eprintln!(
        "posts: {accepted} accepted, {refused} refused by the quota; RSS grew {} MiB",
        grown / MIB
    );
    // Unbounded, this grew by about 730 MB; the windows of the feeds hold 4 MiB each.
    assert!(grown < 160 * MIB, "RSS grew by {} MiB", grown / MIB);

    // 40 C2S WebSockets each starting a 15 MiB message.
    let address = hub.base.trim_start_matches("http://").to_owned();
    let mut open = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        match unfinished_message(&address, 15 * MIB as usize).await {
            Ok(stream) => open.push(stream),
            Err(status) => statuses.push(status),
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(open.len(), 4, "Limits::c2s_sockets_per_account");
    assert!(statuses.iter().all(|s| *s == 429), "{statuses:?}");
    let after_sockets = rss();
    let grown = after_sockets.saturating_sub(after_posts);
    eprintln!(
        "sockets: {} open, {} refused; RSS grew {} MiB",
        open.len(),
        statuses.len(),
        grown / MIB
    );
    // Unbounded, 40 such sockets took about 660 MB; four hold at most 4 x 14 MiB.
    assert!(grown < 100 * MIB, "RSS grew by {} MiB", grown / MIB);
    drop(open);
    hub.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
