//! Blobs stored through the C2S WebSocket (`store`), kept in memory and served at
//! `/blobs/{n}`, bounded in total size (the oldest are dropped first).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use fedi_stream::ws::Blob;

/// Where blobs are served.
pub(crate) const BLOBS: &str = "/blobs/";

#[derive(Default)]
struct Inner {
    next: u64,
    blobs: HashMap<u64, Blob>,
    order: VecDeque<u64>,
    bytes: usize,
}

/// The blob store.
pub(crate) struct Blobs {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

impl Blobs {
    /// A store holding at most `max_bytes` of blobs.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Blobs {
            inner: Mutex::new(Inner::default()),
            max_bytes,
        }
    }

    /// Stores `blob` and returns its number, or `None` when it is larger than the whole store.
    pub(crate) fn put(&self, blob: Blob) -> Option<u64> {
        if blob.bytes.len() > self.max_bytes {
            return None;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        while inner.bytes + blob.bytes.len() > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(dropped) = inner.blobs.remove(&oldest) {
                inner.bytes -= dropped.bytes.len();
            }
        }
        inner.next += 1;
        let number = inner.next;
        inner.bytes += blob.bytes.len();
        inner.order.push_back(number);
        inner.blobs.insert(number, blob);
        Some(number)
    }

    /// The blob at `path` (`/blobs/{n}`).
    pub(crate) fn get(&self, path: &str) -> Option<Blob> {
        let number: u64 = path.strip_prefix(BLOBS)?.parse().ok()?;
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.blobs.get(&number).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(n: usize) -> Blob {
        Blob {
            media_type: "application/octet-stream".into(),
            bytes: vec![7u8; n].into(),
        }
    }

    #[test]
    fn the_store_is_bounded_oldest_first() {
        let blobs = Blobs::new(10);
        let first = blobs.put(blob(6)).unwrap();
        let second = blobs.put(blob(4)).unwrap();
        let third = blobs.put(blob(5)).unwrap();
        assert!(blobs.get(&format!("{BLOBS}{first}")).is_none());
        assert_eq!(
            blobs.get(&format!("{BLOBS}{second}")).unwrap().bytes.len(),
            4
        );
        assert_eq!(
            blobs.get(&format!("{BLOBS}{third}")).unwrap().bytes.len(),
            5
        );
        assert!(blobs.put(blob(11)).is_none());
        assert!(blobs.get("/blobs/x").is_none());
    }
}
