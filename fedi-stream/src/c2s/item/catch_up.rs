//! Catch-up: from the last id a client saw to the collection query that returns what followed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use url::Url;

use super::id::ItemId;

/// The query parameter of the forward, gap-free cursor: `?min_id=N` returns the items that
/// immediately follow item `N`, oldest first (Mastodon's REST cursor, Bovine's inbox pages).
pub const MIN_ID: &str = "min_id";
/// The query parameter of the backward cursor: `?max_id=N` returns items older than `N`.
pub const MAX_ID: &str = "max_id";
/// The query parameter of the "newer than, newest first" cursor, which may leave gaps.
pub const SINCE_ID: &str = "since_id";

/// The collection URL a client fetches to get every item after `last_id`: `collection` with its
/// cursor parameters (`min_id`, `max_id`, `since_id`) replaced by `min_id=last_id`. Other query
/// parameters stay. With `None` (the client's position is unknown) the cursors are removed, so
/// the URL gives the collection from its newest item.
///
/// ```
/// use fedi_stream::c2s::item::{ItemId, catch_up_url};
/// use url::Url;
///
/// let inbox = Url::parse("https://example.com/users/alice/inbox?page=true&max_id=9")?;
/// let id = ItemId::new("1243243")?;
/// assert_eq!(
///     catch_up_url(&inbox, Some(&id)).as_str(),
///     "https://example.com/users/alice/inbox?page=true&min_id=1243243"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn catch_up_url(collection: &Url, last_id: Option<&ItemId>) -> Url {
    let min_id = last_id.map(|id| (MIN_ID, id.as_str()));
    crate::c2s::query::with_params(collection, &[MIN_ID, MAX_ID, SINCE_ID], min_id.as_slice())
}

/// The cursor parameters of a collection request (`?min_id=`, `?max_id=`, `?since_id=`),
/// decoded from a query string. The host's collection endpoint uses it to serve catch-up URLs.
///
/// Empty values count as absent; the last occurrence of a repeated parameter wins.
///
/// ```
/// use fedi_stream::c2s::item::CursorQuery;
///
/// let query = CursorQuery::parse("page=true&min_id=12%2F3");
/// assert_eq!(query.min_id.as_deref(), Some("12/3"));
/// assert_eq!(query.max_id, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CursorQuery {
    /// Items immediately newer than this id (forward, gap-free).
    pub min_id: Option<String>,
    /// Items older than this id.
    pub max_id: Option<String>,
    /// Items newer than this id, newest first.
    pub since_id: Option<String>,
}

impl CursorQuery {
    /// Decodes the cursor parameters of `query` (the part of a URI after `?`).
    #[must_use]
    pub fn parse(query: &str) -> Self {
        let mut cursors = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                MIN_ID => &mut cursors.min_id,
                MAX_ID => &mut cursors.max_id,
                SINCE_ID => &mut cursors.since_id,
                _ => continue,
            };
            *slot = (!value.is_empty()).then(|| value.into_owned());
        }
        cursors
    }

    /// Decodes the cursor parameters of a request URI.
    #[must_use]
    pub fn from_uri(uri: &http::Uri) -> Self {
        uri.query().map(Self::parse).unwrap_or_default()
    }
}

/// Why a stream cannot simply deliver what a client missed, and sends a [`CatchUp`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum CatchUpReason {
    /// The client's last id is not in the server's replay window: older than the window, from
    /// before a server restart, or not an item of this collection.
    OutOfWindow,
    /// The missed items are in the window but exceed the subscriber's queue limit.
    TooFarBehind,
    /// The subscriber did not keep up: its queue limit was reached (or the window moved past
    /// it) and the stream ends after this event. Reconnect with `Last-Event-ID`.
    SlowConsumer,
    /// The `Last-Event-ID` the client sent is not a valid item id.
    InvalidId,
}

impl CatchUpReason {
    /// The wire name (`outOfWindow`, `tooFarBehind`, `slowConsumer`, `invalidId`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OutOfWindow => "outOfWindow",
            Self::TooFarBehind => "tooFarBehind",
            Self::SlowConsumer => "slowConsumer",
            Self::InvalidId => "invalidId",
        }
    }
}

