//! The typed message set of the WebSocket C2S endpoint, and its codec.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::c2s::item::{CatchUp, EventKind, ItemId, Json, Meta, StreamEvent};

use crate::c2s::feed::format::socket::Data;

use super::envelope::{self, Envelope, Incoming, Outgoing};
use super::error::EnvelopeError;
use super::limits::SocketLimits;

/// A request id chosen by the client and echoed in every answer: 1 to
/// [`SocketLimits::max_request_id`] bytes, no control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// Checks `id` against `max_len` and the character rule.
    ///
    /// # Errors
    /// [`EnvelopeError::InvalidRequestId`] if it is empty, longer than `max_len` or has control
    /// characters.
    pub fn new(id: &str, max_len: usize) -> Result<Self, EnvelopeError> {
        if id.is_empty() || id.len() > max_len || id.bytes().any(|b| b.is_ascii_control()) {
            return Err(EnvelopeError::InvalidRequestId { max: max_len });
        }
        Ok(Self(Arc::from(id)))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The decimal id a client mints from its counter.
    pub(crate) fn from_counter(n: u64) -> Self {
        Self(Arc::from(n.to_string()))
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for RequestId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The state of delivery to one recipient of an outbox post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// The recipient's server accepted the activity.
    Delivered,
    /// Delivery failed for now and will be retried.
    Retrying,
    /// Delivery failed for good (the server gave up).
    Failed,
}

/// A stored or fetched blob.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Blob {
    /// Its media type, e.g. `image/png`.
    pub media_type: String,
    /// Its bytes.
    pub bytes: Bytes,
}

/// What a `fetch` returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fetched {
    /// A JSON object (an AS2 object), sent as text.
    Object(Json),
    /// A blob, sent as a binary message.
    Blob(Blob),
}

/// What a client sends. Every request carries a [`RequestId`] that its answers echo.
///
/// | `type` | frame | `data` | answered by |
/// |---|---|---|---|
/// | `outbox` | text | the activity (or object) to post | `accepted`, `delivery`…, `done` (or `error`) |
/// | `proxy` | text | the URI of an object | `proxied` (or `error`) |
/// | `store` | binary | `{"mediaType":…}`, then the blob | `stored` (or `error`) |
/// | `fetch` | text | the URL of a blob or object, local or remote | `fetched` (or `error`) |
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientMessage {
    /// Post to the actor's outbox, as a `POST` to the outbox would.
    Outbox {
        /// Request id.
        request: RequestId,
        /// The activity (or a bare object, to be wrapped in a `Create`).
        activity: Json,
    },
    /// Fetch an object through the server (as `proxyUrl` does).
    Proxy {
        /// Request id.
        request: RequestId,
        /// The object's URI.
        object: String,
    },
    /// Store a blob on the server; it answers with the blob's URL.
    Store {
        /// Request id.
        request: RequestId,
        /// The blob.
        blob: Blob,
    },
    /// Retrieve a blob (or object) by URL, from this server or elsewhere.
    Fetch {
        /// Request id.
        request: RequestId,
        /// Its URL.
        url: String,
    },
}

