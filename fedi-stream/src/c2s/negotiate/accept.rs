//! The `Accept` header (RFC 9110 §12.5.1): media ranges with parameters and q-values.

use std::borrow::Cow;

/// One media range of an `Accept` header, with its weight.
///
/// Type, subtype and parameter names are lowercased; parameter values are kept as sent
/// (quoted strings unescaped). Parameters after `q` (accept extensions) are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaRange<'a> {
    /// The type, or `*`.
    pub kind: Cow<'a, str>,
    /// The subtype, or `*`.
    pub subtype: Cow<'a, str>,
    /// Media type parameters (before `q`), names lowercased.
    pub params: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The weight in thousandths: `q=0.5` is 500; no `q` is 1000.
    pub quality: u16,
}

impl MediaRange<'_> {
    /// How specific the range is: 0 for `*/*`, 1 for `type/*`, 2 for `type/subtype`, plus one
    /// per parameter. More specific ranges override less specific ones.
    #[must_use]
    pub fn specificity(&self) -> usize {
        if self.kind == "*" {
            0
        } else if self.subtype == "*" {
            1
        } else {
            2 + self.params.len()
        }
    }

    /// The value of parameter `name` (lowercase), if present.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_ref())
    }
}

/// Parses the members of an `Accept` field value. Members that do not follow the grammar are
/// skipped (the rest still counts), as are members beyond `max_ranges`; returns the ranges and
/// whether any member was skipped for being beyond `max_ranges`.
pub(crate) fn parse(value: &[u8], max_ranges: usize) -> (Vec<MediaRange<'_>>, bool) {
    let mut parser = Parser {
        input: value,
        pos: 0,
    };
    let mut ranges = Vec::new();
    let mut truncated = false;
    loop {
        parser.skip_ows();
        if parser.at_end() {
            break;
        }
        if parser.peek() == Some(b',') {
            parser.pos += 1;
            continue;
        }
        match parser.media_range() {
            Some(range) if ranges.len() < max_ranges => ranges.push(range),
            Some(_) => truncated = true,
            None => {}
        }
        parser.skip_member();
    }
    (ranges, truncated)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips the rest of the member, up to and including the next comma outside quotes.
    fn skip_member(&mut self) {
        let mut quoted = false;
        while let Some(byte) = self.peek() {
            self.pos += 1;
            match byte {
                b'\\' if quoted => self.pos += 1,
                b'"' => quoted = !quoted,
                b',' if !quoted => return,
                _ => {}
            }
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        // Token characters are ASCII.
        (self.pos > start)
            .then(|| std::str::from_utf8(self.input.get(start..self.pos)?).ok())
            .flatten()
    }

    fn quoted_string(&mut self) -> Option<Cow<'a, str>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        let mut unescaped: Option<Vec<u8>> = None;
        loop {
            let byte = self.peek()?;
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escaped = self
                        .peek()
                        .filter(|&b| is_qdtext(b) || b == b'"' || b == b'\\')?;
                    self.pos += 1;
                    let buffer = unescaped.get_or_insert_with(|| {
                        self.input
                            .get(start..self.pos - 2)
                            .unwrap_or_default()
                            .to_vec()
                    });
                    buffer.push(escaped);
                }
                byte if is_qdtext(byte) => {
                    if let Some(buffer) = &mut unescaped {
                        buffer.push(byte);
                    }
                }
                _ => return None,
            }
        }
        match unescaped {
            Some(buffer) => String::from_utf8(buffer).ok().map(Cow::Owned),
            None => std::str::from_utf8(self.input.get(start..self.pos - 1)?)
                .ok()
                .map(Cow::Borrowed),
        }
    }

    fn media_range(&mut self) -> Option<MediaRange<'a>> {
        let kind = self.token()?;
        if !self.eat(b'/') {
            return None;
        }
        let subtype = self.token()?;
        if kind == "*" && subtype != "*" {
            return None;
        }
        let mut range = MediaRange {
            kind: lower(kind),
            subtype: lower(subtype),
            params: Vec::new(),
            quality: 1000,
        };
        let mut after_weight = false;
        loop {
            self.skip_ows();
            match self.peek() {
                None | Some(b',') => return Some(range),
                Some(b';') => self.pos += 1,
                Some(_) => return None,
            }
            self.skip_ows();
            if matches!(self.peek(), None | Some(b',' | b';')) {
                continue; // empty parameter
            }
            let name = self.token()?;
            if !self.eat(b'=') {
                return None;
            }
            let value = match self.peek() {
                Some(b'"') => self.quoted_string()?,
                _ => Cow::Borrowed(self.token()?),
            };
            if after_weight {
                continue; // accept-ext: ignored
            }
            if name.eq_ignore_ascii_case("q") {
                range.quality = qvalue(&value)?;
                after_weight = true;
            } else {
                range.params.push((lower(name), value));
            }
        }
    }
}

fn lower(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (index, digit) in fraction.bytes().enumerate() {
        let scale = [100, 10, 1].get(index).copied().unwrap_or(0);
        thousandths += u16::from(digit - b'0') * scale;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn is_qdtext(byte: u8) -> bool {
    matches!(byte, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `type/subtype`, weight, parameters.
    type Parsed = (String, u16, Vec<(String, String)>);

    fn ranges(value: &str) -> Vec<Parsed> {
        parse(value.as_bytes(), 64)
            .0
            .into_iter()
            .map(|range| {
                (
                    format!("{}/{}", range.kind, range.subtype),
                    range.quality,
                    range
                        .params
                        .into_iter()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn parses_weights_and_parameters() {
        assert_eq!(
            ranges(
                r#"Application/LD+JSON; Profile="https://www.w3.org/ns/activitystreams" ;q=0.9, text/*;Q=0.25;ext=1, */*;q=0"#
            ),
            [
                (
                    "application/ld+json".into(),
                    900,
                    vec![(
                        "profile".into(),
                        "https://www.w3.org/ns/activitystreams".into()
                    )]
                ),
                ("text/*".into(), 250, vec![]),
                ("*/*".into(), 0, vec![]),
            ]
        );
    }

    #[test]
    fn commas_inside_quotes_do_not_split_members() {
        assert_eq!(
            ranges(r#"a/b;p="x, y\"z", c/d"#),
            [
                ("a/b".into(), 1000, vec![("p".into(), "x, y\"z".into())]),
                ("c/d".into(), 1000, vec![]),
            ]
        );
    }

    #[test]
    fn skips_invalid_members_only() {
        let parsed = ranges(
            "text/event-stream;q=2, */json, nonsense, a/b;q=0.1234, ,, x/y;q=1.000, z/w;q=0.5 junk, v/w;=1",
        );
        assert_eq!(parsed, [("x/y".into(), 1000, vec![])]);
        assert_eq!(ranges(""), []);
        assert_eq!(ranges("a/b;q"), []);
        assert_eq!(ranges("a/b;\"q\"=1"), []);
        assert_eq!(ranges("a/b;p=\"unterminated"), []);
    }

    #[test]
    fn qvalues_in_thousandths() {
        for (text, expected) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.001", Some(1)),
            ("1", Some(1000)),
            ("1.0", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.0001", None),
            ("2", None),
            (".5", None),
            ("0.a", None),
        ] {
            assert_eq!(qvalue(text), expected, "{text}");
        }
    }

    #[test]
    fn caps_the_number_of_ranges() {
        let (parsed, truncated) = parse(b"a/a, b/b, c/c", 2);
        assert_eq!(parsed.len(), 2);
        assert!(truncated);
    }
}
