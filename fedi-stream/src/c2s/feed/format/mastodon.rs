//! Mastodon's streaming WebSocket frames as written, for the feed's
//! [`Format::MastodonWebSocket`](super::Format::MastodonWebSocket) encoding and
//! [`ServerFrame::encode`](crate::c2s::mastodon::ServerFrame::encode).

use crate::c2s::feed::Payload;

use super::socket::push_json_string;

/// Writes `{"stream":[…],"event":name,"payload":"…"}` (the payload as a JSON string; no
/// `payload` key when there is none).
pub(crate) fn write_event(out: &mut Vec<u8>, stream: &[String], name: &str, payload: &Payload) {
    out.extend_from_slice(b"{\"stream\":[");
    for (index, part) in stream.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        push_json_string(out, part);
    }
    out.extend_from_slice(b"],\"event\":");
    push_json_string(out, name);
    if let Some(payload) = payload.as_str() {
        out.extend_from_slice(b",\"payload\":");
        push_json_string(out, payload);
    }
    out.push(b'}');
}
