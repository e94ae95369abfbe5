//! Writing JSON: a direct writer (the fast path) and `serde::Serialize` impls (for embedding in
//! other serde structures). Both produce the same JSON value.
//!
//! The direct writer copies keys of recognised terms as pre-quoted constants and copies strings
//! known to need no escaping verbatim, which is where its speed comes from.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::any::{Any, AnyRef};
use crate::error::WriteError;
use crate::limits::MAX_DEPTH;
use crate::object::{Entry, Object};
use crate::prop::{Element, Prop, PropertyValue, with_prop};
use crate::string::Str;

fn enter(depth: usize) -> Result<usize, WriteError> {
    if depth >= MAX_DEPTH {
        Err(WriteError::TooDeep { limit: MAX_DEPTH })
    } else {
        Ok(depth + 1)
    }
}

pub(crate) fn write_object(
    out: &mut Vec<u8>,
    object: &Object<'_>,
    depth: usize,
) -> Result<(), WriteError> {
    let depth = enter(depth)?;
    out.push(b'{');
    for (i, entry) in object.entries().iter().enumerate() {
        match entry {
            Entry::Known(term, value) => {
                let key = term.json_key_after_comma();
                out.extend_from_slice(if i == 0 {
                    key.get(1..).unwrap_or_default()
                } else {
                    key
                });
                with_prop!(value, p => write_prop(out, p, depth))?;
            }
            Entry::Unknown(name, value) => {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, name);
                out.push(b':');
                write_any(out, value.view(), depth)?;
            }
        }
    }
    out.push(b'}');
    Ok(())
}

fn write_prop<'a, T: Element<'a>>(
    out: &mut Vec<u8>,
    prop: &Prop<T>,
    depth: usize,
) -> Result<(), WriteError> {
    match prop {
        Prop::Null => out.extend_from_slice(b"null"),
        Prop::One(value) => write_any(out, value.view(), depth)?,
        Prop::Many(values) => {
            let depth = enter(depth)?;
            out.push(b'[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_any(out, value.view(), depth)?;
            }
            out.push(b']');
        }
    }
    Ok(())
}

pub(crate) fn write_any(
    out: &mut Vec<u8>,
    value: AnyRef<'_, '_>,
    depth: usize,
) -> Result<(), WriteError> {
    match value {
        AnyRef::Null => out.extend_from_slice(b"null"),
        AnyRef::Bool(true) => out.extend_from_slice(b"true"),
        AnyRef::Bool(false) => out.extend_from_slice(b"false"),
        AnyRef::Number(n) => {
            use std::io::Write as _;
            // Writing into a Vec cannot fail. serde_json's Display is the same itoa/float
            // formatting its serializer uses, so the number reads back identically.
            let _ = write!(out, "{n}");
        }
        AnyRef::String(s) => write_str(out, s),
        AnyRef::Array(items) => {
            let depth = enter(depth)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_any(out, item.view(), depth)?;
            }
            out.push(b']');
        }
        AnyRef::Object(o) => write_object(out, o, depth)?,
    }
    Ok(())
}

fn write_str(out: &mut Vec<u8>, s: &Str<'_>) {
    let text = s.as_str().as_bytes();
    if s.is_json_clean() {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text);
        out.push(b'"');
    } else {
        write_escaped(out, text);
    }
}

/// How each byte is written inside a JSON string: 0 = as is, `u` = `\u00XX`, else the
/// character after the backslash. The same escapes serde_json uses.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// A mask with the high bit set in the first byte of `word` (little-endian) that is `"`, `\\` or
/// below 0x20; zero if there is none. Bits above the first match may be spurious, the lowest one
/// is exact.
fn special_byte_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let is_quote = quote.wrapping_sub(ONES) & !quote;
    let is_backslash = backslash.wrapping_sub(ONES) & !backslash;
    (below_space | is_quote | is_backslash) & HIGH
}

/// Writes a JSON string with the escapes serde_json uses, scanning eight bytes at a time.
fn write_escaped(out: &mut Vec<u8>, text: &[u8]) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while let Some(&chunk) = text.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let mask = special_byte_mask(u64::from_le_bytes(chunk));
        if mask == 0 {
            i += 8;
            continue;
        }
        let at = i + (mask.trailing_zeros() / 8) as usize;
        start = escape_at(out, text, start, at);
        i = at + 1;
    }
    while let Some(&byte) = text.get(i) {
        if ESCAPE[usize::from(byte)] != 0 {
            start = escape_at(out, text, start, i);
        }
        i += 1;
    }
    if let Some(run) = text.get(start..) {
        out.extend_from_slice(run);
    }
    out.push(b'"');
}

/// Writes the clean run `text[start..at]` and the escape of `text[at]`; returns the new start.
fn escape_at(out: &mut Vec<u8>, text: &[u8], start: usize, at: usize) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if let Some(run) = text.get(start..at) {
        out.extend_from_slice(run);
    }
    let byte = text.get(at).copied().unwrap_or_default();
    match ESCAPE[usize::from(byte)] {
        b'u' => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
        escape => {
            out.push(b'\\');
            out.push(escape);
        }
    }
    at + 1
}

