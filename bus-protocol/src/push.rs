//! Whether to send a push notification to a recipient: the seed's decision tree as a pure
//! function.
//!
//! ```text
//! online? ──yes──► skip (the WebSocket delivered it)
//!   │no
//! type eligible (MSG, CONN, FSHR, CMNT)? ──no──► skip
//!   │yes
//! push enabled and this type allowed by the user? ──no──► skip
//!   │yes
//! fewer than max_per_hour pushes in the last hour? ──no──► skip (throttled)
//!   │yes
//! send
//! ```
//!
//! The host supplies the facts (`hub.is_online(user)`, the stored preferences, its count of
//! pushes in the last hour) and schedules the push task itself.

use crate::message::ActionType;

/// Server-wide push rules. `Default` gives the seed's eligible types and a limit of 10 pushes
/// per hour (the seed names `MAX_PUSHES_PER_HOUR` without a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPolicy {
    /// Action types that may cause a push.
    pub eligible: Vec<ActionType>,
    /// Pushes per recipient per hour; the push that would exceed it is skipped. (The seed's
    /// pseudocode tests `recent_count > MAX`, which would allow `MAX + 1`; the decision tree
    /// says "too many recent notifications → skip", which is what this enforces.)
    pub max_per_hour: u32,
}

impl Default for PushPolicy {
    fn default() -> Self {
        PushPolicy {
            eligible: vec![
                ActionType::Msg,
                ActionType::Conn,
                ActionType::Fshr,
                ActionType::Cmnt,
            ],
            max_per_hour: 10,
        }
    }
}

/// A recipient's notification preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushPreferences {
    /// Push notifications on at all.
    pub enabled: bool,
    /// Types the user turned off.
    pub muted: Vec<ActionType>,
}

impl PushPreferences {
    /// Whether pushes for `action_type` are allowed (enabled and not muted).
    #[must_use]
    pub fn allows(&self, action_type: &ActionType) -> bool {
        self.enabled && !self.muted.contains(action_type)
    }
}

/// The facts about one recipient of one action.
#[derive(Debug, Clone, Copy)]
pub struct PushInput<'a> {
    /// The action's type.
    pub action_type: &'a ActionType,
    /// Whether the recipient has an open Bus session (`Hub::is_online`).
    pub online: bool,
    /// The recipient's preferences.
    pub preferences: &'a PushPreferences,
    /// Pushes sent to the recipient in the last hour.
    pub recent_pushes: u32,
}

/// Why no push is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The recipient is online and sees the event on the WebSocket.
    Online,
    /// The action type is not in [`PushPolicy::eligible`].
    NotEligible,
    /// The recipient turned push notifications off.
    Disabled,
    /// The recipient muted this action type.
    Muted,
    /// [`PushPolicy::max_per_hour`] pushes were already sent in the last hour.
    Throttled,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushDecision {
    /// Schedule the push.
    Send,
    /// Do not.
    Skip(SkipReason),
}

/// Walks the seed's decision tree, in its order (online, eligibility, preferences, throttle).
#[must_use]
pub fn decide(input: &PushInput<'_>, policy: &PushPolicy) -> PushDecision {
    if input.online {
        return PushDecision::Skip(SkipReason::Online);
    }
    if !policy.eligible.contains(input.action_type) {
        return PushDecision::Skip(SkipReason::NotEligible);
    }
    if !input.preferences.enabled {
        return PushDecision::Skip(SkipReason::Disabled);
    }
    if !input.preferences.allows(input.action_type) {
        return PushDecision::Skip(SkipReason::Muted);
    }
    if input.recent_pushes >= policy.max_per_hour {
        return PushDecision::Skip(SkipReason::Throttled);
    }
    PushDecision::Send
}

/// The notification text of the seed's "Push Notification Types" table for `sender`;
/// `None` for `REACT` (grouped, not individual pushes) and types the table does not list.
#[must_use]
pub fn push_text(action_type: &ActionType, sender: &str) -> Option<String> {
    let text = match action_type {
        ActionType::Msg => "sent you a message",
        ActionType::Conn => "wants to connect",
        ActionType::Fshr => "shared a file with you",
        ActionType::Cmnt => "commented on your post",
        ActionType::Fllw => "started following you",
        _ => return None,
    };
    Some(format!("{sender} {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(t: &'a ActionType, prefs: &'a PushPreferences) -> PushInput<'a> {
        PushInput {
            action_type: t,
            online: false,
            preferences: prefs,
            recent_pushes: 0,
        }
    }

    #[test]
    fn each_branch_of_the_tree() {
        let policy = PushPolicy::default();
        let on = PushPreferences {
            enabled: true,
            muted: vec![],
        };
        let msg = ActionType::Msg;
        assert_eq!(decide(&input(&msg, &on), &policy), PushDecision::Send);
        assert_eq!(
            decide(
                &PushInput {
                    online: true,
                    ..input(&msg, &on)
                },
                &policy
            ),
            PushDecision::Skip(SkipReason::Online)
        );
        for t in [
            ActionType::Post,
            ActionType::React,
            ActionType::Fllw,
            ActionType::Other("X".into()),
        ] {
            assert_eq!(
                decide(&input(&t, &on), &policy),
                PushDecision::Skip(SkipReason::NotEligible)
            );
        }
        for t in [
            ActionType::Msg,
            ActionType::Conn,
            ActionType::Fshr,
            ActionType::Cmnt,
        ] {
            assert_eq!(decide(&input(&t, &on), &policy), PushDecision::Send, "{t}");
        }
        let off = PushPreferences {
            enabled: false,
            muted: vec![],
        };
        assert_eq!(
            decide(&input(&msg, &off), &policy),
            PushDecision::Skip(SkipReason::Disabled)
        );
        let muted = PushPreferences {
            enabled: true,
            muted: vec![ActionType::Msg],
        };
        assert_eq!(
            decide(&input(&msg, &muted), &policy),
            PushDecision::Skip(SkipReason::Muted)
        );
        assert_eq!(
            decide(&input(&ActionType::Conn, &muted), &policy),
            PushDecision::Send
        );
    }

    #[test]
    fn throttle_allows_exactly_max_per_hour() {
        let policy = PushPolicy::default();
        let on = PushPreferences {
            enabled: true,
            muted: vec![],
        };
        let t = ActionType::Cmnt;
        let sent = (0..20)
            .filter(|n| {
                decide(
                    &PushInput {
                        recent_pushes: *n,
                        ..input(&t, &on)
                    },
                    &policy,
                ) == PushDecision::Send
            })
            .count();
        assert_eq!(sent, 10);
    }

    #[test]
    fn texts_follow_the_table() {
        assert_eq!(
            push_text(&ActionType::Msg, "bob").as_deref(),
            Some("bob sent you a message")
        );
        assert_eq!(
            push_text(&ActionType::Conn, "bob").as_deref(),
            Some("bob wants to connect")
        );
        assert_eq!(
            push_text(&ActionType::Fshr, "bob").as_deref(),
            Some("bob shared a file with you")
        );
        assert_eq!(
            push_text(&ActionType::Cmnt, "bob").as_deref(),
            Some("bob commented on your post")
        );
        assert_eq!(
            push_text(&ActionType::Fllw, "bob").as_deref(),
            Some("bob started following you")
        );
        assert_eq!(push_text(&ActionType::React, "bob"), None);
    }
}
