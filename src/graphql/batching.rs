//! Deterministic batching windows for the request's [`super::batch_loader::BatchLoader`].
//!
//! A DataLoader merges the keys requested within a short time window. On a multi-threaded
//! runtime that window races the request: while the request task is still resolving the 32nd
//! of 50 siblings, the batch may already have started on another thread with the first 31
//! keys, and the level costs several statements instead of one. The [`Gate`] closes that race:
//! batch tasks start only while the request task is parked (neither being polled nor woken),
//! which is exactly when every sibling has asked for its keys. They also start only when no
//! earlier batch of the request is still loading: a batch that is still out may wake
//! resolvers that ask for more keys of a kind whose batch would otherwise already have gone,
//! costing that kind a second statement. So the batches of one request go out in generations:
//! every batch asked for by the time the request parks with nothing loading starts together,
//! and the next generation waits for all of them. With the race gone no time window is needed,
//! so our batch loader has none (and no timer).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Shared by one request's execution and its batch tasks.
#[derive(Clone, Default)]
pub struct Gate(Arc<Mutex<GateState>>);

#[derive(Default)]
struct GateState {
    /// The request is being polled.
    polling: bool,
    /// The request was woken and will be polled again soon.
    woken: bool,
    /// The request has finished: nothing to wait for any more.
    done: bool,
    /// Batch tasks handed out so far (each batch task's ticket is its number, from 1).
    issued: u64,
    /// Batch tasks with a ticket up to this one may start.
    admitted: u64,
    /// Batch tasks started and not finished.
    loading: usize,
    /// Batch tasks waiting for their turn.
    waiting: Vec<Waker>,
}

impl GateState {
    /// Admits every batch task handed out so far if the request is parked and nothing is
    /// loading; the wakers to wake then.
    fn admit(&mut self) -> Vec<Waker> {
        let parked = !self.polling && !self.woken;
        if self.done || (parked && self.loading == 0) {
            self.admitted = self.issued;
            std::mem::take(&mut self.waiting)
        } else {
            Vec::new()
        }
    }
}

impl Gate {
    /// Runs the request's execution so that batch tasks can tell when it is parked.
    pub async fn run<F: Future>(&self, request: F) -> F::Output {
        Request {
            gate: self.clone(),
            inner: Box::pin(request),
        }
        .await
    }

    /// Wraps a batch task so that it starts with its generation (see the module comment).
    /// Call it from the request's execution, when the batch is first asked for.
    pub fn defer<F: Future<Output = ()> + Send + 'static>(
        &self,
        task: F,
    ) -> (u64, impl Future<Output = ()> + Send + 'static) {
        let ticket = {
            let mut state = self.lock();
            state.issued += 1;
            state.issued
        };
        let deferred = Deferred {
            gate: self.clone(),
            ticket,
            started: false,
            inner: Box::pin(task),
        };
        (ticket, deferred)
    }

    /// Handed out as `defer`'s ticket: whether that batch task may start (then its batch
    /// must take no more keys).
    pub fn admitted(&self, ticket: u64) -> bool {
        let state = self.lock();
        ticket <= state.admitted || state.done
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Request<F: Future> {
    gate: Gate,
    inner: Pin<Box<F>>,
}

/// The request's waker, wrapped to mark the request runnable before waking it.
struct MarkWoken {
    gate: Gate,
    request: Waker,
}

impl Wake for MarkWoken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.gate.lock().woken = true;
        self.request.wake_by_ref();
    }
}

impl<F: Future> Future for Request<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        {
            let mut state = self.gate.lock();
            state.polling = true;
            state.woken = false;
        }
        let waker = Waker::from(Arc::new(MarkWoken {
            gate: self.gate.clone(),
            request: cx.waker().clone(),
        }));
        let result = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        let released = {
            let mut state = self.gate.lock();
            state.polling = false;
            state.done = result.is_ready();
            state.admit()
        };
        released.into_iter().for_each(Waker::wake);
        result
    }
}

/// A request dropped before it finished (its client went away, or it timed out) must not leave
/// its batch tasks parked forever: they may hold database connections.
impl<F: Future> Drop for Request<F> {
    fn drop(&mut self) {
        let released = {
            let mut state = self.gate.lock();
            state.done = true;
            state.admit()
        };
        released.into_iter().for_each(Waker::wake);
    }
}

struct Deferred<F> {
    gate: Gate,
    ticket: u64,
    started: bool,
    inner: Pin<Box<F>>,
}

impl<F: Future<Output = ()>> Future for Deferred<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.started {
            let mut state = self.gate.lock();
            if self.ticket > state.admitted && !state.done {
                state.waiting.push(cx.waker().clone());
                return Poll::Pending;
            }
            state.loading += 1;
            drop(state);
            self.started = true;
        }
        let result = self.inner.as_mut().poll(cx);
        if result.is_ready() {
            self.finish();
        }
        result
    }
}

impl<F> Deferred<F> {
    /// Counts a started batch as no longer loading, and lets the next generation go.
    fn finish(&mut self) {
        if !std::mem::take(&mut self.started) {
            return;
        }
        let released = {
            let mut state = self.gate.lock();
            state.loading -= 1;
            state.admit()
        };
        released.into_iter().for_each(Waker::wake);
    }
}

/// A batch task that panicked or was cancelled while loading must not hold the next
/// generation back.
impl<F> Drop for Deferred<F> {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_dropped_request_releases_its_batch_tasks() {
        let gate = Gate::default();
        // A request woken but never polled again, then dropped: a client that went away.
        let mut request = Box::pin(gate.run(std::future::poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        })));
        std::future::poll_fn(|cx| {
            let _ = request.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
        let task = tokio::spawn(gate.defer(async {}).1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !task.is_finished(),
            "the gate holds batch tasks while the request runs"
        );
        drop(request);
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("the batch task runs once the request is gone")
            .unwrap();
    }
}
