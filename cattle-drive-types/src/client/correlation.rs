//! Correlation ids: UUID strings, supplied by the caller or drawn from a seeded generator.

use std::fmt;

use crate::random::SplitMix64;

/// A correlation id: a UUID in its hyphenated text form (`8-4-4-4-12` hex digits), as
/// almabtrieb sends them (`str(uuid4())`). It travels as the AMQP `correlation_id` property or
/// as MQTT 5 Correlation Data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CorrelationId(String);

/// A caller-supplied correlation id that is not a hyphenated UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("correlation id `{0}` is not a hyphenated UUID (8-4-4-4-12 hex digits)")]
pub struct InvalidCorrelationId(String);

impl CorrelationId {
    /// Checks that `id` is a hyphenated UUID (any version, either case). The text is kept as
    /// given, since the server copies it byte for byte.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidCorrelationId> {
        let id = id.into();
        let groups: Vec<&str> = id.split('-').collect();
        let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
        if lengths_ok
            && groups
                .iter()
                .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            Ok(CorrelationId(id))
        } else {
            Err(InvalidCorrelationId(crate::truncated(&id)))
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deterministic source of version-4 UUIDs, drawn from the crate's SplitMix64 over the
/// client's seed.
#[derive(Debug, Clone)]
pub(crate) struct CorrelationIds {
    random: SplitMix64,
}

impl CorrelationIds {
    /// A generator starting from `seed`.
    pub(crate) fn from_seed(seed: u64) -> Self {
        CorrelationIds {
            random: SplitMix64::new(seed),
        }
    }

    /// The next id: random bits from the generator with the version (4) and variant (RFC 9562)
    /// bits set, written in lowercase.
    pub(crate) fn next_id(&mut self) -> CorrelationId {
        let high = (self.random.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let low = (self.random.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        CorrelationId(format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0xFFFF,
            low >> 48,
            low & 0xFFFF_FFFF_FFFF
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_v4_uuids_and_deterministic() {
        let mut a = CorrelationIds::from_seed(7);
        let mut b = CorrelationIds::from_seed(7);
        for _ in 0..100 {
            let id = a.next_id();
            assert_eq!(id, b.next_id());
            assert!(CorrelationId::new(id.as_str()).is_ok(), "{id}");
            let text = id.as_str();
            assert_eq!(text.as_bytes().get(14), Some(&b'4'), "{id}");
            assert!(
                matches!(text.as_bytes().get(19), Some(b'8' | b'9' | b'a' | b'b')),
                "{id}"
            );
        }
        assert_ne!(
            CorrelationIds::from_seed(1).next_id(),
            CorrelationIds::from_seed(2).next_id()
        );
    }

    #[test]
    fn caller_ids_must_be_uuids() {
        assert!(CorrelationId::new("5d2c9f8e-0000-4000-8000-000000000000").is_ok());
        assert!(CorrelationId::new("5D2C9F8E-0000-4000-8000-00000000000A").is_ok());
        for bad in [
            "",
            "rpc-1",
            "5d2c9f8e00004000800000000000000",
            "5d2c9f8e-0000-4000-8000-00000000000g",
            "5d2c9f8e-0000-4000-8000-0000000000000",
        ] {
            assert!(CorrelationId::new(bad).is_err(), "{bad}");
        }
    }
}
