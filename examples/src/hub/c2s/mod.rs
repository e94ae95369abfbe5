//! ActivityPub client-to-server with `activitystreams_core` and `fedi_stream`: actors,
//! outboxes and inboxes of the hub's accounts, local delivery, live streams over SSE and
//! WebSocket, and the Bus actions posts create.
//!
//! ```text
//!  POST /users/{name}/outbox (owner's bearer)    or  {"type":"outbox"} on /users/{name}/ws
//!    └─► Object::from_slice ─► c2s::accept_outbox_post (wrap, ids, actor, bto/bcc)
//!          ├─► store: outbox (author's view), objects (delivery view)
//!          ├─► c2s::delivery_recipients ─► local actors' inboxes (+ cluster) ─► feeds ─► streams
//!          ├─► Bus: the seed's outbound rule (POST → creator, MSG → participants,
//!          │        CMNT/REACT → parent owner) and inbound forwarding to each recipient
//!          └─► 201 Created + Location   /  accepted, delivery per recipient, done
//!  GET /users/{name}                 the actor; stream endpoints only for its owner
//!  GET /users/{name}/{inbox,outbox}  negotiated: OrderedCollection, pages with min_id / max_id,
//!                                    or text/event-stream with Last-Event-ID resume (owner)
//!  GET /users/{name}/ws              C2S WebSocket: inbox push, outbox, proxy, store, fetch
//!  GET /objects/{n}, /blobs/{n}      stored objects (bto/bcc never shown) and blobs
//! ```
//!
//! Decisions: the hub delivers locally only (remote recipients are logged and reported as
//! failed deliveries, not contacted: federation is Versia's job here); inboxes accept no POST;
//! `followers`/`following` are empty (follows are not tracked); outbox side effects other than
//! storing are logged. Non-owners see an outbox's public activities only. `proxy` and `fetch`
//! answer from this hub's objects, actors and blobs; nothing remote is fetched.

mod blobs;
mod post;
mod ws;

use std::sync::Arc;

use fedi_stream::discovery::{StreamEndpoints, Viewer};
use fedi_stream::negotiate::{self, NegotiationError, Negotiator, Representation};
use fedi_stream::server::Format;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::hub::accounts::Account;
use crate::hub::bus::Bus;
use crate::hub::module::{Handler, Module};
use crate::hub::server::{AuthError, Core};
use crate::hub::store::{BoxKind, Cursor, Store};
use crate::hub::stream;
use crate::hub::web::{self, Request, Response};
use blobs::{BLOBS, Blobs};

/// Where actors live.
pub(crate) const USERS: &str = "/users/";
/// Where objects live.
const OBJECTS: &str = "/objects/";
/// The cluster envelope kind of inbox deliveries.
const DELIVER_KIND: &str = "c2s.deliver";
/// Page sizes: default and most.
const PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

/// The actor URL of `name`.
pub(crate) fn actor_url(base: &str, name: &str) -> String {
    format!("{base}{USERS}{name}")
}

/// The C2S side of the hub, shared by its HTTP handlers, WebSocket sessions and the modules
/// that deliver into inboxes (Cattle Drive) or watch them (Mastodon streaming).
pub(crate) struct C2s {
    core: Arc<Core>,
    bus: Arc<Bus>,
    store: Arc<Store>,
    blobs: Blobs,
}

/// Serves [`USERS`], [`OBJECTS`] and [`BLOBS`].
pub(crate) struct C2sModule {
    c2s: Arc<C2s>,
}

impl C2sModule {
    pub(crate) fn new(core: Arc<Core>, bus: Arc<Bus>) -> Self {
        let limits = &core.limits;
        let store = Arc::new(Store::new(
            core.base.clone(),
            limits.box_capacity,
            limits.max_objects,
            limits.stream_window,
        ));
        let c2s = Arc::new(C2s {
            blobs: Blobs::new(limits.max_blob_bytes),
            core: core.clone(),
            bus,
            store,
        });
        core.cluster
            .on_weak(DELIVER_KIND, &c2s, C2s::remote_delivery);
        C2sModule { c2s }
    }

    /// The C2S side, for the modules that deliver into inboxes or watch the store.
    pub(crate) fn c2s(&self) -> &Arc<C2s> {
        &self.c2s
    }
}

