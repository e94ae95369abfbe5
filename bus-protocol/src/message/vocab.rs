//! The string vocabularies of the Bus: event types, presence statuses, action types, action
//! sources, error codes and push platforms.
//!
//! Closed vocabularies (an unknown value is a decode error) and open ones (an unknown value is
//! kept verbatim in an `Other` variant and written back unchanged) share one macro so that every
//! type has the same `as_str`/`Display`/serde behaviour.

/// Declares a string enum with `as_str`, `Display`, `Serialize` and `Deserialize`.
///
/// `closed` enums refuse unknown strings; `open` enums keep them in `Other(String)`.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        closed $name:ident expecting $expecting:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order the seed lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            #[must_use]
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire spelling; `None` for anything else (matching is exact).
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        string_enum!(@text_impls $name, $expecting, |text| $name::parse(text));
    };
    (
        $(#[$meta:meta])*
        open $name:ident expecting $expecting:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire spelling (for `Other`, the kept text).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self { $($name::$variant => $text,)+ $name::Other(text) => text }
            }

            /// Parses the wire spelling; unknown text becomes `Other` (matching is exact, so
            /// `"post"` is `Other("post")`, not `POST`).
            #[must_use]
            pub fn parse(text: &str) -> Self {
                match text { $($text => $name::$variant,)+ other => $name::Other(other.to_owned()) }
            }
        }

        string_enum!(@text_impls $name, $expecting, |text| Some($name::parse(text)));
    };
    // `Display`, `Serialize` and `Deserialize` through `as_str` and a parse expression that
    // gives `None` for a refused string.
    (@text_impls $name:ident, $expecting:literal, |$text:ident| $parse:expr) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl ::serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, $text: &str) -> Result<$name, E> {
                        let parsed: Option<$name> = $parse;
                        parsed.ok_or_else(|| E::invalid_value(::serde::de::Unexpected::Str($text), &self))
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}

pub(crate) use string_enum;

string_enum! {
    /// An event type a client subscribes to (`subscribe`/`unsubscribe`), and the event type of
    /// each deliverable server message.
    closed EventType expecting "one of action, presence, typing, notification, message" {
        /// New actions (posts, comments, reactions): `action` messages.
        Action = "action",
        /// Online/offline status: `presence` messages.
        Presence = "presence",
        /// Typing indicators: `typing` messages.
        Typing = "typing",
        /// General notifications: `notification` messages.
        Notification = "notification",
        /// Direct messages: `message` messages.
        Message = "message",
    }
}

string_enum! {
    /// A presence status.
    closed PresenceStatus expecting "one of online, away, busy, offline" {
        /// Active and available.
        Online = "online",
        /// Inactive but connected (also set by the server after the idle period).
        Away = "away",
        /// Do not disturb.
        Busy = "busy",
        /// Explicitly offline (and what watchers see when the last connection closes).
        Offline = "offline",
    }
}

string_enum! {
    /// Where an action came from (`source` of an `action` message).
    closed ActionSource expecting "local or federated" {
        /// Created on this server by one of its users.
        Local = "local",
        /// Received from a remote instance.
        Federated = "federated",
    }
}

string_enum! {
    /// The platform of a push-notification token (`register_push`).
    closed PushPlatform expecting "one of android, ios, web" {
        /// Firebase Cloud Messaging on Android.
        Android = "android",
        /// Apple Push Notification service.
        Ios = "ios",
        /// Web Push.
        Web = "web",
    }
}

string_enum! {
    /// A Cloudillo action type (`action_type`). Unknown types are kept.
    open ActionType expecting "an action type string" {
        /// A post.
        Post = "POST",
        /// A repost.
        Repost = "REPOST",
        /// A comment.
        Cmnt = "CMNT",
        /// A reaction.
        React = "REACT",
        /// A direct message.
        Msg = "MSG",
        /// A connection request.
        Conn = "CONN",
        /// A follow.
        Fllw = "FLLW",
        /// A file share.
        Fshr = "FSHR",
    }
}

string_enum! {
    /// The status of an action (`status` of an `action` message, Cloudillo's one-letter codes).
    /// Unknown statuses are kept. Cloudillo's apps show a post only when its status is absent
    /// or `A`, and ring the notification bell for `N` and `C`.
    open ActionStatus expecting "an action status string" {
        /// Active: stored and visible.
        Active = "A",
        /// Waiting for the recipient's confirmation (a connection request, an invitation).
        Confirmation = "C",
        /// A new notification for the recipient.
        Notification = "N",
        /// Deleted.
        Deleted = "D",
        /// A draft.
        Draft = "R",
        /// Scheduled for later publication.
        Scheduled = "S",
    }
}

string_enum! {
    /// The `code` of an `error` message. Unknown codes are kept.
    open ErrorCode expecting "an error code string" {
        /// Authentication failed (bad or expired token).
        Auth = "E-WS-AUTH",
        /// Invalid message format.
        Invalid = "E-WS-INVALID",
        /// Rate limit exceeded.
        Rate = "E-WS-RATE",
        /// Permission denied.
        Permission = "E-WS-PERMISSION",
    }
}

/// A set of [`EventType`]s in one byte (the subscription state of a session).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct EventSet(u8);

impl EventSet {
    /// The empty set.
    pub const EMPTY: EventSet = EventSet(0);

    fn bit(event: EventType) -> u8 {
        match event {
            EventType::Action => 1,
            EventType::Presence => 2,
            EventType::Typing => 4,
            EventType::Notification => 8,
            EventType::Message => 16,
        }
    }

    /// Whether `event` is in the set.
    #[must_use]
    pub fn contains(self, event: EventType) -> bool {
        self.0 & Self::bit(event) != 0
    }

    /// Adds `event`.
    pub fn insert(&mut self, event: EventType) {
        self.0 |= Self::bit(event);
    }

    /// Removes `event`.
    pub fn remove(&mut self, event: EventType) {
        self.0 &= !Self::bit(event);
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in [`EventType::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = EventType> {
        EventType::ALL
            .iter()
            .copied()
            .filter(move |e| self.contains(*e))
    }
}

impl FromIterator<EventType> for EventSet {
    fn from_iter<I: IntoIterator<Item = EventType>>(iter: I) -> Self {
        let mut set = EventSet::EMPTY;
        for event in iter {
            set.insert(event);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_vocabulary_refuses_unknown_values() {
        let err = serde_json::from_str::<EventType>("\"likes\"").unwrap_err();
        assert!(err.to_string().contains("likes"), "{err}");
        assert_eq!(
            serde_json::from_str::<PresenceStatus>("\"busy\"").unwrap(),
            PresenceStatus::Busy
        );
    }

    #[test]
    fn open_vocabulary_keeps_unknown_values_verbatim() {
        let t: ActionType = serde_json::from_str("\"STAT\"").unwrap();
        assert_eq!(t, ActionType::Other("STAT".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"STAT\"");
        assert_eq!(ActionType::parse("post"), ActionType::Other("post".into()));
        assert_eq!(ErrorCode::parse("E-WS-RATE"), ErrorCode::Rate);
    }

    #[test]
    fn event_set_tracks_membership() {
        let mut set: EventSet = [EventType::Action, EventType::Typing].into_iter().collect();
        assert!(set.contains(EventType::Action));
        assert!(!set.contains(EventType::Presence));
        set.remove(EventType::Action);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![EventType::Typing]);
        set.remove(EventType::Typing);
        assert!(set.is_empty());
    }
}
