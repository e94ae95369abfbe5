//! Documented limits.

/// Maximum nesting of JSON containers (objects and arrays) that any function of this crate
/// walks: parsing, writing, normalising, validating, converting.
///
/// It equals serde_json's own recursion limit, so every document serde_json can parse is
/// within it; values built in code that nest deeper are refused with a typed error
/// ([`ParseError::TooDeep`](crate::ParseError::TooDeep),
/// [`WriteError::TooDeep`](crate::WriteError::TooDeep),
/// [`ViolationKind::TooDeep`](crate::ViolationKind::TooDeep)) instead of overflowing the stack.
pub const MAX_DEPTH: usize = 128;