/// What a server sends: stream pushes (`inbox`, `outbox`, `meta`, carrying item ids as in
/// SSE) and answers to requests (carrying the request id).
///
/// | `type` | `id` | `data` |
/// |---|---|---|
/// | `inbox`, `outbox` | item id | the activity added to the collection |
/// | `meta` | — | a [`Meta`] status (`catchUp`, `restart`, `notice`) |
/// | `accepted` | request | `{"activity":…,"object"?:…}`: the ids assigned |
/// | `delivery` | request | `{"recipient":…,"status":"delivered"/"retrying"/"failed","detail"?:…}` |
/// | `done` | request | `{"delivered":n,"failed":n}`: done sending |
/// | `proxied` | request | the object |
/// | `stored` | request | `{"url":…}` |
/// | `fetched` | request | the object (text), or `{"mediaType":…}` and the blob (binary) |
/// | `error` | request, if known | `{"status":400,"message":…}` |
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerMessage {
    /// A collection item pushed to the client (`inbox` or `outbox`).
    Item(StreamEvent),
    /// A server status.
    Meta(Meta),
    /// An outbox post was accepted: the ids the server assigned.
    Accepted {
        /// Request id.
        request: RequestId,
        /// The id of the activity (the `Location` of a `POST`).
        activity: String,
        /// The id of its object, if it has one.
        object: Option<String>,
    },
    /// Delivery progress of an accepted outbox post, per recipient.
    Delivery {
        /// Request id.
        request: RequestId,
        /// The recipient (actor or inbox).
        recipient: String,
        /// The state.
        status: DeliveryStatus,
        /// Details, e.g. the remote status.
        detail: Option<String>,
    },
    /// Done sending an outbox post: no more `delivery` messages follow.
    Done {
        /// Request id.
        request: RequestId,
        /// Recipients delivered to.
        delivered: u64,
        /// Recipients that failed for good.
        failed: u64,
    },
    /// The object a `proxy` asked for.
    Proxied {
        /// Request id.
        request: RequestId,
        /// The object.
        object: Json,
    },
    /// The URL of a stored blob.
    Stored {
        /// Request id.
        request: RequestId,
        /// Where the blob is now.
        url: String,
    },
    /// What a `fetch` returned.
    Fetched {
        /// Request id.
        request: RequestId,
        /// The object or blob.
        body: Fetched,
    },
    /// A request failed, or a message was refused.
    Error {
        /// The request it answers, if it could be read.
        request: Option<RequestId>,
        /// An HTTP-like status (400, 404, 409, 413, 429, 502…).
        status: u16,
        /// What went wrong.
        message: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaTypeData<'a> {
    #[serde(borrow)]
    media_type: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct AcceptedData<'a> {
    #[serde(borrow)]
    activity: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    object: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct DeliveryData<'a> {
    #[serde(borrow)]
    recipient: Cow<'a, str>,
    status: DeliveryStatus,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    detail: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct DoneData {
    delivered: u64,
    failed: u64,
}

#[derive(Serialize, Deserialize)]
struct UrlData<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct ErrorData<'a> {
    status: u16,
    #[serde(borrow)]
    message: Cow<'a, str>,
}

fn data_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain structs of strings and numbers always serialise.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

impl ClientMessage {
    /// The wire type name.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Outbox { .. } => "outbox",
            Self::Proxy { .. } => "proxy",
            Self::Store { .. } => "store",
            Self::Fetch { .. } => "fetch",
        }
    }

    /// The request id.
    #[must_use]
    pub fn request(&self) -> &RequestId {
        match self {
            Self::Outbox { request, .. }
            | Self::Proxy { request, .. }
            | Self::Store { request, .. }
            | Self::Fetch { request, .. } => request,
        }
    }

    /// The frame that carries this message.
    #[must_use]
    pub fn to_frame(&self) -> Outgoing {
        let id = Some(self.request().as_str());
        match self {
            Self::Outbox { activity, .. } => {
                envelope::text("outbox", id, Some(Data::Raw(activity.as_bytes())))
            }
            Self::Proxy { object, .. } => envelope::text("proxy", id, Some(Data::Str(object))),
            Self::Fetch { url, .. } => envelope::text("fetch", id, Some(Data::Str(url))),
            Self::Store { blob, .. } => {
                let data = data_json(&MediaTypeData {
                    media_type: Cow::Borrowed(&blob.media_type),
                });
                envelope::binary("store", id, Some(Data::Raw(&data)), &blob.bytes)
            }
        }
    }

    /// Decodes a message from a client.
    ///
    /// # Errors
    /// [`EnvelopeError`] for anything that is not one of the four requests, well formed and
    /// within `limits`.
    pub fn decode(message: Incoming<'_>, limits: &SocketLimits) -> Result<Self, EnvelopeError> {
        Self::decode_with_id(message, limits).map_err(|(_, error)| error)
    }

    /// Like [`decode`](Self::decode), also returning the request id of a refused request
    /// when it could be read, so that the `error` answer can carry it.
    pub(crate) fn decode_with_id(
        message: Incoming<'_>,
        limits: &SocketLimits,
    ) -> Result<Self, (Option<RequestId>, EnvelopeError)> {
        let envelope = envelope::decode(message, limits).map_err(|error| (None, error))?;
        let kind: &'static str = match envelope.kind.as_ref() {
            "outbox" => "outbox",
            "proxy" => "proxy",
            "store" => "store",
            "fetch" => "fetch",
            other => {
                let request = envelope
                    .id
                    .as_deref()
                    .and_then(|id| RequestId::new(id, limits.max_request_id).ok());
                return Err((
                    request,
                    EnvelopeError::UnknownType {
                        kind: truncate(other),
                    },
                ));
            }
        };
        let request = match envelope.id.as_deref() {
            None => return Err((None, EnvelopeError::MissingRequestId { kind })),
            Some(id) => RequestId::new(id, limits.max_request_id).map_err(|error| (None, error))?,
        };
        Self::typed(kind, request.clone(), &envelope).map_err(|error| (Some(request), error))
    }

    fn typed(
        kind: &'static str,
        request: RequestId,
        envelope: &Envelope<'_>,
    ) -> Result<Self, EnvelopeError> {
        let binary = envelope.blob.is_some();
        if binary != (kind == "store") {
            return Err(EnvelopeError::WrongFrame {
                kind,
                expected: if binary { "text" } else { "binary" },
            });
        }
        let data = envelope
            .data
            .ok_or_else(|| invalid(kind, "\"data\" is missing"))?;
        Ok(match kind {
            "outbox" => Self::Outbox {
                request,
                activity: object(kind, data)?,
            },
            "proxy" => Self::Proxy {
                request,
                object: absolute_url(kind, data)?,
            },
            "fetch" => Self::Fetch {
                request,
                url: absolute_url(kind, data)?,
            },
            _ => {
                let media: MediaTypeData<'_> = parse_data(kind, data)?;
                Self::Store {
                    request,
                    blob: Blob {
                        media_type: media_type(kind, &media.media_type)?,
                        bytes: Bytes::copy_from_slice(envelope.blob.unwrap_or_default()),
                    },
                }
            }
        })
    }
}

