//! The crash test: the real `fedi-hub` binary, killed with SIGKILL at a random moment while a
//! client posts continuously and another follows the inbox over SSE, then started again on the
//! same data (an SQLite directory, or a throwaway PostgreSQL database).
//!
//! After the restart: every post that got a `201` is there under the same id; new ids are
//! larger than all old ones; the SSE client resumes with its `Last-Event-ID` and receives
//! exactly what it missed, once; a Versia delivery accepted before the crash is refused as a
//! replay after it; the printed tokens still work.

mod hub_common;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hub_common::{Read, TestDatabase, event_stream, get, post_to_outbox, request};
use serde_json::{Value, json};
use versia_ws::signature::SignatureHeaders;
use versia_ws::{PrivateKey, SignedBy, Version};

const PEER: &str = "peer.test";
const HUB: &str = "hub.test";

fn peer_key() -> PrivateKey {
    PrivateKey::from_seed(&[9; 32])
}

fn nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port")
        .port()
}

/// A running `fedi-hub` process and the tokens its banner printed.
struct Hub {
    child: Child,
    base: String,
    tokens: BTreeMap<String, String>,
}

impl Hub {
    /// Starts the binary with `storage` arguments on `port`, and waits for its banner.
    fn start(storage: &[String], port: u16) -> Hub {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fedi-hub"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--account", "alice", "--account", "bob"])
            .args(["--versia-domain", HUB])
            .args([
                "--versia-peer",
                &format!("{PEER}={}", peer_key().public_key().to_spki_base64()),
            ])
            .args(storage)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fedi-hub");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut tokens = BTreeMap::new();
        let mut in_accounts = false;
        for line in lines.by_ref() {
            let line = line.expect("the banner");
            if line.starts_with("Accounts") {
                in_accounts = true;
            } else if in_accounts {
                match line.split_whitespace().collect::<Vec<_>>()[..] {
                    [name, token] => {
                        tokens.insert(name.to_owned(), token.to_owned());
                    }
                    _ => in_accounts = false,
                }
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        // Keep reading (and dropping) what it prints, so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        assert!(tokens.contains_key("alice"), "the banner lists alice");
        Hub {
            child,
            base: format!("http://127.0.0.1:{port}"),
            tokens,
        }
    }

    fn token(&self, name: &str) -> String {
        self.tokens[name].clone()
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed Versia delivery of a note for alice: (headers, body).
fn versia_delivery(base: &str) -> (Vec<(String, String)>, String) {
    let body = json!({
        "id": format!("crash-{}", nanos()),
        "type": "Note",
        "created_at": "2024-10-18T09:23:37Z",
        "author": "carol",
        "content": {"text/plain": {"content": "signed before the crash"}},
        "group": null,
        "mentions": [format!("{HUB}:alice")],
    })
    .to_string();
    let mut signed = http::Request::post(format!("{base}/.versia/v0.6/inbox"))
        .body(body.as_bytes().to_vec())
        .unwrap();
    SignatureHeaders::sign_request(
        &mut signed,
        &peer_key(),
        SignedBy::instance(PEER),
        Version::V0_6,
        SystemTime::now(),
    )
    .unwrap();
    let headers = signed
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    (headers, body)
}

async fn deliver(base: &str, headers: &[(String, String)], body: &str) -> u16 {
    let mut pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("content-type", "application/json"));
    request(
        "POST",
        &format!("{base}/.versia/v0.6/inbox"),
        &pairs,
        Bytes::from(body.to_owned()),
    )
    .await
    .status
}

fn note(base: &str, text: &str) -> Value {
    json!({"type": "Note", "content": text, "to": [format!("{base}/users/alice")]})
}

/// An inbox event: (item id, note content).
fn item(event: &fedi_stream::sse::Event) -> Option<(u64, String)> {
    if event.event_type() != "inbox" {
        return None;
    }
    let data: Value = serde_json::from_str(event.data()).ok()?;
    Some((
        event.last_event_id().parse().ok()?,
        data["object"]["content"].as_str()?.to_owned(),
    ))
}

async fn crash_and_restart(storage: Vec<String>) {
    let port = free_port();
    let hub = Hub::start(&storage, port);
    let base = hub.base.clone();
    let (alice, bob) = (hub.token("alice"), hub.token("bob"));
    let inbox = format!("{base}/users/alice/inbox");
    // The hub answers once it listens.
    let mut ready = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the hub listens");

    let (versia_headers, versia_body) = versia_delivery(&base);
    assert_eq!(deliver(&base, &versia_headers, &versia_body).await, 200);

    // alice follows her inbox; bob posts until the hub dies.
    let seen: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut stream = event_stream(&inbox, &alice, None).await;
    let reader = {
        let seen = seen.clone();
        tokio::spawn(async move {
            loop {
                match stream.read(Duration::from_secs(30)).await {
                    Read::Event(event) => {
                        if let Some(item) = item(&event) {
                            seen.lock().unwrap().push(item);
                        }
                    }
                    Read::Quiet | Read::Ended | Read::Broken(_) => return,
                }
            }
        })
    };
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let poster = {
        let (acknowledged, base, bob) = (acknowledged.clone(), base.clone(), bob.clone());
        tokio::spawn(async move {
            for n in 0.. {
                let text = format!("post {n}");
                let Some(reply) =
                    hub_common::try_post(&base, "bob", &bob, &note(&base, &text)).await
                else {
                    return;
                };
                assert_eq!(
                    reply.status,
                    201,
                    "{}",
                    String::from_utf8_lossy(&reply.body)
                );
                let location = reply.header("location").unwrap().to_owned();
                acknowledged.lock().unwrap().push((location, text));
            }
        })
    };
    // Kill at a random moment, once some posts went through.
    let delay = Duration::from_millis(300 + nanos() % 900);
    tokio::time::sleep(delay).await;
    hub.kill();
    poster.await.expect("the poster stops when the hub is gone");
    reader.await.expect("the reader stops when the hub is gone");
    let acknowledged = acknowledged.lock().unwrap().clone();
    let seen = seen.lock().unwrap().clone();
    assert!(
        !acknowledged.is_empty(),
        "posts went through before the crash"
    );

    let hub = Hub::start(&storage, port);
    assert_eq!(hub.token("alice"), alice, "the printed tokens are kept");
    assert_eq!(hub.token("bob"), bob);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every acknowledged post is there under its id.
    for (location, text) in &acknowledged {
        let fetched = get(location, Some(&alice)).await;
        assert_eq!(fetched.status, 200, "{location} survived");
        assert_eq!(fetched.json()["object"]["content"], text.as_str());
    }
    // The Versia delivery is still a replay.
    assert_eq!(
        deliver(&base, &versia_headers, &versia_body).await,
        401,
        "a replay stays a replay across a crash"
    );
    // The SSE client resumes from the last id it saw: it gets every acknowledged post it had
    // not seen, each once, in order, then live ones with larger ids.
    let last = seen.last().map(|(id, _)| id.to_string());
    let mut resumed = event_stream(&inbox, &alice, last.as_deref()).await;
    let after = post_to_outbox(&base, "bob", &bob, &note(&base, "after the crash")).await;
    assert_eq!(after.status, 201);
    let mut got = Vec::new();
    loop {
        match resumed.read(Duration::from_secs(2)).await {
            Read::Event(event) => {
                if let Some(item) = item(&event) {
                    got.push(item);
                    if got
                        .last()
                        .is_some_and(|(_, text)| text == "after the crash")
                    {
                        break;
                    }
                }
            }
            other => panic!("the resumed stream ended early: {other:?} after {got:?}"),
        }
    }
    assert!(
        matches!(resumed.read(Duration::from_millis(500)).await, Read::Quiet),
        "nothing more, nothing twice"
    );
    let seen_texts: HashSet<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
    let got_texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
    let unique: HashSet<&str> = got_texts.iter().copied().collect();
    assert_eq!(unique.len(), got_texts.len(), "each once: {got_texts:?}");
    assert!(
        got_texts.iter().all(|t| !seen_texts.contains(t)),
        "nothing seen before the crash is sent again"
    );
    for (_, text) in &acknowledged {
        assert!(
            seen_texts.contains(text.as_str()) || unique.contains(text.as_str()),
            "acknowledged `{text}` reached the stream"
        );
    }
    let ids: Vec<u64> = got.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    let newest_before = seen.iter().map(|(id, _)| *id).max().unwrap_or(0);
    let after_id = got.last().unwrap().0;
    assert!(after_id > newest_before, "new ids are larger than old ones");
    // Ids of the posts before the crash are all smaller than the one after it.
    let page = get(&format!("{inbox}?page=true&limit=100"), Some(&alice))
        .await
        .json();
    let newest_item = page["orderedItems"][0]["object"]["content"].clone();
    assert_eq!(newest_item, "after the crash");
    hub.kill();
}

#[tokio::test]
async fn sqlite_survives_sigkill() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hub_crash_{:x}", nanos()));
    crash_and_restart(vec!["--data".into(), dir.display().to_string()]).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgresql_survives_sigkill() {
    if let Some(database) = TestDatabase::create().await {
        crash_and_restart(vec!["--database".into(), database.url()]).await;
    }
}
