//! almabtrieb, cattle_grid's own Python client, unmodified against `fedi-hub --amqp`: its
//! real-server test suite (`almabtrieb/test_real.py` from the 0.3.0 source distribution: info,
//! create_actor, fetch of the new actor, send_message with its outgoing event, the error
//! queue, delete_actor), then `almabtrieb_hub/replies.py`: a trigger of the hub's replying
//! method `publish_note` gets its `{"id": …}` reply, not the outgoing event that carries the
//! same correlation id, and the note can be fetched.
//!
//! almabtrieb takes its account name from the broker login, so the hub serves the account
//! `guest` on a RabbitMQ virtual host of this run only (made with `rabbitmqctl`, removed at the
//! end). The suite and its pinned Python packages come from `scripts/setup/almabtrieb.sh`
//! (venv `almabtrieb`). Needs RabbitMQ on 127.0.0.1:5672 and `rabbitmqctl`; skips with a
//! notice without them unless FEDI_TEST_STRICT is set.

#[allow(dead_code, reason = "each test file uses a part of the shared helpers")]
mod cattle_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cattle_common::{rabbitmqctl, service_up, strict, unique_suffix};

/// The almabtrieb release whose tests run (the version pinned in scripts/venvs/almabtrieb.txt).
const ALMABTRIEB: &str = "almabtrieb-0.3.0";
/// The tests of its suite, all of which must pass.
const SUITE: [&str; 6] = [
    "test_info",
    "test_create_actor",
    "test_fetch",
    "test_trigger_send_message",
    "test_error_queue",
    "test_delete_actor",
];
/// Longest wait for the hub to come up, and for each Python run.
const PATIENCE: Duration = Duration::from_secs(120);

fn skip(reason: &str) {
    assert!(!strict(), "{reason}: run scripts/test");
    eprintln!("skipping: {reason}");
}

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// A RabbitMQ virtual host of this run, open to `guest`; removed on drop.
struct Vhost(String);

impl Vhost {
    fn create(name: String) -> Result<Vhost, String> {
        rabbitmqctl(&["add_vhost", &name])?;
        let vhost = Vhost(name);
        rabbitmqctl(&["set_permissions", "-p", &vhost.0, "guest", ".*", ".*", ".*"])?;
        Ok(vhost)
    }

    fn uri(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:5672/{}", self.0)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = rabbitmqctl(&["delete_vhost", &self.0]);
    }
}

/// The running `fedi-hub`; killed on drop.
struct Hub {
    child: Child,
    log: mpsc::Receiver<String>,
}

impl Hub {
    /// Starts `fedi-hub --amqp URI --account guest` and waits until it serves (its Cattle Drive
    /// queue bound). Returns it with its base URL.
    fn start(amqp_uri: &str) -> (Hub, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fedi-hub"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--account",
                "guest",
                "--amqp",
                amqp_uri,
                "--memory",
            ])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start fedi-hub: {e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let hub = Hub { child, log };
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = hub.log.recv_timeout(left) else {
                panic!("fedi-hub did not start serving:\n{}", seen.join("\n"))
            };
            // The server logs `serving … url=BASE` once every module (Cattle Drive included)
            // has started.
            if line.contains(" serving ")
                && let Some(url) = line.split("url=").nth(1)
            {
                let url = url.split_whitespace().next().unwrap_or_default().to_owned();
                return (hub, url);
            }
            seen.push(line);
        }
    }

    /// What the hub logged so far.
    fn log(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `python ARGS` in `dir` with the hub's connection string, at most [`PATIENCE`].
fn python(python: &Path, dir: &Path, args: &[&str], connection: &str) -> Output {
    let child = Command::new(python)
        .args(args)
        .current_dir(dir)
        .env("CONNECTION_STRING", connection)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(output) => output.unwrap_or_else(|e| panic!("{}: {e}", python.display())),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("{args:?} did not finish within {PATIENCE:?}")
        }
    }
}

#[test]
fn almabtriebs_real_server_suite_passes_against_the_hub() {
    let started = Instant::now();
    if !service_up("127.0.0.1:5672", "RabbitMQ") {
        return;
    }
    let venv = root().join(".venvs/almabtrieb");
    let interpreter = venv.join("bin/python");
    let suite = venv.join("src").join(ALMABTRIEB);
    if !interpreter.exists() || !suite.join("almabtrieb/test_real.py").exists() {
        skip("almabtrieb's test suite is not installed (scripts/setup/almabtrieb.sh)");
        return;
    }
    let vhost = match Vhost::create(format!("almabtrieb-{}", unique_suffix())) {
        Ok(vhost) => vhost,
        Err(error) => {
            skip(&format!("cannot make a RabbitMQ virtual host: {error}"));
            return;
        }
    };
    let (hub, base) = Hub::start(&vhost.uri());
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let ready = started.elapsed();

    // The suite as its authors run it (their pyproject's pytest settings: asyncio mode auto),
    // from the unpacked source distribution, against the hub.
    let run = python(
        &interpreter,
        &suite,
        &[
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "log_cli=false",
            "-rA",
            "--timeout=60",
            "almabtrieb/test_real.py",
        ],
        &vhost.uri(),
    );
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let failed = || format!("{report}\nfedi-hub log:\n{}", hub.log());
    assert!(run.status.success(), "pytest failed:\n{}", failed());
    for test in SUITE {
        assert!(
            report.contains(&format!("PASSED almabtrieb/test_real.py::{test}\n")),
            "{test} did not pass:\n{}",
            failed()
        );
    }
    let summary = report.lines().last().unwrap_or_default();
    assert!(
        summary.contains("6 passed") && !summary.contains("skipped"),
        "{}",
        failed()
    );
    let suite_time = started.elapsed() - ready;

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/almabtrieb_hub/replies.py");
    let script = script.to_string_lossy().into_owned();
    let run = python(&interpreter, &root(), &[&script], &vhost.uri());
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && out.trim() == "ok",
        "replies.py: {out}{}\nfedi-hub log:\n{}",
        String::from_utf8_lossy(&run.stderr),
        hub.log()
    );
    drop(hub);
    eprintln!(
        "almabtrieb against fedi-hub: hub ready after {:.1} s, suite {:.1} s, whole test {:.1} s",
        ready.as_secs_f64(),
        suite_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
