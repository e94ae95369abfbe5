//! Wire [`Format`]s of a subscriber, and the encodings a [`Feed`](super::Feed) prepares once
//! per entry for all of its subscribers.

use std::fmt;

use bytes::Bytes;

use crate::c2s::item::{EventKind, ItemId, Meta};
use crate::sse::{Encoder, KEEP_ALIVE, OutgoingEvent};

use super::entry::{Entry, Payload};

pub(crate) mod mastodon;
pub(crate) mod socket;

use socket::Data;

/// How one subscriber receives the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// C2S over SSE (`GET inbox`, `Accept: text/event-stream`): `event: inbox`, `id:`,
    /// `data:` the activity; `meta` events; keep-alive comment `:`.
    Sse,
    /// C2S over WebSocket: one text message per event,
    /// `{"type":"inbox","id":"…","data":{…}}`; keep-alive as WebSocket pings.
    WebSocket,
    /// Mastodon streaming over SSE: a `:)` comment first (and nothing else: no position
    /// block), `event: update` / `data:` payload, `:thump` keep-alives. Items with ids also get
    /// `id:` lines beside `event:` and `data:` (Mastodon sends none), which lets `EventSource`
    /// clients resume; `meta` entries are not sent.
    MastodonSse,
    /// Mastodon streaming over WebSocket: `{"stream":[…],"event":"update","payload":"…"}`
    /// text messages; keep-alive as WebSocket pings; `meta` entries are not sent.
    MastodonWebSocket,
}

impl Format {
    /// Every format.
    pub const ALL: [Self; 4] = [
        Self::Sse,
        Self::WebSocket,
        Self::MastodonSse,
        Self::MastodonWebSocket,
    ];

    pub(crate) const fn encoding(self) -> Encoding {
        match self {
            Self::Sse | Self::MastodonSse => Encoding::Sse,
            Self::WebSocket => Encoding::C2sWebSocket,
            Self::MastodonWebSocket => Encoding::MastodonWebSocket,
        }
    }

    /// Whether the format is a WebSocket one (one text message per event, pings for
    /// keep-alive) rather than an SSE body.
    #[must_use]
    pub const fn is_websocket(self) -> bool {
        matches!(self, Self::WebSocket | Self::MastodonWebSocket)
    }

    /// Whether the format is one of Mastodon's (no `meta` events, no catch-up instruction).
    #[must_use]
    pub const fn is_mastodon(self) -> bool {
        matches!(self, Self::MastodonSse | Self::MastodonWebSocket)
    }

    /// What opens the stream: for a C2S subscriber without a last id, the feed's position (so
    /// that it resumes correctly even if it sees no event before a disconnect); the `retry`
    /// field (C2S SSE, if configured); Mastodon's `:)` comment (Mastodon SSE), nothing on
    /// Mastodon WebSocket. `resumed` is the valid last id a resuming subscriber sent (C2S SSE
    /// repeats it).
    pub(crate) fn preamble(
        self,
        retry: Option<std::time::Duration>,
        position: Option<&ItemId>,
        resumed: Option<&ItemId>,
    ) -> Option<Transmit> {
        let position = position.map(ItemId::as_str);
        match self {
            Self::Sse => sse_opening(retry, position, resumed.map(ItemId::as_str))
                .map(|body| Transmit::Body(Bytes::from(body))),
            // Mastodon opens with `:)` alone; a block without `event:` breaks its clients.
            Self::MastodonSse => Some(Transmit::Body(Bytes::from_static(b":)\n"))),
            Self::WebSocket => {
                let meta = Meta::Position {
                    last_event_id: ItemId::new(position?).ok()?,
                };
                let json = meta.to_json();
                let mut out = Vec::with_capacity(json.as_bytes().len() + 24);
                // The envelope carries the id too, as an SSE position event does.
                socket::write(
                    &mut out,
                    EventKind::Meta.as_str(),
                    position,
                    Some(Data::Raw(json.as_bytes())),
                );
                Some(Transmit::Text(Bytes::from(out)))
            }
            Self::MastodonWebSocket => None,
        }
    }

