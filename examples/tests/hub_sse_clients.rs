//! The inbox event stream (`GET /users/alice/inbox`, `text/event-stream`) followed by the
//! popular SSE clients, unmodified: the npm `eventsource` package and Chromium's `EventSource`
//! (which reconnect by themselves), `httpx-sse` and `sseclient-py` (whose reconnect loop is the
//! application's, as their documentation shows; `examples/tests/python/sse_client.py`).
//!
//! Each client connects through a loopback proxy that the test severs (the TCP connection
//! dropped under the client while the hub keeps running), twice: (a) before the first item,
//! when all the client has is the stream's opening position, and (b) mid-stream, after items.
//! Notes are posted while the client is cut off; it must reconnect with the right
//! `Last-Event-ID` and receive every note exactly once, in order. The hub's `retry:` is 3 s,
//! so each cut costs about that.
//!
//! Peers: `examples/tests/node` (`npm ci` by `scripts/setup/node-peers.sh`), the
//! `client-peers` venv, Debian's Chromium (`scripts/setup/chromium.sh`). A test whose peer is
//! missing is skipped with a notice, unless `FEDI_TEST_STRICT` is set.

mod browser_common;
mod client_peers;
mod hub_common;

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use browser_common::{Browser, Cdp, chromium, output_dir};
use client_peers::{CutProxy, Peer, node_peers, python_peers, python_scripts};
use hub_common::{ALICE, BOB, TestHub, post_to_outbox};
use serde_json::{Value, json};

/// How long a client may take to reconnect after a cut (the hub's `retry:` is 3 s).
const RECONNECT_PATIENCE: Duration = Duration::from_secs(20);

/// A client following the stream, as reports: `open`, `error`, and `meta`/`inbox` events with
/// their `id` (the client's last event id after the event) and `data`.
enum Follower {
    Process(Peer),
    Browser {
        cdp: Cdp,
        /// Kept alive while the page runs.
        _browser: Browser,
        queue: VecDeque<Value>,
        seen: Vec<Value>,
    },
}

impl Follower {
    async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        match self {
            Follower::Process(peer) => peer.next_within(wait).await,
            Follower::Browser {
                cdp, queue, seen, ..
            } => {
                let deadline = tokio::time::Instant::now() + wait;
                loop {
                    if let Some(report) = queue.pop_front() {
                        seen.push(report.clone());
                        return Some(report);
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return None;
                    }
                    let taken = cdp
                        .evaluate("JSON.stringify(window.reports.splice(0))")
                        .await;
                    let taken: Vec<Value> =
                        serde_json::from_str(taken.as_str().expect("a JSON string"))
                            .expect("JSON reports");
                    if taken.is_empty() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    queue.extend(taken);
                }
            }
        }
    }

    fn seen(&self) -> &[Value] {
        match self {
            Follower::Process(peer) => &peer.seen,
            Follower::Browser { seen, .. } => seen,
        }
    }

    async fn stop(self) {
        if let Follower::Process(peer) = self {
            peer.stop().await;
        }
    }
}

/// The next `meta` or `inbox` report (skipping `open`/`error`), or a panic after `wait`.
async fn next_event(follower: &mut Follower, wait: Duration, what: &str) -> Value {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(report) = follower.next_within(left).await else {
            panic!("no {what} within {wait:?}; reports: {:#?}", follower.seen());
        };
        if report["kind"] == "meta" || report["kind"] == "inbox" {
            return report;
        }
    }
}

/// bob posts a note to alice; returns the `Create`'s id.
async fn post_note(hub: &TestHub, text: &str) -> String {
    let note = json!({"type": "Note", "content": text,
        "to": [format!("{}/users/alice", hub.base)]});
    let reply = post_to_outbox(&hub.base, "bob", BOB, &note).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["id"]
        .as_str()
        .expect("the activity id")
        .to_owned()
}

/// What the stream delivered: (event id, activity id) per `inbox` event.
#[derive(Default)]
struct Delivered {
    items: Vec<(String, String)>,
}

