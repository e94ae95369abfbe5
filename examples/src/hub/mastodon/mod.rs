//! Mastodon compatibility: the streaming API and the few REST endpoints streaming clients call
//! around it, so that Mastodon client libraries (megalodon, masto, Mastodon.py) stream from
//! the hub unmodified.
//!
//! ```text
//!  GET /api/v1/instance              ─┐ api.rs: where to stream (urls.streaming_api,
//!  GET /api/v2/instance              ─┤   configuration.urls.streaming), who the token is
//!  GET /api/v1/accounts/verify_credentials ─┘
//!  GET /api/v1/streaming/health, /api/v1/streaming/{user,public,public/local} (SSE),
//!      /api/v1/streaming (WebSocket)  ─► streaming.rs over fedi_stream's Mastodon formats
//!  statuses and accounts             ─► entity.rs (Mastodon's entities, sanitised content)
//! ```
//!
//! What clients call, read from their code: megalodon's `userStreaming()` reads
//! `GET /api/v1/instance` for `urls.streaming_api`, then opens the WebSocket with
//! `?stream=user&access_token=`; masto's documented flow reads `GET /api/v2/instance` for
//! `configuration.urls.streaming` and offers the token as the WebSocket subprotocol;
//! Mastodon.py reads `GET /api/v2/instance/` (trailing slash; `timelines_access`) and
//! `GET /api/v1/instance/`, `stream_healthy()` reads `/api/v1/streaming/health`, and its
//! `stream_user()` uses SSE while `stream_open_websocket()` uses the WebSocket with an
//! `Authorization` header. Paths are matched with or without a trailing slash.
//!
//! Decisions: this is the streaming surface only; timelines, posting statuses and every other
//! Mastodon endpoint are not served (post through the C2S outbox). Streams need a token (the
//! instance says so in `timelines_access`); instance endpoints do not; `verify_credentials`
//! answers Mastodon's `401 {"error":"The access token is invalid"}` without a valid one.

mod api;
mod entity;
mod streaming;

use std::sync::Arc;

use fedi_stream::c2s::mastodon::STREAMING_PATH;
use http::StatusCode;
use serde_json::json;

use crate::hub::accounts::Account;
use crate::hub::c2s::C2s;
use crate::hub::module::{Handler, Module};
use crate::hub::server::Core;
use crate::hub::web::{self, Request, Response};
use entity::Site;
use streaming::Feeds;

/// Serves [`STREAMING_PATH`] and the REST endpoints of [`api`].
pub(crate) struct MastodonModule {
    core: Arc<Core>,
    site: Site,
    feeds: Arc<Feeds>,
}

impl MastodonModule {
    pub(crate) fn new(core: Arc<Core>, c2s: &Arc<C2s>) -> Self {
        let site = Site::new(&core.base, entity::now());
        let feeds = Arc::new(Feeds::new(
            &core.base,
            site.clone(),
            core.limits.feed_window(),
        ));
        let watcher = feeds.clone();
        c2s.store().observe(Box::new(move |kind, owner, entry| {
            watcher.on_append(kind, owner, entry);
        }));
        MastodonModule { core, site, feeds }
    }
}

impl Module for MastodonModule {
    fn name(&self) -> &'static str {
        "mastodon"
    }

    fn claims(&self, request: &Request) -> bool {
        let path = request.uri().path();
        path.starts_with(STREAMING_PATH) || api::Endpoint::of(path).is_some()
    }

    fn handle(&self, request: Request) -> Handler {
        if let Some(endpoint) = api::Endpoint::of(request.uri().path()) {
            let response = api::respond(&self.core, &self.site, endpoint, &request);
            return Box::pin(async move { response });
        }
        let (core, feeds) = (self.core.clone(), self.feeds.clone());
        Box::pin(async move { streaming::respond(&core, &feeds, request).await })
    }

    fn try_lines(&self, base: &str, account: &Account) -> Vec<String> {
        vec![format!(
            "curl -N -H 'Authorization: Bearer {}' {base}{STREAMING_PATH}/user   # Mastodon streaming",
            account.token()
        )]
    }
}

/// A Mastodon-style error body: `{"error": message}`.
fn mastodon_error(status: StatusCode, message: &str) -> Response {
    web::json(status, "application/json", &json!({ "error": message }))
}
