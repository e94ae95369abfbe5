//! The follow relationship: `Follow`, `FollowAccept`, `FollowReject`, `Unfollow` (all
//! transient). Each names its author and one other user.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::entity::{EntityCommon, EntityError, EntityKind, Fields};

/// Defines one relationship entity: common fields, `author`, one more user field, `other`.
macro_rules! relationship {
    ($(#[$doc:meta])* $name:ident, $type:literal, $(#[$field_doc:meta])* $field:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name {
            /// Common fields.
            #[serde(flatten)]
            pub common: EntityCommon,
            /// Reference (0.6) or URI (0.5) of the author.
            pub author: String,
            $(#[$field_doc])*
            pub $field: String,
            /// Members not typed here.
            #[serde(flatten)]
            pub other: Map<String, Value>,
        }

        impl EntityKind for $name {
            const TYPE: &'static str = $type;

            fn read(fields: &mut Fields) -> Result<Self, EntityError> {
                Ok(Self {
                    common: fields.common()?,
                    author: fields.required("author")?,
                    $field: fields.required(stringify!($field))?,
                    other: fields.rest(),
                })
            }
        }
    };
}

relationship!(
    /// `Follow`: the author asks to follow `followee`.
    Follow,
    "Follow",
    /// The user to follow.
    followee
);
relationship!(
    /// `FollowAccept`: the author (followee) accepts `follower`.
    FollowAccept,
    "FollowAccept",
    /// The user whose request is accepted.
    follower
);
relationship!(
    /// `FollowReject`: the author (followee) rejects or removes `follower`.
    FollowReject,
    "FollowReject",
    /// The user rejected or removed.
    follower
);
relationship!(
    /// `Unfollow`: the author stops following `followee`.
    Unfollow,
    "Unfollow",
    /// The user unfollowed.
    followee
);