impl Delivered {
    /// Waits for the `inbox` events of `expected` activities, in order; a `meta` event (a
    /// catch-up: something the stream could not replay) fails the test.
    async fn take(&mut self, follower: &mut Follower, expected: &[String], wait: Duration) {
        for activity in expected {
            let event = next_event(follower, wait, "an inbox event").await;
            assert_eq!(
                event["kind"], "inbox",
                "only items after the opening position: {event}"
            );
            let data: Value =
                serde_json::from_str(event["data"].as_str().expect("data")).expect("JSON data");
            let id = event["id"].as_str().expect("an event id").to_owned();
            assert_eq!(
                &data["id"],
                activity,
                "the next item, once, in order; reports: {:#?}",
                follower.seen()
            );
            self.items.push((id, activity.clone()));
        }
    }

    fn last_id(&self) -> &str {
        self.items.last().map_or("", |(id, _)| id.as_str())
    }
}

/// Severs the client's connection, posts `count` notes while it is cut off (checking it has
/// not reconnected meanwhile), and returns their activity ids.
async fn cut_and_post(hub: &TestHub, proxy: &CutProxy, count: usize, tag: &str) -> Vec<String> {
    let before = proxy.accepted();
    proxy.sever();
    let mut posted = Vec::new();
    for n in 0..count {
        posted.push(post_note(hub, &format!("{tag} {n}")).await);
    }
    assert_eq!(
        proxy.accepted(),
        before,
        "the client reconnected before the notes were posted: they were not posted while it was cut off"
    );
    posted
}

/// Whether a connection accepted after `from` sent a stream request with `Last-Event-ID: id`.
fn reconnected_with(proxy: &CutProxy, from: usize, id: &str) -> bool {
    let header = format!("last-event-id: {id}\r\n");
    proxy.client_traffic()[from..]
        .iter()
        .any(|sent| sent.to_ascii_lowercase().contains(&header))
}