impl ServerMessage {
    /// The wire type name.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Item(event) => event.kind().as_str(),
            Self::Meta(_) => "meta",
            Self::Accepted { .. } => "accepted",
            Self::Delivery { .. } => "delivery",
            Self::Done { .. } => "done",
            Self::Proxied { .. } => "proxied",
            Self::Stored { .. } => "stored",
            Self::Fetched { .. } => "fetched",
            Self::Error { .. } => "error",
        }
    }

    /// The request this message answers, if it is an answer.
    #[must_use]
    pub fn request(&self) -> Option<&RequestId> {
        match self {
            Self::Item(_) | Self::Meta(_) => None,
            Self::Error { request, .. } => request.as_ref(),
            Self::Accepted { request, .. }
            | Self::Delivery { request, .. }
            | Self::Done { request, .. }
            | Self::Proxied { request, .. }
            | Self::Stored { request, .. }
            | Self::Fetched { request, .. } => Some(request),
        }
    }

    /// The frame that carries this message.
    #[must_use]
    pub fn to_frame(&self) -> Outgoing {
        let kind = self.kind();
        let id = self.request().map(RequestId::as_str);
        let raw = |json: &[u8]| envelope::text(kind, id, Some(Data::Raw(json)));
        match self {
            Self::Item(event) => envelope::text(
                kind,
                event.id().map(ItemId::as_str),
                Some(Data::Raw(event.data().as_bytes())),
            ),
            Self::Meta(meta) => {
                envelope::text(kind, None, Some(Data::Raw(meta.to_json().as_bytes())))
            }
            Self::Accepted {
                activity, object, ..
            } => raw(&data_json(&AcceptedData {
                activity: Cow::Borrowed(activity),
                object: object.as_deref().map(Cow::Borrowed),
            })),
            Self::Delivery {
                recipient,
                status,
                detail,
                ..
            } => raw(&data_json(&DeliveryData {
                recipient: Cow::Borrowed(recipient),
                status: *status,
                detail: detail.as_deref().map(Cow::Borrowed),
            })),
            Self::Done {
                delivered, failed, ..
            } => raw(&data_json(&DoneData {
                delivered: *delivered,
                failed: *failed,
            })),
            Self::Proxied { object, .. } => raw(object.as_bytes()),
            Self::Stored { url, .. } => raw(&data_json(&UrlData {
                url: Cow::Borrowed(url),
            })),
            Self::Fetched { body, .. } => match body {
                Fetched::Object(object) => raw(object.as_bytes()),
                Fetched::Blob(blob) => {
                    let data = data_json(&MediaTypeData {
                        media_type: Cow::Borrowed(&blob.media_type),
                    });
                    envelope::binary(kind, id, Some(Data::Raw(&data)), &blob.bytes)
                }
            },
            Self::Error {
                status, message, ..
            } => raw(&data_json(&ErrorData {
                status: *status,
                message: Cow::Borrowed(message),
            })),
        }
    }

    /// Decodes a message from a server.
    ///
    /// # Errors
    /// [`EnvelopeError`] for anything that is not a well-formed server message within `limits`.
    pub fn decode(message: Incoming<'_>, limits: &SocketLimits) -> Result<Self, EnvelopeError> {
        let envelope = envelope::decode(message, limits)?;
        let binary = envelope.blob.is_some();
        let kind: &'static str = match envelope.kind.as_ref() {
            "inbox" => "inbox",
            "outbox" => "outbox",
            "meta" => "meta",
            "accepted" => "accepted",
            "delivery" => "delivery",
            "done" => "done",
            "proxied" => "proxied",
            "stored" => "stored",
            "fetched" => "fetched",
            "error" => "error",
            other => {
                return Err(EnvelopeError::UnknownType {
                    kind: truncate(other),
                });
            }
        };
        if binary && kind != "fetched" {
            return Err(EnvelopeError::WrongFrame {
                kind,
                expected: "text",
            });
        }
        let answer = || -> Result<RequestId, EnvelopeError> {
            let id = envelope
                .id
                .as_deref()
                .ok_or(EnvelopeError::MissingRequestId { kind })?;
            RequestId::new(id, limits.max_request_id)
        };
        let data = || {
            envelope
                .data
                .ok_or_else(|| invalid(kind, "\"data\" is missing"))
        };
        Ok(match kind {
            "inbox" | "outbox" => {
                let id = envelope
                    .id
                    .as_deref()
                    .map(ItemId::new)
                    .transpose()
                    .map_err(|error| invalid(kind, &error.to_string()))?;
                let item_kind = if kind == "inbox" {
                    EventKind::Inbox
                } else {
                    EventKind::Outbox
                };
                Self::Item(StreamEvent::from_parts(
                    item_kind,
                    id,
                    object(kind, data()?)?,
                ))
            }
            "meta" => Self::Meta(Meta::from_json(&object(kind, data()?)?)),
            "accepted" => {
                let parsed: AcceptedData<'_> = parse_data(kind, data()?)?;
                Self::Accepted {
                    request: answer()?,
                    activity: parsed.activity.into_owned(),
                    object: parsed.object.map(Cow::into_owned),
                }
            }
            "delivery" => {
                let parsed: DeliveryData<'_> = parse_data(kind, data()?)?;
                Self::Delivery {
                    request: answer()?,
                    recipient: parsed.recipient.into_owned(),
                    status: parsed.status,
                    detail: parsed.detail.map(Cow::into_owned),
                }
            }
            "done" => {
                let parsed: DoneData = parse_data(kind, data()?)?;
                Self::Done {
                    request: answer()?,
                    delivered: parsed.delivered,
                    failed: parsed.failed,
                }
            }
            "proxied" => Self::Proxied {
                request: answer()?,
                object: object(kind, data()?)?,
            },
            "stored" => {
                let parsed: UrlData<'_> = parse_data(kind, data()?)?;
                Self::Stored {
                    request: answer()?,
                    url: parsed.url.into_owned(),
                }
            }
            "fetched" => {
                let body = match envelope.blob {
                    Some(blob) => {
                        let media: MediaTypeData<'_> = parse_data(kind, data()?)?;
                        Fetched::Blob(Blob {
                            media_type: media_type(kind, &media.media_type)?,
                            bytes: Bytes::copy_from_slice(blob),
                        })
                    }
                    None => Fetched::Object(object(kind, data()?)?),
                };
                Self::Fetched {
                    request: answer()?,
                    body,
                }
            }
            _ => {
                let parsed: ErrorData<'_> = parse_data(kind, data()?)?;
                Self::Error {
                    request: envelope
                        .id
                        .as_deref()
                        .map(|id| RequestId::new(id, limits.max_request_id))
                        .transpose()?,
                    status: parsed.status,
                    message: parsed.message.into_owned(),
                }
            }
        })
    }

    /// The catch-up instruction, if this is a `catchUp` meta message.
    #[must_use]
    pub fn as_catch_up(&self) -> Option<&CatchUp> {
        match self {
            Self::Meta(Meta::CatchUp(catch_up)) => Some(catch_up),
            _ => None,
        }
    }
}