    /// The keep-alive of this format.
    pub(crate) fn keep_alive(self) -> Transmit {
        match self {
            Self::Sse => Transmit::Body(Bytes::from_static(KEEP_ALIVE)),
            Self::MastodonSse => Transmit::Body(Bytes::from_static(b":thump\n")),
            Self::WebSocket | Self::MastodonWebSocket => Transmit::Ping,
        }
    }

    /// Wraps encoded bytes in the transmit kind of this format.
    pub(crate) fn transmit(self, bytes: Bytes) -> Transmit {
        if self.is_websocket() {
            Transmit::Text(bytes)
        } else {
            Transmit::Body(bytes)
        }
    }

    /// What a session of this format sends for `entry`, byte for byte as if the entry came
    /// from its feed: for a host that replays older entries from its own storage before the
    /// session takes over (see [`Session`](super::Session), "Resume from storage").
    /// `mastodon_stream` is the `stream` array of Mastodon WebSocket messages (ignored by the
    /// other formats). `None` for what the format does not carry (`meta` entries on Mastodon
    /// formats).
    #[must_use]
    pub fn encode(self, entry: &Entry, mastodon_stream: &[String]) -> Option<Transmit> {
        if self.is_mastodon() && entry.is_meta() {
            return None;
        }
        self.encoding()
            .encode(entry, mastodon_stream)
            .map(|bytes| self.transmit(bytes))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sse => "C2S SSE",
            Self::WebSocket => "C2S WebSocket",
            Self::MastodonSse => "Mastodon SSE",
            Self::MastodonWebSocket => "Mastodon WebSocket",
        })
    }
}

/// The opening block of a C2S SSE stream: the `retry` field, and for a subscriber without a
/// last id the feed's position as a `meta` event carrying both `id:` and a `position` status
/// in `data:`. The `data` line is what makes every client record the id: the WHATWG text sets
/// the last event id from an id-only block too, but the npm `eventsource` package (through
/// `eventsource-parser`) and Python's `sseclient-py` drop blocks without data, id and all.
///
/// A resuming subscriber gets its own last id back in an `id:` line (no data: clients that
/// dispatch only events see nothing), so that a client that records the id of every block it
/// reads, as `httpx-sse` users do with `sse.id`, keeps its position until the next item.
fn sse_opening(
    retry: Option<std::time::Duration>,
    position: Option<&str>,
    resumed: Option<&str>,
) -> Option<Vec<u8>> {
    let meta = position
        .and_then(|id| ItemId::new(id).ok())
        .map(|last_event_id| Meta::Position { last_event_id }.to_json());
    let block = OutgoingEvent {
        event: meta.is_some().then_some(EventKind::Meta.as_str()),
        id: if meta.is_some() { position } else { resumed },
        retry,
        data: meta.as_ref().map(|json| json.as_str()),
    };
    if block.id.is_none() && block.retry.is_none() {
        return None;
    }
    let mut body = Vec::new();
    Encoder::new().encode(&block, &mut body).ok()?;
    Some(body)
}

/// One unit of output from a [`Session`](super::Session).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transmit {
    /// SSE formats: the next piece of the `text/event-stream` response body.
    Body(Bytes),
    /// WebSocket formats: one text message (valid UTF-8).
    Text(Bytes),
    /// WebSocket formats: nothing was sent for the keep-alive interval; send a Ping frame.
    Ping,
}

impl Transmit {
    /// The bytes to write (`None` for [`Transmit::Ping`]).
    #[must_use]
    pub fn bytes(&self) -> Option<&Bytes> {
        match self {
            Self::Body(bytes) | Self::Text(bytes) => Some(bytes),
            Self::Ping => None,
        }
    }
}

/// The distinct byte encodings; SSE formats share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Encoding {
    Sse,
    C2sWebSocket,
    MastodonWebSocket,
}

impl Encoding {
    pub(crate) const COUNT: usize = 3;

    pub(crate) const fn index(self) -> usize {
        match self {
            Self::Sse => 0,
            Self::C2sWebSocket => 1,
            Self::MastodonWebSocket => 2,
        }
    }