impl C2s {
    /// The store, for modules that watch what is appended.
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

/// The parts of a path this module serves.
enum Route<'a> {
    Actor(&'a str),
    Box(&'a str, BoxKind),
    WebSocket(&'a str),
    Empty(&'a str, &'static str),
    Object,
    Blob,
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    if path.starts_with(OBJECTS) {
        return Route::Object;
    }
    if path.starts_with(BLOBS) {
        return Route::Blob;
    }
    let Some(rest) = path.strip_prefix(USERS) else {
        return Route::Unknown;
    };
    match rest.split_once('/') {
        None => Route::Actor(rest),
        Some((name, "inbox")) => Route::Box(name, BoxKind::Inbox),
        Some((name, "outbox")) => Route::Box(name, BoxKind::Outbox),
        Some((name, "ws")) => Route::WebSocket(name),
        Some((name, "followers")) => Route::Empty(name, "followers"),
        Some((name, "following")) => Route::Empty(name, "following"),
        Some(_) => Route::Unknown,
    }
}

impl Module for C2sModule {
    fn name(&self) -> &'static str {
        "c2s"
    }

    fn claims(&self, request: &Request) -> bool {
        let path = request.uri().path();
        path.starts_with(USERS) || path.starts_with(OBJECTS) || path.starts_with(BLOBS)
    }

    fn handle(&self, request: Request) -> Handler {
        let c2s = self.c2s.clone();
        Box::pin(async move { c2s.handle(request).await })
    }

    fn try_lines(&self, base: &str, account: &Account) -> Vec<String> {
        let me = actor_url(base, account.name());
        let other = self
            .c2s
            .core
            .accounts
            .all()
            .iter()
            .find(|a| a.name() != account.name())
            .map_or_else(|| me.clone(), |a| actor_url(base, a.name()));
        let auth = format!("-H 'Authorization: Bearer {}'", account.token());
        vec![
            format!(
                "curl {auth} -H 'Content-Type: application/activity+json' -d '{{\"type\":\"Note\",\"content\":\"Hello!\",\"to\":[\"{other}\"]}}' {me}/outbox"
            ),
            format!("curl -N {auth} -H 'Accept: text/event-stream' {me}/inbox"),
            format!("curl {auth} '{me}/inbox?page=true'"),
            format!(
                "websocat '{}{USERS}{}/ws?token={}'   # C2S WebSocket: inbox pushes; send {{\"type\":\"outbox\",\"id\":\"1\",\"data\":{{…}}}}",
                web::ws_base(base),
                account.name(),
                account.token()
            ),
        ]
    }
}

impl C2s {
    async fn handle(self: Arc<Self>, request: Request) -> Response {
        let path = request.uri().path().to_owned();
        let known = |name: &str| self.core.accounts.contains(name);
        let get = matches!(*request.method(), Method::GET | Method::HEAD);
        match (route(&path), request.method()) {
            (Route::Object, _) if get => self.object(&request),
            (Route::Blob, _) if get => self.blob(&path),
            (Route::Actor(name), _) if known(name) && get => self.actor(name, &request),
            (Route::Box(name, BoxKind::Outbox), &Method::POST) if known(name) => {
                let name = name.to_owned();
                self.post_outbox(&name, request).await
            }
            (Route::Box(name, kind), _) if known(name) && get => {
                self.collection(name, kind, &request)
            }
            (Route::WebSocket(name), &Method::GET) if known(name) => {
                let name = name.to_owned();
                ws::upgrade(self, name, request)
            }
            (Route::Empty(name, which), _) if known(name) && get => {
                let id = format!("{}/{which}", self.actor_id(name));
                as2(
                    StatusCode::OK,
                    &json!({
                        "@context": activitystreams_core::AS2_CONTEXT,
                        "id": id, "type": "OrderedCollection", "totalItems": 0, "orderedItems": [],
                    }),
                )
            }
            (Route::Box(name, BoxKind::Inbox), &Method::POST) if known(name) => web::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "this hub delivers locally; it does not accept server-to-server posts",
            ),
            (
                Route::Actor(name)
                | Route::Box(name, _)
                | Route::Empty(name, _)
                | Route::WebSocket(name),
                _,
            ) if known(name) => web::method_not_allowed("GET, HEAD (and POST on an outbox)"),
            _ => web::error(
                StatusCode::NOT_FOUND,
                format!("nothing is served at {path}"),
            ),
        }
    }

    fn actor_id(&self, name: &str) -> String {
        actor_url(&self.core.base_url, name)
    }

    /// The account name of a local actor id.
    fn local_name(&self, id: &str) -> Option<String> {
        let name = id.strip_prefix(&self.core.base_url)?.strip_prefix(USERS)?;
        (!name.contains('/') && self.core.accounts.contains(name)).then(|| name.to_owned())
    }

    /// The actor document of `name` as `viewer` sees it: the stream endpoints (C2S WebSocket,
    /// event source, and the hub's Bus) only for the actor itself.
    fn actor_document(&self, name: &str, viewer: Viewer) -> Value {
        let id = self.actor_id(name);
        let mut actor = json!({
            "@context": activitystreams_core::AS2_CONTEXT,
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "name": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "following": format!("{id}/following"),
        });
        let ws = format!("{}{USERS}{name}/ws", web::ws_base(&self.core.base_url));
        let mut endpoints = StreamEndpoints::new();
        if let Ok(url) = ws.parse() {
            endpoints = endpoints.with_websocket(url);
        }
        if let Ok(url) = format!("{id}/inbox").parse() {
            endpoints = endpoints.with_event_source(url);
        }
        if let Err(e) = endpoints.apply(&mut actor, viewer) {
            tracing::warn!(error = %e, "stream endpoints not added");
        }
        if viewer == Viewer::Owner
            && let Some(endpoints) = actor.get_mut("endpoints").and_then(Value::as_object_mut)
        {
            let bus = format!(
                "{}{}",
                web::ws_base(&self.core.base_url),
                crate::hub::bus::PATH
            );
            endpoints.insert("bus".into(), bus.into());
        }
        actor
    }

    fn actor(&self, name: &str, request: &Request) -> Response {
        let owner = self
            .core
            .authenticate(request, false)
            .is_ok_and(|a| a.name() == name);
        let viewer = if owner { Viewer::Owner } else { Viewer::Other };
        as2(StatusCode::OK, &self.actor_document(name, viewer))
    }

    fn object(&self, request: &Request) -> Response {
        let id = format!("{}{}", self.core.base_url, request.uri().path());
        match self.store.object(&id) {
            Some(object) => as2(StatusCode::OK, &object),
            None => web::error(StatusCode::NOT_FOUND, format!("no object {id}")),
        }
    }

    fn blob(&self, path: &str) -> Response {
        match self.blobs.get(path) {
            Some(blob) => {
                let mut response = hyper::Response::new(web::full(blob.bytes));
                if let Ok(media_type) = HeaderValue::from_str(&blob.media_type) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, media_type);
                }
                response
            }
            None => web::error(StatusCode::NOT_FOUND, format!("no blob at {path}")),
        }
    }

    async fn post_outbox(&self, name: &str, request: Request) -> Response {
        let account = match self.core.authenticate(&request, false) {
            Ok(account) => account,
            Err(e) => return e.response(),
        };
        if account.name() != name {
            return web::error(
                StatusCode::FORBIDDEN,
                format!("`{}` may not post to `{name}`'s outbox", account.name()),
            );
        }
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE)
            && !is_json(content_type)
        {
            return web::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "post application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\" or application/activity+json",
            );
        }
        let body = match web::read_body(request.into_body(), &self.core.limits).await {
            Ok(body) => body,
            Err(e) => return e.response(),
        };
        match self.post(name, &body) {
            Ok(posted) => {
                let mut response = as2(StatusCode::CREATED, &posted.stored);
                if let Ok(location) = HeaderValue::from_str(&posted.location) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
            }
            Err(refused) => web::error(refused.status, refused.message),
        }
    }

    /// `GET inbox`/`outbox`: negotiated between the collection (JSON) and a live stream.
    fn collection(&self, name: &str, kind: BoxKind, request: &Request) -> Response {
        let negotiator = Negotiator::collection();
        let representation = match negotiator.negotiate(request) {
            Ok(representation) => representation,
            Err(NegotiationError::NotAcceptable { .. }) => {
                let (parts, body) = negotiate::not_acceptable(negotiator.offers()).into_parts();
                return hyper::Response::from_parts(parts, web::full(body));
            }
            Err(e) => return web::error(StatusCode::BAD_REQUEST, e.to_string()),
        };
        let viewer = self.core.authenticate(request, true).ok();
        let owner = viewer.as_ref().is_some_and(|a| a.name() == name);
        if (kind == BoxKind::Inbox || representation.is_stream()) && !owner {
            return match viewer {
                None => AuthError::Missing.response(),
                Some(a) => web::error(
                    StatusCode::FORBIDDEN,
                    format!("`{}` may not read `{name}`'s {}", a.name(), kind.name()),
                ),
            };
        }
        if representation.is_stream() {
            return stream::respond(
                &self.core,
                self.store.feed(name, kind),
                Format::Sse,
                negotiate::resume_id(request).as_deref(),
                representation.response_headers(),
            );
        }
        let url = format!("{}/{}", self.actor_id(name), kind.name());
        let page = match Query::parse(request.uri()) {
            Ok(Query::Collection) => {
                let total = self.store.page(name, kind, Cursor::Newest, 0).total;
                let collection = json!({
                    "@context": activitystreams_core::AS2_CONTEXT,
                    "id": url,
                    "type": "OrderedCollection",
                    "totalItems": total,
                    "first": format!("{url}?page=true"),
                    "last": format!("{url}?page=true&min_id=0"),
                });
                return negotiated(representation, &collection);
            }
            Ok(Query::Page { cursor, limit }) => self.store.page(name, kind, cursor, limit),
            Err(message) => return web::error(StatusCode::BAD_REQUEST, message),
        };
        let items: Vec<&Value> = page
            .items
            .iter()
            .map(|e| &*e.activity)
            .filter(|activity| owner || is_public_value(activity))
            .collect();
        let mut body = json!({
            "@context": activitystreams_core::AS2_CONTEXT,
            "id": format!("{url}?{}", request.uri().query().unwrap_or("page=true")),
            "type": "OrderedCollectionPage",
            "partOf": url,
            "orderedItems": items,
        });
        if let (Some(newest), Some(oldest)) = (page.items.first(), page.items.last()) {
            body["prev"] = json!(format!("{url}?page=true&min_id={}", newest.seq));
            body["next"] = json!(format!("{url}?page=true&max_id={}", oldest.seq));
        }
        negotiated(representation, &body)
    }
}

