//! Content negotiation on a collection endpoint: the same URL (`GET /inbox`) answers with the
//! AS2 collection or with a live `text/event-stream`, depending on `Accept`; plus the response
//! headers each answer needs and the client's resume position (`Last-Event-ID`).
//!
//! ```text
//!  http::Request ──▶ Negotiator::negotiate ──▶ Ok(Representation::EventStream) ──▶ Session (SSE)
//!   Accept: q-values,                        ├▶ Ok(ActivityJson | LdJson)     ──▶ collection JSON
//!   wildcards, profile                       └▶ Err(NotAcceptable)            ──▶ 406 response
//!  Last-Event-ID / ?last_event_id= ──▶ resume_id ──▶ Session::new(.., last_event_id, ..)
//!  Representation::response_headers ──▶ Content-Type, Vary: Accept, Cache-Control: no-cache
//! ```
//!
//! Rules (RFC 9110 §12.5.1, with the decisions the RFC leaves open):
//! - Each offered type takes the weight of the most specific range that matches it
//!   (`type/subtype;params` over `type/subtype` over `type/*` over `*/*`); `q=0` refuses it.
//!   The highest weight wins; ties go to the server's order (default: `application/activity+json`,
//!   `application/ld+json; profile="…activitystreams"`, `text/event-stream`), so `*/*` and a
//!   missing `Accept` get JSON and only a client that asks for `text/event-stream` gets a stream.
//! - Type, subtype and parameter names match case-insensitively. A `profile` parameter matches
//!   if its space-separated list contains the AS2 profile; `charset` matches if it is UTF-8;
//!   other parameters are ignored (they cannot make a JSON or event stream unreadable).
//! - Members that break the grammar (`q=2`, `*/json`, unterminated quotes) are skipped; if no
//!   member is valid the header counts as absent (`*/*`).
//! - `Last-Event-ID` is ignored when empty or not UTF-8. Clients that cannot set headers
//!   (a browser's first `EventSource`, any browser `WebSocket`) may pass `?last_event_id=`;
//!   the header wins when both are present.

mod accept;

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue, VARY};
use http::{Request, Response, StatusCode};
use thiserror::Error;

pub use accept::MediaRange;

/// The ActivityStreams 2.0 profile URI.
pub const AS2_PROFILE: &str = "https://www.w3.org/ns/activitystreams";

/// The request header carrying the client's last event id.
pub const LAST_EVENT_ID: &str = "last-event-id";

/// The query parameter that may carry the last event id instead of the header.
pub const LAST_EVENT_ID_PARAM: &str = "last_event_id";

/// What a collection endpoint can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Representation {
    /// `application/activity+json`: the OrderedCollection (ActivityPub's preferred type for
    /// responses).
    ActivityJson,
    /// `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: the same
    /// collection.
    LdJson,
    /// `text/event-stream`: the live stream of items added to the collection.
    EventStream,
}

impl Representation {
    /// The `Content-Type` value of a response in this representation.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::ActivityJson => "application/activity+json",
            Self::LdJson => {
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
            }
            Self::EventStream => "text/event-stream",
        }
    }

    /// Whether this is the live stream.
    #[must_use]
    pub const fn is_stream(self) -> bool {
        matches!(self, Self::EventStream)
    }

    const fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Self::ActivityJson => ("application", "activity+json"),
            Self::LdJson => ("application", "ld+json"),
            Self::EventStream => ("text", "event-stream"),
        }
    }

    /// Whether `range` covers this representation (parameters as the module docs say).
    #[must_use]
    pub fn matches(self, range: &MediaRange<'_>) -> bool {
        let (kind, subtype) = self.media_type();
        if range.kind != "*" && range.kind != kind {
            return false;
        }
        if range.subtype != "*" && range.subtype != subtype {
            return false;
        }
        range
            .params
            .iter()
            .all(|(name, value)| match name.as_ref() {
                "profile" => {
                    self == Self::LdJson
                        && value.split_ascii_whitespace().any(|uri| uri == AS2_PROFILE)
                }
                "charset" => {
                    value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8")
                }
                _ => true,
            })
    }

    /// The headers of a `200` response in this representation: `Content-Type`, `Vary: Accept`
    /// (the same URL answers differently by `Accept`) and, for the stream,
    /// `Cache-Control: no-cache` (a live stream must never be served from a cache).
    #[must_use]
    pub fn response_headers(self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(3);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type()));
        headers.insert(VARY, HeaderValue::from_static("Accept"));
        if self.is_stream() {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        headers
    }

    /// A `200` response builder with [`response_headers`](Self::response_headers) set.
    #[must_use]
    pub fn response_builder(self) -> http::response::Builder {
        let mut builder = Response::builder().status(StatusCode::OK);
        if let Some(headers) = builder.headers_mut() {
            headers.extend(self.response_headers());
        }
        builder
    }
}

