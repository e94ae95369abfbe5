//! Normalisation: an explicit step that rewrites the lenient forms real servers send into one
//! canonical form.

use crate::any::Any;
use crate::limits::MAX_DEPTH;
use crate::object::{Entry, Object};
use crate::prop::{Prop, PropertyValue, Ref};
use crate::public::{PUBLIC, is_public};
use crate::string::Str;
use crate::vocab::{Cardinality, Term};

/// A value nests deeper than [`MAX_DEPTH`]; only possible for objects built in code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value nests deeper than {limit} levels")]
pub struct TooDeep {
    /// The limit, [`MAX_DEPTH`].
    pub limit: usize,
}

/// Whether normalisation writes `term` as an array: the non-functional reference and string
/// properties, except `type` and the natural-language `content`, `name` and `summary` (whose
/// several values belong in their `*Map` form).
#[must_use]
pub fn normalizes_to_array(term: Term) -> bool {
    term.cardinality() == Cardinality::Many
        && matches!(
            term.value_kind(),
            crate::ValueKind::Ref | crate::ValueKind::Text
        )
        && !matches!(
            term,
            Term::Type | Term::Content | Term::Name | Term::Summary
        )
}

impl<'a> Object<'a> {
    /// Normalises the object and every object embedded in it:
    ///
    /// * a single value of a property the spec allows many values for becomes a one-element
    ///   array (see [`normalizes_to_array`]); `null` and arrays are left as they are;
    /// * `as:Public` and `Public` in `to`, `bto`, `cc`, `bcc` and `audience` become the full
    ///   Public IRI ([`PUBLIC`]).
    ///
    /// `@context` values and language maps are not descended into (their keys are not AS2
    /// properties). Normalising twice gives the same result as once.
    ///
    /// # Errors
    /// [`TooDeep`] if an object built in code nests deeper than [`MAX_DEPTH`]; the object is
    /// then partially normalised.
    pub fn normalize(&mut self) -> Result<(), TooDeep> {
        normalize_object(self, 0)
    }

    /// [`Object::normalize`] by value.
    ///
    /// # Errors
    /// As [`Object::normalize`].
    pub fn normalized(mut self) -> Result<Self, TooDeep> {
        self.normalize()?;
        Ok(self)
    }
}

fn enter(depth: usize) -> Result<usize, TooDeep> {
    if depth >= MAX_DEPTH {
        Err(TooDeep { limit: MAX_DEPTH })
    } else {
        Ok(depth + 1)
    }
}

fn normalize_object(object: &mut Object<'_>, depth: usize) -> Result<(), TooDeep> {
    let depth = enter(depth)?;
    for entry in object.entries_mut() {
        match entry {
            Entry::Known(term, value) => {
                let term = *term;
                if normalizes_to_array(term) {
                    crate::prop::with_prop!(value, p => p.make_array());
                }
                match value {
                    PropertyValue::Ref(refs) => {
                        if crate::access::ADDRESSING.contains(&term) {
                            spell_public_in_full(refs);
                        }
                        normalize_refs(refs, depth)?;
                    }
                    PropertyValue::Text(p) => {
                        for text in p.as_mut_slice() {
                            if let crate::Text::Other(any) = text {
                                normalize_any(any, depth)?;
                            }
                        }
                    }
                    // `@context` and language maps hold no AS2 properties; numbers and flags
                    // hold nothing to descend into except shapes that are invalid anyway.
                    PropertyValue::Any(_)
                    | PropertyValue::LangMap(_)
                    | PropertyValue::Num(_)
                    | PropertyValue::Flag(_) => {}
                }
            }
            Entry::Unknown(_, value) => normalize_any(value, depth)?,
        }
    }
    Ok(())
}

fn spell_public_in_full(refs: &mut Prop<Ref<'_>>) {
    for r in refs.as_mut_slice() {
        if let Ref::Iri(iri) = r
            && is_public(iri)
            && iri.as_str() != PUBLIC
        {
            *iri = Str::borrowed(PUBLIC);
        }
    }
}

fn normalize_refs(refs: &mut Prop<Ref<'_>>, depth: usize) -> Result<(), TooDeep> {
    let depth_inside = if refs.is_array() {
        enter(depth)?
    } else {
        depth
    };
    for r in refs.as_mut_slice() {
        match r {
            Ref::Object(o) => normalize_object(o, depth_inside)?,
            Ref::Other(any) => normalize_any(any, depth_inside)?,
            Ref::Iri(_) => {}
        }
    }
    Ok(())
}

fn normalize_any(any: &mut Any<'_>, depth: usize) -> Result<(), TooDeep> {
    match any {
        Any::Object(o) => normalize_object(o, depth),
        Any::Array(items) => {
            let depth = enter(depth)?;
            items
                .iter_mut()
                .try_for_each(|item| normalize_any(item, depth))
        }
        Any::Null | Any::Bool(_) | Any::Number(_) | Any::String(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized_json(input: &str) -> serde_json::Value {
        let object = Object::from_str(input).unwrap().normalized().unwrap();
        object.to_value().unwrap()
    }

    #[test]
    fn single_references_become_arrays_and_functional_ones_stay() {
        let v = normalized_json(
            r##"{"type":"Create","actor":"https://a/u","to":"as:Public","cc":["Public","https://a/f"],
            "object":{"type":"Note","attributedTo":"https://a/u","tag":{"type":"Hashtag","name":"#x"},
            "content":"hi","inReplyTo":null,"replies":{"type":"Collection","first":"https://a/p"}}}"##,
        );
        assert_eq!(v["type"], "Create");
        assert_eq!(v["actor"], serde_json::json!(["https://a/u"]));
        assert_eq!(v["to"], serde_json::json!([PUBLIC]));
        assert_eq!(v["cc"], serde_json::json!([PUBLIC, "https://a/f"]));
        let note = &v["object"][0];
        assert_eq!(note["attributedTo"], serde_json::json!(["https://a/u"]));
        assert_eq!(note["tag"][0]["name"], "#x");
        assert_eq!(note["content"], "hi");
        assert!(note["inReplyTo"].is_null());
        assert_eq!(note["replies"]["first"], "https://a/p");
    }

    #[test]
    fn context_definitions_are_left_alone() {
        let v = normalized_json(
            r#"{"@context":["https://www.w3.org/ns/activitystreams",{"tag":"as:tag"}],"tag":"x"}"#,
        );
        assert_eq!(v["@context"][1]["tag"], "as:tag");
        assert_eq!(v["tag"], serde_json::json!(["x"]));
    }

    #[test]
    fn public_is_only_rewritten_in_addressing() {
        let v = normalized_json(r#"{"object":"Public","to":["Public"]}"#);
        assert_eq!(v["object"], serde_json::json!(["Public"]));
        assert_eq!(v["to"], serde_json::json!([PUBLIC]));
    }

    #[test]
    fn refuses_objects_nested_beyond_the_limit() {
        let mut object = Object::new();
        for _ in 0..MAX_DEPTH {
            let mut outer = Object::new();
            outer.set_object(object);
            object = outer;
        }
        assert_eq!(object.normalize(), Err(TooDeep { limit: MAX_DEPTH }));
    }
}
