//! Versia 0.6 federation with `versia_ws`: the instance metadata at `/.well-known/versia`, the
//! signed HTTP inbox at `/.versia/v0.6/inbox`, and the instance-to-instance WebSocket at
//! `/.versia/v0.6/ws`.
//!
//! ```text
//! POST inbox ─► verify_request_head (headers, window, peer key) ─► body (bounded, timed)
//!     ─► verify_body ─► replay cache ─► Entity ─► check_authority (author is the peer's) ─┐
//! GET ws ────► Acceptor::accept (signed upgrade) ─► signed 101 ─► Connection              │
//!     socket text ─► handle_text ─► poll_transmit (ack, or error: foreign_author, …)      │
//!                                   poll_event: Received ─────────────────────────────────┤
//!                                                                                         ▼
//!                    Note / Share / Follow for local users ─► Bus action, source federated
//! ```
//!
//! The instance key is generated at start unless configured. Peers are configured with their
//! domain and public key (the hub fetches nothing); a request signed by anyone else is refused
//! with 401, before its body is read. One replay cache serves the inbox and every connection.
//!
//! A peer marked as running versia-server (`VersiaPeer::versia_server_paths`) is verified with
//! versia-server's path form accepted too, and what the hub signs for it (the `101` of its
//! connections, the metadata when it asks with its signature) is signed in that form. Which
//! peer a request is from is read from its `Versia-Signed-By` before verification; the claim
//! only picks the path forms, and verification then needs that peer's key. The hub's endpoint
//! paths are plain, where both forms are the same string.
//!
//! A peer speaks only for its own users: an entity whose `author` is on another domain (this
//! hub's included) is refused with 403 `foreign_author`, over HTTP and on the WebSocket. Other
//! references (mentions, followee, shared note) are plain references: a mention of
//! `{this domain}:{name}` only chooses whom to show the entity to.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use bus_protocol::message::{ActionNotice, ActionSource, ActionStatus, ActionType};
use futures::{SinkExt, StreamExt};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use versia_ws::connection::{Acceptor, CloseCode, Connection, Event, LocalIdentity, Transmit};
use versia_ws::entity::{ContentFormat, Entity};
use versia_ws::path::{PathForm, PathMode};
use versia_ws::replay::{ReplayCache, ReplayError};
use versia_ws::signature::{SignatureHeaders, SignatureInput, Verified, verify_request_head};
use versia_ws::{KeyResolver, PrivateKey, PublicKey, SignedBy, SignerKey, VerifyOptions, Version};

use crate::hub::bus::Bus;
use crate::hub::config::VersiaConfig;
use crate::hub::module::{Handler, Module};
use crate::hub::server::{Core, unix_now};
use crate::hub::web::{self, Request, Response};
use crate::hub::ws::{self, WsStream};

/// Where peers find this instance's metadata and key.
const METADATA_PATH: &str = "/.well-known/versia";
/// The signed HTTP inbox.
const INBOX_PATH: &str = "/.versia/v0.6/inbox";
const VERSION: Version = Version::V0_6;

/// Why the Versia settings are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersiaError {
    /// The configured private key is not PKCS#8 base64 Ed25519.
    #[error("the Versia private key is not a PKCS#8 base64 Ed25519 key: {0}")]
    PrivateKey(String),
    /// A peer's public key is not SPKI base64 Ed25519.
    #[error("the public key of Versia peer `{domain}` is not SPKI base64 Ed25519: {reason}")]
    PeerKey {
        /// The peer.
        domain: String,
        /// What is wrong.
        reason: String,
    },
}

/// The configured peers' keys, as a `versia_ws` key resolver.
#[derive(Clone)]
struct Peers(Arc<HashMap<String, PublicKey>>);

