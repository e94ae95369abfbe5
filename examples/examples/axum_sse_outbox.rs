//! An ActivityPub outbox served as a live `text/event-stream` with axum and fedi-stream's
//! `SharedFeed` (feature `tokio`): `POST /outbox` appends an activity, `GET /outbox` with
//! `Accept: text/event-stream` streams it, resuming after the client's `Last-Event-ID`.
//!
//! ```sh
//! cargo run -p fedi-examples --example axum_sse_outbox -- 127.0.0.1:8090
//! curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8090/outbox
//! curl -d '{"type":"Create","object":{"type":"Note","content":"hi"}}' http://127.0.0.1:8090/outbox
//! ```
//!
//! Prints `listening on http://ADDR` once it accepts connections. (No authentication and no
//! storage: a real server checks the owner's token and keeps its items in a database.)

use std::error::Error;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fedi_stream::c2s::feed::{Feed, FeedConfig, Format, SessionConfig, SharedFeed};
use fedi_stream::c2s::item::{EventKind, Json, StreamEvent};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    // The feed assigns ids 1, 2, ... to the items it is given without one.
    let config = FeedConfig::new(format!("{base}/outbox").parse()?).with_assigned_ids(1);
    let outbox = SharedFeed::new(Feed::new(config));
    let app = Router::new()
        .route("/outbox", get(stream).post(post))
        .with_state(outbox);
    println!("listening on {base}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// `GET /outbox`: the live stream, from the client's `Last-Event-ID` if it sends one.
async fn stream(State(outbox): State<SharedFeed>, headers: HeaderMap) -> Response {
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    match outbox.subscribe(Format::Sse, last_event_id, SessionConfig::default()) {
        Ok(session) => (
            [
                (header::CONTENT_TYPE, "text/event-stream"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            Body::from_stream(session.into_body()),
        )
            .into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// `POST /outbox`: appends the activity (a JSON object) and answers with its item id.
async fn post(State(outbox): State<SharedFeed>, body: Bytes) -> Response {
    let Ok(activity) = Json::from_bytes(body) else {
        return (StatusCode::BAD_REQUEST, "a JSON object, please").into_response();
    };
    match outbox.append(StreamEvent::from_parts(EventKind::Outbox, None, activity)) {
        Ok(appended) => {
            let id = appended.id.map(|id| id.to_string()).unwrap_or_default();
            (StatusCode::CREATED, id).into_response()
        }
        Err(error) => (StatusCode::INSUFFICIENT_STORAGE, error.to_string()).into_response(),
    }
}