fn invalid(kind: &'static str, reason: &str) -> EnvelopeError {
    EnvelopeError::InvalidData {
        kind,
        reason: reason.to_owned(),
    }
}

/// At most 64 bytes of a peer's string, for error messages.
fn truncate(text: &str) -> String {
    let mut end = text.len().min(64);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

fn parse_data<'a, T: Deserialize<'a>>(
    kind: &'static str,
    data: &'a RawValue,
) -> Result<T, EnvelopeError> {
    serde_json::from_str(data.get()).map_err(|error| invalid(kind, &error.to_string()))
}

fn object(kind: &'static str, data: &RawValue) -> Result<Json, EnvelopeError> {
    Json::from_raw(data).map_err(|error| invalid(kind, &error.to_string()))
}

fn absolute_url(kind: &'static str, data: &RawValue) -> Result<String, EnvelopeError> {
    let text: Cow<'_, str> = parse_data(kind, data)?;
    url::Url::parse(&text)
        .map_err(|error| invalid(kind, &format!("not an absolute URL: {error}")))?;
    Ok(text.into_owned())
}

fn media_type(kind: &'static str, text: &str) -> Result<String, EnvelopeError> {
    if text.is_empty() || text.len() > 255 || text.bytes().any(|b| b.is_ascii_control()) {
        return Err(invalid(
            kind,
            "mediaType must be 1 to 255 bytes without control characters",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> RequestId {
        RequestId::new(text, 128).unwrap()
    }

    fn json(text: &'static str) -> Json {
        Json::from_bytes(text).unwrap()
    }

    fn text_of(frame: &Outgoing) -> &str {
        std::str::from_utf8(frame.bytes().unwrap()).unwrap()
    }

    #[test]
    fn client_messages_have_the_documented_shape_and_round_trip() {
        let limits = SocketLimits::default();
        let messages = [
            (
                ClientMessage::Outbox {
                    request: id("1"),
                    activity: json(r#"{"type":"Note","content":"hi"}"#),
                },
                Some(r#"{"type":"outbox","id":"1","data":{"type":"Note","content":"hi"}}"#),
            ),
            (
                ClientMessage::Proxy {
                    request: id("2"),
                    object: "https://remote.example/notes/1".into(),
                },
                Some(r#"{"type":"proxy","id":"2","data":"https://remote.example/notes/1"}"#),
            ),
            (
                ClientMessage::Fetch {
                    request: id("3"),
                    url: "https://remote.example/media/cat.png".into(),
                },
                Some(r#"{"type":"fetch","id":"3","data":"https://remote.example/media/cat.png"}"#),
            ),
            (
                ClientMessage::Store {
                    request: id("4"),
                    blob: Blob {
                        media_type: "image/png".into(),
                        bytes: Bytes::from_static(b"\x89PNG\r\n\x1a\n"),
                    },
                },
                None,
            ),
        ];
        for (message, expected_text) in messages {
            let frame = message.to_frame();
            if let Some(expected) = expected_text {
                assert!(matches!(frame, Outgoing::Text(_)));
                assert_eq!(text_of(&frame), expected);
            } else {
                assert!(matches!(frame, Outgoing::Binary(_)));
            }
            assert_eq!(
                ClientMessage::decode(frame.as_message().unwrap(), &limits),
                Ok(message)
            );
        }
    }

    #[test]
    fn server_messages_round_trip() {
        let limits = SocketLimits::default();
        let request = id("r");
        let messages = [
            ServerMessage::Item(StreamEvent::inbox(
                ItemId::new("9").unwrap(),
                json("{\"type\":\"Like\"}"),
            )),
            ServerMessage::Item(StreamEvent::from_parts(EventKind::Outbox, None, json("{}"))),
            ServerMessage::Meta(Meta::Notice {
                message: "m".into(),
            }),
            ServerMessage::Accepted {
                request: request.clone(),
                activity: "https://h.example/a/1".into(),
                object: Some("https://h.example/o/1".into()),
            },
            ServerMessage::Delivery {
                request: request.clone(),
                recipient: "https://r.example/inbox".into(),
                status: DeliveryStatus::Retrying,
                detail: Some("503".into()),
            },
            ServerMessage::Done {
                request: request.clone(),
                delivered: 3,
                failed: 1,
            },
            ServerMessage::Proxied {
                request: request.clone(),
                object: json("{\"id\":\"x\"}"),
            },
            ServerMessage::Stored {
                request: request.clone(),
                url: "https://h.example/blobs/1".into(),
            },
            ServerMessage::Fetched {
                request: request.clone(),
                body: Fetched::Object(json("{}")),
            },
            ServerMessage::Fetched {
                request: request.clone(),
                body: Fetched::Blob(Blob {
                    media_type: "text/plain".into(),
                    bytes: Bytes::from_static(b""),
                }),
            },
            ServerMessage::Error {
                request: None,
                status: 400,
                message: "bad".into(),
            },
        ];
        for message in messages {
            let frame = message.to_frame();
            assert_eq!(
                ServerMessage::decode(frame.as_message().unwrap(), &limits),
                Ok(message)
            );
        }
        let done = ServerMessage::Done {
            request,
            delivered: 2,
            failed: 0,
        };
        assert_eq!(
            text_of(&done.to_frame()),
            r#"{"type":"done","id":"r","data":{"delivered":2,"failed":0}}"#
        );
    }

    #[test]
    fn refused_requests_keep_their_id_when_readable() {
        let limits = SocketLimits::default();
        let refuse =
            |text| ClientMessage::decode_with_id(Incoming::Text(text), &limits).unwrap_err();
        assert_eq!(
            refuse(r#"{"type":"outbox","id":"7","data":[1]}"#).0,
            Some(id("7"))
        );
        assert_eq!(
            refuse(r#"{"type":"proxy","data":"https://a.example/"}"#),
            (None, EnvelopeError::MissingRequestId { kind: "proxy" })
        );
        assert_eq!(
            refuse(r#"{"type":"store","id":"5","data":{"mediaType":"a/b"}}"#),
            (
                Some(id("5")),
                EnvelopeError::WrongFrame {
                    kind: "store",
                    expected: "binary"
                }
            )
        );
        assert!(matches!(
            refuse(r#"{"type":"proxy","id":"6","data":"not a url"}"#),
            (Some(_), EnvelopeError::InvalidData { kind: "proxy", .. })
        ));
        assert_eq!(
            refuse(r#"{"type":"launch","id":"8"}"#),
            (
                Some(id("8")),
                EnvelopeError::UnknownType {
                    kind: "launch".into()
                }
            )
        );
        assert_eq!(
            refuse(r#"{"type":"fetch","id":"","data":"https://a.example/"}"#),
            (None, EnvelopeError::InvalidRequestId { max: 128 })
        );
    }

    #[test]
    fn server_side_refusals() {
        let limits = SocketLimits::default();
        let refuse = |text| ServerMessage::decode(Incoming::Text(text), &limits).unwrap_err();
        assert_eq!(
            refuse(r#"{"type":"accepted","data":{"activity":"x"}}"#),
            EnvelopeError::MissingRequestId { kind: "accepted" }
        );
        assert!(matches!(
            refuse(r#"{"type":"inbox","id":"a\nb","data":{}}"#),
            EnvelopeError::InvalidData { .. }
        ));
        assert!(matches!(
            refuse(r#"{"type":"delivery","id":"1","data":{"recipient":"x","status":"lost"}}"#),
            EnvelopeError::InvalidData {
                kind: "delivery",
                ..
            }
        ));
        assert_eq!(truncate(&"é".repeat(40)).len(), 64);
    }
}
