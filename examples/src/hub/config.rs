//! What a hub is started with.

use std::time::Duration;

use crate::hub::accounts::AccountSeed;
use crate::hub::cluster::ClusterConfig;
use crate::hub::db::Storage;
use crate::hub::drive::CattleConfig;

/// The hub's configuration. [`Config::demo`] gives the defaults of `fedi-hub`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The accounts created (or updated) at start; accounts already stored are kept.
    pub accounts: Vec<AccountSeed>,
    /// Where the state lives (default for [`Config::new`]: in memory; `fedi-hub` defaults to
    /// the data directory `./fedi-hub-data`).
    pub storage: Storage,
    /// The URL clients reach the hub at (scheme and authority, no trailing slash), used in
    /// actor ids and printed links. `None`: `http://` and the listener's bound address.
    pub public_url: Option<String>,
    /// The Bus limits (`bus_protocol` defaults: the seed's values).
    pub bus: bus_protocol::hub::HubConfig,
    /// The dialect of Bus connections whose URL names none with `?dialect=` (default: seed).
    /// `Cloudillo` serves Cloudillo's own web client, which connects with `?token=` alone,
    /// unmodified; seed clients of such a hub add `&dialect=seed`.
    pub bus_dialect: bus_protocol::session::Dialect,
    /// The limits of the hub's own buffers.
    pub limits: Limits,
    /// Share live notices (presence) with the other instances on the same PostgreSQL storage
    /// through Redis or NATS. `None`: through PostgreSQL itself on PostgreSQL storage, not at
    /// all otherwise. A broker with any other storage is refused at start.
    pub cluster: Option<ClusterConfig>,
    /// Versia federation: the instance identity and the peers whose signatures are accepted.
    pub versia: VersiaConfig,
    /// Serve the accounts over Cattle Drive on RabbitMQ (`None`: not at all).
    pub cattle: Option<CattleConfig>,
    /// ActivityPub federation: what the hub may fetch, how much clock skew it accepts.
    pub federation: FederationConfig,
    /// How long shutdown waits for open connections to finish before dropping them.
    pub shutdown_grace: Duration,
}

impl Config {
    /// A configuration with the given accounts and every default.
    #[must_use]
    pub fn new(accounts: Vec<AccountSeed>) -> Self {
        Config {
            accounts,
            storage: Storage::Memory,
            public_url: None,
            bus: bus_protocol::hub::HubConfig::default(),
            bus_dialect: bus_protocol::session::Dialect::Seed,
            limits: Limits::default(),
            cluster: None,
            versia: VersiaConfig::default(),
            cattle: None,
            federation: FederationConfig::default(),
            shutdown_grace: Duration::from_secs(5),
        }
    }

    /// The demo: accounts `alice` and `bob` (fresh random tokens the first time, the stored
    /// ones after), in memory.
    #[must_use]
    pub fn demo() -> Self {
        Config::new(vec![AccountSeed::named("alice"), AccountSeed::named("bob")])
    }
}

