//! Runs each worker on its own tokio task: waits until its step is due (or it is woken, or its
//! poll interval passes, or the clock moved), steps it, and records the outcome.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clock::{Clock, Millis};
use store::Store;
use tokio::sync::{watch, RwLock};
use tokio::task::JoinHandle;

use crate::{Next, Wake, Worker};

/// The first retry of a failed step waits this long; each further failure doubles it.
const FIRST_BACKOFF_MS: Millis = 500;
/// The longest wait between two attempts of a failing step.
const MAX_BACKOFF_MS: Millis = 5 * 60 * 1000;
/// How long shutdown waits for the workers to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The installation's background workers.
#[derive(Clone)]
pub struct Workers {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) slots: Mutex<Vec<Arc<Slot>>>,
    /// Runners step under a read guard; moving the clock takes the write guard, so no step
    /// runs while time jumps.
    pub(crate) travel: RwLock<()>,
    /// Bumped after the clock moved: sleeping runners recompute their waits.
    pub(crate) moved: watch::Sender<u64>,
    pub(crate) stop: watch::Sender<bool>,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

pub(crate) struct Slot {
    pub(crate) name: String,
    pub(crate) state: tokio::sync::Mutex<SlotState>,
    wake: Wake,
    status: Mutex<Status>,
}

pub(crate) struct SlotState {
    pub(crate) worker: Box<dyn Worker>,
    pub(crate) next: Next,
    failures: u32,
}

/// What a worker is doing, for logs and the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    /// When its next step is due ([`Next`]).
    pub next: Next,
    /// Steps taken since start.
    pub steps: u64,
    /// Consecutive failed steps (0 when the last one succeeded).
    pub failures: u32,
    pub last_error: Option<String>,
}

impl Workers {
    /// Workers on `store`'s clock; the clock's moves are saved in `store`.
    pub fn new(store: Store) -> Workers {
        Workers {
            shared: Arc::new(Shared {
                store,
                slots: Mutex::new(Vec::new()),
                travel: RwLock::new(()),
                moved: watch::channel(0).0,
                stop: watch::channel(false).0,
                handles: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn clock(&self) -> &Clock {
        self.shared.store.clock()
    }

    /// Starts `worker`; its first step is due at once. `wake` lets others wake it when idle.
    pub fn spawn(&self, worker: impl Worker, wake: Wake) {
        let name = worker.name();
        let slot = Arc::new(Slot {
            name: name.clone(),
            state: tokio::sync::Mutex::new(SlotState {
                worker: Box::new(worker),
                next: Next::Now,
                failures: 0,
            }),
            wake,
            status: Mutex::new(Status {
                name,
                next: Next::Now,
                steps: 0,
                failures: 0,
                last_error: None,
            }),
        });
        if let Ok(mut slots) = self.shared.slots.lock() {
            slots.push(slot.clone());
        }
        let handle = tokio::spawn(run(self.shared.clone(), slot));
        if let Ok(mut handles) = self.shared.handles.lock() {
            handles.push(handle);
        }
    }

    /// Every worker's status, in the order they were started.
    pub fn statuses(&self) -> Vec<Status> {
        self.slots()
            .iter()
            .filter_map(|s| s.status.lock().ok().map(|st| st.clone()))
            .collect()
    }

    pub(crate) fn slots(&self) -> Vec<Arc<Slot>> {
        self.shared
            .slots
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Stops every worker (a step in flight is dropped at its next await point) and waits for
    /// them, at most 10 s.
    pub async fn shutdown(&self) {
        let _ = self.shared.stop.send(true);
        let handles = self
            .shared
            .handles
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default();
        for h in handles {
            if tokio::time::timeout(STOP_TIMEOUT, h).await.is_err() {
                tracing::warn!("a background worker did not stop within 10 s");
            }
        }
    }
}

/// One worker's loop, until shutdown.
async fn run(shared: Arc<Shared>, slot: Arc<Slot>) {
    let mut stop = shared.stop.subscribe();
    let mut moved = shared.moved.subscribe();
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = {
            let st = slot.state.lock().await;
            wait_for(st.next, st.worker.poll(), shared.store.clock())
        };
        if wait != Some(Duration::ZERO) {
            tokio::select! {
                () = sleep(wait) => {}
                () = slot.wake.woken() => {}
                changed = moved.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    continue;
                }
                _ = stop.changed() => return,
            }
        }
        let stepped = tokio::select! {
            stepped = step_once(&shared, &slot) => stepped,
            _ = stop.changed() => return,
        };
        if !stepped {
            return;
        }
    }
}

/// Takes one step (outside any clock move); false if the workers are gone.
async fn step_once(shared: &Shared, slot: &Slot) -> bool {
    let _no_travel = shared.travel.read().await;
    let mut st = slot.state.lock().await;
    let now = shared.store.clock().now_ms();
    step(slot, &mut st, now).await;
    true
}

/// Steps the worker as of `now` and records when it is next due.
pub(crate) async fn step(slot: &Slot, st: &mut SlotState, now: Millis) {
    let outcome = st.worker.step(now).await;
    let error = match outcome {
        Ok(next) => {
            st.failures = 0;
            st.next = next;
            None
        }
        Err(e) => {
            st.failures = st.failures.saturating_add(1);
            let backoff = FIRST_BACKOFF_MS
                .saturating_mul(1 << st.failures.min(20).saturating_sub(1))
                .min(MAX_BACKOFF_MS);
            tracing::warn!(worker = %slot.name, error = %e, failures = st.failures, retry_in_ms = backoff, "background step failed");
            st.next = Next::At(now.saturating_add(backoff));
            Some(e)
        }
    };
    if let Ok(mut status) = slot.status.lock() {
        status.next = st.next;
        status.steps += 1;
        status.failures = st.failures;
        if error.is_some() {
            status.last_error = error;
        }
    }
}

pub(crate) fn failed(st: &SlotState) -> bool {
    st.failures > 0
}

/// How long to wait before the next step: until it is due, but no longer than the poll
/// interval; `None` is until woken.
fn wait_for(next: Next, poll: Option<Duration>, clock: &Clock) -> Option<Duration> {
    let due = match next {
        Next::Now => return Some(Duration::ZERO),
        Next::At(at) | Next::Retry(at) => {
            Some(Duration::from_millis(at.saturating_sub(clock.now_ms())))
        }
        Next::Idle => None,
    };
    match (due, poll) {
        (Some(d), Some(p)) => Some(d.min(p)),
        (d, p) => d.or(p),
    }
}

async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
