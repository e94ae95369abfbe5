//! `fedi-hub`: the reference server of the crate family. It serves every protocol the crates
//! implement from one process, keeps its state in a database (SQLite in `./fedi-hub-data` by
//! default), and prints what to open and try.
//!
//! Logs go to standard error (`RUST_LOG`, e.g. `RUST_LOG=debug` or
//! `RUST_LOG=info,fedi_examples=debug`); the banner goes to standard output. Ctrl-C (SIGINT)
//! and SIGTERM both shut it down cleanly, with exit status 0.

#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use bus_protocol::session::Dialect;
use clap::Parser;
use fedi_examples::hub::{
    AccountSeed, ActorKeyKind, CattleConfig, ClusterConfig, Config, Server, Storage, VersiaPeer,
};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// Run the fedi-hub demo server.
#[derive(Debug, Parser)]
#[command(name = "fedi-hub", version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// An account to create, as NAME or NAME=TOKEN (repeatable). A NAME alone keeps its stored
    /// token, or gets a random one when new. Default: alice and bob.
    #[arg(long = "account", value_name = "NAME[=TOKEN]", value_parser = parse_account)]
    accounts: Vec<AccountSeed>,
    /// The directory of the SQLite database (created with mode 0700).
    #[arg(long, value_name = "DIR", default_value = "fedi-hub-data")]
    data: PathBuf,
    /// Keep the state in this PostgreSQL database instead (several instances may share it),
    /// e.g. postgres://postgres@127.0.0.1:5432/fedihub.
    #[arg(long, value_name = "URL", conflicts_with = "memory")]
    database: Option<String>,
    /// Keep everything in memory: nothing survives a restart.
    #[arg(long)]
    memory: bool,
    /// The URL clients reach the hub at, when it differs from http://LISTEN (e.g. behind a
    /// proxy).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// With --database: share live events (presence) with the other instances on that
    /// database through this Redis (redis:// or rediss://, e.g. redis://127.0.0.1:6379)
    /// instead of PostgreSQL's LISTEN/NOTIFY.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "bus_nats",
        requires = "database"
    )]
    bus_redis: Option<String>,
    /// With --database: the same through this NATS server (nats:// or tls://,
    /// e.g. nats://127.0.0.1:4222).
    #[arg(long, value_name = "URL", requires = "database")]
    bus_nats: Option<String>,
    /// The Bus dialect of connections to /ws/bus that name none with ?dialect=: seed (this
    /// project's messages) or cloudillo (the deployed Cloudillo server's, for Cloudillo's own
    /// web client, which sends only ?token=).
    #[arg(long, value_name = "DIALECT", default_value = "seed", value_parser = parse_dialect)]
    bus_dialect: Dialect,
    /// The Redis channel, NATS subject or PostgreSQL notification channel suffix the instances
    /// of one cluster share.
    #[arg(long, value_name = "NAME", default_value = "fedi-hub")]
    cluster_channel: String,
    /// The kind of key made for an actor that has none yet: rsa (2048 bits, what Mastodon
    /// verifies) or ed25519. Actors keep the key they have.
    #[arg(long, value_name = "KIND", default_value = "rsa", value_parser = parse_actor_keys)]
    actor_keys: ActorKeyKind,
    /// Also serve the accounts over Cattle Drive on this RabbitMQ
    /// (e.g. amqp://guest:guest@127.0.0.1:5672/%2f).
    #[arg(long, value_name = "URI")]
    amqp: Option<String>,
    /// With --amqp: accept only messages whose broker-vouched login is the account.
    #[arg(long, requires = "amqp")]
    amqp_require_login: bool,
    /// This instance's Versia domain (default: the host of the public URL).
    #[arg(long, value_name = "DOMAIN")]
    versia_domain: Option<String>,
    /// The Versia instance key as PKCS#8 base64 (default: a fresh key at every start).
    #[arg(long, value_name = "PKCS8_BASE64")]
    versia_key: Option<String>,
    /// A Versia instance whose signatures are accepted, as DOMAIN=SPKI_BASE64 (repeatable).
    /// DOMAIN=SPKI_BASE64,versia-server-paths marks a peer running versia-server: its
    /// signatures are also accepted, and the hub's for it are made, with the path in
    /// versia-server's `encodeURI(new URL(url).pathname)` form.
    #[arg(
        long = "versia-peer",
        value_name = "DOMAIN=KEY[,versia-server-paths]",
        value_parser = parse_peer
    )]
    versia_peers: Vec<VersiaPeer>,
}

