//! GoToSocial's `interactionPolicy`: who may like, reply to, announce or quote a post.

use std::collections::HashSet;

use super::embedded;
use crate::builder::ObjectBuilder;
use crate::object::Object;
use crate::prop::{Prop, PropertyValue, Ref};
use crate::public::is_public;
use crate::string::Str;
use crate::vocab::Term;

/// Whether an interaction is allowed by a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Approval {
    /// Allowed without approval.
    Automatic,
    /// Allowed once the author approves.
    Manual,
    /// Not allowed.
    Denied,
}

/// One rule (`canLike`, `canReply`, ...): the ids allowed automatically and with approval.
/// The older `always`/`approvalRequired` names are read as `automaticApproval`/`manualApproval`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRule<'x> {
    /// Actors or collections allowed without approval (Public means anyone).
    pub automatic: Vec<&'x str>,
    /// Actors or collections allowed after manual approval.
    pub manual: Vec<&'x str>,
}

impl PolicyRule<'_> {
    /// The approval for an interacting actor, given the ids that describe it (its own id and
    /// the collections it belongs to, e.g. the author's followers collection if it follows).
    #[must_use]
    pub fn approval_for(&self, actor_ids: &[&str]) -> Approval {
        let actor_ids: HashSet<&str> = actor_ids.iter().copied().collect();
        let matches = |list: &[&str]| {
            list.iter()
                .any(|id| is_public(id) || actor_ids.contains(id))
        };
        if matches(&self.automatic) {
            Approval::Automatic
        } else if matches(&self.manual) {
            Approval::Manual
        } else {
            Approval::Denied
        }
    }
}

/// A view of an `interactionPolicy` object.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InteractionPolicy<'x, 'a> {
    object: &'x Object<'a>,
}

fn ids<'x>(prop: Option<&'x Prop<Ref<'_>>>) -> impl Iterator<Item = &'x str> {
    prop.into_iter().flat_map(Prop::iter).filter_map(Ref::id)
}

fn rule<'x>(rule: Option<&'x Object<'_>>) -> Option<PolicyRule<'x>> {
    let rule = rule?;
    Some(PolicyRule {
        automatic: ids(rule.automatic_approval())
            .chain(ids(rule.always()))
            .collect(),
        manual: ids(rule.manual_approval())
            .chain(ids(rule.approval_required()))
            .collect(),
    })
}

impl<'x, 'a> InteractionPolicy<'x, 'a> {
    /// `canLike`.
    #[must_use]
    pub fn can_like(&self) -> Option<PolicyRule<'x>> {
        rule(embedded(self.object.can_like()).next())
    }
    /// `canReply`.
    #[must_use]
    pub fn can_reply(&self) -> Option<PolicyRule<'x>> {
        rule(embedded(self.object.can_reply()).next())
    }
    /// `canAnnounce`.
    #[must_use]
    pub fn can_announce(&self) -> Option<PolicyRule<'x>> {
        rule(embedded(self.object.can_announce()).next())
    }
    /// `canQuote`.
    #[must_use]
    pub fn can_quote(&self) -> Option<PolicyRule<'x>> {
        rule(embedded(self.object.can_quote()).next())
    }
    /// The underlying object.
    #[must_use]
    pub fn object(&self) -> &'x Object<'a> {
        self.object
    }
}

impl<'a> Object<'a> {
    /// The post's `interactionPolicy`, if embedded.
    #[must_use]
    pub fn interaction_policy_view(&self) -> Option<InteractionPolicy<'_, 'a>> {
        embedded(self.interaction_policy())
            .next()
            .map(|object| InteractionPolicy { object })
    }
}

/// Writing an `interactionPolicy`, as GoToSocial writes it (current rule names, both lists
/// always written as arrays).
impl<'a> ObjectBuilder<'a> {
    /// Sets the `canLike` rule of `interactionPolicy` ([`InteractionPolicy::can_like`]).
    pub fn can_like(self, rule: PolicyRule<'a>) -> Self {
        self.policy_rule(Term::CanLike, rule)
    }

    /// Sets the `canReply` rule of `interactionPolicy` ([`InteractionPolicy::can_reply`]).
    pub fn can_reply(self, rule: PolicyRule<'a>) -> Self {
        self.policy_rule(Term::CanReply, rule)
    }

    /// Sets the `canAnnounce` rule of `interactionPolicy`
    /// ([`InteractionPolicy::can_announce`]).
    pub fn can_announce(self, rule: PolicyRule<'a>) -> Self {
        self.policy_rule(Term::CanAnnounce, rule)
    }

    /// Sets the `canQuote` rule of `interactionPolicy` ([`InteractionPolicy::can_quote`]).
    pub fn can_quote(self, rule: PolicyRule<'a>) -> Self {
        self.policy_rule(Term::CanQuote, rule)
    }

    /// Sets `approvedBy`: the authorization approving this interaction.
    pub fn approved_by(self, authorization: impl Into<Ref<'a>>) -> Self {
        self.set_ref(Term::ApprovedBy, authorization.into())
    }

    /// Sets rule `term` in the `interactionPolicy` object, adding the object if there is none
    /// (a value of another shape is replaced).
    fn policy_rule(mut self, term: Term, rule: PolicyRule<'a>) -> Self {
        let ids = |ids: Vec<&'a str>| {
            PropertyValue::Ref(Prop::Many(
                ids.into_iter()
                    .map(|id| Ref::Iri(Str::borrowed(id)))
                    .collect(),
            ))
        };
        let mut object = Object::new();
        object.set_term(Term::AutomaticApproval, ids(rule.automatic));
        object.set_term(Term::ManualApproval, ids(rule.manual));
        let value = PropertyValue::Ref(Prop::One(Ref::from(object)));
        if let Some(PropertyValue::Ref(Prop::One(Ref::Object(policy)))) =
            self.term_mut(Term::InteractionPolicy)
        {
            policy.set_term(term, value);
            return self;
        }
        let mut policy = Object::new();
        policy.set_term(term, value);
        self.set_ref(Term::InteractionPolicy, Ref::from(policy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_current_and_older_rule_names() {
        let o = Object::from_str(
            r#"{"interactionPolicy":{
                "canLike":{"automaticApproval":"https://www.w3.org/ns/activitystreams#Public"},
                "canReply":{"always":["https://a/u","https://a/u/followers"],"approvalRequired":["as:Public"]},
                "canAnnounce":{"automaticApproval":["https://a/u"],"manualApproval":[]}}}"#,
        )
        .unwrap();
        let policy = o.interaction_policy_view().unwrap();
        assert_eq!(
            policy.can_like().unwrap().approval_for(&["https://x/y"]),
            Approval::Automatic
        );
        let reply = policy.can_reply().unwrap();
        assert_eq!(
            reply.approval_for(&["https://b/v", "https://a/u/followers"]),
            Approval::Automatic
        );
        assert_eq!(reply.approval_for(&["https://b/v"]), Approval::Manual);
        assert_eq!(
            policy
                .can_announce()
                .unwrap()
                .approval_for(&["https://b/v"]),
            Approval::Denied
        );
        assert_eq!(policy.can_quote(), None);
    }
}