impl KeyResolver for Peers {
    fn resolve(&mut self, signer: &SignedBy) -> Option<SignerKey> {
        match signer {
            SignedBy::Instance(domain) => self.0.get(domain).map(|key| SignerKey {
                signer: signer.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }
}

type SharedReplay = Arc<Mutex<ReplayCache>>;

struct Versia {
    core: Arc<Core>,
    bus: Arc<Bus>,
    identity: LocalIdentity,
    domain: String,
    peers: Peers,
    /// The peers that run versia-server (`VersiaPeer::versia_server_paths`).
    versia_server_peers: HashSet<String>,
    replay: SharedReplay,
    /// Inbox bodies being read (`Limits::versia_inbox_reads`).
    inbox_reads: Arc<tokio::sync::Semaphore>,
    /// How long a signature stays inside the time window (seconds, each way).
    max_skew: u64,
    acceptor: Acceptor,
    /// The acceptor for peers that run versia-server.
    versia_server_acceptor: Acceptor,
    options: VerifyOptions,
    metadata: String,
    ws_config: WebSocketConfig,
}

/// Serves the Versia endpoints.
pub(crate) struct VersiaModule {
    versia: Arc<Versia>,
}

impl VersiaModule {
    pub(crate) fn new(
        core: Arc<Core>,
        bus: Arc<Bus>,
        config: &VersiaConfig,
    ) -> Result<Self, VersiaError> {
        let key = match &config.private_key {
            Some(text) => PrivateKey::from_pkcs8_base64(text)
                .map_err(|e| VersiaError::PrivateKey(e.to_string()))?,
            None => PrivateKey::from_seed(&crate::hub::random::seed32()),
        };
        let mut peers = HashMap::new();
        let mut versia_server_peers = HashSet::new();
        for peer in &config.peers {
            if peer.versia_server_paths {
                versia_server_peers.insert(peer.domain.clone());
            }
            let key = PublicKey::from_spki_base64(&peer.public_key).map_err(|e| {
                VersiaError::PeerKey {
                    domain: peer.domain.clone(),
                    reason: e.to_string(),
                }
            })?;
            peers.insert(peer.domain.clone(), key);
        }
        let domain = config.domain.clone().unwrap_or_else(|| {
            url::Url::parse(&core.base_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "localhost".to_owned())
        });
        let identity = LocalIdentity {
            signer: SignedBy::instance(domain.clone()),
            key,
        };
        let connection_config = versia_ws::connection::Config::new(VERSION);
        let metadata = json!({
            "type": "InstanceMetadata",
            "name": "fedi-hub",
            "software": {"name": "fedi-hub", "version": env!("CARGO_PKG_VERSION")},
            "compatibility": {"versions": ["0.6.0"], "extensions": []},
            "description": "The reference server of the fedi-realtime crates",
            "domain": domain,
            "public_key": {"algorithm": "ed25519", "key": identity.key.public_key().to_spki_base64()},
            "created_at": chrono::DateTime::from_timestamp(unix_now(), 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .to_string();
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(connection_config.limits.max_message_bytes));
        Ok(VersiaModule {
            versia: Arc::new(Versia {
                acceptor: Acceptor::new(connection_config.clone(), identity.clone()),
                versia_server_acceptor: Acceptor::new(
                    connection_config.clone().versia_server_compatible(),
                    identity.clone(),
                ),
                options: VerifyOptions::new(VERSION),
                replay: Arc::new(Mutex::new(ReplayCache::new(
                    connection_config.limits.replay_capacity,
                    connection_config.max_skew_secs,
                ))),
                peers: Peers(Arc::new(peers)),
                versia_server_peers,
                max_skew: connection_config.max_skew_secs,
                inbox_reads: Arc::new(tokio::sync::Semaphore::new(
                    core.limits.versia_inbox_reads.max(1),
                )),
                core,
                bus,
                identity,
                domain,
                metadata,
                ws_config,
            }),
        })
    }
}

impl Module for VersiaModule {
    fn name(&self) -> &'static str {
        "versia"
    }

    fn claims(&self, request: &Request) -> bool {
        let path = request.uri().path();
        path == METADATA_PATH || path == INBOX_PATH || path == VERSION.ws_path()
    }

    fn handle(&self, request: Request) -> Handler {
        let versia = self.versia.clone();
        Box::pin(async move {
            match request.uri().path() {
                METADATA_PATH => versia.metadata(&request),
                INBOX_PATH => versia.inbox(request).await,
                _ => versia.upgrade(request),
            }
        })
    }

    fn try_lines(&self, base: &str, _account: &crate::hub::Account) -> Vec<String> {
        vec![format!(
            "curl {base}{METADATA_PATH}   # Versia instance metadata and key"
        )]
    }
}

impl Versia {
    /// Whether the request's `Versia-Signed-By` names a peer that runs versia-server. An
    /// unverified claim: it only picks the path forms, and verification then needs that peer's
    /// key.
    fn is_versia_server_peer(&self, request: &Request) -> bool {
        match SignatureHeaders::from_headers(request.headers(), VERSION) {
            Ok(SignatureHeaders {
                signed_by: SignedBy::Instance(domain),
                ..
            }) => self.versia_server_peers.contains(&domain),
            _ => false,
        }
    }

    /// The instance metadata, signed as a response to `GET` (as Versia asks of responses).
    fn metadata(&self, request: &Request) -> Response {
        if !web::is_get(request) {
            return web::method_not_allowed("GET, HEAD");
        }
        let mut response = web::respond(StatusCode::OK, "application/json", self.metadata.clone());
        let form = if self.is_versia_server_peer(request) {
            PathForm::VersiaServer
        } else {
            PathForm::Strict
        };
        let signed = versia_ws::clock::unix_seconds(SystemTime::now())
            .map_err(versia_ws::signature::SignError::from)
            .and_then(|signed_at| {
                SignatureInput::for_response(
                    request.method(),
                    request.uri(),
                    signed_at,
                    self.metadata.as_bytes(),
                )
                .map_err(versia_ws::signature::SignError::from)
            })
            .and_then(|input| {
                SignatureHeaders::sign_in(
                    &self.identity.key,
                    &input,
                    self.identity.signer.clone(),
                    form,
                )
            });
        match signed {
            Ok(headers) => {
                if let Err(e) = headers.write_to(response.headers_mut(), VERSION) {
                    tracing::warn!(error = %e, "cannot write the metadata signature");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot sign the metadata"),
        }
        response
    }

    /// A signed delivery. Everything that needs no body is checked first (signature headers,
    /// window, a configured peer with a key), so an unsigned, unknown or stale delivery is
    /// refused without reading its body; then the body is read under `Limits` (size and
    /// deadline) and the signature checked over it.
    async fn inbox(&self, request: Request) -> Response {
        if request.method() != Method::POST {
            return web::method_not_allowed("POST");
        }
        let wall = SystemTime::now();
        let options = if self.is_versia_server_peer(&request) {
            self.options.with_path_mode(PathMode::AlsoVersiaServer)
        } else {
            self.options
        };
        let head =
            match verify_request_head(&options, &request, Some(wall), &mut self.peers.clone()) {
                Ok(head) => head,
                Err(e) => {
                    tracing::info!(error = %e, "versia inbox: signature refused before the body");
                    let mut response = refusal(e.status(), e.code(), e.to_string());
                    // The body is never read: end the connection rather than skip it.
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    return response;
                }
            };
        // A peer's name and a well-formed signature make the hub read a body it can only check
        // once read: at most `Limits::versia_inbox_reads` such bodies are read at a time.
        let Ok(_reading) = self.inbox_reads.clone().try_acquire_owned() else {
            let mut response = refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many deliveries are being read; retry later (Limits::versia_inbox_reads)"
                    .into(),
            );
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        };
        let body = match web::read_body(request.into_body(), &self.core.limits).await {
            Ok(body) => body,
            Err(e) => return e.response(),
        };
        let verified = match head.verify_body(&body) {
            Ok(verified) => verified,
            Err(e) => {
                tracing::info!(error = %e, "versia inbox: signature refused");
                return refusal(e.status(), e.code(), e.to_string());
            }
        };
        if let Err(refused) = self.remember(&verified).await {
            return refused;
        }
        let text = match std::str::from_utf8(&body) {
            Ok(text) => text,
            Err(_) => return web::error(StatusCode::BAD_REQUEST, "the entity is not UTF-8"),
        };
        let entity = match Entity::from_json(text) {
            Ok(entity) => entity,
            Err(e) => return web::error(StatusCode::BAD_REQUEST, e.to_string()),
        };
        if let Err(e) = entity.check_authority(VERSION, &verified.signer) {
            tracing::info!(signer = %verified.signer, error = %e, "versia inbox: entity refused");
            return refusal(StatusCode::FORBIDDEN, e.code(), e.to_string());
        }
        self.accept_entity(&verified.signer, &entity);
        web::json(StatusCode::OK, "application/json", &json!({}))
    }

    /// Remembers an accepted signature, refusing a replay: first in this instance's cache
    /// (shared with its connections), then in the store, which holds every signature accepted
    /// by any instance, before or after a restart, until its time window has passed.
    async fn remember(&self, verified: &Verified) -> Result<(), Response> {
        let remembered = self
            .replay
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(&verified.signature, verified.signed_at, SystemTime::now());
        match remembered {
            Ok(()) => {}
            Err(ReplayError::Replayed) => return Err(replayed()),
            Err(ReplayError::Full { capacity }) => {
                return Err(refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "replay_cache_full",
                    format!("the replay cache is full ({capacity} signatures); retry later"),
                ));
            }
            Err(other) => {
                return Err(refusal(
                    StatusCode::UNAUTHORIZED,
                    "replay",
                    other.to_string(),
                ));
            }
        }
        self.remember_durably(verified)
            .await
            .then_some(())
            .ok_or_else(replayed)
    }

    /// Records `verified` in the store; `false` when the store had it already (a replay of a
    /// message accepted before a restart or by another instance). A store failure counts as a
    /// replay: the hub never acts on a message it could not record.
    async fn remember_durably(&self, verified: &Verified) -> bool {
        let expires_at = verified.signed_at.saturating_add(self.max_skew);
        let remembered = self
            .core
            .store
            .remember_signature(
                verified.signature.to_base64(),
                i64::try_from(expires_at).unwrap_or(i64::MAX),
            )
            .await;
        match remembered {
            Ok(fresh) => fresh,
            Err(e) => {
                tracing::warn!(error = %e, "versia: the replay store failed; message refused");
                false
            }
        }
    }

    fn upgrade(self: Arc<Self>, request: Request) -> Response {
        if !ws::is_upgrade(request.headers()) {
            return web::error(
                StatusCode::UPGRADE_REQUIRED,
                "this endpoint is a WebSocket with a signed upgrade",
            );
        }
        let acceptor = if self.is_versia_server_peer(&request) {
            &self.versia_server_acceptor
        } else {
            &self.acceptor
        };
        let accepted = acceptor.accept(
            Instant::now(),
            SystemTime::now(),
            &request,
            self.peers.clone(),
            self.replay.clone(),
        );
        let accepted = match accepted {
            Ok(accepted) => accepted,
            Err(rejection) => {
                tracing::info!(error = %rejection.error, "versia upgrade refused");
                return web::error(rejection.status, rejection.error.to_string());
            }
        };
        let guard = self.core.guard();
        let config = self.ws_config;
        let connection = accepted.connection;
        ws::accept(
            request,
            accepted.response_headers,
            config,
            guard,
            move |socket| self.session(socket, connection),
        )
    }

    /// Drives one connection: socket frames in, transmits out, events to the hub.
    async fn session(
        self: Arc<Self>,
        mut socket: WsStream,
        mut connection: Connection<Peers, SharedReplay>,
    ) {
        let peer = connection.peer().clone();
        tracing::info!(%peer, "versia connection open");
        let mut shutdown = self.core.shutdown();
        let mut stopping = false;
        loop {
            let now = Instant::now();
            while let Some(transmit) = connection.poll_transmit(now) {
                let sent = match transmit {
                    Transmit::Text(text) => socket.feed(Message::text(text)).await,
                    Transmit::Close { code, reason } => {
                        ws::close(&mut socket, code.0, &reason).await;
                        Ok(())
                    }
                    _ => Ok(()),
                };
                if sent.is_err() {
                    return;
                }
            }
            if socket.flush().await.is_err() {
                return;
            }
            while let Some(event) = connection.poll_event(now) {
                match event {
                    Event::Received(received) => {
                        if !self.remember_durably(&received.verified).await {
                            tracing::warn!(%peer, "versia message already accepted before (a replay across instances or a restart); ignored");
                            continue;
                        }
                        match received.entity() {
                            Ok(entity) => self.accept_entity(&peer, &entity),
                            Err(e) => tracing::info!(%peer, error = %e, "versia entity unreadable"),
                        }
                    }
                    Event::Rejected { reason, .. } => {
                        tracing::info!(%peer, code = reason.code(), "versia frame refused");
                    }
                    Event::Closed { code, .. } => {
                        tracing::info!(%peer, code = code.0, "versia connection closed");
                        return;
                    }
                    other => tracing::debug!(%peer, ?other, "versia event"),
                }
            }
            let deadline = connection.poll_timeout(now);
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                frame = socket.next() => {
                    let now = Instant::now();
                    let handled = match ws::receive(&mut socket, frame).await {
                        Some(Message::Text(text)) => {
                            connection.handle_text(now, SystemTime::now(), &text)
                        }
                        Some(Message::Binary(_)) => connection.handle_binary(now),
                        Some(Message::Close(frame)) => {
                            let (code, reason) = frame
                                .map(|f| (Some(CloseCode(u16::from(f.code))), f.reason.to_string()))
                                .unwrap_or((None, String::new()));
                            connection.handle_close(now, code, reason)
                        }
                        Some(_) => Ok(()),
                        // The socket ended without a close frame: the connection reports it
                        // closed (1006), and the next drain returns.
                        None => connection.handle_end(now),
                    };
                    if let Err(e) = handled {
                        tracing::debug!(%peer, error = %e, "versia connection ended");
                        return;
                    }
                }
                () = timer => {
                    if connection.handle_timeout(Instant::now()).is_err() {
                        return;
                    }
                }
                () = shutdown.wait(), if !stopping => {
                    stopping = true;
                    connection.close(Instant::now(), CloseCode::GOING_AWAY, "server shutting down");
                }
            }
        }
    }

    /// What a verified entity from `signer` does on this hub: notes, shares and follows for
    /// local users become Bus actions with `source: federated` on those users' tenants. Its
    /// author is one of `signer`'s users (checked by the inbox and by the connection).
    fn accept_entity(&self, signer: &SignedBy, entity: &Entity) {
        let origin = match signer {
            SignedBy::Instance(domain) => domain.clone(),
            other => other.to_string(),
        };
        let (action_type, author, content, targets) = match entity {
            Entity::Note(note) => {
                let mut targets = self.local_users(note.mentions.as_option().into_iter().flatten());
                if targets.is_empty()
                    && note.group.as_option().map(String::as_str) == Some("public")
                {
                    targets = self.core.accounts.names();
                }
                let content = note.content.as_option().and_then(plain_text);
                (ActionType::Post, &note.author, content, targets)
            }
            Entity::Share(share) => (
                ActionType::Repost,
                &share.author,
                None,
                self.core.accounts.names(),
            ),
            Entity::Follow(follow) => {
                let targets = self.local_users(std::iter::once(&follow.followee));
                (ActionType::Fllw, &follow.author, None, targets)
            }
            other => {
                tracing::info!(kind = other.entity_type(), %origin, "versia entity accepted (not shown on the Bus)");
                return;
            }
        };
        let id = entity
            .common()
            .and_then(|c| c.id.as_option().cloned())
            .unwrap_or_default();
        let notice = ActionNotice {
            action_type,
            action_id: format!("versia:{origin}:{id}"),
            issuer: reference(&origin, author),
            content,
            timestamp: unix_now(),
            source: Some(ActionSource::Federated),
            sub_type: None,
            parent_id: None,
            audience: None,
            status: Some(ActionStatus::Active),
        };
        for user in &targets {
            self.bus.publish_federated(&notice, user);
        }
        tracing::info!(%origin, targets = targets.len(), "versia entity accepted");
    }

    /// The local account names among Versia references: `{our domain}:{name}`.
    fn local_users<'a>(&self, references: impl Iterator<Item = &'a String>) -> Vec<String> {
        let prefix = format!("{}:", self.domain);
        let mut users: Vec<String> = references
            .filter_map(|r| r.strip_prefix(&prefix))
            .filter(|name| self.core.accounts.contains(name))
            .map(str::to_owned)
            .collect();
        users.sort();
        users.dedup();
        users
    }
}

/// A 0.6 reference as seen from here: a bare id is relative to the signing instance.
fn reference(origin: &str, id: &str) -> String {
    if id.contains(':') {
        id.to_owned()
    } else {
        format!("{origin}:{id}")
    }
}

/// The plain-text content of a note, or its richest text form.
fn plain_text(content: &ContentFormat) -> Option<String> {
    content
        .get("text/plain")
        .map(|entry| entry.content.clone())
        .or_else(|| content.richest_text().map(|(_, text)| text.to_owned()))
}

/// The refusal of a replayed signature.
fn replayed() -> Response {
    refusal(
        StatusCode::UNAUTHORIZED,
        "replayed",
        "this signature was already accepted".into(),
    )
}

/// An error response with Versia's status mapping and a stable code.
fn refusal(status: StatusCode, code: &str, message: String) -> Response {
    web::json(
        status,
        "application/json",
        &json!({"error": message, "code": code}),
    )
}