impl fmt::Display for Representation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.content_type())
    }
}

/// Bounds on the `Accept` header work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AcceptLimits {
    /// Longest `Accept` value (all its lines together) considered. Default: 8 KiB.
    pub max_header_bytes: usize,
    /// Most media ranges considered. Default: 64.
    pub max_ranges: usize,
}

impl AcceptLimits {
    /// Default [`max_header_bytes`](Self::max_header_bytes).
    pub const DEFAULT_MAX_HEADER_BYTES: usize = 8 << 10;
    /// Default [`max_ranges`](Self::max_ranges).
    pub const DEFAULT_MAX_RANGES: usize = 64;
}

impl Default for AcceptLimits {
    fn default() -> Self {
        Self {
            max_header_bytes: Self::DEFAULT_MAX_HEADER_BYTES,
            max_ranges: Self::DEFAULT_MAX_RANGES,
        }
    }
}

/// Why negotiation found no answer. Both are the client's doing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// Nothing offered is acceptable: answer `406` ([`not_acceptable`]).
    #[error("none of the offered types ({}) is acceptable", offered_list(.offered))]
    NotAcceptable {
        /// What the endpoint offers.
        offered: Vec<Representation>,
    },
    /// The `Accept` header exceeds [`AcceptLimits`]: answer `400` (or `431`).
    #[error("the Accept header exceeds AcceptLimits::{limit} ({max})")]
    AcceptTooLarge {
        /// `max_header_bytes` or `max_ranges`.
        limit: &'static str,
        /// The configured limit.
        max: usize,
    },
}

