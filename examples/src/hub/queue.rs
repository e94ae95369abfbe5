//! The outlet of one subscriber: a queue of frames bounded in frames and in bytes.
//!
//! Every subscriber (an SSE response body, a Bus session's socket writer) gets one. A sender
//! that must not wait ([`Sender::try_send`]) learns that the subscriber is too slow and drops
//! it; one that may wait ([`Sender::send`]) waits for room, which leaves what it has not sent
//! in the feed, where the session's own limits apply.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

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

/// The sending half.
pub(crate) struct Sender<T> {
    frames: mpsc::Sender<(T, OwnedSemaphorePermit)>,
    bytes: Arc<Semaphore>,
    max_bytes: usize,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            frames: self.frames.clone(),
            bytes: self.bytes.clone(),
            max_bytes: self.max_bytes,
        }
    }
}

/// The receiving half.
pub(crate) struct Receiver<T> {
    frames: mpsc::Receiver<(T, OwnedSemaphorePermit)>,
}

/// A queue of at most `frames` frames and `bytes` bytes (a frame larger than `bytes` counts as
/// `bytes`, so it still fits an empty queue).
pub(crate) fn bounded<T: Weight>(frames: usize, bytes: usize) -> (Sender<T>, Receiver<T>) {
    let max_bytes = bytes.clamp(1, Semaphore::MAX_PERMITS);
    let (tx, rx) = mpsc::channel(frames.max(1));
    (
        Sender {
            frames: tx,
            bytes: Arc::new(Semaphore::new(max_bytes)),
            max_bytes,
        },
        Receiver { frames: rx },
    )
}

impl<T: Weight> Sender<T> {
    fn cost(&self, frame: &T) -> u32 {
        u32::try_from(frame.weight().clamp(1, self.max_bytes)).unwrap_or(u32::MAX)
    }

    /// Queues `frame` now, or says why not.
    pub(crate) fn try_send(&self, frame: T) -> Result<(), Refused> {
        if self.frames.is_closed() {
            return Err(Refused::Closed);
        }
        let permit = self
            .bytes
            .clone()
            .try_acquire_many_owned(self.cost(&frame))
            .map_err(|_| Refused::Full)?;
        self.frames.try_send((frame, permit)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Refused::Full,
            mpsc::error::TrySendError::Closed(_) => Refused::Closed,
        })
    }

    /// Queues `frame`, waiting for room.
    pub(crate) async fn send(&self, frame: T) -> Result<(), Refused> {
        let cost = self.cost(&frame);
        let permit = tokio::select! {
            permit = self.bytes.clone().acquire_many_owned(cost) => permit.map_err(|_| Refused::Closed)?,
            () = self.frames.closed() => return Err(Refused::Closed),
        };
        self.frames
            .send((frame, permit))
            .await
            .map_err(|_| Refused::Closed)
    }

    /// Resolves when the receiver is gone.
    pub(crate) async fn closed(&self) {
        self.frames.closed().await;
    }
}

impl<T> Receiver<T> {
    /// The next frame (its bytes are free again once it is returned), or `None` when every
    /// sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        self.frames.recv().await.map(|(frame, _permit)| frame)
    }

    /// The next frame if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<T> {
        self.frames.try_recv().ok().map(|(frame, _permit)| frame)
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
