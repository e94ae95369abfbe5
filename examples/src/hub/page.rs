//! The demo page at `/` (plain HTML, CSS and JavaScript from `examples/static/`, compiled into
//! the binary) and the small JSON endpoint it starts from, `GET /api/whoami`. The page is
//! served with a Content-Security-Policy that allows its own script and style sheet and its
//! connections back to the hub, nothing else.

use std::sync::Arc;

use http::StatusCode;
use http::header::{self, HeaderValue};
use serde_json::json;

use crate::hub::accounts::Account;
use crate::hub::module::{Handler, Module};
use crate::hub::server::Core;
use crate::hub::web::{self, Request, Response};

const INDEX_HTML: &str = include_str!("../../static/index.html");

/// The page's Content-Security-Policy. The page loads its own script and style sheet, talks to
/// the hub with `fetch` and `EventSource` (same origin) and `WebSocket` (`ws:`/`wss:`, which
/// not every browser counts as `'self'`), and needs nothing else: no inline script or style,
/// no `eval`, no plugins, no framing, no form posts (the forms are handled by the script).
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";
const APP_JS: &str = include_str!("../../static/app.js");
const STYLE_CSS: &str = include_str!("../../static/style.css");

/// The link that opens the page logged in as `account`. The token travels in the fragment,
/// which browsers never send to the server.
#[must_use]
pub(crate) fn login_link(base: &str, account: &Account) -> String {
    format!("{base}/#token={}", account.token())
}

/// Serves the page and `/api/whoami`.
pub(crate) struct PageModule {
    core: Arc<Core>,
}

impl PageModule {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        PageModule { core }
    }

    fn whoami(&self, request: &Request) -> Response {
        let account = match self.core.authenticate(request, false) {
            Ok(account) => account,
            Err(e) => return e.response(),
        };
        let accounts = self.core.accounts.all();
        let others: Vec<&str> = accounts
            .iter()
            .map(|a| a.name())
            .filter(|n| *n != account.name())
            .collect();
        let actor = crate::hub::c2s::actor_url(&self.core.base_url, account.name());
        let body = json!({
            "name": account.name(),
            "others": others,
            "bus": crate::hub::bus::PATH,
            "actor": actor,
            "outbox": format!("{actor}/outbox"),
            "inbox_stream": format!("{actor}/inbox"),
        });
        web::json(StatusCode::OK, "application/json", &body)
    }
}

impl Module for PageModule {
    fn name(&self) -> &'static str {
        "page"
    }

    fn claims(&self, request: &Request) -> bool {
        matches!(
            request.uri().path(),
            "/" | "/index.html" | "/app.js" | "/style.css" | "/api/whoami"
        )
    }

    fn handle(&self, request: Request) -> Handler {
        // (content type, body, whether it is the page and so gets the CSP)
        let asset = match request.uri().path() {
            "/app.js" => Some(("text/javascript; charset=utf-8", APP_JS, false)),
            "/style.css" => Some(("text/css; charset=utf-8", STYLE_CSS, false)),
            "/api/whoami" => None,
            _ => Some(("text/html; charset=utf-8", INDEX_HTML, true)),
        };
        let response = if !web::is_get(&request) {
            web::method_not_allowed("GET, HEAD")
        } else {
            match asset {
                Some((content_type, body, page)) => {
                    let mut response = web::respond(StatusCode::OK, content_type, body);
                    if page {
                        response.headers_mut().insert(
                            header::CONTENT_SECURITY_POLICY,
                            HeaderValue::from_static(PAGE_CSP),
                        );
                    }
                    response
                }
                None => self.whoami(&request),
            }
        };
        Box::pin(async move { response })
    }

    fn try_lines(&self, base: &str, account: &Account) -> Vec<String> {
        vec![format!(
            "curl -H 'Authorization: Bearer {}' {base}/api/whoami",
            account.token()
        )]
    }
}
