//! Activity Streams 2.0 types that read real-world ActivityPub JSON leniently and losslessly,
//! plus ActivityPub client-to-server rules as pure functions.
//!
//! The crate does no IO: it reads no clock and opens no socket; hosts pass bytes and time in.
//!
//! # What it gives you
//!
//! * [`Object`]: one type for every AS2 object, link, activity, actor and collection, and for
//!   any other JSON object inside a document. All AS2 Core and Vocabulary properties, the
//!   ActivityPub actor properties and the common extension terms ([`Term`]) are parsed into
//!   typed values ([`Prop`] of [`Ref`], [`Text`], [`Num`], [`Flag`], [`LangMap`]) that keep
//!   their exact source form; every other key is kept as [`Any`].
//! * Lossless round trip: for **any** JSON object, parsing and writing gives the same
//!   `serde_json::Value` (key order aside). Values of an unexpected shape (a number where an
//!   IRI belongs) are kept, not rejected; IRIs and dates stay exact strings, turned into
//!   [`url::Url`] and [`chrono`] values on access with typed errors.
//! * Reading without caring about the polymorphism: [`Object::to_ids`],
//!   [`Object::object_id`], [`Object::content_in`], [`Object::published_at`], [`Object::kind`]...
//!   and extension views in [`ext`] (emoji, profile fields, keys, quotes, interaction
//!   policies).
//! * [`OwnedObject`]: the same object owning its strings, `serde::de::DeserializeOwned` and
//!   `Serialize`, for `serde_json::from_reader`, fields of your own structs and web framework
//!   extractors; [`Object::deserialize_into`] / [`OwnedObject::from_typed`] to and from your own
//!   `#[derive(Deserialize, Serialize)]` types, unknown properties kept.
//! * [`ObjectBuilder`] for writing, with methods for the extension terms the crate reads
//!   (`emoji`, `hashtag`, `focal_point`, `quoted_post`, `can_reply`, `misskey_content`...);
//!   [`Object::normalize`] as an explicit canonicalisation step;
//!   [`Object::validate`] / [`validate_document`] for strict AS2 checks with JSON Pointers.
//! * [`dispatch`]: an activity becomes a method call on a [`Handler`] (actor-model style, as in
//!   Spritely's Mandy); [`CollectionChange`] reads Add/Remove/Move.
//! * [`c2s`]: ActivityPub §5.6, §6, §7.1 and B.11 (outbox posting, ids, addressing, bto/bcc,
//!   partial updates, tombstones, delivery recipients, forwarding) as pure functions.
//! * `http_signatures` (feature `http-signatures`): HTTP Signatures (draft-cavage-12 as the
//!   Fediverse deploys it, and RFC 9421) signed and verified over `http` types, with keys from
//!   PEM, SPKI, PKCS#1 and PKCS#8.
//! * `webfinger` (feature `webfinger`): JRD documents and `acct:` resolution to actor ids.
//!
//! # Data flow
//!
//! ```text
//!  JSON bytes ──> Object::from_slice ──> Object ──────────────> accessors, ext views
//!  (borrowed)     (one pass, strings      │  │
//!                  borrowed, keys typed)  │  ├─> validate() ────> [Violation { pointer, kind }]
//!                                         │  ├─> normalize() ───> Object (arrays, full Public IRI)
//!                                         │  ├─> dispatch(&mut handler) ─> handler.create(call)...
//!                                         │  └─> c2s::* ─────────> OutboxPost, Recipients, Effect
//!                                         v
//!                      Object::write_json / to_json_vec ──> JSON bytes (the same JSON value)
//! ```
//!
//! # Example: a real Mastodon document, and a client post
//!
//! ```
//! use activitystreams_core::{Kind, Object, c2s};
//! use serde_json::Value;
//!
//! // An Update{Note} captured from Mastodon (tests/data/real/, see SOURCES.md there).
//! let bytes = include_bytes!("../tests/data/real/mastodon-update-note-edit.json");
//! let update = Object::from_slice(bytes)?;
//! assert_eq!(update.kind(), Some(Kind::Update));
//! assert_eq!(update.actor_id(), Some("https://mastodon/users/john"));
//! let note = update.embedded_object().expect("the Note is embedded");
//! assert_eq!(note.content_in(Some("en")), Some("<p>Creating Test Data!!! :)</p><p>By updating it 🆕</p>"));
//! assert!(note.is_public() && !note.is_sensitive());
//! assert_eq!(note.published_at().expect("has published")?.timestamp(), 1_675_500_775);
//! // Unknown Mastodon terms (atomUri, conversation, signature...) are kept: writing gives the
//! // same JSON value back.
//! let written = update.to_json_vec()?;
//! assert_eq!(serde_json::from_slice::<Value>(&written)?, serde_json::from_slice::<Value>(bytes)?);
//!
//! // A client POSTs a bare Note to its outbox: the server wraps it in a Create, mints ids,
//! // sets actor/attributedTo, copies addressing, and keeps bcc out of what it delivers.
//! let posted = Object::from_str(
//!     r#"{"type":"Note","content":"Ohai Christine!","to":"https://dustycloud.org/","bcc":"https://example.net/eve"}"#,
//! )?;
//! let mut minted = 0;
//! let accepted = c2s::accept_outbox_post(posted, "https://tsyesika.se", &mut |_| {
//!     minted += 1;
//!     format!("https://tsyesika.se/objects/{minted}")
//! })?;
//! assert_eq!(accepted.location, "https://tsyesika.se/objects/2"); // the Create
//! assert_eq!(accepted.activity.object_id(), Some("https://tsyesika.se/objects/1"));
//! assert!(!accepted.delivery.to_json_string()?.contains("bcc"));
//! let recipients = c2s::delivery_recipients(
//!     &accepted.delivery,
//!     &accepted.blind,
//!     &mut |_| c2s::Expansion::Actor, // the host knows which ids are collections
//!     c2s::DeliveryLimits::default(),
//! )?;
//! assert_eq!(recipients.actors, ["https://dustycloud.org/", "https://example.net/eve"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # With serde
//!
//! `Object<'a>` borrows from the buffer it was read from; [`OwnedObject`] is the owned form for
//! serde's `DeserializeOwned` bound. Typed structs of your own read from an object and write
//! back to one.
//!
//! ```
//! use activitystreams_core::{Kind, Object, OwnedObject};
//! use serde::{Deserialize, Serialize};
//!
//! // An inbox body read straight from an `std::io::Read` (a request body, a file).
//! let body = br#"{"type":"Follow","id":"https://b.example/follows/1",
//!     "actor":"https://b.example/u/bob","object":"https://a.example/u/alice","x-seen":1}"#;
//! let follow: OwnedObject = serde_json::from_reader(&body[..])?;
//! assert_eq!(follow.kind(), Some(Kind::Follow));
//!
//! // Your own type; what it does not name stays in `rest`, in order.
//! #[derive(Deserialize, Serialize)]
//! struct Follow<'x> {
//!     actor: &'x str,
//!     object: &'x str,
//!     #[serde(flatten)]
//!     rest: OwnedObject,
//! }
//! let typed: Follow<'_> = follow.deserialize_into()?;
//! assert_eq!(typed.actor, "https://b.example/u/bob");
//! assert_eq!(typed.rest.keys().collect::<Vec<_>>(), ["type", "id", "x-seen"]);
//!
//! // And back to an object: the same JSON value.
//! let back = OwnedObject::from_typed(&typed)?;
//! assert_eq!(back.to_value()?, follow.to_value()?);
//!
//! // Borrowed and owned forms convert both ways.
//! let borrowed = Object::from_slice(body)?;
//! assert_eq!(OwnedObject::from(borrowed.clone()), follow);
//! let view: &Object<'_> = &follow;
//! assert_eq!(view.actor_id(), borrowed.actor_id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions
//!
//! * A repeated key keeps its last value, as `serde_json::Value` does.
//! * Numbers are [`serde_json::Number`]s, read with serde_json's `float_roundtrip` feature so a
//!   float survives writing and re-reading. Like `serde_json::Value`, an integer outside the
//!   64-bit range is read as the nearest `f64`, so such a number (rare in ActivityPub
//!   output) is the one thing a round trip does not keep digit for digit.
//! * Only exact key spellings are recognised as terms (`sensitive`, not `as:sensitive`); other
//!   spellings are kept untouched under their own key.
//! * [`MAX_DEPTH`] (128, serde_json's own limit) bounds every recursive walk; values built in
//!   code that nest deeper are refused with typed errors, never a stack overflow.
//! * Parsing from bytes ([`Object::from_slice`]) borrows from the buffer; use
//!   [`Object::into_owned`] to keep a document longer than its buffer, or read it as an
//!   [`OwnedObject`] (copies every string; the same rules and limits).
//! * [`Object::deserialize_into`] runs your type's `Deserialize` on the object itself (no JSON
//!   text or `serde_json::Value` in between, strings lent from the object); unknown properties
//!   are your type's to keep (`#[serde(flatten)] rest: OwnedObject`), or come back from
//!   [`Object::deserialize_with_rest`]. [`OwnedObject::from_typed`] goes through JSON text so
//!   that properties keep your type's field order.
//! * Errors say what failed at their level and return the cause (serde_json's error with its
//!   line and column, an IO error, the URL or date parser's reason) from
//!   [`std::error::Error::source`], without repeating it; print the chain to see both.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod access;
mod any;
mod builder;
pub mod c2s;
mod collection;
mod date;
mod de;
mod dispatch;
mod error;
pub mod ext;
#[cfg(feature = "http-signatures")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-signatures")))]
pub mod http_signatures;
mod iri;
mod kind;
mod lang;
mod limits;
mod name_index;
mod normalize;
mod object;
mod owned;
mod pointer;
mod prop;
mod public;
mod ser;
mod string;
mod typed;
mod validate;
mod vocab;
#[cfg(feature = "webfinger")]
#[cfg_attr(docsrs, doc(cfg(feature = "webfinger")))]
pub mod webfinger;

pub use access::ADDRESSING;
pub use any::{Any, AnyRef, JsonKind};
pub use builder::{AS2_CONTEXT, ObjectBuilder, format_datetime};
pub use collection::{CollectionChange, CollectionChangeError, Membership};
pub use date::{DateError, parse_datetime};
pub use dispatch::{Call, DispatchError, Handler, dispatch};
pub use error::{ParseError, TypedError, WriteError};
pub use iri::{IriError, has_scheme, is_absolute_iri, origin_of, parse_iri};
pub use kind::{AS2_NAMESPACE, Family, Kind};
pub use lang::is_well_formed_language_tag;
pub use limits::MAX_DEPTH;
pub use normalize::{TooDeep, normalizes_to_array};
pub use object::{Object, Property};
pub use owned::OwnedObject;
pub use prop::{Element, Flag, LangMap, Num, Prop, PropertyValue, Ref, Text, ValueKind};
pub use public::{PUBLIC, is_public};
pub use string::Str;
pub use validate::{Expected, Violation, ViolationKind, validate_document};
pub use vocab::{Cardinality, Term, Vocabulary};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
