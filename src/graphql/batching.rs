//! Deterministic batching windows for the DataLoader.
//!
//! A DataLoader merges the keys requested within a short time window. On a multi-threaded
//! runtime that window races the request: while the request task is still resolving the 32nd
//! of 50 siblings, the batch may already have started on another thread with the first 31
//! keys, and the level costs several statements instead of one. The [`Gate`] closes that race:
//! batch tasks only run while the request task is parked (neither being polled nor woken), which
//! is exactly when every sibling has asked for its keys. With the race gone the time window is
//! not needed, so loaders run with no delay.

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
    /// Batch tasks waiting for the request to park.
    waiting: Vec<Waker>,
}

impl GateState {
    fn shut(&self) -> bool {
        !self.done && (self.polling || self.woken)
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

    /// Wraps a batch task so that it only makes progress while the request is parked.
    pub fn defer<F: Future<Output = ()> + Send + 'static>(
        &self,
        task: F,
    ) -> impl Future<Output = ()> + Send + 'static {
        Deferred {
            gate: self.clone(),
            inner: Box::pin(task),
        }
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
            if state.shut() {
                Vec::new()
            } else {
                std::mem::take(&mut state.waiting)
            }
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
            std::mem::take(&mut state.waiting)
        };
        released.into_iter().for_each(Waker::wake);
    }
}

struct Deferred<F> {
    gate: Gate,
    inner: Pin<Box<F>>,
}

impl<F: Future<Output = ()>> Future for Deferred<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut state = self.gate.lock();
            if state.shut() {
                state.waiting.push(cx.waker().clone());
                return Poll::Pending;
            }
        }
        self.inner.as_mut().poll(cx)
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
        let task = tokio::spawn(gate.defer(async {}));
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