/// Bounds on what the hub stores and buffers. Exceeding one refuses the request or closes the
/// connection with a message naming the limit. The defaults are in examples/README.md's
/// `Limits` table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Open TCP connections (HTTP, SSE and WebSocket together); more are closed at accept
    /// (default 20,000).
    pub max_connections: usize,
    /// Largest request body (default 1 MiB).
    pub max_body_bytes: usize,
    /// Largest WebSocket message the socket layer accepts (default 64 KiB); protocols apply
    /// their own smaller limits in-band (the Bus: 8 KiB, answered with `E-WS-INVALID`).
    pub max_ws_message_bytes: usize,
    /// Bytes queued for one WebSocket or SSE subscriber before it counts as too slow and is
    /// disconnected (default 1 MiB).
    pub subscriber_queue_bytes: usize,
    /// Frames queued for one subscriber, whatever their size (default 256).
    pub subscriber_queue: usize,
    /// Bus events kept for `replay` (default 1,024; the oldest are dropped first). Each
    /// event's text is at most [`Limits::bus_content_bytes`].
    pub bus_replay: usize,
    /// Most bytes of a post's content carried in a Bus action (default 1 KiB; longer content
    /// is cut at a character boundary).
    pub bus_content_bytes: usize,
    /// Bytes one account may store: activities, objects, blobs (default 64 MiB; more is
    /// refused with `507`).
    pub account_quota_bytes: u64,
    /// Bytes the whole hub may store (default 1 GiB; more is refused with `507`).
    pub hub_quota_bytes: u64,
    /// Most addressees (`to`, `cc`, `bto`, `bcc`, `audience`, counted on the activity and its
    /// object) of one post (default 1,000; more is refused with `400`).
    pub max_recipients: usize,
    /// Items each live stream keeps in memory for replay (default 1,024); older ones are read
    /// from the store.
    pub stream_window: usize,
    /// Bytes each live stream keeps in memory (default 4 MiB).
    pub stream_window_bytes: usize,
    /// Largest blob stored through the C2S WebSocket (default 16 MiB).
    pub max_blob_bytes: usize,
    /// Versia inbox bodies read at once (default 64; more are answered `503` with
    /// `Retry-After` before their body is read). A body is read only after its signature
    /// headers passed every check that needs no body, but its signature can only be checked
    /// once it is read.
    pub versia_inbox_reads: usize,
    /// C2S WebSockets one account may have open (default 4; more are refused with `429`).
    /// Each holds at most one unfinished message of at most 16 MiB, so an account can make the
    /// hub buffer at most 64 MiB of unfinished messages.
    pub c2s_sockets_per_account: usize,
    /// Time allowed for a client to send its request headers (default 30 s).
    pub header_read_timeout: Duration,
    /// Time allowed for a whole request body, from when the hub starts reading it (default
    /// 10 s, so at least 100 KiB/s for a body of `max_body_bytes`). A body not complete in time
    /// is answered `408 Request Timeout` and the connection is closed.
    pub body_read_timeout: Duration,
    /// Time a connection may take no byte of what the hub writes to it (a client that stops
    /// reading) before the hub drops it (default 30 s). It covers every response, server-sent
    /// event stream and WebSocket alike, so a client cannot hold a connection, its task and
    /// its buffers by not reading.
    pub write_stall_timeout: Duration,
}

impl Limits {
    /// The window of every live feed.
    pub(crate) fn feed_window(&self) -> fedi_stream::c2s::feed::FeedLimits {
        fedi_stream::c2s::feed::FeedLimits::default()
            .with_max_items(self.stream_window.max(1))
            .with_max_bytes(self.stream_window_bytes)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 20_000,
            max_body_bytes: 1024 * 1024,
            max_ws_message_bytes: 64 * 1024,
            subscriber_queue_bytes: 1024 * 1024,
            subscriber_queue: 256,
            bus_replay: 1_024,
            bus_content_bytes: 1024,
            account_quota_bytes: 64 * 1024 * 1024,
            hub_quota_bytes: 1024 * 1024 * 1024,
            max_recipients: 1_000,
            stream_window: 1_024,
            stream_window_bytes: 4 * 1024 * 1024,
            max_blob_bytes: 16 * 1024 * 1024,
            c2s_sockets_per_account: 4,
            versia_inbox_reads: 64,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(10),
            write_stall_timeout: Duration::from_secs(30),
        }
    }
}

