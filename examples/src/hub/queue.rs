//! The outlet of one subscriber: a queue of frames bounded in frames and in bytes.
//!
//! Every subscriber (an SSE response body, a Bus session's socket writer) gets one. A sender
//! that must not wait ([`Sender::try_send`]) learns that the subscriber is too slow and drops
//! it; one that may wait ([`Sender::send`]) waits for room, which leaves what it has not sent
//! in the feed, where the session's own limits apply.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};

/// How many bytes a frame counts for.
pub(crate) trait Weight {
    /// The frame's size in bytes.
    fn weight(&self) -> usize;
}

impl Weight for bytes::Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue holds its limit of frames or bytes.
    Full,
    /// The receiver is gone.
    Closed,
}

/// The byte count both halves share.
struct Bytes {
    queued: AtomicUsize,
    max: usize,
    /// Woken when the receiver takes a frame.
    room: Notify,
}

impl Bytes {
    /// What `frame` counts for: its weight, at least 1 and at most the bound (so that a frame
    /// larger than the bound still fits an empty queue).
    fn cost(&self, frame: &impl Weight) -> usize {
        frame.weight().clamp(1, self.max)
    }

    /// Counts `cost` more bytes if they fit.
    fn reserve(&self, cost: usize) -> bool {
        let before = self.queued.fetch_add(cost, Ordering::AcqRel);
        if before + cost > self.max {
            self.queued.fetch_sub(cost, Ordering::AcqRel);
            return false;
        }
        true
    }

    fn release(&self, cost: usize) {
        self.queued.fetch_sub(cost, Ordering::AcqRel);
        self.room.notify_one();
    }
}

/// The sending half.
pub(crate) struct Sender<T> {
    frames: mpsc::Sender<T>,
    bytes: Arc<Bytes>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            frames: self.frames.clone(),
            bytes: self.bytes.clone(),
        }
    }
}

/// The receiving half.
pub(crate) struct Receiver<T> {
    frames: mpsc::Receiver<T>,
    bytes: Arc<Bytes>,
}

/// A queue of at most `frames` frames and `bytes` bytes (a frame larger than `bytes` counts as
/// `bytes`, so it still fits an empty queue).
pub(crate) fn bounded<T: Weight>(frames: usize, bytes: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = mpsc::channel(frames.max(1));
    let bytes = Arc::new(Bytes {
        queued: AtomicUsize::new(0),
        max: bytes.max(1),
        room: Notify::new(),
    });
    (
        Sender {
            frames: tx,
            bytes: bytes.clone(),
        },
        Receiver { frames: rx, bytes },
    )
}

impl<T: Weight> Sender<T> {
    /// Queues `frame` now, or says why not.
    pub(crate) fn try_send(&self, frame: T) -> Result<(), Refused> {
        if self.frames.is_closed() {
            return Err(Refused::Closed);
        }
        let cost = self.bytes.cost(&frame);
        if !self.bytes.reserve(cost) {
            return Err(Refused::Full);
        }
        self.frames.try_send(frame).map_err(|e| {
            self.bytes.release(cost);
            match e {
                mpsc::error::TrySendError::Full(_) => Refused::Full,
                mpsc::error::TrySendError::Closed(_) => Refused::Closed,
            }
        })
    }

    /// Queues `frame`, waiting for room.
    pub(crate) async fn send(&self, frame: T) -> Result<(), Refused> {
        let cost = self.bytes.cost(&frame);
        while !self.bytes.reserve(cost) {
            tokio::select! {
                () = self.bytes.room.notified() => {}
                () = self.frames.closed() => return Err(Refused::Closed),
            }
        }
        self.frames.send(frame).await.map_err(|_| {
            self.bytes.release(cost);
            Refused::Closed
        })
    }

    /// Resolves when the receiver is gone.
    pub(crate) async fn closed(&self) {
        self.frames.closed().await;
    }
}

impl<T: Weight> Receiver<T> {
    /// The next frame (its bytes are free again once it is returned), or `None` when every
    /// sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        let frame = self.frames.recv().await?;
        self.bytes.release(self.bytes.cost(&frame));
        Some(frame)
    }

    /// The next frame if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<T> {
        let frame = self.frames.try_recv().ok()?;
        self.bytes.release(self.bytes.cost(&frame));
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn bounded_in_frames_and_in_bytes() {
        let (tx, mut rx) = bounded::<Bytes>(3, 10);
        tx.try_send(Bytes::from_static(b"123456")).unwrap();
        assert_eq!(
            tx.try_send(Bytes::from_static(b"12345")),
            Err(Refused::Full)
        );
        tx.try_send(Bytes::from_static(b"1234")).unwrap();
        assert_eq!(rx.recv().await.unwrap().len(), 6);
        tx.try_send(Bytes::from_static(b"12345")).unwrap();
        assert_eq!(tx.try_send(Bytes::from_static(b"12")), Err(Refused::Full));
        assert_eq!(rx.recv().await.unwrap().len(), 4);
        assert_eq!(rx.recv().await.unwrap().len(), 5);
        for _ in 0..3 {
            tx.try_send(Bytes::from_static(b"1")).unwrap();
        }
        assert_eq!(
            tx.try_send(Bytes::from_static(b"1")),
            Err(Refused::Full),
            "three frames at most"
        );
        // A frame larger than the byte bound still fits an empty queue.
        let (big_tx, mut big_rx) = bounded::<Bytes>(3, 4);
        big_tx.send(Bytes::from(vec![0u8; 100])).await.unwrap();
        assert_eq!(big_rx.recv().await.unwrap().len(), 100);
        drop(rx);
        assert_eq!(tx.try_send(Bytes::new()), Err(Refused::Closed));
    }
}
