//! `WebSocketMessage`: one signed entity on the WebSocket, as the extension defines it.
//!
//! ```json
//! {"signature": "<Versia-Signature>", "signed_at": "<Versia-Signed-At>",
//!  "signed_by": "<Versia-Signed-By>", "entity": "<the entity, as a JSON string>"}
//! ```
//!
//! `entity` is carried as the **exact string** received: the signature covers the SHA-256 of
//! those bytes, so it is never re-serialised before verification. The signed string uses the
//! method `post` and the path of the WebSocket endpoint (the extension leaves both open; see
//! [`crate::connection`]).
//!
//! Decoding is strict about the four fields (each present exactly once, each a JSON string)
//! and ignores members it does not know, so a later draft can add some.

use std::borrow::Cow;
use std::fmt;
use web_time::SystemTime;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::batch::{BatchItem, verify_batch};
use crate::clock::{unix_seconds, unix_seconds_saturating};
use crate::key::{KeyResolver, PrivateKey, PublicKey};
use crate::path::PathForm;
use crate::signature::{
    Signature, SignatureInput, Verified, VerifyError, VerifyOptions, parse_signed_at, sign_in,
};
use crate::signer::{SignedBy, SignedByError};
use crate::version::Version;

/// The method that goes into the signed string of a WebSocket message.
pub const MESSAGE_METHOD: &str = "post";

/// Default largest message accepted by [`WebSocketMessage::decode`] (1 MiB of JSON text).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The names of the four fields, in the order they are written.
pub(crate) const FIELDS: [&str; 4] = ["signature", "signed_at", "signed_by", "entity"];

/// A signed entity on the WebSocket. Fields are kept as received; the accessors parse them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebSocketMessage {
    /// `Versia-Signature`: base64 Ed25519 signature.
    pub signature: String,
    /// `Versia-Signed-At`: unix seconds, as a string.
    pub signed_at: String,
    /// `Versia-Signed-By`: the signer.
    pub signed_by: String,
    /// The entity: stringified JSON, exactly as signed.
    pub entity: String,
}

