//! Cattle Drive over RabbitMQ (`--amqp`): the hub's accounts answered as cattle_grid answers
//! them, with the server side of `cattle_drive_types` and the AMQP adapter and account service
//! of [`crate::cattle`].
//!
//! ```text
//!  RabbitMQ amq.topic ──send.{account}.request/trigger.*──► AmqpLink (the hub's queue)
//!        ▲                                                     │ deliveries
//!        │                                      cattle::serve: Server::handle_publish
//!        └──receive.{account}.response/event/error.*── AmqpLink ◄── AccountService::handle
//! ```
//!
//! Every hub account whose name is a valid Cattle Drive account name (at most 16 characters)
//! is served; actors are created under the hub's public URL, as `{base}/actor/{n}`, and this
//! module serves that path over HTTP: `GET` answers an actor's document (and the public
//! documents its actors created) as `application/activity+json` to anyone, `410 Gone` for a
//! deleted actor, `404` for anything else. Actors and their documents live in the hub's
//! database (`hub::store`'s `DbDriveStore`), so they outlive a restart; the service runs on
//! blocking threads because its store waits on the database. The two worlds meet in both
//! directions: a `send_message` is also delivered to the hub accounts it addresses (their
//! inboxes, streams and Bus), and whatever the hub delivers to `{base}/users/{name}` becomes
//! an `incoming` event for account `{name}`. The hub connects with the URI's
//! user, which must be allowed to read the accounts' `send.*` keys and write their `receive.*`
//! keys. With [`CattleConfig::require_login`], only messages whose AMQP `user_id` (vouched for
//! by RabbitMQ) names the account are accepted.

use std::sync::{Arc, Mutex};

use cattle_drive_types::message::Trigger;
use cattle_drive_types::server::{ClientMessage, Inbound, Server, ServerConfig};
use cattle_drive_types::topic::{AccountName, Transport, server_filters};
use fedi_stream::c2s::negotiate::Representation;
use http::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::cattle::amqp::AmqpLink;
use crate::cattle::service::{ACTOR_PATH, AccountService, Served};
use crate::cattle::{Link, ServeRejection, serve};
use crate::hub::c2s::{C2s, actor_url};
use crate::hub::module::{Handler, Module, Starting};
use crate::hub::server::{Core, ServeError};
use crate::hub::store::{self, BoxKind, DbDriveStore};
use crate::hub::web::{self, Request, Response};

/// Cattle Drive settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CattleConfig {
    /// The broker, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`.
    pub amqp_uri: String,
    /// Accept only messages whose broker-vouched login (AMQP `user_id`) is the account
    /// (default `false`: any client of the broker may speak for any account, as on a
    /// development broker with one shared user).
    pub require_login: bool,
}

impl CattleConfig {
    /// Cattle Drive through the RabbitMQ at `amqp_uri`, logins not required.
    #[must_use]
    pub fn amqp(amqp_uri: impl Into<String>) -> Self {
        CattleConfig {
            amqp_uri: amqp_uri.into(),
            require_login: false,
        }
    }
}

/// Incoming events waiting to be published.
const INCOMING_QUEUE: usize = 1_024;

/// The module: the actors' HTTP paths and a broker consumer.
pub(crate) struct DriveModule {
    core: Arc<Core>,
    config: Option<CattleConfig>,
    service: SharedService,
    c2s: Arc<C2s>,
}

impl DriveModule {
    pub(crate) fn new(core: Arc<Core>, config: Option<CattleConfig>, c2s: Arc<C2s>) -> Self {
        DriveModule {
            core,
            config,
            service: Arc::new(Mutex::new(AccountService::with_store(
                c2s.store().drive_store(),
            ))),
            c2s,
        }
    }

    /// The hub accounts Cattle Drive can name, registered with the service.
    fn accounts(&self) -> Vec<AccountName> {
        let mut service = self.service.lock().unwrap_or_else(|e| e.into_inner());
        self.core
            .accounts
            .all()
            .iter()
            .filter_map(|account| match AccountName::new(account.name()) {
                Ok(name) => {
                    service.add_account(name.clone(), vec![self.core.base_url.clone()]);
                    Some(name)
                }
                Err(e) => {
                    tracing::warn!(account = account.name(), error = %e, "not served over Cattle Drive");
                    None
                }
            })
            .collect()
    }
}

