//! Mastodon WebSocket frames: server events and errors, client subscribe/unsubscribe.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::c2s::feed::format::mastodon::write_event;
use crate::c2s::feed::format::socket::push_json_string;

use super::MastodonError;
use super::event::StreamingEvent;
use super::stream::Stream;

/// Bounds on decoding Mastodon frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FrameLimits {
    /// Largest frame decoded. Default: 1 MiB.
    pub max_frame_bytes: usize,
    /// Most elements of a `stream` array. Default: 4 (Mastodon sends one or two).
    pub max_stream_parts: usize,
}

impl FrameLimits {
    /// Default [`max_frame_bytes`](Self::max_frame_bytes).
    pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;
    /// Default [`max_stream_parts`](Self::max_stream_parts).
    pub const DEFAULT_MAX_STREAM_PARTS: usize = 4;
}

impl Default for FrameLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: Self::DEFAULT_MAX_FRAME_BYTES,
            max_stream_parts: Self::DEFAULT_MAX_STREAM_PARTS,
        }
    }
}

fn check_size(text: &str, limits: &FrameLimits) -> Result<(), MastodonError> {
    if text.len() > limits.max_frame_bytes {
        return Err(MastodonError::TooLarge {
            size: text.len(),
            max: limits.max_frame_bytes,
        });
    }
    Ok(())
}

fn frame_error(error: &serde_json::Error) -> MastodonError {
    MastodonError::Frame {
        reason: error.to_string(),
    }
}

/// What a Mastodon streaming server sends over WebSocket.
///
/// ```
/// use fedi_stream::c2s::mastodon::{EventName, FrameLimits, ServerFrame};
///
/// let frame = ServerFrame::decode(r#"{"stream":["public"],"event":"delete","payload":"106692867363994015"}"#, &FrameLimits::default())?;
/// let ServerFrame::Event { stream, event } = &frame else { panic!() };
/// assert_eq!((stream.as_slice(), event.name()), (&["public".to_owned()][..], &EventName::Delete));
/// assert_eq!(frame.encode(), r#"{"stream":["public"],"event":"delete","payload":"106692867363994015"}"#);
/// # Ok::<(), fedi_stream::c2s::mastodon::MastodonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerFrame {
    /// An event of a subscribed stream.
    Event {
        /// The `stream` array (`["hashtag", "foo"]`).
        stream: Vec<String>,
        /// The event.
        event: StreamingEvent,
    },
    /// An error, e.g. `{"error":"Unknown stream type","status":400}`.
    Error {
        /// The message.
        error: String,
        /// The HTTP-like status, when sent.
        status: Option<u16>,
    },
}

#[derive(Deserialize)]
struct RawServerFrame<'a> {
    #[serde(borrow, default)]
    stream: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Option<u16>,
}

impl ServerFrame {
    /// The JSON text of the frame (payloads "cast to a string", as Mastodon sends them).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut out = Vec::new();
        match self {
            Self::Event { stream, event } => {
                write_event(&mut out, stream, event.name().as_str(), event.payload());
            }
            Self::Error { error, status } => {
                out.extend_from_slice(b"{\"error\":");
                push_json_string(&mut out, error);
                if let Some(status) = status {
                    out.extend_from_slice(format!(",\"status\":{status}").as_bytes());
                }
                out.push(b'}');
            }
        }
        // Only JSON was written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Decodes a text frame from a Mastodon streaming server.
    ///
    /// # Errors
    /// [`MastodonError`] for frames beyond `limits`, that are not JSON objects with either
    /// `event` (and a `stream` array, and a string `payload` when present) or `error`, or whose
    /// entity payload is not a JSON object.
    pub fn decode(text: &str, limits: &FrameLimits) -> Result<Self, MastodonError> {
        check_size(text, limits)?;
        let raw: RawServerFrame<'_> =
            serde_json::from_str(text).map_err(|error| frame_error(&error))?;
        if let Some(error) = raw.error {
            return Ok(Self::Error {
                error: error.into_owned(),
                status: raw.status,
            });
        }
        let name = raw.event.ok_or_else(|| MastodonError::Frame {
            reason: "neither \"event\" nor \"error\"".into(),
        })?;
        let stream = raw.stream.ok_or_else(|| MastodonError::Frame {
            reason: "an event frame needs a \"stream\" array".into(),
        })?;
        if stream.len() > limits.max_stream_parts {
            return Err(MastodonError::Frame {
                reason: format!(
                    "the stream array has more than {} elements",
                    limits.max_stream_parts
                ),
            });
        }
        let payload =
            match raw.payload.filter(|raw| raw.get() != "null") {
                None => None,
                Some(raw) => Some(serde_json::from_str::<Cow<'_, str>>(raw.get()).map_err(
                    |_| MastodonError::InvalidPayload {
                        reason: "payload must be a string".into(),
                    },
                )?),
            };
        let event = StreamingEvent::from_wire(&name, payload.as_deref())?;
        Ok(Self::Event {
            stream: stream.into_iter().map(Cow::into_owned).collect(),
            event,
        })
    }
}

