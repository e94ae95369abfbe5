//! [`WriteStall`]: the bound on how long a connection may take none of what the hub writes.
//!
//! Every connection's socket is wrapped in it at accept, under hyper, so one mechanism covers
//! plain responses, server-sent event streams and every WebSocket (an upgrade keeps the
//! connection's I/O). A client that stops reading makes a write pend for good; without a bound
//! the task writing to it, the connection slot it holds and the kernel's buffers would stay
//! taken for as long as the client keeps its socket open.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// An I/O object whose writes fail with [`io::ErrorKind::TimedOut`] once the peer has taken no
/// byte for `limit`: the clock starts when a write (or flush, or shutdown) first pends and is
/// reset by any progress. Reads are untouched (their deadlines are the protocols').
#[derive(Debug)]
pub(crate) struct WriteStall<T> {
    inner: T,
    limit: Duration,
    /// Armed while a write pends.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteStall<T> {
    pub(crate) fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Passes a ready result on (and disarms the clock); for a pending one, arms the clock if
    /// needed and fails once it has run out.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if result.is_ready() {
            self.stalled = None;
            return result;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the peer took no byte for {limit:?} (Limits::write_stall_timeout)"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStall<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStall<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_never_takes_fails_after_the_limit() {
        // A pipe of 16 bytes that nobody reads.
        let (near, _far) = tokio::io::duplex(16);
        let mut guarded = WriteStall::new(near, Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        let error = guarded.write_all(&[0; 64]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_taking_bytes_is_not_cut_off() {
        let (near, mut far) = tokio::io::duplex(16);
        let mut guarded = WriteStall::new(near, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut buf = [0; 16];
            let mut total = 0;
            // 4 s between reads: each within the limit, 64 s in all.
            while total < 256 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                total += tokio::io::AsyncReadExt::read(&mut far, &mut buf)
                    .await
                    .unwrap();
            }
            total
        });
        guarded
            .write_all(&[0; 256])
            .await
            .expect("progress resets the clock");
        assert_eq!(reader.await.unwrap(), 256);
    }
}