impl Object<'_> {
    /// Writes the object as compact JSON, appending to `out`.
    ///
    /// Parsing then writing reproduces the input's JSON value (key order and insignificant
    /// whitespace aside); properties are written in their stored order.
    ///
    /// # Errors
    /// [`WriteError::TooDeep`] if a value built in code nests deeper than
    /// [`MAX_DEPTH`](crate::MAX_DEPTH); parsed documents never do.
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        write_object(out, self, 0)
    }

    /// The object as compact JSON bytes (see [`Object::write_json`]).
    ///
    /// # Errors
    /// As [`Object::write_json`].
    pub fn to_json_vec(&self) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::with_capacity(4096);
        self.write_json(&mut out)?;
        Ok(out)
    }

    /// The object as a compact JSON string (see [`Object::write_json`]).
    ///
    /// # Errors
    /// As [`Object::write_json`].
    pub fn to_json_string(&self) -> Result<String, WriteError> {
        let bytes = self.to_json_vec()?;
        // The writer only emits valid UTF-8 (copies of `str` data and ASCII); the lossy
        // conversion never replaces anything and avoids a fallible path.
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Converts to a `serde_json::Value`.
    ///
    /// # Errors
    /// As [`Object::write_json`].
    pub fn to_value(&self) -> Result<serde_json::Value, WriteError> {
        to_value(AnyRef::Object(self))
    }
}

pub(crate) fn to_value(value: AnyRef<'_, '_>) -> Result<serde_json::Value, WriteError> {
    serde_json::to_value(SerAny(value, 0)).map_err(|_| WriteError::TooDeep { limit: MAX_DEPTH })
}

struct SerObject<'x, 'a>(&'x Object<'a>, usize);
struct SerPropValue<'x, 'a>(&'x PropertyValue<'a>, usize);
struct SerProp<'x, T>(&'x Prop<T>, usize);
struct SerAny<'x, 'a>(AnyRef<'x, 'a>, usize);

fn enter_ser<E: serde::ser::Error>(depth: usize) -> Result<usize, E> {
    enter(depth).map_err(E::custom)
}

impl Serialize for SerObject<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let depth = enter_ser(self.1)?;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for entry in self.0.entries() {
            match entry {
                Entry::Known(term, value) => {
                    map.serialize_entry(term.name(), &SerPropValue(value, depth))?;
                }
                Entry::Unknown(name, value) => {
                    map.serialize_entry(name.as_str(), &SerAny(value.view(), depth))?;
                }
            }
        }
        map.end()
    }
}

impl Serialize for SerPropValue<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_prop!(self.0, p => SerProp(p, self.1).serialize(serializer))
    }
}

impl<'a, T: Element<'a>> Serialize for SerProp<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Prop::Null => serializer.serialize_unit(),
            Prop::One(value) => SerAny(value.view(), self.1).serialize(serializer),
            Prop::Many(values) => {
                let depth = enter_ser(self.1)?;
                let mut seq = serializer.serialize_seq(Some(values.len()))?;
                for value in values {
                    seq.serialize_element(&SerAny(value.view(), depth))?;
                }
                seq.end()
            }
        }
    }
}

impl Serialize for SerAny<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AnyRef::Null => serializer.serialize_unit(),
            AnyRef::Bool(b) => serializer.serialize_bool(b),
            AnyRef::Number(n) => n.serialize(serializer),
            AnyRef::String(s) => serializer.serialize_str(s),
            AnyRef::Array(items) => {
                let depth = enter_ser(self.1)?;
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&SerAny(item.view(), depth))?;
                }
                seq.end()
            }
            AnyRef::Object(o) => SerObject(o, self.1).serialize(serializer),
        }
    }
}

impl Serialize for Object<'_> {
    /// Serializes as a JSON object. Fails with a custom error if a value built in code nests
    /// deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SerObject(self, 0).serialize(serializer)
    }
}

impl Serialize for Any<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SerAny(self.view(), 0).serialize(serializer)
    }
}

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_byte_detection_is_exact() {
        for special in [0u8, 0x1f, b'"', b'\\'] {
            for pos in 0..8 {
                let mut bytes = [b'a'; 8];
                bytes[pos] = special;
                let mask = special_byte_mask(u64::from_le_bytes(bytes));
                assert_eq!(mask.trailing_zeros() / 8, pos as u32, "{special} at {pos}");
            }
        }
        for clean in [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff, 0xc3] {
            assert_eq!(
                special_byte_mask(u64::from_le_bytes([clean; 8])),
                0,
                "{clean}"
            );
        }
    }

    #[test]
    fn escapes_like_serde_json() {
        for text in [
            "q\" b\\ n\n r\r t\t \u{8}\u{c}\u{1}\u{1f} é ✓ \u{7f}",
            "a long clean run before the \"quote\" and after it, é ✓ 12345678",
            "12345678\"",
            "\"12345678",
            "\"\"\"\"\\\\\\\\\n\u{0}\u{1}\u{2}\"\"ab\"",
            "",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, &Str::owned(text));
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text}");
        }
    }

    #[test]
    fn refuses_values_nested_deeper_than_the_limit() {
        let mut value = Any::Null;
        for _ in 0..MAX_DEPTH {
            value = Any::Array(vec![value]);
        }
        let mut ok = Object::new();
        ok.insert("x", value.clone());
        // One object level plus MAX_DEPTH arrays.
        assert_eq!(
            ok.to_json_vec(),
            Err(WriteError::TooDeep { limit: MAX_DEPTH })
        );
        assert!(ok.to_value().is_err());
        assert!(serde_json::to_vec(&ok).is_err());
        let mut shallower = Object::new();
        if let Any::Array(mut inner) = value {
            shallower.insert("x", inner.pop().unwrap_or_default());
        }
        assert!(shallower.to_json_vec().is_ok());
        assert!(shallower.to_value().is_ok());
    }
}
