//! Actor-model dispatch: an activity becomes a method call on a handler.
//!
//! As in Spritely's Mandy (ActivityPub on Goblins), the lower-cased activity type is the method
//! name and the activity's `actor`, `object`, `target`, `origin`, `result` and `instrument` are
//! its arguments. [`Handler`] has one method per AS2 activity type, each a no-op by default, so a
//! host implements only the verbs it handles.

use crate::kind::{Family, Kind};
use crate::object::Object;
use crate::prop::{Prop, Ref};

/// An activity seen as a message: its method name and arguments.
#[derive(Clone, Copy, Debug)]
pub struct Call<'x, 'a> {
    /// The whole activity (`#:self` in Mandy).
    pub activity: &'x Object<'a>,
    /// The type name the call was dispatched on, as written.
    pub type_name: &'x str,
    /// The recognised kind of that type, if any.
    pub kind: Option<Kind>,
    /// `actor` values (empty when absent or `null`).
    pub actor: &'x [Ref<'a>],
    /// `object` values.
    pub object: &'x [Ref<'a>],
    /// `target` values.
    pub target: &'x [Ref<'a>],
    /// `origin` values.
    pub origin: &'x [Ref<'a>],
    /// `result` values.
    pub result: &'x [Ref<'a>],
    /// `instrument` values.
    pub instrument: &'x [Ref<'a>],
}

impl<'x, 'a> Call<'x, 'a> {
    /// Builds the call for `activity`, dispatched on `type_name`.
    #[must_use]
    pub fn new(activity: &'x Object<'a>, type_name: &'x str) -> Self {
        let values = |p: Option<&'x Prop<Ref<'a>>>| p.map(Prop::as_slice).unwrap_or_default();
        Call {
            activity,
            type_name,
            kind: Kind::from_type(type_name),
            actor: values(activity.actor()),
            object: values(activity.object()),
            target: values(activity.target()),
            origin: values(activity.origin()),
            result: values(activity.result()),
            instrument: values(activity.instrument()),
        }
    }

    /// The method name: the lower-cased type (`tentativeaccept`, `move`, `emojireact`...).
    #[must_use]
    pub fn method(&self) -> String {
        match self.kind {
            Some(kind) => kind.method_name(),
            None => self.type_name.to_lowercase(),
        }
    }

    /// The id of the first `actor`.
    #[must_use]
    pub fn actor_id(&self) -> Option<&'x str> {
        self.actor.first().and_then(Ref::id)
    }

    /// The id of the first `object`.
    #[must_use]
    pub fn object_id(&self) -> Option<&'x str> {
        self.object.first().and_then(Ref::id)
    }

    /// The id of the first `target`.
    #[must_use]
    pub fn target_id(&self) -> Option<&'x str> {
        self.target.first().and_then(Ref::id)
    }

    /// The id of the first `origin`.
    #[must_use]
    pub fn origin_id(&self) -> Option<&'x str> {
        self.origin.first().and_then(Ref::id)
    }
}

/// Why an object could not be dispatched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The object has no `type` string.
    #[error("the object has no type, so it names no method")]
    MissingType,
    /// The object's types are recognised, and none is an activity.
    #[error("{type_name} is not an activity type")]
    NotAnActivity {
        /// The first type.
        type_name: String,
    },
}

macro_rules! handler {
    ($( $kind:ident => $method:ident; )*) => {
        /// Receives activities as method calls. Every method does nothing by default and
        /// returns `Output::default()`; implement the verbs you handle.
        ///
        /// ```
        /// use activitystreams_core::{Call, Handler, Object, dispatch};
        ///
        /// #[derive(Default)]
        /// struct Followers(Vec<String>);
        ///
        /// impl Handler for Followers {
        ///     type Output = bool;
        ///     fn follow(&mut self, call: &Call<'_, '_>) -> bool {
        ///         call.actor_id().map(|a| self.0.push(a.to_owned())).is_some()
        ///     }
        /// }
        ///
        /// let follow = Object::from_str(r#"{"type":"Follow","actor":"https://a/u","object":"https://b/v"}"#)?;
        /// let mut followers = Followers::default();
        /// assert!(dispatch(&follow, &mut followers)?);
        /// let like = Object::from_str(r#"{"type":"Like","actor":"https://a/u","object":"https://b/n"}"#)?;
        /// assert!(!dispatch(&like, &mut followers)?, "not handled: the default no-op");
        /// assert_eq!(followers.0, ["https://a/u"]);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub trait Handler {
            /// What every method returns (`()` for a handler with side effects only).
            type Output: Default;

            $(
                #[doc = concat!("`", stringify!($kind), "`.")]
                fn $method(&mut self, call: &Call<'_, '_>) -> Self::Output {
                    let _ = call;
                    Self::Output::default()
                }
            )*

            /// An activity of a type that is not an AS2 activity type (an extension such as
            /// `EmojiReact`, or an unknown type name).
            fn other(&mut self, call: &Call<'_, '_>) -> Self::Output {
                let _ = call;
                Self::Output::default()
            }
        }

        fn call_method<H: Handler + ?Sized>(handler: &mut H, kind: Kind, call: &Call<'_, '_>) -> H::Output {
            match kind {
                $( Kind::$kind => handler.$method(call), )*
                _ => handler.other(call),
            }
        }
    };
}

