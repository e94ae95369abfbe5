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
//!  GET /objects/{id}, /blobs/{id}    stored objects and blobs, for their audience only
//! ```
//!
//! Authorization: every object, activity and blob has an audience (see [`crate::hub::store`]);
//! `GET /objects/…`, `GET /blobs/…`, collection pages, `proxy` and `fetch` answer only what the
//! viewer (the bearer token's account, or nobody) may see, and `404` otherwise, never `403`, so
//! that no one learns what exists. Ids are minted by the hub (random, not guessable); `Update`
//! and `Delete` change only the poster's own objects; a `Create`'s object naming another
//! `attributedTo` is refused.
//!
//! Decisions: remote recipients are delivered to by [`crate::hub::federation`] (a durable
//! queue, signed POSTs, retries), the first attempt made before the post is answered; inboxes accept signed server-to-server POSTs (see
//! [`crate::hub::federation`]);
//! `followers`/`following` are empty (follows are not tracked); outbox side effects other than
//! storing, `Update` and `Delete` are logged. `proxy` and `fetch` answer from this hub's
//! objects, actors and blobs; nothing remote is fetched.

mod blobs;
mod post;
mod ws;

use std::sync::Arc;

use fedi_stream::c2s::discovery::{StreamEndpoints, Viewer};
use fedi_stream::c2s::feed::Format;
use fedi_stream::c2s::negotiate::{self, NegotiationError, Negotiator, Representation};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::hub::accounts::Account;
use crate::hub::bus::Bus;
use crate::hub::federation::KEY_FRAGMENT;
use crate::hub::federation::fetch::FetchSigner;
use crate::hub::federation::keys::ActorKeyError;
use crate::hub::module::{Handler, Module};
use crate::hub::server::{AuthError, Core};
use crate::hub::store::{BoxKind, Cursor, Reader, Store, StoreError};
use crate::hub::stream;
use crate::hub::web::{self, Request, Response};
use blobs::BLOBS;
use post::{Delivery, FirstAttempts};

/// Where actors live.
pub(crate) const USERS: &str = "/users/";
/// Where objects live.
const OBJECTS: &str = "/objects/";
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
    /// Open C2S WebSockets per account (at most `Limits::c2s_sockets_per_account`).
    sockets: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

/// Serves [`USERS`], [`OBJECTS`] and [`BLOBS`].
pub(crate) struct C2sModule {
    c2s: Arc<C2s>,
}

