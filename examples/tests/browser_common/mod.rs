//! Headless Chromium (Debian's `chromium`, installed by `scripts/setup/chromium.sh`) driven
//! over the Chrome DevTools Protocol with tokio-tungstenite, for the browser tests.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
/// Browser steps (start-up, page load, a DOM change) get this long.
pub(crate) const BROWSER_PATIENCE: Duration = Duration::from_secs(45);

/// Where test `name` writes its screenshots and the browser's log.
pub(crate) fn output_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("create the test output directory");
    dir
}

/// `Some(path)` when Chromium is installed; otherwise skips (or fails under FEDI_TEST_STRICT).
pub(crate) fn chromium() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    assert!(
        std::env::var_os("FEDI_TEST_STRICT").is_none(),
        "{CHROMIUM} is missing: run scripts/test (it installs Chromium via scripts/setup/chromium.sh)"
    );
    eprintln!(
        "skipping a browser test: {CHROMIUM} is missing (scripts/setup/chromium.sh installs it)"
    );
    None
}

/// A headless Chromium with a fresh profile, killed (with its whole process group) on drop.
pub(crate) struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Browser {
    pub(crate) fn launch(executable: &str, log: &Path) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "fedi-hub-chromium-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("create the browser profile directory");
        let log = std::fs::File::create(log).expect("create the browser log");
        let mut command = Command::new(executable);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            // Keep Chromium's crash database and caches out of the real home directory.
            .env("HOME", &profile)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("start chromium");
        Browser { child, profile }
    }

    /// The browser's DevTools WebSocket URL, from the `DevToolsActivePort` file it writes.
    pub(crate) async fn devtools_url(&mut self) -> String {
        let file = self.profile.join("DevToolsActivePort");
        let deadline = Instant::now() + BROWSER_PATIENCE;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    return format!("ws://127.0.0.1:{port}{path}");
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "chromium exited early with {status}; see its log in the test output directory"
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not open its DevTools port"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The renderer, GPU and crash-handler processes share the group we created.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A Chrome DevTools Protocol connection attached to one page (flat session mode).
pub(crate) struct Cdp {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    session: Option<String>,
    pub(crate) console: Vec<String>,
}

impl Cdp {
    pub(crate) async fn connect(url: &str) -> Cdp {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect to the DevTools WebSocket");
        Cdp {
            socket,
            next_id: 0,
            session: None,
            console: Vec::new(),
        }
    }

    /// Calls `method` and returns its `result`; events arriving meanwhile are logged.
    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .expect("send a DevTools command");
        let deadline = tokio::time::Instant::now() + BROWSER_PATIENCE;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            let Some(Ok(Message::Text(text))) = frame else {
                panic!("DevTools connection ended during {method}: {frame:?}");
            };
            let message: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if message["id"] == id {
                assert!(
                    message.get("error").is_none(),
                    "{method} failed: {}",
                    message["error"]
                );
                return message["result"].clone();
            }
            if message["method"] == "Runtime.consoleAPICalled" {
                let args = &message["params"]["args"];
                let text: Vec<String> = args
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| a["value"].to_string())
                    .collect();
                self.console.push(text.join(" "));
            }
        }
    }

    /// Opens a new page and attaches to it.
    pub(crate) async fn open_page(&mut self) {
        let target = self
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        self.session = Some(
            attached["sessionId"]
                .as_str()
                .expect("a session id")
                .to_owned(),
        );
        self.call("Runtime.enable", json!({})).await;
        self.call("Page.enable", json!({})).await;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    }

    pub(crate) async fn evaluate(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is `true`.
    pub(crate) async fn wait_for(&mut self, what: &str, expression: &str) {
        let deadline = Instant::now() + BROWSER_PATIENCE;
        while self.evaluate(expression).await != json!(true) {
            if Instant::now() >= deadline {
                let body = self.evaluate("document.body.innerText").await;
                panic!(
                    "the page never showed {what}\npage text: {body}\nconsole: {:#?}",
                    self.console
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn screenshot(&mut self, path: &Path) -> usize {
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        std::fs::write(path, &png).expect("write the screenshot");
        png.len()
    }
}