fn offered_list(offered: &[Representation]) -> String {
    offered
        .iter()
        .map(|representation| representation.content_type())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Chooses a [`Representation`] for a request, among those an endpoint offers, in the
/// endpoint's order of preference.
///
/// ```
/// use fedi_stream::c2s::negotiate::{Negotiator, Representation};
///
/// let negotiator = Negotiator::collection();
/// let request = http::Request::get("/users/alice/inbox")
///     .header("Accept", "application/activity+json;q=0.9, text/event-stream")
///     .body(())?;
/// assert_eq!(negotiator.negotiate(&request), Ok(Representation::EventStream));
///
/// let browser_page = http::Request::get("/inbox").header("Accept", "text/html").body(())?;
/// assert!(negotiator.negotiate(&browser_page).is_err()); // 406
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Negotiator {
    offers: Vec<Representation>,
    limits: AcceptLimits,
}

impl Negotiator {
    /// A collection endpoint: AS2 JSON (both types) or the event stream, JSON preferred.
    #[must_use]
    pub fn collection() -> Self {
        Self::new(&[
            Representation::ActivityJson,
            Representation::LdJson,
            Representation::EventStream,
        ])
    }

    /// An endpoint that only streams (an `eventStream` or `proxyEventStream` URL).
    #[must_use]
    pub fn stream_only() -> Self {
        Self::new(&[Representation::EventStream])
    }

    /// An endpoint offering `offers`, most preferred first.
    #[must_use]
    pub fn new(offers: &[Representation]) -> Self {
        Self {
            offers: offers.to_vec(),
            limits: AcceptLimits::default(),
        }
    }

    /// Sets the limits on `Accept` parsing.
    #[must_use]
    pub fn with_limits(mut self, limits: AcceptLimits) -> Self {
        self.limits = limits;
        self
    }

    /// What the endpoint offers, most preferred first.
    #[must_use]
    pub fn offers(&self) -> &[Representation] {
        &self.offers
    }

    /// Chooses the representation for `request` from its `Accept` header(s).
    ///
    /// # Errors
    /// [`NegotiationError::NotAcceptable`] when every offer has weight 0, and
    /// [`NegotiationError::AcceptTooLarge`] beyond the [`AcceptLimits`].
    pub fn negotiate<B>(&self, request: &Request<B>) -> Result<Representation, NegotiationError> {
        self.negotiate_headers(request.headers())
    }

    /// [`negotiate`](Self::negotiate) on a header map.
    ///
    /// # Errors
    /// As [`negotiate`](Self::negotiate).
    pub fn negotiate_headers(
        &self,
        headers: &HeaderMap,
    ) -> Result<Representation, NegotiationError> {
        let mut joined: Cow<'_, [u8]> = Cow::Borrowed(&[]);
        for (index, value) in headers.get_all(ACCEPT).iter().enumerate() {
            joined = if index == 0 {
                Cow::Borrowed(value.as_bytes())
            } else {
                let mut both = joined.into_owned();
                both.push(b',');
                both.extend_from_slice(value.as_bytes());
                Cow::Owned(both)
            };
            if joined.len() > self.limits.max_header_bytes {
                return Err(NegotiationError::AcceptTooLarge {
                    limit: "max_header_bytes",
                    max: self.limits.max_header_bytes,
                });
            }
        }
        self.negotiate_accept(&joined)
    }

    /// [`negotiate`](Self::negotiate) on an `Accept` value (empty: no header).
    ///
    /// # Errors
    /// As [`negotiate`](Self::negotiate).
    pub fn negotiate_accept(&self, accept: &[u8]) -> Result<Representation, NegotiationError> {
        if accept.len() > self.limits.max_header_bytes {
            return Err(NegotiationError::AcceptTooLarge {
                limit: "max_header_bytes",
                max: self.limits.max_header_bytes,
            });
        }
        let (ranges, truncated) = accept::parse(accept, self.limits.max_ranges);
        if truncated {
            return Err(NegotiationError::AcceptTooLarge {
                limit: "max_ranges",
                max: self.limits.max_ranges,
            });
        }
        let mut best: Option<(u16, Representation)> = None;
        for &offer in &self.offers {
            let quality = if ranges.is_empty() {
                1000
            } else {
                quality_of(offer, &ranges)
            };
            if quality > 0 && best.is_none_or(|(top, _)| quality > top) {
                best = Some((quality, offer));
            }
        }
        best.map(|(_, offer)| offer)
            .ok_or_else(|| NegotiationError::NotAcceptable {
                offered: self.offers.clone(),
            })
    }
}

impl Default for Negotiator {
    fn default() -> Self {
        Self::collection()
    }
}

/// The weight of `offer`: that of the most specific matching range (the first one among equally
/// specific ranges), 0 if none matches.
fn quality_of(offer: Representation, ranges: &[MediaRange<'_>]) -> u16 {
    let mut best: Option<(usize, u16)> = None;
    for range in ranges.iter().filter(|range| offer.matches(range)) {
        let specificity = range.specificity();
        if best.is_none_or(|(top, _)| specificity > top) {
            best = Some((specificity, range.quality));
        }
    }
    best.map_or(0, |(_, quality)| quality)
}

/// A `406 Not Acceptable` response listing what the endpoint offers (`Vary: Accept`, plain
/// text body).
#[must_use]
pub fn not_acceptable(offered: &[Representation]) -> Response<Bytes> {
    let body = format!(
        "406 Not Acceptable: this endpoint serves {}\n",
        offered_list(offered)
    );
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = StatusCode::NOT_ACCEPTABLE;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(VARY, HeaderValue::from_static("Accept"));
    response
}

/// The `Last-Event-ID` header value, if present, non-empty and UTF-8 (the first one if repeated).
#[must_use]
pub fn last_event_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(LAST_EVENT_ID)?;
    std::str::from_utf8(value.as_bytes())
        .ok()
        .filter(|id| !id.is_empty())
}

/// The client's resume position: the `Last-Event-ID` header, else the `last_event_id` query
/// parameter; `None` if neither is present and non-empty. Pass it to
/// [`Session::new`](crate::c2s::feed::Session::new), which checks it.
#[must_use]
pub fn resume_id<B>(request: &Request<B>) -> Option<Cow<'_, str>> {
    if let Some(id) = last_event_id(request.headers()) {
        return Some(Cow::Borrowed(id));
    }
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == LAST_EVENT_ID_PARAM)
        .last()
        .map(|(_, value)| value)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_headers() {
        let headers = Representation::EventStream.response_headers();
        assert_eq!(headers[CONTENT_TYPE], "text/event-stream");
        assert_eq!(headers[CACHE_CONTROL], "no-cache");
        assert_eq!(headers[VARY], "Accept");
        let json = Representation::LdJson.response_headers();
        assert_eq!(
            json[CONTENT_TYPE],
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        );
        assert!(!json.contains_key(CACHE_CONTROL));
        let response = Representation::ActivityJson
            .response_builder()
            .body(())
            .unwrap();
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/activity+json"
        );
    }

    #[test]
    fn not_acceptable_lists_the_offers() {
        let response = not_acceptable(&[Representation::EventStream]);
        assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(response.headers()[VARY], "Accept");
        assert_eq!(
            &response.body()[..],
            b"406 Not Acceptable: this endpoint serves text/event-stream\n"
        );
    }

    #[test]
    fn last_event_id_sources() {
        let request = Request::get("/inbox?last_event_id=7")
            .header("Last-Event-ID", "9")
            .body(())
            .unwrap();
        assert_eq!(resume_id(&request).as_deref(), Some("9"));
        let request = Request::get("/inbox?last_event_id=7")
            .header("Last-Event-ID", "")
            .body(())
            .unwrap();
        assert_eq!(resume_id(&request).as_deref(), Some("7"));
        let request = Request::get("/inbox?last_event_id=").body(()).unwrap();
        assert_eq!(resume_id(&request), None);
        let request = Request::get("/inbox")
            .header("Last-Event-ID", HeaderValue::from_bytes(b"\xff").unwrap())
            .body(())
            .unwrap();
        assert_eq!(resume_id(&request), None);
    }
}
