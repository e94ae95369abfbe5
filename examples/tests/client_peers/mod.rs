//! What the client tests share: finding the pinned Node and Python peers (installed by
//! `scripts/test`: `scripts/setup/node-peers.sh` and `scripts/venvs/client-peers.txt`), running
//! their scripts with JSON-line reports, and a loopback TCP proxy that can sever every
//! connection through it while the hub keeps running.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Skips (returns `None`) with a notice, or fails under `FEDI_TEST_STRICT` (set by
/// `scripts/test`).
fn missing<T>(what: &str) -> Option<T> {
    assert!(
        std::env::var_os("FEDI_TEST_STRICT").is_none(),
        "{what} is missing: run scripts/test, which installs it"
    );
    eprintln!("skipping: {what} is missing (scripts/test installs it)");
    None
}

/// The directory of the Node peers (`examples/tests/node`) when `node` runs and
/// `npm ci` has installed the pinned packages there.
pub(crate) fn node_peers() -> Option<PathBuf> {
    let dir = root().join("examples/tests/node");
    let installed = ["eventsource", "ws"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).is_dir());
    let runs = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if installed && runs {
        Some(dir)
    } else {
        missing("Node with the pinned npm packages (scripts/setup/node-peers.sh)")
    }
}

/// The Python of the `client-peers` venv (httpx-sse, sseclient-py, websockets).
pub(crate) fn python_peers() -> Option<PathBuf> {
    let python = root().join(".venvs/client-peers/bin/python");
    if python.exists() {
        Some(python)
    } else {
        missing("the client-peers Python venv (scripts/venv client-peers)")
    }
}

/// The Python peer scripts' directory.
pub(crate) fn python_scripts() -> PathBuf {
    root().join("examples/tests/python")
}

/// A peer process that reports what it sees as JSON lines on its standard output. It is killed
/// when dropped; closing its standard input asks it to stop.
pub(crate) struct Peer {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    /// Everything reported so far, for failure messages.
    pub(crate) seen: Vec<Value>,
}

impl Peer {
    /// Starts `program` with `args` in `dir`.
    pub(crate) fn spawn(name: &str, program: &Path, args: &[&str], dir: &Path) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = child.stdout.take().expect("a piped stdout");
        Peer {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            lines: BufReader::new(stdout).lines(),
            child,
            seen: Vec::new(),
        }
    }

    /// The next report, or `None` when the peer ended or `wait` passed.
    pub(crate) async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let line = tokio::time::timeout(wait, self.lines.next_line())
            .await
            .ok()?
            .unwrap_or_else(|e| panic!("{}: read its output: {e}", self.name))?;
        let report: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{}: not a JSON report ({e}): {line}", self.name));
        self.seen.push(report.clone());
        Some(report)
    }

    /// Every report until the peer exits (at most `wait`).
    pub(crate) async fn all_within(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut reports = Vec::new();
        while let Some(report) = self
            .next_within(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            reports.push(report);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} did not finish within {wait:?}: {reports:#?}",
            self.name
        );
        reports
    }

    /// Asks the peer to stop (closes its standard input) and waits a little for it.
    pub(crate) async fn stop(mut self) {
        drop(self.stdin.take());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// A loopback TCP proxy in front of `upstream`. [`CutProxy::sever`] drops every connection
/// through it at once (the client sees its TCP connection end under it); new connections are
/// accepted as before. It records what clients send, to check their reconnect requests.
pub(crate) struct CutProxy {
    /// Where clients connect.
    pub(crate) address: SocketAddr,
    state: Arc<ProxyState>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct ProxyState {
    connections: Mutex<Vec<JoinHandle<()>>>,
    accepted: AtomicUsize,
    /// What each connection's client sent, as text (at most [`RECORDED`] bytes each).
    sent: Mutex<Vec<Arc<Mutex<Vec<u8>>>>>,
}

/// Bytes of each client's traffic kept for [`CutProxy::client_traffic`].
const RECORDED: usize = 64 * 1024;

impl CutProxy {
    pub(crate) async fn start(upstream: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let address = listener.local_addr().expect("the proxy's address");
        let state = Arc::new(ProxyState::default());
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let record = Arc::new(Mutex::new(Vec::new()));
                lock(&shared.sent).push(record.clone());
                let relay = tokio::spawn(relay(client, upstream, record));
                let mut connections = lock(&shared.connections);
                connections.retain(|task| !task.is_finished());
                connections.push(relay);
            }
        });
        CutProxy {
            address,
            state,
            accept,
        }
    }

    /// Drops every connection through the proxy.
    pub(crate) fn sever(&self) {
        for task in lock(&self.state.connections).drain(..) {
            task.abort();
        }
    }

    /// Connections accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// What the clients sent, one string per connection, in the order they connected.
    pub(crate) fn client_traffic(&self) -> Vec<String> {
        lock(&self.state.sent)
            .iter()
            .map(|record| String::from_utf8_lossy(&lock(record)).into_owned())
            .collect()
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.sever();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Copies both ways between `client` and a new connection to `upstream` until either ends.
async fn relay(client: TcpStream, upstream: SocketAddr, record: Arc<Mutex<Vec<u8>>>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            {
                let mut kept = lock(&record);
                let room = RECORDED.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
            if server_write.write_all(chunk).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let down = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}