/// What a client sends over a Mastodon WebSocket: `{"type":"subscribe","stream":…}` with
/// `tag` or `list` as the stream needs.
///
/// ```
/// use fedi_stream::c2s::mastodon::{ClientCommand, FrameLimits, Stream};
///
/// let command = ClientCommand::decode(r#"{ "type": "subscribe", "stream": "hashtag:local", "tag": "foo" }"#, &FrameLimits::default())?;
/// assert_eq!(command, ClientCommand::Subscribe(Stream::HashtagLocal("foo".into())));
/// assert_eq!(ClientCommand::Unsubscribe(Stream::User).encode(), r#"{"type":"unsubscribe","stream":"user"}"#);
/// # Ok::<(), fedi_stream::c2s::mastodon::MastodonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientCommand {
    /// Start receiving a stream.
    Subscribe(Stream),
    /// Stop receiving a stream.
    Unsubscribe(Stream),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StreamParam<'a> {
    One(#[serde(borrow)] Cow<'a, str>),
    Many(#[serde(borrow)] Vec<Cow<'a, str>>),
}

#[derive(Deserialize)]
struct RawCommand<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    stream: Option<StreamParam<'a>>,
    #[serde(borrow, default)]
    tag: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    list: Option<Cow<'a, str>>,
}

impl ClientCommand {
    /// The stream concerned.
    #[must_use]
    pub fn stream(&self) -> &Stream {
        match self {
            Self::Subscribe(stream) | Self::Unsubscribe(stream) => stream,
        }
    }

    /// The JSON text of the command.
    #[must_use]
    pub fn encode(&self) -> String {
        let (kind, stream) = match self {
            Self::Subscribe(stream) => ("subscribe", stream),
            Self::Unsubscribe(stream) => ("unsubscribe", stream),
        };
        let mut out = Vec::new();
        out.extend_from_slice(b"{\"type\":");
        push_json_string(&mut out, kind);
        out.extend_from_slice(b",\"stream\":");
        push_json_string(&mut out, stream.name());
        match stream {
            Stream::Hashtag(tag) | Stream::HashtagLocal(tag) => {
                out.extend_from_slice(b",\"tag\":");
                push_json_string(&mut out, tag);
            }
            Stream::List(list) => {
                out.extend_from_slice(b",\"list\":");
                push_json_string(&mut out, list);
            }
            _ => {}
        }
        out.push(b'}');
        String::from_utf8(out).unwrap_or_default()
    }