/// The paging parameters of a collection request.
enum Query {
    Collection,
    Page { cursor: Cursor, limit: usize },
}

impl Query {
    fn parse(uri: &http::Uri) -> Result<Query, String> {
        let number = |name: &str| -> Result<Option<u64>, String> {
            web::query_param(uri, name)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| format!("`{name}` must be a number"))
                })
                .transpose()
        };
        let min = number("min_id")?;
        let max = number("max_id")?;
        let limit = number("limit")?.map_or(PAGE_SIZE, |l| {
            usize::try_from(l)
                .unwrap_or(MAX_PAGE_SIZE)
                .clamp(1, MAX_PAGE_SIZE)
        });
        let cursor = match (min, max) {
            (Some(_), Some(_)) => return Err("give min_id or max_id, not both".into()),
            (Some(min), None) => Cursor::After(min),
            (None, Some(max)) => Cursor::Before(max),
            (None, None) if web::query_param(uri, "page").is_some() => Cursor::Newest,
            (None, None) => return Ok(Query::Collection),
        };
        Ok(Query::Page { cursor, limit })
    }
}

fn is_public_value(activity: &Value) -> bool {
    ["to", "cc", "audience"]
        .iter()
        .any(|key| match activity.get(*key) {
            Some(Value::String(id)) => activitystreams_core::is_public(id),
            Some(Value::Array(ids)) => ids
                .iter()
                .filter_map(Value::as_str)
                .any(activitystreams_core::is_public),
            _ => false,
        })
}

