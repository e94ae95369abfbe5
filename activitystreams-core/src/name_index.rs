//! A compile-time hash index from names to table positions.
//!
//! Matching a JSON key against ~140 vocabulary names happens for every key of every object, so a
//! `match` on strings (which compares the arms one after another) is too slow. The index is an
//! open-addressing table built by a `const fn`, probed with a cheap hash of the key's length and
//! ends.

/// Number of slots; a power of two comfortably larger than any table it indexes.
const SLOTS: usize = 512;

/// Positions (plus one; zero marks an empty slot) of the names of a table, by hash.
pub(crate) struct NameIndex {
    slots: [u8; SLOTS],
}

/// A cheap hash of a key: its length and its first and last four bytes (for keys shorter than
/// four bytes, the bytes themselves). Names that agree on all of these only cost an extra probe.
/// `const` so the table is built at compile time; [`hash`] is the same function for run time.
const fn const_hash(bytes: &[u8]) -> usize {
    let len = bytes.len();
    let (head, tail) = if len >= 4 {
        (
            u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            u32::from_le_bytes([
                bytes[len - 4],
                bytes[len - 3],
                bytes[len - 2],
                bytes[len - 1],
            ]),
        )
    } else {
        let mut short = 0u32;
        let mut i = 0;
        while i < len {
            short |= (bytes[i] as u32) << (8 * i);
            i += 1;
        }
        (short, 0)
    };
    mix(head, tail, len)
}

/// [`const_hash`] with word loads.
fn hash(bytes: &[u8]) -> usize {
    match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(head), Some(tail)) => mix(
            u32::from_le_bytes(*head),
            u32::from_le_bytes(*tail),
            bytes.len(),
        ),
        _ => const_hash(bytes),
    }
}

const fn mix(head: u32, tail: u32, len: usize) -> usize {
    let mixed = (head ^ tail.rotate_left(13) ^ (len as u32).wrapping_mul(0x2545_f491))
        .wrapping_mul(0x9e37_79b1);
    (mixed >> 16) as usize
}

impl NameIndex {
    /// Builds the index. Fails to compile (const panic) if `names` has more than 255 entries or
    /// a duplicate.
    pub(crate) const fn new(names: &[&str]) -> Self {
        assert!(names.len() < 256 && names.len() < SLOTS / 2);
        let mut slots = [0u8; SLOTS];
        let mut i = 0;
        while i < names.len() {
            let mut slot = const_hash(names[i].as_bytes()) % SLOTS;
            while slots[slot] != 0 {
                assert!(!const_eq(names[(slots[slot] - 1) as usize], names[i]));
                slot = (slot + 1) % SLOTS;
            }
            slots[slot] = (i + 1) as u8;
            i += 1;
        }
        NameIndex { slots }
    }

    /// The position of `name` in `names` (the same table the index was built from).
    pub(crate) fn find(&self, names: &[&str], name: &str) -> Option<usize> {
        let mut slot = hash(name.as_bytes()) % SLOTS;
        loop {
            let entry = usize::from(*self.slots.get(slot)?);
            if entry == 0 {
                return None;
            }
            if names.get(entry - 1).is_some_and(|n| *n == name) {
                return Some(entry - 1);
            }
            slot = (slot + 1) % SLOTS;
        }
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["id", "type", "actor", "object", "@context", ""];
    static INDEX: NameIndex = NameIndex::new(NAMES);

    #[test]
    fn run_time_hash_equals_compile_time_hash() {
        for key in [
            "",
            "a",
            "id",
            "abc",
            "type",
            "actor",
            "@context",
            "attributedTo",
            "é",
            "日本語",
        ] {
            assert_eq!(hash(key.as_bytes()), const_hash(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn finds_every_name_and_nothing_else() {
        for (i, name) in NAMES.iter().enumerate() {
            assert_eq!(INDEX.find(NAMES, name), Some(i));
        }
        assert_eq!(INDEX.find(NAMES, "Id"), None);
        assert_eq!(INDEX.find(NAMES, "objects"), None);
    }
}
