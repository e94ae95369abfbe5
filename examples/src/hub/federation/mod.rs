//! Federation with other ActivityPub servers: WebFinger and the actors' signing keys.
//!
//! ```text
//!  GET /.well-known/webfinger?resource=acct:NAME@HOST   JRD: `self` link ─► the actor id
//!  GET /users/{name}                                    publicKey {id: ACTOR#main-key,
//!                                                       owner, publicKeyPem} (c2s module)
//! ```
//!
//! Authorization: WebFinger and the public keys are public (they only say what the actor
//! document says to anyone).
//!
//! Decisions:
//! - Actor keys are **Ed25519** (signed `hs2019` in cavage signatures), made with a seed from
//!   the operating system on the actor's first use and kept in the database (`actor_keys`):
//!   ring, which signs and verifies, cannot generate RSA keys, and the RustCrypto `rsa` crate,
//!   which can, is not taken in for one operation whose keys would then be signed by a
//!   different library than made them. Ed25519 is what hubs speak between themselves and what
//!   current servers accept (`hs2019`); servers that accept only `rsa-sha256` (Mastodon before
//!   4.4) cannot verify this hub's deliveries. Keys read from the database are verified RSA or
//!   Ed25519 alike, so an RSA key imported in `actor_keys` is the path to them later.

pub(crate) mod keys;
mod webfinger;

use std::sync::Arc;

use http::Method;

use crate::hub::module::{Handler, Module};
use crate::hub::server::Core;
use crate::hub::web::{self, Request};

/// The fragment of an actor's key id: `ACTOR#main-key`.
pub(crate) const KEY_FRAGMENT: &str = "#main-key";

/// Serves [`webfinger::PATH`].
pub(crate) struct FederationModule {
    core: Arc<Core>,
}

impl FederationModule {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        FederationModule { core }
    }
}

impl Module for FederationModule {
    fn name(&self) -> &'static str {
        "federation"
    }

    fn claims(&self, request: &Request) -> bool {
        request.uri().path() == webfinger::PATH
    }

    fn handle(&self, request: Request) -> Handler {
        let core = self.core.clone();
        Box::pin(async move {
            if matches!(*request.method(), Method::GET | Method::HEAD) {
                webfinger::answer(&core, &request)
            } else {
                web::method_not_allowed("GET, HEAD")
            }
        })
    }
}