fn is_json(content_type: &HeaderValue) -> bool {
    let media = content_type
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        media.as_str(),
        "application/ld+json" | "application/activity+json" | "application/json"
    )
}

/// An AS2 document as `application/activity+json`.
fn as2(status: StatusCode, value: &Value) -> Response {
    let mut response = negotiated(Representation::ActivityJson, value);
    *response.status_mut() = status;
    response
}

/// An AS2 document in the negotiated type, with its `Vary` and caching headers.
fn negotiated(representation: Representation, value: &Value) -> Response {
    let mut response = hyper::Response::new(web::full(value.to_string()));
    response
        .headers_mut()
        .extend(representation.response_headers());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_their_collection() {
        assert!(matches!(route("/users/alice"), Route::Actor("alice")));
        assert!(matches!(
            route("/users/alice/inbox"),
            Route::Box("alice", BoxKind::Inbox)
        ));
        assert!(matches!(
            route("/users/alice/ws"),
            Route::WebSocket("alice")
        ));
        assert!(matches!(route("/users/alice/liked"), Route::Unknown));
        assert!(matches!(route("/objects/3"), Route::Object));
        assert!(matches!(route("/blobs/3"), Route::Blob));
    }

    #[test]
    fn paging_parameters() {
        let parse = |q: &str| Query::parse(&format!("/x{q}").parse().unwrap());
        assert!(matches!(parse(""), Ok(Query::Collection)));
        assert!(matches!(
            parse("?page=true"),
            Ok(Query::Page {
                cursor: Cursor::Newest,
                limit: PAGE_SIZE
            })
        ));
        assert!(matches!(
            parse("?min_id=4&limit=500"),
            Ok(Query::Page {
                cursor: Cursor::After(4),
                limit: MAX_PAGE_SIZE
            })
        ));
        assert!(matches!(
            parse("?max_id=9"),
            Ok(Query::Page {
                cursor: Cursor::Before(9),
                ..
            })
        ));
        assert!(parse("?min_id=1&max_id=2").is_err());
        assert!(parse("?min_id=x").is_err());
    }

    #[test]
    fn public_addressing_in_any_spelling() {
        assert!(is_public_value(&json!({"to": "as:Public"})));
        assert!(is_public_value(
            &json!({"cc": ["x", "https://www.w3.org/ns/activitystreams#Public"]})
        ));
        assert!(!is_public_value(&json!({"to": ["https://h/users/bob"]})));
    }
}
