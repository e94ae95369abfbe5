//! Blobs stored through the C2S WebSocket (`store`), kept in the store and served at
//! `/blobs/{id}` to their owner and to whoever may see an object of the owner that shows them,
//! under a media type that never runs on the hub's origin ([`web::blob_serving`]).

use bytes::Bytes;

use crate::hub::web::{self, Response};

/// Where blobs are served.
pub(crate) const BLOBS: &str = "/blobs/";

/// A blob as a response: its media type where a browser only displays it, a download
/// otherwise.
pub(crate) fn respond(media_type: &str, bytes: impl Into<Bytes>) -> Response {
    let mut response = hyper::Response::new(web::full(bytes));
    web::blob_serving(media_type).apply(response.headers_mut());
    response
}