/// Why a text frame is not a `WebSocketMessage`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The text is longer than the limit.
    #[error("message is {len} bytes, over the {limit}-byte limit (max_message_bytes)")]
    TooLarge {
        /// Length of the text.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The text is not JSON.
    #[error("message is not valid JSON: {reason} (line {line}, column {column})")]
    Json {
        /// What the parser reported.
        reason: String,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
    },
    /// The JSON is not an object.
    #[error("message is a JSON {found}, not an object")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("message has no `{field}` field")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field appears twice.
    #[error("message has the `{field}` field more than once")]
    DuplicateField {
        /// The field.
        field: &'static str,
    },
    /// A control frame (connection protocol) has a `type` this crate does not know.
    #[error("frame type `{found}` is unknown (expected an entity message, `ack` or `error`)")]
    UnknownFrameType {
        /// The type found.
        found: String,
    },
    /// A field has the right JSON type but an unacceptable value.
    #[error("message field `{field}` is invalid: {reason}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("message field `{field}` is a JSON {found}, not the expected type")]
    WrongType {
        /// The field.
        field: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
}

impl WebSocketMessage {
    /// Decodes one text frame. Refuses text longer than `max_bytes` before parsing.
    pub fn decode(text: &str, max_bytes: usize) -> Result<Self, MessageError> {
        let mut slots = read_object(text, max_bytes, &FIELDS)?;
        Self::from_slots(&mut slots, 0)
    }

    /// Builds the message from the four slots starting at `first` (in [`FIELDS`] order).
    pub(crate) fn from_slots(
        slots: &mut [Option<Scalar>],
        first: usize,
    ) -> Result<Self, MessageError> {
        Ok(Self {
            signature: take_string(slots, first, "signature")?,
            signed_at: take_string(slots, first + 1, "signed_at")?,
            signed_by: take_string(slots, first + 2, "signed_by")?,
            entity: take_string(slots, first + 3, "entity")?,
        })
    }

    /// The JSON text of the message (compact, fields in the extension's order).
    pub fn encode(&self) -> String {
        // Serialising four strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Signs `entity` as `signed_by` at the wall clock `wall` (its whole unix seconds become
    /// `signed_at`) for the WebSocket endpoint at `path`.
    ///
    /// Refuses with [`SignError::Clock`](crate::signature::SignError::Clock) a wall clock before
    /// 1970 or after [`MAX_UNIX_SECONDS`](crate::clock::MAX_UNIX_SECONDS), with
    /// [`SignError::Input`](crate::signature::SignError::Input) a path that cannot be signed,
    /// and with [`SignError::SignedBy`](crate::signature::SignError::SignedBy) a signer the
    /// version cannot name.
    pub fn sign(
        key: &PrivateKey,
        signed_by: &SignedBy,
        version: Version,
        path: &str,
        wall: SystemTime,
        entity: impl Into<String>,
    ) -> Result<Self, crate::signature::SignError> {
        Self::sign_in(
            key,
            signed_by,
            version,
            path,
            wall,
            entity,
            PathForm::Strict,
        )
    }

    /// [`WebSocketMessage::sign`] with the path in `form` ([`crate::signature::sign_in`]).
    /// For the endpoint paths `/.versia/v0.x/ws` both forms are the same string; a
    /// [`PathForm::VersiaServer`] signature still refuses an entity that text decoding would
    /// change (one starting with U+FEFF).
    pub fn sign_in(
        key: &PrivateKey,
        signed_by: &SignedBy,
        version: Version,
        path: &str,
        wall: SystemTime,
        entity: impl Into<String>,
        form: PathForm,
    ) -> Result<Self, crate::signature::SignError> {
        let signed_at = unix_seconds(wall)?;
        let entity = entity.into();
        let input = SignatureInput::new(MESSAGE_METHOD, path, signed_at, entity.as_bytes())?;
        let signed_by_text = signed_by.to_header_value(version)?;
        Ok(Self {
            signature: sign_in(key, &input, form)?.to_base64(),
            signed_at: signed_at.to_string(),
            signed_by: signed_by_text,
            entity,
        })
    }

    /// The parsed signature.
    pub fn parsed_signature(&self) -> Result<Signature, VerifyError> {
        Signature::from_base64(&self.signature)
    }

    /// The parsed `signed_at`.
    pub fn parsed_signed_at(&self) -> Result<u64, VerifyError> {
        parse_signed_at(&self.signed_at)
    }

    /// The parsed signer, by the rules of `version`.
    pub fn signer(&self, version: Version) -> Result<SignedBy, SignedByError> {
        SignedBy::parse(version, &self.signed_by)
    }

    /// The signed-string input of this message for the endpoint at `path`.
    pub fn input(&self, path: &str) -> Result<SignatureInput, VerifyError> {
        let signed_at = self.parsed_signed_at()?;
        SignatureInput::new(MESSAGE_METHOD, path, signed_at, self.entity.as_bytes())
            .map_err(VerifyError::InvalidRequest)
    }

    /// Verifies the message as received on the endpoint at `path`, checking the window at the
    /// wall clock `wall` when given (see [`crate::signature::verify`] for the order of checks,
    /// and [`VerifyOptions::check_time`] for a clock before 1970 or past the limit). Replay
    /// protection is the caller's ([`crate::replay::ReplayCache`]) or the connection's.
    pub fn verify(
        &self,
        options: &VerifyOptions,
        path: &str,
        wall: Option<SystemTime>,
        keys: &mut impl KeyResolver,
    ) -> Result<Verified, VerifyError> {
        let now = wall.map(unix_seconds_saturating);
        let prepared = self.prepare(options, path, now, keys)?;
        let path_form = crate::signature::check_signature(
            options,
            &prepared.input,
            &prepared.signed_string,
            &prepared.key,
            &prepared.signature,
        )?;
        Ok(prepared.into_verified(path_form))
    }

    /// Everything but the curve arithmetic: parse, window (at `now`, unix seconds), key.
    pub(crate) fn prepare(
        &self,
        options: &VerifyOptions,
        path: &str,
        now: Option<u64>,
        keys: &mut impl KeyResolver,
    ) -> Result<Prepared, VerifyError> {
        self.claim(options, path, now)?.resolve(keys)
    }

    /// Parses the fields and checks the window at `now`, unix seconds (no key lookup yet).
    pub(crate) fn claim(
        &self,
        options: &VerifyOptions,
        path: &str,
        now: Option<u64>,
    ) -> Result<Claim, VerifyError> {
        let signature = self.parsed_signature()?;
        let input = self.input(path)?;
        let signer = self
            .signer(options.version())
            .map_err(VerifyError::InvalidSignedBy)?;
        if let Some(now) = now {
            options.check_time_at(input.signed_at(), now)?;
        }
        Ok(Claim {
            input,
            signer,
            signature,
        })
    }
}

/// What a message claims: parsed and inside the window; the key is not looked up yet.
pub(crate) struct Claim {
    pub(crate) input: SignatureInput,
    pub(crate) signer: SignedBy,
    pub(crate) signature: Signature,
}

impl Claim {
    /// Looks up the signer's key.
    pub(crate) fn resolve(self, keys: &mut impl KeyResolver) -> Result<Prepared, VerifyError> {
        let key = crate::signature::resolve_key(keys, &self.signer)?;
        Ok(Prepared {
            signed_string: self.input.signed_string(),
            input: self.input,
            signer: self.signer,
            signature: self.signature,
            key,
        })
    }
}

/// A message ready for the curve check.
pub(crate) struct Prepared {
    pub(crate) input: SignatureInput,
    pub(crate) signed_string: String,
    pub(crate) signer: SignedBy,
    pub(crate) signature: Signature,
    pub(crate) key: PublicKey,
}

impl Prepared {
    pub(crate) fn into_verified(self, path_form: PathForm) -> Verified {
        Verified {
            signer: self.signer,
            signed_at: self.input.signed_at(),
            signature: self.signature,
            path_form,
        }
    }
}

/// Verifies a burst of messages received on the endpoint at `path`, with the batch equation
/// ([`crate::batch`]), checking the window at the wall clock `wall` when given. Each result is
/// the one [`WebSocketMessage::verify`] gives for that message at that clock (see the batch
/// module for the one documented exception).
pub fn verify_messages(
    options: &VerifyOptions,
    path: &str,
    messages: &[WebSocketMessage],
    wall: Option<SystemTime>,
    keys: &mut impl KeyResolver,
) -> Vec<Result<Verified, VerifyError>> {
    let now = wall.map(unix_seconds_saturating);
    let prepared: Vec<Result<Prepared, VerifyError>> = messages
        .iter()
        .map(|message| message.prepare(options, path, now, keys))
        .collect();
    let ready: Vec<&Prepared> = prepared.iter().filter_map(|p| p.as_ref().ok()).collect();
    let items: Vec<BatchItem<'_>> = ready
        .iter()
        .map(|p| BatchItem {
            key: &p.key,
            message: p.signed_string.as_bytes(),
            signature: &p.signature,
        })
        .collect();
    let mut verdicts = verify_batch(&items).into_iter();
    prepared
        .into_iter()
        .map(|prepared| {
            let prepared = prepared?;
            let verdict = verdicts
                .next()
                .unwrap_or(Err(VerifyError::SignatureMismatch));
            let path_form = match verdict {
                Ok(()) => PathForm::Strict,
                // The versia-server form is only tried for the few messages that need it.
                Err(VerifyError::SignatureMismatch) => crate::signature::retry_versia_server(
                    options,
                    &prepared.input,
                    &prepared.key,
                    &prepared.signature,
                )?,
                Err(other) => return Err(other),
            };
            Ok(prepared.into_verified(path_form))
        })
        .collect()
}

/// A member value of a flat JSON object, as far as this crate's frames care.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    /// A string.
    Text(String),
    /// A number.
    Number(serde_json::Number),
    /// `null`.
    Null,
    /// An array, object or boolean (its JSON type).
    Other(&'static str),
}

impl Scalar {
    pub(crate) fn json_type(&self) -> &'static str {
        match self {
            Self::Text(_) => "string",
            Self::Number(_) => "number",
            Self::Null => "null",
            Self::Other(found) => found,
        }
    }
}

/// Reads a JSON object of at most `max_bytes`, returning the values of the members `names`
/// (in that order; `None` when absent). Other members are skipped; a member of `names` that
/// appears twice is an error.
pub(crate) fn read_object(
    text: &str,
    max_bytes: usize,
    names: &'static [&'static str],
) -> Result<Vec<Option<Scalar>>, MessageError> {
    if text.len() > max_bytes {
        return Err(MessageError::TooLarge {
            len: text.len(),
            limit: max_bytes,
        });
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let outcome = deserializer
        .deserialize_any(ObjectVisitor { names })
        .and_then(|outcome| deserializer.end().map(|()| outcome));
    match outcome {
        Ok(outcome) => outcome,
        Err(error) => Err(MessageError::Json {
            reason: error.to_string(),
            line: error.line(),
            column: error.column(),
        }),
    }
}

/// Takes the string member `field` out of `slots[index]`.
pub(crate) fn take_string(
    slots: &mut [Option<Scalar>],
    index: usize,
    field: &'static str,
) -> Result<String, MessageError> {
    match slots.get_mut(index).and_then(Option::take) {
        Some(Scalar::Text(text)) => Ok(text),
        Some(other) => Err(MessageError::WrongType {
            field,
            found: other.json_type(),
        }),
        None => Err(MessageError::MissingField { field }),
    }
}

type Outcome = Result<Vec<Option<Scalar>>, MessageError>;

/// Reads the top-level value; peer mistakes come back as `Ok(Err(..))` so they keep their type.
struct ObjectVisitor {
    names: &'static [&'static str],
}

