//! The server core: accept loop, HTTP/1.1 connections, dispatch to the modules, shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::hub::accounts::{self, Account, AccountError, Accounts};
use crate::hub::c2s::C2sModule;
use crate::hub::cluster::{Cluster, ClusterError};
use crate::hub::config::{Config, Limits};
use crate::hub::db::{Db, DbError};
use crate::hub::drive::DriveModule;
use crate::hub::federation::FederationModule;
use crate::hub::federation::followers::Followers;
use crate::hub::federation::inbox::SignedInbox;
use crate::hub::federation::keys::ActorKeys;
use crate::hub::federation::outbox::Deliverer;
use crate::hub::mastodon::MastodonModule;
use crate::hub::module::Module;
use crate::hub::stall::WriteStall;
use crate::hub::store::{self, Quotas, Store, StoreConfig};
use crate::hub::versia::{VersiaError, VersiaModule};
use crate::hub::web::{self, Credentials, Request, Response};
use crate::hub::{bus, page, random};

/// What every module shares: accounts, the store, the public URL, limits, the shutdown signal
/// and the task tracker.
pub(crate) struct Core {
    pub(crate) accounts: Arc<Accounts>,
    pub(crate) store: Arc<Store>,
    /// The public URL without a trailing slash, for building ids.
    pub(crate) base_url: String,
    /// The same, parsed.
    pub(crate) base: url::Url,
    pub(crate) limits: Limits,
    pub(crate) cluster: Arc<Cluster>,
    /// The signing keys of local actors.
    pub(crate) keys: Arc<ActorKeys>,
    /// The checks of signed deliveries, with the remote keys they fetched.
    pub(crate) signed_inbox: Arc<SignedInbox>,
    /// Outgoing deliveries to other servers.
    pub(crate) deliverer: Arc<Deliverer>,
    /// Remote followers of local actors.
    pub(crate) followers: Arc<Followers>,
    shutdown: watch::Receiver<bool>,
    tasks: Mutex<Option<mpsc::Sender<()>>>,
}

impl Core {
    /// A guard to hold in a task the server should wait for at shutdown.
    pub(crate) fn guard(&self) -> TaskGuard {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        TaskGuard {
            _tasks: tasks.clone(),
        }
    }

    /// The shutdown signal.
    pub(crate) fn shutdown(&self) -> Shutdown {
        Shutdown(self.shutdown.clone())
    }

    /// The account `request` authenticates as (`Authorization: Bearer`, or `?token=` where
    /// `allow_query`).
    pub(crate) fn authenticate<B>(
        &self,
        request: &hyper::Request<B>,
        allow_query: bool,
    ) -> Result<Arc<Account>, AuthError> {
        match web::credentials(request, allow_query) {
            Credentials::Missing => Err(AuthError::Missing),
            Credentials::Malformed => Err(AuthError::Malformed),
            credentials => credentials
                .token()
                .and_then(|t| self.accounts.authenticate(t))
                .ok_or(AuthError::Unknown),
        }
    }
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// No credentials.
    #[error("authentication required: send Authorization: Bearer <token>")]
    Missing,
    /// An `Authorization` header that is not a bearer token.
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    /// A token no account has.
    #[error("invalid or expired token")]
    Unknown,
}

impl AuthError {
    /// `401` with this error.
    pub(crate) fn response(self) -> Response {
        web::error(StatusCode::UNAUTHORIZED, self.to_string())
    }
}

/// Resolves when the server shuts down.
#[derive(Clone)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Whether the server is shutting down (or gone).
    pub(crate) fn is_down(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Waits for shutdown.
    pub(crate) async fn wait(&mut self) {
        // An error means the server is gone, which is a shutdown too.
        let _ = self.0.wait_for(|down| *down).await;
    }
}

/// Held by a task the server waits for at shutdown; dropping it marks the task done.
pub(crate) struct TaskGuard {
    _tasks: Option<mpsc::Sender<()>>,
}

