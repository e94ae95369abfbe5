//! `GET /.well-known/webfinger?resource=acct:NAME@HOST`: the JRD of a local account.

use activitystreams_core::webfinger::{self, Acct, Jrd, WebFingerQuery};
use http::StatusCode;
use http::header::{self, HeaderValue};

use crate::hub::c2s::actor_url;
use crate::hub::server::Core;
use crate::hub::web::{self, Request, Response};

/// The path served.
pub(crate) const PATH: &str = "/.well-known/webfinger";

/// Answers a WebFinger query: `200` with the JRD whose `self` link (`application/activity+json`)
/// is the actor id; `400` for a query without a resource or with one that is not an `acct:`
/// URI; `404` for an account of another host or one this hub does not have.
///
/// The host of the account is compared with the host of the hub's public URL without its port:
/// `acct:` URIs cannot carry one (RFC 7565).
pub(crate) fn answer(core: &Core, request: &Request) -> Response {
    let query = request.uri().query().unwrap_or("");
    let acct = match WebFingerQuery::parse(query).and_then(|q| Acct::parse(&q.resource)) {
        Ok(acct) => acct,
        Err(e) => return web::error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let ours = core
        .base
        .host_str()
        .is_some_and(|host| host.eq_ignore_ascii_case(acct.host()));
    if !ours || !core.accounts.contains(acct.user()) {
        return web::error(StatusCode::NOT_FOUND, format!("no account {acct}"));
    }
    let jrd = Jrd::for_actor(&acct, &actor_url(&core.base_url, acct.user()), None);
    match jrd.to_vec() {
        Ok(body) => {
            let mut response = web::respond(StatusCode::OK, webfinger::JRD_JSON, body);
            response.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            response
        }
        Err(e) => web::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