impl Module for DriveModule {
    fn name(&self) -> &'static str {
        "cattle-drive"
    }

    fn claims(&self, request: &Request) -> bool {
        request.uri().path().starts_with(ACTOR_PATH)
    }

    fn handle(&self, request: Request) -> Handler {
        Box::pin(document(
            self.service.clone(),
            self.core.base_url.clone(),
            request,
        ))
    }

    fn try_lines(&self, _base: &str, account: &crate::hub::Account) -> Vec<String> {
        match &self.config {
            Some(_) => vec![format!(
                "Cattle Drive: publish to amq.topic with routing key send.{}.request.info (answers on receive.{}.response.info)",
                account.name(),
                account.name()
            )],
            None => Vec::new(),
        }
    }

    fn start(&self) -> Starting {
        let Some(config) = self.config.clone() else {
            return Box::pin(async { Ok(()) });
        };
        let accounts = self.accounts();
        let service = self.service.clone();
        let core = self.core.clone();
        let c2s = self.c2s.clone();
        Box::pin(async move {
            let filters: Vec<String> = accounts
                .iter()
                .flat_map(|a| server_filters(Some(a), Transport::Amqp))
                .collect();
            // One queue per database: the instances sharing one state share it and answer each
            // message once; hubs with their own state have their own.
            let queue = store::setting(c2s.store().db(), "cattle_queue", || {
                format!("fedi-hub-cattle-{}", crate::hub::random::hex(8))
            })
            .await
            .map_err(ServeError::Storage)?;
            let (link, deliveries) =
                AmqpLink::connect_shared(&config.amqp_uri, None, &queue, &filters)
                    .await
                    .map_err(ServeError::Cattle)?;
            let link = Arc::new(link);
            tracing::info!(accounts = accounts.len(), %queue, "serving Cattle Drive over AMQP");
            incoming_events(&core, &c2s, &service, &link, &accounts);
            let serving = link.clone();
            let guard = core.guard();
            tokio::spawn(async move {
                let _guard = guard;
                let server = Server::new(ServerConfig::new(Transport::Amqp));
                let handler = |inbound: Inbound| {
                    let service = service.clone();
                    let server = server.clone();
                    let c2s = c2s.clone();
                    async move {
                        // Messages the actors send also reach the hub's accounts they address.
                        let sent = match &inbound.message {
                            ClientMessage::Trigger(Trigger::SendMessage(message)) => {
                                Some(Value::Object(message.data.clone()))
                            }
                            _ => None,
                        };
                        let outbound =
                            with_service(service, move |service| service.handle(&server, &inbound))
                                .await
                                .unwrap_or_default();
                        if let Some(activity) = sent {
                            tokio::spawn(async move { c2s.deliver_external(activity).await });
                        }
                        outbound
                    }
                };
                let refused = |rejection: ServeRejection| {
                    tracing::info!(?rejection, "Cattle Drive message refused");
                };
                serve(
                    &*serving,
                    deliveries,
                    &server,
                    config.require_login,
                    handler,
                    refused,
                )
                .await;
            });
            let mut shutdown = core.shutdown();
            tokio::spawn(async move {
                shutdown.wait().await;
                // Closing the connection ends the deliveries, and so the serving task.
                link.close().await;
            });
            Ok(())
        })
    }
}

/// The account service, over the hub's database.
type SharedService = Arc<Mutex<AccountService<DbDriveStore>>>;

/// Runs `job` on the service on a blocking thread (its store waits on the database); `None`
/// when the job panicked.
async fn with_service<T: Send + 'static>(
    service: SharedService,
    job: impl FnOnce(&mut AccountService<DbDriveStore>) -> T + Send + 'static,
) -> Option<T> {
    let run = tokio::task::spawn_blocking(move || {
        job(&mut service.lock().unwrap_or_else(|e| e.into_inner()))
    });
    match run.await {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::error!(error = %e, "the Cattle Drive service failed");
            None
        }
    }
}

/// `GET {base}/actor/…`: what the account service serves there to anyone.
async fn document(service: SharedService, base: String, request: Request) -> Response {
    if !web::is_get(&request) {
        return web::method_not_allowed("GET, HEAD");
    }
    let url = format!("{base}{}", request.uri().path());
    let lookup = url.clone();
    let served = with_service(service, move |service| service.public_document(&lookup)).await;
    match served {
        Some(Ok(Served::Found(document))) => {
            let mut response = hyper::Response::new(web::full(Value::Object(document).to_string()));
            response
                .headers_mut()
                .extend(Representation::ActivityJson.response_headers());
            response
        }
        Some(Ok(Served::Gone)) => web::error(StatusCode::GONE, format!("{url} was deleted")),
        Some(Ok(Served::NotFound)) => {
            web::error(StatusCode::NOT_FOUND, format!("nothing is served at {url}"))
        }
        Some(Err(e)) => {
            tracing::warn!(error = %e, %url, "Cattle Drive store failed");
            web::error(StatusCode::SERVICE_UNAVAILABLE, "the store failed")
        }
        None => web::error(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
    }
}

/// Publishes an `incoming` event to an account whenever the hub delivers to its actor's
/// inbox (`{base}/users/{name}`), as cattle_grid does for activities its actors receive.
fn incoming_events(
    core: &Arc<Core>,
    c2s: &Arc<C2s>,
    service: &SharedService,
    link: &Arc<AmqpLink>,
    accounts: &[AccountName],
) {
    let (tx, mut rx) = mpsc::channel::<(AccountName, String, Value)>(INCOMING_QUEUE);
    let served: Vec<AccountName> = accounts.to_vec();
    let base = core.base_url.clone();
    c2s.store().observe(Box::new(move |kind, recipient, entry| {
        // In a cluster, the instance that committed a delivery publishes its event.
        if kind != BoxKind::Inbox || !entry.local {
            return;
        }
        let Some(account) = served.iter().find(|a| a.as_str() == recipient) else {
            return;
        };
        let actor = actor_url(&base, recipient);
        if tx
            .try_send((account.clone(), actor, (*entry.activity).clone()))
            .is_err()
        {
            tracing::warn!(recipient, "Cattle Drive incoming event dropped: queue full");
        }
    }));
    let service = service.clone();
    let link = link.clone();
    tokio::spawn(async move {
        let server = Server::new(ServerConfig::new(Transport::Amqp));
        while let Some((account, actor, activity)) = rx.recv().await {
            let Value::Object(activity) = activity else {
                continue;
            };
            let server = server.clone();
            let outbound = with_service(service.clone(), move |service| {
                service.incoming(&server, &account, &actor, activity)
            })
            .await
            .flatten();
            if let Some(out) = outbound
                && let Err(e) = link
                    .publish(&out.routing_key, out.correlation_id.as_deref(), &out.body)
                    .await
            {
                tracing::warn!(error = %e, "Cattle Drive incoming event not published");
            }
        }
    });
}
