//! Who receives an action: the seed's audience rules as a pure function.

use crate::message::{ActionNotice, ActionSource, ActionType};

/// The sessions a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Every session of one user (on any tenant).
    User(&'a str),
    /// Every session of each of these users (duplicates are delivered once).
    Users(&'a [&'a str]),
    /// Every session on one tenant.
    Tenant(&'a str),
}

/// What the host knows about a processed action, enough to pick its audience.
#[derive(Debug, Clone, Copy)]
pub struct ActionRoute<'a> {
    /// The tenant that processed the action (for an inbound federated action: the target
    /// tenant identified from the action's audience).
    pub tenant: &'a str,
    /// The notice to send; its `action_type`, `issuer` and `source` select the rule.
    pub action: &'a ActionNotice,
    /// For `CMNT`/`REACT`: the owner of the parent action.
    pub parent_owner: Option<&'a str>,
    /// For `MSG`: the conversation participants.
    pub participants: &'a [&'a str],
    /// For other types addressed to one user (`CONN`, `FLLW`, `FSHR`, ...): that user.
    pub recipient: Option<&'a str>,
}

/// The route lacks what its action type needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AudienceError {
    /// A local `CMNT`/`REACT` without [`ActionRoute::parent_owner`].
    #[error(
        "a local {action_type} action needs the parent action's owner (ActionRoute::parent_owner)"
    )]
    MissingParentOwner {
        /// `CMNT` or `REACT`.
        action_type: &'static str,
    },
    /// A local `MSG` with no [`ActionRoute::participants`].
    #[error("a local MSG action needs the conversation participants (ActionRoute::participants)")]
    MissingParticipants,
}

/// The audience of an action, per the seed's "Real-time Action Forwarding":
///
/// | action | audience |
/// |---|---|
/// | any with `source: federated` | every session of the target tenant ("Broadcast to all tenant sessions") |
/// | local `POST` (or no `source`) | the creator's sessions |
/// | local `MSG` | every conversation participant's sessions |
/// | local `CMNT`, `REACT` | the parent action owner's sessions |
/// | any other local type | the addressed user ([`ActionRoute::recipient`]) when given, else the creator (the seed names no rule; this is our choice) |
///
/// # Errors
/// [`AudienceError`] when the route lacks the parent owner or the participants its type needs.
pub fn action_audience<'a>(route: &ActionRoute<'a>) -> Result<Audience<'a>, AudienceError> {
    let action = route.action;
    if action.source == Some(ActionSource::Federated) {
        return Ok(Audience::Tenant(route.tenant));
    }
    match &action.action_type {
        ActionType::Post => Ok(Audience::User(&action.issuer)),
        ActionType::Msg if route.participants.is_empty() => Err(AudienceError::MissingParticipants),
        ActionType::Msg => Ok(Audience::Users(route.participants)),
        ActionType::Cmnt | ActionType::React => match route.parent_owner {
            Some(owner) => Ok(Audience::User(owner)),
            None => Err(AudienceError::MissingParentOwner {
                action_type: if action.action_type == ActionType::Cmnt {
                    "CMNT"
                } else {
                    "REACT"
                },
            }),
        },
        _ => Ok(Audience::User(route.recipient.unwrap_or(&action.issuer))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(action_type: ActionType, source: Option<ActionSource>) -> ActionNotice {
        ActionNotice {
            action_type,
            action_id: "a1~x".into(),
            issuer: "alice".into(),
            content: None,
            timestamp: 0,
            source,
            sub_type: None,
            parent_id: None,
            audience: None,
            status: None,
        }
    }

    fn route<'a>(action: &'a ActionNotice) -> ActionRoute<'a> {
        ActionRoute {
            tenant: "t",
            action,
            parent_owner: None,
            participants: &[],
            recipient: None,
        }
    }

    #[test]
    fn federated_actions_go_to_the_tenant_whatever_their_type() {
        for t in [ActionType::Post, ActionType::Msg, ActionType::Cmnt] {
            let n = notice(t, Some(ActionSource::Federated));
            assert_eq!(action_audience(&route(&n)), Ok(Audience::Tenant("t")));
        }
    }

    #[test]
    fn local_rules() {
        let post = notice(ActionType::Post, Some(ActionSource::Local));
        assert_eq!(action_audience(&route(&post)), Ok(Audience::User("alice")));
        let unsourced = notice(ActionType::Post, None);
        assert_eq!(
            action_audience(&route(&unsourced)),
            Ok(Audience::User("alice"))
        );

        let msg = notice(ActionType::Msg, Some(ActionSource::Local));
        assert_eq!(
            action_audience(&route(&msg)),
            Err(AudienceError::MissingParticipants)
        );
        let people = ["alice", "bob"];
        let r = ActionRoute {
            participants: &people,
            ..route(&msg)
        };
        assert_eq!(action_audience(&r), Ok(Audience::Users(&people)));

        for t in [ActionType::Cmnt, ActionType::React] {
            let n = notice(t, None);
            assert!(matches!(
                action_audience(&route(&n)),
                Err(AudienceError::MissingParentOwner { .. })
            ));
            let r = ActionRoute {
                parent_owner: Some("carol"),
                ..route(&n)
            };
            assert_eq!(action_audience(&r), Ok(Audience::User("carol")));
        }

        let conn = notice(ActionType::Conn, None);
        assert_eq!(action_audience(&route(&conn)), Ok(Audience::User("alice")));
        let r = ActionRoute {
            recipient: Some("bob"),
            ..route(&conn)
        };
        assert_eq!(action_audience(&r), Ok(Audience::User("bob")));
    }
}
