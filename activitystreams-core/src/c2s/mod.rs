//! ActivityPub client-to-server and delivery rules (W3C ActivityPub §5.6, §6, §7.1, B.11) as
//! pure functions: no storage, no network, no clock. Ids are minted by a caller-supplied
//! function, times are passed in, collection membership and ownership come from caller-supplied
//! resolvers.
//!
//! ```text
//!  client POST body ──> accept_outbox_post ──> OutboxPost { activity (stored, with bto/bcc),
//!                        │ wrap_in_create         location (new id),
//!                        │ ids, actor, §6.2       delivery (bto/bcc stripped),
//!                        │ check_required         blind (bto/bcc ids) }
//!                        v                               │
//!  outbox_side_effects(activity) -> [Effect]             v
//!                          delivery_recipients(delivery, blind, resolve, limits)
//!                                   -> Recipients { actors, unexpanded }
//!                                          │ host maps actors to inboxes
//!                                          v
//!                          group_by_shared_inbox -> [inbox IRI]  ──> host POSTs
//! ```

mod delivery;
mod outbox;
mod side_effects;
mod update;

pub use delivery::{
    BlindRecipients, DeliveryError, DeliveryLimits, Expansion, InboxTarget, Ownership, Recipients,
    delivery_recipients, forwarding_targets, group_by_shared_inbox, strip_blind,
};
pub use outbox::{
    IdFor, OBJECT_REQUIRED, OutboxError, OutboxPost, TARGET_REQUIRED, accept_outbox_post,
    check_required_properties, copy_addressing, wrap_in_create,
};
pub use side_effects::{Effect, UndoError, check_undo, outbox_side_effects};
pub use update::{
    UpdateError, apply_partial_update, check_update_origin, same_origin, to_tombstone,
};
