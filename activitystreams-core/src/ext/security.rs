//! Keys: security v1 `publicKey` (HTTP signatures) and Multikey `assertionMethod` (FEP-521a).

use super::{first_id, single_str};
use crate::builder::ObjectBuilder;
use crate::object::Object;
use crate::prop::{Prop, Ref};
use crate::vocab::Term;

/// A `publicKey` entry, embedded or referenced by IRI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey<'x> {
    /// The key id (e.g. `https://example.com/users/alice#main-key`).
    pub id: Option<&'x str>,
    /// The owning actor.
    pub owner: Option<&'x str>,
    /// The key in PEM (SPKI) form.
    pub pem: Option<&'x str>,
}

/// A Multikey verification method (FEP-521a).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Multikey<'x> {
    /// The key id.
    pub id: Option<&'x str>,
    /// The controlling actor.
    pub controller: Option<&'x str>,
    /// The key, multibase-encoded.
    pub public_key_multibase: Option<&'x str>,
}

impl Object<'_> {
    /// The actor's `publicKey` entries (one or many).
    #[must_use]
    pub fn public_keys(&self) -> Vec<PublicKey<'_>> {
        self.public_key()
            .into_iter()
            .flat_map(Prop::iter)
            .filter_map(|key| match key {
                Ref::Iri(iri) => Some(PublicKey {
                    id: Some(iri),
                    owner: None,
                    pem: None,
                }),
                Ref::Object(o) => Some(PublicKey {
                    id: o.id(),
                    owner: first_id(o.owner()),
                    pem: single_str(o.public_key_pem()),
                }),
                Ref::Other(_) => None,
            })
            .collect()
    }

    /// The `publicKey` with this key id (as a `keyId` of an HTTP signature names it).
    #[must_use]
    pub fn public_key_by_id(&self, key_id: &str) -> Option<PublicKey<'_>> {
        self.public_keys()
            .into_iter()
            .find(|k| k.id == Some(key_id))
    }

    /// The Multikey entries of `assertionMethod`.
    #[must_use]
    pub fn multikeys(&self) -> Vec<Multikey<'_>> {
        self.assertion_method()
            .into_iter()
            .flat_map(Prop::iter)
            .filter_map(Ref::as_object)
            .map(|o| Multikey {
                id: o.id(),
                controller: first_id(o.controller()),
                public_key_multibase: single_str(o.public_key_multibase()),
            })
            .collect()
    }
}

/// Writing keys, as [`Object::public_keys`] and [`Object::multikeys`] read them.
impl<'a> ObjectBuilder<'a> {
    /// Adds a `publicKey` entry: `{"id":...,"owner":...,"publicKeyPem":...}` with the fields
    /// that are present. Appends: the first call writes a single value, later calls make an
    /// array.
    pub fn public_key(mut self, key: PublicKey<'a>) -> Self {
        let mut entry = ObjectBuilder::untyped();
        if let Some(id) = key.id {
            entry = entry.id(id);
        }
        if let Some(owner) = key.owner {
            entry = entry.set_ref(Term::Owner, Ref::from(owner));
        }
        if let Some(pem) = key.pem {
            entry = entry.text(Term::PublicKeyPem, pem.into());
        }
        self.push_ref(Term::PublicKey, Ref::from(entry.build()));
        self
    }

    /// Adds a Multikey to `assertionMethod` (FEP-521a):
    /// `{"type":"Multikey","id":...,"controller":...,"publicKeyMultibase":...}` with the fields
    /// that are present. Appends: the first call writes a single value, later calls make an
    /// array.
    pub fn multikey(mut self, key: Multikey<'a>) -> Self {
        let mut entry = ObjectBuilder::with_type("Multikey");
        if let Some(id) = key.id {
            entry = entry.id(id);
        }
        if let Some(controller) = key.controller {
            entry = entry.set_ref(Term::Controller, Ref::from(controller));
        }
        if let Some(multibase) = key.public_key_multibase {
            entry = entry.text(Term::PublicKeyMultibase, multibase.into());
        }
        self.push_ref(Term::AssertionMethod, Ref::from(entry.build()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys() {
        let o = Object::from_str(
            r#"{"id":"https://a/u","publicKey":{"id":"https://a/u#main-key","owner":"https://a/u","publicKeyPem":"-----BEGIN PUBLIC KEY-----\n..."},
            "assertionMethod":[{"type":"Multikey","id":"https://a/u#ed","controller":"https://a/u","publicKeyMultibase":"z6Mk"}]}"#,
        )
        .unwrap();
        let key = o.public_key_by_id("https://a/u#main-key").unwrap();
        assert_eq!(key.owner, Some("https://a/u"));
        assert!(key.pem.unwrap().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(o.multikeys()[0].public_key_multibase, Some("z6Mk"));
        let by_iri = Object::from_str(r#"{"publicKey":"https://a/key"}"#).unwrap();
        assert_eq!(by_iri.public_keys()[0].id, Some("https://a/key"));
    }
}
