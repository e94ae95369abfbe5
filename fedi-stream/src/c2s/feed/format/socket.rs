//! The C2S WebSocket envelope as written: `{"type":…,"id"?:…,"data"?:…}`, shared by the feed's
//! [`Format::WebSocket`](super::Format::WebSocket) encoding and the socket's own messages.

/// An envelope's `data` when writing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Data<'a> {
    /// Already-encoded JSON, written as is.
    Raw(&'a [u8]),
    /// Text, written as a JSON string.
    Str(&'a str),
}

/// Writes `{"type":kind,"id":id,"data":data}` (absent parts omitted).
pub(crate) fn write(out: &mut Vec<u8>, kind: &str, id: Option<&str>, data: Option<Data<'_>>) {
    out.extend_from_slice(b"{\"type\":");
    push_json_string(out, kind);
    if let Some(id) = id {
        out.extend_from_slice(b",\"id\":");
        push_json_string(out, id);
    }
    match data {
        Some(Data::Raw(json)) => {
            out.extend_from_slice(b",\"data\":");
            out.extend_from_slice(json);
        }
        Some(Data::Str(text)) => {
            out.extend_from_slice(b",\"data\":");
            push_json_string(out, text);
        }
        None => {}
    }
    out.push(b'}');
}

/// Writes `text` as a JSON string.
pub(crate) fn push_json_string(out: &mut Vec<u8>, text: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}
