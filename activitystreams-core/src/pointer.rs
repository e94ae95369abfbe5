//! JSON Pointers (RFC 6901): building them while walking a document, and locating the value
//! around a byte offset of raw (possibly invalid) JSON text.

/// One step of a path into a JSON document.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Segment<'x> {
    Key(&'x str),
    Index(usize),
}

/// Renders a path as a JSON Pointer (`""` is the whole document).
pub(crate) fn render(path: &[Segment<'_>]) -> String {
    let mut pointer = String::new();
    for segment in path {
        pointer.push('/');
        match segment {
            Segment::Key(key) => push_escaped(&mut pointer, key),
            Segment::Index(i) => pointer.push_str(&i.to_string()),
        }
    }
    pointer
}

fn push_escaped(pointer: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The pointer of the innermost value that contains byte `offset` of `text`, which may be
/// invalid JSON or invalid UTF-8 (the scan is tolerant and never fails).
pub(crate) fn pointer_at(text: &[u8], offset: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset.min(text.len()) {
        let Some(&byte) = text.get(i) else { break };
        match byte {
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b'"' => {
                let end = string_end(text, i + 1);
                if let Some(Frame::Object {
                    key,
                    expecting_key: true,
                }) = stack.last_mut()
                {
                    let raw = text.get(i + 1..end.min(text.len())).unwrap_or_default();
                    *key = Some(unescape_lossy(raw));
                }
                if end >= offset {
                    break;
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    let mut pointer = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                pointer.push('/');
                push_escaped(&mut pointer, key);
            }
            Frame::Object { key: None, .. } => break,
            Frame::Array { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
        }
    }
    pointer
}

/// The position of the quote closing a string that starts at `start` (or the end of text).
fn string_end(text: &[u8], start: usize) -> usize {
    let mut i = start;
    while let Some(&b) = text.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    text.len()
}

/// The key text: JSON-unescaped when it is valid, else the raw bytes read lossily.
fn unescape_lossy(raw: &[u8]) -> String {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

/// Byte offset of a 1-based line and column as serde_json reports them.
pub(crate) fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    let mut current = 1;
    for (i, b) in text.iter().enumerate() {
        if current == line {
            break;
        }
        if *b == b'\n' {
            current += 1;
            start = i + 1;
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_rfc6901_escapes() {
        assert_eq!(render(&[]), "");
        assert_eq!(
            render(&[Segment::Key("a/b"), Segment::Index(3), Segment::Key("m~n")]),
            "/a~1b/3/m~0n"
        );
    }

    #[test]
    fn locates_the_value_around_an_offset() {
        let text = br#"{"a": {"b": [1, {"c": "xyz"}]}, "d": 2}"#;
        let at = |needle: &str| {
            let pos = text
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap();
            pointer_at(text, pos + 1)
        };
        assert_eq!(at("xyz"), "/a/b/1/c");
        assert_eq!(at("2}"), "/d");
        assert_eq!(pointer_at(text, 0), "");
    }

    #[test]
    fn tolerates_invalid_utf8_and_truncation() {
        let text = b"{\"contentMap\": {\"eo\": \"\xe6iuj \xff\"}}";
        let bad = text.iter().position(|b| *b == 0xff).unwrap();
        assert_eq!(pointer_at(text, bad), "/contentMap/eo");
        assert_eq!(pointer_at(b"{\"a\": [1, 2", 100), "/a/1");
    }

    #[test]
    fn line_and_column_to_offset() {
        let text = b"{\n  \"a\": x\n}";
        assert_eq!(offset_of(text, 2, 8), 9);
        assert_eq!(text[9], b'x');
    }
}
