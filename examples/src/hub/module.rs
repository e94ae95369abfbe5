//! The plug-in point of the hub: every protocol is a [`Module`] that claims its paths.

use std::future::Future;
use std::pin::Pin;

use crate::hub::accounts::Account;
use crate::hub::server::ServeError;
use crate::hub::web::{Request, Response};

/// The future answering one request.
pub(crate) type Handler = Pin<Box<dyn Future<Output = Response> + Send>>;

/// The future starting a module: done once it is ready to serve (broker subscribed, timers
/// running).
pub(crate) type Starting = Pin<Box<dyn Future<Output = Result<(), ServeError>> + Send>>;

/// One protocol served by the hub.
///
/// The server offers each request to its modules in order; the first that
/// [claims](Module::claims) it [handles](Module::handle) it, and a request nobody claims gets
/// `404`.
pub(crate) trait Module: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// Starts the module's background tasks (timers, broker consumers). Called once, inside the
    /// runtime; the first connection is accepted after every module's future resolved.
    fn start(&self) -> Starting {
        Box::pin(async { Ok(()) })
    }

    /// Whether this module serves `request` (usually decided by its path).
    fn claims(&self, request: &Request) -> bool;

    /// The future answering a request this module claimed.
    fn handle(&self, request: Request) -> Handler;

    /// Lines telling a user what to try with this module as `account` (printed at start).
    fn try_lines(&self, base: &str, account: &Account) -> Vec<String> {
        let _ = (base, account);
        Vec::new()
    }
}
