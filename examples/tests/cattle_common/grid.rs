//! A real cattle_grid 0.5.22 process for the tests (`cattle_grid_e2e/serve.py` in the
//! `cattle-interop` venv, prepared by `scripts/setup/cattle-grid.sh`), with a sqlite file in a
//! fresh directory and its own RabbitMQ virtual host (cattle_grid declares durable queues of
//! fixed names, so parallel runs must not share a vhost); dropping it removes both.
//!
//! Started [`CattleGrid::federating`], it also serves ActivityPub over HTTP behind a front
//! ([`super::front`]) that does what the reverse proxy of a cattle_grid deployment does: every
//! request is first checked by cattle_grid's `/auth` (the HTTP signature), then passed on with
//! the requester and the public URL as headers.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cattle_drive_types::client::ClientEvent;
use cattle_drive_types::message::{InfoRequest, InformationResponse, Request, Response};
use cattle_drive_types::topic::AccountName;
use fedi_examples::cattle::{CattleClient, RequestError};

use super::{front, rabbitmqctl, strict};

/// Skips (returns false) with a notice, or fails under `FEDI_TEST_STRICT`.
pub(crate) fn skip(reason: &str) -> bool {
    assert!(!strict(), "{reason}: run scripts/test");
    eprintln!("skipping: {reason}");
    false
}

/// The interpreter of the `cattle-interop` venv, when it is installed.
pub(crate) fn venv_python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().unwrap_or(root);
    let python = root.join(".venvs/cattle-interop/bin/python");
    python.exists().then_some(python)
}

/// A running cattle_grid; dropping it stops the process (and its front) and removes its vhost
/// and directory.
pub(crate) struct CattleGrid {
    child: Child,
    dir: PathBuf,
    vhost: String,
    /// The base URL its actors are made under.
    pub(crate) base_url: String,
    front: Option<tokio::task::JoinHandle<()>>,
    /// Its own HTTP port (the front's upstream).
    port: u16,
}

/// An unused loopback port.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

impl CattleGrid {
    /// cattle_grid for `account` (password `suffix`) allowed to make actors under `base_url`,
    /// with no HTTP front: nothing answers at `base_url`.
    pub(crate) fn start(
        python: &Path,
        account: &AccountName,
        suffix: &str,
        base_url: &str,
    ) -> Result<CattleGrid, String> {
        let port = free_port()?;
        Self::spawn(python, account, suffix, base_url, port, false)
    }

    /// cattle_grid for `account` (password `suffix`) behind its front on a loopback port: its
    /// actors are made under the front's URL (returned as [`CattleGrid::base_url`]), are
    /// served there to signed requests, and receive signed deliveries there. Its key fetches
    /// are signed by its own RSA actor (`[auth]`, made by `serve.py`). Call within a tokio
    /// runtime.
    pub(crate) fn federating(
        python: &Path,
        account: &AccountName,
        suffix: &str,
    ) -> Result<CattleGrid, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let port = free_port()?;
        let mut grid = Self::spawn(
            python,
            account,
            suffix,
            &format!("http://{address}"),
            port,
            true,
        )?;
        grid.front = Some(front::spawn(listener, ([127, 0, 0, 1], port).into())?);
        Ok(grid)
    }

    fn spawn(
        python: &Path,
        account: &AccountName,
        suffix: &str,
        base_url: &str,
        port: u16,
        with_auth: bool,
    ) -> Result<CattleGrid, String> {
        let vhost = format!("cattle-e2e-{suffix}");
        rabbitmqctl(&["add_vhost", &vhost])?;
        let dir = std::env::temp_dir().join(format!("cattle-grid-e2e-{suffix}"));
        // From here on, drop cleans up whatever was made.
        let spawned = (|| {
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            rabbitmqctl(&["set_permissions", "-p", &vhost, "guest", ".*", ".*", ".*"])?;
            let config = format!(
                "amqp_url = \"amqp://guest:guest@127.0.0.1:5672/{vhost}\"\n\
                 db_url = \"sqlite+aiosqlite:///cattle_grid.db\"\n\
                 processor_in_app = true\n\n[frontend]\nbase_urls = [\"{base_url}\"]\n"
            );
            fs::write(dir.join("cattle_grid.toml"), config).map_err(|e| e.to_string())?;
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cattle_grid_e2e/serve.py");
            let bin = python.parent().map(Path::to_path_buf).unwrap_or_default();
            let path = format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            );
            let log = fs::File::create(dir.join("cattle_grid.log")).map_err(|e| e.to_string())?;
            let err = log.try_clone().map_err(|e| e.to_string())?;
            let mut command = Command::new(python);
            command.arg(script).args([
                "--port",
                &port.to_string(),
                "--account",
                account.as_str(),
                "--password",
                suffix,
            ]);
            if with_auth {
                command.args([
                    "--auth-actor",
                    &format!("{base_url}/auth/cattle_grid_actor"),
                ]);
            }
            command
                .current_dir(&dir)
                .env("PATH", path)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(err)
                .spawn()
                .map_err(|e| e.to_string())
        })();
        match spawned {
            Ok(child) => Ok(CattleGrid {
                child,
                dir,
                vhost,
                base_url: base_url.to_owned(),
                front: None,
                port,
            }),
            Err(error) => {
                let _ = rabbitmqctl(&["delete_vhost", &vhost]);
                let _ = fs::remove_dir_all(&dir);
                Err(error)
            }
        }
    }

    /// The broker URL of its vhost.
    pub(crate) fn amqp_uri(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:5672/{}", self.vhost)
    }

    /// What it logged so far.
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(self.dir.join("cattle_grid.log")).unwrap_or_default()
    }

    /// Asks `info` until cattle_grid has bound its queues and answers (requests published
    /// before that are routed nowhere and time out), then, behind a front, waits until its
    /// HTTP port accepts connections (uvicorn binds it after the broker has started).
    pub(crate) async fn wait_for_info(&self, client: &CattleClient) -> InformationResponse {
        let deadline = Instant::now() + Duration::from_secs(60);
        let info = loop {
            match client.request(Request::Info(InfoRequest)).await {
                Ok(Response::Info(info)) => break info,
                Err(RequestError::TimedOut) if Instant::now() < deadline => continue,
                other => panic!("info: {other:?}\ncattle_grid log:\n{}", self.log()),
            }
        };
        while self.front.is_some()
            && tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "cattle_grid's HTTP port is closed\ncattle_grid log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        info
    }

    /// The client's next unsolicited event within 10 s; fails the test with the log without.
    pub(crate) async fn next_event(&self, client: &mut CattleClient) -> ClientEvent {
        let event = super::next_event_within(client, Duration::from_secs(10)).await;
        event.unwrap_or_else(|| panic!("no event within 10 s\ncattle_grid log:\n{}", self.log()))
    }
}

impl Drop for CattleGrid {
    fn drop(&mut self) {
        if let Some(front) = self.front.take() {
            front.abort();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = rabbitmqctl(&["delete_vhost", &self.vhost]);
        let _ = fs::remove_dir_all(&self.dir);
    }
}