/// ActivityPub federation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FederationConfig {
    /// Fetch from loopback, private, link-local and other non-public addresses (default off).
    /// Off, the hub refuses every outgoing fetch whose host resolves to such an address, so a
    /// signature's key id cannot make it reach its own network (SSRF). Turn it on only for
    /// hubs that federate on one machine or one private network.
    pub allow_private_addresses: bool,
    /// How far a signature's `Date` (or `created`) may be from the hub's clock (default 5
    /// minutes, either way).
    pub signature_skew: Duration,
    /// Largest document fetched from another server (default 256 KiB).
    pub fetch_max_bytes: usize,
    /// Time allowed for one outgoing fetch: resolving, connecting, sending and reading
    /// (default 10 s).
    pub fetch_timeout: Duration,
    /// Remote keys kept in memory (default 1,024; the cache is emptied when full).
    pub key_cache: usize,
    /// Outgoing deliveries waiting in the database (default 10,000; more are reported
    /// `failed` at once).
    pub delivery_queue: usize,
    /// Attempts per delivery before it is reported failed (default 8).
    pub delivery_attempts: u32,
    /// The wait after the first failed attempt (default 30 s), doubled after each further one
    /// up to an hour, each drawn within `[delay / 2, delay]`.
    pub delivery_retry: Duration,
    /// Delivery attempts running at once, across the hub (default 32, at least 1): no flood of posts or
    /// follows opens more outgoing connections, and a slow server holds only the permits of
    /// its own attempts. First attempts of `POST outbox` and of `Accept`s start in the
    /// background when a permit is free and are otherwise left to the retry worker; those of
    /// the C2S WebSocket, which reports them, wait for one; the worker claims only as many due
    /// deliveries as there are free permits.
    pub delivery_concurrency: usize,
    /// The kind of key made for an actor that has none yet (default RSA). An actor keeps the
    /// key it was given: changing this affects only actors without one.
    pub actor_keys: ActorKeyKind,
}

/// The kind of signing key the hub makes for a local actor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActorKeyKind {
    /// RSA, 2048 bits, signed `rsa-sha256`: the key every ActivityPub server verifies, and the
    /// only kind Mastodon-style servers do.
    #[default]
    Rsa,
    /// Ed25519, signed `hs2019`: smaller and quicker to make, verified by servers that read
    /// Ed25519 `publicKeyPem`s (other fedi-hubs, cattle_grid), not by Mastodon-style servers.
    Ed25519,
}

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig {
            allow_private_addresses: false,
            signature_skew: Duration::from_secs(300),
            fetch_max_bytes: 256 * 1024,
            fetch_timeout: Duration::from_secs(10),
            key_cache: 1_024,
            delivery_queue: 10_000,
            delivery_attempts: 8,
            delivery_retry: Duration::from_secs(30),
            delivery_concurrency: 32,
            actor_keys: ActorKeyKind::default(),
        }
    }
}

/// Versia federation settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersiaConfig {
    /// This instance's domain, as it signs (`Versia-Signed-By`). `None`: the host of the
    /// public URL.
    pub domain: Option<String>,
    /// The instance's Ed25519 key as PKCS#8 base64. `None`: a fresh key at every start.
    pub private_key: Option<String>,
    /// The instances whose signed requests and connections are accepted.
    pub peers: Vec<VersiaPeer>,
}

/// A Versia instance this hub trusts, with its key (as its `InstanceMetadata` publishes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersiaPeer {
    /// The peer's domain, as it signs.
    pub domain: String,
    /// Its Ed25519 public key as SPKI base64.
    pub public_key: String,
    /// The peer runs versia-server: its signatures are also accepted with the path in
    /// versia-server's `encodeURI(new URL(url).pathname)` form, and the hub's signatures for it
    /// (the `101` of its connections, the metadata it asks for with its signature) are made in
    /// that form (`versia_ws::path`).
    pub versia_server_paths: bool,
}

impl VersiaPeer {
    /// A peer that signs as the spec says (`versia_server_paths` off).
    pub fn new(domain: impl Into<String>, public_key: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            public_key: public_key.into(),
            versia_server_paths: false,
        }
    }

    /// The same peer, marked as running versia-server.
    #[must_use]
    pub fn versia_server_compatible(mut self) -> Self {
        self.versia_server_paths = true;
        self
    }
}