    /// The bytes of `entry` in this encoding; `None` when the encoding does not carry it
    /// (`meta` entries on Mastodon WebSocket). `mastodon_stream` is the `stream` array value.
    pub(crate) fn encode(self, entry: &Entry, mastodon_stream: &[String]) -> Option<Bytes> {
        match self {
            Self::Sse => Some(encode_sse(entry)),
            Self::C2sWebSocket => Some(encode_c2s_websocket(entry)),
            Self::MastodonWebSocket => {
                (!entry.is_meta()).then(|| encode_mastodon_websocket(entry, mastodon_stream))
            }
        }
    }
}

fn encode_sse(entry: &Entry) -> Bytes {
    let data = entry.payload().as_str().unwrap_or("undefined");
    let mut body = Vec::with_capacity(data.len() + entry.name().len() + 32);
    let event = OutgoingEvent {
        event: Some(entry.name()),
        data: Some(data),
        id: entry.id().map(ItemId::as_str),
        retry: None,
    };
    // Names and ids were checked for CR/LF/NUL when the entry was built.
    if Encoder::new().encode(&event, &mut body).is_err() {
        body.clear();
    }
    Bytes::from(body)
}

fn encode_c2s_websocket(entry: &Entry) -> Bytes {
    let data = match entry.payload() {
        Payload::Json(json) => Some(Data::Raw(json.as_bytes())),
        Payload::Text(_) => entry.payload().as_str().map(Data::Str),
        Payload::None => None,
    };
    let mut out = Vec::with_capacity(entry.payload().len() + entry.name().len() + 48);
    socket::write(&mut out, entry.name(), entry.id().map(ItemId::as_str), data);
    Bytes::from(out)
}

fn encode_mastodon_websocket(entry: &Entry, stream: &[String]) -> Bytes {
    let mut out = Vec::with_capacity(entry.payload().len() * 9 / 8 + 64);
    mastodon::write_event(&mut out, stream, entry.name(), entry.payload());
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c2s::item::{EventKind, Json, Meta};

    fn inbox(id: &str, data: &str) -> Entry {
        Entry::item(
            EventKind::Inbox,
            Some(ItemId::new(id).unwrap()),
            Json::from_bytes(data.to_owned()).unwrap(),
        )
    }

    #[test]
    fn sse_is_the_proposals_shape() {
        let bytes = encode_sse(&inbox("1243243", r#"{"type": "Create"}"#));
        assert_eq!(
            &bytes[..],
            b"event: inbox\nid: 1243243\ndata: {\"type\": \"Create\"}\n\n"
        );
    }

    #[test]
    fn c2s_websocket_envelope_embeds_the_json() {
        let bytes = encode_c2s_websocket(&inbox("a\"b", r#"{"type":"Create"}"#));
        assert_eq!(
            &bytes[..],
            br#"{"type":"inbox","id":"a\"b","data":{"type":"Create"}}"#
        );
        let meta = encode_c2s_websocket(&Entry::meta(&Meta::Notice {
            message: "x".into(),
        }));
        assert_eq!(
            &meta[..],
            br#"{"type":"meta","data":{"type":"notice","message":"x"}}"#
        );
    }

    #[test]
    fn mastodon_websocket_payload_is_a_string() {
        let entry = Entry::new(
            "update",
            None,
            Payload::Json(Json::from_bytes(r#"{"id":"1"}"#).unwrap()),
        )
        .unwrap();
        let bytes = encode_mastodon_websocket(&entry, &["hashtag".into(), "foo".into()]);
        assert_eq!(
            &bytes[..],
            br#"{"stream":["hashtag","foo"],"event":"update","payload":"{\"id\":\"1\"}"}"#
        );
        let filters = Entry::new("filters_changed", None, Payload::None).unwrap();
        assert_eq!(
            &encode_mastodon_websocket(&filters, &["user".into()])[..],
            br#"{"stream":["user"],"event":"filters_changed"}"#
        );
        assert_eq!(
            &encode_sse(&filters)[..],
            b"event: filters_changed\ndata: undefined\n\n"
        );
        let meta = Entry::meta(&Meta::Notice {
            message: "x".into(),
        });
        assert_eq!(Encoding::MastodonWebSocket.encode(&meta, &[]), None);
    }
}
