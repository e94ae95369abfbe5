//! The REST endpoints streaming clients call: the instance (v1 and v2) with the streaming
//! URL, and `verify_credentials`. Nothing here reads the store.
//!
//! | path | auth | answer |
//! |---|---|---|
//! | `GET /api/v1/instance` | none | V1 `Instance`, `urls.streaming_api` = the hub's `ws(s)://` base |
//! | `GET /api/v2/instance` | none | `Instance`, `configuration.urls.streaming` = the same |
//! | `GET /api/v1/accounts/verify_credentials` | token | `CredentialAccount`, or `401 {"error":"The access token is invalid"}` |
//!
//! The version is `4.5.0 (compatible; fedi-hub …)`, the convention of Mastodon-compatible
//! servers: the entities follow Mastodon 4.5, and only these endpoints and the streaming API
//! exist. `timelines_access` says that the live feeds need a token and that hashtag and
//! trending-link feeds are not served; registrations are closed.

use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::entity::Site;
use super::mastodon_error;
use crate::hub::server::Core;
use crate::hub::web::{self, Request, Response};

/// The version string clients parse.
const VERSION: &str = concat!(
    "4.5.0 (compatible; fedi-hub ",
    env!("CARGO_PKG_VERSION"),
    ")"
);
/// `api_versions.mastodon` of Mastodon 4.5, whose entity shapes the hub follows.
const API_VERSION: u32 = 7;
/// The instance title.
const TITLE: &str = "fedi-hub";
const DESCRIPTION: &str =
    "A fedi-realtime reference hub: Mastodon streaming over ActivityPub C2S accounts.";

/// A REST endpoint of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    InstanceV1,
    InstanceV2,
    VerifyCredentials,
}

impl Endpoint {
    /// The endpoint at `path` (a trailing slash allowed, as Mastodon.py sends one).
    pub(super) fn of(path: &str) -> Option<Endpoint> {
        match path.strip_suffix('/').unwrap_or(path) {
            "/api/v1/instance" => Some(Endpoint::InstanceV1),
            "/api/v2/instance" => Some(Endpoint::InstanceV2),
            "/api/v1/accounts/verify_credentials" => Some(Endpoint::VerifyCredentials),
            _ => None,
        }
    }
}

/// Answers `endpoint`.
pub(super) fn respond(core: &Core, site: &Site, endpoint: Endpoint, request: &Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return web::method_not_allowed("GET, HEAD");
    }
    let body = match endpoint {
        Endpoint::InstanceV1 => instance_v1(core),
        Endpoint::InstanceV2 => instance_v2(core),
        Endpoint::VerifyCredentials => match core.authenticate(request, true) {
            Ok(account) => site.credential_account(account.name()),
            Err(_) => return invalid_token(),
        },
    };
    web::json(StatusCode::OK, "application/json; charset=utf-8", &body)
}

/// Doorkeeper's answer to a missing or unknown token, as Mastodon sends it.
fn invalid_token() -> Response {
    let mut response = mastodon_error(StatusCode::UNAUTHORIZED, "The access token is invalid");
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"The access token is invalid\"",
        ),
    );
    response
}

/// The host of the public URL (Mastodon's `uri` / `domain`).
fn domain(core: &Core) -> String {
    match (core.base.host_str(), core.base.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => core.base_url.clone(),
    }
}

/// Where clients stream: the hub's own origin as `ws(s)://` (clients append
/// `/api/v1/streaming`).
fn streaming_url(core: &Core) -> String {
    web::ws_base(&core.base_url)
}

/// What the hub accepts from a status, in Mastodon's `configuration` words.
fn limits() -> Value {
    json!({
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": 500,
            "max_media_attachments": 0,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": [],
            "image_size_limit": 0,
            "image_matrix_limit": 0,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
    })
}

fn instance_v1(core: &Core) -> Value {
    let users = core.accounts.all().len();
    json!({
        "uri": domain(core),
        "title": TITLE,
        "short_description": DESCRIPTION,
        "description": DESCRIPTION,
        "email": "",
        "version": VERSION,
        "urls": {"streaming_api": streaming_url(core)},
        "stats": {"user_count": users, "status_count": 0, "domain_count": 0},
        "thumbnail": null,
        "languages": ["en"],
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": limits(),
        "contact_account": null,
        "rules": [],
    })
}

fn instance_v2(core: &Core) -> Value {
    let users = core.accounts.all().len();
    let mut configuration = limits();
    let feeds = |local: &str, remote: &str| json!({"local": local, "remote": remote});
    if let Some(map) = configuration.as_object_mut() {
        map.insert(
            "urls".into(),
            json!({
                "streaming": streaming_url(core),
                "status": null,
                "about": format!("{}/", core.base_url),
                "privacy_policy": null,
                "terms_of_service": null,
            }),
        );
        map.insert("vapid".into(), json!({"public_key": ""}));
        map.insert("translation".into(), json!({"enabled": false}));
        map.insert(
            "timelines_access".into(),
            json!({
                "live_feeds": feeds("authenticated", "authenticated"),
                "hashtag_feeds": feeds("disabled", "disabled"),
                "trending_link_feeds": feeds("disabled", "disabled"),
            }),
        );
        map.insert("limited_federation".into(), json!(false));
    }
    json!({
        "domain": domain(core),
        "title": TITLE,
        "version": VERSION,
        // The project names no public repository; the hub's own page stands in.
        "source_url": format!("{}/", core.base_url),
        "description": DESCRIPTION,
        "usage": {"users": {"active_month": users}},
        "thumbnail": {"url": format!("{}/thumbnail.png", core.base_url)},
        "icon": [],
        "languages": ["en"],
        "configuration": configuration,
        "registrations": {
            "enabled": false,
            "approval_required": false,
            "reason_required": null,
            "message": null,
            "min_age": null,
            "url": null,
        },
        "api_versions": {"mastodon": API_VERSION},
        "contact": {"email": "", "account": null},
        "rules": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_or_without_a_trailing_slash() {
        assert_eq!(Endpoint::of("/api/v1/instance"), Some(Endpoint::InstanceV1));
        assert_eq!(
            Endpoint::of("/api/v2/instance/"),
            Some(Endpoint::InstanceV2)
        );
        assert_eq!(
            Endpoint::of("/api/v1/accounts/verify_credentials/"),
            Some(Endpoint::VerifyCredentials)
        );
        assert_eq!(Endpoint::of("/api/v1/instance/peers"), None);
        assert_eq!(Endpoint::of("/api/v1/streaming/user"), None);
    }
}