fn parse_account(text: &str) -> Result<AccountSeed, String> {
    Ok(match text.split_once('=') {
        Some((name, token)) => AccountSeed::new(name, token),
        None => AccountSeed::named(text),
    })
}

/// The `--versia-peer` option of a peer running versia-server.
const VERSIA_SERVER_PATHS: &str = "versia-server-paths";

fn parse_actor_keys(text: &str) -> Result<ActorKeyKind, String> {
    match text {
        "rsa" => Ok(ActorKeyKind::Rsa),
        "ed25519" => Ok(ActorKeyKind::Ed25519),
        _ => Err(format!("`{text}` is not a key kind: rsa or ed25519")),
    }
}

fn parse_dialect(text: &str) -> Result<Dialect, String> {
    Dialect::parse(text).ok_or_else(|| format!("`{text}` is not a Bus dialect: seed or cloudillo"))
}

fn parse_peer(text: &str) -> Result<VersiaPeer, String> {
    let (domain, rest) = text
        .split_once('=')
        .ok_or("expected DOMAIN=SPKI_BASE64[,versia-server-paths]")?;
    let mut parts = rest.split(',');
    let key = parts.next().unwrap_or_default();
    let mut peer = VersiaPeer::new(domain, key);
    for option in parts {
        if option == VERSIA_SERVER_PATHS {
            peer = peer.versia_server_compatible();
        } else {
            return Err(format!(
                "unknown peer option `{option}` (the one known is {VERSIA_SERVER_PATHS})"
            ));
        }
    }
    Ok(peer)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|spec| Targets::from_str(&spec).ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fedi-hub: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let mut config = if cli.accounts.is_empty() {
        Config::demo()
    } else {
        Config::new(cli.accounts)
    };
    let shared = cli.database.is_some();
    config.storage = match (cli.database, cli.memory) {
        (Some(url), _) => Storage::Postgres(url),
        (None, true) => Storage::Memory,
        (None, false) => Storage::Directory(cli.data),
    };
    config.public_url = cli.public_url;
    config.bus_dialect = cli.bus_dialect;
    config.federation.actor_keys = cli.actor_keys;
    config.cluster = match (cli.bus_redis, cli.bus_nats) {
        (Some(url), _) => Some(ClusterConfig::redis(url).with_channel(cli.cluster_channel)),
        (None, Some(url)) => Some(ClusterConfig::nats(url).with_channel(cli.cluster_channel)),
        (None, None) if shared => Some(ClusterConfig::postgres().with_channel(cli.cluster_channel)),
        (None, None) => None,
    };
    config.cattle = cli.amqp.map(|uri| {
        let mut cattle = CattleConfig::amqp(uri);
        cattle.require_login = cli.amqp_require_login;
        cattle
    });
    config.versia.domain = cli.versia_domain;
    config.versia.private_key = cli.versia_key;
    config.versia.peers = cli.versia_peers;
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "fedi-hub: cannot listen on {}: {e} (choose another address with --listen)",
                cli.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::bind(config, listener).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("fedi-hub: {e}");
            return ExitCode::from(2);
        }
    };
    let stop = match stop_signals() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("fedi-hub: cannot listen for Ctrl-C and SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.banner());
    println!("Press Ctrl-C to stop.");
    let shutdown = async {
        let signal = stop.await;
        tracing::info!(signal, "stop requested");
    };
    match server.run(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fedi-hub: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves with the signal's name when the process is asked to stop: Ctrl-C (SIGINT) or
/// SIGTERM (what service managers and container runtimes send), which stop the hub the same
/// way. The handlers are installed here, before the banner, so no signal is missed.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
}

/// Resolves when Ctrl-C is pressed (no SIGTERM outside Unix).
#[cfg(not(unix))]
fn stop_signals() -> std::io::Result<impl Future<Output = &'static str>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versia_peers_parse_with_and_without_the_versia_server_mark() {
        let key = "MCowBQYDK2VwAyEA9oGFPbz+LThzQSOhWhOpUdFxLG07Rqmn0HtAFaCz/hM=";
        let plain = parse_peer(&format!("peer.example={key}")).unwrap();
        assert_eq!(plain.domain, "peer.example");
        assert_eq!(plain.public_key, key);
        assert!(!plain.versia_server_paths);
        let marked = parse_peer(&format!("peer.example={key},versia-server-paths")).unwrap();
        assert_eq!(marked.public_key, key);
        assert!(marked.versia_server_paths);
        let unknown = parse_peer(&format!("peer.example={key},fast")).unwrap_err();
        assert!(unknown.contains("`fast`"), "{unknown}");
        assert!(parse_peer("peer.example").is_err());
    }
}