impl C2sModule {
    pub(crate) fn new(core: Arc<Core>, bus: Arc<Bus>) -> Self {
        let c2s = Arc::new(C2s {
            store: core.store.clone(),
            core,
            bus,
            sockets: std::sync::Mutex::default(),
        });
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
            (Route::Object, _) if get => self.object(&request).await,
            (Route::Blob, _) if get => self.blob(&request).await,
            (Route::Actor(name), _) if known(name) && get => self.actor(name, &request).await,
            (Route::Box(name, BoxKind::Outbox), &Method::POST) if known(name) => {
                let name = name.to_owned();
                self.post_outbox(&name, request).await
            }
            (Route::Box(name, kind), _) if known(name) && get => {
                self.collection(name, kind, &request).await
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
            (Route::Box(name, BoxKind::Inbox), &Method::POST) if known(name) => {
                let name = name.to_owned();
                self.post_inbox(&name, request).await
            }
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

    /// The actor document of `name` as `viewer` sees it: its public key (made on first use),
    /// and the stream endpoints (C2S WebSocket, event source, and the hub's Bus) only for the
    /// actor itself.
    async fn actor_document(&self, name: &str, viewer: Viewer) -> Result<Value, ActorKeyError> {
        let key = self.core.keys.get(name).await?;
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
            "publicKey": {
                "id": format!("{id}{KEY_FRAGMENT}"),
                "owner": id,
                "publicKeyPem": key.public_pem,
            },
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
        Ok(actor)
    }

    async fn actor(&self, name: &str, request: &Request) -> Response {
        let owner = self
            .core
            .authenticate(request, false)
            .is_ok_and(|a| a.name() == name);
        let viewer = if owner { Viewer::Owner } else { Viewer::Other };
        match self.actor_document(name, viewer).await {
            Ok(actor) => as2(StatusCode::OK, &actor),
            Err(e) => {
                tracing::error!(error = %e, account = name, "actor key unavailable");
                web::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the actor's key is unavailable",
                )
            }
        }
    }

    /// The viewer of `request`: the account of its bearer token (header only: object and
    /// blob URLs are not for browsers to carry tokens in), or nobody.
    fn viewer_of(&self, request: &Request) -> Option<(Arc<Account>, String)> {
        let account = self.core.authenticate(request, false).ok()?;
        let actor = self.actor_id(account.name());
        Some((account, actor))
    }

    async fn object(&self, request: &Request) -> Response {
        let id = format!("{}{}", self.core.base_url, request.uri().path());
        let viewer = self.viewer_of(request);
        let seen = self.store.object(&id, as_reader(viewer.as_ref())).await;
        match seen {
            Ok(Some(seen)) => {
                let status = if seen.deleted {
                    StatusCode::GONE
                } else {
                    StatusCode::OK
                };
                as2_text(status, seen.json)
            }
            Ok(None) => web::error(StatusCode::NOT_FOUND, format!("no object {id}")),
            Err(e) => store_error(&e),
        }
    }

    async fn blob(&self, request: &Request) -> Response {
        let path = request.uri().path();
        let Some(id) = path.strip_prefix(BLOBS) else {
            return web::error(StatusCode::NOT_FOUND, format!("no blob at {path}"));
        };
        let viewer = self.viewer_of(request);
        match self.store.blob(id, as_reader(viewer.as_ref())).await {
            Ok(Some((media_type, bytes))) => blobs::respond(&media_type, bytes),
            Ok(None) => web::error(StatusCode::NOT_FOUND, format!("no blob at {path}")),
            Err(e) => store_error(&e),
        }
    }

    /// A server-to-server delivery to `name`'s inbox: `202` once stored (or when it was stored
    /// before), `401`/`403`/`400` as `federation::inbox::Refusal` says, `413`/`408` for the body.
    async fn post_inbox(&self, name: &str, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = match web::read_body(body, &self.core.limits).await {
            Ok(body) => body,
            Err(e) => return e.response(),
        };
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let Ok(uri) = format!("{}{target}", self.core.base_url).parse() else {
            return web::error(StatusCode::BAD_REQUEST, "unusable request target");
        };
        let mut signed = http::Request::new(body);
        *signed.method_mut() = parts.method;
        *signed.uri_mut() = uri;
        *signed.headers_mut() = parts.headers;
        // The signer's key, when not cached, is fetched signed as the inbox's actor.
        let key = match self.core.keys.get(name).await {
            Ok(key) => Some(key),
            Err(e) => {
                tracing::warn!(error = %e, inbox = name, "key fetches go unsigned");
                None
            }
        };
        let key_id = format!("{}{KEY_FRAGMENT}", self.actor_id(name));
        let signer = key.as_ref().map(|key| FetchSigner {
            key_id: &key_id,
            key,
        });
        let activity = match self
            .core
            .signed_inbox
            .check(&signed, std::time::SystemTime::now(), signer)
            .await
        {
            Ok(activity) => activity,
            Err(refusal) => {
                tracing::info!(%refusal, inbox = name, "delivery refused");
                return web::error(refusal.status(), refusal.to_string());
            }
        };
        let follow = self.follow_of(name, &activity);
        match self.deliver_remote(activity, Some(name)).await {
            Ok(_) => {
                if let Some((follower, follow)) = follow {
                    self.accept_follow(name, follower, follow).await;
                }
                web::json(StatusCode::ACCEPTED, "application/json", &json!({}))
            }
            Err(Delivery::Store(StoreError::Conflict(_))) => {
                web::json(StatusCode::ACCEPTED, "application/json", &json!({}))
            }
            Err(Delivery::Refused(message)) => web::error(StatusCode::BAD_REQUEST, message),
            Err(Delivery::Store(e)) => store_error(&e),
        }
    }

    /// The follower and the activity, when `activity` is a `Follow` of `name`'s actor.
    fn follow_of(&self, name: &str, activity: &Value) -> Option<(String, Value)> {
        let object = match &activity["object"] {
            Value::String(id) => id.as_str(),
            object => object["id"].as_str()?,
        };
        (activity["type"] == "Follow" && object == self.actor_id(name)).then(|| {
            let follower = activity["actor"].as_str().unwrap_or_default().to_owned();
            (follower, activity.clone())
        })
    }

    /// Records `follower` as following `name` and queues an `Accept` for it (sent in the
    /// background, and retried like any delivery).
    async fn accept_follow(&self, name: &str, follower: String, follow: Value) {
        if let Err(e) = self.core.followers.add(name, &follower).await {
            tracing::error!(error = %e, "follower not recorded");
            return;
        }
        let actor = self.actor_id(name);
        let accept = json!({
            "@context": activitystreams_core::AS2_CONTEXT,
            "id": format!("{}{OBJECTS}{}", self.core.base_url, crate::hub::random::hex(16)),
            "type": "Accept",
            "actor": actor,
            "object": follow,
            "to": [follower],
        });
        // Queued before the Follow is answered, so the Accept survives a restart; sent after.
        let deliverer = &self.core.deliverer;
        match deliverer
            .queue(name, &follower, &accept.to_string().into())
            .await
        {
            Ok(queued) => deliverer.attempt_in_background(vec![queued]),
            Err(outcome) => tracing::warn!(%follower, ?outcome, "Accept not queued"),
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
        match self.post(name, &body, FirstAttempts::InBackground).await {
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
    async fn collection(&self, name: &str, kind: BoxKind, request: &Request) -> Response {
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
            return stream::respond_box(
                &self.core,
                name,
                kind,
                Format::Sse,
                negotiate::resume_id(request).as_deref(),
                representation.response_headers(),
            );
        }
        let url = format!("{}/{}", self.actor_id(name), kind.name());
        let actor = viewer.as_ref().map(|a| self.actor_id(a.name()));
        let reader = match (&viewer, &actor) {
            (Some(account), Some(actor)) => Reader::Account {
                name: account.name(),
                actor,
            },
            _ => Reader::Anonymous,
        };
        let page = match Query::parse(request.uri()) {
            Ok(Query::Collection) => {
                let total = match self.store.page(name, kind, reader, Cursor::Newest, 0).await {
                    Ok(page) => page.total,
                    Err(e) => return store_error(&e),
                };
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
            Ok(Query::Page { cursor, limit }) => {
                match self.store.page(name, kind, reader, cursor, limit).await {
                    Ok(page) => page,
                    Err(e) => return store_error(&e),
                }
            }
            Err(message) => return web::error(StatusCode::BAD_REQUEST, message),
        };
        let items: Vec<&Value> = page.items.iter().map(|(_, activity)| activity).collect();
        let mut body = json!({
            "@context": activitystreams_core::AS2_CONTEXT,
            "id": format!("{url}?{}", request.uri().query().unwrap_or("page=true")),
            "type": "OrderedCollectionPage",
            "partOf": url,
            "orderedItems": items,
        });
        if let (Some((newest, _)), Some((oldest, _))) = (page.items.first(), page.items.last()) {
            body["prev"] = json!(format!("{url}?page=true&min_id={newest}"));
            body["next"] = json!(format!("{url}?page=true&max_id={oldest}"));
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

/// The viewer of a store read.
pub(crate) fn as_reader(viewer: Option<&(Arc<Account>, String)>) -> Reader<'_> {
    match viewer {
        Some((account, actor)) => Reader::Account {
            name: account.name(),
            actor,
        },
        None => Reader::Anonymous,
    }
}

/// The response for a store failure or refusal.
pub(crate) fn store_error(error: &StoreError) -> Response {
    if let StoreError::Db(e) = error {
        tracing::error!(error = %e, "storage failed");
    }
    web::error(error.status(), error.to_string())
}

/// Stored AS2 JSON text as `application/activity+json`.
fn as2_text(status: StatusCode, json: String) -> Response {
    let mut response = hyper::Response::new(web::full(json));
    *response.status_mut() = status;
    response
        .headers_mut()
        .extend(Representation::ActivityJson.response_headers());
    response
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
}
