//! The two deadlines of a kept-alive HTTP/1.1 connection that hyper keeps as one: how
//! long it may sit idle between requests, and how long a request's header may take once
//! its first byte has come. hyper's `header_read_timeout` runs from the moment a request
//! is awaited, so a short one (against clients that trickle a header) also closes idle
//! connections that a proxy in front still counts as open: a load balancer that keeps
//! its upstream connections for 60 s then sends a webhook into a closed one and answers
//! 502. Here the idle deadline is long and the header deadline short, as in nginx or Go.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Requests of one connection that its service has begun and ended; shared by the
/// connection's reader (which applies no deadline of its own while one is being served:
/// the body has deadlines of its own) and its service.
#[derive(Default)]
pub(crate) struct Requests {
    begun: AtomicU64,
    ended: AtomicU64,
    /// The reader waiting, with no deadline, while a request is served: woken when it
    /// ends, so that the idle deadline runs from the answer.
    reader: Mutex<Option<Waker>>,
}

impl Requests {
    /// Notes that the service took a request; the guard notes its end when dropped (an
    /// answer given, or the connection gone).
    pub(crate) fn begin(self: &Arc<Self>) -> Serving {
        self.begun.fetch_add(1, Ordering::SeqCst);
        Serving(self.clone())
    }
}

/// A request being served (see [`Requests::begin`]).
pub(crate) struct Serving(Arc<Requests>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.ended.fetch_add(1, Ordering::SeqCst);
        if let Some(reader) = self.0.reader.lock().unwrap_or_else(|p| p.into_inner()).take() {
            reader.wake();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The service holds a request.
    Serving,
    /// Waiting for the next request, since the last bytes went either way.
    Idle,
    /// A request's first bytes came; its header is awaited.
    Header,
}

/// A connection whose reads fail with `TimedOut` when it stays idle past `idle` after an
/// answer, or when a request's header is still incomplete `header` after its first byte
/// (after the connection opened, for the first request: a client connects to ask).
pub(crate) struct HeaderDeadline<S> {
    inner: S,
    requests: Arc<Requests>,
    /// The requests begun when the phase was last set.
    seen: u64,
    phase: Phase,
    idle: Duration,
    header: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> HeaderDeadline<S> {
    pub(crate) fn new(inner: S, requests: Arc<Requests>, idle: Duration, header: Duration) -> Self {
        HeaderDeadline {
            inner,
            requests,
            seen: 0,
            phase: Phase::Header,
            idle,
            header,
            deadline: Box::pin(tokio::time::sleep(header)),
        }
    }

    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        let after = if phase == Phase::Header { self.header } else { self.idle };
        self.deadline.as_mut().reset(Instant::now() + after);
    }

    /// Brings the phase up to date with the service: a request taken or answered since.
    fn follow_service(&mut self) {
        let begun = self.requests.begun.load(Ordering::SeqCst);
        if begun != self.requests.ended.load(Ordering::SeqCst) {
            self.phase = Phase::Serving;
        } else if self.phase == Phase::Serving || self.seen != begun {
            self.enter(Phase::Idle);
        }
        self.seen = begun;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeaderDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.phase == Phase::Serving || this.requests.begun.load(Ordering::SeqCst) != this.seen {
            // Noted before the service's state is read: an end in between still wakes it.
            *this.requests.reader.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        }
        this.follow_service();
        if this.phase != Phase::Serving && this.deadline.as_mut().poll(cx).is_ready() {
            let what = if this.phase == Phase::Header { "a request's header" } else { "the next request" };
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{what} came too late"),
            )));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if this.phase == Phase::Idle && buf.filled().len() > before {
            this.enter(Phase::Header);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeaderDeadline<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, data))?;
        // An answer still being written (a long download) keeps the connection busy.
        if this.phase == Phase::Idle && written > 0 {
            this.enter(Phase::Idle);
        }
        Poll::Ready(Ok(written))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, data))?;
        if this.phase == Phase::Idle && written > 0 {
            this.enter(Phase::Idle);
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