handler! {
    Activity => activity;
    IntransitiveActivity => intransitiveactivity;
    Accept => accept;
    Add => add;
    Announce => announce;
    Arrive => arrive;
    Block => block;
    Create => create;
    Delete => delete;
    Dislike => dislike;
    Flag => flag;
    Follow => follow;
    Ignore => ignore;
    Invite => invite;
    Join => join;
    Leave => leave;
    Like => like;
    Listen => listen;
    Move => r#move;
    Offer => offer;
    Question => question;
    Reject => reject;
    Read => read;
    Remove => remove;
    TentativeReject => tentativereject;
    TentativeAccept => tentativeaccept;
    Travel => travel;
    Undo => undo;
    Update => update;
    View => view;
}

/// Calls the handler method named by the activity's type.
///
/// With several types, the first recognised AS2 activity type wins (`["Like",
/// "schema:LikeAction"]` calls `like`). Extension activity types and unrecognised type names go
/// to [`Handler::other`].
///
/// # Errors
/// [`DispatchError::MissingType`] without a type string; [`DispatchError::NotAnActivity`] when
/// every type is recognised and none is an activity (a `Note`, a `Person`...).
pub fn dispatch<H: Handler + ?Sized>(
    activity: &Object<'_>,
    handler: &mut H,
) -> Result<H::Output, DispatchError> {
    let first = activity.type_name().ok_or(DispatchError::MissingType)?;
    let as2_activity = activity
        .types()
        .find(|t| Kind::from_type(t).is_some_and(|k| k.is_activity() && !k.is_extension()));
    if let Some(type_name) = as2_activity {
        let call = Call::new(activity, type_name);
        let kind = call.kind.unwrap_or(Kind::Activity);
        return Ok(call_method(handler, kind, &call));
    }
    let all_known_non_activities = activity.types().all(|t| {
        Kind::from_type(t)
            .is_some_and(|k| !matches!(k.family(), Family::Activity | Family::IntransitiveActivity))
    });
    if all_known_non_activities {
        return Err(DispatchError::NotAnActivity {
            type_name: first.to_owned(),
        });
    }
    let type_name = activity
        .types()
        .find(|t| Kind::from_type(t).is_none_or(Kind::is_activity))
        .unwrap_or(first);
    Ok(handler.other(&Call::new(activity, type_name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the method name and arguments of every call.
    #[derive(Default)]
    struct Recorder(Vec<String>);

    impl Recorder {
        fn record(&mut self, call: &Call<'_, '_>) {
            self.0.push(format!(
                "{}({:?},{:?},{:?},{:?})",
                call.method(),
                call.actor_id(),
                call.object_id(),
                call.target_id(),
                call.origin_id()
            ));
        }
    }

    impl Handler for Recorder {
        type Output = ();
        fn create(&mut self, call: &Call<'_, '_>) {
            self.record(call);
        }
        fn r#move(&mut self, call: &Call<'_, '_>) {
            self.record(call);
        }
        fn like(&mut self, call: &Call<'_, '_>) {
            self.record(call);
        }
        fn other(&mut self, call: &Call<'_, '_>) {
            self.record(call);
        }
    }

    fn run(json: &str) -> Result<Vec<String>, DispatchError> {
        let activity = Object::from_str(json).unwrap();
        let mut recorder = Recorder::default();
        dispatch(&activity, &mut recorder)?;
        Ok(recorder.0)
    }

    #[test]
    fn method_is_the_lower_cased_type_with_its_arguments() {
        assert_eq!(
            run(r#"{"type":"Move","actor":"https://a/u","object":"https://a/n","origin":"https://a/c1","target":{"id":"https://a/c2","type":"Collection"}}"#),
            Ok(vec![r#"move(Some("https://a/u"),Some("https://a/n"),Some("https://a/c2"),Some("https://a/c1"))"#.to_owned()])
        );
        assert_eq!(
            run(
                r#"{"type":"as:Create","actor":{"id":"https://a/u"},"object":{"id":"https://a/n","type":"Note"}}"#
            ),
            Ok(vec![
                r#"create(Some("https://a/u"),Some("https://a/n"),None,None)"#.to_owned()
            ])
        );
    }

    #[test]
    fn unhandled_verbs_are_no_ops() {
        assert_eq!(
            run(r#"{"type":"Follow","actor":"https://a/u","object":"https://b/u"}"#),
            Ok(vec![])
        );
    }

    #[test]
    fn type_arrays_pick_the_as2_activity() {
        assert_eq!(
            run(
                r#"{"type":["http://schema.org/LikeAction","Like"],"actor":"https://a/u","object":"https://b/n"}"#
            ),
            Ok(vec![
                r#"like(Some("https://a/u"),Some("https://b/n"),None,None)"#.to_owned()
            ])
        );
    }

    #[test]
    fn extension_and_unknown_types_go_to_other() {
        assert_eq!(
            run(
                r#"{"type":"EmojiReact","actor":"https://a/u","object":"https://b/n","content":"🔥"}"#
            ),
            Ok(vec![
                r#"emojireact(Some("https://a/u"),Some("https://b/n"),None,None)"#.to_owned()
            ])
        );
        assert_eq!(
            run(r#"{"type":"litepub:ChatMessageReceipt"}"#),
            Ok(vec![
                "litepub:chatmessagereceipt(None,None,None,None)".to_owned()
            ])
        );
    }

    #[test]
    fn non_activities_and_untyped_objects_are_refused() {
        assert_eq!(
            run(r#"{"type":"Note"}"#),
            Err(DispatchError::NotAnActivity {
                type_name: "Note".into()
            })
        );
        assert_eq!(
            run(r#"{"type":["Note","Article"]}"#).unwrap_err(),
            DispatchError::NotAnActivity {
                type_name: "Note".into()
            }
        );
        assert_eq!(
            run(r#"{"id":"https://a/1"}"#),
            Err(DispatchError::MissingType)
        );
    }
}