/// The whole walk for one client: opening position, cut before the first item, live item,
/// cut mid-stream, live item; every note exactly once, in order.
async fn cut_twice_and_resume(hub: &TestHub, proxy: &CutProxy, follower: &mut Follower) {
    // The stream opens with its position: alice's empty inbox is at "0".
    let opening = next_event(follower, RECONNECT_PATIENCE, "the opening position").await;
    assert_eq!(opening["kind"], "meta", "{opening}");
    assert_eq!(
        opening["id"], "0",
        "the client recorded the position: {opening}"
    );
    let status: Value =
        serde_json::from_str(opening["data"].as_str().expect("data")).expect("JSON data");
    assert_eq!(
        status,
        json!({"type": "position", "lastEventId": "0"}),
        "{opening}"
    );

    let mut delivered = Delivered::default();
    let mut expected = Vec::new();

    // (a) Cut before the first item.
    let reconnects_from = proxy.accepted();
    let missed = cut_and_post(hub, proxy, 2, "while cut off before the first item").await;
    delivered.take(follower, &missed, RECONNECT_PATIENCE).await;
    expected.extend(missed);
    assert!(
        reconnected_with(proxy, reconnects_from, "0"),
        "the reconnect carried Last-Event-ID: 0; client traffic: {:#?}",
        proxy.client_traffic()
    );

    // Live.
    let live = vec![post_note(hub, "live after the first cut").await];
    delivered.take(follower, &live, hub_common::PATIENCE).await;
    expected.extend(live);

    // (b) Cut mid-stream.
    let last = delivered.last_id().to_owned();
    let reconnects_from = proxy.accepted();
    let missed = cut_and_post(hub, proxy, 3, "while cut off mid-stream").await;
    delivered.take(follower, &missed, RECONNECT_PATIENCE).await;
    expected.extend(missed);
    assert!(
        reconnected_with(proxy, reconnects_from, &last),
        "the reconnect carried Last-Event-ID: {last}; client traffic: {:#?}",
        proxy.client_traffic()
    );

    // Live again; then nothing more (no duplicate arrives late).
    let live = vec![post_note(hub, "live after the second cut").await];
    delivered.take(follower, &live, hub_common::PATIENCE).await;
    expected.extend(live);
    while let Some(report) = follower.next_within(Duration::from_millis(500)).await {
        assert!(
            report["kind"] != "meta" && report["kind"] != "inbox",
            "nothing after the last note: {report}"
        );
    }

    let activities: Vec<&String> = delivered.items.iter().map(|(_, a)| a).collect();
    assert_eq!(activities, expected.iter().collect::<Vec<_>>());
    let ids: Vec<u64> = delivered
        .items
        .iter()
        .map(|(id, _)| id.parse().expect("numeric cursors"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "event ids increase: {ids:?}"
    );
}

/// A hub, and a proxy in front of it that the test cuts.
async fn hub_and_proxy() -> (TestHub, CutProxy) {
    let hub = TestHub::start().await;
    let upstream = hub
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("the hub's address");
    let proxy = CutProxy::start(upstream).await;
    (hub, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_eventsource_resumes_without_loss() {
    let Some(dir) = node_peers() else {
        return;
    };
    let (hub, proxy) = hub_and_proxy().await;
    let url = format!("http://{}/users/alice/inbox?token={ALICE}", proxy.address);
    let peer = Peer::spawn(
        "npm eventsource",
        Path::new("node"),
        &["sse_client.mjs", &url],
        &dir,
    );
    let mut follower = Follower::Process(peer);
    cut_twice_and_resume(&hub, &proxy, &mut follower).await;
    follower.stop().await;
    hub.stop().await;
}

async fn python_client_resumes_without_loss(library: &str) {
    let Some(python) = python_peers() else {
        return;
    };
    let (hub, proxy) = hub_and_proxy().await;
    let url = format!("http://{}/users/alice/inbox", proxy.address);
    let peer = Peer::spawn(
        library,
        &python,
        &["sse_client.py", library, &url, ALICE],
        &python_scripts(),
    );
    let mut follower = Follower::Process(peer);
    cut_twice_and_resume(&hub, &proxy, &mut follower).await;
    follower.stop().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn httpx_sse_resumes_without_loss() {
    python_client_resumes_without_loss("httpx-sse").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sseclient_py_resumes_without_loss() {
    python_client_resumes_without_loss("sseclient-py").await;
}

/// The page script: the browser's own `EventSource` on the inbox, its events kept for the test.
const FOLLOW: &str = r#"
window.reports = [];
const source = new EventSource("/users/alice/inbox?token=TOKEN");
source.onopen = () => reports.push({kind: "open"});
source.onerror = () => reports.push({kind: "error", readyState: source.readyState});
for (const kind of ["meta", "inbox"]) {
  source.addEventListener(kind, (event) =>
    reports.push({kind, id: event.lastEventId, data: event.data}));
}
true
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_eventsource_resumes_without_loss() {
    let Some(executable) = chromium() else {
        return;
    };
    let (hub, proxy) = hub_and_proxy().await;
    let out = output_dir("hub_sse_clients");
    let mut browser = Browser::launch(executable, &out.join("chromium.log"));
    let mut cdp = Cdp::connect(&browser.devtools_url().await).await;
    cdp.open_page().await;
    // A document from the hub's origin (through the proxy), so the stream is same-origin.
    cdp.call(
        "Page.navigate",
        json!({"url": format!("http://{}/style.css", proxy.address)}),
    )
    .await;
    cdp.wait_for(
        "the hub's origin",
        &format!(
            "document.readyState === 'complete' && location.host === {}",
            json!(proxy.address.to_string())
        ),
    )
    .await;
    assert_eq!(
        cdp.evaluate(&FOLLOW.replace("TOKEN", ALICE)).await,
        json!(true)
    );
    let mut follower = Follower::Browser {
        cdp,
        _browser: browser,
        queue: VecDeque::new(),
        seen: Vec::new(),
    };
    cut_twice_and_resume(&hub, &proxy, &mut follower).await;
    follower.stop().await;
    hub.stop().await;
}