impl ObjectVisitor {
    fn not_an_object(found: &'static str) -> Outcome {
        Err(MessageError::NotAnObject { found })
    }
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Outcome;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outcome, A::Error> {
        let mut slots: Vec<Option<Scalar>> = vec![None; self.names.len()];
        let mut problem: Option<MessageError> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let Some(index) = self.names.iter().position(|name| *name == key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = map.next_value::<Scalar>()?;
            match slots.get_mut(index) {
                Some(slot @ None) => *slot = Some(value),
                Some(Some(_)) => {
                    let field = self.names.get(index).copied().unwrap_or("?");
                    problem.get_or_insert(MessageError::DuplicateField { field });
                }
                None => {}
            }
        }
        Ok(match problem {
            Some(problem) => Err(problem),
            None => Ok(slots),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outcome, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::not_an_object("array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Outcome, E> {
        Ok(Self::not_an_object("string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Outcome, E> {
        Ok(Self::not_an_object("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Outcome, E> {
        Ok(Self::not_an_object("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Outcome, E> {
        Ok(Self::not_an_object("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Outcome, E> {
        Ok(Self::not_an_object("number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Outcome, E> {
        Ok(Self::not_an_object("null"))
    }
}

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(text))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other("boolean"))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Scalar, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Scalar::Other("number"), Scalar::Number))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
        "signature": "/CjB2L9bcvRg+uP19B4/rqy7Ji9/cqMFPlL3GVCIndnQjYyOpBzJEAl9weDnXm7Jrqa3y6sBC+EYWKThO2r9Bw==",
        "signed_at": "1729241807",
        "signed_by": "https://bongo.social/users/63a00ab3-39b1-49eb-b88e-ed65d2361f3e",
        "entity": "{\"id\":\"9a8928b6-2526-4979-aab1-ef2f88cd5700\",\"type\":\"Delete\",\"created_at\":\"2022-01-01T12:00:00Z\",\"author\":\"https://bongo.social/users/63a00ab3-39b1-49eb-b88e-ed65d2361f3e\",\"deleted\":\"https://bongo.social/notes/54059ce2-9332-46fa-bf6a-598b5493b81b\"}"
    }"#;

    #[test]
    fn decodes_the_extension_example() {
        let message = WebSocketMessage::decode(EXAMPLE, DEFAULT_MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(message.signed_at, "1729241807");
        assert_eq!(message.parsed_signed_at(), Ok(1729241807));
        assert!(message.entity.starts_with(r#"{"id":"9a8928b6"#));
        assert_eq!(
            message.signer(Version::V0_5),
            Ok(SignedBy::user(
                "https://bongo.social/users/63a00ab3-39b1-49eb-b88e-ed65d2361f3e"
            ))
        );
        assert!(message.parsed_signature().is_ok());
        let again = WebSocketMessage::decode(&message.encode(), DEFAULT_MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(again, message);
    }

    #[test]
    fn field_errors() {
        let cases: [(&str, MessageError); 7] = [
            ("[1,2]", MessageError::NotAnObject { found: "array" }),
            ("null", MessageError::NotAnObject { found: "null" }),
            (
                r#"{"signature":"a","signed_at":"1","signed_by":"b"}"#,
                MessageError::MissingField { field: "entity" },
            ),
            (
                r#"{"signature":"a","signature":"b","signed_at":"1","signed_by":"b","entity":"{}"}"#,
                MessageError::DuplicateField { field: "signature" },
            ),
            (
                r#"{"signature":"a","signed_at":1,"signed_by":"b","entity":"{}"}"#,
                MessageError::WrongType {
                    field: "signed_at",
                    found: "number",
                },
            ),
            (
                r#"{"signature":"a","signed_at":"1","signed_by":"b","entity":{"id":"x"}}"#,
                MessageError::WrongType {
                    field: "entity",
                    found: "object",
                },
            ),
            ("\"text\"", MessageError::NotAnObject { found: "string" }),
        ];
        for (text, expected) in cases {
            assert_eq!(
                WebSocketMessage::decode(text, DEFAULT_MAX_MESSAGE_BYTES),
                Err(expected),
                "{text}"
            );
        }
        assert!(matches!(
            WebSocketMessage::decode("{\"signature\":", DEFAULT_MAX_MESSAGE_BYTES),
            Err(MessageError::Json { .. })
        ));
        assert!(matches!(
            WebSocketMessage::decode("{} {}", DEFAULT_MAX_MESSAGE_BYTES),
            Err(MessageError::Json { .. })
        ));
        assert_eq!(
            WebSocketMessage::decode(EXAMPLE, 10),
            Err(MessageError::TooLarge {
                len: EXAMPLE.len(),
                limit: 10
            })
        );
    }

    #[test]
    fn unknown_members_are_ignored() {
        let text =
            r#"{"signature":"a","x":[1,{"y":2}],"signed_at":"1","signed_by":"b","entity":"{}"}"#;
        assert!(WebSocketMessage::decode(text, DEFAULT_MAX_MESSAGE_BYTES).is_ok());
    }
}