    /// Decodes a client frame. As Mastodon does, `stream` may also be an array (its first
    /// element counts).
    ///
    /// # Errors
    /// [`MastodonError::UnknownCommand`] for a `type` other than `subscribe`/`unsubscribe`,
    /// the [`Stream::parse`] errors, and [`MastodonError::Frame`]/[`MastodonError::TooLarge`]
    /// for what is not a JSON object within `limits`.
    pub fn decode(text: &str, limits: &FrameLimits) -> Result<Self, MastodonError> {
        check_size(text, limits)?;
        let raw: RawCommand<'_> =
            serde_json::from_str(text).map_err(|error| frame_error(&error))?;
        let name = match &raw.stream {
            Some(StreamParam::One(name)) => Some(name.as_ref()),
            Some(StreamParam::Many(names)) => names.first().map(Cow::as_ref),
            None => None,
        }
        .ok_or(MastodonError::UnknownStream)?;
        let stream = Stream::parse(name, raw.tag.as_deref(), raw.list.as_deref())?;
        match raw.kind.as_deref() {
            Some("subscribe") => Ok(Self::Subscribe(stream)),
            Some("unsubscribe") => Ok(Self::Unsubscribe(stream)),
            _ => Err(MastodonError::UnknownCommand),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c2s::mastodon::EventName;

    #[test]
    fn decodes_the_documented_frames() {
        let limits = FrameLimits::default();
        let update = ServerFrame::decode(
            r#"{"stream":["public"],"event":"update","payload":"{\"id\":\"108913983692647032\",\"visibility\":\"public\"}"}"#,
            &limits,
        )
        .unwrap();
        let ServerFrame::Event { event, .. } = &update else {
            panic!()
        };
        assert!(event.payload().is_json());
        let filters =
            ServerFrame::decode(r#"{"stream":["user"],"event":"filters_changed"}"#, &limits)
                .unwrap();
        let ServerFrame::Event { event, .. } = &filters else {
            panic!()
        };
        assert_eq!(event.name(), &EventName::FiltersChanged);
        assert_eq!(
            filters.encode(),
            r#"{"stream":["user"],"event":"filters_changed"}"#
        );
        let error = ServerFrame::decode(r#"{"error":"Unknown stream type","status":400}"#, &limits)
            .unwrap();
        assert_eq!(
            error,
            ServerFrame::Error {
                error: "Unknown stream type".into(),
                status: Some(400)
            }
        );
        assert_eq!(
            error.encode(),
            r#"{"error":"Unknown stream type","status":400}"#
        );
    }

    #[test]
    fn refuses_malformed_frames() {
        let limits = FrameLimits::default();
        for text in [
            "",
            "[]",
            r#"{"stream":["public"]}"#,
            r#"{"event":"update","payload":"{}"}"#,
            r#"{"stream":"public","event":"update","payload":"{}"}"#,
            r#"{"stream":["public"],"event":"update","payload":{"id":"1"}}"#,
            r#"{"stream":["public"],"event":"update","payload":"not json"}"#,
            r#"{"stream":["a","b","c","d","e"],"event":"delete","payload":"1"}"#,
        ] {
            assert!(ServerFrame::decode(text, &limits).is_err(), "{text}");
        }
    }

    #[test]
    fn commands() {
        let limits = FrameLimits::default();
        assert_eq!(
            ClientCommand::decode(
                r#"{"type":"subscribe","stream":["list"],"list":"12"}"#,
                &limits
            ),
            Ok(ClientCommand::Subscribe(Stream::List("12".into())))
        );
        assert_eq!(
            ClientCommand::decode(r#"{"type":"ping","stream":"user"}"#, &limits),
            Err(MastodonError::UnknownCommand)
        );
        assert_eq!(
            ClientCommand::decode(r#"{"type":"subscribe","stream":"nope"}"#, &limits),
            Err(MastodonError::UnknownStream)
        );
        for command in [
            ClientCommand::Subscribe(Stream::Hashtag("rust".into())),
            ClientCommand::Unsubscribe(Stream::List("7".into())),
            ClientCommand::Subscribe(Stream::PublicRemoteMedia),
        ] {
            assert_eq!(
                ClientCommand::decode(&command.encode(), &limits),
                Ok(command)
            );
        }
    }
}
