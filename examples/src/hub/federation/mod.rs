//! Federation with other ActivityPub servers: WebFinger and the actors' signing keys.
//!
//! ```text
//!  GET /.well-known/webfinger?resource=acct:NAME@HOST   JRD: `self` link ─► the actor id
//!  GET /users/{name}                                    publicKey {id: ACTOR#main-key,
//!                                                       owner, publicKeyPem} (c2s module)
//!  POST /users/{name}/inbox   body bounded (Limits) ─► signature_key_id ─► key: cache, or a
//!                             bounded fetch of the key id's document (signed as {name}) ─►
//!                             verify (Date within the skew) ─► actor == key owner ─► the
//!                             inbox (c2s module) ─► 202
//!  C2S post to a remote actor ─► `deliveries` row (durable; `POST outbox` answers here, the
//!     C2S WebSocket after the first attempt) ─► GET the actor's document
//!     (bounded, signed as the sender) ─► its `inbox` ─► POST signed (cavage, the sender's
//!     key) ─► `delivered`, or
//!     `retrying` (kept; the worker retries with backoff) or `failed` on the C2S WebSocket;
//!     at most `delivery_concurrency` attempts at once, each in its own task
//!  incoming Follow of a local actor ─► `followers` row ─► Accept delivered to the follower;
//!     a post addressed to the actor's followers reaches them as remote recipients
//! ```
//!
//! Authorization: WebFinger and the public keys are public (they only say what the actor
//! document says to anyone). An inbox accepts an activity only from the actor that signed it:
//! `401` without a valid signature (or with a `Date` outside
//! [`FederationConfig::signature_skew`](crate::hub::FederationConfig::signature_skew)), `403`
//! when the activity's actor is not the key's owner. The key's actor document must carry the id it
//! is fetched by and list a key whose id is exactly the signature's key id and whose owner is
//! that document. A delivery repeated within the window is answered `202` and stored once (its id is
//! taken). Outgoing fetches reach only public addresses unless
//! [`FederationConfig::allow_private_addresses`](crate::hub::FederationConfig::allow_private_addresses)
//! is set (SSRF), within a size and time bound.
//!
//! Decisions:
//! - Actor keys are **RSA** (2048 bits, `rsa-sha256`) unless
//!   [`FederationConfig::actor_keys`](crate::hub::FederationConfig::actor_keys) asks for
//!   Ed25519 (`hs2019`): Mastodon-style servers verify only RSA keys. The `rsa` crate makes
//!   them (ring cannot); ring signs with every key (see [`keys`]), on blocking threads, at
//!   most as many at once as there are cores ([`fetch::sign`]). Tested with both kinds
//!   against cattle_grid 0.5.22 (`tests/hub_federation_peer.rs`). Incoming signatures are
//!   verified with RSA and Ed25519 keys alike.
//! - **Fetches are signed** ("authorized fetch"): a delivery's actor document is fetched
//!   signed by the sender, a key by the actor whose inbox received the delivery (cavage,
//!   `(request-target) host date accept`). cattle_grid answers `401` to an unsigned fetch
//!   of its actors; servers that do not check ignore the signature. There is no instance
//!   actor: every fetch has a local actor it is made for.

pub(crate) mod fetch;
pub(crate) mod followers;
pub(crate) mod inbox;
pub(crate) mod keys;
pub(crate) mod outbox;
mod webfinger;

use std::sync::Arc;

use http::Method;

use crate::hub::module::{Handler, Module, Starting};
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

    fn start(&self) -> Starting {
        let deliverer = self.core.deliverer.clone();
        tokio::spawn(deliverer.run(self.core.shutdown(), self.core.guard()));
        Box::pin(async { Ok(()) })
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
