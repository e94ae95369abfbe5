//! Actor `endpoints` entries for streaming, shown only to the actor itself.

use serde_json::{Map, Value};
use url::Url;

use super::DiscoveryError;

/// `endpoints.websocket`: the actor's WebSocket C2S endpoint (the original proposal).
pub const WEBSOCKET: &str = "websocket";
/// `endpoints.eventSource`: the actor's SSE stream (FEP-61ce; by default the inbox itself,
/// negotiated with `Accept: text/event-stream`).
pub const EVENT_SOURCE: &str = "eventSource";
/// `endpoints.proxyEventStream`: streams events about remote objects (SWICG draft).
pub const PROXY_EVENT_STREAM: &str = "proxyEventStream";

/// Who is looking at an actor document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Viewer {
    /// The actor itself, authenticated for C2S: sees its streaming endpoints.
    Owner,
    /// Anyone else (other actors, servers, anonymous): does not.
    Other,
}

/// The streaming entries of an actor's `endpoints`.
///
/// The proposal says the WebSocket endpoint "SHOULD only be visible when the actor object is
/// queried by the actor"; the same holds here for every entry, since all of them need the
/// actor's C2S credentials. [`apply`](Self::apply) adds them for [`Viewer::Owner`] and removes
/// them otherwise (so a document built for the owner never leaks them).
///
/// ```
/// use fedi_stream::c2s::discovery::{StreamEndpoints, Viewer};
/// use serde_json::json;
///
/// let endpoints = StreamEndpoints::new()
///     .with_websocket("wss://example.com/users/alice/ws".parse()?)
///     .with_event_source("https://example.com/users/alice/inbox".parse()?);
/// let mut actor = json!({"id": "https://example.com/users/alice", "type": "Person",
///                        "endpoints": {"sharedInbox": "https://example.com/inbox"}});
/// endpoints.apply(&mut actor, Viewer::Owner)?;
/// assert_eq!(actor["endpoints"]["websocket"], "wss://example.com/users/alice/ws");
/// assert_eq!(actor["endpoints"]["sharedInbox"], "https://example.com/inbox");
///
/// endpoints.apply(&mut actor, Viewer::Other)?;
/// assert!(actor["endpoints"].get("websocket").is_none());
/// assert_eq!(StreamEndpoints::from_actor(&actor), StreamEndpoints::default());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamEndpoints {
    /// `endpoints.websocket`.
    pub websocket: Option<Url>,
    /// `endpoints.eventSource`.
    pub event_source: Option<Url>,
    /// `endpoints.proxyEventStream`.
    pub proxy_event_stream: Option<Url>,
}

impl StreamEndpoints {
    /// No entries.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `websocket`.
    #[must_use]
    pub fn with_websocket(mut self, url: Url) -> Self {
        self.websocket = Some(url);
        self
    }

    /// Sets `eventSource`.
    #[must_use]
    pub fn with_event_source(mut self, url: Url) -> Self {
        self.event_source = Some(url);
        self
    }

    /// Sets `proxyEventStream`.
    #[must_use]
    pub fn with_proxy_event_stream(mut self, url: Url) -> Self {
        self.proxy_event_stream = Some(url);
        self
    }

    /// The entries present, as `(key, url)` pairs.
    #[must_use]
    pub fn entries(&self) -> Vec<(&'static str, &Url)> {
        [
            (WEBSOCKET, &self.websocket),
            (EVENT_SOURCE, &self.event_source),
            (PROXY_EVENT_STREAM, &self.proxy_event_stream),
        ]
        .into_iter()
        .filter_map(|(key, url)| url.as_ref().map(|url| (key, url)))
        .collect()
    }

    /// Adds the entries to `actor["endpoints"]` for the owner, or removes all three keys for
    /// anyone else. An empty `endpoints` object left behind is removed.
    ///
    /// # Errors
    /// [`DiscoveryError::NotAnObject`] if `actor` is not a JSON object, and
    /// [`DiscoveryError::EndpointsNotEmbedded`] if its `endpoints` is a link (a string or
    /// anything but an object), which cannot be edited here.
    pub fn apply(&self, actor: &mut Value, viewer: Viewer) -> Result<(), DiscoveryError> {
        let actor = actor.as_object_mut().ok_or(DiscoveryError::NotAnObject)?;
        if viewer == Viewer::Other {
            if let Some(endpoints) = actor.get_mut("endpoints") {
                let map = endpoints
                    .as_object_mut()
                    .ok_or(DiscoveryError::EndpointsNotEmbedded)?;
                for key in [WEBSOCKET, EVENT_SOURCE, PROXY_EVENT_STREAM] {
                    map.remove(key);
                }
                if map.is_empty() {
                    actor.remove("endpoints");
                }
            }
            return Ok(());
        }
        let entries = self.entries();
        if entries.is_empty() {
            return Ok(());
        }
        let endpoints = actor
            .entry("endpoints")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or(DiscoveryError::EndpointsNotEmbedded)?;
        for (key, url) in entries {
            endpoints.insert(key.to_owned(), Value::String(url.as_str().to_owned()));
        }
        Ok(())
    }

    /// Reads the entries of an actor document (what a client does after fetching its own
    /// actor). Entries that are not absolute URLs are ignored.
    #[must_use]
    pub fn from_actor(actor: &Value) -> Self {
        let endpoints = actor.get("endpoints");
        let url = |key: &str| {
            endpoints
                .and_then(|endpoints| endpoints.get(key))
                .and_then(Value::as_str)
                .and_then(|text| Url::parse(text).ok())
        };
        Self {
            websocket: url(WEBSOCKET),
            event_source: url(EVENT_SOURCE),
            proxy_event_stream: url(PROXY_EVENT_STREAM),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn creates_endpoints_and_removes_only_its_keys() {
        let endpoints = StreamEndpoints {
            proxy_event_stream: Some(Url::parse("https://h.example/events").unwrap()),
            ..StreamEndpoints::default()
        };
        let mut actor = json!({"type": "Person"});
        endpoints.apply(&mut actor, Viewer::Owner).unwrap();
        assert_eq!(
            actor,
            json!({"type": "Person", "endpoints": {"proxyEventStream": "https://h.example/events"}})
        );
        endpoints.apply(&mut actor, Viewer::Other).unwrap();
        assert_eq!(actor, json!({"type": "Person"}));
    }

    #[test]
    fn refuses_what_it_cannot_edit() {
        let endpoints = StreamEndpoints {
            websocket: Some(Url::parse("wss://h.example/ws").unwrap()),
            ..StreamEndpoints::default()
        };
        assert_eq!(
            endpoints.apply(&mut json!([]), Viewer::Owner),
            Err(DiscoveryError::NotAnObject)
        );
        let mut linked = json!({"endpoints": "https://h.example/endpoints"});
        assert_eq!(
            endpoints.apply(&mut linked, Viewer::Owner),
            Err(DiscoveryError::EndpointsNotEmbedded)
        );
        assert_eq!(
            endpoints.apply(&mut linked, Viewer::Other),
            Err(DiscoveryError::EndpointsNotEmbedded)
        );
    }

    #[test]
    fn reads_only_absolute_urls() {
        let actor = json!({"endpoints": {"websocket": "/relative", "eventSource": "https://h.example/inbox"}});
        let found = StreamEndpoints::from_actor(&actor);
        assert_eq!(found.websocket, None);
        assert_eq!(
            found.event_source.unwrap().as_str(),
            "https://h.example/inbox"
        );
    }
}
