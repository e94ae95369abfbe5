//! The `fedi-hub` binary as a user runs it: it prints the accounts, the links to open and
//! command lines to try; those work; Ctrl-C (SIGINT) stops it cleanly with status 0.

mod hub_common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hub_common::{get, post_to_outbox};
use serde_json::json;

/// Kills the hub if the test ends before it stopped it.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn the_banner_says_what_to_open_and_try_and_ctrl_c_stops_cleanly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedi-hub"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--account",
            "alice=secret-a",
            "--account",
            "bob",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fedi-hub");
    let stdout = child.stdout.take().expect("stdout");
    let mut running = Running(Some(child));
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a banner line");
            let done = line.starts_with("Press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let banner = tokio::time::timeout(Duration::from_secs(30), banner)
        .await
        .expect("the banner is printed")
        .expect("read the banner");
    let text = banner.join("\n");

    let base = banner
        .first()
        .and_then(|l| l.strip_prefix("fedi-hub is listening on "))
        .expect("the first line names the URL")
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{text}");
    assert!(text.contains("alice    secret-a"), "{text}");
    assert!(text.contains(&format!("{base}/#token=secret-a")), "{text}");
    assert!(
        text.contains(&format!(
            "-H 'Authorization: Bearer secret-a' {base}/api/whoami"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{base}/users/alice/outbox")),
        "{text}"
    );
    assert!(text.contains("websocat"), "{text}");
    // bob got a random token, printed on his line.
    let bob_token = banner
        .iter()
        .find_map(|l| l.trim().strip_prefix("bob"))
        .map(str::trim)
        .expect("bob's line");
    assert_eq!(bob_token.len(), 32, "{text}");

    // What it says to try works.
    assert_eq!(get(&format!("{base}/"), None).await.status, 200);
    let me = get(&format!("{base}/api/whoami"), Some("secret-a")).await;
    assert_eq!(me.json()["name"], "alice");
    let note = json!({"type": "Note", "content": "hi", "to": [format!("{base}/users/bob")]});
    assert_eq!(
        post_to_outbox(&base, "alice", "secret-a", &note)
            .await
            .status,
        201
    );
    let bobs_inbox = get(
        &format!("{base}/users/bob/inbox?page=true"),
        Some(bob_token),
    )
    .await;
    assert_eq!(
        bobs_inbox.json()["orderedItems"][0]["object"]["content"],
        "hi"
    );

    let pid = running.0.as_ref().map(Child::id).expect("still running");
    let interrupted = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(interrupted.success());
    let mut child = running.0.take().expect("still running");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("wait")
        .expect("the hub exits");
    assert!(status.success(), "exit status {status}");
}
