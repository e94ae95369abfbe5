//! The special Public collection (ActivityPub §5.6).

/// The Public collection's full IRI.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether `iri` names the Public collection, in any of the three spellings ActivityPub §5.6
/// says consumers must accept: the full IRI, `as:Public`, and `Public`.
#[must_use]
pub fn is_public(iri: &str) -> bool {
    matches!(iri, PUBLIC | "as:Public" | "Public")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ActivityPub §5.6: "Implementations which treat ActivityStreams objects as simply JSON
    /// ... should be prepared to accept all three representations."
    #[test]
    fn accepts_all_three_representations_of_public() {
        assert!(is_public("https://www.w3.org/ns/activitystreams#Public"));
        assert!(is_public("as:Public"));
        assert!(is_public("Public"));
        assert!(!is_public("https://www.w3.org/ns/activitystreams#public"));
        assert!(!is_public("https://example.com/Public"));
    }
}
