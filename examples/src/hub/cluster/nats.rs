//! The subset of the NATS client protocol the hub needs (`CONNECT`, `SUB`, `PUB`, `PING`/`PONG`
//! and the server's `INFO`, `MSG`, `+OK`, `-ERR`): encoders and an incremental decoder of server
//! operations. No IO.

use bytes::{Buf, Bytes, BytesMut};

/// One operation from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerOp {
    /// `INFO {json}`.
    Info(String),
    /// `MSG <subject> <sid> [reply-to] <#bytes>` and its payload.
    Msg {
        /// The subject it was published to.
        subject: String,
        /// The payload.
        payload: Bytes,
    },
    /// `PING`: answer with [`PONG`].
    Ping,
    /// `PONG`.
    Pong,
    /// `+OK`.
    Ok,
    /// `-ERR '<message>'`.
    Err(String),
}

/// The server sent something that is not a NATS operation, or too large.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NatsError {
    /// An unknown operation or a malformed `MSG` line.
    #[error("malformed NATS operation: {0}")]
    Malformed(&'static str),
    /// A control line or payload longer than the limit.
    #[error("NATS operation of {len} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Length seen.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

/// The answer to a server `PING`.
pub(crate) const PONG: &[u8] = b"PONG\r\n";
/// A client `PING` (its `PONG` shows every earlier command was processed).
pub(crate) const PING: &[u8] = b"PING\r\n";

/// Longest control line accepted (`INFO` lines of real servers are around 500 bytes).
const MAX_LINE: usize = 16 * 1024;

/// `CONNECT` with `echo: false`, so the server does not send our own publications back.
pub(crate) fn connect(name: &str, user: Option<&str>, pass: Option<&str>) -> Vec<u8> {
    let mut options = serde_json::json!({
        "verbose": false,
        "pedantic": false,
        "echo": false,
        "name": name,
        "lang": "rust",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": 1,
    });
    if let (Some(user), Some(pass)) = (user, pass) {
        options["user"] = user.into();
        options["pass"] = pass.into();
    }
    format!("CONNECT {options}\r\n").into_bytes()
}

/// `SUB <subject> <sid>`.
pub(crate) fn sub(subject: &str, sid: u32) -> Vec<u8> {
    format!("SUB {subject} {sid}\r\n").into_bytes()
}

/// `PUB <subject> <#bytes>` and the payload.
pub(crate) fn publish(subject: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("PUB {subject} {}\r\n", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

/// Takes one complete operation off the front of `buf`; `Ok(None)` when more bytes are needed.
/// `max_payload` bounds `MSG` payloads.
pub(crate) fn decode(
    buf: &mut BytesMut,
    max_payload: usize,
) -> Result<Option<ServerOp>, NatsError> {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() > MAX_LINE {
            return Err(NatsError::TooLarge {
                len: buf.len(),
                limit: MAX_LINE,
            });
        }
        return Ok(None);
    };
    if end > MAX_LINE {
        return Err(NatsError::TooLarge {
            len: end,
            limit: MAX_LINE,
        });
    }
    let line = String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned();
    let (verb, rest) = line.split_once([' ', '\t']).unwrap_or((&line, ""));
    let op = match verb.to_ascii_uppercase().as_str() {
        "MSG" => {
            let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
            let (subject, len) = match fields.as_slice() {
                [subject, _, len] | [subject, _, _, len] => (*subject, *len),
                _ => return Err(NatsError::Malformed("MSG needs 3 or 4 fields")),
            };
            let len: usize = len
                .parse()
                .map_err(|_| NatsError::Malformed("MSG size is not a number"))?;
            if len > max_payload {
                return Err(NatsError::TooLarge {
                    len,
                    limit: max_payload,
                });
            }
            let start = end + 2;
            if buf.len() < start + len + 2 {
                return Ok(None);
            }
            if buf.get(start + len..start + len + 2) != Some(b"\r\n") {
                return Err(NatsError::Malformed("MSG payload not followed by CRLF"));
            }
            let subject = subject.to_owned();
            buf.advance(start);
            let payload = buf.split_to(len).freeze();
            buf.advance(2);
            return Ok(Some(ServerOp::Msg { subject, payload }));
        }
        "INFO" => ServerOp::Info(rest.to_owned()),
        "PING" => ServerOp::Ping,
        "PONG" => ServerOp::Pong,
        "+OK" => ServerOp::Ok,
        "-ERR" => ServerOp::Err(rest.trim().trim_matches('\'').to_owned()),
        _ => return Err(NatsError::Malformed("unknown operation")),
    };
    buf.advance(end + 2);
    Ok(Some(op))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_operations_decode_whatever_the_chunking() {
        let wire: &[u8] =
            b"INFO {\"max_payload\":1048576}\r\nPING\r\nMSG hub.x 1 5\r\nhello\r\nMSG hub.x 1 r.1 2\r\nhi\r\n+OK\r\n-ERR 'Unknown Protocol Operation'\r\n";
        let expected = [
            ServerOp::Info("{\"max_payload\":1048576}".into()),
            ServerOp::Ping,
            ServerOp::Msg {
                subject: "hub.x".into(),
                payload: Bytes::from_static(b"hello"),
            },
            ServerOp::Msg {
                subject: "hub.x".into(),
                payload: Bytes::from_static(b"hi"),
            },
            ServerOp::Ok,
            ServerOp::Err("Unknown Protocol Operation".into()),
        ];
        super::super::tests::decodes_at_every_split(wire, &expected, |buf| {
            decode(buf, 1024).unwrap()
        });
    }

    #[test]
    fn client_commands() {
        assert_eq!(publish("a.b", b"xy"), b"PUB a.b 2\r\nxy\r\n");
        assert_eq!(sub("a.b", 7), b"SUB a.b 7\r\n");
        let connect = String::from_utf8(connect("hub", None, None)).unwrap();
        assert!(connect.starts_with("CONNECT {") && connect.ends_with("}\r\n"));
        assert!(connect.contains("\"echo\":false"));
    }

    #[test]
    fn hostile_input_is_refused() {
        let mut big = BytesMut::from(&b"MSG a 1 99999\r\n"[..]);
        assert!(matches!(
            decode(&mut big, 1024),
            Err(NatsError::TooLarge { .. })
        ));
        let mut unknown = BytesMut::from(&b"HELLO\r\n"[..]);
        assert!(decode(&mut unknown, 8).is_err());
        let mut endless = BytesMut::from(vec![b'x'; MAX_LINE + 1].as_slice());
        assert!(decode(&mut endless, 8).is_err());
        let mut bad_size = BytesMut::from(&b"MSG a 1 x\r\n"[..]);
        assert!(decode(&mut bad_size, 8).is_err());
    }
}