/// The wall clock in unix seconds (0 if the clock is before 1970).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Why the hub did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// An account seed is invalid.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The database cannot be opened, reached or migrated.
    #[error("storage: {0}")]
    Storage(#[from] DbError),
    /// The listener failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// The multi-instance fan-out could not be set up.
    #[error("cluster: {0}")]
    Cluster(#[from] ClusterError),
    /// The public URL is not an absolute `http`/`https` URL.
    #[error("the public URL `{0}` is not an absolute http or https URL")]
    PublicUrl(String),
    /// The Versia settings are unusable.
    #[error(transparent)]
    Versia(#[from] VersiaError),
    /// The Cattle Drive broker could not be reached.
    #[error("Cattle Drive: {0}")]
    Cattle(crate::cattle::LinkError),
}

/// A hub bound to a listener, ready to [`Server::run`].
pub struct Server {
    core: Arc<Core>,
    modules: Arc<[Arc<dyn Module>]>,
    listener: TcpListener,
    local_addr: SocketAddr,
    shutdown_tx: watch::Sender<bool>,
    tasks_rx: mpsc::Receiver<()>,
    grace: Duration,
}

impl Server {
    /// Builds the hub for `config` on `listener` (already bound, e.g. to port 0 in tests):
    /// opens the storage (migrating it), creates or updates the seeded accounts and loads them.
    ///
    /// # Errors
    /// [`ServeError::Account`] for an invalid account seed, [`ServeError::Storage`] when the
    /// database cannot be opened or holds a newer schema, [`ServeError::PublicUrl`],
    /// [`ServeError::Cluster`] for an invalid broker URL or a broker configured without
    /// PostgreSQL storage, [`ServeError::Versia`] for an
    /// unreadable key, [`ServeError::Io`] when the listener has no local address.
    pub async fn bind(mut config: Config, listener: TcpListener) -> Result<Server, ServeError> {
        let local_addr = listener.local_addr()?;
        accounts::check_seeds(&config.accounts)?;
        let base_url = config
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{local_addr}"));
        let base = url::Url::parse(&base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| ServeError::PublicUrl(base_url.clone()))?;
        // Refused before the database is opened: a broker with a storage of this instance's own.
        let cluster = Arc::new(Cluster::new(config.cluster.clone(), &config.storage)?);
        let db = Db::open(config.storage.clone()).await?;
        let seeds = config
            .accounts
            .iter()
            .map(|seed| (seed.name.clone(), seed.token.clone()))
            .collect();
        let stored = store::load_accounts(&db, seeds, random::token).await?;
        let accounts = Arc::new(Accounts::new(
            stored
                .iter()
                .map(|(name, token)| (name.as_str(), token.as_str())),
        )?);
        if config.versia.private_key.is_none() {
            let key = store::setting(&db, "versia_private_key", || {
                versia_ws::key::PrivateKey::from_seed(&random::seed32()).to_pkcs8_base64()
            })
            .await?;
            config.versia.private_key = Some(key);
        }
        let limits = &config.limits;
        let names: Vec<String> = stored.into_iter().map(|(name, _)| name).collect();
        let origin = random::hex(8);
        let store = Store::open(
            db,
            StoreConfig {
                base: &base,
                accounts: &names,
                origin: &origin,
                window: limits.feed_window(),
                quotas: Quotas {
                    account: i64::try_from(limits.account_quota_bytes).unwrap_or(i64::MAX),
                    hub: i64::try_from(limits.hub_quota_bytes).unwrap_or(i64::MAX),
                },
                bus_keep: limits.bus_replay,
            },
        )
        .await?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (tasks_tx, tasks_rx) = mpsc::channel(1);
        let keys = Arc::new(ActorKeys::new(
            store.db().clone(),
            config.federation.actor_keys,
        ));
        let deliverer = Arc::new(Deliverer::new(
            store.db().clone(),
            keys.clone(),
            &config.federation,
            base_url.clone(),
        ));
        let followers = Arc::new(Followers::new(store.db().clone()));
        let core = Arc::new(Core {
            followers,
            deliverer,
            keys,
            signed_inbox: Arc::new(SignedInbox::new(&config.federation)),
            accounts,
            store: Arc::new(store),
            base_url,
            base,
            limits: config.limits.clone(),
            cluster,
            shutdown: shutdown_rx,
            tasks: Mutex::new(Some(tasks_tx)),
        });
        let bus = bus::BusModule::new(core.clone(), config.bus.clone(), config.bus_dialect);
        let versia = VersiaModule::new(core.clone(), bus.bus().clone(), &config.versia)?;
        let c2s = C2sModule::new(core.clone(), bus.bus().clone());
        let drive = DriveModule::new(core.clone(), config.cattle.clone(), c2s.c2s().clone());
        let mastodon = MastodonModule::new(core.clone(), c2s.c2s());
        let modules: Vec<Arc<dyn Module>> = vec![
            Arc::new(page::PageModule::new(core.clone())),
            Arc::new(c2s),
            Arc::new(bus),
            Arc::new(versia),
            Arc::new(mastodon),
            Arc::new(drive),
            Arc::new(FederationModule::new(core.clone())),
        ];
        Ok(Server {
            core,
            modules: modules.into(),
            listener,
            local_addr,
            shutdown_tx,
            tasks_rx,
            grace: config.shutdown_grace,
        })
    }

    /// The address the listener is bound to.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL clients reach the hub at.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.core.base_url
    }

    /// The accounts, ordered by name.
    #[must_use]
    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.core.accounts.all()
    }

    /// What a new user can do: the page to open as each account and command lines to try.
    #[must_use]
    pub fn banner(&self) -> String {
        let base = &self.core.base_url;
        let accounts = self.accounts();
        let mut out = format!("fedi-hub is listening on {base}\n\nAccounts (bearer tokens):\n");
        for account in &accounts {
            out.push_str(&format!("  {:<8} {}\n", account.name(), account.token()));
        }
        out.push_str("\nOpen in a browser (one tab per account):\n");
        for account in &accounts {
            out.push_str(&format!("  {}\n", page::login_link(base, account)));
        }
        if let Some(first) = accounts.first() {
            out.push_str(&format!("\nTry (as {}):\n", first.name()));
            for module in self.modules.iter() {
                for line in module.try_lines(base, first) {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        out
    }

    /// Serves until `shutdown` resolves, then stops accepting, asks every connection to finish
    /// (WebSockets get close 1001, streams end) and waits up to the configured grace period.
    ///
    /// With a fan-out (a broker, or PostgreSQL storage), the broker or database is connected and
    /// subscribed before the first connection is accepted; later failures are logged and
    /// reconnected.
    ///
    /// # Errors
    /// [`ServeError::Cluster`] or [`ServeError::Cattle`] when a broker cannot be reached at
    /// start. Accept errors (such as running out of file descriptors) are logged and retried.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let Server {
            core,
            modules,
            listener,
            local_addr,
            shutdown_tx,
            mut tasks_rx,
            grace,
        } = self;
        core.store.start(core.shutdown()).await?;
        core.cluster.start(core.store.db(), core.shutdown()).await?;
        for module in modules.iter() {
            module.start().await?;
        }
        tracing::info!(%local_addr, url = %core.base_url, "serving");
        let permits = Arc::new(Semaphore::new(core.limits.max_connections));
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(
                            %peer,
                            limit = core.limits.max_connections,
                            "connection refused: Limits::max_connections reached"
                        );
                        continue;
                    };
                    let core = core.clone();
                    let modules = modules.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        connection(core, modules, stream, peer).await;
                    });
                }
                Err(e) => {
                    // Typically EMFILE: back off a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        tracing::info!("shutting down");
        drop(listener);
        let _ = shutdown_tx.send(true);
        core.tasks.lock().unwrap_or_else(|e| e.into_inner()).take();
        let started = Instant::now();
        if tokio::time::timeout(grace, tasks_rx.recv()).await.is_err() {
            tracing::warn!(
                ?grace,
                "connections still open after the grace period; dropping them"
            );
        } else {
            tracing::info!(elapsed = ?started.elapsed(), "all connections closed");
        }
        Ok(())
    }
}

