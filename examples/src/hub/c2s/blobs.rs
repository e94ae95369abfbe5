//! Blobs stored through the C2S WebSocket (`store`), kept in the store and served at
//! `/blobs/{id}` to their owner and to whoever may see an object of the owner that shows them.
//!
//! A blob is served under its own media type only where a browser cannot run it: images, audio,
//! video and plain text. Anything else (HTML, SVG, JavaScript, PDF, …) is served as
//! `application/octet-stream` with `Content-Disposition: attachment`, so an uploaded page never
//! runs on the hub's origin.

use bytes::Bytes;
use http::header::{self, HeaderValue};

use crate::hub::web::{self, Response};

/// Where blobs are served.
pub(crate) const BLOBS: &str = "/blobs/";

/// Whether `media_type` is safe to serve as itself on the hub's origin.
fn servable(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    match kind {
        // SVG is an image that runs scripts.
        "image" => sub != "svg+xml" && !sub.contains("xml"),
        "audio" | "video" => true,
        "text" => sub == "plain",
        _ => false,
    }
}

/// A blob as a response: its media type where safe, a download otherwise.
pub(crate) fn respond(media_type: &str, bytes: impl Into<Bytes>) -> Response {
    let mut response = hyper::Response::new(web::full(bytes));
    let headers = response.headers_mut();
    match HeaderValue::from_str(media_type) {
        Ok(value) if servable(media_type) => {
            headers.insert(header::CONTENT_TYPE, value);
        }
        _ => {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment"),
            );
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passive_media_types_are_served_as_themselves() {
        for safe in [
            "image/png",
            "image/jpeg",
            "audio/ogg",
            "video/mp4",
            "text/plain",
            "text/plain; charset=utf-8",
        ] {
            assert!(servable(safe), "{safe}");
            let response = respond(safe, "x");
            assert_eq!(response.headers()[header::CONTENT_TYPE], safe);
            assert!(
                response
                    .headers()
                    .get(header::CONTENT_DISPOSITION)
                    .is_none()
            );
        }
        for unsafe_type in [
            "text/html",
            "TEXT/HTML",
            "image/svg+xml",
            "application/javascript",
            "text/javascript",
            "application/xhtml+xml",
            "application/pdf",
            "",
            "nonsense",
        ] {
            assert!(!servable(unsafe_type), "{unsafe_type}");
            let response = respond(unsafe_type, "x");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/octet-stream"
            );
            assert_eq!(
                response.headers()[header::CONTENT_DISPOSITION],
                "attachment"
            );
        }
    }
}
