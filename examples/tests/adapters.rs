//! The runtime-adapter example programs (`examples/examples/`), run as a user runs them,
//! against a hub on loopback.

mod hub_common;

use std::path::PathBuf;
use std::process::Stdio;

use hub_common::{ALICE, BOB, PATIENCE, TestHub, post_to_outbox};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Builds the example `name` of this package (a no-op when it is up to date) and returns the
/// path of its executable.
fn example(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--manifest-path",
            manifest,
            "--example",
            name,
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "the example {name} builds");
    // Tests run from `target/<profile>/deps`; examples are built into `target/<profile>/examples`.
    let deps = std::env::current_exe().expect("the test's path");
    let profile = deps
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

/// A running example whose stdout is read line by line.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = Command::new(example(name))
            .args(args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().expect("piped stdout");
        Running {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .expect("the example prints within the patience")
            .expect("read its output")
            .expect("the example prints another line")
    }

    async fn succeeds(mut self) {
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the example exits within the patience")
            .expect("wait for the example");
        assert!(status.success(), "the example exits with {status}");
    }
}

/// One `ID<TAB>TYPE<TAB>DATA` line of the SSE examples.
fn fields(line: &str) -> (&str, &str, Value) {
    let mut parts = line.splitn(3, '\t');
    let (Some(id), Some(kind), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("not an ID<TAB>TYPE<TAB>DATA line: {line:?}");
    };
    (id, kind, serde_json::from_str(data).expect("JSON data"))
}

#[tokio::test]
async fn framed_read_with_the_sse_codec_follows_an_inbox() {
    let hub = TestHub::start().await;
    let inbox = format!("{}/users/alice/inbox", hub.base);
    let mut reader = Running::start("sse_framed_read", &[&inbox, ALICE, "2"]);

    // A new stream opens with its position: from then on, what reaches alice is on it.
    let opening = reader.line().await;
    let (_, kind, status) = fields(&opening);
    assert_eq!((kind, &status["type"]), ("meta", &json!("position")));

    let note =
        json!({"type": "Note", "content": "framed", "to": [format!("{}/users/alice", hub.base)]});
    let reply = post_to_outbox(&hub.base, "bob", BOB, &note).await;
    assert_eq!(reply.status, 201);
    let delivered = reader.line().await;
    let (id, kind, activity) = fields(&delivered);
    assert_eq!(kind, "inbox");
    assert!(!id.is_empty(), "every inbox event carries its id");
    assert_eq!(activity["id"], reply.json()["id"]);
    assert_eq!(activity["object"]["content"], "framed");
    reader.succeeds().await;
    hub.stop().await;
}