/// Binds the hub for `config` to `listener` and serves until `shutdown` resolves: the
/// one-call form of [`Server::bind`] then [`Server::run`].
///
/// # Errors
/// As [`Server::bind`].
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    Server::bind(config, listener).await?.run(shutdown).await
}

/// One HTTP/1.1 connection (upgrades included).
async fn connection(
    core: Arc<Core>,
    modules: Arc<[Arc<dyn Module>]>,
    stream: TcpStream,
    peer: SocketAddr,
) {
    let _guard = core.guard();
    let _ = stream.set_nodelay(true);
    let mut shutdown = core.shutdown();
    let service = service_fn(move |request: Request| {
        let modules = modules.clone();
        async move { Ok::<_, Infallible>(dispatch(&modules, request).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(core.limits.header_read_timeout);
    let conn = builder
        .serve_connection(
            TokioIo::new(WriteStall::new(stream, core.limits.write_stall_timeout)),
            service,
        )
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = shutdown.wait() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Hands `request` to the first module that claims it; every response leaves with the hub's
/// common headers ([`web::add_common_headers`]).
async fn dispatch(modules: &[Arc<dyn Module>], request: Request) -> Response {
    let mut response = route(modules, request).await;
    web::add_common_headers(&mut response);
    response
}

async fn route(modules: &[Arc<dyn Module>], request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let Some(module) = modules.iter().find(|m| m.claims(&request)) else {
        tracing::debug!(%method, %path, "no module serves this path");
        return web::error(
            StatusCode::NOT_FOUND,
            format!("nothing is served at {path}"),
        );
    };
    let response = module.handle(request).await;
    tracing::debug!(module = module.name(), %method, %path, status = %response.status(), "request");
    response
}