/// The instruction to fetch missed items from the collection endpoint: nothing is silently lost.
///
/// The gap is every item after [`min_id`](Self::min_id) up to and including
/// [`until`](Self::until); [`url`](Self::url) (the collection with `?min_id=`) returns it,
/// oldest first, page by page. The stream itself continues with the items after `until` (unless
/// the reason is [`CatchUpReason::SlowConsumer`], which ends the stream).
///
/// Sent as a `meta` event whose data is
/// `{"type":"catchUp","reason":"outOfWindow","minId":"41","url":"https://…/inbox?min_id=41","until":"97"}`
/// (`minId` is absent when the client's position is unknown, `until` when the collection had
/// nothing newer at that moment). Meta events carry no SSE `id`, so the client's
/// `Last-Event-ID` stays at its last item until it receives a newer one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CatchUp {
    /// Why the stream could not deliver the missed items.
    pub reason: CatchUpReason,
    /// The last item the client has (the `min_id` cursor), if known and valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_id: Option<ItemId>,
    /// The URL that returns the missed items (the collection with `?min_id=`).
    pub url: String,
    /// The newest item the stream does not deliver (the end of the gap), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<ItemId>,
}

impl CatchUp {
    /// A catch-up instruction for a client whose last item is `min_id`, on `collection`.
    #[must_use]
    pub fn new(
        reason: CatchUpReason,
        collection: &Url,
        min_id: Option<ItemId>,
        until: Option<ItemId>,
    ) -> Self {
        let url = catch_up_url(collection, min_id.as_ref()).into();
        Self {
            reason,
            min_id,
            url,
            until,
        }
    }

    /// The catch-up URL, parsed.
    ///
    /// # Errors
    /// The parse error if a peer sent a `url` that is not an absolute URL.
    pub fn parsed_url(&self) -> Result<Url, url::ParseError> {
        Url::parse(&self.url)
    }

    /// The `min_id` of [`url`](Self::url) (which a well-behaved server makes equal to
    /// [`min_id`](Self::min_id)).
    #[must_use]
    pub fn url_min_id(&self) -> Option<Cow<'_, str>> {
        let query = self.url.split_once('?')?.1;
        let query = query.split_once('#').map_or(query, |(query, _)| query);
        url::form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| name == MIN_ID)
            .last()
            .map(|(_, value)| value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn min_id_replaces_every_cursor_and_keeps_other_parameters() {
        let id = ItemId::new("a b&c=d/é").unwrap();
        let built = catch_up_url(
            &url("https://h.example/inbox?since_id=1&page=2&min_id=3&max_id=4"),
            Some(&id),
        );
        assert_eq!(
            built.as_str(),
            "https://h.example/inbox?page=2&min_id=a+b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(
            CursorQuery::parse(built.query().unwrap()).min_id.as_deref(),
            Some(id.as_str())
        );
    }

    #[test]
    fn unknown_position_gives_the_collection_itself() {
        assert_eq!(
            catch_up_url(&url("https://h.example/inbox?min_id=3"), None).as_str(),
            "https://h.example/inbox"
        );
        assert_eq!(
            catch_up_url(&url("https://h.example/inbox?page=1&min_id=3"), None).as_str(),
            "https://h.example/inbox?page=1"
        );
    }

    #[test]
    fn cursor_query_ignores_empty_values_and_keeps_the_last() {
        let query = CursorQuery::parse("min_id=&max_id=1&max_id=2&since_id=%20");
        assert_eq!(query.min_id, None);
        assert_eq!(query.max_id.as_deref(), Some("2"));
        assert_eq!(query.since_id.as_deref(), Some(" "));
        let uri: http::Uri = "/inbox?min_id=7".parse().unwrap();
        assert_eq!(CursorQuery::from_uri(&uri).min_id.as_deref(), Some("7"));
    }

    #[test]
    fn catch_up_json_shape() {
        let catch_up = CatchUp::new(
            CatchUpReason::OutOfWindow,
            &url("https://h.example/inbox"),
            Some(ItemId::new("41").unwrap()),
            Some(ItemId::new("97").unwrap()),
        );
        assert_eq!(
            serde_json::to_string(&catch_up).unwrap(),
            r#"{"reason":"outOfWindow","minId":"41","url":"https://h.example/inbox?min_id=41","until":"97"}"#
        );
        assert_eq!(catch_up.url_min_id().as_deref(), Some("41"));
    }
}
