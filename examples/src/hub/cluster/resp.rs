//! The subset of RESP2 (the Redis protocol) the hub needs for `PUBLISH` and `SUBSCRIBE`: command
//! encoding and an incremental reply decoder. No IO.

use bytes::{Buf, Bytes, BytesMut};

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR ...`.
    Error(String),
    /// `:42`.
    Integer(i64),
    /// `$3 abc`, or `$-1` (null).
    Bulk(Option<Bytes>),
    /// `*2 ...`, or `*-1` (null).
    Array(Option<Vec<Reply>>),
}

/// The peer sent something that is not RESP2, or too large.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RespError {
    /// An unknown type byte or a malformed length.
    #[error("malformed RESP reply: {0}")]
    Malformed(&'static str),
    /// A bulk string or array longer than the limit.
    #[error("RESP reply of {len} exceeds the limit of {limit}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

/// Arrays nest at most this deep (pub/sub messages have depth 1).
const MAX_DEPTH: usize = 4;

/// Encodes a command as a RESP array of bulk strings.
pub(crate) fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Takes one complete reply off the front of `buf`; `Ok(None)` when more bytes are needed.
/// `limit` bounds bulk string lengths and array sizes.
pub(crate) fn decode(buf: &mut BytesMut, limit: usize) -> Result<Option<Reply>, RespError> {
    match parse(buf, 0, limit, 0)? {
        Some((reply, used)) => {
            buf.advance(used);
            Ok(Some(reply))
        }
        // A reply can only be this large if it breaks the limits somewhere; stop buffering.
        None if buf.len() > 2 * limit + 1024 => Err(RespError::TooLarge {
            len: buf.len(),
            limit,
        }),
        None => Ok(None),
    }
}

/// Parses one reply starting at `at`; returns it and the offset just past it.
fn parse(
    buf: &[u8],
    at: usize,
    limit: usize,
    depth: usize,
) -> Result<Option<(Reply, usize)>, RespError> {
    let Some((kind, line, next)) = line(buf, at) else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(line).into_owned();
    match kind {
        b'+' => Ok(Some((Reply::Simple(text()), next))),
        b'-' => Ok(Some((Reply::Error(text()), next))),
        b':' => Ok(Some((Reply::Integer(number(line)?), next))),
        b'$' => {
            let len = number(line)?;
            if len < 0 {
                return Ok(Some((Reply::Bulk(None), next)));
            }
            let len = bounded(len, limit)?;
            let end = next + len;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if buf.get(end..end + 2) != Some(b"\r\n") {
                return Err(RespError::Malformed("bulk string not followed by CRLF"));
            }
            let data = buf.get(next..end).unwrap_or_default();
            Ok(Some((
                Reply::Bulk(Some(Bytes::copy_from_slice(data))),
                end + 2,
            )))
        }
        b'*' => {
            let len = number(line)?;
            if len < 0 {
                return Ok(Some((Reply::Array(None), next)));
            }
            if depth >= MAX_DEPTH {
                return Err(RespError::Malformed("arrays nested too deep"));
            }
            let len = bounded(len, limit)?;
            let mut items = Vec::with_capacity(len.min(16));
            let mut offset = next;
            for _ in 0..len {
                match parse(buf, offset, limit, depth + 1)? {
                    Some((item, after)) => {
                        items.push(item);
                        offset = after;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Reply::Array(Some(items)), offset)))
        }
        _ => Err(RespError::Malformed("unknown reply type")),
    }
}

/// The type byte, the rest of the line up to CRLF, and the offset after the CRLF.
fn line(buf: &[u8], at: usize) -> Option<(u8, &[u8], usize)> {
    let rest = buf.get(at..)?;
    let (&kind, _) = rest.split_first()?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((kind, rest.get(1..end)?, at + end + 2))
}

fn number(line: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RespError::Malformed("not a number"))
}

fn bounded(len: i64, limit: usize) -> Result<usize, RespError> {
    let len = usize::try_from(len).map_err(|_| RespError::Malformed("negative length"))?;
    if len > limit {
        return Err(RespError::TooLarge { len, limit });
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            command(&[b"PUBLISH", b"ch", b"hi"]),
            b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
    }

    #[test]
    fn a_pubsub_message_decodes_whatever_the_chunking() {
        let wire: &[u8] = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n:7\r\n";
        let expected = [
            Reply::Array(Some(vec![
                Reply::Bulk(Some(Bytes::from_static(b"message"))),
                Reply::Bulk(Some(Bytes::from_static(b"ch"))),
                Reply::Bulk(Some(Bytes::from_static(b"hello"))),
            ])),
            Reply::Integer(7),
        ];
        super::super::tests::decodes_at_every_split(wire, &expected, |buf| {
            decode(buf, 1024).unwrap()
        });
    }

    #[test]
    fn simple_error_and_null_replies() {
        let mut buf = BytesMut::from(&b"+OK\r\n-ERR no\r\n$-1\r\n*-1\r\n"[..]);
        assert_eq!(
            decode(&mut buf, 8).unwrap(),
            Some(Reply::Simple("OK".into()))
        );
        assert_eq!(
            decode(&mut buf, 8).unwrap(),
            Some(Reply::Error("ERR no".into()))
        );
        assert_eq!(decode(&mut buf, 8).unwrap(), Some(Reply::Bulk(None)));
        assert_eq!(decode(&mut buf, 8).unwrap(), Some(Reply::Array(None)));
    }

    #[test]
    fn hostile_input_is_refused() {
        let mut big = BytesMut::from(&b"$999999\r\n"[..]);
        assert!(matches!(
            decode(&mut big, 1024),
            Err(RespError::TooLarge { .. })
        ));
        let mut bad = BytesMut::from(&b"?x\r\n"[..]);
        assert!(decode(&mut bad, 8).is_err());
        let mut deep = BytesMut::from(&b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"[..]);
        assert!(decode(&mut deep, 8).is_err());
        let mut no_crlf = BytesMut::from(&b"$2\r\nabXY"[..]);
        assert!(decode(&mut no_crlf, 8).is_err());
    }
}
