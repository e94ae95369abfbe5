//! The part of RFC 8941 (Structured Field Values) that RFC 9421 and RFC 9530 headers use:
//! dictionaries of items and inner lists with parameters, parsed in one linear pass over a
//! bounded input, and serialised canonically.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::error::ParseError;

/// Standard base64 that accepts a missing final padding, as RFC 8941 §4.2.7 asks.
const BYTES: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A bare item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BareItem {
    Integer(i64),
    /// Canonical text: integer part, `.`, one to three fraction digits.
    Decimal(String),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

pub(crate) type Parameters = Vec<(String, BareItem)>;

/// An item with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) bare: BareItem,
    pub(crate) params: Parameters,
}

/// A dictionary member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Member {
    Item(Item),
    InnerList(Vec<Item>, Parameters),
}

impl Member {
    /// The bare item of a member that is an item.
    pub(crate) fn as_item(&self) -> Option<&BareItem> {
        match self {
            Self::Item(item) => Some(&item.bare),
            Self::InnerList(..) => None,
        }
    }
}

pub(crate) fn param<'a>(params: &'a Parameters, key: &str) -> Option<&'a BareItem> {
    params.iter().find(|(name, _)| name == key).map(|(_, v)| v)
}

fn set<T>(entries: &mut Vec<(String, T)>, key: String, value: T) {
    // RFC 8941: a repeated key overwrites the value and keeps the first position.
    if let Some(entry) = entries.iter_mut().find(|(name, _)| *name == key) {
        entry.1 = value;
    } else {
        entries.push((key, value));
    }
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
    header: &'static str,
    max_members: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> ParseError {
        ParseError::Syntax {
            header: self.header,
            offset: self.at,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|b| set.contains(&b)) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn dictionary(&mut self) -> Result<Vec<(String, Member)>, ParseError> {
        let mut members = Vec::new();
        self.skip(b" ");
        if self.peek().is_none() {
            return Ok(members);
        }
        loop {
            let key = self.key()?;
            let member = if self.peek() == Some(b'=') {
                self.at += 1;
                self.member()?
            } else {
                Member::Item(Item {
                    bare: BareItem::Boolean(true),
                    params: self.parameters()?,
                })
            };
            set(&mut members, key, member);
            if members.len() > self.max_members {
                return Err(ParseError::TooMany {
                    what: "dictionary members",
                    limit: self.max_members,
                });
            }
            self.skip(b" \t");
            if self.peek().is_none() {
                return Ok(members);
            }
            self.expect(b',', "expected ',' between members")?;
            self.skip(b" \t");
            if self.peek().is_none() {
                return Err(self.error("trailing ','"));
            }
        }
    }

    fn member(&mut self) -> Result<Member, ParseError> {
        if self.peek() != Some(b'(') {
            return Ok(Member::Item(self.item()?));
        }
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip(b" ");
            if self.peek() == Some(b')') {
                self.at += 1;
                return Ok(Member::InnerList(items, self.parameters()?));
            }
            items.push(self.item()?);
            if items.len() > self.max_members {
                return Err(ParseError::TooMany {
                    what: "inner list items",
                    limit: self.max_members,
                });
            }
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err(self.error("expected ' ' or ')' in an inner list"));
            }
        }
    }

    fn item(&mut self) -> Result<Item, ParseError> {
        Ok(Item {
            bare: self.bare_item()?,
            params: self.parameters()?,
        })
    }

    fn parameters(&mut self) -> Result<Parameters, ParseError> {
        let mut params = Vec::new();
        while self.peek() == Some(b';') {
            self.at += 1;
            self.skip(b" ");
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.at += 1;
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            set(&mut params, key, value);
            if params.len() > self.max_members {
                return Err(ParseError::TooMany {
                    what: "parameters",
                    limit: self.max_members,
                });
            }
        }
        Ok(params)
    }

    fn key(&mut self) -> Result<String, ParseError> {
        let start = self.at;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.at += 1,
            _ => return Err(self.error("expected a key")),
        }
        self.skip(b"abcdefghijklmnopqrstuvwxyz0123456789_-.*");
        Ok(String::from_utf8_lossy(&self.input[start..self.at]).into_owned())
    }

    fn bare_item(&mut self) -> Result<BareItem, ParseError> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => {
                self.at += 1;
                let value = match self.peek() {
                    Some(b'0') => false,
                    Some(b'1') => true,
                    _ => return Err(self.error("expected ?0 or ?1")),
                };
                self.at += 1;
                Ok(BareItem::Boolean(value))
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'*' => {
                let start = self.at;
                self.at += 1;
                while self
                    .peek()
                    .is_some_and(|b| is_tchar(b) || b == b':' || b == b'/')
                {
                    self.at += 1;
                }
                Ok(BareItem::Token(
                    String::from_utf8_lossy(&self.input[start..self.at]).into_owned(),
                ))
            }
            _ => Err(self.error("expected an item")),
        }
    }

    fn number(&mut self) -> Result<BareItem, ParseError> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        self.skip(b"0123456789");
        let integer = &self.input[start..self.at];
        if integer.is_empty() {
            return Err(self.error("expected a digit"));
        }
        let sign = if negative { "-" } else { "" };
        if self.peek() != Some(b'.') {
            if integer.len() > 15 {
                return Err(self.error("integer longer than 15 digits"));
            }
            let text = std::str::from_utf8(integer).map_err(|_| self.error("expected a digit"))?;
            let value: i64 = text.parse().map_err(|_| self.error("expected a digit"))?;
            return Ok(BareItem::Integer(if negative { -value } else { value }));
        }
        self.at += 1;
        let fraction_start = self.at;
        self.skip(b"0123456789");
        let fraction = &self.input[fraction_start..self.at];
        if integer.len() > 12 || fraction.is_empty() || fraction.len() > 3 {
            return Err(self.error("malformed decimal"));
        }
        let fraction = String::from_utf8_lossy(fraction);
        let trimmed = fraction.trim_end_matches('0');
        Ok(BareItem::Decimal(format!(
            "{sign}{}.{}",
            String::from_utf8_lossy(integer),
            if trimmed.is_empty() { "0" } else { trimmed }
        )))
    }

    fn string(&mut self) -> Result<BareItem, ParseError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(char::from(c)),
                        _ => return Err(self.error("bad escape in a string")),
                    }
                }
                Some(b'"') => {
                    self.at += 1;
                    return Ok(BareItem::String(out));
                }
                Some(c @ 0x20..=0x7e) => out.push(char::from(c)),
                _ => return Err(self.error("unterminated string or invalid character")),
            }
            self.at += 1;
        }
    }

    fn bytes(&mut self) -> Result<BareItem, ParseError> {
        self.at += 1;
        let start = self.at;
        self.skip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
        let encoded = &self.input[start..self.at];
        self.expect(b':', "unterminated byte sequence")?;
        BYTES
            .decode(encoded)
            .map(BareItem::Bytes)
            .map_err(|_| ParseError::Base64("byte sequence"))
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a dictionary of at most `max_members` members (and as many items per inner list
/// and parameters per item) from at most `max_bytes` bytes.
pub(crate) fn parse_dictionary(
    input: &[u8],
    header: &'static str,
    max_bytes: usize,
    max_members: usize,
) -> Result<Vec<(String, Member)>, ParseError> {
    if input.len() > max_bytes {
        return Err(ParseError::TooLong {
            header,
            limit: max_bytes,
        });
    }
    let mut parser = Parser {
        input,
        at: 0,
        header,
        max_members,
    };
    parser.dictionary()
}

/// Writes a string item, or `None` for a character outside printable ASCII.
pub(crate) fn write_string(out: &mut String, value: &str) -> Option<()> {
    out.push('"');
    for c in value.chars() {
        if !(' '..='~').contains(&c) {
            return None;
        }
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(())
}

pub(crate) fn write_bare(out: &mut String, item: &BareItem) -> Option<()> {
    match item {
        BareItem::Integer(value) => {
            let _ = write!(out, "{value}");
        }
        BareItem::Decimal(text) | BareItem::Token(text) => out.push_str(text),
        BareItem::String(value) => write_string(out, value)?,
        BareItem::Bytes(bytes) => {
            out.push(':');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push(':');
        }
        BareItem::Boolean(value) => out.push_str(if *value { "?1" } else { "?0" }),
    }
    Some(())
}

pub(crate) fn write_params(out: &mut String, params: &Parameters) -> Option<()> {
    for (key, value) in params {
        out.push(';');
        out.push_str(key);
        if *value != BareItem::Boolean(true) {
            out.push('=');
            write_bare(out, value)?;
        }
    }
    Some(())
}

pub(crate) fn write_item(out: &mut String, item: &Item) -> Option<()> {
    write_bare(out, &item.bare)?;
    write_params(out, &item.params)
}

pub(crate) fn write_inner_list(
    out: &mut String,
    items: &[Item],
    params: &Parameters,
) -> Option<()> {
    out.push('(');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        write_item(out, item)?;
    }
    out.push(')');
    write_params(out, params)
}
