//! The caller-supplied social graph the hub needs for presence and typing.

/// Who may see whom. The hub asks this whenever it broadcasts a presence change and when a
/// user sends a typing indicator. It is called synchronously, so a host keeps the relation it
/// needs in memory (or behind a cache).
pub trait Relations {
    /// Calls `visit` with every user allowed to see `subject`'s presence: the seed says
    /// "Presence updates only for connections/followers". Users who are not online are
    /// skipped by the hub, so listing them is harmless.
    fn presence_watchers(&self, subject: &str, visit: &mut dyn FnMut(&str));

    /// Whether `from` may show a typing indicator to `to`; when `false` the `typing` message is
    /// answered with `E-WS-PERMISSION`. Default: allowed.
    fn may_send_typing(&self, from: &str, to: &str) -> bool {
        let _ = (from, to);
        true
    }
}

/// A relation where nobody watches anybody's presence and typing is always allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoRelations;

impl Relations for NoRelations {
    fn presence_watchers(&self, _subject: &str, _visit: &mut dyn FnMut(&str)) {}
}

/// Any `Fn(subject, visit)` closure is a presence relation with typing always allowed.
impl<F> Relations for F
where
    F: Fn(&str, &mut dyn FnMut(&str)),
{
    fn presence_watchers(&self, subject: &str, visit: &mut dyn FnMut(&str)) {
        self(subject, visit);
    }
}
